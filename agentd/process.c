/*
 * agentd/process.c -- the multi-signer processes of one zone as a step
 * machine with waits: the jobs, their steps, hs_proc_tick() and the
 * status for people. The events are in procevent.c, the state file in
 * procstate.c. See process.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentd/procint.h"
#include "agentd/process.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

static const char *const kind_names[] = { "?", "join", "leave", "key-added", "key-retired" };
static const char *const step_names[] = {
	"?", "JOIN_KEYS", "JOIN_CDS", "JOIN_WAIT", "JOIN_NS", "LEAVE_NS", "LEAVE_NSWAIT",
	"LEAVE_CDS", "LEAVE_DSWAIT", "LEAVE_KEYS", "KEY_PUBLISH", "KEY_WAIT", "RETIRE_WAIT", "DONE" };

const char *hs_job_kind_name(hs_job_kind_t k)
{
	return (k >= HS_JOB_JOIN && k <= HS_JOB_RETIRE) ? kind_names[k] : "?";
}

const char *hs_step_name(hs_step_t s)
{
	return (s >= HS_STEP_JOIN_KEYS && s <= HS_STEP_DONE) ? step_names[s] : "?";
}

void hs_proc_timers_default(hs_proc_timers_t *t)
{
	memset(t, 0, sizeof(*t));
	t->propagation = 300;
	t->dnskey_wait = -1;
	t->ds_wait = -1;
	t->ns_wait = -1;
	t->parent_poll = 60;
}

int hs_proc_new(hs_sync_t *sync, const hs_proc_timers_t *t, hs_proc_t **out)
{
	if (sync == NULL || out == NULL) {
		hs_sync_free(sync);
		return HS_EINVAL;
	}
	hs_proc_t *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		hs_sync_free(sync);
		return HS_ENOMEM;
	}
	p->s = sync;
	if (t != NULL) {
		p->t = *t;
		if (p->t.parent_poll == 0) {
			p->t.parent_poll = 60;
		}
	} else {
		hs_proc_timers_default(&p->t);
	}
	p->ds_ttl = 86400;
	*out = p;
	return HS_EOK;
}

void hs_proc_free(hs_proc_t *p)
{
	if (p == NULL) {
		return;
	}
	hs_sync_free(p->s);
	free(p->jobs);
	knot_rdataset_clear(&p->known_own, NULL);
	knot_rrset_free(p->parent_ds, NULL);
	knot_rrset_free(p->parent_ns, NULL);
	free(p);
}

hs_sync_t *hs_proc_sync(hs_proc_t *p)
{
	return p->s;
}

/* ---- waits ------------------------------------------------------------------ */

static uint32_t wait_of(int64_t override, uint32_t min, uint64_t computed)
{
	if (override >= 0) {
		return override > UINT32_MAX ? UINT32_MAX : (uint32_t)override;
	}
	if (computed < min) {
		computed = min;
	}
	return computed > UINT32_MAX ? UINT32_MAX : (uint32_t)computed;
}

uint32_t hs_proc_dnskey_wait(const hs_proc_t *p)
{
	return wait_of(p->t.dnskey_wait, p->t.dnskey_wait_min,
	               (uint64_t)hs_sync_dnskey_ttl_max(p->s) + p->t.propagation);
}

uint32_t hs_proc_ds_wait(const hs_proc_t *p)
{
	return wait_of(p->t.ds_wait, p->t.ds_wait_min, p->ds_ttl);
}

uint32_t hs_proc_ns_wait(const hs_proc_t *p)
{
	uint64_t m = hs_sync_ns_ttl_max(p->s);
	if (p->parent_ns != NULL && p->parent_ns->ttl > m) {
		m = p->parent_ns->ttl;
	}
	return wait_of(p->t.ns_wait, p->t.ns_wait_min, m);
}

/* ---- helpers ------------------------------------------------------------------ */

void hs_proc_changed(hs_proc_t *p)
{
	p->comb_dirty = true;
	p->comb_ok = false;
	p->pending |= HS_PROC_DO_SAVE;
}

