/*
 * fuzz_parent: arbitrary bytes as a message to the parent's delegation
 * UPDATE receiver (agentd/parent), with a fixed trust store (the ED25519
 * key of child.parent.example. trusted, its P-256 key pending), the
 * parent's key signing responses, and the clock at T0.
 *
 * Invariants checked:
 *   - hs_parent_handle returns 0 or HS_EMSG (or HS_ENOMEM);
 *   - refused: no change listed, no key added, the trust store unchanged,
 *     RCODE not NOERROR, a reason given;
 *   - accepted: every change is NS or DS at the signer's child name or
 *     A/AAAA below it, in the parent zone; RCODE NOERROR; the UPDATE for the
 *     primary builds; a bootstrap lists no change;
 *   - a response always builds, is a response with the request's ID, and
 *     its SIG(0) verifies with the parent's key over the request.
 * Seeds (test/fuzz/corpus/fuzz_parent): UPDATEs signed at T0 (accepted,
 * bootstrap, each refusal), KeyState queries, the nsupdate -k capture.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/deleg.h"
#include "agentd/parent.h"
#include "agentd/trust.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "libhsync/sig0.h"

#define T0 1800000000

static hs_key_t *k_ed, *k_p256, *k_parent;

static hs_key_t *load(const char *stem)
{
	const char *dir = getenv("HSYNC_TESTDATA");
	char path[4096];
	snprintf(path, sizeof(path), "%s/ddns-keys/%s.private", dir != NULL ? dir : "test/data", stem);
	hs_key_t *k = NULL;
	if (hs_key_load(path, &k, NULL, 0) != HS_EOK) {
		fprintf(stderr, "fuzz_parent: cannot load %s (set HSYNC_TESTDATA)\n", path);
		abort();
	}
	return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	k_ed = load("Kchild.parent.example.+015+41513");
	k_p256 = load("Kchild.parent.example.+013+11727");
	k_parent = load("Kparent.example.+015+64135");
	return 0;
}

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s\n", #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_trust_t *t = NULL;
	if (hs_trust_new(0, &t) != HS_EOK) {
		return 0;
	}
	hs_trust_manual(t, k_ed->owner, k_ed->rdata.data, k_ed->rdata.size, T0);
	hs_trust_add_pending(t, k_p256->owner, k_p256->rdata.data, k_p256->rdata.size, T0, NULL);
	hs_parent_conf_t conf = {
		.zone = (const knot_dname_t *)"\x06parent\x07" "example",
		.trust = t, .key = k_parent, .sig0.now = T0,
	};
	hs_parent_result_t r;
	hs_parent_result_init(&r);
	int ret = hs_parent_handle(&conf, data, size, &r);
	CHECK(ret == HS_EOK || ret == HS_EMSG || ret == HS_ENOMEM);
	if (ret == HS_EOK) {
		if (r.verdict == HS_PARENT_REFUSED) {
			CHECK(r.changes.n == 0);
			CHECK(r.keys_added == 0);
			CHECK(hs_trust_count(t) == 2);
			CHECK(r.rcode != KNOT_RCODE_NOERROR);
			CHECK(r.reason[0] != '\0');
		} else if (r.verdict == HS_PARENT_APPLY || r.verdict == HS_PARENT_BOOTSTRAP) {
			CHECK(r.rcode == KNOT_RCODE_NOERROR);
			CHECK(hs_dname_in_zone(r.child, conf.zone) && !hs_dname_equal(r.child, conf.zone));
			CHECK(r.verdict == HS_PARENT_APPLY || r.changes.n == 0);
			for (size_t i = 0; i < r.changes.n; i++) {
				const hs_chg_t *c = &r.changes.v[i];
				if (hs_dname_equal(c->owner, r.child)) {
					CHECK(c->type == KNOT_RRTYPE_NS || c->type == KNOT_RRTYPE_DS);
				} else {
					CHECK(hs_dname_in_zone(c->owner, r.child));
					CHECK(c->type == KNOT_RRTYPE_A || c->type == KNOT_RRTYPE_AAAA);
				}
			}
			CHECK(hs_trust_count(t) == 2 + r.keys_added);
			if (r.changes.n > 0) {
				knot_pkt_t *up = NULL;
				CHECK(hs_deleg_update_new(conf.zone, &r.changes, 0, &up) == HS_EOK);
				knot_pkt_free(up);
			}
		} else {
			CHECK(r.verdict == HS_PARENT_KEYSTATE);
			CHECK(r.rcode == KNOT_RCODE_NOERROR);
		}
		knot_pkt_t *resp = NULL;
		CHECK(hs_parent_response(&conf, data, size, &r, &resp) == HS_EOK);
		CHECK(knot_wire_get_qr(resp->wire));
		CHECK(knot_wire_get_id(resp->wire) == knot_wire_get_id(data));
		CHECK(knot_wire_get_rcode(resp->wire) == r.rcode);
		CHECK(hs_sig0_verify(resp->wire, resp->size, data, size, k_parent, &conf.sig0, NULL) == HS_EOK);
		knot_pkt_free(resp);
	}
	hs_parent_result_clear(&r);
	hs_trust_free(t);
	return 0;
}
