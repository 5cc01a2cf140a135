/*
 * hsyncd/catalog.c -- the member zones of a catalog zone (see catalog.h).
 *
 * A member list is one sorted array of (zone, unique-id); each member's two
 * names share one allocation, the zone first, so freeing m.zone frees both.
 * The reader keeps only the records that matter (apex SOA, version TXT,
 * member PTRs) in a common/zone, then both entry points share one pass.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>

#include "common/zone.h"
#include "hsyncd/catalog.h"
#include "libhsync/error.h"

#define NAME_TXT (KNOT_DNAME_TXT_MAXLEN + 1)
#define LINE_MAX_LEN 4608   /* four names of 1004 characters and the words around them */

struct hs_catalog {
	size_t count;
	hs_catalog_member_t *m;
	uint32_t serial;
	knot_dname_t zone[];   /* lowercase wire form */
};

struct hs_catalog_reader {
	hs_zone_t *zone;
	int err;              /* first error of an add (sticky) */
	size_t foreign;       /* RRs of another class or outside the catalog */
	char first_foreign[LINE_MAX_LEN / 2];
};

/* ---- small helpers ------------------------------------------------------------ */

/* A one-label name ("\x02m1\x00") as text without the final dot. */
static void id_text(const knot_dname_t *id, char *buf, size_t cap)
{
	hs_dname_text(id, buf, cap);
	size_t n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.') {
		buf[n - 1] = '\0';
	}
}

static void issue(hs_catalog_issue_f cb, void *ctx, int kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void issue(hs_catalog_issue_f cb, void *ctx, int kind, const char *fmt, ...)
{
	if (cb == NULL) {
		return;
	}
	char line[LINE_MAX_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cb(kind, line, ctx);
}

/* Is name exactly "<label>.<six bytes label>.catalog"? (lab: "\x05zones") */
static bool below_label(const knot_dname_t *name, const char *lab, const knot_dname_t *catalog)
{
	size_t ll = (size_t)lab[0];
	if (name[0] != ll || strncasecmp((const char *)name + 1, lab + 1, ll) != 0) {
		return false;
	}
	return hs_dname_equal(name + 1 + ll, catalog);
}

static bool is_version_name(const knot_dname_t *owner, const knot_dname_t *catalog)
{
	return below_label(owner, "\x07version", catalog);
}

static bool is_member_node(const knot_dname_t *owner, const knot_dname_t *catalog)
{
	return owner[0] != 0 && below_label(owner + 1 + owner[0], "\x05zones", catalog);
}

/* TXT RDATA as quoted strings for a message: "1" "x"; truncated past cap. */
static void txt_text(const uint8_t *d, size_t len, char *buf, size_t cap)
{
	size_t o = 0, i = 0;
	buf[0] = '\0';
	while (i < len && o + 8 < cap) {
		size_t sl = d[i++];
		if (sl > len - i) {
			snprintf(buf + o, cap - o, "%s(malformed)", o > 0 ? " " : "");
			return;
		}
		if (o > 0) {
			buf[o++] = ' ';
		}
		buf[o++] = '"';
		for (size_t k = 0; k < sl && o + 8 < cap; k++) {
			uint8_t c = d[i + k];
			if (c == '"' || c == '\\') {
				o += (size_t)snprintf(buf + o, cap - o, "\\%c", c);
			} else if (c < 0x20 || c > 0x7e) {
				o += (size_t)snprintf(buf + o, cap - o, "\\%03u", c);
			} else {
				buf[o++] = (char)c;
			}
		}
		buf[o++] = '"';
		buf[o] = '\0';
		i += sl;
	}
	if (i < len) {
		snprintf(buf + o, cap - o, "...");
	}
	if (len == 0) {
		snprintf(buf, cap, "empty");
	}
}

/* ---- member lists -------------------------------------------------------------- */

static int catalog_alloc(hs_catalog_t **out, const knot_dname_t *catalog)
{
	size_t nl = knot_dname_size(catalog);
	hs_catalog_t *c = calloc(1, sizeof(*c) + nl);
	if (c == NULL) {
		return HS_ENOMEM;
	}
	memcpy(c->zone, catalog, nl);
	knot_dname_to_lower(c->zone);
	*out = c;
	return 0;
}

int hs_catalog_new_empty(hs_catalog_t **out, const knot_dname_t *catalog)
{
	if (out == NULL || catalog == NULL) {
		return HS_EINVAL;
	}
	return catalog_alloc(out, catalog);
}

static void members_free(hs_catalog_member_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)m[i].zone);
	}
	free(m);
}

