/*
 * agentd/syncdio.c -- the network side of syncd: the queries in flight and
 * their answers. Our signer's apex from hsyncd (SOA, then DNSKEY), our SYNC
 * and RFIs to the peers, the TSIG UPDATE to our combinerd, and the parent
 * DS and served DNSKEY look-ups through the resolver (the parent's NS is
 * read at the parent's servers: syncpns.c). The zones, the
 * machine and the daemon's entry points are in syncd.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/agentd.h"
#include "agentd/process.h"
#include "agentd/sync.h"
#include "agentd/syncdint.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/msg.h"
#include "libhsync/tsig.h"

#define SYNC_BUF 16384
#define RETRY_S 2

/* ---- queries in flight ------------------------------------------------------------ */

void agd_syncd_sq_free(struct sq *q)
{
	for (struct sq **pp = &q->sd->qs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	knot_pkt_free(q->pkt);
	free(q->req);
	hs_sync_plan_clear(&q->plan);
	free(q);
}

static struct sq *sq_new(agd_syncd_t *sd, enum qkind kind, const knot_dname_t *zone)
{
	struct sq *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		return NULL;
	}
	q->sd = sd;
	q->kind = kind;
	knot_dname_copy_lower(q->zone, zone);
	return q;
}

static void sq_cb(int err, const uint8_t *msg, size_t len, void *arg);

/* Send Q's packet (or its agent message) to TO; Q is freed on error. */
static int sq_send(struct sq *q, const struct sockaddr *to, bool tcp)
{
	struct hs_net_query_opts qo = { .timeout_ms = 2000, .retries = tcp ? 0 : 1, .tcp = tcp };
	const uint8_t *m = q->req != NULL ? q->req : q->pkt->wire;
	size_t l = q->req != NULL ? q->len : q->pkt->size;
	int ret = hs_net_query(q->sd->loop, to, m, l, &qo, sq_cb, q, &q->q);
	if (ret != 0) {
		q->next = NULL;
		knot_pkt_free(q->pkt);
		free(q->req);
		hs_sync_plan_clear(&q->plan);
		free(q);
		return ret;
	}
	q->next = q->sd->qs;
	q->sd->qs = q;
	return 0;
}

/* The RRset of TYPE at ZONE in the answer section of MSG (NEW, NULL if none). */
static knot_rrset_t *answer_rrset(const uint8_t *msg, size_t len, const knot_dname_t *zone,
                                  uint16_t type)
{
	knot_pkt_t *p = knot_pkt_new((void *)msg, len, NULL);
	if (p == NULL || knot_pkt_parse(p, 0) != KNOT_EOK) {
		knot_pkt_free(p);
		return NULL;
	}
	knot_rrset_t *out = NULL;
	const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != type || !knot_dname_is_case_equal(rr->owner, zone)) {
			continue;
		}
		if (out == NULL) {
			out = knot_rrset_new(zone, type, KNOT_CLASS_IN, rr->ttl, NULL);
			if (out == NULL) {
				break;
			}
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
			(void)knot_rdataset_add(&out->rrs, rd, NULL);
		}
	}
	knot_pkt_free(p);
	return out;
}

int agd_syncd_dns_query(agd_syncd_t *sd, enum qkind kind, const knot_dname_t *zone,
                        const knot_dname_t *id, uint16_t qtype, const struct sockaddr *to,
                        bool rd)
{
	struct sq *q = sq_new(sd, kind, zone);
	if (q == NULL) {
		return HS_ENOMEM;
	}
	if (id != NULL) {
		knot_dname_copy_lower(q->identity, id);
	}
	q->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	int ret = q->pkt == NULL ? HS_ENOMEM : hs_xfr_query(q->pkt, q->zone, qtype, NULL, NULL, &q->tsig);
	if (ret == 0 && rd) {
		knot_wire_set_rd(q->pkt->wire);
	}
	if (ret != 0) {
		knot_pkt_free(q->pkt);
		free(q);
		return ret;
	}
	return sq_send(q, to, false);
}

