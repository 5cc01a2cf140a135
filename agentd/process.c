/*
 * agentd/process.c -- the multi-signer processes of one zone as a step
 * machine with waits. See process.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agentd/process.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"

#define KEY_MAX 2048
#define MAX_INTR HS_SYNC_MAX_PROVIDERS
#define MAX_READY 32

typedef struct {
	hs_job_kind_t kind;
	hs_step_t step;
	knot_dname_storage_t id;
	time_t since, until;
	bool held;
	uint8_t key[KEY_MAX];
	uint16_t keylen, tag;
	knot_dname_storage_t confirmed[HS_SYNC_MAX_PROVIDERS];
	size_t nconf;
} job_t;

struct hs_proc {
	hs_sync_t *s;
	hs_proc_timers_t t;
	bool hsync_seen;
	bool own_known;
	knot_rdataset_t known_own;
	bool have_ds_ttl;
	uint32_t ds_ttl;
	knot_rrset_t *parent_ds, *parent_ns;
	job_t *jobs;         /* heap: an idle zone holds none */
	size_t njobs, capjobs;
	unsigned pending;
	bool comb_dirty;     /* a change not yet reported by DO_COMBINER */
	bool comb_ok;        /* the combiner carries the current plan */
	knot_dname_storage_t intr[MAX_INTR];
	size_t nintr;
	uint16_t ready[MAX_READY];
	size_t nready;
	time_t poll_at;      /* next parent/peer look-up while an event is awaited */
};

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

static void changed(hs_proc_t *p)
{
	p->comb_dirty = true;
	p->comb_ok = false;
	p->pending |= HS_PROC_DO_SAVE;
}

