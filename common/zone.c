/*
 * common/zone.c -- in-memory zone: one blob per owner name, a hash table for
 * look-ups and an order array kept in canonical order (sorted lazily).
 *
 * A node is one malloc'd blob:
 *   node_t header | zset_t sets[nsets] | owner name | RDATA blobs (2-aligned)
 * Each set's RDATA is a knot_rdataset_t-compatible array of knot_rdata_t, so a
 * view (knot_rrset_t) can point straight into the blob. Changing a node
 * builds a new blob and swaps the pointer in the hash table and the order
 * array (node->idx says where it is in the latter).
 *
 * Sets are keyed by type and, for RRSIG, the type covered (see set_key()).
 *
 * A node whose last RRset goes stays (empty, nsets 0) in both tables until
 * the next sort, so that re-adding it is cheap; iteration never sees it.
 *
 * This file holds the store (nodes, hash table, sorting), the zone's life,
 * look-ups, comparison, iteration and serial arithmetic. The layout types
 * are in zoneint.h; adding and removing RRs is in zoneedit.c, differences
 * in zonediff.c, the name helpers in dname.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/zone.h"
#include "common/zoneint.h"
#include "libhsync/error.h"

/* ---- names ------------------------------------------------------------------ */

uint32_t hs_zone_name_hash(const uint8_t *d)
{
	uint32_t h = 2166136261u;
	for (;;) {
		uint8_t c = *d++;
		h = (h ^ lower(c)) * 16777619u;
		if (c == 0) {
			break;
		}
		for (uint8_t i = 0; i < c; i++) {
			h = (h ^ lower(*d++)) * 16777619u;
		}
	}
	h ^= h >> 15;
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return h;
}

/* ---- nodes -------------------------------------------------------------------- */

static size_t node_size(const node_t *n)
{
	if (n->nsets == 0) {
		return sizeof(node_t) + n->owner_len;
	}
	const zset_t *last = &n->sets[n->nsets - 1];
	return last->off + last->size;
}

void hs_zone_changes_free(change_t *ch, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		knot_rdataset_clear(&ch[i].rds, NULL);
	}
	free(ch);
}

/*
 * A new blob: old (may be NULL: then owner names the node) with the sets
 * named in ch (ascending keys, each once) replaced by their RDATA/TTL, or
 * removed when that is empty. The RDATA in ch must be normalized.
 */
node_t *hs_zone_node_build(const node_t *old, const uint8_t *owner, uint32_t hash,
                           const change_t *ch, size_t nch)
{
	unsigned oldn = old != NULL ? old->nsets : 0;
	size_t nn = 0, blobs = 0;
	/* Old sets that stay, then new ones. */
	for (unsigned i = 0, c = 0; i < oldn; i++) {
		uint32_t k = set_key(old, &old->sets[i]);
		while (c < nch && ch[c].key < k) {
			c++;
		}
		if (c >= nch || ch[c].key != k) {
			nn++;
			blobs += old->sets[i].size;
		}
	}
	for (size_t c = 0; c < nch; c++) {
		if (ch[c].rds.count > 0) {
			nn++;
			blobs += ch[c].rds.size;
		}
	}
	if (nn > UINT16_MAX) {
		return NULL;
	}
	const uint8_t *own = old != NULL ? node_owner(old) : owner;
	size_t olen = old != NULL ? old->owner_len : dname_len(owner);
	size_t hdr = sizeof(node_t) + nn * sizeof(zset_t) + olen;
	hdr += hdr & 1;
	node_t *n = malloc(hdr + blobs);
	if (n == NULL) {
		return NULL;
	}
	n->hash = hash;
	n->idx = old != NULL ? old->idx : 0;
	n->nsets = (uint16_t)nn;
	n->owner_len = (uint8_t)olen;
	n->pad = 0;
	memcpy(node_owner(n), own, olen);
	if (((sizeof(node_t) + nn * sizeof(zset_t) + olen) & 1) != 0) {
		node_owner(n)[olen] = 0;
	}
	size_t off = hdr;
	unsigned j = 0, i = 0;
	size_t c = 0;
	while (i < oldn || c < nch) {
		uint32_t ko = i < oldn ? set_key(old, &old->sets[i]) : 0;
		if (c < nch && (i >= oldn || ch[c].key <= ko)) {
			if (i < oldn && ch[c].key == ko) {
				i++;    /* replaced or removed */
			}
			const change_t *x = &ch[c++];
			if (x->rds.count == 0) {
				continue;
			}
			zset_t *s = &n->sets[j++];
			s->type = (uint16_t)(x->key >> 16);
			s->count = x->rds.count;
			s->ttl = x->ttl;
			s->size = x->rds.size;
			s->off = (uint32_t)off;
			memcpy((uint8_t *)n + off, x->rds.rdata, x->rds.size);
		} else {
			const zset_t *o = &old->sets[i++];
			zset_t *s = &n->sets[j++];
			*s = *o;
			s->off = (uint32_t)off;
			memcpy((uint8_t *)n + off, set_rdata(old, o), o->size);
		}
		off += n->sets[j - 1].size;
	}
	return n;
}