/* ---- hsyncd: our signer's apex ------------------------------------------------------ */

void agd_syncd_apex_fetch(agd_syncd_t *sd, struct szone *z)
{
	const agd_cfg_t *cfg = CFG(sd);
	if (!cfg->hsyncd.set) {
		return;
	}
	if (z->apex_busy) {
		z->apex_again = true;
		return;
	}
	int ret = agd_syncd_dns_query(sd, Q_APEX_SOA, z->name, NULL, KNOT_RRTYPE_SOA,
	                              (const struct sockaddr *)&cfg->hsyncd.addr, false);
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->txt, NULL, "SOA query to hsyncd");
		return;
	}
	z->apex_busy = true;
	z->apex_again = false;
}

static void apex_done(agd_syncd_t *sd, struct szone *z)
{
	z->apex_busy = false;
	if (z->apex_again) {
		agd_syncd_apex_fetch(sd, z);
	}
}

static void apex_signed(agd_syncd_t *sd, struct szone *z, const knot_rrset_t *dnskey,
                        bool have_serial, uint32_t serial)
{
	hs_sync_t *s = hs_proc_sync(z->proc);
	knot_rdataset_t before;
	agd_syncd_rds_copy(hs_sync_own_keys(s), &before);
	int ret = hs_proc_signed(z->proc, dnskey, have_serial, serial, time(NULL));
	if (ret < 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->txt, NULL, "signed DNSKEY from hsyncd");
	} else {
		agd_syncd_log_diff(z->txt, KNOT_RRTYPE_DNSKEY, &before, hs_sync_own_keys(s), "our signer (hsyncd)");
	}
	knot_rdataset_clear(&before, NULL);
	z->kick = true;
	(void)sd;
}

/* ---- sending to peers -------------------------------------------------------------- */

bool agd_syncd_peer_reachable(const hs_peer_t *p)
{
	return p != NULL && p->naddrs > 0 && p->nkeys > 0 &&
	       (p->state == HS_PEER_OPERATIONAL || p->state == HS_PEER_DEGRADED);
}

static int peer_send(agd_syncd_t *sd, struct szone *z, hs_peer_t *p, hs_msg_kind_t kind)
{
	hs_msg_content_t c;
	memset(&c, 0, sizeof(c));
	if (kind == HS_MSG_SYNC) {
		int ret = hs_sync_own_part(hs_proc_sync(z->proc), &c);
		if (ret != 0) {
			return ret;
		}
	}
	struct sq *q = sq_new(sd, kind == HS_MSG_SYNC ? Q_SYNC : Q_RFI, z->name);
	uint8_t *buf = malloc(SYNC_BUF);
	if (q == NULL || buf == NULL) {
		free(q);
		free(buf);
		hs_sync_content_clear(&c);
		return HS_ENOMEM;
	}
	knot_dname_copy_lower(q->identity, p->identity);
	const agd_cfg_t *cfg = CFG(sd);
	hs_msg_opts_t mo = {
		.transport = HS_PS_TRANSPORT_DNS,
		.sync = cfg->sync_flags,
		.key = cfg->key,
	};
	int ret = hs_msg_build(kind, z->name, kind == HS_MSG_SYNC ? &c : NULL, &mo, buf, SYNC_BUF,
	                       &q->len);
	hs_sync_content_clear(&c);
	if (ret != 0) {
		free(buf);
		free(q);
		return ret;
	}
	q->req = buf;
	/* large SYNCs go over TCP from the start */
	ret = sq_send(q, (const struct sockaddr *)&p->addrs[0], q->len > 1232);
	if (ret == 0) {
		hs_log(HS_LOG_INFO, z->txt, p->name, "%s sent", hs_msg_kind_name(kind));
	}
	return ret;
}

