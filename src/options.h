/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * options.h -- the command line, parsed into one struct that is read-only
 * once the threads start. The allow-list file is only named here;
 * allowlist.c reads it, at startup and on SIGHUP.
 */
#ifndef MMPROXYD_OPTIONS_H
#define MMPROXYD_OPTIONS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdio.h>

#define OPTIONS_DEFAULT_LISTEN		"0.0.0.0:8443"
#define OPTIONS_DEFAULT_TARGET4		"127.0.0.1:443"
#define OPTIONS_DEFAULT_TARGET6		"[::1]:443"
/* Durations in seconds here, for the help text; milliseconds in use. */
#define OPTIONS_DEFAULT_CLOSE_AFTER	60
#define OPTIONS_DEFAULT_HEADER_TIMEOUT	5
#define OPTIONS_DEFAULT_SHUTDOWN_TIMEOUT	30
/* Like Go's 15 s; a dead peer is let go after 5 x 15 s (net_keepalive). */
#define OPTIONS_DEFAULT_KEEPALIVE	15
#define OPTIONS_MAX_KEEPALIVE_MS	(32767L * 1000)	/* TCP_KEEPIDLE's */
/* 0 means: as many as the fd limit allows, at most 65536 (capacity.h). */
#define OPTIONS_DEFAULT_MAX_FLOWS	0
/* 0 means: as many as the fd and task limits allow (capacity.h). */
#define OPTIONS_DEFAULT_MAX_CONNS	0
#define OPTIONS_DEFAULT_LISTENERS	1
#define OPTIONS_MAX_LISTENERS		1024
#define OPTIONS_MAX_CONNS		1000000
#define OPTIONS_MAX_HEADER_TIMEOUT_MS	(3600L * 1000)
#define OPTIONS_MAX_FLOWS		10000000
#define OPTIONS_LOG_TEXT		0
#define OPTIONS_LOG_JSON		1
/* -client-port-busy: what a connection may do when its port is taken. */
#define OPTIONS_PORT_WAIT		0x1	/* for our own closing one */
#define OPTIONS_PORT_FALLBACK		0x2	/* to a port the kernel picks */
#define OPTIONS_DEFAULT_PORT_BUSY	"wait-fallback"
#define OPTIONS_DEFAULT_PORT_WAIT_MS	100
#define OPTIONS_MAX_PORT_WAIT_MS	(60L * 1000)
/* Small enough to count in milliseconds in an int (or a 32-bit long). */
#define OPTIONS_MAX_DURATION_MS		(2000000L * 1000)
/*
 * -l, -4 and -6 may each be given this many times; the -l ports add up
 * to at most OPTIONS_MAX_PORTS (endpoint.c), one socket and thread each.
 */
#define OPTIONS_MAX_ADDRS		64
#define OPTIONS_MAX_PORTS		1024

/* One -l, -4 or -6 value: "ADDR:PORT", or "ADDR:FIRST-LAST" for a range. */
struct options_ports {
	struct sockaddr_storage	 addr;	/* with the first port */
	int			 count;	/* ports from there, >= 1 */
};

/* Every value of one of those flags, in the order given. */
struct options_addrs {
	struct options_ports	 v[OPTIONS_MAX_ADDRS];
	int			 n;	/* >= 1: the default if not given */
};

struct options {
	struct options_addrs	 listen;
	int			 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	struct options_addrs	 target4;	/* one, or one per -l */
	struct options_addrs	 target6;
	int			 listeners;	/* >= 1, per port */
	unsigned int		 mark;		/* 0 = unset */
	const char		*allowed_subnets_path;	/* NULL = all */
	int			 dynamic_destination;
	/* NULL = any destination the header names */
	const char		*dynamic_destination_allow_path;
	int			 listen_transparent;
	/*
	 * A wildcard -l takes both families, as Go's does: 0.0.0.0 binds a
	 * dual-stack [::] where the host has IPv6. 0: each its own family.
	 */
	int			 dual_stack;
	long long		 close_after_ms;	/* UDP idle time */
	int			 verbosity;	/* 0, 1, 2 */
	int			 max_conns;	/* 0 = from the limits */
	long long		 header_timeout_ms;
	long long		 keepalive_ms;	/* 0 = off; in whole seconds */
	int			 max_flows;	/* 0 = from the fd limit */
	long long		 shutdown_timeout_ms;	/* 0 = none */
	int			 sched_batch;	/* TCP threads SCHED_BATCH */
	const char		*user;		/* NULL = stay as started */
	const char		*pidfile;	/* NULL = none */
	int			 log_format;	/* OPTIONS_LOG_TEXT or _JSON */
	struct sockaddr_storage	 metrics;	/* AF_UNSPEC = off */
	int			 client_port_busy;	/* OPTIONS_PORT_* */
	long long		 client_port_wait_ms;	/* >= 1 */
	int			 check_only;	/* -t: check, do not serve */
};

enum options_result {
	OPTIONS_OK,		/* run */
	OPTIONS_EXIT,		/* --help or --version printed: exit 0 */
	OPTIONS_ERROR		/* err says why: exit non-zero */
};

/*
 * Fill cfg from argv. Flags take one or two dashes, and "-flag value" or
 * "-flag=value". Durations are read by duration_parse(). Help and version
 * text go to out. cfg owns no memory: nothing to free.
 */
enum options_result options_parse(int argc, char *argv[], struct options *cfg,
		    FILE *out, char *err, size_t errlen);

#endif
