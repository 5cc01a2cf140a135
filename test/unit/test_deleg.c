/*
 * Unit tests for agentd/deleg.c: delegation data from the child apex, change
 * detection, the UPDATE in delta and replace mode, bootstrap, backoff.
 * Expected DS: test/data/ddns-child-ds.txt, written by dnssec-dsfromkey -2
 * for the two KSKs in test/data/ddns-keys.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "agentd/deleg.h"
#include "agentd/parent.h"
#include "agentd/trust.h"
#include "common/zone.h"
#include "libhsync/codepoints.h"
#include "libhsync/dnssec.h"
#include "libhsync/error.h"
#include "libhsync/sig0.h"
#include "test/unit/unit.h"

#define T0 1800000000
#define KSK1 "ddns-keys/Kchild.parent.example.+013+00495"
#define KSK2 "ddns-keys/Kchild.parent.example.+013+46145"
#define CHILD "child.parent.example."

static knot_dname_t *dn(const char *s)
{
	static knot_dname_storage_t buf[8];
	static int i;
	i = (i + 1) % 8;
	ck_assert_ptr_nonnull(knot_dname_from_str(buf[i], s, sizeof(buf[i])));
	return buf[i];
}

static void put(hs_zone_t *z, const char *owner, uint16_t type, const uint8_t *rd, size_t len)
{
	knot_rrset_t *rr = knot_rrset_new(dn(owner), type, KNOT_CLASS_IN, 300, NULL);
	ck_assert_int_eq(knot_rrset_add_rdata(rr, rd, len, NULL), KNOT_EOK);
	ck_assert_int_eq(hs_zone_add(z, rr, NULL), HS_EOK);
	knot_rrset_free(rr, NULL);
}

static void del(hs_zone_t *z, const char *owner, uint16_t type, const uint8_t *rd, size_t len)
{
	knot_rrset_t *rr = knot_rrset_new(dn(owner), type, KNOT_CLASS_IN, 300, NULL);
	ck_assert_int_eq(knot_rrset_add_rdata(rr, rd, len, NULL), KNOT_EOK);
	ck_assert_int_eq(hs_zone_remove(z, rr), HS_EOK);
	knot_rrset_free(rr, NULL);
}

static void put_ns(hs_zone_t *z, const char *target)
{
	const knot_dname_t *t = dn(target);
	put(z, CHILD, KNOT_RRTYPE_NS, t, knot_dname_size(t));
}

static void put_a(hs_zone_t *z, const char *owner, const char *addr)
{
	uint8_t a[16];
	if (strchr(addr, ':') != NULL) {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
		put(z, owner, KNOT_RRTYPE_AAAA, a, 16);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
		put(z, owner, KNOT_RRTYPE_A, a, 4);
	}
}

static hs_key_t *ksk1, *ksk2;
static uint8_t ds1[64], ds2[64];
static size_t ds1_len, ds2_len;

/* DS RDATA from a "name IN DS tag alg type HEX" line. */
static size_t ds_from_line(const char *line, uint8_t *out)
{
	unsigned tag, alg, type;
	char hex[200];
	ck_assert_int_eq(sscanf(line, "%*s IN DS %u %u %u %199s", &tag, &alg, &type, hex), 4);
	knot_wire_write_u16(out, tag);
	out[2] = alg;
	out[3] = type;
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned b;
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[4 + i] = b;
	}
	return 4 + n;
}

