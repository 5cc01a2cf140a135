/* Unit tests for libhsync/edns.c */
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

/* KEY-ID 12345, TRUSTED, KEY-DATA 0, EXTRA-TEXT "ok" */
static const uint8_t ks_vec[] = { 0x30, 0x39, 0x04, 0x00, 'o', 'k' };
/* HELLO, DNS|API, peer-to-peer, reserved 0, body "hi!" */
static const uint8_t ps_vec[] = { 0x01, 0x03, 0x02, 0x00, 'h', 'i', '!' };

START_TEST(keystate_encode_vector)
{
	hs_keystate_t ks = { .key_id = 12345, .state = HS_KS_TRUSTED, .data = 0,
	                     .text = (const uint8_t *)"ok", .text_len = 2 };
	uint8_t buf[16];
	size_t len = 0;
	ck_assert_int_eq(hs_keystate_encode(&ks, buf, sizeof(buf), &len), HS_EOK);
	ck_assert_uint_eq(len, sizeof(ks_vec));
	ck_assert_mem_eq(buf, ks_vec, sizeof(ks_vec));
	ck_assert_uint_eq(hs_keystate_size(&ks), 6);

	/* too small a buffer */
	ck_assert_int_eq(hs_keystate_encode(&ks, buf, 5, &len), HS_ESPACE);

	/* no text */
	hs_keystate_t bare = { .key_id = 0xabcd, .state = HS_KS_INQUIRE, .data = 7 };
	ck_assert_int_eq(hs_keystate_encode(&bare, buf, sizeof(buf), &len), HS_EOK);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, "\xab\xcd\x02\x07", 4);
}
END_TEST

START_TEST(keystate_decode_vector)
{
	hs_keystate_t ks;
	ck_assert_int_eq(hs_keystate_decode(ks_vec, sizeof(ks_vec), &ks), HS_EOK);
	ck_assert_uint_eq(ks.key_id, 12345);
	ck_assert_uint_eq(ks.state, HS_KS_TRUSTED);
	ck_assert_uint_eq(ks.data, 0);
	ck_assert_uint_eq(ks.text_len, 2);
	ck_assert_ptr_eq(ks.text, ks_vec + 4);  /* borrowed, not copied */

	ck_assert_int_eq(hs_keystate_decode(ks_vec, 4, &ks), HS_EOK);
	ck_assert_uint_eq(ks.text_len, 0);
	ck_assert_ptr_null(ks.text);
}
END_TEST

START_TEST(keystate_states)
{
	for (int s = 0; s < 256; s++) {
		int want = (s <= 2 || (s >= 4 && s <= 10));
		ck_assert_int_eq(hs_keystate_state_ok((uint8_t)s), want);
		uint8_t buf[4] = { 0, 1, (uint8_t)s, 0 };
		hs_keystate_t ks = { .key_id = 99 };
		int ret = hs_keystate_decode(buf, 4, &ks);
		ck_assert_int_eq(ret, want ? HS_EOK : HS_EKS_STATE);
		if (!want) {
			ck_assert_uint_eq(ks.key_id, 99);  /* unchanged on error */
		}
		hs_keystate_t enc = { .state = (uint8_t)s };
		size_t len;
		ck_assert_int_eq(hs_keystate_encode(&enc, buf, 4, &len), want ? HS_EOK : HS_EKS_STATE);
	}
	ck_assert_str_eq(hs_keystate_state_name(HS_KS_TRUSTED), "TRUSTED");
	ck_assert_ptr_null(hs_keystate_state_name(3));
}
END_TEST

START_TEST(keystate_bad_length)
{
	hs_keystate_t ks;
	for (size_t l = 0; l < 4; l++) {
		ck_assert_int_eq(hs_keystate_decode(ks_vec, l, &ks), HS_EOPT_LEN);
	}
	ck_assert_int_eq(hs_keystate_decode(NULL, 4, &ks), HS_EINVAL);
	hs_keystate_t bad = { .state = HS_KS_TRUSTED, .text = NULL, .text_len = 3 };
	ck_assert_int_eq(hs_keystate_check(&bad), HS_EINVAL);
	static uint8_t big[70000];
	hs_keystate_t huge = { .state = HS_KS_TRUSTED, .text = big, .text_len = 65532 };
	ck_assert_int_eq(hs_keystate_check(&huge), HS_EOPT_LEN);
	huge.text_len = 65531;
	ck_assert_int_eq(hs_keystate_check(&huge), HS_EOK);
}
END_TEST

