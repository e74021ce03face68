/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * addr.c -- socket addresses: "HOST:PORT" in, "HOST:PORT" out, and the
 * small comparisons the rest of the daemon needs.
 *
 * Only addr_parse() may block: a host name is resolved once, at startup.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* A host name: letters, digits, dots, dashes and underscores only. */
static int
addr_is_hostname(const char *h)
{
	const char	*p;

	if (*h == '\0' || *h == '.' || *h == '-')
		return (0);
	for (p = h; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_'))
			return (0);
	}
	return (1);
}

/* Decimal 0..65535, digits only: no sign, no spaces, no trailing bytes. */
static int
addr_parse_port(const char *p)
{
	long	v = 0;

	if (*p == '\0')
		return (-1);
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		v = v * 10 + (*p - '0');
		if (v > 65535)
			return (-1);
	}
	return ((int)v);
}

int
addr_parse(const char *s, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	char		 host[256];
	const char	*colon, *hend, *hbeg;
	struct addrinfo	 hints, *res = NULL, *pick;
	struct in_addr	 v4;
	size_t		 hlen;
	int		 port, rc, bracketed = 0;

	if (s[0] == '[') {
		if ((hend = strchr(s, ']')) == NULL) {
			snprintf(err, errlen, "\"%s\": missing ']'", s);
			return (-1);
		}
		hbeg = s + 1;
		colon = hend + 1;
		if (*colon != ':') {
			snprintf(err, errlen, "\"%s\": missing port", s);
			return (-1);
		}
		bracketed = 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			snprintf(err, errlen, "\"%s\": missing port", s);
			return (-1);
		}
		hbeg = s;
		hend = colon;
		/* "2001:db8::1:80" cannot be split safely: ask for brackets. */
		if (memchr(s, ':', colon - s) != NULL) {
			snprintf(err, errlen,
			    "\"%s\": IPv6 address needs brackets", s);
			return (-1);
		}
	}
	hlen = hend - hbeg;
	if (hlen == 0) {
		snprintf(err, errlen, "\"%s\": missing host", s);
		return (-1);
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "\"%s\": host too long", s);
		return (-1);
	}
	memcpy(host, hbeg, hlen);
	host[hlen] = '\0';
	if ((port = addr_parse_port(colon + 1)) == -1) {
		snprintf(err, errlen, "\"%s\": bad port", s);
		return (-1);
	}
	if (!bracketed && !addr_is_hostname(host)) {
		snprintf(err, errlen, "\"%s\": bad host", s);
		return (-1);
	}
	/*
	 * getaddrinfo() takes inet_aton() forms like "127.1" and sends
	 * "300.1.1.1" to DNS; a host of digits and dots must be a dotted quad.
	 */
	if (!bracketed && strspn(host, "0123456789.") == hlen &&
	    inet_pton(AF_INET, host, &v4) != 1) {
		snprintf(err, errlen, "\"%s\": bad IPv4 address", s);
		return (-1);
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* Brackets hold a literal; never send one to DNS. */
	hints.ai_flags = bracketed ? AI_NUMERICHOST : 0;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "\"%s\": %s", s, gai_strerror(rc));
		return (-1);
	}
	/* Prefer IPv4, as Go's resolver does, so "localhost" means the same. */
	for (pick = res; pick != NULL && pick->ai_family != AF_INET;
	    pick = pick->ai_next)
		;
	if (pick == NULL)
		pick = res;
	if (pick->ai_addrlen > sizeof(*ss) || (pick->ai_family != AF_INET &&
	    pick->ai_family != AF_INET6)) {
		snprintf(err, errlen, "\"%s\": unsupported address", s);
		freeaddrinfo(res);
		return (-1);
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	freeaddrinfo(res);
	addr_set_port(ss, port);
	return (0);
}

/* Go's net.Listen reads an empty host as every address of both families. */
int
addr_parse_listen(const char *s, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	struct sockaddr_in6	*sin6 = (void *)ss;
	int			 port;

	/* "::1:80" is an unbracketed IPv6 address: addr_parse says so. */
	if (s[0] != ':' || s[1] == ':')
		return (addr_parse(s, ss, err, errlen));
	if ((port = addr_parse_port(s + 1)) == -1) {
		snprintf(err, errlen, "\"%s\": bad port", s);
		return (-1);
	}
	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_any;
	sin6->sin6_port = htons((uint16_t)port);
	return (0);
}

const char *
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char	ip[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%d", ip, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		/* An IPv4 peer on a dual-stack socket, shown as Go does. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ip,
			    sizeof(ip));
			snprintf(buf, len, "%s:%d", ip,
			    ntohs(sin6->sin6_port));
			break;
		}
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%d", ip, ntohs(sin6->sin6_port));
		break;
	}
	default:
		snprintf(buf, len, "(family %d)", sa->sa_family);
		break;
	}
	return (buf);
}

void
addr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6	*sin6 = (void *)ss;
	struct sockaddr_in	 sin;

	if (ss->ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

socklen_t
addr_len(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return (sizeof(struct sockaddr_in));
	case AF_INET6:
		return (sizeof(struct sockaddr_in6));
	default:
		return (0);
	}
}

/* The port in host order, or -1 for a family without one. */
int
addr_port(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return (ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port));
	case AF_INET6:
		return (ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port));
	default:
		return (-1);
	}
}

void
addr_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port =
		    htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port =
		    htons((uint16_t)port);
}

int
addr_is_wildcard(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return (((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr == htonl(INADDR_ANY));
	case AF_INET6:
		return (IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr));
	default:
		return (0);
	}
}

/* Flow labels are ignored; a scope id tells link-local addresses apart. */
int
addr_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return (0);
	switch (a->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return (x->sin_addr.s_addr == y->sin_addr.s_addr);
	}
	case AF_INET6: {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return (x->sin6_scope_id == y->sin6_scope_id &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0);
	}
	default:
		return (0);
	}
}

int
addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	return (addr_same_host(a, b) && addr_port(a) == addr_port(b));
}
