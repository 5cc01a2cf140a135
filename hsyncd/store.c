/*
 * hsyncd/store.c -- apex states on disk, one JSON file per zone (see store.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "hsyncd/store.h"
#include "common/statefile.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/why.h"

struct hs_store {
	int dirfd;
	char *dir;
};

#define NAME_MAX_OURS 250

/* ---- file names ------------------------------------------------------------- */

static bool plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int hs_store_filename(const knot_dname_t *zone, char *out, size_t cap)
{
	if (zone == NULL || out == NULL || cap == 0)
		return HS_EINVAL;
	char buf[NAME_MAX_OURS + 1];
	size_t n = 0;
	if (*zone == 0) {
		buf[n++] = '@';
	}
	for (const uint8_t *p = zone; *p != 0; p += *p + 1) {
		if (*p > KNOT_DNAME_MAXLABELLEN)
			return HS_ENAME;
		if (p != zone)
			buf[n++] = '.';
		for (uint8_t i = 1; i <= *p; i++) {
			uint8_t c = p[i];
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if (n + 3 + sizeof(HS_STORE_SUFFIX) > sizeof(buf))
				return HS_ENAME;
			if (plain(c))
				buf[n++] = (char)c;
			else
				n += (size_t)snprintf(buf + n, 4, "%%%02X", c);
		}
		if (n + 1 + sizeof(HS_STORE_SUFFIX) > sizeof(buf))
			return HS_ENAME;
	}
	memcpy(buf + n, HS_STORE_SUFFIX, sizeof(HS_STORE_SUFFIX));
	n += sizeof(HS_STORE_SUFFIX) - 1;
	if (n + 1 > cap)
		return HS_ESPACE;
	memcpy(out, buf, n + 1);
	return HS_EOK;
}

/*
 * A state file is input we did not write this run: every RDATA must be
 * well-formed for its type (as libknot parses it off the wire, names not
 * compressed), or later readers (SOA serial, change lines) would walk off
 * its end.
 */
static bool rdata_ok(uint16_t type, const uint8_t *rdata, size_t len)
{
	uint8_t wire[11 + UINT16_MAX];
	wire[0] = 0;                                  /* owner: root */
	knot_wire_write_u16(wire + 1, type);
	knot_wire_write_u16(wire + 3, KNOT_CLASS_IN);
	knot_wire_write_u32(wire + 5, 0);
	knot_wire_write_u16(wire + 9, (uint16_t)len);
	memcpy(wire + 11, rdata, len);
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	size_t pos = 0;
	int ret = knot_rrset_rr_from_wire(wire, &pos, 11 + len, &rr, NULL, false);
	bool ok = ret == KNOT_EOK && pos == 11 + len && rr.rrs.count == 1 &&
	          rr.rrs.rdata->len == len && memcmp(rr.rrs.rdata->data, rdata, len) == 0;
	knot_rrset_clear(&rr, NULL);
	return ok;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hs_store_filename_zone(const char *name, knot_dname_t *out)
{
	if (name == NULL || out == NULL)
		return HS_EINVAL;
	size_t len = strlen(name), sl = strlen(HS_STORE_SUFFIX);
	if (len <= sl || strcmp(name + len - sl, HS_STORE_SUFFIX) != 0 || name[0] == '.')
		return HS_ENAME;
	len -= sl;
	if (len == 1 && name[0] == '@') {
		out[0] = 0;
		return HS_EOK;
	}
	size_t w = 0, lab = 0;  /* lab: position of the current label's length byte */
	out[w++] = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c;
		if (name[i] == '.') {
			if (out[lab] == 0)
				return HS_ENAME;
			lab = w;
			out[w++] = 0;
			if (w >= KNOT_DNAME_MAXLEN)
				return HS_ENAME;
			continue;
		}
		if (name[i] == '%') {
			int h = i + 2 < len ? hexval(name[i + 1]) : -1;
			int l = i + 2 < len ? hexval(name[i + 2]) : -1;
			if (h < 0 || l < 0)
				return HS_ENAME;
			c = (uint8_t)(h << 4 | l);
			if (plain(c))  /* not how we write it */
				return HS_ENAME;
			i += 2;
		} else if (plain((uint8_t)name[i])) {
			c = (uint8_t)name[i];
		} else {
			return HS_ENAME;
		}
		if (out[lab] == KNOT_DNAME_MAXLABELLEN || w + 2 > KNOT_DNAME_MAXLEN)
			return HS_ENAME;
		out[lab]++;
		out[w++] = c;
	}
	if (out[lab] == 0)
		return HS_ENAME;
	out[w++] = 0;
	return HS_EOK;
}

