/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * proxy_header.h -- the PROXY protocol v1/v2 parser: pure, no I/O, no
 * allocation, no errno.
 */
#ifndef MMPROXYD_PROXY_HEADER_H
#define MMPROXYD_PROXY_HEADER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define PP_V1_MAX_LEN		107	/* longest v1 line, CRLF included */
#define PP_V2_SIG_LEN		12
#define PP_V2_FIXED_LEN		16
#define PP_V2_MAX_LEN		(16 + 65535)

/*
 * Where a v2 header keeps its fields, for the parser and for the UDP
 * steering program (udp_steer.c), which reads them in the kernel.
 */
#define PP_V2_VER_CMD_OFF	12	/* version << 4 | command */
#define PP_V2_FAM_OFF		13	/* family << 4 | transport */
#define PP_V2_LEN_OFF		14	/* big-endian length after byte 16 */
#define PP_V2_IN4_SRC_OFF	16
#define PP_V2_IN4_DST_OFF	20
#define PP_V2_IN4_SPORT_OFF	24
#define PP_V2_IN4_DPORT_OFF	26
#define PP_V2_IN6_SRC_OFF	16
#define PP_V2_IN6_DST_OFF	32
#define PP_V2_IN6_SPORT_OFF	48
#define PP_V2_IN6_DPORT_OFF	50
#define PP_V2_VERSION		2	/* the high nibble of byte 12 */
#define PP_V2_FAM_INET		1	/* the high nibble of byte 13 */
#define PP_V2_FAM_INET6		2

/* What the caller does with the connection. */
enum pp_action {
	PP_ACTION_PROXY = 1,	/* use hdr.src / hdr.dst */
	PP_ACTION_LOCAL		/* use the real connection endpoints */
};

/* Why a header was rejected; proxy_header_strerror() names each. */
enum pp_error {
	PP_OK = 0,
	PP_ERR_SIGNATURE,	/* neither "PROXY " nor the v2 signature */
	PP_ERR_V1_NO_CRLF,	/* no CRLF within the first 107 bytes */
	PP_ERR_V1_BAD_EOL,	/* lone CR or LF */
	PP_ERR_V1_PROTO,	/* protocol not TCP4, TCP6 or UNKNOWN */
	PP_ERR_V1_SYNTAX,	/* wrong spacing, missing or extra fields */
	PP_ERR_V1_ADDR,		/* bad address, or wrong family for proto */
	PP_ERR_V1_PORT,		/* bad port */
	PP_ERR_V2_VERSION,	/* version nibble not 2 */
	PP_ERR_V2_COMMAND,	/* command neither LOCAL nor PROXY */
	PP_ERR_V2_FAMILY,	/* family or transport nibble out of range */
	PP_ERR_V2_SHORT_ADDR,	/* len shorter than the address block */
	PP_ERR_V2_TLV,		/* TLV overruns or does not fill the header */
	PP_ERR_V2_CRC_LEN,	/* CRC32C TLV value not 4 bytes */
	PP_ERR_V2_CRC,		/* CRC32C does not match */
	PP_ERR_COUNT
};

struct pp_header {
	int			 version;	/* 1 or 2 */
	enum pp_action		 action;
	int			 command;	/* v2 command nibble; v1: PROXY */
	int			 transport;	/* SOCK_STREAM, SOCK_DGRAM, 0 */
	/* Filled for PP_ACTION_PROXY: AF_INET or AF_INET6 with port. */
	struct sockaddr_storage	 src;
	struct sockaddr_storage	 dst;
	size_t			 len;		/* header length in bytes */
	int			 has_crc;	/* a CRC32C TLV was verified */
};

#define PP_CMD_LOCAL	0
#define PP_CMD_PROXY	1

/*
 * Parse the header at the start of [buf, len). Returns the header length
 * (> 0) and fills hdr, 0 if more bytes are needed to decide, or
 * -(enum pp_error) if the header is invalid. Call again with the same
 * buffer grown by newly arrived bytes.
 */
ssize_t		 proxy_header_parse(const void *buf, size_t len,
		    struct pp_header *hdr);

/*
 * How many bytes the header may take in all, as far as [buf, len) tells:
 * 16 + len for a v2 header once 16 bytes are there, 16 while the bytes
 * so far begin the v2 signature, else PP_V1_MAX_LEN (the most a v1 header
 * may take). Lets a reader size its buffer before the header is complete.
 */
size_t		 proxy_header_expected_len(const void *buf, size_t len);

/* A short reason for logs, e.g. "v1: bad port". */
const char	*proxy_header_strerror(enum pp_error err);

#endif
