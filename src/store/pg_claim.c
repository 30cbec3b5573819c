/* PostgreSQL backend: claiming due release work, so that several nodes on
 * one database seal disjoint copies (issue 6).
 *
 * A claim is a row of release_claims naming this node and an expiry on the
 * database's clock (nodes' clocks may differ, and tests run them on
 * simulated ones). Claiming is one statement, so one short transaction: the
 * due query locks the members' plan rows it picks FOR UPDATE SKIP LOCKED, so that
 * two nodes claiming at the same moment pick disjoint rows instead of
 * queueing behind each other; the INSERT … ON CONFLICT on the claim's key is
 * the arbiter for the rest (a row whose lock was released between the other
 * node's commit and this scan): it claims only what nobody holds, or what an
 * expired claim held. Sealing then runs outside any transaction. */
#include <sys/random.h>
#include <unistd.h>

#include "store/pg_int.h"

enum fw_err fw_store_pg_node_init(struct pg_store *q)
{
	uint8_t b[12];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return fw_err_set(FW_ERR_INTERNAL, "no randomness for the node id");
	size_t k = 0;
	k += (size_t)snprintf(q->node, sizeof q->node, "n%ld-", (long)getpid());
	for (size_t i = 0; i < sizeof b && k + 3 <= sizeof q->node; i++)
		k += (size_t)snprintf(q->node + k, sizeof q->node - k, "%02x", b[i]);
	return FW_OK;
}

#define DB_NOW "extract(epoch FROM clock_timestamp())::bigint"

/* The conditions of sql_due in pg_plan.c, with the claims of others
 * excluded, as one claiming statement. $1 now, $2 max, $3 node, $4 lease.
 * The rows locked are the members' plan rows: two nodes claiming at once
 * split the due work by member. */
static const char sql_claim[] =
	"WITH due AS ("
	"  SELECT x.member_id, r.advisory_id, r.kind, r.version, r.release_at, r.position"
	"  FROM (" PG_PLAN_RELEASED ") r"
	"  CROSS JOIN LATERAL (" PG_PLAN_DUE_MEMBERS
	"   AND NOT EXISTS (SELECT 1 FROM release_claims c"
	"    WHERE c.member_id = pm.member_id AND c.advisory_id = r.advisory_id"
	"     AND c.kind = r.kind AND c.version = r.version"
	"     AND c.node <> $3 AND c.expires_at > " DB_NOW ")"
	"   ORDER BY pm.member_id LIMIT $2"
	"   FOR UPDATE OF pm SKIP LOCKED) x"
	"  LIMIT $2),"
	" got AS ("
	"  INSERT INTO release_claims (member_id, advisory_id, kind, version, node, expires_at)"
	"  SELECT d.member_id, d.advisory_id, d.kind, d.version, $3::text, " DB_NOW " + $4::bigint FROM due d"
	"  ON CONFLICT (member_id, advisory_id, kind, version) DO UPDATE"
	"   SET node = EXCLUDED.node, expires_at = EXCLUDED.expires_at"
	"   WHERE release_claims.node = EXCLUDED.node OR release_claims.expires_at <= " DB_NOW
	"  RETURNING member_id, advisory_id, kind, version)"
	" SELECT d.member_id, d.advisory_id, d.kind, d.version, d.release_at, g.member_id IS NOT NULL"
	" FROM due d LEFT JOIN got g USING (member_id, advisory_id, kind, version)"
	" ORDER BY d.release_at, d.advisory_id, d.position, d.member_id";

static const char sql_unclaim[] = "DELETE FROM release_claims WHERE node = $1 OR expires_at <= " DB_NOW;

static const char sql_claim_wait[] = "SELECT (MIN(expires_at) - " DB_NOW ")::bigint"
				     " FROM release_claims WHERE node <> $1";

/* A due row and whether this statement claimed it. */
struct claim_row {
	struct fw_due d;
	bool claimed;
};

static enum fw_err claim_row(const PGresult *res, int row, void *out)
{
	struct claim_row *c = out;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, c->d.member_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, c->d.advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 2, &c->d.kind)) != FW_OK ||
	    (r = pg_col_int(res, row, 3, &c->d.version)) != FW_OK ||
	    (r = pg_col_i64(res, row, 4, &c->d.release_at)) != FW_OK ||
	    (r = pg_col_bool(res, row, 5, &c->claimed)) != FW_OK)
		return r;
	return FW_OK;
}

/* One claiming statement for up to max rows: appends what it claimed to
 * out[*n …] (room up to cap); *due gets how many rows were due. */
static enum fw_err claim_once(struct pg_store *q, struct pg_conn *c, int64_t now, size_t max, int lease_s,
			      struct fw_due *out, size_t *n, size_t cap, size_t *due)
{
	struct pg_params p;
	struct claim_row *rows = NULL;
	size_t nrows = 0;
	void *v = NULL;
	enum fw_err r;
	pg_params_init(&p, "release claim");
	pg_i64(&p, 1, now);
	pg_i64(&p, 2, (int64_t)max);
	pg_text(&p, 3, q->node);
	pg_i64(&p, 4, lease_s);
	if ((r = fw_store_pg_collect(c, sql_claim, &p, claim_row, sizeof *rows, &v, &nrows)) != FW_OK)
		return r;
	rows = v;
	for (size_t i = 0; i < nrows && *n < cap; i++)
		if (rows[i].claimed)
			out[(*n)++] = rows[i].d;
	*due = nrows;
	free(rows);
	return FW_OK;
}

/* Rows another node claimed after this statement's snapshot are found due
 * but not claimed (the ON CONFLICT arbiter): a new statement, with a new
 * snapshot, sees those claims and picks other rows. */
#define CLAIM_ATTEMPTS 4

enum fw_err fw_store_pg_due_claim(struct fw_store *s, int64_t now, size_t max, int lease_s, struct fw_due **out,
				  size_t *n)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pg_conn *c = NULL;
	struct fw_due *v = calloc(max, sizeof *v);
	size_t have = 0;
	enum fw_err r;
	if (!v)
		return FW_ERR_NOMEM;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		goto out;
	for (int attempt = 0; attempt < CLAIM_ATTEMPTS && have < max; attempt++) {
		size_t due = 0, want = max - have;
		if ((r = claim_once(q, c, now, want, lease_s, v, &have, max, &due)) != FW_OK)
			goto out;
		if (due < want)
			break; /* everything due was seen: nothing more to try */
	}
	if (have == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = have;
	v = NULL;
out:
	free(v);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_due_unclaim(struct fw_store *s)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "release claim");
	pg_text(&p, 1, q->node);
	r = fw_store_pg_command(c, sql_unclaim, &p, NULL);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_claim_wait(struct fw_store *s, int64_t *seconds)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	int64_t t = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "release claim");
	pg_text(&p, 1, q->node);
	if ((r = fw_store_pg_exec(c, sql_claim_wait, &p, &res)) != FW_OK)
		goto out;
	if (PQntuples(res) != 1) {
		r = FW_ERR_INTERNAL;
		goto out;
	}
	if (PQgetisnull(res, 0, 0)) { /* no claim of anyone else */
		*seconds = 0;
		goto out;
	}
	if ((r = pg_col_i64(res, 0, 0, &t)) != FW_OK)
		goto out;
	/* An expired claim waits for the next claim call to take it over. */
	*seconds = t < 0 ? 1 : t + 1;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}
