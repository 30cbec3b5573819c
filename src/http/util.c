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

void fw_http_log_entry(struct fw_req *req, struct fw_buf *entry, const char *what)
{
	uint64_t index = 0;
	enum fw_err r = FW_OK;
	if (!req->app->log)
		goto out;
	if ((r = fw_tlog_log_append(req->app->log, entry->data, entry->len, &index)) != FW_OK)
		goto out;
	fw_tlog_log_wake(req->app->log);
	fw_log_info("http", "%s recorded in the log at index %llu", what, (unsigned long long)index);
out:
	if (r != FW_OK)
		fw_log_error("http", "%s could not be recorded in the log: %s %s", what, fw_strerror(r), fw_err_detail());
	fw_buf_cleanup(entry);
}

void fw_http_log_event(struct fw_req *req, const char *type, const char *subject, const char *details, int64_t at)
{
	struct fw_buf entry;
	fw_buf_init(&entry, FW_STORE_LOG_ENTRY_MAX);
	if (fw_tlog_entry_event(req->app->master_key, type, subject, details, at, &entry) != FW_OK) {
		fw_log_error("http", "%s of %s could not be made a log entry: %s", type, subject, fw_err_detail());
		fw_buf_cleanup(&entry);
		return;
	}
	char what[96];
	snprintf(what, sizeof what, "%s of %s", type, subject);
	fw_http_log_entry(req, &entry, what);
}
