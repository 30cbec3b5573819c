#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/time.h"
#include "tlog/tlog.h"

/* LIST: text like STR; repeated in one source (flags, file) the values are
 * joined with ",", and a later source replaces the whole list. */
enum type { STR, NUM, SIZE, LIST };

struct opt {
	const char *name;
	enum type type;
	size_t off;
	size_t len; /* STR: buffer size */
	const char *def;
	long long min, max;
	const char *env;
	bool redact; /* may hold a password (database URLs) */
	const char *help;
};

#define S(f) offsetof(struct fwd_config, f), sizeof(((struct fwd_config *)0)->f)
#define N(f) offsetof(struct fwd_config, f), 0
#define MiB (1024LL * 1024)

static const struct opt opts[] = {
	{"data", STR, S(data), "var", 0, 0, "FOREWARN_DATA", false,
	 "directory for the database, keys and admin token (created on first start)"},
	{"listen", STR, S(listen), "127.0.0.1:8080", 0, 0, "FOREWARN_LISTEN", false,
	 "address and port to serve on (port 0 picks a free one)"},
	{"config", STR, S(config), "", 0, 0, "FOREWARN_CONFIG", false,
	 "a file of `name = value` lines with any of these options"},
	{"db", STR, S(db), "", 0, 0, "FOREWARN_DB", true,
	 "database URL: sqlite:PATH (default: sqlite:DATA/forewarn.db)"},
	{"simulated-clock", STR, S(simulated_clock), "", 0, 0, "FOREWARN_SIMULATED_CLOCK", false,
	 "tests and demos only: start a simulated clock at this RFC 3339 time"},
	{"log-level", STR, S(log_level), "info", 0, 0, "FOREWARN_LOG_LEVEL", false,
	 "debug, info, warn or error"},
	{"tls-cert", STR, S(tls_cert), "", 0, 0, "FOREWARN_TLS_CERT", false,
	 "PEM certificate file; with --tls-key serves HTTPS"},
	{"tls-key", STR, S(tls_key), "", 0, 0, "FOREWARN_TLS_KEY", false,
	 "PEM private key file (must not be readable by others)"},
	{"log-origin", STR, S(log_origin), "forewarn.local/log", 0, 0, "FOREWARN_LOG_ORIGIN", false,
	 "the transparency log's name (its checkpoints' origin), e.g. your program's domain + /log"},
	{"log-interval", NUM, N(log_interval), "1000", 10, 3600000, "FOREWARN_LOG_INTERVAL", false,
	 "milliseconds at most between checkpoints while entries wait (deliveries wake it at once)"},
	{"threads", NUM, N(threads), "4", 1, 64, "FOREWARN_THREADS", false, "HTTP worker threads"},
	{"max-connections", NUM, N(max_connections), "256", 1, 65536, "FOREWARN_MAX_CONNECTIONS", false,
	 "simultaneous connections"},
	{"per-ip-connections", NUM, N(per_ip_connections), "64", 1, 65536, "FOREWARN_PER_IP_CONNECTIONS",
	 false, "simultaneous connections from one address"},
	{"timeout", NUM, N(timeout), "30", 1, 3600, "FOREWARN_TIMEOUT", false,
	 "seconds before an idle connection is closed"},
	{"max-body", SIZE, N(max_body), "1M", 1024, 64 * MiB, "FOREWARN_MAX_BODY", false,
	 "largest JSON or policy request body (bytes; K, M, G suffixes)"},
	{"max-artifact", SIZE, N(max_artifact), "16M", 1024, 1024 * MiB, "FOREWARN_MAX_ARTIFACT", false,
	 "largest artifact upload"},
	{"witness", LIST, S(witness), "", 0, 0, "FOREWARN_WITNESS", false,
	 "a witness's cosignature verifier key name+hex8+base64 (type 0x04): its cosignatures of the log's "
	 "checkpoints are accepted and served; repeat (or give a comma- or space-separated list) for up to 32"},
	{"claim-lease", NUM, N(claim_lease), "60", 1, 86400, "FOREWARN_CLAIM_LEASE", false,
	 "several nodes on PostgreSQL: seconds a node's claim on due release work lasts; the claims of a "
	 "node that died are taken over after this"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static const struct opt *find(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

static enum fw_err parse_number(const struct opt *o, const char *v, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (end == v || errno)
		goto bad;
	if (o->type == SIZE && *end) {
		long long mult = 0;
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1024; break;
		case 'M': mult = MiB; break;
		case 'G': mult = 1024 * MiB; break;
		default: goto bad;
		}
		if (end[1] && !(toupper((unsigned char)end[1]) == 'B' && !end[2]) && !(end[1] == 'i' && toupper((unsigned char)end[2]) == 'B' && !end[3]))
			goto bad;
		if (n > o->max / mult + 1)
			goto bad;
		n *= mult;
		end += strlen(end);
	}
	if (*end)
		goto bad;
	if (n < o->min || n > o->max)
		return fw_err_set(FW_ERR_INVALID, "option %s: %s is outside %lld..%lld", o->name, v, o->min, o->max);
	*out = n;
	return FW_OK;
bad:
	return fw_err_set(FW_ERR_INVALID, "option %s: \"%.64s\" is not a %s", o->name, v,
			  o->type == SIZE ? "size (e.g. 16M)" : "number");
}

static enum fw_err set(struct fwd_config *cfg, const struct opt *o, const char *v, const char *from)
{
	char *base = (char *)cfg;
	if (o->type == STR || o->type == LIST) {
		if (strlen(v) >= o->len)
			return fw_err_set(FW_ERR_INVALID, "option %s (%s) is longer than %zu bytes", o->name, from,
					  o->len - 1);
		memcpy(base + o->off, v, strlen(v) + 1);
		return FW_OK;
	}
	return parse_number(o, v, (long long *)(void *)(base + o->off));
}

/* A list option's next value in the same source. */
static enum fw_err add_to_list(struct fwd_config *cfg, const struct opt *o, const char *v, const char *from)
{
	char *list = (char *)cfg + o->off;
	size_t have = strlen(list), n = strlen(v);
	if (have == 0)
		return set(cfg, o, v, from);
	if (have + 1 + n >= o->len)
		return fw_err_set(FW_ERR_INVALID, "option %s (%s) is longer than %zu bytes", o->name, from, o->len - 1);
	list[have] = ',';
	memcpy(list + have + 1, v, n + 1);
	return FW_OK;
}

/* set, or add_to_list for a list option this source gave before. */
static enum fw_err set_from(struct fwd_config *cfg, const struct opt *o, const char *v, const char *from,
			    bool seen[])
{
	bool again = o->type == LIST && seen[o - opts];
	seen[o - opts] = true;
	return again ? add_to_list(cfg, o, v, from) : set(cfg, o, v, from);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static enum fw_err load_file(struct fwd_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return fw_err_set(FW_ERR_IO, "cannot read config file %s: %s", path, strerror(errno));
	char line[2048];
	int lineno = 0;
	bool seen[NOPTS] = {false};
	enum fw_err r = FW_OK;
	while (r == FW_OK && fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			r = fw_err_set(FW_ERR_INVALID, "%s:%d: expected name = value", path, lineno);
			break;
		}
		*eq = '\0';
		const char *name = trim(s), *value = trim(eq + 1);
		const struct opt *o = find(name);
		if (!o || strcmp(name, "config") == 0)
			r = fw_err_set(FW_ERR_INVALID, "%s:%d: unknown option \"%.64s\"", path, lineno, name);
		else
			r = set_from(cfg, o, value, path, seen);
	}
	fclose(f);
	return r;
}

/* Flags: --name value or --name=value. */
static enum fw_err scan_flags(int argc, char **argv, struct fwd_config *cfg, enum fwd_action *action,
			      bool apply)
{
	bool seen[NOPTS] = {false};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { *action = FWD_HELP; continue; }
		if (strcmp(a, "--version") == 0) { *action = FWD_VERSION; continue; }
		if (strcmp(a, "--check-config") == 0) { *action = FWD_CHECK; continue; }
		if (strcmp(a, "--dump-config") == 0) { *action = FWD_DUMP; continue; }
		if (strncmp(a, "--", 2) != 0)
			return fw_err_set(FW_ERR_INVALID, "unexpected argument \"%.64s\" (see --help)", a);
		char name[64];
		const char *eq = strchr(a + 2, '='), *value;
		size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nl >= sizeof name)
			return fw_err_set(FW_ERR_INVALID, "unknown option \"%.64s\" (see --help)", a);
		memcpy(name, a + 2, nl);
		name[nl] = '\0';
		const struct opt *o = find(name);
		if (!o)
			return fw_err_set(FW_ERR_INVALID, "unknown option --%s (see --help)", name);
		if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc)
				return fw_err_set(FW_ERR_INVALID, "option --%s needs a value", name);
			value = argv[++i];
		}
		if (apply) {
			enum fw_err r = set_from(cfg, o, value, "command line", seen);
			if (r != FW_OK)
				return r;
		}
	}
	return FW_OK;
}

