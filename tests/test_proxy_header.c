/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_proxy_header.c -- unit tests for src/proxy_header.c: the v1 grammar,
 * the v2 layout, TLVs and CRC32C, split headers and early rejection, all
 * against the policy in section 5 of the PROXY spec digest.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "proxy_header.h"
#include "test_suites.h"

static const uint8_t test_v2_sig[PP_V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* 192.0.2.1:12345 -> 198.51.100.2:443 */
static const uint8_t test_inet_block[12] = {
	192, 0, 2, 1, 198, 51, 100, 2, 0x30, 0x39, 0x01, 0xbb
};

/* [2001:db8::1]:12345 -> [2001:db8::2]:443 */
static const uint8_t test_inet6_block[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x30, 0x39, 0x01, 0xbb
};

/* Big enough for the largest v2 header plus some payload. */
static uint8_t	test_big[PP_V2_MAX_LEN + 64];

/*
 * Build a v2 header in out: signature, ver_cmd, fam, then body (address
 * block and TLVs). With crc, a CRC32C TLV is appended and filled in.
 * Returns the header length.
 */
static size_t
test_v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const void *body,
    size_t blen, int crc)
{
	size_t		 len = blen + (crc ? 7 : 0);
	uint8_t		*t;
	uint32_t	 c;

	memcpy(out, test_v2_sig, PP_V2_SIG_LEN);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	if (blen > 0)
		memmove(out + 16, body, blen);
	if (crc) {
		t = out + 16 + blen;
		t[0] = 0x03;
		t[1] = 0;
		t[2] = 4;
		memset(t + 3, 0, 4);
		c = crc32c(out, 16 + len);
		t[3] = (uint8_t)(c >> 24);
		t[4] = (uint8_t)(c >> 16);
		t[5] = (uint8_t)(c >> 8);
		t[6] = (uint8_t)c;
	}
	return (16 + len);
}

/* Append one TLV at p; returns its size. */
static size_t
test_tlv(uint8_t *p, uint8_t type, const void *val, size_t n)
{
	p[0] = type;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	if (n > 0)
		memcpy(p + 3, val, n);
	return (3 + n);
}

/* Recompute a CRC32C whose 4 value bytes are at h + off. */
static void
test_v2_seal(uint8_t *h, size_t total, size_t off)
{
	uint32_t	c;

	memset(h + off, 0, 4);
	c = crc32c(h, total);
	h[off] = (uint8_t)(c >> 24);
	h[off + 1] = (uint8_t)(c >> 16);
	h[off + 2] = (uint8_t)(c >> 8);
	h[off + 3] = (uint8_t)c;
}

static ssize_t
test_parse(const char *s, struct pp_header *h)
{
	return (proxy_header_parse(s, strlen(s), h));
}

/*
 * Feed buf a byte at a time: every prefix shorter than want needs more,
 * want itself and every longer prefix give want.
 */
static void
test_splits(const void *buf, size_t len, size_t want)
{
	struct pp_header	h;
	size_t			k;
	int			bad = 0;

	for (k = 0; k < want; k++)
		if (proxy_header_parse(buf, k, &h) != 0)
			bad++;
	for (k = want; k <= len; k++)
		if (proxy_header_parse(buf, k, &h) != (ssize_t)want)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_check_in(const struct sockaddr_storage *ss, const char *addr, int port)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	struct in_addr			 want;

	CU_ASSERT_EQUAL_FATAL(ss->ss_family, AF_INET);
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, addr, &want), 1);
	CU_ASSERT_EQUAL(sin->sin_addr.s_addr, want.s_addr);
	CU_ASSERT_EQUAL(ntohs(sin->sin_port), port);
}

static void
test_check_in6(const struct sockaddr_storage *ss, const char *addr, int port)
{
	const struct sockaddr_in6	*sin6 = (const void *)ss;
	struct in6_addr			 want;

	CU_ASSERT_EQUAL_FATAL(ss->ss_family, AF_INET6);
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, addr, &want), 1);
	CU_ASSERT(memcmp(&sin6->sin6_addr, &want, sizeof(want)) == 0);
	CU_ASSERT_EQUAL(ntohs(sin6->sin6_port), port);
}

/* Nothing decides on no bytes at all. */
static void
test_proxy_header_needs_more_for_empty_buffer(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(proxy_header_parse("", 0, &h), 0);
}

/* ---- signature ---- */

static void
test_proxy_header_rejects_bad_first_byte_at_once(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(proxy_header_parse("G", 1, &h), -PP_ERR_SIGNATURE);
	CU_ASSERT_EQUAL(proxy_header_parse("\n", 1, &h), -PP_ERR_SIGNATURE);
	CU_ASSERT_EQUAL(proxy_header_parse("", 1, &h), -PP_ERR_SIGNATURE);
}

static void
test_proxy_header_rejects_http_request(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("GET / HTTP/1.1\r\n\r\n", &h),
	    -PP_ERR_SIGNATURE);
}

static void
test_proxy_header_rejects_lowercase_proxy(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_SIGNATURE);
}

