/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * target.h -- where a proxied connection or datagram goes, and from where
 * (pure; shared by TCP and UDP).
 */
#ifndef MMPROXYD_TARGET_H
#define MMPROXYD_TARGET_H

#include <sys/types.h>
#include <sys/socket.h>

#include "endpoint.h"
#include "options.h"
#include "proxy_header.h"

/*
 * From a parsed header: the source to bind (the client, unmapped from
 * IPv4-mapped IPv6; *spoof set) or none for LOCAL/UNKNOWN (*spoof = 0),
 * and the destination: the header's destination with -dynamic-destination,
 * else ep's -4 or -6 by the source's family. For LOCAL the family is
 * that of local, the address the load balancer reached. Returns 0, or -1 with a
 * reason in *why when the two families cannot be joined.
 */
int	target_choose(const struct options *cfg, const struct endpoint *ep,
	    const struct pp_header *hdr, const struct sockaddr *local,
	    struct sockaddr_storage *src, int *spoof,
	    struct sockaddr_storage *dst, const char **why);

#endif
