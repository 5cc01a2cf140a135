/*
 * libhsync/edns.c -- the KeyState and Provider-Sync EDNS(0) options.
 */
#include <string.h>

#include <libknot/libknot.h>

#include "libhsync/codepoints.h"
#include "libhsync/edns.h"
#include "libhsync/error.h"

/* Largest option data that fits the 16-bit OPTION-LENGTH. */
#define OPT_MAXLEN 0xffff

static const char *const ks_names[] = {
	[HS_KS_MALFORMED]        = "MALFORMED",
	[HS_KS_TEMPFAIL]         = "TEMPFAIL",
	[HS_KS_INQUIRE]          = "INQUIRE",
	[HS_KS_TRUSTED]          = "TRUSTED",
	[HS_KS_UNKNOWN]          = "UNKNOWN",
	[HS_KS_INVALID]          = "INVALID",
	[HS_KS_REFUSED]          = "REFUSED",
	[HS_KS_VALIDATION_FAIL]  = "VALIDATION-FAIL",
	[HS_KS_AUTO_BOOTSTRAP]   = "AUTO-BOOTSTRAP",
	[HS_KS_MANUAL_BOOTSTRAP] = "MANUAL-BOOTSTRAP",
};

int hs_keystate_state_ok(uint8_t state)
{
	return state < sizeof(ks_names) / sizeof(ks_names[0]) && ks_names[state] != NULL;
}

const char *hs_keystate_state_name(uint8_t state)
{
	return hs_keystate_state_ok(state) ? ks_names[state] : NULL;
}

static int ps_op_ok(uint8_t op)
{
	return op == HS_PS_OP_HELLO || op == HS_PS_OP_HEARTBEAT || op >= HS_PS_OP_PRIVATE_MIN;
}

int hs_keystate_check(const hs_keystate_t *ks)
{
	if (ks == NULL || (ks->text == NULL && ks->text_len > 0)) {
		return HS_EINVAL;
	}
	if (!hs_keystate_state_ok(ks->state)) {
		return HS_EKS_STATE;
	}
	if (ks->text_len > OPT_MAXLEN - HS_KEYSTATE_MINLEN) {
		return HS_EOPT_LEN;
	}
	return HS_EOK;
}

int hs_provsync_check(const hs_provsync_t *ps)
{
	if (ps == NULL || (ps->body == NULL && ps->body_len > 0)) {
		return HS_EINVAL;
	}
	if (!ps_op_ok(ps->op)) {
		return HS_EPS_OP;
	}
	if (!(ps->transport & HS_PS_TRANSPORT_DNS)) {
		return HS_EPS_TRANSPORT;
	}
	if (ps->body_len > OPT_MAXLEN - HS_PROVSYNC_MINLEN) {
		return HS_EOPT_LEN;
	}
	return HS_EOK;
}

size_t hs_keystate_size(const hs_keystate_t *ks)
{
	return ks == NULL ? 0 : HS_KEYSTATE_MINLEN + ks->text_len;
}

size_t hs_provsync_size(const hs_provsync_t *ps)
{
	return ps == NULL ? 0 : HS_PROVSYNC_MINLEN + ps->body_len;
}

