/*
 * hsyncd/change.c -- apex differences, as log lines, JSON lines and a mask
 * of types to NOTIFY (see change.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "hsyncd/change.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"

/* ---- diff ------------------------------------------------------------------ */

void hs_change_clear(hs_change_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->count; i++) {
		knot_rdataset_clear(&c->items[i].added, NULL);
		knot_rdataset_clear(&c->items[i].removed, NULL);
	}
	memset(c, 0, sizeof(*c));
}

static int diff_slot(hs_change_t *c, const hs_apex_t *old, const hs_apex_t *new,
                     int slot, bool sig)
{
	uint16_t type = hs_apex_slot_type(slot);
	knot_rrset_t o, n;
	knot_rrset_init_empty(&o);
	knot_rrset_init_empty(&n);
	if (old != NULL)
		(void)(sig ? hs_apex_rrsig(old, type, &o) : hs_apex_rrset(old, type, &o));
	if (new != NULL)
		(void)(sig ? hs_apex_rrsig(new, type, &n) : hs_apex_rrset(new, type, &n));
	if (o.ttl == n.ttl && knot_rdataset_eq(&o.rrs, &n.rrs))
		return HS_EOK;

	hs_change_item_t *it = &c->items[c->count++];
	memset(it, 0, sizeof(*it));
	it->slot = slot;
	it->rrsig = sig;
	it->old_ttl = o.ttl;
	it->new_ttl = n.ttl;
	if (knot_rdataset_copy(&it->added, &n.rrs, NULL) != KNOT_EOK ||
	    knot_rdataset_copy(&it->removed, &o.rrs, NULL) != KNOT_EOK ||
	    knot_rdataset_subtract(&it->added, &o.rrs, NULL) != KNOT_EOK ||
	    knot_rdataset_subtract(&it->removed, &n.rrs, NULL) != KNOT_EOK)
		return HS_ENOMEM;
	if (sig)
		c->sig_mask |= 1u << slot;
	else
		c->mask |= 1u << slot;
	return HS_EOK;
}

int hs_change_diff(hs_change_t *c, const hs_apex_t *old, const hs_apex_t *new)
{
	if (c == NULL)
		return HS_EINVAL;
	memset(c, 0, sizeof(*c));
	if (old == NULL && new == NULL)
		return HS_EINVAL;
	if (old != NULL && new != NULL &&
	    !knot_dname_is_equal(hs_apex_zone(old), hs_apex_zone(new)))
		return HS_EINVAL;
	const knot_dname_t *zone = hs_apex_zone(new != NULL ? new : old);
	memcpy(c->zone, zone, knot_dname_size(zone));
	c->first = old == NULL;
	c->has_old_serial = hs_apex_serial(old, &c->old_serial);
	c->has_new_serial = hs_apex_serial(new, &c->new_serial);
	c->hsync_old_error = old != NULL ? hs_apex_hsync_check(old) : 0;
	c->hsync_error = new != NULL ? hs_apex_hsync_check(new) : 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int s = 0; s < HS_APEX_NSLOTS; s++) {
			int ret = diff_slot(c, old, new, s, pass == 1);
			if (ret != HS_EOK) {
				hs_change_clear(c);
				return ret;
			}
		}
	}
	return HS_EOK;
}

bool hs_change_empty(const hs_change_t *c)
{
	return c == NULL || c->count == 0;
}

const hs_change_item_t *hs_change_item(const hs_change_t *c, int slot, bool rrsig)
{
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->count; i++)
		if (c->items[i].slot == slot && c->items[i].rrsig == rrsig)
			return &c->items[i];
	return NULL;
}

unsigned hs_change_mask(const hs_change_t *c)
{
	return c == NULL ? 0 : c->mask;
}

unsigned hs_change_notify_mask(const hs_change_t *c)
{
	if (c == NULL)
		return 0;
	unsigned m = c->mask & ~(1u << HS_APEX_SOA);
	if (c->hsync_error != 0)
		m &= ~(1u << HS_APEX_HSYNC);
	return m;
}

size_t hs_change_mask_types(unsigned mask, uint16_t *types, size_t cap)
{
	size_t n = 0;
	for (int s = 0; s < HS_APEX_NSLOTS; s++)
		if ((mask & (1u << s)) && types != NULL && n < cap)
			types[n++] = hs_apex_slot_type(s);
	return n;
}

/* ---- text of one RDATA -------------------------------------------------------- */

