/*
 * hsyncd/catalog.h -- the member zones of a catalog zone (RFC 9432).
 *
 * hsyncd learns the zones it follows from its configuration or from catalog
 * zones, which it follows like any other zone (AXFR/IXFR; the daemon keeps
 * the catalog's records, e.g. in a common/zone.h zone, to apply IXFR). This
 * module turns one version of a catalog zone into its member list, and two
 * member lists into what changed. No sockets, no logging: problems are
 * reported as lines through a callback for the daemon to log.
 *
 * What is read (everything else in the catalog is ignored, as RFC 9432 3
 * and 4.3 ask of consumers: group, coo, ext and unknown properties, the NS,
 * records of other types at the names below):
 *   - the SOA at the apex (a zone without one, or with a malformed one, is
 *     refused);
 *   - version.$CATZ TXT: exactly one RR holding exactly one string "2"
 *     (RFC 9432 4.2.1); otherwise the catalog is broken: HS_ECAT_VERSION;
 *   - <unique-id>.zones.$CATZ PTR <member zone>, i.e. PTR records exactly one
 *     label below zones.$CATZ (RFC 9432 4.1); PTR records deeper down are
 *     properties (coo.<unique-id>...) and ignored.
 *
 * Broken catalogs. RFC 9432 4.1 says that a member node with more than one
 * PTR, or two member nodes with the same member zone, make the WHOLE catalog
 * broken, and 5.1 that a broken catalog is not processed at all: members it
 * configured before are kept, not removed or changed. That is the default
 * here: every problem is reported (one line each), then HS_ECAT_BROKEN and
 * no list, so the caller keeps its previous list in force. A record of a
 * class other than IN, or outside the catalog, is broken the same way.
 * With HS_CATALOG_PER_MEMBER the damage is kept to the members concerned
 * instead (a choice some operators prefer over freezing the whole catalog):
 *   - a member node with more than one PTR, or a PTR whose RDATA is not a
 *     domain name: that member node is ignored, with a line;
 *   - one member zone under several unique-ids: the unique-id first in
 *     canonical order (RFC 4034 6.1) is kept, the others ignored, with a line.
 * The version rules hold in both modes (a wrong version is never per member).
 * In both modes a PTR naming the catalog zone itself is ignored with a line
 * (RFC 9432 5.2: a member clashing with an existing zone is ignored); clashes
 * with zones from the configuration or other catalogs are for the caller to
 * check (hs_catalog_find()), as only it knows them.
 *
 * Order. Members are sorted by zone name in canonical order, so the same
 * catalog always gives the same list and diff. Zone names and unique-ids are
 * kept in lower case.
 *
 * Ownership: hs_catalog_t (a member list) is new from hs_catalog_from_zone()
 * or hs_catalog_reader_finish(), freed with hs_catalog_free(). Members and
 * the names in them are borrowed from their list. hs_catalog_diff_t is
 * caller storage holding arrays of pointers into the two lists it compares:
 * those lists must outlive its use. Lines passed to callbacks are borrowed
 * for the call only (NUL-terminated, no newline).
 *
 * Errors: 0 or a negative code of libhsync/error.h.
 */
#ifndef HS_HSYNCD_CATALOG_H
#define HS_HSYNCD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>

#include "common/zone.h"

/* Flags of hs_catalog_from_zone() and hs_catalog_reader_finish(). */
#define HS_CATALOG_PER_MEMBER 0x1  /* ignore broken members instead of refusing the catalog */

/* What a problem line is about (the kind argument of hs_catalog_issue_f). */
enum hs_catalog_issue {
	HS_CATALOG_NOSOA = 1,     /* no (well-formed, single) SOA at the apex: refused */
	HS_CATALOG_VERSION,       /* version TXT missing, not "2", or not exactly one RR: refused */
	HS_CATALOG_FOREIGN,       /* an RR of another class or outside the catalog */
	HS_CATALOG_MULTI_PTR,     /* a member node with more than one PTR */
	HS_CATALOG_BAD_PTR,       /* a member PTR whose RDATA is not a domain name */
	HS_CATALOG_DUPLICATE,     /* one member zone under two or more unique-ids */
	HS_CATALOG_SELF,          /* a member PTR naming the catalog zone itself: ignored */
};

/*
 * Called once per problem: kind, and a line a person can read that names
 * the catalog, the record and what is done about it, e.g.
 *   cat.example.: broken catalog (RFC 9432), not processed: version.cat.example. TXT is "1", not "2"
 *   cat.example.: member node m3.zones.cat.example. has 2 PTR records: ignored
 *   cat.example.: member zone b.example. under unique-ids m2 and m4: kept m2, ignored m4
 */
typedef void (*hs_catalog_issue_f)(int kind, const char *line, void *ctx);

/* One member: a zone and the unique-id label that lists it. */
typedef struct {
	const knot_dname_t *zone;  /* member zone, lowercase wire form */
	const knot_dname_t *id;    /* the unique-id as a one-label name ("\x02m1\x00"), lowercase */
} hs_catalog_member_t;

