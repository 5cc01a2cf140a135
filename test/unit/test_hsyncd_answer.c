/* Unit tests for hsyncd/answer.c: answers to queries and the NOTIFY rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "hsyncd/apex.h"
#include "hsyncd/hsyncd.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

#define ZONE ((const knot_dname_t *)"\4zone\7example")
#define EMPTY ((const knot_dname_t *)"\5empty\7example")

static char keyfile[64];
static hsd_cfg_t *cfg;
static hs_apex_t *apex;
static struct sockaddr_in src, stranger;

static const hs_apex_t *lookup(const knot_dname_t *name, const hsd_zone_cfg_t **zc, void *ctx)
{
	*zc = hsd_cfg_zone(cfg, name);
	if (knot_dname_is_case_equal(name, ZONE)) {
		return apex;
	}
	return NULL;   /* empty.example: followed, no version yet */
}

static void setup(void)
{
	strcpy(keyfile, "/tmp/test_hsyncd_answer.XXXXXX");
	int fd = mkstemp(keyfile);
	ck_assert_int_ge(fd, 0);
	const char *k = "key xfr { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"
	                "key other { algorithm hmac-sha256; secret \"b3RoZXJvdGhlcg==\"; };\n";
	ck_assert_int_eq(write(fd, k, strlen(k)), (ssize_t)strlen(k));
	close(fd);
	char text[1024], err[HS_CONF_ERRLEN];
	snprintf(text, sizeof(text), "tsig-key-file \"%s\"\n"
	         "zone zone.example { source 127.0.0.1 port 5301 key xfr }\n"
	         "zone empty.example { source 127.0.0.1 }\n", keyfile);
	ck_assert_msg(hsd_cfg_parse(text, "t.conf", &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(hs_apex_load_zonefile(&apex, hs_testdata("apex-v1.zone"), ZONE), 0);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_port = htons(40000);   /* NOTIFY comes from any port */
	src.sin_addr.s_addr = htonl(0x7f000001);
	stranger = src;
	stranger.sin_addr.s_addr = htonl(0x7f000002);
}

static void teardown(void)
{
	hsd_cfg_unref(cfg);
	hs_apex_free(apex);
	unlink(keyfile);
}

/* A query for name/type, with EDNS (DO if dnssec) when edns. */
static size_t query(uint8_t *q, size_t cap, const knot_dname_t *name, uint16_t type,
                    bool edns, bool dnssec)
{
	knot_pkt_t *p = knot_pkt_new(NULL, (uint16_t)cap, NULL);
	knot_wire_set_id(p->wire, 0x1234);
	ck_assert_int_eq(knot_pkt_put_question(p, name, KNOT_CLASS_IN, type), 0);
	if (edns) {
		knot_rrset_t opt;
		ck_assert_int_eq(knot_edns_init(&opt, 1232, 0, 0, NULL), 0);
		if (dnssec) {
			knot_edns_set_do(&opt);
		}
		ck_assert_int_eq(knot_pkt_begin(p, KNOT_ADDITIONAL), 0);
		ck_assert_int_eq(knot_pkt_put(p, 0, &opt, KNOT_PF_FREE), 0);
	}
	size_t len = p->size;
	memcpy(q, p->wire, len);
	knot_pkt_free(p);
	return len;
}

static size_t last_len;

static knot_pkt_t *ask(const uint8_t *q, size_t qlen, const struct sockaddr_in *from, bool tcp,
                       hsd_ans_info_t *info, uint8_t *out, size_t cap)
{
	size_t outlen = 0;
	ck_assert_int_eq(hsd_answer(lookup, NULL, cfg->keyfiles, cfg->nkeyfiles,
	                            (const struct sockaddr *)from, tcp, q, qlen,
	                            out, &outlen, cap, info), 0);
	if (outlen == 0) {
		return NULL;
	}
	/* parsed from a copy: knot_pkt_parse() strips the TSIG from the wire it parses */
	last_len = outlen;
	knot_pkt_t *p = knot_pkt_new(NULL, (uint16_t)outlen, NULL);
	memcpy(p->wire, out, outlen);
	p->size = outlen;
	ck_assert_int_eq(knot_pkt_parse(p, 0), 0);
	ck_assert_uint_eq(knot_wire_get_id(p->wire), knot_wire_get_id(q));
	ck_assert(knot_wire_get_qr(p->wire));
	return p;
}

static unsigned count(const knot_pkt_t *p, knot_section_t sec, uint16_t type)
{
	const knot_pktsection_t *s = knot_pkt_section(p, sec);
	unsigned n = 0;
	for (uint16_t i = 0; i < s->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(s, i);
		if (rr->type == type) {
			n += rr->rrs.count;
		}
	}
	return n;
}

START_TEST(apex_rrsets)
{
	uint8_t q[512], out[65535];
	hsd_ans_info_t info;
	size_t qlen = query(q, sizeof(q), ZONE, KNOT_RRTYPE_DNSKEY, false, false);
	knot_pkt_t *p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_QUERY);
	ck_assert_str_eq(info.qname, "zone.example.");
	ck_assert_uint_eq(info.qtype, KNOT_RRTYPE_DNSKEY);
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	ck_assert(knot_wire_get_aa(p->wire));
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_DNSKEY), 2);
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_RRSIG), 0);
	ck_assert_ptr_null(p->opt_rr);
	knot_pkt_free(p);

	/* DO: the RRSIGs too, and an OPT with DO back */
	qlen = query(q, sizeof(q), ZONE, KNOT_RRTYPE_DNSKEY, true, true);
	p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_DNSKEY), 2);
	ck_assert_uint_ge(count(p, KNOT_ANSWER, KNOT_RRTYPE_RRSIG), 1);
	ck_assert_ptr_nonnull(p->opt_rr);
	ck_assert(knot_edns_do(p->opt_rr));
	knot_pkt_free(p);

	/* HSYNC, by number, over TCP */
	qlen = query(q, sizeof(q), ZONE, 65282, true, false);
	p = ask(q, qlen, &stranger, true, &info, out, sizeof(out));
	ck_assert_uint_eq(count(p, KNOT_ANSWER, 65282), hs_apex_count(apex, 65282));
	ck_assert_uint_ge(count(p, KNOT_ANSWER, 65282), 1);
	knot_pkt_free(p);

	/* in any case of the name */
	qlen = query(q, sizeof(q), (const knot_dname_t *)"\4ZoNe\7EXAMPLE", KNOT_RRTYPE_NS, false, false);
	p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_NS), 2);
	knot_pkt_free(p);
}
END_TEST

