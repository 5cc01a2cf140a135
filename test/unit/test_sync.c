/* Unit tests for agentd/sync.c: parts, checks, merge, combiner UPDATE, own vs pushed keys. */
#include <string.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "agentd/sync.h"
#include "combinerd/contrib.h"
#include "libhsync/error.h"
#include "test/unit/sync_test.h"

#define Z "example."
#define A_ID "agent.a.example."
#define B_ID "agent.b.example."
#define C_ID "agent.c.example."

/* A peer's part: KEYS (names or NULL), its CDS/CDNSKEY from them, NS (names or NULL). */
static void make_part(hs_msg_content_t *c, const char *keys, const char *ns)
{
	memset(c, 0, sizeof(*c));
	if (keys != NULL) {
		c->rr[HS_MSG_T_DNSKEY] = tdnskey(Z, 3600, keys);
		uint8_t dig = HS_DS_SHA256;
		int ret = hs_dnssec_cds_rrset(c->rr[HS_MSG_T_DNSKEY], &dig, 1, &c->rr[HS_MSG_T_CDS], NULL);
		ck_assert(ret == 0 || ret == HS_ENOTFOUND);
		ret = hs_dnssec_cdnskey_rrset(c->rr[HS_MSG_T_DNSKEY], &c->rr[HS_MSG_T_CDNSKEY], NULL);
		ck_assert(ret == 0 || ret == HS_ENOTFOUND);
	}
	if (ns != NULL) {
		c->rr[HS_MSG_T_NS] = tns(Z, 3600, ns);
	}
}

static hs_sync_t *make_sync(const char *hsync)
{
	hs_sync_t *s = NULL;
	ck_assert_int_eq(hs_sync_new(tdname(Z), tdname(A_ID), NULL, &s), 0);
	knot_rrset_t *h = thsync(Z, hsync);
	ck_assert_int_eq(hs_sync_set_hsync(s, h), 0);
	knot_rrset_free(h, NULL);
	return s;
}

static int set_signed(hs_sync_t *s, const char *keys, uint32_t serial)
{
	knot_rrset_t *k = keys != NULL ? tdnskey(Z, 3600, keys) : NULL;
	int ret = hs_sync_set_signed(s, k, true, serial);
	ck_assert_int_ge(ret, 0);
	knot_rrset_free(k, NULL);
	return ret;
}

static int receive(hs_sync_t *s, const char *id, const char *keys, const char *ns, char *why)
{
	hs_msg_content_t c;
	make_part(&c, keys, ns);
	int ret = hs_sync_receive(s, tdname(id), &c, 1000, why, HS_SYNC_WHY_SIZE);
	hs_sync_content_clear(&c);
	return ret;
}

/* plan, confirm, and check that a second plan changes nothing */
static void plan_confirm(hs_sync_t *s, hs_sync_plan_t *plan)
{
	ck_assert_int_eq(hs_sync_plan(s, plan), 0);
	ck_assert_int_eq(hs_sync_confirmed(s, plan), 0);
	hs_sync_plan_t again;
	ck_assert_int_eq(hs_sync_plan(s, &again), 0);
	ck_assert_uint_eq(again.nchanged, 0);
	hs_sync_plan_clear(&again);
}

static const char *HS_A2 = "ON OWNER SIGN " A_ID " .|ON OWNER SIGN " B_ID " .";
static const char *HS_A3 = "ON OWNER SIGN " A_ID " .|ON OWNER SIGN " B_ID " .|ON OWNER SIGN " C_ID " .";

