/* forewarn fetch: the member side. Downloads the new sealed copies, checks
 * the program's signature and its trusted comment, saves them, and with an
 * identity decrypts them and checks the plaintext's SHA-256.
 *
 * Trust: the program's minisign key is pinned in DIR/.forewarn/program.pub
 * on first use (or given with --program-key); a server offering another key
 * later is refused. Nothing the server names reaches a path unchecked: the
 * advisory and kind must be slugs and the version a number. A copy that
 * fails any check leaves no file behind. The state (the last delivery id
 * fully saved) advances only over an unbroken run of saved copies, so a
 * failed copy is tried again next time.
 *
 * The log is checked before anything is accepted (fw_cli_log_sync): with
 * --witness keys, or those remembered from an earlier run in
 * DIR/.forewarn/witnesses.json, its newest checkpoint must carry their
 * quorum of cosignatures. Keys are pinned only once the log has passed, so
 * a refused run writes nothing. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/time.h"
#include "base/utf8.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"

#define PATH_BYTES 4096
#define TC_BYTES 1024
#define MAX_SIG_BYTES (16u * 1024u)
#define STATE_FILE "state.json"
#define PIN_FILE "program.pub"
#define WITNESS_FILE "witnesses.json"

static const struct fw_cli_opt fetch_opts[] = {
	{"out", "DIR", false, false, "where copies are saved (default .)"},
	{"identity", "AGE_KEY_FILE", false, false, "decrypt with this age identity (from age-keygen)"},
	{"program-key", "FILE", false, false, "the program's minisign public key (default: pinned on first use)"},
	{"ack", NULL, false, false, "acknowledge each new copy verified (forewarn ack), signed with --minisign-key"},
	{"minisign-key", "FILE", false, false, "the member's minisign secret key, unencrypted, for --ack"},
	FW_CLI_LOG_WITNESS_OPTS,
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec fetch_spec = {
	"fetch", "", 0, 0, fetch_opts,
	"Downloads the copies delivered since the last run, verifies the program's\n"
	"signature on each, saves DIR/ADVISORY/KIND-vN.age and .age.minisig and, with\n"
	"--identity, decrypts to KIND-vN.txt (or .bin) and checks its SHA-256.\n"
	"The program's key is pinned in DIR/.forewarn/program.pub on the first run;\n"
	"a changed key is refused. With --ack, each new copy verified is acknowledged\n"
	"with the statement built here from the copy and its log receipt, signed\n"
	"with --minisign-key. With --witness (and --quorum), the log's newest\n"
	"checkpoint, against which each copy's inclusion is checked, must be\n"
	"cosigned by that many of the witnesses, else nothing is accepted; the keys\n"
	"and quorum are remembered in DIR/.forewarn/witnesses.json for later runs\n"
	"(--witness again replaces them; remove the file to require none).\n"
	"Exit status 1 when any copy or acknowledgement fails."};

struct fetch {
	struct fw_cli *cli;
	char out[PATH_BYTES];   /* DIR without trailing '/' */
	char state[PATH_BYTES]; /* DIR/.forewarn */
	struct fw_verify_key key;
	bool pin_key;        /* first use: pin `key` once the log has passed */
	bool witnesses_kept; /* the witnesses are the ones remembered */
	bool decrypt;
	uint8_t sk[32];
	char after[64];   /* last delivery id saved with all before it */
	json_t *after_id; /* the same as JSON (number or string), or NULL */
	json_t *saved;    /* ids after `after` saved already (a copy before them failed) */
	bool advancing;   /* no copy has failed yet in this run */
	json_t *cves;     /* advisory id -> CVE text (cache) */
	json_t *report;   /* --json: one object per copy */
	size_t n, verified, failed;
	struct fw_cli_log *log; /* the transparency log's checks */
	bool log_failed;        /* a log check failed: accept nothing more */
	bool ack;               /* --ack: acknowledge each new copy */
	struct fw_sign_key ack_key;
	size_t acked, ack_failed;
};

/* One delivery as the server listed it, checked. */
struct copy {
	const json_t *id_json; /* borrowed from the listing */
	char id[64];
	char advisory[FW_CLI_SLUG_MAX + 1];
	char kind[FW_CLI_SLUG_MAX + 1];
	char member[FW_CLI_SLUG_MAX + 1];
	long long version;
	const char *media_type; /* borrowed from the listing; NULL when absent */
	char files[4][PATH_BYTES]; /* what was saved */
	int nfiles;
};

