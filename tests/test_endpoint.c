/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_endpoint.c -- unit tests for src/endpoint.c: -l ranges paired with
 * their targets, and each mistake refused with the flags named.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "endpoint.h"
#include "options.h"

#include "test_args.h"
#include "test_suites.h"

static char	errbuf[512];

/* Parse the NULL-terminated flags and expand them; NULL on an error. */
static struct endpoint *
expand(size_t *n, ...)
{
	struct options	cfg;
	va_list		ap;

	va_start(ap, n);
	CU_ASSERT_FATAL(test_args_vparse(&cfg, errbuf, sizeof(errbuf), NULL,
	    0, ap) == OPTIONS_OK);
	va_end(ap);
	errbuf[0] = '\0';
	*n = 0;
	return (endpoint_expand(&cfg, n, errbuf, sizeof(errbuf)));
}

static void
test_endpoint_defaults_are_one_port(void)
{
	struct endpoint	*ep;
	size_t		 n;

	CU_ASSERT_FATAL((ep = expand(&n, NULL)) != NULL);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(test_args_is_addr(&ep[0].listen, "0.0.0.0:8443"));
	CU_ASSERT(test_args_is_addr(&ep[0].target4, "127.0.0.1:443"));
	CU_ASSERT(test_args_is_addr(&ep[0].target6, "[::1]:443"));
	free(ep);
}

static void
test_endpoint_range_maps_port_n_to_port_n(void)
{
	struct endpoint	*ep;
	char		 want[ADDR_STRLEN];
	size_t		 n, i;

	CU_ASSERT_FATAL((ep = expand(&n, "-l", "0.0.0.0:27015-27030",
	    "-4", "127.0.0.1:37015-37030", "-6", "[::1]:9000", NULL)) != NULL);
	CU_ASSERT_FATAL(n == 16);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "0.0.0.0:%zu", 27015 + i);
		CU_ASSERT(test_args_is_addr(&ep[i].listen, want));
		snprintf(want, sizeof(want), "127.0.0.1:%zu", 37015 + i);
		CU_ASSERT(test_args_is_addr(&ep[i].target4, want));
		/* A single port takes every port of the range. */
		CU_ASSERT(test_args_is_addr(&ep[i].target6, "[::1]:9000"));
	}
	free(ep);
}

static void
test_endpoint_targets_pair_in_order_or_one_for_all(void)
{
	struct endpoint	*ep;
	size_t		 n;

	/* The i-th -4 goes with the i-th -l; the lone -6 with both. */
	CU_ASSERT_FATAL((ep = expand(&n, "-l", "0.0.0.0:25565",
	    "-4", "127.0.0.1:35565", "-l", "[::]:27015-27016",
	    "-4", "127.0.0.1:37015-37016", "-6", "[::1]:443", NULL)) != NULL);
	CU_ASSERT_FATAL(n == 3);
	CU_ASSERT(test_args_is_addr(&ep[0].listen, "0.0.0.0:25565"));
	CU_ASSERT(test_args_is_addr(&ep[0].target4, "127.0.0.1:35565"));
	CU_ASSERT(test_args_is_addr(&ep[1].listen, "[::]:27015"));
	CU_ASSERT(test_args_is_addr(&ep[1].target4, "127.0.0.1:37015"));
	CU_ASSERT(test_args_is_addr(&ep[2].listen, "[::]:27016"));
	CU_ASSERT(test_args_is_addr(&ep[2].target4, "127.0.0.1:37016"));
	CU_ASSERT(test_args_is_addr(&ep[0].target6, "[::1]:443"));
	CU_ASSERT(test_args_is_addr(&ep[2].target6, "[::1]:443"));
	free(ep);
	/* One -4 for two -l of one port each. */
	CU_ASSERT_FATAL((ep = expand(&n, "-l", "0.0.0.0:1", "-l",
	    "0.0.0.0:2", "-4", "127.0.0.1:80", NULL)) != NULL);
	CU_ASSERT_FATAL(n == 2);
	CU_ASSERT(test_args_is_addr(&ep[1].listen, "0.0.0.0:2"));
	CU_ASSERT(test_args_is_addr(&ep[1].target4, "127.0.0.1:80"));
	free(ep);
}

static void
test_endpoint_length_mismatch_is_refused(void)
{
	size_t	n;

	CU_ASSERT(expand(&n, "-l", "0.0.0.0:27015-27030", "-4",
	    "127.0.0.1:37015-37029", NULL) == NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l 0.0.0.0:27015-27030 has 16 ports "
	    "but -4 127.0.0.1:37015-37029 has 15: give a range as long, or "
	    "a single port");
	/* A shared range fits only the -l of its length. */
	CU_ASSERT(expand(&n, "-l", "0.0.0.0:1-2", "-l", "0.0.0.0:5",
	    "-6", "[::1]:7-8", NULL) == NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l 0.0.0.0:5 has 1 port but -6 "
	    "[::1]:7-8 has 2: give a range as long, or a single port");
	CU_ASSERT(expand(&n, "-l", "0.0.0.0:1", "-l", "0.0.0.0:2", "-l",
	    "0.0.0.0:3", "-4", "127.0.0.1:1", "-4", "127.0.0.1:2",
	    NULL) == NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-4 given 2 times for 3 -l: give one "
	    "for all, or one per -l");
	CU_ASSERT(n == 0);
}

