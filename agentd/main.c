/*
 * agentd/main.c -- the agentd daemon: the libuv loop around its modules.
 *
 * Zones and intent come from the configuration (static zone list) and from
 * hsyncd (NOTIFY with TSIG, then a query for the HSYNC RRset, TYPE65282).
 * Every other identity named in HSYNC is a peer (peer.h); a timer ticks the
 * peers and does what they ask: discovery through the validating resolver
 * (discover.h), HELLO and HEARTBEAT (msg.h), whose signed answers are
 * verified here. Incoming agent messages go through channel.c. Peer states
 * are saved in state-dir/peers.json after every change; zones learned from
 * hsyncd in state-dir/zones.json. The control socket answers one JSON
 * document per request line (hsync-ctl(8)).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>
#include <libknot/libknot.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/discover.h"
#include "agentd/peer.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

#define TICK_MS 200
#define MSG_BUF 4096
#define SEND_TIMEOUT_MS 3000

struct agent;

struct disc {
	struct disc *next;
	struct agent *a;
	knot_dname_storage_t identity;
	hs_disc_t d;
	hs_net_query_t *q;
};

struct send {
	struct send *next;
	struct agent *a;
	knot_dname_storage_t identity;
	hs_msg_kind_t kind;
	uint8_t req[MSG_BUF];
	size_t len;
	hs_net_query_t *q;
};

struct hsq {
	struct hsq *next;
	struct agent *a;
	knot_dname_storage_t zone;
	knot_pkt_t *pkt;
	hs_tsig_ctx_t tsig;
	hs_net_query_t *q;
};

struct ctl_conn {
	struct agent *a;
	uv_pipe_t pipe;
	char buf[1024];
	size_t len;
};

struct agent {
	uv_loop_t *loop;
	agd_cfg_t *cfg;
	hs_peers_t *peers;
	agd_zones_t zones;
	hs_replay_t *replay;
	agd_chan_t chan;
	hs_net_server_t *srv;
	hs_signals_t *sig;
	uv_timer_t tick;
	uv_pipe_t ctl;
	bool ctl_open;
	char *peers_path, *zones_path;
	bool dirty;
	struct disc *discs;
	struct send *sends;
	struct hsq *hsqs;
	bool stopping;
	const char *conf_file;
	int verbosity;
	knot_dname_storage_t *ignored;   /* zones ignored (HSYNC without us), logged once */
	size_t nignored;
	agd_ddns_t *ddns;                /* parent role (ddnsd.c), or NULL */
	agd_syncd_t *syncd;              /* multi-signer processes (syncd.c) */
};

/* Note ZONE as ignored (IGNORED true) or not; true when that is news. */
static bool set_ignored(struct agent *a, const knot_dname_t *zone, bool ignored)
{
	for (size_t i = 0; i < a->nignored; i++) {
		if (knot_dname_is_case_equal(a->ignored[i], zone)) {
			if (!ignored) {
				memcpy(a->ignored[i], a->ignored[--a->nignored], sizeof(a->ignored[i]));
			}
			return !ignored;
		}
	}
	if (!ignored) {
		return false;
	}
	knot_dname_storage_t *t = realloc(a->ignored, (a->nignored + 1) * sizeof(*t));
	if (t != NULL) {
		a->ignored = t;
		knot_dname_copy_lower(a->ignored[a->nignored++], zone);
	}
	return true;
}

/* ---- logging of peer changes -------------------------------------------------- */

static void peer_changed(struct agent *a, hs_peer_t *p)
{
	a->dirty = true;
	hs_log(HS_LOG_NOTICE, NULL, p->name, "state %s%s%s", hs_peer_state_name(p->state),
	       p->reason[0] ? ": " : "", p->reason);
	agd_syncd_peer(a->syncd, p);
}

static void event(struct agent *a, hs_peer_t *p, int r)
{
	if (r > 0) {
		peer_changed(a, p);
	} else if (r < 0) {
		hs_log_code(HS_LOG_WARNING, r, NULL, p->name, "peer event");
	}
}

static void save(struct agent *a)
{
	if (!a->dirty) {
		return;
	}
	int ret = hs_peers_save(a->peers, a->peers_path);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "cannot save %s", a->peers_path);
		return;
	}
	a->dirty = false;
}

/* ---- zones -------------------------------------------------------------------------- */

static int save_zones(struct agent *a)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < a->zones.count; i++) {
		agd_zone_t *z = a->zones.z[i];
		if (z->source != AGD_SRC_HSYNCD) {
			continue;
		}
		json_t *hs = json_array();
		for (size_t j = 0; hs != NULL && j < z->nhsync; j++) {
			char t[HS_RR_TEXT_MAX];
			if (hs_hsync_to_text(&z->hsync[j], t, sizeof(t)) == 0) {
				json_array_append_new(hs, json_string(t));
			}
		}
		json_array_append_new(arr, json_pack("{s:s, s:o}", "zone", z->name_txt, "hsync", hs));
	}
	json_t *doc = json_pack("{s:s, s:o}", "format", "hsync-agentd-zones-1", "zones", arr);
	if (doc == NULL) {
		return HS_ENOMEM;
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->zones_path);
	int ret = json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	if (ret != 0 || rename(tmp, a->zones_path) != 0) {
		return HS_EIO;
	}
	return 0;
}

static bool same_identities(const agd_zone_t *z, const hs_hsync_t *hs, size_t n)
{
	if (z->nhsync != n) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!agd_zone_names(z, hs[i].identity)) {
			return false;
		}
	}
	return true;
}

