/* Unit tests for hsyncd/proto.c: the messages hsyncd sends and the checks of their answers. */
#include <string.h>

#include "hsyncd/apex.h"
#include "hsyncd/hsyncd.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

#define ZONE ((const knot_dname_t *)"\4zone\7example")

static hs_tsig_keys_t keys;

static void setup(void)
{
	const char *k = "key xfr { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"
	                "key other { algorithm hmac-sha256; secret \"b3RoZXJvdGhlcg==\"; };\n";
	memset(&keys, 0, sizeof(keys));
	ck_assert_int_eq(hs_tsig_parse(k, strlen(k), &keys, NULL), 0);
}

static void teardown(void)
{
	hs_tsig_keys_free(&keys);
}

START_TEST(soa_query_bytes)
{
	uint8_t q[512];
	size_t len = 0;
	ck_assert_int_eq(hsd_msg_query(q, &len, sizeof(q), ZONE, KNOT_RRTYPE_SOA, false, NULL,
	                               NULL, NULL), 0);
	/* header: any ID, no flags, QDCOUNT 1; question zone.example. SOA IN */
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		4, 'z', 'o', 'n', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0x00, 0x06, 0x00, 0x01,
	};
	ck_assert_uint_eq(len, 2 + sizeof(want));
	ck_assert_mem_eq(q + 2, want, sizeof(want));
}
END_TEST

START_TEST(notify_bytes)
{
	uint8_t q[512];
	size_t len = 0;
	ck_assert_int_eq(hsd_msg_query(q, &len, sizeof(q), ZONE, 65282, true, NULL, NULL, NULL), 0);
	/* opcode NOTIFY (4) and AA: 0x24 0x00; qtype 65282 = 0xff02 */
	static const uint8_t want[] = {
		0x24, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		4, 'z', 'o', 'n', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0xff, 0x02, 0x00, 0x01,
	};
	ck_assert_uint_eq(len, 2 + sizeof(want));
	ck_assert_mem_eq(q + 2, want, sizeof(want));
}
END_TEST

START_TEST(ixfr_and_signed)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata("apex-v1.zone"), ZONE), 0);
	knot_rrset_t soa;
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_SOA, &soa), 0);
	uint8_t q[1024];
	size_t len = 0;
	hs_tsig_ctx_t ctx;
	/* IXFR needs our SOA */
	ck_assert_int_eq(hsd_msg_query(q, &len, sizeof(q), ZONE, KNOT_RRTYPE_IXFR, false, NULL,
	                               NULL, NULL), HS_EINVAL);
	ck_assert_int_eq(hsd_msg_query(q, &len, sizeof(q), ZONE, KNOT_RRTYPE_IXFR, false, &soa,
	                               &keys.keys[0], &ctx), 0);
	ck_assert_ptr_eq(ctx.key, &keys.keys[0]);
	ck_assert_uint_eq(knot_wire_get_nscount(q), 1);
	ck_assert_uint_eq(knot_wire_get_arcount(q), 1);
	/* the server side sees a good TSIG and the serial */
	knot_pkt_t *pkt = knot_pkt_new(q, (uint16_t)len, NULL);
	ck_assert_int_eq(knot_pkt_parse(pkt, 0), 0);
	hs_tsig_ctx_t sctx;
	ck_assert_int_eq(hs_tsig_check_query(pkt, &keys, &sctx), 0);
	const knot_pktsection_t *ns = knot_pkt_section(pkt, KNOT_AUTHORITY);
	ck_assert_uint_eq(knot_soa_serial(knot_pkt_rr(ns, 0)->rrs.rdata), 2026010101);
	knot_pkt_free(pkt);
	/* too small a buffer, bad arguments */
	ck_assert_int_eq(hsd_msg_query(q, &len, 100, ZONE, KNOT_RRTYPE_SOA, false, NULL, NULL, NULL),
	                 HS_EINVAL);
	ck_assert_int_eq(hsd_msg_query(q, &len, sizeof(q), ZONE, KNOT_RRTYPE_SOA, false, NULL,
	                               &keys.keys[0], NULL), HS_EINVAL);
	hs_apex_free(a);
}
END_TEST

/* An answer to q built by a server: rcode, SOA of a (if not NULL) in the
 * answer section, signed with keys if the query was. */
