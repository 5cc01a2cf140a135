/*
 * Unit tests for agentd/pns.c: the parent zone out of a DS answer, the
 * delegation NS out of a referral, addresses out of A/AAAA answers. The
 * messages are real answers of named 9.18 serving a signed com. with
 * example.com. delegated to ns1.provider-a.test. and ns1.provider-b.test.
 * (DS 12345) and inbw.com. delegated to ns.inbw.com. (glue 192.0.2.53).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/pns.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

/* example.com. NS, no RD: referral, two NS in the authority section */
static const char REF_EXAMPLE[] =
	"123480000001000000020000076578616d706c6503636f6d0000020001c00c000200010000012c0015036e73310a"
	"70726f76696465722d62047465737400c00c000200010000012c0015036e73310a70726f76696465722d61047465"
	"737400";
/* inbw.com. NS: referral with glue */
static const char REF_INBW[] =
	"12348000000100000001000104696e627703636f6d0000020001c00c000200010000012c0005026e73c00cc02600"
	"0100010000012c0004c0000235";
/* example.com. DS with DO: DS and RRSIG(DS) by com. (AA) */
static const char DS_SIGNED[] =
	"123484000001000200000001076578616d706c6503636f6d00002b0001c00c002b00010000012c002430390d0201"
	"23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefc00c002e00010000012c0057002b0d"
	"020000012c6b1c4a8b6b0a4a119f4103636f6d0082ebe26e65697d0ea0554b82330bc2f829b974af9588344628ef"
	"d93e9f5d232446f715de887e9e6dd1f92b62c20f72caff3d5cb53487b579dab4ce77291417e700002904d0000080"
	"000000";
/* nodeleg.com. DS: NXDOMAIN, SOA com. in the authority section (AA) */
static const char DS_NX[] =
	"123484030001000000010000076e6f64656c656703636f6d00002b0001c014000600010000003c0027036e7331c0"
	"140a686f73746d6173746572c0140000000300000e100000038400093a800000003c";
/* com. NS: the server is authoritative for com.: NS in the answer section */
static const char ANS_COM[] =
	"12348400000100010000000103636f6d0000020001c00c000200010000012c0006036e7331c00cc0210001000100"
	"00012c0004c0000201";
/* nodeleg.com. NS: NXDOMAIN (AA) */
static const char NX_NS[] =
	"123484030001000000010000076e6f64656c656703636f6d0000020001c014000600010000003c0027036e7331c0"
	"140a686f73746d6173746572c0140000000300000e100000038400093a800000003c";
/* ns1.com. NS: NODATA (AA) */
static const char NODATA_NS[] =
	"123484000001000000010000036e733103636f6d0000020001c010000600010000003c0023c00c0a686f73746d61"
	"73746572c0100000000300000e100000038400093a800000003c";
/* www.inbw.com. NS: referral to inbw.com. (not AA) */
static const char REF_UP[] =
	"1234800000010000000100010377777704696e627703636f6d0000020001c010000200010000012c0005026e73c0"
	"10c02a000100010000012c0004c0000235";
/* example.org. NS: REFUSED */
static const char REFUSED[] = "123480050001000000000000076578616d706c65036f72670000020001";
/* ns1.com. A 192.0.2.1 and ns1.com. AAAA 2001:db8::53 (written by hand) */
static const char ADDR_A[] =
	"123484000001000100000000036e733103636f6d0000010001c00c000100010000012c0004c0000201";
static const char ADDR_AAAA[] =
	"123484000001000100000000036e733103636f6d00001c0001c00c001c00010000012c001020010db80000000000"
	"00000000000053";

static uint8_t wire[1024];

static knot_pkt_t *pkt_of(const char *hex)
{
	size_t n = strlen(hex) / 2;
	ck_assert_uint_le(n, sizeof(wire));
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		wire[i] = (uint8_t)v;
	}
	knot_pkt_t *p = knot_pkt_new(wire, n, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	return p;
}

static knot_dname_t *dn(const char *s)
{
	static knot_dname_storage_t buf[4];
	static int i;
	i = (i + 1) % 4;
	ck_assert_ptr_nonnull(knot_dname_from_str(buf[i], s, sizeof(buf[i])));
	return buf[i];
}

static void name_is(const knot_dname_t *d, const char *want)
{
	char buf[KNOT_DNAME_TXT_MAXLEN + 1];
	ck_assert_ptr_nonnull(knot_dname_to_str(buf, d, sizeof(buf)));
	ck_assert_str_eq(buf, want);
}

