/*
 * agentd/syncplan.c -- what the combiner must carry for one zone: the
 * merge of the parts into a plan, the UPDATE that asks combinerd for it
 * (the caller signs it with TSIG) and the confirmation. See sync.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/sync.h"
#include "agentd/syncint.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

void hs_sync_plan_clear(hs_sync_plan_t *plan)
{
	if (plan == NULL) {
		return;
	}
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rrset_free(plan->want[i], NULL);
	}
	memset(plan, 0, sizeof(*plan));
}

/* Merge SRC into *DST (created as the zone's TYPE); TTL becomes the largest. */
static int merge_into(hs_sync_t *s, knot_rrset_t **dst, uint16_t type, const knot_rrset_t *src)
{
	if (rrset_empty(src)) {
		return HS_EOK;
	}
	if (*dst == NULL) {
		*dst = knot_rrset_new(s->zone, type, KNOT_CLASS_IN, src->ttl, NULL);
		if (*dst == NULL) {
			return HS_ENOMEM;
		}
	}
	if (src->ttl > (*dst)->ttl) {
		(*dst)->ttl = src->ttl;
	}
	return knot_rdataset_merge(&(*dst)->rrs, &src->rrs, NULL) == KNOT_EOK ? HS_EOK
	                                                                      : HS_ENOMEM;
}

static int make_csync(hs_sync_t *s, knot_rrset_t **out, uint32_t ttl)
{
	uint8_t rd[12];
	uint16_t flags = HS_SYNC_CSYNC_IMMEDIATE |
	                 (s->have_serial ? HS_SYNC_CSYNC_SOAMINIMUM : 0);
	knot_wire_write_u32(rd, s->have_serial ? s->serial : 0);
	knot_wire_write_u16(rd + 4, flags);
	/* window 0, 4 bytes: A (1), NS (2), AAAA (28) */
	const uint8_t bitmap[6] = { 0x00, 0x04, 0x60, 0x00, 0x00, 0x08 };
	memcpy(rd + 6, bitmap, sizeof(bitmap));
	*out = knot_rrset_new(s->zone, KNOT_RRTYPE_CSYNC, KNOT_CLASS_IN, ttl, NULL);
	if (*out == NULL || knot_rrset_add_rdata(*out, rd, sizeof(rd), NULL) != KNOT_EOK) {
		rrset_drop(out);
		return HS_ENOMEM;
	}
	return HS_EOK;
}

int hs_sync_plan(hs_sync_t *s, hs_sync_plan_t *plan)
{
	if (s == NULL || plan == NULL) {
		return HS_EINVAL;
	}
	memset(plan, 0, sizeof(*plan));
	int ret = HS_EOK;
	hs_msg_content_t own = { { NULL } };
	if (s->nhs > 0) {
		ret = hs_sync_own_part(s, &own);
	}
	for (size_t i = 0; s->nhs > 0 && ret == HS_EOK && i < s->nprov; i++) {
		const prov_t *p = &s->prov[i];
		bool me = is_self(s, p->id);
		const hs_msg_content_t *c = me ? &own : (p->have ? &p->part : NULL);
		if (c == NULL) {
			continue;
		}
		if ((p->gates & HS_SYNC_G_KEYS) && !me) {
			ret = merge_into(s, &plan->want[HS_MSG_T_DNSKEY], KNOT_RRTYPE_DNSKEY,
			                 c->rr[HS_MSG_T_DNSKEY]);
		}
		if (ret == HS_EOK && (p->gates & HS_SYNC_G_CDS)) {
			ret = merge_into(s, &plan->want[HS_MSG_T_CDS], KNOT_RRTYPE_CDS,
			                 c->rr[HS_MSG_T_CDS]);
			if (ret == HS_EOK) {
				ret = merge_into(s, &plan->want[HS_MSG_T_CDNSKEY], KNOT_RRTYPE_CDNSKEY,
				                 c->rr[HS_MSG_T_CDNSKEY]);
			}
		}
		if (ret == HS_EOK && (p->gates & HS_SYNC_G_NS) && nsmgmt(s) == HS_HSYNC_NSMGMT_AGENT) {
			ret = merge_into(s, &plan->want[HS_MSG_T_NS], KNOT_RRTYPE_NS,
			                 c->rr[HS_MSG_T_NS]);
		}
	}
	hs_sync_content_clear(&own);
	/* held keys, minus our own */
	knot_rrset_t **k = &plan->want[HS_MSG_T_DNSKEY];
	if (ret == HS_EOK && s->nhs > 0 && s->held.count > 0) {
		knot_rrset_t h = { .owner = s->zone, .type = KNOT_RRTYPE_DNSKEY,
		                   .rclass = KNOT_CLASS_IN, .ttl = 0, .rrs = s->held };
		ret = merge_into(s, k, KNOT_RRTYPE_DNSKEY, &h);
	}
	if (ret == HS_EOK && *k != NULL) {
		if (knot_rdataset_subtract(&(*k)->rrs, &s->own, NULL) != KNOT_EOK) {
			ret = HS_ENOMEM;
		} else if ((*k)->rrs.count == 0) {
			rrset_drop(k);
		} else if (!rrset_empty(s->signed_dnskey)) {
			(*k)->ttl = s->signed_dnskey->ttl;
		}
	}
	/* CSYNC with the NS set (AGENT) */
	knot_rrset_t *ns = plan->want[HS_MSG_T_NS];
	if (ret == HS_EOK && ns != NULL) {
		const knot_rrset_t *cs = s->carried[HS_MSG_T_CSYNC];
		if (rrset_same(ns, s->carried[HS_MSG_T_NS]) && cs != NULL) {
			ret = hs_sync_rrset_dup(s, cs, KNOT_RRTYPE_CSYNC, &plan->want[HS_MSG_T_CSYNC]);
		} else {
			ret = make_csync(s, &plan->want[HS_MSG_T_CSYNC], ns->ttl);
		}
	}
	/* the planned keys are pushed from now on */
	if (ret == HS_EOK) {
		knot_rdataset_clear(&s->planned, NULL);
		if (*k != NULL && (knot_rdataset_copy(&s->planned, &(*k)->rrs, NULL) != KNOT_EOK ||
		                   knot_rdataset_merge(&s->pushed, &(*k)->rrs, NULL) != KNOT_EOK)) {
			ret = HS_ENOMEM;
		}
	}
	if (ret == HS_EOK) {
		ret = hs_sync_own_recompute(s);
	}
	if (ret != HS_EOK) {
		hs_sync_plan_clear(plan);
		return ret;
	}
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		plan->changed[i] = !rrset_same(plan->want[i], s->carried[i]);
		plan->nchanged += plan->changed[i] ? 1 : 0;
	}
	return HS_EOK;
}

