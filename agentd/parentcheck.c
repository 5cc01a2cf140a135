/*
 * agentd/parentcheck.c -- the scanner's rules the parent's UPDATE receiver
 * applies to an accepted UPDATE before it goes to the primary: every DS
 * added must match a DNSKEY the child serves (CDS scanner, RFC 7344), and
 * NS and glue must match what the child serves (CSYNC scanner, RFC 7477).
 * The look-ups are the caller's (parentd.c, parentns.c). See parent.h.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/parent.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "libhsync/why.h"

int hs_parent_ds_check(const hs_chgs_t *chgs, const knot_dname_t *child,
                       const knot_rrset_t *dnskey, char *why, size_t whylen)
{
	if (chgs == NULL || child == NULL) {
		return HS_EINVAL;
	}
	char cname[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(child, cname, sizeof(cname));
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (c->op != HS_CHG_ADD || c->type != KNOT_RRTYPE_DS || !hs_dname_equal(c->owner, child)) {
			continue;
		}
		if (c->len < 5) {
			if (why != NULL) {
				snprintf(why, whylen, "DS of %s too short", cname);
			}
			return HS_ENOTFOUND;
		}
		uint16_t tag = knot_wire_read_u16(c->rdata);
		uint8_t digest = c->rdata[3];
		if (digest != HS_DS_SHA256 && digest != HS_DS_SHA384) {
			if (why != NULL) {
				snprintf(why, whylen, "DS %u of %s: digest type %u not checked", tag, cname, digest);
			}
			return HS_EDIGEST;
		}
		bool found = false;
		knot_rdata_t *rd = dnskey != NULL ? dnskey->rrs.rdata : NULL;
		for (uint16_t j = 0; !found && dnskey != NULL && j < dnskey->rrs.count;
		     j++, rd = knot_rdataset_next(rd)) {
			uint8_t ds[HS_DS_MAXLEN];
			size_t len = 0;
			found = hs_dnssec_ds(child, rd->data, rd->len, digest, ds, sizeof(ds), &len) == HS_EOK &&
			        len == c->len && memcmp(ds, c->rdata, len) == 0;
		}
		if (!found) {
			if (why != NULL) {
				snprintf(why, whylen, "DS %u of %s matches no DNSKEY the child serves", tag, cname);
			}
			return HS_ENOTFOUND;
		}
	}
	return HS_EOK;
}

/* ---- the CSYNC scanner's NS and glue rule ----------------------------------------------- */

static bool glue_type(uint16_t type)
{
	return type == KNOT_RRTYPE_A || type == KNOT_RRTYPE_AAAA;
}

/* A change of the NS RRset at CHILD or of glue below it. */
static bool ns_or_glue(const hs_chg_t *c, const knot_dname_t *child)
{
	if (hs_dname_equal(c->owner, child)) {
		return c->type == KNOT_RRTYPE_NS;
	}
	return glue_type(c->type) && hs_dname_in_zone(c->owner, child);
}

bool hs_parent_touches_ns(const hs_chgs_t *chgs, const knot_dname_t *child)
{
	for (size_t i = 0; chgs != NULL && child != NULL && i < chgs->n; i++) {
		if (ns_or_glue(&chgs->v[i], child)) {
			return true;
		}
	}
	return false;
}

/* An NS RDATA that holds one whole name. */
static bool ns_rdata_ok(const uint8_t *rdata, uint16_t len)
{
	return rdata != NULL && len > 0 && knot_dname_wire_check(rdata, rdata + len, NULL) == len;
}

