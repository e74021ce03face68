/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_route_diag.c -- unit tests for the pure parts of src/route_diag.c:
 * which rtnetlink rule and route messages count as the return route's
 * rule and route, and the words that say what is gone. The dumps against
 * a real kernel are checked by tests/functional/route_watch.sh.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <stdint.h>
#include <string.h>

#include "route_diag.h"
#include "selfcheck.h"
#include "test_suites.h"

/* One message as the kernel would send it, built up attribute by attribute. */
struct msg {
	struct nlmsghdr	n;
	char		body[512];
} __attribute__((aligned(NLMSG_ALIGNTO)));

static void
msg_attr(struct msg *m, int type, const void *data, size_t len)
{
	struct rtattr	*rta;

	rta = (struct rtattr *)(void *)((char *)&m->n +
	    NLMSG_ALIGN(m->n.nlmsg_len));
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void
msg_u32(struct msg *m, int type, uint32_t v)
{
	msg_attr(m, type, &v, sizeof(v));
}

/*
 * "ip rule add from SRC/BITS [iif IIF] table TABLE", as the kernel dumps
 * it: the table in the header when it fits, and always in FRA_TABLE.
 */
static struct fib_rule_hdr *
rule(struct msg *m, const char *src, int bits, const char *iif,
    uint32_t table)
{
	struct fib_rule_hdr	*r;
	unsigned char		 a[16];
	int			 fam = strchr(src, ':') != NULL ? AF_INET6 :
				    AF_INET;

	memset(m, 0, sizeof(*m));
	m->n.nlmsg_type = RTM_NEWRULE;
	m->n.nlmsg_len = NLMSG_LENGTH(sizeof(*r));
	r = NLMSG_DATA(&m->n);
	r->family = (unsigned char)fam;
	r->src_len = (unsigned char)bits;
	r->action = FR_ACT_TO_TBL;
	r->table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	msg_u32(m, FRA_TABLE, table);
	msg_u32(m, FRA_PRIORITY, 32765);
	if (bits != 0) {
		CU_ASSERT_FATAL(inet_pton(fam, src, a) == 1);
		msg_attr(m, FRA_SRC, a, fam == AF_INET ? 4 : 16);
	}
	if (iif != NULL)
		msg_attr(m, FRA_IIFNAME, iif, strlen(iif) + 1);
	return (r);
}

/* "local PREFIX/BITS dev lo table TABLE". */
static struct rtmsg *
route(struct msg *m, int fam, int bits, int type, uint32_t table)
{
	struct rtmsg	*r;

	memset(m, 0, sizeof(*m));
	m->n.nlmsg_type = RTM_NEWROUTE;
	m->n.nlmsg_len = NLMSG_LENGTH(sizeof(*r));
	r = NLMSG_DATA(&m->n);
	r->rtm_family = (unsigned char)fam;
	r->rtm_dst_len = (unsigned char)bits;
	r->rtm_type = (unsigned char)type;
	r->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	msg_u32(m, RTA_TABLE, table);
	msg_u32(m, RTA_OIF, 1);
	return (r);
}

static struct selfcheck_addr *
backend(const char *ip, struct selfcheck_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, a->a) == 1) {
		a->family = AF_INET;
		a->len = 4;
	} else {
		CU_ASSERT_FATAL(inet_pton(AF_INET6, ip, a->a) == 1);
		a->family = AF_INET6;
		a->len = 16;
	}
	return (a);
}

static struct sockaddr *
sa_of(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		CU_ASSERT_FATAL(inet_pton(AF_INET6, ip,
		    &sin6->sin6_addr) == 1);
		sin6->sin6_family = AF_INET6;
	}
	return ((struct sockaddr *)ss);
}

static void
test_route_diag_rule_of_mmproxyd_routing_names_its_table(void)
{
	struct msg		m;
	struct selfcheck_addr	a;

	rule(&m, "127.0.0.1", 8, "lo", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("127.0.0.1", &a)),
	    123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("127.3.4.5", &a)),
	    123);
	rule(&m, "::1", 128, "lo", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("::1", &a)), 123);
}

