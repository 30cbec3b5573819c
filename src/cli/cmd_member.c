/* forewarn member add | list | show | update | suspend | reinstate | expel */
#include <ctype.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

static const struct fw_cli_opt add_opts[] = {
	{"id", "ID", false, true, "the member's id (a slug: a-z, 0-9, -)"},
	{"name", "NAME", false, true, "the organisation's name"},
	{"tier", "TIER", false, true, "the policy tier"},
	{"jurisdiction", "CC", false, true, "ISO 3166-1 alpha-2 country code"},
	{"age-recipient", "RECIPIENT", false, true, "the age X25519 recipient copies are sealed to"},
	{"contact", "C", false, false, "contact (e-mail address or URL)"},
	{"tag", "T", true, false, "a tag"},
	{"minisign-key", "FILE", false, false, "minisign public key (.pub) for signed receipts"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec add_spec = {"member add", "", 0, 0, add_opts,
					    "Adds a member organisation and prints it."};

static const struct fw_cli_opt update_opts[] = {
	{"name", "NAME", false, false, "the organisation's name"},
	{"tier", "TIER", false, false, "the policy tier"},
	{"jurisdiction", "CC", false, false, "ISO 3166-1 alpha-2 country code"},
	{"status", "STATUS", false, false, "active, probation, suspended or expelled"},
	{"contact", "C", false, false, "contact (e-mail address or URL)"},
	{"tag", "T", true, false, "a tag; the tags given replace all tags"},
	{"no-tags", NULL, false, false, "remove all tags"},
	{"age-recipient", "RECIPIENT", false, false, "the age X25519 recipient copies are sealed to"},
	{"minisign-key", "FILE", false, false, "minisign public key (.pub); \"\" removes it"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec update_spec = {"member update", "ID", 1, 1, update_opts,
					       "Changes the fields given and prints the member."};

static const struct fw_cli_spec list_spec = {"member list", "", 0, 0, NULL, "Lists all members."};
static const struct fw_cli_spec show_spec = {"member show", "ID", 1, 1, NULL, "Shows one member."};
static const struct fw_cli_opt reason_opts[] = {
	{"reason", "TEXT", false, true, "why (kept with the change)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec suspend_spec = {
	"member suspend", "ID", 1, 1, reason_opts,
	"Suspends a member at once: every pending release to it is withheld, and it can no\n"
	"longer download copies it already had. Its tokens still authenticate."};
static const struct fw_cli_spec reinstate_spec = {
	"member reinstate", "ID", 1, 1, reason_opts,
	"Makes a suspended member active again; what it is owed is planned anew."};
static const struct fw_cli_spec expel_spec = {
	"member expel", "ID", 1, 1, reason_opts,
	"Expels a member for good: everything is withheld and all its tokens are revoked."};

/* The options that map one-to-one onto string fields of the member JSON. */
static const struct {
	const char *opt;
	const char *key;
} plain_fields[] = {
	{"id", "id"},       {"name", "name"},       {"tier", "tier"},
	{"status", "status"}, {"contact", "contact"},
};

static enum fw_err member_body(const struct fw_cli_args *a, json_t *body)
{
	enum fw_err r;
	uint8_t pk[32];
	char cc[8];
	char key[256];
	const char *v;

	for (size_t i = 0; i < sizeof plain_fields / sizeof plain_fields[0]; i++)
		if ((r = fw_cli_set_opt(body, plain_fields[i].key, a, plain_fields[i].opt, false)) != FW_OK)
			return r;
	if ((v = fw_cli_arg(a, "jurisdiction"))) {
		if (strlen(v) != 2 || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]))
			return fw_err_set(FW_ERR_INVALID, "--jurisdiction wants a two-letter country code (e.g. DE)");
		cc[0] = (char)toupper((unsigned char)v[0]);
		cc[1] = (char)toupper((unsigned char)v[1]);
		cc[2] = '\0';
		if ((r = fw_cli_set_str(body, "jurisdiction", cc, "jurisdiction")) != FW_OK)
			return r;
	}
	if ((v = fw_cli_arg(a, "age-recipient"))) {
		if (fw_age_recipient_parse(v, pk) != FW_OK)
			return fw_err_set(FW_ERR_INVALID, "--age-recipient is not an age X25519 recipient (age1…)");
		if ((r = fw_cli_set_str(body, "age_recipient", v, "age-recipient")) != FW_OK)
			return r;
	}
	if (fw_cli_flag(a, "no-tags") && fw_cli_flag(a, "tag"))
		return fw_err_set(FW_ERR_INVALID, "--tag and --no-tags exclude each other");
	if (fw_cli_flag(a, "no-tags"))
		r = fw_cli_set_strs(body, "tags", NULL, 0, "tag");
	else
		r = fw_cli_set_opt_all(body, "tags", a, "tag");
	if (r != FW_OK)
		return r;
	if ((v = fw_cli_arg(a, "minisign-key"))) {
		if (*v == '\0')
			return json_object_set_new(body, "minisign_pubkey", json_null()) == 0 ? FW_OK : FW_ERR_NOMEM;
		if ((r = fw_cli_minisign_key_arg(v, key, sizeof key)) != FW_OK)
			return r;
		return fw_cli_set_str(body, "minisign_pubkey", key, "minisign-key");
	}
	return FW_OK;
}

/* POST (add) or PATCH (update) with the body from the options; prints the member. */
static int member_add(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_send_record(cli, &add_spec, false, "/api/v1/members", "member", member_body, argc, argv);
}

static int member_update(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_send_record(cli, &update_spec, true, "/api/v1/members", "member", member_body, argc, argv);
}

static const struct fw_cli_col member_cols[] = {
	{"ID", "id", NULL},         {"NAME", "name", NULL},     {"TIER", "tier", NULL},
	{"JURISDICTION", "jurisdiction", NULL}, {"STATUS", "status", NULL}, {"TAGS", "tags", NULL},
	{"CONTACT", "contact", NULL},
};

static int member_list(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_list(cli, &list_spec, "/api/v1/members", "members", member_cols, sizeof member_cols / sizeof member_cols[0], "no members", argc, argv);
}

static int member_show(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &show_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (!fw_cli_is_slug(a.pos[0]))
		return fw_cli_usage(&show_spec, "\"%s\" is not a member id", a.pos[0]);
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, "/api/v1/members/", a.pos[0], "")) == FW_OK &&
	    (r = fw_cli_get_json(cli, fw_buf_str(&path), &got)) == FW_OK)
		fw_cli_show(cli, got);
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

/* suspend, reinstate and expel: POST /api/v1/members/ID/ACTION with a reason. */
static int sanction(struct fw_cli *cli, const struct fw_cli_spec *spec, const char *action, int argc,
		    char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *body = NULL, *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (!fw_cli_is_slug(a.pos[0]))
		return fw_cli_usage(spec, "\"%s\" is not a member id", a.pos[0]);
	fw_buf_init(&path, 1024);
	if (!(body = json_pack("{s:s}", "reason", fw_cli_arg(&a, "reason")))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	char suffix[32];
	snprintf(suffix, sizeof suffix, "/%s", action);
	if ((r = fw_cli_path(&path, "/api/v1/members/", a.pos[0], suffix)) != FW_OK ||
	    (r = fw_cli_send_json(cli, "POST", fw_buf_str(&path), body, &got)) != FW_OK)
		goto out;
	if (cli->json) {
		fw_cli_print_json(got);
	} else {
		const char *st = json_string_value(json_object_get(json_object_get(got, "member"), "status"));
		printf("member %s is now %s", a.pos[0], st ? st : "?");
		json_t *rev = json_object_get(got, "tokens_revoked");
		if (json_is_integer(rev) && json_integer_value(rev) > 0)
			printf("; %lld tokens revoked", (long long)json_integer_value(rev));
		printf("\n");
	}
out:
	json_decref(body);
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

static int member_suspend(struct fw_cli *cli, int argc, char **argv)
{
	return sanction(cli, &suspend_spec, "suspend", argc, argv);
}

static int member_reinstate(struct fw_cli *cli, int argc, char **argv)
{
	return sanction(cli, &reinstate_spec, "reinstate", argc, argv);
}

static int member_expel(struct fw_cli *cli, int argc, char **argv)
{
	return sanction(cli, &expel_spec, "expel", argc, argv);
}

static const struct fw_cli_cmd member_cmds[] = {
	{"add", member_add, "add a member organisation"},
	{"list", member_list, "list all members"},
	{"show", member_show, "show one member"},
	{"update", member_update, "change a member's fields"},
	{"suspend", member_suspend, "suspend a member (everything withheld)"},
	{"reinstate", member_reinstate, "make a suspended member active again"},
	{"expel", member_expel, "expel a member (everything withheld)"},
};

int fw_cli_cmd_member(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn member", member_cmds, sizeof member_cmds / sizeof member_cmds[0], argc,
			       argv);
}
