/*
 * agentd/childd.c -- the child role of delegation management via DDNS on the network
 * (agentd/ddns.h): for every `child ZONE { }` block, the zone is fetched by AXFR from its
 * source; its delegation data (deleg.h) is compared with what the parent was last told; on a
 * change the parent's UPDATE target is found by DSYNC discovery (dsync.h) through the
 * validating resolver, with its address and the parent's KEYs (at the parent apex and at the
 * target name; all validated); KeyState is asked, and the answer says whether to bootstrap
 * our key (with publish-key, only once combinerd took it: childkey.c), wait, or send the
 * UPDATE, over TCP to each target address until one answers; only a response signed by the
 * parent is believed. Failures retry with backoff (deleg.h). The structures are in
 * childint.h; each child owns its block's configuration, so a reload (ddnsreload.c) can
 * keep it running, or stop and start it alone (agd_child_one_start/_stop).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "agentd/childint.h"
#include "agentd/ddns.h"
#include "agentd/deleg.h"
#include "agentd/dsync.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfrnet.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

#define CH_TIMEOUT_MS 3000
#define CH_BUF 65535

const hs_conf_opt_t agd_child_source_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = NULL }
};

const hs_conf_rule_t agd_ddns_child_rules[] = {
	AGD_CHILD_RULES,
	{ .keyword = "key", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_STRING } },
	{ .keyword = "parent", .min = 1, .max = 1, .kind = { HS_CONF_NAME } },
	{ .keyword = NULL }
};

void agd_ccfg_clear(struct ccfg *c)
{
	hs_key_free(c->key);
	if (c->has_tsig) {
		knot_tsig_key_deinit(&c->tsig);
	}
	free(c->told_path);
	agd_ckey_cfg_clear(&c->kc);
	memset(c, 0, sizeof(*c));
}

void agd_child_cfg_free(agd_child_cfg_t *cc)
{
	if (cc == NULL) {
		return;
	}
	for (size_t i = 0; i < cc->n; i++) {
		agd_ccfg_clear(&cc->c[i]);
	}
	free(cc->c);
	agd_ctmpl_free(cc->all);
	free(cc);
}

static int dur(const hs_conf_stmt_t *blk, const char *kw, uint64_t min, uint64_t max,
               uint32_t *out, char *err, size_t errlen)
{
	const hs_conf_stmt_t *s = hs_conf_child(blk, kw);
	uint64_t v;
	if (s == NULL) {
		return 0;
	}
	int ret = hs_conf_duration(s, 0, min, max, &v, err, errlen);
	if (ret == 0) {
		*out = (uint32_t)v;
	}
	return ret;
}

int agd_ccfg_opts_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct ccfg *c,
                       char *err, size_t errlen)
{
	int ret;
	const hs_conf_stmt_t *s = hs_conf_child(blk, "source");
	if ((ret = hs_conf_addr(s, 0, 53, &c->source, err, errlen)) != 0) {
		return ret;
	}
	hs_addr_format((const struct sockaddr *)&c->source, c->source_txt, sizeof(c->source_txt));
	int k = hs_conf_opt(s, "key");
	if (k >= 0) {
		const knot_tsig_key_t *tk = agd_cfg_tsig_key(cfg, hs_conf_str(s, k));
		if (tk == NULL) {
			return hs_conf_error(s, err, errlen, "source: key %s is in no tsig-key-file",
			                     hs_conf_str(s, k));
		}
		if (knot_tsig_key_copy(&c->tsig, tk) != 0) {
			return HS_ENOMEM;
		}
		c->has_tsig = true;
	}
	c->mode = HS_DELEG_DELTA;
	if ((s = hs_conf_child(blk, "mode")) != NULL) {
		unsigned m;
		if ((ret = hs_conf_choice(s, 0, "delta|replace", &m, err, errlen)) != 0) {
			return ret;
		}
		c->mode = m == 0 ? HS_DELEG_DELTA : HS_DELEG_REPLACE;
	}
	c->ttl = 3600;
	c->refresh = 300;
	c->bmin = HS_DELEG_BACKOFF_MIN;
	c->bmax = 3600;
	if ((ret = dur(blk, "ttl", 0, 86400 * 7, &c->ttl, err, errlen)) != 0 ||
	    (ret = dur(blk, "refresh", 1, 86400, &c->refresh, err, errlen)) != 0 ||
	    (ret = dur(blk, "backoff-min", 1, 3600, &c->bmin, err, errlen)) != 0 ||
	    (ret = dur(blk, "backoff-max", 1, 86400, &c->bmax, err, errlen)) != 0) {
		return ret;
	}
	return agd_ckey_cfg_load(cfg, blk, &c->kc, err, errlen);
}

static int ccfg_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct ccfg *c,
                     char *err, size_t errlen)
{
	int ret = hs_conf_name(blk, 0, c->zone, err, errlen);
	if (ret != 0) {
		return ret;
	}
	knot_dname_to_lower(c->zone);
	knot_dname_to_str(c->zone_txt, c->zone, sizeof(c->zone_txt));
	if (c->zone[0] == 0) {
		return hs_conf_error(blk, err, errlen, "child: the root has no parent");
	}
	if ((ret = agd_ccfg_opts_load(cfg, blk, c, err, errlen)) != 0) {
		return ret;
	}
	const hs_conf_stmt_t *s = hs_conf_child(blk, "key");
	char why[HS_KEY_WHY_SIZE] = "";
	ret = hs_key_load(hs_conf_str(s, 0), &c->key, why, sizeof(why));
	if (ret != 0) {
		return hs_conf_error(s, err, errlen, "key: %s", why[0] ? why : hs_strerror(ret));
	}
	if (!c->key->has_private) {
		return hs_conf_error(s, err, errlen, "key: %s: no private key", hs_conf_str(s, 0));
	}
	if (!knot_dname_is_case_equal(c->key->owner, c->zone)) {
		return hs_conf_error(s, err, errlen, "key: %s: its owner is not the child zone",
		                     hs_conf_str(s, 0));
	}
	if ((s = hs_conf_child(blk, "parent")) != NULL) {
		if ((ret = hs_conf_name(s, 0, c->parent, err, errlen)) != 0) {
			return ret;
		}
		knot_dname_to_lower(c->parent);
		if (knot_dname_in_bailiwick(c->zone, c->parent) <= 0) {
			return hs_conf_error(s, err, errlen, "parent: not an ancestor of the child");
		}
	}
	if (asprintf(&c->told_path, "%s/deleg-%szone", cfg->state_dir, c->zone_txt) < 0) {
		c->told_path = NULL;
		return HS_ENOMEM;
	}
	return 0;
}

int agd_child_cfg_load(const agd_cfg_t *cfg, agd_child_cfg_t **out, char *err, size_t errlen)
{
	*out = NULL;
	size_t n = 0;
	const hs_conf_stmt_t *s;
	for (s = hs_conf_first(cfg->conf, "child"); s; s = hs_conf_next(s, "child")) {
		n++;
	}
	const hs_conf_stmt_t *all = hs_conf_first(cfg->conf, "children");
	if (n == 0 && all == NULL) {
		return 0;
	}
	agd_child_cfg_t *cc = calloc(1, sizeof(*cc));
	if (cc == NULL || (cc->c = calloc(n + 1, sizeof(*cc->c))) == NULL) {
		free(cc);
		return HS_ENOMEM;
	}
	for (s = hs_conf_first(cfg->conf, "child"); s; s = hs_conf_next(s, "child")) {
		int ret = ccfg_load(cfg, s, &cc->c[cc->n++], err, errlen);
		if (ret != 0) {
			agd_child_cfg_free(cc);
			return ret;
		}
	}
	if (all != NULL) {
		int ret = agd_ctmpl_load(cfg, all, &cc->all, err, errlen);
		if (ret != 0) {
			agd_child_cfg_free(cc);
			return ret;
		}
	}
	*out = cc;
	return 0;
}

/* ---- runtime ------------------------------------------------------------------------ */

