/*
 * combinerd/journal.h -- bounded journal of differences of the combined
 * zone (for IXFR out, RFC 1995), the combiner's persistent serial state,
 * kept with common/statefile.h's atomic state files.
 *
 * The journal is a chain of entries (from -> to, removed RRs, added RRs),
 * oldest first; each entry's `to` is the next one's `from`, the last `to` is
 * the journal's serial (the combined zone's serial). It is bounded by a
 * number of entries and a total of RRs: adding past either bound drops the
 * oldest entries; an entry larger than the RR bound alone leaves no history
 * (the journal is then only its serial). A client whose serial is no longer
 * a `from` in the chain gets AXFR.
 *
 * Files of one zone in the state directory (the daemon chooses the names;
 * suggested: "<zone>contrib.json" and "<zone>journal", e.g.
 * "example.contrib.json", "example.journal"):
 *   contributions  JSON, see combinerd/contrib.h
 *   journal        binary, below; it also holds hs_combine_state_t, so the
 *                  serial and its history are always written together.
 * Both are written atomically with hs_state_write(). Write the journal after
 * every combine result other than SAME and before the new serial is served
 * or NOTIFY is sent: the serial then never goes backwards after a crash.
 *
 * Journal file layout (integers big-endian):
 *   "HSYNCJ1\n"                     8 bytes, format and version
 *   u8 valid, 3 zero bytes           hs_combine_state_t.valid
 *   u32 serial, u32 owner_serial     hs_combine_state_t
 *   16 bytes digest                  hs_combine_state_t.digest
 *   u32 journal serial, u32 entries
 *   per entry: u32 from, u32 to, u32 removed RRs, u32 added RRs, then the
 *     removed RRs and the added RRs, each as owner name (uncompressed
 *     wire), u16 type, u16 class, u32 TTL, u16 RDLENGTH, RDATA
 *   32 bytes BLAKE2b-256 (crypto_generichash) of everything before it
 * Anything that does not match (size, magic, checksum, names outside the
 * zone, counts) makes hs_journal_load() fail with a reason.
 *
 * Functions return 0 or a negative code and never print.
 */
#ifndef HS_COMBINERD_JOURNAL_H
#define HS_COMBINERD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "combinerd/combine.h"
#include "common/statefile.h"   /* hs_state_write(), hs_state_read() */
#include "common/zone.h"

/* Defaults for the bounds. */
#define HS_JOURNAL_MAX_ENTRIES 100
#define HS_JOURNAL_MAX_RRS     100000

typedef struct {
	uint32_t from, to;
	hs_diff_t *diff;   /* owned by the journal; old SOA in removed, new in added */
} hs_journal_entry_t;

typedef struct hs_journal hs_journal_t;

/*
 * New empty journal for apex at serial 0, bounded by max_entries (>= 1)
 * and max_rrs (>= 1). *out is new: hs_journal_free().
 */
int hs_journal_new(const knot_dname_t *apex, size_t max_entries, size_t max_rrs,
                   hs_journal_t **out);
void hs_journal_free(hs_journal_t *j);

/*
 * Append the change from -> to. diff is taken on success (freed by the
 * journal, maybe at once if it alone exceeds the RR bound). from must be the
 * journal's serial unless the journal is empty (HS_EINVAL otherwise).
 */
int hs_journal_add(hs_journal_t *j, uint32_t from, uint32_t to, hs_diff_t *diff);

/* Forget all history; the journal is now at serial. */
void hs_journal_reset(hs_journal_t *j, uint32_t serial);

/*
 * Take a combine result: CHANGED appends (taking r->diff, set to NULL),
 * NEW resets at r->to, SAME does nothing (but sets the serial if the journal
 * is empty).
 */
int hs_journal_record(hs_journal_t *j, hs_combine_result_t *r);

/* The current serial, the number of entries, the RRs they hold. */
uint32_t hs_journal_serial(const hs_journal_t *j);
size_t hs_journal_count(const hs_journal_t *j);
size_t hs_journal_rrs(const hs_journal_t *j);

/* Entry i, 0 the oldest (borrowed; NULL past the end). */
const hs_journal_entry_t *hs_journal_entry(const hs_journal_t *j, size_t i);

/*
 * Which entries take a client at serial `from` to the current serial:
 * entries [*first, *first + *count), to be sent in order as IXFR deltas.
 * *count is 0 when the client is up to date (from equals the serial, or is
 * newer in RFC 1982 terms): answer with the current SOA only (RFC 1995 2).
 * HS_ENOTFOUND when the history from `from` is gone: answer with AXFR.
 */
int hs_journal_find(const hs_journal_t *j, uint32_t from, size_t *first, size_t *count);

/* Write journal and state to path atomically (hs_state_write). */
int hs_journal_save(const hs_journal_t *j, const hs_combine_state_t *st, const char *path);

/*
 * Read what hs_journal_save() wrote. A missing file gives an empty journal
 * and st->valid false (first start). Otherwise HS_ESYNTAX (or HS_EIO) with
 * "path: reason" in err, and nothing in *out. Entries beyond the bounds are
 * dropped, oldest first. *out is new.
 */
int hs_journal_load(const knot_dname_t *apex, const char *path, size_t max_entries,
                    size_t max_rrs, hs_journal_t **out, hs_combine_state_t *st,
                    char *err, size_t errlen);

#endif /* HS_COMBINERD_JOURNAL_H */
