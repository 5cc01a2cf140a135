/*
 * libhsync/rr.c -- HSYNC and DSYNC RDATA codecs, RFC 3597 generic form, and
 * the zone-file line converter behind hsync-rr. See rr.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"
#include "libhsync/rrlex.h"

/* ---- names in wire form ------------------------------------------------------ */

/*
 * Length of the uncompressed name at p (at most avail bytes): 0 and *used,
 * HS_ETRUNC if it runs past avail, HS_ENAME if it is compressed, uses an
 * unknown label type, or is longer than 255 bytes.
 */
static int name_wire(const uint8_t *p, size_t avail, size_t *used)
{
	size_t i = 0;
	for (;;) {
		if (i >= avail) {
			return HS_ETRUNC;
		}
		uint8_t l = p[i];
		if (l & 0xc0) {
			return HS_ENAME;
		}
		if (l == 0) {
			i++;
			break;
		}
		if (i + 1 + l > avail) {
			return HS_ETRUNC;
		}
		i += 1 + (size_t)l;
		if (i + 1 > KNOT_DNAME_MAXLEN) {
			return HS_ENAME;
		}
	}
	*used = i;
	return HS_EOK;
}

/* Read one name field into dst; HS_ENAME becomes the field's own code. */
static int name_take(uint8_t *dst, const uint8_t **p, const uint8_t *end, int field_err)
{
	size_t n;
	int rc = name_wire(*p, (size_t)(end - *p), &n);
	if (rc != HS_EOK) {
		return rc == HS_ENAME ? field_err : rc;
	}
	memcpy(dst, *p, n);
	*p += n;
	return HS_EOK;
}

/* Append name (from storage) to out; field_err if it is not a valid name. */
static int name_put(const uint8_t *name, uint8_t *out, size_t cap, size_t *pos, int field_err)
{
	size_t n;
	if (name_wire(name, KNOT_DNAME_MAXLEN, &n) != HS_EOK) {
		return field_err;
	}
	if (*pos + n > cap) {
		return HS_ESPACE;
	}
	memcpy(out + *pos, name, n);
	*pos += n;
	return HS_EOK;
}

/* ---- tokens ---------------------------------------------------------------------- */



void hs_rr_lex_init(struct hs_rr_lex *lx, const char *s, size_t n)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = s;
	lx->n = n;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')';
}

static void lex_comment(struct hs_rr_lex *lx)
{
	size_t start = ++lx->pos;
	while (lx->pos < lx->n && lx->s[lx->pos] != '\n') {
		lx->pos++;
	}
	size_t len = lx->pos - start;
	while (len > 0 && lx->s[start + len - 1] == '\r') {
		len--;
	}
	if (lx->cbuf != NULL && lx->clen + len + 3 < lx->ccap) {
		lx->clen += (size_t)snprintf(lx->cbuf + lx->clen, lx->ccap - lx->clen,
		                             " ;%.*s", (int)len, lx->s + start);
	}
}

/* Next token: true and its start, length and offset, or false at the end. */
bool hs_rr_lex_next(struct hs_rr_lex *lx, const char **tok, size_t *len, size_t *off)
{
	while (lx->pos < lx->n) {
		char c = lx->s[lx->pos];
		if (is_sep(c)) {
			lx->pos++;
		} else if (c == ';') {
			lex_comment(lx);
		} else {
			break;
		}
	}
	if (lx->pos >= lx->n) {
		return false;
	}
	size_t start = lx->pos;
	if (lx->s[start] == '"') {
		lx->pos++;
		while (lx->pos < lx->n && lx->s[lx->pos] != '"') {
			lx->pos += (lx->s[lx->pos] == '\\' && lx->pos + 1 < lx->n) ? 2 : 1;
		}
		if (lx->pos < lx->n) {
			lx->pos++;
		}
	} else {
		while (lx->pos < lx->n && !is_sep(lx->s[lx->pos]) && lx->s[lx->pos] != ';') {
			lx->pos += (lx->s[lx->pos] == '\\' && lx->pos + 1 < lx->n) ? 2 : 1;
		}
	}
	*tok = lx->s + start;
	*len = lx->pos - start;
	*off = start;
	return true;
}

