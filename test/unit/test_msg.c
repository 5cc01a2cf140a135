/*
 * Unit tests for libhsync/msg.c: the agent messages, the receive pipeline
 * and signed responses, with the committed Ed25519 test keys (so signatures
 * are deterministic and the vectors in test/data/msg-*.bin and in
 * doc/protocol.md are byte-exact).
 *
 * HSYNC_MSG_REGEN=1 rewrites test/data/msg-*.bin and prints the hex dumps
 * for doc/protocol.md (then review the diff).
 */
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "libhsync/msg.h"
#include "libhsync/replay.h"
#include "libhsync/sig0.h"
#include "test/unit/unit.h"

#define T0 1800000000     /* the injected clock: 2027-01-15T08:00:00Z */
#define BUF 65535

static const knot_dname_t *ZONE = (const knot_dname_t *)"\x04zone\x07" "example";
static const knot_dname_t *ZONE2 = (const knot_dname_t *)"\x05other\x07" "example";
static const knot_dname_t *SENDER = (const knot_dname_t *)"\x04sig0\x07" "example";

static hs_key_t *ed_a;      /* sig0.example. Ed25519, the sender */
static hs_key_t *ed_b;      /* other.example. Ed25519, the responder */
static hs_key_t *ec_a;      /* sig0.example. P-256, a second key of the sender */
static hs_key_t *zsk;       /* dnskey.example. DNSKEY, SYNC content */

static hs_key_t *load(const char *stem)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s.private", hs_testdata(stem));
	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *k = NULL;
	int ret = hs_key_load(path, &k, why, sizeof(why));
	ck_assert_msg(ret == HS_EOK, "%s: %s", hs_strerror(ret), why);
	return k;
}

static void setup(void)
{
	ed_a = load("sig0-keys/Ksig0.example.+015+19511");
	ed_b = load("sig0-keys/Kother.example.+015+24743");
	ec_a = load("sig0-keys/Ksig0.example.+013+13510");
	zsk = load("sig0-keys/Kdnskey.example.+013+02582");
}

static void teardown(void)
{
	hs_key_free(ed_a);
	hs_key_free(ed_b);
	hs_key_free(ec_a);
	hs_key_free(zsk);
}

/* ---- the look-up: zones whose HSYNC names the sender, and its keys ------- */

typedef struct {
	const knot_dname_t *zones[2];   /* zones where the sender is a peer */
	const hs_key_t *keys[3];        /* the sender's keys (found at its host) */
	unsigned calls;
} peers_t;

static const hs_key_t *lookup(const hs_msg_head_t *head, unsigned idx, void *ctx)
{
	peers_t *p = ctx;
	p->calls++;
	bool zone_ok = false;
	for (unsigned i = 0; i < 2; i++) {
		zone_ok |= p->zones[i] != NULL && knot_dname_is_case_equal(p->zones[i], head->zone);
	}
	if (!zone_ok) {
		return NULL;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < 3 && p->keys[i] != NULL; i++) {
		const hs_key_t *k = p->keys[i];
		if (knot_dname_is_case_equal(k->owner, head->signer) && k->keytag == head->keytag &&
		    k->algorithm == head->algorithm && n++ == idx) {
			return k;
		}
	}
	return NULL;
}

static peers_t peers_default(void)
{
	peers_t p = { .zones = { ZONE, NULL }, .keys = { ed_a, ec_a, NULL } };
	return p;
}

static hs_msg_opts_t opts_at(const hs_key_t *key, uint16_t id, time_t now)
{
	hs_msg_opts_t o = {
		.id = id, .transport = HS_PS_TRANSPORT_DNS, .sync = HS_PS_SYNC_P2P, .key = key,
		.sig0 = { .now = now },
	};
	return o;
}

/* ---- SYNC content ---------------------------------------------------------- */

static void content_make(hs_msg_content_t *c)
{
	memset(c, 0, sizeof(*c));
	knot_rrset_t *dnskey = knot_rrset_new(ZONE, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, 3600, NULL);
	ck_assert_ptr_nonnull(dnskey);
	ck_assert_int_eq(knot_rrset_add_rdata(dnskey, zsk->rdata.data, zsk->rdata.size, NULL), KNOT_EOK);
	c->rr[HS_MSG_T_DNSKEY] = dnskey;
	const uint8_t digests[] = { 2 };
	ck_assert_int_eq(hs_dnssec_cds_rrset(dnskey, digests, 1, &c->rr[HS_MSG_T_CDS], NULL), HS_EOK);
	ck_assert_int_eq(hs_dnssec_cdnskey_rrset(dnskey, &c->rr[HS_MSG_T_CDNSKEY], NULL), HS_EOK);
	knot_rrset_t *ns = knot_rrset_new(ZONE, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 3600, NULL);
	ck_assert_ptr_nonnull(ns);
	const knot_dname_t *n1 = (const knot_dname_t *)"\x03ns1\x04sig0\x07" "example";
	const knot_dname_t *n2 = (const knot_dname_t *)"\x03ns2\x04sig0\x07" "example";
	ck_assert_int_eq(knot_rrset_add_rdata(ns, n1, knot_dname_size(n1), NULL), KNOT_EOK);
	ck_assert_int_eq(knot_rrset_add_rdata(ns, n2, knot_dname_size(n2), NULL), KNOT_EOK);
	c->rr[HS_MSG_T_NS] = ns;
}

static void content_free(hs_msg_content_t *c)
{
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rrset_free(c->rr[i], NULL);
		c->rr[i] = NULL;
	}
}

static void content_eq(const hs_msg_content_t *a, const hs_msg_content_t *b)
{
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		const knot_rrset_t *x = a->rr[i], *y = b->rr[i];
		bool ex = x == NULL || x->rrs.count == 0, ey = y == NULL || y->rrs.count == 0;
		ck_assert_msg(ex == ey, "type index %u: one side empty", i);
		if (!ex) {
			ck_assert_msg(knot_rrset_equal(x, y, true), "type index %u differs", i);
			ck_assert_uint_eq(x->ttl, y->ttl);
		}
	}
}

