/*
 * agentd/parent.c -- the parent's delegation UPDATE receiver and KeyState
 * answers. See parent.h for the rules and their order.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "agentd/parent.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"
#include "libhsync/pkt.h"

#define MAX_SELF_KEYS 8

void hs_parent_result_init(hs_parent_result_t *r)
{
	if (r != NULL) {
		memset(r, 0, sizeof(*r));
		r->ede = -1;
		hs_chgs_init(&r->changes);
	}
}

void hs_parent_result_clear(hs_parent_result_t *r)
{
	if (r != NULL) {
		hs_chgs_clear(&r->changes);
		memset(r, 0, sizeof(*r));
		r->ede = -1;
	}
}

static int refuse(hs_parent_result_t *r, int error, uint8_t rcode, uint16_t sig_error,
                  int32_t ede, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int refuse(hs_parent_result_t *r, int error, uint8_t rcode, uint16_t sig_error,
                  int32_t ede, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->verdict = HS_PARENT_REFUSED;
	r->error = error;
	r->rcode = rcode;
	r->sig_error = sig_error;
	r->ede = ede;
	hs_chgs_clear(&r->changes);
	r->keys_added = 0;
	return HS_EOK;
}

/* ---- signature -------------------------------------------------------------- */

typedef struct {
	hs_key_t *v[MAX_SELF_KEYS];
	size_t n;
} self_keys_t;

static void self_keys_free(self_keys_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		hs_key_free(s->v[i]);
	}
	s->n = 0;
}

/* KEYs the UPDATE adds at the signer name that match the SIG(0)'s tag and algorithm. */
static void self_keys(const knot_pkt_t *pkt, const hs_sig0_info_t *info, self_keys_t *s)
{
	const knot_pktsection_t *up = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < up->count && s->n < MAX_SELF_KEYS; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		if (rr->type != HS_RRTYPE_KEY || rr->rclass != KNOT_CLASS_IN ||
		    !hs_dname_equal(rr->owner, info->signer)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count && s->n < MAX_SELF_KEYS; j++, rd = knot_rdataset_next(rd)) {
			hs_key_t *k = NULL;
			if (hs_key_from_rdata(info->signer, rd->data, rd->len, &k) != HS_EOK) {
				continue;
			}
			if (k->keytag == info->keytag && k->algorithm == info->algorithm) {
				s->v[s->n++] = k;
			} else {
				hs_key_free(k);
			}
		}
	}
}

static const hs_key_t *self_lookup(const hs_sig0_info_t *info, unsigned idx, void *ctx)
{
	const self_keys_t *s = ctx;
	return idx < s->n ? s->v[idx] : NULL;
}

/* Map a verification failure to the answer. */
static int sig_refuse(hs_parent_result_t *r, int ret, const char *who)
{
	switch (ret) {
	case HS_ESIG0_EARLY:
	case HS_ESIG0_EXPIRED:
		return refuse(r, ret, KNOT_RCODE_NOTAUTH, HS_PARENT_BADTIME, HS_EDE_SIG0_BADTIME,
		              "BADTIME: SIG(0) of %s out of the time window (%s)", who, hs_strerror(ret));
	case HS_ESIG0_BADSIG:
	case HS_ESIG0_SIGNER:
	case HS_ESIG0_KEYTAG:
		return refuse(r, ret, KNOT_RCODE_NOTAUTH, HS_PARENT_BADSIG, HS_EDE_SIG0_BADSIG,
		              "BADSIG: SIG(0) of %s does not verify (%s)", who, hs_strerror(ret));
	default:
		return refuse(r, ret, KNOT_RCODE_FORMERR, 0, -1, "SIG(0) of %s unusable (%s)", who,
		              hs_strerror(ret));
	}
}

