/* forewarn advisory create | list | show | update | schedule | expedite,
 * forewarn artifact add | list, forewarn plan, forewarn deliveries */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

#define ADVISORY_FIELD_OPTS(req)                                                                       \
	{"title", "T", false, req, "the title"},                                                       \
		{"cve", "CVE", true, false, "a CVE id (CVE-YYYY-NNNN)"},                               \
		{"product", "P", true, false, "an affected product"},                                  \
		{"cvss", "VECTOR", false, false, "CVSS v3.1 vector (CVSS:3.1/AV:N/…)"},                 \
		{"public-at", "TIME", false, false, "public release time T (RFC 3339)"},               \
		{"tlp", "LABEL", false, false, "TLP label: CLEAR, GREEN, AMBER (default), AMBER+STRICT, RED"}, \
		{"tag", "T", true, false, "a tag"}

static const struct fw_cli_opt create_opts[] = {
	{"id", "ID", false, true, "the advisory's id (a slug: a-z, 0-9, -)"},
	ADVISORY_FIELD_OPTS(true),
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec create_spec = {"advisory create", "", 0, 0, create_opts,
					       "Creates a draft advisory and prints it."};

static const struct fw_cli_opt update_opts[] = {
	ADVISORY_FIELD_OPTS(false),
	{"no-tags", NULL, false, false, "remove all tags"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec update_spec = {
	"advisory update", "ID", 1, 1, update_opts,
	"Changes the fields given and prints the advisory; the values of a repeatable\n"
	"option replace the whole list. --cvss \"\" and --public-at \"\" clear the field.\n"
	"A scheduled advisory's plan is recomputed."};

static const struct fw_cli_opt schedule_opts[] = {
	{"public-at", "TIME", false, false, "set the public release time T first (RFC 3339)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec schedule_spec = {
	"advisory schedule", "ID", 1, 1, schedule_opts,
	"Schedules the advisory: the policy decides, for every member and artifact,\n"
	"a release time before T or that it is withheld."};
static const struct fw_cli_opt expedite_opts[] = {
	{"public-at", "TIME", false, true, "the new, earlier public release time T (RFC 3339), or now"},
	{"reason", "TEXT", false, true, "why (e.g. exploitation in the wild)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec expedite_spec = {
	"advisory expedite", "ID", 1, 1, expedite_opts,
	"Moves a scheduled advisory's public release time T earlier: every release moves\n"
	"with T, and whatever is now due is released at once."};
static const struct fw_cli_spec list_spec = {"advisory list", "", 0, 0, NULL,
					     "Lists advisories (a member sees those it has copies of)."};
static const struct fw_cli_spec show_spec = {"advisory show", "ID", 1, 1, NULL, "Shows one advisory."};

static enum fw_err tlp_arg(const char *v, json_t *body)
{
	char label[40];
	size_t off = strncasecmp(v, "TLP:", 4) == 0 ? 4 : 0;
	if (strlen(v + off) == 0 || strlen(v + off) > 20)
		return fw_err_set(FW_ERR_INVALID, "--tlp wants CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
	int n = snprintf(label, sizeof label, "TLP:%s", v + off);
	for (int i = 4; i < n; i++)
		label[i] = (char)toupper((unsigned char)label[i]);
	return fw_cli_set_str(body, "tlp", label, "tlp");
}

static enum fw_err advisory_body(const struct fw_cli_args *a, json_t *body)
{
	enum fw_err r;
	char t[FW_TIME_BYTES];
	const char *v;
	if ((r = fw_cli_set_opt(body, "id", a, "id", false)) != FW_OK ||
	    (r = fw_cli_set_opt(body, "title", a, "title", false)) != FW_OK ||
	    (r = fw_cli_set_opt_all(body, "cves", a, "cve")) != FW_OK ||
	    (r = fw_cli_set_opt_all(body, "products", a, "product")) != FW_OK ||
	    (r = fw_cli_set_opt(body, "cvss_vector", a, "cvss", true)) != FW_OK)
		return r;
	if (fw_cli_flag(a, "no-tags") && fw_cli_flag(a, "tag"))
		return fw_err_set(FW_ERR_INVALID, "--tag and --no-tags exclude each other");
	if (fw_cli_flag(a, "no-tags"))
		r = fw_cli_set_strs(body, "tags", NULL, 0, "tag");
	else
		r = fw_cli_set_opt_all(body, "tags", a, "tag");
	if (r != FW_OK)
		return r;
	if ((v = fw_cli_arg(a, "tlp")) && (r = tlp_arg(v, body)) != FW_OK)
		return r;
	if ((v = fw_cli_arg(a, "public-at"))) {
		if (*v == '\0')
			return json_object_set_new(body, "public_at", json_null()) == 0 ? FW_OK : FW_ERR_NOMEM;
		if ((r = fw_cli_time_arg(v, "public-at", t)) != FW_OK)
			return r;
		return fw_cli_set_str(body, "public_at", t, "public-at");
	}
	return FW_OK;
}

static int advisory_create(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_send_record(cli, &create_spec, false, "/api/v1/advisories", "advisory", advisory_body, argc, argv);
}

static int advisory_update(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_send_record(cli, &update_spec, true, "/api/v1/advisories", "advisory", advisory_body, argc, argv);
}

static const struct fw_cli_col advisory_cols[] = {
	{"ID", "id", NULL},           {"STATUS", "status", NULL},     {"PUBLIC AT", "public_at", NULL},
	{"SEVERITY", "severity", NULL}, {"CVSS", "cvss_score", NULL}, {"CVES", "cves", NULL},
	{"TITLE", "title", NULL},
};

static int advisory_list(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_list(cli, &list_spec, "/api/v1/advisories", "advisories", advisory_cols, sizeof advisory_cols / sizeof advisory_cols[0], "no advisories", argc, argv);
}

/* GET prefix+id+suffix and print it as a record or with `print`. */
static int get_one(struct fw_cli *cli, const struct fw_cli_spec *spec, int argc, char **argv, const char *prefix,
		   const char *suffix, enum fw_err (*print)(const struct fw_cli *, const json_t *))
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (!fw_cli_is_slug(a.pos[0]))
		return fw_cli_usage(spec, "\"%s\" is not an advisory id", a.pos[0]);
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, prefix, a.pos[0], suffix)) != FW_OK ||
	    (r = fw_cli_get_json(cli, fw_buf_str(&path), &got)) != FW_OK)
		goto out;
	if (cli->json || !print)
		fw_cli_show(cli, got);
	else
		r = print(cli, got);
out:
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}

static int advisory_show(struct fw_cli *cli, int argc, char **argv)
{
	return get_one(cli, &show_spec, argc, argv, "/api/v1/advisories/", "", NULL);
}

/* schedule and expedite: POST …/ACTION with an optional or required new T. */
static int timed_action(struct fw_cli *cli, const struct fw_cli_spec *spec, const char *action, int argc,
			char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *body = json_object(), *got = NULL;
	enum fw_err r = FW_OK;
	char t[FW_TIME_BYTES], suffix[32];
	const char *at, *reason;
	int rc = fw_cli_args_parse(cli, spec, argc, argv, &a);
	fw_buf_init(&path, 1024);
	if (rc != FW_CLI_CONTINUE || !body)
		goto done;
	if (!fw_cli_is_slug(a.pos[0])) {
		rc = fw_cli_usage(spec, "\"%s\" is not an advisory id", a.pos[0]);
		goto done;
	}
	if ((at = fw_cli_arg(&a, "public-at"))) {
		if (strcmp(at, "now") == 0 && strcmp(action, "expedite") == 0) {
			snprintf(t, sizeof t, "now");
		} else if ((r = fw_cli_time_arg(at, "public-at", t)) != FW_OK) {
			rc = fw_cli_usage(spec, "%s", fw_err_detail());
			goto done;
		}
		r = fw_cli_set_str(body, "public_at", t, "public-at");
	}
	if (r == FW_OK && (reason = fw_cli_arg(&a, "reason")))
		r = fw_cli_set_str(body, "reason", reason, "reason");
	snprintf(suffix, sizeof suffix, "/%s", action);
	if (r == FW_OK && (r = fw_cli_path(&path, "/api/v1/advisories/", a.pos[0], suffix)) == FW_OK)
		r = fw_cli_send_json(cli, "POST", fw_buf_str(&path), body, &got);
	if (r == FW_OK && cli->json) {
		fw_cli_print_json(got);
	} else if (r == FW_OK) {
		char text[4][128];
		const json_t *adv = json_object_get(got, "advisory");
		fw_cli_json_text(json_object_get(adv, "id"), text[0], sizeof text[0]);
		fw_cli_json_text(json_object_get(adv, "public_at"), text[1], sizeof text[1]);
		fw_cli_json_text(json_object_get(got, "planned"), text[2], sizeof text[2]);
		fw_cli_json_text(json_object_get(got, "withheld"), text[3], sizeof text[3]);
		printf("advisory %s %s: public at %s; %s releases planned, %s withheld\n", text[0],
		       strcmp(action, "expedite") == 0 ? "expedited" : "scheduled", text[1], text[2], text[3]);
		size_t i;
		json_t *w;
		json_array_foreach(json_object_get(got, "warnings"), i, w) {
			char line[512];
			fw_cli_json_text(w, line, sizeof line);
			printf("warning: %s\n", line);
		}
	}
	rc = fw_cli_finish(r);
done:
	json_decref(body);
	json_decref(got);
	fw_buf_cleanup(&path);
	return rc;
}

static int advisory_schedule(struct fw_cli *cli, int argc, char **argv)
{
	return timed_action(cli, &schedule_spec, "schedule", argc, argv);
}

static int advisory_expedite(struct fw_cli *cli, int argc, char **argv)
{
	return timed_action(cli, &expedite_spec, "expedite", argc, argv);
}

static const struct fw_cli_cmd advisory_cmds[] = {
	{"create", advisory_create, "create a draft advisory"},
	{"list", advisory_list, "list advisories"},
	{"show", advisory_show, "show one advisory"},
	{"update", advisory_update, "change an advisory's fields"},
	{"schedule", advisory_schedule, "schedule the staged release of an advisory"},
	{"expedite", advisory_expedite, "move T earlier (exploitation in the wild): due releases go at once"},
};

int fw_cli_cmd_advisory(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn advisory", advisory_cmds,
			       sizeof advisory_cmds / sizeof advisory_cmds[0], argc, argv);
}

/* --- artifacts -------------------------------------------------------------- */

static const struct fw_cli_opt artifact_add_opts[] = {
	{"kind", "KIND", false, true, "summary, description, detection, indicators, mitigation or poc"},
	{"file", "F", false, true, "the content"},
	{"media-type", "TYPE", false, false, "default: from the file name (.md, .json, .txt; else octet-stream)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec artifact_add_spec = {
	"artifact add", "ADVISORY", 1, 1, artifact_add_opts,
	"Uploads a new version of one kind of artifact of an advisory."};
static const struct fw_cli_spec artifact_list_spec = {"artifact list", "ADVISORY", 1, 1, NULL,
						      "Lists the artifact versions of an advisory."};

static enum fw_err check_artifact(const json_t *got, const struct fw_buf *content)
{
	uint8_t h[FW_CRYPTO_HASH_BYTES];
	char hex[2 * FW_CRYPTO_HASH_BYTES + 1];
	const char *sha = fw_cli_jstr(got, "sha256");
	fw_crypto_sha256(content->data, content->len, h);
	fw_crypto_hex(h, sizeof h, hex);
	if (sha && strcasecmp(sha, hex) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "the server stored content with another SHA-256 than the file's (%s)",
				  hex);
	return FW_OK;
}

/* The fingerprint summary of an upload: points, alphabet sizes, warnings. */
static void print_mark(const json_t *mark)
{
	size_t i, count[17] = {0};
	json_t *v;
	if (!json_is_true(json_object_get(mark, "markable")))
		return;
	json_array_foreach(json_object_get(mark, "alphabet"), i, v)
		if (json_integer_value(v) >= 2 && json_integer_value(v) <= 16)
			count[json_integer_value(v)]++;
	if (json_integer_value(json_object_get(mark, "points")) > 0) {
		printf("fingerprinted: %lld variation points (", (long long)json_integer_value(json_object_get(mark, "points")));
		for (int q = 2, first = 1; q <= 16; q++)
			if (count[q]) {
				printf("%s%zu with q=%d", first ? "" : ", ", count[q], q);
				first = 0;
			}
		printf(")\n");
	}
	json_array_foreach(json_object_get(mark, "warnings"), i, v) {
		char w[512];
		fw_cli_json_text(v, w, sizeof w);
		printf("warning: %s\n", w);
	}
}

static int artifact_add(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path, content;
	struct fw_cli_resp resp;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &artifact_add_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *adv = a.pos[0], *kind = fw_cli_arg(&a, "kind"), *file = fw_cli_arg(&a, "file");
	const char *type = fw_cli_arg(&a, "media-type");
	if (!fw_cli_is_slug(adv))
		return fw_cli_usage(&artifact_add_spec, "\"%s\" is not an advisory id", adv);
	if (!fw_cli_is_kind(kind))
		return fw_cli_usage(&artifact_add_spec, "unknown kind \"%s\" (summary, description, detection, "
				    "indicators, mitigation or poc)", kind);
	if (type && (!*type || strchr(type, '/') == NULL || strpbrk(type, "\r\n")))
		return fw_cli_usage(&artifact_add_spec, "--media-type wants a type such as text/plain");
	fw_buf_init(&path, 1024);
	fw_buf_init(&content, FW_CLI_MAX_UPLOAD_BYTES);
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_file_read(file, FW_CLI_MAX_UPLOAD_BYTES, &content)) != FW_OK) {
		rc = fw_cli_usage(&artifact_add_spec, "%s", fw_err_detail());
		goto done;
	}
	struct fw_cli_req req = {.method = "POST",
				 .content_type = type ? type : fw_cli_guess_media_type(file),
				 .body = content.data ? (const void *)content.data : "",
				 .body_len = content.len};
	if ((r = fw_cli_path(&path, "/api/v1/advisories/", adv, "/artifacts/")) != FW_OK ||
	    (r = fw_cli_escape(&path, kind)) != FW_OK)
		goto out;
	req.path = fw_buf_str(&path);
	if ((r = fw_cli_http(cli, &req, &resp)) != FW_OK)
		goto out;
	if (!json_is_object(resp.json)) {
		r = fw_err_set(FW_ERR_INVALID, "the server's answer is not a JSON object");
		goto out;
	}
	r = check_artifact(resp.json, &content);
	if (cli->json) {
		fw_cli_print_json(resp.json);
	} else {
		char text[4][128];
		fw_cli_json_text(json_object_get(resp.json, "version"), text[0], sizeof text[0]);
		fw_cli_json_text(json_object_get(resp.json, "media_type"), text[1], sizeof text[1]);
		fw_cli_json_text(json_object_get(resp.json, "size"), text[2], sizeof text[2]);
		fw_cli_json_text(json_object_get(resp.json, "sha256"), text[3], sizeof text[3]);
		printf("artifact %s %s v%s added (%s, %s bytes, sha256 %s)\n", adv, kind, text[0], text[1], text[2],
		       text[3]);
		print_mark(json_object_get(resp.json, "mark"));
	}
out:
	rc = fw_cli_finish(r);
done:
	fw_cli_resp_cleanup(&resp);
	fw_buf_cleanup_secret(&content);
	fw_buf_cleanup(&path);
	return rc;
}

