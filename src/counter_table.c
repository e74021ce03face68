/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * counter_table.c -- reading, summing and logging a front end's counters
 * through the rows that declare them.
 */

#include "config.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

#include "counter_table.h"

int
counter_width(enum counter_shape shape)
{
	switch (shape) {
	case COUNTER_BY_HEADER:
		return (FAILURE_HDR_COUNT);
	case COUNTER_BY_ERRNO:
		return (FAILURE_ERR_COUNT);
	default:
		return (1);
	}
}

static const atomic_uint_fast64_t *
counter_atomic(const struct counter_desc *d, const void *live, int k)
{
	return ((const atomic_uint_fast64_t *)(const void *)
	    ((const char *)live + d->live) + k);
}

static uint64_t *
counter_slot(const struct counter_desc *d, void *snap, int k)
{
	return ((uint64_t *)(void *)((char *)snap + d->snap) + k);
}

/* Values a row holds of its own: none for ALSO, which repeats a field. */
static int
counter_own(const struct counter_desc *d)
{
	return (d->shape == COUNTER_ALSO ? 0 : counter_width(d->shape));
}

void
counter_table_read(const struct counter_table *t, const void *live,
    void *snap)
{
	size_t	i;
	int	k;

	for (i = 0; i < t->n; i++)
		for (k = 0; k < counter_own(&t->desc[i]); k++)
			*counter_slot(&t->desc[i], snap, k) =
			    atomic_load_explicit(counter_atomic(&t->desc[i],
			    live, k), memory_order_relaxed);
}

void
counter_table_add(const struct counter_table *t, void *sum,
    const void *snap)
{
	size_t	i;
	int	k;

	for (i = 0; i < t->n; i++)
		for (k = 0; k < counter_own(&t->desc[i]); k++)
			*counter_slot(&t->desc[i], sum, k) +=
			    counter_value(&t->desc[i], snap, k);
}

uint64_t
counter_value(const struct counter_desc *d, const void *snap, int k)
{
	return (*((const uint64_t *)(const void *)((const char *)snap +
	    d->snap) + k));
}

int
counter_table_feeds(const struct counter_table *t, enum metrics_family f)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (t->desc[i].family == f)
			return (1);
	return (0);
}

size_t
counter_table_log(const struct counter_table *t, const void *snap,
    char *buf, size_t size)
{
	const struct counter_desc	*d;
	const char			*sep = "";
	char				*at;
	size_t				 i, len = 0, room;
	int				 n;

	if (size > 0)
		buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		d = &t->desc[i];
		if (d->log == NULL)
			continue;
		/* Once cut, only count: snprintf(NULL, 0) writes nothing. */
		room = len < size ? size - len : 0;
		at = room > 0 ? buf + len : NULL;
		if (t->style == COUNTER_LOG_VALUE_FIRST)
			n = snprintf(at, room, "%s%" PRIu64 " %s", sep,
			    counter_value(d, snap, 0), d->log);
		else
			n = snprintf(at, room, "%s%s %" PRIu64, sep, d->log,
			    counter_value(d, snap, 0));
		if (n > 0)
			len += (size_t)n;
		sep = ", ";
	}
	return (len);
}
