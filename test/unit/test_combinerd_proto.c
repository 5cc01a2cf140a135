/*
 * test_combinerd_proto.c -- combinerd's configuration (config.c) and its
 * answers to UPDATE, NOTIFY and queries (proto.c, zone.c), without sockets:
 * messages are built with libknot, signed with the keys of
 * test/data/combinerd-keys.key, and handed to cbd_handle().
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "combinerd/combinerd.h"
#include "common/log.h"
#include "libhsync/error.h"
#include "comb_test.h"
#include "unit.h"

static char dir[64];
static cbd_cfg_t *cfg;
static cbd_zone_t *zone;
static cbd_view_t view;
static knot_pkt_t *resp;
static struct sockaddr_storage primary_peer, other_peer;

static char logbuf[8192];

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)arg;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", line);
}

static char *conf_text(const char *extra)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf),
	         "tsig-key-file \"%s\"\n"
	         "state-dir \"%s\"\n"
	         "zone example. {\n"
	         "	primary 192.0.2.1@5301 key xfr\n"
	         "	downstream 127.0.0.1@5302 key xfr\n"
	         "	allow 10.0.0.0/8\n"
	         "	agent-key agent\n"
	         "%s"
	         "}\n", hs_testdata("combinerd-keys.key"), dir, extra);
	return buf;
}

static const char *OWNER =
	"@ 3600 SOA ns1 hostmaster 7 3600 600 86400 300\n"
	"@ 3600 NS ns1\n"
	"@ 3600 TYPE65282 \\# 3 010203\n"
	"ns1 3600 A 192.0.2.1\n"
	"www 3600 A 192.0.2.4\n";

static void setup(void)
{
	hs_log_set_hook(quiet, NULL);
	strcpy(dir, "/tmp/test_cbd.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char err[HS_CONF_ERRLEN];
	int ret = cbd_cfg_load("t.conf", conf_text(""), &cfg, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_int_eq(cbd_zone_open(cfg, &cfg->zones[0], &zone, err, sizeof(err)), 0);
	hs_zone_t *owner = t_zone(OWNER);
	ck_assert_ptr_nonnull(owner);
	ck_assert_int_eq(cbd_zone_owner_full(zone, &owner, "test"), 1);
	ck_assert_ptr_null(owner);
	view.cfg = cfg;
	view.zones = &zone;
	view.nzones = 1;
	resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(hs_addr_parse("192.0.2.1@40000", 0, &primary_peer), 0);
	ck_assert_int_eq(hs_addr_parse("192.0.2.9@40000", 0, &other_peer), 0);
}

static void teardown(void)
{
	cbd_zone_free(zone);
	cbd_cfg_free(cfg);
	knot_pkt_free(resp);
	char p[128];
	snprintf(p, sizeof(p), "%s/example.contrib.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/example.journal", dir);
	unlink(p);
	rmdir(dir);
	hs_log_set_hook(NULL, NULL);
}

/* One RR from presentation text (origin example.); new. */
static knot_rrset_t *rr(const char *text)
{
	hs_zone_t *z = t_zone(text);
	ck_assert_ptr_nonnull(z);
	hs_zone_iter_t it;
	knot_rrset_t v;
	ck_assert_int_eq(hs_zone_iter_begin(z, 0, &it), 0);
	ck_assert(hs_zone_iter_next(&it, &v));
	knot_rrset_t *copy = knot_rrset_copy(&v, NULL);
	hs_zone_free(z);
	return copy;
}

static const knot_tsig_key_t *key(const char *name)
{
	const knot_tsig_key_t *k = hs_tsig_find_str(&cfg->keys, name);
	ck_assert_ptr_nonnull(k);
	return k;
}

/*
 * A message: opcode, question (zone name, type), RRs into section sect
 * (class forced to cls when nonzero, TTL kept), signed with k (may be NULL).
 */