START_TEST(case_a_two)
{
	hs_sync_t *s = make_sync(HS_A2);
	set_signed(s, "a-ksk a-zsk", 100);
	char why[HS_SYNC_WHY_SIZE];
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", NULL, why), 1);
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", NULL, why), 0);   /* same again */

	/* our part: both keys, CDS (SHA-256) and CDNSKEY of the KSK, no NS (OWNER) */
	hs_msg_content_t own;
	ck_assert_int_eq(hs_sync_own_part(s, &own), 0);
	ck_assert_uint_eq(own.rr[HS_MSG_T_DNSKEY]->rrs.count, 2);
	ck_assert_uint_eq(own.rr[HS_MSG_T_CDS]->rrs.count, 1);
	/* dnssec-dsfromkey -2 Kexample.+013+10478.key */
	static const uint8_t cds_a[] = {
		0x28, 0xee, 13, 2, 0x71, 0x6F, 0xB2, 0xD4, 0x5B, 0x52, 0x8C, 0xDF, 0x6C, 0x6C, 0x85,
		0xFB, 0x5B, 0xD2, 0x2F, 0x8D, 0xCB, 0x3A, 0x8B, 0xD8, 0x8E, 0x4F, 0xA3, 0xE7, 0x08,
		0xBF, 0x38, 0x65, 0x4B, 0x40, 0x6A, 0xFC };
	knot_rdata_t *rd = own.rr[HS_MSG_T_CDS]->rrs.rdata;
	ck_assert_uint_eq(rd->len, sizeof(cds_a));
	ck_assert_mem_eq(rd->data, cds_a, sizeof(cds_a));
	ck_assert(has_key(&own.rr[HS_MSG_T_CDNSKEY]->rrs, "a-ksk"));
	ck_assert_ptr_null(own.rr[HS_MSG_T_NS]);
	ck_assert_ptr_null(own.rr[HS_MSG_T_CSYNC]);
	hs_sync_content_clear(&own);

	hs_sync_plan_t plan;
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	knot_rrset_t *k = plan.want[HS_MSG_T_DNSKEY];
	ck_assert_uint_eq(k->rrs.count, 2);   /* only B's keys: our signer adds its own */
	ck_assert(has_key(&k->rrs, "b-ksk") && has_key(&k->rrs, "b-zsk"));
	ck_assert(!has_key(&k->rrs, "a-ksk"));
	ck_assert_uint_eq(plan.want[HS_MSG_T_CDS]->rrs.count, 2);   /* union, ours included */
	ck_assert_uint_eq(plan.want[HS_MSG_T_CDNSKEY]->rrs.count, 2);
	ck_assert(has_key(&plan.want[HS_MSG_T_CDNSKEY]->rrs, "a-ksk"));
	ck_assert(has_key(&plan.want[HS_MSG_T_CDNSKEY]->rrs, "b-ksk"));
	ck_assert_ptr_null(plan.want[HS_MSG_T_NS]);
	ck_assert_ptr_null(plan.want[HS_MSG_T_CSYNC]);
	ck_assert_uint_eq(plan.nchanged, 3);

	/* the UPDATE for combinerd: 3 deletes and 6 adds, in type order */
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(hs_sync_update_build(s, &plan, 0x1234, pkt), 0);
	knot_pkt_t *q = knot_pkt_new(pkt->wire, pkt->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(q, 0), 0);
	ck_assert_uint_eq(knot_wire_get_opcode(q->wire), KNOT_OPCODE_UPDATE);
	ck_assert_uint_eq(knot_wire_get_id(q->wire), 0x1234);
	ck_assert_uint_eq(knot_pkt_qtype(q), KNOT_RRTYPE_SOA);
	ck_assert_uint_eq(knot_wire_get_nscount(q->wire), 9);
	const knot_pktsection_t *up = knot_pkt_section(q, KNOT_AUTHORITY);
	ck_assert_uint_eq(up->count, 9);
	static const uint16_t types[3] = { KNOT_RRTYPE_DNSKEY, KNOT_RRTYPE_CDS, KNOT_RRTYPE_CDNSKEY };
	for (unsigned i = 0; i < 9; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		ck_assert_uint_eq(rr->type, types[i / 3]);
		ck_assert(knot_dname_is_equal(rr->owner, tdname(Z)));
		ck_assert_uint_eq(rr->rclass, (i % 3 == 0 ? KNOT_CLASS_ANY : KNOT_CLASS_IN));
		ck_assert_uint_eq(rr->rrs.count, 1);   /* a delete parses as one empty RDATA */
		ck_assert(i % 3 != 0 || rr->rrs.rdata->len == 0);
		ck_assert_uint_eq(rr->ttl, (i % 3 == 0 ? 0u : 3600u));
	}
	knot_pkt_free(q);
	knot_pkt_free(pkt);
	ck_assert_int_eq(hs_sync_confirmed(s, &plan), 0);
	hs_sync_plan_clear(&plan);
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	ck_assert_uint_eq(plan.nchanged, 0);
	pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(hs_sync_update_build(s, &plan, 1, pkt), HS_ENOTFOUND);
	knot_pkt_free(pkt);
	hs_sync_plan_clear(&plan);
	hs_sync_free(s);
}
END_TEST

