/*
 * common/log.c -- one line per event on stderr (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "libhsync/error.h"

static const char *prog = "hsync";
static int cur_level = HS_LOG_DEFAULT;
static hs_log_hook_t hook_fn;
static void *hook_arg;

static const char *const level_names[] = {
	[HS_LOG_ERROR]   = "error",
	[HS_LOG_WARNING] = "warning",
	[HS_LOG_NOTICE]  = "notice",
	[HS_LOG_INFO]    = "info",
	[HS_LOG_DEBUG]   = "debug",
};

void hs_log_init(const char *progname)
{
	if (progname == NULL || *progname == '\0') {
		prog = "hsync";
		return;
	}
	const char *slash = strrchr(progname, '/');
	prog = (slash != NULL && slash[1] != '\0') ? slash + 1 : progname;
}

int hs_log_level(void)
{
	return cur_level;
}

void hs_log_set_level(int level)
{
	if (level < HS_LOG_ERROR) {
		level = HS_LOG_ERROR;
	}
	if (level > HS_LOG_DEBUG) {
		level = HS_LOG_DEBUG;
	}
	cur_level = level;
}

void hs_log_more(void)
{
	hs_log_set_level(cur_level + 1);
}

void hs_log_less(void)
{
	hs_log_set_level(cur_level - 1);
}

bool hs_log_enabled(int level)
{
	return level <= cur_level;
}

const char *hs_log_level_name(int level)
{
	if (level < HS_LOG_ERROR || level > HS_LOG_DEBUG) {
		return "?";
	}
	return level_names[level];
}

int hs_log_level_parse(const char *name, int *level)
{
	if (name == NULL || level == NULL) {
		return HS_EINVAL;
	}
	for (int l = HS_LOG_ERROR; l <= HS_LOG_DEBUG; l++) {
		if (strcasecmp(name, level_names[l]) == 0) {
			*level = l;
			return HS_EOK;
		}
	}
	if (strcasecmp(name, "warn") == 0) {
		*level = HS_LOG_WARNING;
		return HS_EOK;
	}
	if (strcasecmp(name, "err") == 0) {
		*level = HS_LOG_ERROR;
		return HS_EOK;
	}
	return HS_EINVAL;
}

void hs_log_set_hook(hs_log_hook_t hook, void *arg)
{
	hook_fn = hook;
	hook_arg = arg;
}

/* A line being built: printable ASCII kept, anything else as \DDD. */
struct line {
	char buf[HS_LOG_LINE_MAX + 1];
	size_t len;
	bool full;
};

static void put_raw(struct line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !l->full; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[5];
		const char *p = (const char *)&s[i];
		size_t plen = 1;
		if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\%03u", c);
			p = esc;
			plen = 4;
		}
		if (l->len + plen > HS_LOG_LINE_MAX - 3) {
			memcpy(l->buf + l->len, "...", 3);
			l->len += 3;
			l->full = true;
			break;
		}
		memcpy(l->buf + l->len, p, plen);
		l->len += plen;
	}
}

static void put(struct line *l, const char *s)
{
	put_raw(l, s, strlen(s));
}

static void emit(int level, int code, bool with_code, const char *zone,
                 const char *peer, const char *fmt, va_list ap)
{
	if (!hs_log_enabled(level)) {
		return;
	}
	struct line l = { .len = 0, .full = false };
	char msg[HS_LOG_LINE_MAX + 1];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0) {
		snprintf(msg, sizeof(msg), "(bad log format \"%s\")", fmt);
	}

	put(&l, prog);
	put(&l, ": ");
	put(&l, hs_log_level_name(level));
	put(&l, ": ");
	if (zone != NULL) {
		put(&l, zone);
		put(&l, ": ");
	}
	if (peer != NULL) {
		put(&l, peer);
		put(&l, ": ");
	}
	put(&l, msg);
	if (n >= (int)sizeof(msg) && !l.full) {
		put(&l, "...");
	}
	if (with_code) {
		put(&l, ": ");
		put(&l, hs_strerror(code));
	}
	l.buf[l.len] = '\0';

	if (hook_fn != NULL) {
		hook_fn(level, l.buf, hook_arg);
		return;
	}
	/* One write() per line, so lines of one process never interleave. */
	l.buf[l.len] = '\n';
	size_t off = 0;
	while (off < l.len + 1) {
		ssize_t w = write(STDERR_FILENO, l.buf + off, l.len + 1 - off);
		if (w <= 0) {
			break;  /* nowhere else to complain */
		}
		off += (size_t)w;
	}
}

void hs_log(int level, const char *zone, const char *peer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(level, 0, false, zone, peer, fmt, ap);
	va_end(ap);
}

void hs_log_code(int level, int code, const char *zone, const char *peer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(level, code, true, zone, peer, fmt, ap);
	va_end(ap);
}

void hs_fatal(int status, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(HS_LOG_ERROR, code, code != 0, NULL, NULL, fmt, ap);
	va_end(ap);
	exit(status);
}
