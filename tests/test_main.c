/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_main.c -- the CUnit runner. Exits non-zero when a test fails, when
 * registration fails, or when no test ran at all.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "test_suites.h"

CU_pSuite
test_suite_add(const char *name)
{
	CU_pSuite	s;

	if ((s = CU_add_suite(name, NULL, NULL)) == NULL) {
		fprintf(stderr, "CU_add_suite %s: %s\n", name,
		    CU_get_error_msg());
		exit(2);
	}
	return (s);
}

void
test_add(CU_pSuite s, const char *name, CU_TestFunc fn)
{
	if (CU_add_test(s, name, fn) == NULL) {
		fprintf(stderr, "CU_add_test %s: %s\n", name,
		    CU_get_error_msg());
		exit(2);
	}
}

int
main(void)
{
	unsigned int	ran, failed;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CU_initialize_registry: %s\n",
		    CU_get_error_msg());
		return (2);
	}
	test_addr_register();
	test_allowlist_register();
	test_capacity_register();
	test_checkmode_register();
	test_counter_table_register();
	test_crc32c_register();
	test_duration_register();
	test_endpoint_register();
	test_failure_class_register();
	test_frontend_register();
	test_handover_register();
	test_http_min_register();
	test_log_register();
	test_metrics_family_register();
	test_metrics_register();
	test_net_register();
	test_options_register();
	test_pidfile_register();
	test_privdrop_register();
	test_proxy_header_register();
	test_ratelog_register();
	test_route_diag_register();
	test_sdnotify_register();
	test_selfcheck_register();
	test_subnet_register();
	test_target_register();
	test_tcp_bufpipe_register();
	test_tcp_conns_register();
	test_tcp_fd_gauge_register();
	test_tcp_pool_register();
	test_tcp_relay_register();
	test_udp_batch_register();
	test_udp_cmsg_register();
	test_udp_flow_table_register();
	test_udp_reply_register();
	test_udp_steer_register();

	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS) {
		fprintf(stderr, "CU_basic_run_tests: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return (2);
	}
	ran = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	printf("\n%u passed, %u failed\n", ran - failed, failed);
	if (ran == 0) {
		fprintf(stderr, "no test ran\n");
		return (1);
	}
	return (failed == 0 ? 0 : 1);
}
