/* The HTTP server: libmicrohttpd underneath, a route table on top, and the
 * JSON API handlers. Every handler is a function from an authenticated
 * request to a response; none touches SQL. */
#ifndef FW_HTTP_HTTP_H
#define FW_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "release/release.h"
#include "store/store.h"

#define FW_HTTP_VERSION "0.1.0"

struct fw_tlog_log;

/* What the handlers work with; everything borrowed from the daemon. */
struct fw_app {
	struct fw_store *store;
	struct fw_release *release;
	struct fw_tlog_log *log; /* the transparency log; NULL: /log/ answers 503 */
	const struct fw_sign_key *sign_key;
	const uint8_t *master_key; /* encrypts artifacts at rest */
	const uint8_t *token_key;  /* keys the token hashes */
	size_t max_body_bytes;     /* JSON and policy bodies */
	size_t max_artifact_bytes; /* artifact uploads */
};

struct fw_http_config {
	const char *listen;        /* "127.0.0.1:8080", "[::1]:0", port 0 = any free port */
	unsigned threads;          /* thread pool size */
	unsigned max_connections;
	unsigned per_ip_connections;
	unsigned timeout_s;        /* idle connection timeout */
	const char *tls_cert_pem;  /* both NULL for plain HTTP */
	const char *tls_key_pem;
};

struct fw_http_server;

enum fw_err fw_http_start(const struct fw_http_config *cfg, struct fw_app *app,
			  struct fw_http_server **out) FW_WUR;
/* The port actually bound (useful with port 0). */
uint16_t fw_http_port(const struct fw_http_server *s);
/* Stops accepting, lets requests in flight finish, frees. NULL is a no-op. */
void fw_http_stop(struct fw_http_server *s);

/* The route table, for the test that keeps docs/api.yaml true. */
struct fw_http_route_info {
	const char *method;
	const char *pattern; /* "/api/v1/members/{id}" */
};
const struct fw_http_route_info *fw_http_routes(size_t *n);

#endif