void hs_catalog_free(hs_catalog_t *c)
{
	if (c == NULL) {
		return;
	}
	members_free(c->m, c->count);
	free(c);
}

const knot_dname_t *hs_catalog_zone(const hs_catalog_t *c)
{
	return c != NULL ? c->zone : NULL;
}

size_t hs_catalog_count(const hs_catalog_t *c)
{
	return c != NULL ? c->count : 0;
}

const hs_catalog_member_t *hs_catalog_at(const hs_catalog_t *c, size_t i)
{
	return (c != NULL && i < c->count) ? &c->m[i] : NULL;
}

uint32_t hs_catalog_serial(const hs_catalog_t *c)
{
	return c != NULL ? c->serial : 0;
}

const hs_catalog_member_t *hs_catalog_find(const hs_catalog_t *c, const knot_dname_t *zone)
{
	if (c == NULL || zone == NULL) {
		return NULL;
	}
	size_t lo = 0, hi = c->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = hs_dname_canon_cmp(zone, c->m[mid].zone);
		if (r == 0) {
			return &c->m[mid];
		}
		if (r < 0) {
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	return NULL;
}

/* ---- reading one version ---------------------------------------------------------- */

typedef struct {
	hs_catalog_member_t *m;
	size_t n, cap;
} cands_t;

static int cand_push(cands_t *l, const knot_dname_t *zone, const knot_dname_t *owner)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		hs_catalog_member_t *m = realloc(l->m, cap * sizeof(*m));
		if (m == NULL) {
			return HS_ENOMEM;
		}
		l->m = m;
		l->cap = cap;
	}
	size_t zl = knot_dname_size(zone);
	size_t il = (size_t)owner[0] + 2;
	uint8_t *blk = malloc(zl + il);
	if (blk == NULL) {
		return HS_ENOMEM;
	}
	memcpy(blk, zone, zl);
	knot_dname_to_lower(blk);
	memcpy(blk + zl, owner, il - 1);
	blk[zl + il - 1] = 0;
	knot_dname_to_lower(blk + zl);
	l->m[l->n].zone = blk;
	l->m[l->n].id = blk + zl;
	l->n++;
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const hs_catalog_member_t *x = a, *y = b;
	int r = hs_dname_canon_cmp(x->zone, y->zone);
	return r != 0 ? r : hs_dname_canon_cmp(x->id, y->id);
}

/* Strict: "broken catalog ..., not processed: "; per member: nothing (the line says "ignored"). */
#define BROKEN "broken catalog (RFC 9432), not processed: "

