/* Unit tests for agentd/publish.c: known text, and publish -> zone text -> discover. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "agentd/discover.h"
#include "agentd/publish.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "test/unit/unit.h"

static knot_dname_t *dname(const char *s)
{
	knot_dname_t *d = knot_dname_from_str_alloc(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static hs_key_t *load_key(const char *stem)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", hs_testdata(stem));
	hs_key_t *k = NULL;
	char why[HS_KEY_WHY_SIZE];
	ck_assert_msg(hs_key_load_public(path, &k, why, sizeof(why)) == 0, "%s", why);
	return k;
}

static void addr(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
}

typedef struct {
	knot_dname_t *identity, *host;
	struct sockaddr_storage addrs[4];
	hs_key_t *key;
	hs_publish_t p;
} fixture_t;

static void fixture(fixture_t *f, const char *keystem)
{
	memset(f, 0, sizeof(*f));
	f->identity = dname("agent.b.example.");
	f->host = dname("Host.B.example.");
	/* IPv6 given first: IPv4 is still written first */
	addr(&f->addrs[0], "2001:db8::1");
	addr(&f->addrs[1], "192.0.2.1");
	addr(&f->addrs[2], "192.0.2.2");
	f->key = load_key(keystem);
	f->p = (hs_publish_t){
		.identity = f->identity, .host = f->host, .port = 5300,
		.addrs = f->addrs, .naddrs = 3, .key = f->key,
	};
}

static void fixture_free(fixture_t *f)
{
	free(f->identity);
	free(f->host);
	hs_key_free(f->key);
}

#define KEY15 "sig0-keys/Ksig0.example.+015+19511.key"

START_TEST(known_text)
{
	fixture_t f;
	fixture(&f, KEY15);
	char *s = NULL;
	ck_assert_int_eq(hs_publish_uri(&f.p, &s), 0);
	ck_assert_str_eq(s, "_dns._tcp.agent.b.example. 3600 IN URI 10 1 \"dns://host.b.example:5300\"\n");
	free(s);
	ck_assert_int_eq(hs_publish_svcb(&f.p, &s), 0);
	ck_assert_str_eq(s, "host.b.example. 3600 IN SVCB 1 . port=5300 "
	                    "ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1\n");
	free(s);
	ck_assert_int_eq(hs_publish_key(&f.p, &s), 0);
	ck_assert_str_eq(s, "host.b.example. 3600 IN KEY 512 3 15 "
	                    "cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n");
	free(s);

	f.p.ttl = 300;
	f.p.nsupdate = true;
	f.p.naddrs = 1;
	ck_assert_int_eq(hs_publish_all(&f.p, &s), 0);
	ck_assert_str_eq(s,
	        "; hsync agent agent.b.example.: publish in signed zones (DNSSEC)\n"
	        "update add _dns._tcp.agent.b.example. 300 IN URI 10 1 \"dns://host.b.example:5300\"\n"
	        "update add host.b.example. 300 IN SVCB 1 . port=5300 ipv6hint=2001:db8::1\n"
	        "update add host.b.example. 300 IN KEY 512 3 15 "
	        "cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=\n");
	free(s);
	fixture_free(&f);
}
END_TEST

START_TEST(bad_input)
{
	fixture_t f;
	fixture(&f, KEY15);
	char *s = (char *)"unchanged";
	hs_publish_t p = f.p;
	p.port = 0;
	ck_assert_int_eq(hs_publish_uri(&p, &s), HS_EINVAL);
	ck_assert_int_eq(hs_publish_svcb(&p, &s), HS_EINVAL);
	ck_assert_int_eq(hs_publish_all(&p, &s), HS_EINVAL);
	p = f.p;
	p.naddrs = 0;
	ck_assert_int_eq(hs_publish_svcb(&p, &s), HS_EINVAL);
	p.naddrs = 17;
	ck_assert_int_eq(hs_publish_svcb(&p, &s), HS_EINVAL);
	p = f.p;
	p.host = (const knot_dname_t *)"";
	ck_assert_int_eq(hs_publish_uri(&p, &s), HS_EINVAL);
	ck_assert_int_eq(hs_publish_key(&p, &s), HS_EINVAL);
	p = f.p;
	knot_dname_t *odd = dname("a\\032b.example.");   /* a space: no dns:// URI can carry it */
	p.host = odd;
	ck_assert_int_eq(hs_publish_uri(&p, &s), HS_ENAME);
	free(odd);
	p = f.p;
	p.key = NULL;
	ck_assert_int_eq(hs_publish_key(&p, &s), HS_EINVAL);
	p = f.p;
	f.addrs[3].ss_family = AF_UNIX;
	p.naddrs = 4;
	ck_assert_int_eq(hs_publish_svcb(&p, &s), HS_EINVAL);
	ck_assert_str_eq(s, "unchanged");
	ck_assert_int_eq(hs_publish_all(NULL, &s), HS_EINVAL);
	fixture_free(&f);
}
END_TEST

/* ---- publish -> zone text -> resolver answers (AD) -> discover ---- */

#define MAXRR 8
typedef struct {
	knot_rrset_t *rr[MAXRR];
	size_t n;
} zone_t;

