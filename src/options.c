/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * options.c -- the command line into one struct options.
 *
 * The flags are go-mmproxy's, with Go's flag package rules, so that
 * mmproxyd can replace it in an existing unit file: one or two dashes,
 * "-flag value" or "-flag=value", booleans only as "-flag" or
 * "-flag=BOOL". Our own flags follow the same rules. Strings stay
 * pointers into argv, which lives as long as the process. Time spans are
 * durations (duration.h): go-mmproxy's -close-after 60 still means 60 s.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "duration.h"
#include "options.h"

#define OPTIONS_STR(x)	OPTIONS_STR1(x)
#define OPTIONS_STR1(x)	#x
#define OPTIONS_DURATION_SYNTAX \
	"seconds as 10 or 0.5, or with a unit: 500ms, 2.5s, 1m, 1h"

enum options_kind {
	OPTIONS_K_BOOL,		/* int, 0 or 1 */
	OPTIONS_K_INT,		/* int within [min, max] */
	OPTIONS_K_DURATION,	/* long long ms within [min, max] */
	OPTIONS_K_MARK,		/* unsigned int, decimal or 0x hex */
	OPTIONS_K_ADDR,		/* struct options_addrs, ranges allowed */
	OPTIONS_K_ADDR4,		/* ... that must be IPv4 */
	OPTIONS_K_ADDR6,		/* ... that must be IPv6 */
	OPTIONS_K_ONE_ADDR,	/* struct sockaddr_storage, once, no range */
	OPTIONS_K_PROTO,		/* int, IPPROTO_TCP or IPPROTO_UDP */
	OPTIONS_K_LOG_FORMAT,	/* int, OPTIONS_LOG_TEXT or _JSON */
	OPTIONS_K_PORT_BUSY,	/* int, OPTIONS_PORT_* bits */
	OPTIONS_K_STRING,	/* const char *, not empty */
	OPTIONS_K_HELP,
	OPTIONS_K_VERSION
};

struct options_flag {
	const char		*name;
	enum options_kind	 kind;
	size_t			 off;	/* into struct options */
	long			 min, max;
	const char		*arg;	/* what the value looks like */
	const char		*help;	/* one line, with its default */
};

#define OFF(m)	offsetof(struct options, m)

