/*
 * libhsync/rrlex.h -- what rr.c (RDATA codecs) and rrconv.c (the zone-file
 * line converter) share: the zone-file token lexer and the HSYNC/DSYNC RDATA
 * parser that runs on it. Internal to libhsync; use rr.h.
 */
#ifndef HS_RRLEX_H
#define HS_RRLEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Generic RDATA longer than this cannot be HSYNC or DSYNC. */
#define GENERIC_MAX 1024

/*
 * A lexer over zone-file text: whitespace and parentheses separate tokens,
 * a backslash escapes the next character, a quoted string is one token, and
 * ';' starts a comment to the end of the line (collected if cbuf is set).
 */
struct hs_rr_lex {
	const char *s;
	size_t n, pos;
	char *cbuf;
	size_t ccap, clen;
};

void hs_rr_lex_init(struct hs_rr_lex *lx, const char *s, size_t n);

/* Next token (borrowed, not NUL-terminated) and its offset; false at the end. */
bool hs_rr_lex_next(struct hs_rr_lex *lx, const char **tok, size_t *len, size_t *off);

/* HSYNC or DSYNC RDATA, presentation or RFC 3597 form, from the lexer's
 * position into wire form (see hs_rr_rdata_from_text in rr.h). */
int hs_rr_rdata_parse(uint16_t type, struct hs_rr_lex *lx, const uint8_t *origin,
                      uint8_t *out, size_t cap, size_t *outlen);

#endif /* HS_RRLEX_H */
