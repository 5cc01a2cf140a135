/*
 * libhsync/tsig.c -- TSIG keys from BIND key files, and TSIG on knot_pkt_t.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/tsig.h>
#include <libknot/libknot.h>
#include <sodium.h>

#include "libhsync/error.h"
#include "libhsync/tsig.h"

#define KEYFILE_MAX (1 << 20)  /* a key file larger than 1 MiB is not one */

/* ---- lexer ------------------------------------------------------------- */

enum tok_type { T_EOF, T_WORD, T_STRING, T_LBRACE, T_RBRACE, T_SEMI, T_ERR };

typedef struct {
	const char *p, *end;
	int line;
} lex_t;

typedef struct {
	enum tok_type type;
	const char *s;  /* WORD, STRING (without quotes) */
	size_t len;
	int line;
} tok_t;

/* Skip blanks and comments. Returns 0, or -1 with *errline at an unterminated comment. */
static int skip_space(lex_t *lx, int *errline)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->p++;
		} else if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n') {
				lx->p++;
			}
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			int start = lx->line;
			lx->p += 2;
			for (;;) {
				if (lx->p + 1 >= lx->end) {
					*errline = start;
					return -1;
				}
				if (lx->p[0] == '*' && lx->p[1] == '/') {
					lx->p += 2;
					break;
				}
				if (*lx->p == '\n') {
					lx->line++;
				}
				lx->p++;
			}
		} else {
			break;
		}
	}
	return 0;
}

static tok_t next_tok(lex_t *lx)
{
	tok_t t = { .type = T_EOF };
	int errline = 0;
	if (skip_space(lx, &errline) != 0) {
		t.type = T_ERR;
		t.line = errline;
		return t;
	}
	t.line = lx->line;
	if (lx->p >= lx->end) {
		return t;
	}
	char c = *lx->p;
	if (c == '{' || c == '}' || c == ';') {
		t.type = c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : T_SEMI;
		t.s = lx->p++;
		t.len = 1;
		return t;
	}
	if (c == '"') {
		const char *start = ++lx->p;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\n') {
				lx->line++;
			} else if (*lx->p == '\\' && lx->p + 1 < lx->end) {
				lx->p++;  /* keep the escape; domain names understand it */
			}
			lx->p++;
		}
		if (lx->p >= lx->end) {
			t.type = T_ERR;  /* unterminated string: t.line is where it began */
			return t;
		}
		t.type = T_STRING;
		t.s = start;
		t.len = (size_t)(lx->p - start);
		lx->p++;
		return t;
	}
	const char *start = lx->p;
	while (lx->p < lx->end) {
		c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' ||
		    c == '{' || c == '}' || c == ';' || c == '"') {
			break;
		}
		lx->p++;
	}
	t.type = T_WORD;
	t.s = start;
	t.len = (size_t)(lx->p - start);
	return t;
}

static int tok_is(const tok_t *t, const char *word)
{
	return t->type == T_WORD && strlen(word) == t->len && strncasecmp(t->s, word, t->len) == 0;
}

/* ---- key ring ---------------------------------------------------------- */

static void key_clear(knot_tsig_key_t *k)
{
	if (k->secret.data != NULL) {
		sodium_memzero(k->secret.data, k->secret.size);
		free(k->secret.data);
	}
	knot_dname_free(k->name, NULL);
	memset(k, 0, sizeof(*k));
}

void hs_tsig_keys_free(hs_tsig_keys_t *keys)
{
	if (keys == NULL) {
		return;
	}
	for (size_t i = 0; i < keys->count; i++) {
		key_clear(&keys->keys[i]);
	}
	free(keys->keys);
	keys->keys = NULL;
	keys->count = 0;
}

const knot_tsig_key_t *hs_tsig_find(const hs_tsig_keys_t *keys, const knot_dname_t *name)
{
	if (keys == NULL || name == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < keys->count; i++) {
		if (knot_dname_is_case_equal(keys->keys[i].name, name)) {
			return &keys->keys[i];
		}
	}
	return NULL;
}

const knot_tsig_key_t *hs_tsig_find_str(const hs_tsig_keys_t *keys, const char *name)
{
	if (name == NULL) {
		return NULL;
	}
	knot_dname_storage_t buf;
	if (knot_dname_from_str(buf, name, sizeof(buf)) == NULL) {
		return NULL;
	}
	return hs_tsig_find(keys, buf);
}

