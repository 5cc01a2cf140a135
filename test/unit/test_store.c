/*
 * Unit tests for hsyncd/store.c: file names, the JSON format (a known
 * text), round trips of the signed test zones, every truncation of a real
 * state file, corrupt files, and a restart that notices a change.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libknot/libknot.h>

#include "hsyncd/apex.h"
#include "hsyncd/change.h"
#include "hsyncd/store.h"
#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hsync-test-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		char p[600];
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' && (e->d_name[1] == 0 || strcmp(e->d_name, "..") == 0))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static const knot_dname_t *zone_name(void)
{
	return (const knot_dname_t *)"\x04zone\x07" "example";
}

static hs_apex_t *load_zone(const char *name)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_load_zonefile(&a, hs_testdata(name), zone_name()), HS_EOK);
	return a;
}

static void write_file(const char *name, const char *data, size_t len)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static char *read_file(const char *name, size_t *len)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	char *buf = malloc(1 << 16);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	buf[*len] = 0;
	return buf;
}

START_TEST(filenames)
{
	char n[300];
	knot_dname_storage_t z;
	ck_assert_int_eq(hs_store_filename(zone_name(), n, sizeof(n)), HS_EOK);
	ck_assert_str_eq(n, "zone.example.apex");
	ck_assert_int_eq(hs_store_filename((const knot_dname_t *)"\x04ZoNe\x07" "EXAMPLE", n, sizeof(n)), HS_EOK);
	ck_assert_str_eq(n, "zone.example.apex");
	ck_assert_int_eq(hs_store_filename((const knot_dname_t *)"", n, sizeof(n)), HS_EOK);
	ck_assert_str_eq(n, "@.apex");
	ck_assert_int_eq(hs_store_filename_zone("@.apex", z), HS_EOK);
	ck_assert_uint_eq(z[0], 0);
	/* A label holding a dot, a slash and a space. */
	const knot_dname_t *odd = (const knot_dname_t *)"\x05" "a.b/c\x03_x-\x02" "ex";
	ck_assert_int_eq(hs_store_filename(odd, n, sizeof(n)), HS_EOK);
	ck_assert_str_eq(n, "a%2Eb%2Fc._x-.ex.apex");
	ck_assert_int_eq(hs_store_filename_zone(n, z), HS_EOK);
	ck_assert(knot_dname_is_equal(z, odd));
	ck_assert_int_eq(hs_store_filename_zone("zone.example.apex", z), HS_EOK);
	ck_assert(knot_dname_is_equal(z, zone_name()));
	ck_assert_int_eq(hs_store_filename(zone_name(), n, 10), HS_ESPACE);

	const char *bad[] = { ".zone.example.apex", "zone.example", "a..b.apex", ".apex",
	                      "%zz.apex", "%6.apex", "%61.apex", "Zone.apex", "a b.apex",
	                      "zone.example.apex.tmp", "a..apex" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(hs_store_filename_zone(bad[i], z) == HS_ENAME, "%s accepted", bad[i]);

	/* A name of 63-byte labels of odd bytes does not fit a file name. */
	uint8_t longname[256];
	size_t w = 0;
	for (int l = 0; l < 3; l++) {
		longname[w++] = 63;
		memset(longname + w, '*', 63);
		w += 63;
	}
	longname[w] = 0;
	ck_assert_int_eq(hs_store_filename(longname, n, sizeof(n)), HS_ENAME);
}
END_TEST

