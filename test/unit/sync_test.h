/*
 * test/unit/sync_test.h -- shared helpers of test_sync.c and test_process.c:
 * the keys of test/data/sync-keys.txt, RRsets and HSYNC RRsets from text.
 */
#ifndef HS_TEST_SYNC_TEST_H
#define HS_TEST_SYNC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <sodium.h>

#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/rr.h"
#include "test/unit/unit.h"

typedef struct {
	char name[32];
	uint8_t rd[512];
	uint16_t len;
} tkey_t;

static tkey_t tkeys[16];
static size_t ntkeys;

static inline void tkeys_load(void)
{
	if (ntkeys > 0) {
		return;
	}
	FILE *f = fopen(hs_testdata("sync-keys.txt"), "r");
	ck_assert_ptr_nonnull(f);
	char line[1024];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		tkey_t *k = &tkeys[ntkeys++];
		unsigned flags, proto, alg;
		char b64[700];
		ck_assert_int_eq(sscanf(line, "%31s %u %u %u %699s", k->name, &flags, &proto, &alg, b64),
		                 5);
		knot_wire_write_u16(k->rd, (uint16_t)flags);
		k->rd[2] = (uint8_t)proto;
		k->rd[3] = (uint8_t)alg;
		size_t bl = 0;
		ck_assert_int_eq(sodium_base642bin(k->rd + 4, sizeof(k->rd) - 4, b64, strlen(b64), NULL,
		                                   &bl, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		k->len = (uint16_t)(4 + bl);
	}
	fclose(f);
}

static inline const tkey_t *tkey(const char *name)
{
	tkeys_load();
	for (size_t i = 0; i < ntkeys; i++) {
		if (strcmp(tkeys[i].name, name) == 0) {
			return &tkeys[i];
		}
	}
	ck_abort_msg("no key %s", name);
	return NULL;
}

static inline uint16_t tkey_tag(const char *name)
{
	const tkey_t *k = tkey(name);
	uint16_t tag = 0;
	ck_assert_int_eq(hs_dnssec_keytag(k->rd, k->len, &tag), 0);
	return tag;
}

static inline knot_dname_t *tdname(const char *s)
{
	static knot_dname_storage_t buf[8];
	static unsigned n;
	knot_dname_t *d = buf[n++ % 8];
	ck_assert_ptr_nonnull(knot_dname_from_str(d, s, sizeof(buf[0])));
	return d;
}

/* DNSKEY RRset of ZONE from key names separated by spaces. */
static inline knot_rrset_t *tdnskey(const char *zone, uint32_t ttl, const char *names)
{
	knot_rrset_t *r = knot_rrset_new(tdname(zone), KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, ttl, NULL);
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", names);
	for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " ")) {
		const tkey_t *k = tkey(t);
		ck_assert_int_eq(knot_rrset_add_rdata(r, k->rd, k->len, NULL), 0);
	}
	return r;
}

/* NS RRset of ZONE from names separated by spaces. */
static inline knot_rrset_t *tns(const char *zone, uint32_t ttl, const char *names)
{
	knot_rrset_t *r = knot_rrset_new(tdname(zone), KNOT_RRTYPE_NS, KNOT_CLASS_IN, ttl, NULL);
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", names);
	for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " ")) {
		knot_dname_storage_t d;
		ck_assert_ptr_nonnull(knot_dname_from_str(d, t, sizeof(d)));
		ck_assert_int_eq(knot_rrset_add_rdata(r, d, knot_dname_size(d), NULL), 0);
	}
	return r;
}

/* HSYNC RRset of ZONE from RDATA texts separated by '|'. */
static inline knot_rrset_t *thsync(const char *zone, const char *recs)
{
	knot_rrset_t *r = knot_rrset_new(tdname(zone), HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 3600, NULL);
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", recs);
	for (char *t = strtok(buf, "|"); t != NULL; t = strtok(NULL, "|")) {
		hs_hsync_t h;
		ck_assert_int_eq(hs_hsync_from_text(&h, t), 0);
		uint8_t w[HS_HSYNC_WIRE_MAX];
		size_t wl = 0;
		ck_assert_int_eq(hs_hsync_to_wire(&h, w, sizeof(w), &wl), 0);
		ck_assert_int_eq(knot_rrset_add_rdata(r, w, (uint16_t)wl, NULL), 0);
	}
	return r;
}

/* Does RRS hold key NAME? */
static inline bool has_key(const knot_rdataset_t *rrs, const char *name)
{
	if (rrs == NULL) {
		return false;
	}
	const tkey_t *k = tkey(name);
	_Alignas(knot_rdata_t) uint8_t buf[600];
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, k->len, k->rd);
	return knot_rdataset_member(rrs, rd);
}

#endif
