/*
 * libhsync/msg.c -- agent-to-agent messages (see msg.h, doc/protocol.md).
 *
 * Requests and responses are written byte by byte, so that the layout is
 * exactly the one the protocol document shows; received messages are read
 * with libknot's parser and then checked field by field. SIG(0) work is
 * libhsync/sig0.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/msg.h"

static const uint16_t SYNC_TYPES[HS_MSG_NTYPES] = {
	KNOT_RRTYPE_DNSKEY, KNOT_RRTYPE_CDS, KNOT_RRTYPE_CDNSKEY, KNOT_RRTYPE_CSYNC,
	KNOT_RRTYPE_NS,
};

#define REPLAY_LABEL "hsync agent message replay id v1"

const char *hs_msg_kind_name(hs_msg_kind_t kind)
{
	switch (kind) {
	case HS_MSG_HELLO: return "HELLO";
	case HS_MSG_HEARTBEAT: return "HEARTBEAT";
	case HS_MSG_SYNC: return "SYNC";
	case HS_MSG_RFI: return "RFI";
	default: return "NONE";
	}
}

uint16_t hs_msg_sync_type(unsigned i)
{
	return i < HS_MSG_NTYPES ? SYNC_TYPES[i] : 0;
}

static int type_index(uint16_t type)
{
	for (int i = 0; i < HS_MSG_NTYPES; i++) {
		if (SYNC_TYPES[i] == type) {
			return i;
		}
	}
	return -1;
}

static uint8_t kind_op(hs_msg_kind_t kind)
{
	switch (kind) {
	case HS_MSG_HELLO: return HS_PS_OP_HELLO;
	case HS_MSG_HEARTBEAT: return HS_PS_OP_HEARTBEAT;
	case HS_MSG_RFI: return HS_PS_OP_RFI;
	default: return 0;
	}
}

static hs_msg_kind_t op_kind(uint8_t op)
{
	switch (op) {
	case HS_PS_OP_HELLO: return HS_MSG_HELLO;
	case HS_PS_OP_HEARTBEAT: return HS_MSG_HEARTBEAT;
	case HS_PS_OP_RFI: return HS_MSG_RFI;
	default: return HS_MSG_NONE;
	}
}

/* ---- writing ------------------------------------------------------------- */

typedef struct {
	uint8_t *p;
	size_t len, cap;
	int err;
} wbuf_t;