static size_t respond(const uint8_t *q, size_t qlen, uint16_t rcode, const hs_apex_t *a,
                      const hs_tsig_keys_t *k, uint8_t *out, size_t cap)
{
	knot_pkt_t *query = knot_pkt_new(NULL, (uint16_t)qlen, NULL);
	memcpy(query->wire, q, qlen);
	query->size = qlen;
	ck_assert_int_eq(knot_pkt_parse(query, 0), 0);
	hs_tsig_ctx_t ctx;
	bool sign = k != NULL && hs_tsig_check_query(query, k, &ctx) == 0;
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)cap, NULL);
	ck_assert_int_eq(knot_pkt_init_response(r, query), 0);
	knot_wire_set_rcode(r->wire, rcode);
	if (sign) {
		hs_tsig_reserve(r, ctx.key);
	}
	knot_rrset_t soa;
	if (a != NULL && hs_apex_rrset(a, KNOT_RRTYPE_SOA, &soa) == 0) {
		ck_assert_int_eq(knot_pkt_put(r, 0, &soa, 0), 0);
	}
	if (sign) {
		ck_assert_int_eq(hs_tsig_sign_response(r, &ctx), 0);
	}
	size_t len = r->size;
	knot_pkt_free(r);
	knot_pkt_free(query);
	return len;
}

START_TEST(check_answers)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata("apex-v1.zone"), ZONE), 0);
	uint8_t q[512], r[1024];
	size_t qlen, rlen;
	hs_tsig_ctx_t ctx;
	uint16_t rcode = 99;
	uint32_t serial = 0;
	knot_pkt_t *pkt = NULL;

	/* unsigned SOA query and its answer */
	ck_assert_int_eq(hsd_msg_query(q, &qlen, sizeof(q), ZONE, KNOT_RRTYPE_SOA, false, NULL,
	                               NULL, NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	rlen = respond(q, qlen, KNOT_RCODE_NOERROR, a, NULL, r, sizeof(r));
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, false, &rcode, &pkt), 0);
	ck_assert_uint_eq(rcode, 0);
	ck_assert_int_eq(hsd_msg_soa_serial(pkt, ZONE, &serial), 0);
	ck_assert_uint_eq(serial, 2026010101);
	ck_assert_int_eq(hsd_msg_soa_serial(pkt, (const knot_dname_t *)"\1x\7example", &serial),
	                 HS_ENOTFOUND);
	knot_pkt_free(pkt);

	/* not our answer: ID, QR, TC; a query echoed back */
	r[0] ^= 1;
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, false, NULL, NULL), HS_EMSG);
	r[0] ^= 1;
	knot_wire_set_tc(r);
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, false, NULL, NULL), HS_EMSG);
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, true, NULL, NULL), 0);
	knot_wire_clear_tc(r);
	ck_assert_int_eq(hsd_msg_check(q, qlen, q, qlen, &ctx, false, NULL, NULL), HS_EMSG);
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, 5, &ctx, false, NULL, NULL), HS_EMSG);
	/* another question */
	uint8_t q2[512];
	size_t q2len;
	ck_assert_int_eq(hsd_msg_query(q2, &q2len, sizeof(q2), ZONE, KNOT_RRTYPE_NS, false, NULL,
	                               NULL, NULL), 0);
	memcpy(q2, q, 2);
	ck_assert_int_eq(hsd_msg_check(q2, q2len, r, rlen, &ctx, false, NULL, NULL), HS_EMSG);

	/* error RCODE */
	rlen = respond(q, qlen, KNOT_RCODE_REFUSED, NULL, NULL, r, sizeof(r));
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, false, &rcode, NULL), HS_EXFR_RCODE);
	ck_assert_uint_eq(rcode, KNOT_RCODE_REFUSED);

	/* signed: a signed answer passes; unsigned, or signed with another key, does not */
	ck_assert_int_eq(hsd_msg_query(q, &qlen, sizeof(q), ZONE, 65282, true, NULL,
	                               &keys.keys[0], &ctx), 0);
	hs_tsig_ctx_t keep = ctx;
	rlen = respond(q, qlen, KNOT_RCODE_NOERROR, NULL, &keys, r, sizeof(r));
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, false, &rcode, NULL), 0);
	ctx = keep;
	rlen = respond(q, qlen, KNOT_RCODE_NOERROR, NULL, NULL, r, sizeof(r));
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, &ctx, false, &rcode, NULL), HS_ETSIG_NONE);
	ctx = keep;
	/* a byte of the signed answer changed */
	rlen = respond(q, qlen, KNOT_RCODE_NOERROR, NULL, &keys, r, sizeof(r));
	r[3] ^= 0x10;   /* the AD bit: not our business, but covered by the MAC */
	ck_assert_int_ne(hsd_msg_check(q, qlen, r, rlen, &ctx, false, &rcode, NULL), 0);
	hs_apex_free(a);
}
END_TEST

