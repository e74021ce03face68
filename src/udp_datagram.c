/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_datagram.c -- each datagram from the load balancer carries a PROXY
 * v2 header (PROXY, DGRAM, INET or INET6). The client's address and port
 * from the header key a flow (udp_flowsock.c). A v2 LOCAL datagram (a
 * health check) gets a flow too, keyed by the load balancer's own address
 * under a separate tag, on a plain socket: so its replies find their way
 * back like any other. Runs in the UDP thread, on its state.
 *
 * A flow belongs to the load balancer that opened it, by address: its
 * replies go there, to the port of its latest datagram. While that
 * balancer keeps sending for the flow, a datagram naming the same client
 * from any other address is counted and dropped, so that neither another
 * admitted sender nor one that spoofs an admitted address can take a
 * live flow's replies. After UDP_FLOW_HANDOVER_MS of silence from its
 * balancer the next one to send takes the flow over: a client that ECMP
 * or anycast moves to another balancer (when one fails, say) is served
 * again within that time, instead of waiting out a flow that a chatty
 * service may keep alive for ever.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "allowlist.h"
#include "destallow.h"
#include "log.h"
#include "proxy_header.h"
#include "target.h"
#include "udp_datagram.h"
#include "udp_flowsock.h"
#include "udp_thread_state.h"

void
udp_datagram_drop(struct udp_thread *u, const struct sockaddr *from,
    enum failure_class_header cls, const char *why)
{
	char		buf[ADDR_STRLEN];
	struct log_fields lf = LOG_FIELDS_INIT;
	uint64_t	n;

	UDP_STATS_INC(&u->st, bad_header);
	UDP_STATS_INC(&u->st, bad_header_by[cls]);
	if ((n = udp_thread_log_due(u, &u->log_bad)) == 0)
		return;
	lf.lb = addr_format(from, buf, sizeof(buf));
	lf.reason = why;
	log_conn_f(LOG_V_ERRORS, &lf, "udp %d: dropped %" PRIu64 " datagram(s) "
	    "without a usable PROXY v2 header, last from %s: %s", u->id,
	    n, lf.lb, why);
}

/* -dynamic-destination to a destination outside the list: counted. */
static void
udp_datagram_dest_denied(struct udp_thread *u, const union udp_flow_addr *from,
    const struct sockaddr *src, const struct sockaddr *dst)
{
	char			 lbuf[ADDR_STRLEN], cbuf[ADDR_STRLEN];
	char			 tbuf[ADDR_STRLEN];
	struct log_fields	 lf = LOG_FIELDS_INIT;
	uint64_t		 n;

	UDP_STATS_INC(&u->st, dest_denied);
	if ((n = udp_thread_log_due(u, &u->log_dest_denied)) == 0)
		return;
	lf.lb = addr_format(&from->sa, lbuf, sizeof(lbuf));
	lf.client = addr_format(src, cbuf, sizeof(cbuf));
	lf.target = addr_format(dst, tbuf, sizeof(tbuf));
	lf.reason = "destination not allowed";
	log_conn_f(LOG_V_ERRORS, &lf, "udp %d: denied %" PRIu64 " datagram(s) "
	    "to destinations not in -dynamic-destination-allow, last %s via "
	    "%s -> %s", u->id, n, lf.client, lf.lb, lf.target);
}

/*
 * Whether the datagram from from may go on in f: f's own balancer, or
 * another once f's has been silent long enough (f then moves to it).
 */
static int
udp_datagram_owner(struct udp_thread *u, struct udp_flow *f,
    const union udp_flow_addr *from)
{
	char			 lbuf[ADDR_STRLEN], cbuf[ADDR_STRLEN];
	char			 obuf[ADDR_STRLEN];
	union udp_flow_addr	 client;
	struct log_fields	 lf = LOG_FIELDS_INIT;
	uint64_t		 n;
	int			 moved;

	if (addr_same_host(&f->sender.sa, &from->sa))
		return (1);
	moved = u->now - f->sender_ms >= UDP_FLOW_HANDOVER_MS;
	if (moved)
		UDP_STATS_INC(&u->st, lb_moved);
	else
		UDP_STATS_INC(&u->st, other_lb);
	if ((n = udp_thread_log_due(u, moved ? &u->log_lb_moved :
	    &u->log_other_lb)) == 0)
		return (moved);
	udp_flow_table_key_addr(&f->key, &client);
	lf.lb = addr_format(&from->sa, lbuf, sizeof(lbuf));
	lf.client = addr_format(&client.sa, cbuf, sizeof(cbuf));
	addr_format(&f->sender.sa, obuf, sizeof(obuf));
	if (moved)
		log_conn_f(LOG_V_ERRORS, &lf, "udp %d: %" PRIu64 " flow(s) "
		    "moved to another load balancer after %d ms without a "
		    "datagram from theirs, last %s from %s to %s", u->id, n,
		    UDP_FLOW_HANDOVER_MS, lf.client, obuf, lf.lb);
	else {
		lf.reason = "flow held by another load balancer";
		log_conn_f(LOG_V_ERRORS, &lf, "udp %d: dropped %" PRIu64
		    " datagram(s) for flows another load balancer holds, "
		    "last %s via %s, held by %s", u->id, n, lf.client,
		    lf.lb, obuf);
	}
	return (moved);
}

