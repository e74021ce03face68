/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * log.c -- logging to stderr.
 *
 * Each message is formatted into one buffer and written with one write(2),
 * so lines from different threads never interleave. No lock is needed:
 * verbosity and the journal test are set once at startup, before any
 * thread starts. When stderr is systemd's journal stream, each line starts
 * with a syslog priority ("<4>") so that journald files warnings and
 * fatal errors as such instead of as info.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static int	log_level;
static int	log_journal;

void
log_init(int verbosity)
{
	log_level = verbosity;
	log_journal = log_is_journal(STDERR_FILENO, getenv("JOURNAL_STREAM"));
}

/*
 * Whether fd is the stream systemd names in env ($JOURNAL_STREAM,
 * "device:inode" in decimal), as sd-daemon(3) says to check: a child that
 * inherited the variable but writes to a file or a pipe gets no prefixes.
 */
int
log_is_journal(int fd, const char *env)
{
	struct stat	 st;
	uintmax_t	 dev, ino;
	char		*end;

	if (env == NULL || *env < '0' || *env > '9')
		return (0);
	errno = 0;
	dev = strtoumax(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return (0);
	ino = strtoumax(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return (0);
	if (fstat(fd, &st) == -1)
		return (0);
	return ((uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino);
}

/*
 * strerror(3) may share one buffer between threads; this one fills the
 * caller's. Returns the message, which need not be in buf.
 */
const char *
log_strerror(int errnum, char *buf, size_t len)
{
#ifdef STRERROR_R_CHAR_P
	return (strerror_r(errnum, buf, len));	/* GNU: may ignore buf */
#else
	if (strerror_r(errnum, buf, len) != 0)
		snprintf(buf, len, "error %d", errnum);
	return (buf);
#endif
}

int
log_verbosity(void)
{
	return (log_level);
}

static void
log_vwrite(int prio, const char *prefix, const char *fmt, va_list ap,
    int errnum)
{
	char		 msg[LOG_LINE_MAX], stamp[32], line[LOG_LINE_MAX + 96];
	char		 pri[8], ebuf[128];
	struct timespec	 ts = { 0, 0 };
	struct tm	 tm;
	size_t		 len, off;
	ssize_t		 n;
	int		 r;

	pri[0] = '\0';
	if (log_journal)
		snprintf(pri, sizeof(pri), "<%d>", prio);
	stamp[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	r = snprintf(line, sizeof(line), "%s%s.%03ldZ mmproxyd: %s%s%s%s\n",
	    pri, stamp, ts.tv_nsec / 1000000, prefix, msg, errnum ? ": " : "",
	    errnum ? log_strerror(errnum, ebuf, sizeof(ebuf)) : "");
	if (r < 0)
		return;
	len = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
	line[len - 1] = '\n';	/* a cut line still ends its line */

	/* One write keeps the line whole; finish it if the write was short. */
	for (off = 0; off < len; off += (size_t)n) {
		n = write(STDERR_FILENO, line + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
}

/* Format the caller's arguments; errno is the caller's on return. */
#define LOG_EMIT(prio, prefix, errnum) do {				\
	va_list	ap;							\
	int	saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vwrite((prio), (prefix), fmt, ap, (errnum) ? saved : 0);	\
	va_end(ap);							\
	errno = saved;							\
} while (0)

/* Per-connection failures are warnings; state changes are debug. */
#define LOG_CONN_PRIO(level)	\
	((level) <= LOG_V_ERRORS ? LOG_WARNING : LOG_DEBUG)

void
log_info(const char *fmt, ...)
{
	LOG_EMIT(LOG_INFO, "", 0);
}

void
log_warn(const char *fmt, ...)
{
	LOG_EMIT(LOG_WARNING, "", 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_EMIT(LOG_WARNING, "", 0);
}

void
log_conn(int level, const char *fmt, ...)
{
	if (log_level >= level)
		LOG_EMIT(LOG_CONN_PRIO(level), "", 0);
}

void
log_conn_warn(int level, const char *fmt, ...)
{
	if (log_level >= level)
		LOG_EMIT(LOG_CONN_PRIO(level), "", 1);
}

void
fatal(const char *fmt, ...)
{
	LOG_EMIT(LOG_ERR, "fatal: ", 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_EMIT(LOG_ERR, "fatal: ", 0);
	exit(1);
}
