/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * log.h -- one line per event, timestamped, written whole to stderr.
 */
#ifndef MMPROXYD_LOG_H
#define MMPROXYD_LOG_H

#include <stdarg.h>

/* -v levels: 0 nothing per connection, 1 errors, 2 every state change. */
#define LOG_V_ERRORS	1
#define LOG_V_STATES	2

void	log_init(int verbosity);
int	log_verbosity(void);
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
