"""POP3 (and IMAP) on a real socket, judged by clients nobody here wrote: mail sent with
smtplib or swaks to ``smtpsim serve`` is fetched with Python's poplib (and imaplib),
byte for byte."""

from __future__ import annotations

import imaplib
import os
import poplib
import queue
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

MESSAGE = (b"From: bob@example.org\r\nTo: alice@example.com\r\nSubject: fetch me\r\n\r\n"
           b"Hello Alice.\r\n.a line that starts with a dot\r\n.\r\nBob\r\n")
SECOND = b"Subject: second\r\n\r\nAgain\r\n"
RETURN_PATH = b"Return-Path: <bob@example.org>\r\n"


class Serve:
    """``python -m smtpsim serve`` with POP3 (and IMAP) listeners, as a child process."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smtpsim", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.ports: dict[str, int] = {}
        first = self.line()
        assert first.startswith("listening on 127.0.0.1:"), first
        self.ports["smtp"] = int(first.rsplit(":", 1)[1])
        for flag, name in (("--pop3-port", "pop3"), ("--imap-port", "imap")):
            if flag in args:
                line = self.line()
                assert line.startswith(f"{name} listening on 127.0.0.1:"), line
                self.ports[name] = int(line.rsplit(":", 1)[1])

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self, timeout: float = 15) -> str:
        return self.lines.get(timeout=timeout)

    def send(self, message: bytes = MESSAGE, to: tuple[str, ...] = ("alice@example.com",)) -> None:
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=5) as client:
            client.sendmail("bob@example.org", list(to), message)
        assert self.line().startswith("accepted ")

    def pop3(self) -> poplib.POP3:
        client = poplib.POP3("127.0.0.1", self.ports["pop3"], timeout=5)
        client.user("alice")
        client.pass_("wonderland")
        return client

    def imap(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=5)
        client.login("alice", "wonderland")
        return client

    def raw_imap(self) -> tuple[socket.socket, BinaryIO]:
        """A logged-in IMAP connection with INBOX selected, spoken to by hand."""
        sock = socket.create_connection(("127.0.0.1", self.ports["imap"]), timeout=5)
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"* OK [CAPABILITY IMAP4rev2 IMAP4rev1 ")
        sock.sendall(b"r1 LOGIN alice wonderland\r\nr2 SELECT INBOX\r\n")
        while not reader.readline().startswith(b"r2 OK"):
            pass
        return sock, reader

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    server = Serve("--maildir", str(tmp_path / "mail"), "--pop3-port", "0", "--imap-port", "0",
                   "--account", "alice:wonderland", "--account", "carol:pw",
                   "--hostname", "mail.test", "--idle-timeout", "3")
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(timeout=15)


def files(directory: Path) -> list[Path]:
    return sorted((directory / "new").iterdir())


def test_smtplib_sends_and_poplib_fetches_byte_for_byte(serve: Serve, tmp_path: Path) -> None:
    serve.send()
    serve.send(SECOND)
    client = serve.pop3()
    sizes = [len(RETURN_PATH + MESSAGE), len(RETURN_PATH + SECOND)]
    assert client.stat() == (2, sum(sizes))
    response, listing, _ = client.list()
    assert response.startswith(b"+OK 2 messages")
    assert listing == [b"1 %d" % sizes[0], b"2 %d" % sizes[1]]
    response, uids, _ = client.uidl()
    assert [u.split()[0] for u in uids] == [b"1", b"2"]
    response, lines, octets = client.retr(1)
    # poplib un-stuffs the dots and splits the lines: joined again, they are the file.
    assert b"\r\n".join(lines) + b"\r\n" == RETURN_PATH + MESSAGE
    (first, _) = files(tmp_path / "mail" / "alice")
    assert first.read_bytes() == RETURN_PATH + MESSAGE
    response, top, _ = client.top(1, 1)
    assert top == (RETURN_PATH + MESSAGE).split(b"\r\n\r\n")[0].split(b"\r\n") + [
        b"", b"Hello Alice."]
    assert client.dele(1).startswith(b"+OK")
    assert client.quit().startswith(b"+OK mail.test POP3 server signing off (1 deleted")
    assert [p.read_bytes() for p in files(tmp_path / "mail" / "alice")] == [
        RETURN_PATH + SECOND]


def test_dele_then_a_dropped_connection_keeps_the_message(serve: Serve, tmp_path: Path) -> None:
    serve.send()
    client = serve.pop3()
    client.dele(1)
    client.sock.close()  # gone without QUIT: no UPDATE state, nothing removed
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        again = serve.pop3()
        try:
            if again.stat()[0] == 1:
                break
        finally:
            again.quit()
    assert len(files(tmp_path / "mail" / "alice")) == 1


def test_a_second_client_sees_the_deletion_only_after_quit(serve: Serve) -> None:
    serve.send()
    first, second = serve.pop3(), serve.pop3()
    first.dele(1)
    assert second.stat()[0] == 1  # marked is not removed
    first.quit()
    with pytest.raises(poplib.error_proto, match="removed by another session"):
        second.retr(1)
    second.quit()
    third = serve.pop3()
    assert third.stat() == (0, 0)
    third.quit()


def test_mail_goes_to_the_account_of_each_recipient_and_others_to_the_catch_all(
        serve: Serve, tmp_path: Path) -> None:
    serve.send(to=("Alice@example.com", "carol@example.net", "dave@example.org"))
    root = tmp_path / "mail"
    assert len(files(root / "alice")) == len(files(root / "carol")) == 1
    assert [p.read_bytes() for p in files(root)] == [RETURN_PATH + MESSAGE]
    client = poplib.POP3("127.0.0.1", serve.ports["pop3"], timeout=5)
    client.user("carol")
    client.pass_("pw")
    assert client.stat()[0] == 1
    client.quit()


def test_a_wrong_password_and_an_unknown_user_look_the_same(serve: Serve) -> None:
    answers = []
    for user, password in (("alice", "nope"), ("mallory", "wonderland")):
        client = poplib.POP3("127.0.0.1", serve.ports["pop3"], timeout=5)
        client.user(user)
        with pytest.raises(poplib.error_proto) as refused:
            client.pass_(password)
        answers.append(refused.value.args[0])
        client.quit()
    assert answers[0] == answers[1] == b"-ERR [AUTH] invalid user name or password"


def test_an_idle_client_is_told_goodbye_and_loses_nothing(serve: Serve, tmp_path: Path) -> None:
    serve.send()
    client = serve.pop3()
    client.dele(1)
    client.sock.settimeout(10)
    assert client.file.readline() == b"-ERR [SYS/TEMP] idle for too long; goodbye\r\n"
    assert client.file.readline() == b""  # closed
    assert len(files(tmp_path / "mail" / "alice")) == 1


def test_mail_already_in_the_maildir_is_served_after_a_restart(tmp_path: Path) -> None:
    args = ("--maildir", str(tmp_path / "mail"), "--pop3-port", "0",
            "--account", "alice:wonderland")
    first = Serve(*args)
    first.send()
    assert first.stop() == 0
    second = Serve(*args)
    try:
        client = second.pop3()
        response, lines, _ = client.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == RETURN_PATH + MESSAGE
        client.quit()
    finally:
        second.stop()


def test_swaks_sends_and_poplib_fetches(serve: Serve) -> None:
    swaks = shutil.which("swaks")
    if swaks is None:
        if os.environ.get("SMTPSIM_REQUIRE_TOOLS") == "1":
            pytest.fail("swaks is required (SMTPSIM_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("swaks is not installed")
    done = subprocess.run(
        [swaks, "--server", f"127.0.0.1:{serve.ports['smtp']}", "--from", "bob@example.org",
         "--to", "alice@example.com", "--header", "Subject: judged by swaks",
         "--body", "Sent by swaks, fetched by poplib."],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert serve.line().startswith("accepted ")
    client = serve.pop3()
    _, lines, _ = client.retr(1)
    assert lines[0] == RETURN_PATH.rstrip()
    assert b"Subject: judged by swaks" in lines
    assert b"Sent by swaks, fetched by poplib." in lines
    client.quit()


@pytest.mark.parametrize(("args", "message"), [
    (("--account", "alice"), "must be USER:PASSWORD"),
    (("--account", "al ice:pw"), "may not hold spaces"),
    (("--pop3-port", "70000"), "--pop3-port"),
    (("--account", "alice:a", "--account", "ALICE:b", "--pop3-port", "0"), "given twice"),
])
def test_bad_retrieval_options_are_one_line_and_exit_2(args: tuple[str, ...],
                                                        message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "smtpsim", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_too_many_pop3_clients_are_told_to_come_back(tmp_path: Path) -> None:
    server = Serve("--pop3-port", "0", "--account", "alice:wonderland",
                   "--max-connections", "1")
    try:
        keep = socket.create_connection(("127.0.0.1", server.ports["pop3"]), timeout=5)
        assert keep.makefile("rb").readline().startswith(b"+OK")
        extra = socket.create_connection(("127.0.0.1", server.ports["pop3"]), timeout=5)
        assert extra.makefile("rb").readline() == (
            b"-ERR [SYS/TEMP] too many connections, try again later\r\n")
        keep.close()
        extra.close()
    finally:
        server.stop()


# -- IMAP ------------------------------------------------------------------------------


def test_smtplib_sends_and_imaplib_reads_byte_for_byte(serve: Serve, tmp_path: Path) -> None:
    serve.send()
    serve.send(SECOND)
    client = serve.imap()
    assert "IMAP4REV1" in client.capabilities and "IDLE" in client.capabilities
    assert client.select("INBOX") == ("OK", [b"2"])
    assert client.search(None, "ALL") == ("OK", [b"1 2"])
    assert client.search(None, "UNSEEN", "SUBJECT", '"fetch me"') == ("OK", [b"1"])
    status, data = client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert data[0][1] == b"Subject: fetch me\r\n\r\n"
    status, data = client.fetch("1", "(BODY[])")
    assert status == "OK" and data[0][1] == RETURN_PATH + MESSAGE  # as stored, dots and all
    (first, second) = files(tmp_path / "mail" / "alice")
    assert first.read_bytes() == RETURN_PATH + MESSAGE
    status, data = client.uid("FETCH", "2", "(UID FLAGS RFC822.SIZE)")
    assert data == [b"2 (UID 2 FLAGS () RFC822.SIZE %d)" % len(RETURN_PATH + SECOND)]
    assert client.fetch("1", "(FLAGS)")[1] == [b"1 (FLAGS (\\Seen))"]  # BODY[] marked it read
    status, data = client.store("1", "+FLAGS", "(\\Deleted)")
    assert status == "OK" and data == [b"1 (FLAGS (\\Deleted \\Seen))"]
    assert len(files(tmp_path / "mail" / "alice")) == 2  # \Deleted only marks
    assert client.expunge() == ("OK", [b"1"])
    assert [p.read_bytes() for p in files(tmp_path / "mail" / "alice")] == [
        RETURN_PATH + SECOND]
    assert client.close()[0] == "OK"
    assert client.logout()[0] == "BYE"


def test_imaplib_logs_in_with_authenticate_plain_and_is_refused_alike(serve: Serve) -> None:
    client = imaplib.IMAP4("127.0.0.1", serve.ports["imap"], timeout=5)
    status, _ = client.authenticate("PLAIN", lambda _: b"\0alice\0wonderland")
    assert status == "OK" and client.state == "AUTH"
    client.logout()
    answers = []
    for user in ("alice", "nobody"):
        other = imaplib.IMAP4("127.0.0.1", serve.ports["imap"], timeout=5)
        with pytest.raises(imaplib.IMAP4.error) as info:
            other.login(user, "wrong")
        answers.append(str(info.value))
        other.logout()
    assert len(set(answers)) == 1 and "[AUTHENTICATIONFAILED] invalid user name" in answers[0]


def test_idle_hears_new_mail_and_a_pop3_deletion_at_once(serve: Serve) -> None:
    sock, reader = serve.raw_imap()
    sock.sendall(b"r3 IDLE\r\n")
    assert reader.readline().startswith(b"+ idling")
    serve.send()  # over SMTP, while the IMAP client waits
    assert reader.readline() == b"* 1 EXISTS\r\n"
    pop = serve.pop3()
    pop.dele(1)
    pop.quit()  # POP3's UPDATE removes it; the IMAP client in IDLE is told
    assert reader.readline() == b"* 1 EXPUNGE\r\n"
    sock.sendall(b"DONE\r\n")
    assert reader.readline() == b"r3 OK IDLE terminated\r\n"
    sock.sendall(b"r4 LOGOUT\r\n")
    assert reader.readline().startswith(b"* BYE")
    sock.close()


def test_store_deleted_then_a_drop_keeps_it_and_a_second_client_sees_expunge_after(
        serve: Serve, tmp_path: Path) -> None:
    serve.send()
    first = serve.imap()
    first.select("INBOX")
    first.store("1", "+FLAGS", "(\\Deleted)")
    first.sock.close()  # gone without EXPUNGE: nothing removed
    second = serve.imap()
    assert second.select("INBOX") == ("OK", [b"1"])
    assert second.search(None, "DELETED") == ("OK", [b"1"])  # the flag is kept
    assert len(files(tmp_path / "mail" / "alice")) == 1
    third = serve.imap()
    third.select("INBOX")
    assert third.expunge() == ("OK", [b"1"])
    assert files(tmp_path / "mail" / "alice") == []
    status, _ = second.noop()
    assert second.untagged_responses.get("EXPUNGE") == [b"1"]
    second.logout()
    third.logout()


def test_swaks_sends_and_imaplib_reads(serve: Serve) -> None:
    swaks = shutil.which("swaks")
    if swaks is None:
        if os.environ.get("SMTPSIM_REQUIRE_TOOLS") == "1":
            pytest.fail("swaks is required (SMTPSIM_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("swaks is not installed")
    done = subprocess.run(
        [swaks, "--server", f"127.0.0.1:{serve.ports['smtp']}", "--from", "bob@example.org",
         "--to", "alice@example.com", "--header", "Subject: judged by swaks",
         "--body", "Sent by swaks, read by imaplib."],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert serve.line().startswith("accepted ")
    client = serve.imap()
    client.select("INBOX", readonly=True)
    _, data = client.fetch("1", "(RFC822)")
    assert data[0][1].startswith(RETURN_PATH) and b"Sent by swaks, read by imaplib." in data[0][1]
    client.logout()


def test_too_many_imap_clients_are_told_bye(tmp_path: Path) -> None:
    server = Serve("--imap-port", "0", "--account", "alice:wonderland", "--max-connections", "1")
    try:
        keep = socket.create_connection(("127.0.0.1", server.ports["imap"]), timeout=5)
        assert keep.makefile("rb").readline().startswith(b"* OK")
        extra = socket.create_connection(("127.0.0.1", server.ports["imap"]), timeout=5)
        assert extra.makefile("rb").readline() == b"* BYE too many connections, try again later\r\n"
        keep.close()
        extra.close()
    finally:
        server.stop()
