/* Unit tests for libhsync/sig0.c: SIG(0) sign and verify. */
#include <stdlib.h>
#include <string.h>

#include <libknot/consts.h>
#include <libknot/descriptor.h>
#include <libknot/dname.h>
#include <libknot/packet/pkt.h>
#include <libknot/packet/wire.h>
#include <libknot/wire.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "libhsync/sig0.h"
#include "test/unit/unit.h"

#define MAXMSG 65535
#define T0 1800000000   /* the injected clock */

static const struct {
	const char *stem;
	const char *vector;   /* UPDATE signed by nsupdate -k with this key */
	uint8_t alg;
	uint16_t tag;
} KEYS[] = {
	{ "sig0-keys/Ksig0.example.+008+60107", "sig0-nsupdate-alg8.bin", 8, 60107 },
	{ "sig0-keys/Ksig0.example.+013+13510", "sig0-nsupdate-alg13.bin", 13, 13510 },
	{ "sig0-keys/Ksig0.example.+014+10883", "sig0-nsupdate-alg14.bin", 14, 10883 },
	{ "sig0-keys/Ksig0.example.+015+19511", "sig0-nsupdate-alg15.bin", 15, 19511 },
};
#define ED 3
#define P256 1
#define OTHER "sig0-keys/Kother.example.+015+24743"

static const knot_dname_t *SIGNER = (const knot_dname_t *)"\x04sig0\x07" "example";

static hs_key_t *load(const char *stem, bool priv)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s.private", hs_testdata(stem));
	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *k = NULL;
	int ret = priv ? hs_key_load(path, &k, why, sizeof(why))
	               : hs_key_load_public(path, &k, why, sizeof(why));
	ck_assert_msg(ret == HS_EOK, "%s: %s", hs_strerror(ret), why);
	return k;
}

static size_t read_bin(const char *name, uint8_t *buf, size_t max)
{
	FILE *f = fopen(hs_testdata(name), "rb");
	ck_assert_msg(f != NULL, "%s", name);
	size_t n = fread(buf, 1, max, f);
	fclose(f);
	ck_assert_uint_gt(n, KNOT_WIRE_HEADER_SIZE);
	return n;
}

/* A small UPDATE for example. with one RR in the update section. */
static size_t make_msg(uint8_t *buf, uint16_t id)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, MAXMSG, NULL);
	ck_assert_ptr_nonnull(pkt);
	knot_wire_set_id(pkt->wire, id);
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_UPDATE);
	ck_assert_int_eq(knot_pkt_put_question(pkt, (const knot_dname_t *)"\x07" "example",
	                                       KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_begin(pkt, KNOT_AUTHORITY), KNOT_EOK);
	knot_rrset_t *rr = knot_rrset_new((const knot_dname_t *)"\x03new\x07" "example",
	                                  KNOT_RRTYPE_A, KNOT_CLASS_IN, 300, NULL);
	ck_assert_ptr_nonnull(rr);
	ck_assert_int_eq(knot_rrset_add_rdata(rr, (const uint8_t *)"\xc0\x00\x02\x07", 4, NULL), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_put(pkt, 0, rr, 0), KNOT_EOK);
	size_t size = pkt->size;
	memcpy(buf, pkt->wire, size);
	knot_pkt_free(pkt);
	knot_rrset_free(rr, NULL);
	return size;
}

/* Append one RR (owner given in wire form) and count it in ARCOUNT. */
static void append_rr(uint8_t *buf, size_t *size, const uint8_t *owner, size_t owner_len,
                      uint16_t type, uint16_t cls, const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t *p = buf + *size;
	memcpy(p, owner, owner_len);
	p += owner_len;
	knot_wire_write_u16(p, type);
	knot_wire_write_u16(p + 2, cls);
	knot_wire_write_u32(p + 4, 0);
	knot_wire_write_u16(p + 8, rdlen);
	memcpy(p + 10, rdata, rdlen);
	*size += owner_len + 10 + rdlen;
	knot_wire_add_arcount(buf, 1);
}

