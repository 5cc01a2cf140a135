/* Unit tests for combinerd/combine.c (combined zone, serial, diffs) */
#include <stdlib.h>
#include <string.h>

#include "combinerd/combine.h"
#include "combinerd/contrib.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"
#include "test/unit/comb_test.h"

#define APEX ((const knot_dname_t *)"\x07""example")

#define KEYO "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="
#define KEYA "256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA=="

/* The owner's zone, HSYNC in RFC 3597 form as owners write it. */
#define OWNER_REST \
	"@ 3600 NS ns1\n" \
	"@ 3600 NS ns2\n" \
	"@ 3600 DNSKEY " KEYO "\n" \
	"@ 3600 TYPE65282 \\# 41 010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200\n" \
	"@ 3600 MX 10 mail\n" \
	"mail 300 A 192.0.2.25\n" \
	"www 300 A 192.0.2.1\n" \
	"WWW 300 AAAA 2001:db8::1\n" \
	"sub 3600 NS ns.sub\n" \
	"sub 3600 DNSKEY " KEYA "\n" \
	"ns.sub 3600 A 192.0.2.99\n"

#define SOA(serial) "@ 3600 SOA ns1 hostmaster " #serial " 7200 3600 1209600 300\n"

static hs_contrib_t *contrib(const char *text)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	if (text == NULL) {
		return c;
	}
	hs_zone_t *z = t_zone(text);
	ck_assert_ptr_nonnull(z);
	hs_zone_iter_t it;
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_iter_begin(z, 0, &it), 0);
	while (hs_zone_iter_next(&it, &rr)) {
		ck_assert_int_eq(hs_contrib_set(c, &rr, "agent."), 0);
	}
	hs_zone_free(z);
	return c;
}

static char *dump(hs_zone_t *z)
{
	return t_dump(z, 0);
}

START_TEST(definition)
{
	hs_zone_t *owner = t_zone(SOA(100) OWNER_REST);
	hs_contrib_t *ct = contrib("@ 600 DNSKEY " KEYO "\n@ 600 DNSKEY " KEYA "\n"
	                           "@ 300 NS ns1.provider.net.\n@ 300 NS ns2.provider.net.\n");
	hs_zone_t *comb = NULL;
	ck_assert_int_eq(hs_combine_build(owner, ct, 7, &comb), 0);
	char *d = dump(comb);
	ck_assert_str_eq(d,
		"example. 300 NS ns1.provider.net.\n"
		"example. 300 NS ns2.provider.net.\n"
		"example. 3600 SOA ns1.example. hostmaster.example. 7 7200 3600 1209600 300\n"
		"example. 3600 MX 10 mail.example.\n"
		"example. 600 DNSKEY " KEYA "\n"
		"example. 600 DNSKEY " KEYO "\n"
		"example. 3600 TYPE65282 \\# 41 010101086964656E746974790970726F76696465724100056167656E74047A6F6E65056F776E657200\n"
		"mail.example. 300 A 192.0.2.25\n"
		"sub.example. 3600 NS ns.sub.example.\n"
		"sub.example. 3600 DNSKEY " KEYA "\n"
		"ns.sub.example. 3600 A 192.0.2.99\n"
		"www.example. 300 A 192.0.2.1\n"
		"www.example. 300 AAAA 2001:db8::1\n");
	free(d);
	/* Every other record is the owner's: the diff is the apex NS, DNSKEY and SOA only. */
	hs_diff_t *diff = NULL;
	ck_assert_int_eq(hs_zone_diff(owner, comb, &diff), 0);
	char *rem = dump(diff->removed), *add = dump(diff->added);
	ck_assert_str_eq(rem,
		"example. 3600 NS ns1.example.\n"
		"example. 3600 NS ns2.example.\n"
		"example. 3600 SOA ns1.example. hostmaster.example. 100 7200 3600 1209600 300\n"
		"example. 3600 DNSKEY " KEYO "\n");
	ck_assert_uint_eq(hs_zone_count(diff->added), 5);
	free(rem);
	free(add);
	hs_diff_free(diff);
	/* No contributions: the owner's zone with the serial. */
	hs_zone_t *plain = NULL;
	ck_assert_int_eq(hs_combine_build(owner, NULL, 100, &plain), 0);
	ck_assert(hs_zone_equal(plain, owner));
	/* No SOA, or contributions of another zone: refused. */
	hs_zone_t *nosoa = t_zone(OWNER_REST), *x = NULL;
	ck_assert_int_eq(hs_combine_build(nosoa, ct, 1, &x), KNOT_ESOAINVAL);
	hs_contrib_t *other = NULL;
	ck_assert_int_eq(hs_contrib_new((const knot_dname_t *)"\x03""net", &other), 0);
	ck_assert_int_eq(hs_combine_build(owner, other, 1, &x), HS_EINVAL);
	hs_contrib_free(other);
	hs_zone_free(nosoa);
	hs_zone_free(plain);
	hs_zone_free(comb);
	hs_zone_free(owner);
	hs_contrib_free(ct);
}
END_TEST

