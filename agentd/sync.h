/*
 * agentd/sync.h -- the synchronised apex RRsets of one zone: our own part,
 * the parts of our peers, and the merge into what our combiner must carry.
 * No sockets, no clock of its own: the daemon feeds data in and sends what
 * comes out (agentd/process.h decides WHEN a provider's data is merged).
 *
 * Providers. The zone's HSYNC RRset (hs_sync_set_hsync) names them; we are
 * the one whose identity is SELF. Every provider, we included, has a PART:
 * its DNSKEYs, the CDS/CDNSKEY of its KSKs, and (NSmgmt AGENT) its NS
 * names, as in a SYNC (doc/protocol.md section 9, hs_msg_content_t).
 * A provider's part is merged only through its GATES (HS_SYNC_G_*), which
 * the process machine opens and closes; a provider named ON when the zone
 * is first seen starts with all gates open (it is already a member).
 *
 * Own data. Our signer serves the zone with its own keys AND the keys we
 * pushed for the others (knotd, `dnskey-management: incremental`, keeps
 * foreign DNSKEYs from its input and signs the whole set). The keys we
 * pushed are exactly the DNSKEY RDATA we ever put into a plan
 * (hs_sync_plan) and that have not since both left the combiner and
 * disappeared from the signed set: a key withdrawn from the combiner stays
 * "pushed" until the signer stops serving it, so the time between our
 * UPDATE and the signer's next version never makes a foreign key look like
 * ours. Everything else in the signed DNSKEY RRset is OUR signer's key.
 * The pushed set is in the state (hs_sync_to_json), so it survives a
 * restart; a plan's keys are added to it by hs_sync_plan() itself, so save
 * the state after planning and BEFORE sending the UPDATE.
 *
 * Our part (hs_sync_own_part): our keys (all: ZSKs, KSKs, CSKs, with the
 * signed DNSKEY TTL), CDS (SHA-256) and CDNSKEY of our KSKs (SEP set,
 * REVOKE clear; the DNSKEY TTL), and with NSmgmt AGENT our configured NS
 * names (hs_sync_set_own_ns). Nothing of a type that does not apply: no
 * keys when our own HSYNC record says NOSIGN, no NS with NSmgmt OWNER.
 *
 * Receiving a part (hs_sync_receive; the SYNC was already SIG(0)-verified
 * and mapped to the sender's identity). Refused, with a reason for the log,
 * and then nothing of it is used (the sender's previous part stays):
 *   - the zone has no HSYNC; the sender is not named in it; its State is
 *     not ON; the sender is ourselves;
 *   - keys (DNSKEY, CDS, CDNSKEY) from a NOSIGN provider;
 *   - a DNSKEY, CDS or CDNSKEY of an algorithm that is not one of THE
 *     ZONE'S ALGORITHMS: the algorithms of the DNSKEYs our own signer serves
 *     (own keys only), together with those of the parts already accepted
 *     from the OTHER providers (not the sender's previous part, so a sole
 *     signer may roll its algorithm). While none exists (first key
 *     material of a zone), any algorithm is accepted; RFC 8901 section 5
 *     needs every signer to use the same algorithm(s), so the first part
 *     sets them;
 *   - a DNSKEY whose key tag is the tag of one of our own keys (RFC 8901
 *     section 9: tags should be unique), or a CDS naming such a tag;
 *   - a CDS/CDNSKEY whose key is not a KSK of the sender's DNSKEYs (a CDS
 *     must match a SEP key of the part: the sender speaks for its keys
 *     only);
 *   - more than lim.max_keys DNSKEYs, more than lim.max_ns NS names, or NS
 *     when the zone's NSmgmt is OWNER; CSYNC from a peer is ignored (each
 *     agent makes its own for its combiner).
 *
 * Merge (hs_sync_plan), per type, what the combiner must carry:
 *   DNSKEY   the union of the keys of every provider whose KEYS gate is
 *            open, minus our own keys (our signer adds those itself, and
 *            a key our signer retires must not be kept alive by the
 *            combiner), plus the keys the process machine holds
 *            (hs_sync_hold_key: retired keys within their DNSKEY-Wait).
 *            TTL: our signer's DNSKEY TTL (else the largest part TTL).
 *   CDS,     the union of the CDS/CDNSKEY of every provider whose CDS gate
 *   CDNSKEY  is open, OURS INCLUDED: the combiner carries the whole union,
 *            so the signed zone has it whatever our signer does. Run knotd
 *            3.2 with `cds-cdnskey-publish: always`: with `none` it strips
 *            the CDS/CDNSKEY of its own KSKs from its input, so its union
 *            would lack its own (seen in t-msync-two). Its own records are
 *            the same SHA-256 RDATA and merge, but the RRset gets knotd's
 *            TTL (0 by default).
 *   NS       NSmgmt AGENT: the union of the NS names of every provider
 *            whose NS gate is open (never glue). OWNER: withdrawn.
 *   CSYNC    NSmgmt AGENT and NS carried: one CSYNC (RFC 7477) with the
 *            SOA serial our signer serves now, flags immediate|soaminimum,
 *            types NS A AAAA; made again whenever the NS set changes
 *            (the same record if the serial served has not moved), kept
 *            as it is otherwise. Else withdrawn.
 * A zone without HSYNC carries nothing (everything withdrawn).
 * The plan says per type the RRset to carry (NULL = withdraw) and whether
 * it differs from what the combiner has now (last hs_sync_confirmed()).
 * hs_sync_update_build() makes the one UPDATE for combinerd: for each
 * changed type, "delete RRset" then the adds (combinerd/contrib.h).
 *
 * Ownership: hs_sync_t owns everything it holds; RRsets given to setters
 * are copied. Borrowed views are valid until the next call that changes
 * the state. Functions return 0 or a negative code and never print.
 */
