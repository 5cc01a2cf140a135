/* Unit tests for libhsync/replay.c: the bounded replay cache. */
#include <string.h>

#include "libhsync/error.h"
#include "libhsync/replay.h"
#include "test/unit/unit.h"

#define T0 1800000000

static void mkid(uint8_t *id, unsigned n)
{
	memset(id, 0, HS_REPLAY_IDLEN);
	id[0] = n & 0xff;
	id[1] = (n >> 8) & 0xff;
	id[2] = (n >> 16) & 0xff;
	id[31] = 0x5a;
}

START_TEST(new_bad_args)
{
	hs_replay_t *rc = NULL;
	ck_assert_int_eq(hs_replay_new(0, &rc), HS_EINVAL);
	ck_assert_int_eq(hs_replay_new((size_t)HS_REPLAY_MAX_LIMIT + 1, &rc), HS_EINVAL);
	ck_assert_int_eq(hs_replay_new(4, NULL), HS_EINVAL);
	ck_assert_ptr_null(rc);
	hs_replay_free(NULL);
	ck_assert_uint_eq(hs_replay_count(NULL), 0);
}
END_TEST

START_TEST(second_copy_refused)
{
	hs_replay_t *rc = NULL;
	ck_assert_int_eq(hs_replay_new(8, &rc), HS_EOK);
	ck_assert_uint_eq(hs_replay_max(rc), 8);
	uint8_t a[HS_REPLAY_IDLEN], b[HS_REPLAY_IDLEN];
	mkid(a, 1);
	mkid(b, 2);
	ck_assert(!hs_replay_seen(rc, a, T0));
	ck_assert_int_eq(hs_replay_add(rc, a, T0 + 300, T0), HS_EOK);
	ck_assert(hs_replay_seen(rc, a, T0));
	ck_assert(!hs_replay_seen(rc, b, T0));
	/* replay within the window, even at its last second */
	ck_assert_int_eq(hs_replay_add(rc, a, T0 + 600, T0 + 10), HS_EREPLAY);
	ck_assert_int_eq(hs_replay_add(rc, a, T0 + 600, T0 + 299), HS_EREPLAY);
	ck_assert_uint_eq(hs_replay_count(rc), 1);
	/* the refused add did not extend the entry */
	ck_assert(!hs_replay_seen(rc, a, T0 + 300));
	ck_assert_int_eq(hs_replay_add(rc, b, T0 + 300, T0), HS_EOK);
	ck_assert_uint_eq(hs_replay_count(rc), 2);
	/* after expiry the same ID is new again (its signature would be too old anyway) */
	ck_assert_int_eq(hs_replay_add(rc, a, T0 + 900, T0 + 300), HS_EOK);
	ck_assert_int_eq(hs_replay_add(rc, a, T0 + 900, T0 + 301), HS_EREPLAY);
	ck_assert_uint_eq(hs_replay_count(rc), 2);
	/* bad arguments change nothing */
	ck_assert_int_eq(hs_replay_add(rc, b, T0, T0), HS_EINVAL);
	ck_assert_int_eq(hs_replay_add(rc, NULL, T0 + 1, T0), HS_EINVAL);
	ck_assert_int_eq(hs_replay_add(NULL, b, T0 + 1, T0), HS_EINVAL);
	ck_assert_uint_eq(hs_replay_count(rc), 2);
	hs_replay_free(rc);
}
END_TEST

START_TEST(full_refuses_new_keeps_old)
{
	hs_replay_t *rc = NULL;
	ck_assert_int_eq(hs_replay_new(4, &rc), HS_EOK);
	uint8_t id[HS_REPLAY_IDLEN];
	for (unsigned i = 0; i < 4; i++) {
		mkid(id, i);
		ck_assert_int_eq(hs_replay_add(rc, id, T0 + 100 + i, T0), HS_EOK);
	}
	mkid(id, 99);
	/* full of unexpired entries: the new one is refused, nothing forgotten */
	ck_assert_int_eq(hs_replay_add(rc, id, T0 + 300, T0 + 50), HS_EREPLAY_FULL);
	ck_assert_uint_eq(hs_replay_count(rc), 4);
	ck_assert(!hs_replay_seen(rc, id, T0 + 50));
	for (unsigned i = 0; i < 4; i++) {
		uint8_t old[HS_REPLAY_IDLEN];
		mkid(old, i);
		ck_assert(hs_replay_seen(rc, old, T0 + 50));
		ck_assert_int_eq(hs_replay_add(rc, old, T0 + 300, T0 + 50), HS_EREPLAY);
	}
	/* at T0+102 entries 0, 1 and 2 have expired: two are purged on demand */
	ck_assert_int_eq(hs_replay_add(rc, id, T0 + 300, T0 + 102), HS_EOK);
	ck_assert_uint_eq(hs_replay_count(rc), 2);
	uint8_t last[HS_REPLAY_IDLEN];
	mkid(last, 3);
	ck_assert(hs_replay_seen(rc, last, T0 + 102));
	ck_assert_int_eq(hs_replay_add(rc, last, T0 + 300, T0 + 102), HS_EREPLAY);
	ck_assert_uint_eq(hs_replay_purge(rc, T0 + 103), 1);
	ck_assert_uint_eq(hs_replay_count(rc), 1);
	ck_assert(hs_replay_seen(rc, id, T0 + 103));
	ck_assert_uint_eq(hs_replay_purge(rc, T0 + 299), 0);
	ck_assert_uint_eq(hs_replay_purge(rc, T0 + 300), 1);
	ck_assert_uint_eq(hs_replay_count(rc), 0);
	hs_replay_free(rc);
}
END_TEST

/* Many IDs through a small cache over time: count never exceeds max, and
 * every unexpired ID is still refused. */
START_TEST(churn)
{
	enum { MAX = 64, LIFE = 10 };
	hs_replay_t *rc = NULL;
	ck_assert_int_eq(hs_replay_new(MAX, &rc), HS_EOK);
	uint8_t id[HS_REPLAY_IDLEN];
	unsigned accepted = 0, full = 0;
	for (unsigned i = 0; i < 5000; i++) {
		time_t now = T0 + i / 8;   /* 8 messages a second, 80 live > MAX */
		mkid(id, i);
		int ret = hs_replay_add(rc, id, now + LIFE, now);
		ck_assert(ret == HS_EOK || ret == HS_EREPLAY_FULL);
		if (ret == HS_EOK) {
			accepted++;
		} else {
			full++;
		}
		ck_assert_uint_le(hs_replay_count(rc), MAX);
		/* the previous accepted one is still refused */
		if (i > 0) {
			uint8_t prev[HS_REPLAY_IDLEN];
			mkid(prev, i - 1);
			if (hs_replay_seen(rc, prev, now)) {
				ck_assert_int_eq(hs_replay_add(rc, prev, now + LIFE, now), HS_EREPLAY);
			}
		}
	}
	ck_assert_uint_gt(accepted, 0);
	ck_assert_uint_gt(full, 0);
	hs_replay_free(rc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");
	tcase_add_test(tc, new_bad_args);
	tcase_add_test(tc, second_copy_refused);
	tcase_add_test(tc, full_refuses_new_keeps_old);
	tcase_add_test(tc, churn);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
