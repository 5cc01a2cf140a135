/*
 * agentd/ddnsreload.c -- SIGHUP for delegation management (agentd/ddns.h):
 * the parent and child blocks of the new configuration against the
 * running ones, by zone. Added blocks start, removed ones stop, changed
 * ones restart, unchanged ones keep running untouched. A changed parent
 * keeps its listeners unless its listen addresses changed, and if new
 * ones cannot be bound the old block keeps running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "agentd/childint.h"
#include "agentd/ddns.h"
#include "common/addr.h"
#include "common/log.h"
#include "common/net.h"
#include "libhsync/error.h"

/* ---- equality (pure) ------------------------------------------------------------- */

bool agd_tsig_equal(const knot_tsig_key_t *a, bool has_a, const knot_tsig_key_t *b, bool has_b)
{
	if (has_a != has_b) {
		return false;
	}
	if (!has_a) {
		return true;
	}
	return a->algorithm == b->algorithm && a->name != NULL && b->name != NULL &&
	       knot_dname_is_case_equal(a->name, b->name) && a->secret.size == b->secret.size &&
	       (a->secret.size == 0 || memcmp(a->secret.data, b->secret.data, a->secret.size) == 0);
}

bool agd_key_equal(const hs_key_t *a, const hs_key_t *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return a->algorithm == b->algorithm && a->has_private == b->has_private &&
	       a->owner != NULL && b->owner != NULL && knot_dname_is_case_equal(a->owner, b->owner) &&
	       a->rdata.size == b->rdata.size &&
	       (a->rdata.size == 0 || memcmp(a->rdata.data, b->rdata.data, a->rdata.size) == 0);
}

static bool addrs_equal(const struct sockaddr_storage *a, size_t na,
                        const struct sockaddr_storage *b, size_t nb)
{
	if (na != nb) {
		return false;
	}
	for (size_t i = 0; i < na; i++) {
		if (!hs_addr_equal((const struct sockaddr *)&a[i], (const struct sockaddr *)&b[i])) {
			return false;
		}
	}
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

bool agd_pcfg_same_listen(const struct agd_pcfg *a, const struct agd_pcfg *b)
{
	return addrs_equal(a->listen, a->nlisten, b->listen, b->nlisten);
}

bool agd_pcfg_equal(const struct agd_pcfg *a, const struct agd_pcfg *b)
{
	return knot_dname_is_equal(a->zone, b->zone) && agd_pcfg_same_listen(a, b) &&
	       addrs_equal(a->publish, a->npublish, b->publish, b->npublish) &&
	       agd_key_equal(a->key, b->key) && knot_dname_is_equal(a->target, b->target) &&
	       hs_addr_equal((const struct sockaddr *)&a->primary,
	                     (const struct sockaddr *)&b->primary) &&
	       agd_tsig_equal(&a->tsig, a->has_tsig, &b->tsig, b->has_tsig) &&
	       str_equal(a->trust_path, b->trust_path) && a->lookups == b->lookups &&
	       a->interval == b->interval && a->ns_port == b->ns_port;
}

bool agd_ccfg_equal(const struct ccfg *a, const struct ccfg *b)
{
	return knot_dname_is_equal(a->zone, b->zone) &&
	       hs_addr_equal((const struct sockaddr *)&a->source,
	                     (const struct sockaddr *)&b->source) &&
	       agd_tsig_equal(&a->tsig, a->has_tsig, &b->tsig, b->has_tsig) &&
	       agd_key_equal(a->key, b->key) && knot_dname_is_equal(a->parent, b->parent) &&
	       a->mode == b->mode && a->ttl == b->ttl && a->refresh == b->refresh &&
	       a->bmin == b->bmin && a->bmax == b->bmax && str_equal(a->told_path, b->told_path) &&
	       a->kc.on == b->kc.on &&
	       (!a->kc.on || (hs_addr_equal((const struct sockaddr *)&a->kc.addr,
	                                    (const struct sockaddr *)&b->kc.addr) &&
	                      agd_tsig_equal(&a->kc.tsig, a->kc.has_tsig, &b->kc.tsig,
	                                     b->kc.has_tsig)));
}

/* ---- parents --------------------------------------------------------------------- */

static bool in_listen(const struct agd_pcfg *c, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < c->nlisten; i++) {
		if (hs_addr_equal((const struct sockaddr *)&c->listen[i], (const struct sockaddr *)a)) {
			return true;
		}
	}
	return false;
}

