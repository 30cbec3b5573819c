/* Helpers shared by the command files; see cmd.h. */
#include <string.h>
#include <unistd.h>

#include "base/utf8.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

enum fw_err fw_cli_set_str(json_t *obj, const char *key, const char *v, const char *opt)
{
	if (!fw_utf8_valid(v, strlen(v)))
		return fw_err_set(FW_ERR_INVALID, "--%s is not valid UTF-8", opt);
	json_t *s = json_string(v);
	if (!s || json_object_set_new(obj, key, s) != 0)
		return fw_err_set(FW_ERR_NOMEM, "out of memory");
	return FW_OK;
}

enum fw_err fw_cli_set_strs(json_t *obj, const char *key, const char *const *v, int n, const char *opt)
{
	json_t *arr = json_array();
	if (!arr)
		return FW_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		if (!fw_utf8_valid(v[i], strlen(v[i]))) {
			json_decref(arr);
			return fw_err_set(FW_ERR_INVALID, "--%s is not valid UTF-8", opt);
		}
		if (json_array_append_new(arr, json_string(v[i])) != 0) {
			json_decref(arr);
			return FW_ERR_NOMEM;
		}
	}
	if (json_object_set_new(obj, key, arr) != 0)
		return FW_ERR_NOMEM;
	return FW_OK;
}

enum fw_err fw_cli_set_opt(json_t *obj, const char *key, const struct fw_cli_args *a, const char *opt,
			   bool empty_is_null)
{
	const char *v = fw_cli_arg(a, opt);
	if (!v)
		return FW_OK;
	if (*v == '\0' && empty_is_null)
		return json_object_set_new(obj, key, json_null()) == 0 ? FW_OK : FW_ERR_NOMEM;
	return fw_cli_set_str(obj, key, v, opt);
}

enum fw_err fw_cli_set_opt_all(json_t *obj, const char *key, const struct fw_cli_args *a, const char *opt)
{
	const char *v[FW_CLI_MAX_VALUES];
	int n = fw_cli_arg_all(a, opt, v, FW_CLI_MAX_VALUES);
	if (n == 0)
		return FW_OK;
	return fw_cli_set_strs(obj, key, v, n, opt);
}

enum fw_err fw_cli_time_arg(const char *s, const char *opt, char out[FW_TIME_BYTES])
{
	int64_t t;
	if (fw_time_parse(s, &t) != FW_OK)
		return fw_err_set(FW_ERR_INVALID, "--%s \"%.40s\" is not an RFC 3339 time (e.g. 2025-07-08T17:00:00Z)",
				  opt, s);
	fw_time_format(t, out);
	return FW_OK;
}

void fw_cli_show(const struct fw_cli *cli, const json_t *j)
{
	if (cli->json)
		fw_cli_print_json(j);
	else
		fw_cli_print_object(j);
}

static bool looks_like_key_line(const char *s)
{
	size_t n = strlen(s);
	if (n < 40 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '+' || s[i] == '/' || s[i] == '='))
			return false;
	return true;
}

enum fw_err fw_cli_minisign_key_arg(const char *arg, char *out, size_t n)
{
	struct fw_buf text, line;
	struct fw_verify_key k;
	enum fw_err r;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	fw_buf_init(&line, 256);
	/* A base64 key line is taken as it is, unless a file has that name. */
	if (looks_like_key_line(arg) && access(arg, F_OK) != 0)
		r = fw_buf_puts(&text, arg);
	else
		r = fw_cli_file_read(arg, FW_CLI_MAX_SMALL_FILE_BYTES, &text);
	if (r != FW_OK)
		goto out;
	if (fw_minisign_public_parse(fw_buf_str(&text), text.len, &k) != FW_OK) {
		r = fw_err_set(FW_ERR_INVALID, "%.200s is not a minisign public key (a .pub file or its base64 line)",
			       arg);
		goto out;
	}
	if ((r = fw_minisign_public_line(&k, &line)) != FW_OK)
		goto out;
	/* The model keeps the one base64 line; trim a newline if the encoder added one. */
	while (line.len > 0 && (line.data[line.len - 1] == '\n' || line.data[line.len - 1] == '\r'))
		line.data[--line.len] = '\0';
	if (line.len + 1 > n) {
		r = fw_err_set(FW_ERR_INVALID, "minisign public key too long");
		goto out;
	}
	memcpy(out, line.data, line.len + 1);
out:
	fw_buf_cleanup(&text);
	fw_buf_cleanup(&line);
	return r;
}

bool fw_cli_id_text(const json_t *id, char *out, size_t n)
{
	int w;
	if (json_is_integer(id))
		w = snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	else if (json_is_string(id))
		w = snprintf(out, n, "%s", json_string_value(id));
	else
		return false;
	return w > 0 && (size_t)w < n;
}

