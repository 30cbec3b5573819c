/* Raw Ed25519, gather SHA-256 and padded standard base64, for the C2SP
 * formats of src/tlog. minisign (minisign.c) signs a BLAKE2b prehash; C2SP
 * signed notes and cosignatures sign the message itself, so they need these. */
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/internal.h"

_Static_assert(FW_CRYPTO_ED25519_SIG_BYTES == crypto_sign_BYTES, "signature size");
_Static_assert(FW_CRYPTO_ED25519_SEED_BYTES == crypto_sign_SEEDBYTES, "seed size");

/* libsodium rejects NULL even for empty inputs. */
static const uint8_t empty[1];

void fw_crypto_sha256_v(const struct fw_crypto_piece *pieces, size_t n,
			uint8_t out[FW_CRYPTO_HASH_BYTES])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < n; i++)
		if (pieces[i].n)
			crypto_hash_sha256_update(&st, pieces[i].p, pieces[i].n);
	crypto_hash_sha256_final(&st, out);
}

void fw_crypto_ed25519_sign(const struct fw_sign_key *k, const uint8_t *msg, size_t n,
			    uint8_t sig[FW_CRYPTO_ED25519_SIG_BYTES])
{
	crypto_sign_detached(sig, NULL, n ? msg : empty, n, k->sk);
}

bool fw_crypto_ed25519_verify(const uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES], const uint8_t *msg,
			      size_t n, const uint8_t sig[FW_CRYPTO_ED25519_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, n ? msg : empty, n, pk) == 0;
}

void fw_crypto_ed25519_from_seed(const uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES],
				 struct fw_sign_key *out)
{
	memset(out->key_id, 0, sizeof out->key_id);
	crypto_sign_seed_keypair(out->pk, out->sk, seed);
}

size_t fw_crypto_base64_len(size_t n)
{
	return fw_crypto_b64_len(n, FW_B64_PADDED);
}

enum fw_err fw_crypto_base64_encode(const uint8_t *in, size_t n, char *out, size_t out_bytes)
{
	return fw_crypto_b64_encode(in, n, FW_B64_PADDED, out, out_bytes);
}

enum fw_err fw_crypto_base64_decode(const char *s, size_t len, uint8_t *out, size_t out_bytes,
				    size_t *out_len)
{
	size_t n;
	enum fw_err r;

	/* The padded form has a length that is a multiple of four, and the
	 * padding says how many bytes the last group holds. */
	if (!s || len % 4)
		return FW_ERR_INVALID;
	n = len / 4 * 3;
	if (len >= 4 && s[len - 1] == '=')
		n -= s[len - 2] == '=' ? 2 : 1;
	if (n > out_bytes)
		return FW_ERR_TOO_LARGE;
	/* decode_exact re-derives the length from n and checks every
	 * character, the padding and the unused bits. */
	if ((r = fw_crypto_b64_decode_exact(s, len, out, n, FW_B64_PADDED)) != FW_OK)
		return r;
	*out_len = n;
	return FW_OK;
}
