/*
 * hsyncd/store.h -- the last seen apex state of each zone, on disk.
 *
 * So that a change made while hsyncd was down is still noticed after a
 * restart: after each new version hsyncd saves the zone's apex state; at
 * start it loads it and compares the first transfer against it.
 *
 * Layout: one directory, one file per zone, named after the zone in lower
 * case without the final dot, plus ".apex": "zone.example.apex". Bytes other
 * than a-z, 0-9, '-' and '_' in a label are written %XX (upper-case hex);
 * the root zone is "@.apex". A name whose file name would be longer than
 * 250 bytes is HS_ENAME. Files starting with '.' are temporary.
 *
 * File format (JSON, one object, written by jansson, UTF-8):
 *
 *   {"format": "hsyncd-apex", "version": 1, "zone": "zone.example.",
 *    "rrsets": [
 *      {"type": "SOA", "ttl": 3600, "rdata": ["036e7331...", ...]},
 *      {"type": "RRSIG", "covers": "SOA", "ttl": 3600, "rdata": ["0006..."]},
 *      ...]}
 *
 *   type    one of SOA NS DNSKEY CDS CDNSKEY CSYNC HSYNC RRSIG
 *   covers  for RRSIG only: the type the signatures cover (one of the seven)
 *   ttl     0 to 4294967295
 *   rdata   RDATA in wire form, lower-case hex, one string per RR (may be
 *           empty for an empty RDATA); an RRSIG's type covered must match
 *           "covers"
 * Every state has a SOA. Unknown keys are ignored (for later versions of
 * the same "version"); anything else wrong is an error.
 *
 * Writing is atomic: a temporary file in the same directory, fsync, rename
 * over the old file, fsync of the directory. HS_STORE_NOSYNC leaves out
 * both fsyncs (for a burst of many zones at start-up); hs_store_sync() then
 * makes all of them durable at once.
 *
 * Loading never trusts the file: a missing file is HS_ENOTFOUND; an empty or
 * cut-off file HS_ETRUNC; bad JSON or a bad field HS_ESYNTAX; a file for
 * another zone HS_ENAME; all with a one-line reason naming the file.
 * The caller then treats the zone as unseen. Nothing is returned on error.
 *
 * Ownership: hs_store_t from hs_store_open() is freed by hs_store_close();
 * loaded/decoded states are new (hs_apex_free); encoded text is malloc'ed
 * (free). Errors: 0 or a negative code from libhsync/error.h (-errno for
 * system calls that failed in an unusual way, hs_strerror() explains).
 */
#ifndef HS_HSYNCD_STORE_H
#define HS_HSYNCD_STORE_H

#include <stddef.h>
#include <libknot/libknot.h>

#include "hsyncd/apex.h"

#define HS_STORE_FORMAT  "hsyncd-apex"
#define HS_STORE_VERSION 1
#define HS_STORE_SUFFIX  ".apex"

/* Flags of hs_store_save(). */
#define HS_STORE_NOSYNC 0x1

typedef struct hs_store hs_store_t;

/* Open (and create, mode 0750, if missing) the state directory. HS_EIO if it is unusable. */
int hs_store_open(hs_store_t **out, const char *dir);
void hs_store_close(hs_store_t *s);
/* The directory (borrowed). */
const char *hs_store_dir(const hs_store_t *s);

/* Save a's state as its zone's file, atomically. HS_EINVAL if a has no SOA. */
int hs_store_save(hs_store_t *s, const hs_apex_t *a, unsigned flags);
/* Make every save so far durable (syncfs of the directory's file system + fsync of it). */
int hs_store_sync(hs_store_t *s);
/*
 * Load zone's state into *out. On error, reason (if not NULL) gets one
 * line: "DIR/FILE: what is wrong" (truncated to cap).
 */
int hs_store_load(hs_store_t *s, const knot_dname_t *zone, hs_apex_t **out,
                  char *reason, size_t cap);
/* Remove zone's file (a zone no longer followed). HS_ENOTFOUND if there was none. */
int hs_store_remove(hs_store_t *s, const knot_dname_t *zone);
/*
 * Call cb for the zone of every state file in the directory (a wire-form
 * name, borrowed for the call), in directory order; files whose names do
 * not map back to a zone are skipped. Stops at and returns the first
 * non-zero value cb returns.
 */
int hs_store_list(hs_store_t *s, int (*cb)(const knot_dname_t *zone, void *ctx), void *ctx);

/* File name (no directory) for zone into out[cap]. HS_ENAME, HS_ESPACE. */
int hs_store_filename(const knot_dname_t *zone, char *out, size_t cap);
/* Zone of a file name (wire form into out, KNOT_DNAME_MAXLEN bytes). HS_ENAME if not one of ours. */
int hs_store_filename_zone(const char *name, knot_dname_t *out);

/* The JSON text of a state (malloc'ed, NUL-terminated, ends with a newline). */
int hs_store_encode(const hs_apex_t *a, char **out, size_t *len);
/*
 * Parse JSON text (len bytes) into a new state. zone: the zone it must be
 * for (NULL: any). reason as for hs_store_load(), without the file name.
 */
int hs_store_decode(const char *text, size_t len, const knot_dname_t *zone,
                    hs_apex_t **out, char *reason, size_t cap);

#endif /* HS_HSYNCD_STORE_H */
