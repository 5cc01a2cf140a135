/*
 * common/net.c -- the DNS transport on libuv (see net.h): the UDP/TCP server
 * with length framing. The client is in netclient.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "common/netint.h"
#include "libhsync/error.h"

/* ==== transport ================================================================== */

/* Grow a framing buffer so a read can land after the `len` bytes held:
 * room for the whole message being read, or READ_CHUNK more. */
int hs_net_frame_room(uint8_t **buf, size_t *cap, size_t len, size_t max_msg)
{
	size_t whole = 0;
	if (len >= 2) {
		size_t m = rd16(*buf);
		whole = 2 + (m < max_msg ? m : max_msg);
	}
	if (*cap - len >= 1024 && *cap >= whole) {
		return 0;
	}
	size_t target = len + READ_CHUNK > whole ? len + READ_CHUNK : whole;
	uint8_t *b = realloc(*buf, target);
	if (b == NULL) {
		return HS_ENOMEM;
	}
	*buf = b;
	*cap = target;
	return 0;
}

/* ---- server ---------------------------------------------------------------------- */

struct listener {
	struct hs_net_server *srv;
	struct listener *next;
	int type;                         /* HS_NET_UDP or HS_NET_TCP */
	bool closing;
	union {
		uv_handle_t handle;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} h;
	struct sockaddr_storage addr;     /* as bound */
	uint8_t *ubuf;                    /* UDP receive buffer */
};

struct conn {
	struct hs_net_server *srv;
	struct conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shut;
	struct sockaddr_storage peer, local;
	uint8_t *buf;
	size_t len, cap;
	unsigned refs;        /* 2 handles + requests */
	unsigned pending;     /* requests not ended */
	unsigned writes;      /* writes in flight */
	bool closing, shutting, reading, eof, in_process, kick;
};

struct hs_net_server {
	uv_loop_t *loop;
	struct hs_net_server_opts o;
	hs_net_handler_t handler;
	void *arg;
	struct listener *listeners;
	struct conn *conns;
	unsigned nconns;
	unsigned udp_pending; /* UDP requests not ended */
	unsigned refs;        /* owner + listeners + conns + UDP requests and sends */
	bool closing;
};

struct hs_net_req {
	struct hs_net_server *srv;
	struct listener *udp;   /* UDP: the socket it came in on */
	struct conn *conn;      /* TCP */
	struct sockaddr_storage peer;
};

struct usend {
	uv_udp_send_t s;
	struct hs_net_server *srv;
	uint8_t data[];
};

struct twrite {
	uv_write_t w;
	struct conn *conn;
	uint8_t data[];
};

static void conn_process(struct conn *c);
static void conn_close(struct conn *c);
static void conn_timer(uv_timer_t *t);

/* Answers pile up in memory when the peer does not read them. */
static bool wq_full(struct conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > WQ_MAX;
}

/* Read on, if it was paused and need not be any more: from the loop, never
 * from inside the caller's hs_net_done(). */
static void conn_wake(struct conn *c)
{
	if (c->closing || c->in_process || c->reading || c->eof || c->kick ||
	    c->pending >= c->srv->o.max_pending || wq_full(c)) {
		return;
	}
	c->kick = true;
	uv_timer_start(&c->timer, conn_timer, 0, 0);
}

static void srv_unref(struct hs_net_server *srv)
{
	if (--srv->refs > 0) {
		return;
	}
	struct listener *l = srv->listeners;
	while (l != NULL) {
		struct listener *next = l->next;
		free(l->ubuf);
		free(l);
		l = next;
	}
	free(srv);
}

int hs_net_server_new(uv_loop_t *loop, const struct hs_net_server_opts *opts,
                      hs_net_handler_t handler, void *arg, hs_net_server_t **out)
{
	if (loop == NULL || handler == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_net_server_t *srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		return HS_ENOMEM;
	}
	if (opts != NULL) {
		srv->o = *opts;
	}
	if (srv->o.max_msg == 0 || srv->o.max_msg > HS_NET_MSG_MAX) {
		srv->o.max_msg = DEF_MAX_MSG;
	}
	if (srv->o.idle_ms == 0) {
		srv->o.idle_ms = DEF_IDLE_MS;
	}
	if (srv->o.max_conns == 0) {
		srv->o.max_conns = DEF_MAX_CONNS;
	}
	if (srv->o.max_pending == 0) {
		srv->o.max_pending = DEF_MAX_PENDING;
	}
	if (srv->o.max_udp == 0) {
		srv->o.max_udp = DEF_MAX_UDP;
	}
	srv->loop = loop;
	srv->handler = handler;
	srv->arg = arg;
	srv->refs = 1;
	*out = srv;
	return HS_EOK;
}

