/*
 * libhsync/zonefile.c -- zone files through libzscanner, HSYNC in either form.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"
#include "libhsync/zonefile.h"

struct scan_state {
	const char *name;
	hs_zonefile_rr_fn fn;
	void *ctx;
	int rc;
	char *err;
	size_t errlen;
};

static void set_err(char *err, size_t errlen, const char *fmt, const char *name,
                    unsigned long line, const char *reason)
{
	if (err != NULL && errlen > 0) {
		snprintf(err, errlen, fmt, name, line, reason);
	}
}

static void on_record(zs_scanner_t *zs)
{
	struct scan_state *st = zs->process.data;
	knot_rrset_t rr;
	knot_rrset_init(&rr, zs->r_owner, zs->r_type, zs->r_class, zs->r_ttl);
	int rc = knot_rrset_add_rdata(&rr, zs->r_data, (uint16_t)zs->r_data_length, NULL);
	if (rc != KNOT_EOK) {
		st->rc = HS_ENOMEM;
		set_err(st->err, st->errlen, "%s:%lu: %s", st->name,
		        (unsigned long)zs->line_counter, hs_strerror(HS_ENOMEM));
		zs->state = ZS_STATE_STOP;
		return;
	}
	/* HSYNC and DSYNC are checked here whatever form they came in. */
	if (zs->r_type == HS_RRTYPE_HSYNC || zs->r_type == HS_RRTYPE_DSYNC) {
		char text[HS_RR_TEXT_MAX];
		rc = hs_rr_rdata_to_text(zs->r_type, zs->r_data, zs->r_data_length, text, sizeof(text));
		if (rc != HS_EOK) {
			st->rc = rc;
			set_err(st->err, st->errlen, "%s:%lu: %s", st->name,
			        (unsigned long)zs->line_counter, hs_strerror(rc));
			zs->state = ZS_STATE_STOP;
			knot_rdataset_clear(&rr.rrs, NULL);
			return;
		}
	}
	rc = st->fn != NULL ? st->fn(&rr, st->ctx) : 0;
	knot_rdataset_clear(&rr.rrs, NULL);
	if (rc != 0) {
		st->rc = rc;
		set_err(st->err, st->errlen, "%s:%lu: %s", st->name,
		        (unsigned long)zs->line_counter, hs_strerror(rc));
		zs->state = ZS_STATE_STOP;
	}
}

static void on_error(zs_scanner_t *zs)
{
	struct scan_state *st = zs->process.data;
	st->rc = HS_ESYNTAX;
	set_err(st->err, st->errlen, "%s:%lu: %s", st->name, (unsigned long)zs->line_counter,
	        zs_strerror(zs->error.code));
	zs->state = ZS_STATE_STOP;
}

/* Does the text use HSYNC or DSYNC as a word (a presentation-form type)? */
static bool has_mnemonic(const char *text, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++) {
		if ((strncasecmp(text + i, "HSYNC", 5) == 0 || strncasecmp(text + i, "DSYNC", 5) == 0) &&
		    (i == 0 || isspace((unsigned char)text[i - 1]) || text[i - 1] == '(') &&
		    (i + 5 == len || isspace((unsigned char)text[i + 5]) || text[i + 5] == '(')) {
			return true;
		}
	}
	return false;
}

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			return HS_ENOMEM;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return HS_EOK;
}

/* One logical record through the converter, padded to keep the line count. */
static int convert_record(hs_rr_conv_t *conv, const char *rec, unsigned long lines,
                          struct buf *out)
{
	size_t cap = strlen(rec) + 8192;
	char *o = malloc(cap);
	if (o == NULL) {
		return HS_ENOMEM;
	}
	int rc = hs_rr_conv_line(conv, rec, o, cap);
	if (rc == HS_EOK) {
		unsigned long nl = 0;
		for (const char *p = o; *p != '\0'; p++) {
			nl += *p == '\n';
		}
		rc = buf_add(out, o, strlen(o));
		for (; rc == HS_EOK && nl + 1 < lines; nl++) {
			rc = buf_add(out, "\n", 1);
		}
		if (rc == HS_EOK) {
			rc = buf_add(out, "\n", 1);
		}
	}
	free(o);
	return rc;
}

/* Rewrite presentation-form HSYNC/DSYNC records into generic form. */
static int convert_text(const char *text, size_t len, const char *name, const char *origin,
                        struct buf *out, char *err, size_t errlen)
{
	hs_rr_conv_t *conv;
	int rc = hs_rr_conv_new(&conv, HS_RR_GENERIC, origin);
	if (rc != HS_EOK) {
		set_err(err, errlen, "%s:%lu: %s", name, 0, hs_strerror(rc));
		return rc;
	}
	struct buf rec = { 0 };
	unsigned long line = 0, start = 0;
	size_t pos = 0;
	while (rc == HS_EOK && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		line++;
		if (rec.len == 0 && rec.p == NULL) {
			start = line;
		} else {
			rc = buf_add(&rec, "\n", 1);
		}
		if (rc == HS_EOK) {
			rc = buf_add(&rec, text + pos, n);
		}
		pos += n + (nl != NULL);
		if (rc == HS_EOK && memchr(rec.p, '\0', rec.len) != NULL) {
			rc = HS_ESYNTAX;
			set_err(err, errlen, "%s:%lu: %s", name, line, "NUL byte in zone text");
			break;
		}
		if (rc == HS_EOK && !hs_rr_line_open(rec.p, rec.len)) {
			rc = convert_record(conv, rec.p, line - start + 1, out);
			if (rc != HS_EOK && rc != HS_ENOMEM) {
				set_err(err, errlen, "%s:%lu: %s", name, start, hs_rr_conv_detail(conv));
			}
			free(rec.p);
			rec = (struct buf){ 0 };
		}
	}
	if (rc == HS_EOK && rec.p != NULL) {
		rc = HS_ESYNTAX;
		set_err(err, errlen, "%s:%lu: %s", name, start, "unbalanced parentheses");
	}
	if (rc == HS_ENOMEM) {
		set_err(err, errlen, "%s:%lu: %s", name, line, hs_strerror(rc));
	}
	if (rc == HS_EOK && out->p == NULL) {
		rc = buf_add(out, "", 0);
	}
	free(rec.p);
	hs_rr_conv_free(conv);
	return rc;
}

