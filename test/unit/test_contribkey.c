/* Unit tests for combinerd/contrib.c: the apex KEY contribution and its
 * policy switch (hs_contrib_allow_key, combinerd's allow-apex-key). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "combinerd/contrib.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"
#include "test/unit/comb_test.h"

#define APEX ((const knot_dname_t *)"\x07""example")

/* test/data/ddns-keys/Kchild.parent.example.+013+11727.key: key tag 11727 */
#define CKEY "256 3 13 SfkMixRq+lUcrqALBlXmAgJs9JrTshm6nYD2Pjn31JToONT901/IIDK3 " \
             "04nRwJ8TKTwLrgZXsQTRMVLMaBhMgw=="
#define DNSKEY1 "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="

typedef struct {
	uint8_t w[4096];
	size_t len;
	knot_pkt_t *pkt;
} msg_t;

static void m_u16(msg_t *m, uint16_t v)
{
	m->w[m->len++] = (uint8_t)(v >> 8);
	m->w[m->len++] = (uint8_t)v;
}

/* Header and zone section: UPDATE for example. SOA IN. */
static void m_begin(msg_t *m)
{
	memset(m, 0, sizeof(*m));
	m_u16(m, 0x4242);
	m->w[2] = KNOT_OPCODE_UPDATE << 3;
	m->len = 12;
	memcpy(m->w + m->len, APEX, knot_dname_size(APEX));
	m->len += knot_dname_size(APEX);
	m_u16(m, KNOT_RRTYPE_SOA);
	m_u16(m, KNOT_CLASS_IN);
	m->w[5] = 1;
}

/* An update RR from "owner ttl TYPE rdata" text, class forced. */
static void m_rr(msg_t *m, const char *text, uint16_t rclass)
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
	uint32_t ttl = rclass == KNOT_CLASS_IN ? s.r_ttl : 0;
	m_u16(m, (uint16_t)(ttl >> 16));
	m_u16(m, (uint16_t)ttl);
	m_u16(m, (uint16_t)s.r_data_length);
	memcpy(m->w + m->len, s.r_data, s.r_data_length);
	m->len += s.r_data_length;
	zs_deinit(&s);
	m->w[9]++;
}

/* Delete the apex RRset of type (class ANY, no RDATA). */
static void m_del(msg_t *m, uint16_t type)
{
	memcpy(m->w + m->len, APEX, knot_dname_size(APEX));
	m->len += knot_dname_size(APEX);
	m_u16(m, type);
	m_u16(m, KNOT_CLASS_ANY);
	m_u16(m, 0);
	m_u16(m, 0);
	m_u16(m, 0);
	m->w[9]++;
}

static int run(hs_contrib_t *c, msg_t *m, const char *path, uint16_t *rcode,
               hs_contrib_report_t *rep, char *why)
{
	m->pkt = knot_pkt_new(m->w, (uint16_t)m->len, NULL);
	ck_assert_ptr_nonnull(m->pkt);
	ck_assert_int_eq(knot_pkt_parse(m->pkt, 0), KNOT_EOK);
	int ret = hs_contrib_update(c, m->pkt, NULL, "agent.", path, rcode, rep, why, 256);
	knot_pkt_free(m->pkt);
	return ret;
}

static char *state_path(void)
{
	char *path = malloc(256);
	snprintf(path, 256, "/tmp/hs-contribkey-%d.json", (int)getpid());
	unlink(path);
	return path;
}

START_TEST(key_refused_unless_allowed)
{
	hs_contrib_t *c = NULL;
	ck_assert_int_eq(hs_contrib_new(APEX, &c), 0);
	ck_assert(hs_contrib_type_ok(KNOT_RRTYPE_KEY));
	char *path = state_path();
	msg_t m;
	uint16_t rcode = 0;
	char why[256];
	/* a KEY alone, a KEY beside a DNSKEY, a KEY delete: REFUSED, nothing written */
	for (int k = 0; k < 3; k++) {
		m_begin(&m);
		if (k == 1) {
			m_rr(&m, "@ 3600 DNSKEY " DNSKEY1, KNOT_CLASS_IN);
		}
		if (k == 2) {
			m_del(&m, KNOT_RRTYPE_KEY);
		} else {
			m_rr(&m, "@ 3600 KEY " CKEY, KNOT_CLASS_IN);
		}
		ck_assert_int_eq(run(c, &m, path, &rcode, NULL, why), 0);
		ck_assert_uint_eq(rcode, KNOT_RCODE_REFUSED);
		ck_assert_msg(strstr(why, "allow-apex-key yes") != NULL, "why: %s", why);
		ck_assert_uint_eq(hs_contrib_count(c), 0);
		ck_assert_int_eq(access(path, F_OK), -1);
	}
	hs_contrib_allow_key(c, true);
	hs_contrib_allow_key(NULL, true);   /* NULL is fine */
	m_begin(&m);
	m_del(&m, KNOT_RRTYPE_KEY);
	m_rr(&m, "@ 300 KEY " CKEY, KNOT_CLASS_IN);
	hs_contrib_report_t rep = { 0 };
	ck_assert_int_eq(run(c, &m, path, &rcode, &rep, why), 0);
	ck_assert_msg(rcode == KNOT_RCODE_NOERROR, "rcode %u: %s", rcode, why);
	char line[256];
	hs_contrib_report_str(&rep, line, sizeof(line));
	ck_assert_str_eq(line, "KEY contributed: +11727");
	hs_contrib_report_clear(&rep);
	knot_rrset_t rr;
	const char *from = NULL;
	ck_assert_int_eq(hs_contrib_get(c, KNOT_RRTYPE_KEY, &rr, &from), 0);
	ck_assert_uint_eq(rr.rrs.count, 1);
	ck_assert_uint_eq(rr.ttl, 300);
	ck_assert_str_eq(from, "agent.");
	/* copies keep the switch; it is not content */
	hs_contrib_t *copy = NULL;
	ck_assert_int_eq(hs_contrib_copy(c, &copy), 0);
	ck_assert(hs_contrib_equal(c, copy));
	m_begin(&m);
	m_del(&m, KNOT_RRTYPE_KEY);
	ck_assert_int_eq(run(copy, &m, NULL, &rcode, NULL, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_NOERROR);
	ck_assert_int_eq(hs_contrib_get(copy, KNOT_RRTYPE_KEY, &rr, NULL), HS_ENOTFOUND);
	hs_contrib_free(copy);
	/* saved and read back; a store read back does not allow KEY changes */
	hs_contrib_t *back = NULL;
	char err[256] = "";
	ck_assert_int_eq(hs_contrib_load(APEX, path, &back, err, sizeof(err)), 0);
	ck_assert(hs_contrib_equal(c, back));
	m_begin(&m);
	m_del(&m, KNOT_RRTYPE_KEY);
	ck_assert_int_eq(run(back, &m, NULL, &rcode, NULL, why), 0);
	ck_assert_uint_eq(rcode, KNOT_RCODE_REFUSED);
	ck_assert_int_eq(hs_contrib_get(back, KNOT_RRTYPE_KEY, &rr, NULL), 0);
	hs_contrib_free(back);
	unlink(path);
	free(path);
	hs_contrib_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("contribkey");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, key_refused_unless_allowed);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
