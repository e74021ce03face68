/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_net.c -- unit tests for src/net.c over loopback: which listening
 * sockets take both families, the options a relay socket is left with,
 * and what an abort looks like from both ends. Without IPv6 the
 * dual-stack checks are skipped.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "net.h"

#include "test_suites.h"

static int
have_ipv6(void)
{
	int	fd;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return (0);
	(void)close(fd);
	return (1);
}

/* net_listen on s (port 0) with flags, its NET_FAMILY_s in *fam; or -1. */
static int
listen_on(const char *s, int socktype, int flags, int *fam)
{
	struct sockaddr_storage	ss;
	char			err[256];
	int			fd;

	CU_ASSERT_FATAL(addr_parse_listen(s, &ss, err, sizeof(err)) == 0);
	if ((fd = net_listen((struct sockaddr *)&ss, socktype, NET_SHARE_NONE,
	    flags)) == -1)
		return (-1);
	CU_ASSERT((*fam = net_listen_families(fd)) != -1);
	return (fd);
}

/* Connect to fd's port on 127.0.0.1: 0 when an IPv4 peer gets in. */
static int
ipv4_reaches(int lfd)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(ss);
	int			fd, rc;

	CU_ASSERT_FATAL(getsockname(lfd, (struct sockaddr *)&ss, &len) == 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)addr_port((struct sockaddr *)&ss));
	CU_ASSERT_FATAL((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	(void)close(fd);
	return (rc);
}

#define BOTH	(NET_FAMILY_IPV4 | NET_FAMILY_IPV6)

static void
test_net_listen_ipv6_wildcard_is_dual_stack(void)
{
	int	fd, fam = -1;

	if (!have_ipv6())
		return;
	CU_ASSERT_FATAL((fd = listen_on("[::]:0", SOCK_STREAM,
	    NET_LISTEN_DUAL_STACK, &fam)) != -1);
	CU_ASSERT(fam == BOTH);
	CU_ASSERT(ipv4_reaches(fd) == 0);
	(void)close(fd);
	CU_ASSERT_FATAL((fd = listen_on(":0", SOCK_STREAM,
	    NET_LISTEN_DUAL_STACK, &fam)) != -1);
	CU_ASSERT(fam == BOTH);
	CU_ASSERT(ipv4_reaches(fd) == 0);
	(void)close(fd);
	CU_ASSERT_FATAL((fd = listen_on("[::]:0", SOCK_DGRAM,
	    NET_LISTEN_DUAL_STACK, &fam)) != -1);
	CU_ASSERT(fam == BOTH);
	(void)close(fd);
}

static void
test_net_listen_ipv4_wildcard_is_dual_stack_as_go_listens(void)
{
	int	fd, fam = -1;

	CU_ASSERT_FATAL((fd = listen_on("0.0.0.0:0", SOCK_STREAM,
	    NET_LISTEN_DUAL_STACK, &fam)) != -1);
	/* Where the kernel has no IPv6 at all, IPv4 alone. */
	CU_ASSERT(fam == (have_ipv6() ? BOTH : NET_FAMILY_IPV4));
	CU_ASSERT(ipv4_reaches(fd) == 0);
	(void)close(fd);
	CU_ASSERT_FATAL((fd = listen_on("0.0.0.0:0", SOCK_DGRAM,
	    NET_LISTEN_DUAL_STACK, &fam)) != -1);
	CU_ASSERT(fam == (have_ipv6() ? BOTH : NET_FAMILY_IPV4));
	(void)close(fd);
}

static void
test_net_listen_wildcard_without_dual_stack_takes_its_family(void)
{
	int	fd, fam = -1;

	CU_ASSERT_FATAL((fd = listen_on("0.0.0.0:0", SOCK_STREAM, 0, &fam)) !=
	    -1);
	CU_ASSERT(fam == NET_FAMILY_IPV4);
	CU_ASSERT(ipv4_reaches(fd) == 0);
	(void)close(fd);
	if (!have_ipv6())
		return;
	CU_ASSERT_FATAL((fd = listen_on("[::]:0", SOCK_STREAM, 0, &fam)) !=
	    -1);
	CU_ASSERT(fam == NET_FAMILY_IPV6);
	CU_ASSERT(ipv4_reaches(fd) == -1);
	(void)close(fd);
}

static void
test_net_listen_specific_ipv6_address_is_ipv6_only(void)
{
	int	fd, fam = -1;

	if (!have_ipv6())
		return;
	fd = listen_on("[::1]:0", SOCK_STREAM, NET_LISTEN_DUAL_STACK, &fam);
	if (fd == -1 && errno == EADDRNOTAVAIL)
		return;		/* no ::1 in this namespace */
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT(fam == NET_FAMILY_IPV6);
	(void)close(fd);
	fd = listen_on("[::1]:0", SOCK_DGRAM, NET_LISTEN_DUAL_STACK, &fam);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT(fam == NET_FAMILY_IPV6);
	(void)close(fd);
}

/* 127.0.0.1, port port (network order, 0: any). */
static struct sockaddr *
loopback(struct sockaddr_in *sin, in_port_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = port;
	return ((struct sockaddr *)sin);
}

/* The port fd is bound to, network order. */
static in_port_t
bound_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	return (sin.sin_port);
}