/* The SOA and the version property. 0, or the code to refuse with. */
static int check_version(hs_zone_t *zone, const char *cat, hs_catalog_issue_f cb, void *ctx,
                         uint32_t *serial)
{
	const knot_dname_t *origin = hs_zone_origin(zone);
	knot_rrset_t rr;
	if (hs_zone_find(zone, origin, KNOT_RRTYPE_SOA, &rr) != 0) {
		issue(cb, ctx, HS_CATALOG_NOSOA, "%s: " BROKEN "no SOA at the apex", cat);
		return HS_ECAT_BROKEN;
	}
	/* Checked here, not trusted: RR by RR callers may hand in any bytes. */
	const knot_rdata_t *sd = rr.rrs.rdata;
	const uint8_t *end = sd->data + sd->len;
	int n1 = knot_dname_wire_check(sd->data, end, NULL);
	int n2 = n1 > 0 ? knot_dname_wire_check(sd->data + n1, end, NULL) : -1;
	if (rr.rrs.count != 1 || n2 <= 0 || (size_t)n1 + (size_t)n2 + 20 != sd->len) {
		issue(cb, ctx, HS_CATALOG_NOSOA, "%s: " BROKEN "SOA at the apex malformed", cat);
		return HS_ECAT_BROKEN;
	}
	*serial = knot_wire_read_u32(sd->data + n1 + n2);
	knot_dname_storage_t vname;
	size_t ol = knot_dname_size(origin);
	if (ol + 8 > sizeof(vname)) {
		issue(cb, ctx, HS_CATALOG_VERSION, "%s: " BROKEN "name version.%s too long", cat, cat);
		return HS_ECAT_VERSION;
	}
	memcpy(vname, "\x07version", 8);
	memcpy(vname + 8, origin, ol);
	if (hs_zone_find(zone, vname, KNOT_RRTYPE_TXT, &rr) != 0) {
		issue(cb, ctx, HS_CATALOG_VERSION, "%s: " BROKEN "version.%s TXT missing", cat, cat);
		return HS_ECAT_VERSION;
	}
	if (rr.rrs.count != 1) {
		issue(cb, ctx, HS_CATALOG_VERSION,
		      "%s: " BROKEN "version.%s TXT has %u records, not exactly one",
		      cat, cat, (unsigned)rr.rrs.count);
		return HS_ECAT_VERSION;
	}
	const knot_rdata_t *rd = rr.rrs.rdata;
	if (rd->len != 2 || rd->data[0] != 1 || rd->data[1] != '2') {
		char txt[256];
		txt_text(rd->data, rd->len, txt, sizeof(txt));
		issue(cb, ctx, HS_CATALOG_VERSION, "%s: " BROKEN "version.%s TXT is %s, not \"2\"",
		      cat, cat, txt);
		return HS_ECAT_VERSION;
	}
	return 0;
}

/* One member node's PTR RRset: a candidate, or a problem. */
static int member_node(const knot_rrset_t *rr, const knot_dname_t *catalog, const char *cat,
                       bool per_member, bool *broken, cands_t *l, hs_catalog_issue_f cb,
                       void *ctx)
{
	char owner[NAME_TXT];
	hs_dname_text(rr->owner, owner, sizeof(owner));
	if (rr->rrs.count != 1) {
		issue(cb, ctx, HS_CATALOG_MULTI_PTR, "%s: %smember node %s has %u PTR records%s",
		      cat, per_member ? "" : BROKEN, owner, (unsigned)rr->rrs.count,
		      per_member ? ": ignored" : ", not exactly one");
		*broken = true;
		return 0;
	}
	const knot_rdata_t *rd = rr->rrs.rdata;
	int wl = knot_dname_wire_check(rd->data, rd->data + rd->len, NULL);
	if (wl <= 0 || (size_t)wl != rd->len) {
		issue(cb, ctx, HS_CATALOG_BAD_PTR, "%s: %smember node %s: PTR RDATA is not a domain name%s",
		      cat, per_member ? "" : BROKEN, owner, per_member ? ": ignored" : "");
		*broken = true;
		return 0;
	}
	if (hs_dname_equal(rd->data, catalog)) {
		issue(cb, ctx, HS_CATALOG_SELF,
		      "%s: member node %s names the catalog zone itself: ignored", cat, owner);
		return 0;
	}
	return cand_push(l, rd->data, rr->owner);
}

/*
 * Sorted candidates to members: one per zone, the first unique-id in
 * canonical order kept; every other one reported. Frees what it drops.
 */
