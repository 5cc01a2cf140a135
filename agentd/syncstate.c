/*
 * agentd/syncstate.c -- one zone's sync state as JSON (to and from, with a
 * reason naming the field on bad input) and the atomic JSON file writer.
 * See sync.h, "state".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/sync.h"
#include "agentd/syncint.h"
#include "common/statefile.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"

/* ---- JSON ---------------------------------------------------------------- */

json_t *hs_sync_rdataset_json(const knot_rdataset_t *rrs)
{
	json_t *a = json_array();
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; a != NULL && i < rrs->count; i++, rd = knot_rdataset_next(rd)) {
		size_t n = sodium_base64_encoded_len(rd->len, sodium_base64_VARIANT_ORIGINAL);
		char *b = malloc(n);
		if (b == NULL) {
			json_decref(a);
			return NULL;
		}
		sodium_bin2base64(b, n, rd->data, rd->len, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b));
		free(b);
	}
	return a;
}

static json_t *rrset_json(const knot_rrset_t *r)
{
	if (rrset_empty(r)) {
		return json_null();
	}
	return json_pack("{s:I, s:o}", "ttl", (json_int_t)r->ttl, "rdata", hs_sync_rdataset_json(&r->rrs));
}

static json_t *content_json(const hs_msg_content_t *c)
{
	json_t *o = json_object();
	for (unsigned i = 0; o != NULL && i < HS_MSG_NTYPES; i++) {
		if (!rrset_empty(c->rr[i])) {
			char name[16];
			knot_rrtype_to_string(hs_msg_sync_type(i), name, sizeof(name));
			json_object_set_new(o, name, rrset_json(c->rr[i]));
		}
	}
	return o;
}

static json_t *dname_json(const knot_dname_t *d)
{
	char txt[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(txt, d, sizeof(txt)) == NULL) {
		return NULL;
	}
	return json_string(txt);
}

json_t *hs_sync_to_json(const hs_sync_t *s)
{
	json_t *hs = json_array();
	for (size_t i = 0; hs != NULL && i < s->nhs; i++) {
		char txt[HS_RR_TEXT_MAX];
		if (hs_hsync_to_text(&s->hs[i], txt, sizeof(txt)) == HS_EOK) {
			json_array_append_new(hs, json_string(txt));
		}
	}
	hs_msg_content_t cc;
	memcpy(cc.rr, s->carried, sizeof(cc.rr));
	json_t *carried = content_json(&cc);
	json_t *provs = json_array();
	for (size_t i = 0; provs != NULL && i < s->nprov; i++) {
		const prov_t *p = &s->prov[i];
		json_array_append_new(provs, json_pack("{s:o, s:i, s:b, s:I, s:o}",
			"identity", dname_json(p->id), "gates", (int)p->gates, "have", p->have,
			"received", (json_int_t)p->received, "part", content_json(&p->part)));
	}
	return json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:b, s:I, s:o, s:o, s:o, s:o, s:o}",
		"format", HS_SYNC_FORMAT, "zone", dname_json(s->zone), "self", dname_json(s->self),
		"hsync_seen", s->hsync_seen, "hsync", hs,
		"own_ns", rrset_json(s->own_ns), "signed", rrset_json(s->signed_dnskey),
		"have_serial", s->have_serial, "serial", (json_int_t)s->serial,
		"pushed", hs_sync_rdataset_json(&s->pushed), "planned", hs_sync_rdataset_json(&s->planned),
		"held", hs_sync_rdataset_json(&s->held), "carried", carried, "providers", provs);
}

/* Reading: every helper fills why with the field and returns HS_ESYNTAX. */
static int bad(char *why, size_t len, const char *field, const char *what)
{
	say(why, len, "%s: %s", field, what);
	return HS_ESYNTAX;
}

