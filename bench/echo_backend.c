/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * echo_backend.c -- the backend behind the proxy in the benchmarks.
 *
 * One thread, one epoll set. Listens on TCP and UDP on 127.0.0.1:PORT and
 * [::1]:PORT and echoes everything. With -c it also checks the spoofing:
 * the first line of each TCP connection, and the start of each datagram,
 * is "SRC <ip> <port>" as the load generator put in its PROXY header, and
 * it must name the peer this socket sees. A TCP connection that fails
 * gets "BADSRC <peer>\n" and is closed; a datagram that fails is dropped.
 * Either way it is counted, and the counters go to stdout as one line of
 * key=value pairs when SIGTERM or SIGINT arrives.
 *
 * Echo data is read into one shared buffer; a connection only gets its own
 * buffer while a write to its peer is short, so ten thousand idle
 * connections cost little more than their sockets.
 */

#define _GNU_SOURCE

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ECHO_BUF	(64 * 1024)
#define ECHO_LINE_MAX	200
#define ECHO_EVENTS	256
#define ECHO_BATCH	32
#define ECHO_MAXDG	2048

enum echo_kind { ECHO_TCP_LISTEN, ECHO_UDP, ECHO_CONN };

struct echo_conn {
	int		 kind;
	int		 fd;
	int		 checked;	/* SRC line seen and matched */
	size_t		 line_len;
	char		*pend;		/* bytes still to write, or NULL */
	size_t		 pend_len, pend_off;
	char		 peer[INET6_ADDRSTRLEN + 8];	/* "ip port" */
	char		 line[ECHO_LINE_MAX];
};

static int		 epfd = -1;
static int		 check;
static char		 buf[ECHO_BUF];
static volatile sig_atomic_t stop;

static unsigned long long n_accepted, n_checked, n_mismatch, n_closed;
static unsigned long long n_udp_rx, n_udp_tx, n_udp_mismatch, n_udp_drop;

static void
echo_on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* "ip port" of sa into out; IPv4-mapped IPv6 is shown as IPv4. */
static void
echo_peer_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char	ip[INET6_ADDRSTRLEN];
	const struct sockaddr_in  *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s %u", ip, ntohs(sin->sin_port));
	} else if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ip,
		    sizeof(ip));
		snprintf(out, len, "%s %u", ip, ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "%s %u", ip, ntohs(sin6->sin6_port));
	}
}

/* Does the text at p (n bytes) start with "SRC <peer>" then ' ' or '\n'? */
static int
echo_src_matches(const char *p, size_t n, const char *peer)
{
	size_t	pl = strlen(peer);

	if (n < 5 + pl || memcmp(p, "SRC ", 4) != 0 ||
	    memcmp(p + 4, peer, pl) != 0)
		return (0);
	return (p[4 + pl] == ' ' || p[4 + pl] == '\n');
}

static void
echo_close(struct echo_conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pend);
	free(c);
	n_closed++;
}

static int
echo_listen(int family, int type, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in  *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct echo_conn *c;
	struct epoll_event ev;
	socklen_t	 len;
	int		 fd, one = 1, sz = 4 << 20;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 4096) == -1)) {
		close(fd);
		return (-1);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (-1);
	c->kind = type == SOCK_STREAM ? ECHO_TCP_LISTEN : ECHO_UDP;
	c->fd = fd;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	return (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev));
}

static void
echo_accept(struct echo_conn *l)
{
	struct sockaddr_storage ss;
	struct echo_conn *c;
	struct epoll_event ev;
	socklen_t	 len;
	int		 fd, one = 1;

	for (;;) {
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && errno == EINTR)
			continue;
		if (fd == -1) {
			if (errno != EAGAIN)
				perror("accept4");
			return;
		}
		n_accepted++;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->kind = ECHO_CONN;
		c->fd = fd;
		c->checked = !check;
		echo_peer_text(&ss, c->peer, sizeof(c->peer));
		ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
		ev.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			close(fd);
			free(c);
		}
	}
}

/*
 * Send p, after anything already pending; what the socket does not take
 * is kept in c->pend. Returns -1 when the connection failed.
 */
static int
echo_send(struct echo_conn *c, const char *p, size_t n)
{
	ssize_t	 w;
	char	*np;

	while (c->pend == NULL && n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			break;
		if (w == -1)
			return (-1);
		p += w;
		n -= (size_t)w;
	}
	if (n == 0)
		return (0);
	if ((np = realloc(c->pend, c->pend_len + n)) == NULL)
		return (-1);
	memcpy(np + c->pend_len, p, n);
	c->pend = np;
	c->pend_len += n;
	return (0);
}

