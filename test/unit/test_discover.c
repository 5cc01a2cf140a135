/* Unit tests for agentd/discover.c: answers built here, with and without AD. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "agentd/discover.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "test/unit/unit.h"

#define RESOLVER "127.0.0.1#5353"
#define F_AD   0x01
#define F_TC   0x02
#define F_NOQR 0x04

/* One record in zone-file text (absolute names) -> new RRset. */
static knot_rrset_t *rr_text(const char *text)
{
	zs_scanner_t *s = malloc(sizeof(*s));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(zs_init(s, ".", KNOT_CLASS_IN, 3600), 0);
	ck_assert_int_eq(zs_set_input_string(s, text, strlen(text)), 0);
	ck_assert_int_eq(zs_parse_record(s), 0);
	ck_assert_msg(s->state == ZS_STATE_DATA, "zscanner: %s: %s", text, zs_strerror(s->error.code));
	knot_rrset_t *rr = knot_rrset_new(s->r_owner, s->r_type, s->r_class, s->r_ttl, NULL);
	ck_assert_ptr_nonnull(rr);
	ck_assert_int_eq(knot_rrset_add_rdata(rr, s->r_data, s->r_data_length, NULL), 0);
	zs_deinit(s);
	free(s);
	return rr;
}

/* Answer to QUERY: flags F_*, RCODE, then records (zone text, NULL-terminated). */
static size_t vanswer(const knot_pkt_t *query, uint8_t *out, size_t cap, int flags,
                      int rcode, va_list ap)
{
	knot_pkt_t *resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(resp);
	ck_assert_int_eq(knot_pkt_init_response(resp, query), 0);
	knot_wire_set_ra(resp->wire);
	if (flags & F_AD) {
		knot_wire_set_ad(resp->wire);
	} else {
		knot_wire_clear_ad(resp->wire);
	}
	if (flags & F_TC) {
		knot_wire_set_tc(resp->wire);
	}
	if (flags & F_NOQR) {
		knot_wire_clear_qr(resp->wire);
	}
	knot_wire_set_rcode(resp->wire, rcode);
	ck_assert_int_eq(knot_pkt_begin(resp, KNOT_ANSWER), 0);
	/* records of one owner and type in a row become one RRset */
	const char *t;
	knot_rrset_t *cur = NULL;
	while ((t = va_arg(ap, const char *)) != NULL) {
		knot_rrset_t *rr = rr_text(t);
		if (cur != NULL && cur->type == rr->type && knot_dname_is_equal(cur->owner, rr->owner)) {
			ck_assert_int_eq(knot_rdataset_merge(&cur->rrs, &rr->rrs, NULL), 0);
			knot_rrset_free(rr, NULL);
			continue;
		}
		if (cur != NULL) {
			ck_assert_int_eq(knot_pkt_put(resp, 0, cur, KNOT_PF_FREE), 0);
			free(cur);   /* the packet owns its contents now */
		}
		cur = rr;
	}
	if (cur != NULL) {
		ck_assert_int_eq(knot_pkt_put(resp, 0, cur, KNOT_PF_FREE), 0);
		free(cur);
	}
	ck_assert_uint_le(resp->size, cap);
	memcpy(out, resp->wire, resp->size);
	size_t n = resp->size;
	knot_pkt_free(resp);
	return n;
}

static size_t answer(const knot_pkt_t *query, uint8_t *out, size_t cap, int flags,
                     int rcode, ...)
{
	va_list ap;
	va_start(ap, rcode);
	size_t n = vanswer(query, out, cap, flags, rcode, ap);
	va_end(ap);
	return n;
}

