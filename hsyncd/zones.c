/*
 * hsyncd/zones.c -- the table of zones followed (configured zones, catalogs
 * and catalog members), by name: find, add, stop, drop.
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <libknot/libknot.h>

#include "common/log.h"
#include "hsyncd/daemon.h"
#include "libhsync/error.h"

static size_t name_hash(const knot_dname_t *name)
{
	uint32_t h = 2166136261u;
	size_t n = knot_dname_size(name);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name[i];
		if (c >= 'A' && c <= 'Z') {
			c += 'a' - 'A';
		}
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static int rehash(struct hsd_daemon *d)
{
	size_t size = 64;
	while (size < 2 * d->nzones) {
		size *= 2;
	}
	struct hsd_zone **t = calloc(size, sizeof(*t));
	if (t == NULL) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < d->nzones; i++) {
		struct hsd_zone *z = d->zones[i];
		size_t b = name_hash(z->name) & (size - 1);
		z->hnext = t[b];
		t[b] = z;
	}
	free(d->hash);
	d->hash = t;
	d->hsize = size;
	return 0;
}

struct hsd_zone *hsd_zone_find(struct hsd_daemon *d, const knot_dname_t *name)
{
	if (d->hash == NULL) {
		return NULL;
	}
	for (struct hsd_zone *z = d->hash[name_hash(name) & (d->hsize - 1)]; z; z = z->hnext) {
		if (knot_dname_is_case_equal(z->name, name)) {
			return z;
		}
	}
	return NULL;
}

/* Set d->zones to zones[0..n) and rebuild the table. */
int hsd_zones_set(struct hsd_daemon *d, struct hsd_zone **zones, size_t n)
{
	free(d->zones);
	d->zones = zones;
	d->nzones = n;
	return rehash(d);
}

struct hsd_zone *hsd_zone_new(struct hsd_daemon *d, const hsd_zone_cfg_t *zc,
                              enum hsd_zone_kind kind)
{
	struct hsd_zone *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return NULL;
	}
	z->d = d;
	z->kind = kind;
	z->zc = zc;
	z->name = knot_dname_copy(zc->name, NULL);
	z->name_txt = strdup(zc->name_txt);
	if (z->name == NULL || z->name_txt == NULL) {
		free(z->name);
		free(z->name_txt);
		free(z);
		return NULL;
	}
	uv_timer_init(d->loop, &z->timer);
	z->timer.data = z;
	if (kind == HSD_Z_CATALOG) {
		/* the catalog itself is transferred whole at each start */
		return z;
	}
	char reason[512];
	int ret = hs_store_load(d->store, z->name, &z->cur, reason, sizeof(reason));
	if (ret == 0) {
		uint32_t serial = 0;
		hs_apex_serial(z->cur, &serial);
		hs_log(HS_LOG_INFO, z->name_txt, NULL, "stored state loaded, serial %u", serial);
	} else if (ret != HS_ENOTFOUND) {
		hs_log(HS_LOG_WARNING, z->name_txt, NULL, "stored state not used: %s", reason);
	}
	return z;
}

static void zone_closed(uv_handle_t *h)
{
	struct hsd_zone *z = h->data;
	hs_apex_free(z->cur);
	hs_zone_free(z->czone);
	hs_catalog_free(z->members);
	free(z->own);
	free(z->name);
	free(z->name_txt);
	free(z);
}

/* Stop following z and free it (after its timer closes). */
void hsd_zone_end(struct hsd_zone *z)
{
	hsd_follow_dequeue(z);
	while (z->jobs != NULL) {
		hsd_notify_end(z->jobs);
	}
	hsd_follow_cancel(z);
	uv_close((uv_handle_t *)&z->timer, zone_closed);
}

/* Stop following z (log why), forget its stored state if drop. */
void hsd_zone_drop(struct hsd_zone *z, bool drop, const char *why)
{
	hs_log(HS_LOG_NOTICE, z->name_txt, NULL, "no longer followed: %s", why);
	if (drop && z->kind != HSD_Z_CATALOG) {
		(void)hs_store_remove(z->d->store, z->name);
	}
	hsd_zone_end(z);
}