int hs_sync_rdataset_from_json(const json_t *a, knot_rdataset_t *out, const char *field,
                               char *why, size_t whylen)
{
	if (!json_is_array(a)) {
		return bad(why, whylen, field, "not an array");
	}
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v) {
		const char *b = json_string_value(v);
		uint8_t bin[65535];
		size_t blen = 0;
		if (b == NULL || sodium_base642bin(bin, sizeof(bin), b, strlen(b), NULL, &blen, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    blen == 0) {
			return bad(why, whylen, field, "an entry is not base64 RDATA");
		}
		knot_rdata_t *rd = rdata_new(bin, (uint16_t)blen);
		if (rd == NULL) {
			return HS_ENOMEM;
		}
		int ret = knot_rdataset_add(out, rd, NULL);
		free(rd);
		if (ret != KNOT_EOK) {
			return HS_ENOMEM;
		}
	}
	return HS_EOK;
}

static int rrset_from(const hs_sync_t *s, const json_t *j, uint16_t type, knot_rrset_t **out,
                      const char *field, char *why, size_t whylen)
{
	*out = NULL;
	if (j == NULL || json_is_null(j)) {
		return HS_EOK;
	}
	json_t *ttl = json_object_get(j, "ttl");
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > INT32_MAX) {
		return bad(why, whylen, field, "ttl missing or out of range");
	}
	knot_rrset_t *r = knot_rrset_new(s->zone, type, KNOT_CLASS_IN,
	                                 (uint32_t)json_integer_value(ttl), NULL);
	if (r == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_sync_rdataset_from_json(json_object_get(j, "rdata"), &r->rrs, field, why, whylen);
	if (ret == HS_EOK && (type == KNOT_RRTYPE_DNSKEY || type == KNOT_RRTYPE_CDNSKEY)) {
		knot_rdata_t *rd = r->rrs.rdata;
		for (uint16_t i = 0; i < r->rrs.count; i++, rd = knot_rdataset_next(rd)) {
			if (hs_dnssec_dnskey_check(rd->data, rd->len) != HS_EOK) {
				ret = bad(why, whylen, field, "RDATA is not a DNSKEY");
				break;
			}
		}
	}
	if (ret != HS_EOK || r->rrs.count == 0) {
		knot_rrset_free(r, NULL);
		return ret;
	}
	*out = r;
	return HS_EOK;
}

static int content_from(const hs_sync_t *s, const json_t *o, hs_msg_content_t *c,
                        const char *field, char *why, size_t whylen)
{
	if (!json_is_object(o)) {
		return bad(why, whylen, field, "not an object");
	}
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)o, key, v) {
		unsigned i;
		for (i = 0; i < HS_MSG_NTYPES; i++) {
			char name[16];
			knot_rrtype_to_string(hs_msg_sync_type(i), name, sizeof(name));
			if (strcmp(name, key) == 0) {
				break;
			}
		}
		if (i == HS_MSG_NTYPES) {
			return bad(why, whylen, field, "unknown RR type");
		}
		knot_rrset_free(c->rr[i], NULL);
		int ret = rrset_from(s, v, hs_msg_sync_type(i), &c->rr[i], field, why, whylen);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return HS_EOK;
}

static int dname_from(const json_t *j, knot_dname_storage_t out, const char *field, char *why,
                      size_t whylen)
{
	const char *t = json_string_value(j);
	if (t == NULL || knot_dname_from_str(out, t, sizeof(knot_dname_storage_t)) == NULL) {
		return bad(why, whylen, field, "missing or not a domain name");
	}
	knot_dname_to_lower(out);
	return HS_EOK;
}

