/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_failure_class.c -- header errors and errno values into the few
 * classes the counters are split by, and the label values they export.
 */

#include "config.h"

#include <errno.h>

#include "failure_class.h"
#include "proxy_header.h"
#include "test_suites.h"

static void
test_failure_class_names_every_header_error(void)
{
	int	e;

	CU_ASSERT_EQUAL(failure_class_of_header(PP_ERR_SIGNATURE),
	    FAILURE_HDR_NOT_PROXY);
	CU_ASSERT_EQUAL(failure_class_of_header(PP_ERR_V1_PORT),
	    FAILURE_HDR_V1);
	CU_ASSERT_EQUAL(failure_class_of_header(PP_ERR_V2_TLV),
	    FAILURE_HDR_V2);
	CU_ASSERT_EQUAL(failure_class_of_header(PP_ERR_V2_CRC),
	    FAILURE_HDR_CHECKSUM);
	for (e = 1; e < PP_ERR_COUNT; e++)
		CU_ASSERT(failure_class_of_header(e) !=
		    FAILURE_HDR_UNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(failure_class_header_name(
	    FAILURE_HDR_NOT_PROXY), "not_proxy");
	CU_ASSERT_STRING_EQUAL(failure_class_header_name(FAILURE_HDR_COUNT),
	    "other");
}

static void
test_failure_class_groups_errno_values(void)
{
	CU_ASSERT_EQUAL(failure_class_of_errno(ECONNREFUSED),
	    FAILURE_ERR_REFUSED);
	CU_ASSERT_EQUAL(failure_class_of_errno(ETIMEDOUT),
	    FAILURE_ERR_TIMEOUT);
	CU_ASSERT_EQUAL(failure_class_of_errno(EHOSTUNREACH),
	    FAILURE_ERR_UNREACHABLE);
	CU_ASSERT_EQUAL(failure_class_of_errno(EADDRINUSE),
	    FAILURE_ERR_ADDRESS);
	CU_ASSERT_EQUAL(failure_class_of_errno(EMFILE), FAILURE_ERR_FD_LIMIT);
	CU_ASSERT_EQUAL(failure_class_of_errno(ENFILE), FAILURE_ERR_FD_LIMIT);
	CU_ASSERT_EQUAL(failure_class_of_errno(ENOBUFS), FAILURE_ERR_MEMORY);
	CU_ASSERT_EQUAL(failure_class_of_errno(EPERM),
	    FAILURE_ERR_PERMISSION);
	CU_ASSERT_EQUAL(failure_class_of_errno(EIO), FAILURE_ERR_OTHER);
	CU_ASSERT_STRING_EQUAL(failure_class_errno_name(FAILURE_ERR_FD_LIMIT),
	    "fd_limit");
}

void
test_failure_class_register(void)
{
	CU_pSuite	s = test_suite_add("failure_class");

	test_add(s, "names every header error",
	    test_failure_class_names_every_header_error);
	test_add(s, "groups errno values",
	    test_failure_class_groups_errno_values);
}