/* ---- vectors ------------------------------------------------------------------ */

static bool regen(void)
{
	const char *e = getenv("HSYNC_MSG_REGEN");
	return e != NULL && *e != '\0';
}

/* Hex dump as doc/protocol.md shows it: "0000  xx xx ...\n", 16 bytes a line. */
static char *hexdump(const uint8_t *b, size_t n)
{
	char *s = malloc(n * 3 + (n / 16 + 1) * 8 + 1);
	ck_assert_ptr_nonnull(s);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 16) {
		o += sprintf(s + o, "%04zx ", i);
		for (size_t j = i; j < n && j < i + 16; j++) {
			o += sprintf(s + o, " %02x", b[j]);
		}
		s[o++] = '\n';
	}
	s[o] = '\0';
	return s;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL) {
		*len = n;
	}
	return buf;
}

/* Compare with test/data/NAME and check doc/protocol.md shows the same bytes. */
static void check_vector(const char *name, const uint8_t *b, size_t n)
{
	char *dump = hexdump(b, n);
	if (regen()) {
		FILE *f = fopen(hs_testdata(name), "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(b, 1, n, f), n);
		fclose(f);
		printf(";; %s, %zu bytes\n%s\n", name, n, dump);
		fflush(stdout);
		free(dump);
		return;
	}
	size_t len = 0;
	char *want = read_file(hs_testdata(name), &len);
	ck_assert_msg(len == n && memcmp(want, b, n) == 0, "%s: bytes differ from the vector", name);
	free(want);
	char *doc = read_file(hs_testdata("../../doc/protocol.md"), NULL);
	ck_assert_msg(strstr(doc, dump) != NULL, "doc/protocol.md does not show %s as built:\n%s",
	              name, dump);
	free(doc);
	free(dump);
}

static size_t build(hs_msg_kind_t kind, const hs_msg_content_t *c, const hs_msg_opts_t *o,
                    uint8_t *buf)
{
	size_t n = 0;
	int ret = hs_msg_build(kind, ZONE, c, o, buf, BUF, &n);
	ck_assert_msg(ret == HS_EOK, "%s", hs_strerror(ret));
	return n;
}

START_TEST(vectors)
{
	uint8_t *buf = malloc(BUF), *resp = malloc(BUF);
	hs_msg_content_t c;
	content_make(&c);
	static const struct { hs_msg_kind_t kind; uint16_t id; const char *file; } V[] = {
		{ HS_MSG_HELLO, 0x4801, "msg-hello.bin" },
		{ HS_MSG_HEARTBEAT, 0x4802, "msg-heartbeat.bin" },
		{ HS_MSG_RFI, 0x4803, "msg-rfi.bin" },
		{ HS_MSG_SYNC, 0x4804, "msg-sync.bin" },
	};
	for (unsigned i = 0; i < 4; i++) {
		hs_msg_opts_t o = opts_at(ed_a, V[i].id, T0);
		size_t n = build(V[i].kind, &c, &o, buf);
		check_vector(V[i].file, buf, n);
		/* the same request built twice is the same bytes (Ed25519) */
		uint8_t again[2048];
		size_t m = 0;
		ck_assert_int_eq(hs_msg_build(V[i].kind, ZONE, &c, &o, again, sizeof(again), &m), HS_EOK);
		ck_assert(m == n && memcmp(again, buf, n) == 0);
		if (V[i].kind == HS_MSG_HELLO || V[i].kind == HS_MSG_SYNC) {
			hs_msg_opts_t ro = opts_at(ed_b, 0, T0 + 1);
			ro.sync = HS_PS_SYNC_P2P | HS_PS_SYNC_LEADER;
			size_t rn = 0;
			ck_assert_int_eq(hs_msg_respond(buf, n, KNOT_RCODE_NOERROR, &ro, resp, BUF, &rn), HS_EOK);
			check_vector(V[i].kind == HS_MSG_HELLO ? "msg-hello-response.bin"
			                                       : "msg-sync-response.bin", resp, rn);
		}
	}
	/* the HELLO layout, byte by byte (doc/protocol.md, "HELLO") */
	uint8_t *h = buf;
	hs_msg_opts_t o = opts_at(ed_a, 0x4801, T0);
	size_t n = build(HS_MSG_HELLO, NULL, &o, h);
	ck_assert_mem_eq(h, "\x48\x01\x24\x00\x00\x01\x00\x00\x00\x00\x00\x02", 12);
	ck_assert_mem_eq(h + 12, "\x04zone\x07" "example\x00\x00\x06\x00\x01", 18);
	ck_assert_mem_eq(h + 30, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x08"
	                         "\xfd\xee\x00\x04\x01\x01\x02\x00", 19);
	ck_assert_mem_eq(h + 49, "\x00\x00\x18\x00\xff\x00\x00\x00\x00", 9);
	ck_assert_uint_eq(n, 49 + 11 + 18 + 14 + 64);
	content_free(&c);
	free(buf);
	free(resp);
}
END_TEST

/* ---- every message through the pipeline -------------------------------------- */

START_TEST(each_kind_accepted)
{
	uint8_t *buf = malloc(BUF);
	hs_replay_t *rc = NULL;
	ck_assert_int_eq(hs_replay_new(64, &rc), HS_EOK);
	peers_t p = peers_default();
	hs_msg_verify_opts_t vo = { .lookup = lookup, .ctx = &p, .replay = rc, .sig0 = { .now = T0 + 5 } };
	hs_msg_content_t c;
	content_make(&c);
	const hs_msg_kind_t kinds[] = { HS_MSG_HELLO, HS_MSG_HEARTBEAT, HS_MSG_RFI, HS_MSG_SYNC };
	const hs_key_t *keys[] = { ed_a, ec_a };
	unsigned accepted = 0;
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 4; i++) {
			hs_msg_opts_t o = opts_at(keys[k], 0, T0);
			size_t n = build(kinds[i], &c, &o, buf);
			hs_msg_t m;
			hs_msg_head_t seen;
			int ret = hs_msg_receive(buf, n, &vo, &m, &seen);
			ck_assert_msg(ret == HS_EOK, "%s: %s", hs_msg_kind_name(kinds[i]), hs_strerror(ret));
			accepted++;
			ck_assert_int_eq(m.head.kind, kinds[i]);
			ck_assert_int_eq(seen.kind, kinds[i]);
			ck_assert(knot_dname_is_equal(m.head.zone, ZONE));
			ck_assert(knot_dname_is_equal(m.head.signer, SENDER));
			ck_assert_uint_eq(m.head.keytag, keys[k]->keytag);
			ck_assert_uint_eq(m.head.algorithm, keys[k]->algorithm);
			ck_assert(m.head.signed_);
			ck_assert_ptr_eq(m.key, keys[k]);
			ck_assert_uint_eq(m.head.id, knot_wire_get_id(buf));
			ck_assert_int_eq(m.expires, T0 + 300 + 1);
			if (kinds[i] == HS_MSG_SYNC) {
				content_eq(&m.content, &c);
				ck_assert_uint_eq(m.head.opcode, KNOT_OPCODE_UPDATE);
			} else {
				ck_assert_uint_eq(m.head.opcode, KNOT_OPCODE_NOTIFY);
				ck_assert_uint_eq(m.head.transport, HS_PS_TRANSPORT_DNS);
				ck_assert_uint_eq(m.head.sync, HS_PS_SYNC_P2P);
				for (unsigned t = 0; t < HS_MSG_NTYPES; t++) {
					ck_assert_ptr_null(m.content.rr[t]);
				}
			}
			ck_assert_uint_eq(hs_replay_count(rc), accepted);
			hs_msg_clear(&m);
			ck_assert_int_eq(m.head.kind, HS_MSG_NONE);
		}
	}
	/* an empty contribution is a valid SYNC ("I contribute nothing") */
	hs_msg_opts_t o = opts_at(ed_a, 0, T0);
	size_t n = build(HS_MSG_SYNC, NULL, &o, buf);
	hs_msg_t m;
	ck_assert_int_eq(hs_msg_receive(buf, n, &vo, &m, NULL), HS_EOK);
	for (unsigned t = 0; t < HS_MSG_NTYPES; t++) {
		ck_assert_ptr_null(m.content.rr[t]);
	}
	hs_msg_clear(&m);
	content_free(&c);
	hs_replay_free(rc);
	free(buf);
}
END_TEST

