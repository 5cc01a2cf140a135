/*
 * agentd/pns.c -- the parent zone out of a DS answer, the delegation NS out
 * of a referral, addresses out of A/AAAA answers. See agentd/pns.h.
 */
#include <string.h>

#include <netinet/in.h>

#include <libknot/libknot.h>

#include "agentd/pns.h"
#include "agentd/resolve.h"
#include "libhsync/error.h"

const char *hs_pns_kind_name(hs_pns_kind_t kind)
{
	switch (kind) {
	case HS_PNS_REFERRAL:
		return "referral";
	case HS_PNS_ANSWER:
		return "answer";
	case HS_PNS_NONE:
		return "no delegation";
	}
	return "?";
}

/* NAME, lower case, into PARENT if it is a proper ancestor of ZONE. */
static bool take_parent(const knot_dname_t *name, const knot_dname_t *zone, knot_dname_t *parent)
{
	if (knot_dname_in_bailiwick(zone, name) <= 0) {
		return false;
	}
	knot_dname_copy_lower(parent, name);
	return true;
}

int hs_pns_parent_zone(const knot_pkt_t *pkt, const knot_dname_t *zone, knot_dname_t *parent)
{
	if (pkt == NULL || zone == NULL || parent == NULL) {
		return HS_EINVAL;
	}
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != KNOT_RRTYPE_RRSIG || !knot_dname_is_case_equal(rr->owner, zone)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
			if (rd->len > 18 && knot_rrsig_type_covered(rd) == KNOT_RRTYPE_DS &&
			    take_parent(knot_rrsig_signer_name(rd), zone, parent)) {
				return HS_EOK;
			}
		}
	}
	const knot_pktsection_t *au = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < au->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(au, i);
		if (rr->type == KNOT_RRTYPE_SOA && take_parent(rr->owner, zone, parent)) {
			return HS_EOK;
		}
	}
	return HS_ENOTFOUND;
}

/* The NS records owned by ZONE in section SEC gathered into one NEW RRset, or NULL. */
static int ns_of(const knot_pkt_t *pkt, knot_section_t sec, const knot_dname_t *zone,
                 knot_rrset_t **out)
{
	*out = NULL;
	const knot_pktsection_t *s = knot_pkt_section(pkt, sec);
	for (uint16_t i = 0; i < s->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(s, i);
		if (rr->type != KNOT_RRTYPE_NS || rr->rclass != KNOT_CLASS_IN ||
		    !knot_dname_is_case_equal(rr->owner, zone) || rr->rrs.count == 0) {
			continue;
		}
		if (*out == NULL) {
			*out = knot_rrset_new(zone, KNOT_RRTYPE_NS, KNOT_CLASS_IN, rr->ttl, NULL);
			if (*out == NULL) {
				return HS_ENOMEM;
			}
			knot_dname_to_lower((*out)->owner);
		}
		if ((*out)->ttl > rr->ttl) {
			(*out)->ttl = rr->ttl;
		}
		if (knot_rdataset_merge(&(*out)->rrs, &rr->rrs, NULL) != KNOT_EOK) {
			knot_rrset_free(*out, NULL);
			*out = NULL;
			return HS_ENOMEM;
		}
	}
	return HS_EOK;
}

int hs_pns_referral(const knot_pkt_t *pkt, const knot_dname_t *zone, knot_rrset_t **out,
                    hs_pns_kind_t *kind)
{
	if (out != NULL) {
		*out = NULL;
	}
	if (pkt == NULL || zone == NULL || out == NULL || kind == NULL || pkt->size < KNOT_WIRE_HEADER_SIZE) {
		return HS_EINVAL;
	}
	uint8_t rcode = knot_wire_get_rcode(pkt->wire);
	bool aa = knot_wire_get_aa(pkt->wire);
	if (rcode == KNOT_RCODE_NXDOMAIN && aa) {
		*kind = HS_PNS_NONE;
		return HS_EOK;
	}
	if (rcode != KNOT_RCODE_NOERROR) {
		return HS_ENOTFOUND;
	}
	int ret = ns_of(pkt, KNOT_AUTHORITY, zone, out);
	if (ret != HS_EOK || *out != NULL) {
		*kind = HS_PNS_REFERRAL;
		return ret;
	}
	ret = ns_of(pkt, KNOT_ANSWER, zone, out);
	if (ret != HS_EOK || *out != NULL) {
		*kind = HS_PNS_ANSWER;
		return ret;
	}
	if (aa) {
		*kind = HS_PNS_NONE;
		return HS_EOK;
	}
	return HS_ENOTFOUND;
}

int hs_pns_addrs(const knot_pkt_t *pkt, const knot_dname_t *name, uint16_t qtype, uint16_t port,
                 struct sockaddr_storage *ss, size_t max, size_t *n)
{
	if (pkt == NULL || name == NULL || ss == NULL || n == NULL ||
	    (qtype != KNOT_RRTYPE_A && qtype != KNOT_RRTYPE_AAAA)) {
		return HS_EINVAL;
	}
	knot_rrset_t rr;
	int ret = hs_resolve_answer(pkt, name, qtype, &rr);
	if (ret != HS_EOK) {
		return ret;
	}
	size_t before = *n;
	knot_rdata_t *rd = rr.rrs.rdata;
	for (uint16_t i = 0; i < rr.rrs.count && *n < max; i++, rd = knot_rdataset_next(rd)) {
		struct sockaddr_storage *s = &ss[*n];
		memset(s, 0, sizeof(*s));
		if (qtype == KNOT_RRTYPE_A && rd->len == 4) {
			struct sockaddr_in *a = (struct sockaddr_in *)s;
			a->sin_family = AF_INET;
			a->sin_port = htons(port);
			memcpy(&a->sin_addr, rd->data, 4);
			(*n)++;
		} else if (qtype == KNOT_RRTYPE_AAAA && rd->len == 16) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)s;
			a->sin6_family = AF_INET6;
			a->sin6_port = htons(port);
			memcpy(&a->sin6_addr, rd->data, 16);
			(*n)++;
		}
	}
	knot_rdataset_clear(&rr.rrs, NULL);
	return *n > before ? HS_EOK : HS_ENOTFOUND;
}