static void
test_proxy_header_rejects_proxy_without_space(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(proxy_header_parse("PROXY", 5, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse("PROXYT", 6, &h),
	    -PP_ERR_SIGNATURE);
	CU_ASSERT_EQUAL(test_parse("PROXY\r\n", &h), -PP_ERR_SIGNATURE);
}

static void
test_proxy_header_rejects_v2_signature_mismatch_early(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(proxy_header_parse("\r", 1, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse("\rX", 2, &h), -PP_ERR_SIGNATURE);
	CU_ASSERT_EQUAL(proxy_header_parse("\r\n\r\nX", 5, &h),
	    -PP_ERR_SIGNATURE);
	CU_ASSERT_EQUAL(proxy_header_parse("\r\n\r\n\0\r\nQUIT\r", 12, &h),
	    -PP_ERR_SIGNATURE);
}

static void
test_proxy_header_waits_on_every_prefix_of_the_signatures(void)
{
	struct pp_header	h;
	size_t			k;

	for (k = 1; k <= PP_V2_SIG_LEN; k++)
		CU_ASSERT_EQUAL(proxy_header_parse(test_v2_sig, k, &h), 0);
	for (k = 1; k <= 6; k++)
		CU_ASSERT_EQUAL(proxy_header_parse("PROXY ", k, &h), 0);
}

/* ---- v1: valid lines ---- */

static void
test_proxy_header_accepts_v1_tcp4(void)
{
	const char		in[] =
	    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	CU_ASSERT_EQUAL(h.version, 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(h.command, PP_CMD_PROXY);
	CU_ASSERT_EQUAL(h.transport, SOCK_STREAM);
	CU_ASSERT_EQUAL(h.len, sizeof(in) - 1);
	CU_ASSERT_EQUAL(h.has_crc, 0);
	test_check_in(&h.src, "192.168.0.1", 56324);
	test_check_in(&h.dst, "192.168.0.11", 443);
}

static void
test_proxy_header_accepts_v1_tcp6(void)
{
	const char		in[] =
	    "PROXY TCP6 2001:db8::1 2001:db8::2 12345 443\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(h.transport, SOCK_STREAM);
	test_check_in6(&h.src, "2001:db8::1", 12345);
	test_check_in6(&h.dst, "2001:db8::2", 443);
}

static void
test_proxy_header_accepts_v1_tcp6_in_upper_case_hex(void)
{
	const char		in[] =
	    "PROXY TCP6 2001:DB8::ABCD ::1 1 2\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	test_check_in6(&h.src, "2001:db8::abcd", 1);
	test_check_in6(&h.dst, "::1", 2);
}

static void
test_proxy_header_accepts_v1_tcp6_with_dotted_tail(void)
{
	const char		in[] =
	    "PROXY TCP6 ::ffff:192.0.2.1 ::ffff:198.51.100.2 1000 80\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	test_check_in6(&h.src, "::ffff:192.0.2.1", 1000);
	test_check_in6(&h.dst, "::ffff:198.51.100.2", 80);
}

static void
test_proxy_header_accepts_v1_port_zero_and_65535(void)
{
	const char		in[] = "PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	test_check_in(&h.src, "1.2.3.4", 0);
	test_check_in(&h.dst, "5.6.7.8", 65535);
}

static void
test_proxy_header_accepts_v1_zero_and_broadcast_addresses(void)
{
	const char		in[] =
	    "PROXY TCP4 0.0.0.0 255.255.255.255 10 20\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	test_check_in(&h.src, "0.0.0.0", 10);
	test_check_in(&h.dst, "255.255.255.255", 20);
}

static void
test_proxy_header_accepts_v1_unknown_short_form(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse("PROXY UNKNOWN\r\n", &h), 15);
	CU_ASSERT_EQUAL(h.version, 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	CU_ASSERT_EQUAL(h.len, 15);
	CU_ASSERT_EQUAL(h.src.ss_family, AF_UNSPEC);
}

static void
test_proxy_header_accepts_v1_unknown_with_addresses(void)
{
	const char		in[] =
	    "PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
}

static void
test_proxy_header_ignores_anything_before_crlf_after_unknown(void)
{
	const char		in[] = "PROXY UNKNOWN  x\tY \x01\x7f\xff 08 ::\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), (ssize_t)sizeof(in) - 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
}

/* Build "PROXY UNKNOWN " + filler + CRLF of exactly len bytes. */
static size_t
test_unknown_line(char *buf, size_t len)
{
	memcpy(buf, "PROXY UNKNOWN ", 14);
	memset(buf + 14, 'x', len - 16);
	memcpy(buf + len - 2, "\r\n", 2);
	return (len);
}

static void
test_proxy_header_accepts_v1_line_of_107_bytes(void)
{
	char			buf[200];
	struct pp_header	h;

	test_unknown_line(buf, 107);
	memcpy(buf + 107, "PAYLOAD", 7);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 107, &h), 107);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 114, &h), 107);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 106, &h), 0);
}

static void
test_proxy_header_rejects_v1_line_of_108_bytes(void)
{
	char			buf[200];
	struct pp_header	h;

	test_unknown_line(buf, 108);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 108, &h), -PP_ERR_V1_NO_CRLF);
	/* The CR at byte 107 already tells: the LF cannot come in time. */
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 107, &h), -PP_ERR_V1_NO_CRLF);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 106, &h), 0);
}

static void
test_proxy_header_rejects_v1_without_crlf_in_107_bytes(void)
{
	char			buf[300];
	struct pp_header	h;

	memcpy(buf, "PROXY UNKNOWN ", 14);
	memset(buf + 14, 'x', sizeof(buf) - 14);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 106, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 107, &h), -PP_ERR_V1_NO_CRLF);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, sizeof(buf), &h),
	    -PP_ERR_V1_NO_CRLF);
}

static void
test_proxy_header_accepts_longest_v1_tcp6_line(void)
{
	const char		in[] = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL(sizeof(in) - 1, 104);
	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), 104);
	test_check_in6(&h.src, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    65535);
}

/* Dotted tails make a valid-looking TCP6 line longer than 107 bytes. */
static void
test_proxy_header_rejects_v1_tcp6_line_over_107_bytes(void)
{
	const char		in[] = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n";
	struct pp_header	h;

	CU_ASSERT(sizeof(in) - 1 > PP_V1_MAX_LEN);
	CU_ASSERT_EQUAL(test_parse(in, &h), -PP_ERR_V1_NO_CRLF);
}

static void
test_proxy_header_waits_for_crlf_of_short_v1_line(void)
{
	const char		in[] = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2";
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse(in, &h), 0);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", &h), 0);
	CU_ASSERT_EQUAL(test_parse("PROXY UNKNOWN\r", &h), 0);
}

static void
test_proxy_header_accepts_v1_tcp4_split_byte_by_byte(void)
{
	const char	in[] = "PROXY TCP4 192.0.2.1 198.51.100.2 1 65535\r\n"
	    "GET / HTTP/1.0\r\n\r\n";

	test_splits(in, sizeof(in) - 1, 43);
}

static void
test_proxy_header_accepts_v1_tcp6_split_byte_by_byte(void)
{
	const char	in[] = "PROXY TCP6 ::ffff:1.2.3.4 2001:db8::2 80 8\r\n"
	    "SSH-2.0-x\r\n";

	test_splits(in, sizeof(in) - 1, 44);
}

static void
test_proxy_header_accepts_v1_unknown_split_byte_by_byte(void)
{
	const char	in[] = "PROXY UNKNOWN some thing\r\nhello";

	test_splits(in, sizeof(in) - 1, 26);
}

static void
test_proxy_header_does_not_consume_v1_payload(void)
{
	const char		in[] =
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\n\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse(in, &h), 32);
	CU_ASSERT_EQUAL(h.len, 32);
}

static void
test_proxy_header_does_not_consume_second_header_after_v1(void)
{
	const char		in[] = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
	    "PROXY TCP4 6.6.6.6 5.6.7.8 666 2\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL_FATAL(test_parse(in, &h), 32);
	test_check_in(&h.src, "1.2.3.4", 1);
}

