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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/zone.h"
#include "libhsync/error.h"

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

/* ---- names ------------------------------------------------------------------ */

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static size_t dname_len(const uint8_t *d)
{
	const uint8_t *p = d;
	while (*p != 0) {
		p += *p + 1;
	}
	return (size_t)(p - d) + 1;
}

bool hs_dname_equal(const knot_dname_t *a, const knot_dname_t *b)
{
	size_t la = dname_len(a);
	if (la != dname_len(b)) {
		return false;
	}
	/* Label length octets are below 64, so folding them is harmless. */
	for (size_t i = 0; i < la; i++) {
		if (lower(a[i]) != lower(b[i])) {
			return false;
		}
	}
	return true;
}

const char *hs_dname_text(const knot_dname_t *name, char *buf, size_t size)
{
	if (buf == NULL || size == 0) {
		return "?";
	}
	if (name == NULL || knot_dname_to_str(buf, name, size) == NULL) {
		snprintf(buf, size, "?");
	}
	return buf;
}

static int labels(const uint8_t *d, const uint8_t **lab)
{
	int n = 0;
	while (*d != 0 && n < KNOT_DNAME_MAXLABELS) {
		lab[n++] = d;
		d += *d + 1;
	}
	return n;
}

int hs_dname_canon_cmp(const knot_dname_t *a, const knot_dname_t *b)
{
	const uint8_t *la[KNOT_DNAME_MAXLABELS], *lb[KNOT_DNAME_MAXLABELS];
	int na = labels(a, la), nb = labels(b, lb);
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		uint8_t lx = x[0], ly = y[0];
		uint8_t m = lx < ly ? lx : ly;
		for (uint8_t i = 1; i <= m; i++) {
			uint8_t cx = lower(x[i]), cy = lower(y[i]);
			if (cx != cy) {
				return cx < cy ? -1 : 1;
			}
		}
		if (lx != ly) {
			return lx < ly ? -1 : 1;
		}
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

bool hs_dname_in_zone(const knot_dname_t *name, const knot_dname_t *origin)
{
	size_t ln = dname_len(name), lo = dname_len(origin);
	if (lo > ln) {
		return false;
	}
	/* The suffix must start on a label boundary. */
	const uint8_t *p = name;
	while ((size_t)(p - name) < ln - lo) {
		p += *p + 1;
	}
	if ((size_t)(p - name) != ln - lo) {
		return false;
	}
	return hs_dname_equal(p, origin);
}

static uint32_t name_hash(const uint8_t *d)
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

static inline uint8_t *node_owner(const node_t *n)
{
	return (uint8_t *)&n->sets[n->nsets];
}

static size_t node_size(const node_t *n)
{
	if (n->nsets == 0) {
		return sizeof(node_t) + n->owner_len;
	}
	const zset_t *last = &n->sets[n->nsets - 1];
	return last->off + last->size;
}

static inline knot_rdata_t *set_rdata(const node_t *n, const zset_t *s)
{
	return (knot_rdata_t *)((uint8_t *)n + s->off);
}

static void set_view(const node_t *n, const zset_t *s, uint16_t rclass, knot_rrset_t *out)
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

static void set_rdataset(const node_t *n, const zset_t *s, knot_rdataset_t *out)
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

static uint32_t set_key(const node_t *n, const zset_t *s)
{
	return rdata_key(s->type, set_rdata(n, s));
}

static int find_key(const node_t *n, uint32_t key)
{
	uint16_t type = (uint16_t)(key >> 16);
	for (int i = 0; i < n->nsets; i++) {
		if (n->sets[i].type == type && set_key(n, &n->sets[i]) == key) {
			return i;
		}
	}
	return -1;
}

/* A change of one set: rds NULL or empty removes it. */
typedef struct {
	uint32_t key;
	knot_rdataset_t rds;
	uint32_t ttl;
} change_t;

static void changes_free(change_t *ch, size_t n)
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
static node_t *node_build(const node_t *old, const uint8_t *owner, uint32_t hash,
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

static node_t *node_lookup(const hs_zone_t *z, const uint8_t *owner, uint32_t hash)
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
static int reserve(hs_zone_t *z)
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

static void insert_node(hs_zone_t *z, node_t *n)
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
static void swap_node(hs_zone_t *z, node_t *old, node_t *nw)
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

static int zone_sort(hs_zone_t *z)
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

static int check_rr(const hs_zone_t *z, const knot_rrset_t *rr)
{
	if (rr == NULL || rr->owner == NULL || rr->type == 0) {
		return HS_EINVAL;
	}
	if (rr->rclass != z->rclass) {
		return HS_EINVAL;
	}
	if (!hs_dname_in_zone(rr->owner, z->origin)) {
		return KNOT_EOUTOFZONE;
	}
	return HS_EOK;
}

static int cmp_covered(const void *a, const void *b)
{
	uint16_t x = rdata_covered(KNOT_RRTYPE_RRSIG, *(knot_rdata_t *const *)a);
	uint16_t y = rdata_covered(KNOT_RRTYPE_RRSIG, *(knot_rdata_t *const *)b);
	return x < y ? -1 : x > y;
}

/*
 * The RDATA of rrs split by set key: *out (malloc'd, free with
 * changes_free()) gets one change per key, keys ascending, each with its
 * RDATA normalized (sorted, no duplicates) and ttl 0; *n their number.
 */
static int split(uint16_t type, const knot_rdataset_t *rrs, change_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (rrs->count == 0) {
		return HS_EOK;
	}
	knot_rdata_t **v = malloc(rrs->count * sizeof(*v));
	change_t *ch = calloc(rrs->count, sizeof(*ch));
	if (v == NULL || ch == NULL) {
		free(v);
		free(ch);
		return HS_ENOMEM;
	}
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; i < rrs->count; i++) {
		v[i] = rd;
		rd = knot_rdataset_next(rd);
	}
	if (type == KNOT_RRTYPE_RRSIG) {
		qsort(v, rrs->count, sizeof(*v), cmp_covered);
	}
	size_t nch = 0;
	for (size_t s = 0; s < rrs->count;) {
		change_t *c = &ch[nch++];
		c->key = rdata_key(type, v[s]);
		for (; s < rrs->count && rdata_key(type, v[s]) == c->key; s++) {
			if (knot_rdataset_add(&c->rds, v[s], NULL) != KNOT_EOK) {
				free(v);
				changes_free(ch, nch);
				return HS_ENOMEM;
			}
		}
	}
	free(v);
	*out = ch;
	*n = nch;
	return HS_EOK;
}

/* Apply ch (ascending keys, each once, normalized RDATA) to owner's node. */
static int put_sets(hs_zone_t *z, const knot_dname_t *owner, const change_t *ch, size_t nch)
{
	uint32_t hash = name_hash(owner);
	node_t *old = node_lookup(z, owner, hash);
	size_t rrs_old = 0, sets_old = 0, rrs_new = 0, sets_new = 0;
	for (size_t c = 0; c < nch; c++) {
		int si = old != NULL ? find_key(old, ch[c].key) : -1;
		if (si >= 0) {
			rrs_old += old->sets[si].count;
			sets_old++;
		}
		if (ch[c].rds.count > 0) {
			rrs_new += ch[c].rds.count;
			sets_new++;
		}
	}
	if (sets_old == 0 && sets_new == 0) {
		return HS_EOK;
	}
	if (old == NULL) {
		int ret = reserve(z);
		if (ret != HS_EOK) {
			return ret;
		}
	}
	node_t *nw = node_build(old, owner, hash, ch, nch);
	if (nw == NULL) {
		return HS_ENOMEM;
	}
	z->rrs = z->rrs - rrs_old + rrs_new;
	z->rrsets = z->rrsets - sets_old + sets_new;
	if (old == NULL) {
		insert_node(z, nw);
	} else {
		swap_node(z, old, nw);
	}
	return HS_EOK;
}

/*
 * Remove every set of owner with this type (for RRSIG: all covered types).
 * *found says whether there was one.
 */
static int remove_type(hs_zone_t *z, const knot_dname_t *owner, uint16_t type, bool *found)
{
	*found = false;
	node_t *old = node_lookup(z, owner, name_hash(owner));
	size_t k = 0;
	for (unsigned i = 0; old != NULL && i < old->nsets; i++) {
		k += old->sets[i].type == type;
	}
	if (k == 0) {
		return HS_EOK;
	}
	*found = true;
	change_t *ch = calloc(k, sizeof(*ch));
	if (ch == NULL) {
		return HS_ENOMEM;
	}
	size_t c = 0;
	for (unsigned i = 0; i < old->nsets; i++) {
		if (old->sets[i].type == type) {
			ch[c++].key = set_key(old, &old->sets[i]);
		}
	}
	int ret = put_sets(z, owner, ch, k);
	free(ch);
	return ret;
}

int hs_zone_add(hs_zone_t *z, const knot_rrset_t *rr, size_t *added)
{
	if (added != NULL) {
		*added = 0;
	}
	int ret = check_rr(z, rr);
	if (ret != HS_EOK) {
		return ret;
	}
	if (rr->rrs.count == 0) {
		return HS_EINVAL;
	}
	node_t *old = node_lookup(z, rr->owner, name_hash(rr->owner));
	if (rr->rrs.count == 1) {
		/* The common case while loading: nothing to merge. */
		uint32_t key = rdata_key(rr->type, rr->rrs.rdata);
		if (old == NULL || find_key(old, key) < 0) {
			change_t c = { .key = key, .rds = rr->rrs, .ttl = rr->ttl };
			ret = put_sets(z, rr->owner, &c, 1);
			if (ret == HS_EOK && added != NULL) {
				*added = 1;
			}
			return ret;
		}
	}
	change_t *ch = NULL;
	size_t nch = 0, total = 0;
	ret = split(rr->type, &rr->rrs, &ch, &nch);
	for (size_t c = 0; ret == HS_EOK && c < nch; c++) {
		ch[c].ttl = rr->ttl;
		int si = old != NULL ? find_key(old, ch[c].key) : -1;
		if (si < 0) {
			total += ch[c].rds.count;
			continue;
		}
		knot_rdataset_t cur, m;
		set_rdataset(old, &old->sets[si], &cur);
		if (knot_rdataset_copy(&m, &cur, NULL) != KNOT_EOK) {
			ret = HS_ENOMEM;
			break;
		}
		knot_rdata_t *rd = ch[c].rds.rdata;
		for (uint16_t i = 0; ret == HS_EOK && i < ch[c].rds.count; i++) {
			if (m.count == UINT16_MAX && !knot_rdataset_member(&m, rd)) {
				ret = HS_ERANGE;
			} else if (knot_rdataset_add(&m, rd, NULL) != KNOT_EOK) {
				ret = HS_ENOMEM;
			}
			rd = knot_rdataset_next(rd);
		}
		total += (size_t)(m.count - cur.count);
		knot_rdataset_clear(&ch[c].rds, NULL);
		ch[c].rds = m;
	}
	if (ret == HS_EOK) {
		ret = put_sets(z, rr->owner, ch, nch);
	}
	if (ret == HS_EOK && added != NULL) {
		*added = total;
	}
	changes_free(ch, nch);
	return ret;
}

int hs_zone_remove(hs_zone_t *z, const knot_rrset_t *rr)
{
	if (rr == NULL || rr->owner == NULL) {
		return HS_EINVAL;
	}
	if (rr->rrs.count == 0) {
		return HS_EOK;
	}
	node_t *old = node_lookup(z, rr->owner, name_hash(rr->owner));
	if (old == NULL) {
		return HS_ENOTFOUND;
	}
	change_t *ch = NULL;
	size_t nch = 0;
	int ret = split(rr->type, &rr->rrs, &ch, &nch);
	for (size_t c = 0; ret == HS_EOK && c < nch; c++) {
		int si = find_key(old, ch[c].key);
		knot_rdataset_t cur = { 0 }, m;
		if (si >= 0) {
			set_rdataset(old, &old->sets[si], &cur);
		}
		if (si < 0 || !knot_rdataset_subset(&ch[c].rds, &cur)) {
			ret = HS_ENOTFOUND;
			break;
		}
		if (knot_rdataset_copy(&m, &cur, NULL) != KNOT_EOK) {
			ret = HS_ENOMEM;
			break;
		}
		if (knot_rdataset_subtract(&m, &ch[c].rds, NULL) != KNOT_EOK) {
			knot_rdataset_clear(&m, NULL);
			ret = HS_ENOMEM;
			break;
		}
		knot_rdataset_clear(&ch[c].rds, NULL);
		ch[c].rds = m;
		ch[c].ttl = old->sets[si].ttl;
	}
	if (ret == HS_EOK) {
		ret = put_sets(z, rr->owner, ch, nch);
	}
	changes_free(ch, nch);
	return ret;
}

int hs_zone_remove_rrset(hs_zone_t *z, const knot_dname_t *owner, uint16_t type)
{
	if (owner == NULL) {
		return HS_EINVAL;
	}
	bool found;
	int ret = remove_type(z, owner, type, &found);
	return ret == HS_EOK && !found ? HS_ENOTFOUND : ret;
}

int hs_zone_remove_rrsig(hs_zone_t *z, const knot_dname_t *owner, uint16_t covered)
{
	if (owner == NULL) {
		return HS_EINVAL;
	}
	node_t *old = node_lookup(z, owner, name_hash(owner));
	change_t c = { .key = mkkey(KNOT_RRTYPE_RRSIG, covered) };
	if (old == NULL || find_key(old, c.key) < 0) {
		return HS_ENOTFOUND;
	}
	return put_sets(z, owner, &c, 1);
}

int hs_zone_replace(hs_zone_t *z, const knot_rrset_t *rr)
{
	int ret = check_rr(z, rr);
	if (ret != HS_EOK) {
		return ret;
	}
	if (rr->rrs.count == 0) {
		bool found;
		return remove_type(z, rr->owner, rr->type, &found);
	}
	change_t *ch = NULL;
	size_t nch = 0;
	ret = split(rr->type, &rr->rrs, &ch, &nch);
	for (size_t c = 0; c < nch; c++) {
		ch[c].ttl = rr->ttl;
	}
	if (ret == HS_EOK) {
		ret = put_sets(z, rr->owner, ch, nch);
	}
	changes_free(ch, nch);
	return ret;
}

/* The set (owner, key) as a view. */
static int find_view(const hs_zone_t *z, const knot_dname_t *owner, uint32_t key,
                     knot_rrset_t *out)
{
	node_t *n = node_lookup(z, owner, name_hash(owner));
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
		return find_view(z, owner, mkkey(type, 0), out);
	}
	/* All RRSIG sets, which are adjacent, as one view (their RDATA are too). */
	node_t *n = node_lookup(z, owner, name_hash(owner));
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
	return find_view(z, owner, mkkey(KNOT_RRTYPE_RRSIG, covered), out);
}

