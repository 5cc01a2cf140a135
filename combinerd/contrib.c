/*
 * combinerd/contrib.c -- contributions store, RFC 2136 UPDATE on it, JSON state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/keytag.h>
#include <sodium.h>

#include "combinerd/contrib.h"
#include "combinerd/journal.h"
#include "libhsync/error.h"

#define FORMAT "hsync-contributions-1"

const uint16_t hs_contrib_types[HS_CONTRIB_NTYPES] = {
	KNOT_RRTYPE_NS, KNOT_RRTYPE_KEY, KNOT_RRTYPE_DNSKEY, KNOT_RRTYPE_CDS,
	KNOT_RRTYPE_CDNSKEY, KNOT_RRTYPE_CSYNC,
};

typedef struct {
	bool present;
	uint32_t ttl;
	knot_rdataset_t rrs;   /* malloc'd; non-empty when present */
	char *from;
} slot_t;

struct hs_contrib {
	knot_dname_t *apex;
	bool allow_key;        /* an UPDATE may change KEY (policy, not content) */
	slot_t s[HS_CONTRIB_NTYPES];
};

static int type_index(uint16_t type)
{
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		if (hs_contrib_types[i] == type) {
			return i;
		}
	}
	return -1;
}

bool hs_contrib_type_ok(uint16_t type)
{
	return type_index(type) >= 0;
}

static void slot_clear(slot_t *s)
{
	knot_rdataset_clear(&s->rrs, NULL);
	free(s->from);
	memset(s, 0, sizeof(*s));
}

static int set_from(slot_t *s, const char *from)
{
	char *f = strdup(from != NULL ? from : "");
	if (f == NULL) {
		return HS_ENOMEM;
	}
	free(s->from);
	s->from = f;
	return HS_EOK;
}

int hs_contrib_new(const knot_dname_t *apex, hs_contrib_t **out)
{
	if (apex == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_contrib_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return HS_ENOMEM;
	}
	c->apex = knot_dname_copy(apex, NULL);
	if (c->apex == NULL) {
		free(c);
		return HS_ENOMEM;
	}
	knot_dname_to_lower(c->apex);
	*out = c;
	return HS_EOK;
}

void hs_contrib_free(hs_contrib_t *c)
{
	if (c == NULL) {
		return;
	}
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		slot_clear(&c->s[i]);
	}
	knot_dname_free(c->apex, NULL);
	free(c);
}

int hs_contrib_copy(const hs_contrib_t *c, hs_contrib_t **out)
{
	hs_contrib_t *n = NULL;
	int ret = hs_contrib_new(c->apex, &n);
	if (ret == HS_EOK) {
		n->allow_key = c->allow_key;
	}
	for (int i = 0; ret == HS_EOK && i < HS_CONTRIB_NTYPES; i++) {
		const slot_t *s = &c->s[i];
		if (!s->present) {
			continue;
		}
		n->s[i].present = true;
		n->s[i].ttl = s->ttl;
		if (knot_rdataset_copy(&n->s[i].rrs, &s->rrs, NULL) != KNOT_EOK) {
			ret = HS_ENOMEM;
		} else {
			ret = set_from(&n->s[i], s->from);
		}
	}
	if (ret != HS_EOK) {
		hs_contrib_free(n);
		return ret;
	}
	*out = n;
	return HS_EOK;
}

/* Move b's content into a (a's old content freed); b is freed. */
static void take(hs_contrib_t *a, hs_contrib_t *b)
{
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		slot_clear(&a->s[i]);
		a->s[i] = b->s[i];
		memset(&b->s[i], 0, sizeof(b->s[i]));
	}
	hs_contrib_free(b);
}

const knot_dname_t *hs_contrib_apex(const hs_contrib_t *c)
{
	return c->apex;
}

void hs_contrib_allow_key(hs_contrib_t *c, bool allow)
{
	if (c != NULL) {
		c->allow_key = allow;
	}
}

static void slot_view(const hs_contrib_t *c, const slot_t *s, uint16_t type, knot_rrset_t *out)
{
	knot_rrset_init(out, c->apex, type, KNOT_CLASS_IN, s->ttl);
	out->rrs = s->rrs;
}

