/* forewarn log: checkpoint | proof | verify | audit | witness |
 * witness-keygen | cosign, and the log checks of `forewarn fetch`
 * (fw_cli_log_*).
 *
 * Everything the server sends is checked here with the pure log code of
 * src/tlog (signatures, proofs, tiles), never trusted: a checkpoint must be
 * signed by the log key the user trusts (given, pinned, or - announced as
 * such - taken from /api/v1/program on first use), cosigned by --quorum of
 * the --witness keys given, and a newer checkpoint must be consistent with
 * every older one this client has seen. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"
#include "tlog/tlog.h"

#define VKEY_FILE "log.vkey"
#define CHECKPOINT_FILE "checkpoint"
#define PATH_BYTES 4096

/* Witness keys one verification may require (the log key is the 64th). */
#define WITNESSES_MAX (FW_TLOG_KEYS_MAX - 1)

struct fw_cli_log {
	struct fw_cli *cli;
	struct fw_tlog_vkey key;
	struct fw_tlog_vkey witnesses[WITNESSES_MAX];
	struct fw_tlog_policy pol; /* the newest checkpoint: log key and witness quorum */
	struct fw_buf note; /* the newest checkpoint verified */
	struct fw_tlog_checkpoint cp;
};

static void log_init(struct fw_cli_log *l, struct fw_cli *cli)
{
	memset(l, 0, sizeof *l);
	l->cli = cli;
	fw_buf_init(&l->note, FW_TLOG_NOTE_MAX);
}

static void log_cleanup(struct fw_cli_log *l) { fw_buf_cleanup(&l->note); }

static void log_set_key(struct fw_cli_log *l, const struct fw_tlog_vkey *k)
{
	l->key = *k;
	l->pol.origin = NULL; /* the key's name */
	l->pol.log_key = &l->key;
}

/* For a checkpoint kept from before or an older one the server sends with
 * a proof: the log's signature only. Cosignatures are required of the
 * newest checkpoint, the one being trusted now; an older one may have
 * been signed before the witnesses came by. */
static struct fw_tlog_policy log_only(const struct fw_cli_log *l)
{
	struct fw_tlog_policy p = l->pol;
	p.witnesses = NULL;
	p.n_witnesses = 0;
	p.quorum = 0;
	return p;
}

static enum fw_err get_raw(struct fw_cli *cli, const char *path, size_t max, struct fw_cli_resp *out)
{
	struct fw_cli_req req = {.method = "GET", .path = path, .max_response = max};
	return fw_cli_http(cli, &req, out);
}

/* The key the server announces (not a trust anchor by itself). */
static enum fw_err server_key(struct fw_cli *cli, struct fw_tlog_vkey *out, char *text, size_t n)
{
	json_t *prog = NULL;
	enum fw_err r;
	if ((r = fw_cli_get_json_anon(cli, "/api/v1/program", &prog)) != FW_OK)
		return r;
	const char *v = fw_cli_jstr(prog, "log_verifier_key");
	if (!v || fw_tlog_vkey_parse(v, strlen(v), out) != FW_OK || out->type != FW_TLOG_SIG_ED25519)
		r = fw_err_set(FW_ERR_INVALID, "the server publishes no usable log verifier key");
	else
		snprintf(text, n, "%s", v);
	json_decref(prog);
	return r;
}

/* GET /log/checkpoint, opened under the trusted key into l->note, l->cp. */
static enum fw_err fetch_checkpoint(struct fw_cli_log *l)
{
	struct fw_cli_resp resp;
	struct fw_tlog_checkpoint cp;
	enum fw_err r;
	fw_cli_resp_init(&resp);
	if ((r = get_raw(l->cli, "/log/checkpoint", FW_TLOG_NOTE_MAX, &resp)) != FW_OK)
		goto out;
	if ((r = fw_tlog_checkpoint_open(fw_buf_str(&resp.body), resp.body.len, &l->pol, &cp)) != FW_OK) {
		struct fw_tlog_policy lo = log_only(l);
		char why[256];
		snprintf(why, sizeof why, "%s", fw_err_detail());
		/* Signed by the log but short of cosignatures: the witnesses have
		 * not seen this checkpoint (yet); no sign of a forked log. */
		if (l->pol.quorum && fw_tlog_checkpoint_open(fw_buf_str(&resp.body), resp.body.len, &lo, &cp) == FW_OK)
			r = fw_err_set(FW_ERR_STATE, "the log's checkpoint of size %" PRIu64 " is not cosigned by %zu of "
				       "the %zu witnesses given (%s); they may not have seen it yet",
				       cp.size, l->pol.quorum, l->pol.n_witnesses, why);
		else
			r = fw_err_set(FW_ERR_CRYPTO, "THE LOG'S CHECKPOINT DOES NOT VERIFY with key %s: %s",
				       l->key.name, why);
		goto out;
	}
	fw_buf_reset(&l->note);
	if ((r = fw_buf_append(&l->note, resp.body.data, resp.body.len)) != FW_OK)
		goto out;
	l->cp = cp;
	l->cp.ext = NULL; /* it pointed into resp */
	l->cp.ext_len = 0;
out:
	fw_cli_resp_cleanup(&resp);
	return r;
}

static enum fw_err proof_from_json(const json_t *arr, struct fw_tlog_proof *p)
{
	size_t i, got;
	json_t *h;
	if (!json_is_array(arr) || json_array_size(arr) > FW_TLOG_PROOF_MAX)
		return fw_err_set(FW_ERR_INVALID, "the server sent a malformed proof");
	p->n = 0;
	json_array_foreach(arr, i, h) {
		const char *s = json_string_value(h);
		if (!s || fw_crypto_base64_decode(s, strlen(s), p->hash[i], FW_TLOG_HASH_BYTES, &got) != FW_OK ||
		    got != FW_TLOG_HASH_BYTES)
			return fw_err_set(FW_ERR_INVALID, "the server sent a malformed proof hash");
		p->n++;
	}
	return FW_OK;
}

/* Checks that the trees (s1, r1) and (s2, r2) are one log, s1 <= s2, with a
 * consistency proof from the server. */
