-- The send attempt in progress: set (and committed) just before a message is
-- handed to the SMTP server or the SMS gateway, cleared by the next claim. A
-- worker that dies leaves it behind: a claim without it was never tried (sent
-- again safely); a claim with it is in doubt (see campaign setting in_doubt).
ALTER TABLE send_queue ADD COLUMN sending_at BIGINT;