static int grow(char **buf, size_t *cap, size_t need)
{
	if (*buf != NULL && *cap >= need)
		return HS_EOK;
	char *nb = realloc(*buf, need);
	if (nb == NULL)
		return HS_ENOMEM;
	*buf = nb;
	*cap = need;
	return HS_EOK;
}

static int rd_text(uint16_t type, const knot_rdata_t *rd, char **buf, size_t *cap)
{
	size_t gen = 2 * (size_t)rd->len + 16;
	if (type == HS_RRTYPE_HSYNC) {
		if (grow(buf, cap, HS_RR_TEXT_MAX > gen ? HS_RR_TEXT_MAX : gen) != HS_EOK)
			return HS_ENOMEM;
		if (hs_rr_rdata_to_text(type, rd->data, rd->len, *buf, *cap) == HS_EOK)
			return HS_EOK;
		return hs_rr_rdata_to_generic(rd->data, rd->len, *buf, *cap) == HS_EOK
		       ? HS_EOK : HS_ENOMEM;
	}
	knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
	style.wrap = false;
	style.human_timestamp = true;
	style.hide_crypto = false;
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)"", type, KNOT_CLASS_IN, 0);
	rr.rrs.count = 1;
	rr.rrs.size = knot_rdata_size(rd->len);
	rr.rrs.rdata = (knot_rdata_t *)rd;
	size_t want = 256 + 4 * (size_t)rd->len;
	if (grow(buf, cap, want) != HS_EOK)
		return HS_ENOMEM;
	if (knot_rrset_txt_dump_data(&rr, 0, *buf, *cap, &style) >= 0)
		return HS_EOK;
	if (grow(buf, cap, gen) != HS_EOK)
		return HS_ENOMEM;
	return hs_rr_rdata_to_generic(rd->data, rd->len, *buf, *cap) == HS_EOK ? HS_EOK : HS_ENOMEM;
}

int hs_change_rdata_text(uint16_t type, const uint8_t *rdata, size_t len, char **buf, size_t *cap)
{
	if (buf == NULL || cap == NULL || (rdata == NULL && len > 0) || len > UINT16_MAX)
		return HS_EINVAL;
	knot_rdata_t *rd = malloc(knot_rdata_size((uint16_t)len));
	if (rd == NULL)
		return HS_ENOMEM;
	knot_rdata_init(rd, (uint16_t)len, rdata);
	int ret = rd_text(type, rd, buf, cap);
	free(rd);
	return ret;
}

/* ---- human lines ----------------------------------------------------------------- */

struct out {
	const hs_change_t *c;
	hs_change_line_f cb;
	void *ctx;
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	char *tbuf;      /* RDATA text scratch */
	size_t tcap;
};

static int emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int emit(struct out *o, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return HS_ENOMEM;
	char *line = NULL;
	n = asprintf(&line, "%s: %s", o->zone, body);
	free(body);
	if (n < 0)
		return HS_ENOMEM;
	o->cb(line, o->ctx);
	free(line);
	return HS_EOK;
}

/* "41359 (KSK, alg 13)" for a DNSKEY or CDNSKEY; "delete (0 3 0 AA==)" for the CDNSKEY delete. */
static int key_desc(struct out *o, uint16_t type, const knot_rdata_t *rd, char *d, size_t cap)
{
	uint16_t tag, flags;
	int alg = hs_dnssec_algorithm(rd->data, rd->len);
	if (alg == 0 && type == KNOT_RRTYPE_CDNSKEY) {
		if (rd_text(type, rd, &o->tbuf, &o->tcap) != HS_EOK)
			return HS_ENOMEM;
		snprintf(d, cap, "delete (%s)", o->tbuf);
		return HS_EOK;
	}
	if (alg < 0 || hs_dnssec_keytag(rd->data, rd->len, &tag) != HS_EOK ||
	    hs_dnssec_flags(rd->data, rd->len, &flags) != HS_EOK) {
		if (rd_text(type, rd, &o->tbuf, &o->tcap) != HS_EOK)
			return HS_ENOMEM;
		snprintf(d, cap, "%.200s (malformed)", o->tbuf);
		return HS_EOK;
	}
	const char *kind = (flags & HS_DNSKEY_FLAG_SEP) ? "KSK" : "ZSK";
	if (!(flags & HS_DNSKEY_FLAG_ZONE))
		kind = "not a zone key";
	snprintf(d, cap, "%u (%s%s, alg %d)", tag, kind,
	         (flags & HS_DNSKEY_FLAG_REVOKE) ? ", revoked" : "", alg);
	return HS_EOK;
}

