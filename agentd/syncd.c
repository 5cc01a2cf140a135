/*
 * agentd/syncd.c -- the multi-signer processes of agentd's zones on the
 * network: one agentd/process machine per zone (state-dir/sync-ZONE.json),
 * fed with our signer's DNSKEY and SOA (asked from hsyncd after each of its
 * NOTIFYs), the zone's HSYNC, our configured NS, the peers' verified SYNCs
 * and their states; what the machine asks for is done here: our SYNC to
 * every OPERATIONAL peer of the zone at once, the TSIG UPDATE to our
 * combinerd, look-ups of the parent's DS and of the DNSKEY set served
 * through the resolver, and of the parent's NS at the parent's servers
 * (syncpns.c). This file holds the zones and their
 * state, the logging of what changed, the machine (tick) and the daemon's
 * entry points; the queries in flight and their answers are in syncdio.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>
#include <libknot/libknot.h>

#include "agentd/agentd.h"
#include "agentd/process.h"
#include "agentd/sync.h"
#include "agentd/syncdint.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/net.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "libhsync/msg.h"

const char *agd_syncd_type_name(uint16_t t, char *buf, size_t len)
{
	return hs_rrtype_text(t, buf, len);
}

/* ---- zones and their state ---------------------------------------------------- */

struct szone *agd_syncd_zfind(agd_syncd_t *sd, const knot_dname_t *zone)
{
	for (struct szone *z = sd->zones; z; z = z->next) {
		if (knot_dname_is_case_equal(z->name, zone)) {
			return z;
		}
	}
	return NULL;
}

void agd_syncd_zsave(struct szone *z)
{
	int ret = hs_proc_save(z->proc, z->path);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "cannot save %s", z->path);
	}
}

static knot_rrset_t *own_ns_rrset(agd_syncd_t *sd, const knot_dname_t *zone)
{
	const agd_cfg_t *cfg = CFG(sd);
	if (cfg->nns == 0) {
		return NULL;
	}
	knot_rrset_t *rr = knot_rrset_new(zone, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 3600, NULL);
	for (size_t i = 0; rr != NULL && i < cfg->nns; i++) {
		if (knot_rrset_add_rdata(rr, cfg->ns[i], knot_dname_size(cfg->ns[i]), NULL) != KNOT_EOK) {
			knot_rrset_free(rr, NULL);
			return NULL;
		}
	}
	return rr;
}

static struct szone *zget(agd_syncd_t *sd, const knot_dname_t *zone)
{
	struct szone *z = agd_syncd_zfind(sd, zone);
	if (z != NULL) {
		return z;
	}
	z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return NULL;
	}
	knot_dname_copy_lower(z->name, zone);
	knot_dname_to_str(z->txt, z->name, sizeof(z->txt));
	const agd_cfg_t *cfg = CFG(sd);
	if (asprintf(&z->path, "%s/sync-%sjson", cfg->state_dir,
	             strcmp(z->txt, ".") == 0 ? "root." : z->txt) < 0) {
		free(z);
		return NULL;
	}
	time_t now = time(NULL);
	char why[512] = "";
	int ret = hs_proc_load(z->path, NULL, &cfg->sync_timers, now, &z->proc, why, sizeof(why));
	if (ret == 0) {
		z->loaded = true;
		hs_log(HS_LOG_NOTICE, z->txt, NULL, "process state restored from %s", z->path);
	} else {
		if (ret != HS_ENOTFOUND) {
			hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "process state not restored (%s): "
			            "starting afresh", why);
		}
		hs_sync_t *s = NULL;
		ret = hs_sync_new(z->name, cfg->identity, NULL, &s);
		if (ret == 0) {
			ret = hs_proc_new(s, &cfg->sync_timers, &z->proc);
		}
		if (ret != 0) {
			hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "process state");
			free(z->path);
			free(z);
			return NULL;
		}
	}
	knot_rrset_t *ns = own_ns_rrset(sd, z->name);
	(void)hs_proc_own_ns(z->proc, ns, now);
	knot_rrset_free(ns, NULL);
	z->kick = true;
	z->next = sd->zones;
	sd->zones = z;
	return z;
}

