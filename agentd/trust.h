/*
 * agentd/trust.h -- the parent's trust store of child SIG(0) keys
 * (draft-johani-dnsop-delegation-mgmt-via-ddns, key bootstrap).
 *
 * One entry per (child zone, KEY RDATA): the key tag and algorithm, a
 * state, how the key was validated, how many consistent multi-vantage
 * look-ups confirmed it, and when it was added and last changed.
 *
 * States:
 *   PENDING  known (a self-signed bootstrap UPDATE brought it, or a trusted
 *            key of the child announced it) but not validated yet
 *   TRUSTED  validated: UPDATEs signed with it are applied
 *   REFUSED  validation failed or the operator refused it
 * How a key becomes TRUSTED (hs_trust_via_t):
 *   DNSSEC   a DNSSEC-validated look-up (AD) of KEY at the child apex
 *            returned this RDATA (hs_trust_validated)
 *   MULTI    unsigned child: hs_trust_observe() was told N times in a row
 *            that every nameserver of the child answered (UDP and TCP) with
 *            this RDATA; an inconsistent round starts the count again
 *   MANUAL   the operator said so (hs_trust_manual)
 * A pending entry may be marked "manual needed" (policy does not allow
 * automatic validation for this child); KeyState then says 10.
 *
 * Never drop a trusted key before a new one is validated: when a key of a
 * child becomes TRUSTED, the child's other TRUSTED keys are removed (the
 * new one replaces them), and never earlier. hs_trust_remove() refuses to
 * remove a child's last TRUSTED key while another of its keys is PENDING
 * (HS_EEXIST): the child would be locked out mid-roll.
 *
 * KeyState of a key (hs_trust_keystate): TRUSTED -> 4, PENDING -> 9
 * (automatic bootstrap ongoing) or 10 (manual needed), REFUSED -> 7,
 * no entry -> 5 UNKNOWN.
 *
 * Persistence: JSON (jansson), written atomically: "PATH.tmp" written,
 * fsync'd, renamed over PATH, then the directory fsync'd.
 *
 *	{ "version": 1, "needed": 3, "keys": [ { "child": "child.example.",
 *	  "rdata": "<base64 KEY RDATA>", "keytag": 12345, "algorithm": 15,
 *	  "state": "pending"|"trusted"|"refused",
 *	  "via": "none"|"dnssec"|"multi"|"manual", "confirmations": 0,
 *	  "manual_needed": false, "added": 1800000000, "changed": 1800000000 } ] }
 *
 * Loading checks everything (names, base64, key tag matches the RDATA, a
 * key libdnssec accepts, known state and via, no entry twice) and fails
 * with HS_ECONF and a one-line reason naming the file; the store is then
 * unchanged. A missing file is HS_ENOTFOUND (a fresh start; the caller
 * decides).
 *
 * Ownership: the store owns its entries; hs_trust_get/find return BORROWED
 * pointers valid until the store next changes. Keys are copied in.
 */
#ifndef HS_AGENTD_TRUST_H
#define HS_AGENTD_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libknot/libknot.h>

#include "libhsync/key.h"
#include "libhsync/sig0.h"

#define HS_TRUST_NEEDED_DEFAULT 3
#define HS_TRUST_WHY_SIZE 512

typedef enum hs_trust_state {
	HS_TRUST_PENDING = 1,
	HS_TRUST_TRUSTED,
	HS_TRUST_REFUSED,
} hs_trust_state_t;

typedef enum hs_trust_via {
	HS_TRUST_VIA_NONE = 0,
	HS_TRUST_VIA_DNSSEC,
	HS_TRUST_VIA_MULTI,
	HS_TRUST_VIA_MANUAL,
} hs_trust_via_t;

typedef struct hs_trust_entry {
	knot_dname_storage_t child;   /* lower case */
	hs_key_t *key;                /* public key; key->rdata is the KEY RDATA */
	uint16_t keytag;
	uint8_t algorithm;
	hs_trust_state_t state;
	hs_trust_via_t via;
	unsigned confirmations;       /* consistent multi-vantage rounds so far */
	bool manual_needed;
	time_t added, changed;
} hs_trust_entry_t;

typedef struct hs_trust hs_trust_t;

/* New empty store; NEEDED consistent rounds for MULTI (0 = default 3). *out NEW. */
int hs_trust_new(unsigned needed, hs_trust_t **out);
void hs_trust_free(hs_trust_t *t);

size_t hs_trust_count(const hs_trust_t *t);
/* I-th entry (order: as added) or NULL. Borrowed. */
const hs_trust_entry_t *hs_trust_get(const hs_trust_t *t, size_t i);

