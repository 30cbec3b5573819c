/* forewarn trace, forewarn artifact capacity: leak attribution from
 * fingerprinted copies (docs/tracing.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

#define MAX_FILES 16
#define MAX_LEAK_BYTES (8u * 1024u * 1024u)

static const struct fw_cli_opt trace_opts[] = {
	{"kind", "KIND", false, true, "the artifact kind the leaked files are copies of (e.g. poc)"},
	{"file", "LEAKED", true, true, "a leaked file; repeat for several (traced together)"},
	{"epsilon", "E", false, false, "bound on the probability of accusing any innocent member (default 1e-6)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec trace_spec = {
	"trace", "ADVISORY", 1, 1, trace_opts,
	"Names the member(s) whose fingerprinted copies a leaked file was made from,\n"
	"even re-indented, partial or mixed from several copies. A member is accused\n"
	"only when the probability that any innocent member scores as much is at most\n"
	"epsilon. Admin only; the run is recorded with the files' SHA-256."};

/* {"kind":…, "epsilon":…, "files":[{"name":…, "content_base64":…}]} */
static enum fw_err trace_body(const struct fw_cli_args *a, json_t *body)
{
	const char *files[MAX_FILES + 1];
	int n = fw_cli_arg_all(a, "file", files, MAX_FILES + 1);
	json_t *arr = json_array();
	struct fw_buf content;
	enum fw_err r = FW_OK;
	if (!arr)
		return FW_ERR_NOMEM;
	if (n > MAX_FILES) {
		json_decref(arr);
		return fw_err_set(FW_ERR_INVALID, "at most %d --file", MAX_FILES);
	}
	if ((r = fw_cli_set_str(body, "kind", fw_cli_arg(a, "kind"), "kind")) != FW_OK) {
		json_decref(arr);
		return r;
	}
	for (int i = 0; i < n && r == FW_OK; i++) {
		fw_buf_init(&content, MAX_LEAK_BYTES);
		if ((r = fw_cli_file_read(files[i], MAX_LEAK_BYTES, &content)) == FW_OK) {
			size_t len = fw_crypto_base64_len(content.len);
			char *b64 = malloc(len + 1);
			const char *base = strrchr(files[i], '/');
			if (!b64)
				r = FW_ERR_NOMEM;
			else if ((r = fw_crypto_base64_encode(content.data ? content.data : (const uint8_t *)"", content.len,
							      b64, len + 1)) == FW_OK &&
				 json_array_append_new(arr, json_pack("{s:s,s:s}", "name", base ? base + 1 : files[i],
								      "content_base64", b64)) != 0)
				r = FW_ERR_NOMEM;
			free(b64);
		}
		fw_buf_cleanup_secret(&content);
	}
	if (r == FW_OK && json_object_set_new(body, "files", arr) != 0)
		r = FW_ERR_NOMEM;
	else if (r != FW_OK)
		json_decref(arr);
	return r;
}

static void num(const json_t *v, const char *fmt, char *out, size_t n)
{
	if (json_is_number(v))
		snprintf(out, n, fmt, json_number_value(v));
	else
		snprintf(out, n, "-");
}

/* "1e-25" from a natural-log p-value bound (which may underflow a double). */
static void pvalue(const json_t *row, char *out, size_t n)
{
	const json_t *l = json_object_get(row, "log10_pvalue");
	double e = json_number_value(l);
	if (!json_is_number(l))
		snprintf(out, n, "-");
	else if (e > -3)
		snprintf(out, n, "%.3g", pow(10.0, e));
	else
		snprintf(out, n, "1e%d", (int)ceil(e));
}

static enum fw_err print_verdicts(const json_t *accused, const json_t *others)
{
	const char *heads[] = {"MEMBER", "SCORE", "THRESHOLD", "P-VALUE <=", "VERDICT"};
	struct fw_cli_table *t = fw_cli_table_new(5, heads);
	enum fw_err r = FW_OK;
	const json_t *lists[2] = {accused, others};
	if (!t)
		return FW_ERR_NOMEM;
	for (int l = 0; l < 2 && r == FW_OK; l++) {
		size_t i;
		json_t *row;
		json_array_foreach(lists[l], i, row) {
			char score[32], thr[32], p[32];
			const char *m = fw_cli_jstr(row, "member");
			num(json_object_get(row, "score"), "%.2f", score, sizeof score);
			num(json_object_get(row, "threshold"), "%.2f", thr, sizeof thr);
			pvalue(row, p, sizeof p);
			const char *cells[] = {m ? m : "?", score, thr, p, l == 0 ? "ACCUSED" : "not accused"};
			if ((r = fw_cli_table_add(t, cells)) != FW_OK)
				break;
		}
	}
	if (r == FW_OK)
		fw_cli_table_print(t, stdout);
	fw_cli_table_free(t);
	return r;
}

