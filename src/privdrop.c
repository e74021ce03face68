/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * privdrop.c -- give up root once the listeners are bound.
 *
 * The daemon keeps CAP_NET_ADMIN: IP_TRANSPARENT (binding a client's
 * non-local address) and SO_MARK need it at every connection, while the
 * listen ports are already bound. It also keeps CAP_NET_BIND_SERVICE when
 * it has it, because spoofing binds the client's port too, and a port
 * below 1024 (NTP's 123, a resolver's 53, a BSD r-command's) needs it
 * long after the listeners are bound. Everything else goes, including the
 * bounding set, so that no later execve could win capabilities back.
 *
 * The order matters. KEEPCAPS lets the permitted set survive setresuid; the
 * bounding set can only shrink while CAP_SETPCAP is still effective, i.e.
 * before setresuid clears the effective set; capset then raises
 * CAP_NET_ADMIN into the effective set again. glibc applies setgroups,
 * setresgid and setresuid to every thread, but capset and prctl act on the
 * calling thread only, so all of this runs before the first thread starts
 * and the threads inherit the result.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

#define PRIVDROP_PW_BUFSIZE	16384	/* when sysconf has no answer */
#define PRIVDROP_PW_BUFMAX	(1024 * 1024)
#define PRIVDROP_STATUS_MAX	16384	/* status is about 1.5 KiB */

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_RAISE		2
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

/* Format "what: strerror(errno)" into err; errno survives. */
static void
privdrop_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno, n;

	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < errlen && saved != 0)
		(void)snprintf(err + n, errlen - (size_t)n, ": %s",
		    strerror(saved));
	errno = saved;
}

/*
 * Look user up; fills uid, gid and name (for initgroups). Returns 0, or -1
 * with errno set (ENOENT when there is no such user).
 */
static int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *name,
    size_t namelen)
{
	struct passwd	 pw, *res = NULL;
	char		*buf = NULL, *nbuf;
	long		 sz;
	size_t		 len;
	int		 rc;

	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	len = sz > 0 ? (size_t)sz : PRIVDROP_PW_BUFSIZE;
	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			free(buf);
			return (-1);
		}
		buf = nbuf;
		rc = getpwnam_r(user, &pw, buf, len, &res);
		/* ERANGE: the entry needs a bigger buffer, within reason. */
		if (rc == ERANGE && len < PRIVDROP_PW_BUFMAX) {
			len *= 2;
			continue;
		}
		break;
	}
	if (rc == 0 && res == NULL)
		rc = ENOENT;
	if (rc == 0 && strlen(pw.pw_name) >= namelen)
		rc = ENAMETOOLONG;
	if (rc == 0) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		(void)memcpy(name, pw.pw_name, strlen(pw.pw_name) + 1);
	}
	free(buf);
	if (rc != 0) {
		errno = rc;
		return (-1);
	}
	return (0);
}

/*
 * The highest capability this kernel knows. /proc tells; without /proc,
 * probe the bounding set, which answers EINVAL past the last one.
 */
static int
privdrop_last_cap(void)
{
	char	buf[32];
	ssize_t	n;
	long	v;
	int	fd, cap, saved;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		do
			n = read(fd, buf, sizeof(buf) - 1);
		while (n == -1 && errno == EINTR);
		saved = errno;
		(void)close(fd);
		errno = saved;
		if (n > 0) {
			buf[n] = '\0';
			v = strtol(buf, NULL, 10);
			if (v > 0 && v < 64)
				return ((int)v);
		}
	}
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == -1)
			break;
	if (cap == 0) {
		errno = ENOSYS;
		return (-1);
	}
	return (cap - 1);
}

uint64_t
privdrop_keep_mask(uint64_t permitted, uint64_t bounding)
{
	return (PRIVDROP_WANT & permitted & bounding);
}

