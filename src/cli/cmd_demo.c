/* forewarn demo: the ToolShell story of 2025, told step by step against a
 * real forewarnd on a simulated clock.
 *
 * Six partner organisations in three tiers are told about a SharePoint
 * remote code execution ahead of its public release; a week before, the
 * operator learns that members in jurisdictions that must report
 * vulnerabilities to their government are a risk, and withholds the
 * proof-of-concept from them at once. Every step checks what happened
 * against what the story says, so the demo doubles as an end-to-end test:
 * it exits 1 at the first surprise. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

#define T_PUBLIC "2025-07-08T17:00:00Z"
#define START "2025-06-20T00:00:00Z"
#define WAIT_TENTHS 150 /* how long a wave may take to be delivered */

static const struct fw_cli_opt demo_opts[] = {
	{"keep", NULL, false, false, "keep the temporary directory (server data, keys, fetched copies)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec demo_spec = {
	"demo", "", 0, 0, demo_opts,
	"Tells the ToolShell story against a forewarnd on a simulated clock: tiers told\n"
	"14, 5 and 1 days ahead, a restriction applied a week before the release, copies\n"
	"fetched and verified. Without a token it starts its own server on a temporary\n"
	"directory; with one (FOREWARN_TOKEN…) it uses that server, which must run a\n"
	"simulated clock set before " START "."};

static const char *const policy_tiers =
	"# Three tiers, told 14, 5 and 1 days before the public release T.\n"
	"tier validate { grant all at T-14d }\n"
	"tier ans { grant summary, detection, poc at T-5d }\n"
	"tier entry { grant summary at T-1d }\n";

static const char *const policy_restricted =
	"# Three tiers, told 14, 5 and 1 days before the public release T.\n"
	"tier validate { grant all at T-14d }\n"
	"tier ans { grant summary, detection, poc at T-5d }\n"
	"tier entry { grant summary at T-1d }\n"
	"\n"
	"# Members whose law makes them report vulnerabilities to their government\n"
	"# get no proof-of-concept, and everything else only at public release.\n"
	"set mandatory_reporting = [CN]\n"
	"restrict mandatory-reporting when member.jurisdiction in mandatory_reporting {\n"
	"  withhold poc\n"
	"  delay all until T\n"
	"}\n";

static const struct {
	const char *id, *name, *tier, *jurisdiction;
} members[] = {
	{"contoso", "Contoso Defender", "validate", "US"},
	{"fabrikam", "Fabrikam Security", "validate", "CN"},
	{"northwind", "Northwind Antivirus", "ans", "DE"},
	{"tailspin", "Tailspin Threat Labs", "ans", "CN"},
	{"adatum", "Adatum Networks", "entry", "GB"},
	{"litware", "Litware Endpoint", "entry", "FR"},
};
#define NMEMBERS (sizeof members / sizeof members[0])

static const struct {
	const char *kind, *text;
} artifacts[] = {
	{"summary", "# ToolShell: SharePoint Server remote code execution\n\n"
		    "An unauthenticated attacker can run code on on-premises SharePoint Server.\n"},
	{"description", "Deserialisation of untrusted data in SharePoint Server lets a network\n"
			"attacker execute code without authentication (CVE-2025-53770).\n"},
	{"detection", "title: ToolShell exploitation attempt\n"
		      "detection: POST /_layouts/15/ToolPane.aspx with Referer /_layouts/SignOut.aspx\n"},
	{"poc", NULL}, /* the template below, built by poc_template() */
};

/* The proof-of-concept is a template with variation points
 * (docs/templates.md): every member's copy picks its own alternatives, so a
 * leaked copy says whose it was. A harmless demo: it only prints the
 * requests it would send. The head is written by hand; the probe table
 * repeats one line shape with four points each (a constant written three
 * ways, the quotes of a path, an equivalent retry count, a boolean). */
static const char *const poc_head =
	"#!/usr/bin/env python3\n"
	"# ToolShell (CVE-2025-53770) {{ proof of concept | proof-of-concept | PoC }} for forewarn's demo.\n"
	"# {{ Harmless | Inert }}: it {{ only prints | merely prints | prints }} the requests it would send.\n"
	"import {{sysmod: sys | sys as system}}\n"
	"\n"
	"{{target: TARGET | HOST | BASE_URL}} = {{ \"https://sharepoint.example\" | 'https://sharepoint.example' }}\n"
	"{{referer: REFERER | SIGNOUT}} = \"/_layouts/SignOut.aspx\"\n"
	"{{hdrs: HEADERS | HDRS | headers}} = {\"{{ Referer | referer }}\": {{=referer}},\n"
	"                    \"{{ Content-Type | content-type }}\": \"application/x-www-form-urlencoded\"}\n"
	"\n"
	"def probe(tag, path, retries, verify):\n"
	"    # {{ one request | a single request }} per probe, {{ never sent | not sent }}\n"
	"    print({{ \"POST\" | 'POST' }}, {{=target}} + path, {{=hdrs}}, tag, retries, verify, file={{=sysmod}}.stdout)\n"
	"\n";

#define POC_PROBES 56
static const char *const probe_pages[] = {"ToolPane.aspx", "Picker.aspx", "Authenticate.aspx", "ViewLsts.aspx",
					  "start.aspx", "settings.aspx", "people.aspx", "mngfield.aspx"};

static char *poc_template(void)
{
	struct fw_buf b;
	fw_buf_init(&b, 64 * 1024);
	enum fw_err r = fw_buf_puts(&b, poc_head);
	for (int i = 0; i < POC_PROBES && r == FW_OK; i++) {
		const char *pg = probe_pages[i % 8];
		r = fw_buf_printf(&b,
				  "probe({{ 0x%02x | %d | 0o%o }}, {{ \"/_layouts/15/%s?p=%d\" | '/_layouts/15/%s?p=%d' }}, "
				  "{{ %d | %d + 0 | int(%d) | abs(%d) }}, {{ False | 0 }})\n",
				  i + 16, i + 16, i + 16, pg, i, pg, i, i % 5 + 1, i % 5 + 1, i % 5 + 1, i % 5 + 1);
	}
	if (r == FW_OK)
		r = fw_buf_puts(&b, "print({{ \"done\" | 'done' }}, file={{=sysmod}}.stderr)\n");
	if (r != FW_OK) {
		fw_buf_cleanup(&b);
		return NULL;
	}
	char *text = strdup(fw_buf_str(&b)); /* the caller frees it */
	fw_buf_cleanup(&b);
	return text;
}

struct demo {
	struct fw_cli *cli; /* the operator */
	char dir[PATH_MAX];
	pid_t server;       /* 0 when using someone else's server */
	int failures;
};

static void say(const char *fmt, ...) FW_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A surprise: the story did not go as told. */
static enum fw_err expect(struct demo *d, bool ok, const char *what)
{
	if (ok)
		return FW_OK;
	d->failures++;
	return fw_err_set(FW_ERR_STATE, "the story went wrong: %s", what);
}

static enum fw_err post(struct demo *d, const char *path, const char *json_text, json_t **got)
{
	json_error_t e;
	json_t *body = json_loads(json_text, 0, &e), *ans = NULL;
	if (!body)
		return fw_err_set(FW_ERR_INTERNAL, "demo JSON: %s", e.text);
	enum fw_err r = fw_cli_send_json(d->cli, "POST", path, body, &ans);
	json_decref(body);
	if (r == FW_OK && got)
		*got = ans;
	else
		json_decref(ans);
	return r;
}

static enum fw_err put_policy(struct demo *d, const char *text, const char *comment)
{
	struct fw_buf path;
	struct fw_cli_resp resp;
	enum fw_err r;
	fw_buf_init(&path, 1024);
	fw_cli_resp_init(&resp);
	if ((r = fw_buf_puts(&path, "/api/v1/policy")) == FW_OK &&
	    (r = fw_cli_query(&path, "comment", comment)) == FW_OK) {
		struct fw_cli_req req = {.method = "PUT", .path = fw_buf_str(&path),
					 .content_type = "text/plain; charset=utf-8", .body = text,
					 .body_len = strlen(text)};
		r = fw_cli_http(d->cli, &req, &resp);
	}
	fw_cli_resp_cleanup(&resp);
	fw_buf_cleanup(&path);
	return r;
}

/* "kind,kind" of what member has been given, sorted by kind name. */
static enum fw_err kinds_of(struct demo *d, const char *member, char *out, size_t n)
{
	struct fw_buf path;
	json_t *got = NULL;
	enum fw_err r;
	const char *names[] = {"description", "detection", "indicators", "mitigation", "poc", "summary"};
	fw_buf_init(&path, 512);
	out[0] = '\0';
	if ((r = fw_cli_path(&path, "/api/v1/deliveries?member=", member, "")) == FW_OK &&
	    (r = fw_cli_get_json(d->cli, fw_buf_str(&path), &got)) == FW_OK) {
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
			size_t i;
			json_t *row;
			bool has = false;
			json_array_foreach(json_object_get(got, "deliveries"), i, row)
				has |= strcmp(fw_cli_jstr(row, "kind") ? fw_cli_jstr(row, "kind") : "", names[k]) == 0;
			if (has)
				snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? "," : "", names[k]);
		}
	}
	json_decref(got);
	fw_buf_cleanup(&path);
	return r;
}

