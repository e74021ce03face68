/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_ratelog.c -- one line per period, counting what it stands for.
 */

#include "config.h"

#include <errno.h>

#include "ratelog.h"
#include "test_suites.h"

static void
test_ratelog_first_event_is_due_at_once(void)
{
	struct ratelog	rl = { 0, 0 };

	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 5000, 1000), 1);
	CU_ASSERT_EQUAL(rl.pending, 0);
}

static void
test_ratelog_counts_events_within_the_period(void)
{
	struct ratelog	rl = { 0, 0 };
	int		i;

	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 5000, 1000), 1);
	for (i = 0; i < 41; i++)
		CU_ASSERT_EQUAL(ratelog_due_at(&rl, 5000 + (uint64_t)i * 20,
		    1000), 0);
	/* 999 ms later: still quiet. */
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 5999, 1000), 0);
	/* The next line stands for the 42 held back and this one. */
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 6000, 1000), 43);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 6001, 1000), 0);
}

static void
test_ratelog_period_runs_from_the_last_line(void)
{
	struct ratelog	rl = { 0, 0 };

	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 1000, 10000), 1);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 10999, 10000), 0);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 11000, 10000), 2);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 20999, 10000), 0);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 50000, 10000), 2);
}

static void
test_ratelog_keeps_separate_counts(void)
{
	struct ratelog	a = { 0, 0 }, b = { 0, 0 };

	CU_ASSERT_EQUAL(ratelog_due_at(&a, 100, 1000), 1);
	CU_ASSERT_EQUAL(ratelog_due_at(&a, 200, 1000), 0);
	CU_ASSERT_EQUAL(ratelog_due_at(&b, 200, 1000), 1);
	CU_ASSERT_EQUAL(ratelog_due_at(&a, 1100, 1000), 2);
}

static void
test_ratelog_due_reads_a_clock(void)
{
	struct ratelog	rl = { 0, 0 };

	errno = EMFILE;
	CU_ASSERT_EQUAL(ratelog_due(&rl, 60000), 1);
	CU_ASSERT_EQUAL(errno, EMFILE);
	CU_ASSERT(rl.last_ms != 0);
	CU_ASSERT_EQUAL(ratelog_due(&rl, 60000), 0);
	CU_ASSERT_EQUAL(rl.pending, 1);
}

void
test_ratelog_register(void)
{
	CU_pSuite	s = test_suite_add("ratelog");

	test_add(s, "first event is due at once",
	    test_ratelog_first_event_is_due_at_once);
	test_add(s, "counts events within the period",
	    test_ratelog_counts_events_within_the_period);
	test_add(s, "period runs from the last line",
	    test_ratelog_period_runs_from_the_last_line);
	test_add(s, "keeps separate counts", test_ratelog_keeps_separate_counts);
	test_add(s, "due reads a clock", test_ratelog_due_reads_a_clock);
}
