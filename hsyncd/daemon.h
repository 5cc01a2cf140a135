/*
 * hsyncd/daemon.h -- hsyncd's event-loop state, shared by the modules that
 * run on the libuv loop (internal: only hsyncd's own loop modules include it;
 * everything protocol-level is in hsyncd.h, apex.h, change.h, store.h,
 * catalog.h and is tested without a loop).
 *
 *	main.c      start-up, configuration reload (sync of the zone set),
 *	            signals, the DNS server callback
 *	zones.c     the table of zones followed: find, add, stop, drop
 *	follow.c    per zone: SOA checks, IXFR/AXFR of the apex, refresh
 *	            timers, the queue of refreshes waiting for a free slot
 *	notify.c    NOTIFY to subscribers: one job per (subscriber, type),
 *	            coalesced and retried with a growing interval
 *	events.c    change events as JSON lines, to stdout or a command
 *	catwatch.c  catalog zones (RFC 9432): transfer, member list, members
 *
 * Names: hsd_zone_* / hsd_zones_* (zones.c), hsd_follow_*, hsd_notify_*,
 * hsd_ev_*, hsd_cat_*.
 *
 * Ownership: one struct hsd_daemon (main.c's) owns every struct hsd_zone in
 * its table; a zone owns its operation in flight and its NOTIFY jobs. Zones,
 * jobs and the events command are freed only after their libuv handles
 * close, so none may be touched after hsd_zone_end() / hsd_notify_end() /
 * hsd_ev_close().
 */
#ifndef HS_HSYNCD_DAEMON_H
#define HS_HSYNCD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>
#include <libknot/libknot.h>

#include "common/daemon.h"
#include "common/net.h"
#include "common/xfrnet.h"
#include "hsyncd/apex.h"
#include "hsyncd/catalog.h"
#include "hsyncd/hsyncd.h"
#include "hsyncd/store.h"
#include "libhsync/tsig.h"

#define HSD_QUERY_CAP 1024

struct hsd_daemon;
struct hsd_zone;
struct hsd_job;        /* notify.c */
struct hsd_evcmd;     /* events.c */

/* One query (SOA, IXFR or AXFR) to a zone's source. */
struct hsd_op {
	struct hsd_zone *z;
	hsd_cfg_t *cfg;            /* reference: the key and source are borrowed from it */
	hsd_peer_t src;
	uint16_t qtype;
	uint8_t q[HSD_QUERY_CAP];
	size_t qlen;
	hs_tsig_ctx_t tsig;
	hs_net_query_t *h;
	hs_xfr_fetch_t *f;         /* HSD_Z_CATALOG: the fetch of the whole catalog */
	hs_apex_xfr_t x;
	bool xfr;                  /* x is in use */
	size_t msgs;
};

enum hsd_zone_kind {
	HSD_Z_ZONE = 0,            /* a zone of the configuration */
	HSD_Z_CATALOG,             /* a catalog zone of the configuration */
	HSD_Z_MEMBER,              /* a member of a catalog */
};

struct hsd_zone {
	struct hsd_daemon *d;
	struct hsd_zone *hnext;
	enum hsd_zone_kind kind;
	bool mark;                 /* sync_zones() (main.c), cat_members(): kept */
	const hsd_zone_cfg_t *zc;  /* borrowed from d->cfg, or own */
	hsd_zone_cfg_t *own;       /* HSD_Z_MEMBER: the catalog's source and subscribers (owned) */
	struct hsd_zone *cat;      /* HSD_Z_MEMBER: its catalog */
	hs_zone_t *czone;          /* HSD_Z_CATALOG: the whole catalog zone (for IXFR) */
	hs_catalog_t *members;     /* HSD_Z_CATALOG: its member list in force */
	knot_dname_t *name;        /* owned, lowercase */
	char *name_txt;            /* owned */
	hs_apex_t *cur;
	uv_timer_t timer;
	struct hsd_op *op;
	bool again;                /* refresh asked while busy */
	bool queued;               /* waiting in d->queue for a free slot */
	struct hsd_zone *qnext;
	struct hsd_job *jobs;
};

