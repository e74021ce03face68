/*
 * test_pool.c -- unit tests for src/pool.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_pool_register(void)
{
	(void)test_suite_add("pool");
}