static void ch_step(struct child *ch);

static void ch_reset(struct child *ch)
{
	if (ch->fetch != NULL) {
		hs_xfr_fetch_cancel(ch->fetch);
		ch->fetch = NULL;
	}
	if (ch->nq != NULL) {
		hs_net_cancel(ch->nq);
		ch->nq = NULL;
	}
	knot_pkt_free(ch->req);
	ch->req = NULL;
	hs_zone_free(ch->now);
	ch->now = NULL;
	hs_chgs_clear(&ch->chgs);
	for (size_t i = 0; i < ch->npkeys; i++) {
		hs_key_free(ch->pkeys[i]);
	}
	ch->npkeys = 0;
	ch->naddrs = ch->ai = 0;
}

static void ch_timer_cb(uv_timer_t *t)
{
	struct child *ch = t->data;
	ch->st = CS_FETCH;
	ch_step(ch);
}

static void ch_later(struct child *ch, uint32_t secs)
{
	ch_reset(ch);
	ch->st = CS_IDLE;
	uv_timer_start(&ch->timer, ch_timer_cb, (uint64_t)secs * 1000, 0);
}

/* Done for now: the next fetch after refresh, or at once after a NOTIFY. */
static void ch_idle(struct child *ch)
{
	uint32_t secs = ch->again ? 0 : ch->c->refresh;
	ch->again = false;
	ch_later(ch, secs);
}

