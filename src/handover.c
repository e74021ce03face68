/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * handover.c -- the hand-over's environment variable and the matching of
 * inherited sockets to endpoints (pure: no I/O).
 *
 * The old generation lists its listening sockets by descriptor; the new
 * one asks the kernel what each is (upgrade.c) and matches them here to
 * the sockets its own options want, by type, family, address and port.
 * The descriptors are all the variable carries: a socket's identity comes
 * from the kernel, so a variable that lies can at worst name descriptors
 * the new generation then refuses.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "handover.h"

/* Append to buf at *off; -1 once it no longer fits. */
static int
handover_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= len)
		return (-1);
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return (-1);
	*off += (size_t)n;
	return (0);
}

int
handover_env_format(char *buf, size_t len, const struct handover_env *e)
{
	size_t	off = 0, i, j;

	if (len > HANDOVER_ENV_MAX)
		len = HANDOVER_ENV_MAX;
	if (handover_append(buf, len, &off, "%s ppid=%ld chan=%d",
	    HANDOVER_VERSION, (long)e->parent, e->chan) == -1)
		goto toolong;
	if (e->pidfile != -1 && handover_append(buf, len, &off,
	    " pidfile=%d", e->pidfile) == -1)
		goto toolong;
	if (handover_append(buf, len, &off, " fds=") == -1)
		goto toolong;
	for (i = 0; i < e->nfds; i = j) {
		/* A run of consecutive descriptors is one range. */
		for (j = i + 1; j < e->nfds && e->fds[j - 1] != INT_MAX &&
		    e->fds[j] == e->fds[j - 1] + 1; j++)
			;
		if (handover_append(buf, len, &off, i == 0 ? "%d" : ",%d",
		    e->fds[i]) == -1)
			goto toolong;
		if (j - i > 1 && handover_append(buf, len, &off, "-%d",
		    e->fds[j - 1]) == -1)
			goto toolong;
	}
	return ((int)off);
toolong:
	errno = ENAMETOOLONG;
	return (-1);
}

/* A decimal number in [min, INT_MAX] at *p, which moves past it. */
static int
handover_number(const char **p, long min, long *out)
{
	const char	*s = *p;
	long		 v = 0;

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return (-1);
	}
	if (v < min)
		return (-1);
	*p = s;
	*out = v;
	return (0);
}

static int
handover_int_cmp(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return (x < y ? -1 : x > y);
}

/* No descriptor twice, none that is chan or pidfile. */
static int
handover_distinct(const struct handover_env *e, char *err, size_t errlen)
{
	int	*sorted;
	size_t	 i;

	for (i = 0; i < e->nfds; i++) {
		if (e->fds[i] == e->chan || e->fds[i] == e->pidfile) {
			snprintf(err, errlen, "descriptor %d listed twice",
			    e->fds[i]);
			return (-1);
		}
	}
	if (e->nfds < 2)
		return (0);
	if ((sorted = malloc(e->nfds * sizeof(*sorted))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	memcpy(sorted, e->fds, e->nfds * sizeof(*sorted));
	qsort(sorted, e->nfds, sizeof(*sorted), handover_int_cmp);
	for (i = 1; i < e->nfds; i++) {
		if (sorted[i] == sorted[i - 1]) {
			snprintf(err, errlen, "descriptor %d listed twice",
			    sorted[i]);
			free(sorted);
			return (-1);
		}
	}
	free(sorted);
	return (0);
}

/* "A-B,C,..." up to the end of the token. */
static int
handover_parse_fds(const char **p, struct handover_env *e, int *fds,
    size_t max, char *err, size_t errlen)
{
	long	a, b, fd;

	e->fds = fds;
	e->nfds = 0;
	while (**p != '\0' && **p != ' ') {
		if (e->nfds != 0 && *(*p)++ != ',')
			goto bad;
		if (handover_number(p, 3, &a) == -1)
			goto bad;
		b = a;
		if (**p == '-') {
			(*p)++;
			if (handover_number(p, a, &b) == -1)
				goto bad;
		}
		if ((size_t)(b - a) >= max - e->nfds) {
			snprintf(err, errlen, "more than %zu descriptors",
			    max);
			return (-1);
		}
		for (fd = a; fd <= b; fd++)
			fds[e->nfds++] = (int)fd;
	}
	return (0);
bad:
	snprintf(err, errlen, "bad descriptor list");
	return (-1);
}

int
handover_env_parse(const char *s, struct handover_env *e, int *fds,
    size_t max, char *err, size_t errlen)
{
	const char	*p = s;
	long		 v;
	int		 seen_fds = 0;

	memset(e, 0, sizeof(*e));
	e->parent = -1;
	e->chan = e->pidfile = -1;
	if (strncmp(p, HANDOVER_VERSION " ", strlen(HANDOVER_VERSION) + 1)
	    != 0) {
		snprintf(err, errlen, "not version " HANDOVER_VERSION ": "
		    "\"%.32s\"", s);
		return (-1);
	}
	p += strlen(HANDOVER_VERSION) + 1;
	while (*p != '\0') {
		if (strncmp(p, "ppid=", 5) == 0 && e->parent == -1) {
			p += 5;
			if (handover_number(&p, 2, &v) == -1)
				goto bad;
			e->parent = (pid_t)v;
		} else if (strncmp(p, "chan=", 5) == 0 && e->chan == -1) {
			p += 5;
			if (handover_number(&p, 3, &v) == -1)
				goto bad;
			e->chan = (int)v;
		} else if (strncmp(p, "pidfile=", 8) == 0 &&
		    e->pidfile == -1) {
			p += 8;
			if (handover_number(&p, 3, &v) == -1)
				goto bad;
			e->pidfile = (int)v;
		} else if (strncmp(p, "fds=", 4) == 0 && !seen_fds) {
			p += 4;
			seen_fds = 1;
			if (handover_parse_fds(&p, e, fds, max, err,
			    errlen) == -1)
				return (-1);
		} else
			goto bad;
		if (*p == ' ' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	if (e->parent == -1 || e->chan == -1 || !seen_fds) {
		snprintf(err, errlen, "ppid=, chan= or fds= missing");
		return (-1);
	}
	if (e->chan == e->pidfile) {
		snprintf(err, errlen, "descriptor %d listed twice", e->chan);
		return (-1);
	}
	return (handover_distinct(e, err, errlen));
bad:
	snprintf(err, errlen, "bad field at \"%.32s\"", p);
	return (-1);
}

/*
 * Is s free, of this type and bound to addr? With dual_stack, 0.0.0.0:P
 * was bound as [::]:P (net_listen), and the kernel names it so.
 */
static int
handover_fits(const struct handover_sock *s, int type,
    const struct sockaddr *addr, int dual_stack)
{
	const struct sockaddr	*bound = (const struct sockaddr *)&s->addr;

	if (s->taken || s->type != type)
		return (0);
	if (addr_equal(bound, addr))
		return (1);
	return (dual_stack && addr->sa_family == AF_INET &&
	    bound->sa_family == AF_INET6 && addr_is_wildcard(addr) &&
	    addr_is_wildcard(bound) && addr_port(addr) == addr_port(bound));
}

int
handover_take(struct handover_set *set, int type,
    const struct sockaddr *addr, int dual_stack)
{
	size_t	k;

	/* All before next are taken: the first fit is at or after it. */
	for (k = set->next; k < set->n; k++)
		if (handover_fits(&set->v[k], type, addr, dual_stack))
			break;
	if (k == set->n)
		return (-1);
	set->v[k].taken = 1;
	while (set->next < set->n && set->v[set->next].taken)
		set->next++;
	return (set->v[k].fd);
}
