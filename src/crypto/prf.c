/* The keyed PRF behind fingerprinting (src/mark): deterministic, so that a
 * member's copy and a trace can be recomputed from the program secret alone.
 *
 *   k'  = BLAKE2b-256(key = key,
 *                     msg = "forewarn-prf-v1" ‖ u32le(|ctx|) ‖ ctx ‖ u64le(|in|) ‖ in)
 *   out = the first outlen bytes of the ChaCha20 (IETF) keystream under k',
 *         nonce 0, block counter from 0.
 *
 * Length prefixes make the encoding injective, so distinct (context, input)
 * pairs give independent outputs. The stream step makes long outputs (one
 * symbol per variation point for one member) cost one hash and a fast
 * keystream instead of a hash per block. The construction is part of every
 * recorded fingerprint: changing it changes every copy ever released. */
#include "crypto/crypto.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

static const char prf_domain[] = "forewarn-prf-v1";

static void le_bytes(uint8_t *out, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

enum fw_err fw_crypto_prf(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *context,
			  const void *in, size_t inlen, uint8_t *out, size_t outlen)
{
	crypto_generichash_blake2b_state st;
	uint8_t sub[crypto_stream_chacha20_ietf_KEYBYTES];
	uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
	uint8_t len32[4], len64[8];
	static const uint8_t zero[1];

	if (!key || !context || (!in && inlen) || (!out && outlen))
		return FW_ERR_INVALID;
	if (outlen > FW_CRYPTO_PRF_MAX_BYTES)
		return FW_ERR_TOO_LARGE;
	size_t clen = strlen(context);
	if (clen > UINT32_MAX)
		return FW_ERR_INVALID;

	crypto_generichash_blake2b_init(&st, key, FW_CRYPTO_KEY_BYTES, sizeof sub);
	crypto_generichash_blake2b_update(&st, (const uint8_t *)prf_domain, sizeof prf_domain - 1);
	le_bytes(len32, clen, sizeof len32);
	crypto_generichash_blake2b_update(&st, len32, sizeof len32);
	crypto_generichash_blake2b_update(&st, clen ? (const uint8_t *)context : zero, clen);
	le_bytes(len64, inlen, sizeof len64);
	crypto_generichash_blake2b_update(&st, len64, sizeof len64);
	crypto_generichash_blake2b_update(&st, inlen ? (const uint8_t *)in : zero, inlen);
	crypto_generichash_blake2b_final(&st, sub, sizeof sub);

	memset(nonce, 0, sizeof nonce);
	if (outlen)
		crypto_stream_chacha20_ietf(out, outlen, nonce, sub);
	sodium_memzero(sub, sizeof sub);
	sodium_memzero(&st, sizeof st);
	return FW_OK;
}
