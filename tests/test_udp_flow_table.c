/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_udp_flow_table.c -- the UDP flow table: hashing, LRU order, expiry,
 * eviction at capacity, and 100k flows.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "test_suites.h"
#include "udp_flow_table.h"

static const uint8_t	test_seed[16] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
};

/* 10.x.y.z:port for flow number i, so 100k flows are all distinct. */
static void
test_flow_key4(uint32_t i, int port, struct udp_flow_key *key)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a000000U | i);
	sin.sin_port = htons(port);
	CU_ASSERT_FATAL(udp_flow_table_key((struct sockaddr *)&sin, 0,
	    key) == 0);
}

static void
test_flow_key6(const char *a, int port, int tag, struct udp_flow_key *key)
{
	struct sockaddr_in6	sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	CU_ASSERT_FATAL(inet_pton(AF_INET6, a, &sin6.sin6_addr) == 1);
	CU_ASSERT_FATAL(udp_flow_table_key((struct sockaddr *)&sin6, tag,
	    key) == 0);
}

static void
test_udp_flow_table_finds_what_was_inserted(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 a, b;
	struct udp_flow		*fa, *fb;

	CU_ASSERT_FATAL(udp_flow_table_init(&t, 8, test_seed) == 0);
	test_flow_key4(1, 1000, &a);
	test_flow_key4(1, 1001, &b);
	CU_ASSERT(udp_flow_table_lookup(&t, &a) == NULL);
	fa = udp_flow_table_insert(&t, &a, 5);
	fb = udp_flow_table_insert(&t, &b, 6);
	CU_ASSERT_FATAL(fa != NULL && fb != NULL);
	CU_ASSERT(fa->fd == -1);
	CU_ASSERT(fa->last == 5);
	CU_ASSERT(udp_flow_table_lookup(&t, &a) == fa);
	CU_ASSERT(udp_flow_table_lookup(&t, &b) == fb);
	CU_ASSERT(udp_flow_table_len(&t) == 2);
	udp_flow_table_free(&t);
}

