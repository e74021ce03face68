/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * sdnotify.h -- tell the service manager about state changes
 * (sd_notify(3) without libsystemd).
 */
#ifndef MMPROXYD_SDNOTIFY_H
#define MMPROXYD_SDNOTIFY_H

/*
 * Send state (e.g. "READY=1", "STOPPING=1") as one datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET; a leading '@' names an abstract
 * socket. Returns 0 when NOTIFY_SOCKET is unset or empty (not supervised),
 * 1 when the datagram was sent, -1 on error with errno set (EINVAL for a
 * name that is not a path, '@' name or fits no sun_path).
 */
int	sdnotify(const char *state);

/*
 * Wait until the service manager has dealt with every notification sent
 * before (sd_notify_barrier(3)): "BARRIER=1" goes with the write end of a
 * pipe, which the manager closes once it got there. Returns 0 when
 * NOTIFY_SOCKET is unset, 1 once past the barrier, -1 with errno set on
 * an error or after timeout_ms (ETIMEDOUT).
 */
int	sdnotify_barrier(int timeout_ms);

#endif
