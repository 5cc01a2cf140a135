/*
 * agentd/deleg.c -- the child's delegation data, UPDATEs, bootstrap and
 * KeyState. See deleg.h for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "agentd/deleg.h"
#include "common/statefile.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/pkt.h"
#include "libhsync/sig0.h"
#include "libhsync/zonefile.h"

/* ---- change lists ------------------------------------------------------------ */

void hs_chgs_init(hs_chgs_t *c)
{
	if (c != NULL) {
		memset(c, 0, sizeof(*c));
	}
}

void hs_chgs_clear(hs_chgs_t *c)
{
	if (c == NULL) {
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].rdata);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int hs_chgs_add(hs_chgs_t *c, hs_chg_op_t op, const knot_dname_t *owner, uint16_t type,
                uint32_t ttl, const uint8_t *rdata, uint16_t len)
{
	if (c == NULL || owner == NULL || (len > 0 && rdata == NULL) ||
	    op < HS_CHG_ADD || op > HS_CHG_DEL_RRSET) {
		return HS_EINVAL;
	}
	int osize = knot_dname_size(owner);
	if (osize <= 0 || osize > KNOT_DNAME_MAXLEN) {
		return HS_ENAME;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		hs_chg_t *v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL) {
			return HS_ENOMEM;
		}
		c->v = v;
		c->cap = cap;
	}
	hs_chg_t *ch = &c->v[c->n];
	memset(ch, 0, sizeof(*ch));
	if (len > 0) {
		ch->rdata = malloc(len);
		if (ch->rdata == NULL) {
			return HS_ENOMEM;
		}
		memcpy(ch->rdata, rdata, len);
	}
	ch->op = op;
	memcpy(ch->owner, owner, osize);
	knot_dname_to_lower(ch->owner);
	ch->type = type;
	ch->ttl = (op == HS_CHG_ADD) ? ttl : 0;
	ch->len = len;
	c->n++;
	return HS_EOK;
}

const char *hs_chg_op_name(hs_chg_op_t op)
{
	switch (op) {
	case HS_CHG_ADD:       return "add";
	case HS_CHG_DEL_RR:    return "delete-rr";
	case HS_CHG_DEL_RRSET: return "delete-rrset";
	default:               return "?";
	}
}

/* Put one RR (owner, type, class, ttl, rdata) into the current section. */
static int put_rr(knot_pkt_t *pkt, const knot_dname_t *owner, uint16_t type, uint16_t rclass,
                  uint32_t ttl, const uint8_t *rdata, uint16_t len)
{
	knot_dname_t *o = knot_dname_copy(owner, &pkt->mm);
	if (o == NULL) {
		return HS_ENOMEM;
	}
	knot_rrset_t rr;
	knot_rrset_init(&rr, o, type, rclass, ttl);
	int ret = knot_rrset_add_rdata(&rr, rdata, len, &pkt->mm);
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, KNOT_PF_FREE);
	}
	if (ret != KNOT_EOK) {
		knot_rrset_clear(&rr, &pkt->mm);
	}
	return ret;
}

int hs_deleg_update_new(const knot_dname_t *zone, const hs_chgs_t *chgs,
                        size_t sig_reserve, knot_pkt_t **out)
{
	if (zone == NULL || chgs == NULL || out == NULL || chgs->n == 0) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_query_new(zone, KNOT_RRTYPE_SOA, &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_UPDATE);
	ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	if (ret == KNOT_EOK && sig_reserve > 0) {
		ret = knot_pkt_reserve(pkt, sig_reserve);
	}
	for (size_t i = 0; ret == KNOT_EOK && i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		uint16_t rclass = c->op == HS_CHG_ADD ? KNOT_CLASS_IN :
		                  c->op == HS_CHG_DEL_RR ? KNOT_CLASS_NONE : KNOT_CLASS_ANY;
		ret = put_rr(pkt, c->owner, c->type, rclass, c->ttl,
		             c->op == HS_CHG_DEL_RRSET ? NULL : c->rdata,
		             c->op == HS_CHG_DEL_RRSET ? 0 : c->len);
	}
	if (ret == KNOT_EOK && sig_reserve > 0) {
		ret = knot_pkt_reclaim(pkt, sig_reserve);
	}
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}

