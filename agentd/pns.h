/*
 * agentd/pns.h -- reading the parent's NS for a zone (the delegation), as
 * the multi-signer processes need it ("wait for the parent", NS-Wait):
 * the pure part, no sockets. The network side is agentd/syncpns.c.
 *
 * A resolver asked for ZONE NS answers with the child's own apex NS RRset
 * (it outranks the parent's referral, RFC 2181 5.4.1), so the delegation
 * is read from the parent's own servers without recursion:
 *
 *   1. ZONE DS through the resolver: only the parent serves DS, so the
 *      answer names the parent zone (hs_pns_parent_zone);
 *   2. the parent zone's NS names, then their A and AAAA, through the
 *      resolver (or the addresses configured with `parent-nameserver`);
 *   3. ZONE NS with RD clear to one of those servers: the NS RRset owned
 *      by ZONE in the authority section of its referral
 *      (hs_pns_referral).
 *
 * Functions return 0 or a negative code (libhsync/error.h), never print.
 */
#ifndef HS_AGENTD_PNS_H
#define HS_AGENTD_PNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

/* What the parent's server told about ZONE (hs_pns_referral). */
typedef enum hs_pns_kind {
	HS_PNS_REFERRAL = 0,   /* the NS of a referral's authority section */
	HS_PNS_ANSWER,         /* the NS of the answer section: the server is
	                          authoritative for ZONE too (not a pure parent) */
	HS_PNS_NONE,           /* authoritative NXDOMAIN or NODATA: no delegation */
} hs_pns_kind_t;

/*
 * The parent zone of ZONE from PKT, the resolver's (parsed) answer to
 * ZONE DS: the signer name of an RRSIG covering DS owned by ZONE in the
 * answer section (a signed parent); else the owner of the SOA in the
 * authority section (a NODATA or NXDOMAIN answer). It must be a proper
 * ancestor of ZONE. PARENT (storage of KNOT_DNAME_MAXLEN bytes) gets it,
 * lower case. HS_EOK, HS_ENOTFOUND (nothing usable), HS_EINVAL.
 */
int hs_pns_parent_zone(const knot_pkt_t *pkt, const knot_dname_t *zone, knot_dname_t *parent);

/*
 * The delegation NS of ZONE from PKT, a server's (parsed) answer to a
 * non-recursive ZONE NS query:
 *   - NOERROR with an NS RRset owned by ZONE in the authority section:
 *     *out that RRset (NEW, knot_rrset_free), *kind HS_PNS_REFERRAL;
 *     preferred over the answer section;
 *   - NOERROR with an NS RRset owned by ZONE in the answer section:
 *     *out that RRset, *kind HS_PNS_ANSWER;
 *   - NXDOMAIN, or NOERROR without NS for ZONE, with AA set: *out NULL,
 *     *kind HS_PNS_NONE (the parent has no delegation);
 * each HS_EOK. HS_ENOTFOUND when the server does not tell (another RCODE,
 * a non-authoritative answer without ZONE's NS: lame, or a referral
 * elsewhere): ask another server. HS_EINVAL, HS_ENOMEM.
 */
int hs_pns_referral(const knot_pkt_t *pkt, const knot_dname_t *zone, knot_rrset_t **out,
                    hs_pns_kind_t *kind);

/*
 * The A or AAAA records (QTYPE) for NAME in PKT's answer section (CNAMEs
 * followed) appended to ss[*n] as addresses with PORT, up to MAX in all
 * (the rest dropped). HS_EOK (any appended), HS_ENOTFOUND, HS_EINVAL,
 * HS_ENOMEM.
 */
int hs_pns_addrs(const knot_pkt_t *pkt, const knot_dname_t *name, uint16_t qtype, uint16_t port,
                 struct sockaddr_storage *ss, size_t max, size_t *n);

/* Text of KIND ("referral", "answer", "no delegation"). */
const char *hs_pns_kind_name(hs_pns_kind_t kind);

#endif /* HS_AGENTD_PNS_H */