static enum fw_err print_trace(const json_t *got)
{
	const char *heads[] = {"FILE", "VERSION", "POINTS READ", "ERASED", "SHA256"};
	struct fw_cli_table *t = fw_cli_table_new(5, heads);
	char a[64], b[64], c[64], thr[32], eps[32];
	size_t i;
	json_t *row;
	enum fw_err r = FW_OK;
	if (!t)
		return FW_ERR_NOMEM;
	json_array_foreach(json_object_get(got, "files"), i, row) {
		char sha[20];
		fw_cli_json_text(json_object_get(row, "version"), a, sizeof a);
		fw_cli_json_text(json_object_get(row, "points_read"), b, sizeof b);
		fw_cli_json_text(json_object_get(row, "points_erased"), c, sizeof c);
		snprintf(sha, sizeof sha, "%.16s", fw_cli_jstr(row, "sha256") ? fw_cli_jstr(row, "sha256") : "");
		const char *cells[] = {fw_cli_jstr(row, "name") ? fw_cli_jstr(row, "name") : "?", a, b, c, sha};
		if ((r = fw_cli_table_add(t, cells)) != FW_OK)
			break;
	}
	if (r == FW_OK)
		fw_cli_table_print(t, stdout);
	fw_cli_table_free(t);
	if (r != FW_OK)
		return r;
	fw_cli_json_text(json_object_get(got, "trace_id"), a, sizeof a);
	fw_cli_json_text(json_object_get(got, "members_scored"), b, sizeof b);
	num(json_object_get(got, "threshold"), "%.2f", thr, sizeof thr);
	num(json_object_get(got, "epsilon"), "%g", eps, sizeof eps);
	printf("\ntrace %s: %s members scored; points read %lld, erased %lld; threshold %s (epsilon %s)\n", a, b,
	       (long long)json_integer_value(json_object_get(got, "points_read")),
	       (long long)json_integer_value(json_object_get(got, "points_erased")), thr, eps);
	const json_t *acc = json_object_get(got, "accused"), *oth = json_object_get(got, "others");
	if (!json_is_true(json_object_get(got, "can_accuse")))
		printf("too few points were read to accuse anyone at this epsilon\n");
	printf("accused: %zu\n\n", json_array_size(acc));
	if (json_array_size(acc) + json_array_size(oth) > 0)
		r = print_verdicts(acc, oth);
	return r;
}

int fw_cli_cmd_trace(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *body = json_object(), *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &trace_spec, argc, argv, &a);
	fw_buf_init(&path, 1024);
	if (rc != FW_CLI_CONTINUE || !body)
		goto done;
	const char *adv = a.pos[0], *kind = fw_cli_arg(&a, "kind"), *e = fw_cli_arg(&a, "epsilon");
	if (!fw_cli_is_slug(adv) || !fw_cli_is_kind(kind)) {
		rc = fw_cli_usage(&trace_spec, "want an advisory id and a kind (summary, description, detection, "
					       "indicators, mitigation or poc)");
		goto done;
	}
	if (e) {
		char *end;
		double v = strtod(e, &end);
		if (end == e || *end || !(v > 0 && v < 1)) {
			rc = fw_cli_usage(&trace_spec, "--epsilon wants a number in (0, 1)");
			goto done;
		}
		json_object_set_new(body, "epsilon", json_real(v));
	}
	if ((r = trace_body(&a, body)) != FW_OK) {
		rc = r == FW_ERR_INVALID || r == FW_ERR_IO || r == FW_ERR_NOT_FOUND ? fw_cli_usage(&trace_spec, "%s", fw_err_detail())
										     : fw_cli_finish(r);
		goto done;
	}
	if ((r = fw_cli_path(&path, "/api/v1/advisories/", adv, "/trace")) == FW_OK &&
	    (r = fw_cli_send_json(cli, "POST", fw_buf_str(&path), body, &got)) == FW_OK) {
		if (cli->json)
			fw_cli_print_json(got);
		else
			r = print_trace(got);
	}
	rc = fw_cli_finish(r);
