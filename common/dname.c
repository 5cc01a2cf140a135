/*
 * common/dname.c -- domain-name helpers beside the zone: case-insensitive
 * equality, canonical order (RFC 4034 6.1), "is in zone", and text for
 * logs (names and RR types). See zone.h, "canonical order helpers".
 */
#include <stdio.h>

#include "common/zone.h"
#include "common/zoneint.h"

bool hs_dname_equal(const knot_dname_t *a, const knot_dname_t *b)
{
	size_t la = dname_len(a);
	if (la != dname_len(b)) {
		return false;
	}
	/* Label length octets are below 64, so folding them is harmless. */
	for (size_t i = 0; i < la; i++) {
		if (lower(a[i]) != lower(b[i])) {
			return false;
		}
	}
	return true;
}

const char *hs_dname_text(const knot_dname_t *name, char *buf, size_t size)
{
	if (buf == NULL || size == 0) {
		return "?";
	}
	if (name == NULL || knot_dname_to_str(buf, name, size) == NULL) {
		snprintf(buf, size, "?");
	}
	return buf;
}

static int labels(const uint8_t *d, const uint8_t **lab)
{
	int n = 0;
	while (*d != 0 && n < KNOT_DNAME_MAXLABELS) {
		lab[n++] = d;
		d += *d + 1;
	}
	return n;
}

int hs_dname_canon_cmp(const knot_dname_t *a, const knot_dname_t *b)
{
	const uint8_t *la[KNOT_DNAME_MAXLABELS], *lb[KNOT_DNAME_MAXLABELS];
	int na = labels(a, la), nb = labels(b, lb);
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		uint8_t lx = x[0], ly = y[0];
		uint8_t m = lx < ly ? lx : ly;
		for (uint8_t i = 1; i <= m; i++) {
			uint8_t cx = lower(x[i]), cy = lower(y[i]);
			if (cx != cy) {
				return cx < cy ? -1 : 1;
			}
		}
		if (lx != ly) {
			return lx < ly ? -1 : 1;
		}
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

bool hs_dname_in_zone(const knot_dname_t *name, const knot_dname_t *origin)
{
	size_t ln = dname_len(name), lo = dname_len(origin);
	if (lo > ln) {
		return false;
	}
	/* The suffix must start on a label boundary. */
	const uint8_t *p = name;
	while ((size_t)(p - name) < ln - lo) {
		p += *p + 1;
	}
	if ((size_t)(p - name) != ln - lo) {
		return false;
	}
	return hs_dname_equal(p, origin);
}

const char *hs_rrtype_text(uint16_t type, char *buf, size_t size)
{
	if (buf == NULL || size == 0) {
		return "?";
	}
	if (knot_rrtype_to_string(type, buf, size) < 0) {
		snprintf(buf, size, "TYPE%u", type);
	}
	return buf;
}
