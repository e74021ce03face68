/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_relay.c -- unit tests for src/tcp_relay.c, the relay engine,
 * without a listener: a conn whose two sockets are loopback TCP pairs,
 * on a tcp_conns with a pool and a bufpipe pool of its own, run as the
 * acceptor's pool task would run it. The test plays the client and the
 * backend at the far ends, and tells which way the engine went by the
 * pool's threads (one while the connection is on one thread, two once
 * a direction has its own), the bufpipes and pipes lent, and the counters.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotonic.h"
#include "net.h"
#include "tcp_bufpipe.h"
#include "tcp_conns.h"
#include "tcp_fd_gauge.h"
#include "tcp_pool.h"
#include "tcp_relay.h"

#include "test_suites.h"
#include "test_tcp_pair.h"

#define WAIT_MS		5000	/* for what must happen */
#define BULK_LEN	(1024 * 1024)

/* One connection and what it runs on. */
struct rig {
	struct tcp_fd_gauge	 gauge;
	struct tcp_bufpipe_pool	 bufpipes;
	struct tcp_pool		 pool;
	struct tcp_conns	 cs;
	int			 client;	/* the far end of cfd */
	int			 backend;	/* the far end of bfd */
	uint64_t		 sent_in;	/* by the client, to relay */
	uint64_t		 sent_out;	/* by the backend, to relay */
};

static struct rig	rig;

/* Options the daemon gives its relay sockets (listener, tcp_connect.c). */
static void
relay_socket(int fd)
{
	int	one = 1;

	CU_ASSERT_FATAL(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == 0);
	CU_ASSERT_FATAL(setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one,
	    sizeof(one)) == 0);
	CU_ASSERT_FATAL(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &relay_idle_tv,
	    sizeof(relay_idle_tv)) == 0);
}

/*
 * Make the conn, with its slot, listed and connected as tcp_setup.c
 * leaves it, but not running yet. nofile 0: no pipe can be had;
 * pipe_size 0: the kernel's.
 */
static struct conn *
rig_make(size_t nofile, size_t pipe_size)
{
	struct sockaddr_storage	 peer;
	struct conn		*c;
	int			 cl[2], be[2];

	memset(&rig, 0, sizeof(rig));
	tcp_fd_gauge_init(&rig.gauge, nofile, 0, 1, 0);
	CU_ASSERT_FATAL(tcp_bufpipe_pool_init(&rig.bufpipes, 4, pipe_size,
	    &rig.gauge) == 0);
	CU_ASSERT_FATAL(tcp_pool_init(&rig.pool, 4, 0) == 0);
	tcp_conns_init(&rig.cs, NULL, NULL, &rig.pool, &rig.bufpipes);
	test_tcp_pair(cl);
	test_tcp_pair(be);
	rig.client = cl[0];
	rig.backend = be[1];
	relay_socket(cl[1]);
	relay_socket(be[0]);
	CU_ASSERT_FATAL(tcp_pool_conn_acquire(&rig.pool) == 0);
	memset(&peer, 0, sizeof(peer));
	CU_ASSERT_FATAL((c = tcp_relay_conn_new(&rig.cs, cl[1], &peer)) !=
	    NULL);
	c->bfd = be[0];
	tcp_conns_add(&rig.cs, c);
	return (c);
}

static void
rig_task(void *c)
{
	tcp_relay_run(c);
}

/* Run c on a pool thread, as the acceptor's task does once set up. */
static void
rig_run(struct conn *c)
{
	CU_ASSERT_FATAL(tcp_pool_run(&rig.pool, rig_task, c) == 0);
}

/* A conn that sent early (what came with the header), then runs. */
static void
rig_start(size_t nofile, const char *early)
{
	struct conn	*c = rig_make(nofile, 0);

	CU_ASSERT_FATAL(tcp_relay_connected(c, early, strlen(early)) == 0);
	rig.sent_in += strlen(early);
	rig_run(c);
}

static size_t
rig_threads(void)
{
	size_t	total, idle;

	tcp_pool_threads(&rig.pool, &total, &idle);
	return (total);
}

