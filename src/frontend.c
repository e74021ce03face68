/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * frontend.c -- which front end -p asks for, and what every front end
 * says the same way: which socket listens where, and why one could not.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>

#include "addr.h"
#include "endpoint.h"
#include "frontend.h"
#include "log.h"
#include "options.h"
#include "tcp_frontend.h"
#include "udp_frontend.h"

static const struct {
	int			  proto;	/* -p */
	const struct frontend_ops *ops;
	struct frontend		*(*create)(const struct frontend_env *);
} frontend_kinds[] = {
	{ IPPROTO_TCP, &tcp_frontend_ops, tcp_frontend_new },
	{ IPPROTO_UDP, &udp_frontend_ops, udp_frontend_new }
};

#define FRONTEND_NKINDS	(sizeof(frontend_kinds) / sizeof(frontend_kinds[0]))
_Static_assert(FRONTEND_NKINDS <= FRONTEND_MAX, "FRONTEND_MAX: one each");

const struct frontend_ops *
frontend_kind(const struct options *opts)
{
	size_t	i;

	for (i = 0; i < FRONTEND_NKINDS; i++)
		if (frontend_kinds[i].proto == opts->proto)
			return (frontend_kinds[i].ops);
	fatalx("-p: no front end for protocol %d", opts->proto);
}

size_t
frontend_new_all(const struct frontend_env *env, struct frontend **v)
{
	size_t	i, n = 0;

	for (i = 0; i < FRONTEND_NKINDS; i++)
		if (frontend_kinds[i].proto == env->opts->proto)
			v[n++] = frontend_kinds[i].create(env);
	return (n);
}

/* Copies of a port sit side by side: socket k is copy k % -listeners. */
const struct sockaddr *
frontend_listen_addr(const struct frontend *fe, int k)
{
	return ((const struct sockaddr *)
	    &fe->env.endpoints[k / fe->env.opts->listeners].listen);
}

/* The others close on exit. */
void
frontend_bind_failed(const struct frontend *fe, int k)
{
	char	buf[ADDR_STRLEN];

	addr_format(frontend_listen_addr(fe, k), buf, sizeof(buf));
	if (errno == EPERM || errno == EACCES)
		fatal("listen on %s (%s) (run as root or grant CAP_NET_ADMIN "
		    "and CAP_NET_BIND_SERVICE)", buf, fe->ops->name);
	fatal("listen on %s (%s)", buf, fe->ops->name);
}

void
frontend_log_listening(const struct frontend *fe, const char *each,
    const char *more)
{
	const struct options		*opts = fe->env.opts;
	const struct options_ports	*l;
	const char			*proto = fe->ops->name;
	const char			*s = opts->listeners == 1 ? "" : "s";
	char				 buf[ADDR_STRLEN + 8];
	int				 i;

	for (i = 0; i < opts->listen.n; i++) {
		l = &opts->listen.v[i];
		endpoint_format_ports(l, buf, sizeof(buf));
		if (l->count == 1)
			log_info("listening on %s (%s, %d %s%s%s)", buf, proto,
			    opts->listeners, each, s, more);
		else
			log_info("listening on %s (%s, %d ports, %d %s%s "
			    "each%s)", buf, proto, l->count, opts->listeners,
			    each, s, more);
	}
}
