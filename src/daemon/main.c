/* forewarnd: the server of a forewarn early-warning program. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/time.h"
#include "daemon/config.h"
#include "daemon/dbcopy.h"
#include "daemon/keys.h"
#include "http/http.h"
#include "release/release.h"
#include "store/store.h"
#include "tlog/tlog.h"

static enum fw_err read_pem(const char *path, struct fw_buf *out, bool secret)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	if (!f)
		return fw_err_set(FW_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if (secret && fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		return fw_err_set(FW_ERR_STATE, "%s is readable by others: run chmod 600 %s", path, path);
	}
	char chunk[4096];
	size_t n;
	enum fw_err r = FW_OK;
	while (r == FW_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		r = fw_buf_append(out, chunk, n);
	fclose(f);
	fw_crypto_wipe(chunk, sizeof chunk);
	return r == FW_OK ? r : fw_err_set(r, "%s is too large for a PEM file", path);
}

static void first_start_banner(const struct fwd_config *cfg, const char *url)
{
	printf("forewarnd: first start: created %s with the database, the program signing key\n"
	       "  (%s/program.key, public half in %s/program.pub), the master key and an admin token.\n"
	       "  The admin token is in %s/admin.token (readable only by you). Next:\n"
	       "    export FOREWARN_URL=%s FOREWARN_TOKEN_FILE=%s/admin.token\n"
	       "    build/forewarn policy apply examples/policy.fw --comment \"first policy\"\n"
	       "    build/forewarn member add --help\n",
	       cfg->data, cfg->data, cfg->data, cfg->data, url, cfg->data);
}

static enum fw_err maybe_admin_token(const struct fwd_config *cfg, struct fw_store *store,
				     const struct fwd_keys *keys, bool *made)
{
	struct fw_token *ts = NULL;
	size_t n = 0;
	enum fw_err r = fw_store_token_list(store, NULL, &ts, &n);
	free(ts);
	*made = false;
	if (r != FW_OK || n > 0)
		return r;
	*made = true;
	return fwd_keys_admin_token(cfg->data, store, keys);
}

struct running {
	struct fw_store *store;
	struct fw_release *release;
	struct fw_tlog_log *log;
	struct fw_http_server *http;
	struct fw_buf cert, key;
};

static enum fw_err start(const struct fwd_config *cfg, struct fwd_keys *keys, struct fw_app *app,
			 struct running *run)
{
	char db[FWD_PATH_BYTES + 32], url[200];
	bool created = false, admin = false;
	enum fw_err r;

	if ((r = fwd_keys_load(cfg->data, keys, &created)) != FW_OK)
		return r;
	if (cfg->db[0])
		snprintf(db, sizeof db, "%s", cfg->db);
	else
		snprintf(db, sizeof db, "sqlite:%s/forewarn.db", cfg->data);
	/* The store's own message names the database with any password masked. */
	if ((r = fw_store_open(db, &run->store)) != FW_OK)
		return fw_err_set(r, "cannot open the database: %s", fw_err_detail());
	if ((r = maybe_admin_token(cfg, run->store, keys, &admin)) != FW_OK)
		return r;
	struct fw_release_config rc = {.store = run->store,
				       .sign_key = &keys->sign,
				       .master_key = keys->master,
				       .claim_lease_s = (int)cfg->claim_lease};
	if ((r = fw_release_new(&rc, &run->release)) != FW_OK)
		return r;
	/* The transparency log signs with the program's Ed25519 key (its
	 * verifier key is published at /api/v1/program) and integrates what
	 * a crash left unintegrated before anything is served. */
	struct fw_tlog_log_config lc = {.store = run->store, .key = &keys->sign, .origin = cfg->log_origin,
					.interval_ms = (unsigned)cfg->log_interval};
	/* Witnesses whose cosignatures of checkpoints are accepted and served
	 * (checked by fwd_config_validate already). */
	struct fw_tlog_vkey wit[FW_TLOG_LOG_WITNESSES_MAX];
	size_t nw = 0;
	if ((r = fwd_config_witnesses(cfg, wit, FW_TLOG_LOG_WITNESSES_MAX, &nw)) != FW_OK ||
	    (r = fw_tlog_log_open(&lc, &run->log)) != FW_OK ||
	    (r = fw_tlog_log_set_witnesses(run->log, wit, nw)) != FW_OK || (r = fw_tlog_log_start(run->log)) != FW_OK)
		return r;
	fw_release_set_log(run->release, run->log);
	*app = (struct fw_app){.store = run->store,
			       .release = run->release,
			       .log = run->log,
			       .sign_key = &keys->sign,
			       .master_key = keys->master,
			       .token_key = keys->token,
			       .max_body_bytes = (size_t)cfg->max_body,
			       .max_artifact_bytes = (size_t)cfg->max_artifact};
	struct fw_http_config hc = {.listen = cfg->listen,
				    .threads = (unsigned)cfg->threads,
				    .max_connections = (unsigned)cfg->max_connections,
				    .per_ip_connections = (unsigned)cfg->per_ip_connections,
				    .timeout_s = (unsigned)cfg->timeout};
	if (cfg->tls_cert[0]) {
		if ((r = read_pem(cfg->tls_cert, &run->cert, false)) != FW_OK ||
		    (r = read_pem(cfg->tls_key, &run->key, true)) != FW_OK)
			return r;
		hc.tls_cert_pem = fw_buf_str(&run->cert);
		hc.tls_key_pem = fw_buf_str(&run->key);
	}
	if ((r = fw_http_start(&hc, app, &run->http)) != FW_OK)
		return r;
	/* Plans follow the stored policy: re-plan once at start, so that a crash
	 * between storing a policy version and re-planning is healed. */
	if ((r = fw_release_replan_stale(run->release)) != FW_OK)
		return fw_err_set(r, "re-planning at start failed: %s", fw_err_detail());
	if ((r = fw_release_start(run->release)) != FW_OK)
		return r;
	const char *host = cfg->listen;
	const char *colon = strrchr(host, ':');
	snprintf(url, sizeof url, "%s://%.*s:%u", cfg->tls_cert[0] ? "https" : "http", (int)(colon - host), host,
		 fw_http_port(run->http));
	if (admin)
		first_start_banner(cfg, url);
	printf("forewarnd: listening on %s (data %s%s)\n", url, cfg->data,
	       fw_clock_is_simulated() ? ", simulated clock" : "");
	fflush(stdout);
	fw_log_info("daemon", "listening on %s", url);
	return FW_OK;
}

