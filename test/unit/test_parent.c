/*
 * Unit tests for agentd/parent.c: the delegation UPDATE receiver, its
 * refusals, KeyState answers, bootstrap, and the UPDATE for the primary.
 * Keys: test/data/ddns-keys (dnssec-keygen -T KEY). The nsupdate vector
 * test/data/ddns-nsupdate-ed25519.bin was captured once from
 *   nsupdate -k ddns-keys/Kchild.parent.example.+015+41513.private
 * with: update delete child.parent.example. NS; add child NS
 * ns1.child.parent.example. and ns.provider.example. (TTL 3600); add
 * ns1.child.parent.example. A 192.0.2.53; add child DS 495 13 2 19AB...
 * ddns-nsupdate-p256.bin: the same with the P-256 key (+013+11727), names
 * written in mixed case (zone Parent.Example., CHILD.parent.example., ...).
 */
#include <arpa/inet.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/deleg.h"
#include "agentd/parent.h"
#include "agentd/trust.h"
#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/sig0.h"
#include "libhsync/tsig.h"
#include "test/unit/unit.h"

#define T0 1800000000
#define MAXMSG 65535

#define K_CHILD_ED  "ddns-keys/Kchild.parent.example.+015+41513"
#define K_CHILD_P256 "ddns-keys/Kchild.parent.example.+013+11727"
#define K_OTHER     "ddns-keys/Kother.parent.example.+015+11861"
#define K_PARENT    "ddns-keys/Kparent.example.+015+64135"
#define DS495 "\x01\xef\x0d\x02\x19\xAB\xD9\x83\x89\x1F\xF8\xB1\xEF\x09\x40\x33\x19\x7F\x19\xB2\xAC\xD5\xCC\x37\x7C\x52\xA8\x31\x9B\x3C\x90\x46\x6E\xC6\xC0\xC9"

static knot_dname_t *dn(const char *s)
{
	static knot_dname_storage_t buf[8];
	static int i;
	i = (i + 1) % 8;
	ck_assert_ptr_nonnull(knot_dname_from_str(buf[i], s, sizeof(buf[i])));
	return buf[i];
}

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

/* The fixture: parent.example. with a trust store where child's ED25519 key is trusted. */
static hs_trust_t *trust;
static hs_key_t *k_ed, *k_p256, *k_other, *k_parent;
static hs_parent_conf_t conf;
static hs_parent_result_t res;

static void setup(void)
{
	k_ed = load(K_CHILD_ED);
	k_p256 = load(K_CHILD_P256);
	k_other = load(K_OTHER);
	k_parent = load(K_PARENT);
	ck_assert_int_eq(hs_trust_new(0, &trust), HS_EOK);
	ck_assert_int_eq(hs_trust_manual(trust, k_ed->owner, k_ed->rdata.data, k_ed->rdata.size, T0), HS_EOK);
	memset(&conf, 0, sizeof(conf));
	conf.zone = (const knot_dname_t *)"\x06parent\x07" "example";
	conf.trust = trust;
	conf.key = k_parent;
	conf.sig0.now = T0;
	hs_parent_result_init(&res);
}

static void teardown(void)
{
	hs_parent_result_clear(&res);
	hs_trust_free(trust);
	hs_key_free(k_ed);
	hs_key_free(k_p256);
	hs_key_free(k_other);
	hs_key_free(k_parent);
}

static void add_ns(hs_chgs_t *c, hs_chg_op_t op, const char *owner, const char *target)
{
	const knot_dname_t *t = dn(target);
	ck_assert_int_eq(hs_chgs_add(c, op, dn(owner), KNOT_RRTYPE_NS, 3600, t, knot_dname_size(t)), HS_EOK);
}

static void add_a(hs_chgs_t *c, hs_chg_op_t op, const char *owner, const char *addr)
{
	uint8_t a[4];
	ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
	ck_assert_int_eq(hs_chgs_add(c, op, dn(owner), KNOT_RRTYPE_A, 3600, a, 4), HS_EOK);
}

static void add_del(hs_chgs_t *c, const char *owner, uint16_t type)
{
	ck_assert_int_eq(hs_chgs_add(c, HS_CHG_DEL_RRSET, dn(owner), type, 0, NULL, 0), HS_EOK);
}

static void add_ds(hs_chgs_t *c, hs_chg_op_t op)
{
	ck_assert_int_eq(hs_chgs_add(c, op, dn("child.parent.example."), KNOT_RRTYPE_DS, 3600,
	                             (const uint8_t *)DS495, 36), HS_EOK);
}

/* The change list the nsupdate vector carries. */
static void good_changes(hs_chgs_t *c)
{
	add_del(c, "child.parent.example.", KNOT_RRTYPE_NS);
	add_ns(c, HS_CHG_ADD, "child.parent.example.", "ns1.child.parent.example.");
	add_ns(c, HS_CHG_ADD, "child.parent.example.", "ns.provider.example.");
	add_a(c, HS_CHG_ADD, "ns1.child.parent.example.", "192.0.2.53");
	add_ds(c, HS_CHG_ADD);
}

/* UPDATE for ZONE with C, signed by KEY at time WHEN (KEY NULL: unsigned). */
static size_t msg(uint8_t *buf, const char *zone, hs_chgs_t *c, const hs_key_t *key, time_t when)
{
	knot_pkt_t *pkt = NULL;
	ck_assert_int_eq(hs_deleg_update_new(dn(zone), c, 1024, &pkt), HS_EOK);
	if (key != NULL) {
		hs_sig0_opts_t o = { .now = when };
		ck_assert_int_eq(hs_sig0_sign_pkt(pkt, key, NULL, 0, &o), HS_EOK);
	}
	size_t n = pkt->size;
	memcpy(buf, pkt->wire, n);
	knot_pkt_free(pkt);
	hs_chgs_clear(c);
	return n;
}

static void same_changes(const hs_chgs_t *a, const hs_chgs_t *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_int_eq(a->v[i].op, b->v[i].op);
		ck_assert(knot_dname_is_equal(a->v[i].owner, b->v[i].owner));
		ck_assert_uint_eq(a->v[i].type, b->v[i].type);
		ck_assert_uint_eq(a->v[i].ttl, b->v[i].ttl);
		ck_assert_uint_eq(a->v[i].len, b->v[i].len);
		ck_assert(a->v[i].len == 0 || memcmp(a->v[i].rdata, b->v[i].rdata, a->v[i].len) == 0);
	}
}

