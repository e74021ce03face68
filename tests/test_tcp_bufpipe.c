/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_bufpipe.c -- bufpipes are reused when clean, their pipes closed when
 * dirty, and the idle stack stays bounded; pipes are refused at the fd
 * gauge's low-water mark, and given back when fds run short, idle ones
 * first, while the bufpipe's buffer still serves for copying.
 */

#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "capacity.h"
#include "tcp_bufpipe.h"
#include "tcp_fd_gauge.h"
#include "test_suites.h"

/* Mark with one listener and no connection to come: 16 + 1. */
#define TEST_BUFPIPE_MARK	(CAPACITY_FD_TRANSIENT + 1)

static struct tcp_fd_gauge	roomy;

/* A pool whose gauge never runs short. */
static int
bufpipe_pool_init_roomy(struct tcp_bufpipe_pool *pool, size_t max_idle,
    size_t pipe_size)
{
	tcp_fd_gauge_init(&roomy, (size_t)1 << 20, 0, 1, 0);
	return (tcp_bufpipe_pool_init(pool, max_idle, pipe_size, &roomy));
}

static int
fd_is_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1);
}

static void
test_tcp_bufpipe_hands_out_a_buffer_and_a_pipe_on_demand(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_bufpipe	bp;
	char			buf[4];

	CU_ASSERT_FATAL(bufpipe_pool_init_roomy(&pool, 4, 0) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &bp) == 0);
	CU_ASSERT(bp.rfd == -1 && bp.wfd == -1);
	memset(bp.buf, 'x', TCP_BUFPIPE_BUF_SIZE);	/* all of it writable */
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &bp) == 0);
	CU_ASSERT(write(bp.wfd, "abc", 3) == 3);
	CU_ASSERT(read(bp.rfd, buf, sizeof(buf)) == 3);
	CU_ASSERT(fcntl(bp.rfd, F_GETFD) & FD_CLOEXEC);
	tcp_bufpipe_put(&pool, &bp, 0);
	tcp_bufpipe_pool_destroy(&pool);
}

static void
test_tcp_bufpipe_reuses_a_clean_bufpipe_with_its_pipe(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_bufpipe	a, b;
	char			*buf;
	int			rfd, wfd;

	CU_ASSERT_FATAL(bufpipe_pool_init_roomy(&pool, 4, 0) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &a) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &a) == 0);
	buf = a.buf;
	rfd = a.rfd;
	wfd = a.wfd;
	tcp_bufpipe_put(&pool, &a, 0);
	CU_ASSERT(a.buf == NULL && a.rfd == -1 && a.wfd == -1);
	CU_ASSERT(tcp_bufpipe_idle(&pool) == 1);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &b) == 0);
	CU_ASSERT(b.buf == buf && b.rfd == rfd && b.wfd == wfd);
	/* A bufpipe that has a pipe keeps it. */
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &b) == 0);
	CU_ASSERT(b.rfd == rfd);
	CU_ASSERT(tcp_bufpipe_idle(&pool) == 0);
	tcp_bufpipe_put(&pool, &b, 0);
	tcp_bufpipe_pool_destroy(&pool);
}

/* Bytes in rfd's pipe: what the next user of the pipe would read. */
static int
pipe_bytes(int rfd)
{
	int	n = -1;

	CU_ASSERT_FATAL(ioctl(rfd, FIONREAD, &n) == 0);
	return (n);
}

/*
 * A byte left in the pipe, though the caller says the bufpipe is clean: the
 * pool sees it and closes the pipe; the next user gets the same buffer
 * and no byte of anyone else's.
 */
static void
test_tcp_bufpipe_closes_a_pipe_that_still_holds_bytes(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_bufpipe	bp, again;
	char			*buf;
	int			rfd, wfd;

	CU_ASSERT_FATAL(bufpipe_pool_init_roomy(&pool, 4, 0) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &bp) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &bp) == 0);
	CU_ASSERT(write(bp.wfd, "x", 1) == 1);
	CU_ASSERT(pipe_bytes(bp.rfd) == 1);
	buf = bp.buf;
	rfd = bp.rfd;
	wfd = bp.wfd;
	tcp_bufpipe_put(&pool, &bp, 0);
	CU_ASSERT(!fd_is_open(rfd));
	CU_ASSERT(!fd_is_open(wfd));
	CU_ASSERT(atomic_load(&roomy.pipes) == 0);
	CU_ASSERT(tcp_bufpipe_idle(&pool) == 1);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &again) == 0);
	CU_ASSERT(again.buf == buf);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &again) == 0);
	CU_ASSERT(pipe_bytes(again.rfd) == 0);
	tcp_bufpipe_put(&pool, &again, 0);
	tcp_bufpipe_pool_destroy(&pool);
}

