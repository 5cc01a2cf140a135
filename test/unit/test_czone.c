/* Unit tests for common/zone.c (in-memory zone, diffs, RFC 1982 serials, RRSIG TTLs per type covered) */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xfr.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"
#include "test/unit/comb_test.h"

#define ORIGIN ((const knot_dname_t *)"\x07""example")

static const char *ZONE_TEXT =
	"@ 3600 SOA ns1 host 2024010101 7200 3600 1209600 300\n"
	"@ 3600 NS ns1\n"
	"@ 3600 NS ns2.other.net.\n"
	"www 300 A 192.0.2.1\n"
	"www 300 A 192.0.2.2\n"
	"WWW 300 AAAA 2001:db8::1\n"
	"ns1 3600 A 192.0.2.53\n"
	"z 60 TXT \"last\"\n"
	"a.b 60 TXT \"deep\"\n"
	"b 60 TXT \"b\"\n"
	"*.b 60 TXT \"wild\"\n"
	"\\001.b 60 TXT \"one\"\n"
	"yljkjljk.a 60 TXT \"y\"\n"
	"Z.a 60 TXT \"Z\"\n"
	"zABC.a 60 TXT \"zabc\"\n"
	"\\200.z 60 TXT \"200\"\n";

/* RFC 4034 6.1 example order, plus the rest by type. */
static const char *ZONE_SORTED =
	"example. 3600 NS ns1.example.\n"
	"example. 3600 NS ns2.other.net.\n"
	"example. 3600 SOA ns1.example. host.example. 2024010101 7200 3600 1209600 300\n"
	"yljkjljk.a.example. 60 TXT \"y\"\n"
	"Z.a.example. 60 TXT \"Z\"\n"
	"zABC.a.example. 60 TXT \"zabc\"\n"
	"b.example. 60 TXT \"b\"\n"
	"\\001.b.example. 60 TXT \"one\"\n"
	"*.b.example. 60 TXT \"wild\"\n"
	"a.b.example. 60 TXT \"deep\"\n"
	"ns1.example. 3600 A 192.0.2.53\n"
	"www.example. 300 A 192.0.2.1\n"
	"www.example. 300 A 192.0.2.2\n"
	"www.example. 300 AAAA 2001:db8::1\n"
	"z.example. 60 TXT \"last\"\n"
	"\\200.z.example. 60 TXT \"200\"\n";

START_TEST(canonical_order)
{
	hs_zone_t *z = t_zone(ZONE_TEXT);
	ck_assert_ptr_nonnull(z);
	ck_assert_uint_eq(hs_zone_count(z), 16);
	ck_assert_uint_eq(hs_zone_rrset_count(z), 14);
	ck_assert_uint_eq(hs_zone_name_count(z), 12);
	char *d = t_dump(z, 0);
	ck_assert_str_eq(d, ZONE_SORTED);
	free(d);
	/* SOA first: the SOA, then the same order without it. */
	d = t_dump(z, HS_ZONE_ITER_SOA_FIRST);
	ck_assert(strncmp(d, "example. 3600 SOA", 17) == 0);
	ck_assert_uint_eq(strlen(d), strlen(ZONE_SORTED));
	free(d);
	hs_zone_free(z);
}
END_TEST

START_TEST(canonical_cmp)
{
	ck_assert_int_lt(hs_dname_canon_cmp((const uint8_t *)"\x01""a\x07""example",
	                                    (const uint8_t *)"\x01""B\x07""example"), 0);
	ck_assert_int_eq(hs_dname_canon_cmp((const uint8_t *)"\x03""WwW\x07""example",
	                                    (const uint8_t *)"\x03""www\x07""EXAMPLE"), 0);
	ck_assert_int_lt(hs_dname_canon_cmp((const uint8_t *)"\x07""example",
	                                    (const uint8_t *)"\x01""a\x07""example"), 0);
	ck_assert_int_lt(hs_dname_canon_cmp((const uint8_t *)"",
	                                    (const uint8_t *)"\x03""com"), 0);
	ck_assert_int_lt(hs_dname_canon_cmp((const uint8_t *)"\x01""a",
	                                    (const uint8_t *)"\x02""a\x00"), 0);
	ck_assert(hs_dname_in_zone((const uint8_t *)"\x01""x\x07""EXAMPLE", ORIGIN));
	ck_assert(hs_dname_in_zone(ORIGIN, ORIGIN));
	ck_assert(!hs_dname_in_zone((const uint8_t *)"\x08""xexample", ORIGIN));
	ck_assert(!hs_dname_in_zone((const uint8_t *)"\x07""example\x03""com", ORIGIN));
}
END_TEST

START_TEST(same_content_any_input_order)
{
	/* The same records fed in another order and case give the same output. */
	hs_zone_t *a = t_zone(ZONE_TEXT);
	hs_zone_t *b = t_zone(
		"\\200.z 60 TXT \"200\"\n"
		"zABC.a 60 TXT \"zabc\"\n"
		"Z.a 60 TXT \"Z\"\n"
		"yljkjljk.a 60 TXT \"y\"\n"
		"\\001.b 60 TXT \"one\"\n"
		"*.b 60 TXT \"wild\"\n"
		"b 60 TXT \"b\"\n"
		"a.b 60 TXT \"deep\"\n"
		"z 60 TXT \"last\"\n"
		"ns1 3600 A 192.0.2.53\n"
		"www 300 AAAA 2001:db8::1\n"
		"www 300 A 192.0.2.2\n"
		"www 300 A 192.0.2.1\n"
		"www 300 A 192.0.2.1\n"
		"@ 3600 NS ns2.other.net.\n"
		"@ 3600 NS ns1\n"
		"@ 3600 SOA ns1 host 2024010101 7200 3600 1209600 300\n");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(hs_zone_equal(a, b));
	char *da = t_dump(a, 0), *db = t_dump(b, 0);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
	hs_zone_free(a);
	hs_zone_free(b);
}
END_TEST