/* ---- v1: invalid lines ---- */

static void
test_proxy_header_rejects_v1_lowercase_proto(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_PROTO);
	CU_ASSERT_EQUAL(test_parse("PROXY unknown\r\n", &h),
	    -PP_ERR_V1_PROTO);
}

static void
test_proxy_header_rejects_v1_udp4(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_PROTO);
}

static void
test_proxy_header_rejects_v1_bad_proto_at_its_first_byte(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY X", &h), -PP_ERR_V1_PROTO);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP5", &h), -PP_ERR_V1_PROTO);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP", &h), 0);
}

static void
test_proxy_header_rejects_v1_proto_with_suffix(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY UNKNOWNX\r\n", &h),
	    -PP_ERR_V1_PROTO);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP44 1.2.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_PROTO);
}

static void
test_proxy_header_rejects_v1_double_space_before_proto(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_double_space_between_addresses(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_empty_port_field(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_trailing_space(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_tab_separator(void)
{
	struct pp_header	h;

	CU_ASSERT(test_parse("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n", &h) < 0);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_v1_missing_destination_port(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_tcp4_without_addresses(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4\r\n", &h), -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_extra_field(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_rejects_v1_lone_lf(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", &h),
	    -PP_ERR_V1_BAD_EOL);
	CU_ASSERT_EQUAL(test_parse("PROXY UNKNOWN\n", &h),
	    -PP_ERR_V1_BAD_EOL);
}

static void
test_proxy_header_rejects_v1_lone_cr(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", &h),
	    -PP_ERR_V1_BAD_EOL);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", &h),
	    -PP_ERR_V1_BAD_EOL);
}

static void
test_proxy_header_rejects_lone_lf_inside_unknown(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY UNKNOWN a\nb\r\n", &h),
	    -PP_ERR_V1_BAD_EOL);
}

static void
test_proxy_header_rejects_lone_cr_inside_unknown(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY UNKNOWN a\rb\r\n", &h),
	    -PP_ERR_V1_BAD_EOL);
}

static void
test_proxy_header_rejects_ipv4_leading_zero(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.010 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_double_zero_octet(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.00.3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_octet_over_255(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.1000 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_with_three_octets(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_with_five_octets(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_with_double_dot(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_with_leading_or_trailing_dot(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 .1.2.3 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_in_hex_or_short_form(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 16909060 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_bad_address_at_its_first_bad_byte(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 0", &h), 0);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 01", &h), -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 25", &h), 0);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 256", &h), -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 fe80::1%", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv6_in_tcp4(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 ::1 ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv4_in_tcp6(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 ::1 5.6.7.8 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv6_zone(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv6_in_brackets(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 [::1] ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv6_with_two_double_colons(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 1::2::3 ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv6_with_too_many_groups(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n",
	    &h), -PP_ERR_V1_ADDR);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 12345::1 ::1 1 2\r\n", &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_ipv6_token_longer_than_any_address(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 "
	    "0000:0000:0000:0000:0000:0000:0000:0000:0000:0", &h),
	    -PP_ERR_V1_ADDR);
}

/* The example from STYLE.md. */
static void
test_proxy_header_rejects_port_over_65535(void)
{
	const char		in[] = "PROXY TCP4 192.0.2.1 192.0.2.2 65536 80\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL(proxy_header_parse(in, sizeof(in) - 1, &h),
	    -PP_ERR_V1_PORT);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 "
	    "99999999999999999999\r\n", &h), -PP_ERR_V1_PORT);
}

static void
test_proxy_header_rejects_port_with_leading_zero(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", &h),
	    -PP_ERR_V1_PORT);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n", &h),
	    -PP_ERR_V1_PORT);
}

static void
test_proxy_header_rejects_port_with_sign_or_letters(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", &h),
	    -PP_ERR_V1_PORT);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", &h),
	    -PP_ERR_V1_PORT);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 0x50\r\n",
	    &h), -PP_ERR_V1_PORT);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 http\r\n",
	    &h), -PP_ERR_V1_PORT);
}

static void
test_proxy_header_rejects_nul_byte_in_v1_line(void)
{
	const char		in[] = "PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n";
	struct pp_header	h;

	CU_ASSERT_EQUAL(proxy_header_parse(in, sizeof(in) - 1, &h),
	    -PP_ERR_V1_ADDR);
}

static void
test_proxy_header_rejects_crlf_where_a_field_belongs(void)
{
	struct pp_header	h;

	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4 \r\n", &h),
	    -PP_ERR_V1_SYNTAX);
	CU_ASSERT_EQUAL(test_parse("PROXY TCP6 ::1\r\n", &h),
	    -PP_ERR_V1_SYNTAX);
}

static void
test_proxy_header_clears_hdr_unless_complete(void)
{
	struct pp_header	h;

	memset(&h, 0xa5, sizeof(h));
	CU_ASSERT_EQUAL(test_parse("PROXY TCP4 1.2.3.4", &h), 0);
	CU_ASSERT_EQUAL(h.version, 0);
	CU_ASSERT_EQUAL(h.len, 0);
	CU_ASSERT_EQUAL(h.has_crc, 0);
	memset(&h, 0xa5, sizeof(h));
	CU_ASSERT(test_parse("PROXY TCP4 1.2.3.x", &h) < 0);
	CU_ASSERT_EQUAL(h.version, 0);
	CU_ASSERT_EQUAL(h.src.ss_family, 0);
}

/* ---- v2: address families and commands ---- */

static void
test_proxy_header_accepts_v2_tcp4(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 28);
	CU_ASSERT_EQUAL(h.version, 2);
	CU_ASSERT_EQUAL(h.command, PP_CMD_PROXY);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(h.transport, SOCK_STREAM);
	CU_ASSERT_EQUAL(h.len, 28);
	CU_ASSERT_EQUAL(h.has_crc, 0);
	test_check_in(&h.src, "192.0.2.1", 12345);
	test_check_in(&h.dst, "198.51.100.2", 443);
}

static void
test_proxy_header_accepts_v2_udp4(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x12, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 28);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(h.transport, SOCK_DGRAM);
	test_check_in(&h.src, "192.0.2.1", 12345);
	test_check_in(&h.dst, "198.51.100.2", 443);
}

static void
test_proxy_header_accepts_v2_tcp6(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x21, test_inet6_block, 36, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 52);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(h.transport, SOCK_STREAM);
	test_check_in6(&h.src, "2001:db8::1", 12345);
	test_check_in6(&h.dst, "2001:db8::2", 443);
}

