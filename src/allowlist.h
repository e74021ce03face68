/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * allowlist.h -- the allowed load-balancer subnets, shared by every
 * listener, read from their file at startup and replaced as a whole on
 * SIGHUP. The only reader of that file.
 */
#ifndef MMPROXYD_ALLOWLIST_H
#define MMPROXYD_ALLOWLIST_H

#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stddef.h>

#include "subnet.h"

struct allowlist {
	pthread_rwlock_t	 lock;	/* guards list */
	const char		*path;	/* NULL: everyone is allowed */
	struct subnet_list	 list;
};

/*
 * Read path (NULL: everyone is allowed; path must outlive al). Returns 0,
 * or -1 with err saying why: the file cannot be read, has a bad line, or
 * lists no subnet.
 */
int	allowlist_init(struct allowlist *al, const char *path, char *err,
	    size_t errlen);

/*
 * Re-read path. On success the new list replaces the old one for every
 * later check and 0 is returned; on error (as for allowlist_init) the old
 * list stays and err says why (-1). Returns 0 without doing anything when
 * no file was configured.
 */
int	allowlist_reload(struct allowlist *al, char *err, size_t errlen);

/* Whether a peer may speak to us. */
int	allowlist_allows(struct allowlist *al, const struct sockaddr *sa);

size_t	allowlist_size(struct allowlist *al);
void	allowlist_free(struct allowlist *al);

#endif
