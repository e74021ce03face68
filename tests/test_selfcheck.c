/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_selfcheck.c -- unit tests for src/selfcheck.c that run without
 * privileges and without touching routing: the advice text, refusals
 * (checked as root too, from a thread that gives up its capabilities),
 * and the answer for a backend that is not on this host. Missing and present
 * rules are checked in a namespace by tests/functional/selfcheck.sh.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <sys/syscall.h>
#include <linux/capability.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"
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

/* Whether this thread has CAP_NET_ADMIN in its effective set. */
static int
has_net_admin(void)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	CU_ASSERT_FATAL(syscall(SYS_capget, &hdr, data) == 0);
	return ((data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
	    CAP_TO_MASK(CAP_NET_ADMIN)) != 0);
}

/* What selfcheck_transparent() answers for each family. */
struct transparent_check {
	int	rc[2], err[2];
	char	msg[2][256];
	int	dropped;	/* the thread lost its capabilities */
};

static void
transparent_both(struct transparent_check *t)
{
	int	i;

	for (i = 0; i < 2; i++) {
		t->msg[i][0] = '\0';
		errno = 0;
		t->rc[i] = selfcheck_transparent(i == 0 ? AF_INET : AF_INET6,
		    t->msg[i], sizeof(t->msg[i]));
		t->err[i] = errno;
	}
}

/* In a thread of its own, without capabilities: root's too. */
static void *
transparent_unprivileged(void *arg)
{
	struct transparent_check *t = arg;

	t->dropped = privdrop_thread_none() == 0 && !has_net_admin();
	transparent_both(t);
	return (NULL);
}

static void
test_selfcheck_transparent_names_the_capability_when_refused(void)
{
	struct transparent_check	t;
	pthread_t			th;
	int				i;

	memset(&t, 0, sizeof(t));
	CU_ASSERT_FATAL(pthread_create(&th, NULL, transparent_unprivileged,
	    &t) == 0);
	CU_ASSERT_FATAL(pthread_join(th, NULL) == 0);
	CU_ASSERT_FATAL(t.dropped);
	for (i = 0; i < 2; i++) {
		if (i == 1 && t.rc[i] == -1 && t.err[i] == EAFNOSUPPORT)
			continue;	/* no IPv6 here */
		CU_ASSERT_EQUAL(t.rc[i], -1);
		CU_ASSERT(t.err[i] == EPERM || t.err[i] == EACCES);
		CU_ASSERT_PTR_NOT_NULL(strstr(t.msg[i], "CAP_NET_ADMIN"));
	}
	/* And with the capability (as root), the check passes. */
	if (!has_net_admin())
		return;
	transparent_both(&t);
	CU_ASSERT_EQUAL(t.rc[0], 0);
	CU_ASSERT(t.rc[1] == 0 || t.err[1] == EAFNOSUPPORT);
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