static job_t *job_find(hs_proc_t *p, hs_job_kind_t kind, const knot_dname_t *id,
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

static void job_drop(hs_proc_t *p, job_t *j)
{
	size_t i = (size_t)(j - p->jobs);
	memmove(&p->jobs[i], &p->jobs[i + 1], (p->njobs - i - 1) * sizeof(job_t));
	p->njobs--;
	p->pending |= HS_PROC_DO_SAVE;
}

/* Room for one more job (pointers into jobs move). NULL when full. */
static job_t *job_slot(hs_proc_t *p)
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

static job_t *job_add(hs_proc_t *p, hs_job_kind_t kind, const knot_dname_t *id, hs_step_t step,
                      time_t now)
{
	job_t *j = job_slot(p);
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

static bool agent_ns(const hs_proc_t *p)
{
	const hs_hsync_t *recs = NULL;
	return hs_sync_hsync(p->s, &recs) > 0 && recs[0].nsmgmt == HS_HSYNC_NSMGMT_AGENT;
}

static void gate(hs_proc_t *p, const knot_dname_t *id, unsigned bit, bool open)
{
	unsigned g = hs_sync_gates(p->s, id);
	unsigned n = open ? (g | bit) : (g & ~bit);
	if (n != g && hs_sync_set_gates(p->s, id, n) == HS_EOK) {
		changed(p);
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

static void enter(hs_proc_t *p, job_t *j, hs_step_t step, time_t now)
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
			enter(p, j, HS_STEP_JOIN_NS, now);
			return true;
		}
		gate(p, id, HS_SYNC_G_KEYS, true);
		if ((is_self(p, id) || hs_sync_part(p->s, id) != NULL) && p->comb_ok) {
			enter(p, j, HS_STEP_JOIN_CDS, now);
			return true;
		}
		return false;
	case HS_STEP_JOIN_CDS:
		gate(p, id, HS_SYNC_G_CDS, true);
		if (!p->comb_ok) {
			return false;
		}
		if (ds_matches(p)) {
			enter(p, j, HS_STEP_JOIN_WAIT, now);
			return true;
		}
		p->pending |= HS_PROC_DO_PARENT_DS;
		return false;
	case HS_STEP_JOIN_WAIT:
		if (now >= j->until) {
			enter(p, j, HS_STEP_JOIN_NS, now);
			return true;
		}
		return false;
	case HS_STEP_JOIN_NS:
		if (!agent_ns(p)) {
			*done = true;
			return true;
		}
		gate(p, id, HS_SYNC_G_NS, true);
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
		if (!agent_ns(p) || !(hs_sync_gates(p->s, id) & HS_SYNC_G_NS)) {
			if (!agent_ns(p) || p->comb_ok) {
				if (!agent_ns(p)) {
					enter(p, j, HS_STEP_LEAVE_CDS, now);
					return true;
				}
				if (ns_matches(p)) {
					enter(p, j, HS_STEP_LEAVE_NSWAIT, now);
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
		gate(p, id, HS_SYNC_G_NS, false);
		return false;
	case HS_STEP_LEAVE_NSWAIT:
		if (now >= j->until) {
			enter(p, j, HS_STEP_LEAVE_CDS, now);
			return true;
		}
		return false;
	case HS_STEP_LEAVE_CDS:
		if (!(hs_sync_gates(p->s, id) & HS_SYNC_G_CDS)) {
			if (!p->comb_ok) {
				return false;
			}
			if (ds_matches(p)) {
				enter(p, j, HS_STEP_LEAVE_DSWAIT, now);
				return true;
			}
			p->pending |= HS_PROC_DO_PARENT_DS;
			return false;
		}
		if (held_for(p, id)) {
			j->held = true;
			return false;
		}
		gate(p, id, HS_SYNC_G_CDS, false);
		return false;
	case HS_STEP_LEAVE_DSWAIT:
		if (now >= j->until) {
			enter(p, j, HS_STEP_LEAVE_KEYS, now);
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
		gate(p, id, HS_SYNC_G_KEYS, false);
		return false;
	case HS_STEP_KEY_PUBLISH:
		if (published_everywhere(p, j)) {
			enter(p, j, HS_STEP_KEY_WAIT, now);
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
		changed(p);
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
			job_drop(p, j);
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

/* ---- events ------------------------------------------------------------------- */

int hs_proc_hsync(hs_proc_t *p, const knot_rrset_t *hsync, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	hs_hsync_t old[HS_SYNC_MAX_PROVIDERS];
	const hs_hsync_t *recs = NULL;
	size_t nold = hs_sync_hsync(p->s, &recs);
	if (nold > 0) {
		memcpy(old, recs, nold * sizeof(old[0]));
	}
	bool was_agent = agent_ns(p);
	int ret = hs_sync_set_hsync(p->s, hsync);
	if (ret != HS_EOK) {
		return ret;
	}
	size_t nnew = hs_sync_hsync(p->s, &recs);
	bool first = !p->hsync_seen;
	if (nnew > 0) {
		p->hsync_seen = true;
	}
	changed(p);
	p->pending |= HS_PROC_DO_SYNC;
	if (first || nnew == 0) {
		/* first sight: the named providers are members already; no HSYNC
		 * any more: not synchronised, everything is withdrawn at once */
		if (nnew == 0) {
			p->njobs = 0;
		}
		return HS_EOK;
	}
	/* leaves: ON before, not ON now */
	for (size_t i = 0; i < nold; i++) {
		if (old[i].state != HS_HSYNC_STATE_ON) {
			continue;
		}
		const hs_hsync_t *n = hs_sync_hsync_of(p->s, old[i].identity);
		if (n != NULL && n->state == HS_HSYNC_STATE_ON) {
			continue;
		}
		job_t *j = job_find(p, HS_JOB_JOIN, old[i].identity, NULL, 0);
		if (j != NULL) {
			job_drop(p, j);
		}
		if (job_find(p, HS_JOB_LEAVE, old[i].identity, NULL, 0) == NULL &&
		    job_add(p, HS_JOB_LEAVE, old[i].identity, HS_STEP_LEAVE_NS, now) == NULL) {
			return HS_ESPACE;
		}
	}
	/* joins: ON now, not ON before */
	for (size_t i = 0; i < nnew; i++) {
		if (recs[i].state != HS_HSYNC_STATE_ON) {
			continue;
		}
		bool was_on = false;
		for (size_t k = 0; k < nold; k++) {
			if (knot_dname_is_case_equal(old[k].identity, recs[i].identity)) {
				was_on = old[k].state == HS_HSYNC_STATE_ON;
			}
		}
		if (was_on) {
			if (!was_agent && agent_ns(p) && job_find(p, HS_JOB_JOIN, recs[i].identity,
			                                          NULL, 0) == NULL) {
				gate(p, recs[i].identity, HS_SYNC_G_NS, true);   /* OWNER -> AGENT */
			}
			continue;
		}
		job_t *j = job_find(p, HS_JOB_LEAVE, recs[i].identity, NULL, 0);
		if (j != NULL) {
			job_drop(p, j);
		}
		if (job_find(p, HS_JOB_JOIN, recs[i].identity, NULL, 0) == NULL &&
		    job_add(p, HS_JOB_JOIN, recs[i].identity, HS_STEP_JOIN_KEYS, now) == NULL) {
			return HS_ESPACE;
		}
	}
	return HS_EOK;
}

int hs_proc_signed(hs_proc_t *p, const knot_rrset_t *dnskey, bool have_serial,
                   uint32_t serial, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	int ret = hs_sync_set_signed(p->s, dnskey, have_serial, serial);
	if (ret < 0) {
		return ret;
	}
	const knot_rdataset_t *own = hs_sync_own_keys(p->s);
	if (p->own_known && ret == 0) {
		return HS_EOK;
	}
	const hs_hsync_t *me = hs_sync_hsync_of(p->s, hs_sync_self(p->s));
	bool member = me != NULL && me->state == HS_HSYNC_STATE_ON && me->sign == HS_HSYNC_SIGN_SIGN;
	if (p->own_known && member) {
		knot_rdata_t *rd = own->rdata;
		for (uint16_t i = 0; i < own->count; i++, rd = knot_rdataset_next(rd)) {
			if (knot_rdataset_member(&p->known_own, rd) || rd->len > KEY_MAX ||
			    job_find(p, HS_JOB_KEYADD, NULL, rd->data, rd->len) != NULL) {
				continue;
			}
			job_t *j = job_add(p, HS_JOB_KEYADD, hs_sync_self(p->s), HS_STEP_KEY_PUBLISH,
			                   now);
			if (j == NULL) {
				return HS_ESPACE;
			}
			memcpy(j->key, rd->data, rd->len);
			j->keylen = rd->len;
			(void)hs_dnssec_keytag(rd->data, rd->len, &j->tag);
			enter(p, j, HS_STEP_KEY_PUBLISH, now);
		}
	}
	if (p->own_known) {
		/* a key gone before it was usable: its job ends */
		for (size_t i = 0; i < p->njobs;) {
			job_t *j = &p->jobs[i];
			_Alignas(knot_rdata_t) uint8_t buf[KEY_MAX + 2];
			knot_rdata_t *k = (knot_rdata_t *)buf;
			if (j->kind == HS_JOB_KEYADD) {
				knot_rdata_init(k, j->keylen, j->key);
				if (!knot_rdataset_member(own, k)) {
					job_drop(p, j);
					continue;
				}
			}
			i++;
		}
	}
	knot_rdataset_clear(&p->known_own, NULL);
	if (knot_rdataset_copy(&p->known_own, own, NULL) != KNOT_EOK) {
		return HS_ENOMEM;
	}
	p->own_known = true;
	changed(p);
	p->pending |= HS_PROC_DO_SYNC;
	return HS_EOK;
}

int hs_proc_own_ns(hs_proc_t *p, const knot_rrset_t *ns, time_t now)
{
	int ret = hs_sync_set_own_ns(p->s, ns);
	if (ret == HS_EOK) {
		changed(p);
		p->pending |= HS_PROC_DO_SYNC;
	}
	return ret;
}

int hs_proc_part(hs_proc_t *p, const knot_dname_t *id, const hs_msg_content_t *part,
                 time_t now, char *why, size_t whylen)
{
	if (p == NULL || id == NULL || part == NULL) {
		return HS_EINVAL;
	}
	knot_rdataset_t before = { 0 };
	const hs_msg_content_t *old = hs_sync_part(p->s, id);
	if (old != NULL && old->rr[HS_MSG_T_DNSKEY] != NULL &&
	    knot_rdataset_copy(&before, &old->rr[HS_MSG_T_DNSKEY]->rrs, NULL) != KNOT_EOK) {
		return HS_ENOMEM;
	}
	int ret = hs_sync_receive(p->s, id, part, now, why, whylen);
	if (ret <= 0) {
		knot_rdataset_clear(&before, NULL);
		return ret;
	}
	changed(p);
	const knot_rrset_t *nk = hs_sync_part(p->s, id)->rr[HS_MSG_T_DNSKEY];
	bool keys_on = (hs_sync_gates(p->s, id) & HS_SYNC_G_KEYS) != 0;
	/* keys gone from the part: retired, carried on for DNSKEY-Wait */
	knot_rdata_t *rd = before.rdata;
	for (uint16_t i = 0; keys_on && i < before.count; i++, rd = knot_rdataset_next(rd)) {
		if ((nk != NULL && knot_rdataset_member(&nk->rrs, rd)) || rd->len > KEY_MAX ||
		    job_find(p, HS_JOB_RETIRE, id, rd->data, rd->len) != NULL) {
			continue;
		}
		job_t *j = job_add(p, HS_JOB_RETIRE, id, HS_STEP_RETIRE_WAIT, now);
		if (j == NULL) {
			ret = HS_ESPACE;
			break;
		}
		memcpy(j->key, rd->data, rd->len);
		j->keylen = rd->len;
		(void)hs_dnssec_keytag(rd->data, rd->len, &j->tag);
		(void)hs_sync_hold_key(p->s, rd->data, rd->len);
		enter(p, j, HS_STEP_RETIRE_WAIT, now);
	}
	knot_rdataset_clear(&before, NULL);
	/* a retired key back in the part: no longer retired */
	for (size_t i = 0; nk != NULL && i < p->njobs;) {
		job_t *j = &p->jobs[i];
		_Alignas(knot_rdata_t) uint8_t buf[KEY_MAX + 2];
		knot_rdata_t *k = (knot_rdata_t *)buf;
		if (j->kind == HS_JOB_RETIRE && knot_dname_is_case_equal(j->id, id)) {
			knot_rdata_init(k, j->keylen, j->key);
			if (knot_rdataset_member(&nk->rrs, k)) {
				(void)hs_sync_release_key(p->s, j->key, j->keylen);
				job_drop(p, j);
				continue;
			}
		}
		i++;
	}
	return ret;
}

int hs_proc_peer_state(hs_proc_t *p, const knot_dname_t *id, hs_peer_state_t state,
                       time_t now)
{
	if (p == NULL || id == NULL) {
		return HS_EINVAL;
	}
	size_t i;
	for (i = 0; i < p->nintr; i++) {
		if (knot_dname_is_case_equal(p->intr[i], id)) {
			break;
		}
	}
	if (state == HS_PEER_OPERATIONAL && hs_sync_hsync_of(p->s, id) != NULL) {
		p->pending |= HS_PROC_DO_SYNC;   /* (again) reachable: give it our part */
	}
	if (state == HS_PEER_INTERRUPTED && i == p->nintr && p->nintr < MAX_INTR) {
		(void)!knot_dname_store(p->intr[p->nintr++], id);
	} else if (state != HS_PEER_INTERRUPTED && i < p->nintr) {
		memmove(&p->intr[i], &p->intr[i + 1], (p->nintr - i - 1) * sizeof(p->intr[0]));
		p->nintr--;
	}
	return HS_EOK;
}

int hs_proc_combiner_confirmed(hs_proc_t *p, const hs_sync_plan_t *plan, time_t now)
{
	if (p == NULL || plan == NULL) {
		return HS_EINVAL;
	}
	int ret = hs_sync_confirmed(p->s, plan);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_sync_plan_t chk;
	ret = hs_sync_plan(p->s, &chk);
	if (ret != HS_EOK) {
		return ret;
	}
	if (chk.nchanged == 0) {
		p->comb_ok = true;
	} else {
		p->comb_dirty = true;
	}
	hs_sync_plan_clear(&chk);
	p->pending |= HS_PROC_DO_SAVE;
	return HS_EOK;
}

int hs_proc_combiner_failed(hs_proc_t *p, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	p->comb_dirty = true;
	p->comb_ok = false;
	return HS_EOK;
}

static int keep_rrset(knot_rrset_t **dst, const knot_rrset_t *src)
{
	knot_rrset_free(*dst, NULL);
	*dst = NULL;
	if (src != NULL && src->rrs.count > 0) {
		*dst = knot_rrset_copy(src, NULL);
		if (*dst == NULL) {
			return HS_ENOMEM;
		}
	}
	return HS_EOK;
}

int hs_proc_parent_ds(hs_proc_t *p, const knot_rrset_t *ds, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	if (ds != NULL && ds->rrs.count > 0) {
		p->ds_ttl = ds->ttl;
		p->have_ds_ttl = true;
	}
	p->pending |= HS_PROC_DO_SAVE;
	return keep_rrset(&p->parent_ds, ds);
}

int hs_proc_parent_ns(hs_proc_t *p, const knot_rrset_t *ns, time_t now)
{
	if (p == NULL) {
		return HS_EINVAL;
	}
	p->pending |= HS_PROC_DO_SAVE;
	return keep_rrset(&p->parent_ns, ns);
}

int hs_proc_published(hs_proc_t *p, const knot_dname_t *id, const knot_rrset_t *dnskey,
                      time_t now)
{
	if (p == NULL || id == NULL) {
		return HS_EINVAL;
	}
	for (size_t i = 0; dnskey != NULL && i < p->njobs; i++) {
		job_t *j = &p->jobs[i];
		if (j->kind != HS_JOB_KEYADD || j->nconf == HS_SYNC_MAX_PROVIDERS) {
			continue;
		}
		_Alignas(knot_rdata_t) uint8_t buf[KEY_MAX + 2];
		knot_rdata_t *k = (knot_rdata_t *)buf;
		knot_rdata_init(k, j->keylen, j->key);
		bool have = false;
		for (size_t c = 0; c < j->nconf; c++) {
			have = have || knot_dname_is_case_equal(j->confirmed[c], id);
		}
		if (!have && knot_rdataset_member(&dnskey->rrs, k)) {
			(void)!knot_dname_store(j->confirmed[j->nconf], id);
			knot_dname_to_lower(j->confirmed[j->nconf]);
			j->nconf++;
			p->pending |= HS_PROC_DO_SAVE;
		}
	}
	return HS_EOK;
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

/* ---- state ------------------------------------------------------------------------ */

static json_t *rrset_j(const knot_rrset_t *r)
{
	if (r == NULL) {
		return json_null();
	}
	return json_pack("{s:I, s:o}", "ttl", (json_int_t)r->ttl, "rdata",
	                 hs_sync_rdataset_json(&r->rrs));
}

static json_t *name_j(const knot_dname_t *d)
{
	char txt[KNOT_DNAME_TXT_MAXLEN + 1];
	return knot_dname_to_str(txt, d, sizeof(txt)) != NULL ? json_string(txt) : NULL;
}

json_t *hs_proc_to_json(const hs_proc_t *p)
{
	json_t *jobs = json_array();
	for (size_t i = 0; jobs != NULL && i < p->njobs; i++) {
		const job_t *j = &p->jobs[i];
		json_t *conf = json_array();
		for (size_t c = 0; conf != NULL && c < j->nconf; c++) {
			json_array_append_new(conf, name_j(j->confirmed[c]));
		}
		size_t n = sodium_base64_encoded_len(j->keylen, sodium_base64_VARIANT_ORIGINAL);
		char key[KEY_MAX * 2];
		sodium_bin2base64(key, n, j->key, j->keylen, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(jobs, json_pack("{s:s, s:o, s:s, s:I, s:I, s:s, s:o}",
			"kind", hs_job_kind_name(j->kind), "identity", name_j(j->id),
			"step", hs_step_name(j->step), "since", (json_int_t)j->since,
			"until", (json_int_t)j->until, "key", key, "confirmed", conf));
	}
	return json_pack("{s:s, s:o, s:b, s:b, s:o, s:b, s:I, s:o, s:o, s:o}",
		"format", HS_PROC_FORMAT, "sync", hs_sync_to_json(p->s),
		"hsync_seen", p->hsync_seen, "own_known", p->own_known,
		"known_own", hs_sync_rdataset_json(&p->known_own),
		"have_ds_ttl", p->have_ds_ttl, "ds_ttl", (json_int_t)p->ds_ttl,
		"parent_ds", rrset_j(p->parent_ds), "parent_ns", rrset_j(p->parent_ns),
		"jobs", jobs);
}

int hs_proc_save(const hs_proc_t *p, const char *path)
{
	if (p == NULL || path == NULL) {
		return HS_EINVAL;
	}
	json_t *j = hs_proc_to_json(p);
	if (j == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_sync_write_json(j, path);
	json_decref(j);
	return ret;
}

static int pbad(char *why, size_t len, const char *path, const char *field, const char *what)
{
	if (why != NULL && len > 0) {
		snprintf(why, len, "%s: %s: %s", path, field, what);
	}
	return HS_ESYNTAX;
}

static int parent_from(const hs_proc_t *p, const json_t *j, uint16_t type, knot_rrset_t **out,
                       const char *path, const char *field, char *why, size_t whylen)
{
	*out = NULL;
	if (j == NULL || json_is_null(j)) {
		return HS_EOK;
	}
	json_t *ttl = json_object_get(j, "ttl");
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > INT32_MAX) {
		return pbad(why, whylen, path, field, "ttl missing or out of range");
	}
	knot_rrset_t *r = knot_rrset_new(hs_sync_zone(p->s), type, KNOT_CLASS_IN,
	                                 (uint32_t)json_integer_value(ttl), NULL);
	if (r == NULL) {
		return HS_ENOMEM;
	}
	char w[256];
	int ret = hs_sync_rdataset_from_json(json_object_get(j, "rdata"), &r->rrs, field, w,
	                                     sizeof(w));
	if (ret != HS_EOK) {
		knot_rrset_free(r, NULL);
		return ret == HS_ESYNTAX ? pbad(why, whylen, path, field, "bad rdata") : ret;
	}
	*out = r;
	return HS_EOK;
}

static int kind_parse(const char *s, hs_job_kind_t *k)
{
	for (int i = HS_JOB_JOIN; s != NULL && i <= HS_JOB_RETIRE; i++) {
		if (strcmp(kind_names[i], s) == 0) {
			*k = (hs_job_kind_t)i;
			return HS_EOK;
		}
	}
	return HS_EINVAL;
}

static int step_parse(const char *s, hs_step_t *st)
{
	for (int i = HS_STEP_JOIN_KEYS; s != NULL && i < HS_STEP_DONE; i++) {
		if (strcmp(step_names[i], s) == 0) {
			*st = (hs_step_t)i;
			return HS_EOK;
		}
	}
	return HS_EINVAL;
}

static int load_jobs(hs_proc_t *p, const json_t *a, const char *path, char *why, size_t whylen)
{
	if (!json_is_array(a) || json_array_size(a) > HS_PROC_MAX_JOBS) {
		return pbad(why, whylen, path, "jobs", "not an array");
	}
	size_t i;
	const json_t *o;
	json_array_foreach(a, i, o) {
		job_t *j = job_slot(p);
		if (j == NULL) {
			return HS_ENOMEM;
		}
		memset(j, 0, sizeof(*j));
		const char *id = json_string_value(json_object_get(o, "identity"));
		json_t *since = json_object_get(o, "since"), *until = json_object_get(o, "until");
		const char *key = json_string_value(json_object_get(o, "key"));
		json_t *conf = json_object_get(o, "confirmed");
		if (kind_parse(json_string_value(json_object_get(o, "kind")), &j->kind) != HS_EOK) {
			return pbad(why, whylen, path, "jobs.kind", "unknown");
		}
		if (step_parse(json_string_value(json_object_get(o, "step")), &j->step) != HS_EOK) {
			return pbad(why, whylen, path, "jobs.step", "unknown");
		}
		if (id == NULL || knot_dname_from_str(j->id, id, sizeof(j->id)) == NULL) {
			return pbad(why, whylen, path, "jobs.identity", "not a domain name");
		}
		knot_dname_to_lower(j->id);
		if (!json_is_integer(since) || !json_is_integer(until) ||
		    json_integer_value(until) < 0) {
			return pbad(why, whylen, path, "jobs.since/until", "not a time");
		}
		j->since = (time_t)json_integer_value(since);
		j->until = (time_t)json_integer_value(until);
		size_t blen = 0;
		if (key == NULL || sodium_base642bin(j->key, sizeof(j->key), key, strlen(key), NULL,
		                                     &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
			return pbad(why, whylen, path, "jobs.key", "not base64");
		}
		j->keylen = (uint16_t)blen;
		bool keyed = j->kind == HS_JOB_KEYADD || j->kind == HS_JOB_RETIRE;
		if (keyed && hs_dnssec_keytag(j->key, j->keylen, &j->tag) != HS_EOK) {
			return pbad(why, whylen, path, "jobs.key", "not a DNSKEY");
		}
		if (!json_is_array(conf) || json_array_size(conf) > HS_SYNC_MAX_PROVIDERS) {
			return pbad(why, whylen, path, "jobs.confirmed", "not an array");
		}
		for (size_t c = 0; c < json_array_size(conf); c++) {
			const char *n = json_string_value(json_array_get(conf, c));
			if (n == NULL || knot_dname_from_str(j->confirmed[c], n,
			                                     sizeof(j->confirmed[c])) == NULL) {
				return pbad(why, whylen, path, "jobs.confirmed", "not a domain name");
			}
			j->nconf++;
		}
		p->njobs++;
	}
	return HS_EOK;
}

int hs_proc_load(const char *path, const hs_sync_limits_t *lim, const hs_proc_timers_t *t,
                 time_t now, hs_proc_t **out, char *why, size_t whylen)
{
	if (path == NULL || out == NULL) {
		return HS_EINVAL;
	}
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT) {
			return HS_ENOTFOUND;
		}
		pbad(why, whylen, path, "file", strerror(errno));
		return HS_EIO;
	}
	json_error_t jerr;
	json_t *j = json_loadf(f, 0, &jerr);
	fclose(f);
	if (j == NULL) {
		return pbad(why, whylen, path, "JSON", jerr.text);
	}
	int ret = HS_EOK;
	hs_proc_t *p = NULL;
	hs_sync_t *s = NULL;
	const char *fmt = json_string_value(json_object_get(j, "format"));
	if (fmt == NULL || strcmp(fmt, HS_PROC_FORMAT) != 0) {
		ret = pbad(why, whylen, path, "format", "missing or not " HS_PROC_FORMAT);
		goto out;
	}
	char w[256] = "";
	ret = hs_sync_from_json(json_object_get(j, "sync"), lim, &s, w, sizeof(w));
	if (ret != HS_EOK) {
		if (ret == HS_ESYNTAX || ret == HS_EINVAL) {
			ret = pbad(why, whylen, path, "sync", w[0] != '\0' ? w : "missing");
		}
		goto out;
	}
	ret = hs_proc_new(s, t, &p);
	if (ret != HS_EOK) {
		goto out;
	}
	p->hsync_seen = json_is_true(json_object_get(j, "hsync_seen"));
	p->own_known = json_is_true(json_object_get(j, "own_known"));
	p->have_ds_ttl = json_is_true(json_object_get(j, "have_ds_ttl"));
	json_t *dt = json_object_get(j, "ds_ttl");
	if (!json_is_integer(dt) || json_integer_value(dt) < 0 ||
	    json_integer_value(dt) > INT32_MAX) {
		ret = pbad(why, whylen, path, "ds_ttl", "missing or out of range");
		goto out;
	}
	p->ds_ttl = (uint32_t)json_integer_value(dt);
	ret = hs_sync_rdataset_from_json(json_object_get(j, "known_own"), &p->known_own,
	                                 "known_own", w, sizeof(w));
	if (ret == HS_ESYNTAX) {
		ret = pbad(why, whylen, path, "known_own", "bad rdata");
	}
	if (ret == HS_EOK) {
		ret = parent_from(p, json_object_get(j, "parent_ds"), KNOT_RRTYPE_DS, &p->parent_ds,
		                  path, "parent_ds", why, whylen);
	}
	if (ret == HS_EOK) {
		ret = parent_from(p, json_object_get(j, "parent_ns"), KNOT_RRTYPE_NS, &p->parent_ns,
		                  path, "parent_ns", why, whylen);
	}
	if (ret == HS_EOK) {
		ret = load_jobs(p, json_object_get(j, "jobs"), path, why, whylen);
	}
	if (ret == HS_EOK) {
		/* the combiner may not have the last plan; peers may lack our part */
		p->comb_dirty = true;
		p->comb_ok = false;
		p->pending |= HS_PROC_DO_SYNC;
		*out = p;
		p = NULL;
	}
out:
	hs_proc_free(p);
	json_decref(j);
	return ret;
}
