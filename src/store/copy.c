/* Moving a whole program from SQLite to PostgreSQL (forewarnd db-copy).
 *
 * Table by table, in an order that satisfies the foreign keys, every row of
 * the SQLite database is streamed into PostgreSQL with COPY … FROM STDIN
 * (text format: the server's own input functions turn SQLite's 0/1 into
 * booleans, JSON text into jsonb, and so on), inside one transaction of the
 * target: a copy that fails half-way leaves the target as it was. The
 * source is read inside one read transaction, so the copy is a snapshot
 * even if someone writes meanwhile (stop forewarnd first all the same).
 *
 * Table and column names come from the two databases' catalogs, never from
 * a user; they are checked to be plain lower-case identifiers, so they need
 * no quoting beyond the double quotes put around them. Tables the copy
 * does not know (a later migration) are copied too, after the known ones,
 * as long as both databases have them. */
#include <ctype.h>

#include "store/pg_int.h"
#include "store/sqlite_int.h"

/* Parents before children. */
static const char *const known_order[] = {
	"kinds", "members", "tokens", "advisories", "artifacts", "policy_versions", "plan_members", "plan_decisions", "deliveries",
	"delivery_reads", "log_entries", "log_seq", "log_tree", "log_nodes", "log_checkpoints", "artifact_marks",
	"traces", NULL};
/* Filled by the target's own migrations: emptied, then copied over. */
static const char *const seeded[] = {"kinds", "log_seq", "log_tree", NULL};
/* Not part of a program: bookkeeping of one database, or transient. */
static const char *const skipped[] = {"schema_migrations", "release_claims", NULL};

#define MAX_COLS 48
#define NAME_BYTES 64
#define COPY_CHUNK (1024u * 1024u)  /* bytes sent to the server at a time */
#define PROGRESS_EVERY 2000         /* rows */
/* One row in COPY's text: a 1 GiB artifact (--max-artifact's bound) in hex. */
#define COPY_BUF_MAX ((size_t)2 * 1024 * 1024 * 1024 + 2 * COPY_CHUNK)

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= NAME_BYTES)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

struct table {
	char name[NAME_BYTES];
	char col[MAX_COLS][NAME_BYTES];
	size_t ncol;
};

struct copy {
	struct fw_store *from, *to;
	struct sq_conn *sq;
	struct pg_conn *pg;
	struct table t[FW_STORE_COPY_MAX_TABLES];
	size_t nt;
	fw_store_copy_progress_fn fn;
	void *ctx;
	struct fw_store_copy_report *rep;
};

/* --- SQLite: dynamic statements, finalized after use ------------------- */
static enum fw_err sq_prepare(struct copy *c, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(c->sq->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? FW_OK : fw_store_sq_error(c->sq, rc, "copy");
}

static enum fw_err sq_count(struct copy *c, const char *table, uint64_t *n)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	enum fw_err r;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
	if ((r = sq_prepare(c, sql, &st)) != FW_OK)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = fw_store_sq_error(c->sq, sqlite3_errcode(c->sq->db), "copy");
	sqlite3_finalize(st);
	return r;
}

/* The source's tables, known ones first in known_order, then the others. */
static enum fw_err source_tables(struct copy *c)
{
	static const char sql[] = "SELECT name FROM sqlite_master WHERE type = 'table'"
				  " AND name NOT LIKE 'sqlite_%' ORDER BY name";
	char names[FW_STORE_COPY_MAX_TABLES][NAME_BYTES] = {{0}};
	size_t n = 0;
	sqlite3_stmt *st = NULL;
	enum fw_err r;
	if ((r = sq_prepare(c, sql, &st)) != FW_OK)
		return r;
	while (r == FW_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!name || in_list(skipped, name))
			continue;
		if (!plain_name(name) || n == FW_STORE_COPY_MAX_TABLES)
			r = fw_err_set(FW_ERR_UNSUPPORTED, "the source has a table this copy cannot handle");
		else
			snprintf(names[n++], NAME_BYTES, "%s", name);
	}
	sqlite3_finalize(st);
	for (size_t k = 0; r == FW_OK && known_order[k]; k++)
		for (size_t i = 0; i < n; i++)
			if (strcmp(names[i], known_order[k]) == 0)
				memcpy(c->t[c->nt++].name, names[i], NAME_BYTES);
	for (size_t i = 0; r == FW_OK && i < n; i++)
		if (!in_list(known_order, names[i]))
			memcpy(c->t[c->nt++].name, names[i], NAME_BYTES);
	return r;
}