static void ch_fail(struct child *ch, int code, const char *what)
{
	uint32_t d = hs_backoff_fail(&ch->backoff);
	hs_log(HS_LOG_WARNING, ch->c->zone_txt, NULL, "delegation: %s%s%s; again in %us", what,
	       code ? ": " : "", code ? hs_strerror(code) : "", d);
	ch_later(ch, d);
}

static int ch_query(struct child *ch, const struct sockaddr *to, knot_pkt_t *pkt, bool tcp,
                    hs_net_query_cb cb)
{
	struct hs_net_query_opts qo = { .timeout_ms = CH_TIMEOUT_MS, .retries = 1, .tcp = tcp };
	return hs_net_query(ch->ac->loop, to, pkt->wire, pkt->size, &qo, cb, ch, &ch->nq);
}

/* A resolver query (RD, AD, DO); a NEW packet in ch->req. */
static int ch_resolve(struct child *ch, const knot_dname_t *qname, uint16_t qtype,
                      hs_net_query_cb cb)
{
	knot_pkt_free(ch->req);
	ch->req = knot_pkt_new(NULL, 1232, NULL);
	if (ch->req == NULL) {
		return HS_ENOMEM;
	}
	knot_pkt_t *p = ch->req;
	knot_wire_set_id(p->wire, (uint16_t)(random() & 0xffff));
	int ret = knot_pkt_put_question(p, qname, KNOT_CLASS_IN, qtype);
	knot_wire_set_rd(p->wire);
	knot_wire_set_ad(p->wire);
	knot_rrset_t opt;
	if (ret == 0) {
		ret = knot_edns_init(&opt, 1232, 0, 0, &p->mm);
	}
	if (ret == 0) {
		knot_edns_set_do(&opt);
		ret = knot_pkt_begin(p, KNOT_ADDITIONAL);
	}
	if (ret == 0) {
		ret = knot_pkt_put(p, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
	}
	if (ret == 0) {
		ret = ch_query(ch, (const struct sockaddr *)&ch->ac->resolver, p, false, cb);
	}
	return ret;
}

/* Parse a validated NOERROR answer; NULL (and *why) otherwise. NEW. */
static knot_pkt_t *validated(const uint8_t *msg, size_t len, const char **why)
{
	knot_pkt_t *a = knot_pkt_new((void *)msg, len, NULL);
	if (a == NULL || knot_pkt_parse(a, 0) != 0) {
		*why = "malformed answer";
	} else if (knot_wire_get_rcode(msg) != KNOT_RCODE_NOERROR) {
		*why = "answer not NOERROR";
	} else if (!knot_wire_get_ad(msg)) {
		*why = "answer not validated (no AD)";
	} else {
		return a;
	}
	knot_pkt_free(a);
	return NULL;
}

static void ch_send_signed(struct child *ch);

/* ---- the parent's response to our KeyState, bootstrap or UPDATE ---- */

static void resp_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct child *ch = arg;
	ch->nq = NULL;
	const char *kind = ch->st == CS_KEYSTATE ? "KeyState query" :
	                   ch->st == CS_BOOT ? "key bootstrap" : "UPDATE";
	char t[HS_ADDR_STRLEN];
	hs_addr_format((const struct sockaddr *)&ch->addrs[ch->ai], t, sizeof(t));
	if (err != 0) {
		hs_log_code(HS_LOG_INFO, err, ch->c->zone_txt, t, "%s unanswered", kind);
		if (++ch->ai < ch->naddrs) {
			ch_send_signed(ch);     /* the next target address */
			return;
		}
		ch_fail(ch, err, "no target address answered");
		return;
	}
	hs_sig0_opts_t so = { .skew = ch->ac->skew };
	uint8_t rcode = 0;
	int32_t ede = -1;
	int ret = hs_deleg_response_check(ch->req->wire, ch->req->size, msg, len, ch->pkeys,
	                                  ch->npkeys, &so, &rcode, &ede);
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, ch->c->zone_txt, t,
		            "answer to our %s not signed by the parent: not believed", kind);
		ch_fail(ch, 0, "unverified answer from the parent");
		return;
	}
	if (ch->st == CS_KEYSTATE) {
		knot_pkt_t *a = knot_pkt_new((void *)msg, len, NULL);
		uint8_t state = 0;
		ret = a == NULL || knot_pkt_parse(a, 0) != 0 ? HS_EMSG :
		      hs_deleg_keystate_answer(a, ch->c->key->keytag, &state);
		knot_pkt_free(a);
		if (ret != 0) {
			ch_fail(ch, ret, "KeyState answer");
			return;
		}
		hs_deleg_next_t next = hs_deleg_keystate_action(state);
		hs_log(HS_LOG_INFO, ch->c->zone_txt, t, "KeyState of our key %u: %u, next: %s",
		       ch->c->key->keytag, state, hs_deleg_next_name(next));
		switch (next) {
		case HS_NEXT_UPDATE:
			ch->st = CS_UPDATE;
			ch_send_signed(ch);
			return;
		case HS_NEXT_BOOTSTRAP:
			/* publish-key: only once the source (the signer) serves our KEY,
			 * so the parent's first look-up finds it */
			if (ch->kp == NULL || (agd_ckey_ready(ch->kp) && ch->key_served)) {
				ch->st = CS_BOOT;
				ch_send_signed(ch);
			} else {
				ch_fail(ch, 0, "our KEY is not served at our apex yet (publish-key)");
			}
			return;
		case HS_NEXT_MANUAL:
			hs_log(HS_LOG_WARNING, ch->c->zone_txt, t,
			       "the parent wants our key %u trusted by hand", ch->c->key->keytag);
			ch_later(ch, ch->c->bmax);
			return;
		case HS_NEXT_OPERATOR:
			hs_log(HS_LOG_ERROR, ch->c->zone_txt, t,
			       "the parent refuses our key %u: the operator must act", ch->c->key->keytag);
			ch_later(ch, ch->c->bmax);
			return;
		default:
			ch_later(ch, hs_backoff_fail(&ch->backoff));
			return;
		}
	}
	if (ch->st == CS_BOOT) {
		const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
		hs_log(HS_LOG_NOTICE, ch->c->zone_txt, t, "key bootstrap of our key %u answered %s",
		       ch->c->key->keytag, l != NULL ? l->name : "?");
		ch_later(ch, hs_backoff_fail(&ch->backoff));
		return;
	}
	if (rcode != KNOT_RCODE_NOERROR) {
		char what[512], text[300];
		const knot_lookup_t *rl = knot_lookup_by_id(knot_rcode_names, rcode);
		(void)hs_deleg_response_ede(msg, len, &ede, text, sizeof(text));
		snprintf(what, sizeof(what), "the parent answered our UPDATE with %s (EDE %d%s%s)",
		         rl != NULL ? rl->name : "?", (int)ede, text[0] ? ": " : "", text);
		if (ede == HS_EDE_SIG0_BADKEY) {
			ch->st = CS_BOOT;       /* BADKEY: bootstrap again */
			hs_log(HS_LOG_WARNING, ch->c->zone_txt, t, "%s: bootstrapping again", what);
			ch_send_signed(ch);
			return;
		}
		ch_fail(ch, 0, what);
		return;
	}
	char why[256] = "";
	ret = hs_deleg_save(ch->now, ch->c->told_path, why, sizeof(why));
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, ch->c->zone_txt, NULL, "cannot save %s: %s",
		            ch->c->told_path, why);
	}
	hs_log(HS_LOG_NOTICE, ch->c->zone_txt, t, "delegation: %zu changes accepted by the parent",
	       ch->chgs.n);
	hs_zone_free(ch->told);
	ch->told = ch->now;
	ch->now = NULL;
	hs_backoff_reset(&ch->backoff);
	ch_idle(ch);
}

