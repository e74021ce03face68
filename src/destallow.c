/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * destallow.c -- the destination allow-list behind -dynamic-destination.
 *
 * With -dynamic-destination whoever can send a header chooses where
 * mmproxyd connects, from the client's address: any host or port this
 * host can reach. This list bounds that. It is the allow-list (same file
 * format, same refusal of an empty file, same swap on SIGHUP) kept in one
 * place for the process, so that the TCP relays and the UDP threads check
 * it without each carrying a pointer to it.
 */

#include "config.h"

#include "allowlist.h"
#include "destallow.h"

static struct allowlist	destallow;

int
destallow_init(const char *path, char *err, size_t errlen)
{
	return (allowlist_init(&destallow, path, err, errlen));
}

int
destallow_reload(char *err, size_t errlen)
{
	return (allowlist_reload(&destallow, err, errlen));
}

int
destallow_allows(const struct sockaddr *sa)
{
	return (allowlist_allows(&destallow, sa));
}

const char *
destallow_path(void)
{
	return (destallow.path);
}

size_t
destallow_size(void)
{
	return (allowlist_size(&destallow));
}

void
destallow_free(void)
{
	allowlist_free(&destallow);
}
