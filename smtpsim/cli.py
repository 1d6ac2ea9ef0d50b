"""The ``smtpsim`` command line.

Each subcommand is two small functions: ``_add_<name>(subparsers)`` declares its
arguments and ``cmd_<name>(args) -> int`` runs it and returns the exit status.
Adding a subcommand (``list``, ``run``, ``lab`` ...) means writing those two and
adding ``_add_<name>`` to :data:`SUBCOMMANDS`; nothing else changes.

Imports stay light: heavy packages (matplotlib, ipywidgets) may only be imported
inside the ``cmd_`` function that needs them, so ``smtpsim --help`` is instant.

* ``smtpsim demo [--explain]`` - the classic textbook SMTP dialog, played by the
  engine's client and server in memory.
* ``smtpsim serve [...]`` - the engine on a real TCP port (:mod:`smtpsim.bridge`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .protocol import (
    NEED_DATA,
    ClientConnection,
    Command,
    Data,
    Helo,
    MailFrom,
    Quit,
    RcptTo,
    Reply,
    ServerConfig,
    ServerConnection,
    ServerEvent,
    explain,
)

if TYPE_CHECKING:
    from .bridge import Deliver, Limits, MaildirAccounts, RetrievalServer, StoredMessage
    from .trace import Trace

__all__ = [
    "SUBCOMMANDS",
    "account_type",
    "build_parser",
    "cmd_demo",
    "cmd_serve",
    "demo_dialog",
    "demo_message",
    "hostname_type",
    "main",
    "number_type",
]


# --------------------------------------------------------------------------- demo

def demo_message() -> bytes:
    """The textbook message: five header fields, a blank line, a four-line body.

    Built with the standard :mod:`email` package and its ``SMTP`` policy (CRLF line
    endings), with a fixed Date so the demo prints the same bytes every time.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = '"Bob Example" <bob@example.org>'
    msg["To"] = '"Alice Example" <alice@example.com>'
    msg["Cc"] = "theodore@example.com"
    msg["Date"] = "Tue, 15 Jan 2008 16:02:43 -0500"
    msg["Subject"] = "Test message"
    msg.set_payload(
        "Hello Alice.\n"
        "This is a test message with 5 header fields and 4 lines in the message body.\n"
        "Your friend,\n"
        "Bob\n"
    )
    return msg.as_bytes()


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").split("\r\n")[:-1]