int hs_keystate_encode(const hs_keystate_t *ks, uint8_t *out, size_t cap, size_t *outlen)
{
	int ret = hs_keystate_check(ks);
	if (ret != HS_EOK) {
		return ret;
	}
	if (out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	size_t need = hs_keystate_size(ks);
	if (cap < need) {
		return HS_ESPACE;
	}
	out[0] = ks->key_id >> 8;
	out[1] = ks->key_id & 0xff;
	out[2] = ks->state;
	out[3] = ks->data;
	if (ks->text_len > 0) {
		memmove(out + HS_KEYSTATE_MINLEN, ks->text, ks->text_len);
	}
	*outlen = need;
	return HS_EOK;
}

int hs_provsync_encode(const hs_provsync_t *ps, uint8_t *out, size_t cap, size_t *outlen)
{
	int ret = hs_provsync_check(ps);
	if (ret != HS_EOK) {
		return ret;
	}
	if (out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	size_t need = hs_provsync_size(ps);
	if (cap < need) {
		return HS_ESPACE;
	}
	out[0] = ps->op;
	out[1] = ps->transport;
	out[2] = ps->sync;
	out[3] = 0;
	if (ps->body_len > 0) {
		memmove(out + HS_PROVSYNC_MINLEN, ps->body, ps->body_len);
	}
	*outlen = need;
	return HS_EOK;
}

int hs_keystate_decode(const uint8_t *data, size_t len, hs_keystate_t *out)
{
	if ((data == NULL && len > 0) || out == NULL) {
		return HS_EINVAL;
	}
	if (len < HS_KEYSTATE_MINLEN || len > OPT_MAXLEN) {
		return HS_EOPT_LEN;
	}
	if (!hs_keystate_state_ok(data[2])) {
		return HS_EKS_STATE;
	}
	out->key_id = (uint16_t)(data[0] << 8 | data[1]);
	out->state = data[2];
	out->data = data[3];
	out->text_len = len - HS_KEYSTATE_MINLEN;
	out->text = out->text_len > 0 ? data + HS_KEYSTATE_MINLEN : NULL;
	return HS_EOK;
}

int hs_provsync_decode(const uint8_t *data, size_t len, hs_provsync_t *out)
{
	if ((data == NULL && len > 0) || out == NULL) {
		return HS_EINVAL;
	}
	if (len < HS_PROVSYNC_MINLEN || len > OPT_MAXLEN) {
		return HS_EOPT_LEN;
	}
	if (!ps_op_ok(data[0])) {
		return HS_EPS_OP;
	}
	if (!(data[1] & HS_PS_TRANSPORT_DNS)) {
		return HS_EPS_TRANSPORT;
	}
	if (data[3] != 0) {
		return HS_EPS_RESERVED;
	}
	out->op = data[0];
	out->transport = data[1];
	out->sync = data[2];
	out->body_len = len - HS_PROVSYNC_MINLEN;
	out->body = out->body_len > 0 ? data + HS_PROVSYNC_MINLEN : NULL;
	return HS_EOK;
}

/* Reserve the option in the OPT RR and encode straight into it. */
static int add_option(knot_rrset_t *opt_rr, uint16_t code, size_t size,
                      int (*enc)(const void *, uint8_t *, size_t, size_t *),
                      const void *obj, knot_mm_t *mm)
{
	if (opt_rr == NULL || opt_rr->type != KNOT_RRTYPE_OPT) {
		return HS_EINVAL;
	}
	uint8_t *wire = NULL;
	int ret = knot_edns_reserve_option(opt_rr, code, (uint16_t)size, &wire, mm);
	if (ret != KNOT_EOK) {
		return ret;
	}
	size_t len = 0;
	ret = enc(obj, wire, size, &len);
	return ret;
}

static int enc_ks(const void *obj, uint8_t *out, size_t cap, size_t *outlen)
{
	return hs_keystate_encode(obj, out, cap, outlen);
}

static int enc_ps(const void *obj, uint8_t *out, size_t cap, size_t *outlen)
{
	return hs_provsync_encode(obj, out, cap, outlen);
}

int hs_edns_add_keystate(knot_rrset_t *opt_rr, const hs_keystate_t *ks, knot_mm_t *mm)
{
	/* Check first, so that a bad structure leaves the OPT RR unchanged. */
	int ret = hs_keystate_check(ks);
	if (ret != HS_EOK) {
		return ret;
	}
	return add_option(opt_rr, HS_EDNS_KEYSTATE, hs_keystate_size(ks), enc_ks, ks, mm);
}

int hs_edns_add_provsync(knot_rrset_t *opt_rr, const hs_provsync_t *ps, knot_mm_t *mm)
{
	int ret = hs_provsync_check(ps);
	if (ret != HS_EOK) {
		return ret;
	}
	return add_option(opt_rr, HS_EDNS_PROVIDER_SYNC, hs_provsync_size(ps), enc_ps, ps, mm);
}

/* Option data and length of the first option `code` in pkt's OPT RR. */
static int find_option(const knot_pkt_t *pkt, uint16_t code, const uint8_t **data, size_t *len)
{
	if (pkt == NULL) {
		return HS_EINVAL;
	}
	if (pkt->opt_rr == NULL || pkt->opt_rr->rrs.count == 0) {
		return HS_ENOTFOUND;
	}
	uint8_t *opt = knot_edns_get_option(pkt->opt_rr, code, NULL);
	if (opt == NULL) {
		return HS_ENOTFOUND;
	}
	*len = knot_edns_opt_get_length(opt);
	*data = knot_edns_opt_get_data(opt);
	return HS_EOK;
}

int hs_edns_get_keystate(const knot_pkt_t *pkt, hs_keystate_t *out)
{
	const uint8_t *data = NULL;
	size_t len = 0;
	int ret = find_option(pkt, HS_EDNS_KEYSTATE, &data, &len);
	if (ret != HS_EOK) {
		return ret;
	}
	return hs_keystate_decode(data, len, out);
}

int hs_edns_get_provsync(const knot_pkt_t *pkt, hs_provsync_t *out)
{
	const uint8_t *data = NULL;
	size_t len = 0;
	int ret = find_option(pkt, HS_EDNS_PROVIDER_SYNC, &data, &len);
	if (ret != HS_EOK) {
		return ret;
	}
	return hs_provsync_decode(data, len, out);
}
