/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * options.c -- the command line into one struct options.
 *
 * The flags are go-mmproxy's, with Go's flag package rules, so that
 * mmproxyd can replace it in an existing unit file: one or two dashes,
 * "-flag value" or "-flag=value", booleans only as "-flag" or
 * "-flag=BOOL". Our own flags follow the same rules. Strings stay
 * pointers into argv, which lives as long as the process. Time spans are
 * durations (duration.h): go-mmproxy's -close-after 60 still means 60 s.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "duration.h"
#include "options.h"
#include "options_value.h"

#define OPTIONS_STR(x)	OPTIONS_STR1(x)
#define OPTIONS_STR1(x)	#x

#define OFF(m)	offsetof(struct options, m)

/* In go-mmproxy's order: alphabetical, then our own additions. */
static const struct options_flag options_flags[] = {
	{ "4", OPTIONS_K_ADDR4, OFF(target4), 0, 0, "ADDR:PORT[-PORT]",
	    "IPv4 traffic goes here (default " OPTIONS_DEFAULT_TARGET4 ")" },
	{ "6", OPTIONS_K_ADDR6, OFF(target6), 0, 0, "ADDR:PORT[-PORT]",
	    "IPv6 traffic goes here (default " OPTIONS_DEFAULT_TARGET6 ")" },
	{ "allowed-subnets", OPTIONS_K_STRING, OFF(allowed_subnets_path), 0, 0,
	    "FILE", "accept clients only from these CIDRs (default all)" },
	{ "close-after", OPTIONS_K_DURATION, OFF(close_after_ms), 1,
	    OPTIONS_MAX_DURATION_MS, "DURATION",
	    "drop a UDP flow idle this long (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_CLOSE_AFTER) "s)" },
	{ "dynamic-destination", OPTIONS_K_BOOL, OFF(dynamic_destination), 0, 0,
	    NULL, "dial the header's destination (default false)" },
	{ "l", OPTIONS_K_ADDR, OFF(listen), 0, 0, "ADDR:PORT[-PORT]",
	    "listen here, repeatable (default " OPTIONS_DEFAULT_LISTEN ")" },
	{ "listen-transparent", OPTIONS_K_BOOL, OFF(listen_transparent), 0, 0,
	    NULL, "listen with IP_TRANSPARENT (default false)" },
	{ "listeners", OPTIONS_K_INT, OFF(listeners), 1, OPTIONS_MAX_LISTENERS,
	    "N", "listening sockets sharing the port (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_LISTENERS) ")" },
	{ "mark", OPTIONS_K_MARK, OFF(mark), 0, 0, "N",
	    "fwmark for backend traffic, 0 for none (default 0)" },
	{ "p", OPTIONS_K_PROTO, OFF(proto), 0, 0, "tcp|udp",
	    "protocol to proxy (default tcp)" },
	{ "v", OPTIONS_K_INT, OFF(verbosity), 0, 2, "0|1|2",
	    "log 1 failed or 2 all connections (default 0)" },
	{ "client-port-busy", OPTIONS_K_PORT_BUSY, OFF(client_port_busy), 0, 0,
	    "HOW", "client's port taken: HOW (default "
	    OPTIONS_DEFAULT_PORT_BUSY ")" },
	{ "client-port-wait", OPTIONS_K_DURATION, OFF(client_port_wait_ms), 1,
	    OPTIONS_MAX_PORT_WAIT_MS, "DURATION",
	    "wait at most this long for the port (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_PORT_WAIT_MS) "ms)" },
	{ "dual-stack", OPTIONS_K_BOOL, OFF(dual_stack), 0, 0, NULL,
	    "0.0.0.0 and [::] take IPv4 and IPv6 (default true)" },
	{ "dynamic-destination-allow", OPTIONS_K_STRING,
	    OFF(dynamic_destination_allow_path), 0, 0, "FILE",
	    "only to these CIDRs (default any)" },
	{ "header-timeout", OPTIONS_K_DURATION, OFF(header_timeout_ms), 1,
	    OPTIONS_MAX_HEADER_TIMEOUT_MS, "DURATION",
	    "wait this long for the PROXY header (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_HEADER_TIMEOUT) "s)" },
	{ "keepalive", OPTIONS_K_DURATION, OFF(keepalive_ms), 0,
	    OPTIONS_MAX_KEEPALIVE_MS, "DURATION", "TCP keepalive interval, "
	    "0 = off (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_KEEPALIVE) "s)" },
	{ "log-format", OPTIONS_K_LOG_FORMAT, OFF(log_format), 0, 0,
	    "text|json", "log lines as text or JSON objects (default text)" },
	{ "max-conns", OPTIONS_K_INT, OFF(max_conns), 0, OPTIONS_MAX_CONNS, "N",
	    "connections, 0 = fit the fd/task limits (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_MAX_CONNS) ")" },
	{ "max-flows", OPTIONS_K_INT, OFF(max_flows), 0, OPTIONS_MAX_FLOWS, "N",
	    "UDP flows per socket, 0 = by fd limit (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_MAX_FLOWS) ")" },
	{ "metrics", OPTIONS_K_ONE_ADDR, OFF(metrics), 0, 0, "ADDR:PORT",
	    "serve Prometheus metrics here (default off)" },
	{ "pidfile", OPTIONS_K_STRING, OFF(pidfile), 0, 0, "FILE",
	    "name the serving process here (default none)" },
	{ "sched-batch", OPTIONS_K_BOOL, OFF(sched_batch), 0, 0, NULL,
	    "TCP threads never preempt on wakeup (default true)" },
	{ "shutdown-timeout", OPTIONS_K_DURATION, OFF(shutdown_timeout_ms), 0,
	    OPTIONS_MAX_DURATION_MS, "DURATION",
	    "on SIGTERM wait for connections (default "
	    OPTIONS_STR(OPTIONS_DEFAULT_SHUTDOWN_TIMEOUT) "s)" },
	{ "user", OPTIONS_K_STRING, OFF(user), 0, 0, "NAME",
	    "run as this user once bound (default: as started)" },
	{ "t", OPTIONS_K_BOOL, OFF(check_only), 0, 0, NULL,
	    "check the configuration, do not serve (exit 0 or 2)" },
	{ "h", OPTIONS_K_HELP, 0, 0, 0, NULL, "print this help and exit" },
	{ "help", OPTIONS_K_HELP, 0, 0, 0, NULL, "print this help and exit" },
	{ "version", OPTIONS_K_VERSION, 0, 0, 0, NULL,
	    "print the version and exit" },
};

