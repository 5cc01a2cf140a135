/*
 * agentd/children.c -- the `children { }` block (agentd/ddns.h): the child
 * role for every zone agentd follows (agd_zones_t: from hsyncd or a `zone`
 * statement), as if a `child ZONE { }` block with the block's options and
 * the key key-dir/K<ZONE>.+<alg>+<tag>.private existed. A child block for a
 * zone wins. The derived children are struct child like the others (flag
 * derived) in the same agd_child_t, so NOTIFY, stop and reload treat them
 * alike; agd_children_sync() starts and stops them as zones come and go.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentd/agentd.h"
#include "agentd/childint.h"
#include "agentd/ddns.h"
#include "common/log.h"
#include "libhsync/error.h"

const hs_conf_rule_t agd_ddns_children_rules[] = {
	AGD_CHILD_RULES,
	{ .keyword = "key-dir", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1,
	  .kind = { HS_CONF_STRING } },
	{ .keyword = NULL }
};

/* ---- the key file of a zone (pure) ------------------------------------------------- */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

bool agd_children_key_name(const char *name, const char *zone_txt)
{
	size_t zl = strlen(zone_txt);
	if (name == NULL || zl == 0 || zone_txt[zl - 1] != '.' || name[0] != 'K' ||
	    strncasecmp(name + 1, zone_txt, zl) != 0) {
		return false;
	}
	const char *r = name + 1 + zl;  /* "+AAA+TTTTT.private" */
	return strlen(r) == 18 && r[0] == '+' && digits(r + 1, 3) && r[4] == '+' &&
	       digits(r + 5, 5) && strcmp(r + 10, ".private") == 0;
}

int agd_children_key_pick(const char *const *names, size_t n, const char *zone_txt)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		if (agd_children_key_name(names[i], zone_txt) &&
		    (best < 0 || strcmp(names[i], names[best]) < 0)) {
			best = (int)i;
		}
	}
	return best;
}

/* ---- the block ------------------------------------------------------------------- */

void agd_ctmpl_free(struct ctmpl *t)
{
	if (t != NULL) {
		agd_ccfg_clear(&t->o);
		free(t->key_dir);
		free(t->state_dir);
		free(t);
	}
}

int agd_ctmpl_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct ctmpl **out,
                   char *err, size_t errlen)
{
	*out = NULL;
	struct ctmpl *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return HS_ENOMEM;
	}
	int ret = agd_ccfg_opts_load(cfg, blk, &t->o, err, errlen);
	if (ret != 0) {
		agd_ctmpl_free(t);
		return ret;
	}
	const hs_conf_stmt_t *s = hs_conf_child(blk, "key-dir");
	const char *dir = hs_conf_str(s, 0);
	DIR *d = opendir(dir);
	if (d == NULL) {
		ret = hs_conf_error(s, err, errlen, "key-dir: %s: %s", dir, strerror(errno));
		agd_ctmpl_free(t);
		return ret;
	}
	errno = 0;
	(void)readdir(d);
	int rerr = errno;
	closedir(d);
	if (rerr != 0) {
		ret = hs_conf_error(s, err, errlen, "key-dir: %s: %s", dir, strerror(rerr));
		agd_ctmpl_free(t);
		return ret;
	}
	t->key_dir = strdup(dir);
	t->state_dir = strdup(cfg->state_dir);
	if (t->key_dir == NULL || t->state_dir == NULL) {
		agd_ctmpl_free(t);
		return HS_ENOMEM;
	}
	*out = t;
	return 0;
}

bool agd_ctmpl_equal(const struct ctmpl *a, const struct ctmpl *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return agd_ccfg_equal(&a->o, &b->o) && strcmp(a->key_dir, b->key_dir) == 0 &&
	       strcmp(a->state_dir, b->state_dir) == 0;
}

/* ---- deriving ------------------------------------------------------------------- */