/* Refused with RCODE, SIG error and EDE; nothing applied; the response says so, signed. */
static void refused(const uint8_t *req, size_t len, uint8_t rcode, uint16_t sig_error, int32_t ede)
{
	size_t before = hs_trust_count(trust);
	ck_assert_int_eq(hs_parent_handle(&conf, req, len, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_REFUSED, "accepted: %s", res.reason);
	ck_assert_msg(res.rcode == rcode, "rcode %u, want %u: %s", res.rcode, rcode, res.reason);
	ck_assert_uint_eq(res.sig_error, sig_error);
	ck_assert_int_eq(res.ede, ede);
	ck_assert_uint_eq(res.changes.n, 0);
	ck_assert_uint_eq(res.keys_added, 0);
	ck_assert_uint_eq(hs_trust_count(trust), before);
	ck_assert_int_ne(res.error, 0);
	ck_assert(res.reason[0] != '\0');

	knot_pkt_t *resp = NULL;
	ck_assert_int_eq(hs_parent_response(&conf, req, len, &res, &resp), HS_EOK);
	ck_assert(knot_wire_get_qr(resp->wire));
	ck_assert_uint_eq(knot_wire_get_id(resp->wire), knot_wire_get_id(req));
	ck_assert_uint_eq(knot_wire_get_rcode(resp->wire), rcode);
	hs_sig0_opts_t o = { .now = T0 };
	ck_assert_int_eq(hs_sig0_verify(resp->wire, resp->size, req, len, k_parent, &o, NULL), HS_EOK);
	uint8_t rc = 99;
	int32_t got = 7;
	hs_key_t *pk[] = { k_parent };
	ck_assert_int_eq(hs_deleg_response_check(req, len, resp->wire, resp->size, pk, 1, &o, &rc, &got), HS_EOK);
	ck_assert_uint_eq(rc, rcode);
	ck_assert_int_eq(got, ede);
	knot_pkt_t *p = knot_pkt_new(resp->wire, resp->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	if (ede >= 0) {
		ck_assert_ptr_nonnull(p->opt_rr);
		ck_assert_uint_eq(knot_edns_get_ext_rcode(p->opt_rr), 0);
		uint8_t *opt = knot_edns_get_option(p->opt_rr, KNOT_EDNS_OPTION_EDE, NULL);
		ck_assert_ptr_nonnull(opt);
		ck_assert_uint_ge(knot_edns_opt_get_length(opt), 2);
		ck_assert_uint_eq(knot_wire_read_u16(knot_edns_opt_get_data(opt)), (uint16_t)ede);
	}
	knot_pkt_free(p);
	knot_pkt_free(resp);
}

START_TEST(accept_own)
{
	uint8_t buf[MAXMSG];
	hs_chgs_t c, want;
	hs_chgs_init(&c);
	hs_chgs_init(&want);
	good_changes(&c);
	good_changes(&want);
	size_t n = msg(buf, "parent.example.", &c, k_ed, T0);
	ck_assert_int_eq(hs_parent_handle(&conf, buf, n, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_APPLY, "%s", res.reason);
	ck_assert_uint_eq(res.rcode, KNOT_RCODE_NOERROR);
	ck_assert(knot_dname_is_equal(res.child, dn("child.parent.example.")));
	same_changes(&res.changes, &want);
	ck_assert_int_eq(res.changes.v[0].op, HS_CHG_DEL_RRSET);
	ck_assert_int_eq(res.changes.v[3].type, KNOT_RRTYPE_A);

	/* the response is signed by the parent and covers the request */
	knot_pkt_t *resp = NULL;
	ck_assert_int_eq(hs_parent_response(&conf, buf, n, &res, &resp), HS_EOK);
	ck_assert_uint_eq(knot_wire_get_rcode(resp->wire), KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(knot_wire_get_opcode(resp->wire), KNOT_OPCODE_UPDATE);
	hs_sig0_opts_t o = { .now = T0 };
	ck_assert_int_eq(hs_sig0_verify(resp->wire, resp->size, buf, n, k_parent, &o, NULL), HS_EOK);
	/* the child believes it only with the parent's key */
	uint8_t rc = 99;
	int32_t ede = 7;
	hs_key_t *pk[] = { k_other, k_parent };
	ck_assert_int_eq(hs_deleg_response_check(buf, n, resp->wire, resp->size, pk, 2, &o, &rc, &ede), HS_EOK);
	ck_assert_uint_eq(rc, KNOT_RCODE_NOERROR);
	ck_assert_int_eq(ede, -1);
	ck_assert_int_ne(hs_deleg_response_check(buf, n, resp->wire, resp->size, pk, 1, &o, &rc, &ede), HS_EOK);
	ck_assert_int_ne(hs_deleg_response_check(buf, n - 1, resp->wire, resp->size, pk, 2, &o, &rc, &ede), HS_EOK);
	knot_pkt_free(resp);
	conf.key = NULL;
	ck_assert_int_eq(hs_parent_response(&conf, buf, n, &res, &resp), HS_EOK);
	ck_assert_int_eq(hs_deleg_response_check(buf, n, resp->wire, resp->size, pk, 2, &o, &rc, &ede), HS_ESIG0_NONE);
	knot_pkt_free(resp);
	conf.key = k_parent;

	/* a scanner refusal: REFUSED with EDE 49156 whose EXTRA-TEXT is the reason */
	hs_parent_result_t ref = res;
	ref.verdict = HS_PARENT_REFUSED;
	ref.rcode = KNOT_RCODE_REFUSED;
	ref.ede = HS_EDE_DELEG_MISMATCH;
	snprintf(ref.reason, sizeof(ref.reason), "DS check: DS 495 of child.parent.example.\x01 matches no DNSKEY");
	ck_assert_int_eq(hs_parent_response(&conf, buf, n, &ref, &resp), HS_EOK);
	ck_assert_int_eq(hs_deleg_response_check(buf, n, resp->wire, resp->size, pk, 2, &o, &rc, &ede), HS_EOK);
	ck_assert_uint_eq(rc, KNOT_RCODE_REFUSED);
	ck_assert_int_eq(ede, HS_EDE_DELEG_MISMATCH);
	char text[128], small[8];
	ck_assert_int_eq(hs_deleg_response_ede(resp->wire, resp->size, &ede, text, sizeof(text)), HS_EOK);
	ck_assert_int_eq(ede, 49156);
	ck_assert_str_eq(text, "DS check: DS 495 of child.parent.example.? matches no DNSKEY");
	ck_assert_int_eq(hs_deleg_response_ede(resp->wire, resp->size, &ede, small, sizeof(small)), HS_EOK);
	ck_assert_str_eq(small, "DS chec");
	knot_pkt_free(resp);
	/* no EDE: -1 and "" */
	ck_assert_int_eq(hs_deleg_response_ede(buf, n, &ede, text, sizeof(text)), HS_EOK);
	ck_assert_int_eq(ede, -1);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(hs_deleg_response_ede(buf, n, NULL, text, sizeof(text)), HS_EINVAL);

	/* the scanner check: the DS must be that of a DNSKEY the child serves */
	char path[4200], why[256] = "";
	hs_key_t *ksk = NULL, *ksk2 = NULL;
	snprintf(path, sizeof(path), "%s.key", hs_testdata("ddns-keys/Kchild.parent.example.+013+00495"));
	ck_assert_int_eq(hs_key_load_public(path, &ksk, NULL, 0), HS_EOK);
	snprintf(path, sizeof(path), "%s.key", hs_testdata("ddns-keys/Kchild.parent.example.+013+46145"));
	ck_assert_int_eq(hs_key_load_public(path, &ksk2, NULL, 0), HS_EOK);
	knot_rrset_t *dk = knot_rrset_new(res.child, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, 3600, NULL);
	ck_assert_int_eq(knot_rrset_add_rdata(dk, ksk2->rdata.data, ksk2->rdata.size, NULL), KNOT_EOK);
	ck_assert_int_eq(hs_parent_ds_check(&res.changes, res.child, dk, why, sizeof(why)), HS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(why, "DS 495"));
	ck_assert_int_eq(knot_rrset_add_rdata(dk, ksk->rdata.data, ksk->rdata.size, NULL), KNOT_EOK);
	ck_assert_int_eq(hs_parent_ds_check(&res.changes, res.child, dk, why, sizeof(why)), HS_EOK);
	ck_assert_int_eq(hs_parent_ds_check(&res.changes, res.child, NULL, why, sizeof(why)), HS_ENOTFOUND);
	res.changes.v[4].rdata[3] = 1;   /* SHA-1 */
	ck_assert_int_eq(hs_parent_ds_check(&res.changes, res.child, dk, why, sizeof(why)), HS_EDIGEST);
	res.changes.v[4].rdata[3] = 2;
	knot_rrset_free(dk, NULL);
	hs_key_free(ksk);
	hs_key_free(ksk2);

	/* the UPDATE for the primary: zone, the same changes, TSIG last */
	static const char TSIG[] = "key \"prim\" { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n";
	hs_tsig_keys_t keys = { 0 };
	ck_assert_int_eq(hs_tsig_parse(TSIG, sizeof(TSIG) - 1, &keys, NULL), HS_EOK);
	hs_tsig_ctx_t ctx;
	memset(&ctx, 0, sizeof(ctx));
	knot_pkt_t *up = NULL;
	ck_assert_int_eq(hs_parent_primary_update(conf.zone, &res.changes, &keys.keys[0], &ctx, &up), HS_EOK);
	knot_pkt_t *p = knot_pkt_new(up->wire, up->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	ck_assert_uint_eq(knot_wire_get_opcode(p->wire), KNOT_OPCODE_UPDATE);
	ck_assert(knot_dname_is_equal(knot_pkt_qname(p), conf.zone));
	ck_assert_uint_eq(knot_pkt_qtype(p), KNOT_RRTYPE_SOA);
	ck_assert_uint_eq(knot_wire_get_nscount(p->wire), 5);
	ck_assert_ptr_nonnull(p->tsig_rr);
	const knot_pktsection_t *au = knot_pkt_section(p, KNOT_AUTHORITY);
	ck_assert_uint_eq(knot_pkt_rr(au, 0)->rclass, KNOT_CLASS_ANY);
	ck_assert_uint_eq(knot_pkt_rr(au, 0)->type, KNOT_RRTYPE_NS);
	ck_assert_uint_eq(knot_pkt_rr(au, 3)->type, KNOT_RRTYPE_A);
	ck_assert_uint_eq(knot_pkt_rr(au, 4)->type, KNOT_RRTYPE_DS);
	ck_assert_uint_eq(knot_pkt_rr(au, 4)->ttl, 3600);
	knot_pkt_free(p);
	knot_pkt_free(up);
	ck_assert_int_eq(hs_parent_primary_update(conf.zone, &want, NULL, &ctx, &up), HS_EINVAL);
	hs_tsig_keys_free(&keys);
	hs_chgs_clear(&want);
}
END_TEST

START_TEST(accept_nsupdate)
{
	uint8_t buf[MAXMSG];
	FILE *f = fopen(hs_testdata("ddns-nsupdate-ed25519.bin"), "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ck_assert_uint_gt(n, 12);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, n, &info), HS_EOK);
	ck_assert_uint_eq(info.keytag, 41513);
	conf.sig0.now = info.inception / 2 + info.expiration / 2;
	ck_assert_int_eq(hs_parent_handle(&conf, buf, n, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_APPLY, "%s", res.reason);
	hs_chgs_t want;
	hs_chgs_init(&want);
	good_changes(&want);
	same_changes(&res.changes, &want);
	hs_chgs_clear(&want);
	/* and far from its time it is BADTIME like ours */
	conf.sig0.now = info.expiration + 3600;
	ck_assert_int_eq(hs_parent_handle(&conf, buf, n, &res), HS_EOK);
	ck_assert_uint_eq(res.sig_error, HS_PARENT_BADTIME);
}
END_TEST

static knot_rrset_t *rrset(const char *owner, uint16_t type, const char *list);

/* The P-256 capture writes names in mixed case (zone Parent.Example., owners CHILD..., NS1.Child...). */
START_TEST(accept_nsupdate_p256)
{
	uint8_t buf[MAXMSG];
	FILE *f = fopen(hs_testdata("ddns-nsupdate-p256.bin"), "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	hs_sig0_info_t info;
	ck_assert_int_eq(hs_sig0_parse(buf, n, &info), HS_EOK);
	ck_assert_uint_eq(info.keytag, 11727);
	conf.sig0.now = info.inception / 2 + info.expiration / 2;
	/* pending: refused with the EDE; trusted: the same changes as ours */
	ck_assert_int_eq(hs_trust_add_pending(trust, k_p256->owner, k_p256->rdata.data,
	                                      k_p256->rdata.size, T0, NULL), HS_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, buf, n, &res), HS_EOK);
	ck_assert_int_eq(res.verdict, HS_PARENT_REFUSED);
	ck_assert_int_eq(res.ede, HS_EDE_SIG0_UNTRUSTED);
	ck_assert_int_eq(hs_trust_validated(trust, k_p256->owner, k_p256->rdata.data,
	                                    k_p256->rdata.size, T0), HS_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, buf, n, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_APPLY, "%s", res.reason);
	hs_chgs_t want;
	hs_chgs_init(&want);
	good_changes(&want);
	same_changes(&res.changes, &want);
	hs_chgs_clear(&want);
	/* the scanner's NS rule: nsupdate's replace is the child's NS RRset, its glue served */
	knot_rrset_t *ns = rrset("child.parent.example.", KNOT_RRTYPE_NS,
	                         "ns1.child.parent.example. NS.Provider.Example.");
	knot_rrset_t *a = rrset("ns1.child.parent.example.", KNOT_RRTYPE_A, "192.0.2.53");
	ck_assert(hs_parent_touches_ns(&res.changes, res.child));
	ck_assert_int_eq(hs_parent_ns_check(&res.changes, res.child, ns, a, 1, NULL, 0), HS_EOK);
	ck_assert_int_eq(hs_parent_ns_check(&res.changes, res.child, ns, NULL, 0, NULL, 0), HS_ENOTFOUND);
	knot_rrset_free(ns, NULL);
	knot_rrset_free(a, NULL);
}
END_TEST

START_TEST(refuse_keys)
{
	uint8_t buf[MAXMSG];
	hs_chgs_t c;
	hs_chgs_init(&c);
	/* unknown key: BADKEY */
	good_changes(&c);
	size_t n = msg(buf, "parent.example.", &c, k_p256, T0);
	refused(buf, n, KNOT_RCODE_NOTAUTH, HS_PARENT_BADKEY, HS_EDE_SIG0_BADKEY);
	ck_assert_ptr_nonnull(strstr(res.reason, "BADKEY"));
	/* known but pending: REFUSED with the private EDE */
	ck_assert_int_eq(hs_trust_add_pending(trust, k_p256->owner, k_p256->rdata.data,
	                                      k_p256->rdata.size, T0, NULL), HS_EOK);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, HS_EDE_SIG0_UNTRUSTED);
	/* refused keys too */
	ck_assert_int_eq(hs_trust_refuse(trust, k_p256->owner, k_p256->rdata.data,
	                                 k_p256->rdata.size, T0), HS_EOK);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, HS_EDE_SIG0_UNTRUSTED);
	/* out of the window, both ways: BADTIME */
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_ed, T0 - 3600);
	refused(buf, n, KNOT_RCODE_NOTAUTH, HS_PARENT_BADTIME, HS_EDE_SIG0_BADTIME);
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_ed, T0 + 3600);
	refused(buf, n, KNOT_RCODE_NOTAUTH, HS_PARENT_BADTIME, HS_EDE_SIG0_BADTIME);
	/* a broken signature: BADSIG */
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	buf[n - 5] ^= 0x40;
	refused(buf, n, KNOT_RCODE_NOTAUTH, HS_PARENT_BADSIG, HS_EDE_SIG0_BADSIG);
	/* unsigned */
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, NULL, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* another zone than ours */
	good_changes(&c);
	n = msg(buf, "other.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_NOTAUTH, 0, -1);
}
END_TEST

START_TEST(refuse_content)
{
	uint8_t buf[MAXMSG];
	hs_chgs_t c;
	hs_chgs_init(&c);
	/* another child's name */
	add_ns(&c, HS_CHG_ADD, "other.parent.example.", "ns.evil.example.");
	size_t n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	ck_assert_ptr_nonnull(strstr(res.reason, "outside the delegation"));
	/* the parent's own apex */
	add_ns(&c, HS_CHG_ADD, "parent.example.", "ns.evil.example.");
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* a trusted key of another child signing for child */
	ck_assert_int_eq(hs_trust_manual(trust, k_other->owner, k_other->rdata.data,
	                                 k_other->rdata.size, T0), HS_EOK);
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_other, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* TXT at the child */
	ck_assert_int_eq(hs_chgs_add(&c, HS_CHG_ADD, dn("child.parent.example."), KNOT_RRTYPE_TXT, 300,
	                             (const uint8_t *)"\x02hi", 3), HS_EOK);
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* A at the child apex: not glue */
	add_a(&c, HS_CHG_ADD, "child.parent.example.", "192.0.2.1");
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* A below the child that no NS names */
	add_ns(&c, HS_CHG_ADD, "child.parent.example.", "ns1.child.parent.example.");
	add_a(&c, HS_CHG_ADD, "www.child.parent.example.", "192.0.2.80");
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	ck_assert_ptr_nonnull(strstr(res.reason, "not glue"));
	/* delete everything at the child name (type ANY) */
	add_del(&c, "child.parent.example.", KNOT_RRTYPE_ANY);
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* a good RR and a bad one: nothing of it applied */
	good_changes(&c);
	add_a(&c, HS_CHG_ADD, "www.child.parent.example.", "192.0.2.80");
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
}
END_TEST

START_TEST(refuse_malformed)
{
	uint8_t buf[MAXMSG];
	hs_chgs_t c;
	hs_chgs_init(&c);
	good_changes(&c);
	size_t n = msg(buf, "parent.example.", &c, k_ed, T0);
	/* cut short */
	refused(buf, n - 7, KNOT_RCODE_FORMERR, 0, -1);
	refused(buf, 20, KNOT_RCODE_FORMERR, 0, -1);
	/* counts that lie */
	uint8_t bad[MAXMSG];
	memcpy(bad, buf, n);
	knot_wire_set_nscount(bad, 40);
	refused(bad, n, KNOT_RCODE_FORMERR, 0, -1);
	/* zone section with two entries */
	memcpy(bad, buf, n);
	knot_wire_set_qdcount(bad, 2);
	refused(bad, n, KNOT_RCODE_FORMERR, 0, -1);
	/* not an answerable message at all */
	ck_assert_int_eq(hs_parent_handle(&conf, buf, 11, &res), HS_EMSG);
	memcpy(bad, buf, n);
	knot_wire_set_qr(bad);
	ck_assert_int_eq(hs_parent_handle(&conf, bad, n, &res), HS_EMSG);
	/* opcode NOTIFY */
	memcpy(bad, buf, n);
	knot_wire_set_opcode(bad, KNOT_OPCODE_NOTIFY);
	refused(bad, n, KNOT_RCODE_NOTIMPL, 0, -1);
	/* a delete-RR with a TTL */
	ck_assert_int_eq(hs_chgs_add(&c, HS_CHG_DEL_RR, dn("child.parent.example."), KNOT_RRTYPE_DS, 0,
	                             (const uint8_t *)DS495, 36), HS_EOK);
	n = msg(buf, "parent.example.", &c, NULL, T0);
	/* TTL sits 4 bytes after owner (compressed pointer 2), type 2, class 2 */
	size_t off = n - 36 - 2 - 4;
	buf[off + 3] = 1;
	hs_sig0_opts_t o = { .now = T0 };
	size_t sz = n;
	ck_assert_int_eq(hs_sig0_sign(buf, &sz, sizeof(buf), k_ed, NULL, 0, &o), HS_EOK);
	refused(buf, sz, KNOT_RCODE_FORMERR, 0, -1);
	ck_assert_uint_eq(hs_parent_handle(&conf, NULL, 0, &res), HS_EINVAL);
}
END_TEST

/* KeyState query for KEY signed by it, handled; the state answered, read back by the child. */
static uint8_t keystate(const hs_key_t *key)
{
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_deleg_keystate_query_new(key, &q), HS_EOK);
	hs_sig0_opts_t o = { .now = T0 };
	ck_assert_int_eq(hs_sig0_sign_pkt(q, key, NULL, 0, &o), HS_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, q->wire, q->size, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_KEYSTATE, "%s", res.reason);
	knot_pkt_t *resp = NULL;
	ck_assert_int_eq(hs_parent_response(&conf, q->wire, q->size, &res, &resp), HS_EOK);
	ck_assert_int_eq(hs_sig0_verify(resp->wire, resp->size, q->wire, q->size, k_parent, &o, NULL), HS_EOK);
	knot_pkt_t *p = knot_pkt_new(resp->wire, resp->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	uint8_t state = 0;
	ck_assert_int_eq(hs_deleg_keystate_answer(p, key->keytag, &state), HS_EOK);
	ck_assert_int_eq(hs_deleg_keystate_answer(p, key->keytag + 1, &state), HS_EDISC_MISMATCH);
	ck_assert_uint_eq(state, res.keystate);
	knot_pkt_free(p);
	knot_pkt_free(resp);
	knot_pkt_free(q);
	return state;
}

START_TEST(bootstrap)
{
	uint8_t buf[MAXMSG];
	/* unknown */
	ck_assert_uint_eq(keystate(k_p256), HS_KS_UNKNOWN);
	ck_assert_int_eq(hs_deleg_keystate_action(HS_KS_UNKNOWN), HS_NEXT_BOOTSTRAP);
	/* a self-signed bootstrap that also changes NS is refused */
	hs_chgs_t c;
	hs_chgs_init(&c);
	add_del(&c, "child.parent.example.", HS_RRTYPE_KEY);
	ck_assert_int_eq(hs_chgs_add(&c, HS_CHG_ADD, dn("child.parent.example."), HS_RRTYPE_KEY, 3600,
	                             k_p256->rdata.data, k_p256->rdata.size), HS_EOK);
	add_ns(&c, HS_CHG_ADD, "child.parent.example.", "ns.evil.example.");
	size_t n = msg(buf, "parent.example.", &c, k_p256, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, -1);
	/* the bootstrap UPDATE: delete and add the KEY, self-signed */
	knot_pkt_t *b = NULL;
	ck_assert_int_eq(hs_deleg_bootstrap_new(conf.zone, k_p256, 3600, &b), HS_EOK);
	ck_assert_uint_eq(knot_wire_get_nscount(b->wire), 2);
	hs_sig0_opts_t o = { .now = T0 };
	ck_assert_int_eq(hs_sig0_sign_pkt(b, k_p256, NULL, 0, &o), HS_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, b->wire, b->size, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_BOOTSTRAP, "%s", res.reason);
	ck_assert_uint_eq(res.keys_added, 1);
	ck_assert_uint_eq(res.changes.n, 0);
	const hs_trust_entry_t *e = hs_trust_find(trust, k_p256->owner, k_p256->rdata.data, k_p256->rdata.size);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->state, HS_TRUST_PENDING);
	ck_assert_uint_eq(e->keytag, 11727);
	/* again: accepted, nothing new */
	ck_assert_int_eq(hs_parent_handle(&conf, b->wire, b->size, &res), HS_EOK);
	ck_assert_int_eq(res.verdict, HS_PARENT_BOOTSTRAP);
	ck_assert_uint_eq(res.keys_added, 0);
	knot_pkt_free(b);
	/* pending: KeyState 9, and its UPDATEs are refused */
	ck_assert_uint_eq(keystate(k_p256), HS_KS_AUTO_BOOTSTRAP);
	ck_assert_int_eq(hs_deleg_keystate_action(HS_KS_AUTO_BOOTSTRAP), HS_NEXT_WAIT);
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_p256, T0);
	refused(buf, n, KNOT_RCODE_REFUSED, 0, HS_EDE_SIG0_UNTRUSTED);
	/* policy wants the operator: 10 */
	ck_assert_int_eq(hs_trust_need_manual(trust, k_p256->owner, k_p256->rdata.data, k_p256->rdata.size, T0), HS_EOK);
	ck_assert_uint_eq(keystate(k_p256), HS_KS_MANUAL_BOOTSTRAP);
	ck_assert_int_eq(hs_deleg_keystate_action(HS_KS_MANUAL_BOOTSTRAP), HS_NEXT_MANUAL);
	/* the old key stays trusted until the new one is validated */
	ck_assert_uint_eq(keystate(k_ed), HS_KS_TRUSTED);
	ck_assert_int_eq(hs_trust_validated(trust, k_p256->owner, k_p256->rdata.data, k_p256->rdata.size, T0 + 10), HS_EOK);
	ck_assert_uint_eq(keystate(k_p256), HS_KS_TRUSTED);
	ck_assert_int_eq(hs_deleg_keystate_action(HS_KS_TRUSTED), HS_NEXT_UPDATE);
	ck_assert_uint_eq(keystate(k_ed), HS_KS_UNKNOWN);
	/* and now its UPDATEs are applied; the old key's are BADKEY */
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_p256, T0);
	ck_assert_int_eq(hs_parent_handle(&conf, buf, n, &res), HS_EOK);
	ck_assert_msg(res.verdict == HS_PARENT_APPLY, "%s", res.reason);
	ck_assert_uint_eq(res.changes.n, 5);
	good_changes(&c);
	n = msg(buf, "parent.example.", &c, k_ed, T0);
	refused(buf, n, KNOT_RCODE_NOTAUTH, HS_PARENT_BADKEY, HS_EDE_SIG0_BADKEY);
}
END_TEST

START_TEST(keystate_edges)
{
	/* unsigned KeyState query is answered; another zone's name is refused */
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_deleg_keystate_query_new(k_ed, &q), HS_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, q->wire, q->size, &res), HS_EOK);
	ck_assert_int_eq(res.verdict, HS_PARENT_KEYSTATE);
	ck_assert_uint_eq(res.keystate, HS_KS_TRUSTED);
	knot_pkt_free(q);
	hs_key_t *k = load("sig0-keys/Ksig0.example.+015+19511");
	ck_assert_int_eq(hs_deleg_keystate_query_new(k, &q), HS_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, q->wire, q->size, &res), HS_EOK);
	ck_assert_int_eq(res.verdict, HS_PARENT_REFUSED);
	ck_assert_uint_eq(res.rcode, KNOT_RCODE_REFUSED);
	knot_pkt_free(q);
	hs_key_free(k);
	/* a plain query without the option */
	knot_pkt_t *p = knot_pkt_new(NULL, 512, NULL);
	ck_assert_int_eq(knot_pkt_put_question(p, dn("child.parent.example."), KNOT_CLASS_IN, KNOT_RRTYPE_NS), KNOT_EOK);
	ck_assert_int_eq(hs_parent_handle(&conf, p->wire, p->size, &res), HS_EOK);
	ck_assert_uint_eq(res.rcode, KNOT_RCODE_REFUSED);
	knot_pkt_free(p);
	/* the child reading answers */
	ck_assert_int_eq(hs_deleg_keystate_action(HS_KS_REFUSED), HS_NEXT_OPERATOR);
	ck_assert_int_eq(hs_deleg_keystate_action(HS_KS_TEMPFAIL), HS_NEXT_RETRY);
	ck_assert_int_eq(hs_deleg_keystate_action(3), HS_NEXT_RETRY);
}
END_TEST

