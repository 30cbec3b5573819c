/* Advisories, their artifacts, scheduling and the plan. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/time.h"
#include "http/internal.h"

static enum fw_err get_advisory(struct fw_req *req, const char *id, struct fw_advisory *a)
{
	enum fw_err r = fw_store_advisory_get(req->app->store, id, a);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "no advisory %.64s", id);
	return r;
}

/* Whether the asking member has been given anything of this advisory: a
 * member learns of an advisory only through what it received. */
static enum fw_err member_has_delivery(struct fw_req *req, const char *advisory_id, bool *yes)
{
	struct fw_delivery_filter f = {.member_id = req->auth.member_id, .advisory_id = advisory_id, .limit = 1};
	struct fw_delivery *d = NULL;
	size_t n = 0;
	enum fw_err r = fw_store_delivery_list(req->app->store, &f, &d, &n);
	free(d);
	if (r == FW_OK)
		*yes = n > 0;
	return r;
}

enum fw_err fw_api_advisory_create(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	json_t *j = NULL;
	enum fw_err r;

	memset(&a, 0, sizeof a);
	a.tlp = FW_TLP_AMBER;
	if ((r = fw_req_json(req, &j)) != FW_OK)
		goto out;
	if ((r = fw_advisory_from_json(j, &a, false)) != FW_OK)
		goto out;
	a.status = FW_ADVISORY_DRAFT;
	a.created_at = a.updated_at = fw_clock_now();
	if ((r = fw_store_advisory_create(req->app->store, &a)) != FW_OK) {
		if (r == FW_ERR_EXISTS)
			r = fw_err_set(FW_ERR_EXISTS, "advisory %s already exists", a.id);
		goto out;
	}
	fw_log_info("http", "advisory %s created", a.id);
	resp->created = true;
	r = fw_resp_json(resp, fw_advisory_to_json(&a));
out:
	json_decref(j);
	return r;
}

