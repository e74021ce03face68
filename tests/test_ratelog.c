/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_ratelog.c -- one line per period, counting what it stands for.
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>

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

static void
test_ratelog_deferred_events_go_in_the_next_line(void)
{
	struct ratelog	rl = { 0, 0 };
	uint64_t	n;

	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 1000, 1000), 1);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 1500, 1000), 0);
	/* Due, but the line could not be written. */
	n = ratelog_due_at(&rl, 2000, 1000);
	CU_ASSERT_EQUAL(n, 2);
	ratelog_defer(&rl, n);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 2500, 1000), 0);
	CU_ASSERT_EQUAL(ratelog_due_at(&rl, 3000, 1000), 4);
}

static void
test_ratelog_shared_counts_like_the_plain_one(void)
{
	struct ratelog_shared	rl = { 0, 0 };
	uint64_t		n;
	int			i;

	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 5000, 1000), 1);
	for (i = 0; i < 41; i++)
		CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl,
		    5000 + (uint64_t)i * 20, 1000), 0);
	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 5999, 1000), 0);
	n = ratelog_shared_due_at(&rl, 6000, 1000);
	CU_ASSERT_EQUAL(n, 43);
	ratelog_shared_defer(&rl, n);
	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 6500, 1000), 0);
	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 7000, 1000), 45);
}

static void
test_ratelog_shared_ignores_a_clock_read_before_the_last_line(void)
{
	struct ratelog_shared	rl = { 0, 0 };

	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 5000, 1000), 1);
	/* Read before the winner's 5000: no second line this period. */
	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 4999, 1000), 0);
	CU_ASSERT_EQUAL(ratelog_shared_due_at(&rl, 6000, 1000), 2);
}

#define RATELOG_THREADS	4
#define RATELOG_EVENTS	20000

struct ratelog_race {
	struct ratelog_shared	*rl;
	atomic_uint_fast64_t	*clock;
	uint64_t		 reported, lines;
};

static void *
ratelog_race_thread(void *arg)
{
	struct ratelog_race	*r = arg;
	uint64_t		 n;
	int			 i;

	for (i = 0; i < RATELOG_EVENTS; i++) {
		n = ratelog_shared_due_at(r->rl,
		    atomic_fetch_add(r->clock, 1) + 1, 50);
		r->reported += n;
		r->lines += n != 0;
	}
	return (NULL);
}

static void
test_ratelog_shared_loses_no_event_between_threads(void)
{
	struct ratelog_shared	rl = { 0, 0 };
	atomic_uint_fast64_t	clock = 0;
	struct ratelog_race	r[RATELOG_THREADS];
	pthread_t		t[RATELOG_THREADS];
	uint64_t		sum = 0, lines = 0;
	int			i;

	for (i = 0; i < RATELOG_THREADS; i++) {
		r[i] = (struct ratelog_race){ &rl, &clock, 0, 0 };
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL,
		    ratelog_race_thread, &r[i]) == 0);
	}
	for (i = 0; i < RATELOG_THREADS; i++) {
		pthread_join(t[i], NULL);
		sum += r[i].reported;
		lines += r[i].lines;
	}
	/* Every event is in a line, or waits for the next one. */
	CU_ASSERT_EQUAL(sum + atomic_load(&rl.pending),
	    (uint64_t)RATELOG_THREADS * RATELOG_EVENTS);
	/* At most one line per 50 ticks of the shared clock. */
	CU_ASSERT(lines >= 1);
	CU_ASSERT(lines <= (uint64_t)RATELOG_THREADS * RATELOG_EVENTS / 50 + 1);
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
	test_add(s, "deferred events go in the next line",
	    test_ratelog_deferred_events_go_in_the_next_line);
	test_add(s, "shared counts like the plain one",
	    test_ratelog_shared_counts_like_the_plain_one);
	test_add(s, "shared ignores a clock read before the last line",
	    test_ratelog_shared_ignores_a_clock_read_before_the_last_line);
	test_add(s, "shared loses no event between threads",
	    test_ratelog_shared_loses_no_event_between_threads);
}
