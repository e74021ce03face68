/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * duration.c -- durations for the command line, in milliseconds.
 *
 * The number is read digit by digit rather than with strtod, so that
 * "0.1s" is exactly 100 ms, overflow is caught instead of rounded, and
 * blanks, '+', hex and exponents (which strtod takes) are refused.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

/*
 * A unit's length in milliseconds is at most 2^7 * 3^2 * 5^5 (an hour),
 * so a fraction with more than 7 significant decimals can never come to
 * a whole number of milliseconds: refusing those early also keeps the
 * arithmetic below within range.
 */
#define DURATION_MAX_FRAC	7

static const struct {
	const char	*name;
	long long	 ms;
} duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
};

static int
duration_is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

int
duration_parse(const char *s, long long *ms)
{
	const char	*p = s, *frac;
	long long	 whole = 0, fnum = 0, fden = 1, unit = -1, v;
	size_t		 i, nfrac, ndigits = 0;
	int		 neg = 0, big = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; duration_is_digit(*p); p++, ndigits++) {
		/* Too large: read on, to tell junk apart first. */
		if (big || whole > (LLONG_MAX - (*p - '0')) / 10)
			big = 1;
		else
			whole = whole * 10 + (*p - '0');
	}
	frac = p;
	nfrac = 0;
	if (*p == '.') {
		frac = ++p;
		for (; duration_is_digit(*p); p++)
			nfrac++;
		ndigits += nfrac;
	}
	if (ndigits == 0)
		return (DURATION_ESYNTAX);
	if (*p == '\0')
		unit = 1000;
	for (i = 0; unit == -1 &&
	    i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
		if (strcmp(p, duration_units[i].name) == 0)
			unit = duration_units[i].ms;
	if (unit == -1)
		return (DURATION_ESYNTAX);

	/* Trailing zeros of the fraction change nothing. */
	while (nfrac > 0 && frac[nfrac - 1] == '0')
		nfrac--;
	if (nfrac > DURATION_MAX_FRAC)
		return (DURATION_EPRECISION);
	for (i = 0; i < nfrac; i++) {
		fnum = fnum * 10 + (frac[i] - '0');
		fden *= 10;
	}
	if (fnum * unit % fden != 0)
		return (DURATION_EPRECISION);
	if (big || (neg && (whole != 0 || fnum != 0)))
		return (DURATION_ERANGE);
	if (whole > LLONG_MAX / unit)
		return (DURATION_ERANGE);
	v = whole * unit;
	if (v > LLONG_MAX - fnum * unit / fden)
		return (DURATION_ERANGE);
	*ms = v + fnum * unit / fden;
	return (0);
}

const char *
duration_format(long long ms, char *buf, size_t len)
{
	size_t	n;

	if (ms != 0 && ms % (60 * 60 * 1000) == 0)
		snprintf(buf, len, "%lldh", ms / (60 * 60 * 1000));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(buf, len, "%lldm", ms / (60 * 1000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", ms / 1000);
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", ms);
	else {
		/* "1.250" and so on, then without its trailing zeros. */
		snprintf(buf, len, "%lld.%03lld", ms / 1000, ms % 1000);
		n = strlen(buf);
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n + 1 < len) {
			buf[n] = 's';
			buf[n + 1] = '\0';
		}
	}
	return (buf);
}
