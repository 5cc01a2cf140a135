/*
 * agentd/publish.c -- URI, SVCB and KEY records for this agent, as text.
 * See publish.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/discover.h"
#include "agentd/publish.h"
#include "libhsync/error.h"

static uint32_t ttl_of(const hs_publish_t *p)
{
	return p->ttl != 0 ? p->ttl : HS_PUBLISH_TTL_DEFAULT;
}

static const char *prefix(const hs_publish_t *p)
{
	return p->nsupdate ? "update add " : "";
}

/* Name as zone-file text (absolute). */
static int name_text(const knot_dname_t *name, char *buf, size_t size)
{
	return knot_dname_to_str(buf, name, size) != NULL ? HS_EOK : HS_ENAME;
}

/* HOST for a dns:// URI: lower case, letters, digits, '-', '_'; no final dot. */
static int host_text(const knot_dname_t *host, char *buf, size_t size)
{
	if (host == NULL || host[0] == 0) {
		return HS_EINVAL;
	}
	knot_dname_storage_t h;
	memcpy(h, host, knot_dname_size(host));
	knot_dname_to_lower(h);
	if (name_text(h, buf, size) != HS_EOK) {
		return HS_ENAME;
	}
	size_t n = strlen(buf);
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.')) {
			return HS_ENAME;
		}
	}
	if (n > 0 && buf[n - 1] == '.') {
		buf[n - 1] = '\0';
	}
	return HS_EOK;
}

static int out_printf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int out_printf(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*out = NULL;
		return HS_ENOMEM;
	}
	return HS_EOK;
}

int hs_publish_uri(const hs_publish_t *p, char **out)
{
	if (p == NULL || out == NULL || p->identity == NULL || p->identity[0] == 0 ||
	    p->port == 0) {
		return HS_EINVAL;
	}
	char host[KNOT_DNAME_TXT_MAXLEN + 1];
	int ret = host_text(p->host, host, sizeof(host));
	if (ret != HS_EOK) {
		return ret;
	}
	knot_dname_storage_t owner;
	size_t idlen = knot_dname_size(p->identity);
	if (idlen + 10 > sizeof(owner)) {
		return HS_ENAME;
	}
	memcpy(owner, "\x04_dns\x04_tcp", 10);
	memcpy(owner + 10, p->identity, idlen);
	char otext[KNOT_DNAME_TXT_MAXLEN + 1];
	if (name_text(owner, otext, sizeof(otext)) != HS_EOK) {
		return HS_ENAME;
	}
	return out_printf(out, "%s%s %u IN URI %u %u \"dns://%s:%u\"\n", prefix(p), otext,
	                  ttl_of(p), HS_PUBLISH_URI_PRIORITY, HS_PUBLISH_URI_WEIGHT, host, p->port);
}

/* Append ",addr" or "key=addr" for every address of FAMILY. */
static int hints(const hs_publish_t *p, int family, const char *key, char *buf, size_t size)
{
	size_t len = strlen(buf);
	bool first = true;
	for (size_t i = 0; i < p->naddrs; i++) {
		const struct sockaddr_storage *ss = &p->addrs[i];
		if (ss->ss_family != family) {
			continue;
		}
		char a[INET6_ADDRSTRLEN];
		const void *src = family == AF_INET
		                  ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
		                  : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (inet_ntop(family, src, a, sizeof(a)) == NULL) {
			return HS_EINVAL;
		}
		int n = snprintf(buf + len, size - len, "%s%s", first ? key : ",", a);
		if (n < 0 || (size_t)n >= size - len) {
			return HS_ESPACE;
		}
		len += (size_t)n;
		first = false;
	}
	return HS_EOK;
}

int hs_publish_svcb(const hs_publish_t *p, char **out)
{
	if (p == NULL || out == NULL || p->host == NULL || p->host[0] == 0 || p->port == 0 ||
	    p->addrs == NULL || p->naddrs == 0 || p->naddrs > HS_DISC_MAX_ADDRS) {
		return HS_EINVAL;
	}
	for (size_t i = 0; i < p->naddrs; i++) {
		if (p->addrs[i].ss_family != AF_INET && p->addrs[i].ss_family != AF_INET6) {
			return HS_EINVAL;
		}
	}
	char host[KNOT_DNAME_TXT_MAXLEN + 1];
	int ret = host_text(p->host, host, sizeof(host));
	if (ret != HS_EOK) {
		return ret;
	}
	char v4[HS_DISC_MAX_ADDRS * 17 + 16] = "";
	char v6[HS_DISC_MAX_ADDRS * 47 + 16] = "";
	ret = hints(p, AF_INET, " ipv4hint=", v4, sizeof(v4));
	if (ret == HS_EOK) {
		ret = hints(p, AF_INET6, " ipv6hint=", v6, sizeof(v6));
	}
	if (ret != HS_EOK) {
		return ret;
	}
	return out_printf(out, "%s%s. %u IN SVCB %u . port=%u%s%s\n", prefix(p), host, ttl_of(p),
	                  HS_PUBLISH_SVCB_PRIORITY, p->port, v4, v6);
}

int hs_publish_key(const hs_publish_t *p, char **out)
{
	if (p == NULL || out == NULL || p->key == NULL || p->key->rdata.size < 5 ||
	    p->host == NULL || p->host[0] == 0) {
		return HS_EINVAL;
	}
	char host[KNOT_DNAME_TXT_MAXLEN + 1];
	int ret = host_text(p->host, host, sizeof(host));
	if (ret != HS_EOK) {
		return ret;
	}
	const uint8_t *rd = p->key->rdata.data;
	size_t klen = p->key->rdata.size - 4;
	size_t blen = sodium_base64_encoded_len(klen, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(blen);
	if (b == NULL) {
		return HS_ENOMEM;
	}
	sodium_bin2base64(b, blen, rd + 4, klen, sodium_base64_VARIANT_ORIGINAL);
	ret = out_printf(out, "%s%s. %u IN KEY %u %u %u %s\n", prefix(p), host, ttl_of(p),
	                 knot_wire_read_u16(rd), rd[2], rd[3], b);
	free(b);
	return ret;
}

int hs_publish_all(const hs_publish_t *p, char **out)
{
	if (p == NULL || out == NULL) {
		return HS_EINVAL;
	}
	char *uri = NULL, *svcb = NULL, *key = NULL;
	int ret = hs_publish_uri(p, &uri);
	if (ret == HS_EOK) {
		ret = hs_publish_svcb(p, &svcb);
	}
	if (ret == HS_EOK) {
		ret = hs_publish_key(p, &key);
	}
	if (ret == HS_EOK) {
		char id[KNOT_DNAME_TXT_MAXLEN + 1];
		ret = name_text(p->identity, id, sizeof(id));
		if (ret == HS_EOK) {
			ret = out_printf(out, "; hsync agent %s: publish in signed zones (DNSSEC)\n%s%s%s",
			                 id, uri, svcb, key);
		}
	}
	free(uri);
	free(svcb);
	free(key);
	return ret;
}
