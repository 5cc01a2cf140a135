/*
 * combinerd/config.c -- combinerd's configuration: the schema, then the
 * tree turned into zones, primaries, downstreams and keys (combinerd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "combinerd/combinerd.h"
#include "common/addr.h"
#include "libhsync/error.h"

static const hs_conf_opt_t peer_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = NULL }
};

static const hs_conf_opt_t down_opts[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = "notify", .kind = HS_CONF_BOOL },
	{ .name = NULL }
};

static const hs_conf_opt_t key_opts[] = {
	{ .name = "key", .kind = HS_CONF_NAME },
	{ .name = NULL }
};

static const hs_conf_rule_t zone_rules[] = {
	{ .keyword = "primary", .flags = HS_CONF_REQUIRED | HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = peer_opts },
	{ .keyword = "downstream", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = down_opts },
	{ .keyword = "allow", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_PREFIX }, .opts = key_opts },
	{ .keyword = "agent-key", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME } },
	{ .keyword = "allow-apex-key", .min = 1, .max = 1,
	  .kind = { HS_CONF_BOOL } },
	{ .keyword = NULL }
};

static const hs_conf_rule_t rules[] = {
	HS_CONF_RULES_COMMON,
	{ .keyword = "refresh-min", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } },
	{ .keyword = "journal-size", .min = 2, .max = 2, .kind = { HS_CONF_UINT, HS_CONF_UINT } },
	{ .keyword = "zone", .flags = HS_CONF_UNIQUE | HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = zone_rules },
	{ .keyword = NULL }
};

void cbd_cfg_free(cbd_cfg_t *cfg)
{
	if (cfg == NULL) {
		return;
	}
	for (size_t i = 0; i < cfg->nzones; i++) {
		free(cfg->zones[i].primaries);
		free(cfg->zones[i].downs);
	}
	free(cfg->zones);
	hs_tsig_keys_free(&cfg->keys);
	free(cfg->listen);
	hs_conf_free(cfg->conf);
	free(cfg);
}

const cbd_zone_cfg_t *cbd_cfg_zone(const cbd_cfg_t *cfg, const knot_dname_t *name)
{
	if (cfg == NULL || name == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < cfg->nzones; i++) {
		if (hs_dname_equal(cfg->zones[i].name, name)) {
			return &cfg->zones[i];
		}
	}
	return NULL;
}

/* Same address, port ignored (IPv4-mapped IPv6 taken as IPv4). */
static bool same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	struct hs_prefix p;
	char buf[HS_ADDR_STRLEN];
	if (hs_addr_format(a, buf, sizeof(buf)) != HS_EOK) {
		return false;
	}
	char *at = strrchr(buf, '@');
	if (at != NULL) {
		*at = '\0';
	}
	return hs_prefix_parse(buf, &p) == HS_EOK && hs_prefix_match(&p, b);
}

bool cbd_acl_xfr(const cbd_zone_cfg_t *zc, const struct sockaddr *peer,
                 const knot_tsig_key_t *key)
{
	if (zc == NULL || peer == NULL) {
		return false;
	}
	for (size_t i = 0; i < zc->ndowns; i++) {
		const cbd_down_t *d = &zc->downs[i];
		if (!hs_prefix_match(&d->prefix, peer)) {
			continue;
		}
		if (d->key == NULL ? key == NULL
		                   : key != NULL && knot_dname_is_equal(d->key->name, key->name)) {
			return true;
		}
	}
	return false;
}

const cbd_primary_t *cbd_primary_of(const cbd_zone_cfg_t *zc, const struct sockaddr *peer)
{
	for (size_t i = 0; zc != NULL && peer != NULL && i < zc->nprimaries; i++) {
		if (same_host((const struct sockaddr *)&zc->primaries[i].addr, peer)) {
			return &zc->primaries[i];
		}
	}
	return NULL;
}

/* Merge the keys of every tsig-key-file into one ring. */
static int load_keys(cbd_cfg_t *cfg, char *err, size_t errlen)
{
	for (const hs_conf_stmt_t *s = hs_conf_first(cfg->conf, "tsig-key-file"); s != NULL;
	     s = hs_conf_next(s, "tsig-key-file")) {
		const char *path = hs_conf_str(s, 0);
		char full[4096];
		if (path[0] != '/' && strchr(hs_conf_file(s), '/') != NULL) {
			const char *f = hs_conf_file(s);
			int dl = (int)(strrchr(f, '/') - f);
			snprintf(full, sizeof(full), "%.*s/%s", dl, f, path);
		} else {
			snprintf(full, sizeof(full), "%s", path);
		}
		hs_tsig_keys_t ring = { 0 };
		int line = 0;
		int ret = hs_tsig_load(full, &ring, &line);
		if (ret != HS_EOK) {
			if (line > 0) {
				return hs_conf_error(s, err, errlen, "tsig-key-file: %s:%d: %s", full,
				                     line, hs_strerror(ret));
			}
			return hs_conf_error(s, err, errlen, "tsig-key-file: %s: %s", full,
			                     hs_strerror(ret));
		}
		for (size_t i = 0; i < ring.count; i++) {
			if (hs_tsig_find(&cfg->keys, ring.keys[i].name) != NULL) {
				char n[KNOT_DNAME_TXT_MAXLEN + 1];
				knot_dname_to_str(n, ring.keys[i].name, sizeof(n));
				hs_tsig_keys_free(&ring);
				return hs_conf_error(s, err, errlen,
				                     "tsig-key-file: %s: key %s is defined twice", full, n);
			}
		}
		knot_tsig_key_t *k = realloc(cfg->keys.keys,
		                             (cfg->keys.count + ring.count) * sizeof(*k));
		if (k == NULL) {
			hs_tsig_keys_free(&ring);
			return HS_ENOMEM;
		}
		memcpy(k + cfg->keys.count, ring.keys, ring.count * sizeof(*k));
		cfg->keys.keys = k;
		cfg->keys.count += ring.count;
		free(ring.keys);  /* the keys' contents now belong to cfg->keys */
	}
	return HS_EOK;
}

