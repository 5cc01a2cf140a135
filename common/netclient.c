/*
 * common/netclient.c -- the DNS transport's client (see net.h): one query
 * over UDP with retries and TC fallback to TCP, or a TCP stream of answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "common/netint.h"
#include "libhsync/error.h"

/* ---- client ---------------------------------------------------------------------- */

struct hs_net_query {
	uv_loop_t *loop;
	struct hs_net_query_opts o;
	struct sockaddr_storage to, source;
	bool has_source;
	bool stream;
	bool finished;                   /* callback called, or cancelled */
	hs_net_query_cb cb;
	hs_net_stream_cb scb;
	void *arg;
	uint8_t *wire;                   /* 2-byte length + query */
	size_t len;                      /* of the query, without the length */
	unsigned tries_left;
	unsigned open;                   /* handles not yet closed */
	bool udp_open, tcp_open;
	uv_timer_t timer;
	uv_udp_t udp;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	uint8_t *ubuf;                   /* UDP answer */
	uint8_t *rbuf;                   /* TCP framing */
	size_t rlen, rcap;
};

static void q_handle_closed(uv_handle_t *h)
{
	hs_net_query_t *q = h->data;
	if (--q->open == 0) {
		free(q->wire);
		free(q->ubuf);
		free(q->rbuf);
		free(q);
	}
}

static void q_close_udp(hs_net_query_t *q)
{
	if (q->udp_open) {
		q->udp_open = false;
		uv_close((uv_handle_t *)&q->udp, q_handle_closed);
	}
}

static void q_close_all(hs_net_query_t *q)
{
	q->finished = true;
	q_close_udp(q);
	if (q->tcp_open) {
		q->tcp_open = false;
		uv_close((uv_handle_t *)&q->tcp, q_handle_closed);
	}
	if (!uv_is_closing((uv_handle_t *)&q->timer)) {
		uv_close((uv_handle_t *)&q->timer, q_handle_closed);
	}
}

/* The last word: the caller's callback once, then everything closes. */
static void q_finish(hs_net_query_t *q, int err, const uint8_t *msg, size_t len)
{
	if (q->finished) {
		return;
	}
	q->finished = true;
	if (q->stream) {
		q->scb(err, msg, len, q->arg);
	} else {
		q->cb(err, msg, len, q->arg);
	}
	q_close_all(q);
}

static void q_timer(uv_timer_t *t);
static int q_start_tcp(hs_net_query_t *q);

static void q_arm(hs_net_query_t *q)
{
	uv_timer_start(&q->timer, q_timer, q->o.timeout_ms, 0);
}

static void q_alloc_udp(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	hs_net_query_t *q = h->data;
	*buf = uv_buf_init((char *)q->ubuf, HS_NET_MSG_MAX + 1);
}

static void q_udp_sent(uv_udp_send_t *s, int status)
{
	free(s);
}

static int q_send_udp(hs_net_query_t *q)
{
	uv_udp_send_t *s = malloc(sizeof(*s));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	uv_buf_t b = uv_buf_init((char *)q->wire + 2, (unsigned)q->len);
	int ret = uv_udp_send(s, &q->udp, &b, 1, (const struct sockaddr *)&q->to, q_udp_sent);
	if (ret != 0) {
		free(s);
	}
	return ret;
}

static void q_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                       const struct sockaddr *addr, unsigned flags)
{
	hs_net_query_t *q = h->data;
	if (q->finished || nread < 12 || addr == NULL || (flags & UV_UDP_PARTIAL) ||
	    !hs_addr_equal(addr, (const struct sockaddr *)&q->to)) {
		return;   /* not an answer to us: keep waiting */
	}
	const uint8_t *m = (const uint8_t *)buf->base;
	if (m[0] != q->wire[2] || m[1] != q->wire[3]) {
		return;   /* another ID: a late answer to nobody, or a spoof */
	}
	if ((m[2] & 0x02) && !q->o.no_tcp_fallback) {
		/* TC: the whole answer only comes over TCP */
		uv_timer_stop(&q->timer);
		q_close_udp(q);
		int ret = q_start_tcp(q);
		if (ret != HS_EOK) {
			q_finish(q, ret, NULL, 0);
		}
		return;
	}
	q_finish(q, HS_EOK, m, (size_t)nread);
}

