/* Unit tests for agentd/process.c: join, leave, key roll, retire, INTERRUPTED, restart. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "agentd/process.h"
#include "libhsync/error.h"
#include "test/unit/sync_test.h"

#define Z "example."
#define A_ID "agent.a.example."
#define B_ID "agent.b.example."
#define C_ID "agent.c.example."
#define T0 1800000000

#define DKW (3600 + 60)   /* DNSKEY TTL 3600 + propagation 60 */
#define DSW 7200          /* the parent's DS TTL */
#define NSW 3600          /* NS TTL */

/* The simulated daemon around the machine. */
typedef struct {
	hs_proc_t *p;
	bool parent_follows;    /* answer DO_PARENT_* with what the combiner carries */
	unsigned updates;       /* UPDATEs the combiner took */
	int last;               /* actions of the last run */
} env_t;

static knot_rrset_t *as_type(const knot_rrset_t *r, uint16_t type, uint32_t ttl)
{
	knot_rrset_t *o = knot_rrset_new(tdname(Z), type, KNOT_CLASS_IN, ttl, NULL);
	if (r != NULL) {
		ck_assert_int_eq(knot_rdataset_copy(&o->rrs, &r->rrs, NULL), 0);
	}
	return o;
}

static void parent_ds_now(env_t *e, time_t now)
{
	knot_rrset_t *ds = as_type(hs_sync_carried(hs_proc_sync(e->p), HS_MSG_T_CDS),
	                           KNOT_RRTYPE_DS, DSW);
	ck_assert_int_eq(hs_proc_parent_ds(e->p, ds, now), 0);
	knot_rrset_free(ds, NULL);
}

static void parent_ns_now(env_t *e, time_t now)
{
	knot_rrset_t *ns = as_type(hs_sync_carried(hs_proc_sync(e->p), HS_MSG_T_NS),
	                           KNOT_RRTYPE_NS, NSW);
	ck_assert_int_eq(hs_proc_parent_ns(e->p, ns, now), 0);
	knot_rrset_free(ns, NULL);
}

/* Tick and do what is asked until nothing is left to do at NOW. */
static void run(env_t *e, time_t now)
{
	e->last = 0;
	for (int i = 0; i < 20; i++) {
		int a = hs_proc_tick(e->p, now);
		ck_assert_int_ge(a, 0);
		e->last |= a;
		bool again = false;
		if (a & HS_PROC_DO_COMBINER) {
			hs_sync_plan_t plan;
			ck_assert_int_eq(hs_sync_plan(hs_proc_sync(e->p), &plan), 0);
			e->updates += plan.nchanged > 0 ? 1 : 0;
			ck_assert_int_eq(hs_proc_combiner_confirmed(e->p, &plan, now), 0);
			hs_sync_plan_clear(&plan);
			again = true;
		}
		if ((a & HS_PROC_DO_PARENT_DS) && e->parent_follows) {
			parent_ds_now(e, now);
			again = true;
		}
		if ((a & HS_PROC_DO_PARENT_NS) && e->parent_follows) {
			parent_ns_now(e, now);
			again = true;
		}
		if (!again) {
			return;
		}
	}
	ck_abort_msg("the machine does not settle");
}

static void set_hsync(env_t *e, const char *recs, time_t now)
{
	knot_rrset_t *h = thsync(Z, recs);
	ck_assert_int_eq(hs_proc_hsync(e->p, h, now), 0);
	knot_rrset_free(h, NULL);
}

static void set_signed(env_t *e, const char *keys, uint32_t serial, time_t now)
{
	knot_rrset_t *k = tdnskey(Z, 3600, keys);
	ck_assert_int_eq(hs_proc_signed(e->p, k, true, serial, now), 0);
	knot_rrset_free(k, NULL);
}

