/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_udp_steer.c -- the -listeners steering program, checked for shape
 * and then run by the kernel: attached as a socket filter to one end of
 * a socketpair, its result cuts each datagram to that many bytes (0 drops
 * it, UDP_STEER_KERNEL keeps it whole), so the received length is the
 * socket index the program chose.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "proxy_header.h"
#include "udp_steer.h"
#include "test_suites.h"

#define TEST_STEER_N		61	/* listeners; below the datagram size */
#define TEST_STEER_LEN		100	/* bytes per datagram */
#define TEST_STEER_DROPPED	(-1)

static const uint8_t test_steer_sig[PP_V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* A v2 header of cmd and family byte with a client a:port, in buf. */
static void
test_steer_header(uint8_t *buf, int cmd, int fam, const char *a, int port)
{
	uint16_t	p = htons((uint16_t)port);

	memset(buf, 0xee, TEST_STEER_LEN);
	memcpy(buf, test_steer_sig, sizeof(test_steer_sig));
	buf[PP_V2_VER_CMD_OFF] = (uint8_t)(PP_V2_VERSION << 4 | cmd);
	buf[PP_V2_FAM_OFF] = (uint8_t)fam;
	if (fam >> 4 == PP_V2_FAM_INET) {
		inet_pton(AF_INET, a, buf + PP_V2_IN4_SRC_OFF);
		memcpy(buf + PP_V2_IN4_SPORT_OFF, &p, 2);
	} else if (fam >> 4 == PP_V2_FAM_INET6) {
		inet_pton(AF_INET6, a, buf + PP_V2_IN6_SRC_OFF);
		memcpy(buf + PP_V2_IN6_SPORT_OFF, &p, 2);
	}
}

/* What the program should pick, computed here the long way. */
static int
test_steer_expect(uint32_t word, uint32_t port)
{
	uint32_t	h = (word ^ port) * 0x9e3779b1U;

	return ((int)((h >> 16) % TEST_STEER_N));
}

/* Run the program in the kernel on [buf, len): the length that got through. */
static int
test_steer_run(const uint8_t *buf, size_t len)
{
	struct sock_filter	code[UDP_STEER_MAX_LEN];
	struct sock_fprog	prog;
	uint8_t			in[TEST_STEER_LEN];
	int			sv[2], n;

	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)udp_steer_program(code, TEST_STEER_N);
	prog.filter = code;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
		return (-2);
	if (setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1 || send(sv[0], buf, len, 0) != (ssize_t)len) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return (-2);
	}
	n = (int)recv(sv[1], in, sizeof(in), MSG_DONTWAIT);
	if (n == -1 && errno == EAGAIN)
		n = TEST_STEER_DROPPED;
	(void)close(sv[0]);
	(void)close(sv[1]);
	return (n);
}

/* The index the kernel would take from a run of the program. */
static int
test_steer_index(const uint8_t *buf, size_t len)
{
	int	n = test_steer_run(buf, len);

	if (n == TEST_STEER_DROPPED)
		return (0);
	if ((size_t)n == len)
		return (-1);	/* UDP_STEER_KERNEL, or an index past len */
	return (n);
}

static void
test_udp_steer_program_is_well_formed(void)
{
	struct sock_filter	code[UDP_STEER_MAX_LEN];
	size_t			n, i, to;

	n = udp_steer_program(code, 4);
	CU_ASSERT_FATAL(n > 0 && n <= UDP_STEER_MAX_LEN);
	CU_ASSERT_EQUAL(code[n - 1].code, BPF_RET | BPF_K);
	CU_ASSERT_EQUAL(code[n - 1].k, UDP_STEER_KERNEL);
	for (i = 0; i < n; i++) {
		if (BPF_CLASS(code[i].code) == BPF_JMP) {
			to = BPF_OP(code[i].code) == BPF_JA ? i + 1 +
			    code[i].k : i + 1 + code[i].jf;
			CU_ASSERT(to < n);
			CU_ASSERT(i + 1 + code[i].jt < n);
		}
		/* Every load reads a field the parser names. */
		if (code[i].code == (BPF_LD | BPF_B | BPF_ABS))
			CU_ASSERT(code[i].k == PP_V2_VER_CMD_OFF ||
			    code[i].k == PP_V2_FAM_OFF);
		if (code[i].code == (BPF_LD | BPF_H | BPF_ABS))
			CU_ASSERT(code[i].k == PP_V2_IN4_SPORT_OFF ||
			    code[i].k == PP_V2_IN6_SPORT_OFF);
		if (BPF_CLASS(code[i].code) == BPF_ALU &&
		    BPF_OP(code[i].code) == BPF_MOD)
			CU_ASSERT_EQUAL(code[i].k, 4);
	}
}

