/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_bufpipe.c -- a mutex-guarded stack of clean bufpipes. mtx guards
 * idle and nidle; a bufpipe handed out belongs to its caller until
 * tcp_bufpipe_put().
 * Buffers are mapped, not malloc'ed, so a bufpipe freed after a burst gives
 * its memory back to the system at once.
 *
 * The gauge counts every pipe from before pipe2() to after close(). When
 * fds run short, pipes go back in this order: the idle bufpipes' (oldest
 * first), a bufpipe's as it comes back, and a lent bufpipe's at its next
 * tcp_bufpipe_need_pipe(), between two bulk reads, when its pipe is empty.
 */

#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp_bufpipe.h"
#include "tcp_fd_gauge.h"

int
tcp_bufpipe_pool_init(struct tcp_bufpipe_pool *pool, size_t max_idle,
    size_t pipe_size, struct tcp_fd_gauge *fds)
{
	memset(pool, 0, sizeof(*pool));
	if ((pool->idle = calloc(max_idle ? max_idle : 1,
	    sizeof(*pool->idle))) == NULL)
		return (-1);
	pool->max_idle = max_idle;
	pool->pipe_size = pipe_size;
	pool->fds = fds;
	atomic_init(&pool->nlent, 0);
	pthread_mutex_init(&pool->mtx, NULL);
	return (0);
}

/* Close bp's pipe, which the gauge no longer counts. */
static void
tcp_bufpipe_drop_pipe(struct tcp_bufpipe *bp)
{
	(void)close(bp->rfd);
	(void)close(bp->wfd);
	bp->rfd = bp->wfd = -1;
}

static void
tcp_bufpipe_close_pipe(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *bp)
{
	if (bp->rfd == -1)
		return;
	tcp_bufpipe_drop_pipe(bp);
	tcp_fd_gauge_pipe_put(pool->fds);
}

/* Close bp's pipe if fds are short; 1 if it did. */
static int
tcp_bufpipe_shed_pipe(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *bp)
{
	if (bp->rfd == -1 || !tcp_fd_gauge_pipe_shed(pool->fds))
		return (0);
	tcp_bufpipe_drop_pipe(bp);
	return (1);
}

void
tcp_bufpipe_relieve(struct tcp_bufpipe_pool *pool)
{
	size_t	i;

	if (!tcp_fd_gauge_pressed(pool->fds))
		return;
	/* The bottom of the stack has idled longest. */
	pthread_mutex_lock(&pool->mtx);
	for (i = 0; i < pool->nidle; i++)
		if (pool->idle[i].rfd != -1 &&
		    !tcp_bufpipe_shed_pipe(pool, &pool->idle[i]))
			break;
	pthread_mutex_unlock(&pool->mtx);
}

/*
 * Whether bp's pipe holds bytes (or cannot say): the next relay would
 * send them to its own peer.
 */
static int
tcp_bufpipe_holds_bytes(const struct tcp_bufpipe *bp)
{
	int	n;

	if (bp->rfd == -1)
		return (0);
	return (ioctl(bp->rfd, FIONREAD, &n) == -1 || n != 0);
}

static void
tcp_bufpipe_free(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *bp)
{
	tcp_bufpipe_close_pipe(pool, bp);
	if (bp->buf != NULL)
		(void)munmap(bp->buf, TCP_BUFPIPE_BUF_SIZE);
	bp->buf = NULL;
}

int
tcp_bufpipe_get(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *out)
{
	void	*p;

	pthread_mutex_lock(&pool->mtx);
	if (pool->nidle > 0) {
		*out = pool->idle[--pool->nidle];
		pthread_mutex_unlock(&pool->mtx);
		out->copied = 0;
		atomic_fetch_add_explicit(&pool->nlent, 1,
		    memory_order_relaxed);
		return (0);
	}
	pthread_mutex_unlock(&pool->mtx);

	p = mmap(NULL, TCP_BUFPIPE_BUF_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	out->buf = p;
	out->rfd = out->wfd = -1;
	out->copied = 0;
	atomic_fetch_add_explicit(&pool->nlent, 1, memory_order_relaxed);
	return (0);
}

int
tcp_bufpipe_need_pipe(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *bp)
{
	int	fds[2];

	if (bp->rfd != -1) {
		if (!tcp_fd_gauge_pressed(pool->fds))
			return (0);
		/* Idle pipes go first, then this one if still short. */
		tcp_bufpipe_relieve(pool);
		if (!tcp_bufpipe_shed_pipe(pool, bp))
			return (0);
		errno = EMFILE;
		return (-1);
	}
	/* Counted first, so racing relays never overshoot the mark. */
	if (tcp_fd_gauge_pipe_take(pool->fds) == -1) {
		tcp_bufpipe_relieve(pool);
		errno = EMFILE;
		return (-1);
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		tcp_fd_gauge_pipe_put(pool->fds);
		return (-1);
	}
	/* A smaller or larger pipe is only a tuning choice: ignore failure. */
	if (pool->pipe_size != 0)
		(void)fcntl(fds[1], F_SETPIPE_SZ, (int)pool->pipe_size);
	bp->rfd = fds[0];
	bp->wfd = fds[1];
	return (0);
}

void
tcp_bufpipe_put(struct tcp_bufpipe_pool *pool, struct tcp_bufpipe *bp,
    int dirty)
{
	atomic_fetch_sub_explicit(&pool->nlent, 1, memory_order_relaxed);
	/* Checked, not only trusted: a stale byte is another's data. */
	if (dirty || tcp_bufpipe_holds_bytes(bp))
		tcp_bufpipe_close_pipe(pool, bp);
	else
		(void)tcp_bufpipe_shed_pipe(pool, bp);
	pthread_mutex_lock(&pool->mtx);
	if (pool->nidle < pool->max_idle) {
		pool->idle[pool->nidle++] = *bp;
		pthread_mutex_unlock(&pool->mtx);
		bp->buf = NULL;
		bp->rfd = bp->wfd = -1;
		return;
	}
	pthread_mutex_unlock(&pool->mtx);
	tcp_bufpipe_free(pool, bp);
}

size_t
tcp_bufpipe_idle(struct tcp_bufpipe_pool *pool)
{
	size_t	n;

	pthread_mutex_lock(&pool->mtx);
	n = pool->nidle;
	pthread_mutex_unlock(&pool->mtx);
	return (n);
}

void
tcp_bufpipe_pool_destroy(struct tcp_bufpipe_pool *pool)
{
	while (pool->nidle > 0)
		tcp_bufpipe_free(pool, &pool->idle[--pool->nidle]);
	free(pool->idle);
	pthread_mutex_destroy(&pool->mtx);
}
