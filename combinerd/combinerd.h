/*
 * combinerd/combinerd.h -- the combinerd daemon's own modules: its
 * configuration (config.c), one zone's state on disk and in memory
 * (zone.c), and the answers to DNS messages that are not transfers
 * (proto.c: UPDATE from the agent, NOTIFY from a primary, SOA and apex
 * queries). main.c (inbound, signals) and outbound.c (transfers and
 * NOTIFY out) only move bytes and run timers; everything that decides is
 * in the first three, so it can be tested without sockets.
 *
 * Configuration (hsync.conf(5), section combinerd):
 *
 *	listen 127.0.0.1@5300
 *	tsig-key-file /etc/hsync/keys          # tsig-keygen output
 *	state-dir /var/lib/hsync/combinerd
 *	refresh-min 30                         # floor of SOA refresh/retry (default 30s)
 *	journal-size 100 100000                # entries, RRs of IXFR history
 *	zone example. {
 *		primary 192.0.2.1@53 key owner-xfr       # repeatable
 *		downstream 127.0.0.1@5302 key signer-xfr # NOTIFY + AXFR/IXFR allowed
 *		allow 10.0.0.0/8 key monitor              # AXFR/IXFR allowed, no NOTIFY
 *		agent-key agent-update                    # key the agent signs UPDATEs with
 *		allow-apex-key yes                        # the agent may contribute the apex
 *	}                                                 # KEY (its SIG(0) key); default no
 *
 * Functions return 0 or a negative code (libhsync/error.h); config.c never
 * prints; zone.c (rebuilds, state) and proto.c (an accepted contribution,
 * before the rebuild it causes) log the events of a zone, one line each,
 * through common/log.h; other events proto.c hands back as a line.
 */
#ifndef HS_COMBINERD_COMBINERD_H
#define HS_COMBINERD_COMBINERD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>
#include <uv.h>

#include "combinerd/combine.h"
#include "combinerd/contrib.h"
#include "combinerd/journal.h"
#include "common/conf.h"
#include "common/daemon.h"
#include "common/net.h"
#include "common/xfrnet.h"
#include "common/zone.h"
#include "libhsync/tsig.h"

#define CBD_DEFAULT_CONF "/etc/hsync/combinerd.conf"
#define CBD_DEFAULT_PORT 53
#define CBD_REFRESH_MIN_DEFAULT 30     /* seconds */

/* ---- configuration (config.c) ----------------------------------------------- */

typedef struct {
	struct sockaddr_storage addr;  /* where to ask (port included) */
	const knot_tsig_key_t *key;    /* borrowed from the cfg's key ring; NULL: none */
} cbd_primary_t;

typedef struct {
	struct hs_prefix prefix;       /* who may transfer */
	struct sockaddr_storage addr;  /* where NOTIFY goes (notify only) */
	bool notify;                   /* downstream: yes; allow: no */
	const knot_tsig_key_t *key;    /* required on transfers; NULL: unsigned allowed */
} cbd_down_t;

typedef struct {
	knot_dname_t name[KNOT_DNAME_MAXLEN];
	char text[KNOT_DNAME_TXT_MAXLEN + 1];
	cbd_primary_t *primaries;
	size_t nprimaries;
	cbd_down_t *downs;
	size_t ndowns;
	const knot_tsig_key_t *agent_key;   /* borrowed */
	bool allow_key;                     /* allow-apex-key: the agent may set the apex KEY */
	const char *file;                   /* where the zone statement is (borrowed) */
	unsigned line;
} cbd_zone_cfg_t;

typedef struct {
	hs_conf_t *conf;                 /* owned; strings below are borrowed from it */
	hs_tsig_keys_t keys;             /* every key of every tsig-key-file, owned */
	struct sockaddr_storage *listen;
	size_t nlisten;
	const char *state_dir;
	unsigned refresh_min;            /* seconds, floor of refresh and retry timers */
	size_t journal_entries, journal_rrs;
	cbd_zone_cfg_t *zones;
	size_t nzones;
} cbd_cfg_t;

/*
 * Read and check the configuration at path (conf_text NULL) or from
 * conf_text (path is then its name in messages). *out is new:
 * cbd_cfg_free(). Errors: HS_ECONF (or HS_ENOMEM) with "file:line: reason"
 * in err: bad syntax, a key named that no tsig-key-file holds, a bad key
 * file, no state-dir, a zone without agent-key or primary.
 */
