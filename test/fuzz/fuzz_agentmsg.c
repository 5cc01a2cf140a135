/*
 * fuzz_agentmsg -- agent messages from the network (libhsync/msg.c):
 * parse and classify, the whole receive pipeline against a fixed key
 * (test/data/sig0-keys/Ksig0.example.+015+19511, public RDATA inlined) with
 * the clock inside the message's SIG(0) window, answering it, and
 * verifying the bytes as a response to themselves split in two.
 *
 * Invariants checked (abort on violation):
 *   - a refused message is not classified and leaves the replay cache empty;
 *   - an accepted one is classified, has the fixed key, and a second copy
 *     is refused as a replay;
 *   - a parsed SYNC rebuilds (unsigned) into a message that parses to the
 *     same contribution.
 * Seeds: test/fuzz/corpus/fuzz_agentmsg/ (the test/data/msg-*.bin vectors
 * and variants).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "libhsync/msg.h"
#include "libhsync/replay.h"
#include "libhsync/sig0.h"

/* KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0= (tag 19511) */
static const uint8_t KEY15[] = {
	0x02, 0x00, 0x03, 0x0f, 0x70, 0x90, 0xd9, 0xbc, 0x6f, 0xe7, 0x64, 0xeb,
	0x8a, 0x4f, 0x70, 0x7a, 0x26, 0xc6, 0x19, 0x40, 0x66, 0x80, 0xb8, 0x4e,
	0xb8, 0xa7, 0x3a, 0xfc, 0x42, 0x7f, 0xd6, 0x87, 0x6a, 0xa0, 0x57, 0x1d,
};

static hs_key_t *key;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const knot_dname_t *owner = (const knot_dname_t *)"\x04sig0\x07" "example";
	if (hs_key_from_rdata(owner, KEY15, sizeof(KEY15), &key) != HS_EOK) {
		abort();
	}
	return 0;
}

static const hs_key_t *lookup(const hs_msg_head_t *head, unsigned idx, void *ctx)
{
	(void)ctx;
	if (idx > 0 || !knot_dname_is_case_equal(head->signer, key->owner)) {
		return NULL;
	}
	return key;
}

static void check_sync_roundtrip(const hs_msg_t *m)
{
	static uint8_t buf[HS_MSG_MAX];
	size_t n = 0;
	hs_msg_opts_t o = { .id = 1 };
	int ret = hs_msg_build(HS_MSG_SYNC, m->head.zone, &m->content, &o, buf, sizeof(buf), &n);
	if (ret == HS_ESPACE) {
		return;
	}
	if (ret != HS_EOK) {
		abort();
	}
	hs_msg_t again;
	if (hs_msg_parse(buf, n, &again, NULL) != HS_EOK || again.head.kind != HS_MSG_SYNC ||
	    !knot_dname_is_equal(again.head.zone, m->head.zone)) {
		abort();
	}
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		const knot_rrset_t *a = m->content.rr[i], *b = again.content.rr[i];
		if ((a == NULL) != (b == NULL) || (a != NULL && !knot_rrset_equal(a, b, true))) {
			abort();
		}
	}
	hs_msg_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > HS_MSG_MAX) {
		return 0;
	}
	/* parse and classify only */
	hs_msg_t m;
	hs_msg_head_t seen;
	int ret = hs_msg_parse(data, size, &m, &seen);
	if (ret == HS_EOK) {
		if (m.head.kind == HS_MSG_NONE) {
			abort();
		}
		if (m.head.kind == HS_MSG_SYNC) {
			check_sync_roundtrip(&m);
		}
		hs_msg_clear(&m);
	} else if (m.head.kind != HS_MSG_NONE || m.content.rr[0] != NULL) {
		abort();
	}
	(void)hs_msg_rcode(ret);

	/* the pipeline, with the clock inside the signature's window */
	hs_replay_t *rc = NULL;
	if (hs_replay_new(4, &rc) != HS_EOK) {
		abort();
	}
	hs_msg_verify_opts_t vo = { .lookup = lookup, .replay = rc, .sig0 = { .now = 1 } };
	hs_sig0_info_t info;
	if (hs_sig0_parse(data, size, &info) == HS_EOK) {
		vo.sig0.now = (time_t)info.inception + HS_SIG0_WINDOW_DEFAULT;
		if (vo.sig0.now == 0) {
			vo.sig0.now = 1;
		}
	}
	ret = hs_msg_receive(data, size, &vo, &m, &seen);
	if (ret == HS_EOK) {
		if (m.head.kind == HS_MSG_NONE || m.key != key || hs_replay_count(rc) != 1) {
			abort();
		}
		hs_msg_clear(&m);
		if (hs_msg_receive(data, size, &vo, &m, NULL) != HS_EREPLAY) {
			abort();
		}
	} else if (m.head.kind != HS_MSG_NONE || m.key != NULL || hs_replay_count(rc) != 0) {
		abort();
	}
	hs_replay_free(rc);

	/* answer it (unsigned), and read the input as a response to its first half */
	static uint8_t out[HS_MSG_MAX];
	size_t n = 0;
	(void)hs_msg_respond(data, size, (uint8_t)(ret == HS_EOK ? 0 : hs_msg_rcode(ret)), NULL,
	                     out, sizeof(out), &n);
	hs_msg_resp_t r;
	hs_sig0_opts_t so = { .now = vo.sig0.now };
	(void)hs_msg_verify_response(data + size / 2, size - size / 2, data, size / 2, key, &so, &r);
	(void)hs_msg_verify_response(data, size, data, size, key, &so, &r);
	return 0;
}
