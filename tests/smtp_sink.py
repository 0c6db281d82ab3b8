"""A real SMTP server for the campaign tests (aiosmtpd handler).

Run: PYTHONPATH=tests /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink OUT.jsonl
Every accepted message is appended to OUT.jsonl as one JSON line
flushed before the 250 reply, so what the client saw accepted is on disk.
Recipients whose local part starts with "bounce" are refused with 550 (a
hard bounce), "tempfail" with 451 (retry later).
"""
import json
import os
import sys
from email import message_from_bytes, policy


class Sink:
    def __init__(self, out):
        self.out = out

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Sink takes one argument: the output file")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 <%s>: user unknown" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        rec = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "message_id": msg.get("Message-ID"),
            "subject": str(msg.get("Subject", "")),
            "list_unsubscribe": msg.get("List-Unsubscribe"),
            "data": envelope.content.decode("utf-8", "replace"),
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return "250 Message accepted"


if __name__ == "__main__":
    sys.exit("run through: python3 -m aiosmtpd -c smtp_sink.Sink OUT")
