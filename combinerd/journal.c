/*
 * combinerd/journal.c -- journal of differences, serial state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "combinerd/journal.h"
#include "libhsync/error.h"

/* ---- journal ------------------------------------------------------------------------ */

#define MAGIC "HSYNCJ1\n"
#define SUMLEN 32

struct hs_journal {
	knot_dname_t *apex;
	size_t max_entries, max_rrs;
	hs_journal_entry_t *e;   /* e[0] oldest */
	size_t n, cap;
	size_t rrs;
	uint32_t serial;
};

int hs_journal_new(const knot_dname_t *apex, size_t max_entries, size_t max_rrs,
                   hs_journal_t **out)
{
	if (apex == NULL || out == NULL || max_entries == 0 || max_rrs == 0) {
		return HS_EINVAL;
	}
	hs_journal_t *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		return HS_ENOMEM;
	}
	j->apex = knot_dname_copy(apex, NULL);
	if (j->apex == NULL) {
		free(j);
		return HS_ENOMEM;
	}
	j->max_entries = max_entries;
	j->max_rrs = max_rrs;
	*out = j;
	return HS_EOK;
}

static void drop_oldest(hs_journal_t *j, size_t k)
{
	if (k == 0) {
		return;
	}
	for (size_t i = 0; i < k; i++) {
		j->rrs -= hs_diff_count(j->e[i].diff);
		hs_diff_free(j->e[i].diff);
	}
	memmove(j->e, j->e + k, (j->n - k) * sizeof(*j->e));
	j->n -= k;
}

void hs_journal_free(hs_journal_t *j)
{
	if (j == NULL) {
		return;
	}
	drop_oldest(j, j->n);
	free(j->e);
	knot_dname_free(j->apex, NULL);
	free(j);
}

void hs_journal_reset(hs_journal_t *j, uint32_t serial)
{
	drop_oldest(j, j->n);
	j->serial = serial;
}

static void enforce(hs_journal_t *j)
{
	size_t k = 0, rrs = j->rrs;
	while (k < j->n && (j->n - k > j->max_entries || rrs > j->max_rrs)) {
		rrs -= hs_diff_count(j->e[k].diff);
		k++;
	}
	drop_oldest(j, k);
}

int hs_journal_add(hs_journal_t *j, uint32_t from, uint32_t to, hs_diff_t *diff)
{
	if (j == NULL || diff == NULL || (j->n > 0 && from != j->serial)) {
		return HS_EINVAL;
	}
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 8;
		hs_journal_entry_t *e = realloc(j->e, cap * sizeof(*e));
		if (e == NULL) {
			return HS_ENOMEM;
		}
		j->e = e;
		j->cap = cap;
	}
	if (j->n == 0 && from != j->serial) {
		/* A chain starting elsewhere: nothing before it is known. */
		j->serial = from;
	}
	j->e[j->n++] = (hs_journal_entry_t){ .from = from, .to = to, .diff = diff };
	j->rrs += hs_diff_count(diff);
	j->serial = to;
	enforce(j);
	return HS_EOK;
}

int hs_journal_record(hs_journal_t *j, hs_combine_result_t *r)
{
	if (j == NULL || r == NULL) {
		return HS_EINVAL;
	}
	switch (r->what) {
	case HS_COMBINE_CHANGED: {
		if (j->serial != r->from) {
			hs_journal_reset(j, r->from);
		}
		int ret = hs_journal_add(j, r->from, r->to, r->diff);
		if (ret == HS_EOK) {
			r->diff = NULL;
		}
		return ret;
	}
	case HS_COMBINE_NEW:
		hs_journal_reset(j, r->to);
		return HS_EOK;
	default:
		if (j->n == 0) {
			j->serial = r->to;
		}
		return HS_EOK;
	}
}

uint32_t hs_journal_serial(const hs_journal_t *j)
{
	return j->serial;
}

size_t hs_journal_count(const hs_journal_t *j)
{
	return j->n;
}

size_t hs_journal_rrs(const hs_journal_t *j)
{
	return j->rrs;
}

const hs_journal_entry_t *hs_journal_entry(const hs_journal_t *j, size_t i)
{
	return i < j->n ? &j->e[i] : NULL;
}

int hs_journal_find(const hs_journal_t *j, uint32_t from, size_t *first, size_t *count)
{
	*first = j->n;
	*count = 0;
	if (from == j->serial || hs_serial_gt(from, j->serial)) {
		return HS_EOK;
	}
	for (size_t i = 0; i < j->n; i++) {
		if (j->e[i].from == from) {
			*first = i;
			*count = j->n - i;
			return HS_EOK;
		}
	}
	return HS_ENOTFOUND;
}

