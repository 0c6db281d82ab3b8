-- The service desk: teams, SLA calendars and policies, tickets with their
-- due times (indexed: the breach sweep is a range scan on next_due_at),
-- the conversation (replies, internal notes, e-mails), and the IMAP
-- high-water mark of the support mailbox.
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    assignment TEXT NOT NULL DEFAULT 'manual' CHECK (assignment IN ('manual','round_robin')),
    escalation_team_id INTEGER REFERENCES teams(id),
    last_assigned_user_id INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

-- Opening hours per weekday as JSON {"mon":["09:00","18:00"],...} and
-- holidays as a JSON array of dates; a fixed UTC offset (no DST).
CREATE TABLE sla_calendars (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    tz_offset_minutes INTEGER NOT NULL DEFAULT 0,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);

-- Targets in business minutes; kind / priority NULL match any. The most
-- specific active policy applies.
CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT,
    priority TEXT,
    first_response_minutes INTEGER NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes INTEGER NOT NULL CHECK (resolution_minutes > 0),
    calendar_id INTEGER REFERENCES sla_calendars(id),
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL CHECK (kind IN ('complaint','assistance','support','information')),
    channel TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
    status TEXT NOT NULL CHECK (status IN ('new','open','waiting','resolved','closed')),
    subject TEXT NOT NULL,
    team_id INTEGER REFERENCES teams(id),
    assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    policy_id INTEGER REFERENCES sla_policies(id),
    email_from TEXT,                  -- reply address when it came by e-mail
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at INTEGER,
    closed_at INTEGER,
    -- SLA clock: due times while running; remaining business seconds while
    -- paused (waiting on the customer)
    first_response_due_at INTEGER,
    resolution_due_at INTEGER,
    first_response_left INTEGER,
    resolution_left INTEGER,
    paused_at INTEGER,
    next_due_at INTEGER,              -- nearest pending due time, NULL when none
    first_response_breached INTEGER NOT NULL DEFAULT 0,
    resolution_breached INTEGER NOT NULL DEFAULT 0,
    breached_at INTEGER,
    escalated INTEGER NOT NULL DEFAULT 0,
    csat_requested_at INTEGER
);
CREATE INDEX tickets_customer ON tickets(customer_id, created_at);
CREATE INDEX tickets_due ON tickets(next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX tickets_status ON tickets(status, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);

CREATE TABLE ticket_messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    at INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    internal INTEGER NOT NULL DEFAULT 0,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    email_message_id TEXT UNIQUE,
    in_reply_to TEXT,
    delivery TEXT NOT NULL DEFAULT 'none' CHECK (delivery IN ('none','sent','failed')),
    delivery_error TEXT
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id);

CREATE TABLE mail_state (
    mailbox TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL DEFAULT 0,
    last_uid INTEGER NOT NULL DEFAULT 0,
    fetched_at INTEGER
);
