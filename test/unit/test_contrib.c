/* Unit tests for combinerd/contrib.c (contributions, RFC 2136 UPDATE, JSON state) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "combinerd/contrib.h"
#include "combinerd/journal.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"
#include "test/unit/comb_test.h"

#define APEX ((const knot_dname_t *)"\x07""example")

#define KEY1 "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="
#define KEY2 "256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA=="
#define KEY3 "256 3 13 zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs8ex9y5zFzbH2vWSfbxWG4yNSNMDn3tkVc4tcuF4JzmA=="

/* ---- a tiny UPDATE message builder -------------------------------------------- */

typedef struct {
	uint8_t w[8192];
	size_t len;
	knot_pkt_t *pkt;
} msg_t;

static void m_u16(msg_t *m, uint16_t v)
{
	m->w[m->len++] = (uint8_t)(v >> 8);
	m->w[m->len++] = (uint8_t)v;
}

static void m_name(msg_t *m, const char *text)
{
	knot_dname_t *d = knot_dname_from_str_alloc(text);
	ck_assert_ptr_nonnull(d);
	size_t l = knot_dname_size(d);
	memcpy(m->w + m->len, d, l);
	m->len += l;
	knot_dname_free(d, NULL);
}

/* Header and zone section (zone, type, class). Counts are set by m_done. */
static void m_begin(msg_t *m, const char *zone, uint16_t qtype, uint16_t qclass)
{
	memset(m, 0, sizeof(*m));
	m_u16(m, 0x1234);
	m->w[2] = KNOT_OPCODE_UPDATE << 3;
	m->len = 12;
	m_name(m, zone);
	m_u16(m, qtype);
	m_u16(m, qclass);
	m->w[5] = 1;
}

/* One RR: "owner ttl TYPE rdata" parsed by zscanner; class and ttl forced. */
static void m_rr(msg_t *m, int section, const char *text, uint16_t rclass, long ttl)
{
	zs_scanner_t s;
	ck_assert_int_eq(zs_init(&s, T_ORIGIN, KNOT_CLASS_IN, 3600), 0);
	ck_assert_int_eq(zs_set_input_string(&s, text, strlen(text)), 0);
	ck_assert_int_eq(zs_parse_record(&s), 0);
	ck_assert_int_eq(s.state, ZS_STATE_DATA);
	memcpy(m->w + m->len, s.r_owner, s.r_owner_length);
	m->len += s.r_owner_length;
	m_u16(m, s.r_type);
	m_u16(m, rclass);
	uint32_t t = ttl >= 0 ? (uint32_t)ttl : s.r_ttl;
	m_u16(m, (uint16_t)(t >> 16));
	m_u16(m, (uint16_t)t);
	m_u16(m, (uint16_t)s.r_data_length);
	memcpy(m->w + m->len, s.r_data, s.r_data_length);
	m->len += s.r_data_length;
	zs_deinit(&s);
	m->w[5 + 2 * section]++;
}

/* An RR without RDATA (delete RRset / prerequisite on existence). */
static void m_empty(msg_t *m, int section, const char *owner, uint16_t type, uint16_t rclass,
                    uint32_t ttl)
{
	m_name(m, owner);
	m_u16(m, type);
	m_u16(m, rclass);
	m_u16(m, (uint16_t)(ttl >> 16));
	m_u16(m, (uint16_t)ttl);
	m_u16(m, 0);
	m->w[5 + 2 * section]++;
}

static knot_pkt_t *m_done(msg_t *m)
{
	m->pkt = knot_pkt_new(m->w, (uint16_t)m->len, NULL);
	ck_assert_ptr_nonnull(m->pkt);
	int ret = knot_pkt_parse(m->pkt, 0);
	ck_assert_msg(ret == KNOT_EOK, "knot_pkt_parse: %s (%zu bytes, counts %u %u %u)",
	              knot_strerror(ret), m->len, m->w[5], m->w[7], m->w[9]);
	return m->pkt;
}

#define PRE 1
#define UPD 2

/* The combined view used for prerequisites. */
static hs_zone_t *view_zone(void)
{
	return t_zone("@ 3600 SOA ns1 host 1 7200 3600 1209600 300\n"
	              "@ 3600 NS ns1\n"
	              "@ 3600 NS ns2\n"
	              "www 300 A 192.0.2.1\n");
}