/* The format, byte for byte, for a small state. */
START_TEST(known_text)
{
	hs_apex_t *a = NULL;
	ck_assert_int_eq(hs_apex_new(&a, (const knot_dname_t *)"\x02" "ex"), HS_EOK);
	/* SOA ns.ex. h.ex. 1 2 3 4 5 */
	const uint8_t soa[] = "\x02ns\x02" "ex\x00\x01h\x02" "ex\x00"
	                      "\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03"
	                      "\x00\x00\x00\x04\x00\x00\x00\x05";
	ck_assert_int_eq(hs_apex_add_rr(a, (const knot_dname_t *)"\x02" "ex", KNOT_RRTYPE_SOA,
	                                KNOT_CLASS_IN, 300, soa, sizeof(soa) - 1), HS_EOK);
	const uint8_t hs[] = "\x01\x01\x01\x02id\x00\x00";
	ck_assert_int_eq(hs_apex_add_rr(a, (const knot_dname_t *)"\x02" "ex", HS_RRTYPE_HSYNC,
	                                KNOT_CLASS_IN, 60, hs, 8), HS_EOK);
	char *text = NULL;
	size_t len = 0;
	ck_assert_int_eq(hs_store_encode(a, &text, &len), HS_EOK);
	const char *want =
		"{\n"
		" \"format\": \"hsyncd-apex\",\n"
		" \"version\": 1,\n"
		" \"zone\": \"ex.\",\n"
		" \"rrsets\": [\n"
		"  {\n"
		"   \"type\": \"SOA\",\n"
		"   \"ttl\": 300,\n"
		"   \"rdata\": [\n"
		"    \"026e73026578000168026578000000000100000002000000030000000400000005\"\n"
		"   ]\n"
		"  },\n"
		"  {\n"
		"   \"type\": \"HSYNC\",\n"
		"   \"ttl\": 60,\n"
		"   \"rdata\": [\n"
		"    \"0101010269640000\"\n"
		"   ]\n"
		"  }\n"
		" ]\n"
		"}\n";
	ck_assert_str_eq(text, want);
	ck_assert_uint_eq(len, strlen(want));
	hs_apex_t *b = NULL;
	char why[256];
	ck_assert_int_eq(hs_store_decode(want, strlen(want), NULL, &b, why, sizeof(why)), HS_EOK);
	ck_assert(hs_apex_equal(a, b));
	free(text);
	hs_apex_free(b);

	/* No SOA: nothing to save. */
	hs_apex_clear(a);
	ck_assert_int_eq(hs_store_encode(a, &text, &len), HS_EINVAL);
	hs_apex_free(a);
}
END_TEST

START_TEST(round_trip)
{
	hs_store_t *s = NULL;
	ck_assert_int_eq(hs_store_open(&s, dir), HS_EOK);
	ck_assert_str_eq(hs_store_dir(s), dir);
	const char *files[] = { "apex-v1.zone", "apex-v4.zone", "apex-bad.zone" };
	for (int i = 0; i < 3; i++) {
		hs_apex_t *a = load_zone(files[i]), *b = NULL;
		ck_assert_int_eq(hs_store_save(s, a, 0), HS_EOK);
		char why[512] = "x";
		ck_assert_int_eq(hs_store_load(s, zone_name(), &b, why, sizeof(why)), HS_EOK);
		ck_assert_str_eq(why, "");
		ck_assert(hs_apex_equal(a, b));
		hs_apex_free(a);
		hs_apex_free(b);
	}
	/* No temporary file left behind; only the one state file. */
	DIR *d = opendir(dir);
	int files_seen = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		files_seen++;
		ck_assert_str_eq(e->d_name, "zone.example.apex");
	}
	closedir(d);
	ck_assert_int_eq(files_seen, 1);
	hs_store_close(s);
}
END_TEST

static int list_cb(const knot_dname_t *zone, void *ctx)
{
	char *out = ctx;
	char t[300];
	knot_dname_to_str(t, zone, sizeof(t));
	strcat(out, t);
	strcat(out, " ");
	return 0;
}

static int stop_cb(const knot_dname_t *zone, void *ctx)
{
	return 42;
}

