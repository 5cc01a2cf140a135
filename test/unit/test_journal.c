/* Unit tests for combinerd/journal.c (IXFR history, serial state, state files) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "combinerd/combine.h"
#include "combinerd/journal.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"
#include "test/unit/comb_test.h"

#define APEX ((const knot_dname_t *)"\x07""example")
#define SOA(serial) "@ 3600 SOA ns1 hostmaster " #serial " 7200 3600 1209600 300\n"

static hs_diff_t *mkdiff(const char *removed, const char *added)
{
	hs_diff_t *d = NULL;
	ck_assert_int_eq(hs_diff_new(APEX, KNOT_CLASS_IN, &d), 0);
	ck_assert_int_ge(t_load(d->removed, removed), 0);
	ck_assert_int_ge(t_load(d->added, added), 0);
	return d;
}

static char *tmp_path(const char *name)
{
	char *p = malloc(256);
	snprintf(p, 256, "/tmp/hs-journal-%d-%s", (int)getpid(), name);
	unlink(p);
	return p;
}

START_TEST(chain_and_find)
{
	hs_journal_t *j = NULL;
	ck_assert_int_eq(hs_journal_new(APEX, 10, 1000, &j), 0);
	size_t first, count;
	/* Empty journal at 0: up to date at 0, history gone for anything older. */
	ck_assert_int_eq(hs_journal_find(j, 0, &first, &count), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(hs_journal_add(j, 4294967294u, 4294967295u,
	                                mkdiff(SOA(4294967294), SOA(4294967295))), 0);
	ck_assert_int_eq(hs_journal_add(j, 4294967295u, 0, mkdiff(SOA(4294967295), SOA(0))), 0);
	ck_assert_int_eq(hs_journal_add(j, 0, 1, mkdiff(SOA(0) "a 60 TXT a\n", SOA(1))), 0);
	/* Not chained: refused. */
	hs_diff_t *stray = mkdiff(SOA(7), SOA(8));
	ck_assert_int_eq(hs_journal_add(j, 7, 8, stray), HS_EINVAL);
	hs_diff_free(stray);
	ck_assert_uint_eq(hs_journal_serial(j), 1);
	ck_assert_uint_eq(hs_journal_count(j), 3);
	ck_assert_uint_eq(hs_journal_rrs(j), 7);

	ck_assert_int_eq(hs_journal_find(j, 4294967294u, &first, &count), 0);
	ck_assert_uint_eq(first, 0);
	ck_assert_uint_eq(count, 3);
	ck_assert_int_eq(hs_journal_find(j, 0, &first, &count), 0);
	ck_assert_uint_eq(first, 2);
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(hs_journal_entry(j, first)->from, 0);
	ck_assert_uint_eq(hs_journal_entry(j, first)->to, 1);
	ck_assert_ptr_null(hs_journal_entry(j, 3));
	/* Up to date, or newer than us across the wrap: SOA only. */
	ck_assert_int_eq(hs_journal_find(j, 1, &first, &count), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(hs_journal_find(j, 5, &first, &count), 0);
	ck_assert_uint_eq(count, 0);
	/* Older than the history: AXFR. */
	ck_assert_int_eq(hs_journal_find(j, 4294967000u, &first, &count), HS_ENOTFOUND);
	hs_journal_reset(j, 9);
	ck_assert_uint_eq(hs_journal_count(j), 0);
	ck_assert_uint_eq(hs_journal_rrs(j), 0);
	ck_assert_int_eq(hs_journal_find(j, 0, &first, &count), HS_ENOTFOUND);
	hs_journal_free(j);
}
END_TEST

START_TEST(bounds)
{
	hs_journal_t *j = NULL;
	size_t first, count;
	ck_assert_int_eq(hs_journal_new(APEX, 2, 5, &j), 0);
	ck_assert_int_eq(hs_journal_add(j, 1, 2, mkdiff(SOA(1), SOA(2))), 0);
	ck_assert_int_eq(hs_journal_add(j, 2, 3, mkdiff(SOA(2), SOA(3))), 0);
	ck_assert_int_eq(hs_journal_add(j, 3, 4, mkdiff(SOA(3), SOA(4))), 0);
	/* At most two entries. */
	ck_assert_uint_eq(hs_journal_count(j), 2);
	ck_assert_int_eq(hs_journal_find(j, 1, &first, &count), HS_ENOTFOUND);
	ck_assert_int_eq(hs_journal_find(j, 2, &first, &count), 0);
	ck_assert_uint_eq(count, 2);
	/* At most five RRs: a 4-RR entry pushes out both 2-RR ones. */
	ck_assert_int_eq(hs_journal_add(j, 4, 5, mkdiff(SOA(4) "a 1 TXT a\n", SOA(5) "b 1 TXT b\n")), 0);
	ck_assert_uint_eq(hs_journal_count(j), 1);
	ck_assert_uint_eq(hs_journal_rrs(j), 4);
	/* An entry larger than the bound alone: no history at all, serial kept. */
	ck_assert_int_eq(hs_journal_add(j, 5, 6, mkdiff(SOA(5) "a 1 TXT a\nc 1 TXT c\n",
	                                                SOA(6) "b 1 TXT b\nd 1 TXT d\n")), 0);
	ck_assert_uint_eq(hs_journal_count(j), 0);
	ck_assert_uint_eq(hs_journal_serial(j), 6);
	ck_assert_int_eq(hs_journal_find(j, 5, &first, &count), HS_ENOTFOUND);
	ck_assert_int_eq(hs_journal_find(j, 6, &first, &count), 0);
	ck_assert_uint_eq(count, 0);
	hs_journal_free(j);
}
END_TEST

/* A client holding the combined zone at an old serial, catching up by IXFR. */
START_TEST(ixfr_catch_up_with_combiner)
{
	const char *rest = "@ 3600 NS ns1\nwww 300 A 192.0.2.1\n";
	hs_combiner_t *c = NULL;
	hs_journal_t *j = NULL;
	hs_contrib_t *ct = NULL;
	ck_assert_int_eq(hs_combiner_new(APEX, NULL, &c), 0);
	ck_assert_int_eq(hs_journal_new(APEX, 10, 1000, &j), 0);
	ck_assert_int_eq(hs_contrib_new(APEX, &ct), 0);
	hs_combine_result_t r;
	char owner[512];
	snprintf(owner, sizeof(owner), "%s%s", SOA(10), rest);
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(owner), ct, &r), 0);
	ck_assert_int_eq(hs_journal_record(j, &r), 0);
	ck_assert_uint_eq(hs_journal_serial(j), 10);
	hs_zone_t *client = NULL;
	ck_assert_int_eq(hs_zone_copy(hs_combiner_zone(c), &client), 0);
	/* Three changes: owner AXFR, contribution, owner IXFR. */
	snprintf(owner, sizeof(owner), "%s%s%s", SOA(11), rest, "new 60 TXT n\n");
	ck_assert_int_eq(hs_combiner_owner_full(c, t_zone(owner), ct, &r), 0);
	ck_assert_int_eq(hs_journal_record(j, &r), 0);
	ck_assert_ptr_null(r.diff);
	hs_zone_t *kz = t_zone("@ 60 DNSKEY 256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==\n");
	knot_rrset_t key;
	ck_assert_int_eq(hs_zone_find(kz, APEX, KNOT_RRTYPE_DNSKEY, &key), 0);
	ck_assert_int_eq(hs_contrib_set(ct, &key, "agent."), 0);
	ck_assert_int_eq(hs_combiner_contrib(c, ct, &r), 0);
	ck_assert_int_eq(hs_journal_record(j, &r), 0);
	hs_diff_t *od = mkdiff(SOA(11) "www 300 A 192.0.2.1\n", SOA(12) "www 300 A 192.0.2.2\n");
	ck_assert_int_eq(hs_combiner_owner_diff(c, od, ct, &r), 0);
	hs_diff_free(od);
	ck_assert_int_eq(hs_journal_record(j, &r), 0);
	ck_assert_uint_eq(hs_journal_serial(j), 13);
	ck_assert_uint_eq(hs_journal_count(j), 3);

	size_t first, count;
	ck_assert_int_eq(hs_journal_find(j, 10, &first, &count), 0);
	ck_assert_uint_eq(count, 3);
	for (size_t i = first; i < first + count; i++) {
		const hs_journal_entry_t *e = hs_journal_entry(j, i);
		uint32_t s = 0;
		hs_zone_soa_serial(client, &s);
		ck_assert_uint_eq(s, e->from);
		ck_assert_int_eq(hs_zone_apply(client, e->diff), 0);
	}
	ck_assert(hs_zone_equal(client, hs_combiner_zone(c)));

	/* A NEW result (e.g. restart with other content) starts the history again. */
	hs_combine_result_t n = { .what = HS_COMBINE_NEW, .from = 13, .to = 14 };
	ck_assert_int_eq(hs_journal_record(j, &n), 0);
	ck_assert_uint_eq(hs_journal_count(j), 0);
	ck_assert_uint_eq(hs_journal_serial(j), 14);

	hs_zone_free(kz);
	hs_zone_free(client);
	hs_contrib_free(ct);
	hs_journal_free(j);
	hs_combiner_free(c);
}
END_TEST

