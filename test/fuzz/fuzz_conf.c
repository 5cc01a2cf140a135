/*
 * fuzz_conf -- the configuration reader (common/conf.c) on arbitrary text:
 * read, then check against a schema with blocks, options and every value
 * kind; no input may crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

static const hs_conf_rule_t zone_rules[] = {
	{ .keyword = "primary", .flags = HS_CONF_REPEAT, .min = 1, .max = 1,
	  .kind = { HS_CONF_ADDR }, .opts = hs_conf_opts_port },
	{ .keyword = "refresh", .min = 1, .max = 1, .kind = { HS_CONF_DURATION } },
	{ .keyword = "allow", .flags = HS_CONF_REPEAT, .min = 1, .max = 1, .kind = { HS_CONF_PREFIX } },
	{ .keyword = "signed", .min = 1, .max = 1, .kind = { HS_CONF_BOOL } },
	{ .keyword = NULL }
};

static const hs_conf_rule_t rules[] = {
	HS_CONF_RULES_COMMON,
	{ .keyword = "zone", .flags = HS_CONF_REPEAT | HS_CONF_UNIQUE, .min = 1, .max = 1,
	  .kind = { HS_CONF_NAME }, .block = zone_rules },
	{ .keyword = "limit", .min = 1, .max = 1, .kind = { HS_CONF_UINT } },
	{ .keyword = NULL }
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	/* include opens files: a fuzzer could name /dev/stdin and hang. */
	if (strstr(text, "include") != NULL) {
		free(text);
		return 0;
	}
	hs_conf_t *conf = NULL;
	char err[512];
	if (hs_conf_read_string(text, "fuzz.conf", &conf, err, sizeof(err)) == 0) {
		(void)hs_conf_check(conf, rules, err, sizeof(err));
		hs_conf_free(conf);
	}
	free(text);
	return 0;
}