/* Our part to every reachable peer of the zone (ONLY: just that one). */
void agd_syncd_send_sync(agd_syncd_t *sd, struct szone *z, const knot_dname_t *only)
{
	const hs_hsync_t *recs = NULL;
	size_t n = hs_sync_hsync(hs_proc_sync(z->proc), &recs);
	const agd_cfg_t *cfg = CFG(sd);
	for (size_t i = 0; i < n; i++) {
		const knot_dname_t *id = recs[i].identity;
		if (knot_dname_is_case_equal(id, cfg->identity) ||
		    (only != NULL && !knot_dname_is_case_equal(id, only))) {
			continue;
		}
		hs_peer_t *p = hs_peers_find(sd->peers, id);
		if (!agd_syncd_peer_reachable(p)) {
			continue;
		}
		int ret = peer_send(sd, z, p, HS_MSG_SYNC);
		if (ret != 0) {
			hs_log_code(HS_LOG_WARNING, ret, z->txt, p->name, "SYNC not sent");
		}
	}
}

/* After a restart: RFI to every reachable ON peer whose part we lack. */
void agd_syncd_send_rfis(agd_syncd_t *sd, struct szone *z)
{
	const hs_hsync_t *recs = NULL;
	hs_sync_t *s = hs_proc_sync(z->proc);
	size_t n = hs_sync_hsync(s, &recs);
	for (size_t i = 0; i < n; i++) {
		const knot_dname_t *id = recs[i].identity;
		if (knot_dname_is_case_equal(id, CFG(sd)->identity) ||
		    recs[i].state != HS_HSYNC_STATE_ON || hs_sync_part(s, id) != NULL) {
			continue;
		}
		hs_peer_t *p = hs_peers_find(sd->peers, id);
		if (agd_syncd_peer_reachable(p) && peer_send(sd, z, p, HS_MSG_RFI) != 0) {
			hs_log(HS_LOG_WARNING, z->txt, p->name, "RFI not sent");
		}
	}
}

/* ---- combinerd ---------------------------------------------------------------------- */

static void plan_text(const hs_sync_plan_t *plan, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < HS_MSG_NTYPES && o < len; i++) {
		if (!plan->changed[i]) {
			continue;
		}
		char tn[16];
		agd_syncd_type_name(hs_msg_sync_type(i), tn, sizeof(tn));
		int n = snprintf(out + o, len - o, "%s%s %u", o ? ", " : "", tn,
		                 plan->want[i] != NULL ? plan->want[i]->rrs.count : 0);
		if (n < 0) {
			break;
		}
		o += (size_t)n;
	}
}

void agd_syncd_combiner_update(agd_syncd_t *sd, struct szone *z, time_t now)
{
	const agd_cfg_t *cfg = CFG(sd);
	if (z->update_busy) {
		z->update_again = true;
		return;
	}
	struct sq *q = sq_new(sd, Q_UPDATE, z->name);
	if (q == NULL) {
		(void)hs_proc_combiner_failed(z->proc, now);
		return;
	}
	hs_sync_t *s = hs_proc_sync(z->proc);
	int ret = hs_sync_plan(s, &q->plan);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "merge");
		free(q);
		(void)hs_proc_combiner_failed(z->proc, now);
		return;
	}
	if (q->plan.nchanged == 0) {
		(void)hs_proc_combiner_confirmed(z->proc, &q->plan, now);
		hs_sync_plan_clear(&q->plan);
		free(q);
		agd_syncd_zsave(z);
		return;
	}
	/* the planned keys are "pushed" now: on disk before the UPDATE leaves */
	agd_syncd_zsave(z);
	if (!cfg->combinerd.set) {
		hs_log(HS_LOG_WARNING, z->txt, NULL, "no combinerd configured: the merge stays here");
		hs_sync_plan_clear(&q->plan);
		free(q);
		(void)hs_proc_combiner_failed(z->proc, now);
		z->retry = now + 60;
		return;
	}
	q->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	ret = q->pkt == NULL ? HS_ENOMEM : 0;
	if (ret == 0 && cfg->combinerd.key != NULL) {
		ret = hs_tsig_reserve(q->pkt, cfg->combinerd.key);
	}
	if (ret == 0) {
		ret = hs_sync_update_build(s, &q->plan, (uint16_t)(random() & 0xffff), q->pkt);
	}
	if (ret == 0 && cfg->combinerd.key != NULL) {
		ret = hs_tsig_sign_query(q->pkt, cfg->combinerd.key, &q->tsig);
	}
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "combiner UPDATE not built");
		knot_pkt_free(q->pkt);
		hs_sync_plan_clear(&q->plan);
		free(q);
		(void)hs_proc_combiner_failed(z->proc, now);
		z->retry = now + RETRY_S;
		return;
	}
	ret = sq_send(q, (const struct sockaddr *)&cfg->combinerd.addr, true);
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->txt, NULL, "combiner UPDATE not sent");
		(void)hs_proc_combiner_failed(z->proc, now);
		z->retry = now + RETRY_S;
		return;
	}
	z->update_busy = true;
	z->update_again = false;
}

