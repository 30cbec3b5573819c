/* Log entries: canonical JSON (sorted keys, no spaces, ASCII only), one
 * object per entry, versioned ("v") and typed ("type"). What would tell one
 * member about another's business (who got what, why a member was
 * suspended) is only in a commitment; see docs/log.md, "Entries". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "tlog/tlog.h"

#define NONCE_BYTES 32

static const char ctx_delivery[] = "forewarn/log/delivery-nonce/v1";
static const char ctx_member[] = "forewarn/log/member-nonce/v1";

/* Appends s as a JSON string with every byte outside printable ASCII
 * escaped: one spelling for each string. */
static enum fw_err json_str(struct fw_buf *b, const char *s)
{
	enum fw_err r = fw_buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; r == FW_OK && *p; p++) {
		if (*p == '"' || *p == '\\')
			r = fw_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			r = fw_buf_printf(b, "\\u%04x", *p);
		else
			r = fw_buf_append(b, p, 1);
	}
	return r == FW_OK ? fw_buf_puts(b, "\"") : r;
}

/* Drops what was appended after mark, keeping the NUL terminator. */
static void truncate_to(struct fw_buf *b, size_t mark)
{
	b->len = mark;
	if (b->data)
		b->data[mark] = '\0';
}

static bool is_one_line(const char *s)
{
	return strchr(s, '\n') == NULL && strchr(s, '\r') == NULL;
}

enum fw_err fw_tlog_delivery_opening(const uint8_t master[FW_CRYPTO_KEY_BYTES], const struct fw_delivery *d,
				     char out[FW_TLOG_OPENING_BYTES])
{
	char in[3 * FW_MODEL_ID_BYTES + 32], plain[65], nonce_hex[2 * NONCE_BYTES + 1];
	uint8_t nonce[NONCE_BYTES];
	enum fw_err r;
	const char *kind = fw_kind_name(d->kind);
	if (!kind || !is_one_line(d->member_id) || !is_one_line(d->advisory_id))
		return fw_err_set(FW_ERR_INVALID, "delivery fields cannot go into a log entry");
	int n = snprintf(in, sizeof in, "%s\n%s\n%s\n%d", d->member_id, d->advisory_id, kind, d->version);
	if (n < 0 || (size_t)n >= sizeof in)
		return FW_ERR_INVALID;
	if ((r = fw_crypto_prf(master, ctx_delivery, in, (size_t)n, nonce, sizeof nonce)) != FW_OK)
		return r;
	fw_crypto_hex(d->sha256_plain, 32, plain);
	fw_crypto_hex(nonce, sizeof nonce, nonce_hex);
	fw_crypto_wipe(nonce, sizeof nonce);
	n = snprintf(out, FW_TLOG_OPENING_BYTES,
		     "forewarn/log/delivery/v1\nmember %s\nadvisory %s\nkind %s\nversion %d\nplain-sha256 %s\n"
		     "nonce %s\n",
		     d->member_id, d->advisory_id, kind, d->version, plain, nonce_hex);
	fw_crypto_wipe(nonce_hex, sizeof nonce_hex);
	if (n < 0 || (size_t)n >= FW_TLOG_OPENING_BYTES)
		return fw_err_set(FW_ERR_INVALID, "delivery fields too long for a log entry");
	return FW_OK;
}

enum fw_err fw_tlog_entry_delivery(const uint8_t master[FW_CRYPTO_KEY_BYTES], const struct fw_delivery *d,
				   struct fw_buf *entry)
{
	char opening[FW_TLOG_OPENING_BYTES], c_hex[65], s_hex[65];
	uint8_t c[32];
	enum fw_err r;
	if ((r = fw_tlog_delivery_opening(master, d, opening)) != FW_OK)
		return r;
	fw_crypto_sha256(opening, strlen(opening), c);
	fw_crypto_wipe(opening, sizeof opening);
	fw_crypto_hex(c, 32, c_hex);
	fw_crypto_hex(d->sha256_sealed, 32, s_hex);
	return fw_buf_printf(entry, "{\"commitment\":\"%s\",\"sealed_sha256\":\"%s\",\"time\":%" PRId64
			     ",\"type\":\"delivery\",\"v\":1}",
			     c_hex, s_hex, d->created_at);
}

enum fw_err fw_tlog_entry_policy(int version, const uint8_t sha256[32], const char *author, int64_t time,
				 struct fw_buf *entry)
{
	char hex[65];
	enum fw_err r;
	size_t mark = entry->len;
	fw_crypto_hex(sha256, 32, hex);
	if ((r = fw_buf_puts(entry, "{\"author\":")) != FW_OK || (r = json_str(entry, author)) != FW_OK ||
	    (r = fw_buf_printf(entry, ",\"policy_sha256\":\"%s\",\"time\":%" PRId64
			       ",\"type\":\"policy\",\"v\":1,\"version\":%d}",
			       hex, time, version)) != FW_OK)
		truncate_to(entry, mark);
	return r;
}

