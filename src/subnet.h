/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * subnet.h -- CIDR parsing and matching (pure, but for reading the file).
 */
#ifndef MMPROXYD_SUBNET_H
#define MMPROXYD_SUBNET_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct subnet {
	int	family;		/* AF_INET or AF_INET6 */
	uint8_t	addr[16];	/* network order, host bits cleared */
	int	prefix;		/* 0..32 or 0..128 */
};

struct subnet_list {
	struct subnet	*v;
	size_t		 n;
};

/*
 * "192.0.2.0/24", "2001:db8::/32", or a bare address (a host). A mapped
 * IPv6 subnet of /96 or longer is stored as the IPv4 one it covers.
 */
int	subnet_parse(const char *s, struct subnet *out);

/*
 * Read one CIDR per line; blanks and '#' comments are ignored. Returns 0,
 * or -1 with "FILE:LINE: reason" (or the open error) in err. On success
 * out holds the list, which the caller frees with subnet_list_free().
 */
int	subnet_list_load(const char *path, struct subnet_list *out,
	    char *err, size_t errlen);
void	subnet_list_free(struct subnet_list *l);

/*
 * Whether sa lies in any subnet of l (an empty list matches nothing).
 * An IPv4-mapped IPv6 address is IPv4: it matches IPv4 subnets only.
 */
int	subnet_list_match(const struct subnet_list *l,
	    const struct sockaddr *sa);

#endif