static void update_answer(agd_syncd_t *sd, struct szone *z, struct sq *q, int err,
                          const uint8_t *msg, size_t len)
{
	time_t now = time(NULL);
	const agd_cfg_t *cfg = CFG(sd);
	z->update_busy = false;
	uint16_t rcode = 0;
	int ret = err != 0 ? err : hs_xfr_check_answer(msg, len, q->pkt, &q->tsig, &rcode, NULL);
	char what[256];
	plan_text(&q->plan, what, sizeof(what));
	if (ret != 0) {
		const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
		hs_log_code(HS_LOG_WARNING, ret, z->txt, cfg->combinerd.text,
		            "combiner UPDATE (%s) failed%s%s; again in %d s", what,
		            ret == HS_EXFR_RCODE ? ": " : "", ret == HS_EXFR_RCODE && l ? l->name : "",
		            RETRY_S);
		(void)hs_proc_combiner_failed(z->proc, now);
		z->retry = now + RETRY_S;
	} else {
		hs_sync_t *s = hs_proc_sync(z->proc);
		for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
			if (!q->plan.changed[i]) {
				continue;
			}
			const knot_rrset_t *old = hs_sync_carried(s, i);
			agd_syncd_log_diff(z->txt, hs_msg_sync_type(i), old ? &old->rrs : NULL,
			                   q->plan.want[i] ? &q->plan.want[i]->rrs : NULL,
			                   "the merge (to combinerd)");
		}
		ret = hs_proc_combiner_confirmed(z->proc, &q->plan, now);
		if (ret < 0) {
			hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "combiner confirmation");
		}
		hs_log(HS_LOG_INFO, z->txt, cfg->combinerd.text, "combiner took UPDATE (%s)", what);
		agd_syncd_zsave(z);
	}
	z->kick = true;
	if (z->update_again) {
		/* the machine asked again while this one was out: plan anew */
		agd_syncd_combiner_update(sd, z, now);
	}
}

/* ---- answers ---------------------------------------------------------------------- */