/* The NS names of RR, sorted by rdata, space separated. */
static void ns_are(const knot_rrset_t *rr, const char *want)
{
	char out[512] = "";
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		char t[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(t, knot_ns_name(rd), sizeof(t));
		if (i > 0) {
			strcat(out, " ");
		}
		strcat(out, t);
	}
	ck_assert_str_eq(out, want);
}

START_TEST(parent_from_rrsig)
{
	knot_pkt_t *p = pkt_of(DS_SIGNED);
	knot_dname_storage_t parent;
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("example.com."), parent), HS_EOK);
	name_is(parent, "com.");
	/* the signer must be a proper ancestor of the zone */
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("com."), parent), HS_ENOTFOUND);
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("example.org."), parent), HS_ENOTFOUND);
	knot_pkt_free(p);
}
END_TEST

START_TEST(parent_from_soa)
{
	knot_pkt_t *p = pkt_of(DS_NX);
	knot_dname_storage_t parent;
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("nodeleg.com."), parent), HS_EOK);
	name_is(parent, "com.");
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("a.nodeleg.com."), parent), HS_EOK);
	name_is(parent, "com.");
	/* a SOA owned by the zone itself is the child's, not the parent's */
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("com."), parent), HS_ENOTFOUND);
	knot_pkt_free(p);
}
END_TEST

START_TEST(parent_none)
{
	knot_dname_storage_t parent;
	knot_pkt_t *p = pkt_of(REF_EXAMPLE);   /* no RRSIG, no SOA */
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("example.com."), parent), HS_ENOTFOUND);
	knot_pkt_free(p);
	p = pkt_of(REFUSED);
	ck_assert_int_eq(hs_pns_parent_zone(p, dn("example.org."), parent), HS_ENOTFOUND);
	ck_assert_int_eq(hs_pns_parent_zone(NULL, dn("example.org."), parent), HS_EINVAL);
	knot_pkt_free(p);
}
END_TEST

START_TEST(referral_authority)
{
	knot_pkt_t *p = pkt_of(REF_EXAMPLE);
	knot_rrset_t *ns = NULL;
	hs_pns_kind_t kind = HS_PNS_NONE;
	ck_assert_int_eq(hs_pns_referral(p, dn("EXAMPLE.com."), &ns, &kind), HS_EOK);
	ck_assert_int_eq(kind, HS_PNS_REFERRAL);
	ck_assert_ptr_nonnull(ns);
	name_is(ns->owner, "example.com.");
	ck_assert_uint_eq(ns->type, KNOT_RRTYPE_NS);
	ck_assert_uint_eq(ns->ttl, 300);
	ns_are(ns, "ns1.provider-a.test. ns1.provider-b.test.");
	knot_rrset_free(ns, NULL);
	knot_pkt_free(p);

	p = pkt_of(REF_INBW);
	ck_assert_int_eq(hs_pns_referral(p, dn("inbw.com."), &ns, &kind), HS_EOK);
	ck_assert_int_eq(kind, HS_PNS_REFERRAL);
	ns_are(ns, "ns.inbw.com.");
	knot_rrset_free(ns, NULL);
	knot_pkt_free(p);
}
END_TEST

START_TEST(referral_answer)
{
	knot_pkt_t *p = pkt_of(ANS_COM);
	knot_rrset_t *ns = NULL;
	hs_pns_kind_t kind = HS_PNS_NONE;
	ck_assert_int_eq(hs_pns_referral(p, dn("com."), &ns, &kind), HS_EOK);
	ck_assert_int_eq(kind, HS_PNS_ANSWER);
	ns_are(ns, "ns1.com.");
	knot_rrset_free(ns, NULL);
	knot_pkt_free(p);
}
END_TEST

START_TEST(referral_none)
{
	knot_rrset_t *ns = (knot_rrset_t *)1;
	hs_pns_kind_t kind = HS_PNS_REFERRAL;
	knot_pkt_t *p = pkt_of(NX_NS);
	ck_assert_int_eq(hs_pns_referral(p, dn("nodeleg.com."), &ns, &kind), HS_EOK);
	ck_assert_int_eq(kind, HS_PNS_NONE);
	ck_assert_ptr_null(ns);
	knot_pkt_free(p);
	p = pkt_of(NODATA_NS);
	kind = HS_PNS_REFERRAL;
	ck_assert_int_eq(hs_pns_referral(p, dn("ns1.com."), &ns, &kind), HS_EOK);
	ck_assert_int_eq(kind, HS_PNS_NONE);
	ck_assert_ptr_null(ns);
	knot_pkt_free(p);
}
END_TEST

