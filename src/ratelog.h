/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * ratelog.h -- at most one log line per period for an event that repeats
 * (accept failures, dropped datagrams, failed TCP connections), with the
 * count of events the line stands for, so a flood costs a few lines and
 * still says how big it was.
 */
#ifndef MMPROXYD_RATELOG_H
#define MMPROXYD_RATELOG_H

#include <stdatomic.h>
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

/*
 * A due line that could not be written after all: its n events are
 * reported by the next line instead.
 */
void		ratelog_defer(struct ratelog *rl, uint64_t n);

/*
 * The same for an event that several threads report, without a lock:
 * when two are due at once, one gets the line and the other's event
 * waits for the next.
 */
struct ratelog_shared {
	atomic_uint_fast64_t	last_ms;
	atomic_uint_fast64_t	pending;
};

uint64_t	ratelog_shared_due_at(struct ratelog_shared *rl,
		    uint64_t now_ms, uint64_t every_ms);
void		ratelog_shared_defer(struct ratelog_shared *rl, uint64_t n);

#endif