static const struct fw_cli_col artifact_cols[] = {
	{"KIND", "kind", NULL},          {"VERSION", "version", NULL}, {"MEDIA TYPE", "media_type", NULL},
	{"SIZE", "size", NULL},          {"SHA256", "sha256", NULL},   {"CREATED", "created_at", NULL},
};

static enum fw_err print_artifacts(const struct fw_cli *cli, const json_t *got)
{
	(void)cli;
	return fw_cli_print_table(json_object_get(got, "artifacts"), artifact_cols,
				  sizeof artifact_cols / sizeof artifact_cols[0], "no artifacts");
}

static int artifact_list(struct fw_cli *cli, int argc, char **argv)
{
	return get_one(cli, &artifact_list_spec, argc, argv, "/api/v1/advisories/", "/artifacts", print_artifacts);
}

static const struct fw_cli_cmd artifact_cmds[] = {
	{"add", artifact_add, "upload a new version of an artifact"},
	{"list", artifact_list, "list the artifact versions of an advisory"},
	{"capacity", fw_cli_artifact_capacity, "how many colluders an artifact's fingerprint can trace"},
};

int fw_cli_cmd_artifact(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn artifact", artifact_cmds,
			       sizeof artifact_cmds / sizeof artifact_cmds[0], argc, argv);
}

