/*
 * Unit tests for hsyncd/change.c, on the signed zones test/data/apex-*.zone
 * (made by test/data/apex-make.sh: KSK 41359, ZSK1 11815, ZSK2 41496).
 */
#include <string.h>
#include <jansson.h>
#include <libknot/libknot.h>

#include "hsyncd/apex.h"
#include "hsyncd/change.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

#define Z "zone.example.: "

typedef struct {
	char *l[256];
	size_t n;
} lines_t;

static void collect(const char *line, void *ctx)
{
	lines_t *ls = ctx;
	ck_assert_uint_lt(ls->n, 256);
	ls->l[ls->n++] = strdup(line);
}

static void lines_free(lines_t *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->l[i]);
	ls->n = 0;
}

static bool has(const lines_t *ls, const char *line)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->l[i], line) == 0)
			return true;
	return false;
}

static size_t count_prefix(const lines_t *ls, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < ls->n; i++)
		n += strncmp(ls->l[i], prefix, strlen(prefix)) == 0;
	return n;
}

static void dump(const lines_t *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		fprintf(stderr, "  | %s\n", ls->l[i]);
}

#define ck_has(ls, line) ck_assert_msg(has(ls, line), "missing line: %s", line), (void)0

static const knot_dname_t *zone_name(void)
{
	return (const knot_dname_t *)"\x04zone\x07" "example";
}

static hs_apex_t *load(const char *name)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata(name), zone_name()), HS_EOK);
	return a;
}

/* Diff two zone files; lines and JSON lines into *h and *j (may be NULL). */
static void diff_files(hs_change_t *c, const char *old, const char *new, lines_t *h, lines_t *j)
{
	hs_apex_t *a = old ? load(old) : NULL, *b = new ? load(new) : NULL;
	ck_assert_int_eq(hs_change_diff(c, a, b), HS_EOK);
	if (h != NULL)
		ck_assert_int_eq(hs_change_lines(c, collect, h), HS_EOK);
	if (j != NULL)
		ck_assert_int_eq(hs_change_json(c, collect, j), HS_EOK);
	hs_apex_free(a);
	hs_apex_free(b);
}

#define BIT(s) (1u << (s))

START_TEST(hsync_added)
{
	hs_change_t c;
	lines_t h = { 0 };
	diff_files(&c, "apex-v1.zone", "apex-v2.zone", &h, NULL);
	dump(&h);
	ck_has(&h, Z "SOA serial 2026010101 -> 2026010102");
	ck_has(&h, Z "HSYNC agent.providerc. added: ON OWNER SIGN upstream .");
	ck_has(&h, Z "NS ns3.provider-c.example. added");
	ck_assert_uint_eq(count_prefix(&h, Z "HSYNC"), 1);
	ck_assert_uint_eq(count_prefix(&h, Z "NS "), 1);
	ck_assert_uint_eq(count_prefix(&h, Z "DNSKEY"), 0);
	ck_assert_uint_eq(c.mask, BIT(HS_APEX_SOA) | BIT(HS_APEX_NS) | BIT(HS_APEX_HSYNC));
	ck_assert_uint_eq(hs_change_notify_mask(&c), BIT(HS_APEX_NS) | BIT(HS_APEX_HSYNC));
	ck_assert_int_eq(c.hsync_error, 0);
	ck_assert(!c.first);
	const hs_change_item_t *it = hs_change_item(&c, HS_APEX_HSYNC, false);
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->added.count, 1);
	ck_assert_uint_eq(it->removed.count, 0);
	ck_assert_ptr_null(hs_change_item(&c, HS_APEX_DNSKEY, false));
	ck_assert_ptr_nonnull(hs_change_item(&c, HS_APEX_DNSKEY, true));  /* re-signed */
	uint16_t types[8];
	ck_assert_uint_eq(hs_change_mask_types(hs_change_notify_mask(&c), types, 8), 2);
	ck_assert_uint_eq(types[0], KNOT_RRTYPE_NS);
	ck_assert_uint_eq(types[1], HS_RRTYPE_HSYNC);
	lines_free(&h);
	hs_change_clear(&c);
	ck_assert(hs_change_empty(&c));
}
END_TEST

