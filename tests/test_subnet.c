/*
 * test_subnet.c -- unit tests for src/subnet.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_subnet_register(void)
{
	(void)test_suite_add("subnet");
}