/* Step 5 for both opcodes: find the SIG(0). Returns 1 when refused, 0 when INFO is good. */
static int sig_parse(const uint8_t *wire, size_t len, hs_sig0_info_t *info,
                     hs_parent_result_t *r, bool required, bool *present)
{
	int ret = hs_sig0_parse(wire, len, info);
	*present = ret == HS_EOK;
	if (ret == HS_EOK) {
		return 0;
	}
	if (ret == HS_ESIG0_NONE && !required) {
		return 0;
	}
	if (ret == HS_ESIG0_NONE || ret == HS_ESIG0_TSIG) {
		refuse(r, ret, KNOT_RCODE_REFUSED, 0, -1, "%s", ret == HS_ESIG0_NONE ?
		       "not SIG(0)-signed" : "TSIG-signed, only SIG(0) is accepted here");
	} else if (ret == HS_ESIG0_ALG) {
		refuse(r, ret, KNOT_RCODE_NOTAUTH, HS_PARENT_BADKEY, HS_EDE_SIG0_BADKEY,
		       "BADKEY: SIG(0) algorithm %u not supported", info->algorithm);
	} else {
		refuse(r, ret, KNOT_RCODE_FORMERR, 0, -1, "SIG(0) malformed (%s)", hs_strerror(ret));
	}
	return 1;
}

/* ---- UPDATE ------------------------------------------------------------------- */

static bool rr_is_meta(uint16_t type)
{
	return type == KNOT_RRTYPE_ANY || type == KNOT_RRTYPE_AXFR || type == KNOT_RRTYPE_IXFR ||
	       type == KNOT_RRTYPE_OPT || type == KNOT_RRTYPE_TSIG || type == HS_RRTYPE_SIG ||
	       type == 0;
}

/* Whether an NS RR added by the UPDATE names TARGET. */
static bool ns_added_names(const knot_pktsection_t *up, const knot_dname_t *child,
                           const knot_dname_t *target)
{
	for (uint16_t i = 0; i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		if (rr->type != KNOT_RRTYPE_NS || rr->rclass != KNOT_CLASS_IN ||
		    !hs_dname_equal(rr->owner, child)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
			if (hs_dname_equal(knot_ns_name(rd), target)) {
				return true;
			}
		}
	}
	return false;
}

/*
 * Step 10: check every update RR and collect the changes. Returns 1 when
 * refused. *only_keys says whether all RRs were KEY.
 */
static int check_rrs(const knot_pkt_t *pkt, const knot_dname_t *child, hs_parent_result_t *r,
                     bool *only_keys)
{
	const knot_pktsection_t *up = knot_pkt_section(pkt, KNOT_AUTHORITY);
	char cname[KNOT_DNAME_TXT_MAXLEN + 1], oname[KNOT_DNAME_TXT_MAXLEN + 1], tname[32];
	hs_dname_text(child, cname, sizeof(cname));
	*only_keys = true;
	for (uint16_t i = 0; i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		hs_dname_text(rr->owner, oname, sizeof(oname));
		hs_rrtype_text(rr->type, tname, sizeof(tname));
		hs_chg_op_t op;
		switch (rr->rclass) {
		case KNOT_CLASS_IN:   op = HS_CHG_ADD; break;
		case KNOT_CLASS_NONE: op = HS_CHG_DEL_RR; break;
		case KNOT_CLASS_ANY:  op = HS_CHG_DEL_RRSET; break;
		default:
			refuse(r, HS_EMSG, KNOT_RCODE_FORMERR, 0, -1, "update RR %s %s has class %u",
			       oname, tname, rr->rclass);
			return 1;
		}
		uint16_t rdlen = rr->rrs.count > 0 ? rr->rrs.rdata->len : 0;
		if ((op != HS_CHG_ADD && rr->ttl != 0) || (op == HS_CHG_DEL_RRSET && rdlen != 0) ||
		    (op != HS_CHG_DEL_RRSET && rdlen == 0)) {
			refuse(r, HS_EMSG, KNOT_RCODE_FORMERR, 0, -1,
			       "update RR %s %s: TTL or RDATA do not fit its class", oname, tname);
			return 1;
		}
		if (rr_is_meta(rr->type)) {
			refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
			       "update RR %s %s: meta type not allowed", oname, tname);
			return 1;
		}
		bool at_child = hs_dname_equal(rr->owner, child);
		bool below = !at_child && hs_dname_in_zone(rr->owner, child);
		if (!at_child && !below) {
			refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
			       "update RR %s %s is outside the delegation of %s", oname, tname, cname);
			return 1;
		}
		if (at_child && rr->type != KNOT_RRTYPE_NS && rr->type != KNOT_RRTYPE_DS &&
		    rr->type != HS_RRTYPE_KEY) {
			refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
			       "update RR %s %s: only NS, DS and KEY at the child", oname, tname);
			return 1;
		}
		if (below && rr->type != KNOT_RRTYPE_A && rr->type != KNOT_RRTYPE_AAAA) {
			refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
			       "update RR %s %s: only glue (A, AAAA) below the child", oname, tname);
			return 1;
		}
		if (below && op == HS_CHG_ADD && !ns_added_names(up, child, rr->owner)) {
			refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
			       "update RR %s %s is not glue: no NS of %s added by this UPDATE names it",
			       oname, tname, cname);
			return 1;
		}
		if (rr->type != HS_RRTYPE_KEY) {
			*only_keys = false;
		}
	}
	return 0;
}

