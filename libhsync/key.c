/*
 * libhsync/key.c -- load dnssec-keygen key pairs (see key.h).
 *
 * The .key file is read with libzscanner (one DNSKEY or KEY record). The
 * .private file is BIND's "Key: value" text; its fields are decoded from
 * base64, handed to GnuTLS as raw parameters, exported as PKCS#8 PEM and
 * loaded into libdnssec. Every buffer that held private material is wiped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <libdnssec/error.h>
#include <libdnssec/keytag.h>
#include <libdnssec/pem.h>
#include <libdnssec/sign.h>
#include <libknot/consts.h>
#include <libknot/descriptor.h>
#include <libzscanner/scanner.h>
#include <sodium.h>

#include "libhsync/codepoints.h"
#include "libhsync/error.h"
#include "libhsync/why.h"
#include "libhsync/key.h"

#define KEY_FILE_MAX (64 * 1024)

bool hs_key_alg_supported(uint8_t algorithm)
{
	switch (algorithm) {
	case DNSSEC_KEY_ALGORITHM_RSA_SHA256:
	case DNSSEC_KEY_ALGORITHM_ECDSA_P256_SHA256:
	case DNSSEC_KEY_ALGORITHM_ECDSA_P384_SHA384:
	case DNSSEC_KEY_ALGORITHM_ED25519:
		return true;
	default:
		return false;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int hs_key_paths(const char *path, char **pub, char **priv)
{
	if (path == NULL || *path == '\0' || pub == NULL || priv == NULL) {
		return HS_EINVAL;
	}
	size_t stem = strlen(path);
	if (ends_with(path, ".key")) {
		stem -= strlen(".key");
	} else if (ends_with(path, ".private")) {
		stem -= strlen(".private");
	}
	char *a = NULL, *b = NULL;
	if (asprintf(&a, "%.*s.key", (int)stem, path) < 0) {
		return HS_ENOMEM;
	}
	if (asprintf(&b, "%.*s.private", (int)stem, path) < 0) {
		free(a);
		return HS_ENOMEM;
	}
	*pub = a;
	*priv = b;
	return HS_EOK;
}

/* Read a whole (small) file, NUL-terminated. *len excludes the NUL. */
static int read_file(const char *path, char **out, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return hs_why(why, whylen, HS_EKEYFILE, "%s: %s", path, strerror(errno));
	}
	char *buf = malloc(KEY_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return HS_ENOMEM;
	}
	size_t n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	int err = ferror(f);
	fclose(f);
	if (err || n > KEY_FILE_MAX) {
		sodium_memzero(buf, KEY_FILE_MAX + 1);
		free(buf);
		return hs_why(why, whylen, HS_EKEYFILE, "%s: %s", path,
		              err ? "read error" : "file too large");
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return HS_EOK;
}

static void wipe_free(void *p, size_t n)
{
	if (p != NULL) {
		sodium_memzero(p, n);
		free(p);
	}
}

void hs_key_free(hs_key_t *key)
{
	if (key == NULL) {
		return;
	}
	free(key->owner);
	dnssec_binary_free(&key->rdata);
	dnssec_key_free(key->dkey);
	free(key);
}