static void
test_proxy_header_accepts_v2_udp6(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x22, test_inet6_block, 36, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 52);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(h.transport, SOCK_DGRAM);
	test_check_in6(&h.src, "2001:db8::1", 12345);
}

static void
test_proxy_header_treats_v2_unspec_proxy_as_local(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x00, NULL, 0, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 16);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	CU_ASSERT_EQUAL(h.command, PP_CMD_PROXY);
	CU_ASSERT_EQUAL(h.transport, 0);
	CU_ASSERT_EQUAL(h.src.ss_family, AF_UNSPEC);
}

static void
test_proxy_header_treats_v2_unix_stream_as_local(void)
{
	uint8_t			buf[300], body[216];
	struct pp_header	h;
	size_t			n;

	memset(body, 'u', sizeof(body));
	n = test_v2(buf, 0x21, 0x31, body, sizeof(body), 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 232);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	CU_ASSERT_EQUAL(h.transport, SOCK_STREAM);
	CU_ASSERT_EQUAL(h.src.ss_family, AF_UNSPEC);
}

static void
test_proxy_header_treats_v2_unix_dgram_as_local(void)
{
	uint8_t			buf[300], body[216];
	struct pp_header	h;
	size_t			n;

	memset(body, 'u', sizeof(body));
	n = test_v2(buf, 0x21, 0x32, body, sizeof(body), 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 232);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	CU_ASSERT_EQUAL(h.transport, SOCK_DGRAM);
}

static void
test_proxy_header_rejects_v2_transport_without_family(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x01, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
	n = test_v2(buf, 0x21, 0x02, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
}

static void
test_proxy_header_rejects_v2_family_without_transport(void)
{
	uint8_t			buf[300];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x10, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
	n = test_v2(buf, 0x21, 0x20, test_inet6_block, 36, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
	n = test_v2(buf, 0x21, 0x30, NULL, 0, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
}

static void
test_proxy_header_rejects_v2_family_4_and_above(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x41, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
	n = test_v2(buf, 0x21, 0xf1, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
}

static void
test_proxy_header_rejects_v2_transport_3_and_above(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x13, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
	n = test_v2(buf, 0x21, 0x1f, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
}

static void
test_proxy_header_rejects_v2_bad_family_on_local_too(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x41, NULL, 0, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
	n = test_v2(buf, 0x20, 0x03, NULL, 0, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_FAMILY);
}

static void
test_proxy_header_rejects_v2_bad_family_from_14_bytes(void)
{
	uint8_t			buf[64];
	struct pp_header	h;

	test_v2(buf, 0x21, 0x51, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 13, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 14, &h), -PP_ERR_V2_FAMILY);
	test_v2(buf, 0x21, 0x10, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 14, &h), -PP_ERR_V2_FAMILY);
}

static void
test_proxy_header_accepts_v2_local(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x00, NULL, 0, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 16);
	CU_ASSERT_EQUAL(h.version, 2);
	CU_ASSERT_EQUAL(h.command, PP_CMD_LOCAL);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	CU_ASSERT_EQUAL(h.len, 16);
	CU_ASSERT_EQUAL(h.src.ss_family, AF_UNSPEC);
}

/* LOCAL ignores the family, but still skips len bytes. */
static void
test_proxy_header_honours_len_for_local(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x11, test_inet_block, 12, 0);
	memcpy(buf + n, "DATA", 4);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n + 4, &h), 28);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	CU_ASSERT_EQUAL(h.src.ss_family, AF_UNSPEC);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 27, &h), 0);
}

/*
 * LOCAL with a len shorter than its family's address block: the layout
 * is unknown, so the bytes are skipped unread and the header accepted.
 */
static void
test_proxy_header_skips_short_local_block_unread(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x11, "\xff\xff\xff\xff\xff", 5, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), 21);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	n = test_v2(buf, 0x20, 0x21, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), 28);
}

static void
test_proxy_header_skips_short_unix_block_unread(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x31, "\xff\xff\xff\xff\xff", 5, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), 21);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
}

static void
test_proxy_header_accepts_local_with_every_valid_family(void)
{
	uint8_t			buf[300], body[216];
	struct pp_header	h;
	size_t			n;
	int			fam, tr;

	memset(body, 0, sizeof(body));
	for (fam = 0; fam <= 3; fam++)
		for (tr = 0; tr <= 2; tr++) {
			n = test_v2(buf, 0x20, (uint8_t)(fam << 4 | tr), body,
			    sizeof(body), 0);
			CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), 232);
			CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
		}
}

static void
test_proxy_header_rejects_v2_version_1_at_13_bytes(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x11, 0x11, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 12, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 13, &h), -PP_ERR_V2_VERSION);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_VERSION);
}

static void
test_proxy_header_rejects_every_v2_version_but_2(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;
	int			v, bad = 0;

	for (v = 0; v < 16; v++) {
		n = test_v2(buf, (uint8_t)(v << 4 | 1), 0x11, test_inet_block,
		    12, 0);
		if (proxy_header_parse(buf, n, &h) !=
		    (v == 2 ? 28 : -PP_ERR_V2_VERSION))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_proxy_header_rejects_v2_command_2_at_13_bytes(void)
{
	uint8_t			buf[64];
	struct pp_header	h;

	test_v2(buf, 0x22, 0x11, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 13, &h), -PP_ERR_V2_COMMAND);
}

static void
test_proxy_header_checks_all_16_command_nibbles(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;
	ssize_t			rc;
	int			c;

	for (c = 0; c < 16; c++) {
		n = test_v2(buf, (uint8_t)(0x20 | c), 0x11, test_inet_block,
		    12, 0);
		rc = proxy_header_parse(buf, n, &h);
		if (c == PP_CMD_LOCAL) {
			CU_ASSERT_EQUAL(rc, 28);
			CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
		} else if (c == PP_CMD_PROXY) {
			CU_ASSERT_EQUAL(rc, 28);
			CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
		} else
			CU_ASSERT_EQUAL(rc, -PP_ERR_V2_COMMAND);
	}
}

/*
 * Every fam byte under PROXY, with a 216-byte body of zeros: long enough
 * for any address block, and what follows is a run of empty TLVs.
 */
static void
test_proxy_header_checks_all_256_family_bytes_with_proxy(void)
{
	uint8_t			buf[300], body[216];
	struct pp_header	h;
	size_t			n;
	ssize_t			rc;
	int			b, bad = 0;

	memset(body, 0, sizeof(body));
	for (b = 0; b < 256; b++) {
		n = test_v2(buf, 0x21, (uint8_t)b, body, sizeof(body), 0);
		rc = proxy_header_parse(buf, n, &h);
		switch (b) {
		case 0x11: case 0x12: case 0x21: case 0x22:
			if (rc != 232 || h.action != PP_ACTION_PROXY)
				bad++;
			break;
		case 0x00: case 0x31: case 0x32:
			if (rc != 232 || h.action != PP_ACTION_LOCAL)
				bad++;
			break;
		default:
			if (rc != -PP_ERR_V2_FAMILY)
				bad++;
			break;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_proxy_header_checks_all_256_family_bytes_with_local(void)
{
	uint8_t			buf[300], body[216];
	struct pp_header	h;
	size_t			n;
	ssize_t			rc;
	int			b, bad = 0;

	memset(body, 0, sizeof(body));
	for (b = 0; b < 256; b++) {
		n = test_v2(buf, 0x20, (uint8_t)b, body, sizeof(body), 0);
		rc = proxy_header_parse(buf, n, &h);
		if ((b >> 4) <= 3 && (b & 0x0f) <= 2) {
			if (rc != 232 || h.action != PP_ACTION_LOCAL)
				bad++;
		} else if (rc != -PP_ERR_V2_FAMILY)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_proxy_header_rejects_v2_tcp4_with_len_under_12(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 11, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_SHORT_ADDR);
	/* Decided from the fixed part alone. */
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 16, &h), -PP_ERR_V2_SHORT_ADDR);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 15, &h), 0);
}

static void
test_proxy_header_rejects_v2_udp4_with_len_under_12(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x12, NULL, 0, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_SHORT_ADDR);
}

