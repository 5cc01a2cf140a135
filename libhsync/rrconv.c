/*
 * libhsync/rrconv.c -- the zone-file line converter of rr.h: rewrites HSYNC
 * and DSYNC records between presentation and RFC 3597 generic form and
 * passes every other line through, checked by libzscanner.
 */
#include <ctype.h>
#include <stdbool.h>
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


struct hs_rr_conv {
	int mode;
	zs_scanner_t zs;
	bool has_origin;  /* given, or set by $ORIGIN: relative RDATA names allowed */
	knot_dname_storage_t origin;
	uint32_t ttl;
	bool have_owner;
	knot_dname_storage_t owner;
	char detail[512];
	char comments[512];
};

int hs_rr_conv_new(hs_rr_conv_t **out, int mode, const char *origin)
{
	if (out == NULL || (mode != HS_RR_GENERIC && mode != HS_RR_PRESENTATION)) {
		return HS_EINVAL;
	}
	hs_rr_conv_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return HS_ENOMEM;
	}
	c->mode = mode;
	c->ttl = 3600;
	c->has_origin = origin != NULL;
	const char *o = origin != NULL ? origin : ".";
	if (knot_dname_from_str(c->origin, o, sizeof(c->origin)) == NULL) {
		free(c);
		return HS_ENAME;
	}
	*out = c;
	return HS_EOK;
}

void hs_rr_conv_free(hs_rr_conv_t *conv)
{
	free(conv);
}

const char *hs_rr_conv_detail(const hs_rr_conv_t *conv)
{
	return conv != NULL ? conv->detail : "";
}

bool hs_rr_line_open(const char *buf, size_t len)
{
	int depth = 0;
	bool quote = false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\\') {
			i++;
		} else if (quote) {
			quote = c != '"';
		} else if (c == '"') {
			quote = true;
		} else if (c == ';') {
			while (i + 1 < len && buf[i + 1] != '\n') {
				i++;
			}
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && depth > 0) {
			depth--;
		}
	}
	return depth > 0;
}

static int conv_fail(hs_rr_conv_t *c, int rc, const char *what)
{
	if (what != NULL && strstr(hs_strerror(rc), what) == NULL) {
		snprintf(c->detail, sizeof(c->detail), "%s: %s", what, hs_strerror(rc));
	} else {
		snprintf(c->detail, sizeof(c->detail), "%s", hs_strerror(rc));
	}
	return rc;
}

/*
 * Run text (one record or one directive, owner given) through libzscanner
 * with the converter's origin and TTL; keep what it learnt. HS_ESYNTAX with
 * the scanner's reason in detail if it is not exactly one good record or
 * directive.
 */
static int conv_scan(hs_rr_conv_t *c, const char *text, size_t len, bool directive)
{
	knot_dname_txt_storage_t otext;
	if (knot_dname_to_str(otext, c->origin, sizeof(otext)) == NULL) {
		return conv_fail(c, HS_ENAME, "$ORIGIN");
	}
	zs_scanner_t *zs = &c->zs;
	if (zs_init(zs, otext, KNOT_CLASS_IN, c->ttl) != 0 ||
	    zs_set_input_string(zs, text, len) != 0) {
		snprintf(c->detail, sizeof(c->detail), "%s", zs_strerror(zs->error.code));
		zs_deinit(zs);
		return HS_ESYNTAX;
	}
	int records = 0, rc = HS_EOK;
	while (rc == HS_EOK) {
		if (zs_parse_record(zs) != 0 || zs->state == ZS_STATE_ERROR) {
			snprintf(c->detail, sizeof(c->detail), "%s", zs_strerror(zs->error.code));
			rc = HS_ESYNTAX;
		} else if (zs->state == ZS_STATE_DATA) {
			records++;
			memcpy(c->owner, zs->r_owner, zs->r_owner_length);
			c->have_owner = true;
		} else if (zs->state == ZS_STATE_INCLUDE) {
			snprintf(c->detail, sizeof(c->detail), "$INCLUDE inside a record");
			rc = HS_ESYNTAX;
		} else {
			break;  /* EOF */
		}
	}
	if (rc == HS_EOK && records != (directive ? 0 : 1)) {
		snprintf(c->detail, sizeof(c->detail), "not exactly one record");
		rc = HS_ESYNTAX;
	}
	if (rc == HS_EOK && directive) {
		memcpy(c->origin, zs->zone_origin, zs->zone_origin_length);
		c->ttl = zs->default_ttl;
	}
	zs_deinit(zs);
	return rc;
}

