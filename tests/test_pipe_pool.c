/*
 * test_pipe_pool.c -- unit tests for src/pipe_pool.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_pipe_pool_register(void)
{
	(void)test_suite_add("pipe_pool");
}