static knot_pkt_t *msg(uint8_t opcode, const char *qname, uint16_t qtype, int sect,
                       const char **rrs, uint16_t cls, const knot_tsig_key_t *k)
{
	knot_pkt_t *p = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	knot_dname_t *qn = knot_dname_from_str_alloc(qname);
	knot_wire_set_id(p->wire, 4242);
	ck_assert_int_eq(knot_pkt_put_question(p, qn, KNOT_CLASS_IN, qtype), 0);
	knot_wire_set_opcode(p->wire, opcode);
	if (k != NULL) {
		ck_assert_int_eq(hs_tsig_reserve(p, k), 0);
	}
	ck_assert_int_eq(knot_pkt_begin(p, sect), 0);
	for (size_t i = 0; rrs != NULL && rrs[i] != NULL; i++) {
		knot_rrset_t *r = rr(rrs[i]);
		if (cls != 0) {
			r->rclass = cls;
			if (cls == KNOT_CLASS_ANY) {
				r->ttl = 0;
				knot_rdataset_clear(&r->rrs, NULL);
				/* one RR with RDLENGTH 0: "delete the RRset" */
				ck_assert_int_eq(knot_rrset_add_rdata(r, NULL, 0, NULL), 0);
			}
		}
		ck_assert_int_eq(knot_pkt_put(p, 0, r, KNOT_PF_FREE), 0);
		free(r);  /* the packet frees the RDATA, not the struct */
	}
	if (k != NULL) {
		hs_tsig_ctx_t ctx;
		ck_assert_int_eq(hs_tsig_sign_query(p, k, &ctx), 0);
	}
	knot_dname_free(qn, NULL);
	return p;
}

static bool udp = true;  /* transport handle() says the message came by */

static uint16_t handle(knot_pkt_t *q, const struct sockaddr_storage *peer, int *action)
{
	cbd_zone_t *z;
	char log[512];
	ck_assert_int_eq(cbd_handle(&view, (const struct sockaddr *)peer, udp, q->wire, q->size, resp,
	                            &z, action, log, sizeof(log)), 0);
	ck_assert_uint_ge(resp->size, KNOT_WIRE_HEADER_SIZE);
	ck_assert_uint_eq(knot_wire_get_id(resp->wire), 4242);
	ck_assert(knot_wire_get_qr(resp->wire));
	return knot_wire_get_rcode(resp->wire);
}

static const char *DNSKEY_ADD[] = {
	"@ 3600 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
	NULL };

START_TEST(t_config)
{
	ck_assert_uint_eq(cfg->nzones, 1);
	const cbd_zone_cfg_t *zc = cbd_cfg_zone(cfg, (const knot_dname_t *)"\x07""EXAMPLE");
	ck_assert_ptr_nonnull(zc);
	ck_assert_str_eq(zc->text, "example.");
	ck_assert_uint_eq(zc->nprimaries, 1);
	ck_assert_uint_eq(hs_addr_port((struct sockaddr *)&zc->primaries[0].addr), 5301);
	ck_assert_ptr_eq(zc->primaries[0].key, key("xfr"));
	ck_assert_ptr_eq(zc->agent_key, key("agent"));
	ck_assert_uint_eq(cfg->refresh_min, CBD_REFRESH_MIN_DEFAULT);
	ck_assert_uint_eq(cfg->journal_entries, HS_JOURNAL_MAX_ENTRIES);
	/* ACL: downstream address with its key; allow prefix unsigned only */
	struct sockaddr_storage a;
	hs_addr_parse("127.0.0.1@9999", 0, &a);
	ck_assert(cbd_acl_xfr(zc, (struct sockaddr *)&a, key("xfr")));
	ck_assert(!cbd_acl_xfr(zc, (struct sockaddr *)&a, NULL));
	ck_assert(!cbd_acl_xfr(zc, (struct sockaddr *)&a, key("agent")));
	hs_addr_parse("10.1.2.3", 53, &a);
	ck_assert(cbd_acl_xfr(zc, (struct sockaddr *)&a, NULL));
	ck_assert(!cbd_acl_xfr(zc, (struct sockaddr *)&a, key("xfr")));
	hs_addr_parse("127.0.0.2", 53, &a);
	ck_assert(!cbd_acl_xfr(zc, (struct sockaddr *)&a, key("xfr")));
	ck_assert_ptr_nonnull(cbd_primary_of(zc, (struct sockaddr *)&primary_peer));
	ck_assert_ptr_null(cbd_primary_of(zc, (struct sockaddr *)&other_peer));
}
END_TEST