static enum fw_err check_consistent(struct fw_cli *cli, uint64_t s1, const uint8_t r1[32], uint64_t s2,
				    const uint8_t r2[32])
{
	char path[128];
	json_t *got = NULL;
	struct fw_tlog_proof p;
	enum fw_err r;
	if (s1 == 0)
		return FW_OK; /* the empty tree is a prefix of every tree */
	if (s1 == s2)
		return fw_crypto_equal(r1, r2, 32)
			       ? FW_OK
			       : fw_err_set(FW_ERR_CRYPTO, "two different signed trees of size %" PRIu64, s1);
	snprintf(path, sizeof path, "/api/v1/log/proof/consistency?from=%" PRIu64 "&to=%" PRIu64, s1, s2);
	if ((r = fw_cli_get_json(cli, path, &got)) != FW_OK || (r = proof_from_json(json_object_get(got, "proof"), &p)) != FW_OK)
		goto out;
	if (fw_tlog_consistency_verify(s1, s2, r1, r2, &p) != FW_OK)
		r = fw_err_set(FW_ERR_CRYPTO, "no consistency proof joins the tree of size %" PRIu64
			       " to that of size %" PRIu64, s1, s2);
out:
	json_decref(got);
	return r;
}

static void loud(const char *what)
{
	fw_cli_error("!!! THE TRANSPARENCY LOG FAILED VERIFICATION: %s", what);
	fw_cli_error("!!! The log may have been forked or rewritten. Nothing from this server was accepted.");
	fw_cli_error("!!! Keep the files in .forewarn/ as evidence and tell the program and your auditor.");
}

/* --- what fetch uses ----------------------------------------------------- */
struct fw_cli_log *fw_cli_log_new(struct fw_cli *cli)
{
	struct fw_cli_log *l = malloc(sizeof *l);
	if (l)
		log_init(l, cli);
	return l;
}

void fw_cli_log_free(struct fw_cli_log *l)
{
	if (!l)
		return;
	log_cleanup(l);
	free(l);
}

static enum fw_err join(char *out, const char *a, const char *b)
{
	if (snprintf(out, PATH_BYTES, "%s/%s", a, b) >= PATH_BYTES)
		return fw_err_set(FW_ERR_INVALID, "path too long: %s/%s", a, b);
	return FW_OK;
}

/* The log key pinned in path; on first use the server's, whose text goes
 * to fresh (else fresh is ""): it is pinned once the checkpoint it signed
 * has passed every check, so that a refused run pins nothing. */
static enum fw_err pinned_log_key(struct fw_cli_log *l, const char *path, char fresh[FW_TLOG_VKEY_BYTES])
{
	struct fw_tlog_vkey k, srv;
	struct fw_buf b;
	enum fw_err r = FW_OK;
	fresh[0] = '\0';
	fw_buf_init(&b, FW_CLI_MAX_SMALL_FILE_BYTES);
	if (access(path, F_OK) == 0) {
		if ((r = fw_cli_file_read(path, FW_CLI_MAX_SMALL_FILE_BYTES, &b)) != FW_OK)
			goto out;
		size_t n = b.len;
		while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
			n--;
		if (fw_tlog_vkey_parse(fw_buf_str(&b), n, &k) != FW_OK) {
			r = fw_err_set(FW_ERR_INVALID, "%s is not a log verifier key", path);
			goto out;
		}
		log_set_key(l, &k);
		goto out;
	}
	if ((r = server_key(l->cli, &srv, fresh, FW_TLOG_VKEY_BYTES)) != FW_OK)
		goto out;
	log_set_key(l, &srv);
out:
	fw_buf_cleanup(&b);
	return r;
}

static enum fw_err pin_log_key(struct fw_cli_log *l, const char *path, const char *text)
{
	char line[FW_TLOG_VKEY_BYTES + 1];
	int n = snprintf(line, sizeof line, "%s\n", text);
	enum fw_err r;
	if (n < 0 || (size_t)n >= sizeof line)
		return fw_err_set(FW_ERR_INVALID, "the log verifier key is too long");
	if ((r = fw_cli_file_write_atomic(path, line, (size_t)n, 0600)) != FW_OK)
		return r;
	fprintf(l->cli->json ? stderr : stdout,
		"pinned the log's verifier key %s in %s (trust on first use: compare it with the one the program "
		"published)\n",
		text, path);
	return FW_OK;
}

/* Fetches the newest checkpoint (the pinned key's, with the witnesses'
 * quorum) and checks it against the one kept in dir: consistency, never a
 * step back; then pins the key on first use and keeps the new one. */
enum fw_err fw_cli_log_sync(struct fw_cli_log *l, const char *dir)
{
	char path[PATH_BYTES], vkey_path[PATH_BYTES], fresh[FW_TLOG_VKEY_BYTES] = "";
	struct fw_buf old;
	struct fw_tlog_checkpoint oc;
	enum fw_err r;
	fw_buf_init(&old, FW_TLOG_NOTE_MAX);
	if ((r = join(vkey_path, dir, VKEY_FILE)) != FW_OK || (r = pinned_log_key(l, vkey_path, fresh)) != FW_OK ||
	    (r = join(path, dir, CHECKPOINT_FILE)) != FW_OK || (r = fetch_checkpoint(l)) != FW_OK)
		goto out;
	if (access(path, F_OK) == 0) {
		/* Kept from before: cosigned then or not, the log signed it. */
		struct fw_tlog_policy kept = log_only(l);
		if ((r = fw_cli_file_read(path, FW_TLOG_NOTE_MAX, &old)) != FW_OK)
			goto out;
		if (fw_tlog_checkpoint_open(fw_buf_str(&old), old.len, &kept, &oc) != FW_OK) {
			r = fw_err_set(FW_ERR_CRYPTO, "the checkpoint kept in %s does not verify", path);
			goto out;
		}
		if (oc.size > l->cp.size) {
			r = fw_err_set(FW_ERR_CRYPTO, "the server's checkpoint (size %" PRIu64 ") is older than the one "
				       "kept in %s (size %" PRIu64 "): the log was truncated or an old one is served",
				       l->cp.size, path, oc.size);
			goto out;
		}
		if ((r = check_consistent(l->cli, oc.size, oc.root, l->cp.size, l->cp.root)) != FW_OK)
			goto out;
	}
	if (fresh[0] && (r = pin_log_key(l, vkey_path, fresh)) != FW_OK)
		goto out;
	r = fw_cli_file_write_atomic(path, l->note.data, l->note.len, 0600);
out:
	if (r == FW_ERR_CRYPTO)
		loud(fw_err_detail());
	fw_buf_cleanup(&old);
	return r;
}

