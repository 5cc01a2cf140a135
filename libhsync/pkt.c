/*
 * libhsync/pkt.c -- parse received bytes into a packet that owns them.
 */
#include <string.h>

#include <sodium.h>

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

int hs_pkt_opt_begin(knot_pkt_t *pkt, uint16_t udp_size, knot_rrset_t *opt)
{
	if (opt == NULL) {
		return HS_EINVAL;
	}
	knot_rrset_init_empty(opt);
	if (pkt == NULL) {
		return HS_EINVAL;
	}
	int ret = knot_pkt_begin(pkt, KNOT_ADDITIONAL);
	if (ret == KNOT_EOK) {
		ret = knot_edns_init(opt, udp_size, 0, 0, &pkt->mm);
	}
	if (ret != KNOT_EOK) {
		knot_rrset_clear(opt, &pkt->mm);
		knot_rrset_init_empty(opt);
	}
	return ret;
}

int hs_pkt_opt_end(knot_pkt_t *pkt, knot_rrset_t *opt, int ret)
{
	if (pkt == NULL || opt == NULL) {
		return HS_EINVAL;
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, opt, KNOT_PF_FREE);
	}
	if (ret != KNOT_EOK) {
		knot_rrset_clear(opt, &pkt->mm);
		knot_rrset_init_empty(opt);
	}
	return ret;
}

int hs_pkt_query_new(const knot_dname_t *qname, uint16_t qtype, knot_pkt_t **out)
{
	if (out != NULL) {
		*out = NULL;
	}
	if (qname == NULL || out == NULL) {
		return HS_EINVAL;
	}
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (pkt == NULL) {
		return HS_ENOMEM;
	}
	uint16_t id;
	randombytes_buf(&id, sizeof(id));
	knot_wire_set_id(pkt->wire, id);
	int ret = knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, qtype);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return HS_EOK;
}
