/*
 * test/fuzz/fuzz_catalog.c -- libFuzzer target for hsyncd/catalog.c.
 *
 * The input is a DNS message, as one message of an AXFR of a catalog zone
 * would be: its question names the catalog (cat.example. if there is none)
 * and every RR of its answer section goes to the catalog reader, once in
 * each mode. What must hold:
 *   - an accepted list is strictly sorted (canonical order), without the
 *     catalog itself, findable member by member, and no longer than the PTRs
 *     fed; every problem line is a non-empty string;
 *   - strict and per-member agree: strict accepts only what per-member
 *     accepts, with the same list; a version/SOA refusal is the same in both;
 *   - the same in-zone IN records in a common/zone give, per member, the
 *     same list through hs_catalog_from_zone();
 *   - a diff against a fixed list adds up (added + kept = new, removed + kept
 *     = old) and gives one line per entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "common/zone.h"
#include "hsyncd/catalog.h"
#include "libhsync/error.h"

static void check(int cond)
{
	if (!cond) {
		abort();
	}
}

static void on_issue(int kind, const char *line, void *ctx)
{
	check(kind >= HS_CATALOG_NOSOA && kind <= HS_CATALOG_SELF);
	check(line != NULL && line[0] != '\0' && strchr(line, '\n') == NULL);
	(*(size_t *)ctx)++;
}

static void on_line(const char *line, void *ctx)
{
	check(line != NULL && line[0] != '\0');
	(*(size_t *)ctx)++;
}

static bool same_list(const hs_catalog_t *a, const hs_catalog_t *b)
{
	if (hs_catalog_count(a) != hs_catalog_count(b)) {
		return false;
	}
	for (size_t i = 0; i < hs_catalog_count(a); i++) {
		const hs_catalog_member_t *x = hs_catalog_at(a, i), *y = hs_catalog_at(b, i);
		if (!knot_dname_is_equal(x->zone, y->zone) || !knot_dname_is_equal(x->id, y->id)) {
			return false;
		}
	}
	return true;
}

static void check_list(const hs_catalog_t *c, const knot_dname_t *catalog, size_t ptrs)
{
	check(knot_dname_is_case_equal(hs_catalog_zone(c), catalog));
	check(hs_catalog_count(c) <= ptrs);
	for (size_t i = 0; i < hs_catalog_count(c); i++) {
		const hs_catalog_member_t *m = hs_catalog_at(c, i);
		check(m->id[0] > 0 && m->id[1 + m->id[0]] == 0);
		check(!knot_dname_is_case_equal(m->zone, catalog));
		check(hs_catalog_find(c, m->zone) == m);
		if (i > 0) {
			check(hs_dname_canon_cmp(hs_catalog_at(c, i - 1)->zone, m->zone) < 0);
		}
	}
	check(hs_catalog_at(c, hs_catalog_count(c)) == NULL);
}

/* A fixed previous version: a.example. (m1) and b.example. (m2) of catalog. */
static hs_catalog_t *previous(const knot_dname_t *catalog)
{
	hs_catalog_reader_t *r = NULL;
	check(hs_catalog_reader_new(&r, catalog) == HS_EOK);
	knot_dname_storage_t owner;
	size_t cl = knot_dname_size(catalog);
	static const uint8_t soa[22] = { 0, 0, 0, 0, 0, 1 };
	check(hs_catalog_reader_add_rr(r, catalog, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0, soa,
	                               sizeof(soa)) == HS_EOK);
	if (cl + 8 <= sizeof(owner)) {
		memcpy(owner, "\x07version", 8);
		memcpy(owner + 8, catalog, cl);
		check(hs_catalog_reader_add_rr(r, owner, KNOT_RRTYPE_TXT, KNOT_CLASS_IN, 0,
		                               (const uint8_t *)"\x01" "2", 2) == HS_EOK);
	}
	static const char *const ids[] = { "\x02m1\x05zones", "\x02m2\x05zones" };
	static const uint8_t zones[2][11] = { "\x01" "a\x07" "example", "\x01" "b\x07" "example" };
	for (int i = 0; i < 2 && cl + 9 <= sizeof(owner); i++) {
		memcpy(owner, ids[i], 9);
		memcpy(owner + 9, catalog, cl);
		check(hs_catalog_reader_add_rr(r, owner, KNOT_RRTYPE_PTR, KNOT_CLASS_IN, 0,
		                               zones[i], sizeof(zones[i])) == HS_EOK);
	}
	hs_catalog_t *c = NULL;
	int ret = hs_catalog_reader_finish(r, &c, 0, NULL, NULL);
	check((ret == HS_EOK) == (c != NULL));
	return c;
}

