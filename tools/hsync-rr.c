/*
 * hsync-rr -- convert HSYNC and DSYNC records between presentation form and
 * RFC 3597 generic form, passing every other zone-file line through.
 *
 *   hsync-rr [-g | -p] [-o origin] [RR ...]
 *
 * Reads zone-file lines from stdin, or the arguments joined as one RR.
 * Exit 0 done, 1 bad input (one line on stderr), 100 usage, 111 output failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libhsync/error.h"
#include "libhsync/rr.h"

#define EXIT_BADINPUT 1
#define EXIT_USAGE    100
#define EXIT_TEMP     111

static void usage(void)
{
	fprintf(stderr, "usage: hsync-rr [-g | -p] [-o origin] [RR ...]\n");
	exit(EXIT_USAGE);
}

static void bad_input(unsigned long line, const char *reason)
{
	fprintf(stderr, "hsync-rr: line %lu: %s\n", line, reason);
	exit(EXIT_BADINPUT);
}

static void nomem(void)
{
	fprintf(stderr, "hsync-rr: out of memory\n");
	exit(EXIT_TEMP);
}

/* Convert one logical record and print it with a newline. */
static void convert(hs_rr_conv_t *conv, const char *rec, unsigned long line)
{
	size_t cap = strlen(rec) + 8192;
	char *out = malloc(cap);
	if (out == NULL) {
		nomem();
	}
	if (hs_rr_conv_line(conv, rec, out, cap) != HS_EOK) {
		bad_input(line, hs_rr_conv_detail(conv));
	}
	if (printf("%s\n", out) < 0) {
		fprintf(stderr, "hsync-rr: write: %s\n", strerror(errno));
		exit(EXIT_TEMP);
	}
	free(out);
}

int main(int argc, char **argv)
{
	int mode = HS_RR_PRESENTATION, ch;
	const char *origin = NULL;
	opterr = 0;
	while ((ch = getopt(argc, argv, "gpo:")) != -1) {
		switch (ch) {
		case 'g':
			mode = HS_RR_GENERIC;
			break;
		case 'p':
			mode = HS_RR_PRESENTATION;
			break;
		case 'o':
			origin = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	hs_rr_conv_t *conv;
	int rc = hs_rr_conv_new(&conv, mode, origin);
	if (rc == HS_ENOMEM) {
		nomem();
	}
	if (rc != HS_EOK) {
		fprintf(stderr, "hsync-rr: -o %s: %s\n", origin, hs_strerror(rc));
		usage();
	}

	if (argc > 0) {
		size_t len = 0;
		for (int i = 0; i < argc; i++) {
			len += strlen(argv[i]) + 1;
		}
		char *rec = calloc(1, len + 1);
		if (rec == NULL) {
			nomem();
		}
		for (int i = 0; i < argc; i++) {
			if (i > 0) {
				strcat(rec, " ");
			}
			strcat(rec, argv[i]);
		}
		if (hs_rr_line_open(rec, strlen(rec))) {
			bad_input(1, "unbalanced parentheses");
		}
		convert(conv, rec, 1);
		free(rec);
	} else {
		char *line = NULL, *rec = NULL;
		size_t lcap = 0, rlen = 0;
		ssize_t n;
		unsigned long lineno = 0, start = 0;
		while ((n = getline(&line, &lcap, stdin)) != -1) {
			lineno++;
			if (n > 0 && line[n - 1] == '\n') {
				line[--n] = '\0';
			}
			if (memchr(line, '\0', (size_t)n) != NULL) {
				bad_input(lineno, "NUL byte in input");
			}
			if (rec == NULL) {
				start = lineno;
				rec = strdup(line);
				if (rec == NULL) {
					nomem();
				}
				rlen = (size_t)n;
			} else {
				char *r = realloc(rec, rlen + (size_t)n + 2);
				if (r == NULL) {
					nomem();
				}
				rec = r;
				rec[rlen++] = '\n';
				memcpy(rec + rlen, line, (size_t)n + 1);
				rlen += (size_t)n;
			}
			if (!hs_rr_line_open(rec, rlen)) {
				convert(conv, rec, start);
				free(rec);
				rec = NULL;
			}
		}
		if (ferror(stdin)) {
			fprintf(stderr, "hsync-rr: read: %s\n", strerror(errno));
			exit(EXIT_TEMP);
		}
		if (rec != NULL) {
			bad_input(start, "unbalanced parentheses");
		}
		free(line);
	}
	hs_rr_conv_free(conv);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "hsync-rr: write: %s\n", strerror(errno));
		return EXIT_TEMP;
	}
	return 0;
}
