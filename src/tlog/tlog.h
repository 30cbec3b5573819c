/* The transparency log's pure core: RFC 9162 Merkle hashing and proofs, and
 * the C2SP text and tile formats (docs/log.md). Nothing here does I/O or
 * touches the store; hashes and tiles come in through callbacks.
 *
 *   hashing      leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ l ‖ r)
 *   proofs       inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4)
 *   frontier     the O(log n) compact range for appending (group commit)
 *   notes        C2SP signed-note (Ed25519, type 0x01) and tlog-cosignature
 *                (cosignature/v1, type 0x04), verifier keys name+hex8+base64
 *   checkpoints  C2SP tlog-checkpoint: origin, size, base64 root, extensions
 *   tiles        C2SP tlog-tiles: tile/<L>/<N>[.p/<W>], tile/entries/<N>…,
 *                entry bundles of uint16-length-prefixed entries
 *   receipts     C2SP tlog-proof: c2sp.org/tlog-proof@v1, index, proof, note
 *
 * Errors: FW_ERR_INVALID for malformed input or arguments, FW_ERR_TOO_LARGE
 * for a passed limit, FW_ERR_CRYPTO when a proof or signature does not verify.
 * Out-parameters are written on success only; fw_buf outputs are appended to
 * and left as they were on failure. */
#ifndef FW_TLOG_TLOG_H
#define FW_TLOG_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/crypto.h"

#define FW_TLOG_HASH_BYTES 32
/* A tree of up to 2^64 - 1 leaves has at most 64 levels under its root. */
#define FW_TLOG_MAX_LEVELS 64
#define FW_TLOG_PROOF_MAX 64

/* --- hashing ------------------------------------------------------------ */

void fw_tlog_leaf_hash(const uint8_t *entry, size_t n, uint8_t out[FW_TLOG_HASH_BYTES]);
void fw_tlog_node_hash(const uint8_t left[FW_TLOG_HASH_BYTES],
		       const uint8_t right[FW_TLOG_HASH_BYTES], uint8_t out[FW_TLOG_HASH_BYTES]);
/* MTH of the empty tree: SHA-256 of nothing. */
void fw_tlog_empty_root(uint8_t out[FW_TLOG_HASH_BYTES]);

/* The leaf hash (not the entry) of leaf `index`. */
typedef enum fw_err (*fw_tlog_leaf_fn)(void *ctx, uint64_t index,
				       uint8_t out[FW_TLOG_HASH_BYTES]);
/* The hash of the complete subtree of 2^level leaves that starts at leaf
 * index << level: level 0 is a leaf hash. Proof generation asks only for
 * subtrees that are complete in the tree it works on. */
typedef enum fw_err (*fw_tlog_node_fn)(void *ctx, unsigned level, uint64_t index,
				       uint8_t out[FW_TLOG_HASH_BYTES]);
/* Told about a subtree hash that has just become complete. */
typedef enum fw_err (*fw_tlog_node_sink_fn)(void *ctx, unsigned level, uint64_t index,
					    const uint8_t hash[FW_TLOG_HASH_BYTES]);

/* MTH(D[0:size]) from the leaf hashes, in O(size) time and O(log size) space. */
enum fw_err fw_tlog_mth(uint64_t size, fw_tlog_leaf_fn leaf, void *ctx,
			uint8_t out[FW_TLOG_HASH_BYTES]) FW_WUR;
/* MTH(D[0:size]) from at most 64 complete subtrees. */
enum fw_err fw_tlog_tree_hash(uint64_t size, fw_tlog_node_fn node, void *ctx,
			      uint8_t out[FW_TLOG_HASH_BYTES]) FW_WUR;

/* A reference hash source over an array of leaf hashes, for tests and small
 * trees: node hashes are recomputed, O(2^level) each. */
struct fw_tlog_leaves {
	const uint8_t (*hash)[FW_TLOG_HASH_BYTES]; /* borrowed */
	uint64_t n;
};
enum fw_err fw_tlog_leaves_leaf(void *leaves, uint64_t index,
				uint8_t out[FW_TLOG_HASH_BYTES]) FW_WUR;
enum fw_err fw_tlog_leaves_node(void *leaves, unsigned level, uint64_t index,
				uint8_t out[FW_TLOG_HASH_BYTES]) FW_WUR;

