/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_conns.c -- unit tests for src/tcp_conns.c: finding which of
 * our connections holds a client's address and port, on any listener,
 * and waiting for it only while it closes. The connections carry real
 * loopback sockets, whose TCP state says whether they are closing.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "monotonic.h"
#include "net.h"
#include "tcp_bufpipe.h"
#include "tcp_conns.h"
#include "tcp_fd_gauge.h"
#include "tcp_relay.h"

#include "test_suites.h"
#include "test_tcp_pair.h"

#define CLIENT	"198.51.100.7:41000"
#define TARGET	"127.0.0.1:9"

/* Two listeners' lists, as with -listeners 2, counting in one gauge. */
static struct tcp_conns	shared[2];
static struct tcp_fd_gauge		gauge;
static struct tcp_bufpipe_pool		bufpipes;

static void
setup(void)
{
	tcp_fd_gauge_init(&gauge, (size_t)1 << 20, 0, 2, 0);
	CU_ASSERT_FATAL(tcp_bufpipe_pool_init(&bufpipes, 0, 0, &gauge) == 0);
	tcp_conns_init(&shared[0], NULL, NULL, NULL, &bufpipes);
	tcp_conns_init(&shared[1], NULL, NULL, NULL, &bufpipes);
}

static void
teardown(void)
{
	tcp_conns_destroy(&shared[1]);
	tcp_conns_destroy(&shared[0]);
	tcp_bufpipe_pool_destroy(&bufpipes);
}

/* Our side of a pair whose peer has closed: CLOSE_WAIT. */
static int
closing_fd(void)
{
	int	fd[2], i;

	test_tcp_pair(fd);
	(void)close(fd[1]);
	for (i = 0; i < 1000 && net_tcp_state(fd[0]) != TCP_CLOSE_WAIT; i++)
		test_sleep_ms(1);
	CU_ASSERT(net_tcp_state(fd[0]) == TCP_CLOSE_WAIT);
	return (fd[0]);
}

struct holder {
	struct conn	*c;
	int		 peers[2];	/* the far ends, closed in free */
};

/* A connection on list cs from client to target, with real sockets. */
static struct conn *
conn_make(struct tcp_conns *cs, const char *client, const char *target,
    int closing, int peers[2])
{
	struct sockaddr_storage	 ss;
	struct conn		*c;
	char			 why[128];
	int			 fd[2];

	memset(&ss, 0, sizeof(ss));
	CU_ASSERT_FATAL((c = tcp_relay_conn_new(cs, -1, &ss)) != NULL);
	test_tcp_pair(fd);
	c->cfd = fd[0];
	peers[0] = fd[1];
	if (closing) {
		c->bfd = closing_fd();
		peers[1] = -1;
	} else {
		test_tcp_pair(fd);
		c->bfd = fd[0];
		peers[1] = fd[1];
	}
	CU_ASSERT_FATAL(addr_parse(client, &c->client, why,
	    sizeof(why)) == 0);
	CU_ASSERT_FATAL(addr_parse(target, &c->target, why,
	    sizeof(why)) == 0);
	tcp_conns_add(cs, c);
	return (c);
}

/* What a relay does last: leave, close, then come off the list. */
static void
conn_end(struct conn *c, int peers[2])
{
	tcp_conns_leave(c->cs, c);
	(void)close(c->cfd);
	(void)close(c->bfd);
	if (peers[0] != -1)
		(void)close(peers[0]);
	if (peers[1] != -1)
		(void)close(peers[1]);
	tcp_conns_remove(c->cs, c);
	free(c);
}

static enum tcp_conns_port
look(const struct conn *self, const char *client, const char *target,
    int wait_ms)
{
	struct sockaddr_storage	src, dst;
	char			why[128];

	CU_ASSERT_FATAL(addr_parse(client, &src, why, sizeof(why)) == 0);
	CU_ASSERT_FATAL(addr_parse(target, &dst, why, sizeof(why)) == 0);
	return (tcp_conns_wait_port(self, (struct sockaddr *)&src,
	    (struct sockaddr *)&dst, monotonic_us() +
	    (uint64_t)wait_ms * 1000));
}

static void
test_tcp_conns_port_held_by_nobody_of_ours_is_not_ours(void)
{
	struct conn	*c;
	int		 peers[2], bfd;

	setup();
	CU_ASSERT(look(NULL, CLIENT, TARGET, 0) == TCP_CONNS_PORT_NOT_OURS);
	/* Closing, but to another target or from another port. */
	c = conn_make(&shared[0], CLIENT, "127.0.0.1:10", 1, peers);
	CU_ASSERT(look(NULL, CLIENT, TARGET, 0) == TCP_CONNS_PORT_NOT_OURS);
	CU_ASSERT(look(NULL, "198.51.100.7:41001", "127.0.0.1:10", 0) ==
	    TCP_CONNS_PORT_NOT_OURS);
	/* Nor is the asking connection its own holder. */
	CU_ASSERT(look(c, CLIENT, "127.0.0.1:10", 0) ==
	    TCP_CONNS_PORT_NOT_OURS);
	conn_end(c, peers);
	/* Nor one that connected from another port than the client's. */
	c = conn_make(&shared[0], CLIENT, TARGET, 1, peers);
	bfd = c->bfd;
	tcp_conns_set_backend(&shared[0], c, -1);
	c->port_fell_back = 1;
	tcp_conns_set_backend(&shared[0], c, bfd);
	CU_ASSERT(look(NULL, CLIENT, TARGET, 0) == TCP_CONNS_PORT_NOT_OURS);
	conn_end(c, peers);
	teardown();
}

