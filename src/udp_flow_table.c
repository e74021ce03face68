/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_flow_table.c -- the UDP flow table: a chained hash table keyed by the
 * client's address and port, threaded on one LRU list.
 *
 * The table is pure bookkeeping: it never opens, closes or reads a
 * socket and never reads the clock. The caller passes the time in, so
 * expiry and eviction are tested without sleeping. One UDP thread owns
 * each table; there is no lock.
 *
 * The bucket array is sized once from the capacity (a power of two, at
 * least cap up to 1M buckets), so an insert never rehashes while
 * datagrams wait. Entries are allocated one by one and freed on removal;
 * the capacity bounds the memory.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "udp_flow_table.h"

#define UDP_FLOW_TABLE_MIN_BUCKETS	16
#define UDP_FLOW_TABLE_MAX_BUCKETS	(1U << 20)

static uint64_t
udp_flow_table_rd64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (v);
}

#define SIP_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND do {							\
	v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32); \
	v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32); \
} while (0)

/*
 * SipHash-2-4 of the 20-byte key. Keyed, because the ports (and through
 * a load balancer, the addresses) are chosen by strangers who could
 * otherwise aim every flow at one chain.
 */
static uint64_t
udp_flow_table_hash(const struct udp_flow_table *t,
    const struct udp_flow_key *key)
{
	uint8_t		 in[24];
	uint64_t	 v0, v1, v2, v3, m, b;
	size_t		 i;

	memset(in, 0, sizeof(in));
	in[0] = key->family;
	in[1] = key->tag;
	memcpy(in + 2, &key->port, 2);
	memcpy(in + 4, key->addr, 16);
	b = (uint64_t)20 << 56;	/* length byte, as SipHash pads */

	v0 = t->k0 ^ 0x736f6d6570736575ULL;
	v1 = t->k1 ^ 0x646f72616e646f6dULL;
	v2 = t->k0 ^ 0x6c7967656e657261ULL;
	v3 = t->k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < 16; i += 8) {
		m = udp_flow_table_rd64(in + i);
		v3 ^= m;
		SIP_ROUND;
		SIP_ROUND;
		v0 ^= m;
	}
	/* The last 4 bytes, with the length in the top byte. */
	m = b | udp_flow_table_rd64(in + 16);
	v3 ^= m;
	SIP_ROUND;
	SIP_ROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIP_ROUND;
	SIP_ROUND;
	SIP_ROUND;
	SIP_ROUND;
	return (v0 ^ v1 ^ v2 ^ v3);
}

int
udp_flow_table_init(struct udp_flow_table *t, size_t cap,
    const uint8_t seed[16])
{
	size_t	n = UDP_FLOW_TABLE_MIN_BUCKETS;

	memset(t, 0, sizeof(*t));
	if (cap == 0) {
		errno = EINVAL;
		return (-1);
	}
	while (n < cap && n < UDP_FLOW_TABLE_MAX_BUCKETS)
		n <<= 1;
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL)
		return (-1);
	t->mask = n - 1;
	t->cap = cap;
	t->k0 = udp_flow_table_rd64(seed);
	t->k1 = udp_flow_table_rd64(seed + 8);
	return (0);
}

void
udp_flow_table_free(struct udp_flow_table *t)
{
	struct udp_flow	*f, *next;

	for (f = t->oldest; f != NULL; f = next) {
		next = f->lnext;
		free(f);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

int
udp_flow_table_key(const struct sockaddr *sa, int tag, struct udp_flow_key *key)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	/* Zeroed whole: the key is hashed and compared as bytes. */
	memset(key, 0, sizeof(*key));
	key->tag = (uint8_t)tag;
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		key->family = AF_INET;
		key->port = sin->sin_port;
		memcpy(key->addr, &sin->sin_addr, 4);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		key->family = AF_INET6;
		key->port = sin6->sin6_port;
		memcpy(key->addr, &sin6->sin6_addr, 16);
		return (0);
	default:
		return (-1);
	}
}

void
udp_flow_table_key_addr(const struct udp_flow_key *key,
    union udp_flow_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (key->family == AF_INET) {
		out->sin.sin_family = AF_INET;
		out->sin.sin_port = key->port;
		memcpy(&out->sin.sin_addr, key->addr, 4);
	} else {
		out->sin6.sin6_family = AF_INET6;
		out->sin6.sin6_port = key->port;
		memcpy(&out->sin6.sin6_addr, key->addr, 16);
	}
}

static struct udp_flow **
udp_flow_table_bucket(const struct udp_flow_table *t,
    const struct udp_flow_key *key)
{
	return (&t->buckets[udp_flow_table_hash(t, key) & t->mask]);
}

struct udp_flow *
udp_flow_table_lookup(const struct udp_flow_table *t,
    const struct udp_flow_key *key)
{
	struct udp_flow	*f;

	for (f = *udp_flow_table_bucket(t, key); f != NULL; f = f->hnext)
		if (memcmp(&f->key, key, sizeof(*key)) == 0)
			return (f);
	return (NULL);
}

/* Append f to the LRU list as the newest. */
static void
udp_flow_table_lru_append(struct udp_flow_table *t, struct udp_flow *f)
{
	f->lnext = NULL;
	f->lprev = t->newest;
	if (t->newest != NULL)
		t->newest->lnext = f;
	else
		t->oldest = f;
	t->newest = f;
}

static void
udp_flow_table_lru_unlink(struct udp_flow_table *t, struct udp_flow *f)
{
	if (f->lprev != NULL)
		f->lprev->lnext = f->lnext;
	else
		t->oldest = f->lnext;
	if (f->lnext != NULL)
		f->lnext->lprev = f->lprev;
	else
		t->newest = f->lprev;
	f->lprev = f->lnext = NULL;
}

struct udp_flow *
udp_flow_table_insert(struct udp_flow_table *t, const struct udp_flow_key *key,
    uint64_t now)
{
	struct udp_flow	**b, *f;

	if (t->len >= t->cap) {
		errno = ENOSPC;
		return (NULL);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (NULL);
	f->key = *key;
	f->fd = -1;
	f->last = now;
	b = udp_flow_table_bucket(t, key);
	f->hnext = *b;
	*b = f;
	udp_flow_table_lru_append(t, f);
	t->len++;
	return (f);
}

void
udp_flow_table_touch(struct udp_flow_table *t, struct udp_flow *f, uint64_t now)
{
	f->last = now;
	if (t->newest == f)
		return;		/* the common case: a busy flow */
	udp_flow_table_lru_unlink(t, f);
	udp_flow_table_lru_append(t, f);
}

struct udp_flow *
udp_flow_table_oldest(const struct udp_flow_table *t)
{
	return (t->oldest);
}

struct udp_flow *
udp_flow_table_expired(const struct udp_flow_table *t, uint64_t cutoff)
{
	if (t->oldest != NULL && t->oldest->last <= cutoff)
		return (t->oldest);
	return (NULL);
}

void
udp_flow_table_remove(struct udp_flow_table *t, struct udp_flow *f)
{
	struct udp_flow	**pp;

	for (pp = udp_flow_table_bucket(t, &f->key); *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	}
	udp_flow_table_lru_unlink(t, f);
	t->len--;
	free(f);
}

int
udp_flow_table_full(const struct udp_flow_table *t)
{
	return (t->len >= t->cap);
}

size_t
udp_flow_table_len(const struct udp_flow_table *t)
{
	return (t->len);
}
