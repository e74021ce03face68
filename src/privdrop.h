/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * privdrop.h -- become an unprivileged user that keeps CAP_NET_ADMIN (and
 * CAP_NET_BIND_SERVICE where it may), and check from /proc/self/status that
 * it worked.
 */
#ifndef MMPROXYD_PRIVDROP_H
#define MMPROXYD_PRIVDROP_H

#include <sys/types.h>
#include <linux/capability.h>

#include <stddef.h>
#include <stdint.h>

/*
 * What -user asks to keep: CAP_NET_ADMIN, without which nothing can be
 * spoofed, and CAP_NET_BIND_SERVICE, to spoof a client whose source port
 * is below 1024 (bind() refuses that port without it).
 */
#define PRIVDROP_NEED	(UINT64_C(1) << CAP_NET_ADMIN)
#define PRIVDROP_WANT	(PRIVDROP_NEED | (UINT64_C(1) << CAP_NET_BIND_SERVICE))

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
 * What privdrop_to_user keeps, given the permitted and bounding sets it
 * starts with: PRIVDROP_WANT where both still hold it (a service manager
 * may have taken CAP_NET_BIND_SERVICE away). Without PRIVDROP_NEED in it,
 * privdrop_to_user fails.
 */
uint64_t privdrop_keep_mask(uint64_t permitted, uint64_t bounding);

/*
 * Switch to user (its uid, gid and groups) keeping privdrop_keep_mask() of
 * the current sets as the permitted, effective and bounding sets, with
 * empty inheritable and ambient sets, and no_new_privs; what was kept goes
 * into *kept. Call it after the listeners are bound and before any thread
 * starts: capabilities are per thread, and threads created later inherit
 * these. Needs root (or CAP_SETUID, CAP_SETGID and CAP_SETPCAP), unless
 * the process already is user (a generation started by SIGUSR2): then it
 * only sheds its ambient and inheritable sets. Returns 0, or -1 with
 * errno set and a reason in err; after -1 the process may be
 * half-dropped and must exit.
 */
int	privdrop_to_user(const char *user, uint64_t *kept, char *err,
	    size_t errlen);

/*
 * Empty the calling thread's permitted, effective and inheritable sets,
 * for a thread that parses what strangers send and needs no privilege;
 * the other threads keep theirs. Returns 0, or -1 with errno set.
 */
int	privdrop_thread_none(void);

/*
 * In the child that executes the next generation (SIGUSR2), which
 * shares the parent's memory until then: unless it is root, make every
 * permitted capability inheritable and ambient, so that an unprivileged
 * process keeps them through execve (no_new_privs allows it: nothing is
 * gained). System calls only, on the stack. Returns 0, or -1 with errno
 * set.
 */
int	privdrop_keep_across_exec(void);

/*
 * Parse the text of /proc/<pid>/status (NUL-terminated). Uid, Gid, CapInh,
 * CapPrm, CapEff and CapBnd are required; CapAmb and NoNewPrivs are not.
 * Returns 0, or -1 with errno EINVAL when a required line is missing or
 * malformed.
 */
int	privdrop_status_parse(const char *text, struct privdrop_status *st);
/* privdrop_status_parse of this process's. Returns 0, or -1 with errno. */
int	privdrop_status_self(struct privdrop_status *st);

#endif