/* ---- delegation data ----------------------------------------------------------- */

/* Add every RR of SRC to Z as TYPE with TTL (SRC's type when type is 0). */
static int add_as(hs_zone_t *z, const knot_rrset_t *src, uint16_t type, uint32_t ttl,
                  bool skip_cds_delete)
{
	knot_rrset_t rr;
	knot_rrset_init(&rr, src->owner, type ? type : src->type, KNOT_CLASS_IN, ttl);
	int ret = HS_EOK;
	knot_rdata_t *rd = src->rrs.rdata;
	for (uint16_t i = 0; i < src->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (skip_cds_delete && rd->len == 5 && memcmp(rd->data, "\0\0\0\0\0", 5) == 0) {
			continue;
		}
		ret = knot_rrset_add_rdata(&rr, rd->data, rd->len, NULL);
		if (ret != KNOT_EOK) {
			break;
		}
	}
	if (ret == KNOT_EOK && rr.rrs.count > 0) {
		ret = hs_zone_add(z, &rr, NULL);
	}
	knot_rdataset_clear(&rr.rrs, NULL);
	return ret;
}

int hs_deleg_from_zone(const hs_zone_t *zone, uint32_t ttl, hs_zone_t **out)
{
	if (zone == NULL || out == NULL) {
		return HS_EINVAL;
	}
	const knot_dname_t *origin = hs_zone_origin(zone);
	knot_rrset_t ns;
	if (hs_zone_find(zone, origin, KNOT_RRTYPE_NS, &ns) != HS_EOK) {
		return HS_ENOTFOUND;
	}
	hs_zone_t *d = NULL;
	int ret = hs_zone_new(origin, KNOT_CLASS_IN, &d);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = add_as(d, &ns, 0, ttl, false);
	knot_rdata_t *rd = ns.rrs.rdata;
	for (uint16_t i = 0; ret == HS_EOK && i < ns.rrs.count; i++, rd = knot_rdataset_next(rd)) {
		const knot_dname_t *target = knot_ns_name(rd);
		if (!hs_dname_in_zone(target, origin)) {
			continue;
		}
		static const uint16_t types[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
		for (size_t t = 0; ret == HS_EOK && t < 2; t++) {
			knot_rrset_t g;
			if (hs_zone_find(zone, target, types[t], &g) == HS_EOK) {
				ret = add_as(d, &g, 0, ttl, false);
			}
		}
	}
	knot_rrset_t set;
	bool have_ds = false;
	if (ret == HS_EOK && hs_zone_find(zone, origin, KNOT_RRTYPE_CDS, &set) == HS_EOK) {
		ret = add_as(d, &set, KNOT_RRTYPE_DS, ttl, true);
		knot_rrset_t chk;
		have_ds = hs_zone_find(d, origin, KNOT_RRTYPE_DS, &chk) == HS_EOK;
	}
	if (ret == HS_EOK && !have_ds &&
	    hs_zone_find(zone, origin, KNOT_RRTYPE_DNSKEY, &set) == HS_EOK) {
		static const uint8_t digests[] = { HS_DS_SHA256 };
		knot_rrset_t *cds = NULL;
		int r = hs_dnssec_cds_rrset(&set, digests, 1, &cds, NULL);
		if (r == HS_EOK) {
			ret = add_as(d, cds, KNOT_RRTYPE_DS, ttl, false);
			knot_rrset_free(cds, NULL);
		} else if (r != HS_ENOTFOUND) {
			ret = r;
		}
	}
	if (ret != HS_EOK) {
		hs_zone_free(d);
		return ret;
	}
	*out = d;
	return HS_EOK;
}

/* Append one change per RR of every RRset of Z. */
static int append_zone(hs_zone_t *z, hs_chg_op_t op, hs_chgs_t *chgs)
{
	hs_zone_iter_t it;
	int ret = hs_zone_iter_begin(z, 0, &it);
	knot_rrset_t rr;
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		knot_rdata_t *rd = rr.rrs.rdata;
		for (uint16_t i = 0; ret == HS_EOK && i < rr.rrs.count; i++, rd = knot_rdataset_next(rd)) {
			ret = hs_chgs_add(chgs, op, rr.owner, rr.type, rr.ttl, rd->data, rd->len);
		}
	}
	return ret;
}