START_TEST(provsync_encode_vector)
{
	hs_provsync_t ps = { .op = HS_PS_OP_HELLO,
	                     .transport = HS_PS_TRANSPORT_DNS | HS_PS_TRANSPORT_API,
	                     .sync = HS_PS_SYNC_P2P,
	                     .body = (const uint8_t *)"hi!", .body_len = 3 };
	uint8_t buf[16];
	size_t len = 0;
	ck_assert_int_eq(hs_provsync_encode(&ps, buf, sizeof(buf), &len), HS_EOK);
	ck_assert_uint_eq(len, sizeof(ps_vec));
	ck_assert_mem_eq(buf, ps_vec, sizeof(ps_vec));
	ck_assert_int_eq(hs_provsync_encode(&ps, buf, 6, &len), HS_ESPACE);

	hs_provsync_t hb = { .op = HS_PS_OP_HEARTBEAT, .transport = HS_PS_TRANSPORT_DNS,
	                     .sync = HS_PS_SYNC_LEADER };
	ck_assert_int_eq(hs_provsync_encode(&hb, buf, sizeof(buf), &len), HS_EOK);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, "\x02\x01\x01\x00", 4);
}
END_TEST

START_TEST(provsync_decode_vector)
{
	hs_provsync_t ps;
	ck_assert_int_eq(hs_provsync_decode(ps_vec, sizeof(ps_vec), &ps), HS_EOK);
	ck_assert_uint_eq(ps.op, HS_PS_OP_HELLO);
	ck_assert_uint_eq(ps.transport, 3);
	ck_assert_uint_eq(ps.sync, HS_PS_SYNC_P2P);
	ck_assert_uint_eq(ps.body_len, 3);
	ck_assert_ptr_eq(ps.body, ps_vec + 4);
}
END_TEST

START_TEST(provsync_ops)
{
	for (int op = 0; op < 256; op++) {
		int want = (op == 1 || op == 2 || op >= 128);
		uint8_t buf[4] = { (uint8_t)op, 0x01, 0x00, 0x00 };
		hs_provsync_t ps = { .op = 77 };
		ck_assert_int_eq(hs_provsync_decode(buf, 4, &ps), want ? HS_EOK : HS_EPS_OP);
		ck_assert_uint_eq(ps.op, want ? op : 77);
		hs_provsync_t enc = { .op = (uint8_t)op, .transport = 1 };
		size_t len;
		ck_assert_int_eq(hs_provsync_encode(&enc, buf, 4, &len), want ? HS_EOK : HS_EPS_OP);
	}
}
END_TEST

START_TEST(provsync_bad)
{
	hs_provsync_t ps = { .op = 99 };
	static const uint8_t no_dns[] = { 0x01, 0x02, 0x00, 0x00 };
	static const uint8_t reserved[] = { 0x01, 0x01, 0x00, 0x01 };
	static const uint8_t zero_tr[] = { 0x02, 0x00, 0x00, 0x00 };
	ck_assert_int_eq(hs_provsync_decode(no_dns, 4, &ps), HS_EPS_TRANSPORT);
	ck_assert_int_eq(hs_provsync_decode(zero_tr, 4, &ps), HS_EPS_TRANSPORT);
	ck_assert_int_eq(hs_provsync_decode(reserved, 4, &ps), HS_EPS_RESERVED);
	for (size_t l = 0; l < 4; l++) {
		ck_assert_int_eq(hs_provsync_decode(ps_vec, l, &ps), HS_EOPT_LEN);
	}
	ck_assert_uint_eq(ps.op, 99);

	/* unknown flag bits are carried */
	static const uint8_t flags[] = { 0x80, 0xff, 0xfc, 0x00 };
	ck_assert_int_eq(hs_provsync_decode(flags, 4, &ps), HS_EOK);
	ck_assert_uint_eq(ps.transport, 0xff);
	ck_assert_uint_eq(ps.sync, 0xfc);

	hs_provsync_t enc = { .op = 1, .transport = HS_PS_TRANSPORT_API };
	uint8_t buf[8];
	size_t len;
	ck_assert_int_eq(hs_provsync_encode(&enc, buf, sizeof(buf), &len), HS_EPS_TRANSPORT);
}
END_TEST

