/*
 * libhsync/dnssec.c -- DNSKEY, DS/CDS and CDNSKEY helpers (libdnssec, GnuTLS).
 */
#include <string.h>

#include <gnutls/crypto.h>
#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/keytag.h>
#include <libknot/libknot.h>

#include "libhsync/dnssec.h"
#include "libhsync/error.h"

#define DNSKEY_MINLEN   5   /* flags, protocol, algorithm, one key byte */
#define DNSKEY_PROTOCOL 3

int hs_dnssec_dnskey_check(const uint8_t *rdata, size_t len)
{
	if (rdata == NULL) {
		return HS_EINVAL;
	}
	if (len < DNSKEY_MINLEN) {
		return HS_ETRUNC;
	}
	if (len > UINT16_MAX) {
		return HS_ERANGE;
	}
	if (rdata[2] != DNSKEY_PROTOCOL) {
		return HS_EDNSKEY;
	}
	return HS_EOK;
}

int hs_dnssec_keytag(const uint8_t *rdata, size_t len, uint16_t *tag)
{
	int ret = hs_dnssec_dnskey_check(rdata, len);
	if (ret != HS_EOK) {
		return ret;
	}
	if (tag == NULL) {
		return HS_EINVAL;
	}
	dnssec_binary_t bin = { .size = len, .data = (uint8_t *)rdata };
	uint16_t t = 0;
	ret = dnssec_keytag(&bin, &t);
	if (ret != DNSSEC_EOK) {
		return ret;
	}
	*tag = t;
	return HS_EOK;
}

int hs_dnssec_flags(const uint8_t *rdata, size_t len, uint16_t *flags)
{
	int ret = hs_dnssec_dnskey_check(rdata, len);
	if (ret != HS_EOK) {
		return ret;
	}
	if (flags == NULL) {
		return HS_EINVAL;
	}
	*flags = (uint16_t)(rdata[0] << 8 | rdata[1]);
	return HS_EOK;
}

int hs_dnssec_is_ksk(const uint8_t *rdata, size_t len)
{
	uint16_t flags = 0;
	int ret = hs_dnssec_flags(rdata, len, &flags);
	if (ret != HS_EOK) {
		return ret;
	}
	return (flags & HS_DNSKEY_FLAG_SEP) ? 1 : 0;
}

int hs_dnssec_is_cds_key(const uint8_t *rdata, size_t len)
{
	uint16_t flags = 0;
	int ret = hs_dnssec_flags(rdata, len, &flags);
	if (ret != HS_EOK) {
		return ret;
	}
	return (flags & HS_DNSKEY_FLAG_ZONE) && (flags & HS_DNSKEY_FLAG_SEP) &&
	       !(flags & HS_DNSKEY_FLAG_REVOKE);
}

int hs_dnssec_algorithm(const uint8_t *rdata, size_t len)
{
	int ret = hs_dnssec_dnskey_check(rdata, len);
	if (ret != HS_EOK) {
		return ret;
	}
	return rdata[3];
}

static size_t digest_size(uint8_t digest)
{
	switch (digest) {
	case HS_DS_SHA256: return 32;
	case HS_DS_SHA384: return 48;
	default: return 0;
	}
}

int hs_dnssec_ds(const knot_dname_t *owner, const uint8_t *dnskey, size_t len,
                 uint8_t digest, uint8_t *out, size_t cap, size_t *outlen)
{
	uint16_t tag = 0;
	int ret = hs_dnssec_keytag(dnskey, len, &tag);
	if (ret != HS_EOK) {
		return ret;
	}
	if (owner == NULL || out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	size_t dsize = digest_size(digest);
	gnutls_digest_algorithm_t alg = digest == HS_DS_SHA256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA384;
	if (dsize == 0) {
		return HS_EDIGEST;
	}
	if (cap < 4 + dsize) {
		return HS_ESPACE;
	}
	size_t nlen = knot_dname_size(owner);
	if (nlen == 0 || nlen > KNOT_DNAME_MAXLEN) {
		return HS_ENAME;
	}
	/* RFC 4034 5.1.4: digest = hash(canonical owner name | DNSKEY RDATA) */
	knot_dname_storage_t lower;
	knot_dname_copy_lower(lower, owner);
	uint8_t hash[48];
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, alg) < 0) {
		return HS_EDIGEST;
	}
	if (gnutls_hash(h, lower, nlen) < 0 || gnutls_hash(h, dnskey, len) < 0) {
		gnutls_hash_deinit(h, NULL);
		return HS_ENOMEM;
	}
	gnutls_hash_deinit(h, hash);
	out[0] = tag >> 8;
	out[1] = tag & 0xff;
	out[2] = dnskey[3];
	out[3] = digest;
	memcpy(out + 4, hash, dsize);
	*outlen = 4 + dsize;
	return HS_EOK;
}

