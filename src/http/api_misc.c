/* Health, program facts, identity and the (simulated) clock. */
#include <string.h>

#include "base/clock.h"
#include "base/time.h"
#include "http/internal.h"
#include "tlog/tlog.h"

enum fw_err fw_api_health(struct fw_req *req, struct fw_resp *resp)
{
	(void)req;
	return fw_resp_json(resp, json_pack("{s:s}", "status", "ok"));
}

static json_t *clock_json(void)
{
	return json_pack("{s:o,s:b}", "now", fw_time_to_json(fw_clock_now()), "simulated",
			 fw_clock_is_simulated());
}

enum fw_err fw_api_program(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_verify_key vk;
	struct fw_buf pub;
	char key_id[17];
	enum fw_err r;

	fw_minisign_verify_key(req->app->sign_key, &vk);
	fw_buf_init(&pub, 1024);
	if ((r = fw_minisign_public_format(&vk, &pub)) != FW_OK)
		goto out;
	/* minisign prints key ids as the little-endian 64-bit number in hex. */
	for (int i = 0; i < 8; i++)
		snprintf(key_id + 2 * i, 3, "%02X", vk.key_id[7 - i]);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b}", "name", "forewarn", "version", FW_HTTP_VERSION,
			      "minisign_public_key", fw_buf_str(&pub), "minisign_key_id", key_id, "now",
			      fw_time_to_json(fw_clock_now()), "simulated_clock", fw_clock_is_simulated());
	/* The transparency log's verifier key (name+hex8+base64) and origin. */
	char vkey[FW_TLOG_VKEY_BYTES];
	if (j && req->app->log && fw_tlog_log_vkey(req->app->log, vkey) == FW_OK) {
		json_object_set_new(j, "log_verifier_key", json_string(vkey));
		json_object_set_new(j, "log_origin", json_string(fw_tlog_log_origin(req->app->log)));
		/* The witnesses whose cosignatures the checkpoints carry. */
		size_t nw = 0;
		const struct fw_tlog_vkey *w = fw_tlog_log_witnesses(req->app->log, &nw);
		json_t *wa = json_array();
		for (size_t i = 0; wa && i < nw; i++)
			if (fw_tlog_vkey_format(&w[i], vkey) != FW_OK || json_array_append_new(wa, json_string(vkey)) != 0)
				break;
		json_object_set_new(j, "witness_verifier_keys", wa ? wa : json_array());
	}
	r = fw_resp_json(resp, j);
out:
	fw_buf_cleanup(&pub);
	return r;
}

enum fw_err fw_api_whoami(struct fw_req *req, struct fw_resp *resp)
{
	const struct fw_auth *a = &req->auth;
	return fw_resp_json(resp, json_pack("{s:s,s:s?,s:s}", "role", fw_role_name(a->role), "member",
					    a->role == FW_ROLE_MEMBER ? a->member_id : NULL, "token_id",
					    a->token_id));
}

enum fw_err fw_api_clock_get(struct fw_req *req, struct fw_resp *resp)
{
	(void)req;
	return fw_resp_json(resp, clock_json());
}

enum fw_err fw_api_clock_post(struct fw_req *req, struct fw_resp *resp)
{
	json_t *j = NULL;
	enum fw_err r;
	if ((r = fw_req_json(req, &j)) != FW_OK)
		return r;
	const char *adv = json_string_value(json_object_get(j, "advance"));
	const char *set = json_string_value(json_object_get(j, "set"));
	int64_t v;
	if (json_object_size(j) != 1 || (!adv && !set)) {
		r = fw_err_set(FW_ERR_INVALID, "give exactly one of \"advance\" (a duration) or \"set\" (a time)");
	} else if (!fw_clock_is_simulated()) {
		r = fw_err_set(FW_ERR_STATE, "the clock can only be changed on a server started with --simulated-clock");
	} else if (adv) {
		if ((r = fw_duration_parse(adv, &v)) == FW_OK)
			r = fw_clock_advance(v);
	} else {
		if ((r = fw_time_parse(set, &v)) == FW_OK)
			r = fw_clock_set(v);
	}
	json_decref(j);
	if (r != FW_OK)
		return r;
	/* The scheduler is told by the clock itself; answer with the new time. */
	return fw_resp_json(resp, clock_json());
}
