/*
 * common/zoneedit.c -- changing a zone: add, remove and replace RRs and
 * RRsets. Each change builds the owner's new node blob (zone.c) from the
 * old one and a list of set changes. See zone.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/zone.h"
#include "common/zoneint.h"
#include "libhsync/error.h"

int hs_zone_check_rr(const hs_zone_t *z, const knot_rrset_t *rr)
{
	if (rr == NULL || rr->owner == NULL || rr->type == 0) {
		return HS_EINVAL;
	}
	if (rr->rclass != z->rclass) {
		return HS_EINVAL;
	}
	if (!hs_dname_in_zone(rr->owner, z->origin)) {
		return KNOT_EOUTOFZONE;
	}
	return HS_EOK;
}

static int cmp_covered(const void *a, const void *b)
{
	uint16_t x = rdata_covered(KNOT_RRTYPE_RRSIG, *(knot_rdata_t *const *)a);
	uint16_t y = rdata_covered(KNOT_RRTYPE_RRSIG, *(knot_rdata_t *const *)b);
	return x < y ? -1 : x > y;
}

/*
 * The RDATA of rrs split by set key: *out (malloc'd, free with
 * hs_zone_changes_free()) gets one change per key, keys ascending, each with its
 * RDATA normalized (sorted, no duplicates) and ttl 0; *n their number.
 */
static int split(uint16_t type, const knot_rdataset_t *rrs, change_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (rrs->count == 0) {
		return HS_EOK;
	}
	knot_rdata_t **v = malloc(rrs->count * sizeof(*v));
	change_t *ch = calloc(rrs->count, sizeof(*ch));
	if (v == NULL || ch == NULL) {
		free(v);
		free(ch);
		return HS_ENOMEM;
	}
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; i < rrs->count; i++) {
		v[i] = rd;
		rd = knot_rdataset_next(rd);
	}
	if (type == KNOT_RRTYPE_RRSIG) {
		qsort(v, rrs->count, sizeof(*v), cmp_covered);
	}
	size_t nch = 0;
	for (size_t s = 0; s < rrs->count;) {
		change_t *c = &ch[nch++];
		c->key = rdata_key(type, v[s]);
		for (; s < rrs->count && rdata_key(type, v[s]) == c->key; s++) {
			if (knot_rdataset_add(&c->rds, v[s], NULL) != KNOT_EOK) {
				free(v);
				hs_zone_changes_free(ch, nch);
				return HS_ENOMEM;
			}
		}
	}
	free(v);
	*out = ch;
	*n = nch;
	return HS_EOK;
}

