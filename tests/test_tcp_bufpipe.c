/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_kit_pool.c -- kits are reused when clean, their pipes closed when
 * dirty, and the idle stack stays bounded; pipes are refused at the fd
 * gauge's low-water mark, and given back when fds run short, idle ones
 * first, while the kit's buffer still serves for copying.
 */

#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "fd_gauge.h"
#include "tcp_bufpipe.h"
#include "test_suites.h"

/* Mark with one listener and no connection to come: 16 + 1. */
#define TEST_KIT_MARK	(BUDGET_FD_TRANSIENT + 1)

static struct fd_gauge	roomy;

/* A pool whose gauge never runs short. */
static int
kit_pool_init_roomy(struct kit_pool *kp, size_t max_idle, size_t pipe_size)
{
	fd_gauge_init(&roomy, (size_t)1 << 20, 0, 1, 0);
	return (kit_pool_init(kp, max_idle, pipe_size, &roomy));
}

static int
fd_is_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1);
}

static void
test_kit_pool_hands_out_a_buffer_and_a_pipe_on_demand(void)
{
	struct kit_pool	kp;
	struct kit	k;
	char		buf[4];

	CU_ASSERT_FATAL(kit_pool_init_roomy(&kp, 4, 0) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &k) == 0);
	CU_ASSERT(k.rfd == -1 && k.wfd == -1);
	memset(k.buf, 'x', KIT_BUF_SIZE);	/* all of it is writable */
	CU_ASSERT_FATAL(kit_pipe(&kp, &k) == 0);
	CU_ASSERT(write(k.wfd, "abc", 3) == 3);
	CU_ASSERT(read(k.rfd, buf, sizeof(buf)) == 3);
	CU_ASSERT(fcntl(k.rfd, F_GETFD) & FD_CLOEXEC);
	kit_pool_put(&kp, &k, 0);
	kit_pool_destroy(&kp);
}

static void
test_kit_pool_reuses_a_clean_kit_with_its_pipe(void)
{
	struct kit_pool	kp;
	struct kit	a, b;
	char		*buf;
	int		rfd, wfd;

	CU_ASSERT_FATAL(kit_pool_init_roomy(&kp, 4, 0) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &a) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &a) == 0);
	buf = a.buf;
	rfd = a.rfd;
	wfd = a.wfd;
	kit_pool_put(&kp, &a, 0);
	CU_ASSERT(a.buf == NULL && a.rfd == -1 && a.wfd == -1);
	CU_ASSERT(kit_pool_idle(&kp) == 1);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &b) == 0);
	CU_ASSERT(b.buf == buf && b.rfd == rfd && b.wfd == wfd);
	/* A kit that has a pipe keeps it. */
	CU_ASSERT(kit_pipe(&kp, &b) == 0);
	CU_ASSERT(b.rfd == rfd);
	CU_ASSERT(kit_pool_idle(&kp) == 0);
	kit_pool_put(&kp, &b, 0);
	kit_pool_destroy(&kp);
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
 * A byte left in the pipe, though the caller says the kit is clean: the
 * pool sees it and closes the pipe; the next user gets the same buffer
 * and no byte of anyone else's.
 */
static void
test_kit_pool_closes_a_pipe_that_still_holds_bytes(void)
{
	struct kit_pool	kp;
	struct kit	k, again;
	char		*buf;
	int		rfd, wfd;

	CU_ASSERT_FATAL(kit_pool_init_roomy(&kp, 4, 0) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &k) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &k) == 0);
	CU_ASSERT(write(k.wfd, "x", 1) == 1);
	CU_ASSERT(pipe_bytes(k.rfd) == 1);
	buf = k.buf;
	rfd = k.rfd;
	wfd = k.wfd;
	kit_pool_put(&kp, &k, 0);
	CU_ASSERT(!fd_is_open(rfd));
	CU_ASSERT(!fd_is_open(wfd));
	CU_ASSERT(atomic_load(&roomy.pipes) == 0);
	CU_ASSERT(kit_pool_idle(&kp) == 1);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &again) == 0);
	CU_ASSERT(again.buf == buf);
	CU_ASSERT_FATAL(kit_pipe(&kp, &again) == 0);
	CU_ASSERT(pipe_bytes(again.rfd) == 0);
	kit_pool_put(&kp, &again, 0);
	kit_pool_destroy(&kp);
}