static void q_timer(uv_timer_t *t)
{
	hs_net_query_t *q = t->data;
	if (q->finished) {
		return;
	}
	if (q->udp_open && q->tries_left > 0) {
		q->tries_left--;
		int ret = q_send_udp(q);
		if (ret != 0) {
			q_finish(q, ret, NULL, 0);
			return;
		}
		q_arm(q);
		return;
	}
	q_finish(q, KNOT_ETIMEOUT, NULL, 0);
}

static void q_tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	hs_net_query_t *q = h->data;
	if (hs_net_frame_room(&q->rbuf, &q->rcap, q->rlen, q->o.max_msg) != 0 || q->rcap == q->rlen) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)q->rbuf + q->rlen, (unsigned)(q->rcap - q->rlen));
}

static void q_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	hs_net_query_t *q = s->data;
	if (q->finished) {
		return;
	}
	if (nread == UV_EOF) {
		q_finish(q, KNOT_ECONN, NULL, 0);
		return;
	}
	if (nread < 0) {
		q_finish(q, (int)nread, NULL, 0);
		return;
	}
	q->rlen += (size_t)nread;
	size_t off = 0;
	while (!q->finished && q->rlen - off >= 2) {
		size_t m = rd16(q->rbuf + off);
		if (m == 0 || m > q->o.max_msg) {
			q_finish(q, HS_EMSG, NULL, 0);
			return;
		}
		if (q->rlen - off < 2 + m) {
			break;
		}
		const uint8_t *msg = q->rbuf + off + 2;
		off += 2 + m;
		if (!q->stream) {
			q_finish(q, HS_EOK, msg, m);
			return;
		}
		if (q->scb(HS_EOK, msg, m, q->arg) != HS_NET_MORE) {
			q_close_all(q);
			return;
		}
		q_arm(q);   /* the timeout runs per message */
	}
	if (!q->finished && off > 0) {
		memmove(q->rbuf, q->rbuf + off, q->rlen - off);
		q->rlen -= off;
	}
}

static void q_tcp_written(uv_write_t *w, int status)
{
	hs_net_query_t *q = w->data;
	if (status < 0 && !q->finished) {
		q_finish(q, status, NULL, 0);
	}
}

static void q_tcp_connected(uv_connect_t *c, int status)
{
	hs_net_query_t *q = c->data;
	if (q->finished) {
		return;
	}
	if (status < 0) {
		q_finish(q, status, NULL, 0);
		return;
	}
	uv_tcp_nodelay(&q->tcp, 1);
	q->write.data = q;
	uv_buf_t b = uv_buf_init((char *)q->wire, (unsigned)(q->len + 2));
	int ret = uv_write(&q->write, (uv_stream_t *)&q->tcp, &b, 1, q_tcp_written);
	if (ret == 0) {
		ret = uv_read_start((uv_stream_t *)&q->tcp, q_tcp_alloc, q_tcp_read);
	}
	if (ret != 0) {
		q_finish(q, ret, NULL, 0);
		return;
	}
	q_arm(q);
}

static int q_start_tcp(hs_net_query_t *q)
{
	int ret = uv_tcp_init(q->loop, &q->tcp);
	if (ret != 0) {
		return ret;
	}
	q->tcp.data = q;
	q->tcp_open = true;
	q->open++;
	if (q->has_source) {
		ret = uv_tcp_bind(&q->tcp, (const struct sockaddr *)&q->source, 0);
		if (ret != 0) {
			return ret;
		}
	}
	q->connect.data = q;
	ret = uv_tcp_connect(&q->connect, &q->tcp, (const struct sockaddr *)&q->to, q_tcp_connected);
	if (ret != 0) {
		return ret;
	}
	q_arm(q);
	return HS_EOK;
}

