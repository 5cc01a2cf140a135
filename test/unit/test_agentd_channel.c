/*
 * test_agentd_channel.c -- agentd/channel.c with the protocol's test
 * vectors (doc/protocol.md section 15) at their clock: our agent is
 * other.example (key Kother.example.+015+24743, identity agent.other.),
 * the peer is identity agent.sig0. whose host is sig0.example. (key
 * Ksig0.example.+015+19511). The answer to the HELLO vector must be the
 * HELLO response vector byte for byte; every refusal changes nothing.
 */
#include <string.h>

#include "agentd/agentd.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "unit.h"

#define T0 1800000000

static agd_cfg_t *cfg;
static hs_peers_t *peers;
static agd_zones_t zones;
static hs_replay_t *replay;
static agd_chan_t ch;
static hs_peer_t *peer;
static hs_key_t *peer_key;

static const knot_dname_t *ZONE = (const knot_dname_t *)"\x04zone\x07" "example";
static const knot_dname_t *PEER_ID = (const knot_dname_t *)"\x05" "agent\x04sig0";
static const knot_dname_t *SENDER = (const knot_dname_t *)"\x04sig0\x07" "example";

static uint8_t *slurp(const char *name, size_t *len)
{
	FILE *f = fopen(hs_testdata(name), "rb");
	ck_assert_msg(f != NULL, "%s", name);
	static uint8_t buf[4][4096];
	static int n;
	uint8_t *b = buf[n++ % 4];
	*len = fread(b, 1, 4096, f);
	fclose(f);
	return b;
}

static void set_zone(bool with_peer)
{
	hs_hsync_t hs[2];
	ck_assert_int_eq(hs_hsync_from_text(&hs[0], "ON AGENT SIGN agent.other. ."), 0);
	ck_assert_int_eq(hs_hsync_from_text(&hs[1], "ON AGENT SIGN agent.sig0. ."), 0);
	bool named;
	ck_assert_int_eq(agd_zones_set(&zones, ZONE, AGD_SRC_CONFIG, hs, with_peer ? 2 : 1,
	                               cfg->identity, T0, &named), 0);
	ck_assert(named);
}