/* Dirty closes the pipe even when it is empty: the caller knows why. */
static void
test_kit_pool_closes_the_pipe_of_a_kit_given_back_dirty(void)
{
	struct kit_pool	kp;
	struct kit	k, again;
	int		rfd;

	CU_ASSERT_FATAL(kit_pool_init_roomy(&kp, 4, 0) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &k) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &k) == 0);
	rfd = k.rfd;
	kit_pool_put(&kp, &k, 1);
	CU_ASSERT(!fd_is_open(rfd));
	CU_ASSERT_FATAL(kit_pool_get(&kp, &again) == 0);
	CU_ASSERT(again.rfd == -1);
	kit_pool_put(&kp, &again, 0);
	kit_pool_destroy(&kp);
}

static void
test_kit_pool_keeps_no_more_than_max_idle(void)
{
	struct kit_pool	kp;
	struct kit	k[3];
	int		i, extra_r;

	CU_ASSERT_FATAL(kit_pool_init_roomy(&kp, 2, 0) == 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_FATAL(kit_pool_get(&kp, &k[i]) == 0);
		CU_ASSERT_FATAL(kit_pipe(&kp, &k[i]) == 0);
	}
	extra_r = k[2].rfd;
	for (i = 0; i < 3; i++)
		kit_pool_put(&kp, &k[i], 0);
	CU_ASSERT(kit_pool_idle(&kp) == 2);
	CU_ASSERT(!fd_is_open(extra_r));
	kit_pool_destroy(&kp);
}

static void
test_kit_pool_sets_the_requested_pipe_size(void)
{
	struct kit_pool	kp;
	struct kit	k;

	CU_ASSERT_FATAL(kit_pool_init_roomy(&kp, 1, 256 * 1024) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &k) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &k) == 0);
	CU_ASSERT(fcntl(k.wfd, F_GETPIPE_SZ) == 256 * 1024);
	kit_pool_put(&kp, &k, 0);
	kit_pool_destroy(&kp);
}

/*
 * At the low-water mark kit_pipe() says EMFILE and the kit keeps its
 * buffer, so the relay copies through it; a closed pipe frees a place.
 */
static void
test_kit_pool_refuses_a_pipe_at_the_mark_and_the_kit_still_copies(void)
{
	struct kit_pool	kp;
	struct fd_gauge	g;
	struct kit	a, b, c;
	int		p[2];
	char		buf[4];

	/* Room for two pipes above the mark. */
	fd_gauge_init(&g, TEST_KIT_MARK + 2 * BUDGET_FDS_PER_PIPE, 0, 1, 0);
	CU_ASSERT_FATAL(kit_pool_init(&kp, 0, 0, &g) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &a) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &b) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &c) == 0);
	CU_ASSERT(kit_pipe(&kp, &a) == 0);
	CU_ASSERT(kit_pipe(&kp, &b) == 0);
	CU_ASSERT(kit_pipe(&kp, &a) == 0);	/* has one: no new pipe */
	errno = 0;
	CU_ASSERT(kit_pipe(&kp, &c) == -1);
	CU_ASSERT(errno == EMFILE);
	CU_ASSERT(c.rfd == -1 && c.wfd == -1);
	CU_ASSERT(atomic_load(&g.pipes) == 2);
	/* The refused kit copies: its whole buffer is there. */
	CU_ASSERT_FATAL(pipe(p) == 0);
	memset(c.buf, 'y', KIT_BUF_SIZE);
	CU_ASSERT(write(p[1], c.buf, 3) == 3);
	CU_ASSERT(read(p[0], buf, sizeof(buf)) == 3);
	(void)close(p[0]);
	(void)close(p[1]);
	kit_pool_put(&kp, &a, 1);		/* dirty: its pipe is closed */
	CU_ASSERT(atomic_load(&g.pipes) == 1);
	CU_ASSERT(kit_pipe(&kp, &c) == 0);
	kit_pool_put(&kp, &b, 0);		/* beyond max_idle: freed */
	kit_pool_put(&kp, &c, 0);
	CU_ASSERT(atomic_load(&g.pipes) == 0);
	kit_pool_destroy(&kp);
}

/*
 * A new connection that leaves fds short takes an idle kit's pipe, and
 * the next one a lent kit's, at its next kit_pipe(); the lent kit then
 * copies, and gets a pipe again once fds are free.
 */
