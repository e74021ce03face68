/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_addr.c -- unit tests for src/addr.c: "HOST:PORT" parsing, the
 * forms it must refuse, formatting and the small helpers.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "addr.h"

#include "test_suites.h"

static int
parse(const char *s, struct sockaddr_storage *ss)
{
	char	err[256];

	memset(ss, 0, sizeof(*ss));
	return (addr_parse(s, ss, err, sizeof(err)));
}

static const char *
fmt(const struct sockaddr_storage *ss)
{
	static char	buf[ADDR_STRLEN];

	return (addr_format((const struct sockaddr *)ss, buf, sizeof(buf)));
}

static void
test_addr_parses_ipv4_with_port(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

	CU_ASSERT_FATAL(parse("192.0.2.1:80", &ss) == 0);
	CU_ASSERT(ss.ss_family == AF_INET);
	CU_ASSERT(sin->sin_addr.s_addr == htonl(0xc0000201));
	CU_ASSERT(ntohs(sin->sin_port) == 80);
}

static void
test_addr_parses_bracketed_ipv6_with_port(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct in6_addr		 want;

	CU_ASSERT_FATAL(parse("[2001:db8::1]:65535", &ss) == 0);
	CU_ASSERT(ss.ss_family == AF_INET6);
	inet_pton(AF_INET6, "2001:db8::1", &want);
	CU_ASSERT(memcmp(&sin6->sin6_addr, &want, sizeof(want)) == 0);
	CU_ASSERT(ntohs(sin6->sin6_port) == 65535);
}

static void
test_addr_resolves_localhost(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	CU_ASSERT_FATAL(parse("localhost:80", &ss) == 0);
	CU_ASSERT(addr_port((struct sockaddr *)&ss) == 80);
	if (ss.ss_family == AF_INET) {
		CU_ASSERT((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	} else {
		CU_ASSERT_FATAL(ss.ss_family == AF_INET6);
		CU_ASSERT(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	}
}

static void
test_addr_rejects_missing_port(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT(parse("192.0.2.1", &ss) == -1);
	CU_ASSERT(parse("192.0.2.1:", &ss) == -1);
	CU_ASSERT(parse("[2001:db8::1]", &ss) == -1);
	CU_ASSERT(parse("[2001:db8::1]:", &ss) == -1);
	CU_ASSERT(parse("localhost", &ss) == -1);
}

static void
test_addr_rejects_port_over_65535(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT(parse("192.0.2.1:65536", &ss) == -1);
	CU_ASSERT(parse("[::1]:99999999999999999999", &ss) == -1);
	CU_ASSERT(parse("192.0.2.1:65535", &ss) == 0);
}

static void
test_addr_rejects_signed_or_trailing_garbage_port(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT(parse("192.0.2.1:+80", &ss) == -1);
	CU_ASSERT(parse("192.0.2.1:-80", &ss) == -1);
	CU_ASSERT(parse("192.0.2.1:80x", &ss) == -1);
	CU_ASSERT(parse("192.0.2.1: 80", &ss) == -1);
	CU_ASSERT(parse("[::1]:80]", &ss) == -1);
}

static void
test_addr_rejects_leading_garbage(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT(parse(" 192.0.2.1:80", &ss) == -1);
	CU_ASSERT(parse("@192.0.2.1:80", &ss) == -1);
	CU_ASSERT(parse("x[::1]:80", &ss) == -1);
	CU_ASSERT(parse("-host:80", &ss) == -1);
}

static void
test_addr_rejects_empty_host(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT(parse(":80", &ss) == -1);
	CU_ASSERT(parse("[]:80", &ss) == -1);
	CU_ASSERT(parse("", &ss) == -1);
}

static void
test_addr_rejects_unbracketed_ipv6_with_port(void)
{
	struct sockaddr_storage	ss;
	char			err[256] = "";

	CU_ASSERT(addr_parse("2001:db8::1:80", &ss, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "2001:db8::1:80") != NULL);
	CU_ASSERT(parse("::1:80", &ss) == -1);
}

static void
test_addr_rejects_short_ipv4_forms_and_bad_literals(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT(parse("127.1:80", &ss) == -1);
	CU_ASSERT(parse("300.1.1.1:80", &ss) == -1);
	CU_ASSERT(parse("[192.0.2.1]:80", &ss) == -1);
	CU_ASSERT(parse("[2001:db8::g]:80", &ss) == -1);
}

static void
test_addr_formats_both_families(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT_FATAL(parse("192.0.2.1:80", &ss) == 0);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "192.0.2.1:80");
	CU_ASSERT_FATAL(parse("[2001:DB8:0::1]:443", &ss) == 0);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "[2001:db8::1]:443");
}

static void
test_addr_formats_mapped_as_ipv4(void)
{
	struct sockaddr_storage	ss;

	/* An IPv4 peer on a dual-stack listener reads as IPv4 in the log. */
	CU_ASSERT_FATAL(parse("[::ffff:203.0.113.2]:51776", &ss) == 0);
	CU_ASSERT(ss.ss_family == AF_INET6);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "203.0.113.2:51776");
	/* The same bytes elsewhere are IPv6. */
	CU_ASSERT_FATAL(parse("[::203.0.113.2]:1", &ss) == 0);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "[::203.0.113.2]:1");
}

