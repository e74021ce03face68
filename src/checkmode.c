/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * checkmode.c -- mmproxyd -t, and the checks a start makes first.
 *
 * The listening ports are bound for a moment, not reasoned about: the
 * kernel alone knows whether an address is ours (ip_nonlocal_bind,
 * IP_TRANSPARENT) and a port allowed (ip_unprivileged_port_start). The
 * socket gets no SO_REUSEPORT and is never listened on, so it cannot
 * take a connection or, over UDP, a datagram from the running instance,
 * which holds the ports with SO_REUSEPORT: against it, bind() answers
 * EADDRINUSE, and a port in use passes. A port held by another program
 * passes too, for the same reason; the start then fails on it, and is
 * retried (EXIT STATUS in mmproxyd(8)).
 *
 * Runs before any thread: getpwnam and the rest need no locking.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/capability.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "capacity.h"
#include "checkmode.h"
#include "endpoint.h"
#include "frontend.h"
#include "net.h"
#include "options.h"
#include "privdrop.h"
#include "selfcheck.h"

#define CHECKMODE_PORT_START	"/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define CHECKMODE_CAP(c)	(UINT64_C(1) << (c))

struct checkmode {
	FILE		*err;
	int		 problems;
	int		 low_ports;	/* reported: may not bind below */
	uint64_t	 eff;		/* effective capabilities */
	int		 have_eff;	/* eff could be read */
};

static void
checkmode_problem(struct checkmode *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
checkmode_setopt(int fd, int level, int name, int value)
{
	return (setsockopt(fd, level, name, &value, sizeof(value)));
}

static void
checkmode_problem(struct checkmode *c, const char *fmt, ...)
{
	va_list	ap;

	fprintf(c->err, "mmproxyd: ");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fprintf(c->err, "\n");
	c->problems++;
}

/* Our effective capabilities, from /proc/self/status. */
static void
checkmode_caps(struct checkmode *c)
{
	struct privdrop_status	st;

	if (privdrop_status_self(&st) == 0) {
		c->eff = st.cap_eff;
		c->have_eff = 1;
	}
}

/* The first port anyone may bind in this network namespace. */
static int
checkmode_port_start(void)
{
	FILE	*f;
	int	 v = -1;

	if ((f = fopen(CHECKMODE_PORT_START, "re")) == NULL)
		return (1024);
	if (fscanf(f, "%d", &v) != 1 || v < 0 || v > 65536)
		v = 1024;
	(void)fclose(f);
	return (v);
}

static void
checkmode_user(struct checkmode *c, const char *user)
{
	const uint64_t	need = CHECKMODE_CAP(CAP_SETUID) |
			    CHECKMODE_CAP(CAP_SETGID) |
			    CHECKMODE_CAP(CAP_SETPCAP);
	struct passwd	*pw;

	if (user == NULL)
		return;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH)
			checkmode_problem(c, "-user %s: no such user", user);
		else
			checkmode_problem(c, "-user %s: cannot look it up: %s",
			    user, strerror(errno));
		return;
	}
	/*
	 * Running as that user already (the generation a hot upgrade
	 * starts) needs no switch: privdrop_to_user only re-raises the
	 * capabilities it kept.
	 */
	if (pw->pw_uid != 0 && getuid() == pw->pw_uid &&
	    geteuid() == pw->pw_uid)
		return;
	if (c->have_eff && (c->eff & need) != need)
		checkmode_problem(c, "-user %s: switching to it needs root "
		    "(CAP_SETUID, CAP_SETGID and CAP_SETPCAP)", user);
}

/* IP_TRANSPARENT, once per family among the -l addresses. */
static void
checkmode_transparent(struct checkmode *c, const struct options *opts)
{
	char	err[512];
	int	i, fam, seen4 = 0, seen6 = 0;

	for (i = 0; i < opts->listen.n; i++) {
		fam = opts->listen.v[i].addr.ss_family;
		if (fam == AF_INET ? seen4++ : seen6++)
			continue;
		if (selfcheck_transparent(fam, err, sizeof(err)) == -1) {
			checkmode_problem(c, "%s", err);
			return;
		}
	}
}

