/* Unit tests for libhsync/pkt.c: received bytes into a packet that owns its copy. */
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/error.h"
#include "libhsync/pkt.h"
#include "test/unit/unit.h"

/* ID 0x1234, RD, one question: ex. A IN */
static const uint8_t QUERY[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	2, 'e', 'x', 0, 0, 1, 0, 1,
};

START_TEST(parse_owns_copy)
{
	uint8_t buf[sizeof(QUERY)];
	memcpy(buf, QUERY, sizeof(buf));
	knot_pkt_t *p = NULL;
	ck_assert_int_eq(hs_pkt_parse_copy(buf, sizeof(buf), 0, &p), HS_EOK);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_ne(p->wire, buf);
	memset(buf, 0xff, sizeof(buf));   /* the caller's buffer may go away */
	ck_assert_uint_eq(p->size, sizeof(QUERY));
	ck_assert_mem_eq(p->wire, QUERY, sizeof(QUERY));
	ck_assert_uint_eq(knot_wire_get_id(p->wire), 0x1234);
	ck_assert_uint_eq(knot_pkt_qtype(p), KNOT_RRTYPE_A);
	ck_assert_str_eq((const char *)knot_pkt_qname(p), "\x02" "ex");
	knot_pkt_free(p);
}
END_TEST

START_TEST(bad_input)
{
	knot_pkt_t *p = (knot_pkt_t *)1;
	ck_assert_int_eq(hs_pkt_parse_copy(QUERY, 11, 0, &p), HS_EMSG);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(hs_pkt_parse_copy(QUERY, 65536, 0, &p), HS_EMSG);
	ck_assert_int_eq(hs_pkt_parse_copy(NULL, 12, 0, &p), HS_EINVAL);
	ck_assert_int_eq(hs_pkt_parse_copy(QUERY, 12, 0, NULL), HS_EINVAL);
	/* the question cut short: libknot's error, no packet */
	p = (knot_pkt_t *)1;
	int ret = hs_pkt_parse_copy(QUERY, sizeof(QUERY) - 1, 0, &p);
	ck_assert_int_lt(ret, 0);
	ck_assert_int_ne(ret, HS_ENOMEM);
	ck_assert_ptr_null(p);
	/* trailing bytes are refused too */
	uint8_t longer[sizeof(QUERY) + 2];
	memcpy(longer, QUERY, sizeof(QUERY));
	longer[sizeof(QUERY)] = longer[sizeof(QUERY) + 1] = 0;
	ck_assert_int_eq(hs_pkt_parse_copy(longer, sizeof(longer), 0, &p), KNOT_ETRAIL);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(opt_steps)
{
	knot_pkt_t *p = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(p);
	knot_wire_set_id(p->wire, 0x1234);
	knot_wire_set_rd(p->wire);
	ck_assert_int_eq(knot_pkt_put_question(p, (const knot_dname_t *)"\x02" "ex", KNOT_CLASS_IN,
	                                       KNOT_RRTYPE_A), KNOT_EOK);
	knot_rrset_t opt;
	ck_assert_int_eq(hs_pkt_opt_begin(p, 1232, &opt), KNOT_EOK);
	knot_edns_set_do(&opt);
	ck_assert_int_eq(hs_pkt_opt_end(p, &opt, KNOT_EOK), KNOT_EOK);
	static const uint8_t opt_wire[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };
	ck_assert_uint_eq(p->size, sizeof(QUERY) + sizeof(opt_wire));
	ck_assert_uint_eq(knot_wire_get_arcount(p->wire), 1);
	ck_assert_mem_eq(p->wire + 12, QUERY + 12, sizeof(QUERY) - 12);
	ck_assert_mem_eq(p->wire + sizeof(QUERY), opt_wire, sizeof(opt_wire));
	knot_pkt_free(p);

	/* a failure between the steps: passed through, no OPT written, nothing leaks */
	p = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hs_pkt_opt_begin(p, 512, &opt), KNOT_EOK);
	ck_assert_int_eq(hs_pkt_opt_end(p, &opt, KNOT_ESPACE), KNOT_ESPACE);
	ck_assert_uint_eq(knot_wire_get_arcount(p->wire), 0);
	ck_assert_ptr_null(opt.owner);
	knot_pkt_free(p);
	ck_assert_int_eq(hs_pkt_opt_begin(NULL, 512, &opt), HS_EINVAL);
	ck_assert_int_eq(hs_pkt_opt_end(NULL, &opt, KNOT_EOK), HS_EINVAL);
}
END_TEST

START_TEST(query_new)
{
	knot_pkt_t *p = NULL, *q = NULL;
	ck_assert_int_eq(hs_pkt_query_new((const knot_dname_t *)"\x02" "ex", KNOT_RRTYPE_A, &p),
	                 HS_EOK);
	ck_assert_uint_eq(p->size, sizeof(QUERY));
	ck_assert_mem_eq(p->wire + 2, "\0\0", 2);                    /* no flags */
	ck_assert_mem_eq(p->wire + 4, QUERY + 4, sizeof(QUERY) - 4);  /* counts and question */
	/* the ID is random: not the same four times in a row */
	int same = 0;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(hs_pkt_query_new((const knot_dname_t *)"", KNOT_RRTYPE_SOA, &q), HS_EOK);
		same += knot_wire_get_id(q->wire) == knot_wire_get_id(p->wire);
		knot_pkt_free(q);
	}
	ck_assert_int_lt(same, 4);
	knot_pkt_free(p);
	p = (knot_pkt_t *)1;
	ck_assert_int_eq(hs_pkt_query_new(NULL, KNOT_RRTYPE_A, &p), HS_EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc = tcase_create("pkt");
	tcase_add_test(tc, parse_owns_copy);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, opt_steps);
	tcase_add_test(tc, query_new);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
