/*
 * agentd/deleg.h -- the child's side of delegation management via DDNS
 * (draft-johani-dnsop-delegation-mgmt-via-ddns, draft-berra-dnsop-keystate).
 * No sockets: the caller sends what is built here and feeds back answers.
 *
 * Delegation data. What the parent should hold for a child zone C, kept as
 * an hs_zone_t with origin C:
 *   - the NS RRset at C;
 *   - glue: the A and AAAA RRsets at every NS target at or below C
 *     (in-bailiwick), taken from the child zone;
 *   - DS at C: the CDS RRset at C's apex if there is one (RFC 7344; the
 *     "delete" CDS 0 0 0 00 is ignored here), else a SHA-256 DS for every
 *     DNSKEY that is a CDS key (ZONE and SEP set, REVOKE clear).
 * Every RR gets the one TTL the caller gives (the parent decides TTLs).
 *
 * Changes. A list of UPDATE operations (RFC 2136 2.5) in the order they go
 * on the wire: HS_CHG_ADD (class IN, the TTL), HS_CHG_DEL_RR (class NONE,
 * TTL 0) and HS_CHG_DEL_RRSET (class ANY, TTL 0, no RDATA).
 *   delta mode:   for what the parent was last told (OLD) and the current
 *                 data (NEW), one DEL_RR per RR of OLD not in NEW, then one
 *                 ADD per RR of NEW not in OLD. When glue at a name changes
 *                 but no NS RR naming it does, ADDs of the NS RRs naming it
 *                 are appended (adding an existing RR is a no-op in UPDATE)
 *                 so the receiver sees the name is glue.
 *   replace mode: DEL_RRSET of NS and DS at C and of A and AAAA at every
 *                 glue name of OLD and NEW (each once, in canonical order),
 *                 then ADD of every RR of NEW.
 * Owners are in canonical order (hs_zone iteration), RRsets by type, RDATA
 * canonically, so the same change always gives the same bytes.
 *
 * The UPDATE (hs_deleg_update_new): zone section PARENT SOA IN, no
 * prerequisites, the changes in the update section; ID random (libsodium).
 * Sign it with hs_sig0_sign_pkt() using the child's key before sending.
 *
 * Key bootstrap (hs_deleg_bootstrap_new): an UPDATE for PARENT that holds
 * DEL_RRSET KEY at C then ADD KEY at C (the child's public key, the TTL
 * given), and is to be signed with that same key (self-signed).
 *
 * KeyState (hs_deleg_keystate_query_new): QUERY for C KEY IN, RD clear,
 * EDNS (1232 bytes) with the KeyState option KEY-ID = the key tag,
 * KEY-STATE 2 (INQUIRE). hs_deleg_keystate_answer() reads the answer and
 * hs_deleg_keystate_action() says what to do next:
 *   4 TRUSTED                 -> HS_NEXT_UPDATE    send delegation UPDATEs
 *   5 UNKNOWN                 -> HS_NEXT_BOOTSTRAP send the bootstrap UPDATE
 *   9 AUTO_BOOTSTRAP (ongoing)-> HS_NEXT_WAIT      ask again later
 *   10 MANUAL_BOOTSTRAP       -> HS_NEXT_MANUAL    wait, tell the operator
 *   1 TEMPFAIL, 0 MALFORMED   -> HS_NEXT_RETRY     ask again after backoff
 *   6 INVALID, 7 REFUSED,
 *   8 VALIDATION_FAIL         -> HS_NEXT_OPERATOR  stop; operator must act
 *
 * Backoff: the delay starts at HS_DELEG_BACKOFF_MIN (5 s) or the caller's
 * larger minimum, doubles on every failure, never exceeds the maximum
 * (at least the minimum), and starts over after success.
 *
 * Ownership: hs_chgs_t is storage the caller owns (init/clear); packets
 * and zones returned through out pointers are NEW (knot_pkt_free,
 * hs_zone_free). Inputs are only read.
 */
#ifndef HS_AGENTD_DELEG_H
#define HS_AGENTD_DELEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "common/zone.h"
#include "libhsync/key.h"
#include "libhsync/rr.h"
#include "libhsync/sig0.h"

