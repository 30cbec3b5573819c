/* PostgreSQL backend: members, tokens and advisories. */
#include <jansson.h>

#include "store/pg_int.h"

/* --- lists of short strings as JSON arrays (jsonb) ---------------------- */
/* arr is a char[max][width] array of which the first n are used. */
static void bind_strings(struct pg_params *p, int i, const void *arr, size_t n, size_t max, size_t width)
{
	json_t *a = NULL;
	char *text = NULL;
	if (p->r != FW_OK)
		return;
	if (n > max) {
		p->r = fw_err_set(FW_ERR_INVALID, "%s: more than %zu values in a list", p->what, max);
		return;
	}
	if (!(a = json_array())) {
		p->r = FW_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const char *s = (const char *)arr + k * width;
		json_t *v;
		if (strnlen(s, width) == width || !(v = json_string(s))) {
			p->r = fw_err_set(FW_ERR_INVALID, "%s: a list value is not terminated UTF-8", p->what);
			goto out;
		}
		if (json_array_append_new(a, v) != 0) {
			p->r = FW_ERR_NOMEM;
			goto out;
		}
	}
	if (!(text = json_dumps(a, JSON_COMPACT))) {
		p->r = FW_ERR_NOMEM;
		goto out;
	}
	pg_own(p, i, text, strlen(text), 0);
	text = NULL;
out:
	free(text);
	json_decref(a);
}

/* jsonb in binary form is a version byte (1) and the JSON text. */
static enum fw_err col_strings(const PGresult *res, int row, int col, void *arr, size_t *n, size_t max,
			       size_t width)
{
	enum fw_err r = FW_OK;
	const char *text = PQgetvalue(res, row, col);
	size_t len = (size_t)PQgetlength(res, row, col);
	json_t *a = NULL;
	json_error_t e;
	if (PQgetisnull(res, row, col) || PQftype(res, col) != PG_OID_JSONB || len < 1 || text[0] != 1)
		return fw_store_pg_corrupt(res, col);
	a = json_loadb(text + 1, len - 1, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_array(a) || json_array_size(a) > max) {
		r = fw_store_pg_corrupt(res, col);
		goto out;
	}
	for (size_t k = 0; k < json_array_size(a); k++) {
		const char *s = json_string_value(json_array_get(a, k));
		size_t slen = s ? strlen(s) : width;
		if (slen >= width) {
			r = fw_store_pg_corrupt(res, col);
			goto out;
		}
		memcpy((char *)arr + k * width, s, slen + 1);
	}
	*n = json_array_size(a);
out:
	json_decref(a);
	return r;
}

#define BIND_STRINGS(p, i, arr, n) \
	bind_strings((p), (i), (arr), (n), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]))
#define COL_STRINGS(res, row, col, arr, n) \
	col_strings((res), (row), (col), (arr), (n), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]))

/* An enum stored by its name, read with the model's parser. */
static enum fw_err col_name(const PGresult *res, int row, int col, enum fw_err (*parse)(const char *, void *),
			    void *out)
{
	char name[32];
	if (pg_col_text(res, row, col, name) != FW_OK || parse(name, out) != FW_OK) {
		fw_err_clear();
		return fw_store_pg_corrupt(res, col);
	}
	return FW_OK;
}

static enum fw_err parse_member_status(const char *s, void *out) { return fw_member_status_parse(s, out); }
static enum fw_err parse_role(const char *s, void *out) { return fw_role_parse(s, out); }
static enum fw_err parse_advisory_status(const char *s, void *out) { return fw_advisory_status_parse(s, out); }
static enum fw_err parse_tlp(const char *s, void *out) { return fw_tlp_parse(s, out); }

/* Runs a write keyed by id on one connection: FW_ERR_NOT_FOUND when no
 * row matched. With log, in one transaction with log's entry. */
