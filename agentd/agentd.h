/*
 * agentd/agentd.h -- the agentd daemon: its configuration (config.c), its
 * zones and the owner's intent (zones.c) and the agent-to-agent message
 * handling (channel.c). main.c is the libuv loop around them.
 *
 * Ownership: agd_cfg_t owns everything it points to (free with
 * agd_cfg_free); agd_zones_t owns its zones and their HSYNC records.
 * Functions return 0 or a negative code (libhsync/error.h) and never print
 * (configuration errors come back as "file:line: reason" in ERR).
 */
#ifndef HS_AGENTD_AGENTD_H
#define HS_AGENTD_AGENTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <libknot/libknot.h>

#include "agentd/peer.h"
#include "agentd/process.h"
#include "common/conf.h"
#include "libhsync/key.h"
#include "libhsync/msg.h"
#include "libhsync/replay.h"
#include "libhsync/rr.h"
#include "libhsync/tsig.h"

#define AGD_DEFAULT_CONF "/etc/hsync/agentd.conf"
#define AGD_DEFAULT_STATE_DIR "/var/lib/hsync/agentd"
#define AGD_DEFAULT_PORT 5399
#define AGD_MAX_ADDRS 16
#define AGD_MAX_NS 16
#define AGD_MAX_HSYNC 16
#define AGD_MAX_PARENTNS 16
#define AGD_REPLAY_MAX 65536

/* A local server we talk to: combinerd or hsyncd, with its TSIG key. */
typedef struct agd_server {
	bool set;
	struct sockaddr_storage addr;
	const knot_tsig_key_t *key;     /* borrowed from the key files; NULL = none */
	char text[64];
} agd_server_t;

/* `parent-nameserver ZONE ADDRESS`: ask ADDRESS for delegations in ZONE. */
typedef struct agd_parentns {
	knot_dname_storage_t zone;      /* the parent zone, lower case */
	struct sockaddr_storage addr;   /* port 53 unless given */
} agd_parentns_t;

/* A zone of the configuration (static intent, the fallback to hsyncd). */
typedef struct agd_zone_cfg {
	knot_dname_storage_t name;
	size_t nhsync;
	hs_hsync_t hsync[AGD_MAX_HSYNC];
} agd_zone_cfg_t;

typedef struct agd_cfg {
	hs_conf_t *conf;
	knot_dname_storage_t identity;
	char identity_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	const char *key_file;
	hs_key_t *key;                  /* our SIG(0) key pair; owner = our host */
	size_t nlisten;
	struct sockaddr_storage listen[AGD_MAX_ADDRS];
	size_t npublish;                /* addresses to publish (default: listen) */
	struct sockaddr_storage publish[AGD_MAX_ADDRS];
	uint16_t publish_port;          /* port to publish (default: first listen's) */
	uint32_t publish_ttl;
	struct sockaddr_storage resolver;
	char resolver_txt[64];
	agd_server_t combinerd, hsyncd;
	size_t nns;
	knot_dname_storage_t ns[AGD_MAX_NS];
	hs_peer_timers_t timers;
	uint32_t skew;                  /* tolerated clock difference (0) */
	uint8_t sync_flags;             /* Provider-Sync SYNCHRONIZATION we send */
	const char *state_dir;
	char *control;                  /* control socket path (default state-dir/agentd.ctl) */
	size_t nkeyfiles;
	hs_tsig_keys_t *keyfiles;
	size_t nzones;
	agd_zone_cfg_t *zones;
	struct agd_ddns_cfg *ddns;      /* parent role (agentd/ddns.h); NULL = none */
	hs_proc_timers_t sync_timers;   /* waits of the multi-signer processes (syncd.c) */
	size_t nparentns;               /* parent's servers given by hand (syncpns.c) */
	agd_parentns_t parentns[AGD_MAX_PARENTNS];
} agd_cfg_t;

/* The rules (schema) of agentd's configuration. */
extern const hs_conf_rule_t agd_conf_rules[];

/*
 * Read and check PATH into *out (new). Loads the SIG(0) key pair and the
 * TSIG key files. HS_ECONF (and friends) with "file:line: reason" in ERR.
 */
int agd_cfg_load(const char *path, agd_cfg_t **out, char *err, size_t errlen);
/* Same from TEXT (NAME stands for the file in messages); for tests. */
int agd_cfg_load_string(const char *text, const char *name, agd_cfg_t **out,
                        char *err, size_t errlen);
void agd_cfg_free(agd_cfg_t *cfg);

/*
 * The records to publish for CFG (URI, SVCB, KEY), as hs_publish_all()
 * writes them; NSUPDATE gives the nsupdate form with "send" at the end.
 * *out new (free()).
 */
int agd_cfg_publish(const agd_cfg_t *cfg, bool nsupdate, char **out);

/* The TSIG key NAME from the configured tsig-key-files (borrowed), or NULL. */
const knot_tsig_key_t *agd_cfg_tsig_key(const agd_cfg_t *cfg, const char *name);

/* ---- zones ------------------------------------------------------------------ */

typedef enum { AGD_SRC_CONFIG = 0, AGD_SRC_HSYNCD } agd_src_t;

typedef struct agd_zone {
	knot_dname_storage_t name;      /* lower case */
	char name_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	agd_src_t source;
	size_t nhsync;
	hs_hsync_t hsync[AGD_MAX_HSYNC];
	time_t updated;
} agd_zone_t;