int hs_sync_update_build(const hs_sync_t *s, const hs_sync_plan_t *plan, uint16_t id,
                         knot_pkt_t *pkt)
{
	if (s == NULL || plan == NULL || pkt == NULL) {
		return HS_EINVAL;
	}
	if (plan->nchanged == 0) {
		return HS_ENOTFOUND;
	}
	if (pkt->size != KNOT_WIRE_HEADER_SIZE || pkt->max_size < KNOT_WIRE_HEADER_SIZE) {
		return HS_EINVAL;   /* not a fresh packet */
	}
	/* knot_pkt_new() on a caller's buffer leaves its old header bytes */
	memset(pkt->wire, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(pkt->wire, id);
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_UPDATE);
	int ret = knot_pkt_put_question(pkt, s->zone, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	if (ret == KNOT_EOK) {
		ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	}
	/* combinerd's order: NS, DNSKEY, CDS, CDNSKEY, CSYNC (type numbers) */
	static const unsigned order[HS_MSG_NTYPES] = { HS_MSG_T_NS, HS_MSG_T_DNSKEY, HS_MSG_T_CDS,
	                                               HS_MSG_T_CDNSKEY, HS_MSG_T_CSYNC };
	for (unsigned o = 0; ret == KNOT_EOK && o < HS_MSG_NTYPES; o++) {
		unsigned i = order[o];
		if (!plan->changed[i]) {
			continue;
		}
		/* "delete RRset" by hand: libknot writes no RR for an empty RRset */
		if (pkt->size + 12 + pkt->reserved > pkt->max_size) {
			return HS_ESPACE;
		}
		uint8_t *w = pkt->wire + pkt->size;
		knot_wire_write_u16(w, 0xc000 | KNOT_WIRE_HEADER_SIZE);  /* the zone name */
		knot_wire_write_u16(w + 2, hs_msg_sync_type(i));
		knot_wire_write_u16(w + 4, KNOT_CLASS_ANY);
		knot_wire_write_u32(w + 6, 0);
		knot_wire_write_u16(w + 10, 0);
		pkt->size += 12;
		knot_wire_add_nscount(pkt->wire, 1);
		if (plan->want[i] != NULL) {
			knot_rrset_t *add = knot_rrset_copy(plan->want[i], NULL);
			if (add == NULL) {
				return HS_ENOMEM;
			}
			/* the packet keeps a copy of the struct and frees owner and RDATA */
			ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, add, KNOT_PF_FREE);
			if (ret != KNOT_EOK) {
				knot_rrset_free(add, NULL);
			} else {
				free(add);
			}
		}
	}
	if (ret == KNOT_ESPACE) {
		return HS_ESPACE;
	}
	return ret == KNOT_EOK ? HS_EOK : ret;
}

int hs_sync_confirmed(hs_sync_t *s, const hs_sync_plan_t *plan)
{
	if (s == NULL || plan == NULL) {
		return HS_EINVAL;
	}
	knot_rrset_t *c[HS_MSG_NTYPES] = { NULL };
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		if (hs_sync_rrset_dup(s, plan->want[i], hs_msg_sync_type(i), &c[i]) != HS_EOK) {
			for (unsigned j = 0; j < i; j++) {
				knot_rrset_free(c[j], NULL);
			}
			return HS_ENOMEM;
		}
	}
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rrset_free(s->carried[i], NULL);
		s->carried[i] = c[i];
	}
	knot_rdataset_clear(&s->planned, NULL);
	int ret = hs_sync_pushed_prune(s);
	return ret == HS_EOK ? hs_sync_own_recompute(s) : ret;
}
