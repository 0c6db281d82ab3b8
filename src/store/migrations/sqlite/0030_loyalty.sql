-- The loyalty programme (app/loyalty.c): earning rules, tiers, rewards,
-- members with their cached balance, the append-only points ledger and the
-- redemptions. A member's balance always equals SUM(points) of the ledger:
-- both are written in one transaction.

-- Earning rules. kind: base (points per currency unit on every order),
-- category (points per unit for a product category, replacing the base),
-- welcome, birthday, referrer, referee (fixed bonuses in points).
CREATE TABLE loyalty_rules (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('base','category','welcome','birthday','referrer','referee')),
    category   TEXT,                 -- for kind = 'category'
    rate       INTEGER NOT NULL DEFAULT 0 CHECK (rate >= 0),   -- points per currency unit
    points     INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0), -- bonus points
    active     INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL,
    CHECK ((kind = 'category') = (category IS NOT NULL))
);
CREATE UNIQUE INDEX loyalty_rules_kind ON loyalty_rules(kind, COALESCE(category, ''));
INSERT INTO loyalty_rules(kind, rate, points, updated_at) VALUES
    ('base', 1, 0, 0), ('welcome', 0, 100, 0), ('birthday', 0, 200, 0),
    ('referrer', 0, 500, 0), ('referee', 0, 250, 0);

-- Tiers: a member is in the highest tier whose threshold their qualifying
-- points (points earned on purchases, net of reversals) reach.
CREATE TABLE loyalty_tiers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    threshold   INTEGER NOT NULL UNIQUE CHECK (threshold >= 0),
    earn_bonus_pct INTEGER NOT NULL DEFAULT 0 CHECK (earn_bonus_pct BETWEEN 0 AND 1000),
    benefits    TEXT,
    updated_at  INTEGER NOT NULL
);
INSERT INTO loyalty_tiers(name, threshold, earn_bonus_pct, benefits, updated_at) VALUES
    ('Bronze', 0, 0, 'Welcome gift, birthday bonus', 0),
    ('Silver', 1000, 10, '10 % more points, private sales', 0),
    ('Gold', 5000, 25, '25 % more points, free delivery, priority service', 0);

CREATE TABLE loyalty_rewards (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    cost_points INTEGER NOT NULL CHECK (cost_points > 0),
    stock       INTEGER CHECK (stock >= 0),   -- NULL: unlimited
    min_tier_id INTEGER REFERENCES loyalty_tiers(id),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE loyalty_members (
    customer_id   INTEGER PRIMARY KEY REFERENCES customers(id),
    card_number   TEXT NOT NULL UNIQUE,      -- 16 digits, Luhn check digit
    referral_code TEXT NOT NULL UNIQUE,      -- parrainage code
    referred_by   INTEGER REFERENCES loyalty_members(customer_id),
    referral_rewarded INTEGER NOT NULL DEFAULT 0,
    balance       INTEGER NOT NULL DEFAULT 0, -- cached SUM(loyalty_ledger.points)
    tier_points   INTEGER NOT NULL DEFAULT 0, -- qualifying points
    tier_id       INTEGER REFERENCES loyalty_tiers(id),
    enrolled_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX loyalty_members_referrer ON loyalty_members(referred_by);

CREATE TABLE loyalty_redemptions (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES loyalty_members(customer_id),
    reward_id   INTEGER NOT NULL REFERENCES loyalty_rewards(id),
    points      INTEGER NOT NULL CHECK (points > 0),
    request_id  TEXT,                        -- client's idempotency key
    at          INTEGER NOT NULL,
    user_id     INTEGER
);
CREATE UNIQUE INDEX loyalty_redemptions_request ON loyalty_redemptions(customer_id, request_id)
    WHERE request_id IS NOT NULL;
CREATE INDEX loyalty_redemptions_customer ON loyalty_redemptions(customer_id, id);

-- The points ledger. kind: earn / reversal (an order's points and their
-- undoing), bonus (welcome, birthday), referral, award (rules engine, API),
-- adjust (manual correction), redeem, expire. Credits carry expires_at;
-- a reversal carries the expires_at of the credit it undoes; debits none.
CREATE TABLE loyalty_ledger (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES loyalty_members(customer_id),
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('earn','reversal','bonus','referral','award','adjust','redeem','expire')),
    points        INTEGER NOT NULL CHECK (points <> 0),
    balance_after INTEGER NOT NULL,
    expires_at    INTEGER,
    order_id      INTEGER,
    redemption_id INTEGER REFERENCES loyalty_redemptions(id),
    ref           TEXT,                      -- idempotency: unique per member
    reason        TEXT,
    user_id       INTEGER
);
CREATE INDEX loyalty_ledger_customer ON loyalty_ledger(customer_id, id);
CREATE INDEX loyalty_ledger_order ON loyalty_ledger(order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX loyalty_ledger_ref ON loyalty_ledger(customer_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX loyalty_ledger_expiring ON loyalty_ledger(expires_at) WHERE expires_at IS NOT NULL;
CREATE TRIGGER loyalty_ledger_append_only_u BEFORE UPDATE ON loyalty_ledger
BEGIN SELECT RAISE(ABORT, 'loyalty_ledger is append-only'); END;
CREATE TRIGGER loyalty_ledger_append_only_d BEFORE DELETE ON loyalty_ledger
BEGIN SELECT RAISE(ABORT, 'loyalty_ledger is append-only'); END;

INSERT INTO settings(key, value) VALUES ('loyalty_expiry_months', '24')
    ON CONFLICT(key) DO NOTHING;
