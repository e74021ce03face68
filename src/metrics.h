/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics.h -- -metrics ADDR:PORT: a small HTTP/1.1 server on a thread of
 * its own that answers GET /metrics in the Prometheus text format.
 * With -metrics unset every call here does nothing.
 */
#ifndef MMPROXYD_METRICS_H
#define MMPROXYD_METRICS_H

#include "metrics_render.h"

struct handover_sock;
struct options;

/*
 * Bind the metrics socket, before privileges are dropped, or take
 * inherited (a hot upgrade's, already listening there; -1 for none);
 * fatal if neither.
 */
void	metrics_open(const struct options *opts, int inherited);
/*
 * The listening socket into *s, for a hot upgrade to hand over. Returns
 * 1, or 0 when -metrics is off.
 */
int	metrics_handover_sock(struct handover_sock *s);
/* Serve what src names (copied; its pointers must outlive the thread). */
void	metrics_start(const struct metrics_sources *src);
/* Stop and join the thread, close the socket: before src is freed. */
void	metrics_stop(void);

#endif
