/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_cmsg.h -- the control messages of the UDP thread (pure): where a
 * datagram was sent (IP_PKTINFO, IP_ORIGDSTADDR and their IPv6 forms) and
 * the source a reply must leave from (IP_PKTINFO, IPV6_PKTINFO).
 */
#ifndef MMPROXYD_UDP_CMSG_H
#define MMPROXYD_UDP_CMSG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "udp_flow_table.h"

/* Room for one PKTINFO or ORIGDSTADDR control message of either family. */
union udp_cmsg {
	struct cmsghdr	align;
	unsigned char	pktinfo[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	unsigned char	origdst[CMSG_SPACE(sizeof(struct sockaddr_in6))];
};

/*
 * Where a datagram received with mh was sent, into *to: from an
 * IP_ORIGDSTADDR or IPV6_ORIGDSTADDR message (address and port: what a
 * TPROXY rule diverted), else from IP_PKTINFO or IPV6_PKTINFO (the address,
 * with port, the receiving socket's port in network order). Returns 0, or
 * -1 with *to zeroed (AF_UNSPEC) when mh carries neither.
 */
int		udp_cmsg_reached(const struct msghdr *mh, in_port_t port,
		    union udp_flow_addr *to);

/*
 * An IPv4 address into its IPv4-mapped IPv6 form, in place; others are
 * left alone. On a dual-stack listener an IPv4 datagram's original
 * destination (IP_ORIGDSTADDR) comes as IPv4, its sender as mapped IPv6:
 * a reply socket bound to the one must reach the other.
 */
void		udp_cmsg_map(union udp_flow_addr *a);

/*
 * Write into *ctl the PKTINFO message that makes a reply leave from src's
 * address (a link-local IPv6 one on its scope's interface). Returns the
 * length for msg_controllen, or 0 when the kernel's own choice must do:
 * src is unknown (AF_UNSPEC), multicast or broadcast, which cannot be a
 * source.
 */
socklen_t	udp_cmsg_pktinfo(union udp_cmsg *ctl,
		    const union udp_flow_addr *src);

#endif
