/*
 * libhsync/edns.h -- the KeyState and Provider-Sync EDNS(0) options.
 *
 * KeyState (HS_EDNS_KEYSTATE, draft-berra-dnsop-keystate-03), option data:
 *
 *	KEY-ID u16 (key tag) | KEY-STATE u8 | KEY-DATA u8 | EXTRA-TEXT (rest)
 *
 * KEY-STATE is one of HS_KS_* (0-2, 4-10; 3 is not defined). KEY-DATA is
 * carried as it is (no values are defined for it yet).
 *
 * Provider-Sync (HS_EDNS_PROVIDER_SYNC, signaling-zone-owner-intent-00):
 *
 *	OPERATION u8 | TRANSPORT u8 | SYNCHRONIZATION u8 | 0x00 | BODY (rest)
 *
 * OPERATION is HS_PS_OP_HELLO, HS_PS_OP_HEARTBEAT or private 128-255;
 * TRANSPORT must have HS_PS_TRANSPORT_DNS (0x01) set. Flag bits count from
 * the least significant bit; bits we do not know are carried, not refused.
 *
 * Ownership: decoders BORROW. hs_keystate_t.text and hs_provsync_t.body
 * point into the buffer given to the decoder (or the packet's OPT RR) and are
 * valid only as long as it is; they are NOT NUL-terminated. Encoders copy.
 * On error an out structure is left unchanged.
 */
#ifndef HS_EDNS_H
#define HS_EDNS_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#define HS_KEYSTATE_MINLEN 4   /* KEY-ID, KEY-STATE, KEY-DATA */
#define HS_PROVSYNC_MINLEN 4   /* OPERATION, TRANSPORT, SYNCHRONIZATION, reserved */

typedef struct {
	uint16_t key_id;      /* key tag */
	uint8_t state;        /* HS_KS_* */
	uint8_t data;         /* KEY-DATA */
	const uint8_t *text;  /* EXTRA-TEXT, borrowed, not NUL-terminated; may be NULL if text_len 0 */
	size_t text_len;
} hs_keystate_t;

typedef struct {
	uint8_t op;           /* HS_PS_OP_* or 128-255 */
	uint8_t transport;    /* HS_PS_TRANSPORT_* bits */
	uint8_t sync;         /* HS_PS_SYNC_* bits */
	const uint8_t *body;  /* operation body, borrowed; may be NULL if body_len 0 */
	size_t body_len;
} hs_provsync_t;

/* 1 if state is a defined KEY-STATE value, else 0. */
int hs_keystate_state_ok(uint8_t state);

/* Name of a KEY-STATE ("TRUSTED", ...), or NULL if undefined. Static. */
const char *hs_keystate_state_name(uint8_t state);

/* Check a structure before encoding: HS_EKS_STATE, HS_EOPT_LEN (too long), HS_EINVAL. */
int hs_keystate_check(const hs_keystate_t *ks);
int hs_provsync_check(const hs_provsync_t *ps);

/* Option data length the structure encodes to. */
size_t hs_keystate_size(const hs_keystate_t *ks);
size_t hs_provsync_size(const hs_provsync_t *ps);

/*
 * Encode the option DATA (without code and length) into out[cap];
 * *outlen gets the length. Errors: those of _check, HS_ESPACE.
 */
int hs_keystate_encode(const hs_keystate_t *ks, uint8_t *out, size_t cap, size_t *outlen);
int hs_provsync_encode(const hs_provsync_t *ps, uint8_t *out, size_t cap, size_t *outlen);

/*
 * Decode option DATA of len bytes. out borrows from data (see above).
 * Errors: HS_EOPT_LEN (shorter than the fixed part), HS_EKS_STATE;
 * HS_EPS_OP, HS_EPS_TRANSPORT, HS_EPS_RESERVED; HS_EINVAL.
 */
int hs_keystate_decode(const uint8_t *data, size_t len, hs_keystate_t *out);
int hs_provsync_decode(const uint8_t *data, size_t len, hs_provsync_t *out);

/*
 * Add the option to an OPT RR being built (knot_edns_init(), then these,
 * then knot_pkt_put() it into the ADDITIONAL section of the packet). The
 * OPT RR copies the data; mm as for knot_edns_add_option (NULL = malloc).
 * Errors: those of _encode, libknot's.
 */
int hs_edns_add_keystate(knot_rrset_t *opt_rr, const hs_keystate_t *ks, knot_mm_t *mm);
int hs_edns_add_provsync(knot_rrset_t *opt_rr, const hs_provsync_t *ps, knot_mm_t *mm);

/*
 * Find the first such option in a parsed packet (knot_pkt_parse) and decode
 * it. out borrows from pkt's memory (valid until the packet is cleared or
 * freed). HS_ENOTFOUND if the packet has no OPT RR
 * or no such option; decode errors as above.
 */
int hs_edns_get_keystate(const knot_pkt_t *pkt, hs_keystate_t *out);
int hs_edns_get_provsync(const knot_pkt_t *pkt, hs_provsync_t *out);

#endif /* HS_EDNS_H */
