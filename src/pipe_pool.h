/*
 * pipe_pool.h -- pipes for splice(), shared by all relays and held only
 * while bytes move, so an idle connection costs its two sockets and no
 * pipe.
 */
#ifndef MMPROXYD_PIPE_POOL_H
#define MMPROXYD_PIPE_POOL_H

#include <pthread.h>
#include <stddef.h>

struct pipe_pair {
	int	rfd;
	int	wfd;
};

struct pipe_pool {
	pthread_mutex_t	  mtx;
	struct pipe_pair *idle;		/* stack of empty pipes */
	size_t		  nidle, max_idle;
	size_t		  pipe_size;	/* F_SETPIPE_SZ, 0 = kernel default */
};

int	pipe_pool_init(struct pipe_pool *pp, size_t max_idle,
	    size_t pipe_size);

/* An empty pipe: a pooled one or a new one. Returns 0, or -1 (errno). */
int	pipe_pool_get(struct pipe_pool *pp, struct pipe_pair *out);

/*
 * Give a pipe back. One that still holds bytes (pending != 0, after an
 * error) is closed rather than reused, so no stale byte reaches another
 * connection; so is one beyond max_idle.
 */
void	pipe_pool_put(struct pipe_pool *pp, struct pipe_pair *p,
	    size_t pending);

size_t	pipe_pool_idle(struct pipe_pool *pp);
void	pipe_pool_destroy(struct pipe_pool *pp);

#endif
