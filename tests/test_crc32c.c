/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_crc32c.c -- unit tests for src/crc32c.c: the published check value,
 * RFC 3720 vectors, and chaining.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "test_suites.h"

static void
test_crc32c_matches_check_value(void)
{
	CU_ASSERT_EQUAL(crc32c("123456789", 9), 0xE3069283u);
}

static void
test_crc32c_of_empty_input_is_zero(void)
{
	CU_ASSERT_EQUAL(crc32c("", 0), 0u);
	CU_ASSERT_EQUAL(crc32c_update(0, NULL, 0), 0u);
	CU_ASSERT_EQUAL(crc32c_update(0xE3069283u, "", 0), 0xE3069283u);
}

/* RFC 3720 appendix B.4: 32 bytes of zeros and 32 bytes of 0xff. */
static void
test_crc32c_matches_rfc3720_vectors(void)
{
	uint8_t	buf[32];
	int	i;

	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(crc32c(buf, sizeof(buf)), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(crc32c(buf, sizeof(buf)), 0x62A8AB43u);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(crc32c(buf, sizeof(buf)), 0x46DD794Eu);
}

static void
test_crc32c_incremental_equals_one_shot(void)
{
	const char	*s = "The quick brown fox jumps over the lazy dog";
	size_t		 len = strlen(s), k;
	uint32_t	 whole = crc32c(s, len), crc;

	for (k = 0; k <= len; k++)
		CU_ASSERT_EQUAL(crc32c_update(crc32c(s, k), s + k, len - k),
		    whole);
	crc = 0;
	for (k = 0; k < len; k++)
		crc = crc32c_update(crc, s + k, 1);
	CU_ASSERT_EQUAL(crc, whole);
	CU_ASSERT_EQUAL(whole, 0x22620404u);
}

static void
test_crc32c_changes_with_one_flipped_bit(void)
{
	uint8_t		buf[64];
	uint32_t	ref;
	size_t		i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	ref = crc32c(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf) * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		CU_ASSERT_NOT_EQUAL(crc32c(buf, sizeof(buf)), ref);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}

void
test_crc32c_register(void)
{
	CU_pSuite	s = test_suite_add("crc32c");

	test_add(s, "matches check value", test_crc32c_matches_check_value);
	test_add(s, "of empty input is zero",
	    test_crc32c_of_empty_input_is_zero);
	test_add(s, "matches rfc3720 vectors",
	    test_crc32c_matches_rfc3720_vectors);
	test_add(s, "incremental equals one shot",
	    test_crc32c_incremental_equals_one_shot);
	test_add(s, "changes with one flipped bit",
	    test_crc32c_changes_with_one_flipped_bit);
}
