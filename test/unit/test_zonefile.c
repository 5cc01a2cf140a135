/* Unit tests for libhsync/zonefile.c: zone files through libzscanner, apex HSYNC. */
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"
#include "libhsync/zonefile.h"
#include "test/unit/unit.h"

/* Every RR as one text line "owner ttl TYPE rdata-generic". */
struct dump {
	char text[16384];
	int count;
	int stop_after;
};

static int dump_rr(const knot_rrset_t *rr, void *ctx)
{
	struct dump *d = ctx;
	knot_dname_txt_storage_t owner;
	char type[32], rdata[2048];
	ck_assert_ptr_nonnull(knot_dname_to_str(owner, rr->owner, sizeof(owner)));
	ck_assert_int_eq(hs_rr_type_to_text(rr->type, type, sizeof(type)), HS_EOK);
	ck_assert_uint_eq(rr->rrs.count, 1);
	ck_assert_int_eq(hs_rr_rdata_to_generic(rr->rrs.rdata->data, rr->rrs.rdata->len, rdata,
	                                        sizeof(rdata)), HS_EOK);
	size_t len = strlen(d->text);
	snprintf(d->text + len, sizeof(d->text) - len, "%s %u %s %s\n", owner, rr->ttl, type, rdata);
	d->count++;
	if (d->stop_after > 0 && d->count == d->stop_after) {
		return HS_EEXIST;
	}
	return 0;
}

START_TEST(read_generic_zone)
{
	struct dump d = { .count = 0 };
	char err[256];
	int rc = hs_zonefile_read(hs_testdata("rr-example.zone"), "example.org.", dump_rr, &d,
	                           err, sizeof(err));
	ck_assert_msg(rc == HS_EOK, "%s", err);
	ck_assert_int_eq(d.count, 9);
	ck_assert_ptr_nonnull(strstr(d.text, "example.org. 3600 HSYNC \\# 30 010201056167656e74"
	                                     "0a70726f76696465722d61076578616d706c650000\n"));
	ck_assert_ptr_nonnull(strstr(d.text, "www.example.org. 300 A \\# 4 c0000250\n"));
	ck_assert_ptr_nonnull(strstr(d.text, "www.example.org. 3600 AAAA"));
	ck_assert_ptr_nonnull(strstr(d.text, "_dsync.example.org. 3600 DSYNC \\# 25 003b0114b6"));
}
END_TEST

START_TEST(presentation_reads_the_same)
{
	struct dump a = { .count = 0 }, b = { .count = 0 };
	char err[256];
	ck_assert_int_eq(hs_zonefile_read(hs_testdata("rr-example.zone"), "example.org.", dump_rr,
	                                   &a, err, sizeof(err)), HS_EOK);
	int rc = hs_zonefile_read(hs_testdata("rr-example-presentation.zone"), "example.org.",
	                           dump_rr, &b, err, sizeof(err));
	ck_assert_msg(rc == HS_EOK, "%s", err);
	ck_assert_int_eq(a.count, b.count);
	ck_assert_str_eq(a.text, b.text);
}
END_TEST