static void boots_restart(struct agd_parent *p)
{
	for (size_t k = 0; k < hs_trust_count(p->trust); k++) {
		const hs_trust_entry_t *e = hs_trust_get(p->trust, k);
		if (e->state == HS_TRUST_PENDING && !e->manual_needed) {
			agd_parent_boot_start(p, e->child);
		}
	}
}

/*
 * The running P takes the changed block C (moved in on success; cleared
 * either way). Everything that can fail is done before P is touched: the
 * new trust store loaded (after P's was saved) and, when the listen
 * addresses changed, the new ones that P does not hold bound. 0 or -1
 * (logged; P runs on as it was).
 */
static int parent_change(agd_ddns_t *d, struct agd_parent *p, struct agd_pcfg *c)
{
	char why[512] = "";
	bool rebind = !agd_pcfg_same_listen(p->c, c);
	hs_trust_t *t = NULL;
	hs_net_server_t *srv = NULL;
	(void)agd_parent_save_trust(p);
	int ret = hs_trust_new(c->lookups, &t);
	if (ret == 0) {
		ret = hs_trust_load(t, c->trust_path, why, sizeof(why));
		if (ret == HS_ENOTFOUND) {
			ret = 0;
		}
	}
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, p->c->zone_txt, NULL,
		            "reload: parent block changed but not applied: trust store %s: %s; "
		            "the old block keeps running", c->trust_path, why);
		goto fail;
	}
	if (rebind) {
		ret = hs_net_server_new(d->loop, NULL, agd_parent_on_update, p, &srv);
		for (size_t k = 0; ret == 0 && k < c->nlisten; k++) {
			if (in_listen(p->c, &c->listen[k])) {
				continue;       /* held by the old listeners: moved below */
			}
			ret = hs_net_server_listen(srv, (const struct sockaddr *)&c->listen[k],
			                           HS_NET_UDP | HS_NET_TCP, NULL);
			if (ret != 0) {
				hs_addr_format((const struct sockaddr *)&c->listen[k], why, sizeof(why));
			}
		}
		if (ret != 0) {
			hs_log_code(HS_LOG_ERROR, ret, p->c->zone_txt, NULL,
			            "reload: parent block changed but not applied: cannot listen on %s; "
			            "the old block keeps running", why[0] ? why : "?");
			goto fail;
		}
	}
	/* nothing can fail from here on: P takes C */
	agd_parent_clear(p);
	if (rebind) {
		hs_net_server_close(p->srv);
		p->srv = srv;
		for (size_t k = 0; k < c->nlisten; k++) {
			if (!in_listen(p->c, &c->listen[k])) {
				continue;
			}
			char a[HS_ADDR_STRLEN];
			hs_addr_format((const struct sockaddr *)&c->listen[k], a, sizeof(a));
			ret = hs_net_server_listen(srv, (const struct sockaddr *)&c->listen[k],
			                           HS_NET_UDP | HS_NET_TCP, NULL);
			if (ret != 0) {
				hs_log_code(HS_LOG_ERROR, ret, c->zone_txt, NULL,
				            "reload: cannot listen on %s again", a);
			}
		}
	}
	hs_trust_free(p->trust);
	p->trust = t;
	agd_pcfg_clear(&p->cfg);
	p->cfg = *c;
	memset(c, 0, sizeof(*c));
	p->c = &p->cfg;
	p->pc.zone = p->c->zone;
	p->pc.trust = p->trust;
	p->pc.key = p->c->key;
	for (size_t k = 0; k < p->c->nlisten; k++) {
		char a[HS_ADDR_STRLEN];
		hs_addr_format((const struct sockaddr *)&p->c->listen[k], a, sizeof(a));
		hs_log(HS_LOG_INFO, p->c->zone_txt, NULL,
		       "UPDATE receiver on %s, primary %s, trust store %s", a, p->c->primary_txt,
		       p->c->trust_path);
	}
	hs_log(HS_LOG_NOTICE, p->c->zone_txt, NULL,
	       "reload: parent block changed: restarted, listeners %s, %zu keys in the trust store",
	       rebind ? "rebound" : "kept", hs_trust_count(p->trust));
	boots_restart(p);
	return 0;
