/*
 * common/xfrnet.c -- zone transfers and NOTIFY over common/net.h.
 * See xfrnet.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xfrnet.h"
#include "libhsync/error.h"

#define FETCH_TIMEOUT_MS   5000
#define NOTIFY_TIMEOUT_MS  1000
#define NOTIFY_RETRIES     5
#define SERVE_BACKLOG      (256 * 1024)
#define SERVE_BATCH        16      /* messages per loop turn */
#define SERVE_WAIT_MS      2       /* wait for a full connection to drain */

/* ---- fetch ------------------------------------------------------------------- */

enum fetch_phase { PH_SOA, PH_IXFR, PH_AXFR };

struct hs_xfr_fetch {
	uv_loop_t *loop;
	struct sockaddr_storage to;
	knot_dname_t *zone;
	hs_zone_t *cur;
	uint32_t cur_serial;
	bool has_cur;
	struct hs_xfr_fetch_opts opts;
	hs_xfr_fetch_cb cb;
	void *arg;
	enum fetch_phase phase;
	knot_pkt_t *query;
	hs_tsig_ctx_t ctx;
	hs_xfr_in_t *in;
	hs_net_query_t *q;
	bool fell_back;
	uint32_t serial;
	size_t bytes;
};

static void fetch_free(hs_xfr_fetch_t *f)
{
	hs_xfr_in_free(f->in);
	knot_pkt_free(f->query);
	knot_dname_free(f->zone, NULL);
	free(f);
}

static void fetch_finish(hs_xfr_fetch_t *f, int err)
{
	struct hs_xfr_fetch_result r = { .err = err, .serial = f->serial,
	                                 .fell_back = f->fell_back, .bytes = f->bytes };
	if (f->in != NULL) {
		r.rcode = hs_xfr_in_rcode(f->in);
		r.messages = hs_xfr_in_messages(f->in);
	}
	if (err == HS_EOK && f->in != NULL) {
		r.kind = hs_xfr_in_kind(f->in);
		r.serial = hs_xfr_in_serial(f->in);
		r.zone = hs_xfr_in_take_zone(f->in);
		hs_xfr_in_take_deltas(f->in, &r.deltas, &r.ndeltas);
	} else if (err == HS_EOK) {
		r.kind = HS_XFR_UPTODATE;
	}
	f->cb(&r, f->arg);
	hs_zone_free(r.zone);
	for (size_t i = 0; r.deltas != NULL && i < r.ndeltas; i++) {
		hs_diff_free(r.deltas[i]);
	}
	free(r.deltas);
	fetch_free(f);
}

static struct hs_net_query_opts fetch_net_opts(const hs_xfr_fetch_t *f, bool tcp)
{
	struct hs_net_query_opts o = {
		.timeout_ms = f->opts.timeout_ms,
		.retries = 2,
		.tcp = tcp,
		.source = f->opts.source,
	};
	return o;
}

static int stream_cb(int err, const uint8_t *msg, size_t len, void *arg);

/* Start an IXFR or AXFR stream. */
static int fetch_xfr(hs_xfr_fetch_t *f, uint16_t qtype)
{
	f->phase = qtype == KNOT_RRTYPE_IXFR ? PH_IXFR : PH_AXFR;
	hs_xfr_in_free(f->in);
	f->in = NULL;
	knot_rrset_t soa;
	const knot_rrset_t *s = NULL;
	if (qtype == KNOT_RRTYPE_IXFR) {
		int ret = hs_zone_find(f->cur, f->zone, KNOT_RRTYPE_SOA, &soa);
		if (ret != HS_EOK) {
			return ret;
		}
		s = &soa;
	}
	int ret = hs_xfr_query(f->query, f->zone, qtype, s, f->opts.key, &f->ctx);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = hs_xfr_in_new(f->query, f->has_cur ? f->cur : NULL, f->opts.key ? &f->ctx : NULL, &f->in);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_xfr_in_filter(f->in, f->opts.filter, f->opts.filter_arg);
	if (f->opts.ixfr_deltas_only) {
		hs_xfr_in_deltas_only(f->in, f->opts.has, f->opts.has_arg);
	}
	struct hs_net_query_opts o = fetch_net_opts(f, true);
	return hs_net_stream(f->loop, (const struct sockaddr *)&f->to, f->query->wire, f->query->size,
	                     &o, stream_cb, f, &f->q);
}

