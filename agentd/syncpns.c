/*
 * agentd/syncpns.c -- the parent's NS for a zone of syncd, read where only
 * the parent answers (HS_PROC_DO_PARENT_NS): ZONE DS through the resolver
 * names the parent zone; its servers are those given by
 * `parent-nameserver PARENT ADDRESS`, else the parent's NS names and their
 * A and AAAA through the resolver (port 53); then ZONE NS without
 * recursion to one server after the other until one tells (agentd/pns.h).
 * The NS found (or NULL: no delegation) goes to hs_proc_parent_ns(); when
 * nothing is learned the process asks again at its next poll. The server
 * that told is remembered: the next poll asks it first, and only when it
 * does not tell is the parent found again. One look-up per zone at a
 * time. Every step is logged at info level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/agentd.h"
#include "agentd/pns.h"
#include "agentd/process.h"
#include "agentd/resolve.h"
#include "agentd/syncdint.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "libhsync/error.h"

#define PNS_MAX_NAMES 8
#define PNS_MAX_ADDRS 16
#define PNS_TIMEOUT_MS 1500

enum pstep { P_DS, P_NSNAMES, P_A, P_AAAA, P_ASK };

struct agd_pns {
	agd_syncd_t *sd;
	struct szone *z;
	enum pstep step;
	knot_pkt_t *pkt;                /* the query in flight */
	hs_net_query_t *nq;
	char to[64];                    /* where it went */
	knot_dname_storage_t parent;
	char ptxt[KNOT_DNAME_TXT_MAXLEN + 1];
	bool configured;                /* addresses from parent-nameserver */
	bool remembered;                /* asking the server that told last time */
	knot_dname_storage_t names[PNS_MAX_NAMES];
	size_t nnames, name;            /* the parent's NS names; the one in use */
	struct sockaddr_storage addrs[PNS_MAX_ADDRS];
	size_t naddrs, next;            /* addresses of that name (or configured); next to ask */
};

