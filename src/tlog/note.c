/* C2SP signed-note (c2sp.org/signed-note) with Ed25519 signatures, verifier
 * keys in the "name+hex8+base64" form, and C2SP tlog-cosignature v1
 * (timestamped Ed25519 over "cosignature/v1\ntime <t>\n" ‖ checkpoint). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlog/internal.h"
#include "tlog/tlog.h"

/* "— " : U+2014 EM DASH, then a space */
#define SIG_PREFIX "\xe2\x80\x94 "
#define SIG_PREFIX_LEN 4
#define COSIG_HEADER "cosignature/v1\ntime "
#define ED25519_SIG_LEN (4 + FW_CRYPTO_ED25519_SIG_BYTES)
#define COSIG_SIG_LEN (4 + 8 + FW_CRYPTO_ED25519_SIG_BYTES)
/* The longest signature line base64 accepted: room for post-quantum
 * signatures of other keys (ML-DSA-44 cosignatures are 2,432 bytes). */
#define SIG_B64_MAX 8192
#define SIG_RAW_MAX (SIG_B64_MAX / 4 * 3)

/* --- UTF-8 and names ---------------------------------------------------- */

/* Decodes one scalar value at s[0..n) (n ≥ 1) strictly: no overlong forms,
 * no surrogates, nothing past U+10FFFF. Returns its length, or 0. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

bool fw_tlog_text_is_valid(const char *s, size_t n, bool allow_newline)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_next(u + i, n - i, &c);
		if (!len || (c < 0x20 && !(allow_newline && c == '\n')) || c == 0x7f)
			return false;
		i += len;
	}
	return true;
}

bool fw_tlog_name_is_valid(const char *name, size_t n)
{
	const unsigned char *u = (const unsigned char *)name;
	uint32_t c;

	if (!name || n == 0 || n > FW_TLOG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_next(u + i, n - i, &c);
		if (!len || c < 0x20 || c == 0x7f || c == '+' || is_space(c))
			return false;
		i += len;
	}
	return true;
}

/* --- verifier keys ------------------------------------------------------ */

uint32_t fw_tlog_key_id(const char *name, uint8_t type, const uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES])
{
	static const uint8_t nl = '\n';
	uint8_t h[FW_CRYPTO_HASH_BYTES];
	struct fw_crypto_piece p[4] = {
		{name, strlen(name)}, {&nl, 1}, {&type, 1}, {pk, FW_CRYPTO_SIGN_PK_BYTES}};

	fw_crypto_sha256_v(p, 4, h);
	return fw_tlog_get_be32(h);
}

enum fw_err fw_tlog_vkey_init(struct fw_tlog_vkey *out, const char *name,
			      enum fw_tlog_sig_type type, const uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES])
{
	struct fw_tlog_vkey k;
	size_t n = name ? strlen(name) : 0;

	if (!pk || !fw_tlog_name_is_valid(name, n))
		return FW_ERR_INVALID;
	if (type != FW_TLOG_SIG_ED25519 && type != FW_TLOG_SIG_COSIG_V1)
		return FW_ERR_UNSUPPORTED;
	memset(&k, 0, sizeof k);
	memcpy(k.name, name, n);
	k.type = (uint8_t)type;
	memcpy(k.pk, pk, sizeof k.pk);
	k.id = fw_tlog_key_id(k.name, k.type, k.pk);
	*out = k;
	return FW_OK;
}

enum fw_err fw_tlog_vkey_format(const struct fw_tlog_vkey *k, char out[FW_TLOG_VKEY_BYTES])
{
	uint8_t blob[1 + FW_CRYPTO_SIGN_PK_BYTES];
	char b64[48];
	enum fw_err r;

