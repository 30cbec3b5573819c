/* Fingerprints and leak tracing (admin only): the trace of leaked files,
 * an artifact's tracing capacity, and the fingerprint parts of the upload
 * and schedule answers. No answer or error ever carries bytes of a copy or
 * of a leaked file: only names, hashes, counts and scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/clock.h"
#include "http/internal.h"
#include "tlog/tlog.h"

json_t *fw_api_mark_info_json(const struct fw_release_mark_info *mi, enum fw_kind kind)
{
	json_t *o = json_object(), *q = json_array(), *un = json_array(), *w = json_array();
	if (!o || !q || !un || !w)
		goto fail;
	for (size_t i = 0; i < mi->points; i++)
		json_array_append_new(q, json_integer(mi->q[i]));
	for (size_t i = 0; i < mi->unreadable && i < FW_RELEASE_MARK_UNREADABLE_SHOWN; i++)
		json_array_append_new(un, json_pack("{s:s,s:i,s:i}", "name", mi->unreadable_at[i].name, "line",
						     mi->unreadable_at[i].line, "col", mi->unreadable_at[i].col));
	if (mi->markable && mi->binary)
		json_array_append_new(w, json_sprintf("the %s is not UTF-8 text: it is delivered as is, "
						      "without a fingerprint", fw_kind_name(kind)));
	else if (mi->markable && mi->points == 0)
		json_array_append_new(w, json_sprintf("the %s has no variation points: every member gets the same "
						      "copy and a leak of it cannot be traced (docs/templates.md)",
						      fw_kind_name(kind)));
	if (mi->unreadable)
		json_array_append_new(w, json_sprintf("%zu variation points can never be read back (their context "
						      "repeats in the template); they add nothing", mi->unreadable));
	if (json_object_set_new(o, "markable", json_boolean(mi->markable)) ||
	    json_object_set_new(o, "points", json_integer((json_int_t)mi->points)) ||
	    json_object_set_new(o, "uses", json_integer((json_int_t)mi->uses)) ||
	    json_object_set_new(o, "alphabet", q) ||
	    json_object_set_new(o, "unreadable_points", json_integer((json_int_t)mi->unreadable)) ||
	    json_object_set_new(o, "unreadable", un) || json_object_set_new(o, "warnings", w))
		goto fail_o;
	return o;
fail:
	json_decref(q);
	json_decref(un);
	json_decref(w);
fail_o:
	json_decref(o);
	return NULL;
}

json_t *fw_api_mark_warnings(struct fw_req *req, const char *advisory_id)
{
	struct fw_release_mark_warning *w = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	enum fw_err r = fw_release_mark_check(req->app->release, advisory_id, FW_MARK_DEFAULT_EPSILON, &w, &n);
	if (r != FW_OK) {
		fw_log_error("http", "fingerprint check of %s failed: %s %s", advisory_id, fw_strerror(r),
			     fw_err_detail());
		json_array_append_new(arr, json_string("the fingerprints could not be checked (see the server log)"));
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(w[i].message));
	free(w);
	return arr;
}

static enum fw_err get_advisory(struct fw_req *req, struct fw_advisory *a)
{
	enum fw_err r = fw_store_advisory_get(req->app->store, req->params[0], a);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_NOT_FOUND, "no advisory %.64s", req->params[0]);
	return r;
}

static enum fw_err parse_epsilon(const char *s, double *out)
{
	char *end;
	double e = strtod(s, &end);
	if (end == s || *end || !(e > 0 && e < 1))
		return fw_err_set(FW_ERR_INVALID, "epsilon must be a number in (0, 1)");
	*out = e;
	return FW_OK;
}

/* --- capacity -------------------------------------------------------------- */