static knot_dname_t *dname(const char *s)
{
	knot_dname_t *d = knot_dname_from_str_alloc(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static void init(hs_disc_t *d, const char *identity)
{
	knot_dname_t *id = dname(identity);
	ck_assert_int_eq(hs_disc_init(d, id, RESOLVER), 0);
	free(id);
}

/* Send the next query and feed the answer built from flags/rcode/records. */
#define STEP(d, flags, rcode, ...) step(d, flags, rcode, __VA_ARGS__, (const char *)NULL)
static int step(hs_disc_t *d, int flags, int rcode, ...)
{
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_disc_query(d, &q), 0);
	static uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	va_list ap;
	va_start(ap, rcode);
	size_t n = vanswer(q, buf, sizeof(buf), flags, rcode, ap);
	va_end(ap);
	int ret = hs_disc_feed(d, buf, n);
	knot_pkt_free(q);
	return ret;
}

static char keyrr[512];
static const char *key_record(const char *owner)
{
	/* The public key of test/data/sig0-keys/Ksig0.example.+015+19511.key. */
	snprintf(keyrr, sizeof(keyrr),
	         "%s 3600 IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=", owner);
	return keyrr;
}

static const char *URI_OK = "_dns._tcp.agent.b.example. 3600 IN URI 10 1 \"dns://host.b.example:5300\"";
static const char *SVCB_OK = "host.b.example. 3600 IN SVCB 1 . port=5301 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1";

START_TEST(query_bytes)
{
	hs_disc_t d;
	init(&d, "Agent.B.example.");
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_disc_query(&d, &q), 0);
	/* header after the ID: RD and AD set, QD 1, AN 0, NS 0, AR 1 */
	static const uint8_t hdr[] = { 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1 };
	ck_assert_mem_eq(q->wire + 2, hdr, sizeof(hdr));
	static const uint8_t rest[] =
		"\x04_dns\x04_tcp\x05" "agent\x01" "b\x07" "example\x00"
		"\x01\x00" "\x00\x01"                          /* URI IN */
		"\x00" "\x00\x29" "\x04\xd0" "\x00\x00\x80\x00" "\x00\x00"; /* OPT 1232, DO */
	ck_assert_uint_eq(q->size, 12 + sizeof(rest) - 1);
	ck_assert_mem_eq(q->wire + 12, rest, sizeof(rest) - 1);
	ck_assert_uint_eq(knot_wire_get_id(q->wire), d.qid);
	knot_pkt_free(q);

	const knot_dname_t *qn = NULL;
	uint16_t qt = 0;
	ck_assert_int_eq(hs_disc_next(&d, &qn, &qt), 0);
	ck_assert_uint_eq(qt, KNOT_RRTYPE_URI);
	hs_disc_clear(&d);
}
END_TEST

START_TEST(happy_path)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, URI_OK), 0);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_SVCB);
	const knot_dname_t *qn = NULL;
	uint16_t qt = 0;
	ck_assert_int_eq(hs_disc_next(&d, &qn, &qt), 0);
	ck_assert_uint_eq(qt, KNOT_RRTYPE_SVCB);
	ck_assert_mem_eq(qn, "\x04host\x01" "b\x07" "example", 16);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, SVCB_OK), 0);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_KEY);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, key_record("host.b.example.")), 0);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_DONE);
	ck_assert_int_eq(hs_disc_next(&d, &qn, &qt), HS_EINVAL);

	const hs_disc_result_t *r = hs_disc_result(&d);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->port, 5301);   /* the SVCB port wins */
	ck_assert_uint_eq(r->naddrs, 3);
	const struct sockaddr_in *a = (const struct sockaddr_in *)&r->addrs[1];
	ck_assert_int_eq(a->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(a->sin_port), 5301);
	ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0xc0000202);
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&r->addrs[2];
	ck_assert_int_eq(a6->sin6_family, AF_INET6);
	char buf[64];
	inet_ntop(AF_INET6, &a6->sin6_addr, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::1");
	ck_assert_uint_eq(r->nkeys, 1);
	ck_assert_uint_eq(r->keys[0]->keytag, 19511);
	ck_assert_uint_eq(r->keys[0]->algorithm, 15);
	ck_assert_mem_eq(r->keys[0]->owner, "\x04host\x01" "b\x07" "example", 16);
	ck_assert_mem_eq(r->identity, "\x05" "agent\x01" "b\x07" "example", 17);
	ck_assert_str_eq(hs_disc_reason(&d), "");

	/* restart forgets the result and asks the URI again */
	hs_disc_restart(&d);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_URI);
	ck_assert_ptr_null(hs_disc_result(&d));
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, URI_OK), 0);
	hs_disc_clear(&d);
}
END_TEST

