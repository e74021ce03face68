/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * proxy_header.c -- the PROXY protocol v1/v2 parser: pure, no I/O, no
 * allocation, no errno.
 *
 * proxy_header_parse() looks at whatever part of the header has arrived
 * and answers "valid, n bytes", "need more" or "invalid, because". It
 * rejects as soon as the bytes seen so far cannot start a valid header,
 * so a sender learns of its mistake without waiting for a timeout. It
 * never looks past the header: what follows is the client's data, even
 * if it looks like another PROXY header. Where the spec leaves a choice
 * (UNSPEC fallback, TLV strictness, split headers), this follows the
 * receiver policy in section 5 of the project's PROXY spec digest.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "proxy_header.h"

static const uint8_t proxy_header_v2_sig[PP_V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static const char proxy_header_v1_sig[] = "PROXY ";
#define PP_V1_SIG_LEN	(sizeof(proxy_header_v1_sig) - 1)

/* v1 protocol words, indexed by PP_V1_TCP4 and friends. */
static const char *const proxy_header_v1_protos[] = { "TCP4", "TCP6",
    "UNKNOWN" };
#define PP_V1_TCP4	0
#define PP_V1_TCP6	1
#define PP_V1_UNKNOWN	2

/* v1 fields after "PROXY ", in line order. */
#define PP_V1_F_PROTO	0
#define PP_V1_F_SRC	1
#define PP_V1_F_DST	2
#define PP_V1_F_SPORT	3
#define PP_V1_F_DPORT	4

/* v2 address block size by family nibble: UNSPEC, INET, INET6, UNIX. */
static const size_t proxy_header_v2_block[4] = { 0, 12, 36, 216 };

#define PP2_TYPE_CRC32C		0x03
#define PP2_TLV_HDR_LEN		3

static const char *const proxy_header_errors[PP_ERR_COUNT] = {
	[PP_OK] = "no error",
	[PP_ERR_SIGNATURE] = "not a proxy protocol header",
	[PP_ERR_V1_NO_CRLF] = "v1: no crlf within 107 bytes",
	[PP_ERR_V1_BAD_EOL] = "v1: lone cr or lf",
	[PP_ERR_V1_PROTO] = "v1: bad protocol",
	[PP_ERR_V1_SYNTAX] = "v1: bad syntax",
	[PP_ERR_V1_ADDR] = "v1: bad address",
	[PP_ERR_V1_PORT] = "v1: bad port",
	[PP_ERR_V2_VERSION] = "v2: bad version",
	[PP_ERR_V2_COMMAND] = "v2: bad command",
	[PP_ERR_V2_FAMILY] = "v2: bad family or transport",
	[PP_ERR_V2_SHORT_ADDR] = "v2: address block too short",
	[PP_ERR_V2_TLV] = "v2: bad tlv",
	[PP_ERR_V2_CRC_LEN] = "v2: bad crc32c length",
	[PP_ERR_V2_CRC] = "v2: crc32c mismatch"
};

static int
proxy_header_is_digit(uint8_t c)
{
	return (c >= '0' && c <= '9');
}

static int
proxy_header_is_xdigit(uint8_t c)
{
	return (proxy_header_is_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

static uint16_t
proxy_header_be16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static uint32_t
proxy_header_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/*
 * The v1 field checkers below take a token that may still be growing
 * (complete == 0). They return -(error) as soon as no continuation could
 * make the token valid, else 0; out is only written when complete.
 */

static int
proxy_header_v1_proto(const uint8_t *s, size_t n, int complete, int *proto)
{
	size_t	plen;
	int	i;

	for (i = PP_V1_TCP4; i <= PP_V1_UNKNOWN; i++) {
		plen = strlen(proxy_header_v1_protos[i]);
		if (n > plen || memcmp(s, proxy_header_v1_protos[i], n) != 0)
			continue;
		if (complete && n != plen)
			continue;
		*proto = i;
		return (0);
	}
	return (-PP_ERR_V1_PROTO);
}

/*
 * Exactly four decimal numbers 0..255 joined by single dots, with no
 * leading zeros (they would read as octal elsewhere). inet_pton is not
 * strict enough on every libc, so this is done by hand.
 */
static int
proxy_header_v1_ipv4(const uint8_t *s, size_t n, int complete,
    struct in_addr *out)
{
	uint32_t	addr = 0, octet = 0;
	unsigned int	digits = 0, dots = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (proxy_header_is_digit(s[i])) {
			if (digits == 1 && octet == 0)
				return (-PP_ERR_V1_ADDR);
			octet = octet * 10 + (uint32_t)(s[i] - '0');
			if (octet > 255)
				return (-PP_ERR_V1_ADDR);
			digits++;
		} else if (s[i] == '.') {
			if (digits == 0 || dots == 3)
				return (-PP_ERR_V1_ADDR);
			addr = addr << 8 | octet;
			octet = 0;
			digits = 0;
			dots++;
		} else
			return (-PP_ERR_V1_ADDR);
	}
	if (!complete)
		return (0);
	if (dots != 3 || digits == 0)
		return (-PP_ERR_V1_ADDR);
	out->s_addr = htonl(addr << 8 | octet);
	return (0);
}

/*
 * IPv6 is left to inet_pton, which accepts a dotted IPv4 tail (senders
 * emit it for v4-mapped peers) and rejects zones and brackets. The
 * character check only lets an obviously bad token fail early.
 */
static int
proxy_header_v1_ipv6(const uint8_t *s, size_t n, int complete,
    struct in6_addr *out)
{
	char	tmp[INET6_ADDRSTRLEN];
	size_t	i;

	if (n >= sizeof(tmp))
		return (-PP_ERR_V1_ADDR);
	for (i = 0; i < n; i++)
		if (!proxy_header_is_xdigit(s[i]) && s[i] != ':' &&
		    s[i] != '.')
			return (-PP_ERR_V1_ADDR);
	if (!complete)
		return (0);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, out) != 1)
		return (-PP_ERR_V1_ADDR);
	return (0);
}