	if (!fw_tlog_name_is_valid(k->name, strnlen(k->name, sizeof k->name)))
		return FW_ERR_INVALID;
	blob[0] = k->type;
	memcpy(blob + 1, k->pk, FW_CRYPTO_SIGN_PK_BYTES);
	if ((r = fw_crypto_base64_encode(blob, sizeof blob, b64, sizeof b64)) != FW_OK)
		return r;
	int w = snprintf(out, FW_TLOG_VKEY_BYTES, "%s+%08" PRIx32 "+%s", k->name, k->id, b64);
	return w > 0 && w < FW_TLOG_VKEY_BYTES ? FW_OK : FW_ERR_TOO_LARGE;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum fw_err fw_tlog_vkey_parse(const char *s, size_t n, struct fw_tlog_vkey *out)
{
	uint8_t blob[1 + FW_CRYPTO_SIGN_PK_BYTES];
	char name[FW_TLOG_NAME_BYTES];
	const char *p1, *p2;
	uint32_t id = 0;
	size_t blob_len;
	enum fw_err r;

	if (!s || n >= FW_TLOG_VKEY_BYTES)
		return FW_ERR_INVALID;
	/* The name has no '+', so the first two '+' delimit it and the id; the
	 * base64 after them may contain '+'. */
	if (!(p1 = memchr(s, '+', n)) || !(p2 = memchr(p1 + 1, '+', n - (size_t)(p1 + 1 - s))))
		return FW_ERR_INVALID;
	size_t name_len = (size_t)(p1 - s);
	if (!fw_tlog_name_is_valid(s, name_len) || p2 - p1 != 9)
		return FW_ERR_INVALID;
	for (int i = 1; i <= 8; i++) {
		int v = hex_value(p1[i]);
		if (v < 0)
			return FW_ERR_INVALID;
		id = id << 4 | (uint32_t)v;
	}
	if ((r = fw_crypto_base64_decode(p2 + 1, n - (size_t)(p2 + 1 - s), blob, sizeof blob,
					 &blob_len)) != FW_OK)
		return FW_ERR_INVALID;
	if (blob_len == 0)
		return FW_ERR_INVALID;
	if (blob[0] != FW_TLOG_SIG_ED25519 && blob[0] != FW_TLOG_SIG_COSIG_V1)
		return FW_ERR_UNSUPPORTED;
	if (blob_len != sizeof blob)
		return FW_ERR_INVALID;
	memcpy(name, s, name_len);
	name[name_len] = '\0';
	struct fw_tlog_vkey k;
	if ((r = fw_tlog_vkey_init(&k, name, (enum fw_tlog_sig_type)blob[0], blob + 1)) != FW_OK)
		return r;
	if (k.id != id)
		return FW_ERR_INVALID;
	*out = k;
	return FW_OK;
}

/* --- signing keys kept in files ---------------------------------------- */

#define SKEY_PREFIX "PRIVATE+KEY+"
#define SKEY_PREFIX_LEN 12

enum fw_err fw_tlog_skey_format(const char *name, enum fw_tlog_sig_type type,
				const uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES],
				char out[FW_TLOG_SKEY_BYTES])
{
	struct fw_sign_key k;
	struct fw_tlog_vkey vk;
	uint8_t blob[1 + FW_CRYPTO_ED25519_SEED_BYTES];
	char b64[48];
	enum fw_err r;

	fw_crypto_ed25519_from_seed(seed, &k);
	r = fw_tlog_vkey_init(&vk, name, type, k.pk);
	fw_crypto_wipe(&k, sizeof k);
	if (r != FW_OK)
		return r;
	blob[0] = (uint8_t)type;
	memcpy(blob + 1, seed, FW_CRYPTO_ED25519_SEED_BYTES);
	r = fw_crypto_base64_encode(blob, sizeof blob, b64, sizeof b64);
	fw_crypto_wipe(blob, sizeof blob);
	if (r == FW_OK) {
		int w = snprintf(out, FW_TLOG_SKEY_BYTES, SKEY_PREFIX "%s+%08" PRIx32 "+%s", vk.name, vk.id, b64);
		r = w > 0 && w < FW_TLOG_SKEY_BYTES ? FW_OK : FW_ERR_TOO_LARGE;
	}
	fw_crypto_wipe(b64, sizeof b64);
	return r;
}

enum fw_err fw_tlog_skey_parse(const char *s, size_t n, struct fw_sign_key *key, struct fw_tlog_vkey *vk)
{
	uint8_t blob[1 + FW_CRYPTO_ED25519_SEED_BYTES];
	char name[FW_TLOG_NAME_BYTES];
	const char *p1, *p2;
	uint32_t id = 0;
	size_t blob_len = 0;
	struct fw_sign_key k;
	struct fw_tlog_vkey v;
	enum fw_err r = FW_ERR_INVALID;

