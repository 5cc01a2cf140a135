/*
 * Unit tests for hsyncd/apex.c, on the signed zones test/data/apex-*.zone
 * (made by test/data/apex-make.sh: KSK 41359, ZSK1 11815, ZSK2 41496).
 */
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "hsyncd/apex.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

/* ---- a zone file as a list of RRs, to build AXFR and IXFR streams ---------- */

typedef struct {
	knot_dname_storage_t owner;
	uint16_t type, rclass, len;
	uint32_t ttl;
	uint8_t *rdata;
} rec_t;

typedef struct {
	rec_t *r;
	size_t n, cap;
} recs_t;

static void rec_cb(zs_scanner_t *s)
{
	recs_t *l = s->process.data;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->r = realloc(l->r, l->cap * sizeof(rec_t));
		ck_assert_ptr_nonnull(l->r);
	}
	rec_t *r = &l->r[l->n++];
	memcpy(r->owner, s->r_owner, s->r_owner_length);
	r->type = s->r_type;
	r->rclass = s->r_class;
	r->ttl = s->r_ttl;
	r->len = (uint16_t)s->r_data_length;
	r->rdata = malloc(r->len + 1);
	memcpy(r->rdata, s->r_data, r->len);
}

static recs_t read_zone(const char *name)
{
	recs_t l = { 0 };
	zs_scanner_t *s = malloc(sizeof(*s));
	ck_assert_int_eq(zs_init(s, "zone.example.", KNOT_CLASS_IN, 3600), 0);
	ck_assert_int_eq(zs_set_input_file(s, hs_testdata(name)), 0);
	ck_assert_int_eq(zs_set_processing(s, rec_cb, NULL, &l), 0);
	ck_assert_int_eq(zs_parse_all(s), 0);
	zs_deinit(s);
	free(s);
	ck_assert_uint_gt(l.n, 10);
	ck_assert_uint_eq(l.r[0].type, KNOT_RRTYPE_SOA);
	return l;
}

static void recs_free(recs_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->r[i].rdata);
	free(l->r);
}

static bool rec_same(const rec_t *a, const rec_t *b)
{
	return a->type == b->type && a->ttl == b->ttl && a->len == b->len &&
	       knot_dname_is_equal(a->owner, b->owner) && memcmp(a->rdata, b->rdata, a->len) == 0;
}

static bool rec_in(const rec_t *r, const recs_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (rec_same(r, &l->r[i]))
			return true;
	return false;
}

static int feed(hs_apex_xfr_t *x, const rec_t *r)
{
	return hs_apex_xfr_feed_rr(x, r->owner, r->type, r->rclass, r->ttl, r->rdata, r->len);
}

static const rec_t *soa(const recs_t *l)
{
	return &l->r[0];
}

/* One IXFR step old -> new: SOA(old) removals SOA(new) additions. */
static void feed_step(hs_apex_xfr_t *x, const recs_t *old, const recs_t *new)
{
	ck_assert_int_eq(feed(x, soa(old)), HS_EOK);
	for (size_t i = 1; i < old->n; i++)
		if (!rec_in(&old->r[i], new))
			ck_assert_int_eq(feed(x, &old->r[i]), HS_EOK);
	ck_assert_int_eq(feed(x, soa(new)), HS_EOK);
	for (size_t i = 1; i < new->n; i++)
		if (!rec_in(&new->r[i], old))
			ck_assert_int_eq(feed(x, &new->r[i]), HS_EOK);
}

static const knot_dname_t *zone_name(void)
{
	return (const knot_dname_t *)"\x04zone\x07" "example";
}

static hs_apex_t *load(const char *name)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata(name), zone_name()), HS_EOK);
	return a;
}