START_TEST(signed_query)
{
	uint8_t q[1024], out[65535];
	size_t qlen;
	hsd_ans_info_t info;
	hs_tsig_ctx_t ctx;
	/* a key of the key file: answered, and the answer signed */
	ck_assert_int_eq(hsd_msg_query(q, &qlen, sizeof(q), ZONE, KNOT_RRTYPE_DNSKEY, false, NULL,
	                               hsd_cfg_key(cfg, "other"), &ctx), 0);
	knot_pkt_t *p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_DNSKEY), 2);
	ck_assert_ptr_nonnull(p->tsig_rr);
	knot_pkt_free(p);
	ck_assert_int_eq(hsd_msg_check(q, qlen, out, last_len, &ctx, false, NULL, NULL), 0);
	/* a key we do not have: NOTAUTH, no data */
	hs_tsig_keys_t k = { 0 };
	const char *txt = "key stranger { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0\"; };";
	ck_assert_int_eq(hs_tsig_parse(txt, strlen(txt), &k, NULL), 0);
	ck_assert_int_eq(hsd_msg_query(q, &qlen, sizeof(q), ZONE, KNOT_RRTYPE_DNSKEY, false, NULL,
	                               &k.keys[0], &ctx), 0);
	p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(info.code, KNOT_TSIG_EBADKEY);
	ck_assert_uint_eq(knot_wire_get_ancount(p->wire), 0);
	knot_pkt_free(p);
	/* a changed byte: BADSIG */
	ck_assert_int_eq(hsd_msg_query(q, &qlen, sizeof(q), ZONE, KNOT_RRTYPE_DNSKEY, false, NULL,
	                               hsd_cfg_key(cfg, "xfr"), &ctx), 0);
	q[3] |= 0x20;
	p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTAUTH);
	ck_assert_int_eq(info.code, KNOT_TSIG_EBADSIG);
	knot_pkt_free(p);
	hs_tsig_keys_free(&k);
}
END_TEST

