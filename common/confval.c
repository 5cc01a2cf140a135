/*
 * common/confval.c -- configuration values (see conf.h): the parsers of
 * every value kind, which the checker in conf.c uses too, the walk over the
 * statement tree, and the typed getters with their file:line errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <libknot/dname.h>
#include "common/addr.h"
#include "common/confint.h"
#include "libhsync/error.h"

/* ---- values ------------------------------------------------------------------------------- */

static int parse_uint(const char *s, uint64_t *out)
{
	if (*s == '\0') {
		return HS_ESYNTAX;
	}
	uint64_t v = 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return HS_ESYNTAX;
		}
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10) {
			return HS_ERANGE;
		}
		v = v * 10 + d;
	}
	*out = v;
	return HS_EOK;
}

static int parse_duration(const char *s, uint64_t *out)
{
	if (*s == '\0') {
		return HS_ESYNTAX;
	}
	uint64_t total = 0;
	while (*s != '\0') {
		if (*s < '0' || *s > '9') {
			return HS_ESYNTAX;
		}
		uint64_t v = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			unsigned d = (unsigned)(*s - '0');
			if (v > (UINT64_MAX - d) / 10) {
				return HS_ERANGE;
			}
			v = v * 10 + d;
		}
		uint64_t mult;
		switch (*s) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		case '\0': mult = 1; break;   /* a bare number, or a last part without unit */
		default: return HS_ESYNTAX;
		}
		if (*s != '\0') {
			s++;
		}
		if (v > UINT64_MAX / mult || total > UINT64_MAX - v * mult) {
			return HS_ERANGE;
		}
		total += v * mult;
	}
	*out = total;
	return HS_EOK;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true" };
	static const char *const no[] = { "no", "off", "false" };
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return HS_EOK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return HS_EOK;
		}
	}
	return HS_ESYNTAX;
}

static int parse_choice(const char *s, const char *choices, unsigned *out)
{
	if (choices == NULL) {
		return HS_ESYNTAX;
	}
	size_t len = strlen(s);
	unsigned idx = 0;
	for (const char *p = choices; ; idx++) {
		const char *bar = strchr(p, '|');
		size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (n == len && len > 0 && strncasecmp(p, s, n) == 0) {
			*out = idx;
			return HS_EOK;
		}
		if (bar == NULL) {
			return HS_ESYNTAX;
		}
		p = bar + 1;
	}
}

static int parse_name(const char *s, uint8_t *out)
{
	if (*s == '\0') {
		return HS_ESYNTAX;
	}
	uint8_t buf[KNOT_DNAME_MAXLEN];
	if (knot_dname_from_str(buf, s, sizeof(buf)) == NULL) {
		return HS_ESYNTAX;
	}
	if (out != NULL) {
		memcpy(out, buf, knot_dname_size(buf));
	}
	return HS_EOK;
}

/* Is text of this kind? If not, a reason (without file:line) in why. */
bool hs_conf_kind_ok(enum hs_conf_kind kind, const char *text, const char *choices,
                     char *why, size_t whylen)
{
	uint64_t u;
	bool b;
	unsigned idx;
	struct sockaddr_storage ss;
	struct hs_prefix pfx;
	int ret;
	switch (kind) {
	case HS_CONF_ANY:
		return true;
	case HS_CONF_UINT:
		ret = parse_uint(text, &u);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s is too large" : "%s is not a number", text);
		}
		return ret == HS_EOK;
	case HS_CONF_PORT:
		ret = parse_uint(text, &u);
		if (ret != HS_EOK || u > 65535) {
			snprintf(why, whylen, "%s is not a port number (0-65535)", text);
			return false;
		}
		return true;
	case HS_CONF_DURATION:
		ret = parse_duration(text, &u);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s is too long"
			         : "%s is not a duration (like 30s, 5m, 1h, 2d, 1w, 1h30m)", text);
		}
		return ret == HS_EOK;
	case HS_CONF_BOOL:
		if (parse_bool(text, &b) != HS_EOK) {
			snprintf(why, whylen, "%s is not yes or no", text);
			return false;
		}
		return true;
	case HS_CONF_ADDR:
		ret = hs_addr_parse(text, 0, &ss);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s: port out of range (0-65535)"
			         : "%s is not an IP address (ADDR or ADDR@PORT)", text);
		}
		return ret == HS_EOK;
	case HS_CONF_PREFIX:
		ret = hs_prefix_parse(text, &pfx);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s: prefix length too long"
			         : "%s is not an IP prefix (ADDR/LEN, host bits zero)", text);
		}
		return ret == HS_EOK;
	case HS_CONF_NAME:
		if (parse_name(text, NULL) != HS_EOK) {
			snprintf(why, whylen, "%s is not a domain name", text);
			return false;
		}
		return true;
	case HS_CONF_CHOICE:
		if (parse_choice(text, choices, &idx) != HS_EOK) {
			snprintf(why, whylen, "%s is not one of %s", text, choices != NULL ? choices : "(none)");
			return false;
		}
		return true;
	}
	snprintf(why, whylen, "unknown kind of argument");
	return false;
}

