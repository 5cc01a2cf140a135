/*
 * combinerd/zone.c -- one zone of combinerd: its state files, and the three
 * inputs (owner AXFR, owner IXFR, contributions) wired as combine.h says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "combinerd/combinerd.h"
#include "common/log.h"
#include "libhsync/error.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *path_of(const char *dir, const char *zone, const char *suffix)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s%s", dir, zone, suffix) < 0) {
		return NULL;
	}
	return p;
}

void cbd_zone_free(cbd_zone_t *z)
{
	if (z == NULL) {
		return;
	}
	hs_combiner_free(z->comb);
	hs_journal_free(z->j);
	hs_contrib_free(z->ct);
	free(z->cpath);
	free(z->jpath);
	free(z);
}

int cbd_zone_open(const cbd_cfg_t *cfg, const cbd_zone_cfg_t *zc, cbd_zone_t **out,
                  char *err, size_t errlen)
{
	if (cfg == NULL || zc == NULL || out == NULL) {
		return HS_EINVAL;
	}
	cbd_zone_t *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return HS_ENOMEM;
	}
	memcpy(z->apex, zc->name, knot_dname_size(zc->name));
	memcpy(z->text, zc->text, sizeof(z->text));
	z->cfg = zc;
	z->cpath = path_of(cfg->state_dir, zc->text, "contrib.json");
	z->jpath = path_of(cfg->state_dir, zc->text, "journal");
	if (z->cpath == NULL || z->jpath == NULL) {
		cbd_zone_free(z);
		return HS_ENOMEM;
	}
	hs_combine_state_t st = { 0 };
	int ret = hs_contrib_load(z->apex, z->cpath, &z->ct, err, errlen);
	if (ret == HS_EOK) {
		ret = hs_journal_load(z->apex, z->jpath, cfg->journal_entries, cfg->journal_rrs,
		                      &z->j, &st, err, errlen);
	}
	if (ret == HS_EOK) {
		ret = hs_combiner_new(z->apex, &st, &z->comb);
		if (ret != HS_EOK) {
			snprintf(err, errlen, "%s: %s", z->text, hs_strerror(ret));
		}
	}
	if (ret != HS_EOK) {
		cbd_zone_free(z);
		return ret;
	}
	if (st.valid) {
		hs_log(HS_LOG_NOTICE, z->text, NULL,
		       "state loaded: serial %u (owner %u), %zu contributed types, %zu journal entries",
		       st.serial, st.owner_serial, hs_contrib_count(z->ct), hs_journal_count(z->j));
	} else {
		hs_log(HS_LOG_NOTICE, z->text, NULL, "no saved state, %zu contributed types",
		       hs_contrib_count(z->ct));
	}
	hs_contrib_allow_key(z->ct, zc->allow_key);
	if (!zc->allow_key && hs_contrib_get(z->ct, KNOT_RRTYPE_KEY, NULL, NULL) == HS_EOK) {
		hs_log(HS_LOG_WARNING, z->text, NULL,
		       "an apex KEY contributed earlier is still served, but allow-apex-key is no: "
		       "the agent cannot change or withdraw it");
	}
	*out = z;
	return HS_EOK;
}

hs_zone_t *cbd_zone_combined(const cbd_zone_t *z)
{
	return z != NULL && z->comb != NULL ? hs_combiner_zone(z->comb) : NULL;
}

uint32_t cbd_zone_serial(const cbd_zone_t *z)
{
	hs_combine_state_t st;
	if (z == NULL || z->comb == NULL) {
		return 0;
	}
	hs_combiner_state(z->comb, &st);
	return st.serial;
}

/* Journal, persist and log one result. 1 changed, 0 same, < 0 error. */
static int commit(cbd_zone_t *z, hs_combine_result_t *r, const char *cause, const char *from,
                  double t0)
{
	if (r->what == HS_COMBINE_SAME) {
		hs_journal_record(z->j, r);
		hs_combine_result_clear(r);
		hs_log(HS_LOG_INFO, z->text, from, "%s: no change, serial %u kept", cause, r->to);
		return 0;
	}
	size_t changes = r->diff != NULL ? hs_diff_count(r->diff) : 0;
	int what = r->what;
	uint32_t from_s = r->from, to_s = r->to;
	int ret = hs_journal_record(z->j, r);
	hs_combine_result_clear(r);
	if (ret != HS_EOK) {
		hs_journal_reset(z->j, to_s);
	}
	hs_combine_state_t st;
	hs_combiner_state(z->comb, &st);
	ret = hs_journal_save(z->j, &st, z->jpath);
	if (ret != HS_EOK) {
		hs_log_code(HS_LOG_ERROR, ret, z->text, NULL, "cannot write %s", z->jpath);
	}
	z->version++;
	hs_zone_t *c = hs_combiner_zone(z->comb);
	if (what == HS_COMBINE_CHANGED) {
		hs_log(HS_LOG_NOTICE, z->text, from,
		       "rebuilt (%s): serial %u -> %u, %zu records, %zu RRs changed, %.1f ms",
		       cause, from_s, to_s, hs_zone_count(c), changes, now_ms() - t0);
	} else {
		hs_log(HS_LOG_NOTICE, z->text, from,
		       "rebuilt (%s): serial %u, %zu records, new content (IXFR history restarts), %.1f ms",
		       cause, to_s, hs_zone_count(c), now_ms() - t0);
	}
	return 1;
}

int cbd_zone_owner_full(cbd_zone_t *z, hs_zone_t **zone, const char *from)
{
	double t0 = now_ms();
	hs_combine_result_t r = { 0 };
	int ret = hs_combiner_owner_full(z->comb, *zone, z->ct, &r);
	if (ret != HS_EOK) {
		return ret;
	}
	*zone = NULL;
	return commit(z, &r, "owner AXFR", from, t0);
}

int cbd_zone_owner_deltas(cbd_zone_t *z, hs_diff_t **deltas, size_t n, const char *from)
{
	int changed = 0;
	for (size_t i = 0; i < n; i++) {
		double t0 = now_ms();
		hs_combine_result_t r = { 0 };
		int ret = hs_combiner_owner_diff(z->comb, deltas[i], z->ct, &r);
		if (ret != HS_EOK) {
			return ret;
		}
		ret = commit(z, &r, "owner IXFR", from, t0);
		if (ret < 0) {
			return ret;
		}
		changed |= ret;
	}
	return changed;
}

int cbd_zone_contrib_changed(cbd_zone_t *z, const char *from)
{
	double t0 = now_ms();
	hs_combine_result_t r = { 0 };
	int ret = hs_combiner_contrib(z->comb, z->ct, &r);
	if (ret != HS_EOK) {
		return ret;
	}
	return commit(z, &r, "contribution", from, t0);
}
