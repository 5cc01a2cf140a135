/*
 * common/xfr.h -- zone transfers (AXFR, IXFR), SOA refresh and NOTIFY at
 * the message level: knot_pkt_t and common/zone in, messages and zones out.
 * No sockets here (common/xfrnet.h moves the messages).
 *
 * Serving (hs_xfr_out_*): one answer is a cursor over a zone (AXFR, RFC
 * 5936) or over a chain of differences (IXFR, RFC 1995); each call of
 * hs_xfr_out_next() fills ONE message, as full as its size limit allows, so
 * a zone of millions of records is streamed and never held as messages.
 * Answers:
 *   AXFR          SOA, every other RRset in canonical order, SOA.
 *   IXFR          client serial == ours (or newer, RFC 1982): our SOA alone.
 *                 A chain of differences from the client's serial to ours
 *                 exists: SOA(new), then per difference SOA(old) removals
 *                 SOA(next) additions, then SOA(new).
 *                 Otherwise: the AXFR form inside the IXFR answer (RFC 1995 4).
 *                 Over UDP: our SOA alone (the client retries over TCP).
 * Every message is TSIG-signed when the query was (RFC 8945 5.3.1: each
 * message chains on the previous MAC). Names are compressed by libknot,
 * which matches suffixes case-insensitively: a name in RDATA may go out
 * with the case of an earlier name (as in knotd's own answers); the data
 * are the same DNS names, but not always the same bytes.
 *
 * Following (hs_xfr_in_*): a consumer fed one response message at a time.
 * It tells AXFR, IXFR, IXFR answered in AXFR form, and "up to date" apart,
 * checks each message (ID, QR, opcode, RCODE, question, TSIG, TC; with
 * TSIG the first and the last message must be signed, and up to 99 in a
 * row between signed ones may come unsigned, covered by the next MAC, as
 * RFC 8945 5.3.1 allows) and each
 * RR (class, owner within the zone, SOA placement, serial chain) as it
 * arrives, and builds a new zone (AXFR) or a list of differences which it
 * applies, checked, to a copy of the current zone (IXFR), or with
 * hs_xfr_in_deltas_only() only checks against the current zone, in time
 * and memory in proportion to the differences, for a caller that applies
 * them in place. The current zone is only read, never changed: on any
 * error the caller keeps it.
 *
 * Differences (hs_diff_t, common/zone.h) carry the SOA: removed holds the
 * old SOA and added the new one, as hs_zone_diff() of two versions gives.
 *
 * Ownership is said at each function. Returns 0 or a negative code
 * (libhsync/error.h, libknot's passed on); nothing here prints.
 */
#ifndef HS_COMMON_XFR_H
#define HS_COMMON_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "common/zone.h"
#include "libhsync/tsig.h"

/* Return values of hs_xfr_out_next() and hs_xfr_in_feed() (besides errors). */
enum {
	HS_XFR_MORE = 0,   /* another message follows / is needed */
	HS_XFR_DONE = 1,   /* that was the last message / the transfer is complete */
};

/* What an answer is (or was). */
typedef enum {
	HS_XFR_NONE = 0,
	HS_XFR_AXFR,        /* full zone (an AXFR, or an IXFR answered in AXFR form) */
	HS_XFR_IXFR,        /* incremental: differences */
	HS_XFR_UPTODATE,    /* one SOA, not newer than ours */
} hs_xfr_kind_t;

/* ---- queries ---------------------------------------------------------------- */

/*
 * Build a query for zone in pkt (caller's, from knot_pkt_new(), at least
 * 512 bytes; it is cleared first): qtype KNOT_RRTYPE_SOA, _AXFR, _IXFR or
 * any other, class IN, random ID, RD clear. For IXFR, soa (the client's SOA
 * RRset, borrowed) goes into the authority section; it is required then and
 * ignored otherwise. With key (borrowed) the query is TSIG-signed and ctx
 * is (re)set for checking the answer; ctx may be NULL without key.
 * Errors: HS_EINVAL, libknot's (KNOT_ESPACE).
 */
int hs_xfr_query(knot_pkt_t *pkt, const knot_dname_t *zone, uint16_t qtype,
                 const knot_rrset_t *soa, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx);

/*
 * A NOTIFY (RFC 1996) for zone in pkt (cleared first): opcode NOTIFY, AA,
 * question (zone, IN, qtype: KNOT_RRTYPE_SOA normally; hsyncd puts the
 * changed type there), soa (borrowed, may be NULL) in the answer section as
 * the hint of the new serial. TSIG as in hs_xfr_query().
 */
int hs_xfr_notify(knot_pkt_t *pkt, const knot_dname_t *zone, uint16_t qtype,
                  const knot_rrset_t *soa, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx);

/*
 * Read a parsed NOTIFY query (knot_pkt_parse; TSIG is the caller's:
 * hs_tsig_check_query). *zone gets the question name (BORROWED from pkt),
 * *qtype (may be NULL) the question type, *has_serial whether the answer
 * section has a SOA for the zone and *serial its serial. Errors: HS_EMSG
 * (not a NOTIFY query: QR set, opcode not NOTIFY, not exactly one question,
 * class not IN; or an answer RR that is a SOA for another name).
 */