typedef struct hs_catalog hs_catalog_t;

/* ---- member lists ----------------------------------------------------------- */

/*
 * The member list of one version of a catalog zone. zone's origin is the
 * catalog's name; the zone is only read (but sorted, hence not const). cb
 * (may be NULL) hears every problem. On success *out is new. Errors, with
 * nothing returned (keep the previous list in force):
 *   HS_ECAT_VERSION  version.$CATZ TXT missing or wrong
 *   HS_ECAT_BROKEN   no SOA, or (without HS_CATALOG_PER_MEMBER) a broken
 *                    member node, a duplicate member zone or a foreign RR
 *   HS_EINVAL, HS_ENOMEM
 */
int hs_catalog_from_zone(hs_catalog_t **out, hs_zone_t *zone, unsigned flags,
                         hs_catalog_issue_f cb, void *ctx);

/* An empty member list for catalog (e.g. before the first transfer). */
int hs_catalog_new_empty(hs_catalog_t **out, const knot_dname_t *catalog);
void hs_catalog_free(hs_catalog_t *c);

/* The catalog's name (borrowed, lowercase wire form). */
const knot_dname_t *hs_catalog_zone(const hs_catalog_t *c);
/* Number of members, and member i (NULL past the end), in canonical order of zone. */
size_t hs_catalog_count(const hs_catalog_t *c);
const hs_catalog_member_t *hs_catalog_at(const hs_catalog_t *c, size_t i);
/* The member for zone (any case), or NULL. O(log n). */
const hs_catalog_member_t *hs_catalog_find(const hs_catalog_t *c, const knot_dname_t *zone);
/* The SOA serial of the catalog version the list was made from (0 for an empty list). */
uint32_t hs_catalog_serial(const hs_catalog_t *c);

/* ---- reading a catalog RR by RR (as from an AXFR) ----------------------- */

/*
 * Collects the RRs of one full version of a catalog zone as they arrive
 * (every RR of an AXFR, the closing SOA included, or of any other listing
 * of the whole zone), keeping only those this module reads; order does not
 * matter and repeated RRs count once. Then hs_catalog_reader_finish().
 */
typedef struct hs_catalog_reader hs_catalog_reader_t;

int hs_catalog_reader_new(hs_catalog_reader_t **out, const knot_dname_t *catalog);
/* One RR; HS_ENOMEM, or HS_EINVAL for RDATA longer than 65535. */
int hs_catalog_reader_add_rr(hs_catalog_reader_t *r, const knot_dname_t *owner, uint16_t type,
                             uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t len);
/* Every RR of rrset. */
int hs_catalog_reader_add(hs_catalog_reader_t *r, const knot_rrset_t *rrset);
/* As hs_catalog_from_zone() on what was added. Frees r either way. */
int hs_catalog_reader_finish(hs_catalog_reader_t *r, hs_catalog_t **out, unsigned flags,
                             hs_catalog_issue_f cb, void *ctx);
void hs_catalog_reader_free(hs_catalog_reader_t *r);

/* ---- what changed between two lists ------------------------------------------ */

typedef struct {
	const hs_catalog_member_t **added;    /* in new, not in old: start following */
	size_t added_count;
	const hs_catalog_member_t **removed;  /* in old, not in new: stop following */
	size_t removed_count;
	/* In both, under another unique-id: RFC 9432 5.6 says the zone's state
	 * is to be reset (hsyncd: forget the zone's apex, transfer it anew).
	 * Pointers into new; the old member is hs_catalog_find(old, zone). */
	const hs_catalog_member_t **reset;
	size_t reset_count;
} hs_catalog_diff_t;

/*
 * What turns old into new, each array in canonical order of zone. old NULL:
 * every member of new is added. Members of removed point into old, the
 * others into new. HS_EINVAL if the lists are for different catalogs (or new
 * is NULL); on error d is left empty. Free with hs_catalog_diff_clear().
 */
int hs_catalog_diff(hs_catalog_diff_t *d, const hs_catalog_t *old, const hs_catalog_t *new);
void hs_catalog_diff_clear(hs_catalog_diff_t *d);
/* Nothing added, removed or reset. */
bool hs_catalog_diff_empty(const hs_catalog_diff_t *d);

typedef void (*hs_catalog_line_f)(const char *line, void *ctx);

/*
 * One line per member in d, for the log, added first, then removed, then
 * reset; catalog is the catalog's name:
 *   cat.example.: member a.example. added (unique-id m1)
 *   cat.example.: member b.example. removed (unique-id m2)
 *   cat.example.: member c.example. unique-id m3 -> m9: state reset
 * (the reset line needs old to name the old unique-id; with old NULL it
 * says "unique-id changed to m9"). 0 or HS_EINVAL.
 */
int hs_catalog_diff_lines(const hs_catalog_diff_t *d, const knot_dname_t *catalog,
                          const hs_catalog_t *old, hs_catalog_line_f cb, void *ctx);

#endif /* HS_HSYNCD_CATALOG_H */