job_t *hs_proc_job_find(hs_proc_t *p, hs_job_kind_t kind, const knot_dname_t *id,
                        const uint8_t *key, uint16_t keylen)
{
	for (size_t i = 0; i < p->njobs; i++) {
		job_t *j = &p->jobs[i];
		if (j->kind == kind && (id == NULL || knot_dname_is_case_equal(j->id, id)) &&
		    (key == NULL || (j->keylen == keylen && memcmp(j->key, key, keylen) == 0))) {
			return j;
		}
	}
	return NULL;
}

void hs_proc_job_drop(hs_proc_t *p, job_t *j)
{
	size_t i = (size_t)(j - p->jobs);
	memmove(&p->jobs[i], &p->jobs[i + 1], (p->njobs - i - 1) * sizeof(job_t));
	p->njobs--;
	p->pending |= HS_PROC_DO_SAVE;
}

/* Room for one more job (pointers into jobs move). NULL when full. */
job_t *hs_proc_job_slot(hs_proc_t *p)
{
	if (p->njobs == HS_PROC_MAX_JOBS) {
		return NULL;
	}
	if (p->njobs == p->capjobs) {
		size_t cap = p->capjobs == 0 ? 2 : p->capjobs * 2;
		job_t *n = realloc(p->jobs, cap * sizeof(job_t));
		if (n == NULL) {
			return NULL;
		}
		p->jobs = n;
		p->capjobs = cap;
	}
	return &p->jobs[p->njobs];
}

job_t *hs_proc_job_add(hs_proc_t *p, hs_job_kind_t kind, const knot_dname_t *id, hs_step_t step,
                       time_t now)
{
	job_t *j = hs_proc_job_slot(p);
	if (j == NULL) {
		return NULL;
	}
	p->njobs++;
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	(void)!knot_dname_store(j->id, id);
	knot_dname_to_lower(j->id);
	j->step = step;
	j->since = now;
	p->pending |= HS_PROC_DO_SAVE;
	return j;
}

static bool is_self(const hs_proc_t *p, const knot_dname_t *id)
{
	return knot_dname_is_case_equal(hs_sync_self(p->s), id);
}

static bool held_for(const hs_proc_t *p, const knot_dname_t *id)
{
	for (size_t i = 0; i < p->nintr; i++) {
		if (!knot_dname_is_case_equal(p->intr[i], id)) {
			return true;
		}
	}
	return false;
}

static bool signs(const hs_proc_t *p, const knot_dname_t *id)
{
	const hs_hsync_t *h = hs_sync_hsync_of(p->s, id);
	return h != NULL && h->sign == HS_HSYNC_SIGN_SIGN;
}

bool hs_proc_agent_ns(const hs_proc_t *p)
{
	const hs_hsync_t *recs = NULL;
	return hs_sync_hsync(p->s, &recs) > 0 && recs[0].nsmgmt == HS_HSYNC_NSMGMT_AGENT;
}

void hs_proc_gate(hs_proc_t *p, const knot_dname_t *id, unsigned bit, bool open)
{
	unsigned g = hs_sync_gates(p->s, id);
	unsigned n = open ? (g | bit) : (g & ~bit);
	if (n != g && hs_sync_set_gates(p->s, id, n) == HS_EOK) {
		hs_proc_changed(p);
		if (is_self(p, id)) {
			p->pending |= HS_PROC_DO_SYNC;
		}
	}
}

/* Set equality of two RDATA sets, names compared case-insensitively for NS. */
static bool ns_equal(const knot_rrset_t *a, const knot_rrset_t *b)
{
	size_t na = a != NULL ? a->rrs.count : 0, nb = b != NULL ? b->rrs.count : 0;
	if (na != nb) {
		return false;
	}
	knot_rdata_t *x = na > 0 ? a->rrs.rdata : NULL;
	for (size_t i = 0; i < na; i++, x = knot_rdataset_next(x)) {
		bool found = false;
		knot_rdata_t *y = b->rrs.rdata;
		for (size_t k = 0; k < nb && !found; k++, y = knot_rdataset_next(y)) {
			found = knot_dname_is_case_equal(x->data, y->data);
		}
		if (!found) {
			return false;
		}
	}
	return true;
}

static bool ds_matches(const hs_proc_t *p)
{
	const knot_rrset_t *cds = hs_sync_carried(p->s, HS_MSG_T_CDS);
	if (cds == NULL || cds->rrs.count == 0) {
		return true;   /* nothing to wait for */
	}
	return p->parent_ds != NULL && knot_rdataset_eq(&cds->rrs, &p->parent_ds->rrs);
}

