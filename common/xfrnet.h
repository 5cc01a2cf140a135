/*
 * common/xfrnet.h -- zone transfers and NOTIFY over the network: common/xfr
 * driven by the libuv transport of common/net.h. Everything runs on one uv
 * loop, in its thread; callbacks are called from the loop.
 *
 *   hs_xfr_fetch()        follow a primary: SOA check, IXFR, AXFR fallback
 *   hs_xfr_server_*       answer AXFR/IXFR from inside a net.h server handler
 *   hs_xfr_notify_send()  NOTIFY with retries and backoff (RFC 1996 4.7)
 *
 * Ownership is said at each function. Returns 0 or a negative code
 * (libhsync/error.h, libknot's, libuv's); nothing here prints.
 */
#ifndef HS_COMMON_XFRNET_H
#define HS_COMMON_XFRNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>
#include <uv.h>

#include "common/net.h"
#include "common/xfr.h"
#include "common/zone.h"
#include "libhsync/tsig.h"

/* ---- following a primary --------------------------------------------------- */

typedef struct hs_xfr_fetch hs_xfr_fetch_t;

struct hs_xfr_fetch_opts {
	const knot_tsig_key_t *key;     /* TSIG for every message (borrowed), or NULL */
	unsigned timeout_ms;            /* connect, SOA answer and each message (default 5000) */
	bool axfr_only;                 /* never try IXFR */
	bool no_soa_check;              /* with a current zone, go straight to IXFR */
	const struct sockaddr *source;  /* local address to bind, or NULL */
	hs_xfr_filter_fn filter;        /* keep only these RRs (hs_xfr_in_filter), or NULL */
	void *filter_arg;
	bool ixfr_deltas_only;          /* IXFR: check the differences against cur and
	                                   give them alone, no zone built
	                                   (hs_xfr_in_deltas_only) */
	hs_xfr_has_fn has;              /* with ixfr_deltas_only: what cur holds, or NULL */
	void *has_arg;
};

/*
 * The outcome, handed to the callback. err 0: kind says what came:
 *   HS_XFR_UPTODATE  the primary has our serial (zone NULL)
 *   HS_XFR_AXFR      zone is the new zone
 *   HS_XFR_IXFR      zone is cur with the differences applied (NULL with
 *                    ixfr_deltas_only: the caller applies them), and
 *                    deltas the differences, oldest first, checked to fit
 *                    cur in that order
 * zone and deltas are STOLEN by the callback if it sets them to NULL
 * (deltas: each hs_diff_free(), the array free()); else they are freed
 * after it returns. err < 0: why it failed (codes of hs_xfr_in_feed(),
 * of hs_xfr_check_answer() for the SOA check, HS_EXFR_SERIAL when the
 * primary's SOA is older than cur (RFC 1982; serial tells it), or of the
 * transport: KNOT_ETIMEOUT, KNOT_ECONN, -errno); cur is untouched in every
 * case.
 */
struct hs_xfr_fetch_result {
	int err;
	hs_xfr_kind_t kind;
	uint32_t serial;        /* the primary's serial (when known) */
	hs_zone_t *zone;
	hs_diff_t **deltas;
	size_t ndeltas;
	bool fell_back;         /* IXFR was tried and AXFR used instead */
	uint16_t rcode;         /* for HS_EXFR_RCODE */
	size_t messages;        /* of the transfer that gave the result */
	size_t bytes;
};

typedef void (*hs_xfr_fetch_cb)(struct hs_xfr_fetch_result *res, void *arg);

/*
 * Fetch zone from primary. With cur (borrowed: keep it alive and unchanged
 * until the callback; its origin must be zone): SOA query first (UDP, TCP
 * if truncated) unless no_soa_check, and only if the primary is newer
 * IXFR over TCP. The IXFR is retried once as AXFR (fell_back) when the
 * primary answers it with a lone newer SOA (HS_ETRUNC), with FORMERR or
 * NOTIMP, or with differences that do not fit cur (HS_EXFR_DELTA: our copy
 * went astray). Without cur: AXFR over TCP.
 * cb is called exactly once unless cancelled. *out (may be NULL) is
 * borrowed for hs_xfr_fetch_cancel() and invalid once cb has run.
 * Errors before anything starts (cb never called): HS_EINVAL, HS_ENOMEM.
 */
int hs_xfr_fetch(uv_loop_t *loop, const struct sockaddr *primary, const knot_dname_t *zone,
                 hs_zone_t *cur, const struct hs_xfr_fetch_opts *opts,
                 hs_xfr_fetch_cb cb, void *arg, hs_xfr_fetch_t **out);

/* Stop a fetch whose callback has not run; it never will. Not from inside it. */
void hs_xfr_fetch_cancel(hs_xfr_fetch_t *f);

/* ---- serving AXFR/IXFR ----------------------------------------------------- */

typedef struct hs_xfr_server hs_xfr_server_t;

