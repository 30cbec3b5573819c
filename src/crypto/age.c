/* age v1 (C2SP age, age-encryption.org/v1): X25519 keys in their bech32 text
 * forms, and binary files sealed to one X25519 recipient.
 *
 * Opening follows the spec rather than only what fw_age_seal writes: any
 * number of stanzas (a member may encrypt to several recipients), unknown
 * stanza types skipped, every X25519 stanza tried. Everything else is strict:
 * canonical unpadded base64, LF line ends, the header MAC, and a STREAM
 * payload with no truncation, no empty trailing chunk and no trailing data. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/internal.h"

#define VERSION_LINE "age-encryption.org/v1"
#define X25519_TYPE "X25519"
#define X25519_INFO "age-encryption.org/v1/X25519"
#define RECIPIENT_HRP "age"
#define IDENTITY_HRP "AGE-SECRET-KEY-"

#define FILE_KEY_BYTES 16
#define WRAPPED_KEY_BYTES (FILE_KEY_BYTES + crypto_aead_chacha20poly1305_ietf_ABYTES)
#define MAC_BYTES crypto_auth_hmacsha256_BYTES
#define PAYLOAD_NONCE_BYTES 16
#define CHUNK_BYTES 65536u
#define TAG_BYTES crypto_aead_chacha20poly1305_ietf_ABYTES
#define ENC_CHUNK_BYTES (CHUNK_BYTES + TAG_BYTES)
#define BODY_LINE_CHARS 64
/* Bounds for what the spec leaves open; generous for real files. */
#define MAX_HEADER_BYTES (64u * 1024u)
#define MAX_STANZAS 64
#define MAX_STANZA_ARGS 16
/* An identity file is a few comment lines and one key. */
#define MAX_IDENTITY_FILE_BYTES (64u * 1024u)

_Static_assert(crypto_scalarmult_BYTES == 32 && crypto_scalarmult_SCALARBYTES == 32, "x25519");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "stream nonce");

static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

/* --- keys ----------------------------------------------------------------- */

enum fw_err fw_age_recipient_parse(const char *recipient, uint8_t pk[32])
{
	char hrp[sizeof RECIPIENT_HRP];
	uint8_t data[33];
	size_t len, n;
	enum fw_err r;

	if (!recipient)
		return FW_ERR_INVALID;
	len = strnlen(recipient, FW_CRYPTO_AGE_RECIPIENT_BYTES);
	if (len == FW_CRYPTO_AGE_RECIPIENT_BYTES)
		return fw_err_set(FW_ERR_INVALID, "age recipient too long");
	if ((r = fw_crypto_bech32_decode(recipient, len, hrp, sizeof hrp, data, sizeof data, &n)) !=
	    FW_OK)
		return fw_err_set(r, "not an age recipient (bad bech32)");
	/* Case-sensitive on purpose: recipients are written in lower case. */
	if (strcmp(hrp, RECIPIENT_HRP) != 0 || n != 32)
		return fw_err_set(FW_ERR_INVALID, "not an age X25519 recipient");
	memcpy(pk, data, 32);
	return FW_OK;
}

static enum fw_err identity_line(const char *s, size_t len, uint8_t sk[32])
{
	char hrp[sizeof IDENTITY_HRP];
	uint8_t data[33];
	size_t n = 0;
	enum fw_err r;

	if ((r = fw_crypto_bech32_decode(s, len, hrp, sizeof hrp, data, sizeof data, &n)) != FW_OK)
		return fw_err_set(r, "not an age identity (bad bech32)");
	if (strcmp(hrp, IDENTITY_HRP) != 0 || n != 32) {
		r = fw_err_set(FW_ERR_INVALID, "not an age X25519 identity");
		goto out;
	}
	memcpy(sk, data, 32);
out:
	sodium_memzero(data, sizeof data);
	return r;
}

enum fw_err fw_age_identity_parse(const char *text, size_t n, uint8_t sk[32])
{
	const char *p = text, *end = text + n;

	if (!text || n == 0)
		return FW_ERR_INVALID;
	if (n > MAX_IDENTITY_FILE_BYTES)
		return fw_err_set(FW_ERR_TOO_LARGE, "identity file too large");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		size_t len = (size_t)(line_end - p);
		const char *line = p;

		p = eol ? eol + 1 : end;
		if (len && line[len - 1] == '\r')
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		/* Like age, the first line that is not a comment must be a key:
		 * anything else means this is not the file the user meant. */
		return identity_line(line, len, sk);
	}
	return fw_err_set(FW_ERR_INVALID, "no AGE-SECRET-KEY line in identity file");
}