START_TEST(case_a_three_own_vs_pushed)
{
	hs_sync_t *s = make_sync(HS_A3);
	set_signed(s, "a-ksk a-zsk", 100);
	char why[HS_SYNC_WHY_SIZE];
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", NULL, why), 1);
	ck_assert_int_eq(receive(s, C_ID, "c-ksk c-zsk", NULL, why), 1);
	hs_sync_plan_t plan;
	plan_confirm(s, &plan);
	ck_assert_uint_eq(plan.want[HS_MSG_T_DNSKEY]->rrs.count, 4);
	ck_assert_uint_eq(plan.want[HS_MSG_T_CDS]->rrs.count, 3);
	hs_sync_plan_clear(&plan);

	/* our signer now serves all six: ours are still only A's */
	ck_assert_int_eq(set_signed(s, "a-ksk a-zsk b-ksk b-zsk c-ksk c-zsk", 101), 0);
	ck_assert_uint_eq(hs_sync_own_keys(s)->count, 2);
	ck_assert(has_key(hs_sync_own_keys(s), "a-zsk"));
	ck_assert_uint_eq(hs_sync_pushed(s)->count, 4);

	/* after a restart (JSON out and in) the same */
	json_t *j = hs_sync_to_json(s);
	ck_assert_ptr_nonnull(j);
	hs_sync_t *r = NULL;
	char err[256];
	ck_assert_int_eq(hs_sync_from_json(j, NULL, &r, err, sizeof(err)), 0);
	json_decref(j);
	ck_assert_uint_eq(hs_sync_own_keys(r)->count, 2);
	ck_assert(has_key(hs_sync_own_keys(r), "a-ksk"));
	ck_assert(!has_key(hs_sync_own_keys(r), "b-ksk"));
	ck_assert_uint_eq(hs_sync_pushed(r)->count, 4);
	hs_sync_plan_t p2;
	ck_assert_int_eq(hs_sync_plan(r, &p2), 0);
	ck_assert_uint_eq(p2.nchanged, 0);
	hs_sync_plan_clear(&p2);

	/* C's keys withdrawn: while our signer still serves them they stay "pushed" */
	ck_assert_int_eq(hs_sync_set_gates(r, tdname(C_ID), 0), 0);
	plan_confirm(r, &p2);
	ck_assert_uint_eq(p2.want[HS_MSG_T_DNSKEY]->rrs.count, 2);
	hs_sync_plan_clear(&p2);
	ck_assert_int_eq(set_signed(r, "a-ksk a-zsk b-ksk b-zsk c-ksk c-zsk", 102), 0);
	ck_assert_uint_eq(hs_sync_own_keys(r)->count, 2);
	ck_assert(has_key(hs_sync_pushed(r), "c-zsk"));
	/* the signer drops them: they leave the pushed set, own keys unchanged */
	ck_assert_int_eq(set_signed(r, "a-ksk a-zsk b-ksk b-zsk", 103),
	                 0);
	ck_assert(!has_key(hs_sync_pushed(r), "c-zsk"));
	ck_assert_uint_eq(hs_sync_pushed(r)->count, 2);
	/* our signer adds a key: own keys changed */
	ck_assert_int_eq(set_signed(r, "a-ksk a-zsk a-zsk2 b-ksk b-zsk", 104), 1);
	ck_assert(has_key(hs_sync_own_keys(r), "a-zsk2"));
	hs_sync_free(r);
	hs_sync_free(s);
}
END_TEST

