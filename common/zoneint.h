/*
 * common/zoneint.h -- the in-memory zone's layout (see zone.c's opening
 * comment) and what the store (zone.c), the changes (zoneedit.c), the
 * differences (zonediff.c) and the name helpers (dname.c) share.
 * Internal to common/; use zone.h.
 */
#ifndef HS_ZONEINT_H
#define HS_ZONEINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"

typedef struct {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	uint32_t size;   /* bytes of RDATA (as knot_rdataset_t.size) */
	uint32_t off;    /* offset of the RDATA from the start of the node */
} zset_t;

typedef struct {
	uint32_t hash;
	uint32_t idx;       /* position in zone->order */
	uint16_t nsets;
	uint8_t owner_len;
	uint8_t pad;
	zset_t sets[];
} node_t;

struct hs_zone {
	knot_dname_t *origin;
	uint16_t rclass;
	node_t **order;     /* [0, nsorted) canonical order; [nsorted, n) unsorted */
	size_t n, cap, nsorted;
	node_t **tab;       /* open addressing, linear probing; power-of-two size */
	size_t tabcap;
	size_t nempty;      /* nodes with no RRset left */
	size_t rrs, rrsets;
	size_t bytes;       /* sum of node blob sizes */
};

/* A change of one set: rds NULL or empty removes it. */
typedef struct {
	uint32_t key;
	knot_rdataset_t rds;
	uint32_t ttl;
} change_t;

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline size_t dname_len(const uint8_t *d)
{
	const uint8_t *p = d;
	while (*p != 0) {
		p += *p + 1;
	}
	return (size_t)(p - d) + 1;
}

static inline uint8_t *node_owner(const node_t *n)
{
	return (uint8_t *)&n->sets[n->nsets];
}

static inline knot_rdata_t *set_rdata(const node_t *n, const zset_t *s)
{
	return (knot_rdata_t *)((uint8_t *)n + s->off);
}

static inline void set_view(const node_t *n, const zset_t *s, uint16_t rclass, knot_rrset_t *out)
{
	out->owner = node_owner(n);
	out->ttl = s->ttl;
	out->type = s->type;
	out->rclass = rclass;
	out->rrs.count = s->count;
	out->rrs.size = s->size;
	out->rrs.rdata = set_rdata(n, s);
	out->additional = NULL;
}

static inline void set_rdataset(const node_t *n, const zset_t *s, knot_rdataset_t *out)
{
	out->count = s->count;
	out->size = s->size;
	out->rdata = set_rdata(n, s);
}

/*
 * Set keys. A set is keyed by its type and, for RRSIG, by the type it
 * covers (the first two octets of its RDATA; 0 for RDATA shorter than
 * that), so the RRSIGs covering one type have their own TTL. Keys sort by
 * type, then covered type; as covered types are the leading RDATA octets,
 * the RRSIG sets of a name, one after the other, are its RRSIG RDATA in
 * canonical order, and their RDATA lie back to back in the node.
 */
static inline uint16_t rdata_covered(uint16_t type, const knot_rdata_t *rd)
{
	if (type != KNOT_RRTYPE_RRSIG || rd->len < 2) {
		return 0;
	}
	return (uint16_t)((rd->data[0] << 8) | rd->data[1]);
}

static inline uint32_t mkkey(uint16_t type, uint16_t covered)
{
	return ((uint32_t)type << 16) | covered;
}

static inline uint32_t rdata_key(uint16_t type, const knot_rdata_t *rd)
{
	return mkkey(type, rdata_covered(type, rd));
}

static inline uint32_t set_key(const node_t *n, const zset_t *s)
{
	return rdata_key(s->type, set_rdata(n, s));
}

static inline int find_key(const node_t *n, uint32_t key)
{
	uint16_t type = (uint16_t)(key >> 16);
	for (int i = 0; i < n->nsets; i++) {
		if (n->sets[i].type == type && set_key(n, &n->sets[i]) == key) {
			return i;
		}
	}
	return -1;
}

/* ---- zone.c ---- */

/* Hash of a name, case-insensitive. */
uint32_t hs_zone_name_hash(const uint8_t *d);
/* The node of owner (hash its name_hash), or NULL. */
node_t *hs_zone_node_lookup(const hs_zone_t *z, const uint8_t *owner, uint32_t hash);
/* Room for one more node in both tables. */
int hs_zone_reserve(hs_zone_t *z);
/*
 * A new blob: old (may be NULL: then owner names the node) with the sets
 * named in ch (ascending keys, each once) replaced by their RDATA/TTL, or
 * removed when that is empty. The RDATA in ch must be normalized.
 */
node_t *hs_zone_node_build(const node_t *old, const uint8_t *owner, uint32_t hash,
                           const change_t *ch, size_t nch);
/* Add n (new name) to both tables. */
void hs_zone_insert_node(hs_zone_t *z, node_t *n);
/* Put nw where old was, and free old. */
void hs_zone_swap_node(hs_zone_t *z, node_t *old, node_t *nw);
/* Free n changes and the array. */
void hs_zone_changes_free(change_t *ch, size_t n);
/* Sort the order array and drop empty nodes (does nothing if done). */
int hs_zone_sort(hs_zone_t *z);
/* The set (owner, key) as a view. */
int hs_zone_find_view(const hs_zone_t *z, const knot_dname_t *owner, uint32_t key,
                      knot_rrset_t *out);

/* ---- zoneedit.c ---- */

/* rr fits the zone: owner set, class, in zone (else HS_EINVAL, KNOT_EOUTOFZONE). */
int hs_zone_check_rr(const hs_zone_t *z, const knot_rrset_t *rr);

#endif /* HS_ZONEINT_H */
