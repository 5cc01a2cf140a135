/*
 * hsyncd/notify.c -- NOTIFY to subscribers: one job per (subscriber, type),
 * started a little after a change so that changes close together give one
 * NOTIFY per type, sent once per try by hs_xfr_notify_send(), and retried
 * with a growing interval (hsd_msg_notify_backoff()) until answered.
 */
#include <stdlib.h>

#include <uv.h>

#include "common/log.h"
#include "hsyncd/daemon.h"
#include "libhsync/error.h"

#define NOTIFY_COALESCE_MS 20   /* changes this close together give one NOTIFY per type */
#define MAX_NOTIFY 128          /* NOTIFYs unanswered at once; more wait a little */

/* NOTIFY of one type to one subscriber, until answered. */
struct hsd_job {
	struct hsd_job *next;
	struct hsd_zone *z;
	hsd_cfg_t *cfg;            /* reference: peer.key is borrowed from it */
	hsd_peer_t peer;
	int slot;
	unsigned attempt;
	bool inflight, again, closing;
	uv_timer_t timer;
	hs_xfr_notify_t *h;
};

static void job_fire(uv_timer_t *t);

static void job_closed(uv_handle_t *h)
{
	struct hsd_job *j = h->data;
	hsd_cfg_unref(j->cfg);
	free(j);
}

/* Take j out of its zone's list and free it (after its timer closes). */
void hsd_notify_end(struct hsd_job *j)
{
	struct hsd_zone *z = j->z;
	for (struct hsd_job **p = &z->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	if (j->h != NULL) {
		hs_xfr_notify_cancel(j->h);
		j->h = NULL;
	}
	if (j->inflight) {
		z->d->notifies--;
		j->inflight = false;
	}
	j->closing = true;
	uv_close((uv_handle_t *)&j->timer, job_closed);
}

static void job_answer(int err, uint16_t rcode, unsigned tries, void *arg)
{
	struct hsd_job *j = arg;
	struct hsd_zone *z = j->z;
	const char *type = hs_apex_slot_name(j->slot);
	j->h = NULL;
	j->inflight = false;
	z->d->notifies--;
	if (err == 0 || err == HS_EXFR_RCODE) {
		if (err == 0) {
			hs_log(HS_LOG_INFO, z->name_txt, j->peer.text, "NOTIFY %s answered", type);
		} else {
			hs_log(HS_LOG_WARNING, z->name_txt, j->peer.text, "NOTIFY %s answered with %s",
			       type, hsd_rcode_name(rcode));
		}
		if (j->again) {
			j->again = false;
			j->attempt = 0;
			uv_timer_start(&j->timer, job_fire, NOTIFY_COALESCE_MS, 0);
		} else {
			hsd_notify_end(j);
		}
		return;
	}
	unsigned wait = hsd_msg_notify_backoff(j->attempt);
	hs_log_code(j->attempt == 0 ? HS_LOG_NOTICE : HS_LOG_INFO, err, z->name_txt, j->peer.text,
	            "NOTIFY %s not answered (try %u), again in %us", type, j->attempt + 1, wait);
	j->attempt++;
	j->again = false;   /* the retry carries the news */
	uv_timer_start(&j->timer, job_fire, (uint64_t)wait * 1000, 0);
}

static void job_fire(uv_timer_t *t)
{
	struct hsd_job *j = t->data;
	struct hsd_zone *z = j->z;
	if (z->d->notifies >= MAX_NOTIFY) {
		uv_timer_start(&j->timer, job_fire, 5 + (uint64_t)(rand() % 20), 0);
		return;
	}
	knot_rrset_t soa;
	const knot_rrset_t *hint = NULL;
	if (z->cur != NULL && hs_apex_rrset(z->cur, KNOT_RRTYPE_SOA, &soa) == 0) {
		hint = &soa;
	}
	/* one try per call: the retries and their backoff are ours (job_answer) */
	struct hs_xfr_notify_opts o = {
		.key = j->peer.key, .soa = hint, .qtype = hs_apex_slot_type(j->slot),
		.timeout_ms = 1000, .retries = 0,
	};
	int ret = hs_xfr_notify_send(z->d->loop, (const struct sockaddr *)&j->peer.addr, z->name,
	                             &o, job_answer, j, &j->h);
	if (ret != 0) {
		unsigned wait = hsd_msg_notify_backoff(j->attempt++);
		hs_log_code(HS_LOG_WARNING, ret, z->name_txt, j->peer.text,
		            "NOTIFY %s not sent, again in %us", hs_apex_slot_name(j->slot), wait);
		uv_timer_start(&j->timer, job_fire, (uint64_t)wait * 1000, 0);
		return;
	}
	j->inflight = true;
	z->d->notifies++;
	hs_log(HS_LOG_DEBUG, z->name_txt, j->peer.text, "NOTIFY %s sent",
	       hs_apex_slot_name(j->slot));
}

void hsd_notify_schedule(struct hsd_zone *z, const hsd_peer_t *peer, int slot)
{
	for (struct hsd_job *j = z->jobs; j; j = j->next) {
		if (j->slot == slot && hs_addr_equal((const struct sockaddr *)&j->peer.addr,
		                                     (const struct sockaddr *)&peer->addr)) {
			if (j->inflight) {
				j->again = true;
			} else {
				j->attempt = 0;
				uv_timer_start(&j->timer, job_fire, NOTIFY_COALESCE_MS, 0);
			}
			return;
		}
	}
	struct hsd_job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		hs_log(HS_LOG_ERROR, z->name_txt, peer->text, "NOTIFY %s: out of memory",
		       hs_apex_slot_name(slot));
		return;
	}
	j->z = z;
	j->cfg = hsd_cfg_ref(z->d->cfg);
	j->peer = *peer;
	j->slot = slot;
	uv_timer_init(z->d->loop, &j->timer);
	j->timer.data = j;
	j->next = z->jobs;
	z->jobs = j;
	uv_timer_start(&j->timer, job_fire, NOTIFY_COALESCE_MS, 0);
}

/* After a reload: drop NOTIFYs to subscribers no longer configured for z,
 * take the new key (and configuration reference) for the others. */
void hsd_notify_reconfigure(struct hsd_zone *z)
{
	struct hsd_job *next;
	for (struct hsd_job *j = z->jobs; j; j = next) {
		next = j->next;
		const hsd_peer_t *p = NULL;
		for (size_t i = 0; i < z->zc->nsubs && p == NULL; i++) {
			if (hs_addr_equal((const struct sockaddr *)&z->zc->subs[i].addr,
			                  (const struct sockaddr *)&j->peer.addr)) {
				p = &z->zc->subs[i];
			}
		}
		if (p == NULL) {
			hs_log(HS_LOG_INFO, z->name_txt, j->peer.text, "NOTIFY %s dropped: "
			       "no longer a subscriber", hs_apex_slot_name(j->slot));
			hsd_notify_end(j);
		} else if (!j->inflight) {
			/* an answer in flight is checked with the key it was signed with */
			hsd_cfg_unref(j->cfg);
			j->cfg = hsd_cfg_ref(z->d->cfg);
			j->peer = *p;
		}
	}
}
