/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * no_inet6.c -- runs a command on a host that seems to have no IPv6:
 * socket(AF_INET6, ...) fails with EAFNOSUPPORT, as it does on a kernel
 * booted with ipv6.disable=1 or in a unit with RestrictAddressFamilies=
 * without AF_INET6. tests/functional/listen_default.sh uses it to check
 * that a wildcard listener falls back to IPv4 alone.
 *
 *   no_inet6 COMMAND [ARG...]
 *
 * A seccomp filter does it, inherited by COMMAND and its threads. Exit
 * status 2 when the filter cannot be installed, else COMMAND's exec.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NO_INET6_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NO_INET6_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NO_INET6_ARCH	AUDIT_ARCH_I386
#endif

#define NO_INET6_ARG0	offsetof(struct seccomp_data, args[0])

int
main(int argc, char *argv[])
{
#ifdef NO_INET6_ARCH
	struct sock_filter	prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NO_INET6_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
		/* The low half of the family: little-endian 64-bit args. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NO_INET6_ARG0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog	fprog = {
		(unsigned short)(sizeof(prog) / sizeof(prog[0])), prog
	};

	if (argc < 2) {
		fprintf(stderr, "usage: no_inet6 COMMAND [ARG...]\n");
		return (2);
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == -1) {
		fprintf(stderr, "no_inet6: seccomp: %s\n", strerror(errno));
		return (2);
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no_inet6: %s: %s\n", argv[1], strerror(errno));
	return (2);
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "no_inet6: no seccomp filter for this architecture\n");
	return (2);
#endif
}
