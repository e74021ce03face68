/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * endpoint.h -- the listening ports, one struct endpoint each, expanded
 * from -l, -4 and -6 (pure). Every listener and UDP thread reads its
 * targets from its endpoint, not from the options.
 */
#ifndef MMPROXYD_ENDPOINT_H
#define MMPROXYD_ENDPOINT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "options.h"

struct endpoint {
	struct sockaddr_storage	 listen;
	struct sockaddr_storage	 target4;	/* -4 for this port */
	struct sockaddr_storage	 target6;	/* -6 for this port */
};

/*
 * One endpoint per port of every -l, in order. The i-th -4 (-6) goes
 * with the i-th -l, or a lone one with all; port N of a -l range goes to
 * port N of its target's range, or every port to a single target port.
 * Refuses more than OPTIONS_MAX_PORTS ports, ranges of unequal length
 * and -l options that overlap. Returns the array (free() it) and its
 * length in *n, or NULL with a reason in err.
 */
struct endpoint	*endpoint_expand(const struct options *cfg, size_t *n,
		    char *err, size_t errlen);

/* "ADDR:PORT", or "ADDR:FIRST-LAST" for a range, into buf. */
const char	*endpoint_format_ports(const struct options_ports *p,
		    char *buf, size_t len);

#endif
