-- Telephony (CTI, seed 000): calls reported by the phone system's webhook
-- (ringing, answered, ended, in any order), the caller found by phone
-- number, the agent, and the follow-up task set from the call card; and
-- the digests of the signed requests received, so a replayed one is refused.

CREATE TABLE calls (
    id           INTEGER PRIMARY KEY,
    call_ref     TEXT NOT NULL UNIQUE,           -- the phone system's call id
    customer_id  INTEGER REFERENCES customers(id),
    direction    TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    from_number  TEXT NOT NULL,                  -- E.164 when it parses, else as sent
    to_number    TEXT NOT NULL,
    agent        TEXT,                           -- as the phone system names the agent
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    state        TEXT NOT NULL CHECK (state IN ('ringing','answered','ended')),
    ringing_at   INTEGER,                        -- Unix seconds of each event, NULL until seen
    answered_at  INTEGER,
    ended_at     INTEGER,
    duration_s   INTEGER NOT NULL DEFAULT 0,     -- talk time: answered to ended
    outcome      TEXT,                           -- answered|missed|no_answer|busy|voicemail|failed|rejected
    task_id      INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX calls_customer ON calls(customer_id, id);
CREATE INDEX calls_user ON calls(user_id, id);

-- One row per accepted signed request (SHA-256 of its signature): the same
-- request sent again inside the time window is a replay.
CREATE TABLE cti_requests (
    digest       TEXT PRIMARY KEY,
    received_at  INTEGER NOT NULL
);
CREATE INDEX cti_requests_at ON cti_requests(received_at);