static hs_apex_t *axfr(const recs_t *l)
{
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	for (size_t i = 0; i < l->n; i++)
		ck_assert_int_eq(feed(&x, &l->r[i]), HS_EOK);
	ck_assert(!hs_apex_xfr_done(&x));
	ck_assert_int_eq(feed(&x, soa(l)), HS_EOK);
	ck_assert(hs_apex_xfr_done(&x));
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &a), HS_EOK);
	return a;
}

/* ---- tests ------------------------------------------------------------------- */

START_TEST(slots)
{
	ck_assert_int_eq(hs_apex_slot(KNOT_RRTYPE_SOA), HS_APEX_SOA);
	ck_assert_int_eq(hs_apex_slot(HS_RRTYPE_HSYNC), HS_APEX_HSYNC);
	ck_assert_int_eq(hs_apex_slot(KNOT_RRTYPE_CSYNC), HS_APEX_CSYNC);
	ck_assert_int_eq(hs_apex_slot(KNOT_RRTYPE_A), -1);
	ck_assert_int_eq(hs_apex_slot(KNOT_RRTYPE_RRSIG), -1);
	ck_assert_int_eq(hs_apex_slot(KNOT_RRTYPE_NSEC), -1);
	for (int s = 0; s < HS_APEX_NSLOTS; s++)
		ck_assert_int_eq(hs_apex_slot(hs_apex_slot_type(s)), s);
	ck_assert_str_eq(hs_apex_slot_name(HS_APEX_CDNSKEY), "CDNSKEY");
	ck_assert_str_eq(hs_apex_slot_name(99), "?");
	ck_assert_uint_eq(hs_apex_slot_type(-1), 0);
}
END_TEST

START_TEST(load_keeps_only_apex)
{
	hs_apex_t *a = load("apex-v1.zone");
	uint32_t serial = 0;
	ck_assert(hs_apex_serial(a, &serial));
	ck_assert_uint_eq(serial, 2026010101);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_SOA), 1);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_NS), 2);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_DNSKEY), 2);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_CDS), 1);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_CDNSKEY), 1);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_CSYNC), 0);
	/* "other.zone.example." has an HSYNC too: not at the apex, not kept. */
	ck_assert_uint_eq(hs_apex_count(a, HS_RRTYPE_HSYNC), 2);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_A), 0);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_MX), 0);
	ck_assert_uint_eq(hs_apex_rrsig_count(a, KNOT_RRTYPE_SOA), 1);
	ck_assert_uint_eq(hs_apex_rrsig_count(a, KNOT_RRTYPE_DNSKEY), 1);
	ck_assert_uint_eq(hs_apex_rrsig_count(a, HS_RRTYPE_HSYNC), 1);
	ck_assert_uint_eq(hs_apex_rrsig_count(a, KNOT_RRTYPE_CSYNC), 0);
	/* RRSIG covering A, MX, TXT, NSEC at the apex: not kept anywhere. */
	ck_assert_uint_eq(hs_apex_rrsig_count(a, KNOT_RRTYPE_A), 0);

	knot_rrset_t rr;
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_NS, &rr), HS_EOK);
	ck_assert_uint_eq(rr.type, KNOT_RRTYPE_NS);
	ck_assert_uint_eq(rr.ttl, 3600);
	ck_assert_uint_eq(rr.rrs.count, 2);
	ck_assert(knot_dname_is_equal(rr.owner, zone_name()));
	ck_assert_int_eq(hs_apex_rrsig(a, KNOT_RRTYPE_CDS, &rr), HS_EOK);
	ck_assert_uint_eq(rr.type, KNOT_RRTYPE_RRSIG);
	ck_assert_uint_eq(rr.ttl, 0);
	ck_assert_uint_eq(knot_rrsig_key_tag(rr.rrs.rdata), 41359);
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_CSYNC, &rr), HS_ENOTFOUND);
	ck_assert_uint_eq(rr.rrs.count, 0);
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_A, &rr), HS_EINVAL);
	ck_assert_int_eq(hs_apex_hsync_check(a), HS_EOK);
	hs_apex_free(a);
}
END_TEST

