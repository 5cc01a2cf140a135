/*
 * hsyncd/main.c -- the hsyncd daemon: the libuv loop around its modules.
 *
 * Per zone: the apex state (apex.h), a refresh timer, at most one query in
 * flight (SOA over UDP, then IXFR or AXFR over TCP, followed by
 * hs_apex_xfr_*), and NOTIFY jobs to subscribers, one per (subscriber,
 * type), each retried with a growing interval until answered. The protocol
 * decisions are in answer.c, proto.c and config.c (hsyncd.h), change.c and
 * store.c; this file only moves messages and keeps timers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>
#include <libknot/libknot.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfrnet.h"
#include "hsyncd/apex.h"
#include "hsyncd/catalog.h"
#include "hsyncd/change.h"
#include "hsyncd/hsyncd.h"
#include "hsyncd/store.h"
#include "libhsync/error.h"

#define NOTIFY_COALESCE_MS 20   /* changes this close together give one NOTIFY per type */
#define QUERY_CAP 1024
#define MAX_OPS 64              /* queries to sources at once (SOA, transfers); more wait in a queue */
#define MAX_NOTIFY 128          /* NOTIFYs unanswered at once; more wait a little */

struct daemon;
struct zone;

/* One query (SOA, IXFR or AXFR) to a zone's source. */
struct op {
	struct zone *z;
	hsd_cfg_t *cfg;            /* reference: the key and source are borrowed from it */
	hsd_peer_t src;
	uint16_t qtype;
	uint8_t q[QUERY_CAP];
	size_t qlen;
	hs_tsig_ctx_t tsig;
	hs_net_query_t *h;
	hs_xfr_fetch_t *f;         /* Z_CATALOG: the fetch of the whole catalog */
	hs_apex_xfr_t x;
	bool xfr;                  /* x is in use */
	size_t msgs;
};

/* NOTIFY of one type to one subscriber, until answered. */
struct job {
	struct job *next;
	struct zone *z;
	hsd_cfg_t *cfg;            /* reference: peer.key is borrowed from it */
	hsd_peer_t peer;
	int slot;
	unsigned attempt;
	bool inflight, again, closing;
	uv_timer_t timer;
	hs_xfr_notify_t *h;
};

enum zone_kind {
	Z_ZONE = 0,                /* a zone of the configuration */
	Z_CATALOG,                 /* a catalog zone of the configuration */
	Z_MEMBER,                  /* a member of a catalog */
};

struct zone {
	struct daemon *d;
	struct zone *hnext;
	enum zone_kind kind;
	bool mark;                 /* sync_zones(): kept */
	const hsd_zone_cfg_t *zc;  /* borrowed from d->cfg, or own */
	hsd_zone_cfg_t *own;       /* Z_MEMBER: the catalog's source and subscribers (owned) */
	struct zone *cat;          /* Z_MEMBER: its catalog */
	hs_zone_t *czone;          /* Z_CATALOG: the whole catalog zone (for IXFR) */
	hs_catalog_t *members;     /* Z_CATALOG: its member list in force */
	knot_dname_t *name;        /* owned, lowercase */
	char *name_txt;            /* owned */
	hs_apex_t *cur;
	uv_timer_t timer;
	struct op *op;
	bool again;                /* refresh asked while busy */
	bool queued;               /* waiting in d->queue for a free slot */
	struct zone *qnext;
	struct job *jobs;
};

struct events {
	uv_process_t proc;
	uv_pipe_t in;
	bool running;
	unsigned open;
};

struct daemon {
	uv_loop_t *loop;
	hsd_cfg_t *cfg;
	const char *conf_file;
	int verbosity;
	hs_store_t *store;
	hs_net_server_t *srv;
	hs_signals_t *sig;
	struct zone **zones;
	size_t nzones;
	struct zone **hash;
	size_t hsize;
	struct events *ev;
	bool stopping;
	size_t ops;                /* queries to sources in flight */
	size_t notifies;           /* NOTIFYs in flight */
	struct zone *qhead, *qtail;   /* zones waiting to refresh */
	uv_timer_t sync_timer;     /* makes the saved states durable, a burst at a time */
};

/*
 * States are saved without fsync and made durable together SYNC_DELAY_MS
 * later (and at stop): a crash in between only means a change is noticed,
 * and notified, once more after the restart.
 */
#define SYNC_DELAY_MS 500

static void on_sync(uv_timer_t *t)
{
	struct daemon *d = t->data;
	int ret = hs_store_sync(d->store);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "cannot sync %s", hs_store_dir(d->store));
	}
}

static const char *rcode_name(uint16_t rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "an unknown RCODE";
}

/* ---- zone table ------------------------------------------------------------------- */

static size_t name_hash(const knot_dname_t *name)
{
	uint32_t h = 2166136261u;
	size_t n = knot_dname_size(name);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name[i];
		if (c >= 'A' && c <= 'Z') {
			c += 'a' - 'A';
		}
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static int rehash(struct daemon *d)
{
	size_t size = 64;
	while (size < 2 * d->nzones) {
		size *= 2;
	}
	struct zone **t = calloc(size, sizeof(*t));
	if (t == NULL) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < d->nzones; i++) {
		struct zone *z = d->zones[i];
		size_t b = name_hash(z->name) & (size - 1);
		z->hnext = t[b];
		t[b] = z;
	}
	free(d->hash);
	d->hash = t;
	d->hsize = size;
	return 0;
}

