/*
 * agentd/childkey.c -- `publish-key yes` of a child block (agentd/ddns.h):
 * the child's SIG(0) public key goes to combinerd as the zone's apex KEY
 * RRset by a TSIG UPDATE ("delete KEY RRset; add KEY"), retried with
 * backoff until combinerd answers NOERROR. The parent's bootstrap can then
 * trust the key by a validated KEY look-up at the child apex, once the
 * signer serves it signed (draft-johani-dnsop-delegation-mgmt-via-ddns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/deleg.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

#define CK_TIMEOUT_MS 3000

struct agd_ckey {
	uv_timer_t timer;               /* first: closing it frees the publisher */
	uv_loop_t *loop;
	const agd_ckey_cfg_t *kc;
	const char *zone_txt;
	const hs_key_t *key;
	uint32_t ttl;
	hs_backoff_t backoff;
	hs_net_query_t *nq;
	knot_pkt_t *req;                /* the signed UPDATE in flight */
	hs_tsig_ctx_t tsig;
	bool done;                      /* combinerd took it */
};

int agd_ckey_cfg_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, agd_ckey_cfg_t *out,
                      char *err, size_t errlen)
{
	const hs_conf_stmt_t *s = hs_conf_child(blk, "publish-key");
	out->on = false;
	if (s == NULL) {
		return 0;
	}
	int ret = hs_conf_bool(s, 0, &out->on, err, errlen);
	if (ret != 0 || !out->on) {
		return ret;
	}
	if (!cfg->combinerd.set) {
		return hs_conf_error(s, err, errlen, "publish-key yes needs a combinerd statement "
		                     "(the KEY goes to the zone through combinerd)");
	}
	if (cfg->combinerd.key == NULL) {
		return hs_conf_error(s, err, errlen, "publish-key yes needs a key on the combinerd "
		                     "statement (combinerd takes only TSIG-signed UPDATEs)");
	}
	out->addr = cfg->combinerd.addr;
	snprintf(out->addr_txt, sizeof(out->addr_txt), "%s", cfg->combinerd.text);
	if (knot_tsig_key_copy(&out->tsig, cfg->combinerd.key) != 0) {
		return HS_ENOMEM;
	}
	out->has_tsig = true;
	return 0;
}

void agd_ckey_cfg_clear(agd_ckey_cfg_t *kc)
{
	if (kc != NULL && kc->has_tsig) {
		knot_tsig_key_deinit(&kc->tsig);
		kc->has_tsig = false;
	}
}

static void ck_send(struct agd_ckey *k);

static void ck_timer_cb(uv_timer_t *t)
{
	ck_send(t->data);
}

static void ck_fail(struct agd_ckey *k, int code, const char *what)
{
	knot_pkt_free(k->req);
	k->req = NULL;
	uint32_t d = hs_backoff_fail(&k->backoff);
	hs_log(HS_LOG_WARNING, k->zone_txt, k->kc->addr_txt,
	       "publish-key: %s%s%s; again in %us", what, code ? ": " : "",
	       code ? hs_strerror(code) : "", d);
	uv_timer_start(&k->timer, ck_timer_cb, (uint64_t)d * 1000, 0);
}

static void ck_answer(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct agd_ckey *k = arg;
	k->nq = NULL;
	if (err != 0) {
		ck_fail(k, err, "combinerd did not answer our KEY UPDATE");
		return;
	}
	uint16_t rcode = 0;
	int ret = hs_xfr_check_answer(msg, len, k->req, &k->tsig, &rcode, NULL);
	if (ret == HS_EXFR_RCODE) {
		const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
		char what[160];
		snprintf(what, sizeof(what), "combinerd answered our KEY UPDATE with %s%s",
		         l != NULL ? l->name : "?", rcode == KNOT_RCODE_REFUSED ?
		         " (does its zone have allow-apex-key yes?)" : "");
		ck_fail(k, 0, what);
		return;
	}
	if (ret != 0) {
		ck_fail(k, ret, "bad answer to our KEY UPDATE");
		return;
	}
	knot_pkt_free(k->req);
	k->req = NULL;
	k->done = true;
	hs_backoff_reset(&k->backoff);
	hs_log(HS_LOG_NOTICE, k->zone_txt, k->kc->addr_txt,
	       "publish-key: combinerd took our KEY %u as the apex KEY RRset (TTL %u)",
	       k->key->keytag, k->ttl);
}

