/*
 * hsyncd/apex.c -- the apex state of one zone (see apex.h).
 *
 * Layout: one allocation holds the struct and the zone name; each of the
 * 7 kept types has one slot for its RDATA and one for the RRSIGs covering
 * it, both knot_rdataset_t (a count and one contiguous, canonically sorted
 * RDATA array), so a zone costs one malloc plus one per non-empty RRset.
 */
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "hsyncd/apex.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"

struct hs_apex_set {
	knot_rdataset_t rrs;
	uint32_t ttl;
};

struct hs_apex {
	struct hs_apex_set data[HS_APEX_NSLOTS];
	struct hs_apex_set sigs[HS_APEX_NSLOTS];
	knot_dname_t zone[];   /* lowercase wire form */
};

static const uint16_t slot_types[HS_APEX_NSLOTS] = {
	KNOT_RRTYPE_SOA, KNOT_RRTYPE_NS, KNOT_RRTYPE_DNSKEY, KNOT_RRTYPE_CDS,
	KNOT_RRTYPE_CDNSKEY, KNOT_RRTYPE_CSYNC, HS_RRTYPE_HSYNC,
};

static const char *const slot_names[HS_APEX_NSLOTS] = {
	"SOA", "NS", "DNSKEY", "CDS", "CDNSKEY", "CSYNC", "HSYNC",
};

int hs_apex_slot(uint16_t type)
{
	switch (type) {
	case KNOT_RRTYPE_SOA:     return HS_APEX_SOA;
	case KNOT_RRTYPE_NS:      return HS_APEX_NS;
	case KNOT_RRTYPE_DNSKEY:  return HS_APEX_DNSKEY;
	case KNOT_RRTYPE_CDS:     return HS_APEX_CDS;
	case KNOT_RRTYPE_CDNSKEY: return HS_APEX_CDNSKEY;
	case KNOT_RRTYPE_CSYNC:   return HS_APEX_CSYNC;
	case HS_RRTYPE_HSYNC:     return HS_APEX_HSYNC;
	default:                  return -1;
	}
}

uint16_t hs_apex_slot_type(int slot)
{
	return (slot >= 0 && slot < HS_APEX_NSLOTS) ? slot_types[slot] : 0;
}

const char *hs_apex_slot_name(int slot)
{
	return (slot >= 0 && slot < HS_APEX_NSLOTS) ? slot_names[slot] : "?";
}

int hs_apex_new(hs_apex_t **out, const knot_dname_t *zone)
{
	if (out == NULL || zone == NULL)
		return HS_EINVAL;
	size_t nlen = knot_dname_size(zone);
	if (nlen == 0 || nlen > KNOT_DNAME_MAXLEN)
		return HS_ENAME;
	hs_apex_t *a = calloc(1, sizeof(*a) + nlen);
	if (a == NULL)
		return HS_ENOMEM;
	knot_dname_copy_lower(a->zone, zone);
	*out = a;
	return HS_EOK;
}

void hs_apex_clear(hs_apex_t *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < HS_APEX_NSLOTS; i++) {
		knot_rdataset_clear(&a->data[i].rrs, NULL);
		knot_rdataset_clear(&a->sigs[i].rrs, NULL);
		a->data[i].ttl = 0;
		a->sigs[i].ttl = 0;
	}
}

void hs_apex_free(hs_apex_t *a)
{
	if (a == NULL)
		return;
	hs_apex_clear(a);
	free(a);
}

int hs_apex_clone(hs_apex_t **out, const hs_apex_t *a)
{
	if (out == NULL || a == NULL)
		return HS_EINVAL;
	hs_apex_t *c = NULL;
	int ret = hs_apex_new(&c, a->zone);
	if (ret != HS_EOK)
		return ret;
	for (int i = 0; i < HS_APEX_NSLOTS; i++) {
		if (knot_rdataset_copy(&c->data[i].rrs, &a->data[i].rrs, NULL) != KNOT_EOK ||
		    knot_rdataset_copy(&c->sigs[i].rrs, &a->sigs[i].rrs, NULL) != KNOT_EOK) {
			hs_apex_free(c);
			return HS_ENOMEM;
		}
		c->data[i].ttl = a->data[i].ttl;
		c->sigs[i].ttl = a->sigs[i].ttl;
	}
	*out = c;
	return HS_EOK;
}

