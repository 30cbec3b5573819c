-- Witness cosignatures of the log's checkpoints; see the SQLite twin
-- (0006_cosignatures.sql). The first accepted per (size, witness key) is kept.
CREATE TABLE log_cosignatures (
	size bigint NOT NULL REFERENCES log_checkpoints (size),
	witness text COLLATE "C" NOT NULL CHECK (octet_length(witness) BETWEEN 1 AND 255),
	key_id bigint NOT NULL CHECK (key_id BETWEEN 0 AND 4294967295),
	cosig_time bigint NOT NULL CHECK (cosig_time >= 0),
	line text NOT NULL CHECK (octet_length(line) BETWEEN 1 AND 1024),
	created_at bigint NOT NULL,
	PRIMARY KEY (size, witness, key_id)
);
