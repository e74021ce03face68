/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * selfcheck.h -- startup checks that turn "the first connection fails" into
 * one clear message: may we spoof, and do the backend's replies to spoofed
 * clients come back to us.
 */
#ifndef MMPROXYD_SELFCHECK_H
#define MMPROXYD_SELFCHECK_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/* Routing table that the advice names, as in the go-mmproxy docs. */
#define SELFCHECK_TABLE		123

/* A backend's address, IPv4-mapped IPv6 turned into IPv4. */
struct selfcheck_addr {
	int		family;
	size_t		len;		/* 4 or 16 */
	unsigned char	a[16];
};

/*
 * The address the backend's replies come from: sa's, unmapped, with
 * 0.0.0.0 and :: read as the loopback address a connect to them reaches
 * (pure). Returns 0, or -1 with errno EAFNOSUPPORT.
 */
int	selfcheck_addr_of(const struct sockaddr *sa,
	    struct selfcheck_addr *out);

/*
 * Can a socket of family (AF_INET or AF_INET6) take IP_TRANSPARENT or
 * IPV6_TRANSPARENT? Returns 0, or -1 with errno set and a message in err
 * (on EPERM it says to run as root or grant CAP_NET_ADMIN).
 */
int	selfcheck_transparent(int family, char *err, size_t errlen);

/*
 * Would a reply from backend to a client address that is not ours (what the
 * backend sees once we spoof) be delivered locally, back to us? Asks the
 * kernel over rtnetlink, like "ip route get 192.0.2.1 from BACKEND" (or
 * "ip -6 route get 2001:db8::1 from BACKEND"), and wants a local route.
 * Returns 1 when it would, and also when backend is not an address of this
 * host (another host's routing is not ours to check, e.g. with -mark);
 * 0 when it would not, with the commands that fix it in advice; -1 with
 * errno set when the check could not be made.
 */
int	selfcheck_return_route(const struct sockaddr *backend, char *advice,
	    size_t len);
/*
 * The same, and when it returns 1 for a backend of this host, the table
 * that delivers the replies (RTA_TABLE of the kernel's answer) in *table;
 * 0 there otherwise.
 */
int	selfcheck_return_table(const struct sockaddr *backend, char *advice,
	    size_t len, int *table);

/*
 * The commands that route replies from backend to any client back to this
 * host: a rule for 127.0.0.1/8 or ::1/128 (loopback backends) or for the
 * backend's own address/32 or /128, and a local default route in table
 * SELFCHECK_TABLE; separated by "; " (pure).
 */
void	selfcheck_route_advice(const struct sockaddr *backend, char *advice,
	    size_t len);
/* Its two halves for any table: the rule, and the route (pure). */
void	selfcheck_rule_cmd(const struct sockaddr *backend, int table,
	    char *cmd, size_t len);
void	selfcheck_route_cmd(const struct sockaddr *backend, int table,
	    char *cmd, size_t len);

#endif
