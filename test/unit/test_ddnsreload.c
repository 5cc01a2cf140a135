/*
 * Unit tests for agentd/ddnsreload.c's pure helpers: when is a parent or
 * child block of a reloaded configuration the same as the running one
 * (agd_pcfg_equal, agd_pcfg_same_listen, agd_ccfg_equal, agd_tsig_equal,
 * agd_key_equal). Every option that differs must make the blocks differ;
 * a listen change alone is a listen change, a primary change is not.
 * Keys: test/data/ddns-keys.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "agentd/childint.h"
#include "agentd/ddns.h"
#include "common/addr.h"
#include "libhsync/error.h"
#include "libhsync/key.h"
#include "test/unit/unit.h"

#define K_CHILD_ED   "ddns-keys/Kchild.parent.example.+015+41513"
#define K_CHILD_P256 "ddns-keys/Kchild.parent.example.+013+11727"

static hs_key_t *load(const char *stem)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s.private", hs_testdata(stem));
	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *k = NULL;
	int ret = hs_key_load(path, &k, why, sizeof(why));
	ck_assert_msg(ret == HS_EOK, "%s: %s", hs_strerror(ret), why);
	return k;
}

static void addr(struct sockaddr_storage *ss, const char *text)
{
	ck_assert_int_eq(hs_addr_parse(text, 53, ss), 0);
}

static void tsig(knot_tsig_key_t *k, const char *name, const char *secret_b64)
{
	knot_tsig_key_t t;
	ck_assert_int_eq(knot_tsig_key_init(&t, "hmac-sha256", name, secret_b64), 0);
	*k = t;
}

/* a parent block: parent.example on 127.0.0.1@5300, primary @5301 key pupd */
static void pcfg(struct agd_pcfg *p, const char *keystem)
{
	memset(p, 0, sizeof(*p));
	knot_dname_from_str(p->zone, "parent.example.", sizeof(p->zone));
	snprintf(p->zone_txt, sizeof(p->zone_txt), "parent.example.");
	p->nlisten = 1;
	addr(&p->listen[0], "127.0.0.1@5300");
	p->npublish = 1;
	p->publish[0] = p->listen[0];
	p->key = load(keystem);
	knot_dname_from_str(p->target, "ddns.parent.example.", sizeof(p->target));
	addr(&p->primary, "127.0.0.1@5301");
	tsig(&p->tsig, "pupd", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MDE=");
	p->has_tsig = true;
	p->trust_path = strdup("/var/lib/hsync/trust-parent.example.json");
	p->lookups = 2;
	p->interval = 60;
	p->ns_port = 53;
}

START_TEST(parent_equal)
{
	struct agd_pcfg a, b;
	pcfg(&a, K_CHILD_ED);
	pcfg(&b, K_CHILD_ED);
	ck_assert(agd_pcfg_equal(&a, &b));
	ck_assert(agd_pcfg_same_listen(&a, &b));

	/* the primary moved: changed, listeners the same */
	addr(&b.primary, "127.0.0.1@5302");
	ck_assert(!agd_pcfg_equal(&a, &b));
	ck_assert(agd_pcfg_same_listen(&a, &b));
	b.primary = a.primary;
	ck_assert(agd_pcfg_equal(&a, &b));

	/* another TSIG secret, another TSIG name, no TSIG */
	knot_tsig_key_deinit(&b.tsig);
	tsig(&b.tsig, "pupd", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MDI=");
	ck_assert(!agd_pcfg_equal(&a, &b));
	knot_tsig_key_deinit(&b.tsig);
	tsig(&b.tsig, "pupd2", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MDE=");
	ck_assert(!agd_pcfg_equal(&a, &b));
	ck_assert(!agd_tsig_equal(&a.tsig, true, &b.tsig, false));
	ck_assert(agd_tsig_equal(&a.tsig, false, &b.tsig, false));
	knot_tsig_key_deinit(&b.tsig);
	tsig(&b.tsig, "PUPD", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MDE=");
	ck_assert(agd_pcfg_equal(&a, &b));       /* names compare case-insensitively */

	/* a listen address added: changed, and a listen change */
	b.nlisten = 2;
	addr(&b.listen[1], "127.0.0.2@5300");
	ck_assert(!agd_pcfg_equal(&a, &b));
	ck_assert(!agd_pcfg_same_listen(&a, &b));
	b.nlisten = 1;
	addr(&b.listen[0], "127.0.0.1@5399");      /* the port alone */
	ck_assert(!agd_pcfg_same_listen(&a, &b));
	b.listen[0] = a.listen[0];
	ck_assert(agd_pcfg_equal(&a, &b));

	/* each other option */
	b.lookups = 3;
	ck_assert(!agd_pcfg_equal(&a, &b));
	b.lookups = a.lookups;
	b.interval = 61;
	ck_assert(!agd_pcfg_equal(&a, &b));
	b.interval = a.interval;
	b.ns_port = 5353;
	ck_assert(!agd_pcfg_equal(&a, &b));
	b.ns_port = a.ns_port;
	addr(&b.publish[0], "192.0.2.1@5300");
	ck_assert(!agd_pcfg_equal(&a, &b));
	ck_assert(agd_pcfg_same_listen(&a, &b));
	b.publish[0] = a.publish[0];
	knot_dname_from_str(b.target, "other.parent.example.", sizeof(b.target));
	ck_assert(!agd_pcfg_equal(&a, &b));
	memcpy(b.target, a.target, sizeof(b.target));
	free(b.trust_path);
	b.trust_path = strdup("/elsewhere/trust.json");
	ck_assert(!agd_pcfg_equal(&a, &b));
	free(b.trust_path);
	b.trust_path = strdup(a.trust_path);
	ck_assert(agd_pcfg_equal(&a, &b));

	/* another key pair */
	hs_key_free(b.key);
	b.key = load(K_CHILD_P256);
	ck_assert(!agd_pcfg_equal(&a, &b));
	ck_assert(!agd_key_equal(a.key, b.key));
	ck_assert(agd_key_equal(a.key, a.key));
	ck_assert(!agd_key_equal(a.key, NULL));
	ck_assert(agd_key_equal(NULL, NULL));

	/* another zone */
	hs_key_free(b.key);
	b.key = load(K_CHILD_ED);
	ck_assert(agd_pcfg_equal(&a, &b));
	knot_dname_from_str(b.zone, "example.", sizeof(b.zone));
	ck_assert(!agd_pcfg_equal(&a, &b));

	agd_pcfg_clear(&a);
	agd_pcfg_clear(&b);
	ck_assert_ptr_null(a.key);
	ck_assert_ptr_null(a.trust_path);
	ck_assert(!a.has_tsig);
	agd_pcfg_clear(&a);         /* a cleared block clears again */
}
END_TEST

static void ccfg(struct ccfg *c, const char *keystem)
{
	memset(c, 0, sizeof(*c));
	knot_dname_from_str(c->zone, "child.parent.example.", sizeof(c->zone));
	snprintf(c->zone_txt, sizeof(c->zone_txt), "child.parent.example.");
	addr(&c->source, "127.0.0.1@5400");
	c->key = load(keystem);
	c->mode = HS_DELEG_DELTA;
	c->ttl = 3600;
	c->refresh = 300;
	c->bmin = 1;
	c->bmax = 3600;
	c->told_path = strdup("/var/lib/hsync/deleg-child.parent.example.zone");
}

START_TEST(child_equal)
{
	struct ccfg a, b;
	ccfg(&a, K_CHILD_P256);
	ccfg(&b, K_CHILD_P256);
	ck_assert(agd_ccfg_equal(&a, &b));

	addr(&b.source, "127.0.0.1@5401");
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.source = a.source;
	tsig(&b.tsig, "xfr", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MDE=");
	b.has_tsig = true;
	ck_assert(!agd_ccfg_equal(&a, &b));
	knot_tsig_key_deinit(&b.tsig);
	b.has_tsig = false;
	ck_assert(agd_ccfg_equal(&a, &b));

	knot_dname_from_str(b.parent, "parent.example.", sizeof(b.parent));
	ck_assert(!agd_ccfg_equal(&a, &b));
	memset(b.parent, 0, sizeof(b.parent));
	b.mode = HS_DELEG_REPLACE;
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.mode = a.mode;
	b.ttl = 300;
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.ttl = a.ttl;
	b.refresh = 1;
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.refresh = a.refresh;
	b.bmin = 2;
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.bmin = a.bmin;
	b.bmax = 60;
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.bmax = a.bmax;
	ck_assert(agd_ccfg_equal(&a, &b));

	/* publish-key and its combinerd */
	b.kc.on = true;
	addr(&b.kc.addr, "127.0.0.1@5500");
	ck_assert(!agd_ccfg_equal(&a, &b));
	a.kc.on = true;
	addr(&a.kc.addr, "127.0.0.1@5500");
	ck_assert(agd_ccfg_equal(&a, &b));
	addr(&b.kc.addr, "127.0.0.1@5501");
	ck_assert(!agd_ccfg_equal(&a, &b));
	b.kc.addr = a.kc.addr;
	tsig(&b.kc.tsig, "comb", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MDE=");
	b.kc.has_tsig = true;
	ck_assert(!agd_ccfg_equal(&a, &b));
	agd_ckey_cfg_clear(&b.kc);
	ck_assert(agd_ccfg_equal(&a, &b));

	/* another key, another zone */
	hs_key_free(b.key);
	b.key = load(K_CHILD_ED);
	ck_assert(!agd_ccfg_equal(&a, &b));
	hs_key_free(b.key);
	b.key = load(K_CHILD_P256);
	ck_assert(agd_ccfg_equal(&a, &b));
	knot_dname_from_str(b.zone, "other.parent.example.", sizeof(b.zone));
	ck_assert(!agd_ccfg_equal(&a, &b));

	agd_ccfg_clear(&a);
	agd_ccfg_clear(&b);
	ck_assert_ptr_null(b.key);
	ck_assert_ptr_null(b.told_path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ddnsreload");
	TCase *tc = tcase_create("equal");
	tcase_add_test(tc, parent_equal);
	tcase_add_test(tc, child_equal);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