static void nap(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

/* Moves the clock and waits until every member holds what the story says. */
static enum fw_err wave(struct demo *d, const char *when, const char *const expected[NMEMBERS])
{
	char body[96], got[128];
	enum fw_err r;
	snprintf(body, sizeof body, "{\"set\":\"%s\"}", when);
	if ((r = post(d, "/api/v1/clock", body, NULL)) != FW_OK)
		return r;
	for (int t = 0; t < WAIT_TENTHS; t++) {
		bool all = true;
		for (size_t i = 0; i < NMEMBERS && all; i++) {
			if ((r = kinds_of(d, members[i].id, got, sizeof got)) != FW_OK)
				return r;
			all = strcmp(got, expected[i]) == 0;
		}
		if (all)
			break;
		nap();
	}
	for (size_t i = 0; i < NMEMBERS; i++) {
		if ((r = kinds_of(d, members[i].id, got, sizeof got)) != FW_OK)
			return r;
		say("    %-10s (%-8s %s) holds: %s", members[i].id, members[i].tier, members[i].jurisdiction,
		    got[0] ? got : "nothing");
		if (strcmp(got, expected[i]) != 0) {
			char what[256];
			snprintf(what, sizeof what, "%s should hold [%s], holds [%s]", members[i].id, expected[i], got);
			return expect(d, false, what);
		}
	}
	return FW_OK;
}

/* --- its own server ------------------------------------------------------ */

/* forewarnd is looked for beside this program, then on PATH. */
static void server_path(char out[PATH_MAX])
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	snprintf(out, PATH_MAX, "forewarnd");
	if (len <= 0)
		return;
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	char candidate[PATH_MAX + 16];
	snprintf(candidate, sizeof candidate, "%s/forewarnd", self);
	size_t n = strlen(candidate);
	if (n < PATH_MAX && access(candidate, X_OK) == 0)
		memcpy(out, candidate, n + 1);
}

