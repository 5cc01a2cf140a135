/*
 * agentd/process.h -- the multi-signer processes of one zone (RFC 8901,
 * draft-ietf-dnsop-dnssec-automation) as a step machine with waits, on top
 * of agentd/sync (which it owns). No sockets, injected clock.
 *
 * Waits (hs_proc_timers_t; each has a minimum and an override, override
 * >= 0 replaces the computed value, tests use 0 or a few seconds):
 *   DNSKEY-Wait = largest DNSKEY TTL at any signer (ours, every part, what
 *                 the combiner carries) + propagation
 *   DS-Wait     = TTL of the parent's DS RRset (last seen; 86400 if never)
 *   NS-Wait     = largest NS TTL (parts, ours, combiner, parent)
 *
 * Processes ("jobs"), several may run at once; each is in one step:
 *   join P     (P's HSYNC State turns ON: OFF -> ON, or new and ON)
 *     JOIN_KEYS    P's keys gate opens (P signs): wait for P's part and for
 *                  our combiner to carry it
 *     JOIN_CDS     P's CDS/CDNSKEY gate opens: wait for the combiner, then
 *                  for the parent's DS to equal the CDS union
 *                  (hs_proc_parent_ds); skipped when no CDS is carried
 *     JOIN_WAIT    wait max(DS-Wait, DNSKEY-Wait)
 *     JOIN_NS      NSmgmt AGENT: P's NS gate opens (CSYNC made new): wait
 *                  for the combiner, then for the parent's NS to equal the
 *                  NS union (hs_proc_parent_ns)
 *   leave P    (P was ON and is now OFF or gone from HSYNC)
 *     LEAVE_NS     NSmgmt AGENT: P's NS gate closes; wait combiner + parent NS
 *     LEAVE_NSWAIT wait NS-Wait
 *     LEAVE_CDS    P's CDS gate closes; wait combiner + parent DS
 *     LEAVE_DSWAIT wait DS-Wait
 *     LEAVE_KEYS   P's keys gate closes; wait combiner; then P's part is
 *                  forgotten (if P is gone from HSYNC)
 *   key added at our signer (a new own key, not at the first sight of the
 *   zone, while our HSYNC record is ON and SIGN): KEY_PUBLISH: our SYNC goes out; wait until every other ON+SIGN
 *   provider is seen publishing it (hs_proc_published, per peer) ->
 *   KEY_WAIT: wait DNSKEY-Wait -> done; HS_PROC_DO_KEY_READY tells the
 *   daemon the key "may be used" (hs_proc_key_ready() lists them once).
 *   key retired by a peer (a key gone from its new part): RETIRE_WAIT: the
 *   combiner keeps carrying it (hs_sync_hold_key) for DNSKEY-Wait, then it
 *   is released and removed everywhere.
 * The join/leave of OURSELVES runs the same steps with our own gates (our
 * CDS in the union, our NS). The first HSYNC seen starts no process (the
 * providers named ON are members already); an HSYNC RRset that disappears
 * ends every process (the zone is no longer synchronised and hs_sync_plan
 * withdraws everything).
 *
 * "The parent's DS matches" means: the DS RDATA set the parent serves
 * equals the CDS RDATA set our combiner carries (RFC 7344: the parent
 * copies CDS to DS; a parent that adds other digest types never matches,
 * so such a wait ends only by hand). "The parent's NS matches": the
 * same NS names (case-insensitive) as our combiner carries.
 *
 * Peer states: report only the peers of this zone (agents named in its
 * HSYNC); any of them INTERRUPTED holds removals back.
 *
 * Removals are HELD BACK while any other provider's agent is INTERRUPTED
 * (hs_proc_peer_state): the steps that remove (LEAVE_NS, LEAVE_CDS,
 * LEAVE_KEYS entry, RETIRE_WAIT release) wait; additions never wait for a
 * peer, so the zone stays valid. The leaving provider itself being
 * INTERRUPTED does not hold its own leave.
 *
 * Driving it. Every event only records; then call hs_proc_tick(now), which
 * advances every job as far as it can and returns what to do (bits):
 *   HS_PROC_DO_SYNC      send our part (hs_sync_own_part) to every
 *                        OPERATIONAL peer of the zone, now
 *   HS_PROC_DO_COMBINER  hs_sync_plan(); if plan.nchanged is 0 call
 *                        hs_proc_combiner_confirmed() at once; else save,
 *                        send hs_sync_update_build() (TSIG), and on NOERROR
 *                        call hs_proc_combiner_confirmed()
 *   HS_PROC_DO_PARENT_DS look up the parent's DS, then hs_proc_parent_ds()
 *   HS_PROC_DO_PARENT_NS look up the parent's NS, then hs_proc_parent_ns()
 *   HS_PROC_DO_PUBLISHED look up the DNSKEY set each ON+SIGN peer serves
 *                        (its nameservers), then hs_proc_published()
 *   HS_PROC_DO_KEY_READY a new own key may be used (hs_proc_key_ready)
 *   HS_PROC_DO_SAVE      the state changed: hs_proc_save()
 * and call it again at hs_proc_next_time() (0 = nothing scheduled).
 *
 * State file (JSON, atomic, hs_proc_save): { "format": "hsync-zone-1",
 *   "sync": <hs_sync_to_json>, "own_known", "known_own": [b64],
 *   "ds_ttl", "parent_ds": {ttl, rdata}|null, "parent_ns": ...,
 *   "jobs": [ { "kind", "identity", "step", "since", "until", "key",
 *               "confirmed": [names] } ] }.
 * After hs_proc_load() every job is in the step it was in, with its
 * absolute wait times; the combiner is not assumed to carry the last plan
 * (DO_COMBINER and DO_SYNC are due at once; the daemon also sends RFI to
 * peers whose part it lacks). Peer states are not kept (agentd/peer keeps
 * them): report them again after loading.
 *
 * Ownership: hs_proc_t owns its hs_sync_t (hs_proc_sync() lends it).
 * Returns 0 or a negative code; never prints.
 */
