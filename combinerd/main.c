/*
 * combinerd/main.c -- the event loop of combinerd: sockets, the owner's
 * zone followed (SOA check, IXFR/AXFR, timers, expire), zones started and
 * stopped, signals. Transfers and NOTIFY out are in outbound.c; what to
 * answer and what to change is decided in proto.c and zone.c (combinerd.h).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "combinerd/combinerd.h"
#include "common/addr.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfrnet.h"
#include "libhsync/error.h"

static void start_refresh(struct cbd_zl *l);
static void fetch_cb(struct hs_xfr_fetch_result *res, void *arg);
static void refresh_ok(struct cbd_zl *l);

/* ---- inbound: refresh, retry, expire ---------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
	start_refresh(t->data);
}

static void schedule(struct cbd_zl *l, uint32_t secs)
{
	unsigned min = l->d->cfg->refresh_min;
	if (secs < min) {
		secs = min;
	}
	uv_timer_start(&l->timer, timer_cb, (uint64_t)secs * 1000, 0);
}

static void read_soa(struct cbd_zl *l)
{
	knot_rrset_t soa;
	hs_zone_t *cz = cbd_zone_combined(l->z);
	if (cz != NULL && hs_zone_find(cz, l->z->apex, KNOT_RRTYPE_SOA, &soa) == HS_EOK) {
		l->refresh = knot_soa_refresh(soa.rrs.rdata);
		l->retry = knot_soa_retry(soa.rrs.rdata);
		l->expire = knot_soa_expire(soa.rrs.rdata);
		l->have_soa = true;
	}
}

static void fetch_failed(struct cbd_zl *l, const char *p, int err, const char *what)
{
	hs_log_code(HS_LOG_WARNING, err, l->z->text, p, "%s; the last good zone stays, retry in %us",
	            what, l->have_soa && l->retry > l->d->cfg->refresh_min ? l->retry
	                                                                 : l->d->cfg->refresh_min);
	l->primary = (l->primary + 1) % l->z->cfg->nprimaries;
	uint64_t now = uv_now(l->d->loop);
	if (l->have_soa && l->last_ok != 0 && !l->z->expired &&
	    now - l->last_ok >= (uint64_t)l->expire * 1000) {
		l->z->expired = true;
		hs_log(HS_LOG_ERROR, l->z->text, NULL,
		       "expired: no good refresh for %us (SOA expire); not served until one", l->expire);
	}
	schedule(l, l->have_soa ? l->retry : 0);
}

static void fetch_cb(struct hs_xfr_fetch_result *res, void *arg)
{
	struct cbd_zl *l = arg;
	l->fetch = NULL;
	hs_zone_free(l->cur);
	l->cur = NULL;
	const cbd_primary_t *pr = &l->z->cfg->primaries[l->primary % l->z->cfg->nprimaries];
	char p[HS_ADDR_STRLEN];
	cbd_peer_str((const struct sockaddr *)&pr->addr, p, sizeof(p));
	uint32_t before = cbd_zone_serial(l->z);
	int changed = 0;
	if (res->err != HS_EOK) {
		char what[128];
		if (res->err == HS_EXFR_RCODE) {
			const knot_lookup_t *rc = knot_lookup_by_id(knot_rcode_names, res->rcode);
			snprintf(what, sizeof(what), "transfer in failed (%s)", rc ? rc->name : "?");
		} else {
			snprintf(what, sizeof(what), "transfer in failed after %zu messages",
			         res->messages);
		}
		fetch_failed(l, p, res->err, what);
		goto done;
	}
	if (res->kind == HS_XFR_UPTODATE) {
		hs_log(HS_LOG_INFO, l->z->text, p, "up to date at owner serial %u", res->serial);
	} else if (res->kind == HS_XFR_AXFR) {
		size_t rrs = res->zone != NULL ? hs_zone_count(res->zone) : 0;
		hs_log(HS_LOG_NOTICE, l->z->text, p,
		       "%s in: owner serial %u, %zu records, %zu messages, %zu bytes",
		       res->fell_back ? "AXFR (IXFR fell back)" : "AXFR", res->serial, rrs,
		       res->messages, res->bytes);
		cbd_snap_detach(l);
		changed = cbd_zone_owner_full(l->z, &res->zone, p);
		if (changed < 0) {
			fetch_failed(l, p, changed, "owner zone not usable");
			goto done;
		}
	} else {
		size_t rrs = 0;
		for (size_t i = 0; i < res->ndeltas; i++) {
			rrs += hs_diff_count(res->deltas[i]);
		}
		hs_log(HS_LOG_NOTICE, l->z->text, p,
		       "IXFR in: owner serial %u -> %u, %zu differences, %zu records, %zu messages, %zu bytes",
		       hs_combiner_owner_serial(l->z->comb), res->serial, res->ndeltas, rrs,
		       res->messages, res->bytes);
		cbd_snap_detach(l);
		changed = cbd_zone_owner_deltas(l->z, res->deltas, res->ndeltas, p);
		if (changed < 0) {
			hs_log_code(HS_LOG_WARNING, changed, l->z->text, p,
			            "IXFR does not fit the owner zone held; asking for AXFR");
			l->axfr = true;
			l->again = true;
			changed = 1;  /* earlier differences may have been applied */
		}
	}
	l->axfr = l->axfr && l->again;
	refresh_ok(l);
	if (changed > 0 && cbd_zone_serial(l->z) != before) {
		cbd_notify_downstreams(l);
	}
