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
#include <pthread.h>
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

/* A service manager for one barrier: close the fd it gets, or keep it. */
struct fake_manager {
	int		 fd;
	int		 close_it;
	char		 got[64];
	int		 passed;	/* the fd that came with it */
};

static void *
fake_manager(void *arg)
{
	struct fake_manager	*m = arg;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	}			 ctl;
	ssize_t			 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = m->got;
	iov.iov_len = sizeof(m->got) - 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	m->passed = -1;
	if ((n = recvmsg(m->fd, &msg, MSG_CMSG_CLOEXEC)) < 0)
		return (NULL);
	m->got[n] = '\0';
	cm = CMSG_FIRSTHDR(&msg);
	if (cm != NULL && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&m->passed, CMSG_DATA(cm), sizeof(int));
	if (m->close_it && m->passed != -1) {
		close(m->passed);
		m->passed = -1;
	}
	return (NULL);
}

static void
barrier_with(int close_it, int timeout_ms, int want_rc)
{
	struct fake_manager	m;
	pthread_t		t;
	char			name[64];

	snprintf(name, sizeof(name), "@mmproxyd-barrier-test-%ld",
	    (long)getpid());
	memset(&m, 0, sizeof(m));
	m.close_it = close_it;
	CU_ASSERT_FATAL((m.fd = bind_notify_socket(name)) != -1);
	CU_ASSERT_EQUAL(setenv("NOTIFY_SOCKET", name, 1), 0);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, fake_manager, &m) == 0);
	errno = 0;
	CU_ASSERT_EQUAL(sdnotify_barrier(timeout_ms), want_rc);
	if (want_rc == -1)
		CU_ASSERT_EQUAL(errno, ETIMEDOUT);
	pthread_join(t, NULL);
	CU_ASSERT_STRING_EQUAL(m.got, "BARRIER=1");
	if (m.passed != -1)
		close(m.passed);
	unsetenv("NOTIFY_SOCKET");
	close(m.fd);
}

static void
test_sdnotify_barrier_passes_once_the_manager_closes_the_pipe(void)
{
	barrier_with(1, 5000, 1);
}

static void
test_sdnotify_barrier_times_out_while_the_manager_holds_it(void)
{
	barrier_with(0, 100, -1);
}

static void
test_sdnotify_barrier_does_nothing_without_notify_socket(void)
{
	CU_ASSERT_EQUAL(unsetenv("NOTIFY_SOCKET"), 0);
	CU_ASSERT_EQUAL(sdnotify_barrier(100), 0);
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
	test_add(s, "barrier passes once the manager closes the pipe",
	    test_sdnotify_barrier_passes_once_the_manager_closes_the_pipe);
	test_add(s, "barrier times out while the manager holds it",
	    test_sdnotify_barrier_times_out_while_the_manager_holds_it);
	test_add(s, "barrier does nothing without NOTIFY_SOCKET",
	    test_sdnotify_barrier_does_nothing_without_notify_socket);
}