static void ch_send_signed(struct child *ch)
{
	knot_pkt_free(ch->req);
	ch->req = NULL;
	int ret;
	const knot_dname_t *pz = ch->pzone;
	if (ch->st == CS_KEYSTATE) {
		ret = hs_deleg_keystate_query_new(ch->c->key, &ch->req);
	} else if (ch->st == CS_BOOT) {
		ret = hs_deleg_bootstrap_new(pz, ch->c->key, ch->c->ttl, &ch->req);
	} else {
		ret = hs_deleg_update_new(pz, &ch->chgs, hs_sig0_reserve(ch->c->key, NULL), &ch->req);
	}
	if (ret == 0) {
		ret = hs_sig0_sign_pkt(ch->req, ch->c->key, NULL, 0, NULL);
	}
	if (ret == 0) {
		ret = ch_query(ch, (const struct sockaddr *)&ch->addrs[ch->ai], ch->req, true, resp_cb);
	}
	if (ret != 0) {
		ch_fail(ch, ret, "cannot send to the parent");
	}
}

/* ---- look-ups: DSYNC, the target's address, the parent's KEY ---- */

static void pkey_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct child *ch = arg;
	ch->nq = NULL;
	const char *why = "";
	knot_pkt_t *a = err == 0 ? validated(msg, len, &why) : NULL;
	if (a == NULL) {
		ch_fail(ch, err, err ? "parent KEY look-up" : why);
		return;
	}
	const knot_dname_t *owner = ch->pkey_at_target ? ch->target : ch->pzone;
	const knot_pktsection_t *an = knot_pkt_section(a, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count && ch->npkeys < CH_MAX_PKEYS; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != HS_RRTYPE_KEY || !knot_dname_is_case_equal(rr->owner, owner)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count && ch->npkeys < CH_MAX_PKEYS; k++) {
			if (hs_key_from_rdata(owner, rd->data, rd->len, &ch->pkeys[ch->npkeys]) == 0) {
				ch->npkeys++;
			}
			rd = knot_rdataset_next(rd);
		}
	}
	knot_pkt_free(a);
	if (!ch->pkey_at_target && !knot_dname_is_case_equal(ch->target, ch->pzone)) {
		/* the receiver's KEY may be at the target too (its signer name) */
		ch->pkey_at_target = true;
		int ret = ch_resolve(ch, ch->target, HS_RRTYPE_KEY, pkey_cb);
		if (ret != 0) {
			ch_fail(ch, ret, "parent KEY look-up at the target");
		}
		return;
	}
	if (ch->npkeys == 0) {
		ch_fail(ch, 0, "the parent publishes no usable KEY (at its apex or the target)");
		return;
	}
	ch->st = CS_KEYSTATE;
	ch->ai = 0;
	ch_send_signed(ch);
}