START_TEST(axfr_equals_load)
{
	recs_t l = read_zone("apex-v2.zone");
	hs_apex_t *a = axfr(&l);
	hs_apex_t *b = load("apex-v2.zone");
	ck_assert(hs_apex_equal(a, b));
	hs_apex_t *c = NULL;
	ck_assert_int_eq(hs_apex_clone(&c, a), HS_EOK);
	ck_assert(hs_apex_equal(a, c));
	hs_apex_clear(c);
	ck_assert(!hs_apex_equal(a, c));
	ck_assert(!hs_apex_serial(c, NULL));
	hs_apex_free(a);
	hs_apex_free(b);
	hs_apex_free(c);
	recs_free(&l);
}
END_TEST

/* The same, fed as knot_rrset_t (what a parsed packet gives). */
START_TEST(axfr_by_rrsets)
{
	recs_t l = read_zone("apex-v4.zone");
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	for (size_t i = 0; i <= l.n; i++) {
		const rec_t *r = i < l.n ? &l.r[i] : soa(&l);
		knot_rrset_t *rr = knot_rrset_new(r->owner, r->type, r->rclass, r->ttl, NULL);
		ck_assert_ptr_nonnull(rr);
		ck_assert_int_eq(knot_rrset_add_rdata(rr, r->rdata, r->len, NULL), KNOT_EOK);
		ck_assert_int_eq(hs_apex_xfr_feed(&x, rr), HS_EOK);
		knot_rrset_free(rr, NULL);
	}
	hs_apex_t *a = NULL, *b = load("apex-v4.zone");
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &a), HS_EOK);
	ck_assert(hs_apex_equal(a, b));
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_DNSKEY), 3);
	hs_apex_free(a);
	hs_apex_free(b);
	recs_free(&l);
}
END_TEST

START_TEST(ixfr_one_step)
{
	recs_t v1 = read_zone("apex-v1.zone"), v2 = read_zone("apex-v2.zone");
	hs_apex_t *cur = load("apex-v1.zone"), *want = load("apex-v2.zone");
	hs_apex_t *before = NULL;
	ck_assert_int_eq(hs_apex_clone(&before, cur), HS_EOK);
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EOK);
	feed_step(&x, &v1, &v2);
	ck_assert(!hs_apex_xfr_done(&x));
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EOK);
	ck_assert(hs_apex_xfr_done(&x));
	hs_apex_t *got = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_EOK);
	ck_assert(hs_apex_equal(got, want));
	ck_assert_uint_eq(hs_apex_count(got, HS_RRTYPE_HSYNC), 3);
	ck_assert_uint_eq(hs_apex_count(got, KNOT_RRTYPE_NS), 3);
	ck_assert(hs_apex_equal(cur, before));  /* cur untouched */
	hs_apex_free(got);
	hs_apex_free(cur);
	hs_apex_free(want);
	hs_apex_free(before);
	recs_free(&v1);
	recs_free(&v2);
}
END_TEST

START_TEST(ixfr_many_steps)
{
	const char *files[] = { "apex-v1.zone", "apex-v2.zone", "apex-v3.zone",
	                        "apex-v4.zone", "apex-v5.zone" };
	recs_t v[5];
	for (int i = 0; i < 5; i++)
		v[i] = read_zone(files[i]);
	hs_apex_t *cur = load(files[0]), *want = load(files[4]);
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v[4])), HS_EOK);
	for (int i = 0; i < 4; i++)
		feed_step(&x, &v[i], &v[i + 1]);
	ck_assert_int_eq(feed(&x, soa(&v[4])), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v[4])), HS_ETRAIL);
	hs_apex_t *got = NULL;
	/* After an error the transfer gives nothing. */
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_EMSG);
	ck_assert_ptr_null(got);

	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v[4])), HS_EOK);
	for (int i = 0; i < 4; i++)
		feed_step(&x, &v[i], &v[i + 1]);
	ck_assert_int_eq(feed(&x, soa(&v[4])), HS_EOK);
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_EOK);
	ck_assert(hs_apex_equal(got, want));
	ck_assert_uint_eq(hs_apex_count(got, KNOT_RRTYPE_DNSKEY), 2);
	uint32_t serial;
	ck_assert(hs_apex_serial(got, &serial));
	ck_assert_uint_eq(serial, 2026010105);
	hs_apex_free(got);
	hs_apex_free(cur);
	hs_apex_free(want);
	for (int i = 0; i < 5; i++)
		recs_free(&v[i]);
}
END_TEST

