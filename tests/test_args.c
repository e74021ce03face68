/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_args.c -- see test_args.h.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "addr.h"

#include "test_args.h"

#define TEST_ARGS_MAX	24

enum options_result
test_args_vparse(struct options *cfg, char *err, size_t errlen, char *text,
    size_t textlen, va_list ap)
{
	char			*argv[TEST_ARGS_MAX + 1], *out_text = NULL;
	FILE			*out;
	size_t			 out_len;
	enum options_result	 r;
	int			 argc = 0;

	argv[argc++] = "mmproxyd";
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		CU_ASSERT_FATAL(++argc < TEST_ARGS_MAX);
	err[0] = '\0';
	out = open_memstream(&out_text, &out_len);
	CU_ASSERT_FATAL(out != NULL);
	r = options_parse(argc, argv, cfg, out, err, errlen);
	fclose(out);
	if (text != NULL)
		snprintf(text, textlen, "%s", out_text);
	free(out_text);
	return (r);
}

int
test_args_is_addr(const struct sockaddr_storage *ss, const char *want)
{
	char	buf[ADDR_STRLEN];

	return (strcmp(addr_format((const struct sockaddr *)ss, buf,
	    sizeof(buf)), want) == 0);
}
