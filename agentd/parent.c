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

static const char *type_text(uint16_t type, char *buf, size_t size)
{
	if (knot_rrtype_to_string(type, buf, size) < 0) {
		snprintf(buf, size, "TYPE%u", type);
	}
	return buf;
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
		type_text(rr->type, tname, sizeof(tname));
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

int hs_parent_ds_check(const hs_chgs_t *chgs, const knot_dname_t *child,
                       const knot_rrset_t *dnskey, char *why, size_t whylen)
{
	if (chgs == NULL || child == NULL) {
		return HS_EINVAL;
	}
	char cname[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(child, cname, sizeof(cname));
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (c->op != HS_CHG_ADD || c->type != KNOT_RRTYPE_DS || !hs_dname_equal(c->owner, child)) {
			continue;
		}
		if (c->len < 5) {
			if (why != NULL) {
				snprintf(why, whylen, "DS of %s too short", cname);
			}
			return HS_ENOTFOUND;
		}
		uint16_t tag = knot_wire_read_u16(c->rdata);
		uint8_t digest = c->rdata[3];
		if (digest != HS_DS_SHA256 && digest != HS_DS_SHA384) {
			if (why != NULL) {
				snprintf(why, whylen, "DS %u of %s: digest type %u not checked", tag, cname, digest);
			}
			return HS_EDIGEST;
		}
		bool found = false;
		knot_rdata_t *rd = dnskey != NULL ? dnskey->rrs.rdata : NULL;
		for (uint16_t j = 0; !found && dnskey != NULL && j < dnskey->rrs.count;
		     j++, rd = knot_rdataset_next(rd)) {
			uint8_t ds[HS_DS_MAXLEN];
			size_t len = 0;
			found = hs_dnssec_ds(child, rd->data, rd->len, digest, ds, sizeof(ds), &len) == HS_EOK &&
			        len == c->len && memcmp(ds, c->rdata, len) == 0;
		}
		if (!found) {
			if (why != NULL) {
				snprintf(why, whylen, "DS %u of %s matches no DNSKEY the child serves", tag, cname);
			}
			return HS_ENOTFOUND;
		}
	}
	return HS_EOK;
}

/* ---- the CSYNC scanner's NS and glue rule ----------------------------------------------- */

static bool glue_type(uint16_t type)
{
	return type == KNOT_RRTYPE_A || type == KNOT_RRTYPE_AAAA;
}

/* A change of the NS RRset at CHILD or of glue below it. */
static bool ns_or_glue(const hs_chg_t *c, const knot_dname_t *child)
{
	if (hs_dname_equal(c->owner, child)) {
		return c->type == KNOT_RRTYPE_NS;
	}
	return glue_type(c->type) && hs_dname_in_zone(c->owner, child);
}

bool hs_parent_touches_ns(const hs_chgs_t *chgs, const knot_dname_t *child)
{
	for (size_t i = 0; chgs != NULL && child != NULL && i < chgs->n; i++) {
		if (ns_or_glue(&chgs->v[i], child)) {
			return true;
		}
	}
	return false;
}

/* An NS RDATA that holds one whole name. */
static bool ns_rdata_ok(const uint8_t *rdata, uint16_t len)
{
	return rdata != NULL && len > 0 && knot_dname_wire_check(rdata, rdata + len, NULL) == len;
}

/* The same RDATA of TYPE: NS targets compared case-insensitively, the rest byte for byte. */
static bool same_rdata(uint16_t type, const uint8_t *a, uint16_t alen, const uint8_t *b,
                       uint16_t blen)
{
	if (type == KNOT_RRTYPE_NS) {
		return ns_rdata_ok(a, alen) && ns_rdata_ok(b, blen) && hs_dname_equal(a, b);
	}
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Whether SET (may be NULL) holds RDATA. */
static bool set_has(const knot_rrset_t *set, uint16_t type, const uint8_t *rdata, uint16_t len)
{
	knot_rdata_t *rd = set != NULL ? set->rrs.rdata : NULL;
	for (uint16_t i = 0; set != NULL && i < set->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (same_rdata(type, rd->data, rd->len, rdata, len)) {
			return true;
		}
	}
	return false;
}

/*
 * RDATA at OWNER/TYPE after CHGS, applied in order: 1 present, 0 absent,
 * -1 when no change decides it.
 */
static int after(const hs_chgs_t *chgs, const knot_dname_t *owner, uint16_t type,
                 const uint8_t *rdata, uint16_t len)
{
	int st = -1;
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (c->type != type || !hs_dname_equal(c->owner, owner)) {
			continue;
		}
		if (c->op == HS_CHG_DEL_RRSET) {
			st = 0;
		} else if (same_rdata(type, c->rdata, c->len, rdata, len)) {
			st = c->op == HS_CHG_ADD ? 1 : 0;
		}
	}
	return st;
}

/* Whether change I is the first in CHGS of its owner and type. */
static bool first_of(const hs_chgs_t *chgs, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (chgs->v[k].type == chgs->v[i].type &&
		    hs_dname_equal(chgs->v[k].owner, chgs->v[i].owner)) {
			return false;
		}
	}
	return true;
}