START_TEST(list_remove_nosync)
{
	hs_store_t *s = NULL;
	ck_assert_int_eq(hs_store_open(&s, dir), HS_EOK);
	hs_apex_t *a = load_zone("apex-v1.zone");
	ck_assert_int_eq(hs_store_save(s, a, HS_STORE_NOSYNC), HS_EOK);
	/* The same state under another name, via a decode for that zone. */
	char *text = NULL;
	size_t len;
	ck_assert_int_eq(hs_store_encode(a, &text, &len), HS_EOK);
	write_file(".zone.example.apex.tmp", text, len);   /* a leftover: ignored */
	write_file("README", "x", 1);                        /* not ours: ignored */
	char *p = strstr(text, "\"zone.example.\"");
	ck_assert_ptr_nonnull(p);
	memcpy(p, "\"zone.examplf.\"", 15);
	write_file("zone.examplf.apex", text, len);
	free(text);
	ck_assert_int_eq(hs_store_sync(s), HS_EOK);

	char seen[600] = "";
	ck_assert_int_eq(hs_store_list(s, list_cb, seen), HS_EOK);
	ck_assert(strstr(seen, "zone.example. ") != NULL);
	ck_assert(strstr(seen, "zone.examplf. ") != NULL);
	ck_assert_uint_eq(strlen(seen), strlen("zone.example. zone.examplf. "));
	ck_assert_int_eq(hs_store_list(s, stop_cb, NULL), 42);

	hs_apex_t *b = NULL;
	ck_assert_int_eq(hs_store_load(s, (const knot_dname_t *)"\x04zone\x07" "examplf", &b, NULL, 0), HS_EOK);
	hs_apex_free(b);
	ck_assert_int_eq(hs_store_remove(s, zone_name()), HS_EOK);
	ck_assert_int_eq(hs_store_remove(s, zone_name()), HS_ENOTFOUND);
	seen[0] = 0;
	ck_assert_int_eq(hs_store_list(s, list_cb, seen), HS_EOK);
	ck_assert_str_eq(seen, "zone.examplf. ");
	char why[512];
	b = NULL;
	ck_assert_int_eq(hs_store_load(s, zone_name(), &b, why, sizeof(why)), HS_ENOTFOUND);
	ck_assert_ptr_null(b);
	ck_assert(strstr(why, "zone.example.apex") != NULL);
	hs_apex_free(a);
	hs_store_close(s);
}
END_TEST

/* Every prefix of a real state file is refused with a reason, never loaded. */
START_TEST(every_truncation)
{
	hs_store_t *s = NULL;
	ck_assert_int_eq(hs_store_open(&s, dir), HS_EOK);
	hs_apex_t *a = load_zone("apex-v4.zone");
	ck_assert_int_eq(hs_store_save(s, a, 0), HS_EOK);
	size_t len;
	char *full = read_file("zone.example.apex", &len);
	ck_assert_uint_gt(len, 1000);
	/* The file ends "}\n": dropping the newline still leaves the whole object. */
	for (size_t cut = 0; cut < len - 1; cut++) {
		write_file("zone.example.apex", full, cut);
		hs_apex_t *b = NULL;
		char why[512] = "";
		int ret = hs_store_load(s, zone_name(), &b, why, sizeof(why));
		ck_assert_msg(ret == HS_ETRUNC || ret == HS_ESYNTAX, "cut %zu: %d", cut, ret);
		ck_assert_ptr_null(b);
		ck_assert_msg(strncmp(why, dir, strlen(dir)) == 0, "cut %zu: reason '%s'", cut, why);
		if (cut == 0 || cut == len / 2)
			ck_assert_int_eq(ret, HS_ETRUNC);
	}
	hs_apex_t *b = NULL;
	char why[512];
	write_file("zone.example.apex", full, len / 2);
	ck_assert_int_eq(hs_store_load(s, zone_name(), &b, why, sizeof(why)), HS_ETRUNC);
	printf("store: half a file: %s\n", why);
	write_file("zone.example.apex", full, len);
	ck_assert_int_eq(hs_store_load(s, zone_name(), &b, why, sizeof(why)), HS_EOK);
	ck_assert(hs_apex_equal(a, b));
	hs_apex_free(b);
	free(full);
	hs_apex_free(a);
	hs_store_close(s);
}
END_TEST

