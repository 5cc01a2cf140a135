/*
 * combinerd/contrib.h -- the contributions of one zone: apex RRsets the
 * agent asked its combiner to carry, kept apart from the owner's data.
 *
 * Only the apex, only five types: NS, DNSKEY, CDS, CDNSKEY, CSYNC -- and a
 * sixth, KEY (the agent's SIG(0) key, RFC 2931, published so that the
 * parent can bootstrap trust in it by a validated look-up), which an UPDATE
 * may touch only where hs_contrib_allow_key() said so (the zone's
 * allow-apex-key; off in a new store). For each type the store holds
 * either nothing ("absent": the owner's RRset of that type shows through)
 * or a non-empty RRset that REPLACES the owner's RRset of that type in the
 * combined zone. There is no empty contribution: an
 * RRset with no RRs does not exist in DNS, so removing the last RR of a
 * contribution makes it absent and the owner's RRset comes back.
 *
 * DNS UPDATE (RFC 2136), hs_contrib_update(). The request is checked whole
 * before anything changes, in the order of RFC 2136 section 3:
 *   1. zone section: opcode UPDATE, exactly one zone RR of type SOA, else
 *      FORMERR; name and class must be this zone's, else NOTAUTH.
 *   2. prerequisites (3.2): TTL 0, names in the zone (else NOTZONE), class
 *      rules (FORMERR), then evaluated against the current combined view:
 *      the view zone (what the combiner serves) with the contributions laid
 *      over its apex. Failures give NXDOMAIN, YXDOMAIN, NXRRSET, YXRRSET.
 *      Prerequisites may name any owner in the zone.
 *   3. update prescan (3.4.1): names in the zone (NOTZONE), class rules
 *      (FORMERR: class IN with a meta type; class ANY with TTL or RDATA;
 *      class NONE with TTL; any other class).
 *   4. policy: every update RR at the apex (else REFUSED) and of one of the
 *      five types, or KEY where allowed (else REFUSED; type ANY too; KEY
 *      where not allowed, any class, too).
 * Any failure refuses the WHOLE update: nothing changes. Then the update RRs
 * are applied in order to a copy of the store, and they edit the
 * CONTRIBUTION (not the combined view):
 *   class IN   type T, RDATA    add the RR to the contribution of T (creating
 *                               it if absent; the owner's RRs are NOT copied
 *                               in). The RRset's TTL becomes the RR's TTL.
 *   class ANY  type T, no RDATA withdraw the contribution of T (owner's again)
 *   class NONE type T, RDATA    remove that RR from the contribution of T (no
 *                               error if it is not there); if none is left the
 *                               contribution is withdrawn (owner's again)
 * So "delete RRset T; add RR1; add RR2" sets the contribution to exactly
 * {RR1, RR2} -- what an agent sends. The new store is written to disk
 * (atomically) before it replaces the old one in memory; if writing fails,
 * nothing changes and the caller answers SERVFAIL.
 *
 * TSIG is the caller's job (checked before hs_contrib_update is called).
 *
 * State file (JSON, jansson), one per zone:
 *   { "format": "hsync-contributions-1", "zone": "example.",
 *     "rrsets": [ { "type": "DNSKEY", "ttl": 3600, "from": "agent-key.",
 *                   "rdata": [ "<base64 of wire RDATA>", ... ],
 *                   "text":  [ "<presentation RDATA>", ... ] }, ... ] }
 * rrsets sorted by type number, RDATA in canonical order. "rdata" is what is
 * read back; "text" is for people and is ignored when reading.
 *
 * Functions return 0 or a negative code (libhsync/error.h) and never print.
 */
#ifndef HS_COMBINERD_CONTRIB_H
#define HS_COMBINERD_CONTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "common/zone.h"

#define HS_CONTRIB_NTYPES 6

/* The types the store can hold, in ascending number: NS, KEY, DNSKEY, CDS,
 * CDNSKEY, CSYNC. */
extern const uint16_t hs_contrib_types[HS_CONTRIB_NTYPES];

/* Whether the store can hold type (one of the six; KEY included, whether
 * or not an UPDATE may change it). */
bool hs_contrib_type_ok(uint16_t type);

typedef struct hs_contrib hs_contrib_t;

/* New empty store for apex (copied). *out is new: hs_contrib_free(). */
int hs_contrib_new(const knot_dname_t *apex, hs_contrib_t **out);
void hs_contrib_free(hs_contrib_t *c);
int hs_contrib_copy(const hs_contrib_t *c, hs_contrib_t **out);

/* The apex (borrowed). */
const knot_dname_t *hs_contrib_apex(const hs_contrib_t *c);

