/*
 * agentd/parentd.c -- the parent role of agentd on the network: the
 * receiver of delegation UPDATEs and KeyState queries, the DS check
 * look-up (the NS and glue check's look-ups are parentns.c's), the TSIG
 * UPDATE to the real primary, the key bootstrap look-ups, the trust store
 * on disk. The decisions are parent.c's and
 * trust.c's; see agentd/ddns.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/parent.h"
#include "agentd/resolve.h"
#include "agentd/trust.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/msg.h"
#include "libhsync/replay.h"

#define DDNS_TIMEOUT_MS 3000
#define DDNS_MAX_NS 8
#define DDNS_MAX_ADDRS 16
#define DDNS_ROUNDS_FACTOR 3


/* One received UPDATE on its way: DS check look-up, NS and glue check, then the primary. */
struct agd_job {
	struct agd_job *next;
	struct agd_parent *p;
	hs_net_req_t *req;
	char peer[HS_ADDR_STRLEN];
	uint8_t *wire;
	size_t len;
	hs_parent_result_t r;
	char child[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_pkt_t *q;          /* the query or UPDATE in flight */
	hs_tsig_ctx_t tsig;
	hs_net_query_t *nq;
	agd_nscheck_t *nsc;     /* the NS and glue check running */
};

/* One bootstrap look-up of one PENDING key. */
struct agd_boot;
struct agd_bq {
	struct agd_boot *b;
	hs_net_query_t *nq;
	int kind;               /* 0 resolver KEY, 1 resolver NS, 2 resolver A/AAAA, 3 NS KEY */
	uint8_t *ans;
	size_t alen;
	bool done;
	int err;
};

#define BOOT_MAXQ (2 * DDNS_MAX_ADDRS + DDNS_MAX_NS * 2)

struct agd_boot {
	uv_timer_t timer;       /* first: its close callback frees the boot */
	struct agd_boot *next;
	struct agd_parent *p;
	knot_dname_storage_t child;
	char child_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	uint8_t rdata[1024];
	size_t rdlen;
	uint16_t keytag;
	unsigned rounds;
	bool timer_on;
	int stage;              /* 0 idle, 1 KEY at resolver, 2 NS, 3 addresses, 4 KEY at NS */
	size_t nq, pending;
	struct agd_bq q[BOOT_MAXQ];
	size_t naddrs;
	struct sockaddr_storage addrs[DDNS_MAX_ADDRS];
};



static const char *rcode_name(unsigned rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, (int)rcode);
	return l != NULL ? l->name : "RCODE?";
}

int agd_parent_save_trust(struct agd_parent *p)
{
	char why[512] = "";
	int ret = hs_trust_save(p->trust, p->c->trust_path, why, sizeof(why));
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, p->c->zone_txt, NULL, "trust store %s: %s",
		            p->c->trust_path, why);
	}
	return ret;
}

/* A query (QNAME QTYPE) as a NEW packet: RD and DO as asked, EDNS 1232, random ID. */
static int mkquery(const knot_dname_t *qname, uint16_t qtype, bool rd, knot_pkt_t **out)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, 1232, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	knot_wire_set_id(pkt->wire, (uint16_t)randombytes_uniform(65536));
	int ret = knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, qtype);
	if (ret == 0) {
		if (rd) {
			knot_wire_set_rd(pkt->wire);
			knot_wire_set_ad(pkt->wire);
		}
		knot_rrset_t opt;
		ret = knot_edns_init(&opt, 1232, 0, 0, &pkt->mm);
		if (ret == 0) {
			knot_edns_set_do(&opt);
			ret = knot_pkt_begin(pkt, KNOT_ADDITIONAL);
		}
		if (ret == 0) {
			ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
		}
	}
	if (ret != 0) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return 0;
}

