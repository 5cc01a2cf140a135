/*
 * common/conf.h -- the one configuration format of all hsync daemons.
 *
 * The syntax is in hsync.conf(5). In short: a statement is a keyword and
 * its arguments, ended by the end of the line or ';'. A statement may end
 * in a { block } of statements. '#' starts a comment. Arguments are words
 * or "quoted strings" (\" and \\ inside). `include "file"` reads a file in
 * place (relative paths from the including file's directory).
 *
 *	listen 127.0.0.1 port 5300
 *	zone example.com {
 *		primary 127.0.0.1@5301 key xfr
 *	}
 *
 * Reading gives a tree of statements; checking it against a table of rules
 * (one per daemon) gives the first problem as "file:line: reason". Typed
 * getters convert arguments, with range checks and errors of the same form.
 *
 * Errors: every function that can fail returns 0 or a negative code
 * (HS_ECONF for anything wrong in the configuration, HS_ENOMEM, ...) and,
 * when given a buffer, writes one line "file:line: reason" into it. Nothing
 * here prints.
 *
 * Memory: the tree is one allocation unit; every string and statement
 * pointer handed out is borrowed from it and lives until hs_conf_free().
 * For SIGHUP: read and check the new tree, swap it in on success, free the
 * old one; on error keep the old one and log the message.
 */
#ifndef HS_CONF_H
#define HS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/net.h"

typedef struct hs_conf hs_conf_t;
typedef struct hs_conf_stmt hs_conf_stmt_t;

/* Buffer size that always holds a whole error message. */
#define HS_CONF_ERRLEN 1024

/* ---- reading --------------------------------------------------------------- */

/* Read path (and its includes) into *out (new, free with hs_conf_free). */
int hs_conf_read_file(const char *path, hs_conf_t **out, char *err, size_t errlen);

/* Read text; name stands for the file in messages; relative includes are
 * taken from the current directory. */
int hs_conf_read_string(const char *text, const char *name, hs_conf_t **out,
                        char *err, size_t errlen);

void hs_conf_free(hs_conf_t *conf);

/* ---- checking ----------------------------------------------------------------- */

enum hs_conf_kind {
	HS_CONF_ANY = 0,    /* any word or quoted string */
	HS_CONF_STRING = HS_CONF_ANY,
	HS_CONF_UINT,       /* decimal, 0..2^64-1 */
	HS_CONF_DURATION,   /* 30, 30s, 5m, 1h, 2d, 1w, 1h30m (seconds) */
	HS_CONF_BOOL,       /* yes/no, on/off, true/false */
	HS_CONF_ADDR,       /* ADDR or ADDR@PORT, see net.h */
	HS_CONF_PREFIX,     /* ADDR/LEN or ADDR */
	HS_CONF_PORT,       /* 0..65535 */
	HS_CONF_NAME,       /* domain name, absolute or not ("example.com" = "example.com.") */
	HS_CONF_CHOICE,     /* one of the words in the rule's `choices`, "a|b|c" */
};

/* Up to this many positional kinds; arguments past it take the last one. */
#define HS_CONF_KINDS 4
#define HS_CONF_UNLIMITED 255

/* A named option after the positional arguments: NAME VALUE (e.g. port 53). */
typedef struct hs_conf_opt {
	const char *name;            /* NULL ends a table */
	enum hs_conf_kind kind;
	const char *choices;         /* for HS_CONF_CHOICE */
} hs_conf_opt_t;

enum {
	HS_CONF_REQUIRED = 1 << 0,   /* must appear in its block */
	HS_CONF_REPEAT   = 1 << 1,   /* may appear more than once */
	HS_CONF_UNIQUE   = 1 << 2,   /* repeats, but never twice with one first argument
	                                (names compared case-insensitively, final dot ignored) */
};

/*
 * One allowed keyword in a block. Tables end with a rule whose keyword is
 * NULL. Arguments: first the positional ones (min..max of them, kind[i] for
 * argument i, the last kind for any further), then any options from opts as
 * NAME VALUE pairs, each at most once. An unquoted word equal to an option
 * name starts the options. block: rules of the statement's { block }; NULL
 * means the statement takes no block, non-NULL means it must have one.
 * The keyword `include` is the reader's and never appears in the tree.
 */
typedef struct hs_conf_rule {
	const char *keyword;
	unsigned flags;
	uint8_t min, max;
	enum hs_conf_kind kind[HS_CONF_KINDS];
	const char *choices;                /* for HS_CONF_CHOICE positionals */
	const hs_conf_opt_t *opts;
	const struct hs_conf_rule *block;
} hs_conf_rule_t;

/* Check the tree against rules (the top-level table). Reports the first of:
 * unknown keyword, unknown option, wrong number or kind of arguments,
 * missing or unexpected block, duplicate, missing required statement. */
int hs_conf_check(hs_conf_t *conf, const hs_conf_rule_t *rules, char *err, size_t errlen);

