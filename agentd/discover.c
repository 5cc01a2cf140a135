/*
 * agentd/discover.c -- URI, SVCB, KEY discovery of a peer identity.
 * See discover.h for the rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/discover.h"
#include "agentd/resolve.h"
#include "libhsync/codepoints.h"
#include "common/zone.h"
#include "libhsync/error.h"


static const uint8_t DNS_TCP_PREFIX[] = "\x04_dns\x04_tcp";

/* Copy a name known to be valid (it came through a check already). */
static void dname_copy(uint8_t *dst, const knot_dname_t *src)
{
	memmove(dst, src, knot_dname_size(src));
}

const char *hs_disc_type_name(uint16_t type)
{
	switch (type) {
	case KNOT_RRTYPE_URI:   return "URI";
	case KNOT_RRTYPE_SVCB:  return "SVCB";
	case HS_RRTYPE_KEY:     return "KEY";
	default:                return "other";
	}
}

/* Set the reason: "<text> for TYPE NAME" and return code. */
static int fail(hs_disc_t *d, int code, bool keep_state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(hs_disc_t *d, int code, bool keep_state, const char *fmt, ...)
{
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(d->qname, name, sizeof(name));
	snprintf(d->reason, sizeof(d->reason), "%s for %s %s", what,
	         hs_disc_type_name(d->qtype), name);
	d->error = code;
	if (!keep_state) {
		d->state = HS_DISC_FAILED;
		d->sent = false;
	}
	return code;
}

static void set_query(hs_disc_t *d)
{
	d->sent = false;
	switch (d->state) {
	case HS_DISC_URI: {
		size_t plen = sizeof(DNS_TCP_PREFIX) - 1;
		memcpy(d->qname, DNS_TCP_PREFIX, plen);
		dname_copy(d->qname + plen, d->res.identity);
		d->qtype = KNOT_RRTYPE_URI;
		break;
	}
	case HS_DISC_SVCB:
		dname_copy(d->qname, d->svcb_name);
		d->qtype = KNOT_RRTYPE_SVCB;
		break;
	case HS_DISC_KEY:
		dname_copy(d->qname, d->res.host);
		d->qtype = HS_RRTYPE_KEY;
		break;
	default:
		break;
	}
}

static void free_keys(hs_disc_t *d)
{
	for (size_t i = 0; i < d->res.nkeys; i++) {
		hs_key_free(d->res.keys[i]);
		d->res.keys[i] = NULL;
	}
	d->res.nkeys = 0;
}

int hs_disc_init(hs_disc_t *d, const knot_dname_t *identity, const char *resolver)
{
	if (d == NULL || identity == NULL) {
		return HS_EINVAL;
	}
	int len = knot_dname_size(identity);
	if (len <= 1) {
		return HS_EINVAL;
	}
	if ((size_t)len + sizeof(DNS_TCP_PREFIX) - 1 > KNOT_DNAME_MAXLEN) {
		return HS_ENAME;
	}
	memset(d, 0, sizeof(*d));
	dname_copy(d->res.identity, identity);
	knot_dname_to_lower(d->res.identity);
	snprintf(d->resolver, sizeof(d->resolver), "%s", resolver != NULL ? resolver : "resolver");
	d->state = HS_DISC_URI;
	set_query(d);
	return HS_EOK;
}

void hs_disc_clear(hs_disc_t *d)
{
	if (d == NULL) {
		return;
	}
	free_keys(d);
	d->state = HS_DISC_FAILED;
	d->sent = false;
}

void hs_disc_restart(hs_disc_t *d)
{
	if (d == NULL) {
		return;
	}
	free_keys(d);
	knot_dname_storage_t id;
	dname_copy(id, d->res.identity);
	memset(&d->res, 0, sizeof(d->res));
	dname_copy(d->res.identity, id);
	d->error = 0;
	d->reason[0] = '\0';
	d->aliases = 0;
	d->uri_port = 0;
	d->state = HS_DISC_URI;
	set_query(d);
}

hs_disc_state_t hs_disc_state(const hs_disc_t *d)
{
	return d->state;
}

const char *hs_disc_reason(const hs_disc_t *d)
{
	return d->reason;
}

bool hs_disc_permanent(const hs_disc_t *d)
{
	return d->state == HS_DISC_FAILED &&
	       (d->error == HS_EDISC_DATA || d->error == HS_EKEYALG);
}

const hs_disc_result_t *hs_disc_result(const hs_disc_t *d)
{
	return d != NULL && d->state == HS_DISC_DONE ? &d->res : NULL;
}

int hs_disc_next(const hs_disc_t *d, const knot_dname_t **qname, uint16_t *qtype)
{
	if (d == NULL || d->state > HS_DISC_KEY) {
		return HS_EINVAL;
	}
	if (qname != NULL) {
		*qname = d->qname;
	}
	if (qtype != NULL) {
		*qtype = d->qtype;
	}
	return HS_EOK;
}

int hs_disc_query(hs_disc_t *d, knot_pkt_t **out)
{
	if (d == NULL || out == NULL || d->state > HS_DISC_KEY) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_resolve_query_new(d->qname, d->qtype, &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	d->qid = knot_wire_get_id(pkt->wire);
	d->sent = true;
	*out = pkt;
	return HS_EOK;
}

int hs_disc_timeout(hs_disc_t *d)
{
	if (d == NULL || d->state > HS_DISC_KEY) {
		return HS_EINVAL;
	}
	return fail(d, -ETIMEDOUT, false, "no answer from resolver %s", d->resolver);
}

/* ---- URI target ------------------------------------------------------------ */

int hs_disc_parse_uri_target(const uint8_t *t, size_t len, knot_dname_storage_t host,
                             uint16_t *port)
{
	if (t == NULL || host == NULL || port == NULL) {
		return HS_EINVAL;
	}
	static const char scheme[] = "dns://";
	size_t slen = sizeof(scheme) - 1;
	if (len < slen || strncasecmp((const char *)t, scheme, slen) != 0) {
		return HS_EDISC_DATA;
	}
	size_t i = slen, hstart = slen;
	while (i < len && t[i] != ':' && t[i] != '/') {
		uint8_t c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
			return HS_EDISC_DATA;   /* also '@', '[', '%', spaces, NUL */
		}
		i++;
	}
	size_t hlen = i - hstart;
	if (hlen == 0 || hlen > KNOT_DNAME_TXT_MAXLEN - 1) {
		return HS_EDISC_DATA;
	}
	char htext[KNOT_DNAME_TXT_MAXLEN + 2];
	memcpy(htext, t + hstart, hlen);
	htext[hlen] = '\0';
	if (htext[0] == '.' || strstr(htext, "..") != NULL) {
		return HS_EDISC_DATA;
	}
	bool all_digits_dots = true;
	for (size_t k = 0; k < hlen; k++) {
		if (htext[k] != '.' && (htext[k] < '0' || htext[k] > '9')) {
			all_digits_dots = false;
		}
	}
	if (all_digits_dots) {
		return HS_EDISC_DATA;   /* an IPv4 literal: there is no name for SVCB/KEY */
	}
	if (htext[hlen - 1] != '.') {
		htext[hlen] = '.';
		htext[hlen + 1] = '\0';
	}
	knot_dname_storage_t h;
	if (knot_dname_from_str(h, htext, sizeof(h)) == NULL) {
		return HS_EDISC_DATA;
	}
	uint32_t p = HS_DISC_DEFAULT_PORT;
	if (i < len && t[i] == ':') {
		i++;
		size_t digits = 0;
		p = 0;
		while (i < len && t[i] >= '0' && t[i] <= '9' && digits < 6) {
			p = p * 10 + (uint32_t)(t[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || digits > 5 || p == 0 || p > 65535) {
			return HS_EDISC_DATA;
		}
	}
	if (i < len && t[i] == '/') {
		i++;
	}
	if (i != len) {
		return HS_EDISC_DATA;
	}
	knot_dname_to_lower(h);
	dname_copy(host, h);
	*port = (uint16_t)p;
	return HS_EOK;
}

/* Printable copy of untrusted bytes for a reason. */
static void printable(const uint8_t *s, size_t len, char *out, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < len && j + 1 < size; i++) {
		out[j++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? (char)s[i] : '?';
	}
	out[j] = '\0';
}

/* ---- answers ------------------------------------------------------------------ */

static int use_uri(hs_disc_t *d, const knot_rrset_t *rr)
{
	const knot_rdata_t *best = NULL;
	knot_rdata_t *rd = rr->rrs.rdata;
	char badtext[128] = "";
	for (uint16_t i = 0; i < rr->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (rd->len < 5) {
			continue;   /* no target */
		}
		if (best == NULL) {
			best = rd;
			continue;
		}
		uint16_t p = knot_wire_read_u16(rd->data), bp = knot_wire_read_u16(best->data);
		uint16_t w = knot_wire_read_u16(rd->data + 2), bw = knot_wire_read_u16(best->data + 2);
		if (p < bp || (p == bp && w > bw)) {
			best = rd;
		} else if (p == bp && w == bw) {
			size_t l = rd->len < best->len ? rd->len : best->len;
			int c = memcmp(rd->data + 4, best->data + 4, l - 4);
			if (c < 0 || (c == 0 && rd->len < best->len)) {
				best = rd;
			}
		}
	}
	if (best == NULL) {
		return fail(d, HS_EDISC_DATA, false, "URI record without a target");
	}
	uint16_t port = 0;
	int ret = hs_disc_parse_uri_target(best->data + 4, best->len - 4, d->res.host, &port);
	if (ret != HS_EOK) {
		printable(best->data + 4, best->len - 4, badtext, sizeof(badtext));
		return fail(d, HS_EDISC_DATA, false,
		            "URI target \"%s\" is not dns://HOST[:PORT]", badtext);
	}
	d->uri_port = port;
	d->res.port = port;
	dname_copy(d->svcb_name, d->res.host);
	d->state = HS_DISC_SVCB;
	set_query(d);
	return HS_EOK;
}

/* Parsed ServiceMode SVCB record. */
typedef struct svc {
	uint16_t priority;
	bool has_port;
	uint16_t port;
	size_t n4, n6;
	const uint8_t *v4, *v6;
} svc_t;

static bool key_supported(uint16_t key)
{
	return key == KNOT_SVCB_PARAM_PORT || key == KNOT_SVCB_PARAM_IPV4HINT ||
	       key == KNOT_SVCB_PARAM_IPV6HINT;
}

/* 0 usable, 1 skipped (unsupported mandatory or no hints), HS_EDISC_DATA malformed. */
static int parse_svc(const uint8_t *p, const uint8_t *end, svc_t *s, const char **why)
{
	memset(s, 0, sizeof(*s));
	int first = -1;
	const uint8_t *mand = NULL;
	size_t mand_len = 0;
	while (p < end) {
		if (end - p < 4) {
			*why = "SvcParam cut short";
			return HS_EDISC_DATA;
		}
		uint16_t key = knot_wire_read_u16(p), len = knot_wire_read_u16(p + 2);
		p += 4;
		if ((size_t)(end - p) < len) {
			*why = "SvcParam value cut short";
			return HS_EDISC_DATA;
		}
		if ((int)key <= first) {
			*why = "SvcParams not in strictly increasing key order";
			return HS_EDISC_DATA;
		}
		first = key;
		switch (key) {
		case KNOT_SVCB_PARAM_MANDATORY:
			if (len == 0 || len % 2 != 0) {
				*why = "bad mandatory SvcParam";
				return HS_EDISC_DATA;
			}
			mand = p;
			mand_len = len;
			break;
		case KNOT_SVCB_PARAM_PORT:
			if (len != 2) {
				*why = "port SvcParam is not 2 bytes";
				return HS_EDISC_DATA;
			}
			s->has_port = true;
			s->port = knot_wire_read_u16(p);
			break;
		case KNOT_SVCB_PARAM_IPV4HINT:
			if (len == 0 || len % 4 != 0) {
				*why = "ipv4hint is not a list of IPv4 addresses";
				return HS_EDISC_DATA;
			}
			s->v4 = p;
			s->n4 = len / 4;
			break;
		case KNOT_SVCB_PARAM_IPV6HINT:
			if (len == 0 || len % 16 != 0) {
				*why = "ipv6hint is not a list of IPv6 addresses";
				return HS_EDISC_DATA;
			}
			s->v6 = p;
			s->n6 = len / 16;
			break;
		default:
			break;
		}
		p += len;
	}
	for (size_t i = 0; i < mand_len; i += 2) {
		if (!key_supported(knot_wire_read_u16(mand + i))) {
			*why = "mandatory SvcParam that agentd does not support";
			return 1;
		}
	}
	if (s->n4 == 0 && s->n6 == 0) {
		*why = "no ipv4hint or ipv6hint";
		return 1;
	}
	return 0;
}

static void add_addrs(hs_disc_t *d, const svc_t *s, uint16_t port)
{
	d->res.naddrs = 0;
	for (size_t i = 0; i < s->n4 && d->res.naddrs < HS_DISC_MAX_ADDRS; i++) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&d->res.addrs[d->res.naddrs++];
		memset(sa, 0, sizeof(struct sockaddr_storage));
		sa->sin_family = AF_INET;
		sa->sin_port = htons(port);
		memcpy(&sa->sin_addr, s->v4 + 4 * i, 4);
	}
	for (size_t i = 0; i < s->n6 && d->res.naddrs < HS_DISC_MAX_ADDRS; i++) {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&d->res.addrs[d->res.naddrs++];
		memset(sa, 0, sizeof(struct sockaddr_storage));
		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(port);
		memcpy(&sa->sin6_addr, s->v6 + 16 * i, 16);
	}
}

static int use_svcb(hs_disc_t *d, const knot_rrset_t *rr)
{
	const knot_rdata_t *alias = NULL;
	const knot_rdata_t *best = NULL;
	svc_t best_svc = { 0 };
	const char *skip_why = NULL;
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		const uint8_t *end = rd->data + rd->len;
		if (rd->len < 3) {
			return fail(d, HS_EDISC_DATA, false, "SVCB record too short");
		}
		int tlen = knot_dname_wire_check(rd->data + 2, end, NULL);
		if (tlen <= 0) {
			return fail(d, HS_EDISC_DATA, false, "SVCB target name malformed");
		}
		uint16_t prio = knot_wire_read_u16(rd->data);
		if (prio == 0) {
			/* AliasMode: of several, the lowest target (deterministic). */
			if (alias == NULL || knot_dname_cmp(rd->data + 2, alias->data + 2) < 0) {
				alias = rd;
			}
			continue;
		}
		svc_t s;
		const char *why = NULL;
		int ret = parse_svc(rd->data + 2 + tlen, end, &s, &why);
		if (ret == HS_EDISC_DATA) {
			return fail(d, HS_EDISC_DATA, false, "SVCB record malformed: %s", why);
		}
		if (ret == 1) {
			skip_why = why;
			continue;
		}
		s.priority = prio;
		if (best == NULL || prio < best_svc.priority) {
			best = rd;
			best_svc = s;
		}
	}
	if (alias != NULL) {
		const knot_dname_t *target = alias->data + 2;
		if (knot_dname_is_equal(target, (const knot_dname_t *)"")) {
			return fail(d, HS_EDISC_DATA, false,
			            "SVCB AliasMode to \".\": the service is not available");
		}
		if (++d->aliases > HS_DISC_MAX_ALIAS) {
			return fail(d, HS_EDISC_DATA, false, "more than %d SVCB aliases (a loop?)",
			            HS_DISC_MAX_ALIAS);
		}
		dname_copy(d->svcb_name, target);
		knot_dname_to_lower(d->svcb_name);
		d->state = HS_DISC_SVCB;
		set_query(d);
		return HS_EOK;
	}
	if (best == NULL) {
		return fail(d, HS_EDISC_DATA, false, "no usable SVCB ServiceMode record (%s)",
		            skip_why != NULL ? skip_why : "none");
	}
	d->res.port = best_svc.has_port ? best_svc.port : d->uri_port;
	if (d->res.port == 0) {
		return fail(d, HS_EDISC_DATA, false, "SVCB port 0");
	}
	add_addrs(d, &best_svc, d->res.port);
	d->state = HS_DISC_KEY;
	set_query(d);
	return HS_EOK;
}

static int use_key(hs_disc_t *d, const knot_rrset_t *rr)
{
	free_keys(d);
	int last = HS_EDISC_DATA;
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count && d->res.nkeys < HS_DISC_MAX_KEYS;
	     i++, rd = knot_rdataset_next(rd)) {
		if (rd->len < 4) {
			continue;
		}
		uint16_t flags = knot_wire_read_u16(rd->data);
		if ((flags & 0xC000) == 0xC000) {
			continue;   /* "no key" (RFC 2535 3.1.2) */
		}
		if (!hs_key_alg_supported(rd->data[3])) {
			last = HS_EKEYALG;
			continue;
		}
		hs_key_t *k = NULL;
		int ret = hs_key_from_rdata(d->res.host, rd->data, rd->len, &k);
		if (ret == HS_ENOMEM) {
			free_keys(d);
			return fail(d, ret, false, "out of memory");
		}
		if (ret != HS_EOK) {
			continue;
		}
		d->res.keys[d->res.nkeys++] = k;
	}
	if (d->res.nkeys == 0) {
		return fail(d, last, false, "no usable KEY record (%s)",
		            last == HS_EKEYALG ? "algorithms not supported" : "malformed");
	}
	d->state = HS_DISC_DONE;
	d->sent = false;
	d->error = 0;
	d->reason[0] = '\0';
	return HS_EOK;
}