/* The opening's fields against what the copy claims to be. */
static enum fw_err check_opening(const char *opening, const char *member, const char *advisory, const char *kind,
				 long long version, const char *plain_hex)
{
	char want[FW_TLOG_OPENING_BYTES];
	int n = snprintf(want, sizeof want,
			 "forewarn/log/delivery/v1\nmember %s\nadvisory %s\nkind %s\nversion %lld\nplain-sha256 %s\nnonce ",
			 member, advisory, kind, version, plain_hex);
	if (n < 0 || (size_t)n >= sizeof want || strncmp(opening, want, (size_t)n) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "the log entry's opening names another copy");
	const char *nonce = opening + n;
	if (strspn(nonce, "0123456789abcdef") != 64 || strcmp(nonce + 64, "\n") != 0)
		return fw_err_set(FW_ERR_CRYPTO, "the log entry's opening is malformed");
	return FW_OK;
}

/* The entry's commitment opens to `opening` and its sealed hash is the copy's. */
static enum fw_err check_entry(const char *entry, const char *opening, const uint8_t *copy, size_t copy_len)
{
	uint8_t h[32];
	char hex[65];
	json_t *e = json_loads(entry, JSON_REJECT_DUPLICATES, NULL);
	enum fw_err r = FW_OK;
	const char *c = fw_cli_jstr(e, "commitment"), *s = fw_cli_jstr(e, "sealed_sha256");
	const char *type = fw_cli_jstr(e, "type");
	if (!c || !s || !type || strcmp(type, "delivery") != 0 || json_integer_value(json_object_get(e, "v")) != 1) {
		r = fw_err_set(FW_ERR_CRYPTO, "the log entry is not a delivery entry of version 1");
		goto out;
	}
	fw_crypto_sha256(opening, strlen(opening), h);
	fw_crypto_hex(h, 32, hex);
	if (strcmp(hex, c) != 0) {
		r = fw_err_set(FW_ERR_CRYPTO, "the log entry's commitment does not open to this copy");
		goto out;
	}
	fw_crypto_sha256(copy, copy_len, h);
	fw_crypto_hex(h, 32, hex);
	if (strcmp(hex, s) != 0)
		r = fw_err_set(FW_ERR_CRYPTO, "the log entry records another sealed copy");
out:
	json_decref(e);
	return r;
}

/* The receipt's checkpoint against the one trusted: same log. */
static enum fw_err check_receipt_tree(struct fw_cli_log *l, const struct fw_tlog_checkpoint *rc)
{
	if (rc->size >= l->cp.size)
		return check_consistent(l->cli, l->cp.size, l->cp.root, rc->size, rc->root);
	return check_consistent(l->cli, rc->size, rc->root, l->cp.size, l->cp.root);
}

/* With witnesses required, the entry must be in a tree they cosigned: the
 * trusted checkpoint's (index below its size; the receipt's tree extends
 * or is a prefix of it, as checked), else the receipt's own checkpoint
 * must carry the quorum - it is newer when the log grew after the sync. */
static enum fw_err check_receipt_witnessed(const struct fw_cli_log *l, const struct fw_tlog_receipt *rr)
{
	struct fw_tlog_checkpoint c;
	if (l->pol.quorum == 0 || rr->index < l->cp.size ||
	    fw_tlog_checkpoint_open(rr->note, rr->note_len, &l->pol, &c) == FW_OK)
		return FW_OK;
	return fw_err_set(FW_ERR_STATE, "the copy's log entry %" PRIu64 " is in no checkpoint cosigned by %zu of the "
			  "%zu witnesses given yet (the one cosigned has %" PRIu64 " entries); the next fetch tries again",
			  rr->index, l->pol.quorum, l->pol.n_witnesses, l->cp.size);
}

enum fw_err fw_cli_log_check_copy(struct fw_cli_log *l, const char *delivery_id, const uint8_t *copy,
				  size_t copy_len, const char *member, const char *advisory, const char *kind,
				  long long version, const char *plain_hex, struct fw_buf *receipt_out)
{
	struct fw_buf path;
	json_t *got = NULL;
	struct fw_tlog_checkpoint rc;
	struct fw_tlog_receipt rr;
	struct fw_tlog_policy lo = log_only(l);
	uint8_t leaf[FW_TLOG_HASH_BYTES];
	enum fw_err r;
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, "/api/v1/deliveries/", delivery_id, "/receipt")) != FW_OK ||
	    (r = fw_cli_get_json(l->cli, fw_buf_str(&path), &got)) != FW_OK)
		goto out;
	const char *entry = fw_cli_jstr(got, "entry"), *opening = fw_cli_jstr(got, "opening");
	const char *receipt = fw_cli_jstr(got, "receipt");
	if (!entry || !opening || !receipt) {
		r = fw_err_set(FW_ERR_INVALID, "the server sent an incomplete receipt");
		goto out;
	}
	fw_tlog_leaf_hash((const uint8_t *)entry, strlen(entry), leaf);
	/* The log's signature here; the witnesses' below, where they are needed. */
	if (fw_tlog_receipt_verify(receipt, strlen(receipt), leaf, &lo, &rr, &rc) != FW_OK) {
		r = fw_err_set(FW_ERR_CRYPTO, "the copy's log receipt does not verify: %s", fw_err_detail());
		goto out;
	}
	if ((r = check_receipt_tree(l, &rc)) != FW_OK || (r = check_receipt_witnessed(l, &rr)) != FW_OK ||
	    (r = check_entry(entry, opening, copy, copy_len)) != FW_OK ||
	    (r = check_opening(opening, member, advisory, kind, version, plain_hex)) != FW_OK)
		goto out;
	if (receipt_out)
		r = fw_buf_puts(receipt_out, receipt);
out:
	if (r == FW_ERR_CRYPTO)
		loud(fw_err_detail());
	json_decref(got);
	fw_buf_cleanup(&path);
	return r;
}

/* --- forewarn log … ------------------------------------------------------ */
static const struct fw_cli_opt key_opts[] = {
	{"log-key", "VKEY", false, false, "the log's verifier key name+hex8+base64 (default: the server's, untrusted)"},
	FW_CLI_LOG_WITNESS_OPTS,
	{NULL, NULL, false, false, NULL},
};

