/*
 * test/fuzz/fuzz_combinerd.c -- libFuzzer target for combinerd's request
 * handler cbd_handle() (combinerd/proto.c): everything that is not a
 * transfer and comes from the network, UPDATE from the agent, NOTIFY from a
 * primary, SOA and apex queries, from anyone.
 *
 * Set up once: a temp directory with a TSIG key file (keys xfr, agent,
 * other) and combinerd's state, the configuration
 *	zone example. { primary 192.0.2.1@5301 key xfr;
 *	                downstream 127.0.0.1@5302 key xfr;
 *	                allow 10.0.0.0/8; agent-key agent }
 * and a small owner zone. Input layout:
 *	byte 0   flags: 0x01 the peer is the primary 192.0.2.1 (else
 *	         0x10 picks 10.1.2.3, an allowed address, else 192.0.2.9);
 *	         0x02 came by UDP (else TCP);
 *	         0x04 the harness signs the rest with the agent key before
 *	         handing it over, 0x08 with the primary's key xfr (0x04 wins),
 *	         so the checks behind a valid TSIG (the UPDATE's sections,
 *	         prerequisites, contrib.c) are reached too
 *	byte 1.. the DNS message as it came off the wire
 * What must hold: cbd_handle returns 0 or a negative code; an answer is
 * empty or a well-formed response (QR set, ID echoed, parsable by
 * libknot) that fits 512 bytes over UDP; an action comes with its zone
 * (a refusal may name the zone too, for the log line, which combinerd.h
 * does not say); the log line is NUL-terminated. An accepted change is undone by
 * reopening fresh state, so every input sees the same zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "combinerd/combinerd.h"
#include "common/log.h"
#include "libhsync/error.h"
#include "libhsync/tsig.h"

/* abort() naming the line, so a crash says which property broke */
#define check(cond) check_at((cond), __LINE__)
static void check_at(int cond, int line)
{
	if (!cond) {
		fprintf(stderr, "fuzz_combinerd: check at line %d failed\n", line);
		abort();
	}
}

static const char KEYS[] =
	"key \"xfr\" {\n\talgorithm hmac-sha256;\n"
	"\tsecret \"JseEgsRGYB7ZlAKnbVTEXS+JxGjzSkH1aeBiWlPyIkA=\";\n};\n"
	"key \"agent\" {\n\talgorithm hmac-sha256;\n"
	"\tsecret \"yL3DN6r/7ZsJjKsyyjy7FwYPfF0PdOot764mWS0W7CQ=\";\n};\n"
	"key \"other\" {\n\talgorithm hmac-sha256;\n"
	"\tsecret \"bx6Ud4B5ULII4cDD6fAhGNhQr+3U7o5SymwuaInhB8o=\";\n};\n";

/* The owner zone, as wire-format RRs built once from these. */
static const struct {
	const char *owner;
	uint16_t type;
	const char *rdata;  /* wire RDATA */
	uint16_t len;
} OWNER[] = {
	{ "example.", KNOT_RRTYPE_SOA,
	  "\x03ns1\x07" "example\x00\x0ahostmaster\x07" "example\x00"
	  "\x00\x00\x00\x07\x00\x00\x0e\x10\x00\x00\x02\x58\x00\x01\x51\x80\x00\x00\x01\x2c", 53 },
	{ "example.", KNOT_RRTYPE_NS, "\x03ns1\x07" "example\x00", 13 },
	{ "example.", KNOT_RRTYPE_MX, "\x00\x0a\x04mail\x07" "example\x00", 16 },
	{ "ns1.example.", KNOT_RRTYPE_A, "\xc0\x00\x02\x01", 4 },
	{ "www.example.", KNOT_RRTYPE_A, "\xc0\x00\x02\x04", 4 },
	{ "sub.example.", KNOT_RRTYPE_NS, "\x02ns\x03sub\x07" "example\x00", 16 },
};

static char dir[64];
static cbd_cfg_t *cfg;
static cbd_zone_t *zone;
static cbd_view_t view;
static knot_pkt_t *resp;
static struct sockaddr_storage peers[3];  /* primary, allowed, stranger */

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

static void rm_state(void)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/example.contrib.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/example.journal", dir);
	unlink(p);
}

/* Fresh state: no contributions, the owner zone as first input. */
static void open_zone(void)
{
	char err[HS_CONF_ERRLEN];
	rm_state();
	check(cbd_zone_open(cfg, &cfg->zones[0], &zone, err, sizeof(err)) == 0);
	hs_zone_t *owner = NULL;
	check(hs_zone_new((const knot_dname_t *)"\x07" "example", KNOT_CLASS_IN, &owner) == 0);
	for (size_t i = 0; i < sizeof(OWNER) / sizeof(OWNER[0]); i++) {
		knot_dname_t *name = knot_dname_from_str_alloc(OWNER[i].owner);
		knot_rrset_t rr;
		knot_rrset_init(&rr, name, OWNER[i].type, KNOT_CLASS_IN, 3600);
		check(knot_rrset_add_rdata(&rr, (const uint8_t *)OWNER[i].rdata, OWNER[i].len, NULL) == 0);
		check(hs_zone_add(owner, &rr, NULL) == 0);
		knot_rrset_clear(&rr, NULL);
	}
	check(cbd_zone_owner_full(zone, &owner, "fuzz") == 1);
	view.zones = &zone;
}