/* ---- encoding ------------------------------------------------------------------ */

static json_t *hex_string(const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * len] = 0;
	json_t *j = json_stringn(s, 2 * len);
	free(s);
	return j;
}

static int add_rrset(json_t *arr, const knot_rrset_t *rr, const char *type, const char *covers)
{
	json_t *o = json_object(), *rd = json_array();
	int bad = o == NULL || rd == NULL;
	knot_rdata_t *d = rr->rrs.rdata;
	for (uint16_t i = 0; !bad && i < rr->rrs.count; i++, d = knot_rdataset_next(d))
		bad |= json_array_append_new(rd, hex_string(d->data, d->len));
	if (!bad) {
		bad |= json_object_set_new(o, "type", json_string(type));
		if (covers != NULL)
			bad |= json_object_set_new(o, "covers", json_string(covers));
		bad |= json_object_set_new(o, "ttl", json_integer(rr->ttl));
		bad |= json_object_set(o, "rdata", rd);
		bad |= json_array_append(arr, o);
	}
	json_decref(rd);
	json_decref(o);
	return bad ? HS_ENOMEM : HS_EOK;
}

int hs_store_encode(const hs_apex_t *a, char **out, size_t *len)
{
	if (a == NULL || out == NULL)
		return HS_EINVAL;
	if (!hs_apex_serial(a, NULL))
		return HS_EINVAL;
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(zone, hs_apex_zone(a), sizeof(zone)) == NULL)
		return HS_ENAME;
	json_t *top = json_object(), *sets = json_array();
	int ret = (top == NULL || sets == NULL) ? HS_ENOMEM : HS_EOK;
	for (int pass = 0; pass < 2 && ret == HS_EOK; pass++) {
		for (int s = 0; s < HS_APEX_NSLOTS && ret == HS_EOK; s++) {
			knot_rrset_t rr;
			uint16_t t = hs_apex_slot_type(s);
			if ((pass == 0 ? hs_apex_rrset(a, t, &rr) : hs_apex_rrsig(a, t, &rr)) != HS_EOK)
				continue;
			ret = pass == 0 ? add_rrset(sets, &rr, hs_apex_slot_name(s), NULL)
			                : add_rrset(sets, &rr, "RRSIG", hs_apex_slot_name(s));
		}
	}
	char *text = NULL;
	if (ret == HS_EOK) {
		int bad = json_object_set_new(top, "format", json_string(HS_STORE_FORMAT));
		bad |= json_object_set_new(top, "version", json_integer(HS_STORE_VERSION));
		bad |= json_object_set_new(top, "zone", json_string(zone));
		bad |= json_object_set(top, "rrsets", sets);
		if (!bad)
			text = json_dumps(top, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		if (text == NULL)
			ret = HS_ENOMEM;
	}
	json_decref(sets);
	json_decref(top);
	if (ret != HS_EOK)
		return ret;
	size_t n = strlen(text);
	char *t2 = realloc(text, n + 2);
	if (t2 == NULL) {
		free(text);
		return HS_ENOMEM;
	}
	t2[n] = '\n';
	t2[n + 1] = 0;
	*out = t2;
	if (len != NULL)
		*len = n + 1;
	return HS_EOK;
}

/* ---- decoding -------------------------------------------------------------------- */

static int slot_of_name(const char *name)
{
	for (int s = 0; s < HS_APEX_NSLOTS; s++)
		if (strcmp(name, hs_apex_slot_name(s)) == 0)
			return s;
	return -1;
}

