/*
 * agentd/ddnsd.c -- the parent role of agentd on the network: listener,
 * DS check look-up, TSIG UPDATE to the real primary, key bootstrap
 * look-ups, trust store on disk. The decisions are parent.c's and
 * trust.c's; see agentd/ddns.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/parent.h"
#include "agentd/publish.h"
#include "agentd/trust.h"
#include "common/log.h"
#include "common/net.h"
#include "common/xfr.h"
#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"

#define DDNS_TIMEOUT_MS 3000
#define DDNS_MAX_NS 8
#define DDNS_MAX_ADDRS 16
#define DDNS_ROUNDS_FACTOR 3

/* ---- configuration ------------------------------------------------------------- */

static const hs_conf_opt_t primary_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = NULL }
};

const hs_conf_rule_t agd_ddns_parent_rules[] = {
	{ .keyword = "listen", .flags = HS_CONF_REQUIRED | HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = hs_conf_opts_port },
	{ .keyword = "key", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_STRING } },
	{ .keyword = "primary", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = primary_opts },
	{ .keyword = "target", .min = 1, .max = 1, .kind = { HS_CONF_NAME } },
	{ .keyword = "publish-address", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR } },
	{ .keyword = "trust-store", .min = 1, .max = 1, .kind = { HS_CONF_STRING } },
	{ .keyword = "bootstrap-lookups", .min = 1, .max = 1, .kind = { HS_CONF_UINT } },
	{ .keyword = "bootstrap-interval", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } },
	{ .keyword = "bootstrap-port", .min = 1, .max = 1, .kind = { HS_CONF_PORT } },
	{ .keyword = NULL }
};

struct pcfg {
	knot_dname_storage_t zone;
	char zone_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	size_t nlisten;
	struct sockaddr_storage listen[AGD_MAX_ADDRS];
	size_t npublish;
	struct sockaddr_storage publish[AGD_MAX_ADDRS];
	hs_key_t *key;
	knot_dname_storage_t target;
	struct sockaddr_storage primary;
	char primary_txt[HS_ADDR_STRLEN];
	knot_tsig_key_t tsig;
	bool has_tsig;
	char *trust_path;
	unsigned lookups;
	uint32_t interval;
	uint16_t ns_port;
};

struct agd_ddns_cfg {
	size_t n;
	struct pcfg *p;
	agd_child_cfg_t *child;
	struct sockaddr_storage resolver;
	char resolver_txt[64];
	uint32_t skew;
	uint32_t ttl;
};

void agd_ddns_cfg_free(agd_ddns_cfg_t *dc)
{
	if (dc == NULL) {
		return;
	}
	for (size_t i = 0; i < dc->n; i++) {
		hs_key_free(dc->p[i].key);
		if (dc->p[i].has_tsig) {
			knot_tsig_key_deinit(&dc->p[i].tsig);
		}
		free(dc->p[i].trust_path);
	}
	free(dc->p);
	agd_child_cfg_free(dc->child);
	free(dc);
}