#ifndef HS_AGENTD_SYNC_H
#define HS_AGENTD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "hsyncd/apex.h"
#include "libhsync/error.h"
#include "libhsync/msg.h"
#include "libhsync/rr.h"

#define HS_SYNC_FORMAT        "hsync-sync-1"
#define HS_SYNC_MAX_PROVIDERS 32   /* HSYNC records per zone we handle */
#define HS_SYNC_WHY_SIZE      256

/* Gates: which part of a provider's data is merged. */
#define HS_SYNC_G_KEYS 0x01   /* its DNSKEYs */
#define HS_SYNC_G_CDS  0x02   /* its CDS and CDNSKEY */
#define HS_SYNC_G_NS   0x04   /* its NS names (NSmgmt AGENT only) */
#define HS_SYNC_G_ALL  0x07

/* CSYNC flags we set (RFC 7477 section 2.1.1.2). */
#define HS_SYNC_CSYNC_IMMEDIATE  0x0001
#define HS_SYNC_CSYNC_SOAMINIMUM 0x0002

typedef struct {
	unsigned max_keys;   /* DNSKEYs per part (16) */
	unsigned max_ns;     /* NS names per part (16) */
} hs_sync_limits_t;

typedef struct hs_sync hs_sync_t;

/*
 * New state for ZONE, we being SELF (both copied). LIM NULL or zero fields
 * give the defaults. *out new: hs_sync_free(). HS_EINVAL, HS_ENOMEM.
 */
int hs_sync_new(const knot_dname_t *zone, const knot_dname_t *self,
                const hs_sync_limits_t *lim, hs_sync_t **out);
void hs_sync_free(hs_sync_t *s);

const knot_dname_t *hs_sync_zone(const hs_sync_t *s);   /* borrowed */
const knot_dname_t *hs_sync_self(const hs_sync_t *s);   /* borrowed */

/* ---- inputs ------------------------------------------------------------ */

/*
 * The zone's HSYNC RRset now (NULL or empty: not synchronised). Checked
 * with hs_hsync_rrset_check() (its code on error; state unchanged).
 * Providers new to the state get a slot; the first time an HSYNC is set,
 * ON providers get all gates open. Gates are not changed otherwise.
 */