static int part(env_t *e, const char *id, const char *keys, const char *ns, time_t now)
{
	hs_msg_content_t c;
	memset(&c, 0, sizeof(c));
	if (keys != NULL) {
		c.rr[HS_MSG_T_DNSKEY] = tdnskey(Z, 3600, keys);
		uint8_t dig = HS_DS_SHA256;
		int r = hs_dnssec_cds_rrset(c.rr[HS_MSG_T_DNSKEY], &dig, 1, &c.rr[HS_MSG_T_CDS], NULL);
		ck_assert(r == 0 || r == HS_ENOTFOUND);
		r = hs_dnssec_cdnskey_rrset(c.rr[HS_MSG_T_DNSKEY], &c.rr[HS_MSG_T_CDNSKEY], NULL);
		ck_assert(r == 0 || r == HS_ENOTFOUND);
	}
	if (ns != NULL) {
		c.rr[HS_MSG_T_NS] = tns(Z, NSW, ns);
	}
	char why[HS_SYNC_WHY_SIZE];
	int ret = hs_proc_part(e->p, tdname(id), &c, now, why, sizeof(why));
	hs_sync_content_clear(&c);
	return ret;
}

static hs_job_info_t job(env_t *e, size_t i)
{
	hs_job_info_t ji;
	ck_assert_int_eq(hs_proc_job(e->p, i, &ji), 0);
	return ji;
}

static size_t carried_count(env_t *e, unsigned t)
{
	const knot_rrset_t *r = hs_sync_carried(hs_proc_sync(e->p), t);
	return r != NULL ? r->rrs.count : 0;
}

static bool carries_key(env_t *e, const char *name)
{
	const knot_rrset_t *r = hs_sync_carried(hs_proc_sync(e->p), HS_MSG_T_DNSKEY);
	return r != NULL && has_key(&r->rrs, name);
}

static void env_new(env_t *e, const char *hsync)
{
	memset(e, 0, sizeof(*e));
	hs_sync_t *s = NULL;
	ck_assert_int_eq(hs_sync_new(tdname(Z), tdname(A_ID), NULL, &s), 0);
	hs_proc_timers_t t;
	hs_proc_timers_default(&t);
	t.propagation = 60;
	ck_assert_int_eq(hs_proc_new(s, &t, &e->p), 0);
	set_hsync(e, hsync, T0);
	set_signed(e, "a-ksk a-zsk", 1, T0);
	knot_rrset_t *ns = tns(Z, NSW, "ns1.a.example.");
	ck_assert_int_eq(hs_proc_own_ns(e->p, ns, T0), 0);
	knot_rrset_free(ns, NULL);
}

#define HS3(c) "ON AGENT SIGN " A_ID " .|ON AGENT SIGN " B_ID " .|" c " AGENT SIGN " C_ID " ."

