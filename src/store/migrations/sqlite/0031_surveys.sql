-- Satisfaction surveys (app/surveys.c): CSAT, NPS and custom questionnaires,
-- invitations (survey links with a secret token, e.g. after a resolved
-- ticket), responses and the attitudinal data they leave on the customer.
--
-- survey_responses is the table the KPIs read:
--   id           the response
--   survey_id    surveys.id
--   customer_id  who answered (customers.id)
--   kind         'csat' (score 1..5), 'nps' (score 0..10) or 'custom'
--   score        the score on the survey's scale (custom: the answer to its
--                satisfaction question, NULL when it has none)
--   scale_max    top of the scale (5 for CSAT, 10 for NPS)
--   answered_at  Unix seconds
--   answers      the whole answer as a JSON object
--   invitation_id, ticket_id   where it came from (NULL when answered directly)
CREATE TABLE surveys (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('csat','nps','custom')),
    question   TEXT,                 -- the question of a CSAT / NPS survey
    questions  TEXT NOT NULL DEFAULT '[]', -- custom: [{key, label, type, ...}]
    scale_max  INTEGER,              -- 5 (CSAT), 10 (NPS), custom: of the score question
    builtin    TEXT UNIQUE,          -- 'ticket_csat' for the service desk's survey
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO surveys(name, kind, question, scale_max, builtin, created_at, updated_at) VALUES
    ('Ticket satisfaction', 'csat', 'How satisfied are you with how we handled your request?',
     5, 'ticket_csat', 0, 0);

CREATE TABLE survey_invitations (
    id          INTEGER PRIMARY KEY,
    survey_id   INTEGER NOT NULL REFERENCES surveys(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    token_hash  TEXT NOT NULL UNIQUE,    -- SHA-256 of the link's token
    ticket_id   INTEGER,
    channel     TEXT,
    sent_at     INTEGER NOT NULL,
    answered_at INTEGER
);
CREATE INDEX survey_invitations_customer ON survey_invitations(customer_id, survey_id);
CREATE UNIQUE INDEX survey_invitations_ticket ON survey_invitations(survey_id, ticket_id)
    WHERE ticket_id IS NOT NULL;

CREATE TABLE survey_responses (
    id            INTEGER PRIMARY KEY,
    survey_id     INTEGER NOT NULL REFERENCES surveys(id),
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    kind          TEXT NOT NULL CHECK (kind IN ('csat','nps','custom')),
    score         INTEGER,
    scale_max     INTEGER,
    answered_at   INTEGER NOT NULL,
    answers       TEXT NOT NULL DEFAULT '{}',
    invitation_id INTEGER REFERENCES survey_invitations(id),
    ticket_id     INTEGER,
    CHECK (score IS NULL OR (score >= 0 AND score <= scale_max))
);
CREATE INDEX survey_responses_customer ON survey_responses(customer_id, answered_at);
CREATE INDEX survey_responses_survey ON survey_responses(survey_id, id);
CREATE INDEX survey_responses_kind ON survey_responses(kind, answered_at);
CREATE UNIQUE INDEX survey_responses_invitation ON survey_responses(invitation_id)
    WHERE invitation_id IS NOT NULL;
CREATE UNIQUE INDEX survey_responses_once ON survey_responses(survey_id, customer_id)
    WHERE invitation_id IS NULL;

-- The latest attitudinal data per customer, from their answers:
-- satisfaction as score / scale_max (0..1), the last NPS score (0..10),
-- repurchase intention (0..1).
CREATE TABLE customer_attitudes (
    customer_id          INTEGER PRIMARY KEY REFERENCES customers(id),
    satisfaction         REAL,
    satisfaction_at      INTEGER,
    nps                  INTEGER,
    nps_at               INTEGER,
    repurchase_intention REAL,
    repurchase_at        INTEGER,
    updated_at           INTEGER NOT NULL
);
