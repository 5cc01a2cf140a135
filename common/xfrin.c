/*
 * common/xfrin.c -- following a zone: the consumer of an AXFR/IXFR answer,
 * message by message (TSIG over the stream, RFC 8945 5.3.1), checking every
 * difference against the zone it applies to. See xfr.h, "following".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdnssec/tsig.h>

#include "common/xfr.h"
#include "common/xfrint.h"
#include "libhsync/error.h"

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
	ret = hs_xfr_check_header(pkt, x->query, x->msgs == 0);
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