static enum fw_err start_server(struct demo *d, char *url, size_t url_bytes)
{
	char exe[PATH_MAX], data[PATH_MAX + 8], log[PATH_MAX + 16];
	int fds[2];
	server_path(exe);
	snprintf(data, sizeof data, "%s/server", d->dir);
	snprintf(log, sizeof log, "%s/server.log", d->dir);
	if (pipe(fds) != 0)
		return fw_err_set(FW_ERR_IO, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return fw_err_set(FW_ERR_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fds[1], STDOUT_FILENO);
		if (logfd >= 0)
			dup2(logfd, STDERR_FILENO);
		close(fds[0]);
		execl(exe, exe, "--data", data, "--listen", "127.0.0.1:0", "--simulated-clock", START, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	d->server = pid;
	FILE *out = fdopen(fds[0], "r");
	char line[512];
	enum fw_err r = fw_err_set(FW_ERR_UNAVAILABLE, "%s did not start (see %s)", exe, log);
	while (out && fgets(line, sizeof line, out)) {
		const char *at = strstr(line, "listening on ");
		if (!at)
			continue;
		at += strlen("listening on ");
		size_t n = strcspn(at, " \n");
		if (n < url_bytes) {
			memcpy(url, at, n);
			url[n] = '\0';
			r = FW_OK;
		}
		break;
	}
	if (out)
		fclose(out);
	return r;
}

static void stop_server(struct demo *d)
{
	if (d->server <= 0)
		return;
	kill(d->server, SIGTERM);
	waitpid(d->server, NULL, 0);
	d->server = 0;
}

/* --- the story ----------------------------------------------------------- */

/* How many colluders the poc's fingerprint traces among all six members. */
static enum fw_err poc_capacity(struct demo *d)
{
	json_t *got = NULL;
	enum fw_err r = fw_cli_get_json(d->cli, "/api/v1/advisories/toolshell/artifacts/poc/capacity", &got);
	if (r != FW_OK)
		return r;
	long long c = json_integer_value(json_object_get(got, "colluders"));
	long long n = json_integer_value(json_object_get(got, "recipients"));
	say("    forewarn artifact capacity: it names up to %lld colluders among %lld recipients\n"
	    "    (detection >= 0.99 under six collusion attacks, false accusation <= 1e-6).", c, n);
	json_decref(got);
	return expect(d, c >= 2 && n == 6, "the poc should trace 2 colluders among the 6 members");
}

static enum fw_err act_one(struct demo *d)
{
	char body[512], ident[FW_CRYPTO_AGE_IDENTITY_BYTES], rcp[FW_CRYPTO_AGE_RECIPIENT_BYTES], path[PATH_MAX + 64];
	enum fw_err r;

	say("\n1. The operator writes the policy: tier validate hears everything 14 days before the\n"
	    "   public release T, tier ans gets summary, detection and proof-of-concept 5 days before,\n"
	    "   tier entry the summary 1 day before. Nothing else is granted (default deny).");
	if ((r = put_policy(d, policy_tiers, "three tiers")) != FW_OK)
		return r;
	say("\n2. Six partners join, each with its own age key (two of them in CN):");
	for (size_t i = 0; i < NMEMBERS; i++) {
		if ((r = fw_age_keygen(rcp, ident)) != FW_OK)
			return r;
		snprintf(path, sizeof path, "%s/%s.key", d->dir, members[i].id);
		if ((r = fw_cli_file_write_atomic(path, ident, strlen(ident), 0600)) != FW_OK)
			return r;
		fw_crypto_wipe(ident, sizeof ident);
		snprintf(body, sizeof body,
			 "{\"id\":\"%s\",\"name\":\"%s\",\"tier\":\"%s\",\"jurisdiction\":\"%s\",\"age_recipient\":\"%s\"}",
			 members[i].id, members[i].name, members[i].tier, members[i].jurisdiction, rcp);
		if ((r = post(d, "/api/v1/members", body, NULL)) != FW_OK)
			return r;
		say("    %-10s %-22s tier %-8s %s", members[i].id, members[i].name, members[i].tier,
		    members[i].jurisdiction);
	}
	say("\n3. The vendor writes the advisory: SharePoint remote code execution (ToolShell),\n"
	    "   CVE-2025-53770, CVSS 9.8, public on " T_PUBLIC ", with four artifacts.");
	if ((r = post(d, "/api/v1/advisories",
		      "{\"id\":\"toolshell\",\"title\":\"SharePoint remote code execution (ToolShell)\","
		      "\"cves\":[\"CVE-2025-53770\"],\"products\":[\"SharePoint Server 2019\"],"
		      "\"cvss_vector\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\",\"public_at\":\"" T_PUBLIC "\"}",
		      NULL)) != FW_OK)
		return r;
	for (size_t i = 0; i < sizeof artifacts / sizeof artifacts[0]; i++) {
		struct fw_cli_resp resp;
		char p[128];
		char *poc = artifacts[i].text ? NULL : poc_template();
		const char *text = artifacts[i].text ? artifacts[i].text : poc;
		if (!text)
			return FW_ERR_NOMEM;
		snprintf(p, sizeof p, "/api/v1/advisories/toolshell/artifacts/%s", artifacts[i].kind);
		struct fw_cli_req req = {.method = "POST", .path = p, .content_type = "text/plain; charset=utf-8",
					 .body = text, .body_len = strlen(text)};
		fw_cli_resp_init(&resp);
		r = fw_cli_http(d->cli, &req, &resp);
		if (r == FW_OK && poc) {
			long long points = json_integer_value(json_object_get(json_object_get(resp.json, "mark"), "points"));
			say("    The proof-of-concept is a template: %lld variation points, so that every member's\n"
			    "    copy is its own (each picks one alternative at each point).", points);
			r = expect(d, points >= 200, "the poc should have at least 200 variation points");
		}
		fw_cli_resp_cleanup(&resp);
		free(poc);
		if (r != FW_OK)
			return r;
	}
	if ((r = poc_capacity(d)) != FW_OK)
		return r;
	json_t *got = NULL;
	if ((r = post(d, "/api/v1/advisories/toolshell/schedule", "{}", &got)) != FW_OK)
		return r;
	say("    scheduled: %lld releases planned, %lld (member, kind) pairs withheld",
	    (long long)json_integer_value(json_object_get(got, "planned")),
	    (long long)json_integer_value(json_object_get(got, "withheld")));
	json_decref(got);
	return FW_OK;
}

static enum fw_err act_two(struct demo *d)
{
	static const char *const t14[NMEMBERS] = {"description,detection,poc,summary",
						  "description,detection,poc,summary", "", "", "", ""};
	enum fw_err r;
	say("\n4. 2025-06-24, T-14d: the first wave. Only tier validate is told, everything:");
	if ((r = wave(d, "2025-06-24T17:00:00Z", t14)) != FW_OK)
		return r;

	say("\n5. 2025-07-01: word comes that members who must report vulnerabilities to their\n"
	    "   government are a risk. The operator drafts a restriction: no proof-of-concept\n"
	    "   for them, and everything else only at T. First, what would it change?");
	if ((r = post(d, "/api/v1/clock", "{\"set\":\"2025-07-01T09:00:00Z\"}", NULL)) != FW_OK)
		return r;
	struct fw_cli_resp resp;
	struct fw_cli_req req = {.method = "POST", .path = "/api/v1/policy/diff",
				 .content_type = "text/plain; charset=utf-8", .body = policy_restricted,
				 .body_len = strlen(policy_restricted)};
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_http(d->cli, &req, &resp)) != FW_OK) {
		fw_cli_resp_cleanup(&resp);
		return r;
	}
	size_t i, pending = 0, disclosed = 0;
	json_t *c;
	json_array_foreach(json_object_get(resp.json, "changes"), i, c) {
		bool old = json_is_true(json_object_get(c, "already_disclosed"));
		const char *was = fw_cli_jstr(c, "before_at"), *will = fw_cli_jstr(c, "after_at");
		say("    %-10s %-12s %-20s -> %-20s%s", fw_cli_jstr(c, "member"), fw_cli_jstr(c, "kind"),
		    was ? was : "withheld", will ? will : "withheld", old ? "  (already disclosed on the 24th)" : "");
		pending += !old;
		disclosed += old;
		/* Only CN members may change. */
		const char *m = fw_cli_jstr(c, "member");
		if (!m || (strcmp(m, "fabrikam") != 0 && strcmp(m, "tailspin") != 0))
			r = expect(d, false, "the restriction would change a member outside CN");
	}
	fw_cli_resp_cleanup(&resp);
	if (r != FW_OK)
		return r;
	say("    %zu pending decisions change (indicators and mitigation count too: they may still be\n"
	    "    written); %zu copies were already disclosed to fabrikam on the 24th and cannot be recalled.",
	    pending, disclosed);
	if ((r = expect(d, pending == 5 && disclosed == 4, "the diff should list 5 pending changes, all in CN, "
							 "and 4 copies already disclosed to fabrikam")) != FW_OK)
		return r;
	say("    The operator applies it; scheduled releases follow at once.");
	return put_policy(d, policy_restricted, "withhold poc from mandatory_reporting; the rest at T");
}