/* The same RDATA of TYPE: NS targets compared case-insensitively, the rest byte for byte. */
static bool same_rdata(uint16_t type, const uint8_t *a, uint16_t alen, const uint8_t *b,
                       uint16_t blen)
{
	if (type == KNOT_RRTYPE_NS) {
		return ns_rdata_ok(a, alen) && ns_rdata_ok(b, blen) && hs_dname_equal(a, b);
	}
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Whether SET (may be NULL) holds RDATA. */
static bool set_has(const knot_rrset_t *set, uint16_t type, const uint8_t *rdata, uint16_t len)
{
	knot_rdata_t *rd = set != NULL ? set->rrs.rdata : NULL;
	for (uint16_t i = 0; set != NULL && i < set->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (same_rdata(type, rd->data, rd->len, rdata, len)) {
			return true;
		}
	}
	return false;
}

/*
 * RDATA at OWNER/TYPE after CHGS, applied in order: 1 present, 0 absent,
 * -1 when no change decides it.
 */
static int after(const hs_chgs_t *chgs, const knot_dname_t *owner, uint16_t type,
                 const uint8_t *rdata, uint16_t len)
{
	int st = -1;
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (c->type != type || !hs_dname_equal(c->owner, owner)) {
			continue;
		}
		if (c->op == HS_CHG_DEL_RRSET) {
			st = 0;
		} else if (same_rdata(type, c->rdata, c->len, rdata, len)) {
			st = c->op == HS_CHG_ADD ? 1 : 0;
		}
	}
	return st;
}

/* Whether change I is the first in CHGS of its owner and type. */
static bool first_of(const hs_chgs_t *chgs, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (chgs->v[k].type == chgs->v[i].type &&
		    hs_dname_equal(chgs->v[k].owner, chgs->v[i].owner)) {
			return false;
		}
	}
	return true;
}

/* Whether the NS RRset NS (may be NULL) names NAME. */
static bool ns_names(const knot_rrset_t *ns, const knot_dname_t *name)
{
	return set_has(ns, KNOT_RRTYPE_NS, name, knot_dname_size(name));
}

/* RDATA of an NS, A or AAAA as text, for reasons. */
static const char *rdata_text(uint16_t type, const uint8_t *rdata, uint16_t len, char *buf,
                              size_t size)
{
	if (type == KNOT_RRTYPE_NS && ns_rdata_ok(rdata, len)) {
		return hs_dname_text(rdata, buf, size);
	}
	if ((type == KNOT_RRTYPE_A && len == 4 && inet_ntop(AF_INET, rdata, buf, size) != NULL) ||
	    (type == KNOT_RRTYPE_AAAA && len == 16 && inet_ntop(AF_INET6, rdata, buf, size) != NULL)) {
		return buf;
	}
	snprintf(buf, size, "(%u bytes)", len);
	return buf;
}

/*
 * The RRset OWNER/TYPE that CHGS change, against SERVED, what the child
 * (CNAME, for reasons) serves there.
 */
static int check_set(const hs_chgs_t *chgs, const knot_dname_t *owner, uint16_t type,
                     const knot_rrset_t *served, const char *cname, char *why, size_t whylen)
{
	char oname[KNOT_DNAME_TXT_MAXLEN + 1], tname[32], data[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(owner, oname, sizeof(oname));
	hs_rrtype_text(type, tname, sizeof(tname));
	bool ns = type == KNOT_RRTYPE_NS;
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (c->op == HS_CHG_DEL_RRSET || c->type != type || !hs_dname_equal(c->owner, owner)) {
			continue;
		}
		if (ns && !ns_rdata_ok(c->rdata, c->len)) {
			return hs_why(why, whylen, HS_EINVAL, "NS RDATA of %s malformed", oname);
		}
		int st = after(chgs, owner, type, c->rdata, c->len);
		bool has = set_has(served, type, c->rdata, c->len);
		rdata_text(type, c->rdata, c->len, data, sizeof(data));
		if (st == 1 && !has) {
			return ns ? hs_why(why, whylen, HS_ENOTFOUND,
			                    "NS %s is not in the NS RRset %s serves", data, cname) :
			            hs_why(why, whylen, HS_ENOTFOUND,
			                    "glue %s %s %s is not an address %s serves for %s", oname,
			                    tname, data, cname, oname);
		}
		if (st == 0 && has) {
			return ns ? hs_why(why, whylen, HS_EEXIST,
			                    "NS %s deleted, but %s still serves it", data, cname) :
			            hs_why(why, whylen, HS_EEXIST,
			                    "glue %s %s %s deleted, but %s still serves it", oname, tname,
			                    data, cname);
		}
	}
	knot_rdata_t *rd = served != NULL ? served->rrs.rdata : NULL;
	for (uint16_t i = 0; served != NULL && i < served->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (after(chgs, owner, type, rd->data, rd->len) == 0) {
			rdata_text(type, rd->data, rd->len, data, sizeof(data));
			return hs_why(why, whylen, HS_EEXIST,
			               "the UPDATE replaces the %s RRset of %s without %s, which %s serves",
			               tname, oname, data, cname);
		}
	}
	return HS_EOK;
}