static void addr_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct child *ch = arg;
	ch->nq = NULL;
	const char *why = "";
	knot_pkt_t *a = err == 0 ? validated(msg, len, &why) : NULL;
	if (a == NULL) {
		ch_fail(ch, err, err ? "target address look-up" : why);
		return;
	}
	const knot_pktsection_t *an = knot_pkt_section(a, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count && ch->naddrs < CH_MAX_ADDRS; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		knot_rdata_t *rd = rr->rrs.rdata;
		if (rr->type != KNOT_RRTYPE_A || rd->len != 4) {
			continue;
		}
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ch->addrs[ch->naddrs++];
		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, rd->data, 4);
		s4->sin_port = htons(ch->port);
	}
	knot_pkt_free(a);
	if (ch->naddrs == 0) {
		ch_fail(ch, 0, "the DSYNC target has no address");
		return;
	}
	ch->st = CS_PKEY;
	ch->pkey_at_target = false;
	int ret = ch_resolve(ch, ch->pzone, HS_RRTYPE_KEY, pkey_cb);
	if (ret != 0) {
		ch_fail(ch, ret, "parent KEY look-up");
	}
}

static void disc_next(struct child *ch);

static void disc_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct child *ch = arg;
	ch->nq = NULL;
	int ret = err;
	if (err != 0) {
		hs_dsync_disc_timeout(&ch->disc);
	} else {
		ret = hs_dsync_disc_feed(&ch->disc, msg, len);
	}
	if (ret != 0) {
		hs_log(HS_LOG_WARNING, ch->c->zone_txt, NULL, "DSYNC discovery: %s",
		       hs_dsync_disc_reason(&ch->disc));
		ch_fail(ch, ret, "DSYNC discovery");
		return;
	}
	disc_next(ch);
}

