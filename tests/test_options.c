/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_options.c -- unit tests for src/options.c: every flag with one and
 * two dashes, both value forms, the defaults, and each way to fail.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "addr.h"

#include "test_args.h"
#include "test_suites.h"

#define OFF(m)	offsetof(struct options, m)

static char	errbuf[512];
static char	outbuf[8192];

/* options_parse() over the flags; errors in errbuf, help in outbuf. */
static enum options_result
run(struct options *cfg, ...)
{
	enum options_result	r;
	va_list			ap;

	va_start(ap, cfg);
	r = test_args_vparse(cfg, errbuf, sizeof(errbuf), outbuf,
	    sizeof(outbuf), ap);
	va_end(ap);
	return (r);
}

/* Parsing must fail with exactly this message. */
static void
fails_with(const char *want, ...)
{
	struct options	cfg;
	va_list		ap;

	va_start(ap, want);
	CU_ASSERT(test_args_vparse(&cfg, errbuf, sizeof(errbuf), NULL, 0,
	    ap) == OPTIONS_ERROR);
	va_end(ap);
	CU_ASSERT_STRING_EQUAL(errbuf, want);
}

static void
test_options_defaults_match_go_mmproxy(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, NULL) == OPTIONS_OK);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[0].addr, "0.0.0.0:8443"));
	CU_ASSERT(cfg.proto == IPPROTO_TCP);
	CU_ASSERT(test_args_is_addr(&cfg.target4.v[0].addr, "127.0.0.1:443"));
	CU_ASSERT(test_args_is_addr(&cfg.target6.v[0].addr, "[::1]:443"));
	CU_ASSERT(cfg.listeners == 1);
	CU_ASSERT(cfg.mark == 0);
	CU_ASSERT(cfg.allowed_subnets_path == NULL);
	CU_ASSERT(cfg.dynamic_destination == 0);
	CU_ASSERT(cfg.listen_transparent == 0);
	CU_ASSERT(cfg.close_after_ms == 60000);
	CU_ASSERT(cfg.verbosity == 0);
	CU_ASSERT(cfg.max_conns == 0);
	CU_ASSERT(cfg.header_timeout_ms == 5000);
	CU_ASSERT(cfg.max_flows == 0);	/* from the fd limit */
	CU_ASSERT(cfg.shutdown_timeout_ms == 30000);
	CU_ASSERT(cfg.sched_batch == 1);
	CU_ASSERT(cfg.dual_stack == 1);
	CU_ASSERT(cfg.user == NULL);
	CU_ASSERT(cfg.client_port_busy ==
	    (OPTIONS_PORT_WAIT | OPTIONS_PORT_FALLBACK));
	CU_ASSERT(cfg.client_port_wait_ms == 100);
}

static void
test_options_every_flag_takes_one_or_two_dashes_and_both_forms(void)
{
	static const struct {
		const char	*name, *value;
		int		 ms;	/* a long long duration, else an int */
		size_t		 off;
		long long	 want;	/* -1: an address */
	} t[] = {
		{ "l", "192.0.2.1:9", 0, OFF(listen), -1 },
		{ "p", "udp", 0, OFF(proto), IPPROTO_UDP },
		{ "4", "192.0.2.2:9", 0, OFF(target4), -1 },
		{ "6", "[2001:db8::2]:9", 0, OFF(target6), -1 },
		{ "listeners", "7", 0, OFF(listeners), 7 },
		{ "close-after", "9", 1, OFF(close_after_ms), 9000 },
		{ "v", "2", 0, OFF(verbosity), 2 },
		{ "max-conns", "100", 0, OFF(max_conns), 100 },
		{ "header-timeout", "30", 1, OFF(header_timeout_ms), 30000 },
		{ "max-flows", "10", 0, OFF(max_flows), 10 },
		{ "shutdown-timeout", "0", 1, OFF(shutdown_timeout_ms), 0 },
		{ "client-port-busy", "fail", 0, OFF(client_port_busy), 0 },
		{ "client-port-wait", "2", 1, OFF(client_port_wait_ms), 2000 },
	};
	struct options	cfg;
	char		a1[64], a2[64];
	size_t		i;
	int		form;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (form = 0; form < 4; form++) {
			snprintf(a1, sizeof(a1), "%s%s%s%s",
			    form % 2 ? "--" : "-", t[i].name,
			    form >= 2 ? "=" : "", form >= 2 ? t[i].value : "");
			if (form >= 2) {
				CU_ASSERT_FATAL(run(&cfg, a1, NULL) ==
				    OPTIONS_OK);
			} else {
				snprintf(a2, sizeof(a2), "%s", t[i].value);
				CU_ASSERT_FATAL(run(&cfg, a1, a2, NULL) ==
				    OPTIONS_OK);
			}
			if (t[i].ms) {
				CU_ASSERT(*(long long *)(void *)((char *)&cfg +
				    t[i].off) == t[i].want);
			} else if (t[i].want != -1) {
				CU_ASSERT(*(int *)(void *)((char *)&cfg +
				    t[i].off) == t[i].want);
			} else {
				CU_ASSERT(test_args_is_addr((struct sockaddr_storage *)
				    (void *)((char *)&cfg + t[i].off),
				    t[i].value));
			}
		}
	}
}