static void dedupe(cands_t *l, const char *cat, bool per_member, bool *broken,
                   hs_catalog_issue_f cb, void *ctx)
{
	size_t w = 0;
	for (size_t i = 0; i < l->n;) {
		size_t j = i + 1;
		while (j < l->n && hs_dname_canon_cmp(l->m[i].zone, l->m[j].zone) == 0) {
			j++;
		}
		if (j - i > 1) {
			char zone[NAME_TXT], ids[LINE_MAX_LEN / 2], id[NAME_TXT], rest[LINE_MAX_LEN / 2];
			hs_dname_text(l->m[i].zone, zone, sizeof(zone));
			size_t o = 0, ro = 0;
			ids[0] = rest[0] = '\0';
			for (size_t k = i; k < j; k++) {
				id_text(l->m[k].id, id, sizeof(id));
				const char *sep = k == i ? "" : (k + 1 == j ? " and " : ", ");
				if (o < sizeof(ids)) {
					o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%s", sep, id);
				}
				if (k > i && ro < sizeof(rest)) {
					const char *rsep = k == i + 1 ? "" : (k + 1 == j ? " and " : ", ");
					ro += (size_t)snprintf(rest + ro, sizeof(rest) - ro, "%s%s", rsep, id);
				}
			}
			id_text(l->m[i].id, id, sizeof(id));
			if (per_member) {
				issue(cb, ctx, HS_CATALOG_DUPLICATE,
				      "%s: member zone %s under unique-ids %s: kept %s, ignored %s",
				      cat, zone, ids, id, rest);
			} else {
				issue(cb, ctx, HS_CATALOG_DUPLICATE,
				      "%s: " BROKEN "member zone %s under unique-ids %s", cat, zone, ids);
			}
			*broken = true;
			for (size_t k = i + 1; k < j; k++) {
				free((void *)l->m[k].zone);
			}
		}
		l->m[w++] = l->m[i];
		i = j;
	}
	l->n = w;
}

/* Both entry points. foreign/first_foreign: what the reader dropped. */
static int evaluate(hs_catalog_t **out, hs_zone_t *zone, unsigned flags, size_t foreign,
                    const char *first_foreign, hs_catalog_issue_f cb, void *ctx)
{
	if (out == NULL || zone == NULL) {
		return HS_EINVAL;
	}
	*out = NULL;
	const knot_dname_t *catalog = hs_zone_origin(zone);
	char cat[NAME_TXT];
	hs_dname_text(catalog, cat, sizeof(cat));
	bool per_member = (flags & HS_CATALOG_PER_MEMBER) != 0;
	bool broken = false;

	uint32_t serial = 0;
	int ret = check_version(zone, cat, cb, ctx, &serial);
	if (ret != 0) {
		return ret;
	}
	if (hs_zone_class(zone) != KNOT_CLASS_IN) {
		issue(cb, ctx, HS_CATALOG_FOREIGN, "%s: " BROKEN "class %u, not IN", cat,
		      (unsigned)hs_zone_class(zone));
		return HS_ECAT_BROKEN;
	}
	if (foreign > 0) {
		issue(cb, ctx, HS_CATALOG_FOREIGN, "%s: %s%zu record%s of another class or outside the zone (first: %s)%s",
		      cat, per_member ? "" : BROKEN, foreign, foreign == 1 ? "" : "s", first_foreign,
		      per_member ? ": ignored" : "");
		broken = true;
	}

	cands_t l = { 0 };
	hs_zone_iter_t it;
	ret = hs_zone_iter_begin(zone, 0, &it);
	knot_rrset_t rr;
	while (ret == 0 && hs_zone_iter_next(&it, &rr)) {
		if (rr.type == KNOT_RRTYPE_PTR && is_member_node(rr.owner, catalog)) {
			ret = member_node(&rr, catalog, cat, per_member, &broken, &l, cb, ctx);
		}
	}
	if (ret == 0 && l.n > 1) {
		qsort(l.m, l.n, sizeof(*l.m), cand_cmp);
		dedupe(&l, cat, per_member, &broken, cb, ctx);
	}
	if (ret == 0 && broken && !per_member) {
		ret = HS_ECAT_BROKEN;
	}
	hs_catalog_t *c = NULL;
	if (ret == 0) {
		ret = catalog_alloc(&c, catalog);
	}
	if (ret != 0) {
		members_free(l.m, l.n);
		return ret;
	}
	c->serial = serial;
	c->count = l.n;
	c->m = l.m;
	if (c->count == 0) {
		free(c->m);
		c->m = NULL;
	}
	*out = c;
	return 0;
}