/* A fresh path under /tmp (malloc'd). */
static char *state_path(const char *name)
{
	char *path = malloc(256);
	snprintf(path, 256, "/tmp/hs-contrib-%d-%s.json", (int)getpid(), name);
	unlink(path);
	return path;
}

static int run(hs_contrib_t *c, msg_t *m, hs_zone_t *view, const char *path, uint16_t *rcode,
               hs_contrib_report_t *rep, char *why)
{
	int ret = hs_contrib_update(c, m_done(m), view, "agent-key.", path, rcode, rep, why, 256);
	knot_pkt_free(m->pkt);
	return ret;
}

/* ---- tests ---------------------------------------------------------------------- */

START_TEST(replace_and_persist)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	char *path = state_path("replace");
	msg_t m;
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(&m, UPD, "example.", KNOT_RRTYPE_DNSKEY, KNOT_CLASS_ANY, 0);
	m_rr(&m, UPD, "@ 3600 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
	m_rr(&m, UPD, "@ 3600 DNSKEY " KEY2, KNOT_CLASS_IN, -1);
	m_rr(&m, UPD, "@ 300 NS ns3.provider.net.", KNOT_CLASS_IN, -1);
	uint16_t rcode = 99;
	char why[256];
	hs_contrib_report_t rep = { 0 };
	hs_zone_t *view = view_zone();
	ck_assert_int_eq(run(c, &m, view, path, &rcode, &rep, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(hs_contrib_count(c), 2);
	knot_rrset_t rr;
	const char *from = NULL;
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_DNSKEY, &rr, &from), 0);
	ck_assert_uint_eq(rr.rrs.count, 2);
	ck_assert_str_eq(from, "agent-key.");
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_CDS, &rr, NULL), HS_ENOTFOUND);
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_A, &rr, NULL), HS_EINVAL);
	/* The report, for the log line. */
	ck_assert_uint_eq(rep.n, 2);
	ck_assert_uint_eq(rep.d[0].type, KNOT_RRTYPE_NS);
	ck_assert(!rep.d[1].before && rep.d[1].after);
	char line[512];
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "NS contributed: +ns3.provider.net.; DNSKEY contributed: +34505 +2371");
	hs_contrib_report_clear(&rep);

	/* On disk: reload gives the same store; saving it again gives the same bytes. */
	hs_contrib_t *back = NULL;
	char err[256];
	ck_assert_int_eq(hs_contrib_load(APEX, path, &back, err, sizeof(err)), 0);
	ck_assert(hs_contrib_equal(c, back));
	ck_assert_int_eq(hs_contrib_get(back, KNOT_RRTYPE_DNSKEY, &rr, &from), 0);
	ck_assert_str_eq(from, "agent-key.");
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	ck_assert_int_eq(hs_state_read(path, &a, &al), 0);
	ck_assert_ptr_nonnull(strstr((char *)a, "\"format\": \"hsync-contributions-1\""));
	char *path2 = state_path("replace2");
	ck_assert_int_eq(hs_contrib_save(back, path2), 0);
	ck_assert_int_eq(hs_state_read(path2, &b, &bl), 0);
	ck_assert_uint_eq(al, bl);
	ck_assert(memcmp(a, b, al) == 0);
	free(a);
	free(b);

	/* Replace the keys: delete RRset, add one: exactly that one remains. */
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(&m, UPD, "example.", KNOT_RRTYPE_DNSKEY, KNOT_CLASS_ANY, 0);
	m_rr(&m, UPD, "@ 3600 DNSKEY " KEY3, KNOT_CLASS_IN, -1);
	ck_assert_int_eq(run(c, &m, view, path, &rcode, &rep, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NOERROR);
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_DNSKEY, &rr, NULL), 0);
	ck_assert_uint_eq(rr.rrs.count, 1);
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "DNSKEY +23005 -34505 -2371");
	hs_contrib_report_clear(&rep);

	/* The same again: NOERROR, no change, empty report. */
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, UPD, "@ 3600 DNSKEY " KEY3, KNOT_CLASS_IN, -1);
	ck_assert_int_eq(run(c, &m, view, path, &rcode, &rep, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(rep.n, 0);
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "no change");

	hs_contrib_free(back);
	hs_contrib_free(c);
	hs_zone_free(view);
	unlink(path);
	unlink(path2);
	free(path);
	free(path2);
}
END_TEST