static bool ns_matches(const hs_proc_t *p)
{
	const knot_rrset_t *ns = hs_sync_carried(p->s, HS_MSG_T_NS);
	if (ns == NULL || ns->rrs.count == 0) {
		return true;
	}
	return ns_equal(ns, p->parent_ns);
}

void hs_proc_enter(hs_proc_t *p, job_t *j, hs_step_t step, time_t now)
{
	j->step = step;
	j->since = now;
	j->until = 0;
	switch (step) {
	case HS_STEP_JOIN_WAIT: {
		uint32_t a = hs_proc_ds_wait(p), b = hs_proc_dnskey_wait(p);
		j->until = now + (a > b ? a : b);
		break;
	}
	case HS_STEP_LEAVE_NSWAIT:
		j->until = now + hs_proc_ns_wait(p);
		break;
	case HS_STEP_LEAVE_DSWAIT:
		j->until = now + hs_proc_ds_wait(p);
		break;
	case HS_STEP_KEY_WAIT:
	case HS_STEP_RETIRE_WAIT:
		j->until = now + hs_proc_dnskey_wait(p);
		break;
	case HS_STEP_KEY_PUBLISH:
		p->pending |= HS_PROC_DO_SYNC | HS_PROC_DO_PUBLISHED;
		break;
	default:
		break;
	}
	p->pending |= HS_PROC_DO_SAVE;
}

/* Every other ON+SIGN provider has been seen publishing J's key. */
static bool published_everywhere(const hs_proc_t *p, const job_t *j)
{
	const hs_hsync_t *recs = NULL;
	size_t n = hs_sync_hsync(p->s, &recs);
	for (size_t i = 0; i < n; i++) {
		if (recs[i].state != HS_HSYNC_STATE_ON || recs[i].sign != HS_HSYNC_SIGN_SIGN ||
		    is_self(p, recs[i].identity)) {
			continue;
		}
		bool ok = false;
		for (size_t k = 0; k < j->nconf && !ok; k++) {
			ok = knot_dname_is_case_equal(j->confirmed[k], recs[i].identity);
		}
		if (!ok) {
			return false;
		}
	}
	return true;
}