static hs_sig0_opts_t at(time_t now)
{
	hs_sig0_opts_t o = { .now = now };
	return o;
}

/* Sign a fresh message with KEY at T0; returns its size. */
static size_t signed_msg(uint8_t *buf, const hs_key_t *key, uint16_t id)
{
	size_t size = make_msg(buf, id);
	hs_sig0_opts_t o = at(T0);
	ck_assert_int_eq(hs_sig0_sign(buf, &size, MAXMSG, key, NULL, 0, &o), HS_EOK);
	return size;
}

/* ---- known vectors from BIND's nsupdate ----------------------------------- */

START_TEST(nsupdate_vectors_verify)
{
	static uint8_t msg[MAXMSG];
	size_t size = read_bin(KEYS[_i].vector, msg, sizeof(msg));
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(msg, size, &info), HS_EOK);
	ck_assert(knot_dname_is_equal(info.signer, SIGNER));
	ck_assert_int_eq(info.keytag, KEYS[_i].tag);
	ck_assert_int_eq(info.algorithm, KEYS[_i].alg);
	ck_assert_uint_eq(info.expiration - info.inception, 600);  /* BIND: now -+ 300 */

	hs_key_t *pub = load(KEYS[_i].stem, false);
	hs_sig0_opts_t o = at(info.inception + 300);
	hs_sig0_info_t got;
	ck_assert_int_eq(hs_sig0_verify(msg, size, NULL, 0, pub, &o, &got), HS_EOK);
	ck_assert_int_eq(got.keytag, KEYS[_i].tag);
	ck_assert_uint_eq(got.sig_pos, info.sig_pos);

	/* one flipped bit anywhere before the SIG breaks it */
	msg[KNOT_WIRE_HEADER_SIZE + 3] ^= 0x20;   /* case of a qname letter */
	ck_assert_int_eq(hs_sig0_verify(msg, size, NULL, 0, pub, &o, NULL), HS_ESIG0_BADSIG);
	msg[KNOT_WIRE_HEADER_SIZE + 3] ^= 0x20;
	msg[size - 1] ^= 0x01;                    /* last signature byte */
	ck_assert_int_eq(hs_sig0_verify(msg, size, NULL, 0, pub, &o, NULL), HS_ESIG0_BADSIG);
	hs_key_free(pub);
}
END_TEST

/* Ed25519 is deterministic: re-signing nsupdate's message at its time must
 * give nsupdate's bytes exactly, which pins down the signed data. */
START_TEST(ed25519_same_bytes_as_nsupdate)
{
	static uint8_t vec[MAXMSG], msg[MAXMSG];
	size_t vsize = read_bin(KEYS[ED].vector, vec, sizeof(vec));
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(vec, vsize, &info), HS_EOK);
	size_t size = info.sig_pos;
	memcpy(msg, vec, size);
	knot_wire_add_arcount(msg, -1);

	hs_key_t *key = load(KEYS[ED].stem, true);
	hs_sig0_opts_t o = { .now = info.inception + 300, .window = 300 };
	ck_assert_int_eq(hs_sig0_sign(msg, &size, sizeof(msg), key, NULL, 0, &o), HS_EOK);
	ck_assert_uint_eq(size, vsize);
	ck_assert_mem_eq(msg, vec, vsize);
	hs_key_free(key);
}
END_TEST

/* ---- round trips ---------------------------------------------------------- */

