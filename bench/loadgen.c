/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * loadgen.c -- load generator for the mmproxyd benchmarks.
 *
 * One thread, one epoll set, non-blocking sockets, libc only. Each TCP
 * connection opens with a PROXY v1 header (-x) and a line
 * "SRC <ip> <port>" naming the client source that header claims; the
 * echo backend compares that line with the peer address it sees, echoes
 * it when they agree and answers "BADSRC" and closes when they do not.
 * A proxy that does not spoof the source therefore shows up as failed
 * connections (spoof_fail), never as a fast run. Without -x the line is
 * still sent, so every run puts the same bytes on the wire.
 *
 * Sources come from 198.51.100.0/24 (index i: host 1 + i % 254, port
 * 1024 + i / 254 % 64000) or, with -6, from 2001:db8::/64 with a random
 * interface identifier per run, so no run meets another's TIME_WAIT.
 *
 * The result is one line of key=value pairs on stdout for bench/run.
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
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOADGEN_HELLO_MAX	256
#define LOADGEN_RBUF		(256 * 1024)
#define LOADGEN_PATTERN		"PING\r\n"
#define LOADGEN_PATLEN		6
#define LOADGEN_EVENTS		256
#define LOADGEN_LAT_MAX		(8 * 1024 * 1024)
#define LOADGEN_UDP_BATCH	32
#define LOADGEN_UDP_MAXDG	2048

enum loadgen_mode { MODE_STREAM, MODE_BULK, MODE_RATE, MODE_IDLE, MODE_UDP,
    MODE_FLOOD };
enum loadgen_state { ST_FREE, ST_CONNECTING, ST_HELLO, ST_RUN, ST_PING,
    ST_DONE };

struct loadgen_conn {
	int		 fd;
	int		 state;
	uint64_t	 idx;		/* source index */
	size_t		 hello_len;	/* header + SRC line */
	size_t		 hello_off;	/* bytes of hello written */
	size_t		 line_off;	/* where the SRC line starts in hello */
	size_t		 line_got;	/* bytes of the echoed line checked */
	uint64_t	 tx, rx;	/* payload bytes after the line */
	double		 t0;
	char		 hello[LOADGEN_HELLO_MAX];
};

static struct {
	int		 mode;
	int		 proxied;	/* -x: send PROXY headers */
	int		 v6;		/* -6: sources from 2001:db8::/64 */
	int		 conns;
	double		 secs;
	int		 window;
	size_t		 size;
	uint64_t	 offset;
	double		 hold;
	struct sockaddr_storage target;
	socklen_t	 target_len;
	unsigned	 target_port;
	uint64_t	 v6base;
} opt = { MODE_STREAM, 0, 0, 0, 3.0, 0, 0, 0, 60.0, { 0 }, 0, 0, 0 };

static int		 epfd = -1;
static char		*pattern;	/* "PING\r\n" repeated, LOADGEN_RBUF + 6 */
static char		 rbuf[LOADGEN_RBUF];
static struct loadgen_conn *conns;
static uint64_t		 next_idx;

/* Counters, reported at the end. */
static uint64_t		 n_errors, n_spoof_fail, n_connect_fail, n_corrupt;
static uint64_t		 n_running, n_done, n_echoed;
static uint32_t		*lat;		/* rate: latencies in microseconds */
static size_t		 lat_len;
static int		 measuring;
static volatile sig_atomic_t got_usr1;

static double
loadgen_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
loadgen_usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -m stream|bulk|flood|rate|idle|udp -t ADDR:PORT"
	    " [-x] [-6]\n"
	    "    [-c conns] [-d secs] [-w window] [-s size] [-o offset]"
	    " [-H hold]\n");
	exit(2);
}

static int
loadgen_parse_target(const char *s)
{
	char		 host[INET6_ADDRSTRLEN + 2];
	const char	*colon;
	size_t		 hl;
	struct sockaddr_in  *sin = (struct sockaddr_in *)&opt.target;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.target;

	if ((colon = strrchr(s, ':')) == NULL)
		return (-1);
	hl = colon - s;
	if (s[0] == '[') {
		if (hl < 2 || s[hl - 1] != ']')
			return (-1);
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return (-1);
	memcpy(host, s, hl);
	host[hl] = '\0';
	opt.target_port = (unsigned)atoi(colon + 1);
	if (opt.target_port == 0 || opt.target_port > 65535)
		return (-1);
	memset(&opt.target, 0, sizeof(opt.target));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(opt.target_port);
		opt.target_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(opt.target_port);
		opt.target_len = sizeof(*sin6);
	} else
		return (-1);
	return (0);
}

