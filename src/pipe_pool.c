/*
 * pipe_pool.c -- a mutex-guarded stack of empty pipes. mtx guards idle and
 * nidle; a pipe handed out belongs to its caller until pipe_pool_put().
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipe_pool.h"

int
pipe_pool_init(struct pipe_pool *pp, size_t max_idle, size_t pipe_size)
{
	memset(pp, 0, sizeof(*pp));
	if ((pp->idle = calloc(max_idle ? max_idle : 1,
	    sizeof(*pp->idle))) == NULL)
		return (-1);
	pp->max_idle = max_idle;
	pp->pipe_size = pipe_size;
	pthread_mutex_init(&pp->mtx, NULL);
	return (0);
}

static void
pipe_pool_close(struct pipe_pair *p)
{
	(void)close(p->rfd);
	(void)close(p->wfd);
	p->rfd = p->wfd = -1;
}

int
pipe_pool_get(struct pipe_pool *pp, struct pipe_pair *out)
{
	int	fds[2];

	pthread_mutex_lock(&pp->mtx);
	if (pp->nidle > 0) {
		*out = pp->idle[--pp->nidle];
		pthread_mutex_unlock(&pp->mtx);
		return (0);
	}
	pthread_mutex_unlock(&pp->mtx);

	if (pipe2(fds, O_CLOEXEC) == -1)
		return (-1);
	/* A smaller or larger pipe is only a tuning choice: ignore failure. */
	if (pp->pipe_size != 0)
		(void)fcntl(fds[1], F_SETPIPE_SZ, (int)pp->pipe_size);
	out->rfd = fds[0];
	out->wfd = fds[1];
	return (0);
}

void
pipe_pool_put(struct pipe_pool *pp, struct pipe_pair *p, size_t pending)
{
	if (pending == 0) {
		pthread_mutex_lock(&pp->mtx);
		if (pp->nidle < pp->max_idle) {
			pp->idle[pp->nidle++] = *p;
			pthread_mutex_unlock(&pp->mtx);
			p->rfd = p->wfd = -1;
			return;
		}
		pthread_mutex_unlock(&pp->mtx);
	}
	pipe_pool_close(p);
}

size_t
pipe_pool_idle(struct pipe_pool *pp)
{
	size_t	n;

	pthread_mutex_lock(&pp->mtx);
	n = pp->nidle;
	pthread_mutex_unlock(&pp->mtx);
	return (n);
}

void
pipe_pool_destroy(struct pipe_pool *pp)
{
	while (pp->nidle > 0)
		pipe_pool_close(&pp->idle[--pp->nidle]);
	free(pp->idle);
	pthread_mutex_destroy(&pp->mtx);
}