/* Whether the NS RRset NS (may be NULL) names NAME. */
static bool ns_names(const knot_rrset_t *ns, const knot_dname_t *name)
{
	return set_has(ns, KNOT_RRTYPE_NS, name, knot_dname_size(name));
}

/* RDATA of an NS, A or AAAA as text, for reasons. */
static const char *rdata_text(uint16_t type, const uint8_t *rdata, uint16_t len, char *buf,
                              size_t size)
{
	if (type == KNOT_RRTYPE_NS && ns_rdata_ok(rdata, len)) {
		return hs_dname_text(rdata, buf, size);
	}
	if ((type == KNOT_RRTYPE_A && len == 4 && inet_ntop(AF_INET, rdata, buf, size) != NULL) ||
	    (type == KNOT_RRTYPE_AAAA && len == 16 && inet_ntop(AF_INET6, rdata, buf, size) != NULL)) {
		return buf;
	}
	snprintf(buf, size, "(%u bytes)", len);
	return buf;
}

static int why_set(char *why, size_t whylen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_set(char *why, size_t whylen, int code, const char *fmt, ...)
{
	if (why != NULL && whylen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * The RRset OWNER/TYPE that CHGS change, against SERVED, what the child
 * (CNAME, for reasons) serves there.
 */
static int check_set(const hs_chgs_t *chgs, const knot_dname_t *owner, uint16_t type,
                     const knot_rrset_t *served, const char *cname, char *why, size_t whylen)
{
	char oname[KNOT_DNAME_TXT_MAXLEN + 1], tname[32], data[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(owner, oname, sizeof(oname));
	type_text(type, tname, sizeof(tname));
	bool ns = type == KNOT_RRTYPE_NS;
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (c->op == HS_CHG_DEL_RRSET || c->type != type || !hs_dname_equal(c->owner, owner)) {
			continue;
		}
		if (ns && !ns_rdata_ok(c->rdata, c->len)) {
			return why_set(why, whylen, HS_EINVAL, "NS RDATA of %s malformed", oname);
		}
		int st = after(chgs, owner, type, c->rdata, c->len);
		bool has = set_has(served, type, c->rdata, c->len);
		rdata_text(type, c->rdata, c->len, data, sizeof(data));
		if (st == 1 && !has) {
			return ns ? why_set(why, whylen, HS_ENOTFOUND,
			                    "NS %s is not in the NS RRset %s serves", data, cname) :
			            why_set(why, whylen, HS_ENOTFOUND,
			                    "glue %s %s %s is not an address %s serves for %s", oname,
			                    tname, data, cname, oname);
		}
		if (st == 0 && has) {
			return ns ? why_set(why, whylen, HS_EEXIST,
			                    "NS %s deleted, but %s still serves it", data, cname) :
			            why_set(why, whylen, HS_EEXIST,
			                    "glue %s %s %s deleted, but %s still serves it", oname, tname,
			                    data, cname);
		}
	}
	knot_rdata_t *rd = served != NULL ? served->rrs.rdata : NULL;
	for (uint16_t i = 0; served != NULL && i < served->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (after(chgs, owner, type, rd->data, rd->len) == 0) {
			rdata_text(type, rd->data, rd->len, data, sizeof(data));
			return why_set(why, whylen, HS_EEXIST,
			               "the UPDATE replaces the %s RRset of %s without %s, which %s serves",
			               tname, oname, data, cname);
		}
	}
	return HS_EOK;
}

static const knot_rrset_t *glue_of(const knot_rrset_t *glue, size_t n, const knot_dname_t *owner,
                                   uint16_t type)
{
	for (size_t i = 0; glue != NULL && i < n; i++) {
		if (glue[i].type == type && glue[i].owner != NULL && hs_dname_equal(glue[i].owner, owner)) {
			return &glue[i];
		}
	}
	return NULL;
}

int hs_parent_glue_lookups(const hs_chgs_t *chgs, const knot_dname_t *child,
                           const knot_rrset_t *ns, hs_parent_glueq_t *out, size_t max, size_t *n)
{
	if (chgs == NULL || child == NULL || n == NULL || (out == NULL && max > 0)) {
		return HS_EINVAL;
	}
	*n = 0;
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (!ns_or_glue(c, child) || c->type == KNOT_RRTYPE_NS || !first_of(chgs, i) ||
		    !ns_names(ns, c->owner)) {
			continue;
		}
		if (*n == max) {
			return HS_ESPACE;
		}
		knot_dname_copy_lower(out[*n].owner, c->owner);
		out[*n].type = c->type;
		(*n)++;
	}
	return HS_EOK;
}

int hs_parent_ns_check(const hs_chgs_t *chgs, const knot_dname_t *child, const knot_rrset_t *ns,
                       const knot_rrset_t *glue, size_t nglue, char *why, size_t whylen)
{
	if (chgs == NULL || child == NULL) {
		return HS_EINVAL;
	}
	if (!hs_parent_touches_ns(chgs, child)) {
		return HS_EOK;
	}
	char cname[KNOT_DNAME_TXT_MAXLEN + 1];
	hs_dname_text(child, cname, sizeof(cname));
	if (ns == NULL || ns->rrs.count == 0) {
		return why_set(why, whylen, HS_ENOTFOUND, "%s serves no NS RRset", cname);
	}
	for (size_t i = 0; i < chgs->n; i++) {
		const hs_chg_t *c = &chgs->v[i];
		if (!ns_or_glue(c, child) || !first_of(chgs, i)) {
			continue;
		}
		int ret;
		if (c->type == KNOT_RRTYPE_NS) {
			ret = check_set(chgs, child, KNOT_RRTYPE_NS, ns, cname, why, whylen);
		} else if (ns_names(ns, c->owner)) {
			ret = check_set(chgs, c->owner, c->type, glue_of(glue, nglue, c->owner, c->type),
			                cname, why, whylen);
		} else {
			/* not a nameserver of the child: no glue may be added there */
			ret = HS_EOK;
			for (size_t k = i; ret == HS_EOK && k < chgs->n; k++) {
				const hs_chg_t *a = &chgs->v[k];
				if (a->op != HS_CHG_ADD || a->type != c->type || !hs_dname_equal(a->owner, c->owner) ||
				    after(chgs, a->owner, a->type, a->rdata, a->len) != 1) {
					continue;
				}
				char oname[KNOT_DNAME_TXT_MAXLEN + 1], tname[32], data[64];
				ret = why_set(why, whylen, HS_ENOTFOUND,
				              "glue %s %s %s: %s is not a nameserver in the NS RRset %s serves",
				              hs_dname_text(a->owner, oname, sizeof(oname)),
				              type_text(a->type, tname, sizeof(tname)),
				              rdata_text(a->type, a->rdata, a->len, data, sizeof(data)), oname,
				              cname);
			}
		}
		if (ret != HS_EOK) {
			return ret;
		}
	}
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