static hs_journal_t *sample(hs_combine_state_t *st)
{
	hs_journal_t *j = NULL;
	ck_assert_int_eq(hs_journal_new(APEX, 10, 1000, &j), 0);
	ck_assert_int_eq(hs_journal_add(j, 4294967295u, 0,
	                                mkdiff(SOA(4294967295) "WWW 300 A 192.0.2.1\n",
	                                       SOA(0) "www 300 A 192.0.2.2\n")), 0);
	ck_assert_int_eq(hs_journal_add(j, 0, 1, mkdiff(SOA(0), SOA(1) "@ 60 DNSKEY 256 3 13 AQID\n")), 0);
	memset(st, 0, sizeof(*st));
	st->valid = true;
	st->serial = 1;
	st->owner_serial = 77;
	for (int i = 0; i < HS_COMBINE_DIGEST_LEN; i++) {
		st->digest[i] = (uint8_t)(i * 7);
	}
	return j;
}

START_TEST(persist_round_trip)
{
	hs_combine_state_t st, back_st;
	hs_journal_t *j = sample(&st), *back = NULL;
	char *p1 = tmp_path("j1"), *p2 = tmp_path("j2");
	char err[256];
	ck_assert_int_eq(hs_journal_save(j, &st, p1), 0);
	ck_assert_int_eq(hs_journal_load(APEX, p1, 10, 1000, &back, &back_st, err, sizeof(err)), 0);
	ck_assert(back_st.valid);
	ck_assert_uint_eq(back_st.serial, 1);
	ck_assert_uint_eq(back_st.owner_serial, 77);
	ck_assert(memcmp(back_st.digest, st.digest, sizeof(st.digest)) == 0);
	ck_assert_uint_eq(hs_journal_serial(back), 1);
	ck_assert_uint_eq(hs_journal_count(back), 2);
	for (size_t i = 0; i < 2; i++) {
		const hs_journal_entry_t *a = hs_journal_entry(j, i), *b = hs_journal_entry(back, i);
		ck_assert_uint_eq(a->from, b->from);
		ck_assert_uint_eq(a->to, b->to);
		char *x = t_dump(a->diff->removed, 0), *y = t_dump(b->diff->removed, 0);
		ck_assert_str_eq(x, y);
		free(x);
		free(y);
		x = t_dump(a->diff->added, 0);
		y = t_dump(b->diff->added, 0);
		ck_assert_str_eq(x, y);
		free(x);
		free(y);
	}
	/* Owner case survives. */
	char *x = t_dump(hs_journal_entry(back, 0)->diff->removed, 0);
	ck_assert_ptr_nonnull(strstr(x, "WWW.example. 300 A 192.0.2.1"));
	free(x);
	/* Saving what was loaded gives the same bytes. */
	ck_assert_int_eq(hs_journal_save(back, &back_st, p2), 0);
	uint8_t *a = NULL, *b = NULL;
	size_t al, bl;
	ck_assert_int_eq(hs_state_read(p1, &a, &al), 0);
	ck_assert_int_eq(hs_state_read(p2, &b, &bl), 0);
	ck_assert_uint_eq(al, bl);
	ck_assert(memcmp(a, b, al) == 0);
	ck_assert(memcmp(a, "HSYNCJ1\n\x01\0\0\0\0\0\0\x01\0\0\0\x4d", 20) == 0);
	free(b);
	/* The file format is pinned by a committed file. */
	ck_assert_int_eq(hs_state_read(hs_testdata("comb-journal-v1.bin"), &b, &bl), 0);
	ck_assert_uint_eq(al, bl);
	ck_assert(memcmp(a, b, al) == 0);
	free(a);
	free(b);
	hs_journal_free(back);
	/* Tighter bounds on load drop the oldest. */
	ck_assert_int_eq(hs_journal_load(APEX, p1, 1, 1000, &back, &back_st, err, sizeof(err)), 0);
	ck_assert_uint_eq(hs_journal_count(back), 1);
	ck_assert_uint_eq(hs_journal_entry(back, 0)->from, 0);
	hs_journal_free(back);
	/* Missing file: first start. */
	unlink(p2);
	ck_assert_int_eq(hs_journal_load(APEX, p2, 10, 1000, &back, &back_st, err, sizeof(err)), 0);
	ck_assert(!back_st.valid);
	ck_assert_uint_eq(hs_journal_count(back), 0);
	hs_journal_free(back);
	hs_journal_free(j);
	unlink(p1);
	free(p1);
	free(p2);
}
END_TEST