/*
 * hs_combiner_owner_has() says yes for each RR of `in` (one at a time)
 * exactly when `owner` holds it.
 */
static void check_has(hs_combiner_t *c, hs_zone_t *in, hs_zone_t *owner)
{
	hs_zone_iter_t it;
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_iter_begin(in, 0, &it), 0);
	while (hs_zone_iter_next(&it, &rr)) {
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; i < rr.rrs.count; i++) {
			knot_rrset_t one = rr;
			one.rrs.count = 1;
			one.rrs.size = knot_rdata_size(rd->len);
			one.rrs.rdata = rd;
			knot_rrset_t view;
			bool want = hs_zone_find(owner, rr.owner, rr.type, &view) == 0 &&
			            knot_rdataset_member(&view.rrs, rd);
			ck_assert_msg(hs_combiner_owner_has(&one, c) == want, "type %u at %s", rr.type,
			              (const char *)rr.owner);
			rd = knot_rdataset_next(rd);
		}
	}
}

/* The combiner's zone equals the definition for the owner zone it was fed. */
static void check_definition(hs_combiner_t *c, const char *owner_text, const hs_contrib_t *ct)
{
	hs_zone_t *owner = t_zone(owner_text), *want = NULL;
	hs_combine_state_t st;
	hs_combiner_state(c, &st);
	ck_assert_int_eq(hs_combine_build(owner, ct, st.serial, &want), 0);
	char *a = dump(want), *b = dump(hs_combiner_zone(c));
	ck_assert_str_eq(b, a);
	free(a);
	free(b);
	/* And the digest kept along the way is the digest of the content. */
	uint8_t dg[HS_COMBINE_DIGEST_LEN];
	ck_assert_int_eq(hs_combine_digest(want, dg), 0);
	ck_assert(memcmp(dg, st.digest, sizeof(dg)) == 0);
	hs_zone_t *back = NULL;
	ck_assert_int_eq(hs_combiner_owner_zone(c, &back), 0);
	ck_assert(hs_zone_equal(back, owner));
	hs_zone_free(back);
	/* Without the copy: the owner's SOA alone, and RR by RR lookups that
	 * agree with the owner zone, for its RRs and for the combined zone's
	 * (contributions, our SOA: not the owner's). */
	hs_zone_t *soa = NULL;
	ck_assert_int_eq(hs_combiner_owner_soa(c, &soa), 0);
	ck_assert_uint_eq(hs_zone_count(soa), 1);
	uint32_t s1 = 0, s2 = 1;
	ck_assert_int_eq(hs_zone_soa_serial(soa, &s1), 0);
	ck_assert_int_eq(hs_zone_soa_serial(owner, &s2), 0);
	ck_assert_uint_eq(s1, s2);
	hs_zone_free(soa);
	check_has(c, owner, owner);
	check_has(c, hs_combiner_zone(c), owner);
	hs_zone_free(owner);
	hs_zone_free(want);
}

/* Applying a CHANGED diff to the previous combined zone gives the new one. */
static void check_diff(hs_zone_t *before, hs_combiner_t *c, const hs_combine_result_t *r)
{
	ck_assert_int_eq(r->what, HS_COMBINE_CHANGED);
	ck_assert_ptr_nonnull(r->diff);
	ck_assert_int_eq(hs_zone_apply(before, r->diff), 0);
	ck_assert(hs_zone_equal(before, hs_combiner_zone(c)));
	uint32_t s = 0;
	hs_zone_soa_serial(before, &s);
	ck_assert_uint_eq(s, r->to);
}

