#include "http/internal.h"

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
