/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_http_min.c -- what Prometheus and curl send is parsed; garbage is
 * refused as soon as a bad line is complete.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "http_min.h"
#include "test_suites.h"

static int
parse(const char *s, struct http_min_req *req)
{
	return (http_min_parse(s, strlen(s), req));
}

static void
test_http_min_parses_a_prometheus_scrape(void)
{
	const char	 in[] = "GET /metrics HTTP/1.1\r\n"
	    "Host: 127.0.0.1:9100\r\n"
	    "User-Agent: Prometheus/2.42.0\r\n"
	    "Accept: application/openmetrics-text;version=1.0.0,"
	    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
	    "Accept-Encoding: gzip\r\n"
	    "X-Prometheus-Scrape-Timeout-Seconds: 1\r\n"
	    "\r\n";
	struct http_min_req req;

	CU_ASSERT_EQUAL(parse(in, &req), (int)strlen(in));
	CU_ASSERT_EQUAL(req.method, HTTP_MIN_GET);
	CU_ASSERT_EQUAL(req.path_len, 8);
	CU_ASSERT(memcmp(req.path, "/metrics", 8) == 0);
}

static void
test_http_min_waits_for_the_blank_line(void)
{
	struct http_min_req req;

	CU_ASSERT_EQUAL(parse("", &req), 0);
	CU_ASSERT_EQUAL(parse("GET /metr", &req), 0);
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\n", &req), 0);
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r", &req),
	    0);
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    &req), 34);
}

static void
test_http_min_takes_bare_lf_head_and_query(void)
{
	struct http_min_req req;

	CU_ASSERT_EQUAL(parse("HEAD /metrics?x=1 HTTP/1.0\n\n", &req), 28);
	CU_ASSERT_EQUAL(req.method, HTTP_MIN_HEAD);
	CU_ASSERT_EQUAL(req.path_len, 8);
	CU_ASSERT(parse("POST /metrics HTTP/1.1\r\n\r\n", &req) > 0);
	CU_ASSERT_EQUAL(req.method, HTTP_MIN_OTHER);
	/* Leading blank lines are skipped (RFC 9112 2.2). */
	CU_ASSERT(parse("\r\nGET / HTTP/1.1\r\n\r\n", &req) > 0);
	CU_ASSERT_EQUAL(req.path_len, 1);
}

static void
test_http_min_refuses_malformed_request_lines(void)
{
	static const char *bad[] = {
		"GARBAGE\r\n",
		"GET\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\n\r\n",
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET /metrics HTTP/1.\r\n\r\n",
		"GET /met\x01rics HTTP/1.1\r\n\r\n",
		"G(T /metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\rX\r\n\r\n",
		"\x16\x03\x01\x02\x01\xfc\x03\x03\n",	/* TLS */
	};
	struct http_min_req req;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &req) != -1)
			printf("\naccepted bad request %zu\n", i);
		CU_ASSERT_EQUAL(parse(bad[i], &req), -1);
	}
}

static void
test_http_min_refuses_malformed_headers(void)
{
	struct http_min_req req;

	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n", &req), -1);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\n: v\r\n\r\n", &req), -1);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nA b: v\r\n\r\n", &req), -1);
	/* Obsolete line folding. */
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nA: v\r\n w\r\n\r\n", &req),
	    -1);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nA: v\x01\r\n\r\n", &req), -1);
}

static void
test_http_min_refuses_a_head_that_never_ends(void)
{
	char		 buf[HTTP_MIN_HEAD_MAX];
	struct http_min_req req;
	size_t		 i;

	memcpy(buf, "GET / HTTP/1.1\r\n", 16);
	for (i = 16; i < sizeof(buf); i++)
		buf[i] = 'a';
	CU_ASSERT_EQUAL(http_min_parse(buf, sizeof(buf) - 1, &req), 0);
	CU_ASSERT_EQUAL(http_min_parse(buf, sizeof(buf), &req), -1);
}

static void
test_http_min_head_says_length_and_close(void)
{
	char	out[256];
	int	n;

	n = http_min_head(out, sizeof(out), 200, "text/plain", 42);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_STRING_EQUAL(out, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 42\r\n"
	    "Connection: close\r\n\r\n");
	n = http_min_head(out, sizeof(out), 405, "text/plain", 0);
	CU_ASSERT(strstr(out, "405 Method Not Allowed\r\n") != NULL);
	CU_ASSERT(strstr(out, "Allow: GET, HEAD\r\n") != NULL);
	CU_ASSERT_EQUAL(http_min_head(out, 20, 200, "text/plain", 1), -1);
}

void
test_http_min_register(void)
{
	CU_pSuite	s = test_suite_add("http_min");

	test_add(s, "parses a Prometheus scrape",
	    test_http_min_parses_a_prometheus_scrape);
	test_add(s, "waits for the blank line",
	    test_http_min_waits_for_the_blank_line);
	test_add(s, "takes bare LF, HEAD and a query",
	    test_http_min_takes_bare_lf_head_and_query);
	test_add(s, "refuses malformed request lines",
	    test_http_min_refuses_malformed_request_lines);
	test_add(s, "refuses malformed headers",
	    test_http_min_refuses_malformed_headers);
	test_add(s, "refuses a head that never ends",
	    test_http_min_refuses_a_head_that_never_ends);
	test_add(s, "head says length and close",
	    test_http_min_head_says_length_and_close);
}
