/* Primitives, tokens, at-rest encryption, and the small codecs (base64, HKDF)
 * that the age and minisign files share. */
#include "crypto/crypto.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "crypto/internal.h"

#define AT_REST_NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AT_REST_TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(FW_CRYPTO_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(FW_CRYPTO_HASH_BYTES == crypto_hash_sha256_BYTES, "hash size");
_Static_assert(FW_CRYPTO_TOKEN_BYTES == 4 + 2 * 32 + 1, "token size");

/* libsodium rejects NULL even for empty inputs. */
static const uint8_t empty[1];

enum fw_err fw_crypto_init(void)
{
	/* sodium_init is itself idempotent and thread-safe; 1 means "already". */
	if (sodium_init() < 0)
		return fw_err_set(FW_ERR_INTERNAL, "libsodium failed to initialise");
	return FW_OK;
}

void fw_crypto_random(void *buf, size_t n)
{
	if (n)
		randombytes_buf(buf, n);
}

void fw_crypto_sha256(const void *data, size_t n, uint8_t out[FW_CRYPTO_HASH_BYTES])
{
	crypto_hash_sha256(out, n ? data : empty, n);
}

bool fw_crypto_equal(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return true;
	return sodium_memcmp(a, b, n) == 0;
}

void fw_crypto_hex(const uint8_t *in, size_t n, char *out)
{
	/* Branch- and table-free, because tokens are hexed while secret. */
	for (size_t i = 0; i < n; i++) {
		for (int half = 0; half < 2; half++) {
			int v = half ? (in[i] & 0xf) : (in[i] >> 4);
			int c = v + '0' + (((9 - v) >> 8) & ('a' - '0' - 10));
			out[2 * i + (size_t)half] = (char)c;
		}
	}
	out[2 * n] = '\0';
}

void fw_crypto_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

void fw_crypto_buf_rollback(struct fw_buf *b, size_t len)
{
	if (!b->data || len >= b->len)
		return;
	sodium_memzero(b->data + len, b->len - len);
	b->len = len;
	b->data[len] = '\0';
}

/* --- tokens ------------------------------------------------------------- */

void fw_crypto_token_new(char out[FW_CRYPTO_TOKEN_BYTES])
{
	uint8_t raw[32];

	randombytes_buf(raw, sizeof raw);
	memcpy(out, "fwt_", 4);
	fw_crypto_hex(raw, sizeof raw, out + 4);
	sodium_memzero(raw, sizeof raw);
}

void fw_crypto_token_hash(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *token,
			  uint8_t out[FW_CRYPTO_HASH_BYTES])
{
	size_t n = token ? strlen(token) : 0;

	crypto_generichash(out, FW_CRYPTO_HASH_BYTES, n ? (const uint8_t *)token : empty, n, key,
			   FW_CRYPTO_KEY_BYTES);
}

/* --- at rest ------------------------------------------------------------ */

enum fw_err fw_crypto_seal_at_rest(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *ad,
				   const uint8_t *pt, size_t n, struct fw_buf *out)
{
	uint8_t nonce[AT_REST_NONCE_BYTES], tag[AT_REST_TAG_BYTES];
	size_t start = out->len;
	enum fw_err r;

	if (!ad || (!pt && n))
		return FW_ERR_INVALID;
	if (n > out->max)
		return FW_ERR_TOO_LARGE;
	if (!pt)
		pt = empty;
	randombytes_buf(nonce, sizeof nonce);
	if ((r = fw_buf_append(out, nonce, sizeof nonce)) != FW_OK)
		goto out;
	/* The plaintext is copied in and encrypted in place: the only later
	 * growth (the tag) then moves ciphertext, never plaintext. */
	if ((r = fw_buf_append(out, pt, n)) != FW_OK)
		goto out;
	uint8_t *c = out->data + start + sizeof nonce;
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, tag, NULL, c, n, (const uint8_t *)ad,
							    strlen(ad), NULL, nonce, key);
	r = fw_buf_append(out, tag, sizeof tag);
out:
	if (r != FW_OK)
		fw_crypto_buf_rollback(out, start);
	return r;
}

enum fw_err fw_crypto_open_at_rest(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *ad,
				   const uint8_t *ct, size_t n, struct fw_buf *out)
{
	size_t start = out->len;
	enum fw_err r;

	if (!ad || !ct || n < AT_REST_NONCE_BYTES + AT_REST_TAG_BYTES)
		return FW_ERR_INVALID;
	size_t mlen = n - AT_REST_NONCE_BYTES - AT_REST_TAG_BYTES;
	const uint8_t *c = ct + AT_REST_NONCE_BYTES;
	/* Room is made with the ciphertext as filler and the plaintext written
	 * over it, so no plaintext sits in memory a realloc would free. */
	if ((r = fw_buf_append(out, mlen ? c : empty, mlen)) != FW_OK)
		return r;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out->data + start, NULL, c, mlen,
								c + mlen, (const uint8_t *)ad,
								strlen(ad), ct, key) != 0) {
		fw_crypto_buf_rollback(out, start);
		return FW_ERR_CRYPTO;
	}
	return FW_OK;
}

