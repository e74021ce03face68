/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * main.c -- startup order (parse, check privileges, bind, start threads),
 * the signal loop, and orderly shutdown.
 *
 * The main thread owns the listeners and the pool. Signals are blocked in
 * every thread and taken here with sigwaitinfo (sigtimedwait while
 * draining), so no handler ever runs concurrently with the relays.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
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
#include "destallow.h"
#include "duration.h"
#include "endpoint.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
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
 * (4 KiB in JSON) and libc's formatting below it; copy buffers and pipes come
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
#define MAIN_MAX_FLOWS_DEFAULT	65536	/* per UDP socket */
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
/* One per listening port; there are nendpoints x -listeners sockets. */
static struct endpoint	*endpoints;
static size_t		 nendpoints;
static int		 nsockets;
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

	by_fds = budget_conns_by_fds((size_t)nofile, MAIN_KITS_IDLE,
	    (size_t)nsockets * BUDGET_FDS_PER_TCP_LISTENER);
	by_tasks = budget_conns_by_tasks(tasks, (size_t)nsockets);
	*fit = by_fds < by_tasks ? by_fds : by_tasks;
	n = opts.max_conns != 0 ? (size_t)opts.max_conns :
	    MAIN_MAX_CONNS_DEFAULT;
	if (n > by_fds && opts.max_conns != 0)
		log_warnx("-max-conns %d needs about %zu file descriptors "
		    "but the limit is %llu: at most %zu connections fit "
		    "(raise the limit with ulimit -n or LimitNOFILE=)",
		    opts.max_conns, n * BUDGET_FDS_PER_CONN +
		    BUDGET_FD_RESERVE + MAIN_KITS_IDLE * BUDGET_FDS_PER_PIPE +
		    (size_t)nsockets,
		    (unsigned long long)nofile, by_fds);
	if (n > by_tasks)
		log_warnx("%s%zu needs %zu threads but the task limit "
		    "(TasksMax=, the cgroup's pids.max or ulimit -u) leaves "
		    "%zu: %s %zu connections (raise TasksMax= to %zu)",
		    opts.max_conns != 0 ? "-max-conns " : "default -max-conns ",
		    n, n * BUDGET_TASKS_PER_CONN, tasks,
		    opts.max_conns != 0 ? "at most" : "capped at", by_tasks,
		    n * BUDGET_TASKS_PER_CONN + BUDGET_TASK_RESERVE +
		    (size_t)nsockets);
	if (opts.max_conns != 0)
		return (n);
	return (n < *fit ? n : *fit);
}

/*
 * -max-flows, or as many as the fd limit allows (at most
 * MAIN_MAX_FLOWS_DEFAULT per socket), so that a full table evicts its
 * least recently active flow instead of failing new ones with EMFILE.
 * With -listen-transparent a flow may hold a reply socket as well.
 */
static int
main_max_flows(rlim_t nofile)
{
	size_t	per_flow = opts.listen_transparent ? 2 : 1;
	size_t	socks = (size_t)nsockets, fit;

	fit = budget_flows_by_fds((size_t)nofile, socks, per_flow);
	if (opts.max_flows == 0) {
		if (fit >= MAIN_MAX_FLOWS_DEFAULT)
			return (MAIN_MAX_FLOWS_DEFAULT);
		log_info("default -max-flows %d lowered to %zu by the fd "
		    "limit of %llu (LimitNOFILE=%zu or ulimit -n %zu "
		    "allows all)", MAIN_MAX_FLOWS_DEFAULT, fit,
		    (unsigned long long)nofile,
		    budget_fds_for_flows(MAIN_MAX_FLOWS_DEFAULT, socks,
		    per_flow), budget_fds_for_flows(MAIN_MAX_FLOWS_DEFAULT,
		    socks, per_flow));
		return ((int)fit);
	}
	if ((size_t)opts.max_flows > fit)
		log_warnx("-max-flows %d on %zu socket%s needs about %zu file "
		    "descriptors but the limit is %llu: new flows will fail "
		    "with EMFILE past about %zu per socket (raise "
		    "LimitNOFILE= or ulimit -n to %zu, or lower -max-flows "
		    "to %zu or 0 for the default)", opts.max_flows, socks,
		    socks == 1 ? "" : "s", budget_fds_for_flows(
		    (size_t)opts.max_flows, socks, per_flow),
		    (unsigned long long)nofile, fit, budget_fds_for_flows(
		    (size_t)opts.max_flows, socks, per_flow), fit);
	return (opts.max_flows);
}