START_TEST(t_config_errors)
{
	static const struct { const char *extra; const char *want; } cases[] = {
		{ "	downstream 127.0.0.1 key nosuch\n", "t.conf:8: downstream: no tsig-key-file holds key nosuch" },
		{ "	primary 192.0.2.300\n", "t.conf:8:" },
		{ "	agent-key other\n", "t.conf:8:" },   /* twice */
		{ "	bogus 1\n", "t.conf:8:" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[HS_CONF_ERRLEN] = "";
		cbd_cfg_t *c = NULL;
		ck_assert_int_eq(cbd_cfg_load("t.conf", conf_text(cases[i].extra), &c, err,
		                              sizeof(err)), HS_ECONF);
		ck_assert_ptr_null(c);
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "%zu: %s", i, err);
	}
	char err[HS_CONF_ERRLEN] = "";
	cbd_cfg_t *c = NULL;
	ck_assert_int_eq(cbd_cfg_load("t.conf", "zone example. { primary 1.2.3.4; agent-key a }\n",
	                              &c, err, sizeof(err)), HS_ECONF);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(t_update_ok)
{
	uint32_t s0 = cbd_zone_serial(zone);
	int action;
	knot_pkt_t *q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY,
	                    DNSKEY_ADD, 0, key("agent"));
	logbuf[0] = '\0';
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_int_eq(action, CBD_ACT_CHANGED);
	ck_assert_uint_eq(cbd_zone_serial(zone), s0 + 1);
	/* one line for the change (what, from which key), then one for the rebuild */
	const char *c = strstr(logbuf, "example.: 192.0.2.9@40000: contribution from key agent.: DNSKEY contributed: +2371\n");
	const char *r = strstr(logbuf, "rebuilt (contribution): serial 7 -> 8, 6 records");
	ck_assert_msg(c != NULL && r != NULL && c < r, "%s", logbuf);
	knot_rrset_t v;
	ck_assert_int_eq(hs_zone_find(cbd_zone_combined(zone), zone->apex, KNOT_RRTYPE_DNSKEY, &v), 0);
	/* the answer is signed: it carries a TSIG RR */
	ck_assert_uint_eq(knot_wire_get_arcount(resp->wire), 1);
	/* on disk before the answer: contributions and the serial */
	ck_assert_int_eq(access(zone->cpath, R_OK), 0);
	hs_journal_t *j = NULL;
	hs_combine_state_t st;
	char err[256];
	ck_assert_int_eq(hs_journal_load(zone->apex, zone->jpath, 10, 1000, &j, &st, err,
	                                 sizeof(err)), 0);
	ck_assert(st.valid);
	ck_assert_uint_eq(st.serial, s0 + 1);
	hs_journal_free(j);
	/* the same again: NOERROR, no change, serial kept */
	knot_pkt_free(q);
	q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, DNSKEY_ADD, 0,
	        key("agent"));
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_int_eq(action, CBD_ACT_NONE);
	ck_assert_uint_eq(cbd_zone_serial(zone), s0 + 1);
	knot_pkt_free(q);
	/* withdraw: class ANY */
	q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, DNSKEY_ADD,
	        KNOT_CLASS_ANY, key("agent"));
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_int_eq(action, CBD_ACT_CHANGED);
	ck_assert_uint_eq(cbd_zone_serial(zone), s0 + 2);
	ck_assert_int_eq(hs_zone_find(cbd_zone_combined(zone), zone->apex, KNOT_RRTYPE_DNSKEY, &v),
	                 HS_ENOTFOUND);
	knot_pkt_free(q);
}
END_TEST

/* Every refusal leaves serial, contributions and files as they were. */
static void refused(knot_pkt_t *q, uint16_t want)
{
	uint32_t s0 = cbd_zone_serial(zone);
	int action;
	ck_assert_uint_eq(handle(q, &other_peer, &action), want);
	ck_assert_int_eq(action, CBD_ACT_NONE);
	ck_assert_uint_eq(cbd_zone_serial(zone), s0);
	ck_assert_uint_eq(hs_contrib_count(zone->ct), 0);
	ck_assert_int_ne(access(zone->cpath, F_OK), 0);
	knot_pkt_free(q);
}