/* ---- walking ---------------------------------------------------------------------------------- */

static const hs_conf_stmt_t *find_from(const struct hs_conf_stmt *s, const char *kw)
{
	for (; s != NULL; s = s->next) {
		if (kw == NULL || strcmp(s->keyword, kw) == 0) {
			return s;
		}
	}
	return NULL;
}

const hs_conf_stmt_t *hs_conf_first(const hs_conf_t *conf, const char *keyword)
{
	return conf != NULL ? find_from(conf->first, keyword) : NULL;
}

const hs_conf_stmt_t *hs_conf_child(const hs_conf_stmt_t *s, const char *keyword)
{
	return s != NULL ? find_from(s->child, keyword) : NULL;
}

const hs_conf_stmt_t *hs_conf_next(const hs_conf_stmt_t *s, const char *keyword)
{
	return s != NULL ? find_from(s->next, keyword) : NULL;
}

const hs_conf_stmt_t *hs_conf_parent(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->parent : NULL;
}

const char *hs_conf_keyword(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->keyword : NULL;
}

const char *hs_conf_file(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->file : NULL;
}

unsigned hs_conf_line(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->line : 0;
}

bool hs_conf_has_block(const hs_conf_stmt_t *s)
{
	return s != NULL && s->has_block;
}

size_t hs_conf_nargs(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->npos : 0;
}

int hs_conf_opt(const hs_conf_stmt_t *s, const char *name)
{
	if (s == NULL || name == NULL) {
		return -1;
	}
	for (size_t i = s->npos; i + 1 < s->nargs; i += 2) {
		if (strcmp(s->args[i].text, name) == 0) {
			return (int)(i + 1);
		}
	}
	return -1;
}

/* ---- getters ---------------------------------------------------------------------------------- */

/* Argument i: a positional one or an option's value (never an option's name). */
static const struct hs_conf_arg *arg_at(const hs_conf_stmt_t *s, int i)
{
	if (s == NULL || i < 0 || (size_t)i >= s->nargs) {
		return NULL;
	}
	if ((size_t)i >= s->npos && ((size_t)i - s->npos) % 2 == 0) {
		return NULL;
	}
	return &s->args[i];
}

const char *hs_conf_str(const hs_conf_stmt_t *s, int i)
{
	const struct hs_conf_arg *a = arg_at(s, i);
	return a != NULL ? a->text : NULL;
}

bool hs_conf_quoted(const hs_conf_stmt_t *s, int i)
{
	const struct hs_conf_arg *a = arg_at(s, i);
	return a != NULL && a->quoted;
}

static int get_arg(const hs_conf_stmt_t *s, int i, const char **text, char *err, size_t errlen)
{
	if (s == NULL) {
		return HS_EINVAL;
	}
	const struct hs_conf_arg *a = arg_at(s, i);
	if (a == NULL) {
		hs_conf_errf(err, errlen, s->file, s->line, "%s: missing argument", s->keyword);
		return HS_ENOTFOUND;
	}
	*text = a->text;
	return HS_EOK;
}

