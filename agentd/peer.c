/*
 * agentd/peer.c -- peer states, events and timers, and the table of peers.
 * The state file and the exports (JSON, table for people) are in
 * peerfile.c. See peer.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "agentd/peer.h"
#include "agentd/peerint.h"
#include "libhsync/error.h"

static const char *const STATE_NAMES[] = {
	[HS_PEER_NEEDED] = "NEEDED",
	[HS_PEER_KNOWN] = "KNOWN",
	[HS_PEER_INTRODUCED] = "INTRODUCED",
	[HS_PEER_OPERATIONAL] = "OPERATIONAL",
	[HS_PEER_DEGRADED] = "DEGRADED",
	[HS_PEER_INTERRUPTED] = "INTERRUPTED",
	[HS_PEER_ERROR] = "ERROR",
};
#define NSTATES (sizeof(STATE_NAMES) / sizeof(STATE_NAMES[0]))

const char *hs_peer_state_name(hs_peer_state_t state)
{
	return (unsigned)state < NSTATES ? STATE_NAMES[state] : "?";
}

int hs_peer_state_parse(const char *name, hs_peer_state_t *state)
{
	if (name == NULL || state == NULL) {
		return HS_EINVAL;
	}
	for (size_t i = 0; i < NSTATES; i++) {
		if (strcasecmp(name, STATE_NAMES[i]) == 0) {
			*state = (hs_peer_state_t)i;
			return HS_EOK;
		}
	}
	return HS_EINVAL;
}

void hs_peer_timers_default(hs_peer_timers_t *t)
{
	t->heartbeat = 30;
	t->degraded = 2;
	t->interrupted = 10;
	t->hello_timeout = 10;
	t->backoff_min = 5;
	t->backoff_max = 300;
	t->jitter = 0;
	t->refresh = 3600;
}

/* ---- one peer ---------------------------------------------------------------- */

void hs_peer_set_reason(hs_peer_t *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	/* printable ASCII only: one log line, valid JSON text */
	for (char *c = p->reason; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
			*c = '?';
		}
	}
}

/* 1 if the state changed. */
static int set_state(hs_peer_t *p, hs_peer_state_t s, time_t now)
{
	if (p->state == s) {
		return 0;
	}
	p->state = s;
	p->since = now;
	return 1;
}

static void free_keys(hs_peer_t *p)
{
	for (size_t i = 0; i < p->nkeys; i++) {
		hs_key_free(p->keys[i]);
		p->keys[i] = NULL;
	}
	p->nkeys = 0;
}

void hs_peer_free(hs_peer_t *p)
{
	if (p == NULL) {
		return;
	}
	free_keys(p);
	for (size_t i = 0; i < p->nzones; i++) {
		free(p->zones[i]);
	}
	free(p->zones);
	free(p);
}

hs_peer_t *hs_peer_new(const knot_dname_t *identity, const hs_peer_timers_t *t, time_t now)
{
	hs_peer_t *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	memcpy(p->identity, identity, knot_dname_size(identity));
	knot_dname_to_lower(p->identity);
	if (knot_dname_to_str(p->name, p->identity, sizeof(p->name)) == NULL) {
		free(p);
		return NULL;
	}
	p->state = HS_PEER_NEEDED;
	p->since = now;
	p->next_try = now;
	p->timers = t;
	return p;
}

static void backoff_reset(hs_peer_t *p)
{
	p->backoff = 0;
	p->failures = 0;
}

/* A failure: grow the delay and schedule the next try. */
static void backoff_grow(hs_peer_t *p, time_t now)
{
	const hs_peer_timers_t *t = p->timers;
	if (p->backoff == 0) {
		p->backoff = t->backoff_min;
	} else if (p->backoff >= t->backoff_max / 2) {
		p->backoff = t->backoff_max;
	} else {
		p->backoff *= 2;
	}
	if (p->backoff > t->backoff_max) {
		p->backoff = t->backoff_max;
	}
	p->failures++;
	uint32_t extra = 0;
	if (t->jitter > 0) {
		uint32_t span = (uint32_t)((uint64_t)p->backoff * t->jitter / 100);
		extra = span > 0 ? randombytes_uniform(span + 1) : 0;
	}
	p->next_try = now + (time_t)p->backoff + (time_t)extra;
}

