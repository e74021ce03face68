/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_stats.c -- the rows of udp_stats.h as data, and a UDP thread's
 * counters read and logged from any thread.
 */

#include "config.h"

#include <stddef.h>

#include "log.h"
#include "udp_stats.h"

#define UDP_STATS_DESC(f, shape, family, labels, log)			\
	COUNTER_DESC(struct udp_stats, struct udp_stats_snapshot, f, shape, \
	    family, labels, log)

static const struct counter_desc udp_stats_desc[] = {
	UDP_STATS_COUNTERS(UDP_STATS_DESC)
};

const struct counter_table udp_stats_table = {
	udp_stats_desc, sizeof(udp_stats_desc) / sizeof(udp_stats_desc[0]),
	sizeof(struct udp_stats_snapshot), COUNTER_LOG_VALUE_FIRST
};

void
udp_stats_read(struct udp_stats *c, struct udp_stats_snapshot *st)
{
	counter_table_read(&udp_stats_table, c, st);
}

void
udp_stats_log(struct udp_stats *c, int id, const char *where,
    const char *when)
{
	struct udp_stats_snapshot	s;
	char				line[COUNTER_LOG_LEN];

	udp_stats_read(c, &s);
	(void)counter_table_log(&udp_stats_table, &s, line, sizeof(line));
	log_info("udp %d on %s %s: %s", id, where, when, line);
}
