/*
 * libhsync/sig0.c -- SIG(0) sign and verify on wire-format messages (see sig0.h).
 *
 * A small walker over the message finds every RR and its offset (libknot's
 * parser would reject some of the bad messages we must classify, e.g. a
 * TSIG that is not last), then the SIG(0) RDATA is decoded by hand.
 */
#include <stdbool.h>
#include <string.h>

#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/sign.h>
#include <libknot/consts.h>
#include <libknot/descriptor.h>
#include <libknot/packet/wire.h>
#include <libknot/wire.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/sig0.h"

/* Fixed part of SIG RDATA: covered, alg, labels, TTL, expiration, inception, tag. */
#define SIG_FIXED 18
/* Owner (root), type, class, TTL, RDLENGTH. */
#define RR_HEAD 11

typedef struct {
	unsigned nsig0;      /* SIG(0) records in the additional section */
	unsigned ntsig;      /* TSIG records in the additional section */
	bool sig0_last;      /* the (first) SIG(0) is the last RR of the message */
	size_t sig_pos;      /* offset of the first SIG(0) RR */
	size_t rdata;        /* offset of its RDATA */
	uint16_t rdlen;
} scan_t;

static int scan(const uint8_t *w, size_t size, scan_t *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (w == NULL || size < KNOT_WIRE_HEADER_SIZE) {
		return HS_EMSG;
	}
	const uint8_t *end = w + size;
	size_t pos = KNOT_WIRE_HEADER_SIZE;
	unsigned qd = knot_wire_get_qdcount(w);
	unsigned ar = knot_wire_get_arcount(w);
	unsigned total = knot_wire_get_ancount(w) + knot_wire_get_nscount(w) + ar;
	for (unsigned i = 0; i < qd; i++) {
		int n = knot_dname_wire_check(w + pos, end, w);
		if (n <= 0 || size - pos - n < 4) {
			return HS_EMSG;
		}
		pos += n + 4;
	}
	for (unsigned i = 0; i < total; i++) {
		size_t start = pos;
		int n = knot_dname_wire_check(w + pos, end, w);
		if (n <= 0 || size - pos - n < 10) {
			return HS_EMSG;
		}
		pos += n;
		uint16_t type = knot_wire_read_u16(w + pos);
		uint16_t rdlen = knot_wire_read_u16(w + pos + 8);
		pos += 10;
		if (size - pos < rdlen) {
			return HS_EMSG;
		}
		if (i >= total - ar) {
			if (type == HS_RRTYPE_SIG && rdlen >= 2 &&
			    knot_wire_read_u16(w + pos) == 0) {
				if (sc->nsig0++ == 0) {
					sc->sig_pos = start;
					sc->rdata = pos;
					sc->rdlen = rdlen;
					sc->sig0_last = (i == total - 1);
				}
			} else if (type == KNOT_RRTYPE_TSIG) {
				sc->ntsig++;
			}
		}
		pos += rdlen;
	}
	return pos == size ? HS_EOK : HS_EMSG;
}

/* Structural checks and RDATA decoding; sigoff and siglen locate the signature. */
static int parse(const uint8_t *w, size_t size, hs_sig0_info_t *info, scan_t *sc,
                 size_t *sigoff, size_t *siglen)
{
	int ret = scan(w, size, sc);
	if (ret != HS_EOK) {
		return ret;
	}
	if (sc->nsig0 == 0) {
		return HS_ESIG0_NONE;
	}
	if (sc->nsig0 > 1) {
		return HS_ESIG0_MULTI;
	}
	if (sc->ntsig > 0) {
		return HS_ESIG0_TSIG;
	}
	if (!sc->sig0_last) {
		return HS_ESIG0_NOTLAST;
	}
	const uint8_t *rd = w + sc->rdata;
	if (sc->rdlen < SIG_FIXED + 1) {
		return HS_ESIG0_FORMAT;
	}
	/* The signer name must be uncompressed (RFC 4034 3.1.7, BIND). */
	int n = knot_dname_wire_check(rd + SIG_FIXED, rd + sc->rdlen, NULL);
	if (n <= 0 || SIG_FIXED + (size_t)n >= sc->rdlen) {
		return HS_ESIG0_FORMAT;
	}
	memset(info, 0, sizeof(*info));
	info->algorithm = rd[2];
	info->expiration = knot_wire_read_u32(rd + 8);
	info->inception = knot_wire_read_u32(rd + 12);
	info->keytag = knot_wire_read_u16(rd + 16);
	memcpy(info->signer, rd + SIG_FIXED, n);
	info->sig_pos = sc->sig_pos;
	*sigoff = sc->rdata + SIG_FIXED + n;
	*siglen = sc->rdlen - SIG_FIXED - n;
	return HS_EOK;
}

