-- The customer portal (seed 004, self-care): accounts of customers, apart
-- from staff users; their sessions (own cookie, own CSRF token); single-use
-- e-mailed sign-in links; and the requests a customer files online (erasure).
CREATE TABLE portal_accounts (
    customer_id     INTEGER PRIMARY KEY REFERENCES customers(id),
    email           TEXT NOT NULL UNIQUE,      -- lower-cased
    password_hash   TEXT,                      -- argon2id; NULL until the customer sets one
    failures        INTEGER NOT NULL DEFAULT 0, -- consecutive bad passwords
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    last_login_at   INTEGER
);

CREATE TABLE portal_sessions (
    token_hash      TEXT PRIMARY KEY,          -- SHA-256 of the cookie value
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    csrf_token      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX portal_sessions_customer ON portal_sessions(customer_id);

CREATE TABLE portal_links (
    token_hash      TEXT PRIMARY KEY,          -- SHA-256 of the e-mailed token
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER                    -- single use
);
CREATE INDEX portal_links_customer ON portal_links(customer_id, created_at);

CREATE TABLE portal_requests (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    kind            TEXT NOT NULL CHECK (kind IN ('erasure')),
    at              INTEGER NOT NULL,
    note            TEXT,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','refused'))
);
CREATE INDEX portal_requests_customer ON portal_requests(customer_id, at);
