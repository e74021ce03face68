/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_subnet.c -- unit tests for src/subnet.c: CIDR parsing, the
 * allow-list file (from mkstemp files) and matching peers.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subnet.h"

#include "test_suites.h"

/* Write text to a fresh temporary file; its path goes into path. */
static void
tmpfile_with(char *path, size_t len, const char *text)
{
	int	fd;

	snprintf(path, len, "/tmp/test_subnet.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) ==
	    (ssize_t)strlen(text));
	close(fd);
}

static struct sockaddr_storage
peer(const char *ip)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		CU_ASSERT_FATAL(inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1);
		sin6->sin6_family = AF_INET6;
	}
	return (ss);
}

/* Whether ip matches a list holding only cidr. */
static int
match1(const char *cidr, const char *ip)
{
	struct subnet		sn;
	struct subnet_list	l = { &sn, 1 };
	struct sockaddr_storage	ss = peer(ip);

	CU_ASSERT_FATAL(subnet_parse(cidr, &sn) == 0);
	return (subnet_list_match(&l, (struct sockaddr *)&ss));
}

static void
test_subnet_parses_ipv4_cidr_and_clears_host_bits(void)
{
	struct subnet	sn;
	const uint8_t	want[4] = { 192, 0, 2, 0 };

	CU_ASSERT_FATAL(subnet_parse("192.0.2.77/24", &sn) == 0);
	CU_ASSERT(sn.family == AF_INET);
	CU_ASSERT(sn.prefix == 24);
	CU_ASSERT(memcmp(sn.addr, want, 4) == 0);

	CU_ASSERT_FATAL(subnet_parse("10.255.255.255/9", &sn) == 0);
	CU_ASSERT(sn.addr[0] == 10 && sn.addr[1] == 128 && sn.addr[2] == 0 &&
	    sn.addr[3] == 0);
}

static void
test_subnet_parses_ipv6_cidr(void)
{
	struct subnet	sn;
	uint8_t		want[16];

	CU_ASSERT_FATAL(subnet_parse("2001:db8:ffff::1/36", &sn) == 0);
	CU_ASSERT(sn.family == AF_INET6);
	CU_ASSERT(sn.prefix == 36);
	inet_pton(AF_INET6, "2001:db8:f000::", want);
	CU_ASSERT(memcmp(sn.addr, want, 16) == 0);
}

static void
test_subnet_bare_address_is_a_host(void)
{
	struct subnet	sn;

	CU_ASSERT_FATAL(subnet_parse("192.0.2.1", &sn) == 0);
	CU_ASSERT(sn.prefix == 32);
	CU_ASSERT_FATAL(subnet_parse("2001:db8::1", &sn) == 0);
	CU_ASSERT(sn.prefix == 128);
	CU_ASSERT(sn.addr[15] == 1);
}

static void
test_subnet_rejects_prefix_out_of_range(void)
{
	struct subnet	sn;

	CU_ASSERT(subnet_parse("192.0.2.0/33", &sn) == -1);
	CU_ASSERT(subnet_parse("2001:db8::/129", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0/-1", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0/+8", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0/", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0/4294967320", &sn) == -1);
	CU_ASSERT(subnet_parse("2001:db8::/128", &sn) == 0);
}

