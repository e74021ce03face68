/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * kit_pool.c -- a mutex-guarded stack of clean kits. mtx guards idle and
 * nidle; a kit handed out belongs to its caller until kit_pool_put().
 * Buffers are mapped, not malloc'ed, so a kit freed after a burst gives
 * its memory back to the system at once.
 *
 * The gauge counts every pipe from before pipe2() to after close(). When
 * fds run short, pipes go back in this order: the idle kits' (oldest
 * first), a kit's as it comes back, and a lent kit's at its next
 * kit_pipe(), between two bulk reads, when its pipe is empty.
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

#include "fd_gauge.h"
#include "tcp_bufpipe.h"

int
kit_pool_init(struct kit_pool *kp, size_t max_idle, size_t pipe_size,
    struct fd_gauge *fds)
{
	memset(kp, 0, sizeof(*kp));
	if ((kp->idle = calloc(max_idle ? max_idle : 1,
	    sizeof(*kp->idle))) == NULL)
		return (-1);
	kp->max_idle = max_idle;
	kp->pipe_size = pipe_size;
	kp->fds = fds;
	atomic_init(&kp->nlent, 0);
	pthread_mutex_init(&kp->mtx, NULL);
	return (0);
}

/* Close k's pipe, which the gauge no longer counts. */
static void
kit_drop_pipe(struct kit *k)
{
	(void)close(k->rfd);
	(void)close(k->wfd);
	k->rfd = k->wfd = -1;
}

static void
kit_close_pipe(struct kit_pool *kp, struct kit *k)
{
	if (k->rfd == -1)
		return;
	kit_drop_pipe(k);
	fd_gauge_pipe_put(kp->fds);
}

/* Close k's pipe if fds are short; 1 if it did. */
static int
kit_shed_pipe(struct kit_pool *kp, struct kit *k)
{
	if (k->rfd == -1 || !fd_gauge_pipe_shed(kp->fds))
		return (0);
	kit_drop_pipe(k);
	return (1);
}

void
kit_pool_relieve(struct kit_pool *kp)
{
	size_t	i;

	if (!fd_gauge_pressed(kp->fds))
		return;
	/* The bottom of the stack has idled longest. */
	pthread_mutex_lock(&kp->mtx);
	for (i = 0; i < kp->nidle; i++)
		if (kp->idle[i].rfd != -1 && !kit_shed_pipe(kp, &kp->idle[i]))
			break;
	pthread_mutex_unlock(&kp->mtx);
}

/*
 * Whether k's pipe holds bytes (or cannot say): the next relay would
 * send them to its own peer.
 */
static int
kit_pipe_holds_bytes(const struct kit *k)
{
	int	n;

	if (k->rfd == -1)
		return (0);
	return (ioctl(k->rfd, FIONREAD, &n) == -1 || n != 0);
}

static void
kit_free(struct kit_pool *kp, struct kit *k)
{
	kit_close_pipe(kp, k);
	if (k->buf != NULL)
		(void)munmap(k->buf, KIT_BUF_SIZE);
	k->buf = NULL;
}

int
kit_pool_get(struct kit_pool *kp, struct kit *out)
{
	void	*p;

	pthread_mutex_lock(&kp->mtx);
	if (kp->nidle > 0) {
		*out = kp->idle[--kp->nidle];
		pthread_mutex_unlock(&kp->mtx);
		out->copied = 0;
		atomic_fetch_add_explicit(&kp->nlent, 1, memory_order_relaxed);
		return (0);
	}
	pthread_mutex_unlock(&kp->mtx);

	p = mmap(NULL, KIT_BUF_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	out->buf = p;
	out->rfd = out->wfd = -1;
	out->copied = 0;
	atomic_fetch_add_explicit(&kp->nlent, 1, memory_order_relaxed);
	return (0);
}

int
kit_pipe(struct kit_pool *kp, struct kit *k)
{
	int	fds[2];

	if (k->rfd != -1) {
		if (!fd_gauge_pressed(kp->fds))
			return (0);
		/* Idle pipes go first, then this one if still short. */
		kit_pool_relieve(kp);
		if (!kit_shed_pipe(kp, k))
			return (0);
		errno = EMFILE;
		return (-1);
	}
	/* Counted first, so racing relays never overshoot the mark. */
	if (fd_gauge_pipe_take(kp->fds) == -1) {
		kit_pool_relieve(kp);
		errno = EMFILE;
		return (-1);
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		fd_gauge_pipe_put(kp->fds);
		return (-1);
	}
	/* A smaller or larger pipe is only a tuning choice: ignore failure. */
	if (kp->pipe_size != 0)
		(void)fcntl(fds[1], F_SETPIPE_SZ, (int)kp->pipe_size);
	k->rfd = fds[0];
	k->wfd = fds[1];
	return (0);
}

void
kit_pool_put(struct kit_pool *kp, struct kit *k, int dirty)
{
	atomic_fetch_sub_explicit(&kp->nlent, 1, memory_order_relaxed);
	/* Checked, not only trusted: a stale byte is another's data. */
	if (dirty || kit_pipe_holds_bytes(k))
		kit_close_pipe(kp, k);
	else
		(void)kit_shed_pipe(kp, k);
	pthread_mutex_lock(&kp->mtx);
	if (kp->nidle < kp->max_idle) {
		kp->idle[kp->nidle++] = *k;
		pthread_mutex_unlock(&kp->mtx);
		k->buf = NULL;
		k->rfd = k->wfd = -1;
		return;
	}
	pthread_mutex_unlock(&kp->mtx);
	kit_free(kp, k);
}

size_t
kit_pool_idle(struct kit_pool *kp)
{
	size_t	n;

	pthread_mutex_lock(&kp->mtx);
	n = kp->nidle;
	pthread_mutex_unlock(&kp->mtx);
	return (n);
}

void
kit_pool_destroy(struct kit_pool *kp)
{
	while (kp->nidle > 0)
		kit_free(kp, &kp->idle[--kp->nidle]);
	free(kp->idle);
	pthread_mutex_destroy(&kp->mtx);
}