START_TEST(hsync_changed_and_removed)
{
	hs_change_t c;
	lines_t h = { 0 };
	diff_files(&c, "apex-v2.zone", "apex-v3.zone", &h, NULL);
	dump(&h);
	ck_has(&h, Z "HSYNC agent.providerb. changed: ON OWNER SIGN upstream . -> OFF OWNER SIGN upstream .");
	ck_assert_uint_eq(count_prefix(&h, Z "HSYNC"), 1);
	ck_assert_uint_eq(hs_change_notify_mask(&c), BIT(HS_APEX_HSYNC));
	lines_free(&h);
	hs_change_clear(&c);

	diff_files(&c, "apex-v3.zone", "apex-v4.zone", &h, NULL);
	dump(&h);
	ck_has(&h, Z "HSYNC agent.providerc. removed: ON OWNER SIGN upstream .");
	ck_has(&h, Z "DNSKEY 41496 (ZSK, alg 13) added");
	ck_assert_uint_eq(count_prefix(&h, Z "DNSKEY"), 1);
	ck_assert_uint_eq(hs_change_notify_mask(&c), BIT(HS_APEX_DNSKEY) | BIT(HS_APEX_HSYNC));
	lines_free(&h);
	hs_change_clear(&c);
}
END_TEST

START_TEST(dnskey_roll)
{
	hs_change_t c;
	lines_t h = { 0 };
	diff_files(&c, "apex-v4.zone", "apex-v5.zone", &h, NULL);
	dump(&h);
	ck_has(&h, Z "DNSKEY 11815 (ZSK, alg 13) removed");
	ck_has(&h, Z "SOA serial 2026010104 -> 2026010105");
	ck_assert_uint_eq(hs_change_notify_mask(&c), BIT(HS_APEX_DNSKEY));
	/* ZSK2 now signs: RRSIGs over SOA by 41496 replace those by 11815. */
	ck_has(&h, Z "RRSIG SOA: 1 added (key 41496), 1 removed (key 11815)");
	lines_free(&h);
	hs_change_clear(&c);

	/* The KSK going away, by hand. */
	hs_apex_t *a = load("apex-v1.zone"), *b = NULL;
	ck_assert_int_eq(hs_apex_clone(&b, a), HS_EOK);
	knot_rrset_t keys;
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_DNSKEY, &keys), HS_EOK);
	knot_rdata_t *rd = keys.rrs.rdata;
	for (int i = 0; i < keys.rrs.count; i++, rd = knot_rdataset_next(rd))
		if (rd->data[1] & 1)
			ck_assert_int_eq(hs_apex_remove_rr(b, zone_name(), KNOT_RRTYPE_DNSKEY,
			                                   KNOT_CLASS_IN, rd->data, rd->len), HS_EOK);
	ck_assert_int_eq(hs_change_diff(&c, a, b), HS_EOK);
	ck_assert_int_eq(hs_change_lines(&c, collect, &h), HS_EOK);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_str_eq(h.l[0], Z "DNSKEY 41359 (KSK, alg 13) removed");
	lines_free(&h);
	hs_change_clear(&c);
	hs_apex_free(a);
	hs_apex_free(b);
}
END_TEST