bool hs_peer_channel_up(hs_peer_state_t s)
{
	return s == HS_PEER_INTRODUCED || s == HS_PEER_OPERATIONAL ||
	       s == HS_PEER_DEGRADED || s == HS_PEER_INTERRUPTED;
}

static bool key_in(const hs_key_t *k, hs_key_t *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (set[i]->rdata.size == k->rdata.size &&
		    memcmp(set[i]->rdata.data, k->rdata.data, k->rdata.size) == 0) {
			return true;
		}
	}
	return false;
}

static bool same_keys(hs_key_t *const *a, size_t na, hs_key_t *const *b, size_t nb)
{
	if (na != nb) {
		return false;
	}
	for (size_t i = 0; i < na; i++) {
		if (!key_in(a[i], b, nb)) {
			return false;
		}
	}
	return true;
}

int hs_peer_discovery_started(hs_peer_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	p->discovering = true;
	return 0;
}

int hs_peer_discovered(hs_peer_t *p, const hs_disc_result_t *r, time_t now)
{
	if (p == NULL || r == NULL || r->nkeys == 0 || r->nkeys > HS_DISC_MAX_KEYS ||
	    r->naddrs > HS_DISC_MAX_ADDRS) {
		return HS_EINVAL;
	}
	hs_key_t *keys[HS_DISC_MAX_KEYS] = { NULL };
	for (size_t i = 0; i < r->nkeys; i++) {
		int ret = hs_key_from_rdata(r->host, r->keys[i]->rdata.data,
		                            r->keys[i]->rdata.size, &keys[i]);
		if (ret != HS_EOK) {
			for (size_t j = 0; j < i; j++) {
				hs_key_free(keys[j]);
			}
			return ret;
		}
	}
	p->discovering = false;
	bool had = p->nkeys > 0;
	bool changed_keys = had && !same_keys(p->keys, p->nkeys, keys, r->nkeys);
	free_keys(p);
	memcpy(p->keys, keys, sizeof(keys));
	p->nkeys = r->nkeys;
	memcpy(p->host, r->host, knot_dname_size(r->host));
	p->port = r->port;
	p->naddrs = r->naddrs;
	memcpy(p->addrs, r->addrs, sizeof(p->addrs[0]) * r->naddrs);
	backoff_reset(p);
	p->next_refresh = now + (time_t)p->timers->refresh;

	if (p->state == HS_PEER_NEEDED || p->state == HS_PEER_ERROR || changed_keys) {
		if (changed_keys) {
			hs_peer_set_reason(p, "KEY changed (validated); introducing again");
		} else {
			p->reason[0] = '\0';
		}
		p->hello_sent = 0;
		p->next_try = now;
		return set_state(p, HS_PEER_KNOWN, now);
	}
	return 0;
}

int hs_peer_discovery_failed(hs_peer_t *p, int code, bool permanent, const char *why,
                             time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	p->discovering = false;
	hs_peer_set_reason(p, "discovery failed: %s", why != NULL ? why : hs_strerror(code));
	if (p->state != HS_PEER_NEEDED && p->state != HS_PEER_ERROR) {
		/* keys stay trusted; the refresh is tried again later */
		p->next_refresh = now + (time_t)p->timers->backoff_max;
		return 0;
	}
	backoff_grow(p, now);
	if (permanent) {
		return set_state(p, HS_PEER_ERROR, now);
	}
	return set_state(p, HS_PEER_NEEDED, now);
}

int hs_peer_hello_sent(hs_peer_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	p->hello_sent = now;
	return 0;
}

