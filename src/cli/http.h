/* The CLI's HTTP client (libcurl): one request at a time, bounded response,
 * timeouts, bearer token, and the API's error JSON turned into one sentence.
 *
 * On any failure the functions return an fw_err with a detail message that
 * is ready to print after "forewarn: " (see fw_cli_finish). */
#ifndef FW_CLI_HTTP_H
#define FW_CLI_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"

struct fw_cli_resp {
	long status;            /* 0 when no answer came */
	struct fw_buf body;     /* wiped on cleanup: it may hold a token or a copy */
	char content_type[128];
	json_t *json;           /* the body when it is JSON, else NULL; owned */
	char err_code[64];      /* error.code of an error answer, or "" */
};

struct fw_cli_req {
	const char *method;       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;         /* "/api/v1/…", escaped, query included */
	const char *content_type; /* of the body; NULL when there is none */
	const void *body;
	size_t body_len;
	bool anonymous;           /* send no token */
	size_t max_response;      /* 0 means FW_CLI_MAX_RESPONSE_BYTES */
};

/* Initialises the HTTP library; call once at start (and cleanup at exit). */
enum fw_err fw_cli_http_init(void) FW_WUR;
void fw_cli_http_cleanup(void);

void fw_cli_resp_init(struct fw_cli_resp *r);
void fw_cli_resp_cleanup(struct fw_cli_resp *r);

/* Sends req. FW_OK only for a 2xx answer; resp is filled in any case as far
 * as the answer went, so that a caller can look at an error's JSON. */
enum fw_err fw_cli_http(struct fw_cli *cli, const struct fw_cli_req *req, struct fw_cli_resp *resp) FW_WUR;

/* GET path (with the token) and hand over the JSON object answered. */
enum fw_err fw_cli_get_json(struct fw_cli *cli, const char *path, json_t **out) FW_WUR;
/* GET without a token. */
enum fw_err fw_cli_get_json_anon(struct fw_cli *cli, const char *path, json_t **out) FW_WUR;
/* method path with a JSON body (NULL: no body) and hand over the JSON answer. */
enum fw_err fw_cli_send_json(struct fw_cli *cli, const char *method, const char *path, const json_t *body,
			     json_t **out) FW_WUR;

/* Appends s percent-encoded (everything but RFC 3986 unreserved characters). */
enum fw_err fw_cli_escape(struct fw_buf *b, const char *s) FW_WUR;
/* Appends "prefix" + escaped(id) + "suffix" ("/api/v1/members/", id, ""). */
enum fw_err fw_cli_path(struct fw_buf *b, const char *prefix, const char *id, const char *suffix) FW_WUR;
/* Appends "?key=value" (or "&key=value" when b already has a '?'), escaped. */
enum fw_err fw_cli_query(struct fw_buf *b, const char *key, const char *value) FW_WUR;

/* Removes control characters from text the server sent before it reaches a
 * terminal: each becomes a space (newlines too unless keep_newlines). */
void fw_cli_sanitize(char *s, bool keep_newlines);

#endif
