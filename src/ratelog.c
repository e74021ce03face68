/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * ratelog.c -- rate-limited reporting of a repeated event. Not locked:
 * each struct ratelog belongs to one thread.
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