/* ---- hash table ---------------------------------------------------------------- */

static size_t tab_slot(const hs_zone_t *z, const uint8_t *owner, uint32_t hash)
{
	size_t mask = z->tabcap - 1;
	size_t i = hash & mask;
	for (;;) {
		node_t *n = z->tab[i];
		if (n == NULL || (n->hash == hash && hs_dname_equal(node_owner(n), owner))) {
			return i;
		}
		i = (i + 1) & mask;
	}
}

node_t *hs_zone_node_lookup(const hs_zone_t *z, const uint8_t *owner, uint32_t hash)
{
	if (z->tabcap == 0) {
		return NULL;
	}
	return z->tab[tab_slot(z, owner, hash)];
}

static int tab_rebuild(hs_zone_t *z, size_t cap)
{
	node_t **t = calloc(cap, sizeof(*t));
	if (t == NULL) {
		return HS_ENOMEM;
	}
	for (size_t k = 0; k < z->n; k++) {
		node_t *n = z->order[k];
		size_t i = n->hash & (cap - 1);
		while (t[i] != NULL) {
			i = (i + 1) & (cap - 1);
		}
		t[i] = n;
	}
	free(z->tab);
	z->tab = t;
	z->tabcap = cap;
	return HS_EOK;
}

/* Room for one more node in both tables. */
int hs_zone_reserve(hs_zone_t *z)
{
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 64;
		node_t **o = realloc(z->order, cap * sizeof(*o));
		if (o == NULL) {
			return HS_ENOMEM;
		}
		z->order = o;
		z->cap = cap;
	}
	if ((z->n + 1) * 10 > z->tabcap * 7) {
		int ret = tab_rebuild(z, z->tabcap ? z->tabcap * 2 : 128);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return HS_EOK;
}

void hs_zone_insert_node(hs_zone_t *z, node_t *n)
{
	size_t slot = tab_slot(z, node_owner(n), n->hash);
	z->tab[slot] = n;
	n->idx = (uint32_t)z->n;
	if (z->nsorted == z->n &&
	    (z->n == 0 || hs_dname_canon_cmp(node_owner(z->order[z->n - 1]), node_owner(n)) < 0)) {
		z->nsorted++;
	}
	z->order[z->n++] = n;
	z->bytes += node_size(n);
}

/* Put nw where old was, and free old. */
void hs_zone_swap_node(hs_zone_t *z, node_t *old, node_t *nw)
{
	size_t slot = tab_slot(z, node_owner(old), old->hash);
	z->tab[slot] = nw;
	z->order[old->idx] = nw;
	nw->idx = old->idx;
	z->bytes -= node_size(old);
	z->bytes += node_size(nw);
	if (old->nsets == 0 && nw->nsets > 0) {
		z->nempty--;
	} else if (old->nsets > 0 && nw->nsets == 0) {
		z->nempty++;
	}
	free(old);
}

