/*
 * test_config.c -- unit tests for src/config.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_config_register(void)
{
	(void)test_suite_add("config");
}