static void
test_subnet_rejects_garbage(void)
{
	struct subnet	sn;

	CU_ASSERT(subnet_parse("", &sn) == -1);
	CU_ASSERT(subnet_parse("/24", &sn) == -1);
	CU_ASSERT(subnet_parse("example.com/24", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0/24x", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0 /24", &sn) == -1);
	CU_ASSERT(subnet_parse(" 192.0.2.0/24", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2/24", &sn) == -1);
	CU_ASSERT(subnet_parse("192.0.2.0/24/8", &sn) == -1);
}

static void
test_subnet_slash_zero_matches_its_whole_family(void)
{
	CU_ASSERT(match1("0.0.0.0/0", "203.0.113.9"));
	CU_ASSERT(match1("0.0.0.0/0", "::ffff:203.0.113.9"));
	CU_ASSERT(!match1("0.0.0.0/0", "2001:db8::1"));
	CU_ASSERT(match1("::/0", "2001:db8::1"));
	CU_ASSERT(!match1("::/0", "203.0.113.9"));
	/* An IPv4 peer on a dual-stack listener is still IPv4. */
	CU_ASSERT(!match1("::/0", "::ffff:203.0.113.9"));
}

static void
test_subnet_slash_32_matches_only_that_host(void)
{
	CU_ASSERT(match1("192.0.2.1/32", "192.0.2.1"));
	CU_ASSERT(!match1("192.0.2.1/32", "192.0.2.0"));
	CU_ASSERT(!match1("192.0.2.1/32", "192.0.2.2"));
	CU_ASSERT(!match1("192.0.2.1/32", "193.0.2.1"));
}

static void
test_subnet_slash_128_matches_only_that_host(void)
{
	CU_ASSERT(match1("2001:db8::1/128", "2001:db8::1"));
	CU_ASSERT(!match1("2001:db8::1/128", "2001:db8::"));
	CU_ASSERT(!match1("2001:db8::1/128", "2001:db8::3"));
	CU_ASSERT(!match1("2001:db8::1/128", "2001:db9::1"));
}

static void
test_subnet_odd_prefix_matches_up_to_its_boundary(void)
{
	CU_ASSERT(match1("10.16.0.0/12", "10.16.0.0"));
	CU_ASSERT(match1("10.16.0.0/12", "10.31.255.255"));
	CU_ASSERT(!match1("10.16.0.0/12", "10.32.0.0"));
	CU_ASSERT(!match1("10.16.0.0/12", "10.15.255.255"));
	CU_ASSERT(match1("2001:db8::/33", "2001:db8:7fff::1"));
	CU_ASSERT(!match1("2001:db8::/33", "2001:db8:8000::1"));
}

static void
test_subnet_mapped_ipv6_peer_matches_ipv4_subnet(void)
{
	CU_ASSERT(match1("192.0.2.0/24", "::ffff:192.0.2.200"));
	CU_ASSERT(!match1("192.0.2.0/24", "::ffff:192.0.3.1"));
	/* Only the mapped form: the same bytes elsewhere are not IPv4. */
	CU_ASSERT(!match1("192.0.2.0/24", "::192.0.2.200"));
	CU_ASSERT(!match1("192.0.2.0/24", "64:ff9b::192.0.2.200"));
}

static void
test_subnet_ipv4_peer_does_not_match_ipv6_subnet(void)
{
	CU_ASSERT(!match1("2001:db8::/32", "32.1.13.184"));
	CU_ASSERT(!match1("2001:db8::/32", "::ffff:32.1.13.184"));
	CU_ASSERT(!match1("::/64", "::ffff:192.0.2.1"));
}

static void
test_subnet_mapped_subnet_is_its_ipv4_subnet(void)
{
	struct subnet	sn;

	/* As Go reads it: ::ffff:0:0/96 is 0.0.0.0/0. */
	CU_ASSERT(match1("::ffff:0:0/96", "192.0.2.1"));
	CU_ASSERT(match1("::ffff:0:0/96", "::ffff:192.0.2.1"));
	CU_ASSERT(!match1("::ffff:0:0/96", "2001:db8::1"));
	CU_ASSERT(match1("::ffff:10.0.0.0/104", "10.9.8.7"));
	CU_ASSERT(!match1("::ffff:10.0.0.0/104", "11.9.8.7"));
	CU_ASSERT_FATAL(subnet_parse("::ffff:192.0.2.1", &sn) == 0);
	CU_ASSERT(sn.family == AF_INET && sn.prefix == 32);
	/* Shorter than /96 it is not all IPv4: an IPv6 subnet. */
	CU_ASSERT_FATAL(subnet_parse("::ffff:0:0/95", &sn) == 0);
	CU_ASSERT(sn.family == AF_INET6 && sn.prefix == 95);
}

static void
test_subnet_empty_list_matches_nothing(void)
{
	struct subnet_list	l = { NULL, 0 };
	struct sockaddr_storage	ss = peer("192.0.2.1");

	CU_ASSERT(!subnet_list_match(&l, (struct sockaddr *)&ss));
	ss.ss_family = AF_UNIX;
	CU_ASSERT(!subnet_list_match(&l, (struct sockaddr *)&ss));
}

static void
test_subnet_load_skips_comments_blanks_and_whitespace(void)
{
	char			path[64], err[256] = "";
	struct subnet_list	l = { NULL, 0 };
	struct sockaddr_storage	a = peer("192.0.2.9"),
				b = peer("2001:db8::5"),
				c = peer("198.51.100.1"),
				d = peer("203.0.113.1");

	tmpfile_with(path, sizeof(path),
	    "# the load balancers\n"
	    "\n"
	    "   \t\n"
	    "  192.0.2.0/24\t\n"
	    "2001:db8::/32 # the v6 ones\r\n"
	    "\t198.51.100.1#host\n"
	    "    # indented comment\n"
	    "10.0.0.0/8");	/* no final newline */
	CU_ASSERT_FATAL(subnet_list_load(path, &l, err, sizeof(err)) == 0);
	CU_ASSERT(l.n == 4);
	CU_ASSERT(subnet_list_match(&l, (struct sockaddr *)&a));
	CU_ASSERT(subnet_list_match(&l, (struct sockaddr *)&b));
	CU_ASSERT(subnet_list_match(&l, (struct sockaddr *)&c));
	CU_ASSERT(!subnet_list_match(&l, (struct sockaddr *)&d));
	subnet_list_free(&l);
	CU_ASSERT(l.v == NULL && l.n == 0);
	unlink(path);
}

static void
test_subnet_load_reports_file_and_line_of_bad_subnet(void)
{
	char			path[64], err[256] = "", want[256];
	struct subnet_list	l = { NULL, 0 };

	tmpfile_with(path, sizeof(path),
	    "192.0.2.0/24\n"
	    "# fine\n"
	    "  10.0.0.0/33  # too long\n"
	    "2001:db8::/32\n");
	CU_ASSERT(subnet_list_load(path, &l, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s:3: bad subnet \"10.0.0.0/33\"", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT(l.v == NULL && l.n == 0);
	unlink(path);
}

static void
test_subnet_load_rejects_two_subnets_on_one_line(void)
{
	char			path[64], err[256] = "", want[256];
	struct subnet_list	l = { NULL, 0 };

	tmpfile_with(path, sizeof(path), "192.0.2.0/24 10.0.0.0/8\n");
	CU_ASSERT(subnet_list_load(path, &l, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want),
	    "%s:1: bad subnet \"192.0.2.0/24 10.0.0.0/8\"", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	unlink(path);
}

static void
test_subnet_load_of_missing_file_names_path_and_error(void)
{
	char			err[256] = "", want[256];
	struct subnet_list	l = { NULL, 0 };
	const char		*path = "/nonexistent/mmproxyd/allowed.txt";

	CU_ASSERT(subnet_list_load(path, &l, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	CU_ASSERT_STRING_EQUAL(err, want);
}

static void
test_subnet_load_of_directory_fails(void)
{
	char			err[256] = "";
	struct subnet_list	l = { NULL, 0 };

	CU_ASSERT(subnet_list_load("/tmp", &l, err, sizeof(err)) == -1);
	CU_ASSERT(strncmp(err, "/tmp: ", 6) == 0);
}

static void
test_subnet_load_of_empty_file_gives_empty_list(void)
{
	char			path[64], err[256] = "";
	struct subnet_list	l = { NULL, 7 };
	struct sockaddr_storage	ss = peer("192.0.2.1");

	tmpfile_with(path, sizeof(path), "# nothing yet\n\n");
	CU_ASSERT_FATAL(subnet_list_load(path, &l, err, sizeof(err)) == 0);
	CU_ASSERT(l.n == 0);
	CU_ASSERT(!subnet_list_match(&l, (struct sockaddr *)&ss));
	subnet_list_free(&l);
	unlink(path);
}

static void
test_subnet_failed_load_keeps_previous_list(void)
{
	char			path[64], err[256] = "";
	struct subnet		sn;
	struct subnet_list	l = { &sn, 1 };

	tmpfile_with(path, sizeof(path), "192.0.2.0/24\nnonsense\n");
	CU_ASSERT(subnet_list_load(path, &l, err, sizeof(err)) == -1);
	CU_ASSERT(l.v == &sn && l.n == 1);
	unlink(path);
}

static void
test_subnet_load_grows_past_initial_capacity(void)
{
	char			path[64], err[256] = "", *text, *p;
	struct subnet_list	l = { NULL, 0 };
	struct sockaddr_storage	in = peer("10.0.199.1"),
				out = peer("10.0.200.1");
	int			i;

	CU_ASSERT_FATAL((text = malloc(200 * 20 + 1)) != NULL);
	for (p = text, i = 0; i < 200; i++)
		p += sprintf(p, "10.0.%d.0/24\n", i);
	tmpfile_with(path, sizeof(path), text);
	free(text);
	CU_ASSERT_FATAL(subnet_list_load(path, &l, err, sizeof(err)) == 0);
	CU_ASSERT(l.n == 200);
	CU_ASSERT(subnet_list_match(&l, (struct sockaddr *)&in));
	CU_ASSERT(!subnet_list_match(&l, (struct sockaddr *)&out));
	subnet_list_free(&l);
	unlink(path);
}

void
test_subnet_register(void)
{
	CU_pSuite	s = test_suite_add("subnet");

	test_add(s, "parses IPv4 CIDR and clears host bits",
	    test_subnet_parses_ipv4_cidr_and_clears_host_bits);
	test_add(s, "parses IPv6 CIDR", test_subnet_parses_ipv6_cidr);
	test_add(s, "bare address is a host",
	    test_subnet_bare_address_is_a_host);
	test_add(s, "rejects prefix out of range",
	    test_subnet_rejects_prefix_out_of_range);
	test_add(s, "rejects garbage", test_subnet_rejects_garbage);
	test_add(s, "/0 matches its whole family",
	    test_subnet_slash_zero_matches_its_whole_family);
	test_add(s, "/32 matches only that host",
	    test_subnet_slash_32_matches_only_that_host);
	test_add(s, "/128 matches only that host",
	    test_subnet_slash_128_matches_only_that_host);
	test_add(s, "odd prefix matches up to its boundary",
	    test_subnet_odd_prefix_matches_up_to_its_boundary);
	test_add(s, "mapped IPv6 peer matches IPv4 subnet",
	    test_subnet_mapped_ipv6_peer_matches_ipv4_subnet);
	test_add(s, "IPv4 peer does not match IPv6 subnet",
	    test_subnet_ipv4_peer_does_not_match_ipv6_subnet);
	test_add(s, "mapped subnet is its IPv4 subnet",
	    test_subnet_mapped_subnet_is_its_ipv4_subnet);
	test_add(s, "empty list matches nothing",
	    test_subnet_empty_list_matches_nothing);
	test_add(s, "load skips comments, blanks and whitespace",
	    test_subnet_load_skips_comments_blanks_and_whitespace);
	test_add(s, "load reports file and line of bad subnet",
	    test_subnet_load_reports_file_and_line_of_bad_subnet);
	test_add(s, "load rejects two subnets on one line",
	    test_subnet_load_rejects_two_subnets_on_one_line);
	test_add(s, "load of missing file names path and error",
	    test_subnet_load_of_missing_file_names_path_and_error);
	test_add(s, "load of directory fails",
	    test_subnet_load_of_directory_fails);
	test_add(s, "load of empty file gives empty list",
	    test_subnet_load_of_empty_file_gives_empty_list);
	test_add(s, "failed load keeps previous list",
	    test_subnet_failed_load_keeps_previous_list);
	test_add(s, "load grows past initial capacity",
	    test_subnet_load_grows_past_initial_capacity);
}