/* Whether some NS RR of Z names TARGET. */
static bool names_target(const hs_zone_t *z, const knot_dname_t *target)
{
	knot_rrset_t ns;
	if (hs_zone_find(z, hs_zone_origin(z), KNOT_RRTYPE_NS, &ns) != HS_EOK) {
		return false;
	}
	knot_rdata_t *rd = ns.rrs.rdata;
	for (uint16_t i = 0; i < ns.rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (hs_dname_equal(knot_ns_name(rd), target)) {
			return true;
		}
	}
	return false;
}

/* Collect the names other than the origin that hold RRsets in Z into a list. */
typedef struct {
	size_t n, cap;
	knot_dname_t **v;
} name_list_t;

static void names_free(name_list_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
}

static int names_add(name_list_t *l, const knot_dname_t *name)
{
	for (size_t i = 0; i < l->n; i++) {
		if (hs_dname_equal(l->v[i], name)) {
			return HS_EOK;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		knot_dname_t **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			return HS_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = knot_dname_copy(name, NULL);
	if (l->v[l->n] == NULL) {
		return HS_ENOMEM;
	}
	l->n++;
	return HS_EOK;
}

static int names_of(hs_zone_t *z, name_list_t *l)
{
	hs_zone_iter_t it;
	int ret = hs_zone_iter_begin(z, 0, &it);
	knot_rrset_t rr;
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		if (!hs_dname_equal(rr.owner, hs_zone_origin(z))) {
			ret = names_add(l, rr.owner);
		}
	}
	return ret;
}

static int canon_cmp(const void *a, const void *b)
{
	return hs_dname_canon_cmp(*(knot_dname_t * const *)a, *(knot_dname_t * const *)b);
}

/* Delta mode: glue changed at a name no changed NS names: re-add NEW's NS RRs for it. */
static int delta_glue_ns(hs_diff_t *diff, hs_zone_t *now, hs_chgs_t *chgs)
{
	name_list_t l = { 0 };
	int ret = names_of(diff->removed, &l);
	if (ret == HS_EOK) {
		ret = names_of(diff->added, &l);
	}
	if (ret == HS_EOK && l.n > 1) {
		qsort(l.v, l.n, sizeof(*l.v), canon_cmp);
	}
	const knot_dname_t *origin = hs_zone_origin(now);
	knot_rrset_t ns;
	bool have_ns = hs_zone_find(now, origin, KNOT_RRTYPE_NS, &ns) == HS_EOK;
	for (size_t i = 0; ret == HS_EOK && have_ns && i < l.n; i++) {
		if (names_target(diff->removed, l.v[i]) || names_target(diff->added, l.v[i])) {
			continue;
		}
		knot_rdata_t *rd = ns.rrs.rdata;
		for (uint16_t j = 0; ret == HS_EOK && j < ns.rrs.count; j++, rd = knot_rdataset_next(rd)) {
			if (hs_dname_equal(knot_ns_name(rd), l.v[i])) {
				ret = hs_chgs_add(chgs, HS_CHG_ADD, origin, KNOT_RRTYPE_NS, ns.ttl,
				                  rd->data, rd->len);
			}
		}
	}
	names_free(&l);
	return ret;
}

static int replace_dels(hs_zone_t *old, hs_zone_t *now, hs_chgs_t *chgs)
{
	const knot_dname_t *origin = hs_zone_origin(now);
	int ret = hs_chgs_add(chgs, HS_CHG_DEL_RRSET, origin, KNOT_RRTYPE_NS, 0, NULL, 0);
	if (ret == HS_EOK) {
		ret = hs_chgs_add(chgs, HS_CHG_DEL_RRSET, origin, KNOT_RRTYPE_DS, 0, NULL, 0);
	}
	name_list_t l = { 0 };
	if (ret == HS_EOK) {
		ret = names_of(old, &l);
	}
	if (ret == HS_EOK) {
		ret = names_of(now, &l);
	}
	if (ret == HS_EOK && l.n > 1) {
		qsort(l.v, l.n, sizeof(*l.v), canon_cmp);
	}
	for (size_t i = 0; ret == HS_EOK && i < l.n; i++) {
		ret = hs_chgs_add(chgs, HS_CHG_DEL_RRSET, l.v[i], KNOT_RRTYPE_A, 0, NULL, 0);
		if (ret == HS_EOK) {
			ret = hs_chgs_add(chgs, HS_CHG_DEL_RRSET, l.v[i], KNOT_RRTYPE_AAAA, 0, NULL, 0);
		}
	}
	names_free(&l);
	return ret;
}

int hs_deleg_changes(hs_zone_t *old, hs_zone_t *now, hs_deleg_mode_t mode,
                     hs_chgs_t *chgs, bool *changed)
{
	if (now == NULL || chgs == NULL || (mode != HS_DELEG_DELTA && mode != HS_DELEG_REPLACE)) {
		return HS_EINVAL;
	}
	hs_zone_t *empty = NULL;
	if (old == NULL) {
		int r = hs_zone_new(hs_zone_origin(now), KNOT_CLASS_IN, &empty);
		if (r != HS_EOK) {
			return r;
		}
		old = empty;
	}
	hs_diff_t *diff = NULL;
	int ret = hs_zone_diff(old, now, &diff);
	bool differ = ret == HS_EOK && !hs_diff_empty(diff);
	size_t n0 = chgs->n;
	if (differ && mode == HS_DELEG_DELTA) {
		ret = append_zone(diff->removed, HS_CHG_DEL_RR, chgs);
		/* a DEL_RR has TTL 0; an RRset whose TTL changed is removed and re-added whole */
		if (ret == HS_EOK) {
			ret = append_zone(diff->added, HS_CHG_ADD, chgs);
		}
		if (ret == HS_EOK) {
			ret = delta_glue_ns(diff, now, chgs);
		}
	} else if (differ) {
		ret = replace_dels(old, now, chgs);
		if (ret == HS_EOK) {
			ret = append_zone(now, HS_CHG_ADD, chgs);
		}
	}
	if (ret != HS_EOK) {
		/* leave CHGS as it was */
		for (size_t i = n0; i < chgs->n; i++) {
			free(chgs->v[i].rdata);
		}
		chgs->n = n0;
	} else if (changed != NULL) {
		*changed = differ;
	}
	hs_diff_free(diff);
	hs_zone_free(empty);
	return ret;
}

/* ---- state file --------------------------------------------------------------------- */

int hs_deleg_save(hs_zone_t *zone, const char *path, char *why, size_t whylen)
{
	if (zone == NULL || path == NULL) {
		return HS_EINVAL;
	}
	char *text = NULL;
	size_t tlen = 0, tcap = 0, bsize = 1024;
	char *buf = malloc(bsize);   /* knot_rrset_txt_dump grows it, but wants one */
	if (buf == NULL) {
		return HS_ENOMEM;
	}
	hs_zone_iter_t it;
	int ret = hs_zone_iter_begin(zone, 0, &it);
	knot_rrset_t rr;
	while (ret == HS_EOK && hs_zone_iter_next(&it, &rr)) {
		int n = knot_rrset_txt_dump(&rr, &buf, &bsize, &KNOT_DUMP_STYLE_DEFAULT);
		if (n < 0) {
			ret = n;
			break;
		}
		if (tlen + (size_t)n + 1 > tcap) {
			size_t cap = 2 * (tlen + (size_t)n + 1);
			char *t = realloc(text, cap);
			if (t == NULL) {
				ret = HS_ENOMEM;
				break;
			}
			text = t;
			tcap = cap;
		}
		memcpy(text + tlen, buf, n);
		tlen += n;
	}
	free(buf);
	if (ret != HS_EOK) {
		free(text);
		return ret;
	}
	const hs_state_opts_t o = { .mode = 0644, .why = why, .whylen = whylen };
	ret = hs_state_writeat(AT_FDCWD, path, text, tlen, &o);
	free(text);
	return ret;
}

static int load_rr(const knot_rrset_t *rr, void *ctx)
{
	return hs_zone_add(ctx, rr, NULL);
}

int hs_deleg_load(const char *path, const knot_dname_t *origin, hs_zone_t **out,
                  char *why, size_t whylen)
{
	if (path == NULL || origin == NULL || out == NULL) {
		return HS_EINVAL;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if (why != NULL && whylen > 0) {
			snprintf(why, whylen, "%s: no such file", path);
		}
		return HS_ENOTFOUND;
	}
	char otext[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(otext, origin, sizeof(otext)) == NULL) {
		return HS_ENAME;
	}
	hs_zone_t *z = NULL;
	int ret = hs_zone_new(origin, KNOT_CLASS_IN, &z);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = hs_zonefile_read(path, otext, load_rr, z, why, whylen);
	if (ret != HS_EOK) {
		if (ret == KNOT_EOUTOFZONE && why != NULL && whylen > 0) {
			snprintf(why, whylen, "%s: a name outside %s", path, otext);
		}
		hs_zone_free(z);
		return ret;
	}
	*out = z;
	return HS_EOK;
}

bool hs_deleg_is_sender(const hs_hsync_t *hsync, size_t n, const knot_dname_t *self,
                        bool (*operational)(const knot_dname_t *identity, void *ctx), void *ctx)
{
	if (hsync == NULL || self == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const hs_hsync_t *h = &hsync[i];
		if (h->state != HS_HSYNC_STATE_ON || h->sign != HS_HSYNC_SIGN_SIGN) {
			continue;
		}
		if (hs_dname_equal(h->identity, self)) {
			return true;
		}
		if (operational != NULL && operational(h->identity, ctx)) {
			return false;
		}
	}
	return false;
}

/* ---- bootstrap and KeyState ------------------------------------------------------ */

int hs_deleg_bootstrap_new(const knot_dname_t *parent, const hs_key_t *key, uint32_t ttl,
                           knot_pkt_t **out)
{
	if (parent == NULL || key == NULL || out == NULL || key->rdata.size > UINT16_MAX) {
		return HS_EINVAL;
	}
	hs_chgs_t c;
	hs_chgs_init(&c);
	int ret = hs_chgs_add(&c, HS_CHG_DEL_RRSET, key->owner, HS_RRTYPE_KEY, 0, NULL, 0);
	if (ret == HS_EOK) {
		ret = hs_chgs_add(&c, HS_CHG_ADD, key->owner, HS_RRTYPE_KEY, ttl,
		                  key->rdata.data, (uint16_t)key->rdata.size);
	}
	if (ret == HS_EOK) {
		ret = hs_deleg_update_new(parent, &c, hs_sig0_reserve(key, NULL), out);
	}
	hs_chgs_clear(&c);
	return ret;
}

int hs_deleg_keystate_query_new(const hs_key_t *key, knot_pkt_t **out)
{
	if (key == NULL || out == NULL) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_query_new(key->owner, HS_RRTYPE_KEY, &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	knot_rrset_t opt;
	ret = hs_pkt_opt_begin(pkt, HS_DELEG_EDNS_SIZE, &opt);
	if (ret == KNOT_EOK) {
		hs_keystate_t ks = { .key_id = key->keytag, .state = HS_KS_INQUIRE };
		ret = hs_edns_add_keystate(&opt, &ks, &pkt->mm);
	}
	ret = hs_pkt_opt_end(pkt, &opt, ret);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}

int hs_deleg_keystate_answer(const knot_pkt_t *resp, uint16_t keytag, uint8_t *state)
{
	if (resp == NULL || state == NULL) {
		return HS_EINVAL;
	}
	if (!knot_wire_get_qr(resp->wire) || knot_wire_get_opcode(resp->wire) != KNOT_OPCODE_QUERY) {
		return HS_EDISC_MISMATCH;
	}
	if (knot_wire_get_rcode(resp->wire) != KNOT_RCODE_NOERROR) {
		return HS_EDISC_RCODE;
	}
	hs_keystate_t ks;
	int ret = hs_edns_get_keystate(resp, &ks);
	if (ret != HS_EOK) {
		return ret;
	}
	if (ks.key_id != keytag) {
		return HS_EDISC_MISMATCH;
	}
	*state = ks.state;
	return HS_EOK;
}

hs_deleg_next_t hs_deleg_keystate_action(uint8_t state)
{
	switch (state) {
	case HS_KS_TRUSTED:          return HS_NEXT_UPDATE;
	case HS_KS_UNKNOWN:          return HS_NEXT_BOOTSTRAP;
	case HS_KS_AUTO_BOOTSTRAP:   return HS_NEXT_WAIT;
	case HS_KS_MANUAL_BOOTSTRAP: return HS_NEXT_MANUAL;
	case HS_KS_INVALID:
	case HS_KS_REFUSED:
	case HS_KS_VALIDATION_FAIL:  return HS_NEXT_OPERATOR;
	default:                     return HS_NEXT_RETRY;
	}
}

const char *hs_deleg_next_name(hs_deleg_next_t next)
{
	switch (next) {
	case HS_NEXT_UPDATE:    return "update";
	case HS_NEXT_BOOTSTRAP: return "bootstrap";
	case HS_NEXT_WAIT:      return "wait";
	case HS_NEXT_MANUAL:    return "manual";
	case HS_NEXT_RETRY:     return "retry";
	case HS_NEXT_OPERATOR:  return "operator";
	default:                return "?";
	}
}

int hs_deleg_response_check(const uint8_t *req, size_t reqlen, const uint8_t *resp, size_t len,
                            hs_key_t *const *keys, size_t nkeys, const hs_sig0_opts_t *opts,
                            uint8_t *rcode, int32_t *ede)
{
	if (req == NULL || resp == NULL || rcode == NULL || (nkeys > 0 && keys == NULL)) {
		return HS_EINVAL;
	}
	if (len < KNOT_WIRE_HEADER_SIZE) {
		return HS_EMSG;
	}
	int ret = HS_ESIG0_SIGNER;
	for (size_t i = 0; i < nkeys; i++) {
		ret = hs_sig0_verify(resp, len, req, reqlen, keys[i], opts, NULL);
		if (ret == HS_EOK || ret == HS_ESIG0_NONE || ret == HS_EMSG) {
			break;
		}
	}
	if (ret != HS_EOK) {
		return ret;
	}
	*rcode = knot_wire_get_rcode(resp);
	return ede == NULL ? HS_EOK : hs_deleg_response_ede(resp, len, ede, NULL, 0);
}

int hs_deleg_response_ede(const uint8_t *resp, size_t len, int32_t *ede, char *text,
                          size_t textlen)
{
	if (resp == NULL || ede == NULL) {
		return HS_EINVAL;
	}
	*ede = -1;
	if (text != NULL && textlen > 0) {
		text[0] = '\0';
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_parse_copy(resp, len, 0, &pkt);
	if (ret == HS_ENOMEM) {
		return ret;
	}
	if (ret == HS_EOK && pkt->opt_rr != NULL) {
		uint8_t *o = knot_edns_get_option(pkt->opt_rr, KNOT_EDNS_OPTION_EDE, NULL);
		uint16_t olen = o != NULL ? knot_edns_opt_get_length(o) : 0;
		if (olen >= 2) {
			const uint8_t *d = knot_edns_opt_get_data(o);
			*ede = knot_wire_read_u16(d);
			/* EXTRA-TEXT for a log line: printable ASCII, the rest as '?' */
			size_t n = 0;
			for (uint16_t i = 2; text != NULL && i < olen && n + 1 < textlen; i++) {
				text[n++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
			}
			if (text != NULL && textlen > 0) {
				text[n] = '\0';
			}
		}
	}
	knot_pkt_free(pkt);
	return HS_EOK;
}

/* ---- backoff ------------------------------------------------------------------------ */

void hs_backoff_init(hs_backoff_t *b, uint32_t min, uint32_t max)
{
	if (b == NULL) {
		return;
	}
	b->min = min < HS_DELEG_BACKOFF_MIN ? HS_DELEG_BACKOFF_MIN : min;
	b->max = max < b->min ? b->min : max;
	b->next = b->min;
}

uint32_t hs_backoff_fail(hs_backoff_t *b)
{
	if (b == NULL) {
		return HS_DELEG_BACKOFF_MIN;
	}
	if (b->min < HS_DELEG_BACKOFF_MIN) {
		hs_backoff_init(b, b->min, b->max);
	}
	uint32_t d = b->next < b->min ? b->min : b->next;
	if (d > b->max) {
		d = b->max;
	}
	b->next = d > b->max / 2 ? b->max : 2 * d;
	return d;
}

void hs_backoff_reset(hs_backoff_t *b)
{
	if (b != NULL) {
		b->next = b->min;
	}
}