/* --- HKDF-SHA256 -------------------------------------------------------- */

void fw_crypto_hkdf_sha256(uint8_t out[32], const uint8_t *ikm, size_t ikm_len,
			   const uint8_t *salt, size_t salt_len, const char *info)
{
	crypto_auth_hmacsha256_state st;
	uint8_t prk[crypto_auth_hmacsha256_BYTES];
	const uint8_t one = 1;

	/* An empty salt is an empty HMAC key, which RFC 5869 makes equal to
	 * HashLen zero bytes; HMAC pads short keys with zeros, so both agree. */
	crypto_auth_hmacsha256_init(&st, salt_len ? salt : empty, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm_len ? ikm : empty, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);

	/* One block of expand: T(1) = HMAC(PRK, info || 0x01) is all 32 bytes. */
	crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);

	sodium_memzero(prk, sizeof prk);
	sodium_memzero(&st, sizeof st);
}

/* --- base64 ------------------------------------------------------------- */

/* Arithmetic rather than table lookups, so that decoding a secret key
 * leaves no key-dependent cache footprint. Right shifts of negative ints
 * are arithmetic on every compiler forewarn supports. */
static char b64_char(int v)
{
	int c = v + 'A';
	c += ((25 - v) >> 8) & ('a' - 'A' - 26);
	c += ((51 - v) >> 8) & ('0' - 'a' - 26);
	c += ((61 - v) >> 8) & ('+' - '0' - 10);
	c += ((62 - v) >> 8) & ('/' - '+' - 1);
	return (char)c;
}

static int in_range_mask(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/* The 6-bit value of c, or -1. */
static int b64_value(unsigned char uc)
{
	int c = uc, v = -1;
	v += in_range_mask(c, 'A', 'Z') & (c - 'A' + 1);
	v += in_range_mask(c, 'a', 'z') & (c - 'a' + 27);
	v += in_range_mask(c, '0', '9') & (c - '0' + 53);
	v += in_range_mask(c, '+', '+') & 63;
	v += in_range_mask(c, '/', '/') & 64;
	return v;
}

size_t fw_crypto_b64_len(size_t n, enum fw_b64_style style)
{
	if (n > SIZE_MAX / 2)
		return SIZE_MAX;
	size_t rest = n % 3;
	size_t len = n / 3 * 4;
	if (rest)
		len += style == FW_B64_PADDED ? 4 : rest + 1;
	return len;
}

enum fw_err fw_crypto_b64_encode(const uint8_t *in, size_t n, enum fw_b64_style style, char *out,
				 size_t out_bytes)
{
	size_t len = fw_crypto_b64_len(n, style), o = 0;

	if (len == SIZE_MAX || len >= out_bytes)
		return FW_ERR_TOO_LARGE;
	for (size_t i = 0; i < n; i += 3) {
		size_t left = n - i;
		uint32_t w = (uint32_t)in[i] << 16;
		if (left > 1)
			w |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			w |= in[i + 2];
		out[o++] = b64_char((int)(w >> 18) & 63);
		out[o++] = b64_char((int)(w >> 12) & 63);
		if (left > 1)
			out[o++] = b64_char((int)(w >> 6) & 63);
		else if (style == FW_B64_PADDED)
			out[o++] = '=';
		if (left > 2)
			out[o++] = b64_char((int)w & 63);
		else if (style == FW_B64_PADDED)
			out[o++] = '=';
	}
	out[o] = '\0';
	return FW_OK;
}

enum fw_err fw_crypto_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t n,
				       enum fw_b64_style style)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t full = n / 3, rest = n % 3, i;
	int bad = 0;

	if (!s || len != fw_crypto_b64_len(n, style))
		return FW_ERR_INVALID;
	for (i = 0; i < full; i++) {
		int a = b64_value(u[4 * i]), b = b64_value(u[4 * i + 1]);
		int c = b64_value(u[4 * i + 2]), d = b64_value(u[4 * i + 3]);
		bad |= (a | b | c | d) & ~63; /* only -1 has bits above 63 */
		uint32_t w = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
			     (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
		out[3 * i] = (uint8_t)(w >> 16);
		out[3 * i + 1] = (uint8_t)(w >> 8);
		out[3 * i + 2] = (uint8_t)w;
	}
	if (rest) {
		const unsigned char *t = u + 4 * full;
		int a = b64_value(t[0]), b = b64_value(t[1]);
		int c = rest == 2 ? b64_value(t[2]) : 0;
		bad |= (a | b | c) & ~63;
		out[3 * full] = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
		/* Canonical encodings leave the unused low bits of the last
		 * character zero; anything else is a second spelling. */
		if (rest == 1) {
			bad |= b & 15;
		} else {
			out[3 * full + 1] = (uint8_t)((b & 15) << 4 | (c & 63) >> 2);
			bad |= c & 3;
		}
		if (style == FW_B64_PADDED &&
		    (t[3] != '=' || (rest == 1 && t[2] != '=')))
			bad |= 1;
	}
	if (bad) {
		sodium_memzero(out, n);
		return FW_ERR_INVALID;
	}
	return FW_OK;
}
