/* Unit tests for agentd/children.c: which file in key-dir is a zone's key */
#include <string.h>

#include "agentd/ddns.h"
#include "test/unit/unit.h"

START_TEST(key_name)
{
	/* what dnssec-keygen -T KEY -n HOST ZONE writes */
	ck_assert(agd_children_key_name("Kchild.parent.example.+013+11727.private",
	                                "child.parent.example."));
	ck_assert(agd_children_key_name("KChild.Parent.Example.+015+00042.private",
	                                "child.parent.example."));
	ck_assert(!agd_children_key_name("Kchild.parent.example.+013+11727.key",
	                                 "child.parent.example."));
	/* another zone that the name starts with, or that ends like it */
	ck_assert(!agd_children_key_name("Kchild.parent.example.com.+013+11727.private",
	                                 "child.parent.example."));
	ck_assert(!agd_children_key_name("Kxchild.parent.example.+013+11727.private",
	                                 "child.parent.example."));
	ck_assert(!agd_children_key_name("Kparent.example.+013+11727.private",
	                                 "child.parent.example."));
	/* malformed algorithm or tag, suffixes */
	ck_assert(!agd_children_key_name("Kchild.parent.example.+13+11727.private",
	                                 "child.parent.example."));
	ck_assert(!agd_children_key_name("Kchild.parent.example.+013+1172.private",
	                                 "child.parent.example."));
	ck_assert(!agd_children_key_name("Kchild.parent.example.+01a+11727.private",
	                                 "child.parent.example."));
	ck_assert(!agd_children_key_name("Kchild.parent.example.+013+11727.private~",
	                                 "child.parent.example."));
	ck_assert(!agd_children_key_name("Kchild.parent.example.+013+11727.private",
	                                 "child.parent.example"));
	ck_assert(!agd_children_key_name("Kchild.parent.example.", "child.parent.example."));
	ck_assert(!agd_children_key_name(NULL, "child.parent.example."));
	ck_assert(!agd_children_key_name("kchild.parent.example.+013+11727.private",
	                                 "child.parent.example."));
}
END_TEST

START_TEST(key_pick)
{
	const char *names[] = {
		"Kother.parent.example.+015+11861.private",
		"Kchild.parent.example.+015+40000.key",
		"Kchild.parent.example.+015+40000.private",
		"Kchild.parent.example.+013+11727.private",
		"Kchild.parent.example.com.+013+00001.private",
		"README",
	};
	size_t n = sizeof(names) / sizeof(names[0]);
	ck_assert_int_eq(agd_children_key_pick(names, n, "child.parent.example."), 3);
	ck_assert_int_eq(agd_children_key_pick(names, n, "other.parent.example."), 0);
	ck_assert_int_eq(agd_children_key_pick(names, n, "child.parent.example.com."), 4);
	ck_assert_int_eq(agd_children_key_pick(names, n, "third.parent.example."), -1);
	ck_assert_int_eq(agd_children_key_pick(names, 0, "child.parent.example."), -1);
	ck_assert_int_eq(agd_children_key_pick(names + 5, 1, "child.parent.example."), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("children");
	TCase *tc = tcase_create("keyfile");
	tcase_add_test(tc, key_name);
	tcase_add_test(tc, key_pick);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
