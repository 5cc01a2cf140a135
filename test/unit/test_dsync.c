/* Unit tests for agentd/dsync.c: RFC 9859 discovery of the parent's DSYNC UPDATE target. */
#include <errno.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/dsync.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"
#include "test/unit/unit.h"

static knot_dname_t *dn(const char *s)
{
	static knot_dname_storage_t buf[4];
	static int i;
	i = (i + 1) % 4;
	ck_assert_ptr_nonnull(knot_dname_from_str(buf[i], s, sizeof(buf[i])));
	return buf[i];
}

static void qname_is(const hs_dsync_disc_t *d, const char *want)
{
	const knot_dname_t *q = NULL;
	uint16_t t = 0;
	ck_assert_int_eq(hs_dsync_disc_next(d, &q, &t), HS_EOK);
	ck_assert_uint_eq(t, HS_RRTYPE_DSYNC);
	char buf[KNOT_DNAME_TXT_MAXLEN + 1];
	ck_assert_ptr_nonnull(knot_dname_to_str(buf, q, sizeof(buf)));
	ck_assert_str_eq(buf, want);
}

/* Answer to the outstanding query: RCODE, AD, DSYNC records (text) or an SOA owner. */
static size_t answer(hs_dsync_disc_t *d, uint8_t *buf, uint8_t rcode, bool ad,
                     const char **dsync, const char *soa)
{
	knot_pkt_t *q = NULL;
	ck_assert_int_eq(hs_dsync_disc_query(d, &q), HS_EOK);
	ck_assert(knot_wire_get_rd(q->wire));
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	knot_wire_set_id(pkt->wire, knot_wire_get_id(q->wire));
	knot_wire_set_qr(pkt->wire);
	if (ad) {
		knot_wire_set_ad(pkt->wire);
	}
	knot_wire_set_rcode(pkt->wire, rcode);
	ck_assert_int_eq(knot_pkt_put_question(pkt, d->qname, KNOT_CLASS_IN, HS_RRTYPE_DSYNC), KNOT_EOK);
	knot_pkt_free(q);
	ck_assert_int_eq(knot_pkt_begin(pkt, KNOT_ANSWER), KNOT_EOK);
	knot_rrset_t *rr = knot_rrset_new(d->qname, HS_RRTYPE_DSYNC, KNOT_CLASS_IN, 300, NULL);
	for (size_t i = 0; dsync != NULL && dsync[i] != NULL; i++) {
		uint8_t rd[HS_DSYNC_WIRE_MAX];
		size_t len = 0;
		ck_assert_int_eq(hs_rr_rdata_from_text(HS_RRTYPE_DSYNC, dsync[i], NULL, rd, sizeof(rd), &len), HS_EOK);
		ck_assert_int_eq(knot_rrset_add_rdata(rr, rd, len, NULL), KNOT_EOK);
	}
	if (rr->rrs.count > 0) {
		ck_assert_int_eq(knot_pkt_put(pkt, 0, rr, 0), KNOT_EOK);
	}
	knot_rrset_t *s = NULL;
	if (soa != NULL) {
		ck_assert_int_eq(knot_pkt_begin(pkt, KNOT_AUTHORITY), KNOT_EOK);
		s = knot_rrset_new(dn(soa), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 300, NULL);
		static const uint8_t soard[] = "\x02ns\x00\x02hm\x00" "\0\0\0\1" "\0\0\0\2" "\0\0\0\3" "\0\0\0\4" "\0\0\0\5";
		ck_assert_int_eq(knot_rrset_add_rdata(s, soard, sizeof(soard) - 1, NULL), KNOT_EOK);
		ck_assert_int_eq(knot_pkt_put(pkt, 0, s, 0), KNOT_EOK);
	}
	size_t n = pkt->size;
	memcpy(buf, pkt->wire, n);
	knot_rrset_free(rr, NULL);
	knot_rrset_free(s, NULL);
	knot_pkt_free(pkt);
	return n;
}

static const char *UPD[] = { "NS NOTIFY 53 notify.parent.example.", "ANY UPDATE 5302 ddns.parent.example.", NULL };

static void target_is(const hs_dsync_disc_t *d, const char *target, uint16_t port, const char *parent)
{
	ck_assert_int_eq(hs_dsync_disc_state(d), HS_DSYNC_DONE);
	const hs_dsync_result_t *r = hs_dsync_disc_result(d);
	ck_assert_ptr_nonnull(r);
	char buf[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(buf, r->dsync.target, sizeof(buf));
	ck_assert_str_eq(buf, target);
	ck_assert_uint_eq(r->dsync.port, port);
	ck_assert_uint_eq(r->dsync.scheme, HS_DSYNC_SCHEME_UPDATE);
	knot_dname_to_str(buf, r->parent, sizeof(buf));
	ck_assert_str_eq(buf, parent);
}

START_TEST(two_labels_below)
{
	hs_dsync_disc_t d;
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("a.b.parent.example."), dn("parent.example."), "127.0.0.1#53"), HS_EOK);
	qname_is(&d, "a.b._dsync.parent.example.");
	size_t n = answer(&d, buf, KNOT_RCODE_NOERROR, true, UPD, NULL);
	ck_assert_msg(hs_dsync_disc_feed(&d, buf, n) == HS_EOK, "%s", hs_dsync_disc_reason(&d));
	target_is(&d, "ddns.parent.example.", 5302, "parent.example.");
	ck_assert(!hs_dsync_disc_result(&d)->wildcard);
}
END_TEST