/* The zone's intent is HS (N records) from SRC: zone table and peers follow. */
static void apply_zone(struct agent *a, const knot_dname_t *zone, agd_src_t src,
                       const hs_hsync_t *hs, size_t n)
{
	char ztxt[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(ztxt, zone, sizeof(ztxt));
	for (char *c = ztxt; *c; c++) {
		*c = (char)tolower((unsigned char)*c);
	}
	time_t now = time(NULL);
	agd_zone_t *old = agd_zones_find(&a->zones, zone);
	bool changed_ids = old == NULL || !same_identities(old, hs, n);
	bool named = false;
	int ret = agd_zones_set(&a->zones, zone, src, hs, n, a->cfg->identity, now, &named);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, ztxt, NULL, "zone table");
		return;
	}
	if (old == NULL || !named) {
		agd_ddns_zones(a->ddns);        /* a zone came or went: the children block */
	}
	if (!named) {
		if (set_ignored(a, zone, true)) {
			hs_log(HS_LOG_NOTICE, ztxt, NULL, "%s does not name our identity %s: zone ignored",
			       n == 0 ? "no HSYNC RRset" : "HSYNC RRset", a->cfg->identity_txt);
		}
		if (old != NULL && hs_peers_drop_zone(a->peers, ztxt) >= 0) {
			a->dirty = true;
		}
		agd_syncd_zone(a->syncd, zone, NULL);
		return;
	}
	(void)set_ignored(a, zone, false);
	if (changed_ids && old != NULL) {
		(void)hs_peers_drop_zone(a->peers, ztxt);
	}
	size_t npeers = 0;
	for (size_t i = 0; i < n; i++) {
		if (knot_dname_is_case_equal(hs[i].identity, a->cfg->identity)) {
			continue;
		}
		npeers++;
		hs_peer_t *p = NULL;
		ret = hs_peers_add(a->peers, hs[i].identity, ztxt, now, &p);
		if (ret != 0) {
			hs_log_code(HS_LOG_ERROR, ret, ztxt, NULL, "peer table");
		}
	}
	a->dirty = true;
	if (changed_ids) {
		hs_log(HS_LOG_NOTICE, ztxt, NULL, "HSYNC from %s names us and %zu other agents",
		       src == AGD_SRC_HSYNCD ? "hsyncd" : "the configuration", npeers);
	}
	agd_syncd_zone(a->syncd, zone, agd_zones_find(&a->zones, zone));
}

/* ---- discovery ---------------------------------------------------------------------- */

static void disc_free(struct disc *ds)
{
	struct agent *a = ds->a;
	for (struct disc **pp = &a->discs; *pp; pp = &(*pp)->next) {
		if (*pp == ds) {
			*pp = ds->next;
			break;
		}
	}
	hs_disc_clear(&ds->d);
	free(ds);
}

static void disc_step(struct disc *ds);

static void disc_end(struct disc *ds, int code)
{
	struct agent *a = ds->a;
	hs_peer_t *p = hs_peers_find(a->peers, ds->identity);
	time_t now = time(NULL);
	if (p != NULL) {
		if (code == 0) {
			event(a, p, hs_peer_discovered(p, hs_disc_result(&ds->d), now));
			hs_log(HS_LOG_INFO, NULL, p->name, "discovered through %s",
			       a->cfg->resolver_txt);
		} else {
			const char *why = hs_disc_reason(&ds->d);
			int r = hs_peer_discovery_failed(p, code, hs_disc_permanent(&ds->d), why, now);
			hs_log(HS_LOG_WARNING, NULL, p->name, "discovery failed, peer stays %s: %s",
			       hs_peer_state_name(p->state), why[0] ? why : hs_strerror(code));
			if (r > 0) {
				peer_changed(a, p);
			}
		}
	}
	disc_free(ds);
	save(a);
}

static void disc_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct disc *ds = arg;
	ds->q = NULL;
	if (err != 0) {
		hs_disc_timeout(&ds->d);
		snprintf(ds->d.reason, sizeof(ds->d.reason), "no answer from resolver %s: %s",
		         ds->a->cfg->resolver_txt, hs_strerror(err));
		disc_end(ds, err);
		return;
	}
	int ret = hs_disc_feed(&ds->d, msg, len);
	if (ret != 0) {
		disc_end(ds, ret);
		return;
	}
	if (hs_disc_state(&ds->d) == HS_DISC_DONE) {
		disc_end(ds, 0);
		return;
	}
	disc_step(ds);
}

static void disc_step(struct disc *ds)
{
	knot_pkt_t *pkt = NULL;
	int ret = hs_disc_query(&ds->d, &pkt);
	if (ret == 0) {
		struct hs_net_query_opts qo = { .timeout_ms = 2000, .retries = 1 };
		ret = hs_net_query(ds->a->loop, (const struct sockaddr *)&ds->a->cfg->resolver,
		                   pkt->wire, pkt->size, &qo, disc_cb, ds, &ds->q);
		knot_pkt_free(pkt);
	}
	if (ret != 0) {
		disc_end(ds, ret);
	}
}

static void disc_start(struct agent *a, hs_peer_t *p)
{
	for (struct disc *ds = a->discs; ds; ds = ds->next) {
		if (knot_dname_is_case_equal(ds->identity, p->identity)) {
			return;
		}
	}
	struct disc *ds = calloc(1, sizeof(*ds));
	if (ds == NULL) {
		return;
	}
	ds->a = a;
	knot_dname_copy_lower(ds->identity, p->identity);
	if (hs_disc_init(&ds->d, p->identity, a->cfg->resolver_txt) != 0) {
		free(ds);
		return;
	}
	ds->next = a->discs;
	a->discs = ds;
	event(a, p, hs_peer_discovery_started(p, time(NULL)));
	disc_step(ds);
}

