/*
 * test/fuzz/fuzz_edns.c -- the KeyState and Provider-Sync option decoders.
 *
 * Input: one selector byte (even: KeyState, odd: Provider-Sync), then the
 * option data. A successful decode must re-encode to exactly the same
 * bytes; a failed one must leave the out structure untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libhsync/edns.h"
#include "libhsync/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	const uint8_t *opt = data + 1;
	size_t len = size - 1;
	uint8_t *out = malloc(len > 0 ? len : 1);
	if (out == NULL) {
		return 0;
	}
	size_t outlen = 0;

	if ((data[0] & 1) == 0) {
		hs_keystate_t ks, before;
		memset(&ks, 0x5a, sizeof(ks));
		before = ks;
		int ret = hs_keystate_decode(opt, len, &ks);
		if (ret == HS_EOK) {
			(void)hs_keystate_state_name(ks.state);
			if (hs_keystate_size(&ks) != len ||
			    hs_keystate_encode(&ks, out, len, &outlen) != HS_EOK ||
			    outlen != len || memcmp(out, opt, len) != 0) {
				abort();
			}
			if (ks.text_len > 0 && (ks.text < opt || ks.text + ks.text_len > opt + len)) {
				abort();  /* text must be borrowed from the input */
			}
		} else if (memcmp(&ks, &before, sizeof(ks)) != 0 || ret >= 0) {
			abort();
		}
	} else {
		hs_provsync_t ps, before;
		memset(&ps, 0x5a, sizeof(ps));
		before = ps;
		int ret = hs_provsync_decode(opt, len, &ps);
		if (ret == HS_EOK) {
			if (hs_provsync_size(&ps) != len ||
			    hs_provsync_encode(&ps, out, len, &outlen) != HS_EOK ||
			    outlen != len || memcmp(out, opt, len) != 0) {
				abort();
			}
			if (ps.body_len > 0 && (ps.body < opt || ps.body + ps.body_len > opt + len)) {
				abort();
			}
		} else if (memcmp(&ps, &before, sizeof(ps)) != 0 || ret >= 0) {
			abort();
		}
	}
	free(out);
	return 0;
}
