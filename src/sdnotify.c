/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * sdnotify.c -- the sd_notify(3) datagram, without libsystemd.
 *
 * systemd (Type=notify) passes the name of an AF_UNIX datagram socket in
 * $NOTIFY_SOCKET and waits for "READY=1" before it calls the unit started;
 * "STOPPING=1" tells it that shutdown has begun, "MAINPID=" that another
 * process now serves (SIGUSR2). The protocol is one newline-separated
 * datagram per update, so a fresh socket per call is enough and keeps
 * this free of state and locks.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotonic.h"
#include "sdnotify.h"

/*
 * The address $NOTIFY_SOCKET names into sun and *salen. Returns 1, 0 when
 * it is unset or empty, -1 (EINVAL) when it is not a usable name.
 */
static int
sdnotify_address(struct sockaddr_un *sun, socklen_t *salen)
{
	const char	*name;
	size_t		 namelen;

	if ((name = getenv("NOTIFY_SOCKET")) == NULL || *name == '\0')
		return (0);
	namelen = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || namelen < 2 ||
	    namelen > sizeof(sun->sun_path) ||
	    (name[0] == '/' && namelen == sizeof(sun->sun_path))) {
		errno = EINVAL;
		return (-1);
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, namelen);
	/* Abstract names start with a NUL and are not NUL-terminated. */
	if (sun->sun_path[0] == '@')
		sun->sun_path[0] = '\0';
	*salen = offsetof(struct sockaddr_un, sun_path) + namelen;
	return (1);
}

/* state as one datagram, with passfd attached unless it is -1. */
static int
sdnotify_send(const char *state, int passfd)
{
	struct sockaddr_un	 sun;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	}			 ctl;
	socklen_t		 salen;
	ssize_t			 n;
	int			 fd, rc, saved;

	if ((rc = sdnotify_address(&sun, &salen)) != 1)
		return (rc);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)state;
	iov.iov_len = strlen(state);
	msg.msg_name = &sun;
	msg.msg_namelen = salen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (passfd != -1) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	do {
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return (-1);
	}
	return (1);
}

int
sdnotify(const char *state)
{
	return (sdnotify_send(state, -1));
}

int
sdnotify_barrier(int timeout_ms)
{
	struct sockaddr_un	sun;
	struct pollfd		pfd;
	socklen_t		salen;
	uint64_t		deadline;
	int			p[2], rc, n, left, saved;

	if ((rc = sdnotify_address(&sun, &salen)) != 1)
		return (rc);
	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	rc = sdnotify_send("BARRIER=1", p[1]);
	saved = errno;
	/* Only the manager's copy of the write end may stay open. */
	(void)close(p[1]);
	if (rc != 1) {
		(void)close(p[0]);
		errno = saved;
		return (rc);
	}
	pfd.fd = p[0];
	pfd.events = POLLIN;
	deadline = monotonic_ms() + (uint64_t)timeout_ms;
	for (;;) {
		left = (int)(deadline > monotonic_ms() ?
		    deadline - monotonic_ms() : 0);
		n = poll(&pfd, 1, left);
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	saved = errno;
	(void)close(p[0]);
	if (n == -1) {
		errno = saved;
		return (-1);
	}
	if (n == 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	return (1);
}
