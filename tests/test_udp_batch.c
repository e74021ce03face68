/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_udp_batch.c -- replies addressed in a batch, grouped by the socket
 * they leave by, and sent one sendmmsg per group.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>
#include <unistd.h>

#include "udp_batch.h"
#include "test_suites.h"

static void
test_udp_batch_reset_points_slots_at_their_buffers(void)
{
	struct udp_batch	b;
	int			i;

	CU_ASSERT_FATAL(udp_batch_init(&b) == 0);
	udp_batch_reset(&b, 0, 1);
	for (i = 0; i < UDP_BATCH_LEN; i++) {
		CU_ASSERT_PTR_EQUAL(b.iov[i].iov_base,
		    b.bufs + (size_t)i * UDP_BATCH_BUFSZ);
		CU_ASSERT_EQUAL(b.iov[i].iov_len, UDP_BATCH_BUFSZ);
		CU_ASSERT_PTR_EQUAL(b.msgs[i].msg_hdr.msg_control, &b.ctl[i]);
		CU_ASSERT_EQUAL(b.msgs[i].msg_hdr.msg_namelen,
		    sizeof(b.names[i]));
	}
	/* Slots before from keep what they have; no control asked. */
	b.msgs[0].msg_len = 77;
	udp_batch_reset(&b, 1, 0);
	CU_ASSERT_EQUAL(b.msgs[0].msg_len, 77);
	CU_ASSERT_PTR_NULL(b.msgs[1].msg_hdr.msg_control);
	CU_ASSERT_EQUAL(b.msgs[1].msg_hdr.msg_controllen, 0);
	udp_batch_free(&b);
}

static void
test_udp_batch_addresses_replies_to_the_sender(void)
{
	struct udp_batch	b;
	union udp_flow_addr	to, src;

	CU_ASSERT_FATAL(udp_batch_init(&b) == 0);
	memset(&to, 0, sizeof(to));
	to.sin.sin_family = AF_INET;
	to.sin.sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.1", &to.sin.sin_addr);
	memset(&src, 0, sizeof(src));
	src.sin.sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.2", &src.sin.sin_addr);

	udp_batch_reset(&b, 0, 0);
	b.msgs[0].msg_len = 10;
	b.msgs[1].msg_len = 20;
	b.msgs[2].msg_len = 30;
	b.msgs[1].msg_hdr.msg_flags = MSG_TRUNC;
	udp_batch_address(&b, 0, 2, 5, &to, NULL);
	udp_batch_address(&b, 2, 1, 6, &to, &src);
	CU_ASSERT_EQUAL(b.iov[0].iov_len, 10);
	CU_ASSERT_EQUAL(b.iov[1].iov_len, 20);
	CU_ASSERT_EQUAL(b.iov[2].iov_len, 30);
	CU_ASSERT_EQUAL(b.msgs[1].msg_hdr.msg_flags, 0);
	CU_ASSERT_EQUAL(b.msgs[0].msg_hdr.msg_namelen, sizeof(to.sin));
	CU_ASSERT(memcmp(&b.names[1].sin, &to.sin, sizeof(to.sin)) == 0);
	CU_ASSERT_EQUAL(b.fds[0], 5);
	CU_ASSERT_EQUAL(b.fds[1], 5);
	CU_ASSERT_EQUAL(b.fds[2], 6);
	CU_ASSERT_PTR_NULL(b.msgs[0].msg_hdr.msg_control);
	CU_ASSERT_EQUAL(b.msgs[0].msg_hdr.msg_controllen, 0);
	CU_ASSERT_PTR_EQUAL(b.msgs[2].msg_hdr.msg_control, &b.ctl[2]);
	CU_ASSERT_EQUAL(b.msgs[2].msg_hdr.msg_controllen,
	    CMSG_SPACE(sizeof(struct in_pktinfo)));
	/* An unknown source: the kernel picks, no control message. */
	memset(&src, 0, sizeof(src));
	udp_batch_address(&b, 2, 1, 6, &to, &src);
	CU_ASSERT_PTR_NULL(b.msgs[2].msg_hdr.msg_control);
	udp_batch_free(&b);
}

static void
test_udp_batch_runs_group_replies_by_socket(void)
{
	struct udp_batch	b;
	const int		fds[] = { 3, 3, 4, 4, 4, 3 };
	int			i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < 6; i++)
		b.fds[i] = fds[i];
	b.used = 6;
	CU_ASSERT_EQUAL(udp_batch_run(&b, 0), 2);
	CU_ASSERT_EQUAL(udp_batch_run(&b, 1), 1);
	CU_ASSERT_EQUAL(udp_batch_run(&b, 2), 3);
	CU_ASSERT_EQUAL(udp_batch_run(&b, 5), 1);
	/* Slots past used never join a run. */
	b.fds[6] = 3;
	CU_ASSERT_EQUAL(udp_batch_run(&b, 5), 1);
}

static int
test_udp_batch_socket(struct sockaddr_in *sin)
{
	socklen_t	slen = sizeof(*sin);
	int		fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &slen) == -1) {
		(void)close(fd);
		return (-1);
	}
	return (fd);
}

static void
test_udp_batch_sends_each_run_by_its_socket(void)
{
	struct udp_batch	b;
	struct sockaddr_in	rsin, s1sin, s2sin, from;
	union udp_flow_addr	to;
	socklen_t		flen;
	char			buf[64];
	int			r, s1, s2, i;
	const int		want[] = { 0, 0, 1 };

	CU_ASSERT_FATAL(udp_batch_init(&b) == 0);
	r = test_udp_batch_socket(&rsin);
	s1 = test_udp_batch_socket(&s1sin);
	s2 = test_udp_batch_socket(&s2sin);
	CU_ASSERT_FATAL(r != -1 && s1 != -1 && s2 != -1);
	memset(&to, 0, sizeof(to));
	memcpy(&to.sin, &rsin, sizeof(rsin));

	udp_batch_reset(&b, 0, 0);
	for (i = 0; i < 3; i++) {
		memcpy(b.iov[i].iov_base, "reply", 5);
		b.msgs[i].msg_len = 5;
	}
	udp_batch_address(&b, 0, 2, s1, &to, NULL);
	udp_batch_address(&b, 2, 1, s2, &to, NULL);
	b.used = 3;
	CU_ASSERT_EQUAL(udp_batch_send(&b, 0), 2);
	CU_ASSERT_EQUAL(udp_batch_send(&b, 2), 1);
	for (i = 0; i < 3; i++) {
		flen = sizeof(from);
		CU_ASSERT_EQUAL(recvfrom(r, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen), 5);
		CU_ASSERT_EQUAL(from.sin_port, want[i] == 0 ? s1sin.sin_port :
		    s2sin.sin_port);
	}
	(void)close(r);
	(void)close(s1);
	(void)close(s2);
	udp_batch_free(&b);
}

void
test_udp_batch_register(void)
{
	CU_pSuite	s = test_suite_add("udp_batch");

	test_add(s, "reset points slots at their buffers",
	    test_udp_batch_reset_points_slots_at_their_buffers);
	test_add(s, "addresses replies to the sender",
	    test_udp_batch_addresses_replies_to_the_sender);
	test_add(s, "runs group replies by socket",
	    test_udp_batch_runs_group_replies_by_socket);
	test_add(s, "sends each run by its socket",
	    test_udp_batch_sends_each_run_by_its_socket);
}