static enum fw_err write_one(struct fw_store *s, const char *sql, struct pg_params *p, const char *id,
			     struct fw_store_log_hook *log)
{
	struct pg_conn *c = NULL;
	int64_t changed = 0;
	const char *what = p->what;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK || (log && (r = fw_store_pg_begin(c)) != FW_OK)) {
		fw_store_pg_params_free(p);
		fw_store_pg_release(s, c);
		return r;
	}
	if ((r = fw_store_pg_command(c, sql, p, &changed)) == FW_OK && id && changed == 0)
		r = fw_err_set(FW_ERR_NOT_FOUND, "no %s \"%.64s\"", what, id);
	if (r == FW_OK && log && (r = fw_store_pg_log_hook_run(c, log)) == FW_OK)
		r = fw_store_pg_commit(c);
	if (r != FW_OK)
		fw_store_pg_rollback(c);
	fw_store_pg_release(s, c);
	return r;
}

/* --- members ------------------------------------------------------------ */
#define MEMBER_COLS \
	"id, name, tier, jurisdiction, status, tags, contact, age_recipient, minisign_pubkey, " \
	"created_at, updated_at"

static const char sql_member_create[] = "INSERT INTO members (" MEMBER_COLS ")"
					" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
static const char sql_member_update[] = "UPDATE members SET revision = revision + 1,"
					" name = $2, tier = $3, jurisdiction = $4,"
					" status = $5, tags = $6, contact = $7, age_recipient = $8,"
					" minisign_pubkey = $9, created_at = $10, updated_at = $11"
					" WHERE id = $1";
static const char sql_member_get[] = "SELECT " MEMBER_COLS ", revision FROM members WHERE id = $1";
static const char sql_member_list[] = "SELECT " MEMBER_COLS ", revision FROM members"
				      " ORDER BY id LIMIT $1";

static enum fw_err member_row(const PGresult *res, int row, void *out)
{
	struct fw_member *m = out;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, m->id)) != FW_OK || (r = pg_col_text(res, row, 1, m->name)) != FW_OK ||
	    (r = pg_col_text(res, row, 2, m->tier)) != FW_OK ||
	    (r = pg_col_text(res, row, 3, m->jurisdiction)) != FW_OK ||
	    (r = col_name(res, row, 4, parse_member_status, &m->status)) != FW_OK ||
	    (r = COL_STRINGS(res, row, 5, m->tags.v, &m->tags.n)) != FW_OK ||
	    (r = pg_col_text(res, row, 6, m->contact)) != FW_OK ||
	    (r = pg_col_text(res, row, 7, m->age_recipient)) != FW_OK ||
	    (r = pg_col_text(res, row, 8, m->minisign_pubkey)) != FW_OK ||
	    (r = pg_col_i64(res, row, 9, &m->created_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 10, &m->updated_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 11, &m->revision)) != FW_OK)
		return r;
	return FW_OK;
}

static enum fw_err member_write(struct fw_store *s, const char *sql, const struct fw_member *m, bool update)
{
	struct pg_params p;
	pg_params_init(&p, "member");
	pg_field(&p, 1, m->id);
	pg_field(&p, 2, m->name);
	pg_field(&p, 3, m->tier);
	pg_field(&p, 4, m->jurisdiction);
	pg_text(&p, 5, fw_member_status_name(m->status));
	BIND_STRINGS(&p, 6, m->tags.v, m->tags.n);
	pg_field(&p, 7, m->contact);
	pg_field(&p, 8, m->age_recipient);
	pg_field(&p, 9, m->minisign_pubkey);
	pg_i64(&p, 10, m->created_at);
	pg_i64(&p, 11, m->updated_at);
	return write_one(s, sql, &p, update ? m->id : NULL, NULL);
}

enum fw_err fw_store_pg_member_create(struct fw_store *s, const struct fw_member *m)
{
	return member_write(s, sql_member_create, m, false);
}

enum fw_err fw_store_pg_member_update(struct fw_store *s, const struct fw_member *m)
{
	return member_write(s, sql_member_update, m, true);
}

/* A get by one key (text, or bytes when keylen is not 0) into a struct of
 * the given size, copied to out only on success. */
static enum fw_err get_by_key(struct fw_store *s, const char *sql, const void *key, size_t keylen,
			      pg_row_fn fn, void *out, size_t size, const char *what)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *tmp = calloc(1, size); /* advisories are large for a thread's stack */
	if (!tmp)
		return FW_ERR_NOMEM;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		goto out;
	pg_params_init(&p, what);
	if (keylen)
		pg_blob(&p, 1, key, keylen);
	else
		pg_text(&p, 1, key);
	if ((r = fw_store_pg_one(c, sql, &p, fn, tmp)) != FW_OK)
		goto out;
	memcpy(out, tmp, size);
