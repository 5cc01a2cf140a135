/*
 * Unit tests for libhsync/tsig.c
 *
 * test/data/misc-tsig-one.key and misc-tsig-many.key were written once by
 * BIND 9.18 tsig-keygen (comments added by hand); the misc-tsig-bad-*.key
 * files are hand-made, and named-checkconf refuses each of them too.
 */
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "libhsync/error.h"
#include "libhsync/tsig.h"
#include "test/unit/unit.h"

/* base64 "7CfyqK9CaO3ojoSs28Pi8OULdiQ8zNhEF1St12fduX4=" of misc-tsig-one.key */
static const uint8_t one_secret[32] = {
	0xec, 0x27, 0xf2, 0xa8, 0xaf, 0x42, 0x68, 0xed, 0xe8, 0x8e, 0x84, 0xac,
	0xdb, 0xc3, 0xe2, 0xf0, 0xe5, 0x0b, 0x76, 0x24, 0x3c, 0xcc, 0xd8, 0x44,
	0x17, 0x54, 0xad, 0xd7, 0x67, 0xdd, 0xb9, 0x7e
};

START_TEST(load_one)
{
	hs_tsig_keys_t ring = { 0 };
	int line = -1;
	ck_assert_int_eq(hs_tsig_load(hs_testdata("misc-tsig-one.key"), &ring, &line), HS_EOK);
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(ring.count, 1);
	const knot_tsig_key_t *k = &ring.keys[0];
	ck_assert(knot_dname_is_equal(k->name, (const knot_dname_t *)"\x03xfr\x07" "example"));
	ck_assert_int_eq(k->algorithm, DNSSEC_TSIG_HMAC_SHA256);
	ck_assert_uint_eq(k->secret.size, sizeof(one_secret));
	ck_assert_mem_eq(k->secret.data, one_secret, sizeof(one_secret));
	ck_assert_ptr_eq(hs_tsig_find_str(&ring, "XFR.example"), k);
	ck_assert_ptr_null(hs_tsig_find_str(&ring, "xfr.example.net."));
	hs_tsig_keys_free(&ring);
	ck_assert_uint_eq(ring.count, 0);
	ck_assert_ptr_null(ring.keys);
	hs_tsig_keys_free(&ring);  /* twice is fine */
	hs_tsig_keys_free(NULL);
}
END_TEST

START_TEST(load_many)
{
	hs_tsig_keys_t ring = { 0 };
	int line = -1;
	ck_assert_int_eq(hs_tsig_load(hs_testdata("misc-tsig-many.key"), &ring, &line), HS_EOK);
	ck_assert_uint_eq(ring.count, 6);
	static const struct { const char *name; dnssec_tsig_algorithm_t alg; size_t len; } want[] = {
		{ "combiner.provider-a.example.", DNSSEC_TSIG_HMAC_SHA256, 32 },
		{ "agent.provider-a.example.",    DNSSEC_TSIG_HMAC_SHA512, 64 },
		{ "legacy-md5.",                  DNSSEC_TSIG_HMAC_MD5,    16 },
		{ "legacy-sha1.",                 DNSSEC_TSIG_HMAC_SHA1,   20 },
		{ "k224.example.",                DNSSEC_TSIG_HMAC_SHA224, 28 },
		{ "k384.example.",                DNSSEC_TSIG_HMAC_SHA384, 48 },
	};
	for (size_t i = 0; i < 6; i++) {
		const knot_tsig_key_t *k = hs_tsig_find_str(&ring, want[i].name);
		ck_assert_msg(k == &ring.keys[i], "key %s", want[i].name);
		ck_assert_int_eq(k->algorithm, want[i].alg);
		ck_assert_uint_eq(k->secret.size, want[i].len);
	}
	ck_assert_ptr_eq(hs_tsig_find_str(&ring, "AGENT.Provider-A.Example"), &ring.keys[1]);
	hs_tsig_keys_free(&ring);
}
END_TEST