/* The entry for CHILD with exactly this KEY RDATA, or NULL. Borrowed. */
const hs_trust_entry_t *hs_trust_find(const hs_trust_t *t, const knot_dname_t *child,
                                      const uint8_t *rdata, size_t len);

/*
 * Add CHILD's key (RDATA) as PENDING at NOW. Already there (any state): 0,
 * nothing changes, *added (may be NULL) false. HS_EKEYFILE / HS_EKEYALG
 * for RDATA that is no usable key, HS_EINVAL, HS_ENOMEM.
 */
int hs_trust_add_pending(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                         size_t len, time_t now, bool *added);

/* DNSSEC-validated look-up found the key at the child apex: TRUSTED via DNSSEC. HS_ENOTFOUND. */
int hs_trust_validated(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                       size_t len, time_t now);

/*
 * One multi-vantage round for a PENDING key: CONSISTENT true when every
 * nameserver over UDP and TCP answered with this RDATA. The count reaches
 * NEEDED -> TRUSTED via MULTI; an inconsistent round resets it to 0.
 * *state (may be NULL) gets the state after the round. HS_ENOTFOUND;
 * HS_EINVAL if the key is not PENDING.
 */
int hs_trust_observe(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                     size_t len, bool consistent, time_t now, hs_trust_state_t *state);

/*
 * The look-ups, given as the answers' wire bytes (the caller sends the
 * queries: KEY at the child apex):
 *
 * hs_trust_check_validated: ANSWER came from a validating resolver. It must
 * be a NOERROR response for CHILD KEY with the AD bit and hold this RDATA
 * in its KEY RRset at CHILD: then as hs_trust_validated(). HS_EDISC_NOAD
 * (no AD: nothing changes), HS_EDISC_MISMATCH (not such a response),
 * HS_EDISC_RCODE, HS_ENOTFOUND (the key is not there, or not in the store).
 *
 * hs_trust_check_round: ANSWERS[0..n) came from every nameserver of an
 * unsigned child over UDP and TCP. The round is consistent when n > 0 and
 * every one is an authoritative (AA) NOERROR response for CHILD KEY holding
 * this RDATA; then as hs_trust_observe(). *state as there.
 */
int hs_trust_check_validated(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                             size_t len, const uint8_t *answer, size_t alen, time_t now);
int hs_trust_check_round(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                         size_t len, const uint8_t *const *answers, const size_t *alens,
                         size_t n, time_t now, hs_trust_state_t *state);

/* Operator: trust (added if absent) via MANUAL. */
int hs_trust_manual(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                    size_t len, time_t now);

/* Operator or failed validation: REFUSED (a TRUSTED key as hs_trust_remove rules). HS_ENOTFOUND. */
int hs_trust_refuse(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                    size_t len, time_t now);

/* Policy: this PENDING key needs the operator (KeyState 10). HS_ENOTFOUND, HS_EINVAL. */
int hs_trust_need_manual(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                         size_t len, time_t now);

/* Remove an entry (see the rule above: HS_EEXIST). HS_ENOTFOUND. */
int hs_trust_remove(hs_trust_t *t, const knot_dname_t *child, const uint8_t *rdata,
                    size_t len);

/* KeyState of CHILD's key with KEYTAG (HS_KS_*); the best state if several share the tag. */
uint8_t hs_trust_keystate(const hs_trust_t *t, const knot_dname_t *child, uint16_t keytag);

/*
 * hs_sig0_lookup_t over the store (CTX = the store): the IDX-th key, any
 * state, whose child is the signer and whose tag and algorithm match.
 */
const hs_key_t *hs_trust_lookup(const hs_sig0_info_t *info, unsigned idx, void *ctx);

/* The entry holding KEY (a pointer hs_trust_lookup gave), or NULL. Borrowed. */
const hs_trust_entry_t *hs_trust_entry_of(const hs_trust_t *t, const hs_key_t *key);

/* "pending", "trusted", "refused"; "none", "dnssec", "multi", "manual". Static. */
const char *hs_trust_state_name(hs_trust_state_t s);
const char *hs_trust_via_name(hs_trust_via_t v);

/*
 * Save atomically to PATH (see above). HS_EIO (with errno in why), HS_ENOMEM.
 * WHY (may be NULL) gets a reason.
 */
int hs_trust_save(const hs_trust_t *t, const char *path, char *why, size_t whylen);

/*
 * Load PATH into the (empty) store T, replacing NEEDED by the file's.
 * HS_ENOTFOUND (no file), HS_EIO, HS_ECONF (corrupt: WHY says why), HS_ENOMEM;
 * on error T is unchanged.
 */
int hs_trust_load(hs_trust_t *t, const char *path, char *why, size_t whylen);

#endif /* HS_AGENTD_TRUST_H */
