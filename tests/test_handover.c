/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_handover.c -- unit tests for src/handover.c: the variable that
 * lists what a new generation inherits, and the matching of inherited
 * sockets to endpoints.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "addr.h"
#include "handover.h"

#include "test_suites.h"

static char	errbuf[256];

static struct handover_sock
sock(int fd, int type, const char *addr)
{
	struct handover_sock	s;

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.type = type;
	CU_ASSERT_FATAL(addr_parse(addr, &s.addr, errbuf,
	    sizeof(errbuf)) == 0);
	return (s);
}

static const struct sockaddr *
sa(const char *addr, struct sockaddr_storage *ss)
{
	CU_ASSERT_FATAL(addr_parse(addr, ss, errbuf, sizeof(errbuf)) == 0);
	return ((const struct sockaddr *)ss);
}

static int
parse(const char *s, struct handover_env *e, int *fds, size_t max)
{
	errbuf[0] = '\0';
	return (handover_env_parse(s, e, fds, max, errbuf, sizeof(errbuf)));
}

static void
test_handover_format_lists_runs_as_ranges(void)
{
	int			fds[] = { 5, 6, 7, 9, 12, 13, 11 };
	struct handover_env	e = { 1234, 4, 3, fds, 7 };
	char			buf[128];

	CU_ASSERT(handover_env_format(buf, sizeof(buf), &e) ==
	    (int)strlen("1 ppid=1234 chan=4 pidfile=3 fds=5-7,9,12-13,11"));
	CU_ASSERT_STRING_EQUAL(buf,
	    "1 ppid=1234 chan=4 pidfile=3 fds=5-7,9,12-13,11");
}

static void
test_handover_format_leaves_out_a_missing_pidfile(void)
{
	int			fds[] = { 8 };
	struct handover_env	e = { 99, 4, -1, fds, 1 };
	char			buf[128];

	CU_ASSERT(handover_env_format(buf, sizeof(buf), &e) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "1 ppid=99 chan=4 fds=8");
}

static void
test_handover_format_refuses_what_does_not_fit(void)
{
	int			fds[] = { 5, 7, 9, 11 };
	struct handover_env	e = { 99, 4, -1, fds, 4 };
	char			buf[24];

	errno = 0;
	CU_ASSERT(handover_env_format(buf, sizeof(buf), &e) == -1);
	CU_ASSERT(errno == ENAMETOOLONG);
}

static void
test_handover_parse_reads_what_format_wrote(void)
{
	int			in[] = { 10, 11, 12, 20, 7 }, out[8];
	struct handover_env	e = { 4321, 3, 6, in, 5 }, got;
	char			buf[128];

	CU_ASSERT_FATAL(handover_env_format(buf, sizeof(buf), &e) > 0);
	CU_ASSERT_FATAL(parse(buf, &got, out, 8) == 0);
	CU_ASSERT(got.parent == 4321);
	CU_ASSERT(got.chan == 3);
	CU_ASSERT(got.pidfile == 6);
	CU_ASSERT_FATAL(got.nfds == 5);
	CU_ASSERT(got.fds == out);
	CU_ASSERT(memcmp(out, in, sizeof(in)) == 0);
}

static void
test_handover_parse_takes_no_pidfile_and_no_sockets(void)
{
	struct handover_env	e;
	int			fds[4];

	CU_ASSERT_FATAL(parse("1 ppid=7 chan=9 fds=", &e, fds, 4) == 0);
	CU_ASSERT(e.pidfile == -1);
	CU_ASSERT(e.nfds == 0);
}

static void
test_handover_parse_refuses_another_version(void)
{
	struct handover_env	e;
	int			fds[4];

	CU_ASSERT(parse("2 ppid=7 chan=9 fds=5", &e, fds, 4) == -1);
	CU_ASSERT(strstr(errbuf, "version") != NULL);
	CU_ASSERT(parse("ppid=7 chan=9 fds=5", &e, fds, 4) == -1);
}

static void
test_handover_parse_refuses_missing_and_unknown_fields(void)
{
	struct handover_env	e;
	int			fds[4];

	CU_ASSERT(parse("1 chan=9 fds=5", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 fds=5", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=5 port=1", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 ppid=8 chan=9 fds=5", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=5 ", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7  chan=9 fds=5", &e, fds, 4) == -1);
}

static void
test_handover_parse_refuses_bad_descriptors(void)
{
	struct handover_env	e;
	int			fds[4];

	/* stdin, stdout and stderr are never passed. */
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=2", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=1 fds=5", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=7-5", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=5,,6", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=5,", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=-5", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=x", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=99999999999", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=x chan=9 fds=5", &e, fds, 4) == -1);
}

static void
test_handover_parse_refuses_a_descriptor_listed_twice(void)
{
	struct handover_env	e;
	int			fds[8];

	CU_ASSERT(parse("1 ppid=7 chan=9 fds=5,6,5", &e, fds, 8) == -1);
	CU_ASSERT(strstr(errbuf, "descriptor 5 listed twice") != NULL);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=4-6,6", &e, fds, 8) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=8-10", &e, fds, 8) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 pidfile=5 fds=5", &e, fds, 8) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 pidfile=9 fds=5", &e, fds, 8) == -1);
}

static void
test_handover_parse_refuses_more_than_room(void)
{
	struct handover_env	e;
	int			fds[4];

	CU_ASSERT(parse("1 ppid=7 chan=9 fds=10-13", &e, fds, 4) == 0);
	CU_ASSERT(e.nfds == 4);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=10-14", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=10-13,20", &e, fds, 4) == -1);
	CU_ASSERT(parse("1 ppid=7 chan=9 fds=10-2147483647", &e, fds, 4) ==
	    -1);
}