/* Any verified message from the peer. */
static int heard(hs_peer_t *p, time_t now)
{
	if (p->state == HS_PEER_NEEDED || p->state == HS_PEER_ERROR) {
		return 0;   /* no trusted key: nothing from it can have been verified */
	}
	p->last_contact = now;
	if (p->state == HS_PEER_KNOWN) {
		if (p->hello_sent == 0) {
			p->next_try = now;   /* it talks to us: introduce ourselves now */
		}
		return 0;
	}
	if (p->state != HS_PEER_OPERATIONAL) {
		p->reason[0] = '\0';
	}
	return set_state(p, HS_PEER_OPERATIONAL, now);
}

int hs_peer_hello_answered(hs_peer_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	if (p->state == HS_PEER_NEEDED || p->state == HS_PEER_ERROR) {
		return 0;
	}
	p->hello_sent = 0;
	backoff_reset(p);
	p->last_contact = now;
	if (p->state == HS_PEER_KNOWN) {
		p->reason[0] = '\0';
		p->hb_sent = 0;   /* first HEARTBEAT at once */
		return set_state(p, HS_PEER_INTRODUCED, now);
	}
	return heard(p, now);
}

int hs_peer_hello_refused(hs_peer_t *p, const char *why, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	if (p->state != HS_PEER_KNOWN) {
		return 0;
	}
	p->hello_sent = 0;
	backoff_grow(p, now);
	hs_peer_set_reason(p, "HELLO %s; next try in %lds", why != NULL ? why : "refused",
	           (long)(p->next_try - now));
	return 0;
}

int hs_peer_hello_received(hs_peer_t *p, time_t now)
{
	return p == NULL ? HS_EINVAL : heard(p, now);
}

int hs_peer_heartbeat_sent(hs_peer_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	p->hb_sent = now;
	return 0;
}

int hs_peer_heartbeat_received(hs_peer_t *p, time_t now)
{
	return p == NULL ? HS_EINVAL : heard(p, now);
}

int hs_peer_heartbeat_answered(hs_peer_t *p, time_t now)
{
	return p == NULL ? HS_EINVAL : heard(p, now);
}

int hs_peer_heartbeat_refused(hs_peer_t *p, const char *why, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	if (!hs_peer_channel_up(p->state)) {
		return 0;
	}
	hs_peer_set_reason(p, "HEARTBEAT %s: peer lost the channel; introducing again",
	           why != NULL ? why : "refused");
	p->hello_sent = 0;
	p->next_try = now;
	return set_state(p, HS_PEER_KNOWN, now);
}

int hs_peer_fail(hs_peer_t *p, const char *why, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	hs_peer_set_reason(p, "%s", why != NULL ? why : "error");
	p->hello_sent = 0;
	p->discovering = false;
	backoff_grow(p, now);
	return set_state(p, HS_PEER_ERROR, now);
}

int hs_peer_tick(hs_peer_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	const hs_peer_timers_t *t = p->timers;
	int out = 0;
	switch (p->state) {
	case HS_PEER_NEEDED:
	case HS_PEER_ERROR:
		if (!p->discovering && now >= p->next_try) {
			out |= HS_PEER_DO_DISCOVER;
		}
		break;
	case HS_PEER_KNOWN:
		if (!p->discovering && now >= p->next_refresh) {
			out |= HS_PEER_DO_DISCOVER;
		}
		if (p->hello_sent != 0 && now - p->hello_sent >= (time_t)t->hello_timeout) {
			char why[64];
			snprintf(why, sizeof(why), "unanswered for %lds", (long)(now - p->hello_sent));
			hs_peer_hello_refused(p, why, now);
		}
		if (p->hello_sent == 0 && now >= p->next_try) {
			out |= HS_PEER_DO_HELLO;
		}
		break;
	default: {
		time_t unheard = now - p->last_contact;
		time_t iv = (time_t)t->heartbeat;
		if (unheard >= iv * (time_t)t->interrupted) {
			if (set_state(p, HS_PEER_INTERRUPTED, now)) {
				hs_peer_set_reason(p, "unheard for %lds (%u heartbeat intervals)", (long)unheard,
				           t->interrupted);
				out |= HS_PEER_CHANGED;
			}
		} else if (unheard >= iv * (time_t)t->degraded && p->state != HS_PEER_DEGRADED &&
		           p->state != HS_PEER_INTERRUPTED) {
			set_state(p, HS_PEER_DEGRADED, now);
			hs_peer_set_reason(p, "unheard for %lds (%u heartbeat intervals)", (long)unheard,
			           t->degraded);
			out |= HS_PEER_CHANGED;
		}
		if (p->hb_sent == 0 || now - p->hb_sent >= iv) {
			out |= HS_PEER_DO_HEARTBEAT;
		}
		if (!p->discovering && now >= p->next_refresh) {
			out |= HS_PEER_DO_DISCOVER;
		}
		break;
	}
	}
	return out;
}