/* A peer rolling its key publishes two KEYs; the resolver's answer carries
 * both, and libknot parses each record of a received message as an RRset of
 * its own: both keys must be kept. */
START_TEST(two_keys_kept)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, URI_OK), 0);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, SVCB_OK), 0);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, key_record("host.b.example."),
	                      "host.b.example. 3600 IN KEY 512 3 13 AJU7dnOnZ66T9B8E5e/Yc2PGJVZa3WfXOSWYFnPz84NuOdvTkufhjf7p YyR/paiSVBSy00lTe9WCuQY01eiuxg=="),
	                 0);
	const hs_disc_result_t *r = hs_disc_result(&d);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nkeys, 2);
	unsigned tags = 0;
	for (size_t i = 0; i < r->nkeys; i++) {
		tags |= r->keys[i]->keytag == 19511 ? 1 : r->keys[i]->keytag == 13510 ? 2 : 4;
	}
	ck_assert_uint_eq(tags, 3);
	hs_disc_clear(&d);
}
END_TEST

START_TEST(port_from_uri_and_cname)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	/* URI found through a CNAME; two URIs: priority 5 beats 10. */
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR,
	        "_dns._tcp.agent.b.example. 60 IN CNAME uri.b.example.",
	        "uri.b.example. 60 IN URI 10 100 \"dns://other.b.example:1\"",
	        "uri.b.example. 60 IN URI 5 1 \"DNS://Host.B.Example.:5400/\""), 0);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR,
	        "host.b.example. 60 IN SVCB 2 . ipv6hint=::1",
	        "host.b.example. 60 IN SVCB 1 . ipv4hint=127.0.0.2"), 0);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, key_record("host.b.example.")), 0);
	const hs_disc_result_t *r = hs_disc_result(&d);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->port, 5400);
	ck_assert_uint_eq(r->naddrs, 1);
	ck_assert_int_eq(r->addrs[0].ss_family, AF_INET);
	hs_disc_clear(&d);
}
END_TEST

START_TEST(svcb_alias)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, URI_OK), 0);
	/* AliasMode wins over the ServiceMode record in the same RRset */
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR,
	        "host.b.example. 60 IN SVCB 0 svc.provider.example.",
	        "host.b.example. 60 IN SVCB 1 . ipv4hint=192.0.2.9"), 0);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_SVCB);
	const knot_dname_t *qn = NULL;
	ck_assert_int_eq(hs_disc_next(&d, &qn, NULL), 0);
	ck_assert_mem_eq(qn, "\x03svc\x08provider\x07" "example", 22);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR,
	        "svc.provider.example. 60 IN SVCB 1 . ipv4hint=192.0.2.10"), 0);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_KEY);
	/* KEY is still asked at the URI host, not at the alias target */
	ck_assert_int_eq(hs_disc_next(&d, &qn, NULL), 0);
	ck_assert_mem_eq(qn, "\x04host\x01" "b\x07" "example", 16);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, key_record("host.b.example.")), 0);
	ck_assert_uint_eq(hs_disc_result(&d)->port, 5300);
	const struct sockaddr_in *a = (const struct sockaddr_in *)&hs_disc_result(&d)->addrs[0];
	ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0xc000020a);
	hs_disc_clear(&d);

	/* alias to "." : no service */
	init(&d, "agent.b.example.");
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, URI_OK), 0);
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, "host.b.example. 60 IN SVCB 0 ."),
	                 HS_EDISC_DATA);
	ck_assert_str_eq(hs_disc_reason(&d),
	        "SVCB AliasMode to \".\": the service is not available for SVCB host.b.example.");
	ck_assert(hs_disc_permanent(&d));
	hs_disc_clear(&d);

	/* alias loop */
	init(&d, "agent.b.example.");
	ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, URI_OK), 0);
	int ret = 0, n = 0;
	while (ret == 0 && n < 20) {
		ret = STEP(&d, F_AD, KNOT_RCODE_NOERROR,
		           "host.b.example. 60 IN CNAME host.b.example.",
		           "host.b.example. 60 IN SVCB 0 host.b.example.");
		n++;
	}
	ck_assert_int_eq(ret, HS_EDISC_DATA);
	ck_assert_int_eq(n, HS_DISC_MAX_ALIAS + 1);
	ck_assert_ptr_nonnull(strstr(hs_disc_reason(&d), "SVCB aliases"));
	hs_disc_clear(&d);
}
END_TEST

