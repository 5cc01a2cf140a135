/*
 * Unit tests for libhsync/dnssec.c
 *
 * Known vectors: test/data/misc-Kexample.com.+ALG+TAG.key were made once by
 * BIND 9.18 dnssec-keygen (-f KSK for the 257 keys), and
 * test/data/misc-ds-expected.txt holds what dnssec-dsfromkey -2 and
 * -a SHA-384 printed for them (and, with -f, for misc-dnskey-alg253.txt).
 * Nothing is generated at test time.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libdnssec/binary.h>
#include <libknot/libknot.h>

#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

static const char *const key_files[] = {
	"misc-Kexample.com.+008+27799.key",  /* RSASHA256 KSK */
	"misc-Kexample.com.+013+45596.key",  /* ECDSAP256SHA256 KSK */
	"misc-Kexample.com.+014+52326.key",  /* ECDSAP384SHA384 KSK */
	"misc-Kexample.com.+015+31119.key",  /* ED25519 KSK */
	"misc-Kexample.com.+016+50835.key",  /* ED448 KSK */
	"misc-dnskey-alg253.txt",            /* PRIVATEDNS, flags 257, not a real key */
	"misc-Kexample.com.+013+16363.key",  /* ECDSAP256SHA256 ZSK */
};
static const uint16_t key_tags[] = { 27799, 45596, 52326, 31119, 50835, 12111, 16363 };
static const uint8_t key_algs[] = { 8, 13, 14, 15, 16, 253, 13 };
#define NKEYS 7
#define NKSK 6   /* the first NKSK keys have the SEP bit */

typedef struct {
	uint8_t rdata[1024];
	size_t len;
} key_t_;

/* DNSKEY RDATA from a dnssec-keygen .key file. */
static void load_key(const char *name, key_t_ *k)
{
	FILE *f = fopen(hs_testdata(name), "r");
	ck_assert_msg(f != NULL, "cannot open %s", hs_testdata(name));
	char line[4096];
	int found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == ';' || strstr(line, " DNSKEY ") == NULL) {
			continue;
		}
		unsigned flags, proto, alg;
		int off = 0;
		char *p = strstr(line, " DNSKEY ") + 8;
		ck_assert_int_eq(sscanf(p, "%u %u %u %n", &flags, &proto, &alg, &off), 3);
		char b64[4096];
		size_t n = 0;
		for (p += off; *p != '\0'; p++) {
			if (!isspace((unsigned char)*p)) {
				b64[n++] = *p;
			}
		}
		dnssec_binary_t in = { .size = n, .data = (uint8_t *)b64 };
		dnssec_binary_t key = { 0 };
		ck_assert_int_eq(dnssec_binary_from_base64(&in, &key), 0);
		ck_assert_uint_lt(key.size + 4, sizeof(k->rdata));
		k->rdata[0] = flags >> 8;
		k->rdata[1] = flags & 0xff;
		k->rdata[2] = proto;
		k->rdata[3] = alg;
		memcpy(k->rdata + 4, key.data, key.size);
		k->len = key.size + 4;
		dnssec_binary_free(&key);
		found = 1;
	}
	fclose(f);
	ck_assert_msg(found, "no DNSKEY in %s", name);
}

typedef struct {
	unsigned tag, alg, dt;
	uint8_t rdata[HS_DS_MAXLEN];
	size_t len;
} ds_t_;

/* The DS lines of misc-ds-expected.txt, as RDATA. */
static size_t load_expected(ds_t_ *ds, size_t max)
{
	FILE *f = fopen(hs_testdata("misc-ds-expected.txt"), "r");
	ck_assert_ptr_nonnull(f);
	char line[1024];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == ';') {
			continue;
		}
		char hex[200];
		ck_assert_uint_lt(n, max);
		ds_t_ *d = &ds[n];
		ck_assert_int_eq(sscanf(line, "example.com. IN DS %u %u %u %199s",
		                        &d->tag, &d->alg, &d->dt, hex), 4);
		d->rdata[0] = d->tag >> 8;
		d->rdata[1] = d->tag & 0xff;
		d->rdata[2] = d->alg;
		d->rdata[3] = d->dt;
		size_t hl = strlen(hex);
		ck_assert_uint_eq(hl % 2, 0);
		for (size_t i = 0; i < hl / 2; i++) {
			unsigned b;
			ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
			d->rdata[4 + i] = b;
		}
		d->len = 4 + hl / 2;
		n++;
	}
	fclose(f);
	return n;
}

