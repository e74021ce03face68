/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_class.h -- the few classes that failures are counted by, so a
 * metric has a handful of label values rather than one per error code.
 * Pure: no I/O, no state, errno untouched.
 */
#ifndef MMPROXYD_FAILURE_CLASS_H
#define MMPROXYD_FAILURE_CLASS_H

/* Why a PROXY header was refused. */
enum metrics_header_class {
	METRICS_HDR_NOT_PROXY,		/* no signature: LB sends no header */
	METRICS_HDR_V1,			/* malformed v1 line */
	METRICS_HDR_V2,			/* malformed or cut v2 block */
	METRICS_HDR_CHECKSUM,		/* v2 CRC32C does not match */
	METRICS_HDR_UNSUPPORTED,	/* valid, but nothing to proxy it to */
	METRICS_HDR_COUNT
};

/* What an errno from connect(), socket() or accept() says. */
enum metrics_errno_class {
	METRICS_ERR_REFUSED,		/* ECONNREFUSED, ECONNRESET */
	METRICS_ERR_TIMEOUT,		/* ETIMEDOUT, EAGAIN */
	METRICS_ERR_UNREACHABLE,	/* EHOSTUNREACH, ENETUNREACH ... */
	METRICS_ERR_ADDRESS,		/* EADDRINUSE, EADDRNOTAVAIL */
	METRICS_ERR_FD_LIMIT,		/* EMFILE, ENFILE */
	METRICS_ERR_MEMORY,		/* ENOBUFS, ENOMEM */
	METRICS_ERR_PERMISSION,		/* EPERM, EACCES (firewall, caps) */
	METRICS_ERR_OTHER,
	METRICS_ERR_COUNT
};

/* err is an enum pp_error (proxy_header.h), positive. */
enum metrics_header_class metrics_header_class(int err);
enum metrics_errno_class  metrics_errno_class(int err);
/* Label values: lowercase, stable, never NULL. */
const char	*metrics_header_class_name(enum metrics_header_class c);
const char	*metrics_errno_class_name(enum metrics_errno_class c);

#endif
