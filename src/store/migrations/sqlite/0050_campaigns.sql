-- Campaigns over real channels: campaigns and their recipients (with the
-- reason of every exclusion and the control group), the persistent send
-- queue, the suppression list, used one-time links, newsletters with double
-- opt-in, and the usage terms of rented files (provenance).

-- Usage terms of a source (a rented file): usable from/until (expires_at is
-- the until), and the purposes allowed ('|'-separated, NULL = any).
ALTER TABLE sources ADD COLUMN usable_from INTEGER;
ALTER TABLE sources ADD COLUMN allowed_purposes TEXT;

CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email','sms','mail','phone')),
    purpose         TEXT NOT NULL DEFAULT 'marketing',
    offer           TEXT,              -- the offer promoted: refusals of it exclude
    newsletter_id   INTEGER,           -- an issue of a newsletter: its confirmed subscribers
    segment_id      INTEGER,
    customer_ids    TEXT,              -- explicit audience, JSON array
    subject_fr      TEXT,
    subject_en      TEXT,
    body_fr         TEXT,
    body_en         TEXT,
    html_fr         TEXT,
    html_en         TEXT,
    landing_url     TEXT,              -- {{ landing_url }}: a tracked, signed redirect to it
    status          TEXT NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft','scheduled','sending','sent','cancelled')),
    scheduled_at    INTEGER,
    control_pct     INTEGER NOT NULL DEFAULT 10 CHECK (control_pct BETWEEN 0 AND 90),
    seed            INTEGER NOT NULL DEFAULT 1,
    conversion_days INTEGER NOT NULL DEFAULT 30,
    cost_minor      INTEGER NOT NULL DEFAULT 0,  -- fixed cost of the campaign
    cost_per_message_minor INTEGER NOT NULL DEFAULT 0,
    currency        TEXT NOT NULL DEFAULT 'EUR',
    launched_at     INTEGER,
    created_by      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX campaigns_due ON campaigns(status, scheduled_at);

-- One row per audience member: queued (a message in the send queue), control
-- (held out), or excluded with the reason. at is when it was decided; the
-- marketing-pressure cap counts queued rows across all campaigns and channels.
CREATE TABLE campaign_recipients (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    status      TEXT NOT NULL CHECK (status IN ('queued','control','excluded')),
    reason      TEXT,
    at          INTEGER NOT NULL,
    message_id  INTEGER,
    opened_at   INTEGER,
    clicked_at  INTEGER,
    PRIMARY KEY (campaign_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX campaign_recipients_pressure ON campaign_recipients(customer_id, at)
    WHERE status = 'queued';

-- The persistent send queue. idem_key is unique per message (campaign and
-- customer, or the purpose of a one-off message), so a message is never
-- queued twice. pending → claimed (by a worker, attempts+1) → sent | bounced
-- | failed; a claim older than the lease goes back to pending (crash).
CREATE TABLE send_queue (
    id          INTEGER PRIMARY KEY,
    idem_key    TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL CHECK (channel IN ('email','sms')),
    campaign_id INTEGER,
    customer_id INTEGER,
    to_addr     TEXT NOT NULL,
    subject     TEXT,
    body        TEXT NOT NULL,
    html        TEXT,
    unsubscribe TEXT,              -- List-Unsubscribe URL
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending','claimed','sent','bounced','failed','cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    claimed_at  INTEGER,           -- wall-clock time of the claim (lease)
    claimed_by  TEXT,              -- "pid:nonce" of the worker process
    sent_at     INTEGER,
    last_error  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX send_queue_due ON send_queue(status, next_at);
CREATE INDEX send_queue_campaign ON send_queue(campaign_id, status);
CREATE INDEX send_queue_customer ON send_queue(customer_id, sent_at);

-- Never send to these (hard bounces, unsubscribes, complaints).
CREATE TABLE suppressions (
    channel   TEXT NOT NULL,
    address   TEXT NOT NULL,       -- lower-cased e-mail or E.164 phone
    reason    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
) WITHOUT ROWID;

-- One-time links already used (unsubscribe, confirmation): a replay is refused.
CREATE TABLE used_links (
    nonce TEXT PRIMARY KEY,
    at    INTEGER NOT NULL
) WITHOUT ROWID;

-- Clicks of tracked links (one row per click, for the results).
CREATE TABLE campaign_clicks (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    url         TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX campaign_clicks_campaign ON campaign_clicks(campaign_id);

CREATE TABLE newsletters (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at  INTEGER NOT NULL
);

-- Double opt-in: pending until the confirmation link is followed.
CREATE TABLE newsletter_subscriptions (
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id),
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    status        TEXT NOT NULL CHECK (status IN ('pending','confirmed','unsubscribed')),
    requested_at  INTEGER NOT NULL,
    confirmed_at  INTEGER,
    unsubscribed_at INTEGER,
    PRIMARY KEY (newsletter_id, customer_id)
) WITHOUT ROWID;
