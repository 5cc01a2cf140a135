/*
 * test/unit/test_xfr.c -- common/xfr: AXFR/IXFR answers and consumers, SOA
 * and NOTIFY messages, without sockets. Zones are built in the test; the
 * server side (hs_xfr_out) feeds the client side (hs_xfr_in) message by
 * message. Interop with knotd and kdig is in test_xfrnet.c.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdnssec/tsig.h>
#include <libknot/libknot.h>

#include "common/xfr.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "libhsync/tsig.h"
#include "libhsync/zonefile.h"
#include "test/unit/unit.h"

#define ORIGIN "example.com."

static const char KEYS[] =
	"key \"xfr-key\" { algorithm hmac-sha256; secret \"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=\"; };\n"
	"key \"other-key\" { algorithm hmac-sha256; secret \"b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI=\"; };\n";
/* Same name as xfr-key, another secret. */
static const char BADKEY[] =
	"key \"xfr-key\" { algorithm hmac-sha256; secret \"d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmct\"; };\n";

static knot_dname_t *origin(void)
{
	static knot_dname_t buf[KNOT_DNAME_MAXLEN];
	return knot_dname_from_str(buf, ORIGIN, sizeof(buf));
}

static int add_cb(const knot_rrset_t *rr, void *ctx)
{
	return hs_zone_add(ctx, rr, NULL);
}

static hs_zone_t *zone_text(const char *text)
{
	hs_zone_t *z = NULL;
	ck_assert_int_eq(hs_zone_new(origin(), KNOT_CLASS_IN, &z), HS_EOK);
	char err[256] = "";
	int ret = hs_zonefile_read_string(text, strlen(text), "test", ORIGIN, add_cb, z,
	                                  err, sizeof(err));
	ck_assert_msg(ret == HS_EOK, "%s", err);
	return z;
}

/* A zone of n names, each with an A and a TXT record. */
static hs_zone_t *zone_big(uint32_t serial, size_t n, const char *tag)
{
	size_t cap = 200 + n * 120;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	size_t off = (size_t)snprintf(text, cap,
	        "$TTL 3600\n@ SOA ns1 hostmaster %u 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n",
	        serial);
	for (size_t i = 0; i < n; i++) {
		off += (size_t)snprintf(text + off, cap - off,
		        "host%zu A 10.%zu.%zu.%zu\nhost%zu TXT \"%s record number %zu\"\n",
		        i, (i >> 16) & 255, (i >> 8) & 255, i & 255, i, tag, i);
	}
	hs_zone_t *z = zone_text(text);
	free(text);
	return z;
}

static const char V1[] =
	"$TTL 300\n"
	"@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
	"@ NS ns1\n@ NS ns2\n"
	"ns1 A 192.0.2.1\nns2 A 192.0.2.2\n"
	"www A 192.0.2.10\nwww AAAA 2001:db8::10\n"
	"mail MX 10 mx.other.example.\n"
	"old TXT \"going\"\n";

static hs_zone_t *bump(hs_zone_t *z, uint32_t serial)
{
	knot_rrset_t soa;
	ck_assert_int_eq(hs_zone_find(z, origin(), KNOT_RRTYPE_SOA, &soa), HS_EOK);
	knot_rrset_t *c = knot_rrset_copy(&soa, NULL);
	knot_soa_serial_set(c->rrs.rdata, serial);
	ck_assert_int_eq(hs_zone_replace(z, c), HS_EOK);
	knot_rrset_free(c, NULL);
	return z;
}

static void add_text(hs_zone_t *z, const char *text)
{
	hs_zone_t *t = zone_text(text);
	hs_zone_iter_t it;
	knot_rrset_t rr;
	ck_assert_int_eq(hs_zone_iter_begin(t, 0, &it), HS_EOK);
	while (hs_zone_iter_next(&it, &rr)) {
		ck_assert_int_eq(hs_zone_replace(z, &rr), HS_EOK);
	}
	hs_zone_free(t);
}

/* ---- plumbing: a query, the server's answer, the client's consumer ---- */

struct pair {
	knot_pkt_t *cq;         /* the client's query */
	knot_pkt_t *sq;         /* the same as the server parsed it */
	uint8_t sqwire[KNOT_WIRE_MAX_PKTSIZE];
	hs_tsig_ctx_t cctx, sctx;
	int scheck;             /* hs_tsig_check_query result */
};

static hs_tsig_keys_t ring(const char *text)
{
	hs_tsig_keys_t k = { 0 };
	int line;
	ck_assert_int_eq(hs_tsig_parse(text, strlen(text), &k, &line), HS_EOK);
	return k;
}

static void pair_init(struct pair *p, uint16_t qtype, hs_zone_t *client,
                      const knot_tsig_key_t *ckey, const hs_tsig_keys_t *skeys)
{
	memset(p, 0, sizeof(*p));
	p->cq = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	knot_rrset_t soa;
	const knot_rrset_t *s = NULL;
	if (client != NULL && hs_zone_find(client, origin(), KNOT_RRTYPE_SOA, &soa) == HS_EOK) {
		s = &soa;
	}
	ck_assert_int_eq(hs_xfr_query(p->cq, origin(), qtype, s, ckey, &p->cctx), HS_EOK);
	memcpy(p->sqwire, p->cq->wire, p->cq->size);
	p->sq = knot_pkt_new(p->sqwire, (uint16_t)p->cq->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p->sq, 0), KNOT_EOK);
	p->scheck = hs_tsig_check_query(p->sq, skeys, &p->sctx);
}

static void pair_free(struct pair *p)
{
	knot_pkt_free(p->cq);
	knot_pkt_free(p->sq);
}

typedef void (*tamper_fn)(uint8_t *wire, size_t *len, size_t msg, bool last);

struct run {
	int feed;               /* last hs_xfr_in_feed() result */
	size_t msgs;            /* messages the server made */
	hs_xfr_kind_t out_kind;
	size_t max_seen;        /* largest message */
};

/* Serve from `server` (with deltas) and feed the client consumer x. */
static struct run serve(struct pair *p, hs_zone_t *server, hs_diff_t **deltas, size_t nd,
                        size_t max_msg, bool use_tsig, hs_xfr_in_t *x, tamper_fn tamper,
                        size_t stop_after)
{
	struct run r = { 0 };
	struct hs_xfr_out_opts o = { .max_msg = max_msg, .tsig = use_tsig ? &p->sctx : NULL };
	hs_xfr_out_t *out = NULL;
	ck_assert_int_eq(hs_xfr_out_new(p->sq, server, deltas, nd, &o, &out), HS_EOK);
	r.out_kind = hs_xfr_out_kind(out);
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	static uint8_t wire[KNOT_WIRE_MAX_PKTSIZE];
	for (;;) {
		int ret = hs_xfr_out_next(out, pkt, NULL);
		ck_assert_int_ge(ret, 0);
		r.msgs++;
		if (pkt->size > r.max_seen) {
			r.max_seen = pkt->size;
		}
		size_t len = pkt->size;
		memcpy(wire, pkt->wire, len);
		if (tamper != NULL) {
			tamper(wire, &len, r.msgs, ret == HS_XFR_DONE);
		}
		if (stop_after == 0 || r.msgs <= stop_after) {
			r.feed = hs_xfr_in_feed(x, wire, len);
		}
		if (ret == HS_XFR_DONE) {
			break;
		}
	}
	ck_assert_int_eq(hs_xfr_out_next(out, pkt, NULL), HS_EINVAL);
	knot_pkt_free(pkt);
	hs_xfr_out_free(out);
	return r;
}

