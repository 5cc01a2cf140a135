/*
 * agentd/trust.c -- the parent's trust store of child SIG(0) keys.
 * See trust.h for the rules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libknot/libknot.h>
#include <sodium.h>

#include "agentd/trust.h"
#include "common/statefile.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/why.h"
#include "libhsync/pkt.h"

#define RDATA_MAX 4096

struct hs_trust {
	unsigned needed;
	size_t n, cap;
	hs_trust_entry_t **v;
};

int hs_trust_new(unsigned needed, hs_trust_t **out)
{
	if (out == NULL) {
		return HS_EINVAL;
	}
	hs_trust_t *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return HS_ENOMEM;
	}
	t->needed = needed ? needed : HS_TRUST_NEEDED_DEFAULT;
	*out = t;
	return HS_EOK;
}

static void entry_free(hs_trust_entry_t *e)
{
	if (e != NULL) {
		hs_key_free(e->key);
		free(e);
	}
}

static void entries_free(hs_trust_entry_t **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		entry_free(v[i]);
	}
	free(v);
}

void hs_trust_free(hs_trust_t *t)
{
	if (t != NULL) {
		entries_free(t->v, t->n);
		free(t);
	}
}

size_t hs_trust_count(const hs_trust_t *t)
{
	return t != NULL ? t->n : 0;
}

const hs_trust_entry_t *hs_trust_get(const hs_trust_t *t, size_t i)
{
	return (t != NULL && i < t->n) ? t->v[i] : NULL;
}

static hs_trust_entry_t *find(const hs_trust_t *t, const knot_dname_t *child,
                              const uint8_t *rdata, size_t len, size_t *pos)
{
	if (t == NULL || child == NULL || rdata == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++) {
		hs_trust_entry_t *e = t->v[i];
		if (e->key->rdata.size == len && memcmp(e->key->rdata.data, rdata, len) == 0 &&
		    hs_dname_equal(e->child, child)) {
			if (pos != NULL) {
				*pos = i;
			}
			return e;
		}
	}
	return NULL;
}

const hs_trust_entry_t *hs_trust_find(const hs_trust_t *t, const knot_dname_t *child,
                                      const uint8_t *rdata, size_t len)
{
	return find(t, child, rdata, len, NULL);
}

static int entry_new(const knot_dname_t *child, const uint8_t *rdata, size_t len,
                     hs_trust_entry_t **out)
{
	int csize = knot_dname_size(child);
	if (csize <= 0 || csize > KNOT_DNAME_MAXLEN || len == 0 || len > RDATA_MAX) {
		return HS_EINVAL;
	}
	hs_trust_entry_t *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return HS_ENOMEM;
	}
	memcpy(e->child, child, csize);
	knot_dname_to_lower(e->child);
	int ret = hs_key_from_rdata(e->child, rdata, len, &e->key);
	if (ret != HS_EOK) {
		free(e);
		return ret;
	}
	e->keytag = e->key->keytag;
	e->algorithm = e->key->algorithm;
	*out = e;
	return HS_EOK;
}

static int push(hs_trust_t *t, hs_trust_entry_t *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		hs_trust_entry_t **v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL) {
			return HS_ENOMEM;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = e;
	return HS_EOK;
}

int hs_trust_add_pending(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                         size_t len, time_t now, bool *added)
{
	if (t == NULL || child == NULL || rdata == NULL) {
		return HS_EINVAL;
	}
	if (added != NULL) {
		*added = false;
	}
	if (find(t, child, rdata, len, NULL) != NULL) {
		return HS_EOK;
	}
	hs_trust_entry_t *e = NULL;
	int ret = entry_new(child, rdata, len, &e);
	if (ret != HS_EOK) {
		return ret;
	}
	e->state = HS_TRUST_PENDING;
	e->via = HS_TRUST_VIA_NONE;
	e->added = e->changed = now;
	ret = push(t, e);
	if (ret != HS_EOK) {
		entry_free(e);
		return ret;
	}
	if (added != NULL) {
		*added = true;
	}
	return HS_EOK;
}

/* E becomes TRUSTED: the child's other TRUSTED keys go now (not earlier). */
static void make_trusted(hs_trust_t *t, hs_trust_entry_t *e, hs_trust_via_t via, time_t now)
{
	e->state = HS_TRUST_TRUSTED;
	e->via = via;
	e->manual_needed = false;
	e->changed = now;
	size_t j = 0;
	for (size_t i = 0; i < t->n; i++) {
		hs_trust_entry_t *o = t->v[i];
		if (o != e && o->state == HS_TRUST_TRUSTED &&
		    hs_dname_equal(o->child, e->child)) {
			entry_free(o);
			continue;
		}
		t->v[j++] = o;
	}
	t->n = j;
}

