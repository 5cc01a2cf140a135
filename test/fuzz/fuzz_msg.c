/*
 * test/fuzz/fuzz_msg.c -- DNS messages as hsync receives them.
 *
 * The input is one DNS message: knot_pkt_parse() it, then look for the
 * KeyState and Provider-Sync options (hs_edns_get_*), re-encode what was
 * found (it must give the option's bytes back), and run the server-side
 * TSIG check against a small key ring, answering it as a server would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/tsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char keyfile[] =
	"key \"xfr.example.\" { algorithm hmac-sha256;\n"
	"\tsecret \"7CfyqK9CaO3ojoSs28Pi8OULdiQ8zNhEF1St12fduX4=\"; };\n"
	"key \"legacy-md5\" { algorithm hmac-md5; secret \"5fSee9T5LyLZHEkS3mpRpA==\"; };\n";

static hs_tsig_keys_t ring;

/* The option's raw data in the parsed packet, for the re-encode check. */
static const uint8_t *raw_option(const knot_pkt_t *pkt, uint16_t code, size_t *len)
{
	uint8_t *opt = knot_edns_get_option(pkt->opt_rr, code, NULL);
	if (opt == NULL) {
		abort();  /* hs_edns_get_* found it, so must we */
	}
	*len = knot_edns_opt_get_length(opt);
	return knot_edns_opt_get_data(opt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ring.count == 0) {
		int line;
		if (hs_tsig_parse(keyfile, sizeof(keyfile) - 1, &ring, &line) != HS_EOK) {
			abort();
		}
	}
	if (size > KNOT_WIRE_MAX_PKTSIZE) {
		return 0;
	}
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (pkt == NULL) {
		return 0;
	}
	memcpy(pkt->wire, data, size);
	pkt->size = size;
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		knot_pkt_free(pkt);
		return 0;
	}

	uint8_t buf[65536];
	size_t outlen, rawlen;
	hs_keystate_t ks;
	int ret = hs_edns_get_keystate(pkt, &ks);
	if (ret == HS_EOK) {
		const uint8_t *raw = raw_option(pkt, HS_EDNS_KEYSTATE, &rawlen);
		if (hs_keystate_encode(&ks, buf, sizeof(buf), &outlen) != HS_EOK ||
		    outlen != rawlen || memcmp(buf, raw, rawlen) != 0) {
			abort();
		}
	} else if (ret >= 0) {
		abort();
	}
	hs_provsync_t ps;
	ret = hs_edns_get_provsync(pkt, &ps);
	if (ret == HS_EOK) {
		const uint8_t *raw = raw_option(pkt, HS_EDNS_PROVIDER_SYNC, &rawlen);
		if (hs_provsync_encode(&ps, buf, sizeof(buf), &outlen) != HS_EOK ||
		    outlen != rawlen || memcmp(buf, raw, rawlen) != 0) {
			abort();
		}
	} else if (ret >= 0) {
		abort();
	}

	hs_tsig_ctx_t ctx;
	ret = hs_tsig_check_query(pkt, &ring, &ctx);
	if (ret != HS_ETSIG_NONE && knot_pkt_qname(pkt) != NULL) {
		knot_pkt_t *resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		if (resp != NULL && knot_pkt_init_response(resp, pkt) == KNOT_EOK) {
			if (ctx.key != NULL) {
				(void)hs_tsig_reserve(resp, ctx.key);
			}
			(void)hs_tsig_sign_response(resp, &ctx);
		}
		knot_pkt_free(resp);
	}
	knot_pkt_free(pkt);
	return 0;
}
