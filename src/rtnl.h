/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * rtnl.h -- the few rtnetlink calls the route checks share: a socket that
 * gives up waiting, a request sent whole, the kernel's next answer.
 */
#ifndef MMPROXYD_RTNL_H
#define MMPROXYD_RTNL_H

#include <sys/types.h>
#include <linux/netlink.h>

#include <stddef.h>

/*
 * A NETLINK_ROUTE socket whose reads fail with ETIMEDOUT after timeout_ms.
 * Returns the fd, or -1 with errno set.
 */
int	rtnl_open(int timeout_ms);
/* Send req whole. Returns 0, or -1 with errno set. */
int	rtnl_send(int fd, const struct nlmsghdr *req);
/*
 * The next datagram from the kernel (others are skipped) into buf, which
 * must be aligned for struct nlmsghdr. Returns its length, or -1 with
 * errno set: ETIMEDOUT when none came in time, EMSGSIZE when it did not
 * fit.
 */
ssize_t	rtnl_recv(int fd, void *buf, size_t len);
/* Append attribute type to n, which must have room for it. */
void	rtnl_attr(struct nlmsghdr *n, int type, const void *data, size_t len);
/* The table of a route message: RTA_TABLE, else rtm_table (pure). */
int	rtnl_route_table(const struct nlmsghdr *h);

#endif
