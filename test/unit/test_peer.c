/* Unit tests for agentd/peer.c: states with an injected clock, backoff, state file. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "agentd/peer.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "test/unit/unit.h"

#define T0 1700000000

static knot_dname_t *dname(const char *s)
{
	knot_dname_t *d = knot_dname_from_str_alloc(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static hs_key_t *load_key(const char *stem)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", hs_testdata(stem));
	hs_key_t *k = NULL;
	char why[HS_KEY_WHY_SIZE];
	ck_assert_msg(hs_key_load_public(path, &k, why, sizeof(why)) == 0, "%s", why);
	return k;
}

/* A discovery result for host.b.example:5300, 192.0.2.1 and 2001:db8::1, with KEYSTEM. */
static void make_result(hs_disc_result_t *r, const char *keystem)
{
	memset(r, 0, sizeof(*r));
	knot_dname_t *id = dname("agent.b.example.");
	knot_dname_t *host = dname("host.b.example.");
	memcpy(r->identity, id, knot_dname_size(id));
	memcpy(r->host, host, knot_dname_size(host));
	free(id);
	free(host);
	r->port = 5300;
	struct sockaddr_in *a = (struct sockaddr_in *)&r->addrs[0];
	a->sin_family = AF_INET;
	a->sin_port = htons(5300);
	inet_pton(AF_INET, "192.0.2.1", &a->sin_addr);
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r->addrs[1];
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(5300);
	inet_pton(AF_INET6, "2001:db8::1", &a6->sin6_addr);
	r->naddrs = 2;
	r->keys[0] = load_key(keystem);
	r->nkeys = 1;
}

static void free_result(hs_disc_result_t *r)
{
	for (size_t i = 0; i < r->nkeys; i++) {
		hs_key_free(r->keys[i]);
	}
}

#define KEY_B "sig0-keys/Ksig0.example.+015+19511.key"
#define KEY_OTHER "sig0-keys/Kother.example.+015+24743.key"

/* A table with one peer for agent.b.example. in zone example., brought to STATE. */
static hs_peer_t *peer_to(hs_peers_t **ps, hs_peer_state_t state, time_t now)
{
	ck_assert_int_eq(hs_peers_new(NULL, ps), 0);
	knot_dname_t *id = dname("agent.b.example.");
	hs_peer_t *p = NULL;
	ck_assert_int_eq(hs_peers_add(*ps, id, "example.", now, &p), 0);
	free(id);
	if (state == HS_PEER_NEEDED) {
		return p;
	}
	hs_disc_result_t r;
	make_result(&r, KEY_B);
	ck_assert_int_eq(hs_peer_discovered(p, &r, now), 1);
	free_result(&r);
	if (state == HS_PEER_KNOWN) {
		return p;
	}
	ck_assert_int_eq(hs_peer_hello_sent(p, now), 0);
	ck_assert_int_eq(hs_peer_hello_answered(p, now), 1);
	if (state == HS_PEER_INTRODUCED) {
		return p;
	}
	ck_assert_int_eq(hs_peer_heartbeat_received(p, now), 1);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	return p;
}

START_TEST(names)
{
	ck_assert_str_eq(hs_peer_state_name(HS_PEER_NEEDED), "NEEDED");
	ck_assert_str_eq(hs_peer_state_name(HS_PEER_INTERRUPTED), "INTERRUPTED");
	ck_assert_str_eq(hs_peer_state_name((hs_peer_state_t)99), "?");
	hs_peer_state_t s;
	ck_assert_int_eq(hs_peer_state_parse("operational", &s), 0);
	ck_assert_int_eq(s, HS_PEER_OPERATIONAL);
	ck_assert_int_eq(hs_peer_state_parse("FRIENDLY", &s), HS_EINVAL);
}
END_TEST

START_TEST(timers_checked)
{
	hs_peers_t *ps = NULL;
	hs_peer_timers_t t = { .degraded = 10, .interrupted = 10 };
	ck_assert_int_eq(hs_peers_new(&t, &ps), HS_EINVAL);
	t = (hs_peer_timers_t){ .backoff_min = 100, .backoff_max = 10 };
	ck_assert_int_eq(hs_peers_new(&t, &ps), HS_EINVAL);
	t = (hs_peer_timers_t){ .jitter = 51 };
	ck_assert_int_eq(hs_peers_new(&t, &ps), HS_EINVAL);
	t = (hs_peer_timers_t){ .heartbeat = 7 };
	ck_assert_int_eq(hs_peers_new(&t, &ps), 0);
	ck_assert_uint_eq(ps->timers.heartbeat, 7);
	ck_assert_uint_eq(ps->timers.degraded, 2);
	ck_assert_uint_eq(ps->timers.interrupted, 10);
	hs_peers_free(ps);
	hs_peers_free(NULL);
}
END_TEST