/* Scan a record line, with the last owner put in front when it has none. */
static int conv_scan_record(hs_rr_conv_t *c, const char *line, size_t len, bool no_owner)
{
	knot_dname_txt_storage_t owner = "";
	if (no_owner) {
		if (!c->have_owner) {
			snprintf(c->detail, sizeof(c->detail), "record without owner and no previous owner");
			return HS_ESYNTAX;
		}
		knot_dname_to_str(owner, c->owner, sizeof(owner));
	}
	size_t olen = strlen(owner);
	char *buf = malloc(olen + len + 2);
	if (buf == NULL) {
		return conv_fail(c, HS_ENOMEM, NULL);
	}
	memcpy(buf, owner, olen);
	memcpy(buf + olen, line, len);
	buf[olen + len] = '\n';
	int rc = conv_scan(c, buf, olen + len + 1, false);
	free(buf);
	return rc;
}

static int out_put(char *out, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (*pos + n >= cap) {
		return HS_ESPACE;
	}
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
	return HS_EOK;
}

static int pass_through(hs_rr_conv_t *c, const char *line, char *out, size_t cap)
{
	size_t pos = 0;
	int rc = out_put(out, cap, &pos, line, strlen(line));
	return rc != HS_EOK ? conv_fail(c, rc, NULL) : HS_EOK;
}

static int conv_directive(hs_rr_conv_t *c, const char *line, const char *tok, size_t tlen,
                          char *out, size_t cap)
{
	if ((tlen == 7 && strncasecmp(tok, "$ORIGIN", 7) == 0) ||
	    (tlen == 4 && strncasecmp(tok, "$TTL", 4) == 0)) {
		size_t len = strlen(line);
		char *buf = malloc(len + 2);
		if (buf == NULL) {
			return conv_fail(c, HS_ENOMEM, NULL);
		}
		memcpy(buf, line, len);
		buf[len] = '\n';
		int rc = conv_scan(c, buf, len + 1, true);
		free(buf);
		if (rc != HS_EOK) {
			return rc;
		}
		if (tlen == 7) {
			c->has_origin = true;
		}
		return pass_through(c, line, out, cap);
	}
	if (tlen == 8 && strncasecmp(tok, "$INCLUDE", 8) == 0) {
		return pass_through(c, line, out, cap);  /* not followed */
	}
	snprintf(c->detail, sizeof(c->detail), "unknown directive %.*s", (int)tlen, tok);
	return HS_ESYNTAX;
}

/* Is the token a TTL (digits, maybe with BIND units) or a class? */
static bool is_ttl_or_class(const char *t, size_t len)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf)) {
		return false;
	}
	if (isdigit((unsigned char)t[0])) {
		return true;
	}
	memcpy(buf, t, len);
	buf[len] = '\0';
	uint16_t cls;
	return knot_rrclass_from_string(buf, &cls) == 0;
}

