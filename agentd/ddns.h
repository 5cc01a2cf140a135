/*
 * agentd/ddns.h -- agentd's delegation management via DDNS, the network
 * glue around the socket-free modules parent.h, trust.h (parent role:
 * ddnsd.c for configuration, publishing, start and control, parentd.c for
 * the receiver) and deleg.h, dsync.h (child role: childd.c, its internals
 * in childint.h, and childkey.c for the child's KEY at its own apex);
 * ddnsreload.c applies a reloaded configuration to both roles.
 *
 * Parent role. Every `parent ZONE { ... }` block of the configuration
 * (hsync.conf(5), section agentd) makes agentd the UPDATE receiver of the
 * parent zone ZONE: it listens (UDP and TCP) on the block's own listen
 * addresses, decides on every message with hs_parent_handle(), applies
 * the scanner's DS rule with a validated DNSKEY look-up of the child
 * (hs_parent_ds_check), then, when the UPDATE changes NS or glue, the
 * CSYNC scanner's rule (hs_parent_ns_check) with the child's NS RRset and
 * the addresses of its in-bailiwick nameservers looked up through the
 * same resolver (parentns.c: REFUSED when the UPDATE disagrees with what
 * the child serves, SERVFAIL when a look-up fails or is bogus; an answer
 * without AD counts only as NOERROR or NXDOMAIN from the validating
 * resolver: the child is unsigned; the resolver should cache briefly,
 * see agentd(8)), sends accepted changes to the zone's real primary by
 * TSIG UPDATE and answers (signed with the parent's SIG(0) key) only
 * when the primary has answered: NOERROR if it took them, SERVFAIL if
 * not. A bootstrap UPDATE adds PENDING keys to the trust store, which is
 * saved before the answer goes out; then the key is looked up: a KEY
 * query at the child apex through the validating resolver (AD makes it
 * TRUSTED), or for an unsigned child (no AD) rounds of KEY queries to
 * every nameserver of the child over UDP and TCP, every
 * bootstrap-interval, until bootstrap-lookups consistent rounds in a row
 * made it TRUSTED (after 3 x that many rounds without success the key is
 * marked "manual needed": KeyState 10).
 *
 * Child role for every zone (children.c). A `children { }` block gives
 * every zone agentd follows (agd_zones_t: from hsyncd or a `zone`
 * statement) a child as if a `child ZONE { }` block existed with the
 * block's options and the key key-dir/K<ZONE>.+<alg>+<tag>.private
 * (agd_children_key_pick); a child block for the zone wins. These derived
 * children live beside the others in agd_child_t; agd_ddns_zones() (called
 * when a zone comes or goes) and agd_ddns_attach() start and stop them. A
 * zone without a key file is logged once and skipped. A reload derives
 * them all again: one whose options or key differ restarts.
 *
 * Reload (SIGHUP, agd_ddns_reload() in ddnsreload.c): the blocks of the
 * new configuration are compared with the running ones, by zone. A block
 * added starts, one removed stops (what it has in flight is cancelled), a
 * changed one (any option differs) restarts, an unchanged one keeps
 * running untouched (a child keeps its state and backoff, a parent its
 * listeners and in-flight jobs). A changed parent saves its trust store,
 * then loads the store of the new block (the same file unless trust-store
 * changed), and binds new listeners only when its listen addresses
 * changed: if they cannot be bound the old block keeps running. One log
 * line per block added, removed or changed, one for the unchanged count.
 *
 * Ownership: agd_ddns_cfg_t owns copies of everything it needs (the
 * configuration tree may be freed after loading); agd_ddns_start() and
 * agd_ddns_reload() take cfg->ddns over (set it NULL); each running block
 * owns its own configuration (moved out of the agd_ddns_cfg_t). JSON from
 * agd_ddns_control() is NEW.
 */
#ifndef HS_AGENTD_DDNS_H
#define HS_AGENTD_DDNS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <uv.h>

#include "agentd/agentd.h"
#include "agentd/parent.h"
#include "agentd/trust.h"
#include "common/conf.h"
#include "common/net.h"
#include "libhsync/replay.h"

typedef struct agd_ddns_cfg agd_ddns_cfg_t;
typedef struct agd_ddns agd_ddns_t;
struct agd_pcfg;

