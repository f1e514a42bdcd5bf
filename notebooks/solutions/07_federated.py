"""Our solutions to chapter 07's exercises. Load one with `%load -s NAME solutions/07_federated.py`."""

from course_lib import secagg


def patient_from_gradient(grad_weights, grad_bias, scaler):
    """One patient's gradient is (p - y)·x for the weights and p - y for the bias: dividing gives the standardised
    record x exactly; the public scaler takes it back to the file's units."""
    scaled = grad_weights.reshape(-1) / grad_bias.reshape(-1)
    return scaled * scaler.std + scaler.mean


def shamir_reconstruct(points, prime):
    """Lagrange interpolation at 0: f(0) = Σ_j y_j·λ_j with λ_j = Π_{m≠j} x_m / (x_m - x_j), every division done by
    multiplying with an inverse mod prime."""
    secret = 0
    for j, (xj, yj) in enumerate(points):
        numerator, denominator = 1, 1
        for m, (xm, _) in enumerate(points):
            if m != j:
                numerator = numerator * xm % prime
                denominator = denominator * (xm - xj) % prime
        secret = (secret + yj * numerator * pow(denominator, -1, prime)) % prime
    return secret


def mask_update(q, own, pair_seeds, self_seed):
    """y = q + PRG(self_seed) + Σ_v ±PRG(s_own,v) mod 2^32: the lower index of each pair adds, the higher subtracts."""
    length = q.numel()
    y = q + secagg.prg_mask(self_seed, length)
    for peer, seed in pair_seeds.items():
        sign = 1 if own < peer else -1
        y = y + sign * secagg.prg_mask(seed, length)
    return y % 2**32
