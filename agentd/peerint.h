/*
 * agentd/peerint.h -- what the states and the table (peer.c) and the state
 * file and exports (peerfile.c) share. Internal to agentd/peer*.c; use peer.h.
 */
#ifndef HS_AGENTD_PEERINT_H
#define HS_AGENTD_PEERINT_H

#include <stdbool.h>
#include <time.h>

#include "agentd/peer.h"

/* Set p->reason (printable ASCII only: one log line, valid JSON text). */
void hs_peer_set_reason(hs_peer_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new peer in NEEDED at NOW (NEW; free with hs_peer_free); NULL on no memory. */
hs_peer_t *hs_peer_new(const knot_dname_t *identity, const hs_peer_timers_t *t, time_t now);

/* Free a peer (keys wiped). NULL is fine. */
void hs_peer_free(hs_peer_t *p);

/* Is the channel up in state S (INTRODUCED, OPERATIONAL, DEGRADED, INTERRUPTED)? */
bool hs_peer_channel_up(hs_peer_state_t s);

/* Append P to the table (the table takes it on success). */
int hs_peers_append(hs_peers_t *ps, hs_peer_t *p);

/* Zone text normalised: lower case, absolute. NEW (free); NULL on a bad name. */
char *hs_peer_zone_norm(const char *zone);

/* Add ZONE to the peer's zones. Takes ZONE (normalised, malloc'd) whatever happens. */
int hs_peer_add_zone(hs_peer_t *p, char *zone);

#endif /* HS_AGENTD_PEERINT_H */
