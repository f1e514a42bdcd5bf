"""Our solutions to chapter 09's exercises. Load one with `%load -s NAME solutions/09_real_parties.py`."""


def rounds_and_bytes(messages):
    """Rounds: the distinct steps in which data moved (the dealer's rows are offline); bytes: those messages' sizes."""
    online = [m for m in messages if m.kind != "dealer"]
    return len({m.step for m in online}), sum(m.nbytes for m in online)


def network_seconds(rounds, nbytes, rtt, bandwidth):
    """One round trip per round, plus the bytes at the link's speed (bandwidth in bits per second: 8 bits a byte)."""
    return rounds * rtt + 8 * nbytes / bandwidth