START_TEST(agent_ns_csync)
{
	hs_sync_t *s = make_sync("ON AGENT SIGN " A_ID " .|ON AGENT SIGN " B_ID " .");
	set_signed(s, "a-ksk a-zsk", 2026112801);
	knot_rrset_t *ns = tns(Z, 3600, "ns1.a.example. ns2.a.example.");
	ck_assert_int_eq(hs_sync_set_own_ns(s, ns), 0);
	knot_rrset_free(ns, NULL);
	char why[HS_SYNC_WHY_SIZE];
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", "ns1.b.example.", why), 1);
	hs_sync_plan_t plan;
	plan_confirm(s, &plan);
	ck_assert_uint_eq(plan.want[HS_MSG_T_NS]->rrs.count, 3);
	const knot_rrset_t *cs = plan.want[HS_MSG_T_CSYNC];
	ck_assert_ptr_nonnull(cs);
	ck_assert_uint_eq(cs->rrs.count, 1);
	/* serial 2026112801, flags immediate|soaminimum, bitmap A NS AAAA */
	static const uint8_t csync[] = { 0x78, 0xc4, 0x07, 0x21, 0x00, 0x03,
	                                 0x00, 0x04, 0x60, 0x00, 0x00, 0x08 };
	ck_assert_uint_eq(cs->rrs.rdata->len, sizeof(csync));
	ck_assert_mem_eq(cs->rrs.rdata->data, csync, sizeof(csync));
	hs_sync_plan_clear(&plan);

	/* new serial, same NS: CSYNC kept as it is (no UPDATE) */
	set_signed(s, "a-ksk a-zsk b-ksk b-zsk", 2026112802);
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	ck_assert_uint_eq(plan.nchanged, 0);
	hs_sync_plan_clear(&plan);
	/* B's NS change: NS and a new CSYNC with the serial served now */
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", "ns1.b.example. ns2.b.example.", why), 1);
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	ck_assert(plan.changed[HS_MSG_T_NS] && plan.changed[HS_MSG_T_CSYNC]);
	ck_assert_uint_eq(plan.nchanged, 2);
	ck_assert_uint_eq(knot_wire_read_u32(plan.want[HS_MSG_T_CSYNC]->rrs.rdata->data), 2026112802);
	ck_assert_uint_eq(plan.want[HS_MSG_T_NS]->rrs.count, 4);
	hs_sync_plan_clear(&plan);

	/* our part carries our NS names */
	hs_msg_content_t own;
	ck_assert_int_eq(hs_sync_own_part(s, &own), 0);
	ck_assert_uint_eq(own.rr[HS_MSG_T_NS]->rrs.count, 2);
	hs_sync_content_clear(&own);
	hs_sync_free(s);
}
END_TEST

START_TEST(case_d_nosign)
{
	hs_sync_t *s = make_sync("ON AGENT NOSIGN " A_ID " .|ON AGENT NOSIGN " B_ID " .");
	ck_assert_int_eq(hs_sync_set_signed(s, NULL, true, 7), 0);
	knot_rrset_t *ns = tns(Z, 300, "ns.a.example.");
	ck_assert_int_eq(hs_sync_set_own_ns(s, ns), 0);
	knot_rrset_free(ns, NULL);
	char why[HS_SYNC_WHY_SIZE];
	ck_assert_int_eq(receive(s, B_ID, "b-zsk", "ns.b.example.", why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "NOSIGN") != NULL, "%s", why);
	ck_assert_int_eq(receive(s, B_ID, NULL, "ns.b.example.", why), 1);
	hs_sync_plan_t plan;
	plan_confirm(s, &plan);
	ck_assert_ptr_null(plan.want[HS_MSG_T_DNSKEY]);
	ck_assert_ptr_null(plan.want[HS_MSG_T_CDS]);
	ck_assert_ptr_null(plan.want[HS_MSG_T_CDNSKEY]);
	ck_assert_uint_eq(plan.want[HS_MSG_T_NS]->rrs.count, 2);
	ck_assert_ptr_nonnull(plan.want[HS_MSG_T_CSYNC]);
	hs_sync_plan_clear(&plan);
	hs_msg_content_t own;
	ck_assert_int_eq(hs_sync_own_part(s, &own), 0);
	ck_assert_ptr_null(own.rr[HS_MSG_T_DNSKEY]);
	ck_assert_uint_eq(own.rr[HS_MSG_T_NS]->rrs.count, 1);
	hs_sync_content_clear(&own);
	hs_sync_free(s);
}
END_TEST