fail:
	hs_net_server_close(srv);
	hs_trust_free(t);
	agd_pcfg_clear(c);
	return -1;
}

static int parents_reload(agd_ddns_t *d, agd_ddns_cfg_t *nc, unsigned *same)
{
	int failed = 0;
	struct agd_parent **np = calloc(nc->n + d->n + 1, sizeof(*np));
	bool *kept = calloc(d->n + 1, sizeof(*kept));
	if (np == NULL || kept == NULL) {
		free(np);
		free(kept);
		hs_log_error("reload: out of memory: parent blocks unchanged");
		return (int)nc->n;
	}
	size_t nn = 0;
	for (size_t i = 0; i < nc->n; i++) {
		struct agd_pcfg *c = &nc->p[i];
		size_t j = 0;
		while (j < d->n && (kept[j] || !knot_dname_is_equal(d->p[j]->c->zone, c->zone))) {
			j++;
		}
		if (j < d->n) {
			kept[j] = true;
			np[nn++] = d->p[j];
			if (agd_pcfg_equal(d->p[j]->c, c)) {
				(*same)++;
			} else if (parent_change(d, d->p[j], c) != 0) {
				failed++;
			}
			continue;
		}
		char why[512] = "", zone[sizeof(c->zone_txt)];
		memcpy(zone, c->zone_txt, sizeof(zone));
		int ret = agd_parent_open(d, c, &np[nn], why, sizeof(why));
		if (ret != 0) {
			hs_log_code(HS_LOG_ERROR, ret, zone, NULL,
			            "reload: parent block added but not started: %s", why);
			failed++;
			continue;
		}
		hs_log(HS_LOG_NOTICE, zone, NULL, "reload: parent block added: started");
		nn++;
	}
	for (size_t j = 0; j < d->n; j++) {
		if (!kept[j]) {
			hs_log(HS_LOG_NOTICE, d->p[j]->c->zone_txt, NULL,
			       "reload: parent block removed: stopped (trust store %s kept)",
			       d->p[j]->c->trust_path);
			agd_parent_close(d->p[j], true);
		}
	}
	for (size_t i = 0; i < nn; i++) {
		np[i]->pc.sig0.skew = d->cfg->skew;
	}
	free(kept);
	free(d->p);
	d->p = np;
	d->n = nn;
	return failed;
}

/* ---- children -------------------------------------------------------------------- */

