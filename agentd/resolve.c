/*
 * agentd/resolve.c -- validated answers from a resolver (see resolve.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/resolve.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "libhsync/why.h"
#include "libhsync/pkt.h"

int hs_resolve_query_new(const knot_dname_t *qname, uint16_t qtype, knot_pkt_t **out)
{
	if (qname == NULL || out == NULL) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_query_new(qname, qtype, &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_wire_set_rd(pkt->wire);
	knot_wire_set_ad(pkt->wire);
	knot_rrset_t opt;
	ret = hs_pkt_opt_begin(pkt, HS_RESOLVE_EDNS_SIZE, &opt);
	if (ret == KNOT_EOK) {
		knot_edns_set_do(&opt);
	}
	ret = hs_pkt_opt_end(pkt, &opt, ret);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}

int hs_resolve_answer(const knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype,
                      knot_rrset_t *out)
{
	if (out != NULL) {
		knot_rrset_init_empty(out);
	}
	if (pkt == NULL || qname == NULL || out == NULL) {
		return HS_EINVAL;
	}
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	const knot_dname_t *name = qname;
	for (int hop = 0; hop <= HS_RESOLVE_MAX_CNAME; hop++) {
		const knot_rrset_t *cname = NULL;
		for (uint16_t i = 0; i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->rclass != KNOT_CLASS_IN || !knot_dname_is_case_equal(rr->owner, name)) {
				continue;
			}
			if (rr->type == qtype && rr->rrs.count > 0) {
				if (out->owner == NULL) {
					knot_rrset_init(out, (knot_dname_t *)rr->owner, qtype, rr->rclass,
					                rr->ttl);
				}
				if (knot_rdataset_merge(&out->rrs, &rr->rrs, NULL) != KNOT_EOK) {
					knot_rdataset_clear(&out->rrs, NULL);
					knot_rrset_init_empty(out);
					return HS_ENOMEM;
				}
			}
			if (rr->type == KNOT_RRTYPE_CNAME && rr->rrs.count > 0 && cname == NULL) {
				cname = rr;
			}
		}
		if (out->rrs.count > 0) {
			return HS_EOK;
		}
		if (cname == NULL) {
			return HS_ENOTFOUND;
		}
		name = knot_cname_name(cname->rrs.rdata);
	}
	return HS_ENOTFOUND;
}

static const char *rcode_name(uint8_t rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "unknown RCODE";
}

/* The checks of hs_resolve_check() on the parsed packet. */
static int check_parsed(const knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype,
                        const char *resolver, knot_rrset_t *answer, char *reason, size_t cap)
{
	if (knot_wire_get_qdcount(pkt->wire) != 1 || knot_pkt_qtype(pkt) != qtype ||
	    knot_pkt_qclass(pkt) != KNOT_CLASS_IN ||
	    !knot_dname_is_case_equal(knot_pkt_qname(pkt), qname)) {
		char q[KNOT_DNAME_TXT_MAXLEN + 1] = "(none)";
		if (knot_wire_get_qdcount(pkt->wire) == 1) {
			hs_dname_text(knot_pkt_qname(pkt), q, sizeof(q));
		}
		return hs_why(reason, cap, HS_EDISC_MISMATCH,
		              "answer from resolver %s is for another question (%s type %u)",
		              resolver, q, knot_pkt_qtype(pkt));
	}
	if (knot_wire_get_tc(pkt->wire)) {
		return hs_why(reason, cap, HS_ETRUNC,
		              "truncated answer (TC) from resolver %s; retry over TCP", resolver);
	}
	uint8_t rcode = knot_wire_get_rcode(pkt->wire);
	if (rcode != KNOT_RCODE_NOERROR && rcode != KNOT_RCODE_NXDOMAIN) {
		return hs_why(reason, cap, HS_EDISC_RCODE, "resolver %s answered %s%s", resolver,
		              rcode_name(rcode),
		              rcode == KNOT_RCODE_SERVFAIL ? " (DNSSEC validation failed, or server trouble)" : "");
	}
	if (!knot_wire_get_ad(pkt->wire)) {
		return hs_why(reason, cap, HS_EDISC_NOAD, "no AD bit from resolver %s", resolver);
	}
	if (rcode == KNOT_RCODE_NXDOMAIN) {
		return hs_why(reason, cap, HS_EDISC_NXDOMAIN, "NXDOMAIN (validated) from resolver %s",
		              resolver);
	}
	knot_rrset_t all;
	int ret = hs_resolve_answer(pkt, qname, qtype, &all);
	if (ret == HS_ENOTFOUND) {
		char t[32];
		return hs_why(reason, cap, HS_EDISC_NODATA,
		              "no %s record (NODATA, validated) from resolver %s",
		              hs_rrtype_text(qtype, t, sizeof(t)), resolver);
	}
	if (ret != HS_EOK) {
		return ret;
	}
	if (answer != NULL) {
		*answer = all;
	} else {
		knot_rdataset_clear(&all.rrs, NULL);
	}
	return HS_EOK;
}

int hs_resolve_check(uint16_t qid, const knot_dname_t *qname, uint16_t qtype,
                     const uint8_t *wire, size_t len, const char *resolver,
                     knot_pkt_t **pkt, knot_rrset_t *answer, char *reason, size_t cap)
{
	if (pkt != NULL) {
		*pkt = NULL;
	}
	if (answer != NULL) {
		knot_rrset_init_empty(answer);
	}
	if (qname == NULL || wire == NULL || pkt == NULL) {
		return HS_EINVAL;
	}
	if (resolver == NULL) {
		resolver = "resolver";
	}
	if (len < KNOT_WIRE_HEADER_SIZE) {
		return hs_why(reason, cap, HS_EDISC_MISMATCH,
		              "answer too short (%zu bytes) from resolver %s", len, resolver);
	}
	if (knot_wire_get_id(wire) != qid) {
		return hs_why(reason, cap, HS_EDISC_MISMATCH,
		              "answer ID %u is not query ID %u from resolver %s",
		              knot_wire_get_id(wire), qid, resolver);
	}
	if (!knot_wire_get_qr(wire) || knot_wire_get_opcode(wire) != KNOT_OPCODE_QUERY) {
		return hs_why(reason, cap, HS_EDISC_MISMATCH, "not a QUERY response from resolver %s",
		              resolver);
	}
	knot_pkt_t *p = NULL;
	int ret = hs_pkt_parse_copy(wire, len, 0, &p);
	if (ret == HS_ENOMEM) {
		return ret;
	}
	if (ret != HS_EOK) {
		return hs_why(reason, cap, HS_EDISC_MISMATCH, "malformed answer from resolver %s (%s)",
		              resolver, hs_strerror(ret));
	}
	ret = check_parsed(p, qname, qtype, resolver, answer, reason, cap);
	if (ret == HS_EOK || ret == HS_EDISC_NXDOMAIN || ret == HS_EDISC_NODATA) {
		*pkt = p;
	} else {
		knot_pkt_free(p);
	}
	return ret;
}
