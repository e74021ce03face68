/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * main.c -- startup order (parse, check privileges, bind, start threads),
 * the signal loop, and orderly shutdown.
 *
 * The main thread owns the listeners and the pool. Signals are blocked in
 * every thread and taken here with sigtimedwait, so no handler ever runs
 * concurrently with the relays.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "budget.h"
#include "duration.h"
#include "listener.h"
#include "log.h"
#include "monotonic.h"
#include "net.h"
#include "kit_pool.h"
#include "options.h"
#include "pool.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "selfcheck.h"
#include "udp_flow.h"

/*
 * Relay threads need little stack: a 256-byte header buffer, a log line
 * (2 KiB) and libc's formatting below it; copy buffers and pipes come
 * from the kit pool. Measured: an idle relay thread touches two pages
 * (8 KiB). 64 KiB leaves ample room, where the default would reserve
 * 8 MiB of address space per thread.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MAIN_STACK_SIZE		(1024 * 1024)	/* sanitizers pad frames */
#else
#define MAIN_STACK_SIZE		(64 * 1024)
#endif
#define MAIN_MAX_CONNS_DEFAULT	10000
#define MAIN_KITS_IDLE		64
/*
 * A UDP listener's receive buffer: the default (about 200 KiB) holds only
 * a couple of hundred small datagrams, so a burst that arrives while the
 * flow thread is off the CPU would be dropped by the kernel.
 */
#define MAIN_UDP_RCVBUF		(4 * 1024 * 1024)
#define MAIN_PIPE_SIZE		(64 * 1024)
#define MAIN_ABORT_WAIT_MS	2000	/* after the grace period */
#define MAIN_DRAIN_POLL_MS	100

static struct options	 opts;
static struct listener	*listeners;
static struct pool	 pool;
static struct kit_pool	 kits;
static struct allowlist	 allow;
static struct udp_flow	**udp_flows;	/* -p udp: one per socket */
static int		*udp_fds;

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

/*
 * -max-conns, or as many as the fd and task limits allow (at most
 * MAIN_MAX_CONNS_DEFAULT); warn when a limit is lower than asked. *fit
 * is what the limits allow, which an explicit -max-conns may exceed.
 */
static size_t
main_max_conns(rlim_t nofile, size_t tasks, size_t *fit)
{
	size_t	by_fds, by_tasks, n;

	by_fds = budget_conns_by_fds((size_t)nofile, MAIN_KITS_IDLE);
	by_tasks = budget_conns_by_tasks(tasks, (size_t)opts.listeners);
	*fit = by_fds < by_tasks ? by_fds : by_tasks;
	n = opts.max_conns != 0 ? (size_t)opts.max_conns :
	    MAIN_MAX_CONNS_DEFAULT;
	if (n > by_fds && opts.max_conns != 0)
		log_warnx("-max-conns %d needs about %zu file descriptors "
		    "but the limit is %llu: at most %zu connections fit "
		    "(raise the limit with ulimit -n or LimitNOFILE=)",
		    opts.max_conns, n * BUDGET_FDS_PER_CONN + BUDGET_FD_RESERVE +
		    MAIN_KITS_IDLE * BUDGET_FDS_PER_PIPE,
		    (unsigned long long)nofile, by_fds);
	if (n > by_tasks)
		log_warnx("%s%zu needs %zu threads but the task limit "
		    "(TasksMax=, the cgroup's pids.max or ulimit -u) leaves "
		    "%zu: %s %zu connections (raise TasksMax= to %zu)",
		    opts.max_conns != 0 ? "-max-conns " : "default -max-conns ",
		    n, n * BUDGET_TASKS_PER_CONN, tasks,
		    opts.max_conns != 0 ? "at most" : "capped at", by_tasks,
		    n * BUDGET_TASKS_PER_CONN + BUDGET_TASK_RESERVE +
		    (size_t)opts.listeners);
	if (opts.max_conns != 0)
		return (n);
	return (n < *fit ? n : *fit);
}

/*
 * Fail at startup, not on the first connection, when we may not spoof; and
 * warn when replies to spoofed clients would not come back to us, the most
 * common reason a deployment of this kind of proxy "times out".
 */
