"""The trusted dealer: correct triples and pairs, fresh ones every time, and no stale stock after a mode switch."""

import torch

import course_lib as cl
from course_lib import ring
from course_lib.dealer import TrustedDealer

carol = cl.VirtualWorker("carol")


def test_triples_are_correct_for_products_and_matrix_products():
    dealer = TrustedDealer(carol)
    for op, x_shape, y_shape in [(torch.mul, (3, 1), (1, 4)), (ring.ring_matmul, (4, 256), (256, 1))]:
        for n in (2, 3):
            a, b, c = (ring.reconstruct(s) for s in dealer.beaver_triple(op, x_shape, y_shape, n))
            assert a.shape == x_shape and b.shape == y_shape
            assert torch.equal(c, op(a, b))


def test_truncation_pairs_are_correct():
    r, shifted = (ring.reconstruct(s) for s in TrustedDealer(carol).truncation_pair((50,), 16, 3))
    assert torch.equal(shifted, r >> 16)


def test_every_triple_is_fresh_even_from_one_batch():
    dealer = TrustedDealer(carol)
    masks = [ring.reconstruct(dealer.beaver_triple(torch.mul, (8,), (8,), 2)[0]) for _ in range(100)]
    assert len({tuple(m.tolist()) for m in masks}) == 100


def test_stock_made_under_a_seed_is_not_used_after_switching_to_secure():
    dealer = TrustedDealer(carol)
    with cl.reproducible(0):
        dealer.beaver_triple(torch.mul, (3,), (3,), 2)  # makes a whole batch from the seeded source
    with cl.reproducible(0):  # what the rest of that seeded batch holds, made again by a twin dealer
        twin = TrustedDealer(carol)
        twin.beaver_triple(torch.mul, (3,), (3,), 2)
        stale = twin.beaver_triple(torch.mul, (3,), (3,), 2)
    fresh = dealer.beaver_triple(torch.mul, (3,), (3,), 2)  # secure mode again (the with block restored it)
    assert cl.is_secure()
    assert not torch.equal(fresh[0], stale[0])


def test_the_dealer_is_counted_apart_from_the_parties():
    with cl.measure_cost() as cost:
        TrustedDealer(carol).beaver_triple(torch.mul, (10,), (10,), 3)
    assert (cost.rounds, cost.messages, cost.bytes) == (0, 0, 0)
    assert cost.dealer_messages == 9 and cost.dealer_bytes == 3 * 3 * 10 * 8
