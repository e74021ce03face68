/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * http_min.h -- just enough HTTP/1.x for a metrics endpoint: parse one
 * request head, format one response head. Pure: no I/O, no allocation.
 */
#ifndef MMPROXYD_HTTP_MIN_H
#define MMPROXYD_HTTP_MIN_H

#include <stddef.h>

#define HTTP_MIN_HEAD_MAX	8192	/* a longer request head is bad */

enum http_min_method {
	HTTP_MIN_GET,
	HTTP_MIN_HEAD,
	HTTP_MIN_OTHER
};

struct http_min_req {
	enum http_min_method	 method;
	const char		*path;		/* into the caller's buffer */
	size_t			 path_len;	/* without any "?query" */
};

/*
 * Parse the request head in buf. Returns its length once the blank line
 * that ends it has arrived, 0 when more is needed, or -1 when it is
 * malformed (answer 400): that is known as soon as a bad line is
 * complete, or when HTTP_MIN_HEAD_MAX bytes hold no end.
 */
int	http_min_parse(const char *buf, size_t len, struct http_min_req *req);

/*
 * Format a response head for status with a body of body_len bytes of
 * type ctype into out. Returns its length, or -1 when it does not fit.
 */
int	http_min_head(char *out, size_t outlen, int status, const char *ctype,
	    size_t body_len);

#endif
