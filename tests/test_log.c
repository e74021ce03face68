/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_log.c -- syslog priority prefixes when stderr is the journal, and
 * errno text from strerror_r.
 *
 * Each test points stderr at a pipe and, to play journald, sets
 * $JOURNAL_STREAM to that pipe's device and inode, then reads back what
 * the logger wrote. stderr and the variable are restored afterwards.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "test_suites.h"

#define TEST_LOG_BUF	8192
#define TEST_LOG_LINE	1200

struct test_log_cap {
	int	 pfd[2];
	int	 saved_stderr;
	char	*saved_env;
};

/* Set $JOURNAL_STREAM to fd's "device:inode", or to another file's. */
static void
test_log_set_stream(int fd, int matching)
{
	struct stat	st;
	char		val[64];

	CU_ASSERT_FATAL(fstat(fd, &st) == 0);
	snprintf(val, sizeof(val), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + (matching ? 0 : 1));
	CU_ASSERT_FATAL(setenv("JOURNAL_STREAM", val, 1) == 0);
}

/* stderr into a pipe, then log_init() as main() does. */
static void
test_log_capture(struct test_log_cap *c, int journal, int verbosity)
{
	const char	*env = getenv("JOURNAL_STREAM");

	c->saved_env = env != NULL ? strdup(env) : NULL;
	CU_ASSERT_FATAL(pipe(c->pfd) == 0);
	CU_ASSERT_FATAL((c->saved_stderr = dup(STDERR_FILENO)) != -1);
	CU_ASSERT_FATAL(dup2(c->pfd[1], STDERR_FILENO) != -1);
	test_log_set_stream(STDERR_FILENO, journal);
	log_init(verbosity);
}