START_TEST(sign_verify_each_algorithm)
{
	static uint8_t buf[MAXMSG];
	hs_key_t *key = load(KEYS[_i].stem, true);
	hs_key_t *pub = load(KEYS[_i].stem, false);

	knot_pkt_t *pkt = knot_pkt_new(buf, MAXMSG, NULL);
	ck_assert_ptr_nonnull(pkt);
	ck_assert_int_eq(knot_pkt_put_question(pkt, (const knot_dname_t *)"\x07" "example",
	                                       KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	size_t before = pkt->size;
	hs_sig0_opts_t o = at(T0);
	ck_assert_int_eq(hs_sig0_sign_pkt(pkt, key, NULL, 0, &o), HS_EOK);
	ck_assert_uint_le(pkt->size - before, hs_sig0_reserve(key, NULL));
	ck_assert_int_eq(knot_wire_get_arcount(pkt->wire), 1);

	/* the SIG RR as RFC 2931 section 3 wants it */
	const uint8_t *rr = pkt->wire + before;
	ck_assert_uint_eq(rr[0], 0);                               /* owner root */
	ck_assert_uint_eq(knot_wire_read_u16(rr + 1), HS_RRTYPE_SIG);
	ck_assert_uint_eq(knot_wire_read_u16(rr + 3), KNOT_CLASS_ANY);
	ck_assert_uint_eq(knot_wire_read_u32(rr + 5), 0);          /* TTL */
	const uint8_t *rd = rr + 11;
	ck_assert_uint_eq(knot_wire_read_u16(rd), 0);              /* type covered */
	ck_assert_uint_eq(rd[2], KEYS[_i].alg);
	ck_assert_uint_eq(rd[3], 0);                               /* labels */
	ck_assert_uint_eq(knot_wire_read_u32(rd + 4), 0);          /* original TTL */
	ck_assert_uint_eq(knot_wire_read_u32(rd + 8), T0 + HS_SIG0_WINDOW_DEFAULT);
	ck_assert_uint_eq(knot_wire_read_u32(rd + 12), T0 - HS_SIG0_WINDOW_DEFAULT);
	ck_assert_uint_eq(knot_wire_read_u16(rd + 16), KEYS[_i].tag);
	ck_assert_mem_eq(rd + 18, SIGNER, knot_dname_size(SIGNER));
	size_t siglen = knot_wire_read_u16(rr + 9) - 18 - knot_dname_size(SIGNER);
	if (KEYS[_i].alg == 13 || KEYS[_i].alg == 15) {
		ck_assert_uint_eq(siglen, 64);   /* r||s (RFC 6605), RFC 8080 */
	} else if (KEYS[_i].alg == 14) {
		ck_assert_uint_eq(siglen, 96);
	} else {
		ck_assert_uint_eq(siglen, 256);  /* 2048-bit modulus */
	}

	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_verify(pkt->wire, pkt->size, NULL, 0, pub, &o, &info), HS_EOK);
	ck_assert_int_eq(info.keytag, KEYS[_i].tag);
	ck_assert_int_eq(info.algorithm, KEYS[_i].alg);
	ck_assert(knot_dname_is_equal(info.signer, SIGNER));
	ck_assert_uint_eq(info.sig_pos, before);
	/* the signed packet still parses with libknot */
	knot_pkt_t *in = knot_pkt_new(pkt->wire, pkt->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(in, 0), KNOT_EOK);
	knot_pkt_free(in);
	knot_pkt_free(pkt);
	hs_key_free(key);
	hs_key_free(pub);
}
END_TEST

/* ---- every failure code ------------------------------------------------- */

static hs_key_t *ed, *ed_pub, *p256, *other;

static void keys_setup(void)
{
	ed = load(KEYS[ED].stem, true);
	ed_pub = load(KEYS[ED].stem, false);
	p256 = load(KEYS[P256].stem, true);
	other = load(OTHER, true);
}

static void keys_teardown(void)
{
	hs_key_free(ed);
	hs_key_free(ed_pub);
	hs_key_free(p256);
	hs_key_free(other);
}

static const uint8_t A_RDATA[4] = { 192, 0, 2, 1 };

START_TEST(none)
{
	static uint8_t buf[MAXMSG];
	size_t size = make_msg(buf, 1);
	hs_sig0_opts_t o = at(T0);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_NONE);
	/* a SIG with a type covered other than 0 is not a SIG(0) */
	static const uint8_t rrsig[20] = { 0, 1, 15 };
	append_rr(buf, &size, (const uint8_t *)"", 1, HS_RRTYPE_SIG, KNOT_CLASS_ANY, rrsig, sizeof(rrsig));
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_NONE);
}
END_TEST