START_TEST(delete_semantics)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	msg_t m;
	uint16_t rcode;
	char why[256], line[512];
	hs_contrib_report_t rep = { 0 };
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, UPD, "@ 3600 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
	m_rr(&m, UPD, "@ 3600 DNSKEY " KEY2, KNOT_CLASS_IN, -1);
	m_rr(&m, UPD, "@ 0 CDS 4609 13 2 0000000000000000000000000000000000000000000000000000000000000000", KNOT_CLASS_IN, -1);
	ck_assert_int_eq(run(c, &m, NULL, NULL, &rcode, NULL, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NOERROR);
	ck_assert_uint_eq(hs_contrib_count(c), 2);

	/* Class NONE removes one RR. */
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, UPD, "@ DNSKEY " KEY1, KNOT_CLASS_NONE, 0);
	ck_assert_int_eq(run(c, &m, NULL, NULL, &rcode, &rep, why), 0);
	knot_rrset_t rr;
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_DNSKEY, &rr, NULL), 0);
	ck_assert_uint_eq(rr.rrs.count, 1);
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "DNSKEY -2371");
	hs_contrib_report_clear(&rep);

	/* Removing the last RR withdraws the contribution (owner's again). */
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, UPD, "@ DNSKEY " KEY2, KNOT_CLASS_NONE, 0);
	m_rr(&m, UPD, "@ DNSKEY " KEY3, KNOT_CLASS_NONE, 0); /* not there: no error */
	ck_assert_int_eq(run(c, &m, NULL, NULL, &rcode, &rep, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NOERROR);
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_DNSKEY, &rr, NULL), HS_ENOTFOUND);
	ck_assert(rep.d[0].before && !rep.d[0].after);
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "DNSKEY withdrawn (owner's again): -34505");
	hs_contrib_report_clear(&rep);

	/* Class ANY withdraws a whole contribution. */
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(&m, UPD, "example.", KNOT_RRTYPE_CDS, KNOT_CLASS_ANY, 0);
	ck_assert_int_eq(run(c, &m, NULL, NULL, &rcode, &rep, why), 0);
	ck_assert_uint_eq(hs_contrib_count(c), 0);
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "CDS withdrawn (owner's again): -4609");
	hs_contrib_report_clear(&rep);
	hs_contrib_free(c);
}
END_TEST

/* Every refusal leaves the store and its file as they were. */
static void expect_refused(void (*build)(msg_t *), uint16_t want, const char *why_part)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	knot_rrset_t *k = knot_rrset_new(APEX, KNOT_RRTYPE_CDS, KNOT_CLASS_IN, 60, NULL);
	uint8_t rd[] = { 0, 1, 13, 2, 0xaa };
	knot_rrset_add_rdata(k, rd, sizeof(rd), NULL);
	ck_assert_int_eq(hs_contrib_set(c, k, "x"), 0);
	knot_rrset_free(k, NULL);
	char *path = state_path("refused");
	ck_assert_int_eq(hs_contrib_save(c, path), 0);
	uint8_t *before = NULL, *after = NULL;
	size_t bl, al;
	ck_assert_int_eq(hs_state_read(path, &before, &bl), 0);
	hs_contrib_t *copy = NULL;
	ck_assert_int_eq(hs_contrib_copy(c, &copy), 0);

	msg_t m;
	build(&m);
	uint16_t rcode = 99;
	char why[256];
	hs_zone_t *view = view_zone();
	hs_contrib_report_t rep = { 0 };
	ck_assert_int_eq(run(c, &m, view, path, &rcode, &rep, why), 0);
	ck_assert_msg(rcode == want, "rcode %u, want %u (%s)", rcode, want, why);
	ck_assert_msg(strstr(why, why_part) != NULL, "why: %s", why);
	ck_assert_uint_eq(rep.n, 0);
	ck_assert(hs_contrib_equal(c, copy));
	ck_assert_int_eq(hs_state_read(path, &after, &al), 0);
	ck_assert(bl == al && memcmp(before, after, bl) == 0);
	free(before);
	free(after);
	hs_zone_free(view);
	hs_contrib_free(copy);
	hs_contrib_free(c);
	unlink(path);
	free(path);
}

static void b_other_type(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "@ 300 A 192.0.2.9", KNOT_CLASS_IN, -1);
}

static void b_soa(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "@ 300 SOA a b 5 1 1 1 1", KNOT_CLASS_IN, -1);
}

