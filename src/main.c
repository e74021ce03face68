/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * main.c -- startup order (parse, check privileges, bind, start threads),
 * the signal loop, and orderly shutdown.
 *
 * What serves the listening sockets is a front end (frontend.h: TCP or
 * UDP, as -p says); this file drives them in order and never looks
 * inside. The main thread owns them. Signals are blocked in every
 * thread and taken here with sigwaitinfo (sigtimedwait while draining or
 * upgrading), so no handler ever runs concurrently with the relays.
 *
 * SIGUSR2 is the hot upgrade (upgrade.c): a new generation starts with
 * our listening sockets; once it is ready we stop accepting, without
 * shutdown() on the sockets it now shares, and drain. A process that an
 * upgrade started takes the sockets it inherited at open time, binds
 * fresh ones for endpoints that are new, and closes the rest.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "checkmode.h"
#include "destallow.h"
#include "endpoint.h"
#include "frontend.h"
#include "handover.h"
#include "listfiles.h"
#include "log.h"
#include "metrics.h"
#include "monotonic.h"
#include "options.h"
#include "pidfile.h"
#include "privdrop.h"
#include "route_watch.h"
#include "sdnotify.h"
#include "upgrade.h"
#include "upgrade_inherit.h"

#define MAIN_ABORT_WAIT_MS	2000	/* after the grace period */
#define MAIN_DRAIN_POLL_MS	100
#define MAIN_UPGRADE_POLL_MS	20	/* while a new generation starts */
/* How long systemd may take to read MAINPID= before we go on. */
#define MAIN_BARRIER_MS		5000

static struct options	 opts;
/* One per listening port; there are nendpoints x -listeners sockets. */
static struct endpoint	*endpoints;
static size_t		 nendpoints;
static struct allowlist	 allow;
/* What serves the sockets, as -p says. */
static struct frontend	*fes[FRONTEND_MAX];
static size_t		 nfes;
/* A hot upgrade's new generation: what it inherited, from whom. */
static struct handover_set inherited;
static pid_t		 parent_gen;
static int		 pidfile_fd = -1;

/* Raise the soft fd limit to the hard one; returns the limit in force. */
static rlim_t
main_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE to %llu",
			    (unsigned long long)rl.rlim_max);
		else
			return (rl.rlim_max);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (rl.rlim_cur);
}

static void
main_log_stats(const char *when)
{
	size_t	i;

	for (i = 0; i < nfes; i++)
		fes[i]->ops->log_counters(fes[i], when);
}

/* What every front end still serves. */
static size_t
main_in_flight(void)
{
	size_t	i, n = 0;

	for (i = 0; i < nfes; i++)
		n += fes[i]->ops->in_flight(fes[i]);
	return (n);
}

/*
 * Wait up to ms for everything in flight to end. SIGHUP and SIGUSR1 are
 * served meanwhile without shortening the wait; a second SIGTERM or
 * SIGINT ends it. Returns 0 when none is left, else -1.
 */
static int
main_wait_drained(long ms, const sigset_t *sigs)
{
	struct timespec	slice;
	siginfo_t	info;
	long long	deadline, left;
	int		sig;

	deadline = (long long)monotonic_ms() + ms;
	while (main_in_flight() != 0) {
		if ((left = deadline - (long long)monotonic_ms()) <= 0)
			return (-1);
		/* Polled: the last relay gives its slot back on its own. */
		if (left > MAIN_DRAIN_POLL_MS)
			left = MAIN_DRAIN_POLL_MS;
		slice.tv_sec = 0;
		slice.tv_nsec = left * 1000000L;
		sig = sigtimedwait(sigs, &info, &slice);
		if (sig == SIGUSR1)
			main_log_stats("counters");
		else if (sig == SIGHUP)
			listfiles_reload(&opts, &allow);
		else if (sig == SIGUSR2)
			log_warnx("SIGUSR2: stopping, no upgrade now");
		else if (sig == SIGTERM || sig == SIGINT) {
			log_info("second signal: closing now");
			return (-1);
		}
	}
	return (0);
}

/*
 * Returns the exit status. shared: another generation serves from our
 * listening sockets (we handed over, or never took over), so they are
 * left as they are, and systemd and the pidfile are the other
 * generation's.
 */
