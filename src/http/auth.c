/* Bearer tokens. A token is 256 random bits shown once; the store keeps only
 * its BLAKE2b hash keyed with a program secret. The lookup compares keyed
 * hashes, never the token itself: timing of that comparison tells an
 * attacker nothing about a hash it cannot compute without the key. */
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/log.h"
#include "http/internal.h"

#define TOUCH_EVERY_S 60

enum fw_err fw_http_authenticate(struct fw_req *req, const char *authorization)
{
	struct fw_token t;
	uint8_t hash[FW_CRYPTO_HASH_BYTES];
	enum fw_err r;

	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return fw_err_set(FW_ERR_UNAUTHORIZED, "a bearer token is required (Authorization: Bearer fwt_…)");
	const char *tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	if (strlen(tok) != FW_CRYPTO_TOKEN_BYTES - 1 || strncmp(tok, "fwt_", 4) != 0)
		return fw_err_set(FW_ERR_UNAUTHORIZED, "the token is malformed");
	fw_crypto_token_hash(req->app->token_key, tok, hash);
	r = fw_store_token_find(req->app->store, hash, &t);
	if (r == FW_ERR_NOT_FOUND)
		return fw_err_set(FW_ERR_UNAUTHORIZED, "the token is not valid");
	if (r != FW_OK)
		return r;
	int64_t now = fw_clock_now();
	if (t.revoked_at)
		return fw_err_set(FW_ERR_UNAUTHORIZED, "the token was revoked");
	if (t.expires_at && now >= t.expires_at)
		return fw_err_set(FW_ERR_UNAUTHORIZED, "the token has expired");
	if (now - t.last_used_at >= TOUCH_EVERY_S && fw_store_token_touch(req->app->store, t.id, now) != FW_OK)
		fw_log_warn("http", "could not record use of token %s", t.id);
	req->auth.authenticated = true;
	req->auth.role = t.role;
	snprintf(req->auth.token_id, sizeof req->auth.token_id, "%s", t.id);
	snprintf(req->auth.member_id, sizeof req->auth.member_id, "%s", t.member_id);
	return FW_OK;
}
