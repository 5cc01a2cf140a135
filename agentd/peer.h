/*
 * agentd/peer.h -- the other agents: their state, timers and state file.
 *
 * One peer per IDENTITY, shared by every zone whose HSYNC names it. Keys,
 * addresses and liveness belong to the agent, not to a zone: an agent
 * that serves 10,000 zones with us is one SIG(0) key, one address set and
 * one heartbeat every 30 s, not 10,000 of each. Per-zone acceptance (is
 * this identity in THIS zone's HSYNC?) is checked per message by the
 * receiver anyway. The peer keeps the list of zones that name it; HELLO is
 * sent for one of them (the first) and introduces the channel.
 *
 * States (DESIGN.md, "Agent to agent"):
 *
 *   NEEDED       named in HSYNC; URI/SVCB/KEY not (yet) found and validated
 *   KNOWN        look-ups done: host, addresses, port, trusted KEYs
 *   INTRODUCED   our HELLO was answered NOERROR
 *   OPERATIONAL  heartbeats flowing (one heard since INTRODUCED)
 *   DEGRADED     unheard for `degraded` (2) heartbeat intervals
 *   INTERRUPTED  unheard for `interrupted` (10) intervals
 *   ERROR        discovery failed in the published data (HS_EDISC_DATA,
 *                HS_EKEYALG), or the daemon said so with hs_peer_fail():
 *                e.g. the answers to OUR requests, sent to the discovered
 *                address, fail verification with every validated key (the
 *                key changed without a validated KEY). Never for an
 *                unsolicited message: an unauthenticated message changes
 *                nothing (DESIGN.md), else anyone could push a peer into
 *                ERROR. Rediscovered with backoff.
 *
 * "Heard" is any verified message from the peer: a HEARTBEAT or HELLO it
 * sent us, or its signed answer to ours. Heard in INTRODUCED, DEGRADED or
 * INTERRUPTED -> OPERATIONAL. A HEARTBEAT answered REFUSED means the peer
 * no longer knows us (it lost its state): back to KNOWN, HELLO again.
 * A rediscovery that finds other keys (validated, AD) replaces the keys and
 * goes back to KNOWN: the peer must be introduced again under the new key.
 * A rediscovery that fails in KNOWN or later keeps state and keys (the
 * keys were validated; a transient resolver problem must not cut a working
 * channel) and only records the reason.
 *
 * Refresh. A peer in KNOWN or later is discovered again every `refresh`
 * seconds (3600), so that a key the peer rolled, or a move, is seen
 * without waiting for a failure; a failed refresh is tried again after
 * backoff_max seconds. After a restart the refresh is due at once (in
 * parallel with the HELLO), to catch changes made while we were down.
 *
 * Retries. Discovery (NEEDED, ERROR) and HELLO (KNOWN) are retried after
 * a failure (HELLO REFUSED, HELLO unanswered for hello_timeout seconds,
 * discovery failed) with a delay that starts at backoff_min, doubles with
 * each further failure and stops growing at backoff_max; `jitter` percent
 * (0-50) of random extra delay spreads retries of many agents. Success
 * resets the delay.
 *
 * Time is injected: every event and hs_peer_tick() take `now`. The caller
 * calls hs_peer_tick() when hs_peer_next_time() comes (or on any timer)
 * and does what its result asks, reporting back with the events below.
 *
 * State file (JSON, jansson), written atomically (temp file, fsync,
 * rename, fsync of the directory) by hs_peers_save():
 *
 *   { "format": "hsync-peers-1",
 *     "peers": [ { "identity": "agent.b.example.", "state": "OPERATIONAL",
 *                  "since": 1700000000, "reason": "",
 *                  "host": "host.b.example.", "port": 5300,
 *                  "addresses": [ "192.0.2.1", "2001:db8::1" ],
 *                  "keys": [ "<base64 of KEY RDATA>" ],
 *                  "zones": [ "example." ], "last_contact": 1700000000 } ] }
 *
 * Restart. hs_peers_load() brings a peer that was INTRODUCED, OPERATIONAL,
 * DEGRADED or INTERRUPTED back as KNOWN: its keys were validated and stay
 * trusted (no new look-ups needed, so a resolver outage at restart does not
 * stop us), but the channel must be introduced again, because the other
 * side may have restarted too and neither side can know what the other
 * remembers; a HELLO is cheap and makes both sides sure. HELLO is due at
 * once. NEEDED and ERROR peers come back as they were, discovery due at
 * once. last_contact is kept. A missing file is an empty table (first
 * start); a corrupt one is HS_ESYNTAX with a reason naming file and field,
 * and the table is left unchanged.
 *
 * Ownership: the table owns its peers; hs_peer_t pointers are BORROWED
 * and valid until the peer is removed or the table freed. Fields of
 * hs_peer_t are read-only for callers: change them only through the events.
 * Functions return 0 or a negative code (libhsync/error.h) and never print.
 */
