/*
 * agentd/resolve.h -- asking a validating resolver, and believing it only
 * when it says the answer is validated.
 *
 * The agent looks up its peers (agentd/discover: URI, SVCB, KEY) and its
 * parent's DSYNC target (agentd/dsync) through a DNSSEC-validating
 * resolver and trusts only answers with the AD bit (RFC 4035 3.2.3,
 * RFC 6840 5.7). Both build the same query and check the answer the same
 * way; this module is that shared part. It keeps no state: the caller
 * keeps the query's ID, name and type and decides what to do next.
 *
 * Functions return 0 or a negative code and never print.
 */
#ifndef HS_AGENTD_RESOLVE_H
#define HS_AGENTD_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/* EDNS buffer size of our queries (DNS flag day 2020). */
#define HS_RESOLVE_EDNS_SIZE 1232

/* CNAMEs followed in an answer before giving up. */
#define HS_RESOLVE_MAX_CNAME 8

/*
 * A NEW query (knot_pkt_free) for qname/IN/qtype with a random ID
 * (knot_wire_get_id(out->wire)), RD and AD set, and EDNS with DO.
 * HS_EINVAL, HS_ENOMEM or a libknot code.
 */
int hs_resolve_query_new(const knot_dname_t *qname, uint16_t qtype, knot_pkt_t **out);

/*
 * Check wire/len, received for the query qid/qname/IN/qtype, from the
 * resolver named `resolver` (for reasons). On failure reason (cap bytes,
 * may be NULL) says why, e.g. "no AD bit from resolver 127.0.0.1#53".
 *
 *   HS_EDISC_MISMATCH   not the answer to this query: too short, other ID,
 *                       not a QUERY response, malformed, other question.
 *                       The query may still be answered: keep waiting.
 *   HS_ETRUNC           TC set: ask again over TCP.
 *   HS_EDISC_RCODE      neither NOERROR nor NXDOMAIN (SERVFAIL: validation
 *                       failed, or server trouble).
 *   HS_EDISC_NOAD       not validated (no AD bit), positive or negative.
 *   HS_EDISC_NXDOMAIN   validated: the name does not exist.
 *   HS_EDISC_NODATA     validated: no record of qtype (after CNAMEs).
 *   HS_EOK              validated, *answer holds the records of qtype.
 *   HS_ENOMEM, HS_EINVAL.
 *
 * With HS_EOK, HS_EDISC_NXDOMAIN and HS_EDISC_NODATA, *pkt is the NEW
 * parsed answer (knot_pkt_free; it owns a copy of the wire, so the
 * authority section can be read for a negative answer's SOA); otherwise
 * *pkt is NULL. *answer is as hs_resolve_answer() fills it (empty unless
 * HS_EOK); answer may be NULL when the caller reads the packet itself.
 */
int hs_resolve_check(uint16_t qid, const knot_dname_t *qname, uint16_t qtype,
                     const uint8_t *wire, size_t len, const char *resolver,
                     knot_pkt_t **pkt, knot_rrset_t *answer, char *reason, size_t cap);

/*
 * The answer RRset of qtype for qname in pkt's answer section (class IN),
 * following up to HS_RESOLVE_MAX_CNAME CNAMEs, gathered into *out:
 * knot_pkt_parse() gives every record of a message as an RRset of its own,
 * so two KEYs (a key roll) or two URIs are several entries. out->owner is
 * borrowed from pkt, out->rrs is NEW: knot_rdataset_clear(&out->rrs, NULL).
 * HS_EOK, HS_ENOTFOUND (none: *out empty), HS_ENOMEM, HS_EINVAL.
 */
int hs_resolve_answer(const knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype,
                      knot_rrset_t *out);

#endif /* HS_AGENTD_RESOLVE_H */
