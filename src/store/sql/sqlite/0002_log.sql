-- The transparency log (docs/log.md, "For the store").
--
-- Appending is two steps, as in Tessera: an entry is *sequenced* (given the
-- next index) in the transaction that makes what it records (a delivery's
-- entry in the delivery's transaction), and later *integrated*: a separate
-- step extends the Merkle tree over the sequenced entries, stores the
-- subtree hashes that became complete and the new signed checkpoint, in one
-- transaction guarded by compare-and-set on the integrated size, so several
-- nodes may try and exactly one wins.

-- Entries in index order (0-based). delivery_id is set for a delivery's entry:
-- one entry per delivery and one delivery per such entry.
CREATE TABLE log_entries (
	idx INTEGER PRIMARY KEY CHECK (idx >= 0),
	entry BLOB NOT NULL CHECK (length(entry) BETWEEN 1 AND 65535),
	leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
	delivery_id INTEGER UNIQUE REFERENCES deliveries (id)
);

-- The next index to hand out. One row; BEGIN IMMEDIATE serializes writers.
CREATE TABLE log_seq (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	next_index INTEGER NOT NULL CHECK (next_index >= 0)
);
INSERT INTO log_seq (id, next_index) VALUES (1, 0);

-- How far the tree is built, and its frontier (8-byte size ‖ hashes).
CREATE TABLE log_tree (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL CHECK (size >= 0),
	frontier BLOB NOT NULL
);
INSERT INTO log_tree (id, size, frontier) VALUES (1, 0, x'0000000000000000');

-- Complete subtree hashes: the subtree of 2^level leaves from leaf idx·2^level.
CREATE TABLE log_nodes (
	level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
	idx INTEGER NOT NULL CHECK (idx >= 0),
	hash BLOB NOT NULL CHECK (length(hash) = 32),
	PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Every signed checkpoint, by tree size: consistency proofs start from any.
CREATE TABLE log_checkpoints (
	size INTEGER PRIMARY KEY CHECK (size >= 0),
	root BLOB NOT NULL CHECK (length(root) = 32),
	note TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
