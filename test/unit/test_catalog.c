/*
 * Unit tests for hsyncd/catalog.c on the catalog zones test/data/cat-*.zone
 * (cat-good.zone is accepted by kzonecheck; the others are valid zones but
 * broken catalogs, or the next version of cat-good).
 */
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "common/zone.h"
#include "hsyncd/catalog.h"
#include "libhsync/error.h"
#include "libhsync/zonefile.h"
#include "test/unit/unit.h"

#define CAT "cat.example."

/* ---- zone files as RR lists ------------------------------------------------------ */

typedef struct {
	knot_rrset_t **rr;
	size_t n, cap;
} rrs_t;

static int collect(const knot_rrset_t *rr, void *ctx)
{
	rrs_t *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->rr = realloc(l->rr, l->cap * sizeof(*l->rr));
		ck_assert_ptr_nonnull(l->rr);
	}
	l->rr[l->n] = knot_rrset_copy(rr, NULL);
	ck_assert_ptr_nonnull(l->rr[l->n]);
	l->n++;
	return 0;
}

static rrs_t load_text(const char *text)
{
	rrs_t l = { 0 };
	char err[512];
	int rc = hs_zonefile_read_string(text, strlen(text), "text", CAT, collect, &l, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s in:\n%s", err, text);
	return l;
}

static rrs_t load(const char *file)
{
	rrs_t l = { 0 };
	char err[512];
	int rc = hs_zonefile_read(hs_testdata(file), CAT, collect, &l, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_gt(l.n, 2);
	return l;
}

static void rrs_free(rrs_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		knot_rrset_free(l->rr[i], NULL);
	}
	free(l->rr);
	memset(l, 0, sizeof(*l));
}

/* ---- problem lines ----------------------------------------------------------------- */

typedef struct {
	int n;
	int kinds[16];
	char text[8192];
} issues_t;

static void on_issue(int kind, const char *line, void *ctx)
{
	issues_t *is = ctx;
	if (is->n < 16) {
		is->kinds[is->n] = kind;
	}
	is->n++;
	size_t o = strlen(is->text);
	snprintf(is->text + o, sizeof(is->text) - o, "%s\n", line);
}

static void on_line(const char *line, void *ctx)
{
	char *buf = ctx;
	size_t o = strlen(buf);
	snprintf(buf + o, 8192 - o, "%s\n", line);
}

static const knot_dname_t *dn(const char *text)
{
	static knot_dname_storage_t buf[4];
	static int i;
	i = (i + 1) % 4;
	ck_assert_ptr_nonnull(knot_dname_from_str(buf[i], text, sizeof(buf[i])));
	return buf[i];
}

/* Feed the RRs (in order, or reversed) to a reader: the member list or the error. */
static int read_rrs(const rrs_t *l, bool reverse, unsigned flags, hs_catalog_t **out, issues_t *is)
{
	hs_catalog_reader_t *r = NULL;
	ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
	for (size_t k = 0; k < l->n; k++) {
		size_t i = reverse ? l->n - 1 - k : k;
		ck_assert_int_eq(hs_catalog_reader_add(r, l->rr[i]), 0);
	}
	return hs_catalog_reader_finish(r, out, flags, on_issue, is);
}

static int read_file(const char *file, unsigned flags, hs_catalog_t **out, issues_t *is)
{
	rrs_t l = load(file);
	int rc = read_rrs(&l, false, flags, out, is);
	rrs_free(&l);
	return rc;
}

/* The list as "zone=id zone=id ...". */
static const char *show(const hs_catalog_t *c)
{
	static char buf[4096];
	buf[0] = '\0';
	for (size_t i = 0; i < hs_catalog_count(c); i++) {
		const hs_catalog_member_t *m = hs_catalog_at(c, i);
		char z[KNOT_DNAME_TXT_MAXLEN + 1], id[KNOT_DNAME_TXT_MAXLEN + 1];
		ck_assert_ptr_nonnull(knot_dname_to_str(z, m->zone, sizeof(z)));
		ck_assert_ptr_nonnull(knot_dname_to_str(id, m->id, sizeof(id)));
		size_t o = strlen(buf);
		snprintf(buf + o, sizeof(buf) - o, "%s%s=%s", i ? " " : "", z, id);
	}
	return buf;
}

#define GOOD_LIST "a.example.=m1. b.example.=m2. c.example.=m3. zone.example.=zz. example.org.=m0."

/* ---- good catalog ------------------------------------------------------------------- */

START_TEST(good_catalog)
{
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(read_file("cat-good.zone", 0, &c, &is), 0);
	ck_assert_msg(is.n == 0, "%s", is.text);
	ck_assert_uint_eq(hs_catalog_count(c), 5);
	/* canonical order, lower case (B.Example. in the file) */
	ck_assert_str_eq(show(c), GOOD_LIST);
	ck_assert_uint_eq(hs_catalog_serial(c), 1);
	ck_assert(knot_dname_is_equal(hs_catalog_zone(c), dn(CAT)));
	ck_assert_ptr_null(hs_catalog_at(c, 5));

	/* lookups, any case */
	const hs_catalog_member_t *m = hs_catalog_find(c, dn("B.EXAMPLE."));
	ck_assert_ptr_nonnull(m);
	ck_assert(knot_dname_is_equal(m->id, (const knot_dname_t *)"\x02m2"));
	ck_assert_ptr_nonnull(hs_catalog_find(c, dn("example.org.")));
	ck_assert_ptr_null(hs_catalog_find(c, dn("newcat.example.")));  /* a coo target */
	ck_assert_ptr_null(hs_catalog_find(c, dn("example.")));
	ck_assert_ptr_null(hs_catalog_find(c, dn("d.example.")));
	hs_catalog_free(c);
}
END_TEST

START_TEST(good_catalog_any_order_and_axfr_closing_soa)
{
	rrs_t l = load("cat-good.zone");
	/* AXFR form: SOA ... SOA */
	collect(l.rr[0], &l);
	issues_t is = { 0 };
	hs_catalog_t *a = NULL, *b = NULL;
	ck_assert_int_eq(read_rrs(&l, false, 0, &a, &is), 0);
	ck_assert_int_eq(read_rrs(&l, true, 0, &b, &is), 0);
	ck_assert_int_eq(is.n, 0);
	ck_assert_str_eq(show(a), GOOD_LIST);
	ck_assert_str_eq(show(b), GOOD_LIST);
	hs_catalog_free(a);
	hs_catalog_free(b);
	rrs_free(&l);
}
END_TEST

START_TEST(from_common_zone)
{
	rrs_t l = load("cat-good.zone");
	hs_zone_t *z = NULL;
	ck_assert_int_eq(hs_zone_new(dn(CAT), KNOT_CLASS_IN, &z), 0);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_int_eq(hs_zone_add(z, l.rr[i], NULL), 0);
	}
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(hs_catalog_from_zone(&c, z, 0, on_issue, &is), 0);
	ck_assert_int_eq(is.n, 0);
	ck_assert_str_eq(show(c), GOOD_LIST);
	hs_catalog_free(c);
	/* the zone is only read */
	ck_assert_uint_eq(hs_zone_count(z), l.n);
	hs_zone_free(z);
	rrs_free(&l);
}
END_TEST

