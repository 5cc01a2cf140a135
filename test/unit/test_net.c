/* Unit tests for common/net.c (and the signal helper of common/daemon.c).
 * Everything runs on loopback, on ports the system picks. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <libknot/errcode.h>
#include <uv.h>

#include "common/daemon.h"
#include "common/net.h"
#include "libhsync/error.h"
#include "test/unit/unit.h"

/* ---- addresses and prefixes ---- */

static void fmt_is(const struct sockaddr_storage *ss, const char *want)
{
	char buf[HS_ADDR_STRLEN];
	ck_assert_int_eq(hs_addr_format((const struct sockaddr *)ss, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

START_TEST(addr_text)
{
	struct sockaddr_storage ss;
	ck_assert_int_eq(hs_addr_parse("127.0.0.1", 53, &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
	ck_assert_uint_eq(ntohl(s4->sin_addr.s_addr), 0x7f000001);
	ck_assert_uint_eq(ntohs(s4->sin_port), 53);
	fmt_is(&ss, "127.0.0.1@53");
	ck_assert_int_eq(hs_addr_parse("::1@5300", 53, &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_uint_eq(hs_addr_port((struct sockaddr *)&ss), 5300);
	ck_assert_uint_eq(hs_addr_len((struct sockaddr *)&ss), sizeof(struct sockaddr_in6));
	fmt_is(&ss, "::1@5300");
	ck_assert_int_eq(hs_addr_parse("2001:db8::53@0", 53, &ss), 0);
	fmt_is(&ss, "2001:db8::53@0");

	struct sockaddr_storage keep = ss;
	ck_assert_int_eq(hs_addr_parse("1.2.3.4@", 53, &ss), HS_ESYNTAX);
	ck_assert_int_eq(hs_addr_parse("1.2.3.4@65536", 53, &ss), HS_ERANGE);
	ck_assert_int_eq(hs_addr_parse("1.2.3.4@123456", 53, &ss), HS_ERANGE);
	ck_assert_int_eq(hs_addr_parse("1.2.3.4@5x", 53, &ss), HS_ESYNTAX);
	ck_assert_int_eq(hs_addr_parse("example.com", 53, &ss), HS_ESYNTAX);
	ck_assert_int_eq(hs_addr_parse("[::1]:53", 53, &ss), HS_ESYNTAX);
	ck_assert_int_eq(hs_addr_parse("", 53, &ss), HS_ESYNTAX);
	ck_assert_int_eq(hs_addr_parse("@53", 53, &ss), HS_ESYNTAX);
	ck_assert_int_eq(hs_addr_parse(NULL, 53, &ss), HS_EINVAL);
	ck_assert_mem_eq(&ss, &keep, sizeof(ss));

	struct sockaddr_storage a, b;
	hs_addr_parse("10.0.0.1@53", 0, &a);
	hs_addr_parse("10.0.0.1", 53, &b);
	ck_assert(hs_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	hs_addr_parse("10.0.0.1@54", 0, &b);
	ck_assert(!hs_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	hs_addr_parse("::ffff:10.0.0.1@53", 0, &b);
	ck_assert(!hs_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));

	char small[8];
	ck_assert_int_eq(hs_addr_format((struct sockaddr *)&a, small, sizeof(small)), HS_ESPACE);
	ck_assert_str_eq(small, "?");
}
END_TEST

START_TEST(prefixes)
{
	struct hs_prefix p;
	struct sockaddr_storage ss;
	ck_assert_int_eq(hs_prefix_parse("192.0.2.0/24", &p), 0);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.bits, 24);
	ck_assert_mem_eq(p.addr, "\xc0\x00\x02\x00", 4);
	hs_addr_parse("192.0.2.200", 53, &ss);
	ck_assert(hs_prefix_match(&p, (struct sockaddr *)&ss));
	hs_addr_parse("192.0.3.1", 53, &ss);
	ck_assert(!hs_prefix_match(&p, (struct sockaddr *)&ss));
	hs_addr_parse("::ffff:192.0.2.7", 53, &ss);   /* v4-mapped */
	ck_assert(hs_prefix_match(&p, (struct sockaddr *)&ss));
	hs_addr_parse("::1", 53, &ss);
	ck_assert(!hs_prefix_match(&p, (struct sockaddr *)&ss));

	ck_assert_int_eq(hs_prefix_parse("2001:db8::/35", &p), 0);
	ck_assert_uint_eq(p.bits, 35);
	hs_addr_parse("2001:db8:1fff::1", 53, &ss);
	ck_assert(hs_prefix_match(&p, (struct sockaddr *)&ss));
	hs_addr_parse("2001:db8:2000::1", 53, &ss);
	ck_assert(!hs_prefix_match(&p, (struct sockaddr *)&ss));
	hs_addr_parse("192.0.2.1", 53, &ss);
	ck_assert(!hs_prefix_match(&p, (struct sockaddr *)&ss));

	ck_assert_int_eq(hs_prefix_parse("10.1.2.3", &p), 0);
	ck_assert_uint_eq(p.bits, 32);
	ck_assert_int_eq(hs_prefix_parse("0.0.0.0/0", &p), 0);
	hs_addr_parse("203.0.113.9", 53, &ss);
	ck_assert(hs_prefix_match(&p, (struct sockaddr *)&ss));

	ck_assert_int_eq(hs_prefix_parse("10.0.0.1/8", &p), HS_ESYNTAX);   /* host bits */
	ck_assert_int_eq(hs_prefix_parse("10.0.0.0/33", &p), HS_ERANGE);
	ck_assert_int_eq(hs_prefix_parse("::/129", &p), HS_ERANGE);
	ck_assert_int_eq(hs_prefix_parse("10.0.0.0/", &p), HS_ESYNTAX);
	ck_assert_int_eq(hs_prefix_parse("10.0.0.0/x", &p), HS_ESYNTAX);
	ck_assert_int_eq(hs_prefix_parse("ten/8", &p), HS_ESYNTAX);
}
END_TEST

/* ---- a loop, a server and clients ---- */

enum mode { M_ECHO, M_ASYNC, M_TC, M_STREAM, M_BADID, M_HOLD, M_BIG };

static struct {
	uv_loop_t loop;
	hs_net_server_t *srv;
	struct sockaddr_storage addr;     /* where the server listens */
	enum mode mode;
	int calls, udp_calls, tcp_calls;
	hs_net_req_t *held[16];
	int nheld;
	uv_timer_t later;
	struct sockaddr_storage last_peer, last_local;
	/* client side */
	int done;
	int err;
	uint8_t ans[4096];
	size_t anslen;
	int nmsgs;
	int stop_after;
} T;

static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00, 0x00, 0x06, 0x00, 0x01,
};

/* The answer to q: q with QR set, and `tag` appended. */
static size_t answer(const uint8_t *q, size_t len, uint8_t tag, uint8_t *out)
{
	memcpy(out, q, len);
	out[2] |= 0x80;
	out[len] = tag;
	return len + 1;
}

static uint8_t held_msg[16][512];
static size_t held_len[16];

/* Answer what is held, last first: TCP answers need not keep the order. */
static void answer_held_real(uv_timer_t *t)
{
	uint8_t buf[1024];
	while (T.nheld > 0) {
		int i = --T.nheld;
		size_t n = answer(held_msg[i], held_len[i], (uint8_t)i, buf);
		ck_assert_int_eq(hs_net_reply(T.held[i], buf, n), 0);
	}
}

static void handler(hs_net_req_t *req, const uint8_t *msg, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &T);
	T.calls++;
	bool tcp = hs_net_req_transport(req) == HS_NET_TCP;
	if (tcp) {
		T.tcp_calls++;
	} else {
		T.udp_calls++;
	}
	memcpy(&T.last_peer, hs_net_req_peer(req), hs_addr_len(hs_net_req_peer(req)));
	memcpy(&T.last_local, hs_net_req_local(req), hs_addr_len(hs_net_req_local(req)));
	uint8_t buf[1024];
	ck_assert_uint_le(len, 512);
	switch (T.mode) {
	case M_ECHO:
		ck_assert_int_eq(hs_net_reply(req, buf, answer(msg, len, 0, buf)), 0);
		break;
	case M_TC:
		if (!tcp) {
			memcpy(buf, msg, 12);
			buf[2] |= 0x82;   /* QR, TC */
			ck_assert_int_eq(hs_net_reply(req, buf, 12), 0);
		} else {
			ck_assert_int_eq(hs_net_reply(req, buf, answer(msg, len, 7, buf)), 0);
		}
		break;
	case M_STREAM:
		for (uint8_t i = 1; i <= 3; i++) {
			ck_assert_int_eq(hs_net_send(req, buf, answer(msg, len, i, buf)), 0);
		}
		hs_net_done(req);
		break;
	case M_BADID:
		answer(msg, len, 1, buf);
		buf[1] ^= 0xff;
		ck_assert_int_eq(hs_net_send(req, buf, len + 1), 0);
		buf[1] ^= 0xff;
		buf[len] = 2;
		ck_assert_int_eq(hs_net_reply(req, buf, len + 1), 0);
		break;
	case M_BIG: {
		static uint8_t big[60000];
		memcpy(big, msg, len);
		big[2] |= 0x80;
		ck_assert_int_eq(hs_net_reply(req, big, sizeof(big)), 0);
		break;
	}
	case M_ASYNC:
	case M_HOLD:
		ck_assert_int_lt(T.nheld, 16);
		memcpy(held_msg[T.nheld], msg, len);
		held_len[T.nheld] = len;
		T.held[T.nheld++] = req;
		if (T.mode == M_ASYNC) {
			uv_timer_start(&T.later, answer_held_real, 20, 0);
		}
		break;
	}
}

static void setup(void)
{
	memset(&T, 0, sizeof(T));
	ck_assert_int_eq(uv_loop_init(&T.loop), 0);
	uv_timer_init(&T.loop, &T.later);
}

static void start_server(const struct hs_net_server_opts *o, const char *addr)
{
	ck_assert_int_eq(hs_net_server_new(&T.loop, o, handler, &T, &T.srv), 0);
	struct sockaddr_storage a;
	ck_assert_int_eq(hs_addr_parse(addr, 0, &a), 0);
	ck_assert_int_eq(hs_net_server_listen(T.srv, (struct sockaddr *)&a, HS_NET_UDP | HS_NET_TCP, &T.addr), 0);
	ck_assert_uint_ne(hs_addr_port((struct sockaddr *)&T.addr), 0);
}

static bool timed_out;
static void on_deadline(uv_timer_t *t)
{
	timed_out = true;
}

/* Run the loop until *flag or ms pass; false on timeout. */
static bool run_until(const int *flag, int want, unsigned ms)
{
	uv_timer_t deadline;
	timed_out = false;
	uv_timer_init(&T.loop, &deadline);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	while (*flag < want && !timed_out) {
		uv_run(&T.loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&T.loop, UV_RUN_NOWAIT);
	return *flag >= want;
}

/* Close everything and check that nothing is left open on the loop. */
static void teardown(void)
{
	hs_net_server_close(T.srv);
	T.srv = NULL;
	uv_close((uv_handle_t *)&T.later, NULL);
	while (T.nheld > 0) {
		hs_net_done(T.held[--T.nheld]);
	}
	uv_run(&T.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&T.loop), 0);
}

static void on_answer(int err, const uint8_t *msg, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &T);
	T.err = err;
	if (err == 0) {
		ck_assert_uint_le(len, sizeof(T.ans));
		memcpy(T.ans, msg, len);
		T.anslen = len;
	} else {
		ck_assert_ptr_null(msg);
	}
	T.done++;
}

static void expect_answer(uint8_t tag)
{
	uint8_t want[64];
	size_t n = answer(query, sizeof(query), tag, want);
	ck_assert_uint_eq(T.anslen, n);
	ck_assert_mem_eq(T.ans, want, n);
}

START_TEST(udp_query)
{
	start_server(NULL, "127.0.0.1@0");
	hs_net_query_t *q = NULL;
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              NULL, on_answer, &T, &q), 0);
	ck_assert_ptr_nonnull(q);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	expect_answer(0);
	ck_assert_int_eq(T.udp_calls, 1);
	ck_assert_int_eq(T.tcp_calls, 0);
	char buf[HS_ADDR_STRLEN];
	hs_addr_format((struct sockaddr *)&T.last_peer, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "127.0.0.1@", 10) == 0, "peer %s", buf);
	ck_assert(hs_addr_equal((struct sockaddr *)&T.last_local, (struct sockaddr *)&T.addr));
}
END_TEST

START_TEST(tcp_query)
{
	start_server(NULL, "127.0.0.1@0");
	struct hs_net_query_opts o = { .tcp = true, .timeout_ms = 1000 };
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	expect_answer(0);
	ck_assert_int_eq(T.tcp_calls, 1);
	ck_assert_int_eq(T.udp_calls, 0);
	ck_assert(hs_addr_equal((struct sockaddr *)&T.last_local, (struct sockaddr *)&T.addr));
}
END_TEST

START_TEST(ipv6_query)
{
	hs_net_server_t *probe = NULL;
	ck_assert_int_eq(hs_net_server_new(&T.loop, NULL, handler, &T, &probe), 0);
	struct sockaddr_storage a;
	hs_addr_parse("::1@0", 0, &a);
	int ret = hs_net_server_listen(probe, (struct sockaddr *)&a, HS_NET_UDP | HS_NET_TCP, NULL);
	hs_net_server_close(probe);
	if (ret != 0) {
		return;   /* no IPv6 loopback here */
	}
	start_server(NULL, "::1@0");
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              NULL, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	expect_answer(0);
	ck_assert_int_eq(T.last_peer.ss_family, AF_INET6);
}
END_TEST

START_TEST(tc_retries_over_tcp)
{
	T.mode = M_TC;
	start_server(NULL, "127.0.0.1@0");
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              NULL, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	expect_answer(7);
	ck_assert_int_eq(T.udp_calls, 1);
	ck_assert_int_eq(T.tcp_calls, 1);

	/* without fallback the truncated answer comes back as it is */
	T.done = 0;
	struct hs_net_query_opts o = { .no_tcp_fallback = true, .timeout_ms = 1000 };
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	ck_assert_uint_eq(T.anslen, 12);
	ck_assert_uint_eq(T.ans[2], 0x83);
	ck_assert_int_eq(T.udp_calls, 2);
	ck_assert_int_eq(T.tcp_calls, 1);
}
END_TEST

START_TEST(udp_wrong_id_ignored)
{
	T.mode = M_BADID;
	start_server(NULL, "127.0.0.1@0");
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              NULL, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	expect_answer(2);   /* the first datagram, with a wrong ID, did not count */
}
END_TEST

static int on_stream(int err, const uint8_t *msg, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &T);
	if (err != 0) {
		ck_assert_ptr_null(msg);
		T.err = err;
		T.done++;
		return HS_NET_DONE;
	}
	T.nmsgs++;
	ck_assert_uint_eq(len, sizeof(query) + 1);
	ck_assert_uint_eq(msg[len - 1], (unsigned)T.nmsgs);   /* in order */
	if (T.nmsgs == T.stop_after) {
		T.done++;
		return HS_NET_DONE;
	}
	return HS_NET_MORE;
}

