/*
 * agentd/sync.c -- own part, peers' parts and the merge for one zone.
 * See sync.h for the rules; this file only implements them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/sync.h"
#include "common/statefile.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"

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

static void say(char *why, size_t len, const char *fmt, ...)
{
	if (why == NULL || len == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static bool rrset_empty(const knot_rrset_t *r)
{
	return r == NULL || r->rrs.count == 0;
}

static bool rrset_same(const knot_rrset_t *a, const knot_rrset_t *b)
{
	if (rrset_empty(a) || rrset_empty(b)) {
		return rrset_empty(a) && rrset_empty(b);
	}
	return a->ttl == b->ttl && knot_rdataset_eq(&a->rrs, &b->rrs);
}

static void rrset_drop(knot_rrset_t **r)
{
	knot_rrset_free(*r, NULL);
	*r = NULL;
}

/* Copy of SRC as an RRset of the zone (NULL for NULL or empty). */
static int rrset_dup(const hs_sync_t *s, const knot_rrset_t *src, uint16_t type,
                     knot_rrset_t **out)
{
	*out = NULL;
	if (rrset_empty(src)) {
		return HS_EOK;
	}
	knot_rrset_t *r = knot_rrset_new(s->zone, type, KNOT_CLASS_IN, src->ttl, NULL);
	if (r == NULL || knot_rdataset_copy(&r->rrs, &src->rrs, NULL) != KNOT_EOK) {
		knot_rrset_free(r, NULL);
		return HS_ENOMEM;
	}
	*out = r;
	return HS_EOK;
}

static knot_rdata_t *rdata_new(const uint8_t *data, uint16_t len)
{
	knot_rdata_t *rd = malloc(knot_rdata_size(len));
	if (rd != NULL) {
		knot_rdata_init(rd, len, data);
	}
	return rd;
}

static prov_t *prov_find(const hs_sync_t *s, const knot_dname_t *id)
{
	for (size_t i = 0; i < s->nprov; i++) {
		if (knot_dname_is_case_equal(s->prov[i].id, id)) {
			return (prov_t *)&s->prov[i];
		}
	}
	return NULL;
}

/* Room for NEED providers (pointers into prov move). */
static int prov_reserve(hs_sync_t *s, size_t need)
{
	if (need <= s->capprov) {
		return HS_EOK;
	}
	prov_t *n = realloc(s->prov, need * sizeof(prov_t));
	if (n == NULL) {
		return HS_ENOMEM;
	}
	s->prov = n;
	s->capprov = need;
	return HS_EOK;
}

static prov_t *prov_add(hs_sync_t *s, const knot_dname_t *id)
{
	prov_t *p = prov_find(s, id);
	if (p != NULL || s->nprov == HS_SYNC_MAX_PROVIDERS ||
	    prov_reserve(s, s->nprov + 1) != HS_EOK) {
		return p;
	}
	p = &s->prov[s->nprov++];
	memset(p, 0, sizeof(*p));
	(void)!knot_dname_store(p->id, id);
	knot_dname_to_lower(p->id);
	return p;
}

static void part_clear(hs_msg_content_t *c)
{
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		rrset_drop(&c->rr[i]);
	}
}

void hs_sync_content_clear(hs_msg_content_t *c)
{
	if (c != NULL) {
		part_clear(c);
	}
}

static bool is_self(const hs_sync_t *s, const knot_dname_t *id)
{
	return knot_dname_is_case_equal(s->self, id);
}

/* own = signed DNSKEY minus pushed. */
static int own_recompute(hs_sync_t *s)
{
	knot_rdataset_clear(&s->own, NULL);
	if (rrset_empty(s->signed_dnskey)) {
		return HS_EOK;
	}
	if (knot_rdataset_copy(&s->own, &s->signed_dnskey->rrs, NULL) != KNOT_EOK ||
	    knot_rdataset_subtract(&s->own, &s->pushed, NULL) != KNOT_EOK) {
		return HS_ENOMEM;
	}
	return HS_EOK;
}

int hs_sync_new(const knot_dname_t *zone, const knot_dname_t *self,
                const hs_sync_limits_t *lim, hs_sync_t **out)
{
	if (zone == NULL || self == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_sync_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	(void)!knot_dname_store(s->zone, zone);
	knot_dname_to_lower(s->zone);
	(void)!knot_dname_store(s->self, self);
	knot_dname_to_lower(s->self);
	s->lim.max_keys = (lim != NULL && lim->max_keys > 0) ? lim->max_keys : 16;
	s->lim.max_ns = (lim != NULL && lim->max_ns > 0) ? lim->max_ns : 16;
	*out = s;
	return HS_EOK;
}

void hs_sync_free(hs_sync_t *s)
{
	if (s == NULL) {
		return;
	}
	knot_rrset_free(s->own_ns, NULL);
	knot_rrset_free(s->signed_dnskey, NULL);
	knot_rdataset_clear(&s->own, NULL);
	knot_rdataset_clear(&s->pushed, NULL);
	knot_rdataset_clear(&s->planned, NULL);
	knot_rdataset_clear(&s->held, NULL);
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rrset_free(s->carried[i], NULL);
	}
	for (size_t i = 0; i < s->nprov; i++) {
		part_clear(&s->prov[i].part);
	}
	free(s->prov);
	free(s->hs);
	free(s);
}