/* Every task returned and the slot given back: the connection ended. */
static int
rig_ended(void)
{
	size_t	total, idle;

	tcp_pool_threads(&rig.pool, &total, &idle);
	return (total == idle && tcp_pool_conns(&rig.pool) == 0);
}

static int
rig_split(void)
{
	return (rig_threads() == 2);
}

static int
rig_bufpipes_back(void)
{
	return (atomic_load(&rig.bufpipes.nlent) == 0);
}

/* Whether pred() comes true within ms. */
static int
eventually(int (*pred)(void), int ms)
{
	uint64_t	deadline = monotonic_ms() + (uint64_t)ms;

	while (!pred()) {
		if (monotonic_ms() > deadline)
			return (0);
		test_sleep_ms(1);
	}
	return (1);
}

/*
 * Check that the connection ended once: its slot given back exactly
 * once (twice would wrap the count), no longer active nor listed, and
 * every byte counted. Then tear the rig down; a connection still
 * running (a failed test) is cut first.
 */
static void
rig_end(void)
{
	CU_ASSERT(eventually(rig_ended, WAIT_MS));
	if (!rig_ended()) {
		tcp_conns_abort_all(&rig.cs);
		(void)eventually(rig_ended, WAIT_MS);
	}
	CU_ASSERT(tcp_pool_conns(&rig.pool) == 0);
	CU_ASSERT(atomic_load(&rig.cs.stats.active) == 0);
	CU_ASSERT(rig.cs.live == NULL);
	CU_ASSERT(atomic_load(&rig.cs.stats.bytes_in) == rig.sent_in);
	CU_ASSERT(atomic_load(&rig.cs.stats.bytes_out) == rig.sent_out);
	if (rig.client != -1)
		(void)close(rig.client);
	if (rig.backend != -1)
		(void)close(rig.backend);
	tcp_pool_stop(&rig.pool);
	tcp_pool_destroy(&rig.pool);
	tcp_conns_destroy(&rig.cs);
	tcp_bufpipe_pool_destroy(&rig.bufpipes);
}

/* Read len bytes from fd within ms. Returns how many came. */
static size_t
recv_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	uint64_t	deadline = monotonic_ms() + (uint64_t)ms;
	size_t		got = 0;
	ssize_t		n;
	int		left;

	while (got < len) {
		left = (int)(deadline - monotonic_ms());
		if (left <= 0 || poll(&pfd, 1, left) != 1)
			break;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (got);
}

/* What the next read on fd says within ms: 0 (EOF), -1 (errno), or 1. */
static int
recv_end(int fd, int ms)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		c;
	ssize_t		n;

	if (poll(&pfd, 1, ms) != 1) {
		errno = ETIMEDOUT;
		return (-1);
	}
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	return (n > 0 ? 1 : (int)n);
}

/*
 * Send msg from one far end and see it arrive at the other; sent counts
 * it in the totals the relay must come to.
 */
static void
pass(int from, int to, const char *msg, uint64_t *sent)
{
	char	buf[64];
	size_t	len = strlen(msg);

	CU_ASSERT_FATAL(len <= sizeof(buf));
	CU_ASSERT_FATAL(net_write_all(from, msg, len) == 0);
	*sent += len;
	CU_ASSERT(recv_within(to, buf, len, WAIT_MS) == len &&
	    memcmp(buf, msg, len) == 0);
}

static void
ping(void)
{
	pass(rig.client, rig.backend, "ping", &rig.sent_in);
}

static void
pong(void)
{
	pass(rig.backend, rig.client, "pong", &rig.sent_out);
}

/* The backend finishes, and the client sees it. */
static void
backend_ends(void)
{
	CU_ASSERT(shutdown(rig.backend, SHUT_WR) == 0);
	CU_ASSERT(recv_end(rig.client, WAIT_MS) == 0);
}

