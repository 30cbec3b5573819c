/* Helpers shared by the files of src/crypto/ only; nothing outside the module
 * includes this header (tests of the module may). */
#ifndef FW_CRYPTO_INTERNAL_H
#define FW_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* BIP-173 caps a whole bech32 string at 90 characters. */
#define FW_CRYPTO_BECH32_MAX_CHARS 90

/* Standard base64 (RFC 4648 alphabet). age wants it unpadded, minisign padded;
 * decoding is strict either way: only the canonical encoding of exactly
 * `n` bytes is accepted. */
enum fw_b64_style { FW_B64_PADDED, FW_B64_UNPADDED };

/* Characters needed to encode n bytes (no NUL). */
size_t fw_crypto_b64_len(size_t n, enum fw_b64_style style);
/* NUL-terminated into out; FW_ERR_TOO_LARGE if out_bytes is too small.
 * Branch-free per character, as secret keys pass through it. */
enum fw_err fw_crypto_b64_encode(const uint8_t *in, size_t n, enum fw_b64_style style, char *out,
				 size_t out_bytes) FW_WUR;
/* FW_ERR_INVALID unless s[0..len) is the canonical encoding of exactly n
 * bytes; out is zeroed on failure. */
enum fw_err fw_crypto_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t n,
				       enum fw_b64_style style) FW_WUR;

/* bech32 (BIP-173, not bech32m). The string is all upper or all lower case
 * (`upper` picks which); the human-readable part is written in that case. */
enum fw_err fw_crypto_bech32_encode(const char *hrp, const uint8_t *data, size_t n, bool upper,
				    char *out, size_t out_bytes) FW_WUR;
/* Decodes s[0..len). The HRP is returned as written (so callers can insist on
 * a case); data are the 8-bit bytes after regrouping, *data_len their count. */
enum fw_err fw_crypto_bech32_decode(const char *s, size_t len, char *hrp, size_t hrp_bytes,
				    uint8_t *data, size_t data_bytes, size_t *data_len) FW_WUR;

/* HKDF-SHA256 (RFC 5869) with a 32-byte output, as age uses it. */
void fw_crypto_hkdf_sha256(uint8_t out[32], const uint8_t *ikm, size_t ikm_len,
			   const uint8_t *salt, size_t salt_len, const char *info);

/* Undoes appends to b made since it held `len` bytes, wiping what they wrote:
 * failed decryptions must leave no partial plaintext behind. */
void fw_crypto_buf_rollback(struct fw_buf *b, size_t len);

#endif
