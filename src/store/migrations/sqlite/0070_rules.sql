-- The behavioural rules engine (seed 004, table 3 and figure 3): rules are
-- data (a JSON definition: trigger, conditions, steps of actions and waits),
-- each firing is a run of one rule for one customer in one window, unique so
-- that an action happens at most once per customer, rule and window.
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    template TEXT UNIQUE,          -- key of a shipped template, NULL for one's own rules
    name TEXT NOT NULL,
    description TEXT,
    enabled INTEGER NOT NULL DEFAULT 0,
    definition TEXT NOT NULL,      -- JSON, validated by app/rules.c
    trigger_event TEXT,            -- the event type it listens to (NULL: scheduled)
    webhook_secret TEXT NOT NULL,  -- HMAC-SHA256 key of its webhook calls
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One run of a rule for a customer: the journey instance. window_key says
-- which window it belongs to ("e<event id>", "d<day bucket>", "ever",
-- "a<last seen>"); waiting runs resume at due_at with next_step.
CREATE TABLE rule_runs (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    window_key TEXT NOT NULL,
    event_id INTEGER,              -- the triggering event, NULL for scheduled triggers
    depth INTEGER NOT NULL DEFAULT 0,
    context TEXT NOT NULL DEFAULT '{}', -- the trigger's data, for {{event.data.x}} in actions
    status TEXT NOT NULL CHECK (status IN ('running','waiting','done','stopped','cut')),
    next_step INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (rule_id, customer_id, window_key)
);
CREATE INDEX rule_runs_due ON rule_runs(status, due_at);
CREATE INDEX rule_runs_customer ON rule_runs(customer_id, started_at);
CREATE INDEX rule_runs_rule ON rule_runs(rule_id, customer_id, started_at);

-- Every action done (or failed) by a run: the firing log, on the timeline.
CREATE TABLE rule_firings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES rule_runs(id) ON DELETE CASCADE,
    rule_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    step INTEGER NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done','failed','stopped','cut')),
    detail TEXT,
    at INTEGER NOT NULL,
    UNIQUE (run_id, step)
);
CREATE INDEX rule_firings_rule ON rule_firings(rule_id, id);
CREATE INDEX rule_firings_customer ON rule_firings(customer_id, at);

-- Outgoing webhook calls, signed, retried with back-off.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    run_id INTEGER,
    customer_id INTEGER,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
CREATE INDEX webhook_deliveries_rule ON webhook_deliveries(rule_id, id);