static void
test_handover_take_matches_type_and_address(void)
{
	struct handover_sock	v[3];
	struct handover_set	set = { v, 3, 0 };
	struct sockaddr_storage	ss;

	v[0] = sock(5, SOCK_DGRAM, "0.0.0.0:53");
	v[1] = sock(6, SOCK_STREAM, "[::]:443");
	v[2] = sock(7, SOCK_STREAM, "0.0.0.0:443");
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:53", &ss),
	    0) == -1);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:444", &ss),
	    0) == -1);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("127.0.0.1:443",
	    &ss), 0) == -1);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:443", &ss),
	    0) == 7);
	CU_ASSERT(handover_take(&set, SOCK_DGRAM, sa("0.0.0.0:53", &ss),
	    0) == 5);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("[::]:443", &ss),
	    0) == 6);
	CU_ASSERT(v[0].taken && v[1].taken && v[2].taken);
}

static void
test_handover_take_gives_each_socket_once(void)
{
	struct handover_sock	v[1];
	struct handover_set	set = { v, 1, 0 };
	struct sockaddr_storage	ss;

	v[0] = sock(5, SOCK_STREAM, "0.0.0.0:443");
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:443", &ss),
	    0) == 5);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:443", &ss),
	    0) == -1);
}

/*
 * -dual-stack: 0.0.0.0:443 was bound as [::]:443, which the kernel names;
 * only a wildcard of the same port fits, and only when dual-stack.
 */
static void
test_handover_take_finds_the_dual_stack_socket_of_0_0_0_0(void)
{
	struct handover_sock	v[3];
	struct handover_set	set = { v, 3, 0 };
	struct sockaddr_storage	ss;

	v[0] = sock(5, SOCK_STREAM, "[::1]:443");
	v[1] = sock(6, SOCK_STREAM, "[::]:444");
	v[2] = sock(7, SOCK_STREAM, "[::]:443");
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:443", &ss),
	    0) == -1);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("127.0.0.1:443", &ss),
	    1) == -1);
	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:443", &ss),
	    1) == 7);
	CU_ASSERT(!v[0].taken && !v[1].taken);
}

static void
test_handover_take_keeps_the_order_of_copies(void)
{
	struct handover_sock	v[4];
	struct handover_set	set = { v, 4, 0 };
	struct sockaddr_storage	ss;

	/* -listeners 2 on two ports, asked for port B first. */
	v[0] = sock(10, SOCK_DGRAM, "0.0.0.0:53");
	v[1] = sock(11, SOCK_DGRAM, "0.0.0.0:54");
	v[2] = sock(12, SOCK_DGRAM, "0.0.0.0:53");
	v[3] = sock(13, SOCK_DGRAM, "0.0.0.0:54");
	CU_ASSERT(handover_take(&set, SOCK_DGRAM, sa("0.0.0.0:54", &ss), 0) == 11);
	CU_ASSERT(handover_take(&set, SOCK_DGRAM, sa("0.0.0.0:53", &ss), 0) == 10);
	CU_ASSERT(handover_take(&set, SOCK_DGRAM, sa("0.0.0.0:53", &ss), 0) == 12);
	CU_ASSERT(handover_take(&set, SOCK_DGRAM, sa("0.0.0.0:54", &ss), 0) == 13);
}

static void
test_handover_take_from_an_empty_set_finds_none(void)
{
	struct handover_set	set = { NULL, 0, 0 };
	struct sockaddr_storage	ss;

	CU_ASSERT(handover_take(&set, SOCK_STREAM, sa("0.0.0.0:443", &ss), 0) ==
	    -1);
}

void
test_handover_register(void)
{
	CU_pSuite	s = test_suite_add("handover");

	test_add(s, "format lists runs as ranges",
	    test_handover_format_lists_runs_as_ranges);
	test_add(s, "format leaves out a missing pidfile",
	    test_handover_format_leaves_out_a_missing_pidfile);
	test_add(s, "format refuses what does not fit",
	    test_handover_format_refuses_what_does_not_fit);
	test_add(s, "parse reads what format wrote",
	    test_handover_parse_reads_what_format_wrote);
	test_add(s, "parse takes no pidfile and no sockets",
	    test_handover_parse_takes_no_pidfile_and_no_sockets);
	test_add(s, "parse refuses another version",
	    test_handover_parse_refuses_another_version);
	test_add(s, "parse refuses missing and unknown fields",
	    test_handover_parse_refuses_missing_and_unknown_fields);
	test_add(s, "parse refuses bad descriptors",
	    test_handover_parse_refuses_bad_descriptors);
	test_add(s, "parse refuses a descriptor listed twice",
	    test_handover_parse_refuses_a_descriptor_listed_twice);
	test_add(s, "parse refuses more than room",
	    test_handover_parse_refuses_more_than_room);
	test_add(s, "take matches type and address",
	    test_handover_take_matches_type_and_address);
	test_add(s, "take finds the dual-stack socket of 0.0.0.0",
	    test_handover_take_finds_the_dual_stack_socket_of_0_0_0_0);
	test_add(s, "take gives each socket once",
	    test_handover_take_gives_each_socket_once);
	test_add(s, "take keeps the order of copies",
	    test_handover_take_keeps_the_order_of_copies);
	test_add(s, "take from an empty set finds none",
	    test_handover_take_from_an_empty_set_finds_none);
}