START_TEST(truncation)
{
	/* ANY with DO does not fit 512 bytes over UDP: TC set, complete over TCP */
	uint8_t q[512], out[65535];
	hsd_ans_info_t info;
	size_t qlen = query(q, sizeof(q), ZONE, KNOT_RRTYPE_ANY, true, true);
	knot_wire_write_u16(q + qlen - 11 + 3, 512);   /* OPT CLASS = UDP payload size */
	knot_pkt_t *p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert(knot_wire_get_tc(p->wire));
	ck_assert_uint_le(last_len, 512);
	unsigned udp_rrs = knot_wire_get_ancount(p->wire);
	knot_pkt_free(p);
	p = ask(q, qlen, &stranger, true, &info, out, sizeof(out));
	ck_assert(!knot_wire_get_tc(p->wire));
	ck_assert_uint_gt(last_len, 512);
	ck_assert_uint_gt(knot_wire_get_ancount(p->wire), udp_rrs);
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_DNSKEY), 2);
	ck_assert_uint_eq(count(p, KNOT_ANSWER, KNOT_RRTYPE_SOA), 1);
	ck_assert_uint_eq(count(p, KNOT_ANSWER, 65282), hs_apex_count(apex, 65282));
	ck_assert_uint_ge(count(p, KNOT_ANSWER, KNOT_RRTYPE_RRSIG), 5);
	knot_pkt_free(p);
}
END_TEST

START_TEST(nodata_and_refused)
{
	uint8_t q[512], out[65535];
	hsd_ans_info_t info;
	/* a kept type the zone does not have: NODATA with the SOA */
	size_t qlen = query(q, sizeof(q), ZONE, KNOT_RRTYPE_CSYNC, false, false);
	knot_pkt_t *p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	ck_assert(knot_wire_get_aa(p->wire));
	ck_assert_uint_eq(knot_wire_get_ancount(p->wire), 0);
	ck_assert_uint_eq(count(p, KNOT_AUTHORITY, KNOT_RRTYPE_SOA), 1);
	knot_pkt_free(p);

	static const struct {
		const knot_dname_t *name;
		uint16_t type;
		uint16_t rcode;
	} cases[] = {
		{ (const knot_dname_t *)"\4zone\7example", KNOT_RRTYPE_A, KNOT_RCODE_REFUSED },     /* not kept */
		{ (const knot_dname_t *)"\4zone\7example", KNOT_RRTYPE_MX, KNOT_RCODE_REFUSED },
		{ (const knot_dname_t *)"\3www\4zone\7example", KNOT_RRTYPE_A, KNOT_RCODE_REFUSED },
		{ (const knot_dname_t *)"\5other\7example", KNOT_RRTYPE_SOA, KNOT_RCODE_REFUSED },
		{ (const knot_dname_t *)"\4zone\7example", KNOT_RRTYPE_AXFR, KNOT_RCODE_REFUSED },
		{ (const knot_dname_t *)"\5empty\7example", KNOT_RRTYPE_SOA, KNOT_RCODE_SERVFAIL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qlen = query(q, sizeof(q), cases[i].name, cases[i].type, false, false);
		p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
		ck_assert_msg(knot_wire_get_rcode(p->wire) == cases[i].rcode, "case %zu", i);
		ck_assert_uint_eq(info.rcode, cases[i].rcode);
		ck_assert_uint_eq(knot_wire_get_ancount(p->wire), 0);
		ck_assert(!knot_wire_get_aa(p->wire));
		knot_pkt_free(p);
	}
}
END_TEST

START_TEST(bad_messages)
{
	uint8_t q[512], out[65535];
	hsd_ans_info_t info;
	size_t outlen = 99;
	size_t qlen = query(q, sizeof(q), ZONE, KNOT_RRTYPE_SOA, false, false);
	/* a response: no answer at all */
	knot_wire_set_qr(q);
	ck_assert_int_eq(hsd_answer(lookup, NULL, cfg->keyfiles, cfg->nkeyfiles,
	                            (const struct sockaddr *)&src, false, q, qlen,
	                            out, &outlen, sizeof(out), &info), 0);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_int_eq(info.kind, HSD_ANS_DROP);
	/* too short */
	ck_assert_int_eq(hsd_answer(lookup, NULL, cfg->keyfiles, cfg->nkeyfiles,
	                            (const struct sockaddr *)&src, false, q, 5,
	                            out, &outlen, sizeof(out), &info), 0);
	ck_assert_uint_eq(outlen, 0);
	/* cut in the question: FORMERR, header only */
	knot_wire_clear_qr(q);
	knot_pkt_t *p = ask(q, 20, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_FORMERR);
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_FORMERR);
	ck_assert_uint_eq(knot_wire_get_qdcount(p->wire), 0);
	knot_pkt_free(p);
	/* an opcode we do not serve */
	knot_wire_set_opcode(q, KNOT_OPCODE_UPDATE);
	p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTIMPL);
	knot_pkt_free(p);
	/* arguments */
	ck_assert_int_eq(hsd_answer(lookup, NULL, cfg->keyfiles, cfg->nkeyfiles,
	                            (const struct sockaddr *)&src, false, q, qlen,
	                            out, &outlen, 100, &info), HS_EINVAL);
}
END_TEST