/* The NS names of NS as one line of text into BUF. */
static const char *ns_list(const knot_rrset_t *ns, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	knot_rdata_t *rd = ns != NULL ? ns->rrs.rdata : NULL;
	for (uint16_t i = 0; ns != NULL && i < ns->rrs.count && o < size; i++, rd = knot_rdataset_next(rd)) {
		char t[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(t, knot_ns_name(rd), sizeof(t));
		int n = snprintf(buf + o, size - o, "%s%s", o ? " " : "", t);
		o += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

static void pns_free(struct agd_pns *l)
{
	if (l->nq != NULL) {
		hs_net_cancel(l->nq);
	}
	knot_pkt_free(l->pkt);
	if (l->z != NULL && l->z->pns == l) {
		l->z->pns = NULL;
	}
	free(l);
}

void agd_syncd_parent_ns_cancel(struct szone *z)
{
	if (z->pns != NULL) {
		pns_free(z->pns);
	}
}

static void fail(struct agd_pns *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct agd_pns *l, const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	hs_log(HS_LOG_INFO, l->z->txt, NULL, "parent NS not learned: %s; again at the next poll", why);
	pns_free(l);
}

static void pns_cb(int err, const uint8_t *msg, size_t len, void *arg);

/* Ask TO for QNAME QTYPE: through the resolver (RD, DO) or a parent's server (no RD). */
static int ask(struct agd_pns *l, const knot_dname_t *qname, uint16_t qtype,
               const struct sockaddr *to, bool rd)
{
	knot_pkt_free(l->pkt);
	l->pkt = NULL;
	int ret;
	if (rd) {
		ret = hs_resolve_query_new(qname, qtype, &l->pkt);
	} else {
		l->pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		ret = l->pkt == NULL ? HS_ENOMEM : hs_xfr_query(l->pkt, qname, qtype, NULL, NULL, NULL);
	}
	if (ret != 0) {
		return ret;
	}
	hs_addr_format(to, l->to, sizeof(l->to));
	struct hs_net_query_opts qo = { .timeout_ms = PNS_TIMEOUT_MS, .retries = 1 };
	return hs_net_query(l->sd->loop, to, l->pkt->wire, l->pkt->size, &qo, pns_cb, l, &l->nq);
}

static void next_name(struct agd_pns *l);
static void find_parent(struct agd_pns *l);

/* The next address of the parent's servers; the next NS name when none is left. */
static void next_addr(struct agd_pns *l)
{
	while (l->next < l->naddrs) {
		const struct sockaddr *to = (const struct sockaddr *)&l->addrs[l->next++];
		l->step = P_ASK;
		int ret = ask(l, l->z->name, KNOT_RRTYPE_NS, to, false);
		if (ret == 0) {
			return;
		}
		hs_log_code(HS_LOG_INFO, ret, l->z->txt, NULL, "parent NS: query to %s not sent", l->to);
	}
	if (l->remembered) {
		hs_log(HS_LOG_INFO, l->z->txt, NULL, "parent NS: %s at %s no longer tells; finding "
		       "the parent's servers again", l->ptxt, l->to);
		l->z->pns_known = false;
		find_parent(l);
		return;
	}
	if (l->configured) {
		fail(l, "no parent-nameserver of %s told", l->ptxt);
		return;
	}
	l->name++;
	next_name(l);
}

/* Addresses of the parent's next NS name, through the resolver. */
static void next_name(struct agd_pns *l)
{
	const agd_cfg_t *cfg = CFG(l->sd);
	if (l->name >= l->nnames) {
		fail(l, "no server of %s told", l->ptxt);
		return;
	}
	l->naddrs = 0;
	l->next = 0;
	l->step = P_A;
	int ret = ask(l, l->names[l->name], KNOT_RRTYPE_A, (const struct sockaddr *)&cfg->resolver, true);
	if (ret != 0) {
		fail(l, "A query to resolver %s not sent: %s", cfg->resolver_txt, hs_strerror(ret));
	}
}

/* The parent zone is known: its servers given by hand, or its NS names through the resolver. */
static void have_parent(struct agd_pns *l)
{
	const agd_cfg_t *cfg = CFG(l->sd);
	knot_dname_to_str(l->ptxt, l->parent, sizeof(l->ptxt));
	for (size_t i = 0; i < cfg->nparentns && l->naddrs < PNS_MAX_ADDRS; i++) {
		if (knot_dname_is_case_equal(cfg->parentns[i].zone, l->parent)) {
			l->addrs[l->naddrs++] = cfg->parentns[i].addr;
		}
	}
	if (l->naddrs > 0) {
		l->configured = true;
		hs_log(HS_LOG_INFO, l->z->txt, NULL, "parent NS: the parent zone is %s (DS answer from "
		       "resolver %s); asking its %zu configured parent-nameserver address%s",
		       l->ptxt, cfg->resolver_txt, l->naddrs, l->naddrs == 1 ? "" : "es");
		next_addr(l);
		return;
	}
	l->step = P_NSNAMES;
	int ret = ask(l, l->parent, KNOT_RRTYPE_NS, (const struct sockaddr *)&cfg->resolver, true);
	if (ret != 0) {
		fail(l, "NS query for %s to resolver %s not sent: %s", l->ptxt, cfg->resolver_txt,
		     hs_strerror(ret));
	}
}

/* The NS names of the parent zone from the resolver's answer. */
static void have_names(struct agd_pns *l, const knot_pkt_t *p)
{
	knot_rrset_t rr;
	if (hs_resolve_answer(p, l->parent, KNOT_RRTYPE_NS, &rr) != HS_EOK) {
		fail(l, "resolver %s has no NS for %s", l->to, l->ptxt);
		return;
	}
	char list[512];
	knot_rdata_t *rd = rr.rrs.rdata;
	for (uint16_t i = 0; i < rr.rrs.count && l->nnames < PNS_MAX_NAMES; i++, rd = knot_rdataset_next(rd)) {
		knot_dname_copy_lower(l->names[l->nnames++], knot_ns_name(rd));
	}
	hs_log(HS_LOG_INFO, l->z->txt, NULL, "parent NS: the parent zone is %s, its servers %s "
	       "(resolver %s)", l->ptxt, ns_list(&rr, list, sizeof(list)), l->to);
	knot_rdataset_clear(&rr.rrs, NULL);
	l->name = 0;
	next_name(l);
}

static void done(struct agd_pns *l, knot_rrset_t *ns, hs_pns_kind_t kind)
{
	char list[512];
	hs_log(HS_LOG_INFO, l->z->txt, NULL, "parent NS: %s at %s (%s, no recursion): %s%s%s",
	       l->ptxt, l->to, hs_pns_kind_name(kind), ns != NULL ? "NS " : "none",
	       ns_list(ns, list, sizeof(list)),
	       kind == HS_PNS_ANSWER ? " (the server is authoritative for the zone too)" : "");
	struct szone *z = l->z;
	/* next poll: this server first */
	z->pns_known = true;
	knot_dname_copy_lower(z->pns_parent, l->parent);
	z->pns_server = l->addrs[l->next - 1];
	int ret = hs_proc_parent_ns(z->proc, ns, time(NULL));
	if (ret < 0) {
		hs_log_code(HS_LOG_WARNING, ret, z->txt, NULL, "parent NS for the process");
	}
	z->kick = true;
}

static void pns_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct agd_pns *l = arg;
	l->nq = NULL;
	agd_syncd_t *sd = l->sd;
	struct szone *z = l->z;
	uint16_t rcode = 0;
	int ret = err != 0 ? err : hs_xfr_check_answer(msg, len, l->pkt, NULL, &rcode, NULL);
	bool nx = ret == HS_EXFR_RCODE && rcode == KNOT_RCODE_NXDOMAIN;
	knot_pkt_t *p = NULL;
	if (ret == 0 || nx) {
		p = knot_pkt_new((void *)msg, len, NULL);
		if (p == NULL || knot_pkt_parse(p, 0) != KNOT_EOK) {
			ret = HS_EMSG;
			nx = false;
		}
	}
	char rc[32] = "";
	if (ret == HS_EXFR_RCODE) {
		const knot_lookup_t *lk = knot_lookup_by_id(knot_rcode_names, rcode);
		snprintf(rc, sizeof(rc), " (%s)", lk != NULL ? lk->name : "?");
	}
	switch (l->step) {
	case P_DS:
		if (ret != 0 && !nx) {
			fail(l, "DS look-up at resolver %s: %s%s", l->to, hs_strerror(ret), rc);
		} else if (hs_pns_parent_zone(p, z->name, l->parent) != HS_EOK) {
			fail(l, "the DS answer from resolver %s names no parent zone (no RRSIG(DS), no SOA)",
			     l->to);
		} else {
			have_parent(l);
		}
		break;
	case P_NSNAMES:
		if (ret != 0) {
			fail(l, "NS look-up for %s at resolver %s: %s%s", l->ptxt, l->to, hs_strerror(ret), rc);
		} else {
			have_names(l, p);
		}
		break;
	case P_A:
	case P_AAAA: {
		char nt[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(nt, l->names[l->name], sizeof(nt));
		uint16_t t = l->step == P_A ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;
		if (ret == 0) {
			(void)hs_pns_addrs(p, l->names[l->name], t, 53, l->addrs, PNS_MAX_ADDRS, &l->naddrs);
		} else {
			hs_log_code(HS_LOG_INFO, ret, z->txt, NULL, "parent NS: %s %s at resolver %s%s", nt,
			            t == KNOT_RRTYPE_A ? "A" : "AAAA", l->to, rc);
		}
		if (l->step == P_A) {
			l->step = P_AAAA;
			ret = ask(l, l->names[l->name], KNOT_RRTYPE_AAAA,
			          (const struct sockaddr *)&CFG(sd)->resolver, true);
			if (ret != 0) {
				fail(l, "AAAA query to resolver not sent: %s", hs_strerror(ret));
			}
			break;
		}
		if (l->naddrs == 0) {
			hs_log(HS_LOG_INFO, z->txt, NULL, "parent NS: %s (server of %s) has no address",
			       nt, l->ptxt);
		}
		next_addr(l);
		break;
	}
	case P_ASK: {
		knot_rrset_t *ns = NULL;
		hs_pns_kind_t kind = HS_PNS_NONE;
		int r2 = ret == 0 || nx ? hs_pns_referral(p, z->name, &ns, &kind) : ret;
		if (r2 == HS_EOK) {
			done(l, ns, kind);
			knot_rrset_free(ns, NULL);
			pns_free(l);
			break;
		}
		if (r2 == HS_ENOTFOUND) {
			hs_log(HS_LOG_INFO, z->txt, NULL, "parent NS: %s at %s does not tell (no NS for the "
			       "zone, not authoritative%s); trying the next server", l->ptxt, l->to, rc);
		} else {
			hs_log_code(HS_LOG_INFO, r2, z->txt, NULL, "parent NS: %s at %s%s; trying the next server",
			            l->ptxt, l->to, rc);
		}
		next_addr(l);
		break;
	}
	}
	knot_pkt_free(p);
	if (z->kick) {
		agd_syncd_tick(sd);
	}
}

void agd_syncd_parent_ns(agd_syncd_t *sd, struct szone *z)
{
	if (z->pns != NULL) {
		return;   /* the last one is still out: it answers for this poll too */
	}
	struct agd_pns *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		hs_log_code(HS_LOG_WARNING, HS_ENOMEM, z->txt, NULL, "parent NS look-up");
		return;
	}
	l->sd = sd;
	l->z = z;
	z->pns = l;
	if (z->pns_known) {
		l->remembered = true;
		memcpy(l->parent, z->pns_parent, knot_dname_size(z->pns_parent));
		knot_dname_to_str(l->ptxt, l->parent, sizeof(l->ptxt));
		l->addrs[0] = z->pns_server;
		l->naddrs = 1;
		next_addr(l);
		return;
	}
	find_parent(l);
}

/* From the start: the parent zone from ZONE DS through the resolver. */
static void find_parent(struct agd_pns *l)
{
	const agd_cfg_t *cfg = CFG(l->sd);
	l->remembered = false;
	l->naddrs = l->next = 0;
	l->nnames = l->name = 0;
	l->step = P_DS;
	int ret = ask(l, l->z->name, KNOT_RRTYPE_DS, (const struct sockaddr *)&cfg->resolver, true);
	if (ret != 0) {
		fail(l, "DS query to resolver %s not sent: %s", cfg->resolver_txt, hs_strerror(ret));
	}
}
