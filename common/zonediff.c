/*
 * common/zonediff.c -- differences between zones: hs_diff_t, the
 * difference of two zones (both walked in canonical order) and applying
 * one to a zone, all checked before anything changes. See zone.h, "diffs".
 */
#include <stdlib.h>
#include <string.h>

#include "common/zone.h"
#include "common/zoneint.h"
#include "libhsync/error.h"

/* ---- diffs ------------------------------------------------------------------------ */

int hs_diff_new(const knot_dname_t *origin, uint16_t rclass, hs_diff_t **out)
{
	hs_diff_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_zone_new(origin, rclass, &d->removed);
	if (ret == HS_EOK) {
		ret = hs_zone_new(origin, rclass, &d->added);
	}
	if (ret != HS_EOK) {
		hs_diff_free(d);
		return ret;
	}
	*out = d;
	return HS_EOK;
}

void hs_diff_free(hs_diff_t *d)
{
	if (d == NULL) {
		return;
	}
	hs_zone_free(d->removed);
	hs_zone_free(d->added);
	free(d);
}

bool hs_diff_empty(const hs_diff_t *d)
{
	return d == NULL || (d->removed->rrs == 0 && d->added->rrs == 0);
}

size_t hs_diff_count(const hs_diff_t *d)
{
	return d == NULL ? 0 : d->removed->rrs + d->added->rrs;
}

static int put_view(hs_zone_t *dst, const node_t *n, const zset_t *s, uint16_t rclass)
{
	knot_rrset_t v;
	set_view(n, s, rclass, &v);
	return hs_zone_add(dst, &v, NULL);
}

/* RDATA of p not in q -> removed, of q not in p -> added (same TTL). */
static int diff_set(hs_diff_t *d, const node_t *x, const zset_t *p,
                    const node_t *y, const zset_t *q, uint16_t rclass)
{
	knot_rdataset_t rem, add;
	knot_rdataset_init(&rem);
	knot_rdataset_init(&add);
	knot_rdata_t *a = set_rdata(x, p), *b = set_rdata(y, q);
	uint16_t i = 0, j = 0;
	int ret = HS_EOK;
	while (ret == KNOT_EOK && (i < p->count || j < q->count)) {
		int c = i >= p->count ? 1 : j >= q->count ? -1 : knot_rdata_cmp(a, b);
		if (c < 0) {
			ret = knot_rdataset_add(&rem, a, NULL);
			a = knot_rdataset_next(a);
			i++;
		} else if (c > 0) {
			ret = knot_rdataset_add(&add, b, NULL);
			b = knot_rdataset_next(b);
			j++;
		} else {
			a = knot_rdataset_next(a);
			b = knot_rdataset_next(b);
			i++;
			j++;
		}
	}
	if (ret != KNOT_EOK) {
		ret = HS_ENOMEM;
	}
	knot_rrset_t v = { .owner = node_owner(x), .type = p->type, .rclass = rclass,
	                   .ttl = p->ttl };
	if (ret == HS_EOK && rem.count > 0) {
		v.rrs = rem;
		ret = hs_zone_add(d->removed, &v, NULL);
	}
	if (ret == HS_EOK && add.count > 0) {
		v.owner = node_owner(y);
		v.rrs = add;
		ret = hs_zone_add(d->added, &v, NULL);
	}
	knot_rdataset_clear(&rem, NULL);
	knot_rdataset_clear(&add, NULL);
	return ret;
}

