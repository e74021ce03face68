/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_setup.h -- a proxied TCP connection from accept to relay: its PROXY
 * header, its target, its backend socket; then the relay engine
 * (tcp_relay.h) takes it.
 */
#ifndef MMPROXYD_TCP_SETUP_H
#define MMPROXYD_TCP_SETUP_H

/*
 * Serve conn (from tcp_relay_conn_new, owning its accepted fd, listed in
 * its tcp_conns) on the calling pool thread: set it up, then relay it.
 * Returns when this thread's part is done; the connection slot is
 * released when the connection ends.
 */
void	tcp_setup_serve(void *conn);

#endif
