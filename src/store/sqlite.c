/* The SQLite backend: connections, the pool, statements, transactions, error
 * mapping and migrations. The SQL of each table group lives in
 * sqlite_people.c, sqlite_release.c and sqlite_delivery.c. */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "store/migrate.h"
#include "store/sqlite_int.h"

/* --- errors ------------------------------------------------------------- */
enum fw_err fw_store_sq_error(struct sq_conn *c, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return fw_err_set(FW_ERR_EXISTS, "%s already exists", what);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return fw_err_set(FW_ERR_INVALID, "%s refers to a record that does not exist", what);
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		/* The schema's CHECKs guard value domains (enum names, hash sizes),
		 * so a violation is bad input, not a failing database. */
		fw_log_warn("store", "%s: %s", what, sqlite3_errmsg(c->db));
		return fw_err_set(FW_ERR_INVALID, "%s has a value out of range", what);
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		fw_log_warn("store", "%s: database busy: %s", what, sqlite3_errmsg(c->db));
		return fw_err_set(FW_ERR_BUSY, "the database is busy");
	case SQLITE_NOMEM:
		return FW_ERR_NOMEM;
	default:
		fw_log_error("store", "%s: sqlite error %d: %s", what, rc, sqlite3_errmsg(c->db));
		return FW_ERR_STORE;
	}
}

/* --- statements --------------------------------------------------------- */
enum fw_err fw_store_sq_stmt(struct sq_conn *c, const char *sql, sqlite3_stmt **out)
{
	for (unsigned i = 0; i < c->nstmt; i++)
		if (c->stmt[i].sql == sql) {
			sqlite3_reset(c->stmt[i].st); /* its old error was reported already */
			sqlite3_clear_bindings(c->stmt[i].st);
			*out = c->stmt[i].st;
			return FW_OK;
		}
	if (c->nstmt == SQ_STMT_CACHE) {
		fw_log_error("store", "statement cache full (SQ_STMT_CACHE=%d)", SQ_STMT_CACHE);
		return FW_ERR_INTERNAL;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK)
		return fw_store_sq_error(c, rc, "prepare");
	c->stmt[c->nstmt].sql = sql;
	c->stmt[c->nstmt].st = st;
	c->nstmt++;
	*out = st;
	return FW_OK;
}

enum fw_err fw_store_sq_step(struct sq_conn *c, sqlite3_stmt *st, bool *row, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*row = rc == SQLITE_ROW;
		return FW_OK;
	}
	enum fw_err r = fw_store_sq_error(c, rc, what);
	sqlite3_reset(st);
	return r;
}

enum fw_err fw_store_sq_exec(struct sq_conn *c, sqlite3_stmt *st, const char *what)
{
	enum fw_err r;
	bool row = true;
	while (row)
		if ((r = fw_store_sq_step(c, st, &row, what)) != FW_OK)
			return r;
	sqlite3_reset(st);
	return FW_OK;
}

enum fw_err fw_store_sq_one(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn fn, void *out,
			    const char *what)
{
	enum fw_err r;
	bool row = false;
	if ((r = fw_store_sq_step(c, st, &row, what)) != FW_OK)
		return r;
	r = row ? fn(st, out) : FW_ERR_NOT_FOUND;
	sqlite3_reset(st);
	return r;
}

enum fw_err fw_store_sq_collect(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn fn, size_t size,
				void **out, size_t *n, const char *what)
{
	struct sq_rows rs = {.size = size};
	enum fw_err r;
	bool row = false;
	void *slot;
	for (;;) {
		if ((r = fw_store_sq_step(c, st, &row, what)) != FW_OK)
			goto out;
		if (!row)
			break;
		if ((r = sq_rows_add(&rs, &slot)) != FW_OK || (r = fn(st, slot)) != FW_OK)
			goto out;
	}
	*out = rs.v;
	*n = rs.n;
	rs.v = NULL;
out:
	sqlite3_reset(st);
	free(rs.v);
	return r;
}

static enum fw_err run(struct sq_conn *c, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		return r;
	return fw_store_sq_exec(c, st, what);
}

enum fw_err fw_store_sq_begin(struct sq_conn *c) { return run(c, "BEGIN IMMEDIATE", "begin"); }

enum fw_err fw_store_sq_commit(struct sq_conn *c)
{
	enum fw_err r = run(c, "COMMIT", "commit");
	if (r != FW_OK)
		fw_store_sq_rollback(c);
	return r;
}

void fw_store_sq_rollback(struct sq_conn *c)
{
	/* Nothing to undo when SQLite already rolled back on its own (some
	 * errors, e.g. SQLITE_FULL, end the transaction). */
	if (sqlite3_get_autocommit(c->db))
		return;
	if (run(c, "ROLLBACK", "rollback") != FW_OK)
		fw_log_error("store", "rollback failed");
}