/* Join then leave of C, with every step and wait checked. */
START_TEST(join_then_leave)
{
	env_t e;
	env_new(&e, HS3("OFF"));
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", "ns1.b.example.", T0), 1);
	e.parent_follows = true;
	run(&e, T0);
	parent_ds_now(&e, T0);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);   /* the first HSYNC starts no process */
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_DNSKEY), 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CSYNC), 1);
	ck_assert_uint_eq(hs_proc_ds_wait(e.p), DSW);   /* learned from the parent's DS */
	ck_assert_uint_eq(hs_proc_dnskey_wait(e.p), DKW);
	ck_assert_uint_eq(hs_proc_ns_wait(e.p), NSW);
	e.parent_follows = false;

	/* C turns ON: join */
	time_t t = T0 + 10;
	set_hsync(&e, HS3("ON"), t);
	run(&e, t);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 1);
	hs_job_info_t j = job(&e, 0);
	ck_assert_int_eq(j.kind, HS_JOB_JOIN);
	ck_assert_int_eq(j.step, HS_STEP_JOIN_KEYS);   /* waiting for C's SYNC */
	ck_assert(knot_dname_is_equal(j.identity, tdname(C_ID)));
	/* C's part: its keys go into the combiner, then its CDS: wait for the DS */
	t += 10;
	ck_assert_int_eq(part(&e, C_ID, "c-ksk c-zsk", "ns1.c.example.", t), 1);
	run(&e, t);
	j = job(&e, 0);
	ck_assert_str_eq(hs_step_name(j.step), "JOIN_CDS");
	ck_assert(carries_key(&e, "c-zsk"));
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 3);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);   /* not yet */
	ck_assert(e.last & HS_PROC_DO_PARENT_DS);
	/* the parent's DS follows: wait max(DS-Wait, DNSKEY-Wait) */
	t += 100;
	parent_ds_now(&e, t);
	run(&e, t);
	j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_JOIN_WAIT);
	ck_assert_int_eq(j.since, t);
	ck_assert_int_eq(j.until, t + DSW);
	ck_assert_int_eq(hs_proc_next_time(e.p), t + DSW);
	char *st = NULL;
	ck_assert_int_eq(hs_proc_status(e.p, t, &st), 0);
	ck_assert_msg(strstr(st, "join agent.c.example.: waiting max(DS-Wait, DNSKEY-Wait) (7200 s, "
	                         "until 2027-01-15T10:02:00Z)") != NULL, "%s", st);
	free(st);
	run(&e, t + DSW - 1);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_JOIN_WAIT);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);
	/* NS of C with a new CSYNC, then the parent's NS */
	t += DSW;
	uint32_t csync_before = knot_wire_read_u32(
		hs_sync_carried(hs_proc_sync(e.p), HS_MSG_T_CSYNC)->rrs.rdata->data);
	set_signed(&e, "a-ksk a-zsk b-ksk b-zsk c-ksk c-zsk", 5, t);
	run(&e, t);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_JOIN_NS);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 3);
	uint32_t csync_after = knot_wire_read_u32(
		hs_sync_carried(hs_proc_sync(e.p), HS_MSG_T_CSYNC)->rrs.rdata->data);
	ck_assert_uint_ne(csync_before, csync_after);
	ck_assert_uint_eq(csync_after, 5);
	ck_assert(e.last & HS_PROC_DO_PARENT_NS);
	t += 30;
	parent_ns_now(&e, t);
	run(&e, t);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);
	/* our signer serves C's keys now: they are not ours */
	ck_assert_uint_eq(hs_sync_own_keys(hs_proc_sync(e.p))->count, 2);

	/* C turns OFF: leave. NS first */
	t += 1000;
	set_hsync(&e, HS3("OFF"), t);
	run(&e, t);
	j = job(&e, 0);
	ck_assert_int_eq(j.kind, HS_JOB_LEAVE);
	ck_assert_int_eq(j.step, HS_STEP_LEAVE_NS);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 3);
	ck_assert(carries_key(&e, "c-ksk"));
	t += 5;
	parent_ns_now(&e, t);
	run(&e, t);
	j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_LEAVE_NSWAIT);
	ck_assert_int_eq(j.until, t + NSW);
	run(&e, t + NSW - 1);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_LEAVE_NSWAIT);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 3);
	/* then CDS without C's KSK, wait for the DS */
	t += NSW;
	run(&e, t);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_LEAVE_CDS);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 2);
	ck_assert(carries_key(&e, "c-ksk"));   /* keys stay until the DS is gone */
	t += 7;
	parent_ds_now(&e, t);
	run(&e, t);
	j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_LEAVE_DSWAIT);
	ck_assert_int_eq(j.until, t + DSW);
	run(&e, t + DSW - 1);
	ck_assert(carries_key(&e, "c-ksk"));
	/* only then its keys go */
	t += DSW;
	run(&e, t);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);
	ck_assert(!carries_key(&e, "c-ksk") && !carries_key(&e, "c-zsk"));
	ck_assert(carries_key(&e, "b-zsk"));
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_DNSKEY), 2);
	hs_proc_free(e.p);
}
END_TEST