static void setup(void)
{
	char text[8192], err[HS_CONF_ERRLEN] = "";
	snprintf(text, sizeof(text),
	         "identity agent.other\nkey \"%s\"\nresolver 127.0.0.1\n"
	         "synchronization both\nstate-dir /nonexistent\n",
	         hs_testdata("sig0-keys/Kother.example.+015+24743"));
	ck_assert_msg(agd_cfg_load_string(text, "t.conf", &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(hs_peers_new(&cfg->timers, &peers), 0);
	ck_assert_int_eq(hs_replay_new(64, &replay), 0);
	memset(&zones, 0, sizeof(zones));
	set_zone(true);
	ck_assert_int_eq(hs_peers_add(peers, PEER_ID, "zone.example.", T0, &peer), 0);

	char why[HS_KEY_WHY_SIZE];
	ck_assert_int_eq(hs_key_load_public(hs_testdata("sig0-keys/Ksig0.example.+015+19511.key"),
	                                    &peer_key, why, sizeof(why)), 0);
	hs_disc_result_t r;
	memset(&r, 0, sizeof(r));
	knot_dname_copy_lower(r.identity, PEER_ID);
	knot_dname_copy_lower(r.host, SENDER);
	r.port = 5399;
	r.naddrs = 1;
	hs_addr_parse("127.0.0.1@5399", 5399, &r.addrs[0]);
	r.nkeys = 1;
	r.keys[0] = peer_key;
	ck_assert_int_eq(hs_peer_discovered(peer, &r, T0), 1);
	ck_assert_int_eq(peer->state, HS_PEER_KNOWN);

	memset(&ch, 0, sizeof(ch));
	ch.cfg = cfg;
	ch.zones = &zones;
	ch.peers = peers;
	ch.replay = replay;
	ch.now = T0 + 1;
}

static void teardown(void)
{
	agd_chan_clear(&ch);
	agd_zones_free(&zones);
	hs_peers_free(peers);
	hs_replay_free(replay);
	hs_key_free(peer_key);
	agd_cfg_free(cfg);
}

static uint8_t handle(const uint8_t *wire, size_t len, agd_chan_result_t *res, bool *signed_)
{
	uint8_t out[4096];
	size_t outlen = 0;
	ck_assert_int_eq(agd_chan_handle(&ch, wire, len, out, sizeof(out), &outlen, res), 0);
	ck_assert_uint_ge(outlen, KNOT_WIRE_HEADER_SIZE);
	ck_assert(knot_wire_get_qr(out));
	hs_sig0_info_t info;
	*signed_ = hs_sig0_parse(out, outlen, &info) == 0;
	return knot_wire_get_rcode(out);
}

START_TEST(hello_vector)
{
	size_t len, rlen;
	uint8_t *req = slurp("msg-hello.bin", &len);
	uint8_t *want = slurp("msg-hello-response.bin", &rlen);
	uint8_t out[4096];
	size_t outlen = 0;
	agd_chan_result_t res;
	ck_assert_int_eq(agd_chan_handle(&ch, req, len, out, sizeof(out), &outlen, &res), 0);
	ck_assert_int_eq(res.err, 0);
	ck_assert_int_eq(res.rcode, KNOT_RCODE_NOERROR);
	ck_assert_int_eq(res.kind, HS_MSG_HELLO);
	ck_assert_ptr_eq(res.peer, peer);
	ck_assert_uint_eq(outlen, rlen);
	ck_assert_mem_eq(out, want, rlen);
	ck_assert_int_eq(peer->last_contact, T0 + 1);
	ck_assert_uint_eq(hs_replay_count(replay), 1);

	/* the same bytes again: a replay, REFUSED and signed, nothing changes */
	ch.now = T0 + 5;
	bool sig;
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_REFUSED);
	ck_assert_int_eq(res.err, HS_EREPLAY);
	ck_assert(sig);
	ck_assert_int_eq(peer->last_contact, T0 + 1);
	ck_assert_uint_eq(hs_replay_count(replay), 1);
}
END_TEST

START_TEST(heartbeat_needs_hello)
{
	size_t len, hlen;
	uint8_t *hb = slurp("msg-heartbeat.bin", &len);
	agd_chan_result_t res;
	bool sig;
	ck_assert_int_eq(handle(hb, len, &res, &sig), KNOT_RCODE_REFUSED);
	ck_assert_int_eq(res.err, 0);    /* verified, but not introduced */
	ck_assert(sig);
	ck_assert_int_eq(peer->last_contact, 0);

	uint8_t *hello = slurp("msg-hello.bin", &hlen);
	ck_assert_int_eq(handle(hello, hlen, &res, &sig), KNOT_RCODE_NOERROR);
	/* a new HEARTBEAT (the first one is in the replay memory now) */
	uint8_t msg[1024];
	size_t mlen;
	hs_key_t *k = NULL;
	char why[HS_KEY_WHY_SIZE];
	ck_assert_int_eq(hs_key_load(hs_testdata("sig0-keys/Ksig0.example.+015+19511.private"),
	                             &k, why, sizeof(why)), 0);
	hs_msg_opts_t mo = { .key = k, .sync = HS_PS_SYNC_P2P, .sig0 = { .now = T0 + 2 } };
	ck_assert_int_eq(hs_msg_build(HS_MSG_HEARTBEAT, ZONE, NULL, &mo, msg, sizeof(msg), &mlen), 0);
	ch.now = T0 + 2;
	ck_assert_int_eq(handle(msg, mlen, &res, &sig), KNOT_RCODE_NOERROR);
	ck_assert(sig);
	ck_assert_int_eq(peer->last_contact, T0 + 2);

	/* unsigned: REFUSED, unsigned, nothing changes */
	mo.key = NULL;
	ck_assert_int_eq(hs_msg_build(HS_MSG_HEARTBEAT, ZONE, NULL, &mo, msg, sizeof(msg), &mlen), 0);
	ch.now = T0 + 3;
	ck_assert_int_eq(handle(msg, mlen, &res, &sig), KNOT_RCODE_REFUSED);
	ck_assert_int_eq(res.err, HS_ESIG0_NONE);
	ck_assert(!sig);
	ck_assert_int_eq(peer->last_contact, T0 + 2);
	hs_key_free(k);
}
END_TEST

START_TEST(out_of_window)
{
	size_t len;
	uint8_t *req = slurp("msg-hello.bin", &len);
	agd_chan_result_t res;
	bool sig;
	ch.now = T0 + 1000;
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(res.err, HS_ESIG0_EXPIRED);
	ck_assert(!sig);
	ch.now = T0 - 1000;
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(res.err, HS_ESIG0_EARLY);
	ck_assert_int_eq(peer->last_contact, 0);
	ck_assert_uint_eq(hs_replay_count(replay), 0);
	ck_assert_uint_eq(ch.ngreeted, 0);
}
END_TEST

START_TEST(forged)
{
	size_t len;
	uint8_t *v = slurp("msg-hello.bin", &len);
	uint8_t req[4096];
	memcpy(req, v, len);
	req[len - 1] ^= 0x01;     /* last byte of the signature */
	agd_chan_result_t res;
	bool sig;
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(res.err, HS_ESIG0_BADSIG);
	ck_assert(!sig);
	memcpy(req, v, len);
	req[0x2d] = 0x02;         /* HELLO -> HEARTBEAT: covered by the signature */
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(peer->last_contact, 0);
	ck_assert_uint_eq(hs_replay_count(replay), 0);
	ck_assert_int_eq(peer->state, HS_PEER_KNOWN);
}
END_TEST

START_TEST(not_in_hsync)
{
	set_zone(false);          /* the zone's HSYNC no longer names agent.sig0. */
	size_t len;
	uint8_t *req = slurp("msg-hello.bin", &len);
	agd_chan_result_t res;
	bool sig;
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(res.err, HS_ESIG0_SIGNER);
	ck_assert(strstr(res.why, "sig0.example.") != NULL);
	ck_assert(!sig);
	ck_assert_int_eq(peer->last_contact, 0);
	ck_assert_uint_eq(hs_replay_count(replay), 0);

	/* a zone that is not ours at all */
	agd_zones_free(&zones);
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOTAUTH);
	ck_assert(strstr(res.why, "not one of ours") != NULL);
}
END_TEST