START_TEST(tcp_stream)
{
	T.mode = M_STREAM;
	start_server(NULL, "127.0.0.1@0");
	T.stop_after = 3;
	ck_assert_int_eq(hs_net_stream(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                               NULL, on_stream, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	ck_assert_int_eq(T.nmsgs, 3);

	/* stopping early is fine, whatever the server still writes */
	T.done = T.nmsgs = 0;
	T.stop_after = 1;
	ck_assert_int_eq(hs_net_stream(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                               NULL, on_stream, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.nmsgs, 1);

	/* waiting for a 4th message that never comes: a timeout, after 3 */
	T.done = T.nmsgs = 0;
	T.stop_after = 99;
	struct hs_net_query_opts o = { .timeout_ms = 150 };
	ck_assert_int_eq(hs_net_stream(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                               &o, on_stream, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.nmsgs, 3);
	ck_assert_int_eq(T.err, KNOT_ETIMEOUT);
	ck_assert_int_eq(T.tcp_calls, 3);
	uv_run(&T.loop, UV_RUN_NOWAIT);
}
END_TEST

START_TEST(udp_timeout_and_retries)
{
	/* a bound UDP socket nobody reads */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_storage a;
	hs_addr_parse("127.0.0.1@0", 0, &a);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)), 0);
	socklen_t sl = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &sl);

	struct hs_net_query_opts o = { .timeout_ms = 100, .retries = 1 };
	uint64_t t0 = uv_hrtime();
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&a, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 3000));
	uint64_t ms = (uv_hrtime() - t0) / 1000000;
	ck_assert_int_eq(T.err, KNOT_ETIMEOUT);
	ck_assert_uint_ge(ms, 190);
	ck_assert_uint_lt(ms, 1000);
	ck_assert_int_eq(T.done, 1);

	/* it did try twice, with the same bytes */
	uint8_t buf[512];
	int n = 0;
	ssize_t r;
	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		ck_assert_uint_eq((size_t)r, sizeof(query));
		ck_assert_mem_eq(buf, query, sizeof(query));
		n++;
	}
	ck_assert_int_eq(n, 2);

	/* TCP to a closed port: refused, at once */
	T.done = 0;
	o.tcp = true;
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&a, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 3000));
	ck_assert_int_eq(T.err, KNOT_ECONNREFUSED);
	close(fd);
}
END_TEST