done:
	/* An AXFR in held a second zone for a moment: give that memory back
	 * to the system. */
	malloc_trim(0);
	if (l->again && !l->d->stopping) {
		l->again = false;
		start_refresh(l);
	}
}

/* The transfer itself, once the SOA check found the primary newer (or
 * there is nothing to compare with): IXFR from the owner's SOA, its
 * differences checked against the combiner's data without a copy of the
 * owner zone and applied in place; or AXFR. */
static void start_fetch(struct cbd_zl *l)
{
	const cbd_zone_cfg_t *zc = l->z->cfg;
	const cbd_primary_t *pr = &zc->primaries[l->primary % zc->nprimaries];
	hs_zone_t *cur = NULL;
	if (cbd_zone_combined(l->z) != NULL && !l->axfr) {
		int ret = hs_combiner_owner_soa(l->z->comb, &cur);
		if (ret != HS_EOK) {
			cur = NULL;
		}
	}
	struct hs_xfr_fetch_opts o = { .key = pr->key, .axfr_only = l->axfr, .timeout_ms = 2000,
	                               .no_soa_check = true, .ixfr_deltas_only = true,
	                               .has = hs_combiner_owner_has, .has_arg = l->z->comb };
	l->cur = cur;
	int ret = hs_xfr_fetch(l->d->loop, (const struct sockaddr *)&pr->addr, l->z->apex, cur, &o,
	                       fetch_cb, l, &l->fetch);
	if (ret != HS_EOK) {
		hs_zone_free(cur);
		l->cur = NULL;
		l->fetch = NULL;
		char p[HS_ADDR_STRLEN];
		cbd_peer_str((const struct sockaddr *)&pr->addr, p, sizeof(p));
		fetch_failed(l, p, ret, "cannot start transfer in");
	}
}

static void refresh_ok(struct cbd_zl *l)
{
	l->last_ok = uv_now(l->d->loop);
	if (l->z->expired) {
		l->z->expired = false;
		hs_log(HS_LOG_NOTICE, l->z->text, NULL, "served again");
	}
	read_soa(l);
	schedule(l, l->refresh);
}

/* The SOA check is ours, not hs_xfr_fetch's: it needs no copy of the
 * owner zone, which is made only when a transfer follows. */
static void soa_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct cbd_zl *l = arg;
	l->soaq = NULL;
	const cbd_primary_t *pr = &l->z->cfg->primaries[l->primary % l->z->cfg->nprimaries];
	char p[HS_ADDR_STRLEN];
	cbd_peer_str((const struct sockaddr *)&pr->addr, p, sizeof(p));
	uint16_t rcode = 0;
	uint32_t serial = 0, ours = hs_combiner_owner_serial(l->z->comb);
	if (err == 0) {
		err = hs_xfr_check_answer(msg, len, l->soapkt, &l->soactx, &rcode, &serial);
	}
	if (err != 0) {
		char what[64];
		const knot_lookup_t *rc = knot_lookup_by_id(knot_rcode_names, rcode);
		snprintf(what, sizeof(what), "SOA check failed%s%s%s", err == HS_EXFR_RCODE ? " (" : "",
		         err == HS_EXFR_RCODE && rc != NULL ? rc->name : "",
		         err == HS_EXFR_RCODE ? ")" : "");
		fetch_failed(l, p, err, what);
	} else if (serial == ours) {
		hs_log(HS_LOG_DEBUG, l->z->text, p, "up to date at owner serial %u", serial);
		refresh_ok(l);
	} else if (!hs_serial_gt(serial, ours)) {
		char what[96];
		snprintf(what, sizeof(what), "primary's serial %u is older than ours (%u)", serial, ours);
		fetch_failed(l, p, HS_EXFR_SERIAL, what);
	} else {
		start_fetch(l);
		return;
	}
	if (l->again && !l->d->stopping) {
		l->again = false;
		start_refresh(l);
	}
}