static enum fw_err source_columns(struct copy *c, struct table *t)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	enum fw_err r;
	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", t->name);
	if ((r = sq_prepare(c, sql, &st)) != FW_OK)
		return r;
	while (r == FW_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		if (!name || !plain_name(name) || t->ncol == MAX_COLS)
			r = fw_err_set(FW_ERR_UNSUPPORTED, "table %s has a column this copy cannot handle", t->name);
		else
			snprintf(t->col[t->ncol++], NAME_BYTES, "%s", name);
	}
	sqlite3_finalize(st);
	return r;
}

/* --- PostgreSQL: the target ------------------------------------------- */
static const char sql_pg_has_column[] = "SELECT 1 FROM information_schema.columns"
					" WHERE table_schema = current_schema() AND table_name = $1"
					" AND column_name = $2";

/* Every source column must have its place in the target: nothing is lost. */
static enum fw_err target_has_columns(struct copy *c, const struct table *t)
{
	for (size_t i = 0; i < t->ncol; i++) {
		struct pg_params p;
		PGresult *res = NULL;
		enum fw_err r;
		pg_params_init(&p, "copy");
		pg_text(&p, 1, t->name);
		pg_text(&p, 2, t->col[i]);
		if ((r = fw_store_pg_exec(c->pg, sql_pg_has_column, &p, &res)) != FW_OK)
			return r;
		int rows = PQntuples(res);
		PQclear(res);
		if (rows != 1)
			return fw_err_set(FW_ERR_STATE, "column %s.%s has no place in the target database", t->name,
					  t->col[i]);
	}
	return FW_OK;
}

static enum fw_err pg_count(struct pg_conn *pg, const char *table, uint64_t *n)
{
	char sql[128];
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
	pg_params_init(&p, "copy");
	if ((r = fw_store_pg_exec_once(pg, sql, &p, &res)) != FW_OK)
		return r;
	r = PQntuples(res) == 1 ? pg_col_u64(res, 0, 0, n) : FW_ERR_INTERNAL;
	PQclear(res);
	return r;
}

static enum fw_err pg_run(struct pg_conn *pg, const char *sql)
{
	struct pg_params p;
	pg_params_init(&p, "copy");
	return fw_store_pg_exec_once(pg, sql, &p, NULL);
}

/* The target holds no program: only what its migrations seeded. Those
 * seeded rows are removed (children first) to be replaced by the source's. */
static enum fw_err target_prepare(struct copy *c)
{
	enum fw_err r;
	for (size_t i = 0; i < c->nt; i++) {
		uint64_t n = 0;
		if ((r = target_has_columns(c, &c->t[i])) != FW_OK || (r = pg_count(c->pg, c->t[i].name, &n)) != FW_OK)
			return r;
		if (n && !in_list(seeded, c->t[i].name))
			return fw_err_set(FW_ERR_STATE,
					  "the target database already holds a program (table %s has %llu rows): "
					  "copy into a new, empty database",
					  c->t[i].name, (unsigned long long)n);
	}
	for (size_t i = c->nt; i-- > 0;) {
		char sql[128];
		if (!in_list(seeded, c->t[i].name))
			continue;
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\"", c->t[i].name);
		if ((r = pg_run(c->pg, sql)) != FW_OK)
			return r;
	}
	return FW_OK;
}

/* --- streaming one table ------------------------------------------------ */
/* One value in COPY's text format. */
static enum fw_err put_value(struct fw_buf *b, sqlite3_stmt *st, int i)
{
	static const char hex[] = "0123456789abcdef";
	char num[32];
	enum fw_err r = FW_OK;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: return fw_buf_puts(b, "\\N");
	case SQLITE_INTEGER:
		snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(st, i));
		return fw_buf_puts(b, num);
	case SQLITE_FLOAT:
		snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, i));
		return fw_buf_puts(b, num);
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);
		r = fw_buf_puts(b, "\\\\x"); /* bytea's \x, its backslash escaped for COPY */
		for (int k = 0; k < n && r == FW_OK; k++) {
			char h[2] = {hex[p[k] >> 4], hex[p[k] & 15]};
			r = fw_buf_append(b, h, 2);
		}
		return r;
	}
	default: break;
	}
	const char *s = (const char *)sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	for (int k = 0; k < n && r == FW_OK; k++) {
		const char *esc = NULL;
		switch (s[k]) {
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: break;
		}
		r = esc ? fw_buf_puts(b, esc) : fw_buf_append(b, s + k, 1);
	}
	return r;
}