static const knot_rrset_t *glue_of(const knot_rrset_t *glue, size_t n, const knot_dname_t *owner,
                                   uint16_t type)
{
	for (size_t i = 0; glue != NULL && i < n; i++) {
		if (glue[i].type == type && glue[i].owner != NULL && hs_dname_equal(glue[i].owner, owner)) {
			return &glue[i];
		}
	}
	return NULL;
}

int hs_parent_glue_lookups(const hs_chgs_t *chgs, const knot_dname_t *child,
                           const knot_rrset_t *ns, hs_parent_glueq_t *out, size_t max, size_t *n)
{
	if (chgs == NULL || child == NULL || n == NULL || (out == NULL && max > 0)) {
		return HS_EINVAL;
	}
	*n = 0;
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (!ns_or_glue(c, child) || c->type == KNOT_RRTYPE_NS || !first_of(chgs, i) ||
		    !ns_names(ns, c->owner)) {
			continue;
		}
		if (*n == max) {
			return HS_ESPACE;
		}
		knot_dname_copy_lower(out[*n].owner, c->owner);
		out[*n].type = c->type;
		(*n)++;
	}
	return HS_EOK;
}

int hs_parent_ns_check(const hs_chgs_t *chgs, const knot_dname_t *child, const knot_rrset_t *ns,
                       const knot_rrset_t *glue, size_t nglue, char *why, size_t whylen)
{
	if (chgs == NULL || child == NULL) {
		return HS_EINVAL;
	}
	if (!hs_parent_touches_ns(chgs, child)) {
		return HS_EOK;
	}
	char cname[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(child, cname, sizeof(cname));
	if (ns == NULL || ns->rrs.count == 0) {
		return hs_why(why, whylen, HS_ENOTFOUND, "%s serves no NS RRset", cname);
	}
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (!ns_or_glue(c, child) || !first_of(chgs, i)) {
			continue;
		}
		int ret;
		if (c->type == KNOT_RRTYPE_NS) {
			ret = check_set(chgs, child, KNOT_RRTYPE_NS, ns, cname, why, whylen);
		} else if (ns_names(ns, c->owner)) {
			ret = check_set(chgs, c->owner, c->type, glue_of(glue, nglue, c->owner, c->type),
			                cname, why, whylen);
		} else {
			/* not a nameserver of the child: no glue may be added there */
			ret = HS_EOK;
			for (size_t k = i; ret == HS_EOK && k < chgs->n; k++) {
				const hs_chg_t *a = &chgs->v[k];
				if (a->op != HS_CHG_ADD || a->type != c->type || !hs_dname_equal(a->owner, c->owner) ||
				    after(chgs, a->owner, a->type, a->rdata, a->len) != 1) {
					continue;
				}
				char oname[KNOT_DNAME_TXT_MAXLEN + 1], tname[32], data[64];
				ret = hs_why(why, whylen, HS_ENOTFOUND,
				              "glue %s %s %s: %s is not a nameserver in the NS RRset %s serves",
				              hs_dname_text(a->owner, oname, sizeof(oname)),
				              hs_rrtype_text(a->type, tname, sizeof(tname)),
				              rdata_text(a->type, a->rdata, a->len, data, sizeof(data)), oname,
				              cname);
			}
		}
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return HS_EOK;
}
