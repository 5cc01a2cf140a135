/* Unit tests for libhsync/why.c. */
#include <string.h>

#include "libhsync/error.h"
#include "libhsync/why.h"
#include "test/unit/unit.h"

START_TEST(fills_and_returns)
{
	char why[16] = "old";
	ck_assert_int_eq(hs_why(why, sizeof(why), HS_ESYNTAX, "%s:%d: %s", "f", 7, "bad"),
	                 HS_ESYNTAX);
	ck_assert_str_eq(why, "f:7: bad");
	/* cut to the buffer, always terminated */
	ck_assert_int_eq(hs_why(why, 5, HS_EIO, "%s", "abcdefgh"), HS_EIO);
	ck_assert_str_eq(why, "abcd");
	/* nowhere to write: only the code */
	ck_assert_int_eq(hs_why(NULL, 10, HS_ENOMEM, "x"), HS_ENOMEM);
	strcpy(why, "kept");
	ck_assert_int_eq(hs_why(why, 0, HS_EOK, "x"), HS_EOK);
	ck_assert_str_eq(why, "kept");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("why");
	TCase *tc = tcase_create("why");
	tcase_add_test(tc, fills_and_returns);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
