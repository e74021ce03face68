/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_batch.c -- batched recvmmsg and sendmmsg. A batch belongs to one
 * UDP thread. Replies of many flows share one batch; those that leave by
 * the same socket (the listener, or one TPROXY reply socket) go out in
 * one sendmmsg, which saves a syscall and a wakeup of the load balancer
 * per reply.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "udp_batch.h"

int
udp_batch_init(struct udp_batch *b)
{
	memset(b, 0, sizeof(*b));
	if ((b->bufs = malloc((size_t)UDP_BATCH_LEN * UDP_BATCH_BUFSZ)) ==
	    NULL)
		return (-1);
	return (0);
}

void
udp_batch_free(struct udp_batch *b)
{
	free(b->bufs);
	b->bufs = NULL;
}

void
udp_batch_reset(struct udp_batch *b, int from, int ctl)
{
	int	i;

	memset(b->msgs + from, 0, (size_t)(UDP_BATCH_LEN - from) *
	    sizeof(b->msgs[0]));
	for (i = from; i < UDP_BATCH_LEN; i++) {
		b->iov[i].iov_base = b->bufs + (size_t)i * UDP_BATCH_BUFSZ;
		b->iov[i].iov_len = UDP_BATCH_BUFSZ;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->names[i];
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->names[i]);
		if (ctl) {
			b->msgs[i].msg_hdr.msg_control = &b->ctl[i];
			b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctl[i]);
		}
	}
}

void
udp_batch_address(struct udp_batch *b, int from, int n, int fd,
    const union udp_flow_addr *to, const union udp_flow_addr *src)
{
	struct msghdr	*mh;
	socklen_t	 tlen = addr_len(&to->sa);
	int		 i;

	for (i = from; i < from + n; i++) {
		mh = &b->msgs[i].msg_hdr;
		b->iov[i].iov_len = b->msgs[i].msg_len;
		memcpy(&b->names[i], to, tlen);
		mh->msg_namelen = tlen;
		mh->msg_flags = 0;
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		if (src != NULL && (mh->msg_controllen =
		    udp_cmsg_pktinfo(&b->ctl[i], src)) != 0)
			mh->msg_control = &b->ctl[i];
		b->fds[i] = fd;
	}
}

int
udp_batch_run(const struct udp_batch *b, int off)
{
	int	n = 1;

	while (off + n < b->used && b->fds[off + n] == b->fds[off])
		n++;
	return (n);
}

int
udp_batch_send(struct udp_batch *b, int off)
{
	int	r;

	do
		r = sendmmsg(b->fds[off], b->msgs + off,
		    (unsigned int)udp_batch_run(b, off),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	return (r);
}