int hs_trust_validated(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                       size_t len, time_t now)
{
	hs_trust_entry_t *e = find(t, child, rdata, len, NULL);
	if (e == NULL) {
		return HS_ENOTFOUND;
	}
	make_trusted(t, e, HS_TRUST_VIA_DNSSEC, now);
	return HS_EOK;
}

int hs_trust_observe(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                     size_t len, bool consistent, time_t now, hs_trust_state_t *state)
{
	hs_trust_entry_t *e = find(t, child, rdata, len, NULL);
	if (e == NULL) {
		return HS_ENOTFOUND;
	}
	if (e->state != HS_TRUST_PENDING) {
		return HS_EINVAL;
	}
	e->changed = now;
	if (!consistent) {
		e->confirmations = 0;
	} else if (++e->confirmations >= t->needed) {
		make_trusted(t, e, HS_TRUST_VIA_MULTI, now);
	}
	if (state != NULL) {
		*state = e->state;
	}
	return HS_EOK;
}

/*
 * Whether ANSWER is a NOERROR response for CHILD KEY whose answer section
 * holds RDATA at CHILD. 0, HS_EDISC_MISMATCH, HS_EDISC_RCODE, HS_ENOTFOUND,
 * HS_ENOMEM. *ad and *aa get the header bits.
 */
static int answer_has(const knot_dname_t *child, const uint8_t *rdata, size_t len,
                      const uint8_t *answer, size_t alen, bool *ad, bool *aa)
{
	if (answer == NULL || alen < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(answer)) {
		return HS_EDISC_MISMATCH;
	}
	*ad = knot_wire_get_ad(answer);
	*aa = knot_wire_get_aa(answer);
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_parse_copy(answer, alen, 0, &pkt);
	if (ret == HS_ENOMEM) {
		return ret;
	}
	if (ret != HS_EOK || knot_wire_get_qdcount(pkt->wire) != 1 ||
	    knot_pkt_qtype(pkt) != HS_RRTYPE_KEY || !hs_dname_equal(knot_pkt_qname(pkt), child)) {
		ret = HS_EDISC_MISMATCH;
	} else if (knot_wire_get_rcode(pkt->wire) != KNOT_RCODE_NOERROR) {
		ret = HS_EDISC_RCODE;
	} else {
		ret = HS_ENOTFOUND;
		const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
		for (uint16_t i = 0; ret != HS_EOK && i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->type != HS_RRTYPE_KEY || !hs_dname_equal(rr->owner, child)) {
				continue;
			}
			knot_rdata_t *rd = rr->rrs.rdata;
			for (uint16_t j = 0; j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
				if (rd->len == len && memcmp(rd->data, rdata, len) == 0) {
					ret = HS_EOK;
					break;
				}
			}
		}
	}
	knot_pkt_free(pkt);
	return ret;
}

int hs_trust_check_validated(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                             size_t len, const uint8_t *answer, size_t alen, time_t now)
{
	if (t == NULL || child == NULL || rdata == NULL) {
		return HS_EINVAL;
	}
	if (find(t, child, rdata, len, NULL) == NULL) {
		return HS_ENOTFOUND;
	}
	bool ad = false, aa = false;
	int ret = answer_has(child, rdata, len, answer, alen, &ad, &aa);
	if (ret == HS_EOK && !ad) {
		ret = HS_EDISC_NOAD;
	}
	if (ret != HS_EOK) {
		return ret;
	}
	return hs_trust_validated(t, child, rdata, len, now);
}

