/*
 * common/xfr.c -- AXFR/IXFR answers and consumers, SOA and NOTIFY messages.
 * See xfr.h for the contract.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdnssec/random.h>
#include <libdnssec/tsig.h>

#include "common/xfr.h"
#include "libhsync/error.h"

/* ---- small helpers ---------------------------------------------------------- */

static uint32_t rr_soa_serial(const knot_rrset_t *rr)
{
	return knot_soa_serial(rr->rrs.rdata);
}

/* A SOA RR of the right shape for the zone. */
static bool is_apex_soa(const knot_rrset_t *rr, const knot_dname_t *origin)
{
	return rr->type == KNOT_RRTYPE_SOA && rr->rrs.count >= 1 &&
	       rr->rrs.rdata->len >= 20 && hs_dname_equal(rr->owner, origin);
}

/* Header for a fresh query in pkt. */
static int query_begin(knot_pkt_t *pkt, const knot_dname_t *zone, uint16_t qtype,
                       const knot_tsig_key_t *key)
{
	knot_pkt_clear(pkt);
	knot_wire_set_id(pkt->wire, dnssec_random_uint16_t());
	int ret = knot_pkt_put_question(pkt, zone, KNOT_CLASS_IN, qtype);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (key != NULL) {
		ret = hs_tsig_reserve(pkt, key);
	}
	return ret;
}

static int query_finish(knot_pkt_t *pkt, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx)
{
	if (key == NULL) {
		if (ctx != NULL) {
			memset(ctx, 0, sizeof(*ctx));
		}
		return HS_EOK;
	}
	return hs_tsig_sign_query(pkt, key, ctx);
}

/* ---- queries ------------------------------------------------------------------ */

int hs_xfr_query(knot_pkt_t *pkt, const knot_dname_t *zone, uint16_t qtype,
                 const knot_rrset_t *soa, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx)
{
	if (pkt == NULL || zone == NULL || (key != NULL && ctx == NULL) ||
	    (qtype == KNOT_RRTYPE_IXFR && (soa == NULL || soa->type != KNOT_RRTYPE_SOA ||
	                                   soa->rrs.count != 1))) {
		return HS_EINVAL;
	}
	int ret = query_begin(pkt, zone, qtype, key);
	if (ret == KNOT_EOK && qtype == KNOT_RRTYPE_IXFR) {
		ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
		if (ret == KNOT_EOK) {
			ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, soa, KNOT_PF_NOTRUNC);
		}
	}
	return ret != KNOT_EOK ? ret : query_finish(pkt, key, ctx);
}

int hs_xfr_notify(knot_pkt_t *pkt, const knot_dname_t *zone, uint16_t qtype,
                  const knot_rrset_t *soa, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx)
{
	if (pkt == NULL || zone == NULL || (key != NULL && ctx == NULL) ||
	    (soa != NULL && soa->type != KNOT_RRTYPE_SOA)) {
		return HS_EINVAL;
	}
	int ret = query_begin(pkt, zone, qtype, key);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_NOTIFY);
	knot_wire_set_aa(pkt->wire);
	if (soa != NULL) {
		ret = knot_pkt_begin(pkt, KNOT_ANSWER);
		if (ret == KNOT_EOK) {
			ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, soa, KNOT_PF_NOTRUNC);
		}
	}
	return ret != KNOT_EOK ? ret : query_finish(pkt, key, ctx);
}

int hs_xfr_notify_parse(const knot_pkt_t *pkt, const knot_dname_t **zone, uint16_t *qtype,
                        bool *has_serial, uint32_t *serial)
{
	if (pkt == NULL || zone == NULL || has_serial == NULL || serial == NULL) {
		return HS_EINVAL;
	}
	if (pkt->size < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(pkt->wire) ||
	    knot_wire_get_opcode(pkt->wire) != KNOT_OPCODE_NOTIFY ||
	    knot_wire_get_qdcount(pkt->wire) != 1 || knot_pkt_qname(pkt) == NULL ||
	    knot_pkt_qclass(pkt) != KNOT_CLASS_IN) {
		return HS_EMSG;
	}
	const knot_dname_t *name = knot_pkt_qname(pkt);
	bool has = false;
	uint32_t s = 0;
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; an != NULL && i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != KNOT_RRTYPE_SOA) {
			continue;
		}
		if (!is_apex_soa(rr, name)) {
			return HS_EMSG;
		}
		has = true;
		s = rr_soa_serial(rr);
	}
	*zone = name;
	if (qtype != NULL) {
		*qtype = knot_pkt_qtype(pkt);
	}
	*has_serial = has;
	*serial = s;
	return HS_EOK;
}

