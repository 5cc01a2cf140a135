/*
 * combinerd/combine.h -- the combined zone: the owner's zone with the
 * contributions laid over its apex and the combiner's own SOA serial.
 *
 * Definition (hs_combine_build): take the latest owner zone; for each of the
 * contributable types (NS, KEY, DNSKEY, CDS, CDNSKEY, CSYNC: contrib.h) that
 * has a contribution,
 * replace the owner's apex RRset of that type by the contribution; keep the
 * owner's SOA but put the combiner's serial in it. Every other record is
 * the owner's, untouched (owner, TTL, RDATA bytes).
 *
 * Serial: strictly increasing in RFC 1982 terms. It is bumped by one when
 * either input changed -- the owner's SOA serial differs from the one the
 * last combined zone was built from, or the combined content (everything
 * but the SOA serial) differs -- and kept when nothing changed. On the very
 * first build (no saved state) the combined serial starts at the owner's.
 *
 * The combiner holds ONE zone, the combined one, plus the owner's apex
 * RRsets of SOA and the contributable types (its "shadow"), so that a withdrawn
 * contribution gives the owner's RRset back, and an owner IXFR can be
 * applied without a second full copy of the zone. Memory: about one zone.
 *
 * Three inputs change it, each returning what changed (hs_combine_result_t):
 *   hs_combiner_owner_full()  a whole new owner zone (AXFR in)
 *   hs_combiner_owner_diff()  a change of the owner zone (IXFR in)
 *   hs_combiner_contrib()     the contributions changed (UPDATE)
 * The result says SAME (serial kept, nothing to do), CHANGED (diff from ->
 * to, for the journal, including the SOA change) or NEW (content changed
 * with no diff to show: the first build, or the first after a restart when
 * the content differs from what was saved; the journal must restart at to).
 *
 * Restart: hs_combine_state_t (serial, owner serial, content digest) is what
 * the daemon persists (combinerd/journal.h keeps it in the journal file).
 * Given back to hs_combiner_new(), the first build after a restart keeps the
 * saved serial if the owner serial and the content digest are the same, and
 * otherwise continues at serial + 1: the serial never goes backwards.
 *
 * Zones handed out (hs_combiner_zone) are borrowed and change only inside
 * the three calls above; the diff in a result is new (owned by the result).
 * hs_combiner_owner_full() REPLACES the zone object (the old one is freed),
 * the other two change it in place: an AXFR out that streams the zone over
 * several event-loop turns must finish first, or work on hs_zone_copy().
 * Functions return 0 or a negative code and never print.
 *
 * Wiring, per zone (paths are the daemon's choice, see journal.h):
 *   start:   hs_contrib_load(apex, cpath, &ct, err)
 *            hs_journal_load(apex, jpath, max_e, max_rr, &j, &st, err)
 *            hs_combiner_new(apex, &st, &c)
 *   AXFR in: hs_combiner_owner_full(c, zone, ct, &r)
 *   IXFR in: for each delta, hs_combiner_owner_diff(c, delta, ct, &r)
 *            (an error means the delta does not fit: fall back to AXFR)
 *   UPDATE:  hs_contrib_update(ct, pkt, hs_combiner_zone(c), keyname,
 *                              cpath, &rcode, &rep, why, sizeof(why))
 *            on NOERROR with rep.n > 0: log hs_contrib_report_str(&rep),
 *            then hs_combiner_contrib(c, ct, &r)
 *   after each r with r.what != HS_COMBINE_SAME:
 *            hs_journal_record(j, &r); hs_combiner_state(c, &st);
 *            hs_journal_save(j, &st, jpath); then serve and NOTIFY r.to
 *            (and answer the UPDATE); hs_combine_result_clear(&r).
 *   IXFR out from serial s: hs_journal_find(j, s, &first, &count); for
 *            each entry, removed then added, each iterated with
 *            HS_ZONE_ITER_SOA_FIRST; HS_ENOTFOUND: AXFR.
 *   AXFR out: iterate hs_combiner_zone(c) with HS_ZONE_ITER_SOA_FIRST,
 *            then the SOA again.
 */
#ifndef HS_COMBINERD_COMBINE_H
#define HS_COMBINERD_COMBINE_H

#include <stdbool.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "combinerd/contrib.h"
#include "common/zone.h"

#define HS_COMBINE_DIGEST_LEN 16

/* What survives a restart. */
typedef struct {
	bool valid;             /* false: nothing was ever built (first start) */
	uint32_t serial;        /* the combined serial last built */
	uint32_t owner_serial;  /* the owner's SOA serial it was built from */
	uint8_t digest[HS_COMBINE_DIGEST_LEN];  /* content, SOA serial left out */
} hs_combine_state_t;