START_TEST(apex_hsync)
{
	hs_hsync_t h[8];
	size_t n;
	knot_rrset_t *rr = NULL;
	char err[256];
	int rc = hs_zonefile_apex_hsync(hs_testdata("rr-example.zone"), "example.org.", &rr, h, 8, &n,
	                            err, sizeof(err));
	ck_assert_msg(rc == HS_EOK, "%s", err);
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_nonnull(rr);
	ck_assert_uint_eq(rr->rrs.count, 3);
	ck_assert_uint_eq(rr->ttl, 3600);
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EOK);
	knot_rrset_free(rr, NULL);
	/* canonical order: provider-a, provider-b, then the OFF one (state 2 sorts last) */
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_hsync_to_text(&h[0], t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "ON AGENT SIGN agent.provider-a.example. .");
	ck_assert_int_eq(hs_hsync_to_text(&h[1], t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "ON AGENT SIGN agent.provider-b.example. .");
	ck_assert_int_eq(hs_hsync_to_text(&h[2], t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "OFF AGENT NOSIGN agent.provider-c.example. agent.provider-b.example.");
	/* room for two only */
	ck_assert_int_eq(hs_zonefile_apex_hsync(hs_testdata("rr-example.zone"), "example.org.", NULL, h,
	                                    2, &n, err, sizeof(err)), HS_ESPACE);
	/* no HSYNC at the apex (one below it does not count) */
	rc = hs_zonefile_apex_hsync(hs_testdata("rr-nohsync.zone"), "example.org.", &rr, h, 8, &n, err,
	                        sizeof(err));
	ck_assert_msg(rc == HS_EOK, "%s", err);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(rr->rrs.count, 0);
	knot_rrset_free(rr, NULL);
}
END_TEST

static void expect_error(const char *file, int code, const char *msg)
{
	char err[512], want[8192];
	struct dump d = { .count = 0 };
	hs_hsync_t h[8];
	size_t n;
	knot_rrset_t *rr = NULL;
	int rc = hs_zonefile_apex_hsync(hs_testdata(file), "example.org.", &rr, h, 8, &n, err,
	                            sizeof(err));
	ck_assert_msg(rc == code, "%s: got %d (%s), want %d", file, rc, err, code);
	ck_assert_ptr_null(rr);
	snprintf(want, sizeof(want), "%s%s", hs_testdata(file), msg);
	ck_assert_str_eq(err, want);
	rc = hs_zonefile_read(hs_testdata(file), "example.org.", dump_rr, &d, err, sizeof(err));
	if (code != HS_EHSYNC_MIXED) {
		ck_assert_int_eq(rc, code);
	}
}

START_TEST(bad_zones)
{
	expect_error("rr-bad-state.zone", HS_EHSYNC_STATE,
	             ":7: bad HSYNC State (ON, OFF, or 128-255)");
	expect_error("rr-syntax.zone", HS_ESYNTAX, ":5: invalid IPv4 address");
	expect_error("rr-mixed.zone", HS_EHSYNC_MIXED,
	             ": example.org. HSYNC: HSYNC RRset mixes NSmgmt values");
	expect_error("rr-no-such-file.zone", HS_EIO, ": No such file or directory");
}
END_TEST

START_TEST(strings)
{
	struct dump d = { .count = 0 };
	char err[256];
	/* presentation form in memory, relative names, multi-line record, then an error on line 6 */
	static const char zone[] =
		"$TTL 60\n"
		"@ SOA ns hm 1 2 3 4 5\n"
		"@ HSYNC ( ON OWNER\n"
		"   NOSIGN prov up )\n"
		"x A 192.0.2.1\n"
		"@ HSYNC ON OWNER FOO a. .\n";
	int rc = hs_zonefile_read_string(zone, strlen(zone), "mem", "ex.", dump_rr, &d, err, sizeof(err));
	ck_assert_int_eq(rc, HS_EHSYNC_SIGN);
	ck_assert_str_eq(err, "mem:6: bad HSYNC Sign (SIGN, NOSIGN, or 128-255)");
	ck_assert_int_eq(d.count, 0);   /* presentation form is converted before any RR is given out */

	/* without the bad line: 3 RRs, x.ex. on line 5 */
	memset(&d, 0, sizeof(d));
	size_t good = strstr(zone, "@ HSYNC ON OWNER FOO") - zone;
	rc = hs_zonefile_read_string(zone, good, "mem", "ex.", dump_rr, &d, err, sizeof(err));
	ck_assert_msg(rc == HS_EOK, "%s", err);
	ck_assert_int_eq(d.count, 3);
	ck_assert_ptr_nonnull(strstr(d.text, "ex. 60 HSYNC \\# 19 010102047072" "6f760265780002757002657800\n"));

	/* the callback stops the reading with its own code */
	memset(&d, 0, sizeof(d));
	d.stop_after = 2;
	rc = hs_zonefile_read_string(zone, good, "mem", "ex.", dump_rr, &d, err, sizeof(err));
	ck_assert_int_eq(rc, HS_EEXIST);
	ck_assert_int_eq(d.count, 2);
	ck_assert_str_eq(err, "mem:3: already exists");

	/* line numbers stay right after a converted multi-line record */
	static const char zone2[] = "@ SOA ns hm 1 2 3 4 5\n@ HSYNC ( ON OWNER\n SIGN a. . )\nx A 1.2.3\n";
	memset(&d, 0, sizeof(d));
	rc = hs_zonefile_read_string(zone2, strlen(zone2), "mem", "ex.", dump_rr, &d, err, sizeof(err));
	ck_assert_int_eq(rc, HS_ESYNTAX);
	ck_assert_str_eq(err, "mem:4: invalid IPv4 address");

	/* empty text, no callback */
	ck_assert_int_eq(hs_zonefile_read_string("", 0, NULL, "ex.", NULL, NULL, NULL, 0), HS_EOK);
	ck_assert_int_eq(hs_zonefile_read_string("(", 1, "m", "ex.", NULL, NULL, err, sizeof(err)), HS_ESYNTAX);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("zonefile");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, read_generic_zone);
	tcase_add_test(tc, presentation_reads_the_same);
	tcase_add_test(tc, apex_hsync);
	tcase_add_test(tc, bad_zones);
	tcase_add_test(tc, strings);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
