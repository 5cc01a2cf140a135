/*
 * libhsync/pkt.c -- parse received bytes into a packet that owns them.
 */
#include <string.h>

#include "libhsync/error.h"
#include "libhsync/pkt.h"

int hs_pkt_parse_copy(const uint8_t *wire, size_t len, unsigned flags, knot_pkt_t **out)
{
	if (out != NULL) {
		*out = NULL;
	}
	if (wire == NULL || out == NULL) {
		return HS_EINVAL;
	}
	if (len < KNOT_WIRE_HEADER_SIZE || len > KNOT_WIRE_MAX_PKTSIZE) {
		return HS_EMSG;
	}
	/* with no buffer given, the packet allocates (and later frees) its own */
	knot_pkt_t *pkt = knot_pkt_new(NULL, (uint16_t)len, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	memcpy(pkt->wire, wire, len);
	pkt->size = len;
	int ret = knot_pkt_parse(pkt, flags);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}