START_TEST(happy_states)
{
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_NEEDED, T0);
	ck_assert_int_eq(p->state, HS_PEER_NEEDED);
	ck_assert_str_eq(p->name, "agent.b.example.");
	ck_assert_int_eq(hs_peer_tick(p, T0), HS_PEER_DO_DISCOVER);
	ck_assert_int_eq(hs_peer_discovery_started(p, T0), 0);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 100), 0);   /* no second discovery while one runs */
	ck_assert_int_eq(hs_peer_next_time(p), 0);
	/* nothing from a NEEDED peer can be verified: ignored */
	ck_assert_int_eq(hs_peer_heartbeat_received(p, T0), 0);
	ck_assert_int_eq(p->last_contact, 0);

	hs_disc_result_t r;
	make_result(&r, KEY_B);
	ck_assert_int_eq(hs_peer_discovered(p, &r, T0 + 1), 1);
	ck_assert_int_eq(p->state, HS_PEER_KNOWN);
	ck_assert_int_eq(p->since, T0 + 1);
	ck_assert_uint_eq(p->nkeys, 1);
	ck_assert_uint_eq(p->keys[0]->keytag, 19511);
	ck_assert_mem_eq(p->keys[0]->owner, "\x04host\x01" "b\x07" "example", 16);
	ck_assert_uint_eq(p->port, 5300);
	ck_assert_uint_eq(p->naddrs, 2);
	/* the peer copied: the result can go */
	free_result(&r);

	ck_assert_int_eq(hs_peer_tick(p, T0 + 1), HS_PEER_DO_HELLO);
	hs_peer_hello_sent(p, T0 + 1);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 2), 0);
	ck_assert_int_eq(hs_peer_next_time(p), T0 + 11);
	ck_assert_int_eq(hs_peer_hello_answered(p, T0 + 2), 1);
	ck_assert_int_eq(p->state, HS_PEER_INTRODUCED);
	ck_assert_int_eq(p->last_contact, T0 + 2);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 2), HS_PEER_DO_HEARTBEAT);
	hs_peer_heartbeat_sent(p, T0 + 2);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 3), 0);
	ck_assert_int_eq(hs_peer_heartbeat_answered(p, T0 + 3), 1);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	ck_assert_int_eq(hs_peer_heartbeat_received(p, T0 + 4), 0);   /* no change */
	ck_assert_int_eq(p->last_contact, T0 + 4);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 32), HS_PEER_DO_HEARTBEAT);
	hs_peers_free(ps);
}
END_TEST