/* Advance J one step if it can; true if it moved (or finished). */
static bool step(hs_proc_t *p, job_t *j, time_t now, bool *done)
{
	const knot_dname_t *id = j->id;
	bool sign = signs(p, id);
	j->held = false;
	switch (j->step) {
	case HS_STEP_JOIN_KEYS:
		if (!sign) {
			hs_proc_enter(p, j, HS_STEP_JOIN_NS, now);
			return true;
		}
		hs_proc_gate(p, id, HS_SYNC_G_KEYS, true);
		if ((is_self(p, id) || hs_sync_part(p->s, id) != NULL) && p->comb_ok) {
			hs_proc_enter(p, j, HS_STEP_JOIN_CDS, now);
			return true;
		}
		return false;
	case HS_STEP_JOIN_CDS:
		hs_proc_gate(p, id, HS_SYNC_G_CDS, true);
		if (!p->comb_ok) {
			return false;
		}
		if (ds_matches(p)) {
			hs_proc_enter(p, j, HS_STEP_JOIN_WAIT, now);
			return true;
		}
		p->pending |= HS_PROC_DO_PARENT_DS;
		return false;
	case HS_STEP_JOIN_WAIT:
		if (now >= j->until) {
			hs_proc_enter(p, j, HS_STEP_JOIN_NS, now);
			return true;
		}
		return false;
	case HS_STEP_JOIN_NS:
		if (!hs_proc_agent_ns(p)) {
			*done = true;
			return true;
		}
		hs_proc_gate(p, id, HS_SYNC_G_NS, true);
		if (!p->comb_ok) {
			return false;
		}
		if (ns_matches(p)) {
			*done = true;
			return true;
		}
		p->pending |= HS_PROC_DO_PARENT_NS;
		return false;
	case HS_STEP_LEAVE_NS:
		if (!hs_proc_agent_ns(p) || !(hs_sync_gates(p->s, id) & HS_SYNC_G_NS)) {
			if (!hs_proc_agent_ns(p) || p->comb_ok) {
				if (!hs_proc_agent_ns(p)) {
					hs_proc_enter(p, j, HS_STEP_LEAVE_CDS, now);
					return true;
				}
				if (ns_matches(p)) {
					hs_proc_enter(p, j, HS_STEP_LEAVE_NSWAIT, now);
					return true;
				}
				p->pending |= HS_PROC_DO_PARENT_NS;
			}
			return false;
		}
		if (held_for(p, id)) {
			j->held = true;
			return false;
		}
		hs_proc_gate(p, id, HS_SYNC_G_NS, false);
		return false;
	case HS_STEP_LEAVE_NSWAIT:
		if (now >= j->until) {
			hs_proc_enter(p, j, HS_STEP_LEAVE_CDS, now);
			return true;
		}
		return false;
	case HS_STEP_LEAVE_CDS:
		if (!(hs_sync_gates(p->s, id) & HS_SYNC_G_CDS)) {
			if (!p->comb_ok) {
				return false;
			}
			if (ds_matches(p)) {
				hs_proc_enter(p, j, HS_STEP_LEAVE_DSWAIT, now);
				return true;
			}
			p->pending |= HS_PROC_DO_PARENT_DS;
			return false;
		}
		if (held_for(p, id)) {
			j->held = true;
			return false;
		}
		hs_proc_gate(p, id, HS_SYNC_G_CDS, false);
		return false;
	case HS_STEP_LEAVE_DSWAIT:
		if (now >= j->until) {
			hs_proc_enter(p, j, HS_STEP_LEAVE_KEYS, now);
			return true;
		}
		return false;
	case HS_STEP_LEAVE_KEYS:
		if (!(hs_sync_gates(p->s, id) & HS_SYNC_G_KEYS)) {
			if (!p->comb_ok) {
				return false;
			}
			if (hs_sync_hsync_of(p->s, id) == NULL && !is_self(p, id)) {
				(void)hs_sync_forget(p->s, id);
			}
			*done = true;
			return true;
		}
		if (held_for(p, id)) {
			j->held = true;
			return false;
		}
		hs_proc_gate(p, id, HS_SYNC_G_KEYS, false);
		return false;
	case HS_STEP_KEY_PUBLISH:
		if (published_everywhere(p, j)) {
			hs_proc_enter(p, j, HS_STEP_KEY_WAIT, now);
			return true;
		}
		p->pending |= HS_PROC_DO_PUBLISHED;
		return false;
	case HS_STEP_KEY_WAIT:
		if (now >= j->until) {
			if (p->nready < MAX_READY) {
				p->ready[p->nready++] = j->tag;
			}
			p->pending |= HS_PROC_DO_KEY_READY;
			*done = true;
			return true;
		}
		return false;
	case HS_STEP_RETIRE_WAIT:
		if (now < j->until) {
			return false;
		}
		if (held_for(p, id)) {
			j->held = true;
			return false;
		}
		(void)hs_sync_release_key(p->s, j->key, j->keylen);
		hs_proc_changed(p);
		*done = true;
		return true;
	default:
		*done = true;
		return true;
	}
}

int hs_proc_tick(hs_proc_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	bool waiting_event = false;
	for (size_t i = 0; i < p->njobs;) {
		job_t *j = &p->jobs[i];
		bool done = false;
		unsigned guard = 0;
		while (!done && guard++ < 16 && step(p, j, now, &done)) {
		}
		if (done) {
			hs_proc_job_drop(p, j);
			continue;
		}
		if (j->until == 0) {
			waiting_event = true;
		}
		i++;
	}
	if (p->comb_dirty) {
		p->pending |= HS_PROC_DO_COMBINER;
		p->comb_dirty = false;
	}
	unsigned ask = HS_PROC_DO_PARENT_DS | HS_PROC_DO_PARENT_NS | HS_PROC_DO_PUBLISHED;
	if (p->pending & ask) {
		if (now < p->poll_at) {
			p->pending &= ~ask;   /* asked recently; again at poll_at */
		} else {
			p->poll_at = now + p->t.parent_poll;
		}
	}
	if (!waiting_event) {
		p->poll_at = 0;
	}
	int r = (int)p->pending;
	p->pending = 0;
	return r;
}

