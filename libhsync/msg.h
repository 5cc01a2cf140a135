/*
 * libhsync/msg.h -- the agent-to-agent messages: build, sign, parse,
 * verify, answer. No sockets: bytes in, bytes out.
 *
 * doc/protocol.md is the specification; in short (every number is in
 * libhsync/codepoints.h):
 *
 *   HELLO      NOTIFY (opcode 4, AA) for ZONE, QTYPE SOA, class IN; one
 *   HEARTBEAT  OPT RR (payload HS_MSG_EDNS_PAYLOAD) carrying Provider-Sync
 *   RFI        with OPERATION HELLO, HEARTBEAT or HS_PS_OP_RFI (private),
 *              TRANSPORT (DNS bit set), SYNCHRONIZATION, reserved 0,
 *              empty body; then the SIG(0).
 *   SYNC       UPDATE (opcode 5) for ZONE (zone section ZONE SOA IN), no
 *              prerequisites, no OPT; the update section replaces the
 *              sender's whole contribution: for each of DNSKEY, CDS,
 *              CDNSKEY, CSYNC, NS in that order one "delete RRset"
 *              (class ANY, TTL 0, RDLENGTH 0) followed by the sender's RRs
 *              of that type (class IN); then the SIG(0).
 *   response   QR, same ID, opcode and question; AA for NOTIFY; RCODE
 *              NOERROR (with the Provider-Sync option sent back, same
 *              OPERATION, the responder's own flags, for HELLO, HEARTBEAT
 *              and RFI) or REFUSED/FORMERR/NOTAUTH/...; an OPT RR iff the
 *              request had one; SIG(0) of the responder covering the
 *              request (RFC 2931 3.1), or none for refusals before
 *              verification.
 *
 * Who sent a message is its SIG(0) signer: the owner name of the sender's
 * KEY record (the host its URI names). The receiver's key look-up callback
 * maps (zone, signer, key tag) to a peer key, from the identities in the
 * zone's HSYNC RRset and what discovery found for them.
 *
 * Ownership: builders write into the caller's buffer. hs_msg_t owns the
 * RRsets in .content (free with hs_msg_clear()); .key is borrowed from the
 * look-up. Functions return 0 or a negative code (libhsync/error.h).
 */
#ifndef HS_MSG_H
#define HS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libknot/libknot.h>

#include "libhsync/key.h"
#include "libhsync/replay.h"
#include "libhsync/sig0.h"

/* Protocol defaults (doc/protocol.md, "Timers"). */
#define HS_MSG_EDNS_PAYLOAD      1232  /* UDP payload size in our OPT RRs */
#define HS_MSG_UDP_MAX           1232  /* larger requests go over TCP */
#define HS_MSG_HEARTBEAT_SECS    30    /* default heartbeat interval */
#define HS_MSG_DEGRADED_MISSED   2     /* intervals unheard -> DEGRADED */
#define HS_MSG_INTERRUPTED_MISSED 10   /* intervals unheard -> INTERRUPTED */
#define HS_MSG_MAX               65535

typedef enum {
	HS_MSG_NONE = 0,      /* not classified (error) */
	HS_MSG_HELLO,
	HS_MSG_HEARTBEAT,
	HS_MSG_SYNC,
	HS_MSG_RFI,
} hs_msg_kind_t;

/* "HELLO", "HEARTBEAT", "SYNC", "RFI", or "NONE". Static. */
const char *hs_msg_kind_name(hs_msg_kind_t kind);

/* The RR types a SYNC carries, in wire order; index with HS_MSG_T_*. */
enum { HS_MSG_T_DNSKEY, HS_MSG_T_CDS, HS_MSG_T_CDNSKEY, HS_MSG_T_CSYNC, HS_MSG_T_NS,
       HS_MSG_NTYPES };
/* RR type of index I (KNOT_RRTYPE_*), or 0 when out of range. */
uint16_t hs_msg_sync_type(unsigned i);

/*
 * A sender's contribution for one zone. rr[i] is NULL or an RRset of type
 * hs_msg_sync_type(i), class IN, owner the zone. NULL and an empty RRset
 * both mean "none of that type".
 */
typedef struct {
	knot_rrset_t *rr[HS_MSG_NTYPES];
} hs_msg_content_t;