int hs_sig0_parse(const uint8_t *wire, size_t size, hs_sig0_info_t *info)
{
	if (wire == NULL || info == NULL) {
		return HS_EINVAL;
	}
	scan_t sc;
	size_t off, len;
	return parse(wire, size, info, &sc, &off, &len);
}

static uint32_t clock_now(const hs_sig0_opts_t *opts)
{
	time_t t = (opts != NULL && opts->now != 0) ? opts->now : time(NULL);
	return (uint32_t)t;
}

static uint32_t window_of(const hs_sig0_opts_t *opts)
{
	return (opts != NULL && opts->window != 0) ? opts->window : HS_SIG0_WINDOW_DEFAULT;
}

/* Feed the signed data to CTX: RDATA prefix | request | message up to END. */
static int feed(dnssec_sign_ctx_t *ctx, const uint8_t *prefix, size_t prefix_len,
                const uint8_t *req, size_t req_size, const uint8_t *w, size_t end,
                uint16_t arcount)
{
	uint8_t hdr[KNOT_WIRE_HEADER_SIZE];
	memcpy(hdr, w, sizeof(hdr));
	knot_wire_set_arcount(hdr, arcount);
	dnssec_binary_t parts[4] = {
		{ .size = prefix_len, .data = (uint8_t *)prefix },
		{ .size = req != NULL ? req_size : 0, .data = (uint8_t *)req },
		{ .size = sizeof(hdr), .data = hdr },
		{ .size = end - KNOT_WIRE_HEADER_SIZE, .data = (uint8_t *)w + KNOT_WIRE_HEADER_SIZE },
	};
	int ret = dnssec_sign_init(ctx);
	for (int i = 0; i < 4 && ret == DNSSEC_EOK; i++) {
		if (parts[i].size > 0) {
			ret = dnssec_sign_add(ctx, &parts[i]);
		}
	}
	return ret;
}

static size_t sig_size_max(const hs_key_t *key)
{
	switch (key->algorithm) {
	case DNSSEC_KEY_ALGORITHM_ECDSA_P256_SHA256: return 64;
	case DNSSEC_KEY_ALGORITHM_ECDSA_P384_SHA384: return 96;
	case DNSSEC_KEY_ALGORITHM_ED25519: return 64;
	default: return (dnssec_key_get_size(key->dkey) + 7) / 8;
	}
}

size_t hs_sig0_reserve(const hs_key_t *key, const knot_dname_t *signer)
{
	if (key == NULL) {
		return 0;
	}
	const knot_dname_t *s = signer != NULL ? signer : key->owner;
	return RR_HEAD + SIG_FIXED + knot_dname_size(s) + sig_size_max(key);
}