START_TEST(rrsig_only)
{
	hs_change_t c;
	lines_t h = { 0 };
	diff_files(&c, "apex-v1.zone", "apex-v1b.zone", &h, NULL);
	dump(&h);
	ck_assert(!hs_change_empty(&c));
	ck_assert_uint_eq(c.mask, 0);
	ck_assert_uint_eq(hs_change_notify_mask(&c), 0);
	ck_assert_uint_eq(c.sig_mask, BIT(HS_APEX_SOA) | BIT(HS_APEX_NS) | BIT(HS_APEX_DNSKEY) |
	                  BIT(HS_APEX_CDS) | BIT(HS_APEX_CDNSKEY) | BIT(HS_APEX_HSYNC));
	ck_assert_uint_eq(h.n, 6);
	ck_assert_uint_eq(count_prefix(&h, Z "RRSIG "), 6);
	ck_has(&h, Z "RRSIG DNSKEY: 1 added (key 41359), 1 removed (key 41359)");
	ck_has(&h, Z "RRSIG NS: 1 added (key 11815), 1 removed (key 11815)");
	lines_free(&h);
	hs_change_clear(&c);

	/* Same state twice: nothing at all. */
	hs_apex_t *a = load("apex-v1.zone");
	ck_assert_int_eq(hs_change_diff(&c, a, a), HS_EOK);
	ck_assert(hs_change_empty(&c));
	ck_assert_int_eq(hs_change_lines(&c, collect, &h), HS_EOK);
	ck_assert_int_eq(hs_change_json(&c, collect, &h), HS_EOK);
	ck_assert_uint_eq(h.n, 0);
	hs_apex_free(a);
}
END_TEST

START_TEST(hsync_invalid)
{
	hs_change_t c;
	lines_t h = { 0 }, j = { 0 };
	diff_files(&c, "apex-v1.zone", "apex-bad.zone", &h, &j);
	dump(&h);
	dump(&j);
	ck_assert_int_eq(c.hsync_error, HS_EHSYNC_MIXED);
	ck_assert_int_eq(c.hsync_old_error, 0);
	ck_assert(c.mask & BIT(HS_APEX_HSYNC));
	ck_assert(!(hs_change_notify_mask(&c) & BIT(HS_APEX_HSYNC)));
	ck_assert(hs_change_notify_mask(&c) & BIT(HS_APEX_DNSKEY));
	char want[256];
	snprintf(want, sizeof(want), Z "HSYNC RRset invalid (%s): not passed on as the owner's intent",
	         hs_strerror(HS_EHSYNC_MIXED));
	ck_has(&h, want);
	ck_has(&h, Z "HSYNC agent.providerc. added: ON AGENT SIGN upstream .");
	ck_has(&h, Z "HSYNC agent.providerb. removed: ON OWNER SIGN upstream .");
	bool seen = false;
	for (size_t i = 0; i < j.n; i++) {
		json_t *o = json_loads(j.l[i], 0, NULL);
		ck_assert_ptr_nonnull(o);
		if (strcmp(json_string_value(json_object_get(o, "type")), "HSYNC") == 0) {
			seen = true;
			ck_assert(json_is_false(json_object_get(o, "valid")));
			ck_assert_str_eq(json_string_value(json_object_get(o, "reason")),
			                 hs_strerror(HS_EHSYNC_MIXED));
		}
		json_decref(o);
	}
	ck_assert(seen);
	lines_free(&h);
	lines_free(&j);
	hs_change_clear(&c);

	diff_files(&c, "apex-bad.zone", "apex-v5.zone", &h, NULL);
	ck_has(&h, Z "HSYNC RRset valid again");
	ck_has(&h, Z "NS ns3.provider-c.example. added");
	ck_assert(hs_change_notify_mask(&c) & BIT(HS_APEX_HSYNC));
	lines_free(&h);
	hs_change_clear(&c);

	diff_files(&c, "apex-v5.zone", "apex-bad.zone", &h, NULL);
	ck_has(&h, Z "NS ns3.provider-c.example. removed");
	ck_assert_uint_eq(count_prefix(&h, Z "NS "), 1);
	lines_free(&h);
	hs_change_clear(&c);

	/* A zone first seen with an invalid HSYNC RRset. */
	diff_files(&c, NULL, "apex-bad.zone", &h, NULL);
	ck_has(&h, want);
	ck_assert(!(hs_change_notify_mask(&c) & BIT(HS_APEX_HSYNC)));
	lines_free(&h);
	hs_change_clear(&c);

	/* An HSYNC record that does not decode (State 0) is reported as such. */
	hs_apex_t *a = load("apex-v5.zone"), *b = NULL;
	ck_assert_int_eq(hs_apex_clone(&b, a), HS_EOK);
	const uint8_t bad[] = "\x00\x01\x01\x02id\x00\x00";
	ck_assert_int_eq(hs_apex_add_rr(b, zone_name(), HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 3600,
	                                bad, 8), HS_EOK);
	ck_assert_int_eq(hs_change_diff(&c, a, b), HS_EOK);
	ck_assert_int_eq(hs_change_lines(&c, collect, &h), HS_EOK);
	dump(&h);
	ck_has(&h, Z "HSYNC record added: \\# 8 0001010269640000 (does not decode)");
	ck_assert_int_eq(c.hsync_error, HS_EHSYNC_STATE);
	ck_assert_uint_eq(hs_change_notify_mask(&c), 0);
	lines_free(&h);
	hs_change_clear(&c);
	hs_apex_free(a);
	hs_apex_free(b);
}
END_TEST