int hs_xfr_notify_parse(const knot_pkt_t *pkt, const knot_dname_t **zone, uint16_t *qtype,
                        bool *has_serial, uint32_t *serial);

/*
 * Build in pkt (cleared first) the answer header for query: same ID,
 * opcode and question, QR and AA set, rcode given; empty sections. With a
 * server TSIG ctx (from hs_tsig_check_query; may be NULL, and is ignored if
 * the query was unsigned) the answer is signed or carries the TSIG error.
 * For NOTIFY acknowledgements, REFUSED, NOTAUTH, FORMERR, NOTIMPL answers.
 */
int hs_xfr_answer(knot_pkt_t *pkt, const knot_pkt_t *query, uint16_t rcode, hs_tsig_ctx_t *ctx);

/*
 * Check the response wire[len] to query (as built above and sent): ID,
 * QR, opcode and question match, TC clear, TSIG when ctx holds a key
 * (ctx->key set by signing the query), RCODE NOERROR. For a SOA query,
 * *serial (may be NULL) gets the serial of the answer's SOA for the zone.
 * Errors: HS_EMSG (malformed, not our answer, TC), HS_ETSIG_NONE and
 * KNOT_TSIG_E* (TSIG), HS_EXFR_RCODE (*rcode, may be NULL, gets it; also
 * filled on success), HS_ENOTFOUND (a SOA query answered without the SOA).
 */
int hs_xfr_check_answer(const uint8_t *wire, size_t len, const knot_pkt_t *query,
                        hs_tsig_ctx_t *ctx, uint16_t *rcode, uint32_t *serial);

/*
 * For a parsed IXFR query: the client's serial from the authority SOA.
 * HS_EMSG if there is no SOA for the question name there.
 */
int hs_xfr_query_serial(const knot_pkt_t *query, uint32_t *serial);

/* ---- serving ------------------------------------------------------------------ */

typedef struct hs_xfr_out hs_xfr_out_t;

struct hs_xfr_out_opts {
	size_t max_msg;        /* largest message (default and at most 65535) */
	bool udp;              /* the query came over UDP (IXFR: SOA alone) */
	hs_tsig_ctx_t *tsig;   /* server ctx from hs_tsig_check_query() (borrowed;
	                          NULL or an unsigned query: no TSIG) */
};

/*
 * Start the answer to query (parsed, borrowed: keep it, the zone, the
 * differences and opts->tsig alive and unchanged until hs_xfr_out_free()).
 * The zone must have a SOA at its origin and the query's question must name
 * that origin (HS_EINVAL otherwise; the caller answers NOTAUTH/REFUSED).
 *
 * qtype AXFR: the AXFR form (over UDP too: refusing that is the caller's).
 * qtype IXFR: deltas[0..ndeltas) is the chain the server has, oldest first,
 * each going from one serial to the next and the last to the zone's
 * serial; the answer starts at the delta whose old serial is the client's
 * (hs_xfr_query_serial). If there is none, or the chain from there is
 * broken or does not end at the zone's serial, the AXFR form is used.
 * deltas may be NULL with 0.
 * *out is new: free with hs_xfr_out_free(). Errors: HS_EINVAL, HS_EMSG (an
 * IXFR query without its SOA), HS_ENOMEM.
 */
int hs_xfr_out_new(const knot_pkt_t *query, hs_zone_t *zone, hs_diff_t *const *deltas,
                   size_t ndeltas, const struct hs_xfr_out_opts *opts, hs_xfr_out_t **out);

/* The form chosen: HS_XFR_AXFR, HS_XFR_IXFR or HS_XFR_UPTODATE. */
hs_xfr_kind_t hs_xfr_out_kind(const hs_xfr_out_t *x);

/*
 * Fill pkt (caller's, from knot_pkt_new() with at least max_msg bytes; it is
 * cleared first) with the next message. Returns HS_XFR_MORE (send it and
 * call again), HS_XFR_DONE (send it, that was the last), or an error:
 * HS_ESPACE (an RR larger than a message), libknot's (TSIG). After
 * HS_XFR_DONE or an error, further calls return HS_EINVAL.
 * *rrs (may be NULL) counts the RRs put so far.
 */
int hs_xfr_out_next(hs_xfr_out_t *x, knot_pkt_t *pkt, size_t *rrs);

/* Free the cursor. NULL is fine. */
void hs_xfr_out_free(hs_xfr_out_t *x);

/* ---- following ---------------------------------------------------------------- */

typedef struct hs_xfr_in hs_xfr_in_t;

/*
 * A consumer for the answer to query (as built with hs_xfr_query and sent;
 * borrowed, keep it until hs_xfr_in_free). cur is the current zone
 * (borrowed, never changed; NULL if there is none yet: then an IXFR in
 * incremental form is HS_EXFR_DELTA). tsig: the client ctx from signing the
 * query (copied), or NULL for no TSIG. *out is new.
 */
int hs_xfr_in_new(const knot_pkt_t *query, hs_zone_t *cur, const hs_tsig_ctx_t *tsig,
                  hs_xfr_in_t **out);