static enum fw_err send_chunk(struct copy *c, struct fw_buf *b)
{
	for (size_t off = 0; off < b->len;) {
		size_t k = b->len - off < 64 * COPY_CHUNK ? b->len - off : 64 * COPY_CHUNK;
		if (PQputCopyData(c->pg->pg, (const char *)b->data + off, (int)k) != 1)
			return fw_store_pg_error(c->pg, NULL, "copy");
		off += k;
	}
	c->rep->bytes += b->len;
	fw_buf_reset(b);
	return FW_OK;
}

/* "c1", "c2", … into out. */
static void column_list(const struct table *t, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < t->ncol && k < cap; i++)
		k += (size_t)snprintf(out + k, cap - k, "%s\"%s\"", i ? ", " : "", t->col[i]);
}

/* Rows in the order they were written where the table has one (so that
 * the target's identity columns, e.g. tokens.seq, number them alike). */
static enum fw_err open_rows(struct copy *c, const struct table *t, const char *cols, sqlite3_stmt **st)
{
	char sql[MAX_COLS * (NAME_BYTES + 4) + 160];
	snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\" ORDER BY rowid", cols, t->name);
	if (sqlite3_prepare_v2(c->sq->db, sql, -1, st, NULL) == SQLITE_OK)
		return FW_OK;
	snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\"", cols, t->name); /* WITHOUT ROWID */
	return sq_prepare(c, sql, st);
}

static enum fw_err finish_copy(struct copy *c, enum fw_err r)
{
	if (PQputCopyEnd(c->pg->pg, r == FW_OK ? NULL : "the copy was abandoned") != 1 && r == FW_OK)
		r = fw_store_pg_error(c->pg, NULL, "copy");
	PGresult *res;
	while ((res = PQgetResult(c->pg->pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && r == FW_OK)
			r = fw_store_pg_error(c->pg, res, "copy");
		PQclear(res);
	}
	return r;
}

static enum fw_err copy_table(struct copy *c, const struct table *t)
{
	char cols[MAX_COLS * (NAME_BYTES + 4)], sql[sizeof cols + 128];
	sqlite3_stmt *st = NULL;
	struct fw_buf b;
	uint64_t total = 0, done = 0;
	enum fw_err r;

	column_list(t, cols, sizeof cols);
	if ((r = sq_count(c, t->name, &total)) != FW_OK || (r = open_rows(c, t, cols, &st)) != FW_OK)
		return r;
	snprintf(sql, sizeof sql, "COPY \"%s\" (%s) FROM STDIN", t->name, cols);
	PGresult *res = PQexec(c->pg->pg, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = fw_store_pg_error(c->pg, res, "copy");
		PQclear(res);
		sqlite3_finalize(st);
		return r;
	}
	PQclear(res);
	fw_buf_init(&b, COPY_BUF_MAX);
	int rc;
	while (r == FW_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t i = 0; i < t->ncol && r == FW_OK; i++) {
			if (i)
				r = fw_buf_append(&b, "\t", 1);
			if (r == FW_OK)
				r = put_value(&b, st, (int)i);
		}
		if (r == FW_OK)
			r = fw_buf_append(&b, "\n", 1);
		if (r == FW_OK && b.len >= COPY_CHUNK)
			r = send_chunk(c, &b);
		if (++done % PROGRESS_EVERY == 0 && c->fn)
			c->fn(c->ctx, t->name, done, total);
	}
	if (r == FW_OK && rc != SQLITE_DONE)
		r = fw_store_sq_error(c->sq, rc, "copy");
	if (r == FW_OK)
		r = send_chunk(c, &b);
	r = finish_copy(c, r);
	if (r == FW_OK && c->fn)
		c->fn(c->ctx, t->name, done, total);
	fw_buf_cleanup(&b);
	sqlite3_finalize(st);
	return r;
}

/* --- identities, counts, the whole copy ---------------------------------- */
static const char sql_pg_identities[] = "SELECT table_name::text, column_name::text FROM information_schema.columns"
					" WHERE table_schema = current_schema() AND is_identity = 'YES'"
					" ORDER BY 1, 2 LIMIT 100";

/* Ids were copied as they were: each identity column's sequence continues
 * after the highest, so that new rows never reuse an id. */
