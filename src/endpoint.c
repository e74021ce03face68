/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * endpoint.c -- -l, -4 and -6 into one endpoint per listening port.
 *
 * Checked here, before anything is bound, so that a mistake is a usage
 * error naming the flags, not a bind error halfway through the ports.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "endpoint.h"

const char *
endpoint_format_ports(const struct options_ports *p, char *buf, size_t len)
{
	char	a[ADDR_STRLEN];

	addr_format((const struct sockaddr *)&p->addr, a, sizeof(a));
	if (p->count == 1)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s-%d", a, addr_port((const struct
		    sockaddr *)&p->addr) + p->count - 1);
	return (buf);
}

/*
 * Whether a socket bound to a would take b's traffic on the same port:
 * the same address, or a wildcard of b's family; with -dual-stack a
 * wildcard of either family takes both (net_listen).
 */
static int
endpoint_addrs_collide(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b, int dual_stack)
{
	struct sockaddr_storage	x = *a, y = *b;

	addr_set_port(&x, 0);
	addr_set_port(&y, 0);
	if (addr_equal((struct sockaddr *)&x, (struct sockaddr *)&y))
		return (1);
	if (addr_is_wildcard((struct sockaddr *)&x) &&
	    (dual_stack || x.ss_family == y.ss_family))
		return (1);
	if (addr_is_wildcard((struct sockaddr *)&y) &&
	    (dual_stack || y.ss_family == x.ss_family))
		return (1);
	return (0);
}

/* The first port both p and q listen on, or 0. */
static int
endpoint_overlap(const struct options_ports *p, const struct options_ports *q,
    int dual_stack)
{
	int	p0, q0, lo, hi;

	p0 = addr_port((const struct sockaddr *)&p->addr);
	q0 = addr_port((const struct sockaddr *)&q->addr);
	lo = p0 > q0 ? p0 : q0;
	hi = p0 + p->count < q0 + q->count ? p0 + p->count : q0 + q->count;
	if (lo >= hi ||
	    !endpoint_addrs_collide(&p->addr, &q->addr, dual_stack))
		return (0);
	return (lo);
}

/* The target of the i-th -l among t, after checking that it fits. */
static const struct options_ports *
endpoint_target(const struct options *cfg, const struct options_addrs *t,
    const char *flag, int i, char *err, size_t errlen)
{
	const struct options_ports	*l = &cfg->listen.v[i], *p;
	char				 lb[ADDR_STRLEN + 8];
	char				 tb[ADDR_STRLEN + 8];

	if (t->n != 1 && t->n != cfg->listen.n) {
		snprintf(err, errlen, "%s given %d times for %d -l: give one "
		    "for all, or one per -l", flag, t->n, cfg->listen.n);
		return (NULL);
	}
	p = &t->v[t->n == 1 ? 0 : i];
	if (p->count != 1 && p->count != l->count) {
		snprintf(err, errlen, "-l %s has %d port%s but %s %s has %d: "
		    "give a range as long, or a single port",
		    endpoint_format_ports(l, lb, sizeof(lb)), l->count,
		    l->count == 1 ? "" : "s", flag,
		    endpoint_format_ports(p, tb, sizeof(tb)), p->count);
		return (NULL);
	}
	return (p);
}

static void
endpoint_port_of(struct sockaddr_storage *out, const struct options_ports *p,
    int k)
{
	*out = p->addr;
	if (p->count != 1)
		addr_set_port(out, addr_port((struct sockaddr *)&p->addr) + k);
}

struct endpoint *
endpoint_expand(const struct options *cfg, size_t *n, char *err,
    size_t errlen)
{
	const struct options_ports	*l, *t4, *t6;
	struct endpoint			*ep;
	char				 a[ADDR_STRLEN + 8], b[ADDR_STRLEN + 8];
	size_t				 total = 0, e;
	int				 i, j, k, port;

	for (i = 0; i < cfg->listen.n; i++)
		total += (size_t)cfg->listen.v[i].count;
	if (total > OPTIONS_MAX_PORTS) {
		snprintf(err, errlen, "-l: %zu ports, more than the %d one "
		    "process listens on: for more, have nftables TPROXY send "
		    "them to one socket (-listen-transparent with "
		    "-dynamic-destination)", total, OPTIONS_MAX_PORTS);
		return (NULL);
	}
	for (i = 0; i < cfg->listen.n; i++)
		for (j = i + 1; j < cfg->listen.n; j++)
			if ((port = endpoint_overlap(&cfg->listen.v[i],
			    &cfg->listen.v[j], cfg->dual_stack)) != 0) {
				snprintf(err, errlen, "-l %s and -l %s overlap "
				    "on port %d",
				    endpoint_format_ports(&cfg->listen.v[i],
				    a, sizeof(a)),
				    endpoint_format_ports(&cfg->listen.v[j],
				    b, sizeof(b)), port);
				return (NULL);
			}
	for (i = 0; i < cfg->listen.n; i++)
		if (endpoint_target(cfg, &cfg->target4, "-4", i, err,
		    errlen) == NULL || endpoint_target(cfg, &cfg->target6,
		    "-6", i, err, errlen) == NULL)
			return (NULL);

	if ((ep = calloc(total, sizeof(*ep))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	for (i = 0, e = 0; i < cfg->listen.n; i++) {
		l = &cfg->listen.v[i];
		t4 = &cfg->target4.v[cfg->target4.n == 1 ? 0 : i];
		t6 = &cfg->target6.v[cfg->target6.n == 1 ? 0 : i];
		for (k = 0; k < l->count; k++, e++) {
			endpoint_port_of(&ep[e].listen, l, k);
			endpoint_port_of(&ep[e].target4, t4, k);
			endpoint_port_of(&ep[e].target6, t6, k);
		}
	}
	*n = total;
	return (ep);
}
