/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_sdnotify.c -- unit tests for src/sdnotify.c: a real AF_UNIX
 * datagram socket stands in for systemd and receives what was sent.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"
#include "test_suites.h"

/*
 * Bind a datagram socket to path (a leading '@' makes it abstract) and
 * return its fd, or -1.
 */
static int
bind_notify_socket(const char *path)
{
	struct sockaddr_un	sun;
	size_t			len = strlen(path);
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sun,
	    offsetof(struct sockaddr_un, sun_path) + len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Receive one datagram without blocking; returns its length or -1. */
static ssize_t
recv_now(int fd, char *buf, size_t len)
{
	ssize_t	n;

	n = recv(fd, buf, len - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return (n);
}

static void
test_sdnotify_does_nothing_without_notify_socket(void)
{
	CU_ASSERT_EQUAL(unsetenv("NOTIFY_SOCKET"), 0);
	CU_ASSERT_EQUAL(sdnotify("READY=1"), 0);
	CU_ASSERT_EQUAL(setenv("NOTIFY_SOCKET", "", 1), 0);
	CU_ASSERT_EQUAL(sdnotify("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_sdnotify_sends_one_datagram_to_a_path_socket(void)
{
	char	path[] = "/tmp/mmproxyd-sdnotify-XXXXXX";
	char	sock[sizeof(path) + 8], buf[64];
	int	fd;

	CU_ASSERT_FATAL(mkdtemp(path) != NULL);
	snprintf(sock, sizeof(sock), "%s/notify", path);
	fd = bind_notify_socket(sock);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_EQUAL(setenv("NOTIFY_SOCKET", sock, 1), 0);

	CU_ASSERT_EQUAL(sdnotify("READY=1"), 1);
	CU_ASSERT_EQUAL(recv_now(fd, buf, sizeof(buf)), 7);
	CU_ASSERT_STRING_EQUAL(buf, "READY=1");
	CU_ASSERT_EQUAL(sdnotify("STOPPING=1\nSTATUS=draining"), 1);
	CU_ASSERT_EQUAL(recv_now(fd, buf, sizeof(buf)), 26);
	CU_ASSERT_STRING_EQUAL(buf, "STOPPING=1\nSTATUS=draining");
	/* Exactly one datagram per call. */
	CU_ASSERT_EQUAL(recv_now(fd, buf, sizeof(buf)), -1);

	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(sock);
	rmdir(path);
}

static void
test_sdnotify_reaches_an_abstract_socket_named_with_at(void)
{
	char	name[64], buf[64];
	int	fd;

	snprintf(name, sizeof(name), "@mmproxyd-sdnotify-test-%ld",
	    (long)getpid());
	fd = bind_notify_socket(name);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_EQUAL(setenv("NOTIFY_SOCKET", name, 1), 0);

	CU_ASSERT_EQUAL(sdnotify("READY=1"), 1);
	CU_ASSERT_EQUAL(recv_now(fd, buf, sizeof(buf)), 7);
	CU_ASSERT_STRING_EQUAL(buf, "READY=1");

	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void
test_sdnotify_rejects_a_relative_socket_name(void)
{
	CU_ASSERT_EQUAL(setenv("NOTIFY_SOCKET", "run/notify", 1), 0);
	errno = 0;
	CU_ASSERT_EQUAL(sdnotify("READY=1"), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_sdnotify_fails_when_nobody_listens(void)
{
	CU_ASSERT_EQUAL(setenv("NOTIFY_SOCKET",
	    "/nonexistent/mmproxyd/notify", 1), 0);
	CU_ASSERT_EQUAL(sdnotify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

void
test_sdnotify_register(void)
{
	CU_pSuite	s = test_suite_add("sdnotify");

	test_add(s, "does nothing without NOTIFY_SOCKET",
	    test_sdnotify_does_nothing_without_notify_socket);
	test_add(s, "sends one datagram to a path socket",
	    test_sdnotify_sends_one_datagram_to_a_path_socket);
	test_add(s, "reaches an abstract socket named with @",
	    test_sdnotify_reaches_an_abstract_socket_named_with_at);
	test_add(s, "rejects a relative socket name",
	    test_sdnotify_rejects_a_relative_socket_name);
	test_add(s, "fails when nobody listens",
	    test_sdnotify_fails_when_nobody_listens);
}