START_TEST(empty_catalog_and_empty_list)
{
	rrs_t l = load_text("@ SOA invalid. h.invalid. 7 1 1 1 0\n@ NS invalid.\n"
	                    "version TXT \"2\"\n");
	issues_t is = { 0 };
	hs_catalog_t *c = NULL, *e = NULL;
	ck_assert_int_eq(read_rrs(&l, false, 0, &c, &is), 0);
	ck_assert_uint_eq(hs_catalog_count(c), 0);
	ck_assert_uint_eq(hs_catalog_serial(c), 7);
	ck_assert_int_eq(hs_catalog_new_empty(&e, dn("CAT.example.")), 0);
	ck_assert_uint_eq(hs_catalog_count(e), 0);
	ck_assert(knot_dname_is_equal(hs_catalog_zone(e), dn(CAT)));
	hs_catalog_diff_t d;
	ck_assert_int_eq(hs_catalog_diff(&d, e, c), 0);
	ck_assert(hs_catalog_diff_empty(&d));
	hs_catalog_diff_clear(&d);
	hs_catalog_free(c);
	hs_catalog_free(e);
	rrs_free(&l);
}
END_TEST

/* ---- version ------------------------------------------------------------------------- */

static void refused_version(const char *file, const char *line)
{
	for (unsigned flags = 0; flags <= HS_CATALOG_PER_MEMBER; flags += HS_CATALOG_PER_MEMBER) {
		issues_t is = { 0 };
		hs_catalog_t *c = (hs_catalog_t *)&is;  /* must be reset to NULL */
		ck_assert_int_eq(read_file(file, flags, &c, &is), HS_ECAT_VERSION);
		ck_assert_ptr_null(c);
		ck_assert_int_eq(is.n, 1);
		ck_assert_int_eq(is.kinds[0], HS_CATALOG_VERSION);
		ck_assert_str_eq(is.text, line);
	}
}