static void listener_closed(uv_handle_t *h)
{
	struct listener *l = h->data;
	srv_unref(l->srv);
}

static void listener_close(struct listener *l)
{
	if (!l->closing) {
		l->closing = true;
		uv_close(&l->h.handle, listener_closed);
	}
}

/* ---- server: UDP ---- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct listener *l = h->data;
	*buf = uv_buf_init((char *)l->ubuf, HS_NET_MSG_MAX + 1);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                     const struct sockaddr *addr, unsigned flags)
{
	struct listener *l = h->data;
	struct hs_net_server *srv = l->srv;
	if (nread <= 0 || addr == NULL || (flags & UV_UDP_PARTIAL) || srv->closing ||
	    nread > HS_NET_MSG_MAX || hs_addr_len(addr) == 0) {
		return;   /* nothing, an error, or a datagram too big: nobody to answer */
	}
	if (srv->udp_pending >= srv->o.max_udp) {
		return;   /* a flood while the daemon is busy: the client will retry */
	}
	struct hs_net_req *req = calloc(1, sizeof(*req));
	if (req == NULL) {
		return;
	}
	req->srv = srv;
	req->udp = l;
	memcpy(&req->peer, addr, hs_addr_len(addr));
	srv->refs++;
	srv->udp_pending++;
	srv->handler(req, (const uint8_t *)buf->base, (size_t)nread, srv->arg);
}

static void udp_sent(uv_udp_send_t *s, int status)
{
	struct usend *u = (struct usend *)s;
	struct hs_net_server *srv = u->srv;
	free(u);
	srv_unref(srv);
}

static int listen_udp(struct hs_net_server *srv, const struct sockaddr *addr, struct listener **out)
{
	struct listener *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return HS_ENOMEM;
	}
	l->ubuf = malloc(HS_NET_MSG_MAX + 1);
	if (l->ubuf == NULL) {
		free(l);
		return HS_ENOMEM;
	}
	l->srv = srv;
	l->type = HS_NET_UDP;
	int ret = uv_udp_init(srv->loop, &l->h.udp);
	if (ret != 0) {
		free(l->ubuf);
		free(l);
		return ret;
	}
	l->h.udp.data = l;
	l->next = srv->listeners;
	srv->listeners = l;
	srv->refs++;
	ret = uv_udp_bind(&l->h.udp, addr, addr->sa_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (ret == 0) {
		ret = uv_udp_recv_start(&l->h.udp, udp_alloc, udp_recv);
	}
	int len = sizeof(l->addr);
	if (ret == 0) {
		ret = uv_udp_getsockname(&l->h.udp, (struct sockaddr *)&l->addr, &len);
	}
	if (ret != 0) {
		listener_close(l);
		return ret;
	}
	*out = l;
	return HS_EOK;
}

/* ---- server: TCP ---- */

static void conn_unref(struct conn *c)
{
	if (--c->refs > 0) {
		return;
	}
	struct hs_net_server *srv = c->srv;
	free(c->buf);
	free(c);
	srv_unref(srv);
}

static void conn_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void conn_close(struct conn *c)
{
	if (c->closing) {
		return;
	}
	c->closing = true;
	struct hs_net_server *srv = c->srv;
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		srv->conns = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	c->prev = c->next = NULL;
	srv->nconns--;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void conn_shutdown_done(uv_shutdown_t *s, int status)
{
	conn_close(s->data);
}

/* Close once what was written has gone out (the peer is done sending). */
static void conn_finish(struct conn *c)
{
	if (c->closing || c->shutting) {
		return;
	}
	c->shutting = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, conn_shutdown_done) != 0) {
		conn_close(c);
	}
}

static void conn_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	if (c->kick) {
		c->kick = false;
		conn_process(c);
		if (!c->closing) {
			uv_timer_start(&c->timer, conn_timer, c->srv->o.idle_ms, 0);
		}
		return;
	}
	if (c->pending > 0) {
		/* not idle: the daemon is still working on an answer */
		uv_timer_start(&c->timer, conn_timer, c->srv->o.idle_ms, 0);
		return;
	}
	/* nothing asked, or answers the peer has not taken for that long */
	conn_close(c);
}

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	if (hs_net_frame_room(&c->buf, &c->cap, c->len, c->srv->o.max_msg) != 0 || c->cap == c->len) {
		*buf = uv_buf_init(NULL, 0);   /* read_cb gets UV_ENOBUFS */
		return;
	}
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	if (c->closing) {
		return;
	}
	if (nread == UV_EOF) {
		c->eof = true;
		uv_read_stop(s);
		c->reading = false;
		conn_process(c);
		return;
	}
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	uv_timer_start(&c->timer, conn_timer, c->srv->o.idle_ms, 0);
	conn_process(c);
}

