/*
 * libhsync/why.h -- the reason a call failed, for the caller to log.
 *
 * Library calls that can fail for many reasons take a caller's buffer
 * (char *why, size_t whylen; NULL or 0 when the caller does not care) and
 * return a code; hs_why() fills the one and returns the other, so a
 * failure is one statement:
 *   return hs_why(why, whylen, HS_ESYNTAX, "%s:%zu: bad key", path, line);
 */
#ifndef HS_LIBHSYNC_WHY_H
#define HS_LIBHSYNC_WHY_H

#include <stddef.h>

/* Format into why (if why != NULL and whylen > 0, always terminated); return code. */
int hs_why(char *why, size_t whylen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* HS_LIBHSYNC_WHY_H */