/* How to build (and sign) a request or response. Zeroed = defaults. */
typedef struct {
	uint16_t id;             /* request ID; 0 = random (responses copy the request's) */
	uint8_t transport;       /* Provider-Sync TRANSPORT; 0 = HS_PS_TRANSPORT_DNS */
	uint8_t sync;            /* Provider-Sync SYNCHRONIZATION flags */
	const hs_key_t *key;     /* signing key (private half); NULL = unsigned */
	hs_sig0_opts_t sig0;     /* window, clock, signer name for the SIG(0) */
} hs_msg_opts_t;

/* What a received request says. Names are lower case, wire form. */
typedef struct {
	hs_msg_kind_t kind;
	uint16_t id;
	uint16_t opcode;
	knot_dname_storage_t zone;     /* root when not (yet) known */
	knot_dname_storage_t signer;   /* SIG(0) signer; root when unsigned */
	uint16_t keytag;
	uint8_t algorithm;
	bool signed_;                  /* a SIG(0) was found and parsed */
	uint8_t transport, sync;       /* Provider-Sync flags (HELLO, HEARTBEAT, RFI) */
} hs_msg_head_t;

/* A received request, classified. */
typedef struct {
	hs_msg_head_t head;
	const hs_key_t *key;           /* borrowed: the look-up's key that verified */
	hs_msg_content_t content;      /* SYNC only; owned, see hs_msg_clear() */
	uint8_t replay_id[HS_REPLAY_IDLEN];
	time_t expires;                /* when the replay cache forgets it */
} hs_msg_t;

/*
 * Key look-up for hs_msg_receive(): the IDX-th candidate key for a request
 * claimed to be HEAD (kind, zone, signer, key tag and algorithm filled,
 * nothing verified yet), or NULL when there are no more. The caller returns
 * only keys of identities named in HEAD->zone's HSYNC RRset whose KEY was
 * found at HEAD->signer. Keys stay owned by the caller.
 */
typedef const hs_key_t *(*hs_msg_lookup_t)(const hs_msg_head_t *head, unsigned idx,
                                           void *ctx);

typedef struct {
	hs_msg_lookup_t lookup;        /* required */
	void *ctx;
	hs_replay_t *replay;           /* required: accepted messages go in */
	hs_sig0_opts_t sig0;           /* window (0 = 300 s), skew, now (0 = time(NULL)) */
} hs_msg_verify_opts_t;

/*
 * Build request KIND for ZONE into out[max] (at most HS_MSG_MAX), *size
 * gets its length. CONTENT is used for HS_MSG_SYNC only (NULL = empty
 * contribution). Signed with opts->key unless it is NULL.
 * Errors: HS_EINVAL (bad kind, zone, content not as described above),
 * HS_ESPACE (does not fit; nothing useful in out), signing errors.
 */
int hs_msg_build(hs_msg_kind_t kind, const knot_dname_t *zone,
                 const hs_msg_content_t *content, const hs_msg_opts_t *opts,
                 uint8_t *out, size_t max, size_t *size);

/*
 * Parse and classify a request without verifying anything: structure,
 * kind, zone, Provider-Sync flags, SYNC content, and the SIG(0)'s signer and
 * key tag if there is one (an unsigned request parses). On success OUT is
 * filled (caller clears it with hs_msg_clear()); on error it is zeroed.
 * SEEN (may be NULL) receives whatever could be read, error or not, for
 * logs. Errors: HS_EMSG (malformed: not DNS, QR set, wrong sections,
 * question not ZONE SOA IN, bad Provider-Sync option, SYNC content not as
 * described above), HS_EAGENTMSG (well-formed DNS but not an agent request:
 * other opcode, NOTIFY without Provider-Sync, unknown operation),
 * HS_ESIG0_MULTI / _TSIG / _NOTLAST / _FORMAT (a broken SIG(0)).
 */
int hs_msg_parse(const uint8_t *wire, size_t size, hs_msg_t *out, hs_msg_head_t *seen);