START_TEST(add_remove_find)
{
	hs_zone_t *z = t_zone(ZONE_TEXT);
	hs_zone_t *x = t_zone("www 300 A 192.0.2.2\n");
	knot_rrset_t rr, v;
	hs_zone_iter_t it;
	ck_assert_int_eq(hs_zone_iter_begin(x, 0, &it), 0);
	ck_assert(hs_zone_iter_next(&it, &rr));

	ck_assert_int_eq(hs_zone_find(z, (const uint8_t *)"\x03""WWW\x07""example",
	                              KNOT_RRTYPE_A, &v), 0);
	ck_assert_uint_eq(v.rrs.count, 2);
	ck_assert_uint_eq(v.ttl, 300);
	/* Adding what is there changes nothing. */
	size_t added = 9;
	ck_assert_int_eq(hs_zone_add(z, &rr, &added), 0);
	ck_assert_uint_eq(added, 0);
	ck_assert_uint_eq(hs_zone_count(z), 16);
	/* Remove one RR, then again: not found, nothing changed. */
	ck_assert_int_eq(hs_zone_remove(z, &rr), 0);
	ck_assert_uint_eq(hs_zone_count(z), 15);
	ck_assert_int_eq(hs_zone_remove(z, &rr), HS_ENOTFOUND);
	ck_assert_uint_eq(hs_zone_count(z), 15);
	ck_assert_int_eq(hs_zone_add(z, &rr, &added), 0);
	ck_assert_uint_eq(added, 1);
	/* Whole RRsets. */
	ck_assert_int_eq(hs_zone_remove_rrset(z, rr.owner, KNOT_RRTYPE_A), 0);
	ck_assert_int_eq(hs_zone_remove_rrset(z, rr.owner, KNOT_RRTYPE_A), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_find(z, rr.owner, KNOT_RRTYPE_A, &v), HS_ENOTFOUND);
	ck_assert(hs_zone_has_name(z, rr.owner));
	ck_assert_int_eq(hs_zone_remove_rrset(z, rr.owner, KNOT_RRTYPE_AAAA), 0);
	ck_assert(!hs_zone_has_name(z, rr.owner));
	ck_assert_uint_eq(hs_zone_count(z), 13);
	ck_assert_uint_eq(hs_zone_name_count(z), 11);
	/* The emptied name comes back. */
	ck_assert_int_eq(hs_zone_add(z, &rr, NULL), 0);
	ck_assert(hs_zone_has_name(z, rr.owner));
	char *d = t_dump(z, 0);
	ck_assert_ptr_nonnull(strstr(d, "ns1.example. 3600 A 192.0.2.53\nwww.example. 300 A 192.0.2.2\nz.example."));
	free(d);
	/* A TTL set by the last add. */
	rr.ttl = 99;
	ck_assert_int_eq(hs_zone_add(z, &rr, NULL), 0);
	ck_assert_int_eq(hs_zone_find(z, rr.owner, KNOT_RRTYPE_A, &v), 0);
	ck_assert_uint_eq(v.ttl, 99);
	/* Replace, and replace with nothing. */
	knot_rrset_t none = rr;
	knot_rdataset_init(&none.rrs);
	ck_assert_int_eq(hs_zone_replace(z, &none), 0);
	ck_assert_int_eq(hs_zone_find(z, rr.owner, KNOT_RRTYPE_A, &v), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_add(z, &none, NULL), HS_EINVAL);
	uint32_t serial = 0;
	ck_assert_int_eq(hs_zone_soa_serial(z, &serial), 0);
	ck_assert_uint_eq(serial, 2024010101);
	hs_zone_free(x);
	hs_zone_free(z);
}
END_TEST

START_TEST(refuse_bad_rr)
{
	hs_zone_t *z = t_zone(NULL);
	hs_zone_t *x = t_zone(NULL);
	/* Out of zone. */
	knot_rrset_t rr;
	uint8_t buf[8];
	const uint8_t ip[4] = { 192, 0, 2, 1 };
	knot_rrset_init(&rr, (knot_dname_t *)"\x05""other\x03""net", KNOT_RRTYPE_A,
	                KNOT_CLASS_IN, 60);
	rr.rrs.count = 1;
	rr.rrs.size = 6;
	rr.rrs.rdata = (knot_rdata_t *)buf;
	knot_rdata_init(rr.rrs.rdata, 4, ip);
	ck_assert_int_eq(hs_zone_add(z, &rr, NULL), KNOT_EOUTOFZONE);
	rr.owner = (knot_dname_t *)"\x07""example";
	rr.rclass = KNOT_CLASS_CH;
	ck_assert_int_eq(hs_zone_add(z, &rr, NULL), HS_EINVAL);
	ck_assert_uint_eq(hs_zone_count(z), 0);
	ck_assert_int_eq(hs_zone_soa_serial(z, &(uint32_t){0}), HS_ENOTFOUND);
	hs_zone_free(x);
	hs_zone_free(z);
}
END_TEST

START_TEST(diff_and_apply)
{
	hs_zone_t *a = t_zone(ZONE_TEXT);
	hs_zone_t *b = t_zone(ZONE_TEXT);
	ck_assert_int_eq(t_load(b, "www 300 A 192.0.2.3\n"
	                           "new 60 TXT \"new\"\n"
	                           "@ 7200 NS ns3\n"), 3);
	hs_zone_t *c = t_zone("www 300 A 192.0.2.1\n");
	knot_rrset_t rr;
	hs_zone_iter_t it;
	hs_zone_iter_begin(c, 0, &it);
	hs_zone_iter_next(&it, &rr);
	ck_assert_int_eq(hs_zone_remove(b, &rr), 0);
	ck_assert_int_eq(hs_zone_remove_rrset(b, (const uint8_t *)"\x01""z\x07""example",
	                                      KNOT_RRTYPE_TXT), 0);

	hs_diff_t *d = NULL;
	ck_assert_int_eq(hs_zone_diff(a, b, &d), 0);
	char *rem = t_dump(d->removed, 0), *add = t_dump(d->added, 0);
	/* NS TTL changed: whole RRset out, whole RRset in. */
	ck_assert_str_eq(rem,
		"example. 3600 NS ns1.example.\n"
		"example. 3600 NS ns2.other.net.\n"
		"www.example. 300 A 192.0.2.1\n"
		"z.example. 60 TXT \"last\"\n");
	ck_assert_str_eq(add,
		"example. 7200 NS ns1.example.\n"
		"example. 7200 NS ns2.other.net.\n"
		"example. 7200 NS ns3.example.\n"
		"new.example. 60 TXT \"new\"\n"
		"www.example. 300 A 192.0.2.3\n");
	free(rem);
	free(add);
	ck_assert_uint_eq(hs_diff_count(d), 9);

	/* Applying the diff to a gives b. */
	hs_zone_t *a2 = NULL;
	ck_assert_int_eq(hs_zone_copy(a, &a2), 0);
	ck_assert_int_eq(hs_zone_apply(a2, d), 0);
	ck_assert(hs_zone_equal(a2, b));
	/* Applying it again does not fit: refused whole, nothing changed. */
	hs_zone_t *a3 = NULL;
	ck_assert_int_eq(hs_zone_copy(a2, &a3), 0);
	ck_assert_int_eq(hs_zone_apply(a2, d), HS_ENOTFOUND);
	ck_assert(hs_zone_equal(a2, a3));

	/* Adds of present RRs do not fit either. */
	hs_diff_t *e = NULL;
	ck_assert_int_eq(hs_diff_new(ORIGIN, KNOT_CLASS_IN, &e), 0);
	ck_assert_int_eq(t_load(e->added, "new 60 TXT \"new\"\n"), 1);
	ck_assert_int_eq(hs_zone_apply(a2, e), HS_EEXIST);
	ck_assert(hs_zone_equal(a2, a3));
	/* ...unless the same diff removes them first. */
	ck_assert_int_eq(t_load(e->removed, "new 60 TXT \"new\"\n"), 1);
	ck_assert_int_eq(hs_zone_apply(a2, e), 0);
	ck_assert(hs_zone_equal(a2, a3));

	/* Same zones: empty diff. */
	hs_diff_t *f = NULL;
	ck_assert_int_eq(hs_zone_diff(a2, b, &f), 0);
	ck_assert(hs_diff_empty(f));

	hs_diff_free(d);
	hs_diff_free(e);
	hs_diff_free(f);
	hs_zone_free(a);
	hs_zone_free(a2);
	hs_zone_free(a3);
	hs_zone_free(b);
	hs_zone_free(c);
}
END_TEST

