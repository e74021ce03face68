/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_net.c -- the socket options a relay socket is left with, and what
 * an abort looks like from both ends, over loopback.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"
#include "test_suites.h"

/* A connected pair over 127.0.0.1: *a from net_connect_timeout. */
static int
test_net_pair(int *a, int *b)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			ls;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = net_listen((struct sockaddr *)&sin, SOCK_STREAM, 0, 0)) ==
	    -1)
		return (-1);
	if (getsockname(ls, (struct sockaddr *)&sin, &len) == -1 ||
	    (*a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		(void)close(ls);
		return (-1);
	}
	if (net_connect_timeout(*a, (struct sockaddr *)&sin, 2000) == -1 ||
	    (*b = accept(ls, NULL, NULL)) == -1) {
		(void)close(*a);
		(void)close(ls);
		return (-1);
	}
	(void)close(ls);
	return (0);
}

static int
test_net_getopt(int fd, int level, int name)
{
	socklen_t	len = sizeof(int);
	int		v = -1;

	if (getsockopt(fd, level, name, &v, &len) == -1)
		return (-1);
	return (v);
}

static void
test_net_connect_leaves_no_send_timeout(void)
{
	struct timeval	tv;
	socklen_t	len = sizeof(tv);
	int		a, b;

	CU_ASSERT_FATAL(test_net_pair(&a, &b) == 0);
	CU_ASSERT_EQUAL(getsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	CU_ASSERT_EQUAL(tv.tv_sec, 0);
	CU_ASSERT_EQUAL(tv.tv_usec, 0);
	(void)close(a);
	(void)close(b);
}

static void
test_net_keepalive_sets_probes_and_user_timeout(void)
{
	int	a, b;

	CU_ASSERT_FATAL(test_net_pair(&a, &b) == 0);
	CU_ASSERT_EQUAL(net_keepalive(a, 7), 0);
	CU_ASSERT_EQUAL(test_net_getopt(a, SOL_SOCKET, SO_KEEPALIVE), 1);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPIDLE), 7);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPINTVL), 7);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPCNT),
	    NET_KEEPALIVE_PROBES);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_USER_TIMEOUT),
	    7 * (1 + NET_KEEPALIVE_PROBES) * 1000);
	(void)close(a);
	(void)close(b);
}

struct test_net_reader {
	int	fd;
	ssize_t	n;
	int	err;
};

static void *
test_net_read(void *arg)
{
	struct test_net_reader	*r = arg;
	char			 buf[16];

	r->n = recv(r->fd, buf, sizeof(buf), 0);
	r->err = errno;
	return (NULL);
}

/*
 * The peer reads a reset, not an EOF, and a thread blocked in recv() on
 * the aborted socket wakes with an error rather than waiting for ever.
 */
static void
test_net_abort_resets_and_wakes(void)
{
	struct test_net_reader	r;
	struct timeval		tv = { 2, 0 };
	pthread_t		t;
	char			buf[16];
	ssize_t			n;
	int			a, b;

	CU_ASSERT_FATAL(test_net_pair(&a, &b) == 0);
	/* Bounds the test should the abort not wake the reader. */
	CU_ASSERT(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == 0);
	CU_ASSERT(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == 0);
	r.fd = a;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, test_net_read, &r) == 0);
	(void)usleep(100000);		/* let it block */
	net_abort(a);
	CU_ASSERT(pthread_join(t, NULL) == 0);
	CU_ASSERT_EQUAL(r.n, -1);
	CU_ASSERT(r.err != EAGAIN);	/* woken, not timed out */
	n = recv(b, buf, sizeof(buf), 0);
	CU_ASSERT_EQUAL(n, -1);
	CU_ASSERT_EQUAL(errno, ECONNRESET);
	(void)close(a);
	(void)close(b);
}

void
test_net_register(void)
{
	CU_pSuite	s = test_suite_add("net");

	test_add(s, "connect leaves no send timeout",
	    test_net_connect_leaves_no_send_timeout);
	test_add(s, "keepalive sets probes and user timeout",
	    test_net_keepalive_sets_probes_and_user_timeout);
	test_add(s, "abort resets the peer and wakes a reader",
	    test_net_abort_resets_and_wakes);
}