enum {
	HS_COMBINE_SAME = 0,    /* nothing changed; serial kept */
	HS_COMBINE_CHANGED,     /* diff takes the zone at `from` to `to` */
	HS_COMBINE_NEW,         /* new content at `to`, no diff: journal restarts */
};

typedef struct {
	int what;               /* HS_COMBINE_* */
	uint32_t from, to;      /* serials (from == to for SAME) */
	hs_diff_t *diff;        /* CHANGED only: new, owned by the result; the
	                         * old SOA is in removed and the new in added */
} hs_combine_result_t;

/* Free the diff in a result (the struct itself is the caller's). */
void hs_combine_result_clear(hs_combine_result_t *r);

/*
 * The definition, from scratch: *out (new) is owner with ct laid over its
 * apex and serial in its SOA. KNOT_ESOAINVAL if owner has no SOA at its
 * origin; HS_EINVAL if ct is for another apex.
 */
int hs_combine_build(const hs_zone_t *owner, const hs_contrib_t *ct, uint32_t serial,
                     hs_zone_t **out);

/*
 * Digest of a zone's content with the SOA serial left out (order-independent
 * sum of a keyed hash per RR). Equal content gives equal digests.
 */
int hs_combine_digest(hs_zone_t *z, uint8_t digest[HS_COMBINE_DIGEST_LEN]);

typedef struct hs_combiner hs_combiner_t;

/* New combiner for apex; st is the saved state (NULL or !valid: none). */
int hs_combiner_new(const knot_dname_t *apex, const hs_combine_state_t *st,
                    hs_combiner_t **out);
void hs_combiner_free(hs_combiner_t *c);

/*
 * A whole new owner zone. owner is taken (the combiner keeps and changes it,
 * or frees it) when 0 is returned; on error it is still the caller's to free
 * (its content may have been changed) and the combiner is unchanged. owner
 * must have a SOA at the apex (KNOT_ESOAINVAL) and the combiner's apex as
 * origin (HS_EINVAL).
 */
int hs_combiner_owner_full(hs_combiner_t *c, hs_zone_t *owner, const hs_contrib_t *ct,
                           hs_combine_result_t *res);

/*
 * A change of the owner zone (an IXFR delta: old SOA in removed, new SOA in
 * added). Checked before anything changes: HS_ENOTFOUND / HS_EEXIST if it
 * does not fit the owner zone we hold (then ask for AXFR), HS_EINVAL before
 * any owner zone was given, KNOT_ESOAINVAL if the owner's SOA would go.
 */
int hs_combiner_owner_diff(hs_combiner_t *c, hs_diff_t *owner_diff, const hs_contrib_t *ct,
                           hs_combine_result_t *res);

/*
 * The contributions are now ct. Before any owner zone: SAME, nothing to do.
 * (HS_ENOMEM from these three after the check may leave the combined zone
 * half changed: drop the combiner and build again from an AXFR.)
 */
int hs_combiner_contrib(hs_combiner_t *c, const hs_contrib_t *ct, hs_combine_result_t *res);

/* The combined zone (borrowed; NULL before the first owner zone). */
hs_zone_t *hs_combiner_zone(const hs_combiner_t *c);

/* The state to persist after each result other than SAME (copied out). */
void hs_combiner_state(const hs_combiner_t *c, hs_combine_state_t *st);

/* The owner's SOA serial the combined zone was built from (0 before any). */
uint32_t hs_combiner_owner_serial(const hs_combiner_t *c);

/* The owner zone as last received, rebuilt from the combined zone (new). */
int hs_combiner_owner_zone(const hs_combiner_t *c, hs_zone_t **out);

/*
 * The owner zone without a copy, for following it by IXFR
 * (hs_xfr_fetch_opts.ixfr_deltas_only): *out is a new zone holding the
 * owner's SOA alone (the IXFR query's and the chain's start), and
 * hs_combiner_owner_has() (an hs_xfr_has_fn, arg the combiner, borrowed)
 * tells whether one RR (rr->rrs.count 1) is in the owner zone as
 * hs_combiner_owner_zone() would give it. HS_ENOTFOUND before any owner
 * zone (then: AXFR).
 */
int hs_combiner_owner_soa(const hs_combiner_t *c, hs_zone_t **out);
bool hs_combiner_owner_has(const knot_rrset_t *rr, void *arg);

#endif /* HS_COMBINERD_COMBINE_H */
