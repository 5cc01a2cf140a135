/* Unit tests for hsyncd/config.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "hsyncd/hsyncd.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

static char keyfile[64];

static void setup(void)
{
	strcpy(keyfile, "/tmp/test_hsyncd_config.XXXXXX");
	int fd = mkstemp(keyfile);
	ck_assert_int_ge(fd, 0);
	const char *k = "key \"xfr\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0\";\n};\n"
	                "key agent { algorithm hmac-sha256; secret \"YWdlbnRhZ2VudA==\"; };\n";
	ck_assert_int_eq(write(fd, k, strlen(k)), (ssize_t)strlen(k));
	close(fd);
}

static void teardown(void)
{
	unlink(keyfile);
}

/* Parse text with "KEYFILE" replaced by the temporary key file. */
static int parse(const char *text, hsd_cfg_t **cfg, char *err, size_t errlen)
{
	char buf[4096];
	const char *p = strstr(text, "KEYFILE");
	if (p != NULL) {
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - text), text, keyfile, p + 7);
		text = buf;
	}
	err[0] = '\0';
	return hsd_cfg_parse(text, "t.conf", cfg, err, errlen);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

START_TEST(good)
{
	hsd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN];
	int ret = parse("listen 127.0.0.1 port 5300\n"
	                "tsig-key-file \"KEYFILE\"\n"
	                "state-dir /tmp/x\n"
	                "refresh-min 2s\n"
	                "events exec \"/bin/cat -u\"\n"
	                "subscriber 127.0.0.1 port 5400 key agent\n"
	                "zone Zone.Example {\n"
	                "\tsource 127.0.0.1@5301 key xfr\n"
	                "\tsubscriber 127.0.0.2 port 5401\n"
	                "}\n"
	                "zone b.example { source 192.0.2.1 }\n", &cfg, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_uint_eq(cfg->nlisten, 1);
	ck_assert_uint_eq(port_of(&cfg->listen[0]), 5300);
	ck_assert_str_eq(cfg->state_dir, "/tmp/x");
	ck_assert_uint_eq(cfg->refresh_min, 2);
	ck_assert_int_eq(cfg->events, HSD_EVENTS_EXEC);
	ck_assert_str_eq(cfg->events_cmd, "/bin/cat -u");
	ck_assert_uint_eq(cfg->nzones, 2);

	const hsd_zone_cfg_t *z = hsd_cfg_zone(cfg, (const knot_dname_t *)"\4ZONE\7example");
	ck_assert_ptr_eq(z, &cfg->zones[0]);
	ck_assert_str_eq(z->name_txt, "zone.example.");
	ck_assert_mem_eq(z->name, "\4zone\7example", 14);
	ck_assert_uint_eq(port_of(&z->source.addr), 5301);
	ck_assert_str_eq(z->source.text, "127.0.0.1@5301");
	ck_assert_ptr_eq(z->source.key, hsd_cfg_key(cfg, "xfr"));
	ck_assert_ptr_nonnull(z->source.key);
	/* the zone's own subscriber first, then the global one */
	ck_assert_uint_eq(z->nsubs, 2);
	ck_assert_str_eq(z->subs[0].text, "127.0.0.2@5401");
	ck_assert_ptr_null(z->subs[0].key);
	ck_assert_str_eq(z->subs[1].text, "127.0.0.1@5400");
	ck_assert_ptr_eq(z->subs[1].key, hsd_cfg_key(cfg, "agent"));

	z = &cfg->zones[1];
	ck_assert_str_eq(z->source.text, "192.0.2.1@53");
	ck_assert_ptr_null(z->source.key);
	ck_assert_uint_eq(z->nsubs, 1);
	ck_assert_ptr_null(hsd_cfg_zone(cfg, (const knot_dname_t *)"\1c\7example"));

	/* a reference keeps it alive */
	ck_assert_ptr_eq(hsd_cfg_ref(cfg), cfg);
	hsd_cfg_unref(cfg);
	ck_assert_str_eq(cfg->zones[0].name_txt, "zone.example.");
	hsd_cfg_unref(cfg);
}
END_TEST