#define OPTIONS_NFLAGS	(sizeof(options_flags) / sizeof(options_flags[0]))

static void
options_usage(FILE *out)
{
	const struct options_flag	*f;
	char				 left[64];
	size_t				 i;

	fprintf(out, "usage: mmproxyd [flags]\n");
	for (i = 0; i < OPTIONS_NFLAGS; i++) {
		f = &options_flags[i];
		snprintf(left, sizeof(left), "-%s%s%s", f->name,
		    f->arg != NULL ? " " : "", f->arg != NULL ? f->arg : "");
		fprintf(out, "  %-26s %s\n", left, f->help);
	}
	fprintf(out, "DURATION: %s\n", OPTIONS_DURATION_SYNTAX);
	fprintf(out, "HOW: wait (up to -client-port-wait for an earlier "
	    "connection of ours from that\naddress and port to close), "
	    "fallback (to a port the kernel picks on the\nclient's address), "
	    "wait-fallback (both) or fail\n");
	fprintf(out, "-4, -6: one for every -l, or one per -l in order; a "
	    "range as long as its -l's\nor a single port\n");
}

static const struct options_flag *
options_lookup(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < OPTIONS_NFLAGS; i++)
		if (strlen(options_flags[i].name) == len &&
		    strncmp(options_flags[i].name, name, len) == 0)
			return (&options_flags[i]);
	return (NULL);
}