/* Parse an answer into a NEW packet; NULL if malformed. */
static knot_pkt_t *parse(const uint8_t *msg, size_t len)
{
	knot_pkt_t *pkt = knot_pkt_new((void *)msg, len, NULL);
	if (pkt != NULL && knot_pkt_parse(pkt, 0) != 0) {
		knot_pkt_free(pkt);
		pkt = NULL;
	}
	return pkt;
}

/* ---- UPDATE jobs ---------------------------------------------------------------------- */

static void job_free(struct agd_job *j)
{
	for (struct agd_job **pp = &j->p->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	if (j->nq != NULL) {
		hs_net_cancel(j->nq);
	}
	agd_nscheck_cancel(j->nsc);
	if (j->req != NULL) {
		hs_net_done(j->req);
	}
	knot_pkt_free(j->q);
	hs_parent_result_clear(&j->r);
	free(j->wire);
	free(j);
}

/* Answer the request with j->r (as it stands now) and free the job. */
static void job_answer(struct agd_job *j)
{
	knot_pkt_t *resp = NULL;
	int ret = hs_parent_response(&j->p->pc, j->wire, j->len, &j->r, &resp);
	if (ret == 0) {
		ret = hs_net_reply(j->req, resp->wire, resp->size);
		j->req = NULL;
		if (ret != 0) {
			hs_log_code(HS_LOG_WARNING, ret, j->p->c->zone_txt, j->peer,
			            "cannot send the answer to %s", j->child);
		}
	} else {
		hs_log_code(HS_LOG_ERROR, ret, j->p->c->zone_txt, j->peer, "cannot build the response");
	}
	knot_pkt_free(resp);
	job_free(j);
}

static void job_refuse(struct agd_job *j, uint8_t rcode, const char *fmt, const char *arg)
{
	j->r.verdict = HS_PARENT_REFUSED;
	j->r.rcode = rcode;
	/* the reason goes back as the EDE's EXTRA-TEXT, so the child can log it */
	j->r.ede = rcode == KNOT_RCODE_REFUSED ? HS_EDE_DELEG_MISMATCH : KNOT_EDNS_EDE_OTHER;
	snprintf(j->r.reason, sizeof(j->r.reason), fmt, arg);
	hs_log(HS_LOG_WARNING, j->p->c->zone_txt, j->peer, "UPDATE from %s refused (%s): %s",
	       j->child, rcode_name(rcode), j->r.reason);
	job_answer(j);
}

static void log_change(struct agd_job *j, const hs_chg_t *c)
{
	char owner[KNOT_DNAME_TXT_MAXLEN + 1], type[32], data[2048] = "";
	knot_dname_to_str(owner, c->owner, sizeof(owner));
	hs_rrtype_text(c->type, type, sizeof(type));
	if (c->len > 0) {
		knot_rrset_t rr;
		knot_rrset_init(&rr, (knot_dname_t *)c->owner, c->type, KNOT_CLASS_IN, c->ttl);
		if (knot_rrset_add_rdata(&rr, c->rdata, c->len, NULL) == 0) {
			if (knot_rrset_txt_dump_data(&rr, 0, data, sizeof(data),
			                             &KNOT_DUMP_STYLE_DEFAULT) < 0) {
				data[0] = '\0';
			}
			knot_rdataset_clear(&rr.rrs, NULL);
		}
	}
	hs_log(HS_LOG_NOTICE, j->p->c->zone_txt, j->child, "%s %s %s%s%s, from %s (SIG(0) %u)",
	       hs_chg_op_name(c->op), owner, type, data[0] ? " " : "", data, j->child, j->r.keytag);
}

static void primary_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct agd_job *j = arg;
	j->nq = NULL;
	uint16_t rcode = 0;
	int ret = err;
	if (ret == 0) {
		ret = hs_xfr_check_answer(msg, len, j->q, &j->tsig, &rcode, NULL);
	}
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, j->p->c->zone_txt, j->child,
		            "primary %s did not take the UPDATE (%s): nothing applied",
		            j->p->c->primary_txt, rcode_name(rcode));
		j->r.rcode = KNOT_RCODE_SERVFAIL;
		j->r.verdict = HS_PARENT_REFUSED;
		j->r.ede = KNOT_EDNS_EDE_OTHER;
		snprintf(j->r.reason, sizeof(j->r.reason), "the primary did not take the change");
		job_answer(j);
		return;
	}
	for (size_t i = 0; i < j->r.changes.n; i++) {
		log_change(j, &j->r.changes.v[i]);
	}
	hs_log(HS_LOG_INFO, j->p->c->zone_txt, j->peer, "UPDATE from %s: %zu changes sent to %s",
	       j->child, j->r.changes.n, j->p->c->primary_txt);
	job_answer(j);
}