static dnssec_tsig_algorithm_t alg_from_tok(const tok_t *t)
{
	char name[64];
	if (t->len == 0 || t->len >= sizeof(name)) {
		return DNSSEC_TSIG_UNKNOWN;
	}
	memcpy(name, t->s, t->len);
	name[t->len] = '\0';
	if (strcasecmp(name, "hmac-md5.sig-alg.reg.int") == 0 ||
	    strcasecmp(name, "hmac-md5.sig-alg.reg.int.") == 0) {
		return DNSSEC_TSIG_HMAC_MD5;
	}
	return dnssec_tsig_algorithm_from_name(name);
}

/* Domain name from a token, lower-case; NULL if it is not a name. */
static knot_dname_t *name_from_tok(const tok_t *t)
{
	char str[KNOT_DNAME_TXT_MAXLEN + 2];
	if (t->len == 0 || t->len >= sizeof(str)) {
		return NULL;
	}
	memcpy(str, t->s, t->len);
	str[t->len] = '\0';
	knot_dname_t *name = knot_dname_from_str_alloc(str);
	if (name != NULL) {
		knot_dname_to_lower(name);
	}
	return name;
}

/* Parse one key block after 'key'. Fills *k; on error returns code and *errline. */
static int parse_key(lex_t *lx, int keyline, knot_tsig_key_t *k, int *errline)
{
	tok_t t = next_tok(lx);
	if (t.type == T_ERR) {
		*errline = t.line;
		return HS_ETSIG_FILE;
	}
	if (t.type != T_WORD && t.type != T_STRING) {
		*errline = t.type == T_EOF ? keyline : t.line;
		return HS_ETSIG_FILE;
	}
	k->name = name_from_tok(&t);
	if (k->name == NULL) {
		*errline = t.line;
		return HS_ETSIG_FILE;
	}
	t = next_tok(lx);
	if (t.type != T_LBRACE) {
		*errline = t.type == T_EOF ? keyline : t.line;
		return HS_ETSIG_FILE;
	}
	int have_alg = 0, have_secret = 0;
	for (;;) {
		t = next_tok(lx);
		if (t.type == T_RBRACE) {
			break;
		}
		if (t.type == T_EOF) {
			*errline = keyline;  /* unterminated block */
			return HS_ETSIG_FILE;
		}
		if (t.type == T_ERR) {
			*errline = t.line;
			return HS_ETSIG_FILE;
		}
		int is_alg = tok_is(&t, "algorithm");
		if (!is_alg && !tok_is(&t, "secret")) {
			*errline = t.line;
			return HS_ETSIG_FILE;
		}
		if ((is_alg && have_alg) || (!is_alg && have_secret)) {
			*errline = t.line;  /* said twice */
			return HS_ETSIG_FILE;
		}
		tok_t v = next_tok(lx);
		if (v.type != T_WORD && v.type != T_STRING) {
			*errline = v.type == T_EOF ? keyline : v.line;
			return HS_ETSIG_FILE;
		}
		if (is_alg) {
			k->algorithm = alg_from_tok(&v);
			if (k->algorithm == DNSSEC_TSIG_UNKNOWN) {
				*errline = v.line;
				return HS_ETSIG_ALG;
			}
			have_alg = 1;
		} else {
			dnssec_binary_t b64 = { .size = v.len, .data = (uint8_t *)v.s };
			int ret = v.len > 0 ? dnssec_binary_from_base64(&b64, &k->secret) : -1;
			if (ret != DNSSEC_EOK || k->secret.size == 0) {
				*errline = v.line;
				return HS_ETSIG_FILE;
			}
			have_secret = 1;
		}
		tok_t semi = next_tok(lx);
		if (semi.type != T_SEMI) {
			*errline = semi.type == T_EOF ? keyline : semi.line;
			return HS_ETSIG_FILE;
		}
	}
	if (!have_alg || !have_secret) {
		*errline = keyline;
		return HS_ETSIG_FILE;
	}
	int rbrace_line = t.line;
	t = next_tok(lx);
	if (t.type != T_SEMI) {
		*errline = t.type == T_EOF ? rbrace_line : t.line;
		return HS_ETSIG_FILE;
	}
	return HS_EOK;
}