int hs_catalog_from_zone(hs_catalog_t **out, hs_zone_t *zone, unsigned flags,
                         hs_catalog_issue_f cb, void *ctx)
{
	return evaluate(out, zone, flags, 0, "", cb, ctx);
}

/* ---- reader ------------------------------------------------------------------------ */

int hs_catalog_reader_new(hs_catalog_reader_t **out, const knot_dname_t *catalog)
{
	if (out == NULL || catalog == NULL) {
		return HS_EINVAL;
	}
	hs_catalog_reader_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return HS_ENOMEM;
	}
	knot_dname_storage_t lower;
	knot_dname_copy_lower(lower, catalog);
	int ret = hs_zone_new(lower, KNOT_CLASS_IN, &r->zone);
	if (ret != 0) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void hs_catalog_reader_free(hs_catalog_reader_t *r)
{
	if (r == NULL) {
		return;
	}
	hs_zone_free(r->zone);
	free(r);
}

int hs_catalog_reader_add_rr(hs_catalog_reader_t *r, const knot_dname_t *owner, uint16_t type,
                             uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t len)
{
	if (r == NULL || owner == NULL || (rdata == NULL && len > 0) || len > UINT16_MAX) {
		return HS_EINVAL;
	}
	const knot_dname_t *catalog = hs_zone_origin(r->zone);
	if (rclass != KNOT_CLASS_IN || !hs_dname_in_zone(owner, catalog)) {
		if (r->foreign++ == 0) {
			char o[NAME_TXT], t[32];
			hs_dname_text(owner, o, sizeof(o));
			if (knot_rrtype_to_string(type, t, sizeof(t)) < 0) {
				snprintf(t, sizeof(t), "TYPE%u", (unsigned)type);
			}
			snprintf(r->first_foreign, sizeof(r->first_foreign), "%s class %u %s",
			         o, (unsigned)rclass, t);
		}
		return 0;
	}
	bool keep = (type == KNOT_RRTYPE_SOA && hs_dname_equal(owner, catalog)) ||
	            (type == KNOT_RRTYPE_TXT && is_version_name(owner, catalog)) ||
	            (type == KNOT_RRTYPE_PTR && is_member_node(owner, catalog));
	if (!keep) {
		return 0;
	}
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)owner, type, rclass, ttl);
	int ret = knot_rrset_add_rdata(&rr, rdata, (uint16_t)len, NULL);
	if (ret != KNOT_EOK) {
		ret = HS_ENOMEM;
	} else {
		ret = hs_zone_add(r->zone, &rr, NULL);
	}
	knot_rdataset_clear(&rr.rrs, NULL);
	if (ret != 0 && r->err == 0) {
		r->err = ret;
	}
	return ret;
}

int hs_catalog_reader_add(hs_catalog_reader_t *r, const knot_rrset_t *rrset)
{
	if (r == NULL || rrset == NULL) {
		return HS_EINVAL;
	}
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		int ret = hs_catalog_reader_add_rr(r, rrset->owner, rrset->type, rrset->rclass,
		                                   rrset->ttl, rd->data, rd->len);
		if (ret != 0) {
			return ret;
		}
		rd = knot_rdataset_next(rd);
	}
	return 0;
}

int hs_catalog_reader_finish(hs_catalog_reader_t *r, hs_catalog_t **out, unsigned flags,
                             hs_catalog_issue_f cb, void *ctx)
{
	if (r == NULL) {
		return HS_EINVAL;
	}
	int ret = r->err;
	if (ret == 0) {
		ret = evaluate(out, r->zone, flags, r->foreign, r->first_foreign, cb, ctx);
	}
	hs_catalog_reader_free(r);
	return ret;
}

