/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * fuzz_proxy_header.c -- libFuzzer target for proxy_header_parse().
 *
 * Besides memory safety (ASan, UBSan), it checks the contract: a header
 * never extends past len, the answer is deterministic, and feeding the
 * same bytes in pieces never changes it: a complete prefix stays
 * complete with the same header, a rejected prefix stays rejected. Each
 * prefix is parsed from its own exact-size copy, so reading one byte too
 * far trips ASan. Any violation traps.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

/* Every split below this size is tried; above it, a sample. */
#define FUZZ_ALL_SPLITS	512

/* What a complete header must look like. */
static void
fuzz_check_header(const struct pp_header *h, const uint8_t *buf, ssize_t n)
{
	FUZZ_CHECK(h->len == (size_t)n);
	FUZZ_CHECK(h->has_crc == 0 || h->has_crc == 1);
	FUZZ_CHECK(h->command == PP_CMD_LOCAL || h->command == PP_CMD_PROXY);
	if (h->version == 1) {
		FUZZ_CHECK(n <= PP_V1_MAX_LEN);
		FUZZ_CHECK(h->command == PP_CMD_PROXY && !h->has_crc);
		FUZZ_CHECK(buf[n - 2] == '\r' && buf[n - 1] == '\n');
	} else {
		FUZZ_CHECK(h->version == 2);
		FUZZ_CHECK(n >= PP_V2_FIXED_LEN && n <= PP_V2_MAX_LEN);
	}
	FUZZ_CHECK(h->transport == 0 || h->transport == SOCK_STREAM ||
	    h->transport == SOCK_DGRAM);
	if (h->action == PP_ACTION_PROXY) {
		FUZZ_CHECK(h->src.ss_family == AF_INET ||
		    h->src.ss_family == AF_INET6);
		FUZZ_CHECK(h->dst.ss_family == h->src.ss_family);
		FUZZ_CHECK(h->transport != 0);
		FUZZ_CHECK(h->command == PP_CMD_PROXY);
	} else {
		FUZZ_CHECK(h->action == PP_ACTION_LOCAL);
		FUZZ_CHECK(h->src.ss_family == AF_UNSPEC);
		FUZZ_CHECK(h->dst.ss_family == AF_UNSPEC);
	}
}

/* The same header, field by field. */
static int
fuzz_header_equal(const struct pp_header *a, const struct pp_header *b)
{
	return (a->version == b->version && a->action == b->action &&
	    a->command == b->command && a->transport == b->transport &&
	    a->len == b->len && a->has_crc == b->has_crc &&
	    memcmp(&a->src, &b->src, sizeof(a->src)) == 0 &&
	    memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0);
}

/* Parse data[0..k) from an exact-size copy and hold it against full. */
static void
fuzz_check_prefix(const uint8_t *data, size_t k, ssize_t full,
    const struct pp_header *fh)
{
	struct pp_header	 h;
	uint8_t			*copy;
	ssize_t			 rc;

	/* malloc(0) may return NULL; one spare byte keeps it real. */
	if ((copy = malloc(k == 0 ? 1 : k)) == NULL)
		abort();
	memcpy(copy, data, k);
	rc = proxy_header_parse(copy, k, &h);
	if (rc > 0) {
		/* Complete at k: the longer buffer must agree exactly. */
		FUZZ_CHECK(rc == full);
		FUZZ_CHECK(fuzz_header_equal(&h, fh));
	} else if (rc < 0)
		FUZZ_CHECK(full < 0);
	else
		FUZZ_CHECK(full <= 0 || (size_t)full > k);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_header	h, h2;
	ssize_t			rc, rc2;
	size_t			k, step;

	rc = proxy_header_parse(data, size, &h);
	rc2 = proxy_header_parse(data, size, &h2);
	FUZZ_CHECK(rc == rc2);
	FUZZ_CHECK(fuzz_header_equal(&h, &h2));

	if (rc > 0) {
		FUZZ_CHECK((size_t)rc <= size);
		fuzz_check_header(&h, data, rc);
		FUZZ_CHECK((size_t)rc <= proxy_header_expected_len(data, size));
	} else if (rc == 0) {
		/* Waiting is only right while the header could still fit. */
		FUZZ_CHECK(size < PP_V2_MAX_LEN);
		FUZZ_CHECK(proxy_header_expected_len(data, size) > size);
	} else {
		FUZZ_CHECK(-rc > PP_OK && -rc < PP_ERR_COUNT);
		FUZZ_CHECK(strcmp(proxy_header_strerror((enum pp_error)-rc),
		    "unknown error") != 0);
	}

	if (size <= FUZZ_ALL_SPLITS) {
		for (k = 0; k <= size; k++)
			fuzz_check_prefix(data, k, rc, &h);
		return (0);
	}
	/* Large inputs: the first bytes, a sample, and around the end. */
	for (k = 0; k <= 64; k++)
		fuzz_check_prefix(data, k, rc, &h);
	step = size / 64;
	for (k = 64 + step; k < size; k += step)
		fuzz_check_prefix(data, k, rc, &h);
	if (rc > 0)
		for (k = (size_t)rc - 2; k <= (size_t)rc + 2 && k <= size; k++)
			fuzz_check_prefix(data, k, rc, &h);
	fuzz_check_prefix(data, size - 1, rc, &h);
	return (0);
}
