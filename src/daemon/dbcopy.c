/* forewarnd db-copy --from sqlite:PATH --to postgresql://…
 *
 * An operator's tool with direct access to both databases, so it lives in
 * the server's binary (the CLI, which otherwise speaks only HTTP, runs it:
 * `forewarn db copy`). The copy itself is fw_store_copy_database; this adds
 * progress, and verifies the result through the store interface: row
 * counts of every table, then the transparency log's state and newest
 * signed checkpoint (hence its root) read back from both databases. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "daemon/dbcopy.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: forewarnd db-copy --from sqlite:PATH --to postgresql://… [--quiet]\n"
		   "\n"
		   "Copies a whole program (members, tokens, advisories, artifacts, policy versions,\n"
		   "plans, deliveries and their reads, the transparency log) from SQLite into a new,\n"
		   "empty PostgreSQL database, in one transaction, and verifies the copy (rows of\n"
		   "every table, the log's state and newest checkpoint). Stop forewarnd first. Keys\n"
		   "stay in the data directory: afterwards run forewarnd --data DIR --db postgresql://…\n");
}

struct progress {
	bool quiet;
	double last;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(void *ctx, const char *table, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double now = mono();
	if (p->quiet || (done < total && now - p->last < 1.0))
		return;
	p->last = now;
	fprintf(stderr, "forewarnd db-copy: %-16s %10llu / %llu rows%s\n", table, (unsigned long long)done,
		(unsigned long long)total, done >= total ? " done" : "");
}

/* The log as both databases now hold it must be the same: state (sizes
 * and frontier) and the newest signed checkpoint, which names the root. */
static enum fw_err verify_log(const char *from, const char *to, uint64_t *size)
{
	struct fw_store *a = NULL, *b = NULL;
	struct fw_store_log_state sa, sb;
	struct fw_buf na, nb;
	uint64_t za = 0, zb = 0;
	enum fw_err r, ra, rb;
	fw_buf_init(&na, 1u << 20);
	fw_buf_init(&nb, 1u << 20);
	if ((r = fw_store_open(from, &a)) != FW_OK || (r = fw_store_open(to, &b)) != FW_OK ||
	    (r = fw_store_log_state(a, &sa)) != FW_OK || (r = fw_store_log_state(b, &sb)) != FW_OK)
		goto out;
	if (sa.sequenced != sb.sequenced || sa.integrated != sb.integrated || sa.frontier_len != sb.frontier_len ||
	    memcmp(sa.frontier, sb.frontier, sa.frontier_len) != 0) {
		r = fw_err_set(FW_ERR_STATE, "the log's state differs between the databases");
		goto out;
	}
	ra = fw_store_log_checkpoint_get(a, true, 0, &za, &na);
	rb = fw_store_log_checkpoint_get(b, true, 0, &zb, &nb);
	if (ra != rb || (ra == FW_OK && (za != zb || na.len != nb.len || memcmp(na.data, nb.data, na.len) != 0))) {
		r = fw_err_set(FW_ERR_STATE, "the log's newest checkpoint differs between the databases");
		goto out;
	}
	if (ra != FW_OK && ra != FW_ERR_NOT_FOUND) {
		r = ra;
		goto out;
	}
	fw_err_clear();
	*size = sa.integrated;
out:
	fw_buf_cleanup(&na);
	fw_buf_cleanup(&nb);
	fw_store_close(a);
	fw_store_close(b);
	return r;
}

int fwd_dbcopy_main(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	struct progress p = {0};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--quiet") == 0)
			p.quiet = true;
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!from || !to) {
		usage(stderr);
		return 2;
	}
	fw_log_set_level(FW_LOG_WARN);
	static struct fw_store_copy_report rep; /* large: not on the stack */
	double t0 = mono();
	enum fw_err r = fw_store_copy_database(from, to, progress, &p, &rep);
	for (size_t i = 0; i < rep.ntables; i++)
		printf("%-18s %10llu rows  %10llu rows  %s\n", rep.table[i].name,
		       (unsigned long long)rep.table[i].rows_from, (unsigned long long)rep.table[i].rows_to,
		       rep.table[i].rows_from == rep.table[i].rows_to ? "equal" : "DIFFERENT");
	if (r != FW_OK) {
		fprintf(stderr, "forewarnd db-copy: %s: %s\n", fw_strerror(r), fw_err_detail());
		return 1;
	}
	uint64_t size = 0;
	if ((r = verify_log(from, to, &size)) != FW_OK) {
		fprintf(stderr, "forewarnd db-copy: verification failed: %s\n", fw_err_detail());
		return 1;
	}
	printf("transparency log: %llu entries integrated; state and newest checkpoint (root) equal\n",
	       (unsigned long long)size);
	printf("copied %zu tables, %.1f MB, in %.1f s; verified. Start forewarnd with --db and the same --data.\n",
	       rep.ntables, (double)rep.bytes / 1e6, mono() - t0);
	return 0;
}