/* Apply ch (ascending keys, each once, normalized RDATA) to owner's node. */
static int put_sets(hs_zone_t *z, const knot_dname_t *owner, const change_t *ch, size_t nch)
{
	uint32_t hash = hs_zone_name_hash(owner);
	node_t *old = hs_zone_node_lookup(z, owner, hash);
	size_t rrs_old = 0, sets_old = 0, rrs_new = 0, sets_new = 0;
	for (size_t c = 0; c < nch; c++) {
		int si = old != NULL ? find_key(old, ch[c].key) : -1;
		if (si >= 0) {
			rrs_old += old->sets[si].count;
			sets_old++;
		}
		if (ch[c].rds.count > 0) {
			rrs_new += ch[c].rds.count;
			sets_new++;
		}
	}
	if (sets_old == 0 && sets_new == 0) {
		return HS_EOK;
	}
	if (old == NULL) {
		int ret = hs_zone_reserve(z);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	node_t *nw = hs_zone_node_build(old, owner, hash, ch, nch);
	if (nw == NULL) {
		return HS_ENOMEM;
	}
	z->rrs = z->rrs - rrs_old + rrs_new;
	z->rrsets = z->rrsets - sets_old + sets_new;
	if (old == NULL) {
		hs_zone_insert_node(z, nw);
	} else {
		hs_zone_swap_node(z, old, nw);
	}
	return HS_EOK;
}

/*
 * Remove every set of owner with this type (for RRSIG: all covered types).
 * *found says whether there was one.
 */
static int remove_type(hs_zone_t *z, const knot_dname_t *owner, uint16_t type, bool *found)
{
	*found = false;
	node_t *old = hs_zone_node_lookup(z, owner, hs_zone_name_hash(owner));
	size_t k = 0;
	for (unsigned i = 0; old != NULL && i < old->nsets; i++) {
		k += old->sets[i].type == type;
	}
	if (k == 0) {
		return HS_EOK;
	}
	*found = true;
	change_t *ch = calloc(k, sizeof(*ch));
	if (ch == NULL) {
		return HS_ENOMEM;
	}
	size_t c = 0;
	for (unsigned i = 0; i < old->nsets; i++) {
		if (old->sets[i].type == type) {
			ch[c++].key = set_key(old, &old->sets[i]);
		}
	}
	int ret = put_sets(z, owner, ch, k);
	free(ch);
	return ret;
}

int hs_zone_add(hs_zone_t *z, const knot_rrset_t *rr, size_t *added)
{
	if (added != NULL) {
		*added = 0;
	}
	int ret = hs_zone_check_rr(z, rr);
	if (ret != HS_EOK) {
		return ret;
	}
	if (rr->rrs.count == 0) {
		return HS_EINVAL;
	}
	node_t *old = hs_zone_node_lookup(z, rr->owner, hs_zone_name_hash(rr->owner));
	if (rr->rrs.count == 1) {
		/* The common case while loading: nothing to merge. */
		uint32_t key = rdata_key(rr->type, rr->rrs.rdata);
		if (old == NULL || find_key(old, key) < 0) {
			change_t c = { .key = key, .rds = rr->rrs, .ttl = rr->ttl };
			ret = put_sets(z, rr->owner, &c, 1);
			if (ret == HS_EOK && added != NULL) {
				*added = 1;
			}
			return ret;
		}
	}
	change_t *ch = NULL;
	size_t nch = 0, total = 0;
	ret = split(rr->type, &rr->rrs, &ch, &nch);
	for (size_t c = 0; ret == HS_EOK && c < nch; c++) {
		ch[c].ttl = rr->ttl;
		int si = old != NULL ? find_key(old, ch[c].key) : -1;
		if (si < 0) {
			total += ch[c].rds.count;
			continue;
		}
		knot_rdataset_t cur, m;
		set_rdataset(old, &old->sets[si], &cur);
		if (knot_rdataset_copy(&m, &cur, NULL) != KNOT_EOK) {
			ret = HS_ENOMEM;
			break;
		}
		knot_rdata_t *rd = ch[c].rds.rdata;
		for (uint16_t i = 0; ret == HS_EOK && i < ch[c].rds.count; i++) {
			if (m.count == UINT16_MAX && !knot_rdataset_member(&m, rd)) {
				ret = HS_ERANGE;
			} else if (knot_rdataset_add(&m, rd, NULL) != KNOT_EOK) {
				ret = HS_ENOMEM;
			}
			rd = knot_rdataset_next(rd);
		}
		total += (size_t)(m.count - cur.count);
		knot_rdataset_clear(&ch[c].rds, NULL);
		ch[c].rds = m;
	}
	if (ret == HS_EOK) {
		ret = put_sets(z, rr->owner, ch, nch);
	}
	if (ret == HS_EOK && added != NULL) {
		*added = total;
	}
	hs_zone_changes_free(ch, nch);
	return ret;
}

int hs_zone_remove(hs_zone_t *z, const knot_rrset_t *rr)
{
	if (rr == NULL || rr->owner == NULL) {
		return HS_EINVAL;
	}
	if (rr->rrs.count == 0) {
		return HS_EOK;
	}
	node_t *old = hs_zone_node_lookup(z, rr->owner, hs_zone_name_hash(rr->owner));
	if (old == NULL) {
		return HS_ENOTFOUND;
	}
	change_t *ch = NULL;
	size_t nch = 0;
	int ret = split(rr->type, &rr->rrs, &ch, &nch);
	for (size_t c = 0; ret == HS_EOK && c < nch; c++) {
		int si = find_key(old, ch[c].key);
		knot_rdataset_t cur = { 0 }, m;
		if (si >= 0) {
			set_rdataset(old, &old->sets[si], &cur);
		}
		if (si < 0 || !knot_rdataset_subset(&ch[c].rds, &cur)) {
			ret = HS_ENOTFOUND;
			break;
		}
		if (knot_rdataset_copy(&m, &cur, NULL) != KNOT_EOK) {
			ret = HS_ENOMEM;
			break;
		}
		if (knot_rdataset_subtract(&m, &ch[c].rds, NULL) != KNOT_EOK) {
			knot_rdataset_clear(&m, NULL);
			ret = HS_ENOMEM;
			break;
		}
		knot_rdataset_clear(&ch[c].rds, NULL);
		ch[c].rds = m;
		ch[c].ttl = old->sets[si].ttl;
	}
	if (ret == HS_EOK) {
		ret = put_sets(z, rr->owner, ch, nch);
	}
	hs_zone_changes_free(ch, nch);
	return ret;
}

int hs_zone_remove_rrset(hs_zone_t *z, const knot_dname_t *owner, uint16_t type)
{
	if (owner == NULL) {
		return HS_EINVAL;
	}
	bool found;
	int ret = remove_type(z, owner, type, &found);
	return ret == HS_EOK && !found ? HS_ENOTFOUND : ret;
}

int hs_zone_remove_rrsig(hs_zone_t *z, const knot_dname_t *owner, uint16_t covered)
{
	if (owner == NULL) {
		return HS_EINVAL;
	}
	node_t *old = hs_zone_node_lookup(z, owner, hs_zone_name_hash(owner));
	change_t c = { .key = mkkey(KNOT_RRTYPE_RRSIG, covered) };
	if (old == NULL || find_key(old, c.key) < 0) {
		return HS_ENOTFOUND;
	}
	return put_sets(z, owner, &c, 1);
}

int hs_zone_replace(hs_zone_t *z, const knot_rrset_t *rr)
{
	int ret = hs_zone_check_rr(z, rr);
	if (ret != HS_EOK) {
		return ret;
	}
	if (rr->rrs.count == 0) {
		bool found;
		return remove_type(z, rr->owner, rr->type, &found);
	}
	change_t *ch = NULL;
	size_t nch = 0;
	ret = split(rr->type, &rr->rrs, &ch, &nch);
	for (size_t c = 0; c < nch; c++) {
		ch[c].ttl = rr->ttl;
	}
	if (ret == HS_EOK) {
		ret = put_sets(z, rr->owner, ch, nch);
	}
	hs_zone_changes_free(ch, nch);
	return ret;
}
