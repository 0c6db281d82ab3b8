-- Erasures (GDPR article 17): the ids of the people erased, with no personal
-- data, so that an erasure is applied again to any older backup restored
-- later (app/privacy.c). No foreign key: the record must outlive everything.
CREATE TABLE erasures (
    customer_id BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    user_id     BIGINT,
    reason      TEXT NOT NULL
);

-- The audit log stays append-only, with one exception: an erasure may
-- replace the before/after images of a person's entries by a marker.
DROP TRIGGER audit_append_only_u ON audit_log;
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit_log FOR EACH ROW
WHEN (NOT (NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.user_id IS NOT DISTINCT FROM OLD.user_id
          AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.entity = OLD.entity
          AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id
          AND (NEW.before_json IS NULL OR NEW.before_json = '{"erased":true}')
          AND (NEW.after_json IS NULL OR NEW.after_json = '{"erased":true}')))
EXECUTE FUNCTION relatio_append_only();
