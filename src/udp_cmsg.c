/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_cmsg.c -- reading where a datagram was sent from its control
 * messages, and building the one that picks a reply's source address.
 * Pure: no sockets, so the unit tests build and read real cmsg buffers.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "udp_cmsg.h"

int
udp_cmsg_reached(const struct msghdr *mh, in_port_t port,
    union udp_flow_addr *to)
{
	struct msghdr		*m = (struct msghdr *)mh;
	struct cmsghdr		*cm;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;
	int			 found = -1;

	memset(to, 0, sizeof(*to));
	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
		/* The original destination says more: it wins. */
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_ORIGDSTADDR &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(to->sin))) {
			memcpy(&to->sin, CMSG_DATA(cm), sizeof(to->sin));
			return (to->sa.sa_family == AF_INET ? 0 : -1);
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_ORIGDSTADDR &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(to->sin6))) {
			memcpy(&to->sin6, CMSG_DATA(cm), sizeof(to->sin6));
			return (to->sa.sa_family == AF_INET6 ? 0 : -1);
		}
		if (found == -1 && cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			to->sin.sin_family = AF_INET;
			to->sin.sin_addr = pi.ipi_addr;
			to->sin.sin_port = port;
			found = 0;
		}
		if (found == -1 && cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			to->sin6.sin6_family = AF_INET6;
			to->sin6.sin6_addr = pi6.ipi6_addr;
			to->sin6.sin6_port = port;
			/* Link-local means something on its link only. */
			if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				to->sin6.sin6_scope_id = pi6.ipi6_ifindex;
			found = 0;
		}
	}
	return (found);
}

socklen_t
udp_cmsg_pktinfo(union udp_cmsg *ctl, const union udp_flow_addr *src)
{
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;
	const void		*data;
	size_t			 len;
	in_addr_t		 a;
	int			 level, type;

	memset(&pi, 0, sizeof(pi));
	memset(&pi6, 0, sizeof(pi6));
	if (src->sa.sa_family == AF_INET) {
		a = ntohl(src->sin.sin_addr.s_addr);
		if (IN_MULTICAST(a) || a == INADDR_BROADCAST)
			return (0);
		pi.ipi_spec_dst = src->sin.sin_addr;
		level = IPPROTO_IP;
		type = IP_PKTINFO;
		data = &pi;
		len = sizeof(pi);
	} else if (src->sa.sa_family == AF_INET6) {
		/* An IPv4 datagram on a dual-stack [::]: ::ffff:a.b.c.d. */
		memcpy(&a, &src->sin6.sin6_addr.s6_addr[12], sizeof(a));
		a = ntohl(a);
		if (IN6_IS_ADDR_MULTICAST(&src->sin6.sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&src->sin6.sin6_addr) &&
		    (IN_MULTICAST(a) || a == INADDR_BROADCAST)))
			return (0);
		pi6.ipi6_addr = src->sin6.sin6_addr;
		pi6.ipi6_ifindex = src->sin6.sin6_scope_id;
		level = IPPROTO_IPV6;
		type = IPV6_PKTINFO;
		data = &pi6;
		len = sizeof(pi6);
	} else
		return (0);
	memset(ctl, 0, sizeof(*ctl));
	ctl->align.cmsg_level = level;
	ctl->align.cmsg_type = type;
	ctl->align.cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(&ctl->align), data, len);
	return (CMSG_SPACE(len));
}

void
udp_cmsg_map(union udp_flow_addr *a)
{
	struct sockaddr_in	sin;

	if (a->sa.sa_family != AF_INET)
		return;
	sin = a->sin;
	memset(a, 0, sizeof(*a));
	a->sin6.sin6_family = AF_INET6;
	a->sin6.sin6_port = sin.sin_port;
	a->sin6.sin6_addr.s6_addr[10] = 0xff;
	a->sin6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a->sin6.sin6_addr.s6_addr[12], &sin.sin_addr, 4);
}
