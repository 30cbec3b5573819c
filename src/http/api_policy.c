/* The policy: show, check, apply (every accepted version is kept). */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/time.h"
#include "base/log.h"
#include "http/internal.h"
#include "policy/policy.h"
#include "tlog/tlog.h"

static json_t *diags_json(const struct fw_policy_diags *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->n; i++) {
		json_t *e = json_pack("{s:i,s:i,s:s,s:s}", "line", d->d[i].line, "col", d->d[i].col, "severity",
				      d->d[i].warning ? "warning" : "error", "message", d->d[i].message);
		if (!e || json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* Parses the body; FW_ERR_INVALID with every error in the detail. */
static enum fw_err parse_body(struct fw_req *req, struct fw_policy **out, struct fw_policy_diags *d)
{
	memset(d, 0, sizeof *d);
	enum fw_err r = fw_policy_parse((const char *)req->body, req->body_len, out, d);
	if (r != FW_ERR_INVALID)
		return r;
	char msg[480] = "the policy has errors:";
	size_t used = strlen(msg);
	for (size_t i = 0; i < d->n && used < sizeof msg - 1; i++) {
		if (d->d[i].warning)
			continue;
		int w = snprintf(msg + used, sizeof msg - used, " line %d:%d: %s;", d->d[i].line, d->d[i].col,
				 d->d[i].message);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return fw_err_set(FW_ERR_INVALID, "%s", msg);
}

enum fw_err fw_api_policy_check(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	enum fw_err r = parse_body(req, &p, &d);
	fw_policy_free(p);
	if (r != FW_OK && r != FW_ERR_INVALID)
		return r;
	return fw_resp_json(resp, json_pack("{s:b,s:o}", "ok", r == FW_OK, "diagnostics", diags_json(&d)));
}

static json_t *version_json(const struct fw_policy_version *v)
{
	char hex[65];
	fw_crypto_hex(v->sha256, 32, hex);
	return json_pack("{s:i,s:s,s:s,s:s,s:o}", "version", v->version, "sha256", hex, "author", v->author,
			 "comment", v->comment, "created_at", fw_time_to_json(v->created_at));
}

/* The log entry of a policy version, made in the transaction that stores
 * it, once its version number is known. */
static enum fw_err policy_entry(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32])
{
	const struct fw_policy_version *v = ctx;
	enum fw_err r = fw_tlog_entry_policy(v->version, v->sha256, v->author, v->created_at, entry);
	if (r == FW_OK)
		fw_tlog_leaf_hash(entry->data, entry->len, leaf_hash);
	return r;
}

enum fw_err fw_api_policy_put(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	struct fw_policy_version v;
	enum fw_err r;

	memset(&v, 0, sizeof v);
	if ((r = parse_body(req, &p, &d)) != FW_OK)
		goto out;
	const char *comment = fw_req_query(req, "comment");
	if (comment && strlen(comment) >= sizeof v.comment) {
		r = fw_err_set(FW_ERR_INVALID, "the comment is longer than %zu bytes", sizeof v.comment - 1);
		goto out;
	}
	snprintf(v.comment, sizeof v.comment, "%s", comment ? comment : "");
	snprintf(v.author, sizeof v.author, "%s", req->auth.token_id);
	v.created_at = fw_clock_now();
	fw_crypto_sha256(req->body, req->body_len, v.sha256);
	struct fw_store_log_hook log = {.make = policy_entry, .ctx = &v};
	if ((r = fw_release_policy_apply(req->app->release, (const char *)req->body, req->body_len, &v,
					 req->app->log ? &log : NULL)) != FW_OK)
		goto out;
	fw_log_info("http", "policy version %d applied by %s: %s", v.version, v.author, v.comment);
	if (log.written) {
		fw_tlog_log_wake(req->app->log);
		fw_log_info("http", "policy version %d recorded in the log at index %llu", v.version,
			    (unsigned long long)log.index);
	}
	json_t *j = version_json(&v);
	if (j && json_object_set_new(j, "diagnostics", diags_json(&d)) != 0) {
		json_decref(j);
		j = NULL;
	}
	resp->created = true;
	r = fw_resp_json(resp, j);
out:
	fw_policy_free(p);
	return r;
}

enum fw_err fw_api_policy_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_policy_version v;
	struct fw_buf text;
	long version = 0;
	enum fw_err r;

	const char *q = fw_req_query(req, "version");
	if (q) {
		char *end;
		version = strtol(q, &end, 10);
		if (*end || end == q || version < 1 || version > 1000000000)
			return fw_err_set(FW_ERR_INVALID, "version must be a positive number");
	}
	fw_buf_init(&text, FW_POLICY_MAX_BYTES + 1);
	r = fw_store_policy_get(req->app->store, (int)version, &v, &text);
	if (r == FW_ERR_NOT_FOUND)
		r = fw_err_set(FW_ERR_NOT_FOUND, version ? "no policy version %ld" : "no policy applied yet%.0ld",
			       version);
	if (r == FW_OK) {
		json_t *j = version_json(&v);
		if (j && json_object_set_new(j, "text", json_stringn(fw_buf_str(&text), text.len)) != 0) {
			json_decref(j);
			j = NULL;
		}
		r = fw_resp_json(resp, j);
	}
	fw_buf_cleanup(&text);
	return r;
}

enum fw_err fw_api_policy_versions(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_policy_version *vs = NULL;
	size_t n = 0;
	enum fw_err r;
	if ((r = fw_store_policy_list(req->app->store, &vs, &n)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, version_json(&vs[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(vs);
	return fw_resp_json(resp, fw_json_wrap("versions", arr));
}

static json_t *change_json(const struct fw_release_change *c)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:s,s:b,s:o}", "member", c->member_id, "advisory",
			      c->advisory_id, "kind", fw_kind_name(c->kind), "before",
			      c->before_withheld ? "withheld" : "release", "before_at",
			      c->before_withheld ? json_null() : fw_time_to_json(c->before_at), "after",
			      c->after_withheld ? "withheld" : "release", "after_at",
			      c->after_withheld ? json_null() : fw_time_to_json(c->after_at), "reason", c->after_reason,
			      "already_disclosed", c->delivered, "delivered_at",
			      c->delivered ? fw_time_to_json(c->delivered_at) : json_null());
	return j;
}

/* What applying the text would change; applies nothing. */
enum fw_err fw_api_policy_diff(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_release_change *c = NULL;
	size_t n = 0, disclosed = 0;
	enum fw_err r;
	if ((r = fw_release_diff(req->app->release, (const char *)req->body, req->body_len, &c, &n)) != FW_OK)
		return r;
	json_t *arr = json_array(), *by_kind = json_object();
	for (size_t i = 0; arr && by_kind && i < n; i++) {
		const char *k = fw_kind_name(c[i].kind);
		json_int_t was = json_integer_value(json_object_get(by_kind, k));
		disclosed += c[i].delivered;
		if (json_array_append_new(arr, change_json(&c[i])) != 0 ||
		    json_object_set_new(by_kind, k, json_integer(was + 1)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(c);
	if (!arr || !by_kind) {
		json_decref(arr);
		json_decref(by_kind);
		return FW_ERR_NOMEM;
	}
	return fw_resp_json(resp, json_pack("{s:o,s:{s:I,s:I,s:I,s:o}}", "changes", arr, "summary", "changed",
					    (json_int_t)n, "pending", (json_int_t)(n - disclosed),
					    "already_disclosed", (json_int_t)disclosed, "by_kind", by_kind));
}

/* Why a member is given each kind of an advisory, or not, and when. */
enum fw_err fw_api_policy_explain(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_policy_decision d[FW_KIND_COUNT];
	struct fw_advisory a;
	const char *member = fw_req_query(req, "member"), *advisory = fw_req_query(req, "advisory");
	const char *kind = fw_req_query(req, "kind");
	enum fw_kind only = FW_KIND_COUNT;
	enum fw_err r;
	if (!member || !advisory)
		return fw_err_set(FW_ERR_INVALID, "give member and advisory (and optionally kind)");
	if (kind && (r = fw_kind_parse(kind, &only)) != FW_OK)
		return r;
	if ((r = fw_release_explain(req->app->release, member, advisory, d)) != FW_OK)
		return r;
	if ((r = fw_store_advisory_get(req->app->store, advisory, &a)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (int k = 0; arr && k < FW_KIND_COUNT; k++) {
		if (only != FW_KIND_COUNT && (int)only != k)
			continue;
		char off[FW_TIME_BYTES];
		fw_duration_format(d[k].offset, off);
		json_t *e = json_pack("{s:s,s:s,s:o,s:s?,s:i,s:s}", "kind", fw_kind_name((enum fw_kind)k), "decision",
				      d[k].withheld ? "withheld" : "release", "release_at",
				      d[k].withheld || !a.public_at ? json_null() : fw_time_to_json(a.public_at + d[k].offset),
				      "offset", d[k].withheld ? NULL : off, "line", d[k].line, "reason", d[k].reason);
		json_t *rules = json_array();
		for (size_t i = 0; rules && i < d[k].nrules; i++) {
			const struct fw_policy_rule_ref *rr = &d[k].rules[i];
			if (json_array_append_new(rules, json_pack("{s:s,s:s,s:i,s:b,s:s}", "kind",
								   fw_policy_rule_kind_name(rr->kind), "name", rr->name,
								   "line", rr->line, "decisive", rr->decisive, "effect",
								   rr->effect)) != 0) {
				json_decref(rules);
				rules = NULL;
			}
		}
		char text[4096];
		fw_policy_explain_format(&d[k], (enum fw_kind)k, a.public_at, text, sizeof text);
		if (!e || !rules || json_object_set_new(e, "rules", rules) != 0 ||
		    json_object_set_new(e, "rules_omitted", json_integer((json_int_t)d[k].rules_omitted)) != 0 ||
		    json_object_set_new(e, "text", json_string(text)) != 0 || json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return fw_resp_json(resp, json_pack("{s:s,s:s,s:o}", "member", member, "advisory", a.id, "decisions", arr));
}
