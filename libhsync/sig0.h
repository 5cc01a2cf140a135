/*
 * libhsync/sig0.h -- SIG(0) transaction signatures (RFC 2931) on DNS messages.
 *
 * The module works on wire-format messages, because a SIG(0) signs bytes
 * exactly as they travel: build the message with libknot (knot_pkt_t),
 * then sign pkt->wire (hs_sig0_sign_pkt() does that in place) and verify
 * what arrives before or after knot_pkt_parse(). Nothing may be added to a
 * message after it was signed.
 *
 * Signing appends one SIG RR as the last additional record: owner root,
 * class ANY, TTL 0; RDATA type covered 0, algorithm and key tag of the
 * key, labels 0, original TTL 0, inception now - window, expiration
 * now + window, signer name (the key's owner unless given), signature.
 * The signed data (RFC 2931 section 3.1, and what BIND does) is
 *
 *     SIG RDATA without the signature
 *     | the whole request, with its SIG(0)      (responses only)
 *     | the message without the SIG, ARCOUNT not counting it
 *
 * ECDSA signatures are r||s (RFC 6605), Ed25519 as in RFC 8080, RSA as in
 * RFC 5702: libdnssec writes and reads the DNSSEC format.
 *
 * Verification checks, in this order, and returns the first failure:
 *   HS_EMSG           the message itself is malformed
 *   HS_ESIG0_NONE     no SIG(0) (a SIG with type covered 0) in additional
 *   HS_ESIG0_MULTI    more than one SIG(0)
 *   HS_ESIG0_TSIG     a TSIG and a SIG(0) in one message
 *   HS_ESIG0_NOTLAST  the SIG(0) is not the last additional record
 *   HS_ESIG0_FORMAT   SIG RDATA malformed (short, compressed or bad signer
 *                     name, empty signature)
 *   HS_ESIG0_ALG      algorithm not one of 8, 13, 14, 15
 *   HS_ESIG0_EARLY    now + skew is before the inception, or the signature
 *                     was made (midpoint of inception and expiration) more
 *                     than window + skew in the future
 *   HS_ESIG0_EXPIRED  now - skew is after the expiration, or the signature
 *                     was made more than window + skew ago (so a verifier
 *                     bounds replays even when a signer used a long window)
 *   HS_ESIG0_SIGNER   signer name is not the key's owner (case-insensitive)
 *   HS_ESIG0_KEYTAG   key tag or algorithm differs from the key's
 *   HS_ESIG0_REQUEST  verifying a response: it is not a response (QR) to
 *                     that request (ID differs), or its signature verifies
 *                     only without the request
 *   HS_ESIG0_BADSIG   the signature does not verify
 * Times compare in RFC 1982 serial arithmetic on 32 bits.
 */
#ifndef HS_SIG0_H
#define HS_SIG0_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libknot/dname.h>
#include <libknot/packet/pkt.h>

#include "libhsync/key.h"

/* Options; a zeroed struct (or NULL) means all defaults. */
typedef struct hs_sig0_opts {
	uint32_t window;              /* seconds; 0 = HS_SIG0_WINDOW_DEFAULT */
	uint32_t skew;                /* verify: clock skew tolerated, seconds */
	time_t now;                   /* 0 = time(NULL); an injectable clock */
	const knot_dname_t *signer;   /* sign: signer name; NULL = key owner */
} hs_sig0_opts_t;

/* What a SIG(0) says, filled by hs_sig0_parse() and the verify calls. */
typedef struct hs_sig0_info {
	knot_dname_storage_t signer;  /* signer name as on the wire */
	uint16_t keytag;
	uint8_t algorithm;
	uint32_t inception;
	uint32_t expiration;
	size_t sig_pos;               /* offset of the SIG RR in the message */
} hs_sig0_info_t;

/*
 * Largest SIG RR hs_sig0_sign() may append for KEY (owner root, fixed
 * fields, signer name, signature); reserve this much after the message.
 */
size_t hs_sig0_reserve(const hs_key_t *key, const knot_dname_t *signer);

/*
 * Sign the message in WIRE (*size bytes, buffer of max_size bytes) in
 * place: append the SIG RR, increment ARCOUNT, update *size. With REQ
 * (req_size bytes, the request as received including its SIG(0)) sign a
 * response covering that request; REQ NULL signs a request.
 * Errors: HS_EINVAL, HS_EKEYPRIVATE (key has no private half), HS_EMSG
 * (WIRE is not one well-formed message), HS_ESIG0_MULTI (already has a
 * SIG(0)), HS_ESIG0_TSIG (has a TSIG), HS_ESPACE (no room; nothing
 * changed), HS_ENOMEM, libdnssec codes.
 */
int hs_sig0_sign(uint8_t *wire, size_t *size, size_t max_size, const hs_key_t *key,
                 const uint8_t *req, size_t req_size, const hs_sig0_opts_t *opts);

/* hs_sig0_sign() on pkt->wire, pkt->size, pkt->max_size. */
int hs_sig0_sign_pkt(knot_pkt_t *pkt, const hs_key_t *key,
                     const uint8_t *req, size_t req_size, const hs_sig0_opts_t *opts);

/*
 * Find and decode the SIG(0) of a message without checking it: gives the
 * signer name and key tag so a caller can look up the key. Returns 0 or
 * the first six codes of the list above.
 */
int hs_sig0_parse(const uint8_t *wire, size_t size, hs_sig0_info_t *info);

/*
 * Verify the SIG(0) of WIRE with KEY (public half is enough). REQ as for
 * hs_sig0_sign() (NULL when WIRE is a request). On 0 the signature is
 * good; INFO (may be NULL) is filled whenever the SIG(0) could be parsed.
 */
int hs_sig0_verify(const uint8_t *wire, size_t size, const uint8_t *req, size_t req_size,
                   const hs_key_t *key, const hs_sig0_opts_t *opts, hs_sig0_info_t *info);

/*
 * Key look-up for hs_sig0_verify_with(): return the IDX-th candidate key
 * for the parsed SIG(0) in INFO (signer, key tag, algorithm), or NULL when
 * there are no more. The key stays owned by the caller.
 */
typedef const hs_key_t *(*hs_sig0_lookup_t)(const hs_sig0_info_t *info,
                                            unsigned idx, void *ctx);

/*
 * Verify against a set of keys: candidates from LOOKUP are tried in turn
 * until one verifies (0). No candidate gives HS_ESIG0_SIGNER; otherwise the
 * error of the last candidate tried is returned.
 */
int hs_sig0_verify_with(const uint8_t *wire, size_t size, const uint8_t *req,
                        size_t req_size, hs_sig0_lookup_t lookup, void *ctx,
                        const hs_sig0_opts_t *opts, hs_sig0_info_t *info);

#endif /* HS_SIG0_H */