/*
 * May hs_contrib_update() change the KEY contribution (combinerd's
 * allow-apex-key)? False in a new store; copies keep it. It is policy, not
 * content: it is not saved, not compared, and a KEY already stored stays
 * (and is served) when it is turned off.
 */
void hs_contrib_allow_key(hs_contrib_t *c, bool allow);

/*
 * The contribution of type: *out is a borrowed view (owner = apex, class
 * IN), valid until the store changes or is freed; *from (may be NULL) the
 * borrowed "who" string it was stored with (may be ""). HS_ENOTFOUND when
 * absent, HS_EINVAL for a type that is not one of the six.
 */
int hs_contrib_get(const hs_contrib_t *c, uint16_t type, knot_rrset_t *out,
                   const char **from);

/*
 * Set the contribution of rr->type to exactly rr (owner must be the apex,
 * else KNOT_EOUTOFZONE; type one of six, else HS_EINVAL; KEY whatever
 * hs_contrib_allow_key() says); an rr without
 * RDATA withdraws it. from (copied, may be NULL) says who asked. In memory
 * only; see hs_contrib_save().
 */
int hs_contrib_set(hs_contrib_t *c, const knot_rrset_t *rr, const char *from);

/* Number of types contributed, and equality of content (not of "from"). */
size_t hs_contrib_count(const hs_contrib_t *c);
bool hs_contrib_equal(const hs_contrib_t *a, const hs_contrib_t *b);

/* ---- what an update changed (for the log) ------------------------------------ */

typedef struct {
	uint16_t type;
	bool before;             /* contributed before the update */
	bool after;              /* contributed after it */
	knot_rrset_t *removed;   /* RRs gone (NULL if none); owned by the report */
	knot_rrset_t *added;     /* RRs new (NULL if none); owned by the report */
} hs_contrib_delta_t;

typedef struct {
	unsigned n;              /* types that changed, d[0..n) in type order */
	hs_contrib_delta_t d[HS_CONTRIB_NTYPES];
} hs_contrib_report_t;

/* Free what a report holds; it may then be reused. */
void hs_contrib_report_clear(hs_contrib_report_t *r);

/*
 * What turns store a into b, per type (a TTL change shows as all removed and
 * all added). *r must be zeroed or cleared; filled with new RRsets.
 */
int hs_contrib_compare(const hs_contrib_t *a, const hs_contrib_t *b, hs_contrib_report_t *r);

/*
 * One log line for a report into buf, e.g.
 *   "DNSKEY +12345 -23456; NS +ns3.example.; CDS withdrawn (owner's again)"
 * DNSKEY/CDNSKEY/KEY by key tag, CDS by its key tag field, others by RDATA text.
 * "no change" for an empty report. Truncated to fit (ends in "...").
 */
void hs_contrib_report_str(const hs_contrib_report_t *r, char *buf, size_t len);

/* ---- DNS UPDATE ------------------------------------------------------------------- */

/*
 * Apply a parsed UPDATE (knot_pkt_parse()d; TSIG already checked by the
 * caller) as described at the top of this file.
 *   view   what the combiner serves now (may be NULL: then only the
 *          contributions exist at the apex and no other name exists)
 *   from   who sent it (stored with what it adds; e.g. the TSIG key name)
 *   path   state file to write before changing memory (NULL: do not write)
 * Returns 0 when the request was judged: *rcode is KNOT_RCODE_NOERROR (the
 * store changed as *report says, and is on disk) or the refusal code, with
 * a reason in why (one line, for the log; may be NULL). Returns a negative
 * code when the store could not be updated (e.g. HS_EIO writing the file):
 * nothing changed and *rcode is KNOT_RCODE_SERVFAIL. report may be NULL;
 * otherwise it must be zeroed or cleared, and is filled only on NOERROR.
 */
int hs_contrib_update(hs_contrib_t *c, const knot_pkt_t *pkt, const hs_zone_t *view,
                      const char *from, const char *path, uint16_t *rcode,
                      hs_contrib_report_t *report, char *why, size_t whylen);

/* ---- persistence ------------------------------------------------------------------ */

/* Write the store to path atomically (temp file, fsync, rename, fsync dir). */
int hs_contrib_save(const hs_contrib_t *c, const char *path);

/*
 * Read the store for apex from path. *out is new. A missing file gives an
 * empty store (first start). A file that cannot be read, is not valid JSON,
 * has another format or zone, a type not among the six, or bad RDATA gives
 * HS_ESYNTAX (or HS_EIO) and the reason in err ("path: reason").
 */
int hs_contrib_load(const knot_dname_t *apex, const char *path, hs_contrib_t **out,
                    char *err, size_t errlen);

#endif /* HS_COMBINERD_CONTRIB_H */