/* ---- logging what changed ------------------------------------------------------- */

static void rr_label(uint16_t type, const knot_rdata_t *rd, char *out, size_t len)
{
	uint16_t tag = 0;
	switch (type) {
	case KNOT_RRTYPE_DNSKEY:
	case KNOT_RRTYPE_CDNSKEY:
		if (hs_dnssec_keytag(rd->data, rd->len, &tag) == 0) {
			snprintf(out, len, "%u", tag);
			return;
		}
		break;
	case KNOT_RRTYPE_CDS:
		if (rd->len >= 2) {
			snprintf(out, len, "%u", (unsigned)(rd->data[0] << 8 | rd->data[1]));
			return;
		}
		break;
	case KNOT_RRTYPE_NS:
		if (knot_dname_to_str(out, rd->data, len) != NULL) {
			return;
		}
		break;
	case KNOT_RRTYPE_CSYNC:
		if (rd->len >= 4) {
			snprintf(out, len, "serial %u", knot_wire_read_u32(rd->data));
			return;
		}
		break;
	default:
		break;
	}
	snprintf(out, len, "(%u bytes)", rd->len);
}

/* One line per record in NEW not in OLD ("added") and in OLD not in NEW ("removed"). */
void agd_syncd_log_diff(const char *ztxt, uint16_t type, const knot_rdataset_t *old,
                        const knot_rdataset_t *new, const char *from)
{
	char tn[16], lab[KNOT_DNAME_TXT_MAXLEN + 1];
	agd_syncd_type_name(type, tn, sizeof(tn));
	knot_rdata_t *rd = new != NULL ? new->rdata : NULL;
	for (uint16_t i = 0; new != NULL && i < new->count; i++, rd = knot_rdataset_next(rd)) {
		if (old == NULL || !knot_rdataset_member(old, rd)) {
			rr_label(type, rd, lab, sizeof(lab));
			hs_log(HS_LOG_NOTICE, ztxt, NULL, "%s %s added, from %s", tn, lab, from);
		}
	}
	rd = old != NULL ? old->rdata : NULL;
	for (uint16_t i = 0; old != NULL && i < old->count; i++, rd = knot_rdataset_next(rd)) {
		if (new == NULL || !knot_rdataset_member(new, rd)) {
			rr_label(type, rd, lab, sizeof(lab));
			hs_log(HS_LOG_NOTICE, ztxt, NULL, "%s %s removed, from %s", tn, lab, from);
		}
	}
}

void agd_syncd_rds_copy(const knot_rdataset_t *src, knot_rdataset_t *dst)
{
	knot_rdataset_init(dst);
	if (src != NULL && src->count > 0 && knot_rdataset_copy(dst, src, NULL) != KNOT_EOK) {
		knot_rdataset_init(dst);
	}
}

/* ---- the machine ---------------------------------------------------------------- */

/*
 * The DNSKEY RRset each ON+SIGN peer serves: asked from its nameservers
 * given by `peer-nameserver IDENTITY ADDRESS` (no recursion), else what
 * the resolver serves for the zone stands for it.
 */
static void look_published(agd_syncd_t *sd, struct szone *z)
{
	const agd_cfg_t *cfg = CFG(sd);
	const hs_hsync_t *recs = NULL;
	size_t n = hs_sync_hsync(hs_proc_sync(z->proc), &recs);
	for (size_t i = 0; i < n; i++) {
		const knot_dname_t *id = recs[i].identity;
		if (knot_dname_is_case_equal(id, cfg->identity) ||
		    recs[i].state != HS_HSYNC_STATE_ON || recs[i].sign != HS_HSYNC_SIGN_SIGN) {
			continue;
		}
		bool asked = false;
		for (const hs_conf_stmt_t *st = hs_conf_first(cfg->conf, "peer-nameserver"); st;
		     st = hs_conf_next(st, "peer-nameserver")) {
			knot_dname_storage_t pid;
			struct sockaddr_storage ss;
			char err[256];
			if (hs_conf_name(st, 0, pid, err, sizeof(err)) != 0 ||
			    !knot_dname_is_case_equal(pid, id) ||
			    hs_conf_addr(st, 1, 53, &ss, err, sizeof(err)) != 0) {
				continue;
			}
			asked = agd_syncd_dns_query(sd, Q_PUBLISHED, z->name, id, KNOT_RRTYPE_DNSKEY,
			                            (const struct sockaddr *)&ss,
			                            false) == 0 || asked;
		}
		if (!asked) {
			(void)agd_syncd_dns_query(sd, Q_PUBLISHED, z->name, id, KNOT_RRTYPE_DNSKEY,
			                          (const struct sockaddr *)&cfg->resolver, true);
		}
	}
}

