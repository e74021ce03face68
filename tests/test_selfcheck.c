/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_selfcheck.c -- unit tests for src/selfcheck.c that run without
 * privileges and without touching routing: the advice text, refusals, and
 * the answer for a backend that is not on this host. Missing and present
 * rules are checked in a namespace by tests/functional/selfcheck.sh.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>

#include "selfcheck.h"
#include "test_suites.h"

static struct sockaddr *
sa_of(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(9001);
	} else {
		CU_ASSERT_FATAL(inet_pton(AF_INET6, ip,
		    &sin6->sin6_addr) == 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(9001);
	}
	return ((struct sockaddr *)ss);
}

static void
advice_is(const char *ip, const char *want)
{
	struct sockaddr_storage	ss;
	char			buf[256];

	selfcheck_route_advice(sa_of(ip, &ss), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void
test_selfcheck_advises_the_loopback_rules_for_a_loopback_backend(void)
{
	advice_is("127.0.0.1", "ip rule add from 127.0.0.1/8 iif lo table "
	    "123; ip route add local 0.0.0.0/0 dev lo table 123");
	advice_is("127.3.4.5", "ip rule add from 127.0.0.1/8 iif lo table "
	    "123; ip route add local 0.0.0.0/0 dev lo table 123");
	advice_is("::1", "ip -6 rule add from ::1/128 iif lo table 123; "
	    "ip -6 route add local ::/0 dev lo table 123");
}

static void
test_selfcheck_advises_a_host_rule_for_any_other_local_address(void)
{
	advice_is("10.1.2.3", "ip rule add from 10.1.2.3/32 iif lo table "
	    "123; ip route add local 0.0.0.0/0 dev lo table 123");
	advice_is("2001:db8::5", "ip -6 rule add from 2001:db8::5/128 iif lo "
	    "table 123; ip -6 route add local ::/0 dev lo table 123");
}

static void
test_selfcheck_reads_v4_mapped_and_unspecified_backends_as_reached(void)
{
	advice_is("::ffff:127.0.0.1", "ip rule add from 127.0.0.1/8 iif lo "
	    "table 123; ip route add local 0.0.0.0/0 dev lo table 123");
	advice_is("::ffff:10.1.2.3", "ip rule add from 10.1.2.3/32 iif lo "
	    "table 123; ip route add local 0.0.0.0/0 dev lo table 123");
	advice_is("0.0.0.0", "ip rule add from 127.0.0.1/8 iif lo table "
	    "123; ip route add local 0.0.0.0/0 dev lo table 123");
	advice_is("::", "ip -6 rule add from ::1/128 iif lo table 123; "
	    "ip -6 route add local ::/0 dev lo table 123");
}

static void
test_selfcheck_advice_is_cut_short_but_terminated(void)
{
	struct sockaddr_storage	ss;
	char			buf[8];

	memset(buf, 'x', sizeof(buf));
	selfcheck_route_advice(sa_of("127.0.0.1", &ss), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "ip rule");
}

static void
test_selfcheck_route_passes_a_backend_on_another_host(void)
{
	struct sockaddr_storage	ss;
	char			buf[256];

	/* TEST-NET-3 is nobody's address: not ours, so not ours to check. */
	buf[0] = 'x';
	CU_ASSERT_EQUAL(selfcheck_return_route(sa_of("203.0.113.9", &ss),
	    buf, sizeof(buf)), 1);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

static void
test_selfcheck_route_refuses_a_non_ip_backend(void)
{
	struct sockaddr_un	sun;
	char			buf[64];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	errno = 0;
	CU_ASSERT_EQUAL(selfcheck_return_route((struct sockaddr *)&sun, buf,
	    sizeof(buf)), -1);
	CU_ASSERT_EQUAL(errno, EAFNOSUPPORT);
}

static void
test_selfcheck_transparent_names_the_capability_when_refused(void)
{
	char	err[256];
	int	rc, family;

	/* Root passes; anyone else must be told what to grant. */
	for (family = AF_INET; family != -1;
	    family = family == AF_INET ? AF_INET6 : -1) {
		err[0] = '\0';
		errno = 0;
		rc = selfcheck_transparent(family, err, sizeof(err));
		if (rc == -1 && errno == EAFNOSUPPORT && family == AF_INET6)
			continue;	/* no IPv6 here */
		if (rc == 0)
			continue;
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT(errno == EPERM || errno == EACCES);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "CAP_NET_ADMIN"));
	}
}

static void
test_selfcheck_transparent_refuses_other_families(void)
{
	char	err[256];

	errno = 0;
	CU_ASSERT_EQUAL(selfcheck_transparent(AF_UNIX, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(errno, EAFNOSUPPORT);
}

void
test_selfcheck_register(void)
{
	CU_pSuite	s = test_suite_add("selfcheck");

	test_add(s, "advises the loopback rules for a loopback backend",
	    test_selfcheck_advises_the_loopback_rules_for_a_loopback_backend);
	test_add(s, "advises a host rule for any other local address",
	    test_selfcheck_advises_a_host_rule_for_any_other_local_address);
	test_add(s, "reads v4-mapped and unspecified backends as reached",
	    test_selfcheck_reads_v4_mapped_and_unspecified_backends_as_reached);
	test_add(s, "advice is cut short but terminated",
	    test_selfcheck_advice_is_cut_short_but_terminated);
	test_add(s, "route check passes a backend on another host",
	    test_selfcheck_route_passes_a_backend_on_another_host);
	test_add(s, "route check refuses a non-IP backend",
	    test_selfcheck_route_refuses_a_non_ip_backend);
	test_add(s, "transparent check names the capability when refused",
	    test_selfcheck_transparent_names_the_capability_when_refused);
	test_add(s, "transparent check refuses other families",
	    test_selfcheck_transparent_refuses_other_families);
}
