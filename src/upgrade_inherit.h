/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * upgrade_inherit.h -- the new generation's side of a hot upgrade
 * (upgrade.h): upgrade_inherit before binding, upgrade_ready once its
 * threads run.
 */
#ifndef MMPROXYD_UPGRADE_INHERIT_H
#define MMPROXYD_UPGRADE_INHERIT_H

#include <sys/types.h>

#include <stddef.h>

#include "handover.h"

/*
 * Before binding: read and unset HANDOVER_ENV. Returns 0
 * when this process was not started by an upgrade; 1 with the inherited
 * listening sockets in *set (an array to free()), the -pidfile
 * descriptor in *pidfile (-1 if none) and the old generation in *parent;
 * -1 with a reason in err when the variable is bad, its channel does not
 * lead to the process it names, or a descriptor is not a bound socket
 * (the process should exit: the old one serves on).
 */
int	upgrade_inherit(struct handover_set *set, int *pidfile,
	    pid_t *parent, char *err, size_t errlen);

/*
 * Once its listeners and threads run: tell the old
 * generation, and wait for it to hand over. Returns 0 when we are in
 * charge, or -1 with a reason in err (the old one gave up, went away or
 * did not answer within UPGRADE_GO_MS): the process should exit.
 */
int	upgrade_ready(char *err, size_t errlen);

#endif
