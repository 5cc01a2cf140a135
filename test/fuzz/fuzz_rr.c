/*
 * test/fuzz/fuzz_rr.c -- libFuzzer target for libhsync/rr.c.
 *
 * The input goes to the HSYNC and DSYNC wire decoders; a successful decode
 * must re-encode to the same bytes (names compared without case, since the
 * decoders lower-case them) and through hs_rr_rdata_to_text/from_text back
 * to exactly the same bytes. A NUL-terminated copy goes to the text parsers
 * (both types) and to the line converter in both modes; what they accept
 * must survive its own round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/rr.h"

static void check(int cond)
{
	if (!cond) {
		abort();
	}
}

/* Same bytes, except ASCII letters may differ in case (lower-cased names). */
static int same_nocase(const uint8_t *a, const uint8_t *b, size_t n, size_t fixed)
{
	if (memcmp(a, b, fixed) != 0) {
		return 0;
	}
	for (size_t i = fixed; i < n; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z') {
			x += 32;
		}
		if (y >= 'A' && y <= 'Z') {
			y += 32;
		}
		if (x != y) {
			return 0;
		}
	}
	return 1;
}

/* Wire RDATA of type: text, then text back to wire, must give the same bytes. */
static void text_round_trip(uint16_t type, const uint8_t *data, size_t size)
{
	char text[HS_RR_TEXT_MAX], gen[2 * HS_HSYNC_WIRE_MAX + 16];
	uint8_t back[HS_HSYNC_WIRE_MAX];
	size_t blen;
	check(hs_rr_rdata_to_text(type, data, size, text, sizeof(text)) == HS_EOK);
	check(hs_rr_rdata_from_text(type, text, NULL, back, sizeof(back), &blen) == HS_EOK);
	check(blen == size && memcmp(back, data, size) == 0);
	check(hs_rr_rdata_to_generic(data, size, gen, sizeof(gen)) == HS_EOK);
	check(hs_rr_rdata_from_text(type, gen, NULL, back, sizeof(back), &blen) == HS_EOK);
	check(blen == size && memcmp(back, data, size) == 0);
}

static void wire(const uint8_t *data, size_t size)
{
	uint8_t out[HS_HSYNC_WIRE_MAX];
	size_t n;
	hs_hsync_t h;
	if (hs_hsync_from_wire(&h, data, size) == HS_EOK) {
		check(hs_hsync_to_wire(&h, out, sizeof(out), &n) == HS_EOK);
		check(n == size && same_nocase(out, data, size, 3));
		text_round_trip(HS_RRTYPE_HSYNC, data, size);
	}
	hs_dsync_t d;
	if (hs_dsync_from_wire(&d, data, size) == HS_EOK) {
		check(hs_dsync_to_wire(&d, out, sizeof(out), &n) == HS_EOK);
		check(n == size && same_nocase(out, data, size, 5));
		text_round_trip(HS_RRTYPE_DSYNC, data, size);
	}
}

static void text(const char *s)
{
	char t[HS_RR_TEXT_MAX];
	hs_hsync_t h, h2;
	if (hs_hsync_from_text(&h, s) == HS_EOK) {
		check(hs_hsync_to_text(&h, t, sizeof(t)) == HS_EOK);
		check(hs_hsync_from_text(&h2, t) == HS_EOK && memcmp(&h, &h2, sizeof(h)) == 0);
	}
	hs_dsync_t d, d2;
	if (hs_dsync_from_text(&d, s) == HS_EOK) {
		check(hs_dsync_to_text(&d, t, sizeof(t)) == HS_EOK);
		check(hs_dsync_from_text(&d2, t) == HS_EOK && memcmp(&d, &d2, sizeof(d)) == 0);
	}
	static char out[65536], out2[65536], out3[65536];
	if (hs_rr_line_convert(s, HS_RR_GENERIC, "example.", out, sizeof(out)) == HS_EOK) {
		/* generic -> presentation -> generic is stable */
		if (hs_rr_line_convert(out, HS_RR_PRESENTATION, "example.", out2, sizeof(out2)) == HS_EOK) {
			check(hs_rr_line_convert(out2, HS_RR_GENERIC, "example.", out3, sizeof(out3)) == HS_EOK);
		}
	}
	(void)hs_rr_line_convert(s, HS_RR_PRESENTATION, NULL, out, sizeof(out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wire(data, size);
	if (size > 4096) {
		return 0;
	}
	char *s = malloc(size + 1);
	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	text(s);
	free(s);
	return 0;
}
