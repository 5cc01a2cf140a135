/* Unit tests for common/confkeys.c: tsig-key-file statements into key rings. */
#include <string.h>

#include "common/confkeys.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

static hs_conf_t *conf_of(const char *fmt, const char *a, const char *b)
{
	char text[9000], err[256] = "";
	snprintf(text, sizeof(text), fmt, a, b);
	hs_conf_t *c = NULL;
	ck_assert_msg(hs_conf_read_string(text, "t.conf", &c, err, sizeof(err)) == HS_EOK, "%s", err);
	return c;
}

static void free_rings(hs_tsig_keys_t *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hs_tsig_keys_free(&r[i]);
	}
	free(r);
}

START_TEST(two_files_in_order)
{
	char *a = strdup(hs_testdata("combinerd-keys.key"));
	/* the same file twice: two rings, each with every key of it */
	hs_conf_t *c = conf_of("tsig-key-file \"%s\"\nlog-level info\ntsig-key-file \"%s\"\n", a, a);
	hs_tsig_keys_t *r = NULL;
	size_t n = 9;
	char err[256] = "";
	ck_assert_int_eq(hs_conf_tsig_files(c, &r, &n, err, sizeof(err)), HS_EOK);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_nonnull(hs_tsig_find_str(&r[0], "xfr"));
	ck_assert_ptr_nonnull(hs_tsig_find_str(&r[1], "agent"));
	ck_assert_ptr_null(hs_tsig_find_str(&r[0], "nosuch"));
	free_rings(r, n);
	hs_conf_free(c);
	free(a);
}
END_TEST

START_TEST(none)
{
	hs_conf_t *c = conf_of("log-level %s%s\n", "info", "");
	hs_tsig_keys_t *r = NULL;
	size_t n = 9;
	ck_assert_int_eq(hs_conf_tsig_files(c, &r, &n, NULL, 0), HS_EOK);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(n, 0);
	free(r);
	hs_conf_free(c);
	ck_assert_int_eq(hs_conf_tsig_files(NULL, &r, &n, NULL, 0), HS_EINVAL);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(bad_file_named_with_its_line)
{
	char *a = strdup(hs_testdata("combinerd-keys.key"));
	char *bad = strdup(hs_testdata("misc-tsig-bad-base64.key"));
	char want[4200];
	hs_conf_t *c = conf_of("tsig-key-file \"%s\"\ntsig-key-file \"%s\"\n", a, bad);
	hs_tsig_keys_t *r = (hs_tsig_keys_t *)1;
	size_t n = 9;
	char err[4400] = "";
	int ret = hs_conf_tsig_files(c, &r, &n, err, sizeof(err));
	ck_assert_int_eq(ret, HS_ECONF);
	ck_assert_ptr_null(r);   /* the first file's ring is freed again (ASan would tell) */
	ck_assert_uint_eq(n, 0);
	snprintf(want, sizeof(want), "t.conf:2: tsig-key-file: %s:", bad);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	hs_conf_free(c);

	c = conf_of("tsig-key-file %s%s\n", "/nonexistent/keys", "");
	ck_assert_int_eq(hs_conf_tsig_files(c, &r, &n, err, sizeof(err)), HS_ECONF);
	ck_assert_msg(strncmp(err, "t.conf:1: tsig-key-file: /nonexistent/keys: ", 44) == 0, "%s", err);
	hs_conf_free(c);
	free(a);
	free(bad);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("confkeys");
	TCase *tc = tcase_create("confkeys");
	tcase_add_test(tc, two_files_in_order);
	tcase_add_test(tc, none);
	tcase_add_test(tc, bad_file_named_with_its_line);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
