/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_text.h -- the Prometheus text exposition format (0.0.4) into
 * a growing buffer: family headers, samples, escaped label values.
 */
#ifndef MMPROXYD_METRICS_TEXT_H
#define MMPROXYD_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_TEXT_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

/* Zeroed is empty. Once an allocation failed, failed stays set. */
struct metrics_buf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

void	metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	metrics_buf_free(struct metrics_buf *b);

/* "# HELP" and "# TYPE" lines; type is "counter" or "gauge". */
void	metrics_text_family(struct metrics_buf *b, const char *name,
	    const char *type, const char *help);
/* A label value, escaped as the format wants (\\, \", \n). */
void	metrics_text_label(struct metrics_buf *b, const char *value);

#endif
