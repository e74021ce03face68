/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * frontend.h -- what main.c drives: a front end owns one kind of
 * listening socket and everything that serves it (TCP: the acceptors,
 * the relay pool, the bufpipes and the fd gauge; UDP: a thread per socket).
 * main.c keeps the startup order, the signals, the hot upgrade and the
 * shutdown, and calls every front end in this order:
 *
 *   open, start (paused when a hot upgrade started us), go
 *   SIGUSR1: log_counters; -metrics: render_metrics, on its own thread
 *   SIGUSR2: listen_socks; once the new generation is ready, hand_off,
 *            then hand_off_end (taken over, or not: serve on)
 *   shutdown: stop, in_flight until 0 or the grace is over (then abort),
 *            join, log_counters, free
 *
 * Every operation but render_metrics runs in the main thread. Every one
 * is set; one that has nothing to do says why in its front end's file.
 */
#ifndef MMPROXYD_FRONTEND_H
#define MMPROXYD_FRONTEND_H

#include <stddef.h>

#include "metrics_text.h"

struct allowlist;
struct endpoint;
struct frontend;
struct handover_set;
struct handover_sock;
struct options;
struct sockaddr;

/* What a front end serves from: main's, alive until free. */
struct frontend_env {
	/* open may settle a default (-max-flows); read-only after it. */
	struct options		*opts;
	/* Socket k listens on endpoints[k / opts->listeners]. */
	const struct endpoint	*endpoints;
	size_t			 nendpoints;
	struct allowlist	*allow;		/* SIGHUP may swap its list */
	size_t			 nofile;	/* RLIMIT_NOFILE in force */
};

struct frontend_ops {
	const char	*name;		/* "tcp", "udp": in logs and -t */
	int		 socktype;	/* of its listening sockets */
	/* A listening socket's fds, with its thread's (capacity.h). */
	size_t		 fds_per_socket;

	/*
	 * Settle the limits (-max-conns, -max-flows) against env's, then
	 * bind every socket, or take the one a hot upgrade handed over in
	 * inherited. At startup, before privileges are dropped: fatal on
	 * failure.
	 */
	void	(*open)(struct frontend *fe, struct handover_set *inherited);
	/*
	 * Start the threads, after privileges are dropped. paused: a hot
	 * upgrade's new generation, which must read nothing the old one
	 * still reads, until go.
	 */
	void	(*start)(struct frontend *fe, int paused);
	void	(*go)(struct frontend *fe);

	/*
	 * The listening sockets, for a hot upgrade: fe->nsocks entries
	 * into v, in socket order (the order the next generation takes
	 * them back in with handover_take).
	 */
	void	(*listen_socks)(struct frontend *fe, struct handover_sock *v);
	/*
	 * The new generation is ready: stop reading what it will read from
	 * now on, keeping what it takes to serve again. Returns once
	 * nothing is read any more.
	 */
	void	(*hand_off)(struct frontend *fe);
	/*
	 * After hand_off: taken, the new generation is in charge (let go of
	 * what was kept); or it vanished first, and this one serves on.
	 */
	void	(*hand_off_end)(struct frontend *fe, int taken);

	/*
	 * Stop accepting. shared: another generation serves from our
	 * listening sockets (we handed over, or never took over), so they
	 * must be left as they are: no shutdown(), which would end its
	 * accepts too.
	 */
	void	(*stop)(struct frontend *fe, int shared);
	/* What is still being served: the drain waits for 0. */
	size_t	(*in_flight)(struct frontend *fe);
	/* The grace is over: end everything in flight at once. */
	void	(*abort)(struct frontend *fe);
	/*
	 * Wait for the threads. Returns -1 when one stopped on an error of
	 * its own (the exit status says so), else 0.
	 */
	int	(*join)(struct frontend *fe);

	/* One line of counters per socket, at -v 0 too; when says why. */
	void	(*log_counters)(struct frontend *fe, const char *when);
	/* Its families (metrics_render.h), on the metrics thread. */
	void	(*render_metrics)(struct frontend *fe, struct metrics_buf *b);

	/*
	 * Close the sockets and free fe, unless something it served is
	 * still running: then it says so and stays, and the count is
	 * returned (what it uses must stay too). Returns 0 when freed.
	 */
	size_t	(*free)(struct frontend *fe);
};

/* The part every front end starts with; its own state follows. */
struct frontend {
	const struct frontend_ops	*ops;
	struct frontend_env		 env;
	int				 nsocks;	/* listening sockets */
};

/* Front ends one process may run: one of each kind. */
#define FRONTEND_MAX	2

/* The kind of front end opts asks for (-p), to describe it. */
const struct frontend_ops *frontend_kind(const struct options *opts);
/*
 * The front ends env's options ask for, not yet open, into v (room for
 * FRONTEND_MAX). Returns how many. Caller frees each with ops->free.
 */
size_t	frontend_new_all(const struct frontend_env *env,
	    struct frontend **v);

/* Helpers for front ends. The address socket k listens on. */
const struct sockaddr *frontend_listen_addr(const struct frontend *fe,
	    int k);
/* Socket k could not be bound (errno says why): fatal, naming it. */
void	frontend_bind_failed(const struct frontend *fe, int k)
	    __attribute__((noreturn));
/*
 * "listening on" for every -l, one line per range, with the families its
 * first socket (sock_fd(fe, k) is socket k's fd) takes. each names what
 * one socket is ("listener"), more is appended to each line.
 */
void	frontend_log_listening(const struct frontend *fe,
	    int (*sock_fd)(const struct frontend *, int), const char *each,
	    const char *more);

#endif
