/* All of forewarn's cryptography; the only user of libsodium.
 *
 * Formats are the standard ones, so that members need no forewarn code:
 *  - age v1 (age-encryption.org/v1) files with one X25519 recipient stanza;
 *  - minisign keys and prehashed signatures ("ED", BLAKE2b-512 of the file);
 *  - tokens are 256-bit random values, stored only as keyed BLAKE2b hashes;
 *  - artifacts at rest are XChaCha20-Poly1305 under the program master key.
 * Secrets are zeroed before their memory is released. */
#ifndef FW_CRYPTO_CRYPTO_H
#define FW_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define FW_CRYPTO_KEY_BYTES 32
#define FW_CRYPTO_HASH_BYTES 32
#define FW_CRYPTO_SIGN_KEY_ID_BYTES 8
#define FW_CRYPTO_SIGN_PK_BYTES 32
#define FW_CRYPTO_SIGN_SK_BYTES 64
/* "fwt_" + 64 hex digits + NUL */
#define FW_CRYPTO_TOKEN_BYTES 69
#define FW_CRYPTO_AGE_RECIPIENT_BYTES 128
#define FW_CRYPTO_AGE_IDENTITY_BYTES 128
/* The largest file fw_age_seal/fw_age_open handle. */
#define FW_CRYPTO_AGE_MAX_BYTES (1024u * 1024u * 1024u)

/* Must be called once before anything else (idempotent, thread-safe). */
enum fw_err fw_crypto_init(void) FW_WUR;

void fw_crypto_random(void *buf, size_t n);
void fw_crypto_sha256(const void *data, size_t n, uint8_t out[FW_CRYPTO_HASH_BYTES]);
/* Constant-time equality of two n-byte strings. */
bool fw_crypto_equal(const void *a, const void *b, size_t n);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void fw_crypto_hex(const uint8_t *in, size_t n, char *out);
/* Zeroes memory in a way the compiler cannot drop. */
void fw_crypto_wipe(void *p, size_t n);

/* --- tokens ------------------------------------------------------------- */
/* A new bearer token "fwt_<64 hex>" (256 random bits). */
void fw_crypto_token_new(char out[FW_CRYPTO_TOKEN_BYTES]);
/* The keyed BLAKE2b-256 hash under which a token is stored. */
void fw_crypto_token_hash(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *token,
			  uint8_t out[FW_CRYPTO_HASH_BYTES]);

/* --- at-rest encryption ------------------------------------------------- */
/* out = nonce(24) ‖ XChaCha20-Poly1305(key, ad, plaintext). `ad` binds the
 * ciphertext to its place (e.g. "artifact:ADV/poc/3") so rows can't be swapped. */
enum fw_err fw_crypto_seal_at_rest(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *ad,
				   const uint8_t *pt, size_t n, struct fw_buf *out) FW_WUR;
enum fw_err fw_crypto_open_at_rest(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *ad,
				   const uint8_t *ct, size_t n, struct fw_buf *out) FW_WUR;

/* --- minisign ----------------------------------------------------------- */
struct fw_sign_key {
	uint8_t key_id[FW_CRYPTO_SIGN_KEY_ID_BYTES]; /* little-endian as in minisign files */
	uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES];
	uint8_t sk[FW_CRYPTO_SIGN_SK_BYTES];
};
struct fw_verify_key {
	uint8_t key_id[FW_CRYPTO_SIGN_KEY_ID_BYTES];
	uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES];
};

enum fw_err fw_minisign_keygen(struct fw_sign_key *out) FW_WUR;
/* A minisign secret key file, unencrypted (kdf "\0\0"), as `minisign -G -W` writes. */
enum fw_err fw_minisign_secret_format(const struct fw_sign_key *k, struct fw_buf *out) FW_WUR;
enum fw_err fw_minisign_secret_parse(const char *text, size_t n, struct fw_sign_key *out) FW_WUR;
/* The two-line public key file ("untrusted comment: minisign public key HEX\nBASE64\n"). */
enum fw_err fw_minisign_public_format(const struct fw_verify_key *k, struct fw_buf *out) FW_WUR;
/* The one base64 line only (what `minisign -P` takes). */
enum fw_err fw_minisign_public_line(const struct fw_verify_key *k, struct fw_buf *out) FW_WUR;
/* Accepts a whole .pub file or just its base64 line. */
enum fw_err fw_minisign_public_parse(const char *text, size_t n, struct fw_verify_key *out) FW_WUR;
void fw_minisign_verify_key(const struct fw_sign_key *k, struct fw_verify_key *out);
/* A .minisig file: prehashed ("ED") signature of msg, with the given trusted
 * comment (one line, no newline) and untrusted comment. */
enum fw_err fw_minisign_sign(const struct fw_sign_key *k, const uint8_t *msg, size_t n,
			     const char *untrusted_comment, const char *trusted_comment,
			     struct fw_buf *out) FW_WUR;
/* Checks a .minisig (both the signature and the global signature over the
 * trusted comment). On success copies the trusted comment into tc (may be
 * NULL). FW_ERR_CRYPTO on any mismatch, FW_ERR_INVALID on a malformed file. */