static void
test_route_diag_rule_must_hold_the_backend_address(void)
{
	struct msg		m;
	struct selfcheck_addr	a;

	rule(&m, "127.0.0.1", 8, "lo", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("128.0.0.1", &a)),
	    0);
	rule(&m, "203.0.113.77", 32, "lo", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n,
	    backend("203.0.113.77", &a)), 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n,
	    backend("203.0.113.76", &a)), 0);
	rule(&m, "203.0.113.64", 27, NULL, 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n,
	    backend("203.0.113.95", &a)), 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n,
	    backend("203.0.113.96", &a)), 0);
	rule(&m, "::1", 128, "lo", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("::2", &a)), 0);
	/* The family must agree too. */
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("127.0.0.1", &a)),
	    0);
}

static void
test_route_diag_rule_from_all_and_without_iif_count(void)
{
	struct msg		m;
	struct selfcheck_addr	a;

	rule(&m, "0.0.0.0", 0, NULL, 100);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("10.1.2.3", &a)),
	    100);
	/* A table past 255 is in FRA_TABLE alone. */
	rule(&m, "127.0.0.1", 8, "lo", 100000);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, backend("127.0.0.1", &a)),
	    100000);
}

static void
test_route_diag_rule_that_selects_more_does_not_count(void)
{
	struct msg		 m;
	struct selfcheck_addr	 a;
	struct fib_rule_hdr	*r;

	backend("127.0.0.1", &a);
	rule(&m, "127.0.0.1", 8, "eth0", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	rule(&m, "127.0.0.1", 8, "lo0", 123);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	rule(&m, "127.0.0.1", 8, "lo", 123);
	msg_u32(&m, FRA_FWMARK, 1);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	rule(&m, "127.0.0.1", 8, "lo", 123);
	msg_u32(&m, FRA_FWMARK, 0);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 123);
	rule(&m, "127.0.0.1", 8, "lo", 123);
	msg_attr(&m, FRA_OIFNAME, "eth0", 5);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	r = rule(&m, "127.0.0.1", 8, "lo", 123);
	r->flags |= FIB_RULE_INVERT;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	r = rule(&m, "127.0.0.1", 8, "lo", 123);
	r->dst_len = 24;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	r = rule(&m, "127.0.0.1", 8, "lo", 123);
	r->tos = 0x10;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	r = rule(&m, "127.0.0.1", 8, "lo", 123);
	r->action = FR_ACT_UNREACHABLE;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
}

static void
test_route_diag_rule_to_a_system_table_does_not_count(void)
{
	struct msg		m;
	struct selfcheck_addr	a;

	backend("127.0.0.1", &a);
	rule(&m, "0.0.0.0", 0, NULL, RT_TABLE_LOCAL);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	rule(&m, "0.0.0.0", 0, NULL, RT_TABLE_MAIN);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	rule(&m, "0.0.0.0", 0, NULL, RT_TABLE_DEFAULT);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
}

static void
test_route_diag_rule_refuses_short_or_odd_messages(void)
{
	struct msg		 m;
	struct selfcheck_addr	 a;
	struct fib_rule_hdr	*r;

	backend("127.0.0.1", &a);
	rule(&m, "127.0.0.1", 8, "lo", 123);
	m.n.nlmsg_type = RTM_NEWROUTE;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	rule(&m, "127.0.0.1", 8, "lo", 123);
	m.n.nlmsg_len = NLMSG_LENGTH(sizeof(*r)) - 1;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	/* A prefix longer than the address, or without the address. */
	r = rule(&m, "127.0.0.1", 8, "lo", 123);
	r->src_len = 33;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	r = rule(&m, "0.0.0.0", 0, "lo", 123);
	r->src_len = 8;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
	/* An attribute that runs past the message is not read. */
	rule(&m, "0.0.0.0", 0, NULL, 100000);
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 100000);
	m.n.nlmsg_len = NLMSG_LENGTH(sizeof(*r)) + 4;
	CU_ASSERT_EQUAL(route_diag_rule_table(&m.n, &a), 0);
}