static int
main_shutdown(const sigset_t *sigs, int shared)
{
	size_t	i, left = 0;
	int	status = 0;

	if (!shared && sdnotify("STOPPING=1") == -1)
		log_warn("sd_notify STOPPING=1");
	if (pidfile_fd != -1 && shared)
		(void)close(pidfile_fd);
	else if (pidfile_fd != -1)
		pidfile_remove(opts.pidfile, pidfile_fd, getpid());
	pidfile_fd = -1;
	for (i = 0; i < nfes; i++)
		fes[i]->ops->stop(fes[i], shared);
	if (main_wait_drained((long)opts.shutdown_timeout_ms, sigs) == -1) {
		left = main_in_flight();
		log_info("closing %zu connection%s still open", left,
		    left == 1 ? "" : "s");
		for (i = 0; i < nfes; i++)
			fes[i]->ops->abort(fes[i]);
		(void)main_wait_drained(MAIN_ABORT_WAIT_MS, sigs);
	}
	metrics_stop();		/* served the drain; now it goes */
	/* Joined first: the exit line counts the threads' last work too. */
	for (i = 0; i < nfes; i++)
		if (fes[i]->ops->join(fes[i]) == -1)
			status = 1;
	main_log_stats("exit");
	left = 0;
	for (i = 0; i < nfes; i++)
		left += fes[i]->ops->free(fes[i]);
	/* What still runs reads the endpoints and the destination list. */
	if (left == 0) {
		destallow_free();
		free(endpoints);
	}
	route_watch_stop();	/* after metrics_stop: it reads the list */
	allowlist_free(&allow);
	log_info("stopped");
	return (status);
}

/*
 * Every listening socket, for a new generation to inherit: each front
 * end's in socket order (the copies of a port side by side, the order in
 * which the new generation takes them), then the metrics socket.
 * Returns an array to free(), or NULL.
 */