#define HS_DELEG_BACKOFF_MIN 5
#define HS_DELEG_EDNS_SIZE   1232

typedef enum hs_chg_op {
	HS_CHG_ADD = 1,
	HS_CHG_DEL_RR,
	HS_CHG_DEL_RRSET,
} hs_chg_op_t;

typedef struct hs_chg {
	hs_chg_op_t op;
	knot_dname_storage_t owner;  /* wire form, lower case */
	uint16_t type;
	uint32_t ttl;                /* ADD only; 0 otherwise */
	uint16_t len;
	uint8_t *rdata;              /* owned by the list; NULL when len is 0 */
} hs_chg_t;

typedef struct hs_chgs {
	size_t n, cap;
	hs_chg_t *v;
} hs_chgs_t;

typedef enum hs_deleg_mode {
	HS_DELEG_DELTA = 1,
	HS_DELEG_REPLACE,
} hs_deleg_mode_t;

typedef enum hs_deleg_next {
	HS_NEXT_UPDATE = 1,
	HS_NEXT_BOOTSTRAP,
	HS_NEXT_WAIT,
	HS_NEXT_MANUAL,
	HS_NEXT_RETRY,
	HS_NEXT_OPERATOR,
} hs_deleg_next_t;

typedef struct hs_backoff {
	uint32_t min, max;   /* seconds */
	uint32_t next;       /* delay the next failure gets; 0 = min */
} hs_backoff_t;

/* ---- change lists ---------------------------------------------------------- */

void hs_chgs_init(hs_chgs_t *c);
void hs_chgs_clear(hs_chgs_t *c);   /* frees RDATA; C is empty and reusable */

/* Append one change (owner and RDATA copied, owner lower-cased). HS_EINVAL, HS_ENOMEM. */
int hs_chgs_add(hs_chgs_t *c, hs_chg_op_t op, const knot_dname_t *owner, uint16_t type,
                uint32_t ttl, const uint8_t *rdata, uint16_t len);

/* "add", "delete-rr", "delete-rrset". Static. */
const char *hs_chg_op_name(hs_chg_op_t op);

/*
 * A new UPDATE for ZONE carrying CHGS in the update section (see above),
 * with room for a signature reserved at the end (sig_reserve bytes: use
 * hs_sig0_reserve() or hs_tsig_space()). *out is NEW. HS_EINVAL (empty
 * list), HS_ENOMEM, libknot codes (KNOT_ESPACE: too many changes).
 */
int hs_deleg_update_new(const knot_dname_t *zone, const hs_chgs_t *chgs,
                        size_t sig_reserve, knot_pkt_t **out);

/* ---- delegation data ---------------------------------------------------------- */

/*
 * Delegation data of the child zone ZONE (its origin is the child name;
 * the apex and glue names must be in it, the rest is not looked at).
 * *out is a NEW zone with origin the child name. HS_ENOTFOUND if ZONE has
 * no NS RRset at its apex; hs_dnssec errors for a malformed DNSKEY.
 */
int hs_deleg_from_zone(const hs_zone_t *zone, uint32_t ttl, hs_zone_t **out);

/*
 * The changes that turn OLD (what the parent was last told; NULL = never
 * told anything) into NEW, in MODE, appended to CHGS. Both zones must have
 * the same origin (HS_EINVAL). *changed (may be NULL) is true when OLD and
 * NEW differ; when they do not, nothing is appended (also in replace mode).
 */
int hs_deleg_changes(hs_zone_t *old, hs_zone_t *now, hs_deleg_mode_t mode,
                     hs_chgs_t *chgs, bool *changed);

/*
 * What the parent was last told, kept across restarts: ZONE written as a
 * zone file (master-file text, one RR a line, absolute names) to PATH
 * atomically (PATH.tmp, fsync, rename, fsync of the directory), and read
 * back for ORIGIN (*out NEW). Save: HS_EIO, HS_ENOMEM. Load: HS_ENOTFOUND
 * (no file: the parent was never told anything), HS_EIO, HS_ESYNTAX and the
 * other hs_zonefile_read codes, KNOT_EOUTOFZONE (a name outside ORIGIN);
 * WHY (may be NULL) says where.
 */