static time_t tmin(time_t a, time_t b)
{
	return a == 0 ? b : (b == 0 || a < b ? a : b);
}

time_t hs_peer_next_time(const hs_peer_t *p)
{
	if (p == NULL) {
		return 0;
	}
	const hs_peer_timers_t *t = p->timers;
	switch (p->state) {
	case HS_PEER_NEEDED:
	case HS_PEER_ERROR:
		return p->discovering ? 0 : p->next_try;
	case HS_PEER_KNOWN: {
		time_t next = p->hello_sent != 0 ? p->hello_sent + (time_t)t->hello_timeout
		                                 : p->next_try;
		return p->discovering ? next : tmin(next, p->next_refresh);
	}
	default: {
		time_t iv = (time_t)t->heartbeat;
		time_t next = p->hb_sent == 0 ? 1 : p->hb_sent + iv;
		if (p->state == HS_PEER_INTRODUCED || p->state == HS_PEER_OPERATIONAL) {
			next = tmin(next, p->last_contact + iv * (time_t)t->degraded);
		}
		if (p->state != HS_PEER_INTERRUPTED) {
			next = tmin(next, p->last_contact + iv * (time_t)t->interrupted);
		}
		return p->discovering ? next : tmin(next, p->next_refresh);
	}
	}
}

/* ---- the table ---------------------------------------------------------------- */

int hs_peers_new(const hs_peer_timers_t *timers, hs_peers_t **out)
{
	if (out == NULL) {
		return HS_EINVAL;
	}
	hs_peer_timers_t t;
	hs_peer_timers_default(&t);
	if (timers != NULL) {
		hs_peer_timers_t d = t;
		t = *timers;
#define DEF(f) if (t.f == 0) t.f = d.f
		DEF(heartbeat); DEF(degraded); DEF(interrupted); DEF(hello_timeout);
		DEF(backoff_min); DEF(backoff_max); DEF(refresh);
#undef DEF
	}
	if (t.degraded >= t.interrupted || t.backoff_min > t.backoff_max || t.jitter > 50 ||
	    t.heartbeat > 86400 || t.interrupted > 10000 || t.backoff_max > 86400 * 7) {
		return HS_EINVAL;
	}
	hs_peers_t *ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		return HS_ENOMEM;
	}
	ps->timers = t;
	*out = ps;
	return HS_EOK;
}

void hs_peers_free(hs_peers_t *ps)
{
	if (ps == NULL) {
		return;
	}
	for (size_t i = 0; i < ps->count; i++) {
		hs_peer_free(ps->peers[i]);
	}
	free(ps->peers);
	free(ps);
}

hs_peer_t *hs_peers_find(const hs_peers_t *ps, const knot_dname_t *identity)
{
	if (ps == NULL || identity == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < ps->count; i++) {
		if (knot_dname_is_case_equal(ps->peers[i]->identity, identity)) {
			return ps->peers[i];
		}
	}
	return NULL;
}

int hs_peers_append(hs_peers_t *ps, hs_peer_t *p)
{
	if (ps->count == ps->cap) {
		size_t cap = ps->cap == 0 ? 8 : ps->cap * 2;
		hs_peer_t **n = realloc(ps->peers, cap * sizeof(*n));
		if (n == NULL) {
			return HS_ENOMEM;
		}
		ps->peers = n;
		ps->cap = cap;
	}
	ps->peers[ps->count++] = p;
	return HS_EOK;
}