static void
test_route_diag_local_default_route_in_the_table(void)
{
	struct msg	m;

	route(&m, AF_INET, 0, RTN_LOCAL, 123);
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET, 123), 1);
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET, 124), 0);
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET6, 123), 0);
	route(&m, AF_INET6, 0, RTN_LOCAL, 100000);
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET6, 100000),
	    1);
}

static void
test_route_diag_other_routes_are_not_the_local_default(void)
{
	struct msg	m;

	route(&m, AF_INET, 0, RTN_UNICAST, 123);
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET, 123), 0);
	route(&m, AF_INET, 8, RTN_LOCAL, 123);
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET, 123), 0);
	route(&m, AF_INET, 0, RTN_LOCAL, 123);
	m.n.nlmsg_type = RTM_DELROUTE;
	CU_ASSERT_EQUAL(route_diag_is_local_default(&m.n, AF_INET, 123), 0);
}

static void
describe_is(const char *ip, int missing, int table, const char *want)
{
	struct sockaddr_storage	ss;
	char			buf[512];

	route_diag_describe(sa_of(ip, &ss), missing, table, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void
test_route_diag_describes_what_is_gone_with_its_command(void)
{
	describe_is("127.0.0.1", ROUTE_DIAG_NO_RULE, 123, "the rule is gone: "
	    "ip rule add from 127.0.0.1/8 iif lo table 123");
	describe_is("::1", ROUTE_DIAG_NO_ROUTE, 100, "the route is gone: "
	    "ip -6 route add local ::/0 dev lo table 100");
	describe_is("203.0.113.77", ROUTE_DIAG_NO_RULE | ROUTE_DIAG_NO_ROUTE,
	    123, "the rule and the route are gone: ip rule add from "
	    "203.0.113.77/32 iif lo table 123; ip route add local 0.0.0.0/0 "
	    "dev lo table 123");
	describe_is("::1", 0, 123, "the rule and the route of table 123 are "
	    "there, but a rule before them sends the replies elsewhere (see "
	    "ip -6 rule show)");
}

static void
test_route_diag_description_is_cut_short_but_terminated(void)
{
	struct sockaddr_storage	ss;
	char			buf[16];

	memset(buf, 'x', sizeof(buf));
	route_diag_describe(sa_of("127.0.0.1", &ss), ROUTE_DIAG_NO_RULE, 123,
	    buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "the rule is gon");
}

void
test_route_diag_register(void)
{
	CU_pSuite	s = test_suite_add("route_diag");

	test_add(s, "rule of mmproxyd-routing names its table",
	    test_route_diag_rule_of_mmproxyd_routing_names_its_table);
	test_add(s, "rule must hold the backend address",
	    test_route_diag_rule_must_hold_the_backend_address);
	test_add(s, "rule from all and without iif count",
	    test_route_diag_rule_from_all_and_without_iif_count);
	test_add(s, "rule that selects more does not count",
	    test_route_diag_rule_that_selects_more_does_not_count);
	test_add(s, "rule to a system table does not count",
	    test_route_diag_rule_to_a_system_table_does_not_count);
	test_add(s, "rule refuses short or odd messages",
	    test_route_diag_rule_refuses_short_or_odd_messages);
	test_add(s, "local default route in the table",
	    test_route_diag_local_default_route_in_the_table);
	test_add(s, "other routes are not the local default",
	    test_route_diag_other_routes_are_not_the_local_default);
	test_add(s, "describes what is gone with its command",
	    test_route_diag_describes_what_is_gone_with_its_command);
	test_add(s, "description is cut short but terminated",
	    test_route_diag_description_is_cut_short_but_terminated);
}