	if (s && n && s[n - 1] == '\n')
		n--;
	if (!s || n < SKEY_PREFIX_LEN || n >= FW_TLOG_SKEY_BYTES || memcmp(s, SKEY_PREFIX, SKEY_PREFIX_LEN) != 0)
		return FW_ERR_INVALID;
	s += SKEY_PREFIX_LEN;
	n -= SKEY_PREFIX_LEN;
	if (!(p1 = memchr(s, '+', n)) || !(p2 = memchr(p1 + 1, '+', n - (size_t)(p1 + 1 - s))))
		return FW_ERR_INVALID;
	size_t name_len = (size_t)(p1 - s);
	if (!fw_tlog_name_is_valid(s, name_len) || p2 - p1 != 9)
		return FW_ERR_INVALID;
	for (int i = 1; i <= 8; i++) {
		int h = hex_value(p1[i]);
		if (h < 0)
			return FW_ERR_INVALID;
		id = id << 4 | (uint32_t)h;
	}
	if (fw_crypto_base64_decode(p2 + 1, n - (size_t)(p2 + 1 - s), blob, sizeof blob, &blob_len) != FW_OK ||
	    blob_len != sizeof blob)
		goto out;
	memcpy(name, s, name_len);
	name[name_len] = '\0';
	fw_crypto_ed25519_from_seed(blob + 1, &k);
	if ((r = fw_tlog_vkey_init(&v, name, (enum fw_tlog_sig_type)blob[0], k.pk)) == FW_OK && v.id != id)
		r = FW_ERR_INVALID;
	if (r == FW_OK) {
		*key = k;
		*vk = v;
	}
	fw_crypto_wipe(&k, sizeof k);
out:
	fw_crypto_wipe(blob, sizeof blob);
	return r;
}

/* --- signing ------------------------------------------------------------ */

/* Appends "— name base64(blob)\n". */
static enum fw_err append_sig_line(struct fw_buf *out, const char *name, const uint8_t *blob,
				   size_t n)
{
	char b64[FW_TLOG_B64_LEN(COSIG_SIG_LEN) + 1];
	enum fw_err r;

	if ((r = fw_crypto_base64_encode(blob, n, b64, sizeof b64)) != FW_OK)
		return r;
	if ((r = fw_buf_append(out, SIG_PREFIX, SIG_PREFIX_LEN)) != FW_OK ||
	    (r = fw_buf_puts(out, name)) != FW_OK || (r = fw_buf_append(out, " ", 1)) != FW_OK ||
	    (r = fw_buf_puts(out, b64)) != FW_OK)
		return r;
	return fw_buf_append(out, "\n", 1);
}

/* A text that can be signed: it parses back as the text of a note. */
static enum fw_err check_text(const char *text, size_t n)
{
	if (!text || n == 0 || text[n - 1] != '\n')
		return FW_ERR_INVALID;
	if (n > FW_TLOG_NOTE_MAX)
		return FW_ERR_TOO_LARGE;
	return fw_tlog_text_is_valid(text, n, true) ? FW_OK : FW_ERR_INVALID;
}

static enum fw_err check_signer(const char *name, const struct fw_sign_key *k)
{
	if (!k || !name || !fw_tlog_name_is_valid(name, strlen(name)))
		return FW_ERR_INVALID;
	return FW_OK;
}

enum fw_err fw_tlog_note_sign(const char *text, size_t n, const char *name,
			      const struct fw_sign_key *k, struct fw_buf *out)
{
	uint8_t blob[ED25519_SIG_LEN];
	size_t start = out->len;
	enum fw_err r;

	if ((r = check_text(text, n)) != FW_OK || (r = check_signer(name, k)) != FW_OK)
		return r;
	fw_tlog_put_be32(blob, fw_tlog_key_id(name, FW_TLOG_SIG_ED25519, k->pk));
	fw_crypto_ed25519_sign(k, (const uint8_t *)text, n, blob + 4);
	if ((r = fw_buf_append(out, text, n)) != FW_OK || (r = fw_buf_append(out, "\n", 1)) != FW_OK ||
	    (r = append_sig_line(out, name, blob, sizeof blob)) != FW_OK)
		goto out;
	if (out->len - start > FW_TLOG_NOTE_MAX)
		r = FW_ERR_TOO_LARGE;
out:
	if (r != FW_OK)
		fw_tlog_buf_truncate(out, start);
	return r;
}

