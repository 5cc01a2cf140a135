/*
 * common/conf.c -- configuration reader, checker and getters (see conf.h).
 *
 * The reader turns text into a tree of statements, splicing includes in
 * place; all memory lives in one arena owned by the hs_conf_t. The checker
 * walks the tree against the caller's rule tables and records, per
 * statement, where its positional arguments end. Only the first error is
 * reported, as "file:line: reason".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libknot/dname.h>

#include "common/conf.h"
#include "libhsync/error.h"

#define MAX_FILE_SIZE  (64u << 20)
#define MAX_INCLUDE    16
#define MAX_NESTING    32

struct hs_conf_arg {
	const char *text;
	bool quoted;
};

struct hs_conf_stmt {
	const char *keyword;
	struct hs_conf_arg *args;
	size_t nargs;
	size_t npos;                 /* positional arguments (set by check) */
	const char *file;
	unsigned line;
	bool has_block;
	struct hs_conf_stmt *child;  /* first statement of the block */
	struct hs_conf_stmt *next;
	struct hs_conf_stmt *parent;
	const hs_conf_rule_t *rule;  /* set by check */
	size_t ord;                  /* position in its block (set by check) */
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct hs_conf {
	const char *name;            /* the top file */
	struct chunk *chunks;
	struct hs_conf_stmt *first;
};

const hs_conf_opt_t hs_conf_opts_port[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = NULL }
};

/* ---- arena ------------------------------------------------------------------ */

static void *arena_alloc(hs_conf_t *c, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct chunk *k = c->chunks;
	if (k == NULL || k->cap - k->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		k = malloc(sizeof(*k) + cap);
		if (k == NULL) {
			return NULL;
		}
		k->cap = cap;
		k->used = 0;
		k->next = c->chunks;
		c->chunks = k;
	}
	void *p = k->data + k->used;
	k->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strndup(hs_conf_t *c, const char *s, size_t n)
{
	char *p = arena_alloc(c, n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void hs_conf_free(hs_conf_t *conf)
{
	if (conf == NULL) {
		return;
	}
	struct chunk *k = conf->chunks;
	while (k != NULL) {
		struct chunk *next = k->next;
		free(k);
		k = next;
	}
	free(conf);
}

/* ---- errors -------------------------------------------------------------------- */

static int verr(char *err, size_t errlen, const char *file, unsigned line,
                const char *fmt, va_list ap)
{
	if (err == NULL || errlen == 0) {
		return HS_ECONF;
	}
	int n = line > 0 ? snprintf(err, errlen, "%s:%u: ", file, line)
	                 : snprintf(err, errlen, "%s: ", file);
	if (n >= 0 && (size_t)n < errlen) {
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	}
	return HS_ECONF;
}

static int errf(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int errf(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(err, errlen, file, line, fmt, ap);
	va_end(ap);
	return HS_ECONF;
}

int hs_conf_error(const hs_conf_stmt_t *s, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(err, errlen, s != NULL ? s->file : "?", s != NULL ? s->line : 0, fmt, ap);
	va_end(ap);
	return HS_ECONF;
}

/* ---- lexer ------------------------------------------------------------------------- */

enum tok_type { T_EOF, T_NEWLINE, T_SEMI, T_LBRACE, T_RBRACE, T_WORD, T_STRING };

struct token {
	enum tok_type type;
	unsigned line;
	const char *text;    /* WORD, STRING: in the arena */
};

struct incl {
	dev_t dev;
	ino_t ino;
};

struct reader {
	hs_conf_t *conf;
	char *err;
	size_t errlen;
	int depth;                      /* include depth */
	bool string_top;                /* depth 0 is a string, not a file */
	struct incl stack[MAX_INCLUDE + 1];
	char *sbuf;                     /* scratch for strings */
	size_t scap;
};

struct lexer {
	struct reader *r;
	const char *p, *end;
	const char *file;
	unsigned line;
	bool have_peek;
	struct token peek;
};

static bool is_word_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '#' && c != '{' && c != '}' &&
	       c != ';' && c != '"';
}

static int lex(struct lexer *lx, struct token *t)
{
	struct reader *r = lx->r;
	if (lx->have_peek) {
		*t = lx->peek;
		lx->have_peek = false;
		return HS_EOK;
	}
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r')) {
			lx->p++;
		}
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n') {
				lx->p++;
			}
			continue;
		}
		break;
	}
	t->line = lx->line;
	t->text = NULL;
	if (lx->p >= lx->end) {
		t->type = T_EOF;
		return HS_EOK;
	}
	unsigned char c = (unsigned char)*lx->p;
	switch (c) {
	case '\n':
		lx->p++;
		lx->line++;
		t->type = T_NEWLINE;
		return HS_EOK;
	case ';':
		lx->p++;
		t->type = T_SEMI;
		return HS_EOK;
	case '{':
		lx->p++;
		t->type = T_LBRACE;
		return HS_EOK;
	case '}':
		lx->p++;
		t->type = T_RBRACE;
		return HS_EOK;
	case '"': {
		size_t n = 0;
		lx->p++;
		for (;;) {
			if (lx->p >= lx->end || *lx->p == '\n') {
				return errf(r->err, r->errlen, lx->file, lx->line,
				            "unterminated string (a quoted string ends on its line)");
			}
			unsigned char ch = (unsigned char)*lx->p++;
			if (ch == '"') {
				break;
			}
			if (ch == '\\') {
				if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\\')) {
					return errf(r->err, r->errlen, lx->file, lx->line,
					            "unknown escape in string (only \\\" and \\\\)");
				}
				ch = (unsigned char)*lx->p++;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				return errf(r->err, r->errlen, lx->file, lx->line,
				            "control character 0x%02x in string", ch);
			}
			if (n + 1 >= r->scap) {
				size_t cap = r->scap ? r->scap * 2 : 256;
				char *b = realloc(r->sbuf, cap);
				if (b == NULL) {
					return HS_ENOMEM;
				}
				r->sbuf = b;
				r->scap = cap;
			}
			r->sbuf[n++] = (char)ch;
		}
		t->type = T_STRING;
		t->text = arena_strndup(r->conf, n ? r->sbuf : "", n);
		return t->text != NULL ? HS_EOK : HS_ENOMEM;
	}
	default:
		break;
	}
	if (!is_word_char(c)) {
		return errf(r->err, r->errlen, lx->file, lx->line,
		            "unexpected character 0x%02x", c);
	}
	const char *start = lx->p;
	while (lx->p < lx->end && is_word_char((unsigned char)*lx->p)) {
		lx->p++;
	}
	if (lx->p < lx->end && *lx->p == '"') {
		return errf(r->err, r->errlen, lx->file, lx->line,
		            "quote inside a word (put spaces around a quoted string)");
	}
	t->type = T_WORD;
	t->text = arena_strndup(r->conf, start, (size_t)(lx->p - start));
	return t->text != NULL ? HS_EOK : HS_ENOMEM;
}