START_TEST(degraded_interrupted_recover)
{
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_OPERATIONAL, T0);
	hs_peer_heartbeat_sent(p, T0);
	/* heartbeat 30 s: 2 intervals = 60 s, 10 = 300 s */
	ck_assert_int_eq(hs_peer_next_time(p), T0 + 30);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 59) & HS_PEER_CHANGED, 0);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	int a = hs_peer_tick(p, T0 + 60);
	ck_assert_int_eq(a, HS_PEER_CHANGED | HS_PEER_DO_HEARTBEAT);
	ck_assert_int_eq(p->state, HS_PEER_DEGRADED);
	ck_assert_int_eq(p->since, T0 + 60);
	ck_assert_str_eq(p->reason, "unheard for 60s (2 heartbeat intervals)");
	hs_peer_heartbeat_sent(p, T0 + 60);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 61), 0);   /* no second change */
	ck_assert_int_eq(hs_peer_next_time(p), T0 + 90);

	/* heard again: back to OPERATIONAL */
	ck_assert_int_eq(hs_peer_heartbeat_received(p, T0 + 70), 1);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	ck_assert_str_eq(p->reason, "");

	/* then silence: DEGRADED at +60, INTERRUPTED at +300 */
	hs_peer_tick(p, T0 + 130);
	ck_assert_int_eq(p->state, HS_PEER_DEGRADED);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 369) & HS_PEER_CHANGED, 0);
	ck_assert_int_eq(p->state, HS_PEER_DEGRADED);
	ck_assert_int_eq(hs_peer_next_time(p), T0 + 90);   /* heartbeat still due */
	hs_peer_heartbeat_sent(p, T0 + 369);
	ck_assert_int_eq(hs_peer_next_time(p), T0 + 370);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 370) & HS_PEER_CHANGED, HS_PEER_CHANGED);
	ck_assert_int_eq(p->state, HS_PEER_INTERRUPTED);
	ck_assert_str_eq(p->reason, "unheard for 300s (10 heartbeat intervals)");
	ck_assert_int_eq(hs_peer_tick(p, T0 + 1000) & HS_PEER_CHANGED, 0);
	ck_assert_int_eq(p->state, HS_PEER_INTERRUPTED);
	/* heartbeats are still sent to an interrupted peer */
	ck_assert_int_eq(hs_peer_tick(p, T0 + 1000), HS_PEER_DO_HEARTBEAT);

	/* its HELLO (it restarted) counts as heard */
	ck_assert_int_eq(hs_peer_hello_received(p, T0 + 1001), 1);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);

	/* a jump straight past 10 intervals goes to INTERRUPTED directly */
	ck_assert_int_eq(hs_peer_tick(p, T0 + 1001 + 400) & HS_PEER_CHANGED, HS_PEER_CHANGED);
	ck_assert_int_eq(p->state, HS_PEER_INTERRUPTED);

	/* INTRODUCED but never a heartbeat: DEGRADED too */
	hs_peers_free(ps);
	p = peer_to(&ps, HS_PEER_INTRODUCED, T0);
	hs_peer_tick(p, T0 + 60);
	ck_assert_int_eq(p->state, HS_PEER_DEGRADED);
	hs_peers_free(ps);
}
END_TEST

START_TEST(heartbeat_refused_reintroduces)
{
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_OPERATIONAL, T0);
	ck_assert_int_eq(hs_peer_heartbeat_refused(p, "answered REFUSED", T0 + 5), 1);
	ck_assert_int_eq(p->state, HS_PEER_KNOWN);
	ck_assert_str_eq(p->reason, "HEARTBEAT answered REFUSED: peer lost the channel; introducing again");
	ck_assert_int_eq(hs_peer_tick(p, T0 + 5), HS_PEER_DO_HELLO);
	ck_assert_uint_eq(p->nkeys, 1);   /* keys still trusted */
	hs_peers_free(ps);
}
END_TEST

START_TEST(hello_backoff)
{
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_KNOWN, T0);
	time_t now = T0;
	/* 5, 10, 20, 40, 80, 160, 300, 300: doubling, bounded by backoff_max */
	const uint32_t want[] = { 5, 10, 20, 40, 80, 160, 300, 300, 300 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(hs_peer_tick(p, now), HS_PEER_DO_HELLO);
		hs_peer_hello_sent(p, now);
		ck_assert_int_eq(hs_peer_hello_refused(p, "answered REFUSED", now), 0);
		ck_assert_int_eq(p->state, HS_PEER_KNOWN);
		ck_assert_uint_eq(p->backoff, want[i]);
		ck_assert_int_eq(p->next_try, now + want[i]);
		ck_assert_uint_eq(p->failures, i + 1);
		ck_assert_int_eq(hs_peer_tick(p, now + want[i] - 1), 0);
		ck_assert_int_eq(hs_peer_next_time(p), now + want[i]);
		now += want[i];
	}
	char r[64];
	snprintf(r, sizeof(r), "HELLO answered REFUSED; next try in 300s");
	ck_assert_str_eq(p->reason, r);

	/* unanswered for hello_timeout (10 s) counts as a failure too */
	ck_assert_int_eq(hs_peer_tick(p, now), HS_PEER_DO_HELLO);
	hs_peer_hello_sent(p, now);
	ck_assert_int_eq(hs_peer_tick(p, now + 9), 0);
	ck_assert_uint_eq(p->failures, 9);
	ck_assert_int_eq(hs_peer_tick(p, now + 10), 0);
	ck_assert_uint_eq(p->failures, 10);
	ck_assert_int_eq(p->hello_sent, 0);
	ck_assert_int_eq(p->next_try, now + 10 + 300);
	ck_assert_str_eq(p->reason, "HELLO unanswered for 10s; next try in 300s");
	now += 310;

	/* success resets the delay */
	ck_assert_int_eq(hs_peer_tick(p, now), HS_PEER_DO_HELLO);
	hs_peer_hello_sent(p, now);
	ck_assert_int_eq(hs_peer_hello_answered(p, now + 1), 1);
	ck_assert_uint_eq(p->backoff, 0);
	ck_assert_uint_eq(p->failures, 0);
	ck_assert_int_eq(p->state, HS_PEER_INTRODUCED);
	/* a late REFUSED for an old HELLO changes nothing now */
	ck_assert_int_eq(hs_peer_hello_refused(p, NULL, now + 2), 0);
	ck_assert_int_eq(p->state, HS_PEER_INTRODUCED);
	hs_peers_free(ps);
}
END_TEST