/* The cosigned message: "cosignature/v1\ntime <t>\n" ‖ text. */
static enum fw_err cosig_message(const char *text, size_t n, uint64_t t, struct fw_buf *msg)
{
	enum fw_err r;

	if ((r = fw_buf_printf(msg, COSIG_HEADER "%" PRIu64 "\n", t)) != FW_OK)
		return r;
	return fw_buf_append(msg, text, n);
}

enum fw_err fw_tlog_cosign(const char *text, size_t n, const char *name,
			   const struct fw_sign_key *k, uint64_t t, struct fw_buf *out)
{
	uint8_t blob[COSIG_SIG_LEN];
	struct fw_buf msg;
	size_t start = out->len;
	enum fw_err r;

	if ((r = check_text(text, n)) != FW_OK || (r = check_signer(name, k)) != FW_OK)
		return r;
	if (t > (uint64_t)FW_TLOG_COSIG_TIME_MAX)
		return FW_ERR_INVALID;
	fw_buf_init(&msg, FW_TLOG_NOTE_MAX + 64);
	if ((r = cosig_message(text, n, t, &msg)) != FW_OK)
		goto out;
	fw_tlog_put_be32(blob, fw_tlog_key_id(name, FW_TLOG_SIG_COSIG_V1, k->pk));
	fw_tlog_put_be64(blob + 4, t);
	fw_crypto_ed25519_sign(k, msg.data, msg.len, blob + 12);
	if ((r = append_sig_line(out, name, blob, sizeof blob)) != FW_OK)
		fw_tlog_buf_truncate(out, start);
out:
	fw_buf_cleanup(&msg);
	return r;
}

/* --- verifying ---------------------------------------------------------- */

/* Checks a decoded signature (id ‖ …) by key k over text. */
static enum fw_err check_sig(const char *text, size_t n, const uint8_t *sig, size_t sig_len,
			     const struct fw_tlog_vkey *k, uint64_t *time)
{
	const uint8_t *t = (const uint8_t *)text;
	struct fw_buf msg;
	enum fw_err r;

	if (k->type == FW_TLOG_SIG_ED25519) {
		if (sig_len != ED25519_SIG_LEN || !fw_crypto_ed25519_verify(k->pk, t, n, sig + 4))
			return FW_ERR_CRYPTO;
		*time = 0;
		return FW_OK;
	}
	if (k->type != FW_TLOG_SIG_COSIG_V1 || sig_len != COSIG_SIG_LEN)
		return FW_ERR_CRYPTO;
	uint64_t ts = fw_tlog_get_be64(sig + 4);
	if (ts > (uint64_t)FW_TLOG_COSIG_TIME_MAX)
		return FW_ERR_CRYPTO;
	fw_buf_init(&msg, FW_TLOG_NOTE_MAX + 64);
	if ((r = cosig_message(text, n, ts, &msg)) != FW_OK)
		goto out;
	r = fw_crypto_ed25519_verify(k->pk, msg.data, msg.len, sig + 12) ? FW_OK : FW_ERR_CRYPTO;
	if (r == FW_OK)
		*time = ts;
out:
	fw_buf_cleanup(&msg);
	return r;
}

/* One parsed signature line. */
struct sig_line {
	const char *name;
	size_t name_len;
	uint32_t id;
	uint8_t raw[SIG_RAW_MAX];
	size_t raw_len;
};

/* Parses "— name base64" (without the newline). */
static enum fw_err parse_sig_line(const char *line, size_t len, struct sig_line *out)
{
	const char *sp;
	enum fw_err r;

	if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return FW_ERR_INVALID;
	line += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	if (!(sp = memchr(line, ' ', len)))
		return FW_ERR_INVALID;
	out->name = line;
	out->name_len = (size_t)(sp - line);
	if (!fw_tlog_name_is_valid(out->name, out->name_len))
		return FW_ERR_INVALID;
	size_t b64_len = len - out->name_len - 1;
	if (b64_len > SIG_B64_MAX)
		return FW_ERR_TOO_LARGE;
	r = fw_crypto_base64_decode(sp + 1, b64_len, out->raw, sizeof out->raw, &out->raw_len);
	if (r != FW_OK || out->raw_len < 5)
		return FW_ERR_INVALID;
	out->id = fw_tlog_get_be32(out->raw);
	return FW_OK;
}