START_TEST(ixfr_answered_by_axfr)
{
	recs_t v3 = read_zone("apex-v3.zone");
	hs_apex_t *cur = load("apex-v1.zone"), *want = load("apex-v3.zone");
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	for (size_t i = 0; i < v3.n; i++)
		ck_assert_int_eq(feed(&x, &v3.r[i]), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v3)), HS_EOK);
	hs_apex_t *got = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_EOK);
	ck_assert(hs_apex_equal(got, want));
	hs_apex_free(got);
	hs_apex_free(cur);
	hs_apex_free(want);
	recs_free(&v3);
}
END_TEST

START_TEST(ixfr_up_to_date)
{
	recs_t v1 = read_zone("apex-v1.zone");
	hs_apex_t *cur = load("apex-v1.zone");
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v1)), HS_EOK);
	hs_apex_t *got = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_EOK);
	ck_assert(hs_apex_equal(got, cur));
	ck_assert_ptr_ne(got, cur);
	hs_apex_free(got);
	/* A lone SOA newer than ours is a cut-off response, not "up to date". */
	recs_t v2 = read_zone("apex-v2.zone");
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EOK);
	got = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_ETRUNC);
	ck_assert_ptr_null(got);
	recs_free(&v2);
	/* The same with no current state is a cut-off AXFR. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v1)), HS_EOK);
	got = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_ETRUNC);
	ck_assert_ptr_null(got);
	hs_apex_free(cur);
	recs_free(&v1);
}
END_TEST

START_TEST(xfr_bad_streams)
{
	recs_t v1 = read_zone("apex-v1.zone"), v2 = read_zone("apex-v2.zone"),
	       v3 = read_zone("apex-v3.zone");
	hs_apex_t *cur = load("apex-v1.zone"), *got = NULL;
	hs_apex_xfr_t x;

	/* Not starting with the SOA. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	ck_assert_int_eq(feed(&x, &v1.r[1]), HS_EMSG);
	ck_assert_int_eq(feed(&x, soa(&v1)), HS_EINVAL);  /* stays failed */
	hs_apex_xfr_abort(&x);

	/* IXFR from a serial we do not have (v2 -> v3 offered to v1). */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v3)), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EMSG);
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_EMSG);
	ck_assert_ptr_null(got);

	/* An IXFR with no state to apply it to. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v1)), HS_EMSG);
	hs_apex_xfr_abort(&x);

	/* AXFR cut off before its closing SOA. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	for (size_t i = 0; i < v1.n; i++)
		ck_assert_int_eq(feed(&x, &v1.r[i]), HS_EOK);
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_ETRUNC);
	ck_assert_ptr_null(got);

	/* AXFR closed by a SOA of another serial. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	for (size_t i = 0; i < v1.n; i++)
		ck_assert_int_eq(feed(&x, &v1.r[i]), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EMSG);
	hs_apex_xfr_abort(&x);

	/* IXFR cut off in the middle. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), cur), HS_EOK);
	ck_assert_int_eq(feed(&x, soa(&v2)), HS_EOK);
	feed_step(&x, &v1, &v2);
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), HS_ETRUNC);

	/* A SOA whose RDATA is garbage. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, zone_name(), NULL), HS_EOK);
	ck_assert_int_eq(hs_apex_xfr_feed_rr(&x, zone_name(), KNOT_RRTYPE_SOA, KNOT_CLASS_IN,
	                                     3600, (const uint8_t *)"\x03" "abc", 4), HS_EMSG);
	hs_apex_xfr_abort(&x);

	/* Transfer for another zone than cur's. */
	ck_assert_int_eq(hs_apex_xfr_begin(&x, (const knot_dname_t *)"\x03" "org", cur), HS_EINVAL);

	uint32_t serial;
	ck_assert(hs_apex_serial(cur, &serial));
	ck_assert_uint_eq(serial, 2026010101);
	hs_apex_free(cur);
	recs_free(&v1);
	recs_free(&v2);
	recs_free(&v3);
}
END_TEST