/*
 * -listeners 4: the first socket binds alone and the others join it; a
 * second mmproxyd, whose first socket binds alone too, is refused.
 */
static void
sockets_of_one_process_share_a_port_and_no_one_else(int socktype)
{
	struct sockaddr_in	sin;
	in_port_t		port;
	int			fd[4], other, i;

	fd[0] = net_listen(loopback(&sin, 0), socktype, NET_SHARE_FIRST, 0);
	CU_ASSERT_FATAL(fd[0] != -1);
	port = bound_port(fd[0]);
	for (i = 1; i < 4; i++) {
		fd[i] = net_listen(loopback(&sin, port), socktype,
		    NET_SHARE_JOIN, 0);
		CU_ASSERT(fd[i] != -1);
	}
	errno = 0;
	other = net_listen(loopback(&sin, port), socktype, NET_SHARE_FIRST,
	    0);
	CU_ASSERT_EQUAL(other, -1);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	errno = 0;
	other = net_listen(loopback(&sin, port), socktype, NET_SHARE_NONE, 0);
	CU_ASSERT_EQUAL(other, -1);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	for (i = 0; i < 4; i++)
		if (fd[i] != -1)
			(void)close(fd[i]);
}

static void
test_net_listen_tcp_sockets_of_one_process_share_a_port(void)
{
	sockets_of_one_process_share_a_port_and_no_one_else(SOCK_STREAM);
}

static void
test_net_listen_udp_sockets_of_one_process_share_a_port(void)
{
	sockets_of_one_process_share_a_port_and_no_one_else(SOCK_DGRAM);
}

/*
 * SO_REUSEADDR on UDP would let a socket of any user that sets it too
 * bind the port and take its datagrams: the listener must not set it.
 */
static void
test_net_listen_udp_port_is_not_open_to_reuseaddr(void)
{
	struct sockaddr_in	sin;
	int			fd, other, one = 1;

	fd = net_listen(loopback(&sin, 0), SOCK_DGRAM, NET_SHARE_NONE, 0);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_FATAL((other = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	CU_ASSERT(setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == 0);
	errno = 0;
	CU_ASSERT_EQUAL(bind(other, loopback(&sin, bound_port(fd)),
	    sizeof(sin)), -1);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	(void)close(other);
	(void)close(fd);
}

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
	if ((ls = net_listen((struct sockaddr *)&sin, SOCK_STREAM,
	    NET_SHARE_NONE, 0)) == -1)
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
	CU_ASSERT_EQUAL(net_keepalive(a, 7000), 0);
	CU_ASSERT_EQUAL(test_net_getopt(a, SOL_SOCKET, SO_KEEPALIVE), 1);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPIDLE), 7);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPINTVL), 7);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPCNT),
	    NET_KEEPALIVE_PROBES);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_USER_TIMEOUT),
	    7 * (1 + NET_KEEPALIVE_PROBES) * 1000);
	/* A fraction of a second rounds up to whole seconds. */
	CU_ASSERT_EQUAL(net_keepalive(a, 2500), 0);
	CU_ASSERT_EQUAL(test_net_getopt(a, IPPROTO_TCP, TCP_KEEPIDLE), 3);
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

	test_add(s, "listen: the IPv6 wildcard is dual-stack",
	    test_net_listen_ipv6_wildcard_is_dual_stack);
	test_add(s, "IPv4 wildcard is dual-stack, as Go listens",
	    test_net_listen_ipv4_wildcard_is_dual_stack_as_go_listens);
	test_add(s, "wildcard without dual-stack takes its family",
	    test_net_listen_wildcard_without_dual_stack_takes_its_family);
	test_add(s, "listen: a specific IPv6 address is IPv6-only",
	    test_net_listen_specific_ipv6_address_is_ipv6_only);
	test_add(s, "listen: tcp sockets of one process share a port",
	    test_net_listen_tcp_sockets_of_one_process_share_a_port);
	test_add(s, "listen: udp sockets of one process share a port",
	    test_net_listen_udp_sockets_of_one_process_share_a_port);
	test_add(s, "listen: a udp port is not open to SO_REUSEADDR",
	    test_net_listen_udp_port_is_not_open_to_reuseaddr);
	test_add(s, "connect leaves no send timeout",
	    test_net_connect_leaves_no_send_timeout);
	test_add(s, "keepalive sets probes and user timeout",
	    test_net_keepalive_sets_probes_and_user_timeout);
	test_add(s, "abort resets the peer and wakes a reader",
	    test_net_abort_resets_and_wakes);
}
