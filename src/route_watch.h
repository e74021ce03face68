/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * route_watch.h -- the return route of every backend address, checked at
 * startup and then once a second while mmproxyd runs. A rule or route
 * removed under a running instance (go-mmproxy's unit deletes table 123's
 * rules when it stops) is logged as an error naming what is gone and
 * the command that restores it, and mmproxyd_return_route_ok says 0 until
 * it is back; its return is logged too. Routes are only read: what an
 * administrator removed stays removed.
 */
#ifndef MMPROXYD_ROUTE_WATCH_H
#define MMPROXYD_ROUTE_WATCH_H

#include <stddef.h>

struct options;

/* Between two checks. */
#define ROUTE_WATCH_INTERVAL_MS	1000

/*
 * Check the return route of each -4 and -6 address once and warn about
 * those missing, before any thread starts. With -mark or
 * -dynamic-destination nothing is watched (mmproxyd(8), METRICS).
 * Returns 0, or -1 when memory ran out.
 */
int	route_watch_init(const struct options *opts);
/* Start checking; returns pthread_create's error (0 with nothing to do). */
int	route_watch_start(void);
/* Stop and join the thread, free the list. */
void	route_watch_stop(void);

/* For the metrics: the addresses watched (fixed after init). */
size_t	route_watch_count(void);
/* Address i as a label ("127.0.0.1"), and whether its route is there. */
int	route_watch_ok(size_t i, const char **label);

#endif