static struct zone *zone_find(struct daemon *d, const knot_dname_t *name)
{
	if (d->hash == NULL) {
		return NULL;
	}
	for (struct zone *z = d->hash[name_hash(name) & (d->hsize - 1)]; z; z = z->hnext) {
		if (knot_dname_is_case_equal(z->name, name)) {
			return z;
		}
	}
	return NULL;
}

/* ---- events for scripts --------------------------------------------------------------- */

static void ev_closed(uv_handle_t *h)
{
	struct events *ev = h->data;
	if (--ev->open == 0) {
		free(ev);
	}
}

static void ev_close(struct events *ev)
{
	if (ev == NULL) {
		return;
	}
	ev->running = false;
	if (!uv_is_closing((uv_handle_t *)&ev->in)) {
		uv_close((uv_handle_t *)&ev->in, ev_closed);
	}
	if (!uv_is_closing((uv_handle_t *)&ev->proc)) {
		uv_close((uv_handle_t *)&ev->proc, ev_closed);
	}
}

static void ev_exited(uv_process_t *p, int64_t status, int signum)
{
	struct events *ev = p->data;
	hs_log(HS_LOG_WARNING, NULL, NULL, "events command ended (status %lld, signal %d); "
	       "started again at the next change", (long long)status, signum);
	struct daemon *d = ev->proc.loop->data;
	if (d->ev == ev) {
		d->ev = NULL;
	}
	ev_close(ev);
}

static struct events *ev_start(struct daemon *d)
{
	struct events *ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		return NULL;
	}
	uv_pipe_init(d->loop, &ev->in, 0);
	ev->in.data = ev;
	ev->proc.data = ev;
	ev->open = 1;
	char *args[] = { "/bin/sh", "-c", (char *)d->cfg->events_cmd, NULL };
	uv_stdio_container_t io[3];
	io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	io[0].data.stream = (uv_stream_t *)&ev->in;
	io[1].flags = UV_INHERIT_FD;
	io[1].data.fd = 1;
	io[2].flags = UV_INHERIT_FD;
	io[2].data.fd = 2;
	uv_process_options_t o;
	memset(&o, 0, sizeof(o));
	o.exit_cb = ev_exited;
	o.file = args[0];
	o.args = args;
	o.stdio = io;
	o.stdio_count = 3;
	int ret = uv_spawn(d->loop, &ev->proc, &o);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "events exec \"%s\": cannot start",
		            d->cfg->events_cmd);
		uv_close((uv_handle_t *)&ev->in, ev_closed);
		return NULL;
	}
	ev->open = 2;
	ev->running = true;
	hs_log_info("events exec \"%s\": started, pid %d", d->cfg->events_cmd, ev->proc.pid);
	return ev;
}

static void ev_written(uv_write_t *w, int status)
{
	if (status < 0) {
		hs_log_code(HS_LOG_WARNING, status, NULL, NULL, "events command: write failed");
	}
	free(w);
}

static void ev_line(const char *line, void *arg)
{
	struct daemon *d = arg;
	if (d->cfg->events == HSD_EVENTS_STDOUT) {
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (d->cfg->events != HSD_EVENTS_EXEC) {
		return;
	}
	if (d->ev == NULL && (d->ev = ev_start(d)) == NULL) {
		return;
	}
	size_t n = strlen(line);
	uv_write_t *w = malloc(sizeof(*w) + n + 1);
	if (w == NULL) {
		return;
	}
	char *buf = (char *)(w + 1);
	memcpy(buf, line, n);
	buf[n] = '\n';
	uv_buf_t b = uv_buf_init(buf, (unsigned)n + 1);
	int ret = uv_write(w, (uv_stream_t *)&d->ev->in, &b, 1, ev_written);
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, NULL, NULL, "events command: write failed");
		free(w);
	}
}

/* ---- NOTIFY to subscribers -------------------------------------------------------------- */

static void job_fire(uv_timer_t *t);

static void job_closed(uv_handle_t *h)
{
	struct job *j = h->data;
	hsd_cfg_unref(j->cfg);
	free(j);
}