/* Rules of the `parent ZONE { }` and `child ZONE { }` blocks (for agd_conf_rules). */
extern const hs_conf_rule_t agd_ddns_parent_rules[];
extern const hs_conf_rule_t agd_ddns_child_rules[];
/* Rules of the `children { }` block (children.c). */
extern const hs_conf_rule_t agd_ddns_children_rules[];

/*
 * The parent blocks of CFG (checked: CFG's tree, resolver, state-dir and
 * TSIG key files are used) into *out (NEW; NULL when there are none).
 * HS_ECONF with "file:line: reason" in ERR, HS_ENOMEM.
 */
int agd_ddns_cfg_load(const struct agd_cfg *cfg, agd_ddns_cfg_t **out, char *err,
                      size_t errlen);
void agd_ddns_cfg_free(agd_ddns_cfg_t *dc);

/*
 * The records each parent publishes in its zone, as zone-file text:
 * *._dsync.ZONE DSYNC ANY UPDATE PORT TARGET (the wildcard every child
 * finds; RFC 3597 form, as servers
 * that do not know DSYNC take it, the presentation form in a comment),
 * SVCB at the target, KEY at the SIG(0) key's owner. "" when DC is NULL.
 * *out NEW (free()).
 */
int agd_ddns_publish(const agd_ddns_cfg_t *dc, char **out);

/*
 * Start the parent role of CFG (takes cfg->ddns over): trust stores
 * loaded (a missing file is an empty store), listeners bound. *out NEW,
 * NULL when CFG has no parent block. Errors: libuv codes (bind), HS_ECONF
 * (a corrupt trust store; WHY says which), HS_ENOMEM.
 */
int agd_ddns_start(uv_loop_t *loop, struct agd_cfg *cfg, agd_ddns_t **out, char *why,
                   size_t whylen);

/* Cancel what is in flight, close the listeners, free. NULL is fine. */
void agd_ddns_stop(agd_ddns_t *d);

/*
 * SIGHUP: apply the parent and child blocks of CFG (checked; cfg->ddns
 * taken over, NULL = no blocks) to the running *D (NULL = none running;
 * *D may become non-NULL). Added blocks start, removed stop, changed
 * restart, unchanged keep running (see above); the resolver and clock
 * skew change for all. What cannot start is logged and left out (a
 * parent whose new listeners cannot be bound keeps its old block). Logs
 * one line per block added, removed or changed and the unchanged count.
 * After it, call agd_ddns_attach() again. Returns the number of blocks
 * that could not be applied (0: all).
 */
int agd_ddns_reload(uv_loop_t *loop, agd_ddns_t **d, struct agd_cfg *cfg);

/* A and B configure the same parent block (every option equal). Pure. */
bool agd_pcfg_equal(const struct agd_pcfg *a, const struct agd_pcfg *b);
/* A and B have the same listen addresses, in the same order. Pure. */
bool agd_pcfg_same_listen(const struct agd_pcfg *a, const struct agd_pcfg *b);
/* Two TSIG keys are the same (name, algorithm, secret); two unset are. */
bool agd_tsig_equal(const knot_tsig_key_t *a, bool has_a, const knot_tsig_key_t *b, bool has_b);
/* Two key pairs are the same (owner, algorithm, public RDATA, private or not). */
bool agd_key_equal(const hs_key_t *a, const hs_key_t *b);

/*
 * Tell the child role where the zones (their HSYNC) and the peers are, so
 * that only the chosen sender (hs_deleg_is_sender: the first ON SIGN
 * identity in HSYNC order that is OPERATIONAL, we counting as such) talks
 * to the parent. Both BORROWED for the life of D. A zone agentd does not
 * know (no HSYNC) is ours alone.
 */
void agd_ddns_attach(agd_ddns_t *d, const agd_zones_t *zones, const hs_peers_t *peers);

/* ZONE changed (a NOTIFY from hsyncd): a child block for it fetches now. */
void agd_ddns_notify(agd_ddns_t *d, const knot_dname_t *zone);

/* The zones attached (agd_ddns_attach) changed: one added, removed or its
 * HSYNC changed. The children block starts and stops its derived children. */
void agd_ddns_zones(agd_ddns_t *d);

