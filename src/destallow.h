/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * destallow.h -- -dynamic-destination-allow: the subnets a PROXY header's
 * destination must lie in before -dynamic-destination dials it. One list
 * for the process, in the allow-list's file format, re-read on SIGHUP.
 */
#ifndef MMPROXYD_DESTALLOW_H
#define MMPROXYD_DESTALLOW_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/*
 * Read path (NULL: every destination is allowed; path must outlive the
 * process). Returns 0, or -1 with err saying why (see allowlist_init).
 * Before any thread starts.
 */
int	destallow_init(const char *path, char *err, size_t errlen);

/* Re-read the file: 0, or -1 with err, the old list kept; 0 if none. */
int	destallow_reload(char *err, size_t errlen);

/* Whether a header may send us to sa; any thread. */
int	destallow_allows(const struct sockaddr *sa);

/* The file, or NULL; and how many subnets it lists. */
const char *destallow_path(void);
size_t	destallow_size(void);

void	destallow_free(void);

#endif
