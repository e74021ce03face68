/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_pool.c -- bounded thread pool for the TCP relays.
 *
 * mtx guards every field. An idle thread waits on its own futex word (a
 * struct tcp_pool_waiter on its stack, pushed on the idle stack): tcp_pool_run
 * pops the thread that went idle last (its stack and cache are warm),
 * puts the task in its slot and wakes that thread alone, after unlocking,
 * so the woken thread neither takes mtx nor meets the acceptor on it.
 * Without an idle thread the task is queued, for a new thread started for
 * it or, at the thread cap, for a thread of a connection that just gave
 * its slot back and is about to return. Threads are detached; nthreads
 * counts them so that tcp_pool_destroy can wait until the last one has left.
 *
 * The waiter lives on its thread's stack, which lasts as long as the
 * thread. A thread leaves only under mtx after taking itself off the idle
 * stack, and only after idling idle_seconds, so a wake-up issued just
 * after unlocking meets a live thread (at worst as a spurious wake-up).
 */

#include "config.h"

#include <sys/syscall.h>
#include <linux/futex.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcp_pool.h"

#define TCP_POOL_SPARE		4	/* idle threads kept warm */
#define TCP_POOL_IDLE_SECONDS	10	/* then a thread beyond spare exits */

enum { TCP_POOL_W_WAIT, TCP_POOL_W_TASK, TCP_POOL_W_STOP };

static void
tcp_pool_futex_wake(atomic_int *word)
{
	(void)syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int
tcp_pool_init(struct tcp_pool *p, size_t max_conns, size_t stack_size)
{
	memset(p, 0, sizeof(*p));
	p->max_conns = max_conns;
	p->max_threads = 2 * max_conns;
	p->spare = TCP_POOL_SPARE;
	p->stack_size = stack_size;
	p->idle_seconds = TCP_POOL_IDLE_SECONDS;
	if ((p->queue = calloc(p->max_threads, sizeof(*p->queue))) == NULL)
		return (-1);
	if ((p->idle = calloc(p->max_threads, sizeof(*p->idle))) == NULL) {
		free(p->queue);
		return (-1);
	}
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->slot_free, NULL);
	pthread_cond_init(&p->exited, NULL);
	return (0);
}

int
tcp_pool_conn_acquire(struct tcp_pool *p)
{
	int	rc = -1;

	pthread_mutex_lock(&p->mtx);
	while (p->conns == p->max_conns && !p->stopping) {
		p->slot_waiters++;
		pthread_cond_wait(&p->slot_free, &p->mtx);
		p->slot_waiters--;
	}
	if (!p->stopping) {
		p->conns++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->mtx);
	return (rc);
}

void
tcp_pool_conn_release(struct tcp_pool *p)
{
	int	wake;

	pthread_mutex_lock(&p->mtx);
	p->conns--;
	wake = p->slot_waiters > 0;
	pthread_mutex_unlock(&p->mtx);
	/* After unlocking: the woken acceptor must not block on mtx. */
	if (wake)
		pthread_cond_signal(&p->slot_free);
}

size_t
tcp_pool_conns(struct tcp_pool *p)
{
	size_t	n;

	pthread_mutex_lock(&p->mtx);
	n = p->conns;
	pthread_mutex_unlock(&p->mtx);
	return (n);
}

void
tcp_pool_threads(struct tcp_pool *p, size_t *total, size_t *idle)
{
	pthread_mutex_lock(&p->mtx);
	*total = p->nthreads;
	*idle = p->nidle;
	pthread_mutex_unlock(&p->mtx);
}

/* Take w off the idle stack, wherever it is. Called with mtx held. */
static void
tcp_pool_unidle(struct tcp_pool *p, struct tcp_pool_waiter *w)
{
	size_t	i;

	for (i = p->nidle; i-- > 0; )
		if (p->idle[i] == w) {
			memmove(&p->idle[i], &p->idle[i + 1],
			    (p->nidle - i - 1) * sizeof(*p->idle));
			p->nidle--;
			return;
		}
}

/*
 * Sleep in w until it is handed a task or told to stop, and return that
 * state without mtx; TCP_POOL_W_WAIT means this thread is to exit: mtx is
 * held and w is off the idle stack.
 */
static int
tcp_pool_wait(struct tcp_pool *p, struct tcp_pool_waiter *w)
{
	struct timespec	ts;
	int		st, rc;

	for (;;) {
		ts.tv_sec = p->idle_seconds;
		ts.tv_nsec = 0;
		rc = (int)syscall(SYS_futex, &w->state, FUTEX_WAIT_PRIVATE,
		    TCP_POOL_W_WAIT, &ts, NULL, 0);
		if ((st = atomic_load_explicit(&w->state,
		    memory_order_acquire)) != TCP_POOL_W_WAIT)
			return (st);
		if (rc == 0 || errno != ETIMEDOUT)
			continue;	/* spurious, EINTR: sleep again */
		pthread_mutex_lock(&p->mtx);
		if ((st = atomic_load_explicit(&w->state,
		    memory_order_acquire)) != TCP_POOL_W_WAIT) {
			pthread_mutex_unlock(&p->mtx);
			return (st);
		}
		if (p->nidle > p->spare) {
			tcp_pool_unidle(p, w);
			return (TCP_POOL_W_WAIT);
		}
		pthread_mutex_unlock(&p->mtx);
	}
}

