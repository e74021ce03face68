/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * kit_pool.h -- what a relay direction borrows while bytes move: a copy
 * buffer and, made on first need, a pipe for splice(). Shared by all
 * relays and held only while data flows, so an idle connection costs its
 * two sockets and nothing else. Pipes are made while the process has fds
 * to spare (fd_gauge.h) and given back when it runs short.
 */
#ifndef MMPROXYD_TCP_BUFPIPE_H
#define MMPROXYD_TCP_BUFPIPE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct fd_gauge;

/*
 * Mapped, so only the pages a read reaches cost memory. Large, because a
 * direction left without a pipe (fds are short) copies bulk through it:
 * 64 KiB per recv/send pair, as much as one splice moves.
 */
#define KIT_BUF_SIZE	(64 * 1024)

struct kit {
	char	*buf;		/* KIT_BUF_SIZE bytes */
	int	 rfd;		/* pipe, or -1 until kit_pipe() */
	int	 wfd;
	int	 copied;	/* the borrower's: 0 when lent */
};

struct kit_pool {
	pthread_mutex_t	 mtx;
	struct kit	*idle;		/* stack of clean kits */
	size_t		 nidle, max_idle;
	size_t		 pipe_size;	/* F_SETPIPE_SZ, 0 = kernel default */
	/* Counts the pipes open in all kits, idle or lent (-metrics too). */
	struct fd_gauge	*fds;
	atomic_size_t	 nlent;		/* kits out with relays (-metrics) */
};

/* fds: where pipes are counted, and refused when fds are short. */
int	kit_pool_init(struct kit_pool *kp, size_t max_idle, size_t pipe_size,
	    struct fd_gauge *fds);

/* A kit: a pooled one or a new one (no pipe yet). 0, or -1 (errno). */
int	kit_pool_get(struct kit_pool *kp, struct kit *out);

/*
 * Make sure the kit has a pipe, its pipe being empty. Returns 0, or -1:
 * EMFILE when fds are short (fd_gauge.h; then an empty pipe the kit had
 * is closed, after the idle kits' pipes), or pipe2()'s errno.
 */
int	kit_pipe(struct kit_pool *kp, struct kit *k);

/*
 * Give a kit back. Its pipe is closed rather than reused when dirty says
 * it may hold bytes (after an error) or when it does hold some, so no
 * stale byte reaches another connection, and when fds are short; a kit
 * beyond max_idle is freed.
 */
void	kit_pool_put(struct kit_pool *kp, struct kit *k, int dirty);

/* While fds are short, close the pipes of idle kits. */
void	kit_pool_relieve(struct kit_pool *kp);

size_t	kit_pool_idle(struct kit_pool *kp);
void	kit_pool_destroy(struct kit_pool *kp);

#endif