struct hsd_daemon {
	uv_loop_t *loop;           /* loop->data points back here (events.c needs it) */
	hsd_cfg_t *cfg;
	const char *conf_file;
	int verbosity;
	hs_store_t *store;
	hs_net_server_t *srv;
	hs_signals_t *sig;
	struct hsd_zone **zones;
	size_t nzones;
	struct hsd_zone **hash;
	size_t hsize;
	struct hsd_evcmd *ev;
	bool stopping;
	size_t ops;                /* queries to sources in flight */
	size_t notifies;           /* NOTIFYs in flight */
	struct hsd_zone *qhead, *qtail;   /* zones waiting to refresh */
	uv_timer_t sync_timer;     /* makes the saved states durable, a burst at a time;
	                              data = the daemon */
};

/* ---- zones.c ------------------------------------------------------------------------ */

/* The zone followed by that name (any case), borrowed; NULL if none. */
struct hsd_zone *hsd_zone_find(struct hsd_daemon *d, const knot_dname_t *name);
/* Set d->zones to zones[0..n) (stolen; the old array is freed) and rebuild the table. */
int hsd_zones_set(struct hsd_daemon *d, struct hsd_zone **zones, size_t n);
/* A new zone for zc (copied: name only; zc itself is borrowed), with its stored
 * state loaded unless a catalog; NULL when out of memory. Not in the table yet. */
struct hsd_zone *hsd_zone_new(struct hsd_daemon *d, const hsd_zone_cfg_t *zc,
                              enum hsd_zone_kind kind);
/* Stop following z and free it (after its timer closes). */
void hsd_zone_end(struct hsd_zone *z);
/* hsd_zone_end(), logging why, and forgetting its stored state if drop. */
void hsd_zone_drop(struct hsd_zone *z, bool drop, const char *why);

/* ---- follow.c ----------------------------------------------------------------------- */

/* Refresh z now, or when its query in flight ends, or when a slot is free. */
void hsd_follow_refresh(struct hsd_zone *z);
/* Arm z's timer for its next refresh (SOA refresh if ok, else retry; refresh-min floor). */
void hsd_follow_schedule(struct hsd_zone *z, bool ok);
/* A new operation on z (counted in d->ops, one configuration reference); NULL: no memory. */
struct hsd_op *hsd_follow_op_new(struct hsd_zone *z, uint16_t qtype);
void hsd_follow_op_free(struct hsd_op *op);
/* z's operation ended (ok: the zone is current): free it; next refresh, or again now. */
void hsd_follow_done(struct hsd_zone *z, bool ok);
/* Give up z's query or transfer in flight, if any. */
void hsd_follow_cancel(struct hsd_zone *z);
/* Take z out of the queue of refreshes waiting for a slot. */
void hsd_follow_dequeue(struct hsd_zone *z);
/* Name of an RCODE, for logs (static string). */
const char *hsd_rcode_name(uint16_t rcode);

/* ---- notify.c ----------------------------------------------------------------------- */

/* NOTIFY apex slot's type to peer (copied) for z: a new job, or the one there
 * is again (coalesced; after the one in flight if any). */
void hsd_notify_schedule(struct hsd_zone *z, const hsd_peer_t *peer, int slot);
/* Take j out of its zone's list and free it (after its timer closes). */
void hsd_notify_end(struct hsd_job *j);
/* After a reload: drop NOTIFYs to subscribers no longer configured for z,
 * take the new key (and configuration reference) for the others. */
void hsd_notify_reconfigure(struct hsd_zone *z);

/* ---- events.c ----------------------------------------------------------------------- */

/* One JSON event line (arg: the daemon), as d->cfg->events says: to stdout,
 * or to the events command (started when needed); fits hs_change_json(). */
void hsd_ev_line(const char *line, void *arg);
/* Stop talking to the events command (freed when its handles close); NULL is fine. */
void hsd_ev_close(struct hsd_evcmd *ev);

/* ---- catwatch.c --------------------------------------------------------------------- */

/* Start the transfer of catalog z (its refresh); its members follow from it. */
void hsd_cat_start(struct hsd_zone *z);
/* A member's own configuration: its name, the catalog's source and subscribers. */
void hsd_cat_member_cfg(struct hsd_zone *m);

#endif /* HS_HSYNCD_DAEMON_H */
