/*
 * common/confkeys.h -- the TSIG key files a configuration names.
 *
 * Daemons that take `tsig-key-file PATH` statements (files as BIND's
 * tsig-keygen writes them; see hsync.conf(5)) load each into a ring of its
 * own, in the order of the statements, so peers can name their keys.
 *
 * Functions return 0 or a negative code and never print.
 */
#ifndef HS_COMMON_CONFKEYS_H
#define HS_COMMON_CONFKEYS_H

#include <stddef.h>

#include "common/conf.h"
#include "libhsync/tsig.h"

/*
 * Load the file of every `tsig-key-file` statement of conf into *rings, a
 * NEW array of *n rings (free each with hs_tsig_keys_free(), then the
 * array; with no statement an empty array of one, *n 0). HS_ENOMEM, or
 * HS_ECONF with "file:line: tsig-key-file: PATH[:LINE]: reason" in err;
 * on failure *rings is NULL and *n 0.
 */
int hs_conf_tsig_files(const hs_conf_t *conf, hs_tsig_keys_t **rings, size_t *n,
                       char *err, size_t errlen);

#endif /* HS_COMMON_CONFKEYS_H */
