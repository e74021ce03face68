/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_flow_table.h -- the UDP flow table (pure: no sockets, no clock, no
 * locks). One table belongs to one UDP thread.
 */
#ifndef MMPROXYD_UDP_FLOW_TABLE_H
#define MMPROXYD_UDP_FLOW_TABLE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

struct udp_reply_sock;

/* Big enough for either family, small enough to keep 100k flows cheap. */
union udp_flow_addr {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

/*
 * The hashed key: family, address and port, plus a caller's tag so that
 * two kinds of flow with the same address never meet (the UDP thread
 * keys LOCAL flows by the load balancer's address).
 */
struct udp_flow_key {
	uint8_t		family;
	uint8_t		tag;
	uint16_t	port;		/* network order */
	uint8_t		addr[16];
};

struct udp_flow {
	struct udp_flow_key	 key;
	union udp_flow_addr	 sender;	/* caller's: the last sender */
	uint64_t		 sender_ms;	/* caller's: when it sent */
	union udp_flow_addr	 reached;	/* caller's: where it sent to */
	union udp_flow_addr	 target;	/* caller's: fd's peer */
	struct udp_reply_sock	*reply;		/* caller's: NULL if new */
	uint64_t		 last;		/* caller's: active at, ms */
	int			 fd;		/* the caller's; -1 when new */
	struct udp_flow		*hnext;		/* hash chain */
	struct udp_flow		*lprev;		/* LRU: toward the oldest */
	struct udp_flow		*lnext;		/* LRU: toward the newest */
};

struct udp_flow_table {
	struct udp_flow		**buckets;
	size_t			  mask;		/* buckets - 1 (a power of 2) */
	size_t			  len;
	size_t			  cap;
	struct udp_flow		 *oldest;	/* LRU head */
	struct udp_flow		 *newest;	/* LRU tail */
	uint64_t		  k0, k1;	/* SipHash key: short chains */
};

/*
 * Prepare an empty table that holds at most cap flows. seed (16 bytes,
 * from getrandom() in the daemon) keys the hash so that senders cannot
 * pile flows into one chain. Returns 0, or -1 if out of memory.
 */
int		 udp_flow_table_init(struct udp_flow_table *t, size_t cap,
		    const uint8_t seed[16]);
/* Free every entry and the table; fds are the caller's to close first. */
void		 udp_flow_table_free(struct udp_flow_table *t);

/* Turn an AF_INET/AF_INET6 address into a key; -1 for other families. */
int		 udp_flow_table_key(const struct sockaddr *sa, int tag,
		    struct udp_flow_key *key);
/* The key's address and port back as a socket address. */
void		 udp_flow_table_key_addr(const struct udp_flow_key *key,
		    union udp_flow_addr *out);

struct udp_flow	*udp_flow_table_lookup(const struct udp_flow_table *t,
		    const struct udp_flow_key *key);

/*
 * Add a flow for key (not present yet) as the newest, with fd -1 and
 * last = now. Returns it, or NULL with errno ENOSPC when the table is
 * full (evict first) or ENOMEM.
 */
struct udp_flow	*udp_flow_table_insert(struct udp_flow_table *t,
		    const struct udp_flow_key *key, uint64_t now);

/* Mark f active at now: it becomes the newest. now must not go back. */
void		 udp_flow_table_touch(struct udp_flow_table *t,
		    struct udp_flow *f, uint64_t now);

/* The least recently used flow (the one to evict), or NULL if empty. */
struct udp_flow	*udp_flow_table_oldest(const struct udp_flow_table *t);

/*
 * The oldest flow if its last activity is at or before cutoff, else NULL.
 * Call, remove, and call again to collect every expired flow.
 */
struct udp_flow	*udp_flow_table_expired(const struct udp_flow_table *t,
		    uint64_t cutoff);

/* Unlink and free f; its fd is the caller's to close first. */
void		 udp_flow_table_remove(struct udp_flow_table *t,
		    struct udp_flow *f);

int		 udp_flow_table_full(const struct udp_flow_table *t);
size_t		 udp_flow_table_len(const struct udp_flow_table *t);

#endif