START_TEST(cancel)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage a;
	hs_addr_parse("127.0.0.1@0", 0, &a);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)), 0);
	socklen_t sl = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &sl);
	struct hs_net_query_opts o = { .timeout_ms = 50 };
	hs_net_query_t *q = NULL;
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&a, query, sizeof(query),
	                              &o, on_answer, &T, &q), 0);
	hs_net_cancel(q);
	o.tcp = true;
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&a, query, sizeof(query),
	                              &o, on_answer, &T, &q), 0);
	hs_net_cancel(q);
	uv_run(&T.loop, UV_RUN_DEFAULT);   /* ends: nothing left open */
	ck_assert_int_eq(T.done, 0);
	close(fd);

	/* bad arguments: refused at once, no callback */
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&a, query, 1, NULL, on_answer, &T, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_net_query(&T.loop, NULL, query, sizeof(query), NULL, on_answer, &T, NULL), HS_EINVAL);
	ck_assert_int_eq(hs_net_stream(&T.loop, (struct sockaddr *)&a, query, sizeof(query), NULL, NULL, &T, NULL), HS_EINVAL);
}
END_TEST

/* ---- a raw TCP client, to send what a real client would not ---- */

struct raw {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t w;
	uv_shutdown_t sh;
	uint8_t out[4096];
	size_t outlen;
	bool half_close;
	bool no_read;     /* do not read: a slow peer */
	size_t total;     /* bytes read, also past in[] */
	uint8_t in[8192];
	size_t inlen;
	int eof;      /* 1 when the server closed */
	int closed;
};