const knot_dname_t *hs_sync_zone(const hs_sync_t *s)
{
	return s->zone;
}

const knot_dname_t *hs_sync_self(const hs_sync_t *s)
{
	return s->self;
}

/* ---- inputs ------------------------------------------------------------ */

int hs_sync_set_hsync(hs_sync_t *s, const knot_rrset_t *hsync)
{
	if (s == NULL) {
		return HS_EINVAL;
	}
	hs_hsync_t recs[HS_SYNC_MAX_PROVIDERS];
	size_t n = 0;
	if (!rrset_empty(hsync)) {
		int ret = hs_hsync_rrset_decode(hsync, recs, HS_SYNC_MAX_PROVIDERS, &n);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	/* every named identity needs a slot (old slots stay until forgotten) */
	size_t need = s->nprov;
	for (size_t i = 0; i < n; i++) {
		if (prov_find(s, recs[i].identity) == NULL) {
			need++;
		}
	}
	if (need > HS_SYNC_MAX_PROVIDERS) {
		return HS_ESPACE;
	}
	hs_hsync_t *keep = NULL;
	if (n > 0 && (keep = malloc(n * sizeof(recs[0]))) == NULL) {
		return HS_ENOMEM;
	}
	if (prov_reserve(s, need) != HS_EOK) {
		free(keep);
		return HS_ENOMEM;
	}
	bool first = !s->hsync_seen && n > 0;
	for (size_t i = 0; i < n; i++) {
		prov_t *p = prov_add(s, recs[i].identity);
		if (first && recs[i].state == HS_HSYNC_STATE_ON) {
			p->gates = HS_SYNC_G_ALL;
		}
	}
	if (n > 0) {
		memcpy(keep, recs, n * sizeof(recs[0]));
	}
	free(s->hs);
	s->hs = keep;
	s->nhs = n;
	if (n > 0) {
		s->hsync_seen = true;
	}
	return HS_EOK;
}

const hs_hsync_t *hs_sync_hsync_of(const hs_sync_t *s, const knot_dname_t *id)
{
	for (size_t i = 0; i < s->nhs; i++) {
		if (knot_dname_is_case_equal(s->hs[i].identity, id)) {
			return &s->hs[i];
		}
	}
	return NULL;
}

size_t hs_sync_hsync(const hs_sync_t *s, const hs_hsync_t **recs)
{
	if (recs != NULL) {
		*recs = s->hs;
	}
	return s->nhs;
}

static uint8_t nsmgmt(const hs_sync_t *s)
{
	return s->nhs > 0 ? s->hs[0].nsmgmt : 0;
}

int hs_sync_set_own_ns(hs_sync_t *s, const knot_rrset_t *ns)
{
	if (s == NULL || (ns != NULL && ns->type != KNOT_RRTYPE_NS)) {
		return HS_EINVAL;
	}
	knot_rrset_t *c = NULL;
	int ret = rrset_dup(s, ns, KNOT_RRTYPE_NS, &c);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_rrset_free(s->own_ns, NULL);
	s->own_ns = c;
	return HS_EOK;
}

/* Pushed keys that are nowhere any more (not planned, carried or served) go. */
static int pushed_prune(hs_sync_t *s)
{
	knot_rdataset_t keep = { 0 };
	knot_rdata_t *rd = s->pushed.rdata;
	for (uint16_t i = 0; i < s->pushed.count; i++, rd = knot_rdataset_next(rd)) {
		bool live = knot_rdataset_member(&s->planned, rd) ||
		            (s->carried[HS_MSG_T_DNSKEY] != NULL &&
		             knot_rdataset_member(&s->carried[HS_MSG_T_DNSKEY]->rrs, rd)) ||
		            (s->signed_dnskey != NULL &&
		             knot_rdataset_member(&s->signed_dnskey->rrs, rd));
		if (live && knot_rdataset_add(&keep, rd, NULL) != KNOT_EOK) {
			knot_rdataset_clear(&keep, NULL);
			return HS_ENOMEM;
		}
	}
	knot_rdataset_clear(&s->pushed, NULL);
	s->pushed = keep;
	return HS_EOK;
}

int hs_sync_set_signed(hs_sync_t *s, const knot_rrset_t *dnskey, bool have_serial,
                       uint32_t serial)
{
	if (s == NULL || (dnskey != NULL && dnskey->type != KNOT_RRTYPE_DNSKEY)) {
		return HS_EINVAL;
	}
	knot_rrset_t *c = NULL;
	int ret = rrset_dup(s, dnskey, KNOT_RRTYPE_DNSKEY, &c);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_rdataset_t before = { 0 };
	if (knot_rdataset_copy(&before, &s->own, NULL) != KNOT_EOK) {
		knot_rrset_free(c, NULL);
		return HS_ENOMEM;
	}
	knot_rrset_free(s->signed_dnskey, NULL);
	s->signed_dnskey = c;
	s->have_serial = have_serial;
	s->serial = serial;
	ret = pushed_prune(s);
	if (ret == HS_EOK) {
		ret = own_recompute(s);
	}
	bool changed = !knot_rdataset_eq(&before, &s->own);
	knot_rdataset_clear(&before, NULL);
	if (ret != HS_EOK) {
		return ret;
	}
	return changed ? 1 : 0;
}

/* ---- receiving a part ---------------------------------------------------- */

static bool alg_in(const uint8_t *algs, size_t n, uint8_t alg)
{
	for (size_t i = 0; i < n; i++) {
		if (algs[i] == alg) {
			return true;
		}
	}
	return false;
}

static void algs_add(uint8_t *algs, size_t *n, const knot_rdataset_t *rrs)
{
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; i < rrs->count; i++, rd = knot_rdataset_next(rd)) {
		int a = hs_dnssec_algorithm(rd->data, rd->len);
		if (a >= 0 && !alg_in(algs, *n, (uint8_t)a) && *n < 256) {
			algs[(*n)++] = (uint8_t)a;
		}
	}
}

