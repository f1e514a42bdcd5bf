"""Correlated randomness is used once, whatever the user copies, pickles or runs in a thread.

A Beaver triple handed out twice lets the parties subtract the two openings: e1 - e2 = x1 - x2 exactly. Before the fix,
`copy.deepcopy` or `pickle` of a SharedTensor copied the dealer's unused stock, so `best = copy.deepcopy(model)`
followed by one product on each copy opened the SAME mask twice. These tests open both and compare. The randomness mode
and the cost meters are context-local: a seeded `with cl.reproducible(...)` in one thread must not seed another
thread's shares.
"""

import copy
import pickle
import threading

import torch

import course_lib as cl
from course_lib import rng
from course_lib.dealer import TrustedDealer, dealer_for

alice, bob, carol = cl.VirtualWorker("alice"), cl.VirtualWorker("bob"), cl.VirtualWorker("carol")


def _openings_of(fn) -> list[torch.Tensor]:
    with cl.record_openings() as log:
        fn()
    return [o.value for o in log if o.kind == "masked"]


def _masks_reused(x1, x2, y) -> bool:
    """Multiply both copies by y and look at the opened e = x - a: equal masks show as e1 - e2 == x1 - x2."""
    (e1, f1), (e2, f2) = _openings_of(lambda: x1 * y), _openings_of(lambda: x2 * y)
    diff = x1.reconstruct() - x2.reconstruct()
    return bool(torch.equal(e1 - e2, diff)) or bool(torch.equal(f1, f2))


def _pair():
    x = cl.share(torch.tensor([1.0, 2.0, 3.0]), alice, bob, crypto_provider=carol)
    y = cl.share(torch.tensor([4.0, 5.0, 6.0]), alice, bob, crypto_provider=carol)
    return x, y


def test_a_deep_copy_never_takes_the_same_triple():
    for mode in (cl.secure, lambda: cl.reproducible(5, quiet=True)):
        mode()
        x, y = _pair()
        x * y  # start a batch: the dealer now holds unused stock for this shape
        twin = copy.deepcopy(x)
        assert twin.group.dealer is x.group.dealer  # the same dealer, not a clone with a clone of its stock
        assert not _masks_reused(x, twin, y)


def test_a_pickled_and_restored_tensor_never_takes_the_same_triple():
    x, y = _pair()
    x * y
    restored = pickle.loads(pickle.dumps(x))
    assert restored.group.dealer is dealer_for(carol)
    assert not _masks_reused(x, restored, y)
    model = {"weights": x}
    best = copy.deepcopy(model)  # what a learner writes to keep the best model
    assert not _masks_reused(model["weights"], best["weights"], y)


def test_a_pickled_dealer_comes_back_without_its_stock():
    dealer = TrustedDealer(carol)
    first = dealer.beaver_triple(torch.mul, (3,), (3,), 2)
    clone = pickle.loads(pickle.dumps(dealer))
    assert clone is dealer_for(carol) and clone is not dealer
    assert copy.deepcopy(dealer) is dealer and copy.copy(dealer) is dealer
    rest = [dealer.beaver_triple(torch.mul, (3,), (3,), 2)[0] for _ in range(5)]
    theirs = [clone.beaver_triple(torch.mul, (3,), (3,), 2)[0] for _ in range(5)]
    masks = [first[0], *rest, *theirs]
    assert len({tuple(m.reshape(-1).tolist()) for m in masks}) == len(masks)


def test_a_seeded_source_is_never_duplicated():
    with cl.reproducible(9, quiet=True):
        source = rng.current_source()
        assert copy.deepcopy(source) is source and copy.copy(source) is source
        try:
            pickle.dumps(source)
        except TypeError as error:
            assert "repeat its draws" in str(error)
        else:
            raise AssertionError("a seeded source was pickled")


def test_threads_share_no_triple():
    x, y = _pair()
    dealer = x.group.dealer
    masks, errors = [], []

    def work():
        try:
            for _ in range(50):
                masks.append(dealer.beaver_triple(torch.mul, (3,), (3,), 2)[0].clone())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({tuple(m.reshape(-1).tolist()) for m in masks}) == 200


def test_a_seeded_block_in_one_thread_does_not_seed_another_thread():
    inside, outside, started, release = [], [], threading.Event(), threading.Event()

    def seeded():
        with cl.reproducible(1234, quiet=True):
            started.set()
            inside.append(rng.is_secure())
            release.wait(10)

    thread = threading.Thread(target=seeded)
    thread.start()
    started.wait(10)
    # while the other thread sits inside its seeded block, this thread's shares are still from the CSPRNG
    outside.append(rng.is_secure())
    secret = cl.share(torch.tensor([42.0]), alice, bob)
    with cl.reproducible(1234, quiet=True):
        replay = cl.share(torch.tensor([42.0]), alice, bob)  # what the seed would have produced
    release.set()
    thread.join()
    assert inside == [False] and outside == [True]
    assert not torch.equal(secret.shares[0], replay.shares[0])  # replaying the seed does not recover the share


def test_a_new_thread_starts_secure_even_if_the_main_thread_is_seeded():
    cl.reproducible(7, quiet=True)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(rng.is_secure()))
    thread.start()
    thread.join()
    assert seen == [True] and not rng.is_secure()


def test_cost_meters_are_local_to_their_thread():
    x, y = _pair()
    counted, go = [], threading.Event()

    def other():
        go.wait(10)
        for _ in range(10):
            x * y

    thread = threading.Thread(target=other)
    thread.start()
    with cl.measure_cost() as cost:
        go.set()
        thread.join()
        counted.append(cost.rounds)
    assert counted == [0]  # the other thread's ten products are not this meter's