/* hs_conf_read_file() then hs_conf_check(); *out only set on success. */
int hs_conf_load(const char *path, const hs_conf_rule_t *rules, hs_conf_t **out,
                 char *err, size_t errlen);

/*
 * Statements every daemon shares (see hsync.conf(5)); use them in a table:
 *	static const hs_conf_rule_t rules[] = { HS_CONF_RULES_COMMON, {...}, { NULL } };
 */
extern const hs_conf_opt_t hs_conf_opts_port[];   /* port PORT */
#define HS_CONF_LOG_LEVELS "error|warning|notice|info|debug"
#define HS_CONF_RULES_COMMON \
	{ .keyword = "listen", .flags = HS_CONF_REPEAT, .min = 1, .max = 1, \
	  .kind = { HS_CONF_ADDR }, .opts = hs_conf_opts_port }, \
	{ .keyword = "tsig-key-file", .flags = HS_CONF_REPEAT, .min = 1, .max = 1, \
	  .kind = { HS_CONF_STRING } }, \
	{ .keyword = "state-dir", .min = 1, .max = 1, .kind = { HS_CONF_STRING } }, \
	{ .keyword = "log-level", .min = 1, .max = 1, .kind = { HS_CONF_CHOICE }, \
	  .choices = HS_CONF_LOG_LEVELS }

/* ---- walking the tree ------------------------------------------------------------ */

/* First top-level statement with this keyword (NULL keyword: any), or NULL. */
const hs_conf_stmt_t *hs_conf_first(const hs_conf_t *conf, const char *keyword);
/* First statement in s's block with this keyword (NULL: any), or NULL. */
const hs_conf_stmt_t *hs_conf_child(const hs_conf_stmt_t *s, const char *keyword);
/* Next statement after s in the same block with this keyword (NULL: any).
 *	for (s = hs_conf_first(c, "zone"); s; s = hs_conf_next(s, "zone")) */
const hs_conf_stmt_t *hs_conf_next(const hs_conf_stmt_t *s, const char *keyword);
/* Statement whose block holds s, NULL at top level. */
const hs_conf_stmt_t *hs_conf_parent(const hs_conf_stmt_t *s);

const char *hs_conf_keyword(const hs_conf_stmt_t *s);
const char *hs_conf_file(const hs_conf_stmt_t *s);
unsigned hs_conf_line(const hs_conf_stmt_t *s);
bool hs_conf_has_block(const hs_conf_stmt_t *s);

/* Number of positional arguments (before checking: of all arguments). */
size_t hs_conf_nargs(const hs_conf_stmt_t *s);
/* Index of the value of option `name` for the getters below, or -1.
 * Only known after hs_conf_check(). */
int hs_conf_opt(const hs_conf_stmt_t *s, const char *name);

/* ---- getting values ------------------------------------------------------------------
 * Argument i is a positional index (0..nargs-1) or what hs_conf_opt() gave.
 * A missing argument (i out of range, e.g. -1) gives HS_ENOTFOUND and a
 * message; a bad value gives HS_ECONF and "file:line: keyword: reason".
 * *out is unchanged on error. */

/* Text of argument i (quotes removed), or NULL. */
const char *hs_conf_str(const hs_conf_stmt_t *s, int i);
/* Was argument i written in quotes? */
bool hs_conf_quoted(const hs_conf_stmt_t *s, int i);

int hs_conf_uint(const hs_conf_stmt_t *s, int i, uint64_t min, uint64_t max,
                 uint64_t *out, char *err, size_t errlen);
int hs_conf_duration(const hs_conf_stmt_t *s, int i, uint64_t min, uint64_t max,
                     uint64_t *secs, char *err, size_t errlen);
int hs_conf_bool(const hs_conf_stmt_t *s, int i, bool *out, char *err, size_t errlen);
/* ADDR[@PORT]; without @PORT the statement's `port` option if it has one,
 * else default_port. */
int hs_conf_addr(const hs_conf_stmt_t *s, int i, uint16_t default_port,
                 struct sockaddr_storage *out, char *err, size_t errlen);
int hs_conf_prefix(const hs_conf_stmt_t *s, int i, struct hs_prefix *out,
                   char *err, size_t errlen);
/* Domain name in wire form into out (KNOT_DNAME_MAXLEN = 255 bytes). */
int hs_conf_name(const hs_conf_stmt_t *s, int i, uint8_t out[255], char *err, size_t errlen);
/* Position of the argument's word in choices "a|b|c" (0-based, case-insensitive). */
int hs_conf_choice(const hs_conf_stmt_t *s, int i, const char *choices, unsigned *out,
                   char *err, size_t errlen);

/* For a daemon's own checks: writes "file:line: " and the message into err
 * and returns HS_ECONF. */
int hs_conf_error(const hs_conf_stmt_t *s, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* HS_CONF_H */