/* The key named by option "key" of s, NULL if none; error if unknown. */
static int opt_key(const cbd_cfg_t *cfg, const hs_conf_stmt_t *s, int idx,
                   const knot_tsig_key_t **key, char *err, size_t errlen)
{
	*key = NULL;
	if (idx < 0) {
		return HS_EOK;
	}
	uint8_t name[KNOT_DNAME_MAXLEN];
	int ret = hs_conf_name(s, idx, name, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	*key = hs_tsig_find(&cfg->keys, name);
	if (*key == NULL) {
		return hs_conf_error(s, err, errlen, "%s: no tsig-key-file holds key %s",
		                     hs_conf_keyword(s), hs_conf_str(s, idx));
	}
	return HS_EOK;
}

static int host_prefix(const struct sockaddr_storage *ss, struct hs_prefix *p)
{
	char buf[HS_ADDR_STRLEN];
	int ret = hs_addr_format((const struct sockaddr *)ss, buf, sizeof(buf));
	if (ret != HS_EOK) {
		return ret;
	}
	char *at = strrchr(buf, '@');
	if (at != NULL) {
		*at = '\0';
	}
	return hs_prefix_parse(buf, p);
}

static int load_zone(cbd_cfg_t *cfg, const hs_conf_stmt_t *zs, cbd_zone_cfg_t *zc,
                     char *err, size_t errlen)
{
	int ret = hs_conf_name(zs, 0, zc->name, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_dname_to_lower(zc->name);
	knot_dname_to_str(zc->text, zc->name, sizeof(zc->text));
	zc->file = hs_conf_file(zs);
	zc->line = hs_conf_line(zs);
	size_t np = 0, nd = 0;
	for (const hs_conf_stmt_t *s = hs_conf_child(zs, NULL); s != NULL; s = hs_conf_next(s, NULL)) {
		const char *kw = hs_conf_keyword(s);
		np += strcmp(kw, "primary") == 0;
		nd += strcmp(kw, "downstream") == 0 || strcmp(kw, "allow") == 0;
	}
	zc->primaries = calloc(np ? np : 1, sizeof(*zc->primaries));
	zc->downs = calloc(nd ? nd : 1, sizeof(*zc->downs));
	if (zc->primaries == NULL || zc->downs == NULL) {
		return HS_ENOMEM;
	}
	for (const hs_conf_stmt_t *s = hs_conf_child(zs, NULL); s != NULL; s = hs_conf_next(s, NULL)) {
		const char *kw = hs_conf_keyword(s);
		if (strcmp(kw, "primary") == 0) {
			cbd_primary_t *p = &zc->primaries[zc->nprimaries];
			ret = hs_conf_addr(s, 0, CBD_DEFAULT_PORT, &p->addr, err, errlen);
			if (ret == HS_EOK) {
				ret = opt_key(cfg, s, hs_conf_opt(s, "key"), &p->key, err, errlen);
			}
			if (ret != HS_EOK) {
				return ret;
			}
			zc->nprimaries++;
		} else if (strcmp(kw, "downstream") == 0) {
			cbd_down_t *d = &zc->downs[zc->ndowns];
			d->notify = true;
			ret = hs_conf_addr(s, 0, CBD_DEFAULT_PORT, &d->addr, err, errlen);
			if (ret == HS_EOK) {
				ret = opt_key(cfg, s, hs_conf_opt(s, "key"), &d->key, err, errlen);
			}
			if (ret == HS_EOK && hs_conf_opt(s, "notify") >= 0) {
				ret = hs_conf_bool(s, hs_conf_opt(s, "notify"), &d->notify, err, errlen);
			}
			if (ret == HS_EOK && host_prefix(&d->addr, &d->prefix) != HS_EOK) {
				ret = hs_conf_error(s, err, errlen, "downstream: bad address");
			}
			if (ret != HS_EOK) {
				return ret;
			}
			zc->ndowns++;
		} else if (strcmp(kw, "allow") == 0) {
			cbd_down_t *d = &zc->downs[zc->ndowns];
			ret = hs_conf_prefix(s, 0, &d->prefix, err, errlen);
			if (ret == HS_EOK) {
				ret = opt_key(cfg, s, hs_conf_opt(s, "key"), &d->key, err, errlen);
			}
			if (ret != HS_EOK) {
				return ret;
			}
			zc->ndowns++;
		} else if (strcmp(kw, "allow-apex-key") == 0) {
			ret = hs_conf_bool(s, 0, &zc->allow_key, err, errlen);
			if (ret != HS_EOK) {
				return ret;
			}
		} else if (strcmp(kw, "agent-key") == 0) {
			ret = opt_key(cfg, s, 0, &zc->agent_key, err, errlen);
			if (ret != HS_EOK) {
				return ret;
			}
		}
	}
	return HS_EOK;
}

static int load(cbd_cfg_t *cfg, char *err, size_t errlen)
{
	int ret = load_keys(cfg, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	size_t n = 0;
	for (const hs_conf_stmt_t *s = hs_conf_first(cfg->conf, "listen"); s != NULL;
	     s = hs_conf_next(s, "listen")) {
		n++;
	}
	cfg->listen = calloc(n ? n : 1, sizeof(*cfg->listen));
	if (cfg->listen == NULL) {
		return HS_ENOMEM;
	}
	for (const hs_conf_stmt_t *s = hs_conf_first(cfg->conf, "listen"); s != NULL;
	     s = hs_conf_next(s, "listen")) {
		ret = hs_conf_addr(s, 0, CBD_DEFAULT_PORT, &cfg->listen[cfg->nlisten], err, errlen);
		if (ret != HS_EOK) {
			return ret;
		}
		cfg->nlisten++;
	}
	const hs_conf_stmt_t *s = hs_conf_first(cfg->conf, "state-dir");
	if (s == NULL) {
		snprintf(err, errlen, "%s: state-dir is required",
		         hs_conf_first(cfg->conf, NULL) != NULL
		                 ? hs_conf_file(hs_conf_first(cfg->conf, NULL)) : "configuration");
		return HS_ECONF;
	}
	cfg->state_dir = hs_conf_str(s, 0);
	struct stat st;
	if (stat(cfg->state_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return hs_conf_error(s, err, errlen, "state-dir: %s is not a directory",
		                     cfg->state_dir);
	}
	cfg->refresh_min = CBD_REFRESH_MIN_DEFAULT;
	s = hs_conf_first(cfg->conf, "refresh-min");
	if (s != NULL) {
		uint64_t v;
		ret = hs_conf_duration(s, 0, 1, 86400, &v, err, errlen);
		if (ret != HS_EOK) {
			return ret;
		}
		cfg->refresh_min = (unsigned)v;
	}
	cfg->journal_entries = HS_JOURNAL_MAX_ENTRIES;
	cfg->journal_rrs = HS_JOURNAL_MAX_RRS;
	s = hs_conf_first(cfg->conf, "journal-size");
	if (s != NULL) {
		uint64_t e, r;
		ret = hs_conf_uint(s, 0, 1, 1000000, &e, err, errlen);
		if (ret == HS_EOK) {
			ret = hs_conf_uint(s, 1, 1, 100000000, &r, err, errlen);
		}
		if (ret != HS_EOK) {
			return ret;
		}
		cfg->journal_entries = e;
		cfg->journal_rrs = r;
	}
	n = 0;
	for (s = hs_conf_first(cfg->conf, "zone"); s != NULL; s = hs_conf_next(s, "zone")) {
		n++;
	}
	cfg->zones = calloc(n ? n : 1, sizeof(*cfg->zones));
	if (cfg->zones == NULL) {
		return HS_ENOMEM;
	}
	for (s = hs_conf_first(cfg->conf, "zone"); s != NULL; s = hs_conf_next(s, "zone")) {
		ret = load_zone(cfg, s, &cfg->zones[cfg->nzones], err, errlen);
		cfg->nzones++;  /* counted even on error, so free() sees its arrays */
		if (ret != HS_EOK) {
			return ret;
		}
	}
	return HS_EOK;
}

int cbd_cfg_load(const char *path, const char *conf_text, cbd_cfg_t **out,
                 char *err, size_t errlen)
{
	if (path == NULL || out == NULL) {
		return HS_EINVAL;
	}
	cbd_cfg_t *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		return HS_ENOMEM;
	}
	int ret = conf_text != NULL ? hs_conf_read_string(conf_text, path, &cfg->conf, err, errlen)
	                            : hs_conf_read_file(path, &cfg->conf, err, errlen);
	if (ret == HS_EOK) {
		ret = hs_conf_check(cfg->conf, rules, err, errlen);
	}
	if (ret == HS_EOK) {
		ret = load(cfg, err, errlen);
	}
	if (ret != HS_EOK) {
		if (ret == HS_ENOMEM) {
			snprintf(err, errlen, "%s: %s", path, hs_strerror(ret));
		}
		cbd_cfg_free(cfg);
		return ret;
	}
	*out = cfg;
	return HS_EOK;
}