START_TEST(serial_follows_inputs)
{
	hs_combiner_t *c = NULL;
	ck_assert_int_eq(hs_combiner_new(APEX, NULL, &c), 0);
	hs_contrib_t *ct = contrib(NULL);
	hs_combine_result_t r;
	/* Before any owner zone, contributions change nothing. */
	ck_assert_int_eq(hs_combiner_contrib(c, ct, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_SAME);
	ck_assert_ptr_null(hs_combiner_zone(c));

	/* First build: serial starts at the owner's. */
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(100) OWNER_REST), ct, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_NEW);
	ck_assert_uint_eq(r.to, 100);
	check_definition(c, SOA(100) OWNER_REST, ct);

	/* The same owner zone again: nothing changes. */
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(100) OWNER_REST), ct, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_SAME);
	ck_assert_uint_eq(r.to, 100);

	/* Owner serial only: bumped, the diff is the SOA. */
	hs_zone_t *before = NULL;
	ck_assert_int_eq(hs_zone_copy(hs_combiner_zone(c), &before), 0);
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(200) OWNER_REST), ct, &r), 0);
	ck_assert_uint_eq(r.from, 100);
	ck_assert_uint_eq(r.to, 101);
	ck_assert_uint_eq(hs_diff_count(r.diff), 2);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);

	/* A record changes at the owner: one more. */
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(201) OWNER_REST "new 60 TXT x\n"),
	                                        ct, &r), 0);
	ck_assert_uint_eq(r.to, 102);
	ck_assert_uint_eq(hs_diff_count(r.diff), 3);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);
	check_definition(c, SOA(201) OWNER_REST "new 60 TXT x\n", ct);

	/* A contribution: the owner's DNSKEY goes, the contributed ones come. */
	hs_contrib_t *ct2 = contrib("@ 600 DNSKEY " KEYA "\n");
	ck_assert_int_eq(hs_combiner_contrib(c, ct2, &r), 0);
	ck_assert_uint_eq(r.to, 103);
	char *rem = dump(r.diff->removed), *add = dump(r.diff->added);
	ck_assert_str_eq(rem,
		"example. 3600 SOA ns1.example. hostmaster.example. 102 7200 3600 1209600 300\n"
		"example. 3600 DNSKEY " KEYO "\n");
	ck_assert_str_eq(add,
		"example. 3600 SOA ns1.example. hostmaster.example. 103 7200 3600 1209600 300\n"
		"example. 600 DNSKEY " KEYA "\n");
	free(rem);
	free(add);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);
	check_definition(c, SOA(201) OWNER_REST "new 60 TXT x\n", ct2);
	/* The same contributions again: nothing. */
	ck_assert_int_eq(hs_combiner_contrib(c, ct2, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_SAME);
	ck_assert_uint_eq(r.to, 103);

	/* The owner changes its DNSKEY while it is contributed: hidden, but
	 * the owner's serial moved, so the SOA serial does too. */
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(202) OWNER_REST "new 60 TXT x\n"
	                                                  "@ 3600 DNSKEY " KEYA "\n"), ct2, &r), 0);
	ck_assert_uint_eq(r.to, 104);
	ck_assert_uint_eq(hs_diff_count(r.diff), 2);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);

	/* Withdrawn: the owner's (new) DNSKEY set is back. */
	ck_assert_int_eq(hs_combiner_contrib(c, ct, &r), 0);
	ck_assert_uint_eq(r.to, 105);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);
	check_definition(c, SOA(202) OWNER_REST "new 60 TXT x\n@ 3600 DNSKEY " KEYA "\n", ct);

	/* An owner zone without SOA is refused and changes nothing. */
	hs_zone_t *bad = t_zone(OWNER_REST);
	ck_assert_int_eq(hs_combiner_owner_full(c, bad, ct, &r), KNOT_ESOAINVAL);
	hs_zone_free(bad);
	ck_assert(hs_zone_equal(before, hs_combiner_zone(c)));

	hs_zone_free(before);
	hs_contrib_free(ct);
	hs_contrib_free(ct2);
	hs_combiner_free(c);
}
END_TEST

static hs_diff_t *owner_diff(const char *removed, const char *added)
{
	hs_diff_t *d = NULL;
	ck_assert_int_eq(hs_diff_new(APEX, KNOT_CLASS_IN, &d), 0);
	ck_assert_int_ge(t_load(d->removed, removed), 0);
	ck_assert_int_ge(t_load(d->added, added), 0);
	return d;
}