const knot_dname_t *hs_apex_zone(const hs_apex_t *a)
{
	return a == NULL ? NULL : a->zone;
}

/* The set an RR would go to, or NULL if it is not kept. Cheap checks first. */
static struct hs_apex_set *target(const hs_apex_t *a, const knot_dname_t *owner,
                                  uint16_t type, const uint8_t *rdata, size_t len, int *err)
{
	*err = HS_EOK;
	int slot;
	bool sig = false;
	if (type == KNOT_RRTYPE_RRSIG) {
		if (rdata == NULL || len < 2) {
			*err = HS_EMSG;
			return NULL;
		}
		slot = hs_apex_slot((uint16_t)(rdata[0] << 8 | rdata[1]));
		sig = true;
	} else {
		slot = hs_apex_slot(type);
	}
	if (slot < 0 || owner == NULL || !knot_dname_is_case_equal(owner, a->zone))
		return NULL;
	struct hs_apex *m = (struct hs_apex *)a;
	return sig ? &m->sigs[slot] : &m->data[slot];
}

bool hs_apex_wanted(const hs_apex_t *a, const knot_dname_t *owner, uint16_t type,
                    const uint8_t *rdata, size_t len)
{
	int err;
	return a != NULL && target(a, owner, type, rdata, len, &err) != NULL;
}

/* An rdata on the stack: RDATA is at most 65535 bytes. */
#define RDATA_BUF(name, len) uint8_t name[knot_rdata_size((uint16_t)(len))] \
	__attribute__((aligned(2)))

int hs_apex_add_rr(hs_apex_t *a, const knot_dname_t *owner, uint16_t type, uint16_t rclass,
                   uint32_t ttl, const uint8_t *rdata, size_t len)
{
	if (a == NULL || (rdata == NULL && len > 0) || len > UINT16_MAX)
		return HS_EINVAL;
	if (rclass != KNOT_CLASS_IN)
		return HS_EOK;
	int err;
	struct hs_apex_set *set = target(a, owner, type, rdata, len, &err);
	if (set == NULL)
		return err;
	RDATA_BUF(buf, len);
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, (uint16_t)len, rdata);
	int ret = knot_rdataset_add(&set->rrs, rd, NULL);
	if (ret != KNOT_EOK)
		return ret == KNOT_ENOMEM ? HS_ENOMEM : ret;
	set->ttl = ttl;
	return HS_EOK;
}

int hs_apex_remove_rr(hs_apex_t *a, const knot_dname_t *owner, uint16_t type, uint16_t rclass,
                      const uint8_t *rdata, size_t len)
{
	if (a == NULL || (rdata == NULL && len > 0) || len > UINT16_MAX)
		return HS_EINVAL;
	if (rclass != KNOT_CLASS_IN)
		return HS_EOK;
	int err;
	struct hs_apex_set *set = target(a, owner, type, rdata, len, &err);
	if (set == NULL)
		return err;
	RDATA_BUF(buf, len);
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, (uint16_t)len, rdata);
	if (!knot_rdataset_member(&set->rrs, rd))
		return HS_EOK;
	int ret = knot_rdataset_remove(&set->rrs, rd, NULL);
	if (ret != KNOT_EOK)
		return ret == KNOT_ENOMEM ? HS_ENOMEM : ret;
	if (set->rrs.count == 0) {
		knot_rdataset_clear(&set->rrs, NULL);
		set->ttl = 0;
	}
	return HS_EOK;
}

int hs_apex_add(hs_apex_t *a, const knot_rrset_t *rrset)
{
	if (a == NULL || rrset == NULL)
		return HS_EINVAL;
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		int ret = hs_apex_add_rr(a, rrset->owner, rrset->type, rrset->rclass,
		                         rrset->ttl, rd->data, rd->len);
		if (ret != HS_EOK)
			return ret;
		rd = knot_rdataset_next(rd);
	}
	return HS_EOK;
}

int hs_apex_remove(hs_apex_t *a, const knot_rrset_t *rrset)
{
	if (a == NULL || rrset == NULL)
		return HS_EINVAL;
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		int ret = hs_apex_remove_rr(a, rrset->owner, rrset->type, rrset->rclass,
		                            rd->data, rd->len);
		if (ret != HS_EOK)
			return ret;
		rd = knot_rdataset_next(rd);
	}
	return HS_EOK;
}

