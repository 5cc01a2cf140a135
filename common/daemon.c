/*
 * common/daemon.c -- common options, log level and signals (see daemon.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/daemon.h"
#include "common/log.h"
#include "libhsync/error.h"

int hs_daemon_getopt(int argc, char *argv[], const char *default_conf,
                     const char *extra, hs_daemon_opt_cb cb, void *data,
                     struct hs_daemon_opts *out, char *err, size_t errlen)
{
	if (argv == NULL || out == NULL) {
		return HS_EINVAL;
	}
	char optstr[128];
	/* '+': stop at the first operand; ':': tell a missing argument apart */
	int n = snprintf(optstr, sizeof(optstr), "+:f:nvqh%s", extra != NULL ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(optstr)) {
		return HS_EINVAL;
	}
	struct hs_daemon_opts o = { .conf_file = default_conf };
	opterr = 0;
	optind = 0;   /* glibc: start over */
	int c;
	while ((c = getopt(argc, argv, optstr)) != -1) {
		switch (c) {
		case 'f':
			o.conf_file = optarg;
			break;
		case 'n':
			o.check_only = true;
			break;
		case 'v':
			o.verbosity++;
			break;
		case 'q':
			o.verbosity--;
			break;
		case 'h':
			o.help = true;
			break;
		case ':':
			snprintf(err, errlen, "option -%c needs an argument", optopt);
			return HS_EINVAL;
		case '?':
			snprintf(err, errlen, "unknown option -%c", optopt);
			return HS_EINVAL;
		default: {
			int ret = cb != NULL ? cb(c, optarg, data) : HS_EINVAL;
			if (ret != HS_EOK) {
				if (optarg != NULL) {
					snprintf(err, errlen, "option -%c: bad value %s", c, optarg);
				} else {
					snprintf(err, errlen, "option -%c not accepted", c);
				}
				return ret < 0 ? ret : HS_EINVAL;
			}
			break;
		}
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument %s", argv[optind]);
		return HS_EINVAL;
	}
	*out = o;
	return HS_EOK;
}

int hs_daemon_log_level(const hs_conf_t *conf, int verbosity)
{
	int level = HS_LOG_DEFAULT;
	const hs_conf_stmt_t *s = hs_conf_first(conf, "log-level");
	unsigned idx;
	if (s != NULL && hs_conf_choice(s, 0, HS_CONF_LOG_LEVELS, &idx, NULL, 0) == HS_EOK) {
		level = (int)idx;   /* HS_CONF_LOG_LEVELS is in enum hs_log_level order */
	}
	hs_log_set_level(level + verbosity);
	return hs_log_level();
}

/* ---- signals ----------------------------------------------------------------- */

static const int signums[] = { SIGTERM, SIGINT, SIGHUP };
#define NSIG_HANDLED (sizeof(signums) / sizeof(signums[0]))

struct hs_signals {
	uv_signal_t h[NSIG_HANDLED];
	hs_signal_cb on_stop, on_reload;
	void *arg;
	unsigned open;   /* handles not yet closed */
};

static void on_signal(uv_signal_t *h, int signum)
{
	hs_signals_t *s = h->data;
	hs_signal_cb cb = (signum == SIGHUP) ? s->on_reload : s->on_stop;
	if (cb != NULL) {
		cb(signum, s->arg);
	}
}

static void on_closed(uv_handle_t *h)
{
	hs_signals_t *s = h->data;
	if (--s->open == 0) {
		free(s);
	}
}

int hs_signals_start(uv_loop_t *loop, hs_signal_cb on_stop, hs_signal_cb on_reload,
                     void *arg, hs_signals_t **out)
{
	if (loop == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_signals_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	s->on_stop = on_stop;
	s->on_reload = on_reload;
	s->arg = arg;
	signal(SIGPIPE, SIG_IGN);
	int ret = 0;
	for (size_t i = 0; i < NSIG_HANDLED; i++) {
		uv_signal_init(loop, &s->h[i]);
		s->h[i].data = s;
		s->open++;
		uv_unref((uv_handle_t *)&s->h[i]);
		if (ret == 0) {
			ret = uv_signal_start(&s->h[i], on_signal, signums[i]);
		}
	}
	if (ret != 0) {
		hs_signals_close(s);
		return ret;   /* a -errno code */
	}
	*out = s;
	return HS_EOK;
}

void hs_signals_close(hs_signals_t *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < NSIG_HANDLED; i++) {
		if (!uv_is_closing((uv_handle_t *)&s->h[i])) {
			uv_close((uv_handle_t *)&s->h[i], on_closed);
		}
	}
}
