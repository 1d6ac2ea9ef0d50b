"""The engine's speed tricks, each written once.

Theory of operation
-------------------
A simulation runs hundreds of thousands of dialogs, so the engine leans on tricks
that change nothing a caller can see:

1. **Bounded memos.** Servers repeat themselves (``250 2.1.5 Ok`` to every RCPT), and
   replies, commands and their bytes are immutable, so what was made once can be handed
   out again. Every memo is a plain dict that :func:`remember` empties when it is full:
   unique entries ("queued as 1A2B3") keep coming, and memory must stay bounded.
2. **Records built by filling their slots.** The events and replies are frozen
   dataclasses, whose ``__init__`` sets each field through ``object.__setattr__``: a
   safe but slow path. :func:`slot_filler` makes a constructor that stores the fields
   straight into the slots instead: the same object, equal and hashable as ever, in
   about half the time. It is for values the engine has already checked; anything
   from outside goes through the class itself, and its checks.
3. **Records with nothing to check** (the trace's events, the simulation's small
   results) get that constructor as their very ``__init__`` (:func:`fast_init`): same
   signature, same defaults, same objects, still frozen to everyone else.

A test pins every fast path to the plain one it stands in for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["MEMO_MAX", "fast_init", "remember", "slot_filler"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

#: How many entries a memo holds before it is emptied.
MEMO_MAX = 1024


def remember(memo: dict[K, V], key: K, value: V, limit: int = MEMO_MAX) -> V:
    """Store ``value`` under ``key`` (emptying ``memo`` first if it is full); return it."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value


def _filling_source(cls: type, target: str) -> tuple[list[str], str, dict[str, Any]]:
    """What both tricks below write for dataclass ``cls``: its fields as parameters
    (with their defaults), the lines that store each one into the slots of ``target``,
    and the names those lines use (each slot's setter, each default)."""
    fields = dataclasses.fields(cls)
    params = [f.name if f.default is dataclasses.MISSING else f"{f.name}=_default_{f.name}"
              for f in fields]
    scope: dict[str, Any] = {}
    for f in fields:
        scope[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        if f.default is not dataclasses.MISSING:
            scope[f"_default_{f.name}"] = f.default
    body = "".join(f"    _set_{f.name}({target}, {f.name})\n" for f in fields)
    return params, body, scope


def slot_filler(cls: type[T]) -> Callable[..., T]:
    """A function taking the fields of dataclass ``cls`` in order (with their defaults)
    that builds the instance without calling ``__init__``.

    The function is written out field by field, as ``dataclasses`` writes ``__init__``:
    a loop over the fields would cost more than the ``__init__`` it replaces.
    """
    params, body, scope = _filling_source(cls, "obj")
    scope.update(_new=object.__new__, _cls=cls)
    source = f"def build({', '.join(params)}):\n    obj = _new(_cls)\n{body}    return obj\n"
    exec(source, scope)
    build: Callable[..., T] = scope["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    build.__doc__ = f"``{cls.__name__}(...)``, built by filling its slots (see ._fast)."
    return build


def fast_init(cls: type[T]) -> type[T]:
    """Give frozen, slotted dataclass ``cls`` an ``__init__`` that stores each field
    straight into its slot, and return ``cls`` (use it as a class decorator, after
    ``@dataclass``).

    The ``__init__`` dataclasses writes for a frozen class sets every field through
    ``object.__setattr__``, to get past the class's own ``__setattr__``, which refuses.
    The slot's descriptor does the same job in one step. Only for records with nothing
    to check: a class with ``__post_init__``, a default factory, a keyword-only field
    or a field left out of ``__init__`` is refused (``TypeError``).
    """
    params = getattr(cls, "__dataclass_params__", None)
    if "__slots__" not in cls.__dict__ or params is None or not params.frozen or \
            hasattr(cls, "__post_init__") or any(
                f.default_factory is not dataclasses.MISSING or not f.init or f.kw_only
                for f in dataclasses.fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"fast_init is for frozen, slotted records without checks or "
                        f"factories, not {cls.__name__}")
    names, body, scope = _filling_source(cls, "self")
    exec(f"def __init__({', '.join(['self', *names])}):\n{body or '    pass'}\n", scope)
    init = scope["__init__"]
    init.__qualname__, init.__module__ = f"{cls.__qualname__}.__init__", cls.__module__
    init.__doc__ = f"Fill the slots of a new ``{cls.__name__}`` (see smtpsim.protocol._fast)."
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