/* --- plan ------------------------------------------------------------------- */

static const struct fw_cli_spec plan_spec = {
	"plan", "ADVISORY", 1, 1, NULL,
	"Who gets which artifact of an advisory when, and why (the policy's decision\n"
	"for every member and kind), and whether the copy was delivered yet."};

static void render_delivered(const json_t *row, char *out, size_t n)
{
	char id[64];
	const json_t *d = json_object_get(row, "delivery");
	if (fw_cli_id_text(d, id, sizeof id))
		snprintf(out, n, "yes (#%s)", id);
	else
		snprintf(out, n, "no");
	fw_cli_sanitize(out, false);
}

static void render_release(const json_t *row, char *out, size_t n)
{
	if (strcmp(fw_cli_jstr(row, "decision") ? fw_cli_jstr(row, "decision") : "", "withheld") == 0)
		snprintf(out, n, "-");
	else
		fw_cli_json_text(json_object_get(row, "release_at"), out, n);
}

static const struct fw_cli_col plan_cols[] = {
	{"MEMBER", "member", NULL},       {"KIND", "kind", NULL},
	{"DECISION", "decision", NULL},   {"RELEASE AT", NULL, render_release},
	{"DELIVERED", NULL, render_delivered}, {"REASON", "reason", NULL},
};