static void raw_closed(uv_handle_t *h)
{
	struct raw *r = h->data;
	r->closed = 1;
}

static void raw_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
	struct raw *r = h->data;
	if (r->no_read) {   /* a sink: count, keep nothing */
		static char sink[65536];
		*b = uv_buf_init(sink, sizeof(sink));
		return;
	}
	*b = uv_buf_init((char *)r->in + r->inlen, (unsigned)(sizeof(r->in) - r->inlen));
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct raw *r = s->data;
	if (n < 0) {
		r->eof = 1;
		uv_close((uv_handle_t *)&r->tcp, raw_closed);
		return;
	}
	r->total += (size_t)n;
	if (!r->no_read) {
		r->inlen += (size_t)n;
	}
}

static void raw_written(uv_write_t *w, int status)
{
}

static void raw_shut(uv_shutdown_t *s, int status)
{
}

static void raw_connected(uv_connect_t *c, int status)
{
	struct raw *r = c->data;
	ck_assert_int_eq(status, 0);
	if (r->outlen > 0) {
		uv_buf_t b = uv_buf_init((char *)r->out, (unsigned)r->outlen);
		ck_assert_int_eq(uv_write(&r->w, (uv_stream_t *)&r->tcp, &b, 1, raw_written), 0);
	}
	if (r->half_close) {
		r->sh.data = r;
		ck_assert_int_eq(uv_shutdown(&r->sh, (uv_stream_t *)&r->tcp, raw_shut), 0);
	}
	if (!r->no_read) {
		ck_assert_int_eq(uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read), 0);
	}
}