int hs_trust_check_round(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                         size_t len, const uint8_t *const *answers, const size_t *alens,
                         size_t n, time_t now, hs_trust_state_t *state)
{
	if (t == NULL || child == NULL || rdata == NULL || (n > 0 && (answers == NULL || alens == NULL))) {
		return HS_EINVAL;
	}
	bool consistent = n > 0;
	for (size_t i = 0; consistent && i < n; i++) {
		bool ad = false, aa = false;
		int ret = answer_has(child, rdata, len, answers[i], alens[i], &ad, &aa);
		if (ret == HS_ENOMEM) {
			return ret;
		}
		consistent = ret == HS_EOK && aa;
	}
	return hs_trust_observe(t, child, rdata, len, consistent, now, state);
}

int hs_trust_manual(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                    size_t len, time_t now)
{
	int ret = hs_trust_add_pending(t, child, rdata, len, now, NULL);
	if (ret != HS_EOK) {
		return ret;
	}
	make_trusted(t, find(t, child, rdata, len, NULL), HS_TRUST_VIA_MANUAL, now);
	return HS_EOK;
}

/* Whether removing E would leave its child without a trusted key mid-roll. */
static bool last_trusted_in_roll(const hs_trust_t *t, const hs_trust_entry_t *e)
{
	if (e->state != HS_TRUST_TRUSTED) {
		return false;
	}
	bool pending = false;
	for (size_t i = 0; i < t->n; i++) {
		const hs_trust_entry_t *o = t->v[i];
		if (o == e || !hs_dname_equal(o->child, e->child)) {
			continue;
		}
		if (o->state == HS_TRUST_TRUSTED) {
			return false;
		}
		if (o->state == HS_TRUST_PENDING) {
			pending = true;
		}
	}
	return pending;
}

int hs_trust_refuse(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                    size_t len, time_t now)
{
	hs_trust_entry_t *e = find(t, child, rdata, len, NULL);
	if (e == NULL) {
		return HS_ENOTFOUND;
	}
	if (last_trusted_in_roll(t, e)) {
		return HS_EEXIST;
	}
	e->state = HS_TRUST_REFUSED;
	e->confirmations = 0;
	e->changed = now;
	return HS_EOK;
}

int hs_trust_need_manual(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                         size_t len, time_t now)
{
	hs_trust_entry_t *e = find(t, child, rdata, len, NULL);
	if (e == NULL) {
		return HS_ENOTFOUND;
	}
	if (e->state != HS_TRUST_PENDING) {
		return HS_EINVAL;
	}
	e->manual_needed = true;
	e->changed = now;
	return HS_EOK;
}

int hs_trust_remove(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                    size_t len)
{
	size_t pos = 0;
	hs_trust_entry_t *e = find(t, child, rdata, len, &pos);
	if (e == NULL) {
		return HS_ENOTFOUND;
	}
	if (last_trusted_in_roll(t, e)) {
		return HS_EEXIST;
	}
	entry_free(e);
	memmove(&t->v[pos], &t->v[pos + 1], (t->n - pos - 1) * sizeof(*t->v));
	t->n--;
	return HS_EOK;
}

static uint8_t ks_of(const hs_trust_entry_t *e)
{
	switch (e->state) {
	case HS_TRUST_TRUSTED: return HS_KS_TRUSTED;
	case HS_TRUST_PENDING: return e->manual_needed ? HS_KS_MANUAL_BOOTSTRAP : HS_KS_AUTO_BOOTSTRAP;
	default:               return HS_KS_REFUSED;
	}
}

static int ks_rank(uint8_t ks)
{
	switch (ks) {
	case HS_KS_TRUSTED:          return 4;
	case HS_KS_AUTO_BOOTSTRAP:   return 3;
	case HS_KS_MANUAL_BOOTSTRAP: return 2;
	case HS_KS_REFUSED:          return 1;
	default:                     return 0;
	}
}

uint8_t hs_trust_keystate(const hs_trust_t *t, const knot_dname_t *child, uint16_t keytag)
{
	uint8_t best = HS_KS_UNKNOWN;
	if (t == NULL || child == NULL) {
		return best;
	}
	for (size_t i = 0; i < t->n; i++) {
		const hs_trust_entry_t *e = t->v[i];
		if (e->keytag == keytag && hs_dname_equal(e->child, child)) {
			uint8_t ks = ks_of(e);
			if (ks_rank(ks) > ks_rank(best)) {
				best = ks;
			}
		}
	}
	return best;
}

