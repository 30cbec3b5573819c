/* The transparency log: the C2SP tlog-tiles read API under /log/, JSON
 * proofs under /api/v1/log/, and each delivery's receipt.
 *
 * Who may read: any authenticated token (admin, member, auditor); nobody
 * anonymously. An entry names no member, advisory or kind (they are inside
 * commitments, docs/log.md "Entries"), so what the log shows a reader is
 * how many entries there are and when they were made. Even that says "an
 * embargoed release is going on now", which the world at large should not
 * learn from us; members and auditors need it to check the log. A receipt
 * and the opening of its commitment go only to the delivery's own member
 * (and admins): to anyone else it is "not found", as for the copy itself.
 *
 * Witness cosignatures (POST /api/v1/log/cosignatures) are accepted from
 * admin and auditor tokens only: the signature proves which witness made a
 * line, the token says who may hand lines in (a witness runs with an
 * auditor's token; no member can add anything to what other members see). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/log.h"
#include "http/internal.h"
#include "tlog/tlog.h"

/* A cosignature's time may be this far ahead of the server's clock (clocks
 * drift), no further: no witness can have seen a checkpoint in the future. */
#define COSIG_AHEAD_MAX_S 600

static enum fw_err need_log(const struct fw_req *req)
{
	if (!req->app->log)
		return fw_err_set(FW_ERR_UNAVAILABLE, "the transparency log is not running");
	return FW_OK;
}

/* A query number in [0, INT64_MAX]; *given tells whether it was there. */
static enum fw_err query_u64(const struct fw_req *req, const char *key, uint64_t *out, bool *given)
{
	const char *q = fw_req_query(req, key);
	*given = q != NULL;
	if (!q)
		return FW_OK;
	char *end;
	if (*q < '0' || *q > '9')
		return fw_err_set(FW_ERR_INVALID, "%s must be a non-negative number", key);
	unsigned long long v = strtoull(q, &end, 10);
	if (*end || v > INT64_MAX || (q[0] == '0' && q[1]))
		return fw_err_set(FW_ERR_INVALID, "%s must be a non-negative number", key);
	*out = v;
	return FW_OK;
}

enum fw_err fw_api_log_checkpoint(struct fw_req *req, struct fw_resp *resp)
{
	enum fw_err r;
	if ((r = need_log(req)) != FW_OK ||
	    (r = fw_tlog_log_checkpoint(req->app->log, true, 0, &resp->raw, NULL)) != FW_OK)
		return r;
	resp->content_type = "text/plain; charset=utf-8";
	return FW_OK;
}

/* /log/tile/<L>/<N>[.p/<W>] and /log/tile/entries/<N>[.p/<W>]: the route
 * table matches them by segment count; the path itself is parsed here,
 * strictly (only the canonical spelling). */
