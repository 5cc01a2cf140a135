/*
 * test/fuzz/fuzz_store.c -- libFuzzer target for hsyncd/store.c's decoder.
 *
 * A state file is read back after a restart and never trusted: the input
 * goes to hs_store_decode() for the fixed zone "zone.example." (and for any
 * zone). What must hold:
 *   - an error returns nothing, and says why in one NUL-terminated line
 *     (also with a tiny reason buffer);
 *   - the zone-less decode agrees with the fixed-zone one, except where
 *     the latter says "another zone" (HS_ENAME): the zone is checked first;
 *   - an accepted state is for zone.example., has a SOA, and re-encodes to
 *     text that decodes to an equal state and encodes to the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "hsyncd/apex.h"
#include "hsyncd/store.h"
#include "libhsync/error.h"

static void check(int cond)
{
	if (!cond) {
		abort();
	}
}

static const knot_dname_t ZONE[] = "\x04zone\x07" "example";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char why[256], tiny[8];
	hs_apex_t *a = NULL, *any = NULL, *c = NULL;

	int ret = hs_store_decode(text, size, ZONE, &a, why, sizeof(why));
	int ret_any = hs_store_decode(text, size, NULL, &any, tiny, sizeof(tiny));
	check(memchr(tiny, 0, sizeof(tiny)) != NULL);

	if (ret != HS_EOK) {
		check(a == NULL);
		check(memchr(why, 0, sizeof(why)) != NULL && why[0] != 0);
		check(ret < 0 && hs_strerror(ret) != NULL);
		if (ret == HS_ENAME) {
			/* the zone is checked before the records: any zone may still fail later */
			check((ret_any == HS_EOK) == (any != NULL));
			check(any == NULL || !knot_dname_is_case_equal(hs_apex_zone(any), ZONE));
		} else {
			check(ret_any == ret && any == NULL);
		}
		hs_apex_free(any);
		return 0;
	}
	check(a != NULL && ret_any == HS_EOK && any != NULL);
	check(hs_apex_equal(a, any));
	check(knot_dname_is_equal(hs_apex_zone(a), ZONE));
	uint32_t serial = 0;
	check(hs_apex_serial(a, &serial));

	char *enc = NULL, *enc2 = NULL;
	size_t len = 0, len2 = 0;
	check(hs_store_encode(a, &enc, &len) == HS_EOK);
	check(len == strlen(enc) && len > 0 && enc[len - 1] == '\n');
	check(hs_store_decode(enc, len, ZONE, &c, why, sizeof(why)) == HS_EOK);
	check(hs_apex_equal(a, c));
	check(hs_store_encode(c, &enc2, &len2) == HS_EOK);
	check(len == len2 && memcmp(enc, enc2, len) == 0);

	free(enc);
	free(enc2);
	hs_apex_free(a);
	hs_apex_free(any);
	hs_apex_free(c);
	return 0;
}
