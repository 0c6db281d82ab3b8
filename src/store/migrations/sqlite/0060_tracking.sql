-- Web tracking (seed 004): registered sites with their public key, the
-- secret their backend signs identify tokens with, allowed origins and
-- consent policy; anonymous visitors (each with a guest customer until they
-- identify), 30-minute sessions, the tracked events, and the personalised
-- content shown to a customer (set by staff or the rules engine).
CREATE TABLE track_sites (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,      -- public, in the snippet tag
    secret          TEXT NOT NULL,             -- HMAC key for identify tokens
    name            TEXT NOT NULL,
    origins         TEXT NOT NULL DEFAULT '[]', -- JSON array of "https://host[:port]"
    require_consent INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- One anonymous id (the snippet's first-party cookie) per site. guest_id is
-- the guest customer created at first sight; customer_id is who the visitor
-- is now (the guest, or the customer it was stitched to).
CREATE TABLE web_visitors (
    site_id         INTEGER NOT NULL REFERENCES track_sites(id),
    visitor         TEXT NOT NULL,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    guest_id        INTEGER NOT NULL REFERENCES customers(id),
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    session_id      INTEGER,                   -- current session
    identified_at   INTEGER,
    PRIMARY KEY (site_id, visitor)
);
CREATE INDEX web_visitors_customer ON web_visitors(customer_id);

CREATE TABLE web_sessions (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    site_id         INTEGER NOT NULL REFERENCES track_sites(id),
    visitor         TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    events          INTEGER NOT NULL DEFAULT 0,
    landing         TEXT,                      -- path of the first page
    source          TEXT NOT NULL DEFAULT 'direct', -- direct|search|social|email|campaign|referral
    referrer        TEXT,                      -- host of the referrer
    keyword         TEXT                       -- search keyword that brought the visitor
);
CREATE INDEX web_sessions_site ON web_sessions(site_id, started_at);
CREATE INDEX web_sessions_customer ON web_sessions(customer_id, started_at);

CREATE TABLE web_events (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    site_id         INTEGER NOT NULL REFERENCES track_sites(id),
    visitor         TEXT NOT NULL,
    session_id      INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('page_view','product_view','search','add_to_cart',
                                                  'checkout_started','purchase','identify')),
    path            TEXT,
    title           TEXT,
    product         TEXT,
    query           TEXT,
    amount_minor    INTEGER,
    currency        TEXT,
    order_ref       TEXT
);
CREATE INDEX web_events_customer ON web_events(customer_id, at);
CREATE INDEX web_events_site ON web_events(site_id, at);

CREATE TABLE personalization (
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    slot            TEXT NOT NULL,             -- banner, offer, survey, ...
    content         TEXT NOT NULL,             -- JSON object
    expires_at      INTEGER,                   -- NULL: never
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (customer_id, slot)
);