/* --- frontier (compact range [0, size)) --------------------------------- */
/* The roots of the complete subtrees that tile [0, size): hash[k] is the
 * subtree of 2^k leaves, present iff bit k of size is set. Appending costs
 * about two SHA-256 on average and the root at most 63. */
struct fw_tlog_frontier {
	uint64_t size;
	uint8_t hash[FW_TLOG_MAX_LEVELS][FW_TLOG_HASH_BYTES];
};
/* Serialized: size (8 bytes, big-endian) ‖ the present hashes, highest level
 * first — 8 + 32 · popcount(size) bytes. */
#define FW_TLOG_FRONTIER_MAX_BYTES (8 + FW_TLOG_MAX_LEVELS * FW_TLOG_HASH_BYTES)

void fw_tlog_frontier_init(struct fw_tlog_frontier *f);
/* Appends one leaf hash. When sink is not NULL it is told of every subtree
 * the leaf completes, the leaf itself (level 0) first; a tile store keeps
 * those whose level is a multiple of 8. If the sink fails, f is unchanged.
 * FW_ERR_TOO_LARGE at 2^64 - 1 leaves. */
enum fw_err fw_tlog_frontier_append(struct fw_tlog_frontier *f,
				    const uint8_t leaf_hash[FW_TLOG_HASH_BYTES],
				    fw_tlog_node_sink_fn sink, void *ctx) FW_WUR;
void fw_tlog_frontier_root(const struct fw_tlog_frontier *f, uint8_t out[FW_TLOG_HASH_BYTES]);
/* Rebuilds the frontier of a tree of `size` from a hash source (e.g. stored
 * tiles after a restart): popcount(size) node reads. */
enum fw_err fw_tlog_frontier_load(struct fw_tlog_frontier *f, uint64_t size,
				  fw_tlog_node_fn node, void *ctx) FW_WUR;
/* Writes the serialized form into out (FW_TLOG_FRONTIER_MAX_BYTES suffice). */
enum fw_err fw_tlog_frontier_encode(const struct fw_tlog_frontier *f, uint8_t *out,
				    size_t out_bytes, size_t *out_len) FW_WUR;
enum fw_err fw_tlog_frontier_decode(const uint8_t *in, size_t n,
				    struct fw_tlog_frontier *out) FW_WUR;

/* --- proofs ------------------------------------------------------------- */
/* Hashes in RFC 9162 order: for inclusion, from the leaf's sibling upwards. */
struct fw_tlog_proof {
	size_t n;
	uint8_t hash[FW_TLOG_PROOF_MAX][FW_TLOG_HASH_BYTES];
};

/* PATH(index, D[0:size]). FW_ERR_INVALID unless index < size. */
enum fw_err fw_tlog_inclusion_proof(uint64_t index, uint64_t size, fw_tlog_node_fn node,
				    void *ctx, struct fw_tlog_proof *out) FW_WUR;
/* FW_OK iff the proof shows leaf_hash at index in the tree (size, root).
 * FW_ERR_INVALID unless index < size; FW_ERR_CRYPTO when it does not verify
 * (wrong hashes, too few or too many). */
enum fw_err fw_tlog_inclusion_verify(uint64_t index, uint64_t size,
				     const uint8_t leaf_hash[FW_TLOG_HASH_BYTES],
				     const struct fw_tlog_proof *p,
				     const uint8_t root[FW_TLOG_HASH_BYTES]) FW_WUR;
/* PROOF(size1, D[0:size2]); empty when size1 == size2. FW_ERR_INVALID unless
 * 0 < size1 <= size2. */
enum fw_err fw_tlog_consistency_proof(uint64_t size1, uint64_t size2, fw_tlog_node_fn node,
				      void *ctx, struct fw_tlog_proof *out) FW_WUR;
/* FW_OK iff the tree (size2, root2) extends (size1, root1). size1 == size2
 * needs an empty proof and equal roots. FW_ERR_INVALID unless
 * 0 < size1 <= size2; FW_ERR_CRYPTO when it does not verify. */
enum fw_err fw_tlog_consistency_verify(uint64_t size1, uint64_t size2,
				       const uint8_t root1[FW_TLOG_HASH_BYTES],
				       const uint8_t root2[FW_TLOG_HASH_BYTES],
				       const struct fw_tlog_proof *p) FW_WUR;

