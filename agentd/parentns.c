/*
 * agentd/parentns.c -- the parent role's NS and glue check on the network,
 * as a CSYNC scanner (RFC 7477) would make it: the child's NS RRset, then
 * the A and AAAA RRsets of the in-bailiwick nameservers whose glue the
 * UPDATE changes, looked up through the validating resolver; the decision
 * is hs_parent_ns_check()'s (parent.c). See agentd/ddns.h.
 *
 * An answer counts when the resolver validated it (AD), or when it is a
 * NOERROR or NXDOMAIN answer without AD: a validating resolver answers so
 * only for names it proved insecure (an unsigned child). SERVFAIL (bogus,
 * or the child's servers unreachable), no answer or a malformed one make
 * the check fail, and the UPDATE is answered SERVFAIL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/ddns.h"
#include "agentd/parent.h"
#include "agentd/resolve.h"
#include "common/log.h"
#include "common/net.h"
#include "common/zone.h"
#include "libhsync/error.h"
#include "libhsync/pkt.h"

#define NSC_TIMEOUT_MS 1500    /* per try, two tries: the child waits 3 s per message */

struct nsc_q {
	struct agd_nscheck *c;
	hs_net_query_t *nq;
	uint16_t id;
	knot_dname_storage_t name;  /* lower case */
	uint16_t type;
	knot_rdataset_t rrs;        /* what the child serves (NEW) */
	bool validated;
};

struct agd_nscheck {
	struct agd_parent *p;
	knot_dname_storage_t child;
	char child_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	const hs_chgs_t *chgs;      /* borrowed */
	agd_nscheck_cb cb;
	void *arg;
	int stage;                  /* 1 the NS RRset, 2 the glue */
	size_t pending;
	struct nsc_q ns;
	size_t nq;
	struct nsc_q q[HS_PARENT_MAX_GLUE];
};

static void nsc_q_clear(struct nsc_q *q)
{
	if (q->nq != NULL) {
		hs_net_cancel(q->nq);
		q->nq = NULL;
	}
	knot_rdataset_clear(&q->rrs, NULL);
}

static void nsc_free(struct agd_nscheck *c)
{
	nsc_q_clear(&c->ns);
	for (size_t i = 0; i < c->nq; i++) {
		nsc_q_clear(&c->q[i]);
	}
	free(c);
}

void agd_nscheck_cancel(agd_nscheck_t *c)
{
	if (c != NULL) {
		nsc_free(c);
	}
}

