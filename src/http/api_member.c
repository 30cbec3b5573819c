/* Members and tokens. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/time.h"
#include "http/internal.h"

/* Membership changes what scheduled advisories owe this member. */
static void replan(struct fw_req *req, const char *member_id)
{
	enum fw_err r = fw_release_plan_member(req->app->release, member_id);
	if (r != FW_OK)
		fw_log_error("http", "re-planning after a member change failed: %s %s", fw_strerror(r),
			     fw_err_detail());
}

enum fw_err fw_api_member_create(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_member m;
	json_t *j = NULL;
	enum fw_err r;

	memset(&m, 0, sizeof m);
	if ((r = fw_req_json(req, &j)) != FW_OK)
		goto out;
	if ((r = fw_member_from_json(j, &m, false)) != FW_OK)
		goto out;
	m.created_at = m.updated_at = fw_clock_now();
	if ((r = fw_store_member_create(req->app->store, &m)) != FW_OK) {
		if (r == FW_ERR_EXISTS)
			r = fw_err_set(FW_ERR_EXISTS, "member %s already exists", m.id);
		goto out;
	}
	fw_log_info("http", "member %s added (tier %s, %s)", m.id, m.tier, m.jurisdiction);
	replan(req, m.id);
	resp->created = true;
	r = fw_resp_json(resp, fw_member_to_json(&m));
out:
	json_decref(j);
	return r;
}

enum fw_err fw_api_member_list(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_member *ms = NULL;
	size_t n = 0;
	enum fw_err r;
	if ((r = fw_store_member_list(req->app->store, &ms, &n)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, fw_member_to_json(&ms[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(ms);
	return fw_resp_json(resp, fw_json_wrap("members", arr));
}

/* A member sees only itself; anything else is "not found", exactly as for a
 * member that does not exist. */
static enum fw_err visible_member(struct fw_req *req, const char *id, struct fw_member *m)
{
	if (!fw_req_is_admin(req) && strcmp(req->auth.member_id, id) != 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no member %.64s", id);
	enum fw_err r = fw_store_member_get(req->app->store, id, m);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "no member %.64s", id);
	return r;
}

enum fw_err fw_api_member_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_member m;
	enum fw_err r;
	if ((r = visible_member(req, req->params[0], &m)) != FW_OK)
		return r;
	return fw_resp_json(resp, fw_member_to_json(&m));
}

enum fw_err fw_api_member_update(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_member m;
	json_t *j = NULL;
	enum fw_err r;

	if ((r = visible_member(req, req->params[0], &m)) != FW_OK)
		goto out;
	if ((r = fw_req_json(req, &j)) != FW_OK)
		goto out;
	enum fw_member_status before = m.status;
	if ((r = fw_member_from_json(j, &m, true)) != FW_OK)
		goto out;
	if (m.status != before && (m.status >= FW_MEMBER_SUSPENDED || before >= FW_MEMBER_SUSPENDED)) {
		r = fw_err_set(FW_ERR_INVALID, "suspension and expulsion take a reason: use POST "
					       "/api/v1/members/%s/suspend, /reinstate or /expel", m.id);
		goto out;
	}
	m.updated_at = fw_clock_now();
	if ((r = fw_store_member_update(req->app->store, &m)) != FW_OK)
		goto out;
	fw_log_info("http", "member %s updated (tier %s, status %s)", m.id, m.tier,
		    fw_member_status_name(m.status));
	replan(req, m.id);
	r = fw_resp_json(resp, fw_member_to_json(&m));
out:
	json_decref(j);
	return r;
}

/* --- sanctions: effective at once, each with a reason -------------------- */

static enum fw_err reason_of(struct fw_req *req, char out[FW_MODEL_TITLE_BYTES])
{
	json_t *j = NULL;
	enum fw_err r;
	if ((r = fw_req_json(req, &j)) != FW_OK)
		return r;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "reason") != 0) {
			r = fw_err_set(FW_ERR_INVALID, "unknown field \"%.64s\" (only reason)", key);
			goto out;
		}
	}
	const char *reason = json_string_value(json_object_get(j, "reason"));
	if (!reason || !reason[0] || strlen(reason) >= FW_MODEL_TITLE_BYTES) {
		r = fw_err_set(FW_ERR_INVALID, "field \"reason\" is required (a string under %d bytes)",
			       FW_MODEL_TITLE_BYTES);
		goto out;
	}
	snprintf(out, FW_MODEL_TITLE_BYTES, "%s", reason);
out:
	json_decref(j);
	return r;
}

/* Sets the status and, on expulsion, revokes every token of the member, in
 * one transaction with the change's log entry; then re-plans the member
 * (pending releases become withheld or come back). */
static enum fw_err sanction(struct fw_req *req, struct fw_resp *resp, enum fw_member_status to)
{
	struct fw_member m;
	struct fw_http_log_hook lh;
	char reason[FW_MODEL_TITLE_BYTES];
	enum fw_err r;