static void unlex(struct lexer *lx, const struct token *t)
{
	lx->peek = *t;
	lx->have_peek = true;
}

/* ---- parser ----------------------------------------------------------------------------- */

static int parse_list(struct lexer *lx, struct hs_conf_stmt *parent, unsigned open_line,
                      int nesting, struct hs_conf_stmt ***tailp);
static int read_file(struct reader *r, const char *path, const char *from_file,
                     unsigned from_line, struct hs_conf_stmt *parent,
                     struct hs_conf_stmt ***tailp);

/* Where "include" finds a relative file: beside the including file. */
static char *include_path(struct reader *r, const char *from_file, const char *inc, bool from_string)
{
	const char *slash = from_string ? NULL : strrchr(from_file, '/');
	if (inc[0] == '/' || slash == NULL) {
		return arena_strndup(r->conf, inc, strlen(inc));
	}
	size_t dlen = (size_t)(slash - from_file) + 1;
	size_t ilen = strlen(inc);
	char *p = arena_alloc(r->conf, dlen + ilen + 1);
	if (p != NULL) {
		memcpy(p, from_file, dlen);
		memcpy(p + dlen, inc, ilen + 1);
	}
	return p;
}

static int parse_stmt(struct lexer *lx, struct token *kw, struct hs_conf_stmt *parent,
                      int nesting, struct hs_conf_stmt ***tailp)
{
	struct reader *r = lx->r;
	bool from_string = r->string_top && r->depth == 0;
	struct hs_conf_stmt *s = arena_alloc(r->conf, sizeof(*s));
	if (s == NULL) {
		return HS_ENOMEM;
	}
	s->keyword = kw->text;
	s->file = lx->file;
	s->line = kw->line;
	s->parent = parent;

	struct hs_conf_arg *args = NULL;
	size_t nargs = 0, cap = 0;
	int ret = HS_EOK;
	for (bool done = false; !done;) {
		struct token t;
		ret = lex(lx, &t);
		if (ret != HS_EOK) {
			break;
		}
		switch (t.type) {
		case T_WORD:
		case T_STRING:
			if (nargs == cap) {
				cap = cap ? cap * 2 : 8;
				struct hs_conf_arg *a = realloc(args, cap * sizeof(*a));
				if (a == NULL) {
					ret = HS_ENOMEM;
					done = true;
					break;
				}
				args = a;
			}
			args[nargs].text = t.text;
			args[nargs].quoted = (t.type == T_STRING);
			nargs++;
			break;
		case T_EOF:
		case T_RBRACE:
			unlex(lx, &t);
			done = true;
			break;
		case T_NEWLINE:
		case T_SEMI:
			done = true;
			break;
		case T_LBRACE: {
			if (nesting >= MAX_NESTING) {
				ret = errf(r->err, r->errlen, lx->file, t.line, "blocks nested too deep");
				done = true;
				break;
			}
			s->has_block = true;
			struct hs_conf_stmt **ctail = &s->child;
			ret = parse_list(lx, s, t.line, nesting + 1, &ctail);
			done = true;
			break;
		}
		}
	}
	if (ret == HS_EOK && nargs > 0) {
		s->args = arena_alloc(r->conf, nargs * sizeof(*args));
		if (s->args == NULL) {
			ret = HS_ENOMEM;
		} else {
			memcpy(s->args, args, nargs * sizeof(*args));
			s->nargs = s->npos = nargs;
		}
	}
	free(args);
	if (ret != HS_EOK) {
		return ret;
	}

	if (strcmp(s->keyword, "include") == 0) {
		if (s->has_block) {
			return errf(r->err, r->errlen, s->file, s->line, "include takes no block");
		}
		if (s->nargs != 1) {
			return errf(r->err, r->errlen, s->file, s->line,
			            "include needs exactly one file name");
		}
		char *path = include_path(r, s->file, s->args[0].text, from_string);
		if (path == NULL) {
			return HS_ENOMEM;
		}
		return read_file(r, path, s->file, s->line, parent, tailp);
	}
	**tailp = s;
	*tailp = &s->next;
	return HS_EOK;
}