/* --- signed notes ------------------------------------------------------- */
#define FW_TLOG_NOTE_MAX (1024u * 1024u) /* a whole signed note, in bytes */
#define FW_TLOG_NOTE_SIGS_MAX 100        /* signature lines in a note */
#define FW_TLOG_NAME_MAX 255             /* bytes of a key name or origin */
#define FW_TLOG_NAME_BYTES (FW_TLOG_NAME_MAX + 1)
/* name + "+" + 8 hex + "+" + base64 of 33 bytes + NUL */
#define FW_TLOG_VKEY_BYTES (FW_TLOG_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define FW_TLOG_KEYS_MAX 64 /* verifier keys offered to one verification */
#define FW_TLOG_COSIG_TIME_MAX INT64_MAX

/* Signature type bytes (c2sp.org/signed-note). */
enum fw_tlog_sig_type {
	FW_TLOG_SIG_ED25519 = 0x01,   /* note signature over the text */
	FW_TLOG_SIG_COSIG_V1 = 0x04,  /* timestamped cosignature/v1 over a checkpoint */
};

/* A verifier key: who may sign, and how. */
struct fw_tlog_vkey {
	char name[FW_TLOG_NAME_BYTES];
	uint32_t id; /* SHA-256(name ‖ 0x0A ‖ type ‖ pk)[:4], big-endian */
	uint8_t type;
	uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES];
};

/* A key name is non-empty UTF-8 of at most FW_TLOG_NAME_MAX bytes with no
 * control character, no Unicode space and no '+'. */
bool fw_tlog_name_is_valid(const char *name, size_t n);
uint32_t fw_tlog_key_id(const char *name, uint8_t type, const uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES]);
enum fw_err fw_tlog_vkey_init(struct fw_tlog_vkey *out, const char *name,
			      enum fw_tlog_sig_type type,
			      const uint8_t pk[FW_CRYPTO_SIGN_PK_BYTES]) FW_WUR;
/* "<name>+<8 lower-case hex>+<base64(type ‖ pk)>" */
enum fw_err fw_tlog_vkey_format(const struct fw_tlog_vkey *k, char out[FW_TLOG_VKEY_BYTES]) FW_WUR;
/* Parses the form above (hex in either case). FW_ERR_UNSUPPORTED for a type
 * other than 0x01 and 0x04; FW_ERR_INVALID if the key id does not match. */
enum fw_err fw_tlog_vkey_parse(const char *s, size_t n, struct fw_tlog_vkey *out) FW_WUR;

/* Appends text, a blank line and the Ed25519 signature line of `name`
 * (type 0x01, key id from name and k->pk). The text must be non-empty,
 * end in a newline, be UTF-8 without control characters other than newline,
 * and not exceed the note limit once signed. */
enum fw_err fw_tlog_note_sign(const char *text, size_t n, const char *name,
			      const struct fw_sign_key *k, struct fw_buf *out) FW_WUR;
/* Appends the cosignature/v1 line ("— name base64(id ‖ time ‖ sig)\n") of
 * `name` over the note text of a checkpoint, at POSIX time t. The line goes
 * after the log's signature lines. */
enum fw_err fw_tlog_cosign(const char *text, size_t n, const char *name,
			   const struct fw_sign_key *k, uint64_t t, struct fw_buf *out) FW_WUR;

/* What a verified note is. */
struct fw_tlog_note_info {
	size_t text_len;                    /* the text is note[0..text_len) */
	uint64_t signed_by;                 /* bit i: keys[i] signed, and it verified */
	uint64_t time[FW_TLOG_KEYS_MAX];    /* cosignature time for type 0x04 keys */
};
/* Checks a signed note against up to FW_TLOG_KEYS_MAX verifier keys.
 * Signatures of unknown keys (name and id not both matching) are ignored;
 * every signature of a known key must verify, and at least one must be
 * present. FW_ERR_INVALID for a malformed note, FW_ERR_TOO_LARGE past
 * FW_TLOG_NOTE_MAX bytes or FW_TLOG_NOTE_SIGS_MAX signatures, FW_ERR_CRYPTO
 * for a bad or missing signature. */
