/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_args.h -- command lines for the option and endpoint tests: a
 * NULL-terminated list of flags parsed as mmproxyd's argv.
 */
#ifndef MMPROXYD_TEST_ARGS_H
#define MMPROXYD_TEST_ARGS_H

#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>

#include "options.h"

/*
 * options_parse() over the flags in ap (NULL-terminated), after
 * "mmproxyd". Errors land in err; help or version text in text (up to
 * textlen bytes), or nowhere when text is NULL.
 */
enum options_result	test_args_vparse(struct options *cfg, char *err,
			    size_t errlen, char *text, size_t textlen,
			    va_list ap);

/* Whether ss formats as want, e.g. "[::1]:443". */
int	test_args_is_addr(const struct sockaddr_storage *ss, const char *want);

#endif