START_TEST(xfr_feed)
{
	/* An AXFR answer of apex-v1.zone, in one message, followed into an apex state. */
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata("apex-v1.zone"), ZONE), 0);
	uint8_t q[512], r[8192];
	size_t qlen;
	ck_assert_int_eq(hsd_msg_query(q, &qlen, sizeof(q), ZONE, KNOT_RRTYPE_AXFR, false, NULL,
	                               NULL, NULL), 0);
	knot_pkt_t *query = knot_pkt_new(NULL, (uint16_t)qlen, NULL);
	memcpy(query->wire, q, qlen);
	query->size = qlen;
	ck_assert_int_eq(knot_pkt_parse(query, 0), 0);
	knot_pkt_t *resp = knot_pkt_new(r, sizeof(r), NULL);
	ck_assert_int_eq(knot_pkt_init_response(resp, query), 0);
	knot_rrset_t soa, rr;
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_SOA, &soa), 0);
	ck_assert_int_eq(knot_pkt_put(resp, 0, &soa, 0), 0);
	for (int s = 1; s < HS_APEX_NSLOTS; s++) {
		if (hs_apex_rrset(a, hs_apex_slot_type(s), &rr) == 0) {
			ck_assert_int_eq(knot_pkt_put(resp, 0, &rr, 0), 0);
		}
		if (hs_apex_rrsig(a, hs_apex_slot_type(s), &rr) == 0) {
			ck_assert_int_eq(knot_pkt_put(resp, 0, &rr, 0), 0);
		}
	}
	if (hs_apex_rrsig(a, KNOT_RRTYPE_SOA, &rr) == 0) {
		ck_assert_int_eq(knot_pkt_put(resp, 0, &rr, 0), 0);
	}
	/* a record the follower must drop */
	knot_rrset_t *www = knot_rrset_new((const knot_dname_t *)"\3www\4zone\7example",
	                                   KNOT_RRTYPE_A, KNOT_CLASS_IN, 300, NULL);
	ck_assert_int_eq(knot_rrset_add_rdata(www, (const uint8_t *)"\xc0\x00\x02\x01", 4, NULL), 0);
	ck_assert_int_eq(knot_pkt_put(resp, 0, www, 0), 0);
	ck_assert_int_eq(knot_pkt_put(resp, 0, &soa, 0), 0);
	size_t rlen = resp->size;
	knot_pkt_free(resp);

	knot_pkt_t *pkt = NULL;
	ck_assert_int_eq(hsd_msg_check(q, qlen, r, rlen, NULL, false, NULL, &pkt), 0);
	hs_apex_xfr_t x;
	ck_assert_int_eq(hs_apex_xfr_begin(&x, ZONE, NULL), 0);
	ck_assert_int_eq(hsd_msg_xfr_feed(&x, pkt), 0);
	ck_assert(hs_apex_xfr_done(&x));
	hs_apex_t *got = NULL;
	ck_assert_int_eq(hs_apex_xfr_finish(&x, &got), 0);
	ck_assert(hs_apex_equal(got, a));
	hs_apex_free(got);
	knot_pkt_free(pkt);
	knot_rrset_free(www, NULL);
	knot_pkt_free(query);
	hs_apex_free(a);
}
END_TEST

START_TEST(timers_and_backoff)
{
	hs_apex_t *a = NULL;
	uint32_t refresh = 0, retry = 0;
	ck_assert(!hsd_msg_soa_timers(NULL, &refresh, &retry));
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata("apex-v1.zone"), ZONE), 0);
	ck_assert(hsd_msg_soa_timers(a, &refresh, &retry));
	ck_assert_uint_eq(refresh, 7200);
	ck_assert_uint_eq(retry, 3600);
	hs_apex_free(a);
	static const unsigned want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_uint_eq(hsd_msg_notify_backoff(i), want[i]);
	}
	ck_assert_uint_eq(hsd_msg_notify_backoff(1000000), 60);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hsyncd_proto");
	TCase *tc = tcase_create("proto");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, soa_query_bytes);
	tcase_add_test(tc, notify_bytes);
	tcase_add_test(tc, ixfr_and_signed);
	tcase_add_test(tc, check_answers);
	tcase_add_test(tc, xfr_feed);
	tcase_add_test(tc, timers_and_backoff);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
