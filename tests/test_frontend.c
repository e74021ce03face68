/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_frontend.c -- the front ends main.c drives: -p picks one, and
 * each sets every operation (main calls them all, unchecked).
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "capacity.h"
#include "endpoint.h"
#include "frontend.h"
#include "options.h"
#include "tcp_frontend.h"
#include "test_suites.h"
#include "udp_frontend.h"

static int
every_operation_set(const struct frontend_ops *ops)
{
	return (ops->name != NULL && ops->open != NULL &&
	    ops->start != NULL && ops->go != NULL &&
	    ops->listen_socks != NULL && ops->hand_off != NULL &&
	    ops->hand_off_end != NULL && ops->stop != NULL &&
	    ops->in_flight != NULL && ops->abort != NULL &&
	    ops->join != NULL && ops->log_counters != NULL &&
	    ops->render_metrics != NULL && ops->free != NULL);
}

static void
test_frontend_each_kind_sets_every_operation(void)
{
	CU_ASSERT(every_operation_set(&tcp_frontend_ops));
	CU_ASSERT(every_operation_set(&udp_frontend_ops));
	CU_ASSERT_STRING_EQUAL(tcp_frontend_ops.name, "tcp");
	CU_ASSERT_EQUAL(tcp_frontend_ops.socktype, SOCK_STREAM);
	CU_ASSERT_EQUAL(tcp_frontend_ops.fds_per_socket,
	    CAPACITY_FDS_PER_TCP_LISTENER);
	CU_ASSERT_STRING_EQUAL(udp_frontend_ops.name, "udp");
	CU_ASSERT_EQUAL(udp_frontend_ops.socktype, SOCK_DGRAM);
	CU_ASSERT_EQUAL(udp_frontend_ops.fds_per_socket,
	    CAPACITY_FDS_PER_UDP_LISTENER);
}

/* -p's kind, with a socket per copy (-listeners) of every port. */
static void
check_new_all(int proto, const struct frontend_ops *want)
{
	struct options		opts;
	struct endpoint		ep[2];
	struct frontend		*fe[FRONTEND_MAX];
	struct frontend_env	env;
	size_t			n;

	memset(&opts, 0, sizeof(opts));
	memset(ep, 0, sizeof(ep));
	opts.proto = proto;
	opts.listeners = 3;
	env = (struct frontend_env){ .opts = &opts, .endpoints = ep,
	    .nendpoints = 2, .nofile = 1024 };
	CU_ASSERT(frontend_kind(&opts) == want);
	n = frontend_new_all(&env, fe);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(fe[0]->ops == want);
	CU_ASSERT_EQUAL(fe[0]->nsocks, 6);
	CU_ASSERT(fe[0]->env.endpoints == ep);
	CU_ASSERT_EQUAL(fe[0]->env.nofile, 1024);
	CU_ASSERT_EQUAL(fe[0]->ops->free(fe[0]), 0);
}

static void
test_frontend_p_picks_the_kind(void)
{
	check_new_all(IPPROTO_TCP, &tcp_frontend_ops);
	check_new_all(IPPROTO_UDP, &udp_frontend_ops);
}

void
test_frontend_register(void)
{
	CU_pSuite	s = test_suite_add("frontend");

	test_add(s, "each kind sets every operation",
	    test_frontend_each_kind_sets_every_operation);
	test_add(s, "-p picks the kind", test_frontend_p_picks_the_kind);
}
