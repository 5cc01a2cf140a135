/* Unit tests for the UDP side of common/net.c's server under load: many
 * questions from several sockets at once, answered later and out of
 * order, each answer to the socket that asked; two questions with one ID
 * from one socket; an answer too big for a datagram is an error the
 * caller sees. Everything runs on loopback, on ports the system picks. */
#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "common/net.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

#define NCLI    8      /* client sockets */
#define PERCLI  250    /* questions per socket */
#define WINDOW  16     /* unanswered questions per socket at once */
#define MAXHELD (NCLI * WINDOW)

/* A question: 12-byte header (ID from qid()), then the client's index and
 * the question's number, so the answer can be checked against what was
 * asked whatever its ID says. */
#define QLEN 16

static struct {
	uv_loop_t loop;
	hs_net_server_t *srv;
	struct sockaddr_storage addr;
	/* server side */
	hs_net_req_t *held[MAXHELD * 2];
	uint8_t held_msg[MAXHELD * 2][QLEN];
	int nheld;
	int calls;
	uv_timer_t later;
	unsigned seed;
	size_t answer_len;      /* bytes of each answer (>= QLEN + 1) */
	enum { MIX, HOLD, NOW } mode;   /* MIX: every third at once, the rest later */
	int send_err;           /* last error hs_net_reply() gave */
	int send_errs;
} S;

struct cli {
	uv_udp_t u;
	int idx;
	int sent, got, bad;
	uint8_t seen[PERCLI];
};

static struct cli C[NCLI];
static int all_done;

struct csend {
	uv_udp_send_t s;
	uint8_t q[QLEN];
};

static uint16_t qid(int c, int n)
{
	/* IDs repeat across clients (n alone), so only the socket tells
	 * answers apart: as a resolver's queries from many ports do. */
	return (uint16_t)(0x4000 + n);
}

static void build_question(uint8_t *q, int c, int n)
{
	memset(q, 0, QLEN);
	uint16_t id = qid(c, n);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x28;              /* opcode UPDATE */
	q[12] = (uint8_t)c;
	q[13] = (uint8_t)(n >> 8);
	q[14] = (uint8_t)n;
	q[15] = 0xa5;
}

/* ---- server: hold every question, answer them later in random order ---- */

static void answer_one(int i)
{
	static uint8_t buf[65536];
	memset(buf, 0x5a, S.answer_len);
	memcpy(buf, S.held_msg[i], QLEN);
	buf[2] |= 0x80;
	int ret = hs_net_reply(S.held[i], buf, S.answer_len);
	if (ret != 0) {
		S.send_err = ret;
		S.send_errs++;
	}
	/* keep the array dense */
	S.nheld--;
	S.held[i] = S.held[S.nheld];
	memcpy(S.held_msg[i], S.held_msg[S.nheld], QLEN);
}

static void answer_some(uv_timer_t *t)
{
	/* a random part of what is held, in random order */
	int n = S.nheld > 1 ? 1 + (int)(rand_r(&S.seed) % (unsigned)S.nheld) : S.nheld;
	while (n-- > 0 && S.nheld > 0) {
		answer_one((int)(rand_r(&S.seed) % (unsigned)S.nheld));
	}
	if (S.nheld > 0) {
		uv_timer_start(&S.later, answer_some, 1, 0);
	}
}

static void handler(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &S);
	ck_assert_int_eq(hs_net_req_transport(req), HS_NET_UDP);
	ck_assert_uint_eq(len, QLEN);
	ck_assert_int_lt(S.nheld, MAXHELD * 2);
	S.calls++;
	S.held[S.nheld] = req;
	memcpy(S.held_msg[S.nheld], msg, QLEN);
	S.nheld++;
	if (S.mode == NOW || (S.mode == MIX && S.calls % 3 == 0)) {
		answer_one(S.nheld - 1);   /* from inside the handler */
		return;
	}
	if (S.mode == MIX && !uv_is_active((uv_handle_t *)&S.later)) {
		uv_timer_start(&S.later, answer_some, 1, 0);
	}
}

static void setup(void)
{
	memset(&S, 0, sizeof(S));
	memset(C, 0, sizeof(C));
	all_done = 0;
	S.seed = 12345;
	S.answer_len = QLEN + 40;
	ck_assert_int_eq(uv_loop_init(&S.loop), 0);
	uv_timer_init(&S.loop, &S.later);
	ck_assert_int_eq(hs_net_server_new(&S.loop, NULL, handler, &S, &S.srv), 0);
	struct sockaddr_storage a;
	ck_assert_int_eq(hs_addr_parse("127.0.0.1@0", 0, &a), 0);
	ck_assert_int_eq(hs_net_server_listen(S.srv, (struct sockaddr *)&a, HS_NET_UDP, &S.addr), 0);
}

