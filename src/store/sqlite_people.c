/* SQLite backend: members, tokens and advisories. */
#include <jansson.h>

#include "store/sqlite_int.h"

/* --- lists of short strings as JSON arrays ------------------------------ */
/* arr is a char[max][width] array of which the first n are used. */
static void bind_strings(struct sq_bind *b, int i, const void *arr, size_t n, size_t max, size_t width)
{
	json_t *a = NULL;
	char *text = NULL;
	if (b->r != FW_OK)
		return;
	if (n > max) {
		b->r = fw_err_set(FW_ERR_INVALID, "%s: more than %zu values in a list", b->what, max);
		return;
	}
	if (!(a = json_array())) {
		b->r = FW_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const char *s = (const char *)arr + k * width;
		json_t *v;
		if (strnlen(s, width) == width || !(v = json_string(s))) {
			b->r = fw_err_set(FW_ERR_INVALID, "%s: a list value is not terminated UTF-8", b->what);
			goto out;
		}
		if (json_array_append_new(a, v) != 0) {
			b->r = FW_ERR_NOMEM;
			goto out;
		}
	}
	if (!(text = json_dumps(a, JSON_COMPACT))) {
		b->r = FW_ERR_NOMEM;
		goto out;
	}
	sq_text(b, i, text);
out:
	free(text);
	json_decref(a);
}

static enum fw_err col_strings(sqlite3_stmt *st, int i, void *arr, size_t *n, size_t max, size_t width)
{
	enum fw_err r = FW_OK;
	const char *text = (const char *)sqlite3_column_text(st, i);
	json_error_t e;
	json_t *a = text ? json_loads(text, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!json_is_array(a) || json_array_size(a) > max) {
		r = sq_corrupt(st, i);
		goto out;
	}
	for (size_t k = 0; k < json_array_size(a); k++) {
		const char *s = json_string_value(json_array_get(a, k));
		size_t len = s ? strlen(s) : width;
		if (len >= width) {
			r = sq_corrupt(st, i);
			goto out;
		}
		memcpy((char *)arr + k * width, s, len + 1);
	}
	*n = json_array_size(a);
out:
	json_decref(a);
	return r;
}

#define BIND_STRINGS(b, i, arr, n) \
	bind_strings((b), (i), (arr), (n), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]))
#define COL_STRINGS(st, i, arr, n) \
	col_strings((st), (i), (arr), (n), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]))

/* Runs a bound write on one row by id: FW_ERR_NOT_FOUND when none matched. */
static enum fw_err exec_one(struct sq_conn *c, sqlite3_stmt *st, const char *what, const char *id)
{
	enum fw_err r;
	if ((r = fw_store_sq_exec(c, st, what)) != FW_OK)
		return r;
	if (sqlite3_changes(c->db) == 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no %s \"%.64s\"", what, id);
	return FW_OK;
}

/* --- members ------------------------------------------------------------ */
#define MEMBER_COLS \
	"id, name, tier, jurisdiction, status, tags, contact, age_recipient, minisign_pubkey, " \
	"created_at, updated_at"

static const char sql_member_create[] = "INSERT INTO members (" MEMBER_COLS ")"
					" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char sql_member_update[] = "UPDATE members SET revision = revision + 1,"
					" name = ?2, tier = ?3, jurisdiction = ?4,"
					" status = ?5, tags = ?6, contact = ?7, age_recipient = ?8,"
					" minisign_pubkey = ?9, created_at = ?10, updated_at = ?11"
					" WHERE id = ?1";
static const char sql_member_get[] = "SELECT " MEMBER_COLS ", revision FROM members WHERE id = ?1";
static const char sql_member_list[] = "SELECT " MEMBER_COLS ", revision FROM members"
				      " ORDER BY id LIMIT ?1";