/* Write bytes with a correct checksum appended. */
static void write_summed(const char *path, const uint8_t *d, size_t len)
{
	uint8_t *b = malloc(len + 32);
	memcpy(b, d, len);
	crypto_generichash(b + len, 32, d, len, NULL, 0);
	ck_assert_int_eq(hs_state_write(path, b, len + 32), 0);
	free(b);
}

static void expect_corrupt(const char *path, const char *reason)
{
	hs_journal_t *j = (hs_journal_t *)1;
	hs_combine_state_t st;
	char err[256] = "";
	int ret = hs_journal_load(APEX, path, 10, 1000, &j, &st, err, sizeof(err));
	ck_assert_msg(ret == HS_ESYNTAX, "%s: %d", reason, ret);
	ck_assert_msg(strstr(err, reason) != NULL, "want %s, got %s", reason, err);
	ck_assert_ptr_eq(j, (hs_journal_t *)1);
}

START_TEST(corrupt_files)
{
	hs_combine_state_t st;
	hs_journal_t *j = sample(&st);
	char *good = tmp_path("good"), *bad = tmp_path("bad");
	ck_assert_int_eq(hs_journal_save(j, &st, good), 0);
	uint8_t *d = NULL;
	size_t len;
	ck_assert_int_eq(hs_state_read(good, &d, &len), 0);

	/* Truncated, one byte flipped, bad magic, empty. */
	ck_assert_int_eq(hs_state_write(bad, d, len - 1), 0);
	expect_corrupt(bad, "checksum mismatch");
	d[60] ^= 1;
	ck_assert_int_eq(hs_state_write(bad, d, len), 0);
	expect_corrupt(bad, "checksum mismatch");
	d[60] ^= 1;
	d[0] = 'X';
	ck_assert_int_eq(hs_state_write(bad, d, len), 0);
	expect_corrupt(bad, "bad size or magic");
	d[0] = 'H';
	ck_assert_int_eq(hs_state_write(bad, d, 0), 0);
	expect_corrupt(bad, "bad size or magic");

	/* Checksums right, content wrong. */
	size_t body = len - 32;
	write_summed(bad, d, body - 3);
	expect_corrupt(bad, "");
	uint8_t *e = malloc(body + 8);
	memcpy(e, d, body);
	memcpy(e + body, "\0\0\0\0\0\0\0\0", 8);
	write_summed(bad, e, body + 8);
	expect_corrupt(bad, "bytes left after the last entry");
	memcpy(e, d, body);
	e[8 + 4 + 8 + 16 + 4 + 3] = 3;   /* three entries, two there */
	write_summed(bad, e, body);
	expect_corrupt(bad, "entry header ends early");
	/* Journal serial not the state's. */
	memcpy(e, d, body);
	e[8 + 4 + 8 + 16 + 3] ^= 1;
	write_summed(bad, e, body);
	expect_corrupt(bad, "differs from the state's serial");
	/* Entry 0 ends elsewhere than entry 1 starts: no chain. */
	memcpy(e, d, body);
	size_t off0 = 8 + 4 + 8 + 16 + 8;
	e[off0 + 4 + 3] ^= 0x10;   /* entry 0: to 0 -> 16 */
	write_summed(bad, e, body);
	expect_corrupt(bad, "entries do not chain");
	free(e);
	/* A state file that is a directory or unreadable: HS_EIO. */
	hs_journal_t *x = NULL;
	char err[256];
	ck_assert_int_eq(hs_journal_load(APEX, "/tmp", 10, 1000, &x, &st, err, sizeof(err)), HS_EIO);

	free(d);
	hs_journal_free(j);
	unlink(good);
	unlink(bad);
	free(good);
	free(bad);
}
END_TEST

START_TEST(atomic_write)
{
	char *p = tmp_path("atomic");
	ck_assert_int_eq(hs_state_write(p, "one", 3), 0);
	ck_assert_int_eq(hs_state_write(p, "second", 6), 0);
	uint8_t *d = NULL;
	size_t len = 0;
	ck_assert_int_eq(hs_state_read(p, &d, &len), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq((char *)d, "second");
	free(d);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	/* A directory that is not there: HS_EIO, nothing left behind. */
	ck_assert_int_eq(hs_state_write("/nonexistent-hsync/dir/f", "x", 1), HS_EIO);
	ck_assert_int_eq(hs_state_read("/nonexistent-hsync/dir/f", &d, &len), HS_ENOTFOUND);
	unlink(p);
	free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");
	tcase_add_test(tc, chain_and_find);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, ixfr_catch_up_with_combiner);
	tcase_add_test(tc, persist_round_trip);
	tcase_add_test(tc, corrupt_files);
	tcase_add_test(tc, atomic_write);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