START_TEST(corrupt_files)
{
	hs_store_t *s = NULL;
	ck_assert_int_eq(hs_store_open(&s, dir), HS_EOK);
	static const struct {
		const char *text;
		int code;
		const char *reason;   /* must appear in the reason */
	} cases[] = {
		{ "\x7f" "ELF\x02\x01\x01 garbage", HS_ESYNTAX, "line 1" },
		{ "[]", HS_ESYNTAX, "format" },
		{ "{\"format\":\"other\"}", HS_ESYNTAX, "format" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":2,\"zone\":\"zone.example.\",\"rrsets\":[]}",
		  HS_ESYNTAX, "version" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"other.example.\",\"rrsets\":[]}",
		  HS_ENAME, "another zone" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":[]}",
		  HS_ESYNTAX, "SOA" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"A\",\"ttl\":1,\"rdata\":[\"c0000201\"]}]}", HS_ESYNTAX, "not kept" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"NS\",\"ttl\":-1,\"rdata\":[\"00\"]}]}", HS_ESYNTAX, "ttl" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"NS\",\"ttl\":1,\"rdata\":[\"0g\"]}]}", HS_ESYNTAX, "hex" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"NS\",\"ttl\":1,\"rdata\":[\"000\"]}]}", HS_ESYNTAX, "hex" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"NS\",\"ttl\":1,\"rdata\":[\"00\"]},{\"type\":\"NS\",\"ttl\":1,\"rdata\":[\"00\"]}]}",
		  HS_ESYNTAX, "twice" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"RRSIG\",\"covers\":\"NS\",\"ttl\":1,\"rdata\":[\"0006000000000000000000000000000000000000\"]}]}",
		  HS_ESYNTAX, "does not cover NS" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"RRSIG\",\"ttl\":1,\"rdata\":[\"00\"]}]}", HS_ESYNTAX, "covers" },
		{ "{\"format\":\"hsyncd-apex\",\"format\":\"hsyncd-apex\"}", HS_ESYNTAX, "duplicate" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone..example.\",\"rrsets\":[]}",
		  HS_ESYNTAX, "zone" },
		{ "{\"format\":\"hsyncd-apex\",\"version\":1,\"zone\":\"zone.example.\",\"rrsets\":"
		  "[{\"type\":\"SOA\",\"ttl\":1,\"rdata\":[\"00\"]}]}", HS_ESYNTAX, "SOA" },
		{ "   ", HS_ETRUNC, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("zone.example.apex", cases[i].text, strlen(cases[i].text));
		hs_apex_t *b = NULL;
		char why[512] = "";
		int ret = hs_store_load(s, zone_name(), &b, why, sizeof(why));
		ck_assert_msg(ret == cases[i].code, "case %zu: %d (%s), want %d", i, ret, why, cases[i].code);
		ck_assert_ptr_null(b);
		ck_assert_msg(strstr(why, cases[i].reason) != NULL, "case %zu: reason '%s'", i, why);
	}
	/* A directory where the file should be. */
	char p[600];
	snprintf(p, sizeof(p), "%s/zone.example.apex", dir);
	unlink(p);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	hs_apex_t *b = NULL;
	ck_assert_int_eq(hs_store_load(s, zone_name(), &b, NULL, 0), HS_EIO);
	hs_apex_t *a = load_zone("apex-v1.zone");
	ck_assert_int_eq(hs_store_save(s, a, 0), HS_EIO);
	rmdir(p);
	hs_apex_free(a);
	hs_store_close(s);

	ck_assert_int_eq(hs_store_open(&s, "/proc/no/such/dir"), HS_EIO);
}
END_TEST

static void count_line(const char *line, void *ctx)
{
	if (strstr(line, "HSYNC agent.providerb. changed: ON OWNER SIGN upstream . -> OFF") != NULL)
		(*(int *)ctx)++;
}

/* hsyncd saw v2, went down; the zone moved on to v3; after restart it notices. */
START_TEST(restart_notices_change)
{
	hs_store_t *s = NULL;
	ck_assert_int_eq(hs_store_open(&s, dir), HS_EOK);
	hs_apex_t *seen = load_zone("apex-v2.zone");
	ck_assert_int_eq(hs_store_save(s, seen, 0), HS_EOK);
	hs_apex_free(seen);
	hs_store_close(s);

	s = NULL;
	ck_assert_int_eq(hs_store_open(&s, dir), HS_EOK);
	hs_apex_t *last = NULL, *now = load_zone("apex-v3.zone");
	ck_assert_int_eq(hs_store_load(s, zone_name(), &last, NULL, 0), HS_EOK);
	hs_change_t c;
	ck_assert_int_eq(hs_change_diff(&c, last, now), HS_EOK);
	ck_assert(!c.first);
	ck_assert_uint_eq(hs_change_notify_mask(&c), 1u << HS_APEX_HSYNC);
	int found = 0;
	ck_assert_int_eq(hs_change_lines(&c, count_line, &found), HS_EOK);
	ck_assert_int_eq(found, 1);
	hs_change_clear(&c);
	hs_apex_free(last);
	hs_apex_free(now);
	hs_store_close(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, filenames);
	tcase_add_test(tc, known_text);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, list_remove_nosync);
	tcase_add_test(tc, every_truncation);
	tcase_add_test(tc, corrupt_files);
	tcase_add_test(tc, restart_notices_change);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