static void
test_udp_flow_table_tells_families_and_tags_apart(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 v4, v6, v6tag;
	struct sockaddr_in	 sin;

	CU_ASSERT_FATAL(udp_flow_table_init(&t, 8, test_seed) == 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	CU_ASSERT_FATAL(udp_flow_table_key((struct sockaddr *)&sin, 0,
	    &v4) == 0);
	test_flow_key6("::", 53, 0, &v6);
	test_flow_key6("::", 53, 1, &v6tag);
	CU_ASSERT_FATAL(udp_flow_table_insert(&t, &v4, 1) != NULL);
	CU_ASSERT(udp_flow_table_lookup(&t, &v6) == NULL);
	CU_ASSERT_FATAL(udp_flow_table_insert(&t, &v6, 1) != NULL);
	CU_ASSERT(udp_flow_table_lookup(&t, &v6tag) == NULL);
	CU_ASSERT(udp_flow_table_lookup(&t, &v6) !=
	    udp_flow_table_lookup(&t, &v4));
	udp_flow_table_free(&t);
}

static void
test_udp_flow_table_rejects_unix_addresses(void)
{
	struct sockaddr_storage	ss;
	struct udp_flow_key	key;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	CU_ASSERT(udp_flow_table_key((struct sockaddr *)&ss, 0, &key) == -1);
}

static void
test_udp_flow_table_gives_the_key_back_as_an_address(void)
{
	struct udp_flow_key	key;
	union udp_flow_addr	fa;
	char			buf[INET6_ADDRSTRLEN];

	test_flow_key6("2001:db8::7", 4242, 0, &key);
	udp_flow_table_key_addr(&key, &fa);
	CU_ASSERT(fa.sa.sa_family == AF_INET6);
	CU_ASSERT(ntohs(fa.sin6.sin6_port) == 4242);
	CU_ASSERT_FATAL(inet_ntop(AF_INET6, &fa.sin6.sin6_addr, buf,
	    sizeof(buf)) != NULL);
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8::7");
	test_flow_key4(0x010203, 80, &key);
	udp_flow_table_key_addr(&key, &fa);
	CU_ASSERT(fa.sa.sa_family == AF_INET);
	CU_ASSERT(fa.sin.sin_addr.s_addr == htonl(0x0a010203));
	CU_ASSERT(ntohs(fa.sin.sin_port) == 80);
}

static void
test_udp_flow_table_touch_makes_a_flow_the_newest(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 k[3];
	struct udp_flow		*f[3];
	int			 i;

	CU_ASSERT_FATAL(udp_flow_table_init(&t, 8, test_seed) == 0);
	for (i = 0; i < 3; i++) {
		test_flow_key4(i, 1, &k[i]);
		f[i] = udp_flow_table_insert(&t, &k[i], 10 + i);
		CU_ASSERT_FATAL(f[i] != NULL);
	}
	CU_ASSERT(udp_flow_table_oldest(&t) == f[0]);
	udp_flow_table_touch(&t, f[0], 20);
	CU_ASSERT(f[0]->last == 20);
	CU_ASSERT(udp_flow_table_oldest(&t) == f[1]);
	udp_flow_table_touch(&t, f[1], 21);
	CU_ASSERT(udp_flow_table_oldest(&t) == f[2]);
	/* Touching the newest again keeps the order. */
	udp_flow_table_touch(&t, f[1], 22);
	CU_ASSERT(udp_flow_table_oldest(&t) == f[2]);
	udp_flow_table_free(&t);
}

static void
test_udp_flow_table_expires_flows_idle_since_the_cutoff(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 k;
	struct udp_flow		*f, *keep;
	uint64_t		 i;
	int			 n;

	CU_ASSERT_FATAL(udp_flow_table_init(&t, 16, test_seed) == 0);
	for (i = 0; i < 10; i++) {
		test_flow_key4(i, 9, &k);
		CU_ASSERT_FATAL(udp_flow_table_insert(&t, &k, 1000 + i) !=
		    NULL);
	}
	/* Flow 2 was busy later: it must survive the sweep. */
	test_flow_key4(2, 9, &k);
	keep = udp_flow_table_lookup(&t, &k);
	CU_ASSERT_FATAL(keep != NULL);
	udp_flow_table_touch(&t, keep, 2000);

	CU_ASSERT(udp_flow_table_expired(&t, 999) == NULL);
	n = 0;
	while ((f = udp_flow_table_expired(&t, 1004)) != NULL && n < 100) {
		CU_ASSERT(f->last <= 1004);
		CU_ASSERT(f != keep);
		udp_flow_table_remove(&t, f);
		n++;
	}
	CU_ASSERT(n == 4);		/* 1000, 1001, 1003, 1004 */
	CU_ASSERT(udp_flow_table_len(&t) == 6);
	CU_ASSERT(udp_flow_table_oldest(&t)->last == 1005);
	CU_ASSERT(udp_flow_table_lookup(&t, &k) == keep);
	test_flow_key4(0, 9, &k);
	CU_ASSERT(udp_flow_table_lookup(&t, &k) == NULL);
	udp_flow_table_free(&t);
}

static void
test_udp_flow_table_evicts_the_least_recently_used_at_capacity(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 k[4];
	struct udp_flow		*f[4], *victim;
	int			 i;

	CU_ASSERT_FATAL(udp_flow_table_init(&t, 3, test_seed) == 0);
	for (i = 0; i < 3; i++) {
		test_flow_key4(i, 7, &k[i]);
		f[i] = udp_flow_table_insert(&t, &k[i], i);
		CU_ASSERT_FATAL(f[i] != NULL);
	}
	CU_ASSERT(udp_flow_table_full(&t));
	test_flow_key4(3, 7, &k[3]);
	errno = 0;
	CU_ASSERT(udp_flow_table_insert(&t, &k[3], 5) == NULL);
	CU_ASSERT(errno == ENOSPC);

	udp_flow_table_touch(&t, f[0], 6);
	victim = udp_flow_table_oldest(&t);
	CU_ASSERT(victim == f[1]);
	udp_flow_table_remove(&t, victim);
	CU_ASSERT(!udp_flow_table_full(&t));
	f[3] = udp_flow_table_insert(&t, &k[3], 7);
	CU_ASSERT_FATAL(f[3] != NULL);
	CU_ASSERT(udp_flow_table_lookup(&t, &k[1]) == NULL);
	CU_ASSERT(udp_flow_table_lookup(&t, &k[0]) == f[0]);
	CU_ASSERT(udp_flow_table_lookup(&t, &k[2]) == f[2]);
	CU_ASSERT(udp_flow_table_lookup(&t, &k[3]) == f[3]);
	CU_ASSERT(udp_flow_table_oldest(&t) == f[2]);
	udp_flow_table_free(&t);
}

static void
test_udp_flow_table_removes_from_the_middle_of_a_chain(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 k;
	struct udp_flow		*f;
	uint32_t		 i;

	/* 64 flows in 16 buckets: every chain has several entries. */
	CU_ASSERT_FATAL(udp_flow_table_init(&t, 16, test_seed) == 0);
	t.cap = 64;
	for (i = 0; i < 64; i++) {
		test_flow_key4(i, 1, &k);
		CU_ASSERT_FATAL(udp_flow_table_insert(&t, &k, i) != NULL);
	}
	for (i = 0; i < 64; i += 2) {
		test_flow_key4(i, 1, &k);
		f = udp_flow_table_lookup(&t, &k);
		CU_ASSERT_FATAL(f != NULL);
		udp_flow_table_remove(&t, f);
	}
	for (i = 0; i < 64; i++) {
		test_flow_key4(i, 1, &k);
		f = udp_flow_table_lookup(&t, &k);
		CU_ASSERT((f != NULL) == (i % 2 == 1));
	}
	CU_ASSERT(udp_flow_table_len(&t) == 32);
	CU_ASSERT(udp_flow_table_oldest(&t)->last == 1);
	udp_flow_table_free(&t);
}

static void
test_udp_flow_table_holds_100k_flows(void)
{
	struct udp_flow_table	 t;
	struct udp_flow_key	 k;
	struct udp_flow		*f;
	uint32_t		 i, bad = 0, n;

	CU_ASSERT_FATAL(udp_flow_table_init(&t, 100000, test_seed) == 0);
	for (i = 0; i < 100000; i++) {
		test_flow_key4(i, 40000 + (i % 1000), &k);
		f = udp_flow_table_insert(&t, &k, i);
		if (f == NULL) {
			bad++;
			continue;
		}
		f->fd = (int)i;
	}
	CU_ASSERT(bad == 0);
	CU_ASSERT(udp_flow_table_len(&t) == 100000);
	CU_ASSERT(udp_flow_table_full(&t));
	for (i = 0; i < 100000; i++) {
		test_flow_key4(i, 40000 + (i % 1000), &k);
		f = udp_flow_table_lookup(&t, &k);
		if (f == NULL || f->fd != (int)i)
			bad++;
	}
	CU_ASSERT(bad == 0);
	/* Expire the first half by time, oldest first. */
	n = 0;
	while ((f = udp_flow_table_expired(&t, 49999)) != NULL && n <= 100000) {
		if (f->fd != (int)n)
			bad++;
		udp_flow_table_remove(&t, f);
		n++;
	}
	CU_ASSERT(n == 50000);
	CU_ASSERT(bad == 0);
	CU_ASSERT(udp_flow_table_len(&t) == 50000);
	test_flow_key4(50000, 40000, &k);
	CU_ASSERT(udp_flow_table_lookup(&t, &k) != NULL);
	test_flow_key4(49999, 40999, &k);
	CU_ASSERT(udp_flow_table_lookup(&t, &k) == NULL);
	udp_flow_table_free(&t);
	CU_ASSERT(udp_flow_table_len(&t) == 0);
}

static void
test_udp_flow_table_refuses_zero_capacity(void)
{
	struct udp_flow_table	t;

	CU_ASSERT(udp_flow_table_init(&t, 0, test_seed) == -1);
}

void
test_udp_flow_table_register(void)
{
	CU_pSuite	s = test_suite_add("udp_flow_table");

	test_add(s, "finds what was inserted",
	    test_udp_flow_table_finds_what_was_inserted);
	test_add(s, "tells families and tags apart",
	    test_udp_flow_table_tells_families_and_tags_apart);
	test_add(s, "rejects unix addresses",
	    test_udp_flow_table_rejects_unix_addresses);
	test_add(s, "gives the key back as an address",
	    test_udp_flow_table_gives_the_key_back_as_an_address);
	test_add(s, "touch makes a flow the newest",
	    test_udp_flow_table_touch_makes_a_flow_the_newest);
	test_add(s, "expires flows idle since the cutoff",
	    test_udp_flow_table_expires_flows_idle_since_the_cutoff);
	test_add(s, "evicts the least recently used at capacity",
	    test_udp_flow_table_evicts_the_least_recently_used_at_capacity);
	test_add(s, "removes from the middle of a chain",
	    test_udp_flow_table_removes_from_the_middle_of_a_chain);
	test_add(s, "holds 100k flows",
	    test_udp_flow_table_holds_100k_flows);
	test_add(s, "refuses zero capacity",
	    test_udp_flow_table_refuses_zero_capacity);
}