#ifndef HS_AGENTD_PROCESS_H
#define HS_AGENTD_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "agentd/peer.h"
#include "agentd/sync.h"

#define HS_PROC_FORMAT "hsync-zone-1"
#define HS_PROC_MAX_JOBS 64   /* jobs per zone at once (HS_ESPACE beyond) */

typedef struct {
	uint32_t propagation;       /* added to the DNSKEY TTL (300) */
	uint32_t dnskey_wait_min;   /* minimums (0) */
	uint32_t ds_wait_min;
	uint32_t ns_wait_min;
	int64_t dnskey_wait;        /* overrides; < 0 = computed (-1) */
	int64_t ds_wait;
	int64_t ns_wait;
	uint32_t parent_poll;       /* seconds between parent/peer look-ups while waiting (60) */
} hs_proc_timers_t;

void hs_proc_timers_default(hs_proc_timers_t *t);

typedef enum {
	HS_JOB_JOIN = 1,
	HS_JOB_LEAVE,
	HS_JOB_KEYADD,
	HS_JOB_RETIRE,
} hs_job_kind_t;

typedef enum {
	HS_STEP_JOIN_KEYS = 1,
	HS_STEP_JOIN_CDS,
	HS_STEP_JOIN_WAIT,
	HS_STEP_JOIN_NS,
	HS_STEP_LEAVE_NS,
	HS_STEP_LEAVE_NSWAIT,
	HS_STEP_LEAVE_CDS,
	HS_STEP_LEAVE_DSWAIT,
	HS_STEP_LEAVE_KEYS,
	HS_STEP_KEY_PUBLISH,
	HS_STEP_KEY_WAIT,
	HS_STEP_RETIRE_WAIT,
	HS_STEP_DONE,
} hs_step_t;

/* "join", ...; "JOIN_KEYS", ... Static; "?" when out of range. */
const char *hs_job_kind_name(hs_job_kind_t k);
const char *hs_step_name(hs_step_t s);

#define HS_PROC_DO_SYNC      0x01
#define HS_PROC_DO_COMBINER  0x02
#define HS_PROC_DO_PARENT_DS 0x04
#define HS_PROC_DO_PARENT_NS 0x08
#define HS_PROC_DO_PUBLISHED 0x10
#define HS_PROC_DO_KEY_READY 0x20
#define HS_PROC_DO_SAVE      0x40

/* One job, for the control client and tests. */
typedef struct {
	hs_job_kind_t kind;
	hs_step_t step;
	knot_dname_storage_t identity;   /* the provider (ours for KEYADD) */
	uint16_t keytag;                 /* KEYADD, RETIRE */
	time_t since;                    /* step entered */
	time_t until;                    /* end of the wait; 0 when waiting for an event */
	bool held;                       /* held back by an INTERRUPTED peer */
} hs_job_info_t;

typedef struct hs_proc hs_proc_t;