/* ---- HELLO and HEARTBEAT -------------------------------------------------------------- */

static void send_free(struct send *s)
{
	for (struct send **pp = &s->a->sends; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	free(s);
}

static const char *rcode_name(uint16_t rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "an unknown RCODE";
}

static void send_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct send *s = arg;
	struct agent *a = s->a;
	s->q = NULL;
	hs_peer_t *p = hs_peers_find(a->peers, s->identity);
	time_t now = time(NULL);
	const char *kn = hs_msg_kind_name(s->kind);
	if (p == NULL) {
		send_free(s);
		return;
	}
	char why[256];
	if (err != 0) {
		snprintf(why, sizeof(why), "%s unanswered: %s", kn, hs_strerror(err));
		hs_log(HS_LOG_INFO, NULL, p->name, "%s", why);
		if (s->kind == HS_MSG_HELLO) {
			event(a, p, hs_peer_hello_refused(p, why, now));
		}
		send_free(s);
		save(a);
		return;
	}
	hs_msg_resp_t r;
	int ret = HS_ESIG0_SIGNER;
	hs_sig0_opts_t so = { .skew = a->cfg->skew };
	for (size_t k = 0; k < p->nkeys; k++) {
		ret = hs_msg_verify_response(msg, len, s->req, s->len, p->keys[k], &so, &r);
		if (ret == 0) {
			break;
		}
	}
	if (ret != 0) {
		/* counts as no answer (protocol.md section 12) */
		uint8_t rc = len >= KNOT_WIRE_HEADER_SIZE ? knot_wire_get_rcode(msg) : 0;
		hs_log_code(HS_LOG_WARNING, ret, NULL, p->name,
		            "answer (%s) to our %s not verified: ignored", rcode_name(rc), kn);
		if (ret == HS_ESIG0_BADSIG || ret == HS_ESIG0_KEYTAG || ret == HS_ESIG0_SIGNER) {
			/* signed, from the discovered address, but not with any
			 * validated key: the key changed without a validated KEY */
			snprintf(why, sizeof(why), "answer to our %s signed with no validated key (%s)",
			         kn, hs_strerror(ret));
			event(a, p, hs_peer_fail(p, why, now));
		} else if (s->kind == HS_MSG_HELLO) {
			snprintf(why, sizeof(why), "answer (%s) to HELLO not verified", rcode_name(rc));
			event(a, p, hs_peer_hello_refused(p, why, now));
		}
		send_free(s);
		save(a);
		return;
	}
	snprintf(why, sizeof(why), "%s answered %s", kn, rcode_name(r.rcode));
	if (s->kind == HS_MSG_HELLO) {
		if (r.rcode == KNOT_RCODE_NOERROR) {
			event(a, p, hs_peer_hello_answered(p, now));
		} else {
			hs_log(HS_LOG_INFO, NULL, p->name, "%s: not ready, HELLO again later", why);
			event(a, p, hs_peer_hello_refused(p, why, now));
		}
	} else if (s->kind == HS_MSG_HEARTBEAT) {
		if (r.rcode == KNOT_RCODE_NOERROR) {
			event(a, p, hs_peer_heartbeat_answered(p, now));
		} else if (r.rcode == KNOT_RCODE_REFUSED) {
			event(a, p, hs_peer_heartbeat_refused(p, "answered REFUSED", now));
		} else {
			hs_log(HS_LOG_WARNING, NULL, p->name, "%s", why);
		}
	}
	send_free(s);
	save(a);
}

static int send_msg(struct agent *a, hs_peer_t *p, hs_msg_kind_t kind)
{
	if (p->naddrs == 0 || p->nzones == 0) {
		return HS_EINVAL;
	}
	/* any zone both HSYNC RRsets name will do (protocol.md section 6); a
	 * HELLO that keeps failing tries the peer's next zone, in case the
	 * other side's intent for the first one differs from ours */
	const char *ztxt = p->zones[kind == HS_MSG_HELLO ? p->failures % p->nzones : 0];
	knot_dname_storage_t zone;
	if (knot_dname_from_str(zone, ztxt, sizeof(zone)) == NULL) {
		return HS_ENAME;
	}
	struct send *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	s->a = a;
	s->kind = kind;
	knot_dname_copy_lower(s->identity, p->identity);
	hs_msg_opts_t mo = {
		.transport = HS_PS_TRANSPORT_DNS,
		.sync = a->cfg->sync_flags,
		.key = a->cfg->key,
	};
	int ret = hs_msg_build(kind, zone, NULL, &mo, s->req, sizeof(s->req), &s->len);
	if (ret == 0) {
		struct hs_net_query_opts qo = { .timeout_ms = SEND_TIMEOUT_MS, .retries = 0 };
		ret = hs_net_query(a->loop, (const struct sockaddr *)&p->addrs[0], s->req, s->len,
		                   &qo, send_cb, s, &s->q);
	}
	if (ret != 0) {
		free(s);
		return ret;
	}
	s->next = a->sends;
	a->sends = s;
	hs_log(HS_LOG_DEBUG, ztxt, p->name, "%s sent", hs_msg_kind_name(kind));
	return 0;
}