/* Statements up to EOF (open_line == 0) or the '}' of a block opened at open_line. */
static int parse_list(struct lexer *lx, struct hs_conf_stmt *parent, unsigned open_line,
                      int nesting, struct hs_conf_stmt ***tailp)
{
	struct reader *r = lx->r;
	for (;;) {
		struct token t;
		int ret = lex(lx, &t);
		if (ret != HS_EOK) {
			return ret;
		}
		switch (t.type) {
		case T_NEWLINE:
		case T_SEMI:
			continue;
		case T_EOF:
			if (open_line > 0) {
				return errf(r->err, r->errlen, lx->file, t.line,
				            "missing '}' of the block opened at line %u", open_line);
			}
			return HS_EOK;
		case T_RBRACE:
			if (open_line == 0) {
				return errf(r->err, r->errlen, lx->file, t.line, "'}' without a block");
			}
			return HS_EOK;
		case T_LBRACE:
			return errf(r->err, r->errlen, lx->file, t.line,
			            "'{' without a keyword (a block opens on its statement's line)");
		case T_STRING:
			return errf(r->err, r->errlen, lx->file, t.line,
			            "a statement starts with a keyword, not a quoted string");
		case T_WORD:
			ret = parse_stmt(lx, &t, parent, nesting, tailp);
			if (ret != HS_EOK) {
				return ret;
			}
			break;
		}
	}
}

static int parse_text(struct reader *r, const char *text, size_t len, const char *file,
                      struct hs_conf_stmt *parent, struct hs_conf_stmt ***tailp)
{
	if (memchr(text, '\0', len) != NULL) {
		unsigned line = 1;
		for (const char *p = text; *p != '\0'; p++) {
			line += (*p == '\n');
		}
		return errf(r->err, r->errlen, file, line, "NUL byte in file");
	}
	struct lexer lx = {
		.r = r, .p = text, .end = text + len, .file = file, .line = 1,
	};
	return parse_list(&lx, parent, 0, 0, tailp);
}