/* ---- diffs ----------------------------------------------------------------------------- */

void hs_catalog_diff_clear(hs_catalog_diff_t *d)
{
	if (d == NULL) {
		return;
	}
	free(d->added);
	free(d->removed);
	free(d->reset);
	memset(d, 0, sizeof(*d));
}

bool hs_catalog_diff_empty(const hs_catalog_diff_t *d)
{
	return d == NULL || (d->added_count == 0 && d->removed_count == 0 && d->reset_count == 0);
}

static const hs_catalog_member_t **parray(size_t n)
{
	return n > 0 ? calloc(n, sizeof(hs_catalog_member_t *)) : NULL;
}

int hs_catalog_diff(hs_catalog_diff_t *d, const hs_catalog_t *old, const hs_catalog_t *new)
{
	if (d == NULL) {
		return HS_EINVAL;
	}
	memset(d, 0, sizeof(*d));
	if (new == NULL || (old != NULL && !knot_dname_is_equal(old->zone, new->zone))) {
		return HS_EINVAL;
	}
	size_t no = hs_catalog_count(old), nn = new->count;
	d->added = parray(nn);
	d->reset = parray(nn);
	d->removed = parray(no);
	if ((nn > 0 && (d->added == NULL || d->reset == NULL)) || (no > 0 && d->removed == NULL)) {
		hs_catalog_diff_clear(d);
		return HS_ENOMEM;
	}
	size_t i = 0, j = 0;
	while (i < no || j < nn) {
		int r = i == no ? 1 : j == nn ? -1 : hs_dname_canon_cmp(old->m[i].zone, new->m[j].zone);
		if (r < 0) {
			d->removed[d->removed_count++] = &old->m[i++];
		} else if (r > 0) {
			d->added[d->added_count++] = &new->m[j++];
		} else {
			if (!knot_dname_is_equal(old->m[i].id, new->m[j].id)) {
				d->reset[d->reset_count++] = &new->m[j];
			}
			i++;
			j++;
		}
	}
	return 0;
}

int hs_catalog_diff_lines(const hs_catalog_diff_t *d, const knot_dname_t *catalog,
                          const hs_catalog_t *old, hs_catalog_line_f cb, void *ctx)
{
	if (d == NULL || catalog == NULL || cb == NULL) {
		return HS_EINVAL;
	}
	char cat[NAME_TXT], zone[NAME_TXT], id[NAME_TXT], oid[NAME_TXT];
	char line[LINE_MAX_LEN];
	hs_dname_text(catalog, cat, sizeof(cat));
	for (size_t i = 0; i < d->added_count; i++) {
		hs_dname_text(d->added[i]->zone, zone, sizeof(zone));
		id_text(d->added[i]->id, id, sizeof(id));
		snprintf(line, sizeof(line), "%s: member %s added (unique-id %s)", cat, zone, id);
		cb(line, ctx);
	}
	for (size_t i = 0; i < d->removed_count; i++) {
		hs_dname_text(d->removed[i]->zone, zone, sizeof(zone));
		id_text(d->removed[i]->id, id, sizeof(id));
		snprintf(line, sizeof(line), "%s: member %s removed (unique-id %s)", cat, zone, id);
		cb(line, ctx);
	}
	for (size_t i = 0; i < d->reset_count; i++) {
		hs_dname_text(d->reset[i]->zone, zone, sizeof(zone));
		id_text(d->reset[i]->id, id, sizeof(id));
		const hs_catalog_member_t *om = hs_catalog_find(old, d->reset[i]->zone);
		if (om != NULL) {
			id_text(om->id, oid, sizeof(oid));
			snprintf(line, sizeof(line), "%s: member %s unique-id %s -> %s: state reset",
			         cat, zone, oid, id);
		} else {
			snprintf(line, sizeof(line), "%s: member %s unique-id changed to %s: state reset",
			         cat, zone, id);
		}
		cb(line, ctx);
	}
	return 0;
}
