/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_bufpipe.h -- a bufpipe is what a relay direction borrows while
 * bytes move: a copy buffer and, made on first need, a pipe for
 * splice(). Pooled for all relays and held only while data flows, so an
 * idle connection costs its two sockets and nothing else. Pipes are made
 * while the process has fds to spare (tcp_fd_gauge.h) and given back when it
 * runs short.
 */
#ifndef MMPROXYD_TCP_BUFPIPE_H
#define MMPROXYD_TCP_BUFPIPE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct tcp_fd_gauge;

/*
 * Mapped, so only the pages a read reaches cost memory. Large, because a
 * direction left without a pipe (fds are short) copies bulk through it:
 * 64 KiB per recv/send pair, as much as one splice moves.
 */
#define TCP_BUFPIPE_BUF_SIZE	(64 * 1024)

struct tcp_bufpipe {
	char	*buf;		/* TCP_BUFPIPE_BUF_SIZE bytes */
	int	 rfd;		/* pipe, or -1 until tcp_bufpipe_need_pipe() */
	int	 wfd;
	int	 copied;	/* the borrower's: 0 when lent */
};

struct tcp_bufpipe_pool {
	pthread_mutex_t		 mtx;
	struct tcp_bufpipe	*idle;		/* stack of clean bufpipes */
	size_t			 nidle, max_idle;
	size_t			 pipe_size;	/* F_SETPIPE_SZ; 0: default */
	/* Counts the pipes of all bufpipes, idle or lent (-metrics too). */
	struct tcp_fd_gauge	*fds;
	atomic_size_t		 nlent;		/* out with relays (-metrics) */
};

/* fds: where pipes are counted, and refused when fds are short. */
int	tcp_bufpipe_pool_init(struct tcp_bufpipe_pool *pool, size_t max_idle,
	    size_t pipe_size, struct tcp_fd_gauge *fds);

/* A bufpipe: a pooled one or a new one (no pipe yet). 0, or -1 (errno). */
int	tcp_bufpipe_get(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *out);

/*
 * Make sure bp has a pipe, its pipe being empty. Returns 0, or -1:
 * EMFILE when fds are short (tcp_fd_gauge.h; then an empty pipe bp had is
 * closed, after the idle bufpipes' pipes), or pipe2()'s errno.
 */
int	tcp_bufpipe_need_pipe(struct tcp_bufpipe_pool *pool,
	    struct tcp_bufpipe *bp);

/*
 * Give bp back. Its pipe is closed rather than reused when dirty says it
 * may hold bytes (after an error) or when it does hold some, so no stale
 * byte reaches another connection, and when fds are short; a bufpipe
 * beyond max_idle is freed.
 */
void	tcp_bufpipe_put(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *bp,
	    int dirty);

/* While fds are short, close the pipes of idle bufpipes. */
void	tcp_bufpipe_relieve(struct tcp_bufpipe_pool *pool);

size_t	tcp_bufpipe_idle(struct tcp_bufpipe_pool *pool);
void	tcp_bufpipe_pool_destroy(struct tcp_bufpipe_pool *pool);

#endif