/* Take j out of its zone's list and free it (after its timer closes). */
static void job_end(struct job *j)
{
	struct zone *z = j->z;
	for (struct job **p = &z->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	if (j->h != NULL) {
		hs_xfr_notify_cancel(j->h);
		j->h = NULL;
	}
	if (j->inflight) {
		z->d->notifies--;
		j->inflight = false;
	}
	j->closing = true;
	uv_close((uv_handle_t *)&j->timer, job_closed);
}

static void job_answer(int err, uint16_t rcode, unsigned tries, void *arg)
{
	struct job *j = arg;
	struct zone *z = j->z;
	const char *type = hs_apex_slot_name(j->slot);
	j->h = NULL;
	j->inflight = false;
	z->d->notifies--;
	if (err == 0 || err == HS_EXFR_RCODE) {
		if (err == 0) {
			hs_log(HS_LOG_INFO, z->name_txt, j->peer.text, "NOTIFY %s answered", type);
		} else {
			hs_log(HS_LOG_WARNING, z->name_txt, j->peer.text, "NOTIFY %s answered with %s",
			       type, rcode_name(rcode));
		}
		if (j->again) {
			j->again = false;
			j->attempt = 0;
			uv_timer_start(&j->timer, job_fire, NOTIFY_COALESCE_MS, 0);
		} else {
			job_end(j);
		}
		return;
	}
	unsigned wait = hsd_msg_notify_backoff(j->attempt);
	hs_log_code(j->attempt == 0 ? HS_LOG_NOTICE : HS_LOG_INFO, err, z->name_txt, j->peer.text,
	            "NOTIFY %s not answered (try %u), again in %us", type, j->attempt + 1, wait);
	j->attempt++;
	j->again = false;   /* the retry carries the news */
	uv_timer_start(&j->timer, job_fire, (uint64_t)wait * 1000, 0);
}

static void job_fire(uv_timer_t *t)
{
	struct job *j = t->data;
	struct zone *z = j->z;
	if (z->d->notifies >= MAX_NOTIFY) {
		uv_timer_start(&j->timer, job_fire, 5 + (uint64_t)(rand() % 20), 0);
		return;
	}
	knot_rrset_t soa;
	const knot_rrset_t *hint = NULL;
	if (z->cur != NULL && hs_apex_rrset(z->cur, KNOT_RRTYPE_SOA, &soa) == 0) {
		hint = &soa;
	}
	/* one try per call: the retries and their backoff are ours (job_answer) */
	struct hs_xfr_notify_opts o = {
		.key = j->peer.key, .soa = hint, .qtype = hs_apex_slot_type(j->slot),
		.timeout_ms = 1000, .retries = 0,
	};
	int ret = hs_xfr_notify_send(z->d->loop, (const struct sockaddr *)&j->peer.addr, z->name,
	                             &o, job_answer, j, &j->h);
	if (ret != 0) {
		unsigned wait = hsd_msg_notify_backoff(j->attempt++);
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, j->peer.text,
		            "NOTIFY %s not sent, again in %us", hs_apex_slot_name(j->slot), wait);
		uv_timer_start(&j->timer, job_fire, (uint64_t)wait * 1000, 0);
		return;
	}
	j->inflight = true;
	z->d->notifies++;
	hs_log(HS_LOG_DEBUG, z->name_txt, j->peer.text, "NOTIFY %s sent",
	       hs_apex_slot_name(j->slot));
}

static void job_schedule(struct zone *z, const hsd_peer_t *peer, int slot)
{
	for (struct job *j = z->jobs; j; j = j->next) {
		if (j->slot == slot && hs_addr_equal((const struct sockaddr *)&j->peer.addr,
		                                     (const struct sockaddr *)&peer->addr)) {
			if (j->inflight) {
				j->again = true;
			} else {
				j->attempt = 0;
				uv_timer_start(&j->timer, job_fire, NOTIFY_COALESCE_MS, 0);
			}
			return;
		}
	}
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		hs_log(HS_LOG_ERROR, z->name_txt, peer->text, "NOTIFY %s: out of memory",
		       hs_apex_slot_name(slot));
		return;
	}
	j->z = z;
	j->cfg = hsd_cfg_ref(z->d->cfg);
	j->peer = *peer;
	j->slot = slot;
	uv_timer_init(z->d->loop, &j->timer);
	j->timer.data = j;
	j->next = z->jobs;
	z->jobs = j;
	uv_timer_start(&j->timer, job_fire, NOTIFY_COALESCE_MS, 0);
}

/* ---- following a zone -------------------------------------------------------------------- */

static void refresh(struct zone *z);

static void on_timer(uv_timer_t *t)
{
	refresh(t->data);
}

static void schedule(struct zone *z, bool ok)
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
	struct zone *z;
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
static void apply(struct zone *z, hs_apex_t *next, const char *src)
{
	struct daemon *d = z->d;
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
		(void)hs_change_json(&c, ev_line, d);
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
			job_schedule(z, &z->zc->subs[i], s);
		}
	}
}

static void op_free(struct op *op)
{
	if (op->xfr) {
		hs_apex_xfr_abort(&op->x);
	}
	op->z->d->ops--;
	hsd_cfg_unref(op->cfg);
	free(op);
}

static void start_refresh(struct zone *z);
static void cat_start(struct zone *z);

/* Start queued refreshes while there is room. */
static void kick(struct daemon *d)
{
	while (d->qhead != NULL && d->ops < MAX_OPS && !d->stopping) {
		struct zone *z = d->qhead;
		d->qhead = z->qnext;
		if (d->qhead == NULL) {
			d->qtail = NULL;
		}
		z->qnext = NULL;
		z->queued = false;
		start_refresh(z);
	}
}

