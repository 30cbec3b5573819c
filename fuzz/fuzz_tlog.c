/* libFuzzer target: everything of the transparency log that parses bytes a
 * member or an auditor receives from a server (or an attacker in between):
 * verifier keys, signed notes, checkpoints, receipts, tile paths, entry
 * bundles. Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static struct fw_tlog_vkey key;
	if (!ready) {
		struct fw_sign_key k;
		uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES] = {1};
		if (fw_crypto_init() != FW_OK)
			return 0;
		fw_crypto_ed25519_from_seed(seed, &k);
		if (fw_tlog_vkey_init(&key, "fuzz.example/log", FW_TLOG_SIG_ED25519, k.pk) != FW_OK)
			return 0;
		ready = 1;
	}
	const char *text = (const char *)data;
	struct fw_tlog_vkey vk;
	struct fw_tlog_note_info info;
	struct fw_tlog_checkpoint cp;
	struct fw_tlog_receipt rcpt;
	struct fw_tlog_tile tile;
	if (fw_tlog_vkey_parse(text, size, &vk) != FW_OK)
		(void)0;
	if (fw_tlog_note_verify(text, size, &key, 1, &info) != FW_OK)
		(void)0;
	if (fw_tlog_checkpoint_parse(text, size, &cp) != FW_OK)
		(void)0;
	if (fw_tlog_receipt_parse(text, size, &rcpt) != FW_OK)
		(void)0;
	if (fw_tlog_tile_path_parse(text, size, &tile) == FW_OK)
		(void)fw_tlog_tile_is_in_tree(&tile, 1000000);
	struct fw_tlog_bundle_iter it;
	fw_tlog_bundle_iter_init(&it, data, size);
	const uint8_t *entry;
	size_t n;
	for (int i = 0; i < 1000 && fw_tlog_bundle_next(&it, &entry, &n) == FW_OK; i++)
		;
	return 0;
}