/* --- connections -------------------------------------------------------- */
static void conn_close(struct sq_conn *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nstmt; i++)
		sqlite3_finalize(c->stmt[i].st);
	if (sqlite3_close(c->db) != SQLITE_OK)
		fw_log_error("store", "closing the database: %s", sqlite3_errmsg(c->db));
	free(c);
}

/* A PRAGMA that answers one value, compared with the one wanted: a build of
 * SQLite without WAL or foreign keys ignores the setting silently. */
static enum fw_err pragma_expect(struct sq_conn *c, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	enum fw_err r = FW_OK;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = fw_store_sq_error(c, rc, sql);
		goto out;
	}
	const char *got = (const char *)sqlite3_column_text(st, 0);
	if (!got || strcmp(got, want) != 0) {
		fw_log_error("store", "%s gave \"%s\", not \"%s\"", sql, got ? got : "", want);
		r = FW_ERR_STORE;
	}
out:
	sqlite3_finalize(st);
	return r;
}

/* Durability: synchronous=FULL, not NORMAL. In WAL mode NORMAL keeps the
 * database consistent but may lose the last commits on power loss or an OS
 * crash. A delivery row, once committed, may already have been announced
 * (webhook, transparency-log checkpoint handed to a witness, a member's
 * download): losing it would fork the log and re-seal a second, different
 * copy of the same artifact version. Deliveries and policy changes are rare,
 * so one WAL fsync per commit costs little. */
static const char conn_setup[] = "PRAGMA foreign_keys = ON;"
				 "PRAGMA synchronous = FULL;"
				 "PRAGMA trusted_schema = OFF;";

static enum fw_err conn_open(const char *path, struct sq_conn **out)
{
	enum fw_err r = FW_OK;
	struct sq_conn *c = calloc(1, sizeof *c);
	if (!c)
		return FW_ERR_NOMEM;
	/* NOMUTEX: the pool lends a connection to one thread at a time. */
	int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		fw_log_error("store", "opening %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
		r = c->db ? FW_ERR_STORE : FW_ERR_NOMEM;
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, FW_STORE_BUSY_TIMEOUT_MS);
	char *msg = NULL;
	if ((rc = sqlite3_exec(c->db, conn_setup, NULL, NULL, &msg)) != SQLITE_OK) {
		fw_log_error("store", "configuring %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		r = fw_store_sq_error(c, rc, "configure");
		goto out;
	}
	/* WAL: readers (HTTP) never wait for the writer (scheduler). The mode
	 * is stored in the file, so setting it again is a no-op. */
	/* Switching a new file to WAL needs a moment of exclusive access, and
	 * SQLite answers BUSY at once (without its busy handler) while another
	 * process or thread opens the same new file: retry within the timeout. */
	for (int waited = 0;; waited += 10) {
		r = pragma_expect(c, "PRAGMA journal_mode = WAL", "wal");
		if (r != FW_ERR_BUSY || waited >= FW_STORE_BUSY_TIMEOUT_MS)
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (r != FW_OK)
		goto out;
	if ((r = pragma_expect(c, "PRAGMA foreign_keys", "1")) != FW_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	if (c && c->db)
		sqlite3_close(c->db);
	if (c)
		free(c);
	return r;
}

/* --- the pool ----------------------------------------------------------- */
enum fw_err fw_store_sq_acquire(struct fw_store *s, struct sq_conn **out)
{
	struct sq_store *q = (struct sq_store *)s;
	struct sq_conn *c = NULL;
	enum fw_err r;

	pthread_mutex_lock(&q->mu);
	while (!q->idle && q->nconn >= FW_STORE_POOL_SIZE)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->idle) {
		c = q->idle;
		q->idle = c->next;
		pthread_mutex_unlock(&q->mu);
		*out = c;
		return FW_OK;
	}
	q->nconn++; /* reserve the slot, then open without holding the lock */
	pthread_mutex_unlock(&q->mu);

	if ((r = conn_open(q->path, &c)) != FW_OK) {
		pthread_mutex_lock(&q->mu);
		q->nconn--;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		return r;
	}
	*out = c;
	return FW_OK;
}

void fw_store_sq_release(struct fw_store *s, struct sq_conn *c)
{
	struct sq_store *q = (struct sq_store *)s;
	if (!c)
		return;
	for (unsigned i = 0; i < c->nstmt; i++)
		if (sqlite3_stmt_busy(c->stmt[i].st))
			sqlite3_reset(c->stmt[i].st);
	if (!sqlite3_get_autocommit(c->db)) {
		fw_log_error("store", "a transaction was left open; rolling back");
		fw_store_sq_rollback(c);
	}
	pthread_mutex_lock(&q->mu);
	c->next = q->idle;
	q->idle = c;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* --- migrations --------------------------------------------------------- */
static const char sql_mig_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				    " version INTEGER PRIMARY KEY,"
				    " name TEXT NOT NULL,"
				    " applied_at INTEGER NOT NULL)";
static const char sql_mig_max[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char sql_mig_has[] = "SELECT 1 FROM schema_migrations WHERE version = ?1";
static const char sql_mig_add[] = "INSERT INTO schema_migrations (version, name, applied_at)"
				  " VALUES (?1, ?2, ?3)";

static enum fw_err applied_max(struct sq_conn *c, int *out)
{
	sqlite3_stmt *st;
	bool row = false;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_mig_max, &st)) != FW_OK)
		return r;
	if ((r = fw_store_sq_step(c, st, &row, "schema_migrations")) != FW_OK)
		return r;
	if (!row)
		return FW_ERR_INTERNAL;
	r = sq_col_int(st, 0, out);
	sqlite3_reset(st);
	return r;
}

static enum fw_err is_applied(struct sq_conn *c, int version, bool *out)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_mig_has, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "schema_migrations");
	sq_i64(&b, 1, version);
	if (b.r != FW_OK)
		return b.r;
	r = fw_store_sq_step(c, st, out, "schema_migrations");
	sqlite3_reset(st);
	return r;
}