/* Both far ends finish, the client first, each seeing the other's end. */
static void
finish(void)
{
	CU_ASSERT(shutdown(rig.client, SHUT_WR) == 0);
	CU_ASSERT(recv_end(rig.backend, WAIT_MS) == 0);
	backend_ends();
}

static void
test_tcp_relay_light_bursts_stay_on_one_thread_until_the_eighth(void)
{
	char	early[8];
	int	i;

	rig_start(1 << 20, "early");
	CU_ASSERT(recv_within(rig.backend, early, 5, WAIT_MS) == 5 &&
	    memcmp(early, "early", 5) == 0);
	for (i = 1; i <= 7; i++) {
		if (i % 2)
			ping();
		else
			pong();
		/* The bufpipe comes back after a split would have been made. */
		CU_ASSERT(eventually(rig_bufpipes_back, WAIT_MS));
		CU_ASSERT(rig_threads() == 1);
	}
	ping();
	CU_ASSERT(eventually(rig_split, WAIT_MS));
	pong();
	ping();
	finish();
	rig_end();
}

/*
 * Fill fd's way to its peer, which does not read, until no room opens
 * for a while: the peer's window and the send buffer both full. Returns
 * how much went.
 */
static size_t
fill(int fd)
{
	static char	junk[64 * 1024];
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	int		small = 4096;
	size_t		sent = 0;
	ssize_t		n;

	do {
		while ((n = send(fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
			sent += (size_t)n;
		CU_ASSERT_FATAL(n == -1 && errno == EAGAIN);
	} while (poll(&pfd, 1, 50) == 1);
	/* Nor may the buffer grow once the peer reads again. */
	CU_ASSERT(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)) == 0);
	return (sent);
}

static void
test_tcp_relay_blocked_send_hands_over_the_other_direction(void)
{
	struct conn	*c;
	char		 msg[12 * 1024], *got;
	size_t		 filled, i;

	/* The backend reads nothing: the relay's next send cannot go. */
	c = rig_make(1 << 20, 0);
	CU_ASSERT_FATAL(tcp_relay_connected(c, NULL, 0) == 0);
	filled = fill(c->bfd);
	rig_run(c);
	/* Light, not bulk: only the send that would block splits. */
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	CU_ASSERT_FATAL(net_write_all(rig.client, msg, sizeof(msg)) == 0);
	rig.sent_in += sizeof(msg);
	CU_ASSERT(eventually(rig_split, WAIT_MS));
	/* While that direction waits, the other one flows. */
	pong();
	CU_ASSERT_FATAL((got = malloc(filled + sizeof(msg))) != NULL);
	CU_ASSERT(recv_within(rig.backend, got, filled + sizeof(msg),
	    WAIT_MS) == filled + sizeof(msg));
	CU_ASSERT(memcmp(got + filled, msg, sizeof(msg)) == 0);
	free(got);
	ping();
	finish();
	rig_end();
}

/* The client's writer for bulk_in: BULK_LEN bytes, then FIN. */
static void *
bulk_writer(void *arg)
{
	if (net_write_all(rig.client, arg, BULK_LEN) == 0)
		(void)shutdown(rig.client, SHUT_WR);
	return (NULL);
}

/* Send BULK_LEN bytes from the client; whether all arrived, then FIN. */
static int
bulk_in(void)
{
	pthread_t	 t;
	char		*out, *in;
	size_t		 i;
	int		 same;

	CU_ASSERT_FATAL((out = malloc(BULK_LEN)) != NULL);
	CU_ASSERT_FATAL((in = malloc(BULK_LEN)) != NULL);
	for (i = 0; i < BULK_LEN; i++)
		out[i] = (char)(i * 7 + i / 4093);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, bulk_writer, out) == 0);
	same = recv_within(rig.backend, in, BULK_LEN, WAIT_MS) == BULK_LEN &&
	    memcmp(in, out, BULK_LEN) == 0 &&
	    recv_end(rig.backend, WAIT_MS) == 0;
	CU_ASSERT(pthread_join(t, NULL) == 0);
	rig.sent_in += BULK_LEN;
	free(out);
	free(in);
	return (same);
}