static bool want_fallback(const hs_xfr_fetch_t *f, int err)
{
	if (f->phase != PH_IXFR) {
		return false;
	}
	if (err == HS_EXFR_RCODE) {
		uint16_t rc = hs_xfr_in_rcode(f->in);
		return rc == KNOT_RCODE_FORMERR || rc == KNOT_RCODE_NOTIMPL;
	}
	return err == HS_ETRUNC || err == HS_EXFR_DELTA;
}

static int stream_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	hs_xfr_fetch_t *f = arg;
	int ret;
	if (err < 0) {
		f->q = NULL;
		ret = hs_xfr_in_end(f->in) == HS_EOK ? HS_EOK : err;
	} else {
		f->bytes += len;
		ret = hs_xfr_in_feed(f->in, msg, len);
		if (ret == HS_XFR_MORE) {
			return HS_NET_MORE;
		}
		f->q = NULL;
		if (ret == HS_XFR_DONE) {
			ret = HS_EOK;
		}
	}
	if (ret != HS_EOK && want_fallback(f, ret)) {
		f->fell_back = true;
		f->bytes = 0;
		int r2 = fetch_xfr(f, KNOT_RRTYPE_AXFR);
		if (r2 == HS_EOK) {
			return HS_NET_DONE;
		}
		ret = r2;
	}
	fetch_finish(f, ret);
	return HS_NET_DONE;
}

static void soa_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	hs_xfr_fetch_t *f = arg;
	f->q = NULL;
	if (err < 0) {
		fetch_finish(f, err);
		return;
	}
	uint16_t rcode = 0;
	uint32_t serial = 0;
	int ret = hs_xfr_check_answer(msg, len, f->query, &f->ctx, &rcode, &serial);
	if (ret != HS_EOK) {
		fetch_finish(f, ret);
		return;
	}
	f->serial = serial;
	if (serial == f->cur_serial) {
		fetch_finish(f, HS_EOK);  /* up to date */
		return;
	}
	if (!hs_serial_gt(serial, f->cur_serial)) {
		fetch_finish(f, HS_EXFR_SERIAL);  /* the primary went back: keep ours */
		return;
	}
	ret = fetch_xfr(f, f->opts.axfr_only ? KNOT_RRTYPE_AXFR : KNOT_RRTYPE_IXFR);
	if (ret != HS_EOK) {
		fetch_finish(f, ret);
	}
}

int hs_xfr_fetch(uv_loop_t *loop, const struct sockaddr *primary, const knot_dname_t *zone,
                 hs_zone_t *cur, const struct hs_xfr_fetch_opts *opts,
                 hs_xfr_fetch_cb cb, void *arg, hs_xfr_fetch_t **out)
{
	if (loop == NULL || primary == NULL || zone == NULL || cb == NULL ||
	    hs_addr_len(primary) == 0 ||
	    (cur != NULL && !hs_dname_equal(hs_zone_origin(cur), zone))) {
		return HS_EINVAL;
	}
	hs_xfr_fetch_t *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return HS_ENOMEM;
	}
	f->loop = loop;
	memcpy(&f->to, primary, hs_addr_len(primary));
	f->cur = cur;
	if (opts != NULL) {
		f->opts = *opts;
	}
	if (f->opts.timeout_ms == 0) {
		f->opts.timeout_ms = FETCH_TIMEOUT_MS;
	}
	f->cb = cb;
	f->arg = arg;
	f->zone = knot_dname_copy(zone, NULL);
	f->query = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (f->zone == NULL || f->query == NULL) {
		fetch_free(f);
		return HS_ENOMEM;
	}
	if (cur != NULL && hs_zone_soa_serial(cur, &f->cur_serial) == HS_EOK) {
		f->has_cur = true;
	}
	int ret;
	if (!f->has_cur) {
		ret = fetch_xfr(f, KNOT_RRTYPE_AXFR);
	} else if (f->opts.no_soa_check) {
		ret = fetch_xfr(f, f->opts.axfr_only ? KNOT_RRTYPE_AXFR : KNOT_RRTYPE_IXFR);
	} else {
		f->phase = PH_SOA;
		ret = hs_xfr_query(f->query, f->zone, KNOT_RRTYPE_SOA, NULL, f->opts.key, &f->ctx);
		if (ret == HS_EOK) {
			struct hs_net_query_opts o = fetch_net_opts(f, false);
			ret = hs_net_query(loop, (const struct sockaddr *)&f->to, f->query->wire,
			                   f->query->size, &o, soa_cb, f, &f->q);
		}
	}
	if (ret != HS_EOK) {
		fetch_free(f);
		return ret;
	}
	if (out != NULL) {
		*out = f;
	}
	return HS_EOK;
}

