/*
 * common/zone.h -- an in-memory DNS zone on libknot types, and diffs of zones.
 *
 * A zone is a set of RRsets keyed by (owner, type), all of one class, all at
 * or below one origin; RRSIGs are keyed by (owner, RRSIG, type covered), see
 * "RRSIG" below. It is built to hold millions of records: one
 * allocation per owner name holds the name, its RRsets and their RDATA
 * (knot_rdata_t layout, canonically sorted), plus a hash table and an order
 * array of pointers, about 80-100 bytes for a name with one A record.
 *
 * Order. Iteration walks names in canonical DNSSEC order (RFC 4034 6.1:
 * labels compared from the right, as octet strings with A-Z folded to a-z),
 * RRsets of a name by ascending type number, and RDATA canonically (RFC 4034
 * 6.3, byte order of the wire RDATA). So the same content always comes out in
 * the same order. New names are kept in order cheaply when they arrive in
 * order (as AXFR streams do); otherwise they are sorted in when the zone is
 * next iterated (hs_zone_iter_begin() or hs_zone_diff() sort first).
 *
 * Names. Owner names compare case-insensitively; a name keeps the case it
 * had when its first RR was added. RDATA compare as bytes.
 *
 * TTL. An RRset has one TTL (RFC 2181 5.2). Adding RRs sets the RRset's TTL
 * to the TTL of the RRs added (the last one added wins). Removal matches
 * RDATA only and ignores the TTL.
 *
 * RRSIG. The RRSIGs at one owner that cover one type are an RRset of their
 * own with their own TTL (RFC 4035 2.2: an RRSIG's TTL is that of the
 * RRset it covers, so the RRSIGs of the SOA and of the DNSKEY RRset at the
 * apex usually differ), as if RRSIG(A), RRSIG(NS), ... were distinct types.
 * The type covered is the first two octets of the RRSIG RDATA (0 if it is
 * shorter). So every function below takes and gives RRSIG TTLs per covered
 * type, and the zone gives back each RRSIG with the TTL it came in with:
 *   - hs_zone_add/remove/replace() with RRSIG RDATA covering several types
 *     work on each covered type's RRSIG RRset (a TTL in rr sets the TTL of
 *     every covered type present in rr, and of no other);
 *   - iteration yields ONE RRSIG RRset PER COVERED TYPE, by ascending type
 *     covered (their RDATA together are in canonical order), each with its
 *     own TTL: what AXFR/IXFR output needs, as a knot_rrset_t has one TTL;
 *   - hs_zone_rrset_count() counts each of them as one RRset;
 *   - hs_zone_diff() compares them one by one: a TTL change of the RRSIGs
 *     covering one type removes and adds those RRSIGs only;
 *   - hs_zone_find(owner, RRSIG) and hs_zone_remove_rrset(owner, RRSIG)
 *     take all the RRSIGs at owner together (see there);
 *     hs_zone_find_rrsig() and hs_zone_remove_rrsig() take one covered type.
 * No other type is split like this (SIG, type 24, is kept whole).
 *
 * Views. hs_zone_find() and hs_zone_iter_next() fill a knot_rrset_t whose
 * owner and RDATA point INTO the zone: borrowed, never freed by the caller,
 * valid until the zone is next modified or freed.
 *
 * Diffs. hs_diff_t is (removed, added), two zones with the same origin.
 * hs_zone_diff(a, b) gives what turns a into b: RRs of a not in b are
 * removed, RRs of b not in a are added; an RRset whose TTL changed is
 * removed whole and added whole (IXFR cannot say "TTL changed" otherwise).
 * Applying a diff removes first, then adds; see hs_zone_apply().
 *
 * Serial numbers: RFC 1982 arithmetic, hs_serial_*() below.
 *
 * Functions return 0 or a negative code (libhsync/error.h); they never print.
 */
#ifndef HS_COMMON_ZONE_H
#define HS_COMMON_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

typedef struct hs_zone hs_zone_t;

/* ---- zones ----------------------------------------------------------------- */

/*
 * New empty zone for origin (copied) and class (KNOT_CLASS_IN usually).
 * *out is new: free with hs_zone_free(). HS_EINVAL on bad arguments.
 */
int hs_zone_new(const knot_dname_t *origin, uint16_t rclass, hs_zone_t **out);

/* Free a zone and everything in it. NULL is fine. */
void hs_zone_free(hs_zone_t *z);

/* Deep copy. *out is new. */
int hs_zone_copy(const hs_zone_t *z, hs_zone_t **out);

