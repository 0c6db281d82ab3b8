-- The unique key (rule_id, customer_id, window_key) already leads with the
-- rule and the customer: the rolling-window check uses it, so this index
-- only cost a write per run.
DROP INDEX IF EXISTS rule_runs_rule;
