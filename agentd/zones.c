/*
 * agentd/zones.c -- the zones this agent takes part in and the owner's
 * intent for each (its HSYNC RRset), from hsyncd or the configuration.
 */
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

agd_zone_t *agd_zones_find(const agd_zones_t *zs, const knot_dname_t *name)
{
	for (size_t i = 0; zs != NULL && name != NULL && i < zs->count; i++) {
		if (knot_dname_is_case_equal(zs->z[i]->name, name)) {
			return zs->z[i];
		}
	}
	return NULL;
}

bool agd_zone_names(const agd_zone_t *z, const knot_dname_t *identity)
{
	for (size_t i = 0; z != NULL && i < z->nhsync; i++) {
		if (knot_dname_is_case_equal(z->hsync[i].identity, identity)) {
			return true;
		}
	}
	return false;
}

int agd_zones_remove(agd_zones_t *zs, const knot_dname_t *zone)
{
	for (size_t i = 0; i < zs->count; i++) {
		if (knot_dname_is_case_equal(zs->z[i]->name, zone)) {
			free(zs->z[i]);
			zs->z[i] = zs->z[--zs->count];
			return 0;
		}
	}
	return HS_ENOTFOUND;
}

int agd_zones_set(agd_zones_t *zs, const knot_dname_t *zone, agd_src_t src,
                  const hs_hsync_t *hs, size_t n, const knot_dname_t *identity,
                  time_t now, bool *named)
{
	if (zs == NULL || zone == NULL || (n > 0 && hs == NULL) || identity == NULL) {
		return HS_EINVAL;
	}
	if (n > AGD_MAX_HSYNC) {
		n = AGD_MAX_HSYNC;
	}
	bool us = false;
	for (size_t i = 0; i < n; i++) {
		if (knot_dname_is_case_equal(hs[i].identity, identity)) {
			us = true;
		}
	}
	if (named != NULL) {
		*named = us;
	}
	if (!us) {
		(void)agd_zones_remove(zs, zone);
		return 0;
	}
	agd_zone_t *z = agd_zones_find(zs, zone);
	if (z == NULL) {
		agd_zone_t **t = realloc(zs->z, (zs->count + 1) * sizeof(*t));
		if (t == NULL) {
			return HS_ENOMEM;
		}
		zs->z = t;
		z = calloc(1, sizeof(*z));
		if (z == NULL) {
			return HS_ENOMEM;
		}
		knot_dname_copy_lower(z->name, zone);
		knot_dname_to_str(z->name_txt, z->name, sizeof(z->name_txt));
		zs->z[zs->count++] = z;
	}
	z->source = src;
	z->nhsync = n;
	memcpy(z->hsync, hs, n * sizeof(*hs));
	z->updated = now;
	return 0;
}

void agd_zones_free(agd_zones_t *zs)
{
	if (zs == NULL) {
		return;
	}
	for (size_t i = 0; i < zs->count; i++) {
		free(zs->z[i]);
	}
	free(zs->z);
	zs->z = NULL;
	zs->count = 0;
}

int agd_hsync_from_answer(const uint8_t *wire, size_t len, const knot_dname_t *zone,
                          hs_hsync_t *out, size_t max, size_t *n)
{
	*n = 0;
	knot_pkt_t *pkt = knot_pkt_new((void *)wire, len, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	int ret = knot_pkt_parse(pkt, 0);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return HS_EMSG;
	}
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count && ret == 0; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != HS_RRTYPE_HSYNC || !knot_dname_is_case_equal(rr->owner, zone)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count && ret == 0; j++) {
			if (*n < max) {
				ret = hs_hsync_from_wire(&out[*n], rd->data, rd->len);
				if (ret == 0) {
					(*n)++;
				}
			}
			rd = knot_rdataset_next(rd);
		}
	}
	knot_pkt_free(pkt);
	return ret == 0 ? 0 : HS_EMSG;
}