static void raw_start(struct raw *r, const void *data, size_t len, bool half_close)
{
	bool no_read = r->no_read;
	memset(r, 0, sizeof(*r));
	r->no_read = no_read;
	ck_assert_uint_le(len, sizeof(r->out));
	memcpy(r->out, data, len);
	r->outlen = len;
	r->half_close = half_close;
	ck_assert_int_eq(uv_tcp_init_ex(&T.loop, &r->tcp, T.addr.ss_family), 0);
	if (no_read) {
		int small = 8192;   /* no autotuning: the kernel holds little for us */
		ck_assert_int_eq(uv_recv_buffer_size((uv_handle_t *)&r->tcp, &small), 0);
	}
	r->tcp.data = r;
	r->conn.data = r;
	ck_assert_int_eq(uv_tcp_connect(&r->conn, &r->tcp, (struct sockaddr *)&T.addr, raw_connected), 0);
}

static void raw_stop(struct raw *r)
{
	if (!r->eof && !uv_is_closing((uv_handle_t *)&r->tcp)) {
		uv_close((uv_handle_t *)&r->tcp, raw_closed);
	}
	run_until(&r->closed, 1, 1000);
}

/* n framed copies of the query with IDs 1..n */
static size_t frames(uint8_t *out, int n)
{
	size_t off = 0;
	for (int i = 1; i <= n; i++) {
		out[off] = 0;
		out[off + 1] = sizeof(query);
		memcpy(out + off + 2, query, sizeof(query));
		out[off + 2] = 0;
		out[off + 3] = (uint8_t)i;
		off += 2 + sizeof(query);
	}
	return off;
}