static void start_refresh(struct cbd_zl *l)
{
	if (l->d->stopping) {
		return;
	}
	if (l->fetch != NULL || l->soaq != NULL) {
		l->again = true;
		return;
	}
	uv_timer_stop(&l->timer);
	if (cbd_zone_combined(l->z) == NULL || l->axfr) {
		start_fetch(l);
		return;
	}
	const cbd_primary_t *pr = &l->z->cfg->primaries[l->primary % l->z->cfg->nprimaries];
	if (l->soapkt == NULL) {
		l->soapkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	}
	int ret = l->soapkt == NULL ? HS_ENOMEM
	        : hs_xfr_query(l->soapkt, l->z->apex, KNOT_RRTYPE_SOA, NULL, pr->key, &l->soactx);
	if (ret == HS_EOK) {
		struct hs_net_query_opts o = { .timeout_ms = 2000, .retries = 2 };
		ret = hs_net_query(l->d->loop, (const struct sockaddr *)&pr->addr, l->soapkt->wire,
		                   l->soapkt->size, &o, soa_cb, l, &l->soaq);
	}
	if (ret != HS_EOK) {
		l->soaq = NULL;
		char p[HS_ADDR_STRLEN];
		cbd_peer_str((const struct sockaddr *)&pr->addr, p, sizeof(p));
		fetch_failed(l, p, ret, "cannot send the SOA query");
	}
}

/* ---- zones ---------------------------------------------------------------------- */

static void zl_closed(uv_handle_t *h)
{
	free(h->data);
}

static void zl_stop(struct cbd_zl *l)
{
	if (l->fetch != NULL) {
		hs_xfr_fetch_cancel(l->fetch);
		l->fetch = NULL;
		hs_zone_free(l->cur);
		l->cur = NULL;
	}
	if (l->soaq != NULL) {
		hs_net_cancel(l->soaq);
		l->soaq = NULL;
	}
	for (size_t i = 0; i < l->nnotifies; i++) {
		l->renotify |= l->notifies[i] != NULL;
	}
	cbd_notify_cancel_all(l);
	uv_timer_stop(&l->timer);
}

static void zone_close(cbd_zone_t *z)
{
	struct cbd_zl *l = cbd_zl_of(z);
	zl_stop(l);
	cbd_snap_unref(l->snap);
	l->snap = NULL;
	knot_pkt_free(l->soapkt);
	l->soapkt = NULL;
	uv_close((uv_handle_t *)&l->timer, zl_closed);
	cbd_zone_free(z);
}

static int zone_start(struct cbd_daemon *d, const cbd_zone_cfg_t *zc, cbd_zone_t **out)
{
	char err[HS_CONF_ERRLEN];
	cbd_zone_t *z = NULL;
	int ret = cbd_zone_open(d->cfg, zc, &z, err, sizeof(err));
	if (ret != HS_EOK) {
		hs_log(HS_LOG_ERROR, zc->text, NULL, "%s", err);
		return ret;
	}
	struct cbd_zl *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		cbd_zone_free(z);
		return HS_ENOMEM;
	}
	l->d = d;
	l->z = z;
	z->loop = l;
	uv_timer_init(d->loop, &l->timer);
	l->timer.data = l;
	*out = z;
	return HS_EOK;
}

/* ---- requests ------------------------------------------------------------------- */

/* An AXFR or IXFR query (xfrnet answers those; SOA queries are ours, open
 * to monitoring, while xfrnet would ask the transfer ACL). */
static bool is_xfr(const uint8_t *msg, size_t len)
{
	if (len < KNOT_WIRE_HEADER_SIZE + 5 || knot_wire_get_qdcount(msg) != 1 ||
	    knot_wire_get_opcode(msg) != KNOT_OPCODE_QUERY) {
		return false;
	}
	int n = knot_dname_wire_check(msg + KNOT_WIRE_HEADER_SIZE, msg + len, NULL);
	if (n <= 0 || (size_t)(KNOT_WIRE_HEADER_SIZE + n + 4) > len) {
		return false;
	}
	uint16_t t = knot_wire_read_u16(msg + KNOT_WIRE_HEADER_SIZE + n);
	return t == KNOT_RRTYPE_AXFR || t == KNOT_RRTYPE_IXFR;
}