enum fw_err fwd_config_load(int argc, char **argv, struct fwd_config *cfg, enum fwd_action *action)
{
	enum fw_err r;
	memset(cfg, 0, sizeof *cfg);
	*action = FWD_RUN;
	for (size_t i = 0; i < NOPTS; i++)
		if ((r = set(cfg, &opts[i], opts[i].def, "default")) != FW_OK)
			return r;
	/* The config file's name can come from a flag or the environment, so
	 * find it first, then apply file < environment < flags. */
	struct fwd_config pre = *cfg;
	const char *env_cfg = getenv("FOREWARN_CONFIG");
	if (env_cfg && (r = set(&pre, find("config"), env_cfg, "FOREWARN_CONFIG")) != FW_OK)
		return r;
	if ((r = scan_flags(argc, argv, &pre, action, true)) != FW_OK)
		return r;
	if (pre.config[0] && (r = load_file(cfg, pre.config)) != FW_OK)
		return r;
	for (size_t i = 0; i < NOPTS; i++) {
		const char *v = getenv(opts[i].env);
		if (v && (r = set(cfg, &opts[i], v, opts[i].env)) != FW_OK)
			return r;
	}
	return scan_flags(argc, argv, cfg, action, true);
}

enum fw_err fwd_config_validate(const struct fwd_config *cfg)
{
	enum fw_log_level lvl;
	enum fw_err r;
	if ((r = fw_log_level_parse(cfg->log_level, &lvl)) != FW_OK)
		return r;
	if (!cfg->data[0])
		return fw_err_set(FW_ERR_INVALID, "option data must name a directory");
	if (!cfg->tls_cert[0] != !cfg->tls_key[0])
		return fw_err_set(FW_ERR_INVALID, "give both --tls-cert and --tls-key, or neither");
	if (cfg->simulated_clock[0]) {
		int64_t t;
		if (fw_time_parse(cfg->simulated_clock, &t) != FW_OK)
			return fw_err_set(FW_ERR_INVALID, "option simulated-clock: not an RFC 3339 time");
	}
	if (cfg->db[0] && strncmp(cfg->db, "sqlite:", 7) != 0 && strncmp(cfg->db, "postgresql://", 13) != 0 &&
	    strncmp(cfg->db, "postgres://", 11) != 0)
		return fw_err_set(FW_ERR_INVALID, "option db: give sqlite:PATH or postgresql://…");
	struct fw_tlog_vkey wit[FW_TLOG_LOG_WITNESSES_MAX];
	size_t nw = 0;
	return fwd_config_witnesses(cfg, wit, FW_TLOG_LOG_WITNESSES_MAX, &nw);
}