enum fw_err fw_api_artifact_capacity(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_release_capacity c;
	enum fw_kind kind;
	double eps = FW_MARK_DEFAULT_EPSILON;
	long version = 0;
	const char *q;
	enum fw_err r;
	if ((r = get_advisory(req, &a)) != FW_OK || (r = fw_kind_parse(req->params[1], &kind)) != FW_OK)
		return r;
	if ((q = fw_req_query(req, "epsilon")) && (r = parse_epsilon(q, &eps)) != FW_OK)
		return r;
	if ((q = fw_req_query(req, "version"))) {
		char *end;
		version = strtol(q, &end, 10);
		if (end == q || *end || version < 1 || version > 1000000)
			return fw_err_set(FW_ERR_INVALID, "version must be a positive number");
	}
	if ((r = fw_release_mark_capacity(req->app->release, a.id, kind, (int)version, eps, &c)) != FW_OK)
		return r;
	json_t *det = json_array();
	for (unsigned k = 1; det && k <= c.cap.tested && c.points; k++)
		json_array_append_new(det, json_pack("{s:i,s:f,s:s}", "colluders", (int)k, "detection", c.cap.detect[k],
						     "worst_attack", fw_mark_attack_name(c.cap.worst[k])));
	return fw_resp_json(resp, json_pack("{s:s,s:s,s:i,s:b,s:I,s:I,s:f,s:i,s:b,s:o}", "advisory", a.id, "kind",
					    fw_kind_name(kind), "version", c.version, "markable", c.markable,
					    "points", (json_int_t)c.points, "recipients", (json_int_t)c.recipients,
					    "epsilon", c.epsilon, "colluders", c.points ? (int)c.cap.colluders : 0,
					    "single_leaker", c.points ? c.cap.single_leaker : false, "detection", det));
}

/* --- trace ------------------------------------------------------------------ */

/* Standard base64 with any line breaks or spaces removed first (as `base64`
 * wraps its output). */
static enum fw_err decode_file(const char *b64, uint8_t **out, size_t *n)
{
	size_t len = strlen(b64), k = 0;
	char *clean = malloc(len + 1);
	uint8_t *buf = NULL;
	enum fw_err r;
	if (!clean)
		return FW_ERR_NOMEM;
	for (size_t i = 0; i < len; i++)
		if (b64[i] != '\n' && b64[i] != '\r' && b64[i] != ' ' && b64[i] != '\t')
			clean[k++] = b64[i];
	if (k / 4 * 3 > FW_MARK_MAX_SUSPECT_BYTES + 3) {
		r = fw_err_set(FW_ERR_TOO_LARGE, "a leaked file may have at most %u bytes", FW_MARK_MAX_SUSPECT_BYTES);
		goto out;
	}
	if (!(buf = malloc(k / 4 * 3 + 3))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	if ((r = fw_crypto_base64_decode(clean, k, buf, k / 4 * 3 + 3, n)) != FW_OK) {
		r = fw_err_set(FW_ERR_INVALID, "content_base64 is not standard padded base64");
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	free(buf);
	fw_crypto_wipe(clean, len + 1);
	free(clean);
	return r;
}

#define MAX_FILES FW_RELEASE_TRACE_MAX_FILES

struct files {
	struct fw_release_trace_input in[MAX_FILES];
	uint8_t *owned[MAX_FILES];
	size_t n;
};

static void files_cleanup(struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->owned[i]) {
			fw_crypto_wipe(f->owned[i], f->in[i].n);
			free(f->owned[i]);
		}
	}
	f->n = 0;
}