/* ---- refusals -------------------------------------------------------------------- */

typedef struct {
	hs_replay_t *rc;
	peers_t p;
	hs_msg_verify_opts_t vo;
} rx_t;

static void rx_init(rx_t *rx, time_t now)
{
	memset(rx, 0, sizeof(*rx));
	ck_assert_int_eq(hs_replay_new(64, &rx->rc), HS_EOK);
	rx->p = peers_default();
	rx->vo = (hs_msg_verify_opts_t){ .lookup = lookup, .ctx = &rx->p, .replay = rx->rc,
	                                  .sig0 = { .now = now } };
}

/* Receive must fail with WANT, classify nothing and leave the cache as it was. */
static void refused(rx_t *rx, const uint8_t *b, size_t n, int want, const char *what)
{
	size_t before = hs_replay_count(rx->rc);
	hs_msg_t m;
	memset(&m, 0xa5, sizeof(m));
	int ret = hs_msg_receive(b, n, &rx->vo, &m, NULL);
	ck_assert_msg(ret == want, "%s: got %s, want %s", what, hs_strerror(ret), hs_strerror(want));
	ck_assert_int_eq(m.head.kind, HS_MSG_NONE);
	ck_assert_ptr_null(m.key);
	for (unsigned t = 0; t < HS_MSG_NTYPES; t++) {
		ck_assert_ptr_null(m.content.rr[t]);
	}
	ck_assert_uint_eq(hs_replay_count(rx->rc), before);
}

/*
 * An independent sender: BIND's nsupdate -k with the sender's key and the
 * commands in test/data/msg-sync-nsupdate.txt (captured at 1795825031)
 * writes a SYNC that our pipeline accepts with the same contribution as
 * ours (it compresses the second NS name against the first).
 */
START_TEST(nsupdate_sync_accepted)
{
	uint8_t *buf = malloc(BUF);
	FILE *f = fopen(hs_testdata("msg-sync-nsupdate.bin"), "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, BUF, f);
	fclose(f);
	ck_assert_uint_eq(n, 453);
	rx_t rx;
	rx_init(&rx, 1795825031);
	hs_msg_t m;
	int ret = hs_msg_receive(buf, n, &rx.vo, &m, NULL);
	ck_assert_msg(ret == HS_EOK, "%s", hs_strerror(ret));
	ck_assert_int_eq(m.head.kind, HS_MSG_SYNC);
	ck_assert_ptr_eq(m.key, ed_a);
	hs_msg_content_t c;
	content_make(&c);
	content_eq(&m.content, &c);
	hs_msg_clear(&m);
	refused(&rx, buf, n, HS_EREPLAY, "nsupdate message twice");
	/* our own SYNC of the same content differs from it only in ID, the
	 * compressed NS name and the SIG(0) */
	hs_msg_opts_t o = opts_at(ed_a, knot_wire_get_id(buf), 1795825031);
	uint8_t ours[1024];
	size_t on = build(HS_MSG_SYNC, &c, &o, ours);
	ck_assert_uint_eq(on, n + 12);
	ck_assert_mem_eq(ours, buf, 0x150);
	content_free(&c);
	hs_replay_free(rx.rc);
	free(buf);
}
END_TEST

START_TEST(refuse_unsigned)
{
	uint8_t buf[1024];
	rx_t rx;
	rx_init(&rx, T0);
	hs_msg_opts_t o = opts_at(NULL, 0x1234, T0);
	size_t n = build(HS_MSG_HELLO, NULL, &o, buf);
	refused(&rx, buf, n, HS_ESIG0_NONE, "unsigned HELLO");
	ck_assert_uint_eq(hs_msg_rcode(HS_ESIG0_NONE), KNOT_RCODE_REFUSED);
	/* the head is still there for the log line */
	hs_msg_t m;
	hs_msg_head_t seen;
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, &seen), HS_ESIG0_NONE);
	ck_assert_int_eq(seen.kind, HS_MSG_HELLO);
	ck_assert(knot_dname_is_equal(seen.zone, ZONE));
	ck_assert(!seen.signed_);
	ck_assert_uint_eq(rx.p.calls, 0);
	hs_replay_free(rx.rc);
}
END_TEST