/* This thread's permitted set and the bounding set, as masks. */
static int
privdrop_current(int last, uint64_t *prm, uint64_t *bnd)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];
	int				cap, rc;

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;	/* this thread */
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (-1);
	*prm = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	*bnd = 0;
	for (cap = 0; cap <= last; cap++) {
		rc = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
		if (rc == -1)
			return (-1);
		if (rc == 1)
			*bnd |= UINT64_C(1) << cap;
	}
	return (0);
}

/*
 * Drop every capability not in keep from the bounding set. Those already
 * gone (a service manager may have dropped them) are skipped.
 */
static int
privdrop_bounding(int last, uint64_t keep)
{
	int	cap, rc;

	for (cap = 0; cap <= last; cap++) {
		if (keep & (UINT64_C(1) << cap))
			continue;
		rc = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
		if (rc == -1)
			return (-1);
		if (rc == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) == -1)
			return (-1);
	}
	return (0);
}

/* Permitted = effective = keep, inheritable inh. */
static int
privdrop_capset(uint64_t keep, uint64_t inh)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;	/* this thread */
	data[0].permitted = (uint32_t)keep;
	data[0].effective = (uint32_t)keep;
	data[1].permitted = (uint32_t)(keep >> 32);
	data[1].effective = (uint32_t)(keep >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	return ((int)syscall(SYS_capset, &hdr, data));
}

int
privdrop_thread_none(void)
{
	return (privdrop_capset(0, 0));
}