static int read_file(struct reader *r, const char *path, const char *from_file,
                     unsigned from_line, struct hs_conf_stmt *parent,
                     struct hs_conf_stmt ***tailp)
{
	const char *where = from_file != NULL ? from_file : path;
	unsigned wline = from_file != NULL ? from_line : 0;
	if (r->depth >= MAX_INCLUDE) {
		return errf(r->err, r->errlen, where, wline, "includes nested too deep");
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (from_file == NULL) {
			return errf(r->err, r->errlen, path, 0, "%s", strerror(errno));
		}
		return errf(r->err, r->errlen, where, wline, "cannot open %s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return errf(r->err, r->errlen, where, wline, "%s is not a regular file", path);
	}
	for (int i = 0; i <= r->depth; i++) {
		if (r->stack[i].dev == st.st_dev && r->stack[i].ino == st.st_ino) {
			fclose(f);
			return errf(r->err, r->errlen, where, wline, "include loop: %s", path);
		}
	}
	if ((uint64_t)st.st_size > MAX_FILE_SIZE) {
		fclose(f);
		return errf(r->err, r->errlen, where, wline, "%s is too large", path);
	}
	size_t size = (size_t)st.st_size;
	char *text = malloc(size + 1);
	if (text == NULL) {
		fclose(f);
		return HS_ENOMEM;
	}
	size_t got = fread(text, 1, size, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(text);
		return errf(r->err, r->errlen, where, wline, "cannot read %s", path);
	}
	const char *name = arena_strndup(r->conf, path, strlen(path));
	if (name == NULL) {
		free(text);
		return HS_ENOMEM;
	}
	if (r->conf->name == NULL) {
		r->conf->name = name;
	}
	r->depth++;
	r->stack[r->depth].dev = st.st_dev;
	r->stack[r->depth].ino = st.st_ino;
	int ret = parse_text(r, text, got, name, parent, tailp);
	r->depth--;
	free(text);
	return ret;
}

static int read_common(const char *text, const char *path, const char *name,
                       hs_conf_t **out, char *err, size_t errlen)
{
	if (out == NULL || (text == NULL && path == NULL)) {
		return HS_EINVAL;
	}
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	hs_conf_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return HS_ENOMEM;
	}
	/* depth -1: the top file takes stack slot 0; for a string, slot 0
	 * stays {0, 0} and relative includes come from the current directory. */
	struct reader r = { .conf = c, .err = err, .errlen = errlen, .depth = -1 };
	struct hs_conf_stmt **tail = &c->first;
	int ret;
	if (text != NULL) {
		r.depth = 0;
		r.string_top = true;
		const char *n = arena_strndup(c, name, strlen(name));
		c->name = n;
		ret = n != NULL ? parse_text(&r, text, strlen(text), n, NULL, &tail) : HS_ENOMEM;
	} else {
		ret = read_file(&r, path, NULL, 0, NULL, &tail);
	}
	free(r.sbuf);
	if (ret != HS_EOK) {
		if (ret == HS_ENOMEM && err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: out of memory", text != NULL ? name : path);
		}
		hs_conf_free(c);
		return ret;
	}
	*out = c;
	return HS_EOK;
}

int hs_conf_read_file(const char *path, hs_conf_t **out, char *err, size_t errlen)
{
	return read_common(NULL, path, NULL, out, err, errlen);
}

int hs_conf_read_string(const char *text, const char *name, hs_conf_t **out,
                        char *err, size_t errlen)
{
	return read_common(text, NULL, name != NULL ? name : "(string)", out, err, errlen);
}

/* ---- values ------------------------------------------------------------------------------- */

static int parse_uint(const char *s, uint64_t *out)
{
	if (*s == '\0') {
		return HS_ESYNTAX;
	}
	uint64_t v = 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return HS_ESYNTAX;
		}
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10) {
			return HS_ERANGE;
		}
		v = v * 10 + d;
	}
	*out = v;
	return HS_EOK;
}

static int parse_duration(const char *s, uint64_t *out)
{
	if (*s == '\0') {
		return HS_ESYNTAX;
	}
	uint64_t total = 0;
	while (*s != '\0') {
		if (*s < '0' || *s > '9') {
			return HS_ESYNTAX;
		}
		uint64_t v = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			unsigned d = (unsigned)(*s - '0');
			if (v > (UINT64_MAX - d) / 10) {
				return HS_ERANGE;
			}
			v = v * 10 + d;
		}
		uint64_t mult;
		switch (*s) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		case '\0': mult = 1; break;   /* a bare number, or a last part without unit */
		default: return HS_ESYNTAX;
		}
		if (*s != '\0') {
			s++;
		}
		if (v > UINT64_MAX / mult || total > UINT64_MAX - v * mult) {
			return HS_ERANGE;
		}
		total += v * mult;
	}
	*out = total;
	return HS_EOK;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true" };
	static const char *const no[] = { "no", "off", "false" };
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return HS_EOK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return HS_EOK;
		}
	}
	return HS_ESYNTAX;
}

static int parse_choice(const char *s, const char *choices, unsigned *out)
{
	if (choices == NULL) {
		return HS_ESYNTAX;
	}
	size_t len = strlen(s);
	unsigned idx = 0;
	for (const char *p = choices; ; idx++) {
		const char *bar = strchr(p, '|');
		size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (n == len && len > 0 && strncasecmp(p, s, n) == 0) {
			*out = idx;
			return HS_EOK;
		}
		if (bar == NULL) {
			return HS_ESYNTAX;
		}
		p = bar + 1;
	}
}

static int parse_name(const char *s, uint8_t *out)
{
	if (*s == '\0') {
		return HS_ESYNTAX;
	}
	uint8_t buf[KNOT_DNAME_MAXLEN];
	if (knot_dname_from_str(buf, s, sizeof(buf)) == NULL) {
		return HS_ESYNTAX;
	}
	if (out != NULL) {
		memcpy(out, buf, knot_dname_size(buf));
	}
	return HS_EOK;
}

