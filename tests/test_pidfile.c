/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_pidfile.c -- unit tests for src/pidfile.c, in a directory of
 * their own under /tmp.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

#include "test_suites.h"

static char	dir[64];
static char	path[96];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mmproxyd-pidfile-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/mmproxyd.pid", dir);
}

static void
teardown(void)
{
	(void)unlink(path);
	CU_ASSERT(rmdir(dir) == 0);
}

/* The file's content, or "" when it cannot be read. */
static const char *
content(void)
{
	static char	buf[64];
	ssize_t		n;
	int		fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return (buf);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return (buf);
}

static void
test_pidfile_open_writes_the_pid(void)
{
	int	fd;

	setup();
	CU_ASSERT_FATAL((fd = pidfile_open(path, 4242)) != -1);
	CU_ASSERT_STRING_EQUAL(content(), "4242\n");
	CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	teardown();
}

static void
test_pidfile_write_replaces_a_longer_pid(void)
{
	int	fd;

	setup();
	CU_ASSERT_FATAL((fd = pidfile_open(path, 1234567)) != -1);
	CU_ASSERT(pidfile_write(fd, 89) == 0);
	CU_ASSERT_STRING_EQUAL(content(), "89\n");
	close(fd);
	teardown();
}

static void
test_pidfile_open_refuses_a_symlink(void)
{
	char	target[128];

	setup();
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
	errno = 0;
	CU_ASSERT(pidfile_open(path, 1) == -1);
	CU_ASSERT(errno == ELOOP);
	CU_ASSERT(access(target, F_OK) == -1);
	teardown();
}

static void
test_pidfile_remove_takes_only_our_own(void)
{
	int	fd;

	setup();
	CU_ASSERT_FATAL((fd = pidfile_open(path, 100)) != -1);
	pidfile_remove(path, fd, 100);
	CU_ASSERT(access(path, F_OK) == -1);

	/* Handed over: the file names the next generation. */
	CU_ASSERT_FATAL((fd = pidfile_open(path, 100)) != -1);
	CU_ASSERT(pidfile_write(fd, 200) == 0);
	pidfile_remove(path, fd, 100);
	CU_ASSERT_STRING_EQUAL(content(), "200\n");
	CU_ASSERT(unlink(path) == 0);

	/* Replaced by someone else's file with our pid in it. */
	CU_ASSERT_FATAL((fd = pidfile_open(path, 100)) != -1);
	CU_ASSERT(unlink(path) == 0);
	close(pidfile_open(path, 100));
	pidfile_remove(path, fd, 100);
	CU_ASSERT_STRING_EQUAL(content(), "100\n");
	teardown();
}

void
test_pidfile_register(void)
{
	CU_pSuite	s = test_suite_add("pidfile");

	test_add(s, "open writes the pid", test_pidfile_open_writes_the_pid);
	test_add(s, "write replaces a longer pid",
	    test_pidfile_write_replaces_a_longer_pid);
	test_add(s, "open refuses a symlink",
	    test_pidfile_open_refuses_a_symlink);
	test_add(s, "remove takes only our own",
	    test_pidfile_remove_takes_only_our_own);
}