static void on_msg(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	struct cbd_daemon *d = arg;
	if (d->xs != NULL && is_xfr(msg, len) && hs_xfr_server_handle(d->xs, req, msg, len)) {
		return;
	}
	cbd_view_t v = { d->cfg, d->zones, d->nzones };
	cbd_zone_t *z = NULL;
	int action = CBD_ACT_NONE;
	if (len >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_opcode(msg) == KNOT_OPCODE_UPDATE) {
		for (size_t i = 0; i < d->nzones; i++) {
			if (d->zones[i] != NULL) {
				cbd_snap_detach(cbd_zl_of(d->zones[i]));
			}
		}
	}
	char line[1400];
	int ret = cbd_handle(&v, hs_net_req_peer(req), hs_net_req_transport(req) == HS_NET_UDP, msg,
	                     len, d->resp, &z, &action, line, sizeof(line));
	if (line[0] != '\0') {
		char p[HS_ADDR_STRLEN];
		cbd_peer_str(hs_net_req_peer(req), p, sizeof(p));
		int level = strstr(line, "refused") != NULL || strstr(line, "malformed") != NULL ||
		            strstr(line, "failed") != NULL ? HS_LOG_WARNING
		            : action == CBD_ACT_REFRESH ? HS_LOG_INFO : HS_LOG_NOTICE;
		hs_log(level, z != NULL ? z->text : NULL, p, "%s", line);
	}
	if (ret != HS_EOK || d->resp->size == 0) {
		hs_net_done(req);
	} else {
		hs_net_reply(req, d->resp->wire, d->resp->size);
	}
	if (z != NULL && action == CBD_ACT_REFRESH) {
		start_refresh(cbd_zl_of(z));
	} else if (z != NULL && action == CBD_ACT_CHANGED) {
		cbd_notify_downstreams(cbd_zl_of(z));
	}
}

/* ---- signals -------------------------------------------------------------------- */

static void on_stop(int signum, void *arg)
{
	struct cbd_daemon *d = arg;
	hs_log_notice("signal %d: stopping", signum);
	d->stopping = true;
	hs_net_server_close(d->srv);
	d->srv = NULL;
	hs_xfr_server_free(d->xs);
	d->xs = NULL;
	for (size_t i = 0; i < d->nzones; i++) {
		zone_close(d->zones[i]);
	}
	free(d->zones);
	d->zones = NULL;
	d->nzones = 0;
	hs_signals_close(d->sig);
	d->sig = NULL;
}

static void on_reload(int signum, void *arg)
{
	struct cbd_daemon *d = arg;
	char err[HS_CONF_ERRLEN];
	cbd_cfg_t *cfg = NULL;
	int ret = cbd_cfg_load(d->conf_path, NULL, &cfg, err, sizeof(err));
	if (ret != HS_EOK) {
		hs_log_error("reload: %s; keeping the running configuration", err);
		return;
	}
	if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0) {
		hs_log_warning("reload: state-dir changes need a restart; keeping %s",
		               d->cfg->state_dir);
	}
	bool same_listen = cfg->nlisten == d->cfg->nlisten;
	for (size_t i = 0; same_listen && i < cfg->nlisten; i++) {
		same_listen = hs_addr_equal((struct sockaddr *)&cfg->listen[i],
		                            (struct sockaddr *)&d->cfg->listen[i]);
	}
	if (!same_listen) {
		hs_log_warning("reload: listen changes need a restart");
	}
	/* Transfers out and everything that borrows the old keys stop. */
	hs_xfr_server_free(d->xs);
	d->xs = NULL;
	cbd_zone_t **zones = calloc(cfg->nzones ? cfg->nzones : 1, sizeof(*zones));
	if (zones == NULL) {
		hs_log_error("reload: out of memory; keeping the running configuration");
		cbd_cfg_free(cfg);
		cbd_out_start(d);
		return;
	}
	for (size_t i = 0; i < d->nzones; i++) {
		cbd_zone_t *z = d->zones[i];
		zl_stop(cbd_zl_of(z));
		const cbd_zone_cfg_t *zc = cbd_cfg_zone(cfg, z->apex);
		if (zc == NULL) {
			hs_log(HS_LOG_NOTICE, z->text, NULL, "removed from the configuration");
			zone_close(z);
			continue;
		}
		z->cfg = zc;
		zones[zc - cfg->zones] = z;
	}
	free(d->zones);
	cbd_cfg_t *old = d->cfg;
	d->cfg = cfg;
	d->zones = zones;
	d->nzones = cfg->nzones;
	for (size_t i = 0; i < cfg->nzones; i++) {
		if (zones[i] == NULL) {
			if (zone_start(d, &cfg->zones[i], &zones[i]) != HS_EOK) {
				continue;
			}
			hs_log(HS_LOG_NOTICE, zones[i]->text, NULL, "added by reload");
		}
	}
	/* Zones kept have their state paths (copied) in the old state-dir. */
	cbd_cfg_free(old);
	hs_daemon_log_level(d->cfg->conf, d->verbosity);
	ret = cbd_out_start(d);
	if (ret != HS_EOK) {
		hs_log_error_code(ret, "reload: cannot serve transfers");
	}
	for (size_t i = 0; i < d->nzones; i++) {
		if (d->zones[i] != NULL) {
			struct cbd_zl *l = cbd_zl_of(d->zones[i]);
			if (l->renotify) {
				l->renotify = false;
				cbd_notify_downstreams(l);
			}
			start_refresh(l);
		}
	}
	hs_log_notice("signal %d: configuration reloaded, %zu zones", signum, d->nzones);
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: combinerd %s\n", HS_DAEMON_USAGE);
}