START_TEST(not_last)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_opts_t o = at(T0);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_EOK);
	/* the SIG now stands before another additional RR */
	append_rr(buf, &size, (const uint8_t *)"", 1, KNOT_RRTYPE_A, KNOT_CLASS_IN, A_RDATA, 4);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_NOTLAST);
}
END_TEST

START_TEST(multi)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, size, &info), HS_EOK);
	/* signing twice is refused */
	hs_sig0_opts_t o = at(T0);
	size_t s2 = size;
	ck_assert_int_eq(hs_sig0_sign(buf, &s2, MAXMSG, ed, NULL, 0, &o), HS_ESIG0_MULTI);
	ck_assert_uint_eq(s2, size);
	/* a copy of the SIG appended */
	size_t len = size - info.sig_pos;
	memcpy(buf + size, buf + info.sig_pos, len);
	size += len;
	knot_wire_add_arcount(buf, 1);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_MULTI);
}
END_TEST

/* A TSIG-shaped RR: name k., type TSIG, class ANY, minimal RDATA. */
static void append_tsig(uint8_t *buf, size_t *size)
{
	static const uint8_t rd[] = {
		11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
		0, 0, 0x6b, 0x49, 0xd2, 0x00, 1, 0x2c, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	append_rr(buf, size, (const uint8_t *)"\x01k", 3, KNOT_RRTYPE_TSIG, KNOT_CLASS_ANY, rd, sizeof(rd));
}

START_TEST(tsig_and_sig0)
{
	static uint8_t buf[MAXMSG], m2[MAXMSG];
	hs_sig0_opts_t o = at(T0);
	/* TSIG after the SIG(0) */
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, size, &info), HS_EOK);
	size_t s1 = size;
	append_tsig(buf, &s1);
	ck_assert_int_eq(hs_sig0_verify(buf, s1, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_TSIG);

	/* TSIG before the SIG(0): signing refuses, a forged one is refused */
	size_t s2 = make_msg(m2, 1);
	append_tsig(m2, &s2);
	size_t keep = s2;
	ck_assert_int_eq(hs_sig0_sign(m2, &s2, MAXMSG, ed, NULL, 0, &o), HS_ESIG0_TSIG);
	ck_assert_uint_eq(s2, keep);
	memcpy(m2 + s2, buf + info.sig_pos, size - info.sig_pos);
	s2 += size - info.sig_pos;
	knot_wire_add_arcount(m2, 1);
	ck_assert_int_eq(hs_sig0_verify(m2, s2, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_TSIG);
}
END_TEST

START_TEST(algorithm)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, size, &info), HS_EOK);
	hs_sig0_opts_t o = at(T0);
	uint8_t *alg = buf + info.sig_pos + 11 + 2;
	ck_assert_uint_eq(*alg, 15);
	const uint8_t bad[] = { 0, 1, 5, 10, 16, 253, 255 };
	for (size_t i = 0; i < sizeof(bad); i++) {
		*alg = bad[i];
		ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_ALG);
	}
	/* a supported algorithm that is not the key's */
	*alg = 13;
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_KEYTAG);
}
END_TEST

