/*
 * hsyncd/catwatch.c -- catalog zones (RFC 9432): each catalog is transferred
 * whole (hs_xfr_fetch(), IXFR against the version held), its member list
 * read (catalog.h) and compared with the one in force; members added are
 * followed from the catalog's source and notified to its subscribers,
 * members removed are dropped, members with a new unique-id start over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <libknot/libknot.h>

#include "common/log.h"
#include "hsyncd/daemon.h"
#include "libhsync/error.h"

/* A member's own configuration: its name, the catalog's source and subscribers. */
void hsd_cat_member_cfg(struct hsd_zone *m)
{
	const hsd_zone_cfg_t *c = m->cat->zc;
	m->own->source = c->source;
	m->own->subs = c->subs;
	m->own->nsubs = c->nsubs;
	m->zc = m->own;
}

/* ---- catalogs (RFC 9432) ------------------------------------------------------------ */

static void cat_issue(int kind, const char *line, void *arg)
{
	hs_log(HS_LOG_WARNING, NULL, NULL, "%s", line);
}

static void cat_line(const char *line, void *arg)
{
	hs_log(HS_LOG_NOTICE, NULL, NULL, "%s, from %s", line, (const char *)arg);
}

/* Apply a new member list of catalog c (stolen). */
static void cat_members(struct hsd_zone *c, hs_catalog_t *list, const char *src)
{
	struct hsd_daemon *d = c->d;
	hs_catalog_diff_t diff;
	int ret = hs_catalog_diff(&diff, c->members, list);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, c->name_txt, NULL, "cannot compare member lists");
		hs_catalog_free(list);
		return;
	}
	(void)hs_catalog_diff_lines(&diff, c->name, c->members, cat_line, (void *)src);
	size_t cap = d->nzones + diff.added_count;
	struct hsd_zone **zones = calloc(cap ? cap : 1, sizeof(*zones));
	if (zones == NULL) {
		hs_log(HS_LOG_ERROR, c->name_txt, NULL, "out of memory: member list not applied");
		hs_catalog_diff_clear(&diff);
		hs_catalog_free(list);
		return;
	}
	/* removed and reset members */
	for (size_t k = 0; k < d->nzones; k++) {
		d->zones[k]->mark = true;
	}
	for (size_t i = 0; i < diff.removed_count; i++) {
		struct hsd_zone *m = hsd_zone_find(d, diff.removed[i]->zone);
		if (m != NULL && m->kind == HSD_Z_MEMBER && m->cat == c) {
			m->mark = false;
		}
	}
	for (size_t i = 0; i < diff.reset_count; i++) {
		struct hsd_zone *m = hsd_zone_find(d, diff.reset[i]->zone);
		if (m != NULL && m->kind == HSD_Z_MEMBER && m->cat == c) {
			/* RFC 9432 5.6: a new unique-id resets the zone's state */
			hsd_follow_cancel(m);   /* a transfer in flight borrows m->cur */
			hs_apex_free(m->cur);
			m->cur = NULL;
			(void)hs_store_remove(d->store, m->name);
			hsd_follow_refresh(m);
		}
	}
	/* Which added members are followed already (RFC 9432 5.2: the first
	 * one wins): looked up in the zone table while it still holds every
	 * zone, and only zones that stay count. A scan of the list instead
	 * cost N^2/2 name compares for a catalog version adding N members. */
	struct hsd_zone **other = calloc(diff.added_count ? diff.added_count : 1, sizeof(*other));
	if (other == NULL) {
		hs_log(HS_LOG_ERROR, c->name_txt, NULL, "out of memory: member list not applied");
		free(zones);
		hs_catalog_diff_clear(&diff);
		hs_catalog_free(list);
		return;
	}
	for (size_t i = 0; i < diff.added_count; i++) {
		struct hsd_zone *o = hsd_zone_find(d, diff.added[i]->zone);
		other[i] = (o != NULL && o->mark) ? o : NULL;
	}
	size_t n = 0;
	for (size_t k = 0; k < d->nzones; k++) {
		if (d->zones[k]->mark) {
			zones[n++] = d->zones[k];
		} else {
			hsd_zone_drop(d->zones[k], true, "removed from its catalog");
		}
	}
	/* added members, unless already followed (RFC 9432 5.2: the first one wins) */
	size_t first_new = n;
	for (size_t i = 0; i < diff.added_count; i++) {
		const knot_dname_t *name = diff.added[i]->zone;
		char txt[KNOT_DNAME_TXT_MAXLEN + 1];
		if (knot_dname_to_str(txt, name, sizeof(txt)) == NULL) {
			continue;
		}
		if (other[i] != NULL) {
			hs_log(HS_LOG_WARNING, txt, NULL, "member of %s ignored: already followed%s%s",
			       c->name_txt, other[i]->kind == HSD_Z_MEMBER ? " from catalog " : "",
			       other[i]->kind == HSD_Z_MEMBER ? other[i]->cat->name_txt : "");
			continue;
		}
		hsd_zone_cfg_t tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.name = (knot_dname_t *)name;
		tmp.name_txt = txt;
		struct hsd_zone *m = hsd_zone_new(d, &tmp, HSD_Z_MEMBER);
		if (m != NULL && (m->own = calloc(1, sizeof(*m->own))) == NULL) {
			hsd_zone_end(m);
			m = NULL;
		}
		if (m == NULL) {
			hs_log(HS_LOG_ERROR, txt, NULL, "out of memory: not followed");
			continue;
		}
		m->own->name = m->name;
		m->own->name_txt = m->name_txt;
		m->cat = c;
		hsd_cat_member_cfg(m);
		zones[n++] = m;
	}
	free(other);
	hs_catalog_diff_clear(&diff);
	hs_catalog_free(c->members);
	c->members = list;
	(void)hsd_zones_set(d, zones, n);
	for (size_t i = first_new; i < n; i++) {
		hsd_follow_refresh(zones[i]);
	}
}