static void put(wbuf_t *w, const void *data, size_t n)
{
	if (w->err != HS_EOK) {
		return;
	}
	if (w->cap - w->len < n) {
		w->err = HS_ESPACE;
		return;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void put16(wbuf_t *w, uint16_t v)
{
	uint8_t b[2];
	knot_wire_write_u16(b, v);
	put(w, b, 2);
}

static void put32(wbuf_t *w, uint32_t v)
{
	uint8_t b[4];
	knot_wire_write_u32(b, v);
	put(w, b, 4);
}

/* Header with the four counts. */
static void put_header(wbuf_t *w, uint16_t id, uint8_t flags1, uint8_t flags2,
                       uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	put16(w, id);
	uint8_t f[2] = { flags1, flags2 };
	put(w, f, 2);
	put16(w, qd);
	put16(w, an);
	put16(w, ns);
	put16(w, ar);
}

/* OPT RR, with the Provider-Sync option when PS is not NULL. */
static void put_opt(wbuf_t *w, const hs_provsync_t *ps)
{
	uint8_t root = 0;
	put(w, &root, 1);
	put16(w, KNOT_RRTYPE_OPT);
	put16(w, HS_MSG_EDNS_PAYLOAD);
	put32(w, 0);                    /* extended RCODE, version 0, no flags */
	if (ps == NULL) {
		put16(w, 0);
		return;
	}
	uint8_t data[HS_PROVSYNC_MINLEN];
	size_t len = 0;
	int ret = hs_provsync_encode(ps, data, sizeof(data), &len);
	if (ret != HS_EOK) {
		w->err = w->err != HS_EOK ? w->err : ret;
		return;
	}
	put16(w, (uint16_t)(4 + len));
	put16(w, HS_EDNS_PROVIDER_SYNC);
	put16(w, (uint16_t)len);
	put(w, data, len);
}

static uint16_t new_id(const hs_msg_opts_t *o)
{
	if (o->id != 0) {
		return o->id;
	}
	if (sodium_init() < 0) {
		return (uint16_t)time(NULL);
	}
	return (uint16_t)randombytes_uniform(65536);
}

/* Sign in place with o->key (unless NULL). */
static int finish(const hs_msg_opts_t *o, uint8_t *out, size_t len, size_t max,
                  const uint8_t *req, size_t req_size, size_t *size)
{
	if (o->key != NULL) {
		int ret = hs_sig0_sign(out, &len, max, o->key, req, req_size, &o->sig0);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	*size = len;
	return HS_EOK;
}

static bool rdata_ok(uint16_t type, const uint8_t *rd, size_t len)
{
	switch (type) {
	case KNOT_RRTYPE_DNSKEY:
	case KNOT_RRTYPE_CDNSKEY:
		return len >= 4 && rd[2] == 3;
	case KNOT_RRTYPE_CDS:
		return len >= 5;
	case KNOT_RRTYPE_CSYNC:
		return len >= 6;
	case KNOT_RRTYPE_NS:
		return len > 0 && knot_dname_wire_check(rd, rd + len, NULL) == (int)len;
	default:
		return false;
	}
}

static int check_content(const knot_dname_t *zone, const hs_msg_content_t *c)
{
	for (unsigned i = 0; c != NULL && i < HS_MSG_NTYPES; i++) {
		const knot_rrset_t *rr = c->rr[i];
		if (rr == NULL) {
			continue;
		}
		if (rr->type != SYNC_TYPES[i] || rr->rclass != KNOT_CLASS_IN ||
		    rr->owner == NULL || !knot_dname_is_case_equal(rr->owner, zone)) {
			return HS_EINVAL;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++) {
			if (!rdata_ok(rr->type, rd->data, rd->len)) {
				return HS_EINVAL;
			}
			rd = knot_rdataset_next(rd);
		}
	}
	return HS_EOK;
}

int hs_msg_build(hs_msg_kind_t kind, const knot_dname_t *zone,
                 const hs_msg_content_t *content, const hs_msg_opts_t *opts,
                 uint8_t *out, size_t max, size_t *size)
{
	hs_msg_opts_t defaults = { 0 };
	const hs_msg_opts_t *o = opts != NULL ? opts : &defaults;
	if (zone == NULL || out == NULL || size == NULL ||
	    knot_dname_wire_check(zone, zone + KNOT_DNAME_MAXLEN, NULL) <= 0) {
		return HS_EINVAL;
	}
	if (max > HS_MSG_MAX) {
		max = HS_MSG_MAX;
	}
	wbuf_t w = { .p = out, .cap = max };
	uint16_t id = new_id(o);
	size_t zlen = knot_dname_size(zone);

	if (kind == HS_MSG_SYNC) {
		int ret = check_content(zone, content);
		if (ret != HS_EOK) {
			return ret;
		}
		unsigned count = 0;
		for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
			count += 1 + (content != NULL && content->rr[i] != NULL
			              ? content->rr[i]->rrs.count : 0);
		}
		put_header(&w, id, KNOT_OPCODE_UPDATE << 3, 0, 1, 0, (uint16_t)count, 0);
		put(&w, zone, zlen);
		put16(&w, KNOT_RRTYPE_SOA);
		put16(&w, KNOT_CLASS_IN);
		for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
			/* delete RRset: owner = the zone (pointer to the question) */
			put16(&w, 0xc000 | KNOT_WIRE_HEADER_SIZE);
			put16(&w, SYNC_TYPES[i]);
			put16(&w, KNOT_CLASS_ANY);
			put32(&w, 0);
			put16(&w, 0);
			const knot_rrset_t *rr = content != NULL ? content->rr[i] : NULL;
			knot_rdata_t *rd = rr != NULL ? rr->rrs.rdata : NULL;
			for (uint16_t j = 0; rr != NULL && j < rr->rrs.count; j++) {
				put16(&w, 0xc000 | KNOT_WIRE_HEADER_SIZE);
				put16(&w, SYNC_TYPES[i]);
				put16(&w, KNOT_CLASS_IN);
				put32(&w, rr->ttl);
				put16(&w, rd->len);
				put(&w, rd->data, rd->len);
				rd = knot_rdataset_next(rd);
			}
		}
	} else {
		uint8_t op = kind_op(kind);
		if (op == 0) {
			return HS_EINVAL;
		}
		hs_provsync_t ps = {
			.op = op,
			.transport = o->transport != 0 ? o->transport : HS_PS_TRANSPORT_DNS,
			.sync = o->sync,
		};
		if (!(ps.transport & HS_PS_TRANSPORT_DNS)) {
			return HS_EINVAL;
		}
		/* flags: opcode NOTIFY, AA */
		put_header(&w, id, (KNOT_OPCODE_NOTIFY << 3) | KNOT_WIRE_AA_MASK, 0, 1, 0, 0, 1);
		put(&w, zone, zlen);
		put16(&w, KNOT_RRTYPE_SOA);
		put16(&w, KNOT_CLASS_IN);
		put_opt(&w, &ps);
	}
	if (w.err != HS_EOK) {
		return w.err;
	}
	return finish(o, out, w.len, max, NULL, 0, size);
}

/* ---- reading --------------------------------------------------------------- */

void hs_msg_clear(hs_msg_t *msg)
{
	if (msg == NULL) {
		return;
	}
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rrset_free(msg->content.rr[i], NULL);
	}
	memset(msg, 0, sizeof(*msg));
}