static void ztick(agd_syncd_t *sd, struct szone *z, time_t now)
{
	z->kick = false;
	int bits = hs_proc_tick(z->proc, now);
	if (bits < 0) {
		hs_log_code(HS_LOG_ERROR, bits, z->txt, NULL, "process");
		bits = 0;
	}
	const agd_cfg_t *cfg = CFG(sd);
	if (z->resync != 0 && z->resync <= now) {
		bits |= HS_PROC_DO_SYNC;
	}
	if (bits & HS_PROC_DO_SYNC) {
		z->resync = 0;
		agd_syncd_send_sync(sd, z, NULL);
	}
	if (bits & HS_PROC_DO_COMBINER) {
		if (now < z->retry) {
			(void)hs_proc_combiner_failed(z->proc, now);
		} else {
			agd_syncd_combiner_update(sd, z, now);
		}
	}
	if (bits & HS_PROC_DO_PARENT_DS) {
		(void)agd_syncd_dns_query(sd, Q_DS, z->name, NULL, KNOT_RRTYPE_DS,
		                          (const struct sockaddr *)&cfg->resolver, true);
	}
	if (bits & HS_PROC_DO_PARENT_NS) {
		/* not through the resolver: it answers the child's apex NS (syncpns.c) */
		agd_syncd_parent_ns(sd, z);
	}
	if (bits & HS_PROC_DO_PUBLISHED) {
		look_published(sd, z);
	}
	if (bits & HS_PROC_DO_KEY_READY) {
		uint16_t tags[16];
		int n = hs_proc_key_ready(z->proc, tags, 16);
		for (int i = 0; i < n; i++) {
			hs_log(HS_LOG_NOTICE, z->txt, NULL, "DNSKEY %u published by every signer: "
			       "may be used now", tags[i]);
		}
	}
	if (bits & HS_PROC_DO_SAVE) {
		agd_syncd_zsave(z);
	}
	char *st = NULL;
	if (hs_proc_status(z->proc, now, &st) == 0) {
		if (strcmp(st, z->last_status) != 0) {
			hs_log(HS_LOG_NOTICE, z->txt, NULL, "process: %s", st);
			snprintf(z->last_status, sizeof(z->last_status), "%s", st);
		}
		free(st);
	}
	z->due = hs_proc_next_time(z->proc);
	if (z->retry > now && (z->due == 0 || z->due > z->retry)) {
		z->due = z->retry;
	}
	if (z->resync > now && (z->due == 0 || z->due > z->resync)) {
		z->due = z->resync;
	}
}

void agd_syncd_tick(agd_syncd_t *sd)
{
	if (sd == NULL) {
		return;
	}
	time_t now = time(NULL);
	for (int round = 0; round < 4; round++) {
		bool any = false;
		for (struct szone *z = sd->zones; z; z = z->next) {
			if (z->kick || (z->due != 0 && z->due <= now)) {
				ztick(sd, z, now);
				any = true;
			}
		}
		if (!any) {
			break;
		}
	}
}

/* ---- events from the daemon ------------------------------------------------------------ */