enum fw_err fw_age_keygen(char recipient[FW_CRYPTO_AGE_RECIPIENT_BYTES],
			  char identity[FW_CRYPTO_AGE_IDENTITY_BYTES])
{
	uint8_t sk[32], pk[32];
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	enum fw_err r;

	randombytes_buf(sk, sizeof sk);
	crypto_scalarmult_base(pk, sk);
	if ((r = fw_crypto_bech32_encode(RECIPIENT_HRP, pk, sizeof pk, false, rec, sizeof rec)) !=
	    FW_OK)
		goto out;
	if ((r = fw_crypto_bech32_encode(IDENTITY_HRP, sk, sizeof sk, true, id, sizeof id)) != FW_OK)
		goto out;
	memcpy(recipient, rec, sizeof rec);
	memcpy(identity, id, sizeof id);
out:
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(id, sizeof id);
	return r;
}

/* --- STREAM payload ------------------------------------------------------- */

static void chunk_nonce(uint8_t nonce[12], uint64_t counter, bool last)
{
	/* 11-byte big-endian counter, then the last-chunk flag */
	memset(nonce, 0, 12);
	for (int i = 10; i >= 3; i--, counter >>= 8)
		nonce[i] = (uint8_t)counter;
	nonce[11] = last ? 1 : 0;
}

static enum fw_err stream_seal(const uint8_t key[32], const uint8_t *pt, size_t n,
			       struct fw_buf *out)
{
	uint8_t nonce[12];
	uint8_t *chunk = malloc(ENC_CHUNK_BYTES);
	uint64_t counter = 0;
	size_t off = 0;
	enum fw_err r = FW_OK;

	if (!chunk)
		return FW_ERR_NOMEM;
	/* An empty plaintext still gets one (empty) final chunk; a full last
	 * chunk is final itself, with no empty chunk after it. */
	do {
		size_t len = n - off > CHUNK_BYTES ? CHUNK_BYTES : n - off;
		chunk_nonce(nonce, counter++, off + len == n);
		crypto_aead_chacha20poly1305_ietf_encrypt(chunk, NULL, pt + off, len, NULL, 0, NULL,
							  nonce, key);
		if ((r = fw_buf_append(out, chunk, len + TAG_BYTES)) != FW_OK)
			break;
		off += len;
	} while (off < n);
	free(chunk);
	return r;
}

/* Splits len bytes of chunks into a count and checks the last one's size. */
static enum fw_err stream_layout(size_t len, size_t *nchunks, size_t *pt_len)
{
	size_t full = len / ENC_CHUNK_BYTES, rest = len % ENC_CHUNK_BYTES;

	if (len == 0)
		return fw_err_set(FW_ERR_INVALID, "age payload has no chunks");
	if (rest) {
		if (rest < TAG_BYTES)
			return fw_err_set(FW_ERR_INVALID, "age payload truncated");
		/* Only an empty plaintext may end in an empty chunk. */
		if (rest == TAG_BYTES && full > 0)
			return fw_err_set(FW_ERR_INVALID, "age payload ends in an empty chunk");
		full++;
	}
	if (len - full * TAG_BYTES > FW_CRYPTO_AGE_MAX_BYTES)
		return fw_err_set(FW_ERR_TOO_LARGE, "age plaintext too large");
	*nchunks = full;
	*pt_len = len - full * TAG_BYTES;
	return FW_OK;
}

static enum fw_err stream_open(const uint8_t key[32], const uint8_t *ct, size_t len,
			       struct fw_buf *out)
{
	uint8_t nonce[12];
	size_t nchunks = 0, pt_len = 0, start = out->len;
	enum fw_err r;

	if ((r = stream_layout(len, &nchunks, &pt_len)) != FW_OK)
		return r;
	/* Make room for all the plaintext at once (the ciphertext is just
	 * filler) so the buffer never moves while it holds plaintext: a move
	 * would leave a copy in freed memory. */
	if ((r = fw_buf_append(out, ct, pt_len)) != FW_OK)
		return r;
	uint8_t *dst = out->data + start;
	for (size_t i = 0; i < nchunks; i++) {
		bool last = i + 1 == nchunks;
		size_t clen = last ? len - i * ENC_CHUNK_BYTES : ENC_CHUNK_BYTES;
		chunk_nonce(nonce, i, last);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(dst + i * CHUNK_BYTES, NULL, NULL,
							      ct + i * ENC_CHUNK_BYTES, clen, NULL,
							      0, nonce, key) != 0) {
			fw_crypto_buf_rollback(out, start);
			return fw_err_set(FW_ERR_CRYPTO, "age payload chunk %zu failed to decrypt",
					  i);
		}
	}
	return FW_OK;
}

