/*
 * agentd/syncint.h -- what the parts and inputs (sync.c), the plan for the
 * combiner (syncplan.c) and the JSON state (syncstate.c) of one zone
 * share. Internal to agentd/sync*.c; use sync.h.
 */
#ifndef HS_AGENTD_SYNCINT_H
#define HS_AGENTD_SYNCINT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agentd/sync.h"

typedef struct {
	knot_dname_storage_t id;
	unsigned gates;
	bool have;                 /* a part was accepted (peers) */
	time_t received;
	hs_msg_content_t part;     /* owned; rr[i] NULL = none */
} prov_t;

struct hs_sync {
	knot_dname_storage_t zone, self;
	hs_sync_limits_t lim;
	hs_hsync_t *hs;            /* heap, nhs records */
	size_t nhs;
	bool hsync_seen;           /* an HSYNC was set once: later ON -> join */
	knot_rrset_t *own_ns;
	knot_rrset_t *signed_dnskey;
	bool have_serial;
	uint32_t serial;
	knot_rdataset_t own;       /* derived: signed minus pushed */
	knot_rdataset_t pushed;
	knot_rdataset_t planned;   /* DNSKEY of the last plan not yet confirmed */
	knot_rdataset_t held;
	knot_rrset_t *carried[HS_MSG_NTYPES];
	prov_t *prov;              /* heap */
	size_t nprov, capprov;
};

static inline void say(char *why, size_t len, const char *fmt, ...)
{
	if (why == NULL || len == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static inline bool rrset_empty(const knot_rrset_t *r)
{
	return r == NULL || r->rrs.count == 0;
}

static inline bool rrset_same(const knot_rrset_t *a, const knot_rrset_t *b)
{
	if (rrset_empty(a) || rrset_empty(b)) {
		return rrset_empty(a) && rrset_empty(b);
	}
	return a->ttl == b->ttl && knot_rdataset_eq(&a->rrs, &b->rrs);
}

static inline void rrset_drop(knot_rrset_t **r)
{
	knot_rrset_free(*r, NULL);
	*r = NULL;
}

static inline knot_rdata_t *rdata_new(const uint8_t *data, uint16_t len)
{
	knot_rdata_t *rd = malloc(knot_rdata_size(len));
	if (rd != NULL) {
		knot_rdata_init(rd, len, data);
	}
	return rd;
}

static inline bool is_self(const hs_sync_t *s, const knot_dname_t *id)
{
	return knot_dname_is_case_equal(s->self, id);
}

static inline uint8_t nsmgmt(const hs_sync_t *s)
{
	return s->nhs > 0 ? s->hs[0].nsmgmt : 0;
}

/* Copy of SRC as an RRset of the zone (NULL for NULL or empty). */
int hs_sync_rrset_dup(const hs_sync_t *s, const knot_rrset_t *src, uint16_t type,
                      knot_rrset_t **out);

/* Room for NEED providers (pointers into prov move). */
int hs_sync_prov_reserve(hs_sync_t *s, size_t need);

/* own = signed DNSKEY minus pushed. */
int hs_sync_own_recompute(hs_sync_t *s);

/* Pushed keys that are nowhere any more (not planned, carried or served) go. */
int hs_sync_pushed_prune(hs_sync_t *s);

#endif /* HS_AGENTD_SYNCINT_H */