/* Full transfer of `server` to a client holding `client` (may be NULL). */
static hs_zone_t *xfr(uint16_t qtype, hs_zone_t *server, hs_diff_t **deltas, size_t nd,
                      hs_zone_t *client, size_t max_msg, hs_xfr_kind_t want,
                      struct run *rout, size_t *ndeltas_out)
{
	struct pair p;
	pair_init(&p, qtype, client, NULL, NULL);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, client, NULL, &x), HS_EOK);
	struct run r = serve(&p, server, deltas, nd, max_msg, false, x, NULL, 0);
	ck_assert_int_eq(r.feed, HS_XFR_DONE);
	ck_assert_int_eq(hs_xfr_in_end(x), HS_EOK);
	ck_assert_int_eq(hs_xfr_in_kind(x), want);
	ck_assert_int_eq(hs_xfr_in_messages(x), r.msgs);
	hs_zone_t *z = hs_xfr_in_take_zone(x);
	ck_assert_ptr_null(hs_xfr_in_take_zone(x));
	hs_diff_t **d = NULL;
	size_t n = 0;
	hs_xfr_in_take_deltas(x, &d, &n);
	for (size_t i = 0; i < n; i++) {
		hs_diff_free(d[i]);
	}
	free(d);
	if (ndeltas_out != NULL) {
		*ndeltas_out = n;
	}
	if (rout != NULL) {
		*rout = r;
	}
	hs_xfr_in_free(x);
	pair_free(&p);
	return z;
}

/* ---- AXFR ---- */

START_TEST(axfr_small)
{
	hs_zone_t *s = zone_text(V1);
	struct run r;
	hs_zone_t *c = xfr(KNOT_RRTYPE_AXFR, s, NULL, 0, NULL, 0, HS_XFR_AXFR, &r, NULL);
	ck_assert_int_eq(r.msgs, 1);
	ck_assert_int_eq(r.out_kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(s, c));
	ck_assert_int_eq(hs_zone_count(c), 9);
	hs_zone_free(c);
	hs_zone_free(s);
}
END_TEST

START_TEST(axfr_big)
{
	hs_zone_t *s = zone_big(7, 3000, "big");
	struct run r;
	hs_zone_t *c = xfr(KNOT_RRTYPE_AXFR, s, NULL, 0, NULL, 0, HS_XFR_AXFR, &r, NULL);
	ck_assert(hs_zone_equal(s, c));
	ck_assert_int_ge(r.msgs, 2);
	ck_assert_int_le(r.max_seen, 65535);
	hs_zone_free(c);
	/* Small messages: many of them, none over the limit. */
	c = xfr(KNOT_RRTYPE_AXFR, s, NULL, 0, NULL, 1024, HS_XFR_AXFR, &r, NULL);
	ck_assert(hs_zone_equal(s, c));
	ck_assert_int_ge(r.msgs, 100);
	ck_assert_int_le(r.max_seen, 1024);
	hs_zone_free(c);
	/* Over an older copy: still taken whole. */
	hs_zone_t *old = zone_big(6, 10, "old");
	c = xfr(KNOT_RRTYPE_AXFR, s, NULL, 0, old, 0, HS_XFR_AXFR, NULL, NULL);
	ck_assert(hs_zone_equal(s, c));
	hs_zone_free(c);
	hs_zone_free(old);
	hs_zone_free(s);
}
END_TEST

/* One RRset bigger than a message is split across messages. */
START_TEST(axfr_huge_rrset)
{
	hs_zone_t *s = zone_text(V1);
	char line[200];
	hs_zone_t *t = NULL;
	ck_assert_int_eq(hs_zone_new(origin(), KNOT_CLASS_IN, &t), HS_EOK);
	size_t cap = 2000 * 140;
	char *text = malloc(cap);
	size_t off = 0;
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "big 300 TXT \"%04d %s\"\n", i,
		         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		off += (size_t)snprintf(text + off, cap - off, "%s", line);
	}
	add_text(s, text);
	free(text);
	hs_zone_free(t);
	struct run r;
	hs_zone_t *c = xfr(KNOT_RRTYPE_AXFR, s, NULL, 0, NULL, 0, HS_XFR_AXFR, &r, NULL);
	ck_assert_int_ge(r.msgs, 4);
	ck_assert(hs_zone_equal(s, c));
	hs_zone_free(c);
	hs_zone_free(s);
}
END_TEST

/* ---- IXFR ---- */

struct versions {
	hs_zone_t *v[5];        /* serials 1..4 at [1..4] */
	hs_diff_t *d[3];        /* 1->2, 2->3, 3->4 */
};

static void versions_make(struct versions *vs)
{
	memset(vs, 0, sizeof(*vs));
	vs->v[1] = zone_text(V1);
	ck_assert_int_eq(hs_zone_copy(vs->v[1], &vs->v[2]), HS_EOK);
	bump(vs->v[2], 2);
	add_text(vs->v[2], "www 300 A 192.0.2.11\nnew TXT \"hello\"\n");
	ck_assert_int_eq(hs_zone_copy(vs->v[2], &vs->v[3]), HS_EOK);
	bump(vs->v[3], 3);
	knot_dname_t *old = knot_dname_from_str_alloc("old.example.com.");
	ck_assert_int_eq(hs_zone_remove_rrset(vs->v[3], old, KNOT_RRTYPE_TXT), HS_EOK);
	knot_dname_free(old, NULL);
	ck_assert_int_eq(hs_zone_copy(vs->v[3], &vs->v[4]), HS_EOK);
	bump(vs->v[4], 4);
	add_text(vs->v[4], "@ 600 NS ns1\n@ 600 NS ns3\nns3 A 192.0.2.3\n");
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(hs_zone_diff(vs->v[i + 1], vs->v[i + 2], &vs->d[i]), HS_EOK);
	}
}

static void versions_free(struct versions *vs)
{
	for (int i = 0; i < 5; i++) {
		hs_zone_free(vs->v[i]);
	}
	for (int i = 0; i < 3; i++) {
		hs_diff_free(vs->d[i]);
	}
}

START_TEST(ixfr_chain)
{
	struct versions vs;
	versions_make(&vs);
	for (int from = 1; from <= 3; from++) {
		size_t nd = 0;
		struct run r;
		hs_zone_t *c = xfr(KNOT_RRTYPE_IXFR, vs.v[4], vs.d, 3, vs.v[from], 0, HS_XFR_IXFR,
		                   &r, &nd);
		ck_assert_int_eq(r.out_kind, HS_XFR_IXFR);
		ck_assert_int_eq(nd, (size_t)(4 - from));
		ck_assert(hs_zone_equal(c, vs.v[4]));
		hs_zone_free(c);
	}
	versions_free(&vs);
}
END_TEST

/*
 * IXFR with hs_xfr_in_deltas_only(): checked against cur, no zone built;
 * the deltas applied to cur in place give the new version. has: NULL
 * (look in cur) or a callback over another zone holding the same.
 */
