/*
 * test/unit/test_xfrnet.c -- common/xfrnet on loopback, against ourselves
 * and against real servers and clients:
 *   - our fetch from our server: AXFR, IXFR chain, up to date, fallback,
 *     TSIG good/bad/missing;
 *   - NOTIFY retries and timeout;
 *   - kdig -t AXFR / -t IXFR=N from our server, compared with the zone;
 *   - our fetch from a real knotd (started in a temp dir on a free port,
 *     stopped by PID): AXFR, then IXFR after changes made with knotc;
 *   - our fetch from nsd (zone file changed, SIGHUP, create-ixfr): AXFR
 *     of several TSIG-signed messages, then IXFR;
 *   - named and knotd as secondaries of our server: AXFR, then NOTIFY and
 *     IXFR (knotd as the signer follows combinerd).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <uv.h>

#include "common/net.h"
#include "common/xfr.h"
#include "common/xfrnet.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "libhsync/tsig.h"
#include "libhsync/zonefile.h"
#include "test/unit/unit.h"

extern char **environ;

#define ORIGIN "example.com."
#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
#define WRONG  "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmct"

static const char KEYTEXT[] =
	"key \"xfr-key\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n";
static const char WRONGTEXT[] =
	"key \"xfr-key\" { algorithm hmac-sha256; secret \"" WRONG "\"; };\n";

static const knot_dname_t *origin(void)
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
	ck_assert_msg(hs_zonefile_read_string(text, strlen(text), "t", ORIGIN, add_cb, z, err,
	                                      sizeof(err)) == HS_EOK, "%s", err);
	return z;
}

static char *big_text(uint32_t serial, size_t n)
{
	size_t cap = 200 + n * 100;
	char *t = malloc(cap);
	size_t off = (size_t)snprintf(t, cap,
	        "$TTL 300\n@ SOA ns1 hostmaster %u 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n"
	        "old TXT \"going\"\n", serial);
	for (size_t i = 0; i < n; i++) {
		off += (size_t)snprintf(t + off, cap - off, "h%zu A 10.0.%zu.%zu\nh%zu TXT \"record %zu\"\n",
		                        i, (i >> 8) & 255, i & 255, i, i);
	}
	return t;
}

static void set_serial(hs_zone_t *z, uint32_t serial)
{
	knot_rrset_t soa;
	ck_assert_int_eq(hs_zone_find(z, origin(), KNOT_RRTYPE_SOA, &soa), HS_EOK);
	knot_rrset_t *c = knot_rrset_copy(&soa, NULL);
	knot_soa_serial_set(c->rrs.rdata, serial);
	ck_assert_int_eq(hs_zone_replace(z, c), HS_EOK);
	knot_rrset_free(c, NULL);
}

static void put_text(hs_zone_t *z, const char *text)
{
	hs_zone_t *t = zone_text(text);
	hs_zone_iter_t it;
	knot_rrset_t rr;
	hs_zone_iter_begin(t, 0, &it);
	while (hs_zone_iter_next(&it, &rr)) {
		ck_assert_int_eq(hs_zone_replace(z, &rr), HS_EOK);
	}
	hs_zone_free(t);
}

/* ---- the test bench: a loop, our server, versions of a zone ---- */

static struct {
	uv_loop_t loop;
	hs_net_server_t *net;
	hs_xfr_server_t *xs;
	struct sockaddr_storage addr;
	hs_tsig_keys_t keys;
	bool allow_unsigned;
	hs_zone_t *v[5];      /* serials 1..4 */
	hs_diff_t *d[3];
	size_t nd;            /* deltas offered */
	int serve;            /* version served (default 4) */
	hs_xfr_kind_t served_kind;  /* of the last transfer done */
	int served_err;
	size_t served;
	int releases;
} T;

static bool acl_cb(const struct sockaddr *peer, const knot_dname_t *zone,
                   const knot_tsig_key_t *key, void *arg)
{
	return key != NULL || T.allow_unsigned;
}

static int get_cb(const knot_dname_t *zone, hs_zone_t **z, hs_diff_t *const **deltas,
                  size_t *nd, void **handle, void *arg)
{
	if (!hs_dname_equal(zone, origin())) {
		return HS_ENOTFOUND;
	}
	int v = T.serve != 0 ? T.serve : 4;
	size_t n = T.nd < (size_t)(v - 1) ? T.nd : (size_t)(v - 1);
	*z = T.v[v];
	*deltas = T.d + (v - 1 - n);
	*nd = n;
	*handle = &T;
	return HS_EOK;
}

static void release_cb(void *handle, void *arg)
{
	ck_assert_ptr_eq(handle, &T);
	T.releases++;
}

static void served_cb(const struct sockaddr *peer, const knot_dname_t *zone, hs_xfr_kind_t kind,
                      size_t msgs, size_t rrs, int err, void *arg)
{
	T.served++;
	T.served_err = err;
	if (err == 0) {
		T.served_kind = kind;
	}
}

static void setup(void)
{
	memset(&T, 0, sizeof(T));
	ck_assert_int_eq(uv_loop_init(&T.loop), 0);
	int line;
	ck_assert_int_eq(hs_tsig_parse(KEYTEXT, strlen(KEYTEXT), &T.keys, &line), HS_EOK);
	char *t = big_text(1, 2000);
	T.v[1] = zone_text(t);
	free(t);
	for (int i = 2; i <= 4; i++) {
		ck_assert_int_eq(hs_zone_copy(T.v[i - 1], &T.v[i]), HS_EOK);
		set_serial(T.v[i], (uint32_t)i);
		char buf[200];
		snprintf(buf, sizeof(buf), "new%d A 192.0.2.%d\nh%d TXT \"changed in %d\"\n", i, i, i, i);
		put_text(T.v[i], buf);
		ck_assert_int_eq(hs_zone_diff(T.v[i - 1], T.v[i], &T.d[i - 2]), HS_EOK);
	}
	T.nd = 3;
	struct hs_xfr_server_cfg cfg = { .keys = &T.keys, .acl = acl_cb, .get = get_cb,
	                                 .release = release_cb, .served = served_cb };
	ck_assert_int_eq(hs_xfr_server_new(&T.loop, &cfg, &T.xs), HS_EOK);
	ck_assert_int_eq(hs_net_server_new(&T.loop, NULL, hs_xfr_server_handler, T.xs, &T.net), 0);
	struct sockaddr_storage a;
	hs_addr_parse("127.0.0.1@0", 0, &a);
	ck_assert_int_eq(hs_net_server_listen(T.net, (struct sockaddr *)&a, HS_NET_UDP | HS_NET_TCP,
	                                      &T.addr), 0);
}

static void teardown(void)
{
	hs_net_server_close(T.net);
	hs_xfr_server_free(T.xs);
	uv_run(&T.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&T.loop), 0);
	for (int i = 0; i < 5; i++) {
		hs_zone_free(T.v[i]);
	}
	for (int i = 0; i < 3; i++) {
		hs_diff_free(T.d[i]);
	}
	hs_tsig_keys_free(&T.keys);
}