START_TEST(wildcard)
{
	hs_dsync_disc_t d;
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("a.b.parent.example."), dn("parent.example."), NULL), HS_EOK);
	/* an empty non-terminal hides the wildcard: NXDOMAIN in the zone _dsync.parent.example. */
	size_t n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, "_dsync.parent.example.");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	qname_is(&d, "*._dsync.parent.example.");
	static const char *two[] = { "CDS UPDATE 5400 b.parent.example.", "CDS UPDATE 5400 a.parent.example.", NULL };
	n = answer(&d, buf, KNOT_RCODE_NOERROR, true, two, NULL);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	target_is(&d, "a.parent.example.", 5400, "parent.example.");
	ck_assert(hs_dsync_disc_result(&d)->wildcard);

	/* and a wildcard at the parent with nothing under it: no target for us */
	hs_dsync_disc_restart(&d);
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, "parent.example.");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	qname_is(&d, "*._dsync.parent.example.");
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, "parent.example.");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_NXDOMAIN);
	ck_assert_int_eq(hs_dsync_disc_state(&d), HS_DSYNC_FAILED);
	ck_assert_ptr_nonnull(strstr(hs_dsync_disc_reason(&d), "parent.example."));
}
END_TEST

START_TEST(walk_up)
{
	hs_dsync_disc_t d;
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	/* parent not known: start at b.parent.example., which is no zone */
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("a.b.parent.example."), NULL, NULL), HS_EOK);
	qname_is(&d, "a._dsync.b.parent.example.");
	size_t n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, "parent.example.");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	ck_assert_int_eq(hs_dsync_disc_state(&d), HS_DSYNC_ASK);
	qname_is(&d, "a.b._dsync.parent.example.");
	n = answer(&d, buf, KNOT_RCODE_NOERROR, true, UPD, NULL);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	target_is(&d, "ddns.parent.example.", 5302, "parent.example.");

	/* without an SOA in the answers: wildcard, then one label up */
	hs_dsync_disc_restart(&d);
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, NULL);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	qname_is(&d, "*._dsync.b.parent.example.");
	n = answer(&d, buf, KNOT_RCODE_NOERROR, true, NULL, NULL);   /* NODATA */
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	qname_is(&d, "a.b._dsync.parent.example.");
}
END_TEST

START_TEST(no_ad)
{
	hs_dsync_disc_t d;
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("a.b.parent.example."), dn("parent.example."), "r"), HS_EOK);
	size_t n = answer(&d, buf, KNOT_RCODE_NOERROR, false, UPD, NULL);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_NOAD);
	ck_assert_int_eq(hs_dsync_disc_state(&d), HS_DSYNC_FAILED);
	ck_assert_ptr_null(hs_dsync_disc_result(&d));
	ck_assert_ptr_nonnull(strstr(hs_dsync_disc_reason(&d), "no AD bit"));
	/* a negative answer without AD is no reason to walk up either */
	hs_dsync_disc_restart(&d);
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, false, NULL, "example.");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_NOAD);
}
END_TEST

START_TEST(other_failures)
{
	hs_dsync_disc_t d;
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("c.example."), NULL, NULL), HS_EOK);
	qname_is(&d, "c._dsync.example.");
	/* a stray answer (other ID) leaves the state */
	size_t n = answer(&d, buf, KNOT_RCODE_NOERROR, true, UPD, NULL);
	knot_wire_set_id(buf, knot_wire_get_id(buf) + 1);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_MISMATCH);
	ck_assert_int_eq(hs_dsync_disc_state(&d), HS_DSYNC_ASK);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, 5), HS_EDISC_MISMATCH);
	/* only NOTIFY records: no UPDATE target */
	static const char *notify[] = { "CDS NOTIFY 53 n.example.", NULL };
	n = answer(&d, buf, KNOT_RCODE_NOERROR, true, notify, NULL);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_DATA);
	hs_dsync_disc_restart(&d);
	n = answer(&d, buf, KNOT_RCODE_SERVFAIL, false, NULL, NULL);
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_RCODE);
	hs_dsync_disc_restart(&d);
	ck_assert_int_eq(hs_dsync_disc_timeout(&d), -ETIMEDOUT);
	/* walking up past the root */
	hs_dsync_disc_restart(&d);
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, ".");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	qname_is(&d, "c.example._dsync.");
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, ".");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EOK);
	qname_is(&d, "*._dsync.");
	n = answer(&d, buf, KNOT_RCODE_NXDOMAIN, true, NULL, ".");
	ck_assert_int_eq(hs_dsync_disc_feed(&d, buf, n), HS_EDISC_NXDOMAIN);
	/* bad arguments */
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("."), NULL, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("a.example."), dn("other."), NULL), HS_EINVAL);
	ck_assert_int_eq(hs_dsync_disc_init(&d, dn("a.example."), dn("a.example."), NULL), HS_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dsync");
	TCase *tc = tcase_create("discovery");
	tcase_add_test(tc, two_labels_below);
	tcase_add_test(tc, wildcard);
	tcase_add_test(tc, walk_up);
	tcase_add_test(tc, no_ad);
	tcase_add_test(tc, other_failures);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