static int view(const hs_apex_t *a, uint16_t type, bool sig, knot_rrset_t *out)
{
	if (a == NULL || out == NULL)
		return HS_EINVAL;
	int slot = hs_apex_slot(type);
	if (slot < 0) {
		knot_rrset_init_empty(out);
		return HS_EINVAL;
	}
	const struct hs_apex_set *set = sig ? &a->sigs[slot] : &a->data[slot];
	knot_rrset_init(out, (knot_dname_t *)a->zone, sig ? KNOT_RRTYPE_RRSIG : type,
	                KNOT_CLASS_IN, set->ttl);
	out->rrs = set->rrs;
	return set->rrs.count > 0 ? HS_EOK : HS_ENOTFOUND;
}

int hs_apex_rrset(const hs_apex_t *a, uint16_t type, knot_rrset_t *out)
{
	return view(a, type, false, out);
}

int hs_apex_rrsig(const hs_apex_t *a, uint16_t covered, knot_rrset_t *out)
{
	return view(a, covered, true, out);
}

uint16_t hs_apex_count(const hs_apex_t *a, uint16_t type)
{
	int slot = hs_apex_slot(type);
	return (a == NULL || slot < 0) ? 0 : a->data[slot].rrs.count;
}

uint16_t hs_apex_rrsig_count(const hs_apex_t *a, uint16_t covered)
{
	int slot = hs_apex_slot(covered);
	return (a == NULL || slot < 0) ? 0 : a->sigs[slot].rrs.count;
}

bool hs_apex_serial(const hs_apex_t *a, uint32_t *serial)
{
	if (a == NULL || a->data[HS_APEX_SOA].rrs.count == 0)
		return false;
	const knot_rdata_t *rd = a->data[HS_APEX_SOA].rrs.rdata;
	/* SOA RDATA: two names, then serial; knot_soa_serial() walks the names,
	 * so check them within the RDATA first. */
	const uint8_t *end = rd->data + rd->len;
	int n1 = knot_dname_wire_check(rd->data, end, NULL);
	if (n1 <= 0)
		return false;
	int n2 = knot_dname_wire_check(rd->data + n1, end, NULL);
	if (n2 <= 0 || (size_t)(n1 + n2) + 20 > rd->len)
		return false;
	if (serial != NULL)
		*serial = knot_soa_serial(rd);
	return true;
}

static bool set_equal(const struct hs_apex_set *x, const struct hs_apex_set *y)
{
	return x->ttl == y->ttl && knot_rdataset_eq(&x->rrs, &y->rrs);
}

bool hs_apex_slot_equal(const hs_apex_t *a, const hs_apex_t *b, int slot, bool rrsig)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (slot < 0 || slot >= HS_APEX_NSLOTS)
		return false;
	return rrsig ? set_equal(&a->sigs[slot], &b->sigs[slot])
	             : set_equal(&a->data[slot], &b->data[slot]);
}

bool hs_apex_equal(const hs_apex_t *a, const hs_apex_t *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (!knot_dname_is_equal(a->zone, b->zone))
		return false;
	for (int i = 0; i < HS_APEX_NSLOTS; i++)
		if (!set_equal(&a->data[i], &b->data[i]) || !set_equal(&a->sigs[i], &b->sigs[i]))
			return false;
	return true;
}

int hs_apex_hsync_check(const hs_apex_t *a)
{
	if (a == NULL)
		return HS_EINVAL;
	knot_rrset_t rr;
	if (hs_apex_rrset(a, HS_RRTYPE_HSYNC, &rr) != HS_EOK)
		return HS_EOK;
	return hs_hsync_rrset_check(&rr);
}

size_t hs_apex_bytes(const hs_apex_t *a)
{
	if (a == NULL)
		return 0;
	size_t n = sizeof(*a) + knot_dname_size(a->zone);
	for (int i = 0; i < HS_APEX_NSLOTS; i++)
		n += a->data[i].rrs.size + a->sigs[i].rrs.size;
	return n;
}

/* ---- transfers ---------------------------------------------------------------- */

enum { X_START = 0, X_FIRST, X_AXFR, X_DEL, X_ADD, X_DONE, X_FAILED };

