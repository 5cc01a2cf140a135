/*
 * hsyncd/apex.h -- the apex state of one zone, as hsyncd keeps it.
 *
 * Of each zone version hsyncd keeps only seven RRsets at the apex: SOA, NS,
 * DNSKEY, CDS, CDNSKEY, CSYNC and HSYNC, each with the RRSIGs that cover it.
 * Everything else in a transfer is dropped as it arrives (one type switch,
 * then one name compare), so memory is a few hundred bytes plus the RDATA of
 * those RRsets per zone (see test_apex.c: 10,000 realistic zones).
 *
 * An apex state is a value: RDATA are kept in canonical order without
 * duplicates (knot_rdataset_t), so two states compare with hs_apex_equal().
 *
 * Building:
 *   - by hand: hs_apex_new(), then hs_apex_add()/hs_apex_remove() per RR(set);
 *   - from a transfer: hs_apex_xfr_begin(), hs_apex_xfr_feed() for every RR of
 *     the response in order, hs_apex_xfr_finish(). The builder works on its own
 *     copy, so a failed or aborted transfer leaves the current state untouched.
 *
 * Ownership: an hs_apex_t is owned by whoever created it (new, clone, xfr
 * finish, load) and freed with hs_apex_free(). Views filled by
 * hs_apex_rrset()/hs_apex_rrsig() are borrowed from the apex: valid until the
 * apex is changed or freed; never free them.
 *
 * Errors: 0 or a negative code (libhsync/error.h, or libknot's passed on).
 */
#ifndef HS_HSYNCD_APEX_H
#define HS_HSYNCD_APEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>

/* The seven kept types, in this fixed order ("slots"). */
enum hs_apex_slot {
	HS_APEX_SOA = 0,
	HS_APEX_NS,
	HS_APEX_DNSKEY,
	HS_APEX_CDS,
	HS_APEX_CDNSKEY,
	HS_APEX_CSYNC,
	HS_APEX_HSYNC,
	HS_APEX_NSLOTS
};

/* Bit mask of slots, bit (1u << slot). */
#define HS_APEX_MASK_ALL ((1u << HS_APEX_NSLOTS) - 1u)

typedef struct hs_apex hs_apex_t;

/* Slot of an RR type, or -1 if hsyncd does not keep that type. */
int hs_apex_slot(uint16_t type);
/* RR type of a slot (0 for a bad slot). */
uint16_t hs_apex_slot_type(int slot);
/* Mnemonic of a slot's type ("SOA", ..., "HSYNC"); static, "?" for a bad slot. */
const char *hs_apex_slot_name(int slot);

/* New, empty apex state for zone (copied, lowercased). */
int hs_apex_new(hs_apex_t **out, const knot_dname_t *zone);
/* Deep copy. */
int hs_apex_clone(hs_apex_t **out, const hs_apex_t *a);
void hs_apex_free(hs_apex_t *a);
/* Drop every RRset (the zone name stays). */
void hs_apex_clear(hs_apex_t *a);

/* Zone name (borrowed, lowercase wire form). */
const knot_dname_t *hs_apex_zone(const hs_apex_t *a);

/*
 * Would hsyncd keep this RR? True for class IN records of a kept type (or
 * RRSIG covering one, judged by the first RDATA) owned by the apex.
 */
bool hs_apex_wanted(const hs_apex_t *a, const knot_dname_t *owner, uint16_t type,
                    const uint8_t *rdata, size_t len);

/*
 * Add one RR or every RR of an rrset. Records hsyncd does not keep are
 * ignored (return 0); a record already present is not added twice. The TTL
 * of the RRset (or of its RRSIGs) becomes the TTL given. An RRSIG RDATA that
 * is too short to name what it covers is HS_EMSG (nothing changed).
 */
int hs_apex_add_rr(hs_apex_t *a, const knot_dname_t *owner, uint16_t type, uint16_t rclass,
                   uint32_t ttl, const uint8_t *rdata, size_t len);
int hs_apex_add(hs_apex_t *a, const knot_rrset_t *rrset);
/* Remove one RR or every RR of an rrset; records not present are ignored. */
int hs_apex_remove_rr(hs_apex_t *a, const knot_dname_t *owner, uint16_t type, uint16_t rclass,
                      const uint8_t *rdata, size_t len);
int hs_apex_remove(hs_apex_t *a, const knot_rrset_t *rrset);

/*
 * Borrowed views of a kept RRset and of the RRSIGs covering it: out->owner
 * is the zone name, out->rrs points into the apex. HS_ENOTFOUND (and an
 * empty *out) if there is none; HS_EINVAL for a type that is not kept.
 */