/* Zone text normalised: lower case, absolute. NULL on a bad name. */
char *hs_peer_zone_norm(const char *zone)
{
	knot_dname_storage_t z;
	if (knot_dname_from_str(z, zone, sizeof(z)) == NULL) {
		return NULL;
	}
	knot_dname_to_lower(z);
	return knot_dname_to_str_alloc(z);
}

static bool has_zone(const hs_peer_t *p, const char *zone)
{
	for (size_t i = 0; i < p->nzones; i++) {
		if (strcmp(p->zones[i], zone) == 0) {
			return true;
		}
	}
	return false;
}

/* Takes ZONE (normalised, malloc'd) whatever happens. */
int hs_peer_add_zone(hs_peer_t *p, char *zone)
{
	if (has_zone(p, zone)) {
		free(zone);
		return HS_EOK;
	}
	char **n = realloc(p->zones, (p->nzones + 1) * sizeof(*n));
	if (n == NULL) {
		free(zone);
		return HS_ENOMEM;
	}
	p->zones = n;
	p->zones[p->nzones++] = zone;
	return HS_EOK;
}

int hs_peers_add(hs_peers_t *ps, const knot_dname_t *identity, const char *zone,
                 time_t now, hs_peer_t **out)
{
	if (ps == NULL || identity == NULL || knot_dname_size(identity) <= 1) {
		return HS_EINVAL;
	}
	char *z = NULL;
	if (zone != NULL) {
		z = hs_peer_zone_norm(zone);
		if (z == NULL) {
			return HS_ENAME;
		}
	}
	hs_peer_t *p = hs_peers_find(ps, identity);
	bool fresh = (p == NULL);
	if (fresh) {
		p = hs_peer_new(identity, &ps->timers, now);
		if (p == NULL) {
			free(z);
			return HS_ENOMEM;
		}
	}
	int ret = z != NULL ? hs_peer_add_zone(p, z) : HS_EOK;
	if (ret == HS_EOK && fresh) {
		ret = hs_peers_append(ps, p);
	}
	if (ret != HS_EOK) {
		if (fresh) {
			hs_peer_free(p);
		}
		return ret;
	}
	if (out != NULL) {
		*out = p;
	}
	return HS_EOK;
}

static void remove_at(hs_peers_t *ps, size_t i)
{
	hs_peer_free(ps->peers[i]);
	memmove(ps->peers + i, ps->peers + i + 1, (ps->count - i - 1) * sizeof(ps->peers[0]));
	ps->count--;
}

int hs_peers_drop_zone(hs_peers_t *ps, const char *zone)
{
	if (ps == NULL || zone == NULL) {
		return HS_EINVAL;
	}
	char *z = hs_peer_zone_norm(zone);
	if (z == NULL) {
		return HS_ENAME;
	}
	int removed = 0;
	for (size_t i = 0; i < ps->count;) {
		hs_peer_t *p = ps->peers[i];
		for (size_t j = 0; j < p->nzones; j++) {
			if (strcmp(p->zones[j], z) == 0) {
				free(p->zones[j]);
				memmove(p->zones + j, p->zones + j + 1,
				        (p->nzones - j - 1) * sizeof(p->zones[0]));
				p->nzones--;
				if (p->nzones == 0) {
					remove_at(ps, i);
					removed++;
					p = NULL;
				}
				break;
			}
		}
		if (p != NULL) {
			i++;
		}
	}
	free(z);
	return removed;
}

int hs_peers_remove(hs_peers_t *ps, const knot_dname_t *identity)
{
	if (ps == NULL || identity == NULL) {
		return HS_EINVAL;
	}
	for (size_t i = 0; i < ps->count; i++) {
		if (knot_dname_is_case_equal(ps->peers[i]->identity, identity)) {
			remove_at(ps, i);
			return HS_EOK;
		}
	}
	return HS_ENOTFOUND;
}