static void
test_proxy_header_rejects_v2_tcp6_with_len_under_36(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x21, test_inet6_block, 35, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_SHORT_ADDR);
	n = test_v2(buf, 0x21, 0x22, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_SHORT_ADDR);
}

static void
test_proxy_header_waits_for_whole_v2_header(void)
{
	uint8_t			buf[64];
	struct pp_header	h;

	test_v2(buf, 0x21, 0x11, test_inet_block, 12, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 16, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 27, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 28, &h), 28);
}

static void
test_proxy_header_accepts_v2_tcp4_with_tlvs_split_byte_by_byte(void)
{
	uint8_t	buf[128], body[64];
	size_t	b, n;

	memcpy(body, test_inet_block, 12);
	b = 12;
	b += test_tlv(body + b, 0x01, "h2", 2);
	b += test_tlv(body + b, 0x02, "example.com", 11);
	b += test_tlv(body + b, 0x04, NULL, 0);
	n = test_v2(buf, 0x21, 0x11, body, b, 0);
	memcpy(buf + n, "GET /", 5);
	test_splits(buf, n + 5, n);
}

static void
test_proxy_header_accepts_v2_tcp6_with_crc_split_byte_by_byte(void)
{
	uint8_t	buf[128];
	size_t	n;

	n = test_v2(buf, 0x21, 0x21, test_inet6_block, 36, 1);
	memcpy(buf + n, "\0\1\2", 3);
	test_splits(buf, n + 3, n);
}

static void
test_proxy_header_accepts_v2_local_split_byte_by_byte(void)
{
	uint8_t	buf[64];
	size_t	n;

	n = test_v2(buf, 0x20, 0x00, NULL, 0, 1);
	memcpy(buf + n, "xyz", 3);
	test_splits(buf, n + 3, n);
}

static void
test_proxy_header_does_not_consume_v2_payload(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 12, 0);
	memset(buf + n, 'P', 20);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n + 20, &h), 28);
	CU_ASSERT_EQUAL(h.len, 28);
}

static void
test_proxy_header_does_not_consume_second_header_after_v2(void)
{
	uint8_t			buf[128];
	struct pp_header	h;
	size_t			n, m;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 12, 0);
	m = test_v2(buf + n, 0x21, 0x21, test_inet6_block, 36, 0);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n + m, &h), 28);
	test_check_in(&h.src, "192.0.2.1", 12345);
	memcpy(buf + n, "PROXY TCP4 6.6.6.6 5.6.7.8 1 2\r\n", 32);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n + 32, &h), 28);
}

static void
test_proxy_header_accepts_v2_len_65535(void)
{
	struct pp_header	h;
	size_t			n;

	memset(test_big, 0xee, sizeof(test_big));
	memcpy(test_big + 16, test_inet_block, 12);
	test_big[28] = 0x04;			/* NOOP of 65520 bytes */
	test_big[29] = 0xff;
	test_big[30] = 0xf0;
	n = test_v2(test_big, 0x21, 0x11, test_big + 16, 65535, 0);
	CU_ASSERT_EQUAL_FATAL(n, PP_V2_MAX_LEN);
	CU_ASSERT_EQUAL(proxy_header_parse(test_big, n - 1, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(test_big, n, &h), PP_V2_MAX_LEN);
	CU_ASSERT_EQUAL(proxy_header_parse(test_big, sizeof(test_big), &h),
	    PP_V2_MAX_LEN);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
	CU_ASSERT_EQUAL(proxy_header_expected_len(test_big, 16),
	    PP_V2_MAX_LEN);
}

static void
test_proxy_header_accepts_v2_len_65535_with_crc(void)
{
	struct pp_header	h;
	size_t			n;

	memset(test_big, 0xab, sizeof(test_big));
	/* UNSPEC: a 65525-byte NOOP, then the 7-byte CRC TLV. */
	test_big[16] = 0x04;
	test_big[17] = 0xff;
	test_big[18] = 0xf5;
	n = test_v2(test_big, 0x20, 0x00, test_big + 16, 65528, 1);
	CU_ASSERT_EQUAL_FATAL(n, PP_V2_MAX_LEN);
	CU_ASSERT_EQUAL(proxy_header_parse(test_big, n, &h), PP_V2_MAX_LEN);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	test_big[100] ^= 1;
	CU_ASSERT_EQUAL(proxy_header_parse(test_big, n, &h), -PP_ERR_V2_CRC);
}

/* ---- v2: TLVs ---- */

static void
test_proxy_header_accepts_zero_length_tlvs(void)
{
	uint8_t			buf[64], body[32];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12;
	b += test_tlv(body + b, 0x04, NULL, 0);
	b += test_tlv(body + b, 0x01, NULL, 0);
	n = test_v2(buf, 0x21, 0x11, body, b, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), (ssize_t)n);
	CU_ASSERT_EQUAL(h.len, n);
}

