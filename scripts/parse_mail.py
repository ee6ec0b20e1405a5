"""Parses every .eml file of a spool directory with Python's email package (a real MIME
parser, independent of lettre) and prints one JSON object per message, for the newsletter
tests: decoded headers, the raw header block, the parts in order and the decoded bodies."""
import email
import json
import os
import sys
from email import policy

out = []
spool = sys.argv[1]
for name in sorted(os.listdir(spool)):
    if not name.endswith(".eml"):
        continue
    raw = open(os.path.join(spool, name), "rb").read()
    msg = email.message_from_bytes(raw, policy=policy.default)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii", "replace")
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    out.append({
        "file": name,
        "subject": str(msg["Subject"]),
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "to_address": msg["To"].addresses[0].addr_spec if msg["To"] else "",
        "message_id": str(msg["Message-ID"]),
        "list_unsubscribe": str(msg["List-Unsubscribe"]),
        "list_unsubscribe_post": str(msg["List-Unsubscribe-Post"]),
        "header_counts": {k: len(msg.get_all(k) or []) for k in ["List-Unsubscribe", "List-Unsubscribe-Post", "Message-ID", "Subject", "To"]},
        "raw_head": head,
        "parts": [p.get_content_type() for p in msg.walk()],
        "text": plain.get_content() if plain else "",
        "html": html.get_content() if html else "",
        "defects": [str(d) for d in msg.defects],
    })
json.dump(out, sys.stdout, ensure_ascii=False)