int hs_contrib_get(const hs_contrib_t *c, uint16_t type, knot_rrset_t *out,
                   const char **from)
{
	int i = type_index(type);
	if (i < 0) {
		return HS_EINVAL;
	}
	if (!c->s[i].present) {
		return HS_ENOTFOUND;
	}
	if (out != NULL) {
		slot_view(c, &c->s[i], type, out);
	}
	if (from != NULL) {
		*from = c->s[i].from != NULL ? c->s[i].from : "";
	}
	return HS_EOK;
}

int hs_contrib_set(hs_contrib_t *c, const knot_rrset_t *rr, const char *from)
{
	if (rr == NULL || rr->owner == NULL) {
		return HS_EINVAL;
	}
	int i = type_index(rr->type);
	if (i < 0) {
		return HS_EINVAL;
	}
	if (!hs_dname_equal(rr->owner, c->apex)) {
		return KNOT_EOUTOFZONE;
	}
	slot_t n = { 0 };
	if (rr->rrs.count > 0) {
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count; k++) {
			if (knot_rdataset_add(&n.rrs, rd, NULL) != KNOT_EOK) {
				slot_clear(&n);
				return HS_ENOMEM;
			}
			rd = knot_rdataset_next(rd);
		}
		n.present = true;
		n.ttl = rr->ttl;
		if (set_from(&n, from) != HS_EOK) {
			slot_clear(&n);
			return HS_ENOMEM;
		}
	}
	slot_clear(&c->s[i]);
	c->s[i] = n;
	return HS_EOK;
}

size_t hs_contrib_count(const hs_contrib_t *c)
{
	size_t n = 0;
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		n += c->s[i].present;
	}
	return n;
}

static bool slot_equal(const slot_t *a, const slot_t *b)
{
	if (a->present != b->present) {
		return false;
	}
	return !a->present || (a->ttl == b->ttl && knot_rdataset_eq(&a->rrs, &b->rrs));
}

bool hs_contrib_equal(const hs_contrib_t *a, const hs_contrib_t *b)
{
	if (!hs_dname_equal(a->apex, b->apex)) {
		return false;
	}
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		if (!slot_equal(&a->s[i], &b->s[i])) {
			return false;
		}
	}
	return true;
}

/* ---- reports ---------------------------------------------------------------------- */

void hs_contrib_report_clear(hs_contrib_report_t *r)
{
	if (r == NULL) {
		return;
	}
	for (unsigned i = 0; i < r->n; i++) {
		knot_rrset_free(r->d[i].removed, NULL);
		knot_rrset_free(r->d[i].added, NULL);
	}
	memset(r, 0, sizeof(*r));
}

/* New RRset of the RDATA in a but not in b (NULL if none). */
static int minus(const hs_contrib_t *c, uint16_t type, uint32_t ttl, const knot_rdataset_t *a,
                 const knot_rdataset_t *b, knot_rrset_t **out)
{
	*out = NULL;
	knot_rdataset_t d;
	if (knot_rdataset_copy(&d, a, NULL) != KNOT_EOK) {
		return HS_ENOMEM;
	}
	if (b != NULL && knot_rdataset_subtract(&d, b, NULL) != KNOT_EOK) {
		knot_rdataset_clear(&d, NULL);
		return HS_ENOMEM;
	}
	if (d.count == 0) {
		return HS_EOK;
	}
	knot_rrset_t *rr = knot_rrset_new(c->apex, type, KNOT_CLASS_IN, ttl, NULL);
	if (rr == NULL) {
		knot_rdataset_clear(&d, NULL);
		return HS_ENOMEM;
	}
	rr->rrs = d;
	*out = rr;
	return HS_EOK;
}

