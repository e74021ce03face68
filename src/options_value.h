/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * options_value.h -- one flag's value, from its text into its field of
 * struct options: the kinds of value a flag takes and how each is read.
 * options.c holds the table of flags and the command line's rules.
 */
#ifndef MMPROXYD_OPTIONS_VALUE_H
#define MMPROXYD_OPTIONS_VALUE_H

#include <stddef.h>

struct options;

/* What a duration looks like, in -help and in messages. */
#define OPTIONS_DURATION_SYNTAX \
	"seconds as 10 or 0.5, or with a unit: 500ms, 2.5s, 1m, 1h"

enum options_kind {
	OPTIONS_K_BOOL,		/* int, 0 or 1 */
	OPTIONS_K_INT,		/* int within [min, max] */
	OPTIONS_K_DURATION,	/* long long ms within [min, max] */
	OPTIONS_K_MARK,		/* unsigned int, decimal or 0x hex */
	OPTIONS_K_ADDR,		/* struct options_addrs, ranges allowed */
	OPTIONS_K_ADDR4,		/* ... that must be IPv4 */
	OPTIONS_K_ADDR6,		/* ... that must be IPv6 */
	OPTIONS_K_ONE_ADDR,	/* struct sockaddr_storage, once, no range */
	OPTIONS_K_PROTO,		/* int, IPPROTO_TCP or IPPROTO_UDP */
	OPTIONS_K_LOG_FORMAT,	/* int, OPTIONS_LOG_TEXT or _JSON */
	OPTIONS_K_PORT_BUSY,	/* int, OPTIONS_PORT_* bits */
	OPTIONS_K_STRING,	/* const char *, not empty */
	OPTIONS_K_HELP,
	OPTIONS_K_VERSION
};

struct options_flag {
	const char		*name;
	enum options_kind	 kind;
	size_t			 off;	/* into struct options */
	long			 min, max;
	const char		*arg;	/* what the value looks like */
	const char		*help;	/* one line, with its default */
};

/*
 * Store the value v of flag f into cfg. Returns 0, or -1 with a message
 * naming the flag and what is wrong in err.
 */
int	options_value_set(struct options *cfg, const struct options_flag *f,
	    const char *v, char *err, size_t errlen);

#endif