int hs_xfr_answer(knot_pkt_t *pkt, const knot_pkt_t *query, uint16_t rcode, hs_tsig_ctx_t *ctx)
{
	if (pkt == NULL || query == NULL || query->size < KNOT_WIRE_HEADER_SIZE) {
		return HS_EINVAL;
	}
	knot_pkt_clear(pkt);
	int ret = knot_pkt_init_response(pkt, query);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_wire_set_aa(pkt->wire);
	knot_wire_set_rcode(pkt->wire, (uint8_t)(rcode & 0x0f));
	if (ctx != NULL && ctx->query_tsig != NULL) {
		if (ctx->key != NULL && ctx->tsig_rcode == 0) {
			ret = hs_tsig_reserve(pkt, ctx->key);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
		return hs_tsig_sign_response(pkt, ctx);
	}
	return HS_EOK;
}

/* Common checks of an answer to query: ID, QR, opcode, question, TC. */
static int check_header(const knot_pkt_t *resp, const knot_pkt_t *query, bool need_question)
{
	const uint8_t *w = resp->wire;
	if (knot_wire_get_id(w) != knot_wire_get_id(query->wire) || !knot_wire_get_qr(w) ||
	    knot_wire_get_opcode(w) != knot_wire_get_opcode(query->wire) ||
	    knot_wire_get_tc(w)) {
		return HS_EMSG;
	}
	uint16_t qd = knot_wire_get_qdcount(w);
	if (qd > 1 || (qd == 0 && need_question)) {
		return HS_EMSG;
	}
	if (qd == 1 && (!hs_dname_equal(knot_pkt_qname(resp), knot_pkt_qname(query)) ||
	                knot_pkt_qtype(resp) != knot_pkt_qtype(query) ||
	                knot_pkt_qclass(resp) != knot_pkt_qclass(query))) {
		return HS_EMSG;
	}
	return HS_EOK;
}

int hs_xfr_check_answer(const uint8_t *wire, size_t len, const knot_pkt_t *query,
                        hs_tsig_ctx_t *ctx, uint16_t *rcode, uint32_t *serial)
{
	if (wire == NULL || query == NULL || query->size < KNOT_WIRE_HEADER_SIZE) {
		return HS_EINVAL;
	}
	if (len < KNOT_WIRE_HEADER_SIZE || len > KNOT_WIRE_MAX_PKTSIZE) {
		return HS_EMSG;
	}
	uint8_t *copy = malloc(len);
	if (copy == NULL) {
		return HS_ENOMEM;
	}
	memcpy(copy, wire, len);
	knot_pkt_t *pkt = knot_pkt_new(copy, (uint16_t)len, NULL);
	int ret = HS_ENOMEM;
	if (pkt == NULL) {
		goto out;
	}
	ret = knot_pkt_parse(pkt, KNOT_PF_NOCANON);
	if (ret != KNOT_EOK) {
		ret = HS_EMSG;
		goto out;
	}
	ret = check_header(pkt, query, false);
	if (ret != HS_EOK) {
		goto out;
	}
	uint16_t rc = knot_wire_get_rcode(pkt->wire);
	if (rcode != NULL) {
		*rcode = rc;
	}
	if (ctx != NULL && ctx->key != NULL && (rc == KNOT_RCODE_NOERROR || pkt->tsig_rr != NULL)) {
		ret = hs_tsig_check_response(pkt, ctx);
		if (ret != HS_EOK) {
			goto out;
		}
	}
	if (rc != KNOT_RCODE_NOERROR) {
		ret = HS_EXFR_RCODE;
		goto out;
	}
	if (knot_pkt_qtype(query) == KNOT_RRTYPE_SOA && serial != NULL) {
		ret = HS_ENOTFOUND;
		const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
		for (uint16_t i = 0; i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (is_apex_soa(rr, knot_pkt_qname(query))) {
				*serial = rr_soa_serial(rr);
				ret = HS_EOK;
				break;
			}
		}
	}
out:
	knot_pkt_free(pkt);
	free(copy);
	return ret;
}

int hs_xfr_query_serial(const knot_pkt_t *query, uint32_t *serial)
{
	if (query == NULL || serial == NULL) {
		return HS_EINVAL;
	}
	const knot_dname_t *qname = knot_pkt_qname(query);
	const knot_pktsection_t *ns = knot_pkt_section(query, KNOT_AUTHORITY);
	for (uint16_t i = 0; qname != NULL && ns != NULL && i < ns->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ns, i);
		if (is_apex_soa(rr, qname)) {
			*serial = rr_soa_serial(rr);
			return HS_EOK;
		}
	}
	return HS_EMSG;
}

/* ---- serving -------------------------------------------------------------------- */

enum seg_mode {
	SEG_SOA,   /* the SOA of the zone only */
	SEG_BODY,  /* everything but the SOA at the origin */
	SEG_ALL,   /* everything, SOA first */
};

struct seg {
	hs_zone_t *zone;
	enum seg_mode mode;
};

struct hs_xfr_out {
	const knot_pkt_t *query;
	hs_tsig_ctx_t *tsig;       /* NULL: unsigned */
	size_t max_msg;
	hs_xfr_kind_t kind;
	struct seg *segs;
	size_t nsegs;
	size_t seg;                /* current segment */
	bool seg_started;
	hs_zone_iter_t it;
	knot_rrset_t pending;      /* view of the RRset being put */
	uint16_t pending_pos;      /* RRs of it already put */
	bool has_pending;
	bool finished;
	size_t rrs;
};

static int add_seg(hs_xfr_out_t *x, hs_zone_t *z, enum seg_mode mode)
{
	x->segs[x->nsegs].zone = z;
	x->segs[x->nsegs].mode = mode;
	x->nsegs++;
	return HS_EOK;
}

static bool zone_has_soa(hs_zone_t *z)
{
	uint32_t s;
	return hs_zone_soa_serial(z, &s) == HS_EOK;
}