static int decode_rrset(hs_apex_t *a, json_t *o, size_t idx, uint8_t *buf,
                        char *reason, size_t cap)
{
	if (!json_is_object(o))
		return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: not an object", idx);
	const char *type = json_string_value(json_object_get(o, "type"));
	json_t *ttlj = json_object_get(o, "ttl"), *rd = json_object_get(o, "rdata");
	if (type == NULL)
		return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: no \"type\"", idx);
	bool sig = strcmp(type, "RRSIG") == 0;
	int slot = sig ? -1 : slot_of_name(type);
	if (sig) {
		const char *cov = json_string_value(json_object_get(o, "covers"));
		slot = cov != NULL ? slot_of_name(cov) : -1;
		if (slot < 0)
			return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: RRSIG without a kept \"covers\"", idx);
	} else if (slot < 0) {
		return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: type \"%.20s\" is not kept", idx, type);
	}
	uint16_t t = hs_apex_slot_type(slot);
	if (sig ? hs_apex_rrsig_count(a, t) : hs_apex_count(a, t))
		return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: %s%s twice", idx,
		              sig ? "RRSIG " : "", hs_apex_slot_name(slot));
	if (!json_is_integer(ttlj) || json_integer_value(ttlj) < 0 ||
	    json_integer_value(ttlj) > (json_int_t)UINT32_MAX)
		return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: bad \"ttl\"", idx);
	uint32_t ttl = (uint32_t)json_integer_value(ttlj);
	if (!json_is_array(rd) || json_array_size(rd) == 0 || json_array_size(rd) > UINT16_MAX)
		return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu]: \"rdata\" is not a list of RDATA", idx);
	for (size_t i = 0; i < json_array_size(rd); i++) {
		json_t *h = json_array_get(rd, i);
		const char *hex = json_string_value(h);
		size_t hl = json_string_length(h);
		if (hex == NULL || hl % 2 != 0 || hl / 2 > UINT16_MAX)
			return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu].rdata[%zu]: not hex RDATA", idx, i);
		for (size_t k = 0; k < hl / 2; k++) {
			int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);
			if (hi < 0 || lo < 0)
				return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu].rdata[%zu]: not hex", idx, i);
			buf[k] = (uint8_t)(hi << 4 | lo);
		}
		size_t len = hl / 2;
		if (sig && (len < 18 || (uint16_t)(buf[0] << 8 | buf[1]) != t))
			return hs_why(reason, cap, HS_ESYNTAX,
			              "rrsets[%zu].rdata[%zu]: RRSIG does not cover %s", idx, i,
			              hs_apex_slot_name(slot));
		if (!rdata_ok(sig ? KNOT_RRTYPE_RRSIG : t, buf, len))
			return hs_why(reason, cap, HS_ESYNTAX, "rrsets[%zu].rdata[%zu]: malformed %s%s RDATA",
			              idx, i, sig ? "RRSIG " : "", hs_apex_slot_name(slot));
		int ret = hs_apex_add_rr(a, hs_apex_zone(a), sig ? KNOT_RRTYPE_RRSIG : t,
		                         KNOT_CLASS_IN, ttl, buf, len);
		if (ret != HS_EOK)
			return hs_why(reason, cap, ret, "rrsets[%zu].rdata[%zu]: %s", idx, i,
			              hs_strerror(ret));
	}
	return HS_EOK;
}

int hs_store_decode(const char *text, size_t len, const knot_dname_t *zone,
                    hs_apex_t **out, char *reason, size_t cap)
{
	if (text == NULL || out == NULL)
		return HS_EINVAL;
	if (reason != NULL && cap > 0)
		reason[0] = 0;
	if (len == 0)
		return hs_why(reason, cap, HS_ETRUNC, "empty");
	json_error_t err;
	json_t *top = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (top == NULL) {
		int code = json_error_code(&err) == json_error_premature_end_of_input
		           ? HS_ETRUNC : HS_ESYNTAX;
		return hs_why(reason, cap, code, "line %d column %d: %s", err.line, err.column, err.text);
	}
	int ret = HS_EOK;
	hs_apex_t *a = NULL;
	uint8_t *buf = NULL;
	const char *fmt = json_string_value(json_object_get(top, "format"));
	json_t *ver = json_object_get(top, "version");
	const char *ztext = json_string_value(json_object_get(top, "zone"));
	json_t *sets = json_object_get(top, "rrsets");
	knot_dname_storage_t zname;

	if (!json_is_object(top) || fmt == NULL || strcmp(fmt, HS_STORE_FORMAT) != 0) {
		ret = hs_why(reason, cap, HS_ESYNTAX, "not an hsyncd apex state (\"format\")");
	} else if (!json_is_integer(ver) || json_integer_value(ver) != HS_STORE_VERSION) {
		ret = hs_why(reason, cap, HS_ESYNTAX, "unknown \"version\" (want %d)", HS_STORE_VERSION);
	} else if (ztext == NULL || knot_dname_from_str(zname, ztext, sizeof(zname)) == NULL) {
		ret = hs_why(reason, cap, HS_ESYNTAX, "bad \"zone\"");
	} else if (zone != NULL && !knot_dname_is_case_equal(zname, zone)) {
		ret = hs_why(reason, cap, HS_ENAME, "state of another zone (%.255s)", ztext);
	} else if (!json_is_array(sets)) {
		ret = hs_why(reason, cap, HS_ESYNTAX, "no \"rrsets\" list");
	} else if ((buf = malloc(UINT16_MAX + 1)) == NULL || hs_apex_new(&a, zname) != HS_EOK) {
		ret = HS_ENOMEM;
	} else {
		for (size_t i = 0; i < json_array_size(sets) && ret == HS_EOK; i++)
			ret = decode_rrset(a, json_array_get(sets, i), i, buf, reason, cap);
		if (ret == HS_EOK && !hs_apex_serial(a, NULL))
			ret = hs_why(reason, cap, HS_ESYNTAX, "no usable SOA");
	}
	free(buf);
	json_decref(top);
	if (ret != HS_EOK) {
		hs_apex_free(a);
		return ret;
	}
	*out = a;
	return HS_EOK;
}

