/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_datagram.h -- one datagram from the load balancer: check, route,
 * forward.
 */
#ifndef MMPROXYD_UDP_DATAGRAM_H
#define MMPROXYD_UDP_DATAGRAM_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "failure_class.h"
#include "udp_flow_table.h"

struct udp_thread;

/*
 * The datagram [buf, len) from from: its sender must be allowed and it
 * must start with a v2 header for a datagram transport (or LOCAL); its
 * payload goes on by its flow's socket, opened now if need be. reached is
 * where it was sent, NULL when the listener does not learn that.
 */
void	udp_datagram(struct udp_thread *u, const unsigned char *buf,
	    size_t len, const union udp_flow_addr *from,
	    const union udp_flow_addr *reached);
/* A datagram dropped before it was parsed (too large, say): count, log. */
void	udp_datagram_drop(struct udp_thread *u, const struct sockaddr *from,
	    enum failure_class_header cls, const char *why);

#endif
