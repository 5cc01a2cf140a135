/*
 * libhsync/replay.c -- bounded replay cache (see replay.h).
 *
 * Open addressing with linear probing in a table of 2 * max slots or more
 * (a power of two), so a probe always ends at an empty slot. Entries are
 * never deleted one by one: a purge copies the unexpired entries into the
 * spare table and swaps, so no tombstones are needed. An entry whose
 * expiry has passed counts as absent for look-ups and is overwritten when
 * its own ID comes again.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "libhsync/error.h"
#include "libhsync/replay.h"

typedef struct {
	uint8_t id[HS_REPLAY_IDLEN];
	time_t expires;             /* 0 = empty slot */
} slot_t;

struct hs_replay {
	slot_t *table, *spare;
	size_t nslots;              /* power of two, >= 2 * max */
	size_t max, count;
	time_t min_expires;         /* earliest expiry held; nothing to purge before it */
	uint8_t key[crypto_shorthash_KEYBYTES];
};

int hs_replay_new(size_t max, hs_replay_t **out)
{
	if (out == NULL || max == 0 || max > HS_REPLAY_MAX_LIMIT) {
		return HS_EINVAL;
	}
	if (sodium_init() < 0) {
		return HS_ENOMEM;
	}
	hs_replay_t *rc = calloc(1, sizeof(*rc));
	if (rc == NULL) {
		return HS_ENOMEM;
	}
	size_t n = 2;
	while (n < 2 * max) {
		n *= 2;
	}
	rc->nslots = n;
	rc->max = max;
	rc->table = calloc(n, sizeof(slot_t));
	rc->spare = calloc(n, sizeof(slot_t));
	if (rc->table == NULL || rc->spare == NULL) {
		hs_replay_free(rc);
		return HS_ENOMEM;
	}
	randombytes_buf(rc->key, sizeof(rc->key));
	*out = rc;
	return HS_EOK;
}

void hs_replay_free(hs_replay_t *rc)
{
	if (rc == NULL) {
		return;
	}
	free(rc->table);
	free(rc->spare);
	sodium_memzero(rc->key, sizeof(rc->key));
	free(rc);
}

static size_t slot_of(const hs_replay_t *rc, const uint8_t *id)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, id, HS_REPLAY_IDLEN, rc->key);
	uint64_t v = 0;
	memcpy(&v, h, sizeof(v) < sizeof(h) ? sizeof(v) : sizeof(h));
	return (size_t)(v & (rc->nslots - 1));
}

/* The slot holding ID, or the empty slot where it would go. */
static slot_t *find(slot_t *table, const hs_replay_t *rc, const uint8_t *id)
{
	size_t i = slot_of(rc, id);
	for (;;) {
		slot_t *s = &table[i];
		if (s->expires == 0 || memcmp(s->id, id, HS_REPLAY_IDLEN) == 0) {
			return s;
		}
		i = (i + 1) & (rc->nslots - 1);
	}
}

size_t hs_replay_purge(hs_replay_t *rc, time_t now)
{
	if (rc == NULL || rc->count == 0 || now < rc->min_expires) {
		return 0;
	}
	memset(rc->spare, 0, rc->nslots * sizeof(slot_t));
	size_t kept = 0;
	time_t min = 0;
	for (size_t i = 0; i < rc->nslots; i++) {
		const slot_t *s = &rc->table[i];
		if (s->expires == 0 || s->expires <= now) {
			continue;
		}
		*find(rc->spare, rc, s->id) = *s;
		if (kept++ == 0 || s->expires < min) {
			min = s->expires;
		}
	}
	size_t dropped = rc->count - kept;
	slot_t *t = rc->table;
	rc->table = rc->spare;
	rc->spare = t;
	memset(rc->spare, 0, rc->nslots * sizeof(slot_t));
	rc->count = kept;
	rc->min_expires = min;
	return dropped;
}

bool hs_replay_seen(const hs_replay_t *rc, const uint8_t id[HS_REPLAY_IDLEN], time_t now)
{
	if (rc == NULL || id == NULL) {
		return false;
	}
	const slot_t *s = find(rc->table, rc, id);
	return s->expires != 0 && s->expires > now;
}

int hs_replay_add(hs_replay_t *rc, const uint8_t id[HS_REPLAY_IDLEN], time_t expires,
                  time_t now)
{
	if (rc == NULL || id == NULL || expires <= now || expires <= 0) {
		return HS_EINVAL;
	}
	slot_t *s = find(rc->table, rc, id);
	if (s->expires != 0) {
		if (s->expires > now) {
			return HS_EREPLAY;
		}
		/* Same ID, expired: take the slot over. */
		s->expires = expires;
		if (expires < rc->min_expires) {
			rc->min_expires = expires;
		}
		return HS_EOK;
	}
	if (rc->count >= rc->max) {
		hs_replay_purge(rc, now);
		if (rc->count >= rc->max) {
			return HS_EREPLAY_FULL;
		}
		s = find(rc->table, rc, id);
	}
	memcpy(s->id, id, HS_REPLAY_IDLEN);
	s->expires = expires;
	if (rc->count++ == 0 || expires < rc->min_expires) {
		rc->min_expires = expires;
	}
	return HS_EOK;
}

size_t hs_replay_count(const hs_replay_t *rc)
{
	return rc != NULL ? rc->count : 0;
}

size_t hs_replay_max(const hs_replay_t *rc)
{
	return rc != NULL ? rc->max : 0;
}