/* ---- file -------------------------------------------------------------------------- */

typedef struct {
	uint8_t *p;
	size_t len, cap;
	bool fail;
} buf_t;

static void put_bytes(buf_t *b, const void *d, size_t n)
{
	if (b->fail) {
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n) {
			cap *= 2;
		}
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL) {
			b->fail = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_u16(buf_t *b, uint16_t v)
{
	uint8_t x[2];
	knot_wire_write_u16(x, v);
	put_bytes(b, x, 2);
}

static void put_u32(buf_t *b, uint32_t v)
{
	uint8_t x[4];
	knot_wire_write_u32(x, v);
	put_bytes(b, x, 4);
}

static int put_zone(buf_t *b, hs_zone_t *z)
{
	hs_zone_iter_t it;
	knot_rrset_t rr;
	int ret = hs_zone_iter_begin(z, 0, &it);
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; i < rr.rrs.count; i++) {
			put_bytes(b, rr.owner, knot_dname_size(rr.owner));
			put_u16(b, rr.type);
			put_u16(b, rr.rclass);
			put_u32(b, rr.ttl);
			put_u16(b, rd->len);
			put_bytes(b, rd->data, rd->len);
			rd = knot_rdataset_next(rd);
		}
	}
	return ret;
}

int hs_journal_save(const hs_journal_t *j, const hs_combine_state_t *st, const char *path)
{
	if (j == NULL || st == NULL || path == NULL) {
		return HS_EINVAL;
	}
	buf_t b = { 0 };
	put_bytes(&b, MAGIC, 8);
	uint8_t flags[4] = { st->valid ? 1 : 0, 0, 0, 0 };
	put_bytes(&b, flags, 4);
	put_u32(&b, st->serial);
	put_u32(&b, st->owner_serial);
	put_bytes(&b, st->digest, HS_COMBINE_DIGEST_LEN);
	put_u32(&b, j->serial);
	put_u32(&b, (uint32_t)j->n);
	int ret = HS_EOK;
	for (size_t i = 0; ret == HS_EOK && i < j->n; i++) {
		const hs_journal_entry_t *e = &j->e[i];
		put_u32(&b, e->from);
		put_u32(&b, e->to);
		put_u32(&b, (uint32_t)hs_zone_count(e->diff->removed));
		put_u32(&b, (uint32_t)hs_zone_count(e->diff->added));
		ret = put_zone(&b, e->diff->removed);
		if (ret == HS_EOK) {
			ret = put_zone(&b, e->diff->added);
		}
	}
	uint8_t sum[SUMLEN];
	if (ret == HS_EOK && !b.fail) {
		crypto_generichash(sum, SUMLEN, b.p, b.len, NULL, 0);
		put_bytes(&b, sum, SUMLEN);
	}
	if (ret == HS_EOK && b.fail) {
		ret = HS_ENOMEM;
	}
	if (ret == HS_EOK) {
		ret = hs_state_write(path, b.p, b.len);
	}
	free(b.p);
	return ret;
}

typedef struct {
	const uint8_t *p, *end;
} rd_t;

static bool get_u32(rd_t *r, uint32_t *v)
{
	if (r->end - r->p < 4) {
		return false;
	}
	*v = knot_wire_read_u32(r->p);
	r->p += 4;
	return true;
}

static bool get_u16(rd_t *r, uint16_t *v)
{
	if (r->end - r->p < 2) {
		return false;
	}
	*v = knot_wire_read_u16(r->p);
	r->p += 2;
	return true;
}

/* n RRs into z; false with a reason on bad data. */
static bool get_rrs(rd_t *r, uint32_t n, hs_zone_t *z, const char **why)
{
	uint8_t buf[sizeof(knot_rdata_t) + 65536];
	for (uint32_t i = 0; i < n; i++) {
		int olen = knot_dname_wire_check(r->p, r->end, NULL);
		if (olen <= 0) {
			*why = "bad owner name";
			return false;
		}
		knot_rrset_t rr;
		knot_rrset_init(&rr, (knot_dname_t *)r->p, 0, 0, 0);
		r->p += olen;
		uint16_t rdlen;
		if (!get_u16(r, &rr.type) || !get_u16(r, &rr.rclass) || !get_u32(r, &rr.ttl) ||
		    !get_u16(r, &rdlen) || r->end - r->p < rdlen) {
			*why = "record ends early";
			return false;
		}
		knot_rdata_t *rd = (knot_rdata_t *)buf;
		knot_rdata_init(rd, rdlen, r->p);
		r->p += rdlen;
		rr.rrs.count = 1;
		rr.rrs.size = (uint32_t)knot_rdata_size(rdlen);
		rr.rrs.rdata = rd;
		size_t added = 0;
		if (hs_zone_add(z, &rr, &added) != HS_EOK || added != 1) {
			*why = "record outside the zone, of another class, or twice";
			return false;
		}
	}
	return true;
}