static void to_primary(struct agd_job *j)
{
	knot_pkt_free(j->q);
	j->q = NULL;
	struct agd_pcfg *c = j->p->c;
	int ret = hs_parent_primary_update(c->zone, &j->r.changes, c->has_tsig ? &c->tsig : NULL,
	                                   &j->tsig, &j->q);
	if (ret == 0) {
		struct hs_net_query_opts qo = { .timeout_ms = DDNS_TIMEOUT_MS, .tcp = true };
		ret = hs_net_query(j->p->d->loop, (const struct sockaddr *)&c->primary, j->q->wire,
		                   j->q->size, &qo, primary_cb, j, &j->nq);
	}
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, c->zone_txt, j->child, "UPDATE to primary %s",
		            c->primary_txt);
		j->r.rcode = KNOT_RCODE_SERVFAIL;
		j->r.verdict = HS_PARENT_REFUSED;
		j->r.ede = KNOT_EDNS_EDE_OTHER;
		snprintf(j->r.reason, sizeof(j->r.reason), "the change could not be sent to the primary");
		job_answer(j);
	}
}

static void nscheck_cb(uint8_t rcode, int err, const char *reason, void *arg)
{
	struct agd_job *j = arg;
	j->nsc = NULL;
	if (rcode != KNOT_RCODE_NOERROR) {
		j->r.error = err;
		job_refuse(j, rcode, "NS check: %s", reason);
		return;
	}
	to_primary(j);
}

/* The DS check passed or had nothing to check: the NS and glue check, then the primary. */
static void after_ds(struct agd_job *j)
{
	if (!hs_parent_touches_ns(&j->r.changes, j->r.child)) {
		to_primary(j);
		return;
	}
	int ret = agd_nscheck_start(j->p, j->r.child, &j->r.changes, nscheck_cb, j, &j->nsc);
	if (ret != 0) {
		job_refuse(j, KNOT_RCODE_SERVFAIL, "NS look-up: %s", hs_strerror(ret));
	}
}