/* Case D: a NOSIGN provider joins: NS only. */
START_TEST(join_nosign)
{
	env_t e;
	memset(&e, 0, sizeof(e));
	hs_sync_t *s = NULL;
	ck_assert_int_eq(hs_sync_new(tdname(Z), tdname(A_ID), NULL, &s), 0);
	hs_proc_timers_t t;
	hs_proc_timers_default(&t);
	ck_assert_int_eq(hs_proc_new(s, &t, &e.p), 0);
	set_hsync(&e, "ON AGENT NOSIGN " A_ID " .|OFF AGENT NOSIGN " B_ID " .", T0);
	knot_rrset_t *ns = tns(Z, NSW, "ns1.a.example.");
	ck_assert_int_eq(hs_proc_own_ns(e.p, ns, T0), 0);
	knot_rrset_free(ns, NULL);
	run(&e, T0);
	set_hsync(&e, "ON AGENT NOSIGN " A_ID " .|ON AGENT NOSIGN " B_ID " .", T0 + 1);
	ck_assert_int_eq(part(&e, B_ID, NULL, "ns1.b.example.", T0 + 1), 1);
	run(&e, T0 + 1);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_JOIN_NS);
	/* an UPDATE that failed is asked for again */
	ck_assert_int_eq(hs_proc_combiner_failed(e.p, T0 + 1), 0);
	run(&e, T0 + 1);
	ck_assert(e.last & HS_PROC_DO_COMBINER);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_DNSKEY), 0);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 0);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CSYNC), 1);
	parent_ns_now(&e, T0 + 2);
	run(&e, T0 + 2);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);
	hs_proc_free(e.p);
}
END_TEST

/* A ZSK roll at our signer, then one at a peer. */
START_TEST(zsk_roll)
{
	env_t e;
	env_new(&e, "ON OWNER SIGN " A_ID " .|ON OWNER SIGN " B_ID " .");
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", NULL, T0), 1);
	e.parent_follows = true;
	run(&e, T0);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);

	/* our signer publishes a new ZSK: SYNC at once, not usable yet */
	time_t t = T0 + 100;
	set_signed(&e, "a-ksk a-zsk a-zsk2 b-ksk b-zsk", 2, t);
	run(&e, t);
	ck_assert(e.last & HS_PROC_DO_SYNC);
	ck_assert(e.last & HS_PROC_DO_PUBLISHED);
	hs_job_info_t j = job(&e, 0);
	ck_assert_int_eq(j.kind, HS_JOB_KEYADD);
	ck_assert_int_eq(j.step, HS_STEP_KEY_PUBLISH);
	ck_assert_uint_eq(j.keytag, 50379);
	hs_msg_content_t own;
	ck_assert_int_eq(hs_sync_own_part(hs_proc_sync(e.p), &own), 0);
	ck_assert(has_key(&own.rr[HS_MSG_T_DNSKEY]->rrs, "a-zsk2"));
	hs_sync_content_clear(&own);
	ck_assert(!carries_key(&e, "a-zsk2"));   /* our signer has it; the combiner does not */
	/* B serves the old set: not yet */
	knot_rrset_t *bset = tdnskey(Z, 3600, "a-ksk a-zsk b-ksk b-zsk");
	ck_assert_int_eq(hs_proc_published(e.p, tdname(B_ID), bset, t + 1), 0);
	knot_rrset_free(bset, NULL);
	run(&e, t + 1);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_KEY_PUBLISH);
	uint16_t tags[4];
	ck_assert_int_eq(hs_proc_key_ready(e.p, tags, 4), 0);
	/* B serves the new key: DNSKEY-Wait, then usable */
	bset = tdnskey(Z, 3600, "a-ksk a-zsk a-zsk2 b-ksk b-zsk");
	ck_assert_int_eq(hs_proc_published(e.p, tdname(B_ID), bset, t + 2), 0);
	knot_rrset_free(bset, NULL);
	run(&e, t + 2);
	j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_KEY_WAIT);
	ck_assert_int_eq(j.until, t + 2 + DKW);
	run(&e, t + 2 + DKW - 1);
	ck_assert_int_eq(hs_proc_key_ready(e.p, tags, 4), 0);
	run(&e, t + 2 + DKW);
	ck_assert(e.last & HS_PROC_DO_KEY_READY);
	ck_assert_int_eq(hs_proc_key_ready(e.p, tags, 4), 1);
	ck_assert_uint_eq(tags[0], 50379);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);

	/* B retires b-zsk: carried on for DNSKEY-Wait, then removed */
	t += 10000;
	ck_assert_int_eq(part(&e, B_ID, "b-ksk", NULL, t), 1);
	run(&e, t);
	j = job(&e, 0);
	ck_assert_int_eq(j.kind, HS_JOB_RETIRE);
	ck_assert_uint_eq(j.keytag, 28191);
	ck_assert_int_eq(j.until, t + DKW);
	ck_assert(carries_key(&e, "b-zsk"));
	run(&e, t + DKW - 1);
	ck_assert(carries_key(&e, "b-zsk"));
	run(&e, t + DKW);
	ck_assert(!carries_key(&e, "b-zsk"));
	ck_assert(carries_key(&e, "b-ksk"));
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);
	hs_proc_free(e.p);
}
END_TEST