START_TEST(version_missing)
{
	refused_version("cat-noversion.zone", CAT ": broken catalog (RFC 9432), not processed: "
	                "version." CAT " TXT missing\n");
}
END_TEST

START_TEST(version_one)
{
	refused_version("cat-version1.zone", CAT ": broken catalog (RFC 9432), not processed: "
	                "version." CAT " TXT is \"1\", not \"2\"\n");
}
END_TEST

START_TEST(version_two_records)
{
	refused_version("cat-version-multi.zone", CAT ": broken catalog (RFC 9432), not processed: "
	                "version." CAT " TXT has 2 records, not exactly one\n");
}
END_TEST

START_TEST(version_odd_values)
{
	static const struct {
		const char *rr, *shown;
	} cases[] = {
		{ "version TXT \"2\" \"x\"", "\"2\" \"x\"" },
		{ "version TXT \"2 \"", "\"2 \"" },
		{ "version TXT \"02\"", "\"02\"" },
		{ "version TXT \"\"", "\"\"" },
		{ "version TXT \"a\\\"b\\\\c\\007\"", "\"a\\\"b\\\\c\\007\"" },
		{ "version TYPE16 \\# 3 05 3232", "(malformed)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], want[512];
		snprintf(text, sizeof(text), "@ SOA invalid. h.invalid. 1 1 1 1 0\n%s\n"
		         "m1.zones PTR a.example.\n", cases[i].rr);
		snprintf(want, sizeof(want), CAT ": broken catalog (RFC 9432), not processed: "
		         "version." CAT " TXT is %s, not \"2\"\n", cases[i].shown);
		rrs_t l = load_text(text);
		issues_t is = { 0 };
		hs_catalog_t *c = NULL;
		ck_assert_int_eq(read_rrs(&l, false, 0, &c, &is), HS_ECAT_VERSION);
		ck_assert_ptr_null(c);
		ck_assert_str_eq(is.text, want);
		rrs_free(&l);
	}
	/* empty RDATA (not writable in a zone file) */
	rrs_t l = load_text("@ SOA invalid. h.invalid. 1 1 1 1 0\n");
	hs_catalog_reader_t *r = NULL;
	ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
	ck_assert_int_eq(hs_catalog_reader_add(r, l.rr[0]), 0);
	ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn("VERSION." CAT), KNOT_RRTYPE_TXT,
	                                          KNOT_CLASS_IN, 0, NULL, 0), 0);
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(hs_catalog_reader_finish(r, &c, 0, on_issue, &is), HS_ECAT_VERSION);
	ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: "
	                 "version." CAT " TXT is empty, not \"2\"\n");
	rrs_free(&l);
}
END_TEST

START_TEST(no_soa)
{
	rrs_t l = load("cat-good.zone");
	hs_catalog_reader_t *r = NULL;
	ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
	for (size_t i = 1; i < l.n; i++) {   /* rr[0] is the SOA */
		ck_assert_int_eq(hs_catalog_reader_add(r, l.rr[i]), 0);
	}
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(hs_catalog_reader_finish(r, &c, HS_CATALOG_PER_MEMBER, on_issue, &is),
	                 HS_ECAT_BROKEN);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(is.kinds[0], HS_CATALOG_NOSOA);
	ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: no SOA at the apex\n");

	/* A SOA whose names run past its RDATA, or with bytes left over. */
	static const uint8_t bad[][24] = {
		"\x00\x3f" "0123456789abcdefghij",
		"\x00\x00" "0123456789abcdefghijk",
		"\x00\x00" "0123456789abcdefghi",
		"\x00\xc0\x0c" "0123456789abcdefghij",
	};
	static const size_t blen[] = { 22, 23, 21, 23 };
	for (size_t k = 0; k < 4; k++) {
		ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
		for (size_t i = 1; i < l.n; i++) {
			ck_assert_int_eq(hs_catalog_reader_add(r, l.rr[i]), 0);
		}
		ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn(CAT), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0,
		                                          bad[k], blen[k]), 0);
		memset(&is, 0, sizeof(is));
		ck_assert_int_eq(hs_catalog_reader_finish(r, &c, 0, on_issue, &is), HS_ECAT_BROKEN);
		ck_assert_ptr_null(c);
		ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: SOA at the apex malformed\n");
	}
	/* the well-formed minimum: serial read from the RDATA */
	ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
	for (size_t i = 1; i < l.n; i++) {
		ck_assert_int_eq(hs_catalog_reader_add(r, l.rr[i]), 0);
	}
	ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn(CAT), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0,
	                                          (const uint8_t *)"\x00\x00\x12\x34\x56\x78"
	                                          "0123456789abcdef", 22), 0);
	ck_assert_int_eq(hs_catalog_reader_finish(r, &c, 0, NULL, NULL), 0);
	ck_assert_uint_eq(hs_catalog_serial(c), 0x12345678);
	hs_catalog_free(c);
	rrs_free(&l);
}
END_TEST

