/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * net.c -- socket helpers. Each returns -1 with errno set on failure and
 * closes whatever it opened; the caller logs with its own context.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr.h"
#include "net.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif

static int
net_setopt(int fd, int level, int name, int value)
{
	return (setsockopt(fd, level, name, &value, sizeof(value)));
}

/*
 * The connect deadline must not outlive connect(): a blocking send() that
 * waited that long would fail with EAGAIN and every writer would have to
 * retry it.
 */
static int
net_clear_sndtimeo(int fd)
{
	struct timeval	tv = { 0, 0 };

	return (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

/* close() that keeps the errno of the failure being reported. */
static int
net_fail(int fd)
{
	int	saved = errno;

	if (fd != -1)
		(void)close(fd);
	errno = saved;
	return (-1);
}

int
net_set_transparent(int fd, int family)
{
	if (family == AF_INET6)
		return (net_setopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, 1));
	return (net_setopt(fd, IPPROTO_IP, IP_TRANSPARENT, 1));
}

/*
 * Not SO_REUSEADDR on UDP: there it lets sockets of any user share the
 * port, and the last one bound takes the datagrams.
 */
static int
net_listen_one(const struct sockaddr *sa, int socktype, enum net_share share,
    int flags)
{
	int	fd, v6only;

	fd = socket(sa->sa_family, socktype | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (socktype == SOCK_STREAM &&
	    net_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		return (net_fail(fd));
	if (share == NET_SHARE_JOIN &&
	    net_setopt(fd, SOL_SOCKET, SO_REUSEPORT, 1) == -1)
		return (net_fail(fd));
	/*
	 * "[::]:port" takes IPv4 too, as go-mmproxy's does (IPv4 peers then
	 * arrive as ::ffff:a.b.c.d); a specific IPv6 address takes only
	 * IPv6. Set either way: net.ipv6.bindv6only may say otherwise.
	 */
	v6only = !addr_is_wildcard(sa) || !(flags & NET_LISTEN_DUAL_STACK);
	if (sa->sa_family == AF_INET6 &&
	    net_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only) == -1)
		return (net_fail(fd));
	if ((flags & NET_LISTEN_TRANSPARENT) &&
	    net_set_transparent(fd, sa->sa_family) == -1)
		return (net_fail(fd));
	if (bind(fd, sa, addr_len(sa)) == -1)
		return (net_fail(fd));
	/* Before listen(), which puts a TCP socket in the group. */
	if (share == NET_SHARE_FIRST &&
	    net_setopt(fd, SOL_SOCKET, SO_REUSEPORT, 1) == -1)
		return (net_fail(fd));
	if (socktype == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)
		return (net_fail(fd));
	return (fd);
}

int
net_listen(const struct sockaddr *sa, int socktype, enum net_share share,
    int flags)
{
	struct sockaddr_in6	any6;
	int			fd;

	/*
	 * 0.0.0.0 as Go listens on it: the dual-stack [::] of the same
	 * port, or IPv4 alone where the kernel has no IPv6 (booted with
	 * ipv6.disable=1, or a unit's RestrictAddressFamilies= without it).
	 */
	if ((flags & NET_LISTEN_DUAL_STACK) && sa->sa_family == AF_INET &&
	    addr_is_wildcard(sa)) {
		memset(&any6, 0, sizeof(any6));
		any6.sin6_family = AF_INET6;
		any6.sin6_addr = in6addr_any;
		any6.sin6_port = ((const struct sockaddr_in *)
		    (const void *)sa)->sin_port;
		fd = net_listen_one((const struct sockaddr *)&any6, socktype,
		    share, flags);
		if (fd != -1 || errno != EAFNOSUPPORT)
			return (fd);
	}
	return (net_listen_one(sa, socktype, share, flags));
}

enum net_share
net_share_nth(int i, int n)
{
	if (n <= 1)
		return (NET_SHARE_NONE);
	return (i == 0 ? NET_SHARE_FIRST : NET_SHARE_JOIN);
}

int
net_listen_families(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			v6only = 1;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	if (ss.ss_family == AF_INET)
		return (NET_FAMILY_IPV4);
	if (ss.ss_family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return (-1);
	}
	len = sizeof(v6only);
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == -1)
		return (-1);
	return (v6only ? NET_FAMILY_IPV6 : NET_FAMILY_IPV4 | NET_FAMILY_IPV6);
}

int
net_grow_rcvbuf(int fd, int bytes)
{
	socklen_t	len = sizeof(bytes);

	if (net_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes) == -1 &&
	    net_setopt(fd, SOL_SOCKET, SO_RCVBUF, bytes) == -1)
		return (-1);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, &len) == -1)
		return (-1);
	return (bytes);
}