static void
test_addr_format_fits_longest_ipv6(void)
{
	struct sockaddr_storage	ss;
	const char		*s;

	CU_ASSERT_FATAL(parse("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	    &ss) == 0);
	s = fmt(&ss);
	CU_ASSERT_STRING_EQUAL(s,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	CU_ASSERT(strlen(s) < ADDR_STRLEN);
}

static void
test_addr_unmap_turns_mapped_into_ipv4_keeping_port(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT_FATAL(parse("[::ffff:192.0.2.9]:1234", &ss) == 0);
	CU_ASSERT(ss.ss_family == AF_INET6);
	addr_unmap(&ss);
	CU_ASSERT(ss.ss_family == AF_INET);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "192.0.2.9:1234");
}

static void
test_addr_unmap_leaves_other_addresses_alone(void)
{
	struct sockaddr_storage	ss, before;

	CU_ASSERT_FATAL(parse("[2001:db8::ffff:c000:209]:1234", &ss) == 0);
	before = ss;
	addr_unmap(&ss);
	CU_ASSERT(memcmp(&ss, &before, sizeof(ss)) == 0);
	CU_ASSERT_FATAL(parse("192.0.2.9:1", &ss) == 0);
	before = ss;
	addr_unmap(&ss);
	CU_ASSERT(memcmp(&ss, &before, sizeof(ss)) == 0);
}

static void
test_addr_len_port_and_set_port_follow_family(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT_FATAL(parse("192.0.2.1:80", &ss) == 0);
	CU_ASSERT(addr_len((struct sockaddr *)&ss) ==
	    sizeof(struct sockaddr_in));
	addr_set_port(&ss, 8080);
	CU_ASSERT(addr_port((struct sockaddr *)&ss) == 8080);

	CU_ASSERT_FATAL(parse("[::1]:80", &ss) == 0);
	CU_ASSERT(addr_len((struct sockaddr *)&ss) ==
	    sizeof(struct sockaddr_in6));
	addr_set_port(&ss, 65535);
	CU_ASSERT(addr_port((struct sockaddr *)&ss) == 65535);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	CU_ASSERT(addr_len((struct sockaddr *)&ss) == 0);
	CU_ASSERT(addr_port((struct sockaddr *)&ss) == -1);
}

static void
test_addr_equal_compares_family_address_and_port(void)
{
	struct sockaddr_storage	a, b;

	CU_ASSERT_FATAL(parse("192.0.2.1:80", &a) == 0);
	CU_ASSERT_FATAL(parse("192.0.2.1:80", &b) == 0);
	CU_ASSERT(addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("192.0.2.1:81", &b) == 0);
	CU_ASSERT(!addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("192.0.2.2:80", &b) == 0);
	CU_ASSERT(!addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("[::ffff:192.0.2.1]:80", &b) == 0);
	CU_ASSERT(!addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("[::1]:80", &a) == 0);
	CU_ASSERT_FATAL(parse("[::1]:80", &b) == 0);
	CU_ASSERT(addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("[::2]:80", &b) == 0);
	CU_ASSERT(!addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
}

static void
test_addr_same_host_ignores_the_ports(void)
{
	struct sockaddr_storage	a, b;

	CU_ASSERT_FATAL(parse("192.0.2.1:80", &a) == 0);
	CU_ASSERT_FATAL(parse("192.0.2.1:81", &b) == 0);
	CU_ASSERT(addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("192.0.2.2:80", &b) == 0);
	CU_ASSERT(!addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("[::ffff:192.0.2.1]:80", &b) == 0);
	CU_ASSERT(!addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("[2001:db8::1]:80", &a) == 0);
	CU_ASSERT_FATAL(parse("[2001:db8::1]:443", &b) == 0);
	CU_ASSERT(addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
	CU_ASSERT_FATAL(parse("[2001:db8::2]:80", &b) == 0);
	CU_ASSERT(!addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
}

static void
test_addr_is_wildcard_only_for_unspecified(void)
{
	struct sockaddr_storage	a;

	CU_ASSERT_FATAL(parse("0.0.0.0:8443", &a) == 0);
	CU_ASSERT(addr_is_wildcard((struct sockaddr *)&a));
	CU_ASSERT_FATAL(parse("[::]:8443", &a) == 0);
	CU_ASSERT(addr_is_wildcard((struct sockaddr *)&a));
	CU_ASSERT_FATAL(parse("127.0.0.1:8443", &a) == 0);
	CU_ASSERT(!addr_is_wildcard((struct sockaddr *)&a));
	CU_ASSERT_FATAL(parse("[::1]:8443", &a) == 0);
	CU_ASSERT(!addr_is_wildcard((struct sockaddr *)&a));
	/* ::ffff:0.0.0.0 is a mapped address, not the IPv6 wildcard. */
	CU_ASSERT_FATAL(parse("[::ffff:0.0.0.0]:8443", &a) == 0);
	CU_ASSERT(!addr_is_wildcard((struct sockaddr *)&a));
	memset(&a, 0, sizeof(a));
	a.ss_family = AF_UNIX;
	CU_ASSERT(!addr_is_wildcard((struct sockaddr *)&a));
}

static int
parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char	err[256];

	memset(ss, 0xa5, sizeof(*ss));
	return (addr_parse_listen(s, ss, err, sizeof(err)));
}

static void
test_addr_listen_empty_host_is_ipv6_wildcard(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	CU_ASSERT_FATAL(parse_listen(":8443", &ss) == 0);
	CU_ASSERT(ss.ss_family == AF_INET6);
	CU_ASSERT(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	CU_ASSERT(sin6->sin6_scope_id == 0);
	CU_ASSERT(sin6->sin6_flowinfo == 0);
	CU_ASSERT(addr_is_wildcard((struct sockaddr *)&ss));
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "[::]:8443");
	CU_ASSERT_FATAL(parse_listen(":0", &ss) == 0);
	CU_ASSERT(addr_port((struct sockaddr *)&ss) == 0);
	CU_ASSERT_FATAL(parse_listen(":65535", &ss) == 0);
	CU_ASSERT(addr_port((struct sockaddr *)&ss) == 65535);
}

static void
test_addr_listen_rejects_bad_port_after_empty_host(void)
{
	struct sockaddr_storage	ss;
	char			err[256] = "";

	CU_ASSERT(addr_parse_listen(":65536", &ss, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, ":65536") != NULL);
	CU_ASSERT(parse_listen(":", &ss) == -1);
	CU_ASSERT(parse_listen(":+80", &ss) == -1);
	CU_ASSERT(parse_listen(":80x", &ss) == -1);
	CU_ASSERT(parse_listen(": 80", &ss) == -1);
	CU_ASSERT(parse_listen("", &ss) == -1);
	/* Still an unbracketed IPv6 address, not ":PORT". */
	CU_ASSERT(addr_parse_listen("::1:80", &ss, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "brackets") != NULL);
	CU_ASSERT(parse_listen("::80", &ss) == -1);
}

static void
test_addr_listen_takes_what_addr_parse_takes(void)
{
	struct sockaddr_storage	ss;

	CU_ASSERT_FATAL(parse_listen("192.0.2.1:80", &ss) == 0);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "192.0.2.1:80");
	CU_ASSERT_FATAL(parse_listen("0.0.0.0:80", &ss) == 0);
	CU_ASSERT(ss.ss_family == AF_INET);
	CU_ASSERT_FATAL(parse_listen("[::]:80", &ss) == 0);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "[::]:80");
	CU_ASSERT_FATAL(parse_listen("[2001:db8::1]:80", &ss) == 0);
	CU_ASSERT_STRING_EQUAL(fmt(&ss), "[2001:db8::1]:80");
	CU_ASSERT(parse_listen("[]:80", &ss) == -1);
	CU_ASSERT(parse_listen("127.1:80", &ss) == -1);
	/* Only the listening address reads ":PORT" as a wildcard. */
	CU_ASSERT(parse(":80", &ss) == -1);
}

void
test_addr_register(void)
{
	CU_pSuite	s = test_suite_add("addr");

	test_add(s, "parses IPv4 with port", test_addr_parses_ipv4_with_port);
	test_add(s, "parses bracketed IPv6 with port",
	    test_addr_parses_bracketed_ipv6_with_port);
	test_add(s, "resolves localhost", test_addr_resolves_localhost);
	test_add(s, "rejects missing port", test_addr_rejects_missing_port);
	test_add(s, "rejects port over 65535",
	    test_addr_rejects_port_over_65535);
	test_add(s, "rejects signed or trailing garbage port",
	    test_addr_rejects_signed_or_trailing_garbage_port);
	test_add(s, "rejects leading garbage",
	    test_addr_rejects_leading_garbage);
	test_add(s, "rejects empty host", test_addr_rejects_empty_host);
	test_add(s, "rejects unbracketed IPv6 with port",
	    test_addr_rejects_unbracketed_ipv6_with_port);
	test_add(s, "rejects short IPv4 forms and bad literals",
	    test_addr_rejects_short_ipv4_forms_and_bad_literals);
	test_add(s, "formats both families", test_addr_formats_both_families);
	test_add(s, "formats mapped as IPv4", test_addr_formats_mapped_as_ipv4);
	test_add(s, "format fits longest IPv6",
	    test_addr_format_fits_longest_ipv6);
	test_add(s, "unmap turns mapped into IPv4 keeping port",
	    test_addr_unmap_turns_mapped_into_ipv4_keeping_port);
	test_add(s, "unmap leaves other addresses alone",
	    test_addr_unmap_leaves_other_addresses_alone);
	test_add(s, "len, port and set_port follow the family",
	    test_addr_len_port_and_set_port_follow_family);
	test_add(s, "equal compares family, address and port",
	    test_addr_equal_compares_family_address_and_port);
	test_add(s, "same_host ignores the ports",
	    test_addr_same_host_ignores_the_ports);
	test_add(s, "is_wildcard only for 0.0.0.0 and ::",
	    test_addr_is_wildcard_only_for_unspecified);
	test_add(s, "listen: empty host is the IPv6 wildcard",
	    test_addr_listen_empty_host_is_ipv6_wildcard);
	test_add(s, "listen: rejects a bad port after an empty host",
	    test_addr_listen_rejects_bad_port_after_empty_host);
	test_add(s, "listen: takes what addr_parse takes",
	    test_addr_listen_takes_what_addr_parse_takes);
}