enum fw_err fw_api_advisory_list(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory *as = NULL;
	size_t n = 0;
	enum fw_err r;
	if ((r = fw_store_advisory_list(req->app->store, &as, &n)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		bool show = true;
		if (!fw_req_is_admin(req) && (r = member_has_delivery(req, as[i].id, &show)) != FW_OK)
			break;
		if (show && json_array_append_new(arr, fw_advisory_to_json(&as[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(as);
	if (r != FW_OK) {
		json_decref(arr);
		return r;
	}
	return fw_resp_json(resp, fw_json_wrap("advisories", arr));
}

enum fw_err fw_api_advisory_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	enum fw_err r;
	if (!fw_req_is_admin(req)) {
		bool yes = false;
		if ((r = member_has_delivery(req, req->params[0], &yes)) != FW_OK)
			return r;
		if (!yes)
			return fw_err_set(FW_ERR_NOT_FOUND, "no advisory %.64s", req->params[0]);
	}
	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		return r;
	return fw_resp_json(resp, fw_advisory_to_json(&a));
}

enum fw_err fw_api_advisory_update(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	json_t *j = NULL;
	enum fw_err r;

	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		goto out;
	if ((r = fw_req_json(req, &j)) != FW_OK)
		goto out;
	int64_t old_t = a.public_at;
	if ((r = fw_advisory_from_json(j, &a, true)) != FW_OK)
		goto out;
	if (a.public_at != old_t && a.status == FW_ADVISORY_PUBLIC) {
		r = fw_err_set(FW_ERR_STATE, "advisory %s is already public; its release time is history", a.id);
		goto out;
	}
	if (a.public_at != old_t && a.status == FW_ADVISORY_SCHEDULED && a.public_at <= fw_clock_now()) {
		r = fw_err_set(FW_ERR_INVALID, "the new public release time is not in the future");
		goto out;
	}
	/* A scheduled advisory's T moves every release with it: earlier only
	 * by `advisory expedite`, which takes a reason; later (a delay) is
	 * recorded in the log like a schedule, in the update's transaction. */
	if (a.status == FW_ADVISORY_SCHEDULED && a.public_at < old_t) {
		r = fw_err_set(FW_ERR_STATE, "moving the public release time of scheduled advisory %s earlier is an "
					     "expedite: use `forewarn advisory expedite %s --public-at TIME --reason "
					     "TEXT`",
			       a.id, a.id);
		goto out;
	}
	a.updated_at = fw_clock_now();
	struct fw_http_log_hook lh;
	struct fw_store_log_hook *log = NULL;
	char details[160], t[FW_TIME_BYTES], was[FW_TIME_BYTES];
	if (a.status == FW_ADVISORY_SCHEDULED && a.public_at != old_t) {
		fw_time_format(a.public_at, t);
		fw_time_format(old_t, was);
		snprintf(details, sizeof details, "public_at %s was %s", t, was);
		log = fw_http_log_hook_event(req, &lh, "schedule", a.id, details, a.updated_at);
	}
	if ((r = fw_store_advisory_update(req->app->store, &a, log)) != FW_OK)
		goto out;
	if (log)
		fw_http_log_hook_done(req, &lh);
	if (a.status != FW_ADVISORY_DRAFT && (r = fw_release_plan(req->app->release, a.id, NULL, NULL)) != FW_OK)
		goto out;
	r = fw_resp_json(resp, fw_advisory_to_json(&a));
out:
	json_decref(j);
	return r;
}

enum fw_err fw_api_advisory_schedule(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_policy_version pv;
	struct fw_http_log_hook lh;
	char details[160], t[FW_TIME_BYTES];
	json_t *j = NULL;
	size_t planned = 0, withheld = 0;
	enum fw_err r;

	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		goto out;
	if (req->body_len) {
		if ((r = fw_req_json(req, &j)) != FW_OK)
			goto out;
		const char *key;
		json_t *v;
		json_object_foreach(j, key, v) {
			if (strcmp(key, "public_at") != 0) {
				r = fw_err_set(FW_ERR_INVALID, "unknown field \"%.64s\" (only public_at)", key);
				goto out;
			}
			if (!json_is_string(v) || (r = fw_time_parse(json_string_value(v), &a.public_at)) != FW_OK) {
				r = fw_err_set(FW_ERR_INVALID, "field \"public_at\" must be an RFC 3339 time");
				goto out;
			}
		}
	}
	if (a.status == FW_ADVISORY_PUBLIC) {
		r = fw_err_set(FW_ERR_STATE, "advisory %s is already public", a.id);
		goto out;
	}
	if (a.public_at == 0) {
		r = fw_err_set(FW_ERR_INVALID, "advisory %s has no public release time: give public_at", a.id);
		goto out;
	}
	if (a.public_at <= fw_clock_now()) {
		r = fw_err_set(FW_ERR_INVALID, "the public release time must be in the future");
		goto out;
	}
	if ((r = fw_store_policy_get(req->app->store, 0, &pv, NULL)) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(FW_ERR_STATE, "no policy has been applied yet: apply one first");
		goto out;
	}
	a.status = FW_ADVISORY_SCHEDULED;
	a.updated_at = fw_clock_now();
	/* The entry is written with the schedule, before the plan exists: it
	 * records the operator's act (T, under which policy), not the plan's
	 * counts, which every later member or policy change re-computes. */
	fw_time_format(a.public_at, t);
	snprintf(details, sizeof details, "public_at %s policy %d", t, pv.version);
	struct fw_store_log_hook *log = fw_http_log_hook_event(req, &lh, "schedule", a.id, details, a.updated_at);
	if ((r = fw_store_advisory_update(req->app->store, &a, log)) != FW_OK)
		goto out;
	fw_http_log_hook_done(req, &lh);
	if ((r = fw_release_plan(req->app->release, a.id, &planned, &withheld)) != FW_OK)
		goto out;
	fw_log_info("http", "advisory %s scheduled under policy v%d: %zu releases planned, %zu withheld",
		    a.id, pv.version, planned, withheld);
	r = fw_resp_json(resp, json_pack("{s:o,s:I,s:I,s:i,s:o}", "advisory", fw_advisory_to_json(&a), "planned",
					 (json_int_t)planned, "withheld", (json_int_t)withheld,
					 "policy_version", pv.version, "warnings", fw_api_mark_warnings(req, a.id)));
out:
	json_decref(j);
	return r;
}

/* Exploitation in the wild: T moves earlier, every release moves with it
 * and whatever is now due goes out at once. */
enum fw_err fw_api_advisory_expedite(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_http_log_hook lh;
	char was[FW_TIME_BYTES], is[FW_TIME_BYTES], details[FW_MODEL_TITLE_BYTES + 96];
	json_t *j = NULL;
	size_t planned = 0, withheld = 0;
	int64_t t = 0, now = fw_clock_now();
	enum fw_err r;

	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		goto out;
	if ((r = fw_req_json(req, &j)) != FW_OK)
		goto out;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "public_at") != 0 && strcmp(key, "reason") != 0) {
			r = fw_err_set(FW_ERR_INVALID, "unknown field \"%.64s\" (public_at, reason)", key);
			goto out;
		}
	}
	const char *at = json_string_value(json_object_get(j, "public_at"));
	const char *reason = json_string_value(json_object_get(j, "reason"));
	if (!reason || !reason[0] || strlen(reason) >= FW_MODEL_TITLE_BYTES) {
		r = fw_err_set(FW_ERR_INVALID, "field \"reason\" is required (a string under %d bytes)",
			       FW_MODEL_TITLE_BYTES);
		goto out;
	}
	if (!at) {
		r = fw_err_set(FW_ERR_INVALID, "field \"public_at\" is required: a time, or \"now\"");
		goto out;
	}
	if (strcmp(at, "now") == 0)
		t = now;
	else if ((r = fw_time_parse(at, &t)) != FW_OK)
		goto out;
	if (a.status != FW_ADVISORY_SCHEDULED) {
		r = fw_err_set(FW_ERR_STATE, "advisory %s is %s: only a scheduled advisory can be expedited", a.id,
			       fw_advisory_status_name(a.status));
		goto out;
	}
	if (t >= a.public_at) {
		r = fw_err_set(FW_ERR_INVALID, "expediting moves T earlier; to move it later, update public_at");
		goto out;
	}
	if (t < now)
		t = now; /* the past cannot be changed: what was due then is due now */
	fw_time_format(a.public_at, was);
	fw_time_format(t, is);
	snprintf(details, sizeof details, "from %s to %s reason %s", was, is, reason);
	a.public_at = t;
	a.updated_at = now;
	if ((r = fw_store_advisory_update(req->app->store, &a,
					  fw_http_log_hook_event(req, &lh, "expedite", a.id, details, now))) != FW_OK)
		goto out;
	fw_http_log_hook_done(req, &lh);
	if ((r = fw_release_plan(req->app->release, a.id, &planned, &withheld)) != FW_OK)
		goto out;
	fw_log_info("http", "advisory %s expedited from %s to %s by %s; reason: %s", a.id, was, is,
		    req->auth.token_id, reason);
	r = fw_resp_json(resp, json_pack("{s:o,s:I,s:I,s:s}", "advisory", fw_advisory_to_json(&a), "planned",
					 (json_int_t)planned, "withheld", (json_int_t)withheld, "reason", reason));
out:
	json_decref(j);
	return r;
}

static enum fw_err media_type_of(const struct fw_req *req, char out[FW_MODEL_MEDIA_TYPE_BYTES])
{
	const char *ct = req->content_type ? req->content_type : "application/octet-stream";
	size_t n = strlen(ct);
	if (n == 0 || n >= FW_MODEL_MEDIA_TYPE_BYTES)
		return fw_err_set(FW_ERR_INVALID, "Content-Type must be a media type under %d bytes",
				  FW_MODEL_MEDIA_TYPE_BYTES);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ct[i] < 0x20 || (unsigned char)ct[i] > 0x7e)
			return fw_err_set(FW_ERR_INVALID, "Content-Type has invalid characters");
	memcpy(out, ct, n + 1);
	return FW_OK;
}

enum fw_err fw_api_artifact_add(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_artifact art;
	enum fw_err r;

	memset(&art, 0, sizeof art);
	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		return r;
	if ((r = fw_kind_parse(req->params[1], &art.kind)) != FW_OK)
		return r;
	if ((r = media_type_of(req, art.media_type)) != FW_OK)
		return r;
	snprintf(art.advisory_id, sizeof art.advisory_id, "%s", a.id);
	art.created_at = fw_clock_now();
	/* A markable kind's template must parse (400 with line:column). */
	struct fw_release_mark_info *mi = calloc(1, sizeof *mi);
	if (!mi)
		return FW_ERR_NOMEM;
	if ((r = fw_release_mark_inspect(req->app->release, art.kind, req->body, req->body_len, mi)) != FW_OK ||
	    (r = fw_release_artifact_add(req->app->release, &art, req->body, req->body_len)) != FW_OK) {
		free(mi);
		return r;
	}
	fw_log_info("http", "artifact %s/%s v%d stored (%llu bytes)", a.id, fw_kind_name(art.kind),
		    art.version, (unsigned long long)art.size);
	resp->created = true;
	json_t *j = fw_artifact_to_json(&art);
	if (j && json_object_set_new(j, "mark", fw_api_mark_info_json(mi, art.kind)) != 0) {
		json_decref(j);
		j = NULL;
	}
	free(mi);
	return fw_resp_json(resp, j);
}

enum fw_err fw_api_artifact_list(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_artifact *as = NULL;
	size_t n = 0;
	enum fw_err r;
	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		return r;
	if ((r = fw_store_artifact_list(req->app->store, a.id, &as, &n)) != FW_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, fw_artifact_to_json(&as[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(as);
	return fw_resp_json(resp, fw_json_wrap("artifacts", arr));
}

/* The newest delivery of (member, kind) in a list ordered by id. */
static const struct fw_delivery *find_delivery(const struct fw_delivery *d, size_t n,
						const char *member, enum fw_kind kind)
{
	const struct fw_delivery *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (d[i].kind == kind && strcmp(d[i].member_id, member) == 0)
			found = &d[i];
	return found;
}

enum fw_err fw_api_plan_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_plan_entry *p = NULL;
	struct fw_delivery *d = NULL;
	size_t np = 0, nd = 0;
	json_t *arr = NULL;
	enum fw_err r;

	if ((r = get_advisory(req, req->params[0], &a)) != FW_OK)
		goto out;
	if ((r = fw_store_plan_list(req->app->store, a.id, fw_req_query(req, "member"), &p, &np)) != FW_OK)
		goto out;
	struct fw_delivery_filter f = {.advisory_id = a.id};
	if ((r = fw_store_delivery_list(req->app->store, &f, &d, &nd)) != FW_OK)
		goto out;
	arr = json_array();
	for (size_t i = 0; arr && i < np; i++) {
		json_t *e = fw_plan_entry_to_json(&p[i]);
		const struct fw_delivery *del = find_delivery(d, nd, p[i].member_id, p[i].kind);
		if (!e || json_object_set_new(e, "delivery", del ? json_integer(del->id) : json_null()) != 0 ||
		    json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	r = fw_resp_json(resp, fw_json_wrap("plan", arr));
out:
	free(p);
	free(d);
	return r;
}
