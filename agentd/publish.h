/*
 * agentd/publish.h -- the records an operator publishes for this agent.
 *
 * Other agents find ours by discovery (agentd/discover.h): URI at
 * _dns._tcp.<identity>, SVCB and KEY at the host the URI names. These
 * functions write those records in zone-file text, one record a line,
 * absolute names, explicit TTL and class:
 *
 *   _dns._tcp.agent.b.example. 3600 IN URI 10 1 "dns://host.b.example:5300"
 *   host.b.example. 3600 IN SVCB 1 . port=5300 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1
 *   host.b.example. 3600 IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=
 *
 * URI: priority 10, weight 1, target "dns://HOST:PORT" (the form
 * discover.h reads; the port is always written). SVCB: ServiceMode,
 * priority 1, target "." (the owner itself), the port and the addresses
 * as ipv4hint/ipv6hint (IPv4 first, each family in the order given; the
 * ports inside the sockaddrs are ignored). KEY: the public key's RDATA as
 * it is (flags, protocol, algorithm, key), so dnssec-keygen's
 * `-T KEY -n HOST` key gives flags 512.
 *
 * The same lines serve nsupdate: with `nsupdate` set in hs_publish_t every
 * record line starts with "update add " (then the caller adds "send").
 * hs_publish_all() writes a comment line (";" also starts a comment for
 * nsupdate) and the three records. The zones holding them must be signed:
 * peers accept only answers their validating resolver vouches for (AD).
 *
 * Output: *out is a new NUL-terminated string ending in "\n"; free() it.
 * Errors: HS_EINVAL (NULL, root host, port 0, no address, address family
 * neither IPv4 nor IPv6, too many addresses), HS_ENAME (a name with
 * characters that a dns:// URI cannot carry: only letters, digits, '-'
 * and '_' in host labels), HS_ENOMEM.
 */
#ifndef HS_AGENTD_PUBLISH_H
#define HS_AGENTD_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "libhsync/key.h"

#define HS_PUBLISH_TTL_DEFAULT 3600
#define HS_PUBLISH_URI_PRIORITY 10
#define HS_PUBLISH_URI_WEIGHT 1
#define HS_PUBLISH_SVCB_PRIORITY 1

typedef struct hs_publish {
	const knot_dname_t *identity;   /* our identity (HSYNC field 4) */
	const knot_dname_t *host;       /* host name of our agent endpoint */
	uint16_t port;                  /* agent traffic port */
	const struct sockaddr_storage *addrs;   /* naddrs addresses (1..16) */
	size_t naddrs;
	const hs_key_t *key;            /* our SIG(0) key (public half used) */
	uint32_t ttl;                   /* 0: HS_PUBLISH_TTL_DEFAULT */
	bool nsupdate;                  /* prefix record lines with "update add " */
} hs_publish_t;

/* The URI record at _dns._tcp.IDENTITY pointing to dns://HOST:PORT. */
int hs_publish_uri(const hs_publish_t *p, char **out);

/* The SVCB record at HOST with PORT and the addresses. */
int hs_publish_svcb(const hs_publish_t *p, char **out);

/* The KEY record at HOST with KEY's public RDATA. */
int hs_publish_key(const hs_publish_t *p, char **out);

/* A comment line, then URI, SVCB and KEY. */
int hs_publish_all(const hs_publish_t *p, char **out);

#endif /* HS_AGENTD_PUBLISH_H */
