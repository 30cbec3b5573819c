/* C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint) and C2SP tlog-proof
 * receipts (c2sp.org/tlog-proof, "c2sp.org/tlog-proof@v1"). */
#include <inttypes.h>
#include <string.h>

#include "tlog/internal.h"
#include "tlog/tlog.h"

#define HB FW_TLOG_HASH_BYTES
#define HASH_B64_LEN FW_TLOG_B64_LEN(HB)
#define RECEIPT_MAGIC "c2sp.org/tlog-proof@v1"
#define RECEIPT_EXTRA_B64_MAX FW_TLOG_B64_LEN(FW_TLOG_RECEIPT_EXTRA_MAX)

bool fw_tlog_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* The next line of s[*pos..n) without its newline; false if there is no
 * complete (newline-terminated) line. */
static bool next_line(const char *s, size_t n, size_t *pos, const char **line, size_t *len)
{
	if (*pos >= n)
		return false;
	const char *eol = memchr(s + *pos, '\n', n - *pos);
	if (!eol)
		return false;
	*line = s + *pos;
	*len = (size_t)(eol - *line);
	*pos += *len + 1;
	return true;
}

/* --- checkpoints -------------------------------------------------------- */

/* Extension lines: each non-empty, newline-terminated, no control chars. */
static bool ext_is_valid(const char *ext, size_t n)
{
	if (n == 0)
		return true;
	if (!ext || ext[n - 1] != '\n' || ext[0] == '\n' || !fw_tlog_text_is_valid(ext, n, true))
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (ext[i] == '\n' && ext[i + 1] == '\n')
			return false;
	return true;
}

enum fw_err fw_tlog_checkpoint_format(const struct fw_tlog_checkpoint *c, struct fw_buf *out)
{
	char root[HASH_B64_LEN + 1];
	size_t start = out->len;
	enum fw_err r;

	if (!c || !fw_tlog_name_is_valid(c->origin, strnlen(c->origin, sizeof c->origin)) ||
	    !ext_is_valid(c->ext, c->ext_len))
		return FW_ERR_INVALID;
	if ((r = fw_crypto_base64_encode(c->root, HB, root, sizeof root)) != FW_OK)
		return r;
	if ((r = fw_buf_printf(out, "%s\n%" PRIu64 "\n%s\n", c->origin, c->size, root)) != FW_OK)
		goto out;
	if (c->ext_len)
		r = fw_buf_append(out, c->ext, c->ext_len);
out:
	if (r != FW_OK)
		fw_tlog_buf_truncate(out, start);
	return r;
}

enum fw_err fw_tlog_checkpoint_parse(const char *text, size_t n, struct fw_tlog_checkpoint *out)
{
	struct fw_tlog_checkpoint c;
	const char *line;
	size_t len, pos = 0, root_len;

	if (!text)
		return FW_ERR_INVALID;
	if (n > FW_TLOG_NOTE_MAX)
		return FW_ERR_TOO_LARGE;
	if (!fw_tlog_text_is_valid(text, n, true))
		return FW_ERR_INVALID;
	memset(&c, 0, sizeof c);
	/* origin: any non-empty line; only the log's own key name is stricter */
	if (!next_line(text, n, &pos, &line, &len) || len == 0 || len > FW_TLOG_NAME_MAX)
		return FW_ERR_INVALID;
	memcpy(c.origin, line, len);
	if (!next_line(text, n, &pos, &line, &len) || !fw_tlog_parse_u64(line, len, &c.size))
		return FW_ERR_INVALID;
	if (!next_line(text, n, &pos, &line, &len) ||
	    fw_crypto_base64_decode(line, len, c.root, HB, &root_len) != FW_OK || root_len != HB)
		return FW_ERR_INVALID;
	if (pos < n) {
		c.ext = text + pos;
		c.ext_len = n - pos;
		if (!ext_is_valid(c.ext, c.ext_len))
			return FW_ERR_INVALID;
	}
	*out = c;
	return FW_OK;
}

enum fw_err fw_tlog_checkpoint_open(const char *note, size_t n, const struct fw_tlog_policy *pol,
				    struct fw_tlog_checkpoint *out)
{
	struct fw_tlog_vkey keys[FW_TLOG_KEYS_MAX];
	struct fw_tlog_note_info info;
	struct fw_tlog_checkpoint c;
	size_t cosigned = 0;
	enum fw_err r;