const hs_key_t *hs_trust_lookup(const hs_sig0_info_t *info, unsigned idx, void *ctx)
{
	const hs_trust_t *t = ctx;
	if (t == NULL || info == NULL) {
		return NULL;
	}
	unsigned k = 0;
	for (size_t i = 0; i < t->n; i++) {
		const hs_trust_entry_t *e = t->v[i];
		if (e->keytag == info->keytag && e->algorithm == info->algorithm &&
		    hs_dname_equal(e->child, info->signer)) {
			if (k++ == idx) {
				return e->key;
			}
		}
	}
	return NULL;
}

const hs_trust_entry_t *hs_trust_entry_of(const hs_trust_t *t, const hs_key_t *key)
{
	for (size_t i = 0; t != NULL && key != NULL && i < t->n; i++) {
		if (t->v[i]->key == key) {
			return t->v[i];
		}
	}
	return NULL;
}

/* ---- names of things ------------------------------------------------------------- */

static const char *STATE_NAMES[] = { NULL, "pending", "trusted", "refused" };
static const char *VIA_NAMES[] = { "none", "dnssec", "multi", "manual" };

const char *hs_trust_state_name(hs_trust_state_t s)
{
	return (s >= HS_TRUST_PENDING && s <= HS_TRUST_REFUSED) ? STATE_NAMES[s] : "?";
}

const char *hs_trust_via_name(hs_trust_via_t v)
{
	return (v >= HS_TRUST_VIA_NONE && v <= HS_TRUST_VIA_MANUAL) ? VIA_NAMES[v] : "?";
}

/* ---- persistence --------------------------------------------------------------------- */

static json_t *entry_json(const hs_trust_entry_t *e)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(name, e->child, sizeof(name)) == NULL) {
		return NULL;
	}
	size_t blen = sodium_base64_ENCODED_LEN(e->key->rdata.size, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(blen);
	if (b64 == NULL) {
		return NULL;
	}
	sodium_bin2base64(b64, blen, e->key->rdata.data, e->key->rdata.size,
	                  sodium_base64_VARIANT_ORIGINAL);
	json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:i, s:b, s:I, s:I}",
	                      "child", name, "rdata", b64, "keytag", (int)e->keytag,
	                      "algorithm", (int)e->algorithm, "state", hs_trust_state_name(e->state),
	                      "via", hs_trust_via_name(e->via), "confirmations", (int)e->confirmations,
	                      "manual_needed", e->manual_needed, "added", (json_int_t)e->added,
	                      "changed", (json_int_t)e->changed);
	free(b64);
	return o;
}

int hs_trust_save(const hs_trust_t *t, const char *path, char *why, size_t whylen)
{
	if (t == NULL || path == NULL) {
		return HS_EINVAL;
	}
	json_t *keys = json_array();
	json_t *root = json_pack("{s:i, s:i, s:o}", "version", 1, "needed", (int)t->needed,
	                         "keys", keys);
	if (root == NULL) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		json_t *o = entry_json(t->v[i]);
		if (o == NULL || json_array_append_new(keys, o) != 0) {
			json_decref(root);
			return HS_ENOMEM;
		}
	}
	const hs_state_opts_t so = { .mode = 0600, .why = why, .whylen = whylen };
	int ret = hs_state_write_json(path, root, JSON_INDENT(1) | JSON_PRESERVE_ORDER, &so);
	json_decref(root);
	return ret;
}

