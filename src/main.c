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
 * draining or upgrading), so no handler ever runs concurrently with the
 * relays.
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
#include "checkmode.h"
#include "destallow.h"
#include "duration.h"
#include "endpoint.h"
#include "fd_gauge.h"
#include "handover.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "monotonic.h"
#include "net.h"
#include "kit_pool.h"
#include "options.h"
#include "pidfile.h"
#include "pool.h"
#include "privdrop.h"
#include "route_watch.h"
#include "sdnotify.h"
#include "udp_flow.h"
#include "upgrade.h"

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
#define MAIN_UPGRADE_POLL_MS	20	/* while a new generation starts */
/* How long systemd may take to read MAINPID= before we go on. */
#define MAIN_BARRIER_MS		5000

static struct options	 opts;
/* One per listening port; there are nendpoints x -listeners sockets. */
static struct endpoint	*endpoints;
static size_t		 nendpoints;
static int		 nsockets;
static struct listener	*listeners;
static struct pool	 pool;
static struct kit_pool	 kits;
static struct fd_gauge	 gauge;		/* fds in use, for the kits' pipes */
static struct allowlist	 allow;
static struct udp_flow	**udp_flows;	/* -p udp: one per socket */
static int		*udp_fds;
static int		 udp_released;	/* handed over: they end alone */
static int		 udp_joined;	/* the flow threads are gone */
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
 * Before the first connection: what is open now (listeners, -metrics,
 * stdio) stays open; pipes may use what connections leave (budget.h).
 * Without /proc, the reserve the default -max-conns assumes.
 */
static void
main_init_fd_gauge(rlim_t nofile, size_t max_conns)
{
	size_t	open_now;

	if (fd_gauge_count_open(&open_now) == -1) {
		log_warn("cannot count open fds in /proc/self/fd, assuming %d",
		    BUDGET_FD_RESERVE + nsockets);
		open_now = BUDGET_FD_RESERVE + (size_t)nsockets;
	}
	fd_gauge_init(&gauge, (size_t)nofile, open_now, (size_t)nsockets,
	    max_conns);
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
		    &endpoints[k / opts.listeners], &pool, &kits, &allow,
		    handover_take(&inherited, SOCK_STREAM, (struct sockaddr *)
		    &endpoints[k / opts.listeners].listen, opts.dual_stack)) ==
		    -1)
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
		/* Inherited: datagrams may be waiting in it already. */
		if ((udp_fds[k] = handover_take(&inherited, SOCK_DGRAM, sa,
		    opts.dual_stack)) == -1 && (udp_fds[k] = net_listen(sa,
		    SOCK_DGRAM, net_share_nth(k % opts.listeners,
		    opts.listeners), (opts.listen_transparent ?
		    NET_LISTEN_TRANSPARENT : 0) | (opts.dual_stack ?
		    NET_LISTEN_DUAL_STACK : 0))) == -1)
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

/* paused: a new generation reads nothing until the old one lets go. */
static void
main_start_udp(int paused)
{
	int	i, rc;

	for (i = 0; i < nsockets; i++)
		if ((rc = udp_flow_start(&opts, &endpoints[i / opts.listeners],
		    &allow, i, udp_fds[i], paused, &udp_flows[i])) != 0)
			fatalx("udp flow thread: %s", strerror(rc));
}

static void
main_resume_udp(void)
{
	int	i;

	for (i = 0; i < nsockets; i++)
		if (udp_flow_resume(udp_flows[i]) == -1)
			fatal("udp %d: epoll_ctl", i);
}

/*
 * Hand over: every flow thread stops reading its listener (and lingers
 * on for its flows' replies). Returns once none reads any more.
 */
static void
main_release_udp(void)
{
	struct timespec	ts = { 0, 1000000L };
	int		i;

	for (i = 0; i < nsockets; i++)
		udp_flow_handover(udp_flows[i]);
	for (i = 0; i < nsockets; i++)
		while (!udp_flow_released(udp_flows[i]))
			(void)nanosleep(&ts, NULL);
	udp_released = 1;
}

/*
 * Stop the flow threads, unless released (they stop once their flows are
 * done), and join them. Returns -1 when one stopped on an error of its
 * own.
 */
static int
main_join_udp(void)
{
	int	i, rc = 0;

	for (i = 0; i < nsockets && !udp_released; i++)
		udp_flow_stop(udp_flows[i]);
	for (i = 0; i < nsockets; i++)
		if (udp_flow_join(udp_flows[i]) == -1)
			rc = -1;
	udp_joined = 1;
	return (rc);
}

