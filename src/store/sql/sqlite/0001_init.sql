-- The first schema of forewarn (SQLite).
--
-- Conventions: enum values are stored as their names (model/names.c) so that
-- the database reads well in the sqlite3 shell; CHECK constraints keep them in
-- their domain. Times are integer seconds since the epoch, 0 meaning unset
-- (as in the model structs). Lists of short strings (tags, CVEs, products) are
-- JSON arrays of strings: they are only ever read and written whole.
-- Tables are created without IF NOT EXISTS on purpose: running this twice
-- must fail loudly, not pass silently.

-- Artifact kinds in the order of enum fw_kind, so that lists can be ordered
-- by kind the way people expect (summary first, poc last) and kind columns
-- can reference a closed set.
CREATE TABLE kinds (
	name TEXT PRIMARY KEY,
	position INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;
INSERT INTO kinds (name, position) VALUES
	('summary', 0), ('description', 1), ('detection', 2),
	('indicators', 3), ('mitigation', 4), ('poc', 5);

CREATE TABLE members (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	tier TEXT NOT NULL,
	jurisdiction TEXT NOT NULL,
	status TEXT NOT NULL
		CHECK (status IN ('active', 'probation', 'suspended', 'expelled')),
	tags TEXT NOT NULL DEFAULT '[]',
	contact TEXT NOT NULL DEFAULT '',
	age_recipient TEXT NOT NULL,
	minisign_pubkey TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- Only the keyed hash of a token is kept; the hash is how a request finds it.
CREATE TABLE tokens (
	id TEXT PRIMARY KEY,
	hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'auditor')),
	member_id TEXT REFERENCES members (id), -- NULL unless bound to a member
	label TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0,
	revoked_at INTEGER NOT NULL DEFAULT 0,
	last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_member ON tokens (member_id, created_at);

CREATE TABLE advisories (
	id TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	cves TEXT NOT NULL DEFAULT '[]',
	products TEXT NOT NULL DEFAULT '[]',
	cvss_vector TEXT NOT NULL DEFAULT '',
	cvss_score REAL NOT NULL DEFAULT 0,
	tags TEXT NOT NULL DEFAULT '[]',
	public_at INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'public')),
	tlp TEXT NOT NULL CHECK (tlp IN ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER',
					 'TLP:AMBER+STRICT', 'TLP:RED')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
-- publish_due and next_wakeup look only at scheduled advisories.
CREATE INDEX advisories_scheduled ON advisories (public_at) WHERE status = 'scheduled';

-- The content is stored as the caller gives it (encrypted at rest) and kept
-- last in the row so that metadata reads do not touch its overflow pages.
CREATE TABLE artifacts (
	advisory_id TEXT NOT NULL REFERENCES advisories (id),
	kind TEXT NOT NULL REFERENCES kinds (name),
	version INTEGER NOT NULL CHECK (version >= 1),
	media_type TEXT NOT NULL,
	size INTEGER NOT NULL CHECK (size >= 0),
	sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
	created_at INTEGER NOT NULL,
	content BLOB NOT NULL,
	PRIMARY KEY (advisory_id, kind, version)
);

CREATE TABLE policy_versions (
	version INTEGER PRIMARY KEY CHECK (version >= 1),
	text TEXT NOT NULL,
	sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
	author TEXT NOT NULL,
	comment TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

-- Who gets which kind of which advisory when. Replaced whole per advisory.
CREATE TABLE plan (
	advisory_id TEXT NOT NULL REFERENCES advisories (id),
	member_id TEXT NOT NULL REFERENCES members (id),
	kind TEXT NOT NULL REFERENCES kinds (name),
	withheld INTEGER NOT NULL CHECK (withheld IN (0, 1)),
	release_at INTEGER NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (advisory_id, member_id, kind)
) WITHOUT ROWID;
-- The due query and next_wakeup walk released entries in time order.
CREATE INDEX plan_release ON plan (release_at, member_id) WHERE withheld = 0;

-- One sealed copy per (member, artifact version). The UNIQUE constraint is
-- what makes delivery exactly-once, whatever the scheduler does.
-- AUTOINCREMENT so that ids are never reused: clients page with after_id.
CREATE TABLE deliveries (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	member_id TEXT NOT NULL REFERENCES members (id),
	advisory_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	first_read_at INTEGER NOT NULL DEFAULT 0,
	size INTEGER NOT NULL CHECK (size >= 0),
	sha256_sealed BLOB NOT NULL CHECK (length(sha256_sealed) = 32),
	sha256_plain BLOB NOT NULL CHECK (length(sha256_plain) = 32),
	minisig TEXT,
	sealed BLOB NOT NULL,
	UNIQUE (member_id, advisory_id, kind, version),
	FOREIGN KEY (advisory_id, kind, version) REFERENCES artifacts (advisory_id, kind, version)
);
CREATE INDEX deliveries_member ON deliveries (member_id, id);
CREATE INDEX deliveries_advisory ON deliveries (advisory_id, id);

-- Every download of a copy. An audit record: token and member are kept as
-- they were, without references, so the record outlives any change to them.
CREATE TABLE delivery_reads (
	id INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
	token_id TEXT NOT NULL,
	member_id TEXT, -- NULL for an admin
	at INTEGER NOT NULL,
	remote TEXT NOT NULL DEFAULT '',
	what TEXT NOT NULL
);
CREATE INDEX delivery_reads_delivery ON delivery_reads (delivery_id, at);
