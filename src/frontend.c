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
#include "net.h"
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
	const struct sockaddr	*sa = frontend_listen_addr(fe, k);
	char			 buf[ADDR_STRLEN];

	addr_format(sa, buf, sizeof(buf));
	if (errno == EPERM || errno == EACCES)
		fatal("listen on %s (%s) (run as root or grant CAP_NET_ADMIN "
		    "and CAP_NET_BIND_SERVICE)", buf, fe->ops->name);
	/* Often a listener of the other family on the same port. */
	if (errno == EADDRINUSE && fe->env.opts->dual_stack &&
	    addr_is_wildcard(sa))
		fatal("listen on %s (%s, IPv4 and IPv6; -dual-stack=false "
		    "listens on its family alone)", buf, fe->ops->name);
	fatal("listen on %s (%s)", buf, fe->ops->name);
}

/* What the families of net_listen_families() read as in the log. */
static const char *
frontend_families(int families)
{
	switch (families) {
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

void
frontend_log_listening(const struct frontend *fe,
    int (*sock_fd)(const struct frontend *, int), const char *each,
    const char *more)
{
	const struct options		*opts = fe->env.opts;
	const struct options_ports	*l;
	const char			*proto = fe->ops->name;
	const char			*s = opts->listeners == 1 ? "" : "s";
	char				 buf[ADDR_STRLEN + 8];
	int				 i, k = 0, fam;

	for (i = 0; i < opts->listen.n; i++) {
		l = &opts->listen.v[i];
		endpoint_format_ports(l, buf, sizeof(buf));
		/* The -l's first socket says which families it takes. */
		fam = net_listen_families(sock_fd(fe, k));
		k += l->count * opts->listeners;
		if (opts->dual_stack && l->addr.ss_family == AF_INET &&
		    addr_is_wildcard((const struct sockaddr *)&l->addr) &&
		    fam == NET_FAMILY_IPV4)
			log_info("no IPv6 on this host (socket(AF_INET6) is "
			    "not supported): %s takes IPv4 alone", buf);
		if (l->count == 1)
			log_info("listening on %s (%s, %s, %d %s%s%s)", buf,
			    proto, frontend_families(fam), opts->listeners,
			    each, s, more);
		else
			log_info("listening on %s (%s, %s, %d ports, %d %s%s "
			    "each%s)", buf, proto, frontend_families(fam),
			    l->count, opts->listeners, each, s, more);
	}
}