int hs_sig0_sign(uint8_t *wire, size_t *size, size_t max_size, const hs_key_t *key,
                 const uint8_t *req, size_t req_size, const hs_sig0_opts_t *opts)
{
	if (wire == NULL || size == NULL || key == NULL || *size > max_size ||
	    (req == NULL && req_size > 0)) {
		return HS_EINVAL;
	}
	if (!key->has_private || !dnssec_key_can_sign(key->dkey)) {
		return HS_EKEYPRIVATE;
	}
	scan_t sc;
	int ret = scan(wire, *size, &sc);
	if (ret != HS_EOK) {
		return ret;
	}
	if (sc.nsig0 > 0) {
		return HS_ESIG0_MULTI;
	}
	if (sc.ntsig > 0) {
		return HS_ESIG0_TSIG;
	}
	uint16_t arcount = knot_wire_get_arcount(wire);
	if (arcount == UINT16_MAX) {
		return HS_EMSG;
	}
	const knot_dname_t *signer = (opts != NULL && opts->signer != NULL)
	                             ? opts->signer : key->owner;
	size_t slen = knot_dname_size(signer);
	if (slen == 0 || slen > KNOT_DNAME_MAXLEN) {
		return HS_EINVAL;
	}

	uint8_t prefix[SIG_FIXED + KNOT_DNAME_MAXLEN];
	uint32_t now = clock_now(opts), window = window_of(opts);
	knot_wire_write_u16(prefix, 0);                 /* type covered */
	prefix[2] = key->algorithm;
	prefix[3] = 0;                                  /* labels */
	knot_wire_write_u32(prefix + 4, 0);             /* original TTL */
	knot_wire_write_u32(prefix + 8, now + window);  /* expiration */
	knot_wire_write_u32(prefix + 12, now - window); /* inception */
	knot_wire_write_u16(prefix + 16, key->keytag);
	memcpy(prefix + SIG_FIXED, signer, slen);
	size_t prefix_len = SIG_FIXED + slen;

	dnssec_sign_ctx_t *ctx = NULL;
	dnssec_binary_t sig = { 0 };
	ret = dnssec_sign_new(&ctx, key->dkey);
	if (ret == DNSSEC_EOK) {
		ret = feed(ctx, prefix, prefix_len, req, req_size, wire, *size, arcount);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_sign_write(ctx, DNSSEC_SIGN_NORMAL, &sig);
	}
	dnssec_sign_free(ctx);
	if (ret != DNSSEC_EOK) {
		return ret;
	}

	size_t rdlen = prefix_len + sig.size;
	size_t need = RR_HEAD + rdlen;
	if (rdlen > UINT16_MAX || max_size - *size < need) {
		dnssec_binary_free(&sig);
		return HS_ESPACE;
	}
	uint8_t *p = wire + *size;
	p[0] = 0;                                       /* owner: root */
	knot_wire_write_u16(p + 1, HS_RRTYPE_SIG);
	knot_wire_write_u16(p + 3, KNOT_CLASS_ANY);
	knot_wire_write_u32(p + 5, 0);                  /* TTL */
	knot_wire_write_u16(p + 9, (uint16_t)rdlen);
	memcpy(p + RR_HEAD, prefix, prefix_len);
	memcpy(p + RR_HEAD + prefix_len, sig.data, sig.size);
	dnssec_binary_free(&sig);
	knot_wire_set_arcount(wire, arcount + 1);
	*size += need;
	return HS_EOK;
}

int hs_sig0_sign_pkt(knot_pkt_t *pkt, const hs_key_t *key,
                     const uint8_t *req, size_t req_size, const hs_sig0_opts_t *opts)
{
	if (pkt == NULL) {
		return HS_EINVAL;
	}
	return hs_sig0_sign(pkt->wire, &pkt->size, pkt->max_size, key, req, req_size, opts);
}

/* Serial-arithmetic "a < b". */
static bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static int check_time(const hs_sig0_info_t *info, const hs_sig0_opts_t *opts)
{
	uint32_t now = clock_now(opts), window = window_of(opts);
	uint32_t skew = opts != NULL ? opts->skew : 0;
	uint32_t mid = info->inception + (info->expiration - info->inception) / 2;
	if (before(now + skew, info->inception) || before(now + skew + window, mid)) {
		return HS_ESIG0_EARLY;
	}
	if (before(info->expiration, now - skew) || before(mid, now - skew - window)) {
		return HS_ESIG0_EXPIRED;
	}
	return HS_EOK;
}

/* The signature check proper, for a parsed message and one key. */
static int verify_sig(const uint8_t *w, const scan_t *sc, size_t sigoff, size_t siglen,
                      const uint8_t *req, size_t req_size, const hs_key_t *key)
{
	dnssec_sign_ctx_t *ctx = NULL;
	int ret = dnssec_sign_new(&ctx, key->dkey);
	if (ret != DNSSEC_EOK) {
		return ret;
	}
	uint16_t arcount = knot_wire_get_arcount(w) - 1;
	dnssec_binary_t sig = { .size = siglen, .data = (uint8_t *)w + sigoff };
	ret = feed(ctx, w + sc->rdata, sigoff - sc->rdata, req, req_size, w, sc->sig_pos, arcount);
	if (ret == DNSSEC_EOK) {
		ret = dnssec_sign_verify(ctx, false, &sig);
	}
	dnssec_sign_free(ctx);
	/* Anything but success or lack of memory means the bytes were bad. */
	if (ret != DNSSEC_EOK && ret != DNSSEC_ENOMEM) {
		return HS_ESIG0_BADSIG;
	}
	return ret;
}