/*
 * Every listening socket holds fds and a thread of its own from the start:
 * refuse to start when they leave no room for a single connection.
 */
static void
main_check_budget(rlim_t nofile)
{
	size_t	need;

	switch (budget_listeners_fit((size_t)nofile, budget_tasks(),
	    (size_t)nsockets, opts.proto == IPPROTO_UDP ?
	    BUDGET_FDS_PER_UDP_LISTENER : BUDGET_FDS_PER_TCP_LISTENER,
	    &need)) {
	case BUDGET_SHORT_FDS:
		fatalx("%d listening socket%s need at least %zu file "
		    "descriptors but the limit is %llu (raise it with "
		    "ulimit -n or LimitNOFILE=)", nsockets,
		    nsockets == 1 ? "" : "s", need, (unsigned long long)nofile);
		break;
	case BUDGET_SHORT_TASKS:
		fatalx("%d listening socket%s need a thread each, at least "
		    "%zu in all, more than the task limit leaves (raise "
		    "TasksMax=, the cgroup's pids.max or ulimit -u)", nsockets,
		    nsockets == 1 ? "" : "s", need);
		break;
	}
}

/*
 * Fail at startup, not on the first connection, when we may not spoof; and
 * warn when replies to spoofed clients would not come back to us, the most
 * common reason a deployment of this kind of proxy "times out".
 */
static void
main_check_route(const struct sockaddr_storage *target)
{
	char	buf[ADDR_STRLEN], err[512];

	addr_format((const struct sockaddr *)target, buf, sizeof(buf));
	switch (selfcheck_return_route((const struct sockaddr *)target, err,
	    sizeof(err))) {
	case 0:
		log_warnx("replies from %s to spoofed clients will not "
		    "come back to mmproxyd; run mmproxyd-routing up, or add "
		    "the routes: %s", buf, err);
		break;
	case -1:
		log_warn("cannot check the return route for %s", buf);
		break;
	}
}

/*
 * -dynamic-destination lets whoever can send a header choose where we
 * connect. Unbounded stays the default, as in go-mmproxy, whose setups
 * must keep working unchanged; say so at every start instead.
 */
static void
main_check_destinations(void)
{
	if (opts.dynamic_destination && destallow_path() == NULL)
		log_warnx("-dynamic-destination without "
		    "-dynamic-destination-allow: a header may send mmproxyd "
		    "to any address and port this host can reach (give a "
		    "file of the destination subnets to allow)");
	else if (!opts.dynamic_destination && destallow_path() != NULL)
		log_warnx("-dynamic-destination-allow %s has no effect "
		    "without -dynamic-destination", destallow_path());
}

/*
 * After -user: SIGHUP re-reads the lists as the new user, so a file only
 * root may read (or a directory it cannot enter) would make every reload
 * fail long after startup. Try now and say what to change.
 */
static void
main_check_readable(const char *flag, const char *path)
{
	int	fd;

	if (path == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s %s cannot be read as -user %s, so SIGHUP cannot "
		    "reload it (let that user read the file and enter its "
		    "directories, e.g. chmod 0644 %s)", flag, path, opts.user,
		    path);
		return;
	}
	(void)close(fd);
}