/* Refusals: each leaves the previous part in force. */
START_TEST(refusals)
{
	hs_sync_t *s = make_sync("ON OWNER SIGN " A_ID " .|ON OWNER NOSIGN " B_ID " .|"
	                         "OFF OWNER SIGN " C_ID " .");
	set_signed(s, "a-ksk a-zsk", 1);
	char why[HS_SYNC_WHY_SIZE];
	/* NOSIGN provider sends keys */
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", NULL, why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "NOSIGN") != NULL, "%s", why);
	ck_assert_ptr_null(hs_sync_part(s, tdname(B_ID)));
	/* OFF provider, unknown provider, ourselves */
	ck_assert_int_eq(receive(s, C_ID, "c-ksk", NULL, why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "not ON") != NULL, "%s", why);
	ck_assert_int_eq(receive(s, "agent.x.example.", "c-ksk", NULL, why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "not named") != NULL, "%s", why);
	ck_assert_int_eq(receive(s, A_ID, "c-ksk", NULL, why), HS_ESYNC_REFUSED);
	/* NS with NSmgmt OWNER */
	ck_assert_int_eq(receive(s, B_ID, NULL, "ns.b.example.", why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "OWNER") != NULL, "%s", why);
	hs_sync_free(s);

	s = make_sync(HS_A3);
	set_signed(s, "a-ksk a-zsk", 1);
	/* algorithm not in the zone (ours are 13) */
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", NULL, why), 1);
	ck_assert_int_eq(receive(s, B_ID, "b-ksk x-ed25519", NULL, why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "algorithm 15") != NULL, "%s", why);
	ck_assert(has_key(&hs_sync_part(s, tdname(B_ID))->rr[HS_MSG_T_DNSKEY]->rrs, "b-zsk"));
	/* our own key sent back by a peer: key tag clash */
	ck_assert_int_eq(receive(s, C_ID, "c-ksk a-zsk", NULL, why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "clashes") != NULL, "%s", why);
	/* another key with the tag of our a-zsk: two bytes moved so the sum stays */
	hs_msg_content_t c;
	make_part(&c, "c-ksk", NULL);
	const tkey_t *az = tkey("a-zsk");
	uint8_t fake[600];
	memcpy(fake, az->rd, az->len);
	fake[10] += 1;
	fake[12] -= 1;
	uint16_t t1 = 0, t2 = 0;
	hs_dnssec_keytag(fake, az->len, &t1);
	hs_dnssec_keytag(az->rd, az->len, &t2);
	ck_assert_uint_eq(t1, t2);
	ck_assert_uint_eq(t1, 17688);
	ck_assert_int_eq(knot_rrset_add_rdata(c.rr[HS_MSG_T_DNSKEY], fake, az->len, NULL), 0);
	ck_assert_int_eq(hs_sync_receive(s, tdname(C_ID), &c, 5, why, sizeof(why)), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "17688") != NULL && strstr(why, "clashes") != NULL, "%s", why);
	hs_sync_content_clear(&c);
	/* CDS of a key the sender does not have */
	make_part(&c, "c-ksk c-zsk", NULL);
	hs_msg_content_t b;
	make_part(&b, "b-ksk", NULL);
	knot_rrset_free(c.rr[HS_MSG_T_CDS], NULL);
	c.rr[HS_MSG_T_CDS] = b.rr[HS_MSG_T_CDS];
	b.rr[HS_MSG_T_CDS] = NULL;
	ck_assert_int_eq(hs_sync_receive(s, tdname(C_ID), &c, 5, why, sizeof(why)), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "CDS 13110") != NULL, "%s", why);
	hs_sync_content_clear(&c);
	hs_sync_content_clear(&b);
	ck_assert_ptr_null(hs_sync_part(s, tdname(C_ID)));
	hs_sync_free(s);

	/* size bound */
	hs_sync_limits_t lim = { .max_keys = 1, .max_ns = 1 };
	ck_assert_int_eq(hs_sync_new(tdname(Z), tdname(A_ID), &lim, &s), 0);
	knot_rrset_t *h = thsync(Z, "ON AGENT SIGN " A_ID " .|ON AGENT SIGN " B_ID " .");
	ck_assert_int_eq(hs_sync_set_hsync(s, h), 0);
	knot_rrset_free(h, NULL);
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", NULL, why), HS_ESYNC_REFUSED);
	ck_assert_msg(strstr(why, "limit") != NULL, "%s", why);
	ck_assert_int_eq(receive(s, B_ID, NULL, "ns1.b. ns2.b.", why), HS_ESYNC_REFUSED);
	ck_assert_int_eq(receive(s, B_ID, "b-ksk", "ns1.b.", why), 1);
	hs_sync_free(s);

	/* no HSYNC: not synchronised, and nothing carried */
	ck_assert_int_eq(hs_sync_new(tdname(Z), tdname(A_ID), NULL, &s), 0);
	ck_assert_int_eq(receive(s, B_ID, "b-ksk", NULL, why), HS_ESYNC_REFUSED);
	hs_sync_plan_t plan;
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	ck_assert_uint_eq(plan.nchanged, 0);
	hs_sync_plan_clear(&plan);
	hs_sync_free(s);
}
END_TEST

