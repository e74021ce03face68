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
 *
 * -log-format json writes each line as one JSON object with stable keys
 * (time, level, msg, and a connection's parts as their own keys) for log
 * pipelines built for go-mmproxy's zap output; msg is the text line's
 * message, so both formats say the same.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024
/* JSON: the message escaped (cut to fit) and the keys, on the stack. */
#define LOG_JSON_LINE_MAX	2048

static int	log_level;
static int	log_journal;
static int	log_format = LOG_FORMAT_TEXT;

void
log_init(int verbosity)
{
	log_level = verbosity;
	log_journal = log_is_journal(STDERR_FILENO, getenv("JOURNAL_STREAM"));
}

void
log_set_format(int format)
{
	log_format = format;
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

int
log_ready(void)
{
	struct pollfd	pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
	int		saved = errno, n;

	while ((n = poll(&pfd, 1, 0)) == -1 && errno == EINTR)
		;
	errno = saved;
	return (n == 1 && (pfd.revents & POLLOUT) != 0);
}

/* JSON keys beyond msg, in this order; see log_fields. */
#define LOG_JSON_FIELD_MAX	256	/* escaped, per string key */
#define LOG_JSON_TAIL_MAX	768

/* Bytes in the UTF-8 sequence at p (1 to 4), or 0 if it is not valid. */
static size_t
log_utf8_len(const unsigned char *p)
{
	size_t	n, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return (0);
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return (0);
	return (n);
}

size_t
log_json_escape(char *dst, size_t cap, const char *src)
{
	const unsigned char	*p = (const unsigned char *)src;
	char			 esc[8];
	size_t			 off = 0, n;
	const char		*piece;

	while (*p != '\0') {
		piece = esc;
		n = 2;
		esc[0] = '\\';
		switch (*p) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:
			if (*p < 0x20 || *p == 0x7f ||
			    (n = log_utf8_len(p)) == 0) {
				(void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
				n = 6;
			} else
				piece = (const char *)p;
			break;
		}
		if (off + n >= cap)
			break;
		memcpy(dst + off, piece, n);
		off += n;
		p += piece == esc ? 1 : n;
	}
	dst[off] = '\0';
	return (off);
}

static const char *
log_level_name(int prio)
{
	/* zap's names, as go-mmproxy's JSON lines have them. */
	if (prio <= LOG_ERR)
		return ("error");
	if (prio == LOG_WARNING)
		return ("warn");
	if (prio == LOG_DEBUG)
		return ("debug");
	return ("info");
}

/* Append ,"key":"escaped value" to dst at *off if it fits in cap. */
static void
log_json_str(char *dst, size_t cap, size_t *off, const char *key,
    const char *val)
{
	char	esc[LOG_JSON_FIELD_MAX];
	int	r;

	if (val == NULL)
		return;
	(void)log_json_escape(esc, sizeof(esc), val);
	r = snprintf(dst + *off, cap - *off, ",\"%s\":\"%s\"", key, esc);
	if (r > 0 && (size_t)r < cap - *off)
		*off += (size_t)r;
	else
		dst[*off] = '\0';
}

static void
log_json_num(char *dst, size_t cap, size_t *off, const char *key,
    long long val)
{
	int	r;

	if (val < 0)
		return;
	r = snprintf(dst + *off, cap - *off, ",\"%s\":%lld", key, val);
	if (r > 0 && (size_t)r < cap - *off)
		*off += (size_t)r;
	else
		dst[*off] = '\0';
}

size_t
log_render(char *dst, size_t cap, int format, const char *stamp, int prio,
    const char *msg, const struct log_fields *f, const char *errtext)
{
	char		 tail[LOG_JSON_TAIL_MAX];
	const char	*reason;
	size_t		 off = 0, len;
	int		 r;

	if (cap < 4) {
		if (cap > 0)
			dst[0] = '\0';
		return (0);
	}
	if (format != LOG_FORMAT_JSON) {
		r = snprintf(dst, cap, "%s mmproxyd: %s\n", stamp, msg);
		if (r < 0)
			r = 0;
		len = (size_t)r < cap ? (size_t)r : cap - 1;
		dst[len - (len > 0)] = '\n';	/* a cut line ends its line */
		dst[len] = '\0';
		return (len);
	}
	/* Keys first, so that only msg is ever cut. */
	tail[0] = '\0';
	if (f != NULL) {
		reason = f->reason != NULL ? f->reason : errtext;
		log_json_str(tail, sizeof(tail), &off, "client", f->client);
		log_json_str(tail, sizeof(tail), &off, "lb", f->lb);
		log_json_str(tail, sizeof(tail), &off, "target", f->target);
		log_json_num(tail, sizeof(tail), &off, "bytes_in", f->bytes_in);
		log_json_num(tail, sizeof(tail), &off, "bytes_out",
		    f->bytes_out);
		log_json_num(tail, sizeof(tail), &off, "duration_ms",
		    f->duration_ms);
		log_json_str(tail, sizeof(tail), &off, "reason", reason);
	}
	r = snprintf(dst, cap, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"",
	    stamp, log_level_name(prio));
	/* The head holds no user text: it fits any sane cap. */
	if (r < 0 || (size_t)r + off + 4 >= cap) {
		dst[0] = '\0';
		return (0);
	}
	len = (size_t)r;
	len += log_json_escape(dst + len, cap - len - off - 3, msg);
	memcpy(dst + len, "\"", 1);
	memcpy(dst + len + 1, tail, off);
	len += 1 + off;
	memcpy(dst + len, "}\n", 3);	/* NUL included */
	return (len + 2);
}

static void
log_vwrite(int prio, const char *prefix, const struct log_fields *fields,
    const char *fmt, va_list ap, int errnum)
{
	char		 msg[LOG_LINE_MAX], stamp[40], day[24];
	char		 line[LOG_JSON_LINE_MAX];
	char		 ebuf[128];
	const char	*etext = NULL;
	struct timespec	 ts = { 0, 0 };
	struct tm	 tm;
	size_t		 len, off = 0;
	ssize_t		 n;
	int		 r;

	if (log_journal) {
		r = snprintf(line, sizeof(line), "<%d>", prio);
		off = r > 0 ? (size_t)r : 0;
	}
	day[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(stamp, sizeof(stamp), "%s.%03ldZ", day,
	    ts.tv_nsec / 1000000);
	if (errnum)
		etext = log_strerror(errnum, ebuf, sizeof(ebuf));
	r = snprintf(msg, sizeof(msg), "%s", prefix);
	if (r < 0 || vsnprintf(msg + r, sizeof(msg) - (size_t)r, fmt, ap) < 0)
		msg[0] = '\0';
	if (etext != NULL) {
		len = strlen(msg);
		(void)snprintf(msg + len, sizeof(msg) - len, ": %s", etext);
	}
	len = off + log_render(line + off, sizeof(line) - off, log_format,
	    stamp, prio, msg, fields, etext);

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
#define LOG_EMIT_F(prio, prefix, fields, errnum) do {			\
	va_list	ap;							\
	int	saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vwrite((prio), (prefix), (fields), fmt, ap,		\
	    (errnum) ? saved : 0);					\
	va_end(ap);							\
	errno = saved;							\
} while (0)
#define LOG_EMIT(prio, prefix, errnum)	LOG_EMIT_F(prio, prefix, NULL, errnum)

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

/* The daemon runs on, but something it needs is broken. */
void
log_errx(const char *fmt, ...)
{
	LOG_EMIT(LOG_ERR, "", 0);
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
log_conn_f(int level, const struct log_fields *f, const char *fmt, ...)
{
	if (log_level >= level)
		LOG_EMIT_F(LOG_CONN_PRIO(level), "", f, 0);
}

void
log_conn_warn_f(int level, const struct log_fields *f, const char *fmt, ...)
{
	if (log_level >= level)
		LOG_EMIT_F(LOG_CONN_PRIO(level), "", f, 1);
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