/* Is CDS RDATA (tag, alg, digest type, digest) the DS of a SEP key in KEYS? */
static bool cds_matches(const hs_sync_t *s, const knot_rdata_t *cds, const knot_rrset_t *keys)
{
	if (cds->len < 5 || rrset_empty(keys)) {
		return false;
	}
	knot_rdata_t *rd = keys->rrs.rdata;
	for (uint16_t i = 0; i < keys->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (hs_dnssec_is_cds_key(rd->data, rd->len) != 1) {
			continue;
		}
		uint8_t ds[HS_DS_MAXLEN];
		size_t len = 0;
		if (hs_dnssec_ds(s->zone, rd->data, rd->len, cds->data[3], ds, sizeof(ds), &len) ==
		            HS_EOK &&
		    len == cds->len && memcmp(ds, cds->data, len) == 0) {
			return true;
		}
	}
	return false;
}

static int check_part(const hs_sync_t *s, const prov_t *sender, const hs_hsync_t *h,
                      const hs_msg_content_t *part, char *why, size_t whylen)
{
	const knot_rrset_t *dnskey = part->rr[HS_MSG_T_DNSKEY];
	const knot_rrset_t *cds = part->rr[HS_MSG_T_CDS];
	const knot_rrset_t *cdnskey = part->rr[HS_MSG_T_CDNSKEY];
	const knot_rrset_t *ns = part->rr[HS_MSG_T_NS];
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		const knot_rrset_t *r = part->rr[i];
		if (!rrset_empty(r) && (r->type != hs_msg_sync_type(i) ||
		                        !knot_dname_is_case_equal(r->owner, s->zone))) {
			say(why, whylen, "part has an RRset of the wrong type or owner");
			return HS_ESYNC_REFUSED;
		}
	}
	bool keys = !rrset_empty(dnskey) || !rrset_empty(cds) || !rrset_empty(cdnskey);
	if (keys && h->sign != HS_HSYNC_SIGN_SIGN) {
		say(why, whylen, "keys from a provider that does not sign (HSYNC NOSIGN)");
		return HS_ESYNC_REFUSED;
	}
	if (!rrset_empty(dnskey) && dnskey->rrs.count > s->lim.max_keys) {
		say(why, whylen, "%u DNSKEYs, more than the limit of %u", dnskey->rrs.count,
		    s->lim.max_keys);
		return HS_ESYNC_REFUSED;
	}
	if (!rrset_empty(ns)) {
		if (nsmgmt(s) != HS_HSYNC_NSMGMT_AGENT) {
			say(why, whylen, "NS in a part while the zone's NSmgmt is OWNER");
			return HS_ESYNC_REFUSED;
		}
		if (ns->rrs.count > s->lim.max_ns) {
			say(why, whylen, "%u NS names, more than the limit of %u", ns->rrs.count,
			    s->lim.max_ns);
			return HS_ESYNC_REFUSED;
		}
	}
	/* the zone's algorithms: own keys and other providers' accepted keys */
	uint8_t algs[256];
	size_t nalgs = 0;
	algs_add(algs, &nalgs, &s->own);
	for (size_t i = 0; i < s->nprov; i++) {
		const prov_t *p = &s->prov[i];
		if (p != sender && p->have && p->part.rr[HS_MSG_T_DNSKEY] != NULL) {
			algs_add(algs, &nalgs, &p->part.rr[HS_MSG_T_DNSKEY]->rrs);
		}
	}
	if (!rrset_empty(dnskey)) {
		knot_rdata_t *rd = dnskey->rrs.rdata;
		for (uint16_t i = 0; i < dnskey->rrs.count; i++, rd = knot_rdataset_next(rd)) {
			uint16_t tag = 0;
			int ret = hs_dnssec_keytag(rd->data, rd->len, &tag);
			if (ret != HS_EOK) {
				say(why, whylen, "malformed DNSKEY: %s", hs_strerror(ret));
				return HS_ESYNC_REFUSED;
			}
			int alg = hs_dnssec_algorithm(rd->data, rd->len);
			if (nalgs > 0 && !alg_in(algs, nalgs, (uint8_t)alg)) {
				say(why, whylen, "DNSKEY %u: algorithm %d is not used in the zone",
				    tag, alg);
				return HS_ESYNC_REFUSED;
			}
			knot_rdata_t *o = s->own.rdata;
			for (uint16_t j = 0; j < s->own.count; j++, o = knot_rdataset_next(o)) {
				uint16_t otag = 0;
				if (hs_dnssec_keytag(o->data, o->len, &otag) == HS_EOK && otag == tag) {
					say(why, whylen, "DNSKEY %u: key tag clashes with our own key %u",
					    tag, otag);
					return HS_ESYNC_REFUSED;
				}
			}
		}
	}
	if (!rrset_empty(cds)) {
		knot_rdata_t *rd = cds->rrs.rdata;
		for (uint16_t i = 0; i < cds->rrs.count; i++, rd = knot_rdataset_next(rd)) {
			if (!cds_matches(s, rd, dnskey)) {
				say(why, whylen, "CDS %u is not the DS of a KSK of the sender",
				    rd->len >= 2 ? (unsigned)knot_wire_read_u16(rd->data) : 0u);
				return HS_ESYNC_REFUSED;
			}
		}
	}
	if (!rrset_empty(cdnskey)) {
		knot_rdata_t *rd = cdnskey->rrs.rdata;
		for (uint16_t i = 0; i < cdnskey->rrs.count; i++, rd = knot_rdataset_next(rd)) {
			if (rrset_empty(dnskey) || !knot_rdataset_member(&dnskey->rrs, rd) ||
			    hs_dnssec_is_cds_key(rd->data, rd->len) != 1) {
				uint16_t tag = 0;
				(void)hs_dnssec_keytag(rd->data, rd->len, &tag);
				say(why, whylen, "CDNSKEY %u is not a KSK of the sender", tag);
				return HS_ESYNC_REFUSED;
			}
		}
	}
	return HS_EOK;
}