/* In go-mmproxy's order: alphabetical, then our own additions. */
static const struct options_flag options_flags[] = {
	{ "4", OPTIONS_K_ADDR4, OFF(target4), 0, 0, "ADDR:PORT[-PORT]",
	    "IPv4 traffic goes here (default " OPTIONS_DEFAULT_TARGET4 ")" },
	{ "6", OPTIONS_K_ADDR6, OFF(target6), 0, 0, "ADDR:PORT[-PORT]",
	    "IPv6 traffic goes here (default " OPTIONS_DEFAULT_TARGET6 ")" },
	{ "allowed-subnets", OPTIONS_K_STRING, OFF(allowed_subnets_path), 0, 0,
	    "FILE", "accept clients only from these CIDRs (default all)" },
	{ "close-after", OPTIONS_K_DURATION, OFF(close_after_ms), 1,
	    OPTIONS_MAX_DURATION_MS, "DURATION",
	    "drop a UDP flow idle this long (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_CLOSE_AFTER) "s)" },
	{ "dynamic-destination", OPTIONS_K_BOOL, OFF(dynamic_destination), 0, 0,
	    NULL, "dial the header's destination (default false)" },
	{ "l", OPTIONS_K_ADDR, OFF(listen), 0, 0, "ADDR:PORT[-PORT]",
	    "listen here, repeatable (default " OPTIONS_DEFAULT_LISTEN ")" },
	{ "listen-transparent", OPTIONS_K_BOOL, OFF(listen_transparent), 0, 0,
	    NULL, "listen with IP_TRANSPARENT (default false)" },
	{ "listeners", OPTIONS_K_INT, OFF(listeners), 1, OPTIONS_MAX_LISTENERS,
	    "N", "listening sockets sharing the port (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_LISTENERS) ")" },
	{ "mark", OPTIONS_K_MARK, OFF(mark), 0, 0, "N",
	    "fwmark for backend traffic, 0 for none (default 0)" },
	{ "p", OPTIONS_K_PROTO, OFF(proto), 0, 0, "tcp|udp",
	    "protocol to proxy (default tcp)" },
	{ "v", OPTIONS_K_INT, OFF(verbosity), 0, 2, "0|1|2",
	    "log 1 failed or 2 all connections (default 0)" },
	{ "client-port-busy", OPTIONS_K_PORT_BUSY, OFF(client_port_busy), 0, 0,
	    "HOW", "client's port taken: HOW (default "
	    OPTIONS_DEFAULT_PORT_BUSY ")" },
	{ "client-port-wait", OPTIONS_K_DURATION, OFF(client_port_wait_ms), 1,
	    OPTIONS_MAX_PORT_WAIT_MS, "DURATION",
	    "wait at most this long for the port (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_PORT_WAIT_MS) "ms)" },
	{ "dual-stack", OPTIONS_K_BOOL, OFF(dual_stack), 0, 0, NULL,
	    "0.0.0.0 and [::] take IPv4 and IPv6 (default true)" },
	{ "dynamic-destination-allow", OPTIONS_K_STRING,
	    OFF(dynamic_destination_allow_path), 0, 0, "FILE",
	    "only to these CIDRs (default any)" },
	{ "header-timeout", OPTIONS_K_DURATION, OFF(header_timeout_ms), 1,
	    OPTIONS_MAX_HEADER_TIMEOUT_MS, "DURATION",
	    "wait this long for the PROXY header (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_HEADER_TIMEOUT) "s)" },
	{ "keepalive", OPTIONS_K_DURATION, OFF(keepalive_ms), 0,
	    OPTIONS_MAX_KEEPALIVE_MS, "DURATION", "TCP keepalive interval, "
	    "0 = off (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_KEEPALIVE) "s)" },
	{ "log-format", OPTIONS_K_LOG_FORMAT, OFF(log_format), 0, 0,
	    "text|json", "log lines as text or JSON objects (default text)" },
	{ "max-conns", OPTIONS_K_INT, OFF(max_conns), 0, OPTIONS_MAX_CONNS, "N",
	    "connections, 0 = fit the fd/task limits (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_MAX_CONNS) ")" },
	{ "max-flows", OPTIONS_K_INT, OFF(max_flows), 0, OPTIONS_MAX_FLOWS, "N",
	    "UDP flows per socket, 0 = by fd limit (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_MAX_FLOWS) ")" },
	{ "metrics", OPTIONS_K_ONE_ADDR, OFF(metrics), 0, 0, "ADDR:PORT",
	    "serve Prometheus metrics here (default off)" },
	{ "pidfile", OPTIONS_K_STRING, OFF(pidfile), 0, 0, "FILE",
	    "name the serving process here (default none)" },
	{ "sched-batch", OPTIONS_K_BOOL, OFF(sched_batch), 0, 0, NULL,
	    "TCP threads never preempt on wakeup (default true)" },
	{ "shutdown-timeout", OPTIONS_K_DURATION, OFF(shutdown_timeout_ms), 0,
	    OPTIONS_MAX_DURATION_MS, "DURATION",
	    "on SIGTERM wait for connections (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_SHUTDOWN_TIMEOUT) "s)" },
	{ "user", OPTIONS_K_STRING, OFF(user), 0, 0, "NAME",
	    "run as this user once bound (default: as started)" },
	{ "t", OPTIONS_K_BOOL, OFF(check_only), 0, 0, NULL,
	    "check the configuration, do not serve (exit 0 or 2)" },
	{ "h", OPTIONS_K_HELP, 0, 0, 0, NULL, "print this help and exit" },
	{ "help", OPTIONS_K_HELP, 0, 0, 0, NULL, "print this help and exit" },
	{ "version", OPTIONS_K_VERSION, 0, 0, 0, NULL,
	    "print the version and exit" },
};

#define OPTIONS_NFLAGS	(sizeof(options_flags) / sizeof(options_flags[0]))

