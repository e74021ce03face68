/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * monotonic.c -- the one clock the daemon measures time with.
 */

#include "config.h"

#include <time.h>

#include "log.h"
#include "monotonic.h"

uint64_t
monotonic_us(void)
{
	struct timespec	ts;

	/* Only a bad clock id or pointer fails: neither can happen here. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

uint64_t
monotonic_ms(void)
{
	return (monotonic_us() / 1000);
}