int hs_xfr_out_new(const knot_pkt_t *query, hs_zone_t *zone, hs_diff_t *const *deltas,
                   size_t ndeltas, const struct hs_xfr_out_opts *opts, hs_xfr_out_t **out)
{
	if (query == NULL || zone == NULL || out == NULL || (deltas == NULL && ndeltas > 0) ||
	    knot_pkt_qname(query) == NULL ||
	    !hs_dname_equal(knot_pkt_qname(query), hs_zone_origin(zone))) {
		return HS_EINVAL;
	}
	uint32_t ours;
	if (hs_zone_soa_serial(zone, &ours) != HS_EOK) {
		return HS_EINVAL;
	}
	uint16_t qtype = knot_pkt_qtype(query);
	if (qtype != KNOT_RRTYPE_AXFR && qtype != KNOT_RRTYPE_IXFR) {
		return HS_EINVAL;
	}
	hs_tsig_ctx_t *tsig = NULL;
	if (opts != NULL && opts->tsig != NULL && opts->tsig->query_tsig != NULL) {
		if (opts->tsig->key == NULL || opts->tsig->tsig_rcode != 0) {
			return HS_EINVAL;  /* a failed check is answered with hs_xfr_answer() */
		}
		tsig = opts->tsig;
	}
	size_t max_msg = opts != NULL && opts->max_msg > 0 ? opts->max_msg : KNOT_WIRE_MAX_PKTSIZE;
	if (max_msg > KNOT_WIRE_MAX_PKTSIZE || max_msg < KNOT_WIRE_MIN_PKTSIZE) {
		return HS_EINVAL;
	}

	/* Which form: find the delta chain from the client's serial. */
	hs_xfr_kind_t kind = HS_XFR_AXFR;
	size_t first = 0;
	if (qtype == KNOT_RRTYPE_IXFR) {
		uint32_t client;
		if (hs_xfr_query_serial(query, &client) != HS_EOK) {
			return HS_EMSG;
		}
		int c = hs_serial_cmp(client, ours);
		if (c == 0 || c == 1 || (opts != NULL && opts->udp)) {
			kind = HS_XFR_UPTODATE;
		} else {
			for (size_t i = 0; i < ndeltas; i++) {
				uint32_t from;
				if (deltas[i] == NULL ||
				    hs_zone_soa_serial(deltas[i]->removed, &from) != HS_EOK ||
				    !zone_has_soa(deltas[i]->added)) {
					return HS_EINVAL;
				}
				if (from == client) {
					kind = HS_XFR_IXFR;
					first = i;
					break;
				}
			}
			/* The chain must go on unbroken to our serial; else AXFR form. */
			uint32_t at = client;
			for (size_t i = first; kind == HS_XFR_IXFR && i < ndeltas; i++) {
				uint32_t from = 0, to = 0;
				(void)hs_zone_soa_serial(deltas[i]->removed, &from);
				(void)hs_zone_soa_serial(deltas[i]->added, &to);
				if (from != at) {
					kind = HS_XFR_AXFR;
				}
				at = to;
			}
			if (kind == HS_XFR_IXFR && at != ours) {
				kind = HS_XFR_AXFR;
			}
		}
	}

	hs_xfr_out_t *x = calloc(1, sizeof(*x));
	size_t nsegs = kind == HS_XFR_IXFR ? 2 + 2 * (ndeltas - first) : 3;
	if (x == NULL || (x->segs = calloc(nsegs, sizeof(*x->segs))) == NULL) {
		free(x);
		return HS_ENOMEM;
	}
	x->query = query;
	x->tsig = tsig;
	x->max_msg = max_msg;
	x->kind = kind;
	switch (kind) {
	case HS_XFR_UPTODATE:
		add_seg(x, zone, SEG_SOA);
		break;
	case HS_XFR_IXFR:
		add_seg(x, zone, SEG_SOA);
		for (size_t i = first; i < ndeltas; i++) {
			add_seg(x, deltas[i]->removed, SEG_ALL);
			add_seg(x, deltas[i]->added, SEG_ALL);
		}
		add_seg(x, zone, SEG_SOA);
		break;
	default:
		add_seg(x, zone, SEG_SOA);
		add_seg(x, zone, SEG_BODY);
		add_seg(x, zone, SEG_SOA);
		break;
	}
	*out = x;
	return HS_EOK;
}

hs_xfr_kind_t hs_xfr_out_kind(const hs_xfr_out_t *x)
{
	return x != NULL ? x->kind : HS_XFR_NONE;
}

void hs_xfr_out_free(hs_xfr_out_t *x)
{
	if (x != NULL) {
		free(x->segs);
		free(x);
	}
}

/* The next RRset to send into x->pending; false when there is none. */
static int next_rrset(hs_xfr_out_t *x, bool *got)
{
	*got = false;
	while (x->seg < x->nsegs) {
		struct seg *s = &x->segs[x->seg];
		const knot_dname_t *origin = hs_zone_origin(s->zone);
		if (s->mode == SEG_SOA) {
			x->seg++;
			if (hs_zone_find(s->zone, origin, KNOT_RRTYPE_SOA, &x->pending) != HS_EOK) {
				return HS_EINVAL;
			}
			*got = true;
			return HS_EOK;
		}
		if (!x->seg_started) {
			int ret = hs_zone_iter_begin(s->zone, HS_ZONE_ITER_SOA_FIRST, &x->it);
			if (ret != HS_EOK) {
				return ret;
			}
			x->seg_started = true;
		}
		while (hs_zone_iter_next(&x->it, &x->pending)) {
			if (s->mode == SEG_BODY && x->pending.type == KNOT_RRTYPE_SOA &&
			    hs_dname_equal(x->pending.owner, origin)) {
				continue;
			}
			*got = true;
			return HS_EOK;
		}
		x->seg++;
		x->seg_started = false;
	}
	return HS_EOK;
}