int hs_sync_receive(hs_sync_t *s, const knot_dname_t *id, const hs_msg_content_t *part,
                    time_t now, char *why, size_t whylen)
{
	if (s == NULL || id == NULL || part == NULL) {
		return HS_EINVAL;
	}
	say(why, whylen, "accepted");
	if (s->nhs == 0) {
		say(why, whylen, "the zone has no HSYNC RRset: not synchronised");
		return HS_ESYNC_REFUSED;
	}
	if (is_self(s, id)) {
		say(why, whylen, "a part claimed to be from ourselves");
		return HS_ESYNC_REFUSED;
	}
	const hs_hsync_t *h = hs_sync_hsync_of(s, id);
	if (h == NULL) {
		say(why, whylen, "sender not named in the zone's HSYNC");
		return HS_ESYNC_REFUSED;
	}
	if (h->state != HS_HSYNC_STATE_ON) {
		say(why, whylen, "sender's HSYNC State is not ON");
		return HS_ESYNC_REFUSED;
	}
	prov_t *p = prov_find(s, id);
	if (p == NULL) {
		return HS_EINVAL;   /* set_hsync made a slot for every name */
	}
	int ret = check_part(s, p, h, part, why, whylen);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_msg_content_t c = { { NULL } };
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		if (i == HS_MSG_T_CSYNC) {
			continue;   /* ignored: each agent makes its own */
		}
		ret = rrset_dup(s, part->rr[i], hs_msg_sync_type(i), &c.rr[i]);
		if (ret != HS_EOK) {
			part_clear(&c);
			return ret;
		}
	}
	bool changed = !p->have;
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		if (!rrset_same(c.rr[i], p->part.rr[i])) {
			changed = true;
		}
	}
	part_clear(&p->part);
	p->part = c;
	p->have = true;
	p->received = now;
	return changed ? 1 : 0;
}

