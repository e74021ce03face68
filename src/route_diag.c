/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * route_diag.c -- which half of the return route has gone.
 *
 * Two rtnetlink dumps, made only when the route watch sees a loss: the
 * rules of one family (a handful on any host) and the local routes of one
 * table. With NETLINK_GET_STRICT_CHK (Linux 4.20) the kernel sends only
 * that table's local routes; an older kernel sends every route and we
 * filter, which on a router with a full table costs a few milliseconds,
 * once per loss. Unprivileged: any user may dump rules and routes.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "route_diag.h"
#include "rtnl.h"
#include "selfcheck.h"

#define ROUTE_DIAG_TIMEOUT_MS	2000
/* Dump answers come in skbs of up to 32 KiB. */
#define ROUTE_DIAG_BUFSIZE	(32 * 1024)

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK	12
#endif

/* Do the first bits of p and a agree? */
static int
route_diag_prefix_holds(const unsigned char *p, int bits,
    const unsigned char *a)
{
	int	whole = bits / 8, rest = bits % 8;

	if (memcmp(p, a, (size_t)whole) != 0)
		return (0);
	if (rest == 0)
		return (1);
	return (((p[whole] ^ a[whole]) & (0xff << (8 - rest))) == 0);
}

/* Not ours: no table, or one of the three every host has. */
static int
route_diag_system_table(uint32_t t)
{
	return (t == RT_TABLE_UNSPEC || t == RT_TABLE_DEFAULT ||
	    t == RT_TABLE_MAIN || t == RT_TABLE_LOCAL);
}

int
route_diag_rule_table(const struct nlmsghdr *h, const struct selfcheck_addr *a)
{
	const struct fib_rule_hdr	*r;
	const struct rtattr		*rta;
	const unsigned char		*src = NULL;
	uint32_t			 table, v;
	int				 left;

	if (h->nlmsg_type != RTM_NEWRULE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*r)))
		return (0);
	r = NLMSG_DATA(h);
	if (r->family != a->family || r->action != FR_ACT_TO_TBL ||
	    (r->flags & FIB_RULE_INVERT) != 0 || r->dst_len != 0 ||
	    r->tos != 0 || r->src_len > a->len * 8)
		return (0);
	table = r->table;
	left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*r));
	for (rta = (const struct rtattr *)((const char *)r +
	    NLMSG_ALIGN(sizeof(*r))); RTA_OK(rta, left);
	    rta = RTA_NEXT(rta, left)) {
		switch (rta->rta_type) {
		case FRA_SRC:
			if (RTA_PAYLOAD(rta) != a->len)
				return (0);
			src = RTA_DATA(rta);
			break;
		case FRA_TABLE:
			if (RTA_PAYLOAD(rta) != sizeof(v))
				return (0);
			memcpy(&table, RTA_DATA(rta), sizeof(table));
			break;
		case FRA_IIFNAME:
			/* The kernel's lookup for the reply runs with iif lo. */
			if (RTA_PAYLOAD(rta) < 3 ||
			    strncmp(RTA_DATA(rta), "lo", RTA_PAYLOAD(rta)) != 0)
				return (0);
			break;
		case FRA_FWMARK:
			if (RTA_PAYLOAD(rta) != sizeof(v))
				return (0);
			memcpy(&v, RTA_DATA(rta), sizeof(v));
			if (v != 0)
				return (0);
			break;
		case FRA_OIFNAME:
			return (0);
		}
	}
	if (r->src_len != 0 && (src == NULL ||
	    !route_diag_prefix_holds(src, r->src_len, a->a)))
		return (0);
	if (route_diag_system_table(table) || table > INT32_MAX)
		return (0);
	return ((int)table);
}

int
route_diag_is_local_default(const struct nlmsghdr *h, int family, int table)
{
	const struct rtmsg	*r;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*r)))
		return (0);
	r = NLMSG_DATA(h);
	if (r->rtm_family != family || r->rtm_type != RTN_LOCAL ||
	    r->rtm_dst_len != 0)
		return (0);
	return (rtnl_route_table(h) == table);
}

/* What a dump looks for, and whether it found it. */
struct route_diag_want {
	const struct selfcheck_addr	*a;
	int				 table;
	int				 found;
};

/*
 * Send the dump request req and pass each answer to fn until fn returns
 * nonzero or the dump is done. Returns 0, or -1 with errno set.
 */
static int
route_diag_dump(struct nlmsghdr *req, int strict,
    int (*fn)(const struct nlmsghdr *, struct route_diag_want *),
    struct route_diag_want *w)
{
	struct nlmsghdr		*h;
	struct nlmsgerr		*e;
	ssize_t			 n;
	size_t			 left;
	char			*buf;
	int			 fd, one = 1, rc = -1, saved;

