/*
 * test_agentd_config.c -- agentd/config.c and zones.c: a full configuration
 * read into agd_cfg_t, errors as "file:line: reason", the records -p
 * prints (known text for the committed key), the zone table and HSYNC
 * from an answer.
 */
#include <string.h>

#include "agentd/agentd.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "unit.h"

static char keyline[8192];

static void setup(void)
{
	snprintf(keyline, sizeof(keyline), "key \"%s\"\n",
	         hs_testdata("sig0-keys/Ksig0.example.+015+19511"));
}

static int load(const char *body, agd_cfg_t **cfg, char *err, size_t errlen)
{
	char text[16384];
	snprintf(text, sizeof(text), "%s%s", keyline, body);
	err[0] = '\0';
	return agd_cfg_load_string(text, "t.conf", cfg, err, errlen);
}

START_TEST(full)
{
	agd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN];
	int ret = load("identity agent.sig0\n"
	               "listen 192.0.2.10 port 5399\n"
	               "publish-address 198.51.100.1\npublish-address 2001:db8::1\n"
	               "resolver 127.0.0.1 port 5353\n"
	               "hsyncd 127.0.0.1 port 5300\n"
	               "combinerd 127.0.0.1@5310\n"
	               "nameserver ns1.sig0.example\nnameserver ns2.sig0.example\n"
	               "heartbeat 1s; degraded 3; interrupted 7; hello-timeout 2s\n"
	               "backoff-min 1s; backoff-max 1m; jitter 10; refresh 10m; clock-skew 5\n"
	               "state-dir /tmp/x\n"
	               "zone Example.COM {\n"
	               "  hsync \"ON AGENT SIGN agent.sig0. .\"\n"
	               "  hsync \"ON AGENT NOSIGN agent.b. agent.sig0.\"\n"
	               "}\n", &cfg, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_str_eq(cfg->identity_txt, "agent.sig0.");
	ck_assert(knot_dname_is_equal(cfg->key->owner, (const knot_dname_t *)"\x04sig0\x07" "example"));
	ck_assert_str_eq(cfg->resolver_txt, "127.0.0.1@5353");
	ck_assert(cfg->hsyncd.set && cfg->combinerd.set);
	ck_assert_uint_eq(hs_addr_port((struct sockaddr *)&cfg->combinerd.addr), 5310);
	ck_assert_uint_eq(cfg->nns, 2);
	ck_assert_uint_eq(cfg->timers.heartbeat, 1);
	ck_assert_uint_eq(cfg->timers.degraded, 3);
	ck_assert_uint_eq(cfg->timers.interrupted, 7);
	ck_assert_uint_eq(cfg->timers.backoff_max, 60);
	ck_assert_uint_eq(cfg->timers.refresh, 600);
	ck_assert_uint_eq(cfg->skew, 5);
	ck_assert_uint_eq(cfg->sync_flags, HS_PS_SYNC_P2P);
	ck_assert_str_eq(cfg->control, "/tmp/x/agentd.ctl");
	ck_assert_uint_eq(cfg->nzones, 1);
	ck_assert_uint_eq(cfg->zones[0].nhsync, 2);
	ck_assert(knot_dname_is_equal(cfg->zones[0].name, (const knot_dname_t *)"\x07" "example\x03" "com"));

	char *text = NULL;
	ck_assert_int_eq(agd_cfg_publish(cfg, false, &text), 0);
	const char *want =
		"; hsync agent agent.sig0.: publish in signed zones (DNSSEC)\n"
		"_dns._tcp.agent.sig0. 3600 IN URI 10 1 \"dns://sig0.example:5399\"\n"
		"sig0.example. 3600 IN SVCB 1 . port=5399 ipv4hint=198.51.100.1 ipv6hint=2001:db8::1\n"
		"sig0.example. 3600 IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n";
	ck_assert_str_eq(text, want);
	free(text);
	ck_assert_int_eq(agd_cfg_publish(cfg, true, &text), 0);
	ck_assert(strncmp(text, "; hsync", 7) == 0);
	ck_assert(strstr(text, "\nupdate add sig0.example. 3600 IN KEY 512 3 15 ") != NULL);
	ck_assert(strcmp(text + strlen(text) - 5, "send\n") == 0);
	free(text);
	agd_cfg_free(cfg);
}
END_TEST

static void bad(const char *body, const char *want)
{
	agd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN];
	int ret = load(body, &cfg, err, sizeof(err));
	ck_assert_msg(ret != 0, "accepted: %s", body);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
}

