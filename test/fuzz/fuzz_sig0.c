/*
 * fuzz_sig0 -- a DNS message from the network through libknot's parser and
 * SIG(0) verification (libhsync/sig0.c), against fixed committed test keys
 * (test/data/sig0-keys/Ksig0.example.+015+19511 and +013+13510, public
 * RDATA inlined so the target needs no files). The clock is set inside the
 * signature's window so the fuzzer reaches the signature check. Seeds:
 * test/fuzz/corpus/fuzz_sig0/ (UPDATEs signed by nsupdate and hsync-sig0).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/packet/pkt.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "libhsync/sig0.h"

/* KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0= (tag 19511) */
static const uint8_t KEY15[] = {
	0x02, 0x00, 0x03, 0x0f, 0x70, 0x90, 0xd9, 0xbc, 0x6f, 0xe7, 0x64, 0xeb,
	0x8a, 0x4f, 0x70, 0x7a, 0x26, 0xc6, 0x19, 0x40, 0x66, 0x80, 0xb8, 0x4e,
	0xb8, 0xa7, 0x3a, 0xfc, 0x42, 0x7f, 0xd6, 0x87, 0x6a, 0xa0, 0x57, 0x1d,
};
/* KEY 512 3 13 AJU7dnOn... (tag 13510) */
static const uint8_t KEY13[] = {
	0x02, 0x00, 0x03, 0x0d, 0x00, 0x95, 0x3b, 0x76, 0x73, 0xa7, 0x67, 0xae,
	0x93, 0xf4, 0x1f, 0x04, 0xe5, 0xef, 0xd8, 0x73, 0x63, 0xc6, 0x25, 0x56,
	0x5a, 0xdd, 0x67, 0xd7, 0x39, 0x25, 0x98, 0x16, 0x73, 0xf3, 0xf3, 0x83,
	0x6e, 0x39, 0xdb, 0xd3, 0x92, 0xe7, 0xe1, 0x8d, 0xfe, 0xe9, 0x63, 0x24,
	0x7f, 0xa5, 0xa8, 0x92, 0x54, 0x14, 0xb2, 0xd3, 0x49, 0x53, 0x7b, 0xd5,
	0x82, 0xb9, 0x06, 0x34, 0xd5, 0xe8, 0xae, 0xc6,
};

static hs_key_t *keys[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const knot_dname_t *owner = (const knot_dname_t *)"\x04sig0\x07" "example";
	if (hs_key_from_rdata(owner, KEY15, sizeof(KEY15), &keys[0]) != HS_EOK ||
	    hs_key_from_rdata(owner, KEY13, sizeof(KEY13), &keys[1]) != HS_EOK) {
		abort();
	}
	return 0;
}

static const hs_key_t *lookup(const hs_sig0_info_t *info, unsigned idx, void *ctx)
{
	(void)info;
	(void)ctx;
	return idx < 2 ? keys[idx] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535) {
		return 0;
	}
	/* libknot's view of the same bytes (an agent parses before it verifies) */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	if (copy == NULL) {
		return 0;
	}
	memcpy(copy, data, size);
	knot_pkt_t *pkt = knot_pkt_new(copy, size, NULL);
	if (pkt != NULL) {
		(void)knot_pkt_parse(pkt, 0);
		knot_pkt_free(pkt);
	}

	hs_sig0_info_t info;
	hs_sig0_opts_t opts = { .now = 1 };
	if (hs_sig0_parse(copy, size, &info) == HS_EOK) {
		opts.now = (time_t)info.inception + HS_SIG0_WINDOW_DEFAULT;
	}
	(void)hs_sig0_verify(copy, size, NULL, 0, keys[0], &opts, &info);
	(void)hs_sig0_verify_with(copy, size, NULL, 0, lookup, NULL, &opts, &info);
	/* as a response: the first half of the input stands for the request */
	(void)hs_sig0_verify(copy + size / 2, size - size / 2, copy, size / 2, keys[0], &opts, NULL);
	(void)hs_sig0_verify(copy, size, copy, size, keys[1], &opts, NULL);
	free(copy);
	return 0;
}
