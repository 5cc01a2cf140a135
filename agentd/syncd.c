/*
 * agentd/syncd.c -- the multi-signer processes of agentd's zones on the
 * network: one agentd/process machine per zone (state-dir/sync-ZONE.json),
 * fed with our signer's DNSKEY and SOA (asked from hsyncd after each of its
 * NOTIFYs), the zone's HSYNC, our configured NS, the peers' verified SYNCs
 * and their states; what the machine asks for is done here: our SYNC to
 * every OPERATIONAL peer of the zone at once, the TSIG UPDATE to our
 * combinerd, look-ups of the parent's DS and NS and of the DNSKEY set
 * served, through the resolver.
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
#include "common/conf.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "libhsync/msg.h"
#include "libhsync/tsig.h"

#define SYNC_BUF 16384
#define RETRY_S 2

enum qkind { Q_APEX_SOA, Q_APEX_DNSKEY, Q_SYNC, Q_RFI, Q_UPDATE, Q_DS, Q_NS, Q_PUBLISHED };

struct szone;

struct sq {
	struct sq *next;
	struct agd_syncd *sd;
	enum qkind kind;
	knot_dname_storage_t zone;
	knot_dname_storage_t identity;   /* peer for SYNC, RFI, PUBLISHED */
	knot_pkt_t *pkt;                 /* DNS queries, UPDATE */
	hs_tsig_ctx_t tsig;
	uint8_t *req;                    /* agent messages */
	size_t len;
	hs_sync_plan_t plan;             /* UPDATE */
	uint32_t serial;                 /* APEX: the SOA serial read first */
	bool have_serial;
	hs_net_query_t *q;
};

struct szone {
	struct szone *next;
	knot_dname_storage_t name;
	char txt[KNOT_DNAME_TXT_MAXLEN + 1];
	char *path;
	hs_proc_t *proc;
	bool loaded;            /* restored from disk */
	bool kick;              /* tick now */
	bool update_busy;
	bool update_again;
	bool apex_busy, apex_again;
	time_t due;             /* next tick due (0: only when kicked) */
	time_t retry;           /* combiner UPDATE not before */
	time_t resync;          /* a SYNC failed: send our part again then (0: no) */
	unsigned resync_n;      /* failures in a row (backs off to 64 s) */
	char last_status[512];
};

struct agd_syncd {
	uv_loop_t *loop;
	agd_cfg_t *const *cfgp;
	hs_peers_t *peers;
	struct szone *zones;
	struct sq *qs;
};

#define CFG(sd) (*(sd)->cfgp)

static const char *type_name(uint16_t t, char *buf, size_t len)
{
	if (knot_rrtype_to_string(t, buf, len) < 0) {
		snprintf(buf, len, "TYPE%u", t);
	}
	return buf;
}

/* ---- zones and their state ---------------------------------------------------- */

static struct szone *zfind(agd_syncd_t *sd, const knot_dname_t *zone)
{
	for (struct szone *z = sd->zones; z; z = z->next) {
		if (knot_dname_is_case_equal(z->name, zone)) {
			return z;
		}
	}
	return NULL;
}