/* Applies one migration unless it is there already. The check and the
 * change share one IMMEDIATE transaction, so of two processes opening a new
 * database at once, the second waits and then finds the work done. */
static enum fw_err migrate_one(struct sq_conn *c, const struct fw_migration *m, int newest)
{
	enum fw_err r;
	bool done = false;
	int max = 0;
	char *msg = NULL;
	sqlite3_stmt *st;

	if ((r = fw_store_sq_begin(c)) != FW_OK)
		return r;
	int rc = sqlite3_exec(c->db, sql_mig_table, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		r = fw_store_sq_error(c, rc, "schema_migrations");
		goto out;
	}
	if ((r = applied_max(c, &max)) != FW_OK || (r = is_applied(c, m->version, &done)) != FW_OK)
		goto out;
	if (max > newest) {
		/* An older program must not write to a schema it does not know. */
		fw_log_error("store", "database schema %d is newer than this program's %d", max, newest);
		r = fw_err_set(FW_ERR_STATE, "the database was created by a newer forewarn");
		goto out;
	}
	if (done)
		goto out;
	if ((rc = sqlite3_exec(c->db, m->sql, NULL, NULL, &msg)) != SQLITE_OK) {
		fw_log_error("store", "migration %04d_%s failed: %s", m->version, m->name, msg ? msg : "?");
		r = FW_ERR_STORE;
		goto out;
	}
	if ((r = fw_store_sq_stmt(c, sql_mig_add, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "schema_migrations");
	sq_i64(&b, 1, m->version);
	sq_text(&b, 2, m->name);
	/* The wall clock, not fw_clock: this records when the file changed. */
	sq_i64(&b, 3, (int64_t)time(NULL));
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "schema_migrations")) != FW_OK)
		goto out;
	fw_log_info("store", "applied migration %04d_%s", m->version, m->name);
out:
	sqlite3_free(msg);
	if (r == FW_OK)
		return fw_store_sq_commit(c);
	fw_store_sq_rollback(c);
	return r;
}

static enum fw_err migrate(struct sq_conn *c, int *version)
{
	enum fw_err r;
	int newest = 0;
	if (fw_migrations_sqlite_count == 0) {
		*version = 0;
		return FW_OK;
	}
	for (unsigned i = 0; i < fw_migrations_sqlite_count; i++) {
		/* cmake sorts the files; a gap in order would apply them wrongly. */
		if (fw_migrations_sqlite[i].version <= newest) {
			fw_log_error("store", "migration %d is out of order", fw_migrations_sqlite[i].version);
			return FW_ERR_INTERNAL;
		}
		newest = fw_migrations_sqlite[i].version;
	}
	for (unsigned i = 0; i < fw_migrations_sqlite_count; i++)
		if ((r = migrate_one(c, &fw_migrations_sqlite[i], newest)) != FW_OK)
			return r;
	return applied_max(c, version);
}

/* --- open and close ----------------------------------------------------- */
static void sqlite_close(struct fw_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	pthread_mutex_lock(&q->mu);
	unsigned closed = 0;
	while (q->idle) {
		struct sq_conn *c = q->idle;
		q->idle = c->next;
		conn_close(c);
		closed++;
	}
	if (closed != q->nconn)
		fw_log_error("store", "closing with %u connections still lent", q->nconn - closed);
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->path);
	free(q);
}

static int sqlite_schema_version(struct fw_store *s) { return ((struct sq_store *)s)->schema_version; }