static int from_json(hs_sync_t *s, const json_t *j, char *why, size_t whylen)
{
	int ret;
	const char *fmt = json_string_value(json_object_get(j, "format"));
	if (fmt == NULL || strcmp(fmt, HS_SYNC_FORMAT) != 0) {
		return bad(why, whylen, "format", "missing or not " HS_SYNC_FORMAT);
	}
	if ((ret = dname_from(json_object_get(j, "zone"), s->zone, "zone", why, whylen)) != 0 ||
	    (ret = dname_from(json_object_get(j, "self"), s->self, "self", why, whylen)) != 0) {
		return ret;
	}
	json_t *hs = json_object_get(j, "hsync");
	if (!json_is_array(hs) || json_array_size(hs) > HS_SYNC_MAX_PROVIDERS) {
		return bad(why, whylen, "hsync", "not an array of HSYNC RDATA");
	}
	if (json_array_size(hs) > 0 &&
	    (s->hs = calloc(json_array_size(hs), sizeof(s->hs[0]))) == NULL) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(hs); i++) {
		const char *t = json_string_value(json_array_get(hs, i));
		if (t == NULL || hs_hsync_from_text(&s->hs[i], t) != HS_EOK) {
			return bad(why, whylen, "hsync", "an entry is not HSYNC RDATA text");
		}
	}
	s->nhs = json_array_size(hs);
	s->hsync_seen = json_is_true(json_object_get(j, "hsync_seen"));
	s->have_serial = json_is_true(json_object_get(j, "have_serial"));
	json_t *serial = json_object_get(j, "serial");
	if (!json_is_integer(serial) || json_integer_value(serial) < 0 ||
	    json_integer_value(serial) > UINT32_MAX) {
		return bad(why, whylen, "serial", "missing or out of range");
	}
	s->serial = (uint32_t)json_integer_value(serial);
	if ((ret = rrset_from(s, json_object_get(j, "own_ns"), KNOT_RRTYPE_NS, &s->own_ns,
	                      "own_ns", why, whylen)) != 0 ||
	    (ret = rrset_from(s, json_object_get(j, "signed"), KNOT_RRTYPE_DNSKEY,
	                      &s->signed_dnskey, "signed", why, whylen)) != 0 ||
	    (ret = hs_sync_rdataset_from_json(json_object_get(j, "pushed"), &s->pushed, "pushed", why,
	                         whylen)) != 0 ||
	    (ret = hs_sync_rdataset_from_json(json_object_get(j, "planned"), &s->planned, "planned", why,
	                         whylen)) != 0 ||
	    (ret = hs_sync_rdataset_from_json(json_object_get(j, "held"), &s->held, "held", why, whylen)) != 0) {
		return ret;
	}
	hs_msg_content_t cc = { { NULL } };
	ret = content_from(s, json_object_get(j, "carried"), &cc, "carried", why, whylen);
	memcpy(s->carried, cc.rr, sizeof(cc.rr));
	if (ret != HS_EOK) {
		return ret;
	}
	json_t *provs = json_object_get(j, "providers");
	if (!json_is_array(provs) || json_array_size(provs) > HS_SYNC_MAX_PROVIDERS) {
		return bad(why, whylen, "providers", "not an array");
	}
	if (hs_sync_prov_reserve(s, json_array_size(provs)) != HS_EOK) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(provs); i++) {
		json_t *o = json_array_get(provs, i);
		prov_t *p = &s->prov[s->nprov];
		memset(p, 0, sizeof(*p));
		if ((ret = dname_from(json_object_get(o, "identity"), p->id, "providers.identity",
		                      why, whylen)) != 0) {
			return ret;
		}
		json_t *g = json_object_get(o, "gates");
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > HS_SYNC_G_ALL) {
			return bad(why, whylen, "providers.gates", "missing or out of range");
		}
		p->gates = (unsigned)json_integer_value(g);
		p->have = json_is_true(json_object_get(o, "have"));
		p->received = (time_t)json_integer_value(json_object_get(o, "received"));
		s->nprov++;
		ret = content_from(s, json_object_get(o, "part"), &p->part, "providers.part", why,
		                   whylen);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return hs_sync_own_recompute(s);
}

int hs_sync_from_json(const json_t *j, const hs_sync_limits_t *lim, hs_sync_t **out,
                      char *why, size_t whylen)
{
	if (j == NULL || out == NULL) {
		return HS_EINVAL;
	}
	if (!json_is_object(j)) {
		return bad(why, whylen, "sync", "not an object");
	}
	hs_sync_t *s = NULL;
	int ret = hs_sync_new((const knot_dname_t *)"", (const knot_dname_t *)"", lim, &s);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = from_json(s, j, why, whylen);
	if (ret != HS_EOK) {
		hs_sync_free(s);
		return ret;
	}
	*out = s;
	return HS_EOK;
}

/* ---- atomic JSON file ------------------------------------------------------ */

int hs_sync_write_json(const json_t *j, const char *path)
{
	if (j == NULL || path == NULL) {
		return HS_EINVAL;
	}
	const hs_state_opts_t o = { .mode = 0644 };
	return hs_state_write_json(path, j, JSON_INDENT(1) | JSON_SORT_KEYS, &o);
}