bool hs_zone_has_name(const hs_zone_t *z, const knot_dname_t *owner)
{
	node_t *n = node_lookup(z, owner, name_hash(owner));
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
	if (zone_sort(a) != HS_EOK || zone_sort(b) != HS_EOK || a->n != b->n) {
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
	int ret = zone_sort(z);
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

/* ---- diffs ------------------------------------------------------------------------ */

int hs_diff_new(const knot_dname_t *origin, uint16_t rclass, hs_diff_t **out)
{
	hs_diff_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_zone_new(origin, rclass, &d->removed);
	if (ret == HS_EOK) {
		ret = hs_zone_new(origin, rclass, &d->added);
	}
	if (ret != HS_EOK) {
		hs_diff_free(d);
		return ret;
	}
	*out = d;
	return HS_EOK;
}

void hs_diff_free(hs_diff_t *d)
{
	if (d == NULL) {
		return;
	}
	hs_zone_free(d->removed);
	hs_zone_free(d->added);
	free(d);
}

bool hs_diff_empty(const hs_diff_t *d)
{
	return d == NULL || (d->removed->rrs == 0 && d->added->rrs == 0);
}

size_t hs_diff_count(const hs_diff_t *d)
{
	return d == NULL ? 0 : d->removed->rrs + d->added->rrs;
}

static int put_view(hs_zone_t *dst, const node_t *n, const zset_t *s, uint16_t rclass)
{
	knot_rrset_t v;
	set_view(n, s, rclass, &v);
	return hs_zone_add(dst, &v, NULL);
}

/* RDATA of p not in q -> removed, of q not in p -> added (same TTL). */
static int diff_set(hs_diff_t *d, const node_t *x, const zset_t *p,
                    const node_t *y, const zset_t *q, uint16_t rclass)
{
	knot_rdataset_t rem, add;
	knot_rdataset_init(&rem);
	knot_rdataset_init(&add);
	knot_rdata_t *a = set_rdata(x, p), *b = set_rdata(y, q);
	uint16_t i = 0, j = 0;
	int ret = HS_EOK;
	while (ret == KNOT_EOK && (i < p->count || j < q->count)) {
		int c = i >= p->count ? 1 : j >= q->count ? -1 : knot_rdata_cmp(a, b);
		if (c < 0) {
			ret = knot_rdataset_add(&rem, a, NULL);
			a = knot_rdataset_next(a);
			i++;
		} else if (c > 0) {
			ret = knot_rdataset_add(&add, b, NULL);
			b = knot_rdataset_next(b);
			j++;
		} else {
			a = knot_rdataset_next(a);
			b = knot_rdataset_next(b);
			i++;
			j++;
		}
	}
	if (ret != KNOT_EOK) {
		ret = HS_ENOMEM;
	}
	knot_rrset_t v = { .owner = node_owner(x), .type = p->type, .rclass = rclass,
	                   .ttl = p->ttl };
	if (ret == HS_EOK && rem.count > 0) {
		v.rrs = rem;
		ret = hs_zone_add(d->removed, &v, NULL);
	}
	if (ret == HS_EOK && add.count > 0) {
		v.owner = node_owner(y);
		v.rrs = add;
		ret = hs_zone_add(d->added, &v, NULL);
	}
	knot_rdataset_clear(&rem, NULL);
	knot_rdataset_clear(&add, NULL);
	return ret;
}

static int diff_node(hs_diff_t *d, const node_t *x, const node_t *y, uint16_t rclass)
{
	unsigned i = 0, j = 0;
	int ret = HS_EOK;
	while (ret == HS_EOK && (i < x->nsets || j < y->nsets)) {
		const zset_t *p = i < x->nsets ? &x->sets[i] : NULL;
		const zset_t *q = j < y->nsets ? &y->sets[j] : NULL;
		uint32_t kp = p != NULL ? set_key(x, p) : 0, kq = q != NULL ? set_key(y, q) : 0;
		if (q == NULL || (p != NULL && kp < kq)) {
			ret = put_view(d->removed, x, p, rclass);
			i++;
		} else if (p == NULL || kq < kp) {
			ret = put_view(d->added, y, q, rclass);
			j++;
		} else {
			if (p->ttl != q->ttl) {
				ret = put_view(d->removed, x, p, rclass);
				if (ret == HS_EOK) {
					ret = put_view(d->added, y, q, rclass);
				}
			} else if (p->size != q->size || p->count != q->count ||
			           memcmp(set_rdata(x, p), set_rdata(y, q), p->size) != 0) {
				ret = diff_set(d, x, p, y, q, rclass);
			}
			i++;
			j++;
		}
	}
	return ret;
}

int hs_zone_diff(hs_zone_t *a, hs_zone_t *b, hs_diff_t **out)
{
	if (a == NULL || b == NULL || out == NULL || a->rclass != b->rclass ||
	    !hs_dname_equal(a->origin, b->origin)) {
		return HS_EINVAL;
	}
	int ret = zone_sort(a);
	if (ret == HS_EOK) {
		ret = zone_sort(b);
	}
	hs_diff_t *d = NULL;
	if (ret == HS_EOK) {
		ret = hs_diff_new(a->origin, a->rclass, &d);
	}
	size_t i = 0, j = 0;
	while (ret == HS_EOK && (i < a->n || j < b->n)) {
		const node_t *x = i < a->n ? a->order[i] : NULL;
		const node_t *y = j < b->n ? b->order[j] : NULL;
		int c = x == NULL ? 1 : y == NULL ? -1 :
		        hs_dname_canon_cmp(node_owner(x), node_owner(y));
		static const node_t empty;
		if (c < 0) {
			ret = diff_node(d, x, &empty, a->rclass);
			i++;
		} else if (c > 0) {
			ret = diff_node(d, &empty, y, a->rclass);
			j++;
		} else {
			ret = diff_node(d, x, y, a->rclass);
			i++;
			j++;
		}
	}
	if (ret != HS_EOK) {
		hs_diff_free(d);
		return ret;
	}
	*out = d;
	return HS_EOK;
}

int hs_zone_apply(hs_zone_t *z, hs_diff_t *d)
{
	if (z == NULL || d == NULL || d->removed->rclass != z->rclass ||
	    d->added->rclass != z->rclass) {
		return HS_EINVAL;
	}
	hs_zone_iter_t it;
	knot_rrset_t rr, cur;
	/* Check everything first. */
	int ret = hs_zone_iter_begin(d->removed, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		if (find_view(z, rr.owner, rdata_key(rr.type, rr.rrs.rdata), &cur) != HS_EOK ||
		    !knot_rdataset_subset(&rr.rrs, &cur.rrs)) {
			return HS_ENOTFOUND;
		}
	}
	if (ret == HS_EOK) {
		ret = hs_zone_iter_begin(d->added, 0, &it);
	}
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		uint32_t key = rdata_key(rr.type, rr.rrs.rdata);
		ret = check_rr(z, &rr);
		if (ret != HS_EOK || find_view(z, rr.owner, key, &cur) != HS_EOK) {
			continue;
		}
		knot_rrset_t gone;
		bool has_gone = find_view(d->removed, rr.owner, key, &gone) == HS_EOK;
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; i < rr.rrs.count; i++) {
			if (knot_rdataset_member(&cur.rrs, rd) &&
			    !(has_gone && knot_rdataset_member(&gone.rrs, rd))) {
				return HS_EEXIST;
			}
			rd = knot_rdataset_next(rd);
		}
	}
	if (ret != HS_EOK) {
		return ret;
	}
	/* Then change. */
	ret = hs_zone_iter_begin(d->removed, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		ret = hs_zone_remove(z, &rr);
	}
	if (ret == HS_EOK) {
		ret = hs_zone_iter_begin(d->added, 0, &it);
	}
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		ret = hs_zone_add(z, &rr, NULL);
	}
	return ret;
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
