/* forewarnd's options: one table (name, type, default, bounds, environment
 * variable, help); precedence flag > environment > file > default. */
#ifndef FW_DAEMON_CONFIG_H
#define FW_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "base/err.h"

#define FWD_PATH_BYTES 1024
/* --witness: up to FW_TLOG_LOG_WITNESSES_MAX verifier keys of at most
 * FW_TLOG_VKEY_BYTES, separated by "," */
#define FWD_WITNESS_BYTES (33 * 312)

struct fwd_config {
	char data[FWD_PATH_BYTES];
	char listen[128];
	char config[FWD_PATH_BYTES];
	char db[FWD_PATH_BYTES];
	char simulated_clock[64];
	char log_level[16];
	char tls_cert[FWD_PATH_BYTES];
	char tls_key[FWD_PATH_BYTES];
	char log_origin[256];
	char witness[FWD_WITNESS_BYTES]; /* a list: see fwd_config_witnesses */
	long long threads;
	long long max_connections;
	long long per_ip_connections;
	long long timeout;
	long long max_body;
	long long max_artifact;
	long long log_interval;
	long long claim_lease;
};

enum fwd_action { FWD_RUN, FWD_HELP, FWD_VERSION, FWD_CHECK, FWD_DUMP };

/* Reads the whole configuration; on error prints nothing, sets a detail. */
enum fw_err fwd_config_load(int argc, char **argv, struct fwd_config *cfg, enum fwd_action *action) FW_WUR;
/* Checks values that depend on each other or on files. */
enum fw_err fwd_config_validate(const struct fwd_config *cfg) FW_WUR;
void fwd_config_dump(const struct fwd_config *cfg, FILE *out);
/* The --witness keys, parsed and checked (type 0x04, no key twice, at most
 * max); *n may be 0. */
struct fw_tlog_vkey;
enum fw_err fwd_config_witnesses(const struct fwd_config *cfg, struct fw_tlog_vkey *out, size_t max,
				 size_t *n) FW_WUR;
void fwd_config_usage(FILE *out);

#endif