/* Short description of one RR of a type other than SOA and HSYNC. */
static int rr_desc(struct out *o, uint16_t type, const knot_rdata_t *rd, char *d, size_t cap)
{
	if (type == KNOT_RRTYPE_DNSKEY || type == KNOT_RRTYPE_CDNSKEY)
		return key_desc(o, type, rd, d, cap);
	if (rd_text(type, rd, &o->tbuf, &o->tcap) != HS_EOK)
		return HS_ENOMEM;
	if (type == KNOT_RRTYPE_CDS && rd->len >= 4) {
		const uint8_t *p = rd->data;
		if (p[2] == 0)
			snprintf(d, cap, "delete (%.200s)", o->tbuf);
		else
			snprintf(d, cap, "%u alg %u digest %u", (unsigned)(p[0] << 8 | p[1]), p[2], p[3]);
		return HS_EOK;
	}
	snprintf(d, cap, "%.1000s", o->tbuf);
	return HS_EOK;
}

/* HSYNC as "identity" and "ON OWNER SIGN upstream X"; false if it does not decode. */
static bool hsync_parts(const knot_rdata_t *rd, char *id, size_t idcap, char *rest, size_t rcap)
{
	hs_hsync_t h;
	char t[HS_RR_TEXT_MAX];
	if (hs_hsync_from_wire(&h, rd->data, rd->len) != HS_EOK ||
	    hs_hsync_to_text(&h, t, sizeof(t)) != HS_EOK)
		return false;
	/* "ON OWNER SIGN identity upstream": names never hold a bare space. */
	char *tok[5], *save = NULL, *p = t;
	for (int i = 0; i < 5; i++, p = NULL)
		if ((tok[i] = strtok_r(p, " ", &save)) == NULL)
			return false;
	if (strtok_r(NULL, " ", &save) != NULL)
		return false;
	snprintf(id, idcap, "%s", tok[3]);
	snprintf(rest, rcap, "%s %s %s upstream %s", tok[0], tok[1], tok[2], tok[4]);
	return true;
}

static int hsync_lines(struct out *o, const hs_change_item_t *it)
{
	uint16_t na = it->added.count, nr = it->removed.count;
	bool *used = calloc((size_t)na + 1, sizeof(bool));
	if (used == NULL)
		return HS_ENOMEM;
	char id1[KNOT_DNAME_TXT_MAXLEN + 1], r1[2 * KNOT_DNAME_TXT_MAXLEN];
	char id2[KNOT_DNAME_TXT_MAXLEN + 1], r2[2 * KNOT_DNAME_TXT_MAXLEN];
	int ret = HS_EOK;

	/* Removed: paired with an added record of the same identity = changed. */
	knot_rdata_t *rd = it->removed.rdata;
	for (uint16_t i = 0; i < nr && ret == HS_EOK; i++, rd = knot_rdataset_next(rd)) {
		if (!hsync_parts(rd, id1, sizeof(id1), r1, sizeof(r1))) {
			if ((ret = rd_text(HS_RRTYPE_HSYNC, rd, &o->tbuf, &o->tcap)) == HS_EOK)
				ret = emit(o, "HSYNC record removed: %s (does not decode)", o->tbuf);
			continue;
		}
		knot_rdata_t *ad = it->added.rdata;
		bool paired = false;
		for (uint16_t j = 0; j < na; j++, ad = knot_rdataset_next(ad)) {
			if (used[j] || !hsync_parts(ad, id2, sizeof(id2), r2, sizeof(r2)) ||
			    strcmp(id1, id2) != 0)
				continue;
			used[j] = paired = true;
			ret = emit(o, "HSYNC %s changed: %s -> %s", id1, r1, r2);
			break;
		}
		if (!paired)
			ret = emit(o, "HSYNC %s removed: %s", id1, r1);
	}
	rd = it->added.rdata;
	for (uint16_t j = 0; j < na && ret == HS_EOK; j++, rd = knot_rdataset_next(rd)) {
		if (used[j])
			continue;
		if (hsync_parts(rd, id1, sizeof(id1), r1, sizeof(r1))) {
			ret = emit(o, "HSYNC %s added: %s", id1, r1);
		} else if ((ret = rd_text(HS_RRTYPE_HSYNC, rd, &o->tbuf, &o->tcap)) == HS_EOK) {
			ret = emit(o, "HSYNC record added: %s (does not decode)", o->tbuf);
		}
	}
	free(used);
	return ret;
}