/* An INTERRUPTED peer holds back removals, not additions. */
START_TEST(interrupted_holds)
{
	env_t e;
	env_new(&e, HS3("ON"));
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", "ns1.b.example.", T0), 1);
	ck_assert_int_eq(part(&e, C_ID, "c-ksk c-zsk", "ns1.c.example.", T0), 1);
	e.parent_follows = true;
	run(&e, T0);
	ck_assert_int_eq(hs_proc_peer_state(e.p, tdname(C_ID), HS_PEER_INTERRUPTED, T0), 0);
	time_t t = T0 + 50;
	ck_assert_int_eq(part(&e, B_ID, "b-ksk", "ns1.b.example.", t), 1);
	run(&e, t + DKW);
	hs_job_info_t j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_RETIRE_WAIT);
	ck_assert(j.held);
	ck_assert(carries_key(&e, "b-zsk"));
	char *st = NULL;
	ck_assert_int_eq(hs_proc_status(e.p, t + DKW, &st), 0);
	ck_assert_msg(strstr(st, "key-retired agent.b.example. key 28191") != NULL, "%s", st);
	ck_assert_msg(strstr(st, "held") != NULL, "%s", st);
	free(st);
	/* an addition still goes through */
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", "ns1.b.example.", t + DKW + 1), 1);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);   /* b-zsk is back: nothing retired */
	ck_assert_int_eq(part(&e, B_ID, "b-ksk", "ns1.b.example. ns2.b.example.", t + DKW + 2), 1);
	run(&e, t + DKW + 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 4);
	run(&e, t + 3 * DKW);
	ck_assert(job(&e, 0).held);
	ck_assert(carries_key(&e, "b-zsk"));
	/* C is heard again: it gets our part, and the removal goes on */
	ck_assert_int_eq(hs_proc_peer_state(e.p, tdname(C_ID), HS_PEER_OPERATIONAL, t), 0);
	run(&e, t + 3 * DKW);
	ck_assert(e.last & HS_PROC_DO_SYNC);
	ck_assert(!carries_key(&e, "b-zsk"));
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);

	/* a leave is held too, but not by the leaving peer itself */
	ck_assert_int_eq(hs_proc_peer_state(e.p, tdname(C_ID), HS_PEER_INTERRUPTED, t), 0);
	set_hsync(&e, HS3("OFF"), t + 4 * DKW);
	run(&e, t + 4 * DKW);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_LEAVE_NSWAIT);   /* not held by C */
	ck_assert_int_eq(hs_proc_peer_state(e.p, tdname(B_ID), HS_PEER_INTERRUPTED, t), 0);
	run(&e, t + 5 * DKW);
	j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_LEAVE_CDS);
	ck_assert(j.held);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 3);
	hs_proc_free(e.p);
}
END_TEST