/* Is text of this kind? If not, a reason (without file:line) in why. */
static bool kind_ok(enum hs_conf_kind kind, const char *text, const char *choices,
                    char *why, size_t whylen)
{
	uint64_t u;
	bool b;
	unsigned idx;
	struct sockaddr_storage ss;
	struct hs_prefix pfx;
	int ret;
	switch (kind) {
	case HS_CONF_ANY:
		return true;
	case HS_CONF_UINT:
		ret = parse_uint(text, &u);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s is too large" : "%s is not a number", text);
		}
		return ret == HS_EOK;
	case HS_CONF_PORT:
		ret = parse_uint(text, &u);
		if (ret != HS_EOK || u > 65535) {
			snprintf(why, whylen, "%s is not a port number (0-65535)", text);
			return false;
		}
		return true;
	case HS_CONF_DURATION:
		ret = parse_duration(text, &u);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s is too long"
			         : "%s is not a duration (like 30s, 5m, 1h, 2d, 1w, 1h30m)", text);
		}
		return ret == HS_EOK;
	case HS_CONF_BOOL:
		if (parse_bool(text, &b) != HS_EOK) {
			snprintf(why, whylen, "%s is not yes or no", text);
			return false;
		}
		return true;
	case HS_CONF_ADDR:
		ret = hs_addr_parse(text, 0, &ss);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s: port out of range (0-65535)"
			         : "%s is not an IP address (ADDR or ADDR@PORT)", text);
		}
		return ret == HS_EOK;
	case HS_CONF_PREFIX:
		ret = hs_prefix_parse(text, &pfx);
		if (ret != HS_EOK) {
			snprintf(why, whylen, ret == HS_ERANGE ? "%s: prefix length too long"
			         : "%s is not an IP prefix (ADDR/LEN, host bits zero)", text);
		}
		return ret == HS_EOK;
	case HS_CONF_NAME:
		if (parse_name(text, NULL) != HS_EOK) {
			snprintf(why, whylen, "%s is not a domain name", text);
			return false;
		}
		return true;
	case HS_CONF_CHOICE:
		if (parse_choice(text, choices, &idx) != HS_EOK) {
			snprintf(why, whylen, "%s is not one of %s", text, choices != NULL ? choices : "(none)");
			return false;
		}
		return true;
	}
	snprintf(why, whylen, "unknown kind of argument");
	return false;
}

/* ---- checker ------------------------------------------------------------------------------- */

struct checker {
	const char *top;
	char *err;
	size_t errlen;
};

static const hs_conf_rule_t *find_rule(const hs_conf_rule_t *rules, const char *kw)
{
	for (; rules != NULL && rules->keyword != NULL; rules++) {
		if (strcmp(rules->keyword, kw) == 0) {
			return rules;
		}
	}
	return NULL;
}

static const hs_conf_opt_t *find_opt(const hs_conf_opt_t *opts, const char *name)
{
	for (; opts != NULL && opts->name != NULL; opts++) {
		if (strcmp(opts->name, name) == 0) {
			return opts;
		}
	}
	return NULL;
}

static int check_args(struct checker *c, struct hs_conf_stmt *s, const hs_conf_rule_t *rule)
{
	char why[512];
	size_t npos = s->nargs;
	for (size_t i = 0; rule->opts != NULL && i < s->nargs; i++) {
		if (!s->args[i].quoted && find_opt(rule->opts, s->args[i].text) != NULL) {
			npos = i;
			break;
		}
	}
	const char *kw = s->keyword;
	if (npos < rule->min) {
		if (rule->min == rule->max) {
			return errf(c->err, c->errlen, s->file, s->line, "%s needs %u argument%s",
			            kw, rule->min, rule->min == 1 ? "" : "s");
		}
		return errf(c->err, c->errlen, s->file, s->line, "%s needs at least %u argument%s",
		            kw, rule->min, rule->min == 1 ? "" : "s");
	}
	if (rule->max != HS_CONF_UNLIMITED && npos > rule->max) {
		if (rule->opts != NULL) {
			return errf(c->err, c->errlen, s->file, s->line, "%s: unknown option %s",
			            kw, s->args[rule->max].text);
		}
		if (rule->max == 0) {
			return errf(c->err, c->errlen, s->file, s->line, "%s takes no arguments", kw);
		}
		return errf(c->err, c->errlen, s->file, s->line, "%s takes %s%u argument%s, not %zu",
		            kw, rule->min == rule->max ? "" : "at most ", rule->max,
		            rule->max == 1 ? "" : "s", npos);
	}
	for (size_t i = 0; i < npos; i++) {
		enum hs_conf_kind k = rule->kind[i < HS_CONF_KINDS ? i : HS_CONF_KINDS - 1];
		if (!kind_ok(k, s->args[i].text, rule->choices, why, sizeof(why))) {
			return errf(c->err, c->errlen, s->file, s->line, "%s: %s", kw, why);
		}
	}
	for (size_t i = npos; i < s->nargs; i += 2) {
		const char *name = s->args[i].text;
		const hs_conf_opt_t *o = s->args[i].quoted ? NULL : find_opt(rule->opts, name);
		if (o == NULL) {
			return errf(c->err, c->errlen, s->file, s->line, "%s: unknown option %s", kw, name);
		}
		if (i + 1 >= s->nargs) {
			return errf(c->err, c->errlen, s->file, s->line, "%s: option %s needs a value", kw, name);
		}
		for (size_t j = npos; j < i; j += 2) {
			if (strcmp(s->args[j].text, name) == 0) {
				return errf(c->err, c->errlen, s->file, s->line,
				            "%s: option %s given twice", kw, name);
			}
		}
		if (!kind_ok(o->kind, s->args[i + 1].text, o->choices, why, sizeof(why))) {
			return errf(c->err, c->errlen, s->file, s->line, "%s: %s %s", kw, name, why);
		}
	}
	s->npos = npos;
	return HS_EOK;
}

