/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_thread_state.h -- one UDP thread's state (struct udp_thread),
 * shared by the udp_*.c files that serve it and by no other module.
 *
 * The thread owns everything here but the counters and failed, which
 * other threads read, handover and evfd, which udp_thread_handover() and
 * udp_thread_stop() write, and the epoll set, which udp_thread_resume()
 * adds the listener to. No lock.
 */
#ifndef MMPROXYD_UDP_THREAD_STATE_H
#define MMPROXYD_UDP_THREAD_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "endpoint.h"
#include "log.h"
#include "options.h"
#include "ratelog.h"
#include "udp_batch.h"
#include "udp_flow_table.h"
#include "udp_reply.h"
#include "udp_stats.h"

/* Flow key tags: a client flow, or the load balancer's own (LOCAL). */
#define UDP_FLOW_TAG_CLIENT	0
#define UDP_FLOW_TAG_LOCAL	1
/* At most one line per second for each kind of repeated trouble. */
#define UDP_THREAD_LOG_MS		1000
/*
 * A flow moves to another load balancer only once its own has sent
 * nothing for it this long (udp_datagram.c).
 */
#define UDP_FLOW_HANDOVER_MS	1000

struct udp_thread {
	int			 id;
	const struct options	*cfg;
	const struct endpoint	*ep;		/* port and targets */
	struct allowlist	*allow;
	int			 listen_fd;
	union udp_flow_addr	 local;		/* the listener's */
	/*
	 * How each datagram says where it was sent: not at all (a listener
	 * on one address), IP_PKTINFO (a wildcard one) or IP_ORIGDSTADDR
	 * (-listen-transparent, where TPROXY may divert other ports).
	 */
	int			 learn;
	int			 epfd;
	int			 evfd;
	pthread_t		 thread;
	struct udp_flow_table	 table;
	uint64_t		 close_ms;
	uint64_t		 now;		/* ms, per wakeup */
	atomic_int		 failed;	/* stopped on an error */
	atomic_int		 handover;	/* udp_thread_handover() */
	atomic_int		 released;	/* the listener is not read */
	uint64_t		 linger_until;	/* ms; 0: not lingering */

	struct udp_batch	 in;		/* from the listener */
	struct udp_batch	 out;		/* replies, all flows */
	struct udp_reply_set	 replies;	/* TPROXY reply sockets */

	struct ratelog		 log_bad;
	struct ratelog		 log_denied;
	struct ratelog		 log_dest_denied;
	struct ratelog		 log_other_lb;	/* flow held by another */
	struct ratelog		 log_lb_moved;
	struct ratelog		 log_evict;
	struct ratelog		 log_open;	/* new flow sockets */
	struct ratelog		 log_send;	/* to the backend */
	struct ratelog		 log_reply;	/* to the load balancer */
	struct ratelog		 log_reply_sock;	/* TPROXY binds */
	struct ratelog		 log_from_lb;	/* errors on the listener */
	struct ratelog		 log_from_backend; /* ICMP on flows */
	struct udp_stats	 st;
};

#define UDP_LEARN_NONE		0
#define UDP_LEARN_PKTINFO	1
#define UDP_LEARN_ORIGDST	2

/*
 * Count one event; the number of events its line stands for when one is
 * due now (at -v 1 at most one per UDP_THREAD_LOG_MS, at -v 2 every one:
 * distinct reasons share a limiter, and -v 2 asks for each), else 0.
 * errno is left as it was.
 */
static inline uint64_t
udp_thread_log_due(struct udp_thread *u, struct ratelog *rl)
{
	if (log_verbosity() < LOG_V_ERRORS)
		return (0);
	return (ratelog_due_at(rl, u->now,
	    log_verbosity() >= LOG_V_STATES ? 0 : UDP_THREAD_LOG_MS));
}

#endif