/*
 * The receive pipeline: hs_msg_parse(), then the SIG(0) against the keys
 * VO->lookup gives (time window, signature), then the replay cache. On 0
 * OUT is a verified, classified request, and it is now in the replay cache.
 * On error OUT is zeroed (kind HS_MSG_NONE, no key, no content), nothing
 * is added to the cache, and SEEN (may be NULL) holds what was read.
 * Errors, in the order checked:
 *   HS_EMSG, HS_EAGENTMSG, HS_ESIG0_MULTI/_TSIG/_NOTLAST/_FORMAT  (parse)
 *   HS_ESIG0_NONE     unsigned
 *   HS_ESIG0_ALG      algorithm not supported
 *   HS_ESIG0_EARLY, HS_ESIG0_EXPIRED   outside the time window
 *   HS_ESIG0_SIGNER   no key from the look-up (signer unknown for the zone)
 *   HS_ESIG0_KEYTAG   a key, but not with that tag/algorithm
 *   HS_ESIG0_BADSIG   the signature does not verify (forged or altered)
 *   HS_EREPLAY        accepted before and still within its window
 *   HS_EREPLAY_FULL   replay cache full of unexpired entries
 *   HS_EINVAL, HS_ENOMEM
 */
int hs_msg_receive(const uint8_t *wire, size_t size, const hs_msg_verify_opts_t *vo,
                   hs_msg_t *out, hs_msg_head_t *seen);

/* Free the content RRsets and zero MSG. NULL is fine. */
void hs_msg_clear(hs_msg_t *msg);

/*
 * The RCODE to answer a request refused with ERR (KNOT_RCODE_*):
 * FORMERR for malformed messages and SIG(0) records, NOTIMP for
 * HS_EAGENTMSG, REFUSED for unsigned, replayed and cache-full, NOTAUTH for
 * every signature, key and time failure, SERVFAIL for anything else
 * (NOERROR for 0). Never answer a message that has QR set. The caller
 * may answer REFUSED ("not ready") instead of NOTAUTH for HS_ESIG0_SIGNER
 * when the signer is the host of an identity in the zone's HSYNC whose
 * discovery has not finished (doc/protocol.md 10.2).
 */
uint8_t hs_msg_rcode(int err);

/*
 * Build the response with RCODE to REQ (req_size bytes, the request as it
 * was received) into out[max]. Copies ID, opcode, question and the OPT's
 * presence from REQ; for RCODE NOERROR to HELLO, HEARTBEAT or RFI the
 * Provider-Sync option goes back with the request's OPERATION and
 * opts->transport / opts->sync. Signed with opts->key covering REQ, unless
 * opts->key is NULL (refusals before the request was verified). REQ only
 * needs a whole DNS header; what cannot be parsed is left out.
 * Errors: HS_EINVAL, HS_EMSG (shorter than a header, or QR set),
 * HS_ESPACE, signing errors.
 */
int hs_msg_respond(const uint8_t *req, size_t req_size, uint8_t rcode,
                   const hs_msg_opts_t *opts, uint8_t *out, size_t max, size_t *size);

/* What a verified response says. */
typedef struct {
	uint8_t rcode;
	hs_msg_kind_t kind;            /* of the request it answers */
	bool has_ps;                   /* Provider-Sync option present */
	uint8_t transport, sync;       /* the responder's flags, if has_ps */
} hs_msg_resp_t;

/*
 * Sender side: verify RESP against our request REQ (as sent, with its
 * SIG(0)) and the peer's KEY: signed by KEY, covering REQ, same ID, opcode
 * and question, QR set; a NOERROR answer to HELLO, HEARTBEAT or RFI must
 * carry the Provider-Sync option with the same OPERATION. On 0 OUT holds
 * the RCODE (REFUSED is a valid, verified "not ready"). Errors: HS_EMSG,
 * HS_EINVAL, the hs_sig0_verify() codes (HS_ESIG0_NONE for an unsigned
 * response, HS_ESIG0_REQUEST for a response to another request).
 */
int hs_msg_verify_response(const uint8_t *resp, size_t resp_size, const uint8_t *req,
                           size_t req_size, const hs_key_t *key,
                           const hs_sig0_opts_t *opts, hs_msg_resp_t *out);

/*
 * The replay-cache ID of a SIG(0)-signed message: BLAKE2b-256 of a label,
 * the SIG RDATA up to the signature and the message before the SIG RR,
 * i.e. of exactly what the signature covers (so a second valid signature
 * over the same data, ECDSA's (r, n-s), is the same message). HS_EMSG or
 * the hs_sig0_parse() codes.
 */
int hs_msg_replay_id(const uint8_t *wire, size_t size, uint8_t id[HS_REPLAY_IDLEN]);

#endif /* HS_MSG_H */
