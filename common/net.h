/*
 * common/net.h -- addresses, prefixes, and the DNS transport on libuv.
 *
 * Addresses in text are ADDR or ADDR@PORT (IPv4 or IPv6, the '@' as in
 * Knot and NSD, so IPv6 needs no brackets): "127.0.0.1", "::1@5300".
 * Prefixes are ADDR/LEN; a bare ADDR is a host prefix.
 *
 * The transport is plumbing only: it moves whole DNS messages (UDP
 * datagrams, TCP with the 2-byte length of RFC 1035 4.2.2 / RFC 7766) and
 * knows of DNS no more than the 16-bit ID (matched on UDP) and the TC bit
 * (UDP -> TCP retry). Codes: libuv errors as they come (-errno, which
 * hs_strerror() explains), KNOT_ETIMEOUT for a timeout, KNOT_ECONN for a
 * connection closed before the answer, HS_EMSG for bad framing.
 * Everything runs on one uv loop, in its thread.
 */
#ifndef HS_NET_H
#define HS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <uv.h>

#include "common/addr.h"

/* ---- transport --------------------------------------------------------------- */

enum hs_net_transport {
	HS_NET_UDP = 1 << 0,
	HS_NET_TCP = 1 << 1,
};

#define HS_NET_MSG_MAX 65535

/* ---- server ---- */

typedef struct hs_net_server hs_net_server_t;
typedef struct hs_net_req hs_net_req_t;

/*
 * Called for every message received. msg is valid only during the call.
 * The handler owns req and must end it, now or later (after async work),
 * with hs_net_reply() or hs_net_done(); until then it may hs_net_send()
 * any number of messages (an AXFR answer over TCP). A request outlives its
 * connection: sending on a closed one just fails, and ending it frees it.
 */
typedef void (*hs_net_handler_t)(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg);

struct hs_net_server_opts {
	size_t max_msg;        /* largest TCP message taken (default and at most 65535) */
	unsigned idle_ms;      /* close a TCP connection idle that long (default 10000) */
	unsigned max_conns;    /* TCP connections at once; more are closed at once (default 256) */
	unsigned max_pending;  /* unanswered messages per TCP connection before it is
	                          read no more until one is answered (default 32) */
	unsigned max_udp;      /* unanswered UDP messages in all; more are dropped
	                          unseen (default 1024) */
};

/* New server on loop; opts NULL or zero fields mean the defaults. */
int hs_net_server_new(uv_loop_t *loop, const struct hs_net_server_opts *opts,
                      hs_net_handler_t handler, void *arg, hs_net_server_t **out);

/*
 * Listen on addr with the transports (HS_NET_UDP | HS_NET_TCP). Port 0:
 * the system picks one, the same for both transports. bound (may be NULL)
 * gets the address as bound. Returns 0 or a libuv code (UV_EADDRINUSE...);
 * on error nothing stays bound from this call. IPv6 sockets are v6-only.
 */
int hs_net_server_listen(hs_net_server_t *srv, const struct sockaddr *addr,
                         unsigned transports, struct sockaddr_storage *bound);

/* Stop listening and close every connection. The memory goes once the
 * loop has run the close callbacks and every request has been ended.
 * NULL is fine. The handler is not called any more. */
void hs_net_server_close(hs_net_server_t *srv);

/* About a request (borrowed, valid until the request is ended). */
const struct sockaddr *hs_net_req_peer(const hs_net_req_t *req);
const struct sockaddr *hs_net_req_local(const hs_net_req_t *req);
enum hs_net_transport hs_net_req_transport(const hs_net_req_t *req);

/* Queue one message (copied) to the peer; the request stays open.
 * HS_EINVAL for an empty or too long message, KNOT_ECONN when the
 * connection or server is gone, or a libuv code. Over UDP the datagram
 * goes to the kernel at once when the socket is free, so what the kernel
 * refuses comes back here (UV_EMSGSIZE for more than 65507 bytes over
 * IPv4, UV_ENOBUFS...); only one queued behind a busy socket can still
 * fail unreported. */
int hs_net_send(hs_net_req_t *req, const uint8_t *msg, size_t len);
/* End the request (frees req). */
void hs_net_done(hs_net_req_t *req);
/* hs_net_send() then hs_net_done(): req is freed whatever is returned. */
int hs_net_reply(hs_net_req_t *req, const uint8_t *msg, size_t len);
/* Bytes queued on the request's TCP connection and not yet taken by the
 * kernel (0 for UDP): a long answer (AXFR) can wait while it is large. A
 * connection whose queue passes 1 MiB is not read until it drains, so a
 * peer that asks without reading cannot fill our memory. */
size_t hs_net_req_backlog(const hs_net_req_t *req);

/* ---- client ---- */

typedef struct hs_net_query hs_net_query_t;

struct hs_net_query_opts {
	unsigned timeout_ms;           /* per try; over TCP for the connect and for
	                                  each message (default 2000) */
	unsigned retries;              /* UDP tries after the first (2 when opts is NULL) */
	bool tcp;                      /* TCP from the start */
	bool no_tcp_fallback;          /* UDP: give a TC=1 answer back as it is */
	size_t max_msg;                /* TCP: largest message taken (default 65535) */
	const struct sockaddr *source; /* bind to this local address, or NULL */
};

/* Final result of hs_net_query(): err 0 and the answer (valid during the
 * call only), or err < 0, msg NULL. Called exactly once unless cancelled. */
typedef void (*hs_net_query_cb)(int err, const uint8_t *msg, size_t len, void *arg);

/* Per message of hs_net_stream(): return HS_NET_MORE for the next one or
 * HS_NET_DONE to stop. A call with err < 0 (msg NULL) is the last one; a
 * connection closed before HS_NET_DONE is KNOT_ECONN. */
enum { HS_NET_MORE = 0, HS_NET_DONE = 1 };
typedef int (*hs_net_stream_cb)(int err, const uint8_t *msg, size_t len, void *arg);

/*
 * Send msg (copied; 2..65535 bytes) to `to` and call cb with the answer:
 * over UDP with retries (an answer counts only from `to` and with the
 * query's ID; TC=1 retries over TCP), or over TCP. opts may be NULL.
 * Returns 0, or an error before anything was sent (then cb is never
 * called). *out (may be NULL) is borrowed, for hs_net_cancel(), and
 * invalid once cb has been called.
 */
int hs_net_query(uv_loop_t *loop, const struct sockaddr *to, const uint8_t *msg, size_t len,
                 const struct hs_net_query_opts *opts, hs_net_query_cb cb, void *arg,
                 hs_net_query_t **out);

/* Over TCP, a query whose answer is several messages (AXFR, IXFR). */
int hs_net_stream(uv_loop_t *loop, const struct sockaddr *to, const uint8_t *msg, size_t len,
                  const struct hs_net_query_opts *opts, hs_net_stream_cb cb, void *arg,
                  hs_net_query_t **out);

/* Give up a query whose callback has not been called yet; it never will
 * be. Not from inside its own callback (return HS_NET_DONE instead). */
void hs_net_cancel(hs_net_query_t *q);

#endif /* HS_NET_H */
