/*
 * common/daemon.h -- what every hsync daemon does the same way: exit codes,
 * the common command-line options, and signals on the libuv loop.
 *
 * Daemons run in the foreground under a supervisor: no fork, no pid file.
 * SIGTERM and SIGINT ask them to stop, SIGHUP to reload the configuration.
 * Nothing here prints or exits; main() does, through common/log.h.
 *
 * A main() in short:
 *
 *	hs_log_init(argv[0]);
 *	if (hs_daemon_getopt(argc, argv, "/etc/hsync/combinerd.conf", NULL, NULL,
 *	                     NULL, &o, err, sizeof(err)) != 0) {
 *		hs_log_error("%s", err); usage(); return HS_EXIT_USAGE;
 *	}
 *	if (hs_conf_load(o.conf_file, rules, &conf, err, sizeof(err)) != 0) {
 *		hs_log_error("%s", err); return HS_EXIT_CONFIG;   // file:line: reason
 *	}
 *	if (o.check_only) { ...daemon's own checks...; return HS_EXIT_OK; }
 *	hs_daemon_log_level(conf, o.verbosity);
 *	hs_signals_start(loop, on_stop, on_reload, ctx, &sig);
 *
 * and on_reload: hs_conf_load() a new tree; on success swap it in, free
 * the old, hs_daemon_log_level() again; on error log err, keep the old.
 */
#ifndef HS_DAEMON_H
#define HS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "common/conf.h"

/* Exit codes (the s6 convention). */
enum {
	HS_EXIT_OK = 0,        /* done */
	HS_EXIT_USAGE = 100,   /* bad usage or configuration: do not restart as is */
	HS_EXIT_CONFIG = 100,
	HS_EXIT_TEMP = 111,    /* temporary failure (cannot bind, out of memory): retry */
};

/* Usage text of the common options, for a daemon's usage(). */
#define HS_DAEMON_USAGE "[-hnqv] [-f file]"

struct hs_daemon_opts {
	const char *conf_file;  /* -f FILE, else the default (borrowed) */
	bool check_only;        /* -n: check the configuration and exit */
	bool help;              /* -h */
	int verbosity;          /* number of -v minus number of -q */
};

/* Called for an option letter of `extra` (getopt syntax, e.g. "xp:") with its
 * argument or NULL; returns 0 or a negative code to reject it. */
typedef int (*hs_daemon_opt_cb)(int opt, const char *arg, void *data);

/*
 * Parse argv: -f FILE, -n, -v (repeatable), -q (repeatable), -h, plus the
 * daemon's own letters in extra (may be NULL). Options stop at the first
 * non-option; any operand is an error. Returns 0, or HS_EINVAL with a
 * reason in err ("unknown option -z") for main to print before the usage
 * and exit HS_EXIT_USAGE. Not reentrant (getopt state).
 */
int hs_daemon_getopt(int argc, char *argv[], const char *default_conf,
                     const char *extra, hs_daemon_opt_cb cb, void *data,
                     struct hs_daemon_opts *out, char *err, size_t errlen);

/* Level for common/log: the configuration's `log-level` (default notice)
 * moved by verbosity; sets it with hs_log_set_level() and returns it. */
int hs_daemon_log_level(const hs_conf_t *conf, int verbosity);

/*
 * Signals on the loop: SIGTERM and SIGINT call on_stop, SIGHUP calls
 * on_reload (either may be NULL to ignore the signal), with the signal
 * number and arg. SIGPIPE is ignored (a peer closing a TCP connection is an
 * error code, not a death). The handles do not keep the loop alive.
 * *out is new: hs_signals_close() closes the handles and frees it once the
 * loop has run their close callbacks (call it from on_stop, or before a
 * last uv_run).
 */
typedef struct hs_signals hs_signals_t;
typedef void (*hs_signal_cb)(int signum, void *arg);

int hs_signals_start(uv_loop_t *loop, hs_signal_cb on_stop, hs_signal_cb on_reload,
                     void *arg, hs_signals_t **out);
void hs_signals_close(hs_signals_t *sig);

#endif /* HS_DAEMON_H */
