/*
 * listener.c -- the acceptor thread of one TCP listening socket.
 *
 * It takes a pool slot before it accepts, so when every slot is busy new
 * connections wait in the kernel's listen backlog rather than in memory
 * here. An accepted fd is handed to a pool thread with its conn; from then
 * on the relay owns it. Only the acceptor touches fd until listener_stop
 * shuts it down to wake accept().
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "listener.h"
#include "log.h"
#include "net.h"
#include "pool.h"
#include "ratelog.h"
#include "tcp_relay.h"

#define LISTENER_BACKOFF_MS	100	/* after EMFILE and the like */
#define LISTENER_WARN_MS	10000	/* between repeated accept warnings */

int
listener_open(struct listener *l, int id, const struct config *cfg,
    struct pool *pool, struct kit_pool *kits, struct allowlist *allow)
{
	int	one = 1;

	memset(l, 0, sizeof(*l));
	l->id = id;
	l->cfg = cfg;
	l->pool = pool;
	l->kits = kits;
	l->allow = allow;
	l->fd = net_listen((const struct sockaddr *)&cfg->listen,
	    SOCK_STREAM, cfg->listeners > 1, cfg->listen_transparent);
	if (l->fd == -1)
		return (-1);
	/* Accepted sockets inherit these: one setsockopt for all of them. */
	(void)setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &relay_idle_tv,
	    sizeof(relay_idle_tv));
	pthread_mutex_init(&l->conns_mtx, NULL);
	return (0);
}

static void
listener_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void *
listener_thread(void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 peer;
	struct conn		*c;
	socklen_t		 plen;
	struct ratelog		 warn = { 0, 0 };
	uint64_t		 n;
	char			 pbuf[ADDR_STRLEN];
	int			 fd;

	while (pool_conn_acquire(l->pool) == 0) {
		plen = sizeof(peer);
		fd = accept4(l->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (atomic_load(&l->stopping)) {
				pool_conn_release(l->pool);
				break;
			}
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				break;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* Out of something: wait, never die. */
				if ((n = ratelog_due(&warn, LISTENER_WARN_MS))
				    != 0)
					log_warn("listener %d: accept, backing "
					    "off (%" PRIu64 " since "
					    "the last line)", l->id, n);
				listener_sleep_ms(LISTENER_BACKOFF_MS);
				break;
			default:
				if ((n = ratelog_due(&warn, LISTENER_WARN_MS))
				    != 0)
					log_warn("listener %d: accept (%" PRIu64
					    " since the last line)",
					    l->id, n);
				listener_sleep_ms(LISTENER_BACKOFF_MS);
				break;
			}
			pool_conn_release(l->pool);
			continue;
		}
		atomic_fetch_add(&l->stats.accepted, 1);
		if (!allowlist_allows(l->allow, (struct sockaddr *)&peer)) {
			atomic_fetch_add(&l->stats.denied, 1);
			log_conn(LOG_V_ERRORS, "%s: not in the allowed subnets, "
			    "closed", addr_format((struct sockaddr *)&peer,
			    pbuf, sizeof(pbuf)));
			(void)close(fd);
			pool_conn_release(l->pool);
			continue;
		}
		if ((c = tcp_relay_conn_new(l, fd, &peer)) == NULL ||
		    pool_run(l->pool, tcp_relay_serve, c) == -1) {
			/* Logged, never silent; the peer sees a close. */
			log_warn("listener %d: %s: cannot serve", l->id,
			    addr_format((struct sockaddr *)&peer, pbuf,
			    sizeof(pbuf)));
			free(c);
			(void)close(fd);
			pool_conn_release(l->pool);
			listener_sleep_ms(LISTENER_BACKOFF_MS);
		}
	}
	return (NULL);
}

int
listener_start(struct listener *l)
{
	int	rc;

	if ((rc = pthread_create(&l->thread, NULL, listener_thread, l)) == 0)
		l->started = 1;
	return (rc);
}

void
listener_stop(struct listener *l)
{
	atomic_store(&l->stopping, 1);
	/* Wakes a blocked accept() with EINVAL; new peers get refused. */
	(void)shutdown(l->fd, SHUT_RDWR);
	if (l->started) {
		pthread_join(l->thread, NULL);
		l->started = 0;
	}
}

void
listener_abort_conns(struct listener *l)
{
	struct conn	*c;

	pthread_mutex_lock(&l->conns_mtx);
	for (c = l->conns; c != NULL; c = c->next) {
		(void)shutdown(c->cfd, SHUT_RDWR);
		if (c->bfd != -1)
			(void)shutdown(c->bfd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&l->conns_mtx);
}

void
listener_close(struct listener *l)
{
	if (l->fd != -1)
		(void)close(l->fd);
	l->fd = -1;
	pthread_mutex_destroy(&l->conns_mtx);
}

void
listener_log_stats(struct listener *l, const char *when)
{
	struct listener_stats	*s = &l->stats;

	log_info("%s: listener %d: accepted %llu, proxied %llu, denied %llu, "
	    "bad header %llu, header timeout %llu, backend failed %llu, "
	    "active %llu, bytes in %llu, bytes out %llu", when, l->id,
	    (unsigned long long)atomic_load(&s->accepted),
	    (unsigned long long)atomic_load(&s->proxied),
	    (unsigned long long)atomic_load(&s->denied),
	    (unsigned long long)atomic_load(&s->bad_header),
	    (unsigned long long)atomic_load(&s->header_timeout),
	    (unsigned long long)atomic_load(&s->backend_fail),
	    (unsigned long long)atomic_load(&s->active),
	    (unsigned long long)atomic_load(&s->bytes_in),
	    (unsigned long long)atomic_load(&s->bytes_out));
}
