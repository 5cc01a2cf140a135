/*
 * hsyncd/hsyncd.h -- hsyncd's own modules besides apex, change, store and
 * catalog: its configuration (config.c), the DNS messages it builds and
 * checks (proto.c), and its answers to queries and NOTIFYs (answer.c).
 * Everything here works on bytes and structs, never on sockets, so it is
 * tested without a network (test/unit/test_hsyncd_*.c); main.c runs the
 * libuv loop around it.
 *
 * Names: hsd_cfg_* (configuration), hsd_msg_* (messages), hsd_answer_*.
 *
 * Configuration (hsync.conf(5), section hsyncd):
 *
 *	listen 127.0.0.1 port 5300
 *	tsig-key-file "/etc/hsync/keys"
 *	state-dir "/var/lib/hsync/hsyncd"
 *	log-level info
 *	refresh-min 30s                     # floor of SOA refresh/retry timers
 *	events stdout | events exec "/path/cmd"
 *	subscriber 127.0.0.1 port 5400 key agent     # every zone
 *	zone zone.example {
 *		source 127.0.0.1 port 5301 key xfr
 *		subscriber 127.0.0.1@5401 key other   # this zone only, besides the above
 *	}
 *	catalog cat.example {                 # members: zones, from the same source
 *		source 127.0.0.1 port 5301 key xfr
 *	}
 *
 * Ownership: hsd_cfg_load() gives a new hsd_cfg_t with one reference;
 * hsd_cfg_ref() takes another (an operation in flight that borrows keys from
 * it), hsd_cfg_unref() drops one and frees on the last. Everything inside
 * (zones, peers, keys) is borrowed from it.
 *
 * Errors: 0 or a negative code (libhsync/error.h; HS_ECONF with a
 * "file:line: reason" line in err for configuration errors).
 */
#ifndef HS_HSYNCD_HSYNCD_H
#define HS_HSYNCD_HSYNCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "common/conf.h"
#include "hsyncd/apex.h"
#include "libhsync/tsig.h"

#define HSD_DEFAULT_CONF "/etc/hsync/hsyncd.conf"
#define HSD_DEFAULT_PORT 53
#define HSD_DEFAULT_STATE_DIR "/var/lib/hsync/hsyncd"
#define HSD_DEFAULT_REFRESH_MIN 30   /* seconds */

/* ---- configuration ------------------------------------------------------------- */

/* A DNS peer: where to send, and the TSIG key (borrowed from the config; NULL: none). */
typedef struct {
	struct sockaddr_storage addr;
	const knot_tsig_key_t *key;
	char text[64];          /* "ADDR@PORT" for logs */
} hsd_peer_t;

typedef struct {
	knot_dname_t *name;         /* lowercase wire form (owned by the configuration) */
	char *name_txt;             /* "zone.example." (owned by the configuration) */
	hsd_peer_t source;
	hsd_peer_t *subs;           /* zone's own subscribers, then the global ones */
	size_t nsubs;
} hsd_zone_cfg_t;

enum hsd_events {
	HSD_EVENTS_NONE = 0,
	HSD_EVENTS_STDOUT,
	HSD_EVENTS_EXEC,
};

typedef struct hsd_cfg {
	unsigned refs;
	hs_conf_t *conf;            /* the tree it was read from (owned) */
	struct sockaddr_storage *listen;
	size_t nlisten;
	hs_tsig_keys_t *keyfiles;   /* one ring per tsig-key-file */
	size_t nkeyfiles;
	const char *state_dir;      /* borrowed from conf, or the default */
	uint32_t refresh_min;       /* seconds */
	enum hsd_events events;
	const char *events_cmd;     /* for HSD_EVENTS_EXEC (borrowed from conf) */
	hsd_zone_cfg_t *zones;      /* in the file's order */
	size_t nzones;
	hsd_zone_cfg_t *catalogs;   /* catalog zones (RFC 9432): their members are
	                               followed from the catalog's source, and
	                               notified to the catalog's subscribers */
	size_t ncatalogs;
} hsd_cfg_t;

/*
 * Read, check and resolve path: the common statements, keys (every file
 * read, every key named found), zones with their sources and subscribers.
 * *out is new (one reference). On error err holds "file:line: reason".
 */
int hsd_cfg_load(const char *path, hsd_cfg_t **out, char *err, size_t errlen);
/* The same from text (name stands for the file in messages). */
int hsd_cfg_parse(const char *text, const char *name, hsd_cfg_t **out, char *err, size_t errlen);
hsd_cfg_t *hsd_cfg_ref(hsd_cfg_t *cfg);
void hsd_cfg_unref(hsd_cfg_t *cfg);
/* Zone by name (wire form, any case), borrowed; NULL if not configured. */
const hsd_zone_cfg_t *hsd_cfg_zone(const hsd_cfg_t *cfg, const knot_dname_t *name);
/* Catalog by name, borrowed; NULL if not configured. */
const hsd_zone_cfg_t *hsd_cfg_catalog(const hsd_cfg_t *cfg, const knot_dname_t *name);
/* Key by name from any key file, borrowed; NULL if none. */
const knot_tsig_key_t *hsd_cfg_key(const hsd_cfg_t *cfg, const char *name);

/* ---- messages (client side) ------------------------------------------------------ */