static void tick_cb(uv_timer_t *t)
{
	(void)t;  /* only wakes the loop so the deadline is checked */
}

/* Run the loop until *flag, at most ms. */
static void run_until(bool *flag, unsigned ms)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uv_timer_t tick;
	uv_timer_init(&T.loop, &tick);
	uv_timer_start(&tick, tick_cb, 50, 50);
	while (!*flag) {
		uv_run(&T.loop, UV_RUN_ONCE);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		ck_assert_msg(el < (long)ms, "timed out after %ld ms", el);
	}
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&T.loop, UV_RUN_NOWAIT);
}

/* ---- fetch helper ---- */

struct fres {
	bool done;
	int err;
	hs_xfr_kind_t kind;
	hs_zone_t *zone;
	size_t nd;
	hs_diff_t **deltas;     /* stolen too */
	bool fell_back;
	uint16_t rcode;
	uint32_t serial;
	size_t messages;
};

static void fetch_cb(struct hs_xfr_fetch_result *r, void *arg)
{
	struct fres *f = arg;
	f->done = true;
	f->err = r->err;
	f->kind = r->kind;
	f->zone = r->zone;
	r->zone = NULL;  /* stolen */
	f->nd = r->ndeltas;
	f->deltas = r->deltas;
	r->deltas = NULL;
	f->fell_back = r->fell_back;
	f->rcode = r->rcode;
	f->serial = r->serial;
	f->messages = r->messages;
}

static void fres_free_deltas(struct fres *f)
{
	for (size_t i = 0; f->deltas != NULL && i < f->nd; i++) {
		hs_diff_free(f->deltas[i]);
	}
	free(f->deltas);
	f->deltas = NULL;
}

/* The deltas are kept (for the caller to free) only with ixfr_deltas_only. */
static struct fres fetch(const struct sockaddr *from, hs_zone_t *cur, const char *keytext,
                         const struct hs_xfr_fetch_opts *o)
{
	struct fres f = { 0 };
	hs_tsig_keys_t k = { 0 };
	struct hs_xfr_fetch_opts opts = { 0 };
	if (o != NULL) {
		opts = *o;
	}
	if (keytext != NULL) {
		int line;
		ck_assert_int_eq(hs_tsig_parse(keytext, strlen(keytext), &k, &line), HS_EOK);
		opts.key = &k.keys[0];
	}
	ck_assert_int_eq(hs_xfr_fetch(&T.loop, from, origin(), cur, &opts, fetch_cb, &f, NULL), HS_EOK);
	run_until(&f.done, 8000);
	hs_tsig_keys_free(&k);
	if (!opts.ixfr_deltas_only) {
		fres_free_deltas(&f);
	}
	return f;
}

#define OURS ((const struct sockaddr *)&T.addr)

START_TEST(local_axfr_ixfr)
{
	/* No zone yet: AXFR. */
	struct fres f = fetch(OURS, NULL, KEYTEXT, NULL);
	ck_assert_msg(f.err == 0, "%s rcode %d served %d", hs_strerror(f.err), f.rcode, T.served_err);
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert_int_ge(f.messages, 2);
	ck_assert(hs_zone_equal(f.zone, T.v[4]));
	hs_zone_free(f.zone);
	/* From each older version: IXFR with the right number of differences. */
	for (int from = 1; from <= 3; from++) {
		f = fetch(OURS, T.v[from], KEYTEXT, NULL);
		ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
		ck_assert_int_eq(f.kind, HS_XFR_IXFR);
		ck_assert_uint_eq(f.nd, (size_t)(4 - from));
		ck_assert_uint_eq(f.serial, 4);
		ck_assert(hs_zone_equal(f.zone, T.v[4]));
		hs_zone_free(f.zone);
	}
	/* Up to date: the SOA check stops it, and without the check the IXFR says so. */
	f = fetch(OURS, T.v[4], KEYTEXT, NULL);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_UPTODATE);
	ck_assert_ptr_null(f.zone);
	struct hs_xfr_fetch_opts nosoa = { .no_soa_check = true };
	f = fetch(OURS, T.v[4], KEYTEXT, &nosoa);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_UPTODATE);
	/* Our copy is newer than the primary's: refused, not "up to date". */
	hs_zone_t *ahead = NULL;
	ck_assert_int_eq(hs_zone_copy(T.v[4], &ahead), HS_EOK);
	set_serial(ahead, 5);
	f = fetch(OURS, ahead, KEYTEXT, NULL);
	ck_assert_int_eq(f.err, HS_EXFR_SERIAL);
	ck_assert_uint_eq(f.serial, 4);
	ck_assert_ptr_null(f.zone);
	f = fetch(OURS, ahead, KEYTEXT, &nosoa);  /* the IXFR's lone SOA is older */
	ck_assert_int_eq(f.err, HS_EXFR_SERIAL);
	hs_zone_free(ahead);
	/* AXFR only. */
	struct hs_xfr_fetch_opts ax = { .axfr_only = true };
	f = fetch(OURS, T.v[1], KEYTEXT, &ax);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(f.zone, T.v[4]));
	hs_zone_free(f.zone);
	/* The server has no history from 1: AXFR form inside IXFR. */
	T.nd = 1;
	f = fetch(OURS, T.v[1], KEYTEXT, NULL);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert(!f.fell_back);
	ck_assert(hs_zone_equal(f.zone, T.v[4]));
	hs_zone_free(f.zone);
	T.nd = 3;
	/* Our copy went astray (serial 1, other content): the IXFR does not
	 * fit, AXFR is used instead. */
	hs_zone_t *astray = NULL;
	ck_assert_int_eq(hs_zone_copy(T.v[1], &astray), HS_EOK);
	put_text(astray, "h2 TXT \"not what the primary had\"\n");
	f = fetch(OURS, astray, KEYTEXT, NULL);
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert(f.fell_back);
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(f.zone, T.v[4]));
	hs_zone_free(f.zone);
	hs_zone_free(astray);
	ck_assert_int_eq(hs_xfr_server_active(T.xs), 0);
	ck_assert_int_eq(T.served_err, 0);
}
END_TEST

/*
 * ixfr_deltas_only: the differences come checked and alone (no zone); the
 * caller applies them in place. One that does not fit falls back to AXFR
 * and leaves cur as it was.
 */