static bool is_delete(const knot_rrset_t *rr)
{
	return rr->rclass == KNOT_CLASS_ANY && rr->ttl == 0 &&
	       (rr->rrs.count == 0 || (rr->rrs.count == 1 && rr->rrs.rdata->len == 0));
}

/* The update section of a SYNC into OUT->content. */
static int parse_sync(const knot_pkt_t *pkt, hs_msg_t *out)
{
	const knot_pktsection_t *up = knot_pkt_section(pkt, KNOT_AUTHORITY);
	bool deleted[HS_MSG_NTYPES] = { false };
	for (uint16_t i = 0; i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		int t = type_index(rr->type);
		if (t < 0 || !knot_dname_is_case_equal(rr->owner, out->head.zone)) {
			return HS_EMSG;
		}
		if (is_delete(rr)) {
			if (deleted[t]) {
				return HS_EMSG;
			}
			deleted[t] = true;
			continue;
		}
		if (!deleted[t] || rr->rclass != KNOT_CLASS_IN || rr->rrs.count != 1 ||
		    !rdata_ok(rr->type, rr->rrs.rdata->data, rr->rrs.rdata->len)) {
			return HS_EMSG;
		}
		knot_rrset_t *set = out->content.rr[t];
		if (set == NULL) {
			set = knot_rrset_new(out->head.zone, rr->type, KNOT_CLASS_IN, rr->ttl, NULL);
			if (set == NULL) {
				return HS_ENOMEM;
			}
			out->content.rr[t] = set;
		} else if (set->ttl != rr->ttl) {
			return HS_EMSG;     /* one RRset, one TTL (RFC 2181 5.2) */
		}
		uint16_t before = set->rrs.count;
		int ret = knot_rdataset_add(&set->rrs, rr->rrs.rdata, NULL);
		if (ret != KNOT_EOK) {
			return ret;
		}
		if (set->rrs.count == before) {
			return HS_EMSG;     /* the same RR twice */
		}
	}
	for (unsigned t = 0; t < HS_MSG_NTYPES; t++) {
		if (!deleted[t]) {
			return HS_EMSG;     /* a SYNC replaces the whole contribution */
		}
	}
	return HS_EOK;
}