static void zsave(struct szone *z)
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
	struct szone *z = zfind(sd, zone);
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
static void log_diff(const char *ztxt, uint16_t type, const knot_rdataset_t *old,
                     const knot_rdataset_t *new, const char *from)
{
	char tn[16], lab[KNOT_DNAME_TXT_MAXLEN + 1];
	type_name(type, tn, sizeof(tn));
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

static void rds_copy(const knot_rdataset_t *src, knot_rdataset_t *dst)
{
	knot_rdataset_init(dst);
	if (src != NULL && src->count > 0 && knot_rdataset_copy(dst, src, NULL) != KNOT_EOK) {
		knot_rdataset_init(dst);
	}
}

/* ---- queries in flight ------------------------------------------------------------ */

static void sq_free(struct sq *q)
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

static int dns_query(agd_syncd_t *sd, enum qkind kind, const knot_dname_t *zone,
                     const knot_dname_t *id, uint16_t qtype, const struct sockaddr *to, bool rd)
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

static void apex_fetch(agd_syncd_t *sd, struct szone *z)
{
	const agd_cfg_t *cfg = CFG(sd);
	if (!cfg->hsyncd.set) {
		return;
	}
	if (z->apex_busy) {
		z->apex_again = true;
		return;
	}
	int ret = dns_query(sd, Q_APEX_SOA, z->name, NULL, KNOT_RRTYPE_SOA,
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
		apex_fetch(sd, z);
	}
}

static void apex_signed(agd_syncd_t *sd, struct szone *z, const knot_rrset_t *dnskey,
                        bool have_serial, uint32_t serial)
{
	hs_sync_t *s = hs_proc_sync(z->proc);
	knot_rdataset_t before;
	rds_copy(hs_sync_own_keys(s), &before);
	int ret = hs_proc_signed(z->proc, dnskey, have_serial, serial, time(NULL));
	if (ret < 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->txt, NULL, "signed DNSKEY from hsyncd");
	} else {
		log_diff(z->txt, KNOT_RRTYPE_DNSKEY, &before, hs_sync_own_keys(s), "our signer (hsyncd)");
	}
	knot_rdataset_clear(&before, NULL);
	z->kick = true;
	(void)sd;
}

/* ---- sending to peers -------------------------------------------------------------- */

static bool peer_reachable(const hs_peer_t *p)
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
static void send_sync(agd_syncd_t *sd, struct szone *z, const knot_dname_t *only)
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
		if (!peer_reachable(p)) {
			continue;
		}
		int ret = peer_send(sd, z, p, HS_MSG_SYNC);
		if (ret != 0) {
			hs_log_code(HS_LOG_WARNING, ret, z->txt, p->name, "SYNC not sent");
		}
	}
}

/* After a restart: RFI to every reachable ON peer whose part we lack. */
static void send_rfis(agd_syncd_t *sd, struct szone *z)
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
		if (peer_reachable(p) && peer_send(sd, z, p, HS_MSG_RFI) != 0) {
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
		type_name(hs_msg_sync_type(i), tn, sizeof(tn));
		int n = snprintf(out + o, len - o, "%s%s %u", o ? ", " : "", tn,
		                 plan->want[i] != NULL ? plan->want[i]->rrs.count : 0);
		if (n < 0) {
			break;
		}
		o += (size_t)n;
	}
}

static void combiner_update(agd_syncd_t *sd, struct szone *z, time_t now)
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
		zsave(z);
		return;
	}
	/* the planned keys are "pushed" now: on disk before the UPDATE leaves */
	zsave(z);
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
			log_diff(z->txt, hs_msg_sync_type(i), old ? &old->rrs : NULL,
			         q->plan.want[i] ? &q->plan.want[i]->rrs : NULL, "the merge (to combinerd)");
		}
		ret = hs_proc_combiner_confirmed(z->proc, &q->plan, now);
		if (ret < 0) {
			hs_log_code(HS_LOG_ERROR, ret, z->txt, NULL, "combiner confirmation");
		}
		hs_log(HS_LOG_INFO, z->txt, cfg->combinerd.text, "combiner took UPDATE (%s)", what);
		zsave(z);
	}
	z->kick = true;
	if (z->update_again) {
		/* the machine asked again while this one was out: plan anew */
		combiner_update(sd, z, now);
	}
}

/* ---- answers ---------------------------------------------------------------------- */

