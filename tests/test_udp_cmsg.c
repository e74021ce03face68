/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_udp_cmsg.c -- where a datagram was sent, read from its control
 * messages; the PKTINFO message that picks a reply's source.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>
#include <unistd.h>

#include "udp_cmsg.h"
#include "test_suites.h"

/* One control message of level/type carrying data, as the kernel writes. */
static void
test_udp_cmsg_put(struct msghdr *mh, union udp_cmsg *ctl, int level,
    int type, const void *data, size_t len)
{
	memset(mh, 0, sizeof(*mh));
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl;
	mh->msg_controllen = CMSG_SPACE(len);
	ctl->align.cmsg_level = level;
	ctl->align.cmsg_type = type;
	ctl->align.cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(&ctl->align), data, len);
}

static void
test_udp_cmsg_reads_ipv4_pktinfo_with_the_listeners_port(void)
{
	struct msghdr		mh;
	union udp_cmsg		ctl;
	struct in_pktinfo	pi;
	union udp_flow_addr	to;

	memset(&pi, 0, sizeof(pi));
	inet_pton(AF_INET, "198.51.100.2", &pi.ipi_addr);
	test_udp_cmsg_put(&mh, &ctl, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, htons(8443), &to), 0);
	CU_ASSERT_EQUAL(to.sa.sa_family, AF_INET);
	CU_ASSERT_EQUAL(to.sin.sin_addr.s_addr, pi.ipi_addr.s_addr);
	CU_ASSERT_EQUAL(ntohs(to.sin.sin_port), 8443);
}

static void
test_udp_cmsg_keeps_the_scope_of_a_link_local_ipv6_pktinfo(void)
{
	struct msghdr		mh;
	union udp_cmsg		ctl;
	struct in6_pktinfo	pi6;
	union udp_flow_addr	to;

	memset(&pi6, 0, sizeof(pi6));
	inet_pton(AF_INET6, "fe80::1", &pi6.ipi6_addr);
	pi6.ipi6_ifindex = 7;
	test_udp_cmsg_put(&mh, &ctl, IPPROTO_IPV6, IPV6_PKTINFO, &pi6,
	    sizeof(pi6));
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, htons(53), &to), 0);
	CU_ASSERT_EQUAL(to.sa.sa_family, AF_INET6);
	CU_ASSERT_EQUAL(to.sin6.sin6_scope_id, 7);
	CU_ASSERT_EQUAL(ntohs(to.sin6.sin6_port), 53);
	CU_ASSERT(memcmp(&to.sin6.sin6_addr, &pi6.ipi6_addr, 16) == 0);
}

static void
test_udp_cmsg_reads_the_original_destination_with_its_port(void)
{
	struct msghdr		mh;
	union udp_cmsg		ctl;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	union udp_flow_addr	to;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(10005);
	inet_pton(AF_INET, "203.0.113.50", &sin.sin_addr);
	test_udp_cmsg_put(&mh, &ctl, IPPROTO_IP, IP_ORIGDSTADDR, &sin,
	    sizeof(sin));
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, htons(8443), &to), 0);
	CU_ASSERT(memcmp(&to.sin, &sin, sizeof(sin)) == 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(10010);
	inet_pton(AF_INET6, "2001:db8::50", &sin6.sin6_addr);
	test_udp_cmsg_put(&mh, &ctl, IPPROTO_IPV6, IPV6_ORIGDSTADDR, &sin6,
	    sizeof(sin6));
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, htons(8443), &to), 0);
	CU_ASSERT(memcmp(&to.sin6, &sin6, sizeof(sin6)) == 0);
}

static void
test_udp_cmsg_map_gives_an_ipv4_destination_the_mapped_form(void)
{
	union udp_flow_addr	a, before;
	char		buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a));
	a.sin.sin_family = AF_INET;
	a.sin.sin_port = htons(10005);
	inet_pton(AF_INET, "203.0.113.51", &a.sin.sin_addr);
	udp_cmsg_map(&a);
	CU_ASSERT_EQUAL_FATAL(a.sa.sa_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(a.sin6.sin6_port), 10005);
	CU_ASSERT_STRING_EQUAL(inet_ntop(AF_INET6, &a.sin6.sin6_addr, buf,
	    sizeof(buf)), "::ffff:203.0.113.51");
	/* IPv6 stays as it is. */
	before = a;
	udp_cmsg_map(&a);
	CU_ASSERT(memcmp(&a, &before, sizeof(a)) == 0);
}

static void
test_udp_cmsg_without_a_message_reached_is_unknown(void)
{
	struct msghdr		mh;
	union udp_cmsg		ctl;
	union udp_flow_addr	to;
	int			one = 1;

	memset(&mh, 0, sizeof(mh));
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, htons(1), &to), -1);
	CU_ASSERT_EQUAL(to.sa.sa_family, AF_UNSPEC);
	/* Another kind of message says nothing either. */
	test_udp_cmsg_put(&mh, &ctl, SOL_SOCKET, SO_TIMESTAMP, &one,
	    sizeof(one));
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, htons(1), &to), -1);
}

