/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * upgrade.c -- the processes of a hot upgrade (SIGUSR2).
 *
 * The old generation starts a process that executes the binary on disk
 * with its own argv. It inherits exactly these descriptors, everything
 * else being close-on-exec: the listening sockets, the -pidfile file, and
 * its end of a socketpair, the channel. HANDOVER_ENV lists them
 * (handover.c). On the channel the new generation sends 'R' once its
 * listeners and threads run; the old one answers 'G' when it has let go
 * (for UDP, once it no longer reads), and the new one is in charge from
 * then on. Before that, a child that cannot execute the file sends 'E'
 * and the errno, and a new generation that exits sends 'X' and its
 * status. EOF means the other side is gone: a new generation that loses
 * the old one before 'G' exits, and an old one whose child died serves
 * on.
 *
 * The new process is a sibling, not a child: clone(CLONE_PARENT) gives
 * it our parent, the service manager under systemd. The MAINPID= that
 * hands it over then names systemd's own child; one of ours would stay
 * "not our child" to systemd for good, and systemd would neither wait
 * for it to drain on stop nor see it exit. The cost: we cannot wait for
 * it, so its exit status comes over the channel ('X'), or not at all
 * when a signal killed it.
 *
 * It is also a vfork (CLONE_VM | CLONE_VFORK): fork() would copy the page
 * tables of a process that may hold gigabytes of relay buffers, stalling
 * every relay thread meanwhile; this suspends only the calling thread
 * until execve. The child shares our memory until then, so it makes
 * system calls only, on a stack of its own (its descriptor table and
 * credentials are copies): everything it needs (argv, the environment,
 * the list of descriptors) is prepared before.
 *
 * Everything here runs in the main thread.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "monotonic.h"
#include "privdrop.h"
#include "upgrade.h"

#define UPGRADE_STACK		(256 * 1024)	/* until execve */
#define UPGRADE_DELETED		" (deleted)"

/*
 * The child runs on a stack AddressSanitizer does not know about: left
 * uninstrumented, it makes no call that ASan would take for a thread of
 * ours leaving its stack.
 */
#if defined(__SANITIZE_ADDRESS__)
#define UPGRADE_CHILD	__attribute__((no_sanitize_address))
#else
#define UPGRADE_CHILD
#endif
/*
 * ThreadSanitizer takes every clone() for a fork and resets its state in
 * the child, which with CLONE_VM is ours too: give it a real fork.
 */
#if defined(__SANITIZE_THREAD__)
#define UPGRADE_CLONE	(CLONE_PARENT | SIGCHLD)
#else
#define UPGRADE_CLONE	(CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD)
#endif

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
} up = { .state = UPGRADE_IDLE, .chan = -1 };

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
UPGRADE_CHILD static void
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
UPGRADE_CHILD static void
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

struct upgrade_spawn {
	char		**envp;
	const int	 *keep;
	size_t		  nkeep;
	int		  chan;
};

UPGRADE_CHILD static int
upgrade_child_main(void *arg)
{
	struct upgrade_spawn	*sp = arg;

	upgrade_child_exec(sp->envp, sp->keep, sp->nkeep, sp->chan);
	return (127);
}

/*
 * Start the child, our parent's, sharing our memory until it executes
 * (see the top of this file). Returns its pid, or -1 with errno set.
 */
static pid_t
upgrade_spawn(char *envp[], const int *keep, size_t nkeep, int chan)
{
	struct upgrade_spawn	 sp = { envp, keep, nkeep, chan };
	char			*stack;
	pid_t			 pid;
	int			 saved;

	if ((stack = malloc(UPGRADE_STACK)) == NULL)
		return (-1);
	pid = clone(upgrade_child_main, stack + UPGRADE_STACK, UPGRADE_CLONE,
	    &sp);
	saved = errno;
	free(stack);
	errno = saved;
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
	/* The new generation could not be a sibling, nor outlive us. */
	if (getpid() == 1) {
		snprintf(err, errlen, "process 1 of its namespace (a "
		    "container's init?), whose exit would end every other: "
		    "run mmproxyd under an init such as tini");
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
		snprintf(err, errlen, "clone: %s", strerror(saved));
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

/* The upgrade ended in failure: forget the child and say why. */
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

/* The child said why it is going: 'E', 'C' or 'X' and an int. */
static void
upgrade_reason(char *err, size_t errlen)
{
	char	how[96];
	int	v;

	memcpy(&v, up.in + 1, sizeof(v));
	switch (up.in[0]) {
	case UPGRADE_MSG_EXEC:
		snprintf(err, errlen, "cannot execute %s: %s", up.exe,
		    strerror(v));
		break;
	case UPGRADE_MSG_CAPS:
		snprintf(err, errlen, "cannot pass the capabilities on to "
		    "%s: %s", up.exe, strerror(v));
		break;
	default:
		upgrade_status(v, how, sizeof(how));
		snprintf(err, errlen, "the new generation (pid %ld, %s) %s "
		    "before it was ready (its own messages are above)",
		    (long)up.child, up.exe, how);
		break;
	}
}

enum upgrade_state
upgrade_poll(char *err, size_t errlen)
{
	ssize_t	n;

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
	if (up.inlen > 0 && up.in[0] != UPGRADE_MSG_EXEC &&
	    up.in[0] != UPGRADE_MSG_CAPS && up.in[0] != UPGRADE_MSG_EXIT) {
		(void)kill(up.child, SIGKILL);
		snprintf(err, errlen, "%s (pid %ld) sent %#x on the channel: "
		    "not an mmproxyd of this protocol? killed it", up.exe,
		    (long)up.child, up.in[0]);
		return (upgrade_failed());
	}
	/* EOF: it is gone; it may have said why. */
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		if (up.inlen == sizeof(up.in))
			upgrade_reason(err, errlen);
		else
			snprintf(err, errlen, "the new generation (pid %ld, "
			    "%s) ended before it was ready without saying "
			    "why: killed by a signal, or not an mmproxyd",
			    (long)up.child, up.exe);
		return (upgrade_failed());
	}
	if (monotonic_ms() >= up.deadline) {
		(void)kill(up.child, SIGKILL);
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
	up.child = 0;
	/* Otherwise it closed its end: it is exiting. */
	return (n == 1 ? 0 : -1);
}

void
upgrade_abandon(void)
{
	if (up.state == UPGRADE_IDLE)
		return;
	/* EOF tells it to shut down on its own; our parent reaps it. */
	(void)close(up.chan);
	up.chan = -1;
	up.child = 0;
	up.state = UPGRADE_IDLE;
}