static int soa_lines(struct out *o, const hs_change_item_t *it)
{
	const hs_change_t *c = o->c;
	if (!c->has_new_serial)
		return emit(o, "SOA removed: zone gone");
	if (c->first || !c->has_old_serial)
		return emit(o, "SOA serial %u (first seen)", c->new_serial);
	int ret = HS_EOK;
	if (it->added.count > 0 || it->removed.count > 0) {
		/* Did anything but the serial change? */
		const knot_rdata_t *a = it->added.rdata, *r = it->removed.rdata;
		bool only_serial = false;
		if (it->added.count == 1 && it->removed.count == 1 && a->len == r->len) {
			knot_rdata_t *tmp = malloc(knot_rdata_size(r->len));
			if (tmp == NULL)
				return HS_ENOMEM;
			memcpy(tmp, r, knot_rdata_size(r->len));
			knot_soa_serial_set(tmp, c->new_serial);
			only_serial = knot_rdata_cmp(tmp, a) == 0;
			free(tmp);
		}
		if (only_serial) {
			ret = emit(o, "SOA serial %u -> %u", c->old_serial, c->new_serial);
		} else {
			if ((ret = rd_text(KNOT_RRTYPE_SOA, a, &o->tbuf, &o->tcap)) != HS_EOK)
				return ret;
			ret = emit(o, "SOA serial %u -> %u: %s", c->old_serial, c->new_serial, o->tbuf);
		}
	}
	if (ret == HS_EOK && it->old_ttl != it->new_ttl)
		ret = emit(o, "SOA TTL %u -> %u", it->old_ttl, it->new_ttl);
	return ret;
}

/* "1 added (key 41359), 1 removed (keys 11815 41359)" */
static void sig_summary(const knot_rdataset_t *set, const char *what, char *d, size_t cap)
{
	size_t n = (size_t)snprintf(d, cap, "%u %s (key%s", set->count, what,
	                            set->count > 1 ? "s" : "");
	uint16_t seen[16];
	size_t ns = 0;
	knot_rdata_t *rd = set->rdata;
	for (uint16_t i = 0; i < set->count && n < cap; i++, rd = knot_rdataset_next(rd)) {
		if (rd->len < 18)
			continue;
		uint16_t tag = knot_rrsig_key_tag(rd);
		bool dup = false;
		for (size_t k = 0; k < ns; k++)
			dup |= seen[k] == tag;
		if (dup || ns == 16)
			continue;
		seen[ns++] = tag;
		n += (size_t)snprintf(d + n, cap - n, " %u", tag);
	}
	if (n < cap)
		snprintf(d + n, cap - n, ")");
}

static int item_lines(struct out *o, const hs_change_item_t *it)
{
	const char *tname = hs_apex_slot_name(it->slot);
	uint16_t type = hs_apex_slot_type(it->slot);
	char d[1200];

	if (it->rrsig) {
		char a[300] = "", r[300] = "";
		if (it->added.count > 0)
			sig_summary(&it->added, "added", a, sizeof(a));
		if (it->removed.count > 0)
			sig_summary(&it->removed, "removed", r, sizeof(r));
		if (it->added.count == 0 && it->removed.count == 0)
			return emit(o, "RRSIG %s TTL %u -> %u", tname, it->old_ttl, it->new_ttl);
		return emit(o, "RRSIG %s: %s%s%s", tname, a, (*a && *r) ? ", " : "", r);
	}
	if (it->slot == HS_APEX_SOA)
		return soa_lines(o, it);

	int ret = HS_EOK;
	if (it->slot == HS_APEX_HSYNC) {
		ret = hsync_lines(o, it);
	} else {
		knot_rdata_t *rd = it->removed.rdata;
		for (uint16_t i = 0; i < it->removed.count && ret == HS_EOK; i++, rd = knot_rdataset_next(rd))
			if ((ret = rr_desc(o, type, rd, d, sizeof(d))) == HS_EOK)
				ret = emit(o, "%s %s removed", tname, d);
		rd = it->added.rdata;
		for (uint16_t i = 0; i < it->added.count && ret == HS_EOK; i++, rd = knot_rdataset_next(rd))
			if ((ret = rr_desc(o, type, rd, d, sizeof(d))) == HS_EOK)
				ret = emit(o, "%s %s added", tname, d);
	}
	if (ret == HS_EOK && it->old_ttl != 0 && it->new_ttl != 0 && it->old_ttl != it->new_ttl)
		ret = emit(o, "%s TTL %u -> %u", tname, it->old_ttl, it->new_ttl);
	return ret;
}