static void
test_endpoint_overlapping_listeners_are_refused(void)
{
	struct endpoint	*ep;
	size_t		 n;

	CU_ASSERT(expand(&n, "-l", "0.0.0.0:100-200", "-l",
	    "0.0.0.0:150", NULL) == NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l 0.0.0.0:100-200 and -l "
	    "0.0.0.0:150 overlap on port 150");
	/* The wildcard takes every address of its family... */
	CU_ASSERT(expand(&n, "-l", "192.0.2.1:10-20", "-l",
	    "0.0.0.0:5-10", NULL) == NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l 192.0.2.1:10-20 and -l "
	    "0.0.0.0:5-10 overlap on port 10");
	/* ... and [::] (dual-stack) IPv4's too. */
	CU_ASSERT(expand(&n, "-l", ":80", "-l", "127.0.0.1:80", NULL) ==
	    NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l [::]:80 and -l 127.0.0.1:80 "
	    "overlap on port 80");
	CU_ASSERT(expand(&n, "-l", "[::1]:80", "-l", "[::]:70-90", NULL) ==
	    NULL);
	/* Side by side, or on different addresses: fine. */
	CU_ASSERT_FATAL((ep = expand(&n, "-l", "192.0.2.1:100-199", "-l",
	    "192.0.2.1:200", "-l", "[::1]:150", "-l", "127.0.0.1:150",
	    "-l", "127.0.0.2:150", NULL)) != NULL);
	CU_ASSERT(n == 104);
	free(ep);
}

static void
test_endpoint_dual_stack_wildcards_overlap_the_other_family(void)
{
	struct endpoint	*ep;
	size_t		 n;

	/* 0.0.0.0 takes IPv6 too, as [::] takes IPv4. */
	CU_ASSERT(expand(&n, "-l", "0.0.0.0:80", "-l", "[2001:db8::1]:80",
	    NULL) == NULL);
	CU_ASSERT_STRING_EQUAL(errbuf, "-l 0.0.0.0:80 and -l "
	    "[2001:db8::1]:80 overlap on port 80");
	CU_ASSERT(expand(&n, "-l", "0.0.0.0:80", "-l", "[::]:80", NULL) ==
	    NULL);
	/* -dual-stack=false: each wildcard its own family. */
	CU_ASSERT_FATAL((ep = expand(&n, "-dual-stack=false", "-l",
	    "0.0.0.0:80", "-l", "[::]:80", "-l", "[2001:db8::1]:81", "-l",
	    "0.0.0.0:81", NULL)) != NULL);
	CU_ASSERT(n == 4);
	free(ep);
	CU_ASSERT(expand(&n, "-dual-stack=false", "-l", "[::]:80", "-l",
	    "[::1]:80", NULL) == NULL);
	CU_ASSERT(expand(&n, "-dual-stack=false", "-l", "0.0.0.0:80", "-l",
	    "127.0.0.1:80", NULL) == NULL);
}

static void
test_endpoint_more_than_1024_ports_point_to_tproxy(void)
{
	struct endpoint	*ep;
	size_t		 n;

	CU_ASSERT_FATAL((ep = expand(&n, "-l", "0.0.0.0:1-1000", "-l",
	    "0.0.0.0:2001-2024", NULL)) != NULL);
	CU_ASSERT(n == 1024);
	free(ep);
	CU_ASSERT(expand(&n, "-l", "0.0.0.0:1-1000", "-l",
	    "0.0.0.0:2001-2025", NULL) == NULL);
	CU_ASSERT(strncmp(errbuf, "-l: 1025 ports, more than the 1024",
	    34) == 0);
	CU_ASSERT(strstr(errbuf, "-listen-transparent") != NULL);
	CU_ASSERT(strstr(errbuf, "-dynamic-destination") != NULL);
}

void
test_endpoint_register(void)
{
	CU_pSuite	s = test_suite_add("endpoint");

	test_add(s, "defaults are one port",
	    test_endpoint_defaults_are_one_port);
	test_add(s, "range maps port N to port N",
	    test_endpoint_range_maps_port_n_to_port_n);
	test_add(s, "targets pair in order or one for all",
	    test_endpoint_targets_pair_in_order_or_one_for_all);
	test_add(s, "length mismatch is refused",
	    test_endpoint_length_mismatch_is_refused);
	test_add(s, "overlapping listeners are refused",
	    test_endpoint_overlapping_listeners_are_refused);
	test_add(s, "dual-stack wildcards overlap the other family",
	    test_endpoint_dual_stack_wildcards_overlap_the_other_family);
	test_add(s, "more than 1024 ports point to TPROXY",
	    test_endpoint_more_than_1024_ports_point_to_tproxy);
}