static void
test_proxy_header_rejects_truncated_tlv_header(void)
{
	uint8_t			buf[64], body[32];
	struct pp_header	h;
	size_t			n;

	memcpy(body, test_inet_block, 12);
	body[12] = 0x04;
	body[13] = 0x00;
	n = test_v2(buf, 0x21, 0x11, body, 13, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_TLV);
	n = test_v2(buf, 0x21, 0x11, body, 14, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_TLV);
}

static void
test_proxy_header_rejects_tlv_overlapping_the_end(void)
{
	uint8_t			buf[64], body[32];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12 + test_tlv(body + 12, 0x01, "h2", 2);
	body[14] = 3;				/* claims 3, has 2 */
	n = test_v2(buf, 0x21, 0x11, body, b, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_TLV);
}

static void
test_proxy_header_rejects_overlong_tlv_before_header_is_complete(void)
{
	uint8_t			buf[128], body[100];
	struct pp_header	h;

	memset(body, 0, sizeof(body));
	body[0] = 0xe0;
	body[1] = 0x00;
	body[2] = 200;
	test_v2(buf, 0x20, 0x00, body, sizeof(body), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 18, &h), 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, 19, &h), -PP_ERR_V2_TLV);
}

static void
test_proxy_header_rejects_tlv_tail_shorter_than_a_tlv_early(void)
{
	uint8_t			buf[64], body[32];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12 + test_tlv(body + 12, 0x04, "abcd", 4);
	body[b++] = 0x04;
	n = test_v2(buf, 0x21, 0x11, body, b, 0);
	/* The stray byte is known to be too short from the len field. */
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n - 1, &h), -PP_ERR_V2_TLV);
}

static void
test_proxy_header_rejects_garbage_after_unspec(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x00, "\x01\x00\x09xx", 5, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_TLV);
}

static void
test_proxy_header_skips_unknown_tlvs(void)
{
	uint8_t			buf[128], body[96];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12;
	b += test_tlv(body + b, 0xea, "\x01vpce-08d2bf15fac5001c9", 23);
	b += test_tlv(body + b, 0x20, "\x01\0\0\0\0\x21\0\x07TLSv1.3", 15);
	b += test_tlv(body + b, 0x04, "\0\0\0", 3);
	b += test_tlv(body + b, 0xff, "?", 1);
	b += test_tlv(body + b, 0x00, "", 0);
	n = test_v2(buf, 0x21, 0x11, body, b, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), (ssize_t)n);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
}

/*
 * ALPN, authority, unique ID and netns are walked like any TLV (nothing
 * reads their values), repeated or not, and a CRC after them still counts.
 */
static void
test_proxy_header_skips_named_tlvs(void)
{
	uint8_t			buf[128], body[96];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12;
	b += test_tlv(body + b, 0x01, "h2", 2);
	b += test_tlv(body + b, 0x01, "http/1.1", 8);
	b += test_tlv(body + b, 0x02, "www.example.com", 15);
	b += test_tlv(body + b, 0x05, "0123456789abcdef", 16);
	b += test_tlv(body + b, 0x30, "blue", 4);
	n = test_v2(buf, 0x21, 0x11, body, b, 1);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), (ssize_t)n);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	test_check_in(&h.src, "192.0.2.1", 12345);
}

/*
 * The TLVs start after the 216-byte UNIX block: walked from 16 the 0xff
 * bytes would overrun, and the CRC behind the block would go unseen.
 */
static void
test_proxy_header_finds_tlvs_after_unix_block(void)
{
	uint8_t			buf[300], body[240];
	struct pp_header	h;
	size_t			b, n;

	memset(body, 0xff, 216);
	b = 216 + test_tlv(body + 216, 0x02, "host", 4);
	n = test_v2(buf, 0x21, 0x31, body, b, 1);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), (ssize_t)n);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	buf[n - 1] ^= 1;
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
}

static void
test_proxy_header_finds_tlvs_at_16_for_unspec(void)
{
	uint8_t			buf[64], body[32];
	struct pp_header	h;
	size_t			n;

	n = test_tlv(body, 0x05, "id", 2);
	n = test_v2(buf, 0x20, 0x00, body, n, 1);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), (ssize_t)n);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	buf[n - 1] ^= 1;
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
}

static void
test_proxy_header_verifies_good_crc(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 12, 1);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 35);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_PROXY);
}

static void
test_proxy_header_rejects_bad_crc(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 12, 1);
	buf[16] ^= 0x80;			/* spoofed source address */
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
	buf[16] ^= 0x80;
	buf[n - 1] ^= 1;			/* the CRC itself */
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
	CU_ASSERT_EQUAL(h.has_crc, 0);
}

/* haproxy and nginx write the CRC big-endian; a swapped one is wrong. */
static void
test_proxy_header_rejects_little_endian_crc(void)
{
	uint8_t			buf[64], t;
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x21, 0x11, test_inet_block, 12, 1);
	t = buf[n - 4];
	buf[n - 4] = buf[n - 1];
	buf[n - 1] = t;
	t = buf[n - 3];
	buf[n - 3] = buf[n - 2];
	buf[n - 2] = t;
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
}

static void
test_proxy_header_rejects_crc_of_wrong_length(void)
{
	static const uint8_t	zero[8];
	uint8_t			buf[64], body[32];
	struct pp_header	h;
	size_t			b, n;
	size_t			lens[] = { 0, 3, 5, 8 };
	unsigned int		i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(body, test_inet_block, 12);
		b = 12 + test_tlv(body + 12, 0x03, zero, lens[i]);
		n = test_v2(buf, 0x21, 0x11, body, b, 0);
		CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h),
		    -PP_ERR_V2_CRC_LEN);
	}
}

static void
test_proxy_header_verifies_crc_on_local(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x00, NULL, 0, 1);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), 23);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	CU_ASSERT_EQUAL(h.action, PP_ACTION_LOCAL);
	buf[n - 2] ^= 0x10;
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
}

static void
test_proxy_header_verifies_crc_on_local_after_address_block(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	n = test_v2(buf, 0x20, 0x11, test_inet_block, 12, 1);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), 35);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	buf[17] ^= 1;
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
}