static void dnskey_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct agd_job *j = arg;
	j->nq = NULL;
	if (err != 0) {
		hs_log_code(HS_LOG_WARNING, err, j->p->c->zone_txt, j->child, "DNSKEY look-up at %s",
		            j->p->d->cfg->resolver_txt);
		job_refuse(j, KNOT_RCODE_SERVFAIL, "%s", "no answer to the child's DNSKEY look-up");
		return;
	}
	knot_pkt_t *a = parse(msg, len);
	if (a == NULL || knot_wire_get_id(msg) != knot_wire_get_id(j->q->wire)) {
		knot_pkt_free(a);
		job_refuse(j, KNOT_RCODE_SERVFAIL, "%s", "malformed answer to the DNSKEY look-up");
		return;
	}
	/* the DNSKEY RRset counts only validated */
	knot_rrset_t keys;
	knot_rrset_init_empty(&keys);
	const knot_rrset_t *dnskey = NULL;
	uint8_t rc = knot_wire_get_rcode(msg);
	if (knot_wire_get_ad(msg) && rc == KNOT_RCODE_NOERROR) {
		if (hs_resolve_answer(a, j->r.child, KNOT_RRTYPE_DNSKEY, &keys) == HS_EOK) {
			dnskey = &keys;
		}
	} else if (rc != KNOT_RCODE_NOERROR && rc != KNOT_RCODE_NXDOMAIN) {
		knot_pkt_free(a);
		job_refuse(j, KNOT_RCODE_SERVFAIL, "DNSKEY look-up answered %s", rcode_name(rc));
		return;
	}
	hs_log(HS_LOG_INFO, j->p->c->zone_txt, j->child, "DNSKEY look-up at %s: %s, %s, %u keys",
	       j->p->d->cfg->resolver_txt, rcode_name(rc), knot_wire_get_ad(msg) ? "validated" :
	       "not validated", dnskey != NULL ? dnskey->rrs.count : 0);
	char why[512] = "";
	int ret = hs_parent_ds_check(&j->r.changes, j->r.child, dnskey, why, sizeof(why));
	knot_rdataset_clear(&keys.rrs, NULL);
	knot_pkt_free(a);
	if (ret != 0) {
		j->r.error = ret;
		job_refuse(j, KNOT_RCODE_REFUSED, "DS check: %s", why[0] ? why : hs_strerror(ret));
		return;
	}
	after_ds(j);
}

static bool adds_ds(const hs_chgs_t *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].op == HS_CHG_ADD && c->v[i].type == KNOT_RRTYPE_DS) {
			return true;
		}
	}
	return false;
}


void agd_parent_on_update(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	struct agd_parent *p = arg;
	struct agd_job *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->wire = malloc(len ? len : 1)) == NULL) {
		free(j);
		hs_net_done(req);
		return;
	}
	j->p = p;
	j->req = req;
	memcpy(j->wire, msg, len);
	j->len = len;
	hs_addr_format(hs_net_req_peer(req), j->peer, sizeof(j->peer));
	hs_parent_result_init(&j->r);
	j->next = p->jobs;
	p->jobs = j;
	/* a signed UPDATE accepted before is refused (DESIGN: replays change nothing) */
	uint8_t rid[HS_REPLAY_IDLEN];
	time_t now = time(NULL);
	bool has_id = len >= KNOT_WIRE_HEADER_SIZE && !knot_wire_get_qr(msg) &&
	              hs_msg_replay_id(msg, len, rid) == 0;
	if (has_id && hs_replay_seen(p->d->replay, rid, now)) {
		snprintf(j->child, sizeof(j->child), "?");
		j->r.rcode = KNOT_RCODE_REFUSED;
		j->r.ede = -1;
		snprintf(j->r.reason, sizeof(j->r.reason), "replayed");
		hs_log(HS_LOG_WARNING, p->c->zone_txt, j->peer, "message refused (REFUSED): replayed");
		job_answer(j);
		return;
	}
	int ret = hs_parent_handle(&p->pc, msg, len, &j->r);
	if (ret != 0) {
		hs_log(HS_LOG_INFO, p->c->zone_txt, j->peer, "message not answered: %s",
		       hs_strerror(ret));
		job_free(j);
		return;
	}
	if (j->r.child[0] != 0) {
		knot_dname_to_str(j->child, j->r.child, sizeof(j->child));
	} else {
		snprintf(j->child, sizeof(j->child), "?");
	}
	hs_sig0_info_t si;
	if (has_id && (j->r.verdict == HS_PARENT_APPLY || j->r.verdict == HS_PARENT_BOOTSTRAP) &&
	    hs_sig0_parse(msg, len, &si) == 0) {
		time_t expires = (time_t)si.expiration + (time_t)p->pc.sig0.skew + 1;
		ret = expires > now ? hs_replay_add(p->d->replay, rid, expires, now) : 0;
		if (ret != 0) {
			job_refuse(j, KNOT_RCODE_REFUSED, "replay cache: %s", hs_strerror(ret));
			return;
		}
	}
	switch (j->r.verdict) {
	case HS_PARENT_REFUSED:
		hs_log(HS_LOG_WARNING, p->c->zone_txt, j->peer,
		       "message from %s (key %u) refused (%s%s%s): %s", j->child, j->r.keytag,
		       rcode_name(j->r.rcode), j->r.sig_error ? ", " : "",
		       j->r.sig_error == HS_PARENT_BADKEY ? "BADKEY" :
		       j->r.sig_error == HS_PARENT_BADSIG ? "BADSIG" :
		       j->r.sig_error == HS_PARENT_BADTIME ? "BADTIME" : "", j->r.reason);
		job_answer(j);
		return;
	case HS_PARENT_KEYSTATE:
		hs_log(HS_LOG_INFO, p->c->zone_txt, j->peer, "KeyState of %s key %u: %u (%s)",
		       j->child, j->r.keytag, j->r.keystate, hs_keystate_state_name(j->r.keystate));
		job_answer(j);
		return;
	case HS_PARENT_BOOTSTRAP:
		if (j->r.keys_added > 0 && agd_parent_save_trust(p) != 0) {
			j->r.rcode = KNOT_RCODE_SERVFAIL;
			job_answer(j);
			return;
		}
		hs_log(HS_LOG_NOTICE, p->c->zone_txt, j->child,
		       "key bootstrap from %s (key %u): %u new pending keys", j->child, j->r.keytag,
		       j->r.keys_added);
		knot_dname_storage_t child;
		knot_dname_copy_lower(child, j->r.child);
		job_answer(j);
		agd_parent_boot_start(p, child);
		return;
	case HS_PARENT_APPLY:
		break;
	}
	if (!adds_ds(&j->r.changes)) {
		after_ds(j);
		return;
	}
	ret = mkquery(j->r.child, KNOT_RRTYPE_DNSKEY, true, &j->q);
	if (ret == 0) {
		struct hs_net_query_opts qo = { .timeout_ms = DDNS_TIMEOUT_MS, .retries = 1 };
		ret = hs_net_query(p->d->loop, (const struct sockaddr *)&p->d->cfg->resolver,
		                   j->q->wire, j->q->size, &qo, dnskey_cb, j, &j->nq);
	}
	if (ret != 0) {
		job_refuse(j, KNOT_RCODE_SERVFAIL, "DNSKEY look-up: %s", hs_strerror(ret));
	}
}