/* Additional section: at most one OPT, the SIG(0) (checked by sig0.c), nothing else. */
static int check_additional(const knot_pkt_t *pkt, bool opt_allowed)
{
	const knot_pktsection_t *ar = knot_pkt_section(pkt, KNOT_ADDITIONAL);
	for (uint16_t i = 0; i < ar->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ar, i);
		if (rr->type == KNOT_RRTYPE_OPT && opt_allowed) {
			continue;
		}
		/* SIG(0): owner root, class ANY, TTL 0 (RFC 2931 3); these
		 * fields are not signed, so nothing else is accepted */
		if (rr->type == HS_RRTYPE_SIG && rr->owner[0] == 0 &&
		    rr->rclass == KNOT_CLASS_ANY && rr->ttl == 0) {
			continue;
		}
		return HS_EMSG;
	}
	return HS_EOK;
}

/* Parse WIRE with libknot into a new packet over a private copy. */
static int knot_parse(const uint8_t *wire, size_t size, knot_pkt_t **pkt)
{
	if (size < KNOT_WIRE_HEADER_SIZE || size > HS_MSG_MAX) {
		return HS_EMSG;
	}
	uint8_t *copy = malloc(size);
	if (copy == NULL) {
		return HS_ENOMEM;
	}
	memcpy(copy, wire, size);
	knot_pkt_t *p = knot_pkt_new(copy, size, NULL);
	if (p == NULL) {
		free(copy);
		return HS_ENOMEM;
	}
	/* knot_pkt_new() does not own COPY; free it with the packet (see pkt_free) */
	if (knot_pkt_parse(p, 0) != KNOT_EOK) {
		knot_pkt_free(p);
		free(copy);
		return HS_EMSG;
	}
	*pkt = p;
	return HS_EOK;
}

static void pkt_free(knot_pkt_t *pkt)
{
	if (pkt != NULL) {
		uint8_t *copy = pkt->wire;
		knot_pkt_free(pkt);
		free(copy);
	}
}

/* The question must be one ZONE SOA IN; copies the name lower-cased. */
static int read_question(const knot_pkt_t *pkt, hs_msg_head_t *h)
{
	if (knot_wire_get_qdcount(pkt->wire) != 1) {
		return HS_EMSG;
	}
	knot_dname_copy_lower(h->zone, knot_pkt_qname(pkt));
	if (knot_pkt_qtype(pkt) != KNOT_RRTYPE_SOA || knot_pkt_qclass(pkt) != KNOT_CLASS_IN) {
		return HS_EMSG;
	}
	return HS_EOK;
}

static int parse_pkt(const uint8_t *wire, const knot_pkt_t *pkt, hs_msg_t *out)
{
	hs_msg_head_t *h = &out->head;
	h->id = knot_wire_get_id(wire);
	h->opcode = knot_wire_get_opcode(wire);
	if (knot_wire_get_qr(wire)) {
		return HS_EMSG;
	}
	if (h->opcode == KNOT_OPCODE_NOTIFY) {
		hs_provsync_t ps;
		int ret = hs_edns_get_provsync(pkt, &ps);
		if (ret == HS_ENOTFOUND) {
			return HS_EAGENTMSG;     /* an ordinary NOTIFY, e.g. from hsyncd */
		}
		if (ret != HS_EOK) {
			return HS_EMSG;
		}
		hs_msg_kind_t kind = op_kind(ps.op);
		if (kind == HS_MSG_NONE) {
			return HS_EAGENTMSG;
		}
		if ((ret = read_question(pkt, h)) != HS_EOK) {
			return ret;
		}
		if (knot_wire_get_ancount(wire) != 0 || knot_wire_get_nscount(wire) != 0) {
			return HS_EMSG;
		}
		if ((ret = check_additional(pkt, true)) != HS_EOK) {
			return ret;
		}
		h->kind = kind;
		h->transport = ps.transport;
		h->sync = ps.sync;
		return HS_EOK;
	}
	if (h->opcode == KNOT_OPCODE_UPDATE) {
		int ret = read_question(pkt, h);
		if (ret != HS_EOK) {
			return ret;
		}
		if (knot_wire_get_ancount(wire) != 0) {
			return HS_EMSG;          /* no prerequisites */
		}
		if ((ret = check_additional(pkt, true)) != HS_EOK) {
			return ret;
		}
		h->kind = HS_MSG_SYNC;
		return parse_sync(pkt, out);
	}
	return HS_EAGENTMSG;
}

