/*
 * test_proxy_header.c -- unit tests for src/proxy_header.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_proxy_header_register(void)
{
	(void)test_suite_add("proxy_header");
}
