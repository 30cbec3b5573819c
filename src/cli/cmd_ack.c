/* forewarn ack: the member acknowledges a delivered copy with its own
 * minisign key (docs/log.md, "Acknowledgements").
 *
 * The server gives the statement to sign; the client checks that it names
 * the copy the server lists (member, advisory, kind, version, both hashes)
 * before signing it, so that the member never signs a text it has not
 * looked at. `forewarn fetch --ack` goes further: it compares the statement
 * byte for byte with the one it builds from the copy, signature and log
 * receipt it has verified itself (fw_cli_ack_copy). The
 * signature is made here (an unencrypted minisign key) or by the real
 * minisign (--statement-out, then --signature). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http.h"
#include "cli/out.h"
#include "crypto/crypto.h"
#include "tlog/tlog.h"

#define SIG_FILE_MAX 16384u /* = FW_STORE_ACK_SIGNATURE_MAX, the server's limit */

static const struct fw_cli_opt ack_opts[] = {
	{"minisign-key", "FILE", false, false, "sign with this minisign secret key (unencrypted: minisign -G -W)"},
	{"signature", "FILE", false, false, "post this signature of the statement (made with minisign -S)"},
	{"statement-out", "FILE", false, false, "write the statement to FILE (to sign it with minisign -S)"},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec ack_spec = {
	"ack", "DELIVERY", 1, 1, ack_opts,
	"Acknowledges a delivered copy: signs the delivery's statement (which names the\n"
	"log, the delivery, the member, advisory, kind, version, both SHA-256 and the\n"
	"delivery's log index) with the member's minisign key and sends the signature;\n"
	"the server checks it against the key registered for the member and records a\n"
	"receipt entry in the transparency log. Prints the receipt entry's log index.\n"
	"With a password-protected key, sign with minisign itself:\n"
	"  forewarn ack ID --statement-out ack-ID.txt\n"
	"  minisign -S -s KEY -m ack-ID.txt\n"
	"  forewarn ack ID --signature ack-ID.txt.minisig\n"
	"Sending the same signature again changes nothing."};

/* The statement the server lists for delivery `id` must name the copy the
 * server lists under that id, and this log position. */
static enum fw_err check_statement(struct fw_cli *cli, const char *id, const char *statement, const char *origin,
				   const json_t *index)
{
	char want[FW_TLOG_ACK_STATEMENT_BYTES];
	struct fw_buf path;
	json_t *d = NULL;
	long long n = 0;
	enum fw_err r;
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, "/api/v1/deliveries/", id, "")) != FW_OK ||
	    (r = fw_cli_get_json(cli, fw_buf_str(&path), &d)) != FW_OK)
		goto out;
	const json_t *ver = json_object_get(d, "version");
	if (fw_cli_parse_int(id, 1, INT64_MAX, &n) != FW_OK || !json_is_integer(ver) || !json_is_integer(index) ||
	    json_integer_value(index) < 0) {
		r = fw_err_set(FW_ERR_INVALID, "the server's answer about delivery %s is malformed", id);
		goto out;
	}
	struct fw_tlog_ack_subject s = {.origin = origin,
					.delivery_id = n,
					.member_id = fw_cli_jstr(d, "member"),
					.advisory_id = fw_cli_jstr(d, "advisory"),
					.kind = fw_cli_jstr(d, "kind"),
					.version = (long long)json_integer_value(ver),
					.sealed_sha256 = fw_cli_jstr(d, "sha256_sealed"),
					.plain_sha256 = fw_cli_jstr(d, "sha256_plain"),
					.delivery_index = (uint64_t)json_integer_value(index)};
	if (fw_tlog_ack_statement(&s, want) != FW_OK || strcmp(want, statement) != 0)
		r = fw_err_set(FW_ERR_CRYPTO, "REFUSING TO SIGN: the statement the server gave for delivery %s does not "
				  "name the copy it lists under that id", id);