enum fw_err fw_tlog_note_verify(const char *note, size_t n, const struct fw_tlog_vkey *keys,
				size_t nkeys, struct fw_tlog_note_info *out) FW_WUR;
/* Checks one signature line ("— name base64\n", the newline optional) over
 * text by key k: for collecting witness cosignatures before serving them.
 * FW_ERR_NOT_FOUND if the line is not k's; *time (may be NULL) gets the
 * cosignature time, 0 for type 0x01. */
enum fw_err fw_tlog_sig_line_verify(const char *text, size_t n, const char *line,
				    size_t line_len, const struct fw_tlog_vkey *k,
				    uint64_t *time) FW_WUR;

/* Signing keys kept in a file, as Go's note package writes them:
 *   "PRIVATE+KEY+<name>+<hex8>+<base64(type ‖ 32-byte Ed25519 seed)>"
 * with the key ID of the verifier key. The text is a secret: wipe it. */
#define FW_TLOG_SKEY_BYTES (12 + FW_TLOG_VKEY_BYTES)
enum fw_err fw_tlog_skey_format(const char *name, enum fw_tlog_sig_type type,
				const uint8_t seed[FW_CRYPTO_ED25519_SEED_BYTES],
				char out[FW_TLOG_SKEY_BYTES]) FW_WUR;
/* The inverse (a final newline is allowed): the signing key and its
 * verifier key (name, type, ID). FW_ERR_INVALID when the ID does not match. */
enum fw_err fw_tlog_skey_parse(const char *s, size_t n, struct fw_sign_key *key,
			       struct fw_tlog_vkey *vk) FW_WUR;

/* --- collecting witness cosignatures (a log server) --------------------- */
#define FW_TLOG_COSIG_LINES_MAX 64 /* lines one submission may carry */
/* One verified line of a submission. */
struct fw_tlog_cosig {
	size_t key;       /* index into the witness keys */
	uint64_t time;    /* the cosignature's timestamp */
	const char *line; /* borrowed from the submission; line_len excludes the newline */
	size_t line_len;
};
/* Checks a submission of cosignature lines ("— name base64", each ending
 * in a newline, the last one optionally) over a checkpoint's text: each
 * line must be a valid cosignature/v1 by one of the witness keys (keys of
 * another type are not witnesses), at most one per key. All or nothing:
 * FW_ERR_NOT_FOUND when a line's name and key ID are no witness key's,
 * FW_ERR_CRYPTO when a witness's line does not verify, FW_ERR_INVALID for
 * a malformed or empty submission or a key twice, FW_ERR_TOO_LARGE past
 * `max` (≤ FW_TLOG_COSIG_LINES_MAX) lines; each with a detail naming the
 * line. out has room for max lines. */
enum fw_err fw_tlog_cosigs_check(const char *text, size_t n, const char *lines, size_t lines_len,
				 const struct fw_tlog_vkey *witnesses, size_t nw,
				 struct fw_tlog_cosig *out, size_t max, size_t *nout) FW_WUR;

/* --- checkpoints -------------------------------------------------------- */
struct fw_tlog_checkpoint {
	char origin[FW_TLOG_NAME_BYTES];
	uint64_t size;
	uint8_t root[FW_TLOG_HASH_BYTES];
	/* Extension lines, each non-empty and newline-terminated, or NULL/0.
	 * Borrowed: after a parse it points into the parsed text. */
	const char *ext;
	size_t ext_len;
};
/* Appends "<origin>\n<size>\n<base64 root>\n<ext>". The origin must be a
 * valid key name (so that the log's key can carry it). */
enum fw_err fw_tlog_checkpoint_format(const struct fw_tlog_checkpoint *c,
				      struct fw_buf *out) FW_WUR;
/* Parses a checkpoint's note text (not the signatures): origin non-empty
 * (at most FW_TLOG_NAME_MAX bytes, no control characters), size in decimal
 * without leading zeros, root the padded base64 of 32 bytes. */
enum fw_err fw_tlog_checkpoint_parse(const char *text, size_t n,
				     struct fw_tlog_checkpoint *out) FW_WUR;