static int range_check(const hs_conf_stmt_t *s, const char *text, uint64_t v, uint64_t min,
                       uint64_t max, char *err, size_t errlen)
{
	if (v < min || v > max) {
		return hs_conf_errf(err, errlen, s->file, s->line, "%s: %s out of range (%llu-%llu)",
		            s->keyword, text, (unsigned long long)min, (unsigned long long)max);
	}
	return HS_EOK;
}

int hs_conf_uint(const hs_conf_stmt_t *s, int i, uint64_t min, uint64_t max,
                 uint64_t *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	uint64_t v;
	if (parse_uint(t, &v) != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line, "%s: %s is not a number", s->keyword, t);
	}
	ret = range_check(s, t, v, min, max, err, errlen);
	if (ret == HS_EOK && out != NULL) {
		*out = v;
	}
	return ret;
}

int hs_conf_duration(const hs_conf_stmt_t *s, int i, uint64_t min, uint64_t max,
                     uint64_t *secs, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	uint64_t v;
	if (parse_duration(t, &v) != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line,
		            "%s: %s is not a duration (like 30s, 5m, 1h, 2d, 1w, 1h30m)", s->keyword, t);
	}
	if (v < min || v > max) {
		return hs_conf_errf(err, errlen, s->file, s->line, "%s: %s out of range (%llus-%llus)",
		            s->keyword, t, (unsigned long long)min, (unsigned long long)max);
	}
	if (secs != NULL) {
		*secs = v;
	}
	return HS_EOK;
}

int hs_conf_bool(const hs_conf_stmt_t *s, int i, bool *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	bool b;
	if (parse_bool(t, &b) != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line, "%s: %s is not yes or no", s->keyword, t);
	}
	if (out != NULL) {
		*out = b;
	}
	return HS_EOK;
}

int hs_conf_addr(const hs_conf_stmt_t *s, int i, uint16_t default_port,
                 struct sockaddr_storage *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	uint16_t port = default_port;
	int pi = hs_conf_opt(s, "port");
	if (pi >= 0 && pi != i && strchr(t, '@') == NULL) {
		uint64_t p;
		ret = hs_conf_uint(s, pi, 0, 65535, &p, err, errlen);
		if (ret != HS_EOK) {
			return ret;
		}
		port = (uint16_t)p;
	}
	struct sockaddr_storage ss;
	ret = hs_addr_parse(t, port, &ss);
	if (ret != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line, ret == HS_ERANGE
		            ? "%s: %s: port out of range (0-65535)"
		            : "%s: %s is not an IP address (ADDR or ADDR@PORT)", s->keyword, t);
	}
	if (out != NULL) {
		*out = ss;
	}
	return HS_EOK;
}

int hs_conf_prefix(const hs_conf_stmt_t *s, int i, struct hs_prefix *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	struct hs_prefix p;
	ret = hs_prefix_parse(t, &p);
	if (ret != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line, ret == HS_ERANGE
		            ? "%s: %s: prefix length too long"
		            : "%s: %s is not an IP prefix (ADDR/LEN, host bits zero)", s->keyword, t);
	}
	if (out != NULL) {
		*out = p;
	}
	return HS_EOK;
}

int hs_conf_name(const hs_conf_stmt_t *s, int i, uint8_t out[255], char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	if (parse_name(t, out) != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line, "%s: %s is not a domain name", s->keyword, t);
	}
	return HS_EOK;
}

int hs_conf_choice(const hs_conf_stmt_t *s, int i, const char *choices, unsigned *out,
                   char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	unsigned idx;
	if (parse_choice(t, choices, &idx) != HS_EOK) {
		return hs_conf_errf(err, errlen, s->file, s->line, "%s: %s is not one of %s", s->keyword, t,
		            choices != NULL ? choices : "(none)");
	}
	if (out != NULL) {
		*out = idx;
	}
	return HS_EOK;
}