static void cat_fetched(struct hs_xfr_fetch_result *res, void *arg)
{
	struct hsd_zone *z = arg;
	struct hsd_op *op = z->op;
	op->f = NULL;
	if (res->err != 0) {
		hs_log_code(HS_LOG_WARNING, res->err, z->name_txt, op->src.text,
		            "catalog transfer failed");
		hsd_follow_done(z, false);
		return;
	}
	if (res->kind == HS_XFR_UPTODATE || res->zone == NULL) {
		hs_log(HS_LOG_DEBUG, z->name_txt, op->src.text, "serial %u, up to date", res->serial);
		hsd_follow_done(z, true);
		return;
	}
	hs_zone_t *cz = res->zone;
	res->zone = NULL;
	const char *what = res->kind == HS_XFR_IXFR ? "IXFR" : "AXFR";
	char src[160];
	snprintf(src, sizeof(src), "%s (%s)", op->src.text, what);
	hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "catalog %s done, serial %u", what,
	       res->serial);
	/* the catalog's apex, to answer for it and to time refreshes */
	hs_apex_t *apex = NULL;
	hs_zone_iter_t it;
	knot_rrset_t rr;
	if (hs_apex_new(&apex, z->name) == 0 && hs_zone_iter_begin(cz, 0, &it) == 0) {
		while (hs_zone_iter_next(&it, &rr)) {
			(void)hs_apex_add(apex, &rr);
		}
		hs_apex_free(z->cur);
		z->cur = apex;
	} else {
		hs_apex_free(apex);
	}
	hs_catalog_t *list = NULL;
	int ret = hs_catalog_from_zone(&list, cz, 0, cat_issue, z);
	hs_zone_free(z->czone);
	z->czone = cz;    /* the source's version, for the next IXFR, even if broken */
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, op->src.text,
		            "catalog not processed; the member list in force stays");
	} else {
		cat_members(z, list, src);
	}
	hsd_follow_done(z, true);
}

void hsd_cat_start(struct hsd_zone *z)
{
	struct hsd_op *op = hsd_follow_op_new(z, KNOT_RRTYPE_AXFR);
	int ret = op == NULL ? HS_ENOMEM : 0;
	if (ret == 0) {
		/* czone is only replaced in cat_fetched(), so it stays as the fetch needs it */
		z->op = op;
		struct hs_xfr_fetch_opts o = { .key = op->src.key, .timeout_ms = 5000 };
		ret = hs_xfr_fetch(z->d->loop, (const struct sockaddr *)&op->src.addr, z->name,
		                   z->czone, &o, cat_fetched, z, &op->f);
	}
	if (ret != 0) {
		z->op = NULL;
		if (op != NULL) {
			hsd_follow_op_free(op);
		}
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, NULL, "cannot start a catalog transfer");
		hsd_follow_schedule(z, false);
	}
}