static void dequeue(struct zone *z)
{
	struct daemon *d = z->d;
	if (!z->queued) {
		return;
	}
	struct zone *prev = NULL;
	for (struct zone *q = d->qhead; q; prev = q, q = q->qnext) {
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
static void op_done(struct zone *z, bool ok)
{
	if (z->op != NULL) {
		op_free(z->op);
		z->op = NULL;
	}
	if (z->again) {
		z->again = false;
		refresh(z);
	} else {
		schedule(z, ok);
	}
	kick(z->d);
}

static int xfr_start(struct zone *z, uint16_t qtype);

static void xfr_failed(struct zone *z, int err, const char *what)
{
	struct op *op = z->op;
	bool ixfr = op->qtype == KNOT_RRTYPE_IXFR;
	hs_log_code(HS_LOG_WARNING, err, z->name_txt, op->src.text, "%s failed%s", what,
	            ixfr ? ", trying AXFR" : "");
	if (ixfr) {
		op_free(op);
		z->op = NULL;
		if (xfr_start(z, KNOT_RRTYPE_AXFR) == 0) {
			return;
		}
	}
	op_done(z, false);
}

static int xfr_msg(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct zone *z = arg;
	struct op *op = z->op;
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
		       rcode_name(rcode));
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
	op_done(z, true);
	return HS_NET_DONE;
}

static struct op *op_new(struct zone *z, uint16_t qtype)
{
	struct op *op = calloc(1, sizeof(*op));
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

static int xfr_start(struct zone *z, uint16_t qtype)
{
	knot_rrset_t soa;
	if (qtype == KNOT_RRTYPE_IXFR &&
	    (z->cur == NULL || hs_apex_rrset(z->cur, KNOT_RRTYPE_SOA, &soa) != 0)) {
		qtype = KNOT_RRTYPE_AXFR;
	}
	struct op *op = op_new(z, qtype);
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
		op_free(op);
		return ret;
	}
	hs_log(HS_LOG_DEBUG, z->name_txt, op->src.text, "%s sent",
	       qtype == KNOT_RRTYPE_IXFR ? "IXFR" : "AXFR");
	return 0;
}

static void soa_answer(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct zone *z = arg;
	struct op *op = z->op;
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
		op_done(z, false);
		return;
	}
	uint32_t have = 0;
	bool has = hs_apex_serial(z->cur, &have);
	if (has && serial == have) {
		hs_log(HS_LOG_DEBUG, z->name_txt, op->src.text, "serial %u, up to date", serial);
		op_done(z, true);
		return;
	}
	if (has) {
		hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "serial %u, ours %u", serial, have);
	} else {
		hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "serial %u, none yet", serial);
	}
	op_free(op);
	z->op = NULL;
	bool axfr = !has || (int32_t)(serial - have) < 0;
	err = xfr_start(z, axfr ? KNOT_RRTYPE_AXFR : KNOT_RRTYPE_IXFR);
	if (err != 0) {
		hs_log_code(HS_LOG_WARNING, err, z->name_txt, NULL, "cannot start a transfer");
		schedule(z, false);
		kick(z->d);
	}
}

static void refresh(struct zone *z)
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

static void start_refresh(struct zone *z)
{
	if (z->kind == Z_CATALOG) {
		cat_start(z);
		return;
	}
	if (z->cur == NULL) {
		/* nothing to compare a serial with: straight to AXFR */
		int err = xfr_start(z, KNOT_RRTYPE_AXFR);
		if (err != 0) {
			hs_log_code(HS_LOG_WARNING, err, z->name_txt, NULL, "cannot start a transfer");
			schedule(z, false);
		}
		return;
	}
	struct op *op = op_new(z, KNOT_RRTYPE_SOA);
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
			op_free(op);
		}
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, NULL, "cannot send a SOA query");
		schedule(z, false);
	}
}

static struct zone *zone_new(struct daemon *d, const hsd_zone_cfg_t *zc, enum zone_kind kind)
{
	struct zone *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return NULL;
	}
	z->d = d;
	z->kind = kind;
	z->zc = zc;
	z->name = knot_dname_copy(zc->name, NULL);
	z->name_txt = strdup(zc->name_txt);
	if (z->name == NULL || z->name_txt == NULL) {
		free(z->name);
		free(z->name_txt);
		free(z);
		return NULL;
	}
	uv_timer_init(d->loop, &z->timer);
	z->timer.data = z;
	if (kind == Z_CATALOG) {
		/* the catalog itself is transferred whole at each start */
		return z;
	}
	char reason[512];
	int ret = hs_store_load(d->store, z->name, &z->cur, reason, sizeof(reason));
	if (ret == 0) {
		uint32_t serial = 0;
		hs_apex_serial(z->cur, &serial);
		hs_log(HS_LOG_INFO, z->name_txt, NULL, "stored state loaded, serial %u", serial);
	} else if (ret != HS_ENOTFOUND) {
		hs_log(HS_LOG_WARNING, z->name_txt, NULL, "stored state not used: %s", reason);
	}
	return z;
}

static void zone_closed(uv_handle_t *h)
{
	struct zone *z = h->data;
	hs_apex_free(z->cur);
	hs_zone_free(z->czone);
	hs_catalog_free(z->members);
	free(z->own);
	free(z->name);
	free(z->name_txt);
	free(z);
}