static void
test_kit_pool_gives_pipes_back_idle_ones_first(void)
{
	struct kit_pool	kp;
	struct fd_gauge	g;
	struct kit	a, b;
	int		a_r, b_r;

	fd_gauge_init(&g, TEST_KIT_MARK + 2 * BUDGET_FDS_PER_PIPE, 0, 1, 0);
	CU_ASSERT_FATAL(kit_pool_init(&kp, 4, 0, &g) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &a) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &b) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &a) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &b) == 0);
	a_r = a.rfd;
	b_r = b.rfd;
	kit_pool_put(&kp, &b, 0);		/* idle, with its pipe */
	CU_ASSERT(fd_is_open(b_r));

	fd_gauge_conn_open(&g);			/* 2 fds more: short */
	CU_ASSERT(fd_gauge_pressed(&g));
	kit_pool_relieve(&kp);
	CU_ASSERT(!fd_is_open(b_r));
	CU_ASSERT(fd_is_open(a_r));
	CU_ASSERT(!fd_gauge_pressed(&g));
	CU_ASSERT(kit_pipe(&kp, &a) == 0);	/* keeps it */

	fd_gauge_conn_open(&g);
	errno = 0;
	CU_ASSERT(kit_pipe(&kp, &a) == -1);
	CU_ASSERT(errno == EMFILE);
	CU_ASSERT(a.rfd == -1 && !fd_is_open(a_r));
	CU_ASSERT(a.buf != NULL);
	CU_ASSERT(atomic_load(&g.pipes) == 0);

	fd_gauge_conn_close(&g);
	fd_gauge_conn_close(&g);
	CU_ASSERT(kit_pipe(&kp, &a) == 0);
	kit_pool_put(&kp, &a, 0);
	kit_pool_destroy(&kp);
	CU_ASSERT(atomic_load(&g.pipes) == 0);
}

/* A kit that comes back while fds are short comes back without a pipe. */
static void
test_kit_pool_put_sheds_a_pipe_while_fds_are_short(void)
{
	struct kit_pool	kp;
	struct fd_gauge	g;
	struct kit	a, again;
	int		a_r;

	fd_gauge_init(&g, TEST_KIT_MARK + BUDGET_FDS_PER_PIPE, 0, 1, 0);
	CU_ASSERT_FATAL(kit_pool_init(&kp, 4, 0, &g) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &a) == 0);
	CU_ASSERT_FATAL(kit_pipe(&kp, &a) == 0);
	a_r = a.rfd;
	fd_gauge_conn_open(&g);
	kit_pool_put(&kp, &a, 0);
	CU_ASSERT(!fd_is_open(a_r));
	CU_ASSERT(kit_pool_idle(&kp) == 1);
	CU_ASSERT_FATAL(kit_pool_get(&kp, &again) == 0);
	CU_ASSERT(again.rfd == -1);
	kit_pool_put(&kp, &again, 0);
	fd_gauge_conn_close(&g);
	kit_pool_destroy(&kp);
}

void
test_kit_pool_register(void)
{
	CU_pSuite	s = test_suite_add("kit_pool");

	test_add(s, "hands out a buffer and a pipe on demand",
	    test_kit_pool_hands_out_a_buffer_and_a_pipe_on_demand);
	test_add(s, "reuses a clean kit with its pipe",
	    test_kit_pool_reuses_a_clean_kit_with_its_pipe);
	test_add(s, "closes a pipe that still holds bytes",
	    test_kit_pool_closes_a_pipe_that_still_holds_bytes);
	test_add(s, "closes the pipe of a kit given back dirty",
	    test_kit_pool_closes_the_pipe_of_a_kit_given_back_dirty);
	test_add(s, "keeps no more than max idle",
	    test_kit_pool_keeps_no_more_than_max_idle);
	test_add(s, "refuses a pipe at the mark and the kit still copies",
	    test_kit_pool_refuses_a_pipe_at_the_mark_and_the_kit_still_copies);
	test_add(s, "gives pipes back, idle ones first",
	    test_kit_pool_gives_pipes_back_idle_ones_first);
	test_add(s, "put sheds a pipe while fds are short",
	    test_kit_pool_put_sheds_a_pipe_while_fds_are_short);
	test_add(s, "sets the requested pipe size",
	    test_kit_pool_sets_the_requested_pipe_size);
}