/* ---- the tick ------------------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
	struct agent *a = t->data;
	time_t now = time(NULL);
	for (size_t i = 0; i < a->peers->count; i++) {
		hs_peer_t *p = a->peers->peers[i];
		int bits = hs_peer_tick(p, now);
		if (bits < 0) {
			continue;
		}
		if (bits & HS_PEER_CHANGED) {
			peer_changed(a, p);
		}
		if (bits & HS_PEER_DO_DISCOVER) {
			disc_start(a, p);
		}
		if (bits & HS_PEER_DO_HELLO) {
			int ret = send_msg(a, p, HS_MSG_HELLO);
			if (ret == 0) {
				event(a, p, hs_peer_hello_sent(p, now));
			} else {
				event(a, p, hs_peer_hello_refused(p, hs_strerror(ret), now));
			}
		}
		if (bits & HS_PEER_DO_HEARTBEAT) {
			if (send_msg(a, p, HS_MSG_HEARTBEAT) == 0) {
				event(a, p, hs_peer_heartbeat_sent(p, now));
			}
		}
	}
	hs_replay_purge(a->replay, now);
	agd_syncd_tick(a->syncd);
	save(a);
}

/* ---- hsyncd: NOTIFY, then the HSYNC query --------------------------------------------- */

static void hsq_free(struct hsq *h)
{
	for (struct hsq **pp = &h->a->hsqs; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	knot_pkt_free(h->pkt);
	free(h);
}

static void hsq_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct hsq *h = arg;
	struct agent *a = h->a;
	h->q = NULL;
	char ztxt[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(ztxt, h->zone, sizeof(ztxt));
	if (err != 0) {
		hs_log_code(HS_LOG_WARNING, err, ztxt, NULL, "HSYNC query to hsyncd %s",
		            a->cfg->hsyncd.text);
		hsq_free(h);
		return;
	}
	uint16_t rcode = 0;
	int ret = hs_xfr_check_answer(msg, len, h->pkt, &h->tsig, &rcode, NULL);
	if (ret != 0 && !(ret == HS_EXFR_RCODE && rcode == KNOT_RCODE_NXDOMAIN)) {
		hs_log_code(HS_LOG_WARNING, ret, ztxt, NULL, "HSYNC answer from hsyncd %s (%s)",
		            a->cfg->hsyncd.text, rcode_name(rcode));
		hsq_free(h);
		return;
	}
	hs_hsync_t hs[AGD_MAX_HSYNC];
	size_t n = 0;
	if (ret == 0 && agd_hsync_from_answer(msg, len, h->zone, hs, AGD_MAX_HSYNC, &n) != 0) {
		hs_log(HS_LOG_WARNING, ztxt, NULL, "malformed HSYNC answer from hsyncd: ignored");
		hsq_free(h);
		return;
	}
	apply_zone(a, h->zone, AGD_SRC_HSYNCD, hs, n);
	int sret = save_zones(a);
	if (sret != 0) {
		hs_log_code(HS_LOG_ERROR, sret, NULL, NULL, "cannot save %s", a->zones_path);
	}
	hsq_free(h);
	save(a);
}

static void hsyncd_fetch(struct agent *a, const knot_dname_t *zone)
{
	if (!a->cfg->hsyncd.set) {
		return;
	}
	struct hsq *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return;
	}
	h->a = a;
	knot_dname_copy_lower(h->zone, zone);
	h->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	int ret = h->pkt == NULL ? HS_ENOMEM :
	          /* hsyncd answers queries without TSIG (hsyncd(8), CAVEATS): the
	           * query goes unsigned, to the configured local address */
	          hs_xfr_query(h->pkt, h->zone, HS_RRTYPE_HSYNC, NULL, NULL, &h->tsig);
	if (ret == 0) {
		struct hs_net_query_opts qo = { .timeout_ms = 2000, .retries = 2 };
		ret = hs_net_query(a->loop, (const struct sockaddr *)&a->cfg->hsyncd.addr,
		                   h->pkt->wire, h->pkt->size, &qo, hsq_cb, h, &h->q);
	}
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, NULL, NULL, "HSYNC query to hsyncd");
		knot_pkt_free(h->pkt);
		free(h);
		return;
	}
	h->next = a->hsqs;
	a->hsqs = h;
}

/* A NOTIFY with TSIG (or one without EDNS and SIG(0) from hsyncd's address
 * when no key is configured): hsyncd tells us a zone's apex changed.
 * Returns false when it is not such a message. */