/* The origin (borrowed, lives as long as the zone) and class. */
const knot_dname_t *hs_zone_origin(const hs_zone_t *z);
uint16_t hs_zone_class(const hs_zone_t *z);

/*
 * Number of RRs, of RRsets (RRSIGs: one RRset per owner and type covered),
 * and of owner names holding at least one RRset.
 */
size_t hs_zone_count(const hs_zone_t *z);
size_t hs_zone_rrset_count(const hs_zone_t *z);
size_t hs_zone_name_count(const hs_zone_t *z);

/* Bytes the zone holds on the heap (payload and tables; not malloc's overhead). */
size_t hs_zone_memory(const hs_zone_t *z);

/*
 * Add every RR of rr (owner, type, class, TTL, RDATA; usually one RR) to the
 * zone. RRs already present are left as they are (no error); the RRset's
 * TTL becomes rr->ttl (RRSIG: the TTL of the RRSIGs of each type covered in
 * rr; the RRSIGs of other covered types keep theirs). Errors, with the zone
 * unchanged:
 *   KNOT_EOUTOFZONE  owner is not at or below the origin
 *   HS_EINVAL        class differs from the zone's, or rr is empty, or type is 0
 *   HS_ERANGE        the RRset would exceed 65535 RRs
 *   HS_ENOMEM
 * If added is not NULL it gets the number of RRs that were new.
 */
int hs_zone_add(hs_zone_t *z, const knot_rrset_t *rr, size_t *added);

/*
 * Remove every RR of rr (matched by owner, type and RDATA; TTL and class
 * ignored). All of them must be present: otherwise HS_ENOTFOUND and nothing
 * is removed. An RRset left empty disappears. RRSIGs in rr may cover
 * several types; each is removed from the RRset of its covered type, whose
 * TTL stays.
 */
int hs_zone_remove(hs_zone_t *z, const knot_rrset_t *rr);

/*
 * Remove the whole RRset (owner, type). HS_ENOTFOUND if there is none.
 * type RRSIG removes every RRSIG at owner, whatever type it covers.
 */
int hs_zone_remove_rrset(hs_zone_t *z, const knot_dname_t *owner, uint16_t type);

/*
 * Remove the RRSIGs at owner that cover the type covered.
 * HS_ENOTFOUND if there are none (nothing changes).
 */
int hs_zone_remove_rrsig(hs_zone_t *z, const knot_dname_t *owner, uint16_t covered);

/*
 * Make the RRset (rr->owner, rr->type) exactly rr (RDATA and TTL); an rr with
 * no RDATA removes the RRset (no error if there was none).
 * RRSIG: for each type covered in rr, the RRSIGs at rr->owner covering it
 * become exactly those of rr, with rr->ttl; RRSIGs covering types not in
 * rr stay as they are. An RRSIG rr with no RDATA removes every RRSIG at
 * rr->owner. Same errors as hs_zone_add(), zone unchanged on error.
 */
int hs_zone_replace(hs_zone_t *z, const knot_rrset_t *rr);

/*
 * Find the RRset (owner, type) and fill *out with a borrowed view (see the
 * top of this file). HS_ENOTFOUND if there is none.
 * type RRSIG: every RRSIG at owner (all types covered) in one view, RDATA
 * in canonical order, and out->ttl the LOWEST of their TTLs: good for
 * "are there signatures" and for answering a query for type RRSIG, but
 * lossy for TTLs; to keep them use hs_zone_find_rrsig() or iteration.
 * HS_ERANGE if together they are more than 65535 RRs.
 */
int hs_zone_find(const hs_zone_t *z, const knot_dname_t *owner, uint16_t type,
                 knot_rrset_t *out);

/*
 * Find the RRSIGs at owner that cover the type covered (one RRset, its own
 * TTL) and fill *out with a borrowed view. HS_ENOTFOUND if there are none.
 */
int hs_zone_find_rrsig(const hs_zone_t *z, const knot_dname_t *owner, uint16_t covered,
                       knot_rrset_t *out);

/* Whether owner has any RRset in the zone. */
bool hs_zone_has_name(const hs_zone_t *z, const knot_dname_t *owner);

/* The serial of the SOA at the origin. HS_ENOTFOUND if there is no SOA. */
int hs_zone_soa_serial(const hs_zone_t *z, uint32_t *serial);

/*
 * Whether both zones hold exactly the same RRsets (RDATA and TTL; RRSIGs
 * per type covered). Sorts both.
 */
bool hs_zone_equal(hs_zone_t *a, hs_zone_t *b);

/* ---- iteration ----------------------------------------------------------------- */