static int children_reload(agd_ddns_t *d, agd_child_cfg_t *cc, const agd_cfg_t *acfg,
                           unsigned *same)
{
	size_t nnew = cc != NULL ? cc->n : 0;
	agd_child_t *ac = d->child;
	if (ac == NULL && nnew == 0 && (cc == NULL || cc->all == NULL)) {
		agd_child_cfg_free(cc);
		return 0;
	}
	size_t ncap = nnew + (ac != NULL ? ac->n : 0) + 1;
	struct child **nch = calloc(ncap, sizeof(*nch));
	bool *kept = calloc((ac != NULL ? ac->n : 0) + 1, sizeof(*kept));
	if (ac == NULL && nch != NULL && kept != NULL && (ac = calloc(1, sizeof(*ac))) != NULL) {
		ac->loop = d->loop;
		d->child = ac;
	}
	if (nch == NULL || kept == NULL || ac == NULL) {
		free(nch);
		free(kept);
		agd_child_cfg_free(cc);
		hs_log_error("reload: out of memory: child blocks unchanged");
		return (int)nnew;
	}
	ac->resolver = acfg->resolver;
	snprintf(ac->resolver_txt, sizeof(ac->resolver_txt), "%s", acfg->resolver_txt);
	knot_dname_copy_lower(ac->identity, acfg->identity);
	ac->skew = acfg->skew;
	struct child **och = ac->ch;
	size_t on = ac->n;
	ac->ch = nch;
	ac->cap = ncap;
	ac->n = 0;
	int failed = 0;
	/* the children block: its derived children are kept for now;
	 * agd_children_sync (at agd_ddns_attach) derives them all again and
	 * restarts those that differ, starts and stops the rest */
	struct ctmpl *nall = cc != NULL ? cc->all : NULL;
	if (cc != NULL) {
		cc->all = NULL;
	}
	if (!agd_ctmpl_equal(ac->all, nall)) {
		hs_log_notice("reload: children block %s", ac->all == NULL ? "added" :
		              nall == NULL ? "removed" : "changed");
	}
	agd_ctmpl_free(ac->all);
	ac->all = nall;
	ac->recheck = true;
	for (size_t j = 0; j < on; j++) {
		if (och[j]->derived) {
			ac->ch[ac->n++] = och[j];
		}
	}
	for (size_t i = 0; i < nnew; i++) {
		struct ccfg *c = &cc->c[i];
		char zone[sizeof(c->zone_txt)];
		memcpy(zone, c->zone_txt, sizeof(zone));
		size_t j = 0;
		while (j < on && (kept[j] || och[j]->derived ||
		                  !knot_dname_is_equal(och[j]->c->zone, c->zone))) {
			j++;
		}
		const char *what = "added";
		if (j < on) {
			kept[j] = true;
			if (agd_ccfg_equal(och[j]->c, c)) {
				ac->ch[ac->n++] = och[j];
				(*same)++;
				continue;
			}
			agd_child_one_stop(och[j]);
			what = "changed";
		}
		if (agd_child_one_start(ac, c) != 0) {
			hs_log(HS_LOG_ERROR, zone, NULL, "reload: child block %s but not started: %s",
			       what, hs_strerror(HS_ENOMEM));
			failed++;
			continue;
		}
		hs_log(HS_LOG_NOTICE, zone, NULL, "reload: child block %s: %s", what,
		       j < on ? "restarted" : "started");
	}
	for (size_t j = 0; j < on; j++) {
		if (!kept[j] && !och[j]->derived) {
			hs_log(HS_LOG_NOTICE, och[j]->c->zone_txt, NULL,
			       "reload: child block removed: stopped");
			agd_child_one_stop(och[j]);
		}
	}
	free(och);
	free(kept);
	agd_child_cfg_free(cc);
	return failed;
}

/* ---- both ------------------------------------------------------------------------- */

int agd_ddns_reload(uv_loop_t *loop, agd_ddns_t **dp, agd_cfg_t *cfg)
{
	agd_ddns_cfg_t *nc = cfg->ddns;
	cfg->ddns = NULL;
	agd_ddns_t *d = *dp;
	if (d == NULL && nc == NULL) {
		return 0;
	}
	if (nc == NULL && (nc = calloc(1, sizeof(*nc))) == NULL) {
		hs_log_error("reload: out of memory: delegation blocks unchanged");
		return 1;
	}
	if (d == NULL) {
		d = calloc(1, sizeof(*d));
		if (d == NULL || hs_replay_new(HS_REPLAY_MAX_DEFAULT, &d->replay) != 0 ||
		    (d->cfg = calloc(1, sizeof(*d->cfg))) == NULL) {
			if (d != NULL) {
				hs_replay_free(d->replay);
			}
			free(d);
			size_t n = nc->n + (nc->child != NULL ? nc->child->n : 0);
			agd_ddns_cfg_free(nc);
			hs_log_error("reload: out of memory: delegation blocks not started");
			return (int)n;
		}
		d->loop = loop;
		*dp = d;
	}
	d->cfg->resolver = nc->resolver;
	memcpy(d->cfg->resolver_txt, nc->resolver_txt, sizeof(d->cfg->resolver_txt));
	d->cfg->skew = nc->skew;
	d->cfg->ttl = nc->ttl;
	unsigned psame = 0, csame = 0;
	int failed = parents_reload(d, nc, &psame);
	failed += children_reload(d, nc->child, cfg, &csame);
	nc->child = NULL;
	agd_ddns_cfg_free(nc);          /* what was taken is zeroed */
	hs_log_notice("reload: delegation blocks: %u parent and %u child unchanged%s", psame,
	              csame, failed ? "; some could not be applied (see above)" : "");
	return failed;
}
