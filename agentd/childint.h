/*
 * agentd/childint.h -- the child role's internals (agentd/ddns.h), shared by
 * childd.c (the role on the network) and ddnsreload.c (SIGHUP: which child
 * blocks start, stop, restart or keep running). Not for other modules.
 *
 * Ownership: a running child owns its block's configuration by value
 * (struct child's own cfg; agd_child_one_start() moves it out of the
 * agd_child_cfg_t, leaving a zeroed entry there), so a reload can keep a
 * child running while the configuration it was loaded from is freed.
 */
#ifndef HS_AGENTD_CHILDINT_H
#define HS_AGENTD_CHILDINT_H

#include <stdbool.h>

#include "agentd/agentd.h"
#include "agentd/ddns.h"
#include "agentd/deleg.h"
#include "agentd/dsync.h"
#include "common/xfrnet.h"

#define CH_MAX_ADDRS 8
#define CH_MAX_PKEYS 8

struct ccfg {
	knot_dname_storage_t zone;
	char zone_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	struct sockaddr_storage source;
	char source_txt[HS_ADDR_STRLEN];
	knot_tsig_key_t tsig;
	bool has_tsig;
	hs_key_t *key;
	knot_dname_storage_t parent;      /* [0] == 0: from the child name */
	hs_deleg_mode_t mode;
	uint32_t ttl, refresh, bmin, bmax;
	char *told_path;
	agd_ckey_cfg_t kc;                /* publish-key (childkey.c) */
};

/* The `children { }` block (children.c): the options every derived child
 * takes (zone, key, parent and told_path unset in o), where the keys are. */
struct ctmpl {
	struct ccfg o;
	char *key_dir;
	char *state_dir;
};

struct agd_child_cfg {
	size_t n;
	struct ccfg *c;
	struct ctmpl *all;              /* the children block, or NULL */
};

enum cstate {
	CS_IDLE = 0, CS_FETCH, CS_DISC, CS_ADDR, CS_PKEY, CS_KEYSTATE, CS_BOOT, CS_UPDATE,
};

struct agd_child;

struct child {
	uv_timer_t timer;               /* first: closing it frees the child */
	struct agd_child *ac;
	struct ccfg cfg;                 /* owned (moved from the block list) */
	struct ccfg *c;                 /* &cfg */
	enum cstate st;
	hs_xfr_fetch_t *fetch;
	hs_net_query_t *nq;
	hs_zone_t *told, *now;
	bool told_loaded;
	hs_chgs_t chgs;
	hs_dsync_disc_t disc;
	knot_dname_storage_t pzone, target;
	uint16_t port;
	size_t naddrs, ai;
	struct sockaddr_storage addrs[CH_MAX_ADDRS];
	size_t npkeys;
	hs_key_t *pkeys[CH_MAX_PKEYS];
	bool pkey_at_target;            /* the parent's KEY asked at the target name */
	knot_pkt_t *req;                /* the signed request in flight */
	uint16_t qid;
	hs_backoff_t backoff;
	bool again;                     /* a NOTIFY came while busy: fetch again at once */
	agd_ckey_t *kp;                 /* publish-key: our KEY to combinerd, or NULL */
	bool key_served;                /* the source's last zone has our KEY at the apex */
	bool derived;                   /* from the children block, not a child block */
};

struct agd_child {
	uv_loop_t *loop;
	agd_child_cfg_t *cfg;
	struct sockaddr_storage resolver;
	char resolver_txt[64];
	knot_dname_storage_t identity;
	uint32_t skew;
	const agd_zones_t *zones;
	const hs_peers_t *peers;
	size_t n, cap;
	struct child **ch;              /* room for cap */
	struct ctmpl *all;              /* the children block (owned), or NULL */
	bool recheck;                   /* after a reload: derive every child again */
	size_t nwarned;
	knot_dname_storage_t *warned;   /* zones whose missing key file was logged */
};

/* The options a child block and the children block share (source and its
 * TSIG key, mode, ttl, refresh, backoff, publish-key) of BLK into C.
 * HS_ECONF with "file:line: reason" in ERR, HS_ENOMEM. */
/* The options a child block and the children block share (the rules of
 * agd_ccfg_opts_load), as entries of a rule table. */
extern const hs_conf_opt_t agd_child_source_opts[];
#define AGD_CHILD_RULES \
	{ .keyword = "source", .flags = HS_CONF_REQUIRED, .min = 1, .max = 1, \
	  .kind = { HS_CONF_ADDR }, .opts = agd_child_source_opts }, \
	{ .keyword = "mode", .min = 1, .max = 1, .kind = { HS_CONF_CHOICE }, \
	  .choices = "delta|replace" }, \
	{ .keyword = "ttl", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } }, \
	{ .keyword = "refresh", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } }, \
	{ .keyword = "backoff-min", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } }, \
	{ .keyword = "backoff-max", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } }, \
	{ .keyword = "publish-key", .min = 1, .max = 1, .kind = { HS_CONF_BOOL } }

int agd_ccfg_opts_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct ccfg *c,
                       char *err, size_t errlen);

/* children.c: the children block BLK into *out (NEW): its options, key-dir
 * (it must be a readable directory). Errors as agd_ccfg_opts_load. */
int agd_ctmpl_load(const agd_cfg_t *cfg, const hs_conf_stmt_t *blk, struct ctmpl **out,
                   char *err, size_t errlen);
void agd_ctmpl_free(struct ctmpl *t);
/* A and B are the same children block (options, key-dir). Pure. */
bool agd_ctmpl_equal(const struct ctmpl *a, const struct ctmpl *b);

/*
 * children.c: make the derived children of AC match its zones: one per
 * zone of ac->zones that has no child block and a key file in key-dir
 * (started), none for a zone that is gone or got a child block (stopped),
 * none without a children block. A zone without a key file is logged once.
 * With ac->recheck (set by a reload) every derived child is derived again
 * and restarted when it differs (options, key file); recheck is cleared.
 */
void agd_children_sync(agd_child_t *ac);

/* Free what C owns and zero it (a zeroed ccfg is fine). */
void agd_ccfg_clear(struct ccfg *c);

/* True when A and B are the same block: every option (source and its TSIG
 * key, key pair, parent, mode, ttl, refresh, backoff, publish-key and its
 * combinerd) is equal. Pure. */
bool agd_ccfg_equal(const struct ccfg *a, const struct ccfg *b);

/* Start a child for C (moved into the child: *C is zeroed, whatever the
 * result) in AC; appended to ac->ch (AC's array has room for it: the
 * caller sized it). HS_ENOMEM. */
int agd_child_one_start(agd_child_t *ac, struct ccfg *c);

/* Stop CH: what is in flight is cancelled, its memory goes once the loop
 * has closed its timer. */
void agd_child_one_stop(struct child *ch);

#endif /* HS_AGENTD_CHILDINT_H */