int hs_sync_forget(hs_sync_t *s, const knot_dname_t *id)
{
	prov_t *p = prov_find(s, id);
	if (p == NULL) {
		return HS_ENOTFOUND;
	}
	part_clear(&p->part);
	size_t i = (size_t)(p - s->prov);
	memmove(&s->prov[i], &s->prov[i + 1], (s->nprov - i - 1) * sizeof(prov_t));
	s->nprov--;
	return HS_EOK;
}

/* ---- gates and holds ---------------------------------------------------- */

int hs_sync_set_gates(hs_sync_t *s, const knot_dname_t *id, unsigned gates)
{
	prov_t *p = prov_find(s, id);
	if (p == NULL) {
		return HS_ENOTFOUND;
	}
	p->gates = gates & HS_SYNC_G_ALL;
	return HS_EOK;
}

unsigned hs_sync_gates(const hs_sync_t *s, const knot_dname_t *id)
{
	const prov_t *p = prov_find(s, id);
	return p != NULL ? p->gates : 0;
}

int hs_sync_hold_key(hs_sync_t *s, const uint8_t *rdata, uint16_t len)
{
	if (s == NULL || hs_dnssec_dnskey_check(rdata, len) != HS_EOK) {
		return HS_EINVAL;
	}
	knot_rdata_t *rd = rdata_new(rdata, len);
	if (rd == NULL) {
		return HS_ENOMEM;
	}
	int ret = knot_rdataset_add(&s->held, rd, NULL);
	free(rd);
	return ret == KNOT_EOK ? HS_EOK : HS_ENOMEM;
}

int hs_sync_release_key(hs_sync_t *s, const uint8_t *rdata, uint16_t len)
{
	if (s == NULL || rdata == NULL) {
		return HS_EINVAL;
	}
	knot_rdata_t *rd = rdata_new(rdata, len);
	if (rd == NULL) {
		return HS_ENOMEM;
	}
	knot_rdataset_t one = { 0 };
	int ret = knot_rdataset_add(&one, rd, NULL);
	if (ret == KNOT_EOK) {
		ret = knot_rdataset_subtract(&s->held, &one, NULL);
	}
	knot_rdataset_clear(&one, NULL);
	free(rd);
	return ret == KNOT_EOK ? HS_EOK : HS_ENOMEM;
}

/* ---- outputs ------------------------------------------------------------ */

const knot_rdataset_t *hs_sync_own_keys(const hs_sync_t *s)
{
	return &s->own;
}

const knot_rdataset_t *hs_sync_pushed(const hs_sync_t *s)
{
	return &s->pushed;
}

const hs_msg_content_t *hs_sync_part(const hs_sync_t *s, const knot_dname_t *id)
{
	const prov_t *p = prov_find(s, id);
	return (p != NULL && p->have) ? &p->part : NULL;
}

size_t hs_sync_count(const hs_sync_t *s)
{
	return s->nprov;
}

const knot_dname_t *hs_sync_id_at(const hs_sync_t *s, size_t i)
{
	return i < s->nprov ? s->prov[i].id : NULL;
}

const knot_rrset_t *hs_sync_carried(const hs_sync_t *s, unsigned i)
{
	return i < HS_MSG_NTYPES ? s->carried[i] : NULL;
}

static uint32_t ttl_max(const hs_sync_t *s, unsigned i, const knot_rrset_t *extra)
{
	uint32_t m = 0;
	const knot_rrset_t *c[2] = { s->carried[i], extra };
	for (unsigned k = 0; k < 2; k++) {
		if (!rrset_empty(c[k]) && c[k]->ttl > m) {
			m = c[k]->ttl;
		}
	}
	for (size_t k = 0; k < s->nprov; k++) {
		const knot_rrset_t *r = s->prov[k].part.rr[i];
		if (s->prov[k].have && !rrset_empty(r) && r->ttl > m) {
			m = r->ttl;
		}
	}
	return m;
}

uint32_t hs_sync_dnskey_ttl_max(const hs_sync_t *s)
{
	return ttl_max(s, HS_MSG_T_DNSKEY, s->signed_dnskey);
}

uint32_t hs_sync_ns_ttl_max(const hs_sync_t *s)
{
	return ttl_max(s, HS_MSG_T_NS, s->own_ns);
}

