/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * log.c -- logging to stderr.
 *
 * Each message is formatted into one buffer and written with one write(2),
 * so lines from different threads never interleave. No lock is needed:
 * verbosity is set once at startup, before any thread starts.
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static int	log_level;

void
log_init(int verbosity)
{
	log_level = verbosity;
}

int
log_verbosity(void)
{
	return (log_level);
}

static void
log_vwrite(const char *prefix, const char *fmt, va_list ap, int errnum)
{
	char		 msg[LOG_LINE_MAX], stamp[32], line[LOG_LINE_MAX + 96];
	struct timespec	 ts = { 0, 0 };
	struct tm	 tm;
	size_t		 len, off;
	ssize_t		 n;
	int		 r;

	stamp[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	r = snprintf(line, sizeof(line), "%s.%03ldZ mmproxyd: %s%s%s%s\n",
	    stamp, ts.tv_nsec / 1000000, prefix, msg, errnum ? ": " : "",
	    errnum ? strerror(errnum) : "");
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
#define LOG_EMIT(prefix, errnum) do {					\
	va_list	ap;							\
	int	saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vwrite((prefix), fmt, ap, (errnum) ? saved : 0);		\
	va_end(ap);							\
	errno = saved;							\
} while (0)

void
log_info(const char *fmt, ...)
{
	LOG_EMIT("", 0);
}

void
log_warn(const char *fmt, ...)
{
	LOG_EMIT("", 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_EMIT("", 0);
}

void
log_conn(int level, const char *fmt, ...)
{
	if (log_level >= level)
		LOG_EMIT("", 0);
}

void
log_conn_warn(int level, const char *fmt, ...)
{
	if (log_level >= level)
		LOG_EMIT("", 1);
}

void
fatal(const char *fmt, ...)
{
	LOG_EMIT("fatal: ", 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_EMIT("fatal: ", 0);
	exit(1);
}