/* We join ourselves (OFF -> ON); then NSmgmt OWNER -> AGENT brings NS in. */
START_TEST(self_join_and_nsmgmt)
{
	env_t e;
	env_new(&e, "OFF OWNER SIGN " A_ID " .|ON OWNER SIGN " B_ID " .");
	ck_assert_int_eq(hs_sync_gates(hs_proc_sync(e.p), tdname(A_ID)), 0);
	e.parent_follows = true;
	run(&e, T0);
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", NULL, T0), 1);
	run(&e, T0);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 1);   /* B's only: we are OFF */
	set_hsync(&e, "ON OWNER SIGN " A_ID " .|ON OWNER SIGN " B_ID " .", T0 + 5);
	run(&e, T0 + 5);
	ck_assert(e.last & HS_PROC_DO_SYNC);
	hs_job_info_t j = job(&e, 0);
	ck_assert_int_eq(j.kind, HS_JOB_JOIN);
	ck_assert(knot_dname_is_equal(j.identity, tdname(A_ID)));
	ck_assert_int_eq(j.step, HS_STEP_JOIN_WAIT);   /* our CDS in, DS followed at once */
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CDS), 2);
	ck_assert_int_eq(j.until, T0 + 5 + DSW);      /* max(DS-Wait 7200, DNSKEY-Wait 3660) */
	run(&e, T0 + 5 + DSW - 1);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 1);
	run(&e, T0 + 5 + DSW);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);      /* OWNER: no NS step */
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 0);
	/* the owner hands NS to the agents: both NS gates open, NS union and CSYNC */
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", NULL, T0 + 9), 0);
	set_hsync(&e, "ON AGENT SIGN " A_ID " .|ON AGENT SIGN " B_ID " .", T0 + 10);
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", "ns1.b.example.", T0 + 10), 1);
	run(&e, T0 + 10);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_CSYNC), 1);
	hs_proc_free(e.p);
}
END_TEST

static char *tmpfile_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/hs-test-process-XXXXXX");
	int fd = mkstemp(buf);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return buf;
}

/* Save in the middle of a join, load: same step and wait, pushed keys not ours. */
START_TEST(restart_mid_process)
{
	env_t e;
	env_new(&e, HS3("OFF"));
	ck_assert_int_eq(part(&e, B_ID, "b-ksk b-zsk", "ns1.b.example.", T0), 1);
	e.parent_follows = true;
	run(&e, T0);
	set_hsync(&e, HS3("ON"), T0 + 1);
	ck_assert_int_eq(part(&e, C_ID, "c-ksk c-zsk", "ns1.c.example.", T0 + 1), 1);
	run(&e, T0 + 1);
	hs_job_info_t j = job(&e, 0);
	ck_assert_int_eq(j.step, HS_STEP_JOIN_WAIT);
	ck_assert_int_eq(j.until, T0 + 1 + DSW);
	/* our signer serves everything (ours + pushed) */
	set_signed(&e, "a-ksk a-zsk b-ksk b-zsk c-ksk c-zsk", 9, T0 + 2);
	run(&e, T0 + 2);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 1);   /* no key-added job for pushed keys */

	char path[64];
	tmpfile_path(path, sizeof(path));
	ck_assert_int_eq(hs_proc_save(e.p, path), 0);
	hs_proc_free(e.p);

	hs_proc_timers_t t;
	hs_proc_timers_default(&t);
	t.propagation = 60;
	char why[512];
	ck_assert_int_eq(hs_proc_load(path, NULL, &t, T0 + 500, &e.p, why, sizeof(why)), 0);
	e.updates = 0;
	ck_assert_uint_eq(hs_proc_jobs(e.p), 1);
	j = job(&e, 0);
	ck_assert_int_eq(j.kind, HS_JOB_JOIN);
	ck_assert_int_eq(j.step, HS_STEP_JOIN_WAIT);
	ck_assert_int_eq(j.until, T0 + 1 + DSW);
	ck_assert(knot_dname_is_equal(j.identity, tdname(C_ID)));
	hs_sync_t *s = hs_proc_sync(e.p);
	ck_assert_uint_eq(hs_sync_own_keys(s)->count, 2);
	ck_assert(has_key(hs_sync_own_keys(s), "a-zsk"));
	ck_assert(!has_key(hs_sync_own_keys(s), "c-zsk"));
	/* the same signed set again after the restart: still no key-added job */
	set_signed(&e, "a-ksk a-zsk b-ksk b-zsk c-ksk c-zsk", 9, T0 + 501);
	run(&e, T0 + 501);
	ck_assert(e.last & HS_PROC_DO_SYNC);
	ck_assert_uint_eq(e.updates, 0);   /* the combiner already had it all */
	ck_assert_uint_eq(hs_proc_jobs(e.p), 1);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_JOIN_WAIT);
	run(&e, T0 + DSW);
	ck_assert_int_eq(job(&e, 0).step, HS_STEP_JOIN_WAIT);
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 2);
	run(&e, T0 + 1 + DSW);   /* the parent follows at once: NS added, join done */
	ck_assert_uint_eq(carried_count(&e, HS_MSG_T_NS), 3);
	ck_assert_uint_eq(hs_proc_jobs(e.p), 0);
	hs_proc_free(e.p);
	unlink(path);
}
END_TEST

