/*
 * hsyncd/follow.c -- following a zone's apex: at most one query in flight
 * per zone (SOA over UDP, then IXFR or AXFR over TCP, fed to hs_apex_xfr_*),
 * a refresh timer from the SOA's refresh and retry, a queue of refreshes
 * when MAX_OPS are in flight, and each new version applied: logged, sent
 * as events, saved, and notified to the subscribers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <libknot/libknot.h>

#include "common/log.h"
#include "hsyncd/change.h"
#include "hsyncd/daemon.h"
#include "libhsync/error.h"

#define MAX_OPS 64              /* queries to sources at once (SOA, transfers); more wait in a queue */

/*
 * States are saved without fsync and made durable together SYNC_DELAY_MS
 * later (and at stop): a crash in between only means a change is noticed,
 * and notified, once more after the restart.
 */
#define SYNC_DELAY_MS 500

static void on_sync(uv_timer_t *t)
{
	struct hsd_daemon *d = t->data;
	int ret = hs_store_sync(d->store);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "cannot sync %s", hs_store_dir(d->store));
	}
}

const char *hsd_rcode_name(uint16_t rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "an unknown RCODE";
}

static void on_timer(uv_timer_t *t)
{
	hsd_follow_refresh(t->data);
}

void hsd_follow_schedule(struct hsd_zone *z, bool ok)
{
	uint32_t refresh_s, retry_s, min = z->d->cfg->refresh_min;
	uint64_t wait;
	if (hsd_msg_soa_timers(z->cur, &refresh_s, &retry_s)) {
		wait = ok ? refresh_s : retry_s;
	} else {
		wait = min;
	}
	if (wait < min) {
		wait = min;
	}
	if (wait < 1) {
		wait = 1;
	}
	uv_timer_start(&z->timer, on_timer, wait * 1000, 0);
	hs_log(HS_LOG_DEBUG, z->name_txt, NULL, "next refresh in %llus", (unsigned long long)wait);
}

struct line_ctx {
	struct hsd_zone *z;
	const char *src;
	int level;
};

static void log_line(const char *line, void *arg)
{
	struct line_ctx *lc = arg;
	int level = lc->level;
	if (strstr(line, ": HSYNC RRset invalid") != NULL) {
		level = HS_LOG_WARNING;
	}
	hs_log(level, NULL, NULL, "%s, from %s", line, lc->src);
}

/* A new version of the zone's apex (next is stolen). */
static void apply(struct hsd_zone *z, hs_apex_t *next, const char *src)
{
	struct hsd_daemon *d = z->d;
	hs_change_t c;
	int ret = hs_change_diff(&c, z->cur, next);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, z->name_txt, src, "cannot compare versions");
		hs_apex_free(next);
		return;
	}
	if (hs_change_empty(&c)) {
		hs_change_clear(&c);
		hs_apex_free(next);
		return;
	}
	struct line_ctx lc = { z, src, c.first ? HS_LOG_INFO : HS_LOG_NOTICE };
	if (c.first) {
		uint32_t serial = 0;
		hs_apex_serial(next, &serial);
		hs_log(HS_LOG_NOTICE, z->name_txt, NULL, "first seen, serial %u, from %s", serial, src);
	}
	(void)hs_change_lines(&c, log_line, &lc);
	if (d->cfg->events != HSD_EVENTS_NONE) {
		(void)hs_change_json(&c, hsd_ev_line, d);
	}
	ret = hs_store_save(d->store, next, HS_STORE_NOSYNC);
	if (ret == 0 && !uv_is_active((uv_handle_t *)&d->sync_timer)) {
		uv_timer_start(&d->sync_timer, on_sync, SYNC_DELAY_MS, 0);
	}
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, z->name_txt, NULL, "cannot save the apex state in %s",
		            hs_store_dir(d->store));
	}
	unsigned mask = hs_change_notify_mask(&c);
	hs_change_clear(&c);
	hs_apex_free(z->cur);
	z->cur = next;
	for (int s = 0; s < HS_APEX_NSLOTS; s++) {
		if (!(mask & (1u << s))) {
			continue;
		}
		for (size_t i = 0; i < z->zc->nsubs; i++) {
			hsd_notify_schedule(z, &z->zc->subs[i], s);
		}
	}
}

void hsd_follow_op_free(struct hsd_op *op)
{
	if (op->xfr) {
		hs_apex_xfr_abort(&op->x);
	}
	op->z->d->ops--;
	hsd_cfg_unref(op->cfg);
	free(op);
}

static void start_refresh(struct hsd_zone *z);

/* Start queued refreshes while there is room. */
static void kick(struct hsd_daemon *d)
{
	while (d->qhead != NULL && d->ops < MAX_OPS && !d->stopping) {
		struct hsd_zone *z = d->qhead;
		d->qhead = z->qnext;
		if (d->qhead == NULL) {
			d->qtail = NULL;
		}
		z->qnext = NULL;
		z->queued = false;
		start_refresh(z);
	}
}