/* {"name": …, "content_base64": …} or {"name": …, "content": "UTF-8 text"}. */
static enum fw_err parse_file(json_t *o, size_t i, struct files *f)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		return fw_err_set(FW_ERR_INVALID, "files[%zu] must be an object", i);
	json_object_foreach(o, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "content_base64") != 0 && strcmp(key, "content") != 0)
			return fw_err_set(FW_ERR_INVALID, "files[%zu]: unknown field \"%.32s\"", i, key);
	}
	const char *name = json_string_value(json_object_get(o, "name"));
	json_t *b64 = json_object_get(o, "content_base64"), *text = json_object_get(o, "content");
	if ((b64 != NULL) == (text != NULL))
		return fw_err_set(FW_ERR_INVALID, "files[%zu] needs exactly one of content_base64 and content", i);
	f->in[i].name = name ? name : "";
	if (text) {
		if (!json_is_string(text))
			return fw_err_set(FW_ERR_INVALID, "files[%zu].content must be a string", i);
		f->in[i].data = (const uint8_t *)json_string_value(text);
		f->in[i].n = json_string_length(text);
		return FW_OK;
	}
	if (!json_is_string(b64))
		return fw_err_set(FW_ERR_INVALID, "files[%zu].content_base64 must be a string", i);
	enum fw_err r = decode_file(json_string_value(b64), &f->owned[i], &f->in[i].n);
	if (r == FW_OK)
		f->in[i].data = f->owned[i] ? f->owned[i] : (const uint8_t *)"";
	return r;
}

static enum fw_err parse_trace(json_t *j, enum fw_kind *kind, double *eps, struct files *f)
{
	const char *key;
	json_t *v, *files;
	enum fw_err r;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "kind") != 0 && strcmp(key, "epsilon") != 0 && strcmp(key, "files") != 0)
			return fw_err_set(FW_ERR_INVALID, "unknown field \"%.64s\" (kind, epsilon, files)", key);
	}
	const char *k = json_string_value(json_object_get(j, "kind"));
	if (!k)
		return fw_err_set(FW_ERR_INVALID, "field \"kind\" is required");
	if ((r = fw_kind_parse(k, kind)) != FW_OK)
		return r;
	if ((v = json_object_get(j, "epsilon"))) {
		*eps = json_number_value(v);
		if (!json_is_number(v) || !(*eps > 0 && *eps < 1))
			return fw_err_set(FW_ERR_INVALID, "field \"epsilon\" must be a number in (0, 1)");
	}
	files = json_object_get(j, "files");
	if (!json_is_array(files) || json_array_size(files) < 1 || json_array_size(files) > MAX_FILES)
		return fw_err_set(FW_ERR_INVALID, "field \"files\" must list 1 to %d files", MAX_FILES);
	for (size_t i = 0; i < json_array_size(files); i++) {
		f->n = i + 1;
		if ((r = parse_file(json_array_get(files, i), i, f)) != FW_OK)
			return r;
	}
	return FW_OK;
}

static json_t *verdict_json(const struct fw_release_verdict *v)
{
	return json_pack("{s:s,s:f,s:f,s:f,s:f,s:b}", "member", v->member_id, "score", v->score, "threshold",
			 isfinite(v->threshold) ? v->threshold : -1.0, "log_pvalue", v->log_pvalue, "log10_pvalue",
			 v->log_pvalue / log(10.0), "accused", v->accused);
}

static json_t *trace_json(const char *advisory, enum fw_kind kind, const struct fw_release_trace *t)
{
	json_t *files = json_array(), *leaks = json_array(), *acc = json_array(), *oth = json_array();
	char hex[65];
	for (size_t i = 0; files && i < t->nfiles; i++) {
		const struct fw_release_trace_file *f = &t->file[i];
		fw_crypto_hex(f->sha256, 32, hex);
		json_array_append_new(files, json_pack("{s:s,s:s,s:I,s:o,s:I,s:I}", "name", f->name, "sha256", hex, "size",
						       (json_int_t)f->size, "version",
						       f->version ? json_integer(f->version) : json_null(),
						       "points_read", (json_int_t)f->read, "points_erased",
						       (json_int_t)f->erased));
	}
	for (size_t i = 0; leaks && i < t->nleaks; i++) {
		const struct fw_release_trace_leak *l = &t->leak[i];
		json_array_append_new(leaks, json_pack("{s:i,s:I,s:I,s:I,s:I}", "version", l->version, "points",
						       (json_int_t)l->points, "points_read", (json_int_t)l->read,
						       "points_erased", (json_int_t)l->erased, "recipients",
						       (json_int_t)l->recipients));
	}
	for (size_t i = 0; acc && oth && i < t->nverdict; i++)
		json_array_append_new(t->verdict[i].accused ? acc : oth, verdict_json(&t->verdict[i]));
	return json_pack("{s:I,s:s,s:s,s:f,s:o,s:o,s:I,s:I,s:I,s:o,s:b,s:o,s:o}", "trace_id", (json_int_t)t->id,
			 "advisory", advisory, "kind", fw_kind_name(kind), "epsilon", t->epsilon, "files", files,
			 "leaks", leaks, "members_scored", (json_int_t)t->scored, "points_read",
			 (json_int_t)t->points_read, "points_erased", (json_int_t)t->points_erased, "threshold",
			 isfinite(t->threshold) ? json_real(t->threshold) : json_null(), "can_accuse", t->can_accuse,
			 "accused", acc, "others", oth);
}

