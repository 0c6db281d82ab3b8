-- relatio schema, version 1: users and security, customers and their data,
-- interactions, products, orders, contracts, consent ledger, audit log.
-- Times are Unix seconds (UTC) in *_at columns; calendar dates are 'YYYY-MM-DD'
-- text; money is integer minor units beside an ISO 4217 currency.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin','manager','sales','support','marketing','analyst')),
    team          TEXT,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE login_attempts (
    key         TEXT PRIMARY KEY,     -- lower-cased e-mail
    failures    INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
);

-- Where records come from (seed 002: files bought, rented or exchanged).
CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('internal','form','store','web','api','import','bought','rented','exchanged')),
    name        TEXT NOT NULL,
    terms       TEXT,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, name)
);

CREATE TABLE customers (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('person','organization','guest')),
    external_id    TEXT UNIQUE,
    first_name     TEXT,
    last_name      TEXT,
    name           TEXT,                -- organisation name
    email          TEXT,                -- primary e-mail, lower-cased
    phone          TEXT,                -- primary phone, E.164
    birth_date     TEXT,
    sex            TEXT CHECK (sex IN ('female','male','other','unknown')),
    occupation     TEXT,                -- CSP / occupation category
    income_band    TEXT,
    housing        TEXT,
    company_revenue_minor INTEGER,
    naf_code       TEXT,
    headcount      INTEGER,
    language       TEXT,
    preferred_channel TEXT,
    quiet_hours_start TEXT,
    quiet_hours_end   TEXT,
    callback_requested_at INTEGER,
    category_spend_minor INTEGER,      -- declared/estimated spend in the category (share of wallet)
    owner_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    team           TEXT,
    custom         TEXT NOT NULL DEFAULT '{}',
    source_id      INTEGER REFERENCES sources(id),
    -- purchase aggregates kept current by the orders service
    orders_count   INTEGER NOT NULL DEFAULT 0,
    revenue_minor  INTEGER NOT NULL DEFAULT 0,
    currency       TEXT,
    first_order_at INTEGER,
    last_order_at  INTEGER,
    -- last update per field group (data quality: what is stale)
    identity_updated_at INTEGER,
    contact_updated_at  INTEGER,
    socio_updated_at    INTEGER,
    company_updated_at  INTEGER,
    prefs_updated_at    INTEGER,
    merged_into    INTEGER,
    erased_at      INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX customers_email ON customers(email);
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_owner ON customers(owner_id);
CREATE INDEX customers_last_order ON customers(last_order_at);

-- Folded search terms (accent- and case-free) for prefix search on any backend.
CREATE TABLE customer_terms (
    term        TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    PRIMARY KEY (term, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_terms_customer ON customer_terms(customer_id);

CREATE TABLE customer_emails (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    label       TEXT,
    is_primary  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_emails_customer ON customer_emails(customer_id);
CREATE INDEX customer_emails_email ON customer_emails(email);

CREATE TABLE customer_phones (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL,
    label       TEXT,
    is_primary  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_phones_customer ON customer_phones(customer_id);
CREATE INDEX customer_phones_phone ON customer_phones(phone);

CREATE TABLE customer_addresses (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    label       TEXT,
    line1       TEXT,
    line2       TEXT,
    postal_code TEXT,
    city        TEXT,
    region      TEXT,
    country     TEXT,
    is_primary  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);
CREATE INDEX customer_addresses_postal ON customer_addresses(country, postal_code);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags(tag);

CREATE TABLE customer_interests (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    interest    TEXT NOT NULL,
    noted_at    INTEGER NOT NULL,
    PRIMARY KEY (customer_id, interest)
) WITHOUT ROWID;

CREATE TABLE customer_relations (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    related_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('household','referral','employee_of','contact_of')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, related_id, kind)
) WITHOUT ROWID;

CREATE TABLE customer_flags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    flag        TEXT NOT NULL,
    reason      TEXT,
    set_at      INTEGER NOT NULL,
    PRIMARY KEY (customer_id, flag)
) WITHOUT ROWID;

CREATE TABLE interactions (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    at          INTEGER NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('web','email','phone','sms','mail','store','call_center','chat','social')),
    direction   TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    kind        TEXT NOT NULL DEFAULT 'note',
    subject     TEXT,
    body        TEXT,
    outcome     TEXT,
    offer       TEXT,               -- the offer concerned, e.g. refused
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    campaign_id INTEGER,
    ticket_id   INTEGER,
    deal_id     INTEGER,
    order_id    INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX interactions_customer_at ON interactions(customer_id, at);
CREATE INDEX interactions_refused ON interactions(outcome, offer) WHERE outcome = 'offer_refused';

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    category    TEXT,
    range_name  TEXT,               -- product range, for up-selling
    tier        INTEGER,            -- position in the range (1 = entry)
    price_minor INTEGER,
    margin_minor INTEGER,
    currency    TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE orders (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    external_id   TEXT UNIQUE,
    ordered_at    INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('placed','paid','shipped','completed','cancelled','refunded')),
    kind          TEXT NOT NULL DEFAULT 'sale' CHECK (kind IN ('sale','refund')),
    currency      TEXT NOT NULL,
    total_minor   INTEGER NOT NULL,
    margin_minor  INTEGER,
    channel       TEXT,
    store         TEXT,
    country       TEXT,
    source_id     INTEGER REFERENCES sources(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX orders_customer_at ON orders(customer_id, ordered_at);
CREATE INDEX orders_at ON orders(ordered_at);

CREATE TABLE order_lines (
    id            INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    product_id    INTEGER REFERENCES products(id),
    sku           TEXT,
    description   TEXT,
    quantity      INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    amount_minor  INTEGER NOT NULL
);
CREATE INDEX order_lines_order ON order_lines(order_id);
CREATE INDEX order_lines_product ON order_lines(product_id);

CREATE TABLE contracts (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    offer         TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    end_date      TEXT,
    status        TEXT NOT NULL CHECK (status IN ('active','ended','cancelled')),
    cancelled_at  INTEGER,
    cancel_reason TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX contracts_customer ON contracts(customer_id);

-- Append-only: the current state per (channel, purpose) is the latest entry.
CREATE TABLE consents (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    at          INTEGER NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('email','sms','phone','mail','tracking','profiling')),
    purpose     TEXT NOT NULL,
    granted     INTEGER NOT NULL,
    legal_basis TEXT NOT NULL CHECK (legal_basis IN ('consent','contract','legitimate_interest','legal_obligation')),
    source      TEXT NOT NULL,
    proof       TEXT,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX consents_customer ON consents(customer_id, channel, purpose, at);

CREATE TRIGGER consents_append_only_u BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;
CREATE TRIGGER consents_append_only_d BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;

-- Who changed which personal data, when, from what to what. Append-only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    user_id     INTEGER,
    actor       TEXT NOT NULL,       -- e-mail of the user, or 'cli', 'system'
    action      TEXT NOT NULL,       -- create, update, delete, merge, erase, consent
    entity      TEXT NOT NULL,
    entity_id   INTEGER,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