static int pcfg_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct pcfg *p,
                     char *err, size_t errlen)
{
	const hs_conf_stmt_t *s;
	int ret = hs_conf_name(blk, 0, p->zone, err, errlen);
	if (ret != 0) {
		return ret;
	}
	knot_dname_to_lower(p->zone);
	knot_dname_to_str(p->zone_txt, p->zone, sizeof(p->zone_txt));
	if (p->zone[0] == 0) {
		return hs_conf_error(blk, err, errlen, "parent: the root cannot be a parent here");
	}
	for (s = hs_conf_child(blk, "listen"); s; s = hs_conf_next(s, "listen")) {
		if (p->nlisten == AGD_MAX_ADDRS) {
			return hs_conf_error(s, err, errlen, "listen: more than %d", AGD_MAX_ADDRS);
		}
		if ((ret = hs_conf_addr(s, 0, 53, &p->listen[p->nlisten++], err, errlen)) != 0) {
			return ret;
		}
	}
	for (s = hs_conf_child(blk, "publish-address"); s; s = hs_conf_next(s, "publish-address")) {
		if (p->npublish == AGD_MAX_ADDRS) {
			return hs_conf_error(s, err, errlen, "publish-address: more than %d",
			                     AGD_MAX_ADDRS);
		}
		if ((ret = hs_conf_addr(s, 0, 0, &p->publish[p->npublish++], err, errlen)) != 0) {
			return ret;
		}
	}
	if (p->npublish == 0) {
		for (size_t i = 0; i < p->nlisten; i++) {
			p->publish[p->npublish++] = p->listen[i];
		}
	}
	s = hs_conf_child(blk, "key");
	char why[HS_KEY_WHY_SIZE] = "";
	ret = hs_key_load(hs_conf_str(s, 0), &p->key, why, sizeof(why));
	if (ret != 0) {
		return hs_conf_error(s, err, errlen, "key: %s", why[0] ? why : hs_strerror(ret));
	}
	if (!p->key->has_private) {
		return hs_conf_error(s, err, errlen, "key: %s: no private key", hs_conf_str(s, 0));
	}
	knot_dname_copy_lower(p->target, p->key->owner);
	if ((s = hs_conf_child(blk, "target")) != NULL) {
		if ((ret = hs_conf_name(s, 0, p->target, err, errlen)) != 0) {
			return ret;
		}
		knot_dname_to_lower(p->target);
	}
	s = hs_conf_child(blk, "primary");
	if ((ret = hs_conf_addr(s, 0, 53, &p->primary, err, errlen)) != 0) {
		return ret;
	}
	hs_addr_format((const struct sockaddr *)&p->primary, p->primary_txt,
	               sizeof(p->primary_txt));
	int k = hs_conf_opt(s, "key");
	if (k >= 0) {
		const knot_tsig_key_t *tk = NULL;
		for (size_t i = 0; tk == NULL && i < cfg->nkeyfiles; i++) {
			tk = hs_tsig_find_str(&cfg->keyfiles[i], hs_conf_str(s, k));
		}
		if (tk == NULL) {
			return hs_conf_error(s, err, errlen, "primary: key %s is in no tsig-key-file",
			                     hs_conf_str(s, k));
		}
		if (knot_tsig_key_copy(&p->tsig, tk) != 0) {
			return HS_ENOMEM;
		}
		p->has_tsig = true;
	}
	if ((s = hs_conf_child(blk, "trust-store")) != NULL) {
		p->trust_path = strdup(hs_conf_str(s, 0));
	} else if (asprintf(&p->trust_path, "%s/trust-%s", cfg->state_dir, p->zone_txt) < 0 ||
	           (p->trust_path = realloc(p->trust_path, strlen(p->trust_path) + 6)) == NULL) {
		p->trust_path = NULL;
	} else {
		strcat(p->trust_path, "json");
	}
	if (p->trust_path == NULL) {
		return HS_ENOMEM;
	}
	uint64_t v;
	p->lookups = HS_TRUST_NEEDED_DEFAULT;
	if ((s = hs_conf_child(blk, "bootstrap-lookups")) != NULL) {
		if ((ret = hs_conf_uint(s, 0, 1, 100, &v, err, errlen)) != 0) {
			return ret;
		}
		p->lookups = (unsigned)v;
	}
	p->interval = 60;
	if ((s = hs_conf_child(blk, "bootstrap-interval")) != NULL) {
		if ((ret = hs_conf_duration(s, 0, 1, 86400, &v, err, errlen)) != 0) {
			return ret;
		}
		p->interval = (uint32_t)v;
	}
	p->ns_port = 53;
	if ((s = hs_conf_child(blk, "bootstrap-port")) != NULL) {
		if ((ret = hs_conf_uint(s, 0, 1, 65535, &v, err, errlen)) != 0) {
			return ret;
		}
		p->ns_port = (uint16_t)v;
	}
	return 0;
}

