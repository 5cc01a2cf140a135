/*
 * libhsync/rr.h -- HSYNC and DSYNC RDATA: wire, presentation and RFC 3597
 * generic form, and a zone-file line converter between the forms.
 *
 * HSYNC (draft-leon-dnsop-signaling-zone-owner-intent-00, type
 * HS_RRTYPE_HSYNC): State u8, NSmgmt u8, Sign u8, Identity, Upstream.
 * DSYNC (RFC 9859, type HS_RRTYPE_DSYNC): RRtype u16, Scheme u8, Port u16,
 * Target. Names in RDATA are never compressed.
 *
 * Everything here is strict: a zero or undefined field value, an unknown
 * mnemonic, truncated RDATA, trailing bytes, a bad or compressed name,
 * missing or extra tokens are errors. Functions return 0 or a negative code
 * from libhsync/error.h; on error the output is unspecified but never
 * written past its capacity. Nothing here allocates except hs_rr_conv_new().
 *
 * Case: hs_hsync_t and hs_dsync_t hold names lower-cased (so identities
 * compare with memcmp). The hs_rr_rdata_* functions and the line converter
 * keep names as written, so a conversion never changes a name's case.
 */
#ifndef HS_RR_H
#define HS_RR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

typedef struct {
	uint8_t state, nsmgmt, sign;              /* HS_HSYNC_* values; 128-255 private accepted */
	knot_dname_storage_t identity;            /* wire-form names, lower-cased */
	knot_dname_storage_t upstream;            /* "." (root) = none / configured by hand */
} hs_hsync_t;

typedef struct {
	uint16_t rrtype; uint8_t scheme; uint16_t port;
	knot_dname_storage_t target;              /* wire form, lower-cased */
} hs_dsync_t;

/* Longest presentation text of one HSYNC or DSYNC RDATA, with the NUL. */
#define HS_RR_TEXT_MAX (2 * KNOT_DNAME_TXT_MAXLEN + 64)
/* Longest wire RDATA of HSYNC (3 + 2 * 255) and DSYNC (5 + 255). */
#define HS_HSYNC_WIRE_MAX 513
#define HS_DSYNC_WIRE_MAX 260

/*
 * HSYNC. from_wire decodes RDATA (len bytes, all of them); to_wire writes at
 * most cap bytes to out and the length to *outlen (checks the values first).
 * from_text reads RDATA text only, e.g. "ON AGENT SIGN id.example. ."
 * (or the RFC 3597 form "\# 41 0101..."); mnemonics are case-insensitive,
 * plain integers 1, 2 and 128-255 are accepted, names must be absolute. to_text writes NUL-terminated text with
 * mnemonics where defined (numbers for private values); HS_ESPACE if cap is
 * too small.
 */
int hs_hsync_from_wire(hs_hsync_t *out, const uint8_t *rdata, size_t len);
int hs_hsync_to_wire(const hs_hsync_t *in, uint8_t *out, size_t cap, size_t *outlen);
int hs_hsync_from_text(hs_hsync_t *out, const char *text);
int hs_hsync_to_text(const hs_hsync_t *in, char *out, size_t cap);

/*
 * DSYNC, the same four. Text: "ANY UPDATE 5302 target.": RRtype as mnemonic,
 * TYPEnnn or number (not 0); Scheme NOTIFY, UPDATE or 1-255; Port 0-65535.
 */
int hs_dsync_from_wire(hs_dsync_t *out, const uint8_t *rdata, size_t len);
int hs_dsync_to_wire(const hs_dsync_t *in, uint8_t *out, size_t cap, size_t *outlen);
int hs_dsync_from_text(hs_dsync_t *out, const char *text);
int hs_dsync_to_text(const hs_dsync_t *in, char *out, size_t cap);

/*
 * Every RR of an HSYNC RRset decodes, all share one NSmgmt value, and no
 * identity is named twice (compared case-insensitively). An empty RRset
 * passes. HS_EINVAL if rrset is NULL or not of type HSYNC.
 */
