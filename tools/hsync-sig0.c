/*
 * hsync-sig0 -- sign a wire-format DNS message with SIG(0), or verify one.
 *
 *   hsync-sig0 sign -k KEY [-s signer] [-r request] [-w window] < msg > signed
 *   hsync-sig0 verify -k KEY [-r request] [-w window] < signed
 *
 * verify prints "ok SIGNER KEYTAG" on stdout and exits 0, or prints one line
 * with the reason on stderr and exits 1. Exit 100: usage or key file error;
 * 111: reading or writing failed. See hsync-sig0(1).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/dname.h>
#include <libknot/packet/wire.h>

#include "libhsync/error.h"
#include "libhsync/key.h"
#include "libhsync/sig0.h"

#define EXIT_BAD   1
#define EXIT_USAGE 100
#define EXIT_TEMP  111

static const char *prog = "hsync-sig0";

static void usage(void)
{
	fprintf(stderr,
	        "usage: %s sign -k keyfile [-s signer] [-r request] [-w window]\n"
	        "       %s verify -k keyfile [-r request] [-w window]\n",
	        prog, prog);
	exit(EXIT_USAGE);
}

static void die(int code, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(code);
}

/* Read all of F (at most one DNS message) into BUF; returns the length. */
static size_t read_msg(FILE *f, const char *name, uint8_t *buf, size_t max)
{
	size_t n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		die(EXIT_TEMP, "%s: %s", name, strerror(errno));
	}
	if (n > max) {
		die(EXIT_BAD, "%s: %s", name, "longer than a DNS message");
	}
	return n;
}

static size_t read_file(const char *path, uint8_t *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		die(EXIT_USAGE, "%s: %s", path, strerror(errno));
	}
	size_t n = read_msg(f, path, buf, max);
	fclose(f);
	return n;
}

static uint32_t parse_window(const char *s)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > INT32_MAX / 2) {
		die(EXIT_USAGE, "bad window: %s%s", s, "");
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
	}
	const char *cmd = argv[1];
	bool sign = strcmp(cmd, "sign") == 0;
	if (!sign && strcmp(cmd, "verify") != 0) {
		usage();
	}
	const char *keyfile = NULL, *signer_txt = NULL, *reqfile = NULL;
	hs_sig0_opts_t opts = { 0 };
	int c;
	optind = 2;
	while ((c = getopt(argc, argv, sign ? "k:s:r:w:" : "k:r:w:")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 's': signer_txt = optarg; break;
		case 'r': reqfile = optarg; break;
		case 'w': opts.window = parse_window(optarg); break;
		default: usage();
		}
	}
	if (keyfile == NULL || optind != argc) {
		usage();
	}

	knot_dname_storage_t signer;
	if (signer_txt != NULL) {
		if (knot_dname_from_str(signer, signer_txt, sizeof(signer)) == NULL) {
			die(EXIT_USAGE, "bad signer name: %s%s", signer_txt, "");
		}
		knot_dname_to_lower(signer);
		opts.signer = signer;
	}

	static uint8_t req[KNOT_WIRE_MAX_PKTSIZE], msg[KNOT_WIRE_MAX_PKTSIZE];
	size_t req_size = 0;
	if (reqfile != NULL) {
		req_size = read_file(reqfile, req, sizeof(req));
	}

	char why[HS_KEY_WHY_SIZE] = "";
	hs_key_t *key = NULL;
	int ret = sign ? hs_key_load(keyfile, &key, why, sizeof(why))
	               : hs_key_load_public(keyfile, &key, why, sizeof(why));
	if (ret != HS_EOK) {
		die(EXIT_USAGE, "%s: %s", hs_strerror(ret), why[0] != '\0' ? why : keyfile);
	}

	size_t size = read_msg(stdin, "stdin", msg, sizeof(msg));
	const uint8_t *r = reqfile != NULL ? req : NULL;
	if (sign) {
		ret = hs_sig0_sign(msg, &size, sizeof(msg), key, r, req_size, &opts);
		hs_key_free(key);
		if (ret != HS_EOK) {
			die(EXIT_BAD, "sign: %s%s", hs_strerror(ret), "");
		}
		if (fwrite(msg, 1, size, stdout) != size || fflush(stdout) != 0) {
			die(EXIT_TEMP, "stdout: %s%s", strerror(errno), "");
		}
		return 0;
	}

	hs_sig0_info_t info;
	ret = hs_sig0_verify(msg, size, r, req_size, key, &opts, &info);
	hs_key_free(key);
	if (ret != HS_EOK) {
		die(EXIT_BAD, "verify: %s%s", hs_strerror(ret), "");
	}
	knot_dname_txt_storage_t name;
	if (knot_dname_to_str(name, info.signer, sizeof(name)) == NULL) {
		die(EXIT_BAD, "verify: %s%s", "bad signer name", "");
	}
	printf("ok %s %u\n", name, info.keytag);
	if (fflush(stdout) != 0) {
		die(EXIT_TEMP, "stdout: %s%s", strerror(errno), "");
	}
	return 0;
}
