/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * monotonic.h -- milliseconds on CLOCK_MONOTONIC, for header deadlines,
 * flow expiry and log periods: a wall clock set back must stretch none.
 * Microseconds too, for waits that last less than one.
 */
#ifndef MMPROXYD_MONOTONIC_H
#define MMPROXYD_MONOTONIC_H

#include <stdint.h>

uint64_t	monotonic_ms(void);
uint64_t	monotonic_us(void);

#endif