START_TEST(corrupt_json)
{
	char why[256];
	hs_sync_t *s = NULL;
	json_t *j = json_loads("{\"format\": \"other\"}", 0, NULL);
	ck_assert_int_eq(hs_sync_from_json(j, NULL, &s, why, sizeof(why)), HS_ESYNTAX);
	ck_assert_msg(strstr(why, "format") != NULL, "%s", why);
	json_decref(j);
	ck_assert_ptr_null(s);

	s = make_sync(HS_A2);
	set_signed(s, "a-ksk a-zsk", 1);
	j = hs_sync_to_json(s);
	hs_sync_free(s);
	s = NULL;
	json_object_set_new(j, "pushed", json_pack("[s]", "not base64!"));
	ck_assert_int_eq(hs_sync_from_json(j, NULL, &s, why, sizeof(why)), HS_ESYNTAX);
	ck_assert_msg(strstr(why, "pushed") != NULL, "%s", why);
	ck_assert_ptr_null(s);
	json_decref(j);
}
END_TEST

/* combinerd takes our UPDATE as it is: the store ends up exactly as planned. */
static void apply(hs_sync_t *s, hs_contrib_t *c, hs_sync_plan_t *plan)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(hs_sync_update_build(s, plan, 77, pkt), 0);
	knot_pkt_t *q = knot_pkt_new(pkt->wire, pkt->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(q, 0), 0);
	uint16_t rcode = 0xffff;
	char why[256] = "";
	ck_assert_int_eq(hs_contrib_update(c, q, NULL, "agent-key.", NULL, &rcode, NULL, why,
	                                   sizeof(why)), 0);
	ck_assert_msg(rcode == KNOT_RCODE_NOERROR, "rcode %u: %s", rcode, why);
	knot_pkt_free(q);
	knot_pkt_free(pkt);
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rrset_t got;
		int ret = hs_contrib_get(c, hs_msg_sync_type(i), &got, NULL);
		if (plan->want[i] == NULL) {
			ck_assert_int_eq(ret, HS_ENOTFOUND);
		} else {
			ck_assert_int_eq(ret, 0);
			ck_assert(knot_rdataset_eq(&got.rrs, &plan->want[i]->rrs));
			ck_assert_uint_eq(got.ttl, plan->want[i]->ttl);
		}
	}
	ck_assert_int_eq(hs_sync_confirmed(s, plan), 0);
}

START_TEST(combinerd_accepts)
{
	hs_sync_t *s = make_sync("ON AGENT SIGN " A_ID " .|ON AGENT SIGN " B_ID " .");
	set_signed(s, "a-ksk a-zsk", 9);
	knot_rrset_t *ns = tns(Z, 3600, "ns1.a.example.");
	ck_assert_int_eq(hs_sync_set_own_ns(s, ns), 0);
	knot_rrset_free(ns, NULL);
	char why[HS_SYNC_WHY_SIZE];
	ck_assert_int_eq(receive(s, B_ID, "b-ksk b-zsk", "ns1.b.example.", why), 1);
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(tdname(Z), &c), 0);
	hs_sync_plan_t plan;
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	ck_assert_uint_eq(plan.nchanged, 5);
	apply(s, c, &plan);
	ck_assert_uint_eq(hs_contrib_count(c), 5);
	hs_sync_plan_clear(&plan);
	/* B's gates closed: everything of B's goes, NS and CSYNC change, ours stay */
	ck_assert_int_eq(hs_sync_set_gates(s, tdname(B_ID), 0), 0);
	ck_assert_int_eq(hs_sync_plan(s, &plan), 0);
	ck_assert_ptr_null(plan.want[HS_MSG_T_DNSKEY]);
	/* the CSYNC is made again for the new NS set, but with the same serial
	 * served (9) it is the same record: no change of it */
	ck_assert(!plan.changed[HS_MSG_T_CSYNC]);
	ck_assert_uint_eq(plan.nchanged, 4);
	apply(s, c, &plan);
	ck_assert_uint_eq(hs_contrib_count(c), 4);   /* DNSKEY withdrawn: the owner's again */
	hs_sync_plan_clear(&plan);
	hs_contrib_free(c);
	hs_sync_free(s);
}
END_TEST