enum fw_err fwd_config_witnesses(const struct fwd_config *cfg, struct fw_tlog_vkey *out, size_t max, size_t *n)
{
	const char *p = cfg->witness, *sep = ", \t";
	size_t got = 0;
	while (*(p += strspn(p, sep))) {
		size_t len = strcspn(p, sep);
		struct fw_tlog_vkey k;
		if (got == max)
			return fw_err_set(FW_ERR_INVALID, "option witness: more than %zu witness keys", max);
		if (fw_tlog_vkey_parse(p, len, &k) != FW_OK || k.type != FW_TLOG_SIG_COSIG_V1)
			return fw_err_set(FW_ERR_INVALID, "option witness: \"%.*s\" is not a witness verifier key "
					  "name+hex8+base64 of type 0x04 (cosignature/v1)", (int)(len > 80 ? 80 : len), p);
		for (size_t i = 0; i < got; i++)
			if (out[i].id == k.id && strcmp(out[i].name, k.name) == 0)
				return fw_err_set(FW_ERR_INVALID, "option witness: key %s is given twice", k.name);
		out[got++] = k;
		p += len;
	}
	*n = got;
	return FW_OK;
}

/* Prints a URL with any password replaced: scheme://user:***@host. */
static void print_redacted(FILE *out, const char *v)
{
	const char *scheme = strstr(v, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = scheme && at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (colon)
		fprintf(out, "%.*s:***%s", (int)(colon - v), v, at);
	else
		fputs(v, out);
}

void fwd_config_dump(const struct fwd_config *cfg, FILE *out)
{
	const char *base = (const char *)cfg;
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		fprintf(out, "%s = ", o->name);
		if (o->type == STR && o->redact)
			print_redacted(out, base + o->off);
		else if (o->type == STR || o->type == LIST)
			fputs(base + o->off, out);
		else
			fprintf(out, "%lld", *(const long long *)(const void *)(base + o->off));
		fputc('\n', out);
	}
}

void fwd_config_usage(FILE *out)
{
	fputs("usage: forewarnd [--data DIR] [--listen HOST:PORT] [--config FILE] [options]\n"
	      "       forewarnd --check-config | --dump-config | --help | --version\n\n"
	      "Serves a forewarn early-warning program. The first start with an empty --data\n"
	      "directory creates the database, the program's signing key, the master key and\n"
	      "an admin token (DIR/admin.token).\n\noptions (flag > environment > config file > default):\n",
	      out);
	for (size_t i = 0; i < NOPTS; i++)
		fprintf(out, "  --%-20s %s\n  %-22s [env %s, default \"%s\"]\n", opts[i].name, opts[i].help, "",
			opts[i].env, opts[i].def);
}
