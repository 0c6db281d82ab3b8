-- Tasks and activities of the front line (seed 002, customer follow-up):
-- calls, meetings, e-mails and to-dos with a due time, a reminder, an
-- assignee (a user or a team), links to a customer, a deal or a ticket; and
-- the secret tokens of the per-user iCalendar feeds.

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers(id),
    deal_id     INTEGER REFERENCES deals(id),
    ticket_id   INTEGER,                       -- the service desk's ticket
    kind        TEXT NOT NULL CHECK (kind IN ('call','meeting','email','todo')),
    title       TEXT NOT NULL,
    notes       TEXT,
    due_at      INTEGER,                       -- Unix seconds (UTC)
    ends_at     INTEGER,                       -- meetings: end time
    remind_at   INTEGER,
    assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    team        TEXT,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','cancelled')),
    done_at     INTEGER,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    sequence    INTEGER NOT NULL DEFAULT 0     -- iCalendar SEQUENCE, bumped on change
);
CREATE INDEX tasks_assignee ON tasks(assignee_id, status, due_at);
CREATE INDEX tasks_team ON tasks(team, status, due_at);
CREATE INDEX tasks_customer ON tasks(customer_id, id);
CREATE INDEX tasks_deal ON tasks(deal_id);
CREATE INDEX tasks_due ON tasks(status, due_at);

-- The secret of a user's calendar feed URL; only its SHA-256 is kept.
CREATE TABLE calendar_feeds (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
