/*
 * combinerd/proto.c -- the answers combinerd gives to messages that are not
 * zone transfers: UPDATE from the agent, NOTIFY from a primary, queries for
 * the SOA and the apex types it combines (combinerd.h says which answer when).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "combinerd/combinerd.h"
#include "common/addr.h"
#include "common/log.h"
#include "common/xfr.h"
#include "libhsync/error.h"

cbd_zone_t *cbd_view_zone(const cbd_view_t *v, const knot_dname_t *name)
{
	for (size_t i = 0; v != NULL && name != NULL && i < v->nzones; i++) {
		if (v->zones[i] != NULL && hs_dname_equal(v->zones[i]->apex, name)) {
			return v->zones[i];
		}
	}
	return NULL;
}

static void say(char *log, size_t loglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *log, size_t loglen, const char *fmt, ...)
{
	if (log == NULL || loglen == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(log, loglen, fmt, ap);
	va_end(ap);
}

/* A header-only answer to a message whose question libknot cannot read. */
static int answer_bare(knot_pkt_t *resp, const uint8_t *msg, uint16_t rcode)
{
	knot_pkt_clear(resp);
	memcpy(resp->wire, msg, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_qr(resp->wire);
	knot_wire_clear_aa(resp->wire);
	knot_wire_clear_tc(resp->wire);
	knot_wire_clear_ad(resp->wire);
	knot_wire_set_rcode(resp->wire, (uint8_t)rcode);
	knot_wire_set_qdcount(resp->wire, 0);
	knot_wire_set_ancount(resp->wire, 0);
	knot_wire_set_nscount(resp->wire, 0);
	knot_wire_set_arcount(resp->wire, 0);
	resp->size = KNOT_WIRE_HEADER_SIZE;
	return HS_EOK;
}

static const char *key_str(const knot_tsig_key_t *k, char *buf, size_t len)
{
	if (k == NULL || knot_dname_to_str(buf, k->name, len) == NULL) {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

static int do_update(const cbd_view_t *v, const struct sockaddr *peer, knot_pkt_t *q,
                     knot_pkt_t *resp, cbd_zone_t **zone, int *action, char *log, size_t loglen)
{
	hs_tsig_ctx_t ctx = { 0 };
	int ret = hs_tsig_check_query(q, &v->cfg->keys, &ctx);
	char zn[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
	char kn[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_wire_get_qdcount(q->wire) == 1) {
		knot_dname_to_str(zn, knot_pkt_qname(q), sizeof(zn));
		*zone = cbd_view_zone(v, knot_pkt_qname(q));  /* for the log line */
	}
	if (ret == HS_ETSIG_NONE) {
		say(log, loglen, "UPDATE for %s refused: not TSIG-signed", zn);
		return hs_xfr_answer(resp, q, KNOT_RCODE_REFUSED, NULL);
	}
	if (ret != HS_EOK) {
		say(log, loglen, "UPDATE for %s refused: TSIG: %s", zn, hs_strerror(ret));
		return hs_xfr_answer(resp, q, KNOT_RCODE_NOTAUTH, &ctx);
	}
	if (knot_wire_get_qdcount(q->wire) != 1) {
		say(log, loglen, "UPDATE refused: zone section must hold one zone");
		return hs_xfr_answer(resp, q, KNOT_RCODE_FORMERR, &ctx);
	}
	cbd_zone_t *z = cbd_view_zone(v, knot_pkt_qname(q));
	if (z == NULL) {
		say(log, loglen, "UPDATE for %s refused: not a zone of ours", zn);
		return hs_xfr_answer(resp, q, KNOT_RCODE_NOTAUTH, &ctx);
	}
	*zone = z;
	key_str(ctx.key, kn, sizeof(kn));
	if (z->cfg->agent_key == NULL ||
	    !knot_dname_is_equal(z->cfg->agent_key->name, ctx.key->name)) {
		say(log, loglen, "UPDATE refused: signed with key %s, not the zone's agent-key", kn);
		return hs_xfr_answer(resp, q, KNOT_RCODE_REFUSED, &ctx);
	}
	uint16_t rcode = KNOT_RCODE_SERVFAIL;
	hs_contrib_report_t rep;
	memset(&rep, 0, sizeof(rep));
	char why[256] = "";
	hs_contrib_allow_key(z->ct, z->cfg->allow_key);   /* as configured now (reload) */
	ret = hs_contrib_update(z->ct, q, hs_combiner_zone(z->comb), kn, z->cpath, &rcode, &rep,
	                        why, sizeof(why));
	if (ret != HS_EOK) {
		say(log, loglen, "UPDATE from key %s failed: %s", kn, hs_strerror(ret));
		hs_contrib_report_clear(&rep);
		return hs_xfr_answer(resp, q, KNOT_RCODE_SERVFAIL, &ctx);
	}
	if (rcode != KNOT_RCODE_NOERROR) {
		const knot_lookup_t *rc = knot_lookup_by_id(knot_rcode_names, rcode);
		say(log, loglen, "UPDATE from key %s refused (%s): %s", kn,
		    rc != NULL ? rc->name : "?", why);
		hs_contrib_report_clear(&rep);
		return hs_xfr_answer(resp, q, rcode, &ctx);
	}
	if (rep.n == 0) {
		say(log, loglen, "UPDATE from key %s: no change", kn);
		hs_contrib_report_clear(&rep);
		return hs_xfr_answer(resp, q, KNOT_RCODE_NOERROR, &ctx);
	}
	char what[1024];
	hs_contrib_report_str(&rep, what, sizeof(what));
	hs_contrib_report_clear(&rep);
	char from[KNOT_DNAME_TXT_MAXLEN + 8], p[HS_ADDR_STRLEN];
	snprintf(from, sizeof(from), "key %s", kn);
	if (hs_addr_format(peer, p, sizeof(p)) != HS_EOK) {
		snprintf(p, sizeof(p), "?");
	}
	/* the change first, then the rebuild it causes (zone.c logs that) */
	hs_log(HS_LOG_NOTICE, z->text, p, "contribution from key %s: %s", kn, what);
	ret = cbd_zone_contrib_changed(z, from);
	if (ret < 0) {
		/* The contribution is stored (on disk); the combined zone will
		 * carry it after the next owner transfer. */
		say(log, loglen, "contribution stored, but the rebuild failed: %s", hs_strerror(ret));
	} else {
		*action = ret > 0 ? CBD_ACT_CHANGED : CBD_ACT_NONE;
	}
	return hs_xfr_answer(resp, q, KNOT_RCODE_NOERROR, &ctx);
}

static int do_notify(const cbd_view_t *v, const struct sockaddr *peer, knot_pkt_t *q,
                     knot_pkt_t *resp, cbd_zone_t **zone, int *action, char *log, size_t loglen)
{
	const knot_dname_t *name = NULL;
	bool has_serial = false;
	uint32_t serial = 0;
	if (hs_xfr_notify_parse(q, &name, NULL, &has_serial, &serial) != HS_EOK) {
		say(log, loglen, "malformed NOTIFY");
		return hs_xfr_answer(resp, q, KNOT_RCODE_FORMERR, NULL);
	}
	char zn[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(zn, name, sizeof(zn));
	hs_tsig_ctx_t ctx = { 0 };
	int tret = hs_tsig_check_query(q, &v->cfg->keys, &ctx);
	if (tret != HS_EOK && tret != HS_ETSIG_NONE) {
		say(log, loglen, "NOTIFY for %s refused: TSIG: %s", zn, hs_strerror(tret));
		return hs_xfr_answer(resp, q, KNOT_RCODE_NOTAUTH, &ctx);
	}
	cbd_zone_t *z = cbd_view_zone(v, name);
	if (z == NULL) {
		say(log, loglen, "NOTIFY for %s refused: not a zone of ours", zn);
		return hs_xfr_answer(resp, q, KNOT_RCODE_NOTAUTH, &ctx);
	}
	*zone = z;
	const cbd_primary_t *p = cbd_primary_of(z->cfg, peer);
	if (p == NULL) {
		say(log, loglen, "NOTIFY refused: not from a primary of the zone");
		return hs_xfr_answer(resp, q, KNOT_RCODE_REFUSED, &ctx);
	}
	const knot_tsig_key_t *k = tret == HS_EOK ? ctx.key : NULL;
	if (p->key != NULL && (k == NULL || !knot_dname_is_equal(k->name, p->key->name))) {
		char kn[KNOT_DNAME_TXT_MAXLEN + 1];
		say(log, loglen, "NOTIFY refused: signed with key %s, the primary's key is needed",
		    key_str(k, kn, sizeof(kn)));
		return hs_xfr_answer(resp, q, KNOT_RCODE_REFUSED, &ctx);
	}
	if (has_serial) {
		say(log, loglen, "NOTIFY from a primary, serial %u", serial);
	} else {
		say(log, loglen, "NOTIFY from a primary");
	}
	*action = CBD_ACT_REFRESH;
	return hs_xfr_answer(resp, q, KNOT_RCODE_NOERROR, &ctx);
}

static bool apex_type(uint16_t t)
{
	return t == KNOT_RRTYPE_SOA || hs_contrib_type_ok(t);
}

static int do_query(const cbd_view_t *v, knot_pkt_t *q, knot_pkt_t *resp, char *log,
                    size_t loglen)
{
	hs_tsig_ctx_t ctx = { 0 };
	int tret = hs_tsig_check_query(q, &v->cfg->keys, &ctx);
	if (tret != HS_EOK && tret != HS_ETSIG_NONE) {
		say(log, loglen, "query refused: TSIG: %s", hs_strerror(tret));
		return hs_xfr_answer(resp, q, KNOT_RCODE_NOTAUTH, &ctx);
	}
	hs_tsig_ctx_t *c = tret == HS_EOK ? &ctx : NULL;
	cbd_zone_t *z = knot_wire_get_qdcount(q->wire) == 1 ? cbd_view_zone(v, knot_pkt_qname(q)) : NULL;
	hs_zone_t *cz = cbd_zone_combined(z);
	if (z == NULL || cz == NULL || z->expired || knot_pkt_qclass(q) != KNOT_CLASS_IN ||
	    !apex_type(knot_pkt_qtype(q))) {
		return hs_xfr_answer(resp, q, KNOT_RCODE_REFUSED, c);
	}
	knot_pkt_clear(resp);
	int ret = knot_pkt_init_response(resp, q);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_wire_set_aa(resp->wire);
	knot_wire_clear_ad(resp->wire);
	if (c != NULL) {
		ret = hs_tsig_reserve(resp, c->key);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	knot_rrset_t rr;
	uint16_t sect = KNOT_ANSWER;
	if (hs_zone_find(cz, z->apex, knot_pkt_qtype(q), &rr) != HS_EOK) {
		/* NODATA: the SOA in the authority section (RFC 2308). */
		sect = KNOT_AUTHORITY;
		ret = hs_zone_find(cz, z->apex, KNOT_RRTYPE_SOA, &rr);
	}
	if (ret == HS_EOK) {
		ret = knot_pkt_begin(resp, sect);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(resp, KNOT_COMPR_HINT_QNAME, &rr, 0);
	}
	if (ret != KNOT_EOK) {
		/* too big for the query's transport: say so with TC */
		knot_pkt_clear(resp);
		knot_pkt_init_response(resp, q);
		knot_wire_set_aa(resp->wire);
		knot_wire_set_tc(resp->wire);
		if (c != NULL && hs_tsig_reserve(resp, c->key) != KNOT_EOK) {
			return HS_ESPACE;
		}
	}
	return c != NULL ? hs_tsig_sign_response(resp, c) : HS_EOK;
}

int cbd_handle(const cbd_view_t *v, const struct sockaddr *peer, bool udp, const uint8_t *msg,
               size_t len, knot_pkt_t *resp, cbd_zone_t **zone, int *action, char *log,
               size_t loglen)
{
	if (v == NULL || peer == NULL || msg == NULL || resp == NULL || zone == NULL ||
	    action == NULL) {
		return HS_EINVAL;
	}
	*zone = NULL;
	*action = CBD_ACT_NONE;
	say(log, loglen, "%s", "");
	resp->size = 0;
	resp->max_size = udp ? KNOT_WIRE_MIN_PKTSIZE : KNOT_WIRE_MAX_PKTSIZE;
	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(msg)) {
		return HS_EOK;  /* not a query: drop */
	}
	uint8_t opcode = knot_wire_get_opcode(msg);
	uint8_t copy[KNOT_WIRE_MAX_PKTSIZE];
	if (len > sizeof(copy)) {
		return HS_EOK;
	}
	memcpy(copy, msg, len);
	knot_pkt_t *q = knot_pkt_new(copy, (uint16_t)len, NULL);
	if (q == NULL) {
		return HS_ENOMEM;
	}
	int ret;
	if (knot_pkt_parse(q, 0) != KNOT_EOK) {
		say(log, loglen, "%s: malformed message (libknot cannot parse it)",
		    opcode == KNOT_OPCODE_UPDATE ? "UPDATE" : opcode == KNOT_OPCODE_NOTIFY
		                                          ? "NOTIFY" : "query");
		ret = answer_bare(resp, msg, KNOT_RCODE_FORMERR);
	} else if (opcode == KNOT_OPCODE_UPDATE) {
		ret = do_update(v, peer, q, resp, zone, action, log, loglen);
	} else if (opcode == KNOT_OPCODE_NOTIFY) {
		ret = do_notify(v, peer, q, resp, zone, action, log, loglen);
	} else if (opcode == KNOT_OPCODE_QUERY && knot_wire_get_qdcount(q->wire) == 1) {
		ret = do_query(v, q, resp, log, loglen);
	} else {
		ret = hs_xfr_answer(resp, q, KNOT_RCODE_NOTIMPL, NULL);
	}
	knot_pkt_free(q);
	return ret;
}