START_TEST(local_ixfr_deltas_only)
{
	struct hs_xfr_fetch_opts dopt = { .ixfr_deltas_only = true };
	for (int from = 1; from <= 3; from++) {
		hs_zone_t *cur = NULL;
		ck_assert_int_eq(hs_zone_copy(T.v[from], &cur), HS_EOK);
		struct fres f = fetch(OURS, cur, KEYTEXT, &dopt);
		ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
		ck_assert_int_eq(f.kind, HS_XFR_IXFR);
		ck_assert_ptr_null(f.zone);
		ck_assert_uint_eq(f.nd, (size_t)(4 - from));
		ck_assert(hs_zone_equal(cur, T.v[from]));
		for (size_t i = 0; i < f.nd; i++) {
			ck_assert_int_eq(hs_zone_apply(cur, f.deltas[i]), HS_EOK);
		}
		ck_assert(hs_zone_equal(cur, T.v[4]));
		fres_free_deltas(&f);
		hs_zone_free(cur);
	}
	hs_zone_t *astray = NULL, *keep = NULL;
	ck_assert_int_eq(hs_zone_copy(T.v[1], &astray), HS_EOK);
	put_text(astray, "h2 TXT \"not what the primary had\"\n");
	ck_assert_int_eq(hs_zone_copy(astray, &keep), HS_EOK);
	struct fres f = fetch(OURS, astray, KEYTEXT, &dopt);
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert(f.fell_back);
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert_uint_eq(f.nd, 0);
	ck_assert(hs_zone_equal(f.zone, T.v[4]));
	ck_assert(hs_zone_equal(astray, keep));
	hs_zone_free(f.zone);
	hs_zone_free(astray);
	hs_zone_free(keep);
	ck_assert_int_eq(hs_xfr_server_active(T.xs), 0);
	ck_assert_int_eq(T.served_err, 0);
}
END_TEST

/* Over UDP: IXFR gets our SOA alone, AXFR is refused, SOA is answered. */
struct udp_ans {
	bool done;
	int err;
	uint8_t msg[KNOT_WIRE_MAX_PKTSIZE];
	size_t len;
};

static void udp_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct udp_ans *u = arg;
	u->done = true;
	u->err = err;
	if (err == 0) {
		memcpy(u->msg, msg, len);
		u->len = len;
	}
}

static int udp_ask(uint16_t qtype, hs_zone_t *client, uint16_t *rcode, uint16_t *ancount)
{
	knot_pkt_t *q = knot_pkt_new(NULL, 1024, NULL);
	knot_rrset_t soa;
	hs_zone_find(client, origin(), KNOT_RRTYPE_SOA, &soa);
	hs_tsig_ctx_t ctx;
	ck_assert_int_eq(hs_xfr_query(q, origin(), qtype, &soa, &T.keys.keys[0], &ctx), HS_EOK);
	struct udp_ans u = { 0 };
	struct hs_net_query_opts o = { .timeout_ms = 1000, .no_tcp_fallback = true };
	ck_assert_int_eq(hs_net_query(&T.loop, OURS, q->wire, q->size, &o, udp_cb, &u, NULL), 0);
	run_until(&u.done, 5000);
	ck_assert_int_eq(u.err, 0);
	ck_assert(!knot_wire_get_tc(u.msg));
	*ancount = knot_wire_get_ancount(u.msg);
	uint32_t serial = 0;
	int ret = hs_xfr_check_answer(u.msg, u.len, q, &ctx, rcode,
	                              qtype == KNOT_RRTYPE_SOA ? &serial : NULL);
	if (qtype == KNOT_RRTYPE_SOA && ret == HS_EOK) {
		ck_assert_uint_eq(serial, 4);
	}
	knot_pkt_free(q);
	return ret;
}

START_TEST(local_udp)
{
	uint16_t rcode, an;
	ck_assert_int_eq(udp_ask(KNOT_RRTYPE_IXFR, T.v[1], &rcode, &an), HS_EOK);
	ck_assert_uint_eq(an, 1);  /* our SOA alone: use TCP */
	ck_assert_int_eq(udp_ask(KNOT_RRTYPE_AXFR, T.v[1], &rcode, &an), HS_EXFR_RCODE);
	ck_assert_uint_eq(rcode, KNOT_RCODE_REFUSED);
	ck_assert_int_eq(udp_ask(KNOT_RRTYPE_SOA, T.v[1], &rcode, &an), HS_EOK);
	ck_assert_uint_eq(an, 1);
	/* Any other query: REFUSED by hs_xfr_server_handler. */
	ck_assert_int_eq(udp_ask(KNOT_RRTYPE_A, T.v[1], &rcode, &an), HS_EXFR_RCODE);
	ck_assert_uint_eq(rcode, KNOT_RCODE_REFUSED);
}
END_TEST

START_TEST(local_tsig)
{
	/* Wrong secret: our server answers NOTAUTH/BADSIG to the SOA query. */
	struct fres f = fetch(OURS, T.v[1], WRONGTEXT, NULL);
	ck_assert_msg(f.err == KNOT_TSIG_EBADSIG, "%s", hs_strerror(f.err));
	ck_assert_ptr_null(f.zone);
	/* Straight to the transfer, too. */
	f = fetch(OURS, NULL, WRONGTEXT, NULL);
	ck_assert_msg(f.err == KNOT_TSIG_EBADSIG, "%s", hs_strerror(f.err));
	ck_assert_int_eq(T.served_err, KNOT_TSIG_EBADSIG);
	/* Unsigned: the ACL refuses. */
	f = fetch(OURS, NULL, NULL, NULL);
	ck_assert_int_eq(f.err, HS_EXFR_RCODE);
	ck_assert_int_eq(f.rcode, KNOT_RCODE_REFUSED);
	/* Unsigned but allowed. */
	T.allow_unsigned = true;
	f = fetch(OURS, T.v[2], NULL, NULL);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_IXFR);
	hs_zone_free(f.zone);
	/* Nothing listens: a transport error. */
	struct sockaddr_storage dead;
	hs_addr_parse("127.0.0.1@1", 0, &dead);
	struct hs_xfr_fetch_opts o = { .timeout_ms = 300 };
	f = fetch((struct sockaddr *)&dead, NULL, NULL, &o);
	ck_assert_int_lt(f.err, 0);
	ck_assert_int_eq(T.releases, 2);
}
END_TEST

/* ---- NOTIFY ---- */

static struct {
	int seen;
	int answer_from;   /* answer the Nth NOTIFY and later */
	uint32_t serial;
	bool has_serial;
	bool done;
	int err;
	uint16_t rcode;
	unsigned tries;
	hs_tsig_keys_t *keys;
} N;

static void notify_handler(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	uint8_t *w = malloc(len);
	memcpy(w, msg, len);
	knot_pkt_t *q = knot_pkt_new(w, (uint16_t)len, NULL);
	ck_assert_int_eq(knot_pkt_parse(q, 0), KNOT_EOK);
	hs_tsig_ctx_t ctx;
	ck_assert_int_eq(hs_tsig_check_query(q, N.keys, &ctx), HS_EOK);
	const knot_dname_t *zone;
	uint16_t qt;
	ck_assert_int_eq(hs_xfr_notify_parse(q, &zone, &qt, &N.has_serial, &N.serial), HS_EOK);
	ck_assert(hs_dname_equal(zone, origin()));
	N.seen++;
	if (N.seen >= N.answer_from) {
		knot_pkt_t *a = knot_pkt_new(NULL, 1024, NULL);
		ck_assert_int_eq(hs_xfr_answer(a, q, KNOT_RCODE_NOERROR, &ctx), HS_EOK);
		hs_net_reply(req, a->wire, a->size);
		knot_pkt_free(a);
	} else {
		hs_net_done(req);
	}
	knot_pkt_free(q);
	free(w);
}

