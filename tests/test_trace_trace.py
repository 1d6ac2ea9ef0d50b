"""smtpsim.trace.Trace: record() is the one way in; keep= only filters what is stored."""

from __future__ import annotations

import io

import pytest

from smtpsim.trace import Delivered, DialogLine, Injected, Trace, event_from_dict, to_jsonl


def _events() -> list:
    return [
        Injected(0.0, "bob-pc", "m1", "bob@example.org", ("alice@example.com",), "Hi"),
        DialogLine(0.5, "mx.example.com", "bob-pc", "s1", "C", "EHLO bob-pc"),
        DialogLine(0.5, "mx.example.com", "bob-pc", "s1", "S", "250 mx.example.com"),
        Delivered(1.0, "mda", "m1", "alice@example.com", "alice@example.com"),
    ]


@pytest.mark.parametrize(("keep", "kept"), [
    ("all", ["inject", "smtp", "smtp", "delivered"]),
    ("summary", ["inject", "delivered"]),
    ("counts", []),
])
def test_keep_filters_what_is_stored_and_nothing_else(keep: str, kept: list[str]) -> None:
    trace, seen = Trace(keep=keep), []  # type: ignore[arg-type]
    trace.subscribe(seen.append)
    for event in _events():
        trace.record(event)
    assert [e.kind for e in trace] == kept and len(trace) == len(kept)
    assert seen == _events()  # listeners see every event, whatever is kept
    assert trace.counts == {"inject": 1, "smtp": 2, "delivered": 1}
    assert [trace.keeps(e) for e in _events()] == [e.kind in kept for e in _events()]


@pytest.mark.parametrize("keep", ["all", "summary", "counts"])
def test_time_never_runs_backwards_whatever_is_kept(keep: str) -> None:
    trace = Trace(keep=keep)  # type: ignore[arg-type]
    trace.record(_events()[1])  # a dialog line: not stored by summary or counts
    with pytest.raises(ValueError, match="time order"):
        trace.record(_events()[0])


def test_append_is_the_old_name_of_record() -> None:
    trace = Trace()
    trace.append(_events()[0])
    assert list(trace) == _events()[:1]


def test_an_unknown_keep_is_refused() -> None:
    with pytest.raises(ValueError, match="keep must be"):
        Trace(keep="some")  # type: ignore[arg-type]


def test_json_lines_round_trip() -> None:
    trace = Trace()
    for event in _events():
        trace.record(event)
    text = trace.to_jsonl()
    assert text == to_jsonl(_events())
    assert list(Trace.from_jsonl(text)) == _events()
    out = io.StringIO()
    trace.write_jsonl(out)
    assert out.getvalue() == text
    with pytest.raises(ValueError, match="line 2"):
        Trace.from_jsonl(text.splitlines()[0] + '\n{"kind": "nope"}\n')


def test_reading_a_trace() -> None:
    trace = Trace()
    for event in _events():
        trace.record(event)
    assert trace[0] == _events()[0] and trace[-2:] == _events()[-2:]
    assert trace.of(DialogLine) == _events()[1:3]
    assert trace.for_message("m1") == [_events()[0], _events()[3]]
    assert trace.transcript() == (
        "--- bob-pc -> mx.example.com (s1) ---\nC: EHLO bob-pc\nS: 250 mx.example.com\n")
    assert event_from_dict(_events()[0].to_dict()) == _events()[0]