static enum fw_err member_row(sqlite3_stmt *st, void *out)
{
	struct fw_member *m = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 0, m->id)) != FW_OK || (r = sq_col_text(st, 1, m->name)) != FW_OK ||
	    (r = sq_col_text(st, 2, m->tier)) != FW_OK || (r = sq_col_text(st, 3, m->jurisdiction)) != FW_OK ||
	    (r = COL_STRINGS(st, 5, m->tags.v, &m->tags.n)) != FW_OK ||
	    (r = sq_col_text(st, 6, m->contact)) != FW_OK ||
	    (r = sq_col_text(st, 7, m->age_recipient)) != FW_OK ||
	    (r = sq_col_text(st, 8, m->minisign_pubkey)) != FW_OK)
		return r;
	if (fw_member_status_parse((const char *)sqlite3_column_text(st, 4), &m->status) != FW_OK) {
		fw_err_clear();
		return sq_corrupt(st, 4);
	}
	m->created_at = sqlite3_column_int64(st, 9);
	m->updated_at = sqlite3_column_int64(st, 10);
	m->revision = sqlite3_column_int64(st, 11);
	return FW_OK;
}

static enum fw_err member_write(struct fw_store *s, const char *sql, const struct fw_member *m, bool update)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "member");
	sq_field(&b, 1, m->id);
	sq_field(&b, 2, m->name);
	sq_field(&b, 3, m->tier);
	sq_field(&b, 4, m->jurisdiction);
	sq_text(&b, 5, fw_member_status_name(m->status));
	BIND_STRINGS(&b, 6, m->tags.v, m->tags.n);
	sq_field(&b, 7, m->contact);
	sq_field(&b, 8, m->age_recipient);
	sq_field(&b, 9, m->minisign_pubkey);
	sq_i64(&b, 10, m->created_at);
	sq_i64(&b, 11, m->updated_at);
	if ((r = b.r) != FW_OK)
		goto out;
	r = update ? exec_one(c, st, "member", m->id) : fw_store_sq_exec(c, st, "member");
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_member_create(struct fw_store *s, const struct fw_member *m)
{
	return member_write(s, sql_member_create, m, false);
}

enum fw_err fw_store_sqlite_member_update(struct fw_store *s, const struct fw_member *m)
{
	return member_write(s, sql_member_update, m, true);
}

/* A get by one text key into a struct of the given size, copied to out only
 * on success. */
static enum fw_err get_by_key(struct fw_store *s, const char *sql, const void *key, size_t keylen,
			      sq_row_fn fn, void *out, size_t size, const char *what)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *tmp = calloc(1, size); /* advisories are large for a thread's stack */
	if (!tmp)
		return FW_ERR_NOMEM;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, what);
	if (keylen)
		sq_blob(&b, 1, key, keylen);
	else
		sq_text(&b, 1, key);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_one(c, st, fn, tmp, what)) != FW_OK)
		goto out;
	memcpy(out, tmp, size);
out:
	fw_store_sq_release(s, c);
	free(tmp);
	return r;
}