/* New key from owner + RDATA; the libdnssec key is public only. */
static int key_new(const knot_dname_t *owner, uint16_t rrtype, const uint8_t *rdata,
                   size_t len, hs_key_t **out)
{
	if (len < 4) {
		return HS_EKEYFILE;
	}
	if (!hs_key_alg_supported(rdata[3])) {
		return HS_EKEYALG;
	}
	hs_key_t *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return HS_ENOMEM;
	}
	k->owner = knot_dname_copy(owner, NULL);
	if (k->owner == NULL) {
		hs_key_free(k);
		return HS_ENOMEM;
	}
	knot_dname_to_lower(k->owner);
	k->rrtype = rrtype;
	k->flags = (uint16_t)(rdata[0] << 8 | rdata[1]);
	k->protocol = rdata[2];
	k->algorithm = rdata[3];
	dnssec_binary_t rd = { .size = len, .data = (uint8_t *)rdata };
	if (dnssec_binary_dup(&rd, &k->rdata) != DNSSEC_EOK ||
	    dnssec_key_new(&k->dkey) != DNSSEC_EOK) {
		hs_key_free(k);
		return HS_ENOMEM;
	}
	/*
	 * libdnssec 3.2 takes only RDATA with the DNSKEY ZONE flag and
	 * protocol 3, so it gets a copy with flags 256 and protocol 3. Only
	 * the crypto key of it is used; the key tag comes from the real RDATA.
	 */
	dnssec_binary_t dk = { 0 };
	if (dnssec_binary_dup(&rd, &dk) != DNSSEC_EOK) {
		hs_key_free(k);
		return HS_ENOMEM;
	}
	dk.data[0] = 0x01;
	dk.data[1] = 0x00;
	dk.data[2] = 3;
	int r = dnssec_key_set_rdata(k->dkey, &dk);
	dnssec_binary_free(&dk);
	if (r != DNSSEC_EOK || dnssec_key_set_dname(k->dkey, k->owner) != DNSSEC_EOK ||
	    dnssec_keytag(&rd, &k->keytag) != DNSSEC_EOK) {
		hs_key_free(k);
		return HS_EKEYFILE;
	}
	*out = k;
	return HS_EOK;
}

int hs_key_from_rdata(const knot_dname_t *owner, const uint8_t *rdata,
                      size_t len, hs_key_t **out)
{
	if (owner == NULL || rdata == NULL || out == NULL) {
		return HS_EINVAL;
	}
	return key_new(owner, 0, rdata, len, out);
}

/* Parse the one DNSKEY/KEY record of a .key file. */
static int load_pubfile(const char *path, hs_key_t **out, char *why, size_t whylen)
{
	char *text = NULL;
	size_t len = 0;
	int ret = read_file(path, &text, &len, why, whylen);
	if (ret != HS_EOK) {
		return ret;
	}
	zs_scanner_t *s = malloc(sizeof(*s));
	if (s == NULL) {
		free(text);
		return HS_ENOMEM;
	}
	if (zs_init(s, ".", KNOT_CLASS_IN, 3600) != 0 ||
	    zs_set_input_string(s, text, len) != 0) {
		zs_deinit(s);
		free(s);
		free(text);
		return HS_ENOMEM;
	}
	hs_key_t *key = NULL;
	ret = HS_EOK;
	while (ret == HS_EOK && zs_parse_record(s) == 0) {
		if (s->state == ZS_STATE_EOF || s->state == ZS_STATE_STOP) {
			break;
		}
		if (s->state == ZS_STATE_ERROR) {
			ret = hs_why(why, whylen, HS_EKEYFILE, "%s:%" PRIu64 ": %s", path,
			             s->line_counter, zs_strerror(s->error.code));
			break;
		}
		if (s->state != ZS_STATE_DATA) {
			continue;
		}
		if (key != NULL) {
			ret = hs_why(why, whylen, HS_EKEYFILE, "%s: more than one record", path);
			break;
		}
		if (s->r_type != KNOT_RRTYPE_DNSKEY && s->r_type != HS_RRTYPE_KEY) {
			ret = hs_why(why, whylen, HS_EKEYFILE,
			             "%s: record is not DNSKEY or KEY", path);
			break;
		}
		ret = key_new(s->r_owner, s->r_type, s->r_data, s->r_data_length, &key);
		if (ret == HS_EKEYALG) {
			hs_why(why, whylen, ret, "%s: algorithm %u not supported", path,
			       s->r_data_length >= 4 ? s->r_data[3] : 0);
		} else if (ret == HS_EKEYFILE) {
			hs_why(why, whylen, ret, "%s: bad public key", path);
		}
	}
	if (ret == HS_EOK && key == NULL && s->state == ZS_STATE_ERROR) {
		ret = hs_why(why, whylen, HS_EKEYFILE, "%s:%" PRIu64 ": %s", path,
		             s->line_counter, zs_strerror(s->error.code));
	} else if (ret == HS_EOK && key == NULL) {
		ret = hs_why(why, whylen, HS_EKEYFILE, "%s: no DNSKEY or KEY record", path);
	}
	zs_deinit(s);
	free(s);
	free(text);
	if (ret != HS_EOK) {
		hs_key_free(key);
		return ret;
	}
	*out = key;
	return HS_EOK;
}