int hs_sync_own_part(const hs_sync_t *s, hs_msg_content_t *out)
{
	if (s == NULL || out == NULL) {
		return HS_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	const hs_hsync_t *me = hs_sync_hsync_of(s, s->self);
	int ret = HS_EOK;
	if (me != NULL && me->sign == HS_HSYNC_SIGN_SIGN && s->own.count > 0) {
		knot_rrset_t *k = knot_rrset_new(s->zone, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN,
		                                 s->signed_dnskey->ttl, NULL);
		if (k == NULL || knot_rdataset_copy(&k->rrs, &s->own, NULL) != KNOT_EOK) {
			knot_rrset_free(k, NULL);
			return HS_ENOMEM;
		}
		out->rr[HS_MSG_T_DNSKEY] = k;
		uint8_t dig = HS_DS_SHA256;
		ret = hs_dnssec_cds_rrset(k, &dig, 1, &out->rr[HS_MSG_T_CDS], NULL);
		if (ret == HS_EOK) {
			ret = hs_dnssec_cdnskey_rrset(k, &out->rr[HS_MSG_T_CDNSKEY], NULL);
		}
		if (ret == HS_ENOTFOUND) {
			ret = HS_EOK;   /* no KSK (yet) */
		}
	}
	if (ret == HS_EOK && nsmgmt(s) == HS_HSYNC_NSMGMT_AGENT) {
		ret = rrset_dup(s, s->own_ns, KNOT_RRTYPE_NS, &out->rr[HS_MSG_T_NS]);
	}
	if (ret != HS_EOK) {
		part_clear(out);
	}
	return ret;
}

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
	part_clear(&own);
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
			ret = rrset_dup(s, cs, KNOT_RRTYPE_CSYNC, &plan->want[HS_MSG_T_CSYNC]);
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
		ret = own_recompute(s);
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
		if (rrset_dup(s, plan->want[i], hs_msg_sync_type(i), &c[i]) != HS_EOK) {
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
	int ret = pushed_prune(s);
	return ret == HS_EOK ? own_recompute(s) : ret;
}

/* ---- JSON ---------------------------------------------------------------- */

json_t *hs_sync_rdataset_json(const knot_rdataset_t *rrs)
{
	json_t *a = json_array();
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; a != NULL && i < rrs->count; i++, rd = knot_rdataset_next(rd)) {
		size_t n = sodium_base64_encoded_len(rd->len, sodium_base64_VARIANT_ORIGINAL);
		char *b = malloc(n);
		if (b == NULL) {
			json_decref(a);
			return NULL;
		}
		sodium_bin2base64(b, n, rd->data, rd->len, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b));
		free(b);
	}
	return a;
}

static json_t *rrset_json(const knot_rrset_t *r)
{
	if (rrset_empty(r)) {
		return json_null();
	}
	return json_pack("{s:I, s:o}", "ttl", (json_int_t)r->ttl, "rdata", hs_sync_rdataset_json(&r->rrs));
}

static json_t *content_json(const hs_msg_content_t *c)
{
	json_t *o = json_object();
	for (unsigned i = 0; o != NULL && i < HS_MSG_NTYPES; i++) {
		if (!rrset_empty(c->rr[i])) {
			char name[16];
			knot_rrtype_to_string(hs_msg_sync_type(i), name, sizeof(name));
			json_object_set_new(o, name, rrset_json(c->rr[i]));
		}
	}
	return o;
}

static json_t *dname_json(const knot_dname_t *d)
{
	char txt[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(txt, d, sizeof(txt)) == NULL) {
		return NULL;
	}
	return json_string(txt);
}

json_t *hs_sync_to_json(const hs_sync_t *s)
{
	json_t *hs = json_array();
	for (size_t i = 0; hs != NULL && i < s->nhs; i++) {
		char txt[HS_RR_TEXT_MAX];
		if (hs_hsync_to_text(&s->hs[i], txt, sizeof(txt)) == HS_EOK) {
			json_array_append_new(hs, json_string(txt));
		}
	}
	hs_msg_content_t cc;
	memcpy(cc.rr, s->carried, sizeof(cc.rr));
	json_t *carried = content_json(&cc);
	json_t *provs = json_array();
	for (size_t i = 0; provs != NULL && i < s->nprov; i++) {
		const prov_t *p = &s->prov[i];
		json_array_append_new(provs, json_pack("{s:o, s:i, s:b, s:I, s:o}",
			"identity", dname_json(p->id), "gates", (int)p->gates, "have", p->have,
			"received", (json_int_t)p->received, "part", content_json(&p->part)));
	}
	return json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:b, s:I, s:o, s:o, s:o, s:o, s:o}",
		"format", HS_SYNC_FORMAT, "zone", dname_json(s->zone), "self", dname_json(s->self),
		"hsync_seen", s->hsync_seen, "hsync", hs,
		"own_ns", rrset_json(s->own_ns), "signed", rrset_json(s->signed_dnskey),
		"have_serial", s->have_serial, "serial", (json_int_t)s->serial,
		"pushed", hs_sync_rdataset_json(&s->pushed), "planned", hs_sync_rdataset_json(&s->planned),
		"held", hs_sync_rdataset_json(&s->held), "carried", carried, "providers", provs);
}

