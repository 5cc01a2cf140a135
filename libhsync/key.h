/*
 * libhsync/key.h -- DNSSEC / SIG(0) key pairs as dnssec-keygen writes them.
 *
 * A key pair is two files: `Kname.+alg+tag.key` holding one DNSKEY or KEY
 * record (`dnssec-keygen -T KEY` writes KEY) and `Kname.+alg+tag.private`
 * in BIND's "Private-key-format: v1.x" text. Given either name (or the
 * common stem without suffix) the other is found by swapping the suffix.
 *
 * Supported algorithms: RSASHA256 (8), ECDSAP256SHA256 (13),
 * ECDSAP384SHA384 (14), ED25519 (15); any other gives HS_EKEYALG.
 * The BIND private key is converted with GnuTLS to PKCS#8 and loaded into
 * libdnssec, so `key->dkey` works with dnssec_sign_*(). On loading, a
 * signature made with the private key is checked with the public key of
 * the .key file; if it fails the result is HS_EKEYMISMATCH. All private
 * material is wiped (sodium_memzero) before its memory is freed.
 *
 * Errors: HS_EKEYFILE (unreadable or malformed file; `why`, if given,
 * says what is wrong), HS_EKEYALG, HS_EKEYMISMATCH, HS_ENOMEM.
 */
#ifndef HS_KEY_H
#define HS_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libdnssec/binary.h>
#include <libdnssec/key.h>
#include <libknot/dname.h>

/* Size of a `why` buffer that always holds the whole explanation. */
#define HS_KEY_WHY_SIZE 256

/* A loaded key. Every field is read-only for callers; free with hs_key_free(). */
typedef struct hs_key {
	knot_dname_t *owner;     /* owner name of the KEY/DNSKEY, lower case */
	uint16_t rrtype;         /* KNOT_RRTYPE_DNSKEY, HS_RRTYPE_KEY, or 0 (from RDATA) */
	uint16_t flags;
	uint8_t protocol;
	uint8_t algorithm;
	uint16_t keytag;         /* RFC 4034 Appendix B */
	dnssec_binary_t rdata;   /* public RDATA: flags, protocol, algorithm, key */
	dnssec_key_t *dkey;      /* libdnssec key; can sign iff has_private */
	bool has_private;
} hs_key_t;

/* True for the four algorithms above. */
bool hs_key_alg_supported(uint8_t algorithm);

/*
 * Paths of both files for PATH (ending in .key, .private, or neither).
 * *pub and *priv are new strings the caller frees. HS_EINVAL, HS_ENOMEM.
 */
int hs_key_paths(const char *path, char **pub, char **priv);

/*
 * Load a key pair (public and private) from PATH (.key, .private, or stem).
 * On success *out is a new key (caller frees with hs_key_free). `why` may
 * be NULL; if not, on HS_EKEYFILE / HS_EKEYALG / HS_EKEYMISMATCH it
 * receives a one-line explanation naming the file.
 */
int hs_key_load(const char *path, hs_key_t **out, char *why, size_t whylen);

/*
 * Load only the public key from the .key file of PATH (a .private name is
 * mapped to its .key). For verifiers. Same ownership and errors.
 */
int hs_key_load_public(const char *path, hs_key_t **out, char *why, size_t whylen);

/*
 * Public key from DNSKEY/KEY RDATA bytes (as in a DNS answer) for OWNER.
 * Both are copied; *out is new. HS_EKEYFILE if the RDATA is malformed
 * (shorter than 4 bytes, or a key libdnssec refuses), HS_EKEYALG.
 */
int hs_key_from_rdata(const knot_dname_t *owner, const uint8_t *rdata,
                      size_t len, hs_key_t **out);

/* Free a key and wipe what it held. NULL is fine. */
void hs_key_free(hs_key_t *key);

#endif /* HS_KEY_H */