static void
test_udp_steer_spreads_clients_by_address_and_port(void)
{
	uint8_t		buf[TEST_STEER_LEN];
	uint32_t	word;
	int		port, got, seen = 0, hit[TEST_STEER_N];

	memset(hit, 0, sizeof(hit));
	for (port = 5000; port < 5200; port++) {
		test_steer_header(buf, PP_CMD_PROXY, 0x12, "192.0.2.7", port);
		got = test_steer_index(buf, sizeof(buf));
		memcpy(&word, buf + PP_V2_IN4_SRC_OFF, 4);
		CU_ASSERT_EQUAL(got, test_steer_expect(ntohl(word),
		    (uint32_t)port));
		if (got >= 0 && got < TEST_STEER_N && hit[got]++ == 0)
			seen++;
	}
	/* 200 clients over 61 sockets: most sockets get some. */
	CU_ASSERT(seen > TEST_STEER_N / 2);
	test_steer_header(buf, PP_CMD_PROXY, 0x22, "2001:db8::c000:207",
	    5000);
	CU_ASSERT_EQUAL(test_steer_index(buf, sizeof(buf)),
	    test_steer_expect(0xc0000207U, 5000));
}

static void
test_udp_steer_mapped_ipv6_lands_with_its_ipv4_form(void)
{
	uint8_t	buf[TEST_STEER_LEN];
	int	v4, v6;

	test_steer_header(buf, PP_CMD_PROXY, 0x12, "192.0.2.9", 4242);
	v4 = test_steer_index(buf, sizeof(buf));
	test_steer_header(buf, PP_CMD_PROXY, 0x22, "::ffff:192.0.2.9", 4242);
	v6 = test_steer_index(buf, sizeof(buf));
	CU_ASSERT(v4 >= 0);
	CU_ASSERT_EQUAL(v4, v6);
}

static void
test_udp_steer_leaves_local_and_garbage_to_the_kernel(void)
{
	uint8_t	buf[TEST_STEER_LEN];

	/* LOCAL with an address block: the receiver ignores the block. */
	test_steer_header(buf, PP_CMD_LOCAL, 0x12, "192.0.2.7", 5000);
	CU_ASSERT_EQUAL(test_steer_run(buf, sizeof(buf)), TEST_STEER_LEN);
	test_steer_header(buf, PP_CMD_LOCAL, 0x00, NULL, 0);
	CU_ASSERT_EQUAL(test_steer_run(buf, sizeof(buf)), TEST_STEER_LEN);
	/* PROXY UNSPEC names no client. */
	test_steer_header(buf, PP_CMD_PROXY, 0x00, NULL, 0);
	CU_ASSERT_EQUAL(test_steer_run(buf, sizeof(buf)), TEST_STEER_LEN);
	/* A v1 line. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "PROXY TCP4 192.0.2.7 192.0.2.8 5000 53\r\n", 40);
	CU_ASSERT_EQUAL(test_steer_run(buf, sizeof(buf)), TEST_STEER_LEN);
}

void
test_udp_steer_register(void)
{
	CU_pSuite	s = test_suite_add("udp_steer");

	test_add(s, "program is well formed",
	    test_udp_steer_program_is_well_formed);
	test_add(s, "spreads clients by address and port",
	    test_udp_steer_spreads_clients_by_address_and_port);
	test_add(s, "mapped IPv6 lands with its IPv4 form",
	    test_udp_steer_mapped_ipv6_lands_with_its_ipv4_form);
	test_add(s, "leaves LOCAL and garbage to the kernel",
	    test_udp_steer_leaves_local_and_garbage_to_the_kernel);
}