int agd_syncd_new(uv_loop_t *loop, agd_cfg_t *const *cfgp, hs_peers_t *peers,
                  agd_syncd_t **out)
{
	agd_syncd_t *sd = calloc(1, sizeof(*sd));
	if (sd == NULL) {
		return HS_ENOMEM;
	}
	sd->loop = loop;
	sd->cfgp = cfgp;
	sd->peers = peers;
	*out = sd;
	return 0;
}

void agd_syncd_free(agd_syncd_t *sd)
{
	if (sd == NULL) {
		return;
	}
	while (sd->qs != NULL) {
		if (sd->qs->q != NULL) {
			hs_net_cancel(sd->qs->q);
		}
		agd_syncd_sq_free(sd->qs);
	}
	while (sd->zones != NULL) {
		struct szone *z = sd->zones;
		sd->zones = z->next;
		agd_syncd_parent_ns_cancel(z);
		agd_syncd_zsave(z);
		hs_proc_free(z->proc);
		free(z->path);
		free(z);
	}
	free(sd);
}

void agd_syncd_zone(agd_syncd_t *sd, const knot_dname_t *name, const agd_zone_t *zone)
{
	if (sd == NULL) {
		return;
	}
	bool named = zone != NULL;
	struct szone *z = named ? zget(sd, name) : agd_syncd_zfind(sd, name);
	if (z == NULL) {
		return;
	}
	knot_rrset_t *rr = NULL;
	if (named && zone->nhsync > 0) {
		rr = knot_rrset_new(z->name, HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 3600, NULL);
		for (size_t i = 0; rr != NULL && i < zone->nhsync; i++) {
			uint8_t wire[1024];
			size_t wl = 0;
			if (hs_hsync_to_wire(&zone->hsync[i], wire, sizeof(wire), &wl) == 0) {
				(void)knot_rrset_add_rdata(rr, wire, (uint16_t)wl, NULL);
			}
		}
	}
	time_t now = time(NULL);
	int ret = hs_proc_hsync(z->proc, rr, now);
	knot_rrset_free(rr, NULL);
	if (ret < 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->txt, NULL, "HSYNC for the process");
	}
	/* peer states are not in the process state: report them (again) */
	for (size_t i = 0; named && i < zone->nhsync; i++) {
		hs_peer_t *p = hs_peers_find(sd->peers, zone->hsync[i].identity);
		if (p != NULL && !knot_dname_is_case_equal(p->identity, CFG(sd)->identity)) {
			(void)hs_proc_peer_state(z->proc, p->identity, p->state, now);
		}
	}
	z->kick = true;
	agd_syncd_apex_fetch(sd, z);
}

void agd_syncd_apex(agd_syncd_t *sd, const knot_dname_t *zone)
{
	struct szone *z = sd != NULL ? agd_syncd_zfind(sd, zone) : NULL;
	if (z != NULL) {
		agd_syncd_apex_fetch(sd, z);
	}
}

void agd_syncd_reload(agd_syncd_t *sd)
{
	if (sd == NULL) {
		return;
	}
	for (struct szone *z = sd->zones; z; z = z->next) {
		knot_rrset_t *ns = own_ns_rrset(sd, z->name);
		(void)hs_proc_own_ns(z->proc, ns, time(NULL));
		knot_rrset_free(ns, NULL);
		z->kick = true;
	}
}

int agd_syncd_part(agd_syncd_t *sd, const knot_dname_t *zone, const hs_peer_t *p,
                   const hs_msg_content_t *c, char *why, size_t whylen)
{
	struct szone *z = sd != NULL ? agd_syncd_zfind(sd, zone) : NULL;
	if (z == NULL) {
		snprintf(why, whylen, "zone not synchronised here");
		return HS_ENOTFOUND;
	}
	hs_sync_t *s = hs_proc_sync(z->proc);
	knot_rdataset_t before[HS_MSG_NTYPES];
	const hs_msg_content_t *old = hs_sync_part(s, p->identity);
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		agd_syncd_rds_copy(old != NULL && old->rr[i] != NULL ? &old->rr[i]->rrs : NULL, &before[i]);
	}
	int ret = hs_proc_part(z->proc, p->identity, c, time(NULL), why, whylen);
	if (ret >= 0) {
		const hs_msg_content_t *now = hs_sync_part(s, p->identity);
		for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
			agd_syncd_log_diff(z->txt, hs_msg_sync_type(i), &before[i],
			                   now != NULL && now->rr[i] != NULL ? &now->rr[i]->rrs : NULL,
			                   p->name);
		}
		int sret = hs_proc_save(z->proc, z->path);
		if (sret != 0) {
			hs_log_code(HS_LOG_ERROR, sret, z->txt, NULL, "cannot save %s", z->path);
			snprintf(why, whylen, "state not saved");
			ret = sret;
		} else {
			ret = 0;
		}
		z->kick = true;
	}
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		knot_rdataset_clear(&before[i], NULL);
	}
	return ret;
}

