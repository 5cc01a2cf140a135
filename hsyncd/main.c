/*
 * hsyncd/main.c -- the hsyncd daemon: start-up, configuration reload,
 * signals and the DNS server callback, around the loop modules of
 * daemon.h (zones.c, follow.c, notify.c, events.c, catwatch.c).
 *
 * Per zone: the apex state (apex.h), a refresh timer, at most one query in
 * flight (SOA over UDP, then IXFR or AXFR over TCP, followed by
 * hs_apex_xfr_*), and NOTIFY jobs to subscribers, one per (subscriber,
 * type), each retried with a growing interval until answered. The protocol
 * decisions are in answer.c, proto.c and config.c (hsyncd.h), change.c and
 * store.c; the loop modules only move messages and keep timers.
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
#include "hsyncd/daemon.h"
#include "hsyncd/hsyncd.h"
#include "hsyncd/store.h"
#include "libhsync/error.h"

/* ---- server ----------------------------------------------------------------------------- */

static const hs_apex_t *lookup(const knot_dname_t *name, const hsd_zone_cfg_t **zc, void *arg)
{
	struct hsd_zone *z = hsd_zone_find(arg, name);
	*zc = z != NULL ? z->zc : NULL;
	return z != NULL ? z->cur : NULL;
}

static void on_request(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	struct hsd_daemon *d = arg;
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
		struct hsd_zone *z = hsd_zone_find(d, info.zone->name);
		hs_log(HS_LOG_INFO, zn, peer, "NOTIFY from the source");
		if (z != NULL) {
			hsd_follow_refresh(z);
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

/* Make the zone set that of d->cfg: keep, add, remove; members of kept catalogs stay. */
static int sync_zones(struct hsd_daemon *d)
{
	hsd_cfg_t *cfg = d->cfg;
	size_t cap = cfg->nzones + cfg->ncatalogs + d->nzones;
	struct hsd_zone **zones = calloc(cap ? cap : 1, sizeof(*zones));
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
		enum hsd_zone_kind kind = iscat ? HSD_Z_CATALOG : HSD_Z_ZONE;
		struct hsd_zone *z = hsd_zone_find(d, zc->name);
		if (z != NULL && z->kind == HSD_Z_MEMBER && kind == HSD_Z_ZONE) {
			z->kind = HSD_Z_ZONE;   /* now configured by name: keep its state */
			z->cat = NULL;
		}
		if (z != NULL && z->kind == kind) {
			z->mark = true;
			z->zc = zc;
			hsd_notify_reconfigure(z);
		} else if ((z = hsd_zone_new(d, zc, kind)) == NULL) {
			hs_log(HS_LOG_ERROR, zc->name_txt, NULL, "out of memory: not followed");
			continue;
		} else {
			added++;
		}
		zones[n++] = z;
	}
	for (size_t k = 0; k < d->nzones; k++) {
		struct hsd_zone *z = d->zones[k];
		if (z->mark) {
			continue;
		}
		if (z->kind == HSD_Z_MEMBER && z->cat->mark && z->cat->kind == HSD_Z_CATALOG) {
			hsd_cat_member_cfg(z);
			hsd_notify_reconfigure(z);
			zones[n++] = z;
			continue;
		}
		hsd_zone_drop(z, true, z->kind == HSD_Z_MEMBER ? "its catalog is no longer followed"
		                                               : "not in the configuration");
	}
	int ret = hsd_zones_set(d, zones, n);
	/* start the new ones */
	for (size_t i = 0; i < n; i++) {
		if (zones[i]->op == NULL && !uv_is_active((uv_handle_t *)&zones[i]->timer) &&
		    !zones[i]->queued) {
			hsd_follow_refresh(zones[i]);
		}
	}
	hs_log(HS_LOG_INFO, NULL, NULL, "%zu zones followed, %zu new", n, added);
	return ret;
}

static void on_reload(int signum, void *arg)
{
	struct hsd_daemon *d = arg;
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
		hsd_ev_close(d->ev);
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
	struct hsd_daemon *d = arg;
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
	struct hsd_daemon d;
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
		hsd_zone_end(d.zones[i]);
	}
	d.nzones = 0;
	if (d.ev != NULL) {
		hsd_ev_close(d.ev);
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
