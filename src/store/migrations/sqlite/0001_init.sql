CREATE TABLE IF NOT EXISTS schema_placeholder(x);
