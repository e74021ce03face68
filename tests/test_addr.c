/*
 * test_addr.c -- unit tests for src/addr.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_addr_register(void)
{
	(void)test_suite_add("addr");
}