/* Wire size of RR i of rr without compression (an upper bound). */
static size_t rr_wire_size(const knot_rrset_t *rr, const knot_rdata_t *rd)
{
	return knot_dname_size(rr->owner) + 10 + rd->len;
}

int hs_xfr_out_next(hs_xfr_out_t *x, knot_pkt_t *pkt, size_t *rrs)
{
	if (x == NULL || pkt == NULL || x->finished || pkt->max_size < x->max_msg) {
		return HS_EINVAL;
	}
	knot_pkt_clear(pkt);
	int ret = knot_pkt_init_response(pkt, x->query);
	if (ret != KNOT_EOK) {
		goto fail;
	}
	size_t limit = x->max_msg;
	knot_wire_set_aa(pkt->wire);
	if (x->tsig != NULL) {
		ret = hs_tsig_reserve(pkt, x->tsig->key);
		if (ret != KNOT_EOK) {
			goto fail;
		}
	}
	ret = knot_pkt_begin(pkt, KNOT_ANSWER);
	if (ret != KNOT_EOK) {
		goto fail;
	}
	bool done = false;
	uint16_t put = 0;
	for (;;) {
		if (!x->has_pending) {
			bool got;
			ret = next_rrset(x, &got);
			if (ret != HS_EOK) {
				goto fail;
			}
			if (!got) {
				done = true;
				break;
			}
			x->has_pending = true;
			x->pending_pos = 0;
		}
		/* How many of the RRs left fit, counted without compression. */
		size_t used = pkt->size + pkt->reserved;
		size_t room = limit > used ? limit - used : 0;
		knot_rdata_t *start = knot_rdataset_at(&x->pending.rrs, x->pending_pos);
		knot_rdata_t *rd = start;
		uint16_t n = 0;
		size_t bytes = 0;
		while (x->pending_pos + n < x->pending.rrs.count) {
			size_t sz = rr_wire_size(&x->pending, rd);
			if (bytes + sz > room) {
				break;
			}
			bytes += sz;
			n++;
			rd = knot_rdataset_next(rd);
		}
		if (n == 0) {
			if (put == 0) {
				ret = HS_ESPACE;  /* one RR larger than a message */
				goto fail;
			}
			break;
		}
		knot_rrset_t view = x->pending;
		view.rrs.count = n;
		view.rrs.rdata = start;
		view.rrs.size = (uint32_t)((uint8_t *)rd - (uint8_t *)start);
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &view, KNOT_PF_NOTRUNC);
		if (ret != KNOT_EOK) {
			goto fail;
		}
		put++;
		x->rrs += n;
		x->pending_pos += n;
		if (x->pending_pos < x->pending.rrs.count) {
			break;  /* full */
		}
		x->has_pending = false;
	}
	if (x->tsig != NULL) {
		ret = hs_tsig_sign_response(pkt, x->tsig);
		if (ret != HS_EOK) {
			goto fail;
		}
	}
	if (rrs != NULL) {
		*rrs = x->rrs;
	}
	if (done) {
		x->finished = true;
		return HS_XFR_DONE;
	}
	return HS_XFR_MORE;
fail:
	x->finished = true;
	return ret;
}

/* ---- following ---------------------------------------------------------------------- */

enum in_state {
	IN_FIRST,    /* expecting the first SOA */
	IN_SECOND,   /* IXFR: what follows the first SOA decides the form */
	IN_AXFR,     /* records until the closing SOA */
	IN_DEL,      /* IXFR: removals of a difference */
	IN_ADD,      /* IXFR: additions of a difference */
	IN_DONE,
};

struct hs_xfr_in {
	const knot_pkt_t *query;
	const knot_dname_t *origin;   /* the query's qname */
	uint16_t qtype;
	hs_zone_t *cur;
	bool has_cur;
	uint32_t cur_serial;
	hs_tsig_ctx_t tsig;
	bool use_tsig;
	int err;
	enum in_state state;
	hs_xfr_kind_t kind;
	uint32_t serial;              /* serial of the first SOA */
	knot_rrset_t *first_soa;      /* copy, owned */
	hs_zone_t *zone;              /* AXFR: being built; IXFR: the result */
	hs_diff_t **deltas;
	size_t ndeltas, cap;
	hs_diff_t *delta;             /* being filled */
	uint32_t delta_to;
	size_t msgs, rrs;
	uint16_t rcode;
	uint8_t *buf;                 /* copy of the message being parsed */
	hs_xfr_filter_fn filter;
	void *filter_arg;
	bool deltas_only;             /* IXFR: check the deltas, build no zone */
	hs_xfr_has_fn has;            /* deltas_only: what cur holds (NULL: look in cur) */
	void *has_arg;
	dnssec_tsig_ctx_t *hmac;      /* open over unsigned messages since the last MAC */
	unsigned unsigned_run;        /* how many (RFC 8945 5.3.1: at most 99) */
};

#define TSIG_UNSIGNED_MAX 99

void hs_xfr_in_filter(hs_xfr_in_t *x, hs_xfr_filter_fn fn, void *arg)
{
	if (x != NULL) {
		x->filter = fn;
		x->filter_arg = arg;
	}
}

void hs_xfr_in_deltas_only(hs_xfr_in_t *x, hs_xfr_has_fn has, void *arg)
{
	if (x != NULL) {
		x->deltas_only = true;
		x->has = has;
		x->has_arg = arg;
	}
}