/* Decimal 0..65535 without leading zeros, sign or other decoration. */
static int
proxy_header_v1_port(const uint8_t *s, size_t n, int complete,
    uint16_t *out)
{
	uint32_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (!proxy_header_is_digit(s[i]) || (i > 0 && s[0] == '0'))
			return (-PP_ERR_V1_PORT);
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > 65535)
			return (-PP_ERR_V1_PORT);
	}
	if (complete)
		*out = (uint16_t)v;
	return (0);
}

/*
 * p[off] is the SP, CR or LF that ends a field. Returns 1 for SP, 2 for
 * CRLF, 0 if the byte after a CR has not arrived yet, or -(error). The
 * LF has to be within the first PP_V1_MAX_LEN bytes as well.
 */
static int
proxy_header_v1_sep(const uint8_t *p, size_t len, size_t off)
{
	if (p[off] == ' ')
		return (1);
	if (p[off] == '\n')
		return (-PP_ERR_V1_BAD_EOL);
	if (off + 1 >= PP_V1_MAX_LEN)
		return (-PP_ERR_V1_NO_CRLF);
	if (off + 1 >= len)
		return (0);
	if (p[off + 1] != '\n')
		return (-PP_ERR_V1_BAD_EOL);
	return (2);
}

/*
 * "PROXY UNKNOWN" followed by SP at p[off]: anything up to the CRLF is
 * ignored, but a lone CR or LF is still an error.
 */
static ssize_t
proxy_header_v1_unknown(const uint8_t *p, size_t len, size_t off)
{
	size_t	avail = len < PP_V1_MAX_LEN ? len : PP_V1_MAX_LEN;
	int	rc;

	for (off++; off < avail; off++) {
		if (p[off] != '\r' && p[off] != '\n')
			continue;
		if ((rc = proxy_header_v1_sep(p, len, off)) <= 0)
			return (rc);
		return ((ssize_t)off + 2);
	}
	return (avail >= PP_V1_MAX_LEN ? -PP_ERR_V1_NO_CRLF : 0);
}