/* The CRC covers the TLVs after it as well as those before. */
static void
test_proxy_header_crc_covers_tlvs_after_it(void)
{
	uint8_t			buf[64], body[48];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12;
	b += test_tlv(body + b, 0x03, "\0\0\0\0", 4);
	b += test_tlv(body + b, 0x01, "h2", 2);
	n = test_v2(buf, 0x21, 0x11, body, b, 0);
	test_v2_seal(buf, n, 31);
	CU_ASSERT_EQUAL_FATAL(proxy_header_parse(buf, n, &h), (ssize_t)n);
	CU_ASSERT_EQUAL(h.has_crc, 1);
	buf[n - 1] = '3';
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_CRC);
}

static void
test_proxy_header_rejects_two_crc_tlvs(void)
{
	uint8_t			buf[64], body[48];
	struct pp_header	h;
	size_t			b, n;

	memcpy(body, test_inet_block, 12);
	b = 12 + test_tlv(body + 12, 0x03, "\0\0\0\0", 4);
	n = test_v2(buf, 0x21, 0x11, body, b, 1);
	test_v2_seal(buf, n, 31);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), -PP_ERR_V2_TLV);
}

static void
test_proxy_header_ignores_crc_hidden_in_skipped_local_block(void)
{
	uint8_t			buf[64];
	struct pp_header	h;
	size_t			n;

	/* LOCAL INET6 with len 7: the "TLV" is never looked at. */
	n = test_v2(buf, 0x20, 0x21, "\x03\x00\x04\xde\xad\xbe\xef", 7, 0);
	CU_ASSERT_EQUAL(proxy_header_parse(buf, n, &h), 23);
	CU_ASSERT_EQUAL(h.has_crc, 0);
}

/* ---- expected length and error strings ---- */

static void
test_proxy_header_expects_v1_max_for_v1(void)
{
	CU_ASSERT_EQUAL(proxy_header_expected_len("", 0), PP_V1_MAX_LEN);
	CU_ASSERT_EQUAL(proxy_header_expected_len("PROXY TCP4 1", 12),
	    PP_V1_MAX_LEN);
}

static void
test_proxy_header_expects_16_plus_len_for_v2(void)
{
	uint8_t	buf[64];

	test_v2(buf, 0x21, 0x11, test_inet_block, 12, 1);
	/* Before the length field: the fixed part, not a v1 line's worth. */
	CU_ASSERT_EQUAL(proxy_header_expected_len(buf, 1), 16);
	CU_ASSERT_EQUAL(proxy_header_expected_len(buf, 12), 16);
	CU_ASSERT_EQUAL(proxy_header_expected_len(buf, 15), 16);
	CU_ASSERT_EQUAL(proxy_header_expected_len("\r\n\r\nX", 5),
	    PP_V1_MAX_LEN);
	CU_ASSERT_EQUAL(proxy_header_expected_len(buf, 16), 35);
	CU_ASSERT_EQUAL(proxy_header_expected_len(buf, 35), 35);
}

