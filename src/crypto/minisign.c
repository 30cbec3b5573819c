/* minisign key and signature files, byte-compatible with minisign 0.11.
 *
 * Layouts (all base64, padded):
 *   public key  "Ed" ‖ key_id[8] ‖ pk[32]
 *   secret key  "Ed" ‖ kdf[2] ‖ "B2" ‖ salt[32] ‖ opslimit[8] ‖ memlimit[8]
 *               ‖ key_id[8] ‖ sk[64] ‖ checksum[32]
 *   signature   "ED" ‖ key_id[8] ‖ Ed25519(BLAKE2b-512(msg))  ("Ed": of msg)
 *   global sig  Ed25519(signature[64] ‖ trusted comment)
 * Only unencrypted secret keys (kdf "\0\0") are handled: the program key is
 * protected by the file system, and a password prompt has no place in a
 * server. */
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/internal.h"

#define COMMENT_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define DEFAULT_UNTRUSTED "signature from minisign secret key"
#define SECRET_COMMENT "minisign secret key"

#define ALG_BYTES 2
#define PK_BLOB_BYTES (ALG_BYTES + FW_CRYPTO_SIGN_KEY_ID_BYTES + FW_CRYPTO_SIGN_PK_BYTES)
#define SIG_BYTES crypto_sign_BYTES
#define SIG_BLOB_BYTES (ALG_BYTES + FW_CRYPTO_SIGN_KEY_ID_BYTES + SIG_BYTES)
#define SALT_BYTES 32
#define CHECKSUM_BYTES 32
#define SK_BLOB_BYTES                                                                           \
	(3 * ALG_BYTES + SALT_BYTES + 8 + 8 + FW_CRYPTO_SIGN_KEY_ID_BYTES +                     \
	 FW_CRYPTO_SIGN_SK_BYTES + CHECKSUM_BYTES)
#define SK_KEY_ID_OFF (3 * ALG_BYTES + SALT_BYTES + 8 + 8)
#define SK_SK_OFF (SK_KEY_ID_OFF + FW_CRYPTO_SIGN_KEY_ID_BYTES)
#define SK_CHECKSUM_OFF (SK_SK_OFF + FW_CRYPTO_SIGN_SK_BYTES)

/* minisign reads comment lines with fixed buffers: 1024 bytes for untrusted
 * comment lines, 8192 for the trusted one (prefix and newline included), and
 * refuses to sign a trusted comment that would not fit. */
#define UNTRUSTED_LINE_MAX 1024
#define TRUSTED_MAX (8192 - sizeof TRUSTED_PREFIX)
#define SIG_FILE_MAX (UNTRUSTED_LINE_MAX + 8192 + 512)
#define KEY_FILE_MAX 4096