int hs_xfr_in_new(const knot_pkt_t *query, hs_zone_t *cur, const hs_tsig_ctx_t *tsig,
                  hs_xfr_in_t **out)
{
	if (query == NULL || out == NULL || query->size < KNOT_WIRE_HEADER_SIZE ||
	    knot_pkt_qname(query) == NULL) {
		return HS_EINVAL;
	}
	uint16_t qtype = knot_pkt_qtype(query);
	if (qtype != KNOT_RRTYPE_AXFR && qtype != KNOT_RRTYPE_IXFR) {
		return HS_EINVAL;
	}
	if (cur != NULL && !hs_dname_equal(hs_zone_origin(cur), knot_pkt_qname(query))) {
		return HS_EINVAL;
	}
	hs_xfr_in_t *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		return HS_ENOMEM;
	}
	x->query = query;
	x->origin = knot_pkt_qname(query);
	x->qtype = qtype;
	x->cur = cur;
	if (cur != NULL && hs_zone_soa_serial(cur, &x->cur_serial) == HS_EOK) {
		x->has_cur = true;
	}
	if (tsig != NULL && tsig->key != NULL) {
		x->tsig = *tsig;
		x->use_tsig = true;
	}
	*out = x;
	return HS_EOK;
}

static void free_deltas(hs_xfr_in_t *x)
{
	for (size_t i = 0; i < x->ndeltas; i++) {
		hs_diff_free(x->deltas[i]);
	}
	free(x->deltas);
	x->deltas = NULL;
	x->ndeltas = x->cap = 0;
	hs_diff_free(x->delta);
	x->delta = NULL;
}

void hs_xfr_in_free(hs_xfr_in_t *x)
{
	if (x == NULL) {
		return;
	}
	free_deltas(x);
	hs_zone_free(x->zone);
	knot_rrset_free(x->first_soa, NULL);
	free(x->buf);
	dnssec_tsig_free(x->hmac);
	free(x);
}

static int push_delta(hs_xfr_in_t *x)
{
	if (x->ndeltas == x->cap) {
		size_t cap = x->cap == 0 ? 4 : 2 * x->cap;
		hs_diff_t **d = realloc(x->deltas, cap * sizeof(*d));
		if (d == NULL) {
			return HS_ENOMEM;
		}
		x->deltas = d;
		x->cap = cap;
	}
	x->deltas[x->ndeltas++] = x->delta;
	x->delta = NULL;
	return HS_EOK;
}

static int start_delta(hs_xfr_in_t *x, const knot_rrset_t *old_soa)
{
	int ret = hs_diff_new(x->origin, KNOT_CLASS_IN, &x->delta);
	if (ret == HS_EOK) {
		ret = hs_zone_add(x->delta->removed, old_soa, NULL);
	}
	x->state = IN_DEL;
	return ret;
}

/* AXFR form: the zone starts with the first SOA. */
static int start_axfr(hs_xfr_in_t *x)
{
	x->kind = HS_XFR_AXFR;
	x->state = IN_AXFR;
	int ret = hs_zone_new(x->origin, KNOT_CLASS_IN, &x->zone);
	if (ret == HS_EOK) {
		ret = hs_zone_add(x->zone, x->first_soa, NULL);
	}
	return ret;
}

/* Whether zone z holds the one RR (owner, type, rd); TTL and class ignored. */
static bool zone_has_rr(const hs_zone_t *z, const knot_dname_t *owner, uint16_t type,
                        const knot_rdata_t *rd)
{
	knot_rrset_t view;
	int ret;
	if (type == KNOT_RRTYPE_RRSIG) {
		uint16_t covered = rd->len >= 2 ? knot_wire_read_u16(rd->data) : 0;
		ret = hs_zone_find_rrsig(z, owner, covered, &view);
	} else {
		ret = hs_zone_find(z, owner, type, &view);
	}
	return ret == HS_EOK && knot_rdataset_member(&view.rrs, rd);
}

/*
 * Checking a chain without a copy of cur: gone holds the RRs of cur that
 * earlier deltas removed, plus the RRs they added that cur did not hold.
 * An RR is in the zone after them iff it is in plus, or in cur and not in
 * gone. Both stay as small as the changes.
 */
struct overlay {
	hs_xfr_in_t *x;
	hs_zone_t *gone, *plus;
};

static bool cur_has(const struct overlay *o, const knot_rrset_t *one)
{
	hs_xfr_in_t *x = o->x;
	if (x->has != NULL) {
		return x->has(one, x->has_arg);
	}
	return zone_has_rr(x->cur, one->owner, one->type, one->rrs.rdata);
}

static bool now_has(const struct overlay *o, const knot_rrset_t *one)
{
	const knot_rdata_t *rd = one->rrs.rdata;
	if (zone_has_rr(o->plus, one->owner, one->type, rd)) {
		return true;
	}
	return !zone_has_rr(o->gone, one->owner, one->type, rd) && cur_has(o, one);
}

/* Calls fn for each RR of z as a one-RR view; stops at the first error. */
static int each_rr(hs_zone_t *z, int (*fn)(struct overlay *, hs_diff_t *, const knot_rrset_t *),
                   struct overlay *o, hs_diff_t *d)
{
	hs_zone_iter_t it;
	knot_rrset_t rr;
	int ret = hs_zone_iter_begin(z, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; ret == HS_EOK && i < rr.rrs.count; i++) {
			knot_rrset_t one = rr;
			one.rrs.count = 1;
			one.rrs.size = knot_rdata_size(rd->len);
			one.rrs.rdata = rd;
			ret = fn(o, d, &one);
			rd = knot_rdataset_next(rd);
		}
	}
	return ret;
}

