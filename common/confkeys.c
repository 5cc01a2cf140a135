/*
 * common/confkeys.c -- the TSIG key files a configuration names (see confkeys.h).
 */
#include <stdlib.h>

#include "common/confkeys.h"
#include "libhsync/error.h"

int hs_conf_tsig_files(const hs_conf_t *conf, hs_tsig_keys_t **rings, size_t *n,
                       char *err, size_t errlen)
{
	if (rings != NULL) {
		*rings = NULL;
	}
	if (n != NULL) {
		*n = 0;
	}
	if (conf == NULL || rings == NULL || n == NULL) {
		return HS_EINVAL;
	}
	const hs_conf_stmt_t *s;
	size_t count = 0;
	for (s = hs_conf_first(conf, "tsig-key-file"); s; s = hs_conf_next(s, "tsig-key-file")) {
		count++;
	}
	hs_tsig_keys_t *r = calloc(count ? count : 1, sizeof(*r));
	if (r == NULL) {
		return HS_ENOMEM;
	}
	size_t done = 0;
	int ret = HS_EOK;
	for (s = hs_conf_first(conf, "tsig-key-file"); s; s = hs_conf_next(s, "tsig-key-file")) {
		const char *path = hs_conf_str(s, 0);
		int line = 0;
		ret = hs_tsig_load(path, &r[done], &line);
		if (ret != HS_EOK) {
			if (line > 0) {
				ret = hs_conf_error(s, err, errlen, "tsig-key-file: %s:%d: %s", path, line,
				                    hs_strerror(ret));
			} else {
				ret = hs_conf_error(s, err, errlen, "tsig-key-file: %s: %s", path,
				                    hs_strerror(ret));
			}
			break;
		}
		done++;
	}
	if (ret != HS_EOK) {
		for (size_t i = 0; i < done; i++) {
			hs_tsig_keys_free(&r[i]);
		}
		free(r);
		return ret;
	}
	*rings = r;
	*n = done;
	return HS_EOK;
}