static void key_id_hex(const struct fw_verify_key *k, char out[2 * FW_CRYPTO_SIGN_KEY_ID_BYTES + 1])
{
	/* minisign prints the little-endian id as a 64-bit number. */
	static const char hex[] = "0123456789ABCDEF";
	for (int i = 0; i < FW_CRYPTO_SIGN_KEY_ID_BYTES; i++) {
		uint8_t b = k->key_id[FW_CRYPTO_SIGN_KEY_ID_BYTES - 1 - i];
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[2 * FW_CRYPTO_SIGN_KEY_ID_BYTES] = '\0';
}

static enum fw_err join(char *out, const char *a, const char *b)
{
	if (snprintf(out, PATH_BYTES, "%s/%s", a, b) >= PATH_BYTES)
		return fw_err_set(FW_ERR_INVALID, "path too long: %s/%s", a, b);
	return FW_OK;
}

static enum fw_err parse_key_text(const char *text, size_t n, const char *what, struct fw_verify_key *out)
{
	if (fw_minisign_public_parse(text, n, out) != FW_OK)
		return fw_err_set(FW_ERR_INVALID, "%s is not a minisign public key", what);
	return FW_OK;
}

/* Compares the server's key with the pin; on first use takes it, to be
 * pinned by pin_key once the log has passed. */
static enum fw_err pinned_key(struct fetch *f)
{
	char pin[PATH_BYTES], got_id[17], pin_id[17];
	struct fw_verify_key server, pinned;
	struct fw_buf text;
	json_t *prog = NULL;
	enum fw_err r;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = join(pin, f->state, PIN_FILE)) != FW_OK ||
	    (r = fw_cli_get_json_anon(f->cli, "/api/v1/program", &prog)) != FW_OK)
		goto out;
	const char *key = fw_cli_jstr(prog, "minisign_public_key");
	if ((r = parse_key_text(key ? key : "", key ? strlen(key) : 0, "the server's program key", &server)) != FW_OK)
		goto out;
	key_id_hex(&server, got_id);
	if (access(pin, F_OK) == 0) {
		if ((r = fw_cli_file_read(pin, FW_CLI_MAX_SMALL_FILE_BYTES, &text)) != FW_OK ||
		    (r = parse_key_text(fw_buf_str(&text), text.len, pin, &pinned)) != FW_OK)
			goto out;
		key_id_hex(&pinned, pin_id);
		if (memcmp(pinned.key_id, server.key_id, sizeof server.key_id) != 0 ||
		    memcmp(pinned.pk, server.pk, sizeof server.pk) != 0) {
			r = fw_err_set(FW_ERR_CRYPTO,
				       "REFUSING TO FETCH: THE PROGRAM'S SIGNING KEY HAS CHANGED! %s pins key %s but "
				       "the server at %s now offers key %s. This may be an attack. If the program "
				       "announced a new key, confirm it out of band and replace %s.",
				       pin, pin_id, f->cli->url, got_id, pin);
			goto out;
		}
		f->key = pinned;
		goto out;
	}
	f->key = server;
	f->pin_key = true;
out:
	json_decref(prog);
	fw_buf_cleanup(&text);
	return r;
}

static enum fw_err pin_key(struct fetch *f)
{
	char pin[PATH_BYTES], id[17];
	struct fw_buf text;
	enum fw_err r;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = join(pin, f->state, PIN_FILE)) != FW_OK || (r = fw_minisign_public_format(&f->key, &text)) != FW_OK ||
	    (r = fw_cli_file_write_atomic(pin, text.data, text.len, 0600)) != FW_OK)
		goto out;
	key_id_hex(&f->key, id);
	fprintf(f->cli->json ? stderr : stdout,
		"pinned the program's signing key %s from %s in %s (trust on first use: compare the key id "
		"with the one the program published)\n",
		id, f->cli->url, pin);
out:
	fw_buf_cleanup(&text);
	return r;
}

/* DIR/.forewarn/witnesses.json: {"witnesses": [VKEY…], "quorum": N}, the
 * witnesses of the last run that gave --witness. */