static void out_init(struct out *o, const hs_change_t *c, hs_change_line_f cb, void *ctx)
{
	memset(o, 0, sizeof(*o));
	o->c = c;
	o->cb = cb;
	o->ctx = ctx;
	if (knot_dname_to_str(o->zone, c->zone, sizeof(o->zone)) == NULL)
		snprintf(o->zone, sizeof(o->zone), "?");
}

int hs_change_lines(const hs_change_t *c, hs_change_line_f cb, void *ctx)
{
	if (c == NULL || cb == NULL)
		return HS_EINVAL;
	struct out o;
	out_init(&o, c, cb, ctx);
	int ret = HS_EOK;
	for (size_t i = 0; i < c->count && ret == HS_EOK; i++) {
		ret = item_lines(&o, &c->items[i]);
		if (ret == HS_EOK && !c->items[i].rrsig && c->items[i].slot == HS_APEX_HSYNC) {
			if (c->hsync_error != 0)
				ret = emit(&o, "HSYNC RRset invalid (%s): not passed on as the owner's intent",
				           hs_strerror(c->hsync_error));
			else if (c->hsync_old_error != 0 && !c->first)
				ret = emit(&o, "HSYNC RRset valid again");
		}
	}
	free(o.tbuf);
	return ret;
}

/* ---- JSON lines ---------------------------------------------------------------------- */

static json_t *rr_array(struct out *o, uint16_t type, const knot_rdataset_t *set)
{
	json_t *arr = json_array();
	if (arr == NULL)
		return NULL;
	knot_rdata_t *rd = set->rdata;
	for (uint16_t i = 0; i < set->count; i++, rd = knot_rdataset_next(rd)) {
		if (rd_text(type, rd, &o->tbuf, &o->tcap) != HS_EOK ||
		    json_array_append_new(arr, json_string(o->tbuf)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int item_json(struct out *o, const hs_change_item_t *it)
{
	uint16_t type = it->rrsig ? KNOT_RRTYPE_RRSIG : hs_apex_slot_type(it->slot);
	json_t *obj = json_object();
	json_t *added = rr_array(o, type, &it->added);
	json_t *removed = rr_array(o, type, &it->removed);
	int bad = obj == NULL || added == NULL || removed == NULL;
	if (!bad) {
		bad |= json_object_set_new(obj, "zone", json_string(o->zone));
		bad |= json_object_set_new(obj, "type", json_string(it->rrsig ? "RRSIG"
		                                                    : hs_apex_slot_name(it->slot)));
		if (it->rrsig)
			bad |= json_object_set_new(obj, "covers", json_string(hs_apex_slot_name(it->slot)));
		bad |= json_object_set_new(obj, "ttl", json_integer(it->new_ttl));
		if (it->old_ttl != it->new_ttl && it->old_ttl != 0 && it->new_ttl != 0)
			bad |= json_object_set_new(obj, "old_ttl", json_integer(it->old_ttl));
		bad |= json_object_set(obj, "added", added);
		bad |= json_object_set(obj, "removed", removed);
		if (!it->rrsig && it->slot == HS_APEX_HSYNC && o->c->hsync_error != 0) {
			bad |= json_object_set_new(obj, "valid", json_false());
			bad |= json_object_set_new(obj, "reason",
			                           json_string(hs_strerror(o->c->hsync_error)));
		}
		if (!it->rrsig && it->slot == HS_APEX_SOA && o->c->has_new_serial) {
			bad |= json_object_set_new(obj, "serial", json_integer(o->c->new_serial));
			if (o->c->has_old_serial)
				bad |= json_object_set_new(obj, "old_serial", json_integer(o->c->old_serial));
		}
	}
	char *line = bad ? NULL : json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(added);
	json_decref(removed);
	json_decref(obj);
	if (line == NULL)
		return HS_ENOMEM;
	o->cb(line, o->ctx);
	free(line);
	return HS_EOK;
}

int hs_change_json(const hs_change_t *c, hs_change_line_f cb, void *ctx)
{
	if (c == NULL || cb == NULL)
		return HS_EINVAL;
	struct out o;
	out_init(&o, c, cb, ctx);
	int ret = HS_EOK;
	for (size_t i = 0; i < c->count && ret == HS_EOK; i++)
		ret = item_json(&o, &c->items[i]);
	free(o.tbuf);
	return ret;
}
