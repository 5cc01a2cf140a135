/*
 * combinerd/journal.h -- bounded journal of differences of the combined
 * zone (for IXFR out), the combiner's persistent serial state, and the
 * atomic state-file helpers that contrib.c shares.
 */
#ifndef HS_COMBINERD_JOURNAL_H
#define HS_COMBINERD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

/* ---- state files ------------------------------------------------------------- */

/*
 * Write data to path atomically: path.tmp is written and fsync'd, renamed
 * over path, and the directory fsync'd. HS_EIO on any failure (path is then
 * as it was).
 */
int hs_state_write(const char *path, const void *data, size_t len);

/*
 * Read the whole file at path into *data (new, malloc'd, with a NUL byte
 * after the len bytes). HS_ENOTFOUND if it does not exist, HS_EIO otherwise.
 */
int hs_state_read(const char *path, uint8_t **data, size_t *len);

#endif /* HS_COMBINERD_JOURNAL_H */