int hs_sync_set_hsync(hs_sync_t *s, const knot_rrset_t *hsync);

/* The HSYNC record of ID (borrowed), or NULL if ID is not named. */
const hs_hsync_t *hs_sync_hsync_of(const hs_sync_t *s, const knot_dname_t *id);
/* The decoded HSYNC records (borrowed) and their number; 0 = none. */
size_t hs_sync_hsync(const hs_sync_t *s, const hs_hsync_t **recs);

/* Our provider's nameservers (NS RRset at the zone; NULL = none). */
int hs_sync_set_own_ns(hs_sync_t *s, const knot_rrset_t *ns);

/*
 * The zone as our signer serves it: DNSKEY RRset (NULL = unsigned) and
 * SOA serial (HAVE_SERIAL false if unknown). Keys that were pushed and are
 * neither in the combiner nor in DNSKEY any more leave the pushed set.
 * Returns 1 if our own keys changed, 0 if not, or a negative code.
 */
int hs_sync_set_signed(hs_sync_t *s, const knot_rrset_t *dnskey, bool have_serial,
                       uint32_t serial);
/*
 * The same from an hsyncd apex state (DNSKEY and SOA of A). Inline, so
 * that libagentd does not need libhsyncd (archive link order).
 */
static inline int hs_sync_set_apex(hs_sync_t *s, const hs_apex_t *a)
{
	knot_rrset_t k;
	uint32_t serial = 0;
	if (s == NULL || a == NULL) {
		return HS_EINVAL;
	}
	bool have = hs_apex_rrset(a, KNOT_RRTYPE_DNSKEY, &k) == 0;
	bool hs = hs_apex_serial(a, &serial);
	return hs_sync_set_signed(s, have ? &k : NULL, hs, serial);
}

/*
 * A peer's part (a verified SYNC from ID), checked as described above.
 * 1 = accepted and different from what we had, 0 = accepted, no change
 * (both store it: save the state before answering NOERROR).
 * HS_ESYNC_REFUSED with WHY saying why in one line (WHY may be NULL):
 * refused, nothing changes, answer REFUSED. HS_EINVAL, HS_ENOMEM.
 */
int hs_sync_receive(hs_sync_t *s, const knot_dname_t *id, const hs_msg_content_t *part,
                    time_t now, char *why, size_t whylen);

/* Forget ID's part and slot (after a leave completed). HS_ENOTFOUND. */
int hs_sync_forget(hs_sync_t *s, const knot_dname_t *id);

/* ---- gates and holds (set by agentd/process) --------------------------- */

int hs_sync_set_gates(hs_sync_t *s, const knot_dname_t *id, unsigned gates);
/* Gates of ID (0 if unknown). */
unsigned hs_sync_gates(const hs_sync_t *s, const knot_dname_t *id);

/* Keep carrying DNSKEY RDATA (a retired key) until released. */
int hs_sync_hold_key(hs_sync_t *s, const uint8_t *rdata, uint16_t len);
int hs_sync_release_key(hs_sync_t *s, const uint8_t *rdata, uint16_t len);

/* ---- outputs ----------------------------------------------------------- */

/*
 * Our part, as a SYNC carries it: OUT's RRsets are NEW (free each with
 * knot_rrset_free(..., NULL), or hs_sync_content_clear()).
 */
int hs_sync_own_part(const hs_sync_t *s, hs_msg_content_t *out);
void hs_sync_content_clear(hs_msg_content_t *c);

/*
 * Our own keys (DNSKEY RDATA of our signer, pushed keys excluded) and the
 * pushed set, borrowed; NULL-safe count 0 when none.
 */
const knot_rdataset_t *hs_sync_own_keys(const hs_sync_t *s);
const knot_rdataset_t *hs_sync_pushed(const hs_sync_t *s);

/* ID's accepted part (borrowed; rr[i] may be NULL), or NULL if none yet. */
const hs_msg_content_t *hs_sync_part(const hs_sync_t *s, const knot_dname_t *id);