/* Whom a verifier trusts for one log. */
struct fw_tlog_policy {
	const char *origin;                  /* NULL: the log key's name */
	const struct fw_tlog_vkey *log_key;  /* type 0x01 */
	const struct fw_tlog_vkey *witnesses; /* type 0x04; may be NULL */
	size_t n_witnesses;
	size_t quorum; /* witnesses that must have cosigned */
};
/* Verifies a signed checkpoint under pol and parses it: the log key must
 * have signed, `quorum` witnesses must have cosigned, and the origin must
 * match. out->ext points into note. */
enum fw_err fw_tlog_checkpoint_open(const char *note, size_t n, const struct fw_tlog_policy *pol,
				    struct fw_tlog_checkpoint *out) FW_WUR;

/* --- tiles and entry bundles -------------------------------------------- */
#define FW_TLOG_TILE_WIDTH 256
#define FW_TLOG_TILE_HEIGHT 8
#define FW_TLOG_TILE_LEVEL_MAX 63
#define FW_TLOG_TILE_BYTES (FW_TLOG_TILE_WIDTH * FW_TLOG_HASH_BYTES)
#define FW_TLOG_TILE_PATH_BYTES 64
#define FW_TLOG_ENTRY_MAX 65535u /* an entry's length fits the uint16 prefix */

/* Tile N of level L holds the hashes at Merkle level 8·L with indices
 * N·256 … N·256 + width - 1; an entry bundle holds the entries of the
 * level-0 tile with the same N and width. */
struct fw_tlog_tile {
	bool entries;   /* tile/entries/… (level is then 0) */
	unsigned level; /* 0 … 63 */
	uint64_t index;
	unsigned width; /* 1 … 256; 256 is a full tile */
};

/* "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]", N as x001/x234/067. */
enum fw_err fw_tlog_tile_path(const struct fw_tlog_tile *t,
			      char out[FW_TLOG_TILE_PATH_BYTES]) FW_WUR;
/* The inverse, strictly: only the canonical spelling is accepted. */
enum fw_err fw_tlog_tile_path_parse(const char *s, size_t n, struct fw_tlog_tile *out) FW_WUR;
/* Levels that have tiles in a tree of size (0 for the empty tree). */
unsigned fw_tlog_tile_levels(uint64_t size);
/* Tiles (full and partial) at a level in a tree of size. */
uint64_t fw_tlog_tile_count(uint64_t size, unsigned level);
/* Tile `index` of `level` as it is in a tree of size: full, or partial with
 * the width the size gives. FW_ERR_NOT_FOUND if the tree has no such tile. */
enum fw_err fw_tlog_tile_at(uint64_t size, unsigned level, uint64_t index,
			    struct fw_tlog_tile *out) FW_WUR;
/* Whether every hash (or entry) of t exists in a tree of size: what a server
 * checks before serving t for its current size. */
bool fw_tlog_tile_is_in_tree(const struct fw_tlog_tile *t, uint64_t size);
/* The tile's width · 32 bytes of hashes from a hash source; out_bytes must
 * hold them. */
enum fw_err fw_tlog_tile_read(const struct fw_tlog_tile *t, fw_tlog_node_fn node, void *ctx,
			      uint8_t *out, size_t out_bytes) FW_WUR;
/* MTH of count consecutive hashes taken as leaves (count ≥ 1): for a full
 * tile, the hash that stands for it in the tile above. */
enum fw_err fw_tlog_hashes_root(const uint8_t *hashes, size_t count,
				uint8_t out[FW_TLOG_HASH_BYTES]) FW_WUR;

/* Reads a tile's width · 32 bytes (from a store, a cache or over HTTP). */
typedef enum fw_err (*fw_tlog_tile_fn)(void *ctx, const struct fw_tlog_tile *t, uint8_t *out);
/* A hash source over the tiles of a tree of `size`: pass
 * fw_tlog_tile_reader_node with a pointer to this struct as its context.
 * Each node costs one tile read and up to 127 hashes. */
struct fw_tlog_tile_reader {
	uint64_t size;
	fw_tlog_tile_fn read;
	void *ctx;
};
enum fw_err fw_tlog_tile_reader_node(void *reader, unsigned level, uint64_t index,
				     uint8_t out[FW_TLOG_HASH_BYTES]) FW_WUR;