/* Collect the changes (not KEY) in wire order. */
static int collect(const knot_pkt_t *pkt, hs_parent_result_t *r)
{
	const knot_pktsection_t *up = knot_pkt_section(pkt, KNOT_AUTHORITY);
	int ret = HS_EOK;
	for (uint16_t i = 0; ret == HS_EOK && i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		if (rr->type == HS_RRTYPE_KEY) {
			continue;
		}
		hs_chg_op_t op = rr->rclass == KNOT_CLASS_IN ? HS_CHG_ADD :
		                 rr->rclass == KNOT_CLASS_NONE ? HS_CHG_DEL_RR : HS_CHG_DEL_RRSET;
		if (op == HS_CHG_DEL_RRSET) {
			ret = hs_chgs_add(&r->changes, op, rr->owner, rr->type, 0, NULL, 0);
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; ret == HS_EOK && j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
			ret = hs_chgs_add(&r->changes, op, rr->owner, rr->type, rr->ttl, rd->data, rd->len);
		}
	}
	return ret;
}

/* KEY adds become PENDING keys. */
static int add_keys(const hs_parent_conf_t *conf, const knot_pkt_t *pkt,
                    const knot_dname_t *child, time_t now, hs_parent_result_t *r)
{
	const knot_pktsection_t *up = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		if (rr->type != HS_RRTYPE_KEY || rr->rclass != KNOT_CLASS_IN) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
			bool added = false;
			int ret = hs_trust_add_pending(conf->trust, child, rd->data, rd->len, now, &added);
			if (ret == HS_ENOMEM) {
				return ret;
			}
			r->keys_added += added;
		}
	}
	return HS_EOK;
}

/* Check every KEY add is a usable key before anything is applied. Returns 1 if refused. */
static int check_keys(const knot_pkt_t *pkt, const knot_dname_t *child, hs_parent_result_t *r)
{
	const knot_pktsection_t *up = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		if (rr->type != HS_RRTYPE_KEY || rr->rclass != KNOT_CLASS_IN) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++, rd = knot_rdataset_next(rd)) {
			hs_key_t *k = NULL;
			int ret = hs_key_from_rdata(child, rd->data, rd->len, &k);
			hs_key_free(k);
			if (ret != HS_EOK) {
				refuse(r, ret, KNOT_RCODE_REFUSED, 0, -1, "KEY in the UPDATE unusable (%s)",
				       hs_strerror(ret));
				return 1;
			}
		}
	}
	return 0;
}

