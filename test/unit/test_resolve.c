/* Unit tests for agentd/resolve.c: the query bytes, and every verdict on an answer. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "agentd/resolve.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

#define R "127.0.0.1#5353"
#define F_AD 0x01
#define F_TC 0x02

/* One record in zone-file text -> NEW RRset. */
static knot_rrset_t *rr_text(const char *text)
{
	zs_scanner_t *s = malloc(sizeof(*s));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(zs_init(s, ".", KNOT_CLASS_IN, 3600), 0);
	ck_assert_int_eq(zs_set_input_string(s, text, strlen(text)), 0);
	ck_assert_int_eq(zs_parse_record(s), 0);
	ck_assert_int_eq(s->state, ZS_STATE_DATA);
	knot_rrset_t *rr = knot_rrset_new(s->r_owner, s->r_type, s->r_class, s->r_ttl, NULL);
	ck_assert_ptr_nonnull(rr);
	ck_assert_int_eq(knot_rrset_add_rdata(rr, s->r_data, s->r_data_length, NULL), 0);
	zs_deinit(s);
	free(s);
	return rr;
}

/*
 * Answer to q into out: flags, RCODE, then records, each its own RRset,
 * "AU " in front puts one in the authority section; NULL ends.
 */
static size_t answer(const knot_pkt_t *q, uint8_t *out, int flags, int rcode, ...)
{
	knot_pkt_t *resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(resp);
	ck_assert_int_eq(knot_pkt_init_response(resp, q), 0);
	if (flags & F_AD) {
		knot_wire_set_ad(resp->wire);
	} else {
		knot_wire_clear_ad(resp->wire);
	}
	if (flags & F_TC) {
		knot_wire_set_tc(resp->wire);
	}
	knot_wire_set_rcode(resp->wire, rcode);
	ck_assert_int_eq(knot_pkt_begin(resp, KNOT_ANSWER), 0);
	va_list ap;
	va_start(ap, rcode);
	const char *t;
	while ((t = va_arg(ap, const char *)) != NULL) {
		if (strncmp(t, "AU ", 3) == 0) {
			t += 3;
			if (resp->current != KNOT_AUTHORITY) {
				ck_assert_int_eq(knot_pkt_begin(resp, KNOT_AUTHORITY), 0);
			}
		}
		knot_rrset_t *rr = rr_text(t);
		ck_assert_int_eq(knot_pkt_put(resp, 0, rr, KNOT_PF_FREE), 0);
		free(rr);
	}
	va_end(ap);
	memcpy(out, resp->wire, resp->size);
	size_t n = resp->size;
	knot_pkt_free(resp);
	return n;
}

static knot_dname_t *dn(const char *s)
{
	static knot_dname_storage_t buf;
	ck_assert_ptr_nonnull(knot_dname_from_str(buf, s, sizeof(buf)));
	return buf;
}

START_TEST(query_bytes)
{
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_resolve_query_new(dn("ex."), KNOT_RRTYPE_URI, &q), HS_EOK);
	static const uint8_t want[] = {
		0, 0, 0x01, 0x20,             /* ID (masked), RD; AD */
		0, 1, 0, 0, 0, 0, 0, 1,       /* one question, one additional */
		2, 'e', 'x', 0, 0x01, 0x00, 0, 1,   /* ex. URI IN */
		0, 0, 41, 0x04, 0xd0,         /* OPT, 1232 bytes */
		0, 0, 0x80, 0, 0, 0,          /* DO */
	};
	ck_assert_uint_eq(q->size, sizeof(want));
	uint8_t got[sizeof(want)];
	memcpy(got, q->wire, sizeof(got));
	got[0] = got[1] = 0;
	ck_assert_mem_eq(got, want, sizeof(want));
	/* a new random ID each time */
	knot_pkt_t *q2 = NULL;
	int same = 0;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(hs_resolve_query_new(dn("ex."), KNOT_RRTYPE_URI, &q2), HS_EOK);
		same += knot_wire_get_id(q2->wire) == knot_wire_get_id(q->wire);
		knot_pkt_free(q2);
	}
	ck_assert_int_lt(same, 4);
	knot_pkt_free(q);
	ck_assert_int_eq(hs_resolve_query_new(NULL, KNOT_RRTYPE_URI, &q), HS_EINVAL);
}
END_TEST

/* The query for a.ex. A, its answer built by the caller, checked. */
struct run {
	knot_pkt_t *q;
	uint8_t buf[4096];
	size_t n;
	knot_pkt_t *pkt;
	knot_rrset_t rr;
	char why[512];
};

