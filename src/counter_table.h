/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * counter_table.h -- a front end's counters, declared once as rows of an
 * X-macro table (tcp_stats.h, udp_stats.h), from which come the struct
 * of atomics the threads bump, its snapshot, the SIGUSR1 and exit line,
 * and the samples of the metric families (metrics_family.h).
 *
 * A row is X(field, shape, family, labels, log):
 *   field   the struct member;
 *   shape   ONE (a value), USEC (a value in microseconds, exported in
 *           seconds), BY_HEADER or BY_ERRNO (an array, one value per
 *           class of failure_class.h, exported with a reason label), or
 *           ALSO (the field of an earlier row, exported once more);
 *   family  the id of the family it feeds, or NONE;
 *   labels  its own labels in that family, as "key=value,key=value",
 *           after listener and before reason; "" for none;
 *   log     its words in the SIGUSR1 and exit line, or NULL.
 * Pure: no I/O, no locks; counters are read with relaxed loads.
 */
#ifndef MMPROXYD_COUNTER_TABLE_H
#define MMPROXYD_COUNTER_TABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "failure_class.h"
#include "metrics_family.h"

enum counter_shape {
	COUNTER_ONE,
	COUNTER_USEC,
	COUNTER_BY_HEADER,
	COUNTER_BY_ERRNO,
	COUNTER_ALSO
};

/* The struct members a row declares, by shape: atomics, then values. */
#define COUNTER_ATOMIC_ONE(f) atomic_uint_fast64_t f;
#define COUNTER_ATOMIC_USEC(f) atomic_uint_fast64_t f;
#define COUNTER_ATOMIC_BY_HEADER(f) atomic_uint_fast64_t f[FAILURE_HDR_COUNT];
#define COUNTER_ATOMIC_BY_ERRNO(f) atomic_uint_fast64_t f[FAILURE_ERR_COUNT];
#define COUNTER_ATOMIC_ALSO(f)
#define COUNTER_VALUE_ONE(f) uint64_t f;
#define COUNTER_VALUE_USEC(f) uint64_t f;
#define COUNTER_VALUE_BY_HEADER(f) uint64_t f[FAILURE_HDR_COUNT];
#define COUNTER_VALUE_BY_ERRNO(f) uint64_t f[FAILURE_ERR_COUNT];
#define COUNTER_VALUE_ALSO(f)

/* Pass these to a table to declare a struct's members. */
#define COUNTER_ATOMIC(f, shape, family, labels, log) COUNTER_ATOMIC_##shape(f)
#define COUNTER_VALUE(f, shape, family, labels, log) COUNTER_VALUE_##shape(f)
/* And this, in a .c file, for the row's description. */
#define COUNTER_DESC(live_t, snap_t, f, shape, family, labels, log)	\
	{ #f, COUNTER_##shape, METRICS_FAM_##family, labels, log,	\
	    offsetof(live_t, f), offsetof(snap_t, f) },

struct counter_desc {
	const char		*field;
	enum counter_shape	 shape;
	enum metrics_family	 family;	/* _NONE: not exported */
	const char		*labels;
	const char		*log;		/* NULL: not in the log line */
	size_t			 live;		/* offset among the atomics */
	size_t			 snap;		/* offset in the snapshot */
};

/* How the log line shows a value: "accepted 3", or "3 datagrams". */
enum counter_log_style {
	COUNTER_LOG_WORDS_FIRST,
	COUNTER_LOG_VALUE_FIRST
};

struct counter_table {
	const struct counter_desc	*desc;
	size_t				 n;
	size_t				 snap_size;	/* of the snapshot */
	enum counter_log_style		 style;
};

/* Room for a log line of counters, every one at its largest. */
#define COUNTER_LOG_LEN		768

/* Values a row holds: 1, or the number of classes. */
int	counter_width(enum counter_shape shape);
/* Copy every counter of live, a struct of atomics, into snap. */
void	counter_table_read(const struct counter_table *t, const void *live,
	    void *snap);
/* Add snapshot snap to snapshot sum. */
void	counter_table_add(const struct counter_table *t, void *sum,
	    const void *snap);
/* The value of row d, class k (0 for a row of one), in snap. */
uint64_t counter_value(const struct counter_desc *d, const void *snap,
	    int k);
/* Whether a row of t feeds family f. */
int	counter_table_feeds(const struct counter_table *t,
	    enum metrics_family f);
/*
 * The counters of snap that have words, in the table's order and t's
 * style, separated by ", ", into buf (NUL-terminated). Returns what
 * snprintf would: the length it needed.
 */
size_t	counter_table_log(const struct counter_table *t, const void *snap,
	    char *buf, size_t size);

#endif
