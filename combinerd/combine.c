/*
 * combinerd/combine.c -- build and keep the combined zone and its serial.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "combinerd/combine.h"
#include "libhsync/error.h"

struct hs_combiner {
	knot_dname_t *apex;
	hs_zone_t *zone;      /* combined; NULL before the first owner zone */
	hs_zone_t *shadow;    /* the owner's apex SOA and contributable types */
	hs_combine_state_t st;
};

void hs_combine_result_clear(hs_combine_result_t *r)
{
	if (r == NULL) {
		return;
	}
	hs_diff_free(r->diff);
	memset(r, 0, sizeof(*r));
}

static bool apex_type(uint16_t type)
{
	return type == KNOT_RRTYPE_SOA || hs_contrib_type_ok(type);
}

/* ---- digest ------------------------------------------------------------------------- */

/* Fixed key: the digest must be the same in every run. */
static const uint8_t DIGEST_KEY[crypto_shorthash_siphashx24_KEYBYTES] = "hsync-combine-01";

typedef struct {
	uint64_t lane[2];
} acc_t;

static void acc_load(acc_t *a, const uint8_t *d)
{
	memcpy(a->lane, d, sizeof(a->lane));
}

static void acc_store(const acc_t *a, uint8_t *d)
{
	memcpy(d, a->lane, sizeof(a->lane));
}

/* Add (sign 1) or subtract (sign -1) the hash of every RR of rr. */
static void acc_rrset(acc_t *a, const knot_rrset_t *rr, int sign)
{
	uint8_t buf[KNOT_DNAME_MAXLEN + 10 + 65536];
	size_t olen = knot_dname_size(rr->owner);
	memcpy(buf, rr->owner, olen);
	knot_dname_to_lower(buf);
	knot_wire_write_u16(buf + olen, rr->type);
	knot_wire_write_u16(buf + olen + 2, rr->rclass);
	knot_wire_write_u32(buf + olen + 4, rr->ttl);
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count; i++) {
		size_t len = olen + 10 + rd->len;
		knot_wire_write_u16(buf + olen + 8, rd->len);
		memcpy(buf + olen + 10, rd->data, rd->len);
		if (rr->type == KNOT_RRTYPE_SOA && rd->len >= 20) {
			/* SOA RDATA ends in serial, refresh, retry, expire, minimum. */
			memset(buf + olen + 10 + rd->len - 20, 0, 4);
		}
		uint64_t h[2];
		crypto_shorthash_siphashx24((uint8_t *)h, buf, len, DIGEST_KEY);
		for (int k = 0; k < 2; k++) {
			a->lane[k] += sign > 0 ? h[k] : (uint64_t)0 - h[k];
		}
		rd = knot_rdataset_next(rd);
	}
}

static int acc_zone(acc_t *a, hs_zone_t *z, int sign)
{
	hs_zone_iter_t it;
	knot_rrset_t rr;
	int ret = hs_zone_iter_begin(z, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		acc_rrset(a, &rr, sign);
	}
	return ret;
}

int hs_combine_digest(hs_zone_t *z, uint8_t digest[HS_COMBINE_DIGEST_LEN])
{
	acc_t a = { { 0, 0 } };
	int ret = acc_zone(&a, z, 1);
	if (ret == HS_EOK) {
		acc_store(&a, digest);
	}
	return ret;
}

/* ---- building blocks ---------------------------------------------------------------- */

/* Set the serial of z's apex SOA (which must exist). */
static int set_serial(hs_zone_t *z, uint32_t serial)
{
	knot_rrset_t soa;
	if (hs_zone_find(z, hs_zone_origin(z), KNOT_RRTYPE_SOA, &soa) != HS_EOK) {
		return KNOT_ESOAINVAL;
	}
	uint8_t owner[KNOT_DNAME_MAXLEN];
	memcpy(owner, soa.owner, knot_dname_size(soa.owner));
	knot_rdataset_t rds;
	if (knot_rdataset_copy(&rds, &soa.rrs, NULL) != KNOT_EOK) {
		return HS_ENOMEM;
	}
	knot_soa_serial_set(rds.rdata, serial);
	soa.owner = owner;
	soa.rrs = rds;
	int ret = hs_zone_replace(z, &soa);
	knot_rdataset_clear(&rds, NULL);
	return ret;
}

/* Copy the RRset (apex, type) of src into dst, if src has it. */
static int copy_set(hs_zone_t *dst, const hs_zone_t *src, uint16_t type)
{
	knot_rrset_t rr;
	if (hs_zone_find(src, hs_zone_origin(src), type, &rr) != HS_EOK) {
		return HS_EOK;
	}
	return hs_zone_add(dst, &rr, NULL);
}