START_TEST(ixfr_in_equals_rebuild)
{
	hs_contrib_t *ct = contrib("@ 300 NS ns1.provider.net.\n");
	hs_combiner_t *c = NULL;
	ck_assert_int_eq(hs_combiner_new(APEX, NULL, &c), 0);
	hs_combine_result_t r;
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(10) OWNER_REST), ct, &r), 0);
	hs_zone_t *before = NULL;
	ck_assert_int_eq(hs_zone_copy(hs_combiner_zone(c), &before), 0);

	/* Owner changes www, and its own apex NS (hidden by the contribution). */
	hs_diff_t *d = owner_diff(SOA(10) "www 300 A 192.0.2.1\n@ 3600 NS ns2\n",
	                          SOA(11) "www 300 A 192.0.2.2\n@ 3600 NS ns3\n");
	ck_assert_int_eq(hs_combiner_owner_diff(c, d, ct, &r), 0);
	hs_diff_free(d);
	ck_assert_uint_eq(r.from, 10);
	ck_assert_uint_eq(r.to, 11);
	char *rem = dump(r.diff->removed), *add = dump(r.diff->added);
	ck_assert_str_eq(rem,
		"example. 3600 SOA ns1.example. hostmaster.example. 10 7200 3600 1209600 300\n"
		"www.example. 300 A 192.0.2.1\n");
	ck_assert_str_eq(add,
		"example. 3600 SOA ns1.example. hostmaster.example. 11 7200 3600 1209600 300\n"
		"www.example. 300 A 192.0.2.2\n");
	free(rem);
	free(add);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);
	const char *now = SOA(11)
		"@ 3600 NS ns1\n@ 3600 NS ns3\n@ 3600 DNSKEY " KEYO "\n"
		"@ 3600 TYPE65282 \\# 41 010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200\n"
		"@ 3600 MX 10 mail\nmail 300 A 192.0.2.25\nwww 300 A 192.0.2.2\n"
		"WWW 300 AAAA 2001:db8::1\nsub 3600 NS ns.sub\nsub 3600 DNSKEY " KEYA "\n"
		"ns.sub 3600 A 192.0.2.99\n";
	check_definition(c, now, ct);

	/* NS contribution withdrawn: the owner's NS as changed by the IXFR. */
	hs_contrib_t *none = contrib(NULL);
	ck_assert_int_eq(hs_combiner_contrib(c, none, &r), 0);
	ck_assert_uint_eq(r.to, 12);
	check_diff(before, c, &r);
	hs_combine_result_clear(&r);
	check_definition(c, now, none);
	knot_rrset_t ns;
	ck_assert_int_eq(hs_zone_find(hs_combiner_zone(c), APEX, KNOT_RRTYPE_NS, &ns), 0);
	ck_assert_uint_eq(ns.rrs.count, 2);

	/* A delta that does not fit (removes what is not there): refused whole. */
	d = owner_diff(SOA(11) "www 300 A 192.0.2.77\n", SOA(12) "new 60 TXT y\n");
	ck_assert_int_eq(hs_combiner_owner_diff(c, d, none, &r), HS_ENOTFOUND);
	hs_diff_free(d);
	d = owner_diff(SOA(99) "new 60 TXT y\n", SOA(12));
	ck_assert_int_eq(hs_combiner_owner_diff(c, d, none, &r), HS_ENOTFOUND);
	hs_diff_free(d);
	/* ...or takes the SOA away. */
	d = owner_diff(SOA(11), "");
	ck_assert_int_eq(hs_combiner_owner_diff(c, d, none, &r), KNOT_ESOAINVAL);
	hs_diff_free(d);
	ck_assert(hs_zone_equal(before, hs_combiner_zone(c)));
	check_definition(c, now, none);

	hs_zone_free(before);
	hs_contrib_free(ct);
	hs_contrib_free(none);
	hs_combiner_free(c);
}
END_TEST

START_TEST(serial_wraps)
{
	hs_combine_state_t st = { .valid = true, .serial = 4294967295u, .owner_serial = 5 };
	hs_combiner_t *c = NULL;
	ck_assert_int_eq(hs_combiner_new(APEX, &st, &c), 0);
	hs_contrib_t *ct = contrib(NULL);
	hs_combine_result_t r;
	/* Content differs from the (made-up) saved digest: continue at serial + 1. */
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(5) OWNER_REST), ct, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_NEW);
	ck_assert_uint_eq(r.to, 0);
	ck_assert(hs_serial_gt(r.to, 4294967295u));
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(6) OWNER_REST), ct, &r), 0);
	ck_assert_uint_eq(r.from, 0);
	ck_assert_uint_eq(r.to, 1);
	hs_combine_result_clear(&r);
	hs_contrib_free(ct);
	hs_combiner_free(c);
}
END_TEST