out:
	fw_store_pg_release(s, c);
	free(tmp);
	return r;
}

/* A list whose statement takes only the row limit, as $1. */
static enum fw_err list_all(struct fw_store *s, const char *sql, pg_row_fn fn, size_t size, void **out,
			    size_t *n, const char *what)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, what);
	pg_i64(&p, 1, FW_STORE_MAX_LIST);
	r = fw_store_pg_collect(c, sql, &p, fn, size, out, n);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_member_get(struct fw_store *s, const char *id, struct fw_member *out)
{
	return get_by_key(s, sql_member_get, id, 0, member_row, out, sizeof *out, "member");
}

enum fw_err fw_store_pg_member_list(struct fw_store *s, struct fw_member **out, size_t *n)
{
	void *v = NULL;
	enum fw_err r = list_all(s, sql_member_list, member_row, sizeof **out, &v, n, "member");
	if (r == FW_OK)
		*out = v;
	return r;
}

/* --- tokens ------------------------------------------------------------- */
#define TOKEN_COLS "id, role, member_id, label, created_at, expires_at, revoked_at, last_used_at"

static const char sql_token_create[] = "INSERT INTO tokens (hash, " TOKEN_COLS ")"
				       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
static const char sql_token_find[] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = $1";
static const char sql_token_get[] = "SELECT " TOKEN_COLS " FROM tokens WHERE id = $1";
/* seq breaks ties of tokens created in the same second: insertion order. */
static const char sql_token_list_all[] = "SELECT " TOKEN_COLS " FROM tokens"
					 " ORDER BY created_at, seq LIMIT $1";
static const char sql_token_list_member[] = "SELECT " TOKEN_COLS " FROM tokens WHERE member_id = $1"
					    " ORDER BY created_at, seq LIMIT $2";
/* The first revocation time is evidence; a second revoke must not move it. */
static const char sql_token_revoke[] = "UPDATE tokens SET revoked_at ="
				       " CASE WHEN revoked_at = 0 THEN $2 ELSE revoked_at END"
				       " WHERE id = $1";
static const char sql_token_revoke_member[] = "UPDATE tokens SET revoked_at = $2"
					      " WHERE member_id = $1 AND revoked_at = 0";
/* GREATEST: concurrent requests may touch out of order. */
static const char sql_token_touch[] = "UPDATE tokens SET last_used_at = GREATEST(last_used_at, $2)"
				      " WHERE id = $1";

static enum fw_err token_row(const PGresult *res, int row, void *out)
{
	struct fw_token *t = out;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, t->id)) != FW_OK ||
	    (r = col_name(res, row, 1, parse_role, &t->role)) != FW_OK ||
	    (r = pg_col_text(res, row, 2, t->member_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 3, t->label)) != FW_OK ||
	    (r = pg_col_i64(res, row, 4, &t->created_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 5, &t->expires_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 6, &t->revoked_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 7, &t->last_used_at)) != FW_OK)
		return r;
	return FW_OK;
}

enum fw_err fw_store_pg_token_create(struct fw_store *s, const struct fw_token *t, const uint8_t hash[32])
{
	struct pg_params p;
	pg_params_init(&p, "token");
	pg_blob(&p, 1, hash, 32);
	pg_field(&p, 2, t->id);
	pg_text(&p, 3, fw_role_name(t->role));
	pg_ref(&p, 4, t->member_id);
	pg_field(&p, 5, t->label);
	pg_i64(&p, 6, t->created_at);
	pg_i64(&p, 7, t->expires_at);
	pg_i64(&p, 8, t->revoked_at);
	pg_i64(&p, 9, t->last_used_at);
	return write_one(s, sql_token_create, &p, NULL, NULL);
}

enum fw_err fw_store_pg_token_find(struct fw_store *s, const uint8_t hash[32], struct fw_token *out)
{
	return get_by_key(s, sql_token_find, hash, 32, token_row, out, sizeof *out, "token");
}

enum fw_err fw_store_pg_token_get(struct fw_store *s, const char *id, struct fw_token *out)
{
	return get_by_key(s, sql_token_get, id, 0, token_row, out, sizeof *out, "token");
}