START_TEST(wrong_key_or_signer)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_opts_t o = at(T0);
	/* other owner */
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, other, &o, NULL), HS_ESIG0_SIGNER);
	/* same owner, other key */
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, p256, &o, NULL), HS_ESIG0_KEYTAG);
	/* key tag field changed */
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, size, &info), HS_EOK);
	buf[info.sig_pos + 11 + 17] ^= 1;
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_KEYTAG);
	buf[info.sig_pos + 11 + 17] ^= 1;
	/* signer name in upper case still names the key (and is signed as sent) */
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_EOK);
	buf[info.sig_pos + 11 + 18 + 1] = 'S';
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_BADSIG);

	/* signed with the sig0 key but naming another signer */
	knot_dname_storage_t name;
	ck_assert_ptr_nonnull(knot_dname_from_str(name, "other.example.", sizeof(name)));
	size = make_msg(buf, 2);
	hs_sig0_opts_t so = { .now = T0, .signer = name };
	ck_assert_int_eq(hs_sig0_sign(buf, &size, MAXMSG, ed, NULL, 0, &so), HS_EOK);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_SIGNER);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, other, &o, NULL), HS_ESIG0_KEYTAG);
}
END_TEST

START_TEST(bad_signature)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_opts_t o = at(T0);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, size, &info), HS_EOK);
	/* every single byte before the SIG RDATA's signature matters, except
	 * ARCOUNT (checked structurally) and the SIG RR's own head */
	for (size_t i = 0; i < info.sig_pos; i++) {
		if (i == 10 || i == 11) {
			continue;
		}
		buf[i] ^= 0x01;
		int ret = hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL);
		ck_assert_msg(ret == HS_ESIG0_BADSIG || ret == HS_EMSG || ret == HS_ESIG0_NONE,
		              "byte %zu: %s", i, hs_strerror(ret));
		ck_assert_int_ne(ret, HS_EOK);
		buf[i] ^= 0x01;
	}
	buf[size - 10] ^= 0x80;
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_BADSIG);
	buf[size - 10] ^= 0x80;
	/* inception changed by one second */
	buf[info.sig_pos + 11 + 15] ^= 0x01;
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_BADSIG);
	buf[info.sig_pos + 11 + 15] ^= 0x01;
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_EOK);
}
END_TEST

START_TEST(time_window)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);   /* at T0, window 300 */
	const struct {
		long dt;
		uint32_t skew, window;
		int want;
	} cases[] = {
		{ 0, 0, 0, HS_EOK },
		{ -300, 0, 0, HS_EOK },
		{ 300, 0, 0, HS_EOK },
		{ -301, 0, 0, HS_ESIG0_EARLY },
		{ 301, 0, 0, HS_ESIG0_EXPIRED },
		{ -400, 100, 0, HS_EOK },
		{ 400, 100, 0, HS_EOK },
		{ -401, 100, 0, HS_ESIG0_EARLY },
		{ 401, 100, 0, HS_ESIG0_EXPIRED },
		{ -86400, 0, 0, HS_ESIG0_EARLY },
		{ 86400 * 365, 0, 0, HS_ESIG0_EXPIRED },
		/* a verifier's window below the signer's bounds how old it may be */
		{ 100, 0, 60, HS_ESIG0_EXPIRED },
		{ -100, 0, 60, HS_ESIG0_EARLY },
		{ 60, 0, 60, HS_EOK },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hs_sig0_opts_t o = { .now = T0 + cases[i].dt, .skew = cases[i].skew,
		                     .window = cases[i].window };
		int ret = hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL);
		ck_assert_msg(ret == cases[i].want, "case %zu: %s", i, hs_strerror(ret));
	}
	/* a long signer window: the verifier's default still limits the age */
	size = make_msg(buf, 2);
	hs_sig0_opts_t so = { .now = T0, .window = 3600 };
	ck_assert_int_eq(hs_sig0_sign(buf, &size, MAXMSG, ed, NULL, 0, &so), HS_EOK);
	hs_sig0_opts_t vo = at(T0 + 1000);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &vo, NULL), HS_ESIG0_EXPIRED);
	vo.window = 3600;
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &vo, NULL), HS_EOK);
}
END_TEST

