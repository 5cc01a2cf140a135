/*
 * hsyncd/config.c -- hsyncd's configuration: the schema, then the tree
 * turned into zones, peers and keys (hsyncd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/confkeys.h"
#include "common/net.h"
#include "hsyncd/hsyncd.h"
#include "libhsync/error.h"

static const hs_conf_opt_t peer_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = NULL }
};

static const hs_conf_rule_t zone_rules[] = {
	{ .keyword = "source", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = peer_opts },
	{ .keyword = "subscriber", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = peer_opts },
	{ .keyword = NULL }
};

static const hs_conf_rule_t rules[] = {
	HS_CONF_RULES_COMMON,
	{ .keyword = "refresh-min", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } },
	{ .keyword = "events", .min = 1, .max = 2, .kind = { HS_CONF_CHOICE, HS_CONF_STRING },
	  .choices = "stdout|exec" },
	{ .keyword = "subscriber", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = peer_opts },
	{ .keyword = "zone", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = zone_rules },
	{ .keyword = "catalog", .flags = HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = zone_rules },
	{ .keyword = NULL }
};

const knot_tsig_key_t *hsd_cfg_key(const hsd_cfg_t *cfg, const char *name)
{
	for (size_t i = 0; cfg != NULL && i < cfg->nkeyfiles; i++) {
		const knot_tsig_key_t *k = hs_tsig_find_str(&cfg->keyfiles[i], name);
		if (k != NULL) {
			return k;
		}
	}
	return NULL;
}

static const hsd_zone_cfg_t *find(const hsd_zone_cfg_t *zones, size_t n, const knot_dname_t *name)
{
	for (size_t i = 0; name != NULL && i < n; i++) {
		if (knot_dname_is_case_equal(zones[i].name, name)) {
			return &zones[i];
		}
	}
	return NULL;
}

const hsd_zone_cfg_t *hsd_cfg_zone(const hsd_cfg_t *cfg, const knot_dname_t *name)
{
	return cfg != NULL ? find(cfg->zones, cfg->nzones, name) : NULL;
}

const hsd_zone_cfg_t *hsd_cfg_catalog(const hsd_cfg_t *cfg, const knot_dname_t *name)
{
	return cfg != NULL ? find(cfg->catalogs, cfg->ncatalogs, name) : NULL;
}

static void cfg_free(hsd_cfg_t *cfg)
{
	for (size_t i = 0; i < cfg->nzones; i++) {
		free(cfg->zones[i].subs);
		free(cfg->zones[i].name);
		free(cfg->zones[i].name_txt);
	}
	free(cfg->zones);
	for (size_t i = 0; i < cfg->ncatalogs; i++) {
		free(cfg->catalogs[i].subs);
		free(cfg->catalogs[i].name);
		free(cfg->catalogs[i].name_txt);
	}
	free(cfg->catalogs);
	for (size_t i = 0; i < cfg->nkeyfiles; i++) {
		hs_tsig_keys_free(&cfg->keyfiles[i]);
	}
	free(cfg->keyfiles);
	free(cfg->listen);
	hs_conf_free(cfg->conf);
	free(cfg);
}

hsd_cfg_t *hsd_cfg_ref(hsd_cfg_t *cfg)
{
	if (cfg != NULL) {
		cfg->refs++;
	}
	return cfg;
}

void hsd_cfg_unref(hsd_cfg_t *cfg)
{
	if (cfg != NULL && --cfg->refs == 0) {
		cfg_free(cfg);
	}
}

/* ADDR [port P] [key K] of a source or subscriber statement. */
static int peer(const hsd_cfg_t *cfg, const hs_conf_stmt_t *s, hsd_peer_t *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	int ret = hs_conf_addr(s, 0, HSD_DEFAULT_PORT, &p->addr, err, errlen);
	if (ret != 0) {
		return ret;
	}
	hs_addr_format((const struct sockaddr *)&p->addr, p->text, sizeof(p->text));
	int k = hs_conf_opt(s, "key");
	if (k >= 0) {
		const char *name = hs_conf_str(s, k);
		p->key = hsd_cfg_key(cfg, name);
		if (p->key == NULL) {
			return hs_conf_error(s, err, errlen, "%s: key %s is in no tsig-key-file",
			                     hs_conf_keyword(s), name);
		}
	}
	return 0;
}