static enum fw_err load_witnesses(struct fetch *f)
{
	char path[PATH_BYTES], quorum[24];
	const char *v[FW_CLI_MAX_VALUES];
	struct fw_buf text;
	json_t *j = NULL, *w, *q;
	enum fw_err r;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = join(path, f->state, WITNESS_FILE)) != FW_OK || access(path, F_OK) != 0 ||
	    (r = fw_cli_file_read(path, FW_CLI_MAX_SMALL_FILE_BYTES, &text)) != FW_OK)
		goto out;
	j = json_loadb(fw_buf_str(&text), text.len, JSON_REJECT_DUPLICATES, NULL);
	w = json_object_get(j, "witnesses");
	q = json_object_get(j, "quorum");
	size_t n = json_array_size(w); /* 0 when not an array */
	bool ok = json_is_array(w) && n <= FW_CLI_MAX_VALUES && json_is_integer(q);
	for (size_t i = 0; ok && i < n; i++)
		ok = (v[i] = json_string_value(json_array_get(w, i))) != NULL;
	fw_err_clear();
	if (ok) {
		snprintf(quorum, sizeof quorum, "%" JSON_INTEGER_FORMAT, json_integer_value(q));
		ok = fw_cli_log_witnesses(f->log, v, (int)n, quorum) == FW_OK;
	}
	if (!ok) {
		r = fw_err_set(FW_ERR_INVALID, "%s is damaged (%s); give --witness again, or remove it to require no "
			       "cosignatures", path, *fw_err_detail() ? fw_err_detail() : "not the witnesses and quorum");
		goto out;
	}
	f->witnesses_kept = true;
out:
	json_decref(j);
	fw_buf_cleanup(&text);
	return r;
}

static enum fw_err save_witnesses(struct fetch *f, const struct fw_cli_args *a)
{
	char path[PATH_BYTES];
	const char *v[FW_CLI_MAX_VALUES], *q = fw_cli_arg(a, "quorum");
	int n = fw_cli_arg_all(a, "witness", v, FW_CLI_MAX_VALUES);
	long long quorum = n;
	json_t *keys = json_array();
	enum fw_err r = FW_OK;
	for (int i = 0; keys && i < n; i++)
		if (json_array_append_new(keys, json_string(v[i])) != 0)
			r = FW_ERR_NOMEM;
	if (q && r == FW_OK)
		r = fw_cli_parse_int(q, 0, n, &quorum); /* accepted before */
	json_t *j = keys ? json_pack("{s:O,s:I}", "witnesses", keys, "quorum", (json_int_t)quorum) : NULL;
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (r == FW_OK && !text)
		r = FW_ERR_NOMEM;
	if (r == FW_OK && (r = join(path, f->state, WITNESS_FILE)) == FW_OK)
		r = fw_cli_file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	json_decref(j);
	json_decref(keys);
	return r;
}

static bool valid_saved(const json_t *saved)
{
	size_t i;
	json_t *id;
	char text[64];
	if (!json_is_array(saved))
		return false;
	json_array_foreach(saved, i, id)
		if (!fw_cli_id_text(id, text, sizeof text))
			return false;
	return true;
}

/* DIR/.forewarn/state.json: {"after": ID, "saved": [ID…], "updated_at": TIME} */
static enum fw_err load_state(struct fetch *f)
{
	char path[PATH_BYTES];
	struct fw_buf text;
	json_t *j = NULL;
	enum fw_err r;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = join(path, f->state, STATE_FILE)) != FW_OK || access(path, F_OK) != 0)
		goto out;
	if ((r = fw_cli_file_read(path, FW_CLI_MAX_SMALL_FILE_BYTES, &text)) != FW_OK)
		goto out;
	j = json_loadb(fw_buf_str(&text), text.len, 0, NULL);
	json_t *after = json_object_get(j, "after"), *saved = json_object_get(j, "saved");
	if (!json_is_object(j) || (after && !json_is_null(after) && !fw_cli_id_text(after, f->after, sizeof f->after)) ||
	    (saved && !valid_saved(saved))) {
		r = fw_err_set(FW_ERR_INVALID, "%s is damaged; remove it to fetch every copy again", path);
		goto out;
	}
	if (after && !json_is_null(after))
		f->after_id = json_incref(after);
	if (saved) {
		json_decref(f->saved);
		f->saved = json_incref(saved);
	}
out:
	json_decref(j);
	fw_buf_cleanup(&text);
	return r;
}

static enum fw_err save_state(struct fetch *f)
{
	char path[PATH_BYTES], now[FW_TIME_BYTES];
	enum fw_err r;
	fw_time_format((int64_t)time(NULL), now);
	json_t *j = json_pack("{s:O?,s:O,s:s}", "after", f->after_id, "saved", f->saved, "updated_at", now);
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!text)
		r = FW_ERR_NOMEM;
	else if ((r = join(path, f->state, STATE_FILE)) == FW_OK)
		r = fw_cli_file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	json_decref(j);
	return r;
}