enum fw_err fw_tlog_entry_member(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *member_id,
				 const char *status, const char *reason, int64_t time, struct fw_buf *entry)
{
	uint8_t nonce[NONCE_BYTES], c[32];
	char nonce_hex[2 * NONCE_BYTES + 1], c_hex[65], in[FW_MODEL_ID_BYTES + 32];
	struct fw_buf opening;
	enum fw_err r;
	size_t mark = entry->len;
	if (!is_one_line(member_id) || !is_one_line(reason))
		return fw_err_set(FW_ERR_INVALID, "member and reason must be one line each");
	int n = snprintf(in, sizeof in, "%s\n%" PRId64, member_id, time);
	if (n < 0 || (size_t)n >= sizeof in)
		return FW_ERR_INVALID;
	if ((r = fw_crypto_prf(master, ctx_member, in, (size_t)n, nonce, sizeof nonce)) != FW_OK)
		return r;
	fw_crypto_hex(nonce, sizeof nonce, nonce_hex);
	fw_buf_init(&opening, 8192);
	if ((r = fw_buf_printf(&opening, "forewarn/log/member/v1\nmember %s\nreason %s\nnonce %s\n", member_id,
			       reason, nonce_hex)) != FW_OK)
		goto out;
	fw_crypto_sha256(opening.data, opening.len, c);
	fw_crypto_hex(c, 32, c_hex);
	if ((r = fw_buf_printf(entry, "{\"commitment\":\"%s\",\"status\":", c_hex)) != FW_OK ||
	    (r = json_str(entry, status)) != FW_OK ||
	    (r = fw_buf_printf(entry, ",\"time\":%" PRId64 ",\"type\":\"member\",\"v\":1}", time)) != FW_OK)
		truncate_to(entry, mark);
out:
	fw_crypto_wipe(nonce, sizeof nonce);
	fw_crypto_wipe(nonce_hex, sizeof nonce_hex);
	fw_buf_cleanup_secret(&opening);
	return r;
}

/* An operator's act on an advisory (schedule, expedite, trace): committed
 * like a member change, so that the entry tells nobody which advisory is
 * under embargo, while the operator can open it to prove what was done
 * and when. */
enum fw_err fw_tlog_entry_event(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *type, const char *subject,
				const char *details, int64_t time, struct fw_buf *entry)
{
	uint8_t nonce[NONCE_BYTES], c[32];
	char nonce_hex[2 * NONCE_BYTES + 1], c_hex[65], ctx[64], in[FW_MODEL_ID_BYTES + 64];
	struct fw_buf opening;
	enum fw_err r;
	size_t mark = entry->len;
	if (strcmp(type, "schedule") != 0 && strcmp(type, "expedite") != 0 && strcmp(type, "trace") != 0)
		return fw_err_set(FW_ERR_INVALID, "unknown log event type");
	if (!is_one_line(subject) || !is_one_line(details))
		return fw_err_set(FW_ERR_INVALID, "subject and details must be one line each");
	snprintf(ctx, sizeof ctx, "forewarn/log/%s-nonce/v1", type);
	int n = snprintf(in, sizeof in, "%s\n%" PRId64, subject, time);
	if (n < 0 || (size_t)n >= sizeof in)
		return FW_ERR_INVALID;
	if ((r = fw_crypto_prf(master, ctx, in, (size_t)n, nonce, sizeof nonce)) != FW_OK)
		return r;
	fw_crypto_hex(nonce, sizeof nonce, nonce_hex);
	fw_buf_init(&opening, FW_TLOG_EVENT_DETAILS_MAX + 4096);
	if ((r = fw_buf_printf(&opening, "forewarn/log/%s/v1\nsubject %s\ndetails %s\nnonce %s\n", type, subject,
			       details, nonce_hex)) != FW_OK)
		goto out;
	fw_crypto_sha256(opening.data, opening.len, c);
	fw_crypto_hex(c, 32, c_hex);
	if ((r = fw_buf_printf(entry, "{\"commitment\":\"%s\",\"time\":%" PRId64 ",\"type\":\"%s\",\"v\":1}", c_hex,
			       time, type)) != FW_OK)
		truncate_to(entry, mark);
out:
	fw_crypto_wipe(nonce, sizeof nonce);
	fw_crypto_wipe(nonce_hex, sizeof nonce_hex);
	fw_buf_cleanup_secret(&opening);
	return r;
}

/* --- member-signed receipts ---------------------------------------------- */
static const char ctx_receipt[] = "forewarn/log/receipt-nonce/v1";