/* --- sealing -------------------------------------------------------------- */

/* Wraps the file key for one recipient: the stanza's share and body. */
static enum fw_err x25519_wrap(const uint8_t recipient_pk[32], const uint8_t file_key[16],
			       uint8_t share[32], uint8_t body[WRAPPED_KEY_BYTES])
{
	uint8_t eph[32], shared[32], salt[64], wrap_key[32];
	enum fw_err r = FW_OK;

	randombytes_buf(eph, sizeof eph);
	crypto_scalarmult_base(share, eph);
	/* libsodium refuses a low-order point (an all-zero shared secret);
	 * such a "recipient" could read nothing, and neither could anyone. */
	if (crypto_scalarmult(shared, eph, recipient_pk) != 0) {
		r = fw_err_set(FW_ERR_INVALID, "age recipient is not a usable X25519 key");
		goto out;
	}
	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient_pk, 32);
	fw_crypto_hkdf_sha256(wrap_key, shared, sizeof shared, salt, sizeof salt, X25519_INFO);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, FILE_KEY_BYTES, NULL, 0,
						  NULL, zero_nonce, wrap_key);
out:
	sodium_memzero(eph, sizeof eph);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(wrap_key, sizeof wrap_key);
	return r;
}

static enum fw_err seal_header(const uint8_t recipient_pk[32], const uint8_t file_key[16],
			       struct fw_buf *out)
{
	uint8_t share[32], body[WRAPPED_KEY_BYTES], mac_key[32], mac[MAC_BYTES];
	char share_b64[64], body_b64[64], mac_b64[64];
	size_t start = out->len;
	enum fw_err r;

	if ((r = x25519_wrap(recipient_pk, file_key, share, body)) != FW_OK)
		return r;
	/* The 32-byte body is 43 characters, so it fits one body line. */
	_Static_assert(WRAPPED_KEY_BYTES * 4 / 3 < BODY_LINE_CHARS, "one body line");
	if ((r = fw_crypto_b64_encode(share, sizeof share, FW_B64_UNPADDED, share_b64,
				      sizeof share_b64)) != FW_OK ||
	    (r = fw_crypto_b64_encode(body, sizeof body, FW_B64_UNPADDED, body_b64,
				      sizeof body_b64)) != FW_OK)
		return r;
	if ((r = fw_buf_printf(out, "%s\n-> %s %s\n%s\n---", VERSION_LINE, X25519_TYPE,
			       share_b64, body_b64)) != FW_OK)
		return r;
	/* The MAC covers the header up to and including "---". */
	fw_crypto_hkdf_sha256(mac_key, file_key, FILE_KEY_BYTES, NULL, 0, "header");
	crypto_auth_hmacsha256(mac, out->data + start, out->len - start, mac_key);
	sodium_memzero(mac_key, sizeof mac_key);
	if ((r = fw_crypto_b64_encode(mac, sizeof mac, FW_B64_UNPADDED, mac_b64,
				      sizeof mac_b64)) != FW_OK)
		return r;
	return fw_buf_printf(out, " %s\n", mac_b64);
}

enum fw_err fw_age_seal(const uint8_t recipient_pk[32], const uint8_t *pt, size_t n,
			struct fw_buf *out)
{
	static const uint8_t empty[1];
	uint8_t file_key[FILE_KEY_BYTES], nonce[PAYLOAD_NONCE_BYTES], payload_key[32];
	size_t start = out->len;
	enum fw_err r;

	if (!recipient_pk || (!pt && n))
		return FW_ERR_INVALID;
	if (n > FW_CRYPTO_AGE_MAX_BYTES)
		return fw_err_set(FW_ERR_TOO_LARGE, "file too large to seal");
	if (!pt)
		pt = empty;
	randombytes_buf(file_key, sizeof file_key);
	randombytes_buf(nonce, sizeof nonce);
	if ((r = seal_header(recipient_pk, file_key, out)) != FW_OK)
		goto out;
	if ((r = fw_buf_append(out, nonce, sizeof nonce)) != FW_OK)
		goto out;
	fw_crypto_hkdf_sha256(payload_key, file_key, sizeof file_key, nonce, sizeof nonce,
			      "payload");
	r = stream_seal(payload_key, pt, n, out);
out:
	sodium_memzero(file_key, sizeof file_key);
	sodium_memzero(payload_key, sizeof payload_key);
	if (r != FW_OK)
		fw_crypto_buf_rollback(out, start);
	return r;
}