/* Same first argument, as the UNIQUE flag means it? */
static bool same_arg(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 1 && a[la - 1] == '.') {
		la--;
	}
	if (lb > 1 && b[lb - 1] == '.') {
		lb--;
	}
	return la == lb && strncasecmp(a, b, la) == 0;
}

static const char *first_arg(const struct hs_conf_stmt *s)
{
	return s->nargs > 0 ? s->args[0].text : "";
}

static int cmp_first_arg(const void *x, const void *y)
{
	const struct hs_conf_stmt *a = *(const struct hs_conf_stmt *const *)x;
	const struct hs_conf_stmt *b = *(const struct hs_conf_stmt *const *)y;
	const char *sa = first_arg(a), *sb = first_arg(b);
	size_t la = strlen(sa), lb = strlen(sb);
	if (la > 1 && sa[la - 1] == '.') {
		la--;
	}
	if (lb > 1 && sb[lb - 1] == '.') {
		lb--;
	}
	int r = strncasecmp(sa, sb, la < lb ? la : lb);
	if (r != 0) {
		return r;
	}
	if (la != lb) {
		return la < lb ? -1 : 1;
	}
	/* equal: keep file order, so the later one is reported */
	return a->ord < b->ord ? -1 : (a->ord > b->ord);
}

static int check_list(struct checker *c, struct hs_conf_stmt *parent,
                      struct hs_conf_stmt *first, const hs_conf_rule_t *rules)
{
	size_t n = 0;
	for (struct hs_conf_stmt *s = first; s != NULL; s = s->next) {
		s->ord = n++;
		const hs_conf_rule_t *rule = find_rule(rules, s->keyword);
		if (rule == NULL) {
			if (parent != NULL) {
				return errf(c->err, c->errlen, s->file, s->line,
				            "unknown keyword %s in %s block", s->keyword, parent->keyword);
			}
			return errf(c->err, c->errlen, s->file, s->line, "unknown keyword %s", s->keyword);
		}
		s->rule = rule;
		int ret = check_args(c, s, rule);
		if (ret != HS_EOK) {
			return ret;
		}
		if (rule->block != NULL && !s->has_block) {
			return errf(c->err, c->errlen, s->file, s->line, "%s needs a { block }", s->keyword);
		}
		if (rule->block == NULL && s->has_block) {
			return errf(c->err, c->errlen, s->file, s->line, "%s takes no block", s->keyword);
		}
		if (s->has_block) {
			ret = check_list(c, s, s->child, rule->block);
			if (ret != HS_EOK) {
				return ret;
			}
		}
	}

