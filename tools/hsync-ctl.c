/*
 * tools/hsync-ctl.c -- ask agentd over its control socket what it knows:
 * zones, peers, their states and last contact. A table for people, or the
 * daemon's JSON as it came with -j. hsync-ctl(8).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET "/var/lib/hsync/agentd/agentd.ctl"

static void usage(FILE *f)
{
	fprintf(f, "usage: hsync-ctl [-j] [-s socket] [status | zones | peers]\n"
	           "       hsync-ctl [-s socket] trust [child keytag] | refuse child keytag\n");
}

static char *ask(const char *path, const char *cmd)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		fprintf(stderr, "hsync-ctl: socket: %s\n", strerror(errno));
		return NULL;
	}
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "hsync-ctl: %s: path too long\n", path);
		close(fd);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "hsync-ctl: %s: %s (is agentd running?)\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	char line[600];
	int n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n >= (int)sizeof(line)) {
		fprintf(stderr, "hsync-ctl: command too long\n");
		close(fd);
		return NULL;
	}
	if (write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "hsync-ctl: %s: write: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL) {
			fprintf(stderr, "hsync-ctl: out of memory\n");
			close(fd);
			return NULL;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			fprintf(stderr, "hsync-ctl: %s: read: %s\n", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0) {
			break;
		}
		len += (size_t)r;
		if (len + 1 == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
			}
			buf = nb;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

static void ago(json_t *v, time_t now, char *out, size_t len)
{
	if (!json_is_integer(v) || json_integer_value(v) == 0) {
		snprintf(out, len, "never");
		return;
	}
	long long d = (long long)now - (long long)json_integer_value(v);
	snprintf(out, len, "%llds ago", d < 0 ? 0 : d);
}

static void join(json_t *arr, char *out, size_t len)
{
	size_t i, o = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "?";
		int n = snprintf(out + o, len - o, "%s%s", i ? "," : "", s);
		if (n < 0 || (size_t)n >= len - o) {
			break;
		}
		o += (size_t)n;
	}
	if (out[0] == '\0') {
		snprintf(out, len, "-");
	}
}

static void table(json_t *doc, bool zones, bool peers)
{
	time_t now = (time_t)json_integer_value(json_object_get(doc, "now"));
	if (now == 0) {
		now = time(NULL);
	}
	size_t i;
	json_t *v;
	char a[4096], b[64];
	if (zones) {
		printf("%-30s %-7s %s\n", "ZONE", "SOURCE", "IDENTITIES");
		json_array_foreach(json_object_get(doc, "zones"), i, v) {
			join(json_object_get(v, "identities"), a, sizeof(a));
			printf("%-30s %-7s %s\n", str(v, "zone"), str(v, "source"), a);
			/* the multi-signer process: one line per job, or "idle" */
			json_t *pr = json_object_get(v, "process");
			const char *st = json_string_value(json_object_get(pr, "step"));
			if (st != NULL) {
				char line[4096];
				snprintf(line, sizeof(line), "%s", st);
				for (char *l = strtok(line, "\n"); l != NULL; l = strtok(NULL, "\n")) {
					printf("%-30s process: %s\n", "", l);
				}
			}
		}
	}
	if (zones && peers) {
		printf("\n");
	}
	if (peers) {
		printf("%-26s %-12s %-12s %-28s %-18s %s\n", "PEER", "STATE", "LAST CONTACT",
		       "HOST:PORT", "ZONES", "REASON");
		json_array_foreach(json_object_get(doc, "peers"), i, v) {
			char hp[300], z[1024];
			ago(json_object_get(v, "last_contact"), now, b, sizeof(b));
			snprintf(hp, sizeof(hp), "%s:%lld", str(v, "host"),
			         (long long)json_integer_value(json_object_get(v, "port")));
			join(json_object_get(v, "zones"), z, sizeof(z));
			printf("%-26s %-12s %-12s %-28s %-18s %s\n", str(v, "identity"),
			       str(v, "state"), b, hp, z, str(v, "reason"));
		}
	}
}

/* The parent role's trust store (agentd ddnsd.c): list, or trust/refuse a child's key. */
static int trust_cmd(const char *path, int argc, char **argv)
{
	char cmd[600];
	if (!(argc == 1 && strcmp(argv[0], "trust") == 0) && argc != 3) {
		usage(stderr);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "%s%s%s%s%s", argv[0], argc == 3 ? " " : "",
	         argc == 3 ? argv[1] : "", argc == 3 ? " " : "", argc == 3 ? argv[2] : "");
	char *text = ask(path, cmd);
	if (text == NULL) {
		return 1;
	}
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	free(text);
	if (doc == NULL || json_object_get(doc, "error") != NULL) {
		fprintf(stderr, "hsync-ctl: agentd: %s\n",
		        doc ? json_string_value(json_object_get(doc, "error")) : je.text);
		json_decref(doc);
		return 1;
	}
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
	json_decref(doc);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char *argv[])
{
	const char *path = getenv("HSYNC_CTL_SOCKET");
	bool as_json = false;
	int c;
	if (path == NULL) {
		path = DEFAULT_SOCKET;
	}
	while ((c = getopt(argc, argv, "hjs:")) != -1) {
		switch (c) {
		case 'j':
			as_json = true;
			break;
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	const char *what = optind < argc ? argv[optind] : "status";
	if (strcmp(what, "trust") == 0 || strcmp(what, "refuse") == 0) {
		return trust_cmd(path, argc - optind, argv + optind);
	}
	if (argc - optind > 1 || (strcmp(what, "status") != 0 && strcmp(what, "zones") != 0 &&
	                          strcmp(what, "peers") != 0)) {
		usage(stderr);
		return 2;
	}
	char *text = ask(path, "status");
	if (text == NULL) {
		return 1;
	}
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	free(text);
	if (doc == NULL || !json_is_object(doc)) {
		fprintf(stderr, "hsync-ctl: %s: answer is not JSON: %s\n", path, je.text);
		json_decref(doc);
		return 1;
	}
	if (json_object_get(doc, "error") != NULL) {
		fprintf(stderr, "hsync-ctl: agentd: %s\n", str(doc, "error"));
		json_decref(doc);
		return 1;
	}
	if (as_json) {
		json_t *out = doc;
		if (strcmp(what, "zones") == 0 || strcmp(what, "peers") == 0) {
			out = json_object_get(doc, what);
		}
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (s != NULL) {
			printf("%s\n", s);
			free(s);
		}
	} else {
		table(doc, strcmp(what, "peers") != 0, strcmp(what, "zones") != 0);
	}
	json_decref(doc);
	return fflush(stdout) == 0 ? 0 : 1;
}
