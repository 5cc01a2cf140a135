/*
 * common/addr.h -- socket addresses and IP prefixes in text, as the
 * configuration and the logs write them: ADDR or ADDR@PORT, ADDR/LEN.
 * net.h includes this header.
 */
#ifndef HS_ADDR_H
#define HS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Room for any hs_addr_format() output, NUL included. */
#define HS_ADDR_STRLEN (INET6_ADDRSTRLEN + 8)

/* Parse ADDR or ADDR@PORT into out (port from the text, else default_port).
 * Returns 0, or HS_ESYNTAX (not an address), HS_ERANGE (port > 65535),
 * HS_EINVAL (NULL). out is unchanged on error. */
int hs_addr_parse(const char *text, uint16_t default_port, struct sockaddr_storage *out);

/* "ADDR@PORT" into buf; returns 0 or HS_ESPACE / HS_EINVAL (then buf is "?"). */
int hs_addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* sizeof the family's sockaddr (0 for an unknown family). */
socklen_t hs_addr_len(const struct sockaddr *sa);

/* Same family, address and port. */
bool hs_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* Port in host order (0 for an unknown family). */
uint16_t hs_addr_port(const struct sockaddr *sa);

struct hs_prefix {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t bits;       /* 0..32 or 0..128 */
	uint8_t addr[16];   /* network order; host bits are zero */
};

/* Parse ADDR/LEN or ADDR. Host bits must be zero ("10.0.0.1/8" is HS_ESYNTAX,
 * so a typo cannot widen an ACL silently). HS_ERANGE for a length too big. */
int hs_prefix_parse(const char *text, struct hs_prefix *out);

/* Is the address of sa (port ignored) inside p? IPv4-mapped IPv6 addresses
 * match IPv4 prefixes. */
bool hs_prefix_match(const struct hs_prefix *p, const struct sockaddr *sa);

#endif /* HS_ADDR_H */