/* ---- sorting -------------------------------------------------------------------- */

static int node_cmp(const void *a, const void *b)
{
	const node_t *x = *(node_t *const *)a, *y = *(node_t *const *)b;
	return hs_dname_canon_cmp(node_owner(x), node_owner(y));
}

int hs_zone_sort(hs_zone_t *z)
{
	if (z->nsorted == z->n && z->nempty == 0) {
		return HS_EOK;
	}
	size_t moved = z->n;    /* order[0, moved) keep their places */
	if (z->nsorted < z->n) {
		size_t t = z->n - z->nsorted;
		node_t **tail = malloc(t * sizeof(*tail));
		if (tail == NULL) {
			return HS_ENOMEM;
		}
		memcpy(tail, z->order + z->nsorted, t * sizeof(*tail));
		qsort(tail, t, sizeof(*tail), node_cmp);
		/* Merge from the back into order[]. */
		size_t i = z->nsorted, j = t, k = z->n;
		while (j > 0) {
			if (i > 0 && node_cmp(&z->order[i - 1], &tail[j - 1]) > 0) {
				z->order[--k] = z->order[--i];
			} else {
				z->order[--k] = tail[--j];
			}
		}
		free(tail);
		moved = i;
		z->nsorted = z->n;
	}
	if (z->nempty > 0) {
		/* The new table first, so that failing changes nothing. */
		size_t live = z->n - z->nempty, cap = 128;
		while (live * 10 > cap * 7) {
			cap *= 2;
		}
		node_t **t = calloc(cap, sizeof(*t));
		if (t == NULL) {
			return HS_ENOMEM;
		}
		size_t w = 0;
		for (size_t r = 0; r < z->n; r++) {
			node_t *n = z->order[r];
			if (n->nsets == 0) {
				z->bytes -= node_size(n);
				free(n);
				moved = w < moved ? w : moved;
				continue;
			}
			size_t i = n->hash & (cap - 1);
			while (t[i] != NULL) {
				i = (i + 1) & (cap - 1);
			}
			t[i] = n;
			z->order[w++] = n;
		}
		free(z->tab);
		z->tab = t;
		z->tabcap = cap;
		z->n = z->nsorted = w;
		z->nempty = 0;
	}
	for (size_t k = moved; k < z->n; k++) {
		z->order[k]->idx = (uint32_t)k;
	}
	return HS_EOK;
}

/* ---- zone ------------------------------------------------------------------------- */

int hs_zone_new(const knot_dname_t *origin, uint16_t rclass, hs_zone_t **out)
{
	if (origin == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_zone_t *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return HS_ENOMEM;
	}
	size_t len = dname_len(origin);
	z->origin = malloc(len);
	if (z->origin == NULL) {
		free(z);
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		z->origin[i] = lower(origin[i]);
	}
	z->rclass = rclass;
	*out = z;
	return HS_EOK;
}

void hs_zone_free(hs_zone_t *z)
{
	if (z == NULL) {
		return;
	}
	for (size_t i = 0; i < z->n; i++) {
		free(z->order[i]);
	}
	free(z->order);
	free(z->tab);
	free(z->origin);
	free(z);
}

