/* Helpers shared by the command files: request bodies from options, output
 * of one record, local checks of option values. */
#ifndef FW_CLI_CMD_H
#define FW_CLI_CMD_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "base/time.h"
#include "cli/cli.h"

/* obj[key] = v as a JSON string; FW_ERR_INVALID naming --opt when v is not UTF-8. */
enum fw_err fw_cli_set_str(json_t *obj, const char *key, const char *v, const char *opt) FW_WUR;
/* obj[key] = the n strings of v as an array. */
enum fw_err fw_cli_set_strs(json_t *obj, const char *key, const char *const *v, int n, const char *opt) FW_WUR;
/* obj[key] = the value of --opt when given: a string, or null when the value
 * is "" and `empty_is_null`. Nothing when the option was not given. */
enum fw_err fw_cli_set_opt(json_t *obj, const char *key, const struct fw_cli_args *a, const char *opt,
			   bool empty_is_null) FW_WUR;
/* obj[key] = every value of the repeatable --opt, when given at least once. */
enum fw_err fw_cli_set_opt_all(json_t *obj, const char *key, const struct fw_cli_args *a, const char *opt) FW_WUR;

/* An RFC 3339 time argument, normalised to UTC ("2025-07-08T17:00:00Z"). */
enum fw_err fw_cli_time_arg(const char *s, const char *opt, char out[FW_TIME_BYTES]) FW_WUR;

/* Prints a record: the server's JSON with --json, else key: value lines. */
void fw_cli_show(const struct fw_cli *cli, const json_t *j);

/* The base64 line of a minisign public key given as a .pub file or as the
 * line itself, checked. FW_ERR_INVALID/FW_ERR_IO with a detail. */
enum fw_err fw_cli_minisign_key_arg(const char *arg, char *out, size_t n) FW_WUR;

/* The text of a delivery id (a JSON integer or string) into out; false
 * when it is neither or does not fit. */
bool fw_cli_id_text(const json_t *id, char *out, size_t n);

/* Every delivery the token may see with an id after `after` ("" for all),
 * optionally filtered, in the server's order (ascending ids), following
 * pages of FW_CLI_PAGE_LIMIT until an empty one. *out is a new array. */
enum fw_err fw_cli_deliveries_all(struct fw_cli *cli, const char *advisory, const char *member,
				  const char *after, json_t **out) FW_WUR;

/* Creates (POST COLLECTION) or updates (PATCH COLLECTION/ID, ID the first
 * positional argument) a record whose JSON body fill() builds from the
 * options, and shows the answer. `what` names the record in messages
 * ("member"). Returns the exit status. */
typedef enum fw_err (*fw_cli_body_fn)(const struct fw_cli_args *a, json_t *body);
int fw_cli_send_record(struct fw_cli *cli, const struct fw_cli_spec *spec, bool update, const char *collection,
		       const char *what, fw_cli_body_fn fill, int argc, char **argv);

/* GET path and print the array `key` of the answer as a table (or the
 * answer itself with --json); `spec` takes no options. Exit status. */
struct fw_cli_col;
int fw_cli_list(struct fw_cli *cli, const struct fw_cli_spec *spec, const char *path, const char *key,
		const struct fw_cli_col *cols, size_t ncols, const char *empty, int argc, char **argv);

#endif