static void sq_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct sq *q = arg;
	agd_syncd_t *sd = q->sd;
	q->q = NULL;
	struct szone *z = agd_syncd_zfind(sd, q->zone);
	if (z == NULL) {
		agd_syncd_sq_free(q);
		return;
	}
	time_t now = time(NULL);
	const agd_cfg_t *cfg = CFG(sd);
	switch (q->kind) {
	case Q_APEX_SOA:
	case Q_APEX_DNSKEY: {
		uint16_t rcode = 0;
		uint32_t serial = 0;
		int ret = err != 0 ? err : hs_xfr_check_answer(msg, len, q->pkt, &q->tsig, &rcode,
		                                                q->kind == Q_APEX_SOA ? &serial : NULL);
		if (ret != 0) {
			hs_log_code(HS_LOG_INFO, ret, z->txt, cfg->hsyncd.text,
			            "%s query to hsyncd", q->kind == Q_APEX_SOA ? "SOA" : "DNSKEY");
			apex_done(sd, z);
			break;
		}
		if (q->kind == Q_APEX_SOA) {
			struct sq *n = sq_new(sd, Q_APEX_DNSKEY, z->name);
			if (n == NULL) {
				apex_done(sd, z);
				break;
			}
			n->have_serial = true;
			n->serial = serial;
			n->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
			ret = n->pkt == NULL ? HS_ENOMEM :
			      hs_xfr_query(n->pkt, z->name, KNOT_RRTYPE_DNSKEY, NULL, NULL, &n->tsig);
			if (ret == 0) {
				ret = sq_send(n, (const struct sockaddr *)&cfg->hsyncd.addr, true);
			} else {
				knot_pkt_free(n->pkt);
				free(n);
			}
			if (ret != 0) {
				apex_done(sd, z);
			}
			break;
		}
		knot_rrset_t *dnskey = answer_rrset(msg, len, z->name, KNOT_RRTYPE_DNSKEY);
		apex_signed(sd, z, dnskey, q->have_serial, q->serial);
		knot_rrset_free(dnskey, NULL);
		apex_done(sd, z);
		break;
	}
	case Q_SYNC:
	case Q_RFI: {
		hs_peer_t *p = hs_peers_find(sd->peers, q->identity);
		const char *kn = q->kind == Q_SYNC ? "SYNC" : "RFI";
		if (p == NULL) {
			break;
		}
		if (err != 0) {
			hs_log_code(HS_LOG_WARNING, err, z->txt, p->name, "%s unanswered", kn);
			if (q->kind == Q_SYNC && z->resync == 0) {
				z->resync = now + (RETRY_S << (z->resync_n < 5 ? z->resync_n++ : 5));
			}
			break;
		}
		hs_msg_resp_t r;
		hs_sig0_opts_t so = { .skew = cfg->skew };
		int ret = HS_ESIG0_SIGNER;
		for (size_t k = 0; k < p->nkeys && ret != 0; k++) {
			ret = hs_msg_verify_response(msg, len, q->req, q->len, p->keys[k], &so, &r);
		}
		if (ret != 0) {
			hs_log_code(HS_LOG_WARNING, ret, z->txt, p->name, "answer to our %s not verified", kn);
		} else if (r.rcode != KNOT_RCODE_NOERROR) {
			const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, r.rcode);
			hs_log(HS_LOG_WARNING, z->txt, p->name, "%s answered %s", kn, l ? l->name : "?");
			if (q->kind == Q_SYNC && z->resync == 0) {
				z->resync = now + (RETRY_S << (z->resync_n < 5 ? z->resync_n++ : 5));
			}
		} else {
			hs_log(HS_LOG_INFO, z->txt, p->name, "%s answered NOERROR", kn);
			z->resync_n = 0;
		}
		break;
	}
	case Q_UPDATE:
		update_answer(sd, z, q, err, msg, len);
		break;
	case Q_DS: {
		uint16_t rcode = 0;
		int ret = err != 0 ? err : hs_xfr_check_answer(msg, len, q->pkt, &q->tsig, &rcode, NULL);
		if (ret != 0 && !(ret == HS_EXFR_RCODE && rcode == KNOT_RCODE_NXDOMAIN)) {
			hs_log_code(HS_LOG_INFO, ret, z->txt, cfg->resolver_txt, "DS look-up");
			break;
		}
		knot_rrset_t *rr = ret == 0 ? answer_rrset(msg, len, z->name, KNOT_RRTYPE_DS) : NULL;
		(void)hs_proc_parent_ds(z->proc, rr, now);
		knot_rrset_free(rr, NULL);
		z->kick = true;
		break;
	}
	case Q_PUBLISHED: {
		uint16_t rcode = 0;
		int ret = err != 0 ? err : hs_xfr_check_answer(msg, len, q->pkt, &q->tsig, &rcode, NULL);
		if (ret != 0) {
			break;
		}
		knot_rrset_t *rr = answer_rrset(msg, len, z->name, KNOT_RRTYPE_DNSKEY);
		(void)hs_proc_published(z->proc, q->identity, rr, now);
		knot_rrset_free(rr, NULL);
		z->kick = true;
		break;
	}
	}
	agd_syncd_sq_free(q);
	if (z->kick) {
		agd_syncd_tick(sd);
	}
}