done:
	json_decref(body);
	json_decref(got);
	fw_buf_cleanup(&path);
	return rc;
}

/* --- forewarn artifact capacity ------------------------------------------- */

static const struct fw_cli_opt capacity_opts[] = {
	{"epsilon", "E", false, false, "bound on accusing any innocent member (default 1e-6)"},
	{"version", "N", false, false, "the artifact version (default: the newest)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec capacity_spec = {
	"artifact capacity", "ADVISORY KIND", 2, 2, capacity_opts,
	"How many colluders the artifact's fingerprint can trace, with detection\n"
	">= 0.99 under each collusion attack, among its current recipients at epsilon."};

static enum fw_err print_capacity(const json_t *got)
{
	char v[32], pts[32], rec[32], eps[32], col[32];
	fw_cli_json_text(json_object_get(got, "version"), v, sizeof v);
	fw_cli_json_text(json_object_get(got, "points"), pts, sizeof pts);
	fw_cli_json_text(json_object_get(got, "recipients"), rec, sizeof rec);
	fw_cli_json_text(json_object_get(got, "colluders"), col, sizeof col);
	num(json_object_get(got, "epsilon"), "%g", eps, sizeof eps);
	const char *adv = fw_cli_jstr(got, "advisory"), *kind = fw_cli_jstr(got, "kind");
	printf("%s %s v%s: %s variation points, %s recipients, epsilon %s\n", adv ? adv : "?", kind ? kind : "?", v,
	       pts, rec, eps);
	if (!json_is_true(json_object_get(got, "markable")))
		printf("this kind is not fingerprinted: every member gets the same copy\n");
	else if (json_integer_value(json_object_get(got, "points")) == 0)
		printf("no variation points: a leak of it cannot be traced (docs/templates.md)\n");
	else if (!json_is_true(json_object_get(got, "single_leaker")))
		printf("too few points: not even a single leaker can be named; add points\n");
	else
		printf("traces up to %s colluders (detection >= 0.99 under every attack)\n", col);
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(got, "detection"), i, row) {
		char d[32];
		const char *w = fw_cli_jstr(row, "worst_attack");
		num(json_object_get(row, "detection"), "%.3f", d, sizeof d);
		printf("  %lld colluders: detection %s (worst attack: %s)\n",
		       (long long)json_integer_value(json_object_get(row, "colluders")), d, w ? w : "?");
	}
	return FW_OK;
}

int fw_cli_artifact_capacity(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	long long ver = 0;
	int rc = fw_cli_args_parse(cli, &capacity_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *adv = a.pos[0], *kind = a.pos[1], *e = fw_cli_arg(&a, "epsilon"), *v = fw_cli_arg(&a, "version");
	if (!fw_cli_is_slug(adv) || !fw_cli_is_kind(kind))
		return fw_cli_usage(&capacity_spec, "want an advisory id and a kind");
	if (v && fw_cli_parse_int(v, 1, 1000000, &ver) != FW_OK)
		return fw_cli_usage(&capacity_spec, "--version wants a positive number");
	if (e) {
		char *end;
		double x = strtod(e, &end);
		if (end == e || *end || !(x > 0 && x < 1))
			return fw_cli_usage(&capacity_spec, "--epsilon wants a number in (0, 1)");
	}
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, "/api/v1/advisories/", adv, "/artifacts/")) == FW_OK &&
	    (r = fw_cli_escape(&path, kind)) == FW_OK && (r = fw_buf_puts(&path, "/capacity")) == FW_OK &&
	    (!e || (r = fw_cli_query(&path, "epsilon", e)) == FW_OK) &&
	    (!v || (r = fw_cli_query(&path, "version", v)) == FW_OK) &&
	    (r = fw_cli_get_json(cli, fw_buf_str(&path), &got)) == FW_OK) {
		if (cli->json)
			fw_cli_print_json(got);
		else
			r = print_capacity(got);
	}
	json_decref(got);
	fw_buf_cleanup(&path);
	return fw_cli_finish(r);
}
