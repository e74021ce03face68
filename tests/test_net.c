/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_net.c -- unit tests for src/net.c: which listening sockets take
 * both families. Loopback only; without IPv6 the checks are skipped.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
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

/* net_listen on s (port 0), its IPV6_V6ONLY in *v6only; fd or -1. */
static int
listen_on(const char *s, int socktype, int *v6only)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(*v6only);
	char			err[256];
	int			fd;

	CU_ASSERT_FATAL(addr_parse_listen(s, &ss, err, sizeof(err)) == 0);
	if ((fd = net_listen((struct sockaddr *)&ss, socktype, 0, 0)) == -1)
		return (-1);
	CU_ASSERT(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only,
	    &len) == 0);
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

static void
test_net_listen_ipv6_wildcard_is_dual_stack(void)
{
	int	fd, v6only = -1;

	if (!have_ipv6())
		return;
	CU_ASSERT_FATAL((fd = listen_on("[::]:0", SOCK_STREAM, &v6only)) !=
	    -1);
	CU_ASSERT(v6only == 0);
	CU_ASSERT(ipv4_reaches(fd) == 0);
	(void)close(fd);
	CU_ASSERT_FATAL((fd = listen_on(":0", SOCK_STREAM, &v6only)) != -1);
	CU_ASSERT(v6only == 0);
	CU_ASSERT(ipv4_reaches(fd) == 0);
	(void)close(fd);
	CU_ASSERT_FATAL((fd = listen_on("[::]:0", SOCK_DGRAM, &v6only)) != -1);
	CU_ASSERT(v6only == 0);
	(void)close(fd);
}

static void
test_net_listen_specific_ipv6_address_is_ipv6_only(void)
{
	int	fd, v6only = -1;

	if (!have_ipv6())
		return;
	fd = listen_on("[::1]:0", SOCK_STREAM, &v6only);
	if (fd == -1 && errno == EADDRNOTAVAIL)
		return;		/* no ::1 in this namespace */
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT(v6only == 1);
	(void)close(fd);
	fd = listen_on("[::1]:0", SOCK_DGRAM, &v6only);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT(v6only == 1);
	(void)close(fd);
}

void
test_net_register(void)
{
	CU_pSuite	s = test_suite_add("net");

	test_add(s, "listen: the IPv6 wildcard is dual-stack",
	    test_net_listen_ipv6_wildcard_is_dual_stack);
	test_add(s, "listen: a specific IPv6 address is IPv6-only",
	    test_net_listen_specific_ipv6_address_is_ipv6_only);
}