int hs_contrib_compare(const hs_contrib_t *a, const hs_contrib_t *b, hs_contrib_report_t *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		const slot_t *x = &a->s[i], *y = &b->s[i];
		if (slot_equal(x, y)) {
			continue;
		}
		hs_contrib_delta_t *d = &r->d[r->n++];
		d->type = hs_contrib_types[i];
		d->before = x->present;
		d->after = y->present;
		bool whole = !x->present || !y->present || x->ttl != y->ttl;
		int ret = HS_EOK;
		if (x->present) {
			ret = minus(a, d->type, x->ttl, &x->rrs, whole ? NULL : &y->rrs, &d->removed);
		}
		if (ret == HS_EOK && y->present) {
			ret = minus(b, d->type, y->ttl, &y->rrs, whole ? NULL : &x->rrs, &d->added);
		}
		if (ret != HS_EOK) {
			hs_contrib_report_clear(r);
			return ret;
		}
	}
	return HS_EOK;
}

typedef struct {
	char *p;
	size_t left;
	bool full;
} out_t;

static void put(out_t *o, const char *fmt, ...)
{
	if (o->full) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p, o->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->left) {
		o->full = true;
		return;
	}
	o->p += n;
	o->left -= (size_t)n;
}

static void put_rdata(out_t *o, uint16_t type, const knot_rdata_t *rd, const knot_dname_t *apex)
{
	uint16_t tag = 0;
	if (type == KNOT_RRTYPE_DNSKEY || type == KNOT_RRTYPE_CDNSKEY ||
	    type == KNOT_RRTYPE_KEY) {
		dnssec_binary_t bin = { .size = rd->len, .data = (uint8_t *)rd->data };
		if (dnssec_keytag(&bin, &tag) == DNSSEC_EOK) {
			put(o, "%u", tag);
			return;
		}
	} else if (type == KNOT_RRTYPE_CDS && rd->len >= 2) {
		put(o, "%u", knot_wire_read_u16(rd->data));
		return;
	}
	char buf[512];
	uint8_t rbuf[8 + 65536];
	knot_rrset_t one;
	knot_rrset_init(&one, (knot_dname_t *)apex, type, KNOT_CLASS_IN, 0);
	one.rrs.count = 1;
	one.rrs.size = (uint32_t)knot_rdata_size(rd->len);
	one.rrs.rdata = (knot_rdata_t *)rbuf;
	memcpy(rbuf, rd, one.rrs.size);
	if (knot_rrset_txt_dump_data(&one, 0, buf, sizeof(buf), &KNOT_DUMP_STYLE_DEFAULT) < 0) {
		snprintf(buf, sizeof(buf), "(%u bytes)", rd->len);
	}
	put(o, "%s", buf);
}

static void put_set(out_t *o, char sign, const knot_rrset_t *rr, const knot_dname_t *apex)
{
	if (rr == NULL) {
		return;
	}
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count; i++) {
		put(o, " %c", sign);
		put_rdata(o, rr->type, rd, apex);
		rd = knot_rdataset_next(rd);
	}
}

void hs_contrib_report_str(const hs_contrib_report_t *r, char *buf, size_t len)
{
	if (buf == NULL || len == 0) {
		return;
	}
	out_t o = { buf, len, false };
	buf[0] = '\0';
	if (r == NULL || r->n == 0) {
		put(&o, "no change");
	}
	for (unsigned i = 0; r != NULL && i < r->n; i++) {
		const hs_contrib_delta_t *d = &r->d[i];
		char type[32];
		knot_rrtype_to_string(d->type, type, sizeof(type));
		put(&o, "%s%s", i > 0 ? "; " : "", type);
		const knot_dname_t *apex = d->removed ? d->removed->owner :
		                           d->added ? d->added->owner : (const uint8_t *)"";
		if (!d->after) {
			put(&o, " withdrawn (owner's again):");
		} else if (!d->before) {
			put(&o, " contributed:");
		}
		put_set(&o, '+', d->added, apex);
		put_set(&o, '-', d->removed, apex);
		if (d->added != NULL && d->removed != NULL &&
		    d->added->ttl != d->removed->ttl) {
			put(&o, " (TTL %u -> %u)", d->removed->ttl, d->added->ttl);
		}
	}
	if (o.full && len >= 4) {
		strcpy(buf + len - 4, "...");
	}
}

/* ---- UPDATE ------------------------------------------------------------------------ */

static bool is_meta(uint16_t type)
{
	return type == KNOT_RRTYPE_ANY || type == KNOT_RRTYPE_AXFR || type == KNOT_RRTYPE_IXFR ||
	       type == 253 /* MAILB */ || type == 254 /* MAILA */;
}