enum fw_err fw_minisign_verify(const struct fw_verify_key *k, const uint8_t *msg, size_t n,
			       const char *sig, size_t sig_len, char *tc, size_t tc_bytes) FW_WUR;

/* --- age v1 ------------------------------------------------------------- */
enum fw_err fw_age_recipient_parse(const char *recipient, uint8_t pk[32]) FW_WUR;
/* Accepts an identity file (comments, blank lines) or one AGE-SECRET-KEY-1… line. */
enum fw_err fw_age_identity_parse(const char *text, size_t n, uint8_t sk[32]) FW_WUR;
/* A fresh X25519 key pair in age's text forms. */
enum fw_err fw_age_keygen(char recipient[FW_CRYPTO_AGE_RECIPIENT_BYTES],
			  char identity[FW_CRYPTO_AGE_IDENTITY_BYTES]) FW_WUR;
/* Encrypts to one X25519 recipient; binary (not armored) age v1 file. */
enum fw_err fw_age_seal(const uint8_t recipient_pk[32], const uint8_t *pt, size_t n,
			struct fw_buf *out) FW_WUR;
enum fw_err fw_age_open(const uint8_t identity_sk[32], const uint8_t *file, size_t n,
			struct fw_buf *out) FW_WUR;

/* --- raw Ed25519, gather SHA-256, standard base64 ----------------------- */
/* For the C2SP formats of src/tlog (signed notes, checkpoints, cosignatures),
 * which sign the message itself (not a prehash) and use padded standard
 * base64 (RFC 4648 §4). Implemented in src/crypto/ed25519.c. */
#define FW_CRYPTO_ED25519_SIG_BYTES 64
#define FW_CRYPTO_ED25519_SEED_BYTES 32

/* One piece of a message hashed by fw_crypto_sha256_v. */
struct fw_crypto_piece {
	const void *p;
	size_t n;
};

/* SHA-256 of the concatenation of n pieces (no copy is made). */
void fw_crypto_sha256_v(const struct fw_crypto_piece *pieces, size_t n,
			uint8_t out[FW_CRYPTO_HASH_BYTES]);
/* Pure Ed25519 (RFC 8032) signature of msg with the 64-byte secret of k
 * (only k->sk is used). Deterministic. */
void fw_crypto_ed25519_sign(const struct fw_sign_key *k, const uint8_t *msg, size_t n,
			    uint8_t sig[FW_CRYPTO_ED25519_SIG_BYTES]);
/* True iff sig is a valid Ed25519 signature of msg by pk. libsodium's checks
 * apply: canonical S, no small-order public key or R. */
bool fw_crypto_ed25519_verify(const uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES], const uint8_t *msg,
			      size_t n, const uint8_t sig[FW_CRYPTO_ED25519_SIG_BYTES]);
/* The key pair of an RFC 8032 seed, into out->pk and out->sk (key_id is
 * zeroed). For known-answer tests and keys kept as seeds. */
void fw_crypto_ed25519_from_seed(const uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES],
				 struct fw_sign_key *out);
/* Characters of the padded base64 of n bytes (no NUL). */
size_t fw_crypto_base64_len(size_t n);
/* Padded standard base64 of in[0..n), NUL-terminated; FW_ERR_TOO_LARGE if
 * out_bytes cannot hold it and the NUL. */
enum fw_err fw_crypto_base64_encode(const uint8_t *in, size_t n, char *out,
				    size_t out_bytes) FW_WUR;
/* Decodes s[0..len), which must be the canonical padded encoding of some
 * bytes (no whitespace, zero trailing bits), into out. FW_ERR_INVALID when it
 * is not, FW_ERR_TOO_LARGE when the result would pass out_bytes. On success
 * *out_len is the decoded length. */
enum fw_err fw_crypto_base64_decode(const char *s, size_t len, uint8_t *out, size_t out_bytes,
				    size_t *out_len) FW_WUR;

/* --- keyed PRF (fingerprinting) ----------------------------------------- */
/* The most bytes one fw_crypto_prf call produces (ChaCha20's IETF counter
 * allows 256 GiB; forewarn never needs more than a few MiB). */
#define FW_CRYPTO_PRF_MAX_BYTES (64u * 1024u * 1024u)
/* Deterministic pseudo-random bytes from a 32-byte secret key, a context
 * string that names the purpose ("forewarn/mark/symbol/v1") and an input
 * (binary, may be empty): out[0..outlen) is a keyed BLAKE2b-256 of the
 * length-prefixed context and input, expanded with the ChaCha20 keystream
 * (src/crypto/prf.c has the exact encoding). The same arguments give the
 * same bytes on any machine, now and later; a prefix of a longer output
 * equals the shorter output. FW_ERR_TOO_LARGE past FW_CRYPTO_PRF_MAX_BYTES. */
enum fw_err fw_crypto_prf(const uint8_t key[FW_CRYPTO_KEY_BYTES], const char *context,
			  const void *in, size_t inlen, uint8_t *out, size_t outlen) FW_WUR;

#endif
