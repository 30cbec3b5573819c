/* Deliveries: a member sees only its own; every download is recorded; a
 * member acknowledges a copy by signing its statement (docs/log.md,
 * "Acknowledgements"). */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "http/internal.h"
#include "tlog/tlog.h"

static enum fw_err query_id(const struct fw_req *req, const char *key, int64_t *out)
{
	const char *q = fw_req_query(req, key);
	if (!q)
		return FW_OK;
	char *end;
	long long v = strtoll(q, &end, 10);
	if (*end || end == q || v < 0)
		return fw_err_set(FW_ERR_INVALID, "%s must be a non-negative number", key);
	*out = v;
	return FW_OK;
}

static enum fw_err path_id(const struct fw_req *req, int64_t *out)
{
	char *end;
	long long v = strtoll(req->params[0], &end, 10);
	if (*end || v <= 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no delivery %.24s", req->params[0]);
	*out = v;
	return FW_OK;
}

/* The delivery, if the asker may see it: another member's copy is "not
 * found", word for word as one that does not exist. */
static enum fw_err visible_delivery(struct fw_req *req, struct fw_delivery *d)
{
	int64_t id = 0;
	enum fw_err r;
	if ((r = path_id(req, &id)) != FW_OK)
		return r;
	r = fw_store_delivery_get(req->app->store, id, d);
	if (r == FW_OK && !fw_req_is_admin(req) && strcmp(d->member_id, req->auth.member_id) != 0)
		r = FW_ERR_NOT_FOUND;
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "no delivery %.24s", req->params[0]);
	return r;
}

/* A delivery as the API shows it: the model's JSON and when its member
 * acknowledged it ("acked_at", null until then). */