void hsd_follow_dequeue(struct hsd_zone *z)
{
	struct hsd_daemon *d = z->d;
	if (!z->queued) {
		return;
	}
	struct hsd_zone *prev = NULL;
	for (struct hsd_zone *q = d->qhead; q; prev = q, q = q->qnext) {
		if (q == z) {
			if (prev != NULL) {
				prev->qnext = z->qnext;
			} else {
				d->qhead = z->qnext;
			}
			if (d->qtail == z) {
				d->qtail = prev;
			}
			break;
		}
	}
	z->qnext = NULL;
	z->queued = false;
}

/* The operation ended (ok: the zone is current): next refresh, or again now. */
void hsd_follow_done(struct hsd_zone *z, bool ok)
{
	if (z->op != NULL) {
		hsd_follow_op_free(z->op);
		z->op = NULL;
	}
	if (z->again) {
		z->again = false;
		hsd_follow_refresh(z);
	} else {
		hsd_follow_schedule(z, ok);
	}
	kick(z->d);
}

static int xfr_start(struct hsd_zone *z, uint16_t qtype);

static void xfr_failed(struct hsd_zone *z, int err, const char *what)
{
	struct hsd_op *op = z->op;
	bool ixfr = op->qtype == KNOT_RRTYPE_IXFR;
	hs_log_code(HS_LOG_WARNING, err, z->name_txt, op->src.text, "%s failed%s", what,
	            ixfr ? ", trying AXFR" : "");
	if (ixfr) {
		hsd_follow_op_free(op);
		z->op = NULL;
		if (xfr_start(z, KNOT_RRTYPE_AXFR) == 0) {
			return;
		}
	}
	hsd_follow_done(z, false);
}

static int xfr_msg(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct hsd_zone *z = arg;
	struct hsd_op *op = z->op;
	const char *what = op->qtype == KNOT_RRTYPE_IXFR ? "IXFR" : "AXFR";
	if (err != 0) {
		op->h = NULL;
		xfr_failed(z, err, what);
		return HS_NET_DONE;
	}
	knot_pkt_t *pkt = NULL;
	uint16_t rcode = 0;
	err = hsd_msg_check(op->q, op->qlen, msg, len, &op->tsig, false, &rcode, &pkt);
	if (err == 0) {
		err = hsd_msg_xfr_feed(&op->x, pkt);
		knot_pkt_free(pkt);
	} else if (err == HS_EXFR_RCODE) {
		hs_log(HS_LOG_WARNING, z->name_txt, op->src.text, "%s answered with %s", what,
		       hsd_rcode_name(rcode));
	}
	op->msgs++;
	if (err != 0) {
		op->h = NULL;
		xfr_failed(z, err, what);
		return HS_NET_DONE;
	}
	bool lone = op->msgs == 1 && op->x.rrs == 1;   /* one SOA: up to date */
	if (!hs_apex_xfr_done(&op->x) && !lone) {
		return HS_NET_MORE;
	}
	op->h = NULL;
	hs_apex_t *next = NULL;
	op->xfr = false;
	err = hs_apex_xfr_finish(&op->x, &next);
	if (err != 0) {
		xfr_failed(z, err, what);
		return HS_NET_DONE;
	}
	uint32_t serial = 0;
	hs_apex_serial(next, &serial);
	hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "%s done, serial %u, %zu messages",
	       what, serial, op->msgs);
	char src[160];
	snprintf(src, sizeof(src), "%s (%s)", op->src.text, what);
	apply(z, next, src);
	hsd_follow_done(z, true);
	return HS_NET_DONE;
}

struct hsd_op *hsd_follow_op_new(struct hsd_zone *z, uint16_t qtype)
{
	struct hsd_op *op = calloc(1, sizeof(*op));
	if (op == NULL) {
		return NULL;
	}
	op->z = z;
	z->d->ops++;
	op->cfg = hsd_cfg_ref(z->d->cfg);
	op->src = z->zc->source;
	op->qtype = qtype;
	return op;
}

