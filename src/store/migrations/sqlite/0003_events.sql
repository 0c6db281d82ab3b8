-- The event log: every business event (an order placed, a survey answered,
-- a ticket opened, a segment entered, a page viewed...) is appended here in
-- the same transaction as the change that caused it. The rules engine and
-- any other consumer read it forward by id (an outbox), so nothing is missed
-- after a crash.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,            -- Unix seconds
    type TEXT NOT NULL,             -- "order.placed", "survey.answered", ...
    customer_id INTEGER,            -- NULL for events about no customer
    subject TEXT,                   -- "order", "ticket", "survey_response", ...
    subject_id INTEGER,
    data TEXT NOT NULL DEFAULT '{}' -- JSON object with the event's details
);
CREATE INDEX events_customer ON events(customer_id, type, at);
CREATE INDEX events_type ON events(type, at);

-- How far each consumer has read the log.
CREATE TABLE event_cursors (
    consumer TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL DEFAULT 0
);
