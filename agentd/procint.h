/*
 * agentd/procint.h -- what the step machine (process.c), the events
 * (procevent.c) and the state file (procstate.c) of the multi-signer
 * processes share: the job and process structures and the job helpers.
 * Internal to agentd/proc*.c; use process.h.
 */
#ifndef HS_AGENTD_PROCINT_H
#define HS_AGENTD_PROCINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "agentd/process.h"

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

/* A change the combiner must carry: DO_COMBINER next, and DO_SAVE. */
void hs_proc_changed(hs_proc_t *p);

/* The job of KIND for ID (NULL: any) and KEY (NULL: any), or NULL. BORROWED. */
job_t *hs_proc_job_find(hs_proc_t *p, hs_job_kind_t kind, const knot_dname_t *id,
                        const uint8_t *key, uint16_t keylen);

/* Remove J (pointers into jobs move). */
void hs_proc_job_drop(hs_proc_t *p, job_t *j);

/* Room for one more job (pointers into jobs move). NULL when full. */
job_t *hs_proc_job_slot(hs_proc_t *p);

/* A new job in STEP since NOW. BORROWED; NULL when full. */
job_t *hs_proc_job_add(hs_proc_t *p, hs_job_kind_t kind, const knot_dname_t *id, hs_step_t step,
                       time_t now);

/* Is NSmgmt AGENT? */
bool hs_proc_agent_ns(const hs_proc_t *p);

/* Open or close gate BIT of ID. */
void hs_proc_gate(hs_proc_t *p, const knot_dname_t *id, unsigned bit, bool open);

/* Put J into STEP at NOW (sets its wait). */
void hs_proc_enter(hs_proc_t *p, job_t *j, hs_step_t step, time_t now);

#endif /* HS_AGENTD_PROCINT_H */
