/*
 * common/xfrout.c -- serving a zone: AXFR, and IXFR from a chain of
 * differences (or the whole zone when the chain does not reach), cut into
 * messages. See xfr.h, "serving".
 */
#include <stdlib.h>
#include <string.h>

#include "common/xfr.h"
#include "libhsync/error.h"

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
