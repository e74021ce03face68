/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * log.h -- one line per event, timestamped, written whole to stderr, with
 * a syslog priority prefix when stderr is the journal; plain text, or one
 * JSON object per line (-log-format json).
 */
#ifndef MMPROXYD_LOG_H
#define MMPROXYD_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* -v levels: 0 nothing per connection, 1 errors, 2 every state change. */
#define LOG_V_ERRORS	1
#define LOG_V_STATES	2

#define LOG_FORMAT_TEXT	0
#define LOG_FORMAT_JSON	1

/*
 * The parts of a connection's line that a log pipeline keys on. In JSON
 * each one set becomes a key of its own; the text line is unchanged.
 */
struct log_fields {
	const char	*client;	/* NULL: not part of the line */
	const char	*lb;		/* the load balancer */
	const char	*target;
	const char	*reason;	/* NULL: errno's text, if any */
	long long	 bytes_in;	/* < 0: not part of the line */
	long long	 bytes_out;
	long long	 duration_ms;
};
#define LOG_FIELDS_INIT	{ NULL, NULL, NULL, NULL, -1, -1, -1 }

/* Also checks whether stderr is the journal (see log_is_journal). */
void	log_init(int verbosity);
/* LOG_FORMAT_TEXT (the default) or LOG_FORMAT_JSON; before any thread. */
void	log_set_format(int format);
int	log_verbosity(void);
/*
 * Whether a line written now would go out without waiting: stderr polls
 * writable (a line is far smaller than a pipe's free page). Best effort:
 * another thread may fill it first. errno is left as it was.
 */
int	log_ready(void);
int	log_is_journal(int fd, const char *journal_stream);
/* Thread-safe strerror; the result may or may not be buf. */
const char *log_strerror(int errnum, char *buf, size_t len);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* An error the daemon survives: priority err, no errno. */
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Per-connection messages, printed when -v is at least level. */
void	log_conn(int level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_conn_warn(int level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same, with the line's parts as keys (JSON) as well. */
void	log_conn_f(int level, const struct log_fields *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
void	log_conn_warn_f(int level, const struct log_fields *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Pure, for the tests: JSON-escape src into dst (capacity cap, at least
 * 1) as the inside of a string, never cutting an escape or a UTF-8
 * sequence; bytes that are not valid UTF-8 become \u00XX. Returns the
 * length written, NUL excluded.
 */
size_t	log_json_escape(char *dst, size_t cap, const char *src);

/*
 * Pure, for the tests: one whole line, newline included, as written for
 * format: stamp is the time ("2026-01-02T03:04:05.678Z"), prio a syslog
 * priority, msg the message (errno's text already appended), f NULL or
 * the connection's parts, errtext errno's text or NULL. Returns the
 * length; a line longer than cap is cut but still ends in a newline (and,
 * in JSON, the object is closed).
 */
size_t	log_render(char *dst, size_t cap, int format, const char *stamp,
	    int prio, const char *msg, const struct log_fields *f,
	    const char *errtext);

#endif
