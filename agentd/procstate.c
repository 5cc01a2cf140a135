/*
 * agentd/procstate.c -- the state file of the multi-signer processes of
 * one zone: to JSON, save, load (process.h, "State file"). The step
 * machine is in process.c, the events in procevent.c. See process.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/procint.h"
#include "agentd/process.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"

/* ---- state ------------------------------------------------------------------------ */

static json_t *rrset_j(const knot_rrset_t *r)
{
	if (r == NULL) {
		return json_null();
	}
	return json_pack("{s:I, s:o}", "ttl", (json_int_t)r->ttl, "rdata",
	                 hs_sync_rdataset_json(&r->rrs));
}

static json_t *name_j(const knot_dname_t *d)
{
	char txt[KNOT_DNAME_TXT_MAXLEN + 1];
	return knot_dname_to_str(txt, d, sizeof(txt)) != NULL ? json_string(txt) : NULL;
}

json_t *hs_proc_to_json(const hs_proc_t *p)
{
	json_t *jobs = json_array();
	for (size_t i = 0; jobs != NULL && i < p->njobs; i++) {
		const job_t *j = &p->jobs[i];
		json_t *conf = json_array();
		for (size_t c = 0; conf != NULL && c < j->nconf; c++) {
			json_array_append_new(conf, name_j(j->confirmed[c]));
		}
		size_t n = sodium_base64_encoded_len(j->keylen, sodium_base64_VARIANT_ORIGINAL);
		char key[KEY_MAX * 2];
		sodium_bin2base64(key, n, j->key, j->keylen, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(jobs, json_pack("{s:s, s:o, s:s, s:I, s:I, s:s, s:o}",
			"kind", hs_job_kind_name(j->kind), "identity", name_j(j->id),
			"step", hs_step_name(j->step), "since", (json_int_t)j->since,
			"until", (json_int_t)j->until, "key", key, "confirmed", conf));
	}
	return json_pack("{s:s, s:o, s:b, s:b, s:o, s:b, s:I, s:o, s:o, s:o}",
		"format", HS_PROC_FORMAT, "sync", hs_sync_to_json(p->s),
		"hsync_seen", p->hsync_seen, "own_known", p->own_known,
		"known_own", hs_sync_rdataset_json(&p->known_own),
		"have_ds_ttl", p->have_ds_ttl, "ds_ttl", (json_int_t)p->ds_ttl,
		"parent_ds", rrset_j(p->parent_ds), "parent_ns", rrset_j(p->parent_ns),
		"jobs", jobs);
}

int hs_proc_save(const hs_proc_t *p, const char *path)
{
	if (p == NULL || path == NULL) {
		return HS_EINVAL;
	}
	json_t *j = hs_proc_to_json(p);
	if (j == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_sync_write_json(j, path);
	json_decref(j);
	return ret;
}

static int pbad(char *why, size_t len, const char *path, const char *field, const char *what)
{
	if (why != NULL && len > 0) {
		snprintf(why, len, "%s: %s: %s", path, field, what);
	}
	return HS_ESYNTAX;
}

static int parent_from(const hs_proc_t *p, const json_t *j, uint16_t type, knot_rrset_t **out,
                       const char *path, const char *field, char *why, size_t whylen)
{
	*out = NULL;
	if (j == NULL || json_is_null(j)) {
		return HS_EOK;
	}
	json_t *ttl = json_object_get(j, "ttl");
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > INT32_MAX) {
		return pbad(why, whylen, path, field, "ttl missing or out of range");
	}
	knot_rrset_t *r = knot_rrset_new(hs_sync_zone(p->s), type, KNOT_CLASS_IN,
	                                 (uint32_t)json_integer_value(ttl), NULL);
	if (r == NULL) {
		return HS_ENOMEM;
	}
	char w[256];
	int ret = hs_sync_rdataset_from_json(json_object_get(j, "rdata"), &r->rrs, field, w,
	                                     sizeof(w));
	if (ret != HS_EOK) {
		knot_rrset_free(r, NULL);
		return ret == HS_ESYNTAX ? pbad(why, whylen, path, field, "bad rdata") : ret;
	}
	*out = r;
	return HS_EOK;
}

static int kind_parse(const char *s, hs_job_kind_t *k)
{
	for (int i = HS_JOB_JOIN; s != NULL && i <= HS_JOB_RETIRE; i++) {
		if (strcmp(hs_job_kind_name((hs_job_kind_t)i), s) == 0) {
			*k = (hs_job_kind_t)i;
			return HS_EOK;
		}
	}
	return HS_EINVAL;
}

static int step_parse(const char *s, hs_step_t *st)
{
	for (int i = HS_STEP_JOIN_KEYS; s != NULL && i < HS_STEP_DONE; i++) {
		if (strcmp(hs_step_name((hs_step_t)i), s) == 0) {
			*st = (hs_step_t)i;
			return HS_EOK;
		}
	}
	return HS_EINVAL;
}

static int load_jobs(hs_proc_t *p, const json_t *a, const char *path, char *why, size_t whylen)
{
	if (!json_is_array(a) || json_array_size(a) > HS_PROC_MAX_JOBS) {
		return pbad(why, whylen, path, "jobs", "not an array");
	}
	size_t i;
	const json_t *o;
	json_array_foreach(a, i, o) {
		job_t *j = hs_proc_job_slot(p);
		if (j == NULL) {
			return HS_ENOMEM;
		}
		memset(j, 0, sizeof(*j));
		const char *id = json_string_value(json_object_get(o, "identity"));
		json_t *since = json_object_get(o, "since"), *until = json_object_get(o, "until");
		const char *key = json_string_value(json_object_get(o, "key"));
		json_t *conf = json_object_get(o, "confirmed");
		if (kind_parse(json_string_value(json_object_get(o, "kind")), &j->kind) != HS_EOK) {
			return pbad(why, whylen, path, "jobs.kind", "unknown");
		}
		if (step_parse(json_string_value(json_object_get(o, "step")), &j->step) != HS_EOK) {
			return pbad(why, whylen, path, "jobs.step", "unknown");
		}
		if (id == NULL || knot_dname_from_str(j->id, id, sizeof(j->id)) == NULL) {
			return pbad(why, whylen, path, "jobs.identity", "not a domain name");
		}
		knot_dname_to_lower(j->id);
		if (!json_is_integer(since) || !json_is_integer(until) ||
		    json_integer_value(until) < 0) {
			return pbad(why, whylen, path, "jobs.since/until", "not a time");
		}
		j->since = (time_t)json_integer_value(since);
		j->until = (time_t)json_integer_value(until);
		size_t blen = 0;
		if (key == NULL || sodium_base642bin(j->key, sizeof(j->key), key, strlen(key), NULL,
		                                     &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
			return pbad(why, whylen, path, "jobs.key", "not base64");
		}
		j->keylen = (uint16_t)blen;
		bool keyed = j->kind == HS_JOB_KEYADD || j->kind == HS_JOB_RETIRE;
		if (keyed && hs_dnssec_keytag(j->key, j->keylen, &j->tag) != HS_EOK) {
			return pbad(why, whylen, path, "jobs.key", "not a DNSKEY");
		}
		if (!json_is_array(conf) || json_array_size(conf) > HS_SYNC_MAX_PROVIDERS) {
			return pbad(why, whylen, path, "jobs.confirmed", "not an array");
		}
		for (size_t c = 0; c < json_array_size(conf); c++) {
			const char *n = json_string_value(json_array_get(conf, c));
			if (n == NULL || knot_dname_from_str(j->confirmed[c], n,
			                                     sizeof(j->confirmed[c])) == NULL) {
				return pbad(why, whylen, path, "jobs.confirmed", "not a domain name");
			}
			j->nconf++;
		}
		p->njobs++;
	}
	return HS_EOK;
}

int hs_proc_load(const char *path, const hs_sync_limits_t *lim, const hs_proc_timers_t *t,
                 time_t now, hs_proc_t **out, char *why, size_t whylen)
{
	if (path == NULL || out == NULL) {
		return HS_EINVAL;
	}
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT) {
			return HS_ENOTFOUND;
		}
		pbad(why, whylen, path, "file", strerror(errno));
		return HS_EIO;
	}
	json_error_t jerr;
	json_t *j = json_loadf(f, 0, &jerr);
	fclose(f);
	if (j == NULL) {
		return pbad(why, whylen, path, "JSON", jerr.text);
	}
	int ret = HS_EOK;
	hs_proc_t *p = NULL;
	hs_sync_t *s = NULL;
	const char *fmt = json_string_value(json_object_get(j, "format"));
	if (fmt == NULL || strcmp(fmt, HS_PROC_FORMAT) != 0) {
		ret = pbad(why, whylen, path, "format", "missing or not " HS_PROC_FORMAT);
		goto out;
	}
	char w[256] = "";
	ret = hs_sync_from_json(json_object_get(j, "sync"), lim, &s, w, sizeof(w));
	if (ret != HS_EOK) {
		if (ret == HS_ESYNTAX || ret == HS_EINVAL) {
			ret = pbad(why, whylen, path, "sync", w[0] != '\0' ? w : "missing");
		}
		goto out;
	}
	ret = hs_proc_new(s, t, &p);
	if (ret != HS_EOK) {
		goto out;
	}
	p->hsync_seen = json_is_true(json_object_get(j, "hsync_seen"));
	p->own_known = json_is_true(json_object_get(j, "own_known"));
	p->have_ds_ttl = json_is_true(json_object_get(j, "have_ds_ttl"));
	json_t *dt = json_object_get(j, "ds_ttl");
	if (!json_is_integer(dt) || json_integer_value(dt) < 0 ||
	    json_integer_value(dt) > INT32_MAX) {
		ret = pbad(why, whylen, path, "ds_ttl", "missing or out of range");
		goto out;
	}
	p->ds_ttl = (uint32_t)json_integer_value(dt);
	ret = hs_sync_rdataset_from_json(json_object_get(j, "known_own"), &p->known_own,
	                                 "known_own", w, sizeof(w));
	if (ret == HS_ESYNTAX) {
		ret = pbad(why, whylen, path, "known_own", "bad rdata");
	}
	if (ret == HS_EOK) {
		ret = parent_from(p, json_object_get(j, "parent_ds"), KNOT_RRTYPE_DS, &p->parent_ds,
		                  path, "parent_ds", why, whylen);
	}
	if (ret == HS_EOK) {
		ret = parent_from(p, json_object_get(j, "parent_ns"), KNOT_RRTYPE_NS, &p->parent_ns,
		                  path, "parent_ns", why, whylen);
	}
	if (ret == HS_EOK) {
		ret = load_jobs(p, json_object_get(j, "jobs"), path, why, whylen);
	}
	if (ret == HS_EOK) {
		/* the combiner may not have the last plan; peers may lack our part */
		p->comb_dirty = true;
		p->comb_ok = false;
		p->pending |= HS_PROC_DO_SYNC;
		*out = p;
		p = NULL;
	}
out:
	hs_proc_free(p);
	json_decref(j);
	return ret;
}