static key_t_ keys[NKEYS];
static ds_t_ expected[2 * NKEYS];
static size_t nexpected;

static void setup(void)
{
	for (int i = 0; i < NKEYS; i++) {
		load_key(key_files[i], &keys[i]);
	}
	nexpected = load_expected(expected, 2 * NKEYS);
}

static int key_by_tag(unsigned tag)
{
	for (int i = 0; i < NKEYS; i++) {
		if (key_tags[i] == tag) {
			return i;
		}
	}
	return -1;
}

START_TEST(keytag_known)
{
	for (int i = 0; i < NKEYS; i++) {
		uint16_t tag = 0;
		ck_assert_int_eq(hs_dnssec_keytag(keys[i].rdata, keys[i].len, &tag), HS_EOK);
		ck_assert_uint_eq(tag, key_tags[i]);
		ck_assert_int_eq(hs_dnssec_algorithm(keys[i].rdata, keys[i].len), key_algs[i]);
		ck_assert_int_eq(hs_dnssec_is_ksk(keys[i].rdata, keys[i].len), i < NKSK ? 1 : 0);
		ck_assert_int_eq(hs_dnssec_is_cds_key(keys[i].rdata, keys[i].len), i < NKSK ? 1 : 0);
		uint16_t flags = 0;
		ck_assert_int_eq(hs_dnssec_flags(keys[i].rdata, keys[i].len, &flags), HS_EOK);
		ck_assert_uint_eq(flags, i < NKSK ? 257 : 256);
	}
}
END_TEST

START_TEST(ds_known)
{
	ck_assert_uint_eq(nexpected, 2 * NKEYS);
	knot_dname_t *owner = knot_dname_from_str_alloc("example.com.");
	knot_dname_t *upper = knot_dname_from_str_alloc("EXample.COM.");
	for (size_t e = 0; e < nexpected; e++) {
		int k = key_by_tag(expected[e].tag);
		ck_assert_int_ge(k, 0);
		uint8_t out[HS_DS_MAXLEN];
		size_t len = 0;
		ck_assert_int_eq(hs_dnssec_ds(owner, keys[k].rdata, keys[k].len,
		                              expected[e].dt, out, sizeof(out), &len), HS_EOK);
		ck_assert_uint_eq(len, expected[e].len);
		ck_assert_msg(memcmp(out, expected[e].rdata, len) == 0,
		              "DS %u %u %u differs from dnssec-dsfromkey", expected[e].tag,
		              expected[e].alg, expected[e].dt);
		/* the owner's case does not matter */
		memset(out, 0, sizeof(out));
		ck_assert_int_eq(hs_dnssec_ds(upper, keys[k].rdata, keys[k].len,
		                              expected[e].dt, out, sizeof(out), &len), HS_EOK);
		ck_assert_mem_eq(out, expected[e].rdata, len);
	}
	knot_dname_free(owner, NULL);
	knot_dname_free(upper, NULL);
}
END_TEST

