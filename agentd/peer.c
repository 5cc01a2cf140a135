/*
 * agentd/peer.c -- peer states, timers, the peer state file and exports.
 * See peer.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agentd/peer.h"
#include "common/statefile.h"
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

static void set_reason(hs_peer_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(hs_peer_t *p, const char *fmt, ...)
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

static void peer_free(hs_peer_t *p)
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

static hs_peer_t *peer_new(const knot_dname_t *identity, const hs_peer_timers_t *t, time_t now)
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

static bool channel_up(hs_peer_state_t s)
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
			set_reason(p, "KEY changed (validated); introducing again");
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
	set_reason(p, "discovery failed: %s", why != NULL ? why : hs_strerror(code));
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
	set_reason(p, "HELLO %s; next try in %lds", why != NULL ? why : "refused",
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
	if (!channel_up(p->state)) {
		return 0;
	}
	set_reason(p, "HEARTBEAT %s: peer lost the channel; introducing again",
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
	set_reason(p, "%s", why != NULL ? why : "error");
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
				set_reason(p, "unheard for %lds (%u heartbeat intervals)", (long)unheard,
				           t->interrupted);
				out |= HS_PEER_CHANGED;
			}
		} else if (unheard >= iv * (time_t)t->degraded && p->state != HS_PEER_DEGRADED &&
		           p->state != HS_PEER_INTERRUPTED) {
			set_state(p, HS_PEER_DEGRADED, now);
			set_reason(p, "unheard for %lds (%u heartbeat intervals)", (long)unheard,
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
		peer_free(ps->peers[i]);
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

static int append_peer(hs_peers_t *ps, hs_peer_t *p)
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
static char *zone_norm(const char *zone)
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
static int add_zone(hs_peer_t *p, char *zone)
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
		z = zone_norm(zone);
		if (z == NULL) {
			return HS_ENAME;
		}
	}
	hs_peer_t *p = hs_peers_find(ps, identity);
	bool fresh = (p == NULL);
	if (fresh) {
		p = peer_new(identity, &ps->timers, now);
		if (p == NULL) {
			free(z);
			return HS_ENOMEM;
		}
	}
	int ret = z != NULL ? add_zone(p, z) : HS_EOK;
	if (ret == HS_EOK && fresh) {
		ret = append_peer(ps, p);
	}
	if (ret != HS_EOK) {
		if (fresh) {
			peer_free(p);
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
	peer_free(ps->peers[i]);
	memmove(ps->peers + i, ps->peers + i + 1, (ps->count - i - 1) * sizeof(ps->peers[0]));
	ps->count--;
}

int hs_peers_drop_zone(hs_peers_t *ps, const char *zone)
{
	if (ps == NULL || zone == NULL) {
		return HS_EINVAL;
	}
	char *z = zone_norm(zone);
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

/* ---- JSON ------------------------------------------------------------------- */

static int addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const void *a = ss->ss_family == AF_INET
	                ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	                : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	return inet_ntop(ss->ss_family, a, buf, (socklen_t)size) != NULL ? 0 : -1;
}