START_TEST(first_seen)
{
	hs_change_t c;
	lines_t h = { 0 };
	diff_files(&c, NULL, "apex-v1.zone", &h, NULL);
	dump(&h);
	ck_assert(c.first);
	ck_has(&h, Z "SOA serial 2026010101 (first seen)");
	ck_has(&h, Z "HSYNC identity.providera. added: ON OWNER SIGN upstream .");
	ck_has(&h, Z "HSYNC agent.providerb. added: ON OWNER SIGN upstream .");
	ck_has(&h, Z "DNSKEY 41359 (KSK, alg 13) added");
	ck_has(&h, Z "DNSKEY 11815 (ZSK, alg 13) added");
	ck_has(&h, Z "CDS 41359 alg 13 digest 2 added");
	ck_has(&h, Z "CDNSKEY 41359 (KSK, alg 13) added");
	ck_has(&h, Z "NS ns1.provider-a.example. added");
	ck_has(&h, Z "RRSIG DNSKEY: 1 added (key 41359)");
	ck_assert_uint_eq(hs_change_notify_mask(&c), BIT(HS_APEX_NS) | BIT(HS_APEX_DNSKEY) |
	                  BIT(HS_APEX_CDS) | BIT(HS_APEX_CDNSKEY) | BIT(HS_APEX_HSYNC));
	lines_free(&h);
	hs_change_clear(&c);

	/* A zone gone: everything removed. */
	diff_files(&c, "apex-v1.zone", NULL, &h, NULL);
	ck_has(&h, Z "SOA removed: zone gone");
	ck_has(&h, Z "NS ns2.provider-b.example. removed");
	lines_free(&h);
	hs_change_clear(&c);
}
END_TEST

START_TEST(json_lines)
{
	hs_change_t c;
	lines_t j = { 0 };
	diff_files(&c, "apex-v1.zone", "apex-v2.zone", NULL, &j);
	dump(&j);
	ck_assert_uint_eq(j.n, c.count);
	int found = 0;
	for (size_t i = 0; i < j.n; i++) {
		ck_assert_ptr_null(strchr(j.l[i], '\n'));
		json_error_t err;
		json_t *o = json_loads(j.l[i], 0, &err);
		ck_assert_msg(o != NULL, "bad JSON: %s", err.text);
		ck_assert_str_eq(json_string_value(json_object_get(o, "zone")), "zone.example.");
		const char *type = json_string_value(json_object_get(o, "type"));
		json_t *add = json_object_get(o, "added"), *rem = json_object_get(o, "removed");
		ck_assert(json_is_array(add) && json_is_array(rem));
		if (strcmp(type, "NS") == 0) {
			found++;
			ck_assert_uint_eq(json_array_size(add), 1);
			ck_assert_uint_eq(json_array_size(rem), 0);
			ck_assert_str_eq(json_string_value(json_array_get(add, 0)), "ns3.provider-c.example.");
			ck_assert_int_eq(json_integer_value(json_object_get(o, "ttl")), 3600);
		} else if (strcmp(type, "HSYNC") == 0) {
			found++;
			ck_assert_uint_eq(json_array_size(add), 1);
			ck_assert_str_eq(json_string_value(json_array_get(add, 0)),
			                 "ON OWNER SIGN agent.providerc. .");
			ck_assert_ptr_null(json_object_get(o, "valid"));
		} else if (strcmp(type, "SOA") == 0) {
			found++;
			ck_assert_int_eq(json_integer_value(json_object_get(o, "serial")), 2026010102);
			ck_assert_int_eq(json_integer_value(json_object_get(o, "old_serial")), 2026010101);
			ck_assert_str_eq(json_string_value(json_array_get(rem, 0)),
			                 "ns1.provider-a.example. hostmaster.zone.example. 2026010101 7200 3600 1209600 300");
		} else if (strcmp(type, "RRSIG") == 0) {
			ck_assert_ptr_nonnull(json_string_value(json_object_get(o, "covers")));
			ck_assert_uint_eq(json_array_size(add), 1);
		}
		json_decref(o);
	}
	ck_assert_int_eq(found, 3);
	lines_free(&j);
	hs_change_clear(&c);
}
END_TEST