def demo_dialog() -> list[tuple[str, str]]:
    """The classic dialog (RFC 5321 Appendix D style), as ``(direction, line)`` pairs.

    A :class:`~smtpsim.protocol.ClientConnection` and a
    :class:`~smtpsim.protocol.ServerConnection` talk in memory, one command and one
    reply at a time. The client says plain ``HELO`` (so no extensions and no enhanced
    status codes), which is why it is driven by hand rather than by ``MailSender``
    (that one always tries EHLO first, as modern MTAs do).
    """
    server = ServerConnection(ServerConfig(hostname="smtp.example.com", banner="ESMTP Postfix",
                                           queue_ids=lambda: "12345"))
    client = ClientConnection()
    dialog: list[tuple[str, str]] = []

    def policy_(event: ServerEvent) -> Reply | None:
        if isinstance(event, Helo):  # Postfix's wording in the textbook example
            return Reply.of(250, f"Hello {event.domain}, I am glad to meet you")
        return None

    def server_answers(sent: bytes) -> None:
        dialog.extend(("C", line) for line in _lines(sent))
        server.receive_data(sent)
        event = server.next_event()
        if event is NEED_DATA:  # pragma: no cover - every step sends a complete line
            raise RuntimeError("the demo client sent an incomplete command")
        hear(server.send(policy_(event) or server.default_reply()))

    def hear(data: bytes) -> None:
        dialog.extend(("S", line) for line in _lines(data))
        client.receive_data(data)
        client.next_event()

    hear(server.greet())
    steps: list[Command] = [Helo("relay.example.org"), MailFrom("bob@example.org"),
                            RcptTo("alice@example.com"), RcptTo("theodore@example.com"),
                            Data()]
    for command in steps:
        server_answers(client.send(command))
    server_answers(client.send_content(demo_message()))
    server_answers(client.send(Quit()))
    return dialog


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="print the classic SMTP dialog, played by the engine",
                       description="Print the textbook SMTP dialog (S: server, C: client), "
                                   "produced by smtpsim's own client and server engines.")
    p.add_argument("--explain", action="store_true",
                   help="explain each reply code beside the server's lines")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Print the demo transcript (with ``--explain``: what each reply code means)."""
    dialog = demo_dialog()
    width = max(len(line) for d, line in dialog if d == "S") + 3
    for direction, line in dialog:
        text = f"{direction}: {line}"
        if args.explain and direction == "S":
            text = f"{text:<{width}}  # {explain(int(line[:3]))}"
        print(text)
    return 0


# -------------------------------------------------------------------------- serve

def number_type(*, low: float, high: float, unit: str, integer: bool = False,
                low_open: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in ``[low, high]`` (``(low, high]`` if
    ``low_open``), an ``int`` if ``integer``.

    ``float("nan")`` compares false with everything, so a plain ``value <= 0`` check
    lets it through (and a nan timeout then fires at once); infinity would switch a
    limit off; ``--port 99999`` used to end in an ``OverflowError`` traceback. All of
    them are refused here, with the range and its unit in the message.
    """
    def show(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    kind = "a whole number" if integer else "a number"
    span = (f"above {show(low)} and at most {show(high)}" if low_open
            else f"from {show(low)} to {show(high)}")
    wanted = f"must be {kind} {span} {unit}"

    def convert(raw: str) -> float:
        import math

        try:
            value: float = int(raw, 10) if integer else float(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{wanted}, not {raw!r}") from None
        if (not math.isfinite(value) or value > high or value < low
                or (low_open and value == low)):
            raise argparse.ArgumentTypeError(f"{wanted}, not {raw}")
        return value
    return convert


def hostname_type(raw: str) -> str:
    """An argparse ``type``: ``raw`` if it can be the server's name in ``220 <name>
    ESMTP``: letters, digits, hyphens and dots (RFC 5321 §2.3.5), or an address
    literal such as ``[127.0.0.1]``. An empty name, a space (it would shift the rest of
    the greeting) or a CR or LF (it would end the greeting line early) is refused."""
    import re

    if re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f.:]+\]",
                    raw) and ".." not in raw:
        return raw
    raise argparse.ArgumentTypeError(  # repr() shows a CR, LF or control as an escape
        f"must be a host name (letters, digits, '-' and '.') or an address literal, "
        f"not {raw!r}")


