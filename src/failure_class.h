/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * failure_class.h -- the few classes that failures are counted by (the
 * reason label of the metrics), so a counter has a handful of values
 * rather than one per error code. Pure: no I/O, no state, errno
 * untouched.
 */
#ifndef MMPROXYD_FAILURE_CLASS_H
#define MMPROXYD_FAILURE_CLASS_H

/* Why a PROXY header was refused. */
enum failure_class_header {
	FAILURE_HDR_NOT_PROXY,		/* no signature: LB sends no header */
	FAILURE_HDR_V1,			/* malformed v1 line */
	FAILURE_HDR_V2,			/* malformed or cut v2 block */
	FAILURE_HDR_CHECKSUM,		/* v2 CRC32C does not match */
	FAILURE_HDR_UNSUPPORTED,	/* valid, but nothing to proxy it to */
	FAILURE_HDR_COUNT
};

/* What an errno from connect(), socket() or accept() says. */
enum failure_class_errno {
	FAILURE_ERR_REFUSED,		/* ECONNREFUSED, ECONNRESET */
	FAILURE_ERR_TIMEOUT,		/* ETIMEDOUT, EAGAIN */
	FAILURE_ERR_UNREACHABLE,	/* EHOSTUNREACH, ENETUNREACH ... */
	FAILURE_ERR_ADDRESS,		/* EADDRINUSE, EADDRNOTAVAIL */
	FAILURE_ERR_FD_LIMIT,		/* EMFILE, ENFILE */
	FAILURE_ERR_MEMORY,		/* ENOBUFS, ENOMEM */
	FAILURE_ERR_PERMISSION,		/* EPERM, EACCES (firewall, caps) */
	FAILURE_ERR_OTHER,
	FAILURE_ERR_COUNT
};

/* err is an enum pp_error (proxy_header.h), positive. */
enum failure_class_header failure_class_of_header(int err);
enum failure_class_errno  failure_class_of_errno(int err);
/* Label values: lowercase, stable, never NULL. */
const char	*failure_class_header_name(enum failure_class_header c);
const char	*failure_class_errno_name(enum failure_class_errno c);

#endif
