/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_suites.h -- each tests/test_<module>.c registers its suite here.
 */
#ifndef MMPROXYD_TEST_SUITES_H
#define MMPROXYD_TEST_SUITES_H

#include <CUnit/CUnit.h>

void	test_addr_register(void);
void	test_allowlist_register(void);
void	test_capacity_register(void);
void	test_checkmode_register(void);
void	test_counter_table_register(void);
void	test_crc32c_register(void);
void	test_duration_register(void);
void	test_endpoint_register(void);
void	test_failure_class_register(void);
void	test_frontend_register(void);
void	test_handover_register(void);
void	test_http_min_register(void);
void	test_log_register(void);
void	test_metrics_family_register(void);
void	test_metrics_register(void);
void	test_net_register(void);
void	test_options_register(void);
void	test_pidfile_register(void);
void	test_privdrop_register(void);
void	test_proxy_header_register(void);
void	test_ratelog_register(void);
void	test_route_diag_register(void);
void	test_sdnotify_register(void);
void	test_selfcheck_register(void);
void	test_subnet_register(void);
void	test_target_register(void);
void	test_tcp_bufpipe_register(void);
void	test_tcp_conns_register(void);
void	test_tcp_fd_gauge_register(void);
void	test_tcp_pool_register(void);
void	test_tcp_relay_register(void);
void	test_udp_batch_register(void);
void	test_udp_cmsg_register(void);
void	test_udp_flow_table_register(void);
void	test_udp_reply_register(void);
void	test_udp_steer_register(void);

/* Add a suite or stop the runner: a missing suite must not pass quietly. */
CU_pSuite	test_suite_add(const char *name);
void		test_add(CU_pSuite s, const char *name, CU_TestFunc fn);

#endif
