/* The forewarn command-line client: shared state, the option parser, the
 * command tables and the helpers every command uses.
 *
 * The CLI talks to forewarnd over HTTP only (http.h); it shares nothing with
 * the server but src/base/ and src/crypto/. Output goes through out.h so
 * that --json and the human tables stay consistent. */
#ifndef FW_CLI_CLI_H
#define FW_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"

#define FW_CLI_VERSION "0.1.0"
#define FW_CLI_DEFAULT_URL "http://127.0.0.1:8080"

/* Exit statuses. */
#define FW_CLI_EXIT_OK 0
#define FW_CLI_EXIT_FAIL 1
#define FW_CLI_EXIT_USAGE 2
/* What fw_cli_args_parse returns when the command should go on. */
#define FW_CLI_CONTINUE (-1)

/* Limits. */
#define FW_CLI_MAX_RESPONSE_BYTES (64u * 1024u * 1024u) /* any one HTTP response */
#define FW_CLI_MAX_UPLOAD_BYTES (64u * 1024u * 1024u)   /* an artifact or policy file */
#define FW_CLI_MAX_SMALL_FILE_BYTES (64u * 1024u)       /* keys, tokens, .minisig, state */
#define FW_CLI_MAX_TOKEN_BYTES 256
#define FW_CLI_CONNECT_TIMEOUT_S 10L
#define FW_CLI_TIMEOUT_S 600L
#define FW_CLI_PAGE_LIMIT 100      /* deliveries asked for per request */
#define FW_CLI_MAX_PAGES 100000    /* a server that never ends a listing is a bug */
#define FW_CLI_SLUG_MAX 63         /* [a-z0-9][a-z0-9-]{0,62}, as the model */

/* Global state of one run. */
struct fw_cli {
	const char *url;        /* base URL without trailing '/', owned by `url_buf` or argv */
	char url_buf[1024];
	const char *token_file; /* --token-file, or NULL */
	const char *cacert;     /* --cacert, or NULL */
	bool json;              /* --json */
	bool token_loaded;
	char token[FW_CLI_MAX_TOKEN_BYTES]; /* "" when none; wiped before exit */
	const char *token_source;           /* for messages: "--token-file X", "FOREWARN_TOKEN" */
};

/* The token to send, loaded on first use from --token-file, FOREWARN_TOKEN or
 * FOREWARN_TOKEN_FILE (in that order). *out is "" when there is none. */
enum fw_err fw_cli_token(struct fw_cli *cli, const char **out) FW_WUR;
void fw_cli_wipe(struct fw_cli *cli);

/* --- commands ----------------------------------------------------------- */

/* argv[0] is the command's own name; options start at argv[1]. Returns the
 * exit status. */
typedef int (*fw_cli_run_fn)(struct fw_cli *cli, int argc, char **argv);

struct fw_cli_cmd {
	const char *name;
	fw_cli_run_fn run;
	const char *summary;
};

/* Runs the command of `cmds` (n entries) named by argv[1] with argv+1; prints
 * the table on --help or when the name is missing or unknown. `group` is the
 * words typed so far ("forewarn member"). */
int fw_cli_dispatch(struct fw_cli *cli, const char *group, const struct fw_cli_cmd *cmds, size_t n,
		    int argc, char **argv);