/* Give up z's query or transfer in flight, if any. */
static void zone_cancel(struct zone *z)
{
	if (z->op != NULL) {
		if (z->op->h != NULL) {
			hs_net_cancel(z->op->h);
		}
		if (z->op->f != NULL) {
			hs_xfr_fetch_cancel(z->op->f);
		}
		op_free(z->op);
		z->op = NULL;
	}
	z->again = false;
}

/* Stop following z and free it (after its timer closes). */
static void zone_end(struct zone *z)
{
	dequeue(z);
	while (z->jobs != NULL) {
		job_end(z->jobs);
	}
	zone_cancel(z);
	uv_close((uv_handle_t *)&z->timer, zone_closed);
}

/* ---- server ----------------------------------------------------------------------------- */

static const hs_apex_t *lookup(const knot_dname_t *name, const hsd_zone_cfg_t **zc, void *arg)
{
	struct zone *z = zone_find(arg, name);
	*zc = z != NULL ? z->zc : NULL;
	return z != NULL ? z->cur : NULL;
}

static void on_request(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	struct daemon *d = arg;
	uint8_t out[HS_NET_MSG_MAX];
	size_t outlen = 0;
	hsd_ans_info_t info;
	char peer[HS_ADDR_STRLEN];
	const struct sockaddr *sa = hs_net_req_peer(req);
	hs_addr_format(sa, peer, sizeof(peer));
	bool tcp = hs_net_req_transport(req) == HS_NET_TCP;
	int ret = hsd_answer(lookup, d, d->cfg->keyfiles, d->cfg->nkeyfiles, sa, tcp, msg, len,
	                     out, &outlen, sizeof(out), &info);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, peer, "cannot answer");
		hs_net_done(req);
		return;
	}
	const char *zn = info.zone != NULL ? info.zone->name_txt : info.qname;
	switch (info.kind) {
	case HSD_ANS_NOTIFY: {
		struct zone *z = zone_find(d, info.zone->name);
		hs_log(HS_LOG_INFO, zn, peer, "NOTIFY from the source");
		if (z != NULL) {
			refresh(z);
		}
		break;
	}
	case HSD_ANS_NOTIFY_REFUSED:
		hs_log(HS_LOG_NOTICE, zn, peer, "NOTIFY for a zone not followed: refused");
		break;
	case HSD_ANS_NOTIFY_PEER:
		hs_log(HS_LOG_WARNING, zn, peer, "NOTIFY from an address that is not the source "
		       "(%s): ignored", info.zone->source.text);
		break;
	case HSD_ANS_NOTIFY_TSIG:
		hs_log_code(HS_LOG_WARNING, info.code, zn, peer, "NOTIFY without the source's valid "
		            "TSIG: ignored");
		break;
	case HSD_ANS_FORMERR:
		hs_log_code(HS_LOG_INFO, info.code, NULL, peer, "malformed message");
		break;
	case HSD_ANS_QUERY:
		hs_log(HS_LOG_DEBUG, zn, peer, "query type %u: rcode %u", info.qtype, info.rcode);
		break;
	case HSD_ANS_DROP:
		break;
	}
	if (outlen > 0) {
		(void)hs_net_reply(req, out, outlen);
	} else {
		hs_net_done(req);
	}
}

/* ---- configuration and signals ---------------------------------------------------------- */

/* After a reload: drop NOTIFYs to subscribers no longer configured for z,
 * take the new key (and configuration reference) for the others. */
static void jobs_reconfigure(struct zone *z)
{
	struct job *next;
	for (struct job *j = z->jobs; j; j = next) {
		next = j->next;
		const hsd_peer_t *p = NULL;
		for (size_t i = 0; i < z->zc->nsubs && p == NULL; i++) {
			if (hs_addr_equal((const struct sockaddr *)&z->zc->subs[i].addr,
			                  (const struct sockaddr *)&j->peer.addr)) {
				p = &z->zc->subs[i];
			}
		}
		if (p == NULL) {
			hs_log(HS_LOG_INFO, z->name_txt, j->peer.text, "NOTIFY %s dropped: "
			       "no longer a subscriber", hs_apex_slot_name(j->slot));
			job_end(j);
		} else if (!j->inflight) {
			/* an answer in flight is checked with the key it was signed with */
			hsd_cfg_unref(j->cfg);
			j->cfg = hsd_cfg_ref(z->d->cfg);
			j->peer = *p;
		}
	}
}

/* A member's own configuration: its name, the catalog's source and subscribers. */
static void member_cfg(struct zone *m)
{
	const hsd_zone_cfg_t *c = m->cat->zc;
	m->own->source = c->source;
	m->own->subs = c->subs;
	m->own->nsubs = c->nsubs;
	m->zc = m->own;
}

/* Set d->zones to zones[0..n) and rebuild the table. */
static int set_zones(struct daemon *d, struct zone **zones, size_t n)
{
	free(d->zones);
	d->zones = zones;
	d->nzones = n;
	return rehash(d);
}

