/*
 * agentd/sync.c -- own part, peers' parts and the merge for one zone:
 * the providers, the inputs (HSYNC, our signer, our NS), receiving a
 * peer's part, gates and holds, and the outputs. The plan for the
 * combiner is in syncplan.c, the JSON state in syncstate.c.
 * See sync.h for the rules; this file only implements them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/sync.h"
#include "agentd/syncint.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"

/* Copy of SRC as an RRset of the zone (NULL for NULL or empty). */
int hs_sync_rrset_dup(const hs_sync_t *s, const knot_rrset_t *src, uint16_t type,
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
int hs_sync_prov_reserve(hs_sync_t *s, size_t need)
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
	    hs_sync_prov_reserve(s, s->nprov + 1) != HS_EOK) {
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

/* own = signed DNSKEY minus pushed. */
int hs_sync_own_recompute(hs_sync_t *s)
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
	if (hs_sync_prov_reserve(s, need) != HS_EOK) {
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

int hs_sync_set_own_ns(hs_sync_t *s, const knot_rrset_t *ns)
{
	if (s == NULL || (ns != NULL && ns->type != KNOT_RRTYPE_NS)) {
		return HS_EINVAL;
	}
	knot_rrset_t *c = NULL;
	int ret = hs_sync_rrset_dup(s, ns, KNOT_RRTYPE_NS, &c);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_rrset_free(s->own_ns, NULL);
	s->own_ns = c;
	return HS_EOK;
}

/* Pushed keys that are nowhere any more (not planned, carried or served) go. */
int hs_sync_pushed_prune(hs_sync_t *s)
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
	int ret = hs_sync_rrset_dup(s, dnskey, KNOT_RRTYPE_DNSKEY, &c);
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
	ret = hs_sync_pushed_prune(s);
	if (ret == HS_EOK) {
		ret = hs_sync_own_recompute(s);
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
		ret = hs_sync_rrset_dup(s, part->rr[i], hs_msg_sync_type(i), &c.rr[i]);
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
		ret = hs_sync_rrset_dup(s, s->own_ns, KNOT_RRTYPE_NS, &out->rr[HS_MSG_T_NS]);
	}
	if (ret != HS_EOK) {
		part_clear(out);
	}
	return ret;
}