/* ---- the CSYNC scanner's NS and glue rule ------------------------------------------------- */

#define CH "child.parent.example."
#define NS1 "ns1.child.parent.example."
#define NS2 "ns2.child.parent.example."

/* A NEW RRset OWNER TYPE with LIST (space separated NS targets or addresses). */
static knot_rrset_t *rrset(const char *owner, uint16_t type, const char *list)
{
	knot_rrset_t *rr = knot_rrset_new(dn(owner), type, KNOT_CLASS_IN, 3600, NULL);
	ck_assert_ptr_nonnull(rr);
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		uint8_t rd[KNOT_DNAME_MAXLEN];
		size_t len;
		if (type == KNOT_RRTYPE_NS) {
			const knot_dname_t *n = dn(t);
			len = knot_dname_size(n);
			memcpy(rd, n, len);
		} else {
			len = type == KNOT_RRTYPE_A ? 4 : 16;
			ck_assert_int_eq(inet_pton(type == KNOT_RRTYPE_A ? AF_INET : AF_INET6, t, rd), 1);
		}
		ck_assert_int_eq(knot_rrset_add_rdata(rr, rd, len, NULL), KNOT_EOK);
	}
	return rr;
}

static void add_aaaa(hs_chgs_t *c, hs_chg_op_t op, const char *owner, const char *addr)
{
	uint8_t a[16];
	ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
	ck_assert_int_eq(hs_chgs_add(c, op, dn(owner), KNOT_RRTYPE_AAAA, 3600, a, 16), HS_EOK);
}