enum fw_err fw_store_pg_token_list(struct fw_store *s, const char *member_id, struct fw_token **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "token");
	if (member_id) {
		pg_text(&p, 1, member_id);
		pg_i64(&p, 2, FW_STORE_MAX_LIST);
	} else {
		pg_i64(&p, 1, FW_STORE_MAX_LIST);
	}
	r = fw_store_pg_collect(c, member_id ? sql_token_list_member : sql_token_list_all, &p, token_row,
				sizeof **out, &v, n);
	if (r == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

/* An UPDATE of tokens keyed by $1 with a time $2; *changed gets the rows. */
static enum fw_err token_update(struct fw_store *s, const char *sql, const char *key, int64_t at,
				int64_t *changed)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "token");
	pg_text(&p, 1, key);
	pg_i64(&p, 2, at);
	r = fw_store_pg_command(c, sql, &p, changed);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_token_revoke(struct fw_store *s, const char *id, int64_t at)
{
	int64_t changed = 0;
	enum fw_err r = token_update(s, sql_token_revoke, id, at, &changed);
	if (r == FW_OK && changed == 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no token \"%.32s\"", id);
	return r;
}

enum fw_err fw_store_pg_token_revoke_member(struct fw_store *s, const char *member_id, int64_t at, size_t *n)
{
	int64_t changed = 0;
	enum fw_err r = token_update(s, sql_token_revoke_member, member_id, at, &changed);
	if (r == FW_OK && n)
		*n = (size_t)changed;
	return r;
}

enum fw_err fw_store_pg_token_touch(struct fw_store *s, const char *id, int64_t at)
{
	int64_t changed = 0;
	enum fw_err r = token_update(s, sql_token_touch, id, at, &changed);
	if (r == FW_OK && changed == 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no token \"%.32s\"", id);
	return r;
}

/* --- sanctions: status, tokens and log entry in one transaction ---------- */
/* The row lock orders concurrent sanctions of one member. NO KEY UPDATE,
 * the lock the UPDATE below takes anyway: FOR UPDATE would also wait for
 * the KEY SHARE locks of foreign-key checks, and deadlock with a delivery
 * to this member that holds the log's sequence lock and checks its member. */
static const char sql_member_status_lock[] = "SELECT status FROM members WHERE id = $1 FOR NO KEY UPDATE";
static const char sql_member_status_set[] = "UPDATE members SET revision = revision + 1, status = $2,"
					    " updated_at = $3 WHERE id = $1";

static enum fw_err status_row(const PGresult *res, int row, void *out)
{
	return col_name(res, row, 0, parse_member_status, out);
}

enum fw_err fw_store_pg_member_set_status(struct fw_store *s, struct fw_store_status_change *ch,
					  struct fw_store_log_hook *log)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_member_status now = FW_MEMBER_ACTIVE;
	int64_t revoked = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK || (r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	pg_params_init(&p, "member");
	pg_text(&p, 1, ch->member_id);
	if ((r = fw_store_pg_one(c, sql_member_status_lock, &p, status_row, &now)) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(FW_ERR_NOT_FOUND, "no member \"%.64s\"", ch->member_id);
		goto out;
	}
	if (now != ch->from) {
		r = fw_err_set(FW_ERR_STATE, "member %.64s is %s now, no longer %s", ch->member_id,
			       fw_member_status_name(now), fw_member_status_name(ch->from));
		goto out;
	}
	pg_params_init(&p, "member");
	pg_text(&p, 1, ch->member_id);
	pg_text(&p, 2, fw_member_status_name(ch->to));
	pg_i64(&p, 3, ch->at);
	if ((r = fw_store_pg_command(c, sql_member_status_set, &p, NULL)) != FW_OK)
		goto out;
	if (ch->revoke_tokens) {
		pg_params_init(&p, "token");
		pg_text(&p, 1, ch->member_id);
		pg_i64(&p, 2, ch->at);
		if ((r = fw_store_pg_command(c, sql_token_revoke_member, &p, &revoked)) != FW_OK)
			goto out;
	}
	if ((r = fw_store_pg_log_hook_run(c, log)) != FW_OK || (r = fw_store_pg_commit(c)) != FW_OK)
		goto out;
	ch->revoked = (size_t)revoked;
out:
	if (r != FW_OK && c)
		fw_store_pg_rollback(c);
	fw_store_pg_release(s, c);
	return r;
}