static enum fw_err act_three(struct demo *d)
{
	static const char *const t5[NMEMBERS] = {"description,detection,poc,summary",
						 "description,detection,poc,summary", "detection,poc,summary", "", "", ""};
	static const char *const t1[NMEMBERS] = {"description,detection,poc,summary",
						 "description,detection,poc,summary", "detection,poc,summary", "",
						 "summary", "summary"};
	static const char *const t0[NMEMBERS] = {"description,detection,poc,summary",
						 "description,detection,poc,summary", "detection,poc,summary",
						 "detection,summary", "summary", "summary"};
	json_t *got = NULL;
	enum fw_err r;
	say("\n6. 2025-07-03, T-5d: tier ans is told; tailspin (CN) now waits for T:");
	if ((r = wave(d, "2025-07-03T17:00:00Z", t5)) != FW_OK)
		return r;
	say("\n7. 2025-07-07, T-1d: tier entry gets the summary:");
	if ((r = wave(d, "2025-07-07T17:00:00Z", t1)) != FW_OK)
		return r;
	say("\n8. 2025-07-08, T: the advisory is public; tailspin gets summary and detection, never the poc:");
	if ((r = wave(d, T_PUBLIC, t0)) != FW_OK)
		return r;
	say("\n9. Why did tailspin get no proof-of-concept? The operator asks:");
	if ((r = fw_cli_get_json(d->cli, "/api/v1/policy/explain?member=tailspin&advisory=toolshell&kind=poc",
				 &got)) != FW_OK)
		return r;
	json_t *dec = json_array_get(json_object_get(got, "decisions"), 0);
	const char *reason = fw_cli_jstr(dec, "reason");
	say("    poc: %s — %s", fw_cli_jstr(dec, "decision"), reason ? reason : "?");
	r = expect(d, reason && strstr(reason, "mandatory-reporting"), "explain should name the restriction");
	json_decref(got);
	return r;
}