	if (!pol || !pol->log_key || pol->log_key->type != FW_TLOG_SIG_ED25519 ||
	    pol->n_witnesses >= FW_TLOG_KEYS_MAX || (pol->n_witnesses && !pol->witnesses) ||
	    pol->quorum > pol->n_witnesses)
		return FW_ERR_INVALID;
	keys[0] = *pol->log_key;
	for (size_t i = 0; i < pol->n_witnesses; i++) {
		if (pol->witnesses[i].type != FW_TLOG_SIG_COSIG_V1)
			return FW_ERR_INVALID;
		keys[i + 1] = pol->witnesses[i];
	}
	if ((r = fw_tlog_note_verify(note, n, keys, pol->n_witnesses + 1, &info)) != FW_OK)
		return r;
	if (!(info.signed_by & 1))
		return fw_err_set(FW_ERR_CRYPTO, "checkpoint not signed by the log key");
	for (size_t i = 1; i <= pol->n_witnesses; i++)
		cosigned += (info.signed_by >> i) & 1;
	if (cosigned < pol->quorum)
		return fw_err_set(FW_ERR_CRYPTO, "checkpoint has %zu of %zu cosignatures", cosigned,
				  pol->quorum);
	if ((r = fw_tlog_checkpoint_parse(note, info.text_len, &c)) != FW_OK)
		return r;
	const char *origin = pol->origin ? pol->origin : pol->log_key->name;
	if (strcmp(c.origin, origin) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "checkpoint is for another log");
	*out = c;
	return FW_OK;
}

/* --- collecting witness cosignatures ------------------------------------ */

/* The key name of a signature line, for messages: what follows "— " up to
 * the next space, at most 64 bytes (the line was checked to be text). */
static int line_name(const char *line, size_t len, const char **name)
{
	static const char dash[] = "\xe2\x80\x94 ";
	size_t skip = len >= 4 && memcmp(line, dash, 4) == 0 ? 4 : 0;
	const char *sp = memchr(line + skip, ' ', len - skip);
	size_t n = sp ? (size_t)(sp - line) - skip : len - skip;
	*name = line + skip;
	return (int)(n > 64 ? 64 : n);
}

/* One line against the witness keys: the one whose name and key ID it
 * carries decides. */
static enum fw_err cosig_line(const char *text, size_t n, const char *line, size_t len,
			      const struct fw_tlog_vkey *w, size_t nw, size_t lineno, struct fw_tlog_cosig *out)
{
	const char *name;
	int nl;
	for (size_t k = 0; k < nw; k++) {
		uint64_t t = 0;
		if (w[k].type != FW_TLOG_SIG_COSIG_V1)
			continue;
		enum fw_err r = fw_tlog_sig_line_verify(text, n, line, len, &w[k], &t);
		if (r == FW_ERR_NOT_FOUND)
			continue;
		if (r == FW_ERR_CRYPTO)
			return fw_err_set(r, "line %zu: the cosignature of witness %s does not verify for this "
					  "checkpoint", lineno, w[k].name);
		if (r != FW_OK)
			return fw_err_set(FW_ERR_INVALID, "line %zu is not a cosignature/v1 signature line", lineno);
		*out = (struct fw_tlog_cosig){.key = k, .time = t, .line = line, .line_len = len};
		return FW_OK;
	}
	/* No witness's: a malformed line, or one of a key this log does not
	 * know (a probe that matches no line tells the two apart). */
	uint64_t t;
	struct fw_tlog_vkey probe = {.type = FW_TLOG_SIG_COSIG_V1};
	if (fw_tlog_sig_line_verify(text, n, line, len, &probe, &t) != FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_INVALID, "line %zu is not a signature line", lineno);
	nl = line_name(line, len, &name);
	return fw_err_set(FW_ERR_NOT_FOUND, "line %zu: \"%.*s\" with that key ID is not a witness key of this log",
			  lineno, nl, name);
}

enum fw_err fw_tlog_cosigs_check(const char *text, size_t n, const char *lines, size_t lines_len,
				 const struct fw_tlog_vkey *witnesses, size_t nw,
				 struct fw_tlog_cosig *out, size_t max, size_t *nout)
{
	size_t pos = 0, got = 0;
	enum fw_err r;

	if (!text || !lines || !out || !nout || (nw && !witnesses) || max > FW_TLOG_COSIG_LINES_MAX)
		return FW_ERR_INVALID;
	if (lines_len == 0)
		return fw_err_set(FW_ERR_INVALID, "no cosignature lines");
	while (pos < lines_len) {
		const char *line = lines + pos, *eol = memchr(line, '\n', lines_len - pos);
		size_t len = eol ? (size_t)(eol - line) : lines_len - pos;
		pos += len + (eol ? 1 : 0);
		if (got == max)
			return fw_err_set(FW_ERR_TOO_LARGE, "more than %zu cosignature lines", max);
		if (len == 0)
			return fw_err_set(FW_ERR_INVALID, "line %zu is empty", got + 1);
		if ((r = cosig_line(text, n, line, len, witnesses, nw, got + 1, &out[got])) != FW_OK)
			return r;
		for (size_t i = 0; i < got; i++)
			if (out[i].key == out[got].key)
				return fw_err_set(FW_ERR_INVALID, "lines %zu and %zu are both by witness %s", i + 1,
						  got + 1, witnesses[out[got].key].name);
		got++;
	}
	*nout = got;
	return FW_OK;
}

/* --- receipts ----------------------------------------------------------- */

