/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_connect.h -- a connection's socket to its backend, from the
 * client's address and port, and what happens when another socket holds
 * them (-client-port-busy).
 */
#ifndef MMPROXYD_TCP_CONNECT_H
#define MMPROXYD_TCP_CONNECT_H

#include <sys/types.h>
#include <sys/socket.h>

struct conn;
struct log_fields;

/*
 * Connect c to c->target from src (the client's address and port) with
 * IP_TRANSPARENT, or from our own address when src is NULL. The socket
 * is published in c's list while it is c's. Returns the connected fd, or
 * -1 with errno set and *what naming the step that failed. lf names the
 * connection in the lines this logs.
 */
int	tcp_connect_backend(struct conn *c, const struct sockaddr *src,
	    const struct log_fields *lf, const char **what);

#endif