/* A NOTIFY for name from the configured source, signed with key (or not). */
static size_t notify(uint8_t *q, size_t cap, const knot_dname_t *name, const knot_tsig_key_t *key,
                     hs_tsig_ctx_t *ctx)
{
	size_t len = 0;
	ck_assert_int_eq(hsd_msg_query(q, &len, cap, name, KNOT_RRTYPE_SOA, true, NULL, key, ctx), 0);
	return len;
}

START_TEST(notify_rules)
{
	uint8_t q[1024], out[65535];
	hsd_ans_info_t info;
	hs_tsig_ctx_t ctx;
	const knot_tsig_key_t *xfr = hsd_cfg_key(cfg, "xfr");
	const knot_tsig_key_t *other = hsd_cfg_key(cfg, "other");

	/* from the source, signed with its key: accepted, the answer signed */
	size_t qlen = notify(q, sizeof(q), ZONE, xfr, &ctx);
	knot_pkt_t *p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY);
	ck_assert_ptr_eq(info.zone, hsd_cfg_zone(cfg, ZONE));
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(knot_wire_get_opcode(p->wire), KNOT_OPCODE_NOTIFY);
	ck_assert(knot_wire_get_aa(p->wire));
	ck_assert_ptr_nonnull(p->tsig_rr);
	knot_pkt_free(p);
	ck_assert_int_eq(hsd_msg_check(q, qlen, out, last_len, &ctx, false, NULL, NULL), 0);

	/* from another address, even well signed: ignored (REFUSED) */
	qlen = notify(q, sizeof(q), ZONE, xfr, &ctx);
	p = ask(q, qlen, &stranger, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY_PEER);
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	knot_pkt_free(p);

	/* unsigned, or signed with another key: NOTAUTH */
	qlen = notify(q, sizeof(q), ZONE, NULL, NULL);
	p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY_TSIG);
	ck_assert_int_eq(info.code, HS_ETSIG_NONE);
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTAUTH);
	knot_pkt_free(p);
	qlen = notify(q, sizeof(q), ZONE, other, &ctx);
	p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY_TSIG);
	ck_assert_int_eq(info.code, KNOT_TSIG_EBADKEY);
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTAUTH);
	knot_pkt_free(p);
	/* a changed byte breaks the MAC */
	qlen = notify(q, sizeof(q), ZONE, xfr, &ctx);
	q[3] |= 0x20;   /* AD */
	p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY_TSIG);
	ck_assert_int_eq(info.code, KNOT_TSIG_EBADSIG);
	knot_pkt_free(p);

	/* a zone not followed: REFUSED */
	qlen = notify(q, sizeof(q), (const knot_dname_t *)"\5other\7example", xfr, &ctx);
	p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY_REFUSED);
	ck_assert_ptr_null(info.zone);
	ck_assert_uint_eq(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	knot_pkt_free(p);

	/* a source without key: the address is enough */
	qlen = notify(q, sizeof(q), EMPTY, NULL, NULL);
	p = ask(q, qlen, &src, false, &info, out, sizeof(out));
	ck_assert_int_eq(info.kind, HSD_ANS_NOTIFY);
	knot_pkt_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hsyncd_answer");
	TCase *tc = tcase_create("answer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, apex_rrsets);
	tcase_add_test(tc, nodata_and_refused);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, signed_query);
	tcase_add_test(tc, bad_messages);
	tcase_add_test(tc, notify_rules);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
