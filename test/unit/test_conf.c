/* Unit tests for common/conf.c (and the common options of common/daemon.c) */
#include <arpa/inet.h>
#include <string.h>

#include "common/conf.h"
#include "common/daemon.h"
#include "common/log.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

/* A table like a daemon's. */
static const hs_conf_opt_t peer_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_ANY },
	{ .name = NULL }
};

static const hs_conf_rule_t zone_rules[] = {
	{ .keyword = "primary", .flags = HS_CONF_REQUIRED | HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = peer_opts },
	{ .keyword = "downstream", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = peer_opts },
	{ .keyword = "agent-key", .min = 1, .max = 1 },
	{ .keyword = "refresh", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } },
	{ .keyword = "notify", .min = 1, .max = 1, .kind = { HS_CONF_BOOL } },
	{ .keyword = NULL }
};

static const hs_conf_rule_t rules[] = {
	HS_CONF_RULES_COMMON,
	{ .keyword = "allow", .flags = HS_CONF_REPEAT, .min = 1, .max = HS_CONF_UNLIMITED,
	  .kind = { HS_CONF_PREFIX, HS_CONF_PREFIX, HS_CONF_PREFIX, HS_CONF_PREFIX } },
	{ .keyword = "zone", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = zone_rules },
	{ .keyword = "max-zones", .min = 1, .max = 1, .kind = { HS_CONF_UINT } },
	{ .keyword = "mode", .min = 1, .max = 1, .kind = { HS_CONF_CHOICE }, .choices = "fast|slow" },
	{ .keyword = "flag", .min = 0, .max = 0 },
	{ .keyword = NULL }
};

static const hs_conf_rule_t rules_required[] = {
	{ .keyword = "state-dir", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1 },
	{ .keyword = NULL }
};

static const char *sample =
	"# combinerd.conf\n"
	"listen 127.0.0.1 port 5300\n"
	"listen ::1 port 5300\n"
	"tsig-key-file /etc/hsync/xfr.key          # tsig-keygen output\n"
	"state-dir /var/lib/hsync/combinerd\n"
	"log-level info\n"
	"zone example.com {\n"
	"    primary 127.0.0.1 port 5301 key xfr\n"
	"    downstream 127.0.0.1@5302 key xfr\n"
	"    agent-key agent\n"
	"}\n"
	"zone example.net { primary 192.0.2.1; refresh 1h30m; notify no }\n";

/* Read and check text; return the code, message in err. */
static int load(const char *text, const hs_conf_rule_t *r, hs_conf_t **out, char *err)
{
	hs_conf_t *c = NULL;
	int ret = hs_conf_read_string(text, "t.conf", &c, err, HS_CONF_ERRLEN);
	if (ret == HS_EOK) {
		ret = hs_conf_check(c, r, err, HS_CONF_ERRLEN);
	}
	if (ret == HS_EOK && out != NULL) {
		*out = c;
	} else {
		hs_conf_free(c);
	}
	return ret;
}