int hs_msg_parse(const uint8_t *wire, size_t size, hs_msg_t *out, hs_msg_head_t *seen)
{
	if (out == NULL || (wire == NULL && size > 0)) {
		return HS_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	knot_pkt_t *pkt = NULL;
	int ret = knot_parse(wire, size, &pkt);
	if (ret == HS_EOK) {
		ret = parse_pkt(wire, pkt, out);
	} else if (size >= KNOT_WIRE_HEADER_SIZE) {
		out->head.id = knot_wire_get_id(wire);
		out->head.opcode = knot_wire_get_opcode(wire);
	}
	pkt_free(pkt);
	if (ret == HS_EOK) {
		hs_sig0_info_t info;
		int sret = hs_sig0_parse(wire, size, &info);
		if (sret == HS_EOK) {
			knot_dname_copy_lower(out->head.signer, info.signer);
			out->head.keytag = info.keytag;
			out->head.algorithm = info.algorithm;
			out->head.signed_ = true;
		} else if (sret != HS_ESIG0_NONE) {
			ret = sret;
		}
	}
	if (seen != NULL) {
		*seen = out->head;
	}
	if (ret != HS_EOK) {
		hs_msg_clear(out);
	}
	return ret;
}

/* ---- verification ------------------------------------------------------------ */

int hs_msg_replay_id(const uint8_t *wire, size_t size, uint8_t id[HS_REPLAY_IDLEN])
{
	if (wire == NULL || id == NULL) {
		return HS_EINVAL;
	}
	hs_sig0_info_t info;
	int ret = hs_sig0_parse(wire, size, &info);
	if (ret != HS_EOK) {
		return ret;
	}
	/* SIG RR: owner, type, class, TTL, RDLENGTH, then the RDATA */
	int n = knot_dname_wire_check(wire + info.sig_pos, wire + size, wire);
	if (n <= 0) {
		return HS_EMSG;
	}
	size_t rdata = info.sig_pos + n + 10;
	size_t prefix = 18 + knot_dname_size(info.signer);
	if (rdata + prefix > size) {
		return HS_EMSG;
	}
	if (sodium_init() < 0) {
		return HS_ENOMEM;
	}
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, HS_REPLAY_IDLEN);
	crypto_generichash_update(&st, (const uint8_t *)REPLAY_LABEL, sizeof(REPLAY_LABEL));
	crypto_generichash_update(&st, wire + rdata, prefix);
	crypto_generichash_update(&st, wire, info.sig_pos);
	crypto_generichash_final(&st, id, HS_REPLAY_IDLEN);
	return HS_EOK;
}

typedef struct {
	hs_msg_head_t *head;
	hs_msg_lookup_t lookup;
	void *ctx;
	const hs_key_t *last;
} lookup_ctx_t;

static const hs_key_t *lookup_wrap(const hs_sig0_info_t *info, unsigned idx, void *ctx)
{
	lookup_ctx_t *lc = ctx;
	(void)info;
	lc->last = lc->lookup(lc->head, idx, lc->ctx);
	return lc->last;
}