int hs_apex_xfr_begin(hs_apex_xfr_t *x, const knot_dname_t *zone, const hs_apex_t *cur)
{
	if (x == NULL || zone == NULL)
		return HS_EINVAL;
	memset(x, 0, sizeof(*x));
	if (cur != NULL && !knot_dname_is_case_equal(zone, cur->zone))
		return HS_EINVAL;
	int ret = hs_apex_new(&x->next, zone);
	if (ret != HS_EOK)
		return ret;
	x->cur = cur;
	x->state = X_START;
	return HS_EOK;
}

static bool soa_serial_of(const uint8_t *rdata, size_t len, uint32_t *serial)
{
	size_t n1 = knot_dname_size(rdata);
	if (n1 == 0 || n1 >= len || knot_dname_wire_check(rdata, rdata + len, NULL) <= 0)
		return false;
	if (knot_dname_wire_check(rdata + n1, rdata + len, NULL) <= 0)
		return false;
	size_t n2 = knot_dname_size(rdata + n1);
	if (n1 + n2 + 20 != len)
		return false;
	const uint8_t *p = rdata + n1 + n2;
	*serial = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return true;
}

static int set_soa(hs_apex_t *a, uint32_t ttl, const uint8_t *rdata, size_t len)
{
	knot_rdataset_clear(&a->data[HS_APEX_SOA].rrs, NULL);
	return hs_apex_add_rr(a, a->zone, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, ttl, rdata, len);
}

static int feed(hs_apex_xfr_t *x, const knot_dname_t *owner, uint16_t type, uint16_t rclass,
                uint32_t ttl, const uint8_t *rdata, size_t len)
{
	uint32_t serial = 0;
	bool is_soa = type == KNOT_RRTYPE_SOA && rclass == KNOT_CLASS_IN && owner != NULL &&
	              knot_dname_is_case_equal(owner, x->next->zone);
	if (is_soa && !soa_serial_of(rdata, len, &serial))
		return HS_EMSG;
	int ret;

	switch (x->state) {
	case X_START:
		if (!is_soa)
			return HS_EMSG;
		x->first_soa = malloc(len);
		if (x->first_soa == NULL)
			return HS_ENOMEM;
		memcpy(x->first_soa, rdata, len);
		x->first_soa_len = (uint16_t)len;
		x->first_soa_ttl = ttl;
		x->final_serial = serial;
		x->state = X_FIRST;
		return HS_EOK;

	case X_FIRST:
		if (is_soa && serial == x->final_serial) {
			/* AXFR of a zone that holds nothing but its SOA. */
			x->axfr = true;
			x->state = X_DONE;
			return set_soa(x->next, x->first_soa_ttl, x->first_soa, x->first_soa_len);
		}
		if (is_soa) {
			/* IXFR: this SOA is the version the first step starts from. */
			uint32_t have;
			if (x->cur == NULL || !hs_apex_serial(x->cur, &have) || have != serial)
				return HS_EMSG;
			hs_apex_free(x->next);
			x->next = NULL;
			ret = hs_apex_clone(&x->next, x->cur);
			if (ret != HS_EOK)
				return ret;
			x->state = X_DEL;
			return HS_EOK;
		}
		x->axfr = true;
		x->state = X_AXFR;
		ret = set_soa(x->next, x->first_soa_ttl, x->first_soa, x->first_soa_len);
		if (ret != HS_EOK)
			return ret;
		return hs_apex_add_rr(x->next, owner, type, rclass, ttl, rdata, len);

	case X_AXFR:
		if (is_soa) {
			if (serial != x->final_serial)
				return HS_EMSG;
			x->state = X_DONE;
			return HS_EOK;
		}
		return hs_apex_add_rr(x->next, owner, type, rclass, ttl, rdata, len);

	case X_DEL:
		if (is_soa) {
			x->step_serial = serial;
			x->state = X_ADD;
			return set_soa(x->next, ttl, rdata, len);
		}
		return hs_apex_remove_rr(x->next, owner, type, rclass, rdata, len);

	case X_ADD:
		if (is_soa) {
			if (x->step_serial == x->final_serial) {
				if (serial != x->final_serial)
					return HS_EMSG;
				x->state = X_DONE;
				return HS_EOK;
			}
			if (serial != x->step_serial)
				return HS_EMSG;
			x->state = X_DEL;
			return HS_EOK;
		}
		return hs_apex_add_rr(x->next, owner, type, rclass, ttl, rdata, len);

	case X_DONE:
		return HS_ETRAIL;
	default:
		return HS_EINVAL;
	}
}

