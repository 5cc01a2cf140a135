/*
 * agentd/config.c -- agentd's configuration: the schema, then the tree
 * turned into agd_cfg_t (agentd.h). hsync.conf(5), section "agentd".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/publish.h"
#include "common/net.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

static const hs_conf_opt_t server_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = NULL }
};

static const hs_conf_rule_t zone_rules[] = {
	{ .keyword = "hsync", .flags = HS_CONF_REQUIRED | HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_STRING } },
	{ .keyword = NULL }
};

#define DUR(k) { .keyword = k, .min = 1, .max = 1, .kind = { HS_CONF_DURATION } }
#define UINT(k) { .keyword = k, .min = 1, .max = 1, .kind = { HS_CONF_UINT } }

const hs_conf_rule_t agd_conf_rules[] = {
	HS_CONF_RULES_COMMON,
	{ .keyword = "identity", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME } },
	{ .keyword = "key", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_STRING } },
	{ .keyword = "resolver", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = hs_conf_opts_port },
	{ .keyword = "publish-address", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR } },
	{ .keyword = "publish-port", .min = 1, .max = 1, .kind = { HS_CONF_PORT } },
	DUR("publish-ttl"),
	{ .keyword = "combinerd", .min = 1, .max = 1, .kind = { HS_CONF_ADDR }, .opts = server_opts },
	{ .keyword = "hsyncd", .min = 1, .max = 1, .kind = { HS_CONF_ADDR }, .opts = server_opts },
	{ .keyword = "nameserver", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME } },
	DUR("heartbeat"), UINT("degraded"), UINT("interrupted"), DUR("hello-timeout"),
	DUR("backoff-min"), DUR("backoff-max"), UINT("jitter"), DUR("refresh"), DUR("clock-skew"),
	{ .keyword = "synchronization", .min = 1, .max = 1, .kind = { HS_CONF_CHOICE },
	  .choices = "peer-to-peer|leader-follower|both" },
	{ .keyword = "control-socket", .min = 1, .max = 1, .kind = { HS_CONF_STRING } },
	DUR("propagation"), DUR("dnskey-wait"), DUR("ds-wait"), DUR("ns-wait"),
	DUR("dnskey-wait-min"), DUR("ds-wait-min"), DUR("ns-wait-min"), DUR("parent-poll"),
	{ .keyword = "peer-nameserver", .flags = HS_CONF_REPEAT, .min = 2, .max = 2,
	  .kind = { HS_CONF_NAME, HS_CONF_ADDR } },
	{ .keyword = "parent-nameserver", .flags = HS_CONF_REPEAT, .min = 2, .max = 2,
	  .kind = { HS_CONF_NAME, HS_CONF_ADDR } },
	{ .keyword = "zone", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = zone_rules },
	{ .keyword = "parent", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = agd_ddns_parent_rules },
	{ .keyword = "child", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = agd_ddns_child_rules },
	{ .keyword = "children", .block = agd_ddns_children_rules },
	{ .keyword = NULL }
};

void agd_cfg_free(agd_cfg_t *cfg)
{
	if (cfg == NULL) {
		return;
	}
	hs_key_free(cfg->key);
	agd_ddns_cfg_free(cfg->ddns);
	for (size_t i = 0; i < cfg->nkeyfiles; i++) {
		hs_tsig_keys_free(&cfg->keyfiles[i]);
	}
	free(cfg->keyfiles);
	free(cfg->zones);
	free(cfg->control);
	hs_conf_free(cfg->conf);
	free(cfg);
}

const knot_tsig_key_t *agd_cfg_tsig_key(const agd_cfg_t *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nkeyfiles; i++) {
		const knot_tsig_key_t *k = hs_tsig_find_str(&cfg->keyfiles[i], name);
		if (k != NULL) {
			return k;
		}
	}
	return NULL;
}

static int server(agd_cfg_t *cfg, const hs_conf_stmt_t *s, uint16_t dport, agd_server_t *out,
                  char *err, size_t errlen)
{
	int ret = hs_conf_addr(s, 0, dport, &out->addr, err, errlen);
	if (ret != 0) {
		return ret;
	}
	hs_addr_format((const struct sockaddr *)&out->addr, out->text, sizeof(out->text));
	int k = hs_conf_opt(s, "key");
	if (k >= 0) {
		out->key = agd_cfg_tsig_key(cfg, hs_conf_str(s, k));
		if (out->key == NULL) {
			return hs_conf_error(s, err, errlen, "%s: key %s is in no tsig-key-file",
			                     hs_conf_keyword(s), hs_conf_str(s, k));
		}
	}
	out->set = true;
	return 0;
}

static int duration(const hs_conf_t *conf, const char *kw, uint64_t min, uint64_t max,
                    uint32_t *out, char *err, size_t errlen)
{
	const hs_conf_stmt_t *s = hs_conf_first(conf, kw);
	if (s == NULL) {
		return 0;
	}
	uint64_t v;
	int ret = hs_conf_duration(s, 0, min, max, &v, err, errlen);
	if (ret == 0) {
		*out = (uint32_t)v;
	}
	return ret;
}

static int uintval(const hs_conf_t *conf, const char *kw, uint64_t min, uint64_t max,
                   uint32_t *out, char *err, size_t errlen)
{
	const hs_conf_stmt_t *s = hs_conf_first(conf, kw);
	if (s == NULL) {
		return 0;
	}
	uint64_t v;
	int ret = hs_conf_uint(s, 0, min, max, &v, err, errlen);
	if (ret == 0) {
		*out = (uint32_t)v;
	}
	return ret;
}

static int zones(agd_cfg_t *cfg, char *err, size_t errlen)
{
	const hs_conf_stmt_t *s;
	size_t n = 0;
	for (s = hs_conf_first(cfg->conf, "zone"); s; s = hs_conf_next(s, "zone")) {
		n++;
	}
	cfg->zones = calloc(n ? n : 1, sizeof(*cfg->zones));
	if (cfg->zones == NULL) {
		return HS_ENOMEM;
	}
	for (s = hs_conf_first(cfg->conf, "zone"); s; s = hs_conf_next(s, "zone")) {
		agd_zone_cfg_t *z = &cfg->zones[cfg->nzones++];
		int ret = hs_conf_name(s, 0, z->name, err, errlen);
		if (ret != 0) {
			return ret;
		}
		knot_dname_to_lower(z->name);
		uint8_t nsmgmt = 0;
		for (const hs_conf_stmt_t *h = hs_conf_child(s, "hsync"); h; h = hs_conf_next(h, "hsync")) {
			if (z->nhsync == AGD_MAX_HSYNC) {
				return hs_conf_error(h, err, errlen, "hsync: more than %d records",
				                     AGD_MAX_HSYNC);
			}
			hs_hsync_t *r = &z->hsync[z->nhsync];
			ret = hs_hsync_from_text(r, hs_conf_str(h, 0));
			if (ret != 0) {
				return hs_conf_error(h, err, errlen, "hsync: \"%s\": %s",
				                     hs_conf_str(h, 0), hs_strerror(ret));
			}
			if (nsmgmt != 0 && r->nsmgmt != nsmgmt) {
				return hs_conf_error(h, err, errlen,
				                     "hsync: all records of a zone must share one NSmgmt");
			}
			nsmgmt = r->nsmgmt;
			for (size_t i = 0; i < z->nhsync; i++) {
				if (knot_dname_is_equal(z->hsync[i].identity, r->identity)) {
					return hs_conf_error(h, err, errlen,
					                     "hsync: identity named twice in zone");
				}
			}
			z->nhsync++;
		}
	}
	return 0;
}

static int resolve(agd_cfg_t *cfg, char *err, size_t errlen)
{
	const hs_conf_t *conf = cfg->conf;
	const hs_conf_stmt_t *s;
	int ret;

	s = hs_conf_first(conf, "identity");
	if ((ret = hs_conf_name(s, 0, cfg->identity, err, errlen)) != 0) {
		return ret;
	}
	knot_dname_to_lower(cfg->identity);
	knot_dname_to_str(cfg->identity_txt, cfg->identity, sizeof(cfg->identity_txt));

	s = hs_conf_first(conf, "key");
	cfg->key_file = hs_conf_str(s, 0);
	char why[HS_KEY_WHY_SIZE] = "";
	ret = hs_key_load(cfg->key_file, &cfg->key, why, sizeof(why));
	if (ret != 0) {
		return hs_conf_error(s, err, errlen, "key: %s", why[0] ? why : hs_strerror(ret));
	}
	if (!cfg->key->has_private) {
		return hs_conf_error(s, err, errlen, "key: %s: no private key", cfg->key_file);
	}

	size_t n = 0;
	for (s = hs_conf_first(conf, "tsig-key-file"); s; s = hs_conf_next(s, "tsig-key-file")) {
		n++;
	}
	cfg->keyfiles = calloc(n ? n : 1, sizeof(*cfg->keyfiles));
	if (cfg->keyfiles == NULL) {
		return HS_ENOMEM;
	}
	for (s = hs_conf_first(conf, "tsig-key-file"); s; s = hs_conf_next(s, "tsig-key-file")) {
		const char *path = hs_conf_str(s, 0);
		int line = 0;
		ret = hs_tsig_load(path, &cfg->keyfiles[cfg->nkeyfiles], &line);
		if (ret != 0) {
			if (line > 0) {
				return hs_conf_error(s, err, errlen, "tsig-key-file: %s:%d: %s",
				                     path, line, hs_strerror(ret));
			}
			return hs_conf_error(s, err, errlen, "tsig-key-file: %s: %s", path,
			                     hs_strerror(ret));
		}
		cfg->nkeyfiles++;
	}

	for (s = hs_conf_first(conf, "listen"); s; s = hs_conf_next(s, "listen")) {
		if (cfg->nlisten == AGD_MAX_ADDRS) {
			return hs_conf_error(s, err, errlen, "listen: more than %d", AGD_MAX_ADDRS);
		}
		ret = hs_conf_addr(s, 0, AGD_DEFAULT_PORT, &cfg->listen[cfg->nlisten++], err, errlen);
		if (ret != 0) {
			return ret;
		}
	}
	if (cfg->nlisten == 0) {
		hs_addr_parse("127.0.0.1", AGD_DEFAULT_PORT, &cfg->listen[cfg->nlisten++]);
	}
	for (s = hs_conf_first(conf, "publish-address"); s; s = hs_conf_next(s, "publish-address")) {
		if (cfg->npublish == AGD_MAX_ADDRS) {
			return hs_conf_error(s, err, errlen, "publish-address: more than %d",
			                     AGD_MAX_ADDRS);
		}
		ret = hs_conf_addr(s, 0, 0, &cfg->publish[cfg->npublish++], err, errlen);
		if (ret != 0) {
			return ret;
		}
	}
	if (cfg->npublish == 0) {
		for (size_t i = 0; i < cfg->nlisten; i++) {
			cfg->publish[cfg->npublish++] = cfg->listen[i];
		}
	}
	cfg->publish_port = hs_addr_port((const struct sockaddr *)&cfg->listen[0]);
	if ((s = hs_conf_first(conf, "publish-port")) != NULL) {
		uint64_t v;
		if ((ret = hs_conf_uint(s, 0, 1, 65535, &v, err, errlen)) != 0) {
			return ret;
		}
		cfg->publish_port = (uint16_t)v;
	}
	cfg->publish_ttl = HS_PUBLISH_TTL_DEFAULT;
	if ((ret = duration(conf, "publish-ttl", 1, 86400 * 7, &cfg->publish_ttl, err, errlen)) != 0) {
		return ret;
	}

	s = hs_conf_first(conf, "resolver");
	if ((ret = hs_conf_addr(s, 0, 53, &cfg->resolver, err, errlen)) != 0) {
		return ret;
	}
	hs_addr_format((const struct sockaddr *)&cfg->resolver, cfg->resolver_txt,
	               sizeof(cfg->resolver_txt));
	if ((s = hs_conf_first(conf, "combinerd")) != NULL &&
	    (ret = server(cfg, s, 53, &cfg->combinerd, err, errlen)) != 0) {
		return ret;
	}
	if ((s = hs_conf_first(conf, "hsyncd")) != NULL &&
	    (ret = server(cfg, s, 53, &cfg->hsyncd, err, errlen)) != 0) {
		return ret;
	}
	for (s = hs_conf_first(conf, "nameserver"); s; s = hs_conf_next(s, "nameserver")) {
		if (cfg->nns == AGD_MAX_NS) {
			return hs_conf_error(s, err, errlen, "nameserver: more than %d", AGD_MAX_NS);
		}
		if ((ret = hs_conf_name(s, 0, cfg->ns[cfg->nns], err, errlen)) != 0) {
			return ret;
		}
		knot_dname_to_lower(cfg->ns[cfg->nns++]);
	}

	hs_peer_timers_default(&cfg->timers);
	hs_peer_timers_t *t = &cfg->timers;
	if ((ret = duration(conf, "heartbeat", 1, 3600, &t->heartbeat, err, errlen)) != 0 ||
	    (ret = uintval(conf, "degraded", 1, 1000, &t->degraded, err, errlen)) != 0 ||
	    (ret = uintval(conf, "interrupted", 2, 10000, &t->interrupted, err, errlen)) != 0 ||
	    (ret = duration(conf, "hello-timeout", 1, 3600, &t->hello_timeout, err, errlen)) != 0 ||
	    (ret = duration(conf, "backoff-min", 1, 3600, &t->backoff_min, err, errlen)) != 0 ||
	    (ret = duration(conf, "backoff-max", 1, 86400, &t->backoff_max, err, errlen)) != 0 ||
	    (ret = uintval(conf, "jitter", 0, 50, &t->jitter, err, errlen)) != 0 ||
	    (ret = duration(conf, "refresh", 10, 86400 * 7, &t->refresh, err, errlen)) != 0 ||
	    (ret = duration(conf, "clock-skew", 0, 3600, &cfg->skew, err, errlen)) != 0) {
		return ret;
	}
	if (t->degraded >= t->interrupted) {
		s = hs_conf_first(conf, "interrupted");
		if (s == NULL) {
			s = hs_conf_first(conf, "degraded");
		}
		return hs_conf_error(s, err, errlen, "degraded (%u) must be less than interrupted (%u)",
		                     t->degraded, t->interrupted);
	}
	if (t->backoff_min > t->backoff_max) {
		s = hs_conf_first(conf, "backoff-min");
		if (s == NULL) {
			s = hs_conf_first(conf, "backoff-max");
		}
		return hs_conf_error(s, err, errlen, "backoff-min is more than backoff-max");
	}
	cfg->sync_flags = HS_PS_SYNC_P2P;
	if ((s = hs_conf_first(conf, "synchronization")) != NULL) {
		unsigned c;
		if ((ret = hs_conf_choice(s, 0, "peer-to-peer|leader-follower|both", &c, err,
		                          errlen)) != 0) {
			return ret;
		}
		cfg->sync_flags = c == 0 ? HS_PS_SYNC_P2P :
		                  c == 1 ? HS_PS_SYNC_LEADER : HS_PS_SYNC_P2P | HS_PS_SYNC_LEADER;
	}

	/* waits of the multi-signer processes (agentd/process.h) */
	hs_proc_timers_t *pt = &cfg->sync_timers;
	hs_proc_timers_default(pt);
	const char *over[] = { "dnskey-wait", "ds-wait", "ns-wait" };
	int64_t *ov[] = { &pt->dnskey_wait, &pt->ds_wait, &pt->ns_wait };
	for (size_t i = 0; i < 3; i++) {
		uint32_t v = 0;
		if (hs_conf_first(conf, over[i]) == NULL) {
			continue;
		}
		if ((ret = duration(conf, over[i], 0, 86400 * 30, &v, err, errlen)) != 0) {
			return ret;
		}
		*ov[i] = v;
	}
	if ((ret = duration(conf, "propagation", 0, 86400, &pt->propagation, err, errlen)) != 0 ||
	    (ret = duration(conf, "dnskey-wait-min", 0, 86400 * 30, &pt->dnskey_wait_min, err, errlen)) != 0 ||
	    (ret = duration(conf, "ds-wait-min", 0, 86400 * 30, &pt->ds_wait_min, err, errlen)) != 0 ||
	    (ret = duration(conf, "ns-wait-min", 0, 86400 * 30, &pt->ns_wait_min, err, errlen)) != 0 ||
	    (ret = duration(conf, "parent-poll", 1, 86400, &pt->parent_poll, err, errlen)) != 0) {
		return ret;
	}

	/* the parent's servers for the delegation NS look-up (syncpns.c) */
	for (s = hs_conf_first(conf, "parent-nameserver"); s; s = hs_conf_next(s, "parent-nameserver")) {
		if (cfg->nparentns == AGD_MAX_PARENTNS) {
			return hs_conf_error(s, err, errlen, "parent-nameserver: more than %d",
			                     AGD_MAX_PARENTNS);
		}
		agd_parentns_t *pn = &cfg->parentns[cfg->nparentns];
		if ((ret = hs_conf_name(s, 0, pn->zone, err, errlen)) != 0 ||
		    (ret = hs_conf_addr(s, 1, 53, &pn->addr, err, errlen)) != 0) {
			return ret;
		}
		knot_dname_to_lower(pn->zone);
		cfg->nparentns++;
	}

	cfg->state_dir = AGD_DEFAULT_STATE_DIR;
	if ((s = hs_conf_first(conf, "state-dir")) != NULL) {
		cfg->state_dir = hs_conf_str(s, 0);
	}
	if ((s = hs_conf_first(conf, "control-socket")) != NULL) {
		cfg->control = strdup(hs_conf_str(s, 0));
	} else if (asprintf(&cfg->control, "%s/agentd.ctl", cfg->state_dir) < 0) {
		cfg->control = NULL;
	}
	if (cfg->control == NULL) {
		return HS_ENOMEM;
	}
	return zones(cfg, err, errlen);
}