/* The names in T's key-dir (NEW array of NEW strings in *names). */
static int list_dir(const struct ctmpl *t, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(t->key_dir);
	if (d == NULL) {
		return HS_EIO;
	}
	size_t cap = 0;
	struct dirent *e;
	int ret = 0;
	while (ret == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] != 'K' || strstr(e->d_name, ".private") == NULL) {
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(*names, cap * sizeof(*nn));
			if (nn == NULL) {
				ret = HS_ENOMEM;
				break;
			}
			*names = nn;
		}
		if (((*names)[*n] = strdup(e->d_name)) == NULL) {
			ret = HS_ENOMEM;
		} else {
			(*n)++;
		}
	}
	closedir(d);
	return ret;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);
}

/* A copy of T's options for ZONE with the key at PATH into C (zeroed).
 * 0, or an error with WHY. */
static int derive(const struct ctmpl *t, const agd_zone_t *z, const char *path, struct ccfg *c,
                  char *why, size_t whylen)
{
	*c = t->o;                      /* scalars; what is owned is copied below */
	c->has_tsig = c->kc.has_tsig = false;
	memset(&c->tsig, 0, sizeof(c->tsig));
	memset(&c->kc.tsig, 0, sizeof(c->kc.tsig));
	c->key = NULL;
	c->told_path = NULL;
	if (t->o.has_tsig) {
		if (knot_tsig_key_copy(&c->tsig, &t->o.tsig) != 0) {
			return HS_ENOMEM;
		}
		c->has_tsig = true;
	}
	if (t->o.kc.has_tsig) {
		if (knot_tsig_key_copy(&c->kc.tsig, &t->o.kc.tsig) != 0) {
			agd_ccfg_clear(c);
			return HS_ENOMEM;
		}
		c->kc.has_tsig = true;
	}
	knot_dname_copy_lower(c->zone, z->name);
	knot_dname_to_str(c->zone_txt, c->zone, sizeof(c->zone_txt));
	c->parent[0] = 0;
	int ret = hs_key_load(path, &c->key, why, whylen);
	if (ret == 0 && !c->key->has_private) {
		snprintf(why, whylen, "%s: no private key", path);
		ret = HS_EKEYFILE;
	} else if (ret == 0 && !knot_dname_is_case_equal(c->key->owner, c->zone)) {
		snprintf(why, whylen, "%s: its owner is not the zone", path);
		ret = HS_EKEYFILE;
	}
	if (ret == 0 && asprintf(&c->told_path, "%s/deleg-%szone", t->state_dir, c->zone_txt) < 0) {
		c->told_path = NULL;
		ret = HS_ENOMEM;
	}
	if (ret != 0) {
		agd_ccfg_clear(c);
	}
	return ret;
}

static struct child *find(agd_child_t *ac, const knot_dname_t *zone, bool derived, size_t *at)
{
	for (size_t i = 0; i < ac->n; i++) {
		if (ac->ch[i]->derived == derived && knot_dname_is_equal(ac->ch[i]->c->zone, zone)) {
			if (at != NULL) {
				*at = i;
			}
			return ac->ch[i];
		}
	}
	return NULL;
}

/* Stop the child at I and take it out of AC (the order does not matter). */
static void drop(agd_child_t *ac, size_t i)
{
	agd_child_one_stop(ac->ch[i]);
	ac->ch[i] = ac->ch[--ac->n];
}

static bool warned(agd_child_t *ac, const knot_dname_t *zone, bool add)
{
	for (size_t i = 0; i < ac->nwarned; i++) {
		if (knot_dname_is_equal(ac->warned[i], zone)) {
			if (!add) {             /* forgotten: logged again if it goes */
				memmove(ac->warned[i], ac->warned[--ac->nwarned], sizeof(ac->warned[i]));
			}
			return true;
		}
	}
	if (add) {
		knot_dname_storage_t *w = realloc(ac->warned, (ac->nwarned + 1) * sizeof(*w));
		if (w != NULL) {
			ac->warned = w;
			knot_dname_copy_lower(ac->warned[ac->nwarned++], zone);
		}
	}
	return false;
}