int hs_key_load_public(const char *path, hs_key_t **out, char *why, size_t whylen)
{
	if (out == NULL) {
		return HS_EINVAL;
	}
	char *pub = NULL, *priv = NULL;
	int ret = hs_key_paths(path, &pub, &priv);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = load_pubfile(pub, out, why, whylen);
	free(pub);
	free(priv);
	return ret;
}

/* ---- BIND private key text ------------------------------------------- */

enum {
	F_ALGORITHM, F_PRIVKEY, F_MODULUS, F_PUBEXP, F_PRIVEXP, F_PRIME1, F_PRIME2,
	F_EXP1, F_EXP2, F_COEF, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_ALGORITHM] = "Algorithm",
	[F_PRIVKEY] = "PrivateKey",
	[F_MODULUS] = "Modulus",
	[F_PUBEXP] = "PublicExponent",
	[F_PRIVEXP] = "PrivateExponent",
	[F_PRIME1] = "Prime1",
	[F_PRIME2] = "Prime2",
	[F_EXP1] = "Exponent1",
	[F_EXP2] = "Exponent2",
	[F_COEF] = "Coefficient",
};

typedef struct {
	unsigned algorithm;
	dnssec_binary_t f[F_COUNT];   /* decoded base64 values (F_ALGORITHM unused) */
} bind_priv_t;

static void bind_priv_clear(bind_priv_t *p)
{
	for (int i = 0; i < F_COUNT; i++) {
		if (p->f[i].data != NULL) {
			sodium_memzero(p->f[i].data, p->f[i].size);
			dnssec_binary_free(&p->f[i]);
		}
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
		s[--n] = '\0';
	}
	return s;
}

/* Parse TEXT (modified in place) of file PATH. */
static int bind_priv_parse(char *text, const char *path, bind_priv_t *p,
                           char *why, size_t whylen)
{
	memset(p, 0, sizeof(*p));
	bool have_format = false, have_alg = false;
	unsigned lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *colon = strchr(line, ':');
		if (colon == NULL) {
			if (*trim(line) == '\0') {
				continue;
			}
			return hs_why(why, whylen, HS_EKEYFILE, "%s:%u: no ':' in line",
			              path, lineno);
		}
		*colon = '\0';
		char *name = trim(line), *value = trim(colon + 1);
		if (!have_format) {
			if (strcasecmp(name, "Private-key-format") != 0 ||
			    strncmp(value, "v1.", 3) != 0) {
				return hs_why(why, whylen, HS_EKEYFILE,
				              "%s:%u: not \"Private-key-format: v1.x\"",
				              path, lineno);
			}
			have_format = true;
			continue;
		}
		int which = -1;
		for (int i = 0; i < F_COUNT; i++) {
			if (strcasecmp(name, field_names[i]) == 0) {
				which = i;
			}
		}
		if (which < 0) {
			continue; /* Created:, Publish:, ... */
		}
		if (which == F_ALGORITHM) {
			char *end = NULL;
			unsigned long a = strtoul(value, &end, 10);
			if (end == value || a > 255 || (*end != '\0' && *end != ' ')) {
				return hs_why(why, whylen, HS_EKEYFILE,
				              "%s:%u: bad Algorithm", path, lineno);
			}
			p->algorithm = (unsigned)a;
			have_alg = true;
			continue;
		}
		if (p->f[which].data != NULL) {
			return hs_why(why, whylen, HS_EKEYFILE, "%s:%u: %s given twice",
			              path, lineno, field_names[which]);
		}
		dnssec_binary_t b64 = { .size = strlen(value), .data = (uint8_t *)value };
		if (b64.size == 0 || dnssec_binary_from_base64(&b64, &p->f[which]) != DNSSEC_EOK) {
			return hs_why(why, whylen, HS_EKEYFILE, "%s:%u: bad base64 in %s",
			              path, lineno, field_names[which]);
		}
	}
	if (!have_format) {
		return hs_why(why, whylen, HS_EKEYFILE, "%s: empty or not a private key file", path);
	}
	if (!have_alg) {
		return hs_why(why, whylen, HS_EKEYFILE, "%s: no Algorithm", path);
	}
	return HS_EOK;
}