static void
proxy_header_set_in(struct sockaddr_storage *ss, const struct in_addr *a,
    uint16_t port_be)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	sin->sin_family = AF_INET;
	sin->sin_addr = *a;
	sin->sin_port = port_be;
}

static void
proxy_header_set_in6(struct sockaddr_storage *ss, const struct in6_addr *a,
    uint16_t port_be)
{
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = *a;
	sin6->sin6_port = port_be;
}

/*
 * The text header. Each field is checked as its bytes arrive, so a bad
 * line fails at its first bad byte; only the end of a field (SP or CRLF)
 * completes it.
 */
static ssize_t
proxy_header_v1(const uint8_t *p, size_t len, struct pp_header *hdr)
{
	struct in_addr	 a4[2];
	struct in6_addr	 a6[2];
	uint16_t	 port[2] = { 0, 0 };
	size_t		 avail, off, start, n;
	int		 field, proto = -1, complete, rc = 0, sep;

	avail = len < PP_V1_MAX_LEN ? len : PP_V1_MAX_LEN;
	off = PP_V1_SIG_LEN;
	for (field = PP_V1_F_PROTO; field <= PP_V1_F_DPORT; field++) {
		start = off;
		while (off < avail && p[off] != ' ' && p[off] != '\r' &&
		    p[off] != '\n')
			off++;
		complete = off < avail;
		n = off - start;
		/* Two spaces in a row, or a line that ends too soon. */
		if (complete && n == 0)
			return (-PP_ERR_V1_SYNTAX);
		switch (field) {
		case PP_V1_F_PROTO:
			rc = proxy_header_v1_proto(p + start, n, complete,
			    &proto);
			break;
		case PP_V1_F_SRC:
		case PP_V1_F_DST:
			if (proto == PP_V1_TCP4)
				rc = proxy_header_v1_ipv4(p + start, n,
				    complete, &a4[field - PP_V1_F_SRC]);
			else
				rc = proxy_header_v1_ipv6(p + start, n,
				    complete, &a6[field - PP_V1_F_SRC]);
			break;
		case PP_V1_F_SPORT:
		case PP_V1_F_DPORT:
			rc = proxy_header_v1_port(p + start, n, complete,
			    &port[field - PP_V1_F_SPORT]);
			break;
		}
		if (rc < 0)
			return (rc);
		if (!complete)
			return (off >= PP_V1_MAX_LEN ? -PP_ERR_V1_NO_CRLF : 0);
		if ((sep = proxy_header_v1_sep(p, len, off)) <= 0)
			return (sep);
		if (field == PP_V1_F_PROTO && proto == PP_V1_UNKNOWN) {
			hdr->action = PP_ACTION_LOCAL;
			if (sep == 2)
				return ((ssize_t)off + 2);
			return (proxy_header_v1_unknown(p, len, off));
		}
		/* Only the destination port ends the line. */
		if ((field == PP_V1_F_DPORT) != (sep == 2))
			return (-PP_ERR_V1_SYNTAX);
		off += (size_t)sep;
	}

	hdr->action = PP_ACTION_PROXY;
	hdr->transport = SOCK_STREAM;
	if (proto == PP_V1_TCP4) {
		proxy_header_set_in(&hdr->src, &a4[0], htons(port[0]));
		proxy_header_set_in(&hdr->dst, &a4[1], htons(port[1]));
	} else {
		proxy_header_set_in6(&hdr->src, &a6[0], htons(port[0]));
		proxy_header_set_in6(&hdr->dst, &a6[1], htons(port[1]));
	}
	return ((ssize_t)off);
}

/*
 * Walk the TLVs in [off, end) as far as the avail bytes go. Returns
 * -(error) as soon as the layout cannot be right, else 0, whether or not
 * the walk reached end. Values need not have arrived: only the 3-byte
 * TLV headers are read here. *crc_off is the offset of the CRC32C value.
 */