/* Parse framed answers in r->in: which IDs came back. */
static int answered_ids(const struct raw *r, unsigned *mask)
{
	size_t off = 0;
	int n = 0;
	*mask = 0;
	while (r->inlen - off >= 2) {
		size_t m = (size_t)(r->in[off] << 8 | r->in[off + 1]);
		ck_assert_uint_ge(r->inlen - off, 2 + m);
		ck_assert_uint_eq(m, sizeof(query) + 1);
		ck_assert(r->in[off + 4] & 0x80);
		*mask |= 1u << r->in[off + 3];
		off += 2 + m;
		n++;
	}
	ck_assert_uint_eq(off, r->inlen);
	return n;
}

START_TEST(tcp_pipelined)
{
	T.mode = M_ASYNC;   /* answers come later and in reverse order */
	start_server(NULL, "127.0.0.1@0");
	uint8_t buf[1024];
	size_t len = frames(buf, 5);
	struct raw r = { .no_read = false };
	raw_start(&r, buf, len, false);
	ck_assert(run_until(&T.tcp_calls, 5, 2000));
	size_t want = 5 * (2 + sizeof(query) + 1);
	for (int i = 0; i < 40 && r.inlen < want; i++) {
		run_until(&r.eof, 1, 25);
	}
	unsigned mask;
	ck_assert_int_eq(answered_ids(&r, &mask), 5);
	ck_assert_uint_eq(mask, 0x3e);   /* IDs 1..5 */
	ck_assert_int_eq(T.calls, 5);
	ck_assert_int_eq(r.eof, 0);       /* the connection stays open for more */
	raw_stop(&r);
}
END_TEST

START_TEST(tcp_pending_limit)
{
	/* at most 2 unanswered per connection: the rest wait in the buffer */
	T.mode = M_HOLD;
	struct hs_net_server_opts so = { .max_pending = 2 };
	start_server(&so, "127.0.0.1@0");
	uint8_t buf[1024];
	size_t len = frames(buf, 5);
	struct raw r = { .no_read = false };
	raw_start(&r, buf, len, false);
	ck_assert(run_until(&T.tcp_calls, 2, 2000));
	run_until(&T.tcp_calls, 3, 100);
	ck_assert_int_eq(T.tcp_calls, 2);
	/* answering releases the next ones, from the loop */
	T.mode = M_ASYNC;
	uv_timer_start(&T.later, answer_held_real, 0, 0);
	ck_assert(run_until(&T.tcp_calls, 5, 2000));
	for (int i = 0; i < 40 && r.inlen < 5 * (2 + sizeof(query) + 1); i++) {
		run_until(&r.eof, 1, 25);
	}
	unsigned mask;
	ck_assert_int_eq(answered_ids(&r, &mask), 5);
	ck_assert_uint_eq(mask, 0x3e);
	raw_stop(&r);
}
END_TEST

START_TEST(tcp_slow_reader)
{
	/* 150 questions with 60 kB answers (9 MB) to a peer that does not
	 * read: the server stops taking questions once the kernel's buffers
	 * (4 MB at most here) are full and about 1 MiB waits in memory ... */
	T.mode = M_BIG;
	start_server(NULL, "127.0.0.1@0");
	uint8_t buf[4096];
	size_t len = frames(buf, 150);
	struct raw r;
	r.no_read = true;
	raw_start(&r, buf, len, false);
	run_until(&T.calls, 150, 500);
	ck_assert_int_gt(T.calls, 0);
	ck_assert_int_lt(T.calls, 150);
	/* ... and goes on once the peer reads */
	ck_assert_int_eq(uv_read_start((uv_stream_t *)&r.tcp, raw_alloc, raw_read), 0);
	ck_assert(run_until(&T.calls, 150, 3000));
	for (int i = 0; i < 200 && r.total < 150 * 60002; i++) {
		run_until(&r.eof, 1, 20);
	}
	ck_assert_uint_eq(r.total, 150 * 60002);
	raw_stop(&r);
}
END_TEST

START_TEST(tcp_stalled_reader_dropped)
{
	/* a peer that takes nothing for idle_ms is dropped, answers and all */
	T.mode = M_BIG;
	struct hs_net_server_opts so = { .idle_ms = 150 };
	start_server(&so, "127.0.0.1@0");
	uint8_t buf[4096];
	size_t len = frames(buf, 150);
	struct raw r;
	r.no_read = true;
	raw_start(&r, buf, len, false);
	int never = 0;
	run_until(&never, 1, 600);
	ck_assert_int_eq(uv_read_start((uv_stream_t *)&r.tcp, raw_alloc, raw_read), 0);
	ck_assert(run_until(&r.eof, 1, 3000));
	ck_assert_uint_lt(r.total, 150 * 60002);
	raw_stop(&r);
}
END_TEST