/* One page of deliveries after `after`; *out is the array (new reference). */
static enum fw_err deliveries_page(struct fw_cli *cli, const char *advisory, const char *member, const char *after,
				   json_t **out)
{
	struct fw_buf path;
	json_t *got = NULL;
	char limit[16];
	enum fw_err r;
	fw_buf_init(&path, 2048);
	snprintf(limit, sizeof limit, "%d", FW_CLI_PAGE_LIMIT);
	if ((r = fw_buf_puts(&path, "/api/v1/deliveries")) != FW_OK ||
	    (advisory && (r = fw_cli_query(&path, "advisory", advisory)) != FW_OK) ||
	    (member && (r = fw_cli_query(&path, "member", member)) != FW_OK) ||
	    (*after && (r = fw_cli_query(&path, "after", after)) != FW_OK) ||
	    (r = fw_cli_query(&path, "limit", limit)) != FW_OK)
		goto out;
	if ((r = fw_cli_get_json(cli, fw_buf_str(&path), &got)) != FW_OK)
		goto out;
	json_t *arr = json_object_get(got, "deliveries");
	if (!json_is_array(arr)) {
		r = fw_err_set(FW_ERR_INVALID, "the server's list of deliveries is malformed");
		goto out;
	}
	*out = json_incref(arr);
out:
	json_decref(got);
	fw_buf_cleanup(&path);
	return r;
}

enum fw_err fw_cli_deliveries_all(struct fw_cli *cli, const char *advisory, const char *member,
				  const char *after, json_t **out)
{
	enum fw_err r = FW_OK;
	char cursor[64];
	json_t *all = json_array(), *page = NULL;
	if (!all)
		return FW_ERR_NOMEM;
	snprintf(cursor, sizeof cursor, "%s", after);
	for (int n = 0; n < FW_CLI_MAX_PAGES; n++) {
		char last[64];
		if ((r = deliveries_page(cli, advisory, member, cursor, &page)) != FW_OK)
			goto out;
		size_t count = json_array_size(page);
		if (count == 0)
			break;
		if (!fw_cli_id_text(json_object_get(json_array_get(page, count - 1), "id"), last, sizeof last) ||
		    strcmp(last, cursor) == 0) {
			r = fw_err_set(FW_ERR_INVALID, "the server's list of deliveries does not advance");
			goto out;
		}
		if (json_array_extend(all, page) != 0) {
			r = FW_ERR_NOMEM;
			goto out;
		}
		json_decref(page);
		page = NULL;
		memcpy(cursor, last, sizeof cursor);
	}
	*out = all;
	all = NULL;
out:
	json_decref(page);
	json_decref(all);
	return r;
}

int fw_cli_send_record(struct fw_cli *cli, const struct fw_cli_spec *spec, bool update, const char *collection,
		       const char *what, fw_cli_body_fn fill, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_buf path;
	json_t *body = json_object(), *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, spec, argc, argv, &a);

	fw_buf_init(&path, 1024);
	if (rc != FW_CLI_CONTINUE || !body)
		goto done;
	if (update && !fw_cli_is_slug(a.pos[0])) {
		rc = fw_cli_usage(spec, "\"%s\" is not a %s id", a.pos[0], what);
		goto done;
	}
	/* Bad options and unreadable files named by options are usage errors. */
	if ((r = fill(&a, body)) != FW_OK) {
		rc = r == FW_ERR_INVALID || r == FW_ERR_IO ? fw_cli_usage(spec, "%s", fw_err_detail()) : fw_cli_finish(r);
		goto done;
	}
	if (update && json_object_size(body) == 0) {
		rc = fw_cli_usage(spec, "nothing to change: give at least one option");
		goto done;
	}
	r = fw_buf_puts(&path, collection);
	if (r == FW_OK && update)
		r = fw_cli_path(&path, "/", a.pos[0], "");
	if (r == FW_OK)
		r = fw_cli_send_json(cli, update ? "PATCH" : "POST", fw_buf_str(&path), body, &got);
	if (r == FW_OK)
		fw_cli_show(cli, got);
	rc = fw_cli_finish(r);
done:
	json_decref(body);
	json_decref(got);
	fw_buf_cleanup(&path);
	return rc;
}

int fw_cli_list(struct fw_cli *cli, const struct fw_cli_spec *spec, const char *path, const char *key,
		const struct fw_cli_col *cols, size_t ncols, const char *empty, int argc, char **argv)
{
	struct fw_cli_args a;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if ((r = fw_cli_get_json(cli, path, &got)) == FW_OK) {
		if (cli->json)
			fw_cli_print_json(got);
		else
			r = fw_cli_print_table(json_object_get(got, key), cols, ncols, empty);
	}
	json_decref(got);
	return fw_cli_finish(r);
}