static int
proxy_header_v2_tlvs(const uint8_t *p, size_t avail, size_t off, size_t end,
    size_t *crc_off)
{
	size_t	tlen;

	while (off < end) {
		if (end - off < PP2_TLV_HDR_LEN)
			return (-PP_ERR_V2_TLV);
		if (avail < off + PP2_TLV_HDR_LEN)
			return (0);
		tlen = proxy_header_be16(p + off + 1);
		if (tlen > end - off - PP2_TLV_HDR_LEN)
			return (-PP_ERR_V2_TLV);
		/* Only the checksum matters here: nothing reads the rest. */
		if (p[off] == PP2_TYPE_CRC32C) {
			if (tlen != 4)
				return (-PP_ERR_V2_CRC_LEN);
			/* Two checksums: which one did the sender zero? */
			if (*crc_off != 0)
				return (-PP_ERR_V2_TLV);
			*crc_off = off + PP2_TLV_HDR_LEN;
		}
		off += PP2_TLV_HDR_LEN + tlen;
	}
	return (0);
}

/* The CRC over the whole header with the 4 value bytes read as zeros. */
static int
proxy_header_v2_crc(const uint8_t *p, size_t total, size_t crc_off)
{
	static const uint8_t	zero[4];
	uint32_t		crc;

	crc = crc32c_update(0, p, crc_off);
	crc = crc32c_update(crc, zero, sizeof(zero));
	crc = crc32c_update(crc, p + crc_off + 4, total - crc_off - 4);
	return (crc == proxy_header_be32(p + crc_off) ? 0 : -PP_ERR_V2_CRC);
}

/*
 * The binary header. Version, command and family are judged as soon as
 * their byte is there; TLV headers as they arrive; the CRC and the
 * addresses once all 16 + len bytes are in.
 *
 * Where the TLVs start: after the address block that the family nibble
 * names (0, 12, 36 or 216 bytes), for LOCAL and for the UNSPEC fallback
 * too, since a LOCAL header may carry a CRC. When len is shorter than
 * that block, PROXY over INET/INET6 is rejected; otherwise (LOCAL, UNIX)
 * the layout is unknown, so the len bytes are skipped unread, as the
 * spec asks for a family that is ignored.
 */