static enum fw_err reset_identities(struct copy *c)
{
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;
	pg_params_init(&p, "copy");
	if ((r = fw_store_pg_exec(c->pg, sql_pg_identities, &p, &res)) != FW_OK)
		return r;
	for (int i = 0; i < PQntuples(res) && r == FW_OK; i++) {
		char table[NAME_BYTES], col[NAME_BYTES], quoted[NAME_BYTES + 2], sql[384];
		if ((r = pg_col_text(res, i, 0, table)) != FW_OK || (r = pg_col_text(res, i, 1, col)) != FW_OK)
			break;
		if (!plain_name(table) || !plain_name(col)) {
			r = fw_err_set(FW_ERR_UNSUPPORTED, "identity column with an unusual name");
			break;
		}
		snprintf(quoted, sizeof quoted, "\"%s\"", table);
		snprintf(sql, sizeof sql,
			 "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(\"%s\"), 0) + 1, false) FROM \"%s\"",
			 col, table);
		struct pg_params q;
		pg_params_init(&q, "copy");
		pg_text(&q, 1, quoted);
		pg_text(&q, 2, col);
		r = fw_store_pg_exec_once(c->pg, sql, &q, NULL);
	}
	PQclear(res);
	return r;
}

static enum fw_err copy_all(struct copy *c)
{
	enum fw_err r;
	if ((r = source_tables(c)) != FW_OK)
		return r;
	for (size_t i = 0; i < c->nt; i++)
		if ((r = source_columns(c, &c->t[i])) != FW_OK)
			return r;
	if ((r = fw_store_pg_begin(c->pg)) != FW_OK)
		return r;
	if ((r = target_prepare(c)) != FW_OK)
		goto out;
	for (size_t i = 0; i < c->nt; i++)
		if ((r = copy_table(c, &c->t[i])) != FW_OK)
			goto out;
	if ((r = reset_identities(c)) != FW_OK)
		goto out;
	r = fw_store_pg_commit(c->pg);
out:
	fw_store_pg_rollback(c->pg);
	return r;
}

/* Counts each table on both sides; the source still in its snapshot. */
static enum fw_err verify_counts(struct copy *c)
{
	enum fw_err r = FW_OK;
	c->rep->ntables = 0;
	for (size_t i = 0; i < c->nt && r == FW_OK; i++) {
		struct fw_store_copy_table *t = &c->rep->table[c->rep->ntables++];
		snprintf(t->name, sizeof t->name, "%s", c->t[i].name);
		if ((r = sq_count(c, t->name, &t->rows_from)) != FW_OK || (r = pg_count(c->pg, t->name, &t->rows_to)) != FW_OK)
			break;
		if (t->rows_from != t->rows_to)
			r = fw_err_set(FW_ERR_STATE, "table %s: %llu rows in the source, %llu in the target", t->name,
				       (unsigned long long)t->rows_from, (unsigned long long)t->rows_to);
	}
	return r;
}

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

enum fw_err fw_store_copy_database(const char *from_url, const char *to_url, fw_store_copy_progress_fn fn,
				   void *ctx, struct fw_store_copy_report *rep)
{
	struct copy c = {.fn = fn, .ctx = ctx, .rep = rep};
	enum fw_err r;
	memset(rep, 0, sizeof *rep);
	if (!from_url || !has_prefix(from_url, "sqlite:") || !from_url[7])
		return fw_err_set(FW_ERR_INVALID, "--from must be sqlite:PATH");
	if (!to_url || !(has_prefix(to_url, "postgresql://") || has_prefix(to_url, "postgres://")))
		return fw_err_set(FW_ERR_INVALID, "--to must be a postgresql:// URL");
	/* Opening migrates both to this program's newest schema. */
	if ((r = fw_store_sqlite_open(from_url + 7, &c.from)) != FW_OK ||
	    (r = fw_store_pg_open(to_url, &c.to)) != FW_OK)
		goto out;
	if ((r = fw_store_sq_acquire(c.from, &c.sq)) != FW_OK || (r = fw_store_pg_acquire(c.to, &c.pg)) != FW_OK)
		goto out;
	sqlite3_stmt *st = NULL;
	if ((r = sq_prepare(&c, "BEGIN", &st)) != FW_OK) /* one snapshot of the source */
		goto out;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		r = fw_store_sq_error(c.sq, rc, "copy");
		goto out;
	}
	if ((r = copy_all(&c)) != FW_OK)
		goto out;
	r = verify_counts(&c);
out:
	if (c.sq)
		fw_store_sq_release(c.from, c.sq); /* ends the read transaction */
	if (c.pg)
		fw_store_pg_release(c.to, c.pg);
	fw_store_close(c.from);
	fw_store_close(c.to);
	return r;
}