static int xfr_start(struct hsd_zone *z, uint16_t qtype)
{
	knot_rrset_t soa;
	if (qtype == KNOT_RRTYPE_IXFR &&
	    (z->cur == NULL || hs_apex_rrset(z->cur, KNOT_RRTYPE_SOA, &soa) != 0)) {
		qtype = KNOT_RRTYPE_AXFR;
	}
	struct hsd_op *op = hsd_follow_op_new(z, qtype);
	if (op == NULL) {
		return HS_ENOMEM;
	}
	int ret = hsd_msg_query(op->q, &op->qlen, sizeof(op->q), z->name, qtype, false,
	                        qtype == KNOT_RRTYPE_IXFR ? &soa : NULL, op->src.key, &op->tsig);
	if (ret == 0) {
		ret = hs_apex_xfr_begin(&op->x, z->name, qtype == KNOT_RRTYPE_IXFR ? z->cur : NULL);
		op->xfr = ret == 0;
	}
	if (ret == 0) {
		z->op = op;
		struct hs_net_query_opts o = { .timeout_ms = 5000, .tcp = true };
		ret = hs_net_stream(z->d->loop, (const struct sockaddr *)&op->src.addr, op->q,
		                    op->qlen, &o, xfr_msg, z, &op->h);
	}
	if (ret != 0) {
		z->op = NULL;
		hsd_follow_op_free(op);
		return ret;
	}
	hs_log(HS_LOG_DEBUG, z->name_txt, op->src.text, "%s sent",
	       qtype == KNOT_RRTYPE_IXFR ? "IXFR" : "AXFR");
	return 0;
}

static void soa_answer(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct hsd_zone *z = arg;
	struct hsd_op *op = z->op;
	op->h = NULL;
	knot_pkt_t *pkt = NULL;
	uint32_t serial = 0;
	if (err == 0) {
		err = hsd_msg_check(op->q, op->qlen, msg, len, &op->tsig, false, NULL, &pkt);
	}
	if (err == 0) {
		err = hsd_msg_soa_serial(pkt, z->name, &serial);
		knot_pkt_free(pkt);
	}
	if (err != 0) {
		hs_log_code(HS_LOG_WARNING, err, z->name_txt, op->src.text, "SOA query failed");
		hsd_follow_done(z, false);
		return;
	}
	uint32_t have = 0;
	bool has = hs_apex_serial(z->cur, &have);
	if (has && serial == have) {
		hs_log(HS_LOG_DEBUG, z->name_txt, op->src.text, "serial %u, up to date", serial);
		hsd_follow_done(z, true);
		return;
	}
	if (has) {
		hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "serial %u, ours %u", serial, have);
	} else {
		hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "serial %u, none yet", serial);
	}
	hsd_follow_op_free(op);
	z->op = NULL;
	bool axfr = !has || (int32_t)(serial - have) < 0;
	err = xfr_start(z, axfr ? KNOT_RRTYPE_AXFR : KNOT_RRTYPE_IXFR);
	if (err != 0) {
		hs_log_code(HS_LOG_WARNING, err, z->name_txt, NULL, "cannot start a transfer");
		hsd_follow_schedule(z, false);
		kick(z->d);
	}
}

void hsd_follow_refresh(struct hsd_zone *z)
{
	if (z->d->stopping) {
		return;
	}
	if (z->op != NULL) {
		z->again = true;
		return;
	}
	if (z->queued) {
		return;
	}
	uv_timer_stop(&z->timer);
	if (z->d->ops >= MAX_OPS) {
		z->queued = true;
		if (z->d->qtail != NULL) {
			z->d->qtail->qnext = z;
		} else {
			z->d->qhead = z;
		}
		z->d->qtail = z;
		return;
	}
	start_refresh(z);
}

static void start_refresh(struct hsd_zone *z)
{
	if (z->kind == HSD_Z_CATALOG) {
		hsd_cat_start(z);
		return;
	}
	if (z->cur == NULL) {
		/* nothing to compare a serial with: straight to AXFR */
		int err = xfr_start(z, KNOT_RRTYPE_AXFR);
		if (err != 0) {
			hs_log_code(HS_LOG_WARNING, err, z->name_txt, NULL, "cannot start a transfer");
			hsd_follow_schedule(z, false);
		}
		return;
	}
	struct hsd_op *op = hsd_follow_op_new(z, KNOT_RRTYPE_SOA);
	int ret = op == NULL ? HS_ENOMEM : 0;
	if (ret == 0) {
		ret = hsd_msg_query(op->q, &op->qlen, sizeof(op->q), z->name, KNOT_RRTYPE_SOA, false,
		                    NULL, op->src.key, &op->tsig);
	}
	if (ret == 0) {
		z->op = op;
		struct hs_net_query_opts o = { .timeout_ms = 2000, .retries = 2 };
		ret = hs_net_query(z->d->loop, (const struct sockaddr *)&op->src.addr, op->q,
		                   op->qlen, &o, soa_answer, z, &op->h);
	}
	if (ret != 0) {
		z->op = NULL;
		if (op != NULL) {
			hsd_follow_op_free(op);
		}
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, NULL, "cannot send a SOA query");
		hsd_follow_schedule(z, false);
	}
}

/* Give up z's query or transfer in flight, if any. */
void hsd_follow_cancel(struct hsd_zone *z)
{
	if (z->op != NULL) {
		if (z->op->h != NULL) {
			hs_net_cancel(z->op->h);
		}
		if (z->op->f != NULL) {
			hs_xfr_fetch_cancel(z->op->f);
		}
		hsd_follow_op_free(z->op);
		z->op = NULL;
	}
	z->again = false;
}