/* hs_parent_ns_check of C gives WANT, and WHY holds PART; C is emptied. */
static void nscheck(hs_chgs_t *c, const knot_rrset_t *ns, const knot_rrset_t *g, size_t ng,
                    int want, const char *part)
{
	char why[512] = "";
	int ret = hs_parent_ns_check(c, dn(CH), ns, g, ng, why, sizeof(why));
	ck_assert_msg(ret == want, "got %s, want %s: %s", hs_strerror(ret), hs_strerror(want), why);
	if (part != NULL) {
		ck_assert_msg(strstr(why, part) != NULL, "'%s' not in '%s'", part, why);
	}
	hs_chgs_clear(c);
}

/* The child's data: NS ns1 (in bailiwick) and ns.provider.example.; ns1 A and AAAA. */
static knot_rrset_t *c_ns, *c_a, *c_aaaa;
static knot_rrset_t c_glue[2];

static void child_data(const char *ns, const char *a, const char *aaaa)
{
	knot_rrset_free(c_ns, NULL);
	knot_rrset_free(c_a, NULL);
	knot_rrset_free(c_aaaa, NULL);
	c_ns = rrset(CH, KNOT_RRTYPE_NS, ns);
	c_a = rrset(NS1, KNOT_RRTYPE_A, a);
	c_aaaa = rrset(NS1, KNOT_RRTYPE_AAAA, aaaa);
	c_glue[0] = *c_a;
	c_glue[1] = *c_aaaa;
}

