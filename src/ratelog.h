/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * ratelog.h -- at most one log line per period for an event that repeats
 * (accept failures, dropped datagrams), with the count of events the line
 * stands for, so a flood costs a few lines and still says how big it was.
 */
#ifndef MMPROXYD_RATELOG_H
#define MMPROXYD_RATELOG_H

#include <stdint.h>

struct ratelog {
	uint64_t	last_ms;	/* when the last line was due; 0: never */
	uint64_t	pending;	/* events not yet reported */
};

/*
 * Count one event at now_ms (a monotonic clock). Returns 0 while a line
 * went out less than every_ms ago; otherwise the number of events the
 * line now due stands for (this one included), and starts counting anew.
 */
uint64_t	ratelog_due_at(struct ratelog *rl, uint64_t now_ms,
		    uint64_t every_ms);

/* The same, at CLOCK_MONOTONIC's now; errno is left as it was. */
uint64_t	ratelog_due(struct ratelog *rl, uint64_t every_ms);

#endif