/* ---- key bootstrap look-ups ------------------------------------------------------------ */

static void boot_free(struct agd_boot *b)
{
	for (struct agd_boot **pp = &b->p->boots; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	for (size_t i = 0; i < b->nq; i++) {
		if (b->q[i].nq != NULL) {
			hs_net_cancel(b->q[i].nq);
		}
		free(b->q[i].ans);
	}
	if (b->timer_on) {
		uv_timer_stop(&b->timer);
		b->timer.data = NULL;
		uv_close((uv_handle_t *)&b->timer, (uv_close_cb)free);
		return;
	}
	free(b);
}

static void boot_reset_queries(struct agd_boot *b)
{
	for (size_t i = 0; i < b->nq; i++) {
		if (b->q[i].nq != NULL) {
			hs_net_cancel(b->q[i].nq);
		}
		free(b->q[i].ans);
	}
	memset(b->q, 0, sizeof(b->q));
	b->nq = b->pending = 0;
}

static void boot_round(struct agd_boot *b);

static void boot_timer_cb(uv_timer_t *t)
{
	struct agd_boot *b = t->data;
	if (b != NULL) {
		boot_round(b);
	}
}

/* Not settled this round: again after the interval, or give up to the operator. */
static void boot_later(struct agd_boot *b, const char *why)
{
	struct agd_parent *p = b->p;
	boot_reset_queries(b);
	b->stage = 0;
	const hs_trust_entry_t *e = hs_trust_find(p->trust, b->child, b->rdata, b->rdlen);
	if (e == NULL || e->state != HS_TRUST_PENDING) {
		boot_free(b);
		return;
	}
	if (b->rounds >= DDNS_ROUNDS_FACTOR * p->c->lookups) {
		if (!e->manual_needed) {
			(void)hs_trust_need_manual(p->trust, b->child, b->rdata, b->rdlen, time(NULL));
			(void)agd_parent_save_trust(p);
			hs_log(HS_LOG_WARNING, p->c->zone_txt, b->child_txt,
			       "key %u not validated after %u rounds (%s): manual trust needed",
			       b->keytag, b->rounds, why);
		}
		boot_free(b);
		return;
	}
	hs_log(HS_LOG_INFO, p->c->zone_txt, b->child_txt, "key %u: round %u: %s; again in %us",
	       b->keytag, b->rounds, why, p->c->interval);
	uv_timer_start(&b->timer, boot_timer_cb, (uint64_t)p->c->interval * 1000, 0);
}

static void boot_trusted(struct agd_boot *b, const char *how)
{
	hs_log(HS_LOG_NOTICE, b->p->c->zone_txt, b->child_txt, "key %u of %s now trusted (%s)",
	       b->keytag, b->child_txt, how);
	(void)agd_parent_save_trust(b->p);
	boot_free(b);
}

static void boot_stage(struct agd_boot *b);

static void bq_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct agd_bq *q = arg;
	struct agd_boot *b = q->b;
	q->nq = NULL;
	q->done = true;
	q->err = err;
	if (err == 0 && (q->ans = malloc(len)) != NULL) {
		memcpy(q->ans, msg, len);
		q->alen = len;
	}
	if (--b->pending == 0) {
		boot_stage(b);
	}
}

