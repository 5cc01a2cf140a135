/*
 * libhsync/replay.h -- a bounded cache of accepted signed messages, to
 * refuse replays.
 *
 * An entry is an opaque message ID of HS_REPLAY_IDLEN bytes (msg.c gives
 * one: a hash of the SIG(0)-signed data, see hs_msg_replay_id()) and the
 * time until which a copy of that message could still pass the signature
 * time check. hs_replay_add() remembers a new ID and refuses one it holds
 * and that has not expired yet.
 *
 * Memory is bounded: the cache holds at most `max` entries, fixed at
 * creation (two tables of 2 * max slots, 40 bytes a slot, next power of
 * two). When it is full, expired entries are dropped first; if every entry
 * is still unexpired the NEW message is refused (HS_EREPLAY_FULL) and
 * nothing is forgotten, because forgetting an unexpired ID would let that
 * message be replayed. Only messages whose signature verified are added,
 * so a full cache means authenticated peers sent more than `max` messages
 * within one validity window.
 *
 * The clock is injected: every call takes `now`, so tests and the daemon
 * decide what time it is. Times are absolute seconds (time_t).
 * Slots are chosen with SipHash (libsodium) under a random key per cache,
 * so peers cannot aim IDs at one probe chain.
 * Not thread-safe; one cache per event loop.
 */
#ifndef HS_REPLAY_H
#define HS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HS_REPLAY_IDLEN 32
#define HS_REPLAY_MAX_DEFAULT 65536   /* a daemon's default for `max` */
#define HS_REPLAY_MAX_LIMIT (1u << 24)

typedef struct hs_replay hs_replay_t;

/*
 * A new, empty cache for at most MAX entries (1..HS_REPLAY_MAX_LIMIT).
 * *out is new; free with hs_replay_free(). HS_EINVAL, HS_ENOMEM.
 */
int hs_replay_new(size_t max, hs_replay_t **out);

/* Free the cache. NULL is fine. */
void hs_replay_free(hs_replay_t *rc);

/*
 * Remember ID until EXPIRES (the entry is dropped once now >= expires).
 * Returns 0 (new, remembered), HS_EREPLAY (held and unexpired: a replay;
 * the cache is unchanged), HS_EREPLAY_FULL (full of unexpired entries;
 * unchanged), HS_EINVAL (NULL, or expires <= now).
 */
int hs_replay_add(hs_replay_t *rc, const uint8_t id[HS_REPLAY_IDLEN], time_t expires,
                  time_t now);

/* True if ID is held and unexpired at NOW. Changes nothing. */
bool hs_replay_seen(const hs_replay_t *rc, const uint8_t id[HS_REPLAY_IDLEN], time_t now);

/*
 * Drop every entry expired at NOW; returns how many were dropped. Called
 * by hs_replay_add() when the cache is full; a daemon may call it from a
 * timer to give memory back early (it never needs to).
 */
size_t hs_replay_purge(hs_replay_t *rc, time_t now);

/* Entries held (expired ones not yet purged included). */
size_t hs_replay_count(const hs_replay_t *rc);

/* The MAX given to hs_replay_new(). */
size_t hs_replay_max(const hs_replay_t *rc);

#endif /* HS_REPLAY_H */