static void child_data_free(void)
{
	knot_rrset_free(c_ns, NULL);
	knot_rrset_free(c_a, NULL);
	knot_rrset_free(c_aaaa, NULL);
	c_ns = c_a = c_aaaa = NULL;
}

START_TEST(ns_check_rule)
{
	hs_chgs_t c;
	hs_chgs_init(&c);
	child_data(NS1 " ns.provider.example.", "192.0.2.53", "2001:db8::53");

	/* replace, as nsupdate's vector has it: NS after = the child's, glue served */
	good_changes(&c);
	ck_assert(hs_parent_touches_ns(&c, dn(CH)));
	hs_parent_glueq_t q[4];
	size_t nq = 9;
	ck_assert_int_eq(hs_parent_glue_lookups(&c, dn(CH), c_ns, q, 4, &nq), HS_EOK);
	ck_assert_uint_eq(nq, 1);
	ck_assert(knot_dname_is_equal(q[0].owner, dn(NS1)));
	ck_assert_uint_eq(q[0].type, KNOT_RRTYPE_A);
	ck_assert_int_eq(hs_parent_glue_lookups(&c, dn(CH), c_ns, q, 0, &nq), HS_ESPACE);
	ck_assert_int_eq(hs_parent_glue_lookups(&c, dn(CH), NULL, q, 4, &nq), HS_EOK);
	ck_assert_uint_eq(nq, 0);
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	/* the glue look-ups not given count as served empty */
	good_changes(&c);
	nscheck(&c, c_ns, NULL, 0, HS_ENOTFOUND,
	        "glue " NS1 " A 192.0.2.53 is not an address " CH " serves for " NS1);
	/* a replace that leaves out an NS the child serves */
	good_changes(&c);
	knot_rrset_t *ns3 = rrset(CH, KNOT_RRTYPE_NS, NS1 " ns.provider.example. " NS2);
	nscheck(&c, ns3, c_glue, 2, HS_EEXIST,
	        "the UPDATE replaces the NS RRset of " CH " without " NS2 ", which " CH " serves");
	/* a child that serves no NS RRset gets no NS change; DS alone does not care */
	good_changes(&c);
	nscheck(&c, NULL, c_glue, 2, HS_ENOTFOUND, CH " serves no NS RRset");
	knot_rrset_t *empty = rrset(CH, KNOT_RRTYPE_NS, "");
	good_changes(&c);
	nscheck(&c, empty, c_glue, 2, HS_ENOTFOUND, "serves no NS RRset");
	add_ds(&c, HS_CHG_ADD);
	ck_assert(!hs_parent_touches_ns(&c, dn(CH)));
	nscheck(&c, NULL, NULL, 0, HS_EOK, NULL);

	/* delta: an NS added must be served, an NS deleted must not be */
	add_ns(&c, HS_CHG_ADD, CH, NS2);
	nscheck(&c, c_ns, c_glue, 2, HS_ENOTFOUND, "NS " NS2 " is not in the NS RRset " CH " serves");
	add_ns(&c, HS_CHG_ADD, CH, NS2);
	nscheck(&c, ns3, c_glue, 2, HS_EOK, NULL);
	add_ns(&c, HS_CHG_DEL_RR, CH, NS1);
	nscheck(&c, c_ns, c_glue, 2, HS_EEXIST, "NS " NS1 " deleted, but " CH " still serves it");
	add_ns(&c, HS_CHG_DEL_RR, CH, "old.provider.example.");
	add_ns(&c, HS_CHG_ADD, CH, "ns.provider.example.");
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	/* in wire order: the last change of an RR decides */
	add_ns(&c, HS_CHG_ADD, CH, NS2);
	add_ns(&c, HS_CHG_DEL_RR, CH, NS2);
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	add_ns(&c, HS_CHG_ADD, CH, NS2);
	add_del(&c, CH, KNOT_RRTYPE_NS);
	add_ns(&c, HS_CHG_ADD, CH, "ns.provider.example.");
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	add_ns(&c, HS_CHG_ADD, CH, "ns.provider.example.");
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	add_del(&c, CH, KNOT_RRTYPE_NS);
	nscheck(&c, c_ns, c_glue, 2, HS_EEXIST, "NS ns.provider.example. deleted, but " CH " still serves it");
	/* names compare case-insensitively */
	knot_rrset_t *mixed = rrset(CH, KNOT_RRTYPE_NS, "NS1.Child.Parent.EXAMPLE. Ns.Provider.Example.");
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	nscheck(&c, mixed, c_glue, 2, HS_EOK, NULL);

	/* glue: an address added must be one the child serves for that name */
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	add_a(&c, HS_CHG_ADD, NS1, "192.0.2.99");
	nscheck(&c, c_ns, c_glue, 2, HS_ENOTFOUND,
	        "glue " NS1 " A 192.0.2.99 is not an address " CH " serves for " NS1);
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	add_aaaa(&c, HS_CHG_ADD, NS1, "2001:db8::53");
	ck_assert_int_eq(hs_parent_glue_lookups(&c, dn(CH), c_ns, q, 4, &nq), HS_EOK);
	ck_assert_uint_eq(nq, 1);
	ck_assert_uint_eq(q[0].type, KNOT_RRTYPE_AAAA);
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	add_aaaa(&c, HS_CHG_ADD, NS1, "2001:db8::54");
	nscheck(&c, c_ns, c_glue, 2, HS_ENOTFOUND, "glue " NS1 " AAAA 2001:db8::54 is not an address");
	/* an address deleted that the child still serves, or left out of a replace */
	add_a(&c, HS_CHG_DEL_RR, NS1, "192.0.2.53");
	nscheck(&c, c_ns, c_glue, 2, HS_EEXIST, "glue " NS1 " A 192.0.2.53 deleted, but " CH " still serves it");
	add_del(&c, NS1, KNOT_RRTYPE_AAAA);
	nscheck(&c, c_ns, c_glue, 2, HS_EEXIST,
	        "the UPDATE replaces the AAAA RRset of " NS1 " without 2001:db8::53, which " CH " serves");
	add_del(&c, NS1, KNOT_RRTYPE_AAAA);
	add_ns(&c, HS_CHG_ADD, CH, NS1);
	add_aaaa(&c, HS_CHG_ADD, NS1, "2001:db8::53");
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	/* at a name the child's NS RRset does not name: no glue added, deletions free */
	add_a(&c, HS_CHG_ADD, NS2, "192.0.2.54");
	ck_assert_int_eq(hs_parent_glue_lookups(&c, dn(CH), c_ns, q, 4, &nq), HS_EOK);
	ck_assert_uint_eq(nq, 0);
	nscheck(&c, c_ns, c_glue, 2, HS_ENOTFOUND,
	        "glue " NS2 " A 192.0.2.54: " NS2 " is not a nameserver in the NS RRset " CH " serves");
	add_a(&c, HS_CHG_DEL_RR, NS2, "192.0.2.54");
	add_del(&c, NS2, KNOT_RRTYPE_AAAA);
	nscheck(&c, c_ns, c_glue, 2, HS_EOK, NULL);
	/* glue of a name the UPDATE makes an NS, served by the child */
	knot_rrset_t *a2 = rrset(NS2, KNOT_RRTYPE_A, "192.0.2.54");
	knot_rrset_t g3[3] = { *c_a, *c_aaaa, *a2 };
	add_ns(&c, HS_CHG_ADD, CH, NS2);
	add_a(&c, HS_CHG_ADD, NS2, "192.0.2.54");
	nscheck(&c, ns3, g3, 3, HS_EOK, NULL);

	ck_assert_int_eq(hs_parent_ns_check(NULL, dn(CH), c_ns, NULL, 0, NULL, 0), HS_EINVAL);
	ck_assert_int_eq(hs_parent_glue_lookups(&c, NULL, c_ns, q, 4, &nq), HS_EINVAL);
	knot_rrset_free(a2, NULL);
	knot_rrset_free(mixed, NULL);
	knot_rrset_free(empty, NULL);
	knot_rrset_free(ns3, NULL);
	child_data_free();
}
END_TEST

