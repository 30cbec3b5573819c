/* forewarn policy show | versions | check | diff | apply | explain */
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"

#define POLICY_TYPE "text/plain; charset=utf-8"

static const struct fw_cli_opt show_opts[] = {
	{"version", "N", false, false, "an earlier version (default: the current one)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec show_spec = {"policy show", "", 0, 0, show_opts,
					     "Prints the text of the policy."};
static const struct fw_cli_spec versions_spec = {"policy versions", "", 0, 0, NULL,
						 "Lists every accepted version of the policy."};
static const struct fw_cli_spec check_spec = {
	"policy check", "FILE", 1, 1, NULL,
	"Has the server check a policy file without applying it; prints each\n"
	"diagnostic as FILE:LINE:COL: error|warning: message. Exit status 1 on errors."};
static const struct fw_cli_spec diff_spec = {
	"policy diff", "FILE", 1, 1, NULL,
	"Applies nothing: lists every pending (member, advisory, kind) whose decision the\n"
	"file would change, before -> after, and what was already delivered to members\n"
	"the change would now restrict (\"already disclosed\"), with counts."};
static const struct fw_cli_opt explain_opts[] = {
	{"member", "ID", false, true, "the member"},
	{"advisory", "ID", false, true, "the advisory"},
	{"kind", "KIND", false, false, "one artifact kind (default: all)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec explain_spec = {
	"policy explain", "", 0, 0, explain_opts,
	"For each kind: the decision of the current policy (release at a time, or\n"
	"withheld) and the rule that decided it, with its line."};
static const struct fw_cli_opt apply_opts[] = {
	{"comment", "TEXT", false, true, "why the policy changes (kept with the version)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec apply_spec = {
	"policy apply", "FILE", 1, 1, apply_opts,
	"Checks and applies a policy file as the new version; every scheduled advisory\n"
	"is re-planned. On errors nothing changes, the diagnostics are printed and the\n"
	"exit status is 1."};

static int policy_show(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	long long n;
	int rc = fw_cli_args_parse(cli, &show_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *v = fw_cli_arg(&a, "version");
	if (v && fw_cli_parse_int(v, 1, 1000000000, &n) != FW_OK)
		return fw_cli_usage(&show_spec, "--version wants a version number (1, 2, …)");
	fw_buf_init(&path, 256);
	if ((r = fw_buf_puts(&path, "/api/v1/policy")) != FW_OK ||
	    (v && (r = fw_cli_query(&path, "version", v)) != FW_OK) ||
	    (r = fw_cli_get_json(cli, fw_buf_str(&path), &got)) != FW_OK)
		goto out;
	if (cli->json) {
		fw_cli_print_json(got);
	} else {
		const char *text = fw_cli_jstr(got, "text");
		if (!text) {
			r = fw_err_set(FW_ERR_INVALID, "the server's answer holds no policy text");
			goto out;
		}
		struct fw_buf copy;
		fw_buf_init(&copy, FW_CLI_MAX_RESPONSE_BYTES);
		if ((r = fw_buf_puts(&copy, text)) == FW_OK) {
			fw_cli_sanitize((char *)copy.data, true);
			fputs(fw_buf_str(&copy), stdout);
			if (copy.len > 0 && copy.data[copy.len - 1] != '\n')
				fputc('\n', stdout);
		}
		fw_buf_cleanup(&copy);
	}
out:
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

static const struct fw_cli_col version_cols[] = {
	{"VERSION", "version", NULL}, {"CREATED", "created_at", NULL}, {"AUTHOR", "author", NULL},
	{"SHA256", "sha256", NULL},   {"COMMENT", "comment", NULL},
};

static int policy_versions(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &versions_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if ((r = fw_cli_get_json(cli, "/api/v1/policy/versions", &got)) != FW_OK)
		goto out;
	if (cli->json)
		fw_cli_print_json(got);
	else
		r = fw_cli_print_table(json_object_get(got, "versions"), version_cols,
				       sizeof version_cols / sizeof version_cols[0], "no policy versions");
out:
	json_decref(got);
	return fw_cli_finish(r);
}

static bool is_error(const json_t *d)
{
	const char *sev = fw_cli_jstr(d, "severity");
	return !sev || strcmp(sev, "warning") != 0;
}

static size_t count_errors(const json_t *diags)
{
	size_t i, errors = 0;
	json_t *d;
	json_array_foreach(diags, i, d)
		errors += is_error(d);
	return errors;
}

/* Prints diagnostics as FILE:LINE:COL: severity: message. */
static void print_diagnostics(FILE *f, const char *file, const json_t *diags)
{
	size_t i;
	json_t *d;
	json_array_foreach(diags, i, d) {
		char line[32], col[32], sev[32], msg[1024];
		fw_cli_json_text(json_object_get(d, "line"), line, sizeof line);
		fw_cli_json_text(json_object_get(d, "col"), col, sizeof col);
		fw_cli_json_text(json_object_get(d, "severity"), sev, sizeof sev);
		fw_cli_json_text(json_object_get(d, "message"), msg, sizeof msg);
		fprintf(f, "%s:%s:%s: %s: %s\n", file, line, col, sev, msg);
	}
}

/* POST the text to /policy/check; *got is the answer. */
static enum fw_err check_text(struct fw_cli *cli, const struct fw_buf *text, json_t **got)
{
	struct fw_cli_resp resp;
	enum fw_err r;
	struct fw_cli_req req = {.method = "POST",
				 .path = "/api/v1/policy/check",
				 .content_type = POLICY_TYPE,
				 .body = text->data ? (const void *)text->data : "",
				 .body_len = text->len};
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_http(cli, &req, &resp)) == FW_OK) {
		if (!json_is_object(resp.json) || !json_is_array(json_object_get(resp.json, "diagnostics"))) {
			r = fw_err_set(FW_ERR_INVALID, "the server's answer to the check is malformed");
		} else {
			*got = resp.json;
			resp.json = NULL;
		}
	}
	fw_cli_resp_cleanup(&resp);
	return r;
}

static int read_policy(const struct fw_cli_spec *spec, const char *file, struct fw_buf *text)
{
	if (fw_cli_file_read(file, FW_CLI_MAX_UPLOAD_BYTES, text) != FW_OK)
		return fw_cli_usage(spec, "%s", fw_err_detail());
	if (!fw_utf8_valid(fw_buf_str(text), text->len) || memchr(fw_buf_str(text), '\0', text->len))
		return fw_cli_usage(spec, "%s is not UTF-8 text", file);
	return FW_CLI_CONTINUE;
}

static int policy_check(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf text;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &check_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	fw_buf_init(&text, FW_CLI_MAX_UPLOAD_BYTES);
	if ((rc = read_policy(&check_spec, a.pos[0], &text)) != FW_CLI_CONTINUE)
		goto done;
	if ((r = check_text(cli, &text, &got)) != FW_OK) {
		rc = fw_cli_finish(r);
		goto done;
	}
	json_t *diags = json_object_get(got, "diagnostics");
	size_t errors = count_errors(diags);
	if (cli->json)
		fw_cli_print_json(got);
	else
		print_diagnostics(stdout, a.pos[0], diags);
	if (!json_is_true(json_object_get(got, "ok")) || errors > 0) {
		fw_cli_error("%s: %zu error%s", a.pos[0], errors, errors == 1 ? "" : "s");
		rc = FW_CLI_EXIT_FAIL;
	} else {
		if (!cli->json)
			printf("%s: ok\n", a.pos[0]);
		rc = FW_CLI_EXIT_OK;
	}
done:
	json_decref(got);
	fw_buf_cleanup(&text);
	return rc;
}

/* A 400 from PUT: the diagnostics when the answer has them as a list, else
 * the message (which holds them as text), line by line. */
static void print_rejection(const char *file, const struct fw_cli_resp *resp)
{
	const json_t *e = json_object_get(resp->json, "error");
	const json_t *diags = json_object_get(e, "diagnostics");
	if (!json_is_array(diags))
		diags = json_object_get(resp->json, "diagnostics");
	if (json_is_array(diags)) {
		print_diagnostics(stdout, file, diags);
		return;
	}
	const char *msg = fw_cli_jstr(e, "message");
	struct fw_buf copy;
	fw_buf_init(&copy, FW_CLI_MAX_RESPONSE_BYTES);
	if (msg && fw_buf_puts(&copy, msg) == FW_OK) {
		fw_cli_sanitize((char *)copy.data, true);
		for (char *line = (char *)copy.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line)
				printf("%s: %s\n", file, line);
		}
	}
	fw_buf_cleanup(&copy);
}

/* PUT the text as the new policy; prints the result. */
static int put_policy(struct fw_cli *cli, const char *file, const char *comment, const struct fw_buf *text)
{
	struct fw_cli_resp resp;
	struct fw_buf path;
	enum fw_err r;
	int rc;
	fw_cli_resp_init(&resp);
	fw_buf_init(&path, 8192);
	struct fw_cli_req req = {.method = "PUT",
				 .content_type = POLICY_TYPE,
				 .body = text->data ? (const void *)text->data : "",
				 .body_len = text->len};
	if ((r = fw_buf_puts(&path, "/api/v1/policy")) != FW_OK || (r = fw_cli_query(&path, "comment", comment)) != FW_OK)
		goto out;
	req.path = fw_buf_str(&path);
	if ((r = fw_cli_http(cli, &req, &resp)) != FW_OK) {
		if (resp.status == 400)
			print_rejection(file, &resp);
		goto out;
	}
	if (!json_is_object(resp.json)) {
		r = fw_err_set(FW_ERR_INVALID, "the server's answer is not a JSON object");
		goto out;
	}
	if (cli->json) {
		fw_cli_print_json(resp.json);
	} else {
		char version[32];
		const json_t *diags = json_object_get(resp.json, "diagnostics");
		if (json_is_array(diags))
			print_diagnostics(stdout, file, diags);
		fw_cli_json_text(json_object_get(resp.json, "version"), version, sizeof version);
		printf("policy version %s applied\n", version);
	}
out:
	if (r != FW_OK && resp.status == 400) {
		fw_cli_error("%s: the server rejected the policy; policy not applied", file);
		rc = FW_CLI_EXIT_FAIL;
	} else {
		rc = fw_cli_finish(r);
		if (r != FW_OK)
			fw_cli_error("%s: policy not applied", file);
	}
	fw_cli_resp_cleanup(&resp);
	fw_buf_cleanup(&path);
	return rc;
}

static int policy_apply(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf text;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &apply_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *file = a.pos[0], *comment = fw_cli_arg(&a, "comment");
	if (!fw_utf8_valid(comment, strlen(comment)))
		return fw_cli_usage(&apply_spec, "--comment is not valid UTF-8");
	fw_buf_init(&text, FW_CLI_MAX_UPLOAD_BYTES);
	if ((rc = read_policy(&apply_spec, file, &text)) != FW_CLI_CONTINUE)
		goto done;
	/* Check first, so that errors come back as a list with positions. */
	if ((r = check_text(cli, &text, &got)) != FW_OK) {
		rc = fw_cli_finish(r);
		goto done;
	}
	json_t *diags = json_object_get(got, "diagnostics");
	size_t errors = count_errors(diags);
	if (!json_is_true(json_object_get(got, "ok")) || errors > 0) {
		if (cli->json)
			fw_cli_print_json(got);
		else
			print_diagnostics(stdout, file, diags);
		fw_cli_error("%s: %zu error%s; policy not applied", file, errors, errors == 1 ? "" : "s");
		rc = FW_CLI_EXIT_FAIL;
		goto done;
	}
	rc = put_policy(cli, file, comment, &text);
done:
	json_decref(got);
	fw_buf_cleanup(&text);
	return rc;
}

static const struct fw_cli_col change_cols[] = {
	{"ADVISORY", "advisory", NULL}, {"MEMBER", "member", NULL},   {"KIND", "kind", NULL},
	{"BEFORE", "before", NULL},     {"BEFORE AT", "before_at", NULL}, {"AFTER", "after", NULL},
	{"AFTER AT", "after_at", NULL}, {"REASON", "reason", NULL},
};

/* Prints the changes whose already_disclosed flag is `disclosed`. */
static enum fw_err print_changes(const json_t *changes, bool disclosed, const char *empty)
{
	json_t *sel = json_array();
	size_t i;
	json_t *c;
	if (!sel)
		return FW_ERR_NOMEM;
	json_array_foreach(changes, i, c)
		if (json_is_true(json_object_get(c, "already_disclosed")) == disclosed)
			json_array_append(sel, c);
	enum fw_err r = FW_OK;
	if (json_array_size(sel) == 0)
		printf("%s\n", empty);
	else
		r = fw_cli_print_table(sel, change_cols, sizeof change_cols / sizeof change_cols[0], empty);
	json_decref(sel);
	return r;
}

static int policy_diff(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf text;
	struct fw_cli_resp resp;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &diff_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	fw_buf_init(&text, FW_CLI_MAX_UPLOAD_BYTES);
	fw_cli_resp_init(&resp);
	if ((rc = read_policy(&diff_spec, a.pos[0], &text)) != FW_CLI_CONTINUE)
		goto done;
	struct fw_cli_req req = {.method = "POST", .path = "/api/v1/policy/diff", .content_type = POLICY_TYPE,
				 .body = text.data ? (const void *)text.data : "", .body_len = text.len};
	if ((r = fw_cli_http(cli, &req, &resp)) == FW_OK && cli->json) {
		fw_cli_print_json(resp.json);
	} else if (r == FW_OK) {
		const json_t *sum = json_object_get(resp.json, "summary"), *changes = json_object_get(resp.json, "changes");
		printf("pending decisions that change: %lld\n",
		       (long long)json_integer_value(json_object_get(sum, "pending")));
		if ((r = print_changes(changes, false, "  (none)")) == FW_OK) {
			printf("\nalready disclosed to members the change would now restrict: %lld\n",
			       (long long)json_integer_value(json_object_get(sum, "already_disclosed")));
			r = print_changes(changes, true, "  (none)");
		}
		const char *k;
		json_t *v;
		printf("\nchanges by kind:");
		json_object_foreach((json_t *)json_object_get(sum, "by_kind"), k, v)
			printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
	}
	rc = fw_cli_finish(r);
done:
	fw_cli_resp_cleanup(&resp);
	fw_buf_cleanup(&text);
	return rc;
}


static int policy_explain(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &explain_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	fw_buf_init(&path, 1024);
	const char *kind = fw_cli_arg(&a, "kind");
	if ((r = fw_buf_puts(&path, "/api/v1/policy/explain")) == FW_OK &&
	    (r = fw_cli_query(&path, "member", fw_cli_arg(&a, "member"))) == FW_OK &&
	    (r = fw_cli_query(&path, "advisory", fw_cli_arg(&a, "advisory"))) == FW_OK && kind)
		r = fw_cli_query(&path, "kind", kind);
	if (r == FW_OK)
		r = fw_cli_get_json(cli, fw_buf_str(&path), &got);
	if (r == FW_OK && cli->json) {
		fw_cli_print_json(got);
	} else if (r == FW_OK) {
		/* The server's own text: the decision, then each rule that applied. */
		size_t i;
		json_t *dec;
		json_array_foreach(json_object_get(got, "decisions"), i, dec) {
			const char *text = fw_cli_jstr(dec, "text");
			printf("%s%s", text ? text : "", text && text[0] && text[strlen(text) - 1] == '\n' ? "" : "\n");
		}
	}
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

static const struct fw_cli_cmd policy_cmds[] = {
	{"show", policy_show, "print the policy text"},
	{"versions", policy_versions, "list the policy's versions"},
	{"check", policy_check, "check a policy file on the server"},
	{"diff", policy_diff, "what a policy file would change, applying nothing"},
	{"apply", policy_apply, "apply a policy file as the new version"},
	{"explain", policy_explain, "why a member gets each kind of an advisory, and when"},
};

int fw_cli_cmd_policy(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn policy", policy_cmds, sizeof policy_cmds / sizeof policy_cmds[0], argc,
			       argv);
}
