-- Sales force automation (seed 002): pipelines with ordered stages and
-- default win probabilities, deals with their products and full stage
-- history, objectives (quotas) per user, team or company and period, and
-- leads (qualification, conversion, configurable scoring).

CREATE TABLE pipelines (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    currency    TEXT NOT NULL,               -- default currency of its deals
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- kind: open stages hold deals in progress; a deal entering a won or lost
-- stage is closed and cannot move any more.
CREATE TABLE pipeline_stages (
    id          INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    kind        TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open','won','lost')),
    UNIQUE (pipeline_id, name)
);
CREATE INDEX pipeline_stages_pipeline ON pipeline_stages(pipeline_id, position);

CREATE TABLE deals (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers(id),
    pipeline_id    INTEGER NOT NULL REFERENCES pipelines(id),
    stage_id       INTEGER NOT NULL REFERENCES pipeline_stages(id),
    title          TEXT NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency       TEXT NOT NULL,
    probability    INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    expected_close TEXT,                      -- YYYY-MM-DD
    owner_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    team           TEXT,
    source         TEXT,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','won','lost')),
    close_reason   TEXT,                      -- why it was won or lost
    closed_at      INTEGER,
    stage_at       INTEGER NOT NULL,          -- entered the current stage
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX deals_customer ON deals(customer_id, id);
CREATE INDEX deals_stage ON deals(stage_id, id);
CREATE INDEX deals_owner ON deals(owner_id, status);
-- covers the forecast: open deals by expected close month
CREATE INDEX deals_forecast ON deals(status, expected_close, currency, amount_minor, probability, owner_id, team, pipeline_id);
CREATE INDEX deals_closed ON deals(status, closed_at);

CREATE TABLE deal_products (
    id               INTEGER PRIMARY KEY,
    deal_id          INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
    customer_id      INTEGER NOT NULL REFERENCES customers(id),
    product_id       INTEGER NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0)
);
CREATE INDEX deal_products_deal ON deal_products(deal_id);

-- Every stage a deal went through, append-only.
CREATE TABLE deal_stage_history (
    id            INTEGER PRIMARY KEY,
    deal_id       INTEGER NOT NULL REFERENCES deals(id),
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    at            INTEGER NOT NULL,
    from_stage_id INTEGER REFERENCES pipeline_stages(id),
    to_stage_id   INTEGER NOT NULL REFERENCES pipeline_stages(id),
    amount_minor  INTEGER NOT NULL,
    probability   INTEGER NOT NULL,
    reason        TEXT,
    user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history(deal_id, id);
CREATE TRIGGER deal_stage_history_append_only_u BEFORE UPDATE ON deal_stage_history
BEGIN SELECT RAISE(ABORT, 'deal_stage_history is append-only'); END;
CREATE TRIGGER deal_stage_history_append_only_d BEFORE DELETE ON deal_stage_history
BEGIN SELECT RAISE(ABORT, 'deal_stage_history is append-only'); END;

-- Quotas: scope is a user, a team, or the company (both NULL); period is
-- 'YYYY-MM', 'YYYY-Qn' or 'YYYY', kept as its first month and length.
CREATE TABLE objectives (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
    team        TEXT,
    period      TEXT NOT NULL,
    start_month INTEGER NOT NULL,             -- year * 12 + month - 1
    months      INTEGER NOT NULL CHECK (months IN (1, 3, 12)),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK (user_id IS NULL OR team IS NULL)
);
CREATE UNIQUE INDEX objectives_scope ON objectives(COALESCE(user_id, 0), COALESCE(team, ''), period, currency);

-- Lead qualification of a prospect, and its last computed score.
CREATE TABLE leads (
    customer_id  INTEGER PRIMARY KEY REFERENCES customers(id),
    status       TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','contacted','qualified','disqualified','converted')),
    reason       TEXT,
    fit          INTEGER NOT NULL DEFAULT 0,
    behaviour    INTEGER NOT NULL DEFAULT 0,
    score        INTEGER NOT NULL DEFAULT 0,
    scored_at    INTEGER,
    deal_id      INTEGER REFERENCES deals(id),
    qualified_at INTEGER,
    converted_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX leads_score ON leads(status, score);

-- The default pipeline; admins add their own.
INSERT INTO pipelines(id, name, currency, is_default, created_at, updated_at)
VALUES (1, 'Sales', 'EUR', 1, CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER));
INSERT INTO pipeline_stages(pipeline_id, position, name, probability, kind) VALUES
    (1, 1, 'Lead', 10, 'open'),
    (1, 2, 'Qualified', 25, 'open'),
    (1, 3, 'Proposal', 50, 'open'),
    (1, 4, 'Negotiation', 75, 'open'),
    (1, 5, 'Won', 100, 'won'),
    (1, 6, 'Lost', 0, 'lost');
