/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * allowlist.c -- the allow-list behind a read-write lock: every accept (or
 * UDP datagram) takes the read side for one scan of a short list; SIGHUP
 * takes the write side only to swap in a list already read and parsed.
 *
 * A file that lists no subnet is refused, at startup and on reload: it
 * would shut every load balancer out, and is far more often a file
 * truncated while being rewritten than a wish to serve nobody.
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "subnet.h"

/* Read and check al->path into *out. */
static int
allowlist_load(const struct allowlist *al, struct subnet_list *out, char *err,
    size_t errlen)
{
	if (subnet_list_load(al->path, out, err, errlen) == -1)
		return (-1);
	if (out->n == 0) {
		subnet_list_free(out);
		snprintf(err, errlen, "%s: lists no subnet, which would refuse "
		    "every peer (a truncated file?)", al->path);
		return (-1);
	}
	return (0);
}

int
allowlist_init(struct allowlist *al, const char *path, char *err,
    size_t errlen)
{
	int	rc;

	memset(al, 0, sizeof(*al));
	al->path = path;
	if (path != NULL && allowlist_load(al, &al->list, err, errlen) == -1)
		return (-1);
	if ((rc = pthread_rwlock_init(&al->lock, NULL)) != 0) {
		subnet_list_free(&al->list);
		snprintf(err, errlen, "pthread_rwlock_init: %s", strerror(rc));
		return (-1);
	}
	return (0);
}

int
allowlist_reload(struct allowlist *al, char *err, size_t errlen)
{
	struct subnet_list	fresh, old;

	if (al->path == NULL)
		return (0);
	/* Read outside the lock: a slow file must not stall accept(). */
	if (allowlist_load(al, &fresh, err, errlen) == -1)
		return (-1);
	pthread_rwlock_wrlock(&al->lock);
	old = al->list;
	al->list = fresh;
	pthread_rwlock_unlock(&al->lock);
	subnet_list_free(&old);
	return (0);
}

int
allowlist_allows(struct allowlist *al, const struct sockaddr *sa)
{
	int	ok;

	if (al->path == NULL)
		return (1);
	pthread_rwlock_rdlock(&al->lock);
	ok = subnet_list_match(&al->list, sa);
	pthread_rwlock_unlock(&al->lock);
	return (ok);
}

size_t
allowlist_size(struct allowlist *al)
{
	size_t	n;

	pthread_rwlock_rdlock(&al->lock);
	n = al->list.n;
	pthread_rwlock_unlock(&al->lock);
	return (n);
}

void
allowlist_free(struct allowlist *al)
{
	subnet_list_free(&al->list);
	pthread_rwlock_destroy(&al->lock);
}