struct has_arg {
	hs_zone_t *z;
	size_t calls;
};

static bool has_in(const knot_rrset_t *rr, void *arg)
{
	struct has_arg *h = arg;
	h->calls++;
	ck_assert_int_eq(rr->rrs.count, 1);
	knot_rrset_t view;
	int ret = rr->type == KNOT_RRTYPE_RRSIG
	        ? hs_zone_find_rrsig(h->z, rr->owner, knot_wire_read_u16(rr->rrs.rdata->data), &view)
	        : hs_zone_find(h->z, rr->owner, rr->type, &view);
	return ret == HS_EOK && knot_rdataset_member(&view.rrs, rr->rrs.rdata);
}

static void deltas_in(hs_zone_t *server, hs_diff_t **sd, size_t snd, hs_zone_t *cur,
                      struct has_arg *h, hs_diff_t ***d, size_t *n)
{
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_IXFR, cur, NULL, NULL);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, cur, NULL, &x), HS_EOK);
	hs_xfr_in_deltas_only(x, h != NULL ? has_in : NULL, h);
	struct run r = serve(&p, server, sd, snd, 0, false, x, NULL, 0);
	ck_assert_int_eq(r.feed, HS_XFR_DONE);
	ck_assert_int_eq(hs_xfr_in_kind(x), HS_XFR_IXFR);
	ck_assert_ptr_null(hs_xfr_in_take_zone(x));
	hs_xfr_in_take_deltas(x, d, n);
	hs_xfr_in_free(x);
	pair_free(&p);
}

START_TEST(ixfr_deltas_only)
{
	struct versions vs;
	versions_make(&vs);
	for (int from = 1; from <= 3; from++) {
		for (int cb = 0; cb < 2; cb++) {
			hs_zone_t *cur = NULL;
			ck_assert_int_eq(hs_zone_copy(vs.v[from], &cur), HS_EOK);
			struct has_arg h = { .z = vs.v[from] };
			hs_diff_t **d = NULL;
			size_t n = 0;
			deltas_in(vs.v[4], vs.d, 3, cur, cb ? &h : NULL, &d, &n);
			ck_assert_uint_eq(n, (size_t)(4 - from));
			ck_assert(hs_zone_equal(cur, vs.v[from]));  /* only read */
			ck_assert(cb == 0 || h.calls > 0);
			for (size_t i = 0; i < n; i++) {
				ck_assert_int_eq(hs_zone_apply(cur, d[i]), HS_EOK);
				hs_diff_free(d[i]);
			}
			free(d);
			ck_assert(hs_zone_equal(cur, vs.v[4]));
			hs_zone_free(cur);
		}
	}
	versions_free(&vs);
}
END_TEST

/* A chain that fits only with each difference on top of the ones before. */
START_TEST(ixfr_deltas_only_overlap)
{
	hs_zone_t *v[4] = { zone_text(V1) };
	for (int i = 1; i < 4; i++) {
		ck_assert_int_eq(hs_zone_copy(v[i - 1], &v[i]), HS_EOK);
		bump(v[i], (uint32_t)i + 1);
	}
	/* 1->2 adds x and removes old; 2->3 removes x and adds old back;
	 * 3->4 adds x again. */
	add_text(v[1], "x A 192.0.2.99\n");
	knot_dname_t *old = knot_dname_from_str_alloc("old.example.com.");
	ck_assert_int_eq(hs_zone_remove_rrset(v[1], old, KNOT_RRTYPE_TXT), HS_EOK);
	add_text(v[3], "x A 192.0.2.99\n");
	knot_dname_free(old, NULL);
	hs_diff_t *sd[3];
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(hs_zone_diff(v[i], v[i + 1], &sd[i]), HS_EOK);
	}
	hs_zone_t *cur = zone_text(V1);
	hs_diff_t **d = NULL;
	size_t n = 0;
	deltas_in(v[3], sd, 3, cur, NULL, &d, &n);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(hs_zone_apply(cur, d[i]), HS_EOK);
		hs_diff_free(d[i]);
	}
	free(d);
	ck_assert(hs_zone_equal(cur, v[3]));
	hs_zone_free(cur);
	for (int i = 0; i < 4; i++) {
		hs_zone_free(v[i]);
		if (i < 3) {
			hs_diff_free(sd[i]);
		}
	}
}
END_TEST

/* Heap in use: ASan's count in the sanitizer build, else malloc's. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_used(void)
{
	if (__sanitizer_get_current_allocated_bytes != NULL) {
		return __sanitizer_get_current_allocated_bytes();
	}
	return mallinfo2().uordblks;
}

/*
 * One change into a zone of 200,000 names (400,000 records): with
 * deltas_only the consumer holds no copy of the zone (heap growth far
 * below one zone), without it it does (so the measure measures).
 */
START_TEST(ixfr_big_no_copy)
{
	hs_zone_t *cur = zone_big(1, 200000, "big");
	size_t zmem = hs_zone_memory(cur);
	hs_diff_t *d = NULL;
	ck_assert_int_eq(hs_diff_new(origin(), KNOT_CLASS_IN, &d), HS_EOK);
	add_text(d->removed, "@ SOA ns1 hostmaster 1 3600 600 86400 300\nhost4711 A 10.0.18.103\n");
	add_text(d->added, "@ SOA ns1 hostmaster 2 3600 600 86400 300\nhost4711 A 10.9.9.9\n");
	hs_zone_t *server = NULL;
	ck_assert_int_eq(hs_zone_copy(cur, &server), HS_EOK);
	ck_assert_int_eq(hs_zone_apply(server, d), HS_EOK);
	for (int deltas_only = 1; deltas_only >= 0; deltas_only--) {
		struct pair p;
		pair_init(&p, KNOT_RRTYPE_IXFR, cur, NULL, NULL);
		size_t before = heap_used();
		hs_xfr_in_t *x = NULL;
		ck_assert_int_eq(hs_xfr_in_new(p.cq, cur, NULL, &x), HS_EOK);
		if (deltas_only) {
			hs_xfr_in_deltas_only(x, NULL, NULL);
		}
		struct run r = serve(&p, server, &d, 1, 0, false, x, NULL, 0);
		ck_assert_int_eq(r.feed, HS_XFR_DONE);
		ck_assert_int_eq(hs_xfr_in_kind(x), HS_XFR_IXFR);
		size_t grew = heap_used() - before;
		if (deltas_only) {
			ck_assert_msg(grew < zmem / 100, "grew %zu, zone %zu", grew, zmem);
			ck_assert_ptr_null(hs_xfr_in_take_zone(x));
		} else {
			ck_assert_msg(grew > zmem / 2, "grew %zu, zone %zu", grew, zmem);
			hs_zone_t *z = hs_xfr_in_take_zone(x);
			ck_assert(hs_zone_equal(z, server));
			hs_zone_free(z);
		}
		hs_xfr_in_free(x);
		pair_free(&p);
	}
	/* One that does not fit (removes an A record cur does not have):
	 * refused, cur unchanged. */
	hs_zone_t *keep = NULL;
	ck_assert_int_eq(hs_zone_copy(cur, &keep), HS_EOK);
	hs_diff_t *bad = NULL;
	ck_assert_int_eq(hs_diff_new(origin(), KNOT_CLASS_IN, &bad), HS_EOK);
	add_text(bad->removed, "@ SOA ns1 hostmaster 1 3600 600 86400 300\nhost4711 A 10.9.9.9\n");
	add_text(bad->added, "@ SOA ns1 hostmaster 2 3600 600 86400 300\nhost4711 A 10.0.18.103\n");
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_IXFR, cur, NULL, NULL);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, cur, NULL, &x), HS_EOK);
	hs_xfr_in_deltas_only(x, NULL, NULL);
	struct run r = serve(&p, server, &bad, 1, 0, false, x, NULL, 0);
	ck_assert_int_eq(r.feed, HS_EXFR_DELTA);
	hs_diff_t **got = NULL;
	size_t n = 1;
	hs_xfr_in_take_deltas(x, &got, &n);
	ck_assert_ptr_null(got);
	ck_assert_uint_eq(n, 0);
	hs_xfr_in_free(x);
	pair_free(&p);
	ck_assert(hs_zone_equal(cur, keep));
	hs_diff_free(bad);
	hs_diff_free(d);
	hs_zone_free(keep);
	hs_zone_free(server);
	hs_zone_free(cur);
}
END_TEST