int hs_tsig_parse(const char *text, size_t len, hs_tsig_keys_t *out, int *errline)
{
	int dummy = 0;
	if (errline == NULL) {
		errline = &dummy;
	}
	*errline = 0;
	if ((text == NULL && len > 0) || out == NULL) {
		return HS_EINVAL;
	}
	lex_t lx = { .p = text, .end = text + len, .line = 1 };
	hs_tsig_keys_t ring = { NULL, 0 };
	int ret = HS_EOK;
	for (;;) {
		tok_t t = next_tok(&lx);
		if (t.type == T_EOF) {
			break;
		}
		if (t.type == T_ERR || !tok_is(&t, "key")) {
			*errline = t.line;
			ret = HS_ETSIG_FILE;
			break;
		}
		knot_tsig_key_t k = { 0 };
		ret = parse_key(&lx, t.line, &k, errline);
		if (ret == HS_EOK && hs_tsig_find(&ring, k.name) != NULL) {
			*errline = t.line;
			ret = HS_ETSIG_FILE;
		}
		if (ret == HS_EOK) {
			knot_tsig_key_t *grown = realloc(ring.keys, (ring.count + 1) * sizeof(*grown));
			if (grown == NULL) {
				ret = HS_ENOMEM;
			} else {
				ring.keys = grown;
				ring.keys[ring.count++] = k;
			}
		}
		if (ret != HS_EOK) {
			key_clear(&k);
			break;
		}
	}
	if (ret == HS_EOK && ring.count == 0) {
		*errline = 0;  /* no line to blame */
		ret = HS_ETSIG_FILE;
	}
	if (ret != HS_EOK) {
		hs_tsig_keys_free(&ring);
		return ret;
	}
	*out = ring;
	*errline = 0;
	return HS_EOK;
}

int hs_tsig_load(const char *path, hs_tsig_keys_t *out, int *errline)
{
	if (errline != NULL) {
		*errline = 0;
	}
	if (path == NULL || out == NULL) {
		return HS_EINVAL;
	}
	/* read(2), not stdio: no library buffer keeps a copy of the secrets */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return HS_EIO;
	}
	char *buf = malloc(KEYFILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return HS_ENOMEM;
	}
	size_t len = 0;
	int ret = HS_EOK;
	for (;;) {
		ssize_t n = read(fd, buf + len, KEYFILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = HS_EIO;
			break;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > KEYFILE_MAX) {
			ret = HS_EIO;  /* too large to be a key file */
			break;
		}
	}
	close(fd);
	if (ret == HS_EOK) {
		ret = hs_tsig_parse(buf, len, out, errline);
	}
	sodium_memzero(buf, len);  /* the secrets were in there */
	free(buf);
	return ret;
}

/* ---- signing and checking ---------------------------------------------- */

size_t hs_tsig_space(const knot_tsig_key_t *key)
{
	return key == NULL ? 0 : knot_tsig_wire_maxsize(key);
}

int hs_tsig_reserve(knot_pkt_t *pkt, const knot_tsig_key_t *key)
{
	if (pkt == NULL || key == NULL) {
		return HS_EINVAL;
	}
	return knot_pkt_reserve(pkt, (uint16_t)hs_tsig_space(key));
}

/* Give back space reserved for the TSIG before writing it. */
static void give_back(knot_pkt_t *pkt, size_t need)
{
	size_t r = pkt->reserved < need ? pkt->reserved : need;
	if (r > 0) {
		(void)knot_pkt_reclaim(pkt, (uint16_t)r);
	}
}

static void keep_mac(hs_tsig_ctx_t *ctx, const uint8_t *mac, size_t len)
{
	if (len > sizeof(ctx->mac)) {
		len = 0;  /* cannot happen: libknot checked the size */
	}
	memcpy(ctx->mac, mac, len);
	ctx->mac_len = len;
}

int hs_tsig_sign_query(knot_pkt_t *pkt, const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx)
{
	if (pkt == NULL || key == NULL || ctx == NULL) {
		return HS_EINVAL;
	}
	give_back(pkt, hs_tsig_space(key));
	uint8_t digest[64];
	size_t dlen = sizeof(digest);
	size_t size = pkt->size;
	int ret = knot_tsig_sign(pkt->wire, &size, pkt->max_size, NULL, 0,
	                         digest, &dlen, key, 0, 0);
	if (ret != KNOT_EOK) {
		return ret;
	}
	pkt->size = size;
	memset(ctx, 0, sizeof(*ctx));
	ctx->key = key;
	keep_mac(ctx, digest, dlen);
	return HS_EOK;
}

static int tsig_err(uint16_t rcode)
{
	switch (rcode) {
	case KNOT_RCODE_BADKEY:   return KNOT_TSIG_EBADKEY;
	case KNOT_RCODE_BADTIME:  return KNOT_TSIG_EBADTIME;
	case KNOT_RCODE_BADTRUNC: return KNOT_TSIG_EBADTRUNC;
	default:                  return KNOT_TSIG_EBADSIG;
	}
}