static char *b64(const uint8_t *data, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(n);
	if (s != NULL) {
		sodium_bin2base64(s, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	}
	return s;
}

/* json_*_set_new that tracks failure. */
#define SETN(obj, key, val) do { if (json_object_set_new((obj), (key), (val)) != 0) ok = false; } while (0)
#define APPN(arr, val) do { if (json_array_append_new((arr), (val)) != 0) ok = false; } while (0)

static json_t *peer_json(const hs_peer_t *p, bool live, time_t now)
{
	bool ok = true;
	json_t *o = json_object();
	if (o == NULL) {
		return NULL;
	}
	char host[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	if (p->host[0] != 0 && knot_dname_to_str(host, p->host, sizeof(host)) == NULL) {
		host[0] = '\0';
	}
	SETN(o, "identity", json_string(p->name));
	SETN(o, "state", json_string(hs_peer_state_name(p->state)));
	SETN(o, "since", json_integer((json_int_t)p->since));
	SETN(o, "reason", json_string(p->reason));
	SETN(o, "host", json_string(host));
	SETN(o, "port", json_integer(p->port));
	json_t *addrs = json_array();
	for (size_t i = 0; addrs != NULL && i < p->naddrs; i++) {
		char a[INET6_ADDRSTRLEN];
		if (addr_text(&p->addrs[i], a, sizeof(a)) == 0) {
			APPN(addrs, json_string(a));
		}
	}
	SETN(o, "addresses", addrs);
	json_t *keys = json_array();
	json_t *tags = live ? json_array() : NULL;
	for (size_t i = 0; keys != NULL && i < p->nkeys; i++) {
		char *s = b64(p->keys[i]->rdata.data, p->keys[i]->rdata.size);
		APPN(keys, s != NULL ? json_string(s) : NULL);
		free(s);
		if (tags != NULL) {
			char t[16];
			snprintf(t, sizeof(t), "%u/%u", p->keys[i]->algorithm, p->keys[i]->keytag);
			APPN(tags, json_string(t));
		}
	}
	SETN(o, "keys", keys);
	json_t *zones = json_array();
	for (size_t i = 0; zones != NULL && i < p->nzones; i++) {
		APPN(zones, json_string(p->zones[i]));
	}
	SETN(o, "zones", zones);
	SETN(o, "last_contact", json_integer((json_int_t)p->last_contact));
	if (live) {
		SETN(o, "key_tags", tags);
		SETN(o, "unheard", p->last_contact != 0 ? json_integer((json_int_t)(now - p->last_contact))
		                                        : json_null());
		time_t next = hs_peer_next_time(p);
		SETN(o, "next_try", next != 0 ? json_integer((json_int_t)next) : json_null());
		SETN(o, "next_refresh", p->state != HS_PEER_NEEDED && p->state != HS_PEER_ERROR
		                        ? json_integer((json_int_t)p->next_refresh) : json_null());
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *table_json(const hs_peers_t *ps, bool live, time_t now)
{
	bool ok = true;
	json_t *root = json_object();
	json_t *arr = json_array();
	if (root == NULL || arr == NULL) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	SETN(root, "format", json_string(HS_PEER_FORMAT));
	for (size_t i = 0; i < ps->count; i++) {
		APPN(arr, peer_json(ps->peers[i], live, now));
	}
	SETN(root, "peers", arr);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

json_t *hs_peers_json(const hs_peers_t *ps, time_t now)
{
	return ps != NULL ? table_json(ps, true, now) : NULL;
}

int hs_peers_save(const hs_peers_t *ps, const char *path)
{
	if (ps == NULL || path == NULL) {
		return HS_EINVAL;
	}
	json_t *root = table_json(ps, false, 0);
	if (root == NULL) {
		return HS_ENOMEM;
	}
	const hs_state_opts_t o = { .mode = 0600 };
	int ret = hs_state_write_json(path, root, JSON_INDENT(1) | JSON_PRESERVE_ORDER, &o);
	json_decref(root);
	return ret;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct {
	char *why;
	size_t whylen;
	const char *path;
} loadctx_t;

static int bad(loadctx_t *c, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(loadctx_t *c, size_t i, const char *fmt, ...)
{
	if (c->why != NULL && c->whylen > 0) {
		char what[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		if (i == (size_t)-1) {
			snprintf(c->why, c->whylen, "%s: %s", c->path, what);
		} else {
			snprintf(c->why, c->whylen, "%s: peers[%zu]: %s", c->path, i, what);
		}
	}
	return HS_ESYNTAX;
}

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool get_int(json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v)) {
		return false;
	}
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		return false;
	}
	*out = n;
	return true;
}

static int load_peer(loadctx_t *c, size_t i, json_t *o, const hs_peer_timers_t *t,
                     time_t now, hs_peer_t **out)
{
	if (!json_is_object(o)) {
		return bad(c, i, "not an object");
	}
	const char *id = get_str(o, "identity");
	knot_dname_storage_t idn;
	if (id == NULL || knot_dname_from_str(idn, id, sizeof(idn)) == NULL || idn[0] == 0) {
		return bad(c, i, "\"identity\" missing or not a domain name");
	}
	const char *st = get_str(o, "state");
	hs_peer_state_t state;
	if (st == NULL || hs_peer_state_parse(st, &state) != HS_EOK) {
		return bad(c, i, "\"state\" missing or unknown");
	}
	json_int_t since = 0, port = 0, last = 0;
	if (!get_int(o, "since", 0, INT64_MAX, &since) ||
	    !get_int(o, "last_contact", 0, INT64_MAX, &last)) {
		return bad(c, i, "\"since\" or \"last_contact\" missing or not a time");
	}
	if (!get_int(o, "port", 0, 65535, &port)) {
		return bad(c, i, "\"port\" missing or not 0-65535");
	}
	const char *reason = get_str(o, "reason");
	const char *host = get_str(o, "host");
	json_t *addrs = json_object_get(o, "addresses");
	json_t *keys = json_object_get(o, "keys");
	json_t *zones = json_object_get(o, "zones");
	if (reason == NULL || host == NULL || !json_is_array(addrs) || !json_is_array(keys) ||
	    !json_is_array(zones)) {
		return bad(c, i, "\"reason\", \"host\", \"addresses\", \"keys\" or \"zones\" missing "
		           "or of the wrong type");
	}
	if (json_array_size(addrs) > HS_DISC_MAX_ADDRS || json_array_size(keys) > HS_DISC_MAX_KEYS) {
		return bad(c, i, "too many addresses or keys");
	}
	hs_peer_t *p = peer_new(idn, t, now);
	if (p == NULL) {
		return HS_ENOMEM;
	}
	int ret = HS_EOK;
	if (host[0] != '\0' && (knot_dname_from_str(p->host, host, sizeof(p->host)) == NULL)) {
		ret = bad(c, i, "\"host\" is not a domain name");
		goto fail;
	}
	if (host[0] == '\0') {
		p->host[0] = 0;
	}
	knot_dname_to_lower(p->host);
	p->port = (uint16_t)port;
	for (size_t k = 0; k < json_array_size(addrs); k++) {
		const char *a = json_string_value(json_array_get(addrs, k));
		struct sockaddr_storage *ss = &p->addrs[p->naddrs];
		memset(ss, 0, sizeof(*ss));
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (a != NULL && inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(p->port);
		} else if (a != NULL && inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(p->port);
		} else {
			ret = bad(c, i, "addresses[%zu] is not an IPv4 or IPv6 address", k);
			goto fail;
		}
		p->naddrs++;
	}
	for (size_t k = 0; k < json_array_size(keys); k++) {
		const char *s = json_string_value(json_array_get(keys, k));
		uint8_t bin[2048];
		size_t blen = 0;
		if (s == NULL || sodium_base642bin(bin, sizeof(bin), s, strlen(s), NULL, &blen, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL) != 0) {
			ret = bad(c, i, "keys[%zu] is not base64", k);
			goto fail;
		}
		if (p->host[0] == 0) {
			ret = bad(c, i, "keys without a \"host\"");
			goto fail;
		}
		int kr = hs_key_from_rdata(p->host, bin, blen, &p->keys[p->nkeys]);
		if (kr == HS_ENOMEM) {
			ret = kr;
			goto fail;
		}
		if (kr != HS_EOK) {
			ret = bad(c, i, "keys[%zu]: %s", k, hs_strerror(kr));
			goto fail;
		}
		p->nkeys++;
	}
	for (size_t k = 0; k < json_array_size(zones); k++) {
		const char *z = json_string_value(json_array_get(zones, k));
		char *zn = z != NULL ? zone_norm(z) : NULL;
		if (zn == NULL) {
			ret = bad(c, i, "zones[%zu] is not a domain name", k);
			goto fail;
		}
		ret = add_zone(p, zn);
		if (ret != HS_EOK) {
			goto fail;
		}
	}
	if (state != HS_PEER_NEEDED && state != HS_PEER_ERROR &&
	    (p->nkeys == 0 || p->host[0] == 0 || p->port == 0 || p->naddrs == 0)) {
		ret = bad(c, i, "state %s without host, port, addresses and keys",
		          hs_peer_state_name(state));
		goto fail;
	}
	p->last_contact = (time_t)last;
	p->since = (time_t)since;
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
	p->state = state;
	if (channel_up(state)) {
		p->state = HS_PEER_KNOWN;
		p->since = now;
		set_reason(p, "restarted (was %s); introducing again", hs_peer_state_name(state));
	}
	p->next_try = now;
	p->next_refresh = now;   /* catch what changed while we were down */
	*out = p;
	return HS_EOK;
fail:
	peer_free(p);
	return ret;
}

int hs_peers_load(hs_peers_t *ps, const char *path, time_t now, char *why, size_t whylen)
{
	if (ps == NULL || path == NULL) {
		return HS_EINVAL;
	}
	if (ps->count != 0) {
		return HS_EEXIST;
	}
	if (why != NULL && whylen > 0) {
		why[0] = '\0';
	}
	loadctx_t c = { why, whylen, path };
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT) {
			return HS_EOK;
		}
		if (why != NULL && whylen > 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
		}
		return HS_EIO;
	}
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (jerr.line < 0) {   /* could not read */
			if (why != NULL && whylen > 0) {
				snprintf(why, whylen, "%s: %s", path, jerr.text);
			}
			return HS_EIO;
		}
		if (why != NULL && whylen > 0) {
			snprintf(why, whylen, "%s:%d: %s", path, jerr.line, jerr.text);
		}
		return HS_ESYNTAX;
	}
	int ret = HS_EOK;
	const char *fmt = json_is_object(root) ? get_str(root, "format") : NULL;
	json_t *arr = json_is_object(root) ? json_object_get(root, "peers") : NULL;
	if (fmt == NULL || strcmp(fmt, HS_PEER_FORMAT) != 0) {
		ret = bad(&c, (size_t)-1, "\"format\" is not \"%s\"", HS_PEER_FORMAT);
	} else if (!json_is_array(arr)) {
		ret = bad(&c, (size_t)-1, "\"peers\" missing or not an array");
	}
	hs_peers_t tmp = { .timers = ps->timers };
	for (size_t i = 0; ret == HS_EOK && i < json_array_size(arr); i++) {
		hs_peer_t *p = NULL;
		ret = load_peer(&c, i, json_array_get(arr, i), &ps->timers, now, &p);
		if (ret == HS_EOK && hs_peers_find(&tmp, p->identity) != NULL) {
			ret = bad(&c, i, "identity %s twice", p->name);
			peer_free(p);
		} else if (ret == HS_EOK) {
			ret = append_peer(&tmp, p);
			if (ret != HS_EOK) {
				peer_free(p);
			}
		}
	}
	json_decref(root);
	if (ret != HS_EOK) {
		for (size_t i = 0; i < tmp.count; i++) {
			peer_free(tmp.peers[i]);
		}
		free(tmp.peers);
		return ret;
	}
	free(ps->peers);
	ps->peers = tmp.peers;
	ps->count = tmp.count;
	ps->cap = tmp.cap;
	return HS_EOK;
}

/* ---- table for people ------------------------------------------------------- */

typedef struct {
	char *buf;
	size_t len, cap;
	bool fail;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
	if (b->fail) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->fail = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->len + (size_t)n + 1) * 2;
		char *nb = realloc(b->buf, cap);
		if (nb == NULL) {
			b->fail = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

enum { C_ID, C_STATE, C_LAST, C_HOST, C_KEYS, C_ZONES, C_REASON, NCOLS };

/* The cells of one row, into a malloc'd array of malloc'd strings. */
static void row_cells(const hs_peer_t *p, time_t now, char *cells[NCOLS])
{
	sbuf_t b[NCOLS] = { { 0 } };
	sb_printf(&b[C_ID], "%s", p->name);
	sb_printf(&b[C_STATE], "%s", hs_peer_state_name(p->state));
	if (p->last_contact == 0) {
		sb_printf(&b[C_LAST], "never");
	} else {
		sb_printf(&b[C_LAST], "%llds ago", (long long)(now - p->last_contact));
	}
	if (p->host[0] != 0) {
		char host[KNOT_DNAME_TXT_MAXLEN + 1];
		if (knot_dname_to_str(host, p->host, sizeof(host)) != NULL) {
			sb_printf(&b[C_HOST], "%s:%u", host, p->port);
		}
	} else {
		sb_printf(&b[C_HOST], "-");
	}
	for (size_t i = 0; i < p->nkeys; i++) {
		sb_printf(&b[C_KEYS], "%s%u/%u", i > 0 ? "," : "", p->keys[i]->algorithm,
		          p->keys[i]->keytag);
	}
	if (p->nkeys == 0) {
		sb_printf(&b[C_KEYS], "-");
	}
	for (size_t i = 0; i < p->nzones; i++) {
		sb_printf(&b[C_ZONES], "%s%s", i > 0 ? "," : "", p->zones[i]);
	}
	if (p->nzones == 0) {
		sb_printf(&b[C_ZONES], "-");
	}
	sb_printf(&b[C_REASON], "%s", p->reason);
	for (int k = 0; k < NCOLS; k++) {
		if (b[k].fail || b[k].buf == NULL) {
			free(b[k].buf);
			cells[k] = strdup(b[k].fail ? "?" : "");
		} else {
			cells[k] = b[k].buf;
		}
	}
}

int hs_peers_table(const hs_peers_t *ps, time_t now, char **out)
{
	if (ps == NULL || out == NULL) {
		return HS_EINVAL;
	}
	static const char *const head[NCOLS] = {
		"IDENTITY", "STATE", "LAST CONTACT", "HOST:PORT", "KEYS", "ZONES", "REASON"
	};
	size_t n = ps->count;
	char *(*cells)[NCOLS] = calloc(n + 1, sizeof(*cells));
	if (cells == NULL) {
		return HS_ENOMEM;
	}
	size_t width[NCOLS];
	for (int k = 0; k < NCOLS; k++) {
		width[k] = strlen(head[k]);
	}
	bool fail = false;
	for (size_t i = 0; i < n; i++) {
		row_cells(ps->peers[i], now, cells[i]);
		for (int k = 0; k < NCOLS; k++) {
			if (cells[i][k] == NULL) {
				fail = true;
			} else if (strlen(cells[i][k]) > width[k]) {
				width[k] = strlen(cells[i][k]);
			}
		}
	}
	sbuf_t b = { 0 };
	for (size_t i = 0; !fail && i <= n; i++) {
		for (int k = 0; k < NCOLS; k++) {
			const char *s = i == 0 ? head[k] : cells[i - 1][k];
			if (k == NCOLS - 1) {
				sb_printf(&b, "%s\n", s);
			} else {
				sb_printf(&b, "%-*s  ", (int)width[k], s);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < NCOLS; k++) {
			free(cells[i][k]);
		}
	}
	free(cells);
	if (fail || b.fail) {
		free(b.buf);
		return HS_ENOMEM;
	}
	/* no trailing blanks when the last column is empty */
	char *w = b.buf, *r = b.buf;
	while (*r != '\0') {
		char *eol = strchr(r, '\n');
		char *e = eol;
		while (e > r && e[-1] == ' ') {
			e--;
		}
		memmove(w, r, (size_t)(e - r));
		w += e - r;
		*w++ = '\n';
		r = eol + 1;
	}
	*w = '\0';
	*out = b.buf;
	return HS_EOK;
}