_Static_assert(FW_CRYPTO_SIGN_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(FW_CRYPTO_SIGN_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sk size");
_Static_assert(SK_BLOB_BYTES == 158, "minisign secret key layout");

/* --- line reading --------------------------------------------------------- */

struct lines {
	const char *p, *end;
};

/* The next line without its LF (or CRLF); the last line may lack one. */
static bool next_line(struct lines *ls, const char **line, size_t *len)
{
	if (ls->p >= ls->end)
		return false;
	const char *eol = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
	const char *stop = eol ? eol : ls->end;
	*line = ls->p;
	*len = (size_t)(stop - ls->p);
	if (*len && ls->p[*len - 1] == '\r')
		(*len)--;
	ls->p = eol ? eol + 1 : ls->end;
	return true;
}

/* Nothing but line ends may follow the last line. */
static bool only_blank_left(const struct lines *ls)
{
	for (const char *q = ls->p; q < ls->end; q++)
		if (*q != '\n' && *q != '\r')
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

static uint64_t key_id_number(const uint8_t id[FW_CRYPTO_SIGN_KEY_ID_BYTES])
{
	/* minisign prints key ids as little-endian 64-bit numbers */
	uint64_t v = 0;
	for (int i = FW_CRYPTO_SIGN_KEY_ID_BYTES - 1; i >= 0; i--)
		v = v << 8 | id[i];
	return v;
}

/* --- keys ----------------------------------------------------------------- */

enum fw_err fw_minisign_keygen(struct fw_sign_key *out)
{
	struct fw_sign_key k;

	randombytes_buf(k.key_id, sizeof k.key_id);
	crypto_sign_keypair(k.pk, k.sk);
	*out = k;
	sodium_memzero(&k, sizeof k);
	return FW_OK;
}

void fw_minisign_verify_key(const struct fw_sign_key *k, struct fw_verify_key *out)
{
	memcpy(out->key_id, k->key_id, sizeof out->key_id);
	memcpy(out->pk, k->pk, sizeof out->pk);
}

static void secret_checksum(const uint8_t *blob, uint8_t out[CHECKSUM_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CHECKSUM_BYTES);
	crypto_generichash_update(&st, blob, ALG_BYTES);
	crypto_generichash_update(&st, blob + SK_KEY_ID_OFF, FW_CRYPTO_SIGN_KEY_ID_BYTES);
	crypto_generichash_update(&st, blob + SK_SK_OFF, FW_CRYPTO_SIGN_SK_BYTES);
	crypto_generichash_final(&st, out, CHECKSUM_BYTES);
	sodium_memzero(&st, sizeof st);
}

enum fw_err fw_minisign_secret_format(const struct fw_sign_key *k, struct fw_buf *out)
{
	uint8_t blob[SK_BLOB_BYTES];
	char text[sizeof COMMENT_PREFIX SECRET_COMMENT "\n" + 4 * (SK_BLOB_BYTES + 2) / 3 + 2];
	size_t head = strlen(COMMENT_PREFIX SECRET_COMMENT "\n");
	enum fw_err r;

	memset(blob, 0, sizeof blob);
	memcpy(blob, "Ed", 2);
	/* blob[2..4) stays "\0\0": no KDF, the key is stored in the clear;
	 * salt, opslimit and memlimit stay zero as `minisign -G -W` leaves them. */
	memcpy(blob + 4, "B2", 2);
	memcpy(blob + SK_KEY_ID_OFF, k->key_id, FW_CRYPTO_SIGN_KEY_ID_BYTES);
	memcpy(blob + SK_SK_OFF, k->sk, FW_CRYPTO_SIGN_SK_BYTES);
	secret_checksum(blob, blob + SK_CHECKSUM_OFF);
	memcpy(text, COMMENT_PREFIX SECRET_COMMENT "\n", head);
	if ((r = fw_crypto_b64_encode(blob, sizeof blob, FW_B64_PADDED, text + head,
				      sizeof text - head - 1)) != FW_OK)
		goto out;
	size_t len = strlen(text);
	text[len++] = '\n';
	/* One append, so no partial copy of the key is left in freed memory. */
	r = fw_buf_append(out, text, len);
out:
	sodium_memzero(blob, sizeof blob);
	sodium_memzero(text, sizeof text);
	return r;
}

static enum fw_err secret_blob_check(const uint8_t *blob)
{
	uint8_t chk[CHECKSUM_BYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	enum fw_err r = FW_OK;

	if (memcmp(blob, "Ed", 2) != 0 || memcmp(blob + 4, "B2", 2) != 0)
		return fw_err_set(FW_ERR_INVALID, "not a minisign Ed25519 secret key");
	if (memcmp(blob + 2, "Sc", 2) == 0)
		return fw_err_set(FW_ERR_UNSUPPORTED, "minisign secret key is password-protected; "
						      "remove the password with minisign -C -W");
	if (memcmp(blob + 2, "\0\0", 2) != 0)
		return fw_err_set(FW_ERR_INVALID, "unknown minisign key derivation");
	/* minisign -G -W writes an all-zero checksum (it computes one only when
	 * encrypting), so zero is accepted; any other value must be right. */
	secret_checksum(blob, chk);
	if (!sodium_is_zero(blob + SK_CHECKSUM_OFF, CHECKSUM_BYTES) &&
	    sodium_memcmp(chk, blob + SK_CHECKSUM_OFF, CHECKSUM_BYTES) != 0) {
		r = fw_err_set(FW_ERR_INVALID, "minisign secret key checksum mismatch");
		goto out;
	}
	/* The key is seed ‖ public key; a damaged half would sign with a key
	 * nobody can verify, so rederive it from the seed. */
	crypto_sign_seed_keypair(pk, sk, blob + SK_SK_OFF);
	if (sodium_memcmp(sk, blob + SK_SK_OFF, sizeof sk) != 0)
		r = fw_err_set(FW_ERR_INVALID, "minisign secret key is inconsistent");
out:
	sodium_memzero(chk, sizeof chk);
	sodium_memzero(sk, sizeof sk);
	return r;
}

enum fw_err fw_minisign_secret_parse(const char *text, size_t n, struct fw_sign_key *out)
{
	struct lines ls = {text, text + n};
	uint8_t blob[SK_BLOB_BYTES];
	const char *line;
	size_t len;
	enum fw_err r;

	if (!text || n > KEY_FILE_MAX)
		return FW_ERR_INVALID;
	if (!next_line(&ls, &line, &len) || !has_prefix(line, len, COMMENT_PREFIX))
		return fw_err_set(FW_ERR_INVALID, "not a minisign secret key file");
	if (!next_line(&ls, &line, &len) || !only_blank_left(&ls) ||
	    fw_crypto_b64_decode_exact(line, len, blob, sizeof blob, FW_B64_PADDED) != FW_OK)
		return fw_err_set(FW_ERR_INVALID, "malformed minisign secret key");
	if ((r = secret_blob_check(blob)) != FW_OK)
		goto out;
	memcpy(out->key_id, blob + SK_KEY_ID_OFF, sizeof out->key_id);
	memcpy(out->sk, blob + SK_SK_OFF, sizeof out->sk);
	memcpy(out->pk, blob + SK_SK_OFF + 32, sizeof out->pk);
out:
	sodium_memzero(blob, sizeof blob);
	return r;
}

static enum fw_err public_blob(const struct fw_verify_key *k, char *b64, size_t b64_bytes)
{
	uint8_t blob[PK_BLOB_BYTES];

	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, k->key_id, FW_CRYPTO_SIGN_KEY_ID_BYTES);
	memcpy(blob + 2 + FW_CRYPTO_SIGN_KEY_ID_BYTES, k->pk, FW_CRYPTO_SIGN_PK_BYTES);
	return fw_crypto_b64_encode(blob, sizeof blob, FW_B64_PADDED, b64, b64_bytes);
}

enum fw_err fw_minisign_public_format(const struct fw_verify_key *k, struct fw_buf *out)
{
	char b64[4 * PK_BLOB_BYTES / 3 + 4];
	size_t start = out->len;
	enum fw_err r;

	if ((r = public_blob(k, b64, sizeof b64)) != FW_OK)
		return r;
	/* Not zero-padded: byte for byte what minisign 0.11 (Debian 12) writes.
	 * The comment is untrusted and nothing parses it. */
	if ((r = fw_buf_printf(out, COMMENT_PREFIX "minisign public key %" PRIX64 "\n%s\n",
			       key_id_number(k->key_id), b64)) != FW_OK)
		fw_crypto_buf_rollback(out, start);
	return r;
}

enum fw_err fw_minisign_public_line(const struct fw_verify_key *k, struct fw_buf *out)
{
	char b64[4 * PK_BLOB_BYTES / 3 + 4];
	enum fw_err r;

	if ((r = public_blob(k, b64, sizeof b64)) != FW_OK)
		return r;
	return fw_buf_puts(out, b64);
}

enum fw_err fw_minisign_public_parse(const char *text, size_t n, struct fw_verify_key *out)
{
	struct lines ls = {text, text + n};
	uint8_t blob[PK_BLOB_BYTES];
	const char *line;
	size_t len;

	if (!text || n > KEY_FILE_MAX)
		return FW_ERR_INVALID;
	if (!next_line(&ls, &line, &len))
		return fw_err_set(FW_ERR_INVALID, "empty minisign public key");
	/* A whole .pub file starts with its comment; `-P` takes the bare line. */
	if (has_prefix(line, len, COMMENT_PREFIX) && !next_line(&ls, &line, &len))
		return fw_err_set(FW_ERR_INVALID, "minisign public key file without a key");
	if (!only_blank_left(&ls) ||
	    fw_crypto_b64_decode_exact(line, len, blob, sizeof blob, FW_B64_PADDED) != FW_OK)
		return fw_err_set(FW_ERR_INVALID, "malformed minisign public key");
	if (memcmp(blob, "Ed", 2) != 0)
		return fw_err_set(FW_ERR_INVALID, "not a minisign Ed25519 public key");
	memcpy(out->key_id, blob + 2, sizeof out->key_id);
	memcpy(out->pk, blob + 2 + FW_CRYPTO_SIGN_KEY_ID_BYTES, sizeof out->pk);
	return FW_OK;
}

/* --- signatures ----------------------------------------------------------- */

static bool one_line(const char *s)
{
	return !strchr(s, '\n') && !strchr(s, '\r');
}

static enum fw_err write_signature(const uint8_t sig_blob[SIG_BLOB_BYTES],
				   const uint8_t global[SIG_BYTES], const char *uc,
				   const char *tc, struct fw_buf *out)
{
	char sig_b64[4 * SIG_BLOB_BYTES / 3 + 4], global_b64[4 * SIG_BYTES / 3 + 4];
	enum fw_err r;

	if ((r = fw_crypto_b64_encode(sig_blob, SIG_BLOB_BYTES, FW_B64_PADDED, sig_b64,
				      sizeof sig_b64)) != FW_OK ||
	    (r = fw_crypto_b64_encode(global, SIG_BYTES, FW_B64_PADDED, global_b64,
				      sizeof global_b64)) != FW_OK)
		return r;
	return fw_buf_printf(out, COMMENT_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", uc, sig_b64,
			     tc, global_b64);
}

enum fw_err fw_minisign_sign(const struct fw_sign_key *k, const uint8_t *msg, size_t n,
			     const char *untrusted_comment, const char *trusted_comment,
			     struct fw_buf *out)
{
	static const uint8_t empty[1];
	uint8_t hash[crypto_generichash_BYTES_MAX], sig_blob[SIG_BLOB_BYTES], global[SIG_BYTES];
	uint8_t signed_tc[SIG_BYTES + TRUSTED_MAX];
	const char *uc = untrusted_comment ? untrusted_comment : DEFAULT_UNTRUSTED;
	const char *tc = trusted_comment ? trusted_comment : "";
	size_t tc_len = strlen(tc), start = out->len;
	enum fw_err r;

	if (!k || (!msg && n))
		return FW_ERR_INVALID;
	if (!one_line(uc) || !one_line(tc))
		return fw_err_set(FW_ERR_INVALID, "minisign comments must be one line");
	if (strlen(COMMENT_PREFIX) + strlen(uc) + 1 >= UNTRUSTED_LINE_MAX || tc_len >= TRUSTED_MAX)
		return fw_err_set(FW_ERR_TOO_LARGE, "minisign comment too long");
	/* Prehashed ("ED"), as minisign signs by default since 0.8. */
	crypto_generichash(hash, sizeof hash, n ? msg : empty, n, NULL, 0);
	memcpy(sig_blob, "ED", 2);
	memcpy(sig_blob + 2, k->key_id, FW_CRYPTO_SIGN_KEY_ID_BYTES);
	crypto_sign_detached(sig_blob + 2 + FW_CRYPTO_SIGN_KEY_ID_BYTES, NULL, hash, sizeof hash,
			     k->sk);
	memcpy(signed_tc, sig_blob + 2 + FW_CRYPTO_SIGN_KEY_ID_BYTES, SIG_BYTES);
	memcpy(signed_tc + SIG_BYTES, tc, tc_len);
	crypto_sign_detached(global, NULL, signed_tc, SIG_BYTES + tc_len, k->sk);
	if ((r = write_signature(sig_blob, global, uc, tc, out)) != FW_OK)
		fw_crypto_buf_rollback(out, start);
	return r;
}

struct parsed_sig {
	uint8_t blob[SIG_BLOB_BYTES];
	uint8_t global[SIG_BYTES];
	const char *tc;
	size_t tc_len;
};

static enum fw_err parse_signature(const char *sig, size_t sig_len, struct parsed_sig *ps)
{
	struct lines ls = {sig, sig + sig_len};
	const char *line;
	size_t len;

	if (sig_len > SIG_FILE_MAX)
		return fw_err_set(FW_ERR_INVALID, "minisign signature file too large");
	if (!next_line(&ls, &line, &len) || !has_prefix(line, len, COMMENT_PREFIX) ||
	    len >= UNTRUSTED_LINE_MAX)
		return fw_err_set(FW_ERR_INVALID, "minisign signature: bad untrusted comment");
	if (!next_line(&ls, &line, &len) ||
	    fw_crypto_b64_decode_exact(line, len, ps->blob, sizeof ps->blob, FW_B64_PADDED) !=
		    FW_OK)
		return fw_err_set(FW_ERR_INVALID, "minisign signature: bad signature line");
	if (!next_line(&ls, &line, &len) || !has_prefix(line, len, TRUSTED_PREFIX))
		return fw_err_set(FW_ERR_INVALID, "minisign signature: bad trusted comment");
	ps->tc = line + strlen(TRUSTED_PREFIX);
	ps->tc_len = len - strlen(TRUSTED_PREFIX);
	/* minisign handles the comment as a C string; a NUL would make it
	 * verify something other than what it shows. */
	if (ps->tc_len >= TRUSTED_MAX || memchr(ps->tc, '\0', ps->tc_len))
		return fw_err_set(FW_ERR_INVALID, "minisign signature: bad trusted comment");
	if (!next_line(&ls, &line, &len) || !only_blank_left(&ls) ||
	    fw_crypto_b64_decode_exact(line, len, ps->global, sizeof ps->global, FW_B64_PADDED) !=
		    FW_OK)
		return fw_err_set(FW_ERR_INVALID, "minisign signature: bad global signature");
	return FW_OK;
}

enum fw_err fw_minisign_verify(const struct fw_verify_key *k, const uint8_t *msg, size_t n,
			       const char *sig, size_t sig_len, char *tc, size_t tc_bytes)
{
	static const uint8_t empty[1];
	uint8_t hash[crypto_generichash_BYTES_MAX], signed_tc[SIG_BYTES + TRUSTED_MAX];
	const uint8_t *raw_sig;
	struct parsed_sig ps;
	enum fw_err r;

	if (!k || !sig || (!msg && n))
		return FW_ERR_INVALID;
	if (!msg)
		msg = empty;
	if ((r = parse_signature(sig, sig_len, &ps)) != FW_OK)
		return r;
	raw_sig = ps.blob + 2 + FW_CRYPTO_SIGN_KEY_ID_BYTES;
	if (memcmp(ps.blob + 2, k->key_id, FW_CRYPTO_SIGN_KEY_ID_BYTES) != 0)
		return fw_err_set(FW_ERR_CRYPTO,
				  "signature key id %016" PRIX64 ", public key id %016" PRIX64,
				  key_id_number(ps.blob + 2), key_id_number(k->key_id));
	if (memcmp(ps.blob, "ED", 2) == 0) {
		crypto_generichash(hash, sizeof hash, msg, n, NULL, 0);
		if (crypto_sign_verify_detached(raw_sig, hash, sizeof hash, k->pk) != 0)
			return fw_err_set(FW_ERR_CRYPTO, "minisign signature does not verify");
	} else if (memcmp(ps.blob, "Ed", 2) == 0) {
		/* legacy: the message itself was signed */
		if (crypto_sign_verify_detached(raw_sig, msg, n, k->pk) != 0)
			return fw_err_set(FW_ERR_CRYPTO, "minisign signature does not verify");
	} else {
		return fw_err_set(FW_ERR_INVALID, "unknown minisign signature algorithm");
	}
	memcpy(signed_tc, raw_sig, SIG_BYTES);
	memcpy(signed_tc + SIG_BYTES, ps.tc, ps.tc_len);
	if (crypto_sign_verify_detached(ps.global, signed_tc, SIG_BYTES + ps.tc_len, k->pk) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "minisign trusted comment does not verify");
	if (tc) {
		if (ps.tc_len >= tc_bytes)
			return fw_err_set(FW_ERR_TOO_LARGE, "trusted comment too long for buffer");
		memcpy(tc, ps.tc, ps.tc_len);
		tc[ps.tc_len] = '\0';
	}
	return FW_OK;
}