	/* Counts, duplicates, required statements: per rule. */
	struct hs_conf_stmt **same = NULL;
	if (n > 0) {
		same = malloc(n * sizeof(*same));
		if (same == NULL) {
			return HS_ENOMEM;
		}
	}
	int ret = HS_EOK;
	for (const hs_conf_rule_t *rule = rules; rule != NULL && rule->keyword != NULL; rule++) {
		size_t k = 0;
		for (struct hs_conf_stmt *s = first; s != NULL; s = s->next) {
			if (s->rule == rule) {
				same[k++] = s;
			}
		}
		if (k == 0 && (rule->flags & HS_CONF_REQUIRED)) {
			if (parent != NULL) {
				ret = errf(c->err, c->errlen, parent->file, parent->line,
				           "%s block lacks the required statement %s",
				           parent->keyword, rule->keyword);
			} else {
				ret = errf(c->err, c->errlen, c->top, 0,
				           "missing required statement %s", rule->keyword);
			}
			break;
		}
		if (k > 1 && !(rule->flags & (HS_CONF_REPEAT | HS_CONF_UNIQUE))) {
			ret = errf(c->err, c->errlen, same[1]->file, same[1]->line,
			           "duplicate %s (first at %s:%u)", rule->keyword,
			           same[0]->file, same[0]->line);
			break;
		}
		if (k > 1 && (rule->flags & HS_CONF_UNIQUE)) {
			qsort(same, k, sizeof(*same), cmp_first_arg);
			const struct hs_conf_stmt *dup = NULL, *orig = NULL, *group = same[0];
			for (size_t i = 1; i < k; i++) {
				if (!same_arg(first_arg(same[i - 1]), first_arg(same[i]))) {
					group = same[i];
					continue;
				}
				if (dup == NULL || same[i]->ord < dup->ord) {
					dup = same[i];   /* the earliest repeat, in file order */
					orig = group;
				}
			}
			if (dup != NULL) {
				ret = errf(c->err, c->errlen, dup->file, dup->line,
				           "duplicate %s %s (first at %s:%u)", rule->keyword,
				           first_arg(dup), orig->file, orig->line);
				break;
			}
		}
	}
	free(same);
	return ret;
}

int hs_conf_check(hs_conf_t *conf, const hs_conf_rule_t *rules, char *err, size_t errlen)
{
	if (conf == NULL || rules == NULL) {
		return HS_EINVAL;
	}
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	struct checker c = { .top = conf->name != NULL ? conf->name : "?", .err = err, .errlen = errlen };
	return check_list(&c, NULL, conf->first, rules);
}