/* A list whose statement takes only the row limit, as ?1. */
static enum fw_err list_all(struct fw_store *s, const char *sql, sq_row_fn fn, size_t size, void **out,
			    size_t *n, const char *what)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, what);
	sq_i64(&b, 1, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	r = fw_store_sq_collect(c, st, fn, size, out, n, what);
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_member_get(struct fw_store *s, const char *id, struct fw_member *out)
{
	return get_by_key(s, sql_member_get, id, 0, member_row, out, sizeof *out, "member");
}

enum fw_err fw_store_sqlite_member_list(struct fw_store *s, struct fw_member **out, size_t *n)
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
				       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_token_find[] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?1";
static const char sql_token_get[] = "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1";
/* rowid breaks ties of tokens created in the same second: insertion order. */
static const char sql_token_list_all[] = "SELECT " TOKEN_COLS " FROM tokens"
					 " ORDER BY created_at, rowid LIMIT ?2";
static const char sql_token_list_member[] = "SELECT " TOKEN_COLS " FROM tokens WHERE member_id = ?1"
					    " ORDER BY created_at, rowid LIMIT ?2";
/* The first revocation time is evidence; a second revoke must not move it. */
static const char sql_token_revoke[] = "UPDATE tokens SET revoked_at ="
				       " CASE WHEN revoked_at = 0 THEN ?2 ELSE revoked_at END"
				       " WHERE id = ?1";
static const char sql_token_revoke_member[] = "UPDATE tokens SET revoked_at = ?2"
					      " WHERE member_id = ?1 AND revoked_at = 0";
/* MAX: concurrent requests may touch out of order. */
static const char sql_token_touch[] = "UPDATE tokens SET last_used_at = MAX(last_used_at, ?2)"
				      " WHERE id = ?1";

static enum fw_err token_row(sqlite3_stmt *st, void *out)
{
	struct fw_token *t = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 0, t->id)) != FW_OK || (r = sq_col_text(st, 2, t->member_id)) != FW_OK ||
	    (r = sq_col_text(st, 3, t->label)) != FW_OK)
		return r;
	if (fw_role_parse((const char *)sqlite3_column_text(st, 1), &t->role) != FW_OK) {
		fw_err_clear();
		return sq_corrupt(st, 1);
	}
	t->created_at = sqlite3_column_int64(st, 4);
	t->expires_at = sqlite3_column_int64(st, 5);
	t->revoked_at = sqlite3_column_int64(st, 6);
	t->last_used_at = sqlite3_column_int64(st, 7);
	return FW_OK;
}

enum fw_err fw_store_sqlite_token_create(struct fw_store *s, const struct fw_token *t,
					 const uint8_t hash[32])
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_token_create, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "token");
	sq_blob(&b, 1, hash, 32);
	sq_field(&b, 2, t->id);
	sq_text(&b, 3, fw_role_name(t->role));
	sq_ref(&b, 4, t->member_id);
	sq_field(&b, 5, t->label);
	sq_i64(&b, 6, t->created_at);
	sq_i64(&b, 7, t->expires_at);
	sq_i64(&b, 8, t->revoked_at);
	sq_i64(&b, 9, t->last_used_at);
	if ((r = b.r) != FW_OK)
		goto out;
	r = fw_store_sq_exec(c, st, "token");
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_token_find(struct fw_store *s, const uint8_t hash[32], struct fw_token *out)
{
	return get_by_key(s, sql_token_find, hash, 32, token_row, out, sizeof *out, "token");
}

enum fw_err fw_store_sqlite_token_get(struct fw_store *s, const char *id, struct fw_token *out)
{
	return get_by_key(s, sql_token_get, id, 0, token_row, out, sizeof *out, "token");
}

enum fw_err fw_store_sqlite_token_list(struct fw_store *s, const char *member_id,
				       struct fw_token **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	const char *sql = member_id ? sql_token_list_member : sql_token_list_all;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "token");
	if (member_id)
		sq_text(&b, 1, member_id);
	sq_i64(&b, 2, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, token_row, sizeof **out, &v, n, "token")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

/* An UPDATE of tokens keyed by ?1 with a time ?2; *changed gets the rows. */
static enum fw_err token_update(struct fw_store *s, const char *sql, const char *key, int64_t at,
				int *changed)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "token");
	sq_text(&b, 1, key);
	sq_i64(&b, 2, at);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "token")) != FW_OK)
		goto out;
	*changed = sqlite3_changes(c->db);
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_token_revoke(struct fw_store *s, const char *id, int64_t at)
{
	int changed = 0;
	enum fw_err r = token_update(s, sql_token_revoke, id, at, &changed);
	if (r == FW_OK && changed == 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no token \"%.32s\"", id);
	return r;
}

