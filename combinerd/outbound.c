/*
 * combinerd/outbound.c -- what combinerd sends downstream: AXFR/IXFR out
 * through common/xfrnet.h from borrowed versions of the combined zone, and
 * NOTIFY to every downstream on each change (combinerd.h, "event loop").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "combinerd/combinerd.h"
#include "common/addr.h"
#include "common/log.h"
#include "libhsync/error.h"

void cbd_peer_str(const struct sockaddr *sa, char *buf, size_t len)
{
	if (hs_addr_format(sa, buf, len) != HS_EOK) {
		snprintf(buf, len, "?");
	}
}

/* ---- snapshots for transfers out -----------------------------------------
 *
 * A transfer out borrows the live combined zone and the journal's
 * differences (no copy). Before anything changes them (owner transfer in,
 * UPDATE), cbd_snap_detach() gives the transfers still running a copy of what
 * they borrowed, so a copy is made only when a change meets a transfer.
 */

void cbd_snap_unref(struct cbd_snap *s)
{
	if (s == NULL || --s->refs > 0) {
		return;
	}
	if (s->owned) {
		for (size_t i = 0; i < s->n; i++) {
			hs_diff_free(s->deltas[i]);
		}
		hs_zone_free(s->zone);
	}
	free(s->deltas);
	free(s);
}

static int diff_copy(const hs_diff_t *src, hs_diff_t **out)
{
	hs_diff_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return HS_ENOMEM;
	}
	int ret = hs_zone_copy(src->removed, &d->removed);
	if (ret == HS_EOK) {
		ret = hs_zone_copy(src->added, &d->added);
	}
	if (ret != HS_EOK) {
		hs_diff_free(d);
		return ret;
	}
	*out = d;
	return HS_EOK;
}

static struct cbd_snap *snap_get(struct cbd_zl *l)
{
	cbd_zone_t *z = l->z;
	if (l->snap != NULL && l->snap->version == z->version) {
		l->snap->refs++;
		return l->snap;
	}
	struct cbd_snap *s = calloc(1, sizeof(*s));
	size_t n = hs_journal_count(z->j);
	if (s == NULL || (s->deltas = calloc(n ? n : 1, sizeof(*s->deltas))) == NULL) {
		free(s);
		return NULL;
	}
	s->refs = 1;
	s->version = z->version;
	s->zone = cbd_zone_combined(z);
	for (size_t i = 0; i < n; i++) {
		s->deltas[i] = hs_journal_entry(z->j, i)->diff;
	}
	s->n = n;
	cbd_snap_unref(l->snap);
	l->snap = s;
	s->refs++;  /* one for l->snap, one for the caller */
	return s;
}

/* The live zone and journal are about to change. */
void cbd_snap_detach(struct cbd_zl *l)
{
	struct cbd_snap *s = l->snap;
	if (s == NULL) {
		return;
	}
	l->snap = NULL;
	if (s->refs > 1 && !s->owned) {
		hs_zone_t *zc = NULL;
		hs_diff_t **dc = calloc(s->n ? s->n : 1, sizeof(*dc));
		int ret = dc != NULL ? hs_zone_copy(s->zone, &zc) : HS_ENOMEM;
		size_t i = 0;
		for (; ret == HS_EOK && i < s->n; i++) {
			ret = diff_copy(s->deltas[i], &dc[i]);
		}
		if (ret == HS_EOK) {
			free(s->deltas);
			s->deltas = dc;
			s->zone = zc;
			s->owned = true;
		} else {
			while (i > 0) {
				hs_diff_free(dc[--i]);
			}
			free(dc);
			hs_zone_free(zc);
			/* Cannot keep what they read: stop every transfer out. */
			hs_log_code(HS_LOG_ERROR, ret, l->z->text, NULL,
			            "no copy for the transfers out in progress; stopping them");
			cbd_snap_unref(s);
			hs_xfr_server_free(l->d->xs);
			l->d->xs = NULL;
			cbd_out_start(l->d);
			return;
		}
	}
	cbd_snap_unref(s);
}

static bool xfr_acl(const struct sockaddr *peer, const knot_dname_t *zone,
                    const knot_tsig_key_t *key, void *arg)
{
	struct cbd_daemon *d = arg;
	return cbd_acl_xfr(cbd_cfg_zone(d->cfg, zone), peer, key);
}

static int xfr_get(const knot_dname_t *zone, hs_zone_t **zp, hs_diff_t *const **deltas,
                   size_t *nd, void **handle, void *arg)
{
	struct cbd_daemon *d = arg;
	cbd_view_t v = { d->cfg, d->zones, d->nzones };
	cbd_zone_t *z = cbd_view_zone(&v, zone);
	if (z == NULL || cbd_zone_combined(z) == NULL || z->expired) {
		return HS_ENOTFOUND;
	}
	struct cbd_snap *s = snap_get(cbd_zl_of(z));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	*zp = s->zone;
	*deltas = s->deltas;
	*nd = s->n;
	*handle = s;
	return HS_EOK;
}

static void xfr_release(void *handle, void *arg)
{
	cbd_snap_unref(handle);
}

