/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * addr.h -- socket address parsing, formatting and comparison (pure).
 */
#ifndef MMPROXYD_ADDR_H
#define MMPROXYD_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/* "[ffff:...:ffff]:65535" plus NUL, rounded up. */
#define ADDR_STRLEN	64

/*
 * Parse "ADDR:PORT", "[V6ADDR]:PORT" or "HOSTNAME:PORT" (resolved now,
 * IPv4 answers first, as Go does) into ss. Returns 0, or -1 with a reason
 * in err.
 */
int	addr_parse(const char *s, struct sockaddr_storage *ss,
	    char *err, size_t errlen);

/*
 * addr_parse() for a listening address, which also takes ":PORT": the
 * IPv6 wildcard [::]:PORT (dual-stack unless -dual-stack=false).
 */
int	addr_parse_listen(const char *s, struct sockaddr_storage *ss,
	    char *err, size_t errlen);

/*
 * "192.0.2.1:80" or "[2001:db8::1]:80" into buf (ADDR_STRLEN bytes); an
 * IPv4-mapped address as the IPv4 one, as Go prints it.
 */
const char *addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into plain IPv4. */
void	addr_unmap(struct sockaddr_storage *ss);

socklen_t addr_len(const struct sockaddr *sa);
int	addr_port(const struct sockaddr *sa);
void	addr_set_port(struct sockaddr_storage *ss, int port);

/* The unspecified address of its family (0.0.0.0 or ::), any port. */
int	addr_is_wildcard(const struct sockaddr *sa);

/* Same family, address and port. */
int	addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Same family and address (and IPv6 scope), whatever the ports. */
int	addr_same_host(const struct sockaddr *a, const struct sockaddr *b);

#endif