static int q_start_udp(hs_net_query_t *q)
{
	q->ubuf = malloc(HS_NET_MSG_MAX + 1);
	if (q->ubuf == NULL) {
		return HS_ENOMEM;
	}
	int ret = uv_udp_init(q->loop, &q->udp);
	if (ret != 0) {
		return ret;
	}
	q->udp.data = q;
	q->udp_open = true;
	q->open++;
	if (q->has_source) {
		ret = uv_udp_bind(&q->udp, (const struct sockaddr *)&q->source, 0);
	} else {
		/* an ephemeral port of the right family, so answers can come in */
		struct sockaddr_storage any;
		memset(&any, 0, sizeof(any));
		any.ss_family = q->to.ss_family;
		ret = uv_udp_bind(&q->udp, (const struct sockaddr *)&any, 0);
	}
	if (ret == 0) {
		ret = uv_udp_recv_start(&q->udp, q_alloc_udp, q_udp_recv);
	}
	if (ret == 0) {
		ret = q_send_udp(q);
	}
	if (ret != 0) {
		return ret;
	}
	q_arm(q);
	return HS_EOK;
}

static int q_new(uv_loop_t *loop, const struct sockaddr *to, const uint8_t *msg, size_t len,
                 const struct hs_net_query_opts *opts, hs_net_query_t **out)
{
	if (loop == NULL || hs_addr_len(to) == 0 || msg == NULL || len < 2 || len > HS_NET_MSG_MAX) {
		return HS_EINVAL;
	}
	if (opts != NULL && opts->source != NULL && hs_addr_len(opts->source) == 0) {
		return HS_EINVAL;
	}
	hs_net_query_t *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		return HS_ENOMEM;
	}
	q->wire = malloc(len + 2);
	if (q->wire == NULL) {
		free(q);
		return HS_ENOMEM;
	}
	q->wire[0] = (uint8_t)(len >> 8);
	q->wire[1] = (uint8_t)len;
	memcpy(q->wire + 2, msg, len);
	q->len = len;
	q->loop = loop;
	if (opts != NULL) {
		q->o = *opts;
	}
	q->o.source = NULL;
	if (q->o.timeout_ms == 0) {
		q->o.timeout_ms = DEF_TIMEOUT_MS;
	}
	if (opts == NULL) {
		q->o.retries = DEF_RETRIES;
	}
	if (q->o.max_msg == 0 || q->o.max_msg > HS_NET_MSG_MAX) {
		q->o.max_msg = HS_NET_MSG_MAX;
	}
	q->tries_left = q->o.retries;
	memcpy(&q->to, to, hs_addr_len(to));
	if (opts != NULL && opts->source != NULL) {
		memcpy(&q->source, opts->source, hs_addr_len(opts->source));
		q->has_source = true;
	}
	uv_timer_init(loop, &q->timer);
	q->timer.data = q;
	q->open = 1;
	*out = q;
	return HS_EOK;
}

/* Start it; on error close quietly (no callback) and return the code. */
static int q_go(hs_net_query_t *q, bool tcp, hs_net_query_t **out)
{
	int ret = tcp ? q_start_tcp(q) : q_start_udp(q);
	if (ret != HS_EOK) {
		q_close_all(q);
		return ret;
	}
	if (out != NULL) {
		*out = q;
	}
	return HS_EOK;
}

int hs_net_query(uv_loop_t *loop, const struct sockaddr *to, const uint8_t *msg, size_t len,
                 const struct hs_net_query_opts *opts, hs_net_query_cb cb, void *arg,
                 hs_net_query_t **out)
{
	if (cb == NULL) {
		return HS_EINVAL;
	}
	hs_net_query_t *q = NULL;
	int ret = q_new(loop, to, msg, len, opts, &q);
	if (ret != HS_EOK) {
		return ret;
	}
	q->cb = cb;
	q->arg = arg;
	return q_go(q, q->o.tcp, out);
}

int hs_net_stream(uv_loop_t *loop, const struct sockaddr *to, const uint8_t *msg, size_t len,
                  const struct hs_net_query_opts *opts, hs_net_stream_cb cb, void *arg,
                  hs_net_query_t **out)
{
	if (cb == NULL) {
		return HS_EINVAL;
	}
	hs_net_query_t *q = NULL;
	int ret = q_new(loop, to, msg, len, opts, &q);
	if (ret != HS_EOK) {
		return ret;
	}
	q->stream = true;
	q->scb = cb;
	q->arg = arg;
	return q_go(q, true, out);
}

void hs_net_cancel(hs_net_query_t *q)
{
	if (q != NULL && !q->finished) {
		q_close_all(q);
	}
}
