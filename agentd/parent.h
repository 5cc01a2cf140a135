/*
 * agentd/parent.h -- the parent's receiver of delegation UPDATEs and
 * KeyState queries (draft-johani-dnsop-delegation-mgmt-via-ddns,
 * draft-berra-dnsop-keystate). No sockets: hs_parent_handle() decides on
 * a received message, hs_parent_response() builds the answer, and
 * hs_parent_primary_update() the TSIG UPDATE for the parent's real primary.
 *
 * UPDATE, checked in this order; the first failure decides, and on any
 * refusal NOTHING is applied (no change listed, trust store untouched):
 *   1. shorter than a header, or QR set: not answered (HS_EMSG returned)
 *   2. not one well-formed message (knot_pkt_parse)        FORMERR
 *   3. opcode not UPDATE or QUERY                          NOTIMP
 *   4. zone section not one "ZONE SOA IN"                  FORMERR
 *      zone is not the parent zone we serve                NOTAUTH
 *   5. no SIG(0), or a TSIG                                REFUSED
 *      SIG(0) malformed, not last, twice                   FORMERR
 *      SIG(0) algorithm not one we verify (8, 13, 14, 15)  BADKEY
 *   6. key: the trust store's keys for (signer, tag, algorithm), any
 *      state; if it has none, the KEYs the UPDATE itself adds at the signer
 *      name (a self-signed bootstrap). Neither:             BADKEY
 *   7. signature: out of the window (the clock is conf->sig0.now when set)
 *                                                          BADTIME
 *      does not verify                                     BADSIG
 *   8. the signer must be a name strictly below the parent zone; it is
 *      the child. Otherwise                                REFUSED
 *   9. prerequisites present                               REFUSED
 *  10. every update RR: class IN (add), NONE (delete RR, TTL 0) or ANY
 *      (delete RRset, TTL 0, no RDATA), else              FORMERR;
 *      type ANY or a meta type                             REFUSED
 *      owner the child: NS, DS, KEY; below the child: A or AAAA, and an
 *      add only at a name that an NS RR added by this UPDATE names (glue
 *      deletions anywhere below the child are allowed: all data below a
 *      delegation in the parent is glue); anything else, and any owner
 *      outside the child (another child, the parent apex)  REFUSED
 *  11. a trust-store key that is PENDING or REFUSED may only repeat the
 *      bootstrap (KEY RRs only); otherwise REFUSED with EDE
 *      HS_EDE_SIG0_UNTRUSTED. A self-signed (unknown) key may only
 *      bootstrap (KEY RRs only), otherwise                 REFUSED
 * Accepted (NOERROR): the NS, DS and glue RRs become r->changes in wire
 * order (for the primary); KEY adds become PENDING keys in the trust
 * store (a new key is never trusted here, and a trusted key is never
 * removed here: KEY deletions are ignored). Verdict HS_PARENT_APPLY, or
 * HS_PARENT_BOOTSTRAP when the UPDATE held KEY RRs only.
 *
 * What goes on the wire for the signature errors. SIG(0) has no error
 * field (TSIG has, RFC 8945), and the extended RCODEs 16-18 are defined
 * only for the TSIG error field, so the response carries: header RCODE
 * NOTAUTH (9); an OPT RR (no extended RCODE bits) with an EDE option
 * (RFC 8914) whose INFO-CODE is HS_EDE_SIG0_BADKEY, HS_EDE_SIG0_BADSIG or
 * HS_EDE_SIG0_BADTIME and whose EXTRA-TEXT starts with "BADKEY: ",
 * "BADSIG: " or "BADTIME: " and gives the reason. r->sig_error holds the
 * TSIG-style code (17, 16, 18) for logs. Other refusals carry an EDE only
 * for the untrusted key (HS_EDE_SIG0_UNTRUSTED); every response is signed
 * with the parent's key when conf->key is set (covering the request).
 *
 * KeyState (opcode QUERY): QNAME the child (strictly below the parent
 * zone, else REFUSED), the KeyState option present (else REFUSED; not
 * decodable: FORMERR). A SIG(0), if there, must verify when the key is
 * known (else NOTAUTH as above); the state of an unknown key is answered
 * anyway (5). Answer NOERROR with the KeyState option: KEY-ID as asked,
 * KEY-STATE hs_trust_keystate(), KEY-DATA 0. Verdict HS_PARENT_KEYSTATE.
 *
 * Before the changes go to the primary, hs_parent_ds_check() applies the
 * scanner's DS rule with the child's DNSKEY RRset from a validated look-up
 * (the caller's query), and hs_parent_ns_check() the CSYNC scanner's NS
 * and glue rule (RFC 7477) with the child's NS RRset and the addresses of
 * its in-bailiwick nameservers as the child serves them (the caller's
 * look-ups); a trusted key that verified but is missing from the store
 * (cannot happen) is SERVFAIL, never trusted.
 *
 * The NS and glue rule. The child's data wins, as a CSYNC scanner would
 * copy it: for every RR whose presence in the delegation the UPDATE
 * decides, that presence must agree with what the child serves.
 *   - An RRset (the NS RRset at the child, the A or AAAA RRset at a glue
 *     name) is looked at in wire order: its RR is present after the UPDATE
 *     if the last change naming it (ADD, DEL_RR, or a DEL_RRSET of the
 *     whole RRset) added it, absent if that was a deletion, and not
 *     decided by the UPDATE if no change names it.
 *   - NS: every NS present after the UPDATE must be in the child's NS
 *     RRset, and no NS of the child's NS RRset may be absent after it.
 *     Delta mode (ADD and DEL_RR): each NS added must be one the child
 *     serves, each NS deleted one it no longer serves. Replace mode
 *     (DEL_RRSET first): the NS RRset after the UPDATE must equal the
 *     child's. A child that serves no NS RRset gets no NS or glue change.
 *   - Glue (A, AAAA below the child) at a name the child's NS RRset
 *     names: the same rule with the child's A or AAAA RRset at that name
 *     (none served = empty). At a name the child's NS RRset does not name,
 *     additions are refused and deletions are free (it is no glue any
 *     more). Glue the UPDATE does not touch is not looked at: the parent's
 *     current data is not known here.
 *
 * Ownership: hs_parent_result_t is storage the caller owns (init/clear);
 * its changes list is owned by it. Packets through out pointers are NEW.
 */