static void
main_selfcheck(void)
{
	const struct sockaddr_storage *targets[] = { &opts.target4,
		    &opts.target6 };
	char	 buf[ADDR_STRLEN], err[512];
	size_t	 i;

	if (selfcheck_transparent(opts.listen.ss_family, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	/* With -mark the replies are steered by the mark, elsewhere. */
	if (opts.mark != 0 || opts.dynamic_destination)
		return;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		addr_format((const struct sockaddr *)targets[i], buf,
		    sizeof(buf));
		switch (selfcheck_return_route(
		    (const struct sockaddr *)targets[i], err, sizeof(err))) {
		case 0:
			log_warnx("replies from %s to spoofed clients will not "
			    "come back to mmproxyd; add the routes: %s", buf,
			    err);
			break;
		case -1:
			log_warn("cannot check the return route for %s", buf);
			break;
		}
	}
}

static void
main_open_listeners(void)
{
	char	buf[ADDR_STRLEN];
	int	i;

	if ((listeners = calloc((size_t)opts.listeners,
	    sizeof(*listeners))) == NULL)
		fatal("calloc");
	addr_format((struct sockaddr *)&opts.listen, buf, sizeof(buf));
	for (i = 0; i < opts.listeners; i++) {
		if (listener_open(&listeners[i], i, &opts, &pool, &kits,
		    &allow) == -1) {
			if (errno == EPERM || errno == EACCES)
				fatal("listen on %s (run as root or grant "
				    "CAP_NET_ADMIN and CAP_NET_BIND_SERVICE)",
				    buf);
			fatal("listen on %s", buf);
		}
	}
	log_info("listening on %s (tcp, %d listener%s)", buf, opts.listeners,
	    opts.listeners == 1 ? "" : "s");
}

/* -p udp: every socket is bound before any flow thread starts. */
static void
main_open_udp(void)
{
	char	buf[ADDR_STRLEN];
	int	i, got;

	if ((udp_flows = calloc((size_t)opts.listeners,
	    sizeof(*udp_flows))) == NULL ||
	    (udp_fds = calloc((size_t)opts.listeners, sizeof(*udp_fds))) == NULL)
		fatal("calloc");
	addr_format((struct sockaddr *)&opts.listen, buf, sizeof(buf));
	for (i = 0; i < opts.listeners; i++) {
		udp_fds[i] = net_listen((struct sockaddr *)&opts.listen,
		    SOCK_DGRAM, 1, opts.listen_transparent);
		if (udp_fds[i] == -1)
			fatal("listen on %s (udp)", buf);
		/* The kernel reports twice what it counts as payload. */
		if ((got = net_grow_rcvbuf(udp_fds[i], MAIN_UDP_RCVBUF)) == -1)
			log_warn("%s (udp): receive buffer", buf);
		else if (i == 0 && got / 2 < MAIN_UDP_RCVBUF)
			log_info("%s (udp): receive buffer %d KiB (%d asked)",
			    buf, got / 2 / 1024, MAIN_UDP_RCVBUF / 1024);
	}
	log_info("listening on %s (udp, %d socket%s, up to %d flows each)",
	    buf, opts.listeners, opts.listeners == 1 ? "" : "s", opts.max_flows);
}

static void
main_start_udp(void)
{
	int	i, rc;

	for (i = 0; i < opts.listeners; i++)
		if ((rc = udp_flow_start(&opts, &allow, i, udp_fds[i],
		    &udp_flows[i])) != 0)
			fatalx("udp flow thread: %s", strerror(rc));
}

/* Returns -1 when a flow thread stopped on an error of its own. */
static int
main_shutdown_udp(void)
{
	int	i, rc = 0;

	for (i = 0; i < opts.listeners; i++)
		udp_flow_stop(udp_flows[i]);
	/* Joined first: the exit line counts the thread's last work too. */
	for (i = 0; i < opts.listeners; i++) {
		if (udp_flow_join(udp_flows[i]) == -1)
			rc = -1;
		udp_flow_log_stats(udp_flows[i], "exit");
		udp_flow_free(udp_flows[i]);
	}
	free(udp_flows);
	free(udp_fds);
	return (rc);
}

/* SIGHUP: new connections see the new list; a bad file keeps the old. */
static void
main_reload(void)
{
	char	err[512];

	if (opts.allowed_subnets_path == NULL) {
		log_info("SIGHUP: no -allowed-subnets file to reload");
		return;
	}
	if (allowlist_reload(&allow, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: keeping the old allow-list: %s", err);
		return;
	}
	log_info("SIGHUP: reloaded %s: %zu subnet%s",
	    opts.allowed_subnets_path, allowlist_size(&allow),
	    allowlist_size(&allow) == 1 ? "" : "s");
}

static void
main_log_stats(const char *when)
{
	int	i;

	for (i = 0; i < opts.listeners; i++) {
		if (opts.proto == IPPROTO_UDP)
			udp_flow_log_stats(udp_flows[i], when);
		else
			listener_log_stats(&listeners[i], when);
	}
}

/*
 * Wait up to ms for every connection to end. SIGHUP and SIGUSR1 are
 * served meanwhile without shortening the wait; a second SIGTERM or
 * SIGINT ends it. Returns 0 when none is left, else -1.
 */
static int
main_wait_conns(long ms, const sigset_t *sigs)
{
	struct timespec	slice;
	siginfo_t	info;
	long long	deadline, left;
	int		sig;

	deadline = (long long)monotonic_ms() + ms;
	while (pool_conns(&pool) != 0) {
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
			main_reload();
		else if (sig == SIGTERM || sig == SIGINT) {
			log_info("second signal: closing now");
			return (-1);
		}
	}
	return (0);
}

/* Returns the exit status. */
static int
main_shutdown(const sigset_t *sigs)
{
	char	grace[DURATION_STRLEN];
	size_t	left;
	int	i, status = 0;

	if (sdnotify("STOPPING=1") == -1)
		log_warn("sd_notify STOPPING=1");
	if (opts.proto == IPPROTO_UDP) {
		if (main_shutdown_udp() == -1)
			status = 1;
		goto out;
	}
	for (i = 0; i < opts.listeners; i++) {
		atomic_store(&listeners[i].stopping, 1);
		(void)shutdown(listeners[i].fd, SHUT_RDWR);
	}
	pool_stop(&pool);
	for (i = 0; i < opts.listeners; i++)
		listener_stop(&listeners[i]);
	/* Acceptors gave their slots back: what is left is in flight. */
	left = pool_conns(&pool);
	log_info("stopping: %zu connection%s in flight, grace %s", left,
	    left == 1 ? "" : "s", duration_format(opts.shutdown_timeout_ms,
	    grace, sizeof(grace)));

	if (main_wait_conns((long)opts.shutdown_timeout_ms, sigs) == -1) {
		left = pool_conns(&pool);
		log_info("closing %zu connection%s still open", left,
		    left == 1 ? "" : "s");
		for (i = 0; i < opts.listeners; i++)
			listener_abort_conns(&listeners[i]);
		(void)main_wait_conns(MAIN_ABORT_WAIT_MS, sigs);
	}
	main_log_stats("exit");
	for (i = 0; i < opts.listeners; i++)
		listener_close(&listeners[i]);
	/*
	 * A relay still running reaches its listener's list, the pool and
	 * the kits: free them only when none is left. Otherwise exit with
	 * them in place; the kernel closes what the relays held.
	 */
	if ((left = pool_conns(&pool)) == 0) {
		for (i = 0; i < opts.listeners; i++)
			tcp_shared_destroy(&listeners[i].sh);
		pool_destroy(&pool);
		kit_pool_destroy(&kits);
		free(listeners);
		listeners = NULL;
	} else
		log_info("exiting with %zu connection%s still closing", left,
		    left == 1 ? "" : "s");
out:
	allowlist_free(&allow);
	log_info("stopped");
	return (status);
}

int
main(int argc, char *argv[])
{
	char		 err[512];
	sigset_t	 sigs;
	siginfo_t	 info;
	rlim_t		 nofile;
	size_t		 max_conns, fit = 0;
	uint64_t	 kept = 0;
	int		 i, rc, sig;

	switch (options_parse(argc, argv, &opts, stdout, err, sizeof(err))) {
	case OPTIONS_OK:
		break;
	case OPTIONS_EXIT:
		return (0);
	case OPTIONS_ERROR:
		fprintf(stderr, "mmproxyd: %s (see mmproxyd -h)\n", err);
		return (2);
	}
	if (allowlist_init(&allow, opts.allowed_subnets_path, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mmproxyd: -allowed-subnets %s\n", err);
		return (2);
	}
	log_init(opts.verbosity);

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
	if ((rc = pthread_sigmask(SIG_BLOCK, &sigs, NULL)) != 0)
		fatalx("pthread_sigmask: %s", strerror(rc));

	/* splice() into a closed socket raises SIGPIPE: take EPIPE instead. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	nofile = main_raise_nofile();
	max_conns = opts.proto == IPPROTO_TCP ?
	    main_max_conns(nofile, budget_tasks(), &fit) : 0;
	if (opts.proto == IPPROTO_UDP && (rlim_t)opts.max_flows *
	    (rlim_t)opts.listeners + BUDGET_FD_RESERVE > nofile)
		log_warnx("-max-flows %d on %d socket%s needs more file "
		    "descriptors than the limit of %llu: new flows will fail "
		    "once it is reached", opts.max_flows, opts.listeners,
		    opts.listeners == 1 ? "" : "s", (unsigned long long)nofile);
	main_selfcheck();

	if (opts.proto == IPPROTO_UDP)
		main_open_udp();
	else {
		if (pool_init(&pool, max_conns, MAIN_STACK_SIZE) == -1 ||
		    kit_pool_init(&kits, MAIN_KITS_IDLE, MAIN_PIPE_SIZE,
		    budget_pipes((size_t)nofile, max_conns)) == -1)
			fatal("out of memory");
		main_open_listeners();
	}
	/* Bound now: the rest runs unprivileged, before any thread exists. */
	if (opts.user != NULL && privdrop_to_user(opts.user, &kept, err,
	    sizeof(err)) == -1)
		fatalx("-user %s: %s", opts.user, err);
	if (opts.user != NULL && (kept & PRIVDROP_WANT) != PRIVDROP_WANT)
		log_warnx("-user %s: CAP_NET_BIND_SERVICE was not there to "
		    "keep: clients with a source port below 1024 cannot be "
		    "spoofed", opts.user);

	/*
	 * TCP: every thread made from here on inherits SCHED_BATCH, so a
	 * relay woken by a few bytes waits for the running task's turn to
	 * end instead of preempting it (the backend, often on the same
	 * CPUs). Measured in bench/README.md: far fewer switches and more
	 * throughput when CPUs are shared; a little more latency when the
	 * proxy's own CPU is saturated. UDP's one thread gains nothing.
	 */
	if (opts.proto == IPPROTO_TCP && opts.sched_batch &&
	    sched_setscheduler(0, SCHED_BATCH,
	    &(struct sched_param){ .sched_priority = 0 }) == -1)
		log_warn("SCHED_BATCH (threads keep the normal policy)");
	if (opts.proto == IPPROTO_UDP) {
		main_start_udp();
		log_info("ready (fd limit %llu)", (unsigned long long)nofile);
	} else {
		for (i = 0; i < opts.listeners; i++)
			if ((rc = listener_start(&listeners[i])) != 0)
				fatalx("pthread_create: %s", strerror(rc));
		if (max_conns > fit)
			log_info("ready: up to %zu connections, but only "
			    "about %zu fit the fd and task limits", max_conns,
			    fit);
		else
			log_info("ready: up to %zu connections (fd limit "
			    "%llu)", max_conns, (unsigned long long)nofile);
	}
	if (sdnotify("READY=1") == -1)
		log_warn("sd_notify READY=1");

	for (;;) {
		sig = sigwaitinfo(&sigs, &info);
		if (sig == -1) {
			if (errno == EINTR)
				continue;
			fatal("sigwaitinfo");
		}
		if (sig == SIGUSR1)
			main_log_stats("counters");
		else if (sig == SIGHUP)
			main_reload();
		else
			break;
	}
	return (main_shutdown(&sigs));
}