/* Delegation data of a child zone: NS ns1 and ns.provider.example., ns1 at A1; with NS2 also ns2 at .54. */
static hs_zone_t *deleg(const char *a1, bool ns2)
{
	hs_zone_t *z = NULL, *d = NULL;
	ck_assert_int_eq(hs_zone_new(dn(CH), KNOT_CLASS_IN, &z), HS_EOK);
	knot_rrset_t *ns = rrset(CH, KNOT_RRTYPE_NS, ns2 ? NS1 " ns.provider.example. " NS2 :
	                                                   NS1 " ns.provider.example.");
	knot_rrset_t *a = rrset(NS1, KNOT_RRTYPE_A, a1);
	knot_rrset_t *b = rrset(NS2, KNOT_RRTYPE_A, "192.0.2.54");
	ck_assert_int_eq(hs_zone_add(z, ns, NULL), HS_EOK);
	ck_assert_int_eq(hs_zone_add(z, a, NULL), HS_EOK);
	if (ns2) {
		ck_assert_int_eq(hs_zone_add(z, b, NULL), HS_EOK);
	}
	knot_rrset_free(ns, NULL);
	knot_rrset_free(a, NULL);
	knot_rrset_free(b, NULL);
	ck_assert_int_eq(hs_deleg_from_zone(z, 3600, &d), HS_EOK);
	hs_zone_free(z);
	return d;
}

