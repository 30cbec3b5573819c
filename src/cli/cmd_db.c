/* forewarn db copy: moving a program between databases.
 *
 * Unlike every other command this needs the databases themselves, not the
 * HTTP API: the work is done by the server's binary (`forewarnd db-copy`),
 * which this command runs in its place, so that the CLI keeps its rule of
 * sharing no code with the server beyond src/base. The server binary is
 * $FOREWARN_DAEMON, else forewarnd beside this program, else forewarnd on
 * the PATH. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define DB_MAX_ARGS 16

static void db_usage(FILE *f)
{
	fprintf(f, "usage: forewarn db copy --from sqlite:PATH --to postgresql://… [--quiet]\n"
		   "\n"
		   "Moves a whole program from SQLite to a new, empty PostgreSQL database and\n"
		   "verifies the copy (row counts of every table, the transparency log's state and\n"
		   "newest checkpoint). Stop forewarnd first; the keys stay in its data directory.\n"
		   "Runs `forewarnd db-copy` (from $FOREWARN_DAEMON, beside forewarn, or the PATH).\n");
}

/* forewarnd beside this program, when there is one. */
static bool beside_self(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if ((size_t)snprintf(out, cap, "%s/forewarnd", self) >= cap)
		return false;
	return access(out, X_OK) == 0;
}

static int db_copy(int argc, char **argv)
{
	char path[PATH_MAX];
	char *args[DB_MAX_ARGS + 3];
	const char *env = getenv("FOREWARN_DAEMON");
	if (argc - 1 > DB_MAX_ARGS) {
		db_usage(stderr);
		return FW_CLI_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			db_usage(stdout);
			return FW_CLI_EXIT_OK;
		}
	int k = 0;
	args[k++] = "forewarnd";
	args[k++] = "db-copy";
	for (int i = 1; i < argc; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	if (env && *env)
		execv(env, args);
	else if (beside_self(path, sizeof path))
		execv(path, args);
	else
		execvp("forewarnd", args);
	fprintf(stderr, "forewarn db copy: cannot run forewarnd (%s); set FOREWARN_DAEMON to its path\n",
		strerror(errno));
	return FW_CLI_EXIT_FAIL;
}

int fw_cli_cmd_db(struct fw_cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc >= 2 && strcmp(argv[1], "copy") == 0)
		return db_copy(argc - 1, argv + 1);
	db_usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
	return argc >= 2 && strcmp(argv[1], "--help") == 0 ? FW_CLI_EXIT_OK : FW_CLI_EXIT_USAGE;
}