static int
options_defaults(struct options *cfg, char *err, size_t errlen)
{
	char	why[256];

	memset(cfg, 0, sizeof(*cfg));
	/* Numeric literals: no name lookup, so these cannot block or fail. */
	/* Slot 0, n = 0: the first -l (-4, -6) given replaces it. */
	if (addr_parse(OPTIONS_DEFAULT_LISTEN, &cfg->listen.v[0].addr, why,
	    sizeof(why)) == -1 ||
	    addr_parse(OPTIONS_DEFAULT_TARGET4, &cfg->target4.v[0].addr, why,
	    sizeof(why)) == -1 ||
	    addr_parse(OPTIONS_DEFAULT_TARGET6, &cfg->target6.v[0].addr, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "default address: %s", why);
		return (-1);
	}
	cfg->listen.v[0].count = 1;
	cfg->target4.v[0].count = 1;
	cfg->target6.v[0].count = 1;
	cfg->proto = IPPROTO_TCP;
	cfg->listeners = OPTIONS_DEFAULT_LISTENERS;
	cfg->close_after_ms = OPTIONS_DEFAULT_CLOSE_AFTER * 1000LL;
	cfg->max_conns = OPTIONS_DEFAULT_MAX_CONNS;
	cfg->header_timeout_ms = OPTIONS_DEFAULT_HEADER_TIMEOUT * 1000LL;
	cfg->keepalive_ms = OPTIONS_DEFAULT_KEEPALIVE * 1000LL;
	cfg->max_flows = OPTIONS_DEFAULT_MAX_FLOWS;
	cfg->shutdown_timeout_ms = OPTIONS_DEFAULT_SHUTDOWN_TIMEOUT * 1000LL;
	cfg->sched_batch = 1;
	cfg->client_port_busy = OPTIONS_PORT_WAIT | OPTIONS_PORT_FALLBACK;
	cfg->client_port_wait_ms = OPTIONS_DEFAULT_PORT_WAIT_MS;
	cfg->dual_stack = 1;
	return (0);
}

enum options_result
options_parse(int argc, char *argv[], struct options *cfg, FILE *out,
    char *err, size_t errlen)
{
	const struct options_flag	*f;
	const char			*arg, *name, *eq, *v;
	size_t				 nlen;
	int				 i;

	if (options_defaults(cfg, err, errlen) == -1)
		return (OPTIONS_ERROR);

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			/* Go stops at "--"; we take no arguments after it. */
			if (i + 1 < argc) {
				snprintf(err, errlen,
				    "unexpected argument \"%s\"", argv[i + 1]);
				return (OPTIONS_ERROR);
			}
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			snprintf(err, errlen, "unexpected argument \"%s\"", arg);
			return (OPTIONS_ERROR);
		}
		name = arg[1] == '-' ? arg + 2 : arg + 1;
		if (*name == '-' || *name == '=') {
			snprintf(err, errlen, "bad flag syntax: %s", arg);
			return (OPTIONS_ERROR);
		}
		eq = strchr(name, '=');
		nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if ((f = options_lookup(name, nlen)) == NULL) {
			snprintf(err, errlen, "unknown flag -%.*s", (int)nlen,
			    name);
			return (OPTIONS_ERROR);
		}

		switch (f->kind) {
		case OPTIONS_K_HELP:
		case OPTIONS_K_VERSION:
			if (eq != NULL) {
				snprintf(err, errlen, "-%s: takes no value",
				    f->name);
				return (OPTIONS_ERROR);
			}
			if (f->kind == OPTIONS_K_HELP)
				options_usage(out);
			else
				fprintf(out, "mmproxyd %s\n", PACKAGE_VERSION);
			return (OPTIONS_EXIT);
		case OPTIONS_K_BOOL:
			/* A bare boolean never takes the next argument. */
			v = eq != NULL ? eq + 1 : "true";
			break;
		default:
			if (eq != NULL)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				snprintf(err, errlen, "-%s: missing value",
				    f->name);
				return (OPTIONS_ERROR);
			}
			break;
		}
		if (options_value_set(cfg, f, v, err, errlen) == -1)
			return (OPTIONS_ERROR);
	}
	if (cfg->listen.n == 0)
		cfg->listen.n = 1;
	if (cfg->target4.n == 0)
		cfg->target4.n = 1;
	if (cfg->target6.n == 0)
		cfg->target6.n = 1;
	return (OPTIONS_OK);
}