START_TEST(ixfr_uptodate)
{
	struct versions vs;
	versions_make(&vs);
	hs_zone_t *c = xfr(KNOT_RRTYPE_IXFR, vs.v[4], vs.d, 3, vs.v[4], 0, HS_XFR_UPTODATE, NULL, NULL);
	ck_assert_ptr_null(c);
	versions_free(&vs);
}
END_TEST

/* No chain from the client's serial: the AXFR form inside the IXFR answer. */
START_TEST(ixfr_as_axfr)
{
	struct versions vs;
	versions_make(&vs);
	struct run r;
	hs_zone_t *c = xfr(KNOT_RRTYPE_IXFR, vs.v[4], vs.d + 2, 1, vs.v[1], 0, HS_XFR_AXFR, &r, NULL);
	ck_assert_int_eq(r.out_kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(c, vs.v[4]));
	hs_zone_free(c);
	c = xfr(KNOT_RRTYPE_IXFR, vs.v[4], NULL, 0, vs.v[1], 0, HS_XFR_AXFR, &r, NULL);
	ck_assert(hs_zone_equal(c, vs.v[4]));
	hs_zone_free(c);
	/* A chain with a hole (1->2, 3->4) or one that stops short (1->2, 2->3). */
	hs_diff_t *hole[2] = { vs.d[0], vs.d[2] };
	c = xfr(KNOT_RRTYPE_IXFR, vs.v[4], hole, 2, vs.v[1], 0, HS_XFR_AXFR, &r, NULL);
	ck_assert_int_eq(r.out_kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(c, vs.v[4]));
	hs_zone_free(c);
	c = xfr(KNOT_RRTYPE_IXFR, vs.v[4], vs.d, 2, vs.v[1], 0, HS_XFR_AXFR, &r, NULL);
	ck_assert_int_eq(r.out_kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(c, vs.v[4]));
	hs_zone_free(c);
	versions_free(&vs);
}
END_TEST

/* Over UDP the server answers the SOA alone; the client sees it is newer. */
START_TEST(ixfr_udp)
{
	struct versions vs;
	versions_make(&vs);
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_IXFR, vs.v[1], NULL, NULL);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, vs.v[1], NULL, &x), HS_EOK);
	struct hs_xfr_out_opts o = { .udp = true };
	hs_xfr_out_t *out = NULL;
	ck_assert_int_eq(hs_xfr_out_new(p.sq, vs.v[4], vs.d, 3, &o, &out), HS_EOK);
	ck_assert_int_eq(hs_xfr_out_kind(out), HS_XFR_UPTODATE);
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(hs_xfr_out_next(out, pkt, NULL), HS_XFR_DONE);
	ck_assert_int_eq(knot_wire_get_ancount(pkt->wire), 1);
	ck_assert_int_eq(hs_xfr_in_feed(x, pkt->wire, pkt->size), HS_ETRUNC);
	ck_assert_ptr_null(hs_xfr_in_take_zone(x));
	knot_pkt_free(pkt);
	hs_xfr_out_free(out);
	hs_xfr_in_free(x);
	pair_free(&p);
	versions_free(&vs);
}
END_TEST

/* A filter keeping the apex only: AXFR and IXFR give the apex of the version. */
static bool apex_only(const knot_rrset_t *rr, void *arg)
{
	return hs_dname_equal(rr->owner, origin()) && arg == (void *)origin;
}

static hs_zone_t *apex_of(hs_zone_t *z)
{
	hs_zone_t *a = NULL;
	ck_assert_int_eq(hs_zone_new(origin(), KNOT_CLASS_IN, &a), HS_EOK);
	hs_zone_iter_t it;
	knot_rrset_t rr;
	hs_zone_iter_begin(z, 0, &it);
	while (hs_zone_iter_next(&it, &rr)) {
		if (hs_dname_equal(rr.owner, origin())) {
			ck_assert_int_eq(hs_zone_add(a, &rr, NULL), HS_EOK);
		}
	}
	return a;
}

static hs_zone_t *filtered(uint16_t qtype, hs_zone_t *server, hs_diff_t **d, size_t nd,
                           hs_zone_t *client, hs_xfr_kind_t want)
{
	struct pair p;
	pair_init(&p, qtype, client, NULL, NULL);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, client, NULL, &x), HS_EOK);
	hs_xfr_in_filter(x, apex_only, (void *)origin);
	struct run r = serve(&p, server, d, nd, 0, false, x, NULL, 0);
	ck_assert_int_eq(r.feed, HS_XFR_DONE);
	ck_assert_int_eq(hs_xfr_in_kind(x), want);
	hs_zone_t *z = hs_xfr_in_take_zone(x);
	hs_xfr_in_free(x);
	pair_free(&p);
	return z;
}

START_TEST(in_filter)
{
	struct versions vs;
	versions_make(&vs);
	hs_zone_t *a1 = apex_of(vs.v[1]), *a4 = apex_of(vs.v[4]);
	hs_zone_t *z = filtered(KNOT_RRTYPE_AXFR, vs.v[1], NULL, 0, NULL, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(z, a1));
	hs_zone_free(z);
	/* IXFR over the filtered copy: removals below the apex are dropped too. */
	z = filtered(KNOT_RRTYPE_IXFR, vs.v[4], vs.d, 3, a1, HS_XFR_IXFR);
	ck_assert(hs_zone_equal(z, a4));
	ck_assert_int_lt(hs_zone_count(z), hs_zone_count(vs.v[4]));
	hs_zone_free(z);
	hs_zone_free(a1);
	hs_zone_free(a4);
	versions_free(&vs);
}
END_TEST

/* ---- TSIG ---- */