static int check_removed(struct overlay *o, hs_diff_t *d, const knot_rrset_t *one)
{
	(void)d;
	return now_has(o, one) ? HS_EOK : HS_EXFR_DELTA;
}

/* As hs_zone_apply(): an RR added must not be there unless d removes it. */
static int check_added(struct overlay *o, hs_diff_t *d, const knot_rrset_t *one)
{
	if (now_has(o, one) && !zone_has_rr(d->removed, one->owner, one->type, one->rrs.rdata)) {
		return HS_EXFR_DELTA;
	}
	return HS_EOK;
}

static int note_removed(struct overlay *o, hs_diff_t *d, const knot_rrset_t *one)
{
	(void)d;
	if (zone_has_rr(o->plus, one->owner, one->type, one->rrs.rdata)) {
		return hs_zone_remove(o->plus, one);
	}
	return hs_zone_add(o->gone, one, NULL);
}

static int note_added(struct overlay *o, hs_diff_t *d, const knot_rrset_t *one)
{
	(void)d;
	if (zone_has_rr(o->gone, one->owner, one->type, one->rrs.rdata)) {
		return hs_zone_remove(o->gone, one);
	}
	return hs_zone_add(o->plus, one, NULL);
}

/*
 * The IXFR is complete, deltas only: check the chain against cur as
 * hs_zone_apply() would, one delta after the other, in time and memory in
 * proportion to the deltas. cur is only read.
 */
static int check_ixfr(hs_xfr_in_t *x)
{
	struct overlay o = { .x = x };
	int ret = hs_zone_new(x->origin, KNOT_CLASS_IN, &o.gone);
	if (ret == HS_EOK) {
		ret = hs_zone_new(x->origin, KNOT_CLASS_IN, &o.plus);
	}
	for (size_t i = 0; ret == HS_EOK && i < x->ndeltas; i++) {
		hs_diff_t *d = x->deltas[i];
		bool last = i + 1 == x->ndeltas;
		ret = each_rr(d->removed, check_removed, &o, d);
		if (ret == HS_EOK) {
			ret = each_rr(d->added, check_added, &o, d);
		}
		if (ret == HS_EOK && !last) {
			ret = each_rr(d->removed, note_removed, &o, d);
		}
		if (ret == HS_EOK && !last) {
			ret = each_rr(d->added, note_added, &o, d);
		}
	}
	hs_zone_free(o.gone);
	hs_zone_free(o.plus);
	return ret;
}

/* The IXFR is complete: apply the differences to a copy of cur. */
static int finish_ixfr(hs_xfr_in_t *x)
{
	if (x->deltas_only) {
		return check_ixfr(x);
	}
	int ret = hs_zone_copy(x->cur, &x->zone);
	for (size_t i = 0; ret == HS_EOK && i < x->ndeltas; i++) {
		ret = hs_zone_apply(x->zone, x->deltas[i]);
		if (ret == HS_ENOTFOUND || ret == HS_EEXIST) {
			ret = HS_EXFR_DELTA;
		}
	}
	if (ret != HS_EOK) {
		hs_zone_free(x->zone);
		x->zone = NULL;
	}
	return ret;
}

static int take_rr(hs_xfr_in_t *x, const knot_rrset_t *rr)
{
	if (rr->rclass != KNOT_CLASS_IN) {
		return HS_EINVAL;
	}
	if (!hs_dname_in_zone(rr->owner, x->origin)) {
		return KNOT_EOUTOFZONE;
	}
	bool soa = rr->type == KNOT_RRTYPE_SOA;
	if (soa && !is_apex_soa(rr, x->origin)) {
		return HS_EMSG;  /* a SOA below the apex, or a short one */
	}
	uint32_t serial = soa ? rr_soa_serial(rr) : 0;
	x->rrs++;
	bool keep = soa || x->filter == NULL || x->filter(rr, x->filter_arg);
	switch (x->state) {
	case IN_FIRST:
		if (!soa) {
			return HS_EMSG;
		}
		if (x->has_cur) {
			int c = hs_serial_cmp(serial, x->cur_serial);
			if (c == -1 || c == HS_SERIAL_UNDEFINED) {
				return HS_EXFR_SERIAL;
			}
		}
		x->serial = serial;
		x->first_soa = knot_rrset_copy(rr, NULL);
		if (x->first_soa == NULL) {
			return HS_ENOMEM;
		}
		if (x->qtype == KNOT_RRTYPE_AXFR) {
			return start_axfr(x);
		}
		x->state = IN_SECOND;
		return HS_EOK;
	case IN_SECOND:
		if (soa && serial != x->serial) {
			/* Incremental: the old SOA of the first difference. */
			x->kind = HS_XFR_IXFR;
			if (!x->has_cur || serial != x->cur_serial) {
				return HS_EXFR_DELTA;
			}
			return start_delta(x, rr);
		}
		{
			int ret = start_axfr(x);
			if (ret != HS_EOK) {
				return ret;
			}
		}
		/* this RR belongs to the zone */
		__attribute__((fallthrough));
	case IN_AXFR:
		if (soa) {
			if (serial != x->serial) {
				return HS_EMSG;
			}
			x->state = IN_DONE;
			return HS_EOK;
		}
		return keep ? hs_zone_add(x->zone, rr, NULL) : HS_EOK;
	case IN_DEL:
		if (soa) {
			uint32_t from = 0;
			(void)hs_zone_soa_serial(x->delta->removed, &from);
			if (!hs_serial_gt(serial, from)) {
				return HS_EXFR_DELTA;
			}
			x->delta_to = serial;
			x->state = IN_ADD;
			return hs_zone_add(x->delta->added, rr, NULL);
		}
		return keep ? hs_zone_add(x->delta->removed, rr, NULL) : HS_EOK;
	case IN_ADD:
		if (soa) {
			int ret;
			if (serial == x->serial && x->delta_to == x->serial) {
				ret = push_delta(x);
				if (ret == HS_EOK) {
					ret = finish_ixfr(x);
				}
				x->state = IN_DONE;
				return ret;
			}
			if (serial != x->delta_to) {
				return HS_EXFR_DELTA;
			}
			ret = push_delta(x);
			return ret != HS_EOK ? ret : start_delta(x, rr);
		}
		return keep ? hs_zone_add(x->delta->added, rr, NULL) : HS_EOK;
	case IN_DONE:
	default:
		return HS_EMSG;  /* data after the final SOA */
	}
}

