/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * options_value.c -- one flag's value into struct options, by its kind,
 * with Go's rules where go-mmproxy's flags have them (ParseBool, an
 * octal-looking fwmark) and a message that names the flag and the fix.
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
#include "options_value.h"

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

int
options_value_set(struct options *cfg, const struct options_flag *f, const char *v,
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