static void b_other_owner(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "www 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void b_out_of_zone(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "example.net. 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void b_other_zone(msg_t *m)
{
	m_begin(m, "example.net.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "example.net. 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void b_zone_class(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_CH);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void b_zone_type(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_A, KNOT_CLASS_IN);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void b_mixed(msg_t *m)
{
	/* Good RRs around one bad one: nothing at all is applied. */
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, UPD, "example.", KNOT_RRTYPE_CDS, KNOT_CLASS_ANY, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
	m_rr(m, UPD, "@ 300 TXT \"no\"", KNOT_CLASS_IN, -1);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY2, KNOT_CLASS_IN, -1);
}

static void b_delete_any(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, UPD, "example.", KNOT_RRTYPE_ANY, KNOT_CLASS_ANY, 0);
}

static void b_any_ttl(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, UPD, "example.", KNOT_RRTYPE_CDS, KNOT_CLASS_ANY, 5);
}

static void b_any_rdata(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "@ DNSKEY " KEY1, KNOT_CLASS_ANY, 0);
}

static void b_none_ttl(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "@ DNSKEY " KEY1, KNOT_CLASS_NONE, 60);
}

static void b_class_ch(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, UPD, "@ 60 DNSKEY " KEY1, KNOT_CLASS_CH, -1);
}

static void b_add_meta(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, UPD, "example.", KNOT_RRTYPE_ANY, KNOT_CLASS_IN, 0);
}