static bool was_saved(const struct fetch *f, const json_t *id)
{
	size_t i;
	json_t *s;
	json_array_foreach(f->saved, i, s)
		if (json_equal(s, id))
			return true;
	return false;
}

/* Records a saved copy: it moves `after` while nothing failed before it, else
 * it is remembered in `saved` so that it is not fetched again. */
static enum fw_err note_saved(struct fetch *f, json_t *id)
{
	if (f->advancing) {
		json_decref(f->after_id);
		f->after_id = json_incref(id);
		json_t *keep = json_array();
		size_t i;
		json_t *s;
		if (!keep)
			return FW_ERR_NOMEM;
		/* numeric ids up to the new `after` are covered by it */
		json_array_foreach(f->saved, i, s)
			if (!json_is_integer(s) || !json_is_integer(id) || json_integer_value(s) > json_integer_value(id))
				json_array_append(keep, s);
		json_decref(f->saved);
		f->saved = keep;
	} else if (json_array_append(f->saved, id) != 0) {
		return FW_ERR_NOMEM;
	}
	return save_state(f);
}

/* The CVEs of an advisory for the report line ("" when they can't be had). */
static const char *cves_of(struct fetch *f, const char *advisory)
{
	const char *known = json_string_value(json_object_get(f->cves, advisory));
	if (known)
		return known;
	char text[512] = "";
	struct fw_buf path;
	json_t *adv = NULL;
	fw_buf_init(&path, 1024);
	if (fw_cli_path(&path, "/api/v1/advisories/", advisory, "") == FW_OK &&
	    fw_cli_get_json(f->cli, fw_buf_str(&path), &adv) == FW_OK)
		fw_cli_json_text(json_object_get(adv, "cves"), text, sizeof text);
	fw_err_clear();
	if (strcmp(text, "-") == 0)
		text[0] = '\0';
	json_object_set_new(f->cves, advisory, json_string(text));
	json_decref(adv);
	fw_buf_cleanup(&path);
	return json_string_value(json_object_get(f->cves, advisory)) ? json_string_value(json_object_get(f->cves, advisory)) : "";
}