/* Reading: every helper fills why with the field and returns HS_ESYNTAX. */
static int bad(char *why, size_t len, const char *field, const char *what)
{
	say(why, len, "%s: %s", field, what);
	return HS_ESYNTAX;
}

int hs_sync_rdataset_from_json(const json_t *a, knot_rdataset_t *out, const char *field,
                               char *why, size_t whylen)
{
	if (!json_is_array(a)) {
		return bad(why, whylen, field, "not an array");
	}
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v) {
		const char *b = json_string_value(v);
		uint8_t bin[65535];
		size_t blen = 0;
		if (b == NULL || sodium_base642bin(bin, sizeof(bin), b, strlen(b), NULL, &blen, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    blen == 0) {
			return bad(why, whylen, field, "an entry is not base64 RDATA");
		}
		knot_rdata_t *rd = rdata_new(bin, (uint16_t)blen);
		if (rd == NULL) {
			return HS_ENOMEM;
		}
		int ret = knot_rdataset_add(out, rd, NULL);
		free(rd);
		if (ret != KNOT_EOK) {
			return HS_ENOMEM;
		}
	}
	return HS_EOK;
}

static int rrset_from(const hs_sync_t *s, const json_t *j, uint16_t type, knot_rrset_t **out,
                      const char *field, char *why, size_t whylen)
{
	*out = NULL;
	if (j == NULL || json_is_null(j)) {
		return HS_EOK;
	}
	json_t *ttl = json_object_get(j, "ttl");
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > INT32_MAX) {
		return bad(why, whylen, field, "ttl missing or out of range");
	}
	knot_rrset_t *r = knot_rrset_new(s->zone, type, KNOT_CLASS_IN,
	                                 (uint32_t)json_integer_value(ttl), NULL);
	if (r == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_sync_rdataset_from_json(json_object_get(j, "rdata"), &r->rrs, field, why, whylen);
	if (ret == HS_EOK && (type == KNOT_RRTYPE_DNSKEY || type == KNOT_RRTYPE_CDNSKEY)) {
		knot_rdata_t *rd = r->rrs.rdata;
		for (uint16_t i = 0; i < r->rrs.count; i++, rd = knot_rdataset_next(rd)) {
			if (hs_dnssec_dnskey_check(rd->data, rd->len) != HS_EOK) {
				ret = bad(why, whylen, field, "RDATA is not a DNSKEY");
				break;
			}
		}
	}
	if (ret != HS_EOK || r->rrs.count == 0) {
		knot_rrset_free(r, NULL);
		return ret;
	}
	*out = r;
	return HS_EOK;
}

static int content_from(const hs_sync_t *s, const json_t *o, hs_msg_content_t *c,
                        const char *field, char *why, size_t whylen)
{
	if (!json_is_object(o)) {
		return bad(why, whylen, field, "not an object");
	}
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)o, key, v) {
		unsigned i;
		for (i = 0; i < HS_MSG_NTYPES; i++) {
			char name[16];
			knot_rrtype_to_string(hs_msg_sync_type(i), name, sizeof(name));
			if (strcmp(name, key) == 0) {
				break;
			}
		}
		if (i == HS_MSG_NTYPES) {
			return bad(why, whylen, field, "unknown RR type");
		}
		knot_rrset_free(c->rr[i], NULL);
		int ret = rrset_from(s, v, hs_msg_sync_type(i), &c->rr[i], field, why, whylen);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return HS_EOK;
}

static int dname_from(const json_t *j, knot_dname_storage_t out, const char *field, char *why,
                      size_t whylen)
{
	const char *t = json_string_value(j);
	if (t == NULL || knot_dname_from_str(out, t, sizeof(knot_dname_storage_t)) == NULL) {
		return bad(why, whylen, field, "missing or not a domain name");
	}
	knot_dname_to_lower(out);
	return HS_EOK;
}

