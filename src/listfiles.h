/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * listfiles.h -- the two subnet list files, -allowed-subnets
 * (allowlist.h) and -dynamic-destination-allow (destallow.h): what a
 * start says about them, and SIGHUP's reload of both. Main thread only.
 */
#ifndef MMPROXYD_LISTFILES_H
#define MMPROXYD_LISTFILES_H

struct allowlist;
struct options;

/* At every start: a destination list that is missing, or unused. */
void	listfiles_warn(const struct options *opts);
/* After -user: each file that user cannot read, which SIGHUP would. */
void	listfiles_check_readable(const struct options *opts);
/* SIGHUP: re-read both; a bad file keeps its old list. */
void	listfiles_reload(const struct options *opts, struct allowlist *allow);

#endif
