/*
 * hsyncd/proto.c -- the messages hsyncd sends as a client (SOA, IXFR and
 * AXFR queries, NOTIFY) and the checks of their answers (hsyncd.h). Small
 * on purpose: the transfer itself is followed by hs_apex_xfr_* (apex.h),
 * which keeps only the apex.
 */
#include <string.h>

#include <libdnssec/random.h>
#include <libknot/libknot.h>

#include "hsyncd/hsyncd.h"
#include "libhsync/error.h"
#include "libhsync/pkt.h"

int hsd_msg_query(uint8_t *wire, size_t *len, size_t cap, const knot_dname_t *zone,
                  uint16_t qtype, bool notify, const knot_rrset_t *soa,
                  const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx)
{
	if (wire == NULL || len == NULL || cap < 512 || cap > UINT16_MAX || zone == NULL ||
	    (qtype == KNOT_RRTYPE_IXFR && soa == NULL) || (key != NULL && ctx == NULL)) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = knot_pkt_new(wire, (uint16_t)cap, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	knot_pkt_clear(pkt);   /* over given memory, knot_pkt_new() takes it as a message to parse */
	knot_wire_set_id(pkt->wire, dnssec_random_uint16_t());
	if (notify) {
		knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_NOTIFY);
		knot_wire_set_aa(pkt->wire);
	}
	int ret = 0;
	if (key != NULL) {
		ret = hs_tsig_reserve(pkt, key);
	}
	if (ret == 0) {
		ret = knot_pkt_put_question(pkt, zone, KNOT_CLASS_IN, qtype);
	}
	if (ret == 0 && soa != NULL && (notify || qtype == KNOT_RRTYPE_IXFR)) {
		ret = knot_pkt_begin(pkt, notify ? KNOT_ANSWER : KNOT_AUTHORITY);
		if (ret == 0) {
			ret = knot_pkt_put(pkt, 0, soa, 0);
		}
	}
	if (ret == 0 && key != NULL) {
		ret = hs_tsig_sign_query(pkt, key, ctx);
	}
	if (ret == 0) {
		*len = pkt->size;
	}
	knot_pkt_free(pkt);
	return ret;
}

int hsd_msg_check(const uint8_t *q, size_t qlen, const uint8_t *wire, size_t len,
                  hs_tsig_ctx_t *ctx, bool tc_ok, uint16_t *rcode, knot_pkt_t **out)
{
	if (q == NULL || wire == NULL || qlen < KNOT_WIRE_HEADER_SIZE) {
		return HS_EINVAL;
	}
	if (len < KNOT_WIRE_HEADER_SIZE || len > UINT16_MAX ||
	    knot_wire_get_id(wire) != knot_wire_get_id(q) || !knot_wire_get_qr(wire) ||
	    knot_wire_get_opcode(wire) != knot_wire_get_opcode(q) ||
	    (knot_wire_get_tc(wire) && !tc_ok)) {
		return HS_EMSG;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_parse_copy(wire, len, 0, &pkt);
	if (ret != HS_EOK) {
		return ret == HS_ENOMEM ? ret : HS_EMSG;
	}
	/* The question, when the answer has one (later messages of a transfer may not). */
	if (knot_wire_get_qdcount(wire) > 0) {
		const uint8_t *qq = q + KNOT_WIRE_HEADER_SIZE;
		int qn = knot_dname_wire_check(qq, q + qlen, NULL);
		if (qn <= 0 || (size_t)qn + 4 + KNOT_WIRE_HEADER_SIZE > qlen ||
		    knot_wire_get_qdcount(wire) != 1 ||
		    !knot_dname_is_case_equal(qq, knot_pkt_qname(pkt)) ||
		    knot_wire_read_u16(qq + qn) != knot_pkt_qtype(pkt) ||
		    knot_wire_read_u16(qq + qn + 2) != knot_pkt_qclass(pkt)) {
			knot_pkt_free(pkt);
			return HS_EMSG;
		}
	}
	uint16_t rc = knot_pkt_ext_rcode(pkt);
	if (rcode != NULL) {
		*rcode = rc;
	}
	if (ctx != NULL && ctx->key != NULL) {
		ret = hs_tsig_check_response(pkt, ctx);
		if (ret != 0) {
			knot_pkt_free(pkt);
			return ret;
		}
	}
	if (rc != KNOT_RCODE_NOERROR) {
		knot_pkt_free(pkt);
		return HS_EXFR_RCODE;
	}
	if (out != NULL) {
		*out = pkt;
	} else {
		knot_pkt_free(pkt);
	}
	return 0;
}

int hsd_msg_soa_serial(const knot_pkt_t *pkt, const knot_dname_t *zone, uint32_t *serial)
{
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type == KNOT_RRTYPE_SOA && rr->rrs.count > 0 &&
		    knot_dname_is_case_equal(rr->owner, zone)) {
			*serial = knot_soa_serial(rr->rrs.rdata);
			return 0;
		}
	}
	return HS_ENOTFOUND;
}

int hsd_msg_xfr_feed(hs_apex_xfr_t *x, const knot_pkt_t *pkt)
{
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		int ret = hs_apex_xfr_feed(x, knot_pkt_rr(an, i));
		if (ret != 0) {
			return ret;
		}
	}
	return 0;
}

bool hsd_msg_soa_timers(const hs_apex_t *a, uint32_t *refresh, uint32_t *retry)
{
	knot_rrset_t soa;
	if (a == NULL || hs_apex_rrset(a, KNOT_RRTYPE_SOA, &soa) != 0 || soa.rrs.count == 0) {
		return false;
	}
	*refresh = knot_soa_refresh(soa.rrs.rdata);
	*retry = knot_soa_retry(soa.rrs.rdata);
	return true;
}

unsigned hsd_msg_notify_backoff(unsigned attempt)
{
	return attempt >= 6 ? 60 : 1u << attempt;
}
