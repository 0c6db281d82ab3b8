-- Web forms and lead capture (app/forms.c): forms defined in relatio and
-- embedded on any site, and every submission with its provenance.
CREATE TABLE forms (
    id              INTEGER PRIMARY KEY,
    form_key        TEXT NOT NULL UNIQUE,      -- public id in /f/{key} (random)
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('contact','newsletter','contest','event','referral')),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
    definition      TEXT NOT NULL,             -- JSON: title, intro, fields, consents, hidden
    newsletter_id   INTEGER REFERENCES newsletters(id),
    site_key        TEXT,                      -- tracking site whose visitors are joined
    origins         TEXT NOT NULL DEFAULT '[]', -- JSON array; empty: any origin
    success_url     TEXT,                      -- where a plain HTML post is sent after
    pow_bits        INTEGER NOT NULL DEFAULT 0, -- proof-of-work difficulty, 0 off
    max_per_ip      INTEGER NOT NULL DEFAULT 30, -- per hour, 0 off
    max_per_email   INTEGER NOT NULL DEFAULT 5,  -- per hour, 0 off
    capacity        INTEGER,                   -- event registrations accepted at most
    created_by      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE form_submissions (
    id              INTEGER PRIMARY KEY,
    form_id         INTEGER NOT NULL REFERENCES forms(id),
    customer_id     INTEGER REFERENCES customers(id), -- NULL for spam
    at              INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('accepted','spam')),
    created         INTEGER NOT NULL DEFAULT 0, -- 1 when the submission created the prospect
    data            TEXT NOT NULL,             -- JSON of the values posted (as posted)
    email           TEXT,                      -- normalised, for the per-address limit
    ip              TEXT,
    user_agent      TEXT,
    page_url        TEXT,
    visitor         TEXT,
    visitor_joined  INTEGER NOT NULL DEFAULT 0,
    campaign        TEXT,                      -- hidden field "campaign" (or utm_campaign)
    source          TEXT,                      -- hidden field "source" (or utm_source)
    nonce           TEXT,                      -- the client's submission id (replays)
    payload_hash    TEXT NOT NULL              -- SHA-256 of the values (replays)
);
CREATE UNIQUE INDEX form_submissions_nonce ON form_submissions(form_id, nonce)
    WHERE nonce IS NOT NULL;
CREATE INDEX form_submissions_form ON form_submissions(form_id, id);
CREATE INDEX form_submissions_ip ON form_submissions(form_id, ip, at);
CREATE INDEX form_submissions_email ON form_submissions(form_id, email, at);
CREATE INDEX form_submissions_hash ON form_submissions(form_id, payload_hash, at);
CREATE INDEX form_submissions_customer ON form_submissions(customer_id, at);