static int jbad(char *err, size_t errlen, const char *path, const char *why)
{
	if (err != NULL && errlen > 0) {
		snprintf(err, errlen, "%s: %s", path, why);
	}
	return HS_ESYNTAX;
}

int hs_journal_load(const knot_dname_t *apex, const char *path, size_t max_entries,
                    size_t max_rrs, hs_journal_t **out, hs_combine_state_t *st,
                    char *err, size_t errlen)
{
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	if (path == NULL || out == NULL || st == NULL) {
		return HS_EINVAL;
	}
	memset(st, 0, sizeof(*st));
	hs_journal_t *j = NULL;
	int ret = hs_journal_new(apex, max_entries, max_rrs, &j);
	if (ret != HS_EOK) {
		return ret;
	}
	uint8_t *data = NULL;
	size_t len = 0;
	ret = hs_state_read(path, &data, &len);
	if (ret == HS_ENOTFOUND) {
		*out = j;
		return HS_EOK;
	}
	if (ret != HS_EOK) {
		hs_journal_free(j);
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: cannot read", path);
		}
		return ret;
	}
	const char *why = NULL;
	uint8_t sum[SUMLEN];
	rd_t r = { data, data + len };
	hs_combine_state_t s = { 0 };
	uint32_t jserial = 0, n = 0;
	if (len < 8 + 4 + 8 + HS_COMBINE_DIGEST_LEN + 8 + SUMLEN || memcmp(data, MAGIC, 8) != 0) {
		why = "not a journal file (bad size or magic)";
		goto out;
	}
	crypto_generichash(sum, SUMLEN, data, len - SUMLEN, NULL, 0);
	if (sodium_memcmp(sum, data + len - SUMLEN, SUMLEN) != 0) {
		why = "checksum mismatch (corrupt or truncated)";
		goto out;
	}
	r.end -= SUMLEN;
	r.p += 8;
	if (r.p[0] > 1 || r.p[1] != 0 || r.p[2] != 0 || r.p[3] != 0) {
		why = "bad flags";
		goto out;
	}
	s.valid = r.p[0] == 1;
	r.p += 4;
	get_u32(&r, &s.serial);
	get_u32(&r, &s.owner_serial);
	memcpy(s.digest, r.p, HS_COMBINE_DIGEST_LEN);
	r.p += HS_COMBINE_DIGEST_LEN;
	get_u32(&r, &jserial);
	get_u32(&r, &n);
	if (s.valid && jserial != s.serial) {
		why = "journal serial differs from the state's serial";
		goto out;
	}
	j->serial = jserial;
	uint32_t expect = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t from, to, nrem, nadd;
		if (!get_u32(&r, &from) || !get_u32(&r, &to) || !get_u32(&r, &nrem) ||
		    !get_u32(&r, &nadd)) {
			why = "entry header ends early";
			goto out;
		}
		if (i > 0 && from != expect) {
			why = "entries do not chain";
			goto out;
		}
		expect = to;
		hs_diff_t *d = NULL;
		ret = hs_diff_new(apex, KNOT_CLASS_IN, &d);
		if (ret != HS_EOK) {
			goto out;
		}
		if (!get_rrs(&r, nrem, d->removed, &why) || !get_rrs(&r, nadd, d->added, &why)) {
			hs_diff_free(d);
			goto out;
		}
		if (j->n == j->cap) {
			size_t cap = j->cap ? j->cap * 2 : 8;
			hs_journal_entry_t *e = realloc(j->e, cap * sizeof(*e));
			if (e == NULL) {
				hs_diff_free(d);
				ret = HS_ENOMEM;
				goto out;
			}
			j->e = e;
			j->cap = cap;
		}
		j->e[j->n++] = (hs_journal_entry_t){ .from = from, .to = to, .diff = d };
		j->rrs += hs_diff_count(d);
	}
	if (r.p != r.end) {
		why = "bytes left after the last entry";
		goto out;
	}
	if (n > 0 && expect != jserial) {
		why = "last entry does not end at the journal serial";
		goto out;
	}
	enforce(j);
out:
	free(data);
	if (why != NULL || ret != HS_EOK) {
		hs_journal_free(j);
		return why != NULL ? jbad(err, errlen, path, why) : ret;
	}
	*st = s;
	*out = j;
	return HS_EOK;
}