int hs_apex_xfr_feed_rr(hs_apex_xfr_t *x, const knot_dname_t *owner, uint16_t type,
                        uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t len)
{
	if (x == NULL || x->next == NULL || (rdata == NULL && len > 0) || len > UINT16_MAX)
		return HS_EINVAL;
	if (x->state == X_FAILED)
		return HS_EINVAL;
	int ret = feed(x, owner, type, rclass, ttl, rdata, len);
	if (ret != HS_EOK)
		x->state = X_FAILED;
	else
		x->rrs++;
	return ret;
}

int hs_apex_xfr_feed(hs_apex_xfr_t *x, const knot_rrset_t *rrset)
{
	if (x == NULL || rrset == NULL)
		return HS_EINVAL;
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		int ret = hs_apex_xfr_feed_rr(x, rrset->owner, rrset->type, rrset->rclass,
		                              rrset->ttl, rd->data, rd->len);
		if (ret != HS_EOK)
			return ret;
		rd = knot_rdataset_next(rd);
	}
	return HS_EOK;
}

bool hs_apex_xfr_done(const hs_apex_xfr_t *x)
{
	return x != NULL && x->state == X_DONE;
}

void hs_apex_xfr_abort(hs_apex_xfr_t *x)
{
	if (x == NULL)
		return;
	hs_apex_free(x->next);
	free(x->first_soa);
	memset(x, 0, sizeof(*x));
}

int hs_apex_xfr_finish(hs_apex_xfr_t *x, hs_apex_t **out)
{
	if (x == NULL || out == NULL)
		return HS_EINVAL;
	int ret = HS_ETRUNC;
	if (x->state == X_DONE) {
		*out = x->next;
		x->next = NULL;
		ret = HS_EOK;
	} else if (x->state == X_FIRST && x->cur != NULL) {
		/* One SOA alone: the source has nothing newer for us (RFC 1995
		 * section 2), unless its serial is newer (RFC 1982): then the
		 * response was cut off after its first RR. */
		uint32_t have = 0;
		if (hs_apex_serial(x->cur, &have) && (int32_t)(x->final_serial - have) <= 0)
			ret = hs_apex_clone(out, x->cur);
	} else if (x->state == X_FAILED) {
		ret = HS_EMSG;
	}
	hs_apex_xfr_abort(x);
	return ret;
}

/* ---- zone files ----------------------------------------------------------------- */

struct load_ctx {
	hs_apex_t *a;
	int ret;
};

static void load_record(zs_scanner_t *s)
{
	struct load_ctx *ctx = s->process.data;
	if (ctx->ret != HS_EOK)
		return;
	ctx->ret = hs_apex_add_rr(ctx->a, s->r_owner, s->r_type, s->r_class, s->r_ttl,
	                          s->r_data, s->r_data_length);
}

int hs_apex_load_zonefile(hs_apex_t **out, const char *path, const knot_dname_t *zone)
{
	if (out == NULL || path == NULL || zone == NULL)
		return HS_EINVAL;
	char origin[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(origin, zone, sizeof(origin)) == NULL)
		return HS_ENAME;
	struct load_ctx ctx = { NULL, HS_EOK };
	int ret = hs_apex_new(&ctx.a, zone);
	if (ret != HS_EOK)
		return ret;
	zs_scanner_t *s = malloc(sizeof(*s));
	if (s == NULL) {
		hs_apex_free(ctx.a);
		return HS_ENOMEM;
	}
	if (zs_init(s, origin, KNOT_CLASS_IN, 3600) != 0) {
		ret = HS_ENOMEM;
	} else if (zs_set_input_file(s, path) != 0) {
		ret = HS_EIO;
	} else if (zs_set_processing(s, load_record, NULL, &ctx) != 0) {
		ret = HS_EINVAL;
	} else if (zs_parse_all(s) != 0 || s->error.counter > 0) {
		ret = HS_ESYNTAX;
	} else {
		ret = ctx.ret;
	}
	zs_deinit(s);
	free(s);
	if (ret == HS_EOK && !hs_apex_serial(ctx.a, NULL))
		ret = HS_EMSG;
	if (ret != HS_EOK) {
		hs_apex_free(ctx.a);
		return ret;
	}
	*out = ctx.a;
	return HS_EOK;
}
