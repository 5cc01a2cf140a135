/* Unit tests for libhsync/key.c: dnssec-keygen key pairs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdnssec/binary.h>
#include <libdnssec/key.h>
#include <libknot/descriptor.h>
#include <libknot/dname.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "test/unit/unit.h"

/* The committed keys (test/data/sig0-keys, made once by dnssec-keygen -T KEY). */
static const struct {
	const char *stem;
	uint8_t alg;
	uint16_t tag;
} KEYS[] = {
	{ "sig0-keys/Ksig0.example.+008+60107", 8, 60107 },
	{ "sig0-keys/Ksig0.example.+013+13510", 13, 13510 },
	{ "sig0-keys/Ksig0.example.+014+10883", 14, 10883 },
	{ "sig0-keys/Ksig0.example.+015+19511", 15, 19511 },
};

static char *data_path(const char *stem, const char *suffix)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s%s", hs_testdata(stem), suffix), 0);
	return p;
}

/* A scratch directory for bad key files. */
static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/hs-test-key.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *tmp_write(const char *name, const char *text)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", tmpdir, name), 0);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	char *buf = calloc(1, 8192);
	size_t n = fread(buf, 1, 8191, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Copy a committed key file into the scratch dir under NAME, optionally editing it. */
static char *tmp_copy(const char *stem, const char *suffix, const char *name,
                      const char *from, const char *to)
{
	char *src = data_path(stem, suffix);
	char *text = slurp(src);
	free(src);
	if (from != NULL) {
		char *at = strstr(text, from);
		ck_assert_ptr_nonnull(at);
		char *edited = NULL;
		ck_assert_int_ge(asprintf(&edited, "%.*s%s%s", (int)(at - text), text, to,
		                          at + strlen(from)), 0);
		free(text);
		text = edited;
	}
	char *p = tmp_write(name, text);
	free(text);
	return p;
}

START_TEST(load_each_algorithm)
{
	/* _i runs over KEYS; load by .key, .private and stem. */
	const char *suffixes[] = { ".key", ".private", "" };
	for (int s = 0; s < 3; s++) {
		char *path = data_path(KEYS[_i].stem, suffixes[s]);
		char why[HS_KEY_WHY_SIZE] = "";
		hs_key_t *k = NULL;
		int ret = hs_key_load(path, &k, why, sizeof(why));
		ck_assert_msg(ret == HS_EOK, "%s: %s (%s)", path, hs_strerror(ret), why);
		ck_assert_int_eq(k->algorithm, KEYS[_i].alg);
		ck_assert_int_eq(k->keytag, KEYS[_i].tag);
		ck_assert_int_eq(k->flags, 512);
		ck_assert_int_eq(k->protocol, 3);
		ck_assert_int_eq(k->rrtype, HS_RRTYPE_KEY);
		ck_assert(k->has_private);
		ck_assert(dnssec_key_can_sign(k->dkey));
		ck_assert(knot_dname_is_equal(k->owner, (const knot_dname_t *)"\x04sig0\x07" "example"));
		ck_assert_uint_eq(k->rdata.data[0], 0x02);
		ck_assert_uint_eq(k->rdata.data[3], KEYS[_i].alg);
		hs_key_free(k);
		free(path);
	}
}
END_TEST

START_TEST(ed25519_rdata_bytes)
{
	/* Ksig0.example.+015+19511.key: KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0= */
	static const uint8_t want[] = {
		0x02, 0x00, 0x03, 0x0f,
		0x70, 0x90, 0xd9, 0xbc, 0x6f, 0xe7, 0x64, 0xeb, 0x8a, 0x4f, 0x70, 0x7a,
		0x26, 0xc6, 0x19, 0x40, 0x66, 0x80, 0xb8, 0x4e, 0xb8, 0xa7, 0x3a, 0xfc,
		0x42, 0x7f, 0xd6, 0x87, 0x6a, 0xa0, 0x57, 0x1d,
	};
	char *path = data_path(KEYS[3].stem, ".key");
	hs_key_t *k = NULL;
	ck_assert_int_eq(hs_key_load_public(path, &k, NULL, 0), HS_EOK);
	ck_assert_uint_eq(k->rdata.size, sizeof(want));
	ck_assert_mem_eq(k->rdata.data, want, sizeof(want));
	ck_assert(!k->has_private);
	ck_assert(!dnssec_key_can_sign(k->dkey));
	ck_assert(dnssec_key_can_verify(k->dkey));
	ck_assert_int_eq(k->keytag, 19511);

	/* the same key from RDATA bytes, as from a DNS answer */
	hs_key_t *r = NULL;
	ck_assert_int_eq(hs_key_from_rdata((const knot_dname_t *)"\x04SIG0\x07" "example",
	                                   want, sizeof(want), &r), HS_EOK);
	ck_assert_int_eq(r->keytag, 19511);
	ck_assert_int_eq(r->rrtype, 0);
	ck_assert(knot_dname_is_equal(r->owner, k->owner)); /* lower-cased */
	ck_assert(!r->has_private);
	hs_key_free(r);

	/* bad RDATA */
	ck_assert_int_eq(hs_key_from_rdata(k->owner, want, 3, &r), HS_EKEYFILE);
	uint8_t alg10[sizeof(want)];
	memcpy(alg10, want, sizeof(want));
	alg10[3] = 10;
	ck_assert_int_eq(hs_key_from_rdata(k->owner, alg10, sizeof(alg10), &r), HS_EKEYALG);
	ck_assert_int_eq(hs_key_from_rdata(k->owner, want, 20, &r), HS_EKEYFILE); /* short key */
	hs_key_free(k);
	free(path);
}
END_TEST

START_TEST(dnskey_file)
{
	char *path = data_path("sig0-keys/Kdnskey.example.+013+02582", ".private");
	hs_key_t *k = NULL;
	ck_assert_int_eq(hs_key_load(path, &k, NULL, 0), HS_EOK);
	ck_assert_int_eq(k->rrtype, KNOT_RRTYPE_DNSKEY);
	ck_assert_int_eq(k->flags, 257);
	ck_assert_int_eq(k->keytag, 2582);
	hs_key_free(k);
	free(path);
}
END_TEST

START_TEST(paths)
{
	char *pub = NULL, *priv = NULL;
	ck_assert_int_eq(hs_key_paths("d/Kx.+015+00001.private", &pub, &priv), HS_EOK);
	ck_assert_str_eq(pub, "d/Kx.+015+00001.key");
	ck_assert_str_eq(priv, "d/Kx.+015+00001.private");
	free(pub);
	free(priv);
	ck_assert_int_eq(hs_key_paths("Kx.+015+00001", &pub, &priv), HS_EOK);
	ck_assert_str_eq(pub, "Kx.+015+00001.key");
	ck_assert_str_eq(priv, "Kx.+015+00001.private");
	free(pub);
	free(priv);
	ck_assert_int_eq(hs_key_paths("", &pub, &priv), HS_EINVAL);
	ck_assert_int_eq(hs_key_paths(NULL, &pub, &priv), HS_EINVAL);
}
END_TEST

START_TEST(missing_files)
{
	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *k = (hs_key_t *)0x1;
	ck_assert_int_eq(hs_key_load("/nonexistent/Kx.key", &k, why, sizeof(why)), HS_EKEYFILE);
	ck_assert_ptr_eq(k, (hs_key_t *)0x1); /* untouched on error */
	ck_assert_msg(strstr(why, "/nonexistent/Kx.key") != NULL, "why: %s", why);

	/* .key present, .private missing */
	char *pub = tmp_copy(KEYS[3].stem, ".key", "K1.key", NULL, NULL);
	ck_assert_int_eq(hs_key_load(pub, &k, why, sizeof(why)), HS_EKEYFILE);
	ck_assert_msg(strstr(why, "K1.private") != NULL, "why: %s", why);
	/* but the public half loads */
	ck_assert_int_eq(hs_key_load_public(pub, &k, why, sizeof(why)), HS_EOK);
	hs_key_free(k);
	free(pub);
}
END_TEST

START_TEST(mismatched_pairs)
{
	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *k = NULL;
	/* each algorithm: .key of sig0, .private of another key of the same algorithm */
	free(tmp_copy(KEYS[3].stem, ".key", "A.key", NULL, NULL));
	free(tmp_copy("sig0-keys/Kother.example.+015+24743", ".private", "A.private", NULL, NULL));
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/A.key", tmpdir), 0);
	ck_assert_int_eq(hs_key_load(p, &k, why, sizeof(why)), HS_EKEYMISMATCH);
	free(p);

	free(tmp_copy(KEYS[1].stem, ".key", "B.key", NULL, NULL));
	free(tmp_copy("sig0-keys/Kdnskey.example.+013+02582", ".private", "B.private", NULL, NULL));
	ck_assert_int_ge(asprintf(&p, "%s/B", tmpdir), 0);
	ck_assert_int_eq(hs_key_load(p, &k, why, sizeof(why)), HS_EKEYMISMATCH);
	free(p);

	/* RSA: a changed Modulus no longer fits the .key */
	free(tmp_copy(KEYS[0].stem, ".key", "C.key", NULL, NULL));
	free(tmp_copy(KEYS[0].stem, ".private", "C.private", "Modulus: lM", "Modulus: kM"));
	ck_assert_int_ge(asprintf(&p, "%s/C.private", tmpdir), 0);
	int ret = hs_key_load(p, &k, why, sizeof(why));
	ck_assert_msg(ret == HS_EKEYMISMATCH, "%s: %s", hs_strerror(ret), why);
	free(p);

	/* Algorithm line disagrees with the .key */
	free(tmp_copy(KEYS[3].stem, ".key", "D.key", NULL, NULL));
	free(tmp_copy(KEYS[3].stem, ".private", "D.private", "Algorithm: 15", "Algorithm: 13"));
	ck_assert_int_ge(asprintf(&p, "%s/D.key", tmpdir), 0);
	ck_assert_int_eq(hs_key_load(p, &k, why, sizeof(why)), HS_EKEYMISMATCH);
	free(p);
}
END_TEST

/* Each bad .private text gives HS_EKEYFILE and names what is wrong. */
START_TEST(bad_private_files)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "", "empty" },
		{ "Algorithm: 15 (ED25519)\nPrivateKey: AAAA\n", "Private-key-format" },
		{ "Private-key-format: v2.0\nAlgorithm: 15\n", "Private-key-format" },
		{ "Private-key-format: v1.3\nPrivateKey: cVTDlh9fJ6LL6Tf1F2MP26I2VqMCTLeJu9SVgkfQ6qw=\n", "no Algorithm" },
		{ "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\n", "no PrivateKey" },
		{ "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: !!!\n", "bad base64" },
		{ "Private-key-format: v1.3\nAlgorithm: x\n", "bad Algorithm" },
		{ "Private-key-format: v1.3\nAlgorithm: 15\ngarbage line\n", "no ':'" },
		{ "Private-key-format: v1.3\nAlgorithm: 15\nPrivateKey: AAAA\nPrivateKey: AAAA\n", "twice" },
	};
	free(tmp_copy(KEYS[3].stem, ".key", "E.key", NULL, NULL));
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/E.key", tmpdir), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		free(tmp_write("E.private", cases[i].text));
		char why[HS_KEY_WHY_SIZE] = "";
		hs_key_t *k = NULL;
		int ret = hs_key_load(p, &k, why, sizeof(why));
		ck_assert_msg(ret == HS_EKEYFILE, "case %zu: %s", i, hs_strerror(ret));
		ck_assert_msg(strstr(why, cases[i].why) != NULL, "case %zu: why '%s'", i, why);
		ck_assert_ptr_null(k);
	}
	/* an RSA file without a prime */
	free(tmp_copy(KEYS[0].stem, ".key", "F.key", NULL, NULL));
	free(tmp_copy(KEYS[0].stem, ".private", "F.private", "Prime2:", "Xrime2:"));
	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *k = NULL;
	free(p);
	ck_assert_int_ge(asprintf(&p, "%s/F.key", tmpdir), 0);
	ck_assert_int_eq(hs_key_load(p, &k, why, sizeof(why)), HS_EKEYFILE);
	ck_assert_msg(strstr(why, "no Prime2") != NULL, "why '%s'", why);
	free(p);
}
END_TEST