typedef struct agd_zones {
	agd_zone_t **z;
	size_t count;
} agd_zones_t;

agd_zone_t *agd_zones_find(const agd_zones_t *zs, const knot_dname_t *name);

/*
 * Set ZONE's HSYNC records (N of them, copied). If none names IDENTITY the
 * zone is removed (or not added) and 0 is returned with *named false.
 * *named (may be NULL) says whether IDENTITY is in the set.
 */
int agd_zones_set(agd_zones_t *zs, const knot_dname_t *zone, agd_src_t src,
                  const hs_hsync_t *hs, size_t n, const knot_dname_t *identity,
                  time_t now, bool *named);
int agd_zones_remove(agd_zones_t *zs, const knot_dname_t *zone);
void agd_zones_free(agd_zones_t *zs);

/* Does ZONE's HSYNC name IDENTITY? */
bool agd_zone_names(const agd_zone_t *z, const knot_dname_t *identity);

/*
 * Decode the HSYNC records of an answer (WIRE, LEN bytes) to a query for
 * ZONE TYPE65282: records of the answer section with owner ZONE and the
 * HSYNC type. *n gets how many (at most MAX). HS_EMSG when malformed.
 */
int agd_hsync_from_answer(const uint8_t *wire, size_t len, const knot_dname_t *zone,
                          hs_hsync_t *out, size_t max, size_t *n);

/* ---- channel: incoming agent messages ---------------------------------------- */

typedef struct agd_chan {
	const agd_cfg_t *cfg;
	agd_zones_t *zones;
	hs_peers_t *peers;
	hs_replay_t *replay;
	time_t now;                     /* 0 = time(NULL) */
	/* identities whose HELLO we answered NOERROR since we started
	 * (HEARTBEAT from others is REFUSED: protocol.md section 7) */
	knot_dname_storage_t *greeted;
	size_t ngreeted;
	struct agd_syncd *syncd;        /* SYNC and RFI go there (NULL: acknowledged only) */
} agd_chan_t;

void agd_chan_clear(agd_chan_t *ch);   /* frees greeted */

/* What happened to one incoming message, for logs and tests. */
typedef struct agd_chan_result {
	int err;                        /* 0 accepted, else why refused */
	uint8_t rcode;
	hs_msg_kind_t kind;
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	char signer[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_peer_t *peer;                /* the verified sender (borrowed), or NULL */
	bool changed;                   /* the peer's state changed */
	char why[1600];
} agd_chan_result_t;

/*
 * Handle one request (WIRE, LEN bytes, from FROM): verify it (doc/protocol.md
 * section 11), act on it, and write the response into out[max] (*outlen;
 * 0 = send nothing). RES (may be NULL) says what happened.
 */
int agd_chan_handle(agd_chan_t *ch, const uint8_t *wire, size_t len,
                    uint8_t *out, size_t max, size_t *outlen, agd_chan_result_t *res);

/* ---- syncd: the multi-signer processes of our zones (syncd.c, syncdio.c) ---------------- */

/*
 * Glue between agentd/process (one machine per zone, state in
 * state-dir/sync-ZONE.json) and the network: hsyncd (our signed apex),
 * the peers (SYNC, RFI), combinerd (TSIG UPDATE) and the resolver (parent
 * DS and NS, DNSKEY served). *CFGP is read at every use (reload).
 * Logs one line per change; never exits.
 */
typedef struct agd_syncd agd_syncd_t;
struct uv_loop_s;

int agd_syncd_new(struct uv_loop_s *loop, agd_cfg_t *const *cfgp, hs_peers_t *peers,
                  agd_syncd_t **out);
void agd_syncd_free(agd_syncd_t *sd);   /* cancels what is in flight */
/* ZONE's HSYNC changed: Z its entry, or NULL when it no longer names us. */
void agd_syncd_zone(agd_syncd_t *sd, const knot_dname_t *zone, const agd_zone_t *z);
/* hsyncd says ZONE's apex changed: read DNSKEY and SOA from it again. */
void agd_syncd_apex(agd_syncd_t *sd, const knot_dname_t *zone);
/* Configuration read again (own NS, waits). */
void agd_syncd_reload(agd_syncd_t *sd);
/*
 * A verified SYNC from P for ZONE: 0 accepted (saved), HS_ESYNC_REFUSED
 * with WHY, or another code (answer SERVFAIL).
 */
int agd_syncd_part(agd_syncd_t *sd, const knot_dname_t *zone, const hs_peer_t *p,
                   const hs_msg_content_t *c, char *why, size_t whylen);
/* A verified RFI from P: our SYNC goes to P. 0, or HS_ENOTFOUND (no part yet). */
int agd_syncd_rfi(agd_syncd_t *sd, const knot_dname_t *zone, const hs_peer_t *p);
/* P's state changed. */
void agd_syncd_peer(agd_syncd_t *sd, const hs_peer_t *p);
/* Run what is due (called from the daemon's tick). */
void agd_syncd_tick(agd_syncd_t *sd);
/* ZONE's process for the control socket: {"step", "jobs": [...]}, NEW or NULL. */
struct json_t *agd_syncd_status(agd_syncd_t *sd, const knot_dname_t *zone);

#endif /* HS_AGENTD_AGENTD_H */