out:
	json_decref(d);
	fw_buf_cleanup(&path);
	return r;
}

/* GET …/ack: the statement to sign; the answer stays in *out. */
static enum fw_err get_statement(struct fw_cli *cli, const char *id, json_t **out, const char **statement)
{
	struct fw_buf path;
	enum fw_err r;
	fw_buf_init(&path, 1024);
	if ((r = fw_cli_path(&path, "/api/v1/deliveries/", id, "/ack")) == FW_OK &&
	    (r = fw_cli_get_json(cli, fw_buf_str(&path), out)) == FW_OK &&
	    (!(*statement = fw_cli_jstr(*out, "statement")) || !fw_cli_jstr(*out, "log_origin")))
		r = fw_err_set(FW_ERR_INVALID, "the server sent no statement for delivery %s", id);
	fw_buf_cleanup(&path);
	return r;
}

/* Not acknowledged yet and no key registered: say how to get one before
 * anything is signed. */
static enum fw_err need_registered_key(const json_t *got)
{
	const char *member = fw_cli_jstr(got, "member");
	if (json_is_false(json_object_get(got, "acked")) && json_is_false(json_object_get(got, "minisign_key_registered")))
		return fw_err_set(FW_ERR_STATE,
				  "member %s has no minisign public key registered: ask the program's operator to "
				  "register yours (forewarn member update %s --minisign-key KEY.pub), then run this again",
				  member ? member : "?", member ? member : "ID");
	return FW_OK;
}

/* POST …/ack with the signature file; *out gets the answer. */
static enum fw_err post_signature(struct fw_cli *cli, const char *id, const struct fw_buf *sig, json_t **out)
{
	struct fw_buf path;
	struct fw_cli_resp resp;
	enum fw_err r;
	fw_buf_init(&path, 1024);
	fw_cli_resp_init(&resp);
	if ((r = fw_cli_path(&path, "/api/v1/deliveries/", id, "/ack")) != FW_OK)
		goto out;
	struct fw_cli_req req = {.method = "POST", .path = fw_buf_str(&path), .content_type = "text/plain; charset=utf-8",
				 .body = sig->data, .body_len = sig->len};
	if ((r = fw_cli_http(cli, &req, &resp)) != FW_OK)
		goto out;
	if (!json_is_object(resp.json) || !json_is_integer(json_object_get(resp.json, "receipt_index"))) {
		r = fw_err_set(FW_ERR_INVALID, "the server's answer to the acknowledgement is malformed");
		goto out;
	}
	*out = json_incref(resp.json);
out:
	fw_cli_resp_cleanup(&resp);
	fw_buf_cleanup(&path);
	return r;
}

/* Signs the statement with k. The trusted comment is fixed, so signing the
 * same statement again gives the same bytes: a replay, not a conflict. */
static enum fw_err sign(const struct fw_sign_key *k, const char *id, const char *statement, struct fw_buf *sig)
{
	char tc[128];
	snprintf(tc, sizeof tc, "forewarn acknowledgement of delivery %s", id);
	return fw_minisign_sign(k, (const uint8_t *)statement, strlen(statement), "forewarn acknowledgement", tc, sig);
}

/* Acknowledges delivery `id`: its statement must be `expect` byte for byte
 * or, with expect NULL, name the copy the server lists under id; then it
 * is signed with k and sent, unless acknowledged already. */