/* Takes the fields of one listed delivery, refusing anything unsafe. */
static enum fw_err check_listing(const json_t *d, struct copy *c)
{
	const char *adv = fw_cli_jstr(d, "advisory"), *kind = fw_cli_jstr(d, "kind");
	const char *member = fw_cli_jstr(d, "member");
	const json_t *ver = json_object_get(d, "version");
	memset(c, 0, sizeof *c);
	c->id_json = json_object_get(d, "id");
	if (!fw_cli_id_text(json_object_get(d, "id"), c->id, sizeof c->id) || strspn(c->id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") != strlen(c->id) || !*c->id)
		return fw_err_set(FW_ERR_INVALID, "the server listed a delivery without a usable id");
	if (!fw_cli_is_slug(adv) || !fw_cli_is_slug(kind) || !fw_cli_is_slug(member))
		return fw_err_set(FW_ERR_INVALID, "delivery %s: the server sent an advisory, kind or member that is "
				  "not a slug; refused", c->id);
	if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > INT32_MAX)
		return fw_err_set(FW_ERR_INVALID, "delivery %s: the server sent a bad version", c->id);
	snprintf(c->advisory, sizeof c->advisory, "%s", adv);
	snprintf(c->kind, sizeof c->kind, "%s", kind);
	snprintf(c->member, sizeof c->member, "%s", member);
	c->version = (long long)json_integer_value(ver);
	c->media_type = fw_cli_jstr(d, "media_type");
	return FW_OK;
}

/* GET /api/v1/deliveries/{id}/{what} into out. */
static enum fw_err download(struct fetch *f, const struct copy *c, const char *what, size_t max,
			    struct fw_cli_resp *out)
{
	struct fw_buf path;
	enum fw_err r;
	char suffix[32];
	snprintf(suffix, sizeof suffix, "/%s", what);
	fw_buf_init(&path, 1024);
	struct fw_cli_req req = {.method = "GET", .max_response = max};
	if ((r = fw_cli_path(&path, "/api/v1/deliveries/", c->id, suffix)) == FW_OK) {
		req.path = fw_buf_str(&path);
		r = fw_cli_http(f->cli, &req, out);
	}
	fw_buf_cleanup(&path);
	return r;
}

/* The signature, then every field of its trusted comment against the listing. */
static enum fw_err verify(struct fetch *f, const struct copy *c, const struct fw_buf *copy,
			  const struct fw_buf *sig, struct fw_cli_tc *tc)
{
	char text[TC_BYTES];
	enum fw_err r = fw_minisign_verify(&f->key, copy->data, copy->len, fw_buf_str(sig), sig->len, text,
					   sizeof text);
	if (r == FW_ERR_CRYPTO)
		return fw_err_set(r, "the program's signature does not verify");
	if (r != FW_OK)
		return fw_err_set(r, "the signature file is malformed");
	if ((r = fw_cli_tc_parse(text, tc)) != FW_OK)
		return r;
	if (strcmp(tc->advisory, c->advisory) != 0 ||
	    strcmp(tc->kind, c->kind) != 0 || tc->version != c->version || strcmp(tc->member, c->member) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "the signed trusted comment names another copy ("
				  "advisory=%s kind=%s version=%lld member=%s)",
				  tc->advisory, tc->kind, tc->version, tc->member);
	return FW_OK;
}

static enum fw_err decrypt(struct fetch *f, const struct fw_buf *copy, const struct fw_cli_tc *tc,
			   struct fw_buf *plain)
{
	uint8_t h[FW_CRYPTO_HASH_BYTES];
	char hex[2 * FW_CRYPTO_HASH_BYTES + 1];
	if (fw_age_open(f->sk, copy->data, copy->len, plain) != FW_OK)
		return fw_err_set(FW_ERR_CRYPTO, "cannot decrypt with the identity given (is it this member's key?)");
	fw_crypto_sha256(plain->data, plain->len, h);
	fw_crypto_hex(h, sizeof h, hex);
	if (strcmp(hex, tc->sha256) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "the decrypted content's SHA-256 is not the signed one");
	return FW_OK;
}

/* Text when the listing says text/…, else binary; without a media type, text
 * when the bytes are UTF-8 without NUL. */
static bool is_text(const struct copy *c, const struct fw_buf *plain)
{
	if (c->media_type)
		return strncasecmp(c->media_type, "text/", 5) == 0;
	return memchr(fw_buf_str(plain), '\0', plain->len) == NULL && fw_utf8_valid(fw_buf_str(plain), plain->len);
}

static void remove_saved(struct copy *c)
{
	for (int i = 0; i < c->nfiles; i++)
		unlink(c->files[i]);
	c->nfiles = 0;
}

static enum fw_err save_one(struct copy *c, const char *dir, const char *name, const struct fw_buf *data)
{
	enum fw_err r;
	char *path = c->files[c->nfiles];
	if ((r = join(path, dir, name)) != FW_OK ||
	    (r = fw_cli_file_write_atomic(path, data->data ? (const void *)data->data : "", data->len, 0600)) != FW_OK)
		return r;
	c->nfiles++;
	return FW_OK;
}

/* Writes the copy, its signature and the plaintext (plain may be NULL). */
static enum fw_err save(struct fetch *f, struct copy *c, const struct fw_buf *copy, const struct fw_buf *sig,
			const struct fw_buf *plain)
{
	char dir[PATH_BYTES], name[FW_CLI_SLUG_MAX + 48];
	enum fw_err r;
	if ((r = join(dir, f->out, c->advisory)) != FW_OK || (r = fw_cli_dir_ensure(dir, 0700, false)) != FW_OK)
		return r;
	snprintf(name, sizeof name, "%s-v%lld.age", c->kind, c->version);
	if ((r = save_one(c, dir, name, copy)) != FW_OK)
		goto fail;
	snprintf(name, sizeof name, "%s-v%lld.age.minisig", c->kind, c->version);
	if ((r = save_one(c, dir, name, sig)) != FW_OK)
		goto fail;
	if (plain) {
		snprintf(name, sizeof name, "%s-v%lld.%s", c->kind, c->version, is_text(c, plain) ? "txt" : "bin");
		if ((r = save_one(c, dir, name, plain)) != FW_OK)
			goto fail;
	}
	return FW_OK;
fail:
	remove_saved(c);
	return r;
}

/* DIR/ADVISORY/KIND-vN.age.tlog-proof: the c2sp tlog-proof receipt. */
static enum fw_err save_receipt(struct fetch *f, struct copy *c, const struct fw_buf *receipt)
{
	char dir[PATH_BYTES], name[FW_CLI_SLUG_MAX + 48];
	enum fw_err r;
	if ((r = join(dir, f->out, c->advisory)) != FW_OK)
		return r;
	snprintf(name, sizeof name, "%s-v%lld.age.tlog-proof", c->kind, c->version);
	return save_one(c, dir, name, receipt);
}

static void report(struct fetch *f, const struct copy *c, const char *error)
{
	char line[PATH_BYTES + 512];
	const char *cves = error ? "" : cves_of(f, c->advisory);
	int n = snprintf(line, sizeof line, "%s: %s%sadvisory %s %s v%lld: ", c->member, cves, *cves ? " " : "",
			 c->advisory, c->kind, c->version);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	if (error)
		snprintf(line + n, sizeof line - (size_t)n, "FAILED: %s; nothing of it was kept", error);
	else
		snprintf(line + n, sizeof line - (size_t)n, "verified%s -> %s", f->decrypt ? ", decrypted" : "",
			 c->files[f->decrypt ? 2 : 0]);
	fw_cli_sanitize(line, false);
	if (error)
		fw_cli_error("%s", line);
	else if (!f->cli->json)
		printf("%s\n", line);
	if (!f->report)
		return;
	json_t *files = json_array();
	for (int i = 0; files && i < c->nfiles && !error; i++)
		json_array_append_new(files, json_string(c->files[i]));
	json_array_append_new(f->report, json_pack("{s:O,s:s,s:s,s:s,s:I,s:s,s:s?,s:o}", "delivery", c->id_json,
						     "member", c->member, "advisory", c->advisory, "kind", c->kind,
						     "version", (json_int_t)c->version, "status",
						     error ? "failed" : "verified", "error", error, "files",
						     files ? files : json_null()));
}

/* --ack: acknowledges the copy just verified (fw_cli_ack_copy signs only
 * the statement of what was verified here). A failure is reported; the
 * copy stays saved. */
static void ack_copy(struct fetch *f, const struct copy *c, const struct fw_buf *copy, const struct fw_cli_tc *tc,
		     const struct fw_buf *receipt)
{
	struct fw_cli_ack_copy a = {.delivery_id = c->id, .member = c->member, .advisory = c->advisory,
				    .kind = c->kind, .version = c->version, .copy = copy->data, .copy_len = copy->len,
				    .plain_sha256 = tc->sha256, .receipt = fw_buf_str(receipt), .receipt_len = receipt->len};
	uint64_t index = 0;
	enum fw_err r = fw_cli_ack_copy(f->cli, &f->ack_key, &a, &index);
	if (r != FW_OK) {
		char why[600];
		snprintf(why, sizeof why, "%s", *fw_err_detail() ? fw_err_detail() : fw_strerror(r));
		fw_cli_sanitize(why, false);
		fw_cli_error("delivery %s: NOT ACKNOWLEDGED: %s (the copy is kept; forewarn ack %s --minisign-key FILE "
			     "tries again)", c->id, why, c->id);
		f->ack_failed++;
		return;
	}
	f->acked++;
	if (f->report)
		json_object_set_new(json_array_get(f->report, json_array_size(f->report) - 1), "ack_index",
				    json_integer((json_int_t)index));
	else
		printf("%s: %s %s v%lld acknowledged: receipt entry at log index %" PRIu64 "\n", c->member, c->advisory,
		       c->kind, c->version, index);
}

/* One copy: download, verify, decrypt, save. FW_OK when it was saved. */
static enum fw_err process_copy(struct fetch *f, const json_t *d)
{
	struct copy c;
	struct fw_cli_resp copy, sig;
	struct fw_buf plain;
	struct fw_cli_tc tc;
	struct fw_buf receipt;
	enum fw_err r;
	fw_buf_init(&receipt, 0);
	fw_cli_resp_init(&copy);
	fw_cli_resp_init(&sig);
	fw_buf_init(&plain, FW_CLI_MAX_RESPONSE_BYTES);
	if ((r = check_listing(d, &c)) != FW_OK) {
		fw_cli_finish(r);
		goto out;
	}
	if ((r = download(f, &c, "copy", FW_CLI_MAX_RESPONSE_BYTES, &copy)) != FW_OK ||
	    (r = download(f, &c, "minisig", MAX_SIG_BYTES, &sig)) != FW_OK)
		goto fail;
	if ((r = verify(f, &c, &copy.body, &sig.body, &tc)) != FW_OK)
		goto fail;
	if (f->decrypt && (r = decrypt(f, &copy.body, &tc, &plain)) != FW_OK)
		goto fail;
	/* The copy must be in the transparency log, as the log says it is. */
	fw_buf_init(&receipt, FW_CLI_MAX_SMALL_FILE_BYTES * 32);
	if ((r = fw_cli_log_check_copy(f->log, c.id, copy.body.data, copy.body.len, c.member, c.advisory, c.kind,
				       c.version, tc.sha256, &receipt)) != FW_OK) {
		f->log_failed = r == FW_ERR_CRYPTO;
		goto fail;
	}
	if ((r = save(f, &c, &copy.body, &sig.body, f->decrypt ? &plain : NULL)) != FW_OK)
		goto fail;
	if ((r = save_receipt(f, &c, &receipt)) != FW_OK) {
		remove_saved(&c);
		goto fail;
	}
	report(f, &c, NULL);
	if (f->ack)
		ack_copy(f, &c, &copy.body, &tc, &receipt);
	goto out;
fail:;
	char why[600];
	snprintf(why, sizeof why, "%s", *fw_err_detail() ? fw_err_detail() : fw_strerror(r));
	report(f, &c, why);
out:
	fw_cli_resp_cleanup(&copy);
	fw_cli_resp_cleanup(&sig);
	fw_buf_cleanup_secret(&plain);
	fw_buf_cleanup(&receipt);
	return r;
}

static enum fw_err fetch_all(struct fetch *f)
{
	json_t *list = NULL;
	enum fw_err r;
	size_t i;
	json_t *d;
	if ((r = fw_cli_deliveries_all(f->cli, NULL, NULL, f->after, &list)) != FW_OK)
		return r;
	json_array_foreach(list, i, d) {
		json_t *id = json_object_get(d, "id");
		if (was_saved(f, id)) {
			if (f->advancing && (r = note_saved(f, id)) != FW_OK)
				break;
			continue;
		}
		f->n++;
		fw_err_clear();
		if (process_copy(f, d) != FW_OK) {
			f->failed++;
			f->advancing = false;
			if (f->log_failed) { /* a forked or rewritten log: stop at once */
				r = fw_err_set(FW_ERR_CRYPTO, "the transparency log failed verification; fetch stopped");
				break;
			}
			continue;
		}
		f->verified++;
		if ((r = note_saved(f, id)) != FW_OK)
			break;
	}
	json_decref(list);
	return r;
}

/* Reads the options that name local files: identity and program key. */
static int prepare(struct fetch *f, const struct fw_cli_args *a)
{
	struct fw_buf text;
	const char *v;
	int rc = FW_CLI_CONTINUE;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	v = fw_cli_arg(a, "out");
	snprintf(f->out, sizeof f->out, "%s", v && *v ? v : ".");
	for (size_t n = strlen(f->out); n > 1 && f->out[n - 1] == '/'; n--)
		f->out[n - 1] = '\0';
	if ((v = fw_cli_arg(a, "identity"))) {
		if (fw_cli_file_read(v, FW_CLI_MAX_SMALL_FILE_BYTES, &text) != FW_OK)
			rc = fw_cli_usage(&fetch_spec, "%s", fw_err_detail());
		else if (fw_age_identity_parse(fw_buf_str(&text), text.len, f->sk) != FW_OK)
			rc = fw_cli_usage(&fetch_spec, "%s is not an age identity (AGE-SECRET-KEY-1…)", v);
		f->decrypt = rc == FW_CLI_CONTINUE;
	}
	fw_buf_cleanup_secret(&text);
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	if (rc == FW_CLI_CONTINUE && (v = fw_cli_arg(a, "program-key"))) {
		if (fw_cli_file_read(v, FW_CLI_MAX_SMALL_FILE_BYTES, &text) != FW_OK)
			rc = fw_cli_usage(&fetch_spec, "%s", fw_err_detail());
		else if (parse_key_text(fw_buf_str(&text), text.len, v, &f->key) != FW_OK)
			rc = fw_cli_usage(&fetch_spec, "%s is not a minisign public key", v);
	}
	fw_buf_cleanup(&text);
	f->ack = fw_cli_flag(a, "ack");
	if (rc == FW_CLI_CONTINUE && f->ack != (fw_cli_arg(a, "minisign-key") != NULL))
		rc = fw_cli_usage(&fetch_spec, "--ack and --minisign-key FILE go together");
	if (rc == FW_CLI_CONTINUE && f->ack && fw_cli_ack_key_load(fw_cli_arg(a, "minisign-key"), &f->ack_key) != FW_OK)
		rc = fw_cli_usage(&fetch_spec, "%s", fw_err_detail());
	if (rc == FW_CLI_CONTINUE && !(f->log = fw_cli_log_new(f->cli)))
		rc = fw_cli_finish(FW_ERR_NOMEM);
	if (rc == FW_CLI_CONTINUE && fw_cli_arg(a, "quorum") && !fw_cli_arg(a, "witness"))
		rc = fw_cli_usage(&fetch_spec, "--quorum goes with --witness (the remembered quorum is replaced with "
				  "the keys)");
	if (rc == FW_CLI_CONTINUE && fw_cli_arg(a, "witness") && fw_cli_log_witness_args(f->log, a) != FW_OK)
		rc = fw_cli_usage(&fetch_spec, "%s", fw_err_detail());
	return rc;
}

static enum fw_err run(struct fetch *f, const struct fw_cli_args *a)
{
	bool witnesses_given = fw_cli_arg(a, "witness") != NULL;
	enum fw_err r;
	if ((r = fw_cli_dir_ensure(f->out, 0700, true)) != FW_OK || (r = join(f->state, f->out, ".forewarn")) != FW_OK ||
	    (r = fw_cli_dir_ensure(f->state, 0700, false)) != FW_OK)
		return r;
	if (!fw_cli_arg(a, "program-key") && (r = pinned_key(f)) != FW_OK)
		return r;
	if ((r = load_state(f)) != FW_OK || (!witnesses_given && (r = load_witnesses(f)) != FW_OK))
		return r;
	/* The log first: a forked or rewritten log, or a checkpoint short of
	 * the witnesses' quorum, means nothing is accepted or written. */
	if ((r = fw_cli_log_sync(f->log, f->state)) != FW_OK) {
		if (r == FW_ERR_STATE && f->witnesses_kept) {
			char why[600];
			snprintf(why, sizeof why, "%s", fw_err_detail());
			r = fw_err_set(r, "%s; the witnesses are those remembered in %s/%s (--witness replaces them)",
				       why, f->state, WITNESS_FILE);
		}
		return r;
	}
	if ((f->pin_key && (r = pin_key(f)) != FW_OK) || (witnesses_given && (r = save_witnesses(f, a)) != FW_OK))
		return r;
	return fetch_all(f);
}

int fw_cli_cmd_fetch(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	static struct fetch f;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &fetch_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	memset(&f, 0, sizeof f);
	f.cli = cli;
	f.advancing = true;
	f.cves = json_object();
	f.saved = json_array();
	f.report = cli->json ? json_array() : NULL;
	if ((rc = prepare(&f, &a)) != FW_CLI_CONTINUE)
		goto done;
	r = run(&f, &a);
	if (cli->json && f.report) {
		json_t *out = json_pack("{s:O,s:I,s:I,s:I}", "copies", f.report, "new", (json_int_t)f.n, "verified",
					(json_int_t)f.verified, "failed", (json_int_t)f.failed);
		if (out && f.ack)
			json_object_set_new(out, "acknowledged", json_integer((json_int_t)f.acked));
		if (out)
			fw_cli_print_json(out);
		json_decref(out);
	} else if (r == FW_OK || f.n > 0) {
		printf("%zu new cop%s, %zu verified, %zu failed", f.n, f.n == 1 ? "y" : "ies", f.verified, f.failed);
		if (f.ack)
			printf(", %zu acknowledged", f.acked);
		printf("\n");
	}
	rc = fw_cli_finish(r);
	if (rc == FW_CLI_EXIT_OK && f.failed > 0) {
		fw_cli_error("%zu cop%s failed verification; nothing of %s was kept", f.failed,
			     f.failed == 1 ? "y" : "ies", f.failed == 1 ? "it" : "them");
		rc = FW_CLI_EXIT_FAIL;
	}
	if (rc == FW_CLI_EXIT_OK && f.ack_failed > 0) {
		fw_cli_error("%zu cop%s could not be acknowledged", f.ack_failed, f.ack_failed == 1 ? "y" : "ies");
		rc = FW_CLI_EXIT_FAIL;
	}
done:
	fw_crypto_wipe(f.sk, sizeof f.sk);
	fw_crypto_wipe(&f.ack_key, sizeof f.ack_key);
	json_decref(f.cves);
	json_decref(f.report);
	json_decref(f.saved);
	json_decref(f.after_id);
	fw_cli_log_free(f.log);
	return rc;
}