int hs_hsync_rrset_check(const knot_rrset_t *rrset);

/*
 * Check the RRset like hs_hsync_rrset_check() and decode it into out[0..max)
 * (caller's storage), in the RRset's (canonical) order; *count gets the
 * number of RRs. HS_ESPACE if there are more than max.
 */
int hs_hsync_rrset_decode(const knot_rrset_t *rrset, hs_hsync_t *out, size_t max,
                          size_t *count);

/* Mnemonic of an RR type: HSYNC and DSYNC for ours, else libknot's or TYPEnnn. */
int hs_rr_type_to_text(uint16_t type, char *out, size_t cap);
/* Mnemonic (case-insensitive, ours included), TYPEnnn or a plain number. */
int hs_rr_type_from_text(const char *text, uint16_t *type);

/*
 * RDATA of type HS_RRTYPE_HSYNC or HS_RRTYPE_DSYNC (else HS_EINVAL), names
 * case kept. from_text accepts presentation text or RFC 3597 generic text
 * ("\# 27 00ff02..."), both strictly checked; relative names are completed
 * with origin (wire form; NULL = relative names are an error, "@" too).
 * to_text writes presentation text, to_generic writes "\# LEN HEX" (lower-
 * case hex, one word).
 */
int hs_rr_rdata_from_text(uint16_t type, const char *text, const uint8_t *origin,
                          uint8_t *out, size_t cap, size_t *outlen);
int hs_rr_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len,
                        char *out, size_t cap);
int hs_rr_rdata_to_generic(const uint8_t *rdata, size_t len, char *out, size_t cap);

/*
 * Zone-file line converter (what hsync-rr does). A converter keeps the
 * state of one zone-file stream: $ORIGIN, $TTL and the last owner.
 *
 * hs_rr_conv_line() takes one logical record (the caller joins physical
 * lines while parentheses are open; embedded newlines are fine) without its
 * final newline, and writes the result, NUL-terminated, without newline:
 *   - an HSYNC, TYPE65282, DSYNC or TYPE66 record in either form is
 *     rewritten into `mode`: HS_RR_GENERIC ("TYPE65282 \# 41 ...") or
 *     HS_RR_PRESENTATION ("HSYNC ON OWNER SIGN ..."); owner, TTL and class
 *     are kept as written, comments are kept at the end;
 *   - every other record, blank and comment lines, $ORIGIN, $TTL and
 *     $INCLUDE (not followed) pass through unchanged;
 *   - every record (converted or not) is validated through libzscanner;
 *     a line that is not a valid record is an error.
 * On error, hs_rr_conv_detail() tells why in one line (borrowed, valid
 * until the next call). Only the HS_RR_* modes are accepted.
 */
enum { HS_RR_GENERIC = 1, HS_RR_PRESENTATION = 2 };

typedef struct hs_rr_conv hs_rr_conv_t;

/*
 * New converter (free with hs_rr_conv_free). origin: text; NULL = none: then
 * relative names in HSYNC/DSYNC RDATA are errors until a $ORIGIN line.
 */
int hs_rr_conv_new(hs_rr_conv_t **out, int mode, const char *origin);
void hs_rr_conv_free(hs_rr_conv_t *conv);
int hs_rr_conv_line(hs_rr_conv_t *conv, const char *line, char *out, size_t cap);
const char *hs_rr_conv_detail(const hs_rr_conv_t *conv);

/*
 * Is the logical record in buf[0..len) still open, i.e. inside parentheses
 * or a quoted string? The caller appends the next physical line while so.
 */
bool hs_rr_line_open(const char *buf, size_t len);

/* One line with a fresh converter (no state carried over). */
int hs_rr_line_convert(const char *line, int mode, const char *origin,
                       char *out, size_t cap);

#endif /* HS_RR_H */