static void notify_cb(int err, uint16_t rcode, unsigned tries, void *arg)
{
	N.done = true;
	N.err = err;
	N.rcode = rcode;
	N.tries = tries;
}

START_TEST(notify_retries)
{
	memset(&N, 0, sizeof(N));
	N.keys = &T.keys;
	N.answer_from = 3;
	hs_net_server_t *srv = NULL;
	ck_assert_int_eq(hs_net_server_new(&T.loop, NULL, notify_handler, NULL, &srv), 0);
	struct sockaddr_storage a, bound;
	hs_addr_parse("127.0.0.1@0", 0, &a);
	ck_assert_int_eq(hs_net_server_listen(srv, (struct sockaddr *)&a, HS_NET_UDP, &bound), 0);
	knot_rrset_t soa;
	hs_zone_find(T.v[4], origin(), KNOT_RRTYPE_SOA, &soa);
	struct hs_xfr_notify_opts o = { .key = &T.keys.keys[0], .soa = &soa, .timeout_ms = 50,
	                                .retries = 4 };
	ck_assert_int_eq(hs_xfr_notify_send(&T.loop, (struct sockaddr *)&bound, origin(), &o,
	                                    notify_cb, NULL, NULL), HS_EOK);
	run_until(&N.done, 5000);
	ck_assert_msg(N.err == 0, "%s", hs_strerror(N.err));
	ck_assert_uint_eq(N.tries, 3);
	ck_assert_int_eq(N.seen, 3);
	ck_assert(N.has_serial);
	ck_assert_uint_eq(N.serial, 4);

	/* Never answered: gives up after 1 + retries tries with growing waits. */
	memset(&N, 0, sizeof(N));
	N.keys = &T.keys;
	N.answer_from = 1000;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o.retries = 2;
	ck_assert_int_eq(hs_xfr_notify_send(&T.loop, (struct sockaddr *)&bound, origin(), &o,
	                                    notify_cb, NULL, NULL), HS_EOK);
	run_until(&N.done, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_eq(N.err, KNOT_ETIMEOUT);
	ck_assert_uint_eq(N.tries, 3);
	ck_assert_int_eq(N.seen, 3);
	ck_assert_int_ge(ms, 50 + 100 + 200 - 20);
	hs_net_server_close(srv);

	/* Cancelled before the answer: the callback never runs. */
	memset(&N, 0, sizeof(N));
	hs_xfr_notify_t *n = NULL;
	ck_assert_int_eq(hs_xfr_notify_send(&T.loop, (struct sockaddr *)&bound, origin(), NULL,
	                                    notify_cb, NULL, &n), HS_EOK);
	hs_xfr_notify_cancel(n);
	uv_run(&T.loop, UV_RUN_NOWAIT);
	ck_assert(!N.done);
}
END_TEST

/* ---- kdig against our server ---- */

struct child {
	bool done;
	int64_t status;
};

static void child_exit(uv_process_t *p, int64_t status, int sig)
{
	struct child *c = p->data;
	c->done = true;
	c->status = status;
	uv_close((uv_handle_t *)p, NULL);
}

/* Run argv with stdout into *out (malloc'd text) while the loop serves. */
static int run_loop_cmd(char **argv, char **out)
{
	char path[] = "/tmp/hsync-xfrnet-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	uv_process_t proc;
	struct child c = { 0 };
	uv_stdio_container_t io[3] = {
		{ .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = fd },
		{ .flags = UV_IGNORE },
	};
	uv_process_options_t po = { .exit_cb = child_exit, .file = argv[0], .args = argv,
	                            .stdio_count = 3, .stdio = io };
	proc.data = &c;
	ck_assert_int_eq(uv_spawn(&T.loop, &proc, &po), 0);
	run_until(&c.done, 8000);
	off_t size = lseek(fd, 0, SEEK_END);
	*out = calloc(1, (size_t)size + 1);
	ck_assert_int_eq(pread(fd, *out, (size_t)size, 0), size);
	close(fd);
	return (int)c.status;
}

struct seq {
	knot_rrset_t **rr;
	size_t n, cap;
};

static int seq_cb(const knot_rrset_t *rr, void *ctx)
{
	struct seq *s = ctx;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->rr = realloc(s->rr, s->cap * sizeof(*s->rr));
	}
	s->rr[s->n++] = knot_rrset_copy(rr, NULL);
	return 0;
}

static void seq_free(struct seq *s)
{
	for (size_t i = 0; i < s->n; i++) {
		knot_rrset_free(s->rr[i], NULL);
	}
	free(s->rr);
}

static struct seq kdig_seq(const char *qtype, const char *keyopt)
{
	char port[16], at[64];
	snprintf(port, sizeof(port), "%u", hs_addr_port(OURS));
	snprintf(at, sizeof(at), "@127.0.0.1");
	char *argv[] = { "/usr/bin/kdig", at, "-p", port, "-t", (char *)qtype, ORIGIN,
	                 "+noall", "+answer", "+tcp", "-y", (char *)keyopt, NULL };
	char *out = NULL;
	ck_assert_int_eq(run_loop_cmd(argv, &out), 0);
	struct seq s = { 0 };
	char err[256] = "";
	ck_assert_msg(hs_zonefile_read_string(out, strlen(out), "kdig", ORIGIN, seq_cb, &s, err,
	                                      sizeof(err)) == HS_EOK, "%s\n%s", err, out);
	free(out);
	return s;
}

static uint32_t seq_serial(const struct seq *s, size_t i)
{
	ck_assert_uint_eq(s->rr[i]->type, KNOT_RRTYPE_SOA);
	return knot_soa_serial(s->rr[i]->rrs.rdata);
}