/* --- advisories --------------------------------------------------------- */
#define ADVISORY_COLS \
	"id, title, cves, products, cvss_vector, cvss_score, tags, public_at, status, tlp, " \
	"created_at, updated_at"

static const char sql_advisory_create[] = "INSERT INTO advisories (" ADVISORY_COLS ")"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
static const char sql_advisory_update[] = "UPDATE advisories SET revision = revision + 1, title = $2, cves = $3,"
					  " products = $4,"
					  " cvss_vector = $5, cvss_score = $6, tags = $7,"
					  " public_at = $8, status = $9, tlp = $10,"
					  " created_at = $11, updated_at = $12 WHERE id = $1";
static const char sql_advisory_get[] = "SELECT " ADVISORY_COLS ", revision FROM advisories WHERE id = $1";
static const char sql_advisory_list[] = "SELECT " ADVISORY_COLS ", revision FROM advisories"
					" ORDER BY id LIMIT $1";

static enum fw_err advisory_row(const PGresult *res, int row, void *out)
{
	struct fw_advisory *a = out;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, a->id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, a->title)) != FW_OK ||
	    (r = COL_STRINGS(res, row, 2, a->cves, &a->ncves)) != FW_OK ||
	    (r = COL_STRINGS(res, row, 3, a->products, &a->nproducts)) != FW_OK ||
	    (r = pg_col_text(res, row, 4, a->cvss_vector)) != FW_OK ||
	    (r = pg_col_f64(res, row, 5, &a->cvss_score)) != FW_OK ||
	    (r = COL_STRINGS(res, row, 6, a->tags.v, &a->tags.n)) != FW_OK ||
	    (r = pg_col_i64(res, row, 7, &a->public_at)) != FW_OK ||
	    (r = col_name(res, row, 8, parse_advisory_status, &a->status)) != FW_OK ||
	    (r = col_name(res, row, 9, parse_tlp, &a->tlp)) != FW_OK ||
	    (r = pg_col_i64(res, row, 10, &a->created_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 11, &a->updated_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 12, &a->revision)) != FW_OK)
		return r;
	return FW_OK;
}

static enum fw_err advisory_write(struct fw_store *s, const char *sql, const struct fw_advisory *a, bool update,
				  struct fw_store_log_hook *log)
{
	struct pg_params p;
	pg_params_init(&p, "advisory");
	pg_field(&p, 1, a->id);
	pg_field(&p, 2, a->title);
	BIND_STRINGS(&p, 3, a->cves, a->ncves);
	BIND_STRINGS(&p, 4, a->products, a->nproducts);
	pg_field(&p, 5, a->cvss_vector);
	pg_f64(&p, 6, a->cvss_score);
	BIND_STRINGS(&p, 7, a->tags.v, a->tags.n);
	pg_i64(&p, 8, a->public_at);
	pg_text(&p, 9, fw_advisory_status_name(a->status));
	pg_text(&p, 10, fw_tlp_name(a->tlp));
	pg_i64(&p, 11, a->created_at);
	pg_i64(&p, 12, a->updated_at);
	return write_one(s, sql, &p, update ? a->id : NULL, log);
}

enum fw_err fw_store_pg_advisory_create(struct fw_store *s, const struct fw_advisory *a)
{
	return advisory_write(s, sql_advisory_create, a, false, NULL);
}

enum fw_err fw_store_pg_advisory_update(struct fw_store *s, const struct fw_advisory *a,
					struct fw_store_log_hook *log)
{
	return advisory_write(s, sql_advisory_update, a, true, log);
}

enum fw_err fw_store_pg_advisory_get(struct fw_store *s, const char *id, struct fw_advisory *out)
{
	return get_by_key(s, sql_advisory_get, id, 0, advisory_row, out, sizeof *out, "advisory");
}

enum fw_err fw_store_pg_advisory_list(struct fw_store *s, struct fw_advisory **out, size_t *n)
{
	void *v = NULL;
	enum fw_err r = list_all(s, sql_advisory_list, advisory_row, sizeof **out, &v, n, "advisory");
	if (r == FW_OK)
		*out = v;
	return r;
}
