/* Unit tests for libhsync/rr.c: HSYNC and DSYNC RDATA, generic form, line converter. */
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"
#include "test/unit/unit.h"

/* DESIGN.md test vectors. */
#define HSYNC_TEXT "ON OWNER SIGN identity.providerA. agent.zone.owner."
#define HSYNC_HEX "010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200"
#define DSYNC_TEXT "ANY UPDATE 5302 ddns-receiver.parent."
#define DSYNC_HEX "00ff0214b60d64646e732d726563656976657206706172656e7400"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void name(uint8_t *dst, const char *txt)
{
	ck_assert_ptr_nonnull(knot_dname_from_str(dst, txt, KNOT_DNAME_MAXLEN));
}

/* ---- test vectors, both directions ---- */

START_TEST(hsync_vector_text_to_wire)
{
	uint8_t want[64], got[HS_HSYNC_WIRE_MAX];
	size_t wlen = unhex(HSYNC_HEX, want), glen = 0;
	ck_assert_uint_eq(wlen, 41);
	ck_assert_int_eq(hs_rr_rdata_from_text(HS_RRTYPE_HSYNC, HSYNC_TEXT, NULL, got, sizeof(got), &glen), HS_EOK);
	ck_assert_uint_eq(glen, 41);
	ck_assert_mem_eq(got, want, 41);
	/* the generic form of the vector reads to the same bytes */
	ck_assert_int_eq(hs_rr_rdata_from_text(HS_RRTYPE_HSYNC, "\\# 41 " HSYNC_HEX, NULL, got, sizeof(got), &glen), HS_EOK);
	ck_assert_uint_eq(glen, 41);
	ck_assert_mem_eq(got, want, 41);
}
END_TEST