START_TEST(restart)
{
	hs_contrib_t *ct = contrib("@ 600 CDS 2371 13 2 0011223344556677889900112233445566778899001122334455667788990011\n");
	hs_combiner_t *c = NULL;
	ck_assert_int_eq(hs_combiner_new(APEX, NULL, &c), 0);
	hs_combine_result_t r;
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(50) OWNER_REST), ct, &r), 0);
	hs_contrib_t *none = contrib(NULL);
	ck_assert_int_eq(hs_combiner_contrib(c, none, &r), 0);
	hs_combine_result_clear(&r);
	ck_assert_int_eq(hs_combiner_contrib(c, ct, &r), 0);
	hs_combine_result_clear(&r);
	hs_combine_state_t st;
	hs_combiner_state(c, &st);
	ck_assert(st.valid);
	ck_assert_uint_eq(st.serial, 52);
	char *served = dump(hs_combiner_zone(c));
	hs_combiner_free(c);

	/* Restart, same inputs: same serial, same zone, SAME. */
	ck_assert_int_eq(hs_combiner_new(APEX, &st, &c), 0);
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(50) OWNER_REST), ct, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_SAME);
	ck_assert_uint_eq(r.to, 52);
	char *again = dump(hs_combiner_zone(c));
	ck_assert_str_eq(again, served);
	free(again);
	hs_combiner_free(c);

	/* Restart, contributions lost or changed: NEW at serial + 1. */
	ck_assert_int_eq(hs_combiner_new(APEX, &st, &c), 0);
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(50) OWNER_REST), none, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_NEW);
	ck_assert_uint_eq(r.to, 53);
	hs_combiner_free(c);

	/* Restart, owner moved on: NEW at serial + 1. */
	ck_assert_int_eq(hs_combiner_new(APEX, &st, &c), 0);
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(SOA(51) OWNER_REST), ct, &r), 0);
	ck_assert_int_eq(r.what, HS_COMBINE_NEW);
	ck_assert_uint_eq(r.to, 53);
	hs_combiner_free(c);

	free(served);
	hs_contrib_free(none);
	hs_contrib_free(ct);
}
END_TEST

START_TEST(deterministic)
{
	/* The same inputs in another order and case give byte-identical zones and diffs. */
	const char *o1 = SOA(1) OWNER_REST;
	const char *o2 =
		"ns.sub 3600 A 192.0.2.99\n" "sub 3600 DNSKEY " KEYA "\n" "SUB 3600 NS ns.sub\n"
		"www 300 AAAA 2001:db8::1\n" "www 300 A 192.0.2.1\n" "mail 300 A 192.0.2.25\n"
		"@ 3600 MX 10 mail\n"
		"@ 3600 TYPE65282 \\# 41 010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200\n"
		"@ 3600 DNSKEY " KEYO "\n" "@ 3600 NS ns2\n" "@ 3600 NS ns1\n" SOA(1);
	hs_contrib_t *ct = contrib("@ 60 NS b.provider.\n@ 60 NS a.provider.\n");
	hs_combiner_t *a = NULL, *b = NULL;
	hs_combine_result_t ra, rb;
	ck_assert_int_eq(hs_combiner_new(APEX, NULL, &a), 0);
	ck_assert_int_eq(hs_combiner_new(APEX, NULL, &b), 0);
	ck_assert_int_eq(hs_combiner_owner_full(a, t_zone(o1), NULL, &ra), 0);
	ck_assert_int_eq(hs_combiner_owner_full(b, t_zone(o2), NULL, &rb), 0);
	ck_assert_int_eq(hs_combiner_contrib(a, ct, &ra), 0);
	ck_assert_int_eq(hs_combiner_contrib(b, ct, &rb), 0);
	char *za = t_dump(hs_combiner_zone(a), HS_ZONE_ITER_SOA_FIRST);
	char *zb = t_dump(hs_combiner_zone(b), HS_ZONE_ITER_SOA_FIRST);
	ck_assert_str_eq(za, zb);
	char *da = t_dump(ra.diff->added, 0), *db = t_dump(rb.diff->added, 0);
	ck_assert_str_eq(da, db);
	hs_combine_state_t sa, sb;
	hs_combiner_state(a, &sa);
	hs_combiner_state(b, &sb);
	ck_assert(memcmp(sa.digest, sb.digest, sizeof(sa.digest)) == 0);
	free(za);
	free(zb);
	free(da);
	free(db);
	hs_combine_result_clear(&ra);
	hs_combine_result_clear(&rb);
	hs_combiner_free(a);
	hs_combiner_free(b);
	hs_contrib_free(ct);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("combine");
	TCase *tc = tcase_create("combine");
	tcase_add_test(tc, definition);
	tcase_add_test(tc, serial_follows_inputs);
	tcase_add_test(tc, ixfr_in_equals_rebuild);
	tcase_add_test(tc, serial_wraps);
	tcase_add_test(tc, restart);
	tcase_add_test(tc, deterministic);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