/* ---- the directory ------------------------------------------------------------------ */

int hs_store_open(hs_store_t **out, const char *dir)
{
	if (out == NULL || dir == NULL || *dir == 0)
		return HS_EINVAL;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return HS_EIO;
	hs_store_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return HS_ENOMEM;
	s->dir = strdup(dir);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir == NULL || s->dirfd < 0) {
		int ret = s->dir == NULL ? HS_ENOMEM : HS_EIO;
		hs_store_close(s);
		return ret;
	}
	*out = s;
	return HS_EOK;
}

void hs_store_close(hs_store_t *s)
{
	if (s == NULL)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

const char *hs_store_dir(const hs_store_t *s)
{
	return s == NULL ? NULL : s->dir;
}

int hs_store_save(hs_store_t *s, const hs_apex_t *a, unsigned flags)
{
	if (s == NULL || a == NULL)
		return HS_EINVAL;
	char name[NAME_MAX_OURS + 8];
	int ret = hs_store_filename(hs_apex_zone(a), name, sizeof(name));
	if (ret != HS_EOK)
		return ret;
	char *text = NULL;
	size_t len = 0;
	if ((ret = hs_store_encode(a, &text, &len)) != HS_EOK)
		return ret;
	/* ".NAME.tmp": hs_store_list() skips dot files, so a leftover is never a zone */
	const hs_state_opts_t o = {
		.mode = 0640,
		.flags = HS_STATE_DOTTMP | ((flags & HS_STORE_NOSYNC) ? HS_STATE_NOSYNC : 0),
	};
	ret = hs_state_writeat(s->dirfd, name, text, len, &o);
	free(text);
	return ret;
}

int hs_store_sync(hs_store_t *s)
{
	if (s == NULL)
		return HS_EINVAL;
	if (syncfs(s->dirfd) != 0 || fsync(s->dirfd) != 0)
		return HS_EIO;
	return HS_EOK;
}

int hs_store_load(hs_store_t *s, const knot_dname_t *zone, hs_apex_t **out,
                  char *reason, size_t cap)
{
	if (reason != NULL && cap > 0)
		reason[0] = 0;
	if (s == NULL || zone == NULL || out == NULL)
		return HS_EINVAL;
	char name[NAME_MAX_OURS + 8];
	int ret = hs_store_filename(zone, name, sizeof(name));
	if (ret != HS_EOK)
		return hs_why(reason, cap, ret, "%s: zone name too long for a file name", s->dir);
	int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return hs_why(reason, cap, e == ENOENT ? HS_ENOTFOUND : HS_EIO, "%s/%s: %s",
		              s->dir, name, strerror(e));
	}
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 16 * 1024 * 1024) {
		close(fd);
		return hs_why(reason, cap, HS_EIO, "%s/%s: not a regular file of a sane size", s->dir, name);
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		close(fd);
		return HS_ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, text + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	char why[512];
	ret = hs_store_decode(text, len, zone, out, why, sizeof(why));
	free(text);
	if (ret != HS_EOK)
		return hs_why(reason, cap, ret, "%s/%s: %s", s->dir, name, why);
	return HS_EOK;
}

int hs_store_remove(hs_store_t *s, const knot_dname_t *zone)
{
	if (s == NULL || zone == NULL)
		return HS_EINVAL;
	char name[NAME_MAX_OURS + 8];
	int ret = hs_store_filename(zone, name, sizeof(name));
	if (ret != HS_EOK)
		return ret;
	if (unlinkat(s->dirfd, name, 0) != 0)
		return errno == ENOENT ? HS_ENOTFOUND : HS_EIO;
	fsync(s->dirfd);
	return HS_EOK;
}

int hs_store_list(hs_store_t *s, int (*cb)(const knot_dname_t *zone, void *ctx), void *ctx)
{
	if (s == NULL || cb == NULL)
		return HS_EINVAL;
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return HS_EIO;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return HS_EIO;
	}
	int ret = HS_EOK;
	struct dirent *e;
	knot_dname_storage_t zone;
	while (ret == 0 && (e = readdir(d)) != NULL) {
		if (hs_store_filename_zone(e->d_name, zone) == HS_EOK)
			ret = cb(zone, ctx);
	}
	closedir(d);
	return ret;
}
