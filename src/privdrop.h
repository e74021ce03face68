/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * privdrop.h -- become an unprivileged user that keeps CAP_NET_ADMIN only,
 * and check from /proc/self/status that it worked.
 */
#ifndef MMPROXYD_PRIVDROP_H
#define MMPROXYD_PRIVDROP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* What privdrop_status_parse reads from /proc/<pid>/status. */
struct privdrop_status {
	uid_t		uid[4];		/* real, effective, saved, filesystem */
	gid_t		gid[4];
	uint64_t	cap_inh;
	uint64_t	cap_prm;
	uint64_t	cap_eff;
	uint64_t	cap_bnd;
	uint64_t	cap_amb;	/* 0 when the kernel has no CapAmb */
	int		no_new_privs;	/* -1 when the kernel has no line */
};

/*
 * Switch to user (its uid, gid and groups) keeping only CAP_NET_ADMIN in
 * the permitted and effective sets, with empty inheritable and ambient
 * sets, a bounding set of CAP_NET_ADMIN alone, and no_new_privs. Call it
 * after the listeners are bound and before any thread starts: capabilities
 * are per thread, and threads created later inherit these. Needs root (or
 * CAP_SETUID, CAP_SETGID and CAP_SETPCAP). Returns 0, or -1 with errno set
 * and a reason in err; after -1 the process is half-dropped and must exit.
 */
int	privdrop_to_user(const char *user, char *err, size_t errlen);

/*
 * Parse the text of /proc/<pid>/status (NUL-terminated). Uid, Gid, CapInh,
 * CapPrm, CapEff and CapBnd are required; CapAmb and NoNewPrivs are not.
 * Returns 0, or -1 with errno EINVAL when a required line is missing or
 * malformed.
 */
int	privdrop_status_parse(const char *text, struct privdrop_status *st);

#endif