	if ((r = visible_member(req, req->params[0], &m)) != FW_OK)
		return r;
	if ((r = reason_of(req, reason)) != FW_OK)
		return r;
	if (m.status == FW_MEMBER_EXPELLED)
		return fw_err_set(FW_ERR_STATE, "member %s was expelled; expulsion is final", m.id);
	if (to == FW_MEMBER_ACTIVE && m.status != FW_MEMBER_SUSPENDED)
		return fw_err_set(FW_ERR_STATE, "member %s is not suspended", m.id);
	struct fw_store_status_change ch = {.member_id = m.id, .from = m.status, .to = to, .at = fw_clock_now(),
					    .revoke_tokens = to == FW_MEMBER_EXPELLED};
	struct fw_store_log_hook *log =
		fw_http_log_hook_member(req, &lh, m.id, fw_member_status_name(to), reason, ch.at);
	if ((r = fw_store_member_set_status(req->app->store, &ch, log)) != FW_OK)
		return r;
	fw_http_log_hook_done(req, &lh);
	m.status = to;
	m.updated_at = ch.at;
	fw_log_info("http", "member %s: %s -> %s by %s (%zu tokens revoked); reason: %s", m.id,
		    fw_member_status_name(ch.from), fw_member_status_name(to), req->auth.token_id, ch.revoked, reason);
	replan(req, m.id);
	return fw_resp_json(resp, json_pack("{s:o,s:s,s:I}", "member", fw_member_to_json(&m), "reason", reason,
					    "tokens_revoked", (json_int_t)ch.revoked));
}

enum fw_err fw_api_member_suspend(struct fw_req *req, struct fw_resp *resp)
{
	return sanction(req, resp, FW_MEMBER_SUSPENDED);
}

enum fw_err fw_api_member_reinstate(struct fw_req *req, struct fw_resp *resp)
{
	return sanction(req, resp, FW_MEMBER_ACTIVE);
}

enum fw_err fw_api_member_expel(struct fw_req *req, struct fw_resp *resp)
{
	return sanction(req, resp, FW_MEMBER_EXPELLED);
}

/* --- tokens -------------------------------------------------------------- */

static enum fw_err token_fields(struct fw_req *req, const json_t *j, struct fw_token *t)
{
	const char *key;
	json_t *v;
	enum fw_err r;
	json_object_foreach((json_t *)j, key, v) {
		if (strcmp(key, "role") && strcmp(key, "member") && strcmp(key, "label") &&
		    strcmp(key, "expires_in"))
			return fw_err_set(FW_ERR_INVALID, "unknown field \"%.64s\"", key);
		if (!json_is_string(v))
			return fw_err_set(FW_ERR_INVALID, "field \"%s\" must be a string", key);
	}
	const char *role = json_string_value(json_object_get(j, "role"));
	const char *member = json_string_value(json_object_get(j, "member"));
	const char *label = json_string_value(json_object_get(j, "label"));
	const char *expires = json_string_value(json_object_get(j, "expires_in"));
	if (!role)
		return fw_err_set(FW_ERR_INVALID, "field \"role\" is required (member, auditor or admin)");
	if ((r = fw_role_parse(role, &t->role)) != FW_OK)
		return r;
	if (t->role == FW_ROLE_MEMBER) {
		struct fw_member m;
		if (!member)
			return fw_err_set(FW_ERR_INVALID, "a member token needs field \"member\"");
		if (fw_store_member_get(req->app->store, member, &m) != FW_OK)
			return fw_err_set(FW_ERR_INVALID, "no member %.64s", member);
		snprintf(t->member_id, sizeof t->member_id, "%s", m.id);
	} else if (member) {
		return fw_err_set(FW_ERR_INVALID, "only member tokens name a member");
	}
	if (label && strlen(label) >= sizeof t->label)
		return fw_err_set(FW_ERR_INVALID, "field \"label\" is longer than %zu bytes", sizeof t->label - 1);
	snprintf(t->label, sizeof t->label, "%s", label ? label : "");
	t->created_at = fw_clock_now();
	if (expires) {
		int64_t d;
		if ((r = fw_duration_parse(expires, &d)) != FW_OK)
			return r;
		if (d <= 0)
			return fw_err_set(FW_ERR_INVALID, "field \"expires_in\" must be positive");
		t->expires_at = t->created_at + d;
	}
	return FW_OK;
}

enum fw_err fw_api_token_create(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_token t;
	char secret[FW_CRYPTO_TOKEN_BYTES];
	uint8_t hash[FW_CRYPTO_HASH_BYTES], rnd[8];
	json_t *j = NULL;
	enum fw_err r;

	memset(&t, 0, sizeof t);
	if ((r = fw_req_json(req, &j)) != FW_OK)
		goto out;
	if ((r = token_fields(req, j, &t)) != FW_OK)
		goto out;
	fw_crypto_random(rnd, sizeof rnd);
	memcpy(t.id, "tok_", 4);
	fw_crypto_hex(rnd, sizeof rnd, t.id + 4);
	fw_crypto_token_new(secret);
	fw_crypto_token_hash(req->app->token_key, secret, hash);
	if ((r = fw_store_token_create(req->app->store, &t, hash)) != FW_OK)
		goto out;
	fw_log_info("http", "token %s created (role %s%s%s)", t.id, fw_role_name(t.role),
		    t.member_id[0] ? ", member " : "", t.member_id);
	resp->created = true;
	r = fw_resp_json(resp, json_pack("{s:s,s:o}", "token", secret, "info", fw_token_to_json(&t)));
out:
	fw_crypto_wipe(secret, sizeof secret);
	json_decref(j);
	return r;
}

enum fw_err fw_api_token_list(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_token *ts = NULL;
	size_t n = 0;
	enum fw_err r;
	if ((r = fw_store_token_list(req->app->store, fw_req_query(req, "member"), &ts, &n)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, fw_token_to_json(&ts[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(ts);
	return fw_resp_json(resp, fw_json_wrap("tokens", arr));
}

enum fw_err fw_api_token_revoke(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_token t;
	enum fw_err r = fw_store_token_revoke(req->app->store, req->params[0], fw_clock_now());
	if (r == FW_OK)
		r = fw_store_token_get(req->app->store, req->params[0], &t);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "no token %.40s", req->params[0]);
	if (r != FW_OK)
		return r;
	fw_log_info("http", "token %s revoked", t.id);
	return fw_resp_json(resp, fw_token_to_json(&t));
}
