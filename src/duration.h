/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * duration.h -- the one syntax for every time span on the command line:
 * a decimal number of seconds ("10", "0.5") or a number with a unit
 * ("500ms", "2.5s", "1m", "1h"), kept in milliseconds (pure).
 */
#ifndef MMPROXYD_DURATION_H
#define MMPROXYD_DURATION_H

#include <stddef.h>

/* Room for duration_format() of any long long. */
#define DURATION_STRLEN		32

/* What duration_parse() found wrong. */
#define DURATION_ESYNTAX	(-1)	/* not a duration */
#define DURATION_ERANGE		(-2)	/* negative, or beyond long long */
#define DURATION_EPRECISION	(-3)	/* finer than a millisecond */

/*
 * Parse s, which must be the whole duration: no blanks, no sign but a
 * leading '-' (DURATION_ERANGE, except on a zero), one optional unit of
 * ms, s, m or h (seconds without one). Returns 0 with *ms set, or one of the
 * DURATION_E* values above, leaving *ms alone.
 */
int		 duration_parse(const char *s, long long *ms);

/*
 * The shortest form of ms that duration_parse() reads back exactly:
 * "500ms", "1.5s", "30s", "2m", "1h"; ms must not be negative. Returns
 * buf.
 */
const char	*duration_format(long long ms, char *buf, size_t len);

#endif