static int tsig_run(const char *client_keys, bool server_signs, tamper_fn tamper, size_t max_msg)
{
	hs_tsig_keys_t sk = ring(KEYS);
	hs_tsig_keys_t ck = ring(client_keys);
	hs_zone_t *s = zone_big(9, 500, "tsig");
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_AXFR, NULL, &ck.keys[0], &sk);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, NULL, &p.cctx, &x), HS_EOK);
	int ret;
	if (p.scheck != HS_EOK) {
		/* The server answers the TSIG error. */
		knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		ck_assert_int_eq(hs_xfr_answer(pkt, p.sq, KNOT_RCODE_NOTAUTH, &p.sctx), HS_EOK);
		ret = hs_xfr_in_feed(x, pkt->wire, pkt->size);
		knot_pkt_free(pkt);
	} else {
		struct run r = serve(&p, s, NULL, 0, max_msg, server_signs, x, tamper, 0);
		ck_assert_int_ge(r.msgs, 2);
		ret = r.feed;
		if (ret == HS_XFR_DONE) {
			hs_zone_t *c = hs_xfr_in_take_zone(x);
			ck_assert(hs_zone_equal(s, c));
			hs_zone_free(c);
		} else {
			ck_assert_ptr_null(hs_xfr_in_take_zone(x));
		}
	}
	hs_xfr_in_free(x);
	pair_free(&p);
	hs_zone_free(s);
	hs_tsig_keys_free(&sk);
	hs_tsig_keys_free(&ck);
	return ret;
}

static void flip_msg3(uint8_t *wire, size_t *len, size_t msg, bool last)
{
	if (msg == 3) {
		wire[*len / 2] ^= 0x01;
	}
}

static void strip_tsig_msg2(uint8_t *wire, size_t *len, size_t msg, bool last)
{
	if (msg == 2) {
		/* Drop the TSIG RR: the last additional record. */
		knot_pkt_t *p = knot_pkt_new(wire, (uint16_t)*len, NULL);
		ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
		ck_assert_ptr_nonnull(p->tsig_rr);
		*len = p->size;  /* libknot took the TSIG off (size, ARCOUNT) */
		knot_pkt_free(p);
	}
}

/*
 * Re-sign a stream so that some messages go unsigned (RFC 8945 5.3.1): an
 * unsigned message loses its TSIG, and the next signed one gets a MAC over
 * the prior MAC, the unsigned messages and itself, patched into its TSIG.
 */
static struct {
	bool (*unsigned_)(size_t msg, bool last);
	uint8_t prev[64];
	size_t prev_len;
	dnssec_tsig_ctx_t *h;
	const knot_tsig_key_t *key;
} R;

static void h_add(const uint8_t *d, size_t n)
{
	dnssec_binary_t b = { .size = n, .data = (uint8_t *)d };
	ck_assert_int_eq(dnssec_tsig_add(R.h, &b), 0);
}

static void resign(uint8_t *wire, size_t *len, size_t msg, bool last)
{
	static uint8_t c[KNOT_WIRE_MAX_PKTSIZE];
	memcpy(c, wire, *len);
	knot_pkt_t *p = knot_pkt_new(c, (uint16_t)*len, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	const knot_rrset_t *t = p->tsig_rr;
	ck_assert_ptr_nonnull(t);
	const uint8_t *old = knot_tsig_rdata_mac(t);
	size_t mlen = knot_tsig_rdata_mac_length(t);
	if (msg == 1) {
		memcpy(R.prev, old, mlen);
		R.prev_len = mlen;
		knot_pkt_free(p);
		return;
	}
	if (R.h == NULL) {
		ck_assert_int_eq(dnssec_tsig_new(&R.h, R.key->algorithm, &R.key->secret), 0);
		uint8_t l[2] = { 0, (uint8_t)R.prev_len };
		h_add(l, 2);
		h_add(R.prev, R.prev_len);
	}
	h_add(c, p->size);
	if (R.unsigned_(msg, last)) {
		memcpy(wire, c, p->size);  /* ARCOUNT without the TSIG */
		*len = p->size;
		knot_pkt_free(p);
		return;
	}
	uint64_t ts = knot_tsig_rdata_time_signed(t);
	uint16_t fudge = knot_tsig_rdata_fudge(t);
	uint8_t timers[8] = { (uint8_t)(ts >> 40), (uint8_t)(ts >> 32), (uint8_t)(ts >> 24),
	                      (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts,
	                      (uint8_t)(fudge >> 8), (uint8_t)fudge };
	h_add(timers, 8);
	uint8_t mac[64];
	ck_assert_int_eq(dnssec_tsig_write(R.h, mac), 0);
	dnssec_tsig_free(R.h);
	R.h = NULL;
	uint8_t *at = memmem(wire + p->size, *len - p->size, old, mlen);
	ck_assert_ptr_nonnull(at);
	memcpy(at, mac, mlen);
	memcpy(R.prev, mac, mlen);
	knot_pkt_free(p);
}

static bool every_third(size_t msg, bool last)
{
	return !last && msg % 3 != 0;
}

static bool last_too(size_t msg, bool last)
{
	return msg >= 2;
}

static bool hundred(size_t msg, bool last)
{
	return !last && msg >= 2 && msg <= 101;
}

static bool ninety_nine(size_t msg, bool last)
{
	return !last && msg >= 2 && msg <= 100;
}

static int resign_run(bool (*policy)(size_t, bool))
{
	hs_tsig_keys_t k = ring(KEYS);
	memset(&R, 0, sizeof(R));
	R.unsigned_ = policy;
	R.key = &k.keys[0];
	hs_zone_t *s = zone_big(9, 1500, "unsigned");
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_AXFR, NULL, &k.keys[0], &k);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, NULL, &p.cctx, &x), HS_EOK);
	struct run r = serve(&p, s, NULL, 0, 1024, true, x, resign, 0);
	ck_assert_int_ge(r.msgs, 103);
	if (r.feed == HS_XFR_DONE) {
		hs_zone_t *c = hs_xfr_in_take_zone(x);
		ck_assert(hs_zone_equal(c, s));
		hs_zone_free(c);
	}
	dnssec_tsig_free(R.h);
	R.h = NULL;
	hs_xfr_in_free(x);
	pair_free(&p);
	hs_zone_free(s);
	hs_tsig_keys_free(&k);
	return r.feed;
}

START_TEST(tsig_unsigned_between)
{
	/* Every third message signed, and the last: taken. */
	ck_assert_int_eq(resign_run(every_third), HS_XFR_DONE);
	/* 99 unsigned in a row: taken; 100: refused. */
	ck_assert_int_eq(resign_run(ninety_nine), HS_XFR_DONE);
	ck_assert_int_eq(resign_run(hundred), HS_ETSIG_NONE);
	/* The last message unsigned: refused. */
	ck_assert_int_eq(resign_run(last_too), HS_ETSIG_NONE);
}
END_TEST

START_TEST(tsig_good)
{
	ck_assert_int_eq(tsig_run(KEYS, true, NULL, 4096), HS_XFR_DONE);
}
END_TEST

START_TEST(tsig_bad)
{
	/* Wrong secret: the server answers BADSIG, the client fails. */
	int ret = tsig_run(BADKEY, true, NULL, 4096);
	ck_assert_msg(ret == KNOT_TSIG_EBADSIG, "%s", hs_strerror(ret));
	/* A message changed on the way. */
	ret = tsig_run(KEYS, true, flip_msg3, 4096);
	ck_assert_msg(ret == KNOT_TSIG_EBADSIG || ret == HS_EMSG, "%s", hs_strerror(ret));
}
END_TEST