START_TEST(sync_and_rfi)
{
	size_t len;
	uint8_t *req = slurp("msg-sync.bin", &len);
	agd_chan_result_t res;
	bool sig;
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_NOERROR);
	ck_assert_int_eq(res.kind, HS_MSG_SYNC);
	ck_assert(sig);
	ck_assert(strstr(res.why, "with 5 records") != NULL);
	req = slurp("msg-rfi.bin", &len);
	ck_assert_int_eq(handle(req, len, &res, &sig), KNOT_RCODE_REFUSED);
	ck_assert_int_eq(res.err, 0);
	ck_assert_int_eq(res.kind, HS_MSG_RFI);
	ck_assert(sig);
}
END_TEST

START_TEST(responses_ignored)
{
	size_t len;
	uint8_t *resp = slurp("msg-hello-response.bin", &len);
	uint8_t out[4096];
	size_t outlen = 99;
	agd_chan_result_t res;
	ck_assert_int_eq(agd_chan_handle(&ch, resp, len, out, sizeof(out), &outlen, &res), 0);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_int_eq(res.err, HS_EMSG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agentd_channel");
	TCase *tc = tcase_create("channel");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hello_vector);
	tcase_add_test(tc, heartbeat_needs_hello);
	tcase_add_test(tc, out_of_window);
	tcase_add_test(tc, forged);
	tcase_add_test(tc, not_in_hsync);
	tcase_add_test(tc, sync_and_rfi);
	tcase_add_test(tc, responses_ignored);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
