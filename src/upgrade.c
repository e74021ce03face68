/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * upgrade.c -- the processes of a hot upgrade (SIGUSR2).
 *
 * The old generation forks and executes the binary on disk with its own
 * argv. The child inherits exactly these descriptors, everything else
 * being close-on-exec: the listening sockets, the -pidfile file, and its
 * end of a socketpair, the channel. HANDOVER_ENV lists them (handover.c).
 * On the channel the new generation sends 'R' once its listeners and
 * threads run; the old one answers 'G' when it has let go (for UDP, after
 * its flows are closed), and the new one is in charge from then on. A
 * child that cannot execute the file sends 'E' and the errno. EOF means
 * the other side is gone: a new generation that loses its parent before
 * 'G' exits, and an old one whose child died serves on.
 *
 * Everything here runs in the main thread. The child comes from vfork():
 * fork() would copy the page tables of a process that may hold gigabytes
 * of relay buffers, stalling every relay thread meanwhile, and leave
 * their pages copy-on-write; vfork() suspends only the calling thread
 * until execve. The child shares our memory until then, so it makes
 * system calls only (its own descriptor table and credentials are
 * copies): everything it needs (argv, the environment, the list of
 * descriptors) is prepared before.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "handover.h"
#include "log.h"
#include "monotonic.h"
#include "options.h"
#include "privdrop.h"
#include "upgrade.h"

#define UPGRADE_MSG_READY	'R'
#define UPGRADE_MSG_GO		'G'
#define UPGRADE_MSG_EXEC	'E'	/* followed by an int errno */
#define UPGRADE_MSG_CAPS	'C'	/* likewise */
#define UPGRADE_DELETED		" (deleted)"
/* Most sockets one process may hand over: every port's every copy. */
#define UPGRADE_MAX_SOCKS	((size_t)OPTIONS_MAX_PORTS * \
				    OPTIONS_MAX_LISTENERS + 1)

extern char	**environ;

static struct {
	char		 exe[PATH_MAX];		/* "" when unknown */
	char		**argv;
	/* The old side's upgrade in progress. */
	enum upgrade_state state;
	pid_t		 child;
	int		 chan;
	uint64_t	 deadline;
	unsigned char	 in[1 + sizeof(int)];
	size_t		 inlen;
	/* The new side's end of the channel until upgrade_ready. */
	int		 inherited_chan;
} up = { .state = UPGRADE_IDLE, .chan = -1, .inherited_chan = -1 };

void
upgrade_init(char *argv[])
{
	size_t	dl = strlen(UPGRADE_DELETED);
	ssize_t	n;

	up.argv = argv;
	n = readlink("/proc/self/exe", up.exe, sizeof(up.exe) - 1);
	if (n > 0 && up.exe[0] == '/') {
		up.exe[n] = '\0';
		/* Replaced before we got here: its successor is the file. */
		if ((size_t)n > dl &&
		    strcmp(up.exe + n - dl, UPGRADE_DELETED) == 0)
			up.exe[n - dl] = '\0';
		return;
	}
	if (argv[0] != NULL && strchr(argv[0], '/') != NULL &&
	    realpath(argv[0], up.exe) != NULL)
		return;
	up.exe[0] = '\0';
}

/* environ without a HANDOVER_ENV of its own, and var. Caller frees. */
static char **
upgrade_envp(char *var)
{
	char	**envp;
	size_t	  n = 0, i, k = 0, plen = strlen(HANDOVER_ENV "=");

	while (environ[n] != NULL)
		n++;
	if ((envp = calloc(n + 2, sizeof(*envp))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], HANDOVER_ENV "=", plen) != 0)
			envp[k++] = environ[i];
	envp[k++] = var;
	envp[k] = NULL;
	return (envp);
}

/* In the child: tell the parent why, by tag and errno, and go. */
static void
upgrade_child_fail(int chan, char tag)
{
	unsigned char	msg[1 + sizeof(int)];
	int		e = errno;

	msg[0] = (unsigned char)tag;
	memcpy(msg + 1, &e, sizeof(e));
	(void)write(chan, msg, sizeof(msg));
	_exit(127);
}