static int from_json(hs_sync_t *s, const json_t *j, char *why, size_t whylen)
{
	int ret;
	const char *fmt = json_string_value(json_object_get(j, "format"));
	if (fmt == NULL || strcmp(fmt, HS_SYNC_FORMAT) != 0) {
		return bad(why, whylen, "format", "missing or not " HS_SYNC_FORMAT);
	}
	if ((ret = dname_from(json_object_get(j, "zone"), s->zone, "zone", why, whylen)) != 0 ||
	    (ret = dname_from(json_object_get(j, "self"), s->self, "self", why, whylen)) != 0) {
		return ret;
	}
	json_t *hs = json_object_get(j, "hsync");
	if (!json_is_array(hs) || json_array_size(hs) > HS_SYNC_MAX_PROVIDERS) {
		return bad(why, whylen, "hsync", "not an array of HSYNC RDATA");
	}
	if (json_array_size(hs) > 0 &&
	    (s->hs = calloc(json_array_size(hs), sizeof(s->hs[0]))) == NULL) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(hs); i++) {
		const char *t = json_string_value(json_array_get(hs, i));
		if (t == NULL || hs_hsync_from_text(&s->hs[i], t) != HS_EOK) {
			return bad(why, whylen, "hsync", "an entry is not HSYNC RDATA text");
		}
	}
	s->nhs = json_array_size(hs);
	s->hsync_seen = json_is_true(json_object_get(j, "hsync_seen"));
	s->have_serial = json_is_true(json_object_get(j, "have_serial"));
	json_t *serial = json_object_get(j, "serial");
	if (!json_is_integer(serial) || json_integer_value(serial) < 0 ||
	    json_integer_value(serial) > UINT32_MAX) {
		return bad(why, whylen, "serial", "missing or out of range");
	}
	s->serial = (uint32_t)json_integer_value(serial);
	if ((ret = rrset_from(s, json_object_get(j, "own_ns"), KNOT_RRTYPE_NS, &s->own_ns,
	                      "own_ns", why, whylen)) != 0 ||
	    (ret = rrset_from(s, json_object_get(j, "signed"), KNOT_RRTYPE_DNSKEY,
	                      &s->signed_dnskey, "signed", why, whylen)) != 0 ||
	    (ret = hs_sync_rdataset_from_json(json_object_get(j, "pushed"), &s->pushed, "pushed", why,
	                         whylen)) != 0 ||
	    (ret = hs_sync_rdataset_from_json(json_object_get(j, "planned"), &s->planned, "planned", why,
	                         whylen)) != 0 ||
	    (ret = hs_sync_rdataset_from_json(json_object_get(j, "held"), &s->held, "held", why, whylen)) != 0) {
		return ret;
	}
	hs_msg_content_t cc = { { NULL } };
	ret = content_from(s, json_object_get(j, "carried"), &cc, "carried", why, whylen);
	memcpy(s->carried, cc.rr, sizeof(cc.rr));
	if (ret != HS_EOK) {
		return ret;
	}
	json_t *provs = json_object_get(j, "providers");
	if (!json_is_array(provs) || json_array_size(provs) > HS_SYNC_MAX_PROVIDERS) {
		return bad(why, whylen, "providers", "not an array");
	}
	if (prov_reserve(s, json_array_size(provs)) != HS_EOK) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(provs); i++) {
		json_t *o = json_array_get(provs, i);
		prov_t *p = &s->prov[s->nprov];
		memset(p, 0, sizeof(*p));
		if ((ret = dname_from(json_object_get(o, "identity"), p->id, "providers.identity",
		                      why, whylen)) != 0) {
			return ret;
		}
		json_t *g = json_object_get(o, "gates");
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > HS_SYNC_G_ALL) {
			return bad(why, whylen, "providers.gates", "missing or out of range");
		}
		p->gates = (unsigned)json_integer_value(g);
		p->have = json_is_true(json_object_get(o, "have"));
		p->received = (time_t)json_integer_value(json_object_get(o, "received"));
		s->nprov++;
		ret = content_from(s, json_object_get(o, "part"), &p->part, "providers.part", why,
		                   whylen);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return own_recompute(s);
}

int hs_sync_from_json(const json_t *j, const hs_sync_limits_t *lim, hs_sync_t **out,
                      char *why, size_t whylen)
{
	if (j == NULL || out == NULL) {
		return HS_EINVAL;
	}
	if (!json_is_object(j)) {
		return bad(why, whylen, "sync", "not an object");
	}
	hs_sync_t *s = NULL;
	int ret = hs_sync_new((const knot_dname_t *)"", (const knot_dname_t *)"", lim, &s);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = from_json(s, j, why, whylen);
	if (ret != HS_EOK) {
		hs_sync_free(s);
		return ret;
	}
	*out = s;
	return HS_EOK;
}

/* ---- atomic JSON file ------------------------------------------------------ */

int hs_sync_write_json(const json_t *j, const char *path)
{
	if (j == NULL || path == NULL) {
		return HS_EINVAL;
	}
	const hs_state_opts_t o = { .mode = 0644 };
	return hs_state_write_json(path, j, JSON_INDENT(1) | JSON_SORT_KEYS, &o);
}
