/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_pool.h -- the bounded thread pool behind the TCP relays.
 *
 * A connection takes a slot (tcp_pool_conn_acquire, blocking while all
 * max_conns slots are taken: that is the backpressure) and runs on one
 * pool thread, or two (one per direction) once its traffic needs them.
 * Threads start on demand with a small stack and exit after idling, so
 * an idle daemon keeps only a few.
 */
#ifndef MMPROXYD_TCP_POOL_H
#define MMPROXYD_TCP_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct tcp_pool_task {
	void	(*fn)(void *);
	void	*arg;
};

/*
 * An idle thread's wake-up slot, on its own stack: tcp_pool_run hands a task
 * straight to one thread and wakes only that one (a futex on state).
 */
struct tcp_pool_waiter {
	atomic_int		 state;		/* TCP_POOL_W_* */
	struct tcp_pool_task	 task;		/* valid once state is TASK */
};

struct tcp_pool {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 slot_free;	/* a connection ended */
	pthread_cond_t		 exited;	/* a thread exited */
	struct tcp_pool_task	*queue;		/* ring of max_threads */
	size_t			 head, len;
	struct tcp_pool_waiter	**idle;		/* stack: last idle on top */
	size_t			 max_threads;	/* 2 * max_conns */
	size_t			 nthreads, nidle;
	size_t			 max_conns, conns;
	size_t			 slot_waiters;	/* acceptors in acquire */
	size_t			 spare;		/* idle threads kept */
	size_t			 stack_size;
	int			 idle_seconds;
	int			 stopping;
};

/* Returns 0, or -1 with errno set (ENOMEM). */
int	tcp_pool_init(struct tcp_pool *p, size_t max_conns, size_t stack_size);

/*
 * Take a connection slot, waiting while all are taken. Returns 0, or -1
 * once tcp_pool_stop() was called.
 */
int	tcp_pool_conn_acquire(struct tcp_pool *p);
void	tcp_pool_conn_release(struct tcp_pool *p);
size_t	tcp_pool_conns(struct tcp_pool *p);
/* Threads alive and, of those, idle: a snapshot under the lock. */
void	tcp_pool_threads(struct tcp_pool *p, size_t *total, size_t *idle);

/*
 * Run fn(arg) on a pool thread: an idle one, a new one, or (at the thread
 * cap) the next one to finish. Never waits: slots bound the tasks to two
 * per connection. Returns 0, or -1 with errno set: the pthread_create
 * error when no thread could take the task, EAGAIN when the queue is full.
 */
int	tcp_pool_run(struct tcp_pool *p, void (*fn)(void *), void *arg);

/* Wake acquirers and let idle threads exit. */
void	tcp_pool_stop(struct tcp_pool *p);

/* After tcp_pool_stop and once no task runs: wait for threads, free. */
void	tcp_pool_destroy(struct tcp_pool *p);

#endif
