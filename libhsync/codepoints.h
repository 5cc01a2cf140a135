/*
 * libhsync/codepoints.h -- every protocol number hsync uses, in one place.
 *
 * The private-use values are ours until IANA assigns real ones; changing
 * one is a one-line change here and nowhere else.
 */
#ifndef HS_CODEPOINTS_H
#define HS_CODEPOINTS_H

/* RR types. */
#define HS_RRTYPE_SIG     24     /* RFC 2931 (SIG(0)) */
#define HS_RRTYPE_KEY     25     /* RFC 2535 */
#define HS_RRTYPE_DSYNC   66     /* RFC 9859 */
#define HS_RRTYPE_HSYNC   65282  /* private use; draft-leon-dnsop-signaling-zone-owner-intent-00 */

/* EDNS(0) option codes. */
#define HS_EDNS_KEYSTATE      65002  /* private use; draft-berra-dnsop-keystate */
#define HS_EDNS_PROVIDER_SYNC 65006  /* private use; signaling-zone-owner-intent-00 */

/* HSYNC field values (intent-00). */
#define HS_HSYNC_STATE_ON      1
#define HS_HSYNC_STATE_OFF     2
#define HS_HSYNC_NSMGMT_OWNER  1
#define HS_HSYNC_NSMGMT_AGENT  2
#define HS_HSYNC_SIGN_SIGN     1
#define HS_HSYNC_SIGN_NOSIGN   2
#define HS_HSYNC_PRIVATE_MIN   128  /* 128-255 private use; 3-127 undefined */

/* DSYNC schemes (RFC 9859). */
#define HS_DSYNC_SCHEME_NOTIFY 1
#define HS_DSYNC_SCHEME_UPDATE 2

/* KeyState KEY-STATE values (draft-berra-dnsop-keystate-03). */
#define HS_KS_MALFORMED        0
#define HS_KS_TEMPFAIL         1
#define HS_KS_INQUIRE          2
#define HS_KS_TRUSTED          4
#define HS_KS_UNKNOWN          5
#define HS_KS_INVALID          6
#define HS_KS_REFUSED          7
#define HS_KS_VALIDATION_FAIL  8
#define HS_KS_AUTO_BOOTSTRAP   9
#define HS_KS_MANUAL_BOOTSTRAP 10

/* Provider-Sync option (intent-00). Flag bits count from the LSB. */
#define HS_PS_OP_HELLO         1
#define HS_PS_OP_HEARTBEAT     2
#define HS_PS_OP_PRIVATE_MIN   128
#define HS_PS_OP_RFI           128   /* private: request for information (doc/protocol.md) */
#define HS_PS_TRANSPORT_DNS    0x01  /* mandatory */
#define HS_PS_TRANSPORT_API    0x02
#define HS_PS_SYNC_LEADER      0x01  /* leader/follower */
#define HS_PS_SYNC_P2P         0x02  /* peer-to-peer */

/* Extended DNS Errors (RFC 8914), private range 49152-65535: why the
 * delegation UPDATE receiver (agentd/parent) refused a SIG(0) message. */
#define HS_EDE_SIG0_UNTRUSTED  49152  /* key known but not (yet) trusted */
#define HS_EDE_SIG0_BADKEY     49153  /* key unknown (TSIG-style BADKEY) */
#define HS_EDE_SIG0_BADSIG     49154  /* signature does not verify (BADSIG) */
#define HS_EDE_SIG0_BADTIME    49155  /* outside the time window (BADTIME) */
#define HS_EDE_DELEG_MISMATCH  49156  /* the UPDATE does not match what the child serves */

/* SIG(0) defaults. */
#define HS_SIG0_WINDOW_DEFAULT 300   /* seconds either side of now */

#endif /* HS_CODEPOINTS_H */
