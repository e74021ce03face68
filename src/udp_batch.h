/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_batch.h -- the datagrams of one recvmmsg, or the replies of one
 * wakeup waiting for sendmmsg.
 */
#ifndef MMPROXYD_UDP_BATCH_H
#define MMPROXYD_UDP_BATCH_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "udp_cmsg.h"
#include "udp_flow_table.h"

/*
 * Datagrams per recvmmsg/sendmmsg. Each gets a 64 KiB buffer so that no
 * datagram is ever cut; pages that small datagrams never reach are never
 * touched, so the resident cost stays small.
 */
#define UDP_BATCH_LEN		16
#define UDP_BATCH_BUFSZ		65536

/*
 * Datagrams for one recvmmsg (from the listener) or, for replies, many
 * recvmmsg (one per ready flow) and then sendmmsg, one per run of slots
 * that leave by the same socket (fds). ctl carries where each datagram
 * was sent (in) or the source each reply must leave from (out).
 */
struct udp_batch {
	unsigned char		*bufs;	/* UDP_BATCH_LEN x UDP_BATCH_BUFSZ */
	int			 used;	/* replies waiting to go */
	struct mmsghdr		 msgs[UDP_BATCH_LEN];
	struct iovec		 iov[UDP_BATCH_LEN];
	union udp_flow_addr	 names[UDP_BATCH_LEN];
	union udp_cmsg		 ctl[UDP_BATCH_LEN];
	int			 fds[UDP_BATCH_LEN];	/* out: leave by */
};

/* An empty batch with its buffers. Returns 0, or -1 (ENOMEM). */
int	udp_batch_init(struct udp_batch *b);
void	udp_batch_free(struct udp_batch *b);

/*
 * Point slots from..UDP_BATCH_LEN-1 at their buffers, and at their
 * control buffers when ctl is set, ready for recvmmsg.
 */
void	udp_batch_reset(struct udp_batch *b, int from, int ctl);

/*
 * Address slots from..from+n-1, just filled by recvmmsg, as replies: to
 * to, by fd, from src's address when src is not NULL (a PKTINFO message),
 * each as long as what was received.
 */
void	udp_batch_address(struct udp_batch *b, int from, int n, int fd,
	    const union udp_flow_addr *to, const union udp_flow_addr *src);

/* How many slots from off on (off < used) leave by the same socket. */
int	udp_batch_run(const struct udp_batch *b, int off);

/*
 * One sendmmsg for the run at off. Returns how many went (> 0), or -1
 * when the first failed (errno set; the caller drops it and goes on).
 */
int	udp_batch_send(struct udp_batch *b, int off);

#endif
