/*
 * test/unit/test_statefile.c -- common/statefile: atomic state files.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/statefile.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

static char dir[] = "/tmp/hs-statefile-XXXXXX";
static char path[200], tmp[300];

static void setup(void)
{
	strcpy(dir, "/tmp/hs-statefile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	umask(022);
}

static void teardown(void)
{
	chmod(dir, 0700);
	unlink(path);
	rmdir(path);
	rmdir(tmp);
	unlink(tmp);
	char dot[320];
	snprintf(dot, sizeof(dot), "%s/.state.json.tmp", dir);
	unlink(dot);
	rmdir(dir);
}

/* The whole file at p is exactly want. */
static void assert_file(const char *p, const char *want)
{
	uint8_t *d = NULL;
	size_t len = 0;
	ck_assert_int_eq(hs_state_read(p, &d, &len), HS_EOK);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(d, want, len);
	ck_assert_int_eq(d[len], 0);   /* NUL after the data */
	free(d);
}

static mode_t file_mode(const char *p)
{
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(write_read_back)
{
	ck_assert_int_eq(hs_state_write(path, "one", 3), HS_EOK);
	assert_file(path, "one");
	ck_assert_int_eq(hs_state_write(path, "second\0x", 8), HS_EOK);
	uint8_t *d = NULL;
	size_t len = 0;
	ck_assert_int_eq(hs_state_read(path, &d, &len), HS_EOK);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(d, "second\0x", 8);
	free(d);
	ck_assert_int_ne(access(tmp, F_OK), 0);      /* no temporary left behind */
	ck_assert_uint_eq(file_mode(path), 0600);    /* the default: state may be private */
	/* An empty write gives an empty file. */
	ck_assert_int_eq(hs_state_write(path, NULL, 0), HS_EOK);
	assert_file(path, "");
}
END_TEST

START_TEST(bad_arguments_and_missing)
{
	uint8_t *d = NULL;
	size_t len = 0;
	ck_assert_int_eq(hs_state_write(NULL, "x", 1), HS_EINVAL);
	ck_assert_int_eq(hs_state_write(path, NULL, 1), HS_EINVAL);
	ck_assert_int_eq(hs_state_read(NULL, &d, &len), HS_EINVAL);
	ck_assert_int_eq(hs_state_read(path, &d, &len), HS_ENOTFOUND);
	ck_assert_int_eq(hs_state_read(dir, &d, &len), HS_EIO);   /* not a regular file */
	ck_assert_ptr_null(d);
	ck_assert_int_eq(hs_state_write("/nonexistent-hsync/dir/f", "x", 1), HS_EIO);
	ck_assert_int_eq(access("/nonexistent-hsync/dir/f.tmp", F_OK), -1);
}
END_TEST

START_TEST(failed_write_keeps_old_file)
{
	ck_assert_int_eq(hs_state_write(path, "old", 3), HS_EOK);
	char why[256] = "";
	hs_state_opts_t o = { .why = why, .whylen = sizeof(why) };

	/* The temporary cannot be created (something else is in its place). */
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(hs_state_writeat(AT_FDCWD, path, "new", 3, &o), HS_EIO);
	char want[400];
	snprintf(want, sizeof(want), "open %s: %s", tmp, strerror(EISDIR));
	ck_assert_str_eq(why, want);
	assert_file(path, "old");
	ck_assert_int_eq(rmdir(tmp), 0);

	/* A read-only directory (root writes anyway, so only checked for others). */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(dir, 0500), 0);
		ck_assert_int_eq(hs_state_writeat(AT_FDCWD, path, "new", 3, &o), HS_EIO);
		snprintf(want, sizeof(want), "open %s: %s", tmp, strerror(EACCES));
		ck_assert_str_eq(why, want);
		ck_assert_int_eq(chmod(dir, 0700), 0);
		assert_file(path, "old");
	}
	ck_assert_int_ne(access(tmp, F_OK), 0);
}
END_TEST