static bool hsyncd_notify(struct agent *a, hs_net_req_t *req, const uint8_t *msg, size_t len)
{
	if (!a->cfg->hsyncd.set || len < KNOT_WIRE_HEADER_SIZE ||
	    knot_wire_get_opcode(msg) != KNOT_OPCODE_NOTIFY || knot_wire_get_qr(msg)) {
		return false;
	}
	knot_pkt_t *q = knot_pkt_new((void *)msg, len, NULL);
	if (q == NULL || knot_pkt_parse(q, 0) != KNOT_EOK) {
		knot_pkt_free(q);
		return false;
	}
	const knot_pktsection_t *ar = knot_pkt_section(q, KNOT_ADDITIONAL);
	bool has_sig = false;
	for (uint16_t i = 0; i < ar->count; i++) {
		if (knot_pkt_rr(ar, i)->type == KNOT_RRTYPE_SIG) {
			has_sig = true;
		}
	}
	bool from_hsyncd = q->tsig_rr != NULL ||
	                   (a->cfg->hsyncd.key == NULL && q->opt_rr == NULL && !has_sig);
	if (!from_hsyncd) {
		knot_pkt_free(q);
		return false;
	}
	uint16_t rcode = KNOT_RCODE_NOERROR;
	hs_tsig_ctx_t ctx;
	memset(&ctx, 0, sizeof(ctx));
	const char *peer = "?";
	char ptxt[HS_ADDR_STRLEN];
	hs_addr_format(hs_net_req_peer(req), ptxt, sizeof(ptxt));
	peer = ptxt;
	if (a->cfg->hsyncd.key != NULL) {
		int ret = HS_ETSIG_NONE;
		for (size_t i = 0; i < a->cfg->nkeyfiles; i++) {
			ret = hs_tsig_check_query(q, &a->cfg->keyfiles[i], &ctx);
			if (ret != KNOT_TSIG_EBADKEY) {
				break;
			}
		}
		if (ret != 0 || ctx.key == NULL ||
		    !knot_dname_is_equal(ctx.key->name, a->cfg->hsyncd.key->name)) {
			hs_log_code(HS_LOG_WARNING, ret ? ret : HS_ETSIG_NONE, NULL, peer,
			            "NOTIFY refused: not signed with hsyncd's key");
			rcode = KNOT_RCODE_NOTAUTH;
		}
	} else if (!hs_addr_equal(hs_net_req_peer(req), (const struct sockaddr *)&a->cfg->hsyncd.addr)) {
		/* without a key only hsyncd's address (port aside) is trusted */
		const struct sockaddr *pa = hs_net_req_peer(req);
		const struct sockaddr *ha = (const struct sockaddr *)&a->cfg->hsyncd.addr;
		bool same_ip = pa->sa_family == ha->sa_family &&
		               (pa->sa_family == AF_INET ?
		                ((const struct sockaddr_in *)pa)->sin_addr.s_addr ==
		                ((const struct sockaddr_in *)ha)->sin_addr.s_addr :
		                memcmp(&((const struct sockaddr_in6 *)pa)->sin6_addr,
		                       &((const struct sockaddr_in6 *)ha)->sin6_addr, 16) == 0);
		if (!same_ip) {
			hs_log(HS_LOG_WARNING, NULL, peer, "NOTIFY refused: not from hsyncd");
			rcode = KNOT_RCODE_REFUSED;
		}
	}
	const knot_dname_t *zone = NULL;
	uint16_t qtype = 0;
	bool has_serial = false;
	uint32_t serial = 0;
	if (rcode == KNOT_RCODE_NOERROR &&
	    hs_xfr_notify_parse(q, &zone, &qtype, &has_serial, &serial) != 0) {
		rcode = KNOT_RCODE_FORMERR;
	}
	knot_pkt_t *resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (resp != NULL && hs_xfr_answer(resp, q, rcode, ctx.key ? &ctx : NULL) == 0) {
		hs_net_reply(req, resp->wire, resp->size);
	} else {
		hs_net_done(req);
	}
	knot_pkt_free(resp);
	if (rcode == KNOT_RCODE_NOERROR && zone != NULL) {
		char ztxt[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(ztxt, zone, sizeof(ztxt));
		hs_log(HS_LOG_INFO, ztxt, NULL, "NOTIFY from hsyncd (type %u)", qtype);
		if (qtype == HS_RRTYPE_HSYNC || qtype == KNOT_RRTYPE_SOA) {
			hsyncd_fetch(a, zone);
		}
		agd_syncd_apex(a->syncd, zone);
		agd_ddns_notify(a->ddns, zone);
	}
	knot_pkt_free(q);
	return true;
}

/* ---- incoming DNS --------------------------------------------------------------------- */

static void on_request(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	struct agent *a = arg;
	if (hsyncd_notify(a, req, msg, len)) {
		return;
	}
	uint8_t out[MSG_BUF];
	size_t outlen = 0;
	agd_chan_result_t res;
	a->chan.now = 0;
	agd_chan_handle(&a->chan, msg, len, out, sizeof(out), &outlen, &res);
	char ptxt[HS_ADDR_STRLEN];
	hs_addr_format(hs_net_req_peer(req), ptxt, sizeof(ptxt));
	const char *zone = res.zone[0] && strcmp(res.zone, ".") ? res.zone : NULL;
	if (res.err != 0) {
		hs_log(HS_LOG_WARNING, zone, ptxt, "%s from signer %s refused (%s): %s",
		       hs_msg_kind_name(res.kind), res.signer, rcode_name(res.rcode), res.why);
	} else {
		hs_log(res.kind == HS_MSG_HEARTBEAT ? HS_LOG_DEBUG : HS_LOG_INFO, zone,
		       res.peer ? res.peer->name : ptxt, "%s (%s)", res.why, rcode_name(res.rcode));
		if (res.changed && res.peer != NULL) {
			peer_changed(a, res.peer);
		}
		save(a);
	}
	if (outlen > 0) {
		hs_net_reply(req, out, outlen);
	} else {
		hs_net_done(req);
	}
}

/* ---- control socket ------------------------------------------------------------------- */

static json_t *status_json(struct agent *a)
{
	time_t now = time(NULL);
	json_t *zones = json_array();
	for (size_t i = 0; zones != NULL && i < a->zones.count; i++) {
		agd_zone_t *z = a->zones.z[i];
		json_t *hs = json_array();
		json_t *ids = json_array();
		for (size_t j = 0; hs != NULL && ids != NULL && j < z->nhsync; j++) {
			char t[HS_RR_TEXT_MAX];
			if (hs_hsync_to_text(&z->hsync[j], t, sizeof(t)) == 0) {
				json_array_append_new(hs, json_string(t));
			}
			char id[KNOT_DNAME_TXT_MAXLEN + 1];
			knot_dname_to_str(id, z->hsync[j].identity, sizeof(id));
			json_array_append_new(ids, json_string(id));
		}
		json_t *zj = json_pack("{s:s, s:s, s:o, s:o, s:I}",
		                       "zone", z->name_txt,
		                       "source", z->source == AGD_SRC_HSYNCD ? "hsyncd" : "config",
		                       "hsync", hs, "identities", ids, "updated", (json_int_t)z->updated);
		json_t *pj = agd_syncd_status(a->syncd, z->name);
		if (zj != NULL && pj != NULL) {
			json_object_set_new(zj, "process", pj);
		} else {
			json_decref(pj);
		}
		json_array_append_new(zones, zj);
	}
	json_t *peers = hs_peers_json(a->peers, now);
	json_t *pj = peers != NULL ? json_object_get(peers, "peers") : NULL;
	json_t *doc = json_pack("{s:s, s:s, s:I, s:o, s:O}", "identity", a->cfg->identity_txt,
	                        "format", "hsync-agentd-status-1", "now", (json_int_t)now,
	                        "zones", zones, "peers", pj ? pj : json_array());
	json_decref(peers);
	return doc;
}

static void ctl_closed(uv_handle_t *h)
{
	free(h->data);
}

static void ctl_written(uv_write_t *w, int status)
{
	struct ctl_conn *c = w->data;
	free(w);
	uv_close((uv_handle_t *)&c->pipe, ctl_closed);
}

static void ctl_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_conn *c = h->data;
	buf->base = c->buf + c->len;
	buf->len = sizeof(c->buf) - c->len - 1;
}

