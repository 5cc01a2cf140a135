/*
 * libhsync/dnssec.h -- DNSKEY, DS/CDS and CDNSKEY helpers (libdnssec, GnuTLS).
 *
 * All functions take DNSKEY RDATA in wire form (RFC 4034 2.1):
 *	Flags u16 | Protocol u8 (3) | Algorithm u8 | Public Key (1 or more bytes)
 * and check it first: shorter than 5 bytes -> HS_ETRUNC, protocol not 3 ->
 * HS_EDNSKEY. Nothing is returned in an out parameter on error.
 *
 * Digest types for DS/CDS: HS_DS_SHA256 (2) and HS_DS_SHA384 (4); anything
 * else (SHA-1 included, RFC 8624) -> HS_EDIGEST. Like dnssec-dsfromkey,
 * a DS is made for any DNSKEY algorithm: the public key is hashed, not
 * interpreted (so a key of the wrong size for its algorithm gets a DS too).
 */
#ifndef HS_DNSSEC_H
#define HS_DNSSEC_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#define HS_DS_SHA256 2
#define HS_DS_SHA384 4

#define HS_DNSKEY_FLAG_ZONE   0x0100
#define HS_DNSKEY_FLAG_REVOKE 0x0080
#define HS_DNSKEY_FLAG_SEP    0x0001

/* Largest DS RDATA we make: tag, alg, type, SHA-384 digest. */
#define HS_DS_MAXLEN (4 + 48)

/* 0 if rdata is a well-formed DNSKEY RDATA, else HS_ETRUNC, HS_EDNSKEY, HS_EINVAL. */
int hs_dnssec_dnskey_check(const uint8_t *rdata, size_t len);

/* Key tag (RFC 4034 appendix B) into *tag. */
int hs_dnssec_keytag(const uint8_t *rdata, size_t len, uint16_t *tag);

/* Flags field into *flags. */
int hs_dnssec_flags(const uint8_t *rdata, size_t len, uint16_t *flags);

/* 1 if the SEP bit is set (a KSK or CSK), 0 if not, or a negative error. */
int hs_dnssec_is_ksk(const uint8_t *rdata, size_t len);

/* Algorithm number (0-255), or a negative error. */
int hs_dnssec_algorithm(const uint8_t *rdata, size_t len);

/*
 * DS (or CDS, same RDATA) for the DNSKEY at owner with digest type `digest`,
 * written into out[cap]; *outlen gets its length (4 + digest size).
 * owner is any case; the digest uses its canonical (lower-case) form.
 * Errors: DNSKEY check, HS_EDIGEST, HS_ESPACE, HS_ENAME.
 */
int hs_dnssec_ds(const knot_dname_t *owner, const uint8_t *dnskey, size_t len,
                 uint8_t digest, uint8_t *out, size_t cap, size_t *outlen);

/*
 * CDNSKEY RDATA for a DNSKEY: the same bytes, after the DNSKEY check.
 * Errors: DNSKEY check, HS_ESPACE.
 */
int hs_dnssec_cdnskey(const uint8_t *dnskey, size_t len,
                      uint8_t *out, size_t cap, size_t *outlen);

/*
 * 1 if the DNSKEY belongs in CDS/CDNSKEY: ZONE and SEP set, REVOKE clear.
 * 0 if not, or a negative error.
 */
int hs_dnssec_is_cds_key(const uint8_t *rdata, size_t len);

/*
 * A new CDS RRset (owner, class and TTL of the DNSKEY RRset) with one RR
 * per digest type in digests[n] for every DNSKEY that hs_dnssec_is_cds_key()
 * accepts. *out is NEW: free with knot_rrset_free(out, mm).
 * Errors: HS_ENOTFOUND (no such key), HS_EINVAL (not a DNSKEY RRset, n 0),
 * a malformed DNSKEY or digest error as above, HS_ENOMEM.
 */
int hs_dnssec_cds_rrset(const knot_rrset_t *dnskey, const uint8_t *digests, size_t n,
                        knot_rrset_t **out, knot_mm_t *mm);

/* The same for CDNSKEY (the selected DNSKEY RDATA as they are). */
int hs_dnssec_cdnskey_rrset(const knot_rrset_t *dnskey, knot_rrset_t **out, knot_mm_t *mm);

#endif /* HS_DNSSEC_H */