static int handle_update(const hs_parent_conf_t *conf, const uint8_t *wire, size_t len,
                         const knot_pkt_t *pkt, hs_parent_result_t *r)
{
	char zname[KNOT_DNAME_TXT_MAXLEN + 1], sname[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_wire_get_qdcount(pkt->wire) != 1 || knot_pkt_qtype(pkt) != KNOT_RRTYPE_SOA ||
	    knot_pkt_qclass(pkt) != KNOT_CLASS_IN) {
		return refuse(r, HS_EMSG, KNOT_RCODE_FORMERR, 0, -1, "zone section is not one ZONE SOA IN");
	}
	if (!hs_dname_equal(knot_pkt_qname(pkt), conf->zone)) {
		hs_dname_text(knot_pkt_qname(pkt), zname, sizeof(zname));
		return refuse(r, HS_ENOTFOUND, KNOT_RCODE_NOTAUTH, 0, -1, "zone %s is not ours", zname);
	}
	hs_sig0_info_t info;
	memset(&info, 0, sizeof(info));
	bool present = false;
	if (sig_parse(wire, len, &info, r, true, &present)) {
		return HS_EOK;
	}
	memcpy(r->child, info.signer, knot_dname_size(info.signer));
	knot_dname_to_lower(r->child);
	r->keytag = info.keytag;
	r->algorithm = info.algorithm;
	hs_dname_text(info.signer, sname, sizeof(sname));

	/* 6, 7: key and signature */
	self_keys_t self = { .n = 0 };
	const hs_trust_entry_t *entry = NULL;
	bool self_signed = false;
	int ret;
	if (hs_trust_lookup(&info, 0, conf->trust) != NULL) {
		ret = hs_sig0_verify_with(wire, len, NULL, 0, hs_trust_lookup, conf->trust,
		                          &conf->sig0, &info);
		if (ret == HS_EOK) {
			/* which key verified: try them one by one (few share a tag) */
			const hs_key_t *k;
			for (unsigned i = 0; (k = hs_trust_lookup(&info, i, conf->trust)) != NULL; i++) {
				if (hs_sig0_verify(wire, len, NULL, 0, k, &conf->sig0, NULL) == HS_EOK) {
					entry = hs_trust_entry_of(conf->trust, k);
					break;
				}
			}
		}
	} else {
		self_keys(pkt, &info, &self);
		if (self.n == 0) {
			return refuse(r, HS_ESIG0_SIGNER, KNOT_RCODE_NOTAUTH, HS_PARENT_BADKEY,
			              HS_EDE_SIG0_BADKEY, "BADKEY: no key %s/%u/%u known", sname,
			              info.algorithm, info.keytag);
		}
		ret = hs_sig0_verify_with(wire, len, NULL, 0, self_lookup, &self, &conf->sig0, &info);
		self_signed = true;
		self_keys_free(&self);
	}
	if (ret != HS_EOK) {
		return sig_refuse(r, ret, sname);
	}
	if (!self_signed && entry == NULL) {
		/* cannot happen: the key that verified is in the store; never treat it as trusted */
		return refuse(r, HS_ENOTFOUND, KNOT_RCODE_SERVFAIL, 0, -1,
		              "key %u of %s verified but is not in the trust store", info.keytag, sname);
	}
	/* 8: the signer is the child */
	if (!hs_dname_in_zone(r->child, conf->zone) || hs_dname_equal(r->child, conf->zone)) {
		hs_dname_text(conf->zone, zname, sizeof(zname));
		return refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
		              "signer %s is not a child of %s", sname, zname);
	}
	/* 9: prerequisites */
	if (knot_pkt_section(pkt, KNOT_ANSWER)->count > 0) {
		return refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
		              "prerequisites are not supported (child %s)", sname);
	}
	/* 10: the RRs */
	bool only_keys = true;
	if (check_rrs(pkt, r->child, r, &only_keys) || check_keys(pkt, r->child, r)) {
		return HS_EOK;
	}
	/* 11: trust */
	if (self_signed && !only_keys) {
		return refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1,
		              "key %u of %s is unknown: only a bootstrap (KEY RRs) may be self-signed",
		              info.keytag, sname);
	}
	if (entry != NULL && entry->state != HS_TRUST_TRUSTED && !only_keys) {
		return refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, HS_EDE_SIG0_UNTRUSTED,
		              "key %u of %s is %s, not trusted", info.keytag, sname,
		              hs_trust_state_name(entry->state));
	}
	/* accepted */
	time_t now = conf->sig0.now ? conf->sig0.now : time(NULL);
	ret = collect(pkt, r);
	if (ret == HS_EOK) {
		ret = add_keys(conf, pkt, r->child, now, r);
	}
	if (ret != HS_EOK) {
		refuse(r, ret, KNOT_RCODE_SERVFAIL, 0, -1, "%s", hs_strerror(ret));
		return HS_EOK;
	}
	r->verdict = only_keys ? HS_PARENT_BOOTSTRAP : HS_PARENT_APPLY;
	r->rcode = KNOT_RCODE_NOERROR;
	r->error = 0;
	snprintf(r->reason, sizeof(r->reason), "%s from %s key %u: %zu change(s), %u new key(s)",
	         only_keys ? "bootstrap" : "update", sname, info.keytag, r->changes.n, r->keys_added);
	return HS_EOK;
}

