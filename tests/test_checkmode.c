/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_checkmode.c -- mmproxyd -t on what needs no privilege: a broken
 * list file is named with its line, every problem is counted, and the
 * status is 2. What needs root (capabilities, binding, a running
 * instance) is in tests/functional/checkmode.sh.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkmode.h"
#include "options.h"
#include "test_suites.h"

/* Parse argv into cfg and run the check; its messages go to *text. */
static int
check(char **text, char *argv[])
{
	struct options	 cfg;
	char		 err[256];
	size_t		 len;
	FILE		*out;
	int		 argc, rc;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	CU_ASSERT_FATAL(options_parse(argc, argv, &cfg, stdout, err,
	    sizeof(err)) == OPTIONS_OK);
	CU_ASSERT_FATAL(cfg.check_only == 1);
	out = open_memstream(text, &len);
	CU_ASSERT_FATAL(out != NULL);
	rc = checkmode_run(&cfg, out, out);
	CU_ASSERT_FATAL(fclose(out) == 0);
	return (rc);
}

static void
test_checkmode_names_a_broken_list_file_and_its_line(void)
{
	char	 path[] = "/tmp/mmproxyd-check-XXXXXX", want[128], *text;
	char	*argv[] = { "mmproxyd", "-t", "-l", "127.0.0.1:0",
		    "-allowed-subnets", path, NULL };
	FILE	*f;
	int	 fd;

	CU_ASSERT_FATAL((fd = mkstemp(path)) != -1);
	CU_ASSERT_FATAL((f = fdopen(fd, "w")) != NULL);
	fputs("192.0.2.0/24\n# a comment\n192.0.2.0/33\n", f);
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_EQUAL(check(&text, argv), 2);
	snprintf(want, sizeof(want), "mmproxyd: -allowed-subnets %s:3: bad "
	    "subnet \"192.0.2.0/33\"\n", path);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "mmproxyd: configuration check "
	    "failed: "));
	CU_ASSERT_PTR_NULL(strstr(text, "configuration OK"));
	free(text);
	CU_ASSERT(unlink(path) == 0);
}

static void
test_checkmode_counts_every_problem(void)
{
	char	*text;
	char	*argv[] = { "mmproxyd", "-t",
		    "-allowed-subnets", "/nonexistent/allowed",
		    "-dynamic-destination", "-dynamic-destination-allow",
		    "/nonexistent/dest", "-l", "127.0.0.1:1-3", "-4",
		    "127.0.0.1:1-2", NULL };

	CU_ASSERT_EQUAL(check(&text, argv), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "mmproxyd: -allowed-subnets "
	    "/nonexistent/allowed: No such file or directory\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "mmproxyd: "
	    "-dynamic-destination-allow /nonexistent/dest: No such file or "
	    "directory\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "has 3 ports but -4 "));
	free(text);
}

void
test_checkmode_register(void)
{
	CU_pSuite	s = test_suite_add("checkmode");

	test_add(s, "names a broken list file and its line",
	    test_checkmode_names_a_broken_list_file_and_its_line);
	test_add(s, "counts every problem",
	    test_checkmode_counts_every_problem);
}