START_TEST(load_bad_files)
{
	static const struct { const char *file; int code; int line; } bad[] = {
		{ "misc-tsig-bad-nosecret.key",     HS_ETSIG_FILE, 2 },
		{ "misc-tsig-bad-base64.key",       HS_ETSIG_FILE, 7 },
		{ "misc-tsig-bad-alg.key",          HS_ETSIG_ALG,  3 },
		{ "misc-tsig-bad-unterminated.key", HS_ETSIG_FILE, 3 },
		{ "misc-tsig-bad-comment.key",      HS_ETSIG_FILE, 2 },
		{ "misc-tsig-bad-dup.key",          HS_ETSIG_FILE, 5 },
		{ "misc-tsig-bad-semicolon.key",    HS_ETSIG_FILE, 4 },
		{ "misc-tsig-bad-empty.key",        HS_ETSIG_FILE, 0 },
		{ "misc-no-such-file.key",          HS_EIO,        0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_tsig_keys_t ring = { (knot_tsig_key_t *)0x1, 42 };
		int line = -1;
		int ret = hs_tsig_load(hs_testdata(bad[i].file), &ring, &line);
		ck_assert_msg(ret == bad[i].code, "%s: got %d (%s), want %d", bad[i].file,
		              ret, hs_strerror(ret), bad[i].code);
		ck_assert_msg(line == bad[i].line, "%s: line %d, want %d", bad[i].file, line, bad[i].line);
		/* out unchanged */
		ck_assert_ptr_eq(ring.keys, (knot_tsig_key_t *)0x1);
		ck_assert_uint_eq(ring.count, 42);
	}
}
END_TEST

static int parse_str(const char *text, hs_tsig_keys_t *ring, int *line)
{
	return hs_tsig_parse(text, strlen(text), ring, line);
}

START_TEST(parse_variants)
{
	hs_tsig_keys_t ring = { 0 };
	int line = -1;
	/* unquoted name, upper-case algorithm, long MD5 name, comments anywhere */
	ck_assert_int_eq(parse_str(
		"key k1.example { # c\n"
		"  ALGORITHM HMAC-SHA256; /* c */ secret \"YWJjZA==\"; // c\n"
		"};key \"k2\"{algorithm hmac-md5.sig-alg.reg.int;secret \"YWJjZA==\";};",
		&ring, &line), HS_EOK);
	ck_assert_uint_eq(ring.count, 2);
	ck_assert_int_eq(ring.keys[0].algorithm, DNSSEC_TSIG_HMAC_SHA256);
	ck_assert_int_eq(ring.keys[1].algorithm, DNSSEC_TSIG_HMAC_MD5);
	ck_assert_uint_eq(ring.keys[0].secret.size, 4);
	ck_assert_mem_eq(ring.keys[0].secret.data, "abcd", 4);
	hs_tsig_keys_free(&ring);

	static const struct { const char *text; int code; int line; } bad[] = {
		{ "key a { algorithm hmac-sha256; secret \"YWJjZA==\"; }",          HS_ETSIG_FILE, 1 },
		{ "key a {\n algorithm hmac-sha256;\n secret \"YWJjZA==\";\n foo 1;\n};", HS_ETSIG_FILE, 4 },
		{ "key a {\n algorithm hmac-sha256;\n secret \"YWJjZA==;\n};\n",    HS_ETSIG_FILE, 3 },
		{ "options { };",                                                    HS_ETSIG_FILE, 1 },
		{ "key a {\n secret \"YWJjZA==\";\n};",                             HS_ETSIG_FILE, 1 },
		{ "key a {\n algorithm hmac-sha256;\n secret \"\";\n};",            HS_ETSIG_FILE, 3 },
		{ "key a {\n algorithm hmac-sha256;\n algorithm hmac-sha1;\n};",    HS_ETSIG_FILE, 3 },
		{ "key a {\n algorithm gost;\n secret \"YWJjZA==\";\n};",           HS_ETSIG_ALG,  2 },
		{ "key a..b {\n algorithm hmac-sha1;\n secret \"YWJjZA==\";\n};",   HS_ETSIG_FILE, 1 },
		{ "key",                                                             HS_ETSIG_FILE, 1 },
		{ "",                                                                HS_ETSIG_FILE, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		line = -1;
		int ret = parse_str(bad[i].text, &ring, &line);
		ck_assert_msg(ret == bad[i].code, "case %zu: got %d, want %d", i, ret, bad[i].code);
		ck_assert_msg(line == bad[i].line, "case %zu: line %d, want %d", i, line, bad[i].line);
		ck_assert_uint_eq(ring.count, 0);
	}
}
END_TEST

/* ---- signing ------------------------------------------------------------ */

static hs_tsig_keys_t ring;

static void setup(void)
{
	memset(&ring, 0, sizeof(ring));
	int line;
	ck_assert_int_eq(hs_tsig_load(hs_testdata("misc-tsig-many.key"), &ring, &line), HS_EOK);
}

static void teardown(void)
{
	hs_tsig_keys_free(&ring);
}

/* A signed SOA query for example.com. with key, as wire in buf. */
static size_t make_query(const knot_tsig_key_t *key, uint8_t *buf, hs_tsig_ctx_t *ctx)
{
	knot_pkt_t *q = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(q);
	knot_wire_set_id(q->wire, 0x4242);
	ck_assert_int_eq(hs_tsig_reserve(q, key), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_put_question(q, (const knot_dname_t *)"\x07" "example\x03" "com",
	                                       KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	size_t unsigned_size = q->size;
	ck_assert_int_eq(hs_tsig_sign_query(q, key, ctx), HS_EOK);
	ck_assert_uint_gt(q->size, unsigned_size);
	ck_assert_uint_eq(knot_wire_get_arcount(q->wire), 1);
	size_t len = q->size;
	memcpy(buf, q->wire, len);
	knot_pkt_free(q);
	return len;
}

/* Parse a copy: knot_pkt_parse strips the TSIG from the wire it parses. */
static knot_pkt_t *parse(const uint8_t *buf, size_t len)
{
	knot_pkt_t *p = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(p);
	memcpy(p->wire, buf, len);
	p->size = len;
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	return p;
}

/* Server side: check query wire, answer (signed or with the error). */
static size_t serve(const uint8_t *qwire, size_t qlen, uint8_t *rbuf, int *check)
{
	knot_pkt_t *q = parse(qwire, qlen);
	hs_tsig_ctx_t sctx;
	*check = hs_tsig_check_query(q, &ring, &sctx);
	knot_pkt_t *r = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(knot_pkt_init_response(r, q), KNOT_EOK);
	if (sctx.key != NULL) {
		ck_assert_int_eq(hs_tsig_reserve(r, sctx.key), KNOT_EOK);
	}
	ck_assert_int_eq(hs_tsig_sign_response(r, &sctx), HS_EOK);
	size_t len = r->size;
	memcpy(rbuf, r->wire, len);
	knot_pkt_free(r);
	knot_pkt_free(q);
	return len;
}

START_TEST(sign_and_verify)
{
	for (size_t i = 0; i < ring.count; i++) {
		const knot_tsig_key_t *key = &ring.keys[i];
		uint8_t qbuf[KNOT_WIRE_MAX_PKTSIZE], rbuf[KNOT_WIRE_MAX_PKTSIZE];
		hs_tsig_ctx_t cctx;
		size_t qlen = make_query(key, qbuf, &cctx);
		int check = 1;
		size_t rlen = serve(qbuf, qlen, rbuf, &check);
		ck_assert_int_eq(check, HS_EOK);
		knot_pkt_t *r = parse(rbuf, rlen);
		ck_assert_uint_eq(knot_wire_get_rcode(r->wire), KNOT_RCODE_NOERROR);
		ck_assert_int_eq(hs_tsig_check_response(r, &cctx), HS_EOK);
		knot_pkt_free(r);

		/* a flipped byte in the response (QCLASS IN -> CH) */
		ck_assert_uint_eq(rbuf[KNOT_WIRE_HEADER_SIZE + 16], KNOT_CLASS_IN);
		rbuf[KNOT_WIRE_HEADER_SIZE + 16] = KNOT_CLASS_CH;
		r = parse(rbuf, rlen);
		hs_tsig_ctx_t again = cctx;
		again.count = 0;
		ck_assert_int_eq(hs_tsig_check_response(r, &again), KNOT_TSIG_EBADSIG);
		knot_pkt_free(r);
	}
}
END_TEST

START_TEST(modified_query)
{
	const knot_tsig_key_t *key = &ring.keys[0];
	uint8_t qbuf[KNOT_WIRE_MAX_PKTSIZE], rbuf[KNOT_WIRE_MAX_PKTSIZE];
	hs_tsig_ctx_t cctx;
	size_t qlen = make_query(key, qbuf, &cctx);
	/* QTYPE SOA -> CNAME: one byte after the 13-byte QNAME */
	ck_assert_uint_eq(qbuf[KNOT_WIRE_HEADER_SIZE + 14], KNOT_RRTYPE_SOA);
	qbuf[KNOT_WIRE_HEADER_SIZE + 14] = KNOT_RRTYPE_CNAME;
	int check = 0;
	size_t rlen = serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, KNOT_TSIG_EBADSIG);
	knot_pkt_t *r = parse(rbuf, rlen);
	ck_assert_uint_eq(knot_wire_get_rcode(r->wire), KNOT_RCODE_NOTAUTH);
	ck_assert_ptr_nonnull(r->tsig_rr);
	ck_assert_uint_eq(knot_tsig_rdata_error(r->tsig_rr), KNOT_RCODE_BADSIG);
	ck_assert_uint_eq(knot_tsig_rdata_mac_length(r->tsig_rr), 0);
	ck_assert_int_eq(hs_tsig_check_response(r, &cctx), KNOT_TSIG_EBADSIG);
	knot_pkt_free(r);

	/* the last byte of the MAC (before Original ID, Error, Other Len) */
	qlen = make_query(key, qbuf, &cctx);
	qbuf[qlen - 7] ^= 1;
	serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, KNOT_TSIG_EBADSIG);

	/* a new message ID is not a change: the MAC covers the Original ID
	 * (RFC 8945 4.3.3), so forwarders may renumber */
	qlen = make_query(key, qbuf, &cctx);
	qbuf[0] ^= 1;
	serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, HS_EOK);
}
END_TEST

START_TEST(wrong_key)
{
	uint8_t qbuf[KNOT_WIRE_MAX_PKTSIZE], rbuf[KNOT_WIRE_MAX_PKTSIZE];
	hs_tsig_ctx_t cctx;

	/* same name and algorithm, other secret */
	knot_tsig_key_t other;
	ck_assert_int_eq(knot_tsig_key_init(&other, "hmac-sha256", "combiner.provider-a.example.",
	                                    "c2VjcmV0IHRoYXQgaXMgbm90IHRoZSByaWdodCBvbmU="), KNOT_EOK);
	size_t qlen = make_query(&other, qbuf, &cctx);
	int check = 0;
	size_t rlen = serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, KNOT_TSIG_EBADSIG);
	knot_tsig_key_deinit(&other);

	/* unknown name */
	ck_assert_int_eq(knot_tsig_key_init(&other, "hmac-sha256", "stranger.example.",
	                                    "YWJjZA=="), KNOT_EOK);
	qlen = make_query(&other, qbuf, &cctx);
	rlen = serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, KNOT_TSIG_EBADKEY);
	knot_pkt_t *r = parse(rbuf, rlen);
	ck_assert_uint_eq(knot_wire_get_rcode(r->wire), KNOT_RCODE_NOTAUTH);
	ck_assert_uint_eq(knot_tsig_rdata_error(r->tsig_rr), KNOT_RCODE_BADKEY);
	ck_assert_int_eq(hs_tsig_check_response(r, &cctx), KNOT_TSIG_EBADKEY);
	knot_pkt_free(r);
	knot_tsig_key_deinit(&other);

	/* known name, other algorithm */
	ck_assert_int_eq(knot_tsig_key_init(&other, "hmac-sha1", "combiner.provider-a.example.",
	                                    "YWJjZA=="), KNOT_EOK);
	qlen = make_query(&other, qbuf, &cctx);
	serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, KNOT_TSIG_EBADKEY);
	knot_tsig_key_deinit(&other);

	/* a response signed with another key than the query */
	qlen = make_query(&ring.keys[0], qbuf, &cctx);
	cctx.key = &ring.keys[1];
	rlen = serve(qbuf, qlen, rbuf, &check);
	ck_assert_int_eq(check, HS_EOK);
	r = parse(rbuf, rlen);
	ck_assert_int_eq(hs_tsig_check_response(r, &cctx), KNOT_TSIG_EBADKEY);
	knot_pkt_free(r);
}
END_TEST