int hs_tsig_check_response(const knot_pkt_t *resp, hs_tsig_ctx_t *ctx)
{
	if (resp == NULL || ctx == NULL || ctx->key == NULL) {
		return HS_EINVAL;
	}
	const knot_rrset_t *tsig = resp->tsig_rr;
	if (tsig == NULL) {
		return HS_ETSIG_NONE;
	}
	uint16_t err = knot_tsig_rdata_error(tsig);
	if (err != 0) {
		return tsig_err(err);
	}
	int ret;
	if (ctx->count == 0) {
		ret = knot_tsig_client_check(tsig, resp->wire, resp->size,
		                             ctx->mac, ctx->mac_len, ctx->key, 0);
	} else {
		ret = knot_tsig_client_check_next(tsig, resp->wire, resp->size,
		                                  ctx->mac, ctx->mac_len, ctx->key,
		                                  ctx->time_signed);
	}
	if (ret != KNOT_EOK) {
		return ret;
	}
	keep_mac(ctx, knot_tsig_rdata_mac(tsig), knot_tsig_rdata_mac_length(tsig));
	ctx->time_signed = knot_tsig_rdata_time_signed(tsig);
	ctx->count++;
	return HS_EOK;
}

int hs_tsig_check_query(const knot_pkt_t *query, const hs_tsig_keys_t *keys, hs_tsig_ctx_t *ctx)
{
	if (query == NULL || ctx == NULL) {
		return HS_EINVAL;
	}
	memset(ctx, 0, sizeof(*ctx));
	const knot_rrset_t *tsig = query->tsig_rr;
	if (tsig == NULL) {
		return HS_ETSIG_NONE;
	}
	ctx->query_tsig = tsig;
	ctx->time_signed = knot_tsig_rdata_time_signed(tsig);
	const knot_tsig_key_t *key = hs_tsig_find(keys, tsig->owner);
	if (key == NULL || knot_tsig_rdata_alg(tsig) != key->algorithm) {
		ctx->tsig_rcode = KNOT_RCODE_BADKEY;
		return KNOT_TSIG_EBADKEY;
	}
	ctx->key = key;
	int ret = knot_tsig_server_check(tsig, query->wire, query->size, key);
	switch (ret) {
	case KNOT_EOK:
		break;
	case KNOT_TSIG_EBADTIME:
		ctx->tsig_rcode = KNOT_RCODE_BADTIME;
		break;
	case KNOT_TSIG_EBADKEY:
		ctx->tsig_rcode = KNOT_RCODE_BADKEY;
		return ret;
	default:
		ctx->tsig_rcode = KNOT_RCODE_BADSIG;
		return ret == KNOT_TSIG_EBADTRUNC ? ret : KNOT_TSIG_EBADSIG;
	}
	keep_mac(ctx, knot_tsig_rdata_mac(tsig), knot_tsig_rdata_mac_length(tsig));
	return ret;
}

int hs_tsig_sign_response(knot_pkt_t *pkt, hs_tsig_ctx_t *ctx)
{
	if (pkt == NULL || ctx == NULL) {
		return HS_EINVAL;
	}
	if (ctx->query_tsig == NULL) {
		return HS_ETSIG_NONE;
	}
	size_t size = pkt->size;
	int ret;
	if (ctx->tsig_rcode == KNOT_RCODE_BADSIG || ctx->tsig_rcode == KNOT_RCODE_BADKEY ||
	    ctx->tsig_rcode == KNOT_RCODE_BADTRUNC) {
		/* Unsigned, carrying the error (RFC 8945 5.3.2). */
		give_back(pkt, pkt->reserved);
		knot_wire_set_rcode(pkt->wire, KNOT_RCODE_NOTAUTH);
		ret = knot_tsig_add(pkt->wire, &size, pkt->max_size, ctx->tsig_rcode, ctx->query_tsig);
		if (ret == KNOT_EOK) {
			pkt->size = size;
		}
		return ret;
	}
	if (ctx->key == NULL) {
		return HS_EINVAL;
	}
	give_back(pkt, hs_tsig_space(ctx->key));
	if (ctx->tsig_rcode == KNOT_RCODE_BADTIME) {
		knot_wire_set_rcode(pkt->wire, KNOT_RCODE_NOTAUTH);
	}
	uint8_t digest[64];
	size_t dlen = sizeof(digest);
	if (ctx->count == 0) {
		ret = knot_tsig_sign(pkt->wire, &size, pkt->max_size, ctx->mac, ctx->mac_len,
		                     digest, &dlen, ctx->key, ctx->tsig_rcode, ctx->time_signed);
	} else {
		ret = knot_tsig_sign_next(pkt->wire, &size, pkt->max_size, ctx->mac, ctx->mac_len,
		                          digest, &dlen, ctx->key, pkt->wire, pkt->size);
	}
	if (ret != KNOT_EOK) {
		return ret;
	}
	pkt->size = size;
	keep_mac(ctx, digest, dlen);
	ctx->count++;
	return HS_EOK;
}