START_TEST(hsync_vector_wire_to_text)
{
	uint8_t w[64];
	size_t n = unhex(HSYNC_HEX, w);
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_rr_rdata_to_text(HS_RRTYPE_HSYNC, w, n, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, HSYNC_TEXT);
	ck_assert_int_eq(hs_rr_rdata_to_generic(w, n, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "\\# 41 " HSYNC_HEX);
}
END_TEST

START_TEST(hsync_vector_struct)
{
	uint8_t w[64], back[HS_HSYNC_WIRE_MAX];
	size_t n = unhex(HSYNC_HEX, w), blen;
	hs_hsync_t h;
	ck_assert_int_eq(hs_hsync_from_wire(&h, w, n), HS_EOK);
	ck_assert_uint_eq(h.state, HS_HSYNC_STATE_ON);
	ck_assert_uint_eq(h.nsmgmt, HS_HSYNC_NSMGMT_OWNER);
	ck_assert_uint_eq(h.sign, HS_HSYNC_SIGN_SIGN);
	/* the struct holds names lower-cased */
	knot_dname_storage_t id, up;
	name(id, "identity.providera.");
	name(up, "agent.zone.owner.");
	ck_assert_mem_eq(h.identity, id, knot_dname_size(id));
	ck_assert_mem_eq(h.upstream, up, knot_dname_size(up));
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_hsync_to_text(&h, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "ON OWNER SIGN identity.providera. agent.zone.owner.");
	/* re-encoded: the vector, with the one upper-case letter lowered */
	ck_assert_int_eq(hs_hsync_to_wire(&h, back, sizeof(back), &blen), HS_EOK);
	w[21] = 'a';
	ck_assert_uint_eq(blen, 41);
	ck_assert_mem_eq(back, w, 41);
	/* from text, the same */
	hs_hsync_t h2;
	ck_assert_int_eq(hs_hsync_from_text(&h2, HSYNC_TEXT), HS_EOK);
	ck_assert_mem_eq(&h2, &h, sizeof(h));
	ck_assert_int_eq(hs_hsync_from_text(&h2, "\\# 41 " HSYNC_HEX), HS_EOK);
	ck_assert_mem_eq(&h2, &h, sizeof(h));
}
END_TEST

START_TEST(dsync_vector_both_ways)
{
	uint8_t want[64], got[HS_DSYNC_WIRE_MAX];
	size_t wlen = unhex(DSYNC_HEX, want), glen;
	ck_assert_uint_eq(wlen, 27);
	ck_assert_int_eq(hs_rr_rdata_from_text(HS_RRTYPE_DSYNC, DSYNC_TEXT, NULL, got, sizeof(got), &glen), HS_EOK);
	ck_assert_uint_eq(glen, 27);
	ck_assert_mem_eq(got, want, 27);
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_rr_rdata_to_text(HS_RRTYPE_DSYNC, want, wlen, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, DSYNC_TEXT);
	ck_assert_int_eq(hs_rr_rdata_to_generic(want, wlen, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "\\# 27 " DSYNC_HEX);

	hs_dsync_t d;
	ck_assert_int_eq(hs_dsync_from_wire(&d, want, wlen), HS_EOK);
	ck_assert_uint_eq(d.rrtype, KNOT_RRTYPE_ANY);
	ck_assert_uint_eq(d.scheme, HS_DSYNC_SCHEME_UPDATE);
	ck_assert_uint_eq(d.port, 5302);
	ck_assert_int_eq(hs_dsync_to_wire(&d, got, sizeof(got), &glen), HS_EOK);
	ck_assert_uint_eq(glen, 27);
	ck_assert_mem_eq(got, want, 27);
	ck_assert_int_eq(hs_dsync_to_text(&d, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, DSYNC_TEXT);
	hs_dsync_t d2;
	ck_assert_int_eq(hs_dsync_from_text(&d2, DSYNC_TEXT), HS_EOK);
	ck_assert_mem_eq(&d2, &d, sizeof(d));
	ck_assert_int_eq(hs_dsync_from_text(&d2, "\\# 27 " DSYNC_HEX), HS_EOK);
	ck_assert_mem_eq(&d2, &d, sizeof(d));
}
END_TEST

/* ---- HSYNC text ---- */

START_TEST(hsync_text_variants)
{
	hs_hsync_t h;
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_hsync_from_text(&h, "on agent nosign A.Example. ."), HS_EOK);
	ck_assert_uint_eq(h.state, 1);
	ck_assert_uint_eq(h.nsmgmt, 2);
	ck_assert_uint_eq(h.sign, 2);
	ck_assert_int_eq(hs_hsync_to_text(&h, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "ON AGENT NOSIGN a.example. .");
	ck_assert_int_eq(hs_hsync_from_text(&h, "  Off\tOwner ( Sign\n x. y. ) "), HS_EOK);
	ck_assert_uint_eq(h.state, 2);
	ck_assert_int_eq(hs_hsync_from_text(&h, "2 1 2 x. y."), HS_EOK);
	ck_assert_uint_eq(h.state, 2);
	ck_assert_uint_eq(h.nsmgmt, 1);
	ck_assert_uint_eq(h.sign, 2);
	/* private values, written back as numbers */
	ck_assert_int_eq(hs_hsync_from_text(&h, "128 255 200 x. ."), HS_EOK);
	ck_assert_int_eq(hs_hsync_to_text(&h, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "128 255 200 x. .");
	/* escapes in names */
	ck_assert_int_eq(hs_hsync_from_text(&h, "ON AGENT SIGN a\\.b.example. ."), HS_EOK);
	ck_assert_int_eq(hs_hsync_to_text(&h, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "ON AGENT SIGN a\\.b.example. .");
}
END_TEST

static const struct { const char *text; int code; } hsync_bad_text[] = {
	{ "", HS_ETRUNC },
	{ "ON", HS_ETRUNC },
	{ "ON AGENT", HS_ETRUNC },
	{ "ON AGENT SIGN", HS_ETRUNC },
	{ "ON AGENT SIGN a.", HS_ETRUNC },
	{ "ON AGENT SIGN a. . b.", HS_ETRAIL },
	{ "0 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "3 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "127 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "256 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "-1 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "+1 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "0x1 AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "ONN AGENT SIGN a. .", HS_EHSYNC_STATE },
	{ "ON AGENT "
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  "SIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGNSIGN"
	  " a. .", HS_EHSYNC_SIGN },
	{ "ON 0 SIGN a. .", HS_EHSYNC_NSMGMT },
	{ "ON SIGN SIGN a. .", HS_EHSYNC_NSMGMT },
	{ "ON AGENT 0 a. .", HS_EHSYNC_SIGN },
	{ "ON AGENT OWNER a. .", HS_EHSYNC_SIGN },
	{ "ON AGENT SIGN a..b. .", HS_EHSYNC_IDENTITY },
	{ "ON AGENT SIGN relative .", HS_EHSYNC_IDENTITY },
	{ "ON AGENT SIGN @ .", HS_EHSYNC_IDENTITY },
	{ "ON AGENT SIGN a. b", HS_EHSYNC_UPSTREAM },
	{ "ON AGENT SIGN a. b..", HS_EHSYNC_UPSTREAM },
	{ "ON AGENT SIGN a. "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", HS_EHSYNC_UPSTREAM },
	{ "\\#", HS_ETRUNC },
	{ "\\# x 01", HS_ESYNTAX },
	{ "\\# 41 " HSYNC_HEX "00", HS_ETRAIL },
	{ "\\# 42 " HSYNC_HEX, HS_ETRUNC },
	{ "\\# 41 " HSYNC_HEX "0", HS_ESYNTAX },
	{ "\\# 2 0g", HS_ESYNTAX },
	{ "\\# 0", HS_ETRUNC },
	{ "\\# 3 010101", HS_ETRUNC },
	{ "\\# 5 0001010000", HS_EHSYNC_STATE },
	{ "\\# 6 01010100000000", HS_ETRAIL },
};

START_TEST(hsync_text_bad)
{
	hs_hsync_t h;
	const char *t = hsync_bad_text[_i].text;
	int rc = hs_hsync_from_text(&h, t);
	ck_assert_msg(rc == hsync_bad_text[_i].code, "'%s': got %d (%s), want %d (%s)", t,
	              rc, hs_strerror(rc), hsync_bad_text[_i].code, hs_strerror(hsync_bad_text[_i].code));
}
END_TEST

/* ---- HSYNC wire ---- */

static const struct { const char *hex; int code; } hsync_bad_wire[] = {
	{ "", HS_ETRUNC },
	{ "01", HS_ETRUNC },
	{ "0101", HS_ETRUNC },
	{ "010101", HS_ETRUNC },
	{ "01010100", HS_ETRUNC },                 /* no upstream */
	{ "0001010000", HS_EHSYNC_STATE },
	{ "0301010000", HS_EHSYNC_STATE },
	{ "7f01010000", HS_EHSYNC_STATE },
	{ "0100010000", HS_EHSYNC_NSMGMT },
	{ "0103010000", HS_EHSYNC_NSMGMT },
	{ "0101000000", HS_EHSYNC_SIGN },
	{ "010101c00300", HS_EHSYNC_IDENTITY },    /* compressed */
	{ "0101014161", HS_EHSYNC_IDENTITY },      /* label type 01 */
	{ "01010181", HS_EHSYNC_IDENTITY },        /* label type 10 */
	{ "0101010361", HS_ETRUNC },               /* label runs past the end */
	{ "01010100c000", HS_EHSYNC_UPSTREAM },
	{ "0101010000ff", HS_ETRAIL },
	{ "010101000000", HS_ETRAIL },
};

START_TEST(hsync_wire_bad)
{
	uint8_t w[64];
	size_t n = unhex(hsync_bad_wire[_i].hex, w);
	hs_hsync_t h;
	int rc = hs_hsync_from_wire(&h, w, n);
	int want = hsync_bad_wire[_i].code;
	ck_assert_msg(rc == want, "%s: got %d (%s), want %d", hsync_bad_wire[_i].hex, rc,
	              hs_strerror(rc), want);
}
END_TEST

START_TEST(hsync_wire_limits)
{
	/* a 255-byte identity is fine, 256 is not */
	uint8_t w[600];
	size_t n = 0;
	w[n++] = 1; w[n++] = 2; w[n++] = 1;
	for (int i = 0; i < 4; i++) {
		w[n++] = i < 3 ? 63 : 61;
		memset(w + n, 'a', i < 3 ? 63 : 61);
		n += i < 3 ? 63 : 61;
	}
	w[n++] = 0;   /* 3 * 64 + 62 + 1 = 255 */
	w[n++] = 0;
	hs_hsync_t h;
	ck_assert_int_eq(hs_hsync_from_wire(&h, w, n), HS_EOK);
	uint8_t back[HS_HSYNC_WIRE_MAX];
	size_t blen;
	ck_assert_int_eq(hs_hsync_to_wire(&h, back, sizeof(back), &blen), HS_EOK);
	ck_assert_uint_eq(blen, n);
	ck_assert_mem_eq(back, w, n);
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_hsync_to_text(&h, t, sizeof(t)), HS_EOK);
	/* one more byte in the last label: 256 */
	w[3 + 3 * 64] = 62;
	memmove(w + 3 + 3 * 64 + 1 + 62, w + 3 + 3 * 64 + 1 + 61, 2);
	w[3 + 3 * 64 + 1 + 61] = 'a';
	ck_assert_int_eq(hs_hsync_from_wire(&h, w, n + 1), HS_EHSYNC_IDENTITY);
	ck_assert_int_eq(hs_hsync_from_wire(NULL, w, n), HS_EINVAL);
	/* smallest: identity "a.", upstream root */
	uint8_t small[] = { 1, 1, 1, 1, 'a', 0, 0 };
	ck_assert_int_eq(hs_hsync_from_wire(&h, small, sizeof(small)), HS_EOK);
}
END_TEST

START_TEST(hsync_encode_checks)
{
	hs_hsync_t h;
	uint8_t w[HS_HSYNC_WIRE_MAX];
	size_t n;
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_hsync_from_text(&h, HSYNC_TEXT), HS_EOK);
	ck_assert_int_eq(hs_hsync_to_wire(&h, w, 40, &n), HS_ESPACE);
	ck_assert_int_eq(hs_hsync_to_wire(&h, w, 2, &n), HS_ESPACE);
	ck_assert_int_eq(hs_hsync_to_wire(&h, w, 41, &n), HS_EOK);
	ck_assert_int_eq(hs_hsync_to_text(&h, t, 10), HS_ESPACE);
	ck_assert_int_eq(hs_hsync_to_text(&h, t, strlen(HSYNC_TEXT)), HS_ESPACE);
	ck_assert_int_eq(hs_hsync_to_text(&h, t, strlen(HSYNC_TEXT) + 1), HS_EOK);
	hs_hsync_t bad = h;
	bad.state = 0;
	ck_assert_int_eq(hs_hsync_to_wire(&bad, w, sizeof(w), &n), HS_EHSYNC_STATE);
	ck_assert_int_eq(hs_hsync_to_text(&bad, t, sizeof(t)), HS_EHSYNC_STATE);
	bad = h;
	bad.nsmgmt = 5;
	ck_assert_int_eq(hs_hsync_to_wire(&bad, w, sizeof(w), &n), HS_EHSYNC_NSMGMT);
	bad = h;
	bad.sign = 127;
	ck_assert_int_eq(hs_hsync_to_wire(&bad, w, sizeof(w), &n), HS_EHSYNC_SIGN);
	bad = h;
	bad.identity[0] = 0xc0;
	ck_assert_int_eq(hs_hsync_to_wire(&bad, w, sizeof(w), &n), HS_EHSYNC_IDENTITY);
	ck_assert_int_eq(hs_hsync_to_text(&bad, t, sizeof(t)), HS_EHSYNC_IDENTITY);
	bad = h;
	memset(bad.upstream, 1, sizeof(bad.upstream));  /* never ends */
	ck_assert_int_eq(hs_hsync_to_wire(&bad, w, sizeof(w), &n), HS_EHSYNC_UPSTREAM);
}
END_TEST

/* ---- DSYNC ---- */

START_TEST(dsync_text_variants)
{
	hs_dsync_t d;
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_dsync_from_text(&d, "cds notify 53 X.Example."), HS_EOK);
	ck_assert_uint_eq(d.rrtype, KNOT_RRTYPE_CDS);
	ck_assert_uint_eq(d.scheme, HS_DSYNC_SCHEME_NOTIFY);
	ck_assert_int_eq(hs_dsync_to_text(&d, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "CDS NOTIFY 53 x.example.");
	ck_assert_int_eq(hs_dsync_from_text(&d, "TYPE59 2 0 ."), HS_EOK);
	ck_assert_uint_eq(d.rrtype, 59);
	ck_assert_uint_eq(d.port, 0);
	ck_assert_int_eq(hs_dsync_to_text(&d, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "CDS UPDATE 0 .");
	ck_assert_int_eq(hs_dsync_from_text(&d, "65000 200 65535 a."), HS_EOK);
	ck_assert_int_eq(hs_dsync_to_text(&d, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "TYPE65000 200 65535 a.");
	ck_assert_int_eq(hs_dsync_from_text(&d, "csync UPDATE 5302 a."), HS_EOK);
	ck_assert_uint_eq(d.rrtype, KNOT_RRTYPE_CSYNC);
	ck_assert_int_eq(hs_dsync_from_text(&d, "HSYNC UPDATE 5302 a."), HS_EOK);
	ck_assert_uint_eq(d.rrtype, HS_RRTYPE_HSYNC);
	ck_assert_int_eq(hs_dsync_to_text(&d, t, sizeof(t)), HS_EOK);
	ck_assert_str_eq(t, "HSYNC UPDATE 5302 a.");
}
END_TEST

static const struct { const char *text; int code; } dsync_bad_text[] = {
	{ "", HS_ETRUNC },
	{ "ANY", HS_ETRUNC },
	{ "ANY UPDATE", HS_ETRUNC },
	{ "ANY UPDATE 5302", HS_ETRUNC },
	{ "ANY UPDATE 5302 a. b.", HS_ETRAIL },
	{ "0 UPDATE 5302 a.", HS_EDSYNC_TYPE },
	{ "TYPE0 UPDATE 5302 a.", HS_EDSYNC_TYPE },
	{ "NOSUCHTYPE UPDATE 5302 a.", HS_EDSYNC_TYPE },
	{ "65536 UPDATE 5302 a.", HS_EDSYNC_TYPE },
	{ "ANY 0 5302 a.", HS_EDSYNC_SCHEME },
	{ "ANY 256 5302 a.", HS_EDSYNC_SCHEME },
	{ "ANY QUERY 5302 a.", HS_EDSYNC_SCHEME },
	{ "ANY UPDATE 65536 a.", HS_EDSYNC_PORT },
	{ "ANY UPDATE -1 a.", HS_EDSYNC_PORT },
	{ "ANY UPDATE http a.", HS_EDSYNC_PORT },
	{ "ANY UPDATE 5302 a..", HS_EDSYNC_TARGET },
	{ "ANY UPDATE 5302 relative", HS_EDSYNC_TARGET },
	{ "\\# 27 " DSYNC_HEX "00", HS_ETRAIL },
	{ "\\# 4 00ff0214", HS_ETRUNC },
	{ "\\# 6 0000021400 00", HS_EDSYNC_TYPE },
	{ "\\# 6 00ff0014b600", HS_EDSYNC_SCHEME },
};

START_TEST(dsync_text_bad)
{
	hs_dsync_t d;
	const char *t = dsync_bad_text[_i].text;
	int rc = hs_dsync_from_text(&d, t);
	ck_assert_msg(rc == dsync_bad_text[_i].code, "'%s': got %d (%s), want %d (%s)", t,
	              rc, hs_strerror(rc), dsync_bad_text[_i].code, hs_strerror(dsync_bad_text[_i].code));
}
END_TEST

static const struct { const char *hex; int code; } dsync_bad_wire[] = {
	{ "", HS_ETRUNC },
	{ "00ff0214", HS_ETRUNC },
	{ "00ff0214b6", HS_ETRUNC },
	{ "00ff0214b601", HS_ETRUNC },
	{ "00000214b600", HS_EDSYNC_TYPE },
	{ "00ff0014b600", HS_EDSYNC_SCHEME },
	{ "00ff0214b6c000", HS_EDSYNC_TARGET },
	{ "00ff0214b60000", HS_ETRAIL },
	{ "00ff0314b600", HS_EOK },   /* scheme 3: unassigned but valid */
	{ "00ff020000" "00", HS_EOK },
};

START_TEST(dsync_wire_bad)
{
	uint8_t w[64];
	size_t n = unhex(dsync_bad_wire[_i].hex, w);
	hs_dsync_t d;
	int rc = hs_dsync_from_wire(&d, w, n);
	ck_assert_msg(rc == dsync_bad_wire[_i].code, "%s: got %d (%s), want %d", dsync_bad_wire[_i].hex,
	              rc, hs_strerror(rc), dsync_bad_wire[_i].code);
}
END_TEST

START_TEST(dsync_encode_checks)
{
	hs_dsync_t d;
	uint8_t w[HS_DSYNC_WIRE_MAX];
	size_t n;
	char t[HS_RR_TEXT_MAX];
	ck_assert_int_eq(hs_dsync_from_text(&d, DSYNC_TEXT), HS_EOK);
	ck_assert_int_eq(hs_dsync_to_wire(&d, w, 26, &n), HS_ESPACE);
	ck_assert_int_eq(hs_dsync_to_wire(&d, w, 4, &n), HS_ESPACE);
	ck_assert_int_eq(hs_dsync_to_text(&d, t, strlen(DSYNC_TEXT)), HS_ESPACE);
	hs_dsync_t bad = d;
	bad.rrtype = 0;
	ck_assert_int_eq(hs_dsync_to_wire(&bad, w, sizeof(w), &n), HS_EDSYNC_TYPE);
	bad = d;
	bad.scheme = 0;
	ck_assert_int_eq(hs_dsync_to_text(&bad, t, sizeof(t)), HS_EDSYNC_SCHEME);
	bad = d;
	bad.target[0] = 0x40;
	ck_assert_int_eq(hs_dsync_to_wire(&bad, w, sizeof(w), &n), HS_EDSYNC_TARGET);
	ck_assert_int_eq(hs_rr_rdata_to_text(KNOT_RRTYPE_A, w, 4, t, sizeof(t)), HS_EINVAL);
	ck_assert_int_eq(hs_rr_rdata_from_text(KNOT_RRTYPE_A, "1.2.3.4", NULL, w, sizeof(w), &n), HS_EINVAL);
}
END_TEST

START_TEST(rr_types)
{
	uint16_t t;
	char s[32];
	ck_assert_int_eq(hs_rr_type_from_text("hsync", &t), HS_EOK);
	ck_assert_uint_eq(t, HS_RRTYPE_HSYNC);
	ck_assert_int_eq(hs_rr_type_from_text("TYPE65282", &t), HS_EOK);
	ck_assert_uint_eq(t, HS_RRTYPE_HSYNC);
	ck_assert_int_eq(hs_rr_type_from_text("DSync", &t), HS_EOK);
	ck_assert_uint_eq(t, HS_RRTYPE_DSYNC);
	ck_assert_int_eq(hs_rr_type_from_text("dnskey", &t), HS_EOK);
	ck_assert_uint_eq(t, KNOT_RRTYPE_DNSKEY);
	ck_assert_int_eq(hs_rr_type_from_text("48", &t), HS_EOK);
	ck_assert_uint_eq(t, 48);
	ck_assert_int_eq(hs_rr_type_from_text("BOGUS", &t), HS_ESYNTAX);
	ck_assert_int_eq(hs_rr_type_to_text(HS_RRTYPE_HSYNC, s, sizeof(s)), HS_EOK);
	ck_assert_str_eq(s, "HSYNC");
	ck_assert_int_eq(hs_rr_type_to_text(HS_RRTYPE_DSYNC, s, sizeof(s)), HS_EOK);
	ck_assert_str_eq(s, "DSYNC");
	ck_assert_int_eq(hs_rr_type_to_text(KNOT_RRTYPE_CDNSKEY, s, sizeof(s)), HS_EOK);
	ck_assert_str_eq(s, "CDNSKEY");
	ck_assert_int_eq(hs_rr_type_to_text(KNOT_RRTYPE_CDNSKEY, s, 3), HS_ESPACE);
}
END_TEST

/* ---- RRset ---- */

static knot_rrset_t *rrset_of(const char *const *texts)
{
	knot_dname_storage_t owner;
	name(owner, "example.org.");
	knot_rrset_t *rr = knot_rrset_new(owner, HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 3600, NULL);
	ck_assert_ptr_nonnull(rr);
	for (; *texts != NULL; texts++) {
		uint8_t w[HS_HSYNC_WIRE_MAX];
		size_t n;
		if (strncmp(*texts, "hex:", 4) == 0) {
			n = unhex(*texts + 4, w);   /* raw bytes, not checked */
		} else {
			ck_assert_int_eq(hs_rr_rdata_from_text(HS_RRTYPE_HSYNC, *texts, NULL, w, sizeof(w), &n), HS_EOK);
		}
		ck_assert_int_eq(knot_rrset_add_rdata(rr, w, (uint16_t)n, NULL), KNOT_EOK);
	}
	return rr;
}

START_TEST(rrset_checks)
{
	static const char *const good[] = { "ON AGENT SIGN a.example. .", "ON AGENT NOSIGN b.example. a.example.",
	                                     "OFF AGENT SIGN c.example. .", NULL };
	static const char *const mixed[] = { "ON AGENT SIGN a.example. .", "ON OWNER SIGN b.example. .", NULL };
	static const char *const dup[] = { "ON AGENT SIGN a.example. .", "OFF AGENT NOSIGN A.EXAMPLE. .", NULL };
	static const char *const bad[] = { "ON AGENT SIGN a.example. .", "hex:0001010000", NULL };
	static const char *const none[] = { NULL };
	knot_rrset_t *rr = rrset_of(good);
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EOK);
	hs_hsync_t out[3];
	size_t count;
	ck_assert_int_eq(hs_hsync_rrset_decode(rr, out, 3, &count), HS_EOK);
	ck_assert_uint_eq(count, 3);
	ck_assert_int_eq(hs_hsync_rrset_decode(rr, out, 2, &count), HS_ESPACE);
	rr->type = KNOT_RRTYPE_TXT;
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EINVAL);
	knot_rrset_free(rr, NULL);

	rr = rrset_of(mixed);
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EHSYNC_MIXED);
	knot_rrset_free(rr, NULL);
	rr = rrset_of(dup);
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EHSYNC_DUPID);
	knot_rrset_free(rr, NULL);
	rr = rrset_of(bad);
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EHSYNC_STATE);
	knot_rrset_free(rr, NULL);
	rr = rrset_of(none);
	ck_assert_int_eq(hs_hsync_rrset_check(rr), HS_EOK);
	knot_rrset_free(rr, NULL);
	ck_assert_int_eq(hs_hsync_rrset_check(NULL), HS_EINVAL);
}
END_TEST

/* ---- the line converter ---- */

static const struct { int mode; const char *in, *out; } conv_good[] = {
	{ HS_RR_GENERIC, "zone. IN HSYNC " HSYNC_TEXT, "zone. IN TYPE65282 \\# 41 " HSYNC_HEX },
	{ HS_RR_PRESENTATION, "zone. IN TYPE65282 \\# 41 " HSYNC_HEX, "zone. IN HSYNC " HSYNC_TEXT },
	{ HS_RR_PRESENTATION, "zone. 300 IN type65282 \\# 41 " HSYNC_HEX " ; hi", "zone. 300 IN HSYNC " HSYNC_TEXT " ; hi" },
	{ HS_RR_GENERIC, "zone. IN HSYNC \\# 41 " HSYNC_HEX, "zone. IN TYPE65282 \\# 41 " HSYNC_HEX },
	{ HS_RR_PRESENTATION, "zone. HSYNC " HSYNC_TEXT, "zone. HSYNC " HSYNC_TEXT },
	{ HS_RR_GENERIC, "_dsync.parent.\tIN 60\tDSYNC " DSYNC_TEXT, "_dsync.parent.\tIN 60\tTYPE66 \\# 27 " DSYNC_HEX },
	{ HS_RR_PRESENTATION, "_dsync.parent. in TYPE66 \\# 27 " DSYNC_HEX, "_dsync.parent. in DSYNC " DSYNC_TEXT },
	{ HS_RR_GENERIC, "zone. ( IN\n HSYNC ON OWNER ; a\n SIGN identity.providerA. agent.zone.owner. ) ; b",
	  "zone. IN TYPE65282 \\# 41 " HSYNC_HEX " ; a ; b" },
	{ HS_RR_GENERIC, "www.example. 300 IN A 192.0.2.1 ; kept", "www.example. 300 IN A 192.0.2.1 ; kept" },
	{ HS_RR_GENERIC, "ex. SOA ns1.ex. h.ex. (\n 1 2 3 4 5 )", "ex. SOA ns1.ex. h.ex. (\n 1 2 3 4 5 )" },
	{ HS_RR_GENERIC, "", "" },
	{ HS_RR_GENERIC, "   ", "   " },
	{ HS_RR_GENERIC, "; HSYNC ON OWNER", "; HSYNC ON OWNER" },
	{ HS_RR_GENERIC, "$ORIGIN example.", "$ORIGIN example." },
	{ HS_RR_GENERIC, "$TTL 1h", "$TTL 1h" },
	{ HS_RR_GENERIC, "$INCLUDE other.zone", "$INCLUDE other.zone" },
	{ HS_RR_GENERIC, "hsync.example. IN TXT \"HSYNC ON\"", "hsync.example. IN TXT \"HSYNC ON\"" },
};

START_TEST(conv_lines)
{
	char out[4096];
	int rc = hs_rr_line_convert(conv_good[_i].in, conv_good[_i].mode, NULL, out, sizeof(out));
	ck_assert_msg(rc == HS_EOK, "'%s': %s", conv_good[_i].in, hs_strerror(rc));
	ck_assert_str_eq(out, conv_good[_i].out);
}
END_TEST

static const struct { const char *in; int code; const char *detail; } conv_bad[] = {
	{ "www.example. IN A 192.0.2.300", HS_ESYNTAX, "invalid IPv4 address" },
	{ "www.example. IN NOSUCH 1", HS_ESYNTAX, NULL },
	{ "\tIN A 192.0.2.1", HS_ESYNTAX, "record without owner and no previous owner" },
	{ "zone. IN HSYNC ON OWNER SIGN a.", HS_ETRUNC, "HSYNC: data ends too early (truncated)" },
	{ "zone. IN HSYNC ON BOSS SIGN a. .", HS_EHSYNC_NSMGMT, "bad HSYNC NSmgmt (OWNER, AGENT, or 128-255)" },
	{ "zone. IN TYPE65282 \\# 41 " HSYNC_HEX "00", HS_ETRAIL, "HSYNC: trailing bytes after the data" },
	{ "zone. IN DSYNC ANY PUSH 1 a.", HS_EDSYNC_SCHEME, NULL },
	{ "zone. IN TYPE66 \\# 2 00ff", HS_ETRUNC, NULL },
	{ "zone. XX HSYNC " HSYNC_TEXT, HS_ESYNTAX, NULL },
	{ "zone..  HSYNC " HSYNC_TEXT, HS_ESYNTAX, NULL },
	{ "$GENERATE 1-2 a A 1.2.3.$", HS_ESYNTAX, "unknown directive $GENERATE" },
	{ "$ORIGIN bad..", HS_ESYNTAX, NULL },
};

START_TEST(conv_errors)
{
	char out[4096];
	hs_rr_conv_t *c;
	ck_assert_int_eq(hs_rr_conv_new(&c, HS_RR_GENERIC, "example."), HS_EOK);
	int rc = hs_rr_conv_line(c, conv_bad[_i].in, out, sizeof(out));
	ck_assert_msg(rc == conv_bad[_i].code, "'%s': got %d (%s) want %d", conv_bad[_i].in, rc,
	              hs_strerror(rc), conv_bad[_i].code);
	ck_assert_str_ne(hs_rr_conv_detail(c), "");
	if (conv_bad[_i].detail != NULL) {
		ck_assert_str_eq(hs_rr_conv_detail(c), conv_bad[_i].detail);
	}
	hs_rr_conv_free(c);
}
END_TEST

START_TEST(conv_state)
{
	/* $ORIGIN and the last owner carry over from line to line */
	static const char *const in[] = {
		"$ORIGIN example.org.",
		"$TTL 300",
		"@ IN SOA ns1 hostmaster 1 2 3 4 5",
		"\tIN HSYNC ON AGENT SIGN agent.prov Up",
		"\tDSYNC CDS NOTIFY 53 @",
		"$ORIGIN sub.example.org.",
		"x HSYNC ON AGENT SIGN a .",
	};
	static const char *const want[] = {
		"$ORIGIN example.org.",
		"$TTL 300",
		"@ IN SOA ns1 hostmaster 1 2 3 4 5",
		"\tIN TYPE65282 \\# 43 010201056167656e740470726f76076578616d706c65036f72670002557"
		"0076578616d706c65036f726700",
		"\tTYPE66 \\# 18 003b010035076578616d706c65036f726700",
		"$ORIGIN sub.example.org.",
		"x TYPE65282 \\# 23 01020101610373756207" "6578616d706c65036f72670000",
	};
	hs_rr_conv_t *c;
	char out[4096];
	ck_assert_int_eq(hs_rr_conv_new(&c, HS_RR_GENERIC, NULL), HS_EOK);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		int rc = hs_rr_conv_line(c, in[i], out, sizeof(out));
		ck_assert_msg(rc == HS_EOK, "%s: %s", in[i], hs_rr_conv_detail(c));
		ck_assert_str_eq(out, want[i]);
	}
	/* back again; the case of "Up" is kept */
	hs_rr_conv_free(c);
	ck_assert_int_eq(hs_rr_conv_new(&c, HS_RR_PRESENTATION, "example.org."), HS_EOK);
	ck_assert_int_eq(hs_rr_conv_line(c, "@ 1 A 192.0.2.1", out, sizeof(out)), HS_EOK);
	ck_assert_int_eq(hs_rr_conv_line(c, want[3], out, sizeof(out)), HS_EOK);
	ck_assert_str_eq(out, "\tIN HSYNC ON AGENT SIGN agent.prov.example.org. Up.example.org.");
	ck_assert_int_eq(hs_rr_conv_line(c, want[4], out, 10), HS_ESPACE);
	hs_rr_conv_free(c);
	/* no origin: relative RDATA names are errors until $ORIGIN */
	ck_assert_int_eq(hs_rr_line_convert("z. HSYNC ON AGENT SIGN rel .", HS_RR_GENERIC, NULL, out,
	                                    sizeof(out)), HS_EHSYNC_IDENTITY);
	ck_assert_int_eq(hs_rr_line_convert("z. HSYNC ON AGENT SIGN rel .", HS_RR_GENERIC, ".", out,
	                                    sizeof(out)), HS_EOK);
	ck_assert_int_eq(hs_rr_conv_new(&c, HS_RR_GENERIC, NULL), HS_EOK);
	ck_assert_int_eq(hs_rr_conv_line(c, "$ORIGIN .", out, sizeof(out)), HS_EOK);
	ck_assert_int_eq(hs_rr_conv_line(c, "z. HSYNC ON AGENT SIGN rel .", out, sizeof(out)), HS_EOK);
	ck_assert_str_eq(out, "z. TYPE65282 \\# 9 0102010372656c0000");
	hs_rr_conv_free(c);
	ck_assert_int_eq(hs_rr_conv_new(&c, 0, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_rr_conv_new(&c, HS_RR_GENERIC, "bad..origin"), HS_ENAME);
}
END_TEST

START_TEST(line_open)
{
	ck_assert(!hs_rr_line_open("a A 1.2.3.4", 11));
	ck_assert(hs_rr_line_open("a SOA ( 1", 9));
	ck_assert(!hs_rr_line_open("a SOA ( 1\n 2 )", 14));
	ck_assert(!hs_rr_line_open("a TXT \"(\"", 9));
	ck_assert(!hs_rr_line_open("a TXT x ; (", 11));
	ck_assert(hs_rr_line_open("a TXT ( ; )", 11));
	ck_assert(!hs_rr_line_open("a TXT \\(", 8));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rr");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, hsync_vector_text_to_wire);
	tcase_add_test(tc, hsync_vector_wire_to_text);
	tcase_add_test(tc, hsync_vector_struct);
	tcase_add_test(tc, dsync_vector_both_ways);
	suite_add_tcase(s, tc);

	tc = tcase_create("hsync");
	tcase_add_test(tc, hsync_text_variants);
	tcase_add_loop_test(tc, hsync_text_bad, 0, sizeof(hsync_bad_text) / sizeof(hsync_bad_text[0]));
	tcase_add_loop_test(tc, hsync_wire_bad, 0, sizeof(hsync_bad_wire) / sizeof(hsync_bad_wire[0]));
	tcase_add_test(tc, hsync_wire_limits);
	tcase_add_test(tc, hsync_encode_checks);
	tcase_add_test(tc, rrset_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("dsync");
	tcase_add_test(tc, dsync_text_variants);
	tcase_add_loop_test(tc, dsync_text_bad, 0, sizeof(dsync_bad_text) / sizeof(dsync_bad_text[0]));
	tcase_add_loop_test(tc, dsync_wire_bad, 0, sizeof(dsync_bad_wire) / sizeof(dsync_bad_wire[0]));
	tcase_add_test(tc, dsync_encode_checks);
	tcase_add_test(tc, rr_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("convert");
	tcase_add_loop_test(tc, conv_lines, 0, sizeof(conv_good) / sizeof(conv_good[0]));
	tcase_add_loop_test(tc, conv_errors, 0, sizeof(conv_bad) / sizeof(conv_bad[0]));
	tcase_add_test(tc, conv_state);
	tcase_add_test(tc, line_open);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
