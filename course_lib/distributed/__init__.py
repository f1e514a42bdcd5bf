"""course_lib.distributed — every party, and the dealer, in its own OS process (chapter 09).

Until chapter 08 all parties lived in one Python process: their shares were rows of one tensor, and a "message" was a
line in a ledger. Here each party is a separate process with its own memory, the messages travel over TCP through
torch.distributed (gloo), and the protocols of `course_lib.protocols` run UNCHANGED — only the runtime differs:

    from course_lib import distributed
    from course_lib.distributed import demos

    result = distributed.run(demos.product, n_parties=2, inputs={"x": x, "y": y}, timeout=10)
    result.values        # what was revealed to you: [x * y]
    result.returns       # what the party code returned in each party
    result.cost          # rounds, messages, bytes — measured on the wire, equal to the in-process count

Rank layout (world size n + 1):
    ranks 0 … n-1   the parties: alice, bob, dave, … — each holds ITS OWN share only (dimension 0 of size 1)
    rank n          the dealer process: carol the dealer (a real TrustedDealer that sends party i only row i),
                    the data owner (shares the named inputs) and "you" (receive what `get()` reveals)

Who learns what: a party sees its own shares and the masked values the protocols open (uniform noise); what
`get()` reveals goes to you (the parties get None); `ctx.reveal(x, to="bob")` reveals to bob alone. Nobody but the
dealer process ever holds more than one party's share. Trust: semi-honest parties; a dealer that colludes with none.

Counting on the wire (`wire`): every share, opened value and dealer row is one gloo message (one tensor, one rank to
one other), its bytes numel × 8. Rounds are the communication steps the parties take part in. Under the same seed a
distributed run sends exactly what the in-process runtime counts — rounds, messages, bytes, the dealer's offline
bytes, who sent how much (tests/test_distributed.py checks it). Control frames (rank 0's requests to the dealer
process, the shapes announcing a delivery) travel too and are counted apart (`RunResult.control_messages`).

Failures (`control`, `failures`): gloo waits have OUR timeout (default 30 s; gloo's own is 30 min), a peer's death
closes its connections at once, the launcher announces a child that dies, every process sends heartbeats; the first
process that sees a failure records it, and every other one stops naming THAT party and its own step:
"party bob (rank 1) did not answer during `open` in step 17 (training step 3) ...". The launcher then kills and joins
every child (also on an exception or Ctrl-C), and children die with their launcher.

Command line (`python -m course_lib.distributed --help`): `xor --parties 2` trains chapter 05's encrypted XOR readout
with every party and the dealer in its own process; `--rank/--world-size/--master-addr/--master-port` (or the
standard RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT variables) run ONE process per machine.

Modules, one concept each: `runtime` (a party's runtime), `dealer` (the dealer process and the parties' proxy),
`wire` (the data plane and its counts), `control` (rendezvous, requests, heartbeats, failure notices), `failures`,
`context` (what party code gets), `node` (one process, start to finish), `launcher` (all processes on one machine),
`shipping` (party code into a fresh process), `xor` and `demos` (party code for the chapter and the tests),
`network` (what a network adds: time ≈ rounds × round trip + bytes ÷ bandwidth; `run(..., latency=...)` and
`ctx.delay(...)` slow every round down to check it).
"""

from course_lib.distributed.context import PartyContext
from course_lib.distributed.dealer import DealerProxy, DealerService, Revealed
from course_lib.distributed.failures import PartyFailure, Roles
from course_lib.distributed.launcher import DEFAULT_TIMEOUT, RunResult, Session, run, start
from course_lib.distributed.runtime import YOU, DistributedRuntime
from course_lib.distributed.wire import Message

__all__ = [
    "DEFAULT_TIMEOUT",
    "DealerProxy",
    "DealerService",
    "DistributedRuntime",
    "Message",
    "PartyContext",
    "PartyFailure",
    "Revealed",
    "Roles",
    "RunResult",
    "Session",
    "YOU",
    "run",
    "start",
]
