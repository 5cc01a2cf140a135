/*
 * agentd/dsync.c -- RFC 9859 discovery of the parent's DSYNC UPDATE target.
 * See dsync.h for the walk.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/dsync.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

static const uint8_t DSYNC_LABEL[] = "\x06_dsync";
static const uint8_t STAR_LABEL[] = "\x01*";

static int fail(hs_dsync_disc_t *d, int code, bool keep_state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(hs_dsync_disc_t *d, int code, bool keep_state, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(d->qname, name, sizeof(name));
	snprintf(d->reason, sizeof(d->reason), "%s for DSYNC %s", what, name);
	if (!keep_state) {
		d->state = HS_DSYNC_FAILED;
		d->error = code;
		d->sent = false;
	}
	return code;
}

/* Make d->qname for the current P: <labels>._dsync.P or *._dsync.P. */
static int make_qname(hs_dsync_disc_t *d)
{
	size_t csize = knot_dname_size(d->child);
	size_t psize = knot_dname_size(d->parent);
	const uint8_t *prefix = d->at_wildcard ? STAR_LABEL : d->child;
	size_t plen = d->at_wildcard ? 2 : csize - psize;
	if (plen + 7 + psize > KNOT_DNAME_MAXLEN) {
		return HS_ENAME;
	}
	memcpy(d->qname, prefix, plen);
	memcpy(d->qname + plen, DSYNC_LABEL, 7);
	memcpy(d->qname + plen + 7, d->parent, psize);
	return HS_EOK;
}

int hs_dsync_disc_init(hs_dsync_disc_t *d, const knot_dname_t *child,
                       const knot_dname_t *parent, const char *resolver)
{
	if (d == NULL || child == NULL || child[0] == '\0') {
		return HS_EINVAL;
	}
	int csize = knot_dname_size(child);
	if (csize <= 0 || csize > KNOT_DNAME_MAXLEN) {
		return HS_ENAME;
	}
	memset(d, 0, sizeof(*d));
	memcpy(d->child, child, csize);
	knot_dname_to_lower(d->child);
	if (parent != NULL) {
		if (!hs_dname_in_zone(d->child, parent) || hs_dname_equal(d->child, parent)) {
			return HS_EINVAL;
		}
		memcpy(d->start, parent, knot_dname_size(parent));
		knot_dname_to_lower(d->start);
	} else {
		const uint8_t *p = d->child + 1 + d->child[0];
		memcpy(d->start, p, knot_dname_size(p));
	}
	snprintf(d->resolver, sizeof(d->resolver), "%s", resolver != NULL ? resolver : "resolver");
	hs_dsync_disc_restart(d);
	return d->state == HS_DSYNC_FAILED ? d->error : HS_EOK;
}

void hs_dsync_disc_clear(hs_dsync_disc_t *d)
{
	if (d != NULL) {
		memset(d, 0, sizeof(*d));
	}
}

void hs_dsync_disc_restart(hs_dsync_disc_t *d)
{
	if (d == NULL) {
		return;
	}
	memcpy(d->parent, d->start, knot_dname_size(d->start));
	d->at_wildcard = false;
	d->sent = false;
	d->queries = 0;
	d->error = 0;
	d->reason[0] = '\0';
	memset(&d->res, 0, sizeof(d->res));
	d->state = HS_DSYNC_ASK;
	int ret = make_qname(d);
	if (ret != HS_EOK) {
		d->state = HS_DSYNC_FAILED;
		d->error = ret;
		snprintf(d->reason, sizeof(d->reason), "query name too long");
	}
}

int hs_dsync_disc_next(const hs_dsync_disc_t *d, const knot_dname_t **qname, uint16_t *qtype)
{
	if (d == NULL || d->state != HS_DSYNC_ASK) {
		return HS_EINVAL;
	}
	if (qname != NULL) {
		*qname = d->qname;
	}
	if (qtype != NULL) {
		*qtype = HS_RRTYPE_DSYNC;
	}
	return HS_EOK;
}

int hs_dsync_disc_query(hs_dsync_disc_t *d, knot_pkt_t **out)
{
	if (d == NULL || out == NULL || d->state != HS_DSYNC_ASK) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_resolve_query_new(d->qname, HS_RRTYPE_DSYNC, &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	d->qid = knot_wire_get_id(pkt->wire);
	d->sent = true;
	*out = pkt;
	return HS_EOK;
}

int hs_dsync_disc_timeout(hs_dsync_disc_t *d)
{
	if (d == NULL || d->state != HS_DSYNC_ASK) {
		return HS_EINVAL;
	}
	return fail(d, -ETIMEDOUT, false, "no answer from resolver %s", d->resolver);
}

hs_dsync_disc_state_t hs_dsync_disc_state(const hs_dsync_disc_t *d)
{
	return d != NULL ? d->state : HS_DSYNC_FAILED;
}

const char *hs_dsync_disc_reason(const hs_dsync_disc_t *d)
{
	return d != NULL ? d->reason : "";
}

const hs_dsync_result_t *hs_dsync_disc_result(const hs_dsync_disc_t *d)
{
	return (d != NULL && d->state == HS_DSYNC_DONE) ? &d->res : NULL;
}

/* ---- answers -------------------------------------------------------------------- */

/* The owner of an SOA in the authority section, or NULL. */
static const knot_dname_t *negative_soa(const knot_pkt_t *pkt)
{
	const knot_pktsection_t *au = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < au->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(au, i);
		if (rr->type == KNOT_RRTYPE_SOA) {
			return rr->owner;
		}
	}
	return NULL;
}

