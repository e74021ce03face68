/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * rtnl.c -- rtnetlink plumbing for selfcheck.c and route_diag.c. Queries
 * only: nothing here needs a privilege.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "rtnl.h"

int
rtnl_open(int timeout_ms)
{
	struct timeval	tv;
	int		fd, saved;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return (-1);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

int
rtnl_send(int fd, const struct nlmsghdr *req)
{
	struct sockaddr_nl	kernel;
	ssize_t			n;

	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	do
		n = sendto(fd, req, req->nlmsg_len, 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if ((size_t)n != req->nlmsg_len) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}

ssize_t
rtnl_recv(int fd, void *buf, size_t len)
{
	struct sockaddr_nl	from;
	socklen_t		fromlen;
	ssize_t			n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, len, MSG_TRUNC,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			errno = ETIMEDOUT;	/* SO_RCVTIMEO expired */
		if (n == -1)
			return (-1);
		if ((size_t)n > len) {
			errno = EMSGSIZE;
			return (-1);
		}
		if (from.nl_pid == 0)
			return (n);
	}
}

void
rtnl_attr(struct nlmsghdr *n, int type, const void *data, size_t len)
{
	struct rtattr	*rta;

	rta = (struct rtattr *)(void *)((char *)n +
	    NLMSG_ALIGN(n->nlmsg_len));
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

int
rtnl_route_table(const struct nlmsghdr *h)
{
	const struct rtmsg	*r = NLMSG_DATA(h);
	const struct rtattr	*rta;
	uint32_t		 t = r->rtm_table;
	int			 left;

	left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*r));
	for (rta = RTM_RTA(r); RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type == RTA_TABLE &&
		    RTA_PAYLOAD(rta) == sizeof(t))
			memcpy(&t, RTA_DATA(rta), sizeof(t));
	return ((int)t);
}
