"""Getting party code into another process (chapter 09).

A spawned process starts with a fresh Python: it has none of your variables, and it gets functions by importing them.
So `fn` travels as a pickle — a reference "module.name" that the party's process imports — when it lives in a module
(course_lib's demos, your own .py file, a test). A function defined in a notebook cell has no module to import it
from; it travels as its SOURCE, and the party's process runs that source again, with the modules, functions and plain
values it uses from your notebook (each shipped the same way). Closures and objects that do not pickle cannot travel:
put such code in a .py file next to the notebook and import it.
"""

from __future__ import annotations

import builtins
import inspect
import pickle
import sys
import textwrap
import types

__all__ = ["pack", "unpack"]


def pack(fn) -> tuple:
    """A picklable package of `fn`: ("pickle", bytes) or, for a function typed into a notebook, ("source", ...)."""
    if not callable(fn):
        raise TypeError(f"party code must be a function fn(ctx, ...), got {type(fn).__name__}")
    if _interactive(fn):
        return ("source", *_source_package(fn, set()))
    try:
        return ("pickle", pickle.dumps(fn))
    except Exception as error:
        raise TypeError(
            f"{getattr(fn, '__qualname__', fn)!r} cannot travel to the parties' processes ({error}): define it at the "
            "top level of a module (or of a notebook cell), not inside another function"
        ) from None


def unpack(package: tuple):
    kind, *content = package
    if kind == "pickle":
        return pickle.loads(content[0])
    return _rebuild(*content)


def _interactive(fn) -> bool:
    """Defined in __main__ with no file behind it (a notebook or the REPL): spawn cannot import it."""
    if not isinstance(fn, types.FunctionType) or fn.__module__ != "__main__":
        return False
    main = sys.modules.get("__main__")
    return main is None or not getattr(main, "__file__", None)


def _source_package(fn: types.FunctionType, seen: set) -> tuple:
    if fn.__closure__:
        raise TypeError(f"{fn.__name__} uses variables of an enclosing function: define it at the top level of a cell")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as error:
        raise TypeError(f"cannot find the source of {fn.__name__} to send it to the parties: {error}") from None
    seen.add(fn.__name__)
    names: dict[str, tuple] = {}
    for name in sorted(_global_names(fn.__code__)):
        if name in seen or name not in fn.__globals__:
            continue  # a builtin, or not defined yet (the function would fail here too)
        names[name] = _ship_value(name, fn.__globals__[name], seen)
    return fn.__name__, source, names


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _ship_value(name: str, value, seen: set) -> tuple:
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if isinstance(value, types.FunctionType) and _interactive(value):
        return ("source", *_source_package(value, seen))
    try:
        return ("pickle", pickle.dumps(value))
    except Exception as error:
        raise TypeError(
            f"party code uses {name!r} from your session, which cannot travel to another process ({error}): "
            "define it inside the function, or in a .py file the function imports"
        ) from None


def _rebuild(name: str, source: str, names: dict):
    namespace = {"__name__": "__party_code__", "__builtins__": builtins}
    for global_name, package in names.items():
        kind, *content = package
        if kind == "module":
            __import__(content[0])
            namespace[global_name] = sys.modules[content[0]]
        elif kind == "source":
            namespace[global_name] = _rebuild(*content)
        else:
            namespace[global_name] = pickle.loads(content[0])
    exec(compile(source, f"<party code {name}>", "exec"), namespace)  # noqa: S102 - the caller's own function
    return namespace[name]
