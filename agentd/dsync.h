/*
 * agentd/dsync.h -- the child finds its parent's DSYNC UPDATE target
 * (RFC 9859 discovery; draft-johani-dnsop-delegation-mgmt-via-ddns).
 *
 * A step machine with no sockets, like agentd/discover: the caller asks
 * hs_dsync_disc_query() for the next query, sends it to the validating
 * resolver and gives the answer to hs_dsync_disc_feed(). For the child C
 * and a candidate parent P (C = <labels>.P):
 *
 *   1. DSYNC <labels>._dsync.P   (a wildcard *._dsync.P answers this too,
 *                                 synthesized by the resolver)
 *   2. on a negative answer (NXDOMAIN or NODATA) the SOA in its authority
 *      section says where we are:
 *        - SOA owner a proper ancestor of P: P is no zone, so it is not the
 *          parent: walk up, P = the SOA owner, back to 1;
 *        - SOA owner P or below P (P is a zone apex, or _dsync.P is
 *          delegated): P is the parent: ask DSYNC *._dsync.P (the
 *          wildcard, explicitly: an empty non-terminal under _dsync.P can
 *          hide it from step 1); negative again: FAILED (HS_EDISC_NXDOMAIN
 *          or HS_EDISC_NODATA: the parent publishes no target for us);
 *        - no SOA: the wildcard at P, then walk up one label.
 *      Walking up past the root fails (HS_EDISC_NXDOMAIN).
 * P starts at the parent name the caller gives, or C minus its first label.
 *
 * Of the DSYNC RRset found, records with scheme UPDATE (HS_DSYNC_SCHEME_
 * UPDATE) are used: RRtype ANY first, then any other RRtype; among equals
 * the lowest target in byte order. None: HS_EDISC_DATA. Records that do
 * not decode are skipped.
 *
 * Every answer must carry the AD bit (validated by the resolver); queries
 * have RD, AD and DO set (EDNS 1232) and a random ID. Failures as in
 * agentd/discover.h: HS_EDISC_MISMATCH (state kept: a stray packet),
 * HS_ETRUNC (retry over TCP), HS_EDISC_RCODE, HS_EDISC_NOAD,
 * HS_EDISC_NXDOMAIN / HS_EDISC_NODATA (nothing found), HS_EDISC_DATA,
 * -ETIMEDOUT (hs_dsync_disc_timeout). After any but MISMATCH the state is
 * HS_DSYNC_FAILED; hs_dsync_disc_restart() starts over. At most
 * HS_DSYNC_MAX_QUERIES queries per discovery.
 *
 * Ownership: hs_dsync_disc_t is storage the caller owns; it allocates
 * nothing (hs_dsync_disc_clear only wipes). Results are borrowed from it.
 */
#ifndef HS_AGENTD_DSYNC_H
#define HS_AGENTD_DSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "agentd/resolve.h"   /* the queries and the checks of their answers */
#include "libhsync/rr.h"

#define HS_DSYNC_REASON_SIZE 1536
#define HS_DSYNC_EDNS_SIZE   HS_RESOLVE_EDNS_SIZE
#define HS_DSYNC_MAX_QUERIES 64

typedef enum hs_dsync_disc_state {
	HS_DSYNC_ASK = 0,     /* a query is next */
	HS_DSYNC_DONE,        /* result ready */
	HS_DSYNC_FAILED,      /* see hs_dsync_disc_reason() */
} hs_dsync_disc_state_t;

typedef struct hs_dsync_result {
	knot_dname_storage_t parent;   /* the parent zone P where it was found */
	knot_dname_storage_t owner;    /* owner asked (<labels>._dsync.P or *._dsync.P) */
	bool wildcard;                 /* found by the explicit wildcard query */
	hs_dsync_t dsync;              /* the record chosen: target, port, rrtype, scheme */
} hs_dsync_result_t;

typedef struct hs_dsync_disc {
	hs_dsync_disc_state_t state;
	int error;
	char resolver[64];
	char reason[HS_DSYNC_REASON_SIZE];
	knot_dname_storage_t child;
	knot_dname_storage_t start;    /* P to start from */
	knot_dname_storage_t parent;   /* current P */
	bool at_wildcard;              /* the next/outstanding query is *._dsync.P */
	bool sent;
	uint16_t qid;
	knot_dname_storage_t qname;
	unsigned queries;
	hs_dsync_result_t res;
} hs_dsync_disc_t;

/*
 * Start for CHILD (wire, copied; not the root); PARENT (may be NULL) a
 * proper ancestor of CHILD to start at; RESOLVER text for reasons (NULL:
 * "resolver"). HS_EINVAL, HS_ENAME (a query name would exceed 255 bytes).
 */
int hs_dsync_disc_init(hs_dsync_disc_t *d, const knot_dname_t *child,
                       const knot_dname_t *parent, const char *resolver);
void hs_dsync_disc_clear(hs_dsync_disc_t *d);
void hs_dsync_disc_restart(hs_dsync_disc_t *d);

/* The next query name (borrowed) and type (DSYNC). HS_EINVAL if DONE/FAILED. */
int hs_dsync_disc_next(const hs_dsync_disc_t *d, const knot_dname_t **qname, uint16_t *qtype);

/* Build it as a NEW packet (knot_pkt_free); a new ID each call (only the latest is accepted). */
int hs_dsync_disc_query(hs_dsync_disc_t *d, knot_pkt_t **out);

/* Feed the answer (not kept). 0: used (see the state), or a failure above. */
int hs_dsync_disc_feed(hs_dsync_disc_t *d, const uint8_t *wire, size_t len);

/* The caller gave up waiting: FAILED with -ETIMEDOUT. */
int hs_dsync_disc_timeout(hs_dsync_disc_t *d);

hs_dsync_disc_state_t hs_dsync_disc_state(const hs_dsync_disc_t *d);
const char *hs_dsync_disc_reason(const hs_dsync_disc_t *d);
/* The result when DONE, else NULL. Borrowed. */
const hs_dsync_result_t *hs_dsync_disc_result(const hs_dsync_disc_t *d);

#endif /* HS_AGENTD_DSYNC_H */