#ifndef HS_AGENTD_PEER_H
#define HS_AGENTD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "agentd/discover.h"
#include "libhsync/key.h"

#define HS_PEER_REASON_SIZE 512
#define HS_PEER_FORMAT "hsync-peers-1"

typedef enum hs_peer_state {
	HS_PEER_NEEDED = 0,
	HS_PEER_KNOWN,
	HS_PEER_INTRODUCED,
	HS_PEER_OPERATIONAL,
	HS_PEER_DEGRADED,
	HS_PEER_INTERRUPTED,
	HS_PEER_ERROR,
} hs_peer_state_t;

typedef struct hs_peer_timers {
	uint32_t heartbeat;      /* seconds between HEARTBEATs (30) */
	uint32_t degraded;       /* intervals unheard -> DEGRADED (2) */
	uint32_t interrupted;    /* intervals unheard -> INTERRUPTED (10) */
	uint32_t hello_timeout;  /* seconds a HELLO may stay unanswered (10) */
	uint32_t backoff_min;    /* first retry delay, seconds (5) */
	uint32_t backoff_max;    /* retry delay bound, seconds (300) */
	uint32_t jitter;         /* percent of random extra delay, 0-50 (0) */
	uint32_t refresh;        /* seconds between rediscoveries of a known peer (3600) */
} hs_peer_timers_t;

/* What hs_peer_tick() asks the caller to do (bits). */
#define HS_PEER_DO_DISCOVER  0x01  /* start (re)discovery; then hs_peer_discovery_started() */
#define HS_PEER_DO_HELLO     0x02  /* send HELLO; then hs_peer_hello_sent() */
#define HS_PEER_DO_HEARTBEAT 0x04  /* send HEARTBEAT; then hs_peer_heartbeat_sent() */
#define HS_PEER_CHANGED      0x08  /* the state changed: log it, save the table */

typedef struct hs_peer {
	knot_dname_storage_t identity;        /* lower case */
	char name[KNOT_DNAME_TXT_MAXLEN + 1];  /* identity as text */
	hs_peer_state_t state;
	time_t since;                         /* when the state was entered */
	char reason[HS_PEER_REASON_SIZE];     /* last failure or change; "" if none */

	/* from discovery (KNOWN and later, and kept in ERROR) */
	knot_dname_storage_t host;            /* empty name (root) if none yet */
	uint16_t port;
	size_t naddrs;
	struct sockaddr_storage addrs[HS_DISC_MAX_ADDRS];   /* port set */
	size_t nkeys;
	hs_key_t *keys[HS_DISC_MAX_KEYS];     /* trusted SIG(0) keys, owner = host */

	/* zones whose HSYNC names this identity (text, lower case) */
	char **zones;
	size_t nzones;

	/* timers */
	time_t last_contact;    /* last time heard (see above); 0 never */
	time_t hb_sent;         /* last HEARTBEAT sent; 0 none */
	time_t hello_sent;      /* HELLO outstanding since; 0 none */
	time_t next_try;        /* next discovery (NEEDED, ERROR) or HELLO (KNOWN) */
	time_t next_refresh;    /* next rediscovery (KNOWN and later) */
	bool discovering;       /* discovery running (between started and done/failed) */
	uint32_t backoff;       /* current retry delay; 0 = no failure yet */
	unsigned failures;      /* consecutive failures of discovery or HELLO */

	const hs_peer_timers_t *timers;   /* borrowed from the table */
} hs_peer_t;

typedef struct hs_peers {
	hs_peer_timers_t timers;
	hs_peer_t **peers;
	size_t count;
	size_t cap;
} hs_peers_t;

/* The defaults in parentheses above. */
void hs_peer_timers_default(hs_peer_timers_t *t);

/* "NEEDED", ... ; "?" for a value out of range. Static. */
const char *hs_peer_state_name(hs_peer_state_t state);

/* Name -> state (case-insensitive). HS_EINVAL if unknown. */
int hs_peer_state_parse(const char *name, hs_peer_state_t *state);

/*
 * A new empty table (*out new; free with hs_peers_free). TIMERS NULL gives
 * the defaults; zero fields get their default. HS_EINVAL (heartbeat,
 * degraded >= interrupted, backoff_min > backoff_max, jitter > 50),
 * HS_ENOMEM.
 */
int hs_peers_new(const hs_peer_timers_t *timers, hs_peers_t **out);

/* Free the table and its peers (keys wiped). NULL is fine. */
void hs_peers_free(hs_peers_t *ps);

/* The peer for IDENTITY (any case), or NULL. Borrowed. */
hs_peer_t *hs_peers_find(const hs_peers_t *ps, const knot_dname_t *identity);

/*
 * Note that ZONE (text, any case; NULL for none) names IDENTITY: the peer
 * is created (NEEDED, discovery due at NOW) if new, and ZONE added to its
 * list if not there. *out (may be NULL) gets the peer, borrowed.
 * HS_EINVAL, HS_ENAME (zone text not a domain name), HS_ENOMEM.
 */