int hs_zone_copy(const hs_zone_t *z, hs_zone_t **out)
{
	hs_zone_t *c = NULL;
	int ret = hs_zone_new(z->origin, z->rclass, &c);
	if (ret != HS_EOK) {
		return ret;
	}
	if (z->n > 0) {
		c->order = malloc(z->n * sizeof(*c->order));
		c->tab = calloc(z->tabcap, sizeof(*c->tab));
		if (c->order == NULL || c->tab == NULL) {
			hs_zone_free(c);
			return HS_ENOMEM;
		}
		c->cap = z->n;
		c->tabcap = z->tabcap;
		for (size_t i = 0; i < z->n; i++) {
			size_t sz = node_size(z->order[i]);
			node_t *n = malloc(sz);
			if (n == NULL) {
				hs_zone_free(c);
				return HS_ENOMEM;
			}
			memcpy(n, z->order[i], sz);
			c->order[c->n++] = n;
		}
		for (size_t i = 0; i < z->tabcap; i++) {
			if (z->tab[i] != NULL) {
				c->tab[i] = c->order[z->tab[i]->idx];
			}
		}
	}
	c->nsorted = z->nsorted;
	c->nempty = z->nempty;
	c->rrs = z->rrs;
	c->rrsets = z->rrsets;
	c->bytes = z->bytes;
	*out = c;
	return HS_EOK;
}

const knot_dname_t *hs_zone_origin(const hs_zone_t *z)
{
	return z->origin;
}

uint16_t hs_zone_class(const hs_zone_t *z)
{
	return z->rclass;
}

size_t hs_zone_count(const hs_zone_t *z)
{
	return z->rrs;
}

size_t hs_zone_rrset_count(const hs_zone_t *z)
{
	return z->rrsets;
}

size_t hs_zone_name_count(const hs_zone_t *z)
{
	return z->n - z->nempty;
}

size_t hs_zone_memory(const hs_zone_t *z)
{
	return sizeof(*z) + z->bytes + z->cap * sizeof(node_t *) + z->tabcap * sizeof(node_t *);
}

/* The set (owner, key) as a view. */
int hs_zone_find_view(const hs_zone_t *z, const knot_dname_t *owner, uint32_t key,
                      knot_rrset_t *out)
{
	node_t *n = hs_zone_node_lookup(z, owner, hs_zone_name_hash(owner));
	int si = n != NULL ? find_key(n, key) : -1;
	if (si < 0) {
		return HS_ENOTFOUND;
	}
	set_view(n, &n->sets[si], z->rclass, out);
	return HS_EOK;
}

int hs_zone_find(const hs_zone_t *z, const knot_dname_t *owner, uint16_t type,
                 knot_rrset_t *out)
{
	if (owner == NULL || out == NULL) {
		return HS_EINVAL;
	}
	if (type != KNOT_RRTYPE_RRSIG) {
		return hs_zone_find_view(z, owner, mkkey(type, 0), out);
	}
	/* All RRSIG sets, which are adjacent, as one view (their RDATA are too). */
	node_t *n = hs_zone_node_lookup(z, owner, hs_zone_name_hash(owner));
	unsigned i = 0;
	while (n != NULL && i < n->nsets && n->sets[i].type != KNOT_RRTYPE_RRSIG) {
		i++;
	}
	if (n == NULL || i >= n->nsets) {
		return HS_ENOTFOUND;
	}
	knot_rrset_t v;
	set_view(n, &n->sets[i], z->rclass, &v);
	size_t count = 0;
	for (; i < n->nsets && n->sets[i].type == KNOT_RRTYPE_RRSIG; i++) {
		const zset_t *s = &n->sets[i];
		count += s->count;
		v.ttl = s->ttl < v.ttl ? s->ttl : v.ttl;
		v.rrs.size = s->off + s->size - (uint32_t)((uint8_t *)v.rrs.rdata - (uint8_t *)n);
	}
	if (count > UINT16_MAX) {
		return HS_ERANGE;
	}
	v.rrs.count = (uint16_t)count;
	*out = v;
	return HS_EOK;
}

int hs_zone_find_rrsig(const hs_zone_t *z, const knot_dname_t *owner, uint16_t covered,
                       knot_rrset_t *out)
{
	if (owner == NULL || out == NULL) {
		return HS_EINVAL;
	}
	return hs_zone_find_view(z, owner, mkkey(KNOT_RRTYPE_RRSIG, covered), out);
}

