/*
 * libhsync/why.c -- the reason a call failed (see why.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "libhsync/why.h"

int hs_why(char *why, size_t whylen, int code, const char *fmt, ...)
{
	if (why != NULL && whylen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}