/*
 * The child between vfork and execve: system calls only, no return. The
 * blocked signals stay blocked through execve, so a SIGTERM that comes
 * before the new generation's signal loop waits for it.
 */
static void
upgrade_child_exec(char *envp[], const int *keep, size_t nkeep, int chan)
{
	size_t	i;

	for (i = 0; i < nkeep; i++)
		if (fcntl(keep[i], F_SETFD, 0) == -1)
			upgrade_child_fail(chan, UPGRADE_MSG_EXEC);
	if (privdrop_keep_across_exec() == -1)
		upgrade_child_fail(chan, UPGRADE_MSG_CAPS);
	(void)execve(up.exe, up.argv, envp);
	upgrade_child_fail(chan, UPGRADE_MSG_EXEC);
}

/*
 * vfork and execute, in a function of its own: nothing of the caller's
 * frame is live across vfork. Returns the child's pid, or -1.
 */
static pid_t
upgrade_spawn(char *envp[], const int *keep, size_t nkeep, int chan)
{
	pid_t	pid;

	if ((pid = vfork()) == 0)
		upgrade_child_exec(envp, keep, nkeep, chan);
	return (pid);
}

int
upgrade_start(const struct handover_sock *socks, size_t n, int pidfile,
    char *err, size_t errlen)
{
	struct handover_env	  e;
	char			 *var = NULL, **envp = NULL;
	int			 *fds = NULL, sv[2], saved;
	size_t			  i, plen = strlen(HANDOVER_ENV "=");
	pid_t			  pid;

	if (up.state != UPGRADE_IDLE) {
		snprintf(err, errlen, "an upgrade is in progress");
		return (-1);
	}
	if (up.exe[0] == '\0') {
		snprintf(err, errlen, "no file to start: /proc/self/exe could "
		    "not be read at startup and argv[0] names no path");
		return (-1);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return (-1);
	}
	/* The child keeps the sockets, the pidfile and its channel end. */
	if ((fds = calloc(n + 2, sizeof(*fds))) == NULL ||
	    (var = malloc(plen + HANDOVER_ENV_MAX)) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		fds[i] = socks[i].fd;
	e.parent = getpid();
	e.chan = sv[1];
	e.pidfile = pidfile;
	e.fds = fds;
	e.nfds = n;
	memcpy(var, HANDOVER_ENV "=", plen);
	if (handover_env_format(var + plen, HANDOVER_ENV_MAX, &e) == -1) {
		snprintf(err, errlen, "%zu descriptors do not fit in "
		    HANDOVER_ENV, n);
		goto fail;
	}
	if ((envp = upgrade_envp(var)) == NULL)
		goto nomem;
	fds[n] = sv[1];
	if (pidfile != -1)
		fds[n + 1] = pidfile;

	pid = upgrade_spawn(envp, fds, n + (pidfile != -1 ? 2 : 1), sv[1]);
	saved = errno;
	(void)close(sv[1]);
	free(envp);
	free(var);
	free(fds);
	if (pid == -1) {
		(void)close(sv[0]);
		snprintf(err, errlen, "vfork: %s", strerror(saved));
		return (-1);
	}
	up.child = pid;
	up.chan = sv[0];
	up.inlen = 0;
	up.deadline = monotonic_ms() + UPGRADE_READY_MS;
	up.state = UPGRADE_STARTING;
	return (0);

nomem:
	snprintf(err, errlen, "out of memory");
fail:
	(void)close(sv[0]);
	(void)close(sv[1]);
	free(envp);
	free(var);
	free(fds);
	return (-1);
}

/* The upgrade ended in failure: forget the child (reaped) and say why. */
static enum upgrade_state
upgrade_failed(void)
{
	(void)close(up.chan);
	up.chan = -1;
	up.child = 0;
	up.state = UPGRADE_IDLE;
	return (UPGRADE_FAILED);
}

/* "exited with status 2" or "was killed by signal 9" into buf. */
static void
upgrade_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %#x", status);
}

/* Reap the child, which has exited or is about to. */
static int
upgrade_reap(int block)
{
	int	status;
	pid_t	r;

	do
		r = waitpid(up.child, &status, block ? 0 : WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == up.child)
		return (status);
	return (-1);
}