/* RDLENGTH of a one-RR set as parsed (0 when there is no RDATA at all). */
static uint16_t rdlen(const knot_rrset_t *rr)
{
	uint32_t total = 0;
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count; i++) {
		total += rd->len;
		rd = knot_rdataset_next(rd);
	}
	return total > UINT16_MAX ? UINT16_MAX : (uint16_t)total;
}

/* The combined view: contributions over the apex of view. */
static bool view_rrset(const hs_contrib_t *c, const hs_zone_t *view, const knot_dname_t *owner,
                       uint16_t type, knot_rdataset_t *out)
{
	int i = type_index(type);
	if (i >= 0 && hs_dname_equal(owner, c->apex) && c->s[i].present) {
		*out = c->s[i].rrs;
		return true;
	}
	knot_rrset_t v;
	if (view != NULL && hs_zone_find(view, owner, type, &v) == HS_EOK) {
		*out = v.rrs;
		return true;
	}
	return false;
}

static bool view_name(const hs_contrib_t *c, const hs_zone_t *view, const knot_dname_t *owner)
{
	if (hs_dname_equal(owner, c->apex)) {
		return true;
	}
	return view != NULL && hs_zone_has_name(view, owner);
}

typedef struct {
	uint16_t *rcode;
	char *why;
	size_t whylen;
} verdict_t;

static int refuse(verdict_t *v, uint16_t rcode, const knot_rrset_t *rr, const char *fmt, ...)
{
	*v->rcode = rcode;
	if (v->why != NULL && v->whylen > 0) {
		char tmp[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(tmp, sizeof(tmp), fmt, ap);
		va_end(ap);
		if (rr != NULL) {
			char owner[KNOT_DNAME_TXT_MAXLEN + 1] = "?", type[32] = "?";
			knot_dname_to_str(owner, rr->owner, sizeof(owner));
			knot_rrtype_to_string(rr->type, type, sizeof(type));
			snprintf(v->why, v->whylen, "%s (%s %s class %u)", tmp, owner, type,
			         rr->rclass);
		} else {
			snprintf(v->why, v->whylen, "%s", tmp);
		}
	}
	return HS_EOK;
}

static int check_prereqs(const hs_contrib_t *c, const knot_pkt_t *pkt, const hs_zone_t *view,
                         verdict_t *v, bool *failed)
{
	*failed = true;
	const knot_pktsection_t *sec = knot_pkt_section(pkt, KNOT_ANSWER);
	hs_zone_t *temp = NULL;
	int ret = hs_zone_new(c->apex, KNOT_CLASS_IN, &temp);
	if (ret != HS_EOK) {
		return ret;
	}
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->ttl != 0) {
			hs_zone_free(temp);
			return refuse(v, KNOT_RCODE_FORMERR, rr, "prerequisite with TTL not 0");
		}
		if (!hs_dname_in_zone(rr->owner, c->apex)) {
			hs_zone_free(temp);
			return refuse(v, KNOT_RCODE_NOTZONE, rr, "prerequisite outside the zone");
		}
		knot_rdataset_t cur;
		if (rr->rclass == KNOT_CLASS_ANY || rr->rclass == KNOT_CLASS_NONE) {
			bool any = rr->rclass == KNOT_CLASS_ANY;
			if (rdlen(rr) != 0) {
				hs_zone_free(temp);
				return refuse(v, KNOT_RCODE_FORMERR, rr, "prerequisite with RDATA");
			}
			if (rr->type == KNOT_RRTYPE_ANY) {
				bool has = view_name(c, view, rr->owner);
				if (any && !has) {
					hs_zone_free(temp);
					return refuse(v, KNOT_RCODE_NXDOMAIN, rr, "name not in use");
				}
				if (!any && has) {
					hs_zone_free(temp);
					return refuse(v, KNOT_RCODE_YXDOMAIN, rr, "name in use");
				}
			} else {
				bool has = view_rrset(c, view, rr->owner, rr->type, &cur);
				if (any && !has) {
					hs_zone_free(temp);
					return refuse(v, KNOT_RCODE_NXRRSET, rr, "RRset does not exist");
				}
				if (!any && has) {
					hs_zone_free(temp);
					return refuse(v, KNOT_RCODE_YXRRSET, rr, "RRset exists");
				}
			}
		} else if (rr->rclass == KNOT_CLASS_IN) {
			if (is_meta(rr->type) || rr->rrs.count == 0) {
				hs_zone_free(temp);
				return refuse(v, KNOT_RCODE_FORMERR, rr, "bad value-dependent prerequisite");
			}
			ret = hs_zone_add(temp, rr, NULL);
			if (ret != HS_EOK) {
				hs_zone_free(temp);
				return ret;
			}
		} else {
			hs_zone_free(temp);
			return refuse(v, KNOT_RCODE_FORMERR, rr, "prerequisite of another class");
		}
	}
	hs_zone_iter_t it;
	knot_rrset_t want;
	ret = hs_zone_iter_begin(temp, 0, &it);
	const knot_dname_t *sig_owner = NULL;
	while (ret == HS_EOK && hs_zone_iter_next(&it, &want)) {
		if (want.type == KNOT_RRTYPE_RRSIG) {
			/* The zone iterates RRSIGs per covered type; the prerequisite
			 * (RFC 2136 3.2.3) is the whole RRSIG RRset at the name. */
			if (sig_owner != NULL && knot_dname_is_equal(sig_owner, want.owner)) {
				continue;
			}
			sig_owner = want.owner;
			knot_rrset_t all;
			if (hs_zone_find(temp, want.owner, KNOT_RRTYPE_RRSIG, &all) == HS_EOK) {
				want.rrs = all.rrs;
			}
		}
		knot_rdataset_t cur;
		if (!view_rrset(c, view, want.owner, want.type, &cur) ||
		    !knot_rdataset_eq(&cur, &want.rrs)) {
			refuse(v, KNOT_RCODE_NXRRSET, &want, "RRset differs from the prerequisite");
			hs_zone_free(temp);
			return HS_EOK;
		}
	}
	hs_zone_free(temp);
	if (ret == HS_EOK) {
		*failed = false;
	}
	return ret;
}