/* The member side: northwind fetches, verifies and decrypts with its key. */
/* A member's fetch, as the member would run it, with a token of its own. */
static enum fw_err act_four_fetch(struct demo *d, const char *id)
{
	json_t *got = NULL;
	enum fw_err r;
	char body[160];
	snprintf(body, sizeof body, "{\"role\":\"member\",\"member\":\"%s\",\"label\":\"demo\"}", id);
	if ((r = post(d, "/api/v1/tokens", body, &got)) != FW_OK)
		return r;
	struct fw_cli member = *d->cli;
	const char *tok = fw_cli_jstr(got, "token");
	snprintf(member.token, sizeof member.token, "%s", tok ? tok : "");
	member.token_loaded = true;
	member.token_source = "the demo's member token";
	member.json = false;
	json_decref(got);
	char out[PATH_MAX + 16], key[PATH_MAX + 16];
	snprintf(out, sizeof out, "%s/%s-inbox", d->dir, id);
	snprintf(key, sizeof key, "%s/%s.key", d->dir, id);
	char *argv[] = {"fetch", "--out", out, "--identity", key, NULL};
	int rc = fw_cli_cmd_fetch(&member, 5, argv);
	fw_crypto_wipe(member.token, sizeof member.token);
	return expect(d, rc == FW_CLI_EXIT_OK, "the member's fetch should verify, prove and decrypt every copy");
}