int cbd_cfg_load(const char *path, const char *conf_text, cbd_cfg_t **out,
                 char *err, size_t errlen);
void cbd_cfg_free(cbd_cfg_t *cfg);

/* The zone's configuration (borrowed), or NULL. */
const cbd_zone_cfg_t *cbd_cfg_zone(const cbd_cfg_t *cfg, const knot_dname_t *name);

/* May peer (port ignored) transfer the zone, having signed with key (NULL:
 * unsigned)? Only a downstream or allow entry whose prefix holds peer and
 * whose key is that key. */
bool cbd_acl_xfr(const cbd_zone_cfg_t *zc, const struct sockaddr *peer,
                 const knot_tsig_key_t *key);

/* The primary whose address (port ignored) is peer's, or NULL. */
const cbd_primary_t *cbd_primary_of(const cbd_zone_cfg_t *zc, const struct sockaddr *peer);

/* ---- one zone (zone.c) ---------------------------------------------------------- */

typedef struct cbd_zone {
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	char text[KNOT_DNAME_TXT_MAXLEN + 1];
	const cbd_zone_cfg_t *cfg;   /* borrowed; replaced on reload */
	char *cpath, *jpath;         /* state files, owned */
	hs_contrib_t *ct;            /* owned */
	hs_combiner_t *comb;         /* owned */
	hs_journal_t *j;             /* owned */
	uint64_t version;            /* bumped on every change of the combined zone */
	bool expired;                /* no good refresh within SOA expire: not served */
	void *loop;                  /* main.c's state of the zone (timers, transfers) */
} cbd_zone_t;

/*
 * Load the zone's contributions, journal and serial from the state
 * directory into a new zone. *out is new: cbd_zone_free(). HS_ESYNTAX /
 * HS_EIO with "path: reason" in err when a state file is damaged (the
 * daemon then refuses to start rather than lose state).
 */
int cbd_zone_open(const cbd_cfg_t *cfg, const cbd_zone_cfg_t *zc, cbd_zone_t **out,
                  char *err, size_t errlen);
void cbd_zone_free(cbd_zone_t *z);

/* Combined zone (borrowed, NULL before the first owner zone) and its serial. */
hs_zone_t *cbd_zone_combined(const cbd_zone_t *z);
uint32_t cbd_zone_serial(const cbd_zone_t *z);

/*
 * The three inputs. Each records the result in the journal, writes the
 * journal and serial, and logs one rebuild line (records, time, serials,
 * cause). Returns 1 when the combined zone changed (send NOTIFY), 0 when
 * not, or a negative code (the zone we had stays; for the deltas: the
 * ones before the failing one are kept, and the caller asks for AXFR).
 *   owner_full    takes zone on success (NULL'd); on error the caller frees it
 *   owner_deltas  IXFR differences, oldest first (borrowed)
 *   contrib       after ct changed
 */
int cbd_zone_owner_full(cbd_zone_t *z, hs_zone_t **zone, const char *from);
int cbd_zone_owner_deltas(cbd_zone_t *z, hs_diff_t **deltas, size_t n, const char *from);
int cbd_zone_contrib_changed(cbd_zone_t *z, const char *from);

/* ---- messages (proto.c) ------------------------------------------------------- */

enum {
	CBD_ACT_NONE = 0,
	CBD_ACT_REFRESH,   /* a primary's NOTIFY: check the zone now */
	CBD_ACT_CHANGED,   /* the combined zone changed: NOTIFY downstreams */
};

typedef struct {
	const cbd_cfg_t *cfg;
	cbd_zone_t **zones;   /* borrowed, one per cfg zone */
	size_t nzones;
} cbd_view_t;

/* Zone by name in the view (borrowed), or NULL. */
cbd_zone_t *cbd_view_zone(const cbd_view_t *v, const knot_dname_t *name);