int hs_conf_load(const char *path, const hs_conf_rule_t *rules, hs_conf_t **out,
                 char *err, size_t errlen)
{
	if (path == NULL || rules == NULL || out == NULL) {
		return HS_EINVAL;
	}
	hs_conf_t *c = NULL;
	int ret = hs_conf_read_file(path, &c, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = hs_conf_check(c, rules, err, errlen);
	if (ret != HS_EOK) {
		hs_conf_free(c);
		return ret;
	}
	*out = c;
	return HS_EOK;
}

/* ---- walking ---------------------------------------------------------------------------------- */

static const hs_conf_stmt_t *find_from(const struct hs_conf_stmt *s, const char *kw)
{
	for (; s != NULL; s = s->next) {
		if (kw == NULL || strcmp(s->keyword, kw) == 0) {
			return s;
		}
	}
	return NULL;
}

const hs_conf_stmt_t *hs_conf_first(const hs_conf_t *conf, const char *keyword)
{
	return conf != NULL ? find_from(conf->first, keyword) : NULL;
}

const hs_conf_stmt_t *hs_conf_child(const hs_conf_stmt_t *s, const char *keyword)
{
	return s != NULL ? find_from(s->child, keyword) : NULL;
}

const hs_conf_stmt_t *hs_conf_next(const hs_conf_stmt_t *s, const char *keyword)
{
	return s != NULL ? find_from(s->next, keyword) : NULL;
}

const hs_conf_stmt_t *hs_conf_parent(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->parent : NULL;
}

const char *hs_conf_keyword(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->keyword : NULL;
}

const char *hs_conf_file(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->file : NULL;
}

unsigned hs_conf_line(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->line : 0;
}

bool hs_conf_has_block(const hs_conf_stmt_t *s)
{
	return s != NULL && s->has_block;
}

size_t hs_conf_nargs(const hs_conf_stmt_t *s)
{
	return s != NULL ? s->npos : 0;
}

int hs_conf_opt(const hs_conf_stmt_t *s, const char *name)
{
	if (s == NULL || name == NULL) {
		return -1;
	}
	for (size_t i = s->npos; i + 1 < s->nargs; i += 2) {
		if (strcmp(s->args[i].text, name) == 0) {
			return (int)(i + 1);
		}
	}
	return -1;
}

/* ---- getters ---------------------------------------------------------------------------------- */

/* Argument i: a positional one or an option's value (never an option's name). */
static const struct hs_conf_arg *arg_at(const hs_conf_stmt_t *s, int i)
{
	if (s == NULL || i < 0 || (size_t)i >= s->nargs) {
		return NULL;
	}
	if ((size_t)i >= s->npos && ((size_t)i - s->npos) % 2 == 0) {
		return NULL;
	}
	return &s->args[i];
}

const char *hs_conf_str(const hs_conf_stmt_t *s, int i)
{
	const struct hs_conf_arg *a = arg_at(s, i);
	return a != NULL ? a->text : NULL;
}

bool hs_conf_quoted(const hs_conf_stmt_t *s, int i)
{
	const struct hs_conf_arg *a = arg_at(s, i);
	return a != NULL && a->quoted;
}

static int get_arg(const hs_conf_stmt_t *s, int i, const char **text, char *err, size_t errlen)
{
	if (s == NULL) {
		return HS_EINVAL;
	}
	const struct hs_conf_arg *a = arg_at(s, i);
	if (a == NULL) {
		errf(err, errlen, s->file, s->line, "%s: missing argument", s->keyword);
		return HS_ENOTFOUND;
	}
	*text = a->text;
	return HS_EOK;
}

static int range_check(const hs_conf_stmt_t *s, const char *text, uint64_t v, uint64_t min,
                       uint64_t max, char *err, size_t errlen)
{
	if (v < min || v > max) {
		return errf(err, errlen, s->file, s->line, "%s: %s out of range (%llu-%llu)",
		            s->keyword, text, (unsigned long long)min, (unsigned long long)max);
	}
	return HS_EOK;
}

int hs_conf_uint(const hs_conf_stmt_t *s, int i, uint64_t min, uint64_t max,
                 uint64_t *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	uint64_t v;
	if (parse_uint(t, &v) != HS_EOK) {
		return errf(err, errlen, s->file, s->line, "%s: %s is not a number", s->keyword, t);
	}
	ret = range_check(s, t, v, min, max, err, errlen);
	if (ret == HS_EOK && out != NULL) {
		*out = v;
	}
	return ret;
}

int hs_conf_duration(const hs_conf_stmt_t *s, int i, uint64_t min, uint64_t max,
                     uint64_t *secs, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	uint64_t v;
	if (parse_duration(t, &v) != HS_EOK) {
		return errf(err, errlen, s->file, s->line,
		            "%s: %s is not a duration (like 30s, 5m, 1h, 2d, 1w, 1h30m)", s->keyword, t);
	}
	if (v < min || v > max) {
		return errf(err, errlen, s->file, s->line, "%s: %s out of range (%llus-%llus)",
		            s->keyword, t, (unsigned long long)min, (unsigned long long)max);
	}
	if (secs != NULL) {
		*secs = v;
	}
	return HS_EOK;
}

int hs_conf_bool(const hs_conf_stmt_t *s, int i, bool *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	bool b;
	if (parse_bool(t, &b) != HS_EOK) {
		return errf(err, errlen, s->file, s->line, "%s: %s is not yes or no", s->keyword, t);
	}
	if (out != NULL) {
		*out = b;
	}
	return HS_EOK;
}

int hs_conf_addr(const hs_conf_stmt_t *s, int i, uint16_t default_port,
                 struct sockaddr_storage *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	uint16_t port = default_port;
	int pi = hs_conf_opt(s, "port");
	if (pi >= 0 && pi != i && strchr(t, '@') == NULL) {
		uint64_t p;
		ret = hs_conf_uint(s, pi, 0, 65535, &p, err, errlen);
		if (ret != HS_EOK) {
			return ret;
		}
		port = (uint16_t)p;
	}
	struct sockaddr_storage ss;
	ret = hs_addr_parse(t, port, &ss);
	if (ret != HS_EOK) {
		return errf(err, errlen, s->file, s->line, ret == HS_ERANGE
		            ? "%s: %s: port out of range (0-65535)"
		            : "%s: %s is not an IP address (ADDR or ADDR@PORT)", s->keyword, t);
	}
	if (out != NULL) {
		*out = ss;
	}
	return HS_EOK;
}

int hs_conf_prefix(const hs_conf_stmt_t *s, int i, struct hs_prefix *out, char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	struct hs_prefix p;
	ret = hs_prefix_parse(t, &p);
	if (ret != HS_EOK) {
		return errf(err, errlen, s->file, s->line, ret == HS_ERANGE
		            ? "%s: %s: prefix length too long"
		            : "%s: %s is not an IP prefix (ADDR/LEN, host bits zero)", s->keyword, t);
	}
	if (out != NULL) {
		*out = p;
	}
	return HS_EOK;
}

int hs_conf_name(const hs_conf_stmt_t *s, int i, uint8_t out[255], char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	if (parse_name(t, out) != HS_EOK) {
		return errf(err, errlen, s->file, s->line, "%s: %s is not a domain name", s->keyword, t);
	}
	return HS_EOK;
}

int hs_conf_choice(const hs_conf_stmt_t *s, int i, const char *choices, unsigned *out,
                   char *err, size_t errlen)
{
	const char *t;
	int ret = get_arg(s, i, &t, err, errlen);
	if (ret != HS_EOK) {
		return ret;
	}
	unsigned idx;
	if (parse_choice(t, choices, &idx) != HS_EOK) {
		return errf(err, errlen, s->file, s->line, "%s: %s is not one of %s", s->keyword, t,
		            choices != NULL ? choices : "(none)");
	}
	if (out != NULL) {
		*out = idx;
	}
	return HS_EOK;
}
