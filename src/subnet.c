/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * subnet.c -- CIDR parsing, the allow-list file, and matching a peer.
 *
 * Lists are short, so matching is a linear scan; it never allocates and
 * never touches errno, since it runs for every accept and UDP datagram.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subnet.h"

/* Clear the bits past prefix so that matching can compare whole bytes. */
static void
subnet_mask(uint8_t *a, int len, int prefix)
{
	int	i;

	for (i = 0; i < len; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else {
			a[i] &= (uint8_t)(0xff << (8 - prefix));
			prefix = 0;
		}
	}
}

/* Whether the first prefix bits of a and net agree. */
static int
subnet_prefix_equal(const uint8_t *a, const uint8_t *net, int prefix)
{
	int	full = prefix / 8, rest = prefix % 8;
	uint8_t	m;

	if (memcmp(a, net, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	m = (uint8_t)(0xff << (8 - rest));
	return ((a[full] & m) == net[full]);
}

int
subnet_parse(const char *s, struct subnet *out)
{
	char		 buf[INET6_ADDRSTRLEN + 1];
	const char	*slash, *p;
	struct subnet	 sn;
	size_t		 alen;
	int		 max, prefix = -1;

	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return (-1);
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	memset(&sn, 0, sizeof(sn));
	if (inet_pton(AF_INET, buf, sn.addr) == 1) {
		sn.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, sn.addr) == 1) {
		sn.family = AF_INET6;
		max = 128;
	} else
		return (-1);

	if (slash == NULL)
		prefix = max;
	else {
		/* At most three digits: no sign, no spaces, no overflow. */
		p = slash + 1;
		if (*p == '\0' || strlen(p) > 3)
			return (-1);
		for (prefix = 0; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return (-1);
			prefix = prefix * 10 + (*p - '0');
		}
		if (prefix > max)
			return (-1);
	}
	/*
	 * Like Go's IPNet: a mapped subnet ("::ffff:10.0.0.0/104") is the
	 * IPv4 one (10.0.0.0/8), since mapped peers count as IPv4.
	 */
	if (sn.family == AF_INET6 && prefix >= 96 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(void *)sn.addr)) {
		memmove(sn.addr, sn.addr + 12, 4);
		memset(sn.addr + 4, 0, 12);
		sn.family = AF_INET;
		prefix -= 96;
		max = 32;
	}
	sn.prefix = prefix;
	/* Like Go's ParseCIDR: "192.0.2.1/24" means 192.0.2.0/24. */
	subnet_mask(sn.addr, max / 8, prefix);
	*out = sn;
	return (0);
}

static int
subnet_list_add(struct subnet_list *l, size_t *cap, const struct subnet *sn)
{
	struct subnet	*v;
	size_t		 ncap;

	if (l->n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if ((v = reallocarray(l->v, ncap, sizeof(*v))) == NULL)
			return (-1);
		l->v = v;
		*cap = ncap;
	}
	l->v[l->n++] = *sn;
	return (0);
}

/* Cut a '#' comment and surrounding blanks off line, in place. */
static char *
subnet_trim(char *line)
{
	char	*p, *end;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n' || end[-1] == '\v' ||
	    end[-1] == '\f'))
		end--;
	*end = '\0';
	return (p);
}

/* On failure out is left as it was, so a reload can keep the old list. */
int
subnet_list_load(const char *path, struct subnet_list *out, char *err,
    size_t errlen)
{
	FILE			*f;
	struct subnet_list	 l = { NULL, 0 };
	struct subnet		 sn;
	char			*line = NULL, *s;
	size_t			 linecap = 0, cap = 0;
	unsigned long		 lineno = 0;
	int			 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	errno = 0;
	while (getline(&line, &linecap, f) != -1) {
		lineno++;
		s = subnet_trim(line);
		if (*s == '\0')
			continue;
		if (subnet_parse(s, &sn) == -1) {
			snprintf(err, errlen, "%s:%lu: bad subnet \"%s\"",
			    path, lineno, s);
			goto out;
		}
		if (subnet_list_add(&l, &cap, &sn) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	/* getline() fails at EOF too; ferror() tells a read error apart. */
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path,
		    strerror(errno != 0 ? errno : EIO));
		goto out;
	}
	*out = l;
	l.v = NULL;
	rc = 0;
out:
	free(l.v);
	free(line);
	fclose(f);
	return (rc);
}

void
subnet_list_free(struct subnet_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
subnet_list_match(const struct subnet_list *l, const struct sockaddr *sa)
{
	const uint8_t	*a6 = NULL, *a4 = NULL;
	size_t		 i;

	if (sa == NULL)
		return (0);
	if (sa->sa_family == AF_INET)
		a4 = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		/*
		 * ::ffff:a.b.c.d is an IPv4 peer on a dual-stack socket,
		 * and only that: ::/0 must not admit it (Go's To4 rule).
		 */
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)
		    (const void *)a6)) {
			a4 = a6 + 12;
			a6 = NULL;
		}
	} else
		return (0);

	for (i = 0; i < l->n; i++) {
		if (l->v[i].family == AF_INET && a4 != NULL &&
		    subnet_prefix_equal(a4, l->v[i].addr, l->v[i].prefix))
			return (1);
		if (l->v[i].family == AF_INET6 && a6 != NULL &&
		    subnet_prefix_equal(a6, l->v[i].addr, l->v[i].prefix))
			return (1);
	}
	return (0);
}