/* ---- broken member nodes ------------------------------------------------------------ */

START_TEST(member_two_ptr_strict)
{
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(read_file("cat-broken.zone", 0, &c, &is), HS_ECAT_BROKEN);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(is.n, 1);
	ck_assert_int_eq(is.kinds[0], HS_CATALOG_MULTI_PTR);
	ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: member node "
	                 "m2.zones." CAT " has 2 PTR records, not exactly one\n");
}
END_TEST

START_TEST(member_two_ptr_per_member)
{
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(read_file("cat-broken.zone", HS_CATALOG_PER_MEMBER, &c, &is), 0);
	ck_assert_str_eq(show(c), "a.example.=m1. c.example.=m3.");
	ck_assert_ptr_null(hs_catalog_find(c, dn("b.example.")));
	ck_assert_ptr_null(hs_catalog_find(c, dn("x.example.")));
	ck_assert_int_eq(is.n, 1);
	ck_assert_str_eq(is.text, CAT ": member node m2.zones." CAT " has 2 PTR records: ignored\n");
	hs_catalog_free(c);
}
END_TEST

START_TEST(member_ptr_not_a_name)
{
	rrs_t l = load("cat-good.zone");
	static const uint8_t bad[][6] = {
		{ 3, 'a', 'b' },            /* label runs past the end */
		{ 0xc0, 0x0c },             /* compression pointer */
		{ 1, 'a', 0, 0 },           /* trailing byte after the name */
	};
	static const size_t len[] = { 3, 2, 4 };
	for (size_t k = 0; k < 3; k++) {
		for (unsigned flags = 0; flags <= 1; flags++) {
			hs_catalog_reader_t *r = NULL;
			ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
			for (size_t i = 0; i < l.n; i++) {
				ck_assert_int_eq(hs_catalog_reader_add(r, l.rr[i]), 0);
			}
			ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn("bad.zones." CAT), KNOT_RRTYPE_PTR,
			                                          KNOT_CLASS_IN, 0, bad[k], len[k]), 0);
			issues_t is = { 0 };
			hs_catalog_t *c = NULL;
			int rc = hs_catalog_reader_finish(r, &c, flags, on_issue, &is);
			ck_assert_int_eq(is.n, 1);
			ck_assert_int_eq(is.kinds[0], HS_CATALOG_BAD_PTR);
			if (flags == 0) {
				ck_assert_int_eq(rc, HS_ECAT_BROKEN);
				ck_assert_ptr_null(c);
				ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: "
				                 "member node bad.zones." CAT ": PTR RDATA is not a domain name\n");
			} else {
				ck_assert_int_eq(rc, 0);
				ck_assert_str_eq(show(c), GOOD_LIST);
				ck_assert_str_eq(is.text, CAT ": member node bad.zones." CAT
				                 ": PTR RDATA is not a domain name: ignored\n");
			}
			hs_catalog_free(c);
		}
	}
	rrs_free(&l);
}
END_TEST

START_TEST(member_names_catalog_itself)
{
	rrs_t l = load_text("@ SOA invalid. h.invalid. 1 1 1 1 0\nversion TXT \"2\"\n"
	                    "m1.zones PTR a.example.\nself.zones PTR CAT.EXAMPLE.\n");
	for (unsigned flags = 0; flags <= 1; flags++) {
		issues_t is = { 0 };
		hs_catalog_t *c = NULL;
		ck_assert_int_eq(read_rrs(&l, false, flags, &c, &is), 0);
		ck_assert_str_eq(show(c), "a.example.=m1.");
		ck_assert_int_eq(is.kinds[0], HS_CATALOG_SELF);
		ck_assert_str_eq(is.text, CAT ": member node self.zones." CAT
		                 " names the catalog zone itself: ignored\n");
		hs_catalog_free(c);
	}
	rrs_free(&l);
}
END_TEST

