/* forewarn: the command-line client of forewarnd. Global options, the token,
 * the table of commands and the top-level help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "crypto/crypto.h"

static const struct fw_cli_cmd commands[] = {
	{"member", fw_cli_cmd_member, "add, list, show, update, suspend, reinstate or expel members"},
	{"token", fw_cli_cmd_token, "create, list or revoke API tokens"},
	{"advisory", fw_cli_cmd_advisory, "create, list, show, update, schedule or expedite advisories"},
	{"artifact", fw_cli_cmd_artifact, "add or list the artifacts of an advisory"},
	{"plan", fw_cli_cmd_plan, "who gets which artifact of an advisory when, and why"},
	{"deliveries", fw_cli_cmd_deliveries, "list the sealed copies delivered"},
	{"trace", fw_cli_cmd_trace, "name the member(s) a leaked copy came from"},
	{"policy", fw_cli_cmd_policy, "show, check, diff, apply or explain the release policy"},
	{"fetch", fw_cli_cmd_fetch, "member: download, verify and decrypt new copies"},
	{"ack", fw_cli_cmd_ack, "member: acknowledge a copy with a signed receipt"},
	{"clock", fw_cli_cmd_clock, "show or move the server's simulated clock"},
	{"whoami", fw_cli_cmd_whoami, "the role and member of the token in use"},
	{"program", fw_cli_cmd_program, "the program's public signing key and the server's URL"},
	{"log", fw_cli_cmd_log, "the transparency log: checkpoint, proof, verify, audit"},
	{"demo", fw_cli_cmd_demo, "the ToolShell story, narrated, on a simulated clock"},
	{"db", fw_cli_cmd_db, "operator, on the server's host: copy a program from SQLite to PostgreSQL"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void help(FILE *f)
{
	fprintf(f, "usage: forewarn [--url URL] [--token-file FILE] [--cacert FILE] [--json] COMMAND [options]\n"
		   "\n"
		   "The command-line client of forewarnd, the vulnerability early-warning server.\n"
		   "\n"
		   "global options (also accepted after the command):\n"
		   "  --url URL          the server (env FOREWARN_URL; default " FW_CLI_DEFAULT_URL ")\n"
		   "  --token-file FILE  read the API token from FILE (wins over FOREWARN_TOKEN,\n"
		   "                     then FOREWARN_TOKEN_FILE)\n"
		   "  --cacert FILE      trust the CA certificates in FILE for https\n"
		   "  --json             print the server's JSON instead of tables\n"
		   "  --help             this help; COMMAND --help for a command's\n"
		   "  --version          the client's version\n"
		   "\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nexit status: 0 success, 1 failure, 2 usage error\n");
}

/* The first line of text that is neither empty nor a comment, trimmed. */
static enum fw_err take_token(struct fw_cli *cli, const char *text, size_t n, const char *source)
{
	size_t i = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && text[end] != '\n')
			end++;
		size_t a = i, b = end;
		while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
			a++;
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
			b--;
		if (b > a && text[a] != '#') {
			if (b - a >= sizeof cli->token)
				return fw_err_set(FW_ERR_INVALID, "the token from %s is too long", source);
			for (size_t k = a; k < b; k++)
				if ((unsigned char)text[k] <= 0x20 || (unsigned char)text[k] >= 0x7f)
					return fw_err_set(FW_ERR_INVALID, "the token from %s is malformed", source);
			memcpy(cli->token, text + a, b - a);
			cli->token[b - a] = '\0';
			return FW_OK;
		}
		i = end + 1;
	}
	return fw_err_set(FW_ERR_INVALID, "%s holds no token", source);
}

static enum fw_err token_from_file(struct fw_cli *cli, const char *path, const char *what)
{
	struct fw_buf b;
	enum fw_err r;
	char source[512];
	snprintf(source, sizeof source, "%s %s", what, path);
	fw_buf_init(&b, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = fw_cli_file_read(path, FW_CLI_MAX_SMALL_FILE_BYTES, &b)) == FW_OK) {
		r = take_token(cli, fw_buf_str(&b), b.len, source);
	} else {
		char why[512];
		snprintf(why, sizeof why, "%s", fw_err_detail());
		r = fw_err_set(r, "%s (given by %s)", why, what);
	}
	fw_buf_cleanup_secret(&b);
	return r;
}

