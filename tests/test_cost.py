"""The runtime counts what every operation would send: rounds, messages, bytes, and the dealer's share."""

import torch

import course_lib as cl

alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))


def _shared(shape, *parties):
    return cl.share(torch.ones(shape), *parties, crypto_provider=carol)


def test_local_operations_send_nothing():
    x, y = _shared((4, 4), alice, bob), _shared((4, 4), alice, bob)
    with cl.measure_cost() as cost:
        _ = x + y, x - y, x * 3, x + 1.0, x.t(), x.sum(), x * 0.5  # 2 parties: truncation is local too
    assert (cost.rounds, cost.messages, cost.bytes, cost.dealer_bytes) == (0, 0, 0, 0)


def test_a_beaver_product_costs_one_round_for_two_parties():
    x, y = _shared((4, 5), alice, bob), _shared((4, 5), alice, bob)
    with cl.measure_cost() as cost:
        _ = x * y
    # open e and f: each party sends 2 tensors of 20 int64 to the other party
    assert cost.rounds == 1
    assert cost.messages == 2 * 2
    assert cost.bytes == 2 * 2 * 20 * 8
    assert cost.bytes_sent_by == {"alice": 320, "bob": 320, "carol": 3 * 2 * 20 * 8}
    # the dealer sends a, b and c to both parties
    assert cost.dealer_messages == 3 * 2 and cost.dealer_bytes == 3 * 2 * 20 * 8


def test_a_matrix_product_opens_masked_operands_not_the_output():
    x, y = _shared((4, 256), alice, bob), _shared((256, 1), alice, bob)
    with cl.measure_cost() as cost:
        _ = x @ y
    assert cost.rounds == 1 and cost.bytes == 2 * (4 * 256 + 256) * 8
    assert cost.dealer_bytes == 2 * (4 * 256 + 256 + 4) * 8


def test_three_parties_pay_a_round_for_truncation():
    x, y = _shared((3,), alice, bob, dave), _shared((3,), alice, bob, dave)
    with cl.measure_cost() as cost:
        _ = x * y
    assert cost.rounds == 2  # Beaver's opening, then truncation's
    assert cost.messages == 3 * 2 * 2 + 3 * 2


def test_revealing_and_sharing_are_counted():
    with cl.measure_cost() as cost:
        x = _shared((10,), alice, bob)
        x.get()
    assert cost.rounds == 2 and cost.bytes == 2 * (2 * 10 * 8)
    assert "2 rounds" in repr(cost) and "between parties" in repr(cost)
