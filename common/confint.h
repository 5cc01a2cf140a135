/*
 * common/confint.h -- what the reader and checker (conf.c) and the values,
 * walk and getters (confval.c) share. Internal to common/; use conf.h.
 */
#ifndef HS_CONFINT_H
#define HS_CONFINT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/conf.h"

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

struct hs_conf_chunk {
	struct hs_conf_chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct hs_conf {
	const char *name;            /* the top file */
	struct hs_conf_chunk *chunks;
	struct hs_conf_stmt *first;
};

/* Write "file:line: reason" (or "file: reason" for line 0) into err; returns HS_ECONF. */
int hs_conf_errf(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Is text a value of this kind? If not, why (a short phrase) goes into why. */
bool hs_conf_kind_ok(enum hs_conf_kind kind, const char *text, const char *choices,
                     char *why, size_t whylen);

#endif /* HS_CONFINT_H */
