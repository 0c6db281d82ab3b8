-- Text mining (app/textmining.c): a per-day index of the terms of ticket
-- messages, complaints and survey comments, rebuilt one day at a time so a
-- refresh of today's texts reads only today's rows.
--
-- textmine_terms: one row per (day, source, category, term)
--   day        days since 1970-01-01 (UTC) of the text
--   source     'ticket' (inbound ticket messages), 'interaction' (interactions
--              of kind complaint), 'survey' (survey comments and text answers)
--   category   the ticket's kind, 'complaint', or the survey's kind
--   term       a Snowball stem, or two stems joined by a space (words = 2)
--   surface    the term as written (folded), to show
--   n, docs    occurrences, and texts containing it
--   scored, score_sum, low   of those texts, the ones with a satisfaction
--              score (0..1: the survey's or the ticket's CSAT), its sum, and
--              how many were low
CREATE TABLE textmine_terms (
    day       INTEGER NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('ticket','interaction','survey')),
    category  TEXT NOT NULL,
    term      TEXT NOT NULL,
    words     INTEGER NOT NULL CHECK (words IN (1, 2)),
    surface   TEXT NOT NULL,
    n         INTEGER NOT NULL,
    docs      INTEGER NOT NULL,
    scored    INTEGER NOT NULL DEFAULT 0,
    score_sum REAL NOT NULL DEFAULT 0,
    low       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, source, category, term)
);

-- The totals of each indexed (day, source, category): texts, kept words,
-- scored texts, sum of scores, low scores.
CREATE TABLE textmine_days (
    day         INTEGER NOT NULL,
    source      TEXT NOT NULL,
    category    TEXT NOT NULL,
    docs        INTEGER NOT NULL,
    words       INTEGER NOT NULL,
    scored      INTEGER NOT NULL DEFAULT 0,
    score_sum   REAL NOT NULL DEFAULT 0,
    low         INTEGER NOT NULL DEFAULT 0,
    refreshed_at INTEGER NOT NULL,
    PRIMARY KEY (day, source, category)
);

-- The stems of each customer's complaint texts (tickets of kind complaint,
-- complaint interactions) with the last time each was written: the
-- segment field complaint_terms_90d. Both the text's language stem and the
-- English stem of every word are kept.
CREATE TABLE textmine_customer_terms (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    term        TEXT NOT NULL,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (customer_id, term)
);
CREATE INDEX textmine_customer_terms_at ON textmine_customer_terms(last_at);

-- Where the last refresh stopped (one row).
CREATE TABLE textmine_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_day     INTEGER NOT NULL,
    refreshed_at INTEGER NOT NULL
);

-- A day's texts by time, for the refresh.
CREATE INDEX ticket_messages_at ON ticket_messages(at);
CREATE INDEX interactions_complaint_at ON interactions(at) WHERE kind = 'complaint';
CREATE INDEX survey_responses_answered ON survey_responses(answered_at);
