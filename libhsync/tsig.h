/*
 * libhsync/tsig.h -- TSIG keys from BIND key files, and TSIG on knot_pkt_t.
 *
 * Key files are what BIND's tsig-keygen writes, one or several keys each:
 *
 *	key "name" {
 *		algorithm hmac-sha256;
 *		secret "base64==";
 *	};
 *
 * Comments: '#' and '//' to the end of the line, and C-style. Algorithms:
 * hmac-md5 (also hmac-md5.sig-alg.reg.int), hmac-sha1, hmac-sha224,
 * hmac-sha256, hmac-sha384, hmac-sha512, in any case. The key name may be
 * quoted or not; names compare case-insensitively, as domain names.
 *
 * Signing and checking (RFC 8945) wrap libknot's knot_tsig_* so each daemon
 * does not re-learn them. One hs_tsig_ctx_t follows one exchange:
 *
 *   client: hs_tsig_reserve(q) before filling q, hs_tsig_sign_query(q),
 *           send; for each response: knot_pkt_parse, hs_tsig_check_response.
 *   server: knot_pkt_parse(q), hs_tsig_check_query(q) (fills ctx, even on
 *           failure, so the error can be answered), build the response with
 *           hs_tsig_reserve, then hs_tsig_sign_response (again per message
 *           of a multi-message answer such as AXFR).
 *
 * Ownership: an hs_tsig_ctx_t BORROWS the key (from an hs_tsig_keys_t or
 * the caller) and, on the server, the query packet's TSIG RR: keep both
 * alive until the last response is signed. Nothing in a ctx needs freeing.
 */
#ifndef HS_TSIG_H
#define HS_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

typedef struct {
	knot_tsig_key_t *keys;  /* owned; name lower-case; secret wiped on free */
	size_t count;
} hs_tsig_keys_t;

/*
 * Read every key in the file at path into *out (which must be empty or
 * zeroed; on error it is left unchanged). *errline (may be NULL) gets the
 * line of the error, 0 if none applies (I/O errors):
 *   HS_EIO        the file cannot be read
 *   HS_ETSIG_FILE syntax error; a key without secret or algorithm (line of
 *                 its 'key'); bad or empty base64 secret (its line); a key
 *                 named twice (second 'key'); an unterminated block, string
 *                 or comment (line where it starts); no key at all (line 0)
 *   HS_ETSIG_ALG  unknown algorithm (its line)
 *   HS_ENOMEM
 */
int hs_tsig_load(const char *path, hs_tsig_keys_t *out, int *errline);

/* The same on text in memory (len bytes, need not be NUL-terminated). */
int hs_tsig_parse(const char *text, size_t len, hs_tsig_keys_t *out, int *errline);

/* Wipe secrets, free everything, zero *keys. NULL is fine. */
void hs_tsig_keys_free(hs_tsig_keys_t *keys);

/* Key by name, BORROWED from keys; NULL if none. */
const knot_tsig_key_t *hs_tsig_find(const hs_tsig_keys_t *keys, const knot_dname_t *name);
const knot_tsig_key_t *hs_tsig_find_str(const hs_tsig_keys_t *keys, const char *name);

/* State of one TSIG exchange; zero it (or let the first call fill it). */
typedef struct {
	const knot_tsig_key_t *key;      /* borrowed; NULL if unknown (server) */
	const knot_rrset_t *query_tsig;  /* server: the query's TSIG RR, borrowed */
	uint8_t mac[64];                 /* request MAC, then the last MAC */
	size_t mac_len;
	uint64_t time_signed;            /* time signed of the last message */
	uint16_t tsig_rcode;             /* server: TSIG error to answer (0 = none) */
	size_t count;                    /* messages signed or checked after the first */
} hs_tsig_ctx_t;

/* Bytes a TSIG RR with this key takes. */
size_t hs_tsig_space(const knot_tsig_key_t *key);

/* Reserve that space in pkt (call before putting RRs in). libknot errors. */
int hs_tsig_reserve(knot_pkt_t *pkt, const knot_tsig_key_t *key);

/*
 * Client: sign the finished query in pkt (appends the TSIG RR to its wire,
 * pkt->size grows; reserved space is given back first). ctx is (re)set to
 * this exchange. Errors: HS_EINVAL, libknot's (KNOT_ESPACE).
 */
int hs_tsig_sign_query(knot_pkt_t *pkt, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx);

/*
 * Client: check a parsed response (knot_pkt_parse) to the query signed with
 * ctx; the first call checks it covers the request MAC, later calls (more
 * messages of an AXFR/IXFR) chain on the previous MAC. Returns 0, or
 *   HS_ETSIG_NONE      the response carries no TSIG
 *   KNOT_TSIG_EBADKEY / EBADSIG / EBADTIME / EBADTRUNC: the signature fails,
 *      or the server reports that error for our request (such a response
 *      is unauthenticated: treat it as a failure only)
 */
int hs_tsig_check_response(const knot_pkt_t *resp, hs_tsig_ctx_t *ctx);

/*
 * Server: check a parsed query against the key ring. Fills ctx in any case,
 * so hs_tsig_sign_response can answer the error. Returns 0, or
 *   HS_ETSIG_NONE      the query is not signed (ctx->key NULL; decide by policy)
 *   KNOT_TSIG_EBADKEY  unknown key name or algorithm (tsig_rcode BADKEY)
 *   KNOT_TSIG_EBADSIG  bad MAC (tsig_rcode BADSIG)
 *   KNOT_TSIG_EBADTIME outside the fudge window (tsig_rcode BADTIME)
 */
int hs_tsig_check_query(const knot_pkt_t *query, const hs_tsig_keys_t *keys, hs_tsig_ctx_t *ctx);

/*
 * Server: sign the finished response in pkt for the query checked into
 * ctx. With tsig_rcode BADSIG or BADKEY the TSIG RR carries the error and
 * no MAC, and RCODE is set to NOTAUTH; with BADTIME it is signed and RCODE
 * set to NOTAUTH. Call again for every further message of the same answer.
 * Errors: HS_EINVAL (ctx holds no TSIG), HS_ETSIG_NONE, libknot's.
 */
int hs_tsig_sign_response(knot_pkt_t *pkt, hs_tsig_ctx_t *ctx);

#endif /* HS_TSIG_H */