/* Stop following z (log why), forget its stored state if drop. */
static void zone_drop(struct zone *z, bool drop, const char *why)
{
	hs_log(HS_LOG_NOTICE, z->name_txt, NULL, "no longer followed: %s", why);
	if (drop && z->kind != Z_CATALOG) {
		(void)hs_store_remove(z->d->store, z->name);
	}
	zone_end(z);
}

/* Make the zone set that of d->cfg: keep, add, remove; members of kept catalogs stay. */
static int sync_zones(struct daemon *d)
{
	hsd_cfg_t *cfg = d->cfg;
	size_t cap = cfg->nzones + cfg->ncatalogs + d->nzones;
	struct zone **zones = calloc(cap ? cap : 1, sizeof(*zones));
	if (zones == NULL) {
		return HS_ENOMEM;
	}
	for (size_t k = 0; k < d->nzones; k++) {
		d->zones[k]->mark = false;
	}
	size_t n = 0, added = 0;
	for (size_t i = 0; i < cfg->nzones + cfg->ncatalogs; i++) {
		bool iscat = i >= cfg->nzones;
		const hsd_zone_cfg_t *zc = iscat ? &cfg->catalogs[i - cfg->nzones] : &cfg->zones[i];
		enum zone_kind kind = iscat ? Z_CATALOG : Z_ZONE;
		struct zone *z = zone_find(d, zc->name);
		if (z != NULL && z->kind == Z_MEMBER && kind == Z_ZONE) {
			z->kind = Z_ZONE;   /* now configured by name: keep its state */
			z->cat = NULL;
		}
		if (z != NULL && z->kind == kind) {
			z->mark = true;
			z->zc = zc;
			jobs_reconfigure(z);
		} else if ((z = zone_new(d, zc, kind)) == NULL) {
			hs_log(HS_LOG_ERROR, zc->name_txt, NULL, "out of memory: not followed");
			continue;
		} else {
			added++;
		}
		zones[n++] = z;
	}
	for (size_t k = 0; k < d->nzones; k++) {
		struct zone *z = d->zones[k];
		if (z->mark) {
			continue;
		}
		if (z->kind == Z_MEMBER && z->cat->mark && z->cat->kind == Z_CATALOG) {
			member_cfg(z);
			jobs_reconfigure(z);
			zones[n++] = z;
			continue;
		}
		zone_drop(z, true, z->kind == Z_MEMBER ? "its catalog is no longer followed"
		                                       : "not in the configuration");
	}
	int ret = set_zones(d, zones, n);
	/* start the new ones */
	for (size_t i = 0; i < n; i++) {
		if (zones[i]->op == NULL && !uv_is_active((uv_handle_t *)&zones[i]->timer) &&
		    !zones[i]->queued) {
			refresh(zones[i]);
		}
	}
	hs_log(HS_LOG_INFO, NULL, NULL, "%zu zones followed, %zu new", n, added);
	return ret;
}

/* ---- catalogs (RFC 9432) ------------------------------------------------------------ */

static void cat_issue(int kind, const char *line, void *arg)
{
	hs_log(HS_LOG_WARNING, NULL, NULL, "%s", line);
}

static void cat_line(const char *line, void *arg)
{
	hs_log(HS_LOG_NOTICE, NULL, NULL, "%s, from %s", line, (const char *)arg);
}