enum fw_err fw_store_sqlite_token_revoke_member(struct fw_store *s, const char *member_id, int64_t at,
						size_t *n)
{
	int changed = 0;
	enum fw_err r = token_update(s, sql_token_revoke_member, member_id, at, &changed);
	if (r == FW_OK && n)
		*n = (size_t)changed;
	return r;
}

enum fw_err fw_store_sqlite_token_touch(struct fw_store *s, const char *id, int64_t at)
{
	int changed = 0;
	enum fw_err r = token_update(s, sql_token_touch, id, at, &changed);
	if (r == FW_OK && changed == 0)
		return fw_err_set(FW_ERR_NOT_FOUND, "no token \"%.32s\"", id);
	return r;
}

/* --- sanctions: status, tokens and log entry in one transaction ---------- */
static const char sql_member_status_get[] = "SELECT status FROM members WHERE id = ?1";
static const char sql_member_status_set[] = "UPDATE members SET revision = revision + 1, status = ?2,"
					    " updated_at = ?3 WHERE id = ?1";

static enum fw_err status_row(sqlite3_stmt *st, void *out)
{
	if (fw_member_status_parse((const char *)sqlite3_column_text(st, 0), out) != FW_OK) {
		fw_err_clear();
		return sq_corrupt(st, 0);
	}
	return FW_OK;
}

/* One statement binding a text key ?1, then a text ?2 (may be NULL: not
 * bound) and a time ?3, run to the end. */
static enum fw_err exec_keyed(struct sq_conn *c, const char *sql, const char *key, const char *text, int at_i,
			      int64_t at, const char *what)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, what);
	sq_text(&b, 1, key);
	if (text)
		sq_text(&b, 2, text);
	sq_i64(&b, at_i, at);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, what);
}

enum fw_err fw_store_sqlite_member_set_status(struct fw_store *s, struct fw_store_status_change *ch,
					      struct fw_store_log_hook *log)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_member_status now = FW_MEMBER_ACTIVE;
	int revoked = 0;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_member_status_get, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "member");
	sq_text(&b, 1, ch->member_id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_one(c, st, status_row, &now, "member")) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(FW_ERR_NOT_FOUND, "no member \"%.64s\"", ch->member_id);
		goto out;
	}
	if (now != ch->from) {
		r = fw_err_set(FW_ERR_STATE, "member %.64s is %s now, no longer %s", ch->member_id,
			       fw_member_status_name(now), fw_member_status_name(ch->from));
		goto out;
	}
	if ((r = exec_keyed(c, sql_member_status_set, ch->member_id, fw_member_status_name(ch->to), 3, ch->at,
			    "member")) != FW_OK)
		goto out;
	if (ch->revoke_tokens) {
		if ((r = exec_keyed(c, sql_token_revoke_member, ch->member_id, NULL, 2, ch->at, "token")) != FW_OK)
			goto out;
		revoked = sqlite3_changes(c->db);
	}
	if ((r = fw_store_sqlite_log_hook_run(c, log)) != FW_OK || (r = fw_store_sq_commit(c)) != FW_OK)
		goto out;
	ch->revoked = (size_t)revoked;