static void ctl_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = st->data;
	if (n < 0) {
		uv_close((uv_handle_t *)&c->pipe, ctl_closed);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strchr(c->buf, '\n') == NULL && c->len < sizeof(c->buf) - 1) {
		return;
	}
	uv_read_stop(st);
	char *nl = strchr(c->buf, '\n');
	if (nl != NULL) {
		*nl = '\0';
	}
	json_t *doc;
	char *cmd = c->buf;
	while (*cmd == ' ') {
		cmd++;
	}
	if (*cmd == '\0' || strcmp(cmd, "status") == 0) {
		doc = status_json(c->a);
	} else if ((doc = agd_ddns_control(c->a->ddns, cmd)) != NULL) {
		;
	} else {
		doc = json_pack("{s:s}", "error", "unknown command (status)");
	}
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (text == NULL) {
		uv_close((uv_handle_t *)&c->pipe, ctl_closed);
		return;
	}
	size_t tl = strlen(text);
	uv_write_t *w = malloc(sizeof(*w) + tl + 1);
	if (w == NULL) {
		free(text);
		uv_close((uv_handle_t *)&c->pipe, ctl_closed);
		return;
	}
	char *copy = (char *)(w + 1);
	memcpy(copy, text, tl);
	copy[tl] = '\n';
	free(text);
	w->data = c;
	uv_buf_t b = uv_buf_init(copy, (unsigned)tl + 1);
	if (uv_write(w, st, &b, 1, ctl_written) != 0) {
		free(w);
		uv_close((uv_handle_t *)&c->pipe, ctl_closed);
	}
}

static void ctl_conn(uv_stream_t *server, int status)
{
	struct agent *a = server->data;
	if (status != 0) {
		return;
	}
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return;
	}
	c->a = a;
	uv_pipe_init(a->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, ctl_alloc, ctl_read) != 0) {
		uv_close((uv_handle_t *)&c->pipe, ctl_closed);
	}
}

static int ctl_start(struct agent *a)
{
	uv_pipe_init(a->loop, &a->ctl, 0);
	a->ctl.data = a;
	a->ctl_open = true;
	(void)unlink(a->cfg->control);
	int ret = uv_pipe_bind(&a->ctl, a->cfg->control);
	if (ret == 0) {
		(void)chmod(a->cfg->control, 0660);
		ret = uv_listen((uv_stream_t *)&a->ctl, 16, ctl_conn);
	}
	return ret;
}

/* ---- start and stop ------------------------------------------------------------------- */

static void on_stop(int signum, void *arg)
{
	struct agent *a = arg;
	hs_log_notice("signal %d: stopping", signum);
	a->stopping = true;
	uv_stop(a->loop);
}

/*
 * SIGHUP: read the configuration again. On error the old one stays. The
 * identity cannot change without a restart (peers and zones are about
 * it); listen addresses and the control socket take effect at restart.
 * Timers, resolver, key, hsyncd and the static zones change at once, and
 * so do the parent and child blocks (agd_ddns_reload: added ones start,
 * removed ones stop, changed ones restart, unchanged ones run on).
 */