START_TEST(tsig_missing)
{
	/* The server does not sign at all. */
	ck_assert_int_eq(tsig_run(KEYS, false, NULL, 4096), HS_ETSIG_NONE);
	/* A message in the middle stripped of its TSIG: the next MAC does not
	 * cover it as it came (RFC 8945 5.3.1), so that MAC fails. */
	ck_assert_int_eq(tsig_run(KEYS, true, strip_tsig_msg2, 4096), KNOT_TSIG_EBADSIG);
}
END_TEST

/* ---- malformed and refused answers: each its error, cur untouched ---- */

/* Build a raw answer to query p->cq with answer RRs from text (origin-relative). */
static size_t raw_answer(struct pair *p, uint8_t *out, const char *rrtext, uint16_t rcode)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ck_assert_int_eq(knot_pkt_init_response(pkt, p->sq), KNOT_EOK);
	knot_wire_set_rcode(pkt->wire, (uint8_t)rcode);
	ck_assert_int_eq(knot_pkt_begin(pkt, KNOT_ANSWER), KNOT_EOK);
	if (rrtext != NULL) {
		/* Keep file order: parse line by line. */
		char *dup = strdup(rrtext);
		for (char *line = strtok(dup, "\n"); line != NULL; line = strtok(NULL, "\n")) {
			if (strcmp(line, " ") == 0) {
				continue;
			}
			char buf[512];
			snprintf(buf, sizeof(buf), "$TTL 300\n%s\n", line);
			hs_zone_t *t = NULL;
			ck_assert_int_eq(hs_zone_new((const knot_dname_t *)"", KNOT_CLASS_IN, &t), HS_EOK);
			char err[256] = "";
			ck_assert_msg(hs_zonefile_read_string(buf, strlen(buf), "raw", ORIGIN, add_cb, t,
			                                      err, sizeof(err)) == HS_EOK, "%s", err);
			hs_zone_iter_t it;
			knot_rrset_t rr;
			hs_zone_iter_begin(t, 0, &it);
			while (hs_zone_iter_next(&it, &rr)) {
				ck_assert_int_eq(knot_pkt_put(pkt, 0, &rr, KNOT_PF_NOTRUNC), KNOT_EOK);
			}
			hs_zone_free(t);
		}
		free(dup);
	}
	size_t len = pkt->size;
	memcpy(out, pkt->wire, len);
	knot_pkt_free(pkt);
	return len;
}

#define SOA1 "@ SOA ns1 hostmaster 1 3600 600 86400 300"
#define SOA2 "@ SOA ns1 hostmaster 2 3600 600 86400 300"
#define SOA5 "@ SOA ns1 hostmaster 5 3600 600 86400 300"

/*
 * Feed raw messages to an IXFR (or AXFR) consumer over V1 and expect err;
 * the consumer builds the zone, or with deltas_only checks only.
 */
static void expect_err_mode(uint16_t qtype, const char *const *msgs, uint16_t rcode, int err,
                            bool deltas_only)
{
	hs_zone_t *cur = zone_text(V1);
	hs_zone_t *keep = NULL;
	ck_assert_int_eq(hs_zone_copy(cur, &keep), HS_EOK);
	struct pair p;
	pair_init(&p, qtype, cur, NULL, NULL);
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, cur, NULL, &x), HS_EOK);
	if (deltas_only) {
		hs_xfr_in_deltas_only(x, NULL, NULL);
	}
	static uint8_t wire[KNOT_WIRE_MAX_PKTSIZE];
	int ret = HS_XFR_MORE;
	for (size_t i = 0; msgs[i] != NULL && ret >= 0; i++) {
		size_t len = raw_answer(&p, wire, msgs[i], rcode);
		ret = hs_xfr_in_feed(x, wire, len);
	}
	if (ret == HS_XFR_MORE) {
		ret = hs_xfr_in_end(x);
	}
	ck_assert_msg(ret == err, "got %d (%s), want %d (%s)", ret, hs_strerror(ret), err,
	              hs_strerror(err));
	ck_assert_int_eq(hs_xfr_in_feed(x, wire, 12), err);  /* sticky */
	ck_assert_ptr_null(hs_xfr_in_take_zone(x));
	ck_assert_int_eq(hs_xfr_in_kind(x), HS_XFR_NONE);
	ck_assert(hs_zone_equal(cur, keep));
	hs_diff_t **d = NULL;
	size_t n = 1;
	hs_xfr_in_take_deltas(x, &d, &n);
	ck_assert_ptr_null(d);
	ck_assert_uint_eq(n, 0);
	hs_xfr_in_free(x);
	pair_free(&p);
	hs_zone_free(cur);
	hs_zone_free(keep);
}

static void expect_err(uint16_t qtype, const char *const *msgs, uint16_t rcode, int err)
{
	expect_err_mode(qtype, msgs, rcode, err, false);
	expect_err_mode(qtype, msgs, rcode, err, true);
}