START_TEST(format)
{
	static uint8_t buf[MAXMSG];
	hs_sig0_opts_t o = at(T0);
	size_t base = make_msg(buf, 1);
	uint8_t rd[64] = { 0, 0, 15, 0 };
	knot_wire_write_u32(rd + 8, T0 + 300);
	knot_wire_write_u32(rd + 12, T0 - 300);
	knot_wire_write_u16(rd + 16, 19511);
	memcpy(rd + 18, SIGNER, 14);
	memset(rd + 32, 0xab, 32);

	const struct {
		uint16_t rdlen;
		int want;
	} lens[] = {
		{ 2, HS_ESIG0_FORMAT },     /* type covered only */
		{ 18, HS_ESIG0_FORMAT },    /* no signer */
		{ 25, HS_ESIG0_FORMAT },    /* signer cut */
		{ 32, HS_ESIG0_FORMAT },    /* no signature */
		{ 64, HS_ESIG0_BADSIG },    /* well formed, wrong signature */
	};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t size = base;
		knot_wire_set_arcount(buf, 0);
		append_rr(buf, &size, (const uint8_t *)"", 1, HS_RRTYPE_SIG, KNOT_CLASS_ANY, rd, lens[i].rdlen);
		int ret = hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL);
		ck_assert_msg(ret == lens[i].want, "rdlen %u: %s", lens[i].rdlen, hs_strerror(ret));
	}
	/* a compressed signer name (pointer to the qname) */
	uint8_t crd[64];
	memcpy(crd, rd, 18);
	crd[18] = 0xc0;
	crd[19] = KNOT_WIRE_HEADER_SIZE;
	memset(crd + 20, 0xab, 32);
	size_t size = base;
	knot_wire_set_arcount(buf, 0);
	append_rr(buf, &size, (const uint8_t *)"", 1, HS_RRTYPE_SIG, KNOT_CLASS_ANY, crd, 52);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_FORMAT);
}
END_TEST

START_TEST(malformed_messages)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_opts_t o = at(T0);
	for (size_t cut = 0; cut < size; cut++) {
		int ret = hs_sig0_verify(buf, cut, NULL, 0, ed_pub, &o, NULL);
		ck_assert_msg(ret == HS_EMSG || ret == HS_ESIG0_NONE, "cut %zu: %s", cut, hs_strerror(ret));
	}
	buf[size] = 0;
	ck_assert_int_eq(hs_sig0_verify(buf, size + 1, NULL, 0, ed_pub, &o, NULL), HS_EMSG);
	knot_wire_add_arcount(buf, 1);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, ed_pub, &o, NULL), HS_EMSG);
	ck_assert_int_eq(hs_sig0_verify(NULL, 0, NULL, 0, ed_pub, &o, NULL), HS_EINVAL);
}
END_TEST

/* ---- responses -------------------------------------------------------------- */