/*
 * Handle one message that is not an AXFR/IXFR query (main.c gives those to
 * common/xfrnet.h first): UPDATE, NOTIFY, or a query. resp (caller's, from
 * knot_pkt_new with KNOT_WIRE_MAX_PKTSIZE) gets the answer; resp->size 0
 * means send nothing (not a DNS query at all). *zone and *action say what
 * the loop must do next (CBD_ACT_*; *zone NULL with CBD_ACT_NONE).
 * log (may be NULL) gets one line saying what was done and why, for
 * refusals and changes; empty when there is nothing to say.
 *   UPDATE: FORMERR if libknot cannot parse it; NOTAUTH (with the TSIG
 *     error) for a bad signature; REFUSED unsigned or signed with another
 *     key than the zone's agent-key; NOTAUTH for a zone we do not serve;
 *     else hs_contrib_update() decides (contrib.h; KEY only with the
 *     zone's allow-apex-key, as configured now), and an accepted change
 *     is on disk, combined and journalled before NOERROR is built.
 *   NOTIFY: only from a primary of the zone (REFUSED), signed with its key
 *     (NOTAUTH/REFUSED); NOERROR and CBD_ACT_REFRESH.
 *   QUERY: SOA, NS, KEY, DNSKEY, CDS, CDNSKEY, CSYNC at a zone's apex are
 *     answered from the combined zone (NODATA if none); anything else
 *     REFUSED. A signed query gets a signed answer. udp: the answer must
 *     fit 512 bytes (no EDNS is answered), else it is empty with TC set
 *     and the client asks again over TCP.
 */
int cbd_handle(const cbd_view_t *v, const struct sockaddr *peer, bool udp, const uint8_t *msg,
               size_t len, knot_pkt_t *resp, cbd_zone_t **zone, int *action, char *log,
               size_t loglen);

/* ---- event loop (main.c, outbound.c) ------------------------------------------
 * State that only the loop uses; not for unit tests. */

struct cbd_daemon;

/* A version of the combined zone for the transfers out that use it:
 * borrowed from the live zone and journal until a change comes while a
 * transfer still runs; then cbd_snap_detach() makes it a copy. */
struct cbd_snap {
	int refs;
	uint64_t version;
	bool owned;              /* zone and deltas are copies (else borrowed) */
	hs_zone_t *zone;
	hs_diff_t **deltas;
	size_t n;
};

/* One NOTIFY to a downstream, with retries. */
struct cbd_notify {
	struct cbd_zl *zl;
	size_t idx;
	hs_xfr_notify_t *h;
	uint32_t serial;
};

/* The loop's state of one zone. */
struct cbd_zl {
	struct cbd_daemon *d;
	cbd_zone_t *z;
	uv_timer_t timer;
	hs_xfr_fetch_t *fetch;
	hs_zone_t *cur;          /* owner zone handed to the running fetch */
	hs_net_query_t *soaq;    /* SOA check in progress */
	knot_pkt_t *soapkt;      /* its query */
	hs_tsig_ctx_t soactx;
	bool renotify;           /* NOTIFYs were cut by a reload: send again */
	size_t primary;          /* which primary to ask next */
	bool again;              /* a NOTIFY came while fetching */
	bool axfr;               /* next fetch: AXFR only */
	bool have_soa;
	uint32_t refresh, retry, expire;
	uint64_t last_ok;        /* uv_now of the last good refresh (0: none) */
	struct cbd_snap *snap;
	struct cbd_notify **notifies;  /* one slot per downstream */
	size_t nnotifies;
};

/* The daemon. */
struct cbd_daemon {
	uv_loop_t *loop;
	const char *conf_path;
	int verbosity;
	cbd_cfg_t *cfg;
	cbd_zone_t **zones;
	size_t nzones;
	hs_net_server_t *srv;
	hs_xfr_server_t *xs;
	hs_signals_t *sig;
	knot_pkt_t *resp;
	bool stopping;
};

static inline struct cbd_zl *cbd_zl_of(cbd_zone_t *z)
{
	return z->loop;
}

/* "ADDR@PORT" of sa into buf ("?" if it cannot be written). */
void cbd_peer_str(const struct sockaddr *sa, char *buf, size_t len);

/* Start serving AXFR/IXFR for d's zones with d's keys (d->xs). */
int cbd_out_start(struct cbd_daemon *d);
/* The zone and journal of l are about to change: transfers out in
 * progress get their own copy of what they read. */
void cbd_snap_detach(struct cbd_zl *l);
void cbd_snap_unref(struct cbd_snap *s);
/* NOTIFY the zone's serial to every downstream (a NOTIFY still being
 * retried for an older serial is replaced), or stop them all. */
void cbd_notify_downstreams(struct cbd_zl *l);
void cbd_notify_cancel_all(struct cbd_zl *l);

#endif /* HS_COMBINERD_COMBINERD_H */