START_TEST(ds_bad_input)
{
	knot_dname_t *owner = knot_dname_from_str_alloc("example.com.");
	uint8_t out[HS_DS_MAXLEN];
	memset(out, 0xaa, sizeof(out));
	size_t len = 12345;
	const key_t_ *k = &keys[3];

	/* unknown or refused digest types */
	ck_assert_int_eq(hs_dnssec_ds(owner, k->rdata, k->len, 1, out, sizeof(out), &len), HS_EDIGEST);
	ck_assert_int_eq(hs_dnssec_ds(owner, k->rdata, k->len, 3, out, sizeof(out), &len), HS_EDIGEST);
	ck_assert_int_eq(hs_dnssec_ds(owner, k->rdata, k->len, 0, out, sizeof(out), &len), HS_EDIGEST);
	/* buffer too small */
	ck_assert_int_eq(hs_dnssec_ds(owner, k->rdata, k->len, 2, out, 35, &len), HS_ESPACE);
	ck_assert_int_eq(hs_dnssec_ds(owner, k->rdata, k->len, 4, out, 51, &len), HS_ESPACE);
	/* short RDATA */
	for (size_t l = 0; l < 5; l++) {
		ck_assert_int_eq(hs_dnssec_ds(owner, k->rdata, l, 2, out, sizeof(out), &len), HS_ETRUNC);
	}
	/* protocol not 3 */
	uint8_t bad[1024];
	memcpy(bad, k->rdata, k->len);
	bad[2] = 2;
	ck_assert_int_eq(hs_dnssec_ds(owner, bad, k->len, 2, out, sizeof(out), &len), HS_EDNSKEY);
	uint16_t tag = 777;
	ck_assert_int_eq(hs_dnssec_keytag(bad, k->len, &tag), HS_EDNSKEY);
	ck_assert_int_eq(hs_dnssec_keytag(k->rdata, 4, &tag), HS_ETRUNC);
	ck_assert_uint_eq(tag, 777);
	ck_assert_int_eq(hs_dnssec_is_ksk(bad, k->len), HS_EDNSKEY);
	ck_assert_int_eq(hs_dnssec_algorithm(k->rdata, 3), HS_ETRUNC);

	/* nothing written on error */
	ck_assert_uint_eq(len, 12345);
	for (size_t i = 0; i < sizeof(out); i++) {
		ck_assert_uint_eq(out[i], 0xaa);
	}
	knot_dname_free(owner, NULL);
}
END_TEST

START_TEST(cdnskey_same_bytes)
{
	uint8_t out[1024];
	size_t len = 0;
	for (int i = 0; i < NKEYS; i++) {
		ck_assert_int_eq(hs_dnssec_cdnskey(keys[i].rdata, keys[i].len, out, sizeof(out), &len), HS_EOK);
		ck_assert_uint_eq(len, keys[i].len);
		ck_assert_mem_eq(out, keys[i].rdata, len);
	}
	ck_assert_int_eq(hs_dnssec_cdnskey(keys[0].rdata, keys[0].len, out, keys[0].len - 1, &len), HS_ESPACE);
	ck_assert_int_eq(hs_dnssec_cdnskey(keys[0].rdata, 4, out, sizeof(out), &len), HS_ETRUNC);
	uint8_t bad[8] = { 1, 1, 4, 13, 1, 2, 3, 4 };
	ck_assert_int_eq(hs_dnssec_cdnskey(bad, sizeof(bad), out, sizeof(out), &len), HS_EDNSKEY);
}
END_TEST

static knot_rrset_t *dnskey_set(int with_ksks, int with_revoked)
{
	knot_dname_t *owner = knot_dname_from_str_alloc("example.com.");
	knot_rrset_t *rr = knot_rrset_new(owner, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, 3600, NULL);
	knot_dname_free(owner, NULL);
	for (int i = 0; i < NKEYS; i++) {
		if (i < NKSK && !with_ksks) {
			continue;
		}
		ck_assert_int_eq(knot_rrset_add_rdata(rr, keys[i].rdata, keys[i].len, NULL), KNOT_EOK);
	}
	if (with_revoked) {
		uint8_t rev[1024];
		memcpy(rev, keys[3].rdata, keys[3].len);
		rev[1] |= HS_DNSKEY_FLAG_REVOKE;
		ck_assert_int_eq(knot_rrset_add_rdata(rr, rev, keys[3].len, NULL), KNOT_EOK);
	}
	return rr;
}

static int rrset_has(const knot_rrset_t *rr, const uint8_t *data, size_t len)
{
	for (uint16_t i = 0; i < rr->rrs.count; i++) {
		const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, i);
		if (rd->len == len && memcmp(rd->data, data, len) == 0) {
			return 1;
		}
	}
	return 0;
}