/* The witness keys (each of type 0x04, none twice) and the quorum into l->pol. */
enum fw_err fw_cli_log_witnesses(struct fw_cli_log *l, const char *const *v, int n, const char *q)
{
	long long quorum = n;
	enum fw_err r;
	if (n < 0 || n > WITNESSES_MAX)
		return fw_err_set(FW_ERR_INVALID, "at most %d --witness keys", WITNESSES_MAX);
	for (int i = 0; i < n; i++) {
		struct fw_tlog_vkey *k = &l->witnesses[i];
		if (fw_tlog_vkey_parse(v[i], strlen(v[i]), k) != FW_OK || k->type != FW_TLOG_SIG_COSIG_V1)
			return fw_err_set(FW_ERR_INVALID, "--witness %.80s is not a cosignature verifier key "
				       "name+hex8+base64 of type 0x04", v[i]);
		for (int j = 0; j < i; j++)
			if (l->witnesses[j].id == k->id && strcmp(l->witnesses[j].name, k->name) == 0)
				return fw_err_set(FW_ERR_INVALID, "--witness %s is given twice", k->name);
	}
	if (q && (r = fw_cli_parse_int(q, 0, n, &quorum)) != FW_OK)
		return fw_err_set(r, "--quorum must be 0 to the number of --witness keys (%d)", n);
	l->pol.witnesses = n ? l->witnesses : NULL;
	l->pol.n_witnesses = (size_t)n;
	l->pol.quorum = (size_t)quorum;
	return FW_OK;
}

enum fw_err fw_cli_log_witness_args(struct fw_cli_log *l, const struct fw_cli_args *a)
{
	const char *v[WITNESSES_MAX + 1];
	int n = fw_cli_arg_all(a, "witness", v, WITNESSES_MAX + 1);
	return fw_cli_log_witnesses(l, v, n, fw_cli_arg(a, "quorum"));
}

/* --log-key, else the key the server announces (said so on stderr); and
 * the witnesses. */
static enum fw_err trust_key(struct fw_cli_log *l, const struct fw_cli_args *a)
{
	struct fw_tlog_vkey k;
	char text[FW_TLOG_VKEY_BYTES];
	const char *v = fw_cli_arg(a, "log-key");
	enum fw_err r;
	if ((r = fw_cli_log_witness_args(l, a)) != FW_OK)
		return r;
	if (v) {
		if (fw_tlog_vkey_parse(v, strlen(v), &k) != FW_OK || k.type != FW_TLOG_SIG_ED25519)
			return fw_err_set(FW_ERR_INVALID, "--log-key is not an Ed25519 verifier key name+hex8+base64");
		log_set_key(l, &k);
		return FW_OK;
	}
	if ((r = server_key(l->cli, &k, text, sizeof text)) != FW_OK)
		return r;
	fw_cli_error("note: trusting the log key the server announces, %s; pass --log-key to pin it", text);
	log_set_key(l, &k);
	return FW_OK;
}

static const struct fw_cli_spec checkpoint_spec = {
	"log checkpoint", "", 0, 0, key_opts,
	"Prints the log's newest checkpoint after verifying its signature."};

static int cmd_checkpoint(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_cli_log l;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &checkpoint_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	log_init(&l, cli);
	if ((r = trust_key(&l, &a)) == FW_OK && (r = fetch_checkpoint(&l)) == FW_OK)
		fwrite(l.note.data, 1, l.note.len, stdout);
	log_cleanup(&l);
	return fw_cli_finish(r);
}

