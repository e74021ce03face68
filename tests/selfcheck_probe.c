/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * selfcheck_probe.c -- runs one startup check for tests/functional/
 * selfcheck.sh, which needs a fresh network namespace and so cannot run in
 * the unprivileged CUnit runner.
 *
 *   selfcheck_probe route ADDR:PORT	prints "ok", or "missing: <advice>"
 *   selfcheck_probe transparent 4|6	prints "ok", or "error: <message>"
 *   selfcheck_probe cost ADDR:PORT N	runs the route check N times and
 *					prints the CPU and wall time of one
 *					(the route watch's cost, bench/README)
 *
 * Exit status: 0 ok, 1 missing or refused, 2 the check could not be made
 * or usage.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "selfcheck.h"

static int
probe_route(const char *arg)
{
	struct sockaddr_storage	ss;
	char			buf[512];
	int			rc;

	if (addr_parse(arg, &ss, buf, sizeof(buf)) == -1) {
		fprintf(stderr, "selfcheck_probe: %s: %s\n", arg, buf);
		return (2);
	}
	rc = selfcheck_return_route((struct sockaddr *)&ss, buf, sizeof(buf));
	if (rc == -1) {
		printf("error: %s\n", strerror(errno));
		return (2);
	}
	if (rc == 0) {
		printf("missing: %s\n", buf);
		return (1);
	}
	printf("ok\n");
	return (0);
}

static int
probe_transparent(const char *arg)
{
	char	err[512];
	int	family;

	if (strcmp(arg, "4") == 0)
		family = AF_INET;
	else if (strcmp(arg, "6") == 0)
		family = AF_INET6;
	else {
		fprintf(stderr, "selfcheck_probe: family is 4 or 6\n");
		return (2);
	}
	if (selfcheck_transparent(family, err, sizeof(err)) == -1) {
		printf("error: %s\n", err);
		return (1);
	}
	printf("ok\n");
	return (0);
}

static double
probe_seconds(const struct timeval *tv)
{
	return ((double)tv->tv_sec + (double)tv->tv_usec / 1e6);
}

static int
probe_cost(const char *arg, const char *count)
{
	struct sockaddr_storage	ss;
	struct timespec		t0, t1;
	struct rusage		ru0, ru1;
	char			buf[512];
	long			i, n;
	double			wall, cpu;

	n = strtol(count, NULL, 10);
	if (n <= 0 || addr_parse(arg, &ss, buf, sizeof(buf)) == -1) {
		fprintf(stderr, "selfcheck_probe: cost ADDR:PORT N\n");
		return (2);
	}
	if (clock_gettime(CLOCK_MONOTONIC, &t0) == -1 ||
	    getrusage(RUSAGE_SELF, &ru0) == -1)
		return (2);
	for (i = 0; i < n; i++)
		if (selfcheck_return_route((struct sockaddr *)&ss, buf,
		    sizeof(buf)) == -1) {
			printf("error: %s\n", strerror(errno));
			return (2);
		}
	if (clock_gettime(CLOCK_MONOTONIC, &t1) == -1 ||
	    getrusage(RUSAGE_SELF, &ru1) == -1)
		return (2);
	wall = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = probe_seconds(&ru1.ru_utime) - probe_seconds(&ru0.ru_utime) +
	    probe_seconds(&ru1.ru_stime) - probe_seconds(&ru0.ru_stime);
	printf("%ld checks: %.1f us wall, %.1f us cpu each\n", n,
	    wall / (double)n * 1e6, cpu / (double)n * 1e6);
	return (0);
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "route") == 0)
		return (probe_route(argv[2]));
	if (argc == 3 && strcmp(argv[1], "transparent") == 0)
		return (probe_transparent(argv[2]));
	if (argc == 4 && strcmp(argv[1], "cost") == 0)
		return (probe_cost(argv[2], argv[3]));
	fprintf(stderr, "usage: selfcheck_probe route ADDR:PORT | "
	    "transparent 4|6 | cost ADDR:PORT N\n");
	return (2);
}