time_t hs_proc_next_time(const hs_proc_t *p)
{
	time_t t = 0;
	for (size_t i = 0; i < p->njobs; i++) {
		time_t u = p->jobs[i].until != 0 ? p->jobs[i].until : p->poll_at;
		if (u != 0 && (t == 0 || u < t)) {
			t = u;
		}
	}
	return t;
}

/* ---- inspection ------------------------------------------------------------------ */

size_t hs_proc_jobs(const hs_proc_t *p)
{
	return p->njobs;
}

int hs_proc_job(const hs_proc_t *p, size_t i, hs_job_info_t *out)
{
	if (p == NULL || out == NULL || i >= p->njobs) {
		return HS_ENOTFOUND;
	}
	const job_t *j = &p->jobs[i];
	memset(out, 0, sizeof(*out));
	out->kind = j->kind;
	out->step = j->step;
	(void)!knot_dname_store(out->identity, j->id);
	out->keytag = j->tag;
	out->since = j->since;
	out->until = j->until;
	out->held = j->held;
	return HS_EOK;
}

int hs_proc_key_ready(hs_proc_t *p, uint16_t *tags, size_t max)
{
	size_t n = p->nready < max ? p->nready : max;
	memcpy(tags, p->ready, n * sizeof(tags[0]));
	memmove(p->ready, p->ready + n, (p->nready - n) * sizeof(p->ready[0]));
	p->nready -= n;
	return (int)n;
}

static const char *step_text(hs_step_t s)
{
	switch (s) {
	case HS_STEP_JOIN_KEYS:    return "adding its keys: waiting for its SYNC and our combiner";
	case HS_STEP_JOIN_CDS:     return "CDS/CDNSKEY union published: waiting for DS at the parent";
	case HS_STEP_JOIN_WAIT:    return "waiting max(DS-Wait, DNSKEY-Wait)";
	case HS_STEP_JOIN_NS:      return "NS added, CSYNC published: waiting for NS at the parent";
	case HS_STEP_LEAVE_NS:     return "NS removed, CSYNC published: waiting for NS at the parent";
	case HS_STEP_LEAVE_NSWAIT: return "waiting NS-Wait";
	case HS_STEP_LEAVE_CDS:    return "CDS/CDNSKEY without its KSK: waiting for DS at the parent";
	case HS_STEP_LEAVE_DSWAIT: return "waiting DS-Wait";
	case HS_STEP_LEAVE_KEYS:   return "removing its keys: waiting for our combiner";
	case HS_STEP_KEY_PUBLISH:  return "waiting until every signer publishes it";
	case HS_STEP_KEY_WAIT:     return "published everywhere: waiting DNSKEY-Wait before use";
	case HS_STEP_RETIRE_WAIT:  return "still published: waiting DNSKEY-Wait before removal";
	default:                   return "done";
	}
}

int hs_proc_status(const hs_proc_t *p, time_t now, char **out)
{
	size_t cap = 256 + p->njobs * 512;
	char *b = malloc(cap);
	if (b == NULL) {
		return HS_ENOMEM;
	}
	size_t len = 0;
	b[0] = '\0';
	if (p->njobs == 0) {
		snprintf(b, cap, "idle");
	}
	for (size_t i = 0; i < p->njobs; i++) {
		const job_t *j = &p->jobs[i];
		char id[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
		(void)knot_dname_to_str(id, j->id, sizeof(id));
		char key[32] = "";
		if (j->kind == HS_JOB_KEYADD || j->kind == HS_JOB_RETIRE) {
			snprintf(key, sizeof(key), " key %u", j->tag);
		}
		char wait[128] = "";
		if (j->until != 0) {
			struct tm tm;
			char ts[32];
			time_t u = j->until;
			gmtime_r(&u, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			snprintf(wait, sizeof(wait), " (%lld s, until %s)",
			         (long long)(j->until - j->since), ts);
		}
		len += (size_t)snprintf(b + len, cap - len, "%s%s %s%s: %s%s%s",
		                        i > 0 ? "\n" : "", hs_job_kind_name(j->kind), id, key,
		                        step_text(j->step), wait,
		                        j->held ? " [held: a peer is INTERRUPTED]" : "");
		if (len >= cap) {
			len = cap - 1;
		}
	}
	*out = b;
	return HS_EOK;
}
