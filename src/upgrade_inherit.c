/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * upgrade_inherit.c -- a hot upgrade's new generation (upgrade.c says
 * how the two meet): it takes the descriptors HANDOVER_ENV names, each
 * checked for what it claims to be, then says it is ready on the
 * channel and waits until the old one has let go.
 *
 * Everything here runs in the main thread, before and just after the
 * threads start.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "options.h"
#include "upgrade.h"
#include "upgrade_inherit.h"

/* Most sockets one process may hand over: every port's every copy. */
#define UPGRADE_MAX_SOCKS	((size_t)OPTIONS_MAX_PORTS * \
				    OPTIONS_MAX_LISTENERS + 1)

/* Our end of the channel until upgrade_ready. */
static struct {
	int	inherited_chan;
} up = { .inherited_chan = -1 };

#ifdef HAVE_ON_EXIT
/* A new generation that exits before it is ready says how. */
static void
upgrade_report_exit(int status, void *arg)
{
	unsigned char	msg[1 + sizeof(int)];
	int		wstatus = (status & 0xff) << 8;	/* as wait() has it */

	(void)arg;
	if (up.inherited_chan == -1)
		return;
	msg[0] = UPGRADE_MSG_EXIT;
	memcpy(msg + 1, &wstatus, sizeof(wstatus));
	(void)send(up.inherited_chan, msg, sizeof(msg), MSG_NOSIGNAL);
}
#endif

/* fd is open; make it close-on-exec again. */
static int
upgrade_own(int fd, mode_t type, char *err, size_t errlen)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "inherited descriptor %d: %s", fd,
		    strerror(errno));
		return (-1);
	}
	if ((st.st_mode & S_IFMT) != type) {
		snprintf(err, errlen, "inherited descriptor %d is not a %s",
		    fd, type == S_IFSOCK ? "socket" : "regular file");
		return (-1);
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "inherited descriptor %d: %s", fd,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Is fd the channel from the old generation pid, its socketpair? The
 * kernel names the process that made a socketpair as its peer: a stale
 * or made-up HANDOVER_ENV fails here, before any of its descriptors is
 * touched.
 */
static int
upgrade_peer_is(int fd, pid_t pid, char *err, size_t errlen)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		snprintf(err, errlen, "inherited descriptor %d: %s", fd,
		    strerror(errno));
		return (-1);
	}
	if (cred.pid != pid) {
		snprintf(err, errlen, HANDOVER_ENV " names pid %ld, but its "
		    "channel leads to pid %ld: not started by an upgrade "
		    "(unset it)", (long)pid, (long)cred.pid);
		return (-1);
	}
	return (0);
}

/* What the kernel says fd is: a bound TCP listener or UDP socket. */
static int
upgrade_identify(int fd, struct handover_sock *s, char *err, size_t errlen)
{
	socklen_t	len;
	int		v;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (upgrade_own(fd, S_IFSOCK, err, errlen) == -1)
		return (-1);
	len = sizeof(s->type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &s->type, &len) == -1)
		goto syserr;
	len = sizeof(s->addr);
	if (getsockname(fd, (struct sockaddr *)&s->addr, &len) == -1)
		goto syserr;
	if ((s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6) ||
	    (s->type != SOCK_STREAM && s->type != SOCK_DGRAM)) {
		snprintf(err, errlen, "inherited descriptor %d is not a TCP "
		    "or UDP socket", fd);
		return (-1);
	}
	if (s->type == SOCK_STREAM) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1)
			goto syserr;
		if (!v) {
			snprintf(err, errlen, "inherited descriptor %d is "
			    "not listening", fd);
			return (-1);
		}
	}
	return (0);
syserr:
	snprintf(err, errlen, "inherited descriptor %d: %s", fd,
	    strerror(errno));
	return (-1);
}

/* No more descriptors than the fd limit allows can have been passed. */
static size_t
upgrade_max_socks(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur > UPGRADE_MAX_SOCKS)
		return (UPGRADE_MAX_SOCKS);
	return ((size_t)rl.rlim_cur);
}

int
upgrade_inherit(struct handover_set *set, int *pidfile, pid_t *parent,
    char *err, size_t errlen)
{
	struct handover_env	 e;
	const char		*v;
	char			*copy;
	int			*fds;
	size_t			 i, max;
	int			 rc = -1;

	memset(set, 0, sizeof(*set));
	*pidfile = -1;
	*parent = 0;
	if ((v = getenv(HANDOVER_ENV)) == NULL)
		return (0);
	/* Only for us: a later generation gets a value of its own. */
	copy = strdup(v);
	(void)unsetenv(HANDOVER_ENV);
	max = upgrade_max_socks();
	if (copy == NULL || (fds = calloc(max, sizeof(*fds))) == NULL) {
		free(copy);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (handover_env_parse(copy, &e, fds, max, err, errlen) == -1)
		goto out;
	if (upgrade_own(e.chan, S_IFSOCK, err, errlen) == -1 ||
	    upgrade_peer_is(e.chan, e.parent, err, errlen) == -1)
		goto out;
	/* From here on, an exit tells the old generation its status. */
	up.inherited_chan = e.chan;
#ifdef HAVE_ON_EXIT
	if (on_exit(upgrade_report_exit, NULL) != 0) {
		snprintf(err, errlen, "on_exit failed");
		goto out;
	}
#endif
	if (e.pidfile != -1 && upgrade_own(e.pidfile, S_IFREG, err,
	    errlen) == -1)
		goto out;
	if (e.nfds > 0 && (set->v = calloc(e.nfds, sizeof(*set->v))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < e.nfds; i++)
		if (upgrade_identify(e.fds[i], &set->v[i], err, errlen) == -1)
			goto out;
	set->n = e.nfds;
	*pidfile = e.pidfile;
	*parent = e.parent;
	rc = 1;
out:
	if (rc == -1) {
		free(set->v);
		memset(set, 0, sizeof(*set));
	}
	free(fds);
	free(copy);
	return (rc);
}

int
upgrade_ready(char *err, size_t errlen)
{
	struct pollfd	pfd;
	const char	ready = UPGRADE_MSG_READY;
	char		c;
	ssize_t		n;
	int		rc = -1;

	do
		n = send(up.inherited_chan, &ready, 1, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n != 1) {
		snprintf(err, errlen, "the old generation went away (%s)",
		    strerror(errno));
		goto out;
	}
	pfd.fd = up.inherited_chan;
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, UPGRADE_GO_MS);
	while (n == -1 && errno == EINTR);
	if (n == 0) {
		snprintf(err, errlen, "the old generation did not hand over "
		    "within %d s", UPGRADE_GO_MS / 1000);
		goto out;
	}
	do
		n = recv(up.inherited_chan, &c, 1, 0);
	while (n == -1 && errno == EINTR);
	if (n == 1 && c == UPGRADE_MSG_GO)
		rc = 0;
	else
		snprintf(err, errlen, "the old generation gave up the "
		    "upgrade or went away");
out:
	(void)close(up.inherited_chan);
	up.inherited_chan = -1;
	return (rc);
}