/*
 * Keep only the RRs for which fn(rr, arg) is true (rr borrowed, one RR);
 * the others are checked like all RRs but not stored, so a follower that
 * needs part of a zone (hsyncd: the apex) never holds the rest. SOA
 * records at the apex are always kept. For IXFR, cur should hold only
 * what the filter keeps: removals of dropped RRs are dropped too. Call
 * before the first hs_xfr_in_feed(); fn NULL keeps everything.
 */
typedef bool (*hs_xfr_filter_fn)(const knot_rrset_t *rr, void *arg);
void hs_xfr_in_filter(hs_xfr_in_t *x, hs_xfr_filter_fn fn, void *arg);

/*
 * IXFR without a zone copy: at the end the chain of differences is checked
 * against cur exactly as applying it to a copy would (each removed RR is in
 * cur as changed by the differences before, each added RR is not, unless
 * the same difference removes it; else HS_EXFR_DELTA), but no zone is
 * built: hs_xfr_in_take_zone() gives NULL for an IXFR and the caller
 * applies hs_xfr_in_take_deltas() in order (hs_zone_apply() each, which
 * cannot then fail but for HS_ENOMEM). Costs memory and time in proportion
 * to the differences, not the zone. has(rr, arg) (one RR, borrowed; TTL to
 * be ignored) tells whether the current zone holds rr, for a caller whose
 * current zone is not one hs_zone_t; NULL looks in cur. cur must still be
 * given (its SOA serial starts the chain). Call before the first
 * hs_xfr_in_feed(). AXFR answers are not affected.
 */
typedef bool (*hs_xfr_has_fn)(const knot_rrset_t *rr, void *arg);
void hs_xfr_in_deltas_only(hs_xfr_in_t *x, hs_xfr_has_fn has, void *arg);

/*
 * Feed the next response message (wire[len], read only during the call).
 * Returns HS_XFR_MORE (feed the next), HS_XFR_DONE (complete and checked:
 * take the result), or an error, after which the consumer takes nothing
 * more (every later call gives the same error):
 *   HS_EMSG          malformed or not an answer to query (ID, QR, opcode,
 *                    question, TC set, first RR not the zone's SOA, a SOA
 *                    out of place, data after the final SOA, empty answer)
 *   HS_EXFR_RCODE    RCODE not NOERROR (hs_xfr_in_rcode() tells it)
 *   HS_ETSIG_NONE    TSIG expected: first or last message unsigned, or
 *                    more than 99 unsigned in a row
 *   KNOT_TSIG_EBADSIG/EBADKEY/EBADTIME/EBADTRUNC: TSIG does not verify
 *   KNOT_EOUTOFZONE  an RR outside the zone; HS_EINVAL another class
 *   HS_EXFR_SERIAL   the new serial is older than cur's (RFC 1982)
 *   HS_EXFR_DELTA    an IXFR chain that does not start at cur's serial or
 *                    is broken, or a difference that does not fit (an RR
 *                    removed that is not there, or added that is)
 *   HS_ETRUNC        a lone SOA newer than cur's in an IXFR answer (the
 *                    server wants TCP or broke off: fall back to AXFR)
 *   HS_ENOMEM
 */
int hs_xfr_in_feed(hs_xfr_in_t *x, const uint8_t *wire, size_t len);

/*
 * Say the stream ended (connection closed). 0 if the transfer was complete,
 * HS_ETRUNC if not, or the earlier error.
 */
int hs_xfr_in_end(hs_xfr_in_t *x);

/* After HS_XFR_DONE: the kind and the new serial. */
hs_xfr_kind_t hs_xfr_in_kind(const hs_xfr_in_t *x);
uint32_t hs_xfr_in_serial(const hs_xfr_in_t *x);
/* RCODE of the last message seen (for HS_EXFR_RCODE). */
uint16_t hs_xfr_in_rcode(const hs_xfr_in_t *x);
/* Messages and RRs taken so far. */
size_t hs_xfr_in_messages(const hs_xfr_in_t *x);
size_t hs_xfr_in_rrs(const hs_xfr_in_t *x);

/*
 * After HS_XFR_DONE: the new zone, STOLEN (the caller frees it; a second
 * call gives NULL). AXFR: the transferred zone; IXFR: a copy of cur with
 * the differences applied (NULL with hs_xfr_in_deltas_only()); up to
 * date: NULL.
 */
hs_zone_t *hs_xfr_in_take_zone(hs_xfr_in_t *x);

/*
 * After HS_XFR_DONE of an IXFR: the differences, oldest first. *deltas is a
 * new array of new diffs, all STOLEN (free each with hs_diff_free() and the
 * array with free()); *n their number. Empty (NULL, 0) for other kinds.
 */
void hs_xfr_in_take_deltas(hs_xfr_in_t *x, hs_diff_t ***deltas, size_t *n);

/* Free the consumer and whatever was not taken. NULL is fine. */
void hs_xfr_in_free(hs_xfr_in_t *x);

#endif /* HS_COMMON_XFR_H */