static enum fw_err ack_sign(struct fw_cli *cli, const struct fw_sign_key *k, const char *id, const char *expect,
			    uint64_t *index)
{
	struct fw_buf sig;
	json_t *got = NULL, *done = NULL;
	const char *statement = NULL;
	enum fw_err r;
	fw_buf_init(&sig, SIG_FILE_MAX);
	if ((r = get_statement(cli, id, &got, &statement)) != FW_OK || (r = need_registered_key(got)) != FW_OK)
		goto out;
	if (expect && strcmp(expect, statement) != 0) {
		r = fw_err_set(FW_ERR_CRYPTO, "REFUSING TO SIGN: the statement the server gave for delivery %s is not the "
				  "one of the copy verified here", id);
		goto out;
	}
	if (!expect && (r = check_statement(cli, id, statement, fw_cli_jstr(got, "log_origin"),
					    json_object_get(got, "delivery_index"))) != FW_OK)
		goto out;
	/* Acknowledged already (perhaps with minisign itself): nothing to sign. */
	if (json_is_true(json_object_get(got, "acked")))
		done = json_incref(got);
	else if ((r = sign(k, id, statement, &sig)) != FW_OK || (r = post_signature(cli, id, &sig, &done)) != FW_OK)
		goto out;
	if (!json_is_integer(json_object_get(done, "receipt_index"))) {
		r = fw_err_set(FW_ERR_INVALID, "the server names no receipt entry for delivery %s", id);
		goto out;
	}
	*index = (uint64_t)json_integer_value(json_object_get(done, "receipt_index"));
out:
	json_decref(got);
	json_decref(done);
	fw_buf_cleanup(&sig);
	return r;
}

enum fw_err fw_cli_ack_copy(struct fw_cli *cli, const struct fw_sign_key *k, const struct fw_cli_ack_copy *c,
			    uint64_t *index)
{
	struct fw_tlog_receipt rc;
	char origin[FW_TLOG_NAME_BYTES + 1], sealed[65], statement[FW_TLOG_ACK_STATEMENT_BYTES];
	uint8_t h[FW_CRYPTO_HASH_BYTES];
	long long id = 0;
	enum fw_err r;
	if ((r = fw_tlog_receipt_parse(c->receipt, c->receipt_len, &rc)) != FW_OK ||
	    (r = fw_cli_parse_int(c->delivery_id, 1, INT64_MAX, &id)) != FW_OK)
		return r;
	/* The origin: the first line of the receipt's checkpoint. */
	const char *eol = memchr(rc.note, '\n', rc.note_len);
	size_t n = eol ? (size_t)(eol - rc.note) : 0;
	if (n == 0 || n >= sizeof origin)
		return fw_err_set(FW_ERR_INVALID, "the log receipt of delivery %s names no log", c->delivery_id);
	memcpy(origin, rc.note, n);
	origin[n] = '\0';
	fw_crypto_sha256(c->copy, c->copy_len, h);
	fw_crypto_hex(h, sizeof h, sealed);
	struct fw_tlog_ack_subject s = {.origin = origin,
					.delivery_id = id,
					.member_id = c->member,
					.advisory_id = c->advisory,
					.kind = c->kind,
					.version = c->version,
					.sealed_sha256 = sealed,
					.plain_sha256 = c->plain_sha256,
					.delivery_index = rc.index};
	if ((r = fw_tlog_ack_statement(&s, statement)) != FW_OK)
		return r;
	return ack_sign(cli, k, c->delivery_id, statement, index);
}

enum fw_err fw_cli_ack_key_load(const char *path, struct fw_sign_key *k)
{
	struct fw_buf text;
	enum fw_err r;
	fw_buf_init(&text, FW_CLI_MAX_SMALL_FILE_BYTES);
	if ((r = fw_cli_file_read(path, FW_CLI_MAX_SMALL_FILE_BYTES, &text)) != FW_OK)
		goto out;
	r = fw_minisign_secret_parse(fw_buf_str(&text), text.len, k);
	if (r == FW_ERR_UNSUPPORTED)
		r = fw_err_set(r, "%.200s is password-protected: forewarn reads only unencrypted minisign keys. Either "
				  "sign with minisign itself (forewarn ack ID --statement-out FILE; minisign -S -m FILE; "
				  "forewarn ack ID --signature FILE.minisig) or remove the password (minisign -C -W)",
			       path);
	else if (r != FW_OK)
		r = fw_err_set(FW_ERR_INVALID, "%.200s is not a minisign secret key", path);
out:
	fw_buf_cleanup_secret(&text);
	return r;
}