static void
test_tcp_conns_open_connection_is_live_without_a_wait(void)
{
	struct conn	*c;
	uint64_t	 t0;
	int		 peers[2];

	setup();
	c = conn_make(&shared[1], CLIENT, TARGET, 0, peers);
	t0 = monotonic_ms();
	CU_ASSERT(look(NULL, CLIENT, TARGET, 5000) == TCP_CONNS_PORT_LIVE);
	CU_ASSERT(monotonic_ms() - t0 < 5000);
	conn_end(c, peers);
	teardown();
}

struct ender {
	struct conn	*c;
	int		*peers;
	int		 after_ms;
};

static void *
end_later(void *arg)
{
	struct ender	*e = arg;

	test_sleep_ms(e->after_ms);
	conn_end(e->c, e->peers);
	return (NULL);
}

static void
test_tcp_conns_closing_holder_on_another_listener_is_waited_for(void)
{
	struct conn	*self, *c;
	struct ender	 e;
	pthread_t	 t;
	uint64_t	 t0;
	int		 peers[2], self_peers[2], self_bfd;

	setup();
	/* The asker is on listener 0, the holder on listener 1. */
	self = conn_make(&shared[0], CLIENT, TARGET, 0, self_peers);
	self_bfd = self->bfd;
	tcp_conns_set_backend(&shared[0], self, -1);
	c = conn_make(&shared[1], CLIENT, TARGET, 1, peers);
	e = (struct ender){ c, peers, 50 };
	t0 = monotonic_ms();
	CU_ASSERT_FATAL(pthread_create(&t, NULL, end_later, &e) == 0);
	CU_ASSERT(look(self, CLIENT, TARGET, 10000) ==
	    TCP_CONNS_PORT_LET_GO);
	CU_ASSERT(monotonic_ms() - t0 >= 50);
	CU_ASSERT(pthread_join(t, NULL) == 0);
	/* Gone: nothing of ours holds the port any more. */
	CU_ASSERT(look(self, CLIENT, TARGET, 0) == TCP_CONNS_PORT_NOT_OURS);
	self->bfd = self_bfd;
	conn_end(self, self_peers);
	teardown();
}

static void
test_tcp_conns_wait_ends_at_the_deadline(void)
{
	struct conn	*c;
	uint64_t	 t0;
	int		 peers[2];

	setup();
	/* Open sockets, but failed: closing all the same. */
	c = conn_make(&shared[0], CLIENT, TARGET, 0, peers);
	atomic_store(&c->why, "backend error");
	t0 = monotonic_ms();
	CU_ASSERT(look(NULL, CLIENT, TARGET, 60) ==
	    TCP_CONNS_PORT_STILL_HELD);
	CU_ASSERT(monotonic_ms() - t0 >= 60);
	conn_end(c, peers);
	teardown();
}

static void
test_tcp_conns_leaving_connection_is_closing_and_not_aborted(void)
{
	struct conn	*c;
	int		 peers[2];

	setup();
	c = conn_make(&shared[0], CLIENT, TARGET, 0, peers);
	tcp_conns_leave(&shared[0], c);
	CU_ASSERT(look(NULL, CLIENT, TARGET, 0) ==
	    TCP_CONNS_PORT_STILL_HELD);
	/* Shutdown must leave its fds alone: they are being closed. */
	tcp_conns_abort_all(&shared[0]);
	CU_ASSERT(atomic_load(&c->why) == NULL);
	CU_ASSERT(net_tcp_state(c->cfd) == TCP_ESTABLISHED);
	(void)close(c->cfd);
	(void)close(c->bfd);
	(void)close(peers[0]);
	(void)close(peers[1]);
	tcp_conns_remove(&shared[0], c);
	free(c);
	teardown();
}

void
test_tcp_conns_register(void)
{
	CU_pSuite	s = test_suite_add("tcp_conns");

	test_add(s, "port held by nobody of ours is not ours",
	    test_tcp_conns_port_held_by_nobody_of_ours_is_not_ours);
	test_add(s, "open connection is live, without a wait",
	    test_tcp_conns_open_connection_is_live_without_a_wait);
	test_add(s, "closing connection on another listener is waited for",
	    test_tcp_conns_closing_holder_on_another_listener_is_waited_for);
	test_add(s, "wait ends at the deadline",
	    test_tcp_conns_wait_ends_at_the_deadline);
	test_add(s, "leaving connection is closing and not aborted",
	    test_tcp_conns_leaving_connection_is_closing_and_not_aborted);
}