enum fw_err fw_cli_token(struct fw_cli *cli, const char **out)
{
	enum fw_err r = FW_OK;
	const char *env = getenv("FOREWARN_TOKEN");
	const char *env_file = getenv("FOREWARN_TOKEN_FILE");
	if (!cli->token_loaded) {
		fw_crypto_wipe(cli->token, sizeof cli->token);
		if (cli->token_file) {
			cli->token_source = "--token-file";
			r = token_from_file(cli, cli->token_file, "--token-file");
		} else if (env && *env) {
			cli->token_source = "FOREWARN_TOKEN";
			r = take_token(cli, env, strlen(env), "FOREWARN_TOKEN");
		} else if (env_file && *env_file) {
			cli->token_source = "FOREWARN_TOKEN_FILE";
			r = token_from_file(cli, env_file, "FOREWARN_TOKEN_FILE");
		}
		if (r != FW_OK) {
			fw_crypto_wipe(cli->token, sizeof cli->token);
			return r;
		}
		cli->token_loaded = true;
	}
	*out = cli->token;
	return FW_OK;
}

void fw_cli_wipe(struct fw_cli *cli)
{
	fw_crypto_wipe(cli->token, sizeof cli->token);
	cli->token_loaded = false;
}

static int global_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t len = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, len) != 0 || (a[len] != '\0' && a[len] != '='))
		return 0;
	if (a[len] == '=') {
		*out = a + len + 1;
	} else if (*i + 1 < argc) {
		*out = argv[++*i];
	} else {
		fw_cli_error("%s needs a value (see forewarn --help)", name);
		return -1;
	}
	return 1;
}

/* Parses the options before the command; returns the index of the command,
 * or -exit status - 1 when the run is over. */
static int parse_globals(struct fw_cli *cli, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
		const char *v = NULL;
		int k;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help(stdout);
			return -FW_CLI_EXIT_OK - 1;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("forewarn %s\n", FW_CLI_VERSION);
			return -FW_CLI_EXIT_OK - 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			cli->json = true;
		} else if ((k = global_value(argc, argv, &i, "--url", &v)) != 0) {
			if (k < 0)
				return -FW_CLI_EXIT_USAGE - 1;
			snprintf(cli->url_buf, sizeof cli->url_buf, "%s", v);
		} else if ((k = global_value(argc, argv, &i, "--token-file", &v)) != 0) {
			if (k < 0)
				return -FW_CLI_EXIT_USAGE - 1;
			cli->token_file = v;
		} else if ((k = global_value(argc, argv, &i, "--cacert", &v)) != 0) {
			if (k < 0)
				return -FW_CLI_EXIT_USAGE - 1;
			cli->cacert = v;
		} else {
			fw_cli_error("unknown option %s", argv[i]);
			fprintf(stderr, "Try 'forewarn --help'.\n");
			return -FW_CLI_EXIT_USAGE - 1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	static struct fw_cli cli;
	const char *env_url = getenv("FOREWARN_URL");
	int rc;

	snprintf(cli.url_buf, sizeof cli.url_buf, "%s", env_url && *env_url ? env_url : FW_CLI_DEFAULT_URL);
	int first = parse_globals(&cli, argc, argv);
	if (first < 0)
		return -first - 1;
	for (size_t n = strlen(cli.url_buf); n > 0 && cli.url_buf[n - 1] == '/'; n--)
		cli.url_buf[n - 1] = '\0';
	cli.url = cli.url_buf;
	if (first >= argc) {
		fw_cli_error("no command given");
		help(stderr);
		return FW_CLI_EXIT_USAGE;
	}
	if (fw_crypto_init() != FW_OK || fw_cli_http_init() != FW_OK) {
		fw_cli_error("cannot initialise the cryptography or HTTP libraries");
		return FW_CLI_EXIT_FAIL;
	}
	rc = fw_cli_dispatch(&cli, "forewarn", commands, NCOMMANDS, argc - first + 1, argv + first - 1);
	fw_cli_wipe(&cli);
	fw_cli_http_cleanup();
	return rc;
}