/* Apply a new member list of catalog c (stolen). */
static void cat_members(struct zone *c, hs_catalog_t *list, const char *src)
{
	struct daemon *d = c->d;
	hs_catalog_diff_t diff;
	int ret = hs_catalog_diff(&diff, c->members, list);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, c->name_txt, NULL, "cannot compare member lists");
		hs_catalog_free(list);
		return;
	}
	(void)hs_catalog_diff_lines(&diff, c->name, c->members, cat_line, (void *)src);
	size_t cap = d->nzones + diff.added_count;
	struct zone **zones = calloc(cap ? cap : 1, sizeof(*zones));
	if (zones == NULL) {
		hs_log(HS_LOG_ERROR, c->name_txt, NULL, "out of memory: member list not applied");
		hs_catalog_diff_clear(&diff);
		hs_catalog_free(list);
		return;
	}
	/* removed and reset members */
	for (size_t k = 0; k < d->nzones; k++) {
		d->zones[k]->mark = true;
	}
	for (size_t i = 0; i < diff.removed_count; i++) {
		struct zone *m = zone_find(d, diff.removed[i]->zone);
		if (m != NULL && m->kind == Z_MEMBER && m->cat == c) {
			m->mark = false;
		}
	}
	for (size_t i = 0; i < diff.reset_count; i++) {
		struct zone *m = zone_find(d, diff.reset[i]->zone);
		if (m != NULL && m->kind == Z_MEMBER && m->cat == c) {
			/* RFC 9432 5.6: a new unique-id resets the zone's state */
			zone_cancel(m);   /* a transfer in flight borrows m->cur */
			hs_apex_free(m->cur);
			m->cur = NULL;
			(void)hs_store_remove(d->store, m->name);
			refresh(m);
		}
	}
	size_t n = 0;
	for (size_t k = 0; k < d->nzones; k++) {
		if (d->zones[k]->mark) {
			zones[n++] = d->zones[k];
		} else {
			zone_drop(d->zones[k], true, "removed from its catalog");
		}
	}
	/* added members, unless already followed (RFC 9432 5.2: the first one wins) */
	size_t first_new = n;
	for (size_t i = 0; i < diff.added_count; i++) {
		const knot_dname_t *name = diff.added[i]->zone;
		struct zone *other = NULL;
		for (size_t k = 0; k < n && other == NULL; k++) {
			if (knot_dname_is_case_equal(zones[k]->name, name)) {
				other = zones[k];
			}
		}
		char txt[KNOT_DNAME_TXT_MAXLEN + 1];
		if (knot_dname_to_str(txt, name, sizeof(txt)) == NULL) {
			continue;
		}
		if (other != NULL) {
			hs_log(HS_LOG_WARNING, txt, NULL, "member of %s ignored: already followed%s%s",
			       c->name_txt, other->kind == Z_MEMBER ? " from catalog " : "",
			       other->kind == Z_MEMBER ? other->cat->name_txt : "");
			continue;
		}
		hsd_zone_cfg_t tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.name = (knot_dname_t *)name;
		tmp.name_txt = txt;
		struct zone *m = zone_new(d, &tmp, Z_MEMBER);
		if (m != NULL && (m->own = calloc(1, sizeof(*m->own))) == NULL) {
			zone_end(m);
			m = NULL;
		}
		if (m == NULL) {
			hs_log(HS_LOG_ERROR, txt, NULL, "out of memory: not followed");
			continue;
		}
		m->own->name = m->name;
		m->own->name_txt = m->name_txt;
		m->cat = c;
		member_cfg(m);
		zones[n++] = m;
	}
	hs_catalog_diff_clear(&diff);
	hs_catalog_free(c->members);
	c->members = list;
	(void)set_zones(d, zones, n);
	for (size_t i = first_new; i < n; i++) {
		refresh(zones[i]);
	}
}

static void cat_fetched(struct hs_xfr_fetch_result *res, void *arg)
{
	struct zone *z = arg;
	struct op *op = z->op;
	op->f = NULL;
	if (res->err != 0) {
		hs_log_code(HS_LOG_WARNING, res->err, z->name_txt, op->src.text,
		            "catalog transfer failed");
		op_done(z, false);
		return;
	}
	if (res->kind == HS_XFR_UPTODATE || res->zone == NULL) {
		hs_log(HS_LOG_DEBUG, z->name_txt, op->src.text, "serial %u, up to date", res->serial);
		op_done(z, true);
		return;
	}
	hs_zone_t *cz = res->zone;
	res->zone = NULL;
	const char *what = res->kind == HS_XFR_IXFR ? "IXFR" : "AXFR";
	char src[160];
	snprintf(src, sizeof(src), "%s (%s)", op->src.text, what);
	hs_log(HS_LOG_INFO, z->name_txt, op->src.text, "catalog %s done, serial %u", what,
	       res->serial);
	/* the catalog's apex, to answer for it and to time refreshes */
	hs_apex_t *apex = NULL;
	hs_zone_iter_t it;
	knot_rrset_t rr;
	if (hs_apex_new(&apex, z->name) == 0 && hs_zone_iter_begin(cz, 0, &it) == 0) {
		while (hs_zone_iter_next(&it, &rr)) {
			(void)hs_apex_add(apex, &rr);
		}
		hs_apex_free(z->cur);
		z->cur = apex;
	} else {
		hs_apex_free(apex);
	}
	hs_catalog_t *list = NULL;
	int ret = hs_catalog_from_zone(&list, cz, 0, cat_issue, z);
	hs_zone_free(z->czone);
	z->czone = cz;    /* the source's version, for the next IXFR, even if broken */
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, op->src.text,
		            "catalog not processed; the member list in force stays");
	} else {
		cat_members(z, list, src);
	}
	op_done(z, true);
}

static void cat_start(struct zone *z)
{
	struct op *op = op_new(z, KNOT_RRTYPE_AXFR);
	int ret = op == NULL ? HS_ENOMEM : 0;
	if (ret == 0) {
		/* czone is only replaced in cat_fetched(), so it stays as the fetch needs it */
		z->op = op;
		struct hs_xfr_fetch_opts o = { .key = op->src.key, .timeout_ms = 5000 };
		ret = hs_xfr_fetch(z->d->loop, (const struct sockaddr *)&op->src.addr, z->name,
		                   z->czone, &o, cat_fetched, z, &op->f);
	}
	if (ret != 0) {
		z->op = NULL;
		if (op != NULL) {
			op_free(op);
		}
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, NULL, "cannot start a catalog transfer");
		schedule(z, false);
	}
}