static void teardown(void)
{
	hs_net_server_close(S.srv);
	S.srv = NULL;
	uv_close((uv_handle_t *)&S.later, NULL);
	while (S.nheld > 0) {
		hs_net_done(S.held[--S.nheld]);
	}
	uv_run(&S.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&S.loop), 0);
}

static bool timed_out;
static void on_deadline(uv_timer_t *t)
{
	timed_out = true;
}

static bool run_until(const int *flag, int want, unsigned ms)
{
	uv_timer_t deadline;
	timed_out = false;
	uv_timer_init(&S.loop, &deadline);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	while (*flag < want && !timed_out) {
		uv_run(&S.loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&S.loop, UV_RUN_NOWAIT);
	return *flag >= want;
}

/* ---- clients: libuv UDP sockets on the same loop ---- */

static void cli_sent(uv_udp_send_t *s, int status)
{
	ck_assert_int_eq(status, 0);
	free(s);
}

static void cli_send_next(struct cli *c)
{
	struct csend *cs = malloc(sizeof(*cs));
	ck_assert_ptr_nonnull(cs);
	build_question(cs->q, c->idx, c->sent);
	c->sent++;
	uv_buf_t b = uv_buf_init((char *)cs->q, QLEN);
	ck_assert_int_eq(uv_udp_send(&cs->s, &c->u, &b, 1, (struct sockaddr *)&S.addr, cli_sent), 0);
}

static void cli_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char rbuf[65536];
	*buf = uv_buf_init(rbuf, sizeof(rbuf));
}

static void cli_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                     unsigned flags)
{
	struct cli *c = h->data;
	if (nread == 0 && from == NULL) {
		return;
	}
	ck_assert_int_gt(nread, 0);
	ck_assert(hs_addr_equal(from, (struct sockaddr *)&S.addr));
	const uint8_t *a = (const uint8_t *)buf->base;
	ck_assert_uint_eq((size_t)nread, S.answer_len);
	ck_assert(a[2] & 0x80);
	int who = a[12], n = (a[13] << 8) | a[14];
	/* the answer reached the socket that asked, for a question it asked */
	ck_assert_int_eq(who, c->idx);
	ck_assert_int_lt(n, c->sent);
	ck_assert_uint_eq(((unsigned)a[0] << 8) | a[1], qid(c->idx, n));
	ck_assert_uint_eq(a[15], 0xa5);
	ck_assert_uint_eq(a[QLEN], 0x5a);
	ck_assert_uint_eq(c->seen[n], 0);   /* once */
	c->seen[n] = 1;
	c->got++;
	if (c->sent < PERCLI) {
		cli_send_next(c);
	}
	if (c->got == PERCLI) {
		all_done++;
	}
}

static void clients_start(void)
{
	struct sockaddr_storage any;
	ck_assert_int_eq(hs_addr_parse("127.0.0.1@0", 0, &any), 0);
	for (int i = 0; i < NCLI; i++) {
		struct cli *c = &C[i];
		c->idx = i;
		ck_assert_int_eq(uv_udp_init(&S.loop, &c->u), 0);
		c->u.data = c;
		ck_assert_int_eq(uv_udp_bind(&c->u, (struct sockaddr *)&any, 0), 0);
		ck_assert_int_eq(uv_udp_recv_start(&c->u, cli_alloc, cli_recv), 0);
	}
	for (int k = 0; k < WINDOW; k++) {
		for (int i = 0; i < NCLI; i++) {
			cli_send_next(&C[i]);
		}
	}
}

static void clients_close(void)
{
	for (int i = 0; i < NCLI; i++) {
		uv_close((uv_handle_t *)&C[i].u, NULL);
	}
}

START_TEST(udp_many_async_out_of_order)
{
	clients_start();
	bool ok = run_until(&all_done, NCLI, 8000);
	int lost = 0;
	for (int i = 0; i < NCLI; i++) {
		for (int n = 0; n < PERCLI; n++) {
			if (!C[i].seen[n]) {
				if (lost++ < 5) {
					fprintf(stderr, "client %d question %d: no answer\n", i, n);
				}
			}
		}
	}
	clients_close();
	ck_assert_int_eq(lost, 0);
	ck_assert(ok);
	ck_assert_int_eq(S.calls, NCLI * PERCLI);
	ck_assert_int_eq(S.send_errs, 0);
	ck_assert_int_eq(S.nheld, 0);
}
END_TEST