/* New zone with the apex SOA and contributable types of z. */
static int apex_of(const hs_zone_t *z, hs_zone_t **out)
{
	hs_zone_t *a = NULL;
	int ret = hs_zone_new(hs_zone_origin(z), hs_zone_class(z), &a);
	if (ret == HS_EOK) {
		ret = copy_set(a, z, KNOT_RRTYPE_SOA);
	}
	for (int i = 0; ret == HS_EOK && i < HS_CONTRIB_NTYPES; i++) {
		ret = copy_set(a, z, hs_contrib_types[i]);
	}
	if (ret != HS_EOK) {
		hs_zone_free(a);
		return ret;
	}
	*out = a;
	return HS_EOK;
}

/* In z, make the contributable apex types the contribution or else the shadow's. */
static int overlay(hs_zone_t *z, const hs_zone_t *shadow, const hs_contrib_t *ct)
{
	for (int i = 0; i < HS_CONTRIB_NTYPES; i++) {
		uint16_t type = hs_contrib_types[i];
		knot_rrset_t rr;
		int ret;
		if ((ct != NULL && hs_contrib_get(ct, type, &rr, NULL) == HS_EOK) ||
		    hs_zone_find(shadow, hs_zone_origin(shadow), type, &rr) == HS_EOK) {
			ret = hs_zone_replace(z, &rr);
		} else {
			ret = hs_zone_remove_rrset(z, hs_zone_origin(z), type);
			ret = ret == HS_ENOTFOUND ? HS_EOK : ret;
		}
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return HS_EOK;
}

static int check_ct(const hs_zone_t *z, const hs_contrib_t *ct)
{
	if (ct != NULL && !hs_dname_equal(hs_contrib_apex(ct), hs_zone_origin(z))) {
		return HS_EINVAL;
	}
	return HS_EOK;
}

int hs_combine_build(const hs_zone_t *owner, const hs_contrib_t *ct, uint32_t serial,
                     hs_zone_t **out)
{
	int ret = check_ct(owner, ct);
	if (ret != HS_EOK) {
		return ret;
	}
	uint32_t os;
	if (hs_zone_soa_serial(owner, &os) != HS_EOK) {
		return KNOT_ESOAINVAL;
	}
	hs_zone_t *z = NULL, *shadow = NULL;
	ret = hs_zone_copy(owner, &z);
	if (ret == HS_EOK) {
		ret = apex_of(owner, &shadow);
	}
	if (ret == HS_EOK) {
		ret = overlay(z, shadow, ct);
	}
	if (ret == HS_EOK) {
		ret = set_serial(z, serial);
	}
	hs_zone_free(shadow);
	if (ret != HS_EOK) {
		hs_zone_free(z);
		return ret;
	}
	*out = z;
	return HS_EOK;
}

/* Replace the SOA in both halves of d by old and new. */
static int patch_soa(hs_diff_t *d, const hs_zone_t *old_apex, const hs_zone_t *new_apex)
{
	const knot_dname_t *apex = hs_zone_origin(old_apex);
	hs_zone_remove_rrset(d->removed, apex, KNOT_RRTYPE_SOA);
	hs_zone_remove_rrset(d->added, apex, KNOT_RRTYPE_SOA);
	int ret = copy_set(d->removed, old_apex, KNOT_RRTYPE_SOA);
	if (ret == HS_EOK) {
		ret = copy_set(d->added, new_apex, KNOT_RRTYPE_SOA);
	}
	return ret;
}

static int add_all(hs_zone_t *dst, hs_zone_t *src)
{
	hs_zone_iter_t it;
	knot_rrset_t rr;
	int ret = hs_zone_iter_begin(src, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		ret = hs_zone_add(dst, &rr, NULL);
	}
	return ret;
}

static void digest_diff(hs_combine_state_t *st, hs_diff_t *d)
{
	acc_t a;
	acc_load(&a, st->digest);
	acc_zone(&a, d->removed, -1);
	acc_zone(&a, d->added, 1);
	acc_store(&a, st->digest);
}

/* ---- the combiner --------------------------------------------------------------------- */

int hs_combiner_new(const knot_dname_t *apex, const hs_combine_state_t *st,
                    hs_combiner_t **out)
{
	if (apex == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_combiner_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return HS_ENOMEM;
	}
	c->apex = knot_dname_copy(apex, NULL);
	if (c->apex == NULL) {
		free(c);
		return HS_ENOMEM;
	}
	knot_dname_to_lower(c->apex);
	if (st != NULL && st->valid) {
		c->st = *st;
	}
	*out = c;
	return HS_EOK;
}

void hs_combiner_free(hs_combiner_t *c)
{
	if (c == NULL) {
		return;
	}
	hs_zone_free(c->zone);
	hs_zone_free(c->shadow);
	knot_dname_free(c->apex, NULL);
	free(c);
}

hs_zone_t *hs_combiner_zone(const hs_combiner_t *c)
{
	return c->zone;
}

void hs_combiner_state(const hs_combiner_t *c, hs_combine_state_t *st)
{
	*st = c->st;
}

uint32_t hs_combiner_owner_serial(const hs_combiner_t *c)
{
	return c->zone != NULL ? c->st.owner_serial : 0;
}

int hs_combiner_owner_zone(const hs_combiner_t *c, hs_zone_t **out)
{
	if (c->zone == NULL) {
		return HS_ENOTFOUND;
	}
	hs_zone_t *z = NULL;
	int ret = hs_zone_copy(c->zone, &z);
	if (ret == HS_EOK) {
		ret = overlay(z, c->shadow, NULL);
	}
	knot_rrset_t soa;
	if (ret == HS_EOK && hs_zone_find(c->shadow, c->apex, KNOT_RRTYPE_SOA, &soa) == HS_EOK) {
		ret = hs_zone_replace(z, &soa);
	}
	if (ret != HS_EOK) {
		hs_zone_free(z);
		return ret;
	}
	*out = z;
	return HS_EOK;
}

int hs_combiner_owner_soa(const hs_combiner_t *c, hs_zone_t **out)
{
	if (c->zone == NULL) {
		return HS_ENOTFOUND;
	}
	hs_zone_t *z = NULL;
	int ret = hs_zone_new(c->apex, hs_zone_class(c->zone), &z);
	if (ret == HS_EOK) {
		ret = copy_set(z, c->shadow, KNOT_RRTYPE_SOA);
	}
	uint32_t serial;
	if (ret == HS_EOK && hs_zone_soa_serial(z, &serial) != HS_EOK) {
		ret = HS_ENOTFOUND;
	}
	if (ret != HS_EOK) {
		hs_zone_free(z);
		return ret;
	}
	*out = z;
	return HS_EOK;
}

bool hs_combiner_owner_has(const knot_rrset_t *rr, void *arg)
{
	const hs_combiner_t *c = arg;
	if (c == NULL || c->zone == NULL || rr == NULL || rr->rrs.count != 1) {
		return false;
	}
	/* As hs_combiner_owner_zone() builds it: the apex types from the
	 * shadow, everything else as the combined zone has it. */
	bool at_apex = apex_type(rr->type) && hs_dname_equal(rr->owner, c->apex);
	const hs_zone_t *z = at_apex ? c->shadow : c->zone;
	const knot_rdata_t *rd = rr->rrs.rdata;
	knot_rrset_t view;
	int ret;
	if (rr->type == KNOT_RRTYPE_RRSIG) {
		uint16_t covered = rd->len >= 2 ? knot_wire_read_u16(rd->data) : 0;
		ret = hs_zone_find_rrsig(z, rr->owner, covered, &view);
	} else {
		ret = hs_zone_find(z, rr->owner, rr->type, &view);
	}
	return ret == HS_EOK && knot_rdataset_member(&view.rrs, rd);
}

int hs_combiner_owner_full(hs_combiner_t *c, hs_zone_t *owner, const hs_contrib_t *ct,
                           hs_combine_result_t *res)
{
	memset(res, 0, sizeof(*res));
	if (owner == NULL || !hs_dname_equal(hs_zone_origin(owner), c->apex)) {
		return HS_EINVAL;
	}
	int ret = check_ct(owner, ct);
	if (ret != HS_EOK) {
		return ret;
	}
	uint32_t os;
	if (hs_zone_soa_serial(owner, &os) != HS_EOK) {
		return KNOT_ESOAINVAL;
	}
	hs_zone_t *shadow = NULL, *old_apex = NULL, *new_apex = NULL;
	hs_diff_t *d = NULL;
	ret = apex_of(owner, &shadow);
	if (ret == HS_EOK) {
		ret = overlay(owner, shadow, ct);
	}
	uint32_t keep = c->zone != NULL || c->st.valid ? c->st.serial : os;
	if (ret == HS_EOK) {
		ret = set_serial(owner, keep);
	}
	if (ret != HS_EOK) {
		goto fail;
	}
	if (c->zone == NULL) {
		/* First build, maybe after a restart. */
		hs_combine_state_t st = { .valid = true, .owner_serial = os, .serial = keep };
		ret = hs_combine_digest(owner, st.digest);
		if (ret != HS_EOK) {
			goto fail;
		}
		res->what = HS_COMBINE_NEW;
		res->from = keep;
		if (c->st.valid && c->st.owner_serial == os &&
		    sodium_memcmp(c->st.digest, st.digest, HS_COMBINE_DIGEST_LEN) == 0) {
			res->what = HS_COMBINE_SAME;
		} else if (c->st.valid) {
			st.serial = hs_serial_add(keep, 1);
			ret = set_serial(owner, st.serial);
			if (ret != HS_EOK) {
				goto fail;
			}
		}
		res->to = st.serial;
		c->st = st;
		c->zone = owner;
		c->shadow = shadow;
		return HS_EOK;
	}
	ret = hs_zone_diff(c->zone, owner, &d);
	if (ret != HS_EOK) {
		goto fail;
	}
	if (hs_diff_empty(d) && os == c->st.owner_serial) {
		/* Nothing changed: keep what is served (AXFRs out may be reading it). */
		hs_diff_free(d);
		hs_zone_free(shadow);
		hs_zone_free(owner);
		res->what = HS_COMBINE_SAME;
		res->from = res->to = c->st.serial;
		return HS_EOK;
	}
	uint32_t serial = hs_serial_add(c->st.serial, 1);
	ret = set_serial(owner, serial);
	if (ret == HS_EOK) {
		ret = apex_of(c->zone, &old_apex);
	}
	if (ret == HS_EOK) {
		ret = apex_of(owner, &new_apex);
	}
	if (ret == HS_EOK) {
		ret = patch_soa(d, old_apex, new_apex);
	}
	if (ret != HS_EOK) {
		goto fail;
	}
	hs_zone_free(old_apex);
	hs_zone_free(new_apex);
	digest_diff(&c->st, d);
	res->what = HS_COMBINE_CHANGED;
	res->from = c->st.serial;
	res->to = serial;
	res->diff = d;
	c->st.serial = serial;
	c->st.owner_serial = os;
	hs_zone_free(c->zone);
	hs_zone_free(c->shadow);
	c->zone = owner;
	c->shadow = shadow;
	return HS_EOK;
fail:
	hs_diff_free(d);
	hs_zone_free(shadow);
	hs_zone_free(old_apex);
	hs_zone_free(new_apex);
	return ret;
}

/*
 * rest has been applied to c->zone already; new_shadow is the owner's apex
 * now (taken). Lay the apex over, bump the serial, fill res.
 */
static int finish(hs_combiner_t *c, hs_diff_t *rest, hs_zone_t *new_shadow, uint32_t os,
                  const hs_contrib_t *ct, hs_combine_result_t *res)
{
	hs_zone_t *old_apex = NULL, *new_apex = NULL;
	hs_diff_t *ad = NULL;
	int ret = apex_of(c->zone, &old_apex);
	if (ret == HS_EOK) {
		ret = hs_zone_new(c->apex, hs_zone_class(c->zone), &new_apex);
	}
	if (ret == HS_EOK) {
		ret = copy_set(new_apex, new_shadow, KNOT_RRTYPE_SOA);
	}
	if (ret == HS_EOK) {
		ret = overlay(new_apex, new_shadow, ct);
	}
	if (ret == HS_EOK) {
		ret = set_serial(new_apex, c->st.serial);
	}
	if (ret == HS_EOK) {
		ret = hs_zone_diff(old_apex, new_apex, &ad);
	}
	if (ret == HS_EOK) {
		ret = add_all(rest->removed, ad->removed);
	}
	if (ret == HS_EOK) {
		ret = add_all(rest->added, ad->added);
	}
	if (ret != HS_EOK) {
		goto out;
	}
	if (hs_diff_empty(rest) && os == c->st.owner_serial) {
		hs_zone_free(c->shadow);
		c->shadow = new_shadow;
		new_shadow = NULL;
		hs_diff_free(rest);
		rest = NULL;
		res->what = HS_COMBINE_SAME;
		res->from = res->to = c->st.serial;
		goto out;
	}
	uint32_t serial = hs_serial_add(c->st.serial, 1);
	ret = set_serial(new_apex, serial);
	if (ret == HS_EOK) {
		ret = patch_soa(rest, old_apex, new_apex);
	}
	/* Lay the new apex into the combined zone. */
	knot_rrset_t soa;
	if (ret == HS_EOK) {
		ret = hs_zone_find(new_apex, c->apex, KNOT_RRTYPE_SOA, &soa);
	}
	if (ret == HS_EOK) {
		ret = hs_zone_replace(c->zone, &soa);
	}
	if (ret == HS_EOK) {
		ret = overlay(c->zone, new_apex, NULL);
	}
	if (ret != HS_EOK) {
		goto out;
	}
	digest_diff(&c->st, rest);
	res->what = HS_COMBINE_CHANGED;
	res->from = c->st.serial;
	res->to = serial;
	res->diff = rest;
	rest = NULL;
	c->st.serial = serial;
	c->st.owner_serial = os;
	hs_zone_free(c->shadow);
	c->shadow = new_shadow;
	new_shadow = NULL;
out:
	hs_diff_free(rest);
	hs_diff_free(ad);
	hs_zone_free(new_shadow);
	hs_zone_free(old_apex);
	hs_zone_free(new_apex);
	return ret;
}

/* Split d into the apex SOA/contributable types and the rest. */
static int split(const hs_combiner_t *c, hs_diff_t *d, hs_diff_t **apex, hs_diff_t **rest)
{
	uint16_t rclass = hs_zone_class(c->zone);
	int ret = hs_diff_new(c->apex, rclass, apex);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = hs_diff_new(c->apex, rclass, rest);
	for (int half = 0; ret == HS_EOK && half < 2; half++) {
		hs_zone_t *src = half == 0 ? d->removed : d->added;
		hs_zone_iter_t it;
		knot_rrset_t rr;
		ret = hs_zone_iter_begin(src, 0, &it);
		while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
			bool at_apex = apex_type(rr.type) && hs_dname_equal(rr.owner, c->apex);
			hs_diff_t *to = at_apex ? *apex : *rest;
			ret = hs_zone_add(half == 0 ? to->removed : to->added, &rr, NULL);
		}
	}
	if (ret != HS_EOK) {
		hs_diff_free(*apex);
		hs_diff_free(*rest);
		*apex = *rest = NULL;
	}
	return ret;
}