	if ((buf = malloc(ROUTE_DIAG_BUFSIZE)) == NULL)
		return (-1);
	if ((fd = rtnl_open(ROUTE_DIAG_TIMEOUT_MS)) == -1) {
		free(buf);
		return (-1);
	}
	/* Before 4.20 this fails and the kernel sends all: we filter. */
	if (strict)
		(void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
		    sizeof(one));
	if (rtnl_send(fd, req) == -1)
		goto out;
	for (;;) {
		if ((n = rtnl_recv(fd, buf, ROUTE_DIAG_BUFSIZE)) == -1)
			goto out;
		left = (size_t)n;
		for (h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, left);
		    h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ||
				    e->error == 0)
					errno = EBADMSG;
				else
					errno = -e->error;
				goto out;
			}
			if (fn(h, w)) {
				rc = 0;
				goto out;
			}
		}
	}
out:
	saved = errno;
	(void)close(fd);
	free(buf);
	errno = saved;
	return (rc);
}

static int
route_diag_rule_cb(const struct nlmsghdr *h, struct route_diag_want *w)
{
	if (route_diag_rule_table(h, w->a) != w->table)
		return (0);
	w->found = 1;
	return (1);
}

static int
route_diag_route_cb(const struct nlmsghdr *h, struct route_diag_want *w)
{
	if (!route_diag_is_local_default(h, w->a->family, w->table))
		return (0);
	w->found = 1;
	return (1);
}

int
route_diag_missing(const struct sockaddr *backend, int table)
{
	struct {
		struct nlmsghdr	n;
		union {
			struct fib_rule_hdr	rule;
			struct rtmsg		route;
		} u;
		char		attr[RTA_SPACE(sizeof(uint32_t))];
	}			 req;
	struct selfcheck_addr	 a;
	struct route_diag_want	 w;
	uint32_t		 t = (uint32_t)table;
	int			 missing = 0;

	if (selfcheck_addr_of(backend, &a) == -1)
		return (-1);
	memset(&w, 0, sizeof(w));
	w.a = &a;
	w.table = table;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.rule));
	req.n.nlmsg_type = RTM_GETRULE;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.n.nlmsg_seq = 1;
	req.u.rule.family = (unsigned char)a.family;
	if (route_diag_dump(&req.n, 0, route_diag_rule_cb, &w) == -1)
		return (-1);
	if (!w.found)
		missing |= ROUTE_DIAG_NO_RULE;

	/* The local routes of that table: the kernel filters them (4.20). */
	w.found = 0;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.route));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.n.nlmsg_seq = 2;
	req.u.route.rtm_family = (unsigned char)a.family;
	req.u.route.rtm_type = RTN_LOCAL;
	req.u.route.rtm_table = table < 256 ? (unsigned char)table :
	    RT_TABLE_UNSPEC;
	rtnl_attr(&req.n, RTA_TABLE, &t, sizeof(t));
	if (route_diag_dump(&req.n, 1, route_diag_route_cb, &w) == -1)
		return (-1);
	if (!w.found)
		missing |= ROUTE_DIAG_NO_ROUTE;
	return (missing);
}

void
route_diag_describe(const struct sockaddr *backend, int missing, int table,
    char *buf, size_t len)
{
	struct selfcheck_addr	a;
	char			rule[128], route[128];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (selfcheck_addr_of(backend, &a) == -1)
		return;
	selfcheck_rule_cmd(backend, table, rule, sizeof(rule));
	selfcheck_route_cmd(backend, table, route, sizeof(route));
	switch (missing & (ROUTE_DIAG_NO_RULE | ROUTE_DIAG_NO_ROUTE)) {
	case ROUTE_DIAG_NO_RULE:
		(void)snprintf(buf, len, "the rule is gone: %s", rule);
		break;
	case ROUTE_DIAG_NO_ROUTE:
		(void)snprintf(buf, len, "the route is gone: %s", route);
		break;
	case ROUTE_DIAG_NO_RULE | ROUTE_DIAG_NO_ROUTE:
		(void)snprintf(buf, len, "the rule and the route are gone: "
		    "%s; %s", rule, route);
		break;
	default:
		(void)snprintf(buf, len, "the rule and the route of table %d "
		    "are there, but a rule before them sends the replies "
		    "elsewhere (see ip %srule show)", table,
		    a.family == AF_INET6 ? "-6 " : "");
		break;
	}
}