static bool is_hash_hex(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* One line with no space: every field of a statement but the hashes is an
 * id, a name or a log origin, so a space or a newline is never right. */
static bool is_word(const char *s)
{
	return s && *s && strcspn(s, " \t\r\n") == strlen(s);
}

enum fw_err fw_tlog_ack_statement(const struct fw_tlog_ack_subject *s, char out[FW_TLOG_ACK_STATEMENT_BYTES])
{
	if (!is_word(s->origin) || !is_word(s->member_id) || !is_word(s->advisory_id) || !is_word(s->kind) ||
	    !is_hash_hex(s->sealed_sha256) || !is_hash_hex(s->plain_sha256) || s->delivery_id <= 0 ||
	    s->version < 1 || s->delivery_index > INT64_MAX)
		return fw_err_set(FW_ERR_INVALID, "delivery fields cannot go into an acknowledgement");
	int n = snprintf(out, FW_TLOG_ACK_STATEMENT_BYTES,
			 "forewarn/ack/v1\nlog %s\ndelivery %" PRId64 "\nmember %s\nadvisory %s\nkind %s\nversion %lld\n"
			 "sealed-sha256 %s\nplain-sha256 %s\nlog-index %" PRIu64 "\n",
			 s->origin, s->delivery_id, s->member_id, s->advisory_id, s->kind, s->version, s->sealed_sha256,
			 s->plain_sha256, s->delivery_index);
	if (n < 0 || (size_t)n >= FW_TLOG_ACK_STATEMENT_BYTES)
		return fw_err_set(FW_ERR_INVALID, "delivery fields too long for an acknowledgement");
	return FW_OK;
}

enum fw_err fw_tlog_receipt_opening(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *member_id,
				    int64_t delivery_id, const char *statement, size_t n, char out[FW_TLOG_OPENING_BYTES])
{
	char in[FW_MODEL_ID_BYTES + 32], nonce_hex[2 * NONCE_BYTES + 1], st_hex[65];
	uint8_t nonce[NONCE_BYTES], st[32];
	enum fw_err r;
	if (!is_word(member_id) || delivery_id <= 0 || !statement || n == 0)
		return fw_err_set(FW_ERR_INVALID, "receipt fields cannot go into a log entry");
	int k = snprintf(in, sizeof in, "%s\n%" PRId64, member_id, delivery_id);
	if (k < 0 || (size_t)k >= sizeof in)
		return fw_err_set(FW_ERR_INVALID, "member id too long for a log entry");
	if ((r = fw_crypto_prf(master, ctx_receipt, in, (size_t)k, nonce, sizeof nonce)) != FW_OK)
		return r;
	fw_crypto_hex(nonce, sizeof nonce, nonce_hex);
	fw_crypto_wipe(nonce, sizeof nonce);
	fw_crypto_sha256(statement, n, st);
	fw_crypto_hex(st, sizeof st, st_hex);
	k = snprintf(out, FW_TLOG_OPENING_BYTES,
		     "forewarn/log/receipt/v1\nmember %s\ndelivery %" PRId64 "\nstatement-sha256 %s\nnonce %s\n",
		     member_id, delivery_id, st_hex, nonce_hex);
	fw_crypto_wipe(nonce_hex, sizeof nonce_hex);
	if (k < 0 || (size_t)k >= FW_TLOG_OPENING_BYTES)
		return fw_err_set(FW_ERR_INVALID, "receipt fields too long for a log entry");
	return FW_OK;
}

enum fw_err fw_tlog_entry_receipt(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *member_id,
				  int64_t delivery_id, const char *statement, size_t n, uint64_t delivery_index,
				  const uint8_t signature_sha256[32], int64_t time, struct fw_buf *entry)
{
	char opening[FW_TLOG_OPENING_BYTES], c_hex[65], s_hex[65];
	uint8_t c[32];
	enum fw_err r;
	if (delivery_index > INT64_MAX)
		return fw_err_set(FW_ERR_INVALID, "log index out of range");
	if ((r = fw_tlog_receipt_opening(master, member_id, delivery_id, statement, n, opening)) != FW_OK)
		return r;
	fw_crypto_sha256(opening, strlen(opening), c);
	fw_crypto_wipe(opening, sizeof opening);
	fw_crypto_hex(c, 32, c_hex);
	fw_crypto_hex(signature_sha256, 32, s_hex);
	return fw_buf_printf(entry, "{\"commitment\":\"%s\",\"delivery_index\":%" PRIu64 ",\"signature_sha256\":\"%s\","
			     "\"time\":%" PRId64 ",\"type\":\"receipt\",\"v\":1}",
			     c_hex, delivery_index, s_hex, time);
}
