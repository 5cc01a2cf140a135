/*
 * hsyncd/events.c -- change events for scripts: each change of a zone's
 * apex as JSON lines (hs_change_json(), change.h), written to stdout or to
 * the stdin of the events command ("events exec", run with /bin/sh -c and
 * started again at the next change if it ends).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "common/log.h"
#include "hsyncd/daemon.h"
#include "libhsync/error.h"

struct hsd_evcmd {
	uv_process_t proc;
	uv_pipe_t in;
	bool running;
	unsigned open;
};

static void ev_closed(uv_handle_t *h)
{
	struct hsd_evcmd *ev = h->data;
	if (--ev->open == 0) {
		free(ev);
	}
}

void hsd_ev_close(struct hsd_evcmd *ev)
{
	if (ev == NULL) {
		return;
	}
	ev->running = false;
	if (!uv_is_closing((uv_handle_t *)&ev->in)) {
		uv_close((uv_handle_t *)&ev->in, ev_closed);
	}
	if (!uv_is_closing((uv_handle_t *)&ev->proc)) {
		uv_close((uv_handle_t *)&ev->proc, ev_closed);
	}
}

static void ev_exited(uv_process_t *p, int64_t status, int signum)
{
	struct hsd_evcmd *ev = p->data;
	hs_log(HS_LOG_WARNING, NULL, NULL, "events command ended (status %lld, signal %d); "
	       "started again at the next change", (long long)status, signum);
	struct hsd_daemon *d = ev->proc.loop->data;
	if (d->ev == ev) {
		d->ev = NULL;
	}
	hsd_ev_close(ev);
}

static struct hsd_evcmd *ev_start(struct hsd_daemon *d)
{
	struct hsd_evcmd *ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		return NULL;
	}
	uv_pipe_init(d->loop, &ev->in, 0);
	ev->in.data = ev;
	ev->proc.data = ev;
	ev->open = 1;
	char *args[] = { "/bin/sh", "-c", (char *)d->cfg->events_cmd, NULL };
	uv_stdio_container_t io[3];
	io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	io[0].data.stream = (uv_stream_t *)&ev->in;
	io[1].flags = UV_INHERIT_FD;
	io[1].data.fd = 1;
	io[2].flags = UV_INHERIT_FD;
	io[2].data.fd = 2;
	uv_process_options_t o;
	memset(&o, 0, sizeof(o));
	o.exit_cb = ev_exited;
	o.file = args[0];
	o.args = args;
	o.stdio = io;
	o.stdio_count = 3;
	int ret = uv_spawn(d->loop, &ev->proc, &o);
	if (ret != 0) {
		hs_log_code(HS_LOG_ERROR, ret, NULL, NULL, "events exec \"%s\": cannot start",
		            d->cfg->events_cmd);
		uv_close((uv_handle_t *)&ev->in, ev_closed);
		return NULL;
	}
	ev->open = 2;
	ev->running = true;
	hs_log_info("events exec \"%s\": started, pid %d", d->cfg->events_cmd, ev->proc.pid);
	return ev;
}

static void ev_written(uv_write_t *w, int status)
{
	if (status < 0) {
		hs_log_code(HS_LOG_WARNING, status, NULL, NULL, "events command: write failed");
	}
	free(w);
}

void hsd_ev_line(const char *line, void *arg)
{
	struct hsd_daemon *d = arg;
	if (d->cfg->events == HSD_EVENTS_STDOUT) {
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (d->cfg->events != HSD_EVENTS_EXEC) {
		return;
	}
	if (d->ev == NULL && (d->ev = ev_start(d)) == NULL) {
		return;
	}
	size_t n = strlen(line);
	uv_write_t *w = malloc(sizeof(*w) + n + 1);
	if (w == NULL) {
		return;
	}
	char *buf = (char *)(w + 1);
	memcpy(buf, line, n);
	buf[n] = '\n';
	uv_buf_t b = uv_buf_init(buf, (unsigned)n + 1);
	int ret = uv_write(w, (uv_stream_t *)&d->ev->in, &b, 1, ev_written);
	if (ret != 0) {
		hs_log_code(HS_LOG_WARNING, ret, NULL, NULL, "events command: write failed");
		free(w);
	}
}
