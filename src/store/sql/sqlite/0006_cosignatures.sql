-- Witness cosignatures of the log's checkpoints (docs/log.md, "Witness
-- cosignatures"): C2SP tlog-cosignature lines a configured witness made
-- over the checkpoint of one tree size, verified by the server before they
-- are stored, and served after the log's own signature line.
--
-- At most one per (checkpoint, witness key): the first accepted is kept and
-- a later one for the same size and key is ignored, so that the served note
-- of a size stays the same bytes once a witness has cosigned it. A key is
-- its name and key ID together, as in a signed note. line is the whole
-- signature line, "— <name> <base64>\n", exactly as served.
CREATE TABLE log_cosignatures (
	size INTEGER NOT NULL REFERENCES log_checkpoints (size),
	witness TEXT NOT NULL CHECK (length(witness) BETWEEN 1 AND 255),
	key_id INTEGER NOT NULL CHECK (key_id BETWEEN 0 AND 4294967295),
	cosig_time INTEGER NOT NULL CHECK (cosig_time >= 0),
	line TEXT NOT NULL CHECK (length(line) BETWEEN 1 AND 1024),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (size, witness, key_id)
) WITHOUT ROWID;
