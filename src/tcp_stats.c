/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_stats.c -- the rows of tcp_stats.h, as data.
 */

#include "config.h"

#include <stddef.h>

#include "tcp_stats.h"

#define TCP_STATS_DESC(f, shape, family, labels, log)			\
	COUNTER_DESC(struct tcp_stats, struct tcp_stats_snapshot, f, shape, \
	    family, labels, log)

static const struct counter_desc tcp_stats_desc[] = {
	TCP_STATS_COUNTERS(TCP_STATS_DESC)
};

const struct counter_table tcp_stats_table = {
	tcp_stats_desc, sizeof(tcp_stats_desc) / sizeof(tcp_stats_desc[0]),
	sizeof(struct tcp_stats_snapshot), COUNTER_LOG_WORDS_FIRST
};