START_TEST(response_to_other_query)
{
	uint8_t q1[KNOT_WIRE_MAX_PKTSIZE], q2[KNOT_WIRE_MAX_PKTSIZE], rbuf[KNOT_WIRE_MAX_PKTSIZE];
	hs_tsig_ctx_t c1, c2;
	make_query(&ring.keys[0], q1, &c1);
	size_t l2 = make_query(&ring.keys[0], q2, &c2);
	ck_assert(c1.mac_len == c2.mac_len);
	int check;
	size_t rlen = serve(q2, l2, rbuf, &check);
	ck_assert_int_eq(check, HS_EOK);
	/* c1's MAC differs from c2's unless the clock ticked identically: force it */
	c1.mac[0] = c2.mac[0] ^ 0xff;
	knot_pkt_t *r = parse(rbuf, rlen);
	ck_assert_int_eq(hs_tsig_check_response(r, &c1), KNOT_TSIG_EBADSIG);
	ck_assert_int_eq(hs_tsig_check_response(r, &c2), HS_EOK);
	knot_pkt_free(r);
}
END_TEST

START_TEST(unsigned_messages)
{
	uint8_t buf[512];
	knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
	ck_assert_int_eq(knot_pkt_put_question(q, (const knot_dname_t *)"\x07" "example\x03" "com",
	                                       KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	size_t len = q->size;
	memcpy(buf, q->wire, len);
	knot_pkt_free(q);
	q = parse(buf, len);
	hs_tsig_ctx_t ctx;
	ck_assert_int_eq(hs_tsig_check_query(q, &ring, &ctx), HS_ETSIG_NONE);
	ck_assert_ptr_null(ctx.key);
	ck_assert_int_eq(hs_tsig_sign_response(q, &ctx), HS_ETSIG_NONE);
	ctx.key = &ring.keys[0];
	ck_assert_int_eq(hs_tsig_check_response(q, &ctx), HS_ETSIG_NONE);
	knot_pkt_free(q);
}
END_TEST

/* An AXFR-like answer in three messages, each signed on the previous MAC. */
START_TEST(multi_message)
{
	const knot_tsig_key_t *key = &ring.keys[1];
	uint8_t qbuf[KNOT_WIRE_MAX_PKTSIZE];
	hs_tsig_ctx_t cctx;
	size_t qlen = make_query(key, qbuf, &cctx);
	knot_pkt_t *q = parse(qbuf, qlen);
	hs_tsig_ctx_t sctx;
	ck_assert_int_eq(hs_tsig_check_query(q, &ring, &sctx), HS_EOK);

	uint8_t msgs[3][KNOT_WIRE_MAX_PKTSIZE];
	size_t lens[3];
	for (int i = 0; i < 3; i++) {
		knot_pkt_t *r = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		ck_assert_int_eq(knot_pkt_init_response(r, q), KNOT_EOK);
		ck_assert_int_eq(hs_tsig_reserve(r, key), KNOT_EOK);
		ck_assert_int_eq(hs_tsig_sign_response(r, &sctx), HS_EOK);
		lens[i] = r->size;
		memcpy(msgs[i], r->wire, r->size);
		knot_pkt_free(r);
	}
	knot_pkt_free(q);

	/* out of order: the second message first fails */
	hs_tsig_ctx_t skip = cctx;
	knot_pkt_t *r = parse(msgs[1], lens[1]);
	ck_assert_int_eq(hs_tsig_check_response(r, &skip), KNOT_TSIG_EBADSIG);
	knot_pkt_free(r);

	for (int i = 0; i < 3; i++) {
		r = parse(msgs[i], lens[i]);
		ck_assert_msg(hs_tsig_check_response(r, &cctx) == HS_EOK, "message %d", i);
		knot_pkt_free(r);
	}
	ck_assert_uint_eq(cctx.count, 3);
}
END_TEST

/*
 * Real clients' signed messages, captured once (misc-tsigmsg-*.bin): kdig,
 * dig and nsupdate signed them with the misc-tsig-one.key key. The MAC must
 * verify; by now they are outside the 300 s fudge, so the answer is BADTIME,
 * signed, with RCODE NOTAUTH. A changed byte is BADSIG (MAC before time).
 */
START_TEST(real_clients)
{
	static const char *const files[] = {
		"misc-tsigmsg-kdig.bin", "misc-tsigmsg-dig.bin", "misc-tsigmsg-nsupdate.bin",
	};
	hs_tsig_keys_t one = { 0 };
	int line;
	ck_assert_int_eq(hs_tsig_load(hs_testdata("misc-tsig-one.key"), &one, &line), HS_EOK);
	for (size_t i = 0; i < 3; i++) {
		uint8_t wire[KNOT_WIRE_MAX_PKTSIZE];
		FILE *f = fopen(hs_testdata(files[i]), "rb");
		ck_assert_ptr_nonnull(f);
		size_t len = fread(wire, 1, sizeof(wire), f);
		fclose(f);
		ck_assert_uint_gt(len, 12);

		knot_pkt_t *q = parse(wire, len);
		ck_assert_ptr_nonnull(q->tsig_rr);
		int64_t age = (int64_t)time(NULL) - (int64_t)knot_tsig_rdata_time_signed(q->tsig_rr);
		int fresh = age >= -300 && age <= 300;
		hs_tsig_ctx_t sctx;
		int ret = hs_tsig_check_query(q, &one, &sctx);
		ck_assert_msg(ret == (fresh ? HS_EOK : KNOT_TSIG_EBADTIME), "%s: %d %s", files[i],
		              ret, hs_strerror(ret));
		ck_assert_ptr_eq(sctx.key, &one.keys[0]);
		ck_assert_uint_eq(sctx.mac_len, 32);
		if (!fresh) {
			ck_assert_uint_eq(sctx.tsig_rcode, KNOT_RCODE_BADTIME);
			knot_pkt_t *r = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
			ck_assert_int_eq(knot_pkt_init_response(r, q), KNOT_EOK);
			ck_assert_int_eq(hs_tsig_reserve(r, sctx.key), KNOT_EOK);
			ck_assert_int_eq(hs_tsig_sign_response(r, &sctx), HS_EOK);
			knot_pkt_t *rp = parse(r->wire, r->size);
			ck_assert_uint_eq(knot_wire_get_rcode(rp->wire), KNOT_RCODE_NOTAUTH);
			ck_assert_uint_eq(knot_tsig_rdata_error(rp->tsig_rr), KNOT_RCODE_BADTIME);
			ck_assert_uint_eq(knot_tsig_rdata_mac_length(rp->tsig_rr), 32);
			ck_assert_uint_eq(knot_tsig_rdata_other_data_length(rp->tsig_rr), 6);
			/* the client learns BADTIME */
			hs_tsig_ctx_t cctx = { .key = &one.keys[0], .mac_len = 32 };
			memcpy(cctx.mac, knot_tsig_rdata_mac(q->tsig_rr), 32);
			ck_assert_int_eq(hs_tsig_check_response(rp, &cctx), KNOT_TSIG_EBADTIME);
			knot_pkt_free(rp);
			knot_pkt_free(r);
		}
		knot_pkt_free(q);

		/* one changed byte in the question: QCLASS IN -> CH */
		size_t qc = KNOT_WIRE_HEADER_SIZE + 13 + 3;
		ck_assert_uint_eq(wire[qc], KNOT_CLASS_IN);
		wire[qc] = KNOT_CLASS_CH;
		q = parse(wire, len);
		ck_assert_int_eq(hs_tsig_check_query(q, &one, &sctx), KNOT_TSIG_EBADSIG);
		ck_assert_uint_eq(sctx.tsig_rcode, KNOT_RCODE_BADSIG);
		knot_pkt_free(q);
	}
	hs_tsig_keys_free(&one);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tsig");
	TCase *tc = tcase_create("keyfile");
	tcase_add_test(tc, load_one);
	tcase_add_test(tc, load_many);
	tcase_add_test(tc, load_bad_files);
	tcase_add_test(tc, parse_variants);
	suite_add_tcase(s, tc);
	tc = tcase_create("sign");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sign_and_verify);
	tcase_add_test(tc, modified_query);
	tcase_add_test(tc, wrong_key);
	tcase_add_test(tc, response_to_other_query);
	tcase_add_test(tc, unsigned_messages);
	tcase_add_test(tc, multi_message);
	tcase_add_test(tc, real_clients);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