/* Read all of path (NUL-terminated) into buf. */
static int
privdrop_read_file(const char *path, char *buf, size_t len)
{
	size_t	off = 0;
	ssize_t	n;
	int	fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	for (;;) {
		if (off == len - 1) {
			(void)close(fd);
			errno = EFBIG;
			return (-1);
		}
		n = read(fd, buf + off, len - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			(void)close(fd);
			errno = saved;
			return (-1);
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return (close(fd));
}

int
privdrop_status_self(struct privdrop_status *st)
{
	char	*buf;
	int	 rc, saved;

	if ((buf = malloc(PRIVDROP_STATUS_MAX)) == NULL)
		return (-1);
	rc = privdrop_read_file("/proc/self/status", buf, PRIVDROP_STATUS_MAX);
	if (rc == 0)
		rc = privdrop_status_parse(buf, st);
	saved = errno;
	free(buf);
	errno = saved;
	return (rc);
}

/*
 * Does /proc/self/status show what privdrop_to_user meant to leave: keep
 * (which holds CAP_NET_ADMIN) and nothing else?
 */
static int
privdrop_verify(uid_t uid, gid_t gid, uint64_t keep, char *err,
    size_t errlen)
{
	struct privdrop_status	 st;
	int			 i;

	if (privdrop_status_self(&st) == -1) {
		privdrop_err(err, errlen, "verify: /proc/self/status");
		return (-1);
	}
	errno = EPERM;
	for (i = 0; i < 4; i++) {
		if (st.uid[i] != uid || st.gid[i] != gid) {
			(void)snprintf(err, errlen, "verify: uid %lu gid %lu "
			    "in /proc/self/status, wanted %lu and %lu",
			    (unsigned long)st.uid[i], (unsigned long)st.gid[i],
			    (unsigned long)uid, (unsigned long)gid);
			return (-1);
		}
	}
	if ((keep & PRIVDROP_NEED) != PRIVDROP_NEED || st.cap_eff != keep ||
	    st.cap_prm != keep || st.cap_bnd != keep ||
	    st.cap_inh != 0 || st.cap_amb != 0 || st.no_new_privs == 0) {
		(void)snprintf(err, errlen, "verify: capabilities effective "
		    "%#" PRIx64 " permitted %#" PRIx64 " bounding %#" PRIx64
		    " inheritable %#" PRIx64 " ambient %#" PRIx64
		    " no_new_privs %d, wanted %#" PRIx64 " for the first three",
		    st.cap_eff, st.cap_prm, st.cap_bnd, st.cap_inh, st.cap_amb,
		    st.no_new_privs, keep);
		return (-1);
	}
	return (0);
}

/*
 * The user already: raise keep into the effective set, shed the ambient
 * and inheritable sets, set no_new_privs and check the result. The last
 * steps of a drop, and all that a generation started by SIGUSR2 needs:
 * its capabilities came through execve as ambient ones
 * (privdrop_keep_across_exec), and it cannot switch users again.
 */
static int
privdrop_settle(uid_t uid, gid_t gid, uint64_t keep, uint64_t *kept,
    char *err, size_t errlen)
{
	/* EINVAL: a kernel before 4.3 has no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) == -1 &&
	    errno != EINVAL) {
		privdrop_err(err, errlen, "clear the ambient capabilities");
		return (-1);
	}
	if (privdrop_capset(keep, 0) == -1) {
		privdrop_err(err, errlen, "capset");
		return (-1);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1) {
		privdrop_err(err, errlen, "prctl PR_SET_NO_NEW_PRIVS");
		return (-1);
	}
	if (privdrop_verify(uid, gid, keep, err, errlen) == -1)
		return (-1);
	*kept = keep;
	return (0);
}

int
privdrop_to_user(const char *user, uint64_t *kept, char *err,
    size_t errlen)
{
	char		name[256];
	uid_t		uid;
	gid_t		gid;
	uint64_t	prm, bnd, keep;
	int		last;

	if (privdrop_lookup(user, &uid, &gid, name, sizeof(name)) == -1) {
		if (errno == ENOENT)
			(void)snprintf(err, errlen, "no user \"%s\"", user);
		else
			privdrop_err(err, errlen, "look up user \"%s\"", user);
		return (-1);
	}
	if ((last = privdrop_last_cap()) == -1) {
		privdrop_err(err, errlen, "find the last capability");
		return (-1);
	}
	/* capset may only keep what is permitted: ask for no more. */
	if (privdrop_current(last, &prm, &bnd) == -1) {
		privdrop_err(err, errlen, "read the capabilities");
		return (-1);
	}
	keep = privdrop_keep_mask(prm, bnd);
	if ((keep & PRIVDROP_NEED) != PRIVDROP_NEED) {
		errno = EPERM;
		(void)snprintf(err, errlen, "CAP_NET_ADMIN is not in the "
		    "permitted and bounding sets (permitted %#" PRIx64
		    ", bounding %#" PRIx64 ")", prm, bnd);
		return (-1);
	}
	if (uid != 0 && getuid() == uid && geteuid() == uid)
		return (privdrop_settle(uid, gid, keep, kept, err, errlen));
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1) {
		privdrop_err(err, errlen, "prctl PR_SET_KEEPCAPS");
		return (-1);
	}
	if (initgroups(name, gid) == -1) {
		privdrop_err(err, errlen, "initgroups %s", name);
		return (-1);
	}
	if (setresgid(gid, gid, gid) == -1) {
		privdrop_err(err, errlen, "setresgid %lu", (unsigned long)gid);
		return (-1);
	}
	/* Needs CAP_SETPCAP, so before setresuid empties the effective set. */
	if (privdrop_bounding(last, keep) == -1) {
		privdrop_err(err, errlen, "drop the bounding set");
		return (-1);
	}
	if (setresuid(uid, uid, uid) == -1) {
		privdrop_err(err, errlen, "setresuid %lu", (unsigned long)uid);
		return (-1);
	}
	/* The permitted set came through; no later setuid may keep it. */
	if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) == -1) {
		privdrop_err(err, errlen, "prctl PR_SET_KEEPCAPS");
		return (-1);
	}
	return (privdrop_settle(uid, gid, keep, kept, err, errlen));
}

int
privdrop_keep_across_exec(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];
	uint64_t			prm;
	unsigned long			cap;

	/* Root gets its capabilities back from execve by itself. */
	if (geteuid() == 0)
		return (0);
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (-1);
	prm = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	/* A capability may be ambient only while it is inheritable. */
	if (privdrop_capset(prm, prm) == -1)
		return (-1);
	for (cap = 0; cap < 64; cap++) {
		if ((prm & (UINT64_C(1) << cap)) == 0)
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0L,
		    0L) == -1)
			return (-1);
	}
	return (0);
}