START_TEST(tcp_half_close_flushes)
{
	/* the client sends two questions and closes its side: it still gets both answers */
	T.mode = M_ASYNC;
	start_server(NULL, "127.0.0.1@0");
	uint8_t buf[1024];
	size_t len = frames(buf, 2);
	struct raw r = { .no_read = false };
	raw_start(&r, buf, len, true);
	ck_assert(run_until(&r.eof, 1, 2000));
	unsigned mask;
	ck_assert_int_eq(answered_ids(&r, &mask), 2);
	ck_assert_uint_eq(mask, 0x06);
	raw_stop(&r);
}
END_TEST

START_TEST(tcp_bad_framing)
{
	struct hs_net_server_opts so = { .max_msg = 512, .idle_ms = 2000 };
	start_server(&so, "127.0.0.1@0");
	struct raw r = { .no_read = false };

	/* a zero length */
	raw_start(&r, "\x00\x00\x00\x0c", 4, false);
	ck_assert(run_until(&r.eof, 1, 1000));
	ck_assert_uint_eq(r.inlen, 0);
	raw_stop(&r);

	/* longer than max_msg */
	raw_start(&r, "\xff\xff\x12\x34", 4, false);
	ck_assert(run_until(&r.eof, 1, 1000));
	ck_assert_uint_eq(r.inlen, 0);
	raw_stop(&r);

	/* one byte of a length, then the end */
	raw_start(&r, "\x00", 1, true);
	ck_assert(run_until(&r.eof, 1, 1000));
	ck_assert_uint_eq(r.inlen, 0);
	raw_stop(&r);

	/* half a message, then the end */
	uint8_t buf[256];
	frames(buf, 1);
	raw_start(&r, buf, 10, true);
	ck_assert(run_until(&r.eof, 1, 1000));
	ck_assert_uint_eq(r.inlen, 0);
	raw_stop(&r);

	/* a good question, then garbage: answered, then closed */
	size_t len = frames(buf, 1);
	memcpy(buf + len, "\x00\x00", 2);
	raw_start(&r, buf, len + 2, false);
	ck_assert(run_until(&r.eof, 1, 1000));
	raw_stop(&r);

	ck_assert_int_eq(T.calls, 1);   /* only the good one reached the handler */

	/* and the server still works */
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              NULL, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
}
END_TEST

START_TEST(tcp_idle_timeout)
{
	struct hs_net_server_opts so = { .idle_ms = 100 };
	start_server(&so, "127.0.0.1@0");
	struct raw r = { .no_read = false };
	uint64_t t0 = uv_hrtime();
	raw_start(&r, "", 0, false);
	ck_assert(run_until(&r.eof, 1, 2000));
	uint64_t ms = (uv_hrtime() - t0) / 1000000;
	ck_assert_uint_ge(ms, 90);
	ck_assert_uint_lt(ms, 1000);
	raw_stop(&r);
}
END_TEST

START_TEST(tcp_max_conns)
{
	struct hs_net_server_opts so = { .max_conns = 1 };
	start_server(&so, "127.0.0.1@0");
	struct raw r1 = { .no_read = false }, r2 = { .no_read = false };
	raw_start(&r1, "", 0, false);
	run_until(&r1.eof, 1, 100);
	raw_start(&r2, "", 0, false);
	ck_assert(run_until(&r2.eof, 1, 1000));   /* the second is turned away */
	ck_assert_int_eq(r1.eof, 0);
	raw_stop(&r2);
	raw_stop(&r1);
}
END_TEST

START_TEST(answer_after_close)
{
	/* a daemon still working on a question when the server goes away */
	T.mode = M_HOLD;
	start_server(NULL, "127.0.0.1@0");
	struct hs_net_query_opts o = { .timeout_ms = 300, .retries = 0 };
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	o.tcp = true;
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.calls, 2, 2000));
	hs_net_server_close(T.srv);
	T.srv = NULL;
	uv_run(&T.loop, UV_RUN_NOWAIT);
	uint8_t buf[64];
	while (T.nheld > 0) {
		hs_net_req_t *req = T.held[--T.nheld];
		ck_assert_int_eq(hs_net_reply(req, buf, answer(query, sizeof(query), 0, buf)), KNOT_ECONN);
	}
	ck_assert(run_until(&T.done, 2, 2000));
	ck_assert_int_ne(T.err, 0);
}
END_TEST