/* Hand every whole message in the buffer to the handler, as far as the
 * pending limit allows; then decide whether to read on, pause or close. */
static void conn_process(struct conn *c)
{
	struct hs_net_server *srv = c->srv;
	if (c->in_process || c->closing) {
		return;
	}
	c->in_process = true;
	c->refs++;   /* the handler may close the server, and with it c */
	size_t off = 0;
	while (!c->closing && !srv->closing && c->pending < srv->o.max_pending && !wq_full(c)) {
		if (c->len - off < 2) {
			break;
		}
		size_t m = rd16(c->buf + off);
		if (m == 0 || m > srv->o.max_msg) {
			conn_close(c);   /* garbage framing: nothing sensible to answer */
			break;
		}
		if (c->len - off < 2 + m) {
			break;
		}
		struct hs_net_req *req = calloc(1, sizeof(*req));
		if (req == NULL) {
			conn_close(c);
			break;
		}
		req->srv = srv;
		req->conn = c;
		req->peer = c->peer;
		c->refs++;
		c->pending++;
		srv->handler(req, c->buf + off + 2, m, srv->arg);
		off += 2 + m;
	}
	if (off > 0 && !c->closing) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	c->in_process = false;
	if (!c->closing) {
		if (c->eof) {
			if (c->pending == 0) {
				conn_finish(c);
			}
		} else if (c->pending >= srv->o.max_pending || wq_full(c)) {
			if (c->reading) {
				uv_read_stop((uv_stream_t *)&c->tcp);
				c->reading = false;
			}
		} else if (!c->reading) {
			if (uv_read_start((uv_stream_t *)&c->tcp, tcp_alloc, tcp_read) == 0) {
				c->reading = true;
			} else {
				conn_close(c);
			}
		}
	}
	conn_unref(c);
}

static void tcp_written(uv_write_t *w, int status)
{
	struct twrite *t = (struct twrite *)w;
	struct conn *c = t->conn;
	free(t);
	c->writes--;
	if (c->closing) {
		return;
	}
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (!c->kick) {
		uv_timer_start(&c->timer, conn_timer, c->srv->o.idle_ms, 0);
	}
	conn_wake(c);
}

static void tcp_accept(uv_stream_t *ls, int status)
{
	struct listener *l = ls->data;
	struct hs_net_server *srv = l->srv;
	if (status < 0 || srv->closing) {
		return;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return;   /* the connection waits in the backlog; the next accept may fare better */
	}
	c->srv = srv;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->refs = 2;
	srv->refs++;
	c->next = srv->conns;
	if (srv->conns != NULL) {
		srv->conns->prev = c;
	}
	srv->conns = c;
	srv->nconns++;
	if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0 || srv->nconns > srv->o.max_conns) {
		conn_close(c);
		return;
	}
	int len = sizeof(c->peer);
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len);
	len = sizeof(c->local);
	uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&c->local, &len);
	uv_tcp_nodelay(&c->tcp, 1);
	uv_timer_start(&c->timer, conn_timer, srv->o.idle_ms, 0);
	conn_process(c);   /* starts reading */
}

static int listen_tcp(struct hs_net_server *srv, const struct sockaddr *addr, struct listener **out)
{
	struct listener *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return HS_ENOMEM;
	}
	l->srv = srv;
	l->type = HS_NET_TCP;
	int ret = uv_tcp_init(srv->loop, &l->h.tcp);
	if (ret != 0) {
		free(l);
		return ret;
	}
	l->h.tcp.data = l;
	l->next = srv->listeners;
	srv->listeners = l;
	srv->refs++;
	ret = uv_tcp_bind(&l->h.tcp, addr, addr->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (ret == 0) {
		ret = uv_listen((uv_stream_t *)&l->h.tcp, 128, tcp_accept);
	}
	int len = sizeof(l->addr);
	if (ret == 0) {
		ret = uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&l->addr, &len);
	}
	if (ret != 0) {
		listener_close(l);
		return ret;
	}
	*out = l;
	return HS_EOK;
}

int hs_net_server_listen(hs_net_server_t *srv, const struct sockaddr *addr,
                         unsigned transports, struct sockaddr_storage *bound)
{
	if (srv == NULL || srv->closing || hs_addr_len(addr) == 0 ||
	    (transports & (HS_NET_UDP | HS_NET_TCP)) == 0) {
		return HS_EINVAL;
	}
	struct sockaddr_storage a;
	memset(&a, 0, sizeof(a));
	memcpy(&a, addr, hs_addr_len(addr));
	struct listener *t = NULL, *u = NULL;
	int ret = HS_EOK;
	if (transports & HS_NET_TCP) {
		ret = listen_tcp(srv, (struct sockaddr *)&a, &t);
		if (ret != HS_EOK) {
			return ret;
		}
		a = t->addr;   /* port 0: UDP takes the port TCP got */
	}
	if (transports & HS_NET_UDP) {
		ret = listen_udp(srv, (struct sockaddr *)&a, &u);
		if (ret != HS_EOK) {
			if (t != NULL) {
				listener_close(t);
			}
			return ret;
		}
		a = u->addr;
	}
	if (bound != NULL) {
		*bound = a;
	}
	return HS_EOK;
}

