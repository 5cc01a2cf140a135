/* Unit tests for agentd/trust.c: the parent's trust store of child SIG(0) keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "agentd/trust.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

#define T0 1800000000

static hs_key_t *load(const char *stem)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s.key", hs_testdata(stem));
	hs_key_t *k = NULL;
	char why[HS_KEY_WHY_SIZE] = "";
	int ret = hs_key_load_public(path, &k, why, sizeof(why));
	ck_assert_msg(ret == HS_EOK, "%s", why);
	return k;
}

static hs_key_t *ka, *kb, *ko;
static char dir[] = "/tmp/hs-trust-XXXXXX";
static char path[256];

static void setup(void)
{
	ka = load("ddns-keys/Kchild.parent.example.+015+41513");
	kb = load("ddns-keys/Kchild.parent.example.+013+11727");
	ko = load("ddns-keys/Kother.parent.example.+015+11861");
	strcpy(dir, "/tmp/hs-trust-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trust.json", dir);
}

static void teardown(void)
{
	hs_key_free(ka);
	hs_key_free(kb);
	hs_key_free(ko);
	unlink(path);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
}

#define RD(k) (k)->rdata.data, (k)->rdata.size

START_TEST(states)
{
	hs_trust_t *t = NULL;
	ck_assert_int_eq(hs_trust_new(2, &t), HS_EOK);
	bool added = false;
	ck_assert_uint_eq(hs_trust_keystate(t, ka->owner, ka->keytag), HS_KS_UNKNOWN);
	ck_assert_int_eq(hs_trust_add_pending(t, ka->owner, RD(ka), T0, &added), HS_EOK);
	ck_assert(added);
	ck_assert_int_eq(hs_trust_add_pending(t, ka->owner, RD(ka), T0 + 1, &added), HS_EOK);
	ck_assert(!added);
	ck_assert_uint_eq(hs_trust_count(t), 1);
	const hs_trust_entry_t *e = hs_trust_find(t, ka->owner, RD(ka));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->keytag, 41513);
	ck_assert_uint_eq(e->algorithm, 15);
	ck_assert_int_eq(e->state, HS_TRUST_PENDING);
	ck_assert_int_eq(e->added, T0);
	ck_assert_uint_eq(hs_trust_keystate(t, ka->owner, ka->keytag), HS_KS_AUTO_BOOTSTRAP);
	/* multi-vantage: two consistent rounds in a row are needed */
	hs_trust_state_t st;
	ck_assert_int_eq(hs_trust_observe(t, ka->owner, RD(ka), true, T0 + 10, &st), HS_EOK);
	ck_assert_int_eq(st, HS_TRUST_PENDING);
	ck_assert_int_eq(hs_trust_observe(t, ka->owner, RD(ka), false, T0 + 20, &st), HS_EOK);
	ck_assert_uint_eq(hs_trust_find(t, ka->owner, RD(ka))->confirmations, 0);
	ck_assert_int_eq(hs_trust_observe(t, ka->owner, RD(ka), true, T0 + 30, &st), HS_EOK);
	ck_assert_int_eq(st, HS_TRUST_PENDING);
	ck_assert_int_eq(hs_trust_observe(t, ka->owner, RD(ka), true, T0 + 40, &st), HS_EOK);
	ck_assert_int_eq(st, HS_TRUST_TRUSTED);
	e = hs_trust_find(t, ka->owner, RD(ka));
	ck_assert_int_eq(e->via, HS_TRUST_VIA_MULTI);
	ck_assert_int_eq(e->changed, T0 + 40);
	ck_assert_uint_eq(hs_trust_keystate(t, ka->owner, ka->keytag), HS_KS_TRUSTED);
	ck_assert_int_eq(hs_trust_observe(t, ka->owner, RD(ka), true, T0, NULL), HS_EINVAL);

	/* a roll: the new key pending does not remove the old trusted one */
	ck_assert_int_eq(hs_trust_add_pending(t, kb->owner, RD(kb), T0 + 50, NULL), HS_EOK);
	ck_assert_uint_eq(hs_trust_keystate(t, ka->owner, ka->keytag), HS_KS_TRUSTED);
	ck_assert_int_eq(hs_trust_remove(t, ka->owner, RD(ka)), HS_EEXIST);
	ck_assert_int_eq(hs_trust_refuse(t, ka->owner, RD(ka), T0), HS_EEXIST);
	ck_assert_int_eq(hs_trust_need_manual(t, kb->owner, RD(kb), T0 + 55), HS_EOK);
	ck_assert_uint_eq(hs_trust_keystate(t, kb->owner, kb->keytag), HS_KS_MANUAL_BOOTSTRAP);
	/* validated: the new key replaces the old one */
	ck_assert_int_eq(hs_trust_validated(t, kb->owner, RD(kb), T0 + 60), HS_EOK);
	ck_assert_uint_eq(hs_trust_count(t), 1);
	ck_assert_ptr_null(hs_trust_find(t, ka->owner, RD(ka)));
	ck_assert_int_eq(hs_trust_find(t, kb->owner, RD(kb))->via, HS_TRUST_VIA_DNSSEC);
	ck_assert(!hs_trust_find(t, kb->owner, RD(kb))->manual_needed);
	/* other children are separate */
	ck_assert_int_eq(hs_trust_manual(t, ko->owner, RD(ko), T0), HS_EOK);
	ck_assert_uint_eq(hs_trust_count(t), 2);
	ck_assert_uint_eq(hs_trust_keystate(t, ko->owner, kb->keytag), HS_KS_UNKNOWN);
	ck_assert_int_eq(hs_trust_refuse(t, ko->owner, RD(ko), T0 + 1), HS_EOK);
	ck_assert_uint_eq(hs_trust_keystate(t, ko->owner, ko->keytag), HS_KS_REFUSED);
	ck_assert_int_eq(hs_trust_remove(t, ko->owner, RD(ko)), HS_EOK);
	ck_assert_int_eq(hs_trust_remove(t, ko->owner, RD(ko)), HS_ENOTFOUND);
	ck_assert_int_eq(hs_trust_validated(t, ko->owner, RD(ko), T0), HS_ENOTFOUND);
	/* the look-up for SIG(0) */
	hs_sig0_info_t info;
	memset(&info, 0, sizeof(info));
	memcpy(info.signer, kb->owner, knot_dname_size(kb->owner));
	info.keytag = kb->keytag;
	info.algorithm = kb->algorithm;
	const hs_key_t *k = hs_trust_lookup(&info, 0, t);
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_eq(hs_trust_entry_of(t, k), hs_trust_find(t, kb->owner, RD(kb)));
	ck_assert_ptr_null(hs_trust_lookup(&info, 1, t));
	info.algorithm = 15;
	ck_assert_ptr_null(hs_trust_lookup(&info, 0, t));
	/* RDATA that is no key */
	ck_assert_int_ne(hs_trust_add_pending(t, ka->owner, (const uint8_t *)"\x02\x00\x03", 3, T0, NULL), HS_EOK);
	hs_trust_free(t);
}
END_TEST