static void nsc_finish(struct agd_nscheck *c, uint8_t rcode, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Free C, then tell its owner. */
static void nsc_finish(struct agd_nscheck *c, uint8_t rcode, int err, const char *fmt, ...)
{
	char reason[HS_PARENT_REASON_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	agd_nscheck_cb cb = c->cb;
	void *arg = c->arg;
	nsc_free(c);
	cb(rcode, err, reason, arg);
}

static void nsc_cb(int err, const uint8_t *msg, size_t len, void *arg);

static int nsc_send(struct agd_nscheck *c, struct nsc_q *q, const knot_dname_t *name,
                    uint16_t type)
{
	memset(q, 0, sizeof(*q));
	q->c = c;
	knot_dname_copy_lower(q->name, name);
	q->type = type;
	knot_pkt_t *pkt = NULL;
	int ret = hs_resolve_query_new(q->name, type, &pkt);
	if (ret != 0) {
		return ret;
	}
	q->id = knot_wire_get_id(pkt->wire);
	struct hs_net_query_opts qo = { .timeout_ms = NSC_TIMEOUT_MS, .retries = 1 };
	ret = hs_net_query(c->p->d->loop, (const struct sockaddr *)&c->p->d->cfg->resolver, pkt->wire,
	                   pkt->size, &qo, nsc_cb, q, &q->nq);
	knot_pkt_free(pkt);
	if (ret == 0) {
		c->pending++;
	}
	return ret;
}

/* The records of the answer at the name itself (no CNAME) into q->rrs. */
static int nsc_keep(struct nsc_q *q, const knot_rrset_t *ans)
{
	if (ans->owner == NULL || ans->rrs.count == 0 || !hs_dname_equal(ans->owner, q->name)) {
		return HS_EOK;
	}
	return knot_rdataset_copy(&q->rrs, &ans->rrs, NULL) == KNOT_EOK ? HS_EOK : HS_ENOMEM;
}

/* What the answer says the child serves, into q->rrs. 0, or a code with WHY. */
static int nsc_take(struct nsc_q *q, int err, const uint8_t *msg, size_t len, char *why,
                    size_t whylen)
{
	const char *res = q->c->p->d->cfg->resolver_txt;
	if (err != 0) {
		snprintf(why, whylen, "no answer from resolver %s (%s)", res, hs_strerror(err));
		return err;
	}
	knot_pkt_t *pkt = NULL;
	knot_rrset_t ans;
	int ret = hs_resolve_check(q->id, q->name, q->type, msg, len, res, &pkt, &ans, why, whylen);
	if (ret == HS_EOK) {
		q->validated = true;
		ret = nsc_keep(q, &ans);
		knot_rdataset_clear(&ans.rrs, NULL);
	} else if (ret == HS_EDISC_NXDOMAIN || ret == HS_EDISC_NODATA) {
		q->validated = true;
		ret = HS_EOK;
	} else if (ret == HS_EDISC_NOAD) {
		/* NOERROR or NXDOMAIN without AD: the resolver proved the name insecure */
		ret = hs_pkt_parse_copy(msg, len, 0, &pkt);
		if (ret == HS_EOK && knot_wire_get_rcode(msg) == KNOT_RCODE_NOERROR) {
			ret = hs_resolve_answer(pkt, q->name, q->type, &ans);
			if (ret == HS_EOK) {
				ret = nsc_keep(q, &ans);
				knot_rdataset_clear(&ans.rrs, NULL);
			} else if (ret == HS_ENOTFOUND) {
				ret = HS_EOK;
			}
		}
		if (ret != HS_EOK) {
			snprintf(why, whylen, "unusable answer from resolver %s (%s)", res,
			         hs_strerror(ret));
		}
	}
	knot_pkt_free(pkt);
	return ret;
}

static void nsc_decide(struct agd_nscheck *c)
{
	knot_rrset_t ns, glue[HS_PARENT_MAX_GLUE];
	knot_rrset_init(&ns, c->child, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 0);
	ns.rrs = c->ns.rrs;
	for (size_t i = 0; i < c->nq; i++) {
		knot_rrset_init(&glue[i], c->q[i].name, c->q[i].type, KNOT_CLASS_IN, 0);
		glue[i].rrs = c->q[i].rrs;
	}
	char why[HS_PARENT_REASON_SIZE / 2] = "";
	int ret = hs_parent_ns_check(c->chgs, c->child, &ns, glue, c->nq, why, sizeof(why));
	if (ret != HS_EOK) {
		nsc_finish(c, KNOT_RCODE_REFUSED, ret, "%s", why[0] ? why : hs_strerror(ret));
		return;
	}
	nsc_finish(c, KNOT_RCODE_NOERROR, 0, "NS and glue as %s serves them", c->child_txt);
}

/* The child's NS RRset is known: look its glue up, or decide. */
static void nsc_glue(struct agd_nscheck *c)
{
	knot_rrset_t ns;
	knot_rrset_init(&ns, c->child, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 0);
	ns.rrs = c->ns.rrs;
	hs_parent_glueq_t gq[HS_PARENT_MAX_GLUE];
	size_t n = 0;
	int ret = hs_parent_glue_lookups(c->chgs, c->child, &ns, gq, HS_PARENT_MAX_GLUE, &n);
	if (ret != HS_EOK) {
		nsc_finish(c, KNOT_RCODE_REFUSED, ret, "glue at more than %d names and types to check",
		           HS_PARENT_MAX_GLUE);
		return;
	}
	c->stage = 2;
	for (size_t i = 0; i < n; i++) {
		ret = nsc_send(c, &c->q[c->nq], gq[i].owner, gq[i].type);
		if (ret != 0) {
			nsc_finish(c, KNOT_RCODE_SERVFAIL, ret, "glue look-up: %s", hs_strerror(ret));
			return;
		}
		c->nq++;
	}
	if (n == 0) {
		nsc_decide(c);
	}
}

static void nsc_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct nsc_q *q = arg;
	struct agd_nscheck *c = q->c;
	struct agd_pcfg *pc = c->p->c;
	q->nq = NULL;
	c->pending--;
	char why[512] = "", name[KNOT_DNAME_TXT_MAXLEN + 1], type[32];
	hs_dname_text(q->name, name, sizeof(name));
	hs_rrtype_text(q->type, type, sizeof(type));
	int ret = nsc_take(q, err, msg, len, why, sizeof(why));
	if (ret != HS_EOK) {
		hs_log_code(HS_LOG_WARNING, ret, pc->zone_txt, c->child_txt, "%s %s look-up at %s: %s",
		            name, type, c->p->d->cfg->resolver_txt, why);
		nsc_finish(c, KNOT_RCODE_SERVFAIL, ret, "%s %s look-up: %s", name, type, why);
		return;
	}
	hs_log(HS_LOG_INFO, pc->zone_txt, c->child_txt, "%s %s look-up at %s: %s, %u record(s)",
	       name, type, c->p->d->cfg->resolver_txt,
	       q->validated ? "validated" : "insecure (not signed)", q->rrs.count);
	if (c->pending > 0) {
		return;
	}
	if (c->stage == 1) {
		nsc_glue(c);
	} else {
		nsc_decide(c);
	}
}

int agd_nscheck_start(struct agd_parent *p, const knot_dname_t *child, const hs_chgs_t *chgs,
                      agd_nscheck_cb cb, void *arg, agd_nscheck_t **out)
{
	if (p == NULL || child == NULL || chgs == NULL || cb == NULL || out == NULL) {
		return HS_EINVAL;
	}
	struct agd_nscheck *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return HS_ENOMEM;
	}
	c->p = p;
	knot_dname_copy_lower(c->child, child);
	hs_dname_text(c->child, c->child_txt, sizeof(c->child_txt));
	c->chgs = chgs;
	c->cb = cb;
	c->arg = arg;
	c->stage = 1;
	int ret = nsc_send(c, &c->ns, c->child, KNOT_RRTYPE_NS);
	if (ret != 0) {
		nsc_free(c);
		return ret;
	}
	*out = c;
	return HS_EOK;
}
