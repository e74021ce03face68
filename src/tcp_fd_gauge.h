/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_fd_gauge.h -- the fds a TCP daemon holds, counted where they change
 * hands rather than looked up: those open when serving began, two per
 * connection (its socket and its backend's, counted while the connection
 * is listed in tcp_conns) and two per pipe. It is an upper bound but
 * for moments: a connection reading its header holds one socket, not
 * two, but an accepted socket is not counted until it is listed, nor
 * after it is unlisted, just before it is closed; the low-water mark
 * holds those (see capacity.h). It decides whether a pipe may be made now.
 */
#ifndef MMPROXYD_TCP_FD_GAUGE_H
#define MMPROXYD_TCP_FD_GAUGE_H

#include <stdatomic.h>
#include <stddef.h>

struct tcp_fd_gauge {
	/* Set before any relay runs, read-only after. */
	size_t		 nofile;	/* RLIMIT_NOFILE in force */
	size_t		 fixed;		/* open when serving began */
	size_t		 listen_sockets;
	size_t		 max_conns;
	/* Relaxed: each is a count on its own; see tcp_fd_gauge.c. */
	atomic_size_t	 conns;
	atomic_size_t	 pipes;
};

void	tcp_fd_gauge_init(struct tcp_fd_gauge *g, size_t nofile, size_t fixed,
	    size_t listen_sockets, size_t max_conns);

/* fds open in this process now, or -1 (errno) without /proc. */
int	tcp_fd_gauge_count_open(size_t *n);

/* A connection listed (its fds counted) and unlisted. */
void	tcp_fd_gauge_conn_open(struct tcp_fd_gauge *g);
void	tcp_fd_gauge_conn_close(struct tcp_fd_gauge *g);

/*
 * Count a pipe about to be made: 0, or -1 when it would leave fewer than
 * the low-water mark free (nothing counted then).
 */
int	tcp_fd_gauge_pipe_take(struct tcp_fd_gauge *g);
/* A pipe counted by tcp_fd_gauge_pipe_take was closed (or never made). */
void	tcp_fd_gauge_pipe_put(struct tcp_fd_gauge *g);

/* Whether fewer than the low-water mark are free now. */
int	tcp_fd_gauge_pressed(struct tcp_fd_gauge *g);

/*
 * While pressed, uncount one pipe and return 1: the caller must close
 * one. 0 when not pressed, or no pipe is counted.
 */
int	tcp_fd_gauge_pipe_shed(struct tcp_fd_gauge *g);

/* For the log: fds counted in use, and the mark now. */
size_t	tcp_fd_gauge_in_use(struct tcp_fd_gauge *g);
size_t	tcp_fd_gauge_low_water(struct tcp_fd_gauge *g);

#endif