static int boot_send(struct agd_boot *b, int kind, const struct sockaddr *to, const knot_dname_t *qn,
                     uint16_t qt, bool tcp)
{
	if (b->nq == BOOT_MAXQ) {
		return HS_ENOMEM;
	}
	knot_pkt_t *pkt = NULL;
	int ret = mkquery(qn, qt, kind != 3, &pkt);
	if (ret != 0) {
		return ret;
	}
	struct agd_bq *q = &b->q[b->nq];
	memset(q, 0, sizeof(*q));
	q->b = b;
	q->kind = kind;
	struct hs_net_query_opts qo = { .timeout_ms = DDNS_TIMEOUT_MS, .retries = 1, .tcp = tcp,
	                                .no_tcp_fallback = kind == 3 && !tcp };
	ret = hs_net_query(b->p->d->loop, to, pkt->wire, pkt->size, &qo, bq_cb, q, &q->nq);
	knot_pkt_free(pkt);
	if (ret == 0) {
		b->nq++;
		b->pending++;
	}
	return ret;
}

static void boot_round(struct agd_boot *b)
{
	struct agd_parent *p = b->p;
	const hs_trust_entry_t *e = hs_trust_find(p->trust, b->child, b->rdata, b->rdlen);
	if (e == NULL || e->state != HS_TRUST_PENDING) {
		boot_free(b);
		return;
	}
	b->rounds++;
	boot_reset_queries(b);
	b->stage = 1;
	int ret = boot_send(b, 0, (const struct sockaddr *)&p->d->cfg->resolver, b->child,
	                    KNOT_RRTYPE_KEY, false);
	if (ret != 0) {
		boot_later(b, hs_strerror(ret));
	}
}