static void sq_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct sq *q = arg;
	agd_syncd_t *sd = q->sd;
	q->q = NULL;
	struct szone *z = zfind(sd, q->zone);
	if (z == NULL) {
		sq_free(q);
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
	case Q_DS:
	case Q_NS: {
		uint16_t t = q->kind == Q_DS ? KNOT_RRTYPE_DS : KNOT_RRTYPE_NS;
		uint16_t rcode = 0;
		int ret = err != 0 ? err : hs_xfr_check_answer(msg, len, q->pkt, &q->tsig, &rcode, NULL);
		if (ret != 0 && !(ret == HS_EXFR_RCODE && rcode == KNOT_RCODE_NXDOMAIN)) {
			hs_log_code(HS_LOG_INFO, ret, z->txt, cfg->resolver_txt, "%s look-up",
			            t == KNOT_RRTYPE_DS ? "DS" : "NS");
			break;
		}
		knot_rrset_t *rr = ret == 0 ? answer_rrset(msg, len, z->name, t) : NULL;
		ret = t == KNOT_RRTYPE_DS ? hs_proc_parent_ds(z->proc, rr, now) :
		      hs_proc_parent_ns(z->proc, rr, now);
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
	sq_free(q);
	if (z->kick) {
		agd_syncd_tick(sd);
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
			asked = dns_query(sd, Q_PUBLISHED, z->name, id, KNOT_RRTYPE_DNSKEY,
			                  (const struct sockaddr *)&ss, false) == 0 || asked;
		}
		if (!asked) {
			(void)dns_query(sd, Q_PUBLISHED, z->name, id, KNOT_RRTYPE_DNSKEY,
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
		send_sync(sd, z, NULL);
	}
	if (bits & HS_PROC_DO_COMBINER) {
		if (now < z->retry) {
			(void)hs_proc_combiner_failed(z->proc, now);
		} else {
			combiner_update(sd, z, now);
		}
	}
	if (bits & HS_PROC_DO_PARENT_DS) {
		(void)dns_query(sd, Q_DS, z->name, NULL, KNOT_RRTYPE_DS,
		                (const struct sockaddr *)&cfg->resolver, true);
	}
	if (bits & HS_PROC_DO_PARENT_NS) {
		(void)dns_query(sd, Q_NS, z->name, NULL, KNOT_RRTYPE_NS,
		                (const struct sockaddr *)&cfg->resolver, true);
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
		zsave(z);
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
		sq_free(sd->qs);
	}
	while (sd->zones != NULL) {
		struct szone *z = sd->zones;
		sd->zones = z->next;
		zsave(z);
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
	struct szone *z = named ? zget(sd, name) : zfind(sd, name);
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
	apex_fetch(sd, z);
}

void agd_syncd_apex(agd_syncd_t *sd, const knot_dname_t *zone)
{
	struct szone *z = sd != NULL ? zfind(sd, zone) : NULL;
	if (z != NULL) {
		apex_fetch(sd, z);
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
	struct szone *z = sd != NULL ? zfind(sd, zone) : NULL;
	if (z == NULL) {
		snprintf(why, whylen, "zone not synchronised here");
		return HS_ENOTFOUND;
	}
	hs_sync_t *s = hs_proc_sync(z->proc);
	knot_rdataset_t before[HS_MSG_NTYPES];
	const hs_msg_content_t *old = hs_sync_part(s, p->identity);
	for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
		rds_copy(old != NULL && old->rr[i] != NULL ? &old->rr[i]->rrs : NULL, &before[i]);
	}
	int ret = hs_proc_part(z->proc, p->identity, c, time(NULL), why, whylen);
	if (ret >= 0) {
		const hs_msg_content_t *now = hs_sync_part(s, p->identity);
		for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
			log_diff(z->txt, hs_msg_sync_type(i), &before[i],
			         now != NULL && now->rr[i] != NULL ? &now->rr[i]->rrs : NULL, p->name);
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
	struct szone *z = sd != NULL ? zfind(sd, zone) : NULL;
	if (z == NULL) {
		return HS_ENOTFOUND;
	}
	/* sent after our answer: the peer's send has its reply first */
	send_sync(sd, z, p->identity);
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
		struct szone *z = zfind(sd, zn);
		if (z == NULL) {
			continue;
		}
		(void)hs_proc_peer_state(z->proc, p->identity, p->state, now);
		if (peer_reachable(p)) {
			send_rfis(sd, z);   /* parts missing (a restart, a lost SYNC) */
		}
		z->kick = true;
	}
}

json_t *agd_syncd_status(agd_syncd_t *sd, const knot_dname_t *zone)
{
	struct szone *z = sd != NULL ? zfind(sd, zone) : NULL;
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