START_TEST(response_covers_request)
{
	static uint8_t req[MAXMSG], req2[MAXMSG], resp[MAXMSG];
	hs_sig0_opts_t o = at(T0);
	size_t req_size = signed_msg(req, other, 0x1234);   /* the peer's request */
	size_t req2_size = signed_msg(req2, other, 0x1234); /* same ID, new signature */
	ck_assert_int_eq(hs_sig0_verify(req, req_size, NULL, 0, other, &o, NULL), HS_EOK);

	size_t size = make_msg(resp, 0x1234);
	knot_wire_set_qr(resp);
	knot_wire_set_ancount(resp, 0);
	knot_wire_set_nscount(resp, 0);
	size = KNOT_WIRE_HEADER_SIZE + 9 + 4;   /* header and question only */
	ck_assert_int_eq(hs_sig0_sign(resp, &size, MAXMSG, ed, req, req_size, &o), HS_EOK);

	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_verify(resp, size, req, req_size, ed_pub, &o, &info), HS_EOK);
	ck_assert_int_eq(info.keytag, 19511);
	/* ECDSA is randomised, so a new signature over the same request differs:
	 * with Ed25519 the two requests differ only if the clock differs. */
	hs_sig0_opts_t later = at(T0 + 1);
	req2_size = make_msg(req2, 0x1234);
	ck_assert_int_eq(hs_sig0_sign(req2, &req2_size, MAXMSG, other, NULL, 0, &later), HS_EOK);
	ck_assert_int_eq(hs_sig0_verify(resp, size, req2, req2_size, ed_pub, &o, NULL), HS_ESIG0_BADSIG);
	/* a request with another ID */
	knot_wire_set_id(req2, 0x4321);
	ck_assert_int_eq(hs_sig0_verify(resp, size, req2, req2_size, ed_pub, &o, NULL), HS_ESIG0_REQUEST);
	/* no request given: the signature does not cover what we hash */
	ck_assert_int_eq(hs_sig0_verify(resp, size, NULL, 0, ed_pub, &o, NULL), HS_ESIG0_BADSIG);
	/* the request itself changed by one byte */
	req[req_size - 1] ^= 1;
	ck_assert_int_eq(hs_sig0_verify(resp, size, req, req_size, ed_pub, &o, NULL), HS_ESIG0_BADSIG);
	req[req_size - 1] ^= 1;

	/* a response signed without covering the request */
	size_t s2 = KNOT_WIRE_HEADER_SIZE + 9 + 4;
	knot_wire_set_arcount(resp, 0);
	ck_assert_int_eq(hs_sig0_sign(resp, &s2, MAXMSG, ed, NULL, 0, &o), HS_EOK);
	ck_assert_int_eq(hs_sig0_verify(resp, s2, req, req_size, ed_pub, &o, NULL), HS_ESIG0_REQUEST);
	/* a request (QR clear) offered as a response */
	ck_assert_int_eq(hs_sig0_verify(req2, req2_size, req, req_size, other, &later, NULL),
	                 HS_ESIG0_REQUEST);
}
END_TEST

/* ---- key look-up ---------------------------------------------------------------- */

typedef struct {
	const hs_key_t *keys[4];
	unsigned n;
	unsigned calls;
} keyset_t;

static const hs_key_t *lookup(const hs_sig0_info_t *info, unsigned idx, void *ctx)
{
	keyset_t *ks = ctx;
	ks->calls++;
	unsigned seen = 0;
	for (unsigned i = 0; i < ks->n; i++) {
		if (knot_dname_is_equal(ks->keys[i]->owner, info->signer) && seen++ == idx) {
			return ks->keys[i];
		}
	}
	return NULL;
}

START_TEST(verify_with_lookup)
{
	static uint8_t buf[MAXMSG];
	size_t size = signed_msg(buf, ed, 1);
	hs_sig0_opts_t o = at(T0);
	keyset_t ks = { .keys = { other, p256, ed_pub }, .n = 3 };
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_verify_with(buf, size, NULL, 0, lookup, &ks, &o, &info), HS_EOK);
	ck_assert_int_eq(info.keytag, 19511);
	ck_assert_uint_eq(ks.calls, 2);   /* p256 tried first (same owner), then ed */

	keyset_t nokey = { .keys = { other }, .n = 1 };
	ck_assert_int_eq(hs_sig0_verify_with(buf, size, NULL, 0, lookup, &nokey, &o, NULL),
	                 HS_ESIG0_SIGNER);
	keyset_t wrong = { .keys = { p256 }, .n = 1 };
	ck_assert_int_eq(hs_sig0_verify_with(buf, size, NULL, 0, lookup, &wrong, &o, NULL),
	                 HS_ESIG0_KEYTAG);
	/* structural errors come before any look-up */
	keyset_t count = { .keys = { ed_pub }, .n = 1 };
	size = make_msg(buf, 1);
	ck_assert_int_eq(hs_sig0_verify_with(buf, size, NULL, 0, lookup, &count, &o, NULL),
	                 HS_ESIG0_NONE);
	ck_assert_uint_eq(count.calls, 0);
}
END_TEST

