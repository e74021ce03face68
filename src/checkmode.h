/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * checkmode.h -- mmproxyd -t: check a configuration without serving it,
 * as nginx -t and sshd -t do, so that a service manager can refuse a bad
 * edit before it reaches a running instance (ExecReload, the SysV
 * script's reload and restart, an upgrade). A start runs the part that no
 * retry can mend first, and exits 2 on it.
 */
#ifndef MMPROXYD_CHECKMODE_H
#define MMPROXYD_CHECKMODE_H

#include <stddef.h>
#include <stdio.h>

struct options;

/*
 * What a start needs and waiting would not bring: -user names a user and
 * we may switch to it, CAP_NET_ADMIN (IP_TRANSPARENT), CAP_NET_BIND_SERVICE
 * for -l and -metrics ports below net.ipv4.ip_unprivileged_port_start,
 * and file descriptor and task limits with room for nendpoints x
 * -listeners listening sockets. Each problem is a line on err. Returns how
 * many there were.
 */
int	checkmode_start(const struct options *opts, size_t nendpoints,
	    FILE *err);

/*
 * -t: the -l ranges against -4 and -6, the -allowed-subnets and
 * -dynamic-destination-allow files, checkmode_start, and every -l port and
 * -metrics: bound for a moment without SO_REUSEPORT and never listened
 * on, so a port in use (by the running instance, say) passes, but an
 * address that is not this host's or a port we may not bind does not.
 * Prints one OK line on out, or each problem on err. Returns the exit
 * status: 0, or 2.
 */
int	checkmode_run(const struct options *opts, FILE *out, FILE *err);

#endif