START_TEST(refuse_forged)
{
	uint8_t *buf = malloc(BUF);
	rx_t rx;
	rx_init(&rx, T0);
	/* signed with another key under the sender's name, the sender's key tag
	 * patched in: the look-up finds the real key, the signature fails */
	hs_msg_opts_t o = opts_at(ed_b, 0x1234, T0);
	o.sig0.signer = SENDER;
	size_t n = build(HS_MSG_HELLO, NULL, &o, buf);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, n, &info), HS_EOK);
	/* key tag: RR header (1 + 10) + 16 bytes into the RDATA */
	knot_wire_write_u16(buf + info.sig_pos + 11 + 16, ed_a->keytag);
	refused(&rx, buf, n, HS_ESIG0_BADSIG, "forged signature");
	ck_assert_uint_eq(hs_msg_rcode(HS_ESIG0_BADSIG), KNOT_RCODE_NOTAUTH);
	/* the same without patching: no key with that tag -> unknown signer */
	n = build(HS_MSG_HEARTBEAT, NULL, &o, buf);
	refused(&rx, buf, n, HS_ESIG0_SIGNER, "wrong key tag");
	/* a valid signature of a key the look-up does not give */
	o.sig0.signer = NULL;
	n = build(HS_MSG_SYNC, NULL, &o, buf);
	refused(&rx, buf, n, HS_ESIG0_SIGNER, "other.example. is nobody");
	ck_assert_uint_eq(hs_msg_rcode(HS_ESIG0_SIGNER), KNOT_RCODE_NOTAUTH);
	hs_replay_free(rx.rc);
	free(buf);
}
END_TEST

START_TEST(refuse_signer_not_in_hsync)
{
	uint8_t buf[1024];
	rx_t rx;
	rx_init(&rx, T0);
	/* right key, but ZONE2's HSYNC does not name the sender */
	hs_msg_opts_t o = opts_at(ed_a, 0x1234, T0);
	size_t n = 0;
	ck_assert_int_eq(hs_msg_build(HS_MSG_HELLO, ZONE2, NULL, &o, buf, sizeof(buf), &n), HS_EOK);
	refused(&rx, buf, n, HS_ESIG0_SIGNER, "zone without the sender");
	ck_assert_uint_gt(rx.p.calls, 0);
	/* once the zone names it, the same bytes pass */
	rx.p.zones[1] = ZONE2;
	hs_msg_t m;
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
	ck_assert(knot_dname_is_equal(m.head.zone, ZONE2));
	hs_msg_clear(&m);
	hs_replay_free(rx.rc);
}
END_TEST

/* Every single flipped bit anywhere in a signed message is refused. */
START_TEST(refuse_flipped)
{
	uint8_t *buf = malloc(BUF), *bad = malloc(BUF);
	hs_msg_content_t c;
	content_make(&c);
	const hs_msg_kind_t kinds[] = { HS_MSG_HELLO, HS_MSG_SYNC };
	for (unsigned k = 0; k < 2; k++) {
		hs_msg_opts_t o = opts_at(ed_a, 0x1234, T0);
		size_t n = build(kinds[k], &c, &o, buf);
		for (size_t i = 0; i < n; i++) {
			for (unsigned bit = 0; bit < 8; bit += 3) {
				rx_t rx;
				rx_init(&rx, T0);
				memcpy(bad, buf, n);
				bad[i] ^= (uint8_t)(1u << bit);
				hs_msg_t m;
				int ret = hs_msg_receive(bad, n, &rx.vo, &m, NULL);
				ck_assert_msg(ret != HS_EOK, "%s: flip of bit %u at %zu accepted",
				              hs_msg_kind_name(kinds[k]), bit, i);
				ck_assert_int_eq(m.head.kind, HS_MSG_NONE);
				ck_assert_uint_eq(hs_replay_count(rx.rc), 0);
				hs_replay_free(rx.rc);
			}
		}
	}
	/* a byte of the signature itself: BADSIG exactly */
	rx_t rx;
	rx_init(&rx, T0);
	hs_msg_opts_t o = opts_at(ed_a, 0x1234, T0);
	size_t n = build(HS_MSG_HELLO, NULL, &o, buf);
	buf[n - 10] ^= 0x01;
	refused(&rx, buf, n, HS_ESIG0_BADSIG, "signature byte");
	/* the zone name in the question */
	n = build(HS_MSG_HELLO, NULL, &o, buf);
	buf[13] ^= 0x20;      /* "zone" -> "Zone" */
	refused(&rx, buf, n, HS_ESIG0_BADSIG, "question name case");
	hs_replay_free(rx.rc);
	content_free(&c);
	free(buf);
	free(bad);
}
END_TEST