/* A response for CHILD KEY with the given keys (up to 2), RCODE, AD and AA. */
static size_t key_answer(uint8_t *buf, const hs_key_t *k1, const hs_key_t *k2, uint8_t rcode,
                         bool ad, bool aa)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	knot_wire_set_qr(pkt->wire);
	if (ad) {
		knot_wire_set_ad(pkt->wire);
	}
	if (aa) {
		knot_wire_set_aa(pkt->wire);
	}
	knot_wire_set_rcode(pkt->wire, rcode);
	ck_assert_int_eq(knot_pkt_put_question(pkt, ka->owner, KNOT_CLASS_IN, HS_RRTYPE_KEY), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_begin(pkt, KNOT_ANSWER), KNOT_EOK);
	const hs_key_t *ks[] = { k1, k2 };
	for (int i = 0; i < 2; i++) {
		if (ks[i] == NULL) {
			continue;
		}
		knot_rrset_t *rr = knot_rrset_new(ka->owner, HS_RRTYPE_KEY, KNOT_CLASS_IN, 300, NULL);
		ck_assert_int_eq(knot_rrset_add_rdata(rr, ks[i]->rdata.data, ks[i]->rdata.size, NULL), KNOT_EOK);
		ck_assert_int_eq(knot_pkt_put(pkt, 0, rr, 0), KNOT_EOK);
		knot_rrset_free(rr, NULL);
	}
	size_t n = pkt->size;
	memcpy(buf, pkt->wire, n);
	knot_pkt_free(pkt);
	return n;
}