static int finish(hs_conf_t *conf, agd_cfg_t **out, char *err, size_t errlen)
{
	int ret = hs_conf_check(conf, agd_conf_rules, err, errlen);
	if (ret != 0) {
		hs_conf_free(conf);
		return ret;
	}
	agd_cfg_t *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		hs_conf_free(conf);
		return HS_ENOMEM;
	}
	cfg->conf = conf;
	ret = resolve(cfg, err, errlen);
	if (ret == 0) {
		ret = agd_ddns_cfg_load(cfg, &cfg->ddns, err, errlen);
	}
	if (ret != 0) {
		agd_cfg_free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

int agd_cfg_load(const char *path, agd_cfg_t **out, char *err, size_t errlen)
{
	hs_conf_t *conf = NULL;
	int ret = hs_conf_read_file(path, &conf, err, errlen);
	if (ret != 0) {
		return ret;
	}
	return finish(conf, out, err, errlen);
}

int agd_cfg_load_string(const char *text, const char *name, agd_cfg_t **out,
                        char *err, size_t errlen)
{
	hs_conf_t *conf = NULL;
	int ret = hs_conf_read_string(text, name, &conf, err, errlen);
	if (ret != 0) {
		return ret;
	}
	return finish(conf, out, err, errlen);
}

int agd_cfg_publish(const agd_cfg_t *cfg, bool nsupdate, char **out)
{
	hs_publish_t p = {
		.identity = cfg->identity,
		.host = cfg->key->owner,
		.port = cfg->publish_port,
		.addrs = cfg->publish,
		.naddrs = cfg->npublish,
		.key = cfg->key,
		.ttl = cfg->publish_ttl,
		.nsupdate = nsupdate,
	};
	char *text = NULL;
	int ret = hs_publish_all(&p, &text);
	if (ret != 0) {
		return ret;
	}
	if (nsupdate) {
		char *t2 = NULL;
		if (asprintf(&t2, "%ssend\n", text) < 0) {
			free(text);
			return HS_ENOMEM;
		}
		free(text);
		text = t2;
	}
	*out = text;
	return 0;
}