int main(int argc, char *argv[])
{
	hs_log_init(argv[0]);
	char err[HS_CONF_ERRLEN];
	struct hs_daemon_opts o;
	if (hs_daemon_getopt(argc, argv, CBD_DEFAULT_CONF, NULL, NULL, NULL, &o, err,
	                     sizeof(err)) != 0) {
		hs_log_error("%s", err);
		usage();
		return HS_EXIT_USAGE;
	}
	if (o.help) {
		usage();
		return HS_EXIT_OK;
	}
	struct cbd_daemon d = { .conf_path = o.conf_file, .verbosity = o.verbosity };
	if (cbd_cfg_load(o.conf_file, NULL, &d.cfg, err, sizeof(err)) != HS_EOK) {
		hs_log_error("%s", err);
		return HS_EXIT_CONFIG;
	}
	if (o.check_only) {
		cbd_cfg_free(d.cfg);
		return HS_EXIT_OK;
	}
	hs_daemon_log_level(d.cfg->conf, o.verbosity);
	if (d.cfg->nlisten == 0) {
		hs_log_warning("no listen address: nothing will be served");
	}
	d.loop = uv_default_loop();
	d.resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	d.zones = calloc(d.cfg->nzones ? d.cfg->nzones : 1, sizeof(*d.zones));
	if (d.resp == NULL || d.zones == NULL) {
		hs_fatal(HS_EXIT_TEMP, HS_ENOMEM, "start");
	}
	d.nzones = d.cfg->nzones;
	for (size_t i = 0; i < d.nzones; i++) {
		if (zone_start(&d, &d.cfg->zones[i], &d.zones[i]) != HS_EOK) {
			hs_fatal(HS_EXIT_CONFIG, 0, "%s: cannot load the zone's state; not starting",
			         d.cfg->zones[i].text);
		}
	}
	int ret = hs_net_server_new(d.loop, NULL, on_msg, &d, &d.srv);
	if (ret != HS_EOK) {
		hs_fatal(HS_EXIT_TEMP, ret, "server");
	}
	for (size_t i = 0; i < d.cfg->nlisten; i++) {
		struct sockaddr_storage bound;
		char a[HS_ADDR_STRLEN];
		cbd_peer_str((const struct sockaddr *)&d.cfg->listen[i], a, sizeof(a));
		ret = hs_net_server_listen(d.srv, (const struct sockaddr *)&d.cfg->listen[i],
		                           HS_NET_UDP | HS_NET_TCP, &bound);
		if (ret != 0) {
			hs_fatal(HS_EXIT_TEMP, ret, "cannot listen on %s", a);
		}
		hs_log_info("listening on %s", a);
	}
	if ((ret = cbd_out_start(&d)) != HS_EOK ||
	    (ret = hs_signals_start(d.loop, on_stop, on_reload, &d, &d.sig)) != HS_EOK) {
		hs_fatal(HS_EXIT_TEMP, ret, "start");
	}
	hs_log_notice("started, %zu zones", d.nzones);
	for (size_t i = 0; i < d.nzones; i++) {
		start_refresh(cbd_zl_of(d.zones[i]));
	}
	uv_run(d.loop, UV_RUN_DEFAULT);
	knot_pkt_free(d.resp);
	cbd_cfg_free(d.cfg);
	uv_loop_close(d.loop);
	hs_log_notice("stopped");
	return HS_EXIT_OK;
}