START_TEST(lookups)
{
	hs_trust_t *t = NULL;
	ck_assert_int_eq(hs_trust_new(2, &t), HS_EOK);
	ck_assert_int_eq(hs_trust_add_pending(t, ka->owner, RD(ka), T0, NULL), HS_EOK);
	ck_assert_int_eq(hs_trust_add_pending(t, kb->owner, RD(kb), T0, NULL), HS_EOK);
	uint8_t b1[4096], b2[4096];
	/* validated look-up: AD needed, the key must be in the answer */
	size_t n1 = key_answer(b1, ka, NULL, KNOT_RCODE_NOERROR, false, true);
	ck_assert_int_eq(hs_trust_check_validated(t, ka->owner, RD(ka), b1, n1, T0), HS_EDISC_NOAD);
	n1 = key_answer(b1, kb, NULL, KNOT_RCODE_NOERROR, true, false);
	ck_assert_int_eq(hs_trust_check_validated(t, ka->owner, RD(ka), b1, n1, T0), HS_ENOTFOUND);
	n1 = key_answer(b1, kb, ka, KNOT_RCODE_SERVFAIL, true, false);
	ck_assert_int_eq(hs_trust_check_validated(t, ka->owner, RD(ka), b1, n1, T0), HS_EDISC_RCODE);
	ck_assert_int_eq(hs_trust_check_validated(t, ka->owner, RD(ka), b1, 5, T0), HS_EDISC_MISMATCH);
	ck_assert_int_eq(hs_trust_find(t, ka->owner, RD(ka))->state, HS_TRUST_PENDING);
	n1 = key_answer(b1, kb, ka, KNOT_RCODE_NOERROR, true, false);
	ck_assert_int_eq(hs_trust_check_validated(t, ka->owner, RD(ka), b1, n1, T0 + 1), HS_EOK);
	ck_assert_int_eq(hs_trust_find(t, ka->owner, RD(ka))->state, HS_TRUST_TRUSTED);
	ck_assert_int_eq(hs_trust_find(t, ka->owner, RD(ka))->via, HS_TRUST_VIA_DNSSEC);
	ck_assert_int_eq(hs_trust_check_validated(t, ko->owner, RD(ko), b1, n1, T0), HS_ENOTFOUND);

	/* multi-vantage rounds for kb: every answer AA with the key */
	const uint8_t *ans[2] = { b1, b2 };
	size_t lens[2];
	hs_trust_state_t st;
	lens[0] = key_answer(b1, kb, NULL, KNOT_RCODE_NOERROR, false, true);
	lens[1] = key_answer(b2, kb, ka, KNOT_RCODE_NOERROR, false, true);
	ck_assert_int_eq(hs_trust_check_round(t, kb->owner, RD(kb), ans, lens, 2, T0 + 2, &st), HS_EOK);
	ck_assert_int_eq(st, HS_TRUST_PENDING);
	ck_assert_uint_eq(hs_trust_find(t, kb->owner, RD(kb))->confirmations, 1);
	lens[1] = key_answer(b2, ka, NULL, KNOT_RCODE_NOERROR, false, true);   /* one server differs */
	ck_assert_int_eq(hs_trust_check_round(t, kb->owner, RD(kb), ans, lens, 2, T0 + 3, &st), HS_EOK);
	ck_assert_uint_eq(hs_trust_find(t, kb->owner, RD(kb))->confirmations, 0);
	lens[1] = key_answer(b2, kb, NULL, KNOT_RCODE_NOERROR, false, false);  /* not authoritative */
	ck_assert_int_eq(hs_trust_check_round(t, kb->owner, RD(kb), ans, lens, 2, T0 + 4, &st), HS_EOK);
	ck_assert_uint_eq(hs_trust_find(t, kb->owner, RD(kb))->confirmations, 0);
	ck_assert_int_eq(hs_trust_check_round(t, kb->owner, RD(kb), ans, lens, 0, T0 + 4, &st), HS_EOK);
	ck_assert_uint_eq(hs_trust_find(t, kb->owner, RD(kb))->confirmations, 0);
	lens[1] = key_answer(b2, kb, NULL, KNOT_RCODE_NOERROR, false, true);
	ck_assert_int_eq(hs_trust_check_round(t, kb->owner, RD(kb), ans, lens, 2, T0 + 5, &st), HS_EOK);
	ck_assert_int_eq(hs_trust_check_round(t, kb->owner, RD(kb), ans, lens, 2, T0 + 6, &st), HS_EOK);
	ck_assert_int_eq(st, HS_TRUST_TRUSTED);
	/* kb now trusted via MULTI replaced ka */
	ck_assert_int_eq(hs_trust_find(t, kb->owner, RD(kb))->via, HS_TRUST_VIA_MULTI);
	ck_assert_ptr_null(hs_trust_find(t, ka->owner, RD(ka)));
	hs_trust_free(t);
}
END_TEST

