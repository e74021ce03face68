/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_render.c -- the metric families of metrics_family.h, in the
 * Prometheus naming style: an mmproxyd_ prefix, the unit in the name,
 * _total on counters, a "listener" label with the listening address
 * ("127.0.0.1:8443"; the -listeners sockets of one address summed into
 * one series), "proto" where one family serves TCP and UDP alike, and
 * every class a counter has, zero or not, so that rate() sees a series
 * from the start. The samples of a front end's counters come from its
 * counter table (tcp_stats.h, udp_stats.h), which its render_metrics
 * passes to metrics_render_counters; the process's own families, and a
 * front end's gauges, are written out by hand.
 *
 * Counters are read with relaxed atomic loads, the pool's thread counts
 * under its lock: nothing here makes a relay wait.
 */

#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "counter_table.h"
#include "endpoint.h"
#include "failure_class.h"
#include "frontend.h"
#include "metrics_family.h"
#include "metrics_render.h"
#include "options.h"
#include "route_watch.h"

/*
 * One listening address: sockets [g * -listeners, (g + 1) * -listeners)
 * of a front end, reported as one series.
 */
struct metrics_group {
	char	label[ADDR_STRLEN];
};

/* Every listening address's group, in order; NULL if memory ran out. */
static struct metrics_group *
metrics_groups(const struct frontend *fe)
{
	struct metrics_group	*grp;
	size_t			 g, ng = fe->env.nendpoints;

	if ((grp = calloc(ng + 1, sizeof(*grp))) == NULL)
		return (NULL);
	for (g = 0; g < ng; g++)
		addr_format((const struct sockaddr *)
		    &fe->env.endpoints[g].listen, grp[g].label,
		    sizeof(grp[g].label));
	return (grp);
}

void
metrics_render_head(struct metrics_buf *b, enum metrics_family f)
{
	metrics_text_family(b, metrics_families[f].name,
	    metrics_families[f].type, metrics_families[f].help);
}

/* A process-wide family of one sample without labels. */
void
metrics_render_gauge(struct metrics_buf *b, enum metrics_family f,
    size_t v)
{
	metrics_render_head(b, f);
	metrics_buf_printf(b, "%s %zu\n", metrics_families[f].name, v);
}

/* A row's labels, "key=value,..." in the table, as ,key="value",... */
static void
metrics_row_labels(struct metrics_buf *b, const char *labels)
{
	const char	*p = labels;
	size_t		 k, v;

	while ((k = strcspn(p, "=")) > 0 && p[k] == '=') {
		v = strcspn(p + k + 1, ",");
		metrics_buf_printf(b, ",%.*s=\"%.*s\"", (int)k, p, (int)v,
		    p + k + 1);
		p += k + 1 + v;
		if (*p == ',')
			p++;
	}
}

/* One address's samples of row d, every class of it, zero or not. */
static void
metrics_row(struct metrics_buf *b, const struct counter_desc *d,
    const char *listener, const void *snap)
{
	const char	*name = metrics_families[d->family].name;
	uint64_t	 v;
	int		 k;

	for (k = 0; k < counter_width(d->shape); k++) {
		metrics_buf_printf(b, "%s{listener=\"%s\"", name, listener);
		metrics_row_labels(b, d->labels);
		if (d->shape == COUNTER_BY_HEADER)
			metrics_buf_printf(b, ",reason=\"%s\"",
			    failure_class_header_name(k));
		else if (d->shape == COUNTER_BY_ERRNO)
			metrics_buf_printf(b, ",reason=\"%s\"",
			    failure_class_errno_name(k));
		v = counter_value(d, snap, k);
		if (d->shape == COUNTER_USEC)
			metrics_buf_printf(b, "} %.6f\n", (double)v / 1e6);
		else
			metrics_buf_printf(b, "} %" PRIu64 "\n", v);
	}
}

/*
 * The families a front end's counters feed, in the family table's order:
 * each one's head, then for each address every row that feeds it. sums
 * holds ng snapshots of t, one per address.
 */
static void
metrics_counters(struct metrics_buf *b, const struct counter_table *t,
    const struct metrics_group *grp, int ng, const char *sums)
{
	enum metrics_family	f;
	size_t			i;
	int			j;

	for (f = 0; f < METRICS_FAMILY_COUNT; f++) {
		if (!counter_table_feeds(t, f))
			continue;
		metrics_render_head(b, f);
		for (j = 0; j < ng; j++)
			for (i = 0; i < t->n; i++)
				if (t->desc[i].family == f)
					metrics_row(b, &t->desc[i],
					    grp[j].label, sums +
					    (size_t)j * t->snap_size);
	}
}

/*
 * Snapshot every socket's counters, one after the other, and sum them by
 * address: the families then agree with each other, a UDP datagram
 * refused by the allow-list counting in both of its families.
 */
void
metrics_render_counters(struct metrics_buf *b, struct frontend *fe,
    const struct counter_table *t,
    void (*read)(struct frontend *fe, int k, void *snap))
{
	struct metrics_group	*grp = NULL;
	char			*sums, *one;
	int			 k, each = fe->env.opts->listeners;
	int			 ng = (int)fe->env.nendpoints;

	one = calloc(1, t->snap_size);
	sums = calloc((size_t)ng + 1, t->snap_size);
	if (one == NULL || sums == NULL || (grp = metrics_groups(fe)) == NULL) {
		b->failed = 1;
		goto out;
	}
	for (k = 0; k < ng * each; k++) {
		read(fe, k, one);
		counter_table_add(t, sums + (size_t)(k / each) * t->snap_size,
		    one);
	}
	metrics_counters(b, t, grp, ng, sums);
out:
	free(grp);
	free(sums);
	free(one);
}

/* The route watch's verdicts; none with -mark or -dynamic-destination. */
static void
metrics_routes(struct metrics_buf *b)
{
	const char	*label;
	size_t		 i, n;
	int		 ok;

	if ((n = route_watch_count()) == 0)
		return;
	metrics_render_head(b, METRICS_FAM_RETURN_ROUTE_OK);
	for (i = 0; i < n; i++) {
		ok = route_watch_ok(i, &label);
		metrics_buf_printf(b, "%s{target=\"",
		    metrics_families[METRICS_FAM_RETURN_ROUTE_OK].name);
		metrics_text_label(b, label);
		metrics_buf_printf(b, "\"} %d\n", ok);
	}
}

void
metrics_render(const struct metrics_sources *src, struct metrics_buf *b)
{
	size_t	i;

	metrics_render_head(b, METRICS_FAM_BUILD_INFO);
	metrics_buf_printf(b, "%s{version=\"",
	    metrics_families[METRICS_FAM_BUILD_INFO].name);
	metrics_text_label(b, PACKAGE_VERSION);
	metrics_buf_printf(b, "\"} 1\n");
	metrics_render_head(b, METRICS_FAM_START_TIME);
	metrics_buf_printf(b, "%s %.3f\n",
	    metrics_families[METRICS_FAM_START_TIME].name, src->start_time);

	metrics_routes(b);
	for (i = 0; i < src->n; i++)
		src->fe[i]->ops->render_metrics(src->fe[i], b);
}