START_TEST(refuse_out_of_window)
{
	uint8_t buf[1024];
	hs_msg_opts_t o = opts_at(ed_a, 0x1234, T0);
	size_t n = build(HS_MSG_HEARTBEAT, NULL, &o, buf);
	rx_t rx;
	rx_init(&rx, T0 + 301);
	refused(&rx, buf, n, HS_ESIG0_EXPIRED, "5 minutes and 1 s later");
	hs_replay_free(rx.rc);
	rx_init(&rx, T0 - 301);
	refused(&rx, buf, n, HS_ESIG0_EARLY, "5 minutes and 1 s early");
	ck_assert_uint_eq(hs_msg_rcode(HS_ESIG0_EARLY), KNOT_RCODE_NOTAUTH);
	ck_assert_uint_eq(hs_msg_rcode(HS_ESIG0_EXPIRED), KNOT_RCODE_NOTAUTH);
	ck_assert_uint_eq(rx.p.calls, 0);   /* no key look-up for a stale message */
	hs_replay_free(rx.rc);
	/* the edges pass */
	rx_init(&rx, T0 + 300);
	hs_msg_t m;
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
	ck_assert_int_eq(m.expires, T0 + 301);
	hs_msg_clear(&m);
	hs_replay_free(rx.rc);
	/* a signer using a long window is still held to ours around its midpoint */
	o.sig0.window = 3600;
	n = build(HS_MSG_HEARTBEAT, NULL, &o, buf);
	rx_init(&rx, T0 + 600);
	refused(&rx, buf, n, HS_ESIG0_EXPIRED, "long window, signed 10 minutes ago");
	hs_replay_free(rx.rc);
}
END_TEST

START_TEST(refuse_replay)
{
	uint8_t buf[1024];
	rx_t rx;
	rx_init(&rx, T0);
	hs_msg_opts_t o = opts_at(ed_a, 0x1234, T0);
	size_t n = build(HS_MSG_HELLO, NULL, &o, buf);
	hs_msg_t m;
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
	hs_msg_clear(&m);
	refused(&rx, buf, n, HS_EREPLAY, "the same HELLO again");
	/* still a replay 299 s later */
	rx.vo.sig0.now = T0 + 299;
	refused(&rx, buf, n, HS_EREPLAY, "the same HELLO 299 s later");
	/* unsigned parts of the SIG RR changed: still the same message */
	uint8_t copy[1024];
	memcpy(copy, buf, n);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(copy, n, &info), HS_EOK);
	copy[info.sig_pos + 5] = 0x01;      /* SIG TTL */
	refused(&rx, copy, n, HS_EMSG, "SIG RR with a TTL");
	ck_assert_uint_eq(hs_msg_rcode(HS_EREPLAY), KNOT_RCODE_REFUSED);
	/* a new message with the same content but a new ID is not a replay */
	o.id = 0x1235;
	n = build(HS_MSG_HELLO, NULL, &o, buf);
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
	hs_msg_clear(&m);
	/* replay IDs: equal for equal signed data, whatever the signature */
	uint8_t id1[HS_REPLAY_IDLEN], id2[HS_REPLAY_IDLEN];
	o = opts_at(ec_a, 0x1236, T0);
	n = build(HS_MSG_HELLO, NULL, &o, buf);
	size_t n2 = build(HS_MSG_HELLO, NULL, &o, copy);
	ck_assert(memcmp(buf, copy, n) != 0);          /* ECDSA: new signature */
	ck_assert_int_eq(hs_msg_replay_id(buf, n, id1), HS_EOK);
	ck_assert_int_eq(hs_msg_replay_id(copy, n2, id2), HS_EOK);
	ck_assert_mem_eq(id1, id2, HS_REPLAY_IDLEN);
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
	hs_msg_clear(&m);
	refused(&rx, copy, n2, HS_EREPLAY, "same data, another ECDSA signature");
	hs_replay_free(rx.rc);
}
END_TEST

START_TEST(refuse_cache_full)
{
	uint8_t buf[1024];
	rx_t rx;
	rx_init(&rx, T0);
	hs_replay_free(rx.rc);
	ck_assert_int_eq(hs_replay_new(2, &rx.rc), HS_EOK);
	rx.vo.replay = rx.rc;
	for (uint16_t id = 1; id <= 2; id++) {
		hs_msg_opts_t o = opts_at(ed_a, id, T0);
		size_t n = build(HS_MSG_HEARTBEAT, NULL, &o, buf);
		hs_msg_t m;
		ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
		hs_msg_clear(&m);
	}
	hs_msg_opts_t o = opts_at(ed_a, 3, T0);
	size_t n = build(HS_MSG_HEARTBEAT, NULL, &o, buf);
	refused(&rx, buf, n, HS_EREPLAY_FULL, "third message, cache of two");
	ck_assert_uint_eq(hs_msg_rcode(HS_EREPLAY_FULL), KNOT_RCODE_REFUSED);
	/* once the first two are past their window, room again */
	o = opts_at(ed_a, 4, T0 + 302);
	n = build(HS_MSG_HEARTBEAT, NULL, &o, buf);
	rx.vo.sig0.now = T0 + 302;
	hs_msg_t m;
	ck_assert_int_eq(hs_msg_receive(buf, n, &rx.vo, &m, NULL), HS_EOK);
	hs_msg_clear(&m);
	hs_replay_free(rx.rc);
}
END_TEST

/* Sign a hand-made message with the sender's key. */
static size_t sign(uint8_t *b, size_t n, size_t max)
{
	hs_sig0_opts_t so = { .now = T0 };
	ck_assert_int_eq(hs_sig0_sign(b, &n, max, ed_a, NULL, 0, &so), HS_EOK);
	return n;
}

/* An unsigned request of KIND with ID, built by us, to be edited. */
static size_t unsigned_msg(hs_msg_kind_t kind, const hs_msg_content_t *c, uint8_t *b)
{
	hs_msg_opts_t o = opts_at(NULL, 0x1234, T0);
	return build(kind, c, &o, b);
}

