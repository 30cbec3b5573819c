/* forewarn clock show | advance | set, forewarn whoami, forewarn program */
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"

static const struct fw_cli_spec show_spec = {"clock show", "", 0, 0, NULL, "Prints the server's time."};
static const struct fw_cli_spec advance_spec = {
	"clock advance", "DURATION", 1, 1, NULL,
	"Moves the server's simulated clock forward (e.g. 9d, 12h30m); releases that\n"
	"fall due run at once. Only for a server started with --simulated-clock."};
static const struct fw_cli_spec set_spec = {
	"clock set", "TIME", 1, 1, NULL,
	"Sets the server's simulated clock to an RFC 3339 time (e.g. 2025-07-08T17:00:00Z).\n"
	"Only for a server started with --simulated-clock."};

/* GET (body NULL) or POST the clock and print it. */
static int clock_call(struct fw_cli *cli, const json_t *body)
{
	json_t *got = NULL;
	enum fw_err r;
	if (body)
		r = fw_cli_send_json(cli, "POST", "/api/v1/clock", body, &got);
	else
		r = fw_cli_get_json(cli, "/api/v1/clock", &got);
	if (r == FW_OK)
		fw_cli_show(cli, got);
	json_decref(got);
	int rc = fw_cli_finish(r);
	if (r == FW_ERR_STATE && body)
		fw_cli_error("hint: only a forewarnd started with --simulated-clock lets its clock be moved");
	return rc;
}

static int clock_show(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	int rc = fw_cli_args_parse(cli, &show_spec, argc, argv, &a);
	return rc != FW_CLI_CONTINUE ? rc : clock_call(cli, NULL);
}

static int clock_advance(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	int64_t secs;
	int rc = fw_cli_args_parse(cli, &advance_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (fw_duration_parse(a.pos[0], &secs) != FW_OK)
		return fw_cli_usage(&advance_spec, "\"%s\" is not a duration (e.g. 9d, 12h30m, 90s)", a.pos[0]);
	json_t *body = json_pack("{s:s}", "advance", a.pos[0]);
	if (!body)
		return fw_cli_finish(FW_ERR_NOMEM);
	rc = clock_call(cli, body);
	json_decref(body);
	return rc;
}

static int clock_set(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	char t[FW_TIME_BYTES];
	int rc = fw_cli_args_parse(cli, &set_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if (fw_cli_time_arg(a.pos[0], "set", t) != FW_OK)
		return fw_cli_usage(&set_spec, "\"%s\" is not an RFC 3339 time (e.g. 2025-07-08T17:00:00Z)", a.pos[0]);
	json_t *body = json_pack("{s:s}", "set", t);
	if (!body)
		return fw_cli_finish(FW_ERR_NOMEM);
	rc = clock_call(cli, body);
	json_decref(body);
	return rc;
}

static const struct fw_cli_cmd clock_cmds[] = {
	{"show", clock_show, "print the server's time"},
	{"advance", clock_advance, "move the simulated clock forward"},
	{"set", clock_set, "set the simulated clock"},
};

int fw_cli_cmd_clock(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn clock", clock_cmds, sizeof clock_cmds / sizeof clock_cmds[0], argc,
			       argv);
}

/* --- whoami, program -------------------------------------------------------- */

static const struct fw_cli_spec whoami_spec = {"whoami", "", 0, 0, NULL,
					       "Prints the role, member and id of the token in use."};
static const struct fw_cli_spec program_spec = {
	"program", "", 0, 0, NULL,
	"Prints the server's URL, the program's minisign public key (which signs every\n"
	"copy; `forewarn fetch` pins it) and the server's time. Needs no token."};

int fw_cli_cmd_whoami(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	json_t *got = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &whoami_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if ((r = fw_cli_get_json(cli, "/api/v1/whoami", &got)) == FW_OK)
		fw_cli_show(cli, got);
	json_decref(got);
	return fw_cli_finish(r);
}

int fw_cli_cmd_program(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	json_t *got = NULL, *info = NULL;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &program_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	if ((r = fw_cli_get_json_anon(cli, "/api/v1/program", &got)) != FW_OK)
		goto out;
	if (cli->json) {
		fw_cli_print_json(got);
		goto out;
	}
	const char *key = fw_cli_jstr(got, "minisign_public_key");
	if (!(info = json_pack("{s:s}", "url", cli->url)) || json_object_update(info, got) != 0) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	json_object_del(info, "minisign_public_key");
	fw_cli_print_object(info);
	if (key) {
		char text[1024];
		snprintf(text, sizeof text, "%s", key);
		fw_cli_sanitize(text, true);
		printf("\nminisign public key of the program:\n%s%s", text,
		       *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
	}
out:
	json_decref(info);
	json_decref(got);
	return fw_cli_finish(r);
}
