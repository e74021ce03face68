/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * selfcheck.c -- startup checks: IP_TRANSPARENT, and the policy routing
 * that brings the backend's replies to spoofed clients back to us.
 *
 * The route check asks the kernel (RTM_GETROUTE) the question the kernel
 * itself asks when the backend answers: an output lookup from the backend's
 * address to a client address that is not ours. The kernel runs output
 * lookups with iif lo, so the usual "ip rule ... iif lo" applies. We do not
 * pass RTA_IIF: that turns the query into an input lookup, where a 127/8
 * source is a martian and IPv4 answers EINVAL whatever the rules say.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "rtnl.h"
#include "selfcheck.h"

#define SELFCHECK_NL_TIMEOUT_MS	2000
#define SELFCHECK_NL_BUFSIZE	8192
/* Stand-ins for a spoofed client: documentation addresses, never ours. */
#define SELFCHECK_CLIENT4	"192.0.2.1"
#define SELFCHECK_CLIENT6	"2001:db8::1"

int
selfcheck_addr_of(const struct sockaddr *sa, struct selfcheck_addr *out)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		out->len = 4;
		memcpy(out->a, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		out->family = AF_INET;
		out->len = 4;
		memcpy(out->a, &sin6->sin6_addr.s6_addr[12], 4);
	} else if (sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		out->len = 16;
		memcpy(out->a, &sin6->sin6_addr, 16);
	} else {
		errno = EAFNOSUPPORT;
		return (-1);
	}
	/* Connecting to 0.0.0.0 or :: reaches loopback; so do the replies. */
	if (out->family == AF_INET && memcmp(out->a, "\0\0\0\0", 4) == 0) {
		out->a[0] = 127;
		out->a[3] = 1;
	} else if (out->family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)out->a))
		out->a[15] = 1;
	return (0);
}

static int
selfcheck_is_loopback(const struct selfcheck_addr *a)
{
	static const unsigned char	lo6[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return (a->a[0] == 127);
	return (memcmp(a->a, lo6, 16) == 0);
}

int
selfcheck_transparent(int family, char *err, size_t errlen)
{
	const char	*opt = family == AF_INET6 ? "IPV6_TRANSPARENT" :
			    "IP_TRANSPARENT";
	int		 fd, saved;

	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		(void)snprintf(err, errlen, "cannot check %s: %s", opt,
		    strerror(errno));
		return (-1);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		saved = errno;
		(void)snprintf(err, errlen, "cannot check %s: socket: %s", opt,
		    strerror(saved));
		errno = saved;
		return (-1);
	}
	if (net_set_transparent(fd, family) == -1) {
		saved = errno;
		if (saved == EPERM || saved == EACCES)
			(void)snprintf(err, errlen, "cannot set %s: %s; run "
			    "mmproxyd as root or grant it CAP_NET_ADMIN", opt,
			    strerror(saved));
		else
			(void)snprintf(err, errlen, "cannot set %s: %s", opt,
			    strerror(saved));
		(void)close(fd);
		errno = saved;
		return (-1);
	}
	return (close(fd));
}

void
selfcheck_rule_cmd(const struct sockaddr *backend, int table, char *cmd,
    size_t len)
{
	struct selfcheck_addr	a;
	char			buf[INET6_ADDRSTRLEN];
	const char		*from;
	int			bits;

	if (len == 0)
		return;
	cmd[0] = '\0';
	if (selfcheck_addr_of(backend, &a) == -1)
		return;
	if (selfcheck_is_loopback(&a)) {
		from = a.family == AF_INET ? "127.0.0.1" : "::1";
		bits = a.family == AF_INET ? 8 : 128;
	} else {
		if (inet_ntop(a.family, a.a, buf, sizeof(buf)) == NULL)
			return;
		from = buf;
		bits = a.family == AF_INET ? 32 : 128;
	}
	(void)snprintf(cmd, len, "ip %srule add from %s/%d iif lo table %d",
	    a.family == AF_INET6 ? "-6 " : "", from, bits, table);
}

void
selfcheck_route_cmd(const struct sockaddr *backend, int table, char *cmd,
    size_t len)
{
	struct selfcheck_addr	a;

	if (len == 0)
		return;
	cmd[0] = '\0';
	if (selfcheck_addr_of(backend, &a) == -1)
		return;
	(void)snprintf(cmd, len, "ip %sroute add local %s dev lo table %d",
	    a.family == AF_INET6 ? "-6 " : "",
	    a.family == AF_INET ? "0.0.0.0/0" : "::/0", table);
}

