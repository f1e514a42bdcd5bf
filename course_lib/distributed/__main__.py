"""Command line: chapter 05's encrypted XOR with every party and the dealer in its own process (chapter 09).

On one machine (all processes on 127.0.0.1):

    python -m course_lib.distributed xor --parties 2
    python -m course_lib.distributed xor --parties 3 --timeout 10

One process per machine: start the same command on every machine with its own --rank (or the standard RANK,
WORLD_SIZE, MASTER_ADDR, MASTER_PORT variables). Ranks 0 … n-1 are the parties (alice, bob, dave, …); rank n is the
dealer process — the dealer, the data owner and "you", who see the report. World size = parties + 1. Rank 0 hosts the
rendezvous at MASTER_ADDR:MASTER_PORT.

    machine A$ python -m course_lib.distributed xor --rank 0 --world-size 3 --master-addr A --master-port 29500
    machine B$ python -m course_lib.distributed xor --rank 1 --world-size 3 --master-addr A --master-port 29500
    machine C$ python -m course_lib.distributed xor --rank 2 --world-size 3 --master-addr A --master-port 29500
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from course_lib.cost import human_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.distributed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    xor = sub.add_parser("xor", help="train chapter 05's encrypted XOR readout, one process per party and the dealer")
    xor.add_argument("--parties", type=int, default=None, help="number of parties (default 2; or world size - 1)")
    xor.add_argument("--steps", type=int, default=250)
    xor.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    xor.add_argument("--reservoir", type=int, default=256, help="reservoir size (default 256)")
    xor.add_argument("--seed", type=int, default=0, help="the public reservoir's seed (default 0)")
    xor.add_argument("--reveal-every", type=int, default=1, help="reveal the loss every k steps (default 1)")
    xor.add_argument("--timeout", type=float, default=30.0, help="seconds a party may take to answer (default 30)")
    xor.add_argument(
        "--reproducible",
        type=int,
        default=None,
        metavar="SEED",
        help="seeded shares and triples, like cl.reproducible(SEED): NOT secure, for teaching output only",
    )
    one = xor.add_argument_group("one process per machine (default: the RANK, WORLD_SIZE, MASTER_* variables)")
    rank_help = "this process's rank (parties 0..n-1, dealer n)"
    one.add_argument("--rank", type=int, default=_env_int("RANK"), help=rank_help)
    one.add_argument("--world-size", type=int, default=_env_int("WORLD_SIZE"), help="parties + 1")
    one.add_argument("--master-addr", default=os.environ.get("MASTER_ADDR", "127.0.0.1"))
    one.add_argument("--master-port", type=int, default=_env_int("MASTER_PORT") or 29500)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.reveal_every < 1 or args.reservoir < 1 or not args.timeout > 0:
        parser.error("--steps, --reveal-every, --reservoir and --timeout must be positive")
    if args.rank is None:
        return _local(args)
    return _one_rank(args, parser)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None


def _local(args) -> int:
    from course_lib.distributed.failures import PartyFailure
    from course_lib.distributed.xor import xor_run

    parties = args.parties or 2
    if parties < 2:
        print("error: secret sharing needs at least 2 parties", file=sys.stderr)
        return 2
    from course_lib.reservoir import party_workers

    names = ", ".join(w.id for w in party_workers(parties))
    print(f"encrypted XOR: {parties} parties ({names}) + the dealer carol, each in its own process (gloo, 127.0.0.1)")
    print(f"{args.steps} steps, lr {args.lr:g}, reservoir {args.reservoir}, timeout {args.timeout:g} s", flush=True)
    start = time.perf_counter()
    try:
        run, result = xor_run(
            parties,
            args.steps,
            args.lr,
            args.reservoir,
            args.seed,
            args.reveal_every,
            timeout=args.timeout,
            randomness_seed=args.reproducible,
        )
    except PartyFailure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    _report(run, result.cost, result.control_messages, result.control_bytes)
    print(f"time: {time.perf_counter() - start:.1f} s (start {parties + 1} processes, train, stop them)")
    return 0


def _one_rank(args, parser) -> int:
    from course_lib.distributed.failures import PartyFailure
    from course_lib.distributed.node import NodeSpec, run_node
    from course_lib.distributed.shipping import pack
    from course_lib.distributed.xor import training_run, xor_inputs, xor_party
    from course_lib.reservoir import party_workers

    if args.world_size is None:
        parser.error("--rank needs --world-size (or WORLD_SIZE): the number of parties + 1")
    parties = args.world_size - 1
    if args.parties is not None and args.parties != parties:
        parser.error(f"--parties {args.parties} disagrees with --world-size {args.world_size} (parties + 1)")
    if parties < 2 or not 0 <= args.rank <= parties:
        parser.error(f"need at least 2 parties and 0 <= rank <= {parties}")
    names = tuple(w.id for w in party_workers(parties))
    dealer = args.rank == parties
    spec = NodeSpec(
        names=names,
        dealer_name="carol",
        host=args.master_addr,
        port=args.master_port,
        timeout=args.timeout,
        seed=args.reproducible,
        epoch=time.time(),
        store_rank=0,
        loopback=args.master_addr in ("127.0.0.1", "localhost"),
        party_code=None if dealer else pack(xor_party),
        kwargs={} if dealer else {"steps": args.steps, "learning_rate": args.lr, "reveal_every": args.reveal_every},
        inputs=xor_inputs(args.reservoir, args.seed) if dealer else None,
    )
    who = f"the dealer carol (rank {args.rank})" if dealer else f"party {names[args.rank]} (rank {args.rank})"
    print(f"{who} of {parties} parties + dealer; rendezvous {args.master_addr}:{args.master_port}", flush=True)
    start = time.perf_counter()
    try:
        result = run_node(spec, args.rank)
    except PartyFailure as failure:
        print(f"error after {time.perf_counter() - start:.1f} s: {failure}", file=sys.stderr)
        return 1
    if dealer:
        from course_lib.distributed.launcher import RunResult

        run_result = RunResult([], result.value, result.cost, {}, result.logical_dealer, 0, 0, None)
        run = training_run(run_result, args.steps)
        control = [sum(r.control_messages for r in result.reports), sum(r.control_bytes for r in result.reports)]
        _report(run, result.cost, *control)
    else:
        shape = tuple(result.value["model share"].shape)
        print(f"done: my share of the model has shape {shape} (my own row only); I sent: {result.report.cost}")
    print(f"time: {time.perf_counter() - start:.1f} s")
    return 0


def _report(run, cost, control_messages: int, control_bytes: int) -> None:
    print(run.report())
    predictions = (run.predictions > 0.5).int().flatten().tolist()
    print(f"predictions: [{' '.join(str(p) for p in predictions)}]")
    print(f"measured on the wire: {cost}")
    print(
        f"control frames (requests, headers; not in the count above): {control_messages} messages, "
        f"{human_bytes(control_bytes)}"
    )


if __name__ == "__main__":
    sys.exit(main())
