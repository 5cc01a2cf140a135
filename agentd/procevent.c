/*
 * agentd/procevent.c -- the events of the multi-signer processes: what
 * HSYNC, our signer, the peers, the combiner and the parent report. Each
 * only records (starts or ends jobs, sets gates); hs_proc_tick() in
 * process.c advances the steps. See process.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agentd/procint.h"
#include "agentd/process.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"

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
	bool was_agent = hs_proc_agent_ns(p);
	int ret = hs_sync_set_hsync(p->s, hsync);
	if (ret != HS_EOK) {
		return ret;
	}
	size_t nnew = hs_sync_hsync(p->s, &recs);
	bool first = !p->hsync_seen;
	if (nnew > 0) {
		p->hsync_seen = true;
	}
	hs_proc_changed(p);
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
		job_t *j = hs_proc_job_find(p, HS_JOB_JOIN, old[i].identity, NULL, 0);
		if (j != NULL) {
			hs_proc_job_drop(p, j);
		}
		if (hs_proc_job_find(p, HS_JOB_LEAVE, old[i].identity, NULL, 0) == NULL &&
		    hs_proc_job_add(p, HS_JOB_LEAVE, old[i].identity, HS_STEP_LEAVE_NS,
		                    now) == NULL) {
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
			if (!was_agent && hs_proc_agent_ns(p) &&
			    hs_proc_job_find(p, HS_JOB_JOIN, recs[i].identity, NULL, 0) == NULL) {
				hs_proc_gate(p, recs[i].identity, HS_SYNC_G_NS, true);   /* OWNER -> AGENT */
			}
			continue;
		}
		job_t *j = hs_proc_job_find(p, HS_JOB_LEAVE, recs[i].identity, NULL, 0);
		if (j != NULL) {
			hs_proc_job_drop(p, j);
		}
		if (hs_proc_job_find(p, HS_JOB_JOIN, recs[i].identity, NULL, 0) == NULL &&
		    hs_proc_job_add(p, HS_JOB_JOIN, recs[i].identity, HS_STEP_JOIN_KEYS,
		                    now) == NULL) {
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
			    hs_proc_job_find(p, HS_JOB_KEYADD, NULL, rd->data, rd->len) != NULL) {
				continue;
			}
			job_t *j = hs_proc_job_add(p, HS_JOB_KEYADD, hs_sync_self(p->s),
			                           HS_STEP_KEY_PUBLISH, now);
			if (j == NULL) {
				return HS_ESPACE;
			}
			memcpy(j->key, rd->data, rd->len);
			j->keylen = rd->len;
			(void)hs_dnssec_keytag(rd->data, rd->len, &j->tag);
			hs_proc_enter(p, j, HS_STEP_KEY_PUBLISH, now);
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
					hs_proc_job_drop(p, j);
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
	hs_proc_changed(p);
	p->pending |= HS_PROC_DO_SYNC;
	return HS_EOK;
}

int hs_proc_own_ns(hs_proc_t *p, const knot_rrset_t *ns, time_t now)
{
	int ret = hs_sync_set_own_ns(p->s, ns);
	if (ret == HS_EOK) {
		hs_proc_changed(p);
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
	hs_proc_changed(p);
	const knot_rrset_t *nk = hs_sync_part(p->s, id)->rr[HS_MSG_T_DNSKEY];
	bool keys_on = (hs_sync_gates(p->s, id) & HS_SYNC_G_KEYS) != 0;
	/* keys gone from the part: retired, carried on for DNSKEY-Wait */
	knot_rdata_t *rd = before.rdata;
	for (uint16_t i = 0; keys_on && i < before.count; i++, rd = knot_rdataset_next(rd)) {
		if ((nk != NULL && knot_rdataset_member(&nk->rrs, rd)) || rd->len > KEY_MAX ||
		    hs_proc_job_find(p, HS_JOB_RETIRE, id, rd->data, rd->len) != NULL) {
			continue;
		}
		job_t *j = hs_proc_job_add(p, HS_JOB_RETIRE, id, HS_STEP_RETIRE_WAIT, now);
		if (j == NULL) {
			ret = HS_ESPACE;
			break;
		}
		memcpy(j->key, rd->data, rd->len);
		j->keylen = rd->len;
		(void)hs_dnssec_keytag(rd->data, rd->len, &j->tag);
		(void)hs_sync_hold_key(p->s, rd->data, rd->len);
		hs_proc_enter(p, j, HS_STEP_RETIRE_WAIT, now);
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
				hs_proc_job_drop(p, j);
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
