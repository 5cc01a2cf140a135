/*
 * libhsync/error.c -- hs_strerror(), one text for every code.
 */
#include <stddef.h>

#include <libdnssec/error.h>
#include <libknot/error.h>

#include "libhsync/error.h"

static const char *const texts[] = {
	[HS_EINVAL - HS_ERROR_MIN]          = "invalid argument",
	[HS_ENOMEM - HS_ERROR_MIN]          = "out of memory",
	[HS_ESPACE - HS_ERROR_MIN]          = "output buffer too small",
	[HS_ETRUNC - HS_ERROR_MIN]          = "data ends too early (truncated)",
	[HS_ETRAIL - HS_ERROR_MIN]          = "trailing bytes after the data",
	[HS_ESYNTAX - HS_ERROR_MIN]         = "syntax error",
	[HS_ERANGE - HS_ERROR_MIN]          = "number out of range",
	[HS_ENAME - HS_ERROR_MIN]           = "bad domain name",
	[HS_EIO - HS_ERROR_MIN]             = "read or write failed",
	[HS_ENOTFOUND - HS_ERROR_MIN]       = "not found",
	[HS_EEXIST - HS_ERROR_MIN]          = "already exists",
	[HS_EMSG - HS_ERROR_MIN]            = "malformed DNS message",
	[HS_ECONF - HS_ERROR_MIN]           = "configuration error",

	[HS_EHSYNC_STATE - HS_ERROR_MIN]    = "bad HSYNC State (ON, OFF, or 128-255)",
	[HS_EHSYNC_NSMGMT - HS_ERROR_MIN]   = "bad HSYNC NSmgmt (OWNER, AGENT, or 128-255)",
	[HS_EHSYNC_SIGN - HS_ERROR_MIN]     = "bad HSYNC Sign (SIGN, NOSIGN, or 128-255)",
	[HS_EHSYNC_IDENTITY - HS_ERROR_MIN] = "bad HSYNC Identity (domain name)",
	[HS_EHSYNC_UPSTREAM - HS_ERROR_MIN] = "bad HSYNC Upstream (domain name)",
	[HS_EHSYNC_MIXED - HS_ERROR_MIN]    = "HSYNC RRset mixes NSmgmt values",
	[HS_EHSYNC_DUPID - HS_ERROR_MIN]    = "HSYNC RRset names one identity twice",

	[HS_EDSYNC_TYPE - HS_ERROR_MIN]     = "bad DSYNC RRtype",
	[HS_EDSYNC_SCHEME - HS_ERROR_MIN]   = "bad DSYNC Scheme (NOTIFY, UPDATE, or 1-255)",
	[HS_EDSYNC_PORT - HS_ERROR_MIN]     = "bad DSYNC Port (0-65535)",
	[HS_EDSYNC_TARGET - HS_ERROR_MIN]   = "bad DSYNC Target (domain name)",

	[HS_EOPT_LEN - HS_ERROR_MIN]        = "EDNS option has the wrong length",
	[HS_EKS_STATE - HS_ERROR_MIN]       = "unknown KeyState KEY-STATE",
	[HS_EKS_DATA - HS_ERROR_MIN]        = "bad KeyState KEY-DATA",
	[HS_EPS_OP - HS_ERROR_MIN]          = "unknown Provider-Sync OPERATION",
	[HS_EPS_TRANSPORT - HS_ERROR_MIN]   = "Provider-Sync TRANSPORT lacks the mandatory DNS bit",
	[HS_EPS_SYNC - HS_ERROR_MIN]        = "bad Provider-Sync SYNCHRONIZATION flags",
	[HS_EPS_RESERVED - HS_ERROR_MIN]    = "Provider-Sync reserved byte is not zero",

	[HS_EKEYFILE - HS_ERROR_MIN]        = "malformed key file",
	[HS_EKEYALG - HS_ERROR_MIN]         = "unsupported key algorithm",
	[HS_EKEYMISMATCH - HS_ERROR_MIN]    = "public and private key do not match",
	[HS_EKEYPRIVATE - HS_ERROR_MIN]     = "private key needed",
	[HS_EDIGEST - HS_ERROR_MIN]         = "unsupported digest type",

	[HS_ESIG0_NONE - HS_ERROR_MIN]      = "no SIG(0) record",
	[HS_ESIG0_NOTLAST - HS_ERROR_MIN]   = "SIG(0) is not the last additional record",
	[HS_ESIG0_MULTI - HS_ERROR_MIN]     = "more than one SIG(0) record",
	[HS_ESIG0_TSIG - HS_ERROR_MIN]      = "TSIG and SIG(0) in one message",
	[HS_ESIG0_ALG - HS_ERROR_MIN]       = "unknown SIG(0) algorithm",
	[HS_ESIG0_SIGNER - HS_ERROR_MIN]    = "SIG(0) signer is not the key's owner",
	[HS_ESIG0_KEYTAG - HS_ERROR_MIN]    = "SIG(0) key tag or algorithm does not match the key",
	[HS_ESIG0_BADSIG - HS_ERROR_MIN]    = "SIG(0) signature does not verify",
	[HS_ESIG0_EARLY - HS_ERROR_MIN]     = "SIG(0) not yet valid (inception in the future)",
	[HS_ESIG0_EXPIRED - HS_ERROR_MIN]   = "SIG(0) expired",
	[HS_ESIG0_FORMAT - HS_ERROR_MIN]    = "malformed SIG(0) record",
	[HS_ESIG0_REQUEST - HS_ERROR_MIN]   = "signed response does not cover this request",

	[HS_ETSIG_FILE - HS_ERROR_MIN]      = "malformed TSIG key file",
	[HS_ETSIG_ALG - HS_ERROR_MIN]       = "unsupported TSIG algorithm",
	[HS_EDNSKEY - HS_ERROR_MIN]         = "bad DNSKEY RDATA (protocol is not 3)",
	[HS_ETSIG_NONE - HS_ERROR_MIN]      = "message is not TSIG-signed",
	[HS_EXFR_RCODE - HS_ERROR_MIN]     = "transfer refused: the server answered with an error RCODE",
	[HS_EXFR_SERIAL - HS_ERROR_MIN]    = "transferred serial is older than the zone's (RFC 1982)",
	[HS_EXFR_DELTA - HS_ERROR_MIN]     = "IXFR difference does not fit the zone",
	[HS_EAGENTMSG - HS_ERROR_MIN]      = "not an agent message (opcode or Provider-Sync operation)",
	[HS_EREPLAY - HS_ERROR_MIN]        = "message replayed (already accepted within its validity window)",
	[HS_EREPLAY_FULL - HS_ERROR_MIN]   = "replay cache full of unexpired messages; message refused",
	[HS_ECAT_VERSION - HS_ERROR_MIN]   = "catalog zone version missing or not 2 (RFC 9432)",
	[HS_ECAT_BROKEN - HS_ERROR_MIN]    = "broken catalog zone (RFC 9432), not processed",
	[HS_EDISC_NOAD - HS_ERROR_MIN]     = "answer not DNSSEC-validated (no AD bit from the resolver)",
	[HS_EDISC_NXDOMAIN - HS_ERROR_MIN] = "name does not exist (NXDOMAIN)",
	[HS_EDISC_NODATA - HS_ERROR_MIN]   = "no record of that type at the name (NODATA)",
	[HS_EDISC_RCODE - HS_ERROR_MIN]    = "resolver answered with an error RCODE",
	[HS_EDISC_MISMATCH - HS_ERROR_MIN] = "not the answer to our query",
	[HS_EDISC_DATA - HS_ERROR_MIN]     = "published discovery record malformed or unusable",
	[HS_ESYNC_REFUSED - HS_ERROR_MIN]  = "SYNC part refused by HSYNC or content policy",
};

const char *hs_strerror(int code)
{
	if (code == HS_EOK) {
		return "OK";
	}
	if (code >= HS_ERROR_MIN && code < HS_ERROR_MAX) {
		const char *t = texts[code - HS_ERROR_MIN];
		return t != NULL ? t : "unknown hsync error";
	}
	if (code >= DNSSEC_ERROR_MIN && code <= DNSSEC_ERROR_MAX) {
		return dnssec_strerror(code);
	}
	return knot_strerror(code);
}