static int check(struct run *r, size_t n)
{
	knot_pkt_free(r->pkt);
	r->pkt = NULL;
	return hs_resolve_check(knot_wire_get_id(r->q->wire), dn("a.ex."), KNOT_RRTYPE_A,
	                        r->buf, n, R, &r->pkt, &r->rr, r->why, sizeof(r->why));
}

START_TEST(validated_answer)
{
	struct run r = { 0 };
	ck_assert_int_eq(hs_resolve_query_new(dn("a.ex."), KNOT_RRTYPE_A, &r.q), HS_EOK);
	/* CNAME to b.ex., whose two A records come as two RRsets */
	size_t n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NOERROR, "a.ex. 60 IN CNAME b.ex.",
	                  "b.ex. 60 IN A 192.0.2.1", "c.ex. 60 IN A 192.0.2.9",
	                  "b.ex. 60 IN A 192.0.2.2", NULL);
	ck_assert_int_eq(check(&r, n), HS_EOK);
	ck_assert_ptr_nonnull(r.pkt);
	ck_assert(knot_dname_is_equal(r.rr.owner, dn("b.ex.")));
	ck_assert_uint_eq(r.rr.type, KNOT_RRTYPE_A);
	ck_assert_uint_eq(r.rr.rrs.count, 2);
	knot_rdata_t *rd = r.rr.rrs.rdata;
	ck_assert_mem_eq(rd->data, "\xc0\x00\x02\x01", 4);
	ck_assert_mem_eq(knot_rdataset_next(rd)->data, "\xc0\x00\x02\x02", 4);
	knot_rdataset_clear(&r.rr.rrs, NULL);

	/* answer may be NULL */
	knot_pkt_free(r.pkt);
	r.pkt = NULL;
	ck_assert_int_eq(hs_resolve_check(knot_wire_get_id(r.q->wire), dn("A.EX."), KNOT_RRTYPE_A,
	                                  r.buf, n, R, &r.pkt, NULL, NULL, 0), HS_EOK);
	knot_pkt_free(r.pkt);
	knot_pkt_free(r.q);
}
END_TEST

START_TEST(mismatches)
{
	struct run r = { 0 };
	ck_assert_int_eq(hs_resolve_query_new(dn("a.ex."), KNOT_RRTYPE_A, &r.q), HS_EOK);
	uint16_t id = knot_wire_get_id(r.q->wire);
	size_t n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NOERROR, "a.ex. 60 IN A 192.0.2.1", NULL);

	ck_assert_int_eq(check(&r, 5), HS_EDISC_MISMATCH);
	ck_assert_str_eq(r.why, "answer too short (5 bytes) from resolver " R);
	ck_assert_ptr_null(r.pkt);

	knot_wire_set_id(r.buf, (uint16_t)(id + 1));
	ck_assert_int_eq(check(&r, n), HS_EDISC_MISMATCH);
	char want[256];
	snprintf(want, sizeof(want), "answer ID %u is not query ID %u from resolver " R,
	         (uint16_t)(id + 1), id);
	ck_assert_str_eq(r.why, want);
	knot_wire_set_id(r.buf, id);

	knot_wire_clear_qr(r.buf);
	ck_assert_int_eq(check(&r, n), HS_EDISC_MISMATCH);
	ck_assert_str_eq(r.why, "not a QUERY response from resolver " R);
	knot_wire_set_qr(r.buf);

	ck_assert_int_eq(check(&r, n - 2), HS_EDISC_MISMATCH);
	ck_assert_str_eq(r.why, "malformed answer from resolver " R " (malformed data)");

	/* the answer to another question, with our ID */
	knot_pkt_t *q2 = NULL;
	ck_assert_int_eq(hs_resolve_query_new(dn("z.ex."), KNOT_RRTYPE_AAAA, &q2), HS_EOK);
	n = answer(q2, r.buf, F_AD, KNOT_RCODE_NOERROR, NULL);
	knot_wire_set_id(r.buf, id);
	ck_assert_int_eq(check(&r, n), HS_EDISC_MISMATCH);
	ck_assert_str_eq(r.why, "answer from resolver " R " is for another question (z.ex. type 28)");
	ck_assert_ptr_null(r.pkt);
	knot_pkt_free(q2);
	ck_assert_int_eq(hs_resolve_check(id, dn("a.ex."), 1, r.buf, n, R, NULL, NULL, NULL, 0),
	                 HS_EINVAL);
	knot_pkt_free(r.q);
}
END_TEST