/*
 * The client source for index i: text address into ip (INET6_ADDRSTRLEN),
 * binary into a4/a6 when given, port as the return value.
 */
static unsigned
loadgen_source(uint64_t i, char *ip, struct in_addr *a4,
    struct in6_addr *a6)
{
	struct in_addr	 v4;
	struct in6_addr	 v6;
	uint64_t	 iid;
	int		 b;

	if (!opt.v6) {
		v4.s_addr = htonl(0xc6336400u | (uint32_t)(1 + i % 254));
		inet_ntop(AF_INET, &v4, ip, INET6_ADDRSTRLEN);
		if (a4 != NULL)
			*a4 = v4;
		return (1024 + (unsigned)(i / 254 % 64000));
	}
	inet_pton(AF_INET6, "2001:db8::", &v6);
	iid = opt.v6base + i;
	for (b = 0; b < 8; b++)
		v6.s6_addr[8 + b] = (uint8_t)(iid >> (56 - 8 * b));
	inet_ntop(AF_INET6, &v6, ip, INET6_ADDRSTRLEN);
	if (a6 != NULL)
		*a6 = v6;
	return (1024 + (unsigned)(i % 64000));
}

/*
 * Fill c->hello with the PROXY v1 header (when proxied) and the SRC line.
 * The line is padded with 'x' to pad bytes when pad is non-zero; the
 * backend echoes the line, which for the rate test is the whole request.
 */
static void
loadgen_hello(struct loadgen_conn *c, size_t pad)
{
	char	 ip[INET6_ADDRSTRLEN];
	unsigned port;
	size_t	 n = 0, l;

	port = loadgen_source(c->idx, ip, NULL, NULL);
	if (opt.proxied)
		n = (size_t)snprintf(c->hello, sizeof(c->hello),
		    "PROXY %s %s %s %u %u\r\n", opt.v6 ? "TCP6" : "TCP4", ip,
		    opt.v6 ? "::1" : "127.0.0.1", port, opt.target_port);
	c->line_off = n;
	l = (size_t)snprintf(c->hello + n, sizeof(c->hello) - n,
	    "SRC %s %u\n", ip, port);
	if (pad > l && n + pad <= sizeof(c->hello)) {
		c->hello[n + l - 1] = ' ';
		memset(c->hello + n + l, 'x', pad - l);
		c->hello[n + pad - 1] = '\n';
		l = pad;
	}
	c->hello_len = n + l;
	c->hello_off = 0;
	c->line_got = 0;
}

static void
loadgen_close(struct loadgen_conn *c, int state)
{
	if (c->fd != -1) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	if (c->state == ST_RUN)
		n_running--;
	c->fd = -1;
	c->state = state;
}

/*
 * Toward 127/8, connect from 127.100.0.0/16, a different address each
 * time: short connections leave TIME_WAIT behind at this end, and one
 * source address has fewer than 30,000 ephemeral ports.
 */
static void
loadgen_bind_loopback(int fd)
{
	static uint32_t	 n;
	struct sockaddr_in *t = (struct sockaddr_in *)&opt.target;
	struct sockaddr_in sin;
	int		 one = 1;

	if (t->sin_family != AF_INET ||
	    (ntohl(t->sin_addr.s_addr) >> 24) != 127)
		return;
	if (n == 0)
		n = (uint32_t)getpid() * 2654435761u;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f640000u | (n++ & 0xffff));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	(void)bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* Start a connection in slot c with the next source index. */
