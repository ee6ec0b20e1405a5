"""A real SMTP server (aiosmtpd) for nashr's newsletter tests.

Every accepted message is written to SPOOL/<n>.eml (atomically, before the 250 reply goes
out: a sender killed right after that is the crash case the ledger cannot see). Faults for
the fault test, in the server's own answers to RCPT TO:
  --fail-4xx REGEX --fail-4xx-times N   451 for matching recipients, their first N attempts
  --fail-5xx ADDRESS                    550 for this recipient, always
Prints "port N" on standard output once it accepts connections; runs until killed.
"""
import argparse
import asyncio
import os
import re
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, spool, fail4, times4, fail5, delay, delay_after):
        self.spool = spool
        self.fail4 = re.compile(fail4) if fail4 else None
        self.times4 = times4
        self.fail5 = (fail5 or "").lower()
        self.delay = delay
        self.delay_after = delay_after
        self.attempts = {}
        self.lock = threading.Lock()
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        addr = address.lower()
        if self.fail5 and addr == self.fail5:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if self.fail4 and self.fail4.search(addr):
            with self.lock:
                n = self.attempts.get(addr, 0) + 1
                self.attempts[addr] = n
            if n <= self.times4:
                return "451 4.3.0 <%s>: try again later (attempt %d)" % (address, n)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.count += 1
            n = self.count
        name = "%d-%06d" % (time.time_ns(), n)
        tmp = os.path.join(self.spool, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.spool, name + ".eml"))
        if self.delay_after:
            # The message is kept; a sender killed now has no 250 and no ledger entry.
            await asyncio.sleep(self.delay_after)
        return "250 2.0.0 OK queued as %s" % name


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--spool", required=True)
    p.add_argument("--fail-4xx")
    p.add_argument("--fail-4xx-times", type=int, default=1)
    p.add_argument("--fail-5xx")
    p.add_argument("--delay", type=float, default=0.0, help="seconds before saving a message")
    p.add_argument("--delay-after", type=float, default=0.0, help="seconds between saving and the 250 reply")
    a = p.parse_args()
    os.makedirs(a.spool, exist_ok=True)
    handler = Handler(a.spool, a.fail_4xx, a.fail_4xx_times, a.fail_5xx, a.delay, a.delay_after)
    port = a.port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=10 * 1024 * 1024)
    controller.start()
    print("port %d" % port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