/* When a copy of the message stops passing the time check (sig0.c's rules). */
static time_t expiry(const hs_sig0_info_t *info, const hs_sig0_opts_t *o, time_t now)
{
	uint32_t window = o->window != 0 ? o->window : HS_SIG0_WINDOW_DEFAULT;
	uint32_t mid = info->inception + (info->expiration - info->inception) / 2;
	uint32_t limit = info->expiration;
	if ((int32_t)((mid + window) - limit) < 0) {
		limit = mid + window;
	}
	int32_t delta = (int32_t)(limit - (uint32_t)now);
	return now + (time_t)delta + (time_t)o->skew + 1;
}

int hs_msg_receive(const uint8_t *wire, size_t size, const hs_msg_verify_opts_t *vo,
                   hs_msg_t *out, hs_msg_head_t *seen)
{
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (seen != NULL) {
		memset(seen, 0, sizeof(*seen));
	}
	if (out == NULL || vo == NULL || vo->lookup == NULL || vo->replay == NULL) {
		return HS_EINVAL;
	}
	int ret = hs_msg_parse(wire, size, out, seen);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_sig0_opts_t so = vo->sig0;
	if (so.now == 0) {
		so.now = time(NULL);
	}
	hs_sig0_info_t info;
	lookup_ctx_t lc = { .head = &out->head, .lookup = vo->lookup, .ctx = vo->ctx };
	ret = hs_sig0_verify_with(wire, size, NULL, 0, lookup_wrap, &lc, &so, &info);
	if (ret == HS_EOK) {
		ret = hs_msg_replay_id(wire, size, out->replay_id);
	}
	if (ret == HS_EOK) {
		out->expires = expiry(&info, &so, so.now);
		ret = hs_replay_add(vo->replay, out->replay_id, out->expires, so.now);
	}
	if (ret != HS_EOK) {
		hs_msg_clear(out);
		return ret;
	}
	out->key = lc.last;
	return HS_EOK;
}

uint8_t hs_msg_rcode(int err)
{
	switch (err) {
	case HS_EOK:
		return KNOT_RCODE_NOERROR;
	case HS_EMSG:
	case HS_ESIG0_MULTI:
	case HS_ESIG0_TSIG:
	case HS_ESIG0_NOTLAST:
	case HS_ESIG0_FORMAT:
		return KNOT_RCODE_FORMERR;
	case HS_EAGENTMSG:
		return KNOT_RCODE_NOTIMPL;
	case HS_ESIG0_NONE:
	case HS_EREPLAY:
	case HS_EREPLAY_FULL:
		return KNOT_RCODE_REFUSED;
	case HS_ESIG0_ALG:
	case HS_ESIG0_SIGNER:
	case HS_ESIG0_KEYTAG:
	case HS_ESIG0_BADSIG:
	case HS_ESIG0_EARLY:
	case HS_ESIG0_EXPIRED:
	case HS_ESIG0_REQUEST:
		return KNOT_RCODE_NOTAUTH;
	default:
		return KNOT_RCODE_SERVFAIL;
	}
}

/* ---- responses -------------------------------------------------------------- */