START_TEST(bad_first_not_soa)
{
	const char *m[] = { "www A 192.0.2.1\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_AXFR, m, 0, HS_EMSG);
}
END_TEST

START_TEST(bad_rcode)
{
	expect_err(KNOT_RRTYPE_AXFR, (const char *[]){ " ", NULL }, KNOT_RCODE_REFUSED, HS_EXFR_RCODE);
	expect_err(KNOT_RRTYPE_IXFR, (const char *[]){ " ", NULL }, KNOT_RCODE_NOTAUTH, HS_EXFR_RCODE);
}
END_TEST

START_TEST(bad_empty)
{
	expect_err(KNOT_RRTYPE_AXFR, (const char *[]){ " ", NULL }, 0, HS_EMSG);
}
END_TEST

START_TEST(bad_serial_backwards)
{
	/* cur is at 1; 4294967295 is older than 1 (RFC 1982). */
	const char *m[] = { "@ SOA ns1 hostmaster 4294967295 3600 600 86400 300\nwww A 192.0.2.1\n"
	                    "@ SOA ns1 hostmaster 4294967295 3600 600 86400 300", NULL };
	expect_err(KNOT_RRTYPE_AXFR, m, 0, HS_EXFR_SERIAL);
	expect_err(KNOT_RRTYPE_IXFR, m, 0, HS_EXFR_SERIAL);
}
END_TEST

START_TEST(bad_out_of_zone)
{
	const char *m[] = { SOA5 "\nwww.example.net. A 192.0.2.1\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_AXFR, m, 0, KNOT_EOUTOFZONE);
}
END_TEST

START_TEST(bad_truncated)
{
	const char *m[] = { SOA5 "\nwww A 192.0.2.1", "www2 A 192.0.2.2", NULL };
	expect_err(KNOT_RRTYPE_AXFR, m, 0, HS_ETRUNC);
	/* IXFR: a difference begun, never finished. */
	const char *i[] = { SOA5 "\n" SOA1 "\nold TXT \"going\"\n" SOA2, NULL };
	expect_err(KNOT_RRTYPE_IXFR, i, 0, HS_ETRUNC);
}
END_TEST

START_TEST(bad_trailing)
{
	const char *m[] = { SOA5 "\nwww A 192.0.2.1\n" SOA5 "\nextra A 192.0.2.9", NULL };
	expect_err(KNOT_RRTYPE_AXFR, m, 0, HS_EMSG);
	const char *m2[] = { SOA5 "\nwww A 192.0.2.1\n" SOA5, SOA5, NULL };
	expect_err(KNOT_RRTYPE_AXFR, m2, 0, HS_ETRAIL);
}
END_TEST

START_TEST(bad_ixfr_delta)
{
	/* Removes a record V1 does not have. */
	const char *a[] = { SOA2 "\n" SOA1 "\nnothere TXT \"x\"\n" SOA2 "\nnew A 192.0.2.7\n" SOA2, NULL };
	expect_err(KNOT_RRTYPE_IXFR, a, 0, HS_EXFR_DELTA);
	/* Adds a record V1 already has. */
	const char *b[] = { SOA2 "\n" SOA1 "\n" SOA2 "\nwww A 192.0.2.10\n" SOA2, NULL };
	expect_err(KNOT_RRTYPE_IXFR, b, 0, HS_EXFR_DELTA);
	/* Starts from a serial that is not ours. */
	const char *c[] = { SOA5 "\n" SOA2 "\n" SOA5 "\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_IXFR, c, 0, HS_EXFR_DELTA);
	/* Broken chain: 1 -> 2, then from 3. */
	const char *d[] = { SOA5 "\n" SOA1 "\n" SOA2 "\n"
	                    "@ SOA ns1 hostmaster 3 3600 600 86400 300\n" SOA5 "\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_IXFR, d, 0, HS_EXFR_DELTA);
	/* The old SOA's other fields differ from ours: it does not fit. */
	const char *e[] = { SOA2 "\n@ SOA ns1 hostmaster 1 7200 600 86400 300\n" SOA2 "\n" SOA2, NULL };
	expect_err(KNOT_RRTYPE_IXFR, e, 0, HS_EXFR_DELTA);
	/* Chains where each difference fits V1 but not V1 after the ones
	 * before: removes again what 1->2 removed; adds again what 1->2
	 * added; removes what 1->2 added and 2->5 then adds it twice over. */
	const char *f[] = { SOA5 "\n" SOA1 "\nold TXT \"going\"\n" SOA2 "\n"
	                    SOA2 "\nold TXT \"going\"\n" SOA5 "\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_IXFR, f, 0, HS_EXFR_DELTA);
	const char *g[] = { SOA5 "\n" SOA1 "\n" SOA2 "\nnew A 192.0.2.7\n"
	                    SOA2 "\n" SOA5 "\nnew A 192.0.2.7\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_IXFR, g, 0, HS_EXFR_DELTA);
	/* The second difference is fine, the third does not fit: nothing of
	 * the first two is kept either. */
	const char *h[] = { SOA5 "\n" SOA1 "\n" SOA2 "\nnew A 192.0.2.7\n"
	                    SOA2 "\nnew A 192.0.2.7\n@ SOA ns1 hostmaster 3 3600 600 86400 300\n"
	                    "@ SOA ns1 hostmaster 3 3600 600 86400 300\nnew A 192.0.2.7\n" SOA5
	                    "\n" SOA5, NULL };
	expect_err(KNOT_RRTYPE_IXFR, h, 0, HS_EXFR_DELTA);
}
END_TEST

START_TEST(bad_header)
{
	hs_zone_t *cur = zone_text(V1);
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_AXFR, cur, NULL, NULL);
	static uint8_t wire[KNOT_WIRE_MAX_PKTSIZE];
	size_t len = raw_answer(&p, wire, SOA5 "\n" SOA5, 0);
	for (int c = 0; c < 6; c++) {
		hs_xfr_in_t *x = NULL;
		ck_assert_int_eq(hs_xfr_in_new(p.cq, cur, NULL, &x), HS_EOK);
		static uint8_t w[KNOT_WIRE_MAX_PKTSIZE];
		memcpy(w, wire, len);
		size_t l = len;
		switch (c) {
		case 0: knot_wire_set_id(w, knot_wire_get_id(w) + 1); break;  /* not our ID */
		case 1: knot_wire_clear_qr(w); break;
		case 2: knot_wire_set_tc(w); break;
		case 3: l = 11; break;                                         /* short */
		case 4: l = len - 3; break;                                    /* cut RR */
		case 5: w[12 + 1] ^= 0x20; w[12 + 2] ^= 0x01; break;           /* other qname */
		}
		ck_assert_int_eq(hs_xfr_in_feed(x, w, l), HS_EMSG);
		ck_assert_ptr_null(hs_xfr_in_take_zone(x));
		hs_xfr_in_free(x);
	}
	/* The unchanged message works. */
	hs_xfr_in_t *x = NULL;
	ck_assert_int_eq(hs_xfr_in_new(p.cq, cur, NULL, &x), HS_EOK);
	ck_assert_int_eq(hs_xfr_in_feed(x, wire, len), HS_XFR_DONE);
	hs_zone_t *z = hs_xfr_in_take_zone(x);
	ck_assert_int_eq(hs_zone_count(z), 1);
	hs_zone_free(z);
	hs_xfr_in_free(x);
	pair_free(&p);
	hs_zone_free(cur);
}
END_TEST

/* ---- SOA query, NOTIFY, known bytes ---- */

START_TEST(soa_query)
{
	hs_tsig_keys_t k = ring(KEYS);
	hs_zone_t *z = zone_text(V1);
	bump(z, 2026112701);
	for (int signed_ = 0; signed_ < 2; signed_++) {
		struct pair p;
		pair_init(&p, KNOT_RRTYPE_SOA, NULL, signed_ ? &k.keys[0] : NULL, &k);
		ck_assert_int_eq(p.scheck, signed_ ? HS_EOK : HS_ETSIG_NONE);
		knot_pkt_t *a = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		ck_assert_int_eq(knot_pkt_init_response(a, p.sq), KNOT_EOK);
		knot_wire_set_aa(a->wire);
		if (signed_) {
			hs_tsig_reserve(a, &k.keys[0]);
		}
		knot_rrset_t soa;
		hs_zone_find(z, origin(), KNOT_RRTYPE_SOA, &soa);
		ck_assert_int_eq(knot_pkt_begin(a, KNOT_ANSWER), KNOT_EOK);
		ck_assert_int_eq(knot_pkt_put(a, KNOT_COMPR_HINT_QNAME, &soa, 0), KNOT_EOK);
		if (signed_) {
			ck_assert_int_eq(hs_tsig_sign_response(a, &p.sctx), HS_EOK);
		}
		uint32_t serial = 0;
		uint16_t rc = 99;
		hs_tsig_ctx_t c = p.cctx;
		ck_assert_int_eq(hs_xfr_check_answer(a->wire, a->size, p.cq, &c, &rc, &serial), HS_EOK);
		ck_assert_uint_eq(serial, 2026112701);
		ck_assert_uint_eq(rc, 0);
		if (signed_) {
			/* A changed byte breaks the TSIG. */
			a->wire[a->size - 30] ^= 1;
			c = p.cctx;
			ck_assert_int_ne(hs_xfr_check_answer(a->wire, a->size, p.cq, &c, &rc, &serial), HS_EOK);
		}
		/* REFUSED, unsigned. */
		ck_assert_int_eq(hs_xfr_answer(a, p.sq, KNOT_RCODE_REFUSED, NULL), HS_EOK);
		c = p.cctx;
		ck_assert_int_eq(hs_xfr_check_answer(a->wire, a->size, p.cq, &c, &rc, &serial),
		                 HS_EXFR_RCODE);
		ck_assert_uint_eq(rc, KNOT_RCODE_REFUSED);
		/* NOERROR without the SOA. */
		p.scheck = hs_tsig_check_query(p.sq, &k, &p.sctx);
		ck_assert_int_eq(hs_xfr_answer(a, p.sq, 0, signed_ ? &p.sctx : NULL), HS_EOK);
		c = p.cctx;
		ck_assert_int_eq(hs_xfr_check_answer(a->wire, a->size, p.cq, &c, &rc, &serial),
		                 HS_ENOTFOUND);
		knot_pkt_free(a);
		pair_free(&p);
	}
	hs_zone_free(z);
	hs_tsig_keys_free(&k);
}
END_TEST

START_TEST(notify_bytes)
{
	/* NOTIFY for example. (RFC 1996): opcode 4, AA, one question SOA IN. */
	static const uint8_t want[] = {
		0x00, 0x00, 0x24, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00, 0x00, 0x06, 0x00, 0x01,
	};
	knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
	knot_dname_t *ex = knot_dname_from_str_alloc("example.");
	ck_assert_int_eq(hs_xfr_notify(q, ex, KNOT_RRTYPE_SOA, NULL, NULL, NULL), HS_EOK);
	knot_wire_set_id(q->wire, 0);
	ck_assert_uint_eq(q->size, sizeof(want));
	ck_assert_mem_eq(q->wire, want, sizeof(want));
	knot_dname_free(ex, NULL);
	knot_pkt_free(q);
}
END_TEST

START_TEST(notify_roundtrip)
{
	hs_tsig_keys_t k = ring(KEYS);
	hs_zone_t *z = zone_text(V1);
	knot_rrset_t soa;
	hs_zone_find(z, origin(), KNOT_RRTYPE_SOA, &soa);
	for (int with_soa = 0; with_soa < 2; with_soa++) {
		knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
		hs_tsig_ctx_t cctx;
		ck_assert_int_eq(hs_xfr_notify(q, origin(), KNOT_RRTYPE_DNSKEY, with_soa ? &soa : NULL,
		                               &k.keys[1], &cctx), HS_EOK);
		uint8_t w[512];
		memcpy(w, q->wire, q->size);
		knot_pkt_t *s = knot_pkt_new(w, (uint16_t)q->size, NULL);
		ck_assert_int_eq(knot_pkt_parse(s, 0), KNOT_EOK);
		hs_tsig_ctx_t sctx;
		ck_assert_int_eq(hs_tsig_check_query(s, &k, &sctx), HS_EOK);
		const knot_dname_t *name = NULL;
		uint16_t qt = 0;
		bool has = true;
		uint32_t serial = 99;
		ck_assert_int_eq(hs_xfr_notify_parse(s, &name, &qt, &has, &serial), HS_EOK);
		ck_assert(hs_dname_equal(name, origin()));
		ck_assert_uint_eq(qt, KNOT_RRTYPE_DNSKEY);
		ck_assert(has == (bool)with_soa);
		ck_assert_uint_eq(serial, with_soa ? 1 : 0);
		/* The acknowledgement, signed, checks at the sender. */
		knot_pkt_t *a = knot_pkt_new(NULL, 512, NULL);
		ck_assert_int_eq(hs_xfr_answer(a, s, KNOT_RCODE_NOERROR, &sctx), HS_EOK);
		ck_assert_int_eq(knot_wire_get_opcode(a->wire), KNOT_OPCODE_NOTIFY);
		ck_assert_int_eq(hs_xfr_check_answer(a->wire, a->size, q, &cctx, NULL, NULL), HS_EOK);
		/* An ordinary query is not a NOTIFY. */
		knot_wire_set_opcode(s->wire, KNOT_OPCODE_QUERY);
		ck_assert_int_eq(hs_xfr_notify_parse(s, &name, &qt, &has, &serial), HS_EMSG);
		knot_pkt_free(a);
		knot_pkt_free(s);
		knot_pkt_free(q);
	}
	hs_zone_free(z);
	hs_tsig_keys_free(&k);
}
END_TEST

START_TEST(out_bad_args)
{
	hs_zone_t *z = zone_text(V1);
	struct pair p;
	pair_init(&p, KNOT_RRTYPE_SOA, NULL, NULL, NULL);
	hs_xfr_out_t *out = NULL;
	ck_assert_int_eq(hs_xfr_out_new(p.sq, z, NULL, 0, NULL, &out), HS_EINVAL);  /* qtype SOA */
	pair_free(&p);
	/* IXFR without the client's SOA. */
	knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
	ck_assert_int_eq(knot_pkt_put_question(q, origin(), KNOT_CLASS_IN, KNOT_RRTYPE_IXFR), KNOT_EOK);
	ck_assert_int_eq(hs_xfr_out_new(q, z, NULL, 0, NULL, &out), HS_EMSG);
	knot_pkt_free(q);
	/* Another zone. */
	hs_zone_t *other = NULL;
	knot_dname_t *net = knot_dname_from_str_alloc("example.net.");
	ck_assert_int_eq(hs_zone_new(net, KNOT_CLASS_IN, &other), HS_EOK);
	knot_dname_free(net, NULL);
	pair_init(&p, KNOT_RRTYPE_AXFR, NULL, NULL, NULL);
	ck_assert_int_eq(hs_xfr_out_new(p.sq, other, NULL, 0, NULL, &out), HS_EINVAL);
	pair_free(&p);
	hs_zone_free(other);
	hs_zone_free(z);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xfr");
	TCase *t = tcase_create("xfr");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, axfr_small);
	tcase_add_test(t, axfr_big);
	tcase_add_test(t, axfr_huge_rrset);
	tcase_add_test(t, ixfr_chain);
	tcase_add_test(t, ixfr_deltas_only);
	tcase_add_test(t, ixfr_deltas_only_overlap);
	tcase_add_test(t, ixfr_big_no_copy);
	tcase_add_test(t, ixfr_uptodate);
	tcase_add_test(t, ixfr_as_axfr);
	tcase_add_test(t, ixfr_udp);
	tcase_add_test(t, in_filter);
	tcase_add_test(t, tsig_good);
	tcase_add_test(t, tsig_bad);
	tcase_add_test(t, tsig_missing);
	tcase_add_test(t, tsig_unsigned_between);
	tcase_add_test(t, bad_first_not_soa);
	tcase_add_test(t, bad_rcode);
	tcase_add_test(t, bad_empty);
	tcase_add_test(t, bad_serial_backwards);
	tcase_add_test(t, bad_out_of_zone);
	tcase_add_test(t, bad_truncated);
	tcase_add_test(t, bad_trailing);
	tcase_add_test(t, bad_ixfr_delta);
	tcase_add_test(t, bad_header);
	tcase_add_test(t, soa_query);
	tcase_add_test(t, notify_bytes);
	tcase_add_test(t, notify_roundtrip);
	tcase_add_test(t, out_bad_args);
	suite_add_tcase(s, t);
	return s;
}

HS_TEST_MAIN()