enum fw_err fw_api_log_tile(struct fw_req *req, struct fw_resp *resp)
{
	static const char prefix[] = "/log/";
	struct fw_tlog_tile t;
	enum fw_err r;
	if ((r = need_log(req)) != FW_OK)
		return r;
	if (strncmp(req->path, prefix, sizeof prefix - 1) != 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no such tile");
	const char *p = req->path + sizeof prefix - 1;
	if (fw_tlog_tile_path_parse(p, strlen(p), &t) != FW_OK) {
		fw_err_clear();
		return fw_err_set(FW_ERR_NOT_FOUND, "no such tile");
	}
	if ((r = fw_tlog_log_tile(req->app->log, &t, &resp->raw)) != FW_OK)
		return r;
	resp->content_type = "application/octet-stream";
	return FW_OK;
}

static json_t *proof_json(const struct fw_tlog_proof *p)
{
	json_t *arr = json_array();
	char b64[48]; /* base64 of 32 bytes is 44 characters */
	for (size_t i = 0; arr && i < p->n; i++) {
		if (fw_crypto_base64_encode(p->hash[i], FW_TLOG_HASH_BYTES, b64, sizeof b64) != FW_OK ||
		    json_array_append_new(arr, json_string(b64)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The newest checkpoint (its size into *size), or that of *size. */
static enum fw_err checkpoint_at(struct fw_req *req, bool latest, uint64_t *size, struct fw_buf *note)
{
	uint64_t got = 0;
	enum fw_err r = fw_tlog_log_checkpoint(req->app->log, latest, *size, note, &got);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "the log has no checkpoint of size %" PRIu64, *size);
	if (r == FW_OK)
		*size = got;
	return r;
}

/* ?index=I[&size=S]: the inclusion proof of entry I in the tree of S
 * (default: the newest checkpoint), with that checkpoint. */
enum fw_err fw_api_log_proof_inclusion(struct fw_req *req, struct fw_resp *resp)
{
	uint64_t index = 0, size = 0;
	bool has_index, has_size;
	struct fw_tlog_proof proof;
	struct fw_buf note;
	enum fw_err r;
	if ((r = need_log(req)) != FW_OK || (r = query_u64(req, "index", &index, &has_index)) != FW_OK ||
	    (r = query_u64(req, "size", &size, &has_size)) != FW_OK)
		return r;
	if (!has_index)
		return fw_err_set(FW_ERR_INVALID, "index is required");
	fw_buf_init(&note, FW_TLOG_NOTE_MAX);
	if ((r = checkpoint_at(req, !has_size, &size, &note)) != FW_OK)
		goto out;
	if (index >= size) {
		r = fw_err_set(FW_ERR_INVALID, "index must be below the tree size %" PRIu64, size);
		goto out;
	}
	if ((r = fw_tlog_log_inclusion(req->app->log, index, size, &proof)) != FW_OK)
		goto out;
	r = fw_resp_json(resp, json_pack("{s:I,s:I,s:o,s:s}", "index", (json_int_t)index, "size",
					 (json_int_t)size, "proof", proof_json(&proof), "checkpoint",
					 fw_buf_str(&note)));
out:
	fw_buf_cleanup(&note);
	return r;
}

/* ?from=S1[&to=S2]: the consistency proof from the tree of S1 to that of S2
 * (default: the newest checkpoint), with both checkpoints. */
enum fw_err fw_api_log_proof_consistency(struct fw_req *req, struct fw_resp *resp)
{
	uint64_t from = 0, to = 0;
	bool has_from, has_to;
	struct fw_tlog_proof proof;
	struct fw_buf n1, n2;
	enum fw_err r;
	if ((r = need_log(req)) != FW_OK || (r = query_u64(req, "from", &from, &has_from)) != FW_OK ||
	    (r = query_u64(req, "to", &to, &has_to)) != FW_OK)
		return r;
	if (!has_from || from == 0)
		return fw_err_set(FW_ERR_INVALID, "from must be a tree size above 0");
	fw_buf_init(&n1, FW_TLOG_NOTE_MAX);
	fw_buf_init(&n2, FW_TLOG_NOTE_MAX);
	if ((r = checkpoint_at(req, !has_to, &to, &n2)) != FW_OK)
		goto out;
	if (from > to) {
		r = fw_err_set(FW_ERR_INVALID, "from (%" PRIu64 ") is past the tree size %" PRIu64, from, to);
		goto out;
	}
	if ((r = fw_tlog_log_consistency(req->app->log, from, to, &proof)) != FW_OK)
		goto out;
	/* The older checkpoint too when the log signed one of that size. */
	uint64_t s1 = from;
	bool have1 = fw_tlog_log_checkpoint(req->app->log, false, s1, &n1, NULL) == FW_OK;
	fw_err_clear();
	r = fw_resp_json(resp, json_pack("{s:I,s:I,s:o,s:s?,s:s}", "from", (json_int_t)from, "to", (json_int_t)to,
					 "proof", proof_json(&proof), "from_checkpoint",
					 have1 ? fw_buf_str(&n1) : NULL, "checkpoint", fw_buf_str(&n2)));
out:
	fw_buf_cleanup(&n1);
	fw_buf_cleanup(&n2);
	return r;
}

/* The receipt of a delivery: the C2SP tlog-proof, the entry, and the
 * opening of the entry's commitment (which names the member). */
enum fw_err fw_api_delivery_receipt(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery d;
	struct fw_buf receipt, entry;
	char opening[FW_TLOG_OPENING_BYTES];
	uint8_t leaf[FW_TLOG_HASH_BYTES];
	char leaf_hex[2 * FW_TLOG_HASH_BYTES + 1];
	uint64_t index = 0;
	enum fw_err r;
	char *end;
	if ((r = need_log(req)) != FW_OK)
		return r;
	long long id = strtoll(req->params[0], &end, 10);
	if (*end || id <= 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no delivery %.24s", req->params[0]);
	r = fw_store_delivery_get(req->app->store, id, &d);
	if (r == FW_OK && !fw_req_is_admin(req) && strcmp(d.member_id, req->auth.member_id) != 0)
		r = FW_ERR_NOT_FOUND;
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "no delivery %.24s", req->params[0]);
	if (r != FW_OK)
		return r;
	fw_buf_init(&receipt, FW_TLOG_RECEIPT_MAX);
	fw_buf_init(&entry, FW_TLOG_ENTRY_MAX);
	r = fw_tlog_log_receipt(req->app->log, d.id, &receipt, &entry, &index);
	if (r == FW_ERR_NOT_FOUND) /* a delivery from before the log existed */
		r = fw_err_set(FW_ERR_NOT_FOUND, "delivery %lld has no log entry", (long long)d.id);
	if (r != FW_OK || (r = fw_tlog_delivery_opening(req->app->master_key, &d, opening)) != FW_OK)
		goto out;
	fw_tlog_leaf_hash(entry.data, entry.len, leaf);
	fw_crypto_hex(leaf, sizeof leaf, leaf_hex);
	r = fw_resp_json(resp, json_pack("{s:I,s:I,s:s%,s:s,s:s,s:s}", "delivery", (json_int_t)d.id, "index",
					 (json_int_t)index, "entry", (const char *)entry.data, entry.len,
					 "leaf_hash", leaf_hex, "opening", opening, "receipt",
					 fw_buf_str(&receipt)));
out:
	fw_crypto_wipe(opening, sizeof opening);
	fw_buf_cleanup(&receipt);
	fw_buf_cleanup(&entry);
	return r;
}

/* --- witness cosignatures ------------------------------------------------ */
/* The log's own signed note of `size` (without cosignatures), checked with
 * the log's key; *text_len is the length of its checkpoint text. */
static enum fw_err own_checkpoint(struct fw_req *req, uint64_t size, struct fw_buf *note, size_t *text_len)
{
	char vk[FW_TLOG_VKEY_BYTES];
	struct fw_tlog_vkey key;
	struct fw_tlog_note_info info;
	enum fw_err r = fw_store_log_checkpoint_get(req->app->store, false, size, NULL, note);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "the log has no checkpoint of size %" PRIu64, size);
	if (r != FW_OK || (r = fw_tlog_log_vkey(req->app->log, vk)) != FW_OK ||
	    (r = fw_tlog_vkey_parse(vk, strlen(vk), &key)) != FW_OK)
		return r;
	if (fw_tlog_note_verify(fw_buf_str(note), note->len, &key, 1, &info) != FW_OK) {
		fw_log_error("http", "the stored checkpoint of size %" PRIu64 " does not verify with the log's key", size);
		return FW_ERR_STORE;
	}
	*text_len = info.text_len;
	return FW_OK;
}

static json_t *cosig_json(const struct fw_tlog_vkey *k, uint64_t time, bool stored)
{
	char id[9];
	snprintf(id, sizeof id, "%08" PRIx32, k->id);
	return json_pack("{s:s,s:s,s:I,s:b}", "witness", k->name, "key_id", id, "time", (json_int_t)time, "stored",
			 stored);
}

/* Stores the verified lines; *any tells whether one was new. */
static enum fw_err store_cosigs(struct fw_req *req, uint64_t size, const struct fw_tlog_vkey *w,
				const struct fw_tlog_cosig *c, size_t n, json_t *arr, bool *any)
{
	struct fw_store_cosig rec;
	enum fw_err r = FW_OK;
	for (size_t i = 0; i < n && r == FW_OK; i++) {
		bool added = false;
		memset(&rec, 0, sizeof rec);
		rec.size = size;
		snprintf(rec.witness, sizeof rec.witness, "%s", w[c[i].key].name);
		rec.key_id = w[c[i].key].id;
		rec.time = c[i].time;
		rec.created_at = fw_clock_now();
		if (c[i].line_len + 2 > sizeof rec.line)
			return fw_err_set(FW_ERR_TOO_LARGE, "line %zu is too long", i + 1);
		memcpy(rec.line, c[i].line, c[i].line_len);
		rec.line[c[i].line_len] = '\n';
		if ((r = fw_store_log_cosig_add(req->app->store, &rec, &added)) != FW_OK)
			break;
		if (added)
			fw_log_info("http", "checkpoint %" PRIu64 " cosigned by witness %s (key %08" PRIx32 ")", size,
				    rec.witness, rec.key_id);
		*any |= added;
		if (json_array_append_new(arr, cosig_json(&w[c[i].key], c[i].time, added)) != 0)
			r = FW_ERR_NOMEM;
	}
	return r;
}

/* ?size=N with the cosignature lines a witness made over the log's
 * checkpoint of size N (text/plain, as C2SP tlog-witness answers
 * add-checkpoint). Every line must be a configured witness's and verify;
 * nothing is stored otherwise. */
enum fw_err fw_api_log_cosignatures(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_tlog_cosig got[FW_TLOG_COSIG_LINES_MAX];
	const struct fw_tlog_vkey *w;
	struct fw_buf note;
	uint64_t size = 0;
	size_t nw = 0, n = 0, text_len = 0;
	bool has_size, any = false;
	json_t *arr = NULL;
	enum fw_err r;
	if ((r = need_log(req)) != FW_OK || (r = query_u64(req, "size", &size, &has_size)) != FW_OK)
		return r;
	if (!has_size)
		return fw_err_set(FW_ERR_INVALID, "size is required: the tree size of the checkpoint cosigned");
	if (req->content_type && strncasecmp(req->content_type, "text/plain", 10) != 0)
		return fw_err_set(FW_ERR_UNSUPPORTED, "send the cosignature lines as text/plain");
	w = fw_tlog_log_witnesses(req->app->log, &nw);
	if (nw == 0)
		return fw_err_set(FW_ERR_STATE, "this server has no witnesses configured (forewarnd --witness)");
	fw_buf_init(&note, FW_TLOG_NOTE_MAX);
	if ((r = own_checkpoint(req, size, &note, &text_len)) != FW_OK)
		goto out;
	r = fw_tlog_cosigs_check(fw_buf_str(&note), text_len, (const char *)req->body, req->body_len, w, nw, got,
				 FW_TLOG_COSIG_LINES_MAX, &n);
	if (r == FW_ERR_NOT_FOUND) /* a key that is no witness of this log */
		r = fw_err_set(FW_ERR_FORBIDDEN, "%s", fw_err_detail());
	if (r != FW_OK)
		goto out;
	int64_t now = fw_clock_now();
	for (size_t i = 0; i < n; i++)
		if (now < 0 || got[i].time > (uint64_t)now + COSIG_AHEAD_MAX_S) {
			r = fw_err_set(FW_ERR_INVALID, "line %zu: the cosignature of witness %s is dated %" PRIu64
				       ", more than %d s ahead of the server's clock (%" PRId64 ")", i + 1,
				       w[got[i].key].name, got[i].time, COSIG_AHEAD_MAX_S, now);
			goto out;
		}
	if (!(arr = json_array())) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	if ((r = store_cosigs(req, size, w, got, n, arr, &any)) != FW_OK)
		goto out;
	resp->created = any;
	r = fw_resp_json(resp, json_pack("{s:I,s:o}", "size", (json_int_t)size, "cosignatures", arr));
	arr = NULL;
out:
	json_decref(arr);
	fw_buf_cleanup(&note);
	return r;
}
