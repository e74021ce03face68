/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * pidfile.h -- -pidfile: a file naming the process that serves, kept
 * right across SIGUSR2 upgrades (for SysV scripts; systemd has MAINPID=).
 */
#ifndef MMPROXYD_PIDFILE_H
#define MMPROXYD_PIDFILE_H

#include <sys/types.h>

/*
 * Create or open path (no symlink followed) and write pid into it.
 * Call it before privileges are dropped; keep the descriptor, through
 * which later generations rewrite the file. Returns the descriptor
 * (close-on-exec) or -1 with errno set.
 */
int	pidfile_open(const char *path, pid_t pid);

/* Replace the file's content with pid. Returns 0, or -1 with errno set. */
int	pidfile_write(int fd, pid_t pid);

/*
 * After an ordinary stop: remove path if it is still the file behind fd
 * and still names pid. Where the directory is root's and we are not
 * (-user), it stays for the init script to remove. Closes fd.
 */
void	pidfile_remove(const char *path, int fd, pid_t pid);

#endif