static void xfr_served(const struct sockaddr *peer, const knot_dname_t *zone, hs_xfr_kind_t kind,
                       size_t messages, size_t rrs, int err, void *arg)
{
	char p[HS_ADDR_STRLEN], zn[KNOT_DNAME_TXT_MAXLEN + 1];
	cbd_peer_str(peer, p, sizeof(p));
	knot_dname_to_str(zn, zone, sizeof(zn));
	const char *k = kind == HS_XFR_AXFR ? "AXFR" : kind == HS_XFR_IXFR ? "IXFR"
	              : kind == HS_XFR_UPTODATE ? "IXFR (up to date)" : "transfer";
	if (err == HS_EOK) {
		hs_log(kind == HS_XFR_UPTODATE ? HS_LOG_INFO : HS_LOG_NOTICE, zn, p,
		       "%s out: %zu messages, %zu records", k, messages, rrs);
	} else if (err == HS_EXFR_RCODE) {
		hs_log(HS_LOG_WARNING, zn, p, "transfer out refused");
	} else {
		hs_log_code(HS_LOG_WARNING, err, zn, p, "%s out failed after %zu messages", k,
		            messages);
	}
}

int cbd_out_start(struct cbd_daemon *d)
{
	struct hs_xfr_server_cfg c = {
		.keys = &d->cfg->keys, .acl = xfr_acl, .get = xfr_get, .release = xfr_release,
		.served = xfr_served, .arg = d,
	};
	return hs_xfr_server_new(d->loop, &c, &d->xs);
}

/* ---- NOTIFY out ------------------------------------------------------------ */

static void notify_cb(int err, uint16_t rcode, unsigned tries, void *arg)
{
	struct cbd_notify *n = arg;
	struct cbd_zl *l = n->zl;
	const cbd_down_t *dn = &l->z->cfg->downs[n->idx];
	char p[HS_ADDR_STRLEN];
	cbd_peer_str((const struct sockaddr *)&dn->addr, p, sizeof(p));
	if (err == HS_EOK) {
		hs_log(HS_LOG_INFO, l->z->text, p, "NOTIFY serial %u acknowledged (%u tries)",
		       n->serial, tries);
	} else if (err == HS_EXFR_RCODE) {
		const knot_lookup_t *rc = knot_lookup_by_id(knot_rcode_names, rcode);
		hs_log(HS_LOG_WARNING, l->z->text, p, "NOTIFY serial %u answered %s", n->serial,
		       rc != NULL ? rc->name : "?");
	} else {
		hs_log_code(HS_LOG_WARNING, err, l->z->text, p, "NOTIFY serial %u failed after %u tries",
		            n->serial, tries);
	}
	l->notifies[n->idx] = NULL;
	free(n);
}

void cbd_notify_cancel_all(struct cbd_zl *l)
{
	for (size_t i = 0; i < l->nnotifies; i++) {
		if (l->notifies[i] != NULL) {
			hs_xfr_notify_cancel(l->notifies[i]->h);
			free(l->notifies[i]);
			l->notifies[i] = NULL;
		}
	}
	free(l->notifies);
	l->notifies = NULL;
	l->nnotifies = 0;
}

void cbd_notify_downstreams(struct cbd_zl *l)
{
	const cbd_zone_cfg_t *zc = l->z->cfg;
	if (l->nnotifies != zc->ndowns) {
		cbd_notify_cancel_all(l);
		l->notifies = calloc(zc->ndowns ? zc->ndowns : 1, sizeof(*l->notifies));
		if (l->notifies == NULL) {
			return;
		}
		l->nnotifies = zc->ndowns;
	}
	knot_rrset_t soa;
	hs_zone_t *cz = cbd_zone_combined(l->z);
	if (cz == NULL || hs_zone_find(cz, l->z->apex, KNOT_RRTYPE_SOA, &soa) != HS_EOK) {
		return;
	}
	for (size_t i = 0; i < zc->ndowns; i++) {
		const cbd_down_t *dn = &zc->downs[i];
		if (!dn->notify) {
			continue;
		}
		if (l->notifies[i] != NULL) {  /* a newer serial replaces the old NOTIFY */
			hs_xfr_notify_cancel(l->notifies[i]->h);
			free(l->notifies[i]);
			l->notifies[i] = NULL;
		}
		struct cbd_notify *n = calloc(1, sizeof(*n));
		if (n == NULL) {
			continue;
		}
		n->zl = l;
		n->idx = i;
		n->serial = knot_soa_serial(soa.rrs.rdata);
		struct hs_xfr_notify_opts o = { .key = dn->key, .soa = &soa, .timeout_ms = 1000,
		                                 .retries = 5 };
		int ret = hs_xfr_notify_send(l->d->loop, (const struct sockaddr *)&dn->addr,
		                             l->z->apex, &o, notify_cb, n, &n->h);
		if (ret != HS_EOK) {
			char p[HS_ADDR_STRLEN];
			cbd_peer_str((const struct sockaddr *)&dn->addr, p, sizeof(p));
			hs_log_code(HS_LOG_WARNING, ret, l->z->text, p, "cannot send NOTIFY");
			free(n);
			continue;
		}
		l->notifies[i] = n;
	}
}