int agd_ddns_cfg_load(const agd_cfg_t *cfg, agd_ddns_cfg_t **out, char *err, size_t errlen)
{
	*out = NULL;
	size_t n = 0;
	const hs_conf_stmt_t *s;
	for (s = hs_conf_first(cfg->conf, "parent"); s; s = hs_conf_next(s, "parent")) {
		n++;
	}
	agd_child_cfg_t *child = NULL;
	int cret = agd_child_cfg_load(cfg, &child, err, errlen);
	if (cret != 0) {
		return cret;
	}
	if (n == 0 && child == NULL) {
		return 0;
	}
	agd_ddns_cfg_t *dc = calloc(1, sizeof(*dc));
	if (dc == NULL || (dc->p = calloc(n ? n : 1, sizeof(*dc->p))) == NULL) {
		free(dc);
		agd_child_cfg_free(child);
		return HS_ENOMEM;
	}
	dc->child = child;
	dc->resolver = cfg->resolver;
	snprintf(dc->resolver_txt, sizeof(dc->resolver_txt), "%s", cfg->resolver_txt);
	dc->skew = cfg->skew;
	dc->ttl = cfg->publish_ttl;
	for (s = hs_conf_first(cfg->conf, "parent"); s; s = hs_conf_next(s, "parent")) {
		int ret = pcfg_load(cfg, s, &dc->p[dc->n++], err, errlen);
		if (ret != 0) {
			agd_ddns_cfg_free(dc);
			return ret;
		}
	}
	*out = dc;
	return 0;
}

/* ---- records to publish ---------------------------------------------------------- */

static int append(char **buf, const char *text)
{
	size_t a = *buf ? strlen(*buf) : 0, b = strlen(text);
	char *t = realloc(*buf, a + b + 1);
	if (t == NULL) {
		return HS_ENOMEM;
	}
	memcpy(t + a, text, b + 1);
	*buf = t;
	return 0;
}

int agd_ddns_publish(const agd_ddns_cfg_t *dc, char **out)
{
	char *buf = strdup("");
	if (buf == NULL) {
		return HS_ENOMEM;
	}
	for (size_t i = 0; dc != NULL && i < dc->n; i++) {
		const struct pcfg *p = &dc->p[i];
		uint16_t port = hs_addr_port((const struct sockaddr *)&p->publish[0]);
		if (port == 0) {
			port = hs_addr_port((const struct sockaddr *)&p->listen[0]);
		}
		hs_dsync_t ds = { .rrtype = KNOT_RRTYPE_ANY, .scheme = HS_DSYNC_SCHEME_UPDATE,
		                  .port = port };
		knot_dname_copy_lower(ds.target, p->target);
		uint8_t rd[KNOT_DNAME_MAXLEN + 8];
		size_t rdlen = 0;
		char pres[512], gen[1100], target[KNOT_DNAME_TXT_MAXLEN + 1], line[8192];
		int ret = hs_dsync_to_wire(&ds, rd, sizeof(rd), &rdlen);
		if (ret == 0) {
			ret = hs_dsync_to_text(&ds, pres, sizeof(pres));
		}
		if (ret == 0) {
			ret = hs_rr_rdata_to_generic(rd, rdlen, gen, sizeof(gen));
		}
		if (ret != 0) {
			free(buf);
			return ret;
		}
		knot_dname_to_str(target, p->target, sizeof(target));
		snprintf(line, sizeof(line),
		         "; parent %s: delegation UPDATEs to %s port %u (publish in the signed zone)\n"
		         "; *._dsync.%s %u IN DSYNC %s\n*._dsync.%s %u IN TYPE%u %s\n",
		         p->zone_txt, target, port, p->zone_txt, dc->ttl, pres, p->zone_txt,
		         dc->ttl, HS_RRTYPE_DSYNC, gen);
		hs_publish_t pub = {
			.identity = p->target, .host = p->target, .port = port,
			.addrs = p->publish, .naddrs = p->npublish, .key = p->key, .ttl = dc->ttl,
		};
		char *svcb = NULL, *key = NULL;
		ret = hs_publish_svcb(&pub, &svcb);
		if (ret == 0) {
			pub.host = p->key->owner;
			ret = hs_publish_key(&pub, &key);
		}
		if (ret == 0 && (append(&buf, line) != 0 || append(&buf, svcb) != 0 ||
		                 append(&buf, key) != 0)) {
			ret = HS_ENOMEM;
		}
		free(svcb);
		free(key);
		if (ret != 0) {
			free(buf);
			return ret;
		}
	}
	*out = buf;
	return 0;
}