static void expect_fail_at(int stage, int flags, int rcode, int code, const char *reason,
                           const char *rec)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	const char *good[] = { URI_OK, SVCB_OK };
	for (int i = 0; i < stage; i++) {
		ck_assert_int_eq(STEP(&d, F_AD, KNOT_RCODE_NOERROR, good[i]), 0);
	}
	int ret = rec != NULL ? STEP(&d, flags, rcode, rec) : step(&d, flags, rcode, (const char *)NULL);
	ck_assert_int_eq(ret, code);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_FAILED);
	ck_assert_ptr_null(hs_disc_result(&d));
	ck_assert_str_eq(hs_disc_reason(&d), reason);
	ck_assert(!hs_disc_permanent(&d) || code == HS_EDISC_DATA || code == HS_EKEYALG);
	/* no more queries after a failure */
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_disc_query(&d, &q), HS_EINVAL);
	hs_disc_clear(&d);
}

START_TEST(no_ad_bit)
{
	expect_fail_at(0, 0, KNOT_RCODE_NOERROR, HS_EDISC_NOAD,
	        "no AD bit from resolver 127.0.0.1#5353 for URI _dns._tcp.agent.b.example.", URI_OK);
	expect_fail_at(1, 0, KNOT_RCODE_NOERROR, HS_EDISC_NOAD,
	        "no AD bit from resolver 127.0.0.1#5353 for SVCB host.b.example.", SVCB_OK);
	expect_fail_at(2, 0, KNOT_RCODE_NOERROR, HS_EDISC_NOAD,
	        "no AD bit from resolver 127.0.0.1#5353 for KEY host.b.example.",
	        key_record("host.b.example."));
	/* an unvalidated NXDOMAIN is not trusted either */
	expect_fail_at(0, 0, KNOT_RCODE_NXDOMAIN, HS_EDISC_NOAD,
	        "no AD bit from resolver 127.0.0.1#5353 for URI _dns._tcp.agent.b.example.", NULL);
}
END_TEST

START_TEST(rcodes_and_empty)
{
	expect_fail_at(0, F_AD, KNOT_RCODE_NXDOMAIN, HS_EDISC_NXDOMAIN,
	        "NXDOMAIN (validated) from resolver 127.0.0.1#5353 for URI _dns._tcp.agent.b.example.", NULL);
	expect_fail_at(1, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_NODATA,
	        "no SVCB record (NODATA, validated) from resolver 127.0.0.1#5353 for SVCB host.b.example.", NULL);
	/* a record of another type is NODATA too */
	expect_fail_at(2, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_NODATA,
	        "no KEY record (NODATA, validated) from resolver 127.0.0.1#5353 for KEY host.b.example.",
	        "host.b.example. 60 IN A 192.0.2.1");
	expect_fail_at(0, 0, KNOT_RCODE_SERVFAIL, HS_EDISC_RCODE,
	        "resolver 127.0.0.1#5353 answered SERVFAIL (DNSSEC validation failed, or server trouble)"
	        " for URI _dns._tcp.agent.b.example.", NULL);
	expect_fail_at(1, 0, KNOT_RCODE_REFUSED, HS_EDISC_RCODE,
	        "resolver 127.0.0.1#5353 answered REFUSED for SVCB host.b.example.", NULL);
	expect_fail_at(0, F_AD | F_TC, KNOT_RCODE_NOERROR, HS_ETRUNC,
	        "truncated answer (TC) from resolver 127.0.0.1#5353; retry over TCP"
	        " for URI _dns._tcp.agent.b.example.", NULL);
}
END_TEST