/* Every `keyword` block (zone or catalog) with its source and subscribers. */
static int zones(hsd_cfg_t *cfg, const char *keyword, const hsd_peer_t *global, size_t nglobal,
                 hsd_zone_cfg_t **out, size_t *nout, char *err, size_t errlen)
{
	const hs_conf_stmt_t *s;
	size_t n = 0;
	for (s = hs_conf_first(cfg->conf, keyword); s; s = hs_conf_next(s, keyword)) {
		n++;
	}
	*out = calloc(n ? n : 1, sizeof(**out));
	if (*out == NULL) {
		return HS_ENOMEM;
	}
	int ret = 0;
	for (s = hs_conf_first(cfg->conf, keyword); s && ret == 0; s = hs_conf_next(s, keyword)) {
		hsd_zone_cfg_t *z = &(*out)[(*nout)++];
		uint8_t name[KNOT_DNAME_MAXLEN];
		if ((ret = hs_conf_name(s, 0, name, err, errlen)) != 0) {
			break;
		}
		knot_dname_to_lower(name);
		z->name = knot_dname_copy(name, NULL);
		z->name_txt = z->name != NULL ? knot_dname_to_str_alloc(z->name) : NULL;
		if (z->name_txt == NULL) {
			ret = HS_ENOMEM;
			break;
		}
		const hs_conf_stmt_t *src = hs_conf_child(s, "source");
		if ((ret = peer(cfg, src, &z->source, err, errlen)) != 0) {
			break;
		}
		size_t nz = 0;
		const hs_conf_stmt_t *c;
		for (c = hs_conf_child(s, "subscriber"); c; c = hs_conf_next(c, "subscriber")) {
			nz++;
		}
		z->subs = calloc(nz + nglobal ? nz + nglobal : 1, sizeof(*z->subs));
		if (z->subs == NULL) {
			ret = HS_ENOMEM;
			break;
		}
		for (c = hs_conf_child(s, "subscriber"); c; c = hs_conf_next(c, "subscriber")) {
			if ((ret = peer(cfg, c, &z->subs[z->nsubs++], err, errlen)) != 0) {
				break;
			}
		}
		for (size_t g = 0; ret == 0 && g < nglobal; g++) {
			z->subs[z->nsubs++] = global[g];
		}
	}
	return ret;
}