/* Build a NOTIFY with both options, send it through wire, parse, get. */
START_TEST(packet_roundtrip)
{
	knot_pkt_t *q = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(q);
	knot_dname_t *zone = knot_dname_from_str_alloc("example.com.");
	knot_wire_set_id(q->wire, 0x1234);
	knot_wire_set_opcode(q->wire, KNOT_OPCODE_NOTIFY);
	knot_wire_set_aa(q->wire);
	ck_assert_int_eq(knot_pkt_put_question(q, zone, KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_begin(q, KNOT_ADDITIONAL), KNOT_EOK);

	knot_rrset_t opt;
	ck_assert_int_eq(knot_edns_init(&opt, 1232, 0, 0, &q->mm), KNOT_EOK);
	hs_keystate_t ks = { .key_id = 12345, .state = HS_KS_TRUSTED,
	                     .text = (const uint8_t *)"ok", .text_len = 2 };
	hs_provsync_t ps = { .op = HS_PS_OP_HELLO, .transport = 3, .sync = 2,
	                     .body = (const uint8_t *)"hi!", .body_len = 3 };
	ck_assert_int_eq(hs_edns_add_keystate(&opt, &ks, &q->mm), HS_EOK);
	ck_assert_int_eq(hs_edns_add_provsync(&opt, &ps, &q->mm), HS_EOK);
	/* a bad option is refused and leaves the OPT RR as it was */
	uint32_t before = opt.rrs.size;
	hs_keystate_t bad = { .state = 3 };
	ck_assert_int_eq(hs_edns_add_keystate(&opt, &bad, &q->mm), HS_EKS_STATE);
	ck_assert_uint_eq(opt.rrs.size, before);
	ck_assert_int_eq(knot_pkt_put(q, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE), KNOT_EOK);

	/* Option code, length and data appear on the wire exactly. */
	static const uint8_t ks_opt[] = { 0xfd, 0xea, 0x00, 0x06, 0x30, 0x39, 0x04, 0x00, 'o', 'k' };
	static const uint8_t ps_opt[] = { 0xfd, 0xee, 0x00, 0x07, 0x01, 0x03, 0x02, 0x00, 'h', 'i', '!' };
	ck_assert_ptr_nonnull(memmem(q->wire, q->size, ks_opt, sizeof(ks_opt)));
	ck_assert_ptr_nonnull(memmem(q->wire, q->size, ps_opt, sizeof(ps_opt)));

	uint8_t wire[KNOT_WIRE_MAX_PKTSIZE];
	memcpy(wire, q->wire, q->size);
	knot_pkt_t *r = knot_pkt_new(wire, q->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(r, 0), KNOT_EOK);
	hs_keystate_t ks2;
	hs_provsync_t ps2;
	ck_assert_int_eq(hs_edns_get_keystate(r, &ks2), HS_EOK);
	ck_assert_uint_eq(ks2.key_id, 12345);
	ck_assert_uint_eq(ks2.state, HS_KS_TRUSTED);
	ck_assert_uint_eq(ks2.text_len, 2);
	ck_assert_mem_eq(ks2.text, "ok", 2);
	ck_assert_int_eq(hs_edns_get_provsync(r, &ps2), HS_EOK);
	ck_assert_uint_eq(ps2.op, HS_PS_OP_HELLO);
	ck_assert_uint_eq(ps2.body_len, 3);
	ck_assert_mem_eq(ps2.body, "hi!", 3);

	knot_pkt_free(r);
	knot_pkt_free(q);
	knot_dname_free(zone, NULL);
}
END_TEST

START_TEST(packet_absent)
{
	/* no OPT RR at all */
	knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
	knot_dname_t *zone = knot_dname_from_str_alloc("example.com.");
	ck_assert_int_eq(knot_pkt_put_question(q, zone, KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	uint8_t wire[512];
	memcpy(wire, q->wire, q->size);
	knot_pkt_t *r = knot_pkt_new(wire, q->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(r, 0), KNOT_EOK);
	hs_keystate_t ks;
	hs_provsync_t ps;
	ck_assert_int_eq(hs_edns_get_keystate(r, &ks), HS_ENOTFOUND);
	ck_assert_int_eq(hs_edns_get_provsync(r, &ps), HS_ENOTFOUND);
	knot_pkt_free(r);

	/* OPT RR with another option only; and a malformed Provider-Sync */
	knot_pkt_clear(q);
	ck_assert_int_eq(knot_pkt_put_question(q, zone, KNOT_CLASS_IN, KNOT_RRTYPE_SOA), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_begin(q, KNOT_ADDITIONAL), KNOT_EOK);
	knot_rrset_t opt;
	ck_assert_int_eq(knot_edns_init(&opt, 1232, 0, 0, &q->mm), KNOT_EOK);
	ck_assert_int_eq(knot_edns_add_option(&opt, HS_EDNS_PROVIDER_SYNC, 3,
	                                      (const uint8_t *)"\x01\x01\x00", &q->mm), KNOT_EOK);
	ck_assert_int_eq(knot_pkt_put(q, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE), KNOT_EOK);
	memcpy(wire, q->wire, q->size);
	r = knot_pkt_new(wire, q->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(r, 0), KNOT_EOK);
	ck_assert_int_eq(hs_edns_get_keystate(r, &ks), HS_ENOTFOUND);
	ck_assert_int_eq(hs_edns_get_provsync(r, &ps), HS_EOPT_LEN);
	knot_pkt_free(r);
	knot_pkt_free(q);
	knot_dname_free(zone, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("edns");
	TCase *tc = tcase_create("keystate");
	tcase_add_test(tc, keystate_encode_vector);
	tcase_add_test(tc, keystate_decode_vector);
	tcase_add_test(tc, keystate_states);
	tcase_add_test(tc, keystate_bad_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("provsync");
	tcase_add_test(tc, provsync_encode_vector);
	tcase_add_test(tc, provsync_decode_vector);
	tcase_add_test(tc, provsync_ops);
	tcase_add_test(tc, provsync_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("packet");
	tcase_add_test(tc, packet_roundtrip);
	tcase_add_test(tc, packet_absent);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
