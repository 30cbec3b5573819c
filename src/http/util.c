#include <string.h>

#include "http/internal.h"

#include "base/log.h"
#include "tlog/tlog.h"

bool fw_req_is_admin(const struct fw_req *req)
{
	return req->auth.authenticated && req->auth.role == FW_ROLE_ADMIN;
}

json_t *fw_json_wrap(const char *key, json_t *arr)
{
	if (!arr)
		return NULL;
	json_t *o = json_object();
	if (!o || json_object_set_new(o, key, arr) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum fw_err fw_resp_json(struct fw_resp *resp, json_t *j)
{
	if (!j)
		return FW_ERR_NOMEM;
	resp->json = j;
	return FW_OK;
}

/* make() of struct fw_store_log_hook: runs inside the store's transaction. */
static enum fw_err hook_make(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32])
{
	const struct fw_http_log_hook *h = ctx;
	enum fw_err r;
	if (h->type)
		r = fw_tlog_entry_event(h->master_key, h->type, h->subject, h->details, h->at, entry);
	else
		r = fw_tlog_entry_member(h->master_key, h->subject, h->status, h->details, h->at, entry);
	if (r != FW_OK) {
		fw_log_error("http", "%s of %s could not be made a log entry: %s", h->type ? h->type : h->status,
			     h->subject, fw_err_detail());
		return r;
	}
	fw_tlog_leaf_hash(entry->data, entry->len, leaf_hash);
	return FW_OK;
}

static struct fw_store_log_hook *hook_init(struct fw_req *req, struct fw_http_log_hook *h, const char *type,
					   const char *subject, const char *status, const char *details, int64_t at)
{
	memset(h, 0, sizeof *h);
	if (!req->app->log)
		return NULL;
	h->hook.make = hook_make;
	h->hook.ctx = h;
	h->master_key = req->app->master_key;
	h->type = type;
	h->subject = subject;
	h->status = status;
	h->details = details;
	h->at = at;
	return &h->hook;
}

struct fw_store_log_hook *fw_http_log_hook_event(struct fw_req *req, struct fw_http_log_hook *h, const char *type,
						 const char *subject, const char *details, int64_t at)
{
	return hook_init(req, h, type, subject, NULL, details, at);
}

struct fw_store_log_hook *fw_http_log_hook_member(struct fw_req *req, struct fw_http_log_hook *h,
						  const char *member_id, const char *status, const char *reason,
						  int64_t at)
{
	return hook_init(req, h, NULL, member_id, status, reason, at);
}

void fw_http_log_hook_done(struct fw_req *req, const struct fw_http_log_hook *h)
{
	if (!req->app->log || !h->hook.written)
		return;
	fw_tlog_log_wake(req->app->log);
	fw_log_info("http", "%s of %s recorded in the log at index %llu", h->type ? h->type : "member status change",
		    h->subject, (unsigned long long)h->hook.index);
}