START_TEST(bad_records)
{
	expect_fail_at(0, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_DATA,
	        "URI target \"https://host.b.example/\" is not dns://HOST[:PORT]"
	        " for URI _dns._tcp.agent.b.example.",
	        "_dns._tcp.agent.b.example. 60 IN URI 1 1 \"https://host.b.example/\"");
	expect_fail_at(1, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_DATA,
	        "no usable SVCB ServiceMode record (no ipv4hint or ipv6hint) for SVCB host.b.example.",
	        "host.b.example. 60 IN SVCB 1 . port=53");
	expect_fail_at(1, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_DATA,
	        "no usable SVCB ServiceMode record (mandatory SvcParam that agentd does not support)"
	        " for SVCB host.b.example.",
	        "host.b.example. 60 IN SVCB 1 . mandatory=alpn alpn=dot ipv4hint=192.0.2.1");
	/* keys out of order: port (3) before alpn (1), written in generic form */
	expect_fail_at(1, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_DATA,
	        "SVCB record malformed: SvcParams not in strictly increasing key order"
	        " for SVCB host.b.example.",
	        "host.b.example. 60 IN SVCB \\# 16 0001 00 0003 0002 0035 0001 0003 026832");
	expect_fail_at(1, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_DATA,
	        "SVCB record malformed: ipv4hint is not a list of IPv4 addresses for SVCB host.b.example.",
	        "host.b.example. 60 IN SVCB \\# 10 0001 00 0004 0003 c00002");
	expect_fail_at(2, F_AD, KNOT_RCODE_NOERROR, HS_EKEYALG,
	        "no usable KEY record (algorithms not supported) for KEY host.b.example.",
	        "host.b.example. 60 IN KEY 512 3 5 AwEAAQ==");
	expect_fail_at(2, F_AD, KNOT_RCODE_NOERROR, HS_EDISC_DATA,
	        "no usable KEY record (malformed) for KEY host.b.example.",
	        "host.b.example. 60 IN KEY 49664 3 15 AA==");
}
END_TEST

START_TEST(mismatch_keeps_waiting)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_disc_feed(&d, (const uint8_t *)"xxxxxxxxxxxx", 12), HS_EINVAL);
	ck_assert_int_eq(hs_disc_query(&d, &q), 0);
	uint8_t buf[4096];

	/* other ID */
	size_t n = answer(q, buf, sizeof(buf), F_AD, KNOT_RCODE_NOERROR, URI_OK, NULL);
	knot_wire_set_id(buf, (uint16_t)(d.qid + 1));
	ck_assert_int_eq(hs_disc_feed(&d, buf, n), HS_EDISC_MISMATCH);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_URI);
	char want[256];
	snprintf(want, sizeof(want), "answer ID %u is not query ID %u from resolver "
	         RESOLVER " for URI _dns._tcp.agent.b.example.", (uint16_t)(d.qid + 1), d.qid);
	ck_assert_str_eq(hs_disc_reason(&d), want);

	/* not a response */
	n = answer(q, buf, sizeof(buf), F_AD | F_NOQR, KNOT_RCODE_NOERROR, URI_OK, NULL);
	ck_assert_int_eq(hs_disc_feed(&d, buf, n), HS_EDISC_MISMATCH);
	ck_assert_str_eq(hs_disc_reason(&d), "not a QUERY response from resolver " RESOLVER
	                 " for URI _dns._tcp.agent.b.example.");

	/* short, and malformed */
	ck_assert_int_eq(hs_disc_feed(&d, buf, 5), HS_EDISC_MISMATCH);
	ck_assert_str_eq(hs_disc_reason(&d), "answer too short (5 bytes) from resolver " RESOLVER
	                 " for URI _dns._tcp.agent.b.example.");
	n = answer(q, buf, sizeof(buf), F_AD, KNOT_RCODE_NOERROR, URI_OK, NULL);
	ck_assert_int_eq(hs_disc_feed(&d, buf, n - 3), HS_EDISC_MISMATCH);
	ck_assert_ptr_nonnull(strstr(hs_disc_reason(&d), "malformed answer from resolver"));

	/* other question */
	hs_disc_t other;
	init(&other, "agent.c.example.");
	knot_pkt_t *q2 = NULL;
	ck_assert_int_eq(hs_disc_query(&other, &q2), 0);
	n = answer(q2, buf, sizeof(buf), F_AD, KNOT_RCODE_NOERROR, NULL);
	knot_wire_set_id(buf, d.qid);
	ck_assert_int_eq(hs_disc_feed(&d, buf, n), HS_EDISC_MISMATCH);
	ck_assert_str_eq(hs_disc_reason(&d), "answer from resolver " RESOLVER " is for another "
	                 "question (_dns._tcp.agent.c.example. type 256) for URI _dns._tcp.agent.b.example.");
	knot_pkt_free(q2);
	hs_disc_clear(&other);
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_URI);

	/* the real answer, with the question in other case, still goes through */
	n = answer(q, buf, sizeof(buf), F_AD, KNOT_RCODE_NOERROR, URI_OK, NULL);
	buf[12 + 11] = 'A';   /* _dns._tcp.Agent... */
	ck_assert_msg(hs_disc_feed(&d, buf, n) == 0, "%s", hs_disc_reason(&d));
	ck_assert_int_eq(hs_disc_state(&d), HS_DISC_SVCB);
	knot_pkt_free(q);

	/* a retry gets a new ID; an answer to the old one is refused */
	ck_assert_int_eq(hs_disc_query(&d, &q), 0);
	uint16_t old = d.qid;
	knot_pkt_t *q3 = NULL;
	do {
		knot_pkt_free(q3);
		ck_assert_int_eq(hs_disc_query(&d, &q3), 0);
	} while (d.qid == old);
	n = answer(q, buf, sizeof(buf), F_AD, KNOT_RCODE_NOERROR, SVCB_OK, NULL);
	ck_assert_int_eq(hs_disc_feed(&d, buf, n), HS_EDISC_MISMATCH);
	n = answer(q3, buf, sizeof(buf), F_AD, KNOT_RCODE_NOERROR, SVCB_OK, NULL);
	ck_assert_int_eq(hs_disc_feed(&d, buf, n), 0);
	knot_pkt_free(q);
	knot_pkt_free(q3);

	/* timeout */
	ck_assert_int_eq(hs_disc_timeout(&d), -ETIMEDOUT);
	ck_assert_str_eq(hs_disc_reason(&d), "no answer from resolver " RESOLVER
	                 " for KEY host.b.example.");
	ck_assert(!hs_disc_permanent(&d));
	hs_disc_clear(&d);
}
END_TEST

