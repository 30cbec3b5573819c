/* libFuzzer target: what a log server parses of a witness's submission
 * (POST /api/v1/log/cosignatures: cosignature lines checked against a
 * checkpoint and the configured witness keys), and witness key files.
 * Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char text[] = "fuzz.example/log\n5\nfKo0Xb2JKmZFTWxlEuo8PqPw0+whvj/C4jdXBf049nI=\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static struct fw_tlog_vkey w[2];
	if (!ready) {
		struct fw_sign_key k;
		uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES] = {2};
		if (fw_crypto_init() != FW_OK)
			return 0;
		fw_crypto_ed25519_from_seed(seed, &k);
		if (fw_tlog_vkey_init(&w[0], "witness.example/w1", FW_TLOG_SIG_COSIG_V1, k.pk) != FW_OK)
			return 0;
		seed[0] = 3;
		fw_crypto_ed25519_from_seed(seed, &k);
		if (fw_tlog_vkey_init(&w[1], "witness.example/w2", FW_TLOG_SIG_COSIG_V1, k.pk) != FW_OK)
			return 0;
		ready = 1;
	}
	struct fw_tlog_cosig got[FW_TLOG_COSIG_LINES_MAX];
	size_t n = 0;
	if (fw_tlog_cosigs_check(text, sizeof text - 1, (const char *)data, size, w, 2, got, FW_TLOG_COSIG_LINES_MAX,
				 &n) == FW_OK) {
		for (size_t i = 0; i < n; i++)
			if (got[i].key >= 2 || got[i].line < (const char *)data ||
			    got[i].line + got[i].line_len > (const char *)data + size)
				__builtin_trap();
	}
	struct fw_sign_key sk;
	struct fw_tlog_vkey vk;
	if (fw_tlog_skey_parse((const char *)data, size, &sk, &vk) == FW_OK)
		fw_crypto_wipe(&sk, sizeof sk);
	return 0;
}
