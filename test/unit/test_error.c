/* Unit tests for libhsync/error.c */
#include <string.h>
#include <libknot/error.h>
#include <libdnssec/error.h>

#include "libhsync/error.h"
#include "test/unit/unit.h"

START_TEST(every_code_has_text)
{
	for (int c = HS_ERROR_MIN; c < HS_ERROR_MAX; c++) {
		const char *t = hs_strerror(c);
		ck_assert_ptr_nonnull(t);
		ck_assert_msg(strcmp(t, "unknown hsync error") != 0, "code %d has no text", c);
	}
}
END_TEST

START_TEST(foreign_codes_pass_through)
{
	ck_assert_str_eq(hs_strerror(KNOT_EMALF), knot_strerror(KNOT_EMALF));
	ck_assert_str_eq(hs_strerror(DNSSEC_INVALID_KEY_ID), dnssec_strerror(DNSSEC_INVALID_KEY_ID));
	ck_assert_str_eq(hs_strerror(HS_EOK), "OK");
	ck_assert_str_eq(hs_strerror(HS_ETRUNC), "data ends too early (truncated)");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("strerror");
	tcase_add_test(tc, every_code_has_text);
	tcase_add_test(tc, foreign_codes_pass_through);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