static int uri(const char *t, char *host, uint16_t *port)
{
	knot_dname_storage_t h;
	int ret = hs_disc_parse_uri_target((const uint8_t *)t, strlen(t), h, port);
	if (ret == 0) {
		knot_dname_to_str(host, h, 256);
	}
	return ret;
}

START_TEST(uri_targets)
{
	char host[256];
	uint16_t port = 0;
	ck_assert_int_eq(uri("dns://h.example", host, &port), 0);
	ck_assert_str_eq(host, "h.example.");
	ck_assert_uint_eq(port, 53);
	ck_assert_int_eq(uri("DnS://H.Example.:65535/", host, &port), 0);
	ck_assert_str_eq(host, "h.example.");
	ck_assert_uint_eq(port, 65535);
	ck_assert_int_eq(uri("dns://_agent.x-y.example:1", host, &port), 0);
	ck_assert_uint_eq(port, 1);
	const char *bad[] = {
		"", "dns:", "dns://", "dns:h.example", "http://h.example", "dns://h.example:",
		"dns://h.example:0", "dns://h.example:65536", "dns://h.example:123456",
		"dns://h.example/x", "dns://h.example//", "dns://u@h.example", "dns://192.0.2.1",
		"dns://[::1]:53", "dns://.", "dns://a..b", "dns://h example", "dns://h.example:53x",
		"dns://h.example?type=A",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(uri(bad[i], host, &port) == HS_EDISC_DATA, "accepted \"%s\"", bad[i]);
	}
	/* embedded NUL */
	knot_dname_storage_t h;
	ck_assert_int_eq(hs_disc_parse_uri_target((const uint8_t *)"dns://a\0b", 9, h, &port),
	                 HS_EDISC_DATA);
}
END_TEST