static struct handover_sock *
main_listening_socks(size_t *n)
{
	struct handover_sock	*v;
	size_t			 i, k = 0;

	for (i = 0; i < nfes; i++)
		k += (size_t)fes[i]->nsocks;
	if ((v = calloc(k + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0, k = 0; i < nfes; i++) {
		fes[i]->ops->listen_socks(fes[i], &v[k]);
		k += (size_t)fes[i]->nsocks;
	}
	if (metrics_handover_sock(&v[k]))
		k++;
	*n = k;
	return (v);
}

/* SIGUSR2: start a new generation, unless one is starting already. */
static void
main_upgrade_begin(void)
{
	struct handover_sock	*v;
	char			 err[512];
	size_t			 n;

	if (upgrade_child() != 0) {
		log_warnx("SIGUSR2: an upgrade is in progress already (new "
		    "generation pid %ld): ignored", (long)upgrade_child());
		return;
	}
	/*
	 * No separate check of the options first: the new generation is
	 * that check (it parses them, reads the files and binds what is
	 * new), and until it says it is ready this one serves on. Wrappers
	 * that want a readable verdict first run the binary's own check
	 * mode before they send SIGUSR2.
	 */
	if ((v = main_listening_socks(&n)) == NULL) {
		log_warnx("SIGUSR2: cannot upgrade: out of memory; this "
		    "generation serves on");
		return;
	}
	if (upgrade_start(v, n, pidfile_fd, err, sizeof(err)) == -1)
		log_warnx("SIGUSR2: cannot upgrade: %s; this generation "
		    "serves on", err);
	else
		log_info("SIGUSR2: upgrading: new generation pid %ld from %s, "
		    "%zu listening socket%s handed over", (long)upgrade_child(),
		    upgrade_exe(), n, n == 1 ? "" : "s");
	free(v);
}

/*
 * The new generation is ready: let go. The front ends first: UDP's
 * threads stop reading the sockets, so that no client's datagrams are
 * split between generations; the new one reads them from then on, and
 * ours relay the replies still due to their flows for a moment. Then it
 * is told to go on, and systemd (MAINPID=, sent by us: with
 * NotifyAccess=main only the main process may) and the pidfile learn its
 * pid. Returns 0, or -1 when it vanished before it took over: we serve
 * on.
 */
static int
main_handover(void)
{
	pid_t	 child = upgrade_child();
	char	 state[64];
	size_t	 i;
	int	 taken;

	log_info("upgrade: pid %ld is ready, handing over", (long)child);
	for (i = 0; i < nfes; i++)
		fes[i]->ops->hand_off(fes[i]);
	taken = upgrade_commit() == 0;
	if (!taken)
		log_warnx("upgrade: pid %ld went away before it took over; "
		    "this generation serves on", (long)child);
	for (i = 0; i < nfes; i++)
		fes[i]->ops->hand_off_end(fes[i], taken);
	if (!taken)
		return (-1);
	(void)snprintf(state, sizeof(state), "MAINPID=%ld", (long)child);
	if (sdnotify(state) == -1)
		log_warn("sd_notify %s", state);
	else if (sdnotify_barrier(MAIN_BARRIER_MS) == -1)
		log_warn("sd_notify BARRIER=1 after %s", state);
	if (pidfile_fd != -1 && pidfile_write(pidfile_fd, child) == -1)
		log_warn("-pidfile %s", opts.pidfile);
	metrics_stop();
	log_info("upgrade: pid %ld serves now; this generation drains and "
	    "exits", (long)child);
	return (0);
}

/*
 * The signal loop. Returns 1 once a new generation took over, 0 on
 * SIGTERM or SIGINT.
 */
static int
main_serve(const sigset_t *sigs)
{
	struct timespec	slice = { 0, MAIN_UPGRADE_POLL_MS * 1000000L };
	siginfo_t	info;
	char		err[512];
	int		sig;

	for (;;) {
		/* A starting new generation is polled between signals. */
		if (upgrade_child() != 0)
			sig = sigtimedwait(sigs, &info, &slice);
		else
			sig = sigwaitinfo(sigs, &info);
		if (sig == -1 && errno != EINTR && errno != EAGAIN)
			fatal("sigwaitinfo");
		if (sig == SIGUSR1)
			main_log_stats("counters");
		else if (sig == SIGHUP)
			listfiles_reload(&opts, &allow);
		else if (sig == SIGUSR2)
			main_upgrade_begin();
		else if (sig == SIGTERM || sig == SIGINT) {
			if (upgrade_child() != 0)
				log_info("stopping: the upgrade to pid %ld is "
				    "abandoned", (long)upgrade_child());
			upgrade_abandon();
			return (0);
		}
		switch (upgrade_poll(err, sizeof(err))) {
		case UPGRADE_READY:
			if (main_handover() == 0)
				return (1);
			break;
		case UPGRADE_FAILED:
			log_warnx("SIGUSR2: upgrade failed: %s; this "
			    "generation serves on", err);
			break;
		default:
			break;
		}
	}
}

/* Inherited sockets that no endpoint wanted: their ports are not ours. */
static void
main_release_inherited(void)
{
	char	buf[ADDR_STRLEN];
	size_t	i;

	for (i = 0; i < inherited.n; i++) {
		if (inherited.v[i].taken)
			continue;
		log_info("upgrade: closing the inherited socket on %s (%s): "
		    "no option asks for it", addr_format((struct sockaddr *)
		    &inherited.v[i].addr, buf, sizeof(buf)),
		    inherited.v[i].type == SOCK_STREAM ? "tcp" : "udp");
		(void)close(inherited.v[i].fd);
	}
	free(inherited.v);
	memset(&inherited, 0, sizeof(inherited));
}

/*
 * The front ends, each bound (or handed its inherited sockets), before
 * privileges are dropped.
 */
static void
main_open_frontends(rlim_t nofile)
{
	struct frontend_env	env = { .opts = &opts,
				    .endpoints = endpoints,
				    .nendpoints = nendpoints, .allow = &allow,
				    .nofile = (size_t)nofile };
	size_t			i;

	nfes = frontend_new_all(&env, fes);
	for (i = 0; i < nfes; i++)
		fes[i]->ops->open(fes[i], &inherited);
}

/* -pidfile: ours, or the one the old generation keeps for us. */
static void
main_open_pidfile(int fd)
{
	if (opts.pidfile == NULL) {
		if (fd != -1)
			(void)close(fd);
		return;
	}
	if ((pidfile_fd = fd) == -1 &&
	    (pidfile_fd = pidfile_open(opts.pidfile, getpid())) == -1)
		fatal("-pidfile %s", opts.pidfile);
}

int
main(int argc, char *argv[])
{
	char		 err[512];
	sigset_t	 sigs;
	rlim_t		 nofile;
	uint64_t	 kept = 0;
	size_t		 i;
	int		 rc, fd, inherit;

	/* Before anything could replace the binary: where to find it. */
	upgrade_init(argv);
	/*
	 * Started by an upgrade? First of all, so that any exit from here
	 * on (bad options, files) tells the old generation its status.
	 */
	inherit = upgrade_inherit(&inherited, &fd, &parent_gen, err,
	    sizeof(err));

	switch (options_parse(argc, argv, &opts, stdout, err, sizeof(err))) {
	case OPTIONS_OK:
		break;
	case OPTIONS_EXIT:
		return (0);
	case OPTIONS_ERROR:
		fprintf(stderr, "mmproxyd: %s (see mmproxyd -h)\n", err);
		return (2);
	}
	if (opts.check_only)
		return (checkmode_run(&opts, stdout, stderr));
	if ((endpoints = endpoint_expand(&opts, &nendpoints, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mmproxyd: %s (see mmproxyd -h)\n", err);
		return (2);
	}
	if (allowlist_init(&allow, opts.allowed_subnets_path, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mmproxyd: -allowed-subnets %s\n", err);
		return (2);
	}
	if (destallow_init(opts.dynamic_destination_allow_path, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mmproxyd: -dynamic-destination-allow %s\n",
		    err);
		return (2);
	}
	/* What no retry would mend: exit 2, which systemd does not retry. */
	if (checkmode_start(&opts, nendpoints, stderr) != 0)
		return (2);
	log_init(opts.verbosity);
	log_set_format(opts.log_format == OPTIONS_LOG_JSON ? LOG_FORMAT_JSON :
	    LOG_FORMAT_TEXT);
	if (inherit == -1)
		fatalx("upgrade: %s", err);
	if (parent_gen != 0)
		log_info("upgrade: started by pid %ld with %zu listening "
		    "socket%s", (long)parent_gen, inherited.n,
		    inherited.n == 1 ? "" : "s");
	main_open_pidfile(fd);

	/*
	 * Blocked before any socket is open: a SIGHUP or SIGTERM sent as
	 * soon as the port answers waits for the signal loop instead of
	 * killing the daemon (under valgrind that window was wide enough
	 * for a test's first SIGHUP). Threads inherit the mask, so only
	 * the main thread ever takes these signals.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	if ((rc = pthread_sigmask(SIG_BLOCK, &sigs, NULL)) != 0)
		fatalx("pthread_sigmask: %s", strerror(rc));

	/* splice() into a closed socket raises SIGPIPE: take EPIPE instead. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	nofile = main_raise_nofile();
	/* The return routes: warned about now, watched from here on. */
	if (route_watch_init(&opts) == -1)
		fatal("out of memory");
	listfiles_warn(&opts);
	main_open_frontends(nofile);
	metrics_open(&opts, opts.metrics.ss_family == AF_UNSPEC ? -1 :
	    handover_take(&inherited, SOCK_STREAM,
	    (struct sockaddr *)&opts.metrics, opts.dual_stack));
	main_release_inherited();
	/* Bound now: the rest runs unprivileged, before any thread exists. */
	if (opts.user != NULL && privdrop_to_user(opts.user, &kept, err,
	    sizeof(err)) == -1)
		fatalx("-user %s: %s", opts.user, err);
	if (opts.user != NULL && (kept & PRIVDROP_WANT) != PRIVDROP_WANT)
		log_warnx("-user %s: CAP_NET_BIND_SERVICE was not there to "
		    "keep: clients with a source port below 1024 cannot be "
		    "spoofed", opts.user);
	if (opts.user != NULL)
		listfiles_check_readable(&opts);

	for (i = 0; i < nfes; i++)
		fes[i]->ops->start(fes[i], parent_gen != 0);
	if ((rc = route_watch_start()) != 0)
		fatalx("route watch: pthread_create: %s", strerror(rc));
	/*
	 * Started by an upgrade: the old generation is still in charge (and
	 * systemd's main process) until it lets go.
	 */
	if (parent_gen != 0) {
		if (upgrade_ready(err, sizeof(err)) == -1) {
			log_warnx("upgrade: %s: stopping", err);
			(void)main_shutdown(&sigs, 1);
			return (1);
		}
		for (i = 0; i < nfes; i++)
			fes[i]->ops->go(fes[i]);
		log_info("upgrade: took over from pid %ld", (long)parent_gen);
	}
	metrics_start(&(struct metrics_sources){ .fe = fes, .n = nfes });
	if (parent_gen == 0 && sdnotify("READY=1") == -1)
		log_warn("sd_notify READY=1");

	rc = main_serve(&sigs);
	return (main_shutdown(&sigs, rc));
}