int agd_syncd_rfi(agd_syncd_t *sd, const knot_dname_t *zone, const hs_peer_t *p)
{
	struct szone *z = sd != NULL ? agd_syncd_zfind(sd, zone) : NULL;
	if (z == NULL) {
		return HS_ENOTFOUND;
	}
	/* sent after our answer: the peer's send has its reply first */
	agd_syncd_send_sync(sd, z, p->identity);
	return 0;
}

void agd_syncd_peer(agd_syncd_t *sd, const hs_peer_t *p)
{
	if (sd == NULL) {
		return;
	}
	time_t now = time(NULL);
	for (size_t i = 0; i < p->nzones; i++) {
		knot_dname_storage_t zn;
		if (knot_dname_from_str(zn, p->zones[i], sizeof(zn)) == NULL) {
			continue;
		}
		struct szone *z = agd_syncd_zfind(sd, zn);
		if (z == NULL) {
			continue;
		}
		(void)hs_proc_peer_state(z->proc, p->identity, p->state, now);
		if (agd_syncd_peer_reachable(p)) {
			agd_syncd_send_rfis(sd, z);   /* parts missing (a restart, a lost SYNC) */
		}
		z->kick = true;
	}
}

json_t *agd_syncd_status(agd_syncd_t *sd, const knot_dname_t *zone)
{
	struct szone *z = sd != NULL ? agd_syncd_zfind(sd, zone) : NULL;
	if (z == NULL) {
		return NULL;
	}
	time_t now = time(NULL);
	char *st = NULL;
	if (hs_proc_status(z->proc, now, &st) != 0) {
		return NULL;
	}
	json_t *jobs = json_array();
	for (size_t i = 0; jobs != NULL && i < hs_proc_jobs(z->proc); i++) {
		hs_job_info_t ji;
		if (hs_proc_job(z->proc, i, &ji) != 0) {
			continue;
		}
		char id[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(id, ji.identity, sizeof(id));
		json_array_append_new(jobs, json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:b}",
		                      "kind", hs_job_kind_name(ji.kind), "step", hs_step_name(ji.step),
		                      "identity", id, "keytag", (int)ji.keytag,
		                      "since", (json_int_t)ji.since, "until", (json_int_t)ji.until,
		                      "held", ji.held));
	}
	hs_sync_t *s = hs_proc_sync(z->proc);
	json_t *own = json_array();
	const knot_rdataset_t *ok = hs_sync_own_keys(s);
	knot_rdata_t *rd = ok != NULL ? ok->rdata : NULL;
	for (uint16_t i = 0; own != NULL && ok != NULL && i < ok->count; i++, rd = knot_rdataset_next(rd)) {
		uint16_t tag;
		if (hs_dnssec_keytag(rd->data, rd->len, &tag) == 0) {
			json_array_append_new(own, json_integer(tag));
		}
	}
	json_t *doc = json_pack("{s:s, s:o, s:o, s:I, s:I, s:I}", "step", st, "jobs", jobs,
	                        "own_keys", own, "dnskey_wait", (json_int_t)hs_proc_dnskey_wait(z->proc),
	                        "ds_wait", (json_int_t)hs_proc_ds_wait(z->proc),
	                        "ns_wait", (json_int_t)hs_proc_ns_wait(z->proc));
	free(st);
	return doc;
}
