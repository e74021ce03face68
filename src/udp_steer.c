/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_steer.c -- steering datagrams across -listeners sockets.
 *
 * SO_REUSEPORT alone would spread datagrams by the load balancer's address
 * and port, so one client reaching us through two balancer ports would get
 * a flow in two threads, both bound to its address: replies would go
 * astray. Instead this classic BPF program, run by the kernel on each
 * datagram's payload, picks the socket by the client address and port in
 * the v2 header: a hash of the last address word and the port, modulo N.
 * An IPv4-mapped IPv6 client ends in its IPv4 address, so it lands where
 * its IPv4 form does, as the flow table unmaps it.
 *
 * Only a v2 PROXY header names a client. For anything else (a LOCAL
 * health check, whose address block the receiver ignores; garbage) the
 * program returns an index out of range, and the kernel falls back to its
 * own hash of the load balancer's address and port: exactly what a LOCAL
 * flow is keyed by, so each health check flow stays in one thread. A
 * datagram too short for the loads it needs gets socket 0 (the kernel
 * aborts the program with 0); it is dropped there as a bad header.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "proxy_header.h"
#include "udp_steer.h"

/* Fibonacci hashing: the top bits of the product mix every input bit. */
#define UDP_STEER_MIX		0x9e3779b1U

size_t
udp_steer_program(struct sock_filter *code, uint32_t listeners)
{
	const struct sock_filter prog[] = {
		/* 0: version 2, command PROXY, or the kernel's choice */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, PP_V2_VER_CMD_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    PP_V2_VERSION << 4 | PP_CMD_PROXY, 0, 16),
		/* 2: the family nibble */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, PP_V2_FAM_OFF),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PP_V2_FAM_INET, 0, 4),
		/* 5: INET: source address, source port */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PP_V2_IN4_SRC_OFF),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, PP_V2_IN4_SPORT_OFF),
		BPF_JUMP(BPF_JMP | BPF_JA, 4, 0, 0),
		/* 9: INET6: last word of the source address, source port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PP_V2_FAM_INET6, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PP_V2_IN6_SRC_OFF + 12),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, PP_V2_IN6_SPORT_OFF),
		/* 13: mix, then the socket's index */
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, UDP_STEER_MIX),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, listeners),
		BPF_STMT(BPF_RET | BPF_A, 0),
		/* 18: no client named: the kernel's hash */
		BPF_STMT(BPF_RET | BPF_K, UDP_STEER_KERNEL),
	};
	size_t	n = sizeof(prog) / sizeof(prog[0]);

	_Static_assert(sizeof(prog) / sizeof(prog[0]) <= UDP_STEER_MAX_LEN,
	    "UDP_STEER_MAX_LEN too small");
	memcpy(code, prog, sizeof(prog));
	return (n);
}

int
udp_steer_attach(int fd, uint32_t listeners)
{
	struct sock_filter	code[UDP_STEER_MAX_LEN];
	struct sock_fprog	prog;

	/* Zeroed whole: the padding after len reaches the kernel too. */
	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)udp_steer_program(code, listeners);
	prog.filter = code;
	return (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)));
}