static void
main_selfcheck(void)
{
	char	err[512];
	int	i, fam, seen4 = 0, seen6 = 0;

	/* Once per family among the -l addresses. */
	for (i = 0; i < opts.listen.n; i++) {
		fam = opts.listen.v[i].addr.ss_family;
		if (fam == AF_INET ? seen4++ : seen6++)
			continue;
		if (selfcheck_transparent(fam, err, sizeof(err)) == -1)
			fatalx("%s", err);
	}
	/* With -mark the replies are steered by the mark, elsewhere. */
	if (opts.mark != 0 || opts.dynamic_destination)
		return;
	/* The route depends on the address alone: one check per -4, -6. */
	for (i = 0; i < opts.target4.n; i++)
		main_check_route(&opts.target4.v[i].addr);
	for (i = 0; i < opts.target6.n; i++)
		main_check_route(&opts.target6.v[i].addr);
}

/* What the families of net_listen_families() read as in the log. */
static const char *
main_families(int fd)
{
	switch (net_listen_families(fd)) {
	case NET_FAMILY_IPV4:
		return ("IPv4");
	case NET_FAMILY_IPV6:
		return ("IPv6");
	case NET_FAMILY_IPV4 | NET_FAMILY_IPV6:
		return ("IPv4 and IPv6");
	default:
		return ("families unknown");
	}
}

/*
 * "listening on" for the i-th -l: one line for a range, not per port,
 * saying which families its first socket, fd, takes. A dual-stack
 * 0.0.0.0 that got IPv4 alone says why.
 */
static void
main_log_listening(int i, const char *proto, int fd)
{
	const struct options_ports	*l = &opts.listen.v[i];
	const char			*what = proto[0] == 't' ? "listener" :
					    "socket";
	const char			*fam = main_families(fd);
	char				 buf[ADDR_STRLEN + 8], flows[48] = "";

	endpoint_format_ports(l, buf, sizeof(buf));
	if (opts.dual_stack && l->addr.ss_family == AF_INET &&
	    addr_is_wildcard((const struct sockaddr *)&l->addr) &&
	    net_listen_families(fd) == NET_FAMILY_IPV4)
		log_info("no IPv6 on this host (socket(AF_INET6) is not "
		    "supported): %s takes IPv4 alone", buf);
	if (proto[0] == 'u')
		(void)snprintf(flows, sizeof(flows), ", up to %d flows each",
		    opts.max_flows);
	if (l->count == 1)
		log_info("listening on %s (%s, %s, %d %s%s%s)", buf, proto,
		    fam, opts.listeners, what, opts.listeners == 1 ? "" : "s",
		    flows);
	else
		log_info("listening on %s (%s, %s, %d ports, %d %s%s each%s)",
		    buf, proto, fam, l->count, opts.listeners, what,
		    opts.listeners == 1 ? "" : "s", flows);
}

/* The first socket of the i-th -l: its first port's first copy. */
static int
main_first_socket(int i)
{
	int	j, e = 0;

	for (j = 0; j < i; j++)
		e += opts.listen.v[j].count;
	return (e * opts.listeners);
}

/* Fail on the port that could not be bound: the others close on exit. */
static void
main_bind_failed(int k, const char *proto)
{
	const struct sockaddr	*sa;
	char			 buf[ADDR_STRLEN];

	sa = (const struct sockaddr *)&endpoints[k / opts.listeners].listen;
	addr_format(sa, buf, sizeof(buf));
	if (errno == EPERM || errno == EACCES)
		fatal("listen on %s (%s) (run as root or grant CAP_NET_ADMIN "
		    "and CAP_NET_BIND_SERVICE)", buf, proto);
	/* Often a listener of the other family on the same port. */
	if (errno == EADDRINUSE && opts.dual_stack && addr_is_wildcard(sa))
		fatal("listen on %s (%s, IPv4 and IPv6; -dual-stack=false "
		    "listens on its family alone)", buf, proto);
	fatal("listen on %s (%s)", buf, proto);
}