/* The trace is an entry of the log, made in the transaction that stores
 * the run: which files (by hash), who was accused, committed to so that
 * only the operator can open it. */
struct trace_log {
	struct fw_req *req;
	const char *advisory_id;
	enum fw_kind kind;
	int64_t at;
};

static enum fw_err trace_entry(void *ctx, const struct fw_release_trace *t, struct fw_buf *entry,
			       uint8_t leaf_hash[32])
{
	struct trace_log *tl = ctx;
	struct fw_buf d;
	char hex[65];
	fw_buf_init(&d, FW_TLOG_EVENT_DETAILS_MAX);
	enum fw_err r = fw_buf_printf(&d, "kind %s run %lld files", fw_kind_name(tl->kind), (long long)t->id);
	for (size_t i = 0; r == FW_OK && i < t->nfiles; i++) {
		fw_crypto_hex(t->file[i].sha256, 32, hex);
		r = fw_buf_printf(&d, " %s", hex);
	}
	if (r == FW_OK)
		r = fw_buf_puts(&d, " accused");
	for (size_t i = 0; r == FW_OK && i < t->nverdict; i++)
		if (t->verdict[i].accused)
			r = fw_buf_printf(&d, " %s", t->verdict[i].member_id);
	if (r == FW_OK &&
	    (r = fw_tlog_entry_event(tl->req->app->master_key, "trace", tl->advisory_id, fw_buf_str(&d), tl->at,
				     entry)) == FW_OK)
		fw_tlog_leaf_hash(entry->data, entry->len, leaf_hash);
	fw_buf_cleanup(&d);
	return r;
}

enum fw_err fw_api_trace(struct fw_req *req, struct fw_resp *resp)
{
	struct fw_advisory a;
	struct fw_release_trace t;
	struct files f;
	enum fw_kind kind = FW_KIND_POC;
	double eps = FW_MARK_DEFAULT_EPSILON;
	json_t *j = NULL;
	enum fw_err r;
	memset(&f, 0, sizeof f);
	memset(&t, 0, sizeof t);
	if ((r = get_advisory(req, &a)) != FW_OK || (r = fw_req_json(req, &j)) != FW_OK ||
	    (r = parse_trace(j, &kind, &eps, &f)) != FW_OK)
		goto out;
	struct trace_log tl = {.req = req, .advisory_id = a.id, .kind = kind, .at = fw_clock_now()};
	struct fw_release_trace_log log = {.make = trace_entry, .ctx = &tl};
	if ((r = fw_release_trace(req->app->release, a.id, kind, f.in, f.n, eps, req->auth.token_id,
				  req->app->log ? &log : NULL, &t)) != FW_OK)
		goto out;
	if (log.written) {
		fw_tlog_log_wake(req->app->log);
		fw_log_info("http", "trace %lld of %s recorded in the log at index %llu", (long long)t.id, a.id,
			    (unsigned long long)log.index);
	}
	r = fw_resp_json(resp, trace_json(a.id, kind, &t));
out:
	fw_release_trace_cleanup(&t);
	files_cleanup(&f);
	json_decref(j);
	return r;
}