static void boot_stage(struct agd_boot *b)
{
	struct agd_parent *p = b->p;
	const struct sockaddr *res = (const struct sockaddr *)&p->d->cfg->resolver;
	char why[256];
	int ret;
	if (b->stage == 1) {
		struct agd_bq *q = &b->q[0];
		if (q->err != 0 || q->ans == NULL) {
			snprintf(why, sizeof(why), "KEY look-up at %s: %s", p->d->cfg->resolver_txt,
			         hs_strerror(q->err));
			boot_later(b, why);
			return;
		}
		ret = hs_trust_check_validated(p->trust, b->child, b->rdata, b->rdlen, q->ans,
		                               q->alen, time(NULL));
		if (ret == 0) {
			boot_trusted(b, "validated KEY look-up");
			return;
		}
		if (ret != HS_EDISC_NOAD) {
			snprintf(why, sizeof(why), "validated KEY look-up: %s", hs_strerror(ret));
			boot_later(b, why);
			return;
		}
		/* unsigned child: its nameservers, each over UDP and TCP */
		boot_reset_queries(b);
		b->stage = 2;
		ret = boot_send(b, 1, res, b->child, KNOT_RRTYPE_NS, false);
		if (ret != 0) {
			boot_later(b, hs_strerror(ret));
		}
		return;
	}
	if (b->stage == 2) {
		struct agd_bq *q = &b->q[0];
		knot_pkt_t *a = q->ans ? parse(q->ans, q->alen) : NULL;
		knot_dname_storage_t ns[DDNS_MAX_NS];
		size_t nns = 0;
		if (a != NULL) {
			const knot_pktsection_t *an = knot_pkt_section(a, KNOT_ANSWER);
			for (uint16_t i = 0; i < an->count; i++) {
				const knot_rrset_t *rr = knot_pkt_rr(an, i);
				if (rr->type != KNOT_RRTYPE_NS ||
				    !knot_dname_is_case_equal(rr->owner, b->child)) {
					continue;
				}
				knot_rdata_t *rd = rr->rrs.rdata;
				for (uint16_t k = 0; k < rr->rrs.count && nns < DDNS_MAX_NS; k++) {
					knot_dname_copy_lower(ns[nns++], knot_ns_name(rd));
					rd = knot_rdataset_next(rd);
				}
			}
		}
		knot_pkt_free(a);
		boot_reset_queries(b);
		if (nns == 0) {
			boot_later(b, "no NS RRset for the child from the resolver");
			return;
		}
		b->stage = 3;
		for (size_t i = 0; i < nns; i++) {
			if ((ret = boot_send(b, 2, res, ns[i], KNOT_RRTYPE_A, false)) != 0 ||
			    (ret = boot_send(b, 2, res, ns[i], KNOT_RRTYPE_AAAA, false)) != 0) {
				break;
			}
		}
		if (b->pending == 0) {
			boot_later(b, "cannot ask for the nameservers' addresses");
		}
		return;
	}
	if (b->stage == 3) {
		b->naddrs = 0;
		for (size_t i = 0; i < b->nq; i++) {
			knot_pkt_t *a = b->q[i].ans ? parse(b->q[i].ans, b->q[i].alen) : NULL;
			if (a == NULL) {
				continue;
			}
			const knot_pktsection_t *an = knot_pkt_section(a, KNOT_ANSWER);
			for (uint16_t k = 0; k < an->count; k++) {
				const knot_rrset_t *rr = knot_pkt_rr(an, k);
				knot_rdata_t *rd = rr->rrs.rdata;
				for (uint16_t m = 0; m < rr->rrs.count && b->naddrs < DDNS_MAX_ADDRS; m++) {
					struct sockaddr_storage *ss = &b->addrs[b->naddrs];
					memset(ss, 0, sizeof(*ss));
					if (rr->type == KNOT_RRTYPE_A && rd->len == 4) {
						struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
						s4->sin_family = AF_INET;
						memcpy(&s4->sin_addr, rd->data, 4);
						s4->sin_port = htons(p->c->ns_port);
						b->naddrs++;
					} else if (rr->type == KNOT_RRTYPE_AAAA && rd->len == 16) {
						struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
						s6->sin6_family = AF_INET6;
						memcpy(&s6->sin6_addr, rd->data, 16);
						s6->sin6_port = htons(p->c->ns_port);
						b->naddrs++;
					}
					rd = knot_rdataset_next(rd);
				}
			}
			knot_pkt_free(a);
		}
		boot_reset_queries(b);
		if (b->naddrs == 0) {
			boot_later(b, "no address for any nameserver of the child");
			return;
		}
		b->stage = 4;
		for (size_t i = 0; i < b->naddrs; i++) {
			const struct sockaddr *to = (const struct sockaddr *)&b->addrs[i];
			if ((ret = boot_send(b, 3, to, b->child, KNOT_RRTYPE_KEY, false)) != 0 ||
			    (ret = boot_send(b, 3, to, b->child, KNOT_RRTYPE_KEY, true)) != 0) {
				boot_later(b, hs_strerror(ret));
				return;
			}
		}
		return;
	}
	if (b->stage == 4) {
		const uint8_t *ans[BOOT_MAXQ];
		size_t alens[BOOT_MAXQ], n = 0;
		bool all = true;
		for (size_t i = 0; i < b->nq; i++) {
			if (b->q[i].ans == NULL) {
				all = false;
				continue;
			}
			ans[n] = b->q[i].ans;
			alens[n++] = b->q[i].alen;
		}
		hs_trust_state_t st = HS_TRUST_PENDING;
		/* a nameserver that did not answer makes the round inconsistent */
		ret = hs_trust_check_round(p->trust, b->child, b->rdata, b->rdlen, ans, alens,
		                           all ? n : 0, time(NULL), &st);
		const hs_trust_entry_t *e = hs_trust_find(p->trust, b->child, b->rdata, b->rdlen);
		if (ret == 0 && st == HS_TRUST_TRUSTED) {
			snprintf(why, sizeof(why), "%u consistent rounds at %zu nameserver addresses",
			         p->c->lookups, b->naddrs);
			boot_trusted(b, why);
			return;
		}
		(void)agd_parent_save_trust(p);
		snprintf(why, sizeof(why), "%s round at %zu addresses over UDP and TCP (%u of %u)",
		         ret == 0 && e != NULL && e->confirmations > 0 ? "consistent" : "inconsistent",
		         b->naddrs, e != NULL ? e->confirmations : 0, p->c->lookups);
		boot_later(b, why);
	}
}

