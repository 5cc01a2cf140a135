/*
 * libhsync/zonefile.h -- read zone files (BIND/NSD style) through libzscanner.
 *
 * HSYNC and DSYNC may be written in RFC 3597 generic form ("TYPE65282 \# 41
 * ...", what BIND, NSD and Knot accept) or in presentation form ("HSYNC ON
 * OWNER SIGN ..."); the latter is converted with the libhsync/rr.h line
 * converter before libzscanner sees it, keeping line numbers. HSYNC and
 * DSYNC RDATA is checked strictly in either form.
 *
 * Errors: a negative code from libhsync/error.h, and "file:line: reason" (or
 * "file: reason") in the caller's err buffer (may be NULL).
 */
#ifndef HS_ZONEFILE_H
#define HS_ZONEFILE_H

#include <stddef.h>

#include <libknot/libknot.h>

#include "libhsync/rr.h"

/*
 * Called once per RR, in file order. rr is one RR (an RRset with one RDATA),
 * borrowed: valid only during the call. Return 0 to go on, or a negative
 * code to stop reading; that code is returned by the reader. When the
 * reader fails, fn may already have been called for the records before the
 * bad one: callers that must be all-or-nothing collect first, then commit.
 */
typedef int (*hs_zonefile_rr_fn)(const knot_rrset_t *rr, void *ctx);

/*
 * Read the zone file at path; origin (text) is the initial $ORIGIN (the
 * zone name). HS_EIO if the file cannot be read, HS_ESYNTAX (or the code of
 * an HSYNC/DSYNC field) for bad content.
 */
int hs_zonefile_read(const char *path, const char *origin, hs_zonefile_rr_fn fn, void *ctx,
                      char *err, size_t errlen);

/* The same on zone text in memory; name is used in messages. */
int hs_zonefile_read_string(const char *text, size_t len, const char *name, const char *origin,
                        hs_zonefile_rr_fn fn, void *ctx, char *err, size_t errlen);

/*
 * Read the zone file and return its apex (owner == origin) HSYNC RRset,
 * checked with hs_hsync_rrset_check(): *rrset (new, or NULL if the caller
 * does not want it; free with knot_rrset_free(rrset, NULL)) and the decoded
 * records in out[0..max), *count of them. A zone without HSYNC gives count
 * 0 and an empty RRset. HSYNC at other owners is checked but not returned.
 */
int hs_zonefile_apex_hsync(const char *path, const char *origin, knot_rrset_t **rrset,
                       hs_hsync_t *out, size_t max, size_t *count, char *err, size_t errlen);

#endif /* HS_ZONEFILE_H */
