/*
 * test/unit/comb_test.h -- helpers for the zone/combiner unit tests:
 * records from presentation text (libzscanner), origin "example.".
 */
#ifndef HS_TEST_COMB_TEST_H
#define HS_TEST_COMB_TEST_H

#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "common/zone.h"

#define T_ORIGIN "example."

/* Add every record of text (zone-file lines) to z; returns records parsed or -1. */
static inline int t_load(hs_zone_t *z, const char *text)
{
	zs_scanner_t s;
	if (zs_init(&s, T_ORIGIN, KNOT_CLASS_IN, 3600) != 0) {
		return -1;
	}
	if (zs_set_input_string(&s, text, strlen(text)) != 0) {
		zs_deinit(&s);
		return -1;
	}
	int n = 0;
	while (zs_parse_record(&s) == 0 && s.state == ZS_STATE_DATA) {
		knot_rrset_t rr;
		knot_rrset_init(&rr, s.r_owner, s.r_type, s.r_class, s.r_ttl);
		uint8_t buf[sizeof(knot_rdata_t) + 65536];
		knot_rdata_t *rd = (knot_rdata_t *)buf;
		knot_rdata_init(rd, (uint16_t)s.r_data_length, s.r_data);
		rr.rrs.count = 1;
		rr.rrs.size = (uint32_t)knot_rdata_size(rd->len);
		rr.rrs.rdata = rd;
		if (hs_zone_add(z, &rr, NULL) != 0) {
			zs_deinit(&s);
			return -1;
		}
		n++;
	}
	int bad = s.state == ZS_STATE_ERROR;
	zs_deinit(&s);
	return bad ? -1 : n;
}

/* New zone for T_ORIGIN filled from text (NULL on error). */
static inline hs_zone_t *t_zone(const char *text)
{
	hs_zone_t *z = NULL;
	if (hs_zone_new((const knot_dname_t *)"\x07""example", KNOT_CLASS_IN, &z) != 0) {
		return NULL;
	}
	if (text != NULL && t_load(z, text) < 0) {
		hs_zone_free(z);
		return NULL;
	}
	return z;
}

/* Whole zone in presentation form, one RR a line, iteration order (malloc'd). */
static inline char *t_dump(hs_zone_t *z, int flags)
{
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	out[0] = '\0';
	hs_zone_iter_t it;
	knot_rrset_t rr;
	if (hs_zone_iter_begin(z, flags, &it) != 0) {
		free(out);
		return NULL;
	}
	while (hs_zone_iter_next(&it, &rr)) {
		char line[70000];
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; i < rr.rrs.count; i++) {
			knot_rrset_t one = rr;
			one.rrs.count = 1;
			one.rrs.rdata = rd;
			one.rrs.size = (uint32_t)knot_rdata_size(rd->len);
			int n = knot_rrset_txt_dump_data(&one, 0, line, sizeof(line),
			                                 &KNOT_DUMP_STYLE_DEFAULT);
			char owner[KNOT_DNAME_TXT_MAXLEN + 1], type[32];
			knot_dname_to_str(owner, rr.owner, sizeof(owner));
			knot_rrtype_to_string(rr.type, type, sizeof(type));
			size_t need = strlen(owner) + strlen(type) + (size_t)(n > 0 ? n : 0) + 32;
			while (len + need >= cap) {
				cap *= 2;
				out = realloc(out, cap);
			}
			len += (size_t)sprintf(out + len, "%s %u %s %s\n", owner, rr.ttl, type,
			                       n >= 0 ? line : "?");
			rd = knot_rdataset_next(rd);
		}
	}
	return out;
}

#endif