START_TEST(backoff_jitter)
{
	hs_peers_t *ps = NULL;
	hs_peer_timers_t t = { .jitter = 50, .backoff_min = 100, .backoff_max = 1000 };
	ck_assert_int_eq(hs_peers_new(&t, &ps), 0);
	knot_dname_t *id = dname("agent.b.example.");
	hs_peer_t *p = NULL;
	ck_assert_int_eq(hs_peers_add(ps, id, NULL, T0, &p), 0);
	free(id);
	bool spread = false;
	for (int i = 0; i < 40; i++) {
		hs_peer_discovery_failed(p, HS_EDISC_NOAD, false, NULL, T0);
		ck_assert_int_ge(p->next_try, T0 + p->backoff);
		ck_assert_int_le(p->next_try, T0 + p->backoff + p->backoff / 2);
		if (p->next_try != T0 + p->backoff) {
			spread = true;
		}
	}
	ck_assert_uint_eq(p->backoff, 1000);
	ck_assert(spread);
	ck_assert_str_eq(p->reason, "discovery failed: answer not DNSSEC-validated (no AD bit from the resolver)");
	hs_peers_free(ps);
}
END_TEST

START_TEST(discovery_failures)
{
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_NEEDED, T0);
	hs_peer_discovery_started(p, T0);
	const char *why = "no AD bit from resolver 127.0.0.1#5353 for URI _dns._tcp.agent.b.example.";
	ck_assert_int_eq(hs_peer_discovery_failed(p, HS_EDISC_NOAD, false, why, T0), 0);
	ck_assert_int_eq(p->state, HS_PEER_NEEDED);
	ck_assert_str_eq(p->reason, "discovery failed: no AD bit from resolver 127.0.0.1#5353 for "
	                 "URI _dns._tcp.agent.b.example.");
	ck_assert_int_eq(hs_peer_tick(p, T0 + 4), 0);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 5), HS_PEER_DO_DISCOVER);
	/* permanent: ERROR, still retried with backoff */
	ck_assert_int_eq(hs_peer_discovery_failed(p, HS_EDISC_DATA, true, "bad URI", T0 + 5), 1);
	ck_assert_int_eq(p->state, HS_PEER_ERROR);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 14), 0);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 15), HS_PEER_DO_DISCOVER);
	/* fixed by the operator: ERROR -> KNOWN */
	hs_disc_result_t r;
	make_result(&r, KEY_B);
	ck_assert_int_eq(hs_peer_discovered(p, &r, T0 + 20), 1);
	ck_assert_int_eq(p->state, HS_PEER_KNOWN);
	ck_assert_uint_eq(p->backoff, 0);
	ck_assert_str_eq(p->reason, "");

	/* a failed refresh of a working peer keeps state and keys */
	hs_peer_hello_answered(p, T0 + 21);
	hs_peer_heartbeat_received(p, T0 + 22);
	ck_assert_int_eq(hs_peer_discovery_failed(p, HS_EDISC_RCODE, false, "SERVFAIL", T0 + 23), 0);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	ck_assert_uint_eq(p->nkeys, 1);

	/* a refresh with the same key: state kept; with another key: KNOWN again */
	ck_assert_int_eq(hs_peer_discovered(p, &r, T0 + 24), 0);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	free_result(&r);
	make_result(&r, KEY_OTHER);
	ck_assert_int_eq(hs_peer_discovered(p, &r, T0 + 25), 1);
	ck_assert_int_eq(p->state, HS_PEER_KNOWN);
	ck_assert_uint_eq(p->keys[0]->keytag, 24743);
	ck_assert_str_eq(p->reason, "KEY changed (validated); introducing again");
	ck_assert_int_eq(hs_peer_tick(p, T0 + 25), HS_PEER_DO_HELLO);

	/* a result without keys is refused and changes nothing */
	hs_key_t *k = r.keys[0];
	r.nkeys = 0;
	ck_assert_int_eq(hs_peer_discovered(p, &r, T0 + 26), HS_EINVAL);
	ck_assert_uint_eq(p->nkeys, 1);
	r.nkeys = 1;
	r.keys[0] = k;
	free_result(&r);

	/* the daemon's verdict */
	ck_assert_int_eq(hs_peer_fail(p, "signatures fail with every trusted key", T0 + 30), 1);
	ck_assert_int_eq(p->state, HS_PEER_ERROR);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 35), HS_PEER_DO_DISCOVER);
	/* a reason with control or non-ASCII bytes is kept printable */
	hs_peer_fail(p, "bad\n\xff\x01" "end", T0 + 36);
	ck_assert_str_eq(p->reason, "bad???end");
	hs_peers_free(ps);
}
END_TEST