/* Top-level commands, one per group (each dispatches its own sub-table). */
int fw_cli_cmd_member(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_token(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_advisory(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_artifact(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_plan(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_deliveries(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_policy(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_fetch(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_clock(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_whoami(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_program(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_demo(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_log(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_trace(struct fw_cli *cli, int argc, char **argv);
int fw_cli_cmd_ack(struct fw_cli *cli, int argc, char **argv);

/* --- acknowledgements, member side (cmd_ack.c) --------------------------- */
struct fw_sign_key;
/* Reads an unencrypted minisign secret key (minisign -G -W); a
 * password-protected one is FW_ERR_UNSUPPORTED with a detail saying what
 * to do instead. */
enum fw_err fw_cli_ack_key_load(const char *path, struct fw_sign_key *k) FW_WUR;
/* A copy that has been verified (signature, plaintext hash, log receipt). */
struct fw_cli_ack_copy {
	const char *delivery_id, *member, *advisory, *kind;
	long long version;
	const uint8_t *copy; /* the age file */
	size_t copy_len;
	const char *plain_sha256; /* hex, of the signed trusted comment */
	const char *receipt;      /* its verified tlog-proof */
	size_t receipt_len;
};
/* Acknowledges the copy: builds its statement from what was verified (the
 * log origin and index from the receipt), requires the server's to be the
 * same byte for byte, signs it with k and sends the signature. Done
 * already is fine. *index gets the receipt entry's log index. */
enum fw_err fw_cli_ack_copy(struct fw_cli *cli, const struct fw_sign_key *k, const struct fw_cli_ack_copy *c,
			    uint64_t *index) FW_WUR;
/* forewarn db copy: runs forewarnd db-copy (cmd_db.c) */
int fw_cli_cmd_db(struct fw_cli *cli, int argc, char **argv);
/* forewarn artifact capacity (cmd_trace.c) */
int fw_cli_artifact_capacity(struct fw_cli *cli, int argc, char **argv);

/* --- the transparency log, member side (cmd_log.c) ----------------------- */
struct fw_cli_log;
struct fw_cli_log *fw_cli_log_new(struct fw_cli *cli); /* NULL on no memory */
void fw_cli_log_free(struct fw_cli_log *l);
struct fw_cli_args;
/* The --witness VKEY (repeatable) and --quorum N options, for a command's
 * option table (forewarn log …, forewarn fetch). */
#define FW_CLI_LOG_WITNESS_OPTS \
	{"witness", "VKEY", true, false, "a witness's cosignature verifier key (type 0x04); the newest " \
					 "checkpoint must be cosigned by --quorum of them"}, \
	{"quorum", "N", false, false, "how many --witness keys must have cosigned (default: all given)"}
/* Requires the newest checkpoint to be cosigned by `quorum` (decimal, 0 to
 * n; NULL: all n) of the n witness verifier keys v (name+hex8+base64, type
 * 0x04, none twice, at most 63); checkpoints kept from before or sent with
 * a proof need the log's signature only. FW_ERR_INVALID with a detail
 * naming the bad key or quorum. The strings are not kept. */
enum fw_err fw_cli_log_witnesses(struct fw_cli_log *l, const char *const *v, int n, const char *quorum) FW_WUR;
/* The same from the options of FW_CLI_LOG_WITNESS_OPTS. */
enum fw_err fw_cli_log_witness_args(struct fw_cli_log *l, const struct fw_cli_args *a) FW_WUR;
/* Fetches the newest signed checkpoint, verified with the log's verifier
 * key pinned in dir (the server's on first use) and the witnesses' quorum,
 * and checks it extends the one kept in dir (consistency proof; never
 * smaller); then pins the key on first use and keeps the checkpoint.
 * Nothing is written when a check fails. FW_ERR_CRYPTO, after a loud
 * message, when the log was forked, truncated or rewritten; FW_ERR_STATE
 * when the checkpoint lacks the witnesses' quorum. */
enum fw_err fw_cli_log_sync(struct fw_cli_log *l, const char *dir) FW_WUR;
/* Fetches a delivery's receipt and checks it: the inclusion proof against a
 * checkpoint consistent with the kept one (with witnesses required, the
 * entry must be in a tree they cosigned, else FW_ERR_STATE), the entry's
 * sealed hash against the copy, and its commitment's opening against the
 * copy's member, advisory, kind, version and plaintext hash (hex). Appends
 * the tlog-proof text to receipt_out (may be NULL). */
enum fw_err fw_cli_log_check_copy(struct fw_cli_log *l, const char *delivery_id, const uint8_t *copy,
				  size_t copy_len, const char *member, const char *advisory, const char *kind,
				  long long version, const char *plain_hex, struct fw_buf *receipt_out) FW_WUR;

/* --- options (args.c) --------------------------------------------------- */

struct fw_cli_opt {
	const char *name;  /* without the leading "--" */
	const char *meta;  /* value placeholder ("ID"); NULL for a flag */
	bool multi;        /* may be given more than once; all values kept */
	bool required;
	const char *help;
};

struct fw_cli_spec {
	const char *cmd;      /* "member add" */
	const char *pos;      /* positional synopsis ("ID"), or "" */
	int min_pos, max_pos;
	const struct fw_cli_opt *opts; /* ends with an entry whose name is NULL */
	const char *about;    /* a few lines for --help */
};

#define FW_CLI_MAX_OPTS 24
#define FW_CLI_MAX_VALUES 96
#define FW_CLI_MAX_POS 8

struct fw_cli_args {
	const struct fw_cli_spec *spec;
	int npos;
	const char *pos[FW_CLI_MAX_POS];
	int nval;
	int val_opt[FW_CLI_MAX_VALUES]; /* index into spec->opts */
	const char *val[FW_CLI_MAX_VALUES];
	bool seen[FW_CLI_MAX_OPTS];
};

/* Parses argv[1..] against spec. "--name value", "--name=value", "--" and the
 * global options (--url, --token-file, --cacert, --json) anywhere. Returns
 * FW_CLI_CONTINUE, or the exit status after --help (0) or a usage error (2). */
int fw_cli_args_parse(struct fw_cli *cli, const struct fw_cli_spec *spec, int argc, char **argv,
		      struct fw_cli_args *out);
/* The (last) value of an option, or NULL when it was not given. */
const char *fw_cli_arg(const struct fw_cli_args *a, const char *name);
bool fw_cli_flag(const struct fw_cli_args *a, const char *name);
/* Collects up to max values of a repeatable option, in order; returns how many. */
int fw_cli_arg_all(const struct fw_cli_args *a, const char *name, const char **out, int max);
/* Prints "forewarn: <message>" and a usage hint; returns FW_CLI_EXIT_USAGE. */
int fw_cli_usage(const struct fw_cli_spec *spec, const char *fmt, ...) FW_PRINTF(2, 3);
void fw_cli_help(const struct fw_cli_spec *spec);

/* Prints "forewarn: <detail or error text>" for r != FW_OK and maps r to an
 * exit status. */
int fw_cli_finish(enum fw_err r);
void fw_cli_error(const char *fmt, ...) FW_PRINTF(1, 2);

/* --- checks and small pure helpers (util.c) ------------------------------ */

/* A slug as the model defines ids and kinds: [a-z0-9][a-z0-9-]{0,62}. */
bool fw_cli_is_slug(const char *s);
bool fw_cli_is_kind(const char *s);
/* The media type guessed from a file name: text/markdown for .md,
 * application/json for .json, text/plain for .txt (and no extension), else
 * application/octet-stream. */
const char *fw_cli_guess_media_type(const char *path);
/* Parses a decimal integer in [min, max] (strtoll with every check). */
enum fw_err fw_cli_parse_int(const char *s, long long min, long long max, long long *out) FW_WUR;

/* The fields of a copy's signed trusted comment:
 *   forewarn delivery=<id> advisory=<a> kind=<k> version=<n> member=<m> sha256=<hex>
 * Unknown extra key=value fields are ignored (forward compatibility); every
 * field above must appear exactly once. */
/* The trusted comment of a copy's signature (no delivery id: the server
 * signs before the store assigns one; advisory, kind, version and member
 * name the copy uniquely). */
struct fw_cli_tc {
	char advisory[FW_CLI_SLUG_MAX + 1];
	char kind[FW_CLI_SLUG_MAX + 1];
	long long version;
	char member[FW_CLI_SLUG_MAX + 1];
	char sha256[65]; /* lower-case hex */
};
enum fw_err fw_cli_tc_parse(const char *tc, struct fw_cli_tc *out) FW_WUR;

/* --- files (files.c); errors carry a detail naming the path ---------------- */

/* Reads a whole regular file of at most max bytes into out (appended). */
enum fw_err fw_cli_file_read(const char *path, size_t max, struct fw_buf *out) FW_WUR;
/* Writes path atomically: a new temporary file beside it (O_EXCL, O_NOFOLLOW,
 * `mode`), fsync, rename over path. */
enum fw_err fw_cli_file_write_atomic(const char *path, const void *data, size_t n, mode_t mode) FW_WUR;
/* Creates a directory with `mode` when missing; an existing one must be a
 * directory, and a symbolic link to one is refused unless `follow`. */
enum fw_err fw_cli_dir_ensure(const char *path, mode_t mode, bool follow) FW_WUR;

#endif
