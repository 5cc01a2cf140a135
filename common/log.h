/*
 * common/log.h -- one line per event on stderr, for the supervisor.
 *
 * Every line is
 *
 *	PROGRAM: LEVEL: [ZONE: ][PEER: ]MESSAGE
 *
 * with no timestamp (the supervisor adds one) and no embedded newline:
 * control bytes and non-ASCII bytes in the text are written as \DDD, so one
 * event is always exactly one line, whatever a peer sent us.
 *
 * Levels, from the most to the least important: error, warning, notice,
 * info, debug. Lines above the current level are dropped. The default level
 * is notice; -v raises it by one (hs_log_more), -q lowers it (hs_log_less).
 *
 * This is the only module under common/ that prints, and hs_fatal() the only
 * function there that exits. Not thread-safe: call it from the loop thread.
 */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stdbool.h>

enum hs_log_level {
	HS_LOG_ERROR = 0,
	HS_LOG_WARNING,
	HS_LOG_NOTICE,
	HS_LOG_INFO,
	HS_LOG_DEBUG,
};

#define HS_LOG_DEFAULT HS_LOG_NOTICE

/* Longest line written, without the newline; longer ones are cut with "...". */
#define HS_LOG_LINE_MAX 2048

/* Program name shown first on every line (borrowed: keep it alive; argv[0]
 * is fine, its directory part is skipped). NULL gives "hsync". */
void hs_log_init(const char *progname);

/* Current level, and setters. hs_log_set_level() clamps to error..debug. */
int hs_log_level(void);
void hs_log_set_level(int level);
void hs_log_more(void);   /* -v */
void hs_log_less(void);   /* -q */
bool hs_log_enabled(int level);

/* "error", "warning", "notice", "info", "debug" <-> level. Parse returns 0 or
 * HS_EINVAL (also accepts "warn" and "err"). Name of an unknown level is "?". */
const char *hs_log_level_name(int level);
int hs_log_level_parse(const char *name, int *level);

/* The general form: zone and peer may be NULL (then left out). */
void hs_log(int level, const char *zone, const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Same, then ": " and hs_strerror(code) appended (code is any hsync, libknot,
 * libdnssec or -errno code, e.g. a libuv error). */
void hs_log_code(int level, int code, const char *zone, const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Short forms without zone and peer, like OpenBSD's log_warnx() ... */
#define hs_log_error(...)   hs_log(HS_LOG_ERROR, NULL, NULL, __VA_ARGS__)
#define hs_log_warning(...) hs_log(HS_LOG_WARNING, NULL, NULL, __VA_ARGS__)
#define hs_log_notice(...)  hs_log(HS_LOG_NOTICE, NULL, NULL, __VA_ARGS__)
#define hs_log_info(...)    hs_log(HS_LOG_INFO, NULL, NULL, __VA_ARGS__)
#define hs_log_debug(...)   hs_log(HS_LOG_DEBUG, NULL, NULL, __VA_ARGS__)
/* ... and like log_warn(), with the text of an error code appended. */
#define hs_log_error_code(code, ...)   hs_log_code(HS_LOG_ERROR, (code), NULL, NULL, __VA_ARGS__)
#define hs_log_warning_code(code, ...) hs_log_code(HS_LOG_WARNING, (code), NULL, NULL, __VA_ARGS__)

/* Log at error level (with the code's text unless code is 0) and
 * exit(status). For a daemon's main() only, before or after the loop. */
void hs_fatal(int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/*
 * Test hook: while set, each line that passes the level filter goes to
 * hook(level, line, arg) instead of stderr. `line` is the whole line as it
 * would be written, without the newline, valid only during the call.
 * NULL restores stderr.
 */
typedef void (*hs_log_hook_t)(int level, const char *line, void *arg);
void hs_log_set_hook(hs_log_hook_t hook, void *arg);

#endif /* HS_LOG_H */