static void *
tcp_pool_thread(void *arg)
{
	struct tcp_pool		*p = arg;
	struct tcp_pool_waiter	 w;
	struct tcp_pool_task	 t;

	atomic_init(&w.state, TCP_POOL_W_WAIT);
	pthread_mutex_lock(&p->mtx);
	for (;;) {
		if (p->len > 0) {
			t = p->queue[p->head];
			p->head = (p->head + 1) % p->max_threads;
			p->len--;
			pthread_mutex_unlock(&p->mtx);
			t.fn(t.arg);
			pthread_mutex_lock(&p->mtx);
			continue;
		}
		if (p->stopping)
			break;
		atomic_store_explicit(&w.state, TCP_POOL_W_WAIT,
		    memory_order_relaxed);
		p->idle[p->nidle++] = &w;
		pthread_mutex_unlock(&p->mtx);
		switch (tcp_pool_wait(p, &w)) {
		case TCP_POOL_W_TASK:
			w.task.fn(w.task.arg);
			pthread_mutex_lock(&p->mtx);
			continue;
		case TCP_POOL_W_STOP:
			/* Queued tasks still run, then the loop ends. */
			pthread_mutex_lock(&p->mtx);
			continue;
		}
		break;		/* idled out, mtx held */
	}
	p->nthreads--;
	pthread_cond_broadcast(&p->exited);
	pthread_mutex_unlock(&p->mtx);
	return (NULL);
}

/* Called with mtx held. */
static int
tcp_pool_spawn(struct tcp_pool *p)
{
	pthread_attr_t	attr;
	pthread_t	t;
	int		rc;

	if ((rc = pthread_attr_init(&attr)) != 0)
		return (rc);
	if (p->stack_size != 0 &&
	    (rc = pthread_attr_setstacksize(&attr, p->stack_size)) != 0)
		goto out;
	if ((rc = pthread_attr_setdetachstate(&attr,
	    PTHREAD_CREATE_DETACHED)) != 0)
		goto out;
	if ((rc = pthread_create(&t, &attr, tcp_pool_thread, p)) == 0)
		p->nthreads++;
out:
	pthread_attr_destroy(&attr);
	return (rc);
}

int
tcp_pool_run(struct tcp_pool *p, void (*fn)(void *), void *arg)
{
	struct tcp_pool_waiter *w;
	int		 rc = 0;

	pthread_mutex_lock(&p->mtx);
	if (p->nidle > 0) {
		w = p->idle[--p->nidle];
		w->task = (struct tcp_pool_task){ fn, arg };
		atomic_store_explicit(&w->state, TCP_POOL_W_TASK,
		    memory_order_release);
		pthread_mutex_unlock(&p->mtx);
		/* After unlocking: the woken thread must not block on mtx. */
		tcp_pool_futex_wake(&w->state);
		return (0);
	}
	if (p->len == p->max_threads) {
		rc = EAGAIN;	/* more tasks than two per slot: a bug */
		goto out;
	}
	/*
	 * Queued tasks each already have a thread coming for them. At the
	 * thread cap the task waits in the queue: a connection gives its slot
	 * back just before its last thread returns here, so a new
	 * connection's task can arrive a moment before that thread is idle.
	 */
	if (p->nthreads < p->max_threads && (rc = tcp_pool_spawn(p)) != 0)
		goto out;
	p->queue[(p->head + p->len) % p->max_threads] =
	    (struct tcp_pool_task){ fn, arg };
	p->len++;
out:
	pthread_mutex_unlock(&p->mtx);
	if (rc != 0)
		errno = rc;
	return (rc == 0 ? 0 : -1);
}

void
tcp_pool_stop(struct tcp_pool *p)
{
	struct tcp_pool_waiter *w;

	pthread_mutex_lock(&p->mtx);
	p->stopping = 1;
	pthread_cond_broadcast(&p->slot_free);
	/* Under mtx: an idle thread cannot leave before it is woken. */
	while (p->nidle > 0) {
		w = p->idle[--p->nidle];
		atomic_store_explicit(&w->state, TCP_POOL_W_STOP,
		    memory_order_release);
		tcp_pool_futex_wake(&w->state);
	}
	pthread_mutex_unlock(&p->mtx);
}

void
tcp_pool_destroy(struct tcp_pool *p)
{
	pthread_mutex_lock(&p->mtx);
	while (p->nthreads > 0)
		pthread_cond_wait(&p->exited, &p->mtx);
	pthread_mutex_unlock(&p->mtx);
	pthread_cond_destroy(&p->slot_free);
	pthread_cond_destroy(&p->exited);
	pthread_mutex_destroy(&p->mtx);
	free(p->queue);
	free(p->idle);
}