/*
 * A control-socket command, if it is one of ours (else NULL):
 *   trust                   the trust stores (JSON)
 *   trust CHILD KEYTAG      trust CHILD's key(s) with KEYTAG (manual)
 *   refuse CHILD KEYTAG     refuse them
 * The answer is {"ok": ...} or {"error": "..."}.
 */
json_t *agd_ddns_control(agd_ddns_t *d, const char *cmd);

/* ---- child role (childd.c), used by ddnsd.c ---------------------------------------- */

typedef struct agd_child_cfg agd_child_cfg_t;
typedef struct agd_child agd_child_t;

/* The child blocks of CFG into *out (NEW; NULL when none). As agd_ddns_cfg_load. */
int agd_child_cfg_load(const struct agd_cfg *cfg, agd_child_cfg_t **out, char *err,
                       size_t errlen);
void agd_child_cfg_free(agd_child_cfg_t *cc);

/* Start the children of CFG (taken over; NULL: *out NULL). ACFG gives the
 * resolver, identity and clock skew (copied). */
int agd_child_start(uv_loop_t *loop, agd_child_cfg_t *cfg, const struct agd_cfg *acfg,
                    agd_child_t **out);
void agd_child_attach(agd_child_t *ac, const agd_zones_t *zones, const hs_peers_t *peers);
void agd_child_notify(agd_child_t *ac, const knot_dname_t *zone);
void agd_child_stop(agd_child_t *ac);
/* The zones attached changed (agd_ddns_zones). */
void agd_child_zones(agd_child_t *ac);

/*
 * The children block's key files (children.c), pure. NAME is a key file of
 * ZONE_TXT (presentation form with the final dot, as dnssec-keygen names
 * it): "K" ZONE_TXT "+" 3 digits "+" 5 digits ".private", the zone name
 * compared case-insensitively.
 */
bool agd_children_key_name(const char *name, const char *zone_txt);
/* The index in NAMES (N of them) of ZONE_TXT's key file; when there are
 * several, the one whose name sorts first (strcmp); -1 when none. */
int agd_children_key_pick(const char *const *names, size_t n, const char *zone_txt);

/* ---- the child's SIG(0) KEY at its own apex (childkey.c), used by childd.c ----------
 *
 * `publish-key yes` in a child block: agentd asks its combinerd (the
 * `combinerd ADDR key NAME` statement, TSIG UPDATE) to carry the public
 * half of the block's `key` as the child's apex KEY RRset ("delete KEY;
 * add KEY", the block's ttl), so that the parent can trust it by a
 * validated look-up once the signer serves it signed. The combinerd zone
 * needs `allow-apex-key yes`. Retried with the block's backoff until
 * combinerd answers NOERROR; logged. Not sent again until the block
 * restarts (agentd restarted, or a reload that changed the block; the
 * contribution persists at combinerd).
 */
typedef struct agd_ckey_cfg {
	bool on;                        /* publish-key yes */
	struct sockaddr_storage addr;   /* combinerd */
	char addr_txt[64];
	knot_tsig_key_t tsig;           /* owned copy (agd_ckey_cfg_clear) */
	bool has_tsig;
} agd_ckey_cfg_t;

typedef struct agd_ckey agd_ckey_t;

/*
 * publish-key of the child block BLK into *out (zeroed by the caller),
 * with CFG's combinerd address and TSIG key copied. HS_ECONF with
 * "file:line: reason" when publish-key yes has no combinerd statement or
 * that statement no key; HS_ENOMEM.
 */
int agd_ckey_cfg_load(const struct agd_cfg *cfg, const hs_conf_stmt_t *blk, agd_ckey_cfg_t *out,
                      char *err, size_t errlen);
void agd_ckey_cfg_clear(agd_ckey_cfg_t *kc);

/*
 * Start publishing KEY (BORROWED, the child block's key pair; owner = the
 * zone) as ZONE's apex KEY with TTL, backoff BMIN..BMAX seconds. KC and
 * ZONE_TXT BORROWED for the life of *out. *out NEW, NULL when kc->on is
 * false. HS_ENOMEM.
 */
int agd_ckey_start(uv_loop_t *loop, const agd_ckey_cfg_t *kc, const char *zone_txt,
                   const hs_key_t *key, uint32_t ttl, uint32_t bmin, uint32_t bmax,
                   agd_ckey_t **out);
/* True when there is nothing to wait for: K is NULL (publish-key no) or
 * combinerd took the KEY. */
