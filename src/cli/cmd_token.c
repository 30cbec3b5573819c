/* forewarn token create | list | revoke */
#include <string.h>

#include "base/time.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

static const struct fw_cli_opt create_opts[] = {
	{"role", "ROLE", false, false, "member, auditor or admin (default member when --member is given)"},
	{"member", "ID", false, false, "the member the token acts for (role member only)"},
	{"label", "L", false, false, "a label to recognise the token by"},
	{"expires-in", "DURATION", false, false, "lifetime, e.g. 90d or 12h (default: no expiry)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec create_spec = {
	"token create", "", 0, 0, create_opts,
	"Creates an API token and prints it once, alone on a line of standard output.\n"
	"The server keeps only a hash: store the token now."};

static const struct fw_cli_opt list_opts[] = {
	{"member", "ID", false, false, "only the tokens of this member"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec list_spec = {"token list", "", 0, 0, list_opts,
					     "Lists tokens (never their values)."};
static const struct fw_cli_spec revoke_spec = {"token revoke", "TOKEN_ID", 1, 1, NULL,
					       "Revokes a token by its id (tok_…)."};

static enum fw_err create_body(const struct fw_cli_args *a, json_t *body)
{
	enum fw_err r;
	const char *role = fw_cli_arg(a, "role");
	const char *member = fw_cli_arg(a, "member");
	const char *exp = fw_cli_arg(a, "expires-in");
	int64_t secs;

	if (!role && !member)
		return fw_err_set(FW_ERR_INVALID, "--role is required (member, auditor or admin)");
	if (!role)
		role = "member";
	if (strcmp(role, "member") != 0 && strcmp(role, "auditor") != 0 && strcmp(role, "admin") != 0)
		return fw_err_set(FW_ERR_INVALID, "--role must be member, auditor or admin");
	if (strcmp(role, "member") == 0 && !member)
		return fw_err_set(FW_ERR_INVALID, "a member token needs --member ID");
	if (strcmp(role, "member") != 0 && member)
		return fw_err_set(FW_ERR_INVALID, "--member is only for --role member");
	if (member && !fw_cli_is_slug(member))
		return fw_err_set(FW_ERR_INVALID, "\"%.64s\" is not a member id", member);
	if (exp && (fw_duration_parse(exp, &secs) != FW_OK || secs <= 0))
		return fw_err_set(FW_ERR_INVALID, "--expires-in wants a positive duration such as 90d or 12h");
	if ((r = fw_cli_set_str(body, "role", role, "role")) != FW_OK ||
	    (r = fw_cli_set_opt(body, "member", a, "member", false)) != FW_OK ||
	    (r = fw_cli_set_opt(body, "label", a, "label", false)) != FW_OK)
		return r;
	return fw_cli_set_opt(body, "expires_in", a, "expires-in", false);
}

static int token_create(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	json_t *body = NULL, *got = NULL;
	enum fw_err r = FW_OK;
	int rc = fw_cli_args_parse(cli, &create_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (!(body = json_object()))
		return fw_cli_finish(FW_ERR_NOMEM);
	if ((r = create_body(&a, body)) != FW_OK) {
		json_decref(body);
		return fw_cli_usage(&create_spec, "%s", fw_err_detail());
	}
	if ((r = fw_cli_send_json(cli, "POST", "/api/v1/tokens", body, &got)) != FW_OK)
		goto out;
	json_t *tok = json_object_get(got, "token");
	const char *value = json_string_value(tok);
	if (!value || !*value) {
		r = fw_err_set(FW_ERR_INVALID, "the server's answer holds no token");
		goto out;
	}
	if (cli->json) {
		fw_cli_print_json(got);
	} else {
		char line[FW_CLI_MAX_TOKEN_BYTES];
		snprintf(line, sizeof line, "%s", value);
		fw_cli_sanitize(line, false);
		printf("%s\n", line);
		fw_crypto_wipe(line, sizeof line);
	}
	fflush(stdout);
	char id[64];
	snprintf(id, sizeof id, "%s", fw_cli_jstr(json_object_get(got, "info"), "id") ?
					      fw_cli_jstr(json_object_get(got, "info"), "id") : "?");
	fw_cli_sanitize(id, false);
	fprintf(stderr, "forewarn: warning: the token is shown this once and cannot be shown again; store it now "
			"(token id %s)\n", id);
	/* jansson's copy of the token is ours to wipe before it is freed. */
	fw_crypto_wipe((char *)value, strlen(value));
out:
	json_decref(body);
	json_decref(got);
	return fw_cli_finish(r);
}

static const struct fw_cli_col token_cols[] = {
	{"ID", "id", NULL},           {"ROLE", "role", NULL},          {"MEMBER", "member", NULL},
	{"LABEL", "label", NULL},     {"CREATED", "created_at", NULL}, {"EXPIRES", "expires_at", NULL},
	{"REVOKED", "revoked_at", NULL}, {"LAST USED", "last_used_at", NULL},
};

static int token_list(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	const char *member;
	int rc = fw_cli_args_parse(cli, &list_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	member = fw_cli_arg(&a, "member");
	if (member && !fw_cli_is_slug(member))
		return fw_cli_usage(&list_spec, "\"%s\" is not a member id", member);
	fw_buf_init(&path, 1024);
	if ((r = fw_buf_puts(&path, "/api/v1/tokens")) != FW_OK)
		goto out;
	if (member && (r = fw_cli_query(&path, "member", member)) != FW_OK)
		goto out;
	if ((r = fw_cli_get_json(cli, fw_buf_str(&path), &got)) != FW_OK)
		goto out;
	if (cli->json)
		fw_cli_print_json(got);
	else
		r = fw_cli_print_table(json_object_get(got, "tokens"), token_cols,
				       sizeof token_cols / sizeof token_cols[0], "no tokens");
out:
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

static int token_revoke(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &revoke_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (strncmp(a.pos[0], "fwt_", 4) == 0)
		return fw_cli_usage(&revoke_spec, "give the token's id (tok_…), not the token itself");
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, "/api/v1/tokens/", a.pos[0], "")) != FW_OK ||
	    (r = fw_cli_send_json(cli, "DELETE", fw_buf_str(&path), NULL, &got)) != FW_OK)
		goto out;
	if (cli->json) {
		fw_cli_print_json(got);
	} else {
		char text[2][128];
		fw_cli_json_text(json_object_get(got, "id"), text[0], sizeof text[0]);
		fw_cli_json_text(json_object_get(got, "revoked_at"), text[1], sizeof text[1]);
		printf("token %s revoked at %s\n", text[0], text[1]);
	}
out:
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

static const struct fw_cli_cmd token_cmds[] = {
	{"create", token_create, "create a token (shown once)"},
	{"list", token_list, "list tokens"},
	{"revoke", token_revoke, "revoke a token"},
};

int fw_cli_cmd_token(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn token", token_cmds, sizeof token_cmds / sizeof token_cmds[0], argc,
			       argv);
}
