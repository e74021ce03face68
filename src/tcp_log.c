/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_log.c -- rate limits for the failure lines of TCP connections. The
 * acceptors and every relay thread report into the same counters, one
 * per kind, atomic (ratelog_shared): no lock on the path of a flood.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "monotonic.h"
#include "ratelog.h"
#include "tcp_log.h"

static struct ratelog_shared	tcp_log_rl[TCP_LOG_COUNT];

uint64_t
tcp_log_due(enum tcp_log_kind kind, int level)
{
	uint64_t	n;
	int		saved = errno;

	if (log_verbosity() < level)
		return (0);
	n = ratelog_shared_due_at(&tcp_log_rl[kind], monotonic_ms(),
	    log_verbosity() >= LOG_V_STATES ? 0 : TCP_LOG_MS);
	if (n != 0 && !log_ready()) {
		ratelog_shared_defer(&tcp_log_rl[kind], n);
		n = 0;
	}
	errno = saved;
	return (n);
}

const char *
tcp_log_more(char *buf, size_t len, uint64_t n)
{
	if (n <= 1)
		return ("");
	(void)snprintf(buf, len, " (%" PRIu64 " more like it suppressed)",
	    n - 1);
	return (buf);
}