/* ---- KeyState ----------------------------------------------------------------------- */

static int handle_keystate(const hs_parent_conf_t *conf, const uint8_t *wire, size_t len,
                           const knot_pkt_t *pkt, hs_parent_result_t *r)
{
	if (knot_wire_get_qdcount(pkt->wire) != 1) {
		return refuse(r, HS_EMSG, KNOT_RCODE_FORMERR, 0, -1, "not one question");
	}
	hs_keystate_t ks;
	int ret = hs_edns_get_keystate(pkt, &ks);
	if (ret == HS_ENOTFOUND) {
		return refuse(r, ret, KNOT_RCODE_REFUSED, 0, -1, "only KeyState queries are answered");
	}
	if (ret != HS_EOK) {
		return refuse(r, ret, KNOT_RCODE_FORMERR, 0, -1, "KeyState option: %s", hs_strerror(ret));
	}
	const knot_dname_t *child = knot_pkt_qname(pkt);
	memcpy(r->child, child, knot_dname_size(child));
	knot_dname_to_lower(r->child);
	r->keytag = ks.key_id;
	char cname[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(child, cname, sizeof(cname));
	if (!hs_dname_in_zone(r->child, conf->zone) || hs_dname_equal(r->child, conf->zone)) {
		return refuse(r, HS_EINVAL, KNOT_RCODE_REFUSED, 0, -1, "%s is not a child of ours", cname);
	}
	hs_sig0_info_t info;
	memset(&info, 0, sizeof(info));
	bool present = false;
	if (sig_parse(wire, len, &info, r, false, &present)) {
		return HS_EOK;
	}
	if (present) {
		if (hs_trust_lookup(&info, 0, conf->trust) != NULL) {
			ret = hs_sig0_verify_with(wire, len, NULL, 0, hs_trust_lookup, conf->trust,
			                          &conf->sig0, &info);
			if (ret != HS_EOK) {
				return sig_refuse(r, ret, cname);
			}
		}
	}
	r->keystate = hs_trust_keystate(conf->trust, r->child, ks.key_id);
	r->verdict = HS_PARENT_KEYSTATE;
	r->rcode = KNOT_RCODE_NOERROR;
	snprintf(r->reason, sizeof(r->reason), "KeyState of %s key %u: %s", cname, ks.key_id,
	         hs_keystate_state_name(r->keystate));
	return HS_EOK;
}

int hs_parent_handle(const hs_parent_conf_t *conf, const uint8_t *wire, size_t len,
                     hs_parent_result_t *r)
{
	if (conf == NULL || conf->zone == NULL || conf->trust == NULL || wire == NULL || r == NULL) {
		return HS_EINVAL;
	}
	hs_parent_result_clear(r);
	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(wire)) {
		return HS_EMSG;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_pkt_parse_copy(wire, len, 0, &pkt);
	if (ret == HS_ENOMEM) {
		return ret;
	}
	if (ret != HS_EOK) {
		refuse(r, HS_EMSG, KNOT_RCODE_FORMERR, 0, -1, "malformed message (%s)", hs_strerror(ret));
		ret = HS_EOK;
	} else {
		switch (knot_wire_get_opcode(wire)) {
		case KNOT_OPCODE_UPDATE:
			ret = handle_update(conf, wire, len, pkt, r);
			break;
		case KNOT_OPCODE_QUERY:
			ret = handle_keystate(conf, wire, len, pkt, r);
			break;
		default:
			ret = refuse(r, HS_EINVAL, KNOT_RCODE_NOTIMPL, 0, -1, "opcode %u not implemented",
			             knot_wire_get_opcode(wire));
		}
	}
	knot_pkt_free(pkt);
	return ret;
}

/* ---- responses ------------------------------------------------------------------------- */

/* The question of REQ if it parses: name (into buf), type, class. */
static bool req_question(const uint8_t *req, size_t len, uint8_t *name, uint16_t *type,
                         uint16_t *rclass)
{
	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qdcount(req) < 1) {
		return false;
	}
	const uint8_t *p = req + KNOT_WIRE_HEADER_SIZE;
	int nlen = knot_dname_wire_check(p, req + len, NULL);
	if (nlen <= 0 || p + nlen + 4 > req + len) {
		return false;
	}
	memcpy(name, p, nlen);
	*type = knot_wire_read_u16(p + nlen);
	*rclass = knot_wire_read_u16(p + nlen + 2);
	return true;
}