static void addr_is(const struct sockaddr_storage *ss, const char *want)
{
	char buf[HS_ADDR_STRLEN];
	ck_assert_int_eq(hs_addr_format((const struct sockaddr *)ss, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

START_TEST(sample_reads)
{
	char err[HS_CONF_ERRLEN];
	hs_conf_t *c = NULL;
	ck_assert_msg(load(sample, rules, &c, err) == 0, "%s", err);

	struct sockaddr_storage ss;
	const hs_conf_stmt_t *s = hs_conf_first(c, "listen");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(hs_conf_line(s), 2);
	ck_assert_str_eq(hs_conf_file(s), "t.conf");
	ck_assert_uint_eq(hs_conf_nargs(s), 1);
	ck_assert_int_eq(hs_conf_addr(s, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "127.0.0.1@5300");
	s = hs_conf_next(s, "listen");
	ck_assert_int_eq(hs_conf_addr(s, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "::1@5300");
	ck_assert_ptr_null(hs_conf_next(s, "listen"));

	s = hs_conf_first(c, "tsig-key-file");
	ck_assert_str_eq(hs_conf_str(s, 0), "/etc/hsync/xfr.key");
	unsigned lvl;
	s = hs_conf_first(c, "log-level");
	ck_assert_int_eq(hs_conf_choice(s, 0, HS_CONF_LOG_LEVELS, &lvl, err, sizeof(err)), 0);
	ck_assert_uint_eq(lvl, HS_LOG_INFO);

	const hs_conf_stmt_t *z = hs_conf_first(c, "zone");
	ck_assert_str_eq(hs_conf_str(z, 0), "example.com");
	ck_assert(hs_conf_has_block(z));
	uint8_t name[255];
	ck_assert_int_eq(hs_conf_name(z, 0, name, err, sizeof(err)), 0);
	ck_assert_mem_eq(name, "\x07" "example" "\x03" "com" "\x00", 13);

	const hs_conf_stmt_t *p = hs_conf_child(z, "primary");
	ck_assert_ptr_eq(hs_conf_parent(p), z);
	ck_assert_uint_eq(hs_conf_line(p), 8);
	ck_assert_uint_eq(hs_conf_nargs(p), 1);
	ck_assert_int_eq(hs_conf_addr(p, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "127.0.0.1@5301");
	ck_assert_str_eq(hs_conf_str(p, hs_conf_opt(p, "key")), "xfr");
	ck_assert_int_eq(hs_conf_opt(p, "port"), 2);
	ck_assert_ptr_null(hs_conf_str(p, 1));      /* an option's name is not a value */
	p = hs_conf_child(z, "downstream");
	ck_assert_int_eq(hs_conf_addr(p, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "127.0.0.1@5302");
	ck_assert_str_eq(hs_conf_str(hs_conf_child(z, "agent-key"), 0), "agent");
	ck_assert_ptr_null(hs_conf_child(z, "refresh"));

	/* the one-line block with ';' */
	z = hs_conf_next(z, "zone");
	ck_assert_str_eq(hs_conf_str(z, 0), "example.net");
	ck_assert_uint_eq(hs_conf_line(z), 12);
	p = hs_conf_child(z, "primary");
	ck_assert_int_eq(hs_conf_addr(p, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "192.0.2.1@53");
	uint64_t secs;
	ck_assert_int_eq(hs_conf_duration(hs_conf_child(z, "refresh"), 0, 0, 86400, &secs, err, sizeof(err)), 0);
	ck_assert_uint_eq(secs, 5400);
	bool b = true;
	ck_assert_int_eq(hs_conf_bool(hs_conf_child(z, "notify"), 0, &b, err, sizeof(err)), 0);
	ck_assert(!b);
	ck_assert_ptr_null(hs_conf_next(z, "zone"));

	/* every statement in order */
	const char *order[] = { "listen", "listen", "tsig-key-file", "state-dir", "log-level", "zone", "zone" };
	size_t n = 0;
	for (s = hs_conf_first(c, NULL); s != NULL; s = hs_conf_next(s, NULL)) {
		ck_assert_uint_lt(n, 7);
		ck_assert_str_eq(hs_conf_keyword(s), order[n++]);
	}
	ck_assert_uint_eq(n, 7);
	hs_conf_free(c);
}
END_TEST

START_TEST(strings_and_comments)
{
	char err[HS_CONF_ERRLEN];
	hs_conf_t *c = NULL;
	const char *text =
		"state-dir \"/var/lib/my \\\"dir\\\" \\\\x # not a comment\"   # a comment\n"
		"tsig-key-file \"\"\n"
		"tsig-key-file \"port\"\n"
		"   \t  \r\n"
		";;\n"
		"flag;flag2\n";
	/* flag2 is unknown, on line 6 after ';' */
	ck_assert_int_eq(load(text, rules, NULL, err), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:6: unknown keyword flag2");

	ck_assert_int_eq(hs_conf_read_string(text, "t.conf", &c, err, sizeof(err)), 0);
	const hs_conf_stmt_t *s = hs_conf_first(c, "state-dir");
	ck_assert_str_eq(hs_conf_str(s, 0), "/var/lib/my \"dir\" \\x # not a comment");
	ck_assert(hs_conf_quoted(s, 0));
	s = hs_conf_first(c, "tsig-key-file");
	ck_assert_str_eq(hs_conf_str(s, 0), "");
	s = hs_conf_next(s, "tsig-key-file");
	ck_assert_str_eq(hs_conf_str(s, 0), "port");
	ck_assert_uint_eq(hs_conf_line(s), 3);
	s = hs_conf_first(c, "flag");
	ck_assert_uint_eq(hs_conf_nargs(s), 0);
	ck_assert_uint_eq(hs_conf_line(s), 6);
	hs_conf_free(c);

	/* A quoted "port" is a value, not the option: listen takes one argument. */
	ck_assert_int_eq(load("listen 127.0.0.1 \"port\" 53\n", rules, NULL, err), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:1: listen: unknown option port");
	/* An empty file is a good file. */
	ck_assert_int_eq(load("", rules, &c, err), 0);
	ck_assert_ptr_null(hs_conf_first(c, NULL));
	hs_conf_free(c);
}
END_TEST

/* Bad input: the exact message, and no tree. */
static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "frobnicate 1\n", "t.conf:1: unknown keyword frobnicate" },
	{ "\n\nzone a {\n  bogus 1\n}\n", "t.conf:4: unknown keyword bogus in zone block" },
	{ "listen\n", "t.conf:1: listen needs 1 argument" },
	{ "allow\n", "t.conf:1: allow needs at least 1 argument" },
	{ "state-dir /a /b\n", "t.conf:1: state-dir takes 1 argument, not 2" },
	{ "flag 1\n", "t.conf:1: flag takes no arguments" },
	{ "listen 1.2.3.4 5.6.7.8\n", "t.conf:1: listen: unknown option 5.6.7.8" },
	{ "listen 1.2.3.999\n", "t.conf:1: listen: 1.2.3.999 is not an IP address (ADDR or ADDR@PORT)" },
	{ "listen 1.2.3.4@65536\n", "t.conf:1: listen: 1.2.3.4@65536: port out of range (0-65535)" },
	{ "listen 1.2.3.4 port 70000\n", "t.conf:1: listen: port 70000 is not a port number (0-65535)" },
	{ "listen 1.2.3.4 port\n", "t.conf:1: listen: option port needs a value" },
	{ "listen 1.2.3.4 port 1 port 2\n", "t.conf:1: listen: option port given twice" },
	{ "listen port 53\n", "t.conf:1: listen needs 1 argument" },
	{ "state-dir /a\nstate-dir /b\n", "t.conf:2: duplicate state-dir (first at t.conf:1)" },
	{ "zone a.example {\n primary 1.2.3.4\n}\nzone b.example { primary 1.2.3.4 }\n"
	  "zone A.EXAMPLE. {\n primary 1.2.3.4\n}\n",
	  "t.conf:5: duplicate zone A.EXAMPLE. (first at t.conf:1)" },
	{ "zone a.example {\n primary 1.1.1.1\n primary 1.1.1.2\n agent-key a\n agent-key b\n}\n",
	  "t.conf:5: duplicate agent-key (first at t.conf:4)" },
	{ "zone a.example {\n}\n", "t.conf:1: zone block lacks the required statement primary" },
	{ "zone a.example\n", "t.conf:1: zone needs a { block }" },
	{ "zone a.example\n{ primary 1.1.1.1 }\n",
	  "t.conf:2: '{' without a keyword (a block opens on its statement's line)" },
	{ "listen 1.2.3.4 {\n}\n", "t.conf:1: listen takes no block" },
	{ "zone a {\n primary 1.2.3.4\n", "t.conf:3: missing '}' of the block opened at line 1" },
	{ "zone a { primary 1.2.3.4 }\n}\n", "t.conf:2: '}' without a block" },
	{ "{\n", "t.conf:1: '{' without a keyword (a block opens on its statement's line)" },
	{ "\"listen\" 1.2.3.4\n", "t.conf:1: a statement starts with a keyword, not a quoted string" },
	{ "state-dir \"abc\n", "t.conf:1: unterminated string (a quoted string ends on its line)" },
	{ "\nstate-dir \"a\\nb\"\n", "t.conf:2: unknown escape in string (only \\\" and \\\\)" },
	{ "state-dir a\"b\"\n", "t.conf:1: quote inside a word (put spaces around a quoted string)" },
	{ "state-dir a\x01\n", "t.conf:1: unexpected character 0x01" },
	{ "zone a { primary 1.1.1.1; refresh 5x }\n",
	  "t.conf:1: refresh: 5x is not a duration (like 30s, 5m, 1h, 2d, 1w, 1h30m)" },
	{ "zone a { primary 1.1.1.1; notify maybe }\n", "t.conf:1: notify: maybe is not yes or no" },
	{ "zone a { primary 1.1.1.1 key }\n", "t.conf:1: primary: option key needs a value" },
	{ "zone a..b { primary 1.1.1.1 }\n", "t.conf:1: zone: a..b is not a domain name" },
	{ "log-level loud\n", "t.conf:1: log-level: loud is not one of error|warning|notice|info|debug" },
	{ "mode medium\n", "t.conf:1: mode: medium is not one of fast|slow" },
	{ "max-zones -1\n", "t.conf:1: max-zones: -1 is not a number" },
	{ "max-zones 99999999999999999999\n", "t.conf:1: max-zones: 99999999999999999999 is too large" },
	{ "allow 10.0.0.0/8 10.0.0.1/8\n",
	  "t.conf:1: allow: 10.0.0.1/8 is not an IP prefix (ADDR/LEN, host bits zero)" },
	{ "allow ::/129\n", "t.conf:1: allow: ::/129: prefix length too long" },
	{ "include\n", "t.conf:1: include needs exactly one file name" },
	{ "include a b\n", "t.conf:1: include needs exactly one file name" },
	{ "include \"x\" { }\n", "t.conf:1: include takes no block" },
	{ "include \"/nonexistent/hsync.conf\"\n",
	  "t.conf:1: cannot open /nonexistent/hsync.conf: No such file or directory" },
};

START_TEST(bad_input)
{
	char err[HS_CONF_ERRLEN];
	hs_conf_t *c = (hs_conf_t *)&err;   /* must stay untouched */
	int ret = load(bad[_i].text, rules, &c, err);
	ck_assert_msg(ret == HS_ECONF, "case %d: got %d", _i, ret);
	ck_assert_msg(strcmp(err, bad[_i].err) == 0, "case %d:\n got  %s\n want %s", _i, err, bad[_i].err);
	ck_assert_ptr_eq(c, (hs_conf_t *)&err);
}
END_TEST

START_TEST(deep_nesting)
{
	char err[HS_CONF_ERRLEN];
	char text[200];
	memset(text, 0, sizeof(text));
	for (int i = 0; i < 40; i++) {
		strcat(text, "a{");
	}
	hs_conf_t *c = NULL;
	ck_assert_int_eq(hs_conf_read_string(text, "t.conf", &c, err, sizeof(err)), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:1: blocks nested too deep");
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(required_top)
{
	char err[HS_CONF_ERRLEN];
	hs_conf_t *c = NULL;
	ck_assert_int_eq(load("# nothing\n", rules_required, NULL, err), HS_ECONF);
	ck_assert_str_eq(err, "t.conf: missing required statement state-dir");
	ck_assert_int_eq(load("state-dir x\n", rules_required, &c, err), 0);
	hs_conf_free(c);
}
END_TEST

START_TEST(includes)
{
	char err[HS_CONF_ERRLEN];
	char path[4096];
	snprintf(path, sizeof(path), "%s", hs_testdata("conf-main.conf"));
	hs_conf_t *c = NULL;
	ck_assert_msg(hs_conf_load(path, rules, &c, err, sizeof(err)) == 0, "%s", err);

	const hs_conf_stmt_t *s = hs_conf_first(c, "state-dir");
	ck_assert_str_eq(hs_conf_str(s, 0), "/var/lib/hsync/combinerd");
	ck_assert_uint_eq(hs_conf_line(s), 1);
	ck_assert_str_eq(hs_conf_file(s), hs_testdata("conf-part.conf"));
	/* included statements sit where the include was */
	const char *order[] = { "listen", "state-dir", "tsig-key-file", "zone" };
	size_t n = 0;
	for (s = hs_conf_first(c, NULL); s != NULL; s = hs_conf_next(s, NULL)) {
		ck_assert_uint_lt(n, 4);
		ck_assert_str_eq(hs_conf_keyword(s), order[n++]);
	}
	const hs_conf_stmt_t *z = hs_conf_first(c, "zone");
	ck_assert_str_eq(hs_conf_file(z), path);
	ck_assert_uint_eq(hs_conf_line(z), 4);
	const hs_conf_stmt_t *p = hs_conf_child(z, "downstream");
	ck_assert_str_eq(hs_conf_file(p), hs_testdata("conf-zone-part.conf"));
	ck_assert_uint_eq(hs_conf_line(p), 2);
	ck_assert_ptr_eq(hs_conf_parent(p), z);
	struct sockaddr_storage ss;
	ck_assert_int_eq(hs_conf_addr(p, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "::1@5302");
	ck_assert_str_eq(hs_conf_keyword(hs_conf_next(p, NULL)), "agent-key");
	hs_conf_free(c);

	/* An error in an included file names that file and its line. */
	snprintf(path, sizeof(path), "%s", hs_testdata("conf-bad-main.conf"));
	c = NULL;
	ck_assert_int_eq(hs_conf_load(path, rules, &c, err, sizeof(err)), HS_ECONF);
	ck_assert_ptr_null(c);
	char want[2 * HS_CONF_ERRLEN + 8192];
	snprintf(want, sizeof(want), "%s:3: refresh: soon is not a duration (like 30s, 5m, 1h, 2d, 1w, 1h30m)",
	         hs_testdata("conf-bad-part.conf"));
	ck_assert_str_eq(err, want);

	/* A loop is found, not followed forever. */
	snprintf(path, sizeof(path), "%s", hs_testdata("conf-loop-a.conf"));
	ck_assert_int_eq(hs_conf_read_file(path, &c, err, sizeof(err)), HS_ECONF);
	snprintf(want, sizeof(want), "%s:2: include loop: %s", hs_testdata("conf-loop-b.conf"), path);
	ck_assert_str_eq(err, want);

	/* A NUL byte, with its line. */
	snprintf(path, sizeof(path), "%s", hs_testdata("conf-nul.conf"));
	ck_assert_int_eq(hs_conf_read_file(path, &c, err, sizeof(err)), HS_ECONF);
	snprintf(want, sizeof(want), "%s:2: NUL byte in file", path);
	ck_assert_str_eq(err, want);

	/* A missing file. */
	ck_assert_int_eq(hs_conf_load("/nonexistent/x.conf", rules, &c, err, sizeof(err)), HS_ECONF);
	ck_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
	ck_assert_int_eq(hs_conf_read_file(hs_testdata(""), &c, err, sizeof(err)), HS_ECONF);
}
END_TEST

START_TEST(getters)
{
	char err[HS_CONF_ERRLEN];
	hs_conf_t *c = NULL;
	const char *text =
		"max-zones 5000\n"
		"zone a {\n"
		" primary 10.0.0.1\n"
		" primary 10.0.0.2 port 5301\n"
		" primary 10.0.0.3@5302 port 5301\n"
		" refresh 2d\n"
		" notify on\n"
		"}\n"
		"allow 192.0.2.0/24 2001:db8::/32 10.1.2.3\n"
		"mode SLOW\n";
	ck_assert_msg(load(text, rules, &c, err) == 0, "%s", err);

	uint64_t u = 7;
	const hs_conf_stmt_t *s = hs_conf_first(c, "max-zones");
	ck_assert_int_eq(hs_conf_uint(s, 0, 1, 10000, &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u, 5000);
	ck_assert_int_eq(hs_conf_uint(s, 0, 1, 100, &u, err, sizeof(err)), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:1: max-zones: 5000 out of range (1-100)");
	ck_assert_uint_eq(u, 5000);
	ck_assert_int_eq(hs_conf_uint(s, 1, 1, 100, &u, err, sizeof(err)), HS_ENOTFOUND);
	ck_assert_str_eq(err, "t.conf:1: max-zones: missing argument");
	ck_assert_int_eq(hs_conf_uint(s, -1, 1, 100, &u, err, sizeof(err)), HS_ENOTFOUND);
	ck_assert_int_eq(hs_conf_opt(s, "port"), -1);

	const hs_conf_stmt_t *z = hs_conf_first(c, "zone");
	struct sockaddr_storage ss;
	s = hs_conf_child(z, "primary");
	ck_assert_int_eq(hs_conf_addr(s, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "10.0.0.1@53");
	s = hs_conf_next(s, "primary");
	ck_assert_int_eq(hs_conf_addr(s, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "10.0.0.2@5301");
	s = hs_conf_next(s, "primary");   /* @PORT wins over the port option */
	ck_assert_int_eq(hs_conf_addr(s, 0, 53, &ss, err, sizeof(err)), 0);
	addr_is(&ss, "10.0.0.3@5302");
	ck_assert_int_eq(hs_conf_uint(s, hs_conf_opt(s, "port"), 0, 65535, &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u, 5301);

	s = hs_conf_child(z, "refresh");
	ck_assert_int_eq(hs_conf_duration(s, 0, 0, UINT64_MAX, &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u, 172800);
	ck_assert_int_eq(hs_conf_duration(s, 0, 60, 86400, &u, err, sizeof(err)), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:6: refresh: 2d out of range (60s-86400s)");
	bool b = false;
	ck_assert_int_eq(hs_conf_bool(hs_conf_child(z, "notify"), 0, &b, err, sizeof(err)), 0);
	ck_assert(b);
	/* a value of the wrong kind, asked for by the daemon */
	ck_assert_int_eq(hs_conf_bool(hs_conf_child(z, "refresh"), 0, &b, err, sizeof(err)), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:6: refresh: 2d is not yes or no");
	ck_assert_int_eq(hs_conf_addr(hs_conf_child(z, "refresh"), 0, 53, &ss, err, sizeof(err)), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:6: refresh: 2d is not an IP address (ADDR or ADDR@PORT)");

	s = hs_conf_first(c, "allow");
	ck_assert_uint_eq(hs_conf_nargs(s), 3);
	struct hs_prefix p;
	ck_assert_int_eq(hs_conf_prefix(s, 1, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_uint_eq(p.bits, 32);
	ck_assert_int_eq(hs_conf_prefix(s, 2, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.bits, 32);
	ck_assert_int_eq(p.family, AF_INET);

	unsigned idx = 9;
	s = hs_conf_first(c, "mode");
	ck_assert_int_eq(hs_conf_choice(s, 0, "fast|slow", &idx, err, sizeof(err)), 0);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(hs_conf_choice(s, 0, "fast|slower", &idx, err, sizeof(err)), HS_ECONF);
	ck_assert_uint_eq(idx, 1);

	ck_assert_int_eq(hs_conf_error(z, err, sizeof(err), "zone %s has no key %s", "a", "xfr"), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:2: zone a has no key xfr");
	hs_conf_free(c);
}
END_TEST

START_TEST(durations)
{
	static const struct {
		const char *text;
		uint64_t secs;
	} good[] = {
		{ "0", 0 }, { "90", 90 }, { "30s", 30 }, { "5m", 300 }, { "1h", 3600 },
		{ "2d", 172800 }, { "1w", 604800 }, { "1h30m", 5400 }, { "1m30", 90 },
	};
	static const char *const badd[] = { "", "s", "5x", "1.5h", "-1", "1h 30m", "h1", "99999999999999999999w" };
	char err[HS_CONF_ERRLEN], text[128];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		hs_conf_t *c = NULL;
		snprintf(text, sizeof(text), "zone a { primary 1.1.1.1; refresh \"%s\" }", good[i].text);
		ck_assert_msg(load(text, rules, &c, err) == 0, "%s: %s", good[i].text, err);
		uint64_t u;
		const hs_conf_stmt_t *s = hs_conf_child(hs_conf_first(c, "zone"), "refresh");
		ck_assert_int_eq(hs_conf_duration(s, 0, 0, UINT64_MAX, &u, err, sizeof(err)), 0);
		ck_assert_uint_eq(u, good[i].secs);
		hs_conf_free(c);
	}
	for (size_t i = 0; i < sizeof(badd) / sizeof(badd[0]); i++) {
		snprintf(text, sizeof(text), "zone a { primary 1.1.1.1; refresh \"%s\" }", badd[i]);
		ck_assert_msg(load(text, rules, NULL, err) == HS_ECONF, "%s accepted", badd[i]);
	}
}
END_TEST

START_TEST(reload_keeps_old)
{
	/* The SIGHUP pattern: a bad new file leaves the running tree alone. */
	char err[HS_CONF_ERRLEN];
	hs_conf_t *running = NULL, *fresh = NULL;
	ck_assert_int_eq(load(sample, rules, &running, err), 0);
	ck_assert_int_eq(load("zone example.com {\n primary nowhere\n}\n", rules, &fresh, err), HS_ECONF);
	ck_assert_str_eq(err, "t.conf:2: primary: nowhere is not an IP address (ADDR or ADDR@PORT)");
	ck_assert_ptr_null(fresh);
	ck_assert_str_eq(hs_conf_str(hs_conf_first(running, "zone"), 0), "example.com");
	ck_assert_int_eq(load("zone example.org { primary ::1 }\n", rules, &fresh, err), 0);
	hs_conf_free(running);
	running = fresh;
	ck_assert_str_eq(hs_conf_str(hs_conf_first(running, "zone"), 0), "example.org");
	hs_conf_free(running);
	hs_conf_free(NULL);
}
END_TEST

/* ---- common options (common/daemon.c) ---- */

struct extra {
	int seen_x;
	const char *arg_p;
};

static int extra_opt(int opt, const char *arg, void *data)
{
	struct extra *e = data;
	if (opt == 'x') {
		e->seen_x++;
		return 0;
	}
	if (opt == 'p') {
		e->arg_p = arg;
		return 0;
	}
	return HS_EINVAL;
}

START_TEST(common_options)
{
	struct hs_daemon_opts o;
	char err[256];
	char *argv1[] = { "combinerd", "-f", "/etc/x.conf", "-n", "-v", "-v", "-q", NULL };
	ck_assert_int_eq(hs_daemon_getopt(7, argv1, "/etc/hsync/combinerd.conf", NULL, NULL, NULL,
	                                  &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.conf_file, "/etc/x.conf");
	ck_assert(o.check_only);
	ck_assert(!o.help);
	ck_assert_int_eq(o.verbosity, 1);

	char *argv2[] = { "agentd", NULL };
	ck_assert_int_eq(hs_daemon_getopt(1, argv2, "/etc/hsync/agentd.conf", NULL, NULL, NULL,
	                                  &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.conf_file, "/etc/hsync/agentd.conf");
	ck_assert(!o.check_only);
	ck_assert_int_eq(o.verbosity, 0);

	char *argv3[] = { "agentd", "-h", NULL };
	ck_assert_int_eq(hs_daemon_getopt(2, argv3, "a.conf", NULL, NULL, NULL, &o, err, sizeof(err)), 0);
	ck_assert(o.help);

	char *argv4[] = { "agentd", "-z", NULL };
	ck_assert_int_eq(hs_daemon_getopt(2, argv4, "a.conf", NULL, NULL, NULL, &o, err, sizeof(err)), HS_EINVAL);
	ck_assert_str_eq(err, "unknown option -z");

	char *argv5[] = { "agentd", "-f", NULL };
	ck_assert_int_eq(hs_daemon_getopt(2, argv5, "a.conf", NULL, NULL, NULL, &o, err, sizeof(err)), HS_EINVAL);
	ck_assert_str_eq(err, "option -f needs an argument");

	char *argv6[] = { "agentd", "extra", NULL };
	ck_assert_int_eq(hs_daemon_getopt(2, argv6, "a.conf", NULL, NULL, NULL, &o, err, sizeof(err)), HS_EINVAL);
	ck_assert_str_eq(err, "unexpected argument extra");

	/* daemon-specific options through a callback */
	struct extra e = { 0, NULL };
	char *argv7[] = { "hsyncd", "-x", "-p", "v", "-vv", NULL };
	ck_assert_int_eq(hs_daemon_getopt(5, argv7, "h.conf", "xp:", extra_opt, &e, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(e.seen_x, 1);
	ck_assert_str_eq(e.arg_p, "v");
	ck_assert_int_eq(o.verbosity, 2);
}
END_TEST

START_TEST(log_level_from_conf)
{
	char err[HS_CONF_ERRLEN];
	hs_conf_t *c = NULL;
	ck_assert_int_eq(load("log-level info\n", rules, &c, err), 0);
	ck_assert_int_eq(hs_daemon_log_level(c, 0), HS_LOG_INFO);
	ck_assert_int_eq(hs_daemon_log_level(c, 1), HS_LOG_DEBUG);
	ck_assert_int_eq(hs_daemon_log_level(c, -2), HS_LOG_WARNING);
	ck_assert_int_eq(hs_log_level(), HS_LOG_WARNING);
	hs_conf_free(c);
	ck_assert_int_eq(load("log-level ERROR\n", rules, &c, err), 0);
	ck_assert_int_eq(hs_daemon_log_level(c, -1), HS_LOG_ERROR);
	hs_conf_free(c);
	/* no log-level: notice, moved by -v/-q */
	ck_assert_int_eq(hs_daemon_log_level(NULL, 0), HS_LOG_NOTICE);
	ck_assert_int_eq(hs_daemon_log_level(NULL, -1), HS_LOG_WARNING);
	ck_assert_int_eq(hs_daemon_log_level(NULL, 5), HS_LOG_DEBUG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	tcase_add_test(tc, sample_reads);
	tcase_add_test(tc, strings_and_comments);
	tcase_add_loop_test(tc, bad_input, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, required_top);
	tcase_add_test(tc, includes);
	tcase_add_test(tc, getters);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, reload_keeps_old);
	tcase_add_test(tc, common_options);
	tcase_add_test(tc, log_level_from_conf);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