static void
options_usage(FILE *out)
{
	const struct options_flag	*f;
	char				 left[64];
	size_t				 i;

	fprintf(out, "usage: mmproxyd [flags]\n");
	for (i = 0; i < OPTIONS_NFLAGS; i++) {
		f = &options_flags[i];
		snprintf(left, sizeof(left), "-%s%s%s", f->name,
		    f->arg != NULL ? " " : "", f->arg != NULL ? f->arg : "");
		fprintf(out, "  %-26s %s\n", left, f->help);
	}
	fprintf(out, "DURATION: %s\n", OPTIONS_DURATION_SYNTAX);
	fprintf(out, "HOW: wait (up to -client-port-wait for an earlier "
	    "connection of ours from that\naddress and port to close), "
	    "fallback (to a port the kernel picks on the\nclient's address), "
	    "wait-fallback (both) or fail\n");
	fprintf(out, "-4, -6: one for every -l, or one per -l in order; a "
	    "range as long as its -l's\nor a single port\n");
}

static const struct options_flag *
options_lookup(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < OPTIONS_NFLAGS; i++)
		if (strlen(options_flags[i].name) == len &&
		    strncmp(options_flags[i].name, name, len) == 0)
			return (&options_flags[i]);
	return (NULL);
}

/* Go's strconv.ParseBool. */
static int
options_bool(const char *v)
{
	static const char	*yes[] = { "1", "t", "T", "TRUE", "true",
				    "True" };
	static const char	*no[] = { "0", "f", "F", "FALSE", "false",
				    "False" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0)
			return (1);
		if (strcmp(v, no[i]) == 0)
			return (0);
	}
	return (-1);
}

static int
options_is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/*
 * A decimal within [f->min, f->max]. strtol alone would take leading
 * blanks, a '+' and trailing bytes, so check around it.
 */
static int
options_int(const struct options_flag *f, const char *v, int *out, char *err,
    size_t errlen)
{
	char	*end;
	long	 n;

	if (!options_is_digit(v[0]) && !(v[0] == '-' && options_is_digit(v[1])))
		goto nan;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end != '\0')
		goto nan;
	if (errno == ERANGE || n < f->min || n > f->max) {
		snprintf(err, errlen, "-%s: \"%s\" is out of range %ld..%ld",
		    f->name, v, f->min, f->max);
		return (-1);
	}
	*out = (int)n;
	return (0);
nan:
	snprintf(err, errlen, "-%s: \"%s\" is not a number", f->name, v);
	return (-1);
}

/*
 * A duration within [f->min, f->max] milliseconds; the message says what
 * a duration looks like, since "2.0" was once refused.
 */
static int
options_duration(const struct options_flag *f, const char *v, long long *out,
    char *err, size_t errlen)
{
	char		lo[DURATION_STRLEN], hi[DURATION_STRLEN];
	long long	ms;

	switch (duration_parse(v, &ms)) {
	case 0:
		if (ms >= f->min && ms <= f->max) {
			*out = ms;
			return (0);
		}
		/* FALLTHROUGH */
	case DURATION_ERANGE:
		snprintf(err, errlen, "-%s: \"%s\" is out of range %s..%s",
		    f->name, v, duration_format(f->min, lo, sizeof(lo)),
		    duration_format(f->max, hi, sizeof(hi)));
		return (-1);
	case DURATION_EPRECISION:
		snprintf(err, errlen, "-%s: \"%s\" is finer than a "
		    "millisecond", f->name, v);
		return (-1);
	default:
		snprintf(err, errlen, "-%s: \"%s\" is not a duration "
		    "(%s)", f->name, v, OPTIONS_DURATION_SYNTAX);
		return (-1);
	}
}

/*
 * 0..2^32-1, decimal or 0x hex (a fwmark is often written in hex). A
 * leading zero is refused: Go's flag package, and so go-mmproxy, reads
 * "0173" as octal 123, and taking it as decimal 173 would silently mark
 * connections for another routing rule.
 */
