/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * log.h -- one line per event, timestamped, written whole to stderr, with
 * a syslog priority prefix when stderr is the journal.
 */
#ifndef MMPROXYD_LOG_H
#define MMPROXYD_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* -v levels: 0 nothing per connection, 1 errors, 2 every state change. */
#define LOG_V_ERRORS	1
#define LOG_V_STATES	2

/* Also checks whether stderr is the journal (see log_is_journal). */
void	log_init(int verbosity);
int	log_verbosity(void);
int	log_is_journal(int fd, const char *journal_stream);
/* Thread-safe strerror; the result may or may not be buf. */
const char *log_strerror(int errnum, char *buf, size_t len);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Per-connection messages, printed when -v is at least level. */
void	log_conn(int level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_conn_warn(int level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
