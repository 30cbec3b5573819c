/* The option parser of every command, its help text and usage errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Options every command takes, whatever its place on the line. */
enum global_opt { G_NONE, G_URL, G_TOKEN_FILE, G_CACERT, G_JSON };

static enum global_opt global_of(const char *name, size_t len)
{
	static const struct {
		const char *name;
		enum global_opt g;
	} globals[] = {{"url", G_URL}, {"token-file", G_TOKEN_FILE}, {"cacert", G_CACERT}, {"json", G_JSON}};
	for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
		if (strlen(globals[i].name) == len && strncmp(globals[i].name, name, len) == 0)
			return globals[i].g;
	return G_NONE;
}

static void set_global(struct fw_cli *cli, enum global_opt g, const char *v)
{
	switch (g) {
	case G_URL:
		snprintf(cli->url_buf, sizeof cli->url_buf, "%s", v);
		for (size_t n = strlen(cli->url_buf); n > 0 && cli->url_buf[n - 1] == '/'; n--)
			cli->url_buf[n - 1] = '\0';
		cli->url = cli->url_buf;
		break;
	case G_TOKEN_FILE:
		cli->token_file = v;
		cli->token_loaded = false;
		break;
	case G_CACERT:
		cli->cacert = v;
		break;
	case G_JSON:
		cli->json = true;
		break;
	case G_NONE:
		break;
	}
}

static int find_opt(const struct fw_cli_spec *spec, const char *name, size_t len)
{
	for (int i = 0; spec->opts && spec->opts[i].name; i++)
		if (strlen(spec->opts[i].name) == len && strncmp(spec->opts[i].name, name, len) == 0)
			return i;
	return -1;
}

static int add_value(const struct fw_cli_spec *spec, struct fw_cli_args *out, int oi, const char *v)
{
	const struct fw_cli_opt *o = &spec->opts[oi];
	if (out->seen[oi] && !o->multi)
		return fw_cli_usage(spec, "--%s given more than once", o->name);
	if (out->nval >= FW_CLI_MAX_VALUES)
		return fw_cli_usage(spec, "too many options");
	out->seen[oi] = true;
	out->val_opt[out->nval] = oi;
	out->val[out->nval] = v;
	out->nval++;
	return FW_CLI_CONTINUE;
}

/* One "--name[=value]" at argv[*i]; advances *i past a separate value. */
static int parse_long(struct fw_cli *cli, const struct fw_cli_spec *spec, int argc, char **argv, int *i,
		      struct fw_cli_args *out)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int oi = find_opt(spec, name, len);
	enum global_opt g = oi < 0 ? global_of(name, len) : G_NONE;
	bool takes_value = oi >= 0 ? spec->opts[oi].meta != NULL : g != G_NONE && g != G_JSON;

	if (oi < 0 && g == G_NONE)
		return fw_cli_usage(spec, "unknown option --%.*s", (int)len, name);
	const char *v = NULL;
	if (takes_value) {
		if (eq) {
			v = eq + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			return fw_cli_usage(spec, "--%.*s needs a value", (int)len, name);
		}
	} else if (eq) {
		return fw_cli_usage(spec, "--%.*s takes no value", (int)len, name);
	}
	if (oi < 0) {
		set_global(cli, g, v);
		return FW_CLI_CONTINUE;
	}
	return add_value(spec, out, oi, v ? v : "");
}

static int check_complete(const struct fw_cli_spec *spec, const struct fw_cli_args *out)
{
	for (int i = 0; spec->opts && spec->opts[i].name; i++)
		if (spec->opts[i].required && !out->seen[i])
			return fw_cli_usage(spec, "--%s is required", spec->opts[i].name);
	if (out->npos < spec->min_pos)
		return fw_cli_usage(spec, "missing %s", spec->pos && *spec->pos ? spec->pos : "argument");
	return FW_CLI_CONTINUE;
}