/* Restore stderr and the variable; return what was logged. */
static void
test_log_release(struct test_log_cap *c, char *buf, size_t len)
{
	ssize_t	n;
	size_t	off = 0;

	CU_ASSERT_FATAL(dup2(c->saved_stderr, STDERR_FILENO) != -1);
	close(c->saved_stderr);
	close(c->pfd[1]);
	while (off < len - 1 &&
	    (n = read(c->pfd[0], buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(c->pfd[0]);
	if (c->saved_env != NULL)
		setenv("JOURNAL_STREAM", c->saved_env, 1);
	else
		unsetenv("JOURNAL_STREAM");
	free(c->saved_env);
	log_init(0);
}

/* The n-th line (from 0) of buf, without its newline, into line. */
static void
test_log_line(const char *buf, int n, char *line, size_t len)
{
	const char	*p = buf, *e;

	while (n-- > 0 && p != NULL && (p = strchr(p, '\n')) != NULL)
		p++;
	line[0] = '\0';
	if (p == NULL || (e = strchr(p, '\n')) == NULL)
		return;
	snprintf(line, len, "%.*s", (int)(e - p), p);
}

static void
test_log_is_journal_matches_own_device_and_inode(void)
{
	struct stat	st;
	char		val[64];
	FILE		*f;

	CU_ASSERT_FATAL((f = tmpfile()) != NULL);
	CU_ASSERT_FATAL(fstat(fileno(f), &st) == 0);
	snprintf(val, sizeof(val), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	CU_ASSERT_EQUAL(log_is_journal(fileno(f), val), 1);
	fclose(f);
}

static void
test_log_is_journal_rejects_other_streams_and_garbage(void)
{
	struct stat	st;
	char		val[96];
	FILE		*f;
	int		fd;

	CU_ASSERT_FATAL((f = tmpfile()) != NULL);
	fd = fileno(f);
	CU_ASSERT_FATAL(fstat(fd, &st) == 0);
	CU_ASSERT_EQUAL(log_is_journal(fd, NULL), 0);
	CU_ASSERT_EQUAL(log_is_journal(fd, ""), 0);
	snprintf(val, sizeof(val), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + 1);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
	snprintf(val, sizeof(val), "%ju:%ju", (uintmax_t)st.st_dev + 1,
	    (uintmax_t)st.st_ino);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
	snprintf(val, sizeof(val), "%ju:%jux", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
	snprintf(val, sizeof(val), "%ju", (uintmax_t)st.st_dev);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
	snprintf(val, sizeof(val), "%ju:", (uintmax_t)st.st_dev);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
	snprintf(val, sizeof(val), " %ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
	/* A closed fd is nobody's journal. */
	snprintf(val, sizeof(val), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	fclose(f);
	CU_ASSERT_EQUAL(log_is_journal(fd, val), 0);
}

static void
test_log_prefixes_each_line_with_its_priority_in_the_journal(void)
{
	struct test_log_cap	c;
	char			buf[TEST_LOG_BUF], line[TEST_LOG_LINE];

	test_log_capture(&c, 1, LOG_V_STATES);
	log_info("listening");
	log_warnx("bad header");
	errno = ECONNREFUSED;
	log_warn("connect");
	log_conn(LOG_V_ERRORS, "not allowed");
	log_conn(LOG_V_STATES, "connected");
	errno = ETIMEDOUT;
	log_conn_warn(LOG_V_ERRORS, "backend");
	test_log_release(&c, buf, sizeof(buf));

	test_log_line(buf, 0, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<6>", 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " mmproxyd: listening"));
	test_log_line(buf, 1, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<4>", 3);
	test_log_line(buf, 2, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<4>", 3);
	test_log_line(buf, 3, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<4>", 3);
	test_log_line(buf, 4, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<7>", 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " mmproxyd: connected"));
	test_log_line(buf, 5, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<4>", 3);
	test_log_line(buf, 6, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "");
}

static void
test_log_has_no_prefix_when_stderr_is_not_the_journal(void)
{
	struct test_log_cap	c;
	char			buf[TEST_LOG_BUF];

	/* An inherited $JOURNAL_STREAM that names some other stream. */
	test_log_capture(&c, 0, 0);
	log_warnx("bad header");
	test_log_release(&c, buf, sizeof(buf));
	CU_ASSERT(buf[0] >= '0' && buf[0] <= '9');
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " mmproxyd: bad header\n"));
	CU_ASSERT_PTR_NULL(strchr(buf, '<'));
}

static void
test_log_fatal_is_an_error_in_the_journal(void)
{
	char	buf[TEST_LOG_BUF];
	int	pfd[2], status;
	ssize_t	n;
	size_t	off = 0;
	pid_t	pid;

	CU_ASSERT_FATAL(pipe(pfd) == 0);
	fflush(NULL);	/* the child's exit must not repeat CUnit's output */
	CU_ASSERT_FATAL((pid = fork()) != -1);
	if (pid == 0) {
		if (dup2(pfd[1], STDERR_FILENO) == -1)
			_exit(3);
		test_log_set_stream(STDERR_FILENO, 1);
		log_init(0);
		errno = EACCES;
		fatal("bind");
	}
	close(pfd[1]);
	while (off < sizeof(buf) - 1 &&
	    (n = read(pfd[0], buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(pfd[0]);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT_NSTRING_EQUAL(buf, "<3>", 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " mmproxyd: fatal: bind: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, strerror(EACCES)));
}

static void
test_log_warn_appends_errno_text_and_keeps_errno(void)
{
	struct test_log_cap	c;
	char			buf[TEST_LOG_BUF], want[128];

	test_log_capture(&c, 0, 0);
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	CU_ASSERT_EQUAL(errno, ENOENT);
	errno = 123456;
	log_warn("odd");
	test_log_release(&c, buf, sizeof(buf));
	snprintf(want, sizeof(want), " mmproxyd: open /nonexistent: %s\n",
	    strerror(ENOENT));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
	/* An unknown errno still names itself. */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " mmproxyd: odd: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "123456\n"));
}

static void
test_log_strerror_fills_any_buffer(void)
{
	char		 buf[128], tiny[4];
	const char	*s;

	s = log_strerror(EPIPE, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(s, strerror(EPIPE));
	s = log_strerror(123456, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "123456"));
	/* Too small a buffer gives a cut or static text, never garbage. */
	s = log_strerror(EPIPE, tiny, sizeof(tiny));
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT(strlen(s) < sizeof(tiny) ||
	    strcmp(s, strerror(EPIPE)) == 0);
}

void
test_log_register(void)
{
	CU_pSuite	s = test_suite_add("log");

	test_add(s, "is_journal matches own device and inode",
	    test_log_is_journal_matches_own_device_and_inode);
	test_add(s, "is_journal rejects other streams and garbage",
	    test_log_is_journal_rejects_other_streams_and_garbage);
	test_add(s, "prefixes each line with its priority in the journal",
	    test_log_prefixes_each_line_with_its_priority_in_the_journal);
	test_add(s, "has no prefix when stderr is not the journal",
	    test_log_has_no_prefix_when_stderr_is_not_the_journal);
	test_add(s, "fatal is an error in the journal",
	    test_log_fatal_is_an_error_in_the_journal);
	test_add(s, "warn appends errno text and keeps errno",
	    test_log_warn_appends_errno_text_and_keeps_errno);
	test_add(s, "strerror fills any buffer",
	    test_log_strerror_fills_any_buffer);
}
