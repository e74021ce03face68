/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_target.c -- unit tests for src/target.c: which source is spoofed
 * and which backend is dialled for each kind of header.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "addr.h"
#include "target.h"

#include "test_suites.h"

/* The listener's targets, which setup() fills. */
static struct endpoint	ep;

static struct sockaddr_storage
ss_of(const char *s)
{
	struct sockaddr_storage	ss;
	char			err[256];

	memset(&ss, 0, sizeof(ss));
	CU_ASSERT_FATAL(addr_parse(s, &ss, err, sizeof(err)) == 0);
	return (ss);
}

static void
setup(struct options *cfg, struct pp_header *h, const char *src,
    const char *dst)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(&ep, 0, sizeof(ep));
	ep.target4 = ss_of("127.0.0.1:443");
	ep.target6 = ss_of("[::1]:443");
	memset(h, 0, sizeof(*h));
	h->version = 2;
	h->action = PP_ACTION_PROXY;
	h->command = PP_CMD_PROXY;
	if (src != NULL) {
		h->src = ss_of(src);
		h->dst = ss_of(dst);
	}
}

static int
same(const struct sockaddr_storage *a, const char *b)
{
	struct sockaddr_storage	ss = ss_of(b);

	return (addr_equal((const struct sockaddr *)a,
	    (const struct sockaddr *)&ss));
}

static void
test_target_ipv4_client_goes_to_target4_and_is_spoofed(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, "192.0.2.1:5000", "198.51.100.1:443");
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(spoof == 1);
	CU_ASSERT(same(&src, "192.0.2.1:5000"));
	CU_ASSERT(same(&dst, "127.0.0.1:443"));
}

static void
test_target_ipv6_client_goes_to_target6(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, "[2001:db8::1]:5000", "[2001:db8::2]:443");
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(spoof == 1);
	CU_ASSERT(same(&src, "[2001:db8::1]:5000"));
	CU_ASSERT(same(&dst, "[::1]:443"));
}

static void
test_target_ipv6_client_behind_ipv4_balancer_goes_to_target6(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	/* The header's own families may differ without dynamic dest. */
	setup(&cfg, &h, "[2001:db8::1]:5000", "198.51.100.1:443");
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(same(&src, "[2001:db8::1]:5000"));
	CU_ASSERT(same(&dst, "[::1]:443"));
}

static void
test_target_mapped_client_is_unmapped_and_goes_to_target4(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, "[::ffff:192.0.2.1]:5000", "[2001:db8::2]:443");
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(src.ss_family == AF_INET);
	CU_ASSERT(same(&src, "192.0.2.1:5000"));
	CU_ASSERT(same(&dst, "127.0.0.1:443"));
}

static void
test_target_dynamic_destination_uses_header_destination(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, "192.0.2.1:5000", "198.51.100.7:8080");
	cfg.dynamic_destination = 1;
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(spoof == 1);
	CU_ASSERT(same(&src, "192.0.2.1:5000"));
	CU_ASSERT(same(&dst, "198.51.100.7:8080"));
}

static void
test_target_dynamic_destination_unmaps_both_ends(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	/* Mapped source, plain IPv4 destination: one family after all. */
	setup(&cfg, &h, "[::ffff:192.0.2.1]:5000",
	    "[::ffff:198.51.100.7]:8080");
	cfg.dynamic_destination = 1;
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(same(&src, "192.0.2.1:5000"));
	CU_ASSERT(same(&dst, "198.51.100.7:8080"));

	setup(&cfg, &h, "[::ffff:192.0.2.1]:5000", "198.51.100.7:8080");
	cfg.dynamic_destination = 1;
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == 0);
	CU_ASSERT(same(&dst, "198.51.100.7:8080"));
}

static void
test_target_dynamic_destination_refuses_mixed_families(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, "[2001:db8::1]:5000", "198.51.100.7:8080");
	cfg.dynamic_destination = 1;
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, "source and destination families differ");
}

static void
local_case(const char *local, int dynamic, const char *want)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst, loc;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, NULL, NULL);
	h.action = PP_ACTION_LOCAL;
	h.command = PP_CMD_LOCAL;
	cfg.dynamic_destination = dynamic;
	loc = ss_of(local);
	memset(&src, 0xaa, sizeof(src));
	CU_ASSERT(target_choose(&cfg, &ep, &h, (struct sockaddr *)&loc, &src,
	    &spoof, &dst, &why) == 0);
	CU_ASSERT(spoof == 0);
	CU_ASSERT(src.ss_family == AF_UNSPEC);
	CU_ASSERT(same(&dst, want));
}

static void
test_target_local_over_ipv4_goes_to_target4_unspoofed(void)
{
	local_case("198.51.100.1:8443", 0, "127.0.0.1:443");
}

static void
test_target_local_over_ipv6_goes_to_target6_unspoofed(void)
{
	local_case("[2001:db8::2]:8443", 0, "[::1]:443");
}

static void
test_target_local_over_mapped_address_goes_to_target4(void)
{
	local_case("[::ffff:198.51.100.1]:8443", 0, "127.0.0.1:443");
}

static void
test_target_local_with_dynamic_destination_still_uses_targets(void)
{
	local_case("198.51.100.1:8443", 1, "127.0.0.1:443");
	local_case("[2001:db8::2]:8443", 1, "[::1]:443");
}

static void
test_target_local_without_local_address_fails(void)
{
	struct options		 cfg;
	struct pp_header	 h;
	struct sockaddr_storage	 src, dst;
	const char		*why = NULL;
	int			 spoof = -1;

	setup(&cfg, &h, NULL, NULL);
	h.action = PP_ACTION_LOCAL;
	CU_ASSERT(target_choose(&cfg, &ep, &h, NULL, &src, &spoof, &dst,
	    &why) == -1);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT(spoof == 0);
}

void
test_target_register(void)
{
	CU_pSuite	s = test_suite_add("target");

	test_add(s, "IPv4 client goes to -4 and is spoofed",
	    test_target_ipv4_client_goes_to_target4_and_is_spoofed);
	test_add(s, "IPv6 client goes to -6",
	    test_target_ipv6_client_goes_to_target6);
	test_add(s, "IPv6 client behind IPv4 balancer goes to -6",
	    test_target_ipv6_client_behind_ipv4_balancer_goes_to_target6);
	test_add(s, "mapped client is unmapped and goes to -4",
	    test_target_mapped_client_is_unmapped_and_goes_to_target4);
	test_add(s, "dynamic destination uses header destination",
	    test_target_dynamic_destination_uses_header_destination);
	test_add(s, "dynamic destination unmaps both ends",
	    test_target_dynamic_destination_unmaps_both_ends);
	test_add(s, "dynamic destination refuses mixed families",
	    test_target_dynamic_destination_refuses_mixed_families);
	test_add(s, "LOCAL over IPv4 goes to -4 unspoofed",
	    test_target_local_over_ipv4_goes_to_target4_unspoofed);
	test_add(s, "LOCAL over IPv6 goes to -6 unspoofed",
	    test_target_local_over_ipv6_goes_to_target6_unspoofed);
	test_add(s, "LOCAL over mapped address goes to -4",
	    test_target_local_over_mapped_address_goes_to_target4);
	test_add(s, "LOCAL with dynamic destination still uses -4/-6",
	    test_target_local_with_dynamic_destination_still_uses_targets);
	test_add(s, "LOCAL without local address fails",
	    test_target_local_without_local_address_fails);
}