/* Dirty closes the pipe even when it is empty: the caller knows why. */
static void
test_tcp_bufpipe_closes_the_pipe_of_a_bufpipe_given_back_dirty(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_bufpipe	bp, again;
	int			rfd;

	CU_ASSERT_FATAL(bufpipe_pool_init_roomy(&pool, 4, 0) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &bp) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &bp) == 0);
	rfd = bp.rfd;
	tcp_bufpipe_put(&pool, &bp, 1);
	CU_ASSERT(!fd_is_open(rfd));
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &again) == 0);
	CU_ASSERT(again.rfd == -1);
	tcp_bufpipe_put(&pool, &again, 0);
	tcp_bufpipe_pool_destroy(&pool);
}

static void
test_tcp_bufpipe_keeps_no_more_than_max_idle(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_bufpipe	k[3];
	int			i, extra_r;

	CU_ASSERT_FATAL(bufpipe_pool_init_roomy(&pool, 2, 0) == 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &k[i]) == 0);
		CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &k[i]) == 0);
	}
	extra_r = k[2].rfd;
	for (i = 0; i < 3; i++)
		tcp_bufpipe_put(&pool, &k[i], 0);
	CU_ASSERT(tcp_bufpipe_idle(&pool) == 2);
	CU_ASSERT(!fd_is_open(extra_r));
	tcp_bufpipe_pool_destroy(&pool);
}

static void
test_tcp_bufpipe_sets_the_requested_pipe_size(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_bufpipe	bp;

	CU_ASSERT_FATAL(bufpipe_pool_init_roomy(&pool, 1, 256 * 1024) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &bp) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &bp) == 0);
	CU_ASSERT(fcntl(bp.wfd, F_GETPIPE_SZ) == 256 * 1024);
	tcp_bufpipe_put(&pool, &bp, 0);
	tcp_bufpipe_pool_destroy(&pool);
}

/*
 * At the low-water mark tcp_bufpipe_need_pipe() says EMFILE and the
 * bufpipe keeps its buffer, so the relay copies through it; a closed pipe
 * frees a place.
 */
static void
test_tcp_bufpipe_refuses_a_pipe_at_the_mark_but_still_copies(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_fd_gauge	g;
	struct tcp_bufpipe	a, b, c;
	int			p[2];
	char			buf[4];

	/* Room for two pipes above the mark. */
	tcp_fd_gauge_init(&g, TEST_BUFPIPE_MARK + 2 * CAPACITY_FDS_PER_PIPE,
	    0, 1, 0);
	CU_ASSERT_FATAL(tcp_bufpipe_pool_init(&pool, 0, 0, &g) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &a) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &b) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &c) == 0);
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &a) == 0);
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &b) == 0);
	/* It has one: no new pipe. */
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &a) == 0);
	errno = 0;
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &c) == -1);
	CU_ASSERT(errno == EMFILE);
	CU_ASSERT(c.rfd == -1 && c.wfd == -1);
	CU_ASSERT(atomic_load(&g.pipes) == 2);
	/* The refused bufpipe copies: its whole buffer is there. */
	CU_ASSERT_FATAL(pipe(p) == 0);
	memset(c.buf, 'y', TCP_BUFPIPE_BUF_SIZE);
	CU_ASSERT(write(p[1], c.buf, 3) == 3);
	CU_ASSERT(read(p[0], buf, sizeof(buf)) == 3);
	(void)close(p[0]);
	(void)close(p[1]);
	tcp_bufpipe_put(&pool, &a, 1);		/* dirty: its pipe is closed */
	CU_ASSERT(atomic_load(&g.pipes) == 1);
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &c) == 0);
	tcp_bufpipe_put(&pool, &b, 0);		/* beyond max_idle: freed */
	tcp_bufpipe_put(&pool, &c, 0);
	CU_ASSERT(atomic_load(&g.pipes) == 0);
	tcp_bufpipe_pool_destroy(&pool);
}

/*
 * A new connection that leaves fds short takes an idle bufpipe's pipe,
 * and the next one a lent bufpipe's, at its next tcp_bufpipe_need_pipe();
 * the lent one then copies, and gets a pipe again once fds are free.
 */