/* Four decimal ids separated by tabs; v ends at '\n' or NUL. */
static int
privdrop_parse_ids(const char *v, unsigned long ids[4])
{
	char		*end;
	int		 i;

	for (i = 0; i < 4; i++) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v < '0' || *v > '9')
			return (-1);
		errno = 0;
		ids[i] = strtoul(v, &end, 10);
		if (errno != 0 || ids[i] > UINT32_MAX)
			return (-1);
		v = end;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	return (*v == '\n' || *v == '\0' ? 0 : -1);
}

/* One hexadecimal mask of up to 16 digits. */
static int
privdrop_parse_hex(const char *v, uint64_t *mask)
{
	unsigned long long	 x;
	const char		*p;
	char			*end;

	while (*v == ' ' || *v == '\t')
		v++;
	for (p = v; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
	    (*p >= 'A' && *p <= 'F'); p++)
		;
	if (p == v || p - v > 16)
		return (-1);
	errno = 0;
	x = strtoull(v, &end, 16);
	if (errno != 0 || end != p)
		return (-1);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\n' && *end != '\0')
		return (-1);
	*mask = (uint64_t)x;
	return (0);
}

int
privdrop_status_parse(const char *text, struct privdrop_status *st)
{
	/* Bits in seen, one per required line. */
	enum { S_UID = 1, S_GID = 2, S_INH = 4, S_PRM = 8, S_EFF = 16,
	    S_BND = 32, S_ALL = 63 };
	const char	*line, *v;
	unsigned long	 ids[4];
	size_t		 klen;
	int		 seen = 0, rc, i;
	long		 nnp;
	char		*end;

	memset(st, 0, sizeof(*st));
	st->no_new_privs = -1;
	for (line = text; *line != '\0'; ) {
		if ((v = strpbrk(line, ":\n")) == NULL || *v == '\n')
			goto next;
		klen = (size_t)(v - line);
		v++;
#define KEY(k)	(klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
		rc = 0;
		if (KEY("Uid") || KEY("Gid")) {
			if ((rc = privdrop_parse_ids(v, ids)) == 0) {
				for (i = 0; i < 4; i++) {
					if (line[0] == 'U')
						st->uid[i] = (uid_t)ids[i];
					else
						st->gid[i] = (gid_t)ids[i];
				}
				seen |= line[0] == 'U' ? S_UID : S_GID;
			}
		} else if (KEY("CapInh")) {
			if ((rc = privdrop_parse_hex(v, &st->cap_inh)) == 0)
				seen |= S_INH;
		} else if (KEY("CapPrm")) {
			if ((rc = privdrop_parse_hex(v, &st->cap_prm)) == 0)
				seen |= S_PRM;
		} else if (KEY("CapEff")) {
			if ((rc = privdrop_parse_hex(v, &st->cap_eff)) == 0)
				seen |= S_EFF;
		} else if (KEY("CapBnd")) {
			if ((rc = privdrop_parse_hex(v, &st->cap_bnd)) == 0)
				seen |= S_BND;
		} else if (KEY("CapAmb")) {
			rc = privdrop_parse_hex(v, &st->cap_amb);
		} else if (KEY("NoNewPrivs")) {
			while (*v == ' ' || *v == '\t')
				v++;
			errno = 0;
			nnp = strtol(v, &end, 10);
			if (errno != 0 || *v < '0' || *v > '9' ||
			    (nnp != 0 && nnp != 1) ||
			    (*end != '\n' && *end != '\0'))
				rc = -1;
			else
				st->no_new_privs = (int)nnp;
		}
#undef KEY
		if (rc == -1) {
			errno = EINVAL;
			return (-1);
		}
next:
		if ((line = strchr(line, '\n')) == NULL)
			break;
		line++;
	}
	if (seen != S_ALL) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}