static ssize_t
proxy_header_v2(const uint8_t *p, size_t len, struct pp_header *hdr)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 hlen, total, avail, block, tlv_off, crc_off = 0;
	uint16_t	 sport, dport;
	int		 cmd, fam, tr, rc;

	if (len < PP_V2_SIG_LEN + 1)
		return (0);
	if (p[PP_V2_VER_CMD_OFF] >> 4 != PP_V2_VERSION)
		return (-PP_ERR_V2_VERSION);
	cmd = p[PP_V2_VER_CMD_OFF] & 0x0f;
	if (cmd != PP_CMD_LOCAL && cmd != PP_CMD_PROXY)
		return (-PP_ERR_V2_COMMAND);

	if (len < PP_V2_SIG_LEN + 2)
		return (0);
	fam = p[PP_V2_FAM_OFF] >> 4;
	tr = p[PP_V2_FAM_OFF] & 0x0f;
	if (fam > 3 || tr > 2)
		return (-PP_ERR_V2_FAMILY);
	hdr->action = PP_ACTION_LOCAL;
	if (cmd == PP_CMD_PROXY) {
		switch (p[PP_V2_FAM_OFF]) {
		case 0x11:
		case 0x12:
		case 0x21:
		case 0x22:
			hdr->action = PP_ACTION_PROXY;
			break;
		case 0x00:
		case 0x31:
		case 0x32:
			/* Valid, but not for us: fall back to UNSPEC. */
			break;
		default:
			/* An address without a transport or vice versa. */
			return (-PP_ERR_V2_FAMILY);
		}
	}

	if (len < PP_V2_FIXED_LEN)
		return (0);
	hlen = proxy_header_be16(p + PP_V2_LEN_OFF);
	total = PP_V2_FIXED_LEN + hlen;
	block = proxy_header_v2_block[fam];
	if (hlen >= block)
		tlv_off = PP_V2_FIXED_LEN + block;
	else if (hdr->action == PP_ACTION_PROXY)
		return (-PP_ERR_V2_SHORT_ADDR);
	else
		tlv_off = total;

	avail = len < total ? len : total;
	if ((rc = proxy_header_v2_tlvs(p, avail, tlv_off, total,
	    &crc_off)) < 0)
		return (rc);
	if (len < total)
		return (0);
	if (crc_off != 0) {
		if ((rc = proxy_header_v2_crc(p, total, crc_off)) < 0)
			return (rc);
		hdr->has_crc = 1;
	}

	hdr->command = cmd;
	hdr->transport = tr == 1 ? SOCK_STREAM : tr == 2 ? SOCK_DGRAM : 0;
	if (hdr->action == PP_ACTION_PROXY && fam == PP_V2_FAM_INET) {
		memcpy(&sport, p + PP_V2_IN4_SPORT_OFF, 2);
		memcpy(&dport, p + PP_V2_IN4_DPORT_OFF, 2);
		memcpy(&a4, p + PP_V2_IN4_SRC_OFF, 4);
		proxy_header_set_in(&hdr->src, &a4, sport);
		memcpy(&a4, p + PP_V2_IN4_DST_OFF, 4);
		proxy_header_set_in(&hdr->dst, &a4, dport);
	} else if (hdr->action == PP_ACTION_PROXY) {
		memcpy(&sport, p + PP_V2_IN6_SPORT_OFF, 2);
		memcpy(&dport, p + PP_V2_IN6_DPORT_OFF, 2);
		memcpy(&a6, p + PP_V2_IN6_SRC_OFF, 16);
		proxy_header_set_in6(&hdr->src, &a6, sport);
		memcpy(&a6, p + PP_V2_IN6_DST_OFF, 16);
		proxy_header_set_in6(&hdr->dst, &a6, dport);
	}
	return ((ssize_t)total);
}

ssize_t
proxy_header_parse(const void *buf, size_t len, struct pp_header *hdr)
{
	const uint8_t	*p = buf;
	ssize_t		 rc;
	size_t		 n;

	memset(hdr, 0, sizeof(*hdr));
	if (len == 0)
		return (0);
	/* Compare what has arrived: a mismatch in any byte decides. */
	n = len < PP_V2_SIG_LEN ? len : PP_V2_SIG_LEN;
	if (memcmp(p, proxy_header_v2_sig, n) == 0) {
		hdr->version = 2;
		rc = proxy_header_v2(p, len, hdr);
	} else {
		n = len < PP_V1_SIG_LEN ? len : PP_V1_SIG_LEN;
		if (memcmp(p, proxy_header_v1_sig, n) != 0)
			return (-PP_ERR_SIGNATURE);
		hdr->version = 1;
		hdr->command = PP_CMD_PROXY;
		rc = proxy_header_v1(p, len, hdr);
	}
	/* Only a complete header leaves anything in hdr. */
	if (rc <= 0)
		memset(hdr, 0, sizeof(*hdr));
	else
		hdr->len = (size_t)rc;
	return (rc);
}

size_t
proxy_header_expected_len(const void *buf, size_t len)
{
	const uint8_t	*p = buf;

	if (len >= PP_V2_FIXED_LEN &&
	    memcmp(p, proxy_header_v2_sig, PP_V2_SIG_LEN) == 0)
		return (PP_V2_FIXED_LEN +
		    proxy_header_be16(p + PP_V2_LEN_OFF));
	/* A v2 start: the fixed part comes first, its length after. */
	if (len > 0 && memcmp(p, proxy_header_v2_sig, len < PP_V2_SIG_LEN ?
	    len : PP_V2_SIG_LEN) == 0)
		return (PP_V2_FIXED_LEN);
	return (PP_V1_MAX_LEN);
}

const char *
proxy_header_strerror(enum pp_error err)
{
	if ((int)err < 0 || (int)err >= PP_ERR_COUNT)
		return ("unknown error");
	return (proxy_header_errors[err]);
}