static void
test_tcp_bufpipe_gives_pipes_back_idle_ones_first(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_fd_gauge	g;
	struct tcp_bufpipe	a, b;
	int			a_r, b_r;

	tcp_fd_gauge_init(&g, TEST_BUFPIPE_MARK + 2 * CAPACITY_FDS_PER_PIPE,
	    0, 1, 0);
	CU_ASSERT_FATAL(tcp_bufpipe_pool_init(&pool, 4, 0, &g) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &a) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &b) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &a) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &b) == 0);
	a_r = a.rfd;
	b_r = b.rfd;
	tcp_bufpipe_put(&pool, &b, 0);		/* idle, with its pipe */
	CU_ASSERT(fd_is_open(b_r));

	tcp_fd_gauge_conn_open(&g);			/* 2 fds more: short */
	CU_ASSERT(tcp_fd_gauge_pressed(&g));
	tcp_bufpipe_relieve(&pool);
	CU_ASSERT(!fd_is_open(b_r));
	CU_ASSERT(fd_is_open(a_r));
	CU_ASSERT(!tcp_fd_gauge_pressed(&g));
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &a) == 0);	/* keeps it */

	tcp_fd_gauge_conn_open(&g);
	errno = 0;
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &a) == -1);
	CU_ASSERT(errno == EMFILE);
	CU_ASSERT(a.rfd == -1 && !fd_is_open(a_r));
	CU_ASSERT(a.buf != NULL);
	CU_ASSERT(atomic_load(&g.pipes) == 0);

	tcp_fd_gauge_conn_close(&g);
	tcp_fd_gauge_conn_close(&g);
	CU_ASSERT(tcp_bufpipe_need_pipe(&pool, &a) == 0);
	tcp_bufpipe_put(&pool, &a, 0);
	tcp_bufpipe_pool_destroy(&pool);
	CU_ASSERT(atomic_load(&g.pipes) == 0);
}

/* A bufpipe that comes back while fds are short comes back without a pipe. */
static void
test_tcp_bufpipe_put_sheds_a_pipe_while_fds_are_short(void)
{
	struct tcp_bufpipe_pool	pool;
	struct tcp_fd_gauge	g;
	struct tcp_bufpipe	a, again;
	int			a_r;

	tcp_fd_gauge_init(&g, TEST_BUFPIPE_MARK + CAPACITY_FDS_PER_PIPE, 0, 1,
	    0);
	CU_ASSERT_FATAL(tcp_bufpipe_pool_init(&pool, 4, 0, &g) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &a) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&pool, &a) == 0);
	a_r = a.rfd;
	tcp_fd_gauge_conn_open(&g);
	tcp_bufpipe_put(&pool, &a, 0);
	CU_ASSERT(!fd_is_open(a_r));
	CU_ASSERT(tcp_bufpipe_idle(&pool) == 1);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&pool, &again) == 0);
	CU_ASSERT(again.rfd == -1);
	tcp_bufpipe_put(&pool, &again, 0);
	tcp_fd_gauge_conn_close(&g);
	tcp_bufpipe_pool_destroy(&pool);
}

void
test_tcp_bufpipe_register(void)
{
	CU_pSuite	s = test_suite_add("tcp_bufpipe");

	test_add(s, "hands out a buffer and a pipe on demand",
	    test_tcp_bufpipe_hands_out_a_buffer_and_a_pipe_on_demand);
	test_add(s, "reuses a clean bufpipe with its pipe",
	    test_tcp_bufpipe_reuses_a_clean_bufpipe_with_its_pipe);
	test_add(s, "closes a pipe that still holds bytes",
	    test_tcp_bufpipe_closes_a_pipe_that_still_holds_bytes);
	test_add(s, "closes the pipe of a bufpipe given back dirty",
	    test_tcp_bufpipe_closes_the_pipe_of_a_bufpipe_given_back_dirty);
	test_add(s, "keeps no more than max idle",
	    test_tcp_bufpipe_keeps_no_more_than_max_idle);
	test_add(s, "refuses a pipe at the mark but still copies",
	    test_tcp_bufpipe_refuses_a_pipe_at_the_mark_but_still_copies);
	test_add(s, "gives pipes back, idle ones first",
	    test_tcp_bufpipe_gives_pipes_back_idle_ones_first);
	test_add(s, "put sheds a pipe while fds are short",
	    test_tcp_bufpipe_put_sheds_a_pipe_while_fds_are_short);
	test_add(s, "sets the requested pipe size",
	    test_tcp_bufpipe_sets_the_requested_pipe_size);
}