START_TEST(t_update_refused)
{
	static const char *A_APEX[] = { "@ 3600 A 192.0.2.99", NULL };
	static const char *DNSKEY_WWW[] = {
		"www 3600 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
		NULL };
	static const char *MIXED[] = {
		"@ 3600 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
		"www 3600 A 192.0.2.98", NULL };
	/* unsigned */
	refused(msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, DNSKEY_ADD, 0,
	            NULL), KNOT_RCODE_REFUSED);
	/* another known key */
	refused(msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, DNSKEY_ADD, 0,
	            key("other")), KNOT_RCODE_REFUSED);
	/* another type, another name, both in one (nothing applied in part) */
	refused(msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, A_APEX, 0,
	            key("agent")), KNOT_RCODE_REFUSED);
	refused(msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, DNSKEY_WWW, 0,
	            key("agent")), KNOT_RCODE_REFUSED);
	refused(msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, MIXED, 0,
	            key("agent")), KNOT_RCODE_REFUSED);
	/* another zone */
	refused(msg(KNOT_OPCODE_UPDATE, "other.test.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, NULL, 0,
	            key("agent")), KNOT_RCODE_NOTAUTH);
	/* bad MAC: one bit of the signed message flipped */
	knot_pkt_t *q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY,
	                    DNSKEY_ADD, 0, key("agent"));
	q->wire[q->size - 30] ^= 1;
	refused(q, KNOT_RCODE_NOTAUTH);
	/* a key we do not know: a key of the same name with another secret is BADSIG,
	 * an unknown name BADKEY; both NOTAUTH */
	knot_tsig_key_t stranger = *key("agent");
	stranger.name = (knot_dname_t *)"\x08""stranger";
	refused(msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, DNSKEY_ADD, 0,
	            &stranger), KNOT_RCODE_NOTAUTH);
}
END_TEST

START_TEST(t_update_formerr)
{
	knot_pkt_t *q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY,
	                    DNSKEY_ADD, 0, NULL);
	knot_wire_set_nscount(q->wire, 5);  /* says 5 RRs, holds 1: libknot cannot parse it */
	refused(q, KNOT_RCODE_FORMERR);
	/* not even a header: dropped */
	uint8_t shortmsg[5] = { 0 };
	cbd_zone_t *z;
	int action;
	ck_assert_int_eq(cbd_handle(&view, (struct sockaddr *)&other_peer, true, shortmsg, sizeof(shortmsg),
	                            resp, &z, &action, NULL, 0), 0);
	ck_assert_uint_eq(resp->size, 0);
	/* a response (QR set): dropped */
	q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, NULL, 0, NULL);
	knot_wire_set_qr(q->wire);
	ck_assert_int_eq(cbd_handle(&view, (struct sockaddr *)&other_peer, true, q->wire, q->size, resp,
	                            &z, &action, NULL, 0), 0);
	ck_assert_uint_eq(resp->size, 0);
	knot_pkt_free(q);
}
END_TEST