static enum fw_err act_four(struct demo *d)
{
	say("\n10. Northwind fetches its copies, checks the program's signature and each copy's\n"
	    "    inclusion in the transparency log, and decrypts them:");
	return act_four_fetch(d, "northwind");
}

/* --- the leak ------------------------------------------------------------ */

/* The member's decrypted poc: downloaded as the operator, opened with the
 * member's age key the demo wrote in its directory. */
static enum fw_err member_poc(struct demo *d, const char *member, struct fw_buf *out)
{
	struct fw_buf path, key;
	struct fw_cli_resp resp;
	json_t *got = NULL;
	uint8_t sk[32];
	char file[PATH_MAX + 16], id[32] = "";
	enum fw_err r;
	size_t i;
	json_t *row;
	fw_buf_init(&path, 512);
	fw_buf_init(&key, FW_CLI_MAX_SMALL_FILE_BYTES);
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_path(&path, "/api/v1/deliveries?advisory=toolshell&member=", member, "")) != FW_OK ||
	    (r = fw_cli_get_json(d->cli, fw_buf_str(&path), &got)) != FW_OK)
		goto out;
	json_array_foreach(json_object_get(got, "deliveries"), i, row)
		if (strcmp(fw_cli_jstr(row, "kind") ? fw_cli_jstr(row, "kind") : "", "poc") == 0)
			fw_cli_id_text(json_object_get(row, "id"), id, sizeof id);
	if ((r = expect(d, id[0] != '\0', "the member should hold a poc")) != FW_OK)
		goto out;
	fw_buf_reset(&path);
	if ((r = fw_cli_path(&path, "/api/v1/deliveries/", id, "/copy")) != FW_OK)
		goto out;
	struct fw_cli_req req = {.method = "GET", .path = fw_buf_str(&path)};
	snprintf(file, sizeof file, "%s/%s.key", d->dir, member);
	if ((r = fw_cli_http(d->cli, &req, &resp)) != FW_OK ||
	    (r = fw_cli_file_read(file, FW_CLI_MAX_SMALL_FILE_BYTES, &key)) != FW_OK ||
	    (r = fw_age_identity_parse(fw_buf_str(&key), key.len, sk)) != FW_OK)
		goto out;
	r = fw_age_open(sk, resp.body.data, resp.body.len, out);
out:
	fw_crypto_wipe(sk, sizeof sk);
	fw_buf_cleanup_secret(&key);
	fw_cli_resp_cleanup(&resp);
	json_decref(got);
	fw_buf_cleanup(&path);
	return r;
}

/* Two leakers compare their copies and, wherever a line differs, take it
 * from one and then from the other: a copy mixed point by point. */
static enum fw_err mix(const struct fw_buf *a, const struct fw_buf *b, struct fw_buf *out, size_t *differ)
{
	const char *p = fw_buf_str(a), *q = fw_buf_str(b);
	enum fw_err r = FW_OK;
	*differ = 0;
	while (*p && *q && r == FW_OK) {
		size_t lp = strcspn(p, "\n"), lq = strcspn(q, "\n");
		bool same = lp == lq && memcmp(p, q, lp) == 0;
		bool from_a = same || (*differ)++ % 2 == 0;
		r = fw_buf_append(out, from_a ? p : q, from_a ? lp : lq);
		if (r == FW_OK)
			r = fw_buf_puts(out, "\n");
		p += lp + (p[lp] == '\n');
		q += lq + (q[lq] == '\n');
	}
	return r;
}