static void
test_tcp_relay_bulk_is_spliced_through_a_lent_pipe(void)
{
	rig_start(1 << 20, "");
	CU_ASSERT(bulk_in());
	/* The pipe stays with the bufpipe, back in the pool now. */
	CU_ASSERT(atomic_load(&rig.gauge.pipes) == 1);
	CU_ASSERT(atomic_load(&rig.cs.stats.copy_fallback) == 0);
	backend_ends();
	rig_end();
}

static void
test_tcp_relay_bulk_without_a_pipe_is_copied_and_counted(void)
{
	rig_start(0, "");
	CU_ASSERT(bulk_in());
	CU_ASSERT(atomic_load(&rig.gauge.pipes) == 0);
	CU_ASSERT(atomic_load(&rig.cs.stats.copy_fallback) >= 1);
	backend_ends();
	rig_end();
}

/*
 * The urgent test's client: URGENT_BEFORE bytes, an urgent byte, then
 * URGENT_AFTER bytes and FIN. Sets queued once the urgent byte is sent.
 */
#define URGENT_BEFORE	(160 * 1024)
#define URGENT_AFTER	(16 * 1024)

static atomic_int	urgent_queued;

static void *
urgent_writer(void *arg)
{
	char	*buf = arg;

	if (net_write_all(rig.client, buf, URGENT_BEFORE) == -1 ||
	    send(rig.client, "U", 1, MSG_OOB) != 1)
		return (NULL);
	atomic_store(&urgent_queued, 1);
	if (net_write_all(rig.client, buf + URGENT_BEFORE,
	    URGENT_AFTER) == 0)
		(void)shutdown(rig.client, SHUT_WR);
	return (NULL);
}

static int
urgent_is_queued(void)
{
	return (atomic_load(&urgent_queued));
}

static void
test_tcp_relay_urgent_byte_in_bulk_is_relayed_inline(void)
{
	struct conn	*c;
	pthread_t	 t;
	char		*out, *in;
	size_t		 i, len = URGENT_BEFORE + 1 + URGENT_AFTER, filled;
	int		 big = 256 * 1024;

	CU_ASSERT_FATAL((out = malloc(URGENT_BEFORE + URGENT_AFTER)) != NULL);
	for (i = 0; i < URGENT_BEFORE + URGENT_AFTER; i++)
		out[i] = (char)(i * 7 + i / 4093);
	/*
	 * The splice that finds the urgent mark at the head of the queue
	 * returns 0, as at EOF. To meet it for sure, the relay waits on a
	 * full backend while all before the mark queues up; then one
	 * splice (the pipe is large) takes all up to the mark.
	 */
	c = rig_make(1 << 20, 1 << 20);
	CU_ASSERT(setsockopt(c->cfd, SOL_SOCKET, SO_RCVBUF, &big,
	    sizeof(big)) == 0);
	CU_ASSERT_FATAL(tcp_relay_connected(c, NULL, 0) == 0);
	filled = fill(c->bfd);
	rig_run(c);
	atomic_store(&urgent_queued, 0);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, urgent_writer, out) == 0);
	CU_ASSERT(eventually(urgent_is_queued, WAIT_MS));
	CU_ASSERT_FATAL((in = malloc(filled + len)) != NULL);
	CU_ASSERT(recv_within(rig.backend, in, filled + len, WAIT_MS) ==
	    filled + len);
	CU_ASSERT(memcmp(in + filled, out, URGENT_BEFORE) == 0);
	CU_ASSERT(in[filled + URGENT_BEFORE] == 'U');
	CU_ASSERT(memcmp(in + filled + URGENT_BEFORE + 1, out + URGENT_BEFORE,
	    URGENT_AFTER) == 0);
	CU_ASSERT(recv_end(rig.backend, WAIT_MS) == 0);
	CU_ASSERT(pthread_join(t, NULL) == 0);
	rig.sent_in += len;
	free(out);
	free(in);
	backend_ends();
	rig_end();
}