START_TEST(failures)
{
	struct run r = { 0 };
	ck_assert_int_eq(hs_resolve_query_new(dn("a.ex."), KNOT_RRTYPE_A, &r.q), HS_EOK);
	size_t n = answer(r.q, r.buf, F_AD | F_TC, KNOT_RCODE_NOERROR, NULL);
	ck_assert_int_eq(check(&r, n), HS_ETRUNC);
	ck_assert_str_eq(r.why, "truncated answer (TC) from resolver " R "; retry over TCP");
	ck_assert_ptr_null(r.pkt);

	n = answer(r.q, r.buf, 0, KNOT_RCODE_SERVFAIL, NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_RCODE);
	ck_assert_str_eq(r.why, "resolver " R " answered SERVFAIL (DNSSEC validation failed, "
	                 "or server trouble)");
	n = answer(r.q, r.buf, F_AD, KNOT_RCODE_REFUSED, NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_RCODE);
	ck_assert_str_eq(r.why, "resolver " R " answered REFUSED");

	/* not validated: positive and negative alike */
	n = answer(r.q, r.buf, 0, KNOT_RCODE_NOERROR, "a.ex. 60 IN A 192.0.2.1", NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_NOAD);
	ck_assert_str_eq(r.why, "no AD bit from resolver " R);
	n = answer(r.q, r.buf, 0, KNOT_RCODE_NXDOMAIN, NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_NOAD);
	ck_assert_ptr_null(r.pkt);
	ck_assert_uint_eq(r.rr.rrs.count, 0);
	knot_pkt_free(r.q);
}
END_TEST

START_TEST(negative)
{
	struct run r = { 0 };
	ck_assert_int_eq(hs_resolve_query_new(dn("a.ex."), KNOT_RRTYPE_A, &r.q), HS_EOK);
	const char *soa = "AU ex. 60 IN SOA ns.ex. h.ex. 1 2 3 4 5";
	size_t n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NXDOMAIN, soa, NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_NXDOMAIN);
	ck_assert_str_eq(r.why, "NXDOMAIN (validated) from resolver " R);
	/* the packet comes back for the SOA in the authority section */
	ck_assert_ptr_nonnull(r.pkt);
	const knot_pktsection_t *au = knot_pkt_section(r.pkt, KNOT_AUTHORITY);
	ck_assert_uint_eq(au->count, 1);
	ck_assert_uint_eq(knot_pkt_rr(au, 0)->type, KNOT_RRTYPE_SOA);

	/* NODATA: nothing, another type, or a CNAME to a name without it */
	n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NOERROR, soa, NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_NODATA);
	ck_assert_str_eq(r.why, "no A record (NODATA, validated) from resolver " R);
	ck_assert_ptr_nonnull(r.pkt);
	n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NOERROR, "a.ex. 60 IN TXT x",
	           "a.ex. 60 IN CNAME b.ex.", "c.ex. 60 IN A 192.0.2.1", NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_NODATA);
	ck_assert_uint_eq(r.rr.rrs.count, 0);

	/* more CNAMEs than HS_RESOLVE_MAX_CNAME: not followed to the end */
	n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NOERROR, "a.ex. 1 IN CNAME c1.ex.",
	           "c1.ex. 1 IN CNAME c2.ex.", "c2.ex. 1 IN CNAME c3.ex.", "c3.ex. 1 IN CNAME c4.ex.",
	           "c4.ex. 1 IN CNAME c5.ex.", "c5.ex. 1 IN CNAME c6.ex.", "c6.ex. 1 IN CNAME c7.ex.",
	           "c7.ex. 1 IN CNAME c8.ex.", "c8.ex. 1 IN CNAME c9.ex.", "c9.ex. 1 IN A 192.0.2.1",
	           NULL);
	ck_assert_int_eq(check(&r, n), HS_EDISC_NODATA);
	/* ... while eight are */
	n = answer(r.q, r.buf, F_AD, KNOT_RCODE_NOERROR, "a.ex. 1 IN CNAME c2.ex.",
	           "c2.ex. 1 IN CNAME c3.ex.", "c3.ex. 1 IN CNAME c4.ex.", "c4.ex. 1 IN CNAME c5.ex.",
	           "c5.ex. 1 IN CNAME c6.ex.", "c6.ex. 1 IN CNAME c7.ex.", "c7.ex. 1 IN CNAME c8.ex.",
	           "c8.ex. 1 IN CNAME c9.ex.", "c9.ex. 1 IN A 192.0.2.1", NULL);
	ck_assert_int_eq(check(&r, n), HS_EOK);
	ck_assert(knot_dname_is_equal(r.rr.owner, dn("c9.ex.")));
	knot_rdataset_clear(&r.rr.rrs, NULL);
	knot_pkt_free(r.pkt);
	knot_pkt_free(r.q);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");
	tcase_add_test(tc, query_bytes);
	tcase_add_test(tc, validated_answer);
	tcase_add_test(tc, mismatches);
	tcase_add_test(tc, failures);
	tcase_add_test(tc, negative);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
