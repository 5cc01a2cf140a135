/*
 * agentd/channel.c -- one incoming agent message: verified as in
 * doc/protocol.md section 11, acted on, answered. No sockets, so the whole
 * path is unit-testable with the committed keys and a fixed clock.
 *
 * A verified SYNC goes to the zone's process (syncd.c: checked against
 * HSYNC and policy, merged, saved) and is answered NOERROR only then;
 * refused parts get REFUSED with the reason logged. A verified RFI is
 * answered NOERROR and our SYNC follows. Without syncd (unit tests of
 * the channel alone) a SYNC is acknowledged and an RFI REFUSED ("not
 * ready", protocol.md section 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agentd.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"

struct lookup_ctx {
	agd_chan_t *ch;
	const agd_zone_t *zone;
	bool pending;          /* a peer of the zone is still being discovered */
};

/* The IDX-th key of a peer named in the zone's HSYNC whose host is the signer. */
static const hs_key_t *lookup(const hs_msg_head_t *head, unsigned idx, void *arg)
{
	struct lookup_ctx *lc = arg;
	const agd_zone_t *z = agd_zones_find(lc->ch->zones, head->zone);
	lc->zone = z;
	if (z == NULL) {
		return NULL;
	}
	unsigned n = 0;
	for (size_t i = 0; i < z->nhsync; i++) {
		const knot_dname_t *id = z->hsync[i].identity;
		if (knot_dname_is_case_equal(id, lc->ch->cfg->identity)) {
			continue;
		}
		hs_peer_t *p = hs_peers_find(lc->ch->peers, id);
		if (p == NULL || p->nkeys == 0) {
			if (p == NULL || p->state == HS_PEER_NEEDED) {
				lc->pending = true;
			}
			continue;
		}
		if (!knot_dname_is_case_equal(p->host, head->signer)) {
			continue;
		}
		for (size_t k = 0; k < p->nkeys; k++) {
			if (n++ == idx) {
				return p->keys[k];
			}
		}
	}
	return NULL;
}

/* The peer of ZONE that owns KEY. */
static hs_peer_t *key_peer(agd_chan_t *ch, const agd_zone_t *z, const hs_key_t *key)
{
	for (size_t i = 0; z != NULL && i < z->nhsync; i++) {
		hs_peer_t *p = hs_peers_find(ch->peers, z->hsync[i].identity);
		for (size_t k = 0; p != NULL && k < p->nkeys; k++) {
			if (p->keys[k] == key) {
				return p;
			}
		}
	}
	return NULL;
}

static bool greeted(const agd_chan_t *ch, const knot_dname_t *id)
{
	for (size_t i = 0; i < ch->ngreeted; i++) {
		if (knot_dname_is_case_equal(ch->greeted[i], id)) {
			return true;
		}
	}
	return false;
}

static int greet(agd_chan_t *ch, const knot_dname_t *id)
{
	if (greeted(ch, id)) {
		return 0;
	}
	knot_dname_storage_t *t = realloc(ch->greeted, (ch->ngreeted + 1) * sizeof(*t));
	if (t == NULL) {
		return HS_ENOMEM;
	}
	ch->greeted = t;
	knot_dname_copy_lower(ch->greeted[ch->ngreeted++], id);
	return 0;
}

void agd_chan_clear(agd_chan_t *ch)
{
	free(ch->greeted);
	ch->greeted = NULL;
	ch->ngreeted = 0;
}

static void name_txt(const knot_dname_t *name, char *out, size_t len)
{
	if (knot_dname_to_str(out, name, len) == NULL) {
		snprintf(out, len, "?");
	}
}