/* Everything after parsing, for one key. */
static int verify_one(const uint8_t *w, const scan_t *sc, size_t sigoff, size_t siglen,
                      const uint8_t *req, size_t req_size, const hs_key_t *key,
                      const hs_sig0_info_t *info)
{
	if (key == NULL || key->dkey == NULL) {
		return HS_EINVAL;
	}
	knot_dname_storage_t lower;
	knot_dname_copy_lower(lower, info->signer);
	if (!knot_dname_is_equal(key->owner, lower)) {
		return HS_ESIG0_SIGNER;
	}
	if (key->keytag != info->keytag || key->algorithm != info->algorithm) {
		return HS_ESIG0_KEYTAG;
	}
	if (req != NULL) {
		if (req_size < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(w) ||
		    knot_wire_get_id(w) != knot_wire_get_id(req)) {
			return HS_ESIG0_REQUEST;
		}
	}
	int ret = verify_sig(w, sc, sigoff, siglen, req, req_size, key);
	if (ret == HS_ESIG0_BADSIG && req != NULL &&
	    verify_sig(w, sc, sigoff, siglen, NULL, 0, key) == HS_EOK) {
		return HS_ESIG0_REQUEST;
	}
	return ret;
}

/* Parse, then algorithm and time checks shared by both verify calls. */
static int verify_prepare(const uint8_t *wire, size_t size, const uint8_t *req,
                          size_t req_size, const hs_sig0_opts_t *opts,
                          hs_sig0_info_t *info, scan_t *sc, size_t *sigoff, size_t *siglen)
{
	if (wire == NULL || (req == NULL && req_size > 0)) {
		return HS_EINVAL;
	}
	int ret = parse(wire, size, info, sc, sigoff, siglen);
	if (ret != HS_EOK) {
		return ret;
	}
	if (!hs_key_alg_supported(info->algorithm)) {
		return HS_ESIG0_ALG;
	}
	return check_time(info, opts);
}

int hs_sig0_verify(const uint8_t *wire, size_t size, const uint8_t *req, size_t req_size,
                   const hs_key_t *key, const hs_sig0_opts_t *opts, hs_sig0_info_t *info)
{
	hs_sig0_info_t local;
	hs_sig0_info_t *in = info != NULL ? info : &local;
	scan_t sc;
	size_t sigoff = 0, siglen = 0;
	if (key == NULL) {
		return HS_EINVAL;
	}
	int ret = verify_prepare(wire, size, req, req_size, opts, in, &sc, &sigoff, &siglen);
	if (ret != HS_EOK) {
		return ret;
	}
	return verify_one(wire, &sc, sigoff, siglen, req, req_size, key, in);
}

int hs_sig0_verify_with(const uint8_t *wire, size_t size, const uint8_t *req,
                        size_t req_size, hs_sig0_lookup_t lookup, void *ctx,
                        const hs_sig0_opts_t *opts, hs_sig0_info_t *info)
{
	hs_sig0_info_t local;
	hs_sig0_info_t *in = info != NULL ? info : &local;
	scan_t sc;
	size_t sigoff = 0, siglen = 0;
	if (lookup == NULL) {
		return HS_EINVAL;
	}
	int ret = verify_prepare(wire, size, req, req_size, opts, in, &sc, &sigoff, &siglen);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = HS_ESIG0_SIGNER;
	const hs_key_t *key;
	for (unsigned i = 0; (key = lookup(in, i, ctx)) != NULL; i++) {
		ret = verify_one(wire, &sc, sigoff, siglen, req, req_size, key, in);
		if (ret == HS_EOK) {
			break;
		}
	}
	return ret;
}