START_TEST(cds_ttl_csync)
{
	hs_apex_t *a = load("apex-v1.zone"), *b = NULL;
	ck_assert_int_eq(hs_apex_clone(&b, a), HS_EOK);
	knot_rrset_t rr;
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_CDS, &rr), HS_EOK);
	ck_assert_int_eq(hs_apex_remove(b, &rr), HS_EOK);
	const uint8_t cds_delete[] = { 0, 0, 0, 0, 0 };
	ck_assert_int_eq(hs_apex_add_rr(b, zone_name(), KNOT_RRTYPE_CDS, KNOT_CLASS_IN, 0,
	                                cds_delete, sizeof(cds_delete)), HS_EOK);
	const uint8_t cdnskey_delete[] = { 0, 0, 3, 0, 0 };
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_CDNSKEY, &rr), HS_EOK);
	ck_assert_int_eq(hs_apex_remove(b, &rr), HS_EOK);
	ck_assert_int_eq(hs_apex_add_rr(b, zone_name(), KNOT_RRTYPE_CDNSKEY, KNOT_CLASS_IN, 0,
	                                cdnskey_delete, sizeof(cdnskey_delete)), HS_EOK);
	ck_assert_int_eq(hs_apex_rrset(a, KNOT_RRTYPE_NS, &rr), HS_EOK);
	rr.ttl = 7200;
	ck_assert_int_eq(hs_apex_add(b, &rr), HS_EOK);
	/* CSYNC 2026010101, flags immediate|soaminimum, types A NS AAAA. */
	const uint8_t csync[] = { 0x78, 0xc2, 0x75, 0xf5, 0x00, 0x03,
	                          0x00, 0x04, 0x60, 0x00, 0x00, 0x08 };
	ck_assert_int_eq(hs_apex_add_rr(b, zone_name(), KNOT_RRTYPE_CSYNC, KNOT_CLASS_IN, 3600,
	                                csync, sizeof(csync)), HS_EOK);
	hs_change_t c;
	lines_t h = { 0 }, j = { 0 };
	ck_assert_int_eq(hs_change_diff(&c, a, b), HS_EOK);
	ck_assert_int_eq(hs_change_lines(&c, collect, &h), HS_EOK);
	ck_assert_int_eq(hs_change_json(&c, collect, &j), HS_EOK);
	dump(&h);
	dump(&j);
	ck_has(&h, Z "CDS 41359 alg 13 digest 2 removed");
	ck_has(&h, Z "CDS delete (0 0 0 00) added");
	ck_has(&h, Z "CDNSKEY 41359 (KSK, alg 13) removed");
	ck_has(&h, Z "CDNSKEY delete (0 3 0 AA==) added");
	ck_has(&h, Z "NS TTL 3600 -> 7200");
	ck_has(&h, Z "CSYNC 2026010101 3 A NS AAAA added");
	ck_assert_uint_eq(h.n, 6);
	ck_has(&j, "{\"zone\":\"zone.example.\",\"type\":\"NS\",\"ttl\":7200,\"old_ttl\":3600,"
	           "\"added\":[],\"removed\":[]}");
	ck_has(&j, "{\"zone\":\"zone.example.\",\"type\":\"CSYNC\",\"ttl\":3600,"
	           "\"added\":[\"2026010101 3 A NS AAAA\"],\"removed\":[]}");
	ck_assert_uint_eq(hs_change_notify_mask(&c), BIT(HS_APEX_NS) | BIT(HS_APEX_CDS) |
	                  BIT(HS_APEX_CDNSKEY) | BIT(HS_APEX_CSYNC));
	lines_free(&h);
	lines_free(&j);
	hs_change_clear(&c);
	hs_apex_free(a);
	hs_apex_free(b);
}
END_TEST