int hs_parent_response(const hs_parent_conf_t *conf, const uint8_t *req, size_t reqlen,
                       const hs_parent_result_t *r, knot_pkt_t **out)
{
	if (conf == NULL || req == NULL || r == NULL || out == NULL || reqlen < KNOT_WIRE_HEADER_SIZE) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	knot_wire_set_id(pkt->wire, knot_wire_get_id(req));
	knot_wire_set_opcode(pkt->wire, knot_wire_get_opcode(req));
	knot_wire_set_qr(pkt->wire);
	if (knot_wire_get_rd(req)) {
		knot_wire_set_rd(pkt->wire);
	}
	knot_wire_set_rcode(pkt->wire, r->rcode & 0x0f);
	knot_dname_storage_t qname;
	uint16_t qtype, qclass;
	int ret = KNOT_EOK;
	if (req_question(req, reqlen, qname, &qtype, &qclass)) {
		ret = knot_pkt_put_question(pkt, qname, qclass, qtype);
	}
	bool opt_needed = r->ede >= 0 || r->verdict == HS_PARENT_KEYSTATE;
	if (ret == KNOT_EOK && opt_needed) {
		knot_rrset_t opt;
		ret = hs_pkt_opt_begin(pkt, HS_PARENT_EDNS_SIZE, &opt);
		if (ret == KNOT_EOK && r->ede >= 0) {
			uint8_t ede[2 + 256];
			size_t tlen = strnlen(r->reason, 256);
			knot_wire_write_u16(ede, (uint16_t)r->ede);
			memcpy(ede + 2, r->reason, tlen);
			ret = knot_edns_add_option(&opt, KNOT_EDNS_OPTION_EDE, 2 + tlen, ede, &pkt->mm);
		}
		if (ret == KNOT_EOK && r->verdict == HS_PARENT_KEYSTATE) {
			hs_keystate_t ks = { .key_id = r->keytag, .state = r->keystate };
			ret = hs_edns_add_keystate(&opt, &ks, &pkt->mm);
		}
		ret = hs_pkt_opt_end(pkt, &opt, ret);
	}
	if (ret == KNOT_EOK) {
		/* libknot writes the RCODE into the header; keep ours */
		knot_wire_set_rcode(pkt->wire, r->rcode & 0x0f);
	}
	if (ret == KNOT_EOK && conf->key != NULL) {
		ret = hs_sig0_sign_pkt(pkt, conf->key, req, reqlen, &conf->sig0);
	}
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}

int hs_parent_primary_update(const knot_dname_t *zone, const hs_chgs_t *chgs,
                             const knot_tsig_key_t *key, hs_tsig_ctx_t *ctx, knot_pkt_t **out)
{
	if (zone == NULL || chgs == NULL || key == NULL || ctx == NULL || out == NULL || chgs->n == 0) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = NULL;
	int ret = hs_deleg_update_new(zone, chgs, hs_tsig_space(key), &pkt);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = hs_tsig_sign_query(pkt, key, ctx);
	if (ret != HS_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}
