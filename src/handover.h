/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * handover.h -- what one generation passes to the next on SIGUSR2 (pure):
 * the environment variable that lists the inherited descriptors, and the
 * matching of inherited listening sockets to the new generation's own
 * endpoints.
 */
#ifndef MMPROXYD_HANDOVER_H
#define MMPROXYD_HANDOVER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#define HANDOVER_ENV		"MMPROXYD_UPGRADE"
/* The format's version: a new generation refuses any other. */
#define HANDOVER_VERSION	"1"
/*
 * execve() takes at most 128 KiB per string; the descriptors are listed
 * as ranges ("5-1028"), so even thousands of sockets fit far below this.
 */
#define HANDOVER_ENV_MAX	(64 * 1024)

/* One inherited listening socket, as the kernel describes it. */
struct handover_sock {
	int			 fd;
	int			 type;		/* SOCK_STREAM or SOCK_DGRAM */
	struct sockaddr_storage	 addr;		/* as bound */
	int			 taken;		/* by an endpoint */
};

/* The inherited sockets; all before next are taken. */
struct handover_set {
	struct handover_sock	*v;
	size_t			 n;
	size_t			 next;
};

/* What HANDOVER_ENV says. */
struct handover_env {
	pid_t	 parent;	/* the old generation */
	int	 chan;		/* our end of the hand-over channel */
	int	 pidfile;	/* -pidfile's descriptor, or -1 */
	int	*fds;		/* the listening sockets, in the old order */
	size_t	 nfds;
};

/*
 * "1 ppid=P chan=C pidfile=F fds=A-B,C" into buf, runs of consecutive
 * descriptors as ranges; pidfile= is left out when e->pidfile is -1.
 * Returns the length, or -1 (errno ENAMETOOLONG) when it does not fit
 * in len bytes or in HANDOVER_ENV_MAX.
 */
int	handover_env_format(char *buf, size_t len,
	    const struct handover_env *e);

/*
 * Parse a HANDOVER_ENV value into e, the descriptors into fds (room for
 * max). Descriptors are 3 or more, listed once each, and distinct from
 * chan and pidfile. Returns 0, or -1 with a reason in err.
 */
int	handover_env_parse(const char *s, struct handover_env *e, int *fds,
	    size_t max, char *err, size_t errlen);

/*
 * The first socket not yet taken of this type, bound to addr; it is
 * marked taken. Copies that share a type and an address (-listeners)
 * are taken in the order of the set, which is the old generation's
 * order. Taking them in the order they were listed costs one step
 * each; any other order, a scan. With dual_stack (-dual-stack, the
 * default) an IPv4 wildcard also takes the [::] of its port that
 * net_listen bound for it. Returns its descriptor, or -1 when none is
 * left.
 */
int	handover_take(struct handover_set *set, int type,
	    const struct sockaddr *addr, int dual_stack);

#endif