START_TEST(init_errors)
{
	hs_disc_t d;
	ck_assert_int_eq(hs_disc_init(&d, NULL, RESOLVER), HS_EINVAL);
	ck_assert_int_eq(hs_disc_init(&d, (const knot_dname_t *)"", RESOLVER), HS_EINVAL);
	/* a name of 250 bytes leaves no room for _dns._tcp. */
	uint8_t longname[KNOT_DNAME_MAXLEN];
	size_t p = 0;
	while (p + 64 < 250) {
		longname[p] = 63;
		memset(longname + p + 1, 'a', 63);
		p += 64;
	}
	longname[p] = (uint8_t)(250 - p - 2);
	memset(longname + p + 1, 'b', longname[p]);
	p += 1 + longname[p];
	longname[p] = 0;
	ck_assert_int_eq(knot_dname_size(longname), 250);
	ck_assert_int_eq(hs_disc_init(&d, longname, RESOLVER), HS_ENAME);
	init(&d, "x.");
	ck_assert_str_eq(d.resolver, RESOLVER);
	hs_disc_clear(&d);
	hs_disc_clear(NULL);
}
END_TEST

/*
 * Answers captured from unbound 1.17 validating knotd 3.2's signed b.example
 * (the setup of test/integration/t-discover.sh; zone holds the records of
 * test_publish's known text), to queries with RD, AD and DO:
 * peer-unbound-{uri,svcb,key,nxdomain}.bin through the resolver with the
 * trust anchor, -noad.bin through one without, -servfail.bin through one
 * with a wrong anchor. Each has its own ID; the test takes it as ours.
 */
static size_t read_bin(const char *file, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(hs_testdata(file), "rb");
	ck_assert_msg(f != NULL, "%s", file);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	ck_assert_uint_gt(n, 12);
	return n;
}

static int feed_file(hs_disc_t *d, const char *file)
{
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_disc_query(d, &q), 0);
	knot_pkt_free(q);
	uint8_t buf[4096];
	size_t n = read_bin(file, buf, sizeof(buf));
	d->qid = knot_wire_get_id(buf);
	return hs_disc_feed(d, buf, n);
}

START_TEST(real_unbound_answers)
{
	hs_disc_t d;
	init(&d, "agent.b.example.");
	ck_assert_msg(feed_file(&d, "peer-unbound-uri.bin") == 0, "%s", hs_disc_reason(&d));
	ck_assert_msg(feed_file(&d, "peer-unbound-svcb.bin") == 0, "%s", hs_disc_reason(&d));
	ck_assert_msg(feed_file(&d, "peer-unbound-key.bin") == 0, "%s", hs_disc_reason(&d));
	const hs_disc_result_t *r = hs_disc_result(&d);
	ck_assert_ptr_nonnull(r);
	ck_assert_mem_eq(r->host, "\x04host\x01" "b\x07" "example", 16);
	ck_assert_uint_eq(r->port, 5300);
	ck_assert_uint_eq(r->naddrs, 3);
	ck_assert_uint_eq(r->nkeys, 1);
	ck_assert_uint_eq(r->keys[0]->keytag, 19511);
	hs_disc_clear(&d);

	init(&d, "nobody.b.example.");
	ck_assert_int_eq(feed_file(&d, "peer-unbound-nxdomain.bin"), HS_EDISC_NXDOMAIN);
	hs_disc_clear(&d);

	init(&d, "agent.b.example.");
	ck_assert_int_eq(feed_file(&d, "peer-unbound-noad.bin"), HS_EDISC_NOAD);
	ck_assert_str_eq(hs_disc_reason(&d),
	        "no AD bit from resolver 127.0.0.1#5353 for URI _dns._tcp.agent.b.example.");
	hs_disc_clear(&d);

	init(&d, "agent.b.example.");
	ck_assert_int_eq(feed_file(&d, "peer-unbound-servfail.bin"), HS_EDISC_RCODE);
	hs_disc_clear(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("discover");
	TCase *tc = tcase_create("discover");
	tcase_add_test(tc, query_bytes);
	tcase_add_test(tc, happy_path);
	tcase_add_test(tc, two_keys_kept);
	tcase_add_test(tc, port_from_uri_and_cname);
	tcase_add_test(tc, svcb_alias);
	tcase_add_test(tc, no_ad_bit);
	tcase_add_test(tc, rcodes_and_empty);
	tcase_add_test(tc, bad_records);
	tcase_add_test(tc, mismatch_keeps_waiting);
	tcase_add_test(tc, uri_targets);
	tcase_add_test(tc, init_errors);
	tcase_add_test(tc, real_unbound_answers);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
