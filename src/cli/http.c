/* libcurl underneath the CLI; see http.h. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/http.h"
#include "crypto/crypto.h"

struct sink {
	struct fw_buf *buf;
	bool too_large;
};

enum fw_err fw_cli_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return fw_err_set(FW_ERR_INTERNAL, "cannot initialise libcurl");
	return FW_OK;
}

void fw_cli_http_cleanup(void) { curl_global_cleanup(); }

void fw_cli_resp_init(struct fw_cli_resp *r)
{
	memset(r, 0, sizeof *r);
	fw_buf_init(&r->body, FW_CLI_MAX_RESPONSE_BYTES);
}

void fw_cli_resp_cleanup(struct fw_cli_resp *r)
{
	fw_buf_cleanup_secret(&r->body);
	json_decref(r->json);
	r->json = NULL;
}

void fw_cli_sanitize(char *s, bool keep_newlines)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && !(keep_newlines && c == '\n') && c != '\t') || c == 0x7f)
			*s = ' ';
	}
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	if (fw_buf_append(s->buf, p, n) != FW_OK) {
		s->too_large = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

/* "Connection refused" -> "connection refused", for the middle of a sentence. */
static void lower_first(char *s)
{
	if (s[0] && isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
}

static enum fw_err transport_error(const struct fw_cli *cli, CURL *h, CURLcode cc, const char *errbuf,
				   const struct sink *sink)
{
	long os_errno = 0;
	char why[256];
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	snprintf(why, sizeof why, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
	fw_cli_sanitize(why, false);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		if (os_errno != 0)
			snprintf(why, sizeof why, "%s", strerror((int)os_errno));
		lower_first(why);
		return fw_err_set(FW_ERR_UNAVAILABLE, "cannot reach %s: %s — is forewarnd running?", cli->url, why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return fw_err_set(FW_ERR_UNAVAILABLE, "cannot reach %s: unknown host — is the URL right?", cli->url);
	case CURLE_OPERATION_TIMEDOUT:
		return fw_err_set(FW_ERR_UNAVAILABLE, "cannot reach %s: timed out — is forewarnd running?", cli->url);
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return fw_err_set(FW_ERR_INVALID, "bad server URL %s (want http://HOST:PORT or https://…)", cli->url);
	case CURLE_WRITE_ERROR:
		if (sink->too_large)
			return fw_err_set(FW_ERR_TOO_LARGE, "the server's answer is larger than %zu bytes; refused",
					  sink->buf->max);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return fw_err_set(FW_ERR_CRYPTO, "TLS failed with %s: %s (a private CA needs --cacert FILE)",
				  cli->url, why);
	default:
		break;
	}
	return fw_err_set(FW_ERR_IO, "request to %s failed: %s", cli->url, why);
}

static enum fw_err status_error(long status, const char *code)
{
	if (status == 400)
		return FW_ERR_INVALID;
	if (status == 401)
		return FW_ERR_UNAUTHORIZED;
	if (status == 403)
		return FW_ERR_FORBIDDEN;
	if (status == 404)
		return FW_ERR_NOT_FOUND;
	if (status == 405)
		return FW_ERR_UNSUPPORTED;
	if (status == 409)
		return strcmp(code, "conflict") == 0 ? FW_ERR_EXISTS : FW_ERR_STATE;
	if (status == 413)
		return FW_ERR_TOO_LARGE;
	if (status == 503)
		return FW_ERR_UNAVAILABLE;
	return status >= 500 ? FW_ERR_INTERNAL : FW_ERR_INVALID;
}

/* Turns a non-2xx answer into an error with a sentence for people. */
static enum fw_err answer_error(const struct fw_cli *cli, struct fw_cli_resp *resp)
{
	const char *msg = NULL;
	json_t *e = resp->json ? json_object_get(resp->json, "error") : NULL;
	if (json_is_object(e)) {
		const char *code = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
		snprintf(resp->err_code, sizeof resp->err_code, "%s", code ? code : "");
		fw_cli_sanitize(resp->err_code, false);
	}
	enum fw_err r = status_error(resp->status, resp->err_code);
	if (resp->status == 401)
		return fw_err_set(r, "the server rejected the token (missing, expired or revoked)%s",
				  cli->token[0] ? "" : "; no token was given (--token-file FILE, FOREWARN_TOKEN or FOREWARN_TOKEN_FILE)");
	if (!msg) {
		return fw_err_set(r, "the server answered HTTP %ld%s%s", resp->status,
				  resp->status == 404 ? " (not found: is the URL that of forewarnd?)" : "",
				  resp->status >= 500 ? " (server error)" : "");
	}
	char text[400];
	snprintf(text, sizeof text, "%s", msg);
	fw_cli_sanitize(text, false);
	return fw_err_set(r, "%s (HTTP %ld%s%s)", text, resp->status, resp->err_code[0] ? " " : "",
			  resp->err_code);
}

static enum fw_err add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *n = curl_slist_append(*list, h);
	if (!n)
		return FW_ERR_NOMEM;
	*list = n;
	return FW_OK;
}

/* Zeroes every header (the Authorization one holds the token) before freeing. */
static void free_headers(struct curl_slist *list)
{
	for (struct curl_slist *p = list; p; p = p->next)
		if (p->data)
			fw_crypto_wipe(p->data, strlen(p->data));
	curl_slist_free_all(list);
}

static enum fw_err build_headers(struct fw_cli *cli, const struct fw_cli_req *req, struct curl_slist **out)
{
	enum fw_err r;
	char line[FW_CLI_MAX_TOKEN_BYTES + 64];
	const char *tok = "";
	if ((r = add_header(out, "Accept: application/json, application/octet-stream, text/plain")) != FW_OK ||
	    (r = add_header(out, "Expect:")) != FW_OK)
		return r;
	if (req->content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
		if ((r = add_header(out, line)) != FW_OK)
			return r;
	}
	if (!req->anonymous && (r = fw_cli_token(cli, &tok)) != FW_OK)
		return r;
	if (*tok) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", tok);
		r = add_header(out, line);
		fw_crypto_wipe(line, sizeof line);
	}
	return r;
}