static int resolve(hsd_cfg_t *cfg, char *err, size_t errlen)
{
	const hs_conf_t *conf = cfg->conf;
	const hs_conf_stmt_t *s;
	int ret;

	cfg->state_dir = HSD_DEFAULT_STATE_DIR;
	cfg->refresh_min = HSD_DEFAULT_REFRESH_MIN;
	if ((s = hs_conf_first(conf, "state-dir")) != NULL) {
		cfg->state_dir = hs_conf_str(s, 0);
	}
	if ((s = hs_conf_first(conf, "refresh-min")) != NULL) {
		uint64_t v;
		if ((ret = hs_conf_duration(s, 0, 0, 86400, &v, err, errlen)) != 0) {
			return ret;
		}
		cfg->refresh_min = (uint32_t)v;
	}
	if ((s = hs_conf_first(conf, "events")) != NULL) {
		unsigned c;
		if ((ret = hs_conf_choice(s, 0, "stdout|exec", &c, err, errlen)) != 0) {
			return ret;
		}
		cfg->events = c == 0 ? HSD_EVENTS_STDOUT : HSD_EVENTS_EXEC;
		if (c == 0 && hs_conf_nargs(s) != 1) {
			return hs_conf_error(s, err, errlen, "events stdout: takes no command");
		}
		if (c == 1) {
			if (hs_conf_nargs(s) != 2 || hs_conf_str(s, 1)[0] == '\0') {
				return hs_conf_error(s, err, errlen, "events exec: needs a command");
			}
			cfg->events_cmd = hs_conf_str(s, 1);
		}
	}

	/* keys first: peers name them */
	ret = hs_conf_tsig_files(conf, &cfg->keyfiles, &cfg->nkeyfiles, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}

	size_t n = 0;
	for (s = hs_conf_first(conf, "listen"); s; s = hs_conf_next(s, "listen")) {
		n++;
	}
	cfg->listen = calloc(n ? n : 1, sizeof(*cfg->listen));
	if (cfg->listen == NULL) {
		return HS_ENOMEM;
	}
	for (s = hs_conf_first(conf, "listen"); s; s = hs_conf_next(s, "listen")) {
		ret = hs_conf_addr(s, 0, HSD_DEFAULT_PORT, &cfg->listen[cfg->nlisten], err, errlen);
		if (ret != 0) {
			return ret;
		}
		cfg->nlisten++;
	}

	/* global subscribers */
	size_t nglobal = 0;
	for (s = hs_conf_first(conf, "subscriber"); s; s = hs_conf_next(s, "subscriber")) {
		nglobal++;
	}
	hsd_peer_t *global = calloc(nglobal ? nglobal : 1, sizeof(*global));
	if (global == NULL) {
		return HS_ENOMEM;
	}
	size_t i = 0;
	for (s = hs_conf_first(conf, "subscriber"); s; s = hs_conf_next(s, "subscriber")) {
		if ((ret = peer(cfg, s, &global[i++], err, errlen)) != 0) {
			free(global);
			return ret;
		}
	}

	ret = zones(cfg, "zone", global, nglobal, &cfg->zones, &cfg->nzones, err, errlen);
	if (ret == 0) {
		ret = zones(cfg, "catalog", global, nglobal, &cfg->catalogs, &cfg->ncatalogs, err, errlen);
	}
	/* a name is a zone or a catalog, not both */
	for (size_t c = 0; ret == 0 && c < cfg->ncatalogs; c++) {
		if (hsd_cfg_zone(cfg, cfg->catalogs[c].name) != NULL) {
			for (s = hs_conf_first(conf, "catalog"); s; s = hs_conf_next(s, "catalog")) {
				uint8_t name[KNOT_DNAME_MAXLEN];
				if (hs_conf_name(s, 0, name, NULL, 0) == 0 &&
				    knot_dname_is_case_equal(name, cfg->catalogs[c].name)) {
					break;
				}
			}
			ret = hs_conf_error(s, err, errlen, "catalog %s: also a zone",
			                    cfg->catalogs[c].name_txt);
		}
	}
	free(global);
	return ret;
}

static int finish(hs_conf_t *conf, hsd_cfg_t **out, char *err, size_t errlen)
{
	hsd_cfg_t *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		hs_conf_free(conf);
		return HS_ENOMEM;
	}
	cfg->refs = 1;
	cfg->conf = conf;
	int ret = resolve(cfg, err, errlen);
	if (ret != 0) {
		if (ret == HS_ENOMEM) {
			snprintf(err, errlen, "%s", hs_strerror(ret));
		}
		cfg_free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

int hsd_cfg_load(const char *path, hsd_cfg_t **out, char *err, size_t errlen)
{
	hs_conf_t *conf = NULL;
	if (path == NULL || out == NULL) {
		return HS_EINVAL;
	}
	int ret = hs_conf_load(path, rules, &conf, err, errlen);
	if (ret != 0) {
		return ret;
	}
	return finish(conf, out, err, errlen);
}

int hsd_cfg_parse(const char *text, const char *name, hsd_cfg_t **out, char *err, size_t errlen)
{
	hs_conf_t *conf = NULL;
	if (text == NULL || out == NULL) {
		return HS_EINVAL;
	}
	int ret = hs_conf_read_string(text, name, &conf, err, errlen);
	if (ret != 0) {
		return ret;
	}
	ret = hs_conf_check(conf, rules, err, errlen);
	if (ret != 0) {
		hs_conf_free(conf);
		return ret;
	}
	return finish(conf, out, err, errlen);
}
