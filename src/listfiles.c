/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * listfiles.c -- what a start says about the subnet list files, and
 * SIGHUP's reload of them.
 */

#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "allowlist.h"
#include "destallow.h"
#include "listfiles.h"
#include "log.h"
#include "options.h"

/*
 * -dynamic-destination lets whoever can send a header choose where we
 * connect. Unbounded stays the default, as in go-mmproxy, whose setups
 * must keep working unchanged; say so at every start instead.
 */
void
listfiles_warn(const struct options *opts)
{
	if (opts->dynamic_destination && destallow_path() == NULL)
		log_warnx("-dynamic-destination without "
		    "-dynamic-destination-allow: a header may send mmproxyd "
		    "to any address and port this host can reach (give a "
		    "file of the destination subnets to allow)");
	else if (!opts->dynamic_destination && destallow_path() != NULL)
		log_warnx("-dynamic-destination-allow %s has no effect "
		    "without -dynamic-destination", destallow_path());
}

/*
 * After -user: SIGHUP re-reads the lists as the new user, so a file only
 * root may read (or a directory it cannot enter) would make every reload
 * fail long after startup. Try now and say what to change.
 */
static void
listfiles_readable(const struct options *opts, const char *flag,
    const char *path)
{
	int	fd;

	if (path == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s %s cannot be read as -user %s, so SIGHUP cannot "
		    "reload it (let that user read the file and enter its "
		    "directories, e.g. chmod 0644 %s)", flag, path, opts->user,
		    path);
		return;
	}
	(void)close(fd);
}

void
listfiles_check_readable(const struct options *opts)
{
	listfiles_readable(opts, "-allowed-subnets",
	    opts->allowed_subnets_path);
	listfiles_readable(opts, "-dynamic-destination-allow",
	    destallow_path());
}

/* New connections see the new list. */
void
listfiles_reload(const struct options *opts, struct allowlist *allow)
{
	char	err[512];
	size_t	n;

	if (destallow_path() != NULL) {
		if (destallow_reload(err, sizeof(err)) == -1)
			log_warnx("SIGHUP: keeping the old "
			    "-dynamic-destination-allow list: %s", err);
		else {
			n = destallow_size();
			log_info("SIGHUP: reloaded %s: %zu subnet%s",
			    destallow_path(), n, n == 1 ? "" : "s");
		}
	}
	if (opts->allowed_subnets_path == NULL) {
		log_info("SIGHUP: no -allowed-subnets file to reload");
		return;
	}
	if (allowlist_reload(allow, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: keeping the old allow-list: %s", err);
		return;
	}
	log_info("SIGHUP: reloaded %s: %zu subnet%s",
	    opts->allowed_subnets_path, allowlist_size(allow),
	    allowlist_size(allow) == 1 ? "" : "s");
}
