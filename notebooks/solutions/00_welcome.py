"""Our solution to chapter 00's warm-up. Load it into the notebook with `%load -s add_mod solutions/00_welcome.py`."""


def add_mod(a, b, q):
    """Add, then wrap around: the remainder of a + b divided by q."""
    return (a + b) % q
