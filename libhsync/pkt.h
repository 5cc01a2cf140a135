/*
 * libhsync/pkt.h -- a received DNS message parsed by libknot into a packet
 * that owns its own copy of the bytes.
 *
 * knot_pkt_new() over a caller's buffer only borrows it, and
 * knot_pkt_parse() may change it (a TSIG record is taken off the end), so
 * received bytes are parsed from a copy; here the copy belongs to the
 * packet and goes with knot_pkt_free().
 *
 * Functions return 0 or a negative code and never print.
 */
#ifndef HS_LIBHSYNC_PKT_H
#define HS_LIBHSYNC_PKT_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*
 * Parse wire/len (knot_pkt_parse(flags)) into *out, NEW (knot_pkt_free).
 * HS_EINVAL, HS_EMSG (shorter than a header or longer than 65535 bytes),
 * HS_ENOMEM, or libknot's parse error (KNOT_EMALF, ...; hs_strerror()
 * explains it); *out is then NULL.
 */
int hs_pkt_parse_copy(const uint8_t *wire, size_t len, unsigned flags, knot_pkt_t **out);

/*
 * A NEW message to send (knot_pkt_free), up to 65535 bytes, with a random
 * ID (libsodium), no flags set and the question qname/IN/qtype; the caller
 * sets opcode and flags and goes on with knot_pkt_begin(). HS_EINVAL,
 * HS_ENOMEM or libknot's code.
 */
int hs_pkt_query_new(const knot_dname_t *qname, uint16_t qtype, knot_pkt_t **out);

/*
 * The EDNS OPT record of a message being written, in two steps around the
 * caller's own additions (DO bit, options):
 *   knot_rrset_t opt;
 *   int ret = hs_pkt_opt_begin(pkt, 1232, &opt);
 *   if (ret == KNOT_EOK) ret = hs_edns_add_keystate(&opt, &ks, &pkt->mm);
 *   ret = hs_pkt_opt_end(pkt, &opt, ret);
 * begin moves pkt to the additional section and initialises opt (in
 * pkt->mm) for udp_size; on failure opt is empty. end puts opt into pkt
 * (which then owns its data) when ret is KNOT_EOK, and otherwise, or if
 * that fails, frees it; it returns ret or the failure.
 */
int hs_pkt_opt_begin(knot_pkt_t *pkt, uint16_t udp_size, knot_rrset_t *opt);
int hs_pkt_opt_end(knot_pkt_t *pkt, knot_rrset_t *opt, int ret);

#endif /* HS_LIBHSYNC_PKT_H */