/* Returns -1 when a flow thread stopped on an error of its own. */
static int
main_shutdown_udp(void)
{
	int	i, rc = 0;

	/* Joined first: the exit line counts the thread's last work too. */
	if (!udp_joined)
		rc = main_join_udp();
	for (i = 0; i < nsockets; i++) {
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
 * left as they are, the acceptors woken by a signal, and systemd and the
 * pidfile are the other generation's.
 */
static int
main_shutdown(const sigset_t *sigs, int shared)
{
	char	grace[DURATION_STRLEN];
	size_t	left;
	int	i, status = 0;

	if (!shared && sdnotify("STOPPING=1") == -1)
		log_warn("sd_notify STOPPING=1");
	if (pidfile_fd != -1 && shared)
		(void)close(pidfile_fd);
	else if (pidfile_fd != -1)
		pidfile_remove(opts.pidfile, pidfile_fd, getpid());
	pidfile_fd = -1;
	if (opts.proto == IPPROTO_UDP) {
		metrics_stop();
		if (main_shutdown_udp() == -1)
			status = 1;
		destallow_free();
		goto out;
	}
	for (i = 0; i < nsockets; i++) {
		atomic_store(&listeners[i].stopping, 1);
		if (!shared)
			(void)shutdown(listeners[i].fd, SHUT_RDWR);
	}
	pool_stop(&pool);
	for (i = 0; i < nsockets; i++) {
		if (!shared) {
			listener_stop(&listeners[i]);
			continue;
		}
		/* Ours go now; the queue lives on in the other generation. */
		listener_release(&listeners[i]);
		listener_close(&listeners[i]);
	}
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
	size_t			 k;
	int			 i;

	if ((v = calloc((size_t)nsockets + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < nsockets; i++) {
		if (opts.proto == IPPROTO_UDP)
			udp_flow_handover_sock(udp_flows[i], &v[i]);
		else
			listener_handover_sock(&listeners[i], &v[i]);
	}
	k = (size_t)nsockets;
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

/* Copies of the UDP sockets, in case the hand-over fails; or NULL. */
static int *
main_dup_udp(void)
{
	int	*keep, i;

	if ((keep = calloc((size_t)nsockets, sizeof(*keep))) == NULL)
		return (NULL);
	for (i = 0; i < nsockets; i++) {
		if ((keep[i] = fcntl(udp_fds[i], F_DUPFD_CLOEXEC, 0)) != -1)
			continue;
		while (i-- > 0)
			(void)close(keep[i]);
		free(keep);
		return (NULL);
	}
	return (keep);
}

/* The new generation vanished after our UDP threads let go: again. */
static void
main_restart_udp(int *keep)
{
	int	i;

	if (keep == NULL)
		fatalx("upgrade: cannot serve UDP again: its sockets could "
		    "not be kept");
	(void)main_join_udp();
	for (i = 0; i < nsockets; i++) {
		udp_flow_log_stats(udp_flows[i], "upgrade failed");
		udp_flow_free(udp_flows[i]);
		udp_fds[i] = keep[i];
	}
	free(keep);
	udp_joined = udp_released = 0;
	main_start_udp(0);
}

/*
 * The new generation is ready: let go. UDP first: our threads stop
 * reading the listeners, so that no client's datagrams are split between
 * generations; the new one reads them from then on, and ours relay the
 * replies still due to their flows for a moment (udp_flow_handover). Then
 * it is told to go on, and systemd (MAINPID=, sent by us: with
 * NotifyAccess=main only the main process may) and the pidfile learn its
 * pid. Returns 0, or -1 when it vanished before it took over: we serve
 * on.
 */
static int
main_handover(void)
{
	pid_t	 child = upgrade_child();
	char	 state[64];
	int	*keep = NULL, i;

	log_info("upgrade: pid %ld is ready, handing over", (long)child);
	if (opts.proto == IPPROTO_UDP) {
		keep = main_dup_udp();
		main_release_udp();
	}
	if (upgrade_commit() == -1) {
		log_warnx("upgrade: pid %ld went away before it took over; "
		    "this generation serves on", (long)child);
		if (opts.proto == IPPROTO_UDP)
			main_restart_udp(keep);
		return (-1);
	}
	if (keep != NULL) {
		for (i = 0; i < nsockets; i++)
			(void)close(keep[i]);
		free(keep);
	}
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
			main_reload();
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
	size_t		 max_conns, fit = 0;
	uint64_t	 kept = 0;
	int		 i, rc, fd, inherit;

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
	max_conns = opts.proto == IPPROTO_TCP ?
	    main_max_conns(nofile, budget_tasks(), &fit) : 0;
	/* Set before any thread starts: opts is read-only from then on. */
	if (opts.proto == IPPROTO_UDP)
		opts.max_flows = main_max_flows(nofile);
	/* The return routes: warned about now, watched from here on. */
	if (route_watch_init(&opts) == -1)
		fatal("out of memory");
	main_check_destinations();

	if (opts.proto == IPPROTO_UDP)
		main_open_udp();
	else {
		if (pool_init(&pool, max_conns, MAIN_STACK_SIZE) == -1 ||
		    kit_pool_init(&kits, MAIN_KITS_IDLE, MAIN_PIPE_SIZE,
		    &gauge) == -1)
			fatal("out of memory");
		main_open_listeners();
	}
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
		main_start_udp(parent_gen != 0);
		log_info("ready (fd limit %llu)", (unsigned long long)nofile);
	} else {
		main_init_fd_gauge(nofile, max_conns);
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
		if (opts.proto == IPPROTO_UDP)
			main_resume_udp();
		log_info("upgrade: took over from pid %ld", (long)parent_gen);
	}
	metrics_start(&(struct metrics_sources){ .proto = opts.proto,
	    .n = nsockets, .endpoints = endpoints,
	    .per_endpoint = opts.listeners, .tcp = listeners,
	    .udp = udp_flows, .pool = &pool, .kits = &kits });
	if (parent_gen == 0 && sdnotify("READY=1") == -1)
		log_warn("sd_notify READY=1");

	rc = main_serve(&sigs);
	return (main_shutdown(&sigs, rc));
}