int agd_chan_handle(agd_chan_t *ch, const uint8_t *wire, size_t len,
                    uint8_t *out, size_t max, size_t *outlen, agd_chan_result_t *res)
{
	agd_chan_result_t local;
	if (res == NULL) {
		res = &local;
	}
	memset(res, 0, sizeof(*res));
	*outlen = 0;
	time_t now = ch->now != 0 ? ch->now : time(NULL);

	/* never answer a response */
	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(wire)) {
		res->err = HS_EMSG;
		snprintf(res->why, sizeof(res->why), "not a request (short or QR set): ignored");
		return 0;
	}

	struct lookup_ctx lc = { .ch = ch };
	hs_msg_verify_opts_t vo = {
		.lookup = lookup,
		.ctx = &lc,
		.replay = ch->replay,
		.sig0 = { .skew = ch->cfg->skew, .now = now },
	};
	hs_msg_t msg;
	hs_msg_head_t seen;
	memset(&seen, 0, sizeof(seen));
	int ret = hs_msg_receive(wire, len, &vo, &msg, &seen);
	res->kind = seen.kind;
	name_txt(seen.zone[0] ? seen.zone : (const knot_dname_t *)"", res->zone, sizeof(res->zone));
	name_txt(seen.signer[0] ? seen.signer : (const knot_dname_t *)"", res->signer,
	         sizeof(res->signer));

	hs_msg_opts_t ro = {
		.transport = HS_PS_TRANSPORT_DNS,
		.sync = ch->cfg->sync_flags,
		.sig0 = { .now = now },
	};
	uint8_t rcode;
	if (ret != 0) {
		res->err = ret;
		rcode = hs_msg_rcode(ret);
		if (ret == HS_ESIG0_SIGNER && lc.pending) {
			rcode = KNOT_RCODE_REFUSED;
			snprintf(res->why, sizeof(res->why),
			         "signer unknown while discovery of a peer of the zone is running: not ready");
		} else if (ret == HS_ESIG0_SIGNER && lc.zone == NULL) {
			snprintf(res->why, sizeof(res->why), "zone %s is not one of ours", res->zone);
		} else if (ret == HS_ESIG0_SIGNER) {
			snprintf(res->why, sizeof(res->why),
			         "signer %s is not the host of any identity in the zone's HSYNC",
			         res->signer);
		} else {
			snprintf(res->why, sizeof(res->why), "%s", hs_strerror(ret));
		}
		res->rcode = rcode;
		/* REFUSED for a replay comes after verification: signed */
		if (ret == HS_EREPLAY || ret == HS_EREPLAY_FULL) {
			ro.key = ch->cfg->key;
		}
		ret = hs_msg_respond(wire, len, rcode, &ro, out, max, outlen);
		if (ret != 0) {
			*outlen = 0;
		}
		return 0;
	}

	const agd_zone_t *z = agd_zones_find(ch->zones, msg.head.zone);
	hs_peer_t *p = key_peer(ch, z, msg.key);
	res->peer = p;
	ro.key = ch->cfg->key;
	rcode = KNOT_RCODE_NOERROR;
	int r = 0;
	if (p == NULL) {
		rcode = KNOT_RCODE_SERVFAIL;
		snprintf(res->why, sizeof(res->why), "verified key without a peer");
	} else {
		switch (msg.head.kind) {
		case HS_MSG_HELLO:
			if (greet(ch, p->identity) != 0) {
				rcode = KNOT_RCODE_SERVFAIL;
				break;
			}
			r = hs_peer_hello_received(p, now);
			snprintf(res->why, sizeof(res->why), "HELLO from %s: introduced", p->name);
			break;
		case HS_MSG_HEARTBEAT:
			if (!greeted(ch, p->identity)) {
				rcode = KNOT_RCODE_REFUSED;
				snprintf(res->why, sizeof(res->why),
				         "HEARTBEAT from %s, which has not said HELLO since we started",
				         p->name);
				break;
			}
			r = hs_peer_heartbeat_received(p, now);
			snprintf(res->why, sizeof(res->why), "HEARTBEAT from %s", p->name);
			break;
		case HS_MSG_SYNC: {
			/* part 2 (issue 6) checks the contents against HSYNC and
			 * policy and merges them; here: verified and acknowledged */
			size_t nrr = 0;
			for (unsigned i = 0; i < HS_MSG_NTYPES; i++) {
				nrr += msg.content.rr[i] != NULL ? msg.content.rr[i]->rrs.count : 0;
			}
			r = hs_peer_heartbeat_received(p, now);
			if (ch->syncd == NULL) {
				snprintf(res->why, sizeof(res->why),
				         "SYNC from %s with %zu records: verified, acknowledged", p->name, nrr);
				break;
			}
			/* checked against HSYNC and policy, merged, saved: then NOERROR */
			char why[512] = "";
			int sr = agd_syncd_part(ch->syncd, msg.head.zone, p, &msg.content, why,
			                        sizeof(why));
			if (sr == 0) {
				snprintf(res->why, sizeof(res->why), "SYNC from %s with %zu records: verified, acknowledged, merged",
				         p->name, nrr);
			} else {
				rcode = sr == HS_ESYNC_REFUSED || sr == HS_ENOTFOUND ? KNOT_RCODE_REFUSED :
				        KNOT_RCODE_SERVFAIL;
				snprintf(res->why, sizeof(res->why), "SYNC from %s with %zu records refused: %s",
				         p->name, nrr, why[0] ? why : hs_strerror(sr));
			}
			break;
		}
		case HS_MSG_RFI:
			/* protocol.md section 8: REFUSED = not ready, we have no
			 * contribution for the zone yet (building and sending our
			 * SYNC is part 2, issue 6); signed, and the peer is heard */
			r = hs_peer_heartbeat_received(p, now);
			if (ch->syncd != NULL && agd_syncd_rfi(ch->syncd, msg.head.zone, p) == 0) {
				snprintf(res->why, sizeof(res->why), "RFI from %s: our SYNC follows", p->name);
				break;
			}
			rcode = KNOT_RCODE_REFUSED;
			snprintf(res->why, sizeof(res->why),
			         "RFI from %s: verified; no contribution of ours to send yet", p->name);
			break;
		default:
			rcode = KNOT_RCODE_NOTIMPL;
			break;
		}
	}
	res->changed = r > 0;
	res->rcode = rcode;
	res->err = 0;
	ret = hs_msg_respond(wire, len, rcode, &ro, out, max, outlen);
	if (ret != 0) {
		*outlen = 0;
	}
	hs_msg_clear(&msg);
	return 0;
}