static void
checkmode_low_ports(struct checkmode *c, const struct options *opts)
{
	const struct sockaddr	*m = (const struct sockaddr *)&opts->metrics;
	char			 buf[ADDR_STRLEN + 8];
	int			 i, first, start;

	if (!c->have_eff ||
	    (c->eff & CHECKMODE_CAP(CAP_NET_BIND_SERVICE)) != 0)
		return;
	start = checkmode_port_start();
	for (i = 0; i < opts->listen.n; i++) {
		first = addr_port((const struct sockaddr *)
		    &opts->listen.v[i].addr);
		if (first == 0 || first >= start)
			continue;
		endpoint_format_ports(&opts->listen.v[i], buf, sizeof(buf));
		checkmode_problem(c, "-l %s: a port below %d needs "
		    "CAP_NET_BIND_SERVICE (run as root or grant it)", buf,
		    start);
		c->low_ports = 1;
	}
	if (m->sa_family != AF_UNSPEC && addr_port(m) != 0 &&
	    addr_port(m) < start) {
		addr_format(m, buf, sizeof(buf));
		checkmode_problem(c, "-metrics %s: a port below %d needs "
		    "CAP_NET_BIND_SERVICE (run as root or grant it)", buf,
		    start);
		c->low_ports = 1;
	}
}

/* The limits the start raises the soft ones to, against the sockets. */
static void
checkmode_budget(struct checkmode *c, const struct options *opts,
    size_t nendpoints)
{
	struct rlimit	rl;
	size_t		nsockets = nendpoints * (size_t)opts->listeners, need;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		checkmode_problem(c, "getrlimit RLIMIT_NOFILE: %s",
		    strerror(errno));
		return;
	}
	switch (capacity_listeners_fit((size_t)rl.rlim_max, capacity_tasks(),
	    nsockets, frontend_kind(opts)->fds_per_socket, &need)) {
	case CAPACITY_SHORT_FDS:
		checkmode_problem(c, "%zu listening socket%s need at least "
		    "%zu file descriptors but the limit is %llu (raise it with "
		    "ulimit -n or LimitNOFILE=)", nsockets,
		    nsockets == 1 ? "" : "s", need,
		    (unsigned long long)rl.rlim_max);
		break;
	case CAPACITY_SHORT_TASKS:
		checkmode_problem(c, "%zu listening socket%s need a thread "
		    "each, at least %zu in all, more than the task limit "
		    "leaves (raise TasksMax=, the cgroup's pids.max or ulimit "
		    "-u)", nsockets, nsockets == 1 ? "" : "s", need);
		break;
	}
}

static void
checkmode_start_with(struct checkmode *c, const struct options *opts,
    size_t nendpoints)
{
	checkmode_caps(c);
	checkmode_user(c, opts->user);
	checkmode_transparent(c, opts);
	checkmode_low_ports(c, opts);
	checkmode_budget(c, opts, nendpoints);
}

int
checkmode_start(const struct options *opts, size_t nendpoints, FILE *err)
{
	struct checkmode	c;

	memset(&c, 0, sizeof(c));
	c.err = err;
	checkmode_start_with(&c, opts, nendpoints);
	return (c.problems);
}

/*
 * Bind sa for a moment as the daemon would, minus SO_REUSEPORT; returns
 * 0 when it may be served (bound, or in use), else -1 after saying why.
 */
static int
checkmode_bind(struct checkmode *c, const char *flag, const char *what,
    const struct sockaddr *sa, int socktype, int transparent)
{
	char	addr[ADDR_STRLEN];
	int	fd, rc = 0, saved;

	if ((fd = socket(sa->sa_family, socktype | SOCK_CLOEXEC, 0)) == -1) {
		if (errno == EAFNOSUPPORT)
			checkmode_problem(c, "%s %s: IPv6 is not available on "
			    "this host", flag, what);
		else
			checkmode_problem(c, "%s %s: socket: %s", flag, what,
			    strerror(errno));
		return (-1);
	}
	/* A TCP port in TIME_WAIT binds with it, as the daemon's does. */
	if ((socktype == SOCK_STREAM && checkmode_setopt(fd, SOL_SOCKET,
	    SO_REUSEADDR, 1) == -1) || (sa->sa_family == AF_INET6 &&
	    checkmode_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    !addr_is_wildcard(sa)) == -1)) {
		checkmode_problem(c, "%s %s: setsockopt: %s", flag, what,
		    strerror(errno));
		(void)close(fd);
		return (-1);
	}
	/* Refused: checkmode_transparent has said why. */
	if (transparent && net_set_transparent(fd, sa->sa_family) == -1) {
		(void)close(fd);
		return (-1);
	}
	if (bind(fd, sa, addr_len(sa)) == -1) {
		saved = errno;
		rc = -1;
		addr_format(sa, addr, sizeof(addr));
		switch (saved) {
		case EADDRINUSE:
			rc = 0;		/* the running instance, perhaps */
			break;
		case EACCES:
		case EPERM:
			if (!c->low_ports)
				checkmode_problem(c, "%s %s: may not bind %s: "
				    "%s", flag, what, addr, strerror(saved));
			break;
		case EADDRNOTAVAIL:
			checkmode_problem(c, "%s %s: not an address of this "
			    "host%s", flag, what, transparent ? "" :
			    " (listen on one that is, or on a wildcard)");
			break;
		default:
			checkmode_problem(c, "%s %s: bind %s: %s", flag, what,
			    addr, strerror(saved));
			break;
		}
	}
	(void)close(fd);
	return (rc);
}