static void setup(void)
{
	char path[4200], why[HS_KEY_WHY_SIZE];
	snprintf(path, sizeof(path), "%s.key", hs_testdata(KSK1));
	ck_assert_int_eq(hs_key_load_public(path, &ksk1, why, sizeof(why)), HS_EOK);
	snprintf(path, sizeof(path), "%s.key", hs_testdata(KSK2));
	ck_assert_int_eq(hs_key_load_public(path, &ksk2, why, sizeof(why)), HS_EOK);
	FILE *f = fopen(hs_testdata("ddns-child-ds.txt"), "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ds1_len = ds_from_line(line, ds1);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ds2_len = ds_from_line(line, ds2);
	fclose(f);
	ck_assert_uint_eq(knot_wire_read_u16(ds1), 495);
}

static void teardown(void)
{
	hs_key_free(ksk1);
	hs_key_free(ksk2);
}

/* The child zone: NS in and out of bailiwick, glue, a name that is no glue, one KSK and a ZSK. */
static hs_zone_t *child_zone(void)
{
	hs_zone_t *z = NULL;
	ck_assert_int_eq(hs_zone_new(dn(CHILD), KNOT_CLASS_IN, &z), HS_EOK);
	put_ns(z, "ns1.child.parent.example.");
	put_ns(z, "ns.provider.example.");
	put_a(z, "ns1.child.parent.example.", "192.0.2.53");
	put_a(z, "ns1.child.parent.example.", "2001:db8::53");
	put_a(z, "www.child.parent.example.", "192.0.2.80");
	put(z, CHILD, KNOT_RRTYPE_DNSKEY, ksk1->rdata.data, ksk1->rdata.size);
	uint8_t zsk[512];
	memcpy(zsk, ksk2->rdata.data, ksk2->rdata.size);
	zsk[1] = 0x00;   /* flags 256: a ZSK gets no DS */
	put(z, CHILD, KNOT_RRTYPE_DNSKEY, zsk, ksk2->rdata.size);
	return z;
}

static void has(hs_zone_t *z, const char *owner, uint16_t type, uint16_t count)
{
	knot_rrset_t rr;
	if (count == 0) {
		ck_assert_int_eq(hs_zone_find(z, dn(owner), type, &rr), HS_ENOTFOUND);
		return;
	}
	ck_assert_int_eq(hs_zone_find(z, dn(owner), type, &rr), HS_EOK);
	ck_assert_uint_eq(rr.rrs.count, count);
	ck_assert_uint_eq(rr.ttl, 3600);
}

/* Change I is OP OWNER TYPE with RDATA (NULL: no RDATA). */
static void chg_is(const hs_chgs_t *c, size_t i, hs_chg_op_t op, const char *owner, uint16_t type,
                   const uint8_t *rd, size_t len)
{
	ck_assert_uint_lt(i, c->n);
	ck_assert_msg(c->v[i].op == op, "change %zu: op %d, want %d", i, c->v[i].op, op);
	ck_assert_msg(knot_dname_is_equal(c->v[i].owner, dn(owner)), "change %zu: owner", i);
	ck_assert_msg(c->v[i].type == type, "change %zu: type %u, want %u", i, c->v[i].type, type);
	ck_assert_uint_eq(c->v[i].ttl, op == HS_CHG_ADD ? 3600 : 0);
	ck_assert_uint_eq(c->v[i].len, len);
	ck_assert(len == 0 || memcmp(c->v[i].rdata, rd, len) == 0);
}

#define NAME(s) dn(s), knot_dname_size(dn(s))

START_TEST(from_zone)
{
	hs_zone_t *z = child_zone(), *d = NULL;
	ck_assert_int_eq(hs_deleg_from_zone(z, 3600, &d), HS_EOK);
	has(d, CHILD, KNOT_RRTYPE_NS, 2);
	has(d, "ns1.child.parent.example.", KNOT_RRTYPE_A, 1);
	has(d, "ns1.child.parent.example.", KNOT_RRTYPE_AAAA, 1);
	has(d, "www.child.parent.example.", KNOT_RRTYPE_A, 0);
	has(d, CHILD, KNOT_RRTYPE_DNSKEY, 0);
	has(d, CHILD, KNOT_RRTYPE_DS, 1);
	knot_rrset_t ds;
	ck_assert_int_eq(hs_zone_find(d, dn(CHILD), KNOT_RRTYPE_DS, &ds), HS_EOK);
	ck_assert_uint_eq(ds.rrs.rdata->len, ds1_len);
	ck_assert(memcmp(ds.rrs.rdata->data, ds1, ds1_len) == 0);   /* dnssec-dsfromkey's */
	ck_assert_uint_eq(hs_zone_count(d), 5);
	hs_zone_free(d);

	/* CDS wins over the DNSKEYs; the delete CDS is ignored */
	put(z, CHILD, KNOT_RRTYPE_CDS, ds2, ds2_len);
	put(z, CHILD, KNOT_RRTYPE_CDS, (const uint8_t *)"\0\0\0\0\0", 5);
	ck_assert_int_eq(hs_deleg_from_zone(z, 3600, &d), HS_EOK);
	ck_assert_int_eq(hs_zone_find(d, dn(CHILD), KNOT_RRTYPE_DS, &ds), HS_EOK);
	ck_assert_uint_eq(ds.rrs.count, 1);
	ck_assert(memcmp(ds.rrs.rdata->data, ds2, ds2_len) == 0);
	hs_zone_free(d);

	/* unsigned child, no NS at all */
	hs_zone_t *u = NULL;
	ck_assert_int_eq(hs_zone_new(dn(CHILD), KNOT_CLASS_IN, &u), HS_EOK);
	ck_assert_int_eq(hs_deleg_from_zone(u, 3600, &d), HS_ENOTFOUND);
	put_ns(u, "ns.provider.example.");
	ck_assert_int_eq(hs_deleg_from_zone(u, 3600, &d), HS_EOK);
	ck_assert_uint_eq(hs_zone_count(d), 1);
	hs_zone_free(d);
	hs_zone_free(u);
	hs_zone_free(z);
}
END_TEST

/* OLD and NEW delegation data of the zones A and B. */
static void changes(hs_zone_t *a, hs_zone_t *b, hs_deleg_mode_t mode, hs_chgs_t *c, bool *changed)
{
	hs_zone_t *da = NULL, *db = NULL;
	ck_assert_int_eq(hs_deleg_from_zone(a, 3600, &da), HS_EOK);
	ck_assert_int_eq(hs_deleg_from_zone(b, 3600, &db), HS_EOK);
	ck_assert_int_eq(hs_deleg_changes(da, db, mode, c, changed), HS_EOK);
	hs_zone_free(da);
	hs_zone_free(db);
}

START_TEST(ksk_roll)
{
	hs_zone_t *a = child_zone(), *b = child_zone();
	put(b, CHILD, KNOT_RRTYPE_DNSKEY, ksk2->rdata.data, ksk2->rdata.size);
	del(b, CHILD, KNOT_RRTYPE_DNSKEY, ksk1->rdata.data, ksk1->rdata.size);
	hs_chgs_t c;
	hs_chgs_init(&c);
	bool changed = false;
	changes(a, b, HS_DELEG_DELTA, &c, &changed);
	ck_assert(changed);
	ck_assert_uint_eq(c.n, 2);
	chg_is(&c, 0, HS_CHG_DEL_RR, CHILD, KNOT_RRTYPE_DS, ds1, ds1_len);
	chg_is(&c, 1, HS_CHG_ADD, CHILD, KNOT_RRTYPE_DS, ds2, ds2_len);
	hs_chgs_clear(&c);
	/* no change: nothing, in both modes */
	changes(a, a, HS_DELEG_DELTA, &c, &changed);
	ck_assert(!changed);
	changes(a, a, HS_DELEG_REPLACE, &c, &changed);
	ck_assert(!changed);
	ck_assert_uint_eq(c.n, 0);
	hs_zone_free(a);
	hs_zone_free(b);
}
END_TEST

START_TEST(ns_change)
{
	hs_zone_t *a = child_zone(), *b = child_zone();
	const knot_dname_t *old = dn("ns.provider.example.");
	del(b, CHILD, KNOT_RRTYPE_NS, old, knot_dname_size(old));
	put_ns(b, "ns2.provider.example.");
	hs_chgs_t c;
	hs_chgs_init(&c);
	changes(a, b, HS_DELEG_DELTA, &c, NULL);
	ck_assert_uint_eq(c.n, 2);
	chg_is(&c, 0, HS_CHG_DEL_RR, CHILD, KNOT_RRTYPE_NS, NAME("ns.provider.example."));
	chg_is(&c, 1, HS_CHG_ADD, CHILD, KNOT_RRTYPE_NS, NAME("ns2.provider.example."));
	hs_chgs_clear(&c);

	/* replace mode: delete the RRsets, add all of the new data */
	changes(a, b, HS_DELEG_REPLACE, &c, NULL);
	uint8_t a4[4], a6[16];
	inet_pton(AF_INET, "192.0.2.53", a4);
	inet_pton(AF_INET6, "2001:db8::53", a6);
	ck_assert_uint_eq(c.n, 9);
	chg_is(&c, 0, HS_CHG_DEL_RRSET, CHILD, KNOT_RRTYPE_NS, NULL, 0);
	chg_is(&c, 1, HS_CHG_DEL_RRSET, CHILD, KNOT_RRTYPE_DS, NULL, 0);
	chg_is(&c, 2, HS_CHG_DEL_RRSET, "ns1.child.parent.example.", KNOT_RRTYPE_A, NULL, 0);
	chg_is(&c, 3, HS_CHG_DEL_RRSET, "ns1.child.parent.example.", KNOT_RRTYPE_AAAA, NULL, 0);
	chg_is(&c, 4, HS_CHG_ADD, CHILD, KNOT_RRTYPE_NS, NAME("ns1.child.parent.example."));
	chg_is(&c, 5, HS_CHG_ADD, CHILD, KNOT_RRTYPE_NS, NAME("ns2.provider.example."));
	chg_is(&c, 6, HS_CHG_ADD, CHILD, KNOT_RRTYPE_DS, ds1, ds1_len);
	chg_is(&c, 7, HS_CHG_ADD, "ns1.child.parent.example.", KNOT_RRTYPE_A, a4, 4);
	chg_is(&c, 8, HS_CHG_ADD, "ns1.child.parent.example.", KNOT_RRTYPE_AAAA, a6, 16);

	/* on the wire: classes and TTLs of RFC 2136 2.5 */
	knot_pkt_t *pkt = NULL;
	ck_assert_int_eq(hs_deleg_update_new(dn("parent.example."), &c, 0, &pkt), HS_EOK);
	knot_pkt_t *p = knot_pkt_new(pkt->wire, pkt->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	ck_assert_uint_eq(knot_wire_get_opcode(p->wire), KNOT_OPCODE_UPDATE);
	ck_assert_uint_eq(knot_wire_get_qdcount(p->wire), 1);
	ck_assert_uint_eq(knot_wire_get_ancount(p->wire), 0);
	ck_assert_uint_eq(knot_wire_get_nscount(p->wire), 9);
	ck_assert_uint_eq(knot_pkt_qtype(p), KNOT_RRTYPE_SOA);
	ck_assert(knot_dname_is_equal(knot_pkt_qname(p), dn("parent.example.")));
	const knot_pktsection_t *au = knot_pkt_section(p, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < 9; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(au, i);
		ck_assert_uint_eq(rr->type, c.v[i].type);
		ck_assert_uint_eq(rr->rclass, i < 4 ? KNOT_CLASS_ANY : KNOT_CLASS_IN);
		ck_assert_uint_eq(rr->ttl, i < 4 ? 0 : 3600);
		ck_assert_uint_eq(rr->rrs.rdata->len, i < 4 ? 0 : c.v[i].len);
	}
	knot_pkt_free(p);
	knot_pkt_free(pkt);
	hs_chgs_clear(&c);
	ck_assert_int_eq(hs_deleg_update_new(dn("parent.example."), &c, 0, &pkt), HS_EINVAL);
	hs_zone_free(a);
	hs_zone_free(b);
}
END_TEST

START_TEST(glue_change)
{
	hs_zone_t *a = child_zone(), *b = child_zone();
	uint8_t o4[4], n4[4];
	inet_pton(AF_INET, "192.0.2.53", o4);
	inet_pton(AF_INET, "192.0.2.54", n4);
	del(b, "ns1.child.parent.example.", KNOT_RRTYPE_A, o4, 4);
	put(b, "ns1.child.parent.example.", KNOT_RRTYPE_A, n4, 4);
	hs_chgs_t c;
	hs_chgs_init(&c);
	changes(a, b, HS_DELEG_DELTA, &c, NULL);
	ck_assert_uint_eq(c.n, 3);
	chg_is(&c, 0, HS_CHG_DEL_RR, "ns1.child.parent.example.", KNOT_RRTYPE_A, o4, 4);
	chg_is(&c, 1, HS_CHG_ADD, "ns1.child.parent.example.", KNOT_RRTYPE_A, n4, 4);
	chg_is(&c, 2, HS_CHG_ADD, CHILD, KNOT_RRTYPE_NS, NAME("ns1.child.parent.example."));

	/* the parent's receiver takes it as it is */
	char path[4200], why[HS_KEY_WHY_SIZE];
	hs_key_t *k = NULL, *pk = NULL;
	snprintf(path, sizeof(path), "%s.private", hs_testdata("ddns-keys/Kchild.parent.example.+015+41513"));
	ck_assert_int_eq(hs_key_load(path, &k, why, sizeof(why)), HS_EOK);
	snprintf(path, sizeof(path), "%s.private", hs_testdata("ddns-keys/Kparent.example.+015+64135"));
	ck_assert_int_eq(hs_key_load(path, &pk, why, sizeof(why)), HS_EOK);
	hs_trust_t *t = NULL;
	ck_assert_int_eq(hs_trust_new(0, &t), HS_EOK);
	ck_assert_int_eq(hs_trust_manual(t, k->owner, k->rdata.data, k->rdata.size, T0), HS_EOK);
	hs_parent_conf_t conf = { .zone = dn("parent.example."), .trust = t, .key = pk, .sig0.now = T0 };
	knot_pkt_t *pkt = NULL;
	ck_assert_int_eq(hs_deleg_update_new(conf.zone, &c, hs_sig0_reserve(k, NULL), &pkt), HS_EOK);
	hs_sig0_opts_t o = { .now = T0 };
	ck_assert_int_eq(hs_sig0_sign_pkt(pkt, k, NULL, 0, &o), HS_EOK);
	hs_parent_result_t r;
	hs_parent_result_init(&r);
	ck_assert_int_eq(hs_parent_handle(&conf, pkt->wire, pkt->size, &r), HS_EOK);
	ck_assert_msg(r.verdict == HS_PARENT_APPLY, "%s", r.reason);
	ck_assert_uint_eq(r.changes.n, 3);
	hs_parent_result_clear(&r);
	knot_pkt_free(pkt);
	/* the replace-mode UPDATE too */
	hs_chgs_clear(&c);
	changes(a, b, HS_DELEG_REPLACE, &c, NULL);
	ck_assert_int_eq(hs_deleg_update_new(conf.zone, &c, hs_sig0_reserve(k, NULL), &pkt), HS_EOK);
	ck_assert_int_eq(hs_sig0_sign_pkt(pkt, k, NULL, 0, &o), HS_EOK);
	hs_parent_result_init(&r);
	ck_assert_int_eq(hs_parent_handle(&conf, pkt->wire, pkt->size, &r), HS_EOK);
	ck_assert_msg(r.verdict == HS_PARENT_APPLY, "%s", r.reason);
	ck_assert_uint_eq(r.changes.n, c.n);
	hs_parent_result_clear(&r);
	knot_pkt_free(pkt);
	hs_trust_free(t);
	hs_key_free(k);
	hs_key_free(pk);
	hs_chgs_clear(&c);
	hs_zone_free(a);
	hs_zone_free(b);
}
END_TEST

START_TEST(first_time)
{
	/* never told anything: delta is all adds */
	hs_zone_t *a = child_zone(), *d = NULL;
	ck_assert_int_eq(hs_deleg_from_zone(a, 3600, &d), HS_EOK);
	hs_chgs_t c;
	hs_chgs_init(&c);
	bool changed = false;
	ck_assert_int_eq(hs_deleg_changes(NULL, d, HS_DELEG_DELTA, &c, &changed), HS_EOK);
	ck_assert(changed);
	ck_assert_uint_eq(c.n, 5);
	for (size_t i = 0; i < c.n; i++) {
		ck_assert_int_eq(c.v[i].op, HS_CHG_ADD);
	}
	ck_assert_int_eq(hs_deleg_changes(NULL, d, 7, &c, NULL), HS_EINVAL);
	hs_chgs_clear(&c);
	hs_zone_free(d);
	hs_zone_free(a);
}
END_TEST

START_TEST(state_file)
{
	char dir[] = "/tmp/hs-deleg-XXXXXX", path[256], why[512] = "";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/told.zone", dir);
	hs_zone_t *a = child_zone(), *d = NULL, *back = NULL;
	ck_assert_int_eq(hs_deleg_load(path, dn(CHILD), &back, why, sizeof(why)), HS_ENOTFOUND);
	ck_assert_int_eq(hs_deleg_from_zone(a, 3600, &d), HS_EOK);
	ck_assert_int_eq(hs_deleg_save(d, path, why, sizeof(why)), HS_EOK);
	ck_assert_int_eq(hs_deleg_load(path, dn(CHILD), &back, why, sizeof(why)), HS_EOK);
	ck_assert(hs_zone_equal(d, back));
	hs_zone_free(back);
	FILE *f = fopen(path, "r");
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	ck_assert_ptr_nonnull(strstr(text, "19ABD983891FF8B1EF094033197F19B2ACD5CC377C52A8319B3C90466EC6C0C9"));
	ck_assert_ptr_nonnull(strstr(text, "ns1.child.parent.example."));
	/* broken and foreign content */
	f = fopen(path, "w");
	fputs("child.parent.example. 3600 IN NS\n", f);
	fclose(f);
	ck_assert_int_lt(hs_deleg_load(path, dn(CHILD), &back, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, path));
	f = fopen(path, "w");
	fputs("other.example. 3600 IN NS ns.example.\n", f);
	fclose(f);
	ck_assert_int_lt(hs_deleg_load(path, dn(CHILD), &back, why, sizeof(why)), 0);
	ck_assert_int_eq(hs_deleg_save(d, "/nonexistent/told.zone", why, sizeof(why)), HS_EIO);
	unlink(path);
	rmdir(dir);
	hs_zone_free(d);
	hs_zone_free(a);
}
END_TEST

START_TEST(bootstrap_msg)
{
	char path[4200], why[HS_KEY_WHY_SIZE];
	hs_key_t *k = NULL;
	snprintf(path, sizeof(path), "%s.private", hs_testdata("ddns-keys/Kchild.parent.example.+013+11727"));
	ck_assert_int_eq(hs_key_load(path, &k, why, sizeof(why)), HS_EOK);
	knot_pkt_t *pkt = NULL;
	ck_assert_int_eq(hs_deleg_bootstrap_new(dn("parent.example."), k, 600, &pkt), HS_EOK);
	knot_pkt_t *p = knot_pkt_new(pkt->wire, pkt->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	const knot_pktsection_t *au = knot_pkt_section(p, KNOT_AUTHORITY);
	ck_assert_uint_eq(au->count, 2);
	const knot_rrset_t *d = knot_pkt_rr(au, 0), *a = knot_pkt_rr(au, 1);
	ck_assert_uint_eq(d->type, HS_RRTYPE_KEY);
	ck_assert_uint_eq(d->rclass, KNOT_CLASS_ANY);
	ck_assert_uint_eq(a->type, HS_RRTYPE_KEY);
	ck_assert_uint_eq(a->rclass, KNOT_CLASS_IN);
	ck_assert_uint_eq(a->ttl, 600);
	ck_assert(knot_dname_is_equal(a->owner, dn(CHILD)));
	ck_assert_uint_eq(a->rrs.rdata->len, k->rdata.size);
	ck_assert(memcmp(a->rrs.rdata->data, k->rdata.data, k->rdata.size) == 0);
	knot_pkt_free(p);
	knot_pkt_free(pkt);
	/* KeyState query: QUERY child KEY, option KEY-ID = tag, KEY-STATE 2 */
	ck_assert_int_eq(hs_deleg_keystate_query_new(k, &pkt), HS_EOK);
	p = knot_pkt_new(pkt->wire, pkt->size, NULL);
	ck_assert_int_eq(knot_pkt_parse(p, 0), KNOT_EOK);
	ck_assert_uint_eq(knot_wire_get_opcode(p->wire), KNOT_OPCODE_QUERY);
	ck_assert_uint_eq(knot_pkt_qtype(p), HS_RRTYPE_KEY);
	uint8_t *opt = knot_edns_get_option(p->opt_rr, HS_EDNS_KEYSTATE, NULL);
	ck_assert_ptr_nonnull(opt);
	ck_assert_uint_eq(knot_edns_opt_get_length(opt), 4);
	const uint8_t *od = knot_edns_opt_get_data(opt);
	ck_assert_uint_eq(knot_wire_read_u16(od), 11727);
	ck_assert_uint_eq(od[2], HS_KS_INQUIRE);
	ck_assert_uint_eq(od[3], 0);
	knot_pkt_free(p);
	knot_pkt_free(pkt);
	hs_key_free(k);
}
END_TEST

static bool op_b(const knot_dname_t *id, void *ctx)
{
	return hs_dname_equal(id, (const knot_dname_t *)ctx);
}

START_TEST(sender)
{
	hs_hsync_t h[3];
	ck_assert_int_eq(hs_hsync_from_text(&h[0], "ON AGENT NOSIGN a.example. ."), HS_EOK);
	ck_assert_int_eq(hs_hsync_from_text(&h[1], "ON AGENT SIGN b.example. ."), HS_EOK);
	ck_assert_int_eq(hs_hsync_from_text(&h[2], "ON AGENT SIGN c.example. ."), HS_EOK);
	knot_dname_storage_t a, b, c;
	knot_dname_from_str(a, "a.example.", sizeof(a));
	knot_dname_from_str(b, "b.example.", sizeof(b));
	knot_dname_from_str(c, "c.example.", sizeof(c));
	/* b is the first signer: if it is operational, b sends and c does not */
	ck_assert(hs_deleg_is_sender(h, 3, b, op_b, b));
	ck_assert(!hs_deleg_is_sender(h, 3, c, op_b, b));
	/* b not operational: c takes over */
	ck_assert(hs_deleg_is_sender(h, 3, c, NULL, NULL));
	/* a does not sign: never */
	ck_assert(!hs_deleg_is_sender(h, 3, a, NULL, NULL));
	h[1].state = HS_HSYNC_STATE_OFF;
	ck_assert(hs_deleg_is_sender(h, 3, c, op_b, b));
	ck_assert(!hs_deleg_is_sender(h, 0, c, NULL, NULL));
}
END_TEST

START_TEST(backoff)
{
	hs_backoff_t b;
	hs_backoff_init(&b, 0, 60);
	static const uint32_t want[] = { 5, 10, 20, 40, 60, 60, 60 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_uint_eq(hs_backoff_fail(&b), want[i]);
	}
	hs_backoff_reset(&b);
	ck_assert_uint_eq(hs_backoff_fail(&b), 5);
	hs_backoff_init(&b, 1, 2);
	ck_assert_uint_eq(hs_backoff_fail(&b), 5);
	ck_assert_uint_eq(hs_backoff_fail(&b), 5);
	hs_backoff_init(&b, 30, 100);
	ck_assert_uint_eq(hs_backoff_fail(&b), 30);
	ck_assert_uint_eq(hs_backoff_fail(&b), 60);
	ck_assert_uint_eq(hs_backoff_fail(&b), 100);
	ck_assert_uint_eq(hs_backoff_fail(&b), 100);
	hs_backoff_init(&b, 5, UINT32_MAX);
	for (int i = 0; i < 40; i++) {
		ck_assert_uint_ge(hs_backoff_fail(&b), 5);
	}
	ck_assert_uint_eq(hs_backoff_fail(&b), UINT32_MAX);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("deleg");
	TCase *tc = tcase_create("child");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, from_zone);
	tcase_add_test(tc, ksk_roll);
	tcase_add_test(tc, ns_change);
	tcase_add_test(tc, glue_change);
	tcase_add_test(tc, first_time);
	tcase_add_test(tc, state_file);
	tcase_add_test(tc, bootstrap_msg);
	tcase_add_test(tc, sender);
	tcase_add_test(tc, backoff);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
