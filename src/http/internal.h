/* Internal to the http module: requests, responses, handlers. */
#ifndef FW_HTTP_INTERNAL_H
#define FW_HTTP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"
#include "model/model.h"

#define FW_HTTP_MAX_PARAMS 8 /* /log/tile/… paths have up to 8 segments */
#define FW_HTTP_JSON_MAX_DEPTH 16

/* Who is asking, after authentication. */
struct fw_auth {
	bool authenticated;
	enum fw_role role;
	char member_id[FW_MODEL_ID_BYTES]; /* role member only */
	char token_id[FW_MODEL_TOKEN_ID_BYTES];
};

struct fw_req {
	struct fw_app *app;
	const char *method;
	const char *path;
	const char *params[FW_HTTP_MAX_PARAMS]; /* {…} segments of the route, decoded */
	const uint8_t *body;
	size_t body_len;
	const char *content_type; /* may be NULL */
	struct fw_auth auth;
	char remote[64];
	char id[24]; /* request id */
	void *conn;  /* the MHD connection, for query lookups */
};

struct fw_resp {
	bool created;      /* 201 instead of 200 */
	json_t *json;      /* owned; sent as application/json */
	struct fw_buf raw; /* sent as content_type when json is NULL */
	const char *content_type;
};

typedef enum fw_err (*fw_handler)(struct fw_req *req, struct fw_resp *resp);

enum { ROLE_ANY_PUBLIC = 0, ROLE_ADMIN = 1, ROLE_MEMBER = 2, ROLE_AUDITOR = 4 };
#define ROLE_ANY (ROLE_ADMIN | ROLE_MEMBER | ROLE_AUDITOR)

struct fw_route {
	const char *method;
	const char *pattern;
	unsigned roles; /* ROLE_ANY_PUBLIC: no authentication */
	bool artifact_body; /* body limit is max_artifact_bytes */
	fw_handler handler;
};

/* router.c */
const struct fw_route *fw_http_route_match(const char *method, const char *path,
					   char params[FW_HTTP_MAX_PARAMS][256], bool *path_known);

/* auth.c: fills req->auth from the Authorization header value. */
enum fw_err fw_http_authenticate(struct fw_req *req, const char *authorization) FW_WUR;

/* server.c */
const char *fw_req_query(const struct fw_req *req, const char *key);
/* Parses the body as a JSON object (FW_ERR_INVALID with a detail otherwise). */
enum fw_err fw_req_json(const struct fw_req *req, json_t **out) FW_WUR;

/* Helpers for handlers (util.c). */
bool fw_req_is_admin(const struct fw_req *req);
/* Wraps a list as {"key": [...]}; steals arr. */
json_t *fw_json_wrap(const char *key, json_t *arr);
enum fw_err fw_resp_json(struct fw_resp *resp, json_t *j) FW_WUR; /* steals j; NULL -> NOMEM */

/* An entry written in the transaction of the change it records
 * (docs/log.md): prepare it with fw_http_log_hook_event or _member, give
 * the hook they return (NULL when the daemon runs without a log) to the
 * store function that writes the change, and call fw_http_log_hook_done
 * once that succeeded. If the entry cannot be made or sequenced, the store
 * writes nothing and returns the error. The strings are borrowed until the
 * store call returns. */
struct fw_http_log_hook {
	struct fw_store_log_hook hook;
	const uint8_t *master_key;
	const char *type;    /* "schedule", "expedite", "trace"; NULL: a member change */
	const char *subject; /* the advisory, or the member */
	const char *status;  /* a member change's new status */
	const char *details; /* an event's details, or a member change's reason */
	int64_t at;
};
struct fw_store_log_hook *fw_http_log_hook_event(struct fw_req *req, struct fw_http_log_hook *h, const char *type,
						 const char *subject, const char *details, int64_t at);
struct fw_store_log_hook *fw_http_log_hook_member(struct fw_req *req, struct fw_http_log_hook *h,
						  const char *member_id, const char *status, const char *reason,
						  int64_t at);
/* After the change and its entry committed: wakes the log's integrator and
 * logs the entry's index. */
void fw_http_log_hook_done(struct fw_req *req, const struct fw_http_log_hook *h);

/* Handlers, one file per resource. */
enum fw_err fw_api_health(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_program(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_whoami(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_clock_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_clock_post(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_create(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_list(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_update(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_suspend(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_reinstate(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_member_expel(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_token_create(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_token_list(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_token_revoke(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_advisory_create(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_advisory_list(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_advisory_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_advisory_update(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_advisory_schedule(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_advisory_expedite(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_artifact_add(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_artifact_list(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_plan_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_policy_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_policy_versions(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_policy_check(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_policy_put(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_policy_diff(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_policy_explain(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_list(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_copy(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_minisig(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_reads(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_receipt(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_ack_get(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_delivery_ack_post(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_log_checkpoint(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_log_tile(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_log_proof_inclusion(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_log_proof_consistency(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_log_cosignatures(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_trace(struct fw_req *, struct fw_resp *);
enum fw_err fw_api_artifact_capacity(struct fw_req *, struct fw_resp *);
/* api_trace.c: the "mark" object of an upload's answer, and the schedule
 * step's fingerprint warnings (an array of strings; never NULL-fails the
 * schedule: a failure to check is logged and itself a warning). */
json_t *fw_api_mark_info_json(const struct fw_release_mark_info *mi, enum fw_kind kind);
json_t *fw_api_mark_warnings(struct fw_req *req, const char *advisory_id);

#endif