/* n synthetic names hostN.example. A 10.x.y.z, added in a shuffled order. */
static hs_zone_t *synth(size_t n, unsigned seed)
{
	hs_zone_t *z = NULL;
	ck_assert_int_eq(hs_zone_new(ORIGIN, KNOT_CLASS_IN, &z), 0);
	size_t *perm = malloc(n * sizeof(*perm));
	for (size_t i = 0; i < n; i++) {
		perm[i] = i;
	}
	srand(seed);
	for (size_t i = n - 1; i > 0 && seed != 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		size_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = perm[k];
		uint8_t owner[64];
		int l = snprintf((char *)owner + 1, 40, "host%zu", i);
		owner[0] = (uint8_t)l;
		memcpy(owner + 1 + l, "\x07""example", 9);
		uint8_t rdbuf[8];
		knot_rdata_t *rd = (knot_rdata_t *)rdbuf;
		uint8_t ip[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		knot_rdata_init(rd, 4, ip);
		knot_rrset_t rr;
		knot_rrset_init(&rr, owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, 300);
		rr.rrs.count = 1;
		rr.rrs.size = 6;
		rr.rrs.rdata = rd;
		ck_assert_int_eq(hs_zone_add(z, &rr, NULL), 0);
	}
	free(perm);
	return z;
}

START_TEST(many_records)
{
	/* HSYNC_ZONE_BENCH=1000000 to measure by hand; make check uses 50,000. */
	const char *env = getenv("HSYNC_ZONE_BENCH");
	size_t n = env != NULL ? strtoul(env, NULL, 10) : 50000;
	clock_t t0 = clock();
	hs_zone_t *a = synth(n, 0);   /* in order of i, not canonical */
	clock_t t1 = clock();
	hs_zone_t *b = synth(n, 7);   /* shuffled */
	ck_assert_uint_eq(hs_zone_count(a), n);
	ck_assert(hs_zone_equal(a, b));
	clock_t t2 = clock();
	/* Every name once, in canonical order. */
	hs_zone_iter_t it;
	knot_rrset_t rr, prev = { 0 };
	size_t k = 0;
	ck_assert_int_eq(hs_zone_iter_begin(b, 0, &it), 0);
	while (hs_zone_iter_next(&it, &rr)) {
		if (k > 0) {
			ck_assert_int_lt(hs_dname_canon_cmp(prev.owner, rr.owner), 0);
		}
		prev = rr;
		k++;
	}
	ck_assert_uint_eq(k, n);
	/* One change gives a one-RR diff. */
	ck_assert_int_eq(hs_zone_remove(b, &prev), 0);
	hs_diff_t *d = NULL;
	clock_t t3 = clock();
	ck_assert_int_eq(hs_zone_diff(a, b, &d), 0);
	clock_t t4 = clock();
	ck_assert_uint_eq(hs_diff_count(d), 1);
	ck_assert_uint_eq(hs_zone_count(d->removed), 1);
	if (env != NULL) {
		fprintf(stderr, "zone: %zu A records: load %.2f s, shuffled load+sort %.2f s, "
		        "diff %.2f s, %.1f bytes/record (%zu MB)\n", n,
		        (double)(t1 - t0) / CLOCKS_PER_SEC, (double)(t2 - t1) / CLOCKS_PER_SEC,
		        (double)(t4 - t3) / CLOCKS_PER_SEC,
		        (double)hs_zone_memory(a) / (double)n, hs_zone_memory(a) >> 20);
	}
	ck_assert_uint_lt(hs_zone_memory(a) / n, 120);
	hs_diff_free(d);
	hs_zone_free(a);
	hs_zone_free(b);
}
END_TEST

static void host_rr(knot_rrset_t *rr, uint8_t *owner, uint8_t *rdbuf, size_t i, uint8_t v)
{
	int l = snprintf((char *)owner + 1, 40, "h%zu", i);
	owner[0] = (uint8_t)l;
	memcpy(owner + 1 + l, "\x07""example", 9);
	knot_rdata_t *rd = (knot_rdata_t *)rdbuf;
	uint8_t ip[4] = { 10, 0, (uint8_t)i, v };
	knot_rdata_init(rd, 4, ip);
	knot_rrset_init(rr, owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, 60);
	rr->rrs.count = 1;
	rr->rrs.size = 6;
	rr->rrs.rdata = rd;
}

START_TEST(random_edits)
{
	/* Random adds and removes, iterating now and then (which sorts and
	 * compacts), against a zone built afresh from what should be there. */
	enum { N = 300, V = 3 };
	static bool want[N][V];
	memset(want, 0, sizeof(want));
	hs_zone_t *z = NULL;
	ck_assert_int_eq(hs_zone_new(ORIGIN, KNOT_CLASS_IN, &z), 0);
	srand(42);
	for (int step = 0; step < 20000; step++) {
		size_t i = (size_t)rand() % N;
		uint8_t v = (uint8_t)(rand() % V);
		uint8_t owner[64], rdbuf[8];
		knot_rrset_t rr;
		host_rr(&rr, owner, rdbuf, i, v);
		if (rand() % 2) {
			ck_assert_int_eq(hs_zone_add(z, &rr, NULL), 0);
			want[i][v] = true;
		} else {
			ck_assert_int_eq(hs_zone_remove(z, &rr), want[i][v] ? 0 : HS_ENOTFOUND);
			want[i][v] = false;
		}
		if (step % 997 == 0) {
			hs_zone_iter_t it;
			knot_rrset_t x, prev;
			size_t k = 0;
			ck_assert_int_eq(hs_zone_iter_begin(z, 0, &it), 0);
			while (hs_zone_iter_next(&it, &x)) {
				if (k++ > 0) {
					ck_assert_int_lt(hs_dname_canon_cmp(prev.owner, x.owner), 0);
				}
				prev = x;
			}
			ck_assert_uint_eq(k, hs_zone_rrset_count(z));
		}
	}
	hs_zone_t *ref = NULL;
	ck_assert_int_eq(hs_zone_new(ORIGIN, KNOT_CLASS_IN, &ref), 0);
	for (size_t i = 0; i < N; i++) {
		for (uint8_t v = 0; v < V; v++) {
			if (want[i][v]) {
				uint8_t owner[64], rdbuf[8];
				knot_rrset_t rr;
				host_rr(&rr, owner, rdbuf, i, v);
				ck_assert_int_eq(hs_zone_add(ref, &rr, NULL), 0);
			}
		}
	}
	ck_assert(hs_zone_equal(z, ref));
	hs_zone_t *cp = NULL;
	ck_assert_int_eq(hs_zone_copy(z, &cp), 0);
	ck_assert(hs_zone_equal(cp, ref));
	hs_zone_free(cp);
	hs_zone_free(ref);
	hs_zone_free(z);
}
END_TEST

START_TEST(serial_arith)
{
	ck_assert_int_eq(hs_serial_cmp(1, 1), 0);
	ck_assert_int_eq(hs_serial_cmp(1, 2), -1);
	ck_assert_int_eq(hs_serial_cmp(2, 1), 1);
	/* Wrap-around at 2^32. */
	ck_assert_int_eq(hs_serial_cmp(4294967295u, 0), -1);
	ck_assert_int_eq(hs_serial_cmp(0, 4294967295u), 1);
	ck_assert(hs_serial_gt(0, 4294967295u));
	ck_assert(hs_serial_lt(4294967000u, 5));
	ck_assert_uint_eq(hs_serial_add(4294967295u, 1), 0);
	ck_assert_uint_eq(hs_serial_add(4294967290u, 10), 4);
	ck_assert_uint_eq(hs_serial_add(5, 0x80000000u), 5); /* too big: unchanged */
	ck_assert_uint_eq(hs_serial_add(5, 0x7fffffffu), 0x80000004u);
	/* Exactly 2^31 apart: undefined, neither less nor greater. */
	ck_assert_int_eq(hs_serial_cmp(0, 0x80000000u), HS_SERIAL_UNDEFINED);
	ck_assert(!hs_serial_lt(0, 0x80000000u));
	ck_assert(!hs_serial_gt(0, 0x80000000u));
	ck_assert_int_eq(hs_serial_cmp(0, 0x7fffffffu), -1);
	ck_assert_int_eq(hs_serial_cmp(0, 0x80000001u), 1);
}
END_TEST

/* ---- RRSIG TTLs per type covered (signed zone, test/data/zonefix-signed.zone) ---- */

#define APEX ((const knot_dname_t *)"\x07""example")
#define WWW ((const knot_dname_t *)"\x03""www\x07""example")

/* The signed zone file as text (malloc'd). */
static char *signed_text(void)
{
	FILE *f = fopen(hs_testdata("zonefix-signed.zone"), "r");
	ck_assert_ptr_nonnull(f);
	char *buf = malloc(65536);
	size_t n = fread(buf, 1, 65535, f);
	ck_assert(feof(f));
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static hs_zone_t *signed_zone(void)
{
	char *t = signed_text();
	hs_zone_t *z = t_zone(t);
	free(t);
	ck_assert_ptr_nonnull(z);
	return z;
}

static uint16_t covered_of(const knot_rdata_t *rd)
{
	return (uint16_t)((rd->data[0] << 8) | rd->data[1]);
}

/* What dnssec-signzone wrote (see the file): RRSIG TTLs by owner and covered type. */
static const struct {
	const knot_dname_t *owner;
	uint16_t covered;
	uint32_t ttl;
	uint16_t count;
} SIG_TTLS[] = {
	{ APEX, KNOT_RRTYPE_A, 300, 1 },
	{ APEX, KNOT_RRTYPE_NS, 86400, 1 },
	{ APEX, KNOT_RRTYPE_SOA, 3600, 1 },
	{ APEX, KNOT_RRTYPE_TXT, 900, 1 },
	{ APEX, KNOT_RRTYPE_NSEC, 300, 1 },
	{ APEX, KNOT_RRTYPE_DNSKEY, 7200, 2 },
	{ WWW, KNOT_RRTYPE_A, 60, 1 },
	{ WWW, KNOT_RRTYPE_TXT, 3600, 1 },
	{ WWW, KNOT_RRTYPE_AAAA, 120, 1 },
	{ WWW, KNOT_RRTYPE_NSEC, 300, 1 },
};
#define NSIG_TTLS (sizeof(SIG_TTLS) / sizeof(SIG_TTLS[0]))

/* z holds every RRSIG of SIG_TTLS with the TTL the signer gave it. */
static void check_sig_ttls(const hs_zone_t *z)
{
	for (size_t i = 0; i < NSIG_TTLS; i++) {
		knot_rrset_t rr;
		ck_assert_int_eq(hs_zone_find_rrsig(z, SIG_TTLS[i].owner, SIG_TTLS[i].covered, &rr),
		                 HS_EOK);
		ck_assert_uint_eq(rr.type, KNOT_RRTYPE_RRSIG);
		ck_assert_uint_eq(rr.ttl, SIG_TTLS[i].ttl);
		ck_assert_uint_eq(rr.rrs.count, SIG_TTLS[i].count);
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t j = 0; j < rr.rrs.count; j++) {
			ck_assert_uint_eq(covered_of(rd), SIG_TTLS[i].covered);
			rd = knot_rdataset_next(rd);
		}
	}
}

/* Every RR of the file is in z, with its own TTL (RRSIGs: per covered type). */
static void check_every_rr(const hs_zone_t *z)
{
	char *text = signed_text();
	zs_scanner_t s;
	ck_assert_int_eq(zs_init(&s, T_ORIGIN, KNOT_CLASS_IN, 3600), 0);
	ck_assert_int_eq(zs_set_input_string(&s, text, strlen(text)), 0);
	size_t n = 0;
	while (zs_parse_record(&s) == 0 && s.state == ZS_STATE_DATA) {
		uint8_t buf[sizeof(knot_rdata_t) + 65536];
		knot_rdata_t *rd = (knot_rdata_t *)buf;
		knot_rdata_init(rd, (uint16_t)s.r_data_length, s.r_data);
		knot_rrset_t rr;
		if (s.r_type == KNOT_RRTYPE_RRSIG) {
			ck_assert_int_eq(hs_zone_find_rrsig(z, s.r_owner, covered_of(rd), &rr), 0);
		} else {
			ck_assert_int_eq(hs_zone_find(z, s.r_owner, s.r_type, &rr), 0);
		}
		ck_assert_uint_eq(rr.ttl, s.r_ttl);
		ck_assert(knot_rdataset_member(&rr.rrs, rd));
		n++;
	}
	ck_assert_int_ne(s.state, ZS_STATE_ERROR);
	zs_deinit(&s);
	free(text);
	ck_assert_uint_eq(n, 34);
	ck_assert_uint_eq(hs_zone_count(z), n);
}

START_TEST(dname_text)
{
	char buf[KNOT_DNAME_TXT_MAXLEN + 1], small[4];
	ck_assert_str_eq(hs_dname_text((const knot_dname_t *)"\x03www\x02" "Ex", buf, sizeof(buf)),
	                 "www.Ex.");
	ck_assert_str_eq(hs_dname_text((const knot_dname_t *)"", buf, sizeof(buf)), ".");
	ck_assert_str_eq(hs_dname_text(NULL, buf, sizeof(buf)), "?");
	ck_assert_str_eq(hs_dname_text((const knot_dname_t *)"\x03www\x00", small, sizeof(small)), "?");
	ck_assert_str_eq(hs_dname_text((const knot_dname_t *)"", NULL, 0), "?");
	char t[32];
	ck_assert_str_eq(hs_rrtype_text(KNOT_RRTYPE_DNSKEY, t, sizeof(t)), "DNSKEY");
	ck_assert_str_eq(hs_rrtype_text(65282, t, sizeof(t)), "TYPE65282");
	ck_assert_str_eq(hs_rrtype_text(KNOT_RRTYPE_NS, NULL, 0), "?");
}
END_TEST

START_TEST(rrsig_ttls_kept)
{
	hs_zone_t *z = signed_zone();
	check_sig_ttls(z);
	check_every_rr(z);
	/* 34 RRs; RRsets: 16 plain + 1 RRSIG per owner and covered type (14). */
	ck_assert_uint_eq(hs_zone_rrset_count(z), 30);
	ck_assert_uint_eq(hs_zone_name_count(z), 5);

	/* Iteration: one RRSIG RRset per covered type, ascending, own TTL. */
	static const struct { uint16_t type, covered; uint32_t ttl; uint16_t count; } apex[] = {
		{ KNOT_RRTYPE_A, 0, 300, 1 },
		{ KNOT_RRTYPE_NS, 0, 86400, 2 },
		{ KNOT_RRTYPE_SOA, 0, 3600, 1 },
		{ KNOT_RRTYPE_TXT, 0, 900, 1 },
		{ KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_A, 300, 1 },
		{ KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_NS, 86400, 1 },
		{ KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_SOA, 3600, 1 },
		{ KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_TXT, 900, 1 },
		{ KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_NSEC, 300, 1 },
		{ KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_DNSKEY, 7200, 2 },
		{ KNOT_RRTYPE_NSEC, 0, 300, 1 },
		{ KNOT_RRTYPE_DNSKEY, 0, 7200, 2 },
	};
	hs_zone_iter_t it;
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_iter_begin(z, 0, &it), 0);
	for (size_t i = 0; i < sizeof(apex) / sizeof(apex[0]); i++) {
		ck_assert(hs_zone_iter_next(&it, &rr));
		ck_assert(hs_dname_equal(rr.owner, APEX));
		ck_assert_uint_eq(rr.type, apex[i].type);
		ck_assert_uint_eq(rr.ttl, apex[i].ttl);
		ck_assert_uint_eq(rr.rrs.count, apex[i].count);
		if (rr.type == KNOT_RRTYPE_RRSIG) {
			knot_rdata_t *rd = rr.rrs.rdata;
			for (uint16_t j = 0; j < rr.rrs.count; j++) {
				ck_assert_uint_eq(covered_of(rd), apex[i].covered);
				rd = knot_rdataset_next(rd);
			}
		}
	}
	ck_assert(hs_zone_iter_next(&it, &rr));
	ck_assert(!hs_dname_equal(rr.owner, APEX));

	/* find(owner, RRSIG): all of them in one view, lowest TTL, canonical order. */
	ck_assert_int_eq(hs_zone_find(z, APEX, KNOT_RRTYPE_RRSIG, &rr), 0);
	ck_assert_uint_eq(rr.rrs.count, 7);
	ck_assert_uint_eq(rr.ttl, 300);
	knot_rdataset_t chk;
	knot_rdataset_init(&chk);
	knot_rdata_t *rd = rr.rrs.rdata;
	for (uint16_t j = 0; j < rr.rrs.count; j++) {
		ck_assert_int_eq(knot_rdataset_add(&chk, rd, NULL), KNOT_EOK);
		rd = knot_rdataset_next(rd);
	}
	ck_assert_uint_eq(chk.size, rr.rrs.size);
	ck_assert_mem_eq(chk.rdata, rr.rrs.rdata, chk.size);
	knot_rdataset_clear(&chk, NULL);
	ck_assert_int_eq(hs_zone_find_rrsig(z, APEX, KNOT_RRTYPE_AAAA, &rr), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_find_rrsig(z, (const uint8_t *)"\x02""no\x07""example",
	                                    KNOT_RRTYPE_A, &rr), HS_ENOTFOUND);

	/* The same records in reverse order: the same zone. */
	hs_zone_t *r = NULL;
	ck_assert_int_eq(hs_zone_new(ORIGIN, KNOT_CLASS_IN, &r), 0);
	knot_rrset_t all[64];
	size_t n = 0;
	ck_assert_int_eq(hs_zone_iter_begin(z, 0, &it), 0);
	while (hs_zone_iter_next(&it, &all[n])) {
		n++;
	}
	while (n > 0) {
		ck_assert_int_eq(hs_zone_add(r, &all[--n], NULL), 0);
	}
	ck_assert(hs_zone_equal(z, r));
	check_sig_ttls(r);
	hs_zone_free(r);
	hs_zone_free(z);
}
END_TEST

