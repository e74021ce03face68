/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * pidfile.c -- the -pidfile file.
 *
 * Opened once, before -user drops privileges, and kept open: the
 * generation that a SIGUSR2 starts runs as the unprivileged user and
 * could not create a file in /run, so it inherits this descriptor
 * instead. The generation that hands over writes its successor's pid
 * through it, at the moment it tells systemd MAINPID=, so the file never
 * names a process that no longer serves.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

int
pidfile_open(const char *path, pid_t pid)
{
	int	fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return (-1);
	if (pidfile_write(fd, pid) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

int
pidfile_write(int fd, pid_t pid)
{
	char	buf[32];
	ssize_t	n;
	int	len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	/* One write from offset 0, then cut: a reader sees a whole line. */
	do
		n = pwrite(fd, buf, (size_t)len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if (n != len) {
		errno = EIO;
		return (-1);
	}
	return (ftruncate(fd, len));
}

void
pidfile_remove(const char *path, int fd, pid_t pid)
{
	struct stat	byfd, bypath;
	char		buf[32], want[32];
	ssize_t		n;

	(void)snprintf(want, sizeof(want), "%ld\n", (long)pid);
	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n == -1 && errno == EINTR);
	if (n >= 0) {
		buf[n] = '\0';
		if (strcmp(buf, want) == 0 && fstat(fd, &byfd) == 0 &&
		    lstat(path, &bypath) == 0 && byfd.st_dev == bypath.st_dev &&
		    byfd.st_ino == bypath.st_ino)
			(void)unlink(path);
	}
	(void)close(fd);
}