static void
test_proxy_header_names_every_error(void)
{
	const char	*s, *t;
	int		 i, j;

	for (i = 1; i < PP_ERR_COUNT; i++) {
		s = proxy_header_strerror((enum pp_error)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT(strlen(s) > 0);
		CU_ASSERT_STRING_NOT_EQUAL(s, "unknown error");
		for (j = 1; j < i; j++) {
			t = proxy_header_strerror((enum pp_error)j);
			CU_ASSERT_STRING_NOT_EQUAL(s, t);
		}
	}
	CU_ASSERT_STRING_EQUAL(proxy_header_strerror(PP_ERR_V1_PORT),
	    "v1: bad port");
}

static void
test_proxy_header_calls_out_of_range_error_unknown(void)
{
	CU_ASSERT_STRING_EQUAL(proxy_header_strerror(PP_ERR_COUNT),
	    "unknown error");
	CU_ASSERT_STRING_EQUAL(proxy_header_strerror((enum pp_error)-1),
	    "unknown error");
	CU_ASSERT_STRING_EQUAL(proxy_header_strerror((enum pp_error)1000),
	    "unknown error");
}

/* Each error code comes back through strerror as a known reason. */
static void
test_proxy_header_returns_negated_error_codes(void)
{
	struct pp_header	h;
	ssize_t			rc;

	rc = test_parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", &h);
	CU_ASSERT_EQUAL_FATAL(rc, -PP_ERR_V1_PORT);
	CU_ASSERT_STRING_EQUAL(proxy_header_strerror((enum pp_error)-rc),
	    "v1: bad port");
}

#define T(fn)	test_add(s, #fn, fn)

void
test_proxy_header_register(void)
{
	CU_pSuite	s = test_suite_add("proxy_header");

	T(test_proxy_header_needs_more_for_empty_buffer);
	T(test_proxy_header_rejects_bad_first_byte_at_once);
	T(test_proxy_header_rejects_http_request);
	T(test_proxy_header_rejects_lowercase_proxy);
	T(test_proxy_header_rejects_proxy_without_space);
	T(test_proxy_header_rejects_v2_signature_mismatch_early);
	T(test_proxy_header_waits_on_every_prefix_of_the_signatures);

	T(test_proxy_header_accepts_v1_tcp4);
	T(test_proxy_header_accepts_v1_tcp6);
	T(test_proxy_header_accepts_v1_tcp6_in_upper_case_hex);
	T(test_proxy_header_accepts_v1_tcp6_with_dotted_tail);
	T(test_proxy_header_accepts_v1_port_zero_and_65535);
	T(test_proxy_header_accepts_v1_zero_and_broadcast_addresses);
	T(test_proxy_header_accepts_v1_unknown_short_form);
	T(test_proxy_header_accepts_v1_unknown_with_addresses);
	T(test_proxy_header_ignores_anything_before_crlf_after_unknown);
	T(test_proxy_header_accepts_v1_line_of_107_bytes);
	T(test_proxy_header_rejects_v1_line_of_108_bytes);
	T(test_proxy_header_rejects_v1_without_crlf_in_107_bytes);
	T(test_proxy_header_accepts_longest_v1_tcp6_line);
	T(test_proxy_header_rejects_v1_tcp6_line_over_107_bytes);
	T(test_proxy_header_waits_for_crlf_of_short_v1_line);
	T(test_proxy_header_accepts_v1_tcp4_split_byte_by_byte);
	T(test_proxy_header_accepts_v1_tcp6_split_byte_by_byte);
	T(test_proxy_header_accepts_v1_unknown_split_byte_by_byte);
	T(test_proxy_header_does_not_consume_v1_payload);
	T(test_proxy_header_does_not_consume_second_header_after_v1);

	T(test_proxy_header_rejects_v1_lowercase_proto);
	T(test_proxy_header_rejects_v1_udp4);
	T(test_proxy_header_rejects_v1_bad_proto_at_its_first_byte);
	T(test_proxy_header_rejects_v1_proto_with_suffix);
	T(test_proxy_header_rejects_v1_double_space_before_proto);
	T(test_proxy_header_rejects_v1_double_space_between_addresses);
	T(test_proxy_header_rejects_v1_empty_port_field);
	T(test_proxy_header_rejects_v1_trailing_space);
	T(test_proxy_header_rejects_v1_tab_separator);
	T(test_proxy_header_rejects_v1_missing_destination_port);
	T(test_proxy_header_rejects_v1_tcp4_without_addresses);
	T(test_proxy_header_rejects_v1_extra_field);
	T(test_proxy_header_rejects_v1_lone_lf);
	T(test_proxy_header_rejects_v1_lone_cr);
	T(test_proxy_header_rejects_lone_lf_inside_unknown);
	T(test_proxy_header_rejects_lone_cr_inside_unknown);
	T(test_proxy_header_rejects_ipv4_leading_zero);
	T(test_proxy_header_rejects_ipv4_double_zero_octet);
	T(test_proxy_header_rejects_ipv4_octet_over_255);
	T(test_proxy_header_rejects_ipv4_with_three_octets);
	T(test_proxy_header_rejects_ipv4_with_five_octets);
	T(test_proxy_header_rejects_ipv4_with_double_dot);
	T(test_proxy_header_rejects_ipv4_with_leading_or_trailing_dot);
	T(test_proxy_header_rejects_ipv4_in_hex_or_short_form);
	T(test_proxy_header_rejects_bad_address_at_its_first_bad_byte);
	T(test_proxy_header_rejects_ipv6_in_tcp4);
	T(test_proxy_header_rejects_ipv4_in_tcp6);
	T(test_proxy_header_rejects_ipv6_zone);
	T(test_proxy_header_rejects_ipv6_in_brackets);
	T(test_proxy_header_rejects_ipv6_with_two_double_colons);
	T(test_proxy_header_rejects_ipv6_with_too_many_groups);
	T(test_proxy_header_rejects_ipv6_token_longer_than_any_address);
	T(test_proxy_header_rejects_port_over_65535);
	T(test_proxy_header_rejects_port_with_leading_zero);
	T(test_proxy_header_rejects_port_with_sign_or_letters);
	T(test_proxy_header_rejects_nul_byte_in_v1_line);
	T(test_proxy_header_rejects_crlf_where_a_field_belongs);
	T(test_proxy_header_clears_hdr_unless_complete);

	T(test_proxy_header_accepts_v2_tcp4);
	T(test_proxy_header_accepts_v2_udp4);
	T(test_proxy_header_accepts_v2_tcp6);
	T(test_proxy_header_accepts_v2_udp6);
	T(test_proxy_header_treats_v2_unspec_proxy_as_local);
	T(test_proxy_header_treats_v2_unix_stream_as_local);
	T(test_proxy_header_treats_v2_unix_dgram_as_local);
	T(test_proxy_header_rejects_v2_transport_without_family);
	T(test_proxy_header_rejects_v2_family_without_transport);
	T(test_proxy_header_rejects_v2_family_4_and_above);
	T(test_proxy_header_rejects_v2_transport_3_and_above);
	T(test_proxy_header_rejects_v2_bad_family_on_local_too);
	T(test_proxy_header_rejects_v2_bad_family_from_14_bytes);
	T(test_proxy_header_accepts_v2_local);
	T(test_proxy_header_honours_len_for_local);
	T(test_proxy_header_skips_short_local_block_unread);
	T(test_proxy_header_skips_short_unix_block_unread);
	T(test_proxy_header_accepts_local_with_every_valid_family);
	T(test_proxy_header_rejects_v2_version_1_at_13_bytes);
	T(test_proxy_header_rejects_every_v2_version_but_2);
	T(test_proxy_header_rejects_v2_command_2_at_13_bytes);
	T(test_proxy_header_checks_all_16_command_nibbles);
	T(test_proxy_header_checks_all_256_family_bytes_with_proxy);
	T(test_proxy_header_checks_all_256_family_bytes_with_local);
	T(test_proxy_header_rejects_v2_tcp4_with_len_under_12);
	T(test_proxy_header_rejects_v2_udp4_with_len_under_12);
	T(test_proxy_header_rejects_v2_tcp6_with_len_under_36);
	T(test_proxy_header_waits_for_whole_v2_header);
	T(test_proxy_header_accepts_v2_tcp4_with_tlvs_split_byte_by_byte);
	T(test_proxy_header_accepts_v2_tcp6_with_crc_split_byte_by_byte);
	T(test_proxy_header_accepts_v2_local_split_byte_by_byte);
	T(test_proxy_header_does_not_consume_v2_payload);
	T(test_proxy_header_does_not_consume_second_header_after_v2);
	T(test_proxy_header_accepts_v2_len_65535);
	T(test_proxy_header_accepts_v2_len_65535_with_crc);

	T(test_proxy_header_accepts_zero_length_tlvs);
	T(test_proxy_header_rejects_truncated_tlv_header);
	T(test_proxy_header_rejects_tlv_overlapping_the_end);
	T(test_proxy_header_rejects_overlong_tlv_before_header_is_complete);
	T(test_proxy_header_rejects_tlv_tail_shorter_than_a_tlv_early);
	T(test_proxy_header_rejects_garbage_after_unspec);
	T(test_proxy_header_skips_unknown_tlvs);
	T(test_proxy_header_skips_named_tlvs);
	T(test_proxy_header_finds_tlvs_after_unix_block);
	T(test_proxy_header_finds_tlvs_at_16_for_unspec);
	T(test_proxy_header_verifies_good_crc);
	T(test_proxy_header_rejects_bad_crc);
	T(test_proxy_header_rejects_little_endian_crc);
	T(test_proxy_header_rejects_crc_of_wrong_length);
	T(test_proxy_header_verifies_crc_on_local);
	T(test_proxy_header_verifies_crc_on_local_after_address_block);
	T(test_proxy_header_crc_covers_tlvs_after_it);
	T(test_proxy_header_rejects_two_crc_tlvs);
	T(test_proxy_header_ignores_crc_hidden_in_skipped_local_block);

	T(test_proxy_header_expects_v1_max_for_v1);
	T(test_proxy_header_expects_16_plus_len_for_v2);
	T(test_proxy_header_names_every_error);
	T(test_proxy_header_calls_out_of_range_error_unknown);
	T(test_proxy_header_returns_negated_error_codes);
}