START_TEST(cds_rrset)
{
	knot_rrset_t *dnskey = dnskey_set(1, 1);
	ck_assert_uint_eq(dnskey->rrs.count, NKEYS + 1);

	knot_rrset_t *cds = NULL;
	const uint8_t both[] = { HS_DS_SHA256, HS_DS_SHA384 };
	ck_assert_int_eq(hs_dnssec_cds_rrset(dnskey, both, 2, &cds, NULL), HS_EOK);
	ck_assert_uint_eq(cds->type, KNOT_RRTYPE_CDS);
	ck_assert_uint_eq(cds->ttl, 3600);
	ck_assert_uint_eq(cds->rclass, KNOT_CLASS_IN);
	ck_assert(knot_dname_is_equal(cds->owner, dnskey->owner));
	/* six KSKs times two digests; no ZSK, no revoked key */
	ck_assert_uint_eq(cds->rrs.count, 2 * NKSK);
	for (size_t e = 0; e < nexpected; e++) {
		int want = expected[e].tag != 16363;
		ck_assert_int_eq(rrset_has(cds, expected[e].rdata, expected[e].len), want);
	}
	knot_rrset_free(cds, NULL);

	const uint8_t one[] = { HS_DS_SHA256 };
	ck_assert_int_eq(hs_dnssec_cds_rrset(dnskey, one, 1, &cds, NULL), HS_EOK);
	ck_assert_uint_eq(cds->rrs.count, NKSK);
	knot_rrset_free(cds, NULL);

	knot_rrset_t *cdnskey = NULL;
	ck_assert_int_eq(hs_dnssec_cdnskey_rrset(dnskey, &cdnskey, NULL), HS_EOK);
	ck_assert_uint_eq(cdnskey->type, KNOT_RRTYPE_CDNSKEY);
	ck_assert_uint_eq(cdnskey->rrs.count, NKSK);
	for (int i = 0; i < NKEYS; i++) {
		ck_assert_int_eq(rrset_has(cdnskey, keys[i].rdata, keys[i].len), i < NKSK);
	}
	knot_rrset_free(cdnskey, NULL);

	/* bad digest: nothing built */
	knot_rrset_t *untouched = (knot_rrset_t *)0x1;
	const uint8_t sha1[] = { HS_DS_SHA256, 1 };
	ck_assert_int_eq(hs_dnssec_cds_rrset(dnskey, sha1, 2, &untouched, NULL), HS_EDIGEST);
	ck_assert_int_eq(hs_dnssec_cds_rrset(dnskey, one, 0, &untouched, NULL), HS_EINVAL);
	ck_assert_ptr_eq(untouched, (knot_rrset_t *)0x1);
	knot_rrset_free(dnskey, NULL);

	/* only a ZSK: nothing to publish */
	dnskey = dnskey_set(0, 0);
	ck_assert_int_eq(hs_dnssec_cds_rrset(dnskey, one, 1, &untouched, NULL), HS_ENOTFOUND);
	ck_assert_int_eq(hs_dnssec_cdnskey_rrset(dnskey, &untouched, NULL), HS_ENOTFOUND);
	ck_assert_ptr_eq(untouched, (knot_rrset_t *)0x1);

	/* a malformed DNSKEY in the set is an error */
	uint8_t bad[8] = { 1, 1, 2, 13, 1, 2, 3, 4 };
	ck_assert_int_eq(knot_rrset_add_rdata(dnskey, bad, sizeof(bad), NULL), KNOT_EOK);
	ck_assert_int_eq(hs_dnssec_cdnskey_rrset(dnskey, &untouched, NULL), HS_EDNSKEY);
	ck_assert_ptr_eq(untouched, (knot_rrset_t *)0x1);
	knot_rrset_free(dnskey, NULL);

	/* not a DNSKEY RRset */
	knot_rrset_t *a = knot_rrset_new((const knot_dname_t *)"\0", KNOT_RRTYPE_A, KNOT_CLASS_IN, 0, NULL);
	ck_assert_int_eq(hs_dnssec_cdnskey_rrset(a, &untouched, NULL), HS_EINVAL);
	knot_rrset_free(a, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dnssec");
	TCase *tc = tcase_create("dnssec");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, keytag_known);
	tcase_add_test(tc, ds_known);
	tcase_add_test(tc, ds_bad_input);
	tcase_add_test(tc, cdnskey_same_bytes);
	tcase_add_test(tc, cds_rrset);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