static void disc_next(struct child *ch)
{
	if (hs_dsync_disc_state(&ch->disc) == HS_DSYNC_DONE) {
		const hs_dsync_result_t *r = hs_dsync_disc_result(&ch->disc);
		knot_dname_copy_lower(ch->pzone, r->parent);
		knot_dname_copy_lower(ch->target, r->dsync.target);
		ch->port = r->dsync.port;
		char pt[KNOT_DNAME_TXT_MAXLEN + 1], tt[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(pt, ch->pzone, sizeof(pt));
		knot_dname_to_str(tt, ch->target, sizeof(tt));
		hs_log(HS_LOG_INFO, ch->c->zone_txt, NULL, "DSYNC: parent %s, UPDATE to %s port %u",
		       pt, tt, ch->port);
		ch->st = CS_ADDR;
		int ret = ch_resolve(ch, ch->target, KNOT_RRTYPE_A, addr_cb);
		if (ret != 0) {
			ch_fail(ch, ret, "target address look-up");
		}
		return;
	}
	knot_pkt_t *q = NULL;
	int ret = hs_dsync_disc_query(&ch->disc, &q);
	if (ret == 0) {
		ret = ch_query(ch, (const struct sockaddr *)&ch->ac->resolver, q, false, disc_cb);
		knot_pkt_free(q);
	}
	if (ret != 0) {
		ch_fail(ch, ret, "DSYNC discovery");
	}
}

/* ---- the zone: fetch, delegation data, changes ---- */

static bool operational(const knot_dname_t *identity, void *ctx)
{
	const hs_peers_t *peers = ctx;
	const hs_peer_t *p = peers != NULL ? hs_peers_find(peers, identity) : NULL;
	return p != NULL && p->state == HS_PEER_OPERATIONAL;
}

static bool is_sender(struct child *ch)
{
	const agd_zone_t *z = ch->ac->zones ? agd_zones_find(ch->ac->zones, ch->c->zone) : NULL;
	if (z == NULL || z->nhsync == 0) {
		return true;            /* no HSYNC: we are the only provider */
	}
	return hs_deleg_is_sender(z->hsync, z->nhsync, ch->ac->identity, operational,
	                          (void *)ch->ac->peers);
}

static void fetch_cb(struct hs_xfr_fetch_result *res, void *arg)
{
	struct child *ch = arg;
	ch->fetch = NULL;
	if (res->err != 0 || res->zone == NULL) {
		ch_fail(ch, res->err, "zone transfer from the source");
		return;
	}
	ch->key_served = agd_ckey_served(res->zone, ch->c->zone, ch->c->key);
	hs_zone_t *now = NULL;
	int ret = hs_deleg_from_zone(res->zone, ch->c->ttl, &now);
	if (ret != 0) {
		ch_fail(ch, ret, "delegation data of the zone");
		return;
	}
	if (!ch->told_loaded) {
		char why[256] = "";
		ret = hs_deleg_load(ch->c->told_path, ch->c->zone, &ch->told, why, sizeof(why));
		if (ret != 0 && ret != HS_ENOTFOUND) {
			hs_log_code(HS_LOG_WARNING, ret, ch->c->zone_txt, NULL,
			            "%s: %s: the parent is taken as told nothing", ch->c->told_path, why);
		}
		ch->told_loaded = true;
	}
	bool changed = false;
	hs_chgs_clear(&ch->chgs);
	/* never told (no state): replace, so what the parent held before us
	 * (the owner's old NS, an old DS) goes; differences after that */
	ret = hs_deleg_changes(ch->told, now, ch->told == NULL ? HS_DELEG_REPLACE : ch->c->mode,
	                       &ch->chgs, &changed);
	if (ret != 0 || !changed) {
		hs_zone_free(now);
		if (ret != 0) {
			ch_fail(ch, ret, "delegation changes");
		} else {
			ch_idle(ch);
		}
		return;
	}
	ch->now = now;
	if (!is_sender(ch)) {
		hs_log(HS_LOG_INFO, ch->c->zone_txt, NULL,
		       "delegation changed (%zu changes); another agent tells the parent", ch->chgs.n);
		ch_idle(ch);
		return;
	}
	hs_log(HS_LOG_NOTICE, ch->c->zone_txt, NULL, "delegation changed: %zu changes for the parent",
	       ch->chgs.n);
	ch->st = CS_DISC;
	ret = hs_dsync_disc_init(&ch->disc, ch->c->zone, ch->c->parent[0] ? ch->c->parent : NULL,
	                         ch->ac->resolver_txt);
	if (ret != 0) {
		ch_fail(ch, ret, "DSYNC discovery");
		return;
	}
	disc_next(ch);
}

static void ch_step(struct child *ch)
{
	if (ch->st != CS_FETCH) {
		return;
	}
	ch_reset(ch);
	struct hs_xfr_fetch_opts fo = { .key = ch->c->has_tsig ? &ch->c->tsig : NULL,
	                                .timeout_ms = 5000, .axfr_only = true };
	int ret = hs_xfr_fetch(ch->ac->loop, (const struct sockaddr *)&ch->c->source, ch->c->zone,
	                       NULL, &fo, fetch_cb, ch, &ch->fetch);
	if (ret != 0) {
		ch_fail(ch, ret, "zone transfer");
	}
}

int agd_child_one_start(agd_child_t *ac, struct ccfg *c)
{
	struct child *ch = calloc(1, sizeof(*ch));
	if (ch == NULL) {
		agd_ccfg_clear(c);
		return HS_ENOMEM;
	}
	ch->cfg = *c;                   /* moved */
	memset(c, 0, sizeof(*c));
	ch->c = &ch->cfg;
	c = ch->c;
	if (agd_ckey_start(ac->loop, &c->kc, c->zone_txt, c->key, c->ttl, c->bmin, c->bmax,
	                   &ch->kp) != 0) {
		agd_ccfg_clear(c);
		free(ch);
		return HS_ENOMEM;
	}
	ch->ac = ac;
	hs_chgs_init(&ch->chgs);
	hs_backoff_init(&ch->backoff, c->bmin, c->bmax);
	uv_timer_init(ac->loop, &ch->timer);
	ch->timer.data = ch;
	ac->ch[ac->n++] = ch;
	ch->st = CS_FETCH;
	ch_step(ch);
	return 0;
}

static void ch_closed(uv_handle_t *h)
{
	struct child *ch = h->data;
	agd_ccfg_clear(&ch->cfg);
	free(ch);
}

void agd_child_one_stop(struct child *ch)
{
	ch_reset(ch);
	agd_ckey_stop(ch->kp);
	ch->kp = NULL;
	hs_zone_free(ch->told);
	ch->told = NULL;
	hs_dsync_disc_clear(&ch->disc);
	uv_timer_stop(&ch->timer);
	uv_close((uv_handle_t *)&ch->timer, ch_closed);
}

int agd_child_start(uv_loop_t *loop, agd_child_cfg_t *cfg, const agd_cfg_t *acfg,
                    agd_child_t **out)
{
	*out = NULL;
	if (cfg == NULL) {
		return 0;
	}
	agd_child_t *ac = calloc(1, sizeof(*ac));
	if (ac == NULL || (ac->ch = calloc(cfg->n + 1, sizeof(*ac->ch))) == NULL) {
		free(ac);
		agd_child_cfg_free(cfg);
		return HS_ENOMEM;
	}
	ac->loop = loop;
	ac->cfg = cfg;
	ac->cap = cfg->n + 1;
	ac->all = cfg->all;             /* moved */
	cfg->all = NULL;
	ac->resolver = acfg->resolver;
	snprintf(ac->resolver_txt, sizeof(ac->resolver_txt), "%s", acfg->resolver_txt);
	knot_dname_copy_lower(ac->identity, acfg->identity);
	ac->skew = acfg->skew;
	for (size_t i = 0; i < cfg->n; i++) {
		if (agd_child_one_start(ac, &cfg->c[i]) != 0) {
			agd_child_stop(ac);
			return HS_ENOMEM;
		}
	}
	*out = ac;
	return 0;
}

void agd_child_attach(agd_child_t *ac, const agd_zones_t *zones, const hs_peers_t *peers)
{
	if (ac != NULL) {
		ac->zones = zones;
		ac->peers = peers;
		agd_children_sync(ac);
	}
}

void agd_child_notify(agd_child_t *ac, const knot_dname_t *zone)
{
	for (size_t i = 0; ac != NULL && zone != NULL && i < ac->n; i++) {
		struct child *ch = ac->ch[i];
		if (!knot_dname_is_case_equal(ch->c->zone, zone)) {
			continue;
		}
		if (ch->st != CS_IDLE) {
			ch->again = true;
			return;
		}
		uv_timer_stop(&ch->timer);
		ch->st = CS_FETCH;
		ch_step(ch);
	}
}

void agd_child_stop(agd_child_t *ac)
{
	if (ac == NULL) {
		return;
	}
	for (size_t i = 0; i < ac->n; i++) {
		agd_child_one_stop(ac->ch[i]);
	}
	free(ac->ch);
	agd_child_cfg_free(ac->cfg);
	agd_ctmpl_free(ac->all);
	free(ac->warned);
	free(ac);
}