bool agd_ckey_ready(const agd_ckey_t *k);
/* Zone Z (BORROWED) has KEY's public RDATA in the KEY RRset at APEX: the
 * signer serves what combinerd took, so a bootstrap can be looked up. */
bool agd_ckey_served(const hs_zone_t *z, const knot_dname_t *apex, const hs_key_t *key);
/* Cancel what is in flight and free. NULL is fine. */
void agd_ckey_stop(agd_ckey_t *k);

/* ---- between ddnsd.c and parentd.c (the parent role's runtime) ------------------------ */

struct agd_pcfg {
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
	struct agd_pcfg *p;
	agd_child_cfg_t *child;
	struct sockaddr_storage resolver;
	char resolver_txt[64];
	uint32_t skew;
	uint32_t ttl;
};

struct agd_job;
struct agd_boot;

struct agd_parent {
	struct agd_ddns *d;
	struct agd_pcfg cfg;            /* owned (moved from agd_ddns_cfg_t) */
	struct agd_pcfg *c;             /* &cfg */
	hs_trust_t *trust;
	hs_parent_conf_t pc;
	hs_net_server_t *srv;
	struct agd_job *jobs;
	struct agd_boot *boots;
};

struct agd_ddns {
	uv_loop_t *loop;
	agd_ddns_cfg_t *cfg;
	size_t n;
	struct agd_parent **p;          /* each NEW (their address is stable) */
	agd_child_t *child;
	hs_replay_t *replay;            /* signed UPDATEs accepted, against replays */
};

/* The receiver's handler (ARG: struct agd_parent), for hs_net_server_new. */
void agd_parent_on_update(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg);
/* Bootstrap look-ups for every PENDING key of CHILD that has none running. */
void agd_parent_boot_start(struct agd_parent *p, const knot_dname_t *child);
/* Save P's trust store (logged on failure). */
int agd_parent_save_trust(struct agd_parent *p);
/* Cancel and free what P has in flight (requests are ended unanswered). */
void agd_parent_clear(struct agd_parent *p);

/* ddnsd.c: free what a parent block's configuration owns and zero it. */
void agd_pcfg_clear(struct agd_pcfg *c);
/*
 * ddnsd.c: a parent for C (moved in: *C zeroed whatever the result) in D,
 * trust store loaded, listeners bound, pending keys looked up again.
 * *out NEW. Errors as agd_ddns_start (WHY says which); nothing stays.
 */
int agd_parent_open(agd_ddns_t *d, struct agd_pcfg *c, struct agd_parent **out, char *why,
                    size_t whylen);
/* ddnsd.c: cancel what P has in flight, save its trust store (SAVE), close its listeners, free. */
void agd_parent_close(struct agd_parent *p, bool save);

/* ---- the NS and glue check's look-ups (parentns.c), used by parentd.c ------------------ */

typedef struct agd_nscheck agd_nscheck_t;

/*
 * The outcome of a check: RCODE NOERROR (the UPDATE's NS and glue changes
 * agree with what the child serves), REFUSED (they do not; ERR is
 * hs_parent_ns_check's code) or SERVFAIL (a look-up failed: no answer,
 * SERVFAIL from the resolver (bogus, or the child unreachable), a
 * malformed answer). REASON (borrowed for the call) says why.
 */
typedef void (*agd_nscheck_cb)(uint8_t rcode, int err, const char *reason, void *arg);

/*
 * Look up through P's validating resolver CHILD's NS RRset, then the glue
 * RRsets hs_parent_glue_lookups() names, and decide CHGS with
 * hs_parent_ns_check(). CHGS is BORROWED until CB is called or the check
 * cancelled. CB is called exactly once, never from inside this call, and
 * after the check is freed. *out (borrowed) is for agd_nscheck_cancel().
 * Errors (CB not called): HS_EINVAL, HS_ENOMEM, hs_net_query codes.
 */
int agd_nscheck_start(struct agd_parent *p, const knot_dname_t *child, const hs_chgs_t *chgs,
                      agd_nscheck_cb cb, void *arg, agd_nscheck_t **out);
/* Give a running check up: CB is never called. Not from inside CB. */
void agd_nscheck_cancel(agd_nscheck_t *c);

#endif /* HS_AGENTD_DDNS_H */
