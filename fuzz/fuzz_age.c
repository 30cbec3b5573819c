/* libFuzzer target for the parsers of untrusted crypto input: age files,
 * age recipients and identity files, minisign public keys and signatures.
 *
 * The seeds in fuzz/corpus/age/ were made with the real tools for the fixed
 * keys below (test keys, secret only to the fuzzer), so mutations of them get
 * past the header MAC into the payload and past the key id into signature
 * checks. Besides "no crash", the target checks two properties: an age file
 * never opens to more bytes than it has, and seal-then-open returns the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char identity_text[] =
	"# public key: age1kww43mazp8d5cvqfsk3wjhxvjp5gv0ts263h3zdv7r8pgpg6sessazgsel\n"
	"AGE-SECRET-KEY-1P2V4KDFZZQW3AHLM3UEZPCWZLE5JG2HX78NCF8AK4932K7L0H7MQZ6Y4WU\n";
static const char recipient[] = "age1kww43mazp8d5cvqfsk3wjhxvjp5gv0ts263h3zdv7r8pgpg6sessazgsel";
static const char minisign_pub[] = "RWTKfrDmudndiWuBRDL38DG4IEezCyl3P9riNc7pcF0P81qFGJ43tMDR";
static const char signed_msg[] = "forewarn";

static uint8_t age_sk[32], age_pk[32];
static struct fw_verify_key vk;

static void setup(void)
{
	if (fw_crypto_init() != FW_OK ||
	    fw_age_identity_parse(identity_text, strlen(identity_text), age_sk) != FW_OK ||
	    fw_age_recipient_parse(recipient, age_pk) != FW_OK ||
	    fw_minisign_public_parse(minisign_pub, strlen(minisign_pub), &vk) != FW_OK)
		abort();
}

static void fuzz_age(const uint8_t *data, size_t size)
{
	struct fw_buf out, sealed;

	fw_buf_init(&out, FW_CRYPTO_AGE_MAX_BYTES);
	if (fw_age_open(age_sk, data, size, &out) == FW_OK && out.len >= size)
		abort();
	fw_buf_cleanup(&out);

	fw_buf_init(&sealed, FW_CRYPTO_AGE_MAX_BYTES);
	fw_buf_init(&out, FW_CRYPTO_AGE_MAX_BYTES);
	if (fw_age_seal(age_pk, data, size, &sealed) != FW_OK ||
	    fw_age_open(age_sk, sealed.data, sealed.len, &out) != FW_OK || out.len != size ||
	    (size && memcmp(out.data, data, size) != 0))
		abort();
	fw_buf_cleanup(&sealed);
	fw_buf_cleanup(&out);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	uint8_t key[32];
	struct fw_verify_key pub;
	struct fw_sign_key sec;
	char tc[8192];

	/* recipients are C strings */
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (fw_age_recipient_parse(s, key) == FW_OK && strncmp(s, "age1", 4) != 0)
		abort();
	free(s);

	if (fw_age_identity_parse((const char *)data, size, key) == FW_OK)
		fw_crypto_wipe(key, sizeof key);
	if (fw_minisign_public_parse((const char *)data, size, &pub) == FW_OK)
		fw_crypto_wipe(&pub, sizeof pub);
	if (fw_minisign_secret_parse((const char *)data, size, &sec) == FW_OK)
		fw_crypto_wipe(&sec, sizeof sec);
	if (fw_minisign_verify(&vk, (const uint8_t *)signed_msg, strlen(signed_msg),
			       (const char *)data, size, tc, sizeof tc) == FW_OK &&
	    strlen(tc) >= size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		setup();
		ready = 1;
	}
	fuzz_age(data, size);
	fuzz_text(data, size);
	return 0;
}