START_TEST(bad_public_files)
{
	static const struct {
		const char *text;
		int code;
	} cases[] = {
		{ "; only a comment\n", HS_EKEYFILE },
		{ "x.example. IN A 192.0.2.1\n", HS_EKEYFILE },
		{ "x.example. IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n"
		  "x.example. IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n", HS_EKEYFILE },
		{ "x.example. IN KEY 512 3 15 !!!\n", HS_EKEYFILE },
		{ "x.example. IN KEY 512 3 15 AAAA\n", HS_EKEYFILE },   /* 3-byte key */
		{ "x.example. IN KEY 512 3 16 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n", HS_EKEYALG },
		{ "x.example. IN DNSKEY 256 3 10 AwEAAZTPhIZ+cn0KROE4dliuLr0R5TYkxMl14AuL0Gwy1aMT\n", HS_EKEYALG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = tmp_write("G.key", cases[i].text);
		char why[HS_KEY_WHY_SIZE] = "";
		hs_key_t *k = NULL;
		int ret = hs_key_load_public(p, &k, why, sizeof(why));
		ck_assert_msg(ret == cases[i].code, "case %zu: %s (%s)", i, hs_strerror(ret), why);
		ck_assert_msg(strstr(why, "G.key") != NULL, "case %zu: why '%s'", i, why);
		ck_assert_ptr_null(k);
		free(p);
	}
	/* a name without the final dot is taken relative to the root */
	char *p = tmp_write("H.key", "x.example IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n");
	hs_key_t *k = NULL;
	ck_assert_int_eq(hs_key_load_public(p, &k, NULL, 0), HS_EOK);
	ck_assert(knot_dname_is_equal(k->owner, (const knot_dname_t *)"\x01x\x07" "example"));
	hs_key_free(k);
	free(p);
	hs_key_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("load");
	tcase_add_loop_test(tc, load_each_algorithm, 0, sizeof(KEYS) / sizeof(KEYS[0]));
	tcase_add_test(tc, ed25519_rdata_bytes);
	tcase_add_test(tc, dnskey_file);
	tcase_add_test(tc, paths);
	suite_add_tcase(s, tc);

	TCase *bad = tcase_create("bad");
	tcase_add_checked_fixture(bad, tmp_setup, tmp_teardown);
	tcase_add_test(bad, missing_files);
	tcase_add_test(bad, mismatched_pairs);
	tcase_add_test(bad, bad_private_files);
	tcase_add_test(bad, bad_public_files);
	suite_add_tcase(s, bad);
	return s;
}

HS_TEST_MAIN()