/* --- header parsing ------------------------------------------------------- */

struct header_scan {
	const uint8_t *p;	/* the file */
	size_t n;		/* bytes that may hold the header */
	size_t off;		/* next unread byte */
	const uint8_t *sk;	/* our identity */
	uint8_t pk[32];		/* and its public key, part of the HKDF salt */
	bool found;		/* file_key holds the unwrapped key */
	uint8_t file_key[FILE_KEY_BYTES];
	size_t mac_end;		/* the MAC covers p[0..mac_end) */
	uint8_t mac[MAC_BYTES];
};

/* The next LF-terminated line, without its LF. */
static enum fw_err next_line(struct header_scan *h, const char **line, size_t *len)
{
	const uint8_t *eol;

	if (h->off >= h->n || !(eol = memchr(h->p + h->off, '\n', h->n - h->off)))
		return fw_err_set(FW_ERR_INVALID, "age header truncated or too large");
	*line = (const char *)h->p + h->off;
	*len = (size_t)(eol - (h->p + h->off));
	h->off += *len + 1;
	return FW_OK;
}

/* Splits "-> a b c" into its arguments: non-empty runs of VCHAR separated by
 * single spaces. */
static enum fw_err stanza_args(const char *s, size_t len, const char *arg[], size_t arg_len[],
			       size_t *nargs)
{
	size_t k = 0, i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != ' ') {
			if ((unsigned char)s[j] < 0x21 || (unsigned char)s[j] > 0x7e)
				return fw_err_set(FW_ERR_INVALID, "bad character in age stanza");
			j++;
		}
		if (j == i || k == MAX_STANZA_ARGS || (j < len && j + 1 == len))
			return fw_err_set(FW_ERR_INVALID, "malformed age stanza arguments");
		arg[k] = s + i;
		arg_len[k++] = j - i;
		i = j + 1;
	}
	if (k == 0)
		return fw_err_set(FW_ERR_INVALID, "age stanza without a type");
	*nargs = k;
	return FW_OK;
}

/* Reads a stanza body: full 64-character lines, then one shorter (maybe empty)
 * line. Keeps at most `cap` bytes; *len is the full decoded length. */
static enum fw_err stanza_body(struct header_scan *h, uint8_t *body, size_t cap, size_t *len)
{
	uint8_t tmp[BODY_LINE_CHARS / 4 * 3];
	size_t total = 0, line_len = 0;
	const char *line = NULL;
	enum fw_err r;

	do {
		if ((r = next_line(h, &line, &line_len)) != FW_OK)
			return r;
		if (line_len > BODY_LINE_CHARS)
			return fw_err_set(FW_ERR_INVALID, "age stanza body line too long");
		size_t bytes = line_len / 4 * 3 + (line_len % 4 ? line_len % 4 - 1 : 0);
		if (fw_crypto_b64_decode_exact(line, line_len, tmp, bytes, FW_B64_UNPADDED) != FW_OK)
			return fw_err_set(FW_ERR_INVALID, "bad base64 in age stanza body");
		for (size_t i = 0; i < bytes; i++, total++)
			if (total < cap)
				body[total] = tmp[i];
	} while (line_len == BODY_LINE_CHARS);
	*len = total;
	return FW_OK;
}

/* Tries our identity on one X25519 stanza. A stanza for someone else is
 * not an error; a malformed one is. */
static enum fw_err x25519_unwrap(struct header_scan *h, const char *const arg[],
				 const size_t arg_len[], size_t nargs, const uint8_t *body,
				 size_t body_len)
{
	uint8_t share[32], shared[32], salt[64], wrap_key[32], file_key[FILE_KEY_BYTES];
	enum fw_err r = FW_OK;

	if (nargs != 2 || body_len != WRAPPED_KEY_BYTES ||
	    fw_crypto_b64_decode_exact(arg[1], arg_len[1], share, sizeof share,
				       FW_B64_UNPADDED) != FW_OK)
		return fw_err_set(FW_ERR_INVALID, "malformed age X25519 stanza");
	if (h->found)
		return FW_OK;
	if (crypto_scalarmult(shared, h->sk, share) != 0) {
		r = fw_err_set(FW_ERR_CRYPTO, "age X25519 share is a low-order point");
		goto out;
	}
	memcpy(salt, share, 32);
	memcpy(salt + 32, h->pk, 32);
	fw_crypto_hkdf_sha256(wrap_key, shared, sizeof shared, salt, sizeof salt, X25519_INFO);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body, body_len, NULL, 0,
						      zero_nonce, wrap_key) == 0) {
		memcpy(h->file_key, file_key, sizeof file_key);
		h->found = true;
	}