/* ---- signing errors ---------------------------------------------------------------- */

START_TEST(sign_errors)
{
	static uint8_t buf[MAXMSG], copy[MAXMSG];
	hs_sig0_opts_t o = at(T0);
	size_t size = make_msg(buf, 1);
	memcpy(copy, buf, size);
	/* no room: nothing changes */
	size_t s = size;
	ck_assert_int_eq(hs_sig0_sign(buf, &s, size + 40, ed, NULL, 0, &o), HS_ESPACE);
	ck_assert_uint_eq(s, size);
	ck_assert_mem_eq(buf, copy, size);
	/* exactly enough room */
	ck_assert_int_eq(hs_sig0_sign(buf, &s, size + 11 + 18 + 14 + 64, ed, NULL, 0, &o), HS_EOK);
	ck_assert_uint_eq(s, size + 11 + 18 + 14 + 64);
	/* public key only */
	s = size;
	memcpy(buf, copy, size);
	ck_assert_int_eq(hs_sig0_sign(buf, &s, MAXMSG, ed_pub, NULL, 0, &o), HS_EKEYPRIVATE);
	/* not a message */
	s = 5;
	ck_assert_int_eq(hs_sig0_sign(buf, &s, MAXMSG, ed, NULL, 0, &o), HS_EMSG);
	s = size - 1;
	ck_assert_int_eq(hs_sig0_sign(buf, &s, MAXMSG, ed, NULL, 0, &o), HS_EMSG);
	ck_assert_int_eq(hs_sig0_sign(NULL, &s, MAXMSG, ed, NULL, 0, &o), HS_EINVAL);
	ck_assert_int_eq(hs_sig0_sign(buf, &s, MAXMSG, NULL, NULL, 0, &o), HS_EINVAL);
	ck_assert_int_eq(hs_sig0_sign_pkt(NULL, ed, NULL, 0, &o), HS_EINVAL);
	ck_assert_uint_eq(hs_sig0_reserve(ed, NULL), 11 + 18 + 14 + 64);
}
END_TEST

START_TEST(default_clock)
{
	/* no injected clock: signed now, valid now */
	static uint8_t buf[MAXMSG];
	size_t size = make_msg(buf, 1);
	ck_assert_int_eq(hs_sig0_sign(buf, &size, MAXMSG, p256, NULL, 0, NULL), HS_EOK);
	ck_assert_int_eq(hs_sig0_verify(buf, size, NULL, 0, p256, NULL, NULL), HS_EOK);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sig0");
	TCase *tc = tcase_create("vectors");
	tcase_add_loop_test(tc, nsupdate_vectors_verify, 0, 4);
	tcase_add_test(tc, ed25519_same_bytes_as_nsupdate);
	tcase_add_loop_test(tc, sign_verify_each_algorithm, 0, 4);
	suite_add_tcase(s, tc);

	TCase *f = tcase_create("failures");
	tcase_add_checked_fixture(f, keys_setup, keys_teardown);
	tcase_add_test(f, none);
	tcase_add_test(f, not_last);
	tcase_add_test(f, multi);
	tcase_add_test(f, tsig_and_sig0);
	tcase_add_test(f, algorithm);
	tcase_add_test(f, wrong_key_or_signer);
	tcase_add_test(f, bad_signature);
	tcase_add_test(f, time_window);
	tcase_add_test(f, format);
	tcase_add_test(f, malformed_messages);
	tcase_add_test(f, response_covers_request);
	tcase_add_test(f, verify_with_lookup);
	tcase_add_test(f, sign_errors);
	tcase_add_test(f, default_clock);
	suite_add_tcase(s, f);
	return s;
}

HS_TEST_MAIN()
