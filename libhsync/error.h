/*
 * libhsync/error.h -- error codes of libhsync and common.
 *
 * Every function in libhsync/ and common/ returns 0 (HS_EOK) or a negative
 * code: one of ours below, or one of libknot's or libdnssec's, passed on as
 * it came. hs_strerror() explains every one of them.
 */
#ifndef HS_ERROR_H
#define HS_ERROR_H

enum {
	HS_EOK = 0,
	HS_ERROR_MIN = -3000,

	/* generic */
	HS_EINVAL = HS_ERROR_MIN,  /* invalid argument */
	HS_ENOMEM,
	HS_ESPACE,      /* output buffer too small */
	HS_ETRUNC,      /* input ends too early */
	HS_ETRAIL,      /* bytes left after the data */
	HS_ESYNTAX,     /* syntax error in text */
	HS_ERANGE,      /* number out of range */
	HS_ENAME,       /* bad domain name */
	HS_EIO,         /* read or write failed */
	HS_ENOTFOUND,
	HS_EEXIST,
	HS_EMSG,        /* malformed DNS message */
	HS_ECONF,       /* configuration error */

	/* HSYNC RDATA and RRset */
	HS_EHSYNC_STATE,
	HS_EHSYNC_NSMGMT,
	HS_EHSYNC_SIGN,
	HS_EHSYNC_IDENTITY,
	HS_EHSYNC_UPSTREAM,
	HS_EHSYNC_MIXED,   /* NSmgmt differs within the RRset */
	HS_EHSYNC_DUPID,   /* one identity named twice */

	/* DSYNC RDATA */
	HS_EDSYNC_TYPE,
	HS_EDSYNC_SCHEME,
	HS_EDSYNC_PORT,
	HS_EDSYNC_TARGET,

	/* EDNS options */
	HS_EOPT_LEN,
	HS_EKS_STATE,
	HS_EKS_DATA,
	HS_EPS_OP,
	HS_EPS_TRANSPORT,
	HS_EPS_SYNC,
	HS_EPS_RESERVED,

	/* keys */
	HS_EKEYFILE,
	HS_EKEYALG,
	HS_EKEYMISMATCH,
	HS_EKEYPRIVATE,    /* the operation needs the private key */
	HS_EDIGEST,

	/* SIG(0) */
	HS_ESIG0_NONE,
	HS_ESIG0_NOTLAST,
	HS_ESIG0_MULTI,
	HS_ESIG0_TSIG,
	HS_ESIG0_ALG,
	HS_ESIG0_SIGNER,
	HS_ESIG0_KEYTAG,
	HS_ESIG0_BADSIG,
	HS_ESIG0_EARLY,
	HS_ESIG0_EXPIRED,
	HS_ESIG0_FORMAT,
	HS_ESIG0_REQUEST,  /* response does not cover that request */

	/* TSIG */
	HS_ETSIG_FILE,
	HS_ETSIG_ALG,

	HS_EDNSKEY,        /* DNSKEY RDATA: protocol is not 3 */
	HS_ETSIG_NONE,     /* message is not TSIG-signed */

	/* zone transfers (common/xfr) */
	HS_EXFR_RCODE,     /* the server answered with an error RCODE */
	HS_EXFR_SERIAL,    /* the transferred serial is older than ours (RFC 1982) */
	HS_EXFR_DELTA,     /* an IXFR difference does not fit the zone */

	/* agent messages (libhsync/msg, libhsync/replay) */
	HS_EAGENTMSG,      /* not an agent message (opcode or Provider-Sync operation) */
	HS_EREPLAY,        /* message already seen within its validity window */
	HS_EREPLAY_FULL,   /* replay cache full of unexpired entries */

	/* catalog zones (hsyncd/catalog, RFC 9432) */
	HS_ECAT_VERSION,   /* version.$CATZ TXT missing or not "2" */
	HS_ECAT_BROKEN,    /* broken catalog zone, not processed */

	/* agent discovery (agentd/discover) */
	HS_EDISC_NOAD,     /* answer not validated: no AD bit from the resolver */
	HS_EDISC_NXDOMAIN, /* the name does not exist */
	HS_EDISC_NODATA,   /* the name has no record of that type */
	HS_EDISC_RCODE,    /* the resolver answered SERVFAIL or another error RCODE */
	HS_EDISC_MISMATCH, /* not the answer to our query (ID, question, QR, malformed) */
	HS_EDISC_DATA,     /* published record malformed or unusable */

	HS_ESYNC_REFUSED,  /* a peer's SYNC part refused (HSYNC or content policy) */

	HS_ERROR_MAX
};

/* Text for any code (ours, libknot's, libdnssec's, or -errno). Static, never NULL. */
const char *hs_strerror(int code);

#endif /* HS_ERROR_H */