int hs_dnssec_cdnskey(const uint8_t *dnskey, size_t len,
                      uint8_t *out, size_t cap, size_t *outlen)
{
	int ret = hs_dnssec_dnskey_check(dnskey, len);
	if (ret != HS_EOK) {
		return ret;
	}
	if (out == NULL || outlen == NULL) {
		return HS_EINVAL;
	}
	if (cap < len) {
		return HS_ESPACE;
	}
	memmove(out, dnskey, len);
	*outlen = len;
	return HS_EOK;
}

/* Shared body of the two RRset builders; digests NULL means CDNSKEY. */
static int build_rrset(const knot_rrset_t *dnskey, const uint8_t *digests, size_t n,
                       knot_rrset_t **out, knot_mm_t *mm)
{
	if (dnskey == NULL || out == NULL || dnskey->type != KNOT_RRTYPE_DNSKEY ||
	    dnskey->owner == NULL || (digests != NULL && n == 0)) {
		return HS_EINVAL;
	}
	/* Check every key and digest type before building anything. */
	for (size_t d = 0; digests != NULL && d < n; d++) {
		if (digest_size(digests[d]) == 0) {
			return HS_EDIGEST;
		}
	}
	int found = 0;
	for (uint16_t i = 0; i < dnskey->rrs.count; i++) {
		const knot_rdata_t *rd = knot_rdataset_at(&dnskey->rrs, i);
		int cds = hs_dnssec_is_cds_key(rd->data, rd->len);
		if (cds < 0) {
			return cds;
		}
		found += cds;
	}
	if (found == 0) {
		return HS_ENOTFOUND;
	}

	uint16_t type = digests != NULL ? KNOT_RRTYPE_CDS : KNOT_RRTYPE_CDNSKEY;
	knot_rrset_t *rr = knot_rrset_new(dnskey->owner, type, dnskey->rclass, dnskey->ttl, mm);
	if (rr == NULL) {
		return HS_ENOMEM;
	}
	int ret = HS_EOK;
	for (uint16_t i = 0; ret == HS_EOK && i < dnskey->rrs.count; i++) {
		const knot_rdata_t *rd = knot_rdataset_at(&dnskey->rrs, i);
		if (hs_dnssec_is_cds_key(rd->data, rd->len) != 1) {
			continue;
		}
		if (digests == NULL) {
			ret = knot_rrset_add_rdata(rr, rd->data, rd->len, mm);
			continue;
		}
		for (size_t d = 0; ret == HS_EOK && d < n; d++) {
			uint8_t ds[HS_DS_MAXLEN];
			size_t dslen = 0;
			ret = hs_dnssec_ds(dnskey->owner, rd->data, rd->len, digests[d],
			                   ds, sizeof(ds), &dslen);
			if (ret == HS_EOK) {
				ret = knot_rrset_add_rdata(rr, ds, (uint16_t)dslen, mm);
			}
		}
	}
	if (ret != HS_EOK) {
		knot_rrset_free(rr, mm);
		return ret;
	}
	*out = rr;
	return HS_EOK;
}

int hs_dnssec_cds_rrset(const knot_rrset_t *dnskey, const uint8_t *digests, size_t n,
                        knot_rrset_t **out, knot_mm_t *mm)
{
	if (digests == NULL) {
		return HS_EINVAL;
	}
	return build_rrset(dnskey, digests, n, out, mm);
}

int hs_dnssec_cdnskey_rrset(const knot_rrset_t *dnskey, knot_rrset_t **out, knot_mm_t *mm)
{
	return build_rrset(dnskey, NULL, 0, out, mm);
}