START_TEST(non_apex_ignored)
{
	hs_apex_t *a = load("apex-v1.zone"), *ref = load("apex-v1.zone");
	const uint8_t ns[] = "\x03ns9\x07" "example";
	const uint8_t a4[] = { 192, 0, 2, 9 };
	const knot_dname_t *sub = (const knot_dname_t *)"\x03sub\x04zone\x07" "example";
	const knot_dname_t *up = (const knot_dname_t *)"\x04ZONE\x07" "EXAMPLE";
	/* RRSIG covering A (type 1): first two bytes of its RDATA. */
	uint8_t sig[40] = { 0, 1, 13, 2 };
	/* HSYNC at the right name but class CH, and below the apex. */
	const uint8_t hs[] = "\x01\x01\x01\x02id\x00\x00";

	ck_assert_int_eq(hs_apex_add_rr(a, sub, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 60, ns, sizeof(ns)), HS_EOK);
	ck_assert_int_eq(hs_apex_add_rr(a, zone_name(), KNOT_RRTYPE_A, KNOT_CLASS_IN, 60, a4, 4), HS_EOK);
	ck_assert_int_eq(hs_apex_add_rr(a, zone_name(), KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, 60, sig, sizeof(sig)), HS_EOK);
	ck_assert_int_eq(hs_apex_add_rr(a, zone_name(), HS_RRTYPE_HSYNC, KNOT_CLASS_CH, 60, hs, 8), HS_EOK);
	ck_assert_int_eq(hs_apex_add_rr(a, sub, HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 60, hs, 8), HS_EOK);
	ck_assert_int_eq(hs_apex_remove_rr(a, sub, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, NULL, 0), HS_EOK);
	ck_assert(hs_apex_equal(a, ref));
	ck_assert(!hs_apex_wanted(a, sub, KNOT_RRTYPE_NS, ns, sizeof(ns)));
	ck_assert(!hs_apex_wanted(a, zone_name(), KNOT_RRTYPE_RRSIG, sig, sizeof(sig)));
	ck_assert(hs_apex_wanted(a, up, KNOT_RRTYPE_NS, ns, sizeof(ns)));

	/* An RRSIG too short to say what it covers is an error, nothing changes. */
	ck_assert_int_eq(hs_apex_add_rr(a, zone_name(), KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, 60, sig, 1), HS_EMSG);
	ck_assert(hs_apex_equal(a, ref));

	/* The apex name in upper case is the apex; duplicates are kept once. */
	ck_assert_int_eq(hs_apex_add_rr(a, up, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 3600, ns, sizeof(ns)), HS_EOK);
	ck_assert_int_eq(hs_apex_add_rr(a, up, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 3600, ns, sizeof(ns)), HS_EOK);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_NS), 3);
	ck_assert(!hs_apex_equal(a, ref));
	ck_assert(!hs_apex_slot_equal(a, ref, HS_APEX_NS, false));
	ck_assert(hs_apex_slot_equal(a, ref, HS_APEX_NS, true));
	ck_assert_int_eq(hs_apex_remove_rr(a, zone_name(), KNOT_RRTYPE_NS, KNOT_CLASS_IN, ns, sizeof(ns)), HS_EOK);
	ck_assert(hs_apex_equal(a, ref));

	/* Removing the last RR empties the RRset, TTL and all. */
	knot_rrset_t rr;
	ck_assert_int_eq(hs_apex_rrset(ref, KNOT_RRTYPE_CDS, &rr), HS_EOK);
	ck_assert_int_eq(hs_apex_remove(a, &rr), HS_EOK);
	ck_assert_uint_eq(hs_apex_count(a, KNOT_RRTYPE_CDS), 0);
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_CDS, &rr), HS_ENOTFOUND);
	ck_assert_uint_eq(rr.ttl, 0);
	ck_assert_int_eq(hs_apex_rrset(ref, KNOT_RRTYPE_CDS, &rr), HS_EOK);
	ck_assert_int_eq(hs_apex_add(a, &rr), HS_EOK);
	ck_assert(hs_apex_equal(a, ref));

	ck_assert_int_eq(hs_apex_add_rr(NULL, zone_name(), KNOT_RRTYPE_NS, KNOT_CLASS_IN, 0, ns, 1), HS_EINVAL);
	hs_apex_free(a);
	hs_apex_free(ref);
}
END_TEST