/*
 * The header's flow tag, or -1 after dropping the datagram: only PROXY
 * over DGRAM with INET or INET6 addresses, and LOCAL, are served.
 */
static int
udp_datagram_tag(struct udp_thread *u, const struct pp_header *hdr,
    const union udp_flow_addr *from)
{
	if (hdr->version != 2) {
		udp_datagram_drop(u, &from->sa,
		    FAILURE_HDR_UNSUPPORTED, "v1 header on udp");
		return (-1);
	}
	if (hdr->command == PP_CMD_LOCAL)
		return (UDP_FLOW_TAG_LOCAL);
	if (hdr->action != PP_ACTION_PROXY ||
	    (hdr->src.ss_family != AF_INET && hdr->src.ss_family != AF_INET6)) {
		udp_datagram_drop(u, &from->sa,
		    FAILURE_HDR_UNSUPPORTED,
		    "not an INET or INET6 address");
		return (-1);
	}
	if (hdr->transport != SOCK_DGRAM) {
		udp_datagram_drop(u, &from->sa,
		    FAILURE_HDR_UNSUPPORTED, "not DGRAM transport");
		return (-1);
	}
	return (UDP_FLOW_TAG_CLIENT);
}

void
udp_datagram(struct udp_thread *u, const unsigned char *buf, size_t len,
    const union udp_flow_addr *from, const union udp_flow_addr *reached)
{
	struct pp_header	 hdr;
	struct sockaddr_storage	 src, dst;
	struct udp_flow_key	 key;
	struct udp_flow		*f;
	const char		*why = NULL;
	ssize_t			 hlen;
	int			 spoof = 0, tag;
	char			 buf1[ADDR_STRLEN];
	struct log_fields	 lf = LOG_FIELDS_INIT;
	uint64_t		 n;

	UDP_STATS_INC(&u->st, datagrams);
	if (!allowlist_allows(u->allow, &from->sa)) {
		UDP_STATS_INC(&u->st, denied);
		if ((n = udp_thread_log_due(u, &u->log_denied)) != 0) {
			lf.lb = addr_format(&from->sa, buf1, sizeof(buf1));
			lf.reason = "not in the allowed subnets";
			log_conn_f(LOG_V_ERRORS, &lf, "udp %d: denied %" PRIu64
			    " datagram(s) from outside the allow-list, "
			    "last from %s", u->id, n, lf.lb);
		}
		return;
	}

	/* Header and payload travel together: a short header is bad. */
	hlen = proxy_header_parse(buf, len, &hdr);
	if (hlen == 0) {
		udp_datagram_drop(u, &from->sa,
		    FAILURE_HDR_V2, "truncated header");
		return;
	}
	if (hlen < 0) {
		udp_datagram_drop(u, &from->sa,
		    failure_class_of_header((int)-hlen),
		    proxy_header_strerror((enum pp_error)-hlen));
		return;
	}
	if ((tag = udp_datagram_tag(u, &hdr, from)) == -1)
		return;

	/*
	 * LOCAL picks -4 or -6 by the family the balancer reached: on a
	 * dual-stack [::] only the datagram's own address tells.
	 */
	if (target_choose(u->cfg, u->ep, &hdr, reached != NULL &&
	    reached->sa.sa_family != AF_UNSPEC ? &reached->sa : &u->local.sa,
	    &src, &spoof, &dst, &why) == -1) {
		udp_datagram_drop(u, &from->sa,
		    FAILURE_HDR_UNSUPPORTED,
		    why != NULL ? why : "no target");
		return;
	}
	if (spoof && u->cfg->dynamic_destination &&
	    !destallow_allows((struct sockaddr *)&dst)) {
		udp_datagram_dest_denied(u, from, (struct sockaddr *)&src,
		    (struct sockaddr *)&dst);
		return;
	}
	/* LOCAL (or a header without a source): the sender is the flow. */
	if (!spoof) {
		tag = UDP_FLOW_TAG_LOCAL;
		memset(&src, 0, sizeof(src));
		memcpy(&src, from, addr_len(&from->sa));
	}
	if (udp_flow_table_key((struct sockaddr *)&src, tag, &key) == -1) {
		udp_datagram_drop(u, &from->sa,
		    FAILURE_HDR_UNSUPPORTED, "not an INET or INET6 address");
		return;
	}

	f = udp_flow_table_lookup(&u->table, &key);
	if (f != NULL && !udp_datagram_owner(u, f, from))
		return;
	/*
	 * -dynamic-destination: one flow per client, aimed where its latest
	 * datagram goes; a client that changes destination gets a new socket.
	 */
	if (f != NULL && u->cfg->dynamic_destination &&
	    !addr_equal(&f->target.sa, (struct sockaddr *)&dst)) {
		udp_flowsock_close(u, f, "destination changed");
		f = NULL;
	}
	if (f != NULL)
		udp_flow_table_touch(&u->table, f, u->now);
	else if ((f = udp_flowsock_open(u, &key, (struct sockaddr *)&src,
	    spoof, (struct sockaddr *)&dst)) == NULL)
		return;
	f->sender = *from;
	f->sender_ms = u->now;
	udp_reply_follow(u, f, reached);
	udp_flowsock_forward(u, f, buf + hlen, len - (size_t)hlen);
}