static enum fw_err print_plan(const struct fw_cli *cli, const json_t *got)
{
	(void)cli;
	return fw_cli_print_table(json_object_get(got, "plan"), plan_cols, sizeof plan_cols / sizeof plan_cols[0],
				  "no plan entries (is the advisory scheduled, with artifacts?)");
}

int fw_cli_cmd_plan(struct fw_cli *cli, int argc, char **argv)
{
	return get_one(cli, &plan_spec, argc, argv, "/api/v1/advisories/", "/plan", print_plan);
}

/* --- deliveries ------------------------------------------------------------- */

static const struct fw_cli_opt deliveries_opts[] = {
	{"advisory", "A", false, false, "only copies of this advisory"},
	{"member", "M", false, false, "only copies for this member"},
	{"after", "ID", false, false, "only deliveries with a larger id"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec deliveries_spec = {
	"deliveries", "", 0, 0, deliveries_opts,
	"Lists the sealed copies delivered (a member sees its own only)."};

static const struct fw_cli_col delivery_cols[] = {
	{"ID", "id", NULL},           {"MEMBER", "member", NULL},        {"ADVISORY", "advisory", NULL},
	{"KIND", "kind", NULL},       {"VERSION", "version", NULL},      {"DELIVERED AT", "created_at", NULL},
	{"FIRST READ", "first_read_at", NULL}, {"SIZE", "size", NULL},
};

int fw_cli_cmd_deliveries(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	json_t *all = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &deliveries_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *adv = fw_cli_arg(&a, "advisory"), *member = fw_cli_arg(&a, "member");
	const char *after = fw_cli_arg(&a, "after");
	if ((adv && !fw_cli_is_slug(adv)) || (member && !fw_cli_is_slug(member)))
		return fw_cli_usage(&deliveries_spec, "--advisory and --member want ids (slugs)");
	if (after && (!*after || strlen(after) > 40))
		return fw_cli_usage(&deliveries_spec, "--after wants a delivery id");
	if ((r = fw_cli_deliveries_all(cli, adv, member, after ? after : "", &all)) != FW_OK)
		goto out;
	if (cli->json) {
		json_t *wrap = json_pack("{s:O}", "deliveries", all);
		if (!wrap) {
			r = FW_ERR_NOMEM;
			goto out;
		}
		fw_cli_print_json(wrap);
		json_decref(wrap);
	} else {
		r = fw_cli_print_table(all, delivery_cols, sizeof delivery_cols / sizeof delivery_cols[0],
				       "no deliveries");
	}
out:
	json_decref(all);
	return fw_cli_finish(r);
}