/* Next token copied NUL-terminated into buf: 0, HS_ETRUNC at the end, HS_ESYNTAX if too long. */
static int lex_word(struct hs_rr_lex *lx, char *buf, size_t cap)
{
	const char *t;
	size_t len, off;
	if (!hs_rr_lex_next(lx, &t, &len, &off)) {
		return HS_ETRUNC;
	}
	if (len >= cap) {
		return HS_ESYNTAX;
	}
	memcpy(buf, t, len);
	buf[len] = '\0';
	return HS_EOK;
}

static bool lex_more(struct hs_rr_lex *lx)
{
	const char *t;
	size_t len, off;
	size_t save = lx->pos;
	bool more = hs_rr_lex_next(lx, &t, &len, &off);
	lx->pos = save;
	return more;
}

/* Decimal digits only, no sign, value <= max: 0 and *v, else -1. */
static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	if (*s == '\0' || strlen(s) > 10) {
		return -1;
	}
	unsigned long x = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			return -1;
		}
		x = x * 10 + (unsigned long)(*p - '0');
	}
	if (x > max) {
		return -1;
	}
	*v = x;
	return 0;
}

/*
 * A name token: absolute, "@" (origin), or relative (completed with origin).
 * dst is KNOT_DNAME_MAXLEN bytes. field_err for anything bad.
 */
static int name_from_tok(uint8_t *dst, const char *tok, const uint8_t *origin, int field_err)
{
	if (strcmp(tok, "@") == 0) {
		if (origin == NULL) {
			return field_err;
		}
		size_t n;
		if (name_wire(origin, KNOT_DNAME_MAXLEN, &n) != HS_EOK) {
			return field_err;
		}
		memcpy(dst, origin, n);
		return HS_EOK;
	}
	if (knot_dname_from_str(dst, tok, KNOT_DNAME_MAXLEN) == NULL) {
		return field_err;
	}
	size_t tl = strlen(tok), bs = 0;
	while (tl >= 2 + bs && tok[tl - 2 - bs] == '\\') {
		bs++;
	}
	bool absolute = tok[tl - 1] == '.' && bs % 2 == 0;
	if (absolute) {
		return HS_EOK;
	}
	if (origin == NULL) {
		return field_err;
	}
	size_t rel = knot_dname_size(dst) - 1, on;
	if (name_wire(origin, KNOT_DNAME_MAXLEN, &on) != HS_EOK || rel + on > KNOT_DNAME_MAXLEN) {
		return field_err;
	}
	memcpy(dst + rel, origin, on);
	return HS_EOK;
}

/* Presentation of a wire name into out. */
static int name_to_text(const uint8_t *name, char *out, size_t cap)
{
	size_t n;
	if (name_wire(name, KNOT_DNAME_MAXLEN, &n) != HS_EOK) {
		return HS_ENAME;
	}
	return knot_dname_to_str(out, name, cap) != NULL ? HS_EOK : HS_ESPACE;
}

/* ---- HSYNC -------------------------------------------------------------------------- */

static bool hsync_value_ok(uint8_t v)
{
	return v == 1 || v == 2 || v >= HS_HSYNC_PRIVATE_MIN;
}

static int hsync_check(const hs_hsync_t *h)
{
	if (!hsync_value_ok(h->state)) {
		return HS_EHSYNC_STATE;
	}
	if (!hsync_value_ok(h->nsmgmt)) {
		return HS_EHSYNC_NSMGMT;
	}
	if (!hsync_value_ok(h->sign)) {
		return HS_EHSYNC_SIGN;
	}
	return HS_EOK;
}