static void cleanup(void)
{
	cbd_zone_free(zone);
	cbd_cfg_free(cfg);
	knot_pkt_free(resp);
	rm_state();
	char p[128];
	snprintf(p, sizeof(p), "%s/keys", dir);
	unlink(p);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	hs_log_set_hook(quiet, NULL);
	strcpy(dir, "/tmp/fuzz_cbd.XXXXXX");
	check(mkdtemp(dir) != NULL);
	char path[128], conf[1024], err[HS_CONF_ERRLEN];
	snprintf(path, sizeof(path), "%s/keys", dir);
	FILE *f = fopen(path, "w");
	check(f != NULL && fputs(KEYS, f) >= 0 && fclose(f) == 0);
	snprintf(conf, sizeof(conf),
	         "tsig-key-file \"%s\"\nstate-dir \"%s\"\n"
	         "zone example. {\n"
	         "\tprimary 192.0.2.1@5301 key xfr\n"
	         "\tdownstream 127.0.0.1@5302 key xfr\n"
	         "\tallow 10.0.0.0/8\n"
	         "\tagent-key agent\n}\n", path, dir);
	if (cbd_cfg_load("fuzz.conf", conf, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_combinerd: %s\n", err);
		abort();
	}
	view.cfg = cfg;
	view.nzones = 1;
	open_zone();
	resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	check(resp != NULL);
	check(hs_addr_parse("192.0.2.1@40000", 0, &peers[0]) == 0);
	check(hs_addr_parse("10.1.2.3@40000", 0, &peers[1]) == 0);
	check(hs_addr_parse("192.0.2.9@40000", 0, &peers[2]) == 0);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > KNOT_WIRE_MAX_PKTSIZE) {
		return 0;
	}
	uint8_t flags = data[0];
	const struct sockaddr *peer = (const struct sockaddr *)
		&peers[(flags & 0x01) ? 0 : (flags & 0x10) ? 1 : 2];
	bool udp = (flags & 0x02) != 0;
	size_t len = size - 1;
	uint8_t *msg = malloc(len + 512);
	check(msg != NULL);
	memcpy(msg, data + 1, len);

	const char *signer = (flags & 0x04) ? "agent" : (flags & 0x08) ? "xfr" : NULL;
	if (signer != NULL && len >= KNOT_WIRE_HEADER_SIZE) {
		uint8_t digest[64];
		size_t dlen = sizeof(digest), sz = len;
		if (knot_tsig_sign(msg, &sz, len + 512, NULL, 0, digest, &dlen,
		                   hs_tsig_find_str(&cfg->keys, signer), 0, 0) == KNOT_EOK) {
			len = sz;
		}
	}

	cbd_zone_t *z = (cbd_zone_t *)1;
	int action = -1;
	char log[512];
	memset(log, 'x', sizeof(log));
	knot_pkt_clear(resp);
	int ret = cbd_handle(&view, peer, udp, msg, len, resp, &z, &action, log, sizeof(log));
	check(ret <= 0);
	check(memchr(log, 0, sizeof(log)) != NULL);
	if (getenv("FUZZ_CBD_DEBUG") != NULL) {  /* what a seed reaches */
		fprintf(stderr, "ret %d rcode %d action %d size %zu: %s\n", ret,
		        resp->size >= KNOT_WIRE_HEADER_SIZE ? knot_wire_get_rcode(resp->wire) : -1,
		        action, resp->size, log);
	}
	if (ret == 0) {
		check(action == CBD_ACT_NONE || action == CBD_ACT_REFRESH ||
		      action == CBD_ACT_CHANGED);
		/* a refusal names the zone too (for the log line), an action needs it */
		check(action == CBD_ACT_NONE || z == zone);
		check(z == NULL || z == zone);
	}
	if (ret == 0 && resp->size > 0) {
		check(resp->size >= KNOT_WIRE_HEADER_SIZE);
		check(knot_wire_get_qr(resp->wire));
		check(len < 2 || knot_wire_get_id(resp->wire) == knot_wire_get_id(msg));
		check(!udp || resp->size <= 512);
		knot_pkt_t *p = knot_pkt_new(NULL, resp->size, NULL);
		check(p != NULL);
		memcpy(p->wire, resp->wire, resp->size);
		p->size = resp->size;
		check(knot_pkt_parse(p, 0) == KNOT_EOK);
		knot_pkt_free(p);
	}
	if (ret == 0 && action == CBD_ACT_CHANGED) {
		cbd_zone_free(zone);
		zone = NULL;
		open_zone();
	}
	free(msg);
	return 0;
}