START_TEST(refresh)
{
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_OPERATIONAL, T0);
	ck_assert_int_eq(p->next_refresh, T0 + 3600);
	/* keep it OPERATIONAL: heard every 30 s */
	time_t t = T0;
	for (; t < T0 + 3600; t += 30) {
		hs_peer_heartbeat_received(p, t);
		hs_peer_heartbeat_sent(p, t);
		ck_assert_int_eq(hs_peer_tick(p, t) & HS_PEER_DO_DISCOVER, 0);
	}
	hs_peer_heartbeat_received(p, T0 + 3600);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 3600) & HS_PEER_DO_DISCOVER, HS_PEER_DO_DISCOVER);
	ck_assert_int_eq(hs_peer_next_time(p), T0 + 3600);
	hs_peer_discovery_started(p, T0 + 3600);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 3601) & HS_PEER_DO_DISCOVER, 0);
	/* failed: state kept, retried after backoff_max (300 s) */
	ck_assert_int_eq(hs_peer_discovery_failed(p, HS_EDISC_RCODE, false, "SERVFAIL", T0 + 3602), 0);
	ck_assert_int_eq(p->state, HS_PEER_OPERATIONAL);
	ck_assert_int_eq(p->next_refresh, T0 + 3602 + 300);
	ck_assert_str_eq(p->reason, "discovery failed: SERVFAIL");
	/* the peer rolled its key: seen by the refresh, introduced again */
	hs_peer_discovery_started(p, T0 + 3902);
	hs_disc_result_t r;
	make_result(&r, KEY_OTHER);
	ck_assert_int_eq(hs_peer_discovered(p, &r, T0 + 3903), 1);
	free_result(&r);
	ck_assert_int_eq(p->state, HS_PEER_KNOWN);
	ck_assert_int_eq(p->next_refresh, T0 + 3903 + 3600);
	ck_assert_int_eq(hs_peer_tick(p, T0 + 3903), HS_PEER_DO_HELLO);
	hs_peers_free(ps);
}
END_TEST