static int room(agd_child_t *ac)
{
	if (ac->n < ac->cap) {
		return 0;
	}
	size_t cap = ac->cap ? ac->cap * 2 : 16;
	struct child **ch = realloc(ac->ch, cap * sizeof(*ch));
	if (ch == NULL) {
		return HS_ENOMEM;
	}
	ac->ch = ch;
	ac->cap = cap;
	return 0;
}

void agd_children_sync(agd_child_t *ac)
{
	bool full = ac->recheck;
	ac->recheck = false;
	if (full) {
		ac->nwarned = 0;
	}
	/* derived children whose zone is gone, or that a child block took */
	for (size_t i = 0; i < ac->n;) {
		struct child *ch = ac->ch[i];
		const char *why = NULL;
		if (!ch->derived) {
			i++;
			continue;
		}
		if (ac->all == NULL) {
			why = "children block removed";
		} else if (agd_zones_find(ac->zones, ch->c->zone) == NULL) {
			why = "no longer one of our zones";
		} else if (find(ac, ch->c->zone, false, NULL) != NULL) {
			why = "a child block for the zone takes it";
		}
		if (why == NULL) {
			i++;
			continue;
		}
		hs_log(HS_LOG_NOTICE, ch->c->zone_txt, NULL, "children: %s: child role stopped", why);
		drop(ac, i);
	}
	if (ac->all == NULL || ac->zones == NULL) {
		return;
	}
	char **names = NULL;
	size_t nnames = 0;
	bool listed = false;
	for (size_t zi = 0; zi < ac->zones->count; zi++) {
		const agd_zone_t *z = ac->zones->z[zi];
		size_t at = 0;
		struct child *old = find(ac, z->name, true, &at);
		if ((old != NULL && !full) || find(ac, z->name, false, NULL) != NULL) {
			continue;
		}
		if (!listed) {
			listed = true;
			int ret = list_dir(ac->all, &names, &nnames);
			if (ret != 0) {
				hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "children: cannot read key-dir %s",
				            ac->all->key_dir);
				names_free(names, nnames);
				return;
			}
		}
		int k = agd_children_key_pick((const char *const *)names, nnames, z->name_txt);
		if (k < 0) {
			if (old != NULL) {
				hs_log(HS_LOG_NOTICE, z->name_txt, NULL,
				       "children: key file gone from %s: child role stopped", ac->all->key_dir);
				drop(ac, at);
			}
			if (!warned(ac, z->name, true)) {
				hs_log(HS_LOG_WARNING, z->name_txt, NULL,
				       "children: no key file %s/K%s+*.private: zone skipped",
				       ac->all->key_dir, z->name_txt);
			}
			continue;
		}
		(void)warned(ac, z->name, false);
		char path[1024], why[1200] = "";
		snprintf(path, sizeof(path), "%s/%s", ac->all->key_dir, names[k]);
		struct ccfg c;
		memset(&c, 0, sizeof(c));
		int ret = derive(ac->all, z, path, &c, why, sizeof(why));
		if (ret != 0) {
			hs_log_code(HS_LOG_ERROR, ret, z->name_txt, NULL, "children: zone skipped: %s",
			            why[0] ? why : hs_strerror(ret));
			if (old != NULL) {
				drop(ac, at);
			}
			continue;
		}
		if (old != NULL && agd_ccfg_equal(old->c, &c)) {
			agd_ccfg_clear(&c);
			continue;
		}
		if (old != NULL) {
			drop(ac, at);
		}
		if (room(ac) != 0 || agd_child_one_start(ac, &c) != 0) {
			agd_ccfg_clear(&c);
			hs_log(HS_LOG_ERROR, z->name_txt, NULL, "children: child role not started: %s",
			       hs_strerror(HS_ENOMEM));
			continue;
		}
		ac->ch[ac->n - 1]->derived = true;
		hs_log(HS_LOG_NOTICE, z->name_txt, NULL, "children: child role %s, key %s",
		       old != NULL ? "restarted" : "started", names[k]);
	}
	names_free(names, nnames);
}

void agd_child_zones(agd_child_t *ac)
{
	if (ac != NULL) {
		agd_children_sync(ac);
	}
}