-- E-mails of rule actions, queued in the run's transaction and sent by the
-- scheduler over SMTP (channels/smtp.h), retried with back-off.
CREATE TABLE rule_messages (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    run_id INTEGER,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX rule_messages_due ON rule_messages(status, next_at);
CREATE INDEX rule_messages_customer ON rule_messages(customer_id, created_at);

-- The shipped templates (editable rows, off until switched on): the four
-- behavioural triggers of seed 004's table 3, its two customer journeys
-- (figure 3), a welcome programme, a win-back of inactive customers and a
-- recovery of cart abandoners. docs/rules.md explains each.
INSERT INTO rules(template, name, description, enabled, definition, trigger_event, webhook_secret, created_at, updated_at) VALUES
('seed004.search_banner', 'Search keyword → promotional banner',
 'Seed 004, table 3, row 1: a search-engine keyword (e.g. "voyage Gabon pas cher") brought the visitor: show a banner for that offer on the landing page.',
 0, '{"trigger":{"type":"event","event":"search"},"conditions":[{"field":"event.data.source","op":"eq","value":"referrer"}],"steps":[{"action":"personalize","slot":"banner","content":{"kind":"promotion","offer":"{{event.data.query}}","text":"Our offers for: {{event.data.query}}"},"expires_in_days":30}],"once_per":"event"}',
 'search', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('seed004.repeat_view_email', '5th view of the same page in 30 days → trigger e-mail',
 'Seed 004, table 3, row 2: interest in a product without a purchase: after the 5th view of the same page within 30 days, an e-mail recalling the product with an incentive.',
 0, '{"trigger":{"type":"event","event":"page.viewed","count":{"at_least":5,"within_days":30,"same":"path"}},"steps":[{"action":"email","subject":"Still thinking about it?","text":"You came back to {{event.data.path}} several times. Here is 10% off to make up your mind: code WELCOME10."}],"once_per":{"days":30}}',
 'page.viewed', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('seed004.checkout_abandoned_call', 'Order started, stopped before payment → customer-service call',
 'Seed 004, table 3, row 3: an aborted purchase: unless the order is paid within 2 hours, customer service calls to ask whether there was a problem with the order.',
 0, '{"trigger":{"type":"event","event":"checkout.started"},"steps":[{"wait":{"hours":2},"unless":["purchase","order.placed"]},{"action":"task","kind":"call","title":"Call: was there a problem with the order? ({{event.data.product}})","assign":"owner","team":"customer_service","due_in_hours":24}],"once_per":{"days":1}}',
 'checkout.started', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('seed004.lapsed_visitor_survey', 'No visit for a month from a regular visitor → survey at the next visit',
 'Seed 004, table 3, row 4: declining use: a visitor whose usual gap between visits is under 30 days has not come for 30 days; at the next visit, ask "are you satisfied with our web site?".',
 0, '{"trigger":{"type":"absence","event":"page.viewed","days":30,"regular":true,"min_events":3},"steps":[{"action":"personalize","slot":"survey","content":{"survey":"site_satisfaction","question":"Are you satisfied with our web site?"},"expires_in_days":60}]}',
 NULL, lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('seed004.journey_bad_score', 'Journey: bad survey score → at risk → adviser call-back',
 'Seed 004, figure 3, journey 1: the customer gives a bad score (CSAT ≤ 2 of 5 or NPS ≤ 6) in their online space; the score lands in the base, the customer is flagged at risk and an adviser calls back with a better offer.',
 0, '{"trigger":{"type":"event","event":"survey.answered"},"conditions":[{"field":"event.data.score","op":"bad_score"}],"steps":[{"action":"flag","flag":"at_risk","reason":"bad {{event.data.kind}} score {{event.data.score}}/{{event.data.scale_max}}"},{"action":"task","kind":"call","title":"Call back with a better offer (bad {{event.data.kind}} score {{event.data.score}})","assign":"owner","team":"advisers","due_in_hours":24}],"once_per":"event"}',
 'survey.answered', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('seed004.journey_store_interest', 'Journey: interest noted in store → e-mail → offer featured online',
 'Seed 004, figure 3, journey 2: a seller records the interest in store; three days later the customer receives an e-mail featuring the offer, and the web site features it, with everything needed to subscribe online.',
 0, '{"trigger":{"type":"event","event":"interest.noted"},"conditions":[{"field":"event.data.channel","op":"eq","value":"store"}],"steps":[{"wait":{"days":3}},{"action":"email","subject":"{{event.data.offer}}: the offer you asked about","text":"Following your visit in store, here is the offer {{event.data.offer}}. Subscribe online in a few clicks from your customer space."},{"action":"personalize","slot":"offer","content":{"offer":"{{event.data.offer}}","cta":"subscribe","source":"store_interest"},"expires_in_days":30}],"once_per":"event"}',
 'interest.noted', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('programme.welcome', 'Welcome programme',
 'Acquisition (seed 002): after the first purchase, tag the customer, send a welcome e-mail, and a week later a second e-mail with the loyalty programme.',
 0, '{"trigger":{"type":"event","event":"order.placed"},"conditions":[{"field":"customer.orders_count","op":"eq","value":1}],"steps":[{"action":"tag","tag":"welcome_programme"},{"action":"email","subject":"Welcome!","text":"Thank you for your first order. Your customer space is ready."},{"wait":{"days":7}},{"action":"email","subject":"Your first week with us","text":"Join our loyalty programme: every purchase earns points."}],"once_per":"ever"}',
 'order.placed', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('programme.winback', 'Win-back of inactive customers',
 'Retention (seed 002): customers without a purchase for inactive_after_days (365) but not yet former get a win-back e-mail with an incentive; if they still have not ordered 14 days later, a call task.',
 0, '{"trigger":{"type":"schedule","audience":"inactive"},"steps":[{"action":"tag","tag":"winback"},{"action":"email","subject":"We miss you","text":"It has been a while. Here is 15% off your next order: code COMEBACK15."},{"wait":{"days":14},"unless":"order.placed"},{"action":"task","kind":"call","title":"Win-back call","assign":"owner","team":"sales","due_in_hours":72}],"once_per":{"days":365}}',
 NULL, lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER)),
('programme.cart_recovery', 'Recovery of cart abandoners',
 'Retention (seed 002, "recover those who abandoned"): a product put in the cart and no purchase within 4 hours: a reminder e-mail.',
 0, '{"trigger":{"type":"event","event":"cart.added"},"steps":[{"wait":{"hours":4},"unless":["purchase","order.placed"]},{"action":"email","subject":"You left something in your cart","text":"{{event.data.product}} is still waiting in your cart."}],"once_per":{"days":1}}',
 'cart.added', lower(hex(randomblob(32))), CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER));