static void
test_options_booleans_are_bare_or_take_go_values(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-dynamic-destination",
	    "--listen-transparent", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.dynamic_destination == 1);
	CU_ASSERT(cfg.listen_transparent == 1);
	CU_ASSERT_FATAL(run(&cfg, "-dynamic-destination=false",
	    "--listen-transparent=0", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.dynamic_destination == 0);
	CU_ASSERT(cfg.listen_transparent == 0);
	CU_ASSERT_FATAL(run(&cfg, "-sched-batch=false", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.sched_batch == 0);
	CU_ASSERT_FATAL(run(&cfg, "-dual-stack=false", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.dual_stack == 0);
	CU_ASSERT_FATAL(run(&cfg, "--sched-batch", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.sched_batch == 1);
	CU_ASSERT_FATAL(run(&cfg, "--dynamic-destination=True",
	    "-listen-transparent=t", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.dynamic_destination == 1);
	CU_ASSERT(cfg.listen_transparent == 1);
	fails_with("-dynamic-destination: \"yes\" is not a boolean",
	    "-dynamic-destination=yes", NULL);
}

static void
test_options_t_asks_for_a_check_alone(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-l", "127.0.0.1:8443", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.check_only == 0);
	CU_ASSERT_FATAL(run(&cfg, "-t", "-l", "127.0.0.1:8443", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.check_only == 1);
	CU_ASSERT_FATAL(run(&cfg, "-l", "127.0.0.1:8443", "--t", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.check_only == 1);
	CU_ASSERT_FATAL(run(&cfg, "-t=false", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.check_only == 0);
	/* The options are still checked: a bad one is the answer. */
	fails_with("unknown flag -x", "-t", "-x", NULL);
}

static void
test_options_bare_boolean_does_not_take_next_argument(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-listen-transparent", "-v", "1",
	    NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.listen_transparent == 1);
	CU_ASSERT(cfg.verbosity == 1);
	/* Go's rule: "-flag false" is a flag and a stray argument. */
	fails_with("unexpected argument \"false\"", "-listen-transparent",
	    "false", NULL);
}

static void
test_options_protocol_must_be_tcp_or_udp(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-p", "tcp", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.proto == IPPROTO_TCP);
	fails_with("-p: \"sctp\" is neither tcp nor udp", "-p", "sctp", NULL);
	fails_with("-p: \"TCP\" is neither tcp nor udp", "-p=TCP", NULL);
}

static void
test_options_target4_must_be_ipv4_and_target6_ipv6(void)
{
	struct options	cfg;

	fails_with("-4: \"[::1]:443\" is not an IPv4 address", "-4",
	    "[::1]:443", NULL);
	fails_with("-6: \"127.0.0.1:443\" is not an IPv6 address", "-6",
	    "127.0.0.1:443", NULL);
	/* A mapped address is IPv4, as Go's To4() has it. */
	CU_ASSERT_FATAL(run(&cfg, "-4", "[::ffff:10.0.0.1]:80", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(test_args_is_addr(&cfg.target4.v[0].addr, "10.0.0.1:80"));
	fails_with("-6: \"[::ffff:10.0.0.1]:80\" is not an IPv6 address",
	    "-6", "[::ffff:10.0.0.1]:80", NULL);
}

static void
test_options_bad_address_names_the_flag(void)
{
	struct options	cfg;

	CU_ASSERT(run(&cfg, "-l", "0.0.0.0", NULL) == OPTIONS_ERROR);
	CU_ASSERT(strncmp(errbuf, "-l: ", 4) == 0);
	CU_ASSERT(strstr(errbuf, "0.0.0.0") != NULL);
	CU_ASSERT(run(&cfg, "--l=[::1]:70000", NULL) == OPTIONS_ERROR);
	CU_ASSERT(strncmp(errbuf, "-l: ", 4) == 0);
}

/* go-mmproxy's -l ":8443" listens on both families: [::], dual-stack. */
static void
test_options_listen_empty_host_is_the_dual_stack_wildcard(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-l", ":8443", NULL) == OPTIONS_OK);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[0].addr, "[::]:8443"));
	CU_ASSERT_FATAL(run(&cfg, "--l=:9", NULL) == OPTIONS_OK);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[0].addr, "[::]:9"));
	CU_ASSERT_FATAL(run(&cfg, "-l", "[::]:8443", NULL) == OPTIONS_OK);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[0].addr, "[::]:8443"));
	fails_with("-l: \":\": bad port", "-l", ":", NULL);
	fails_with("-l: \":70000\": bad port", "-l=:70000", NULL);
	/* A target needs its host. */
	fails_with("-4: \":80\": missing host", "-4", ":80", NULL);
	fails_with("-6: \":80\": missing host", "-6", ":80", NULL);
}

static void
test_options_listeners_range_is_1_to_1024(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-listeners", "1024", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.listeners == 1024);
	fails_with("-listeners: \"0\" is out of range 1..1024",
	    "-listeners", "0", NULL);
	fails_with("-listeners: \"1025\" is out of range 1..1024",
	    "-listeners=1025", NULL);
	fails_with("-listeners: \"-1\" is out of range 1..1024",
	    "-listeners", "-1", NULL);
}

static void
test_options_numbers_reject_garbage_and_overflow(void)
{
	fails_with("-listeners: \"abc\" is not a number", "-listeners",
	    "abc", NULL);
	fails_with("-listeners: \"5x\" is not a number", "-listeners", "5x",
	    NULL);
	fails_with("-listeners: \" 5\" is not a number", "-listeners", " 5",
	    NULL);
	fails_with("-listeners: \"+5\" is not a number", "-listeners", "+5",
	    NULL);
	fails_with("-listeners: \"\" is not a number", "-listeners=", NULL);
	fails_with("-listeners: \"0x10\" is not a number", "-listeners",
	    "0x10", NULL);
	fails_with("-close-after: \"99999999999999999999\" is out of range "
	    "1ms..2000000s", "-close-after", "99999999999999999999", NULL);
	fails_with("-max-flows: \"4294967297\" is out of range 0..10000000",
	    "-max-flows", "4294967297", NULL);
}

static void
test_options_mark_takes_decimal_or_hex_up_to_32_bits(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-mark", "42", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.mark == 42);
	CU_ASSERT_FATAL(run(&cfg, "--mark=0x1F", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.mark == 31);
	CU_ASSERT_FATAL(run(&cfg, "-mark", "4294967295", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.mark == 4294967295u);
	CU_ASSERT_FATAL(run(&cfg, "-mark", "0xffffffff", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.mark == 4294967295u);
	CU_ASSERT_FATAL(run(&cfg, "-mark", "0", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.mark == 0);
	fails_with("-mark: \"4294967296\" is out of range 0..4294967295",
	    "-mark", "4294967296", NULL);
	fails_with("-mark: \"0x100000000\" is out of range 0..4294967295",
	    "-mark", "0x100000000", NULL);
	fails_with("-mark: \"-1\" is not a number", "-mark", "-1", NULL);
	fails_with("-mark: \"0x\" is not a number", "-mark", "0x", NULL);
	fails_with("-mark: \"0x0x1\" is not a number", "-mark", "0x0x1",
	    NULL);
	fails_with("-mark: \"12g\" is not a number", "-mark", "12g", NULL);
}

static void
test_options_mark_refuses_a_leading_zero_go_reads_as_octal(void)
{
	/* go-mmproxy's -mark 0173 is 123: never silently 173. */
	fails_with("-mark: \"0173\" has a leading zero, which go-mmproxy "
	    "reads as octal (123): write 123 or 0x7b", "-mark", "0173", NULL);
	fails_with("-mark: \"0189\" has a leading zero: write it in decimal, "
	    "or in hex after 0x", "-mark", "0189", NULL);
	fails_with("-mark: \"00\" has a leading zero, which go-mmproxy reads "
	    "as octal (0): write 0 or 0x0", "-mark", "00", NULL);
}

static void
test_options_close_after_takes_seconds_or_a_duration(void)
{
	struct options	cfg;

	/* go-mmproxy's integer seconds. */
	CU_ASSERT_FATAL(run(&cfg, "-close-after", "1", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.close_after_ms == 1000);
	CU_ASSERT_FATAL(run(&cfg, "-close-after", "2000000", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.close_after_ms == 2000000000LL);
	CU_ASSERT_FATAL(run(&cfg, "-close-after=1.5", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.close_after_ms == 1500);
	CU_ASSERT_FATAL(run(&cfg, "-close-after", "250ms", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.close_after_ms == 250);
	CU_ASSERT_FATAL(run(&cfg, "-close-after", "2m", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.close_after_ms == 120000);
	fails_with("-close-after: \"0\" is out of range 1ms..2000000s",
	    "-close-after", "0", NULL);
	fails_with("-close-after: \"2000001\" is out of range 1ms..2000000s",
	    "-close-after", "2000001", NULL);
	fails_with("-close-after: \"-1\" is out of range 1ms..2000000s",
	    "-close-after", "-1", NULL);
}

static void
test_options_verbosity_is_0_to_2(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "--v", "1", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.verbosity == 1);
	fails_with("-v: \"3\" is out of range 0..2", "-v", "3", NULL);
	/* -v takes a value, as in go-mmproxy, so a flag after it is one. */
	fails_with("-v: \"-l\" is not a number", "-v", "-l", "[::]:1", NULL);
}

static void
test_options_max_conns_is_0_or_up_to_a_million(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-max-conns", "0", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.max_conns == 0);
	CU_ASSERT_FATAL(run(&cfg, "-max-conns", "1000000", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.max_conns == 1000000);
	fails_with("-max-conns: \"1000001\" is out of range 0..1000000",
	    "-max-conns", "1000001", NULL);
}

static void
test_options_header_timeout_is_above_0_up_to_an_hour(void)
{
	static const struct {
		const char	*v;
		long long	 ms;
	} ok[] = {
		{ "1", 1000 }, { "2", 2000 }, { "2.0", 2000 }, { "0.5", 500 },
		{ "10", 10000 }, { "500ms", 500 }, { "1ms", 1 },
		{ "2.5s", 2500 }, { "1m", 60000 }, { "1h", 3600000 },
		{ "3600", 3600000 },
	};
	struct options	cfg;
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CU_ASSERT_FATAL(run(&cfg, "-header-timeout", ok[i].v, NULL) ==
		    OPTIONS_OK);
		CU_ASSERT(cfg.header_timeout_ms == ok[i].ms);
	}
	fails_with("-header-timeout: \"0\" is out of range 1ms..1h",
	    "-header-timeout", "0", NULL);
	fails_with("-header-timeout: \"0ms\" is out of range 1ms..1h",
	    "-header-timeout=0ms", NULL);
	fails_with("-header-timeout: \"3601\" is out of range 1ms..1h",
	    "-header-timeout", "3601", NULL);
	fails_with("-header-timeout: \"1.001h\" is out of range 1ms..1h",
	    "-header-timeout", "1.001h", NULL);
	fails_with("-header-timeout: \"-0.5\" is out of range 1ms..1h",
	    "-header-timeout", "-0.5", NULL);
	fails_with("-header-timeout: \"0.0001\" is finer than a millisecond",
	    "-header-timeout", "0.0001", NULL);
}

static void
test_options_durations_say_what_they_accept(void)
{
	static const char	*bad[] = { "abc", "2x", " 2", "2 ", "2 s",
				    "1e3", "+2", "" };
	char			 want[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "-header-timeout: \"%s\" is not a "
		    "duration (seconds as 10 or 0.5, or with a unit: 500ms, "
		    "2.5s, 1m, 1h)", bad[i]);
		fails_with(want, "-header-timeout", bad[i], NULL);
	}
	fails_with("-shutdown-timeout: \"5min\" is not a duration (seconds "
	    "as 10 or 0.5, or with a unit: 500ms, 2.5s, 1m, 1h)",
	    "-shutdown-timeout=5min", NULL);
}

static void
test_options_max_flows_and_shutdown_timeout_bounds(void)
{
	struct options	cfg;

	fails_with("-max-flows: \"-1\" is out of range 0..10000000",
	    "-max-flows", "-1", NULL);
	fails_with("-max-flows: \"10000001\" is out of range 0..10000000",
	    "-max-flows", "10000001", NULL);
	/* 0 still closes the connections at once. */
	CU_ASSERT_FATAL(run(&cfg, "-shutdown-timeout", "0", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.shutdown_timeout_ms == 0);
	CU_ASSERT_FATAL(run(&cfg, "-shutdown-timeout", "1.5", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.shutdown_timeout_ms == 1500);
	CU_ASSERT_FATAL(run(&cfg, "-shutdown-timeout", "200ms", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.shutdown_timeout_ms == 200);
	fails_with("-shutdown-timeout: \"-1\" is out of range 0s..2000000s",
	    "-shutdown-timeout", "-1", NULL);
	fails_with("-shutdown-timeout: \"2000001\" is out of range "
	    "0s..2000000s", "-shutdown-timeout", "2000001", NULL);
}

static void
test_options_user_is_kept_by_pointer(void)
{
	struct options	cfg;
	char		name[] = "nobody";

	CU_ASSERT_FATAL(run(&cfg, "-user", name, NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.user == name);
	CU_ASSERT_FATAL(run(&cfg, "--user=daemon", NULL) == OPTIONS_OK);
	CU_ASSERT_STRING_EQUAL(cfg.user, "daemon");
	fails_with("-user: empty value", "-user=", NULL);
}

static void
test_options_metrics_is_off_unless_given(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.metrics.ss_family == AF_UNSPEC);
	CU_ASSERT_FATAL(run(&cfg, "-metrics", "127.0.0.1:9100", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.metrics.ss_family == AF_INET);
	CU_ASSERT_FATAL(run(&cfg, "-metrics=:9100", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.metrics.ss_family == AF_INET6);
}

static void
test_options_client_port_busy_takes_four_policies(void)
{
	static const struct {
		const char	*value;
		int		 want;
	} t[] = {
		{ "wait-fallback", OPTIONS_PORT_WAIT | OPTIONS_PORT_FALLBACK },
		{ "wait", OPTIONS_PORT_WAIT },
		{ "fallback", OPTIONS_PORT_FALLBACK },
		{ "fail", 0 },
	};
	struct options	cfg;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_FATAL(run(&cfg, "-client-port-busy", t[i].value,
		    NULL) == OPTIONS_OK);
		CU_ASSERT(cfg.client_port_busy == t[i].want);
	}
	fails_with("-client-port-busy: \"Wait\" is none of wait-fallback, "
	    "wait, fallback, fail", "-client-port-busy=Wait", NULL);
	fails_with("-client-port-busy: \"\" is none of wait-fallback, "
	    "wait, fallback, fail", "-client-port-busy=", NULL);
	fails_with("-client-port-busy: missing value", "-client-port-busy",
	    NULL);
	CU_ASSERT_FATAL(run(&cfg, "-client-port-wait", "250ms", NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.client_port_wait_ms == 250);
	fails_with("-client-port-wait: \"0\" is out of range 1ms..1m",
	    "-client-port-wait", "0", NULL);
}

/* allowlist.c reads the file; the command line only names it. */
static void
test_options_allowed_subnets_is_only_a_path(void)
{
	struct options	cfg;
	char		path[] = "/nonexistent/mmproxyd/allowed.txt";
	char		arg[64];

	CU_ASSERT_FATAL(run(&cfg, "-allowed-subnets", path, NULL) ==
	    OPTIONS_OK);
	CU_ASSERT(cfg.allowed_subnets_path == path);
	snprintf(arg, sizeof(arg), "--allowed-subnets=%s", path);
	CU_ASSERT_FATAL(run(&cfg, arg, NULL) == OPTIONS_OK);
	CU_ASSERT_STRING_EQUAL(cfg.allowed_subnets_path, path);
	fails_with("-allowed-subnets: empty value", "-allowed-subnets=", NULL);
}

static void
test_options_help_prints_every_flag_and_exits(void)
{
	static const char	*flags[] = { "-l ", "-p ", "-4 ", "-6 ",
				    "-listeners ", "-mark ", "-allowed-subnets ",
				    "-dynamic-destination ",
				    "-listen-transparent ", "-close-after ",
				    "-v ", "-max-conns ", "-header-timeout ",
				    "-max-flows ", "-shutdown-timeout ",
				    "-client-port-busy ", "-client-port-wait ",
				    "-user ", "-t ", "-help ", "-version " };
	static const char	*how[] = { "-h", "-help", "--help" };
	struct options		 cfg;
	const char		*line, *nl;
	size_t			 i, j;

	for (j = 0; j < sizeof(how) / sizeof(how[0]); j++) {
		CU_ASSERT_FATAL(run(&cfg, how[j], NULL) == OPTIONS_EXIT);
		CU_ASSERT_FATAL(strlen(outbuf) < sizeof(outbuf) - 1);
		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			CU_ASSERT(strstr(outbuf, flags[i]) != NULL);
		CU_ASSERT(strstr(outbuf, "(default 0.0.0.0:8443)") != NULL);
		CU_ASSERT(strstr(outbuf, "UDP flows per socket, 0 = by fd limit (default 0)") != NULL);
		CU_ASSERT(strstr(outbuf, "-header-timeout DURATION") != NULL);
		CU_ASSERT(strstr(outbuf, "(default 5s)") != NULL);
		CU_ASSERT(strstr(outbuf, "(default wait-fallback)") != NULL);
		CU_ASSERT(strstr(outbuf, "\nHOW: wait (") != NULL);
		CU_ASSERT(strstr(outbuf, "\nDURATION: seconds as 10 or 0.5, "
		    "or with a unit: 500ms, 2.5s, 1m, 1h\n") != NULL);
		/* One flag a line, each within 80 columns. */
		for (line = outbuf; *line != '\0'; line = nl + 1) {
			CU_ASSERT_FATAL((nl = strchr(line, '\n')) != NULL);
			CU_ASSERT(nl - line <= 80);
		}
	}
}

static void
test_options_help_stops_before_later_errors(void)
{
	struct options	cfg;

	CU_ASSERT(run(&cfg, "-help", "-nonsense", NULL) == OPTIONS_EXIT);
	fails_with("unknown flag -nonsense", "-nonsense", "-help", NULL);
}

static void
test_options_version_prints_name_and_version(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "--version", NULL) == OPTIONS_EXIT);
	CU_ASSERT_STRING_EQUAL(outbuf, "mmproxyd " PACKAGE_VERSION "\n");
	CU_ASSERT_FATAL(run(&cfg, "-version", NULL) == OPTIONS_EXIT);
	CU_ASSERT_STRING_EQUAL(outbuf, "mmproxyd " PACKAGE_VERSION "\n");
	fails_with("-version: takes no value", "-version=1", NULL);
}

static void
test_options_unknown_flag_is_an_error(void)
{
	fails_with("unknown flag -foo", "-foo", NULL);
	fails_with("unknown flag -foo", "--foo=bar", NULL);
	fails_with("unknown flag -L", "-L", "0.0.0.0:1", NULL);
	fails_with("bad flag syntax: ---l", "---l", "0.0.0.0:1", NULL);
	fails_with("bad flag syntax: -=1", "-=1", NULL);
}

static void
test_options_missing_value_is_an_error(void)
{
	fails_with("-l: missing value", "-l", NULL);
	fails_with("-listeners: missing value", "-v", "1", "--listeners",
	    NULL);
	fails_with("-allowed-subnets: missing value", "-allowed-subnets",
	    NULL);
}

static void
test_options_stray_argument_is_an_error(void)
{
	struct options	cfg;

	fails_with("unexpected argument \"extra\"", "-v", "1", "extra", NULL);
	fails_with("unexpected argument \"-\"", "-", NULL);
	fails_with("unexpected argument \"x\"", "--", "x", NULL);
	CU_ASSERT(run(&cfg, "-v", "2", "--", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.verbosity == 2);
}

/* As in Go, but -l, -4 and -6, which add up (next test). */
static void
test_options_last_repeated_flag_wins(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-v", "1", "--v=2",
	    "-listeners", "2", "-listeners", "3", NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.verbosity == 2);
	CU_ASSERT(cfg.listeners == 3);
}

static void
test_options_listen_and_targets_repeat_and_take_ranges(void)
{
	struct options	cfg;

	CU_ASSERT_FATAL(run(&cfg, "-l", "192.0.2.1:1", "--l=[::]:2-5",
	    "-4", "127.0.0.1:80", "-4=127.0.0.1:81-84", NULL) == OPTIONS_OK);
	CU_ASSERT_FATAL(cfg.listen.n == 2);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[0].addr, "192.0.2.1:1"));
	CU_ASSERT(cfg.listen.v[0].count == 1);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[1].addr, "[::]:2"));
	CU_ASSERT(cfg.listen.v[1].count == 4);
	CU_ASSERT_FATAL(cfg.target4.n == 2);
	CU_ASSERT(test_args_is_addr(&cfg.target4.v[1].addr, "127.0.0.1:81"));
	CU_ASSERT(cfg.target4.v[1].count == 4);
	/* Not given: the one default. */
	CU_ASSERT(cfg.target6.n == 1);
	CU_ASSERT(test_args_is_addr(&cfg.target6.v[0].addr, "[::1]:443"));
	CU_ASSERT(cfg.target6.v[0].count == 1);
	/* A range of one port; the whole port space. */
	CU_ASSERT_FATAL(run(&cfg, "-6", "[::1]:7-7", "-l", ":1-65535",
	    NULL) == OPTIONS_OK);
	CU_ASSERT(cfg.target6.v[0].count == 1);
	CU_ASSERT(cfg.listen.v[0].count == 65535);
	fails_with("-l: \"0.0.0.0:20-10\": bad port range", "-l",
	    "0.0.0.0:20-10", NULL);
	fails_with("-l: \"0.0.0.0:10-\": bad port range", "-l",
	    "0.0.0.0:10-", NULL);
	fails_with("-l: \"0.0.0.0:10-x\": bad port range", "-l",
	    "0.0.0.0:10-x", NULL);
	fails_with("-4: \"127.0.0.1:10-70000\": bad port range", "-4",
	    "127.0.0.1:10-70000", NULL);
	fails_with("-6: \"[::1]:0-5\": bad port range", "-6", "[::1]:0-5",
	    NULL);
	fails_with("-l: \"0.0.0.0:1--2\": bad port range", "-l",
	    "0.0.0.0:1--2", NULL);
}

static void
test_options_listen_is_given_at_most_64_times(void)
{
	char		*argv[2 * OPTIONS_MAX_ADDRS + 4];
	char		 ports[OPTIONS_MAX_ADDRS + 1][16];
	struct options	 cfg;
	FILE		*out;
	int		 i, argc = 0;

	argv[argc++] = "mmproxyd";
	for (i = 0; i < OPTIONS_MAX_ADDRS; i++) {
		snprintf(ports[i], sizeof(ports[i]), ":%d", 1000 + i);
		argv[argc++] = "-l";
		argv[argc++] = ports[i];
	}
	argv[argc] = NULL;
	out = fopen("/dev/null", "w");
	CU_ASSERT_FATAL(out != NULL);
	CU_ASSERT(options_parse(argc, argv, &cfg, out, errbuf,
	    sizeof(errbuf)) == OPTIONS_OK);
	CU_ASSERT(cfg.listen.n == OPTIONS_MAX_ADDRS);
	argv[argc++] = "-l";
	argv[argc++] = ":2000";
	argv[argc] = NULL;
	CU_ASSERT(options_parse(argc, argv, &cfg, out, errbuf,
	    sizeof(errbuf)) == OPTIONS_ERROR);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l: given more than 64 times");
	fclose(out);
}

static void
test_options_go_mmproxy_command_line_parses(void)
{
	struct options	cfg;

	/* The example from go-mmproxy's README. */
	CU_ASSERT_FATAL(run(&cfg, "-l", "0.0.0.0:25577", "-4",
	    "127.0.0.1:25578", "-6", "[::1]:25578", "-p", "udp",
	    "-listeners", "4", "-mark", "123", "-close-after", "30", "-v",
	    "2", NULL) == OPTIONS_OK);
	CU_ASSERT(test_args_is_addr(&cfg.listen.v[0].addr, "0.0.0.0:25577"));
	CU_ASSERT(test_args_is_addr(&cfg.target4.v[0].addr, "127.0.0.1:25578"));
	CU_ASSERT(test_args_is_addr(&cfg.target6.v[0].addr, "[::1]:25578"));
	CU_ASSERT(cfg.proto == IPPROTO_UDP);
	CU_ASSERT(cfg.listeners == 4);
	CU_ASSERT(cfg.mark == 123);
	CU_ASSERT(cfg.close_after_ms == 30000);
	CU_ASSERT(cfg.verbosity == 2);
}

void
test_options_register(void)
{
	CU_pSuite	s = test_suite_add("config");

	test_add(s, "defaults match go-mmproxy",
	    test_options_defaults_match_go_mmproxy);
	test_add(s, "every flag takes one or two dashes and both forms",
	    test_options_every_flag_takes_one_or_two_dashes_and_both_forms);
	test_add(s, "booleans are bare or take Go values",
	    test_options_booleans_are_bare_or_take_go_values);
	test_add(s, "bare boolean does not take next argument",
	    test_options_bare_boolean_does_not_take_next_argument);
	test_add(s, "protocol must be tcp or udp",
	    test_options_protocol_must_be_tcp_or_udp);
	test_add(s, "-4 must be IPv4 and -6 IPv6",
	    test_options_target4_must_be_ipv4_and_target6_ipv6);
	test_add(s, "bad address names the flag",
	    test_options_bad_address_names_the_flag);
	test_add(s, "-l :PORT is the dual-stack wildcard",
	    test_options_listen_empty_host_is_the_dual_stack_wildcard);
	test_add(s, "listeners range is 1 to 1024",
	    test_options_listeners_range_is_1_to_1024);
	test_add(s, "numbers reject garbage and overflow",
	    test_options_numbers_reject_garbage_and_overflow);
	test_add(s, "mark takes decimal or hex up to 32 bits",
	    test_options_mark_takes_decimal_or_hex_up_to_32_bits);
	test_add(s, "mark refuses a leading zero Go reads as octal",
	    test_options_mark_refuses_a_leading_zero_go_reads_as_octal);
	test_add(s, "close-after takes seconds or a duration",
	    test_options_close_after_takes_seconds_or_a_duration);
	test_add(s, "verbosity is 0 to 2", test_options_verbosity_is_0_to_2);
	test_add(s, "max-conns is 0 or up to a million",
	    test_options_max_conns_is_0_or_up_to_a_million);
	test_add(s, "header-timeout is above 0 up to an hour",
	    test_options_header_timeout_is_above_0_up_to_an_hour);
	test_add(s, "durations say what they accept",
	    test_options_durations_say_what_they_accept);
	test_add(s, "max-flows and shutdown-timeout bounds",
	    test_options_max_flows_and_shutdown_timeout_bounds);
	test_add(s, "user is kept by pointer",
	    test_options_user_is_kept_by_pointer);
	test_add(s, "metrics is off unless given",
	    test_options_metrics_is_off_unless_given);
	test_add(s, "client-port-busy takes four policies",
	    test_options_client_port_busy_takes_four_policies);
	test_add(s, "allowed-subnets is only a path",
	    test_options_allowed_subnets_is_only_a_path);
	test_add(s, "-t asks for a check alone",
	    test_options_t_asks_for_a_check_alone);
	test_add(s, "help prints every flag and exits",
	    test_options_help_prints_every_flag_and_exits);
	test_add(s, "help stops before later errors",
	    test_options_help_stops_before_later_errors);
	test_add(s, "version prints name and version",
	    test_options_version_prints_name_and_version);
	test_add(s, "unknown flag is an error",
	    test_options_unknown_flag_is_an_error);
	test_add(s, "missing value is an error",
	    test_options_missing_value_is_an_error);
	test_add(s, "stray argument is an error",
	    test_options_stray_argument_is_an_error);
	test_add(s, "last repeated flag wins",
	    test_options_last_repeated_flag_wins);
	test_add(s, "listen and targets repeat and take ranges",
	    test_options_listen_and_targets_repeat_and_take_ranges);
	test_add(s, "listen is given at most 64 times",
	    test_options_listen_is_given_at_most_64_times);
	test_add(s, "go-mmproxy command line parses",
	    test_options_go_mmproxy_command_line_parses);
}