START_TEST(ptr_elsewhere_ignored)
{
	/* Only PTRs exactly one label below zones.$CATZ are members. */
	rrs_t l = load_text("@ SOA invalid. h.invalid. 1 1 1 1 0\nversion TXT \"2\"\n"
	                    "m1.zones PTR a.example.\n"
	                    "zones PTR b.example.\n"
	                    "x.m1.zones PTR c.example.\n"
	                    "m1.zonesx PTR d.example.\n"
	                    "m1.zone PTR e.example.\n"
	                    "m1 PTR f.example.\n"
	                    "@ PTR g.example.\n"
	                    "m1.zones.version PTR h.example.\n"
	                    "m2.zones TXT \"i.example.\"\n"
	                    "M6.ZONES PTR J.Example.\n");
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(read_rrs(&l, false, 0, &c, &is), 0);
	ck_assert_int_eq(is.n, 0);
	/* names compare without case; unique-ids are kept in lower case */
	ck_assert_str_eq(show(c), "a.example.=m1. j.example.=m6.");
	hs_catalog_free(c);
	rrs_free(&l);
}
END_TEST

START_TEST(foreign_records)
{
	/* a zone of another class is no catalog */
	hs_zone_t *z = NULL;
	ck_assert_int_eq(hs_zone_new(dn(CAT), KNOT_CLASS_CH, &z), 0);
	rrs_t g = load("cat-good.zone");
	for (size_t i = 0; i < g.n; i++) {
		g.rr[i]->rclass = KNOT_CLASS_CH;
		ck_assert_int_eq(hs_zone_add(z, g.rr[i], NULL), 0);
	}
	issues_t zi = { 0 };
	hs_catalog_t *zc = NULL;
	ck_assert_int_eq(hs_catalog_from_zone(&zc, z, HS_CATALOG_PER_MEMBER, on_issue, &zi),
	                 HS_ECAT_BROKEN);
	ck_assert_ptr_null(zc);
	ck_assert_str_eq(zi.text, CAT ": broken catalog (RFC 9432), not processed: class 3, not IN\n");
	hs_zone_free(z);
	rrs_free(&g);

	rrs_t l = load("cat-good.zone");
	for (unsigned flags = 0; flags <= 1; flags++) {
		hs_catalog_reader_t *r = NULL;
		ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
		for (size_t i = 0; i < l.n; i++) {
			ck_assert_int_eq(hs_catalog_reader_add(r, l.rr[i]), 0);
		}
		static const uint8_t ptr[] = "\x01q\x07" "example";
		ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn("m8.zones." CAT), KNOT_RRTYPE_PTR,
		                                          KNOT_CLASS_CH, 0, ptr, sizeof(ptr)), 0);
		ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn("m8.zones.other.example."),
		                                          KNOT_RRTYPE_PTR, KNOT_CLASS_IN, 0, ptr,
		                                          sizeof(ptr)), 0);
		issues_t is = { 0 };
		hs_catalog_t *c = NULL;
		int rc = hs_catalog_reader_finish(r, &c, flags, on_issue, &is);
		ck_assert_int_eq(is.n, 1);
		ck_assert_int_eq(is.kinds[0], HS_CATALOG_FOREIGN);
		if (flags == 0) {
			ck_assert_int_eq(rc, HS_ECAT_BROKEN);
			ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: 2 records "
			                 "of another class or outside the zone (first: m8.zones." CAT
			                 " class 3 PTR)\n");
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(show(c), GOOD_LIST);   /* q.example. is not a member */
			ck_assert_str_eq(is.text, CAT ": 2 records of another class or outside the zone "
			                 "(first: m8.zones." CAT " class 3 PTR): ignored\n");
		}
		hs_catalog_free(c);
	}
	rrs_free(&l);
}
END_TEST

/* ---- duplicate member zones ---------------------------------------------------------- */

START_TEST(duplicate_strict)
{
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(read_file("cat-dup.zone", 0, &c, &is), HS_ECAT_BROKEN);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(is.n, 1);
	ck_assert_int_eq(is.kinds[0], HS_CATALOG_DUPLICATE);
	ck_assert_str_eq(is.text, CAT ": broken catalog (RFC 9432), not processed: member zone "
	                 "a.example. under unique-ids m1, m4 and m9\n");
}
END_TEST

