/*
 * common/addr.c -- socket addresses and prefixes in text (see addr.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "common/addr.h"
#include "libhsync/error.h"

static int parse_port(const char *s, uint16_t *port)
{
	if (*s == '\0' || strlen(s) > 5) {
		return (*s == '\0') ? HS_ESYNTAX : HS_ERANGE;
	}
	unsigned v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return HS_ESYNTAX;
		}
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535) {
		return HS_ERANGE;
	}
	*port = (uint16_t)v;
	return HS_EOK;
}

int hs_addr_parse(const char *text, uint16_t default_port, struct sockaddr_storage *out)
{
	if (text == NULL || out == NULL) {
		return HS_EINVAL;
	}
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(text, '@');
	size_t hlen = at != NULL ? (size_t)(at - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		return HS_ESYNTAX;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	uint16_t port = default_port;
	if (at != NULL) {
		int ret = parse_port(at + 1, &port);
		if (ret != HS_EOK) {
			return ret;
		}
	}

	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	} else {
		return HS_ESYNTAX;
	}
	*out = ss;
	return HS_EOK;
}

int hs_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	if (buf == NULL || len == 0) {
		return HS_EINVAL;
	}
	char host[INET6_ADDRSTRLEN];
	const void *a;
	if (sa != NULL && sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	} else {
		snprintf(buf, len, "?");
		return HS_EINVAL;
	}
	if (inet_ntop(sa->sa_family, a, host, sizeof(host)) == NULL) {
		snprintf(buf, len, "?");
		return HS_EINVAL;
	}
	int n = snprintf(buf, len, "%s@%u", host, (unsigned)hs_addr_port(sa));
	if (n < 0 || (size_t)n >= len) {
		snprintf(buf, len, "?");
		return HS_ESPACE;
	}
	return HS_EOK;
}

socklen_t hs_addr_len(const struct sockaddr *sa)
{
	if (sa == NULL) {
		return 0;
	}
	switch (sa->sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return 0;
	}
}

uint16_t hs_addr_port(const struct sockaddr *sa)
{
	if (sa == NULL) {
		return 0;
	}
	switch (sa->sa_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	default:
		return 0;
	}
}

bool hs_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a == NULL || b == NULL || a->sa_family != b->sa_family) {
		return false;
	}
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

int hs_prefix_parse(const char *text, struct hs_prefix *out)
{
	if (text == NULL || out == NULL) {
		return HS_EINVAL;
	}
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		return HS_ESYNTAX;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	struct hs_prefix p;
	memset(&p, 0, sizeof(p));
	unsigned maxbits;
	if (inet_pton(AF_INET, host, p.addr) == 1) {
		p.family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, host, p.addr) == 1) {
		p.family = AF_INET6;
		maxbits = 128;
	} else {
		return HS_ESYNTAX;
	}
	unsigned bits = maxbits;
	if (slash != NULL) {
		const char *s = slash + 1;
		if (*s == '\0' || strlen(s) > 3) {
			return *s == '\0' ? HS_ESYNTAX : HS_ERANGE;
		}
		bits = 0;
		for (; *s != '\0'; s++) {
			if (*s < '0' || *s > '9') {
				return HS_ESYNTAX;
			}
			bits = bits * 10 + (unsigned)(*s - '0');
		}
		if (bits > maxbits) {
			return HS_ERANGE;
		}
	}
	/* Host bits must be zero. */
	for (unsigned i = bits; i < maxbits; i++) {
		if (p.addr[i / 8] & (0x80 >> (i % 8))) {
			return HS_ESYNTAX;
		}
	}
	p.bits = (uint8_t)bits;
	*out = p;
	return HS_EOK;
}

bool hs_prefix_match(const struct hs_prefix *p, const struct sockaddr *sa)
{
	if (p == NULL || sa == NULL) {
		return false;
	}
	const uint8_t *a;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (sa->sa_family == AF_INET && p->family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (p->family == AF_INET) {
			if (memcmp(a, mapped, sizeof(mapped)) != 0) {
				return false;
			}
			a += 12;
		}
	} else {
		return false;
	}
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(a, p->addr, full) != 0) {
		return false;
	}
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (a[full] & mask) == p->addr[full];
	}
	return true;
}
