"""Small party programs for chapter 09, its tests and its benchmark: `distributed.run(demos.product, 2, inputs=...)`.

Each is a function `fn(ctx, ...)` that every party runs (SPMD). They live in a module so that a spawned process can
import them (see `course_lib.distributed.shipping`).
"""

from __future__ import annotations

import time

import torch

__all__ = [
    "product",
    "matmul",
    "own_share",
    "opens",
    "opens_timed",
    "secure_matmul",
    "keep_opening",
    "reveal_then_keep_opening",
    "keep_opening_shared",
    "tour",
    "tour_inputs",
    "crash",
    "under_latency",
]


def product(ctx):
    """x * y of the data owner's inputs "x" and "y", revealed to you. Returns this party's share of the product."""
    z = ctx.input("x") * ctx.input("y")
    z.get()
    return z.shares


def matmul(ctx):
    """x @ y of the data owner's inputs, revealed to you. Returns this party's share of the product."""
    z = ctx.input("x") @ ctx.input("y")
    z.get()
    return z.shares


def own_share(ctx):
    """What this party's process holds of the input "x": its share tensor (and the shape of its stacked view)."""
    x = ctx.input("x")
    return {"shares": x.shares, "rows": x.shares.shape[0], "mine": x.share_of(ctx.parties[ctx.rank])}


def opens(ctx, count: int = 200, numel: int = 1):
    """Latency of `open`: `count` openings of a masked value of `numel` elements. Returns seconds per open."""
    shares = torch.zeros(1, numel, dtype=torch.int64)
    ctx.runtime.open(ctx.group, shares)  # warm-up: connections, allocations
    start = time.perf_counter()
    for _ in range(count):
        ctx.runtime.open(ctx.group, shares)
    return (time.perf_counter() - start) / count


def secure_matmul(ctx, repeats: int = 1):
    """x @ y of the data owner's inputs, `repeats` times after one warm-up. Returns seconds per product (the median
    as this party saw it: dealer request, rows, the opening, the local products, truncation)."""
    x, y = ctx.input("x"), ctx.input("y")
    x @ y
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x @ y
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def keep_opening(ctx, seconds: float = 60.0):
    """Open a masked value again and again for `seconds` (a test kills a party in the middle of this)."""
    return keep_opening_shared(ctx, ctx.input("x"), seconds)


def tour_inputs(seed: int = 0) -> dict[str, torch.Tensor]:
    """The data owner's inputs for `tour`: x, y (3×4), a (5×6), b (6×2), and chapter 05's XOR data (public reservoir
    `seed`)."""
    from course_lib.distributed.xor import xor_inputs

    g = torch.Generator().manual_seed(seed)
    shapes = {"x": (3, 4), "y": (3, 4), "a": (5, 6), "b": (6, 2)}
    return {name: torch.randn(*shape, generator=g) for name, shape in shapes.items()} | xor_inputs(seed=seed)


def tour(ctx, xor_steps: int = 30, methods: tuple[str, ...] = ()):
    """Chapter 09's tour, one phase each: a product, a matrix product, a truncation (× a public real: locally for
    two parties, with the dealer's pair for three or more), then `methods` — any SharedTensor methods by name,
    applied to x (e.g. "relu": chapter 06's comparison, unchanged) — and a short XOR training. Everything is
    revealed to you. Last, alice shares a tensor of her own and bob alone gets it revealed. Returns this party's shares
    of x, x * y and the trained model — its own rows only — and what it learned of alice's tensor (bob: all of it)."""
    from course_lib.distributed.xor import xor_party

    with ctx.phase("product"):
        x, y = ctx.input("x"), ctx.input("y")
        z = x * y
        ctx.reveal(z, label="x * y")
    with ctx.phase("matmul"):
        c = ctx.input("a") @ ctx.input("b")
        ctx.reveal(c, label="a @ b")
    with ctx.phase("truncation"):
        h = x * 0.5
        ctx.reveal(h, label="x * 0.5")
    for name in methods:
        with ctx.phase(f"x.{name}()"):
            ctx.reveal(getattr(x, name)(), label=f"x.{name}()")
    with ctx.phase("xor"):
        model = xor_party(ctx, xor_steps, phases=False)["model share"]
    with ctx.phase("alice's own input"):  # a party shares its OWN data; bob alone learns it back
        w = ctx.share(torch.arange(3.0) * 1.5 if ctx.rank == 0 else None, owner="alice")
        ctx.reveal(w + w, label="w + w")
        bob_sees = ctx.reveal(w, to="bob")
    return {"x": x.shares, "x * y": z.shares, "model": model, "bob sees": bob_sees}


def crash(ctx, rank: int = 1):
    """Party `rank` raises after one opening; the others wait for its next one (a test of the failure path)."""
    x = ctx.input("x")
    ctx.runtime.open(ctx.group, x.shares)
    if ctx.rank == rank:
        raise ValueError(f"{ctx.name} gives up")
    ctx.runtime.open(ctx.group, x.shares)


def under_latency(ctx, latencies=(0.0, 0.02), method: str = "relu", opens: int = 10):
    """Chapter 09's network model, measured: `opens` single openings, then x.<method>() on the data owner's input "x"
    (chapter 06's comparison for "relu"), once for warm-up and once under each injected latency (seconds per round,
    `ctx.delay`), each in its own phase ("relu, latency 20 ms"). Returns seconds as this party saw them:
    {"open": per open, latency: the method's time under it, ...}."""
    out = {"open": opens_timed(ctx, opens)}
    x = ctx.input("x")
    with ctx.phase("warm-up"):
        getattr(x, method)()
    for latency in latencies:
        with ctx.phase(f"{method}, latency {latency * 1e3:g} ms"), ctx.delay(latency):
            start = time.perf_counter()
            getattr(x, method)()
            out[latency] = time.perf_counter() - start
    return out


def opens_timed(ctx, count: int = 10) -> float:
    """Seconds per `open` of one masked element, over `count` openings after one warm-up (in the phase "open")."""
    with ctx.phase("open"):
        return opens(ctx, count)


def reveal_then_keep_opening(ctx, seconds: float = 60.0):
    """Reveal the data owner's "x" to you, then open a masked value again and again for `seconds`, printing "opening"
    once under way (chapter 09 kills a party in the middle: even what was revealed before does not come back)."""
    x = ctx.input("x")
    with ctx.phase("reveal"):
        ctx.reveal(x, label="x")
    return keep_opening_shared(ctx, x, seconds)


def keep_opening_shared(ctx, x, seconds: float = 60.0) -> int:
    """Open the shared `x` again and again for `seconds`, each in the phase "iteration k"; print "opening" after the
    first. Returns the number of openings."""
    end = time.monotonic() + seconds
    step = 0
    while time.monotonic() < end:
        with ctx.phase(f"iteration {step}"):
            ctx.runtime.open(ctx.group, x.shares)
        if step == 0:
            ctx.print("opening")
        step += 1
    return step
