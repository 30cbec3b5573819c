-- The transparency log (docs/log.md, "For the store"); see the SQLite
-- migration of the same number for the design. Sequencing takes the row
-- lock of log_seq (SELECT … FOR UPDATE) in the delivery's transaction;
-- integration is compare-and-set on log_tree.size.
CREATE TABLE log_entries (
	idx bigint PRIMARY KEY CHECK (idx >= 0),
	entry bytea NOT NULL CHECK (octet_length(entry) BETWEEN 1 AND 65535),
	leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
	delivery_id bigint UNIQUE REFERENCES deliveries (id)
);

CREATE TABLE log_seq (
	id integer PRIMARY KEY CHECK (id = 1),
	next_index bigint NOT NULL CHECK (next_index >= 0)
);
INSERT INTO log_seq (id, next_index) VALUES (1, 0);

CREATE TABLE log_tree (
	id integer PRIMARY KEY CHECK (id = 1),
	size bigint NOT NULL CHECK (size >= 0),
	frontier bytea NOT NULL
);
INSERT INTO log_tree (id, size, frontier) VALUES (1, 0, '\x0000000000000000'::bytea);

CREATE TABLE log_nodes (
	level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
	idx bigint NOT NULL CHECK (idx >= 0),
	hash bytea NOT NULL CHECK (octet_length(hash) = 32),
	PRIMARY KEY (level, idx)
);

CREATE TABLE log_checkpoints (
	size bigint PRIMARY KEY CHECK (size >= 0),
	root bytea NOT NULL CHECK (octet_length(root) = 32),
	note text NOT NULL,
	created_at bigint NOT NULL
);