START_TEST(referral_not_told)
{
	knot_rrset_t *ns = NULL;
	hs_pns_kind_t kind;
	/* a referral to another name (not AA): the server does not tell */
	knot_pkt_t *p = pkt_of(REF_UP);
	ck_assert_int_eq(hs_pns_referral(p, dn("www.inbw.com."), &ns, &kind), HS_ENOTFOUND);
	ck_assert_ptr_null(ns);
	knot_pkt_free(p);
	/* the referral is for example.com., not for another zone */
	p = pkt_of(REF_EXAMPLE);
	ck_assert_int_eq(hs_pns_referral(p, dn("other.com."), &ns, &kind), HS_ENOTFOUND);
	ck_assert_ptr_null(ns);
	knot_pkt_free(p);
	p = pkt_of(REFUSED);
	ck_assert_int_eq(hs_pns_referral(p, dn("example.org."), &ns, &kind), HS_ENOTFOUND);
	ck_assert_int_eq(hs_pns_referral(p, NULL, &ns, &kind), HS_EINVAL);
	knot_pkt_free(p);
}
END_TEST

START_TEST(addrs)
{
	struct sockaddr_storage ss[3];
	size_t n = 0;
	knot_pkt_t *p = pkt_of(ADDR_A);
	ck_assert_int_eq(hs_pns_addrs(p, dn("ns1.com."), KNOT_RRTYPE_A, 53, ss, 3, &n), HS_EOK);
	ck_assert_uint_eq(n, 1);
	const struct sockaddr_in *a = (const struct sockaddr_in *)&ss[0];
	ck_assert_int_eq(a->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(a->sin_port), 53);
	ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0xc0000201);
	/* another name, another type: nothing */
	ck_assert_int_eq(hs_pns_addrs(p, dn("ns2.com."), KNOT_RRTYPE_A, 53, ss, 3, &n), HS_ENOTFOUND);
	ck_assert_int_eq(hs_pns_addrs(p, dn("ns1.com."), KNOT_RRTYPE_AAAA, 53, ss, 3, &n), HS_ENOTFOUND);
	ck_assert_int_eq(hs_pns_addrs(p, dn("ns1.com."), KNOT_RRTYPE_NS, 53, ss, 3, &n), HS_EINVAL);
	ck_assert_uint_eq(n, 1);
	knot_pkt_free(p);
	p = pkt_of(ADDR_AAAA);
	ck_assert_int_eq(hs_pns_addrs(p, dn("ns1.com."), KNOT_RRTYPE_AAAA, 5300, ss, 3, &n), HS_EOK);
	ck_assert_uint_eq(n, 2);
	const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&ss[1];
	ck_assert_int_eq(b->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(b->sin6_port), 5300);
	char t[64];
	ck_assert_str_eq(inet_ntop(AF_INET6, &b->sin6_addr, t, sizeof(t)), "2001:db8::53");
	/* full: the rest is dropped */
	n = 3;
	ck_assert_int_eq(hs_pns_addrs(p, dn("ns1.com."), KNOT_RRTYPE_AAAA, 53, ss, 3, &n), HS_ENOTFOUND);
	ck_assert_uint_eq(n, 3);
	knot_pkt_free(p);
}
END_TEST

START_TEST(kind_names)
{
	ck_assert_str_eq(hs_pns_kind_name(HS_PNS_REFERRAL), "referral");
	ck_assert_str_eq(hs_pns_kind_name(HS_PNS_ANSWER), "answer");
	ck_assert_str_eq(hs_pns_kind_name(HS_PNS_NONE), "no delegation");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pns");
	TCase *tc = tcase_create("pns");
	tcase_add_test(tc, parent_from_rrsig);
	tcase_add_test(tc, parent_from_soa);
	tcase_add_test(tc, parent_none);
	tcase_add_test(tc, referral_authority);
	tcase_add_test(tc, referral_answer);
	tcase_add_test(tc, referral_none);
	tcase_add_test(tc, referral_not_told);
	tcase_add_test(tc, addrs);
	tcase_add_test(tc, kind_names);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