static void on_reload(int signum, void *arg)
{
	struct daemon *d = arg;
	char err[HS_CONF_ERRLEN] = "";
	hsd_cfg_t *cfg = NULL;
	int ret = hsd_cfg_load(d->conf_file, &cfg, err, sizeof(err));
	if (ret != 0) {
		hs_log_error("reload: %s; going on with the configuration as it was",
		             err[0] ? err : hs_strerror(ret));
		return;
	}
	bool same_listen = cfg->nlisten == d->cfg->nlisten;
	for (size_t i = 0; same_listen && i < cfg->nlisten; i++) {
		same_listen = hs_addr_equal((const struct sockaddr *)&cfg->listen[i],
		                            (const struct sockaddr *)&d->cfg->listen[i]);
	}
	if (!same_listen) {
		hs_log_warning("reload: listen addresses changed; they take effect at restart");
	}
	if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0) {
		hs_log_warning("reload: state-dir changed; it takes effect at restart");
	}
	bool ev_changed = cfg->events != d->cfg->events ||
	                  (cfg->events_cmd != NULL) != (d->cfg->events_cmd != NULL) ||
	                  (cfg->events_cmd != NULL && strcmp(cfg->events_cmd, d->cfg->events_cmd) != 0);
	if (ev_changed && d->ev != NULL) {
		ev_close(d->ev);
		d->ev = NULL;
	}
	hsd_cfg_t *old = d->cfg;
	d->cfg = cfg;
	hs_daemon_log_level(cfg->conf, d->verbosity);
	(void)sync_zones(d);
	hsd_cfg_unref(old);
	hs_log_notice("configuration reloaded from %s", d->conf_file);
}

static void on_stop(int signum, void *arg)
{
	struct daemon *d = arg;
	hs_log_notice("signal %d: stopping", signum);
	d->stopping = true;
	uv_stop(d->loop);
}

static void usage(void)
{
	fprintf(stderr, "usage: hsyncd %s\n", HS_DAEMON_USAGE);
}

int main(int argc, char *argv[])
{
	struct hs_daemon_opts o;
	char err[HS_CONF_ERRLEN] = "";
	hs_log_init(argv[0]);
	if (hs_daemon_getopt(argc, argv, HSD_DEFAULT_CONF, NULL, NULL, NULL, &o, err,
	                     sizeof(err)) != 0) {
		hs_log_error("%s", err);
		usage();
		return HS_EXIT_USAGE;
	}
	if (o.help) {
		usage();
		return HS_EXIT_OK;
	}
	struct daemon d;
	memset(&d, 0, sizeof(d));
	d.conf_file = o.conf_file;
	d.verbosity = o.verbosity;
	int ret = hsd_cfg_load(o.conf_file, &d.cfg, err, sizeof(err));
	if (ret != 0) {
		hs_log_error("%s", err[0] ? err : hs_strerror(ret));
		return HS_EXIT_CONFIG;
	}
	if (o.check_only) {
		hsd_cfg_unref(d.cfg);
		return HS_EXIT_OK;
	}
	hs_daemon_log_level(d.cfg->conf, d.verbosity);

	d.loop = uv_default_loop();
	d.loop->data = &d;
	ret = hs_store_open(&d.store, d.cfg->state_dir);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "state-dir %s", d.cfg->state_dir);
	}
	uv_timer_init(d.loop, &d.sync_timer);
	d.sync_timer.data = &d;
	ret = hs_net_server_new(d.loop, NULL, on_request, &d, &d.srv);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "cannot start the DNS server");
	}
	for (size_t i = 0; i < d.cfg->nlisten; i++) {
		char a[HS_ADDR_STRLEN];
		struct sockaddr_storage bound;
		hs_addr_format((const struct sockaddr *)&d.cfg->listen[i], a, sizeof(a));
		ret = hs_net_server_listen(d.srv, (const struct sockaddr *)&d.cfg->listen[i],
		                           HS_NET_UDP | HS_NET_TCP, &bound);
		if (ret != 0) {
			hs_fatal(HS_EXIT_TEMP, ret, "listen %s", a);
		}
		hs_log_info("listening on %s", a);
	}
	ret = hs_signals_start(d.loop, on_stop, on_reload, &d, &d.sig);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "signals");
	}
	ret = sync_zones(&d);
	if (ret != 0) {
		hs_fatal(HS_EXIT_TEMP, ret, "zones");
	}
	hs_log_notice("started: %zu zones, %zu listen addresses, state in %s", d.nzones,
	              d.cfg->nlisten, d.cfg->state_dir);
	uv_run(d.loop, UV_RUN_DEFAULT);

	/* stopping: let go of everything, then let libuv close its handles */
	hs_net_server_close(d.srv);
	for (size_t i = 0; i < d.nzones; i++) {
		zone_end(d.zones[i]);
	}
	d.nzones = 0;
	if (d.ev != NULL) {
		ev_close(d.ev);
		d.ev = NULL;
	}
	hs_signals_close(d.sig);
	uv_close((uv_handle_t *)&d.sync_timer, NULL);
	for (int i = 0; i < 16 && uv_run(d.loop, UV_RUN_NOWAIT) != 0; i++) {
		;
	}
	(void)hs_store_sync(d.store);
	hs_store_close(d.store);
	free(d.zones);
	free(d.hash);
	hsd_cfg_unref(d.cfg);
	hs_log_notice("stopped");
	return HS_EXIT_OK;
}