static const struct fw_cli_opt proof_opts[] = {
	{"log-key", "VKEY", false, false, "the log's verifier key (default: the server's, untrusted)"},
	FW_CLI_LOG_WITNESS_OPTS,
	{"index", "N", false, false, "inclusion proof of entry N in the newest tree"},
	{"from", "SIZE", false, false, "consistency proof from the tree of SIZE to the newest"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec proof_spec = {
	"log proof", "", 0, 0, proof_opts,
	"Fetches and verifies an inclusion proof (--index, checked against the entry\n"
	"bundle's leaf hash) or a consistency proof (--from) against the newest checkpoint."};

static enum fw_err leaf_of(struct fw_cli *cli, uint64_t index, uint64_t size, uint8_t out[32]);

static enum fw_err run_proof(struct fw_cli_log *l, const struct fw_cli_args *a)
{
	long long v = 0;
	enum fw_err r;
	const char *idx = fw_cli_arg(a, "index"), *from = fw_cli_arg(a, "from");
	if ((idx != NULL) == (from != NULL))
		return fw_err_set(FW_ERR_INVALID, "give exactly one of --index and --from");
	if ((r = fw_cli_parse_int(idx ? idx : from, idx ? 0 : 1, INT64_MAX, &v)) != FW_OK ||
	    (r = fetch_checkpoint(l)) != FW_OK)
		return r;
	if (from) {
		if ((uint64_t)v > l->cp.size)
			return fw_err_set(FW_ERR_INVALID, "--from is past the newest tree (%" PRIu64 ")", l->cp.size);
		char path[128];
		json_t *got = NULL;
		struct fw_tlog_proof p;
		uint8_t r1[32];
		snprintf(path, sizeof path, "/api/v1/log/proof/consistency?from=%lld&to=%" PRIu64, v, l->cp.size);
		/* The older root comes from the older checkpoint, verified too. */
		struct fw_tlog_checkpoint oc;
		if ((r = fw_cli_get_json(l->cli, path, &got)) == FW_OK &&
		    (r = proof_from_json(json_object_get(got, "proof"), &p)) == FW_OK) {
			const char *n1 = fw_cli_jstr(got, "from_checkpoint");
			struct fw_tlog_policy older = log_only(l);
			if (!n1 || fw_tlog_checkpoint_open(n1, strlen(n1), &older, &oc) != FW_OK || oc.size != (uint64_t)v)
				r = fw_err_set(FW_ERR_CRYPTO, "no verifiable checkpoint of size %lld", v);
			else if (memcpy(r1, oc.root, 32), fw_tlog_consistency_verify((uint64_t)v, l->cp.size, r1, l->cp.root, &p) != FW_OK)
				r = fw_err_set(FW_ERR_CRYPTO, "the consistency proof does not verify");
			else
				printf("consistent: tree %lld -> %" PRIu64 " (%zu hashes)\n", v, l->cp.size, p.n);
		}
		json_decref(got);
		return r;
	}
	uint8_t leaf[32];
	if ((uint64_t)v >= l->cp.size)
		return fw_err_set(FW_ERR_INVALID, "--index is past the newest tree (%" PRIu64 ")", l->cp.size);
	char path[128];
	json_t *got = NULL;
	struct fw_tlog_proof p;
	snprintf(path, sizeof path, "/api/v1/log/proof/inclusion?index=%lld&size=%" PRIu64, v, l->cp.size);
	if ((r = leaf_of(l->cli, (uint64_t)v, l->cp.size, leaf)) == FW_OK && (r = fw_cli_get_json(l->cli, path, &got)) == FW_OK &&
	    (r = proof_from_json(json_object_get(got, "proof"), &p)) == FW_OK) {
		if (fw_tlog_inclusion_verify((uint64_t)v, l->cp.size, leaf, &p, l->cp.root) != FW_OK)
			r = fw_err_set(FW_ERR_CRYPTO, "the inclusion proof of entry %lld does not verify", v);
		else
			printf("included: entry %lld in tree %" PRIu64 " (%zu hashes)\n", v, l->cp.size, p.n);
	}
	json_decref(got);
	return r;
}

static int cmd_proof(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_cli_log l;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &proof_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	log_init(&l, cli);
	if ((r = trust_key(&l, &a)) == FW_OK)
		r = run_proof(&l, &a);
	if (r == FW_ERR_CRYPTO)
		loud(fw_err_detail());
	log_cleanup(&l);
	return fw_cli_finish(r);
}

static const struct fw_cli_opt verify_opts[] = {
	{"log-key", "VKEY", false, false, "the log's verifier key (default: the server's, untrusted)"},
	FW_CLI_LOG_WITNESS_OPTS,
	{"from", "CHECKPOINT", false, true, "a signed checkpoint kept from before (file)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec verify_spec = {
	"log verify", "", 0, 0, verify_opts,
	"Checks that the log's newest checkpoint extends the one in --from (a\n"
	"consistency proof); exit status 1, loudly, when it does not."};

static int cmd_verify(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_cli_log l;
	struct fw_buf old;
	struct fw_tlog_checkpoint oc;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &verify_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	log_init(&l, cli);
	fw_buf_init(&old, FW_TLOG_NOTE_MAX);
	if ((r = trust_key(&l, &a)) != FW_OK ||
	    (r = fw_cli_file_read(fw_cli_arg(&a, "from"), FW_TLOG_NOTE_MAX, &old)) != FW_OK)
		goto out;
	struct fw_tlog_policy kept = log_only(&l);
	if (fw_tlog_checkpoint_open(fw_buf_str(&old), old.len, &kept, &oc) != FW_OK) {
		r = fw_err_set(FW_ERR_CRYPTO, "%s is not a checkpoint signed by the log key", fw_cli_arg(&a, "from"));
		goto out;
	}
	if ((r = fetch_checkpoint(&l)) != FW_OK)
		goto out;
	if (oc.size > l.cp.size) {
		r = fw_err_set(FW_ERR_CRYPTO, "the log's newest tree (%" PRIu64 ") is smaller than the kept one (%" PRIu64
			       "): truncated, or an old checkpoint is served", l.cp.size, oc.size);
		goto out;
	}
	if ((r = check_consistent(cli, oc.size, oc.root, l.cp.size, l.cp.root)) == FW_OK) {
		printf("consistent: the log's tree of %" PRIu64 " entries extends the kept one of %" PRIu64, l.cp.size,
		       oc.size);
		if (l.pol.n_witnesses)
			printf(", cosigned by at least %zu of the %zu witnesses given", l.pol.quorum, l.pol.n_witnesses);
		putchar('\n');
	}
out:
	if (r == FW_ERR_CRYPTO)
		loud(fw_err_detail());
	fw_buf_cleanup(&old);
	log_cleanup(&l);
	return fw_cli_finish(r);
}

/* --- audit --------------------------------------------------------------- */
/* A tile (or bundle) over HTTP. */
static enum fw_err get_tile(struct fw_cli *cli, const struct fw_tlog_tile *t, struct fw_cli_resp *resp)
{
	char tp[FW_TLOG_TILE_PATH_BYTES], path[FW_TLOG_TILE_PATH_BYTES + 8];
	enum fw_err r;
	if ((r = fw_tlog_tile_path(t, tp)) != FW_OK)
		return r;
	snprintf(path, sizeof path, "/log/%s", tp);
	fw_cli_resp_cleanup(resp);
	fw_cli_resp_init(resp);
	return get_raw(cli, path, FW_TLOG_TILE_BYTES + 256 * (FW_TLOG_ENTRY_MAX + 2), resp);
}

/* One leaf hash from its level-0 tile, checked against its entry bundle. */
static enum fw_err leaf_of(struct fw_cli *cli, uint64_t index, uint64_t size, uint8_t out[32])
{
	struct fw_tlog_tile t;
	struct fw_cli_resp h, b;
	enum fw_err r;
	fw_cli_resp_init(&h);
	fw_cli_resp_init(&b);
	if ((r = fw_tlog_tile_at(size, 0, index / FW_TLOG_TILE_WIDTH, &t)) != FW_OK || (r = get_tile(cli, &t, &h)) != FW_OK)
		goto out;
	t.entries = true;
	if ((r = get_tile(cli, &t, &b)) != FW_OK)
		goto out;
	if (h.body.len != (size_t)t.width * 32 || fw_tlog_bundle_verify(b.body.data, b.body.len, t.width, h.body.data) != FW_OK) {
		r = fw_err_set(FW_ERR_CRYPTO, "the entry bundle of tile %" PRIu64 " does not match its hashes", t.index);
		goto out;
	}
	memcpy(out, h.body.data + 32 * (index % FW_TLOG_TILE_WIDTH), 32);
out:
	fw_cli_resp_cleanup(&h);
	fw_cli_resp_cleanup(&b);
	return r;
}

struct audit {
	struct fw_cli *cli;
	uint8_t *leaves; /* size · 32 bytes */
	uint64_t size;
	size_t entries;
};

static enum fw_err audit_leaf(void *ctx, uint64_t index, uint8_t out[FW_TLOG_HASH_BYTES])
{
	struct audit *a = ctx;
	memcpy(out, a->leaves + 32 * index, 32);
	return FW_OK;
}

/* Every level-0 tile and entry bundle: each entry hashed again. */
static enum fw_err audit_leaves(struct audit *a)
{
	struct fw_cli_resp h, b;
	enum fw_err r = FW_OK;
	uint64_t tiles = fw_tlog_tile_count(a->size, 0);
	fw_cli_resp_init(&h);
	fw_cli_resp_init(&b);
	for (uint64_t i = 0; i < tiles && r == FW_OK; i++) {
		struct fw_tlog_tile t;
		if ((r = fw_tlog_tile_at(a->size, 0, i, &t)) != FW_OK || (r = get_tile(a->cli, &t, &h)) != FW_OK)
			break;
		t.entries = true;
		if ((r = get_tile(a->cli, &t, &b)) != FW_OK)
			break;
		if (h.body.len != (size_t)t.width * 32 ||
		    fw_tlog_bundle_verify(b.body.data, b.body.len, t.width, h.body.data) != FW_OK) {
			r = fw_err_set(FW_ERR_CRYPTO, "entry bundle %" PRIu64 " does not hash to its tile: an entry was "
				       "changed", i);
			break;
		}
		memcpy(a->leaves + 32 * i * FW_TLOG_TILE_WIDTH, h.body.data, h.body.len);
		a->entries += t.width;
	}
	fw_cli_resp_cleanup(&h);
	fw_cli_resp_cleanup(&b);
	return r;
}

/* The tiles above level 0: each hash is the root of the full tile below. */
static enum fw_err audit_upper(struct audit *a)
{
	struct fw_cli_resp h;
	enum fw_err r = FW_OK;
	unsigned levels = fw_tlog_tile_levels(a->size);
	fw_cli_resp_init(&h);
	for (unsigned L = 1; L < levels && r == FW_OK; L++) {
		uint64_t tiles = fw_tlog_tile_count(a->size, L);
		for (uint64_t i = 0; i < tiles && r == FW_OK; i++) {
			struct fw_tlog_tile t;
			if ((r = fw_tlog_tile_at(a->size, L, i, &t)) != FW_OK || (r = get_tile(a->cli, &t, &h)) != FW_OK)
				break;
			for (unsigned k = 0; k < t.width && r == FW_OK; k++) {
				/* hash k of this tile = MTH of 256^(L+1)… leaves = the subtree below */
				uint64_t span = (uint64_t)1 << (8 * L), first = ((i * FW_TLOG_TILE_WIDTH) + k) * span;
				uint8_t want[32];
				struct audit sub = *a;
				sub.leaves = a->leaves + 32 * first;
				if ((r = fw_tlog_mth(span, audit_leaf, &sub, want)) != FW_OK)
					break;
				if (h.body.len != (size_t)t.width * 32 || !fw_crypto_equal(want, h.body.data + 32 * k, 32))
					r = fw_err_set(FW_ERR_CRYPTO, "tile %u/%" PRIu64 " does not match the entries", L, i);
			}
		}
	}
	fw_cli_resp_cleanup(&h);
	return r;
}

static const struct fw_cli_opt audit_opts[] = {
	{"log-key", "VKEY", false, false, "the log's verifier key (default: the server's, untrusted)"},
	FW_CLI_LOG_WITNESS_OPTS,
	{"from", "CHECKPOINT", false, false, "also check that the tree extends this kept checkpoint"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec audit_spec = {
	"log audit", "", 0, 0, audit_opts,
	"Downloads every tile and entry bundle of the newest checkpoint's tree,\n"
	"hashes every entry again and recomputes every tile and the root; with\n"
	"--from, also recomputes the root of the kept checkpoint's tree. Exit 1,\n"
	"loudly, on any difference."};

static enum fw_err run_audit(struct fw_cli_log *l, const struct fw_cli_args *args)
{
	struct audit a = {l->cli, NULL, 0, 0};
	uint8_t root[32];
	enum fw_err r;
	if ((r = fetch_checkpoint(l)) != FW_OK)
		return r;
	a.size = l->cp.size;
	if (a.size > ((uint64_t)1 << 26))
		return fw_err_set(FW_ERR_TOO_LARGE, "the log is too large to audit in memory here");
	if (a.size && !(a.leaves = malloc(a.size * 32)))
		return FW_ERR_NOMEM;
	if ((r = audit_leaves(&a)) != FW_OK || (r = audit_upper(&a)) != FW_OK)
		goto out;
	if (a.size == 0)
		fw_tlog_empty_root(root);
	else if ((r = fw_tlog_mth(a.size, audit_leaf, &a, root)) != FW_OK)
		goto out;
	if (!fw_crypto_equal(root, l->cp.root, 32)) {
		r = fw_err_set(FW_ERR_CRYPTO, "the entries do not hash to the signed root of the tree of %" PRIu64, a.size);
		goto out;
	}
	const char *from = fw_cli_arg(args, "from");
	if (from) {
		struct fw_buf old;
		struct fw_tlog_checkpoint oc;
		fw_buf_init(&old, FW_TLOG_NOTE_MAX);
		if ((r = fw_cli_file_read(from, FW_TLOG_NOTE_MAX, &old)) == FW_OK) {
			struct fw_tlog_policy kept = log_only(l);
			if (fw_tlog_checkpoint_open(fw_buf_str(&old), old.len, &kept, &oc) != FW_OK)
				r = fw_err_set(FW_ERR_CRYPTO, "%s is not a checkpoint signed by the log key", from);
			else if (oc.size > a.size)
				r = fw_err_set(FW_ERR_CRYPTO, "the log (%" PRIu64 ") is smaller than the kept checkpoint (%" PRIu64 ")",
					       a.size, oc.size);
			else if (oc.size && ((r = fw_tlog_mth(oc.size, audit_leaf, &a, root)) != FW_OK || !fw_crypto_equal(root, oc.root, 32)))
				r = r != FW_OK ? r : fw_err_set(FW_ERR_CRYPTO, "the log's first %" PRIu64 " entries no longer hash to the kept checkpoint's root",
								 oc.size);
		}
		fw_buf_cleanup(&old);
		if (r != FW_OK)
			goto out;
	}
	printf("audit passed: %zu entries, %" PRIu64 " level-0 tiles, every tile and the root recomputed\n", a.entries,
	       fw_tlog_tile_count(a.size, 0));
out:
	free(a.leaves);
	return r;
}

static int cmd_audit(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_cli_log l;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &audit_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	log_init(&l, cli);
	if ((r = trust_key(&l, &a)) == FW_OK)
		r = run_audit(&l, &a);
	if (r == FW_ERR_CRYPTO)
		loud(fw_err_detail());
	log_cleanup(&l);
	return fw_cli_finish(r);
}

/* --- witnesses ----------------------------------------------------------- */
/* A witness key file (fw_tlog_skey_format, type 0x04), readable by its
 * owner only. */
static enum fw_err load_witness_key(const char *path, struct fw_sign_key *key, struct fw_tlog_vkey *vk)
{
	struct stat st;
	struct fw_buf b;
	enum fw_err r;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		return fw_err_set(FW_ERR_STATE, "%s is readable by others: run chmod 600 %s", path, path);
	fw_buf_init(&b, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = fw_cli_file_read(path, FW_CLI_MAX_SMALL_FILE_BYTES, &b)) == FW_OK &&
	    (fw_tlog_skey_parse(fw_buf_str(&b), b.len, key, vk) != FW_OK || vk->type != FW_TLOG_SIG_COSIG_V1))
		r = fw_err_set(FW_ERR_INVALID, "%s is not a witness key file (forewarn log witness-keygen)", path);
	fw_buf_cleanup_secret(&b);
	return r;
}

static const struct fw_cli_opt keygen_opts[] = {
	{"name", "NAME", false, true, "the witness's name, e.g. witness.example.org/w1 (no spaces, no '+')"},
	{"out", "FILE", false, true, "where to write the secret key (a new file, mode 0600)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec keygen_spec = {
	"log witness-keygen", "", 0, 0, keygen_opts,
	"Makes a witness key: writes the secret key to --out (PRIVATE+KEY+name+hex8+\n"
	"base64, readable by you only) and prints the verifier key name+hex8+base64\n"
	"(type 0x04, cosignature/v1) that the log's operator configures with\n"
	"forewarnd --witness."};

static int cmd_witness_keygen(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES];
	char sk[FW_TLOG_SKEY_BYTES], vk[FW_TLOG_VKEY_BYTES];
	struct fw_sign_key k;
	struct fw_tlog_vkey v;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &keygen_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *name = fw_cli_arg(&a, "name"), *out = fw_cli_arg(&a, "out");
	if (!fw_tlog_name_is_valid(name, strlen(name)))
		return fw_cli_usage(&keygen_spec, "--name must be 1 to %d bytes without spaces or '+'", FW_TLOG_NAME_MAX);
	if (access(out, F_OK) == 0)
		return fw_cli_finish(fw_err_set(FW_ERR_EXISTS, "%s exists; not overwritten", out));
	fw_crypto_random(seed, sizeof seed);
	if ((r = fw_tlog_skey_format(name, FW_TLOG_SIG_COSIG_V1, seed, sk)) == FW_OK &&
	    (r = fw_tlog_skey_parse(sk, strlen(sk), &k, &v)) == FW_OK && (r = fw_tlog_vkey_format(&v, vk)) == FW_OK) {
		size_t n = strlen(sk);
		sk[n] = '\n';
		r = fw_cli_file_write_atomic(out, sk, n + 1, 0600);
	}
	fw_crypto_wipe(seed, sizeof seed);
	fw_crypto_wipe(sk, sizeof sk);
	fw_crypto_wipe(&k, sizeof k);
	if (r == FW_OK) {
		if (cli->json) {
			json_t *j = json_pack("{s:s,s:s}", "verifier_key", vk, "key_file", out);
			fw_cli_print_json(j);
			json_decref(j);
		} else {
			printf("%s\n", vk);
			fprintf(stderr, "wrote the secret key to %s; give the verifier key above to the log's operator\n", out);
		}
	}
	return fw_cli_finish(r);
}

/* The checkpoint text of a file holding a checkpoint, signed or not: the
 * part before the signatures' blank line. */
static enum fw_err checkpoint_text_of(const struct fw_buf *b, size_t *text_len)
{
	struct fw_tlog_checkpoint cp;
	const char *s = fw_buf_str(b);
	size_t n = b->len;
	for (size_t i = n > 1 ? n - 1 : 0; i-- > 0;)
		if (s[i] == '\n' && s[i + 1] == '\n') {
			n = i + 1;
			break;
		}
	if (fw_tlog_checkpoint_parse(s, n, &cp) != FW_OK)
		return fw_err_set(FW_ERR_INVALID, "not a checkpoint (origin, size and root hash lines)");
	*text_len = n;
	return FW_OK;
}

static const struct fw_cli_opt cosign_opts[] = {
	{"key", "FILE", false, true, "the witness key file (forewarn log witness-keygen)"},
	{"time", "SECONDS", false, false, "the cosignature's time, POSIX seconds (default: now)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec cosign_spec = {
	"log cosign", "CHECKPOINT", 1, 1, cosign_opts,
	"Prints the cosignature/v1 line of the witness key over the checkpoint in\n"
	"the file CHECKPOINT (a signed note or its text), checking nothing else:\n"
	"for witnesses that check the log by other means. `forewarn log witness`\n"
	"checks the log first and hands the line in."};

static int cmd_cosign(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_sign_key k;
	struct fw_tlog_vkey v;
	struct fw_buf cp, line;
	size_t text_len = 0;
	long long t = (long long)time(NULL);
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &cosign_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	const char *ts = fw_cli_arg(&a, "time");
	if (ts && fw_cli_parse_int(ts, 0, INT64_MAX, &t) != FW_OK)
		return fw_cli_usage(&cosign_spec, "--time must be POSIX seconds");
	fw_buf_init(&cp, FW_TLOG_NOTE_MAX);
	fw_buf_init(&line, 4096);
	if ((r = load_witness_key(fw_cli_arg(&a, "key"), &k, &v)) != FW_OK)
		goto out;
	if ((r = fw_cli_file_read(a.pos[0], FW_TLOG_NOTE_MAX, &cp)) != FW_OK ||
	    (r = checkpoint_text_of(&cp, &text_len)) != FW_OK)
		goto out;
	if ((r = fw_tlog_cosign(fw_buf_str(&cp), text_len, v.name, &k, (uint64_t)t, &line)) != FW_OK)
		goto out;
	fwrite(line.data, 1, line.len, stdout);
out:
	fw_crypto_wipe(&k, sizeof k);
	fw_buf_cleanup(&cp);
	fw_buf_cleanup(&line);
	return fw_cli_finish(r);
}

static const struct fw_cli_opt witness_opts[] = {
	{"key", "FILE", false, true, "the witness key file (forewarn log witness-keygen)"},
	{"state", "FILE", false, false, "the last checkpoint this witness cosigned: the new one must extend it"},
	{"log-key", "VKEY", false, true,
	 "the log's verifier key name+hex8+base64 (required: a witness vouches for the log of this key, not for "
	 "whatever key the server names)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec witness_spec = {
	"log witness", "", 0, 0, witness_opts,
	"Acts as a witness once: fetches the log's newest checkpoint, verifies the\n"
	"log's signature and - with --state - that the tree extends the one in\n"
	"that file (a consistency proof; never smaller, never another tree of the\n"
	"same size), cosigns it (C2SP tlog-cosignature, cosignature/v1) and hands\n"
	"the line to the server (POST /api/v1/log/cosignatures; an auditor's or\n"
	"admin's token), then keeps the checkpoint in --state. Run it from cron\n"
	"or a loop; exit 1, loudly, when the log does not extend the kept one."};

/* The new checkpoint against the one in the state file, if there is one. */
static enum fw_err witness_check_state(struct fw_cli_log *l, const char *state)
{
	struct fw_buf old;
	struct fw_tlog_checkpoint oc;
	struct fw_tlog_policy kept = log_only(l);
	enum fw_err r = FW_OK;
	if (!state || access(state, F_OK) != 0) {
		fprintf(stderr, "note: no %s%s: nothing to check this checkpoint's consistency against\n",
			state ? "state file " : "--state", state ? state : "");
		return FW_OK;
	}
	fw_buf_init(&old, FW_TLOG_NOTE_MAX);
	if ((r = fw_cli_file_read(state, FW_TLOG_NOTE_MAX, &old)) != FW_OK)
		goto out;
	if (fw_tlog_checkpoint_open(fw_buf_str(&old), old.len, &kept, &oc) != FW_OK) {
		r = fw_err_set(FW_ERR_CRYPTO, "the checkpoint kept in %s is not signed by the log key", state);
		goto out;
	}
	if (oc.size > l->cp.size)
		r = fw_err_set(FW_ERR_CRYPTO, "the log's newest tree (%" PRIu64 ") is smaller than the one this witness "
			       "cosigned before (%" PRIu64 ")", l->cp.size, oc.size);
	else
		r = check_consistent(l->cli, oc.size, oc.root, l->cp.size, l->cp.root);
out:
	fw_buf_cleanup(&old);
	return r;
}

/* POSTs the line for the checkpoint of l->cp.size; prints what the server kept. */
static enum fw_err witness_post(struct fw_cli_log *l, const struct fw_buf *line)
{
	char path[96];
	struct fw_cli_resp resp;
	enum fw_err r;
	snprintf(path, sizeof path, "/api/v1/log/cosignatures?size=%" PRIu64, l->cp.size);
	struct fw_cli_req req = {.method = "POST", .path = path, .content_type = "text/plain",
				 .body = line->data, .body_len = line->len};
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_http(l->cli, &req, &resp)) == FW_OK) {
		const json_t *c = json_array_get(json_object_get(resp.json, "cosignatures"), 0);
		bool stored = json_is_true(json_object_get(c, "stored"));
		if (l->cli->json)
			fw_cli_print_json(resp.json);
		else
			printf("cosigned checkpoint %" PRIu64 " of %s%s\n", l->cp.size, l->cp.origin,
			       stored ? "" : " (the server had this witness's cosignature of it already)");
	}
	fw_cli_resp_cleanup(&resp);
	return r;
}

static enum fw_err run_witness(struct fw_cli_log *l, const struct fw_cli_args *a)
{
	struct fw_sign_key k;
	struct fw_tlog_vkey v;
	struct fw_tlog_note_info info;
	struct fw_buf line;
	const char *state = fw_cli_arg(a, "state");
	enum fw_err r;
	fw_buf_init(&line, 4096);
	if ((r = load_witness_key(fw_cli_arg(a, "key"), &k, &v)) != FW_OK || (r = fetch_checkpoint(l)) != FW_OK ||
	    (r = witness_check_state(l, state)) != FW_OK)
		goto out;
	/* What the witness cosigns is the checkpoint's text, the part the log signed. */
	if ((r = fw_tlog_note_verify(fw_buf_str(&l->note), l->note.len, &l->key, 1, &info)) != FW_OK ||
	    (r = fw_tlog_cosign(fw_buf_str(&l->note), info.text_len, v.name, &k, (uint64_t)time(NULL), &line)) != FW_OK ||
	    (r = witness_post(l, &line)) != FW_OK)
		goto out;
	if (state)
		r = fw_cli_file_write_atomic(state, l->note.data, l->note.len, 0600);
out:
	fw_crypto_wipe(&k, sizeof k);
	fw_buf_cleanup(&line);
	return r;
}

static int cmd_witness(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	struct fw_cli_log l;
	enum fw_err r;
	int rc = fw_cli_args_parse(cli, &witness_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	log_init(&l, cli);
	if ((r = trust_key(&l, &a)) == FW_OK)
		r = run_witness(&l, &a);
	if (r == FW_ERR_CRYPTO)
		loud(fw_err_detail());
	log_cleanup(&l);
	return fw_cli_finish(r);
}

static const struct fw_cli_cmd log_cmds[] = {
	{"checkpoint", cmd_checkpoint, "the newest signed checkpoint, verified"},
	{"proof", cmd_proof, "an inclusion (--index) or consistency (--from) proof, verified"},
	{"verify", cmd_verify, "check that the log extends a kept checkpoint"},
	{"audit", cmd_audit, "download every tile and entry bundle and recompute the tree"},
	{"witness", cmd_witness, "act as a witness: check the log, cosign its checkpoint, hand the line in"},
	{"witness-keygen", cmd_witness_keygen, "make a witness key file and print its verifier key"},
	{"cosign", cmd_cosign, "print a witness's cosignature line of a checkpoint file (no checks)"},
};

int fw_cli_cmd_log(struct fw_cli *cli, int argc, char **argv)
{
	return fw_cli_dispatch(cli, "forewarn log", log_cmds, sizeof log_cmds / sizeof log_cmds[0], argc, argv);
}
