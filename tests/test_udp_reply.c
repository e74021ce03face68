/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_udp_reply.c -- which replies need a socket of their own, and the
 * reply sockets shared by original destination.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>

#include "udp_reply.h"
#include "test_suites.h"

static void
test_udp_reply_addr(union udp_flow_addr *a, const char *ip, int port)
{
	memset(a, 0, sizeof(*a));
	if (strchr(ip, ':') != NULL) {
		a->sin6.sin6_family = AF_INET6;
		a->sin6.sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &a->sin6.sin6_addr);
	} else {
		a->sin.sin_family = AF_INET;
		a->sin.sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &a->sin.sin_addr);
	}
}

static void
test_udp_reply_needs_a_socket_only_for_another_port(void)
{
	union udp_flow_addr	local, reached;

	test_udp_reply_addr(&local, "0.0.0.0", 8443);
	test_udp_reply_addr(&reached, "203.0.113.50", 8443);
	CU_ASSERT_FALSE(udp_reply_needs_sock(&local, &reached));
	test_udp_reply_addr(&reached, "203.0.113.50", 10000);
	CU_ASSERT_TRUE(udp_reply_needs_sock(&local, &reached));
	test_udp_reply_addr(&local, "::", 8444);
	test_udp_reply_addr(&reached, "2001:db8::50", 8444);
	CU_ASSERT_FALSE(udp_reply_needs_sock(&local, &reached));
	test_udp_reply_addr(&reached, "2001:db8::50", 10010);
	CU_ASSERT_TRUE(udp_reply_needs_sock(&local, &reached));
	/* Not known: the listener answers. */
	memset(&reached, 0, sizeof(reached));
	CU_ASSERT_FALSE(udp_reply_needs_sock(&local, &reached));
}

static void
test_udp_reply_sockets_are_shared_and_closed_with_the_last(void)
{
	struct udp_reply_set	 s;
	struct udp_reply_sock	*a, *b, *c;
	union udp_flow_addr	 x, y;

	udp_reply_init(&s);
	test_udp_reply_addr(&x, "127.0.0.1", 0);
	test_udp_reply_addr(&y, "127.0.0.2", 0);
	/* Port 0: any free one, so the test never meets a bound port. */
	if ((a = udp_reply_get(&s, &x)) == NULL && errno == EPERM)
		return;		/* IP_TRANSPARENT needs CAP_NET_ADMIN */
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	b = udp_reply_get(&s, &x);
	CU_ASSERT_PTR_EQUAL(b, a);
	CU_ASSERT_EQUAL(a->refs, 2);
	CU_ASSERT_EQUAL(udp_reply_len(&s), 1);
	c = udp_reply_get(&s, &y);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_EQUAL(c, a);
	CU_ASSERT_EQUAL(udp_reply_len(&s), 2);
	CU_ASSERT_EQUAL(udp_reply_put(&s, a), 0);
	CU_ASSERT_EQUAL(udp_reply_len(&s), 2);
	CU_ASSERT_EQUAL(udp_reply_put(&s, b), 0);
	CU_ASSERT_EQUAL(udp_reply_len(&s), 1);
	/* A new get after the last put opens a new socket. */
	a = udp_reply_get(&s, &x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->refs, 1);
	CU_ASSERT_EQUAL(udp_reply_len(&s), 2);
	udp_reply_free(&s);
	CU_ASSERT_EQUAL(udp_reply_len(&s), 0);
}

void
test_udp_reply_register(void)
{
	CU_pSuite	s = test_suite_add("udp_reply");

	test_add(s, "needs a socket only for another port",
	    test_udp_reply_needs_a_socket_only_for_another_port);
	test_add(s, "sockets are shared and closed with the last",
	    test_udp_reply_sockets_are_shared_and_closed_with_the_last);
}
