-- Fingerprinting and leak tracing (docs/tracing.md).
--
-- artifact_marks: per fingerprinted artifact version, what a trace needs to
-- re-derive the code years later besides the program secret and the
-- template (the artifact itself): the version id fed to the PRF, the code's
-- parameters, and fw_mark_code_digest of the biases, to prove they were
-- re-derived bit for bit. Nothing per member is stored.
CREATE TABLE artifact_marks (
	advisory_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	version INTEGER NOT NULL,
	version_id TEXT NOT NULL,
	key_label TEXT NOT NULL,
	points INTEGER NOT NULL CHECK (points BETWEEN 1 AND 4096),
	c INTEGER NOT NULL CHECK (c BETWEEN 1 AND 64),
	bias TEXT NOT NULL CHECK (bias IN ('arcsine', 'discrete')),
	digest BLOB NOT NULL CHECK (length(digest) = 32),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (advisory_id, kind, version),
	FOREIGN KEY (advisory_id, kind, version) REFERENCES artifacts (advisory_id, kind, version)
) WITHOUT ROWID;

-- The recipients of one artifact version: the deliveries of that version.
CREATE INDEX deliveries_version ON deliveries (advisory_id, kind, version, member_id);

-- Every trace run, with the SHA-256 of each leaked input (never the inputs
-- themselves) and its outcome, as JSON text.
CREATE TABLE traces (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	advisory_id TEXT NOT NULL REFERENCES advisories (id),
	kind TEXT NOT NULL REFERENCES kinds (name),
	created_at INTEGER NOT NULL,
	actor TEXT NOT NULL,
	epsilon REAL NOT NULL CHECK (epsilon > 0 AND epsilon < 1),
	inputs TEXT NOT NULL,
	result TEXT NOT NULL
);
CREATE INDEX traces_advisory ON traces (advisory_id, id);