/* Socket k listens on endpoint k / -listeners: copies sit side by side. */
static void
main_open_listeners(void)
{
	int	i, k;

	if ((listeners = calloc((size_t)nsockets, sizeof(*listeners))) == NULL)
		fatal("calloc");
	for (k = 0; k < nsockets; k++)
		if (listener_open(&listeners[k], k, &opts,
		    &endpoints[k / opts.listeners], &pool, &kits,
		    &allow) == -1)
			main_bind_failed(k, "tcp");
	for (i = 0; i < opts.listen.n; i++)
		main_log_listening(i, "tcp",
		    listeners[main_first_socket(i)].fd);
}

/* -p udp: every socket is bound before any flow thread starts. */
static void
main_open_udp(void)
{
	const struct sockaddr	*sa;
	char			 buf[ADDR_STRLEN];
	int			 i, k, got;

	if ((udp_flows = calloc((size_t)nsockets, sizeof(*udp_flows))) ==
	    NULL || (udp_fds = calloc((size_t)nsockets,
	    sizeof(*udp_fds))) == NULL)
		fatal("calloc");
	for (k = 0; k < nsockets; k++) {
		sa = (struct sockaddr *)&endpoints[k / opts.listeners].listen;
		addr_format(sa, buf, sizeof(buf));
		udp_fds[k] = net_listen(sa, SOCK_DGRAM, NET_LISTEN_REUSEPORT |
		    (opts.listen_transparent ? NET_LISTEN_TRANSPARENT : 0) |
		    (opts.dual_stack ? NET_LISTEN_DUAL_STACK : 0));
		if (udp_fds[k] == -1)
			main_bind_failed(k, "udp");
		/* The kernel reports twice what it counts as payload. */
		if ((got = net_grow_rcvbuf(udp_fds[k], MAIN_UDP_RCVBUF)) == -1)
			log_warn("%s (udp): receive buffer", buf);
		else if (k == 0 && got / 2 < MAIN_UDP_RCVBUF)
			log_info("%s (udp): receive buffer %d KiB (%d asked)",
			    buf, got / 2 / 1024, MAIN_UDP_RCVBUF / 1024);
	}
	for (i = 0; i < opts.listen.n; i++)
		main_log_listening(i, "udp", udp_fds[main_first_socket(i)]);
	log_info("udp: up to %d flows per socket", opts.max_flows);
}

static void
main_start_udp(void)
{
	int	i, rc;

	for (i = 0; i < nsockets; i++)
		if ((rc = udp_flow_start(&opts, &endpoints[i / opts.listeners],
		    &allow, i, udp_fds[i], &udp_flows[i])) != 0)
			fatalx("udp flow thread: %s", strerror(rc));
}

/* Returns -1 when a flow thread stopped on an error of its own. */
static int
main_shutdown_udp(void)
{
	int	i, rc = 0;

	for (i = 0; i < nsockets; i++)
		udp_flow_stop(udp_flows[i]);
	/* Joined first: the exit line counts the thread's last work too. */
	for (i = 0; i < nsockets; i++) {
		if (udp_flow_join(udp_flows[i]) == -1)
			rc = -1;
		udp_flow_log_stats(udp_flows[i], "exit");
		udp_flow_free(udp_flows[i]);
	}
	free(udp_flows);
	free(udp_fds);
	free(endpoints);
	return (rc);
}