/* ---- runtime ------------------------------------------------------------------------ */

struct parent;

/* One received UPDATE on its way: DS check look-up, then the primary. */
struct job {
	struct job *next;
	struct parent *p;
	hs_net_req_t *req;
	char peer[HS_ADDR_STRLEN];
	uint8_t *wire;
	size_t len;
	hs_parent_result_t r;
	char child[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_pkt_t *q;          /* the query or UPDATE in flight */
	hs_tsig_ctx_t tsig;
	hs_net_query_t *nq;
};

/* One bootstrap look-up of one PENDING key. */
struct boot;
struct bq {
	struct boot *b;
	hs_net_query_t *nq;
	int kind;               /* 0 resolver KEY, 1 resolver NS, 2 resolver A/AAAA, 3 NS KEY */
	uint8_t *ans;
	size_t alen;
	bool done;
	int err;
};

#define BOOT_MAXQ (2 * DDNS_MAX_ADDRS + DDNS_MAX_NS * 2)

struct boot {
	uv_timer_t timer;       /* first: its close callback frees the boot */
	struct boot *next;
	struct parent *p;
	knot_dname_storage_t child;
	char child_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	uint8_t rdata[1024];
	size_t rdlen;
	uint16_t keytag;
	unsigned rounds;
	bool timer_on;
	int stage;              /* 0 idle, 1 KEY at resolver, 2 NS, 3 addresses, 4 KEY at NS */
	size_t nq, pending;
	struct bq q[BOOT_MAXQ];
	size_t naddrs;
	struct sockaddr_storage addrs[DDNS_MAX_ADDRS];
};

struct parent {
	struct agd_ddns *d;
	struct pcfg *c;
	hs_trust_t *trust;
	hs_parent_conf_t pc;
	hs_net_server_t *srv;
	struct job *jobs;
	struct boot *boots;
};

struct agd_ddns {
	uv_loop_t *loop;
	agd_ddns_cfg_t *cfg;
	size_t n;
	struct parent *p;
	agd_child_t *child;
};

static const char *rcode_name(unsigned rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, (int)rcode);
	return l != NULL ? l->name : "RCODE?";
}

static int save_trust(struct parent *p)
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