START_TEST(rrsig_only_and_hsync_invalid)
{
	hs_apex_t *a = load("apex-v1.zone"), *b = load("apex-v1b.zone"), *bad = load("apex-bad.zone");
	ck_assert(!hs_apex_equal(a, b));
	for (int s = 0; s < HS_APEX_NSLOTS; s++)
		ck_assert(hs_apex_slot_equal(a, b, s, false));
	ck_assert(!hs_apex_slot_equal(a, b, HS_APEX_DNSKEY, true));
	ck_assert_int_eq(hs_apex_hsync_check(bad), HS_EHSYNC_MIXED);
	ck_assert_uint_eq(hs_apex_count(bad, HS_RRTYPE_HSYNC), 2);
	hs_apex_free(a);
	hs_apex_free(b);
	hs_apex_free(bad);
}
END_TEST

START_TEST(zonefile_errors)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata("apex-no-such.zone"), zone_name()), HS_EIO);
	ck_assert_ptr_null(a);
	/* The right file for the wrong origin: records are out of zone, no SOA. */
	int ret = hs_apex_load_zonefile(&a, hs_testdata("apex-v1.zone"),
	                                (const knot_dname_t *)"\x03org");
	ck_assert(ret == HS_EMSG || ret == HS_ESYNTAX);
	ck_assert_ptr_null(a);
}
END_TEST

/* ---- memory: 10,000 zones with a realistic multi-signer apex --------------- */

extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_used(void)
{
	if (__sanitizer_get_current_allocated_bytes != NULL)
		return __sanitizer_get_current_allocated_bytes();
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

START_TEST(memory_10000_zones)
{
	enum { N = 10000 };
	/* v4: 3 NS, 3 DNSKEY (KSK + 2 ZSK), CDS, CDNSKEY, 2 HSYNC, 6 RRSIGs.
	 * Add what a second signer brings: its KSK and ZSK, its CDS and
	 * CDNSKEY, and a CSYNC with its RRSIG. */
	recs_t v = read_zone("apex-v4.zone");
	hs_apex_t **zones = calloc(N, sizeof(*zones));
	ck_assert_ptr_nonnull(zones);
	size_t before = heap_used(), counted = 0, chunks = 0;
	for (int i = 0; i < N; i++) {
		char name[64];
		knot_dname_storage_t z;
		snprintf(name, sizeof(name), "customer%05d.example.", i);
		ck_assert_ptr_nonnull(knot_dname_from_str(z, name, sizeof(z)));
		ck_assert_int_eq(hs_apex_new(&zones[i], z), HS_EOK);
		int zsk = 0;
		for (size_t j = 0; j < v.n; j++) {
			rec_t *r = &v.r[j];
			if (!knot_dname_is_equal(r->owner, zone_name()))
				continue;
			ck_assert_int_eq(hs_apex_add_rr(zones[i], z, r->type, r->rclass, r->ttl,
			                                r->rdata, r->len), HS_EOK);
			if (r->type == KNOT_RRTYPE_DNSKEY || r->type == KNOT_RRTYPE_CDS ||
			    r->type == KNOT_RRTYPE_CDNSKEY) {
				/* The other signer's record: same size, other bytes. */
				if (r->type == KNOT_RRTYPE_DNSKEY && r->rdata[1] == 0 && zsk++ > 0)
					continue;  /* one KSK + one ZSK from the second signer */
				r->rdata[r->len - 1] ^= 0x5a;
				ck_assert_int_eq(hs_apex_add_rr(zones[i], z, r->type, r->rclass, r->ttl,
				                                r->rdata, r->len), HS_EOK);
				r->rdata[r->len - 1] ^= 0x5a;
			}
		}
		const uint8_t csync[] = { 0x78, 0x9a, 0x01, 0x25, 0x00, 0x03,
		                          0x00, 0x06, 0x60, 0x00, 0x00, 0x08 };
		ck_assert_int_eq(hs_apex_add_rr(zones[i], z, KNOT_RRTYPE_CSYNC, KNOT_CLASS_IN, 3600,
		                                csync, sizeof(csync)), HS_EOK);
		uint8_t sig[120] = { 0, KNOT_RRTYPE_CSYNC, 13, 2 };
		ck_assert_int_eq(hs_apex_add_rr(zones[i], z, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, 3600,
		                                sig, sizeof(sig)), HS_EOK);
		counted += hs_apex_bytes(zones[i]);
		chunks += 1;
		for (int s = 0; s < HS_APEX_NSLOTS; s++) {
			uint16_t t = hs_apex_slot_type(s);
			chunks += (hs_apex_count(zones[i], t) > 0) + (hs_apex_rrsig_count(zones[i], t) > 0);
		}
	}
	size_t after = heap_used();
	ck_assert_uint_eq(hs_apex_count(zones[0], KNOT_RRTYPE_DNSKEY), 5);
	ck_assert_uint_eq(hs_apex_count(zones[0], KNOT_RRTYPE_CDS), 2);
	ck_assert_uint_eq(hs_apex_count(zones[0], KNOT_RRTYPE_NS), 3);
	/* glibc malloc: about 16 bytes of overhead per chunk, rounded to 16. */
	size_t total = after - before + chunks * 24;
	printf("apex memory: %d zones, %zu bytes/zone held (hs_apex_bytes), "
	       "%zu allocations, %.1f MB with malloc overhead\n",
	       N, counted / N, chunks, total / 1e6);
	ck_assert_uint_le(counted, after - before);
	ck_assert_uint_lt(total, 25u * 1000 * 1000);  /* "well under 50 MB" */
	for (int i = 0; i < N; i++)
		hs_apex_free(zones[i]);
	free(zones);
	recs_free(&v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("apex");
	TCase *tc = tcase_create("apex");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, slots);
	tcase_add_test(tc, load_keeps_only_apex);
	tcase_add_test(tc, axfr_equals_load);
	tcase_add_test(tc, axfr_by_rrsets);
	tcase_add_test(tc, ixfr_one_step);
	tcase_add_test(tc, ixfr_many_steps);
	tcase_add_test(tc, ixfr_answered_by_axfr);
	tcase_add_test(tc, ixfr_up_to_date);
	tcase_add_test(tc, xfr_bad_streams);
	tcase_add_test(tc, non_apex_ignored);
	tcase_add_test(tc, rrsig_only_and_hsync_invalid);
	tcase_add_test(tc, zonefile_errors);
	tcase_add_test(tc, memory_10000_zones);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
