/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * route_watch.c -- re-run the startup route check once a second.
 *
 * Polled rather than driven by rtnetlink notifications: what matters is
 * the answer to the kernel's own lookup (would a reply to a spoofed
 * client be delivered locally?), which an event would only prompt us to
 * ask again. Events would miss some changes anyway (IPv4 flushes a
 * device's routes on link down without an RTM_DELROUTE) and wake us for
 * every unrelated route a routing daemon changes. One check is a netlink
 * socket and two RTM_GETROUTE lookups; measured in bench/README.md.
 *
 * The list and labels are written by route_watch_init and read-only after;
 * each address's state belongs to the watch thread, its ok flag is atomic
 * for the metrics thread. mtx and cv only serve route_watch_stop.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "options.h"
#include "route_diag.h"
#include "route_watch.h"
#include "selfcheck.h"

enum route_watch_state {
	ROUTE_WATCH_OK,		/* delivered back, or not ours to check */
	ROUTE_WATCH_MISSING,
	ROUTE_WATCH_UNKNOWN	/* the first check could not be made */
};

struct route_watch_target {
	struct sockaddr_storage	 addr;	/* with the first port seen */
	char			 label[INET6_ADDRSTRLEN];
	enum route_watch_state	 state;
	int			 table;	/* last seen delivering, or 123 */
	int			 failing; /* the last check could not be made */
	atomic_int		 ok;
};

static struct route_watch {
	struct route_watch_target	*v;
	size_t				 n;
	pthread_t			 thread;
	pthread_mutex_t			 mtx;
	pthread_cond_t			 cv;	/* on CLOCK_MONOTONIC */
	int				 started;
	int				 stopping;
} rw = { .mtx = PTHREAD_MUTEX_INITIALIZER };

/* The address alone: the route does not depend on the port. */
static void
route_watch_label(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		(void)snprintf(buf, len, "?");
}

/* Add addr unless an address with the same label is there already. */
static int
route_watch_add(const struct sockaddr_storage *addr)
{
	struct route_watch_target	*t, *nv;
	char				 label[INET6_ADDRSTRLEN];
	size_t				 i;

	route_watch_label(addr, label, sizeof(label));
	for (i = 0; i < rw.n; i++)
		if (strcmp(rw.v[i].label, label) == 0)
			return (0);
	if ((nv = realloc(rw.v, (rw.n + 1) * sizeof(*nv))) == NULL)
		return (-1);
	rw.v = nv;
	t = &rw.v[rw.n++];
	memset(t, 0, sizeof(*t));
	t->addr = *addr;
	memcpy(t->label, label, sizeof(label));
	t->table = SELFCHECK_TABLE;
	atomic_init(&t->ok, 1);
	return (0);
}

/* A table worth naming in advice: not one every host has. */
static void
route_watch_learn(struct route_watch_target *t, int table)
{
	if (table > 0 && table != 253 && table != 254 && table != 255)
		t->table = table;
}

/* The route has gone: say which half and what restores it. */
static void
route_watch_lost(struct route_watch_target *t)
{
	struct selfcheck_addr	a;
	char			what[512], also[64] = "";
	int			missing;

	missing = route_diag_missing((struct sockaddr *)&t->addr, t->table);
	if (missing == -1) {
		log_warn("route watch: cannot tell which route is gone for "
		    "%s", t->label);
		missing = ROUTE_DIAG_NO_RULE | ROUTE_DIAG_NO_ROUTE;
	}
	route_diag_describe((struct sockaddr *)&t->addr, missing, t->table,
	    what, sizeof(what));
	/* mmproxyd-routing sets up the loopback rules only. */
	if (missing != 0 && selfcheck_addr_of((struct sockaddr *)&t->addr,
	    &a) == 0 && ((a.family == AF_INET && a.a[0] == 127) ||
	    (a.family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(
	    (struct in6_addr *)(void *)a.a))))
		(void)snprintf(also, sizeof(also), " (or run mmproxyd-routing "
		    "up %d)", t->table);
	log_errx("return route for backend %s lost: replies to spoofed "
	    "clients no longer come back to mmproxyd, so connections to it "
	    "will time out; %s%s", t->label, what, also);
}

/* One check of t; logs a change of state. */
static void
route_watch_check(struct route_watch_target *t)
{
	char	advice[512], via[32] = "";
	int	rc, table;

	rc = selfcheck_return_table((struct sockaddr *)&t->addr, advice,
	    sizeof(advice), &table);
	if (rc == -1) {
		if (!t->failing)
			log_warn("route watch: cannot check the return route "
			    "for backend %s", t->label);
		t->failing = 1;
		return;
	}
	t->failing = 0;
	if (rc == 1) {
		route_watch_learn(t, table);
		if (table != 0)
			(void)snprintf(via, sizeof(via), " (table %d)", table);
		if (t->state == ROUTE_WATCH_MISSING)
			log_info("return route for backend %s is back%s: "
			    "replies to spoofed clients reach mmproxyd again",
			    t->label, via);
		t->state = ROUTE_WATCH_OK;
		atomic_store(&t->ok, 1);
		return;
	}
	if (t->state != ROUTE_WATCH_MISSING)
		route_watch_lost(t);
	t->state = ROUTE_WATCH_MISSING;
	atomic_store(&t->ok, 0);
}

/* The startup check: the warning main always gave, and the first state. */
static void
route_watch_first(struct route_watch_target *t)
{
	char	buf[ADDR_STRLEN], advice[512];
	int	rc, table;

	addr_format((struct sockaddr *)&t->addr, buf, sizeof(buf));
	rc = selfcheck_return_table((struct sockaddr *)&t->addr, advice,
	    sizeof(advice), &table);
	switch (rc) {
	case 1:
		route_watch_learn(t, table);
		t->state = ROUTE_WATCH_OK;
		break;
	case 0:
		log_warnx("replies from %s to spoofed clients will not "
		    "come back to mmproxyd; run mmproxyd-routing up, or add "
		    "the routes: %s", buf, advice);
		t->state = ROUTE_WATCH_MISSING;
		atomic_store(&t->ok, 0);
		break;
	default:
		log_warn("cannot check the return route for %s", buf);
		t->state = ROUTE_WATCH_UNKNOWN;
		t->failing = 1;
		break;
	}
}

int
route_watch_init(const struct options *opts)
{
	size_t	j;
	int	i;

	/* With -mark the replies are steered by the mark, elsewhere. */
	if (opts->mark != 0 || opts->dynamic_destination)
		return (0);
	/* The route depends on the address alone: one per -4, -6 address. */
	for (i = 0; i < opts->target4.n; i++)
		if (route_watch_add(&opts->target4.v[i].addr) == -1)
			return (-1);
	for (i = 0; i < opts->target6.n; i++)
		if (route_watch_add(&opts->target6.v[i].addr) == -1)
			return (-1);
	for (j = 0; j < rw.n; j++)
		route_watch_first(&rw.v[j]);
	return (0);
}

static void *
route_watch_thread(void *arg)
{
	struct timespec	at;
	size_t		i;
	int		rc;

	(void)arg;
	pthread_mutex_lock(&rw.mtx);
	while (!rw.stopping) {
		if (clock_gettime(CLOCK_MONOTONIC, &at) == -1)
			fatal("clock_gettime");
		at.tv_sec += ROUTE_WATCH_INTERVAL_MS / 1000;
		at.tv_nsec += (ROUTE_WATCH_INTERVAL_MS % 1000) * 1000000L;
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		rc = 0;
		while (!rw.stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&rw.cv, &rw.mtx, &at);
		if (rw.stopping)
			break;
		pthread_mutex_unlock(&rw.mtx);
		for (i = 0; i < rw.n; i++)
			route_watch_check(&rw.v[i]);
		pthread_mutex_lock(&rw.mtx);
	}
	pthread_mutex_unlock(&rw.mtx);
	return (NULL);
}

int
route_watch_start(void)
{
	pthread_condattr_t	ca;
	int			rc;

	if (rw.n == 0)
		return (0);
	if ((rc = pthread_condattr_init(&ca)) != 0)
		return (rc);
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&rw.cv, &ca)) != 0) {
		(void)pthread_condattr_destroy(&ca);
		return (rc);
	}
	(void)pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&rw.thread, NULL, route_watch_thread,
	    NULL)) != 0) {
		(void)pthread_cond_destroy(&rw.cv);
		return (rc);
	}
	rw.started = 1;
	return (0);
}

void
route_watch_stop(void)
{
	if (rw.started) {
		pthread_mutex_lock(&rw.mtx);
		rw.stopping = 1;
		pthread_cond_signal(&rw.cv);
		pthread_mutex_unlock(&rw.mtx);
		pthread_join(rw.thread, NULL);
		(void)pthread_cond_destroy(&rw.cv);
		rw.started = 0;
	}
	free(rw.v);
	rw.v = NULL;
	rw.n = 0;
}

size_t
route_watch_count(void)
{
	return (rw.n);
}

int
route_watch_ok(size_t i, const char **label)
{
	*label = rw.v[i].label;
	return (atomic_load(&rw.v[i].ok));
}
