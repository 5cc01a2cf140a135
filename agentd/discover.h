/*
 * agentd/discover.h -- discovery of one peer identity over validated DNS.
 *
 * A step machine with no sockets: the caller asks hs_disc_query() for the
 * next query, sends it to the configured validating resolver, and gives the
 * answer's wire bytes to hs_disc_feed(). Three look-ups, in this order:
 *
 *   1. URI  at _dns._tcp.<identity>   (RFC 7553) -> host name and port
 *   2. SVCB at <host>                 (RFC 9460) -> addresses (and port)
 *   3. KEY  at <host>                 (RFC 2535) -> the peer's SIG(0) keys
 *
 * Queries have RD, AD and DO set (EDNS, 1232 bytes) and a random ID
 * (libsodium). EVERY answer must come back with the AD bit: the resolver
 * validated it. Without AD nothing in the answer is used, discovery fails
 * with HS_EDISC_NOAD and the reason names resolver, type and name:
 * "no AD bit from resolver 127.0.0.1#5353 for URI _dns._tcp.agent.b.example."
 *
 * URI target. RFC 7553 leaves the URI scheme to the service; for agent
 * traffic the target is an RFC 4501 style "dns:" URI whose authority is
 * the agent's DNS endpoint:
 *
 *	dns://HOST[:PORT][/]
 *
 * scheme case-insensitive; HOST a domain name (always taken as absolute, a
 * trailing dot is allowed; no IP literals, no user part: the SVCB and KEY
 * are looked up at HOST); PORT 1-65535, default 53; nothing may follow but
 * one "/". Of several URI records the lowest priority wins, then the
 * highest weight, then the lowest target in byte order (deterministic).
 *
 * SVCB (RFC 9460). Looked up at HOST:
 *   - AliasMode (priority 0): its target is looked up next (SVCB again),
 *     at most HS_DISC_MAX_ALIAS times; an alias to "." means "no service"
 *     (HS_EDISC_DATA). If the RRset has an AliasMode record, its
 *     ServiceMode records are ignored (RFC 9460 2.4.2).
 *   - ServiceMode: records that list in "mandatory" a key other than port,
 *     ipv4hint, ipv6hint are skipped, and so are records without an
 *     ipv4hint or ipv6hint: agentd takes the addresses from the hints and
 *     does not look up A/AAAA (what hs_publish_svcb() writes always has
 *     them). Of the rest the lowest priority is used. Its "port" wins over
 *     the URI's port. SvcParams must be in strictly increasing key order
 *     and well formed, else HS_EDISC_DATA.
 *   At most HS_DISC_MAX_ADDRS addresses are kept (IPv4 first); more are
 *   ignored.
 *
 * KEY. Every record of the RRset at HOST whose algorithm hsync supports
 * (hs_key_alg_supported) and that is not a "no key" record (flags bits 0
 * and 1 both set, RFC 2535 3.1.2) is kept, at most HS_DISC_MAX_KEYS, in
 * the order of the answer; two keys are kept so a peer can roll its key.
 * None left: HS_EDISC_DATA.
 *
 * CNAME: the answer RRset is found by following CNAMEs in the answer
 * section from the query name (at most 8); RRSIGs are ignored (the AD bit
 * is what vouches for the answer).
 *
 * Failures, returned by hs_disc_feed() and explained in hs_disc_reason():
 *   HS_EDISC_MISMATCH  not an answer to the outstanding query: too short or
 *                      malformed, other ID, QR clear, opcode not QUERY,
 *                      other question. The STATE IS UNCHANGED, so a stray or
 *                      spoofed packet cannot end a discovery: the caller
 *                      logs the reason and keeps waiting (or times out).
 *   HS_ETRUNC          TC set: retry over TCP
 *   HS_EDISC_RCODE     SERVFAIL (for a validating resolver usually a DNSSEC
 *                      validation failure), REFUSED, ...
 *   HS_EDISC_NOAD      AD clear on a NOERROR or NXDOMAIN answer
 *   HS_EDISC_NXDOMAIN  the name does not exist (validated)
 *   HS_EDISC_NODATA    no record of the type (validated)
 *   HS_EDISC_DATA      records there but unusable (bad URI target, no usable
 *                      SVCB, alias loop, no supported KEY)
 *   -ETIMEDOUT         hs_disc_timeout(): the caller gave up waiting
 * After any of them but MISMATCH the state is HS_DISC_FAILED; start again
 * with hs_disc_restart(). hs_disc_permanent() says whether the failure is
 * in the published data (HS_EDISC_DATA, HS_EKEYALG: retrying will not help
 * before the operator changes it) or transient (everything else).
 *
 * Ownership: hs_disc_t is storage the caller owns (hs_disc_init /
 * hs_disc_clear); the result and its keys are BORROWED from it and valid
 * until hs_disc_clear() or hs_disc_restart().
 */