/* Every port of every -l; the first problem of a -l is enough. */
static void
checkmode_listen(struct checkmode *c, const struct options *opts)
{
	struct sockaddr_storage	ss;
	char			what[ADDR_STRLEN + 8];
	int			i, k, first;
	int			socktype = frontend_kind(opts)->socktype;

	for (i = 0; i < opts->listen.n; i++) {
		ss = opts->listen.v[i].addr;
		first = addr_port((struct sockaddr *)&ss);
		endpoint_format_ports(&opts->listen.v[i], what, sizeof(what));
		for (k = 0; k < opts->listen.v[i].count; k++) {
			addr_set_port(&ss, first + k);
			if (checkmode_bind(c, "-l", what,
			    (struct sockaddr *)&ss, socktype,
			    opts->listen_transparent) == -1)
				break;
		}
	}
	if (opts->metrics.ss_family != AF_UNSPEC) {
		addr_format((const struct sockaddr *)&opts->metrics, what,
		    sizeof(what));
		(void)checkmode_bind(c, "-metrics", what,
		    (const struct sockaddr *)&opts->metrics, SOCK_STREAM, 0);
	}
}

/* Read a list file as the start would; its size in *n. */
static void
checkmode_list(struct checkmode *c, const char *flag, const char *path,
    size_t *n)
{
	struct allowlist	al;
	char			err[512];

	if (path == NULL)
		return;
	if (allowlist_init(&al, path, err, sizeof(err)) == -1) {
		checkmode_problem(c, "%s %s", flag, err);
		return;
	}
	*n = allowlist_size(&al);
	allowlist_free(&al);
}

int
checkmode_run(const struct options *opts, FILE *out, FILE *err)
{
	struct checkmode	 c;
	struct endpoint		*ep;
	char			 why[512], lists[160] = "";
	size_t			 nendpoints = 0, nallow = 0, ndest = 0;
	size_t			 off;

	memset(&c, 0, sizeof(c));
	c.err = err;
	if ((ep = endpoint_expand(opts, &nendpoints, why,
	    sizeof(why))) == NULL)
		checkmode_problem(&c, "%s", why);
	free(ep);
	checkmode_list(&c, "-allowed-subnets", opts->allowed_subnets_path,
	    &nallow);
	checkmode_list(&c, "-dynamic-destination-allow",
	    opts->dynamic_destination_allow_path, &ndest);
	checkmode_start_with(&c, opts, nendpoints);
	checkmode_listen(&c, opts);
	if (c.problems != 0) {
		fprintf(err, "mmproxyd: configuration check failed: %d "
		    "problem%s\n", c.problems, c.problems == 1 ? "" : "s");
		return (2);
	}
	off = 0;
	if (opts->allowed_subnets_path != NULL)
		off += (size_t)snprintf(lists, sizeof(lists),
		    ", -allowed-subnets %zu subnet%s", nallow,
		    nallow == 1 ? "" : "s");
	if (opts->dynamic_destination_allow_path != NULL && off < sizeof(lists))
		(void)snprintf(lists + off, sizeof(lists) - off,
		    ", -dynamic-destination-allow %zu subnet%s", ndest,
		    ndest == 1 ? "" : "s");
	fprintf(out, "mmproxyd: configuration OK: %s on %zu port%s%s\n",
	    frontend_kind(opts)->name, nendpoints,
	    nendpoints == 1 ? "" : "s", lists);
	return (0);
}