static int
options_mark(const struct options_flag *f, const char *v, unsigned int *out,
    char *err, size_t errlen)
{
	const char		*digits = v;
	char			*end;
	unsigned long long	 n;
	int			 base = 10;

	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		digits = v + 2;
		base = 16;
	} else if (v[0] == '0' && v[1] != '\0' &&
	    strspn(v, "01234567") == strlen(v) && strlen(v) <= 12) {
		n = strtoull(v, NULL, 8);
		snprintf(err, errlen, "-%s: \"%s\" has a leading zero, which "
		    "go-mmproxy reads as octal (%llu): write %llu or 0x%llx",
		    f->name, v, n, n, n);
		return (-1);
	} else if (v[0] == '0' && v[1] != '\0') {
		snprintf(err, errlen, "-%s: \"%s\" has a leading zero: write "
		    "it in decimal, or in hex after 0x", f->name, v);
		return (-1);
	}
	/* Digits only: strtoull would take blanks, signs and "0x0x1". */
	if (*digits == '\0' || strspn(digits, base == 16 ?
	    "0123456789abcdefABCDEF" : "0123456789") != strlen(digits)) {
		snprintf(err, errlen, "-%s: \"%s\" is not a number", f->name,
		    v);
		return (-1);
	}
	errno = 0;
	n = strtoull(digits, &end, base);
	if (*end != '\0') {
		snprintf(err, errlen, "-%s: \"%s\" is not a number", f->name,
		    v);
		return (-1);
	}
	if (errno == ERANGE || n > UINT32_MAX) {
		snprintf(err, errlen, "-%s: \"%s\" is out of range 0..%lu",
		    f->name, v, (unsigned long)UINT32_MAX);
		return (-1);
	}
	*out = (unsigned int)n;
	return (0);
}

/*
 * The last port of a range "ADDR:FIRST-LAST", whose '-' comes after the
 * last ':' (a host name may hold one before it); 0 when v has no range.
 * The address part is copied to buf. Returns -1 on a bad LAST.
 */
static int
options_range_end(const char *v, char *buf, size_t len)
{
	const char	*colon, *dash, *p;
	long		 last = 0;

	if ((colon = strrchr(v, ':')) == NULL ||
	    (dash = strchr(colon, '-')) == NULL) {
		snprintf(buf, len, "%s", v);
		return (0);
	}
	snprintf(buf, len, "%.*s", (int)(dash - v), v);
	if (dash[1] == '\0')
		return (-1);
	for (p = dash + 1; *p != '\0'; p++) {
		if (!options_is_digit(*p) || (last = last * 10 + *p - '0') >
		    65535)
			return (-1);
	}
	return (last == 0 ? -1 : (int)last);
}

static int
options_addr(const struct options_flag *f, const char *v,
    struct options_addrs *out, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	char			why[256], buf[512];
	int			last, first;

	if (out->n == OPTIONS_MAX_ADDRS) {
		snprintf(err, errlen, "-%s: given more than %d times", f->name,
		    OPTIONS_MAX_ADDRS);
		return (-1);
	}
	if ((last = options_range_end(v, buf, sizeof(buf))) == -1) {
		snprintf(err, errlen, "-%s: \"%s\": bad port range", f->name,
		    v);
		return (-1);
	}
	/* -l (the only plain address) also takes Go's ":PORT". */
	if ((f->kind == OPTIONS_K_ADDR ? addr_parse_listen(buf, &ss, why,
	    sizeof(why)) : addr_parse(buf, &ss, why, sizeof(why))) == -1) {
		snprintf(err, errlen, "-%s: %s", f->name, why);
		return (-1);
	}
	/* Like Go's To4(): [::ffff:127.0.0.1] is fine for -4. */
	if (f->kind == OPTIONS_K_ADDR4 || f->kind == OPTIONS_K_ADDR6)
		addr_unmap(&ss);
	if (f->kind == OPTIONS_K_ADDR4 && ss.ss_family != AF_INET) {
		snprintf(err, errlen, "-%s: \"%s\" is not an IPv4 address",
		    f->name, v);
		return (-1);
	}
	if (f->kind == OPTIONS_K_ADDR6 && ss.ss_family != AF_INET6) {
		snprintf(err, errlen, "-%s: \"%s\" is not an IPv6 address",
		    f->name, v);
		return (-1);
	}
	first = addr_port((struct sockaddr *)&ss);
	if (last != 0 && (first == 0 || last < first)) {
		snprintf(err, errlen, "-%s: \"%s\": bad port range", f->name,
		    v);
		return (-1);
	}
	out->v[out->n].addr = ss;
	out->v[out->n].count = last != 0 ? last - first + 1 : 1;
	out->n++;
	return (0);
}