static int load_text(const char *text, char *why, size_t len)
{
	char path[64];
	tmpfile_path(path, sizeof(path));
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	hs_proc_t *p = NULL;
	int ret = hs_proc_load(path, NULL, NULL, T0, &p, why, len);
	ck_assert_ptr_null(p);
	unlink(path);
	ck_assert_msg(strstr(why, "/tmp/hs-test-process-") != NULL, "%s", why);
	return ret;
}

START_TEST(corrupt_state)
{
	char why[512];
	hs_proc_t *p = NULL;
	ck_assert_int_eq(hs_proc_load("/nonexistent/zone.json", NULL, NULL, T0, &p, why,
	                              sizeof(why)), HS_ENOTFOUND);
	ck_assert_int_eq(load_text("{ not json", why, sizeof(why)), HS_ESYNTAX);
	ck_assert_msg(strstr(why, "JSON") != NULL, "%s", why);
	ck_assert_int_eq(load_text("{\"format\": \"hsync-zone-0\"}", why, sizeof(why)), HS_ESYNTAX);
	ck_assert_msg(strstr(why, "format") != NULL, "%s", why);
	ck_assert_int_eq(load_text("{\"format\": \"hsync-zone-1\", \"sync\": {\"format\": \"x\"}}", why,
	                           sizeof(why)), HS_ESYNTAX);
	ck_assert_msg(strstr(why, "sync") != NULL, "%s", why);

	/* a good file with one bad job step */
	env_t e;
	env_new(&e, HS3("OFF"));
	set_hsync(&e, HS3("ON"), T0 + 1);
	run(&e, T0 + 1);
	json_t *j = hs_proc_to_json(e.p);
	hs_proc_free(e.p);
	json_t *jobs = json_object_get(j, "jobs");
	ck_assert_uint_eq(json_array_size(jobs), 1);
	json_object_set_new(json_array_get(jobs, 0), "step", json_string("SOMEWHERE"));
	char *text = json_dumps(j, 0);
	ck_assert_int_eq(load_text(text, why, sizeof(why)), HS_ESYNTAX);
	ck_assert_msg(strstr(why, "jobs.step") != NULL, "%s", why);
	free(text);
	json_decref(j);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("process");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, join_then_leave);
	tcase_add_test(tc, join_nosign);
	tcase_add_test(tc, zsk_roll);
	tcase_add_test(tc, interrupted_holds);
	tcase_add_test(tc, self_join_and_nsmgmt);
	tcase_add_test(tc, restart_mid_process);
	tcase_add_test(tc, corrupt_state);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