static int
loadgen_connect(struct loadgen_conn *c)
{
	struct epoll_event ev;
	int		 fd, one = 1;

	c->idx = opt.offset + next_idx++;
	c->tx = c->rx = 0;
	loadgen_hello(c, opt.mode == MODE_RATE ? opt.size : 0);
	c->t0 = loadgen_now();
	fd = socket(opt.target.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		n_connect_fail++;
		c->state = ST_DONE;
		return (-1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	loadgen_bind_loopback(fd);
	if (connect(fd, (struct sockaddr *)&opt.target, opt.target_len) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		n_connect_fail++;
		c->state = ST_DONE;
		return (-1);
	}
	c->fd = fd;
	c->state = ST_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		perror("epoll_ctl");
		exit(1);
	}
	return (0);
}

/*
 * Payload the connection may still write: the window (stream) or
 * unlimited (bulk, flood: write until the socket says EAGAIN). Flood is
 * go-mmproxy's README benchmark, tcpkali -c 50 -m 'PING\r\n': the
 * message repeated into large writes as fast as the socket takes them.
 */
static size_t
loadgen_want(struct loadgen_conn *c)
{
	uint64_t	inflight = c->tx - c->rx;
	uint64_t	win;

	if (c->state != ST_RUN)
		return (0);
	if (opt.mode == MODE_BULK || opt.mode == MODE_FLOOD)
		return (opt.size);
	if (opt.mode != MODE_STREAM)
		return (0);
	win = (uint64_t)opt.window * LOADGEN_PATLEN;
	/* Refill once half the window came back: fewer, larger writes. */
	if (inflight > win / 2)
		return (0);
	return ((size_t)(win - inflight));
}

/* Write what is due; returns -1 when the connection failed. */
static int
loadgen_write(struct loadgen_conn *c)
{
	ssize_t	n;
	size_t	want;

	while (c->hello_off < c->hello_len) {
		n = send(c->fd, c->hello + c->hello_off,
		    c->hello_len - c->hello_off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n == -1)
			return (-1);
		c->hello_off += (size_t)n;
	}
	while ((want = loadgen_want(c)) > 0) {
		if (want > LOADGEN_RBUF)
			want = LOADGEN_RBUF;
		n = send(c->fd, pattern + c->tx % LOADGEN_PATLEN, want,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n == -1)
			return (-1);
		c->tx += (uint64_t)n;
		if (opt.mode == MODE_STREAM)
			break;
	}
	return (0);
}

static void
loadgen_finish_rate(struct loadgen_conn *c)
{
	double	us = (loadgen_now() - c->t0) * 1e6;

	if (measuring) {
		n_done++;
		if (lat_len < LOADGEN_LAT_MAX)
			lat[lat_len++] = us > 4e9 ? 4000000000u : (uint32_t)us;
	}
	loadgen_close(c, ST_FREE);
}

/* Consume n received bytes; returns -1 when the connection is to go. */
static int
loadgen_consume(struct loadgen_conn *c, const char *p, size_t n)
{
	size_t	take, line_len = c->hello_len - c->line_off;

	if (c->state == ST_HELLO) {
		take = line_len - c->line_got;
		if (take > n)
			take = n;
		if (memcmp(p, c->hello + c->line_off + c->line_got, take)
		    != 0) {
			/* Show the first one: it says what the backend saw. */
			if (n_spoof_fail++ == 0)
				fprintf(stderr, "loadgen: spoof check failed: "
				    "sent \"%.*s\" got \"%.*s\"\n",
				    (int)(line_len - 1), c->hello + c->line_off,
				    (int)(n > 100 ? 100 : n - (n > 0 &&
				    p[n - 1] == '\n')), p);
			return (-1);
		}
		c->line_got += take;
		p += take;
		n -= take;
		if (c->line_got < line_len)
			return (0);
		if (opt.mode == MODE_RATE) {
			loadgen_finish_rate(c);
			return (1);
		}
		c->state = ST_RUN;
		n_running++;
	}
	if (n == 0)
		return (0);
	if (c->state == ST_PING) {
		if (n > LOADGEN_PATLEN - c->rx ||
		    memcmp(p, LOADGEN_PATTERN + c->rx, n) != 0) {
			n_corrupt++;
			return (-1);
		}
		c->rx += n;
		if (c->rx == LOADGEN_PATLEN) {
			n_echoed++;
			loadgen_close(c, ST_DONE);
			return (1);
		}
		return (0);
	}
	if (c->state != ST_RUN || n > c->tx - c->rx ||
	    memcmp(p, pattern + c->rx % LOADGEN_PATLEN, n) != 0) {
		n_corrupt++;
		return (-1);
	}
	c->rx += n;
	return (0);
}

/* Read until EAGAIN; returns -1 when the connection failed. */
static int
loadgen_read(struct loadgen_conn *c)
{
	ssize_t	n;
	int	rc;

	for (;;) {
		n = recv(c->fd, rbuf, sizeof(rbuf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n <= 0)
			return (-1);
		if ((rc = loadgen_consume(c, rbuf, (size_t)n)) != 0)
			return (rc);
	}
}

static void
loadgen_event(struct loadgen_conn *c, uint32_t events)
{
	int	err = 0, rc;
	socklen_t len = sizeof(err);

	if (c->state == ST_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			n_connect_fail++;
			loadgen_close(c, opt.mode == MODE_RATE ? ST_FREE :
			    ST_DONE);
			return;
		}
		c->state = ST_HELLO;
		events |= EPOLLOUT;
	}
	if (events & EPOLLIN) {
		rc = loadgen_read(c);
		if (rc == 1)
			return;
		if (rc == -1)
			goto fail;
	}
	if (events & (EPOLLERR | EPOLLHUP))
		goto fail;
	if (loadgen_write(c) == -1)
		goto fail;
	return;
fail:
	n_errors++;
	loadgen_close(c, opt.mode == MODE_RATE ? ST_FREE : ST_DONE);
}

/* One pass over the epoll set, waiting at most ms. */
static void
loadgen_poll(int ms)
{
	struct epoll_event evs[LOADGEN_EVENTS];
	int	n, i;

	n = epoll_wait(epfd, evs, LOADGEN_EVENTS, ms);
	if (n == -1 && errno != EINTR) {
		perror("epoll_wait");
		exit(1);
	}
	for (i = 0; i < n; i++)
		loadgen_event(evs[i].data.ptr, evs[i].events);
}

static int
loadgen_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
loadgen_sum(int tx)
{
	uint64_t s = 0;
	int	 i;

	for (i = 0; i < opt.conns; i++)
		s += tx ? conns[i].tx : conns[i].rx;
	return (s);
}

static void
loadgen_run_stream(void)
{
	double	 start, t0, t1, deadline;
	uint64_t tx0, rx0, tx1, rx1;
	int	 i;

	start = loadgen_now();
	for (i = 0; i < opt.conns; i++)
		loadgen_connect(&conns[i]);
	/* Everyone through the handshake, or 10 s, before measuring. */
	while (n_running + n_errors + n_spoof_fail + n_connect_fail <
	    (uint64_t)opt.conns && loadgen_now() - start < 10.0)
		loadgen_poll(100);
	t0 = loadgen_now();
	tx0 = loadgen_sum(1);
	rx0 = loadgen_sum(0);
	deadline = t0 + opt.secs;
	while (loadgen_now() < deadline && n_running > 0)
		loadgen_poll(50);
	t1 = loadgen_now();
	tx1 = loadgen_sum(1);
	rx1 = loadgen_sum(0);
	printf("mode=%s conns=%d running=%llu secs=%.3f up_mbps=%.1f "
	    "down_mbps=%.1f total_mbps=%.1f errors=%llu spoof_fail=%llu "
	    "connect_fail=%llu corrupt=%llu\n", opt.mode == MODE_BULK ? "bulk" :
	    opt.mode == MODE_FLOOD ? "flood" : "stream",
	    opt.conns, (unsigned long long)n_running, t1 - t0,
	    (tx1 - tx0) * 8 / (t1 - t0) / 1e6,
	    (rx1 - rx0) * 8 / (t1 - t0) / 1e6,
	    (tx1 - tx0 + rx1 - rx0) * 8 / (t1 - t0) / 1e6,
	    (unsigned long long)n_errors, (unsigned long long)n_spoof_fail,
	    (unsigned long long)n_connect_fail, (unsigned long long)n_corrupt);
}

/* Slots that hang (a proxy that swallowed a connection) go after 2 s. */
static void
loadgen_expire(double now, double limit)
{
	int	i;

	for (i = 0; i < opt.conns; i++) {
		struct loadgen_conn *c = &conns[i];

		if ((c->state == ST_CONNECTING || c->state == ST_HELLO) &&
		    now - c->t0 > limit) {
			n_errors++;
			loadgen_close(c, ST_FREE);
		}
	}
}

static void
loadgen_run_rate(void)
{
	double	 t0, t1, warm, last_sweep, now;
	uint64_t errs0, spoof0, cf0;
	int	 i;

	lat = malloc(LOADGEN_LAT_MAX * sizeof(*lat));
	if (lat == NULL) {
		perror("malloc");
		exit(1);
	}
	/* A short warm-up so that the measured part is steady. */
	warm = loadgen_now() + (opt.secs > 2 ? 0.5 : 0.2);
	t0 = t1 = last_sweep = 0;
	errs0 = spoof0 = cf0 = 0;
	for (;;) {
		now = loadgen_now();
		if (!measuring && now >= warm) {
			measuring = 1;
			t0 = now;
			errs0 = n_errors;
			spoof0 = n_spoof_fail;
			cf0 = n_connect_fail;
		}
		if (measuring && now - t0 >= opt.secs)
			break;
		for (i = 0; i < opt.conns; i++)
			if (conns[i].state == ST_FREE ||
			    conns[i].state == ST_DONE)
				loadgen_connect(&conns[i]);
		if (now - last_sweep > 0.1) {
			loadgen_expire(now, 2.0);
			last_sweep = now;
		}
		loadgen_poll(10);
	}
	t1 = loadgen_now();
	qsort(lat, lat_len, sizeof(*lat), loadgen_cmp_u32);
	printf("mode=rate workers=%d conns=%llu secs=%.3f cps=%.0f "
	    "p50_us=%u p99_us=%u errors=%llu spoof_fail=%llu "
	    "connect_fail=%llu corrupt=%llu\n", opt.conns,
	    (unsigned long long)n_done, t1 - t0, n_done / (t1 - t0),
	    lat_len ? lat[lat_len / 2] : 0,
	    lat_len ? lat[(size_t)(lat_len * 0.99)] : 0,
	    (unsigned long long)(n_errors - errs0),
	    (unsigned long long)(n_spoof_fail - spoof0),
	    (unsigned long long)(n_connect_fail - cf0),
	    (unsigned long long)n_corrupt);
}

static void
loadgen_on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/*
 * Idle: open conns connections, at most 256 handshakes in flight, print
 * "READY <n>" once all are through, hold them until SIGUSR1 (or -H
 * seconds), then send one PING on each and count the echoes.
 */
static void
loadgen_run_idle(void)
{
	double	 start, t;
	int	 i, opened = 0, pending = 0;

	start = loadgen_now();
	while (loadgen_now() - start < 60.0) {
		pending = opened - (int)(n_running + n_errors +
		    n_spoof_fail + n_connect_fail);
		while (opened < opt.conns && pending < 256) {
			loadgen_connect(&conns[opened++]);
			pending++;
		}
		if (opened == opt.conns && pending == 0)
			break;
		loadgen_poll(20);
	}
	t = loadgen_now() - start;
	printf("READY %llu %.3f\n", (unsigned long long)n_running, t);
	fflush(stdout);
	start = loadgen_now();
	while (!got_usr1 && loadgen_now() - start < opt.hold)
		loadgen_poll(100);
	for (i = 0; i < opt.conns; i++) {
		struct loadgen_conn *c = &conns[i];

		if (c->state != ST_RUN)
			continue;
		c->state = ST_PING;
		n_running--;
		c->rx = 0;
		if (send(c->fd, LOADGEN_PATTERN, LOADGEN_PATLEN,
		    MSG_NOSIGNAL) != LOADGEN_PATLEN) {
			n_errors++;
			loadgen_close(c, ST_DONE);
		}
	}
	start = loadgen_now();
	while (loadgen_now() - start < 20.0) {
		for (pending = 0, i = 0; i < opt.conns; i++)
			pending += conns[i].state == ST_PING;
		if (pending == 0)
			break;
		loadgen_poll(50);
	}
	printf("mode=idle conns=%d established_secs=%.3f echoed=%llu "
	    "errors=%llu spoof_fail=%llu connect_fail=%llu corrupt=%llu "
	    "unanswered=%d\n", opt.conns, t, (unsigned long long)n_echoed,
	    (unsigned long long)n_errors, (unsigned long long)n_spoof_fail,
	    (unsigned long long)n_connect_fail, (unsigned long long)n_corrupt,
	    pending);
}

/*
 * UDP: datagrams carry a PROXY v2 DGRAM header (-x) and the line
 * "SRC <ip> <port> <seq>", round-robin over conns sources, at most
 * window unanswered. When nothing comes back for 20 ms the outstanding
 * ones count as lost and the window opens again. Replies are the bare
 * payload, as go-mmproxy sends them.
 */
static size_t
loadgen_udp_build(char *buf, uint64_t seq)
{
	static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	char		 ip[INET6_ADDRSTRLEN];
	struct in_addr	 a4;
	struct in6_addr	 a6, d6;
	unsigned	 port;
	size_t		 n = 0, l;
	uint16_t	 p;

	port = loadgen_source(opt.offset + seq % (uint64_t)opt.conns, ip,
	    &a4, &a6);
	if (opt.proxied) {
		memcpy(buf, sig, sizeof(sig));
		buf[12] = 0x21;
		buf[13] = opt.v6 ? 0x22 : 0x12;
		buf[14] = 0;
		buf[15] = opt.v6 ? 36 : 12;
		n = 16;
		if (opt.v6) {
			inet_pton(AF_INET6, "::1", &d6);
			memcpy(buf + n, &a6, 16);
			memcpy(buf + n + 16, &d6, 16);
			n += 32;
		} else {
			uint32_t d = htonl(0x7f000001);

			memcpy(buf + n, &a4, 4);
			memcpy(buf + n + 4, &d, 4);
			n += 8;
		}
		p = htons((uint16_t)port);
		memcpy(buf + n, &p, 2);
		p = htons((uint16_t)opt.target_port);
		memcpy(buf + n + 2, &p, 2);
		n += 4;
	}
	l = (size_t)snprintf(buf + n, LOADGEN_UDP_MAXDG - n, "SRC %s %u %llu\n",
	    ip, port, (unsigned long long)seq);
	if (opt.size > l && n + opt.size <= LOADGEN_UDP_MAXDG) {
		memset(buf + n + l, 'x', opt.size - l);
		l = opt.size;
	}
	return (n + l);
}

static void
loadgen_run_udp(void)
{
	static char	 sbuf[LOADGEN_UDP_BATCH][LOADGEN_UDP_MAXDG];
	static char	 rbufs[LOADGEN_UDP_BATCH][LOADGEN_UDP_MAXDG];
	struct mmsghdr	 smsg[LOADGEN_UDP_BATCH], rmsg[LOADGEN_UDP_BATCH];
	struct iovec	 siov[LOADGEN_UDP_BATCH], riov[LOADGEN_UDP_BATCH];
	struct epoll_event ev;
	uint64_t	 sent = 0, recvd = 0, given_up = 0, s0 = 0, r0 = 0;
	uint64_t	 outstanding;
	double		 now, t0 = 0, t1, last_rx, warm, drain;
	int		 fd, i, n, k, buf = 4 << 20;

	fd = socket(opt.target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&opt.target,
	    opt.target_len) == -1) {
		perror("udp socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	memset(rmsg, 0, sizeof(rmsg));
	for (i = 0; i < LOADGEN_UDP_BATCH; i++) {
		riov[i].iov_base = rbufs[i];
		riov[i].iov_len = LOADGEN_UDP_MAXDG;
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	warm = loadgen_now() + (opt.secs > 2 ? 0.5 : 0.2);
	last_rx = loadgen_now();
	for (;;) {
		now = loadgen_now();
		if (!measuring && now >= warm) {
			measuring = 1;
			t0 = now;
			s0 = sent;
			r0 = recvd;
		}
		if (measuring && now - t0 >= opt.secs)
			break;
		outstanding = sent - recvd - given_up;
		if (sent < recvd + given_up)
			outstanding = 0;
		if (outstanding * 2 <= (uint64_t)opt.window) {
			k = (int)((uint64_t)opt.window - outstanding);
			if (k > LOADGEN_UDP_BATCH)
				k = LOADGEN_UDP_BATCH;
			memset(smsg, 0, sizeof(smsg));
			for (i = 0; i < k; i++) {
				siov[i].iov_base = sbuf[i];
				siov[i].iov_len = loadgen_udp_build(sbuf[i],
				    sent + i);
				smsg[i].msg_hdr.msg_iov = &siov[i];
				smsg[i].msg_hdr.msg_iovlen = 1;
			}
			n = sendmmsg(fd, smsg, (unsigned)k, 0);
			if (n > 0)
				sent += (uint64_t)n;
		}
		n = recvmmsg(fd, rmsg, LOADGEN_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n > 0) {
			for (i = 0; i < n; i++)
				if (memmem(rbufs[i], rmsg[i].msg_len, "SRC ",
				    4) == NULL)
					n_corrupt++;
			recvd += (uint64_t)n;
			last_rx = now;
			continue;
		}
		if (now - last_rx > 0.02) {
			given_up = sent - recvd;
			last_rx = now;
		}
		if (outstanding * 2 > (uint64_t)opt.window)
			epoll_wait(epfd, &ev, 1, 5);
	}
	t1 = loadgen_now();
	/* Let stragglers in: a slow reply is not a lost one. */
	drain = t1 + 0.3;
	while ((now = loadgen_now()) < drain && recvd < sent) {
		n = recvmmsg(fd, rmsg, LOADGEN_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n > 0)
			recvd += (uint64_t)n;
		else
			epoll_wait(epfd, &ev, 1, 10);
	}
	printf("mode=udp flows=%d secs=%.3f sent=%llu recv=%llu tx_dps=%.0f "
	    "rx_dps=%.0f loss_pct=%.3f corrupt=%llu\n", opt.conns, t1 - t0,
	    (unsigned long long)sent, (unsigned long long)recvd,
	    (sent - s0) / (t1 - t0), (recvd - r0) / (t1 - t0),
	    sent ? 100.0 * (double)(sent - recvd) / (double)sent : 0.0,
	    (unsigned long long)n_corrupt);
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	struct sigaction sa;
	int		 ch, i;

	while ((ch = getopt(argc, argv, "6c:d:H:m:o:s:t:w:x")) != -1) {
		switch (ch) {
		case '6':
			opt.v6 = 1;
			break;
		case 'c':
			opt.conns = atoi(optarg);
			break;
		case 'd':
			opt.secs = atof(optarg);
			break;
		case 'H':
			opt.hold = atof(optarg);
			break;
		case 'm':
			if (strcmp(optarg, "stream") == 0)
				opt.mode = MODE_STREAM;
			else if (strcmp(optarg, "bulk") == 0)
				opt.mode = MODE_BULK;
			else if (strcmp(optarg, "flood") == 0)
				opt.mode = MODE_FLOOD;
			else if (strcmp(optarg, "rate") == 0)
				opt.mode = MODE_RATE;
			else if (strcmp(optarg, "idle") == 0)
				opt.mode = MODE_IDLE;
			else if (strcmp(optarg, "udp") == 0)
				opt.mode = MODE_UDP;
			else
				loadgen_usage();
			break;
		case 'o':
			opt.offset = strtoull(optarg, NULL, 10);
			break;
		case 's':
			opt.size = (size_t)atol(optarg);
			break;
		case 't':
			if (loadgen_parse_target(optarg) == -1)
				loadgen_usage();
			break;
		case 'w':
			opt.window = atoi(optarg);
			break;
		case 'x':
			opt.proxied = 1;
			break;
		default:
			loadgen_usage();
		}
	}
	if (opt.target_len == 0)
		loadgen_usage();
	if (opt.conns <= 0)
		opt.conns = opt.mode == MODE_BULK ? 4 : opt.mode == MODE_IDLE ?
		    10000 : opt.mode == MODE_UDP ? 512 : 50;
	if (opt.window <= 0)
		opt.window = opt.mode == MODE_UDP ? 256 : 128;
	if (opt.size == 0)
		opt.size = opt.mode == MODE_BULK || opt.mode == MODE_FLOOD ?
		    65536 : 128;
	if (opt.size > LOADGEN_RBUF)
		opt.size = LOADGEN_RBUF;
	opt.v6base = ((uint64_t)time(NULL) << 32 ^ (uint64_t)getpid() << 16) &
	    0x7fffffffffff0000ULL;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loadgen_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("epoll_create1");
		return (1);
	}
	pattern = malloc(LOADGEN_RBUF + LOADGEN_PATLEN);
	conns = calloc((size_t)opt.conns, sizeof(*conns));
	if (pattern == NULL || conns == NULL) {
		perror("malloc");
		return (1);
	}
	for (i = 0; i < LOADGEN_RBUF + LOADGEN_PATLEN; i++)
		pattern[i] = LOADGEN_PATTERN[i % LOADGEN_PATLEN];
	for (i = 0; i < opt.conns; i++)
		conns[i].fd = -1;

	switch (opt.mode) {
	case MODE_STREAM:
	case MODE_BULK:
	case MODE_FLOOD:
		loadgen_run_stream();
		break;
	case MODE_RATE:
		loadgen_run_rate();
		break;
	case MODE_IDLE:
		loadgen_run_idle();
		break;
	case MODE_UDP:
		loadgen_run_udp();
		break;
	}
	fflush(stdout);
	return (0);
}
