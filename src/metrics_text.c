/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_text.c -- writing the Prometheus text format. The buffer grows
 * by doubling; a failed allocation only marks it, so the caller checks
 * once at the end instead of after every line.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_text.h"

#define METRICS_BUF_FIRST	4096

static int
metrics_buf_reserve(struct metrics_buf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->failed)
		return (-1);
	if (b->len + more < b->cap)
		return (0);
	cap = b->cap != 0 ? b->cap : METRICS_BUF_FIRST;
	while (b->len + more >= cap)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = 1;
		return (-1);
	}
	b->p = p;
	b->cap = cap;
	return (0);
}

void
metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (metrics_buf_reserve(b, (size_t)n + 1) == -1)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
metrics_buf_free(struct metrics_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
metrics_text_family(struct metrics_buf *b, const char *name,
    const char *type, const char *help)
{
	metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

void
metrics_text_label(struct metrics_buf *b, const char *value)
{
	const char	*p;

	for (p = value; *p != '\0'; p++) {
		if (*p == '\\')
			metrics_buf_printf(b, "\\\\");
		else if (*p == '"')
			metrics_buf_printf(b, "\\\"");
		else if (*p == '\n')
			metrics_buf_printf(b, "\\n");
		else
			metrics_buf_printf(b, "%c", *p);
	}
}