START_TEST(t_notify)
{
	int action;
	/* from the primary with its key */
	knot_pkt_t *q = msg(KNOT_OPCODE_NOTIFY, "example.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0,
	                    key("xfr"));
	ck_assert_uint_eq(handle(q, &primary_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_int_eq(action, CBD_ACT_REFRESH);
	/* the same from another address */
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_REFUSED);
	ck_assert_int_eq(action, CBD_ACT_NONE);
	knot_pkt_free(q);
	/* from the primary, unsigned or with another key */
	q = msg(KNOT_OPCODE_NOTIFY, "example.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &primary_peer, &action), KNOT_RCODE_REFUSED);
	ck_assert_int_eq(action, CBD_ACT_NONE);
	knot_pkt_free(q);
	q = msg(KNOT_OPCODE_NOTIFY, "example.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, key("agent"));
	ck_assert_uint_eq(handle(q, &primary_peer, &action), KNOT_RCODE_REFUSED);
	knot_pkt_free(q);
	/* for a zone we do not have */
	q = msg(KNOT_OPCODE_NOTIFY, "other.test.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, key("xfr"));
	ck_assert_uint_eq(handle(q, &primary_peer, &action), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(action, CBD_ACT_NONE);
	knot_pkt_free(q);
}
END_TEST

START_TEST(t_query)
{
	int action;
	knot_pkt_t *q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert(knot_wire_get_aa(resp->wire));
	ck_assert_uint_eq(knot_wire_get_ancount(resp->wire), 1);
	/* the combined serial, not the owner's 7 */
	knot_pkt_t *r = knot_pkt_new(resp->wire, resp->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(r, 0), 0);
	const knot_pktsection_t *an = knot_pkt_section(r, KNOT_ANSWER);
	ck_assert_uint_eq(knot_soa_serial(knot_pkt_rr(an, 0)->rrs.rdata), cbd_zone_serial(zone));
	knot_pkt_free(r);
	knot_pkt_free(q);
	/* NS: the owner's; CDS: none, NODATA with the SOA */
	q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_NS, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(knot_wire_get_ancount(resp->wire), 1);
	knot_pkt_free(q);
	q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_CDS, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(knot_wire_get_ancount(resp->wire), 0);
	ck_assert_uint_eq(knot_wire_get_nscount(resp->wire), 1);
	knot_pkt_free(q);
	/* signed query, signed answer */
	q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, key("xfr"));
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(knot_wire_get_arcount(resp->wire), 1);
	knot_pkt_free(q);
	/* other names and types, other zones: REFUSED */
	q = msg(KNOT_OPCODE_QUERY, "www.example.", KNOT_RRTYPE_A, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_REFUSED);
	knot_pkt_free(q);
	q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_MX, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_REFUSED);
	knot_pkt_free(q);
	q = msg(KNOT_OPCODE_QUERY, "other.test.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_REFUSED);
	knot_pkt_free(q);
	/* an expired zone is not served */
	zone->expired = true;
	q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_SOA, KNOT_ANSWER, NULL, 0, NULL);
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_REFUSED);
	knot_pkt_free(q);
	zone->expired = false;
}
END_TEST

/* Over UDP an answer must fit 512 bytes: eight DNSKEYs do not, so the
 * answer is empty with TC set; over TCP it is whole. */
START_TEST(t_query_tc)
{
	static const char *KEYS[] = {
	"@ 3600 DNSKEY 256 3 13 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	"@ 3600 DNSKEY 256 3 13 AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==",
	"@ 3600 DNSKEY 256 3 13 AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg==",
	"@ 3600 DNSKEY 256 3 13 AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw==",
	"@ 3600 DNSKEY 256 3 13 BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA==",
	"@ 3600 DNSKEY 256 3 13 BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ==",
	"@ 3600 DNSKEY 256 3 13 BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBg==",
	"@ 3600 DNSKEY 256 3 13 BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==",
		NULL };
	int action;
	knot_pkt_t *q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY, KEYS, 0,
	                    key("agent"));
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	knot_pkt_free(q);
	q = msg(KNOT_OPCODE_QUERY, "example.", KNOT_RRTYPE_DNSKEY, KNOT_ANSWER, NULL, 0, NULL);
	udp = true;
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert(knot_wire_get_tc(resp->wire));
	ck_assert_uint_eq(knot_wire_get_ancount(resp->wire), 0);
	ck_assert_uint_le(resp->size, 512);
	udp = false;
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	ck_assert(!knot_wire_get_tc(resp->wire));
	ck_assert_uint_eq(knot_wire_get_ancount(resp->wire), 8);
	ck_assert_uint_gt(resp->size, 512);
	udp = true;
	knot_pkt_free(q);
}
END_TEST

/* State survives: a zone opened again from the files keeps serial and
 * contributions, and the same owner zone gives the same serial. */
START_TEST(t_restart)
{
	int action;
	knot_pkt_t *q = msg(KNOT_OPCODE_UPDATE, "example.", KNOT_RRTYPE_SOA, KNOT_AUTHORITY,
	                    DNSKEY_ADD, 0, key("agent"));
	ck_assert_uint_eq(handle(q, &other_peer, &action), KNOT_RCODE_NOERROR);
	knot_pkt_free(q);
	uint32_t s = cbd_zone_serial(zone);
	cbd_zone_t *z2 = NULL;
	char err[256];
	ck_assert_int_eq(cbd_zone_open(cfg, &cfg->zones[0], &z2, err, sizeof(err)), 0);
	ck_assert_uint_eq(hs_contrib_count(z2->ct), 1);
	hs_zone_t *owner = t_zone(OWNER);
	ck_assert_int_ge(cbd_zone_owner_full(z2, &owner, "test"), 0);
	ck_assert_uint_eq(cbd_zone_serial(z2), s);
	ck_assert(hs_zone_equal(cbd_zone_combined(z2), cbd_zone_combined(zone)));
	cbd_zone_free(z2);
	/* a damaged journal stops the zone from opening */
	FILE *f = fopen(zone->jpath, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 20, SEEK_SET);
	fputc(0xff, f);
	fclose(f);
	ck_assert_int_eq(cbd_zone_open(cfg, &cfg->zones[0], &z2, err, sizeof(err)), HS_ESYNTAX);
	ck_assert_ptr_nonnull(strstr(err, "example.journal"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("combinerd");
	TCase *tc = tcase_create("proto");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_config);
	tcase_add_test(tc, t_config_errors);
	tcase_add_test(tc, t_update_ok);
	tcase_add_test(tc, t_update_refused);
	tcase_add_test(tc, t_update_formerr);
	tcase_add_test(tc, t_notify);
	tcase_add_test(tc, t_query);
	tcase_add_test(tc, t_query_tc);
	tcase_add_test(tc, t_restart);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
