/* libmicrohttpd glue: connection state, bodies with limits, dispatch to the
 * route table, error bodies from the one error table, access log. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>

#include "base/log.h"
#include "http/internal.h"

struct fw_http_server {
	struct MHD_Daemon *mhd;
	struct fw_app *app;
	uint16_t port;
};

/* Per-request state, alive from the first call of the access handler to the
 * completion callback. */
struct ctx {
	struct fw_req req;
	const struct fw_route *route;
	char params[FW_HTTP_MAX_PARAMS][256];
	bool path_known;
	enum fw_err early; /* an error found before the body was complete */
	struct fw_buf body;
	struct timespec start;
	int status;
	char method[16];
	char path[512]; /* for handlers' messages and the access log; may be cut */
};

const char *fw_req_query(const struct fw_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

enum fw_err fw_req_json(const struct fw_req *req, json_t **out)
{
	json_error_t err;
	if (req->body_len == 0)
		return fw_err_set(FW_ERR_INVALID, "a JSON object body is required");
	json_t *j = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		return fw_err_set(FW_ERR_INVALID, "malformed JSON at line %d column %d: %s", err.line,
				  err.column, err.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return fw_err_set(FW_ERR_INVALID, "the body must be a JSON object");
	}
	*out = j;
	return FW_OK;
}

static void new_request_id(char out[24])
{
	uint8_t r[6];
	fw_crypto_random(r, sizeof r);
	out[0] = 'r';
	fw_crypto_hex(r, sizeof r, out + 1);
}

static void remote_of(struct MHD_Connection *conn, char out[64])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, 64, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, 64);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, 64);
}

static enum MHD_Result send_bytes(struct MHD_Connection *conn, struct ctx *c, int status,
				  const void *data, size_t n, const char *type)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(n, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Request-Id", c->req.id);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"forewarn\"");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	c->status = status;
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, struct ctx *c, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10)) : NULL;
	if (!s)
		return send_bytes(conn, c, 500, "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}\n",
				  60, "application/json");
	size_t n = strlen(s);
	enum MHD_Result r;
	char *line = malloc(n + 2);
	if (line) {
		memcpy(line, s, n);
		line[n] = '\n';
		r = send_bytes(conn, c, status, line, n + 1, "application/json");
		free(line);
	} else {
		r = send_bytes(conn, c, status, s, n, "application/json");
	}
	free(s);
	return r;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct ctx *c, enum fw_err e)
{
	const char *detail = fw_err_detail();
	/* Internal failures keep their detail in the log, never in the reply. */
	int status = fw_err_http_status(e);
	if (status >= 500 && e != FW_ERR_UNAVAILABLE && e != FW_ERR_BUSY) {
		fw_log_error("http", "%s %s failed: %s %s", c->req.method, c->req.path, fw_strerror(e), detail);
		detail = "";
	}
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", fw_err_code(e), "message",
			      detail[0] ? detail : fw_strerror(e));
	enum MHD_Result r = send_json(conn, c, status, j);
	json_decref(j);
	return r;
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, struct ctx *c)
{
	struct fw_resp resp = {.created = false, .json = NULL};
	enum fw_err e;
	fw_buf_init(&resp.raw, FW_CRYPTO_AGE_MAX_BYTES);
	fw_err_clear();
	if (c->early != FW_OK)
		return send_error(conn, c, c->early);
	if (c->route->roles != ROLE_ANY_PUBLIC) {
		const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		if ((e = fw_http_authenticate(&c->req, authz)) != FW_OK)
			return send_error(conn, c, e);
		if (!(c->route->roles & (1u << c->req.auth.role)))
			return send_error(conn, c, fw_err_set(FW_ERR_FORBIDDEN, "a %s token may not do this",
							      fw_role_name(c->req.auth.role)));
	}
	c->req.body = c->body.data;
	c->req.body_len = c->body.len;
	e = c->route->handler(&c->req, &resp);
	enum MHD_Result r;
	if (e != FW_OK)
		r = send_error(conn, c, e);
	else if (resp.json)
		r = send_json(conn, c, resp.created ? 201 : 200, resp.json);
	else
		r = send_bytes(conn, c, resp.created ? 201 : 200, resp.raw.data, resp.raw.len,
			       resp.content_type ? resp.content_type : "application/octet-stream");
	json_decref(resp.json);
	fw_buf_cleanup(&resp.raw);
	return r;
}

/* The first call sees only the headers: find the route and check the
 * declared size before any body is read. */
