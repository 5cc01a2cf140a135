/*
 * test/unit/unit.h -- what every Check program shares.
 *
 * A test file defines `static Suite *suite(void)` and ends with HS_TEST_MAIN().
 * hs_testdata() gives a path under test/data (HSYNC_TESTDATA, set by make).
 */
#ifndef HS_TEST_UNIT_H
#define HS_TEST_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *hs_testdata(const char *name)
{
	static char path[4096];
	const char *dir = getenv("HSYNC_TESTDATA");
	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "test/data", name);
	return path;
}

#define HS_TEST_MAIN()                                             \
	int main(void)                                             \
	{                                                          \
		SRunner *sr = srunner_create(suite());             \
		srunner_run_all(sr, CK_NORMAL);                    \
		int failed = srunner_ntests_failed(sr);            \
		srunner_free(sr);                                  \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;  \
	}

#endif