int fw_cli_args_parse(struct fw_cli *cli, const struct fw_cli_spec *spec, int argc, char **argv,
		      struct fw_cli_args *out)
{
	memset(out, 0, sizeof *out);
	out->spec = spec;
	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = FW_CLI_CONTINUE;
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
		} else if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			fw_cli_help(spec);
			return FW_CLI_EXIT_OK;
		} else if (!only_pos && strncmp(a, "--", 2) == 0) {
			rc = parse_long(cli, spec, argc, argv, &i, out);
		} else if (out->npos >= spec->max_pos || out->npos >= FW_CLI_MAX_POS) {
			rc = fw_cli_usage(spec, "unexpected argument \"%s\"", a);
		} else {
			out->pos[out->npos++] = a;
		}
		if (rc != FW_CLI_CONTINUE)
			return rc;
	}
	return check_complete(spec, out);
}

const char *fw_cli_arg(const struct fw_cli_args *a, const char *name)
{
	const char *v = NULL;
	for (int i = 0; i < a->nval; i++)
		if (strcmp(a->spec->opts[a->val_opt[i]].name, name) == 0)
			v = a->val[i];
	return v;
}

bool fw_cli_flag(const struct fw_cli_args *a, const char *name)
{
	return fw_cli_arg(a, name) != NULL;
}

int fw_cli_arg_all(const struct fw_cli_args *a, const char *name, const char **out, int max)
{
	int n = 0;
	for (int i = 0; i < a->nval && n < max; i++)
		if (strcmp(a->spec->opts[a->val_opt[i]].name, name) == 0)
			out[n++] = a->val[i];
	return n;
}

static void synopsis(FILE *f, const struct fw_cli_spec *spec)
{
	fprintf(f, "usage: forewarn %s", spec->cmd);
	if (spec->pos && *spec->pos)
		fprintf(f, spec->min_pos > 0 ? " %s" : " [%s]", spec->pos);
	for (int i = 0; spec->opts && spec->opts[i].name; i++) {
		const struct fw_cli_opt *o = &spec->opts[i];
		fprintf(f, " %s--%s%s%s%s%s", o->required ? "" : "[", o->name, o->meta ? " " : "",
			o->meta ? o->meta : "", o->required ? "" : "]", o->multi ? "…" : "");
	}
	fputc('\n', f);
}

void fw_cli_help(const struct fw_cli_spec *spec)
{
	synopsis(stdout, spec);
	if (spec->about && *spec->about)
		printf("\n%s\n", spec->about);
	if (spec->opts && spec->opts[0].name) {
		printf("\noptions:\n");
		for (int i = 0; spec->opts[i].name; i++) {
			const struct fw_cli_opt *o = &spec->opts[i];
			char left[64];
			snprintf(left, sizeof left, "--%s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
			printf("  %-26s %s%s%s\n", left, o->help ? o->help : "", o->required ? " (required)" : "",
			       o->multi ? " (repeatable)" : "");
		}
	}
	printf("\nglobal options: --url URL, --token-file FILE, --cacert FILE, --json (see forewarn --help)\n");
}

int fw_cli_usage(const struct fw_cli_spec *spec, const char *fmt, ...)
{
	va_list ap;
	fputs("forewarn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (spec) {
		synopsis(stderr, spec);
		fprintf(stderr, "Try 'forewarn %s --help'.\n", spec->cmd);
	}
	return FW_CLI_EXIT_USAGE;
}

void fw_cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("forewarn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int fw_cli_finish(enum fw_err r)
{
	if (r == FW_OK)
		return FW_CLI_EXIT_OK;
	const char *d = fw_err_detail();
	fw_cli_error("%s", *d ? d : fw_strerror(r));
	return FW_CLI_EXIT_FAIL;
}

int fw_cli_dispatch(struct fw_cli *cli, const char *group, const struct fw_cli_cmd *cmds, size_t n,
		    int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	bool help = name && (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0);
	for (size_t i = 0; name && !help && i < n; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].run(cli, argc - 1, argv + 1);
	FILE *f = help ? stdout : stderr;
	if (name && !help)
		fprintf(stderr, "forewarn: unknown command \"%s\" (%s --help lists them)\n", name, group);
	else if (!name)
		fprintf(stderr, "forewarn: %s needs a command\n", group);
	fprintf(f, "usage: %s COMMAND [options]\n\ncommands:\n", group);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n", group);
	return help ? FW_CLI_EXIT_OK : FW_CLI_EXIT_USAGE;
}