START_TEST(duplicate_per_member)
{
	rrs_t l = load("cat-dup.zone");
	for (int rev = 0; rev <= 1; rev++) {
		issues_t is = { 0 };
		hs_catalog_t *c = NULL;
		ck_assert_int_eq(read_rrs(&l, rev, HS_CATALOG_PER_MEMBER, &c, &is), 0);
		/* the same choice whatever the order the RRs came in */
		ck_assert_str_eq(show(c), "a.example.=m1. c.example.=m3.");
		ck_assert_int_eq(is.n, 1);
		ck_assert_str_eq(is.text, CAT ": member zone a.example. under unique-ids m1, m4 and m9: "
		                 "kept m1, ignored m4 and m9\n");
		hs_catalog_free(c);
	}
	rrs_free(&l);

	/* two: "m1 and m2", and several problems at once, in a fixed order */
	l = load_text("@ SOA invalid. h.invalid. 1 1 1 1 0\nversion TXT \"2\"\n"
	              "m2.zones PTR b.example.\nm1.zones PTR b.example.\n"
	              "m3.zones PTR c.example.\nm3.zones PTR d.example.\n"
	              "m4.zones PTR a.example.\nm5.zones PTR A.example.\n");
	issues_t is = { 0 };
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(read_rrs(&l, true, HS_CATALOG_PER_MEMBER, &c, &is), 0);
	ck_assert_str_eq(show(c), "a.example.=m4. b.example.=m1.");
	ck_assert_str_eq(is.text,
	                 CAT ": member node m3.zones." CAT " has 2 PTR records: ignored\n"
	                 CAT ": member zone a.example. under unique-ids m4 and m5: kept m4, ignored m5\n"
	                 CAT ": member zone b.example. under unique-ids m1 and m2: kept m1, ignored m2\n");
	hs_catalog_free(c);
	memset(&is, 0, sizeof(is));
	ck_assert_int_eq(read_rrs(&l, false, 0, &c, &is), HS_ECAT_BROKEN);
	ck_assert_int_eq(is.n, 3);
	rrs_free(&l);
}
END_TEST

/* ---- diffs ------------------------------------------------------------------------------ */

START_TEST(diff_added_removed_reset)
{
	issues_t is = { 0 };
	hs_catalog_t *v1 = NULL, *v2 = NULL;
	ck_assert_int_eq(read_file("cat-good.zone", 0, &v1, &is), 0);
	ck_assert_int_eq(read_file("cat-v2.zone", 0, &v2, &is), 0);
	ck_assert_int_eq(is.n, 0);
	ck_assert_uint_eq(hs_catalog_serial(v2), 2);

	hs_catalog_diff_t d;
	ck_assert_int_eq(hs_catalog_diff(&d, v1, v2), 0);
	ck_assert(!hs_catalog_diff_empty(&d));
	ck_assert_uint_eq(d.added_count, 1);
	ck_assert_uint_eq(d.removed_count, 1);
	ck_assert_uint_eq(d.reset_count, 1);
	ck_assert(knot_dname_is_equal(d.added[0]->zone, dn("d.example.")));
	ck_assert(knot_dname_is_equal(d.removed[0]->zone, dn("c.example.")));
	ck_assert(knot_dname_is_equal(d.reset[0]->zone, dn("b.example.")));
	ck_assert_ptr_eq(d.removed[0], hs_catalog_find(v1, dn("c.example.")));
	ck_assert_ptr_eq(d.added[0], hs_catalog_find(v2, dn("d.example.")));
	char lines[8192] = "";
	ck_assert_int_eq(hs_catalog_diff_lines(&d, dn(CAT), v1, on_line, lines), 0);
	ck_assert_str_eq(lines, CAT ": member d.example. added (unique-id m5)\n"
	                        CAT ": member c.example. removed (unique-id m3)\n"
	                        CAT ": member b.example. unique-id m2 -> m7: state reset\n");
	hs_catalog_diff_clear(&d);
	ck_assert(hs_catalog_diff_empty(&d));

	/* back again */
	ck_assert_int_eq(hs_catalog_diff(&d, v2, v1), 0);
	lines[0] = '\0';
	ck_assert_int_eq(hs_catalog_diff_lines(&d, dn(CAT), NULL, on_line, lines), 0);
	ck_assert_str_eq(lines, CAT ": member c.example. added (unique-id m3)\n"
	                        CAT ": member d.example. removed (unique-id m5)\n"
	                        CAT ": member b.example. unique-id changed to m2: state reset\n");
	hs_catalog_diff_clear(&d);

	/* the same list: nothing */
	ck_assert_int_eq(hs_catalog_diff(&d, v1, v1), 0);
	ck_assert(hs_catalog_diff_empty(&d));
	hs_catalog_diff_clear(&d);
	hs_catalog_free(v1);
	hs_catalog_free(v2);
}
END_TEST