static int hsync_decode(hs_hsync_t *o, const uint8_t *rdata, size_t len, bool lower)
{
	if (o == NULL || (rdata == NULL && len > 0)) {
		return HS_EINVAL;
	}
	memset(o, 0, sizeof(*o));
	if (len < 3) {
		return HS_ETRUNC;
	}
	o->state = rdata[0];
	o->nsmgmt = rdata[1];
	o->sign = rdata[2];
	int rc = hsync_check(o);
	if (rc != HS_EOK) {
		return rc;
	}
	const uint8_t *p = rdata + 3, *end = rdata + len;
	if ((rc = name_take(o->identity, &p, end, HS_EHSYNC_IDENTITY)) != HS_EOK ||
	    (rc = name_take(o->upstream, &p, end, HS_EHSYNC_UPSTREAM)) != HS_EOK) {
		return rc;
	}
	if (p != end) {
		return HS_ETRAIL;
	}
	if (lower) {
		knot_dname_to_lower(o->identity);
		knot_dname_to_lower(o->upstream);
	}
	return HS_EOK;
}

int hs_hsync_from_wire(hs_hsync_t *out, const uint8_t *rdata, size_t len)
{
	return hsync_decode(out, rdata, len, true);
}

int hs_hsync_to_wire(const hs_hsync_t *in, uint8_t *out, size_t cap, size_t *outlen)
{
	if (in == NULL || out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	int rc = hsync_check(in);
	if (rc != HS_EOK) {
		return rc;
	}
	if (cap < 3) {
		return HS_ESPACE;
	}
	out[0] = in->state;
	out[1] = in->nsmgmt;
	out[2] = in->sign;
	size_t pos = 3;
	if ((rc = name_put(in->identity, out, cap, &pos, HS_EHSYNC_IDENTITY)) != HS_EOK ||
	    (rc = name_put(in->upstream, out, cap, &pos, HS_EHSYNC_UPSTREAM)) != HS_EOK) {
		return rc;
	}
	*outlen = pos;
	return HS_EOK;
}

/* An HSYNC field: one of two mnemonics, or a plain number (1, 2, 128-255). */
static int hsync_field(const char *tok, const char *m1, const char *m2, int err, uint8_t *v)
{
	unsigned long x;
	if (strcasecmp(tok, m1) == 0) {
		*v = 1;
	} else if (strcasecmp(tok, m2) == 0) {
		*v = 2;
	} else if (parse_uint(tok, 255, &x) == 0 && hsync_value_ok((uint8_t)x)) {
		*v = (uint8_t)x;
	} else {
		return err;
	}
	return HS_EOK;
}

static const char *hsync_mnemonic(uint8_t v, const char *m1, const char *m2, char *num)
{
	if (v == 1) {
		return m1;
	}
	if (v == 2) {
		return m2;
	}
	snprintf(num, 4, "%u", v);
	return num;
}

/* HSYNC presentation tokens (case kept) from the lexer, which must then be empty. */
static int hsync_parse(struct hs_rr_lex *lx, const uint8_t *origin, hs_hsync_t *o)
{
	char tok[KNOT_DNAME_TXT_MAXLEN + 1];
	int rc;
	memset(o, 0, sizeof(*o));
	static const struct { const char *m1, *m2; int err; } f[3] = {
		{ "ON", "OFF", HS_EHSYNC_STATE },
		{ "OWNER", "AGENT", HS_EHSYNC_NSMGMT },
		{ "SIGN", "NOSIGN", HS_EHSYNC_SIGN },
	};
	uint8_t *v[3] = { &o->state, &o->nsmgmt, &o->sign };
	for (int i = 0; i < 3; i++) {
		rc = lex_word(lx, tok, sizeof(tok));
		if (rc != HS_EOK) {
			return rc == HS_ESYNTAX ? f[i].err : rc;  /* too long to be a value */
		}
		if ((rc = hsync_field(tok, f[i].m1, f[i].m2, f[i].err, v[i])) != HS_EOK) {
			return rc;
		}
	}
	rc = lex_word(lx, tok, sizeof(tok));
	if (rc != HS_EOK) {
		return rc == HS_ESYNTAX ? HS_EHSYNC_IDENTITY : rc;
	}
	if ((rc = name_from_tok(o->identity, tok, origin, HS_EHSYNC_IDENTITY)) != HS_EOK) {
		return rc;
	}
	rc = lex_word(lx, tok, sizeof(tok));
	if (rc != HS_EOK) {
		return rc == HS_ESYNTAX ? HS_EHSYNC_UPSTREAM : rc;
	}
	if ((rc = name_from_tok(o->upstream, tok, origin, HS_EHSYNC_UPSTREAM)) != HS_EOK) {
		return rc;
	}
	return lex_more(lx) ? HS_ETRAIL : HS_EOK;
}

int hs_hsync_to_text(const hs_hsync_t *in, char *out, size_t cap)
{
	if (in == NULL || out == NULL) {
		return HS_EINVAL;
	}
	int rc = hsync_check(in);
	if (rc != HS_EOK) {
		return rc;
	}
	knot_dname_txt_storage_t id, up;
	if (name_to_text(in->identity, id, sizeof(id)) != HS_EOK) {
		return HS_EHSYNC_IDENTITY;
	}
	if (name_to_text(in->upstream, up, sizeof(up)) != HS_EOK) {
		return HS_EHSYNC_UPSTREAM;
	}
	char n1[4], n2[4], n3[4];
	int w = snprintf(out, cap, "%s %s %s %s %s",
	                 hsync_mnemonic(in->state, "ON", "OFF", n1),
	                 hsync_mnemonic(in->nsmgmt, "OWNER", "AGENT", n2),
	                 hsync_mnemonic(in->sign, "SIGN", "NOSIGN", n3), id, up);
	return (w < 0 || (size_t)w >= cap) ? HS_ESPACE : HS_EOK;
}

int hs_hsync_from_text(hs_hsync_t *out, const char *text)
{
	uint8_t wire[GENERIC_MAX];
	size_t len;
	if (out == NULL || text == NULL) {
		return HS_EINVAL;
	}
	int rc = hs_rr_rdata_from_text(HS_RRTYPE_HSYNC, text, NULL, wire, sizeof(wire), &len);
	if (rc != HS_EOK) {
		return rc;
	}
	return hs_hsync_from_wire(out, wire, len);
}

/* ---- DSYNC -------------------------------------------------------------------------- */

static int dsync_check(const hs_dsync_t *d)
{
	if (d->rrtype == 0) {
		return HS_EDSYNC_TYPE;
	}
	if (d->scheme == 0) {
		return HS_EDSYNC_SCHEME;
	}
	return HS_EOK;
}

static int dsync_decode(hs_dsync_t *o, const uint8_t *rdata, size_t len, bool lower)
{
	if (o == NULL || (rdata == NULL && len > 0)) {
		return HS_EINVAL;
	}
	memset(o, 0, sizeof(*o));
	if (len < 5) {
		return HS_ETRUNC;
	}
	o->rrtype = (uint16_t)(rdata[0] << 8 | rdata[1]);
	o->scheme = rdata[2];
	o->port = (uint16_t)(rdata[3] << 8 | rdata[4]);
	int rc = dsync_check(o);
	if (rc != HS_EOK) {
		return rc;
	}
	const uint8_t *p = rdata + 5, *end = rdata + len;
	if ((rc = name_take(o->target, &p, end, HS_EDSYNC_TARGET)) != HS_EOK) {
		return rc;
	}
	if (p != end) {
		return HS_ETRAIL;
	}
	if (lower) {
		knot_dname_to_lower(o->target);
	}
	return HS_EOK;
}

int hs_dsync_from_wire(hs_dsync_t *out, const uint8_t *rdata, size_t len)
{
	return dsync_decode(out, rdata, len, true);
}

int hs_dsync_to_wire(const hs_dsync_t *in, uint8_t *out, size_t cap, size_t *outlen)
{
	if (in == NULL || out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	int rc = dsync_check(in);
	if (rc != HS_EOK) {
		return rc;
	}
	if (cap < 5) {
		return HS_ESPACE;
	}
	out[0] = (uint8_t)(in->rrtype >> 8);
	out[1] = (uint8_t)in->rrtype;
	out[2] = in->scheme;
	out[3] = (uint8_t)(in->port >> 8);
	out[4] = (uint8_t)in->port;
	size_t pos = 5;
	if ((rc = name_put(in->target, out, cap, &pos, HS_EDSYNC_TARGET)) != HS_EOK) {
		return rc;
	}
	*outlen = pos;
	return HS_EOK;
}

int hs_rr_type_to_text(uint16_t type, char *out, size_t cap)
{
	if (out == NULL) {
		return HS_EINVAL;
	}
	int w;
	if (type == HS_RRTYPE_HSYNC) {
		w = snprintf(out, cap, "HSYNC");
	} else if (type == HS_RRTYPE_DSYNC) {
		w = snprintf(out, cap, "DSYNC");
	} else {
		w = knot_rrtype_to_string(type, out, cap);
	}
	return (w < 0 || (size_t)w >= cap) ? HS_ESPACE : HS_EOK;
}

int hs_rr_type_from_text(const char *text, uint16_t *type)
{
	unsigned long x;
	if (text == NULL || type == NULL) {
		return HS_EINVAL;
	}
	if (strcasecmp(text, "HSYNC") == 0) {
		*type = HS_RRTYPE_HSYNC;
	} else if (strcasecmp(text, "DSYNC") == 0) {
		*type = HS_RRTYPE_DSYNC;
	} else if (parse_uint(text, 65535, &x) == 0) {
		*type = (uint16_t)x;
	} else if (knot_rrtype_from_string(text, type) != 0) {
		return HS_ESYNTAX;
	}
	return HS_EOK;
}

static int dsync_parse(struct hs_rr_lex *lx, const uint8_t *origin, hs_dsync_t *o)
{
	char tok[KNOT_DNAME_TXT_MAXLEN + 1];
	unsigned long x;
	int rc;
	memset(o, 0, sizeof(*o));
	if ((rc = lex_word(lx, tok, sizeof(tok))) != HS_EOK) {
		return rc == HS_ESYNTAX ? HS_EDSYNC_TYPE : rc;
	}
	if (hs_rr_type_from_text(tok, &o->rrtype) != HS_EOK || o->rrtype == 0) {
		return HS_EDSYNC_TYPE;
	}
	if ((rc = lex_word(lx, tok, sizeof(tok))) != HS_EOK) {
		return rc == HS_ESYNTAX ? HS_EDSYNC_SCHEME : rc;
	}
	if (strcasecmp(tok, "NOTIFY") == 0) {
		o->scheme = HS_DSYNC_SCHEME_NOTIFY;
	} else if (strcasecmp(tok, "UPDATE") == 0) {
		o->scheme = HS_DSYNC_SCHEME_UPDATE;
	} else if (parse_uint(tok, 255, &x) == 0 && x != 0) {
		o->scheme = (uint8_t)x;
	} else {
		return HS_EDSYNC_SCHEME;
	}
	if ((rc = lex_word(lx, tok, sizeof(tok))) != HS_EOK) {
		return rc == HS_ESYNTAX ? HS_EDSYNC_PORT : rc;
	}
	if (parse_uint(tok, 65535, &x) != 0) {
		return HS_EDSYNC_PORT;
	}
	o->port = (uint16_t)x;
	if ((rc = lex_word(lx, tok, sizeof(tok))) != HS_EOK) {
		return rc == HS_ESYNTAX ? HS_EDSYNC_TARGET : rc;
	}
	if ((rc = name_from_tok(o->target, tok, origin, HS_EDSYNC_TARGET)) != HS_EOK) {
		return rc;
	}
	return lex_more(lx) ? HS_ETRAIL : HS_EOK;
}

int hs_dsync_to_text(const hs_dsync_t *in, char *out, size_t cap)
{
	if (in == NULL || out == NULL) {
		return HS_EINVAL;
	}
	int rc = dsync_check(in);
	if (rc != HS_EOK) {
		return rc;
	}
	char type[32], scheme[4];
	knot_dname_txt_storage_t target;
	if (hs_rr_type_to_text(in->rrtype, type, sizeof(type)) != HS_EOK) {
		return HS_EDSYNC_TYPE;
	}
	if (name_to_text(in->target, target, sizeof(target)) != HS_EOK) {
		return HS_EDSYNC_TARGET;
	}
	const char *s = in->scheme == HS_DSYNC_SCHEME_NOTIFY ? "NOTIFY" :
	                in->scheme == HS_DSYNC_SCHEME_UPDATE ? "UPDATE" : NULL;
	if (s == NULL) {
		snprintf(scheme, sizeof(scheme), "%u", in->scheme);
		s = scheme;
	}
	int w = snprintf(out, cap, "%s %s %u %s", type, s, in->port, target);
	return (w < 0 || (size_t)w >= cap) ? HS_ESPACE : HS_EOK;
}

int hs_dsync_from_text(hs_dsync_t *out, const char *text)
{
	uint8_t wire[GENERIC_MAX];
	size_t len;
	if (out == NULL || text == NULL) {
		return HS_EINVAL;
	}
	int rc = hs_rr_rdata_from_text(HS_RRTYPE_DSYNC, text, NULL, wire, sizeof(wire), &len);
	if (rc != HS_EOK) {
		return rc;
	}
	return hs_dsync_from_wire(out, wire, len);
}

/* ---- RRset ------------------------------------------------------------------------- */

int hs_hsync_rrset_decode(const knot_rrset_t *rrset, hs_hsync_t *out, size_t max,
                          size_t *count)
{
	if (rrset == NULL || rrset->type != HS_RRTYPE_HSYNC || count == NULL ||
	    (out == NULL && max > 0)) {
		return HS_EINVAL;
	}
	*count = 0;
	const knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++, rd = knot_rdataset_next((knot_rdata_t *)rd)) {
		hs_hsync_t h;
		int rc = hs_hsync_from_wire(&h, rd->data, rd->len);
		if (rc != HS_EOK) {
			return rc;
		}
		/* out[0..i) holds the earlier ones when there is room; else check against the first. */
		if (i > 0 && max > 0 && h.nsmgmt != out[0].nsmgmt) {
			return HS_EHSYNC_MIXED;
		}
		for (size_t j = 0; j < i && j < max; j++) {
			if (knot_dname_is_equal(h.identity, out[j].identity)) {
				return HS_EHSYNC_DUPID;
			}
		}
		if (i >= max) {
			return HS_ESPACE;
		}
		out[i] = h;
		*count = (size_t)i + 1;
	}
	return HS_EOK;
}

int hs_hsync_rrset_check(const knot_rrset_t *rrset)
{
	if (rrset == NULL) {
		return HS_EINVAL;
	}
	size_t n = rrset->rrs.count, count;
	hs_hsync_t *all = calloc(n > 0 ? n : 1, sizeof(*all));
	if (all == NULL) {
		return HS_ENOMEM;
	}
	int rc = hs_hsync_rrset_decode(rrset, all, n, &count);
	free(all);
	return rc;
}

/* ---- RDATA text in either form -------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* After "\#": LENGTH then hex words. */
static int generic_parse(struct hs_rr_lex *lx, uint8_t *out, size_t cap, size_t *outlen)
{
	char tok[16];
	unsigned long want;
	int rc = lex_word(lx, tok, sizeof(tok));
	if (rc != HS_EOK) {
		return rc;
	}
	if (parse_uint(tok, 65535, &want) != 0) {
		return HS_ESYNTAX;
	}
	size_t have = 0;
	int hi = -1;
	const char *t;
	size_t len, off;
	while (hs_rr_lex_next(lx, &t, &len, &off)) {
		for (size_t i = 0; i < len; i++) {
			int v = hexval(t[i]);
			if (v < 0) {
				return HS_ESYNTAX;
			}
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (have >= want) {
				return HS_ETRAIL;
			}
			if (have >= cap) {
				return HS_ETRAIL;  /* longer than any valid RDATA of ours */
			}
			out[have++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		return HS_ESYNTAX;  /* odd number of hex digits */
	}
	if (have < want) {
		return HS_ETRUNC;
	}
	*outlen = have;
	return HS_EOK;
}

/* RDATA of type from the lexer, either form, strictly checked, case kept. */
int hs_rr_rdata_parse(uint16_t type, struct hs_rr_lex *lx, const uint8_t *origin,
                       uint8_t *out, size_t cap, size_t *outlen)
{
	if (type != HS_RRTYPE_HSYNC && type != HS_RRTYPE_DSYNC) {
		return HS_EINVAL;
	}
	const char *t;
	size_t len, off;
	size_t save = lx->pos;
	if (hs_rr_lex_next(lx, &t, &len, &off) && len == 2 && memcmp(t, "\\#", 2) == 0) {
		uint8_t buf[GENERIC_MAX];
		size_t n;
		int rc = generic_parse(lx, buf, sizeof(buf), &n);
		if (rc != HS_EOK) {
			return rc;
		}
		hs_hsync_t h;
		hs_dsync_t d;
		rc = type == HS_RRTYPE_HSYNC ? hsync_decode(&h, buf, n, false)
		                             : dsync_decode(&d, buf, n, false);
		if (rc != HS_EOK) {
			return rc;
		}
		if (n > cap) {
			return HS_ESPACE;
		}
		memcpy(out, buf, n);
		*outlen = n;
		return HS_EOK;
	}
	lx->pos = save;
	if (type == HS_RRTYPE_HSYNC) {
		hs_hsync_t h;
		int rc = hsync_parse(lx, origin, &h);
		return rc != HS_EOK ? rc : hs_hsync_to_wire(&h, out, cap, outlen);
	}
	hs_dsync_t d;
	int rc = dsync_parse(lx, origin, &d);
	return rc != HS_EOK ? rc : hs_dsync_to_wire(&d, out, cap, outlen);
}

int hs_rr_rdata_from_text(uint16_t type, const char *text, const uint8_t *origin,
                          uint8_t *out, size_t cap, size_t *outlen)
{
	if (text == NULL || out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	struct hs_rr_lex lx;
	hs_rr_lex_init(&lx, text, strlen(text));
	return hs_rr_rdata_parse(type, &lx, origin, out, cap, outlen);
}

int hs_rr_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len, char *out, size_t cap)
{
	if (out == NULL) {
		return HS_EINVAL;
	}
	int rc;
	if (type == HS_RRTYPE_HSYNC) {
		hs_hsync_t h;
		rc = hsync_decode(&h, rdata, len, false);
		return rc != HS_EOK ? rc : hs_hsync_to_text(&h, out, cap);
	}
	if (type == HS_RRTYPE_DSYNC) {
		hs_dsync_t d;
		rc = dsync_decode(&d, rdata, len, false);
		return rc != HS_EOK ? rc : hs_dsync_to_text(&d, out, cap);
	}
	return HS_EINVAL;
}

int hs_rr_rdata_to_generic(const uint8_t *rdata, size_t len, char *out, size_t cap)
{
	if (out == NULL || (rdata == NULL && len > 0)) {
		return HS_EINVAL;
	}
	int w = snprintf(out, cap, "\\# %zu", len);
	if (w < 0 || (size_t)w >= cap) {
		return HS_ESPACE;
	}
	size_t pos = (size_t)w;
	if (len > 0) {
		if (pos + 1 + 2 * len >= cap) {
			return HS_ESPACE;
		}
		out[pos++] = ' ';
		for (size_t i = 0; i < len; i++) {
			static const char hex[] = "0123456789abcdef";
			out[pos++] = hex[rdata[i] >> 4];
			out[pos++] = hex[rdata[i] & 0x0f];
		}
		out[pos] = '\0';
	}
	return HS_EOK;
}
