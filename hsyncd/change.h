/*
 * hsyncd/change.h -- what changed at a zone's apex between two versions.
 *
 * hs_change_diff() compares two apex states (hsyncd/apex.h) RRset by RRset:
 * for each kept type, and separately for the RRSIGs covering it, the RRs
 * added and removed (and a TTL change). From that:
 *
 *  (a) hs_change_lines(): one line a person can read per changed RR, for the
 *      log, e.g.
 *        zone.example.: SOA serial 2026010101 -> 2026010102
 *        zone.example.: NS ns3.provider-c.example. added
 *        zone.example.: HSYNC agent.providerc. added: ON OWNER SIGN upstream .
 *        zone.example.: HSYNC agent.providerb. changed: ON OWNER SIGN upstream . -> OFF OWNER SIGN upstream .
 *        zone.example.: HSYNC agent.providerc. removed: ON OWNER SIGN upstream .
 *        zone.example.: DNSKEY 41496 (ZSK, alg 13) added
 *        zone.example.: DNSKEY 41359 (KSK, alg 13) removed
 *        zone.example.: CDS 41359 alg 13 digest 2 added    (CDS delete (0 0 0 00) added)
 *        zone.example.: CDNSKEY 41359 (KSK, alg 13) added  (CDNSKEY delete (0 3 0 AA==) added)
 *        zone.example.: CSYNC 2026010101 3 A NS AAAA added
 *        zone.example.: NS TTL 3600 -> 7200
 *        zone.example.: RRSIG DNSKEY: 1 added (key 41359), 1 removed (key 41359)
 *        zone.example.: HSYNC RRset invalid (NSmgmt differs within the HSYNC RRset): not passed on as the owner's intent
 *        zone.example.: HSYNC RRset valid again
 *      RRSIG changes are summarised, one line per covered type. A zone seen
 *      for the first time says "SOA serial N (first seen)" and lists every
 *      RR as added.
 *  (b) hs_change_json(): one JSON object per changed RRset, one line each:
 *        {"zone":"zone.example.","type":"NS","ttl":3600,
 *         "added":["ns3.provider-c.example."],"removed":[]}
 *      "added"/"removed" hold the RDATA in presentation form (HSYNC in its
 *      own presentation form, "ON OWNER SIGN agent.providerc. ."; RDATA that
 *      does not decode in RFC 3597 form "\# 5 0102030405"). "ttl" is the
 *      TTL after the change (0 if the RRset is gone), "old_ttl" is added
 *      when the TTL changed. RRSIG changes have "type":"RRSIG" and
 *      "covers":"DNSKEY". An invalid HSYNC RRset adds
 *      "valid":false,"reason":"..." to the HSYNC object (or is an object
 *      of its own with empty lists when only validity changed; never the case
 *      today since validity follows data).
 *  (c) hs_change_mask()/hs_change_notify_mask(): the set of changed types
 *      as a bit mask of apex slots (1u << HS_APEX_*), to become one NOTIFY
 *      per type. Coalescing a burst is OR-ing masks: pending |= mask.
 *
 * Invalid HSYNC: when the new HSYNC RRset fails hs_hsync_rrset_check()
 * (mixed NSmgmt, a record that does not decode, an identity twice),
 * c->hsync_error holds the code and hs_change_notify_mask() leaves HSYNC out,
 * so the daemon does not pass it on as the owner's intent.
 *
 * Memory: hs_change_t is caller storage; hs_change_diff() fills it (the
 * RDATA sets inside are owned by it) and hs_change_clear() frees what it
 * holds. Output goes to a callback, with a line (NUL-terminated, no newline)
 * borrowed for the call only.
 */
#ifndef HS_HSYNCD_CHANGE_H
#define HS_HSYNCD_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>

#include "hsyncd/apex.h"

/* One changed RRset (or the RRSIGs covering one). */
typedef struct {
	int slot;                 /* HS_APEX_*: the type (or the type covered) */
	bool rrsig;               /* the RRSIGs covering that type changed */
	knot_rdataset_t added;    /* in new, not in old (owned) */
	knot_rdataset_t removed;  /* in old, not in new (owned) */
	uint32_t old_ttl, new_ttl;  /* 0 where the RRset is absent */
} hs_change_item_t;

typedef struct {
	knot_dname_storage_t zone;  /* lowercase wire form */
	bool first;                 /* no old state: the zone is seen for the first time */
	size_t count;               /* items used */
	hs_change_item_t items[2 * HS_APEX_NSLOTS];  /* data items in slot order, then RRSIG items */
	unsigned mask;              /* slots whose RRset data or TTL changed */
	unsigned sig_mask;          /* slots whose covering RRSIGs changed */
	int hsync_error;            /* 0, or why new's HSYNC RRset is invalid */
	int hsync_old_error;        /* the same for old (0 if no old) */
	bool has_old_serial, has_new_serial;
	uint32_t old_serial, new_serial;
} hs_change_t;

/*
 * Compare old (NULL: the zone is new to us) with new (NULL: the zone is
 * gone; everything is removed). Both NULL or different zones: HS_EINVAL.
 * On error c is left cleared (hs_change_clear() is still fine).
 */
int hs_change_diff(hs_change_t *c, const hs_apex_t *old, const hs_apex_t *new);
/* Free what c holds and make it empty. */
void hs_change_clear(hs_change_t *c);

/* Nothing changed at all (not even an RRSIG). */
bool hs_change_empty(const hs_change_t *c);
/* Item of a slot, or NULL if that RRset (rrsig: its RRSIGs) did not change. */
const hs_change_item_t *hs_change_item(const hs_change_t *c, int slot, bool rrsig);

/* Slots whose RRset data or TTL changed, SOA and HSYNC included. */
unsigned hs_change_mask(const hs_change_t *c);
/*
 * What subscribers are to hear about: hs_change_mask() without SOA (every
 * new version changes it; the NOTIFY is for the apex RRsets that matter)
 * and without HSYNC when the new HSYNC RRset is invalid. RRSIG-only changes
 * are never in it.
 */
unsigned hs_change_notify_mask(const hs_change_t *c);
/* RR types of a slot mask into types[cap], in slot order; returns how many. */
size_t hs_change_mask_types(unsigned mask, uint16_t *types, size_t cap);

typedef void (*hs_change_line_f)(const char *line, void *ctx);

/* Human lines (a): one call of cb per line. 0, or HS_ENOMEM. */
int hs_change_lines(const hs_change_t *c, hs_change_line_f cb, void *ctx);
/* JSON lines (b): one call of cb per changed RRset. 0, or HS_ENOMEM. */
int hs_change_json(const hs_change_t *c, hs_change_line_f cb, void *ctx);

/*
 * Presentation text of one RDATA of type (HSYNC by libhsync, others by
 * libknot; generic form if that fails) into a buffer of *cap bytes at *buf,
 * grown with realloc as needed (caller frees *buf). 0 or HS_ENOMEM.
 */
int hs_change_rdata_text(uint16_t type, const uint8_t *rdata, size_t len,
                         char **buf, size_t *cap);

#endif /* HS_HSYNCD_CHANGE_H */
