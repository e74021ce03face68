/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_render.h -- what mmproxyd exposes: every metric family, read
 * from the counters the relays and UDP threads keep. The process's own
 * come first, then each front end's (frontend.h).
 */
#ifndef MMPROXYD_METRICS_RENDER_H
#define MMPROXYD_METRICS_RENDER_H

#include <stddef.h>

#include "metrics_family.h"
#include "metrics_text.h"

struct counter_table;
struct frontend;

/* Where the numbers are; valid while rendering. */
struct metrics_sources {
	struct frontend	*const *fe;	/* the front ends */
	size_t		 n;
	double		 start_time;	/* seconds since the epoch */
};

/* Append the whole exposition to b; b->failed says if memory ran out. */
void	metrics_render(const struct metrics_sources *src,
	    struct metrics_buf *b);

/* For the front ends' render_metrics. The HELP and TYPE of family f. */
void	metrics_render_head(struct metrics_buf *b, enum metrics_family f);
/* A process-wide family of one sample without labels. */
void	metrics_render_gauge(struct metrics_buf *b, enum metrics_family f,
	    size_t v);
/*
 * The families fe's counters feed, t's rows, each listening address's
 * sockets summed into one series: read(fe, k, snap) snapshots socket
 * k's counters into snap, a snapshot of t.
 */
void	metrics_render_counters(struct metrics_buf *b, struct frontend *fe,
	    const struct counter_table *t,
	    void (*read)(struct frontend *fe, int k, void *snap));

#endif