START_TEST(refuse_malformed)
{
	uint8_t *b = malloc(BUF);
	rx_t rx;
	rx_init(&rx, T0);
	hs_msg_content_t c;
	content_make(&c);

	/* truncated anywhere */
	hs_msg_opts_t o = opts_at(ed_a, 0x1234, T0);
	size_t n = build(HS_MSG_SYNC, &c, &o, b);
	for (size_t cut = 0; cut < n; cut++) {
		hs_msg_t m;
		int ret = hs_msg_receive(b, cut, &rx.vo, &m, NULL);
		ck_assert_msg(ret == HS_EMSG, "cut at %zu: %s", cut, hs_strerror(ret));
		ck_assert_int_eq(m.head.kind, HS_MSG_NONE);
	}
	ck_assert_uint_eq(hs_replay_count(rx.rc), 0);
	ck_assert_uint_eq(hs_msg_rcode(HS_EMSG), KNOT_RCODE_FORMERR);

	/* QR set: a response is never a request */
	n = unsigned_msg(HS_MSG_HELLO, NULL, b);
	knot_wire_set_qr(b);
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EMSG, "QR set");

	/* QTYPE not SOA */
	n = unsigned_msg(HS_MSG_HELLO, NULL, b);
	knot_wire_write_u16(b + 12 + 14, KNOT_RRTYPE_A);
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EMSG, "QTYPE A");

	/* Provider-Sync with a non-zero reserved byte, and without the DNS transport */
	n = unsigned_msg(HS_MSG_HEARTBEAT, NULL, b);
	b[48] = 1;
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EMSG, "reserved byte set");
	n = unsigned_msg(HS_MSG_HEARTBEAT, NULL, b);
	b[46] = HS_PS_TRANSPORT_API;
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EMSG, "no DNS transport");

	/* not agent messages: private op we do not know, NOTIFY without the option, QUERY */
	n = unsigned_msg(HS_MSG_HEARTBEAT, NULL, b);
	b[45] = 129;
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EAGENTMSG, "op 129");
	ck_assert_uint_eq(hs_msg_rcode(HS_EAGENTMSG), KNOT_RCODE_NOTIMPL);
	n = unsigned_msg(HS_MSG_HEARTBEAT, NULL, b);
	n = 30;                                   /* header + question */
	knot_wire_set_arcount(b, 0);
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EAGENTMSG, "plain NOTIFY");
	n = unsigned_msg(HS_MSG_HEARTBEAT, NULL, b);
	knot_wire_set_opcode(b, KNOT_OPCODE_QUERY);
	n = sign(b, n, BUF);
	refused(&rx, b, n, HS_EAGENTMSG, "QUERY");

	/* an answer section in a NOTIFY */
	n = unsigned_msg(HS_MSG_HEARTBEAT, NULL, b);
	{
		/* header + question, then an SOA-less A RR in the answer, then the OPT */
		uint8_t opt[19];
		memcpy(opt, b + 30, sizeof(opt));
		static const uint8_t a[] = { 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60,
		                             0x00, 0x04, 192, 0, 2, 1 };
		memcpy(b + 30, a, sizeof(a));
		memcpy(b + 30 + sizeof(a), opt, sizeof(opt));
		knot_wire_set_ancount(b, 1);
		n = sign(b, 30 + sizeof(a) + sizeof(opt), BUF);
		refused(&rx, b, n, HS_EMSG, "NOTIFY with an answer");
	}

	/* SYNC: a type we do not carry, a missing delete, an add before its
	 * delete, a prerequisite, a second delete, owner not the zone, bad
	 * DNSKEY protocol, two TTLs in one RRset, the same RR twice */
	size_t base = unsigned_msg(HS_MSG_SYNC, NULL, b);   /* five deletes, no adds */
	ck_assert_uint_eq(base, 30 + 5 * 12);
	uint8_t *orig = malloc(BUF);
	memcpy(orig, b, base);
	struct {
		const char *what;
		size_t off;            /* where to write, from the start of the update section */
		const uint8_t *rr;
		size_t len;
		int replace;           /* 1: overwrite a 12-byte delete, 2: insert first, 0: append */
	} cases[] = {
		{ "A RR", 55, (const uint8_t *)"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01", 16, 0 },
		{ "NS delete made a second DNSKEY delete", 48, (const uint8_t *)"\xc0\x0c\x00\x30\x00\xff\x00\x00\x00\x00\x00\x00", 12, 1 },
		{ "add before delete", 0, (const uint8_t *)"\xc0\x0c\x00\x30\x00\x01\x00\x00\x0e\x10\x00\x04\x01\x01\x03\x0d", 16, 2 },
		{ "NS delete with TTL", 48, (const uint8_t *)"\xc0\x0c\x00\x02\x00\xff\x00\x00\x00\x01\x00\x00", 12, 1 },
		{ "delete one RR (class NONE)", 55, (const uint8_t *)"\xc0\x0c\x00\x02\x00\xfe\x00\x00\x00\x00\x00\x05\x03ns1\x00", 17, 0 },
		{ "owner not the zone", 55, (const uint8_t *)"\x03www\xc0\x0c\x00\x02\x00\x01\x00\x00\x0e\x10\x00\x05\x03ns1\x00", 21, 0 },
		{ "DNSKEY protocol 2", 55, (const uint8_t *)"\xc0\x0c\x00\x30\x00\x01\x00\x00\x0e\x10\x00\x05\x01\x01\x02\x0d\xaa", 17, 0 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(b, orig, base);
		size_t len = base;
		if (cases[i].replace == 1) {
			memcpy(b + 30 + cases[i].off, cases[i].rr, cases[i].len);
		} else if (cases[i].replace == 2) {
			/* insert before all the deletes */
			memmove(b + 30 + cases[i].len, b + 30, base - 30);
			memcpy(b + 30, cases[i].rr, cases[i].len);
			len += cases[i].len;
			knot_wire_set_nscount(b, knot_wire_get_nscount(b) + 1);
		} else {
			memcpy(b + base, cases[i].rr, cases[i].len);
			len += cases[i].len;
			knot_wire_set_nscount(b, knot_wire_get_nscount(b) + 1);
		}
		len = sign(b, len, BUF);
		refused(&rx, b, len, HS_EMSG, cases[i].what);
	}
	/* a prerequisite */
	memcpy(b, orig, base);
	knot_wire_set_ancount(b, 1);
	/* the prerequisite section comes before the update section */
	memmove(b + 30 + 12, b + 30, base - 30);
	memcpy(b + 30, "\xc0\x0c\x00\x06\x00\xff\x00\x00\x00\x00\x00\x00", 12);
	size_t len = sign(b, base + 12, BUF);
	refused(&rx, b, len, HS_EMSG, "prerequisite");
	/* two TTLs in one NS RRset, and the same NS twice */
	static const uint8_t ns1[] = "\xc0\x0c\x00\x02\x00\x01\x00\x00\x0e\x10\x00\x05\x03ns1\x00";
	static const uint8_t ns1b[] = "\xc0\x0c\x00\x02\x00\x01\x00\x00\x0e\x11\x00\x05\x03ns2\x00";
	memcpy(b, orig, base);
	memcpy(b + base, ns1, 17);
	memcpy(b + base + 17, ns1b, 17);
	knot_wire_set_nscount(b, 7);
	len = sign(b, base + 34, BUF);
	refused(&rx, b, len, HS_EMSG, "two TTLs");
	memcpy(b, orig, base);
	memcpy(b + base, ns1, 17);
	memcpy(b + base + 17, ns1, 17);
	knot_wire_set_nscount(b, 7);
	len = sign(b, base + 34, BUF);
	refused(&rx, b, len, HS_EMSG, "same NS twice");
	/* and the control: one NS after the deletes is fine */
	memcpy(b, orig, base);
	memcpy(b + base, ns1, 17);
	knot_wire_set_nscount(b, 6);
	len = sign(b, base + 17, BUF);
	hs_msg_t m;
	ck_assert_int_eq(hs_msg_receive(b, len, &rx.vo, &m, NULL), HS_EOK);
	ck_assert_uint_eq(m.content.rr[HS_MSG_T_NS]->rrs.count, 1);
	hs_msg_clear(&m);

	/* two SIG(0)s: FORMERR */
	o.id = 0x4321;
	n = build(HS_MSG_HELLO, NULL, &o, b);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(b, n, &info), HS_EOK);
	memcpy(b + n, b + info.sig_pos, n - info.sig_pos);
	knot_wire_set_arcount(b, 3);
	refused(&rx, b, n + (n - info.sig_pos), HS_ESIG0_MULTI, "two SIG(0)");
	ck_assert_uint_eq(hs_msg_rcode(HS_ESIG0_MULTI), KNOT_RCODE_FORMERR);
	/* the message without the copy is fine */
	knot_wire_set_arcount(b, 2);
	ck_assert_int_eq(hs_msg_receive(b, n, &rx.vo, &m, NULL), HS_EOK);
	hs_msg_clear(&m);
	free(orig);
	content_free(&c);
	hs_replay_free(rx.rc);
	free(b);
}
END_TEST