static void on_reload(int signum, void *arg)
{
	struct agent *a = arg;
	agd_cfg_t *cfg = NULL;
	char err[HS_CONF_ERRLEN] = "";
	int ret = agd_cfg_load(a->conf_file, &cfg, err, sizeof(err));
	if (ret != 0) {
		hs_log_error("reload: %s; the old configuration stays",
		             err[0] ? err : hs_strerror(ret));
		return;
	}
	if (!knot_dname_is_equal(cfg->identity, a->cfg->identity)) {
		hs_log_error("reload: identity changed (%s -> %s): restart agentd for that; "
		             "the old configuration stays", a->cfg->identity_txt, cfg->identity_txt);
		agd_cfg_free(cfg);
		return;
	}
	bool same_listen = cfg->nlisten == a->cfg->nlisten &&
	                   strcmp(cfg->control, a->cfg->control) == 0;
	for (size_t i = 0; same_listen && i < cfg->nlisten; i++) {
		same_listen = hs_addr_equal((const struct sockaddr *)&cfg->listen[i],
		                            (const struct sockaddr *)&a->cfg->listen[i]);
	}
	if (!same_listen) {
		hs_log_warning("reload: listen addresses or control socket changed; "
		               "they take effect at restart");
	}
	/* static zones that are gone from the configuration */
	for (size_t i = 0; i < a->zones.count;) {
		agd_zone_t *z = a->zones.z[i];
		bool keep = z->source != AGD_SRC_CONFIG;
		for (size_t j = 0; !keep && j < cfg->nzones; j++) {
			keep = knot_dname_is_equal(cfg->zones[j].name, z->name);
		}
		if (keep) {
			i++;
			continue;
		}
		hs_log(HS_LOG_NOTICE, z->name_txt, NULL, "reload: zone no longer configured");
		(void)hs_peers_drop_zone(a->peers, z->name_txt);
		(void)agd_zones_remove(&a->zones, z->name);
		a->dirty = true;
	}
	agd_cfg_t *old = a->cfg;
	a->cfg = cfg;
	a->chan.cfg = cfg;
	a->peers->timers = cfg->timers;
	for (size_t i = 0; i < cfg->nzones; i++) {
		agd_zone_t *z = agd_zones_find(&a->zones, cfg->zones[i].name);
		if (z == NULL || z->source == AGD_SRC_CONFIG) {
			apply_zone(a, cfg->zones[i].name, AGD_SRC_CONFIG, cfg->zones[i].hsync,
			           cfg->zones[i].nhsync);
		}
	}
	agd_cfg_free(old);
	/* parent and child blocks: added start, removed stop, changed restart */
	(void)agd_ddns_reload(a->loop, &a->ddns, cfg);
	agd_ddns_attach(a->ddns, &a->zones, a->peers);
	agd_syncd_reload(a->syncd);
	hs_daemon_log_level(cfg->conf, a->verbosity);
	save(a);
	hs_log_notice("reload: configuration %s read", a->conf_file);
}

static void load_zones(struct agent *a)
{
	/* the configuration's zones first (fallback), then what hsyncd said last */
	for (size_t i = 0; i < a->cfg->nzones; i++) {
		agd_zone_cfg_t *zc = &a->cfg->zones[i];
		apply_zone(a, zc->name, AGD_SRC_CONFIG, zc->hsync, zc->nhsync);
	}
	json_error_t je;
	json_t *doc = json_load_file(a->zones_path, 0, &je);
	if (doc == NULL) {
		if (access(a->zones_path, F_OK) == 0) {
			hs_log_warning("%s:%d: %s: zones from hsyncd not restored", a->zones_path,
			               je.line, je.text);
		}
		return;
	}
	json_t *arr = json_object_get(doc, "zones"), *zj;
	size_t i;
	json_array_foreach(arr, i, zj) {
		const char *name = json_string_value(json_object_get(zj, "zone"));
		knot_dname_storage_t zone;
		if (name == NULL || knot_dname_from_str(zone, name, sizeof(zone)) == NULL) {
			continue;
		}
		hs_hsync_t hs[AGD_MAX_HSYNC];
		size_t n = 0, j;
		json_t *hj;
		json_array_foreach(json_object_get(zj, "hsync"), j, hj) {
			const char *t = json_string_value(hj);
			if (t != NULL && n < AGD_MAX_HSYNC && hs_hsync_from_text(&hs[n], t) == 0) {
				n++;
			}
		}
		apply_zone(a, zone, AGD_SRC_HSYNCD, hs, n);
		hsyncd_fetch(a, zone);
	}
	json_decref(doc);
}

/* Peers restored from the state file for zones we no longer have. */
static void drop_stale(struct agent *a)
{
	for (size_t i = 0; i < a->peers->count; i++) {
		hs_peer_t *p = a->peers->peers[i];
		for (size_t j = 0; j < p->nzones; j++) {
			knot_dname_storage_t zone;
			if (knot_dname_from_str(zone, p->zones[j], sizeof(zone)) != NULL &&
			    agd_zones_find(&a->zones, zone) != NULL) {
				continue;
			}
			char ztxt[KNOT_DNAME_TXT_MAXLEN + 1];
			snprintf(ztxt, sizeof(ztxt), "%s", p->zones[j]);
			hs_log(HS_LOG_NOTICE, ztxt, NULL, "no longer one of our zones: its peers forgotten");
			(void)hs_peers_drop_zone(a->peers, ztxt);
			a->dirty = true;
			i = (size_t)-1;     /* the table changed: start again */
			break;
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: agentd %s [-p | -P]\n", HS_DAEMON_USAGE);
}

static int publish_mode;

static int opt_cb(int opt, const char *arg, void *data)
{
	publish_mode = opt == 'P' ? 2 : 1;
	return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h)) {
		uv_close(h, NULL);
	}
}