/* The changes the child role makes (both modes) pass against the child's new data only. */
START_TEST(ns_check_deleg_modes)
{
	knot_rrset_t *ns2 = rrset(CH, KNOT_RRTYPE_NS, NS1 " ns.provider.example. " NS2);
	knot_rrset_t *ns1 = rrset(CH, KNOT_RRTYPE_NS, NS1 " ns.provider.example.");
	knot_rrset_t *a53 = rrset(NS1, KNOT_RRTYPE_A, "192.0.2.53");
	knot_rrset_t *a55 = rrset(NS1, KNOT_RRTYPE_A, "192.0.2.55");
	knot_rrset_t *a54 = rrset(NS2, KNOT_RRTYPE_A, "192.0.2.54");
	knot_rrset_t g_old[1] = { *a53 }, g_new[2] = { *a53, *a54 }, g_moved[1] = { *a55 };
	for (int m = HS_DELEG_DELTA; m <= HS_DELEG_REPLACE; m++) {
		hs_zone_t *old = deleg("192.0.2.53", false), *now = deleg("192.0.2.53", true);
		hs_zone_t *moved = deleg("192.0.2.55", false);
		hs_chgs_t c;
		hs_chgs_init(&c);
		bool changed = false;
		/* an NS and its glue added */
		ck_assert_int_eq(hs_deleg_changes(old, now, m, &c, &changed), HS_EOK);
		ck_assert(changed);
		hs_parent_glueq_t q[8];
		size_t nq = 0;
		ck_assert_int_eq(hs_parent_glue_lookups(&c, dn(CH), ns2, q, 8, &nq), HS_EOK);
		ck_assert_uint_eq(nq, m == HS_DELEG_DELTA ? 1 : 4);   /* replace: A and AAAA of both */
		ck_assert_int_eq(hs_parent_ns_check(&c, dn(CH), ns2, g_new, 2, NULL, 0), HS_EOK);
		nscheck(&c, ns1, g_old, 1, HS_ENOTFOUND, "NS " NS2 " is not in the NS RRset");
		/* and removed again */
		ck_assert_int_eq(hs_deleg_changes(now, old, m, &c, &changed), HS_EOK);
		ck_assert_int_eq(hs_parent_ns_check(&c, dn(CH), ns1, g_old, 1, NULL, 0), HS_EOK);
		nscheck(&c, ns2, g_new, 2, HS_EEXIST, NS2);
		/* ns1 moved to another address */
		ck_assert_int_eq(hs_deleg_changes(old, moved, m, &c, &changed), HS_EOK);
		ck_assert_int_eq(hs_parent_ns_check(&c, dn(CH), ns1, g_moved, 1, NULL, 0), HS_EOK);
		if (m == HS_DELEG_DELTA) {   /* wire order: the deletion of .53 comes first */
			nscheck(&c, ns1, g_old, 1, HS_EEXIST, "glue " NS1 " A 192.0.2.53 deleted");
		} else {
			nscheck(&c, ns1, g_old, 1, HS_ENOTFOUND, "glue " NS1 " A 192.0.2.55 is not an address");
		}
		hs_zone_free(old);
		hs_zone_free(now);
		hs_zone_free(moved);
	}
	knot_rrset_free(ns1, NULL);
	knot_rrset_free(ns2, NULL);
	knot_rrset_free(a53, NULL);
	knot_rrset_free(a54, NULL);
	knot_rrset_free(a55, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("parent");
	TCase *tc = tcase_create("receiver");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, accept_own);
	tcase_add_test(tc, accept_nsupdate);
	tcase_add_test(tc, accept_nsupdate_p256);
	tcase_add_test(tc, refuse_keys);
	tcase_add_test(tc, refuse_content);
	tcase_add_test(tc, refuse_malformed);
	tcase_add_test(tc, bootstrap);
	tcase_add_test(tc, keystate_edges);
	tcase_add_test(tc, ns_check_rule);
	tcase_add_test(tc, ns_check_deleg_modes);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
