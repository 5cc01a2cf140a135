/*
 * common/xfr.c -- SOA, AXFR/IXFR and NOTIFY queries and the checks of
 * their answers. Serving a zone is in xfrout.c, following one in xfrin.c.
 * See xfr.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include <libdnssec/random.h>

#include "common/xfr.h"
#include "common/xfrint.h"
#include "libhsync/error.h"

/* ---- small helpers ---------------------------------------------------------- */

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
int hs_xfr_check_header(const knot_pkt_t *resp, const knot_pkt_t *query, bool need_question)
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
	ret = hs_xfr_check_header(pkt, query, false);
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