static json_t *delivery_json(const struct fw_delivery *d, int64_t acked_at)
{
	json_t *o = fw_delivery_to_json(d);
	if (o && json_object_set_new(o, "acked_at", fw_time_to_json(acked_at)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

enum fw_err fw_api_delivery_list(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery_filter f = {.member_id = fw_req_query(req, "member"),
				       .advisory_id = fw_req_query(req, "advisory")};
	struct fw_delivery *d = NULL;
	size_t n = 0;
	int64_t limit = 0;
	enum fw_err r;

	if ((r = query_id(req, "after", &f.after_id)) != FW_OK || (r = query_id(req, "limit", &limit)) != FW_OK)
		return r;
	if (limit > FW_STORE_MAX_LIST)
		limit = FW_STORE_MAX_LIST;
	f.limit = (size_t)limit;
	if (!fw_req_is_admin(req))
		f.member_id = req->auth.member_id;
	if ((r = fw_store_delivery_list(req->app->store, &f, &d, &n)) != FW_OK)
		return r;
	int64_t *ids = calloc(n ? n : 1, sizeof *ids), *acked = calloc(n ? n : 1, sizeof *acked);
	json_t *arr = NULL;
	if (!ids || !acked) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = d[i].id;
	if ((r = fw_store_ack_times(req->app->store, ids, n, acked)) != FW_OK)
		goto out;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, delivery_json(&d[i], acked[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	r = fw_resp_json(resp, fw_json_wrap("deliveries", arr));
out:
	free(ids);
	free(acked);
	free(d);
	return r;
}

enum fw_err fw_api_delivery_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery d;
	enum fw_err r;
	int64_t acked = 0;
	if ((r = visible_delivery(req, &d)) != FW_OK ||
	    (r = fw_store_ack_times(req->app->store, &d.id, 1, &acked)) != FW_OK)
		return r;
	return fw_resp_json(resp, delivery_json(&d, acked));
}

static enum fw_err record_read(struct fw_req *req, const struct fw_delivery *d, const char *what)
{
	struct fw_delivery_read rd;
	memset(&rd, 0, sizeof rd);
	rd.delivery_id = d->id;
	rd.at = fw_clock_now();
	snprintf(rd.token_id, sizeof rd.token_id, "%s", req->auth.token_id);
	snprintf(rd.member_id, sizeof rd.member_id, "%s", req->auth.role == FW_ROLE_MEMBER ? req->auth.member_id : "");
	snprintf(rd.remote, sizeof rd.remote, "%s", req->remote);
	snprintf(rd.what, sizeof rd.what, "%s", what);
	return fw_store_delivery_read_add(req->app->store, &rd);
}

static enum fw_err send_content(struct fw_req *req, struct fw_resp *resp, bool copy)
{
	struct fw_delivery d;
	enum fw_err r;
	if ((r = visible_delivery(req, &d)) != FW_OK)
		return r;
	if (req->auth.role == FW_ROLE_MEMBER) {
		/* A suspended member keeps its token (it can see its status and what
		 * it was given) but cannot download any copy, not even old ones. */
		struct fw_member m;
		if ((r = fw_store_member_get(req->app->store, req->auth.member_id, &m)) != FW_OK)
			return r;
		if (m.status == FW_MEMBER_SUSPENDED || m.status == FW_MEMBER_EXPELLED)
			return fw_err_set(FW_ERR_FORBIDDEN, "member %s is %s: copies cannot be downloaded", m.id,
					  fw_member_status_name(m.status));
	}
	/* Record first: a copy that cannot be accounted for is not handed out. */
	if ((r = record_read(req, &d, copy ? "copy" : "minisig")) != FW_OK)
		return r;
	if ((r = fw_store_delivery_content(req->app->store, d.id, copy ? &resp->raw : NULL,
					   copy ? NULL : &resp->raw)) != FW_OK)
		return r;
	resp->content_type = copy ? "application/octet-stream" : "text/plain; charset=utf-8";
	return FW_OK;
}

enum fw_err fw_api_delivery_copy(struct fw_req *req, struct fw_resp *resp)
{
	return send_content(req, resp, true);
}

enum fw_err fw_api_delivery_minisig(struct fw_req *req, struct fw_resp *resp)
{
	return send_content(req, resp, false);
}

enum fw_err fw_api_delivery_reads(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery d;
	struct fw_delivery_read *rd = NULL;
	size_t n = 0;
	enum fw_err r;
	if ((r = visible_delivery(req, &d)) != FW_OK)
		return r;
	if ((r = fw_store_delivery_read_list(req->app->store, d.id, &rd, &n)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *e = json_pack("{s:s,s:s?,s:o,s:s,s:s}", "token_id", rd[i].token_id, "member",
				      rd[i].member_id[0] ? rd[i].member_id : NULL, "at", fw_time_to_json(rd[i].at),
				      "remote", rd[i].remote, "what", rd[i].what);
		if (!e || json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(rd);
	return fw_resp_json(resp, fw_json_wrap("reads", arr));
}

/* --- acknowledgements: member-signed receipts ---------------------------- */
#define ACK_ENTRY_MAX 512 /* a receipt entry is about 250 bytes */

static enum fw_err need_log(const struct fw_req *req)
{
	if (!req->app->log)
		return fw_err_set(FW_ERR_UNAVAILABLE, "the transparency log is not running");
	return FW_OK;
}

/* The statement of a delivery (docs/log.md, "Acknowledgements") and the
 * index of the delivery's entry it names. */
static enum fw_err statement_of(struct fw_req *req, const struct fw_delivery *d, uint64_t *index,
				char out[FW_TLOG_ACK_STATEMENT_BYTES])
{
	char sealed[65], plain[65];
	enum fw_err r = fw_store_log_delivery_entry(req->app->store, d->id, index, NULL);
	if (r == FW_ERR_NOT_FOUND) /* sealed before the log existed */
		return fw_err_set(FW_ERR_STATE, "delivery %lld has no log entry, so it cannot be acknowledged",
				  (long long)d->id);
	if (r != FW_OK)
		return r;
	fw_crypto_hex(d->sha256_sealed, 32, sealed);
	fw_crypto_hex(d->sha256_plain, 32, plain);
	struct fw_tlog_ack_subject s = {.origin = fw_tlog_log_origin(req->app->log),
					.delivery_id = d->id,
					.member_id = d->member_id,
					.advisory_id = d->advisory_id,
					.kind = fw_kind_name(d->kind),
					.version = d->version,
					.sealed_sha256 = sealed,
					.plain_sha256 = plain,
					.delivery_index = *index};
	return fw_tlog_ack_statement(&s, out);
}

static enum fw_err copy_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t n)
{
	(void)index;
	return fw_buf_append(ctx, entry, n);
}

/* The answer about a stored acknowledgement: the statement and signature
 * as the member sent them (`minisign -V -H` checks them with public_key),
 * its receipt entry, and the entry's opening. */
static enum fw_err ack_json(struct fw_req *req, const struct fw_store_ack *a, const struct fw_buf *statement,
			    const struct fw_buf *signature, uint64_t delivery_index, json_t **out)
{
	char opening[FW_TLOG_OPENING_BYTES];
	struct fw_buf entry;
	enum fw_err r;
	fw_buf_init(&entry, ACK_ENTRY_MAX);
	if (a->logged && (r = fw_store_log_entries(req->app->store, a->log_index, 1, copy_entry, &entry)) != FW_OK)
		goto out;
	if ((r = fw_tlog_receipt_opening(req->app->master_key, a->member_id, a->delivery_id, fw_buf_str(statement),
					 statement->len, opening)) != FW_OK)
		goto out;
	json_t *j = json_pack("{s:I,s:b,s:o,s:s,s:s,s:s,s:s,s:I,s:s}", "delivery", (json_int_t)a->delivery_id, "acked",
			      1, "acked_at", fw_time_to_json(a->acked_at), "member", a->member_id, "statement",
			      fw_buf_str(statement), "signature", fw_buf_str(signature), "public_key", a->public_key,
			      "delivery_index", (json_int_t)delivery_index, "log_origin", fw_tlog_log_origin(req->app->log));
	if (j && a->logged &&
	    (json_object_set_new(j, "receipt_index", json_integer((json_int_t)a->log_index)) != 0 ||
	     json_object_set_new(j, "entry", json_stringn(fw_buf_str(&entry), entry.len)) != 0 ||
	     json_object_set_new(j, "opening", json_string(opening)) != 0)) {
		json_decref(j);
		j = NULL;
	}
	r = j ? FW_OK : FW_ERR_NOMEM;
	*out = j;
out:
	fw_buf_cleanup(&entry);
	return r;
}

/* GET: for its member and an admin, the statement to sign, or the stored
 * acknowledgement. Not for auditors: an auditor's token reads the log and
 * nothing else (witnesses use such tokens), and a statement names the
 * member, the advisory and the kind; the operator hands a statement to
 * whoever must check it. */
enum fw_err fw_api_delivery_ack_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery d;
	struct fw_store_ack a;
	struct fw_buf statement, signature;
	char text[FW_TLOG_ACK_STATEMENT_BYTES];
	uint64_t index = 0;
	json_t *j = NULL;
	enum fw_err r;
	if ((r = need_log(req)) != FW_OK || (r = visible_delivery(req, &d)) != FW_OK)
		return r;
	fw_buf_init(&statement, FW_STORE_ACK_STATEMENT_MAX);
	fw_buf_init(&signature, FW_STORE_ACK_SIGNATURE_MAX);
	if ((r = fw_store_ack_get(req->app->store, d.id, &a, &statement, &signature)) == FW_OK) {
		if ((r = fw_store_log_delivery_entry(req->app->store, d.id, &index, NULL)) == FW_OK &&
		    (r = ack_json(req, &a, &statement, &signature, index, &j)) == FW_OK)
			r = fw_resp_json(resp, j);
		goto out;
	}
	if (r != FW_ERR_NOT_FOUND)
		goto out;
	struct fw_member m;
	if ((r = statement_of(req, &d, &index, text)) != FW_OK ||
	    (r = fw_store_member_get(req->app->store, d.member_id, &m)) != FW_OK)
		goto out;
	r = fw_resp_json(resp, json_pack("{s:I,s:b,s:s,s:s,s:I,s:s,s:b}", "delivery", (json_int_t)d.id, "acked", 0,
					 "member", d.member_id, "statement", text, "delivery_index",
					 (json_int_t)index, "log_origin", fw_tlog_log_origin(req->app->log),
					 "minisign_key_registered", m.minisign_pubkey[0] != '\0'));
out:
	fw_buf_cleanup(&statement);
	fw_buf_cleanup(&signature);
	return r;
}

/* Only prehashed signatures ("ED", what `minisign -S` makes by default) are
 * taken: every stored acknowledgement then checks with `minisign -V -H`. A
 * signature line that does not decode is left to fw_minisign_verify to
 * report. */
static enum fw_err require_prehashed(const uint8_t *sig, size_t n)
{
	uint8_t blob[80];
	size_t len = 0;
	const uint8_t *eol = memchr(sig, '\n', n);
	if (!eol)
		return FW_OK;
	const char *line = (const char *)eol + 1;
	const uint8_t *end = memchr(line, '\n', n - (size_t)(eol + 1 - sig));
	size_t ll = end ? (size_t)(end - (const uint8_t *)line) : n - (size_t)(eol + 1 - sig);
	if (ll && line[ll - 1] == '\r')
		ll--;
	if (fw_crypto_base64_decode(line, ll, blob, sizeof blob, &len) != FW_OK) {
		fw_err_clear();
		return FW_OK;
	}
	if (len >= 2 && blob[0] == 'E' && blob[1] == 'd')
		return fw_err_set(FW_ERR_INVALID, "a legacy minisign signature (\"Ed\", minisign -l) is not accepted: "
				  "sign the statement with minisign -S, without -l (prehashed, the default)");
	return FW_OK;
}

struct receipt_ctx {
	const uint8_t *master;
	const struct fw_store_ack *a;
	const char *statement;
	size_t n;
	uint64_t delivery_index;
	uint8_t signature_sha256[32];
};

/* The log hook: the receipt entry, made inside the store's transaction. */
static enum fw_err make_receipt(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32])
{
	struct receipt_ctx *c = ctx;
	enum fw_err r = fw_tlog_entry_receipt(c->master, c->a->member_id, c->a->delivery_id, c->statement, c->n,
					      c->delivery_index, c->signature_sha256, c->a->acked_at, entry);
	if (r == FW_OK)
		fw_tlog_leaf_hash(entry->data, entry->len, leaf_hash);
	return r;
}

/* The member's registered minisign key, or why there is none. */
static enum fw_err member_key(struct fw_req *req, const char *member_id, struct fw_verify_key *k, char *line,
			      size_t line_bytes)
{
	struct fw_member m;
	enum fw_err r;
	if ((r = fw_store_member_get(req->app->store, member_id, &m)) != FW_OK)
		return r;
	if (!m.minisign_pubkey[0])
		return fw_err_set(FW_ERR_STATE,
				  "member %s has no minisign public key registered: ask the program's operator to "
				  "register one (forewarn member update %s --minisign-key KEY.pub), then acknowledge again",
				  m.id, m.id);
	if (fw_minisign_public_parse(m.minisign_pubkey, strlen(m.minisign_pubkey), k) != FW_OK) {
		fw_log_error("http", "member %s has a malformed minisign public key on record", m.id);
		return fw_err_set(FW_ERR_STATE, "member %s's registered minisign public key is malformed", m.id);
	}
	snprintf(line, line_bytes, "%s", m.minisign_pubkey);
	return FW_OK;
}

/* POST: the body is the minisign signature file of the delivery's
 * statement. It is checked against the statement rebuilt here and the
 * member's registered key, then stored with its receipt entry in one
 * transaction. A replay of the same signature is answered as the first
 * time (200 instead of 201); another signature of an acknowledged
 * delivery is refused. */
enum fw_err fw_api_delivery_ack_post(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery d;
	struct fw_verify_key k;
	struct fw_store_ack a;
	struct fw_buf statement, signature;
	char text[FW_TLOG_ACK_STATEMENT_BYTES];
	uint64_t index = 0;
	bool added = false;
	json_t *j = NULL;
	enum fw_err r;
	memset(&a, 0, sizeof a);
	if ((r = need_log(req)) != FW_OK || (r = visible_delivery(req, &d)) != FW_OK ||
	    (r = member_key(req, d.member_id, &k, a.public_key, sizeof a.public_key)) != FW_OK)
		return r;
	if (req->body_len == 0)
		return fw_err_set(FW_ERR_INVALID, "the body must be the minisign signature (.minisig) of the statement");
	if (req->body_len > FW_STORE_ACK_SIGNATURE_MAX)
		return fw_err_set(FW_ERR_TOO_LARGE, "a signature file is at most %u bytes", FW_STORE_ACK_SIGNATURE_MAX);
	if (!fw_utf8_is_text(req->body, req->body_len))
		return fw_err_set(FW_ERR_INVALID, "the signature file is not UTF-8 text");
	if ((r = require_prehashed(req->body, req->body_len)) != FW_OK ||
	    (r = statement_of(req, &d, &index, text)) != FW_OK)
		return r;
	r = fw_minisign_verify(&k, (const uint8_t *)text, strlen(text), (const char *)req->body, req->body_len, NULL, 0);
	if (r != FW_OK) {
		char why[200];
		snprintf(why, sizeof why, "%s", fw_err_detail());
		if (r != FW_ERR_CRYPTO)
			return fw_err_set(r, "not a minisign signature file: %s", why);
		return fw_err_set(FW_ERR_CRYPTO, "the signature is not member %s's signature of delivery %lld's statement "
				  "(%s): sign exactly the statement GET /api/v1/deliveries/%lld/ack returns, with the key "
				  "registered for %s", d.member_id, (long long)d.id, why, (long long)d.id, d.member_id);
	}
	snprintf(a.member_id, sizeof a.member_id, "%s", d.member_id);
	a.delivery_id = d.id;
	a.acked_at = fw_clock_now();
	struct receipt_ctx ctx = {.master = req->app->master_key, .a = &a, .statement = text, .n = strlen(text),
				  .delivery_index = index};
	fw_crypto_sha256(req->body, req->body_len, ctx.signature_sha256);
	struct fw_store_log_hook hook = {.make = make_receipt, .ctx = &ctx};
	if ((r = fw_store_ack_add(req->app->store, &a, text, strlen(text), (const char *)req->body, req->body_len, &hook,
				  &added)) != FW_OK)
		return r;
	if (added) {
		fw_tlog_log_wake(req->app->log);
		fw_log_info("http", "delivery %lld acknowledged by %s, receipt in the log at index %llu", (long long)d.id,
			    d.member_id, (unsigned long long)a.log_index);
	}
	fw_buf_init(&statement, FW_STORE_ACK_STATEMENT_MAX);
	fw_buf_init(&signature, FW_STORE_ACK_SIGNATURE_MAX);
	/* The stored texts: on a replay they are the first time's. */
	if ((r = fw_store_ack_get(req->app->store, d.id, &a, &statement, &signature)) == FW_OK &&
	    (r = ack_json(req, &a, &statement, &signature, index, &j)) == FW_OK) {
		resp->created = added;
		r = fw_resp_json(resp, j);
	}
	fw_buf_cleanup(&statement);
	fw_buf_cleanup(&signature);
	return r;
}
