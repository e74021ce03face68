/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_family.h -- every metric family mmproxyd exposes, declared
 * once: its name, type, labels and help. The counters that feed a family
 * (tcp_stats.h, udp_stats.h) name it here by id, so a family that TCP
 * and UDP share is written once and told apart by its proto label. The
 * man page's METRICS list must name the same families with the same
 * labels (tests/test_metrics_family.c checks it).
 */
#ifndef MMPROXYD_METRICS_FAMILY_H
#define MMPROXYD_METRICS_FAMILY_H

/*
 * X(id, name, type, labels, help), in the order of the exposition.
 * type is COUNTER or GAUGE. labels names every label a sample carries,
 * separated by commas: "listener" (the listening address) comes first
 * on the families counted per listener, and "reason" last on those
 * counted by class (failure_class.h).
 *
 * Those without a listener label are process-wide gauges, not counters
 * of a front end: metrics_render.c writes their samples by hand. Every
 * other family is fed by the rows of the counter tables that name it.
 */
#define METRICS_FAMILIES(X)						\
	X(BUILD_INFO, "mmproxyd_build_info", GAUGE, "version",		\
	    "Always 1; the version label says which mmproxyd runs.")	\
	X(START_TIME, "mmproxyd_start_time_seconds", GAUGE, "",		\
	    "When mmproxyd started, in seconds since the Unix epoch.")	\
	X(RETURN_ROUTE_OK, "mmproxyd_return_route_ok", GAUGE, "target",	\
	    "1 while replies from the backend address to spoofed "	\
	    "clients are routed back to mmproxyd (or the backend is "	\
	    "on another host), 0 while a rule or route they need is "	\
	    "missing.")							\
	X(POOL_THREADS, "mmproxyd_pool_threads", GAUGE, "state",	\
	    "Relay threads alive, busy with a connection or idle.")	\
	X(SLOTS_USED, "mmproxyd_connection_slots_used", GAUGE, "",	\
	    "Connection slots taken, proxied or still reading the "	\
	    "header.")							\
	X(SLOTS_LIMIT, "mmproxyd_connection_slots_limit", GAUGE, "",	\
	    "Connection slots in all (-max-conns).")			\
	X(KITS_IN_USE, "mmproxyd_kits_in_use", GAUGE, "",		\
	    "Copy buffers (with their pipe) lent to relays moving "	\
	    "bytes.")							\
	X(PIPES_OPEN, "mmproxyd_pipes_open", GAUGE, "",			\
	    "splice() pipes open, lent or idle.")			\
	X(ACCEPTED, "mmproxyd_connections_accepted_total", COUNTER,	\
	    "listener", "TCP connections accepted.")			\
	X(PROXIED, "mmproxyd_connections_proxied_total", COUNTER,	\
	    "listener", "TCP connections that reached a backend.")	\
	X(ACTIVE, "mmproxyd_connections_active", GAUGE, "listener",	\
	    "Proxied TCP connections open now.")			\
	X(ALLOWLIST_DENIED, "mmproxyd_allowlist_denied_total", COUNTER,	\
	    "listener,proto",						\
	    "Connections (tcp) or datagrams (udp) refused because the "	\
	    "sender is not in -allowed-subnets.")			\
	X(DESTINATIONS_DENIED, "mmproxyd_destinations_denied_total",	\
	    COUNTER, "listener,proto",					\
	    "Connections (tcp) or datagrams (udp) refused because the "	\
	    "destination their header names is not in "			\
	    "-dynamic-destination-allow.")				\
	X(BAD_HEADERS, "mmproxyd_bad_headers_total", COUNTER,		\
	    "listener,proto,reason",					\
	    "Connections (tcp) or datagrams (udp) dropped for a "	\
	    "missing, malformed or unusable PROXY header, by reason.")	\
	X(HEADER_TIMEOUTS, "mmproxyd_header_timeouts_total", COUNTER,	\
	    "listener",							\
	    "TCP connections closed for no complete PROXY header "	\
	    "within -header-timeout.")					\
	X(HEADER_MEMORY, "mmproxyd_header_memory_refused_total",	\
	    COUNTER, "listener",					\
	    "TCP connections closed because the larger headers still "	\
	    "being read held all the memory set aside for them.")	\
	X(BACKEND_FAILURES, "mmproxyd_backend_connect_failures_total",	\
	    COUNTER, "listener,reason",					\
	    "Backend connections that failed, by errno class.")		\
	X(PORT_BUSY, "mmproxyd_client_port_busy_total", COUNTER,	\
	    "listener,outcome",						\
	    "Backend connections whose client address and port were "	\
	    "taken (-client-port-busy), by outcome: waited (our own "	\
	    "connection let them go), fallback (connected from a port "	\
	    "the kernel chose), failed.")				\
	X(PORT_WAIT, "mmproxyd_client_port_wait_seconds_total",		\
	    COUNTER, "listener",					\
	    "Time backend connections spent waiting for one of our "	\
	    "own closing connections to let the client's port go.")	\
	X(TIMED_OUT, "mmproxyd_connections_timed_out_total", COUNTER,	\
	    "listener",							\
	    "Proxied TCP connections ended because a peer went silent "	\
	    "(keepalive or user timeout).")				\
	X(RELAYED_BYTES, "mmproxyd_relayed_bytes_total", COUNTER,	\
	    "listener,direction",					\
	    "Bytes relayed: direction in is client to backend, out is "	\
	    "backend to client.")					\
	X(ACCEPT_ERRORS, "mmproxyd_accept_errors_total", COUNTER,	\
	    "listener,reason",						\
	    "accept() failures that made the listener back off, by "	\
	    "errno class (fd_limit is EMFILE or ENFILE).")		\
	X(COPY_FALLBACKS, "mmproxyd_copy_fallbacks_total", COUNTER,	\
	    "listener",							\
	    "Bulk bursts copied through user space instead of "		\
	    "spliced, because fds were too short for a pipe.")		\
	X(UDP_RECEIVED, "mmproxyd_udp_datagrams_received_total",	\
	    COUNTER, "listener", "Datagrams from the load balancer.")	\
	X(UDP_SENT, "mmproxyd_udp_datagrams_sent_total", COUNTER,	\
	    "listener,peer",						\
	    "Datagrams sent on to a backend, or back to the load "	\
	    "balancer.")						\
	X(UDP_DROPPED, "mmproxyd_udp_datagrams_dropped_total", COUNTER,	\
	    "listener,reason", "Datagrams dropped, by reason.")		\
	X(UDP_FLOWS_ACTIVE, "mmproxyd_udp_flows_active", GAUGE,		\
	    "listener", "Client flows open now.")			\
	X(UDP_FLOWS_OPENED, "mmproxyd_udp_flows_opened_total", COUNTER,	\
	    "listener", "Client flows opened.")				\
	X(UDP_FLOWS_EXPIRED, "mmproxyd_udp_flows_expired_total",	\
	    COUNTER, "listener",					\
	    "Client flows closed after -close-after idle.")		\
	X(UDP_FLOWS_EVICTED, "mmproxyd_udp_flows_evicted_total",	\
	    COUNTER, "listener",					\
	    "Client flows closed to make room under -max-flows.")	\
	X(UDP_FLOWS_MOVED, "mmproxyd_udp_flows_moved_total", COUNTER,	\
	    "listener",							\
	    "Client flows taken over by another load balancer after "	\
	    "theirs sent nothing for them for a second.")

#define METRICS_FAMILY_ENUM(id, name, type, labels, help) METRICS_FAM_##id,
enum metrics_family {
	METRICS_FAM_NONE = -1,		/* a counter only logged */
	METRICS_FAMILIES(METRICS_FAMILY_ENUM)
	METRICS_FAMILY_COUNT
};
#undef METRICS_FAMILY_ENUM

struct metrics_family_desc {
	const char	*name;
	const char	*type;		/* "counter" or "gauge" */
	const char	*labels;
	const char	*help;
};

/* Indexed by enum metrics_family. */
extern const struct metrics_family_desc metrics_families[METRICS_FAMILY_COUNT];

#endif