/* Look-ups for every PENDING key of CHILD that has none running. */
void agd_parent_boot_start(struct agd_parent *p, const knot_dname_t *child)
{
	for (size_t i = 0; i < hs_trust_count(p->trust); i++) {
		const hs_trust_entry_t *e = hs_trust_get(p->trust, i);
		if (e->state != HS_TRUST_PENDING || !knot_dname_is_case_equal(e->child, child) ||
		    e->key->rdata.size > sizeof(((struct agd_boot *)0)->rdata)) {
			continue;
		}
		bool running = false;
		for (struct agd_boot *b = p->boots; b && !running; b = b->next) {
			running = knot_dname_is_case_equal(b->child, child) && b->rdlen == e->key->rdata.size &&
			          memcmp(b->rdata, e->key->rdata.data, b->rdlen) == 0;
		}
		if (running) {
			continue;
		}
		struct agd_boot *b = calloc(1, sizeof(*b));
		if (b == NULL) {
			return;
		}
		b->p = p;
		knot_dname_copy_lower(b->child, child);
		knot_dname_to_str(b->child_txt, b->child, sizeof(b->child_txt));
		memcpy(b->rdata, e->key->rdata.data, e->key->rdata.size);
		b->rdlen = e->key->rdata.size;
		b->keytag = e->keytag;
		uv_timer_init(p->d->loop, &b->timer);
		b->timer.data = b;
		b->timer_on = true;
		b->next = p->boots;
		p->boots = b;
		boot_round(b);
	}
}

void agd_parent_clear(struct agd_parent *p)
{
	while (p->jobs != NULL) {
		job_free(p->jobs);
	}
	while (p->boots != NULL) {
		boot_free(p->boots);
	}
}