START_TEST(rrsig_copy_equal)
{
	hs_zone_t *z = signed_zone();
	hs_zone_t *c = NULL;
	ck_assert_int_eq(hs_zone_copy(z, &c), 0);
	check_sig_ttls(c);
	check_every_rr(c);
	ck_assert(hs_zone_equal(z, c));
	char *dz = t_dump(z, 0), *dc = t_dump(c, 0);
	ck_assert_str_eq(dz, dc);
	free(dz);
	free(dc);

	/* One RRSIG TTL differs: not equal, and only that one changed. */
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_find_rrsig(c, APEX, KNOT_RRTYPE_DNSKEY, &rr), 0);
	knot_rrset_t r2 = rr;
	knot_rdataset_t copy;
	ck_assert_int_eq(knot_rdataset_copy(&copy, &rr.rrs, NULL), KNOT_EOK);
	r2.rrs = copy;
	r2.ttl = 3600;
	ck_assert_int_eq(hs_zone_replace(c, &r2), 0);
	knot_rdataset_clear(&copy, NULL);
	ck_assert(!hs_zone_equal(z, c));
	ck_assert_int_eq(hs_zone_find_rrsig(c, APEX, KNOT_RRTYPE_DNSKEY, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 3600);
	ck_assert_uint_eq(rr.rrs.count, 2);
	ck_assert_int_eq(hs_zone_find_rrsig(c, APEX, KNOT_RRTYPE_SOA, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 3600);
	ck_assert_int_eq(hs_zone_find_rrsig(c, APEX, KNOT_RRTYPE_NS, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 86400);
	ck_assert_uint_eq(hs_zone_count(c), hs_zone_count(z));
	hs_zone_free(c);
	hs_zone_free(z);
}
END_TEST

/* hs_zone_find_rrsig(owner, covered) of z with a new TTL, into z. */
static void set_sig_ttl(hs_zone_t *z, const knot_dname_t *owner, uint16_t covered, uint32_t ttl)
{
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_find_rrsig(z, owner, covered, &rr), 0);
	uint8_t own[KNOT_DNAME_MAXLEN];
	memcpy(own, rr.owner, knot_dname_size(rr.owner));
	knot_rdataset_t copy;
	ck_assert_int_eq(knot_rdataset_copy(&copy, &rr.rrs, NULL), KNOT_EOK);
	rr.owner = own;
	rr.rrs = copy;
	rr.ttl = ttl;
	ck_assert_int_eq(hs_zone_replace(z, &rr), 0);
	knot_rdataset_clear(&copy, NULL);
}

START_TEST(rrsig_diff_apply)
{
	hs_zone_t *a = signed_zone();
	hs_zone_t *b = NULL;
	ck_assert_int_eq(hs_zone_copy(a, &b), 0);
	/* The A RRset at the apex gets TTL 600, and so do its RRSIGs. */
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_find(b, APEX, KNOT_RRTYPE_A, &rr), 0);
	knot_rrset_t a600 = rr;
	a600.ttl = 600;
	knot_rdataset_t copy;
	ck_assert_int_eq(knot_rdataset_copy(&copy, &rr.rrs, NULL), KNOT_EOK);
	a600.rrs = copy;
	ck_assert_int_eq(hs_zone_replace(b, &a600), 0);
	knot_rdataset_clear(&copy, NULL);
	set_sig_ttl(b, APEX, KNOT_RRTYPE_A, 600);

	hs_diff_t *d = NULL;
	ck_assert_int_eq(hs_zone_diff(a, b, &d), 0);
	/* Exactly the A RRset and its one RRSIG out, and in with TTL 600. */
	ck_assert_uint_eq(hs_diff_count(d), 4);
	ck_assert_uint_eq(hs_zone_rrset_count(d->removed), 2);
	ck_assert_int_eq(hs_zone_find_rrsig(d->removed, APEX, KNOT_RRTYPE_A, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 300);
	ck_assert_uint_eq(rr.rrs.count, 1);
	ck_assert_int_eq(hs_zone_find_rrsig(d->added, APEX, KNOT_RRTYPE_A, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 600);
	ck_assert_int_eq(hs_zone_find_rrsig(d->added, APEX, KNOT_RRTYPE_NSEC, &rr), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_find_rrsig(d->removed, APEX, KNOT_RRTYPE_NSEC, &rr),
	                 HS_ENOTFOUND);

	hs_zone_t *a2 = NULL;
	ck_assert_int_eq(hs_zone_copy(a, &a2), 0);
	ck_assert_int_eq(hs_zone_apply(a2, d), 0);
	ck_assert(hs_zone_equal(a2, b));
	/* The RRSIG covering NSEC (also 300 before) is untouched. */
	ck_assert_int_eq(hs_zone_find_rrsig(a2, APEX, KNOT_RRTYPE_NSEC, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 300);
	ck_assert_int_eq(hs_zone_find_rrsig(a2, APEX, KNOT_RRTYPE_A, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 600);
	/* A diff removing an RRSIG that is not there (www's RRSIG(A), while its
	 * RRSIG(TXT) etc. are) does not fit: refused whole, nothing changes. */
	hs_zone_t *a3 = NULL;
	ck_assert_int_eq(hs_zone_copy(a2, &a3), 0);
	hs_diff_t *g = NULL;
	ck_assert_int_eq(hs_diff_new(ORIGIN, KNOT_CLASS_IN, &g), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(a, WWW, KNOT_RRTYPE_A, &rr), 0);
	ck_assert_int_eq(hs_zone_add(g->removed, &rr, NULL), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(a, WWW, KNOT_RRTYPE_TXT, &rr), 0);
	ck_assert_int_eq(hs_zone_add(g->removed, &rr, NULL), 0);
	ck_assert_int_eq(hs_zone_remove_rrsig(a2, WWW, KNOT_RRTYPE_A), 0);
	ck_assert_int_eq(hs_zone_remove_rrsig(a3, WWW, KNOT_RRTYPE_A), 0);
	ck_assert_int_eq(hs_zone_apply(a2, g), HS_ENOTFOUND);
	ck_assert(hs_zone_equal(a2, a3));
	ck_assert_int_eq(hs_zone_find_rrsig(a2, WWW, KNOT_RRTYPE_TXT, &rr), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(a, WWW, KNOT_RRTYPE_A, &rr), 0);
	ck_assert_int_eq(hs_zone_add(a2, &rr, NULL), 0);
	/* The reverse diff gives a back, every TTL as signed. */
	hs_diff_t *back = NULL;
	ck_assert_int_eq(hs_zone_diff(b, a, &back), 0);
	ck_assert_int_eq(hs_zone_apply(a2, back), 0);
	ck_assert(hs_zone_equal(a2, a));
	check_sig_ttls(a2);

	/* An RRSIG covering a type already signed, added by a diff whose RDATA is
	 * already there under another TTL: HS_EEXIST, nothing changes. */
	hs_diff_t *e = NULL;
	ck_assert_int_eq(hs_diff_new(ORIGIN, KNOT_CLASS_IN, &e), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(a, APEX, KNOT_RRTYPE_SOA, &rr), 0);
	rr.ttl = 1;
	ck_assert_int_eq(hs_zone_add(e->added, &rr, NULL), 0);
	ck_assert_int_eq(hs_zone_apply(a2, e), HS_EEXIST);
	ck_assert(hs_zone_equal(a2, a));

	hs_diff_free(d);
	hs_diff_free(back);
	hs_diff_free(e);
	hs_diff_free(g);
	hs_zone_free(a);
	hs_zone_free(a2);
	hs_zone_free(a3);
	hs_zone_free(b);
}
END_TEST

START_TEST(rrsig_edit)
{
	hs_zone_t *z = signed_zone();
	knot_rrset_t all;
	ck_assert_int_eq(hs_zone_find(z, APEX, KNOT_RRTYPE_RRSIG, &all), 0);

	/* One knot_rrset_t holding RRSIGs of six covered types: each gets the TTL. */
	hs_zone_t *e = NULL;
	ck_assert_int_eq(hs_zone_new(ORIGIN, KNOT_CLASS_IN, &e), 0);
	all.ttl = 1234;
	size_t added = 0;
	ck_assert_int_eq(hs_zone_add(e, &all, &added), 0);
	ck_assert_uint_eq(added, 7);
	ck_assert_uint_eq(hs_zone_count(e), 7);
	ck_assert_uint_eq(hs_zone_rrset_count(e), 6);
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_find_rrsig(e, APEX, KNOT_RRTYPE_DNSKEY, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 1234);
	ck_assert_uint_eq(rr.rrs.count, 2);
	/* Adding them again adds nothing but sets the TTL of all six. */
	all.ttl = 99;
	ck_assert_int_eq(hs_zone_add(e, &all, &added), 0);
	ck_assert_uint_eq(added, 0);
	ck_assert_int_eq(hs_zone_find(e, APEX, KNOT_RRTYPE_RRSIG, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 99);
	ck_assert_uint_eq(rr.rrs.count, 7);

	/* Removing them all at once from a copy of the zone leaves the rest. */
	hs_zone_t *c = NULL;
	ck_assert_int_eq(hs_zone_copy(z, &c), 0);
	ck_assert_int_eq(hs_zone_remove(c, &all), 0);
	ck_assert_uint_eq(hs_zone_count(c), hs_zone_count(z) - 7);
	ck_assert_int_eq(hs_zone_find(c, APEX, KNOT_RRTYPE_RRSIG, &rr), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_find(c, APEX, KNOT_RRTYPE_DNSKEY, &rr), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(c, WWW, KNOT_RRTYPE_A, &rr), 0);
	/* ...and removing them again is refused whole. */
	ck_assert_int_eq(hs_zone_remove(c, &all), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_add(c, &all, NULL), 0);
	ck_assert_int_eq(hs_zone_remove_rrsig(c, APEX, KNOT_RRTYPE_A), 0);
	hs_zone_t *c2 = NULL;
	ck_assert_int_eq(hs_zone_copy(c, &c2), 0);
	ck_assert_int_eq(hs_zone_remove(c, &all), HS_ENOTFOUND);  /* RRSIG(A) is missing */
	ck_assert(hs_zone_equal(c, c2));

	/* remove_rrsig takes one covered type, remove_rrset(RRSIG) all of them. */
	ck_assert_int_eq(hs_zone_remove_rrsig(c, APEX, KNOT_RRTYPE_A), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_remove_rrsig(c, APEX, KNOT_RRTYPE_DNSKEY), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(c, APEX, KNOT_RRTYPE_DNSKEY, &rr), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_find_rrsig(c, APEX, KNOT_RRTYPE_SOA, &rr), 0);
	ck_assert_int_eq(hs_zone_remove_rrset(c, APEX, KNOT_RRTYPE_RRSIG), 0);
	ck_assert_int_eq(hs_zone_find(c, APEX, KNOT_RRTYPE_RRSIG, &rr), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_remove_rrset(c, APEX, KNOT_RRTYPE_RRSIG), HS_ENOTFOUND);
	ck_assert_uint_eq(hs_zone_count(c), hs_zone_count(z) - 7);
	ck_assert_uint_eq(hs_zone_rrset_count(c), hs_zone_rrset_count(z) - 6);

	/* replace(RRSIG of one covered type) leaves the other covered types. */
	hs_zone_t *r = NULL;
	ck_assert_int_eq(hs_zone_copy(z, &r), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(z, APEX, KNOT_RRTYPE_SOA, &rr), 0);
	rr.ttl = 5;
	ck_assert_int_eq(hs_zone_replace(r, &rr), 0);
	ck_assert_int_eq(hs_zone_find_rrsig(r, APEX, KNOT_RRTYPE_SOA, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 5);
	ck_assert_uint_eq(hs_zone_count(r), hs_zone_count(z));
	ck_assert_int_eq(hs_zone_find_rrsig(r, APEX, KNOT_RRTYPE_DNSKEY, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 7200);
	/* replace(RRSIG, no RDATA) removes every RRSIG at the owner. */
	knot_rrset_t none;
	knot_rrset_init(&none, (knot_dname_t *)APEX, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, 0);
	ck_assert_int_eq(hs_zone_replace(r, &none), 0);
	ck_assert_int_eq(hs_zone_find(r, APEX, KNOT_RRTYPE_RRSIG, &rr), HS_ENOTFOUND);
	ck_assert_int_eq(hs_zone_replace(r, &none), 0);

	hs_zone_free(r);
	hs_zone_free(c2);
	hs_zone_free(c);
	hs_zone_free(e);
	hs_zone_free(z);
}
END_TEST

/* AXFR (or IXFR with deltas) of server to a client holding cur, through common/xfr.h. */
static hs_zone_t *transfer(uint16_t qtype, hs_zone_t *server, hs_diff_t **deltas, size_t nd,
                           hs_zone_t *cur, size_t max_msg, hs_xfr_kind_t want)
{
	knot_pkt_t *q = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	knot_rrset_t soa;
	const knot_rrset_t *s = NULL;
	if (cur != NULL && hs_zone_find(cur, APEX, KNOT_RRTYPE_SOA, &soa) == 0) {
		s = &soa;
	}
	hs_tsig_ctx_t ctx;
	ck_assert_int_eq(hs_xfr_query(q, APEX, qtype, s, NULL, &ctx), 0);
	static uint8_t qwire[KNOT_WIRE_MAX_PKTSIZE];
	memcpy(qwire, q->wire, q->size);
	knot_pkt_t *sq = knot_pkt_new(qwire, (uint16_t)q->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(sq, 0), KNOT_EOK);

	hs_xfr_in_t *in = NULL;
	ck_assert_int_eq(hs_xfr_in_new(q, cur, NULL, &in), 0);
	struct hs_xfr_out_opts o = { .max_msg = max_msg };
	hs_xfr_out_t *out = NULL;
	ck_assert_int_eq(hs_xfr_out_new(sq, server, deltas, nd, &o, &out), 0);
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	size_t msgs = 0;
	int ret, fed;
	do {
		ret = hs_xfr_out_next(out, pkt, NULL);
		ck_assert_int_ge(ret, 0);
		msgs++;
		fed = hs_xfr_in_feed(in, pkt->wire, pkt->size);
		ck_assert_int_ge(fed, 0);
	} while (ret != HS_XFR_DONE);
	ck_assert_int_eq(fed, HS_XFR_DONE);
	ck_assert_int_eq(hs_xfr_in_end(in), 0);
	ck_assert_int_eq(hs_xfr_in_kind(in), want);
	if (max_msg != 0) {
		ck_assert_uint_gt(msgs, 3);
	}
	hs_zone_t *z = hs_xfr_in_take_zone(in);
	ck_assert_ptr_nonnull(z);
	knot_pkt_free(pkt);
	hs_xfr_out_free(out);
	hs_xfr_in_free(in);
	knot_pkt_free(sq);
	knot_pkt_free(q);
	return z;
}

START_TEST(rrsig_axfr_ixfr)
{
	hs_zone_t *s = signed_zone();
	size_t sizes[] = { 0, 512 };
	for (size_t i = 0; i < 2; i++) {
		hs_zone_t *c = transfer(KNOT_RRTYPE_AXFR, s, NULL, 0, NULL, sizes[i], HS_XFR_AXFR);
		check_sig_ttls(c);
		check_every_rr(c);
		ck_assert(hs_zone_equal(s, c));
		char *ds = t_dump(s, 0), *dc = t_dump(c, 0);
		ck_assert_str_eq(ds, dc);
		free(ds);
		free(dc);
		hs_zone_free(c);
	}

	/* IXFR of a version where only the RRSIG(TXT) TTL at www changed (and the serial). */
	hs_zone_t *v2 = NULL;
	ck_assert_int_eq(hs_zone_copy(s, &v2), 0);
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_find(v2, APEX, KNOT_RRTYPE_SOA, &rr), 0);
	knot_rdataset_t copy;
	ck_assert_int_eq(knot_rdataset_copy(&copy, &rr.rrs, NULL), KNOT_EOK);
	knot_soa_serial_set(copy.rdata, knot_soa_serial(copy.rdata) + 1);
	knot_rrset_t soa = rr;
	soa.owner = (knot_dname_t *)APEX;
	soa.rrs = copy;
	ck_assert_int_eq(hs_zone_replace(v2, &soa), 0);
	knot_rdataset_clear(&copy, NULL);
	set_sig_ttl(v2, WWW, KNOT_RRTYPE_TXT, 1800);
	hs_diff_t *d = NULL;
	ck_assert_int_eq(hs_zone_diff(s, v2, &d), 0);
	ck_assert_uint_eq(hs_diff_count(d), 4);   /* SOA out/in, RRSIG(TXT) out/in */
	hs_zone_t *c = transfer(KNOT_RRTYPE_IXFR, v2, &d, 1, s, 0, HS_XFR_IXFR);
	ck_assert(hs_zone_equal(c, v2));
	ck_assert_int_eq(hs_zone_find_rrsig(c, WWW, KNOT_RRTYPE_TXT, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 1800);
	ck_assert_int_eq(hs_zone_find_rrsig(c, WWW, KNOT_RRTYPE_A, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 60);
	ck_assert_int_eq(hs_zone_find_rrsig(c, WWW, KNOT_RRTYPE_AAAA, &rr), 0);
	ck_assert_uint_eq(rr.ttl, 120);
	hs_zone_free(c);
	hs_diff_free(d);
	hs_zone_free(v2);
	hs_zone_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("czone");
	TCase *tc = tcase_create("zone");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, canonical_order);
	tcase_add_test(tc, canonical_cmp);
	tcase_add_test(tc, dname_text);
	tcase_add_test(tc, same_content_any_input_order);
	tcase_add_test(tc, add_remove_find);
	tcase_add_test(tc, refuse_bad_rr);
	tcase_add_test(tc, diff_and_apply);
	tcase_add_test(tc, many_records);
	tcase_add_test(tc, random_edits);
	tcase_add_test(tc, serial_arith);
	tcase_add_test(tc, rrsig_ttls_kept);
	tcase_add_test(tc, rrsig_copy_equal);
	tcase_add_test(tc, rrsig_diff_apply);
	tcase_add_test(tc, rrsig_edit);
	tcase_add_test(tc, rrsig_axfr_ixfr);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