/* Two agents: each one's part goes over the SYNC wire format to the other. */
static void send_part(hs_sync_t *from, hs_sync_t *to)
{
	hs_msg_content_t own;
	ck_assert_int_eq(hs_sync_own_part(from, &own), 0);
	uint8_t wire[HS_MSG_MAX];
	size_t len = 0;
	hs_msg_opts_t opts;
	memset(&opts, 0, sizeof(opts));
	ck_assert_int_eq(hs_msg_build(HS_MSG_SYNC, tdname(Z), &own, &opts, wire, sizeof(wire), &len),
	                 0);
	hs_sync_content_clear(&own);
	hs_msg_t msg;
	ck_assert_int_eq(hs_msg_parse(wire, len, &msg, NULL), 0);
	ck_assert_int_eq(msg.head.kind, HS_MSG_SYNC);
	char why[HS_SYNC_WHY_SIZE];
	int ret = hs_sync_receive(to, hs_sync_self(from), &msg.content, 1, why, sizeof(why));
	ck_assert_msg(ret == 1, "%d %s", ret, why);
	hs_msg_clear(&msg);
}

START_TEST(two_agents_wire)
{
	const char *hs = "ON AGENT SIGN " A_ID " .|ON AGENT SIGN " B_ID " .";
	hs_sync_t *a = make_sync(hs);
	hs_sync_t *b = NULL;
	ck_assert_int_eq(hs_sync_new(tdname(Z), tdname(B_ID), NULL, &b), 0);
	knot_rrset_t *h = thsync(Z, hs);
	ck_assert_int_eq(hs_sync_set_hsync(b, h), 0);
	knot_rrset_free(h, NULL);
	set_signed(a, "a-ksk a-zsk", 1);
	set_signed(b, "b-ksk b-zsk", 1);
	knot_rrset_t *ns = tns(Z, 3600, "ns1.a.example.");
	ck_assert_int_eq(hs_sync_set_own_ns(a, ns), 0);
	knot_rrset_free(ns, NULL);
	ns = tns(Z, 3600, "ns1.b.example. ns2.b.example.");
	ck_assert_int_eq(hs_sync_set_own_ns(b, ns), 0);
	knot_rrset_free(ns, NULL);
	send_part(a, b);
	send_part(b, a);
	hs_sync_plan_t pa, pb;
	ck_assert_int_eq(hs_sync_plan(a, &pa), 0);
	ck_assert_int_eq(hs_sync_plan(b, &pb), 0);
	ck_assert(has_key(&pa.want[HS_MSG_T_DNSKEY]->rrs, "b-zsk"));
	ck_assert(!has_key(&pa.want[HS_MSG_T_DNSKEY]->rrs, "a-zsk"));
	ck_assert(has_key(&pb.want[HS_MSG_T_DNSKEY]->rrs, "a-zsk"));
	ck_assert(!has_key(&pb.want[HS_MSG_T_DNSKEY]->rrs, "b-zsk"));
	/* the same CDS, CDNSKEY and NS unions at both */
	for (unsigned i = HS_MSG_T_CDS; i <= HS_MSG_T_NS; i++) {
		if (i == HS_MSG_T_CSYNC) {
			continue;
		}
		ck_assert_ptr_nonnull(pa.want[i]);
		ck_assert(knot_rdataset_eq(&pa.want[i]->rrs, &pb.want[i]->rrs));
	}
	ck_assert_uint_eq(pa.want[HS_MSG_T_CDS]->rrs.count, 2);
	ck_assert_uint_eq(pa.want[HS_MSG_T_NS]->rrs.count, 3);
	hs_sync_plan_clear(&pa);
	hs_sync_plan_clear(&pb);
	hs_sync_free(a);
	hs_sync_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, case_a_two);
	tcase_add_test(tc, case_a_three_own_vs_pushed);
	tcase_add_test(tc, agent_ns_csync);
	tcase_add_test(tc, case_d_nosign);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, corrupt_json);
	tcase_add_test(tc, combinerd_accepts);
	tcase_add_test(tc, two_agents_wire);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