static void print_done(const struct fw_cli *cli, const json_t *done, const char *id, bool was_acked)
{
	if (cli->json) {
		fw_cli_print_json(done);
		return;
	}
	char at[64] = "";
	fw_cli_json_text(json_object_get(done, "acked_at"), at, sizeof at);
	fw_cli_sanitize(at, false);
	printf("delivery %s %s at %s: receipt entry at log index %" JSON_INTEGER_FORMAT "\n", id,
	       was_acked ? "was acknowledged already" : "acknowledged", at,
	       json_integer_value(json_object_get(done, "receipt_index")));
}

/* The statement (checked) to FILE, for signing with minisign. */
static enum fw_err write_statement(const char *file, const char *statement)
{
	enum fw_err r = fw_cli_file_write_atomic(file, statement, strlen(statement), 0644);
	if (r == FW_OK)
		fprintf(stderr, "statement written to %s; sign it with: minisign -S -s KEY -m %s\n", file, file);
	return r;
}

static int run(struct fw_cli *cli, const struct fw_cli_args *a)
{
	const char *id = a->pos[0], *key = fw_cli_arg(a, "minisign-key"), *sig_file = fw_cli_arg(a, "signature");
	const char *out = fw_cli_arg(a, "statement-out"), *statement = NULL;
	struct fw_sign_key k;
	struct fw_buf sig;
	json_t *got = NULL, *done = NULL;
	enum fw_err r;
	fw_buf_init(&sig, SIG_FILE_MAX);
	if (key && (r = fw_cli_ack_key_load(key, &k)) != FW_OK)
		goto out;
	if (sig_file && (r = fw_cli_file_read(sig_file, SIG_FILE_MAX, &sig)) != FW_OK)
		goto out;
	if ((r = get_statement(cli, id, &got, &statement)) != FW_OK)
		goto out;
	bool was_acked = json_is_true(json_object_get(got, "acked"));
	if ((r = check_statement(cli, id, statement, fw_cli_jstr(got, "log_origin"),
				 json_object_get(got, "delivery_index"))) != FW_OK)
		goto out;
	if (out && (r = write_statement(out, statement)) != FW_OK)
		goto out;
	if (!key && !sig_file)
		goto out; /* --statement-out alone */
	if (was_acked && !sig_file) { /* a signature given is still sent: the server tells a replay from a conflict */
		print_done(cli, got, id, true);
		goto out;
	}
	if ((r = need_registered_key(got)) != FW_OK || (key && (r = sign(&k, id, statement, &sig)) != FW_OK) ||
	    (r = post_signature(cli, id, &sig, &done)) != FW_OK)
		goto out;
	print_done(cli, done, id, was_acked);
out:
	fw_crypto_wipe(&k, sizeof k);
	json_decref(got);
	json_decref(done);
	fw_buf_cleanup(&sig);
	return fw_cli_finish(r);
}

int fw_cli_cmd_ack(struct fw_cli *cli, int argc, char **argv)
{
	struct fw_cli_args a;
	int rc = fw_cli_args_parse(cli, &ack_spec, argc, argv, &a);
	if (rc != FW_CLI_CONTINUE)
		return rc;
	bool key = fw_cli_arg(&a, "minisign-key") != NULL, sig = fw_cli_arg(&a, "signature") != NULL;
	if (key == sig && !(fw_cli_arg(&a, "statement-out") && !key))
		return fw_cli_usage(&ack_spec, "give --minisign-key FILE or --signature FILE (or --statement-out FILE alone)");
	long long n = 0;
	if (fw_cli_parse_int(a.pos[0], 1, INT64_MAX, &n) != FW_OK)
		return fw_cli_usage(&ack_spec, "\"%.40s\" is not a delivery id", a.pos[0]);
	return run(cli, &a);
}