/* Identities with a slot (named in HSYNC now or earlier and not forgotten). */
size_t hs_sync_count(const hs_sync_t *s);
const knot_dname_t *hs_sync_id_at(const hs_sync_t *s, size_t i);

typedef struct {
	knot_rrset_t *want[HS_MSG_NTYPES];  /* NEW; NULL = not carried (withdraw) */
	bool changed[HS_MSG_NTYPES];        /* differs from the combiner's now */
	unsigned nchanged;
} hs_sync_plan_t;

/*
 * The merge, described above, into PLAN (zeroed or cleared). Adds the
 * planned DNSKEYs to the pushed set (see "Own data"). The CSYNC is made new
 * only if the NS set changes.
 */
int hs_sync_plan(hs_sync_t *s, hs_sync_plan_t *plan);
void hs_sync_plan_clear(hs_sync_plan_t *plan);

/*
 * The UPDATE for combinerd into PKT, a fresh knot_pkt_new(NULL, size, mm)
 * (HS_EINVAL if anything is in it yet); the caller may hs_tsig_reserve()
 * it before and signs it after (hs_tsig_sign_query). Header
 * ID, opcode UPDATE, zone section ZONE SOA IN, then for each changed type
 * in the order NS, DNSKEY, CDS, CDNSKEY, CSYNC: delete RRset (class ANY,
 * TTL 0) and the want RRs. HS_ENOTFOUND if nothing changed, HS_ESPACE.
 */
int hs_sync_update_build(const hs_sync_t *s, const hs_sync_plan_t *plan, uint16_t id,
                         knot_pkt_t *pkt);

/* The combiner answered NOERROR to PLAN's UPDATE: it carries PLAN now. */
int hs_sync_confirmed(hs_sync_t *s, const hs_sync_plan_t *plan);

/* What the combiner carries (last confirmed) of type index I (borrowed) or NULL. */
const knot_rrset_t *hs_sync_carried(const hs_sync_t *s, unsigned i);

/*
 * Largest DNSKEY TTL at any signer (our signed set, every part, what the
 * combiner carries), and largest NS TTL (our NS, parts, combiner); 0 if none.
 */
uint32_t hs_sync_dnskey_ttl_max(const hs_sync_t *s);
uint32_t hs_sync_ns_ttl_max(const hs_sync_t *s);

/* ---- state ------------------------------------------------------------- */

/*
 * JSON: { "format": "hsync-sync-1", "zone", "self", "hsync": [text],
 *   "own_ns": rrset, "signed": rrset, "serial", "pushed": [b64],
 *   "held": [b64], "csync_serial",
 *   "carried": { "DNSKEY": rrset, ... },
 *   "providers": [ { "identity", "gates", "received", "part": {TYPE: rrset} } ] }
 * with rrset = { "ttl": N, "rdata": [ "<base64>" ] }. NEW reference.
 */
json_t *hs_sync_to_json(const hs_sync_t *s);
/*
 * Rebuild from J (as written by hs_sync_to_json). *out new. HS_ESYNTAX with
 * WHY naming the field, HS_ENOMEM.
 */
int hs_sync_from_json(const json_t *j, const hs_sync_limits_t *lim, hs_sync_t **out,
                      char *why, size_t whylen);

/*
 * Write J (sorted keys, mode 0644) to PATH atomically with
 * hs_state_write_json() of common/statefile.h (also used by agentd/process).
 * HS_EIO (nothing replaced), HS_ENOMEM.
 */
int hs_sync_write_json(const json_t *j, const char *path);

/* RDATA set <-> JSON array of base64 strings (NEW reference / into OUT). */
json_t *hs_sync_rdataset_json(const knot_rdataset_t *rrs);
int hs_sync_rdataset_from_json(const json_t *a, knot_rdataset_t *out, const char *field,
                               char *why, size_t whylen);

#endif /* HS_AGENTD_SYNC_H */
