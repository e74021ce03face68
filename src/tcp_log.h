/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_log.h -- the lines that say why a TCP connection failed, limited as
 * UDP's are: at -v 1 each kind at most once a second for the whole
 * process, standing for every failure since the last one; at -v 2 one
 * each. Never waits for the log (see tcp_log_due).
 */
#ifndef MMPROXYD_TCP_LOG_H
#define MMPROXYD_TCP_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define TCP_LOG_MS		1000
#define TCP_LOG_MORE_LEN	48

enum tcp_log_kind {
	TCP_LOG_DENIED,		/* not in -allowed-subnets */
	TCP_LOG_HEADER,		/* no usable PROXY header */
	TCP_LOG_DEST_DENIED,	/* not in -dynamic-destination-allow */
	TCP_LOG_BACKEND,	/* the service could not be reached */
	TCP_LOG_INTERNAL,	/* out of threads or memory, a call failed */
	TCP_LOG_COUNT
};

/*
 * Count one failure of kind, to be logged at -v level. Returns 0 when no
 * line is to be written now: -v is below level, a line of this kind went
 * out less than TCP_LOG_MS ago (at -v 1), or stderr would block (the
 * failure then counts towards the next line; the acceptor and a relay
 * holding a slot must not wait on a stalled log). Otherwise the number
 * of failures the line stands for, this one included. Any thread;
 * errno is left as it was.
 */
uint64_t	tcp_log_due(enum tcp_log_kind kind, int level);

/*
 * The end of a line that stands for n failures: "" for one, else
 * " (N more like it suppressed)" in buf (TCP_LOG_MORE_LEN bytes).
 */
const char	*tcp_log_more(char *buf, size_t len, uint64_t n);

/*
 * Log a failure of kind at -v 1 through log_fn (log_conn_f or
 * log_conn_warn_f, with lf) when a line is due, ended by tcp_log_more.
 * fmt is a string literal.
 */
#define TCP_LOG_FAIL(kind, log_fn, lf, fmt, ...) do {			\
	char		tcp_log_buf_[TCP_LOG_MORE_LEN];			\
	uint64_t	tcp_log_n_;					\
									\
	if ((tcp_log_n_ = tcp_log_due((kind), LOG_V_ERRORS)) != 0)	\
		log_fn(LOG_V_ERRORS, (lf), fmt "%s", __VA_ARGS__,	\
		    tcp_log_more(tcp_log_buf_, sizeof(tcp_log_buf_),	\
		    tcp_log_n_));					\
} while (0)

#endif