/* Pick the UPDATE record among the DSYNC RRs at OWNER (see the header). */
static int use_dsync(hs_dsync_disc_t *d, const knot_pkt_t *pkt, const knot_dname_t *owner)
{
	bool have = false;
	hs_dsync_t best;
	memset(&best, 0, sizeof(best));
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t k = 0; k < an->count; k++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, k);
		if (rr->type != HS_RRTYPE_DSYNC || rr->rclass != KNOT_CLASS_IN ||
		    !hs_dname_equal(rr->owner, owner)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t i = 0; i < rr->rrs.count; i++, rd = knot_rdataset_next(rd)) {
			hs_dsync_t cur;
			if (hs_dsync_from_wire(&cur, rd->data, rd->len) != HS_EOK ||
			    cur.scheme != HS_DSYNC_SCHEME_UPDATE) {
				continue;
			}
			bool better = !have;
			if (have) {
				bool cany = cur.rrtype == KNOT_RRTYPE_ANY, bany = best.rrtype == KNOT_RRTYPE_ANY;
				if (cany != bany) {
					better = cany;
				} else {
					size_t cl = knot_dname_size(cur.target), bl = knot_dname_size(best.target);
					int c = memcmp(cur.target, best.target, cl < bl ? cl : bl);
					better = c < 0 || (c == 0 && cl < bl);
				}
			}
			if (better) {
				best = cur;
				have = true;
			}
		}
	}
	if (!have) {
		return fail(d, HS_EDISC_DATA, false, "no DSYNC record with scheme UPDATE from resolver %s",
		            d->resolver);
	}
	memcpy(d->res.parent, d->parent, knot_dname_size(d->parent));
	memcpy(d->res.owner, d->qname, knot_dname_size(d->qname));
	d->res.wildcard = d->at_wildcard;
	d->res.dsync = best;
	d->state = HS_DSYNC_DONE;
	d->sent = false;
	return HS_EOK;
}

/* A validated negative answer: decide the next query (see the header). */
static int negative(hs_dsync_disc_t *d, const knot_pkt_t *pkt, int code, const char *what)
{
	const knot_dname_t *soa = negative_soa(pkt);
	bool parent_is_zone = false;
	if (soa != NULL) {
		if (hs_dname_in_zone(d->parent, soa) && !hs_dname_equal(d->parent, soa)) {
			/* P is no zone: walk up to the zone holding it */
			memcpy(d->parent, soa, knot_dname_size(soa));
			knot_dname_to_lower(d->parent);
			d->at_wildcard = false;
			goto next;
		}
		parent_is_zone = hs_dname_in_zone(soa, d->parent);
	}
	if (!d->at_wildcard) {
		d->at_wildcard = true;
		goto next;
	}
	if (parent_is_zone || d->parent[0] == '\0') {
		char p[KNOT_DNAME_TXT_MAXLEN + 1];
		hs_dname_text(d->parent, p, sizeof(p));
		return fail(d, code, false, "%s (validated) from resolver %s: parent %s publishes "
		            "no DSYNC for us", what, d->resolver, p);
	}
	/* no SOA to tell: walk up one label */
	memmove(d->parent, d->parent + 1 + d->parent[0], knot_dname_size(d->parent + 1 + d->parent[0]));
	d->at_wildcard = false;
next:
	if (make_qname(d) != HS_EOK) {
		return fail(d, HS_ENAME, false, "next query name too long");
	}
	d->sent = false;
	return HS_EOK;
}

int hs_dsync_disc_feed(hs_dsync_disc_t *d, const uint8_t *wire, size_t len)
{
	if (d == NULL || wire == NULL || d->state != HS_DSYNC_ASK || !d->sent) {
		return HS_EINVAL;
	}
	char why[512];   /* as much as fail() keeps */
	knot_pkt_t *pkt = NULL;
	knot_rrset_t all;
	int ret = hs_resolve_check(d->qid, d->qname, HS_RRTYPE_DSYNC, wire, len, d->resolver,
	                           &pkt, &all, why, sizeof(why));
	if (ret == HS_ENOMEM || ret == HS_EINVAL) {
		return ret;
	}
	if (ret != HS_EOK && ret != HS_EDISC_NXDOMAIN && ret != HS_EDISC_NODATA) {
		/* a mismatch may be a stray answer: the real one can still come */
		return fail(d, ret, ret == HS_EDISC_MISMATCH, "%s", why);
	}
	if (++d->queries >= HS_DSYNC_MAX_QUERIES) {
		ret = fail(d, HS_EDISC_DATA, false, "too many queries (%u)", d->queries);
	} else if (ret == HS_EDISC_NXDOMAIN) {
		ret = negative(d, pkt, HS_EDISC_NXDOMAIN, "NXDOMAIN");
	} else if (ret == HS_EDISC_NODATA) {
		ret = negative(d, pkt, HS_EDISC_NODATA, "NODATA");
	} else {
		/* the records are read from the packet at the owner the CNAMEs led to */
		ret = use_dsync(d, pkt, all.owner);
	}
	knot_rdataset_clear(&all.rrs, NULL);
	knot_pkt_free(pkt);
	return ret;
}