START_TEST(failed_rename_removes_temporary)
{
	/* path is a non-empty directory: the rename fails, the temporary goes. */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	char inner[400];
	snprintf(inner, sizeof(inner), "%s/x", path);
	ck_assert_int_eq(hs_state_write(inner, "x", 1), HS_EOK);
	char why[256] = "";
	hs_state_opts_t o = { .why = why, .whylen = sizeof(why) };
	ck_assert_int_eq(hs_state_writeat(AT_FDCWD, path, "new", 3, &o), HS_EIO);
	ck_assert_int_eq(strncmp(why, "rename ", 7), 0);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	ck_assert_int_eq(unlink(inner), 0);
}
END_TEST

START_TEST(options)
{
	/* Mode of the caller's choice, umask applies. */
	hs_state_opts_t o = { .mode = 0644 };
	ck_assert_int_eq(hs_state_writeat(AT_FDCWD, path, "a", 1, &o), HS_EOK);
	ck_assert_uint_eq(file_mode(path), 0644);
	ck_assert_int_eq(unlink(path), 0);

	/* Relative to a directory descriptor, temporary as a dot file, no fsync. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	o = (hs_state_opts_t){ .mode = 0640, .flags = HS_STATE_DOTTMP | HS_STATE_NOSYNC };
	ck_assert_int_eq(hs_state_writeat(dfd, "state.json", "rel", 3, &o), HS_EOK);
	assert_file(path, "rel");
	ck_assert_uint_eq(file_mode(path), 0640);
	/* the dot temporary is what a failure would leave: force one and look */
	char dot[320];
	snprintf(dot, sizeof(dot), "%s/.state.json.tmp", dir);
	ck_assert_int_eq(mkdir(dot, 0700), 0);
	char why[256] = "";
	o.why = why;
	o.whylen = sizeof(why);
	ck_assert_int_eq(hs_state_writeat(dfd, "state.json", "new", 3, &o), HS_EIO);
	ck_assert_str_eq(why, "open .state.json.tmp: Is a directory");
	ck_assert_int_eq(rmdir(dot), 0);
	assert_file(path, "rel");
	close(dfd);

	/* DOTTMP with a path: the dot goes before the last component. */
	o = (hs_state_opts_t){ .flags = HS_STATE_DOTTMP };
	ck_assert_int_eq(mkdir(dot, 0700), 0);
	ck_assert_int_eq(hs_state_writeat(AT_FDCWD, path, "new", 3, &o), HS_EIO);
	ck_assert_int_eq(rmdir(dot), 0);
	ck_assert_int_eq(hs_state_writeat(AT_FDCWD, path, "new", 3, &o), HS_EOK);
	assert_file(path, "new");
}
END_TEST

START_TEST(json)
{
	json_t *j = json_pack("{s:i, s:s}", "b", 1, "a", "x");
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(hs_state_write_json(path, j, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL),
	                 HS_EOK);
	assert_file(path, "{\"b\":1,\"a\":\"x\"}\n");
	ck_assert_uint_eq(file_mode(path), 0600);
	hs_state_opts_t o = { .mode = 0644 };
	ck_assert_int_eq(hs_state_write_json(path, j, JSON_INDENT(1) | JSON_SORT_KEYS, &o), HS_EOK);
	assert_file(path, "{\n \"a\": \"x\",\n \"b\": 1\n}\n");
	ck_assert_uint_eq(file_mode(path), 0644);   /* a fresh temporary each time: its mode wins */
	ck_assert_int_eq(hs_state_write_json(NULL, j, 0, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_state_write_json(path, NULL, 0, NULL), HS_EINVAL);
	json_decref(j);
	ck_assert_int_ne(access(tmp, F_OK), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("statefile");
	TCase *tc = tcase_create("statefile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_read_back);
	tcase_add_test(tc, bad_arguments_and_missing);
	tcase_add_test(tc, failed_write_keeps_old_file);
	tcase_add_test(tc, failed_rename_removes_temporary);
	tcase_add_test(tc, options);
	tcase_add_test(tc, json);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