static void print_verdicts(const json_t *list, const char *verdict)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *m = fw_cli_jstr(v, "member");
		double l10 = json_number_value(json_object_get(v, "log10_pvalue"));
		char p[32];
		if (l10 > -3)
			snprintf(p, sizeof p, "%.3g", pow(10.0, l10));
		else
			snprintf(p, sizeof p, "1e%d", (int)ceil(l10));
		say("    %-10s score %7.2f  threshold %6.2f  p-value <= %-7s %s", m ? m : "?",
		    json_number_value(json_object_get(v, "score")), json_number_value(json_object_get(v, "threshold")), p,
		    verdict);
	}
}

static enum fw_err trace_leak(struct demo *d, const struct fw_buf *leak)
{
	size_t len = fw_crypto_base64_len(leak->len), i;
	char *b64 = malloc(len + 1);
	json_t *body = NULL, *got = NULL, *v;
	enum fw_err r = FW_ERR_NOMEM;
	if (!b64 || fw_crypto_base64_encode(leak->data, leak->len, b64, len + 1) != FW_OK ||
	    !(body = json_pack("{s:s,s:[{s:s,s:s}]}", "kind", "poc", "files", "name", "forum-post.py", "content_base64",
			       b64)))
		goto out;
	if ((r = fw_cli_send_json(d->cli, "POST", "/api/v1/advisories/toolshell/trace", body, &got)) != FW_OK)
		goto out;
	const json_t *f = json_array_get(json_object_get(got, "files"), 0);
	say("    forewarn trace toolshell --kind poc --file forum-post.py: the leak reads as poc v%lld;\n"
	    "    %lld points read, %lld erased (unreadable); %lld recipients scored.",
	    (long long)json_integer_value(json_object_get(f, "version")),
	    (long long)json_integer_value(json_object_get(got, "points_read")),
	    (long long)json_integer_value(json_object_get(got, "points_erased")),
	    (long long)json_integer_value(json_object_get(got, "members_scored")));
	const json_t *acc = json_object_get(got, "accused");
	print_verdicts(acc, "ACCUSED");
	print_verdicts(json_object_get(got, "others"), "not accused");
	bool only = json_array_size(acc) >= 1;
	json_array_foreach(acc, i, v) {
		const char *m = fw_cli_jstr(v, "member");
		only &= m && (strcmp(m, "fabrikam") == 0 || strcmp(m, "contoso") == 0);
	}
	say("    The trace names %zu of the two leakers and nobody else; the chance that it names\n"
	    "    anyone innocent is at most 1e-6, whatever the leakers did to their copies.", json_array_size(acc));
	r = expect(d, only, "the trace should name fabrikam or contoso, and nobody else");
out:
	free(b64);
	json_decref(body);
	json_decref(got);
	return r;
}

/* 2025-07-10: a copy of the poc mixed from two members' copies leaks. */
static enum fw_err act_five(struct demo *d)
{
	struct fw_buf a, b, leak;
	size_t differ = 0;
	enum fw_err r;
	fw_buf_init(&a, FW_CLI_MAX_UPLOAD_BYTES);
	fw_buf_init(&b, FW_CLI_MAX_UPLOAD_BYTES);
	fw_buf_init(&leak, FW_CLI_MAX_UPLOAD_BYTES);
	say("\n11. 2025-07-10: a proof-of-concept \"appears on a forum\". Only fabrikam (CN), contoso\n"
	    "    and northwind received it. Two of them, fabrikam and contoso, had compared their\n"
	    "    copies and mixed them, line by line, hoping to hide whose it was:");
	if ((r = member_poc(d, "fabrikam", &a)) != FW_OK || (r = member_poc(d, "contoso", &b)) != FW_OK ||
	    (r = mix(&a, &b, &leak, &differ)) != FW_OK)
		goto out;
	say("    their copies differ on %zu lines; the forum copy takes them from each in turn.", differ);
	if ((r = expect(d, differ > 20, "fabrikam's and contoso's copies should differ")) != FW_OK)
		goto out;
	say("\n12. The operator traces the forum copy (only the file; nothing of any member's copy\n"
	    "    is compared with it):");
	r = trace_leak(d, &leak);
out:
	fw_buf_cleanup_secret(&a);
	fw_buf_cleanup_secret(&b);
	fw_buf_cleanup_secret(&leak);
	return r;
}

/* --- the log ------------------------------------------------------------- */

/* Every copy is an entry of the transparency log: northwind's second fetch
 * checks that the log only grew, and an auditor recomputes the whole tree. */