int hs_combiner_owner_diff(hs_combiner_t *c, hs_diff_t *owner_diff, const hs_contrib_t *ct,
                           hs_combine_result_t *res)
{
	memset(res, 0, sizeof(*res));
	if (c->zone == NULL || owner_diff == NULL ||
	    !hs_dname_equal(hs_zone_origin(owner_diff->removed), c->apex)) {
		return HS_EINVAL;
	}
	int ret = check_ct(c->zone, ct);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_diff_t *ad = NULL, *rest = NULL;
	hs_zone_t *shadow = NULL;
	ret = split(c, owner_diff, &ad, &rest);
	if (ret == HS_EOK) {
		ret = hs_zone_copy(c->shadow, &shadow);
	}
	if (ret == HS_EOK) {
		ret = hs_zone_apply(shadow, ad);
	}
	uint32_t os = 0;
	if (ret == HS_EOK && hs_zone_soa_serial(shadow, &os) != HS_EOK) {
		ret = KNOT_ESOAINVAL;
	}
	if (ret == HS_EOK) {
		/* Checked whole: on error the combined zone is as it was. */
		ret = hs_zone_apply(c->zone, rest);
	}
	hs_diff_free(ad);
	if (ret != HS_EOK) {
		hs_diff_free(rest);
		hs_zone_free(shadow);
		return ret;
	}
	return finish(c, rest, shadow, os, ct, res);
}

int hs_combiner_contrib(hs_combiner_t *c, const hs_contrib_t *ct, hs_combine_result_t *res)
{
	memset(res, 0, sizeof(*res));
	if (c->zone == NULL) {
		res->what = HS_COMBINE_SAME;
		res->from = res->to = c->st.serial;
		return HS_EOK;
	}
	int ret = check_ct(c->zone, ct);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_diff_t *rest = NULL;
	hs_zone_t *shadow = NULL;
	ret = hs_diff_new(c->apex, hs_zone_class(c->zone), &rest);
	if (ret == HS_EOK) {
		ret = hs_zone_copy(c->shadow, &shadow);
	}
	if (ret != HS_EOK) {
		hs_diff_free(rest);
		return ret;
	}
	return finish(c, rest, shadow, c->st.owner_serial, ct, res);
}
