/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_stats.h -- the counters of one TCP listener and its relays,
 * declared once (counter_table.h says what each column means): bumped
 * by any thread (TCP_STATS_INC, in tcp_conns.h), read for the SIGUSR1
 * and exit line and for -metrics.
 */
#ifndef MMPROXYD_TCP_STATS_H
#define MMPROXYD_TCP_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "counter_table.h"
#include "failure_class.h"

/* The log line shows the rows with words in this order (mmproxyd.8). */
#define TCP_STATS_COUNTERS(X)						\
	X(accepted, ONE, ACCEPTED, "", "accepted")			\
	/* reached a backend */						\
	X(proxied, ONE, PROXIED, "", "proxied")				\
	/* not in the allow-list */					\
	X(denied, ONE, ALLOWLIST_DENIED, "proto=tcp", "denied")		\
	X(bad_header, ONE, NONE, "", "bad header")			\
	X(header_timeout, ONE, HEADER_TIMEOUTS, "", "header timeout")	\
	/* header budget spent */					\
	X(header_memory, ONE, HEADER_MEMORY, "", "header memory")	\
	X(backend_fail, ONE, NONE, "", "backend failed")		\
	/* a peer went silent */					\
	X(timed_out, ONE, TIMED_OUT, "", "timed out")			\
	X(active, ONE, ACTIVE, "", "active")				\
	/* client to backend, and back */				\
	X(bytes_in, ONE, RELAYED_BYTES, "direction=in", "bytes in")	\
	X(bytes_out, ONE, RELAYED_BYTES, "direction=out", "bytes out")	\
	/* The client's port was taken (-client-port-busy), and then: */ \
	/* ours let it go in time */					\
	X(port_waited, ONE, PORT_BUSY, "outcome=waited",		\
	    "client port waited")					\
	/* the kernel chose one */					\
	X(port_fallback, ONE, PORT_BUSY, "outcome=fallback",		\
	    "client port fallback")					\
	/* gave up */							\
	X(port_failed, ONE, PORT_BUSY, "outcome=failed",		\
	    "client port failed")					\
	/* Bulk bursts copied, not spliced: no pipe for want of fds. */	\
	X(copy_fallback, ONE, COPY_FALLBACKS, "", "copy fallbacks")	\
	/* -dynamic-destination-allow */				\
	X(dest_denied, ONE, DESTINATIONS_DENIED, "proto=tcp",		\
	    "destination denied")					\
	/* time spent waiting for a client port */			\
	X(port_wait_us, USEC, PORT_WAIT, "", NULL)			\
	/* The failures above by class, and accept()'s. */		\
	X(bad_header_by, BY_HEADER, BAD_HEADERS, "proto=tcp", NULL)	\
	X(backend_fail_by, BY_ERRNO, BACKEND_FAILURES, "", NULL)	\
	X(accept_fail_by, BY_ERRNO, ACCEPT_ERRORS, "", NULL)

struct tcp_stats {
	TCP_STATS_COUNTERS(COUNTER_ATOMIC)
};

/* The same, read at one time (counter_table_read). */
struct tcp_stats_snapshot {
	TCP_STATS_COUNTERS(COUNTER_VALUE)
};

extern const struct counter_table tcp_stats_table;

#endif