/*
 * May peer transfer zone? key is the TSIG key the request was signed with
 * (borrowed from the server's key ring), NULL if unsigned. Return true to
 * allow; false gives REFUSED.
 */
typedef bool (*hs_xfr_acl_cb)(const struct sockaddr *peer, const knot_dname_t *zone,
                              const knot_tsig_key_t *key, void *arg);

/*
 * The zone to serve, and its chain of differences (oldest first, each with
 * the old SOA in removed and the new in added, the last ending at the
 * zone's serial; NULL/0 if none). Return 0, or HS_ENOTFOUND (answered
 * NOTAUTH). What is given is BORROWED until release(handle) is called: the
 * caller must keep it alive and unchanged until then (a reference count,
 * or a version kept while a transfer uses it). *handle is the caller's.
 */
typedef int (*hs_xfr_get_cb)(const knot_dname_t *zone, hs_zone_t **z, hs_diff_t *const **deltas,
                             size_t *ndeltas, void **handle, void *arg);
typedef void (*hs_xfr_release_cb)(void *handle, void *arg);

/* Called when a transfer ends (err 0 done, or why not) and when a request
 * (SOA queries too) is refused (kind HS_XFR_NONE); for the log. */
typedef void (*hs_xfr_served_cb)(const struct sockaddr *peer, const knot_dname_t *zone,
                                 hs_xfr_kind_t kind, size_t messages, size_t rrs, int err,
                                 void *arg);

struct hs_xfr_server_cfg {
	const hs_tsig_keys_t *keys;     /* borrowed; NULL: no TSIG accepted */
	hs_xfr_acl_cb acl;              /* required */
	hs_xfr_get_cb get;              /* required */
	hs_xfr_release_cb release;      /* may be NULL */
	hs_xfr_served_cb served;        /* may be NULL */
	void *arg;
	size_t max_backlog;             /* bytes queued on a connection before we
	                                   wait for it to drain (default 256 KiB) */
};

/* New server on loop; cfg is copied. *out is new: hs_xfr_server_free(). */
int hs_xfr_server_new(uv_loop_t *loop, const struct hs_xfr_server_cfg *cfg, hs_xfr_server_t **out);

/*
 * Call from a net.h handler for a received message. If it is an AXFR,
 * IXFR or SOA query (opcode QUERY, one question of type AXFR, IXFR or SOA)
 * this takes req, answers it (the transfer; for SOA the zone's SOA, which
 * secondaries ask before an IXFR; or FORMERR, NOTAUTH with the TSIG error,
 * REFUSED for the ACL or AXFR over UDP, NOTAUTH for an unknown zone) and
 * returns true. The ACL is asked for SOA queries too. Anything else:
 * false, req untouched, for the caller.
 */
bool hs_xfr_server_handle(hs_xfr_server_t *s, hs_net_req_t *req, const uint8_t *msg, size_t len);

/*
 * A complete hs_net_handler_t (arg: the hs_xfr_server_t): transfers as
 * above, anything else is answered NOTIMP (REFUSED for other queries) or
 * dropped if it is not a DNS query at all.
 */
void hs_xfr_server_handler(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg);

/* Transfers in progress. */
size_t hs_xfr_server_active(const hs_xfr_server_t *s);

/* Stop every transfer (their requests are ended, zones released) and free.
 * NULL is fine. */
void hs_xfr_server_free(hs_xfr_server_t *s);

/* ---- NOTIFY ------------------------------------------------------------------ */

typedef struct hs_xfr_notify hs_xfr_notify_t;

struct hs_xfr_notify_opts {
	const knot_tsig_key_t *key;     /* borrowed, or NULL */
	const knot_rrset_t *soa;        /* the new SOA as a hint (copied), or NULL */
	uint16_t qtype;                 /* 0: SOA */
	unsigned timeout_ms;            /* wait for the first try (default 1000), doubled each retry */
	unsigned retries;               /* tries after the first (5 when opts is NULL) */
	bool tcp;
};

/*
 * The end of a NOTIFY: err 0 (acknowledged with NOERROR), KNOT_ETIMEOUT
 * (every try went unanswered), HS_EXFR_RCODE (rcode tells which), or a
 * TSIG or message error of the answer. tries is how many were sent.
 */
typedef void (*hs_xfr_notify_cb)(int err, uint16_t rcode, unsigned tries, void *arg);

/*
 * Send a NOTIFY for zone to `to` over UDP (or TCP), a new ID and TSIG each
 * try, until answered or retries run out. cb is called once unless
 * cancelled; *out (may be NULL) borrowed until then.
 */
int hs_xfr_notify_send(uv_loop_t *loop, const struct sockaddr *to, const knot_dname_t *zone,
                       const struct hs_xfr_notify_opts *opts, hs_xfr_notify_cb cb, void *arg,
                       hs_xfr_notify_t **out);

/* Stop a NOTIFY whose callback has not run. Not from inside it. */
void hs_xfr_notify_cancel(hs_xfr_notify_t *n);

#endif /* HS_COMMON_XFRNET_H */