/*
 * One far end finishes; the other sees it, and its own direction still
 * flows until it finishes too; then the connection ends. split: first
 * talk until each direction has a thread.
 */
static void
end_one_then_other(int client_first, int split)
{
	int		 first, other, i;
	void		(*other_talks)(void);

	rig_start(1 << 20, "");
	if (split) {
		for (i = 0; i < 8; i++)
			ping();
		CU_ASSERT(eventually(rig_split, WAIT_MS));
	}
	first = client_first ? rig.client : rig.backend;
	other = client_first ? rig.backend : rig.client;
	other_talks = client_first ? pong : ping;
	CU_ASSERT(shutdown(first, SHUT_WR) == 0);
	CU_ASSERT(recv_end(other, WAIT_MS) == 0);
	other_talks();
	other_talks();
	CU_ASSERT(rig_threads() == (split ? 2 : 1));
	CU_ASSERT(tcp_pool_conns(&rig.pool) == 1);
	CU_ASSERT(shutdown(other, SHUT_WR) == 0);
	CU_ASSERT(recv_end(first, WAIT_MS) == 0);
	rig_end();
}

static void
test_tcp_relay_client_ends_first_then_backend(void)
{
	end_one_then_other(1, 0);
}

static void
test_tcp_relay_backend_ends_first_then_client(void)
{
	end_one_then_other(0, 0);
}

static void
test_tcp_relay_client_ends_first_on_two_threads(void)
{
	end_one_then_other(1, 1);
}

static void
test_tcp_relay_backend_ends_first_on_two_threads(void)
{
	end_one_then_other(0, 1);
}

/* A reset took the backend's socket out of CLOSE_WAIT, where a FIN left it. */
static int
backend_reset(void)
{
	return (net_tcp_state(rig.backend) == TCP_CLOSE);
}

static void
test_tcp_relay_reset_on_the_ended_side_ends_the_connection(void)
{
	struct linger	rst = { 1, 0 };

	rig_start(1 << 20, "");
	ping();
	CU_ASSERT(shutdown(rig.client, SHUT_WR) == 0);
	CU_ASSERT(recv_end(rig.backend, WAIT_MS) == 0);
	/* Nobody reads the client's side now but for this. */
	CU_ASSERT(setsockopt(rig.client, SOL_SOCKET, SO_LINGER, &rst,
	    sizeof(rst)) == 0);
	(void)close(rig.client);
	rig.client = -1;
	CU_ASSERT(eventually(rig_ended, WAIT_MS));
	/* And the backend learns that it was not a clean end. */
	CU_ASSERT(eventually(backend_reset, WAIT_MS));
	rig_end();
}

void
test_tcp_relay_register(void)
{
	CU_pSuite	s = test_suite_add("tcp_relay");

	test_add(s, "light bursts stay on one thread until the eighth",
	    test_tcp_relay_light_bursts_stay_on_one_thread_until_the_eighth);
	test_add(s, "send that would block hands over the other direction",
	    test_tcp_relay_blocked_send_hands_over_the_other_direction);
	test_add(s, "bulk is spliced through a lent pipe",
	    test_tcp_relay_bulk_is_spliced_through_a_lent_pipe);
	test_add(s, "bulk without a pipe is copied and counted",
	    test_tcp_relay_bulk_without_a_pipe_is_copied_and_counted);
	test_add(s, "urgent byte in bulk is relayed inline",
	    test_tcp_relay_urgent_byte_in_bulk_is_relayed_inline);
	test_add(s, "client ends first, then backend",
	    test_tcp_relay_client_ends_first_then_backend);
	test_add(s, "backend ends first, then client",
	    test_tcp_relay_backend_ends_first_then_client);
	test_add(s, "client ends first, on two threads",
	    test_tcp_relay_client_ends_first_on_two_threads);
	test_add(s, "backend ends first, on two threads",
	    test_tcp_relay_backend_ends_first_on_two_threads);
	test_add(s, "reset on the ended side ends the connection",
	    test_tcp_relay_reset_on_the_ended_side_ends_the_connection);
}