static void
test_udp_cmsg_pktinfo_names_the_source_address(void)
{
	union udp_flow_addr	 src;
	union udp_cmsg		 ctl;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	memset(&src, 0, sizeof(src));
	src.sin.sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.1", &src.sin.sin_addr);
	CU_ASSERT_EQUAL(udp_cmsg_pktinfo(&ctl, &src),
	    CMSG_SPACE(sizeof(struct in_pktinfo)));
	CU_ASSERT_EQUAL(ctl.align.cmsg_level, IPPROTO_IP);
	CU_ASSERT_EQUAL(ctl.align.cmsg_type, IP_PKTINFO);
	CU_ASSERT_EQUAL(ctl.align.cmsg_len, CMSG_LEN(sizeof(pi)));
	memcpy(&pi, CMSG_DATA(&ctl.align), sizeof(pi));
	CU_ASSERT_EQUAL(pi.ipi_spec_dst.s_addr, src.sin.sin_addr.s_addr);
	CU_ASSERT_EQUAL(pi.ipi_ifindex, 0);

	memset(&src, 0, sizeof(src));
	src.sin6.sin6_family = AF_INET6;
	src.sin6.sin6_scope_id = 3;
	inet_pton(AF_INET6, "fe80::2", &src.sin6.sin6_addr);
	CU_ASSERT_EQUAL(udp_cmsg_pktinfo(&ctl, &src),
	    CMSG_SPACE(sizeof(struct in6_pktinfo)));
	CU_ASSERT_EQUAL(ctl.align.cmsg_level, IPPROTO_IPV6);
	CU_ASSERT_EQUAL(ctl.align.cmsg_type, IPV6_PKTINFO);
	memcpy(&pi6, CMSG_DATA(&ctl.align), sizeof(pi6));
	CU_ASSERT(memcmp(&pi6.ipi6_addr, &src.sin6.sin6_addr, 16) == 0);
	CU_ASSERT_EQUAL(pi6.ipi6_ifindex, 3);
}

static void
test_udp_cmsg_pktinfo_leaves_bad_sources_to_the_kernel(void)
{
	union udp_flow_addr	src;
	union udp_cmsg		ctl;

	memset(&src, 0, sizeof(src));
	CU_ASSERT_EQUAL(udp_cmsg_pktinfo(&ctl, &src), 0);
	src.sin.sin_family = AF_INET;
	inet_pton(AF_INET, "224.0.0.1", &src.sin.sin_addr);
	CU_ASSERT_EQUAL(udp_cmsg_pktinfo(&ctl, &src), 0);
	inet_pton(AF_INET, "255.255.255.255", &src.sin.sin_addr);
	CU_ASSERT_EQUAL(udp_cmsg_pktinfo(&ctl, &src), 0);
	memset(&src, 0, sizeof(src));
	src.sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "ff02::1", &src.sin6.sin6_addr);
	CU_ASSERT_EQUAL(udp_cmsg_pktinfo(&ctl, &src), 0);
}

/* The kernel's own message fits the buffer and reads back. */
static void
test_udp_cmsg_reads_what_the_kernel_writes(void)
{
	struct sockaddr_in	sin;
	struct msghdr		mh;
	struct iovec		iov;
	union udp_cmsg		ctl;
	union udp_flow_addr	to;
	socklen_t		slen = sizeof(sin);
	char			buf[8];
	int			r, s, one = 1;

	r = socket(AF_INET, SOCK_DGRAM, 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(r != -1 && s != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(r, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CU_ASSERT_FATAL(getsockname(r, (struct sockaddr *)&sin, &slen) == 0);
	CU_ASSERT_FATAL(setsockopt(r, IPPROTO_IP, IP_RECVORIGDSTADDR, &one,
	    sizeof(one)) == 0);
	CU_ASSERT_FATAL(sendto(s, "x", 1, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) == 1);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &ctl;
	mh.msg_controllen = sizeof(ctl);
	CU_ASSERT_EQUAL(recvmsg(r, &mh, 0), 1);
	CU_ASSERT_EQUAL(mh.msg_flags & MSG_CTRUNC, 0);
	CU_ASSERT_EQUAL(udp_cmsg_reached(&mh, 0, &to), 0);
	CU_ASSERT_EQUAL(to.sin.sin_addr.s_addr, sin.sin_addr.s_addr);
	CU_ASSERT_EQUAL(to.sin.sin_port, sin.sin_port);
	(void)close(r);
	(void)close(s);
}

void
test_udp_cmsg_register(void)
{
	CU_pSuite	s = test_suite_add("udp_cmsg");

	test_add(s, "reads IPv4 PKTINFO with the listener's port",
	    test_udp_cmsg_reads_ipv4_pktinfo_with_the_listeners_port);
	test_add(s, "keeps the scope of a link-local IPv6 PKTINFO",
	    test_udp_cmsg_keeps_the_scope_of_a_link_local_ipv6_pktinfo);
	test_add(s, "reads the original destination with its port",
	    test_udp_cmsg_reads_the_original_destination_with_its_port);
	test_add(s, "map gives an IPv4 destination the mapped form",
	    test_udp_cmsg_map_gives_an_ipv4_destination_the_mapped_form);
	test_add(s, "without a message, reached is unknown",
	    test_udp_cmsg_without_a_message_reached_is_unknown);
	test_add(s, "PKTINFO names the source address",
	    test_udp_cmsg_pktinfo_names_the_source_address);
	test_add(s, "PKTINFO leaves bad sources to the kernel",
	    test_udp_cmsg_pktinfo_leaves_bad_sources_to_the_kernel);
	test_add(s, "reads what the kernel writes",
	    test_udp_cmsg_reads_what_the_kernel_writes);
}