void hs_xfr_fetch_cancel(hs_xfr_fetch_t *f)
{
	if (f == NULL) {
		return;
	}
	if (f->q != NULL) {
		hs_net_cancel(f->q);
	}
	fetch_free(f);
}

/* ---- serving ------------------------------------------------------------------ */

struct xfer {
	struct xfer *next, *prev;
	hs_xfr_server_t *srv;
	hs_net_req_t *req;
	uint8_t *qwire;
	knot_pkt_t *query;
	hs_tsig_ctx_t ctx;
	hs_xfr_out_t *out;
	knot_pkt_t *pkt;
	void *handle;
	uv_timer_t timer;
	struct sockaddr_storage peer;
	size_t msgs, rrs;
};

struct hs_xfr_server {
	uv_loop_t *loop;
	struct hs_xfr_server_cfg cfg;
	struct xfer *list;
	size_t active;
};

static const hs_tsig_keys_t no_keys = { NULL, 0 };

int hs_xfr_server_new(uv_loop_t *loop, const struct hs_xfr_server_cfg *cfg, hs_xfr_server_t **out)
{
	if (loop == NULL || cfg == NULL || cfg->acl == NULL || cfg->get == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_xfr_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	s->loop = loop;
	s->cfg = *cfg;
	if (s->cfg.keys == NULL) {
		s->cfg.keys = &no_keys;
	}
	if (s->cfg.max_backlog == 0) {
		s->cfg.max_backlog = SERVE_BACKLOG;
	}
	*out = s;
	return HS_EOK;
}

size_t hs_xfr_server_active(const hs_xfr_server_t *s)
{
	return s != NULL ? s->active : 0;
}

static void xfer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void xfer_end(struct xfer *x, int err)
{
	hs_xfr_server_t *s = x->srv;
	if (s->cfg.served != NULL) {
		s->cfg.served((const struct sockaddr *)&x->peer, knot_pkt_qname(x->query),
		              hs_xfr_out_kind(x->out), x->msgs, x->rrs, err, s->cfg.arg);
	}
	hs_net_done(x->req);
	hs_xfr_out_free(x->out);
	if (s->cfg.release != NULL) {
		s->cfg.release(x->handle, s->cfg.arg);
	}
	knot_pkt_free(x->query);
	knot_pkt_free(x->pkt);
	free(x->qwire);
	if (x->prev != NULL) {
		x->prev->next = x->next;
	} else {
		s->list = x->next;
	}
	if (x->next != NULL) {
		x->next->prev = x->prev;
	}
	s->active--;
	uv_timer_stop(&x->timer);
	uv_close((uv_handle_t *)&x->timer, xfer_closed);
}

static void xfer_pump(struct xfer *x);

static void xfer_timer(uv_timer_t *t)
{
	xfer_pump(t->data);
}

static void xfer_pump(struct xfer *x)
{
	for (int i = 0; i < SERVE_BATCH; i++) {
		if (hs_net_req_backlog(x->req) > x->srv->cfg.max_backlog) {
			uv_timer_start(&x->timer, xfer_timer, SERVE_WAIT_MS, 0);
			return;
		}
		int ret = hs_xfr_out_next(x->out, x->pkt, &x->rrs);
		if (ret < 0) {
			xfer_end(x, ret);
			return;
		}
		int sent = hs_net_send(x->req, x->pkt->wire, x->pkt->size);
		if (sent != 0) {
			xfer_end(x, sent);
			return;
		}
		x->msgs++;
		if (ret == HS_XFR_DONE) {
			xfer_end(x, HS_EOK);
			return;
		}
	}
	uv_timer_start(&x->timer, xfer_timer, 0, 0);  /* let the loop breathe */
}

/* Answer query with rcode (header and question only) and end req. */
static void reply_rcode(hs_net_req_t *req, const knot_pkt_t *query, uint16_t rcode,
                        hs_tsig_ctx_t *ctx)
{
	knot_pkt_t *a = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (a != NULL && hs_xfr_answer(a, query, rcode, ctx) == HS_EOK) {
		(void)hs_net_reply(req, a->wire, a->size);
	} else {
		hs_net_done(req);
	}
	knot_pkt_free(a);
}

/* Answer a SOA query from the zone and end req. */
static int reply_soa(hs_net_req_t *req, const knot_pkt_t *query, hs_zone_t *zone,
                     hs_tsig_ctx_t *ctx)
{
	knot_rrset_t soa;
	knot_pkt_t *a = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	int ret = a != NULL ? knot_pkt_init_response(a, query) : HS_ENOMEM;
	if (ret == KNOT_EOK) {
		knot_wire_set_aa(a->wire);
		ret = ctx != NULL ? hs_tsig_reserve(a, ctx->key) : KNOT_EOK;
	}
	if (ret == KNOT_EOK) {
		ret = hs_zone_find(zone, hs_zone_origin(zone), KNOT_RRTYPE_SOA, &soa);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_begin(a, KNOT_ANSWER);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(a, KNOT_COMPR_HINT_QNAME, &soa, KNOT_PF_NOTRUNC);
	}
	if (ret == KNOT_EOK && ctx != NULL) {
		ret = hs_tsig_sign_response(a, ctx);
	}
	if (ret == KNOT_EOK) {
		ret = hs_net_reply(req, a->wire, a->size);
	} else {
		hs_net_done(req);
	}
	knot_pkt_free(a);
	return ret;
}

bool hs_xfr_server_handle(hs_xfr_server_t *s, hs_net_req_t *req, const uint8_t *msg, size_t len)
{
	if (s == NULL || req == NULL || msg == NULL || len < KNOT_WIRE_HEADER_SIZE ||
	    len > KNOT_WIRE_MAX_PKTSIZE || knot_wire_get_qr(msg) ||
	    knot_wire_get_opcode(msg) != KNOT_OPCODE_QUERY || knot_wire_get_qdcount(msg) != 1) {
		return false;
	}
	struct xfer *x = calloc(1, sizeof(*x));
	uint8_t *wire = malloc(len);
	knot_pkt_t *q = wire != NULL ? knot_pkt_new(wire, (uint16_t)len, NULL) : NULL;
	if (x == NULL || q == NULL) {
		free(x);
		free(wire);
		knot_pkt_free(q);
		return false;  /* the caller answers SERVFAIL or drops */
	}
	memcpy(wire, msg, len);
	if (knot_pkt_parse_question(q) != KNOT_EOK ||
	    (knot_pkt_qtype(q) != KNOT_RRTYPE_AXFR && knot_pkt_qtype(q) != KNOT_RRTYPE_IXFR &&
	     knot_pkt_qtype(q) != KNOT_RRTYPE_SOA)) {
		knot_pkt_free(q);
		free(wire);
		free(x);
		return false;
	}
	x->srv = s;
	x->req = req;
	x->qwire = wire;
	x->query = q;
	const struct sockaddr *peer = hs_net_req_peer(req);
	memcpy(&x->peer, peer, hs_addr_len(peer));
	bool udp = hs_net_req_transport(req) == HS_NET_UDP;

	uint16_t rcode = KNOT_RCODE_NOERROR;
	int why = HS_EXFR_RCODE;  /* for the served callback */
	hs_tsig_ctx_t *ctx = NULL;
	int ret = knot_pkt_parse(q, 0);
	if (ret != KNOT_EOK || knot_pkt_qclass(q) != KNOT_CLASS_IN) {
		rcode = KNOT_RCODE_FORMERR;
		why = HS_EMSG;
		goto refuse;
	}
	ret = hs_tsig_check_query(q, s->cfg.keys, &x->ctx);
	ctx = &x->ctx;
	if (ret != HS_EOK && ret != HS_ETSIG_NONE) {
		rcode = KNOT_RCODE_NOTAUTH;  /* with the TSIG error (BADKEY, BADSIG, BADTIME) */
		why = ret;
		goto refuse;
	}
	const knot_tsig_key_t *key = ret == HS_EOK ? x->ctx.key : NULL;
	if (!s->cfg.acl(peer, knot_pkt_qname(q), key, s->cfg.arg) ||
	    (udp && knot_pkt_qtype(q) == KNOT_RRTYPE_AXFR)) {
		rcode = KNOT_RCODE_REFUSED;
		goto refuse;
	}
	hs_zone_t *zone = NULL;
	hs_diff_t *const *deltas = NULL;
	size_t nd = 0;
	ret = s->cfg.get(knot_pkt_qname(q), &zone, &deltas, &nd, &x->handle, s->cfg.arg);
	if (ret != HS_EOK || zone == NULL) {
		rcode = ret == HS_ENOTFOUND || zone == NULL ? KNOT_RCODE_NOTAUTH : KNOT_RCODE_SERVFAIL;
		goto refuse;
	}
	if (knot_pkt_qtype(q) == KNOT_RRTYPE_SOA) {
		ret = reply_soa(req, q, zone, key != NULL ? &x->ctx : NULL);
		if (s->cfg.release != NULL) {
			s->cfg.release(x->handle, s->cfg.arg);
		}
		knot_pkt_free(q);
		free(wire);
		free(x);
		return true;
	}
	struct hs_xfr_out_opts o = { .udp = udp, .tsig = key != NULL ? &x->ctx : NULL,
	                             .max_msg = udp ? 512 : 0 };
	ret = hs_xfr_out_new(q, zone, deltas, nd, &o, &x->out);
	x->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (ret != HS_EOK || x->pkt == NULL) {
		if (s->cfg.release != NULL) {
			s->cfg.release(x->handle, s->cfg.arg);
		}
		hs_xfr_out_free(x->out);
		knot_pkt_free(x->pkt);
		rcode = ret == HS_EMSG ? KNOT_RCODE_FORMERR : KNOT_RCODE_SERVFAIL;
		why = ret;
		goto refuse;
	}
	uv_timer_init(s->loop, &x->timer);
	x->timer.data = x;
	x->next = s->list;
	if (s->list != NULL) {
		s->list->prev = x;
	}
	s->list = x;
	s->active++;
	xfer_pump(x);
	return true;

refuse:
	if (s->cfg.served != NULL) {
		s->cfg.served(peer, knot_pkt_qname(q), HS_XFR_NONE, 0, 0, why, s->cfg.arg);
	}
	reply_rcode(req, q, rcode, ctx);
	knot_pkt_free(q);
	free(wire);
	free(x);
	return true;
}

void hs_xfr_server_handler(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	if (hs_xfr_server_handle(arg, req, msg, len)) {
		return;
	}
	if (len < KNOT_WIRE_HEADER_SIZE || len > KNOT_WIRE_MAX_PKTSIZE || knot_wire_get_qr(msg)) {
		hs_net_done(req);
		return;
	}
	uint8_t *wire = malloc(len);
	knot_pkt_t *q = wire != NULL ? knot_pkt_new(wire, (uint16_t)len, NULL) : NULL;
	if (q == NULL) {
		free(wire);
		hs_net_done(req);
		return;
	}
	memcpy(wire, msg, len);
	if (knot_pkt_parse_question(q) != KNOT_EOK) {
		hs_net_done(req);
	} else {
		uint16_t rc = knot_wire_get_opcode(msg) == KNOT_OPCODE_QUERY ? KNOT_RCODE_REFUSED
		                                                           : KNOT_RCODE_NOTIMPL;
		reply_rcode(req, q, rc, NULL);
	}
	knot_pkt_free(q);
	free(wire);
}

void hs_xfr_server_free(hs_xfr_server_t *s)
{
	if (s == NULL) {
		return;
	}
	while (s->list != NULL) {
		xfer_end(s->list, KNOT_ECONN);
	}
	free(s);
}

/* ---- NOTIFY ------------------------------------------------------------------------- */

struct hs_xfr_notify {
	uv_loop_t *loop;
	struct sockaddr_storage to;
	knot_dname_t *zone;
	knot_rrset_t *soa;
	struct hs_xfr_notify_opts opts;
	hs_xfr_notify_cb cb;
	void *arg;
	unsigned tries;
	knot_pkt_t *pkt;
	hs_tsig_ctx_t ctx;
	hs_net_query_t *q;
	uv_timer_t timer;
};

static void notify_closed(uv_handle_t *h)
{
	hs_xfr_notify_t *n = h->data;
	knot_rrset_free(n->soa, NULL);
	knot_dname_free(n->zone, NULL);
	knot_pkt_free(n->pkt);
	free(n);
}

static void notify_free(hs_xfr_notify_t *n)
{
	uv_timer_stop(&n->timer);
	uv_close((uv_handle_t *)&n->timer, notify_closed);
}

static void notify_finish(hs_xfr_notify_t *n, int err, uint16_t rcode)
{
	n->cb(err, rcode, n->tries, n->arg);
	notify_free(n);
}

static unsigned notify_wait(const hs_xfr_notify_t *n)
{
	unsigned shift = n->tries > 0 ? n->tries - 1 : 0;
	if (shift > 10) {
		shift = 10;
	}
	return n->opts.timeout_ms << shift;
}

static void notify_answer(int err, const uint8_t *msg, size_t len, void *arg);

static int notify_try(hs_xfr_notify_t *n)
{
	n->tries++;
	int ret = hs_xfr_notify(n->pkt, n->zone, n->opts.qtype, n->soa, n->opts.key, &n->ctx);
	if (ret != HS_EOK) {
		return ret;
	}
	struct hs_net_query_opts o = { .timeout_ms = notify_wait(n), .retries = 0,
	                               .tcp = n->opts.tcp };
	return hs_net_query(n->loop, (const struct sockaddr *)&n->to, n->pkt->wire, n->pkt->size,
	                    &o, notify_answer, n, &n->q);
}

static void notify_timer(uv_timer_t *t)
{
	hs_xfr_notify_t *n = t->data;
	int ret = notify_try(n);
	if (ret != HS_EOK) {
		notify_finish(n, ret, 0);
	}
}

static void notify_answer(int err, const uint8_t *msg, size_t len, void *arg)
{
	hs_xfr_notify_t *n = arg;
	n->q = NULL;
	if (err == 0) {
		uint16_t rcode = 0;
		int ret = hs_xfr_check_answer(msg, len, n->pkt, &n->ctx, &rcode, NULL);
		notify_finish(n, ret, rcode);
		return;
	}
	if (n->tries > n->opts.retries) {
		notify_finish(n, err, 0);
		return;
	}
	if (err == KNOT_ETIMEOUT) {
		err = notify_try(n);  /* the wait was the timeout itself */
		if (err != HS_EOK) {
			notify_finish(n, err, 0);
		}
		return;
	}
	/* Refused at once (ICMP, RST): wait before the next try. */
	uv_timer_start(&n->timer, notify_timer, notify_wait(n), 0);
}

int hs_xfr_notify_send(uv_loop_t *loop, const struct sockaddr *to, const knot_dname_t *zone,
                       const struct hs_xfr_notify_opts *opts, hs_xfr_notify_cb cb, void *arg,
                       hs_xfr_notify_t **out)
{
	if (loop == NULL || to == NULL || zone == NULL || cb == NULL || hs_addr_len(to) == 0) {
		return HS_EINVAL;
	}
	hs_xfr_notify_t *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		return HS_ENOMEM;
	}
	n->loop = loop;
	memcpy(&n->to, to, hs_addr_len(to));
	if (opts != NULL) {
		n->opts = *opts;
	} else {
		n->opts.retries = NOTIFY_RETRIES;
	}
	if (n->opts.timeout_ms == 0) {
		n->opts.timeout_ms = NOTIFY_TIMEOUT_MS;
	}
	if (n->opts.qtype == 0) {
		n->opts.qtype = KNOT_RRTYPE_SOA;
	}
	n->cb = cb;
	n->arg = arg;
	n->zone = knot_dname_copy(zone, NULL);
	n->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	n->soa = opts != NULL && opts->soa != NULL ? knot_rrset_copy(opts->soa, NULL) : NULL;
	n->opts.soa = NULL;
	uv_timer_init(loop, &n->timer);
	n->timer.data = n;
	int ret = HS_ENOMEM;
	if (n->zone != NULL && n->pkt != NULL && (opts == NULL || opts->soa == NULL || n->soa != NULL)) {
		ret = notify_try(n);
	}
	if (ret != HS_EOK) {
		notify_free(n);
		return ret;
	}
	if (out != NULL) {
		*out = n;
	}
	return HS_EOK;
}

void hs_xfr_notify_cancel(hs_xfr_notify_t *n)
{
	if (n == NULL) {
		return;
	}
	if (n->q != NULL) {
		hs_net_cancel(n->q);
		n->q = NULL;
	}
	notify_free(n);
}