int hs_msg_respond(const uint8_t *req, size_t req_size, uint8_t rcode,
                   const hs_msg_opts_t *opts, uint8_t *out, size_t max, size_t *size)
{
	hs_msg_opts_t defaults = { 0 };
	const hs_msg_opts_t *o = opts != NULL ? opts : &defaults;
	if (req == NULL || out == NULL || size == NULL || rcode > 15) {
		return HS_EINVAL;
	}
	if (req_size < KNOT_WIRE_HEADER_SIZE || req_size > HS_MSG_MAX || knot_wire_get_qr(req)) {
		return HS_EMSG;
	}
	if (max > HS_MSG_MAX) {
		max = HS_MSG_MAX;
	}
	uint8_t opcode = knot_wire_get_opcode(req);
	knot_pkt_t *pkt = NULL;
	bool parsed = knot_parse(req, req_size, &pkt) == HS_EOK;
	const knot_dname_t *qname = NULL;
	bool has_opt = false, echo = false;
	hs_provsync_t ps = { 0 };
	if (parsed && knot_wire_get_qdcount(req) == 1) {
		qname = knot_pkt_wire_qname(pkt);     /* as sent, case kept */
	}
	if (parsed && pkt->opt_rr != NULL) {
		has_opt = true;
		if (rcode == KNOT_RCODE_NOERROR && opcode == KNOT_OPCODE_NOTIFY &&
		    hs_edns_get_provsync(pkt, &ps) == HS_EOK && op_kind(ps.op) != HS_MSG_NONE) {
			echo = true;
			ps.transport = o->transport != 0 ? o->transport : HS_PS_TRANSPORT_DNS;
			ps.sync = o->sync;
			ps.body = NULL;
			ps.body_len = 0;
		}
	}
	wbuf_t w = { .p = out, .cap = max };
	uint8_t f1 = KNOT_WIRE_QR_MASK | (opcode << 3);
	if (opcode == KNOT_OPCODE_NOTIFY) {
		f1 |= KNOT_WIRE_AA_MASK;
	}
	put_header(&w, knot_wire_get_id(req), f1, rcode, qname != NULL ? 1 : 0, 0, 0,
	           has_opt ? 1 : 0);
	if (qname != NULL) {
		put(&w, qname, knot_dname_size(qname));
		put16(&w, knot_pkt_qtype(pkt));
		put16(&w, knot_pkt_qclass(pkt));
	}
	if (has_opt) {
		put_opt(&w, echo ? &ps : NULL);
	}
	pkt_free(pkt);
	if (w.err != HS_EOK) {
		return w.err;
	}
	return finish(o, out, w.len, max, req, req_size, size);
}

int hs_msg_verify_response(const uint8_t *resp, size_t resp_size, const uint8_t *req,
                           size_t req_size, const hs_key_t *key,
                           const hs_sig0_opts_t *opts, hs_msg_resp_t *out)
{
	if (resp == NULL || req == NULL || key == NULL || out == NULL) {
		return HS_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	hs_msg_t rq;
	int ret = hs_msg_parse(req, req_size, &rq, NULL);
	if (ret != HS_EOK) {
		return HS_EINVAL;        /* not one of our requests */
	}
	hs_msg_kind_t kind = rq.head.kind;
	hs_msg_clear(&rq);

	knot_pkt_t *pkt = NULL;
	ret = knot_parse(resp, resp_size, &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = hs_sig0_verify(resp, resp_size, req, req_size, key, opts, NULL);
	if (ret == HS_EOK) {
		/* same opcode and question */
		knot_pkt_t *qp = NULL;
		ret = knot_parse(req, req_size, &qp);
		if (ret == HS_EOK &&
		    (knot_wire_get_opcode(resp) != knot_wire_get_opcode(req) ||
		     knot_wire_get_qdcount(resp) != 1 ||
		     !knot_dname_is_case_equal(knot_pkt_qname(pkt), knot_pkt_qname(qp)) ||
		     knot_pkt_qtype(pkt) != knot_pkt_qtype(qp) ||
		     knot_pkt_qclass(pkt) != knot_pkt_qclass(qp))) {
			ret = HS_EMSG;
		}
		pkt_free(qp);
	}
	if (ret == HS_EOK) {
		out->rcode = knot_wire_get_rcode(resp);
		out->kind = kind;
		hs_provsync_t ps;
		int pret = hs_edns_get_provsync(pkt, &ps);
		if (pret == HS_EOK) {
			out->has_ps = true;
			out->transport = ps.transport;
			out->sync = ps.sync;
			if (ps.op != kind_op(kind)) {
				ret = HS_EMSG;
			}
		} else if (pret != HS_ENOTFOUND) {
			ret = HS_EMSG;
		} else if (out->rcode == KNOT_RCODE_NOERROR && kind != HS_MSG_SYNC) {
			ret = HS_EMSG;       /* "introduced" needs the option back */
		}
	}
	pkt_free(pkt);
	if (ret != HS_EOK) {
		memset(out, 0, sizeof(*out));
	}
	return ret;
}