/*
 * Why these and not common/xfr: the daemon follows a zone's apex with
 * hs_apex_xfr_* (hsyncd/apex.h), which keeps the RRSIGs of each type with
 * their own TTL; common/zone keeps one RRSIG RRset per name, so the apex
 * would not survive a trip through hs_xfr_fetch(). Catalogs, which need the
 * whole zone, do use hs_xfr_fetch(), and NOTIFYs go out with
 * hs_xfr_notify_send().
 *
 * A query for zone into wire[*len] (cap bytes, at least 512): qtype SOA,
 * IXFR (soa: our SOA RRset for the authority section; required) or AXFR;
 * or a NOTIFY (notify true: opcode NOTIFY, AA, qtype as given, soa if not
 * NULL in the answer section; for tests). Random ID. With key, TSIG-signed
 * and ctx set for checking the answer. HS_EINVAL, libknot's errors.
 */
int hsd_msg_query(uint8_t *wire, size_t *len, size_t cap, const knot_dname_t *zone,
                  uint16_t qtype, bool notify, const knot_rrset_t *soa,
                  const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx);

/*
 * Check one answer message to the query q[qlen] as sent: ID, QR, opcode,
 * question, TSIG (when ctx->key is set; the first message against the
 * request MAC, later ones chained: every message must be signed, as knotd
 * and named do), and RCODE. On success *pkt (may be
 * NULL) gets the parsed message (new, knot_pkt_free). Errors: HS_EMSG (not
 * our answer, malformed, TC with tc_ok false), HS_ETSIG_NONE / KNOT_TSIG_E*,
 * HS_EXFR_RCODE (*rcode gets it; filled on success too).
 */
int hsd_msg_check(const uint8_t *q, size_t qlen, const uint8_t *wire, size_t len,
                  hs_tsig_ctx_t *ctx, bool tc_ok, uint16_t *rcode, knot_pkt_t **pkt);

/* SOA serial in the answer section of a checked SOA answer for zone: 0 or HS_ENOTFOUND. */
int hsd_msg_soa_serial(const knot_pkt_t *pkt, const knot_dname_t *zone, uint32_t *serial);

/* Feed every answer-section RR of a checked transfer message into x. */
int hsd_msg_xfr_feed(hs_apex_xfr_t *x, const knot_pkt_t *pkt);

/* SOA refresh and retry of an apex state's SOA; false if it has none. */
bool hsd_msg_soa_timers(const hs_apex_t *a, uint32_t *refresh, uint32_t *retry);

/* Seconds to wait before NOTIFY try number attempt+1 (attempt 0 = first
 * retry): 1, 2, 4, ... up to 60 (RFC 1996 3.6 asks for a growing interval). */
unsigned hsd_msg_notify_backoff(unsigned attempt);

/* ---- answers (server side) ------------------------------------------------------- */

/* What a query or NOTIFY turned out to be, for the daemon to act on and log. */
typedef enum {
	HSD_ANS_QUERY = 0,      /* a query answered from what we hold (or refused) */
	HSD_ANS_DROP,           /* not worth an answer (a response, too short) */
	HSD_ANS_NOTIFY,         /* a NOTIFY from the zone's source, authenticated: refresh zone */
	HSD_ANS_NOTIFY_REFUSED, /* a NOTIFY for a zone we do not follow */
	HSD_ANS_NOTIFY_PEER,    /* a NOTIFY from an address that is not the source: ignored */
	HSD_ANS_NOTIFY_TSIG,    /* a NOTIFY without the source's valid TSIG: ignored */
	HSD_ANS_FORMERR,        /* malformed */
} hsd_ans_kind_t;

typedef struct {
	hsd_ans_kind_t kind;
	const hsd_zone_cfg_t *zone;  /* NOTIFY*: the zone (borrowed from cfg), else NULL */
	int code;                    /* why (TSIG code, parse error), 0 if none */
	uint16_t rcode;              /* the RCODE answered */
	uint16_t qtype;
	char qname[KNOT_DNAME_TXT_MAXLEN + 1];
} hsd_ans_info_t;

/*
 * A zone we follow (from the configuration or a catalog): *zc gets its
 * configuration (borrowed; NULL if we do not follow zone), and the return
 * value is its apex state (borrowed; NULL if none yet).
 */
typedef const hs_apex_t *(*hsd_lookup_f)(const knot_dname_t *zone, const hsd_zone_cfg_t **zc,
                                         void *ctx);

/*
 * Answer the message q[qlen] received from peer (over TCP if tcp) into
 * out[*outlen] (cap bytes, at least 512; *outlen 0 if no answer is to be
 * sent). Queries (opcode QUERY): for the apex of a zone we hold, the kept
 * RRsets (RRSIGs too when DO is set), AA set; NODATA with the SOA for a kept
 * type we do not have; SERVFAIL before the zone's first version; REFUSED
 * for every other name or type. NOTIFY: accepted only for a zone we follow,
 * from its source address (port ignored), TSIG-signed with the source's key
 * when it has one. A TSIG-signed query is checked against the key rings
 * keys[0..nkeys) (every tsig-key-file) and answered signed, or NOTAUTH
 * with the TSIG error. info says what it was.
 */
int hsd_answer(hsd_lookup_f lookup, void *ctx, const hs_tsig_keys_t *keys, size_t nkeys,
               const struct sockaddr *peer, bool tcp,
               const uint8_t *q, size_t qlen, uint8_t *out, size_t *outlen, size_t cap,
               hsd_ans_info_t *info);

#endif /* HS_HSYNCD_HSYNCD_H */
