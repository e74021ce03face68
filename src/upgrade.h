/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * upgrade.h -- SIGUSR2, the hot upgrade: the old generation starts a new
 * one from the binary on disk with the same arguments and hands it its
 * listening sockets; the new one takes them over.
 *
 * The old side: upgrade_init at startup, upgrade_start on SIGUSR2, then
 * upgrade_poll until the new generation is ready (upgrade_commit) or has
 * failed. The new side is upgrade_inherit.h.
 */
#ifndef MMPROXYD_UPGRADE_H
#define MMPROXYD_UPGRADE_H

#include <sys/types.h>

#include <stddef.h>

#include "handover.h"

/* The channel's messages, one byte, each side's (upgrade_inherit.c). */
#define UPGRADE_MSG_READY	'R'
#define UPGRADE_MSG_GO		'G'
#define UPGRADE_MSG_EXEC	'E'	/* followed by an int errno */
#define UPGRADE_MSG_CAPS	'C'	/* likewise */
#define UPGRADE_MSG_EXIT	'X'	/* followed by an int exit status */

/* Not ready by then: the new generation is killed, the old serves on. */
#define UPGRADE_READY_MS	30000
/* A new generation gives up waiting for the old one's go-ahead then. */
#define UPGRADE_GO_MS		60000

enum upgrade_state {
	UPGRADE_IDLE,		/* none in progress */
	UPGRADE_STARTING,	/* the new generation is starting */
	UPGRADE_READY,		/* it is ready: upgrade_commit() */
	UPGRADE_FAILED		/* it is gone; err says why */
};

/*
 * At startup, before anything could replace the binary: remember argv
 * and which file to start (/proc/self/exe, else argv[0]); a package
 * upgrade later replaces that file, and the new one is what SIGUSR2
 * starts. argv must live as long as the process.
 */
void	upgrade_init(char *argv[]);

/*
 * Start the new generation, as our parent's child: it inherits socks
 * (listening sockets), the -pidfile descriptor unless it is -1, and its
 * end of a channel back to us; nothing else. Returns 0, or -1 with a
 * reason in err.
 */
int	upgrade_start(const struct handover_sock *socks, size_t n,
	    int pidfile, char *err, size_t errlen);

/*
 * Where the upgrade stands, without blocking. UPGRADE_FAILED comes once,
 * with the reason in err (the new generation's exit status, or why it
 * could not be executed); the state is UPGRADE_IDLE again. The new
 * generation is our parent's child, not ours: our parent reaps it.
 */
enum upgrade_state upgrade_poll(char *err, size_t errlen);

/* The file SIGUSR2 starts, for messages. */
const char *upgrade_exe(void);

/* The new generation's pid while one is starting or ready, else 0. */
pid_t	upgrade_child(void);

/*
 * Tell the ready new generation that it is now in charge. Returns 0, or
 * -1 when it could not be told (it is then gone, and we serve on).
 */
int	upgrade_commit(void);

/*
 * Give up an upgrade in progress (we are stopping): the new generation
 * sees the channel close and exits by itself.
 */
void	upgrade_abandon(void);

#endif
