/* Deliveries: a member sees only its own; every download is recorded. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "http/internal.h"

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
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, fw_delivery_to_json(&d[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(d);
	return fw_resp_json(resp, fw_json_wrap("deliveries", arr));
}

enum fw_err fw_api_delivery_get(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_delivery d;
	enum fw_err r;
	if ((r = visible_delivery(req, &d)) != FW_OK)
		return r;
	return fw_resp_json(resp, fw_delivery_to_json(&d));
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