static void job_free(struct job *j)
{
	for (struct job **pp = &j->p->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	if (j->nq != NULL) {
		hs_net_cancel(j->nq);
	}
	if (j->req != NULL) {
		hs_net_done(j->req);
	}
	knot_pkt_free(j->q);
	hs_parent_result_clear(&j->r);
	free(j->wire);
	free(j);
}

/* Answer the request with j->r (as it stands now) and free the job. */
static void job_answer(struct job *j)
{
	knot_pkt_t *resp = NULL;
	int ret = hs_parent_response(&j->p->pc, j->wire, j->len, &j->r, &resp);
	if (ret == 0) {
		hs_net_reply(j->req, resp->wire, resp->size);
		j->req = NULL;
	} else {
		hs_log_code(HS_LOG_ERROR, ret, j->p->c->zone_txt, j->peer, "cannot build the response");
	}
	knot_pkt_free(resp);
	job_free(j);
}

static void job_refuse(struct job *j, uint8_t rcode, const char *fmt, const char *arg)
{
	j->r.verdict = HS_PARENT_REFUSED;
	j->r.rcode = rcode;
	snprintf(j->r.reason, sizeof(j->r.reason), fmt, arg);
	hs_log(HS_LOG_WARNING, j->p->c->zone_txt, j->peer, "UPDATE from %s refused (%s): %s",
	       j->child, rcode_name(rcode), j->r.reason);
	job_answer(j);
}

static void log_change(struct job *j, const hs_chg_t *c)
{
	char owner[KNOT_DNAME_TXT_MAXLEN + 1], type[32], data[2048] = "";
	knot_dname_to_str(owner, c->owner, sizeof(owner));
	knot_rrtype_to_string(c->type, type, sizeof(type));
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
	struct job *j = arg;
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
		j->r.ede = -1;
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

static void to_primary(struct job *j)
{
	knot_pkt_free(j->q);
	j->q = NULL;
	struct pcfg *c = j->p->c;
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
		job_answer(j);
	}
}

static void dnskey_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct job *j = arg;
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
	/* a parsed packet has one rrset per RR: gather the DNSKEY RRset */
	knot_rrset_t keys;
	knot_rrset_init(&keys, j->r.child, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, 0);
	const knot_rrset_t *dnskey = NULL;
	uint8_t rc = knot_wire_get_rcode(msg);
	if (knot_wire_get_ad(msg) && rc == KNOT_RCODE_NOERROR) {
		const knot_pktsection_t *an = knot_pkt_section(a, KNOT_ANSWER);
		for (uint16_t i = 0; i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->type != KNOT_RRTYPE_DNSKEY || !knot_dname_is_case_equal(rr->owner, j->r.child)) {
				continue;
			}
			knot_rdata_t *rd = rr->rrs.rdata;
			for (uint16_t k = 0; k < rr->rrs.count; k++, rd = knot_rdataset_next(rd)) {
				if (knot_rdataset_add(&keys.rrs, rd, NULL) == 0) {
					dnskey = &keys;
				}
			}
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
		j->r.ede = -1;
		j->r.error = ret;
		job_refuse(j, KNOT_RCODE_REFUSED, "DS check: %s", why[0] ? why : hs_strerror(ret));
		return;
	}
	to_primary(j);
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

static void boot_start(struct parent *p, const knot_dname_t *child);

static void on_update(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	struct parent *p = arg;
	struct job *j = calloc(1, sizeof(*j));
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
		if (j->r.keys_added > 0 && save_trust(p) != 0) {
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
		boot_start(p, child);
		return;
	case HS_PARENT_APPLY:
		break;
	}
	if (!adds_ds(&j->r.changes)) {
		to_primary(j);
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

static void boot_free(struct boot *b)
{
	for (struct boot **pp = &b->p->boots; *pp; pp = &(*pp)->next) {
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

static void boot_reset_queries(struct boot *b)
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

static void boot_round(struct boot *b);

static void boot_timer_cb(uv_timer_t *t)
{
	struct boot *b = t->data;
	if (b != NULL) {
		boot_round(b);
	}
}

/* Not settled this round: again after the interval, or give up to the operator. */
static void boot_later(struct boot *b, const char *why)
{
	struct parent *p = b->p;
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
			(void)save_trust(p);
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

static void boot_trusted(struct boot *b, const char *how)
{
	hs_log(HS_LOG_NOTICE, b->p->c->zone_txt, b->child_txt, "key %u of %s now trusted (%s)",
	       b->keytag, b->child_txt, how);
	(void)save_trust(b->p);
	boot_free(b);
}

static void boot_stage(struct boot *b);

static void bq_cb(int err, const uint8_t *msg, size_t len, void *arg)
{
	struct bq *q = arg;
	struct boot *b = q->b;
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

static int boot_send(struct boot *b, int kind, const struct sockaddr *to, const knot_dname_t *qn,
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
	struct bq *q = &b->q[b->nq];
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

static void boot_round(struct boot *b)
{
	struct parent *p = b->p;
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

static void boot_stage(struct boot *b)
{
	struct parent *p = b->p;
	const struct sockaddr *res = (const struct sockaddr *)&p->d->cfg->resolver;
	char why[256];
	int ret;
	if (b->stage == 1) {
		struct bq *q = &b->q[0];
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
		struct bq *q = &b->q[0];
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
		(void)save_trust(p);
		snprintf(why, sizeof(why), "%s round at %zu addresses over UDP and TCP (%u of %u)",
		         ret == 0 && e != NULL && e->confirmations > 0 ? "consistent" : "inconsistent",
		         b->naddrs, e != NULL ? e->confirmations : 0, p->c->lookups);
		boot_later(b, why);
	}
}

/* Look-ups for every PENDING key of CHILD that has none running. */
static void boot_start(struct parent *p, const knot_dname_t *child)
{
	for (size_t i = 0; i < hs_trust_count(p->trust); i++) {
		const hs_trust_entry_t *e = hs_trust_get(p->trust, i);
		if (e->state != HS_TRUST_PENDING || !knot_dname_is_case_equal(e->child, child) ||
		    e->key->rdata.size > sizeof(((struct boot *)0)->rdata)) {
			continue;
		}
		bool running = false;
		for (struct boot *b = p->boots; b && !running; b = b->next) {
			running = knot_dname_is_case_equal(b->child, child) && b->rdlen == e->key->rdata.size &&
			          memcmp(b->rdata, e->key->rdata.data, b->rdlen) == 0;
		}
		if (running) {
			continue;
		}
		struct boot *b = calloc(1, sizeof(*b));
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

/* ---- start, stop, control ----------------------------------------------------------------- */

int agd_ddns_start(uv_loop_t *loop, agd_cfg_t *cfg, agd_ddns_t **out, char *why, size_t whylen)
{
	*out = NULL;
	if (cfg->ddns == NULL) {
		return 0;
	}
	agd_ddns_t *d = calloc(1, sizeof(*d));
	if (d == NULL || (d->p = calloc(cfg->ddns->n ? cfg->ddns->n : 1, sizeof(*d->p))) == NULL) {
		free(d);
		return HS_ENOMEM;
	}
	d->loop = loop;
	d->cfg = cfg->ddns;
	cfg->ddns = NULL;
	for (size_t i = 0; i < d->cfg->n; i++) {
		struct parent *p = &d->p[d->n++];
		p->d = d;
		p->c = &d->cfg->p[i];
		int ret = hs_trust_new(p->c->lookups, &p->trust);
		if (ret == 0) {
			ret = hs_trust_load(p->trust, p->c->trust_path, why, whylen);
			if (ret == HS_ENOTFOUND) {
				ret = 0;
			} else if (ret == 0) {
				hs_log(HS_LOG_NOTICE, p->c->zone_txt, NULL, "%zu keys restored from %s",
				       hs_trust_count(p->trust), p->c->trust_path);
			}
		}
		p->pc.zone = p->c->zone;
		p->pc.trust = p->trust;
		p->pc.key = p->c->key;
		p->pc.sig0.skew = d->cfg->skew;
		if (ret == 0) {
			ret = hs_net_server_new(loop, NULL, on_update, p, &p->srv);
		}
		for (size_t k = 0; ret == 0 && k < p->c->nlisten; k++) {
			char t[HS_ADDR_STRLEN];
			hs_addr_format((const struct sockaddr *)&p->c->listen[k], t, sizeof(t));
			ret = hs_net_server_listen(p->srv, (const struct sockaddr *)&p->c->listen[k],
			                           HS_NET_UDP | HS_NET_TCP, NULL);
			if (ret != 0) {
				snprintf(why, whylen, "parent %s: listen %s: %s", p->c->zone_txt, t,
				         hs_strerror(ret));
			} else {
				hs_log(HS_LOG_INFO, p->c->zone_txt, NULL,
				       "UPDATE receiver on %s, primary %s, trust store %s", t,
				       p->c->primary_txt, p->c->trust_path);
			}
		}
		if (ret != 0) {
			agd_ddns_stop(d);
			return ret;
		}
		/* keys left pending by the last run: look them up again */
		for (size_t k = 0; k < hs_trust_count(p->trust); k++) {
			const hs_trust_entry_t *e = hs_trust_get(p->trust, k);
			if (e->state == HS_TRUST_PENDING && !e->manual_needed) {
				boot_start(p, e->child);
			}
		}
	}
	int ret = agd_child_start(loop, d->cfg->child, cfg, &d->child);
	d->cfg->child = NULL;      /* taken over, even on error */
	if (ret != 0) {
		snprintf(why, whylen, "child role: %s", hs_strerror(ret));
		agd_ddns_stop(d);
		return ret;
	}
	*out = d;
	return 0;
}

void agd_ddns_attach(agd_ddns_t *d, const agd_zones_t *zones, const hs_peers_t *peers)
{
	if (d != NULL) {
		agd_child_attach(d->child, zones, peers);
	}
}

void agd_ddns_notify(agd_ddns_t *d, const knot_dname_t *zone)
{
	if (d != NULL) {
		agd_child_notify(d->child, zone);
	}
}

void agd_ddns_stop(agd_ddns_t *d)
{
	if (d == NULL) {
		return;
	}
	agd_child_stop(d->child);
	for (size_t i = 0; i < d->n; i++) {
		struct parent *p = &d->p[i];
		while (p->jobs != NULL) {
			job_free(p->jobs);
		}
		while (p->boots != NULL) {
			boot_free(p->boots);
		}
		hs_net_server_close(p->srv);
		hs_trust_free(p->trust);
	}
	free(d->p);
	agd_ddns_cfg_free(d->cfg);
	free(d);
}

static json_t *trust_json(agd_ddns_t *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < d->n; i++) {
		struct parent *p = &d->p[i];
		for (size_t k = 0; k < hs_trust_count(p->trust); k++) {
			const hs_trust_entry_t *e = hs_trust_get(p->trust, k);
			char child[KNOT_DNAME_TXT_MAXLEN + 1];
			knot_dname_to_str(child, e->child, sizeof(child));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:i, s:b}",
			                      "parent", p->c->zone_txt, "child", child,
			                      "keytag", e->keytag, "algorithm", e->algorithm,
			                      "state", hs_trust_state_name(e->state),
			                      "via", hs_trust_via_name(e->via),
			                      "confirmations", (int)e->confirmations,
			                      "manual_needed", e->manual_needed));
		}
	}
	return json_pack("{s:o}", "keys", arr ? arr : json_array());
}

json_t *agd_ddns_control(agd_ddns_t *d, const char *cmd)
{
	char verb[16], name[KNOT_DNAME_TXT_MAXLEN + 1];
	unsigned tag;
	int n = sscanf(cmd, "%15s %255s %u", verb, name, &tag);
	if (n < 1 || (strcmp(verb, "trust") != 0 && strcmp(verb, "refuse") != 0)) {
		return NULL;
	}
	if (d == NULL) {
		return json_pack("{s:s}", "error", "no parent configured");
	}
	if (n == 1 && strcmp(verb, "trust") == 0) {
		return trust_json(d);
	}
	if (n != 3 || tag > 65535) {
		return json_pack("{s:s}", "error", "usage: trust|refuse CHILD KEYTAG");
	}
	knot_dname_storage_t child;
	if (knot_dname_from_str(child, name, sizeof(child)) == NULL) {
		return json_pack("{s:s}", "error", "bad child name");
	}
	knot_dname_to_lower(child);
	unsigned done = 0;
	int last = 0;
	time_t now = time(NULL);
	for (size_t i = 0; i < d->n; i++) {
		struct parent *p = &d->p[i];
		bool changed = false;
		for (size_t k = 0; k < hs_trust_count(p->trust);) {
			const hs_trust_entry_t *e = hs_trust_get(p->trust, k);
			if (!knot_dname_is_case_equal(e->child, child) || e->keytag != tag ||
			    e->state == (strcmp(verb, "trust") == 0 ? HS_TRUST_TRUSTED : HS_TRUST_REFUSED)) {
				k++;
				continue;
			}
			uint8_t rd[1024];
			size_t len = e->key->rdata.size < sizeof(rd) ? e->key->rdata.size : sizeof(rd);
			memcpy(rd, e->key->rdata.data, len);
			last = strcmp(verb, "trust") == 0 ? hs_trust_manual(p->trust, child, rd, len, now) :
			       hs_trust_refuse(p->trust, child, rd, len, now);
			if (last == 0) {
				done++;
				changed = true;
				hs_log(HS_LOG_NOTICE, p->c->zone_txt, name, "key %u of %s %s by the operator",
				       tag, name, strcmp(verb, "trust") == 0 ? "trusted" : "refused");
				k = 0;     /* the store may have changed order */
				continue;
			}
			k++;
		}
		if (changed && save_trust(p) != 0) {
			return json_pack("{s:s}", "error", "trust store not saved");
		}
	}
	if (done == 0) {
		return json_pack("{s:s}", "error", last != 0 ? hs_strerror(last) :
		                 "no such key (or already in that state)");
	}
	return json_pack("{s:i}", "ok", (int)done);
}