int hs_disc_feed(hs_disc_t *d, const uint8_t *wire, size_t len)
{
	if (d == NULL || wire == NULL || d->state > HS_DISC_KEY || !d->sent) {
		return HS_EINVAL;
	}
	char why[384];   /* as much as fail() keeps */
	knot_pkt_t *pkt = NULL;
	knot_rrset_t all;
	int ret = hs_resolve_check(d->qid, d->qname, d->qtype, wire, len, d->resolver, &pkt, &all,
	                           why, sizeof(why));
	if (ret == HS_ENOMEM || ret == HS_EINVAL) {
		knot_pkt_free(pkt);
		return ret;
	}
	if (ret != HS_EOK) {
		/* a mismatch may be a stray answer: the real one can still come */
		knot_pkt_free(pkt);
		return fail(d, ret, ret == HS_EDISC_MISMATCH, "%s", why);
	}
	switch (d->qtype) {
	case KNOT_RRTYPE_URI:  ret = use_uri(d, &all); break;
	case KNOT_RRTYPE_SVCB: ret = use_svcb(d, &all); break;
	default:               ret = use_key(d, &all); break;
	}
	/* The owner is borrowed from the packet; only the RDATA is ours. */
	knot_rdataset_clear(&all.rrs, NULL);
	knot_pkt_free(pkt);
	return ret;
}
