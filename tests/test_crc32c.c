/*
 * test_crc32c.c -- unit tests for src/crc32c.c (to be written).
 */

#include "config.h"

#include "test_suites.h"

void
test_crc32c_register(void)
{
	(void)test_suite_add("crc32c");
}