static gnutls_datum_t datum(const dnssec_binary_t *b)
{
	gnutls_datum_t d = { .data = b->data, .size = (unsigned)b->size };
	return d;
}

/* GnuTLS private key from the BIND fields; PUB is the DNSKEY public key. */
static int bind_priv_to_pem(const bind_priv_t *p, uint8_t alg, const dnssec_binary_t *pub,
                            dnssec_binary_t *pem, const char *path, char *why, size_t whylen)
{
	gnutls_privkey_t pk = NULL;
	if (gnutls_privkey_init(&pk) != GNUTLS_E_SUCCESS) {
		return HS_ENOMEM;
	}
	int gr = GNUTLS_E_INVALID_REQUEST;
	const char *missing = NULL;
	if (alg == DNSSEC_KEY_ALGORITHM_RSA_SHA256) {
		static const int need[] = { F_MODULUS, F_PUBEXP, F_PRIVEXP, F_PRIME1, F_PRIME2 };
		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
			if (p->f[need[i]].data == NULL) {
				missing = field_names[need[i]];
			}
		}
		if (missing == NULL) {
			gnutls_datum_t m = datum(&p->f[F_MODULUS]), e = datum(&p->f[F_PUBEXP]);
			gnutls_datum_t d = datum(&p->f[F_PRIVEXP]), pp = datum(&p->f[F_PRIME1]);
			gnutls_datum_t q = datum(&p->f[F_PRIME2]);
			gnutls_datum_t u = datum(&p->f[F_COEF]), e1 = datum(&p->f[F_EXP1]);
			gnutls_datum_t e2 = datum(&p->f[F_EXP2]);
			gr = gnutls_privkey_import_rsa_raw(pk, &m, &e, &d, &pp, &q,
			                                   u.data ? &u : NULL,
			                                   e1.data ? &e1 : NULL,
			                                   e2.data ? &e2 : NULL);
		}
	} else {
		if (p->f[F_PRIVKEY].data == NULL) {
			missing = field_names[F_PRIVKEY];
		} else if (alg == DNSSEC_KEY_ALGORITHM_ED25519) {
			gnutls_datum_t x = datum(pub), k = datum(&p->f[F_PRIVKEY]);
			gr = gnutls_privkey_import_ecc_raw(pk, GNUTLS_ECC_CURVE_ED25519,
			                                   &x, NULL, &k);
		} else {
			gnutls_ecc_curve_t curve = alg == DNSSEC_KEY_ALGORITHM_ECDSA_P256_SHA256
			                           ? GNUTLS_ECC_CURVE_SECP256R1
			                           : GNUTLS_ECC_CURVE_SECP384R1;
			gnutls_datum_t x = { .data = pub->data, .size = (unsigned)pub->size / 2 };
			gnutls_datum_t y = { .data = pub->data + pub->size / 2,
			                     .size = (unsigned)pub->size / 2 };
			gnutls_datum_t k = datum(&p->f[F_PRIVKEY]);
			gr = gnutls_privkey_import_ecc_raw(pk, curve, &x, &y, &k);
		}
	}
	if (missing != NULL) {
		gnutls_privkey_deinit(pk);
		return hs_why(why, whylen, HS_EKEYFILE, "%s: no %s", path, missing);
	}
	if (gr != GNUTLS_E_SUCCESS) {
		gnutls_privkey_deinit(pk);
		return hs_why(why, whylen, HS_EKEYFILE, "%s: private key rejected: %s",
		              path, gnutls_strerror(gr));
	}
	int ret = dnssec_pem_from_privkey(pk, pem);
	gnutls_privkey_deinit(pk);
	if (ret != DNSSEC_EOK) {
		return hs_why(why, whylen, HS_EKEYFILE, "%s: private key rejected: %s",
		              path, dnssec_strerror(ret));
	}
	return HS_EOK;
}