START_TEST(zones)
{
	hs_peers_t *ps = NULL;
	ck_assert_int_eq(hs_peers_new(NULL, &ps), 0);
	knot_dname_t *b = dname("agent.b.example.");
	knot_dname_t *B = dname("AGENT.B.EXAMPLE.");
	knot_dname_t *c = dname("agent.c.example.");
	hs_peer_t *p1 = NULL, *p2 = NULL;
	ck_assert_int_eq(hs_peers_add(ps, b, "example.", T0, &p1), 0);
	ck_assert_int_eq(hs_peers_add(ps, B, "EXAMPLE", T0, &p2), 0);
	ck_assert_ptr_eq(p1, p2);
	ck_assert_uint_eq(p1->nzones, 1);
	ck_assert_int_eq(hs_peers_add(ps, b, "example.org.", T0, NULL), 0);
	ck_assert_uint_eq(p1->nzones, 2);
	ck_assert_str_eq(p1->zones[1], "example.org.");
	ck_assert_int_eq(hs_peers_add(ps, c, "example.org.", T0, NULL), 0);
	ck_assert_uint_eq(ps->count, 2);
	ck_assert_int_eq(hs_peers_add(ps, c, "bad..zone", T0, NULL), HS_ENAME);
	ck_assert_int_eq(hs_peers_add(ps, (const knot_dname_t *)"", "x.", T0, NULL), HS_EINVAL);
	ck_assert_ptr_eq(hs_peers_find(ps, B), p1);

	ck_assert_int_eq(hs_peers_drop_zone(ps, "example.org"), 1);   /* c had only that one */
	ck_assert_uint_eq(ps->count, 1);
	ck_assert_ptr_null(hs_peers_find(ps, c));
	ck_assert_uint_eq(p1->nzones, 1);
	ck_assert_int_eq(hs_peers_remove(ps, c), HS_ENOTFOUND);
	ck_assert_int_eq(hs_peers_remove(ps, b), 0);
	ck_assert_uint_eq(ps->count, 0);
	free(b);
	free(B);
	free(c);
	hs_peers_free(ps);
}
END_TEST

static char tmpdir[64];

static void mk_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_peer.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(const char *file)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
	unlink(path);
	rmdir(tmpdir);
}

START_TEST(load_known_file)
{
	hs_peers_t *ps = NULL;
	ck_assert_int_eq(hs_peers_new(NULL, &ps), 0);
	char why[512];
	time_t now = T0 + 1000;
	ck_assert_msg(hs_peers_load(ps, hs_testdata("peer-good.json"), now, why, sizeof(why)) == 0,
	              "%s", why);
	ck_assert_uint_eq(ps->count, 3);
	hs_peer_t *p = ps->peers[0];
	ck_assert_str_eq(p->name, "agent.b.example.");
	/* OPERATIONAL before the restart: KNOWN now, keys trusted, HELLO due at once */
	ck_assert_int_eq(p->state, HS_PEER_KNOWN);
	ck_assert_int_eq(p->since, now);
	ck_assert_str_eq(p->reason, "restarted (was OPERATIONAL); introducing again");
	ck_assert_int_eq(p->last_contact, T0 + 100);
	ck_assert_uint_eq(p->nkeys, 1);
	ck_assert_uint_eq(p->keys[0]->keytag, 19511);
	ck_assert_mem_eq(p->keys[0]->owner, "\x04host\x01" "b\x07" "example", 16);
	ck_assert_uint_eq(p->port, 5300);
	ck_assert_uint_eq(p->naddrs, 2);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&p->addrs[1])->sin6_port), 5300);
	ck_assert_uint_eq(p->nzones, 2);
	ck_assert_str_eq(p->zones[1], "example.org.");
	/* HELLO at once, and a refresh of the look-ups in parallel */
	ck_assert_int_eq(hs_peer_tick(p, now), HS_PEER_DO_HELLO | HS_PEER_DO_DISCOVER);

	ck_assert_int_eq(ps->peers[1]->state, HS_PEER_NEEDED);
	ck_assert_int_eq(ps->peers[1]->since, T0);
	ck_assert_int_eq(hs_peer_tick(ps->peers[1], now), HS_PEER_DO_DISCOVER);
	ck_assert_int_eq(ps->peers[2]->state, HS_PEER_ERROR);
	ck_assert_str_eq(ps->peers[2]->reason,
	                 "discovery failed: URI target \"http://x\" is not dns://HOST[:PORT]");

	/* loading into a table that is not empty */
	ck_assert_int_eq(hs_peers_load(ps, hs_testdata("peer-good.json"), now, why, sizeof(why)),
	                 HS_EEXIST);
	hs_peers_free(ps);

	/* a missing file is an empty table */
	ck_assert_int_eq(hs_peers_new(NULL, &ps), 0);
	ck_assert_int_eq(hs_peers_load(ps, "/nonexistent/peers.json", now, why, sizeof(why)), 0);
	ck_assert_uint_eq(ps->count, 0);
	hs_peers_free(ps);
}
END_TEST