/* Appends one entry to a bundle: uint16 big-endian length ‖ entry. */
enum fw_err fw_tlog_bundle_append(struct fw_buf *b, const uint8_t *entry, size_t n) FW_WUR;
/* Walks a bundle. fw_tlog_bundle_next borrows the entry from the bundle;
 * FW_ERR_NOT_FOUND at the end, FW_ERR_INVALID if the bundle is truncated. */
struct fw_tlog_bundle_iter {
	const uint8_t *p, *end;
};
void fw_tlog_bundle_iter_init(struct fw_tlog_bundle_iter *it, const uint8_t *b, size_t n);
enum fw_err fw_tlog_bundle_next(struct fw_tlog_bundle_iter *it, const uint8_t **entry,
				size_t *n) FW_WUR;
/* FW_OK iff the bundle holds exactly `width` entries whose leaf hashes are
 * the width · 32 bytes of the level-0 tile `hashes` (FW_ERR_CRYPTO if not). */
enum fw_err fw_tlog_bundle_verify(const uint8_t *b, size_t n, unsigned width,
				  const uint8_t *hashes) FW_WUR;

/* --- receipts (c2sp.org/tlog-proof@v1) ----------------------------------- */
#define FW_TLOG_RECEIPT_EXTRA_MAX 4096u /* bytes of extra data */
#define FW_TLOG_RECEIPT_MAX (FW_TLOG_NOTE_MAX + 16384u)

struct fw_tlog_receipt {
	uint64_t index;
	struct fw_tlog_proof proof;
	const char *extra_b64; /* borrowed base64 of the extra data, or NULL */
	size_t extra_b64_len;
	const char *note;      /* borrowed: the signed checkpoint */
	size_t note_len;
};
/* Appends "c2sp.org/tlog-proof@v1\n[extra <b64>\n]index <i>\n<b64 hash>…\n\n"
 * and the signed checkpoint note. extra may be NULL. */
enum fw_err fw_tlog_receipt_format(uint64_t index, const struct fw_tlog_proof *p,
				   const uint8_t *extra, size_t extra_len, const char *note,
				   size_t note_len, struct fw_buf *out) FW_WUR;
/* Splits a receipt; pointers in out borrow from text. Does not verify. */
enum fw_err fw_tlog_receipt_parse(const char *text, size_t n,
				  struct fw_tlog_receipt *out) FW_WUR;
/* Parses and verifies a receipt for the entry whose leaf hash is given: the
 * checkpoint under pol, then the inclusion proof against it. rcpt and cp
 * (either may be NULL) borrow from text. */
enum fw_err fw_tlog_receipt_verify(const char *text, size_t n,
				   const uint8_t leaf_hash[FW_TLOG_HASH_BYTES],
				   const struct fw_tlog_policy *pol, struct fw_tlog_receipt *rcpt,
				   struct fw_tlog_checkpoint *cp) FW_WUR;

/* ======================================================================= *
 * The log service (src/tlog/log*.c): the above on top of the store.       *
 * Unlike everything before this line, it does I/O (through store.h) and   *
 * runs a thread. Entries are written by the store in the transaction of   *
 * what they record; the service integrates them into the tree, signs one  *
 * checkpoint per batch (group commit) and serves proofs, tiles, bundles   *
 * and receipts from stored subtree hashes.                                *
 * ======================================================================= */
struct fw_store;
struct fw_delivery;
struct fw_tlog_log;

#define FW_TLOG_LOG_DEFAULT_ORIGIN "forewarn.local/log"
#define FW_TLOG_LOG_INTERVAL_MS 1000     /* at most this between checkpoints */
#define FW_TLOG_LOG_BATCH_MAX 65536u     /* leaves integrated per transaction */
/* The text a member gets to open its delivery's commitment. */
#define FW_TLOG_OPENING_BYTES 512

struct fw_tlog_log_config {
	struct fw_store *store;             /* borrowed */
	const struct fw_sign_key *key;      /* borrowed: the program's Ed25519 key */
	const char *origin;                 /* NULL: FW_TLOG_LOG_DEFAULT_ORIGIN */
	unsigned interval_ms;               /* 0: FW_TLOG_LOG_INTERVAL_MS */
};
/* Witnesses (docs/log.md, "Witness cosignatures"): the stored cosignatures
 * of these keys are served after the log's signature; others are not. */
