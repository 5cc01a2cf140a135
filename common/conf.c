/*
 * common/conf.c -- configuration reader and checker (see conf.h); the value
 * parsers, the tree walk and the getters are in confval.c.
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

#include "common/confint.h"
#include "libhsync/error.h"

#define MAX_FILE_SIZE  (64u << 20)
#define MAX_INCLUDE    16
#define MAX_NESTING    32

const hs_conf_opt_t hs_conf_opts_port[] = {
	{ .name = "port", .kind = HS_CONF_PORT },
	{ .name = NULL }
};
/* ---- arena ------------------------------------------------------------------ */

static void *arena_alloc(hs_conf_t *c, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct hs_conf_chunk *k = c->chunks;
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
	struct hs_conf_chunk *k = conf->chunks;
	while (k != NULL) {
		struct hs_conf_chunk *next = k->next;
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

int hs_conf_errf(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
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
				return hs_conf_errf(r->err, r->errlen, lx->file, lx->line,
				            "unterminated string (a quoted string ends on its line)");
			}
			unsigned char ch = (unsigned char)*lx->p++;
			if (ch == '"') {
				break;
			}
			if (ch == '\\') {
				if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\\')) {
					return hs_conf_errf(r->err, r->errlen, lx->file, lx->line,
					            "unknown escape in string (only \\\" and \\\\)");
				}
				ch = (unsigned char)*lx->p++;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				return hs_conf_errf(r->err, r->errlen, lx->file, lx->line,
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
		return hs_conf_errf(r->err, r->errlen, lx->file, lx->line,
		            "unexpected character 0x%02x", c);
	}
	const char *start = lx->p;
	while (lx->p < lx->end && is_word_char((unsigned char)*lx->p)) {
		lx->p++;
	}
	if (lx->p < lx->end && *lx->p == '"') {
		return hs_conf_errf(r->err, r->errlen, lx->file, lx->line,
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
				ret = hs_conf_errf(r->err, r->errlen, lx->file, t.line, "blocks nested too deep");
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
			return hs_conf_errf(r->err, r->errlen, s->file, s->line, "include takes no block");
		}
		if (s->nargs != 1) {
			return hs_conf_errf(r->err, r->errlen, s->file, s->line,
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
				return hs_conf_errf(r->err, r->errlen, lx->file, t.line,
				            "missing '}' of the block opened at line %u", open_line);
			}
			return HS_EOK;
		case T_RBRACE:
			if (open_line == 0) {
				return hs_conf_errf(r->err, r->errlen, lx->file, t.line, "'}' without a block");
			}
			return HS_EOK;
		case T_LBRACE:
			return hs_conf_errf(r->err, r->errlen, lx->file, t.line,
			            "'{' without a keyword (a block opens on its statement's line)");
		case T_STRING:
			return hs_conf_errf(r->err, r->errlen, lx->file, t.line,
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
		return hs_conf_errf(r->err, r->errlen, file, line, "NUL byte in file");
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
		return hs_conf_errf(r->err, r->errlen, where, wline, "includes nested too deep");
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (from_file == NULL) {
			return hs_conf_errf(r->err, r->errlen, path, 0, "%s", strerror(errno));
		}
		return hs_conf_errf(r->err, r->errlen, where, wline, "cannot open %s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return hs_conf_errf(r->err, r->errlen, where, wline, "%s is not a regular file", path);
	}
	for (int i = 0; i <= r->depth; i++) {
		if (r->stack[i].dev == st.st_dev && r->stack[i].ino == st.st_ino) {
			fclose(f);
			return hs_conf_errf(r->err, r->errlen, where, wline, "include loop: %s", path);
		}
	}
	if ((uint64_t)st.st_size > MAX_FILE_SIZE) {
		fclose(f);
		return hs_conf_errf(r->err, r->errlen, where, wline, "%s is too large", path);
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
		return hs_conf_errf(r->err, r->errlen, where, wline, "cannot read %s", path);
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
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s needs %u argument%s",
			            kw, rule->min, rule->min == 1 ? "" : "s");
		}
		return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s needs at least %u argument%s",
		            kw, rule->min, rule->min == 1 ? "" : "s");
	}
	if (rule->max != HS_CONF_UNLIMITED && npos > rule->max) {
		if (rule->opts != NULL) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s: unknown option %s",
			            kw, s->args[rule->max].text);
		}
		if (rule->max == 0) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s takes no arguments", kw);
		}
		return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s takes %s%u argument%s, not %zu",
		            kw, rule->min == rule->max ? "" : "at most ", rule->max,
		            rule->max == 1 ? "" : "s", npos);
	}
	for (size_t i = 0; i < npos; i++) {
		enum hs_conf_kind k = rule->kind[i < HS_CONF_KINDS ? i : HS_CONF_KINDS - 1];
		if (!hs_conf_kind_ok(k, s->args[i].text, rule->choices, why, sizeof(why))) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s: %s", kw, why);
		}
	}
	for (size_t i = npos; i < s->nargs; i += 2) {
		const char *name = s->args[i].text;
		const hs_conf_opt_t *o = s->args[i].quoted ? NULL : find_opt(rule->opts, name);
		if (o == NULL) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s: unknown option %s", kw, name);
		}
		if (i + 1 >= s->nargs) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s: option %s needs a value", kw, name);
		}
		for (size_t j = npos; j < i; j += 2) {
			if (strcmp(s->args[j].text, name) == 0) {
				return hs_conf_errf(c->err, c->errlen, s->file, s->line,
				            "%s: option %s given twice", kw, name);
			}
		}
		if (!hs_conf_kind_ok(o->kind, s->args[i + 1].text, o->choices, why, sizeof(why))) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s: %s %s", kw, name, why);
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
				return hs_conf_errf(c->err, c->errlen, s->file, s->line,
				            "unknown keyword %s in %s block", s->keyword, parent->keyword);
			}
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "unknown keyword %s", s->keyword);
		}
		s->rule = rule;
		int ret = check_args(c, s, rule);
		if (ret != HS_EOK) {
			return ret;
		}
		if (rule->block != NULL && !s->has_block) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s needs a { block }", s->keyword);
		}
		if (rule->block == NULL && s->has_block) {
			return hs_conf_errf(c->err, c->errlen, s->file, s->line, "%s takes no block", s->keyword);
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
				ret = hs_conf_errf(c->err, c->errlen, parent->file, parent->line,
				           "%s block lacks the required statement %s",
				           parent->keyword, rule->keyword);
			} else {
				ret = hs_conf_errf(c->err, c->errlen, c->top, 0,
				           "missing required statement %s", rule->keyword);
			}
			break;
		}
		if (k > 1 && !(rule->flags & (HS_CONF_REPEAT | HS_CONF_UNIQUE))) {
			ret = hs_conf_errf(c->err, c->errlen, same[1]->file, same[1]->line,
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
				ret = hs_conf_errf(c->err, c->errlen, dup->file, dup->line,
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
