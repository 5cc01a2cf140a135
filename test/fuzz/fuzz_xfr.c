/*
 * fuzz_xfr -- arbitrary bytes as the response messages of a zone transfer,
 * fed to the consumer of common/xfrin.c (hs_xfr_in_feed).
 *
 * Input: one mode byte, then messages each framed as on TCP (2-byte length,
 * RFC 1035 4.2.2). Mode bit 0: IXFR (else AXFR); bit 1: the client holds a
 * current zone (example.com., serial 10, below); bit 2: TSIG expected (key
 * below; the fuzzer will rarely sign right, but reaches the check); bit 3:
 * the first message also goes to hs_xfr_check_answer() (as the answer to a
 * SOA query) and hs_xfr_notify_parse(). The queries' ID is fixed at 0x1234
 * so the fuzzer can answer them.
 *
 * Checks: the current zone never changes; a completed transfer gives a
 * zone whose SOA serial is the one reported, which survives an AXFR of its
 * own (hs_xfr_out -> hs_xfr_in) unchanged (but for the case of names in
 * RDATA, see round_trip()). Seeds: test/fuzz/corpus/fuzz_xfr/
 * (AXFR, IXFR with two differences, IXFR in AXFR form, up to date, all
 * made by hs_xfr_out from the zones below).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "common/xfr.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "libhsync/tsig.h"
#include "libhsync/zonefile.h"

static const char ZONE[] =
	"$TTL 300\n@ SOA ns1 hostmaster 10 3600 600 86400 300\n@ NS ns1\n"
	"ns1 A 192.0.2.1\nwww A 192.0.2.10\nold TXT \"going\"\n";
static const char KEY[] =
	"key \"xfr-key\" { algorithm hmac-sha256; secret \"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=\"; };\n";

static hs_zone_t *cur;
static hs_zone_t *cur_copy;
static hs_tsig_keys_t keys;
static knot_pkt_t *queries[8];
static knot_pkt_t *soa_query;
static hs_tsig_ctx_t ctxs[8];

static int add_cb(const knot_rrset_t *rr, void *ctx)
{
	return hs_zone_add(ctx, rr, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	knot_dname_t origin[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(origin, "example.com.", sizeof(origin));
	int line;
	if (hs_zone_new(origin, KNOT_CLASS_IN, &cur) != HS_EOK ||
	    hs_zonefile_read_string(ZONE, strlen(ZONE), "fuzz", "example.com.", add_cb, cur,
	                            NULL, 0) != HS_EOK ||
	    hs_zone_copy(cur, &cur_copy) != HS_EOK ||
	    hs_tsig_parse(KEY, strlen(KEY), &keys, &line) != HS_EOK) {
		abort();
	}
	knot_rrset_t soa;
	if (hs_zone_find(cur, origin, KNOT_RRTYPE_SOA, &soa) != HS_EOK) {
		abort();
	}
	for (int mode = 0; mode < 8; mode++) {
		queries[mode] = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		uint16_t qtype = (mode & 1) ? KNOT_RRTYPE_IXFR : KNOT_RRTYPE_AXFR;
		if (queries[mode] == NULL ||
		    hs_xfr_query(queries[mode], origin, qtype, &soa,
		                 (mode & 4) ? &keys.keys[0] : NULL, &ctxs[mode]) != HS_EOK) {
			abort();
		}
		knot_wire_set_id(queries[mode]->wire, 0x1234);
	}
	soa_query = knot_pkt_new(NULL, 512, NULL);
	if (soa_query == NULL ||
	    hs_xfr_query(soa_query, origin, KNOT_RRTYPE_SOA, NULL, NULL, NULL) != HS_EOK) {
		abort();
	}
	knot_wire_set_id(soa_query->wire, 0x1234);
	return 0;
}

/* The zone goes out as AXFR and comes back in unchanged. */
static void round_trip(hs_zone_t *z, uint32_t serial)
{
	uint32_t s;
	if (hs_zone_soa_serial(z, &s) != HS_EOK || s != serial) {
		abort();
	}
	knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
	knot_pkt_t *m = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (q == NULL || m == NULL ||
	    hs_xfr_query(q, hs_zone_origin(z), KNOT_RRTYPE_AXFR, NULL, NULL, NULL) != HS_EOK) {
		abort();
	}
	hs_xfr_out_t *out = NULL;
	hs_xfr_in_t *in = NULL;
	if (hs_xfr_out_new(q, z, NULL, 0, NULL, &out) != HS_EOK ||
	    hs_xfr_in_new(q, NULL, NULL, &in) != HS_EOK) {
		abort();
	}
	int ret, fed = HS_XFR_MORE;
	do {
		ret = hs_xfr_out_next(out, m, NULL);
		if (ret < 0) {
			/* Only an RR too large for any message may stop it. */
			if (ret != HS_ESPACE) {
				abort();
			}
			break;
		}
		fed = hs_xfr_in_feed(in, m->wire, m->size);
		if (fed < 0) {
			abort();
		}
	} while (ret == HS_XFR_MORE);
	if (ret == HS_XFR_DONE) {
		hs_zone_t *back = hs_xfr_in_take_zone(in);
		if (fed != HS_XFR_DONE || back == NULL) {
			abort();
		}
		/* Equal, except for the case of names in RDATA: libknot's name
		 * compression matches suffixes case-insensitively, so a name in
		 * RDATA may come back with the case of an earlier name ("ns0.
		 * example.com." after "exampLe.com." becomes "ns0.exampLe.com."),
		 * and twins that differ only in case ("ns2.", "Ns2.") as one RR.
		 * Same RRsets, never more RRs. */
		if (!hs_zone_equal(back, z) &&
		    (hs_zone_count(back) > hs_zone_count(z) ||
		     hs_zone_rrset_count(back) != hs_zone_rrset_count(z) ||
		     hs_zone_name_count(back) != hs_zone_name_count(z))) {
			abort();
		}
		hs_zone_free(back);
	}
	hs_xfr_in_free(in);
	hs_xfr_out_free(out);
	knot_pkt_free(m);
	knot_pkt_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first message also as the answer to a SOA query and as a NOTIFY. */
static void other_parsers(const uint8_t *msg, size_t len)
{
	uint16_t rcode;
	uint32_t serial;
	hs_tsig_ctx_t ctx = ctxs[4];
	(void)hs_xfr_check_answer(msg, len, soa_query, NULL, &rcode, &serial);
	(void)hs_xfr_check_answer(msg, len, soa_query, &ctx, &rcode, &serial);
	if (len > KNOT_WIRE_MAX_PKTSIZE) {
		return;
	}
	uint8_t *copy = malloc(len > 0 ? len : 1);
	memcpy(copy, msg, len);
	knot_pkt_t *p = knot_pkt_new(copy, (uint16_t)len, NULL);
	if (p != NULL && knot_pkt_parse(p, 0) == KNOT_EOK) {
		const knot_dname_t *zone;
		uint16_t qtype;
		bool has;
		if (hs_xfr_notify_parse(p, &zone, &qtype, &has, &serial) == HS_EOK &&
		    knot_dname_size(zone) > KNOT_DNAME_MAXLEN) {
			abort();
		}
	}
	knot_pkt_free(p);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	int mode = data[0] & 7;
	bool others = data[0] & 8;
	data++;
	size--;
	if (others && size >= 2) {
		size_t len = ((size_t)data[0] << 8) | data[1];
		other_parsers(data + 2, len < size - 2 ? len : size - 2);
	}
	hs_xfr_in_t *in = NULL;
	if (hs_xfr_in_new(queries[mode], (mode & 2) ? cur : NULL,
	                  (mode & 4) ? &ctxs[mode] : NULL, &in) != HS_EOK) {
		abort();
	}
	int ret = HS_XFR_MORE;
	while (size >= 2 && ret >= 0) {
		size_t len = ((size_t)data[0] << 8) | data[1];
		data += 2;
		size -= 2;
		if (len > size) {
			len = size;
		}
		ret = hs_xfr_in_feed(in, data, len);
		data += len;
		size -= len;
	}
	int end = hs_xfr_in_end(in);
	if (ret == HS_XFR_DONE) {
		if (end != HS_EOK) {
			abort();
		}
		hs_xfr_kind_t kind = hs_xfr_in_kind(in);
		hs_zone_t *z = hs_xfr_in_take_zone(in);
		hs_diff_t **d = NULL;
		size_t n = 0;
		hs_xfr_in_take_deltas(in, &d, &n);
		if (kind == HS_XFR_UPTODATE ? z != NULL : z == NULL) {
			abort();
		}
		if ((kind == HS_XFR_IXFR) != (n > 0)) {
			abort();
		}
		if (z != NULL) {
			round_trip(z, hs_xfr_in_serial(in));
		}
		for (size_t i = 0; i < n; i++) {
			hs_diff_free(d[i]);
		}
		free(d);
		hs_zone_free(z);
	} else if (end == HS_EOK || hs_xfr_in_take_zone(in) != NULL) {
		abort();
	}
	hs_xfr_in_free(in);
	if (!hs_zone_equal(cur, cur_copy)) {
		abort();
	}
	return 0;
}
