/*
 * test_pipe_pool.c -- pipes are reused when empty, closed when not, and
 * the idle stack stays bounded.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "pipe_pool.h"
#include "test_suites.h"

static int
fd_is_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1);
}

static void
test_pipe_pool_hands_out_a_working_pipe(void)
{
	struct pipe_pool pp;
	struct pipe_pair p;
	char		 buf[4];

	CU_ASSERT_FATAL(pipe_pool_init(&pp, 4, 0) == 0);
	CU_ASSERT_FATAL(pipe_pool_get(&pp, &p) == 0);
	CU_ASSERT(write(p.wfd, "abc", 3) == 3);
	CU_ASSERT(read(p.rfd, buf, sizeof(buf)) == 3);
	CU_ASSERT(fcntl(p.rfd, F_GETFD) & FD_CLOEXEC);
	pipe_pool_put(&pp, &p, 0);
	pipe_pool_destroy(&pp);
}

static void
test_pipe_pool_reuses_an_empty_pipe(void)
{
	struct pipe_pool pp;
	struct pipe_pair a, b;
	int		 rfd, wfd;

	CU_ASSERT_FATAL(pipe_pool_init(&pp, 4, 0) == 0);
	CU_ASSERT_FATAL(pipe_pool_get(&pp, &a) == 0);
	rfd = a.rfd;
	wfd = a.wfd;
	pipe_pool_put(&pp, &a, 0);
	CU_ASSERT(a.rfd == -1 && a.wfd == -1);
	CU_ASSERT(pipe_pool_idle(&pp) == 1);
	CU_ASSERT_FATAL(pipe_pool_get(&pp, &b) == 0);
	CU_ASSERT(b.rfd == rfd && b.wfd == wfd);
	CU_ASSERT(pipe_pool_idle(&pp) == 0);
	pipe_pool_put(&pp, &b, 0);
	pipe_pool_destroy(&pp);
}

static void
test_pipe_pool_closes_a_pipe_that_still_holds_bytes(void)
{
	struct pipe_pool pp;
	struct pipe_pair p;
	int		 rfd, wfd;

	CU_ASSERT_FATAL(pipe_pool_init(&pp, 4, 0) == 0);
	CU_ASSERT_FATAL(pipe_pool_get(&pp, &p) == 0);
	CU_ASSERT(write(p.wfd, "x", 1) == 1);
	rfd = p.rfd;
	wfd = p.wfd;
	pipe_pool_put(&pp, &p, 1);
	CU_ASSERT(pipe_pool_idle(&pp) == 0);
	CU_ASSERT(!fd_is_open(rfd));
	CU_ASSERT(!fd_is_open(wfd));
	pipe_pool_destroy(&pp);
}

static void
test_pipe_pool_keeps_no_more_than_max_idle(void)
{
	struct pipe_pool pp;
	struct pipe_pair p[3];
	int		 i, extra_r;

	CU_ASSERT_FATAL(pipe_pool_init(&pp, 2, 0) == 0);
	for (i = 0; i < 3; i++)
		CU_ASSERT_FATAL(pipe_pool_get(&pp, &p[i]) == 0);
	extra_r = p[2].rfd;
	for (i = 0; i < 3; i++)
		pipe_pool_put(&pp, &p[i], 0);
	CU_ASSERT(pipe_pool_idle(&pp) == 2);
	CU_ASSERT(!fd_is_open(extra_r));
	pipe_pool_destroy(&pp);
}

static void
test_pipe_pool_sets_the_requested_pipe_size(void)
{
	struct pipe_pool pp;
	struct pipe_pair p;

	CU_ASSERT_FATAL(pipe_pool_init(&pp, 1, 256 * 1024) == 0);
	CU_ASSERT_FATAL(pipe_pool_get(&pp, &p) == 0);
	CU_ASSERT(fcntl(p.wfd, F_GETPIPE_SZ) == 256 * 1024);
	pipe_pool_put(&pp, &p, 0);
	pipe_pool_destroy(&pp);
}

void
test_pipe_pool_register(void)
{
	CU_pSuite	s = test_suite_add("pipe_pool");

	test_add(s, "hands out a working pipe",
	    test_pipe_pool_hands_out_a_working_pipe);
	test_add(s, "reuses an empty pipe",
	    test_pipe_pool_reuses_an_empty_pipe);
	test_add(s, "closes a pipe that still holds bytes",
	    test_pipe_pool_closes_a_pipe_that_still_holds_bytes);
	test_add(s, "keeps no more than max idle",
	    test_pipe_pool_keeps_no_more_than_max_idle);
	test_add(s, "sets the requested pipe size",
	    test_pipe_pool_sets_the_requested_pipe_size);
}
