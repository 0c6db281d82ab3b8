-- Duplicate candidates found by a scan (app/duplicates.c), kept for review.
-- Plain ids, no foreign keys: a merge must not move these rows.
CREATE TABLE duplicate_pairs (
    a        INTEGER NOT NULL,       -- the lower customer id
    b        INTEGER NOT NULL,       -- the higher one
    score    REAL NOT NULL,          -- 0..1
    reasons  TEXT NOT NULL,          -- JSON array: ["email","name",...]
    status   TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','dismissed','merged')),
    found_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by INTEGER,
    PRIMARY KEY (a, b)
);
CREATE INDEX duplicate_pairs_score ON duplicate_pairs(status, score);

-- Merges (app/merge.c): what moved where, so a merge can be undone.
CREATE TABLE merges (
    id           INTEGER PRIMARY KEY,
    survivor_id  INTEGER NOT NULL,
    duplicate_id INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    user_id      INTEGER,
    fields       TEXT NOT NULL,      -- JSON: field -> "survivor" | "duplicate" as decided
    record       TEXT NOT NULL,      -- JSON: rows before, ids moved, rows replaced
    survivor_version INTEGER NOT NULL, -- the survivor's version right after the merge
    undone_at    INTEGER,
    undone_by    INTEGER
);
CREATE INDEX merges_survivor ON merges(survivor_id);
CREATE INDEX merges_duplicate ON merges(duplicate_id);
