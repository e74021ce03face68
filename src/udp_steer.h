/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_steer.h -- -listeners N with -p udp: the classic BPF program that
 * picks, for each datagram, the socket of the SO_REUSEPORT group that
 * serves its client.
 */
#ifndef MMPROXYD_UDP_STEER_H
#define MMPROXYD_UDP_STEER_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#define UDP_STEER_MAX_LEN	24	/* instructions, with room to spare */
/* What the program returns to leave the choice to the kernel's hash. */
#define UDP_STEER_KERNEL	0xffffffffU

/*
 * Write the program for a group of listeners sockets into code (room for
 * UDP_STEER_MAX_LEN) and return its length. Pure, so tests can run it.
 */
size_t	udp_steer_program(struct sock_filter *code, uint32_t listeners);

/*
 * Attach the program to fd, one socket of the group
 * (SO_ATTACH_REUSEPORT_CBPF), for the whole group. Returns 0 or -1.
 */
int	udp_steer_attach(int fd, uint32_t listeners);

#endif