START_TEST(errors)
{
	bad("resolver 127.0.0.1\n", "t.conf: missing required statement identity");
	bad("identity a.b\n", "resolver");
	bad("identity a.b\nresolver 127.0.0.1\nbogus 1\n", "t.conf:4: unknown keyword bogus");
	bad("identity a.b\nresolver 127.0.0.1\nheartbeat 0\n", "t.conf:4:");
	bad("identity a.b\nresolver 127.0.0.1\ndegraded 5\ninterrupted 5\n",
	    "t.conf:5: degraded (5) must be less than interrupted (5)");
	bad("identity a.b\nresolver 127.0.0.1\nbackoff-min 10m\nbackoff-max 1m\n",
	    "t.conf:4: backoff-min is more than backoff-max");
	bad("identity a.b\nresolver 127.0.0.1\nhsyncd 127.0.0.1 key nosuch\n",
	    "t.conf:4: hsyncd: key nosuch is in no tsig-key-file");
	bad("identity a.b\nresolver 127.0.0.1\nzone x {\n hsync \"ON FOO SIGN a.b. .\"\n}\n",
	    "t.conf:5: hsync:");
	bad("identity a.b\nresolver 127.0.0.1\nzone x {\n hsync \"ON AGENT SIGN a.b. .\"\n"
	    " hsync \"ON OWNER SIGN c.d. .\"\n}\n", "t.conf:6: hsync: all records of a zone must share one NSmgmt");
	bad("identity a.b\nresolver 127.0.0.1\nzone x {\n}\n", "hsync");

	/* a key file that is not there */
	agd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN];
	ck_assert_int_ne(agd_cfg_load_string("identity a.b\nresolver 127.0.0.1\nkey /nonexistent/K\n",
	                                     "t.conf", &cfg, err, sizeof(err)), 0);
	ck_assert_msg(strncmp(err, "t.conf:3: key: ", 15) == 0, "%s", err);
}
END_TEST

START_TEST(zones)
{
	agd_zones_t zs;
	memset(&zs, 0, sizeof(zs));
	const knot_dname_t *us = (const knot_dname_t *)"\x02us\x04test";
	const knot_dname_t *zone = (const knot_dname_t *)"\x04" "ZONE\x04test";
	hs_hsync_t hs[2];
	ck_assert_int_eq(hs_hsync_from_text(&hs[0], "ON OWNER SIGN us.test. ."), 0);
	ck_assert_int_eq(hs_hsync_from_text(&hs[1], "ON OWNER SIGN them.test. ."), 0);
	bool named = true;
	ck_assert_int_eq(agd_zones_set(&zs, zone, AGD_SRC_HSYNCD, &hs[1], 1, us, 10, &named), 0);
	ck_assert(!named);
	ck_assert_uint_eq(zs.count, 0);
	ck_assert_int_eq(agd_zones_set(&zs, zone, AGD_SRC_HSYNCD, hs, 2, us, 10, &named), 0);
	ck_assert(named);
	agd_zone_t *z = agd_zones_find(&zs, (const knot_dname_t *)"\x04zone\x04TEST");
	ck_assert_ptr_nonnull(z);
	ck_assert_str_eq(z->name_txt, "zone.test.");
	ck_assert(agd_zone_names(z, hs[1].identity));
	/* HSYNC changed to one without us: the zone goes */
	ck_assert_int_eq(agd_zones_set(&zs, zone, AGD_SRC_HSYNCD, &hs[1], 1, us, 11, &named), 0);
	ck_assert(!named);
	ck_assert_ptr_null(agd_zones_find(&zs, zone));
	agd_zones_free(&zs);
}
END_TEST

START_TEST(hsync_answer)
{
	/* an answer from hsyncd: zone.test. TYPE65282, two records */
	knot_pkt_t *pkt = knot_pkt_new(NULL, 1024, NULL);
	const knot_dname_t *zone = (const knot_dname_t *)"\x04zone\x04test";
	ck_assert_int_eq(knot_pkt_put_question(pkt, zone, KNOT_CLASS_IN, HS_RRTYPE_HSYNC), 0);
	knot_wire_set_qr(pkt->wire);
	ck_assert_int_eq(knot_pkt_begin(pkt, KNOT_ANSWER), 0);
	knot_rrset_t *rr = knot_rrset_new(zone, HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 60, NULL);
	const char *texts[] = { "ON AGENT SIGN us.test. .", "OFF AGENT NOSIGN them.test. us.test." };
	for (int i = 0; i < 2; i++) {
		hs_hsync_t h;
		uint8_t w[HS_HSYNC_WIRE_MAX];
		size_t wl;
		ck_assert_int_eq(hs_hsync_from_text(&h, texts[i]), 0);
		ck_assert_int_eq(hs_hsync_to_wire(&h, w, sizeof(w), &wl), 0);
		ck_assert_int_eq(knot_rrset_add_rdata(rr, w, (uint16_t)wl, NULL), 0);
	}
	ck_assert_int_eq(knot_pkt_put(pkt, 0, rr, 0), 0);
	hs_hsync_t out[4];
	size_t n = 0;
	ck_assert_int_eq(agd_hsync_from_answer(pkt->wire, pkt->size, zone, out, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_hsync_to_text(&out[1], t, sizeof(t)), 0);
	ck_assert_str_eq(t, "OFF AGENT NOSIGN them.test. us.test.");
	/* another zone's records are not taken; garbage is HS_EMSG */
	ck_assert_int_eq(agd_hsync_from_answer(pkt->wire, pkt->size,
	                                       (const knot_dname_t *)"\x05other\x04test", out, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(agd_hsync_from_answer((const uint8_t *)"\x01\x02\x03", 3, zone, out, 4, &n),
	                 HS_EMSG);
	knot_rrset_free(rr, NULL);
	knot_pkt_free(pkt);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agentd_config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, full);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, zones);
	tcase_add_test(tc, hsync_answer);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
