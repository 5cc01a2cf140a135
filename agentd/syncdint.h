/*
 * agentd/syncdint.h -- what the zones and the machine (syncd.c) and the
 * network side (syncdio.c) of syncd share. Internal to agentd/syncd*.c;
 * the daemon uses agentd.h.
 */
#ifndef HS_AGENTD_SYNCDINT_H
#define HS_AGENTD_SYNCDINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <uv.h>
#include <libknot/libknot.h>

#include "agentd/agentd.h"
#include "agentd/process.h"
#include "agentd/sync.h"
#include "common/net.h"
#include "libhsync/tsig.h"

enum qkind { Q_APEX_SOA, Q_APEX_DNSKEY, Q_SYNC, Q_RFI, Q_UPDATE, Q_DS, Q_PUBLISHED };

struct szone;
struct agd_pns;

struct sq {
	struct sq *next;
	struct agd_syncd *sd;
	enum qkind kind;
	knot_dname_storage_t zone;
	knot_dname_storage_t identity;   /* peer for SYNC, RFI, PUBLISHED */
	knot_pkt_t *pkt;                 /* DNS queries, UPDATE */
	hs_tsig_ctx_t tsig;
	uint8_t *req;                    /* agent messages */
	size_t len;
	hs_sync_plan_t plan;             /* UPDATE */
	uint32_t serial;                 /* APEX: the SOA serial read first */
	bool have_serial;
	hs_net_query_t *q;
};

struct szone {
	struct szone *next;
	knot_dname_storage_t name;
	char txt[KNOT_DNAME_TXT_MAXLEN + 1];
	char *path;
	hs_proc_t *proc;
	bool loaded;            /* restored from disk */
	bool kick;              /* tick now */
	bool update_busy;
	bool update_again;
	bool apex_busy, apex_again;
	time_t due;             /* next tick due (0: only when kicked) */
	time_t retry;           /* combiner UPDATE not before */
	time_t resync;          /* a SYNC failed: send our part again then (0: no) */
	unsigned resync_n;      /* failures in a row (backs off to 64 s) */
	struct agd_pns *pns;    /* the parent NS look-up in flight (syncpns.c), or NULL */
	bool pns_known;         /* pns_parent's server pns_server told the last time: */
	knot_dname_storage_t pns_parent;        /* ask it first, without finding it again */
	struct sockaddr_storage pns_server;
	char last_status[512];
};

struct agd_syncd {
	uv_loop_t *loop;
	agd_cfg_t *const *cfgp;
	hs_peers_t *peers;
	struct szone *zones;
	struct sq *qs;
};

#define CFG(sd) (*(sd)->cfgp)

/* ---- syncd.c ---- */

/* T's name ("TYPE123" if libknot has none) into BUF; returns BUF. */
const char *agd_syncd_type_name(uint16_t t, char *buf, size_t len);
/* ZONE's entry, or NULL. BORROWED. */
struct szone *agd_syncd_zfind(agd_syncd_t *sd, const knot_dname_t *zone);
/* Save Z's process state (logs a failure). */
void agd_syncd_zsave(struct szone *z);
/* One line per record in NEW not in OLD ("added") and in OLD not in NEW ("removed"). */
void agd_syncd_log_diff(const char *ztxt, uint16_t type, const knot_rdataset_t *old,
                        const knot_rdataset_t *new, const char *from);
/* Copy of SRC (NULL: empty) into DST; DST empty when out of memory. */
void agd_syncd_rds_copy(const knot_rdataset_t *src, knot_rdataset_t *dst);

/* ---- syncdio.c ---- */

/* Free Q and take it out of the list of queries in flight. */
void agd_syncd_sq_free(struct sq *q);
/* Ask TO for QTYPE at ZONE (ID: the peer, for Q_PUBLISHED; RD: recursion desired). */
int agd_syncd_dns_query(agd_syncd_t *sd, enum qkind kind, const knot_dname_t *zone,
                        const knot_dname_t *id, uint16_t qtype, const struct sockaddr *to,
                        bool rd);
/* Read our signer's apex (SOA, then DNSKEY) from hsyncd again. */
void agd_syncd_apex_fetch(agd_syncd_t *sd, struct szone *z);
/* Can a message reach P now (OPERATIONAL or DEGRADED, addresses and keys known)? */
bool agd_syncd_peer_reachable(const hs_peer_t *p);
/* Our part to every reachable peer of the zone (ONLY: just that one). */
void agd_syncd_send_sync(agd_syncd_t *sd, struct szone *z, const knot_dname_t *only);
/* After a restart: RFI to every reachable ON peer whose part we lack. */
void agd_syncd_send_rfis(agd_syncd_t *sd, struct szone *z);
/* Plan the merge and, if it changed, send the UPDATE to our combinerd. */
void agd_syncd_combiner_update(agd_syncd_t *sd, struct szone *z, time_t now);

/* ---- syncpns.c ---- */

/*
 * Read Z's delegation NS from its parent's servers (agentd/pns.h) and give
 * it to Z's process (hs_proc_parent_ns); nothing while one is in flight.
 */
void agd_syncd_parent_ns(agd_syncd_t *sd, struct szone *z);
/* Stop Z's parent NS look-up, if any (nothing reaches the process). */
void agd_syncd_parent_ns_cancel(struct szone *z);

#endif /* HS_AGENTD_SYNCDINT_H */