START_TEST(diff_first_version_all_added)
{
	issues_t is = { 0 };
	hs_catalog_t *v1 = NULL;
	ck_assert_int_eq(read_file("cat-good.zone", 0, &v1, &is), 0);
	hs_catalog_diff_t d;
	ck_assert_int_eq(hs_catalog_diff(&d, NULL, v1), 0);
	ck_assert_uint_eq(d.added_count, 5);
	ck_assert_uint_eq(d.removed_count, 0);
	char lines[8192] = "";
	ck_assert_int_eq(hs_catalog_diff_lines(&d, hs_catalog_zone(v1), NULL, on_line, lines), 0);
	ck_assert_str_eq(lines, CAT ": member a.example. added (unique-id m1)\n"
	                        CAT ": member b.example. added (unique-id m2)\n"
	                        CAT ": member c.example. added (unique-id m3)\n"
	                        CAT ": member zone.example. added (unique-id zz)\n"
	                        CAT ": member example.org. added (unique-id m0)\n");
	hs_catalog_diff_clear(&d);

	/* all removed */
	hs_catalog_t *e = NULL;
	ck_assert_int_eq(hs_catalog_new_empty(&e, dn(CAT)), 0);
	ck_assert_int_eq(hs_catalog_diff(&d, v1, e), 0);
	ck_assert_uint_eq(d.added_count, 0);
	ck_assert_uint_eq(d.removed_count, 5);
	hs_catalog_diff_clear(&d);

	/* another catalog, or no new list */
	hs_catalog_t *o = NULL;
	ck_assert_int_eq(hs_catalog_new_empty(&o, dn("other.example.")), 0);
	ck_assert_int_eq(hs_catalog_diff(&d, v1, o), HS_EINVAL);
	ck_assert(hs_catalog_diff_empty(&d));
	ck_assert_int_eq(hs_catalog_diff(&d, v1, NULL), HS_EINVAL);
	hs_catalog_free(o);
	hs_catalog_free(e);
	hs_catalog_free(v1);
}
END_TEST

/*
 * What hsyncd does with each new version: a refused version changes nothing,
 * and the next good one is compared with the last good one.
 */
START_TEST(broken_version_keeps_previous_list)
{
	issues_t is = { 0 };
	hs_catalog_t *cur = NULL, *next = NULL;
	ck_assert_int_eq(read_file("cat-good.zone", 0, &cur, &is), 0);
	static const char *const broken[] = { "cat-version1.zone", "cat-noversion.zone",
	                                      "cat-broken.zone", "cat-dup.zone" };
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_lt(read_file(broken[i], 0, &next, &is), 0);
		ck_assert_ptr_null(next);
		ck_assert_str_eq(show(cur), GOOD_LIST);
	}
	ck_assert_int_eq(read_file("cat-v2.zone", 0, &next, &is), 0);
	hs_catalog_diff_t d;
	ck_assert_int_eq(hs_catalog_diff(&d, cur, next), 0);
	ck_assert_uint_eq(d.added_count + d.removed_count + d.reset_count, 3);
	hs_catalog_diff_clear(&d);
	hs_catalog_free(cur);
	hs_catalog_free(next);
}
END_TEST