static enum fw_err setup(CURL *h, const struct fw_cli *cli, const struct fw_cli_req *req, const char *url,
			 struct curl_slist *headers, struct sink *sink, char *errbuf)
{
	CURLcode c = CURLE_OK;
#define SET(opt, val) \
	if (c == CURLE_OK) \
	c = curl_easy_setopt(h, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, FW_CLI_CONNECT_TIMEOUT_S);
	SET(CURLOPT_TIMEOUT, FW_CLI_TIMEOUT_S);
	SET(CURLOPT_USERAGENT, "forewarn/" FW_CLI_VERSION);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink->buf->max);
	if (cli->cacert)
		SET(CURLOPT_CAINFO, cli->cacert);
	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (req->body || strcmp(req->method, "DELETE") != 0) {
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	if (c != CURLE_OK)
		return fw_err_set(FW_ERR_INTERNAL, "libcurl: %s", curl_easy_strerror(c));
	return FW_OK;
}

static void parse_answer(CURL *h, struct fw_cli_resp *resp)
{
	char *ct = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(resp->content_type, sizeof resp->content_type, "%s", ct);
	bool is_json = strncmp(resp->content_type, "application/json", 16) == 0 ||
		       (resp->content_type[0] == '\0' && resp->body.len > 0 && resp->body.data[0] == '{');
	if (is_json && resp->body.len > 0)
		resp->json = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
}

enum fw_err fw_cli_http(struct fw_cli *cli, const struct fw_cli_req *req, struct fw_cli_resp *resp)
{
	enum fw_err r;
	struct curl_slist *headers = NULL;
	struct fw_buf url;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = {&resp->body, false};
	CURL *h = NULL;

