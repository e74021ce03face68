/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * sdnotify.c -- the sd_notify(3) datagram, without libsystemd.
 *
 * systemd (Type=notify) passes the name of an AF_UNIX datagram socket in
 * $NOTIFY_SOCKET and waits for "READY=1" before it calls the unit started;
 * "STOPPING=1" tells it that shutdown has begun. The protocol is one
 * newline-separated datagram per update, so a fresh socket per call is
 * enough and keeps this free of state and locks.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

int
sdnotify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*name;
	size_t			 namelen;
	socklen_t		 salen;
	ssize_t			 n;
	int			 fd, saved;

	if ((name = getenv("NOTIFY_SOCKET")) == NULL || *name == '\0')
		return (0);
	namelen = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || namelen < 2 ||
	    namelen > sizeof(sun.sun_path) ||
	    (name[0] == '/' && namelen == sizeof(sun.sun_path))) {
		errno = EINVAL;
		return (-1);
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, name, namelen);
	/* Abstract names start with a NUL and are not NUL-terminated. */
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	salen = offsetof(struct sockaddr_un, sun_path) + namelen;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	do {
		n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		    (struct sockaddr *)&sun, salen);
	} while (n == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return (-1);
	}
	return (1);
}
