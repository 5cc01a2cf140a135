/*
 * hsyncd/answer.c -- hsyncd as a server: answers to queries for the apex
 * RRsets it holds, and the acceptance rules for NOTIFY (hsyncd.h).
 */
#include <string.h>

#include <libknot/libknot.h>

#include "hsyncd/hsyncd.h"
#include "libhsync/error.h"

#define UDP_PLAIN 512
#define UDP_EDNS  1232

/* Same address, port ignored (a NOTIFY comes from any port). */
static bool same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family) {
		return false;
	}
	if (a->sa_family == AF_INET) {
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	}
	return false;
}

/* Header-only answer (FORMERR for a message that does not parse). */
static void bare(const uint8_t *q, uint8_t *out, size_t *outlen, uint16_t rcode)
{
	memset(out, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(out, knot_wire_get_id(q));
	knot_wire_set_opcode(out, knot_wire_get_opcode(q));
	knot_wire_set_qr(out);
	knot_wire_set_rcode(out, rcode);
	*outlen = KNOT_WIRE_HEADER_SIZE;
}

/* Put rr (and its RRSIGs if dnssec); on KNOT_ESPACE the TC bit is set. */
static int put(knot_pkt_t *resp, const hs_apex_t *apex, uint16_t type, bool dnssec)
{
	knot_rrset_t rr, sig;
	if (hs_apex_rrset(apex, type, &rr) != 0) {
		return HS_ENOTFOUND;
	}
	int ret = knot_pkt_put(resp, KNOT_COMPR_HINT_QNAME, &rr, 0);
	if (ret == 0 && dnssec && hs_apex_rrsig(apex, type, &sig) == 0) {
		ret = knot_pkt_put(resp, KNOT_COMPR_HINT_QNAME, &sig, 0);
	}
	return ret;
}

static int answer_query(const knot_pkt_t *query, knot_pkt_t *resp, hsd_lookup_f lookup,
                        void *ctx, bool dnssec, hsd_ans_info_t *info)
{
	uint16_t qtype = knot_pkt_qtype(query);
	if (knot_pkt_qclass(query) != KNOT_CLASS_IN || qtype == KNOT_RRTYPE_AXFR ||
	    qtype == KNOT_RRTYPE_IXFR) {
		return KNOT_RCODE_REFUSED;
	}
	const hsd_zone_cfg_t *zc = NULL;
	const hs_apex_t *apex = lookup(knot_pkt_qname(query), &zc, ctx);
	if (zc == NULL) {
		return KNOT_RCODE_REFUSED;
	}
	if (apex == NULL) {
		return KNOT_RCODE_SERVFAIL;
	}
	knot_wire_set_aa(resp->wire);
	int ret = 0;
	if (qtype == KNOT_RRTYPE_ANY) {
		for (int s = 0; s < HS_APEX_NSLOTS && ret == 0; s++) {
			ret = put(resp, apex, hs_apex_slot_type(s), dnssec);
			if (ret == HS_ENOTFOUND) {
				ret = 0;
			}
		}
		return ret == KNOT_ESPACE || ret == 0 ? KNOT_RCODE_NOERROR : KNOT_RCODE_SERVFAIL;
	}
	if (hs_apex_slot(qtype) < 0) {
		/* not a type we keep: we do not know the answer */
		knot_wire_clear_aa(resp->wire);
		return KNOT_RCODE_REFUSED;
	}
	ret = put(resp, apex, qtype, dnssec);
	if (ret == HS_ENOTFOUND) {
		/* NODATA: the SOA in the authority section */
		ret = knot_pkt_begin(resp, KNOT_AUTHORITY);
		if (ret == 0) {
			ret = put(resp, apex, KNOT_RRTYPE_SOA, dnssec);
		}
	}
	(void)info;
	return ret == KNOT_ESPACE || ret == 0 ? KNOT_RCODE_NOERROR : KNOT_RCODE_SERVFAIL;
}

static uint16_t answer_notify(hsd_lookup_f lookup, void *ctx, const knot_pkt_t *query,
                              const struct sockaddr *peer, hs_tsig_ctx_t *tctx,
                              bool *sign, hsd_ans_info_t *info)
{
	const hsd_zone_cfg_t *z = NULL;
	(void)lookup(knot_pkt_qname(query), &z, ctx);
	if (z == NULL || knot_pkt_qclass(query) != KNOT_CLASS_IN) {
		info->kind = HSD_ANS_NOTIFY_REFUSED;
		return KNOT_RCODE_REFUSED;
	}
	info->zone = z;
	if (!same_host(peer, (const struct sockaddr *)&z->source.addr)) {
		info->kind = HSD_ANS_NOTIFY_PEER;
		return KNOT_RCODE_REFUSED;
	}
	if (z->source.key != NULL) {
		hs_tsig_keys_t one = { .keys = (knot_tsig_key_t *)z->source.key, .count = 1 };
		int ret = hs_tsig_check_query(query, &one, tctx);
		if (ret != 0) {
			info->kind = HSD_ANS_NOTIFY_TSIG;
			info->code = ret;
			*sign = ret != HS_ETSIG_NONE;
			return KNOT_RCODE_NOTAUTH;
		}
		*sign = true;
	}
	info->kind = HSD_ANS_NOTIFY;
	return KNOT_RCODE_NOERROR;
}

int hsd_answer(hsd_lookup_f lookup, void *ctx, const hs_tsig_keys_t *keys, size_t nkeys,
               const struct sockaddr *peer, bool tcp,
               const uint8_t *q, size_t qlen, uint8_t *out, size_t *outlen, size_t cap,
               hsd_ans_info_t *info)
{
	if (lookup == NULL || peer == NULL || q == NULL || out == NULL ||
	    outlen == NULL || info == NULL || cap < UDP_PLAIN || cap > UINT16_MAX) {
		return HS_EINVAL;
	}
	memset(info, 0, sizeof(*info));
	*outlen = 0;
	if (qlen < KNOT_WIRE_HEADER_SIZE || qlen > UINT16_MAX || knot_wire_get_qr(q)) {
		info->kind = HSD_ANS_DROP;
		return 0;
	}
	knot_pkt_t *query = knot_pkt_new(NULL, (uint16_t)qlen, NULL);
	if (query == NULL) {
		return HS_ENOMEM;
	}
	memcpy(query->wire, q, qlen);
	query->size = qlen;
	int ret = knot_pkt_parse(query, 0);
	if (ret != KNOT_EOK || knot_wire_get_qdcount(q) != 1) {
		knot_pkt_free(query);
		info->kind = HSD_ANS_FORMERR;
		info->code = ret != KNOT_EOK ? ret : HS_EMSG;
		info->rcode = KNOT_RCODE_FORMERR;
		bare(q, out, outlen, KNOT_RCODE_FORMERR);
		return 0;
	}
	info->qtype = knot_pkt_qtype(query);
	if (knot_dname_to_str(info->qname, knot_pkt_qname(query), sizeof(info->qname)) == NULL) {
		strcpy(info->qname, "?");
	}

	size_t limit = cap;
	bool dnssec = false;
	if (!tcp) {
		limit = UDP_PLAIN;
		if (query->opt_rr != NULL) {
			uint16_t pl = knot_edns_get_payload(query->opt_rr);
			limit = pl > UDP_EDNS ? UDP_EDNS : pl < UDP_PLAIN ? UDP_PLAIN : pl;
		}
		if (limit > cap) {
			limit = cap;
		}
	}
	if (query->opt_rr != NULL) {
		dnssec = knot_edns_do(query->opt_rr);
	}
	knot_pkt_t *resp = knot_pkt_new(out, (uint16_t)limit, NULL);
	if (resp == NULL) {
		knot_pkt_free(query);
		return HS_ENOMEM;
	}
	ret = knot_pkt_init_response(resp, query);
	if (ret != KNOT_EOK) {
		goto fail;
	}
	knot_rrset_t opt;
	bool has_opt = false;
	if (query->opt_rr != NULL) {
		ret = knot_edns_init(&opt, UDP_EDNS, 0, KNOT_EDNS_VERSION, NULL);
		if (ret != KNOT_EOK) {
			goto fail;
		}
		if (dnssec) {
			knot_edns_set_do(&opt);
		}
		has_opt = true;
		knot_pkt_reserve(resp, (uint16_t)knot_edns_wire_size(&opt));
	}

	uint16_t rcode;
	hs_tsig_ctx_t tctx;
	memset(&tctx, 0, sizeof(tctx));
	bool sign = false, reserved = false;
	switch (knot_wire_get_opcode(q)) {
	case KNOT_OPCODE_QUERY:
		info->kind = HSD_ANS_QUERY;
		if (query->tsig_rr != NULL) {
			/* a signed query: a key of any key file, and a signed answer */
			static const hs_tsig_keys_t none = { NULL, 0 };
			int tr = hs_tsig_check_query(query, &none, &tctx);
			for (size_t i = 0; i < nkeys && tr == KNOT_TSIG_EBADKEY; i++) {
				tr = hs_tsig_check_query(query, &keys[i], &tctx);
			}
			sign = true;
			if (tr != 0) {
				info->code = tr;
				rcode = KNOT_RCODE_NOTAUTH;
				break;
			}
			reserved = hs_tsig_reserve(resp, tctx.key) == 0;
		}
		rcode = (uint16_t)answer_query(query, resp, lookup, ctx, dnssec, info);
		break;
	case KNOT_OPCODE_NOTIFY:
		rcode = answer_notify(lookup, ctx, query, peer, &tctx, &sign, info);
		knot_wire_set_aa(resp->wire);
		break;
	default:
		info->kind = HSD_ANS_QUERY;
		rcode = KNOT_RCODE_NOTIMPL;
		break;
	}
	info->rcode = rcode;
	if (rcode != KNOT_RCODE_NOERROR) {
		/* no partial data with an error */
		knot_pkt_clear(resp);
		reserved = false;
		ret = knot_pkt_init_response(resp, query);
		if (ret != KNOT_EOK) {
			goto fail_opt;
		}
		if (has_opt) {
			knot_pkt_reserve(resp, (uint16_t)knot_edns_wire_size(&opt));
		}
		if (knot_wire_get_opcode(q) == KNOT_OPCODE_NOTIFY) {
			knot_wire_set_aa(resp->wire);
		}
		knot_wire_set_rcode(resp->wire, rcode);
	}
	if (sign && !reserved && tctx.key != NULL) {
		(void)hs_tsig_reserve(resp, tctx.key);
	}
	if (has_opt) {
		knot_pkt_reclaim(resp, (uint16_t)knot_edns_wire_size(&opt));
		ret = knot_pkt_begin(resp, KNOT_ADDITIONAL);
		if (ret == 0) {
			ret = knot_pkt_put(resp, 0, &opt, 0);
		}
		if (ret != 0) {
			goto fail_opt;
		}
	}
	if (sign) {
		ret = hs_tsig_sign_response(resp, &tctx);
		if (ret != 0) {
			goto fail_opt;
		}
	}
	*outlen = resp->size;
	if (has_opt) {
		knot_rrset_clear(&opt, NULL);
	}
	knot_pkt_free(resp);
	knot_pkt_free(query);
	return 0;
fail_opt:
	if (has_opt) {
		knot_rrset_clear(&opt, NULL);
	}
fail:
	knot_pkt_free(resp);
	info->rcode = KNOT_RCODE_SERVFAIL;
	bare(q, out, outlen, KNOT_RCODE_SERVFAIL);
	knot_pkt_free(query);
	return 0;
}