/* Sign a fixed text with KEY's private half and verify with PUB alone. */
static int check_pair(const hs_key_t *key)
{
	static const uint8_t probe[] = "hsync key pair check";
	dnssec_binary_t data = { .size = sizeof(probe), .data = (uint8_t *)probe };
	dnssec_binary_t sig = { 0 };
	dnssec_sign_ctx_t *ctx = NULL;
	hs_key_t *pub = NULL;
	int ret = key_new(key->owner, key->rrtype, key->rdata.data, key->rdata.size, &pub);
	if (ret != HS_EOK) {
		return ret;
	}
	ret = HS_EKEYMISMATCH;
	if (dnssec_sign_new(&ctx, key->dkey) == DNSSEC_EOK &&
	    dnssec_sign_add(ctx, &data) == DNSSEC_EOK &&
	    dnssec_sign_write(ctx, DNSSEC_SIGN_NORMAL, &sig) == DNSSEC_EOK) {
		dnssec_sign_free(ctx);
		ctx = NULL;
		if (dnssec_sign_new(&ctx, pub->dkey) == DNSSEC_EOK &&
		    dnssec_sign_add(ctx, &data) == DNSSEC_EOK &&
		    dnssec_sign_verify(ctx, false, &sig) == DNSSEC_EOK) {
			ret = HS_EOK;
		}
	}
	dnssec_sign_free(ctx);
	dnssec_binary_free(&sig);
	hs_key_free(pub);
	return ret;
}

int hs_key_load(const char *path, hs_key_t **out, char *why, size_t whylen)
{
	if (out == NULL) {
		return HS_EINVAL;
	}
	char *pubpath = NULL, *privpath = NULL;
	int ret = hs_key_paths(path, &pubpath, &privpath);
	if (ret != HS_EOK) {
		return ret;
	}
	hs_key_t *key = NULL;
	char *text = NULL;
	size_t len = 0;
	bind_priv_t priv;
	memset(&priv, 0, sizeof(priv));
	dnssec_binary_t pem = { 0 };

	ret = load_pubfile(pubpath, &key, why, whylen);
	if (ret != HS_EOK) {
		goto out;
	}
	ret = read_file(privpath, &text, &len, why, whylen);
	if (ret != HS_EOK) {
		goto out;
	}
	ret = bind_priv_parse(text, privpath, &priv, why, whylen);
	if (ret != HS_EOK) {
		goto out;
	}
	if (priv.algorithm != key->algorithm) {
		ret = hs_why(why, whylen, HS_EKEYMISMATCH,
		             "%s: algorithm %u, but %s has %u", privpath, priv.algorithm,
		             pubpath, key->algorithm);
		goto out;
	}
	dnssec_binary_t pubkey = { 0 };
	if (dnssec_key_get_pubkey(key->dkey, &pubkey) != DNSSEC_EOK) {
		ret = hs_why(why, whylen, HS_EKEYFILE, "%s: bad public key", pubpath);
		goto out;
	}
	ret = bind_priv_to_pem(&priv, key->algorithm, &pubkey, &pem, privpath, why, whylen);
	if (ret != HS_EOK) {
		goto out;
	}
	int dr = dnssec_key_load_pkcs8(key->dkey, &pem);
	if (dr != DNSSEC_EOK) {
		ret = hs_why(why, whylen, HS_EKEYMISMATCH, "%s does not match %s: %s",
		             privpath, pubpath, dnssec_strerror(dr));
		goto out;
	}
	key->has_private = true;
	ret = check_pair(key);
	if (ret == HS_EKEYMISMATCH) {
		hs_why(why, whylen, ret, "%s does not match %s", privpath, pubpath);
	}
out:
	if (pem.data != NULL) {
		sodium_memzero(pem.data, pem.size);
		dnssec_binary_free(&pem);
	}
	bind_priv_clear(&priv);
	wipe_free(text, len);
	free(pubpath);
	free(privpath);
	if (ret != HS_EOK) {
		hs_key_free(key);
		return ret;
	}
	*out = key;
	return HS_EOK;
}
