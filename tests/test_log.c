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
#include <syslog.h>
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

static void
test_log_json_escape_quotes_controls_and_bad_utf8(void)
{
	char	buf[64], tiny[8];

	CU_ASSERT_EQUAL(log_json_escape(buf, sizeof(buf), "plain"), 5);
	CU_ASSERT_STRING_EQUAL(buf, "plain");
	log_json_escape(buf, sizeof(buf), "a\"b\\c\nd\te\rf");
	CU_ASSERT_STRING_EQUAL(buf, "a\\\"b\\\\c\\nd\\te\\rf");
	log_json_escape(buf, sizeof(buf), "\x01\x1f\x7f");
	CU_ASSERT_STRING_EQUAL(buf, "\\u0001\\u001f\\u007f");
	/* Valid UTF-8 passes; a stray byte or an overlong form does not. */
	log_json_escape(buf, sizeof(buf), "caf\xc3\xa9 \xe2\x82\xac");
	CU_ASSERT_STRING_EQUAL(buf, "caf\xc3\xa9 \xe2\x82\xac");
	log_json_escape(buf, sizeof(buf), "x\xffy\xc3");
	CU_ASSERT_STRING_EQUAL(buf, "x\\u00ffy\\u00c3");
	log_json_escape(buf, sizeof(buf), "\xc0\xaf\xed\xa0\x80");
	CU_ASSERT_STRING_EQUAL(buf,
	    "\\u00c0\\u00af\\u00ed\\u00a0\\u0080");
	/* Cut between escapes, never inside one. */
	CU_ASSERT_EQUAL(log_json_escape(tiny, sizeof(tiny), "ab\"cd"), 6);
	CU_ASSERT_STRING_EQUAL(tiny, "ab\\\"cd");
	CU_ASSERT_EQUAL(log_json_escape(tiny, 7, "abcde\n"), 5);
	CU_ASSERT_STRING_EQUAL(tiny, "abcde");
	CU_ASSERT_EQUAL(log_json_escape(tiny, 1, "abc"), 0);
}

static void
test_log_render_json_has_stable_keys(void)
{
	struct log_fields	f = LOG_FIELDS_INIT;
	char			buf[512];
	size_t			n;

	n = log_render(buf, sizeof(buf), LOG_FORMAT_JSON,
	    "2026-01-02T03:04:05.678Z", LOG_INFO, "listening", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "{\"time\":\"2026-01-02T03:04:05.678Z\","
	    "\"level\":\"info\",\"msg\":\"listening\"}\n");
	CU_ASSERT_EQUAL(n, strlen(buf));

	f.client = "192.0.2.1:5000";
	f.lb = "[2001:db8::1]:40000";
	f.target = "127.0.0.1:443";
	f.reason = "eof";
	f.bytes_in = 12;
	f.bytes_out = 0;
	f.duration_ms = 1500;
	log_render(buf, sizeof(buf), LOG_FORMAT_JSON, "T", LOG_DEBUG,
	    "closed \"x\"", &f, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "{\"time\":\"T\",\"level\":\"debug\","
	    "\"msg\":\"closed \\\"x\\\"\",\"client\":\"192.0.2.1:5000\","
	    "\"lb\":\"[2001:db8::1]:40000\",\"target\":\"127.0.0.1:443\","
	    "\"bytes_in\":12,\"bytes_out\":0,\"duration_ms\":1500,"
	    "\"reason\":\"eof\"}\n");

	/* Without a reason of its own, errno's text is the reason. */
	f = (struct log_fields)LOG_FIELDS_INIT;
	f.lb = "192.0.2.9:1";
	log_render(buf, sizeof(buf), LOG_FORMAT_JSON, "T", LOG_WARNING,
	    "connect: Connection refused", &f, "Connection refused");
	CU_ASSERT_STRING_EQUAL(buf, "{\"time\":\"T\",\"level\":\"warn\","
	    "\"msg\":\"connect: Connection refused\",\"lb\":\"192.0.2.9:1\","
	    "\"reason\":\"Connection refused\"}\n");
	log_render(buf, sizeof(buf), LOG_FORMAT_JSON, "T", LOG_ERR,
	    "fatal: x", NULL, "y");
	CU_ASSERT_STRING_EQUAL(buf, "{\"time\":\"T\",\"level\":\"error\","
	    "\"msg\":\"fatal: x\"}\n");

	/* Text ignores the keys. */
	log_render(buf, sizeof(buf), LOG_FORMAT_TEXT, "T", LOG_INFO, "m",
	    &f, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "T mmproxyd: m\n");
}

static void
test_log_render_cuts_only_msg_and_closes_the_object(void)
{
	struct log_fields	f = LOG_FIELDS_INIT;
	char			buf[96], msg[300];
	const char		*end;
	size_t			n;

	memset(msg, '"', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	f.client = "192.0.2.1:5000";
	n = log_render(buf, sizeof(buf), LOG_FORMAT_JSON, "T", LOG_INFO,
	    msg, &f, NULL);
	CU_ASSERT(n < sizeof(buf));
	CU_ASSERT_EQUAL(n, strlen(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf,
	    "\\\"\",\"client\":\"192.0.2.1:5000\"}\n"));
	/* No escape is cut in half: no backslash before msg's last quote. */
	CU_ASSERT_FATAL((end = strstr(buf, "\",\"client\"")) != NULL);
	CU_ASSERT(end[-1] == '"' && end[-2] == '\\' && end[-3] == '"');
	n = log_render(buf, sizeof(buf), LOG_FORMAT_TEXT, "T", LOG_INFO,
	    msg, NULL, NULL);
	CU_ASSERT_EQUAL(n, sizeof(buf) - 1);
	CU_ASSERT_EQUAL(buf[n - 1], '\n');
}

static void
test_log_json_lines_through_stderr(void)
{
	struct test_log_cap	c;
	struct log_fields	f = LOG_FIELDS_INIT;
	char			buf[TEST_LOG_BUF], line[TEST_LOG_LINE];

	test_log_capture(&c, 1, LOG_V_ERRORS);
	log_set_format(LOG_FORMAT_JSON);
	log_info("ready");
	f.lb = "192.0.2.7:4000";
	errno = ECONNREFUSED;
	log_conn_warn_f(LOG_V_ERRORS, &f, "%s: connect", f.lb);
	log_conn_f(LOG_V_STATES, &f, "not at -v 1");
	log_set_format(LOG_FORMAT_TEXT);
	test_log_release(&c, buf, sizeof(buf));

	test_log_line(buf, 0, line, sizeof(line));
	/* The journal's priority still leads; journald strips it. */
	CU_ASSERT_NSTRING_EQUAL(line, "<6>{\"time\":\"", 12);
	CU_ASSERT_PTR_NOT_NULL(strstr(line,
	    "Z\",\"level\":\"info\",\"msg\":\"ready\"}"));
	test_log_line(buf, 1, line, sizeof(line));
	CU_ASSERT_NSTRING_EQUAL(line, "<4>{", 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"msg\":\"192.0.2.7:4000: "
	    "connect: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\",\"lb\":\"192.0.2.7:4000\","
	    "\"reason\":\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, strerror(ECONNREFUSED)));
	test_log_line(buf, 2, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "");
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
	test_add(s, "json escape quotes controls and bad utf8",
	    test_log_json_escape_quotes_controls_and_bad_utf8);
	test_add(s, "render json has stable keys",
	    test_log_render_json_has_stable_keys);
	test_add(s, "render cuts only msg and closes the object",
	    test_log_render_cuts_only_msg_and_closes_the_object);
	test_add(s, "json lines through stderr",
	    test_log_json_lines_through_stderr);
}