#ifndef HS_AGENTD_DISCOVER_H
#define HS_AGENTD_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "agentd/resolve.h"   /* the queries and the checks of their answers */
#include "libhsync/key.h"

#define HS_DISC_MAX_ADDRS   16
#define HS_DISC_MAX_KEYS    4
#define HS_DISC_MAX_ALIAS   8
#define HS_DISC_REASON_SIZE 1536
#define HS_DISC_DEFAULT_PORT 53
#define HS_DISC_EDNS_SIZE   HS_RESOLVE_EDNS_SIZE

typedef enum hs_disc_state {
	HS_DISC_URI = 0,    /* next: URI query at _dns._tcp.<identity> */
	HS_DISC_SVCB,       /* next: SVCB query at the host (or an alias target) */
	HS_DISC_KEY,        /* next: KEY query at the host */
	HS_DISC_DONE,       /* result ready */
	HS_DISC_FAILED,     /* see hs_disc_reason() */
} hs_disc_state_t;

/* What discovery found. Addresses carry the port (network order inside). */
typedef struct hs_disc_result {
	knot_dname_storage_t identity;
	knot_dname_storage_t host;
	uint16_t port;                  /* SVCB port if given, else the URI's */
	size_t naddrs;
	struct sockaddr_storage addrs[HS_DISC_MAX_ADDRS];
	size_t nkeys;
	hs_key_t *keys[HS_DISC_MAX_KEYS];  /* owner = host */
} hs_disc_result_t;

typedef struct hs_disc {
	hs_disc_state_t state;
	int error;                      /* last failure code, 0 if none */
	char resolver[64];              /* for reasons, e.g. "127.0.0.1#5353" */
	char reason[HS_DISC_REASON_SIZE];
	/* outstanding query */
	bool sent;
	uint16_t qid;
	knot_dname_storage_t qname;
	uint16_t qtype;
	/* progress */
	uint16_t uri_port;
	unsigned aliases;
	knot_dname_storage_t svcb_name; /* SVCB owner being asked (host or alias) */
	hs_disc_result_t res;
} hs_disc_t;

/*
 * Start discovering IDENTITY (wire form, copied) through RESOLVER (text
 * used only in reasons, copied; NULL gives "resolver"). State HS_DISC_URI.
 * HS_EINVAL (NULL identity or the root), HS_ENAME (name too long for
 * _dns._tcp. in front).
 */
int hs_disc_init(hs_disc_t *d, const knot_dname_t *identity, const char *resolver);

/* Free what D holds (keys). D may be reused after hs_disc_init(). NULL is fine. */
void hs_disc_clear(hs_disc_t *d);

/* Forget progress and results; back to HS_DISC_URI for the same identity. */
void hs_disc_restart(hs_disc_t *d);

/*
 * The next query: name (borrowed from D) and type. HS_EINVAL when the state
 * is DONE or FAILED (there is none).
 */
int hs_disc_next(const hs_disc_t *d, const knot_dname_t **qname, uint16_t *qtype);

/*
 * Build the next query as a new packet (*out; free with knot_pkt_free):
 * class IN, RD and AD set, EDNS with DO, a new random ID that D remembers.
 * Calling it again (a retry) makes a new ID; only the latest is accepted.
 * HS_EINVAL (nothing to ask), HS_ENOMEM, libknot codes.
 */
int hs_disc_query(hs_disc_t *d, knot_pkt_t **out);

/*
 * Feed the answer to the outstanding query (WIRE, LEN bytes; not kept).
 * Returns 0 when the answer was used (state advanced: see hs_disc_state())
 * or a failure code listed above. HS_EINVAL when no query is outstanding.
 */
int hs_disc_feed(hs_disc_t *d, const uint8_t *wire, size_t len);

/* The caller gave up waiting for an answer: FAILED with -ETIMEDOUT. */
int hs_disc_timeout(hs_disc_t *d);

hs_disc_state_t hs_disc_state(const hs_disc_t *d);

/* Why the last failure happened ("" if none). Borrowed from D. */
const char *hs_disc_reason(const hs_disc_t *d);

/* True if the last failure is in the published data (see above). */
bool hs_disc_permanent(const hs_disc_t *d);

/* The result when the state is HS_DISC_DONE, else NULL. Borrowed from D. */
const hs_disc_result_t *hs_disc_result(const hs_disc_t *d);

/* "URI", "SVCB", "KEY" for the three query types, else "other". Static. */
const char *hs_disc_type_name(uint16_t type);

/*
 * Parse a URI target "dns://HOST[:PORT][/]" (LEN bytes, not NUL-terminated)
 * into HOST (wire form, lower case) and *PORT (53 if absent).
 * HS_EDISC_DATA if it is not of that form.
 */
int hs_disc_parse_uri_target(const uint8_t *target, size_t len,
                             knot_dname_storage_t host, uint16_t *port);

#endif /* HS_AGENTD_DISCOVER_H */