enum fw_err fw_tlog_receipt_format(uint64_t index, const struct fw_tlog_proof *p,
				   const uint8_t *extra, size_t extra_len, const char *note,
				   size_t note_len, struct fw_buf *out)
{
	char b64[RECEIPT_EXTRA_B64_MAX + 1];
	size_t start = out->len;
	enum fw_err r;

	if (!p || p->n > FW_TLOG_PROOF_MAX || !note || note_len == 0 ||
	    note[note_len - 1] != '\n' || (!extra && extra_len))
		return FW_ERR_INVALID;
	if (extra_len > FW_TLOG_RECEIPT_EXTRA_MAX || note_len > FW_TLOG_NOTE_MAX)
		return FW_ERR_TOO_LARGE;
	if ((r = fw_buf_puts(out, RECEIPT_MAGIC "\n")) != FW_OK)
		goto out;
	if (extra) {
		if ((r = fw_crypto_base64_encode(extra, extra_len, b64, sizeof b64)) != FW_OK ||
		    (r = fw_buf_printf(out, "extra %s\n", b64)) != FW_OK)
			goto out;
	}
	if ((r = fw_buf_printf(out, "index %" PRIu64 "\n", index)) != FW_OK)
		goto out;
	for (size_t i = 0; i < p->n; i++) {
		if ((r = fw_crypto_base64_encode(p->hash[i], HB, b64, sizeof b64)) != FW_OK ||
		    (r = fw_buf_printf(out, "%s\n", b64)) != FW_OK)
			goto out;
	}
	if ((r = fw_buf_append(out, "\n", 1)) != FW_OK)
		goto out;
	r = fw_buf_append(out, note, note_len);
out:
	if (r != FW_OK)
		fw_tlog_buf_truncate(out, start);
	return r;
}

/* "extra <base64>": canonical base64 of at most the extra limit. */
static bool parse_extra(const char *line, size_t len, struct fw_tlog_receipt *rc)
{
	uint8_t tmp[FW_TLOG_RECEIPT_EXTRA_MAX];
	size_t n;

	if (len < 7 || memcmp(line, "extra ", 6) != 0)
		return false;
	if (fw_crypto_base64_decode(line + 6, len - 6, tmp, sizeof tmp, &n) != FW_OK || n == 0)
		return false;
	rc->extra_b64 = line + 6;
	rc->extra_b64_len = len - 6;
	return true;
}

enum fw_err fw_tlog_receipt_parse(const char *text, size_t n, struct fw_tlog_receipt *out)
{
	struct fw_tlog_receipt rc;
	const char *line;
	size_t len, pos = 0, hl;

	if (!text)
		return FW_ERR_INVALID;
	if (n > FW_TLOG_RECEIPT_MAX)
		return FW_ERR_TOO_LARGE;
	memset(&rc, 0, sizeof rc);
	if (!next_line(text, n, &pos, &line, &len) || len != strlen(RECEIPT_MAGIC) ||
	    memcmp(line, RECEIPT_MAGIC, len) != 0 || !next_line(text, n, &pos, &line, &len))
		return FW_ERR_INVALID;
	if (len >= 6 && memcmp(line, "extra ", 6) == 0) {
		if (!parse_extra(line, len, &rc) || !next_line(text, n, &pos, &line, &len))
			return FW_ERR_INVALID;
	}
	if (len < 7 || memcmp(line, "index ", 6) != 0 ||
	    !fw_tlog_parse_u64(line + 6, len - 6, &rc.index))
		return FW_ERR_INVALID;
	for (;;) {
		if (!next_line(text, n, &pos, &line, &len))
			return FW_ERR_INVALID;
		if (len == 0)
			break;
		if (rc.proof.n == FW_TLOG_PROOF_MAX)
			return FW_ERR_INVALID;
		if (fw_crypto_base64_decode(line, len, rc.proof.hash[rc.proof.n], HB, &hl) != FW_OK ||
		    hl != HB)
			return FW_ERR_INVALID;
		rc.proof.n++;
	}
	if (pos >= n)
		return FW_ERR_INVALID;
	rc.note = text + pos;
	rc.note_len = n - pos;
	*out = rc;
	return FW_OK;
}

enum fw_err fw_tlog_receipt_verify(const char *text, size_t n, const uint8_t leaf_hash[HB],
				   const struct fw_tlog_policy *pol, struct fw_tlog_receipt *rcpt,
				   struct fw_tlog_checkpoint *cp)
{
	struct fw_tlog_receipt rc;
	struct fw_tlog_checkpoint c;
	enum fw_err r;

	if (!leaf_hash)
		return FW_ERR_INVALID;
	if ((r = fw_tlog_receipt_parse(text, n, &rc)) != FW_OK ||
	    (r = fw_tlog_checkpoint_open(rc.note, rc.note_len, pol, &c)) != FW_OK)
		return r;
	if (rc.index >= c.size)
		return fw_err_set(FW_ERR_CRYPTO, "receipt index is outside its checkpoint");
	if ((r = fw_tlog_inclusion_verify(rc.index, c.size, leaf_hash, &rc.proof, c.root)) != FW_OK)
		return r;
	if (rcpt)
		*rcpt = rc;
	if (cp)
		*cp = c;
	return FW_OK;
}