#define FW_TLOG_LOG_WITNESSES_MAX 32
/* Sets the witness keys (type 0x04, copied, at most
 * FW_TLOG_LOG_WITNESSES_MAX, no key twice) once, after fw_tlog_log_open and
 * before anything is served. */
enum fw_err fw_tlog_log_set_witnesses(struct fw_tlog_log *l, const struct fw_tlog_vkey *keys,
				      size_t n) FW_WUR;
/* The witness keys (borrowed from l; *n may be 0). */
const struct fw_tlog_vkey *fw_tlog_log_witnesses(const struct fw_tlog_log *l, size_t *n);

enum fw_err fw_tlog_log_open(const struct fw_tlog_log_config *cfg, struct fw_tlog_log **out) FW_WUR;
/* Stops the thread (after a last integration) and frees. NULL is a no-op. */
void fw_tlog_log_free(struct fw_tlog_log *l);
/* Starts the integrator thread: it integrates what is sequenced when woken
 * and at least every interval. */
enum fw_err fw_tlog_log_start(struct fw_tlog_log *l) FW_WUR;
void fw_tlog_log_wake(struct fw_tlog_log *l);
/* Integrates every entry sequenced so far and signs the checkpoint (also the
 * empty tree's, once). Safe against other nodes doing the same. *size (may
 * be NULL) gets the size of the newest checkpoint after. */
enum fw_err fw_tlog_log_integrate(struct fw_tlog_log *l, uint64_t *size) FW_WUR;

const char *fw_tlog_log_origin(const struct fw_tlog_log *l);
/* The verifier key "origin+hex8+base64" of the log's key. */
enum fw_err fw_tlog_log_vkey(const struct fw_tlog_log *l, char out[FW_TLOG_VKEY_BYTES]) FW_WUR;

/* The signed checkpoint: the newest (latest) or that of `size`, followed by
 * the stored cosignature lines of the witnesses set for that very size. */
enum fw_err fw_tlog_log_checkpoint(struct fw_tlog_log *l, bool latest, uint64_t size,
				   struct fw_buf *note, uint64_t *out_size) FW_WUR;
/* Proofs within a tree that has a checkpoint (size ≤ the newest one's). */
enum fw_err fw_tlog_log_inclusion(struct fw_tlog_log *l, uint64_t index, uint64_t size,
				  struct fw_tlog_proof *out) FW_WUR;
enum fw_err fw_tlog_log_consistency(struct fw_tlog_log *l, uint64_t size1, uint64_t size2,
				    struct fw_tlog_proof *out) FW_WUR;
/* Appends a tile's hashes, or an entry bundle, as served under /log/.
 * FW_ERR_NOT_FOUND unless all of it is in the newest checkpoint's tree. */
enum fw_err fw_tlog_log_tile(struct fw_tlog_log *l, const struct fw_tlog_tile *t,
			     struct fw_buf *out) FW_WUR;
/* The c2sp tlog-proof receipt of a delivery's entry against the newest
 * checkpoint (integrating first if needed); entry and index may be NULL. */
enum fw_err fw_tlog_log_receipt(struct fw_tlog_log *l, int64_t delivery_id, struct fw_buf *receipt,
				struct fw_buf *entry, uint64_t *index) FW_WUR;
/* Sequences an entry that records nothing else (policy, member change…). */
enum fw_err fw_tlog_log_append(struct fw_tlog_log *l, const uint8_t *entry, size_t n,
			       uint64_t *index) FW_WUR;

/* --- entries (src/tlog/log_entry.c; formats in docs/log.md) ------------- */
/* A delivery's entry, canonical JSON with sorted keys and no spaces:
 *   {"commitment":"<hex>","sealed_sha256":"<hex>","time":<s>,"type":"delivery","v":1}
 * commitment = SHA-256(opening), the opening being the text
 *   "forewarn/log/delivery/v1\nmember <m>\nadvisory <a>\nkind <k>\nversion <n>\n"
 *   "plain-sha256 <hex>\nnonce <hex of 32 bytes>\n"
 * with nonce = fw_crypto_prf(master, "forewarn/log/delivery-nonce/v1",
 * "m\na\nk\nn"). Only the member (given its opening) and the operator (who
 * can derive it) can open it; the entry names no member, advisory or kind. */