	fw_buf_init(&url, 8192);
	fw_buf_reset(&resp->body);
	json_decref(resp->json);
	resp->json = NULL;
	resp->status = 0;
	resp->content_type[0] = resp->err_code[0] = '\0';
	resp->body.max = req->max_response ? req->max_response : FW_CLI_MAX_RESPONSE_BYTES;
	if (cli->cacert && access(cli->cacert, R_OK) != 0) {
		r = fw_err_set(FW_ERR_IO, "cannot read --cacert %s: %s", cli->cacert, strerror(errno));
		goto out;
	}
	if ((r = fw_buf_printf(&url, "%s%s", cli->url, req->path)) != FW_OK)
		goto out;
	if ((r = build_headers(cli, req, &headers)) != FW_OK)
		goto out;
	if (!(h = curl_easy_init())) {
		r = fw_err_set(FW_ERR_NOMEM, "cannot start libcurl");
		goto out;
	}
	if ((r = setup(h, cli, req, fw_buf_str(&url), headers, &sink, errbuf)) != FW_OK)
		goto out;
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		r = transport_error(cli, h, cc, errbuf, &sink);
		goto out;
	}
	parse_answer(h, resp);
	if (resp->status < 200 || resp->status > 299)
		r = answer_error(cli, resp);
out:
	if (h)
		curl_easy_cleanup(h);
	free_headers(headers);
	fw_buf_cleanup(&url);
	return r;
}

static enum fw_err json_call(struct fw_cli *cli, const struct fw_cli_req *req, json_t **out)
{
	struct fw_cli_resp resp;
	enum fw_err r;
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_http(cli, req, &resp)) != FW_OK)
		goto out;
	if (!json_is_object(resp.json)) {
		r = fw_err_set(FW_ERR_INVALID, "the server's answer to %s %s is not a JSON object", req->method,
			       req->path);
		goto out;
	}
	*out = resp.json;
	resp.json = NULL;
out:
	fw_cli_resp_cleanup(&resp);
	return r;
}

enum fw_err fw_cli_get_json(struct fw_cli *cli, const char *path, json_t **out)
{
	struct fw_cli_req req = {.method = "GET", .path = path};
	return json_call(cli, &req, out);
}

enum fw_err fw_cli_get_json_anon(struct fw_cli *cli, const char *path, json_t **out)
{
	struct fw_cli_req req = {.method = "GET", .path = path, .anonymous = true};
	return json_call(cli, &req, out);
}

enum fw_err fw_cli_send_json(struct fw_cli *cli, const char *method, const char *path, const json_t *body,
			     json_t **out)
{
	char *text = NULL;
	enum fw_err r;
	if (body && !(text = json_dumps(body, JSON_COMPACT)))
		return fw_err_set(FW_ERR_NOMEM, "cannot encode the request");
	struct fw_cli_req req = {
		.method = method,
		.path = path,
		.content_type = text ? "application/json" : NULL,
		.body = text,
		.body_len = text ? strlen(text) : 0,
	};
	r = json_call(cli, &req, out);
	free(text);
	return r;
}

enum fw_err fw_cli_escape(struct fw_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	enum fw_err r = FW_OK;
	for (; *s && r == FW_OK; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			r = fw_buf_append(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			r = fw_buf_append(b, e, 3);
		}
	}
	return r;
}

enum fw_err fw_cli_path(struct fw_buf *b, const char *prefix, const char *id, const char *suffix)
{
	enum fw_err r;
	if ((r = fw_buf_puts(b, prefix)) != FW_OK || (r = fw_cli_escape(b, id)) != FW_OK)
		return r;
	return fw_buf_puts(b, suffix);
}

enum fw_err fw_cli_query(struct fw_buf *b, const char *key, const char *value)
{
	enum fw_err r;
	bool has_query = strchr(fw_buf_str(b), '?') != NULL;
	if ((r = fw_buf_puts(b, has_query ? "&" : "?")) != FW_OK || (r = fw_cli_escape(b, key)) != FW_OK ||
	    (r = fw_buf_puts(b, "=")) != FW_OK)
		return r;
	return fw_cli_escape(b, value);
}