START_TEST(kdig_from_us)
{
	const char *key = "hmac-sha256:xfr-key:" SECRET;
	/* AXFR: SOA first and last, the rest is the zone. */
	struct seq s = kdig_seq("AXFR", key);
	ck_assert_uint_eq(s.n, hs_zone_count(T.v[4]) + 1);
	ck_assert_uint_eq(seq_serial(&s, 0), 4);
	ck_assert_uint_eq(seq_serial(&s, s.n - 1), 4);
	hs_zone_t *z = NULL;
	hs_zone_new(origin(), KNOT_CLASS_IN, &z);
	for (size_t i = 0; i < s.n; i++) {
		hs_zone_add(z, s.rr[i], NULL);
	}
	ck_assert(hs_zone_equal(z, T.v[4]));
	hs_zone_free(z);
	seq_free(&s);

	/* IXFR=1: SOA 4, then 1 (-) 2 (+) 2 (-) 3 (+) 3 (-) 4 (+), then SOA 4;
	 * applied to version 1 it gives version 4. */
	s = kdig_seq("IXFR=1", key);
	uint32_t soas[] = { 4, 1, 2, 2, 3, 3, 4, 4 };
	size_t k = 0;
	hs_zone_t *w = NULL;
	hs_zone_copy(T.v[1], &w);
	bool adding = false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.rr[i]->type == KNOT_RRTYPE_SOA) {
			ck_assert_uint_lt(k, 8);
			ck_assert_uint_eq(seq_serial(&s, i), soas[k]);
			if (k >= 1 && k <= 6) {
				adding = (k % 2) == 0;
				if (adding) {
					ck_assert_int_eq(hs_zone_replace(w, s.rr[i]), HS_EOK);
				}
			}
			k++;
			continue;
		}
		if (adding) {
			ck_assert_int_eq(hs_zone_add(w, s.rr[i], NULL), HS_EOK);
		} else {
			ck_assert_int_eq(hs_zone_remove(w, s.rr[i]), HS_EOK);
		}
	}
	ck_assert_uint_eq(k, 8);
	ck_assert(hs_zone_equal(w, T.v[4]));
	hs_zone_free(w);
	seq_free(&s);

	/* IXFR=4: up to date, the SOA alone. */
	s = kdig_seq("IXFR=4", key);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(seq_serial(&s, 0), 4);
	seq_free(&s);

	/* Unsigned: refused (kdig exits non-zero, nothing transferred). */
	char port[16];
	snprintf(port, sizeof(port), "%u", hs_addr_port(OURS));
	char *argv[] = { "/usr/bin/kdig", "@127.0.0.1", "-p", port, "-t", "AXFR", ORIGIN,
	                 "+noall", "+answer", NULL };
	char *out = NULL;
	run_loop_cmd(argv, &out);
	ck_assert_ptr_null(strstr(out, "SOA"));
	free(out);
	ck_assert_int_eq(T.served_err, HS_EXFR_RCODE);
}
END_TEST

/* ---- knotd as the primary ---- */

static struct {
	char dir[64];
	char conf[128];
	pid_t pid;
	uint16_t port;
	char *text;           /* the zone file */
} K;

/* base followed by n names with an A and a TXT each (several messages). */
static char *zone_plus(const char *base, size_t n)
{
	size_t cap = strlen(base) + n * 80 + 1;
	char *t = malloc(cap);
	size_t off = (size_t)snprintf(t, cap, "%s", base);
	for (size_t i = 0; i < n; i++) {
		off += (size_t)snprintf(t + off, cap - off, "host%zu A 10.1.%zu.%zu\nhost%zu TXT \"filler %zu\"\n",
		                        i, (i >> 8) & 255, i & 255, i, i);
	}
	return t;
}

static const char KZONE[] =
	"$ORIGIN example.com.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
	"@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n"
	"www A 192.0.2.10\nwww AAAA 2001:db8::10\nold TXT \"going\"\n"
	"mail MX 10 mx.example.net.\n"
	"hsync TYPE65282 \\# 41 010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200\n";