static void stop(struct running *run)
{
	fw_http_stop(run->http);       /* no new requests; in-flight ones finish */
	fw_release_free(run->release); /* the batch in hand finishes */
	fw_tlog_log_free(run->log);    /* and gets its checkpoint */
	fw_store_close(run->store);
	fw_buf_cleanup_secret(&run->key);
	fw_buf_cleanup(&run->cert);
}

int main(int argc, char **argv)
{
	struct fwd_config cfg;
	enum fwd_action action;
	struct fwd_keys keys;
	struct fw_app app;
	struct running run = {0};
	enum fw_log_level lvl;
	int status = 1;

	if (argc > 1 && strcmp(argv[1], "db-copy") == 0) /* an operator's tool, not the server */
		return fwd_dbcopy_main(argc - 1, argv + 1);
	if (fwd_config_load(argc, argv, &cfg, &action) != FW_OK) {
		fprintf(stderr, "forewarnd: %s\n", fw_err_detail());
		return 2;
	}
	switch (action) {
	case FWD_HELP: fwd_config_usage(stdout); return 0;
	case FWD_VERSION: printf("forewarnd %s\n", FW_HTTP_VERSION); return 0;
	case FWD_DUMP: fwd_config_dump(&cfg, stdout); return 0;
	default: break;
	}
	if (fwd_config_validate(&cfg) != FW_OK) {
		fprintf(stderr, "forewarnd: %s\n", fw_err_detail());
		return 2;
	}
	if (action == FWD_CHECK) {
		puts("forewarnd: configuration OK");
		return 0;
	}
	if (fw_log_level_parse(cfg.log_level, &lvl) == FW_OK)
		fw_log_set_level(lvl);
	if (fw_crypto_init() != FW_OK) {
		fprintf(stderr, "forewarnd: cannot initialise libsodium\n");
		return 1;
	}
	if (cfg.simulated_clock[0]) {
		int64_t t = 0;
		if (fw_time_parse(cfg.simulated_clock, &t) == FW_OK)
			fw_clock_simulate(t);
		fw_log_warn("daemon", "running on a simulated clock: for tests and demos only");
	}
	fw_buf_init(&run.cert, 1024 * 1024);
	fw_buf_init(&run.key, 1024 * 1024);

	/* Signals are taken by sigwait below, never by a worker thread. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (start(&cfg, &keys, &app, &run) != FW_OK) {
		fprintf(stderr, "forewarnd: %s\n", fw_err_detail());
		fw_log_error("daemon", "start failed: %s", fw_err_detail());
		goto out;
	}
	int sig = 0;
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		fw_log_info("daemon", "SIGHUP ignored: restart to change the configuration");
	fw_log_info("daemon", "signal %d: stopping (finishing requests in flight and the current release batch)", sig);
	status = 0;
out:
	stop(&run);
	fwd_keys_wipe(&keys);
	if (status == 0)
		fw_log_info("daemon", "stopped");
	return status;
}
