/*
 * agentd/ddnsd.c -- delegation management via DDNS in agentd: the parent
 * and child blocks of the configuration, the records a parent publishes,
 * start, stop and the control commands. The parent's receiver runs in
 * parentd.c, the child role in childd.c; see agentd/ddns.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/parent.h"
#include "agentd/publish.h"
#include "agentd/trust.h"
#include "common/log.h"
#include "common/net.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"

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



void agd_pcfg_clear(struct agd_pcfg *c)
{
	hs_key_free(c->key);
	if (c->has_tsig) {
		knot_tsig_key_deinit(&c->tsig);
	}
	free(c->trust_path);
	memset(c, 0, sizeof(*c));
}

void agd_ddns_cfg_free(agd_ddns_cfg_t *dc)
{
	if (dc == NULL) {
		return;
	}
	for (size_t i = 0; i < dc->n; i++) {
		agd_pcfg_clear(&dc->p[i]);
	}
	free(dc->p);
	agd_child_cfg_free(dc->child);
	free(dc);
}

static int pcfg_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct agd_pcfg *p,
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
		const knot_tsig_key_t *tk = agd_cfg_tsig_key(cfg, hs_conf_str(s, k));
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
		const struct agd_pcfg *p = &dc->p[i];
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

/* ---- start, stop, control ----------------------------------------------------------------- */

int agd_parent_open(agd_ddns_t *d, struct agd_pcfg *c, struct agd_parent **out, char *why,
                    size_t whylen)
{
	*out = NULL;
	struct agd_parent *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		agd_pcfg_clear(c);
		return HS_ENOMEM;
	}
	p->cfg = *c;                    /* moved */
	memset(c, 0, sizeof(*c));
	p->c = &p->cfg;
	p->d = d;
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
		ret = hs_net_server_new(d->loop, NULL, agd_parent_on_update, p, &p->srv);
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
		agd_parent_close(p, false);
		return ret;
	}
	/* keys left pending by the last run: look them up again */
	for (size_t k = 0; k < hs_trust_count(p->trust); k++) {
		const hs_trust_entry_t *e = hs_trust_get(p->trust, k);
		if (e->state == HS_TRUST_PENDING && !e->manual_needed) {
			agd_parent_boot_start(p, e->child);
		}
	}
	*out = p;
	return 0;
}

void agd_parent_close(struct agd_parent *p, bool save)
{
	if (p == NULL) {
		return;
	}
	agd_parent_clear(p);
	if (save && p->trust != NULL) {
		(void)agd_parent_save_trust(p);
	}
	hs_net_server_close(p->srv);
	hs_trust_free(p->trust);
	agd_pcfg_clear(&p->cfg);
	free(p);
}

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
	if (hs_replay_new(HS_REPLAY_MAX_DEFAULT, &d->replay) != 0) {
		agd_ddns_stop(d);
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < d->cfg->n; i++) {
		int ret = agd_parent_open(d, &d->cfg->p[i], &d->p[d->n], why, whylen);
		if (ret != 0) {
			agd_ddns_stop(d);
			return ret;
		}
		d->n++;
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

void agd_ddns_zones(agd_ddns_t *d)
{
	if (d != NULL) {
		agd_child_zones(d->child);
	}
}

void agd_ddns_stop(agd_ddns_t *d)
{
	if (d == NULL) {
		return;
	}
	agd_child_stop(d->child);
	for (size_t i = 0; i < d->n; i++) {
		agd_parent_close(d->p[i], false);
	}
	free(d->p);
	hs_replay_free(d->replay);
	agd_ddns_cfg_free(d->cfg);
	free(d);
}

static json_t *trust_json(agd_ddns_t *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < d->n; i++) {
		struct agd_parent *p = d->p[i];
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
		struct agd_parent *p = d->p[i];
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
		if (changed && agd_parent_save_trust(p) != 0) {
			return json_pack("{s:s}", "error", "trust store not saved");
		}
	}
	if (done == 0) {
		return json_pack("{s:s}", "error", last != 0 ? hs_strerror(last) :
		                 "no such key (or already in that state)");
	}
	return json_pack("{s:i}", "ok", (int)done);
}
