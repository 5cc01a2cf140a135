/*
 * test/fuzz/fuzz_discover.c -- resolver answers fed to agentd discovery.
 *
 * Input: one selector byte (mod 3: the step waiting for an answer, URI at
 * _dns._tcp.agent.b.example., SVCB or KEY at host.b.example.), then the
 * answer's wire bytes. The query ID is taken from the answer so that the
 * fuzzer gets past the ID check deterministically. Invariants: the result
 * is one of the documented codes; a mismatch leaves the step unchanged;
 * DONE gives a result with 1..HS_DISC_MAX_KEYS keys and a port; FAILED
 * gives a reason. The URI target parser also gets the raw bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/discover.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t IDENTITY[] = "\x05" "agent\x01" "b\x07" "example";
static const uint8_t HOST[] = "\x04host\x01" "b\x07" "example";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	knot_dname_storage_t h;
	uint16_t port = 0;
	int pr = hs_disc_parse_uri_target(data + 1, size - 1, h, &port);
	if (pr == HS_EOK && (port == 0 || knot_dname_size(h) < 2)) {
		abort();
	}

	hs_disc_t d;
	if (hs_disc_init(&d, IDENTITY, "127.0.0.1#5353") != HS_EOK) {
		abort();
	}
	int step = data[0] % 3;
	if (step > 0) {
		memcpy(d.res.host, HOST, sizeof(HOST));
		memcpy(d.svcb_name, HOST, sizeof(HOST));
		d.uri_port = 5300;
		d.res.port = 5300;   /* what the URI step would have set */
		d.state = step == 1 ? HS_DISC_SVCB : HS_DISC_KEY;
		memcpy(d.qname, HOST, sizeof(HOST));
		d.qtype = step == 1 ? KNOT_RRTYPE_SVCB : HS_RRTYPE_KEY;
	}
	d.sent = true;
	d.qid = size >= 3 ? knot_wire_get_id(data + 1) : 0;
	hs_disc_state_t before = d.state;

	int ret = hs_disc_feed(&d, data + 1, size - 1);
	switch (ret) {
	case HS_EOK:
		if (d.state == HS_DISC_DONE) {
			const hs_disc_result_t *r = hs_disc_result(&d);
			if (r == NULL || r->nkeys == 0 || r->nkeys > HS_DISC_MAX_KEYS ||
			    r->port == 0 || r->naddrs > HS_DISC_MAX_ADDRS) {
				abort();
			}
		} else if (d.state > HS_DISC_KEY) {
			abort();
		}
		break;
	case HS_EDISC_MISMATCH:
		if (d.state != before || d.reason[0] == '\0') {
			abort();
		}
		break;
	case HS_ETRUNC: case HS_EDISC_RCODE: case HS_EDISC_NOAD: case HS_EDISC_NXDOMAIN:
	case HS_EDISC_NODATA: case HS_EDISC_DATA: case HS_EKEYALG:
		if (d.state != HS_DISC_FAILED || d.reason[0] == '\0' || hs_disc_result(&d) != NULL) {
			abort();
		}
		break;
	case HS_ENOMEM:
		break;
	default:
		abort();
	}
	hs_disc_clear(&d);
	return 0;
}
