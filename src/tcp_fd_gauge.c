/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_fd_gauge.c -- the fds a TCP daemon holds, and whether a pipe fits.
 *
 * Two relaxed atomics and no lock: the acceptors bump conns, relays bump
 * pipes, and every check reads both. A check that races a change may see
 * one count a moment old; that costs one pipe too few or too many beside
 * a mark that keeps CAPACITY_PIPE_BURST connections' worth free, never an
 * fd. A pipe is counted before pipe2() runs, so racing relays cannot
 * together make more than the mark allows; a pipe is given back under
 * pressure only through a compare-and-swap that still sees the pressure,
 * so racing relays shed no more than the pressure asks.
 */

#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>

#include "capacity.h"
#include "tcp_fd_gauge.h"

#define TCP_FD_GAUGE_GET(a)	atomic_load_explicit(&(a), memory_order_relaxed)

void
tcp_fd_gauge_init(struct tcp_fd_gauge *g, size_t nofile, size_t fixed,
    size_t listen_sockets, size_t max_conns)
{
	g->nofile = nofile;
	g->fixed = fixed;
	g->listen_sockets = listen_sockets;
	g->max_conns = max_conns;
	atomic_init(&g->conns, 0);
	atomic_init(&g->pipes, 0);
}

int
tcp_fd_gauge_count_open(size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 k = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	errno = 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			k++;
	if (errno != 0) {
		(void)closedir(d);
		return (-1);
	}
	(void)closedir(d);
	*n = k > 0 ? k - 1 : 0;		/* less the directory's own */
	return (0);
}

void
tcp_fd_gauge_conn_open(struct tcp_fd_gauge *g)
{
	atomic_fetch_add_explicit(&g->conns, 1, memory_order_relaxed);
}

void
tcp_fd_gauge_conn_close(struct tcp_fd_gauge *g)
{
	atomic_fetch_sub_explicit(&g->conns, 1, memory_order_relaxed);
}

static size_t
tcp_fd_gauge_used(const struct tcp_fd_gauge *g, size_t conns, size_t pipes)
{
	return (g->fixed + conns * CAPACITY_FDS_PER_CONN +
	    pipes * CAPACITY_FDS_PER_PIPE);
}

/* fds free beyond the low-water mark with conns and pipes counted. */
static long long
tcp_fd_gauge_spare(const struct tcp_fd_gauge *g, size_t conns, size_t pipes)
{
	return ((long long)capacity_fds_free(g->nofile,
	    tcp_fd_gauge_used(g, conns, pipes)) -
	    (long long)capacity_pipe_low_water(g->listen_sockets, g->max_conns,
	    conns));
}

/* Whether one more pipe leaves the mark free. */
static int
tcp_fd_gauge_fits(const struct tcp_fd_gauge *g, size_t conns, size_t pipes)
{
	return (tcp_fd_gauge_spare(g, conns, pipes) >= CAPACITY_FDS_PER_PIPE);
}

int
tcp_fd_gauge_pipe_take(struct tcp_fd_gauge *g)
{
	size_t	was;

	/* A relay that copies asks at every bulk read: look first. */
	if (!tcp_fd_gauge_fits(g, TCP_FD_GAUGE_GET(g->conns),
	    TCP_FD_GAUGE_GET(g->pipes)))
		return (-1);
	was = atomic_fetch_add_explicit(&g->pipes, 1, memory_order_relaxed);
	if (tcp_fd_gauge_fits(g, TCP_FD_GAUGE_GET(g->conns), was))
		return (0);
	tcp_fd_gauge_pipe_put(g);
	return (-1);
}

void
tcp_fd_gauge_pipe_put(struct tcp_fd_gauge *g)
{
	atomic_fetch_sub_explicit(&g->pipes, 1, memory_order_relaxed);
}

/* Fewer than the mark free with conns and pipes counted. */
static int
tcp_fd_gauge_short(const struct tcp_fd_gauge *g, size_t conns, size_t pipes)
{
	return (tcp_fd_gauge_spare(g, conns, pipes) < 0);
}

int
tcp_fd_gauge_pressed(struct tcp_fd_gauge *g)
{
	return (tcp_fd_gauge_short(g, TCP_FD_GAUGE_GET(g->conns),
	    TCP_FD_GAUGE_GET(g->pipes)));
}

int
tcp_fd_gauge_pipe_shed(struct tcp_fd_gauge *g)
{
	size_t	pipes = TCP_FD_GAUGE_GET(g->pipes);

	while (pipes > 0 &&
	    tcp_fd_gauge_short(g, TCP_FD_GAUGE_GET(g->conns), pipes))
		if (atomic_compare_exchange_weak_explicit(&g->pipes, &pipes,
		    pipes - 1, memory_order_relaxed, memory_order_relaxed))
			return (1);
	return (0);
}

size_t
tcp_fd_gauge_in_use(struct tcp_fd_gauge *g)
{
	return (tcp_fd_gauge_used(g, TCP_FD_GAUGE_GET(g->conns),
	    TCP_FD_GAUGE_GET(g->pipes)));
}

size_t
tcp_fd_gauge_low_water(struct tcp_fd_gauge *g)
{
	return (capacity_pipe_low_water(g->listen_sockets, g->max_conns,
	    TCP_FD_GAUGE_GET(g->conns)));
}