int hs_apex_rrset(const hs_apex_t *a, uint16_t type, knot_rrset_t *out);
int hs_apex_rrsig(const hs_apex_t *a, uint16_t covered, knot_rrset_t *out);
/* Number of RRs of a kept type (0 if none or not kept); of RRSIGs covering it. */
uint16_t hs_apex_count(const hs_apex_t *a, uint16_t type);
uint16_t hs_apex_rrsig_count(const hs_apex_t *a, uint16_t covered);

/* SOA serial; false (and *serial untouched) if there is no SOA. */
bool hs_apex_serial(const hs_apex_t *a, uint32_t *serial);

/* Same zone and same RRsets, TTLs and RRSIGs. NULL equals only NULL. */
bool hs_apex_equal(const hs_apex_t *a, const hs_apex_t *b);
/* Same RRset and TTL in one slot; rrsig selects the RRSIGs covering it. */
bool hs_apex_slot_equal(const hs_apex_t *a, const hs_apex_t *b, int slot, bool rrsig);

/*
 * Is the HSYNC RRset usable as the owner's intent? 0 if valid or absent,
 * else the code of hs_hsync_rrset_check() (HS_EHSYNC_MIXED, HS_EHSYNC_STATE,
 * ...; hs_strerror() explains it).
 */
int hs_apex_hsync_check(const hs_apex_t *a);

/* Heap bytes this state holds (struct, name, RDATA; malloc overhead not counted). */
size_t hs_apex_bytes(const hs_apex_t *a);

/* ---- transfers ------------------------------------------------------------ */

/*
 * Follows one AXFR or IXFR response RR by RR (RFC 5936, RFC 1995):
 *   AXFR form  SOA, records..., SOA           -> a new state from scratch
 *   IXFR form  SOA(new), then per step SOA(old) removals SOA(next) additions,
 *              and SOA(new) last             -> applied to a copy of cur
 *   one SOA    the source is not newer        -> a copy of cur (if that SOA's
 *              serial is newer than cur's, RFC 1982, the response was cut
 *              off: HS_ETRUNC)
 * The first form is recognised by its second RR not being a SOA (or being
 * the same SOA serial), as RFC 1995 says, so an IXFR answered with a full
 * transfer works too.
 */
typedef struct {
	hs_apex_t *next;        /* owned: the state being built */
	const hs_apex_t *cur;   /* borrowed: state before (NULL: none) */
	int state;
	bool axfr;
	uint32_t final_serial;  /* serial of the first SOA */
	uint32_t step_serial;   /* serial the current IXFR step leads to */
	uint8_t *first_soa;     /* owned copy of the first SOA RDATA */
	uint16_t first_soa_len;
	uint32_t first_soa_ttl;
	size_t rrs;             /* RRs fed so far */
} hs_apex_xfr_t;

/*
 * Start following a response for zone. cur is the state the IXFR was asked
 * against (borrowed; must outlive the transfer), NULL when there is none
 * (an AXFR). Free with hs_apex_xfr_finish() or hs_apex_xfr_abort().
 */
int hs_apex_xfr_begin(hs_apex_xfr_t *x, const knot_dname_t *zone, const hs_apex_t *cur);
/*
 * Feed the next RR (or every RR of an rrset, in order). Errors:
 * HS_EMSG (stream malformed: not starting with SOA, IXFR from another
 * serial than cur's, ...), HS_ETRAIL (RR after the closing SOA), HS_ENOMEM.
 * After an error the transfer must be aborted.
 */
int hs_apex_xfr_feed_rr(hs_apex_xfr_t *x, const knot_dname_t *owner, uint16_t type,
                        uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t len);
int hs_apex_xfr_feed(hs_apex_xfr_t *x, const knot_rrset_t *rrset);
/*
 * The response is complete: *out gets the new state (new, caller frees).
 * HS_ETRUNC if the stream stopped early, HS_EMSG if a feed had failed; then
 * nothing is returned. Frees x either way. Compare *out with cur
 * (hs_change_diff(), hsyncd/change.h) to see what the transfer changed.
 */
int hs_apex_xfr_finish(hs_apex_xfr_t *x, hs_apex_t **out);
/* True when the closing SOA has been seen (the response may end). */
bool hs_apex_xfr_done(const hs_apex_xfr_t *x);
void hs_apex_xfr_abort(hs_apex_xfr_t *x);

/*
 * Read a zone file (origin zone, default TTL 3600) as if transferred by AXFR:
 * a convenience for tests and file-fed zones. HS_ESYNTAX on a parse error,
 * HS_EIO if unreadable, HS_EMSG without a SOA.
 */
int hs_apex_load_zonefile(hs_apex_t **out, const char *path, const knot_dname_t *zone);

#endif /* HS_HSYNCD_APEX_H */