START_TEST(persist)
{
	hs_trust_t *t = NULL, *u = NULL;
	char why[HS_TRUST_WHY_SIZE] = "";
	ck_assert_int_eq(hs_trust_new(0, &t), HS_EOK);
	ck_assert_int_eq(hs_trust_manual(t, ka->owner, RD(ka), T0), HS_EOK);
	ck_assert_int_eq(hs_trust_add_pending(t, kb->owner, RD(kb), T0 + 5, NULL), HS_EOK);
	ck_assert_int_eq(hs_trust_observe(t, kb->owner, RD(kb), true, T0 + 6, NULL), HS_EOK);
	ck_assert_int_eq(hs_trust_add_pending(t, ko->owner, RD(ko), T0 + 7, NULL), HS_EOK);
	ck_assert_int_eq(hs_trust_need_manual(t, ko->owner, RD(ko), T0 + 8), HS_EOK);
	ck_assert_int_eq(hs_trust_save(t, path, why, sizeof(why)), HS_EOK);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_ne(access(tmp, F_OK), 0);

	ck_assert_int_eq(hs_trust_new(0, &u), HS_EOK);
	ck_assert_int_eq(hs_trust_load(u, path, why, sizeof(why)), HS_EOK);
	ck_assert_uint_eq(hs_trust_count(u), 3);
	for (size_t i = 0; i < 3; i++) {
		const hs_trust_entry_t *a = hs_trust_get(t, i), *b = hs_trust_get(u, i);
		ck_assert(knot_dname_is_equal(a->child, b->child));
		ck_assert_uint_eq(a->key->rdata.size, b->key->rdata.size);
		ck_assert(memcmp(a->key->rdata.data, b->key->rdata.data, a->key->rdata.size) == 0);
		ck_assert_uint_eq(a->keytag, b->keytag);
		ck_assert_int_eq(a->state, b->state);
		ck_assert_int_eq(a->via, b->via);
		ck_assert_uint_eq(a->confirmations, b->confirmations);
		ck_assert_int_eq(a->manual_needed, b->manual_needed);
		ck_assert_int_eq(a->added, b->added);
		ck_assert_int_eq(a->changed, b->changed);
	}
	ck_assert_uint_eq(hs_trust_keystate(u, ko->owner, ko->keytag), HS_KS_MANUAL_BOOTSTRAP);
	/* the file as written: known text for the first entry */
	FILE *f = fopen(path, "r");
	char text[8192];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	ck_assert_ptr_nonnull(strstr(text, "\"child\": \"child.parent.example.\""));
	ck_assert_ptr_nonnull(strstr(text, "\"keytag\": 41513"));
	ck_assert_ptr_nonnull(strstr(text, "\"state\": \"trusted\""));
	ck_assert_ptr_nonnull(strstr(text, "\"via\": \"manual\""));
	hs_trust_free(u);
	hs_trust_free(t);

	/* no file */
	ck_assert_int_eq(hs_trust_new(0, &u), HS_EOK);
	ck_assert_int_eq(hs_trust_load(u, "/nonexistent/trust.json", why, sizeof(why)), HS_ENOTFOUND);
	/* unwritable place */
	ck_assert_int_eq(hs_trust_save(u, "/nonexistent/trust.json", why, sizeof(why)), HS_EIO);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/trust.json"));
	hs_trust_free(u);
}
END_TEST