static int check_updates(const hs_contrib_t *c, const knot_pkt_t *pkt, verdict_t *v, bool *failed)
{
	*failed = true;
	const knot_pktsection_t *sec = knot_pkt_section(pkt, KNOT_AUTHORITY);
	/* RFC 2136 3.4.1: prescan. */
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (!hs_dname_in_zone(rr->owner, c->apex)) {
			return refuse(v, KNOT_RCODE_NOTZONE, rr, "update outside the zone");
		}
		if (rr->rclass == KNOT_CLASS_IN) {
			if (is_meta(rr->type) || rr->rrs.count == 0) {
				return refuse(v, KNOT_RCODE_FORMERR, rr, "bad RR to add");
			}
		} else if (rr->rclass == KNOT_CLASS_ANY) {
			if (rr->ttl != 0 || rdlen(rr) != 0 || (is_meta(rr->type) &&
			    rr->type != KNOT_RRTYPE_ANY)) {
				return refuse(v, KNOT_RCODE_FORMERR, rr, "bad RRset delete");
			}
		} else if (rr->rclass == KNOT_CLASS_NONE) {
			if (rr->ttl != 0 || is_meta(rr->type) || rr->rrs.count == 0) {
				return refuse(v, KNOT_RCODE_FORMERR, rr, "bad RR delete");
			}
		} else {
			return refuse(v, KNOT_RCODE_FORMERR, rr, "update of another class");
		}
	}
	/* Policy: the apex, the five types, KEY where the zone allows it. */
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (!hs_dname_equal(rr->owner, c->apex)) {
			return refuse(v, KNOT_RCODE_REFUSED, rr, "only the apex may be updated");
		}
		if (rr->type == KNOT_RRTYPE_KEY && !c->allow_key) {
			return refuse(v, KNOT_RCODE_REFUSED, rr,
			              "KEY may be contributed only where the zone has allow-apex-key yes");
		}
		if (!hs_contrib_type_ok(rr->type)) {
			return refuse(v, KNOT_RCODE_REFUSED, rr,
			              "only NS, DNSKEY, CDS, CDNSKEY and CSYNC (and KEY where allowed) "
			              "may be updated");
		}
	}
	*failed = false;
	return HS_EOK;
}