/* A single address such as -metrics: Go's ":PORT" too, no range. */
static int
options_one_addr(const struct options_flag *f, const char *v,
    struct sockaddr_storage *out, char *err, size_t errlen)
{
	char	why[256];

	if (addr_parse_listen(v, out, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "-%s: %s", f->name, why);
		return (-1);
	}
	return (0);
}

/* -client-port-busy's values, each a set of OPTIONS_PORT_* bits. */
static int
options_port_busy(const struct options_flag *f, const char *v, int *out,
    char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		int		 bits;
	} how[] = {
		{ "wait-fallback", OPTIONS_PORT_WAIT | OPTIONS_PORT_FALLBACK },
		{ "wait", OPTIONS_PORT_WAIT },
		{ "fallback", OPTIONS_PORT_FALLBACK },
		{ "fail", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		if (strcmp(v, how[i].name) == 0) {
			*out = how[i].bits;
			return (0);
		}
	}
	snprintf(err, errlen, "-%s: \"%s\" is none of wait-fallback, wait, "
	    "fallback, fail", f->name, v);
	return (-1);
}

/* Store the value v of flag f into cfg. */
static int
options_set(struct options *cfg, const struct options_flag *f, const char *v,
    char *err, size_t errlen)
{
	char	*p = (char *)cfg + f->off;

	switch (f->kind) {
	case OPTIONS_K_INT:
		return (options_int(f, v, (int *)(void *)p, err, errlen));
	case OPTIONS_K_DURATION:
		return (options_duration(f, v, (long long *)(void *)p, err,
		    errlen));
	case OPTIONS_K_MARK:
		return (options_mark(f, v, (unsigned int *)(void *)p, err,
		    errlen));
	case OPTIONS_K_ADDR:
	case OPTIONS_K_ADDR4:
	case OPTIONS_K_ADDR6:
		return (options_addr(f, v, (struct options_addrs *)
		    (void *)p, err, errlen));
	case OPTIONS_K_ONE_ADDR:
		return (options_one_addr(f, v, (struct sockaddr_storage *)
		    (void *)p, err, errlen));
	case OPTIONS_K_LOG_FORMAT:
		if (strcmp(v, "text") == 0)
			*(int *)(void *)p = OPTIONS_LOG_TEXT;
		else if (strcmp(v, "json") == 0)
			*(int *)(void *)p = OPTIONS_LOG_JSON;
		else {
			snprintf(err, errlen,
			    "-%s: \"%s\" is neither text nor json", f->name, v);
			return (-1);
		}
		return (0);
	case OPTIONS_K_PORT_BUSY:
		return (options_port_busy(f, v, (int *)(void *)p, err,
		    errlen));
	case OPTIONS_K_PROTO:
		if (strcmp(v, "tcp") == 0)
			cfg->proto = IPPROTO_TCP;
		else if (strcmp(v, "udp") == 0)
			cfg->proto = IPPROTO_UDP;
		else {
			snprintf(err, errlen,
			    "-%s: \"%s\" is neither tcp nor udp", f->name, v);
			return (-1);
		}
		return (0);
	case OPTIONS_K_STRING:
		if (*v == '\0') {
			snprintf(err, errlen, "-%s: empty value", f->name);
			return (-1);
		}
		*(const char **)(void *)p = v;
		return (0);
	case OPTIONS_K_BOOL:
		if ((*(int *)(void *)p = options_bool(v)) == -1) {
			snprintf(err, errlen, "-%s: \"%s\" is not a boolean",
			    f->name, v);
			return (-1);
		}
		return (0);
	default:
		snprintf(err, errlen, "-%s: cannot be set", f->name);
		return (-1);
	}
}