static uint16_t free_port(void)
{
	for (;;) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		bind(s, (struct sockaddr *)&a, sizeof(a));
		socklen_t l = sizeof(a);
		getsockname(s, (struct sockaddr *)&a, &l);
		close(s);
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		int ok = bind(u, (struct sockaddr *)&a, sizeof(a));
		close(u);
		if (ok == 0) {
			return ntohs(a.sin_port);
		}
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int run_cmd(char **argv)
{
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret != 0) {
		return -1;
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void knotc(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
	char *argv[] = { "/usr/sbin/knotc", "-c", K.conf, (char *)a1, (char *)a2, (char *)a3,
	                 (char *)a4, (char *)a5, NULL };
	ck_assert_int_eq(run_cmd(argv), 0);
}

static void knotd_start(void)
{
	memset(&K, 0, sizeof(K));
	snprintf(K.dir, sizeof(K.dir), "/tmp/hsync-xfr-knotd-XXXXXX");
	if (mkdtemp(K.dir) == NULL) {
		abort();
	}
	K.port = free_port();
	char path[256], conf[4096];
	snprintf(path, sizeof(path), "%s/example.com.zone", K.dir);
	K.text = zone_plus(KZONE, 2000);
	write_file(path, K.text);
	snprintf(conf, sizeof(conf),
	         "server:\n    rundir: \"%s\"\n    listen: 127.0.0.1@%u\n"
	         "control:\n    listen: \"%s/knot.sock\"\n"
	         "database:\n    storage: \"%s\"\n"
	         "log:\n  - target: stderr\n    any: warning\n"
	         "key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: " SECRET "\n"
	         "acl:\n  - id: xfr\n    key: xfr-key\n    action: transfer\n"
	         "template:\n  - id: default\n    storage: \"%s\"\n    zonefile-sync: -1\n"
	         "    journal-content: changes\n"
	         "zone:\n  - domain: example.com\n    file: example.com.zone\n    acl: xfr\n",
	         K.dir, K.port, K.dir, K.dir, K.dir);
	snprintf(K.conf, sizeof(K.conf), "%s/knot.conf", K.dir);
	write_file(K.conf, conf);
	char *argv[] = { "/usr/sbin/knotd", "-c", K.conf, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	snprintf(path, sizeof(path), "%s/knotd.log", K.dir);
	posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&K.pid, argv[0], &fa, NULL, argv, environ) != 0) {
		K.pid = 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	/* Ready when the control socket answers and the zone is loaded. */
	char *st[] = { "/usr/sbin/knotc", "-c", K.conf, "zone-read", "example.com", "@", "SOA", NULL };
	for (int i = 0; i < 100 && K.pid > 0; i++) {
		if (run_cmd(st) == 0) {
			break;
		}
		usleep(50000);
	}
}

static void knotd_stop(void)
{
	if (K.pid > 0) {
		kill(K.pid, SIGTERM);
		int st;
		for (int i = 0; i < 50 && waitpid(K.pid, &st, WNOHANG) == 0; i++) {
			usleep(50000);
		}
		if (waitpid(K.pid, &st, WNOHANG) == 0) {
			kill(K.pid, SIGKILL);
			waitpid(K.pid, &st, 0);
		}
		K.pid = 0;
	}
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", K.dir);
	if (strncmp(K.dir, "/tmp/hsync-xfr-knotd-", 21) == 0 && system(cmd) != 0) {
		/* left behind; harmless */
	}
	free(K.text);
	K.text = NULL;
}

START_TEST(knotd_primary)
{
	ck_assert_int_gt(K.pid, 0);
	struct sockaddr_storage ka;
	char at[32];
	snprintf(at, sizeof(at), "127.0.0.1@%u", K.port);
	ck_assert_int_eq(hs_addr_parse(at, 53, &ka), 0);
	const struct sockaddr *knot = (const struct sockaddr *)&ka;

	/* AXFR, TSIG-signed by knotd, equals the zone file. */
	struct fres f = fetch(knot, NULL, KEYTEXT, NULL);
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert_int_ge(f.messages, 2);
	hs_zone_t *file = zone_text(K.text);
	ck_assert(hs_zone_equal(f.zone, file));
	hs_zone_t *v1 = f.zone;

	/* Up to date. */
	f = fetch(knot, v1, KEYTEXT, NULL);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_UPTODATE);

	/* Two changes through knotc: serial 2, then 3. */
	knotc("zone-begin", "example.com", NULL, NULL, NULL);
	char *set[] = { "/usr/sbin/knotc", "-c", K.conf, "zone-set", "example.com", "new", "300", "A",
	                "192.0.2.99", NULL };
	ck_assert_int_eq(run_cmd(set), 0);
	knotc("zone-unset", "example.com", "old", "TXT", NULL);
	knotc("zone-commit", "example.com", NULL, NULL, NULL);
	knotc("zone-begin", "example.com", NULL, NULL, NULL);
	knotc("zone-unset", "example.com", "www", "AAAA", NULL);
	knotc("zone-commit", "example.com", NULL, NULL, NULL);

	f = fetch(knot, v1, KEYTEXT, NULL);
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert_int_eq(f.kind, HS_XFR_IXFR);
	ck_assert_uint_ge(f.nd, 1);
	ck_assert_uint_eq(f.serial, 3);
	hs_zone_t *v3 = f.zone;
	knot_rrset_t rr;
	knot_dname_t *n = knot_dname_from_str_alloc("new.example.com.");
	ck_assert_int_eq(hs_zone_find(v3, n, KNOT_RRTYPE_A, &rr), HS_EOK);
	knot_dname_free(n, NULL);
	n = knot_dname_from_str_alloc("www.example.com.");
	ck_assert_int_eq(hs_zone_find(v3, n, KNOT_RRTYPE_AAAA, &rr), HS_ENOTFOUND);
	knot_dname_free(n, NULL);
	/* The IXFR result equals a fresh AXFR of serial 3. */
	struct hs_xfr_fetch_opts ax = { .axfr_only = true };
	f = fetch(knot, v1, KEYTEXT, &ax);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert(hs_zone_equal(f.zone, v3));
	hs_zone_free(f.zone);
	/* One step from 2 as well (knotd's journal keeps each change). */
	hs_zone_t *v2 = NULL;
	hs_zone_copy(v1, &v2);
	set_serial(v2, 2);
	put_text(v2, "new 300 A 192.0.2.99\n");
	n = knot_dname_from_str_alloc("old.example.com.");
	hs_zone_remove_rrset(v2, n, KNOT_RRTYPE_TXT);
	knot_dname_free(n, NULL);
	f = fetch(knot, v2, KEYTEXT, NULL);
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert_int_eq(f.kind, HS_XFR_IXFR);
	ck_assert_uint_eq(f.nd, 1);
	ck_assert(hs_zone_equal(f.zone, v3));
	hs_zone_free(f.zone);

	/* Wrong secret and no TSIG: refused, nothing taken. */
	f = fetch(knot, NULL, WRONGTEXT, NULL);
	ck_assert_msg(f.err == KNOT_TSIG_EBADSIG || f.err == KNOT_TSIG_EBADKEY, "%s",
	              hs_strerror(f.err));
	ck_assert_ptr_null(f.zone);
	f = fetch(knot, NULL, NULL, NULL);
	ck_assert_int_eq(f.err, HS_EXFR_RCODE);
	ck_assert_ptr_null(f.zone);

	hs_zone_free(v1);
	hs_zone_free(v2);
	hs_zone_free(v3);
	hs_zone_free(file);
}
END_TEST

static void nap_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static void nap(unsigned ms)
{
	bool done = false;
	uv_timer_t t;
	uv_timer_init(&T.loop, &t);
	t.data = &done;
	uv_timer_start(&t, nap_cb, ms, 0);
	run_until(&done, ms + 1000);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&T.loop, UV_RUN_NOWAIT);
}

/* ---- nsd as the primary ---- */

static struct {
	char dir[64];
	pid_t pid;
	uint16_t port;
	char *text;
} D;

static void nsd_start(void)
{
	memset(&D, 0, sizeof(D));
	snprintf(D.dir, sizeof(D.dir), "/tmp/hsync-xfr-nsd-XXXXXX");
	if (mkdtemp(D.dir) == NULL) {
		abort();
	}
	D.port = free_port();
	char path[128], conf[2048];
	D.text = zone_plus(KZONE, 2000);
	snprintf(path, sizeof(path), "%s/example.com.zone", D.dir);
	write_file(path, D.text);
	snprintf(conf, sizeof(conf),
	         "server:\n    ip-address: 127.0.0.1@%u\n    zonesdir: \"%s\"\n    database: \"\"\n"
	         "    pidfile: \"%s/nsd.pid\"\n    xfrdfile: \"%s/xfrd.state\"\n"
	         "    zonelistfile: \"%s/zone.list\"\n    username: \"\"\n    chroot: \"\"\n"
	         "    logfile: \"%s/nsd.log\"\n"
	         "remote-control:\n    control-enable: no\n"
	         "key:\n    name: xfr-key\n    algorithm: hmac-sha256\n    secret: \"" SECRET "\"\n"
	         "zone:\n    name: example.com\n    zonefile: example.com.zone\n"
	         "    provide-xfr: 127.0.0.1 xfr-key\n    store-ixfr: yes\n    create-ixfr: yes\n",
	         D.port, D.dir, D.dir, D.dir, D.dir, D.dir);
	snprintf(path, sizeof(path), "%s/nsd.conf", D.dir);
	write_file(path, conf);
	char *argv[] = { "/usr/sbin/nsd", "-d", "-c", path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&D.pid, argv[0], &fa, NULL, argv, environ) != 0) {
		D.pid = 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	/* Ready when it answers on TCP. */
	for (int i = 0; i < 100 && D.pid > 0; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(D.port),
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
		if (ok == 0) {
			break;
		}
		usleep(50000);
	}
}

static void nsd_stop(void)
{
	if (D.pid > 0) {
		kill(D.pid, SIGTERM);
		int st;
		for (int i = 0; i < 50 && waitpid(D.pid, &st, WNOHANG) == 0; i++) {
			usleep(50000);
		}
		if (waitpid(D.pid, &st, WNOHANG) == 0) {
			kill(D.pid, SIGKILL);
			waitpid(D.pid, &st, 0);
		}
	}
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", D.dir);
	if (strncmp(D.dir, "/tmp/hsync-xfr-nsd-", 19) == 0 && system(cmd) != 0) {
		/* left behind; harmless */
	}
	free(D.text);
	D.text = NULL;
}