int hs_deleg_save(hs_zone_t *zone, const char *path, char *why, size_t whylen);
int hs_deleg_load(const char *path, const knot_dname_t *origin, hs_zone_t **out,
                  char *why, size_t whylen);

/*
 * With several providers one agent talks to the parent for the zone: the
 * first identity, in HSYNC order (the decoded RRset, canonical order), whose
 * HSYNC has State ON and Sign SIGN and that is OPERATIONAL: SELF always
 * counts as operational, another identity when OPERATIONAL(identity, ctx)
 * says so (NULL: none does). True when that identity is SELF; false also
 * when there is none (SELF not listed as a signer).
 */
bool hs_deleg_is_sender(const hs_hsync_t *hsync, size_t n, const knot_dname_t *self,
                        bool (*operational)(const knot_dname_t *identity, void *ctx), void *ctx);

/* ---- key bootstrap and KeyState ------------------------------------------------- */

/*
 * The bootstrap UPDATE for PARENT with KEY (owner = the child name; its
 * public RDATA is sent) and TTL; room for KEY's SIG(0) is reserved. *out NEW.
 */
int hs_deleg_bootstrap_new(const knot_dname_t *parent, const hs_key_t *key, uint32_t ttl,
                           knot_pkt_t **out);

/* The KeyState inquiry for KEY (owner and key tag), room for its SIG(0) reserved. *out NEW. */
int hs_deleg_keystate_query_new(const hs_key_t *key, knot_pkt_t **out);

/*
 * Read a KeyState answer (parsed packet) to a query for KEYTAG: *state gets
 * KEY-STATE. HS_EDISC_MISMATCH if it is not a response or the option is
 * for another key tag; HS_ENOTFOUND if there is no KeyState option;
 * HS_EDISC_RCODE if the RCODE is not NOERROR; option decode errors.
 */
int hs_deleg_keystate_answer(const knot_pkt_t *resp, uint16_t keytag, uint8_t *state);

/* Next action for a KEY-STATE value (table above); unknown values -> HS_NEXT_RETRY. */
hs_deleg_next_t hs_deleg_keystate_action(uint8_t state);

/* "update", "bootstrap", "wait", "manual", "retry", "operator". Static. */
const char *hs_deleg_next_name(hs_deleg_next_t next);

/*
 * Check the parent's response RESP (LEN bytes) to our request REQ (as
 * sent, signed): it must carry a SIG(0) that verifies over the request with
 * one of the parent's keys KEYS[0..nkeys) (from its KEY RRset, looked up
 * validated); an unsigned or badly signed response is not believed. On 0,
 * *rcode gets its RCODE and *ede (may be NULL) the INFO-CODE of its first
 * EDE option or -1. Errors: those of hs_sig0_verify for the last key tried
 * (HS_ESIG0_NONE: unsigned), HS_EMSG (not a message), HS_EINVAL.
 */
int hs_deleg_response_check(const uint8_t *req, size_t reqlen, const uint8_t *resp, size_t len,
                            hs_key_t *const *keys, size_t nkeys, const hs_sig0_opts_t *opts,
                            uint8_t *rcode, int32_t *ede);

/*
 * The first EDE option of response RESP (LEN bytes): *ede its INFO-CODE or
 * -1 when there is none, TEXT (TEXTLEN bytes, may be NULL) its EXTRA-TEXT
 * as printable ASCII (others as '?'), cut to fit, "" when there is none.
 * A message that does not parse has no EDE. HS_EINVAL, HS_ENOMEM.
 */
int hs_deleg_response_ede(const uint8_t *resp, size_t len, int32_t *ede, char *text,
                          size_t textlen);

/* ---- backoff -------------------------------------------------------------------- */

/* MIN below HS_DELEG_BACKOFF_MIN is raised to it, MAX below MIN to MIN. */
void hs_backoff_init(hs_backoff_t *b, uint32_t min, uint32_t max);
/* Delay after one more failure (5, 10, 20, ... capped at max). */
uint32_t hs_backoff_fail(hs_backoff_t *b);
/* Success: the next failure starts at min again. */
void hs_backoff_reset(hs_backoff_t *b);

#endif /* HS_AGENTD_DELEG_H */