static int hmac_add(dnssec_tsig_ctx_t *h, const uint8_t *data, size_t len)
{
	dnssec_binary_t b = { .size = len, .data = (uint8_t *)data };
	return dnssec_tsig_add(h, &b);
}

/*
 * TSIG of one response message (RFC 8945 5.3.1). The first message must be
 * signed; then up to 99 in a row may come unsigned, and the next signed
 * one covers them: MAC over the prior MAC (with its size), every unsigned
 * message as received, this message without its TSIG (ARCOUNT lowered, as
 * knot_pkt_parse leaves it) and the timers. Without unsigned messages in
 * between, libknot's check does the same.
 */
static int tsig_check(hs_xfr_in_t *x, const knot_pkt_t *pkt)
{
	const knot_tsig_key_t *key = x->tsig.key;
	const knot_rrset_t *tsig = pkt->tsig_rr;
	int ret;
	if (tsig == NULL) {
		if (x->msgs == 1 || x->unsigned_run >= TSIG_UNSIGNED_MAX) {
			return HS_ETSIG_NONE;
		}
		if (x->hmac == NULL) {
			uint8_t len[2] = { (uint8_t)(x->tsig.mac_len >> 8), (uint8_t)x->tsig.mac_len };
			ret = dnssec_tsig_new(&x->hmac, key->algorithm, &key->secret);
			if (ret == KNOT_EOK) {
				ret = hmac_add(x->hmac, len, 2);
			}
			if (ret == KNOT_EOK) {
				ret = hmac_add(x->hmac, x->tsig.mac, x->tsig.mac_len);
			}
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
		x->unsigned_run++;
		return hmac_add(x->hmac, pkt->wire, pkt->size);
	}
	if (x->hmac == NULL) {
		return hs_tsig_check_response(pkt, &x->tsig);
	}
	uint16_t err = knot_tsig_rdata_error(tsig);
	if (err != 0) {
		return err == KNOT_RCODE_BADKEY ? KNOT_TSIG_EBADKEY :
		       err == KNOT_RCODE_BADTIME ? KNOT_TSIG_EBADTIME : KNOT_TSIG_EBADSIG;
	}
	if (!hs_dname_equal(tsig->owner, key->name) || knot_tsig_rdata_alg(tsig) != key->algorithm) {
		return KNOT_TSIG_EBADKEY;
	}
	uint64_t signed_at = knot_tsig_rdata_time_signed(tsig);
	uint16_t fudge = knot_tsig_rdata_fudge(tsig);
	uint8_t timers[8] = {
		(uint8_t)(signed_at >> 40), (uint8_t)(signed_at >> 32), (uint8_t)(signed_at >> 24),
		(uint8_t)(signed_at >> 16), (uint8_t)(signed_at >> 8), (uint8_t)signed_at,
		(uint8_t)(fudge >> 8), (uint8_t)fudge,
	};
	uint8_t mac[64];
	ret = hmac_add(x->hmac, pkt->wire, pkt->size);
	if (ret == KNOT_EOK) {
		ret = hmac_add(x->hmac, timers, sizeof(timers));
	}
	size_t mac_len = dnssec_tsig_size(x->hmac);
	if (ret == KNOT_EOK && mac_len <= sizeof(mac)) {
		ret = dnssec_tsig_write(x->hmac, mac);
	}
	dnssec_tsig_free(x->hmac);
	x->hmac = NULL;
	x->unsigned_run = 0;
	if (ret != KNOT_EOK || mac_len > sizeof(mac)) {
		return ret != KNOT_EOK ? ret : HS_EINVAL;
	}
	const uint8_t *got = knot_tsig_rdata_mac(tsig);
	if (got == NULL || knot_tsig_rdata_mac_length(tsig) != mac_len) {
		return KNOT_TSIG_EBADSIG;
	}
	uint8_t diff = 0;
	for (size_t i = 0; i < mac_len; i++) {
		diff |= (uint8_t)(mac[i] ^ got[i]);
	}
	if (diff != 0) {
		return KNOT_TSIG_EBADSIG;
	}
	int64_t now = (int64_t)time(NULL);
	if (now - (int64_t)signed_at > fudge || (int64_t)signed_at - now > fudge) {
		return KNOT_TSIG_EBADTIME;
	}
	memcpy(x->tsig.mac, mac, mac_len);
	x->tsig.mac_len = mac_len;
	x->tsig.time_signed = signed_at;
	x->tsig.count++;
	return HS_EOK;
}

static int feed(hs_xfr_in_t *x, const uint8_t *wire, size_t len)
{
	if (len < KNOT_WIRE_HEADER_SIZE || len > KNOT_WIRE_MAX_PKTSIZE) {
		return HS_EMSG;
	}
	if (x->buf == NULL && (x->buf = malloc(KNOT_WIRE_MAX_PKTSIZE)) == NULL) {
		return HS_ENOMEM;
	}
	memcpy(x->buf, wire, len);
	knot_pkt_t *pkt = knot_pkt_new(x->buf, (uint16_t)len, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	int ret = knot_pkt_parse(pkt, KNOT_PF_NOCANON);
	if (ret != KNOT_EOK) {
		ret = HS_EMSG;
		goto out;
	}
	ret = check_header(pkt, x->query, x->msgs == 0);
	if (ret != HS_EOK) {
		goto out;
	}
	x->msgs++;
	x->rcode = knot_wire_get_rcode(pkt->wire);
	if (x->use_tsig && (x->rcode == KNOT_RCODE_NOERROR || pkt->tsig_rr != NULL)) {
		ret = x->rcode == KNOT_RCODE_NOERROR ? tsig_check(x, pkt)
		                                     : hs_tsig_check_response(pkt, &x->tsig);
		if (ret != HS_EOK) {
			goto out;
		}
	}
	if (x->rcode != KNOT_RCODE_NOERROR) {
		ret = HS_EXFR_RCODE;
		goto out;
	}
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	if (an->count == 0 && x->msgs == 1) {
		ret = HS_EMSG;
		goto out;
	}
	for (uint16_t i = 0; i < an->count; i++) {
		ret = take_rr(x, knot_pkt_rr(an, i));
		if (ret != HS_EOK) {
			goto out;
		}
	}
	if (x->state == IN_SECOND) {
		/* The first message was the SOA alone: up to date, or cut off. */
		if (x->has_cur && hs_serial_gt(x->serial, x->cur_serial)) {
			ret = HS_ETRUNC;
			goto out;
		}
		x->kind = HS_XFR_UPTODATE;
		x->state = IN_DONE;
	}
	if (x->state == IN_DONE && x->use_tsig && pkt->tsig_rr == NULL) {
		ret = HS_ETSIG_NONE;  /* the last message must be signed */
		goto out;
	}
	ret = x->state == IN_DONE ? HS_XFR_DONE : HS_XFR_MORE;
out:
	knot_pkt_free(pkt);
	return ret;
}

int hs_xfr_in_feed(hs_xfr_in_t *x, const uint8_t *wire, size_t len)
{
	if (x == NULL || (wire == NULL && len > 0)) {
		return HS_EINVAL;
	}
	if (x->err != HS_EOK) {
		return x->err;
	}
	if (x->state == IN_DONE) {
		x->err = HS_ETRAIL;
	} else {
		int ret = feed(x, wire, len);
		if (ret >= 0) {
			return ret;
		}
		x->err = ret;
	}
	/* Drop whatever was built: nothing of a failed transfer is used. */
	free_deltas(x);
	hs_zone_free(x->zone);
	x->zone = NULL;
	return x->err;
}

int hs_xfr_in_end(hs_xfr_in_t *x)
{
	if (x == NULL) {
		return HS_EINVAL;
	}
	if (x->err == HS_EOK && x->state != IN_DONE) {
		x->err = HS_ETRUNC;
		free_deltas(x);
		hs_zone_free(x->zone);
		x->zone = NULL;
	}
	return x->err;
}

hs_xfr_kind_t hs_xfr_in_kind(const hs_xfr_in_t *x)
{
	return x != NULL && x->err == HS_EOK && x->state == IN_DONE ? x->kind : HS_XFR_NONE;
}

uint32_t hs_xfr_in_serial(const hs_xfr_in_t *x)
{
	return x != NULL ? x->serial : 0;
}

uint16_t hs_xfr_in_rcode(const hs_xfr_in_t *x)
{
	return x != NULL ? x->rcode : 0;
}

size_t hs_xfr_in_messages(const hs_xfr_in_t *x)
{
	return x != NULL ? x->msgs : 0;
}

size_t hs_xfr_in_rrs(const hs_xfr_in_t *x)
{
	return x != NULL ? x->rrs : 0;
}

hs_zone_t *hs_xfr_in_take_zone(hs_xfr_in_t *x)
{
	if (x == NULL || x->err != HS_EOK || x->state != IN_DONE) {
		return NULL;
	}
	hs_zone_t *z = x->zone;
	x->zone = NULL;
	return z;
}

void hs_xfr_in_take_deltas(hs_xfr_in_t *x, hs_diff_t ***deltas, size_t *n)
{
	if (deltas == NULL || n == NULL) {
		return;
	}
	*deltas = NULL;
	*n = 0;
	if (x == NULL || x->err != HS_EOK || x->state != IN_DONE || x->kind != HS_XFR_IXFR) {
		return;
	}
	*deltas = x->deltas;
	*n = x->ndeltas;
	x->deltas = NULL;
	x->ndeltas = x->cap = 0;
}