void hs_net_server_close(hs_net_server_t *srv)
{
	if (srv == NULL || srv->closing) {
		return;
	}
	srv->closing = true;
	for (struct listener *l = srv->listeners; l != NULL; l = l->next) {
		listener_close(l);
	}
	while (srv->conns != NULL) {
		conn_close(srv->conns);
	}
	srv_unref(srv);
}

/* ---- server: requests ---- */

const struct sockaddr *hs_net_req_peer(const hs_net_req_t *req)
{
	return (const struct sockaddr *)&req->peer;
}

const struct sockaddr *hs_net_req_local(const hs_net_req_t *req)
{
	if (req->conn != NULL) {
		return (const struct sockaddr *)&req->conn->local;
	}
	return (const struct sockaddr *)&req->udp->addr;
}

enum hs_net_transport hs_net_req_transport(const hs_net_req_t *req)
{
	return req->conn != NULL ? HS_NET_TCP : HS_NET_UDP;
}

int hs_net_send(hs_net_req_t *req, const uint8_t *msg, size_t len)
{
	if (req == NULL || msg == NULL || len == 0 || len > HS_NET_MSG_MAX) {
		return HS_EINVAL;
	}
	if (req->conn == NULL) {
		struct listener *l = req->udp;
		if (l->closing) {
			return KNOT_ECONN;
		}
		/* Send at once when the socket takes it, so that a datagram the
		 * kernel refuses (EMSGSIZE, ENOBUFS, EPERM...) is the caller's
		 * error to log rather than lost in a send callback; queue only
		 * when the socket is busy (UV_EAGAIN: libuv sends it when the
		 * socket is writable again, in order). */
		uv_buf_t now = uv_buf_init((char *)msg, (unsigned)len);
		int sent = uv_udp_try_send(&l->h.udp, &now, 1, (const struct sockaddr *)&req->peer);
		if (sent >= 0) {
			return HS_EOK;
		}
		if (sent != UV_EAGAIN) {
			return sent;
		}
		struct usend *u = malloc(sizeof(*u) + len);
		if (u == NULL) {
			return HS_ENOMEM;
		}
		memcpy(u->data, msg, len);
		u->srv = req->srv;
		uv_buf_t b = uv_buf_init((char *)u->data, (unsigned)len);
		int ret = uv_udp_send(&u->s, &l->h.udp, &b, 1, (const struct sockaddr *)&req->peer, udp_sent);
		if (ret != 0) {
			free(u);
			return ret;
		}
		req->srv->refs++;
		return HS_EOK;
	}
	struct conn *c = req->conn;
	if (c->closing) {
		return KNOT_ECONN;
	}
	struct twrite *t = malloc(sizeof(*t) + 2 + len);
	if (t == NULL) {
		return HS_ENOMEM;
	}
	t->conn = c;
	t->data[0] = (uint8_t)(len >> 8);
	t->data[1] = (uint8_t)len;
	memcpy(t->data + 2, msg, len);
	uv_buf_t b = uv_buf_init((char *)t->data, (unsigned)(2 + len));
	int ret = uv_write(&t->w, (uv_stream_t *)&c->tcp, &b, 1, tcp_written);
	if (ret != 0) {
		free(t);
		conn_close(c);
		return ret;
	}
	c->writes++;
	return HS_EOK;
}

void hs_net_done(hs_net_req_t *req)
{
	if (req == NULL) {
		return;
	}
	struct hs_net_server *srv = req->srv;
	struct conn *c = req->conn;
	free(req);
	if (c == NULL) {
		srv->udp_pending--;
		srv_unref(srv);
		return;
	}
	c->pending--;
	if (!c->closing && !c->in_process) {
		if (c->eof && c->pending == 0) {
			conn_finish(c);
		} else {
			conn_wake(c);
		}
	}
	conn_unref(c);
}

size_t hs_net_req_backlog(const hs_net_req_t *req)
{
	if (req == NULL || req->conn == NULL || req->conn->closing) {
		return 0;
	}
	return uv_stream_get_write_queue_size((const uv_stream_t *)&req->conn->tcp);
}

int hs_net_reply(hs_net_req_t *req, const uint8_t *msg, size_t len)
{
	int ret = hs_net_send(req, msg, len);
	hs_net_done(req);
	return ret;
}