enum fw_err fw_tlog_entry_delivery(const uint8_t master[FW_CRYPTO_KEY_BYTES],
				   const struct fw_delivery *d, struct fw_buf *entry) FW_WUR;
enum fw_err fw_tlog_delivery_opening(const uint8_t master[FW_CRYPTO_KEY_BYTES],
				     const struct fw_delivery *d,
				     char out[FW_TLOG_OPENING_BYTES]) FW_WUR;
/* A policy version: {"author":"…","policy_sha256":"<hex>","time":<s>,"type":"policy","v":1,"version":<n>} */
enum fw_err fw_tlog_entry_policy(int version, const uint8_t sha256[32], const char *author, int64_t time,
				 struct fw_buf *entry) FW_WUR;
/* A member's status change; member and reason are committed to, like a
 * delivery's: {"commitment":"<hex>","status":"…","time":<s>,"type":"member","v":1}
 * with opening "forewarn/log/member/v1\nmember <m>\nreason <r>\nnonce <hex>\n". */
enum fw_err fw_tlog_entry_member(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *member_id,
				 const char *status, const char *reason, int64_t time,
				 struct fw_buf *entry) FW_WUR;
/* The longest details an event commits to: a trace lists its files' hashes
 * and everyone it accused (tens of thousands of members still fit). */
#define FW_TLOG_EVENT_DETAILS_MAX (4u * 1024u * 1024u)
/* An operator's act on an advisory: type "schedule", "expedite" or "trace";
 * subject and details are committed to like a member change:
 *   {"commitment":"<hex>","time":<s>,"type":"<type>","v":1}
 * with opening "forewarn/log/<type>/v1\nsubject <s>\ndetails <d>\nnonce <hex>\n". */
enum fw_err fw_tlog_entry_event(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *type, const char *subject,
				const char *details, int64_t time, struct fw_buf *entry) FW_WUR;

/* --- member-signed receipts (docs/log.md, "Acknowledgements") ----------- */
#define FW_TLOG_ACK_STATEMENT_BYTES 1024
/* What an acknowledgement binds: one copy and its delivery entry in one log.
 * Texts must be one line, the hashes 64 lower-case hex digits. */
struct fw_tlog_ack_subject {
	const char *origin; /* the log's origin: a statement is not valid in another log */
	int64_t delivery_id;
	const char *member_id;
	const char *advisory_id;
	const char *kind;
	long long version;
	const char *sealed_sha256; /* hex, of the age file */
	const char *plain_sha256;  /* hex, of the plaintext copy */
	uint64_t delivery_index;   /* of the delivery's entry */
};
/* The statement a member signs with minisign (prehashed, `minisign -S`):
 *   "forewarn/ack/v1\nlog <origin>\ndelivery <id>\nmember <m>\nadvisory <a>\n"
 *   "kind <k>\nversion <n>\nsealed-sha256 <hex>\nplain-sha256 <hex>\nlog-index <i>\n" */
enum fw_err fw_tlog_ack_statement(const struct fw_tlog_ack_subject *s,
				  char out[FW_TLOG_ACK_STATEMENT_BYTES]) FW_WUR;
/* A receipt entry, recording that the member signed the statement of a
 * delivery; the member and the statement are committed to:
 *   {"commitment":"<hex>","delivery_index":<i>,"signature_sha256":"<hex>","time":<s>,"type":"receipt","v":1}
 * with opening "forewarn/log/receipt/v1\nmember <m>\ndelivery <id>\nstatement-sha256 <hex>\nnonce <hex>\n"
 * and nonce = fw_crypto_prf(master, "forewarn/log/receipt-nonce/v1", "<m>\n<id>"). */
enum fw_err fw_tlog_receipt_opening(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *member_id,
				    int64_t delivery_id, const char *statement, size_t n,
				    char out[FW_TLOG_OPENING_BYTES]) FW_WUR;
enum fw_err fw_tlog_entry_receipt(const uint8_t master[FW_CRYPTO_KEY_BYTES], const char *member_id,
				  int64_t delivery_id, const char *statement, size_t n, uint64_t delivery_index,
				  const uint8_t signature_sha256[32], int64_t time, struct fw_buf *entry) FW_WUR;

#endif
