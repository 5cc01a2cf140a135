/*
 * agentd/peerfile.c -- the peer table on disk and for the control socket:
 * JSON export, the state file (save, load with the restart rules) and the
 * table for people. The states and the table itself are in peer.c.
 * See peer.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agentd/peer.h"
#include "agentd/peerint.h"
#include "common/statefile.h"
#include "libhsync/error.h"

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
	hs_peer_t *p = hs_peer_new(idn, t, now);
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
		char *zn = z != NULL ? hs_peer_zone_norm(z) : NULL;
		if (zn == NULL) {
			ret = bad(c, i, "zones[%zu] is not a domain name", k);
			goto fail;
		}
		ret = hs_peer_add_zone(p, zn);
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
	if (hs_peer_channel_up(state)) {
		p->state = HS_PEER_KNOWN;
		p->since = now;
		hs_peer_set_reason(p, "restarted (was %s); introducing again", hs_peer_state_name(state));
	}
	p->next_try = now;
	p->next_refresh = now;   /* catch what changed while we were down */
	*out = p;
	return HS_EOK;
fail:
	hs_peer_free(p);
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
			hs_peer_free(p);
		} else if (ret == HS_EOK) {
			ret = hs_peers_append(&tmp, p);
			if (ret != HS_EOK) {
				hs_peer_free(p);
			}
		}
	}
	json_decref(root);
	if (ret != HS_EOK) {
		for (size_t i = 0; i < tmp.count; i++) {
			hs_peer_free(tmp.peers[i]);
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
