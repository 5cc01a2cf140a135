/* Unit tests for common/log.c */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

static char got[8][HS_LOG_LINE_MAX + 1];
static int got_level[8];
static int ngot;

static void capture(int level, const char *line, void *arg)
{
	(void)arg;
	if (ngot < 8) {
		snprintf(got[ngot], sizeof(got[ngot]), "%s", line);
		got_level[ngot] = level;
	}
	ngot++;
}

static void setup(void)
{
	ngot = 0;
	hs_log_init("/usr/sbin/combinerd");
	hs_log_set_level(HS_LOG_DEFAULT);
	hs_log_set_hook(capture, NULL);
}

static void teardown(void)
{
	hs_log_set_hook(NULL, NULL);
}

START_TEST(line_format)
{
	hs_log(HS_LOG_NOTICE, "example.com.", "127.0.0.1@5301", "DNSKEY %u added, from %s", 12345u, "agent.providerB.");
	hs_log_error("cannot bind %s", "::1@53");
	hs_log(HS_LOG_WARNING, NULL, "192.0.2.1@53", "refused");
	hs_log(HS_LOG_WARNING, "example.com.", NULL, "no HSYNC");
	ck_assert_int_eq(ngot, 4);
	ck_assert_str_eq(got[0], "combinerd: notice: example.com.: 127.0.0.1@5301: DNSKEY 12345 added, from agent.providerB.");
	ck_assert_int_eq(got_level[0], HS_LOG_NOTICE);
	ck_assert_str_eq(got[1], "combinerd: error: cannot bind ::1@53");
	ck_assert_str_eq(got[2], "combinerd: warning: 192.0.2.1@53: refused");
	ck_assert_str_eq(got[3], "combinerd: warning: example.com.: no HSYNC");
}
END_TEST

START_TEST(codes_appended)
{
	hs_log_code(HS_LOG_ERROR, HS_ECONF, "z.", NULL, "reload failed");
	hs_log_warning_code(-ECONNREFUSED, "transfer from %s", "127.0.0.1@53");
	hs_log_error_code(HS_ETRUNC, "bad message");
	ck_assert_int_eq(ngot, 3);
	ck_assert_str_eq(got[0], "combinerd: error: z.: reload failed: configuration error");
	ck_assert_str_eq(got[1], "combinerd: warning: transfer from 127.0.0.1@53: connection refused");
	ck_assert_str_eq(got[2], "combinerd: error: bad message: data ends too early (truncated)");
}
END_TEST

START_TEST(levels_filter)
{
	hs_log_debug("hidden");
	hs_log_info("hidden");
	ck_assert_int_eq(ngot, 0);
	hs_log_more();                  /* -v */
	ck_assert_int_eq(hs_log_level(), HS_LOG_INFO);
	hs_log_info("shown");
	hs_log_debug("hidden");
	ck_assert_int_eq(ngot, 1);
	hs_log_more();
	hs_log_more();                  /* clamps at debug */
	ck_assert_int_eq(hs_log_level(), HS_LOG_DEBUG);
	hs_log_debug("shown %d", 2);
	ck_assert_int_eq(ngot, 2);
	ck_assert_str_eq(got[1], "combinerd: debug: shown 2");

	hs_log_set_level(HS_LOG_NOTICE);
	hs_log_less();                  /* -q */
	hs_log_notice("hidden");
	hs_log_warning("shown");
	hs_log_less();
	hs_log_less();                  /* clamps at error: errors always show */
	ck_assert_int_eq(hs_log_level(), HS_LOG_ERROR);
	hs_log_warning("hidden");
	hs_log_error("shown");
	ck_assert_int_eq(ngot, 4);
	ck_assert(hs_log_enabled(HS_LOG_ERROR));
	ck_assert(!hs_log_enabled(HS_LOG_WARNING));
}
END_TEST

START_TEST(level_names)
{
	int l = -1;
	ck_assert_int_eq(hs_log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, HS_LOG_DEBUG);
	ck_assert_int_eq(hs_log_level_parse("WARNING", &l), 0);
	ck_assert_int_eq(l, HS_LOG_WARNING);
	ck_assert_int_eq(hs_log_level_parse("warn", &l), 0);
	ck_assert_int_eq(l, HS_LOG_WARNING);
	l = 77;
	ck_assert_int_eq(hs_log_level_parse("loud", &l), HS_EINVAL);
	ck_assert_int_eq(l, 77);
	ck_assert_str_eq(hs_log_level_name(HS_LOG_INFO), "info");
	ck_assert_str_eq(hs_log_level_name(42), "?");
}
END_TEST

START_TEST(one_event_one_line)
{
	/* A peer-chosen zone name with a newline cannot forge a second line. */
	hs_log(HS_LOG_WARNING, "evil\nzone.", NULL, "bad\tbyte \x80");
	ck_assert_int_eq(ngot, 1);
	ck_assert_str_eq(got[0], "combinerd: warning: evil\\010zone.: bad\\009byte \\128");

	char big[3 * HS_LOG_LINE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hs_log_error("%s", big);
	ck_assert_int_eq(ngot, 2);
	size_t n = strlen(got[1]);
	ck_assert_uint_le(n, HS_LOG_LINE_MAX);
	ck_assert_str_eq(got[1] + n - 3, "...");
	ck_assert_ptr_null(strchr(got[1], '\n'));
}
END_TEST

START_TEST(writes_stderr)
{
	/* Without the hook: one line, newline-terminated, on fd 2. */
	hs_log_set_hook(NULL, NULL);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	int saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	hs_log_init(NULL);
	hs_log_notice("hello %s", "world");
	hs_log_debug("not shown");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	char buf[256];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "hsync: notice: hello world\n");
}
END_TEST

START_TEST(fatal_exits)
{
	hs_fatal(111, -ENOENT, "cannot read %s", "x.conf");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, line_format);
	tcase_add_test(tc, codes_appended);
	tcase_add_test(tc, levels_filter);
	tcase_add_test(tc, level_names);
	tcase_add_test(tc, one_event_one_line);
	tcase_add_test(tc, writes_stderr);
	tcase_add_exit_test(tc, fatal_exits, 111);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