START_TEST(nsd_primary)
{
	ck_assert_int_gt(D.pid, 0);
	struct sockaddr_storage da;
	char at[32];
	snprintf(at, sizeof(at), "127.0.0.1@%u", D.port);
	hs_addr_parse(at, 53, &da);
	const struct sockaddr *nsd = (const struct sockaddr *)&da;
	/* AXFR, several messages, TSIG-signed by nsd. */
	struct fres f = fetch(nsd, NULL, KEYTEXT, NULL);
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert_int_eq(f.kind, HS_XFR_AXFR);
	ck_assert_int_ge(f.messages, 2);
	hs_zone_t *file = zone_text(D.text);
	ck_assert(hs_zone_equal(f.zone, file));
	hs_zone_t *v1 = f.zone;
	/* New zone file (serial 2, one record out, one in), reload with SIGHUP:
	 * nsd makes the IXFR from the difference (create-ixfr). */
	char *t2 = strdup(D.text);
	char *soa = strstr(t2, "hostmaster 1 ");
	ck_assert_ptr_nonnull(soa);
	soa[11] = '2';
	char *old = strstr(t2, "old TXT \"going\"");
	ck_assert_ptr_nonnull(old);
	memcpy(old, "new A 10.9.9.99", 15);  /* same length, so nothing moves */
	char path[128];
	snprintf(path, sizeof(path), "%s/example.com.zone", D.dir);
	write_file(path, t2);
	hs_zone_t *want = zone_text(t2);
	free(t2);
	ck_assert_int_eq(kill(D.pid, SIGHUP), 0);
	for (int i = 0; i < 80; i++) {
		f = fetch(nsd, v1, KEYTEXT, NULL);
		if (f.err != 0 || f.kind != HS_XFR_UPTODATE) {
			break;
		}
		nap(100);
	}
	ck_assert_msg(f.err == 0, "%s", hs_strerror(f.err));
	ck_assert_int_eq(f.kind, HS_XFR_IXFR);
	ck_assert_uint_eq(f.nd, 1);
	ck_assert(hs_zone_equal(f.zone, want));
	hs_zone_free(f.zone);
	hs_zone_free(want);
	hs_zone_free(v1);
	hs_zone_free(file);
}
END_TEST

/* ---- named as a secondary of our server ---- */

static struct {
	char dir[64];
	uint16_t port;        /* named */
	uint16_t ours;        /* our server, fixed so named.conf can name it */
} B;

static void named_prepare(void)
{
	memset(&B, 0, sizeof(B));
	snprintf(B.dir, sizeof(B.dir), "/tmp/hsync-xfr-named-XXXXXX");
	if (mkdtemp(B.dir) == NULL) {
		abort();
	}
	B.port = free_port();
	do {
		B.ours = free_port();
	} while (B.ours == B.port);
	char conf[2048], path[128];
	snprintf(conf, sizeof(conf),
	         "options {\n\tdirectory \"%s\";\n\tlisten-on port %u { 127.0.0.1; };\n"
	         "\tlisten-on-v6 { none; };\n\tpid-file none;\n\trecursion no;\n\tnotify no;\n"
	         "\tdnssec-validation no;\n};\n"
	         "key \"xfr-key\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
	         "controls { };\n"
	         "zone \"example.com\" {\n\ttype secondary;\n\tfile \"example.com.bk\";\n"
	         "\tprimaries { 127.0.0.1 port %u key xfr-key; };\n"
	         "\tallow-transfer { key xfr-key; };\n};\n",
	         B.dir, B.port, B.ours);
	snprintf(path, sizeof(path), "%s/named.conf", B.dir);
	write_file(path, conf);
}

/* named is started by the test itself (after our server listens) and its
 * PID kept in a file, so this teardown, in the parent, stops it whatever
 * happened in the test. */
static void named_cleanup(void)
{
	char path[128], cmd[200];
	snprintf(path, sizeof(path), "%s/named.pid.test", B.dir);
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1) {
			pid = 0;
		}
		fclose(f);
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 50 && kill(pid, 0) == 0; i++) {
			usleep(50000);
		}
		kill(pid, SIGKILL);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", B.dir);
	if (strncmp(B.dir, "/tmp/hsync-xfr-named-", 21) == 0 && system(cmd) != 0) {
		/* left behind; harmless */
	}
}

static pid_t named_spawn(void)
{
	char conf[128], log[128], pidf[128];
	snprintf(conf, sizeof(conf), "%s/named.conf", B.dir);
	snprintf(log, sizeof(log), "%s/named.log", B.dir);
	snprintf(pidf, sizeof(pidf), "%s/named.pid.test", B.dir);
	char *argv[] = { "/usr/sbin/named", "-g", "-c", conf, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid = 0;
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	char buf[32];
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	write_file(pidf, buf);
	return pid;
}

/* AXFR from a secondary (named, knotd) until it serves serial want; returns the zone. */
static hs_zone_t *named_wait(const struct sockaddr *named, uint32_t want)
{
	for (int i = 0; i < 80; i++) {
		struct hs_xfr_fetch_opts o = { .timeout_ms = 500 };
		struct fres f = fetch(named, NULL, KEYTEXT, &o);
		if (f.err == 0) {
			uint32_t s = 0;
			hs_zone_soa_serial(f.zone, &s);
			if (s == want) {
				return f.zone;
			}
			hs_zone_free(f.zone);
		}
		nap(100);
	}
	ck_abort_msg("named did not reach serial %u", want);
	return NULL;
}

START_TEST(named_secondary)
{
	/* Our server on the port named.conf names. */
	hs_net_server_close(T.net);
	ck_assert_int_eq(hs_net_server_new(&T.loop, NULL, hs_xfr_server_handler, T.xs, &T.net), 0);
	char at[32];
	snprintf(at, sizeof(at), "127.0.0.1@%u", B.ours);
	struct sockaddr_storage a, na;
	hs_addr_parse(at, 53, &a);
	ck_assert_int_eq(hs_net_server_listen(T.net, (struct sockaddr *)&a, HS_NET_UDP | HS_NET_TCP,
	                                      &T.addr), 0);
	snprintf(at, sizeof(at), "127.0.0.1@%u", B.port);
	hs_addr_parse(at, 53, &na);
	const struct sockaddr *named = (const struct sockaddr *)&na;

	/* Version 2 first: named loads it by AXFR. */
	T.serve = 2;
	named_spawn();
	hs_zone_t *z = named_wait(named, 2);
	ck_assert(hs_zone_equal(z, T.v[2]));
	hs_zone_free(z);
	ck_assert_int_eq(T.served_kind, HS_XFR_AXFR);

	/* Version 4, and a NOTIFY: named asks for the SOA, then IXFR from 2. */
	T.serve = 4;
	memset(&N, 0, sizeof(N));
	knot_rrset_t soa;
	hs_zone_find(T.v[4], origin(), KNOT_RRTYPE_SOA, &soa);
	struct hs_xfr_notify_opts o = { .key = &T.keys.keys[0], .soa = &soa, .timeout_ms = 300,
	                                .retries = 5 };
	ck_assert_int_eq(hs_xfr_notify_send(&T.loop, named, origin(), &o, notify_cb, NULL, NULL),
	                 HS_EOK);
	run_until(&N.done, 8000);
	ck_assert_msg(N.err == 0, "%s", hs_strerror(N.err));
	z = named_wait(named, 4);
	ck_assert(hs_zone_equal(z, T.v[4]));
	hs_zone_free(z);
	ck_assert_int_eq(T.served_kind, HS_XFR_IXFR);
}
END_TEST

/* ---- knotd as a secondary of our server (as the signer follows combinerd) ---- */

static struct {
	char dir[64];
	uint16_t port;        /* knotd */
	uint16_t ours;        /* our server */
} S;

static void ksec_prepare(void)
{
	memset(&S, 0, sizeof(S));
	snprintf(S.dir, sizeof(S.dir), "/tmp/hsync-xfr-ksec-XXXXXX");
	if (mkdtemp(S.dir) == NULL) {
		abort();
	}
	S.port = free_port();
	do {
		S.ours = free_port();
	} while (S.ours == S.port);
	char conf[4096], path[128];
	snprintf(conf, sizeof(conf),
	         "server:\n    rundir: \"%s\"\n    listen: 127.0.0.1@%u\n"
	         "database:\n    storage: \"%s\"\n"
	         "log:\n  - target: stderr\n    any: info\n"
	         "key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: " SECRET "\n"
	         "remote:\n  - id: combiner\n    address: 127.0.0.1@%u\n    key: xfr-key\n"
	         "acl:\n  - id: from-combiner\n    address: 127.0.0.1\n    key: xfr-key\n"
	         "    action: notify\n"
	         "  - id: xfr\n    key: xfr-key\n    action: transfer\n"
	         "template:\n  - id: default\n    storage: \"%s\"\n    zonefile-sync: -1\n"
	         "    zonefile-load: none\n    journal-content: all\n"
	         "zone:\n  - domain: example.com\n    master: combiner\n"
	         "    acl: [ from-combiner, xfr ]\n",
	         S.dir, S.port, S.dir, S.ours, S.dir);
	snprintf(path, sizeof(path), "%s/knot.conf", S.dir);
	write_file(path, conf);
}

static void ksec_cleanup(void)
{
	char path[128], cmd[200];
	snprintf(path, sizeof(path), "%s/knotd.pid.test", S.dir);
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1) {
			pid = 0;
		}
		fclose(f);
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 50 && kill(pid, 0) == 0; i++) {
			usleep(50000);
		}
		kill(pid, SIGKILL);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", S.dir);
	if (strncmp(S.dir, "/tmp/hsync-xfr-ksec-", 20) == 0 && system(cmd) != 0) {
		/* left behind; harmless */
	}
}

