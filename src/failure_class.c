/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * failure_class.c -- PROXY header errors and errno values into the
 * classes the metrics count them by.
 */

#include "config.h"

#include <errno.h>

#include "failure_class.h"
#include "proxy_header.h"

enum failure_class_header
failure_class_of_header(int err)
{
	switch (err) {
	case PP_ERR_SIGNATURE:
		return (FAILURE_HDR_NOT_PROXY);
	case PP_ERR_V1_NO_CRLF:
	case PP_ERR_V1_BAD_EOL:
	case PP_ERR_V1_PROTO:
	case PP_ERR_V1_SYNTAX:
	case PP_ERR_V1_ADDR:
	case PP_ERR_V1_PORT:
		return (FAILURE_HDR_V1);
	case PP_ERR_V2_CRC:
		return (FAILURE_HDR_CHECKSUM);
	default:
		return (FAILURE_HDR_V2);
	}
}

enum failure_class_errno
failure_class_of_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
		return (FAILURE_ERR_REFUSED);
	case ETIMEDOUT:
	case EAGAIN:
	case EINPROGRESS:
		return (FAILURE_ERR_TIMEOUT);
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return (FAILURE_ERR_UNREACHABLE);
	case EADDRINUSE:
	case EADDRNOTAVAIL:
		return (FAILURE_ERR_ADDRESS);
	case EMFILE:
	case ENFILE:
		return (FAILURE_ERR_FD_LIMIT);
	case ENOBUFS:
	case ENOMEM:
		return (FAILURE_ERR_MEMORY);
	case EPERM:
	case EACCES:
		return (FAILURE_ERR_PERMISSION);
	default:
		return (FAILURE_ERR_OTHER);
	}
}

const char *
failure_class_header_name(enum failure_class_header c)
{
	static const char	*names[FAILURE_HDR_COUNT] = {
		"not_proxy", "v1_invalid", "v2_invalid", "v2_checksum",
		"unsupported"
	};

	return ((unsigned)c < FAILURE_HDR_COUNT ? names[c] : "other");
}

const char *
failure_class_errno_name(enum failure_class_errno c)
{
	static const char	*names[FAILURE_ERR_COUNT] = {
		"refused", "timeout", "unreachable", "address", "fd_limit",
		"memory", "permission", "other"
	};

	return ((unsigned)c < FAILURE_ERR_COUNT ? names[c] : "other");
}