static enum fw_err act_six(struct demo *d)
{
	json_t *got = NULL, *prog = NULL;
	enum fw_err r;
	say("\n12. Every copy, policy version and sanction is an entry of the transparency log. The\n"
	    "    program publishes the log's verifier key; an auditor with its own token checks that\n"
	    "    the log is consistent and recomputes the whole Merkle tree from its tiles:");
	if ((r = fw_cli_get_json_anon(d->cli, "/api/v1/program", &prog)) != FW_OK)
		return r;
	char vkey[256];
	const char *vk = fw_cli_jstr(prog, "log_verifier_key");
	snprintf(vkey, sizeof vkey, "%s", vk ? vk : "");
	json_decref(prog);
	say("    log verifier key: %s", vkey);
	if ((r = post(d, "/api/v1/tokens", "{\"role\":\"auditor\",\"label\":\"demo auditor\"}", &got)) != FW_OK)
		return r;
	struct fw_cli auditor = *d->cli;
	const char *tok = fw_cli_jstr(got, "token");
	snprintf(auditor.token, sizeof auditor.token, "%s", tok ? tok : "");
	auditor.token_loaded = true;
	auditor.token_source = "the demo's auditor token";
	auditor.json = false;
	json_decref(got);
	char *argv[] = {"log", "audit", "--log-key", vkey, NULL};
	int rc = fw_cli_cmd_log(&auditor, 4, argv);
	fw_crypto_wipe(auditor.token, sizeof auditor.token);
	if ((r = expect(d, rc == FW_CLI_EXIT_OK, "the auditor's audit of the log should pass")) != FW_OK)
		return r;
	say("\n13. Northwind fetches again: its stored checkpoint must be extended by the new one\n"
	    "    (a forked or rewritten log would be refused), and each copy's inclusion is proven:");
	return act_four_fetch(d, "northwind");
}

static enum fw_err tell(struct demo *d)
{
	json_t *prog = NULL;
	enum fw_err r;
	if ((r = fw_cli_get_json_anon(d->cli, "/api/v1/program", &prog)) != FW_OK)
		return r;
	bool simulated = json_is_true(json_object_get(prog, "simulated_clock"));
	json_decref(prog);
	if (!simulated)
		return fw_err_set(FW_ERR_STATE, "the server at %s runs on the real clock; the demo needs "
						"forewarnd --simulated-clock " START, d->cli->url);
	if ((r = act_one(d)) != FW_OK || (r = act_two(d)) != FW_OK || (r = act_three(d)) != FW_OK ||
	    (r = act_four(d)) != FW_OK || (r = act_five(d)) != FW_OK || (r = act_six(d)) != FW_OK)
		return r;
	say("\nThe story went as told: every member got exactly what the policy granted, when it\n"
	    "granted it, the restriction applied at once to a release already under way, and a\n"
	    "leaked copy, even mixed from two members' copies, named its leakers; and anyone\n"
	    "holding the log's key can check that nothing of it was rewritten.");
	return FW_OK;
}

int fw_cli_cmd_demo(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct demo d = {.cli = cli};
	char url[256];
	const char *tok = "";
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &demo_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *tmp = getenv("TMPDIR");
	snprintf(d.dir, sizeof d.dir, "%s/forewarn-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d.dir)) {
		fw_cli_error("cannot create a temporary directory: %s", strerror(errno));
		return FW_CLI_EXIT_FAIL;
	}
	struct fw_cli own = *cli;
	if (fw_cli_token(cli, &tok) != FW_OK || !tok[0]) {
		if ((r = start_server(&d, url, sizeof url)) != FW_OK)
			goto out;
		char tokfile[PATH_MAX + 32];
		snprintf(tokfile, sizeof tokfile, "%s/server/admin.token", d.dir);
		snprintf(own.url_buf, sizeof own.url_buf, "%s", url);
		own.url = own.url_buf;
		own.token_file = NULL;
		own.token_loaded = false;
		setenv("FOREWARN_TOKEN_FILE", tokfile, 1);
		unsetenv("FOREWARN_TOKEN");
		d.cli = &own;
		say("Started forewarnd on %s with a simulated clock at " START " (data in %s).", url, d.dir);
	} else {
		say("Using the server at %s.", cli->url);
	}
	r = tell(&d);
out:
	stop_server(&d);
	fw_cli_wipe(&own);
	if (fw_cli_arg(&a, "keep")) {
		say("Kept %s.", d.dir);
	} else {
		char *rm[] = {"rm", "-rf", d.dir, NULL};
		pid_t pid = fork();
		if (pid == 0) {
			execvp("rm", rm);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return fw_cli_finish(r);
}