def account_type(raw: str) -> tuple[str, str]:
    """An argparse ``type``: ``USER:PASSWORD`` as a pair. The user name cannot hold a
    space, a colon or a control character (POP3 and IMAP send it on a command line);
    the password is everything after the first colon."""
    user, colon, password = raw.partition(":")
    if not colon or not user or not password:
        raise argparse.ArgumentTypeError(f"must be USER:PASSWORD, not {raw!r}")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in user):
        raise argparse.ArgumentTypeError(
            f"the user name may not hold spaces or control characters: {user!r}")
    if any(c in "\r\n\0" for c in password):
        raise argparse.ArgumentTypeError("the password may not hold CR, LF or NUL")
    return user, password


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Make ``parser`` report a bad value as one line on stderr (exit status 2),
    without the usage block: a script or a log then holds exactly the problem."""
    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: {message}\n")
    parser.error = error  # type: ignore[method-assign]


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = ServerConfig()
    p = sub.add_parser("serve", help="run the SMTP engine on a real TCP port",
                       description="Listen for SMTP on HOST:PORT (loopback by default). "
                                   "Talk to it with telnet, smtplib or swaks. Stops "
                                   "cleanly on Ctrl-C (SIGINT) or SIGTERM.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    p.add_argument("--port", type=number_type(low=0, high=65535, unit="(a TCP port)",
                                              integer=True),
                   default=2525, help="TCP port (%(default)s); 0 picks a free one")
    p.add_argument("--hostname", default=defaults.hostname, type=hostname_type,
                   help="the server's name in its greeting (%(default)s)")
    p.add_argument("--maildir", metavar="DIR", help="store accepted messages in a Maildir")
    p.add_argument("--trace", metavar="FILE",
                   help="append every dialog line to FILE as JSON Lines")
    seconds = number_type(low=0, high=86_400, unit="seconds", low_open=True)
    p.add_argument("--max-connections", default=20, metavar="N",
                   type=number_type(low=1, high=10_000, unit="clients", integer=True),
                   help="clients served at once; one more gets 421 (%(default)s)")
    p.add_argument("--idle-timeout", default=300.0, metavar="S", type=seconds,
                   help="seconds of client silence before 421 (%(default)s)")
    p.add_argument("--command-timeout", default=600.0, metavar="S", type=seconds,
                   help="seconds a client has for each command, or for a message's whole "
                        "content, before 421 (%(default)s)")
    p.add_argument("--session-timeout", default=3600.0, metavar="S", type=seconds,
                   help="seconds a connection may last in all (%(default)s)")
    p.add_argument("--max-size", default=None, metavar="OCTETS",
                   type=number_type(low=1, high=2**31 - 1, unit="octets", integer=True),
                   help=f"largest message accepted ({defaults.max_message_size}; with "
                        "--scenario: the scenario server's own limit)")
    port = number_type(low=0, high=65535, unit="(a TCP port)", integer=True)
    p.add_argument("--pop3-port", type=port, metavar="N",
                   help="also serve POP3 on this port (0 picks a free one): the accounts' "
                        "mail, from --maildir")
    p.add_argument("--imap-port", type=port, metavar="N",
                   help="also serve IMAP on this port (0 picks a free one): the same "
                        "accounts' mail; a client in IDLE hears of new mail at once")
    p.add_argument("--account", type=account_type, action="append", default=[],
                   metavar="USER:PASSWORD",
                   help="a mailbox account for POP3 and IMAP (repeatable): mail for "
                        "USER@any-domain goes to DIR/USER/ under --maildir; mail for "
                        "other recipients goes to DIR itself")
    p.add_argument("--scenario", metavar="NAME_OR_FILE",
                   help="serve this scenario's entry server: accepted messages travel its "
                        "simulated network; the delivery summary is printed on exit")
    _one_line_errors(p)
    p.set_defaults(func=cmd_serve)


def _announcer(printer: Callable[[str], None]) -> Callable[[StoredMessage], None]:
    """The ``on_accept`` hook that prints one line per accepted message.

    Addresses come from the client: they are escaped (:func:`printable`) so that a
    right-to-left override or a terminal control in one cannot rewrite the line.
    """
    from .bridge import printable

    def announce(stored: StoredMessage) -> None:
        env = stored.envelope
        rcpts = ", ".join(f"<{printable(r)}>" for r in env.rcpt_tos)
        printer(f"accepted {stored.queue_id} from <{printable(env.mail_from or '')}> to "
                f"{rcpts} ({len(stored.content)} octets, {stored.peer})")
    return announce


async def _wait_for_signal() -> None:
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers; Ctrl-C then ends via KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _limits(args: argparse.Namespace) -> Limits:
    from .bridge import Limits

    return Limits(max_connections=args.max_connections, idle_timeout=args.idle_timeout,
                  command_timeout=args.command_timeout,
                  session_timeout=args.session_timeout)


async def _serve_scenario(args: argparse.Namespace) -> int:
    from .bridge import JsonlTraceFile, LinePrinter, ScenarioServer
    from .scenarios import load
    from .trace import format_summary, summarize

    scenario = load(args.scenario)
    ignored = [flag for flag, value, default in (
        ("--hostname", args.hostname, ServerConfig().hostname),
        ("--maildir", args.maildir, None), ("--pop3-port", args.pop3_port, None),
        ("--imap-port", args.imap_port, None), ("--account", args.account, []))
        if value != default]
    if ignored:
        print(f"smtpsim serve: with --scenario the scenario's server decides; ignoring "
              f"{', '.join(ignored)}", file=sys.stderr, flush=True)
    # Only the outcomes stay in memory (the summary needs no more); a --trace file
    # still gets every event, as it happens.
    net = scenario.build(keep="summary")
    trace_file = JsonlTraceFile(args.trace) if args.trace else None
    if trace_file is not None:
        net.trace.subscribe(trace_file)
    printer = LinePrinter()
    server = ScenarioServer(net, scenario.entry, host=args.host, port=args.port,
                            limits=_limits(args), max_size=args.max_size,
                            on_message=lambda m: printer.print(
                                f"accepted {m}; it travels {scenario.name}'s network"))
    await server.start()
    host, port = server.address
    print(f"listening on {host}:{port}", flush=True)
    print(f"scenario {scenario.name}: {scenario.entry} is on the socket", flush=True)
    try:
        await _wait_for_signal()
    finally:
        await server.close()
        net.run(scenario.until)
        net.finish()
        for line in format_summary(summarize(net.trace)).splitlines():
            printer.print(line)
        printer.close()
        if trace_file is not None:
            trace_file.close()
    return 0


async def _serve(args: argparse.Namespace) -> int:
    if args.scenario:
        return await _serve_scenario(args)

    from .bridge import JsonlTraceFile, LinePrinter, Maildir, MaildirAccounts, SMTPBridge
    from .trace import Trace

    max_size = ServerConfig().max_message_size if args.max_size is None else args.max_size
    config = ServerConfig(hostname=args.hostname, max_message_size=max_size)
    # Nothing reads the trace afterwards: keep only counts; a --trace file (a listener)
    # still sees every event.
    trace = Trace(keep="counts")
    trace_file = JsonlTraceFile(args.trace) if args.trace else None
    if trace_file is not None:
        trace.subscribe(trace_file)
    retrieval = [(name, port) for name, port in (("pop3", args.pop3_port),
                                                 ("imap", args.imap_port)) if port is not None]
    maildir = Maildir(args.maildir) if args.maildir else None
    store = None
    deliver: Deliver | None = maildir.deliver if maildir else None
    if retrieval or args.account:
        store = MaildirAccounts(args.maildir, args.account)
        deliver = store.deliver
        if not args.account:
            print("smtpsim serve: no --account given, so nobody can log in to POP3 or IMAP",
                  file=sys.stderr, flush=True)
    printer = LinePrinter()
    # keep_messages=0: the command line never looks at the in-memory mailbox (each
    # message is printed, and stored in the Maildir if one is given).
    bridge = SMTPBridge(config, host=args.host, port=args.port, trace=trace,
                        limits=_limits(args), keep_messages=0, deliver=deliver,
                        on_accept=_announcer(printer.print))
    servers = [_retrieval_server(name, port, store, args, trace) for name, port in retrieval]
    await bridge.start()
    for server in servers:
        await server.start()
    if store is not None:
        def announce() -> None:  # IMAP clients in IDLE hear of a change at once
            for server in servers:
                server.mailbox_changed()
        store.on_change = announce  # new mail
        for server in servers:
            server.on_command = announce  # another session's deletions
    host, port = bridge.address
    print(f"listening on {host}:{port}", flush=True)
    for server in servers:
        host, port = server.address
        print(f"{server.protocol} listening on {host}:{port}", flush=True)
    try:
        await _wait_for_signal()
    finally:
        for server in servers:
            await server.close()
        await bridge.close()
        printer.close()
        if trace_file is not None:
            trace_file.close()
    return 0


def _retrieval_server(protocol: str, port: int, store: MaildirAccounts | None,
                      args: argparse.Namespace, trace: Trace) -> RetrievalServer:
    """The POP3 or IMAP server of ``smtpsim serve``, on the accounts of ``store``."""
    from .bridge import RetrievalEngine, RetrievalServer
    from .imap import ImapServer
    from .pop3 import Pop3Server

    assert store is not None
    accounts = store.accounts
    hostname = args.hostname
    engines: dict[str, Callable[[], RetrievalEngine]] = {
        "pop3": lambda: Pop3Server(accounts, hostname=hostname),
        "imap": lambda: ImapServer(accounts, hostname=hostname),
    }
    return RetrievalServer(protocol, engines[protocol], hostname=hostname, host=args.host,
                           port=port, limits=_limits(args), trace=trace)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the bridge until SIGINT or SIGTERM; exit status 0 after a clean stop."""
    import asyncio

    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:  # pragma: no cover - where signal handlers are unavailable
        return 0
    except OSError as exc:  # the port is taken, say
        print(f"smtpsim serve: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a bad scenario (ScenarioError is a ValueError)
        print(f"smtpsim serve: {exc}", file=sys.stderr)
        return 2


# ---------------------------------------------------------------------- list / run

#: The latest simulated time ``--until`` accepts (the scenario format's own limit,
#: ``smtpsim.scenarios._validate.MAX_SIMULATED_SECONDS``, kept here so that
#: ``smtpsim --help`` does not import the simulation).
MAX_SIMULATED_SECONDS = 1e9

def _add_list(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("list", help="list the ready scenarios",
                       description="The ready scenarios, one line each: name and title.")
    p.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    """Print each ready scenario's name and title."""
    from .scenarios import list_scenarios

    items = list_scenarios()
    width = max(len(name) for name, _ in items)
    for name, title in items:
        print(f"{name:<{width}}  {title}")
    return 0


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run a scenario and print what happened",
                       description="Run a ready scenario (by name) or a scenario file (TOML) "
                                   "and print every hop's SMTP dialog and a delivery summary.")
    p.add_argument("scenario", metavar="NAME_OR_FILE")
    p.add_argument("--format", choices=("text", "jsonl"), default="text",
                   help="text: transcript + summary; jsonl: the whole trace (%(default)s)")
    p.add_argument("--seed", default=None, help="override the scenario's seed",
                   type=number_type(low=0, high=2**63 - 1, unit="(a seed)", integer=True))
    p.add_argument("--until", default=None, metavar="SECONDS",
                   type=number_type(low=0, high=MAX_SIMULATED_SECONDS,
                                    unit="simulated seconds", low_open=True),
                   help="stop at this simulated time (default: the scenario's, or the end)")
    p.add_argument("--pcap", metavar="FILE", default=None,
                   help="also write the run as a packet capture Wireshark opens: pcapng, "
                        "or classic pcap if FILE ends in .pcap")
    _one_line_errors(p)
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario; print its transcript and delivery summary (or JSON Lines)."""
    from .errors import ScenarioError
    from .scenarios import load
    from .sim.progress import run_with_progress
    from .trace import format_summary, summarize

    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        print(f"smtpsim run: {exc}", file=sys.stderr)
        return 2
    net = scenario.build(seed=args.seed)
    run_with_progress(net, scenario.until if args.until is None else args.until)
    net.finish()
    if args.pcap:
        from .packets import write_capture

        fmt = "pcap" if args.pcap.endswith(".pcap") else "pcapng"
        try:
            count = write_capture(net.trace, args.pcap, format=fmt)
        except OSError as exc:
            print(f"smtpsim run: cannot write {args.pcap}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {count} packets to {args.pcap} ({fmt})", file=sys.stderr)
    if args.format == "jsonl":
        net.trace.write_jsonl(sys.stdout)
        return 0
    print(f"# {scenario.title}\n")
    print(net.trace.transcript())
    print(format_summary(summarize(net.trace)), end="")
    return 0


# ---------------------------------------------------------------------------- lab

def course_source() -> Path:
    """Where the course notebooks are: the checkout's ``notebooks/`` folder, or the copy
    bundled inside the installed package (``smtpsim/_notebooks``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "notebooks", here / "_notebooks"):
        if any(candidate.glob("*.ipynb")):
            return candidate
    raise FileNotFoundError("the course notebooks are not installed with this smtpsim")


def copy_course(target: Path) -> list[Path]:
    """Copy the course into ``target``, never overwriting a student's edited notebook.

    Returns the notebooks copied (those already present are left as they are).
    """
    source = course_source()
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for nb in sorted(source.glob("*.ipynb")):
        dest = target / nb.name
        if not dest.exists():
            shutil.copy2(nb, dest)
            copied.append(dest)
    return copied


def _add_lab(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("lab", help="open the course in JupyterLab",
                       description="Open JupyterLab on the course notebooks, at 00-start-here. "
                                   "In a source checkout it opens notebooks/ in place; from an "
                                   "installed package it first copies the notebooks into DIR. "
                                   "Options after -- go to JupyterLab unchanged, e.g. "
                                   "smtpsim lab -- --port 9999 --ServerApp.ip=0.0.0.0",
                       epilog="As root (in Docker, on many lab machines) --allow-root is "
                              "added for you: Jupyter refuses to start as root without it.")
    p.add_argument("--dir", default="smtpsim-course", metavar="DIR",
                   help="working folder for an installed package's course (%(default)s)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--print-only", action="store_true",
                   help="prepare the folder and print the command instead of running it")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, metavar="-- JUPYTER_OPTION",
                   help="options passed through to JupyterLab (after --)")
    p.set_defaults(func=cmd_lab)


#: The notebook JupyterLab opens first, in the browser and in the URL it prints.
FIRST_NOTEBOOK = "00-start-here.ipynb"


def _running_as_root() -> bool:
    """True for the superuser on POSIX (``os.geteuid`` does not exist on Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_command(folder: Path, *, no_browser: bool = False,
                extra: Sequence[str] = (), as_root: bool = False) -> list[str]:
    """The ``jupyter lab`` command that opens the course in ``folder`` at notebook 00.

    ``--LabApp.default_url`` makes the address JupyterLab opens *and* prints (with
    ``--no-browser``) the first notebook, not the Launcher. ``extra`` is passed through
    unchanged, last, so it can override anything here; ``as_root`` adds
    ``--allow-root`` (Jupyter refuses to run as root without it) unless already given.
    """
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder}"]
    if no_browser:
        cmd.append("--no-browser")
    if as_root and not any(a.split("=")[0] in ("--allow-root", "--ServerApp.allow_root")
                           for a in extra):
        cmd.append("--allow-root")
    cmd += list(extra)
    cmd.append(f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}")
    return cmd


def cmd_lab(args: argparse.Namespace) -> int:
    """Open JupyterLab on ``00-start-here.ipynb``."""
    try:
        source = course_source()
    except FileNotFoundError as exc:
        print(f"smtpsim lab: {exc}", file=sys.stderr)
        return 1
    if source.name == "notebooks":  # a checkout: work on the course in place
        folder = source
    else:
        folder = Path(args.dir).resolve()
        copied = copy_course(folder)
        print(f"course in {folder} ({len(copied)} notebook(s) copied)", flush=True)
    extra = list(args.jupyter_args)
    if extra[:1] == ["--"]:  # argparse keeps the separator in a REMAINDER
        extra = extra[1:]
    as_root = _running_as_root()
    if as_root:
        print("smtpsim lab: running as root, so --allow-root is passed to JupyterLab",
              file=sys.stderr, flush=True)
    cmd = lab_command(folder, no_browser=args.no_browser, extra=extra, as_root=as_root)
    if args.print_only:
        print(" ".join(cmd))
        return 0
    return subprocess.call(cmd)


# --------------------------------------------------------------------------- main

#: One ``_add_<name>`` per subcommand, in the order ``--help`` lists them.
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_list,
    _add_run,
    _add_serve,
    _add_lab,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``smtpsim`` argument parser with every subcommand in :data:`SUBCOMMANDS`."""
    from . import __version__

    parser = argparse.ArgumentParser(prog="smtpsim",
                                     description="Watch email travel: a faithful SMTP "
                                                 "simulation for teaching.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (``sys.exit(main())``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad value (already reported)
        return exc.code if isinstance(exc.code, int) else 2
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        status: int = args.func(args)
    except BrokenPipeError:  # output piped into `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status