static void check_diff(const hs_catalog_t *old, const hs_catalog_t *new)
{
	if (old == NULL) {
		return;
	}
	hs_catalog_diff_t d;
	check(hs_catalog_diff(&d, old, new) == HS_EOK);
	size_t kept = hs_catalog_count(new) - d.added_count;
	check(hs_catalog_count(old) - d.removed_count == kept);
	check(d.reset_count <= kept);
	size_t lines = 0;
	check(hs_catalog_diff_lines(&d, hs_catalog_zone(new), old, on_line, &lines) == HS_EOK);
	check(lines == d.added_count + d.removed_count + d.reset_count);
	for (size_t i = 0; i < d.added_count; i++) {
		check(hs_catalog_find(old, d.added[i]->zone) == NULL);
	}
	for (size_t i = 0; i < d.removed_count; i++) {
		check(hs_catalog_find(new, d.removed[i]->zone) == NULL);
	}
	hs_catalog_diff_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *wire = malloc(size > 0 ? size : 1);
	check(wire != NULL);
	if (size > 0) {
		memcpy(wire, data, size);
	}
	knot_pkt_t *pkt = knot_pkt_new(wire, size, NULL);
	check(pkt != NULL);
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		knot_pkt_free(pkt);
		free(wire);
		return 0;
	}
	knot_dname_storage_t catalog;
	if (knot_pkt_qname(pkt) != NULL) {
		knot_dname_copy_lower(catalog, knot_pkt_qname(pkt));
	} else {
		memcpy(catalog, "\x03" "cat\x07" "example", 13);
	}

	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	hs_catalog_reader_t *strict = NULL, *lenient = NULL;
	hs_zone_t *zone = NULL;
	check(hs_catalog_reader_new(&strict, catalog) == HS_EOK);
	check(hs_catalog_reader_new(&lenient, catalog) == HS_EOK);
	check(hs_zone_new(catalog, KNOT_CLASS_IN, &zone) == HS_EOK);
	size_t ptrs = 0;
	bool zone_ok = true;
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		check(hs_catalog_reader_add(strict, rr) == HS_EOK);
		check(hs_catalog_reader_add(lenient, rr) == HS_EOK);
		ptrs += rr->type == KNOT_RRTYPE_PTR ? rr->rrs.count : 0;
		if (rr->rclass == KNOT_CLASS_IN && hs_dname_in_zone(rr->owner, catalog) &&
		    rr->type != 0 && rr->rrs.count > 0) {
			zone_ok = zone_ok && hs_zone_add(zone, rr, NULL) == HS_EOK;
		}
	}

	size_t n1 = 0, n2 = 0, n3 = 0;
	hs_catalog_t *s = NULL, *l = NULL, *z = NULL;
	int rs = hs_catalog_reader_finish(strict, &s, 0, on_issue, &n1);
	int rl = hs_catalog_reader_finish(lenient, &l, HS_CATALOG_PER_MEMBER, on_issue, &n2);
	check((rs == HS_EOK) == (s != NULL));
	check((rl == HS_EOK) == (l != NULL));
	check(rs == HS_EOK || rs == HS_ECAT_VERSION || rs == HS_ECAT_BROKEN);
	check(rs == HS_EOK || n1 > 0);
	if (rs == HS_EOK) {
		check(rl == HS_EOK && same_list(s, l) && n1 == n2);
	}
	if (rs == HS_ECAT_VERSION) {
		check(rl == rs && n1 == 1 && n2 == 1);
	}
	if (l != NULL) {
		check_list(l, catalog, ptrs);
	}
	if (zone_ok) {
		int rz = hs_catalog_from_zone(&z, zone, HS_CATALOG_PER_MEMBER, on_issue, &n3);
		check(rz == rl);
		check(rz != HS_EOK || same_list(z, l));
	}

	hs_catalog_t *old = previous(catalog);
	if (l != NULL) {
		check_diff(old, l);
		check_diff(l, old != NULL ? old : l);
	}
	hs_catalog_free(old);
	hs_catalog_free(s);
	hs_catalog_free(l);
	hs_catalog_free(z);
	hs_zone_free(zone);
	knot_pkt_free(pkt);
	free(wire);
	return 0;
}
