/*
 * common/xfrint.h -- what the queries (xfr.c) and the consumer of a
 * transfer (xfrin.c) share. Internal to common/; use xfr.h.
 */
#ifndef HS_XFRINT_H
#define HS_XFRINT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/xfr.h"

static inline uint32_t rr_soa_serial(const knot_rrset_t *rr)
{
	return knot_soa_serial(rr->rrs.rdata);
}

/* A SOA RR of the right shape for the zone. */
static inline bool is_apex_soa(const knot_rrset_t *rr, const knot_dname_t *origin)
{
	return rr->type == KNOT_RRTYPE_SOA && rr->rrs.count >= 1 &&
	       rr->rrs.rdata->len >= 20 && hs_dname_equal(rr->owner, origin);
}

/* Common checks of an answer to query: ID, QR, opcode, question, TC. */
int hs_xfr_check_header(const knot_pkt_t *resp, const knot_pkt_t *query, bool need_question);

#endif /* HS_XFRINT_H */