#ifndef HS_AGENTD_PARENT_H
#define HS_AGENTD_PARENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "agentd/deleg.h"
#include "agentd/trust.h"
#include "libhsync/key.h"
#include "libhsync/sig0.h"
#include "libhsync/tsig.h"

#define HS_PARENT_REASON_SIZE 2048
#define HS_PARENT_EDNS_SIZE   1232

/* TSIG-style error codes carried in r->sig_error (RFC 8945). */
#define HS_PARENT_BADSIG  16
#define HS_PARENT_BADKEY  17
#define HS_PARENT_BADTIME 18

typedef struct hs_parent_conf {
	const knot_dname_t *zone;   /* the parent zone (borrowed) */
	hs_trust_t *trust;          /* the trust store (borrowed; bootstrap adds to it) */
	const hs_key_t *key;        /* the parent's SIG(0) key for responses; NULL = unsigned */
	hs_sig0_opts_t sig0;        /* verification window, skew, injectable clock */
} hs_parent_conf_t;

typedef enum hs_parent_verdict {
	HS_PARENT_REFUSED = 0,      /* refused; nothing applied */
	HS_PARENT_APPLY,            /* accepted; r->changes go to the primary */
	HS_PARENT_BOOTSTRAP,        /* accepted; KEY RRs only (trust store) */
	HS_PARENT_KEYSTATE,         /* a KeyState query answered */
} hs_parent_verdict_t;

typedef struct hs_parent_result {
	hs_parent_verdict_t verdict;
	int error;                  /* hs code why refused, 0 if accepted */
	uint8_t rcode;              /* header RCODE of the response */
	uint16_t sig_error;         /* HS_PARENT_BAD* or 0 */
	int32_t ede;                /* EDE INFO-CODE to send, -1 for none */
	char reason[HS_PARENT_REASON_SIZE];
	knot_dname_storage_t child; /* signer / asked child, lower case; "" if unknown */
	uint16_t keytag;            /* of the SIG(0), or asked by KeyState */
	uint8_t algorithm;
	hs_chgs_t changes;          /* APPLY: NS, DS, glue changes in wire order */
	unsigned keys_added;        /* new PENDING keys */
	uint8_t keystate;           /* KEYSTATE: the state answered */
} hs_parent_result_t;