enum upgrade_state
upgrade_poll(char *err, size_t errlen)
{
	char	how[96];
	ssize_t	n;
	int	status, e;

	if (up.state != UPGRADE_STARTING)
		return (up.state);
	n = recv(up.chan, up.in + up.inlen, sizeof(up.in) - up.inlen,
	    MSG_DONTWAIT);
	if (n > 0)
		up.inlen += (size_t)n;
	if (up.inlen > 0 && up.in[0] == UPGRADE_MSG_READY) {
		up.state = UPGRADE_READY;
		return (UPGRADE_READY);
	}
	if (up.inlen == sizeof(up.in) && (up.in[0] == UPGRADE_MSG_EXEC ||
	    up.in[0] == UPGRADE_MSG_CAPS)) {
		memcpy(&e, up.in + 1, sizeof(e));
		(void)upgrade_reap(1);
		if (up.in[0] == UPGRADE_MSG_EXEC)
			snprintf(err, errlen, "cannot execute %s: %s",
			    up.exe, strerror(e));
		else
			snprintf(err, errlen, "cannot pass the capabilities "
			    "on to %s: %s", up.exe, strerror(e));
		return (upgrade_failed());
	}
	if (up.inlen > 0 && up.in[0] != UPGRADE_MSG_EXEC &&
	    up.in[0] != UPGRADE_MSG_CAPS) {
		(void)kill(up.child, SIGKILL);
		(void)upgrade_reap(1);
		snprintf(err, errlen, "%s (pid %ld) sent %#x on the channel: "
		    "not an mmproxyd of this protocol? killed it", up.exe,
		    (long)up.child, up.in[0]);
		return (upgrade_failed());
	}
	/* EOF comes as the child exits; its status a moment later. */
	if ((status = upgrade_reap(0)) != -1) {
		upgrade_status(status, how, sizeof(how));
		snprintf(err, errlen, "the new generation (pid %ld, %s) %s "
		    "before it was ready (its own messages are above)",
		    (long)up.child, up.exe, how);
		return (upgrade_failed());
	}
	if (monotonic_ms() >= up.deadline) {
		(void)kill(up.child, SIGKILL);
		(void)upgrade_reap(1);
		snprintf(err, errlen, "the new generation (pid %ld, %s) was "
		    "not ready within %d s: killed it", (long)up.child,
		    up.exe, UPGRADE_READY_MS / 1000);
		return (upgrade_failed());
	}
	return (UPGRADE_STARTING);
}

const char *
upgrade_exe(void)
{
	return (up.exe[0] != '\0' ? up.exe : "(unknown)");
}

pid_t
upgrade_child(void)
{
	return (up.child);
}

int
upgrade_commit(void)
{
	const char	go = UPGRADE_MSG_GO;
	ssize_t		n;

	do
		n = send(up.chan, &go, 1, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	(void)close(up.chan);
	up.chan = -1;
	up.state = UPGRADE_IDLE;
	if (n == 1) {
		/* In charge now; when we exit, init adopts it. */
		up.child = 0;
		return (0);
	}
	/* It closed its end: it is exiting. */
	(void)upgrade_reap(1);
	up.child = 0;
	return (-1);
}

void
upgrade_abandon(void)
{
	if (up.state == UPGRADE_IDLE)
		return;
	/* EOF tells it to shut down on its own; init reaps it. */
	(void)close(up.chan);
	up.chan = -1;
	up.child = 0;
	up.state = UPGRADE_IDLE;
}

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
	if (e.parent != getppid()) {
		snprintf(err, errlen, HANDOVER_ENV " names pid %ld as our "
		    "parent, which is pid %ld: not started by an upgrade "
		    "(unset it)", (long)e.parent, (long)getppid());
		goto out;
	}
	if (upgrade_own(e.chan, S_IFSOCK, err, errlen) == -1 ||
	    (e.pidfile != -1 && upgrade_own(e.pidfile, S_IFREG, err,
	    errlen) == -1))
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
	up.inherited_chan = e.chan;
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