int hs_rr_conv_line(hs_rr_conv_t *c, const char *line, char *out, size_t cap)
{
	if (c == NULL || line == NULL || out == NULL || cap == 0) {
		return HS_EINVAL;
	}
	c->detail[0] = '\0';
	c->comments[0] = '\0';
	out[0] = '\0';
	size_t n = strlen(line);
	struct hs_rr_lex lx;
	hs_rr_lex_init(&lx, line, n);
	const char *t;
	size_t tlen, off;
	if (!hs_rr_lex_next(&lx, &t, &tlen, &off)) {
		return pass_through(c, line, out, cap);  /* blank or comment */
	}
	if (off == 0 && t[0] == '$') {
		return conv_directive(c, line, t, tlen, out, cap);
	}
	bool no_owner = off != 0;
	const char *toks[4];
	size_t lens[4], offs[4], ntok = 0;
	toks[0] = t;
	lens[0] = tlen;
	offs[0] = off;
	ntok = 1;
	/* owner, then up to two of TTL / class, then the type */
	size_t want = no_owner ? 3 : 4;
	while (ntok < want && hs_rr_lex_next(&lx, &toks[ntok], &lens[ntok], &offs[ntok])) {
		ntok++;
	}
	/* find the type token: first after owner that is neither TTL nor class */
	size_t i = no_owner ? 0 : 1;
	while (i < ntok && i < (no_owner ? 2u : 3u) && is_ttl_or_class(toks[i], lens[i])) {
		i++;
	}
	uint16_t type = 0;
	if (i < ntok) {
		char tb[32];
		if (lens[i] < sizeof(tb)) {
			memcpy(tb, toks[i], lens[i]);
			tb[lens[i]] = '\0';
			if (hs_rr_type_from_text(tb, &type) != HS_EOK || isdigit((unsigned char)tb[0])) {
				type = 0;
			}
		}
	}
	if (type != HS_RRTYPE_HSYNC && type != HS_RRTYPE_DSYNC) {
		int rc = conv_scan_record(c, line, n, no_owner);
		return rc != HS_EOK ? rc : pass_through(c, line, out, cap);
	}

	/* HSYNC or DSYNC: parse the RDATA from after the type token. */
	const char *what = type == HS_RRTYPE_HSYNC ? "HSYNC" : "DSYNC";
	hs_rr_lex_init(&lx, line, n);
	lx.pos = offs[i] + lens[i];
	lx.cbuf = c->comments;
	lx.ccap = sizeof(c->comments);
	uint8_t wire[GENERIC_MAX];
	size_t wlen;
	int rc = hs_rr_rdata_parse(type, &lx, c->has_origin ? c->origin : NULL, wire, sizeof(wire), &wlen);
	if (rc != HS_EOK) {
		return conv_fail(c, rc, what);
	}
	/* comments before the type token count too */
	struct hs_rr_lex pre;
	hs_rr_lex_init(&pre, line, offs[i]);
	pre.cbuf = c->comments + strlen(c->comments);
	pre.ccap = sizeof(c->comments) - strlen(c->comments);
	while (hs_rr_lex_next(&pre, &t, &tlen, &off)) {
	}

	/* prefix: as written if it is plain, else its tokens */
	char prefix[2 * KNOT_DNAME_TXT_MAXLEN + 64];
	size_t plen = 0;
	if (strcspn(line, "()\n") >= offs[i]) {
		if (offs[i] >= sizeof(prefix)) {
			return conv_fail(c, HS_ESPACE, what);
		}
		memcpy(prefix, line, offs[i]);
		plen = offs[i];
	} else {
		if (no_owner) {
			prefix[plen++] = '\t';
		}
		for (size_t k = 0; k < i; k++) {
			if (plen + lens[k] + 2 >= sizeof(prefix)) {
				return conv_fail(c, HS_ESPACE, what);
			}
			memcpy(prefix + plen, toks[k], lens[k]);
			plen += lens[k];
			prefix[plen++] = ' ';
		}
	}
	prefix[plen] = '\0';

	char typetext[16], gtype[16], rtext[HS_RR_TEXT_MAX], gtext[2 * GENERIC_MAX + 16];
	snprintf(gtype, sizeof(gtype), "TYPE%u", type);
	if ((rc = hs_rr_rdata_to_generic(wire, wlen, gtext, sizeof(gtext))) != HS_EOK) {
		return conv_fail(c, rc, what);
	}
	if (c->mode == HS_RR_GENERIC) {
		snprintf(typetext, sizeof(typetext), "%s", gtype);
		snprintf(rtext, sizeof(rtext), "%s", gtext);
	} else {
		snprintf(typetext, sizeof(typetext), "%s", what);
		if ((rc = hs_rr_rdata_to_text(type, wire, wlen, rtext, sizeof(rtext))) != HS_EOK) {
			return conv_fail(c, rc, what);
		}
	}

	/* owner, TTL and class go through libzscanner, with the generic RDATA */
	size_t slen = plen + strlen(gtype) + strlen(gtext) + 2;
	char *scan = malloc(slen + 1);
	if (scan == NULL) {
		return conv_fail(c, HS_ENOMEM, NULL);
	}
	snprintf(scan, slen + 1, "%s%s %s", prefix, gtype, gtext);
	rc = conv_scan_record(c, scan, strlen(scan), no_owner);
	free(scan);
	if (rc != HS_EOK) {
		return rc;
	}

	size_t pos = 0;
	if ((rc = out_put(out, cap, &pos, prefix, plen)) != HS_EOK ||
	    (rc = out_put(out, cap, &pos, typetext, strlen(typetext))) != HS_EOK ||
	    (rc = out_put(out, cap, &pos, " ", 1)) != HS_EOK ||
	    (rc = out_put(out, cap, &pos, rtext, strlen(rtext))) != HS_EOK ||
	    (rc = out_put(out, cap, &pos, c->comments, strlen(c->comments))) != HS_EOK) {
		out[0] = '\0';
		return conv_fail(c, rc, NULL);
	}
	return HS_EOK;
}

int hs_rr_line_convert(const char *line, int mode, const char *origin, char *out, size_t cap)
{
	hs_rr_conv_t *c;
	int rc = hs_rr_conv_new(&c, mode, origin);
	if (rc != HS_EOK) {
		return rc;
	}
	rc = hs_rr_conv_line(c, line, out, cap);
	hs_rr_conv_free(c);
	return rc;
}