int main(int argc, char *argv[])
{
	struct hs_daemon_opts o;
	char err[HS_CONF_ERRLEN] = "";
	hs_log_init(argv[0]);
	if (hs_daemon_getopt(argc, argv, AGD_DEFAULT_CONF, "pP", opt_cb, NULL, &o, err,
	                     sizeof(err)) != 0) {
		hs_log_error("%s", err);
		usage();
		return HS_EXIT_USAGE;
	}
	if (o.help) {
		usage();
		return HS_EXIT_OK;
	}
	struct agent a;
	memset(&a, 0, sizeof(a));
	int ret = agd_cfg_load(o.conf_file, &a.cfg, err, sizeof(err));
	if (ret != 0) {
		hs_log_error("%s", err[0] ? err : hs_strerror(ret));
		return HS_EXIT_CONFIG;
	}
	if (publish_mode != 0) {
		for (size_t i = 0; i < a.cfg->npublish; i++) {
			const struct sockaddr *sa = (const struct sockaddr *)&a.cfg->publish[i];
			bool any = sa->sa_family == AF_INET ?
			           ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY) :
			           IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
			if (any) {
				hs_log_error("%s: a wildcard listen address cannot be published: "
				             "add publish-address statements", o.conf_file);
				agd_cfg_free(a.cfg);
				return HS_EXIT_CONFIG;
			}
		}
		char *text = NULL;
		ret = agd_cfg_publish(a.cfg, publish_mode == 2, &text);
		if (ret != 0) {
			hs_log_error("cannot write the records to publish: %s", hs_strerror(ret));
			agd_cfg_free(a.cfg);
			return HS_EXIT_CONFIG;
		}
		fputs(text, stdout);
		free(text);
		if (publish_mode == 1 && agd_ddns_publish(a.cfg->ddns, &text) == 0) {
			fputs(text, stdout);
			free(text);
		}
		agd_cfg_free(a.cfg);
		return fflush(stdout) == 0 ? HS_EXIT_OK : HS_EXIT_TEMP;
	}
	if (o.check_only) {
		agd_cfg_free(a.cfg);
		return HS_EXIT_OK;
	}
	hs_daemon_log_level(a.cfg->conf, o.verbosity);

	if (mkdir(a.cfg->state_dir, 0750) != 0 && errno != EEXIST) {
		hs_fatal(HS_EXIT_TEMP, -errno, "state-dir %s", a.cfg->state_dir);
	}
	if (asprintf(&a.peers_path, "%s/peers.json", a.cfg->state_dir) < 0 ||
	    asprintf(&a.zones_path, "%s/zones.json", a.cfg->state_dir) < 0) {
		hs_fatal(HS_EXIT_TEMP, HS_ENOMEM, "start");
	}
	ret = hs_peers_new(&a.cfg->timers, &a.peers);
	if (ret != 0) {
		hs_fatal(HS_EXIT_CONFIG, ret, "timers");
	}
	char why[1024] = "";
	ret = hs_peers_load(a.peers, a.peers_path, time(NULL), why, sizeof(why));
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "peer states not restored: %s", why);
	} else if (a.peers->count > 0) {
		hs_log_notice("%zu peers restored from %s", a.peers->count, a.peers_path);
	}
	ret = hs_replay_new(AGD_REPLAY_MAX, &a.replay);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "replay cache");
	}
	a.chan.cfg = a.cfg;
	a.chan.zones = &a.zones;
	a.chan.peers = a.peers;
	a.chan.replay = a.replay;

	a.loop = uv_default_loop();
	ret = hs_net_server_new(a.loop, NULL, on_request, &a, &a.srv);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "cannot start the DNS server");
	}
	for (size_t i = 0; i < a.cfg->nlisten; i++) {
		char t[HS_ADDR_STRLEN];
		hs_addr_format((const struct sockaddr *)&a.cfg->listen[i], t, sizeof(t));
		ret = hs_net_server_listen(a.srv, (const struct sockaddr *)&a.cfg->listen[i],
		                           HS_NET_UDP | HS_NET_TCP, NULL);
		if (ret != 0) {
			hs_fatal(HS_EXIT_TEMP, ret, "listen %s", t);
		}
		hs_log_info("listening on %s", t);
	}
	ret = ctl_start(&a);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "control socket %s", a.cfg->control);
	}
	ret = agd_ddns_start(a.loop, a.cfg, &a.ddns, why, sizeof(why));
	if (ret != 0) {
		hs_fatal(ret == HS_ECONF ? HS_EXIT_CONFIG : HS_EXIT_TEMP, ret, "parent role: %s", why);
	}
	agd_ddns_attach(a.ddns, &a.zones, a.peers);
	a.conf_file = o.conf_file;
	a.verbosity = o.verbosity;
	ret = hs_signals_start(a.loop, on_stop, on_reload, &a, &a.sig);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "signals");
	}
	ret = agd_syncd_new(a.loop, &a.cfg, a.peers, &a.syncd);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "multi-signer processes");
	}
	a.chan.syncd = a.syncd;
	load_zones(&a);
	drop_stale(&a);
	uv_timer_init(a.loop, &a.tick);
	a.tick.data = &a;
	uv_timer_start(&a.tick, on_tick, 0, TICK_MS);
	hs_log_notice("started as %s: %zu zones, %zu peers, resolver %s, state in %s",
	              a.cfg->identity_txt, a.zones.count, a.peers->count, a.cfg->resolver_txt,
	              a.cfg->state_dir);
	uv_run(a.loop, UV_RUN_DEFAULT);

	a.dirty = true;
	save(&a);
	hs_net_server_close(a.srv);
	agd_ddns_stop(a.ddns);
	hs_signals_close(a.sig);
	while (a.discs != NULL) {
		if (a.discs->q != NULL) {
			hs_net_cancel(a.discs->q);
		}
		disc_free(a.discs);
	}
	while (a.sends != NULL) {
		if (a.sends->q != NULL) {
			hs_net_cancel(a.sends->q);
		}
		send_free(a.sends);
	}
	while (a.hsqs != NULL) {
		if (a.hsqs->q != NULL) {
			hs_net_cancel(a.hsqs->q);
		}
		hsq_free(a.hsqs);
	}
	agd_syncd_free(a.syncd);
	a.syncd = NULL;
	uv_walk(a.loop, close_walk, NULL);
	for (int i = 0; i < 16 && uv_run(a.loop, UV_RUN_NOWAIT) != 0; i++) {
		;
	}
	(void)unlink(a.cfg->control);
	agd_chan_clear(&a.chan);
	agd_zones_free(&a.zones);
	free(a.ignored);
	hs_peers_free(a.peers);
	hs_replay_free(a.replay);
	free(a.peers_path);
	free(a.zones_path);
	agd_cfg_free(a.cfg);
	hs_log_notice("stopped");
	return HS_EXIT_OK;
}