int hs_zonefile_read_string(const char *text, size_t len, const char *name, const char *origin,
                        hs_zonefile_rr_fn fn, void *ctx, char *err, size_t errlen)
{
	if (text == NULL && len > 0) {
		return HS_EINVAL;
	}
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	name = name != NULL ? name : "-";
	origin = origin != NULL ? origin : ".";
	struct buf conv = { 0 };
	if (has_mnemonic(text, len)) {
		int rc = convert_text(text, len, name, origin, &conv, err, errlen);
		if (rc != HS_EOK) {
			free(conv.p);
			return rc;
		}
		text = conv.p;
		len = conv.len;
	}
	zs_scanner_t *zs = malloc(sizeof(*zs));
	if (zs == NULL) {
		free(conv.p);
		return HS_ENOMEM;
	}
	struct scan_state st = { name, fn, ctx, HS_EOK, err, errlen };
	int rc = HS_EOK;
	if (zs_init(zs, origin, KNOT_CLASS_IN, 3600) != 0 ||
	    zs_set_input_string(zs, len > 0 ? text : "", len) != 0 ||
	    zs_set_processing(zs, on_record, on_error, &st) != 0) {
		set_err(err, errlen, "%s:%lu: %s", name, 0, zs_strerror(zs->error.code));
		rc = HS_ESYNTAX;
	} else if (zs_parse_all(zs) != 0 || st.rc != HS_EOK) {
		rc = st.rc != HS_EOK ? st.rc : HS_ESYNTAX;
		if (st.rc == HS_EOK) {
			set_err(err, errlen, "%s:%lu: %s", name, (unsigned long)zs->line_counter,
			        zs_strerror(zs->error.code));
		}
	}
	zs_deinit(zs);
	free(zs);
	free(conv.p);
	return rc;
}

int hs_zonefile_read(const char *path, const char *origin, hs_zonefile_rr_fn fn, void *ctx,
                      char *err, size_t errlen)
{
	if (path == NULL) {
		return HS_EINVAL;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		}
		return HS_EIO;
	}
	struct buf b = { 0 };
	char chunk[65536];
	size_t n;
	int rc = HS_EOK;
	while (rc == HS_EOK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = buf_add(&b, chunk, n);
	}
	if (rc == HS_EOK && ferror(f)) {
		rc = HS_EIO;
	}
	fclose(f);
	if (rc != HS_EOK) {
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: %s", path, hs_strerror(rc));
		}
		free(b.p);
		return rc;
	}
	rc = hs_zonefile_read_string(b.p != NULL ? b.p : "", b.len, path, origin, fn, ctx, err, errlen);
	free(b.p);
	return rc;
}

struct apex_state {
	knot_dname_storage_t apex;
	knot_rrset_t *rrset;
};

static int collect_apex(const knot_rrset_t *rr, void *ctx)
{
	struct apex_state *a = ctx;
	if (rr->type != HS_RRTYPE_HSYNC || !knot_dname_is_equal(rr->owner, a->apex)) {
		return 0;
	}
	a->rrset->ttl = rr->ttl;
	int rc = knot_rrset_add_rdata(a->rrset, rr->rrs.rdata->data, rr->rrs.rdata->len, NULL);
	return rc == KNOT_EOK ? 0 : HS_ENOMEM;
}

int hs_zonefile_apex_hsync(const char *path, const char *origin, knot_rrset_t **rrset,
                       hs_hsync_t *out, size_t max, size_t *count, char *err, size_t errlen)
{
	if (path == NULL || origin == NULL || count == NULL || (out == NULL && max > 0)) {
		return HS_EINVAL;
	}
	*count = 0;
	struct apex_state a;
	if (knot_dname_from_str(a.apex, origin, sizeof(a.apex)) == NULL) {
		return HS_ENAME;
	}
	a.rrset = knot_rrset_new(a.apex, HS_RRTYPE_HSYNC, KNOT_CLASS_IN, 0, NULL);
	if (a.rrset == NULL) {
		return HS_ENOMEM;
	}
	int rc = hs_zonefile_read(path, origin, collect_apex, &a, err, errlen);
	if (rc == HS_EOK) {
		rc = hs_hsync_rrset_decode(a.rrset, out, max, count);
		if (rc != HS_EOK && err != NULL && errlen > 0) {
			knot_dname_txt_storage_t t;
			snprintf(err, errlen, "%s: %s HSYNC: %s", path,
			         knot_dname_to_str(t, a.apex, sizeof(t)) != NULL ? t : origin,
			         hs_strerror(rc));
		}
	}
	if (rc == HS_EOK && rrset != NULL) {
		*rrset = a.rrset;
	} else {
		knot_rrset_free(a.rrset, NULL);
	}
	return rc;
}