/* "delete KEY RRset; add our KEY" for the zone, TSIG-signed, in k->req. */
static int ck_build(struct agd_ckey *k)
{
	if (k->key->rdata.size > UINT16_MAX) {
		return HS_EINVAL;
	}
	hs_chgs_t c;
	hs_chgs_init(&c);
	int ret = hs_chgs_add(&c, HS_CHG_DEL_RRSET, k->key->owner, HS_RRTYPE_KEY, 0, NULL, 0);
	if (ret == 0) {
		ret = hs_chgs_add(&c, HS_CHG_ADD, k->key->owner, HS_RRTYPE_KEY, k->ttl,
		                  k->key->rdata.data, (uint16_t)k->key->rdata.size);
	}
	if (ret == 0) {
		ret = hs_deleg_update_new(k->key->owner, &c, hs_tsig_space(&k->kc->tsig), &k->req);
	}
	hs_chgs_clear(&c);
	if (ret == 0) {
		knot_wire_set_id(k->req->wire, (uint16_t)(random() & 0xffff));
		memset(&k->tsig, 0, sizeof(k->tsig));
		ret = hs_tsig_sign_query(k->req, &k->kc->tsig, &k->tsig);
	}
	return ret;
}

static void ck_send(struct agd_ckey *k)
{
	knot_pkt_free(k->req);
	k->req = NULL;
	int ret = ck_build(k);
	if (ret != 0) {
		ck_fail(k, ret, "cannot build our KEY UPDATE");
		return;
	}
	hs_log(HS_LOG_INFO, k->zone_txt, k->kc->addr_txt,
	       "publish-key: sending our KEY %u to combinerd", k->key->keytag);
	struct hs_net_query_opts qo = { .timeout_ms = CK_TIMEOUT_MS, .retries = 1, .tcp = true };
	ret = hs_net_query(k->loop, (const struct sockaddr *)&k->kc->addr, k->req->wire,
	                   k->req->size, &qo, ck_answer, k, &k->nq);
	if (ret != 0) {
		ck_fail(k, ret, "cannot send our KEY UPDATE");
	}
}

int agd_ckey_start(uv_loop_t *loop, const agd_ckey_cfg_t *kc, const char *zone_txt,
                   const hs_key_t *key, uint32_t ttl, uint32_t bmin, uint32_t bmax,
                   agd_ckey_t **out)
{
	*out = NULL;
	if (kc == NULL || !kc->on) {
		return 0;
	}
	struct agd_ckey *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return HS_ENOMEM;
	}
	k->loop = loop;
	k->kc = kc;
	k->zone_txt = zone_txt;
	k->key = key;
	k->ttl = ttl;
	hs_backoff_init(&k->backoff, bmin, bmax);
	uv_timer_init(loop, &k->timer);
	k->timer.data = k;
	*out = k;
	ck_send(k);
	return 0;
}

bool agd_ckey_ready(const agd_ckey_t *k)
{
	return k == NULL || k->done;
}

void agd_ckey_stop(agd_ckey_t *k)
{
	if (k == NULL) {
		return;
	}
	if (k->nq != NULL) {
		hs_net_cancel(k->nq);
		k->nq = NULL;
	}
	knot_pkt_free(k->req);
	k->req = NULL;
	uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->timer, (uv_close_cb)free);
}

bool agd_ckey_served(const hs_zone_t *z, const knot_dname_t *apex, const hs_key_t *key)
{
	knot_rrset_t rrs;
	if (hs_zone_find(z, apex, KNOT_RRTYPE_KEY, &rrs) != HS_EOK) {
		return false;
	}
	knot_rdata_t *rd = rrs.rrs.rdata;
	for (uint16_t i = 0; i < rrs.rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (rd->len == key->rdata.size && memcmp(rd->data, key->rdata.data, rd->len) == 0) {
			return true;
		}
	}
	return false;
}