START_TEST(bad_arguments)
{
	hs_catalog_t *c = NULL;
	hs_catalog_reader_t *r = NULL;
	ck_assert_int_eq(hs_catalog_from_zone(&c, NULL, 0, NULL, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_catalog_reader_new(&r, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
	ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn(CAT), KNOT_RRTYPE_TXT, KNOT_CLASS_IN, 0,
	                                          NULL, 1), HS_EINVAL);
	ck_assert_int_eq(hs_catalog_reader_add(r, NULL), HS_EINVAL);
	hs_catalog_reader_free(r);
	ck_assert_int_eq(hs_catalog_reader_finish(NULL, &c, 0, NULL, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_catalog_diff_lines(NULL, dn(CAT), NULL, on_line, NULL), HS_EINVAL);
	hs_catalog_free(NULL);
	hs_catalog_reader_free(NULL);
	hs_catalog_diff_clear(NULL);
	ck_assert_uint_eq(hs_catalog_count(NULL), 0);
	ck_assert_ptr_null(hs_catalog_find(NULL, dn(CAT)));
	ck_assert_str_eq(hs_strerror(HS_ECAT_VERSION), "catalog zone version missing or not 2 (RFC 9432)");
	ck_assert_str_eq(hs_strerror(HS_ECAT_BROKEN), "broken catalog zone (RFC 9432), not processed");
}
END_TEST

/* A catalog of many members reads in canonical order and finds each one. */
START_TEST(many_members)
{
	hs_catalog_reader_t *r = NULL;
	ck_assert_int_eq(hs_catalog_reader_new(&r, dn(CAT)), 0);
	static const uint8_t soa[] = "\x07invalid\x00\x01h\x07invalid\x00"
	                             "\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00\x00\x01"
	                             "\x00\x00\x00\x01\x00\x00\x00\x00";
	ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn(CAT), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0, soa,
	                                          sizeof(soa) - 1), 0);
	ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn("version." CAT), KNOT_RRTYPE_TXT,
	                                          KNOT_CLASS_IN, 0, (const uint8_t *)"\x01" "2", 2), 0);
	enum { N = 5000 };
	for (int i = N - 1; i >= 0; i--) {
		char owner[64], zone[64];
		snprintf(owner, sizeof(owner), "id%d.zones." CAT, i);
		snprintf(zone, sizeof(zone), "z%05d.example.", i);
		knot_dname_storage_t z;
		ck_assert_ptr_nonnull(knot_dname_from_str(z, zone, sizeof(z)));
		ck_assert_int_eq(hs_catalog_reader_add_rr(r, dn(owner), KNOT_RRTYPE_PTR, KNOT_CLASS_IN,
		                                          0, z, knot_dname_size(z)), 0);
	}
	hs_catalog_t *c = NULL;
	ck_assert_int_eq(hs_catalog_reader_finish(r, &c, 0, NULL, NULL), 0);
	ck_assert_uint_eq(hs_catalog_count(c), N);
	ck_assert_uint_eq(hs_catalog_serial(c), 9);
	for (int i = 0; i < N; i++) {
		char zone[64];
		snprintf(zone, sizeof(zone), "z%05d.example.", i);
		ck_assert(knot_dname_is_equal(hs_catalog_at(c, (size_t)i)->zone, dn(zone)));
		ck_assert_ptr_eq(hs_catalog_find(c, dn(zone)), hs_catalog_at(c, (size_t)i));
	}
	hs_catalog_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *t = tcase_create("good");
	tcase_add_test(t, good_catalog);
	tcase_add_test(t, good_catalog_any_order_and_axfr_closing_soa);
	tcase_add_test(t, from_common_zone);
	tcase_add_test(t, empty_catalog_and_empty_list);
	tcase_add_test(t, many_members);
	suite_add_tcase(s, t);
	t = tcase_create("version");
	tcase_add_test(t, version_missing);
	tcase_add_test(t, version_one);
	tcase_add_test(t, version_two_records);
	tcase_add_test(t, version_odd_values);
	tcase_add_test(t, no_soa);
	suite_add_tcase(s, t);
	t = tcase_create("members");
	tcase_add_test(t, member_two_ptr_strict);
	tcase_add_test(t, member_two_ptr_per_member);
	tcase_add_test(t, member_ptr_not_a_name);
	tcase_add_test(t, member_names_catalog_itself);
	tcase_add_test(t, ptr_elsewhere_ignored);
	tcase_add_test(t, foreign_records);
	tcase_add_test(t, duplicate_strict);
	tcase_add_test(t, duplicate_per_member);
	suite_add_tcase(s, t);
	t = tcase_create("diff");
	tcase_add_test(t, diff_added_removed_reset);
	tcase_add_test(t, diff_first_version_all_added);
	tcase_add_test(t, broken_version_keeps_previous_list);
	tcase_add_test(t, bad_arguments);
	suite_add_tcase(s, t);
	return s;
}

HS_TEST_MAIN()