/* SIGHUP: new connections see the new list; a bad file keeps the old. */
static void
main_reload(void)
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

	for (i = 0; i < nsockets; i++) {
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
		metrics_stop();
		if (main_shutdown_udp() == -1)
			status = 1;
		destallow_free();
		goto out;
	}
	for (i = 0; i < nsockets; i++) {
		atomic_store(&listeners[i].stopping, 1);
		(void)shutdown(listeners[i].fd, SHUT_RDWR);
	}
	pool_stop(&pool);
	for (i = 0; i < nsockets; i++)
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
		for (i = 0; i < nsockets; i++)
			listener_abort_conns(&listeners[i]);
		(void)main_wait_conns(MAIN_ABORT_WAIT_MS, sigs);
	}
	metrics_stop();		/* served the drain; now it goes */
	main_log_stats("exit");
	for (i = 0; i < nsockets; i++)
		listener_close(&listeners[i]);
	/*
	 * A relay still running reaches its listener's list, the pool and
	 * the kits: free them only when none is left. Otherwise exit with
	 * them in place; the kernel closes what the relays held.
	 */
	if ((left = pool_conns(&pool)) == 0) {
		for (i = 0; i < nsockets; i++)
			tcp_shared_destroy(&listeners[i].sh);
		pool_destroy(&pool);
		kit_pool_destroy(&kits);
		destallow_free();
		free(listeners);
		listeners = NULL;
		free(endpoints);
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
	if ((endpoints = endpoint_expand(&opts, &nendpoints, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mmproxyd: %s (see mmproxyd -h)\n", err);
		return (2);
	}
	/* Both at most 1,024: the product fits an int. */
	nsockets = (int)nendpoints * opts.listeners;
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
	log_init(opts.verbosity);
	log_set_format(opts.log_format == OPTIONS_LOG_JSON ? LOG_FORMAT_JSON :
	    LOG_FORMAT_TEXT);

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
	main_check_budget(nofile);
	max_conns = opts.proto == IPPROTO_TCP ?
	    main_max_conns(nofile, budget_tasks(), &fit) : 0;
	/* Set before any thread starts: opts is read-only from then on. */
	if (opts.proto == IPPROTO_UDP)
		opts.max_flows = main_max_flows(nofile);
	main_selfcheck();
	main_check_destinations();

	if (opts.proto == IPPROTO_UDP)
		main_open_udp();
	else {
		if (pool_init(&pool, max_conns, MAIN_STACK_SIZE) == -1 ||
		    kit_pool_init(&kits, MAIN_KITS_IDLE, MAIN_PIPE_SIZE,
		    budget_pipes((size_t)nofile - (size_t)nsockets,
		    max_conns)) == -1)
			fatal("out of memory");
		main_open_listeners();
	}
	metrics_open(&opts);
	/* Bound now: the rest runs unprivileged, before any thread exists. */
	if (opts.user != NULL && privdrop_to_user(opts.user, &kept, err,
	    sizeof(err)) == -1)
		fatalx("-user %s: %s", opts.user, err);
	if (opts.user != NULL && (kept & PRIVDROP_WANT) != PRIVDROP_WANT)
		log_warnx("-user %s: CAP_NET_BIND_SERVICE was not there to "
		    "keep: clients with a source port below 1024 cannot be "
		    "spoofed", opts.user);
	if (opts.user != NULL) {
		main_check_readable("-allowed-subnets",
		    opts.allowed_subnets_path);
		main_check_readable("-dynamic-destination-allow",
		    destallow_path());
	}

	/*
	 * TCP: every thread made from here on inherits SCHED_BATCH, so a
	 * relay woken by a few bytes waits for the running task's turn to
	 * end instead of preempting it (the backend, often on the same
	 * CPUs). Measured in bench/README.md: far fewer switches and more
	 * throughput when CPUs are shared; a little more latency when the
	 * proxy's own CPU is saturated. UDP's flow threads gain nothing.
	 */
	if (opts.proto == IPPROTO_TCP && opts.sched_batch &&
	    sched_setscheduler(0, SCHED_BATCH,
	    &(struct sched_param){ .sched_priority = 0 }) == -1)
		log_warn("SCHED_BATCH (threads keep the normal policy)");
	if (opts.proto == IPPROTO_UDP) {
		main_start_udp();
		log_info("ready (fd limit %llu)", (unsigned long long)nofile);
	} else {
		for (i = 0; i < nsockets; i++)
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
	metrics_start(&(struct metrics_sources){ .proto = opts.proto,
	    .n = nsockets, .endpoints = endpoints,
	    .per_endpoint = opts.listeners, .tcp = listeners,
	    .udp = udp_flows, .pool = &pool, .kits = &kits });
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