/* Prerequisites (against the view: SOA, NS ns1 ns2, www A; plus contributed CDS). */
static void p_nxrrset(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, PRE, "example.", KNOT_RRTYPE_CDNSKEY, KNOT_CLASS_ANY, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void p_yxrrset(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, PRE, "example.", KNOT_RRTYPE_CDS, KNOT_CLASS_NONE, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void p_nxdomain(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, PRE, "nowhere.example.", KNOT_RRTYPE_ANY, KNOT_CLASS_ANY, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void p_yxdomain(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, PRE, "www.example.", KNOT_RRTYPE_ANY, KNOT_CLASS_NONE, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void p_value_mismatch(msg_t *m)
{
	/* The view's NS set is {ns1, ns2}: {ns1} alone does not match. */
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(m, PRE, "@ NS ns1", KNOT_CLASS_IN, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void p_ttl(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, PRE, "example.", KNOT_RRTYPE_NS, KNOT_CLASS_ANY, 10);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

static void p_notzone(msg_t *m)
{
	m_begin(m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_empty(m, PRE, "example.net.", KNOT_RRTYPE_NS, KNOT_CLASS_ANY, 0);
	m_rr(m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
}

START_TEST(refusals)
{
	expect_refused(b_other_type, KNOT_RCODE_REFUSED, "only NS, DNSKEY");
	expect_refused(b_soa, KNOT_RCODE_REFUSED, "only NS, DNSKEY");
	expect_refused(b_other_owner, KNOT_RCODE_REFUSED, "only the apex");
	expect_refused(b_out_of_zone, KNOT_RCODE_NOTZONE, "outside the zone");
	expect_refused(b_other_zone, KNOT_RCODE_NOTAUTH, "not authoritative for zone example.net.");
	expect_refused(b_zone_class, KNOT_RCODE_NOTAUTH, "not authoritative");
	expect_refused(b_zone_type, KNOT_RCODE_FORMERR, "not SOA");
	expect_refused(b_mixed, KNOT_RCODE_REFUSED, "TXT");
	expect_refused(b_delete_any, KNOT_RCODE_REFUSED, "only NS, DNSKEY");
	expect_refused(b_any_ttl, KNOT_RCODE_FORMERR, "bad RRset delete");
	expect_refused(b_any_rdata, KNOT_RCODE_FORMERR, "bad RRset delete");
	expect_refused(b_none_ttl, KNOT_RCODE_FORMERR, "bad RR delete");
	expect_refused(b_class_ch, KNOT_RCODE_FORMERR, "another class");
}
END_TEST

/* knot_pkt_parse() refuses an RR of class IN without RDATA (KNOT_EMALF), so
 * such an UPDATE never reaches hs_contrib_update(): the daemon answers FORMERR. */
START_TEST(meta_type_unparseable)
{
	msg_t m;
	b_add_meta(&m);
	knot_pkt_t *pkt = knot_pkt_new(m.w, (uint16_t)m.len, NULL);
	ck_assert_int_eq(knot_pkt_parse(pkt, 0), KNOT_EMALF);
	knot_pkt_free(pkt);
}
END_TEST

START_TEST(prerequisites)
{
	expect_refused(p_nxrrset, KNOT_RCODE_NXRRSET, "does not exist");
	expect_refused(p_yxrrset, KNOT_RCODE_YXRRSET, "RRset exists");
	expect_refused(p_nxdomain, KNOT_RCODE_NXDOMAIN, "not in use");
	expect_refused(p_yxdomain, KNOT_RCODE_YXDOMAIN, "in use");
	expect_refused(p_value_mismatch, KNOT_RCODE_NXRRSET, "differs");
	expect_refused(p_ttl, KNOT_RCODE_FORMERR, "TTL not 0");
	expect_refused(p_notzone, KNOT_RCODE_NOTZONE, "outside the zone");

	/* Prerequisites that hold: the update goes through. */
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	hs_zone_t *view = view_zone();
	msg_t m;
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, PRE, "@ NS ns1", KNOT_CLASS_IN, 0);
	m_rr(&m, PRE, "@ NS ns2", KNOT_CLASS_IN, 0);
	m_empty(&m, PRE, "www.example.", KNOT_RRTYPE_A, KNOT_CLASS_ANY, 0);
	m_empty(&m, PRE, "www.example.", KNOT_RRTYPE_ANY, KNOT_CLASS_ANY, 0);
	m_empty(&m, PRE, "nowhere.example.", KNOT_RRTYPE_ANY, KNOT_CLASS_NONE, 0);
	m_empty(&m, PRE, "example.", KNOT_RRTYPE_DNSKEY, KNOT_CLASS_NONE, 0);
	m_rr(&m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
	uint16_t rcode = 99;
	char why[256];
	ck_assert_int_eq(run(c, &m, view, NULL, &rcode, NULL, why), 0);
	ck_assert_msg(rcode == KNOT_RCODE_NOERROR, "%u %s", rcode, why);
	/* Now the contributed DNSKEY is part of the view for prerequisites. */
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, PRE, "@ DNSKEY " KEY1, KNOT_CLASS_IN, 0);
	m_rr(&m, UPD, "@ 300 DNSKEY " KEY2, KNOT_CLASS_IN, -1);
	ck_assert_int_eq(run(c, &m, view, NULL, &rcode, NULL, why), 0);
	ck_assert_msg(rcode == KNOT_RCODE_NOERROR, "%u %s", rcode, why);
	hs_zone_free(view);
	hs_contrib_free(c);
}
END_TEST

/* RRSIGs at one name covering two types (with their own TTLs, as the zone
 * keeps them): an RRSIG prerequisite (RFC 2136 3.2.3) is the whole RRSIG
 * RRset at the name, so naming both holds and naming one does not. */
#define SIG_A   "RRSIG A 13 2 300 20300101000000 20200101000000 12345 example. AAAA"
#define SIG_TXT "RRSIG TXT 13 2 900 20300101000000 20200101000000 12345 example. BBBB"
START_TEST(prerequisite_rrsig)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	hs_zone_t *view = t_zone("@ 3600 SOA ns1 host 1 7200 3600 1209600 300\n"
	                         "@ 3600 NS ns1\n"
	                         "www 300 A 192.0.2.1\n"
	                         "www 900 TXT \"x\"\n"
	                         "www 300 " SIG_A "\n"
	                         "www 900 " SIG_TXT "\n");
	uint16_t rcode = 99;
	char why[256];
	msg_t m;
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, PRE, "www " SIG_TXT, KNOT_CLASS_IN, 0);
	m_rr(&m, PRE, "www " SIG_A, KNOT_CLASS_IN, 0);
	m_rr(&m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
	ck_assert_int_eq(run(c, &m, view, NULL, &rcode, NULL, why), 0);
	ck_assert_msg(rcode == KNOT_RCODE_NOERROR, "%u %s", rcode, why);

	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, PRE, "www " SIG_A, KNOT_CLASS_IN, 0);
	m_rr(&m, UPD, "@ 300 DNSKEY " KEY2, KNOT_CLASS_IN, -1);
	ck_assert_int_eq(run(c, &m, view, NULL, &rcode, NULL, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NXRRSET);
	hs_zone_free(view);
	hs_contrib_free(c);
}
END_TEST

START_TEST(write_failure_changes_nothing)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	msg_t m;
	m_begin(&m, "example.", KNOT_RRTYPE_SOA, KNOT_CLASS_IN);
	m_rr(&m, UPD, "@ 300 DNSKEY " KEY1, KNOT_CLASS_IN, -1);
	uint16_t rcode = 99;
	char why[256];
	int ret = run(c, &m, NULL, "/nonexistent-dir/x/contrib.json", &rcode, NULL, why);
	ck_assert_int_eq(ret, HS_EIO);
	ck_assert_uint_eq(rcode, KNOT_RCODE_SERVFAIL);
	ck_assert_uint_eq(hs_contrib_count(c), 0);
	hs_contrib_free(c);
}
END_TEST

START_TEST(load_corrupt)
{
	static const struct {
		const char *file;
		const char *reason;
	} cases[] = {
		{ "comb-contrib-notjson.json", "line" },
		{ "comb-contrib-format.json", "format is not" },
		{ "comb-contrib-zone.json", "zone is not this zone" },
		{ "comb-contrib-type.json", "type is not one of the five" },
		{ "comb-contrib-base64.json", "rdata[0]: bad RDATA" },
		{ "comb-contrib-nsname.json", "rdata[0]: bad RDATA" },
		{ "comb-contrib-twice.json", "DNSKEY twice" },
		{ "comb-contrib-ttl.json", "bad ttl" },
		{ "comb-contrib-empty.json", "non-empty array" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hs_contrib_t *c = (hs_contrib_t *)1;
		char err[256] = "";
		int ret = hs_contrib_load(APEX, hs_testdata(cases[i].file), &c, err, sizeof(err));
		ck_assert_msg(ret == HS_ESYNTAX, "%s: %d", cases[i].file, ret);
		ck_assert_msg(strstr(err, cases[i].reason) != NULL, "%s: %s", cases[i].file, err);
		ck_assert_ptr_eq(c, (hs_contrib_t *)1);
	}
	/* A good file, and a missing one (first start: empty). */
	hs_contrib_t *c = NULL;
	char err[256] = "";
	ck_assert_int_eq(hs_contrib_load(APEX, hs_testdata("comb-contrib-good.json"), &c, err,
	                                 sizeof(err)), 0);
	ck_assert_uint_eq(hs_contrib_count(c), 2);
	knot_rrset_t rr;
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_NS, &rr, NULL), 0);
	ck_assert_uint_eq(rr.rrs.count, 2);
	ck_assert_uint_eq(rr.ttl, 300);
	/* Written back, it is the same file byte for byte (the format is fixed). */
	char *path = state_path("good");
	ck_assert_int_eq(hs_contrib_save(c, path), 0);
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	ck_assert_int_eq(hs_state_read(path, &a, &al), 0);
	ck_assert_int_eq(hs_state_read(hs_testdata("comb-contrib-good.json"), &b, &bl), 0);
	ck_assert_uint_eq(al, bl);
	ck_assert(memcmp(a, b, al) == 0);
	free(a);
	free(b);
	unlink(path);
	free(path);
	hs_contrib_free(c);
	ck_assert_int_eq(hs_contrib_load(APEX, "/nonexistent-hsync-file.json", &c, err,
	                                 sizeof(err)), 0);
	ck_assert_uint_eq(hs_contrib_count(c), 0);
	hs_contrib_free(c);
}
END_TEST

START_TEST(set_rules)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	knot_rrset_t *a = knot_rrset_new((const knot_dname_t *)"\x03""www\x07""example",
	                                 KNOT_RRTYPE_NS, KNOT_CLASS_IN, 60, NULL);
	knot_rrset_add_rdata(a, (const uint8_t *)"\x02""ns\x07""example", 12, NULL);
	ck_assert_int_eq(hs_contrib_set(c, a, NULL), KNOT_EOUTOFZONE);
	a->type = KNOT_RRTYPE_A;
	ck_assert_int_eq(hs_contrib_set(c, a, NULL), HS_EINVAL);
	ck_assert(!hs_contrib_type_ok(KNOT_RRTYPE_SOA));
	ck_assert(hs_contrib_type_ok(KNOT_RRTYPE_CSYNC));
	knot_rrset_free(a, NULL);
	hs_contrib_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("contrib");
	TCase *tc = tcase_create("contrib");
	tcase_add_test(tc, replace_and_persist);
	tcase_add_test(tc, delete_semantics);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, meta_type_unparseable);
	tcase_add_test(tc, prerequisites);
	tcase_add_test(tc, prerequisite_rrsig);
	tcase_add_test(tc, write_failure_changes_nothing);
	tcase_add_test(tc, load_corrupt);
	tcase_add_test(tc, set_rules);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