int hs_peers_add(hs_peers_t *ps, const knot_dname_t *identity, const char *zone,
                 time_t now, hs_peer_t **out);

/*
 * ZONE no longer names these peers (or is gone): remove it from every
 * peer; a peer left without zones is removed. Returns how many peers were
 * removed (>= 0).
 */
int hs_peers_drop_zone(hs_peers_t *ps, const char *zone);

/* Remove one peer. HS_ENOTFOUND. */
int hs_peers_remove(hs_peers_t *ps, const knot_dname_t *identity);

/* ---- events: return 1 if the state changed, 0 if not, or a negative code ---- */

/* The caller started a discovery (after HS_PEER_DO_DISCOVER). */
int hs_peer_discovery_started(hs_peer_t *p, time_t now);

/*
 * Discovery done: host, port, addresses and keys are copied from R.
 * NEEDED/ERROR -> KNOWN. In KNOWN or later: with the same key set only the
 * addresses are refreshed; with other keys -> KNOWN (re-introduce).
 * HS_EINVAL (R has no key), HS_ENOMEM (peer unchanged).
 */
int hs_peer_discovered(hs_peer_t *p, const hs_disc_result_t *r, time_t now);

/*
 * Discovery failed with CODE; WHY (may be NULL) is kept as the reason.
 * NEEDED: PERMANENT -> ERROR, else stays NEEDED. Backoff grows.
 */
int hs_peer_discovery_failed(hs_peer_t *p, int code, bool permanent, const char *why,
                             time_t now);

int hs_peer_hello_sent(hs_peer_t *p, time_t now);
/* Our HELLO answered NOERROR (and verified): KNOWN -> INTRODUCED; heard. */
int hs_peer_hello_answered(hs_peer_t *p, time_t now);
/* Our HELLO answered REFUSED (or another error; WHY says): retry with backoff. */
int hs_peer_hello_refused(hs_peer_t *p, const char *why, time_t now);
/* The peer's HELLO, verified and answered NOERROR by us: heard. */
int hs_peer_hello_received(hs_peer_t *p, time_t now);

int hs_peer_heartbeat_sent(hs_peer_t *p, time_t now);
/* The peer's HEARTBEAT (verified), or its answer to ours: heard. */
int hs_peer_heartbeat_received(hs_peer_t *p, time_t now);
int hs_peer_heartbeat_answered(hs_peer_t *p, time_t now);
/* Our HEARTBEAT answered REFUSED: the peer lost us; -> KNOWN, HELLO at once. */
int hs_peer_heartbeat_refused(hs_peer_t *p, const char *why, time_t now);

/* Something the daemon cannot accept (WHY): -> ERROR, rediscovery with backoff. */
int hs_peer_fail(hs_peer_t *p, const char *why, time_t now);

/*
 * Timers at NOW: HELLO unanswered too long counts as refused; unheard too
 * long -> DEGRADED / INTERRUPTED. Returns HS_PEER_DO_* and HS_PEER_CHANGED
 * bits (0: nothing to do).
 */
int hs_peer_tick(hs_peer_t *p, time_t now);

/* Earliest time hs_peer_tick() has something to do; 0 if nothing is scheduled. */
time_t hs_peer_next_time(const hs_peer_t *p);

/* ---- the table on disk and for the control socket ---- */

/* Write the state file atomically (see above). HS_ENOMEM, HS_EIO. */
int hs_peers_save(const hs_peers_t *ps, const char *path);

/*
 * Read PATH into PS, which must be empty (HS_EEXIST otherwise), applying
 * the restart rules above at NOW. Missing file: 0, table stays empty.
 * Corrupt: HS_ESYNTAX with WHY "PATH: where: what" (WHY may be NULL);
 * HS_EIO, HS_ENOMEM. On error PS is unchanged.
 */
int hs_peers_load(hs_peers_t *ps, const char *path, time_t now, char *why, size_t whylen);

/*
 * The table as JSON for the control socket: the state file's fields, plus
 * per peer "key_tags" ("ALG/TAG" strings such as "15/19511"), "unheard"
 * (seconds since last contact, or null), "next_try" (when hs_peer_tick()
 * next has work, or null) and "next_refresh" (or null). NEW reference (json_decref);
 * NULL on ENOMEM.
 */
json_t *hs_peers_json(const hs_peers_t *ps, time_t now);

/*
 * The table for people: one header line, then one line per peer with
 * IDENTITY, STATE, LAST CONTACT ("12s ago", "never"), HOST:PORT, KEYS
 * (alg/tag), ZONES, and REASON if any; columns aligned. *out is a new
 * NUL-terminated string (free()). HS_ENOMEM.
 */
int hs_peers_table(const hs_peers_t *ps, time_t now, char **out);

#endif /* HS_AGENTD_PEER_H */