/* New machine owning SYNC (stolen, also on error). T NULL = defaults. */
int hs_proc_new(hs_sync_t *sync, const hs_proc_timers_t *t, hs_proc_t **out);
void hs_proc_free(hs_proc_t *p);
hs_sync_t *hs_proc_sync(hs_proc_t *p);   /* borrowed */

/* ---- events (record only; then hs_proc_tick) ---------------------------- */

/* The zone's HSYNC RRset now (hs_sync_set_hsync + join/leave jobs). */
int hs_proc_hsync(hs_proc_t *p, const knot_rrset_t *hsync, time_t now);
/* The zone as our signer serves it (hs_sync_set_signed + key-added jobs). */
int hs_proc_signed(hs_proc_t *p, const knot_rrset_t *dnskey, bool have_serial,
                   uint32_t serial, time_t now);
/* Our configured NS names changed (hs_sync_set_own_ns). */
int hs_proc_own_ns(hs_proc_t *p, const knot_rrset_t *ns, time_t now);
/*
 * A verified SYNC from ID: hs_sync_receive() (its return and WHY), plus
 * retire jobs for the keys gone from ID's part and the end of a wait for it.
 */
int hs_proc_part(hs_proc_t *p, const knot_dname_t *id, const hs_msg_content_t *part,
                 time_t now, char *why, size_t whylen);
/*
 * A peer's state changed (INTERRUPTED holds back removals; OPERATIONAL
 * asks for DO_SYNC, so a peer that is reachable again gets our part).
 */
int hs_proc_peer_state(hs_proc_t *p, const knot_dname_t *id, hs_peer_state_t state,
                       time_t now);
/* The combiner answered NOERROR to PLAN (or PLAN had no change). */
int hs_proc_combiner_confirmed(hs_proc_t *p, const hs_sync_plan_t *plan, time_t now);
/*
 * The UPDATE failed (no answer, SERVFAIL, REFUSED): the next hs_proc_tick()
 * asks for DO_COMBINER again (the daemon chooses when to tick: back off).
 */
int hs_proc_combiner_failed(hs_proc_t *p, time_t now);
/* What the parent serves now: DS RRset (NULL = none), NS RRset. */
int hs_proc_parent_ds(hs_proc_t *p, const knot_rrset_t *ds, time_t now);
int hs_proc_parent_ns(hs_proc_t *p, const knot_rrset_t *ns, time_t now);
/* The DNSKEY RRset provider ID's nameservers serve now. */
int hs_proc_published(hs_proc_t *p, const knot_dname_t *id, const knot_rrset_t *dnskey,
                      time_t now);

/* ---- running ------------------------------------------------------------- */

/* Advance all jobs at NOW; returns HS_PROC_DO_* bits (>= 0) or a negative code. */
int hs_proc_tick(hs_proc_t *p, time_t now);
/* Earliest time a wait ends or a look-up is due; 0 if none. */
time_t hs_proc_next_time(const hs_proc_t *p);

/* Jobs running (done ones are dropped at once). */
size_t hs_proc_jobs(const hs_proc_t *p);
int hs_proc_job(const hs_proc_t *p, size_t i, hs_job_info_t *out);

/*
 * Own keys that became usable since the last call (key tags into
 * tags[max]); returns how many (>= 0).
 */
int hs_proc_key_ready(hs_proc_t *p, uint16_t *tags, size_t max);

/* The current waits, as computed now. */
uint32_t hs_proc_dnskey_wait(const hs_proc_t *p);
uint32_t hs_proc_ds_wait(const hs_proc_t *p);
uint32_t hs_proc_ns_wait(const hs_proc_t *p);

/*
 * One line per job for people, e.g.
 *   "join agent.c.example.: waiting for DS (DS-Wait 3600 s, until 2026-11-28T01:00:00Z)"
 * "idle" when none. *out new (free()). HS_ENOMEM.
 */
int hs_proc_status(const hs_proc_t *p, time_t now, char **out);

/* ---- state --------------------------------------------------------------- */

json_t *hs_proc_to_json(const hs_proc_t *p);   /* NEW reference; NULL on ENOMEM */
int hs_proc_save(const hs_proc_t *p, const char *path);
/*
 * Read PATH. *out new. A missing file is HS_ENOTFOUND (first start: make a
 * new one). Not JSON, other format, bad field: HS_ESYNTAX with WHY
 * "PATH: field: what"; HS_EIO, HS_ENOMEM.
 */
int hs_proc_load(const char *path, const hs_sync_limits_t *lim, const hs_proc_timers_t *t,
                 time_t now, hs_proc_t **out, char *why, size_t whylen);

#endif /* HS_AGENTD_PROCESS_H */
