/*
 * common/net.c -- addresses and prefixes in text (see net.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "common/net.h"
#include "libhsync/error.h"

static int parse_port(const char *s, uint16_t *port)
{
	if (*s == '\0' || strlen(s) > 5) {
		return (*s == '\0') ? HS_ESYNTAX : HS_ERANGE;
	}
	unsigned v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return HS_ESYNTAX;
		}
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535) {
		return HS_ERANGE;
	}
	*port = (uint16_t)v;
	return HS_EOK;
}

int hs_addr_parse(const char *text, uint16_t default_port, struct sockaddr_storage *out)
{
	if (text == NULL || out == NULL) {
		return HS_EINVAL;
	}
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(text, '@');
	size_t hlen = at != NULL ? (size_t)(at - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		return HS_ESYNTAX;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	uint16_t port = default_port;
	if (at != NULL) {
		int ret = parse_port(at + 1, &port);
		if (ret != HS_EOK) {
			return ret;
		}
	}

	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	} else {
		return HS_ESYNTAX;
	}
	*out = ss;
	return HS_EOK;
}

int hs_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	if (buf == NULL || len == 0) {
		return HS_EINVAL;
	}
	char host[INET6_ADDRSTRLEN];
	const void *a;
	if (sa != NULL && sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	} else {
		snprintf(buf, len, "?");
		return HS_EINVAL;
	}
	if (inet_ntop(sa->sa_family, a, host, sizeof(host)) == NULL) {
		snprintf(buf, len, "?");
		return HS_EINVAL;
	}
	int n = snprintf(buf, len, "%s@%u", host, (unsigned)hs_addr_port(sa));
	if (n < 0 || (size_t)n >= len) {
		snprintf(buf, len, "?");
		return HS_ESPACE;
	}
	return HS_EOK;
}

socklen_t hs_addr_len(const struct sockaddr *sa)
{
	if (sa == NULL) {
		return 0;
	}
	switch (sa->sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return 0;
	}
}

uint16_t hs_addr_port(const struct sockaddr *sa)
{
	if (sa == NULL) {
		return 0;
	}
	switch (sa->sa_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	default:
		return 0;
	}
}

bool hs_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a == NULL || b == NULL || a->sa_family != b->sa_family) {
		return false;
	}
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

int hs_prefix_parse(const char *text, struct hs_prefix *out)
{
	if (text == NULL || out == NULL) {
		return HS_EINVAL;
	}
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		return HS_ESYNTAX;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	struct hs_prefix p;
	memset(&p, 0, sizeof(p));
	unsigned maxbits;
	if (inet_pton(AF_INET, host, p.addr) == 1) {
		p.family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, host, p.addr) == 1) {
		p.family = AF_INET6;
		maxbits = 128;
	} else {
		return HS_ESYNTAX;
	}
	unsigned bits = maxbits;
	if (slash != NULL) {
		const char *s = slash + 1;
		if (*s == '\0' || strlen(s) > 3) {
			return *s == '\0' ? HS_ESYNTAX : HS_ERANGE;
		}
		bits = 0;
		for (; *s != '\0'; s++) {
			if (*s < '0' || *s > '9') {
				return HS_ESYNTAX;
			}
			bits = bits * 10 + (unsigned)(*s - '0');
		}
		if (bits > maxbits) {
			return HS_ERANGE;
		}
	}
	/* Host bits must be zero. */
	for (unsigned i = bits; i < maxbits; i++) {
		if (p.addr[i / 8] & (0x80 >> (i % 8))) {
			return HS_ESYNTAX;
		}
	}
	p.bits = (uint8_t)bits;
	*out = p;
	return HS_EOK;
}

bool hs_prefix_match(const struct hs_prefix *p, const struct sockaddr *sa)
{
	if (p == NULL || sa == NULL) {
		return false;
	}
	const uint8_t *a;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (sa->sa_family == AF_INET && p->family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (p->family == AF_INET) {
			if (memcmp(a, mapped, sizeof(mapped)) != 0) {
				return false;
			}
			a += 12;
		}
	} else {
		return false;
	}
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(a, p->addr, full) != 0) {
		return false;
	}
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (a[full] & mask) == p->addr[full];
	}
	return true;
}

/* ==== transport ================================================================== */

#define DEF_MAX_MSG     HS_NET_MSG_MAX
#define DEF_IDLE_MS     10000
#define DEF_MAX_CONNS   256
#define DEF_MAX_PENDING 32
#define DEF_MAX_UDP     1024
#define DEF_TIMEOUT_MS  2000
#define DEF_RETRIES     2
#define READ_CHUNK      4096
#define WQ_MAX          (1u << 20)   /* answers queued to a slow reader before we stop reading */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Grow a framing buffer so a read can land after the `len` bytes held:
 * room for the whole message being read, or READ_CHUNK more. */
static int frame_room(uint8_t **buf, size_t *cap, size_t len, size_t max_msg)
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
	if (frame_room(&c->buf, &c->cap, c->len, c->srv->o.max_msg) != 0 || c->cap == c->len) {
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
	if (frame_room(&q->rbuf, &q->rcap, q->rlen, q->o.max_msg) != 0 || q->rcap == q->rlen) {
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