/* Flush c->pend; returns 1 while some is left, -1 on failure. */
static int
echo_flush(struct echo_conn *c)
{
	ssize_t	w;

	while (c->pend != NULL && c->pend_off < c->pend_len) {
		w = send(c->fd, c->pend + c->pend_off,
		    c->pend_len - c->pend_off, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			return (1);
		if (w == -1)
			return (-1);
		c->pend_off += (size_t)w;
	}
	free(c->pend);
	c->pend = NULL;
	return (0);
}

/*
 * Gather the first line until '\n' and check it. Returns the bytes of p
 * consumed into the line (they are echoed with it), or -1 on a mismatch
 * (already answered).
 */
static ssize_t
echo_check_line(struct echo_conn *c, const char *p, size_t n)
{
	const char	*nl;
	size_t		 take;
	char		 msg[ECHO_LINE_MAX + 16];
	int		 ml;

	nl = memchr(p, '\n', n);
	take = nl != NULL ? (size_t)(nl - p) + 1 : n;
	if (c->line_len + take > sizeof(c->line))
		take = sizeof(c->line) - c->line_len;
	memcpy(c->line + c->line_len, p, take);
	c->line_len += take;
	if (nl == NULL && c->line_len < sizeof(c->line))
		return ((ssize_t)take);
	n_checked++;
	if (!echo_src_matches(c->line, c->line_len, c->peer)) {
		n_mismatch++;
		ml = snprintf(msg, sizeof(msg), "BADSRC %s\n", c->peer);
		(void)send(c->fd, msg, (size_t)ml, MSG_NOSIGNAL);
		return (-1);
	}
	c->checked = 1;
	return ((ssize_t)take);
}

static void
echo_tcp(struct echo_conn *c, uint32_t events)
{
	ssize_t	 n, used;
	int	 rc;

	if ((rc = echo_flush(c)) == -1)
		goto close;
	/* While the peer cannot take more, leave its data in the socket. */
	while (rc == 0) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0)
			goto close;
		used = 0;
		if (!c->checked) {
			/* The line may come in pieces; echo it once whole. */
			if ((used = echo_check_line(c, buf, (size_t)n)) == -1)
				goto close;
			if (!c->checked)
				continue;
			if (echo_send(c, c->line, c->line_len) == -1)
				goto close;
		}
		if (echo_send(c, buf + used, (size_t)n - (size_t)used) == -1)
			goto close;
		rc = c->pend != NULL;
	}
	/* Half-closed by the peer and nothing left to send: done. */
	if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && c->pend == NULL)
		goto close;
	return;
close:
	echo_close(c);
}

static void
echo_udp(struct echo_conn *l)
{
	static char	 bufs[ECHO_BATCH][ECHO_MAXDG];
	struct mmsghdr	 msg[ECHO_BATCH], out[ECHO_BATCH];
	struct iovec	 iov[ECHO_BATCH];
	struct sockaddr_storage from[ECHO_BATCH];
	char		 peer[INET6_ADDRSTRLEN + 8];
	int		 i, n, k, sent, rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		memset(msg, 0, sizeof(msg));
		for (i = 0; i < ECHO_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = ECHO_MAXDG;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(l->fd, msg, ECHO_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		n_udp_rx += (unsigned long long)n;
		for (k = 0, i = 0; i < n; i++) {
			if (check) {
				echo_peer_text(&from[i], peer, sizeof(peer));
				if (!echo_src_matches(bufs[i], msg[i].msg_len,
				    peer)) {
					n_udp_mismatch++;
					continue;
				}
			}
			out[k] = msg[i];
			iov[i].iov_len = msg[i].msg_len;
			out[k].msg_hdr.msg_iov = &iov[i];
			k++;
		}
		for (sent = 0; sent < k; ) {
			i = sendmmsg(l->fd, out + sent, (unsigned)(k - sent),
			    0);
			if (i <= 0) {
				n_udp_drop += (unsigned long long)(k - sent);
				break;
			}
			sent += i;
		}
		n_udp_tx += (unsigned long long)sent;
	}
}

int
main(int argc, char *argv[])
{
	struct epoll_event evs[ECHO_EVENTS];
	struct sigaction sa;
	struct rlimit	 rl;
	struct echo_conn *c;
	int		 ch, i, n, port = 0;

	while ((ch = getopt(argc, argv, "cp:")) != -1) {
		switch (ch) {
		case 'c':
			check = 1;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || port > 65535)
		goto usage;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    echo_listen(AF_INET, SOCK_STREAM, port) == -1 ||
	    echo_listen(AF_INET6, SOCK_STREAM, port) == -1 ||
	    echo_listen(AF_INET, SOCK_DGRAM, port) == -1 ||
	    echo_listen(AF_INET6, SOCK_DGRAM, port) == -1) {
		perror("echo_backend: listen");
		return (1);
	}
	printf("listening %d\n", port);
	fflush(stdout);
	while (!stop) {
		n = epoll_wait(epfd, evs, ECHO_EVENTS, 200);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c->kind == ECHO_TCP_LISTEN)
				echo_accept(c);
			else if (c->kind == ECHO_UDP)
				echo_udp(c);
			else
				echo_tcp(c, evs[i].events);
		}
	}
	printf("backend accepted=%llu checked=%llu mismatch=%llu "
	    "closed=%llu udp_rx=%llu udp_tx=%llu udp_mismatch=%llu "
	    "udp_drop=%llu\n", n_accepted, n_checked, n_mismatch, n_closed,
	    n_udp_rx, n_udp_tx, n_udp_mismatch, n_udp_drop);
	return (0);
usage:
	fprintf(stderr, "usage: echo_backend [-c] -p port\n");
	return (2);
}