START_TEST(knotd_secondary)
{
	hs_net_server_close(T.net);
	ck_assert_int_eq(hs_net_server_new(&T.loop, NULL, hs_xfr_server_handler, T.xs, &T.net), 0);
	char at[32];
	snprintf(at, sizeof(at), "127.0.0.1@%u", S.ours);
	struct sockaddr_storage a, ka;
	hs_addr_parse(at, 53, &a);
	ck_assert_int_eq(hs_net_server_listen(T.net, (struct sockaddr *)&a, HS_NET_UDP | HS_NET_TCP,
	                                      &T.addr), 0);
	snprintf(at, sizeof(at), "127.0.0.1@%u", S.port);
	hs_addr_parse(at, 53, &ka);
	const struct sockaddr *knot = (const struct sockaddr *)&ka;

	/* Version 2 first: knotd bootstraps it by AXFR. */
	T.serve = 2;
	char conf[128], log[128], pidf[128];
	snprintf(conf, sizeof(conf), "%s/knot.conf", S.dir);
	snprintf(log, sizeof(log), "%s/knotd.log", S.dir);
	snprintf(pidf, sizeof(pidf), "%s/knotd.pid.test", S.dir);
	char *argv[] = { "/usr/sbin/knotd", "-c", conf, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid = 0;
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	char buf[32];
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	write_file(pidf, buf);

	hs_zone_t *z = named_wait(knot, 2);
	ck_assert(hs_zone_equal(z, T.v[2]));
	hs_zone_free(z);
	ck_assert_int_eq(T.served_kind, HS_XFR_AXFR);

	/* Version 4 and a NOTIFY: knotd follows by IXFR. */
	T.serve = 4;
	memset(&N, 0, sizeof(N));
	knot_rrset_t soa;
	hs_zone_find(T.v[4], origin(), KNOT_RRTYPE_SOA, &soa);
	struct hs_xfr_notify_opts o = { .key = &T.keys.keys[0], .soa = &soa, .timeout_ms = 300,
	                                .retries = 5 };
	ck_assert_int_eq(hs_xfr_notify_send(&T.loop, knot, origin(), &o, notify_cb, NULL, NULL),
	                 HS_EOK);
	run_until(&N.done, 8000);
	ck_assert_msg(N.err == 0, "%s (rcode %u)", hs_strerror(N.err), N.rcode);
	z = named_wait(knot, 4);
	ck_assert(hs_zone_equal(z, T.v[4]));
	hs_zone_free(z);
	ck_assert_int_eq(T.served_kind, HS_XFR_IXFR);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xfrnet");
	TCase *t = tcase_create("local");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, local_axfr_ixfr);
	tcase_add_test(t, local_ixfr_deltas_only);
	tcase_add_test(t, local_udp);
	tcase_add_test(t, local_tsig);
	tcase_add_test(t, notify_retries);
	tcase_add_test(t, kdig_from_us);
	suite_add_tcase(s, t);
	TCase *k = tcase_create("knotd");
	tcase_add_unchecked_fixture(k, knotd_start, knotd_stop);
	tcase_add_checked_fixture(k, setup, teardown);
	tcase_set_timeout(k, 30);
	tcase_add_test(k, knotd_primary);
	suite_add_tcase(s, k);
	TCase *d = tcase_create("nsd");
	tcase_add_unchecked_fixture(d, nsd_start, nsd_stop);
	tcase_add_checked_fixture(d, setup, teardown);
	tcase_set_timeout(d, 30);
	tcase_add_test(d, nsd_primary);
	suite_add_tcase(s, d);
	TCase *ks = tcase_create("knotd-secondary");
	tcase_add_unchecked_fixture(ks, ksec_prepare, ksec_cleanup);
	tcase_add_checked_fixture(ks, setup, teardown);
	tcase_set_timeout(ks, 30);
	tcase_add_test(ks, knotd_secondary);
	suite_add_tcase(s, ks);
	TCase *b = tcase_create("named");
	tcase_add_unchecked_fixture(b, named_prepare, named_cleanup);
	tcase_add_checked_fixture(b, setup, teardown);
	tcase_set_timeout(b, 30);
	tcase_add_test(b, named_secondary);
	suite_add_tcase(s, b);
	return s;
}

HS_TEST_MAIN()