static int diff_node(hs_diff_t *d, const node_t *x, const node_t *y, uint16_t rclass)
{
	unsigned i = 0, j = 0;
	int ret = HS_EOK;
	while (ret == HS_EOK && (i < x->nsets || j < y->nsets)) {
		const zset_t *p = i < x->nsets ? &x->sets[i] : NULL;
		const zset_t *q = j < y->nsets ? &y->sets[j] : NULL;
		uint32_t kp = p != NULL ? set_key(x, p) : 0, kq = q != NULL ? set_key(y, q) : 0;
		if (q == NULL || (p != NULL && kp < kq)) {
			ret = put_view(d->removed, x, p, rclass);
			i++;
		} else if (p == NULL || kq < kp) {
			ret = put_view(d->added, y, q, rclass);
			j++;
		} else {
			if (p->ttl != q->ttl) {
				ret = put_view(d->removed, x, p, rclass);
				if (ret == HS_EOK) {
					ret = put_view(d->added, y, q, rclass);
				}
			} else if (p->size != q->size || p->count != q->count ||
			           memcmp(set_rdata(x, p), set_rdata(y, q), p->size) != 0) {
				ret = diff_set(d, x, p, y, q, rclass);
			}
			i++;
			j++;
		}
	}
	return ret;
}

int hs_zone_diff(hs_zone_t *a, hs_zone_t *b, hs_diff_t **out)
{
	if (a == NULL || b == NULL || out == NULL || a->rclass != b->rclass ||
	    !hs_dname_equal(a->origin, b->origin)) {
		return HS_EINVAL;
	}
	int ret = hs_zone_sort(a);
	if (ret == HS_EOK) {
		ret = hs_zone_sort(b);
	}
	hs_diff_t *d = NULL;
	if (ret == HS_EOK) {
		ret = hs_diff_new(a->origin, a->rclass, &d);
	}
	size_t i = 0, j = 0;
	while (ret == HS_EOK && (i < a->n || j < b->n)) {
		const node_t *x = i < a->n ? a->order[i] : NULL;
		const node_t *y = j < b->n ? b->order[j] : NULL;
		int c = x == NULL ? 1 : y == NULL ? -1 :
		        hs_dname_canon_cmp(node_owner(x), node_owner(y));
		static const node_t empty;
		if (c < 0) {
			ret = diff_node(d, x, &empty, a->rclass);
			i++;
		} else if (c > 0) {
			ret = diff_node(d, &empty, y, a->rclass);
			j++;
		} else {
			ret = diff_node(d, x, y, a->rclass);
			i++;
			j++;
		}
	}
	if (ret != HS_EOK) {
		hs_diff_free(d);
		return ret;
	}
	*out = d;
	return HS_EOK;
}

int hs_zone_apply(hs_zone_t *z, hs_diff_t *d)
{
	if (z == NULL || d == NULL || d->removed->rclass != z->rclass ||
	    d->added->rclass != z->rclass) {
		return HS_EINVAL;
	}
	hs_zone_iter_t it;
	knot_rrset_t rr, cur;
	/* Check everything first. */
	int ret = hs_zone_iter_begin(d->removed, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		if (hs_zone_find_view(z, rr.owner, rdata_key(rr.type, rr.rrs.rdata), &cur) != HS_EOK ||
		    !knot_rdataset_subset(&rr.rrs, &cur.rrs)) {
			return HS_ENOTFOUND;
		}
	}
	if (ret == HS_EOK) {
		ret = hs_zone_iter_begin(d->added, 0, &it);
	}
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		uint32_t key = rdata_key(rr.type, rr.rrs.rdata);
		ret = hs_zone_check_rr(z, &rr);
		if (ret != HS_EOK || hs_zone_find_view(z, rr.owner, key, &cur) != HS_EOK) {
			continue;
		}
		knot_rrset_t gone;
		bool has_gone = hs_zone_find_view(d->removed, rr.owner, key, &gone) == HS_EOK;
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; i < rr.rrs.count; i++) {
			if (knot_rdataset_member(&cur.rrs, rd) &&
			    !(has_gone && knot_rdataset_member(&gone.rrs, rd))) {
				return HS_EEXIST;
			}
			rd = knot_rdataset_next(rd);
		}
	}
	if (ret != HS_EOK) {
		return ret;
	}
	/* Then change. */
	ret = hs_zone_iter_begin(d->removed, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		ret = hs_zone_remove(z, &rr);
	}
	if (ret == HS_EOK) {
		ret = hs_zone_iter_begin(d->added, 0, &it);
	}
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		ret = hs_zone_add(z, &rr, NULL);
	}
	return ret;
}