out:
	if (r != FW_OK && c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

/* --- advisories --------------------------------------------------------- */
#define ADVISORY_COLS \
	"id, title, cves, products, cvss_vector, cvss_score, tags, public_at, status, tlp, " \
	"created_at, updated_at"

static const char sql_advisory_create[] = "INSERT INTO advisories (" ADVISORY_COLS ")"
					  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char sql_advisory_update[] = "UPDATE advisories SET revision = revision + 1, title = ?2, cves = ?3,"
					  " products = ?4,"
					  " cvss_vector = ?5, cvss_score = ?6, tags = ?7,"
					  " public_at = ?8, status = ?9, tlp = ?10,"
					  " created_at = ?11, updated_at = ?12 WHERE id = ?1";
static const char sql_advisory_get[] = "SELECT " ADVISORY_COLS ", revision FROM advisories WHERE id = ?1";
static const char sql_advisory_list[] = "SELECT " ADVISORY_COLS ", revision FROM advisories"
					" ORDER BY id LIMIT ?1";

static enum fw_err advisory_row(sqlite3_stmt *st, void *out)
{
	struct fw_advisory *a = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 0, a->id)) != FW_OK || (r = sq_col_text(st, 1, a->title)) != FW_OK ||
	    (r = COL_STRINGS(st, 2, a->cves, &a->ncves)) != FW_OK ||
	    (r = COL_STRINGS(st, 3, a->products, &a->nproducts)) != FW_OK ||
	    (r = sq_col_text(st, 4, a->cvss_vector)) != FW_OK ||
	    (r = COL_STRINGS(st, 6, a->tags.v, &a->tags.n)) != FW_OK)
		return r;
	if (fw_advisory_status_parse((const char *)sqlite3_column_text(st, 8), &a->status) != FW_OK) {
		fw_err_clear();
		return sq_corrupt(st, 8);
	}
	if (fw_tlp_parse((const char *)sqlite3_column_text(st, 9), &a->tlp) != FW_OK) {
		fw_err_clear();
		return sq_corrupt(st, 9);
	}
	a->cvss_score = sqlite3_column_double(st, 5);
	a->public_at = sqlite3_column_int64(st, 7);
	a->created_at = sqlite3_column_int64(st, 10);
	a->updated_at = sqlite3_column_int64(st, 11);
	a->revision = sqlite3_column_int64(st, 12);
	return FW_OK;
}

/* An update runs in a transaction with its log entry (log may be NULL). */
static enum fw_err advisory_write(struct fw_store *s, const char *sql, const struct fw_advisory *a,
				  bool update, struct fw_store_log_hook *log)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (update && (r = fw_store_sq_begin(c)) != FW_OK) ||
	    (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "advisory");
	sq_field(&b, 1, a->id);
	sq_field(&b, 2, a->title);
	BIND_STRINGS(&b, 3, a->cves, a->ncves);
	BIND_STRINGS(&b, 4, a->products, a->nproducts);
	sq_field(&b, 5, a->cvss_vector);
	sq_f64(&b, 6, a->cvss_score);
	BIND_STRINGS(&b, 7, a->tags.v, a->tags.n);
	sq_i64(&b, 8, a->public_at);
	sq_text(&b, 9, fw_advisory_status_name(a->status));
	sq_text(&b, 10, fw_tlp_name(a->tlp));
	sq_i64(&b, 11, a->created_at);
	sq_i64(&b, 12, a->updated_at);
	if ((r = b.r) != FW_OK)
		goto out;
	if (!update) {
		r = fw_store_sq_exec(c, st, "advisory");
		goto out;
	}
	if ((r = exec_one(c, st, "advisory", a->id)) != FW_OK || (r = fw_store_sqlite_log_hook_run(c, log)) != FW_OK)
		goto out;
	r = fw_store_sq_commit(c);
out:
	if (r != FW_OK && c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_advisory_create(struct fw_store *s, const struct fw_advisory *a)
{
	return advisory_write(s, sql_advisory_create, a, false, NULL);
}

enum fw_err fw_store_sqlite_advisory_update(struct fw_store *s, const struct fw_advisory *a,
					    struct fw_store_log_hook *log)
{
	return advisory_write(s, sql_advisory_update, a, true, log);
}

enum fw_err fw_store_sqlite_advisory_get(struct fw_store *s, const char *id, struct fw_advisory *out)
{
	return get_by_key(s, sql_advisory_get, id, 0, advisory_row, out, sizeof *out, "advisory");
}

enum fw_err fw_store_sqlite_advisory_list(struct fw_store *s, struct fw_advisory **out, size_t *n)
{
	void *v = NULL;
	enum fw_err r = list_all(s, sql_advisory_list, advisory_row, sizeof **out, &v, n, "advisory");
	if (r == FW_OK)
		*out = v;
	return r;
}