static int
options_defaults(struct options *cfg, char *err, size_t errlen)
{
	char	why[256];

	memset(cfg, 0, sizeof(*cfg));
	/* Numeric literals: no name lookup, so these cannot block or fail. */
	/* Slot 0, n = 0: the first -l (-4, -6) given replaces it. */
	if (addr_parse(OPTIONS_DEFAULT_LISTEN, &cfg->listen.v[0].addr, why,
	    sizeof(why)) == -1 ||
	    addr_parse(OPTIONS_DEFAULT_TARGET4, &cfg->target4.v[0].addr, why,
	    sizeof(why)) == -1 ||
	    addr_parse(OPTIONS_DEFAULT_TARGET6, &cfg->target6.v[0].addr, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "default address: %s", why);
		return (-1);
	}
	cfg->listen.v[0].count = 1;
	cfg->target4.v[0].count = 1;
	cfg->target6.v[0].count = 1;
	cfg->proto = IPPROTO_TCP;
	cfg->listeners = OPTIONS_DEFAULT_LISTENERS;
	cfg->close_after_ms = OPTIONS_DEFAULT_CLOSE_AFTER * 1000LL;
	cfg->max_conns = OPTIONS_DEFAULT_MAX_CONNS;
	cfg->header_timeout_ms = OPTIONS_DEFAULT_HEADER_TIMEOUT * 1000LL;
	cfg->keepalive_ms = OPTIONS_DEFAULT_KEEPALIVE * 1000LL;
	cfg->max_flows = OPTIONS_DEFAULT_MAX_FLOWS;
	cfg->shutdown_timeout_ms = OPTIONS_DEFAULT_SHUTDOWN_TIMEOUT * 1000LL;
	cfg->sched_batch = 1;
	cfg->client_port_busy = OPTIONS_PORT_WAIT | OPTIONS_PORT_FALLBACK;
	cfg->client_port_wait_ms = OPTIONS_DEFAULT_PORT_WAIT_MS;
	cfg->dual_stack = 1;
	return (0);
}

enum options_result
options_parse(int argc, char *argv[], struct options *cfg, FILE *out,
    char *err, size_t errlen)
{
	const struct options_flag	*f;
	const char			*arg, *name, *eq, *v;
	size_t				 nlen;
	int				 i;

	if (options_defaults(cfg, err, errlen) == -1)
		return (OPTIONS_ERROR);

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			/* Go stops at "--"; we take no arguments after it. */
			if (i + 1 < argc) {
				snprintf(err, errlen,
				    "unexpected argument \"%s\"", argv[i + 1]);
				return (OPTIONS_ERROR);
			}
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			snprintf(err, errlen, "unexpected argument \"%s\"", arg);
			return (OPTIONS_ERROR);
		}
		name = arg[1] == '-' ? arg + 2 : arg + 1;
		if (*name == '-' || *name == '=') {
			snprintf(err, errlen, "bad flag syntax: %s", arg);
			return (OPTIONS_ERROR);
		}
		eq = strchr(name, '=');
		nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if ((f = options_lookup(name, nlen)) == NULL) {
			snprintf(err, errlen, "unknown flag -%.*s", (int)nlen,
			    name);
			return (OPTIONS_ERROR);
		}

		switch (f->kind) {
		case OPTIONS_K_HELP:
		case OPTIONS_K_VERSION:
			if (eq != NULL) {
				snprintf(err, errlen, "-%s: takes no value",
				    f->name);
				return (OPTIONS_ERROR);
			}
			if (f->kind == OPTIONS_K_HELP)
				options_usage(out);
			else
				fprintf(out, "mmproxyd %s\n", PACKAGE_VERSION);
			return (OPTIONS_EXIT);
		case OPTIONS_K_BOOL:
			/* A bare boolean never takes the next argument. */
			v = eq != NULL ? eq + 1 : "true";
			break;
		default:
			if (eq != NULL)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				snprintf(err, errlen, "-%s: missing value",
				    f->name);
				return (OPTIONS_ERROR);
			}
			break;
		}
		if (options_set(cfg, f, v, err, errlen) == -1)
			return (OPTIONS_ERROR);
	}
	if (cfg->listen.n == 0)
		cfg->listen.n = 1;
	if (cfg->target4.n == 0)
		cfg->target4.n = 1;
	if (cfg->target6.n == 0)
		cfg->target6.n = 1;
	return (OPTIONS_OK);
}