START_TEST(udp_pending_limit)
{
	/* the daemon holds two UDP questions: a third is dropped unseen */
	T.mode = M_HOLD;
	struct hs_net_server_opts so = { .max_udp = 2 };
	start_server(&so, "127.0.0.1@0");
	struct hs_net_query_opts o = { .timeout_ms = 200, .retries = 0 };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
		                              &o, on_answer, &T, NULL), 0);
	}
	ck_assert(run_until(&T.done, 3, 2000));
	ck_assert_int_eq(T.udp_calls, 2);
	/* ending them makes room again */
	while (T.nheld > 0) {
		hs_net_done(T.held[--T.nheld]);
	}
	T.mode = M_ECHO;
	T.done = 0;
	ck_assert_int_eq(hs_net_query(&T.loop, (struct sockaddr *)&T.addr, query, sizeof(query),
	                              &o, on_answer, &T, NULL), 0);
	ck_assert(run_until(&T.done, 1, 2000));
	ck_assert_int_eq(T.err, 0);
	ck_assert_int_eq(T.udp_calls, 3);
}
END_TEST

START_TEST(listen_errors)
{
	start_server(NULL, "127.0.0.1@0");
	hs_net_server_t *other = NULL;
	ck_assert_int_eq(hs_net_server_new(&T.loop, NULL, handler, &T, &other), 0);
	ck_assert_int_eq(hs_net_server_listen(other, (struct sockaddr *)&T.addr, HS_NET_TCP, NULL), UV_EADDRINUSE);
	ck_assert_int_eq(hs_net_server_listen(other, (struct sockaddr *)&T.addr, HS_NET_UDP, NULL), UV_EADDRINUSE);
	ck_assert_int_eq(hs_net_server_listen(other, (struct sockaddr *)&T.addr, 0, NULL), HS_EINVAL);
	hs_net_server_close(other);
}
END_TEST

/* ---- signals (common/daemon.c) ---- */

static int stops, reloads;

static void on_stop(int signum, void *arg)
{
	stops++;
	ck_assert(signum == SIGTERM || signum == SIGINT);
}

static void on_reload(int signum, void *arg)
{
	reloads++;
	ck_assert_int_eq(signum, SIGHUP);
}

static void raise_later(uv_timer_t *t)
{
	raise((int)(intptr_t)t->data);
}

START_TEST(signals)
{
	hs_signals_t *sig = NULL;
	ck_assert_int_eq(hs_signals_start(&T.loop, on_stop, on_reload, NULL, &sig), 0);
	uv_timer_t t;
	uv_timer_init(&T.loop, &t);
	t.data = (void *)(intptr_t)SIGHUP;
	uv_timer_start(&t, raise_later, 1, 0);
	ck_assert(run_until(&reloads, 1, 1000));
	ck_assert_int_eq(stops, 0);
	t.data = (void *)(intptr_t)SIGTERM;
	uv_timer_start(&t, raise_later, 1, 0);
	ck_assert(run_until(&stops, 1, 1000));
	t.data = (void *)(intptr_t)SIGINT;
	uv_timer_start(&t, raise_later, 1, 0);
	ck_assert(run_until(&stops, 2, 1000));
	ck_assert_int_eq(reloads, 1);
	/* SIGPIPE no longer kills */
	raise(SIGPIPE);
	uv_close((uv_handle_t *)&t, NULL);
	hs_signals_close(sig);
	uv_run(&T.loop, UV_RUN_DEFAULT);   /* t lives on this stack */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("addr");
	tcase_add_test(tc, addr_text);
	tcase_add_test(tc, prefixes);
	suite_add_tcase(s, tc);

	tc = tcase_create("transport");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, udp_query);
	tcase_add_test(tc, tcp_query);
	tcase_add_test(tc, ipv6_query);
	tcase_add_test(tc, tc_retries_over_tcp);
	tcase_add_test(tc, udp_wrong_id_ignored);
	tcase_add_test(tc, tcp_stream);
	tcase_add_test(tc, udp_timeout_and_retries);
	tcase_add_test(tc, cancel);
	tcase_add_test(tc, tcp_pipelined);
	tcase_add_test(tc, tcp_pending_limit);
	tcase_add_test(tc, tcp_slow_reader);
	tcase_add_test(tc, tcp_stalled_reader_dropped);
	tcase_add_test(tc, tcp_half_close_flushes);
	tcase_add_test(tc, tcp_bad_framing);
	tcase_add_test(tc, tcp_idle_timeout);
	tcase_add_test(tc, tcp_max_conns);
	tcase_add_test(tc, answer_after_close);
	tcase_add_test(tc, udp_pending_limit);
	tcase_add_test(tc, listen_errors);
	tcase_add_test(tc, signals);
	suite_add_tcase(s, tc);
	return s;
}

HS_TEST_MAIN()