static int parse_enum(const char *s, const char **names, int lo, int hi)
{
	for (int i = lo; i <= hi; i++) {
		if (strcmp(s, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

/* One entry of the "keys" array; *out NEW. */
static int entry_parse(json_t *o, size_t i, const char *path, hs_trust_entry_t **out,
                       char *why, size_t whylen)
{
	const char *child = NULL, *b64 = NULL, *state = NULL, *via = NULL;
	int keytag = -1, alg = -1, conf = -1, manual = 0;
	json_int_t added = 0, changed = 0;
	json_error_t jerr;
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:s, s:s, s:i, s:i, s:s, s:s, s:i, s:b, s:I, s:I}",
	                   "child", &child, "rdata", &b64, "keytag", &keytag, "algorithm", &alg,
	                   "state", &state, "via", &via, "confirmations", &conf,
	                   "manual_needed", &manual, "added", &added, "changed", &changed) != 0) {
		return hs_why(why, whylen, HS_ECONF, "%s: key %zu: %s", path, i, jerr.text);
	}
	knot_dname_storage_t name;
	if (knot_dname_from_str(name, child, sizeof(name)) == NULL ||
	    child[0] == '\0' || child[strlen(child) - 1] != '.') {
		return hs_why(why, whylen, HS_ECONF, "%s: key %zu: bad child name \"%s\"", path, i, child);
	}
	uint8_t rdata[RDATA_MAX];
	size_t len = 0;
	if (sodium_base642bin(rdata, sizeof(rdata), b64, strlen(b64), NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 || len == 0) {
		return hs_why(why, whylen, HS_ECONF, "%s: key %zu: bad base64 rdata", path, i);
	}
	int st = parse_enum(state, STATE_NAMES, HS_TRUST_PENDING, HS_TRUST_REFUSED);
	int vi = parse_enum(via, VIA_NAMES, HS_TRUST_VIA_NONE, HS_TRUST_VIA_MANUAL);
	if (st < 0 || vi < 0 || conf < 0) {
		return hs_why(why, whylen, HS_ECONF, "%s: key %zu: bad state, via or confirmations",
		              path, i);
	}
	hs_trust_entry_t *e = NULL;
	int ret = entry_new(name, rdata, len, &e);
	if (ret == HS_ENOMEM) {
		return ret;
	}
	if (ret != HS_EOK) {
		return hs_why(why, whylen, HS_ECONF, "%s: key %zu: rdata is not a usable key (%s)",
		              path, i, hs_strerror(ret));
	}
	if (e->keytag != keytag || e->algorithm != alg) {
		unsigned tag = e->keytag, a = e->algorithm;
		entry_free(e);
		return hs_why(why, whylen, HS_ECONF, "%s: key %zu: keytag/algorithm %d/%d, rdata says %u/%u",
		              path, i, keytag, alg, tag, a);
	}
	e->state = st;
	e->via = vi;
	e->confirmations = (unsigned)conf;
	e->manual_needed = manual;
	e->added = (time_t)added;
	e->changed = (time_t)changed;
	*out = e;
	return HS_EOK;
}

int hs_trust_load(hs_trust_t *t, const char *path, char *why, size_t whylen)
{
	if (t == NULL || path == NULL) {
		return HS_EINVAL;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		return hs_why(why, whylen, HS_ENOTFOUND, "%s: no such file", path);
	}
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		return hs_why(why, whylen, HS_ECONF, "%s:%d: %s", path, jerr.line, jerr.text);
	}
	int version = 0, needed = 0;
	json_t *keys = NULL;
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:i, s:i, s:o}", "version", &version,
	                   "needed", &needed, "keys", &keys) != 0 || !json_is_array(keys)) {
		bool notarray = keys != NULL && !json_is_array(keys);
		json_decref(root);
		return hs_why(why, whylen, HS_ECONF, "%s: %s", path,
		              notarray ? "\"keys\" is not an array" : jerr.text);
	}
	if (version != 1 || needed < 1) {
		json_decref(root);
		return hs_why(why, whylen, HS_ECONF, "%s: version %d or needed %d not supported",
		              path, version, needed);
	}
	hs_trust_t tmp = { .needed = (unsigned)needed };
	int ret = HS_EOK;
	for (size_t i = 0; ret == HS_EOK && i < json_array_size(keys); i++) {
		hs_trust_entry_t *e = NULL;
		ret = entry_parse(json_array_get(keys, i), i, path, &e, why, whylen);
		if (ret != HS_EOK) {
			break;
		}
		if (find(&tmp, e->child, e->key->rdata.data, e->key->rdata.size, NULL) != NULL) {
			entry_free(e);
			ret = hs_why(why, whylen, HS_ECONF, "%s: key %zu: the same key twice", path, i);
			break;
		}
		ret = push(&tmp, e);
		if (ret != HS_EOK) {
			entry_free(e);
		}
	}
	json_decref(root);
	if (ret != HS_EOK) {
		entries_free(tmp.v, tmp.n);
		return ret;
	}
	entries_free(t->v, t->n);
	*t = tmp;
	return HS_EOK;
}
