-- Counts of a rule's trigger events per customer (and per value of the
-- count's "same" field, e.g. the page): the last at_least times within the
-- window, so "the 5th view of the same page within 30 days" is one primary
-- key lookup per event instead of a scan of the customer's history.
CREATE TABLE rule_counts (
    rule_id BIGINT NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL,
    value TEXT NOT NULL,          -- the "same" field's value, '' without one
    times TEXT NOT NULL,          -- up to at_least Unix times, ascending, comma-separated
    last_at BIGINT NOT NULL,     -- for pruning (a scan of the rule's rows, rare)
    PRIMARY KEY (rule_id, customer_id, value)
);
