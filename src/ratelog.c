/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * ratelog.c -- rate-limited reporting of a repeated event. struct ratelog
 * is not locked: each belongs to one thread. struct ratelog_shared is
 * for events that many threads report; its two counters are atomic.
 */

#include "config.h"

#include <errno.h>

#include "monotonic.h"
#include "ratelog.h"

uint64_t
ratelog_due_at(struct ratelog *rl, uint64_t now_ms, uint64_t every_ms)
{
	uint64_t	n;

	rl->pending++;
	if (rl->last_ms != 0 && now_ms - rl->last_ms < every_ms)
		return (0);
	rl->last_ms = now_ms;
	n = rl->pending;
	rl->pending = 0;
	return (n);
}

uint64_t
ratelog_due(struct ratelog *rl, uint64_t every_ms)
{
	uint64_t	now_ms;
	int		saved = errno;

	/* A wall clock set back would silence the log: never use one. */
	now_ms = monotonic_ms();
	/* The caller's line reports the error it is counting. */
	errno = saved;
	return (ratelog_due_at(rl, now_ms, every_ms));
}

void
ratelog_defer(struct ratelog *rl, uint64_t n)
{
	rl->pending += n;
}

uint64_t
ratelog_shared_due_at(struct ratelog_shared *rl, uint64_t now_ms,
    uint64_t every_ms)
{
	uint64_t	last;

	atomic_fetch_add(&rl->pending, 1);
	last = atomic_load(&rl->last_ms);
	/* now_ms < last: another thread read the clock later and won. */
	if (last != 0 && (now_ms < last || now_ms - last < every_ms))
		return (0);
	if (!atomic_compare_exchange_strong(&rl->last_ms, &last, now_ms))
		return (0);
	/* Events counted from here on belong to the next line. */
	return (atomic_exchange(&rl->pending, 0));
}

void
ratelog_shared_defer(struct ratelog_shared *rl, uint64_t n)
{
	atomic_fetch_add(&rl->pending, n);
}