static bool key_matches(const struct fw_tlog_vkey *k, const struct sig_line *s)
{
	return k->id == s->id && strlen(k->name) == s->name_len &&
	       memcmp(k->name, s->name, s->name_len) == 0;
}

enum fw_err fw_tlog_sig_line_verify(const char *text, size_t n, const char *line,
				    size_t line_len, const struct fw_tlog_vkey *k, uint64_t *time)
{
	struct sig_line s;
	uint64_t ts;
	enum fw_err r;

	if (!text || !line || !k || check_text(text, n) != FW_OK)
		return FW_ERR_INVALID;
	if (line_len && line[line_len - 1] == '\n')
		line_len--;
	if (!fw_tlog_text_is_valid(line, line_len, false))
		return FW_ERR_INVALID;
	if ((r = parse_sig_line(line, line_len, &s)) != FW_OK)
		return r;
	if (!key_matches(k, &s))
		return FW_ERR_NOT_FOUND;
	if ((r = check_sig(text, n, s.raw, s.raw_len, k, &ts)) != FW_OK)
		return r;
	if (time)
		*time = ts;
	return FW_OK;
}

/* Verifies one signature line of a note against every key it names. */
static enum fw_err verify_line(const char *text, size_t text_len, const char *line,
			       size_t len, const struct fw_tlog_vkey *keys, size_t nkeys,
			       struct fw_tlog_note_info *info)
{
	struct sig_line s;
	enum fw_err r;

	if ((r = parse_sig_line(line, len, &s)) != FW_OK)
		return r;
	for (size_t i = 0; i < nkeys; i++) {
		uint64_t ts;
		if (!key_matches(&keys[i], &s))
			continue;
		/* A known key's bad signature rejects the whole note. */
		if (check_sig(text, text_len, s.raw, s.raw_len, &keys[i], &ts) != FW_OK)
			return FW_ERR_CRYPTO;
		info->signed_by |= UINT64_C(1) << i;
		if (ts > info->time[i])
			info->time[i] = ts;
	}
	return FW_OK;
}

/* Where the text ends: the last "\n\n" splits text from signatures. */
static enum fw_err split_note(const char *note, size_t n, size_t *text_len)
{
	if (n < 3)
		return FW_ERR_INVALID;
	for (size_t i = n - 1; i-- > 0;) {
		if (note[i] == '\n' && note[i + 1] == '\n') {
			*text_len = i + 1;
			return FW_OK;
		}
	}
	return FW_ERR_INVALID;
}

enum fw_err fw_tlog_note_verify(const char *note, size_t n, const struct fw_tlog_vkey *keys,
				size_t nkeys, struct fw_tlog_note_info *out)
{
	struct fw_tlog_note_info info;
	size_t text_len, lines = 0;
	enum fw_err r;

	if (!note || (!keys && nkeys) || nkeys > FW_TLOG_KEYS_MAX)
		return FW_ERR_INVALID;
	if (n > FW_TLOG_NOTE_MAX)
		return FW_ERR_TOO_LARGE;
	if (!fw_tlog_text_is_valid(note, n, true) || (r = split_note(note, n, &text_len)) != FW_OK)
		return FW_ERR_INVALID;
	/* The signature block is non-empty and ends in a newline. */
	const char *p = note + text_len + 1, *end = note + n;
	if (p >= end || end[-1] != '\n')
		return FW_ERR_INVALID;
	memset(&info, 0, sizeof info);
	info.text_len = text_len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (++lines > FW_TLOG_NOTE_SIGS_MAX)
			return FW_ERR_TOO_LARGE;
		if ((r = verify_line(note, text_len, p, (size_t)(eol - p), keys, nkeys, &info)) !=
		    FW_OK)
			return r;
		p = eol + 1;
	}
	if (!info.signed_by)
		return FW_ERR_CRYPTO;
	*out = info;
	return FW_OK;
}