/* Load a corrupt file: HS_ECONF with a reason containing WANT; the store keeps what it had. */
static void corrupt(const char *text, const char *want)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	hs_trust_t *t = NULL;
	ck_assert_int_eq(hs_trust_new(0, &t), HS_EOK);
	ck_assert_int_eq(hs_trust_manual(t, ka->owner, RD(ka), T0), HS_EOK);
	char why[HS_TRUST_WHY_SIZE] = "";
	ck_assert_int_eq(hs_trust_load(t, path, why, sizeof(why)), HS_ECONF);
	ck_assert_msg(strstr(why, want) != NULL, "reason \"%s\" lacks \"%s\"", why, want);
	ck_assert_ptr_nonnull(strstr(why, path));
	ck_assert_uint_eq(hs_trust_count(t), 1);
	hs_trust_free(t);
}

START_TEST(corrupt_files)
{
	char good[2048];
	hs_trust_t *t = NULL;
	ck_assert_int_eq(hs_trust_new(0, &t), HS_EOK);
	ck_assert_int_eq(hs_trust_manual(t, ka->owner, RD(ka), T0), HS_EOK);
	ck_assert_int_eq(hs_trust_save(t, path, NULL, 0), HS_EOK);
	hs_trust_free(t);
	FILE *f = fopen(path, "r");
	size_t n = fread(good, 1, sizeof(good) - 1, f);
	fclose(f);
	good[n] = '\0';

	corrupt("", "");
	corrupt("{\"version\": 1, \"needed\": 3, \"keys\": [", "");
	corrupt("[]", "");
	corrupt("{\"version\": 2, \"needed\": 3, \"keys\": []}", "version 2");
	corrupt("{\"version\": 1, \"needed\": 3, \"keys\": {}}", "not an array");
	corrupt("{\"version\": 1, \"needed\": 3, \"keys\": [], \"extra\": 1}", "");
	char buf[4096];
	/* each field broken in turn */
	struct { const char *from, *to, *want; } subs[] = {
		{ "\"keytag\": 41513", "\"keytag\": 41514", "keytag" },
		{ "\"state\": \"trusted\"", "\"state\": \"sure\"", "bad state" },
		{ "\"via\": \"manual\"", "\"via\": \"magic\"", "bad state" },
		{ "\"child\": \"child.parent.example.\"", "\"child\": \"child.parent.example\"", "bad child name" },
		{ "\"rdata\": \"", "\"rdata\": \"!!", "base64" },
		{ "\"rdata\": \"", "\"rdata\": \"AAAA", "key 0" },
		{ "\"confirmations\": 0", "\"confirmations\": \"0\"", "key 0" },
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char *p = strstr(good, subs[i].from);
		ck_assert_msg(p != NULL, "%s not in %s", subs[i].from, good);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - good), good, subs[i].to,
		         p + strlen(subs[i].from));
		corrupt(buf, subs[i].want);
	}
	/* the same key twice */
	char *k0 = strchr(good, '[');
	char *k1 = strrchr(good, ']');
	ck_assert_ptr_nonnull(k0);
	ck_assert_ptr_nonnull(k1);
	snprintf(buf, sizeof(buf), "%.*s%.*s, %.*s%s", (int)(k0 + 1 - good), good,
	         (int)(k1 - k0 - 1), k0 + 1, (int)(k1 - k0 - 1), k0 + 1, k1);
	corrupt(buf, "twice");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, states);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, persist);
	tcase_add_test(tc, corrupt_files);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