static const struct fw_store_ops sqlite_ops = {
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.member_create = fw_store_sqlite_member_create,
	.member_get = fw_store_sqlite_member_get,
	.member_update = fw_store_sqlite_member_update,
	.member_list = fw_store_sqlite_member_list,
	.member_set_status = fw_store_sqlite_member_set_status,
	.token_create = fw_store_sqlite_token_create,
	.token_find = fw_store_sqlite_token_find,
	.token_get = fw_store_sqlite_token_get,
	.token_list = fw_store_sqlite_token_list,
	.token_revoke = fw_store_sqlite_token_revoke,
	.token_revoke_member = fw_store_sqlite_token_revoke_member,
	.token_touch = fw_store_sqlite_token_touch,
	.advisory_create = fw_store_sqlite_advisory_create,
	.advisory_get = fw_store_sqlite_advisory_get,
	.advisory_update = fw_store_sqlite_advisory_update,
	.advisory_list = fw_store_sqlite_advisory_list,
	.artifact_add = fw_store_sqlite_artifact_add,
	.artifact_get = fw_store_sqlite_artifact_get,
	.artifact_list = fw_store_sqlite_artifact_list,
	.policy_add = fw_store_sqlite_policy_add,
	.policy_get = fw_store_sqlite_policy_get,
	.policy_list = fw_store_sqlite_policy_list,
	.plan_write = fw_store_sqlite_plan_write,
	.plan_current = fw_store_sqlite_plan_current,
	.plan_list = fw_store_sqlite_plan_list,
	.due_list = fw_store_sqlite_due_list,
	.next_wakeup = fw_store_sqlite_next_wakeup,
	.advisory_publish_due = fw_store_sqlite_advisory_publish_due,
	.delivery_insert_many = fw_store_sqlite_delivery_insert_many,
	.delivery_get = fw_store_sqlite_delivery_get,
	.delivery_list = fw_store_sqlite_delivery_list,
	.delivery_content = fw_store_sqlite_delivery_content,
	.delivery_read_add = fw_store_sqlite_delivery_read_add,
	.delivery_read_list = fw_store_sqlite_delivery_read_list,
	.ack_add = fw_store_sqlite_ack_add,
	.ack_get = fw_store_sqlite_ack_get,
	.ack_times = fw_store_sqlite_ack_times,
	.log_append_many = fw_store_sqlite_log_append_many,
	.log_state = fw_store_sqlite_log_state,
	.log_leaves = fw_store_sqlite_log_leaves,
	.log_entries = fw_store_sqlite_log_entries,
	.log_delivery_entry = fw_store_sqlite_log_delivery_entry,
	.log_node_get = fw_store_sqlite_log_node_get,
	.log_integrate = fw_store_sqlite_log_integrate,
	.log_checkpoint_get = fw_store_sqlite_log_checkpoint_get,
	.log_cosig_add = fw_store_sqlite_log_cosig_add,
	.log_cosig_list = fw_store_sqlite_log_cosig_list,
	.mark_add = fw_store_sqlite_mark_add,
	.mark_get = fw_store_sqlite_mark_get,
	.mark_recipients = fw_store_sqlite_mark_recipients,
	.trace_add = fw_store_sqlite_trace_add,
	.trace_count = fw_store_sqlite_trace_count,
};

/* The database holds embargoed material and token hashes: create it
 * readable by its owner only. SQLite gives the -wal and -shm files the mode
 * of the database file. */
static enum fw_err create_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		char why[128] = "?";
		if (strerror_r(errno, why, sizeof why) != 0)
			why[0] = '\0';
		fw_log_error("store", "cannot open database file %s: %s", path, why);
		return fw_err_set(FW_ERR_IO, "cannot open the database file %s: %s", path, why);
	}
	close(fd);
	return FW_OK;
}

enum fw_err fw_store_sqlite_open(const char *path, struct fw_store **out)
{
	enum fw_err r;
	struct sq_conn *c = NULL;
	struct sq_store *q = calloc(1, sizeof *q);

	if (!q)
		return FW_ERR_NOMEM;
	q->base.ops = &sqlite_ops;
	if (!sqlite3_threadsafe()) {
		free(q);
		fw_log_error("store", "this SQLite library was built without thread support");
		return FW_ERR_UNSUPPORTED;
	}
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q);
		return FW_ERR_NOMEM;
	}
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		return FW_ERR_NOMEM;
	}
	/* From here sqlite_close cleans up everything. */
	if (!(q->path = strdup(path))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	if ((r = create_private(path)) != FW_OK)
		goto out;
	if ((r = fw_store_sq_acquire(&q->base, &c)) != FW_OK)
		goto out;
	r = migrate(c, &q->schema_version);
	fw_store_sq_release(&q->base, c);
out:
	if (r != FW_OK) {
		sqlite_close(&q->base);
		return r;
	}
	*out = &q->base;
	return FW_OK;
}