bool hs_zone_has_name(const hs_zone_t *z, const knot_dname_t *owner)
{
	node_t *n = hs_zone_node_lookup(z, owner, hs_zone_name_hash(owner));
	return n != NULL && n->nsets > 0;
}

int hs_zone_soa_serial(const hs_zone_t *z, uint32_t *serial)
{
	knot_rrset_t soa;
	int ret = hs_zone_find(z, z->origin, KNOT_RRTYPE_SOA, &soa);
	if (ret != HS_EOK) {
		return ret;
	}
	if (soa.rrs.rdata->len < 20) {
		return KNOT_ESOAINVAL;
	}
	*serial = knot_soa_serial(soa.rrs.rdata);
	return HS_EOK;
}

bool hs_zone_equal(hs_zone_t *a, hs_zone_t *b)
{
	if (a->rclass != b->rclass || a->rrs != b->rrs || a->rrsets != b->rrsets ||
	    !hs_dname_equal(a->origin, b->origin)) {
		return false;
	}
	if (hs_zone_sort(a) != HS_EOK || hs_zone_sort(b) != HS_EOK || a->n != b->n) {
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		const node_t *x = a->order[i], *y = b->order[i];
		if (x->nsets != y->nsets || !hs_dname_equal(node_owner(x), node_owner(y))) {
			return false;
		}
		for (unsigned s = 0; s < x->nsets; s++) {
			const zset_t *p = &x->sets[s], *q = &y->sets[s];
			if (p->type != q->type || p->ttl != q->ttl || p->count != q->count ||
			    p->size != q->size ||
			    memcmp(set_rdata(x, p), set_rdata(y, q), p->size) != 0) {
				return false;
			}
		}
	}
	return true;
}

/* ---- iteration ------------------------------------------------------------------- */

int hs_zone_iter_begin(hs_zone_t *z, int flags, hs_zone_iter_t *it)
{
	int ret = hs_zone_sort(z);
	if (ret != HS_EOK) {
		return ret;
	}
	memset(it, 0, sizeof(*it));
	it->zone = z;
	it->flags = flags;
	return HS_EOK;
}

bool hs_zone_iter_next(hs_zone_iter_t *it, knot_rrset_t *out)
{
	hs_zone_t *z = it->zone;
	bool soa_first = (it->flags & HS_ZONE_ITER_SOA_FIRST) != 0;
	if (soa_first && it->state == 0) {
		it->state = 1;
		if (hs_zone_find(z, z->origin, KNOT_RRTYPE_SOA, out) == HS_EOK) {
			return true;
		}
	}
	while (it->node < z->n) {
		const node_t *n = z->order[it->node];
		if (it->set >= n->nsets) {
			it->node++;
			it->set = 0;
			continue;
		}
		const zset_t *s = &n->sets[it->set++];
		if (soa_first && s->type == KNOT_RRTYPE_SOA &&
		    hs_dname_equal(node_owner(n), z->origin)) {
			continue;
		}
		set_view(n, s, z->rclass, out);
		return true;
	}
	return false;
}

/* ---- serials ---------------------------------------------------------------------- */

int hs_serial_cmp(uint32_t a, uint32_t b)
{
	if (a == b) {
		return 0;
	}
	uint32_t d = b - a;
	if (d == 0x80000000u) {
		return HS_SERIAL_UNDEFINED;
	}
	return d < 0x80000000u ? -1 : 1;
}

bool hs_serial_lt(uint32_t a, uint32_t b)
{
	return hs_serial_cmp(a, b) == -1;
}

bool hs_serial_gt(uint32_t a, uint32_t b)
{
	return hs_serial_cmp(a, b) == 1;
}

uint32_t hs_serial_add(uint32_t s, uint32_t n)
{
	if (n > 0x7fffffffu) {
		return s;
	}
	return s + n;
}
