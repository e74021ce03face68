/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_duration.c -- unit tests for src/duration.c: every form it takes,
 * every way a value is refused, and formats that read back exactly.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

#include "test_suites.h"

/* The parse of s must give want ms. */
static void
parses_to(const char *s, long long want)
{
	long long	ms = -12345;
	int		rc;

	rc = duration_parse(s, &ms);
	if (rc != 0 || ms != want)
		fprintf(stderr, "\n  \"%s\": rc %d, %lld ms, want %lld ms\n",
		    s, rc, ms, want);
	CU_ASSERT(rc == 0);
	CU_ASSERT(ms == want);
}

/* The parse of s must fail with want and leave the result alone. */
static void
refuses(const char *s, int want)
{
	long long	ms = -12345;
	int		rc;

	rc = duration_parse(s, &ms);
	if (rc != want)
		fprintf(stderr, "\n  \"%s\": rc %d, want %d\n", s, rc, want);
	CU_ASSERT(rc == want);
	CU_ASSERT(ms == -12345);
}

static void
test_duration_plain_numbers_are_seconds(void)
{
	parses_to("0", 0);
	parses_to("1", 1000);
	parses_to("2", 2000);
	parses_to("60", 60000);
	parses_to("007", 7000);
	parses_to("3600", 3600000);
}

static void
test_duration_decimals_are_exact(void)
{
	parses_to("2.0", 2000);
	parses_to("0.5", 500);
	parses_to("0.1", 100);
	parses_to("1.25", 1250);
	parses_to("0.001", 1);
	parses_to(".5", 500);
	parses_to("5.", 5000);
	parses_to("0.0", 0);
	/* Zeros past the millisecond change nothing. */
	parses_to("1.500000000000000000000000", 1500);
}

static void
test_duration_units_are_ms_s_m_h(void)
{
	parses_to("500ms", 500);
	parses_to("1ms", 1);
	parses_to("2.5s", 2500);
	parses_to("10s", 10000);
	parses_to("1m", 60000);
	parses_to("1.5m", 90000);
	parses_to("0.001m", 60);
	parses_to("1h", 3600000);
	parses_to("0.5h", 1800000);
}

static void
test_duration_rejects_garbage(void)
{
	static const char	*bad[] = { "", " ", "abc", "s", "ms", ".",
				    ".s", "1.2.3", "1..2", "0x10", "1e3",
				    "1E3", "inf", "nan", "+5", "--5", "-",
				    "5x", "5 s", "5sec", "5S", "5MS", "5us",
				    "5ns", "5d", "1m30s", "5s5", "5ss",
				    "1,5", "½", "5\n", "\t5", " 5", "5 ",
				    "-abc", "-s" };
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(bad[i], DURATION_ESYNTAX);
}

static void
test_duration_negative_is_out_of_range(void)
{
	refuses("-1", DURATION_ERANGE);
	refuses("-0.5", DURATION_ERANGE);
	refuses("-500ms", DURATION_ERANGE);
	refuses("-.5s", DURATION_ERANGE);
	/* Zero has no sign worth refusing. */
	parses_to("-0", 0);
	parses_to("-0.0s", 0);
}

static void
test_duration_overflow_is_out_of_range(void)
{
	char	buf[64];

	refuses("99999999999999999999", DURATION_ERANGE);
	refuses("99999999999999999999ms", DURATION_ERANGE);
	refuses("9223372036854775807", DURATION_ERANGE);	/* s: x1000 */
	refuses("9223372036854775807.5ms", DURATION_EPRECISION);
	refuses("9223372036854775808ms", DURATION_ERANGE);
	refuses("2562047788016h", DURATION_ERANGE);
	parses_to("2562047788015h", 2562047788015LL * 3600000);
	refuses("9223372036854775.808", DURATION_ERANGE);
	/* The largest value that fits, in two forms. */
	snprintf(buf, sizeof(buf), "%lldms", LLONG_MAX);
	parses_to(buf, LLONG_MAX);
	parses_to("9223372036854775.807", LLONG_MAX);
	/* Junk after a huge number is junk first. */
	refuses("99999999999999999999x", DURATION_ESYNTAX);
}

static void
test_duration_finer_than_a_millisecond_is_refused(void)
{
	refuses("0.0001", DURATION_EPRECISION);
	refuses("1.0005", DURATION_EPRECISION);
	refuses("0.5ms", DURATION_EPRECISION);
	refuses("1.1ms", DURATION_EPRECISION);
	refuses("0.00001m", DURATION_EPRECISION);
	refuses("0.0000001h", DURATION_EPRECISION);
	refuses("0.333333333333333333333333333s", DURATION_EPRECISION);
	/* What a unit makes whole is fine. */
	parses_to("0.00001h", 36);
	parses_to("0.0001m", 6);
}

static void
test_duration_format_is_short_and_reads_back(void)
{
	static const struct {
		long long	 ms;
		const char	*want;
	} t[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 500, "500ms" }, { 999, "999ms" },
		{ 1000, "1s" }, { 1001, "1.001s" }, { 1500, "1.5s" },
		{ 2250, "2.25s" }, { 30000, "30s" }, { 60000, "1m" },
		{ 90000, "90s" }, { 120000, "2m" }, { 3600000, "1h" },
		{ 5400000, "90m" }, { 7200000, "2h" },
		{ 2000000000LL, "2000000s" },
	};
	char		buf[DURATION_STRLEN];
	long long	back;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_STRING_EQUAL(duration_format(t[i].ms, buf,
		    sizeof(buf)), t[i].want);
		CU_ASSERT_FATAL(duration_parse(buf, &back) == 0);
		CU_ASSERT(back == t[i].ms);
	}
	duration_format(LLONG_MAX, buf, sizeof(buf));
	CU_ASSERT(duration_parse(buf, &back) == 0 && back == LLONG_MAX);
}

void
test_duration_register(void)
{
	CU_pSuite	s = test_suite_add("duration");

	test_add(s, "plain numbers are seconds",
	    test_duration_plain_numbers_are_seconds);
	test_add(s, "decimals are exact", test_duration_decimals_are_exact);
	test_add(s, "units are ms, s, m and h",
	    test_duration_units_are_ms_s_m_h);
	test_add(s, "rejects garbage", test_duration_rejects_garbage);
	test_add(s, "negative is out of range",
	    test_duration_negative_is_out_of_range);
	test_add(s, "overflow is out of range",
	    test_duration_overflow_is_out_of_range);
	test_add(s, "finer than a millisecond is refused",
	    test_duration_finer_than_a_millisecond_is_refused);
	test_add(s, "format is short and reads back",
	    test_duration_format_is_short_and_reads_back);
}