void
selfcheck_route_advice(const struct sockaddr *backend, char *advice,
    size_t len)
{
	char	rule[128], route[128];

	if (len == 0)
		return;
	advice[0] = '\0';
	selfcheck_rule_cmd(backend, SELFCHECK_TABLE, rule, sizeof(rule));
	selfcheck_route_cmd(backend, SELFCHECK_TABLE, route, sizeof(route));
	if (rule[0] != '\0' && route[0] != '\0')
		(void)snprintf(advice, len, "%s; %s", rule, route);
}

/*
 * One output route lookup for dst, from src when src is not NULL. On an
 * answer returns 0 with the route's type (RTN_LOCAL, RTN_UNICAST...) in
 * *type and its table in *table, or with minus the kernel's error in *type
 * when it found no route (e.g. -ENETUNREACH). Returns -1 with errno set
 * when we could not ask.
 */
static int
selfcheck_route_get(int fd, unsigned int seq, int family, const void *dst,
    const void *src, size_t alen, int *type, int *table)
{
	struct {
		struct nlmsghdr	n;
		struct rtmsg	r;
		char		attrs[2 * RTA_SPACE(16)];
	}			 req;
	struct nlmsghdr		*h;
	struct nlmsgerr		*e;
	struct rtmsg		*r;
	char			 buf[SELFCHECK_NL_BUFSIZE]
				    __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t			 n;
	size_t			 left;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = seq;
	req.r.rtm_family = (unsigned char)family;
	/* Else the answer names the main table, whichever table served. */
	req.r.rtm_flags = RTM_F_LOOKUP_TABLE;
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	rtnl_attr(&req.n, RTA_DST, dst, alen);
	if (src != NULL) {
		req.r.rtm_src_len = (unsigned char)(alen * 8);
		rtnl_attr(&req.n, RTA_SRC, src, alen);
	}
	if (rtnl_send(fd, &req.n) == -1)
		return (-1);

	/* Skip anything that is not the kernel's answer to this seq. */
	for (;;) {
		if ((n = rtnl_recv(fd, buf, sizeof(buf))) == -1)
			return (-1);
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		    h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					goto bad;
				e = NLMSG_DATA(h);
				if (e->error == 0)	/* an ack: no route */
					continue;
				*type = e->error;	/* negative */
				return (0);
			}
			if (h->nlmsg_type != RTM_NEWROUTE ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*r)))
				goto bad;
			r = NLMSG_DATA(h);
			*type = r->rtm_type;
			*table = rtnl_route_table(h);
			return (0);
		}
	}
bad:
	errno = EBADMSG;
	return (-1);
}

/* Kernel answers that say "cannot tell", not "no such route". */
static int
selfcheck_cannot_tell(int error)
{
	return (error == ENOMEM || error == ENOBUFS || error == EAFNOSUPPORT ||
	    error == EPROTONOSUPPORT || error == EOPNOTSUPP);
}

int
selfcheck_return_route(const struct sockaddr *backend, char *advice,
    size_t len)
{
	int	table;

	return (selfcheck_return_table(backend, advice, len, &table));
}

int
selfcheck_return_table(const struct sockaddr *backend, char *advice,
    size_t len, int *table)
{
	struct selfcheck_addr	a;
	unsigned char		client[16];
	int			fd, type, rc = -1, saved;

	*table = 0;
	if (len > 0)
		advice[0] = '\0';
	if (selfcheck_addr_of(backend, &a) == -1)
		return (-1);
	if (inet_pton(a.family, a.family == AF_INET ? SELFCHECK_CLIENT4 :
	    SELFCHECK_CLIENT6, client) != 1) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = rtnl_open(SELFCHECK_NL_TIMEOUT_MS)) == -1)
		return (-1);

	/* Only a backend on this host replies through our routing. */
	if (selfcheck_route_get(fd, 1, a.family, a.a, NULL, a.len,
	    &type, table) == -1)
		goto out;
	if (type < 0 && selfcheck_cannot_tell(-type)) {
		errno = -type;
		goto out;
	}
	if (type != RTN_LOCAL) {
		*table = 0;
		rc = 1;
		goto out;
	}

	if (selfcheck_route_get(fd, 2, a.family, client, a.a, a.len,
	    &type, table) == -1)
		goto out;
	if (type < 0 && selfcheck_cannot_tell(-type)) {
		errno = -type;
		goto out;
	}
	if (type == RTN_LOCAL)
		rc = 1;
	else {
		*table = 0;
		selfcheck_route_advice(backend, advice, len);
		rc = 0;
	}
out:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return (rc);
}