START_TEST(burst_coalesces)
{
	const char *files[] = { "apex-v1.zone", "apex-v1b.zone", "apex-v2.zone", "apex-v3.zone",
	                        "apex-v4.zone", "apex-v5.zone" };
	unsigned pending = 0;
	size_t changes = 0;
	for (int i = 0; i + 1 < 6; i++) {
		hs_change_t c;
		lines_t h = { 0 };
		diff_files(&c, files[i], files[i + 1], &h, NULL);
		changes += h.n;
		pending |= hs_change_notify_mask(&c);
		lines_free(&h);
		hs_change_clear(&c);
	}
	uint16_t types[HS_APEX_NSLOTS];
	size_t n = hs_change_mask_types(pending, types, HS_APEX_NSLOTS);
	ck_assert_uint_gt(changes, 20);
	ck_assert_uint_eq(n, 3);  /* one NOTIFY each for NS, DNSKEY, HSYNC */
	ck_assert_uint_eq(types[0], KNOT_RRTYPE_NS);
	ck_assert_uint_eq(types[1], KNOT_RRTYPE_DNSKEY);
	ck_assert_uint_eq(types[2], HS_RRTYPE_HSYNC);
	ck_assert_uint_eq(hs_change_mask_types(pending, types, 1), 1);
	ck_assert_uint_eq(hs_change_mask_types(HS_APEX_MASK_ALL, NULL, 0), 0);
}
END_TEST

START_TEST(bad_arguments)
{
	hs_change_t c;
	hs_apex_t *a = load("apex-v1.zone"), *b = NULL;
	ck_assert_int_eq(hs_apex_new(&b, (const knot_dname_t *)"\x03org"), HS_EOK);
	ck_assert_int_eq(hs_change_diff(&c, NULL, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_change_diff(&c, a, b), HS_EINVAL);
	ck_assert(hs_change_empty(&c));
	ck_assert_int_eq(hs_change_lines(&c, NULL, NULL), HS_EINVAL);
	hs_change_clear(&c);
	hs_change_clear(NULL);
	char *buf = NULL;
	size_t cap = 0;
	ck_assert_int_eq(hs_change_rdata_text(KNOT_RRTYPE_NS, (const uint8_t *)"\x02ns\x00", 4,
	                                      &buf, &cap), HS_EOK);
	ck_assert_str_eq(buf, "ns.");
	ck_assert_int_eq(hs_change_rdata_text(HS_RRTYPE_HSYNC,
	                 (const uint8_t *)"\x01\x02\x01\x02id\x00\x00", 8, &buf, &cap), HS_EOK);
	ck_assert_str_eq(buf, "ON AGENT SIGN id. .");
	/* A truncated NS name falls back to RFC 3597 form. */
	ck_assert_int_eq(hs_change_rdata_text(KNOT_RRTYPE_NS, (const uint8_t *)"\x05ns", 3,
	                                      &buf, &cap), HS_EOK);
	ck_assert_str_eq(buf, "\\# 3 056e73");
	free(buf);
	hs_apex_free(a);
	hs_apex_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("change");
	TCase *tc = tcase_create("change");
	tcase_add_test(tc, hsync_added);
	tcase_add_test(tc, hsync_changed_and_removed);
	tcase_add_test(tc, dnskey_roll);
	tcase_add_test(tc, rrsig_only);
	tcase_add_test(tc, hsync_invalid);
	tcase_add_test(tc, first_seen);
	tcase_add_test(tc, json_lines);
	tcase_add_test(tc, cds_ttl_csync);
	tcase_add_test(tc, burst_coalesces);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
