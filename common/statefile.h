/*
 * common/statefile.h -- machine-written state files, written atomically.
 *
 * Every daemon keeps some state on disk (combiner contributions and
 * journal, agent peers, SYNC state, trust store, delegation data, hsyncd's
 * per-zone apex files). A state file is replaced, never edited in place:
 * the new contents go to a temporary file next to it, which is fsync'd,
 * renamed over the old file, and the directory is fsync'd. After a crash
 * the file is either the old or the new one, never a mix.
 *
 * The temporary file is "PATH.tmp", or ".NAME.tmp" in the same directory
 * with HS_STATE_DOTTMP (so a directory scan that skips dot files never sees
 * it). On any failure the temporary file is removed and PATH is as it was.
 *
 * Functions return 0 or a negative code and never print. Where a why buffer
 * is given, a failure puts "STEP FILE: strerror" there (steps: open, write,
 * fsync, close, rename; "fsync directory of PATH: ..." for the directory).
 */
#ifndef HS_COMMON_STATEFILE_H
#define HS_COMMON_STATEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>       /* AT_FDCWD */
#include <sys/types.h>

#include <jansson.h>

/* Flags of hs_state_opts_t. */
#define HS_STATE_NOSYNC 0x1u  /* no fsync of file or directory: the caller makes
                                 them durable later (e.g. syncfs) */
#define HS_STATE_DOTTMP 0x2u  /* temporary file ".NAME.tmp" instead of "PATH.tmp" */

typedef struct {
	mode_t mode;     /* of the new file (before umask); 0 means 0600 */
	unsigned flags;  /* HS_STATE_* */
	char *why;       /* NULL or where a failure is explained */
	size_t whylen;
} hs_state_opts_t;

/*
 * Write len bytes of data to path atomically, mode 0600. HS_EIO on any
 * failure (path is then as it was), HS_EINVAL for a NULL path.
 */
int hs_state_write(const char *path, const void *data, size_t len);

/*
 * The same with options (o may be NULL: the defaults above). path is taken
 * relative to dirfd (AT_FDCWD for the working directory), like openat(2);
 * the directory fsync'd is dirname(path) relative to dirfd.
 */
int hs_state_writeat(int dirfd, const char *path, const void *data, size_t len,
                     const hs_state_opts_t *o);

/*
 * Serialise j with json_dumps(j, jflags), add a newline and write it with
 * hs_state_writeat(AT_FDCWD, path, ...). j is borrowed. HS_ENOMEM if it
 * cannot be serialised.
 */
int hs_state_write_json(const char *path, const json_t *j, size_t jflags,
                        const hs_state_opts_t *o);

/*
 * Read the whole file at path into *data (new, malloc'd, with a NUL byte
 * after the len bytes). HS_ENOTFOUND if it does not exist, HS_EIO otherwise
 * (also for something that is not a regular file).
 */
int hs_state_read(const char *path, uint8_t **data, size_t *len);

#endif /* HS_COMMON_STATEFILE_H */