static void begin(struct fw_http_server *srv, struct MHD_Connection *conn, struct ctx *c,
		  const char *url, const char *method)
{
	c->req.app = srv->app;
	c->req.conn = conn;
	snprintf(c->method, sizeof c->method, "%s", method);
	snprintf(c->path, sizeof c->path, "%s", url);
	c->req.method = c->method;
	c->req.path = c->path;
	new_request_id(c->req.id);
	remote_of(conn, c->req.remote);
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	c->route = fw_http_route_match(method, url, c->params, &c->path_known);
	size_t limit = srv->app->max_body_bytes;
	if (c->route && c->route->artifact_body)
		limit = srv->app->max_artifact_bytes;
	fw_buf_init(&c->body, limit);
	for (unsigned i = 0; i < FW_HTTP_MAX_PARAMS; i++)
		c->req.params[i] = c->params[i];
	c->req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!c->route) {
		c->early = c->path_known
				   ? fw_err_set(FW_ERR_UNSUPPORTED, "method %s is not allowed on %s", method, url)
				   : fw_err_set(FW_ERR_NOT_FOUND, "no such endpoint");
		return;
	}
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		unsigned long long v = strtoull(cl, &end, 10);
		if (*end == '\0' && v > limit)
			c->early = fw_err_set(FW_ERR_TOO_LARGE, "the body is larger than the limit of %zu bytes", limit);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct fw_http_server *srv = cls;
	struct ctx *c = *con_cls;
	(void)version;
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c)
			return MHD_NO;
		*con_cls = c;
		begin(srv, conn, c, url, method);
		fw_log_set_request(c->req.id);
		/* Refuse an oversized or unroutable request before reading its body. */
		if (c->early != FW_OK)
			return send_error(conn, c, c->early);
		return MHD_YES;
	}
	fw_log_set_request(c->req.id);
	if (*upload_data_size) {
		if (c->early == FW_OK && fw_buf_append(&c->body, upload_data, *upload_data_size) != FW_OK)
			c->early = fw_err_set(FW_ERR_TOO_LARGE, "the body is larger than the limit of %zu bytes",
					      c->body.max);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->status)
		return MHD_YES; /* already answered */
	return dispatch(conn, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ctx *c = *con_cls;
	(void)cls;
	(void)conn;
	if (!c)
		return;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long ms = (end.tv_sec - c->start.tv_sec) * 1000 + (end.tv_nsec - c->start.tv_nsec) / 1000000;
	fw_log_set_request(c->req.id);
	fw_log_info("http", "%s %s -> %d in %ld ms from %s (token %s%s)", c->req.method, c->req.path,
		    c->status, ms, c->req.remote, c->req.auth.token_id[0] ? c->req.auth.token_id : "-",
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ", connection ended early");
	fw_log_set_request(NULL);
	fw_buf_cleanup_secret(&c->body);
	fw_crypto_wipe(c, sizeof *c);
	free(c);
	*con_cls = NULL;
}

/* "127.0.0.1:8080", "[::1]:8080", "localhost:0" (localhost means 127.0.0.1). */
static enum fw_err parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return fw_err_set(FW_ERR_INVALID, "listen address \"%s\" must be HOST:PORT", listen);
	size_t hl = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (hl < 3 || listen[hl - 1] != ']')
			return fw_err_set(FW_ERR_INVALID, "bad IPv6 listen address \"%s\"", listen);
		snprintf(host, sizeof host, "%.*s", (int)(hl - 2), listen + 1);
	} else {
		snprintf(host, sizeof host, "%.*s", (int)hl, listen);
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return fw_err_set(FW_ERR_INVALID, "bad port in listen address \"%s\"", listen);
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*v6 = false;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*v6 = true;
	} else {
		return fw_err_set(FW_ERR_INVALID, "listen host \"%s\" is not an IP address", host);
	}
	return FW_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	fw_log_warn("http", "libmicrohttpd: %s", msg);
}

enum fw_err fw_http_start(const struct fw_http_config *cfg, struct fw_app *app,
			  struct fw_http_server **out)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	enum fw_err r;
	if ((r = parse_listen(cfg->listen, &ss, &v6)) != FW_OK)
		return r;
	struct fw_http_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return FW_ERR_NOMEM;
	srv->app = app;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO | MHD_USE_ITC;
	if (v6)
		flags |= MHD_USE_IPv6;
	bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			free(srv);
			return fw_err_set(FW_ERR_UNSUPPORTED, "this libmicrohttpd has no TLS support");
		}
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_SOCK_ADDR, 0, &ss},
		{MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL},
		{MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_connections, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s, NULL},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
		{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
		{tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)(uintptr_t)cfg->tls_cert_pem},
		{tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)(uintptr_t)cfg->tls_key_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		free(srv);
		return fw_err_set(FW_ERR_IO, "cannot listen on %s (address in use, or bad TLS key/certificate)",
				  cfg->listen);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : 0;
	*out = srv;
	return FW_OK;
}

uint16_t fw_http_port(const struct fw_http_server *s) { return s->port; }

void fw_http_stop(struct fw_http_server *s)
{
	if (!s)
		return;
	/* Quiesce first: no new connections; then stopping waits for the pool's
	 * threads, which finish the requests they are handling. */
	MHD_socket fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	MHD_stop_daemon(s->mhd);
	free(s);
}