START_TEST(build_bad_args)
{
	uint8_t buf[512];
	size_t n = 7;
	hs_msg_opts_t o = opts_at(ed_a, 1, T0);
	ck_assert_int_eq(hs_msg_build(HS_MSG_NONE, ZONE, NULL, &o, buf, sizeof(buf), &n), HS_EINVAL);
	ck_assert_int_eq(hs_msg_build(HS_MSG_HELLO, NULL, NULL, &o, buf, sizeof(buf), &n), HS_EINVAL);
	ck_assert_int_eq(hs_msg_build(HS_MSG_HELLO, ZONE, NULL, &o, buf, 40, &n), HS_ESPACE);
	ck_assert_int_eq(hs_msg_build(HS_MSG_HELLO, ZONE, NULL, &o, buf, 60, &n), HS_ESPACE);
	o.transport = HS_PS_TRANSPORT_API;
	ck_assert_int_eq(hs_msg_build(HS_MSG_HELLO, ZONE, NULL, &o, buf, sizeof(buf), &n), HS_EINVAL);
	ck_assert_uint_eq(n, 7);
	/* content that is not the zone's, or of the wrong type */
	hs_msg_content_t c;
	content_make(&c);
	o = opts_at(ed_a, 1, T0);
	knot_rrset_t *tmp = c.rr[HS_MSG_T_CDS];
	c.rr[HS_MSG_T_CDS] = c.rr[HS_MSG_T_NS];
	ck_assert_int_eq(hs_msg_build(HS_MSG_SYNC, ZONE, &c, &o, buf, sizeof(buf), &n), HS_EINVAL);
	c.rr[HS_MSG_T_CDS] = tmp;
	ck_assert_int_eq(hs_msg_build(HS_MSG_SYNC, ZONE2, &c, &o, buf, sizeof(buf), &n), HS_EINVAL);
	/* an unsigned key cannot sign */
	hs_key_t *pub = NULL;
	ck_assert_int_eq(hs_key_from_rdata(SENDER, ed_a->rdata.data, ed_a->rdata.size, &pub), HS_EOK);
	o.key = pub;
	ck_assert_int_eq(hs_msg_build(HS_MSG_HELLO, ZONE, NULL, &o, buf, sizeof(buf), &n), HS_EKEYPRIVATE);
	hs_key_free(pub);
	ck_assert_uint_eq(n, 7);
	content_free(&c);
	ck_assert_str_eq(hs_msg_kind_name(HS_MSG_RFI), "RFI");
	ck_assert_str_eq(hs_msg_kind_name((hs_msg_kind_t)99), "NONE");
	ck_assert_uint_eq(hs_msg_sync_type(HS_MSG_T_NS), KNOT_RRTYPE_NS);
	ck_assert_uint_eq(hs_msg_sync_type(HS_MSG_NTYPES), 0);
}
END_TEST

/* ---- responses ------------------------------------------------------------------------ */

