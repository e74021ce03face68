/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * route_diag.h -- when the backend's replies no longer come back to us,
 * which half of the return route has gone: the rule that sends them to a
 * table, or that table's local default route. Read from rtnetlink dumps;
 * nothing here changes a route.
 */
#ifndef MMPROXYD_ROUTE_DIAG_H
#define MMPROXYD_ROUTE_DIAG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <stddef.h>

#include "selfcheck.h"

#define ROUTE_DIAG_NO_RULE	0x1
#define ROUTE_DIAG_NO_ROUTE	0x2

/*
 * The table that h, an RTM_NEWRULE message, sends a's replies to: a rule
 * "from PREFIX [iif lo] table N" whose PREFIX holds a and that selects
 * nothing else (no destination, tos, mark, oif, inversion); 0 when it is
 * not such a rule, or names the local, main or default table (pure).
 */
int	route_diag_rule_table(const struct nlmsghdr *h,
	    const struct selfcheck_addr *a);

/*
 * 1 when h, an RTM_NEWROUTE message, is a local default route of family
 * ("local 0.0.0.0/0" or "local ::/0") in table; else 0 (pure).
 */
int	route_diag_is_local_default(const struct nlmsghdr *h, int family,
	    int table);

/*
 * Ask the kernel which of the two that table needs is gone for backend's
 * replies: ROUTE_DIAG_NO_RULE when no rule sends them to table,
 * ROUTE_DIAG_NO_ROUTE when table has no local default route; 0 when both
 * are there (then a rule before them must send the replies elsewhere).
 * Returns -1 with errno set when it could not ask.
 */
int	route_diag_missing(const struct sockaddr *backend, int table);

/*
 * What is missing, in words, with the commands that restore it, into buf
 * (pure): "the rule is gone: ip rule add ...", "the route is gone: ...",
 * "the rule and the route are gone: ...; ...", or for 0 that a rule before
 * table's now sends the replies elsewhere.
 */
void	route_diag_describe(const struct sockaddr *backend, int missing,
	    int table, char *buf, size_t len);

#endif