int
net_socket_plain(int family, int socktype, unsigned int mark)
{
	int	fd;

	fd = socket(family, socktype | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (mark != 0 && net_setopt(fd, SOL_SOCKET, SO_MARK, (int)mark) == -1)
		return (net_fail(fd));
	return (fd);
}

int
net_socket_transparent(const struct sockaddr *src, int socktype,
    unsigned int mark)
{
	int	fd;

	if ((fd = net_socket_plain(src->sa_family, socktype, mark)) == -1)
		return (-1);
	if (net_set_transparent(fd, src->sa_family) == -1)
		return (net_fail(fd));
	/*
	 * The same client address and port may be bound again while an
	 * earlier connection from it lingers in TIME_WAIT.
	 */
	if (net_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		return (net_fail(fd));
	/* Port 0 cannot be reproduced: let connect() pick the port. */
	if (addr_port(src) == 0 && socktype == SOCK_STREAM &&
	    net_setopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1) == -1)
		return (net_fail(fd));
	if (bind(fd, src, addr_len(src)) == -1)
		return (net_fail(fd));
	return (fd);
}

int
net_connect_timeout(int fd, const struct sockaddr *dst, int timeout_ms)
{
	struct timeval	tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	socklen_t	len = sizeof(int);
	int		err, n;

	/* A blocking connect gives up after SO_SNDTIMEO: one syscall. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return (-1);
	if (connect(fd, dst, addr_len(dst)) == 0)
		return (net_clear_sndtimeo(fd));
	if (errno == EINPROGRESS) {
		errno = ETIMEDOUT;
		return (-1);
	}
	if (errno != EINTR)
		return (-1);
	/* Interrupted: the handshake goes on; wait for it once more. */
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if (n == 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return (-1);
	if (err != 0) {
		errno = err;
		return (-1);
	}
	return (net_clear_sndtimeo(fd));
}

int
net_tcp_state(int fd)
{
	struct tcp_info	ti;
	socklen_t	len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return (-1);
	return (ti.tcpi_state);
}

int
net_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < len) {
		n = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		off += (size_t)n;
	}
	return (0);
}

int
net_keepalive(int fd, long long interval_ms)
{
	/* TCP counts keepalive in whole seconds: round up. */
	int	secs = (int)((interval_ms + 999) / 1000);
	int	ms = secs * (1 + NET_KEEPALIVE_PROBES) * 1000;

	if (net_setopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1) == -1 ||
	    net_setopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, secs) == -1 ||
	    net_setopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, secs) == -1 ||
	    net_setopt(fd, IPPROTO_TCP, TCP_KEEPCNT,
	    NET_KEEPALIVE_PROBES) == -1)
		return (-1);
	/*
	 * Also bounds data that goes unacknowledged (by default retried
	 * for some 15 minutes), and once set it decides when keepalive
	 * gives up too: the same moment, idle + probes * interval.
	 */
	return (net_setopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, ms));
}

void
net_abort(int fd)
{
	static const struct sockaddr	unspec = { .sa_family = AF_UNSPEC };
	struct linger			rst = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	/*
	 * connect(AF_UNSPEC) disconnects at once: the peer gets a RST, and
	 * a thread blocked on fd in poll, recv, send or splice wakes up
	 * with an error. Kernels that carried "tcp: deny tcp_disconnect()
	 * when threads are waiting" (2023) refuse it with EBUSY: then
	 * shutdown() wakes the waiters (the peer sees a FIN first) and
	 * close(), with linger 0, sends the RST.
	 *
	 * Through syscall(): ThreadSanitizer takes a connect() for a new
	 * socket born on fd and reports the recv() that the other
	 * direction has waiting on it as a race. The kernel orders both.
	 */
	if (syscall(SYS_connect, fd, &unspec, sizeof(unspec)) == -1)
		(void)shutdown(fd, SHUT_RDWR);
}