START_TEST(responses)
{
	uint8_t req[1024], req2[1024], resp[1024];
	hs_msg_opts_t o = opts_at(ed_a, 0x1111, T0);
	size_t rq = build(HS_MSG_HELLO, NULL, &o, req);
	o.id = 0x2222;
	size_t rq2 = build(HS_MSG_HELLO, NULL, &o, req2);
	hs_msg_opts_t ro = opts_at(ed_b, 0, T0 + 1);
	ro.sync = HS_PS_SYNC_LEADER;
	hs_sig0_opts_t vs = { .now = T0 + 2 };
	hs_msg_resp_t r;

	/* introduced: NOERROR with the option back, the responder's flags */
	size_t n = 0;
	ck_assert_int_eq(hs_msg_respond(req, rq, KNOT_RCODE_NOERROR, &ro, resp, sizeof(resp), &n), HS_EOK);
	ck_assert_uint_eq(knot_wire_get_id(resp), 0x1111);
	ck_assert(knot_wire_get_qr(resp) && knot_wire_get_aa(resp));
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req, rq, ed_b, &vs, &r), HS_EOK);
	ck_assert_uint_eq(r.rcode, KNOT_RCODE_NOERROR);
	ck_assert_int_eq(r.kind, HS_MSG_HELLO);
	ck_assert(r.has_ps);
	ck_assert_uint_eq(r.sync, HS_PS_SYNC_LEADER);
	ck_assert_uint_eq(r.transport, HS_PS_TRANSPORT_DNS);
	/* ... but not as the answer to another request, nor from another key */
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req2, rq2, ed_b, &vs, &r), HS_ESIG0_REQUEST);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert_int_eq(r.kind, HS_MSG_NONE);
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req, rq, ed_a, &vs, &r), HS_ESIG0_SIGNER);
	/* an altered response */
	resp[n - 1] ^= 1;
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req, rq, ed_b, &vs, &r), HS_ESIG0_BADSIG);
	/* a response to another request with our ID patched in */
	size_t n2 = 0;
	ck_assert_int_eq(hs_msg_respond(req2, rq2, KNOT_RCODE_NOERROR, &ro, resp, sizeof(resp), &n2), HS_EOK);
	knot_wire_set_id(resp, 0x1111);
	ck_assert_int_eq(hs_msg_verify_response(resp, n2, req, rq, ed_b, &vs, &r), HS_ESIG0_BADSIG);

	/* not ready: a signed REFUSED without the option, verified */
	ck_assert_int_eq(hs_msg_respond(req, rq, KNOT_RCODE_REFUSED, &ro, resp, sizeof(resp), &n), HS_EOK);
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req, rq, ed_b, &vs, &r), HS_EOK);
	ck_assert_uint_eq(r.rcode, KNOT_RCODE_REFUSED);
	ck_assert(!r.has_ps);

	/* unsigned answers (refusals before verification) are not trusted */
	hs_msg_opts_t un = { 0 };
	ck_assert_int_eq(hs_msg_respond(req, rq, KNOT_RCODE_NOTAUTH, &un, resp, sizeof(resp), &n), HS_EOK);
	ck_assert_uint_eq(knot_wire_get_rcode(resp), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req, rq, ed_b, &vs, &r), HS_ESIG0_NONE);

	/* a late response */
	ck_assert_int_eq(hs_msg_respond(req, rq, KNOT_RCODE_NOERROR, &ro, resp, sizeof(resp), &n), HS_EOK);
	hs_sig0_opts_t late = { .now = T0 + 1 + 301 };
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req, rq, ed_b, &late, &r), HS_ESIG0_EXPIRED);

	/* SYNC: NOERROR without any option */
	hs_msg_content_t c;
	content_make(&c);
	o.id = 0x3333;
	size_t sq = build(HS_MSG_SYNC, &c, &o, req2);
	ck_assert_int_eq(hs_msg_respond(req2, sq, KNOT_RCODE_NOERROR, &ro, resp, sizeof(resp), &n), HS_EOK);
	ck_assert_uint_eq(knot_wire_get_arcount(resp), 1);     /* the SIG(0) only */
	ck_assert(!knot_wire_get_aa(resp));
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req2, sq, ed_b, &vs, &r), HS_EOK);
	ck_assert_int_eq(r.kind, HS_MSG_SYNC);
	ck_assert(!r.has_ps);
	content_free(&c);

	/* the question goes back as it came, case and all */
	o.id = 0x4444;
	const knot_dname_t *mixed = (const knot_dname_t *)"\x04ZoNe\x07" "EXAMPLE";
	ck_assert_int_eq(hs_msg_build(HS_MSG_HEARTBEAT, mixed, NULL, &o, req2, sizeof(req2), &sq), HS_EOK);
	ck_assert_int_eq(hs_msg_respond(req2, sq, KNOT_RCODE_NOERROR, &ro, resp, sizeof(resp), &n), HS_EOK);
	ck_assert_mem_eq(resp + 12, req2 + 12, 18);
	ck_assert_int_eq(hs_msg_verify_response(resp, n, req2, sq, ed_b, &vs, &r), HS_EOK);
	ck_assert_int_eq(r.kind, HS_MSG_HEARTBEAT);

	/* answering junk: a header is enough for FORMERR; less is nothing */
	uint8_t junk[12] = { 0xab, 0xcd, 0x28, 0, 0, 5, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(hs_msg_respond(junk, sizeof(junk), KNOT_RCODE_FORMERR, &un, resp, sizeof(resp), &n), HS_EOK);
	ck_assert_uint_eq(n, 12);
	ck_assert_mem_eq(resp, "\xab\xcd\xa8\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	ck_assert_int_eq(hs_msg_respond(junk, 11, KNOT_RCODE_FORMERR, &un, resp, sizeof(resp), &n), HS_EMSG);
	junk[2] |= 0x80;
	ck_assert_int_eq(hs_msg_respond(junk, 12, KNOT_RCODE_FORMERR, &un, resp, sizeof(resp), &n), HS_EMSG);
	ck_assert_int_eq(hs_msg_respond(req, rq, 16, &un, resp, sizeof(resp), &n), HS_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, each_kind_accepted);
	tcase_add_test(tc, nsupdate_sync_accepted);
	tcase_add_test(tc, refuse_unsigned);
	tcase_add_test(tc, refuse_forged);
	tcase_add_test(tc, refuse_signer_not_in_hsync);
	tcase_add_test(tc, refuse_flipped);
	tcase_add_test(tc, refuse_out_of_window);
	tcase_add_test(tc, refuse_replay);
	tcase_add_test(tc, refuse_cache_full);
	tcase_add_test(tc, refuse_malformed);
	tcase_add_test(tc, build_bad_args);
	tcase_add_test(tc, responses);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