out:
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(wrap_key, sizeof wrap_key);
	sodium_memzero(file_key, sizeof file_key);
	return r;
}

static enum fw_err parse_stanza(struct header_scan *h, const char *line, size_t len)
{
	const char *arg[MAX_STANZA_ARGS];
	size_t arg_len[MAX_STANZA_ARGS], nargs = 0, body_len = 0;
	uint8_t body[WRAPPED_KEY_BYTES];
	enum fw_err r;

	if ((r = stanza_args(line + 3, len - 3, arg, arg_len, &nargs)) != FW_OK)
		return r;
	if ((r = stanza_body(h, body, sizeof body, &body_len)) != FW_OK)
		return r;
	if (arg_len[0] == strlen(X25519_TYPE) && memcmp(arg[0], X25519_TYPE, arg_len[0]) == 0)
		return x25519_unwrap(h, arg, arg_len, nargs, body, body_len);
	/* Other recipient types (scrypt, plugins, grease) are for others. */
	return FW_OK;
}

static enum fw_err parse_header(struct header_scan *h)
{
	const char *line = NULL;
	size_t len = 0, stanzas = 0;
	enum fw_err r;

	if ((r = next_line(h, &line, &len)) != FW_OK)
		return r;
	if (len != strlen(VERSION_LINE) || memcmp(line, VERSION_LINE, len) != 0)
		return fw_err_set(FW_ERR_INVALID, "not an age v1 file");
	for (;;) {
		size_t line_off = h->off;
		if ((r = next_line(h, &line, &len)) != FW_OK)
			return r;
		if (len >= 3 && memcmp(line, "---", 3) == 0) {
			if (stanzas == 0 || len < 4 || line[3] != ' ' ||
			    fw_crypto_b64_decode_exact(line + 4, len - 4, h->mac, sizeof h->mac,
						       FW_B64_UNPADDED) != FW_OK)
				return fw_err_set(FW_ERR_INVALID, "malformed age header MAC line");
			h->mac_end = line_off + 3;
			return FW_OK;
		}
		if (len < 3 || memcmp(line, "-> ", 3) != 0 || ++stanzas > MAX_STANZAS)
			return fw_err_set(FW_ERR_INVALID, "malformed age header");
		if ((r = parse_stanza(h, line, len)) != FW_OK)
			return r;
	}
}

enum fw_err fw_age_open(const uint8_t identity_sk[32], const uint8_t *file, size_t n,
			struct fw_buf *out)
{
	struct header_scan h;
	uint8_t mac_key[32], payload_key[32];
	enum fw_err r;

	if (!identity_sk || !file)
		return FW_ERR_INVALID;
	memset(&h, 0, sizeof h);
	h.p = file;
	h.n = n < MAX_HEADER_BYTES ? n : MAX_HEADER_BYTES;
	h.sk = identity_sk;
	crypto_scalarmult_base(h.pk, identity_sk);
	if ((r = parse_header(&h)) != FW_OK)
		goto out;
	if (!h.found) {
		r = fw_err_set(FW_ERR_CRYPTO, "no age stanza is for this identity");
		goto out;
	}
	fw_crypto_hkdf_sha256(mac_key, h.file_key, sizeof h.file_key, NULL, 0, "header");
	if (crypto_auth_hmacsha256_verify(h.mac, file, h.mac_end, mac_key) != 0) {
		r = fw_err_set(FW_ERR_CRYPTO, "age header MAC mismatch");
		goto out;
	}
	if (n - h.off < PAYLOAD_NONCE_BYTES) {
		r = fw_err_set(FW_ERR_INVALID, "age payload truncated");
		goto out;
	}
	fw_crypto_hkdf_sha256(payload_key, h.file_key, sizeof h.file_key, file + h.off,
			      PAYLOAD_NONCE_BYTES, "payload");
	r = stream_open(payload_key, file + h.off + PAYLOAD_NONCE_BYTES,
			n - h.off - PAYLOAD_NONCE_BYTES, out);
out:
	sodium_memzero(&h, sizeof h);
	sodium_memzero(mac_key, sizeof mac_key);
	sodium_memzero(payload_key, sizeof payload_key);
	return r;
}