void hs_parent_result_init(hs_parent_result_t *r);
void hs_parent_result_clear(hs_parent_result_t *r);   /* then reusable after init */

/*
 * Decide on one received message (WIRE, LEN; not kept). R must be
 * initialised; it is reset first. Returns 0 when R says what to answer,
 * HS_EMSG when nothing is to be answered (step 1), HS_EINVAL.
 */
int hs_parent_handle(const hs_parent_conf_t *conf, const uint8_t *wire, size_t len,
                     hs_parent_result_t *r);

/*
 * The response to REQ (as received, REQLEN bytes) for R: ID, opcode and
 * RD copied, QR set, the question echoed when the request had one that
 * parses, RCODE r->rcode, an OPT RR (HS_PARENT_EDNS_SIZE) with the EDE and
 * KeyState options when there are any, signed with conf->key if set.
 * *out NEW. HS_EINVAL, HS_ENOMEM, libknot and hs_sig0_sign codes.
 */
int hs_parent_response(const hs_parent_conf_t *conf, const uint8_t *req, size_t reqlen,
                       const hs_parent_result_t *r, knot_pkt_t **out);

/*
 * The CDS/CSYNC-scanner check before applying: every DS the changes add at
 * CHILD must be the DS (its digest type, SHA-256 or SHA-384) of a DNSKEY in
 * DNSKEY, the child's DNSKEY RRset as a validated look-up at the child
 * apex returned it (NULL: the child is unsigned, so no DS may be added).
 * HS_ENOTFOUND (a DS matches no DNSKEY), HS_EDIGEST (digest type we do not
 * make), HS_EINVAL; WHY (may be NULL) says which DS.
 */
int hs_parent_ds_check(const hs_chgs_t *chgs, const knot_dname_t *child,
                       const knot_rrset_t *dnskey, char *why, size_t whylen);

/* The most glue RRsets (name and type) one UPDATE may have checked. */
#define HS_PARENT_MAX_GLUE 32

/* One glue RRset to look up at the child. */
typedef struct hs_parent_glueq {
	knot_dname_storage_t owner;   /* lower case, below the child */
	uint16_t type;                /* A or AAAA */
} hs_parent_glueq_t;

/* Whether CHGS change the NS RRset at CHILD or glue (A, AAAA below CHILD). */
bool hs_parent_touches_ns(const hs_chgs_t *chgs, const knot_dname_t *child);

/*
 * The glue RRsets hs_parent_ns_check() needs, for the child's NS RRset NS
 * (NULL or empty: none): every A or AAAA RRset below CHILD that CHGS
 * change at a name NS names, each once, in the order of CHGS, into
 * OUT[0..max); *n gets how many. HS_ESPACE when there are more than MAX,
 * HS_EINVAL.
 */
int hs_parent_glue_lookups(const hs_chgs_t *chgs, const knot_dname_t *child,
                           const knot_rrset_t *ns, hs_parent_glueq_t *out, size_t max,
                           size_t *n);

/*
 * The CSYNC-scanner check before applying (the rule above): CHGS against
 * NS, the NS RRset at CHILD as the child serves it (a validated look-up,
 * or an insecure one for an unsigned child; NULL or empty: it serves
 * none), and GLUE[0..nglue), the A and AAAA RRsets the child serves at the
 * names hs_parent_glue_lookups() gave (one a name and type; a name and
 * type not given counts as served empty). Changes to other types are not
 * looked at. HS_ENOTFOUND (an NS or address present after the UPDATE that
 * the child does not serve, or no NS RRset at the child), HS_EEXIST (one
 * the child serves is absent after it: deleted, or left out of a
 * replace), HS_EINVAL; WHY (may be NULL) says which.
 */
int hs_parent_ns_check(const hs_chgs_t *chgs, const knot_dname_t *child, const knot_rrset_t *ns,
                       const knot_rrset_t *glue, size_t nglue, char *why, size_t whylen);

/*
 * The UPDATE for the parent's real primary: zone ZONE, the changes CHGS,
 * TSIG-signed with KEY (ctx filled, for checking the primary's answer).
 * *out NEW. HS_EINVAL (no change), codes of hs_deleg_update_new and
 * hs_tsig_sign_query.
 */
int hs_parent_primary_update(const knot_dname_t *zone, const hs_chgs_t *chgs,
                             const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx, knot_pkt_t **out);

#endif /* HS_AGENTD_PARENT_H */