/* Parse TEXT (zone-file lines, ';' comments, maybe "update add " prefixes). */
static void zone_parse(zone_t *z, const char *text)
{
	char *copy = strdup(text);
	ck_assert_ptr_nonnull(copy);
	/* nsupdate lines are zone lines after "update add " */
	char *w = copy;
	for (const char *r = text; *r != '\0';) {
		if (strncmp(r, "update add ", 11) == 0) {
			r += 11;
		}
		while (*r != '\0' && *r != '\n') {
			*w++ = *r++;
		}
		if (*r == '\n') {
			*w++ = *r++;
		}
	}
	*w = '\0';
	zs_scanner_t *s = malloc(sizeof(*s));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(zs_init(s, ".", KNOT_CLASS_IN, 3600), 0);
	ck_assert_int_eq(zs_set_input_string(s, copy, strlen(copy)), 0);
	memset(z, 0, sizeof(*z));
	while (zs_parse_record(s) == 0 && s->state == ZS_STATE_DATA) {
		ck_assert_uint_lt(z->n, MAXRR);
		knot_rrset_t *rr = knot_rrset_new(s->r_owner, s->r_type, s->r_class, s->r_ttl, NULL);
		ck_assert_ptr_nonnull(rr);
		ck_assert_int_eq(knot_rrset_add_rdata(rr, s->r_data, s->r_data_length, NULL), 0);
		z->rr[z->n++] = rr;
	}
	ck_assert_msg(s->state == ZS_STATE_EOF, "zscanner: %s", zs_strerror(s->error.code));
	zs_deinit(s);
	free(s);
	free(copy);
}

static void zone_free(zone_t *z)
{
	for (size_t i = 0; i < z->n; i++) {
		knot_rrset_free(z->rr[i], NULL);
	}
}

/* Run discovery of IDENTITY against Z, answering as a validating resolver would. */
static int discover(hs_disc_t *d, const zone_t *z, const char *identity)
{
	knot_dname_t *id = dname(identity);
	ck_assert_int_eq(hs_disc_init(d, id, "127.0.0.1#5353"), 0);
	free(id);
	int ret = 0;
	for (int steps = 0; ret == 0 && hs_disc_state(d) <= HS_DISC_KEY && steps < 10; steps++) {
		knot_pkt_t *q = NULL;
		ck_assert_int_eq(hs_disc_query(d, &q), 0);
		knot_pkt_t *resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
		ck_assert_int_eq(knot_pkt_init_response(resp, q), 0);
		knot_wire_set_ad(resp->wire);
		ck_assert_int_eq(knot_pkt_begin(resp, KNOT_ANSWER), 0);
		for (size_t i = 0; i < z->n; i++) {
			if (z->rr[i]->type == knot_pkt_qtype(q) &&
			    knot_dname_is_case_equal(z->rr[i]->owner, knot_pkt_qname(q))) {
				ck_assert_int_eq(knot_pkt_put(resp, 0, z->rr[i], 0), 0);
			}
		}
		ret = hs_disc_feed(d, resp->wire, resp->size);
		knot_pkt_free(resp);
		knot_pkt_free(q);
	}
	return ret;
}

static void round_trip(const char *keystem, bool nsupdate)
{
	fixture_t f;
	fixture(&f, keystem);
	f.p.nsupdate = nsupdate;
	char *text = NULL;
	ck_assert_int_eq(hs_publish_all(&f.p, &text), 0);
	zone_t z;
	zone_parse(&z, text);
	free(text);
	ck_assert_uint_eq(z.n, 3);
	ck_assert_uint_eq(z.rr[0]->type, KNOT_RRTYPE_URI);
	ck_assert_uint_eq(z.rr[1]->type, KNOT_RRTYPE_SVCB);
	ck_assert_uint_eq(z.rr[2]->type, HS_RRTYPE_KEY);

	hs_disc_t d;
	ck_assert_msg(discover(&d, &z, "agent.b.example.") == 0, "%s", hs_disc_reason(&d));
	const hs_disc_result_t *r = hs_disc_result(&d);
	ck_assert_ptr_nonnull(r);
	ck_assert(knot_dname_is_equal(r->host, (const knot_dname_t *)"\x04host\x01" "b\x07" "example"));
	ck_assert_uint_eq(r->port, 5300);
	ck_assert_uint_eq(r->naddrs, 3);
	/* IPv4 first, then IPv6; every address with the port */
	const char *want[] = { "192.0.2.1", "192.0.2.2", "2001:db8::1" };
	for (size_t i = 0; i < 3; i++) {
		char a[INET6_ADDRSTRLEN];
		const struct sockaddr_storage *ss = &r->addrs[i];
		const void *src = ss->ss_family == AF_INET
		                  ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
		                  : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		ck_assert_ptr_nonnull(inet_ntop(ss->ss_family, src, a, sizeof(a)));
		ck_assert_str_eq(a, want[i]);
		uint16_t port = ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
		                                         : ((const struct sockaddr_in6 *)ss)->sin6_port;
		ck_assert_uint_eq(ntohs(port), 5300);
	}
	ck_assert_uint_eq(r->nkeys, 1);
	ck_assert_uint_eq(r->keys[0]->keytag, f.key->keytag);
	ck_assert_uint_eq(r->keys[0]->algorithm, f.key->algorithm);
	ck_assert_uint_eq(r->keys[0]->rdata.size, f.key->rdata.size);
	ck_assert_mem_eq(r->keys[0]->rdata.data, f.key->rdata.data, f.key->rdata.size);
	hs_disc_clear(&d);

	/* discovery of another identity finds nothing in these records */
	ck_assert_int_eq(discover(&d, &z, "agent.c.example."), HS_EDISC_NODATA);
	hs_disc_clear(&d);
	zone_free(&z);
	fixture_free(&f);
}

START_TEST(publish_discover_round_trip)
{
	round_trip("sig0-keys/Ksig0.example.+015+19511.key", false);
	round_trip("sig0-keys/Ksig0.example.+013+13510.key", false);
	round_trip("sig0-keys/Ksig0.example.+008+60107.key", true);
	round_trip("sig0-keys/Ksig0.example.+014+10883.key", true);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("publish");
	TCase *tc = tcase_create("publish");
	tcase_add_test(tc, known_text);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, publish_discover_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