START_TEST(save_load_round_trip)
{
	mk_tmp();
	char path[128];
	snprintf(path, sizeof(path), "%s/peers.json", tmpdir);
	hs_peers_t *ps = NULL;
	hs_peer_t *p = peer_to(&ps, HS_PEER_OPERATIONAL, T0);
	ck_assert_int_eq(hs_peers_add(ps, p->identity, "example.org.", T0, NULL), 0);
	knot_dname_t *c = dname("agent.c.example.");
	hs_peer_t *pc = NULL;
	ck_assert_int_eq(hs_peers_add(ps, c, "example.", T0, &pc), 0);
	free(c);
	hs_peer_discovery_failed(pc, HS_EDISC_NXDOMAIN, false, "NXDOMAIN \"x\"", T0);
	ck_assert_int_eq(hs_peers_save(ps, path), 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_ne(access(tmp, F_OK), 0);   /* the temp file is gone */

	/* the file is the documented format */
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(json_object_get(root, "format")), "hsync-peers-1");
	json_t *p0 = json_array_get(json_object_get(root, "peers"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(p0, "state")), "OPERATIONAL");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p0, "keys"), 0)),
	                 "AgADD3CQ2bxv52Trik9weibGGUBmgLhOuKc6/EJ/1odqoFcd");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p0, "addresses"), 1)),
	                 "2001:db8::1");
	ck_assert_ptr_null(json_object_get(p0, "unheard"));   /* live fields are not saved */
	json_decref(root);

	hs_peers_t *back = NULL;
	ck_assert_int_eq(hs_peers_new(NULL, &back), 0);
	char why[512];
	ck_assert_msg(hs_peers_load(back, path, T0 + 50, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(back->count, 2);
	hs_peer_t *q = back->peers[0];
	ck_assert_int_eq(q->state, HS_PEER_KNOWN);
	ck_assert_uint_eq(q->nkeys, 1);
	ck_assert_mem_eq(q->keys[0]->rdata.data, p->keys[0]->rdata.data, p->keys[0]->rdata.size);
	ck_assert_uint_eq(q->naddrs, p->naddrs);
	ck_assert_mem_eq(&q->addrs[0], &p->addrs[0], sizeof(struct sockaddr_in));
	ck_assert_mem_eq(&q->addrs[1], &p->addrs[1], sizeof(struct sockaddr_in6));
	ck_assert_int_eq(knot_dname_is_equal(q->host, p->host), true);
	ck_assert_int_eq(q->last_contact, p->last_contact);
	ck_assert_uint_eq(q->nzones, 2);
	ck_assert_int_eq(back->peers[1]->state, HS_PEER_NEEDED);
	ck_assert_str_eq(back->peers[1]->reason, "discovery failed: NXDOMAIN \"x\"");
	/* re-introduced after the restart it becomes OPERATIONAL again */
	ck_assert_int_eq(hs_peer_tick(q, T0 + 50), HS_PEER_DO_HELLO | HS_PEER_DO_DISCOVER);
	hs_peer_discovery_started(q, T0 + 50);
	hs_peer_hello_sent(q, T0 + 50);
	hs_peer_hello_answered(q, T0 + 51);
	hs_peer_heartbeat_received(q, T0 + 52);
	ck_assert_int_eq(q->state, HS_PEER_OPERATIONAL);
	hs_peers_free(back);

	/* saving into a directory that does not exist fails and leaves nothing */
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/no/such/dir/peers.json", tmpdir);
	ck_assert_int_eq(hs_peers_save(ps, bad), HS_EIO);
	hs_peers_free(ps);
	rm_tmp("peers.json");
}
END_TEST

static void corrupt(const char *file, const char *want)
{
	hs_peers_t *ps = NULL;
	ck_assert_int_eq(hs_peers_new(NULL, &ps), 0);
	char why[512];
	const char *path = hs_testdata(file);
	char p[4096];
	snprintf(p, sizeof(p), "%s", path);
	ck_assert_int_eq(hs_peers_load(ps, p, T0, why, sizeof(why)), HS_ESYNTAX);
	ck_assert_uint_eq(ps->count, 0);   /* unchanged */
	char full[4700];
	snprintf(full, sizeof(full), "%s: %s", p, want);
	ck_assert_msg(strcmp(why, full) == 0 || (want[0] == ':' && strncmp(why, p, strlen(p)) == 0 &&
	              strstr(why, want + 1) != NULL), "%s: got \"%s\"", file, why);
	hs_peers_free(ps);
}

START_TEST(corrupt_files)
{
	corrupt("peer-notjson.json", ":end of file");
	corrupt("peer-format.json", "\"format\" is not \"hsync-peers-1\"");
	corrupt("peer-base64.json", "peers[0]: keys[0] is not base64");
	corrupt("peer-keyalg.json", "peers[0]: keys[0]: unsupported key algorithm");
	corrupt("peer-state.json", "peers[0]: \"state\" missing or unknown");
	corrupt("peer-nokeys.json", "peers[0]: state OPERATIONAL without host, port, addresses and keys");
	corrupt("peer-addr.json", "peers[0]: addresses[0] is not an IPv4 or IPv6 address");
	corrupt("peer-port.json", "peers[0]: \"port\" missing or not 0-65535");
	corrupt("peer-zone.json", "peers[0]: zones[0] is not a domain name");
	corrupt("peer-noid.json", "peers[0]: \"identity\" missing or not a domain name");
	corrupt("peer-twice.json", "peers[3]: identity agent.c.example. twice");
}
END_TEST

START_TEST(exports)
{
	hs_peers_t *ps = NULL;
	peer_to(&ps, HS_PEER_OPERATIONAL, T0);
	knot_dname_t *c = dname("agent.c.example.");
	hs_peer_t *pc = NULL;
	ck_assert_int_eq(hs_peers_add(ps, c, "example.", T0, &pc), 0);
	free(c);
	hs_peer_discovery_failed(pc, HS_EDISC_NOAD, false, "no AD bit", T0);

	json_t *j = hs_peers_json(ps, T0 + 12);
	ck_assert_ptr_nonnull(j);
	json_t *p0 = json_array_get(json_object_get(j, "peers"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(p0, "identity")), "agent.b.example.");
	ck_assert_str_eq(json_string_value(json_object_get(p0, "state")), "OPERATIONAL");
	ck_assert_int_eq(json_integer_value(json_object_get(p0, "unheard")), 12);
	ck_assert_int_eq(json_integer_value(json_object_get(p0, "last_contact")), T0);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p0, "key_tags"), 0)),
	                 "15/19511");
	json_t *p1 = json_array_get(json_object_get(j, "peers"), 1);
	ck_assert(json_is_null(json_object_get(p1, "unheard")));
	ck_assert_int_eq(json_integer_value(json_object_get(p1, "next_try")), T0 + 5);
	ck_assert(json_is_null(json_object_get(p1, "next_refresh")));
	ck_assert_int_eq(json_integer_value(json_object_get(p0, "next_refresh")), T0 + 3600);
	json_decref(j);

	char *t = NULL;
	ck_assert_int_eq(hs_peers_table(ps, T0 + 12, &t), 0);
	ck_assert_str_eq(t,
	        "IDENTITY          STATE        LAST CONTACT  HOST:PORT             KEYS      ZONES     REASON\n"
	        "agent.b.example.  OPERATIONAL  12s ago       host.b.example.:5300  15/19511  example.\n"
	        "agent.c.example.  NEEDED       never         -                     -         example.  discovery failed: no AD bit\n");
	free(t);
	hs_peers_free(ps);

	/* an empty table is the header alone */
	ck_assert_int_eq(hs_peers_new(NULL, &ps), 0);
	ck_assert_int_eq(hs_peers_table(ps, T0, &t), 0);
	ck_assert_str_eq(t, "IDENTITY  STATE  LAST CONTACT  HOST:PORT  KEYS  ZONES  REASON\n");
	free(t);
	hs_peers_free(ps);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("peer");
	tcase_add_test(tc, names);
	tcase_add_test(tc, timers_checked);
	tcase_add_test(tc, happy_states);
	tcase_add_test(tc, degraded_interrupted_recover);
	tcase_add_test(tc, heartbeat_refused_reintroduces);
	tcase_add_test(tc, hello_backoff);
	tcase_add_test(tc, backoff_jitter);
	tcase_add_test(tc, discovery_failures);
	tcase_add_test(tc, refresh);
	tcase_add_test(tc, zones);
	tcase_add_test(tc, load_known_file);
	tcase_add_test(tc, save_load_round_trip);
	tcase_add_test(tc, corrupt_files);
	tcase_add_test(tc, exports);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