enum {
	/* Give the SOA at the origin first (if there is one), then all the
	 * rest in canonical order without it: the order AXFR and the
	 * sections of IXFR need. */
	HS_ZONE_ITER_SOA_FIRST = 1 << 0,
};

/* Cursor over a zone. The zone must not change while it is in use. */
typedef struct {
	hs_zone_t *zone;
	size_t node;      /* private */
	unsigned set;     /* private */
	int flags;        /* private */
	int state;        /* private */
} hs_zone_iter_t;

/* Start iterating (sorts the zone first if needed; HS_ENOMEM possible). */
int hs_zone_iter_begin(hs_zone_t *z, int flags, hs_zone_iter_t *it);

/*
 * Next RRset as a borrowed view; false when done. RRSIGs come as one RRset
 * per type covered (see "RRSIG" at the top), each with its own TTL.
 */
bool hs_zone_iter_next(hs_zone_iter_t *it, knot_rrset_t *out);

/* ---- diffs ----------------------------------------------------------------------- */

typedef struct {
	hs_zone_t *removed;   /* owned by the diff */
	hs_zone_t *added;     /* owned by the diff */
} hs_diff_t;

/* New empty diff for origin and class. *out is new: free with hs_diff_free(). */
int hs_diff_new(const knot_dname_t *origin, uint16_t rclass, hs_diff_t **out);

/* Free a diff and both its zones. NULL is fine. */
void hs_diff_free(hs_diff_t *d);

/* True if the diff neither removes nor adds anything. */
bool hs_diff_empty(const hs_diff_t *d);

/* Number of RRs removed plus added. */
size_t hs_diff_count(const hs_diff_t *d);

/*
 * What turns zone a into zone b (same origin and class, else HS_EINVAL).
 * *out is new. Sorts both zones, which are otherwise unchanged.
 */
int hs_zone_diff(hs_zone_t *a, hs_zone_t *b, hs_diff_t **out);

/*
 * Apply d to z: remove d->removed, then add d->added. Checked first, so a
 * diff that does not fit changes nothing: HS_ENOTFOUND if an RR to remove is
 * not in z, HS_EEXIST if an RR to add is already in z (and not removed by
 * the same diff), KNOT_EOUTOFZONE / HS_EINVAL as for hs_zone_add().
 * (HS_ENOMEM part-way may leave z half changed; the caller then drops z.)
 */
int hs_zone_apply(hs_zone_t *z, hs_diff_t *d);

/* ---- canonical order helpers -------------------------------------------------- */

/* Canonical order of two names (RFC 4034 6.1): <0, 0, >0. */
int hs_dname_canon_cmp(const knot_dname_t *a, const knot_dname_t *b);

/* Whether name is at or below origin (case-insensitive). */
bool hs_dname_in_zone(const knot_dname_t *name, const knot_dname_t *origin);

/* Case-insensitive equality of two names. */
bool hs_dname_equal(const knot_dname_t *a, const knot_dname_t *b);

/*
 * name as presentation text into buf (size bytes, KNOT_DNAME_TXT_MAXLEN + 1
 * is always enough), "?" when it cannot be written (NULL, too small).
 * Returns buf, for messages.
 */
const char *hs_dname_text(const knot_dname_t *name, char *buf, size_t size);

/*
 * RR type TYPE as its mnemonic ("DNSKEY"), or "TYPEnnn" (RFC 3597) when
 * libknot has none, into buf (32 bytes are always enough). Returns buf.
 */
const char *hs_rrtype_text(uint16_t type, char *buf, size_t size);

/* ---- RFC 1982 serial number arithmetic (SERIAL_BITS = 32) ---------------------- */

#define HS_SERIAL_UNDEFINED 2

/*
 * Compare serials: -1 if a < b, 0 if equal, 1 if a > b, and
 * HS_SERIAL_UNDEFINED when they differ by exactly 2^31 (RFC 1982 3.2).
 */
int hs_serial_cmp(uint32_t a, uint32_t b);

/* a < b and a > b in RFC 1982 terms (false when undefined). */
bool hs_serial_lt(uint32_t a, uint32_t b);
bool hs_serial_gt(uint32_t a, uint32_t b);

/*
 * s + n (RFC 1982 3.1), n at most 2^31 - 1 (else s is returned unchanged).
 * Wraps at 2^32: hs_serial_add(4294967295, 1) == 0, and 0 > 4294967295.
 */
uint32_t hs_serial_add(uint32_t s, uint32_t n);

#endif /* HS_COMMON_ZONE_H */