START_TEST(catalogs)
{
	hsd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN];
	int ret = parse("tsig-key-file \"KEYFILE\"\n"
	                "subscriber 127.0.0.1 port 5400 key agent\n"
	                "catalog cat.example { source 127.0.0.1@5301 key xfr; subscriber 127.0.0.3 }\n"
	                "zone zone.example { source 127.0.0.1@5301 }\n", &cfg, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_uint_eq(cfg->ncatalogs, 1);
	const hsd_zone_cfg_t *c = hsd_cfg_catalog(cfg, (const knot_dname_t *)"\3cat\7example");
	ck_assert_ptr_eq(c, &cfg->catalogs[0]);
	ck_assert_ptr_null(hsd_cfg_zone(cfg, c->name));
	ck_assert_ptr_null(hsd_cfg_catalog(cfg, cfg->zones[0].name));
	ck_assert_str_eq(c->source.text, "127.0.0.1@5301");
	ck_assert_ptr_eq(c->source.key, hsd_cfg_key(cfg, "xfr"));
	ck_assert_uint_eq(c->nsubs, 2);
	ck_assert_str_eq(c->subs[0].text, "127.0.0.3@53");
	ck_assert_str_eq(c->subs[1].text, "127.0.0.1@5400");
	hsd_cfg_unref(cfg);

	ret = parse("zone a.example { source 127.0.0.1 }\ncatalog A.example { source 127.0.0.1 }\n",
	            &cfg, err, sizeof(err));
	ck_assert_int_eq(ret, HS_ECONF);
	ck_assert_str_eq(err, "t.conf:2: catalog a.example.: also a zone");
	ret = parse("catalog c.example { subscriber 127.0.0.1 }\n", &cfg, err, sizeof(err));
	ck_assert_int_eq(ret, HS_ECONF);
}
END_TEST

START_TEST(defaults)
{
	hsd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN];
	ck_assert_int_eq(parse("events stdout\n", &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg->state_dir, HSD_DEFAULT_STATE_DIR);
	ck_assert_uint_eq(cfg->refresh_min, HSD_DEFAULT_REFRESH_MIN);
	ck_assert_int_eq(cfg->events, HSD_EVENTS_STDOUT);
	ck_assert_uint_eq(cfg->nzones, 0);
	ck_assert_uint_eq(cfg->nlisten, 0);
	hsd_cfg_unref(cfg);
}
END_TEST

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "tsig-key-file KEYFILE\nzone a.example {\n source 127.0.0.1 key nosuch\n}\n",
	  "t.conf:3: source: key nosuch is in no tsig-key-file" },
	{ "subscriber 127.0.0.1 key agent\n", "t.conf:1: subscriber: key agent is in no tsig-key-file" },
	{ "zone a.example {\n subscriber 127.0.0.1\n}\n", "t.conf:1:" },   /* no source */
	{ "zone a.example { source 127.0.0.1 }\nzone A.example. { source 127.0.0.1 }\n", "t.conf:2:" },
	{ "events stdout /bin/cat\n", "t.conf:1: events stdout: takes no command" },
	{ "events exec\n", "t.conf:1: events exec: needs a command" },
	{ "events exec \"\"\n", "t.conf:1: events exec: needs a command" },
	{ "events file x\n", "t.conf:1:" },
	{ "refresh-min 2d\n", "t.conf:1:" },
	{ "tsig-key-file /nonexistent/keys\n", "t.conf:1: tsig-key-file: /nonexistent/keys:" },
	{ "zone a.example { source 127.0.0.999 }\n", "t.conf:1:" },
	{ "frobnicate yes\n", "t.conf:1:" },
};

START_TEST(errors)
{
	hsd_cfg_t *cfg = (hsd_cfg_t *)0x1;
	char err[HS_CONF_ERRLEN];
	int ret = parse(bad[_i].text, &cfg, err, sizeof(err));
	ck_assert_int_eq(ret, HS_ECONF);
	ck_assert_ptr_eq(cfg, (hsd_cfg_t *)0x1);   /* untouched */
	ck_assert_msg(strncmp(err, bad[_i].err, strlen(bad[_i].err)) == 0, "case %d: got '%s'", _i, err);
}
END_TEST

START_TEST(load_file)
{
	hsd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN] = "";
	ck_assert_int_eq(hsd_cfg_load("/nonexistent/hsyncd.conf", &cfg, err, sizeof(err)), HS_ECONF);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/hsyncd.conf"));
	ck_assert_int_eq(hsd_cfg_load(NULL, &cfg, err, sizeof(err)), HS_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hsyncd_config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, catalogs);
	tcase_add_loop_test(tc, errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, load_file);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
