/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_class.c -- PROXY header errors and errno values into the
 * classes the metrics count them by.
 */

#include "config.h"

#include <errno.h>

#include "failure_class.h"
#include "proxy_header.h"

enum metrics_header_class
metrics_header_class(int err)
{
	switch (err) {
	case PP_ERR_SIGNATURE:
		return (METRICS_HDR_NOT_PROXY);
	case PP_ERR_V1_NO_CRLF:
	case PP_ERR_V1_BAD_EOL:
	case PP_ERR_V1_PROTO:
	case PP_ERR_V1_SYNTAX:
	case PP_ERR_V1_ADDR:
	case PP_ERR_V1_PORT:
		return (METRICS_HDR_V1);
	case PP_ERR_V2_CRC:
		return (METRICS_HDR_CHECKSUM);
	default:
		return (METRICS_HDR_V2);
	}
}

enum metrics_errno_class
metrics_errno_class(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
		return (METRICS_ERR_REFUSED);
	case ETIMEDOUT:
	case EAGAIN:
	case EINPROGRESS:
		return (METRICS_ERR_TIMEOUT);
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return (METRICS_ERR_UNREACHABLE);
	case EADDRINUSE:
	case EADDRNOTAVAIL:
		return (METRICS_ERR_ADDRESS);
	case EMFILE:
	case ENFILE:
		return (METRICS_ERR_FD_LIMIT);
	case ENOBUFS:
	case ENOMEM:
		return (METRICS_ERR_MEMORY);
	case EPERM:
	case EACCES:
		return (METRICS_ERR_PERMISSION);
	default:
		return (METRICS_ERR_OTHER);
	}
}

const char *
metrics_header_class_name(enum metrics_header_class c)
{
	static const char	*names[METRICS_HDR_COUNT] = {
		"not_proxy", "v1_invalid", "v2_invalid", "v2_checksum",
		"unsupported"
	};

	return ((unsigned)c < METRICS_HDR_COUNT ? names[c] : "other");
}

const char *
metrics_errno_class_name(enum metrics_errno_class c)
{
	static const char	*names[METRICS_ERR_COUNT] = {
		"refused", "timeout", "unreachable", "address", "fd_limit",
		"memory", "permission", "other"
	};

	return ((unsigned)c < METRICS_ERR_COUNT ? names[c] : "other");
}
