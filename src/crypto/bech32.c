/* bech32 as BIP-173 defines it (checksum constant 1, not bech32m's), which is
 * what age uses for "age1…" recipients and "AGE-SECRET-KEY-1…" identities.
 * Identities carry secret keys, so the character mapping avoids tables
 * indexed by data and branches on data. */
#include <sodium.h>
#include <string.h>

#include "crypto/internal.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

#define CHECKSUM_CHARS 6

static uint32_t polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
					0x2a1462b3};
	uint32_t top = chk >> 25;

	chk = (chk & 0x1ffffff) << 5 ^ v;
	for (unsigned i = 0; i < 5; i++)
		chk ^= (0u - ((top >> i) & 1)) & gen[i];
	return chk;
}

static unsigned to_lower(unsigned c)
{
	unsigned is_upper = (c - 'A') <= ('Z' - 'A');
	return c | (is_upper << 5);
}

/* The checksum state after the expanded HRP, which BIP-173 always takes in
 * lower case. */
static uint32_t hrp_state(const char *hrp, size_t n)
{
	uint32_t chk = 1;

	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, to_lower((unsigned char)hrp[i]) >> 5);
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, to_lower((unsigned char)hrp[i]) & 31);
	return chk;
}

static unsigned eq_mask(unsigned a, unsigned b)
{
	/* all ones when a == b (both < 256), else zero */
	return 0u - ((((a ^ b) - 1) >> 8) & 1);
}

static char encode_char(unsigned v, bool upper)
{
	unsigned c = 0;

	for (unsigned i = 0; i < 32; i++)
		c |= (unsigned char)charset[i] & eq_mask(i, v);
	unsigned is_letter = ('9' - c) >> 31;
	return (char)(c - ((is_letter & (unsigned)upper) << 5));
}

/* The 5-bit value of a lower-case character, or -1. */
static int decode_char(unsigned c)
{
	unsigned v = 0, found = 0;

	for (unsigned i = 0; i < 32; i++) {
		unsigned m = eq_mask((unsigned char)charset[i], c);
		v |= i & m;
		found |= m;
	}
	return found ? (int)v : -1;
}

enum fw_err fw_crypto_bech32_encode(const char *hrp, const uint8_t *data, size_t n, bool upper,
				    char *out, size_t out_bytes)
{
	size_t hlen = strlen(hrp);
	size_t nvals = (n * 8 + 4) / 5;
	size_t total = hlen + 1 + nvals + CHECKSUM_CHARS;
	uint8_t vals[FW_CRYPTO_BECH32_MAX_CHARS];
	uint32_t acc = 0, chk;
	unsigned bits = 0;
	size_t o = 0, k = 0;

	if (n > FW_CRYPTO_BECH32_MAX_CHARS || hlen == 0 || total > FW_CRYPTO_BECH32_MAX_CHARS ||
	    total >= out_bytes)
		return FW_ERR_INVALID;
	for (size_t i = 0; i < hlen; i++) {
		unsigned c = (unsigned char)hrp[i];
		if (c < 33 || c > 126)
			return FW_ERR_INVALID;
		unsigned lc = to_lower(c);
		unsigned is_lower = (lc - 'a') <= ('z' - 'a');
		out[o++] = (char)(upper ? lc - (is_lower << 5) : lc);
	}
	out[o++] = '1';
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			vals[k++] = (uint8_t)((acc >> bits) & 31);
		}
	}
	if (bits)
		vals[k++] = (uint8_t)((acc << (5 - bits)) & 31);
	chk = hrp_state(hrp, hlen);
	for (size_t i = 0; i < k; i++) {
		chk = polymod_step(chk, vals[i]);
		out[o++] = encode_char(vals[i], upper);
	}
	for (int i = 0; i < CHECKSUM_CHARS; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < CHECKSUM_CHARS; i++)
		out[o++] = encode_char((chk >> (5 * (5 - i))) & 31, upper);
	out[o] = '\0';
	sodium_memzero(vals, sizeof vals);
	sodium_memzero(&acc, sizeof acc);
	return FW_OK;
}

/* Checks the characters of s and finds the separator; the string must be all
 * one case (BIP-173 forbids mixing). */
static enum fw_err check_shape(const char *s, size_t len, size_t *sep)
{
	unsigned has_upper = 0, has_lower = 0;
	size_t i;

	if (len < 1 + 1 + CHECKSUM_CHARS || len > FW_CRYPTO_BECH32_MAX_CHARS)
		return FW_ERR_INVALID;
	for (i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i];
		if (c < 33 || c > 126)
			return FW_ERR_INVALID;
		has_upper |= (c - 'A') <= ('Z' - 'A');
		has_lower |= (c - 'a') <= ('z' - 'a');
	}
	if (has_upper & has_lower)
		return FW_ERR_INVALID;
	/* The separator is the last '1'; '1' is not a data character. */
	for (i = len; i > 0 && s[i - 1] != '1'; i--)
		;
	if (i < 2 || len - i < CHECKSUM_CHARS)
		return FW_ERR_INVALID;
	*sep = i - 1;
	return FW_OK;
}

enum fw_err fw_crypto_bech32_decode(const char *s, size_t len, char *hrp, size_t hrp_bytes,
				    uint8_t *data, size_t data_bytes, size_t *data_len)
{
	uint8_t vals[FW_CRYPTO_BECH32_MAX_CHARS];
	uint32_t acc = 0, chk;
	unsigned bits = 0;
	size_t sep, k = 0, o = 0;
	int bad = 0;
	enum fw_err r;

	if ((r = check_shape(s, len, &sep)) != FW_OK)
		return r;
	if (sep + 1 > hrp_bytes)
		return FW_ERR_INVALID;
	chk = hrp_state(s, sep);
	for (size_t i = sep + 1; i < len; i++) {
		int v = decode_char(to_lower((unsigned char)s[i]));
		bad |= v;
		vals[k] = (uint8_t)(v & 31);
		chk = polymod_step(chk, vals[k++]);
	}
	if (bad < 0 || chk != 1) {
		r = FW_ERR_INVALID;
		goto out;
	}
	/* Regroup 5-bit values into bytes; the padding must be fewer than five
	 * bits, all zero, or the string is a second spelling of the data. */
	for (size_t i = 0; i < k - CHECKSUM_CHARS; i++) {
		acc = (acc << 5 | vals[i]) & 0x1fff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == data_bytes) {
				r = FW_ERR_INVALID;
				goto out;
			}
			data[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
		r = FW_ERR_INVALID;
		goto out;
	}
	memcpy(hrp, s, sep);
	hrp[sep] = '\0';
	*data_len = o;
out:
	if (r != FW_OK && o)
		sodium_memzero(data, o);
	sodium_memzero(vals, sizeof vals);
	sodium_memzero(&acc, sizeof acc);
	return r;
}
