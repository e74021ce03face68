/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * http_min.c -- the request line and header syntax of RFC 9112, strictly
 * enough that garbage gets a 400 and not a guess. Headers are checked
 * but not kept: a metrics endpoint needs only the method and the path.
 * Lines end in CRLF or, as RFC 9112 allows a recipient to accept, LF.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "http_min.h"

/* RFC 9110 tchar. */
static int
http_min_tchar(unsigned char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL));
}

static int
http_min_token_len(const char *p, const char *end)
{
	const char	*s = p;

	while (p < end && http_min_tchar((unsigned char)*p))
		p++;
	return ((int)(p - s));
}

/* "METHOD SP TARGET SP HTTP/1.x", end excluding the line ending. */
static int
http_min_request_line(const char *p, const char *end,
    struct http_min_req *req)
{
	const char	*t, *q;
	int		 n;

	if ((n = http_min_token_len(p, end)) == 0 || p + n == end ||
	    p[n] != ' ')
		return (-1);
	if (n == 3 && memcmp(p, "GET", 3) == 0)
		req->method = HTTP_MIN_GET;
	else if (n == 4 && memcmp(p, "HEAD", 4) == 0)
		req->method = HTTP_MIN_HEAD;
	else
		req->method = HTTP_MIN_OTHER;
	t = p + n + 1;
	for (q = t; q < end && *q > ' ' && *q < 0x7f; q++)
		;
	if (q == t || q == end || *q != ' ')
		return (-1);
	req->path = t;
	req->path_len = (size_t)(q - t);
	if ((p = memchr(t, '?', req->path_len)) != NULL)
		req->path_len = (size_t)(p - t);
	q++;
	if (end - q != 8 || memcmp(q, "HTTP/1.", 7) != 0 ||
	    q[7] < '0' || q[7] > '9')
		return (-1);
	return (0);
}

/* "NAME: value", with no obsolete folding. */
static int
http_min_header_line(const char *p, const char *end)
{
	int	n;

	if ((n = http_min_token_len(p, end)) == 0 || p + n == end ||
	    p[n] != ':')
		return (-1);
	for (p += n + 1; p < end; p++)
		if ((unsigned char)*p < ' ' && *p != '\t')
			return (-1);
		else if (*p == 0x7f)
			return (-1);
	return (0);
}

int
http_min_parse(const char *buf, size_t len, struct http_min_req *req)
{
	const char	*p = buf, *end = buf + len, *nl, *eol;
	int		 first = 1;

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	for (;;) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (memchr(p, '\r', (size_t)(eol - p)) != NULL)
			return (-1);	/* a lone CR */
		if (first) {
			if (http_min_request_line(p, eol, req) == -1)
				return (-1);
			first = 0;
		} else if (eol == p) {
			return ((int)(nl + 1 - buf));
		} else if (http_min_header_line(p, eol) == -1)
			return (-1);
		p = nl + 1;
	}
	if (len >= HTTP_MIN_HEAD_MAX)
		return (-1);
	return (0);
}

static const char *
http_min_reason(int status)
{
	switch (status) {
	case 200:
		return ("OK");
	case 400:
		return ("Bad Request");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	default:
		return ("Error");
	}
}

int
http_min_head(char *out, size_t outlen, int status, const char *ctype,
    size_t body_len)
{
	int	n;

	n = snprintf(out, outlen, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "\r\n", status, http_min_reason(status), ctype, body_len,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= outlen)
		return (-1);
	return (n);
}