static int apply_updates(hs_contrib_t *c, const knot_pkt_t *pkt, const char *from)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		slot_t *s = &c->s[type_index(rr->type)];
		if (rr->rclass == KNOT_CLASS_ANY) {
			slot_clear(s);
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count; k++) {
			if (rr->rclass == KNOT_CLASS_IN) {
				if (s->rrs.count == UINT16_MAX) {
					return HS_ERANGE;
				}
				if (knot_rdataset_add(&s->rrs, rd, NULL) != KNOT_EOK) {
					return HS_ENOMEM;
				}
				s->present = true;
				s->ttl = rr->ttl;
				if (set_from(s, from) != HS_EOK) {
					return HS_ENOMEM;
				}
			} else if (s->present && knot_rdataset_member(&s->rrs, rd)) {
				if (knot_rdataset_remove(&s->rrs, rd, NULL) != KNOT_EOK) {
					return HS_ENOMEM;
				}
				if (s->rrs.count == 0) {
					slot_clear(s);
				}
			}
			rd = knot_rdataset_next(rd);
		}
	}
	return HS_EOK;
}

int hs_contrib_update(hs_contrib_t *c, const knot_pkt_t *pkt, const hs_zone_t *view,
                      const char *from, const char *path, uint16_t *rcode,
                      hs_contrib_report_t *report, char *why, size_t whylen)
{
	uint16_t dummy;
	if (rcode == NULL) {
		rcode = &dummy;
	}
	*rcode = KNOT_RCODE_SERVFAIL;
	if (why != NULL && whylen > 0) {
		why[0] = '\0';
	}
	if (c == NULL || pkt == NULL || pkt->wire == NULL) {
		return HS_EINVAL;
	}
	verdict_t v = { rcode, why, whylen };
	/* RFC 2136 3.1: the zone section. */
	if (knot_wire_get_opcode(pkt->wire) != KNOT_OPCODE_UPDATE) {
		return refuse(&v, KNOT_RCODE_FORMERR, NULL, "not an UPDATE");
	}
	if (knot_wire_get_qdcount(pkt->wire) != 1 || knot_pkt_qname(pkt) == NULL) {
		return refuse(&v, KNOT_RCODE_FORMERR, NULL, "zone section must hold one RR");
	}
	if (knot_pkt_qtype(pkt) != KNOT_RRTYPE_SOA) {
		return refuse(&v, KNOT_RCODE_FORMERR, NULL, "zone section type is not SOA");
	}
	if (knot_pkt_qclass(pkt) != KNOT_CLASS_IN || !hs_dname_equal(knot_pkt_qname(pkt), c->apex)) {
		char zn[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
		knot_dname_to_str(zn, knot_pkt_qname(pkt), sizeof(zn));
		return refuse(&v, KNOT_RCODE_NOTAUTH, NULL, "not authoritative for zone %s", zn);
	}
	bool failed = false;
	int ret = check_prereqs(c, pkt, view, &v, &failed);
	if (ret != HS_EOK || failed) {
		return ret;
	}
	ret = check_updates(c, pkt, &v, &failed);
	if (ret != HS_EOK || failed) {
		return ret;
	}
	hs_contrib_t *n = NULL;
	ret = hs_contrib_copy(c, &n);
	if (ret == HS_EOK) {
		ret = apply_updates(n, pkt, from);
	}
	if (ret != HS_EOK) {
		hs_contrib_free(n);
		return ret;
	}
	if (hs_contrib_equal(c, n)) {
		hs_contrib_free(n);
		*rcode = KNOT_RCODE_NOERROR;
		return HS_EOK;
	}
	hs_contrib_report_t rep = { 0 };
	if (report != NULL) {
		ret = hs_contrib_compare(c, n, &rep);
	}
	if (ret == HS_EOK && path != NULL) {
		ret = hs_contrib_save(n, path);
	}
	if (ret != HS_EOK) {
		hs_contrib_report_clear(&rep);
		hs_contrib_free(n);
		return ret;
	}
	take(c, n);
	if (report != NULL) {
		*report = rep;
	}
	*rcode = KNOT_RCODE_NOERROR;
	return HS_EOK;
}

/* ---- persistence ------------------------------------------------------------------- */

int hs_contrib_save(const hs_contrib_t *c, const char *path)
{
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	if (c == NULL || path == NULL || knot_dname_to_str(zone, c->apex, sizeof(zone)) == NULL) {
		return HS_EINVAL;
	}
	int ret = HS_ENOMEM;
	json_t *root = json_object(), *sets = json_array();
	if (root == NULL || sets == NULL ||
	    json_object_set_new(root, "format", json_string(FORMAT)) != 0 ||
	    json_object_set_new(root, "zone", json_string(zone)) != 0 ||
	    json_object_set(root, "rrsets", sets) != 0) {
		goto out;
	}
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		const slot_t *s = &c->s[i];
		if (!s->present) {
			continue;
		}
		char type[32];
		knot_rrtype_to_string(hs_contrib_types[i], type, sizeof(type));
		json_t *o = json_object(), *rd = json_array(), *tx = json_array();
		if (o == NULL || rd == NULL || tx == NULL ||
		    json_array_append_new(sets, o) != 0) {
			json_decref(o);
			json_decref(rd);
			json_decref(tx);
			goto out;
		}
		if (json_object_set_new(o, "type", json_string(type)) != 0 ||
		    json_object_set_new(o, "ttl", json_integer(s->ttl)) != 0 ||
		    json_object_set_new(o, "from", json_string(s->from ? s->from : "")) != 0 ||
		    json_object_set_new(o, "rdata", rd) != 0 ||
		    json_object_set_new(o, "text", tx) != 0) {
			goto out;
		}
		knot_rdata_t *r = s->rrs.rdata;
		for (uint16_t k = 0; k < s->rrs.count; k++) {
			size_t blen = sodium_base64_ENCODED_LEN(r->len, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(blen);
			if (b64 == NULL) {
				goto out;
			}
			sodium_bin2base64(b64, blen, r->data, r->len, sodium_base64_VARIANT_ORIGINAL);
			int e = json_array_append_new(rd, json_string(b64));
			free(b64);
			char text[8192];
			knot_rrset_t one;
			knot_rrset_init(&one, c->apex, hs_contrib_types[i], KNOT_CLASS_IN, s->ttl);
			one.rrs.count = 1;
			one.rrs.size = (uint32_t)knot_rdata_size(r->len);
			one.rrs.rdata = r;
			if (knot_rrset_txt_dump_data(&one, 0, text, sizeof(text),
			                             &KNOT_DUMP_STYLE_DEFAULT) < 0) {
				snprintf(text, sizeof(text), "\\# %u", r->len);
			}
			if (e != 0 || json_array_append_new(tx, json_string(text)) != 0) {
				goto out;
			}
			r = knot_rdataset_next(r);
		}
	}
	char *txt = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (txt == NULL) {
		goto out;
	}
	size_t tlen = strlen(txt);
	txt[tlen] = '\n';
	ret = hs_state_write(path, txt, tlen + 1);
	free(txt);
out:
	json_decref(sets);
	json_decref(root);
	return ret;
}

/* Minimal shape check of stored RDATA. */
static bool rdata_ok(uint16_t type, const uint8_t *d, size_t len)
{
	switch (type) {
	case KNOT_RRTYPE_NS:
		return len > 0 && knot_dname_wire_check(d, d + len, NULL) == (int)len;
	case KNOT_RRTYPE_KEY:
	case KNOT_RRTYPE_DNSKEY:
	case KNOT_RRTYPE_CDNSKEY:
		return len >= 4;
	case KNOT_RRTYPE_CDS:
		return len >= 4;
	case KNOT_RRTYPE_CSYNC:
		return len >= 6;
	default:
		return false;
	}
}

static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		char tmp[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(tmp, sizeof(tmp), fmt, ap);
		va_end(ap);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
	return HS_ESYNTAX;
}

static int load_json(hs_contrib_t *c, json_t *root, const char *path, char *err, size_t errlen)
{
	if (!json_is_object(root)) {
		return bad(err, errlen, path, "not a JSON object");
	}
	const char *fmt = json_string_value(json_object_get(root, "format"));
	if (fmt == NULL || strcmp(fmt, FORMAT) != 0) {
		return bad(err, errlen, path, "format is not \"%s\"", FORMAT);
	}
	const char *zone = json_string_value(json_object_get(root, "zone"));
	knot_dname_t *zn = zone != NULL ? knot_dname_from_str_alloc(zone) : NULL;
	bool same = zn != NULL && hs_dname_equal(zn, c->apex);
	knot_dname_free(zn, NULL);
	if (!same) {
		return bad(err, errlen, path, "zone is not this zone");
	}
	json_t *sets = json_object_get(root, "rrsets");
	if (!json_is_array(sets)) {
		return bad(err, errlen, path, "rrsets is not an array");
	}
	size_t i;
	json_t *o;
	json_array_foreach(sets, i, o) {
		const char *tname = json_string_value(json_object_get(o, "type"));
		uint16_t type = 0;
		if (tname == NULL || knot_rrtype_from_string(tname, &type) != 0 ||
		    !hs_contrib_type_ok(type)) {
			return bad(err, errlen, path,
			           "rrsets[%zu]: type is not one of the five (or KEY)", i);
		}
		slot_t *s = &c->s[type_index(type)];
		if (s->present) {
			return bad(err, errlen, path, "rrsets[%zu]: %s twice", i, tname);
		}
		json_t *ttl = json_object_get(o, "ttl");
		if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
		    json_integer_value(ttl) > (json_int_t)UINT32_MAX) {
			return bad(err, errlen, path, "rrsets[%zu]: bad ttl", i);
		}
		json_t *from = json_object_get(o, "from");
		if (from != NULL && !json_is_string(from)) {
			return bad(err, errlen, path, "rrsets[%zu]: from is not a string", i);
		}
		json_t *rd = json_object_get(o, "rdata");
		if (!json_is_array(rd) || json_array_size(rd) == 0) {
			return bad(err, errlen, path, "rrsets[%zu]: rdata is not a non-empty array", i);
		}
		size_t k;
		json_t *b;
		json_array_foreach(rd, k, b) {
			const char *b64 = json_string_value(b);
			uint8_t buf[sizeof(knot_rdata_t) + 65536];
			knot_rdata_t *r = (knot_rdata_t *)buf;
			size_t len = 0;
			if (b64 == NULL ||
			    sodium_base642bin(r->data, 65535, b64, strlen(b64), NULL, &len, NULL,
			                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    !rdata_ok(type, r->data, len)) {
				return bad(err, errlen, path, "rrsets[%zu].rdata[%zu]: bad RDATA", i, k);
			}
			r->len = (uint16_t)len;
			if (len & 1) {
				r->data[len] = 0;
			}
			if (knot_rdataset_add(&s->rrs, r, NULL) != KNOT_EOK) {
				return HS_ENOMEM;
			}
		}
		s->present = true;
		s->ttl = (uint32_t)json_integer_value(ttl);
		if (set_from(s, json_string_value(from)) != HS_EOK) {
			return HS_ENOMEM;
		}
	}
	return HS_EOK;
}

int hs_contrib_load(const knot_dname_t *apex, const char *path, hs_contrib_t **out,
                    char *err, size_t errlen)
{
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	if (path == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_contrib_t *c = NULL;
	int ret = hs_contrib_new(apex, &c);
	if (ret != HS_EOK) {
		return ret;
	}
	uint8_t *data = NULL;
	size_t len = 0;
	ret = hs_state_read(path, &data, &len);
	if (ret == HS_ENOTFOUND) {
		*out = c;
		return HS_EOK;
	}
	if (ret != HS_EOK) {
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: cannot read", path);
		}
		hs_contrib_free(c);
		return ret;
	}
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	if (root == NULL) {
		hs_contrib_free(c);
		return bad(err, errlen, path, "line %d: %s", jerr.line, jerr.text);
	}
	ret = load_json(c, root, path, err, errlen);
	json_decref(root);
	if (ret != HS_EOK) {
		hs_contrib_free(c);
		return ret;
	}
	*out = c;
	return HS_EOK;
}