START_TEST(udp_big_answers_async)
{
	/* answers of 4000 bytes (a signed UPDATE answer with EDE text is far
	 * smaller): each one arrives whole */
	S.answer_len = 4000;
	clients_start();
	ck_assert(run_until(&all_done, NCLI, 8000));
	clients_close();
	ck_assert_int_eq(S.calls, NCLI * PERCLI);
	ck_assert_int_eq(S.send_errs, 0);
}
END_TEST

/* Run the loop (a queued answer goes out from it) until fd can be read. */
static bool wait_readable(int fd)
{
	for (int i = 0; i < 200; i++) {
		uv_run(&S.loop, UV_RUN_NOWAIT);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10) == 1) {
			return true;
		}
	}
	return false;
}

/* A plain socket asking two questions with the same ID before either is
 * answered: the server answers both, each once (it knows nothing of IDs;
 * the client matches them). */
START_TEST(udp_same_id_twice)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	uint8_t q[QLEN];
	build_question(q, 3, 7);
	q[15] = 0xa5;
	for (int i = 0; i < 2; i++) {
		q[14] = (uint8_t)(7 + i);   /* same ID, other body */
		ck_assert_int_eq(sendto(fd, q, QLEN, 0, (struct sockaddr *)&S.addr,
		                        hs_addr_len((struct sockaddr *)&S.addr)), QLEN);
	}
	S.mode = HOLD;
	ck_assert(run_until(&S.calls, 2, 2000));
	ck_assert_int_eq(S.nheld, 2);
	while (S.nheld > 0) {
		answer_one(S.nheld - 1);   /* last first */
	}
	bool got[2] = { false, false };
	for (int i = 0; i < 2; i++) {
		ck_assert(wait_readable(fd));
		uint8_t a[256];
		ssize_t n = recv(fd, a, sizeof(a), 0);
		ck_assert_int_eq(n, (ssize_t)S.answer_len);
		ck_assert_uint_eq(((unsigned)a[0] << 8) | a[1], qid(3, 7));
		int which = a[14] - 7;
		ck_assert(which == 0 || which == 1);
		ck_assert(!got[which]);
		got[which] = true;
	}
	close(fd);
	ck_assert_int_eq(S.send_errs, 0);
}
END_TEST

/* An answer larger than one IPv4 datagram can carry is the caller's error
 * (UV_EMSGSIZE), not a datagram silently lost after a 0 return. */
START_TEST(udp_oversize_answer_is_an_error)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	uint8_t q[QLEN];
	build_question(q, 0, 0);
	S.answer_len = HS_NET_MSG_MAX;   /* > 65507, the IPv4 UDP payload limit */
	S.mode = NOW;
	ck_assert_int_eq(sendto(fd, q, QLEN, 0, (struct sockaddr *)&S.addr,
	                        hs_addr_len((struct sockaddr *)&S.addr)), QLEN);
	ck_assert(run_until(&S.calls, 1, 2000));
	ck_assert_int_eq(S.send_errs, 1);
	ck_assert_int_eq(S.send_err, UV_EMSGSIZE);
	ck_assert_str_ne(hs_strerror(S.send_err), "");
	/* the server still answers what fits */
	S.answer_len = 65507;
	ck_assert_int_eq(sendto(fd, q, QLEN, 0, (struct sockaddr *)&S.addr,
	                        hs_addr_len((struct sockaddr *)&S.addr)), QLEN);
	ck_assert(run_until(&S.calls, 2, 2000));
	ck_assert_int_eq(S.send_errs, 1);
	ck_assert(wait_readable(fd));
	static uint8_t a[65536];
	ck_assert_int_eq(recv(fd, a, sizeof(a), 0), 65507);
	ck_assert_mem_eq(a + 3, q + 3, QLEN - 3);
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("net_udp");
	TCase *tc = tcase_create("udp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, udp_many_async_out_of_order);
	tcase_add_test(tc, udp_big_answers_async);
	tcase_add_test(tc, udp_same_id_twice);
	tcase_add_test(tc, udp_oversize_answer_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
