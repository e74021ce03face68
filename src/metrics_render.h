/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_render.h -- what mmproxyd exposes: every metric family, read
 * from the counters the relays and UDP threads keep.
 */
#ifndef MMPROXYD_METRICS_RENDER_H
#define MMPROXYD_METRICS_RENDER_H

#include "metrics_text.h"

struct endpoint;
struct kit_pool;
struct listener;
struct pool;
struct udp_flow;

/* Where the numbers are; all read-only here, valid while rendering. */
struct metrics_sources {
	int			 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	int			 n;		/* listeners or UDP sockets */
	/* Socket i listens on endpoints[i / per_endpoint] (-listeners). */
	const struct endpoint	*endpoints;
	int			 per_endpoint;
	struct listener		*tcp;		/* n of them (TCP) */
	struct udp_flow		**udp;		/* n of them (UDP) */
	struct pool		*pool;		/* TCP only */
	struct kit_pool		*kits;		/* TCP only */
	double			 start_time;	/* seconds since the epoch */
};

/* Append the whole exposition to b; b->failed says if memory ran out. */
void	metrics_render(const struct metrics_sources *src,
	    struct metrics_buf *b);

#endif
