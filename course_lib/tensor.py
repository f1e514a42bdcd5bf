"""SharedTensor: a fixed-point tensor secret-shared among parties (chapters 02–04).

A SharedTensor is four things: the stacked int64 shares of every party, shape (n_parties, *shape); the PartyGroup
that holds them (and its dealer); the FixedPointEncoder that says how to read them as reals; and the float dtype to
return when revealed. Its operators follow from a few primitives:

    shared ± shared     each party adds its shares                      (local)
    shared ± public     party 0 adds the encoded public value           (local)
    shared × int        each party multiplies its share                 (local, exact)
    shared × real       multiply by the encoding, then truncate         (local for 2 parties, 1 round for 3+)
    shared × shared     Beaver triple, then truncate                    (1 round + truncation)
    shared @ shared     Beaver matrix triple, then truncate             (1 round + truncation)
    shape operations    every party reshapes its own share              (local)

It never reveals by accident: `repr` shows shapes and party names only, and truth values, float(), numpy() and
friends raise. `get()` is the one deliberate way to reveal.
"""

from __future__ import annotations

import torch

from course_lib import protocols, ring
from course_lib.dealer import TrustedDealer
from course_lib.encoding import FixedPointEncoder, as_real_tensor
from course_lib.parties import BYTES_PER_ELEMENT, PartyGroup, VirtualWorker, broadcast_shares

__all__ = ["SharedTensor", "share"]


def share(secret, *workers: VirtualWorker, crypto_provider: VirtualWorker | None = None, precision_bits: int = 16):
    """Encode `secret` in fixed point and split it into additive shares, one per worker.

    `crypto_provider` is the dealer that multiplications (and truncation among 3+ parties) need; it must not be one
    of the workers (see `course_lib.dealer` for the trust it asks for).
    """
    if len(workers) == 1 and isinstance(workers[0], (list, tuple)):
        workers = tuple(workers[0])
    if len(workers) < 2:
        raise ValueError(f"secret sharing needs at least 2 parties, got {len(workers)}: share(x, alice, bob, ...)")
    for w in workers:
        if not isinstance(w, VirtualWorker):
            raise TypeError(f"parties must be VirtualWorkers, got {type(w).__name__}: use cl.VirtualWorker('alice')")
    if len(set(workers)) != len(workers):
        raise ValueError(f"each party may hold only one share, but {[w.id for w in workers]} names a party twice")
    dealer = None
    if crypto_provider is not None:
        if not isinstance(crypto_provider, VirtualWorker):
            raise TypeError(f"crypto_provider must be a VirtualWorker, got {type(crypto_provider).__name__}")
        if crypto_provider in workers:
            raise ValueError(
                f"{crypto_provider.id} cannot be both a party and the crypto provider: the dealer knows every triple, "
                "so a party that is also the dealer can unmask everything. Pick a third worker."
            )
        dealer = TrustedDealer(crypto_provider)
    encoder = FixedPointEncoder(precision_bits)
    encoded = encoder.encode(secret)
    dtype = (
        secret.dtype if isinstance(secret, torch.Tensor) and secret.is_floating_point() else torch.get_default_dtype()
    )
    group = PartyGroup(tuple(workers), dealer)
    shares = ring.share(encoded, group.n_parties)
    nbytes = encoded.numel() * BYTES_PER_ELEMENT
    group.runtime.record(1, group.n_parties, group.n_parties * nbytes, {"data owner": group.n_parties * nbytes})
    return SharedTensor(shares, group, encoder, dtype)


class SharedTensor:
    """Fixed-point values secret-shared among the parties of a PartyGroup. See the module docstring."""

    def __init__(self, shares: torch.Tensor, group: PartyGroup, encoder: FixedPointEncoder, dtype=torch.float32):
        if shares.dtype != torch.int64 or shares.dim() < 1 or shares.shape[0] != group.n_parties:
            raise ValueError(
                f"shares must be int64 of shape (n_parties={group.n_parties}, ...), "
                f"got {shares.dtype} {tuple(shares.shape)}"
            )
        self._shares = shares
        self.group = group
        self.encoder = encoder
        self.dtype = dtype

    # ----- what a party holds, and revealing ---------------------------------------------------------------------
    @property
    def shares(self) -> torch.Tensor:
        """The raw int64 shares, stacked: `x.shares[i]` is what party i holds (uniform noise on its own)."""
        return self._shares

    def share_of(self, party: VirtualWorker) -> torch.Tensor:
        """The share one party holds."""
        try:
            return self._shares[self.group.parties.index(party)]
        except ValueError:
            raise ValueError(f"{party!r} holds no share of this tensor; its parties are {self.group.names()}") from None

    @property
    def parties(self) -> tuple[VirtualWorker, ...]:
        return self.group.parties

    @property
    def shape(self) -> torch.Size:
        return self._shares.shape[1:]

    def dim(self) -> int:
        return self._shares.dim() - 1

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return self.shape.numel()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d SharedTensor")
        return self.shape[0]

    def reconstruct(self) -> torch.Tensor:
        """Reveal the raw ring values (int64, still fixed-point encoded): every party sends its share to us."""
        nbytes = self.numel() * BYTES_PER_ELEMENT
        self.group.runtime.record(
            1, self.group.n_parties, self.group.n_parties * nbytes, {p.id: nbytes for p in self.parties}
        )
        return ring.reconstruct(self._shares)

    def get(self) -> torch.Tensor:
        """Reveal and decode: the float tensor these shares stand for (the article's `.get().decode()`)."""
        return self.encoder.decode(self.reconstruct(), self.dtype)

    # ----- never reveal by accident -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        dealer = f", dealer {self.group.dealer.worker.id}" if self.group.dealer is not None else ""
        return (
            f"SharedTensor(shape={tuple(self.shape)}, parties: {self.group.names()}{dealer}, "
            f"fixed point {self.encoder.precision_bits} bits)"
        )

    def _refuse(self, *args, **kwargs):
        raise TypeError(
            "a SharedTensor will not turn into a plain value: that would reveal the secret to whoever asks. "
            "Call .get() to reveal it deliberately."
        )

    def __bool__(self):
        raise TypeError(
            "a SharedTensor has no truth value: `if x` or `x and y` would have to reveal the secret. "
            "Reveal it deliberately with x.get(), or compare securely (chapter 06)."
        )

    def __eq__(self, other):
        raise TypeError(
            "== on a SharedTensor would reveal a secret comparison; use x.get() == ... to reveal deliberately"
        )

    __hash__ = object.__hash__
    __float__ = __int__ = __index__ = __complex__ = __array__ = item = tolist = numpy = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __ne__ = __eq__

    # ----- operands ------------------------------------------------------------------------------------------------
    def _same_group(self, other: SharedTensor, verb: str) -> None:
        if other.group != self.group:
            raise ValueError(
                f"cannot {verb} tensors shared among different parties ({self.group} and {other.group}): "
                "share both among the same workers with the same crypto_provider"
            )
        if other.encoder != self.encoder:
            raise ValueError(
                f"cannot {verb} tensors with different precision ({self.encoder.precision_bits} and "
                f"{other.encoder.precision_bits} bits): share both with the same precision_bits"
            )

    def _public(self, value, verb: str) -> torch.Tensor:
        """A public operand as a tensor (not yet encoded)."""
        return as_real_tensor(value, f"{verb} a SharedTensor and")

    def _result_shape(self, other_shape, verb: str) -> torch.Size:
        if other_shape == self.shape:  # the common case, without torch's general (and slow) broadcasting check
            return self.shape
        try:
            return torch.broadcast_shapes(self.shape, other_shape)
        except RuntimeError:
            raise ValueError(
                f"cannot {verb} shapes {tuple(self.shape)} and {tuple(other_shape)}: they do not broadcast"
            ) from None

    def _new(self, shares: torch.Tensor, dtype=None) -> SharedTensor:
        return SharedTensor(shares, self.group, self.encoder, dtype or self.dtype)

    # ----- addition and subtraction --------------------------------------------------------------------------------
    def _add(self, other, verb: str, sign: int) -> SharedTensor:
        """self + sign * other, for a shared or a public other."""
        if isinstance(other, SharedTensor):
            self._same_group(other, verb)
            shape = self._result_shape(other.shape, verb)
            x, y = broadcast_shares(self._shares, shape), broadcast_shares(other._shares, shape)
            return self._new(x + y if sign > 0 else x - y)
        if _is_number(other):
            encoded = self.encoder.encode(other)
        else:
            public = self._public(other, verb)
            self._result_shape(public.shape, verb)
            encoded = self.encoder.encode(public)
        return self._new(self.group.runtime.add_public(self._shares, encoded if sign > 0 else -encoded))

    def add(self, other) -> SharedTensor:
        return self._add(other, "add", 1)

    def sub(self, other) -> SharedTensor:
        return self._add(other, "subtract", -1)

    def neg(self) -> SharedTensor:
        return self._new(-self._shares)

    def rsub(self, other) -> SharedTensor:
        return self.neg().add(other)

    # ----- multiplication -----------------------------------------------------------------------------------------
    def _truncate(self, shares: torch.Tensor) -> SharedTensor:
        return self._new(protocols.truncate(shares, self.encoder.precision_bits, self.group))

    def mul(self, other) -> SharedTensor:
        if isinstance(other, SharedTensor):
            self._same_group(other, "multiply")
            shape = self._result_shape(other.shape, "multiply")
            x, y = self._aligned(len(shape)), other._aligned(len(shape))
            return self._truncate(protocols.beaver_multiply(x, y, self.group))
        if _is_number(other):  # a Python number: one torch op, no tensor to build
            if isinstance(other, int):  # an integer factor needs no encoding, hence no truncation: exact
                return self._new(self._shares * other)
            return self._truncate(self._shares * self.encoder.encode_number(other))
        public = self._public(other, "multiply")
        x = self._aligned(len(self._result_shape(public.shape, "multiply")))
        if not public.is_floating_point():  # an integer factor needs no encoding, hence no truncation: exact
            return self._new(x * public.to(torch.int64))
        return self._truncate(x * self.encoder.encode(public))

    def _aligned(self, rank: int) -> torch.Tensor:
        """Shares viewed with `rank` data dimensions (leading 1s after the party axis), for broadcasting protocols."""
        return self._shares.reshape(self._shares.shape[0], *([1] * (rank - self.dim())), *self.shape)

    def div(self, other) -> SharedTensor:
        if isinstance(other, SharedTensor):
            raise TypeError(
                "dividing by a shared value needs a secure reciprocal (chapter 06); divide by a public number"
            )
        public = self._public(other, "divide").double()
        if bool((public == 0).any()):
            raise ZeroDivisionError("division of a SharedTensor by zero")
        return self.mul(1.0 / public)

    def pow(self, exponent: int) -> SharedTensor:
        if isinstance(exponent, bool) or not isinstance(exponent, int) or exponent < 1:
            raise ValueError(f"a SharedTensor can be raised to a positive integer power only, got {exponent!r}")
        result = self
        for _ in range(exponent - 1):
            result = result.mul(self)
        return result

    # ----- matrix products ----------------------------------------------------------------------------------------
    def matmul(self, other) -> SharedTensor:
        if isinstance(other, SharedTensor):
            self._same_group(other, "multiply")
            self._check_matmul(other.shape)
            return self._vector_aware(other, lambda x, y: protocols.beaver_matmul(x, y, self.group))
        public = self._public(other, "multiply")
        self._check_matmul(public.shape)
        if not public.is_floating_point():
            return self._new(ring.ring_matmul(self._shares, public.to(torch.int64)))
        return self._truncate(ring.ring_matmul(self._shares, self.encoder.encode(public)))

    def rmatmul(self, other) -> SharedTensor:
        """public @ shared: every party multiplies the public matrix by its own share."""
        public = self._public(other, "multiply")
        if public.dim() < 1 or self.dim() < 1 or public.shape[-1] != self.shape[-2 if self.dim() > 1 else 0]:
            raise ValueError(
                f"cannot matrix-multiply shapes {tuple(public.shape)} @ {tuple(self.shape)}: inner sizes differ"
            )
        encoded = public.to(torch.int64) if not public.is_floating_point() else self.encoder.encode(public)
        shares = self._shares if self.dim() > 1 else self._shares.unsqueeze(-1)
        product = ring.ring_matmul(encoded, shares)
        product = product if self.dim() > 1 else product.squeeze(-1)
        return self._new(product) if not public.is_floating_point() else self._truncate(product)

    def _check_matmul(self, other_shape) -> None:
        if self.dim() == 0 or len(other_shape) == 0:
            raise ValueError("matrix products need tensors with at least one dimension; use * for scalars")
        inner = other_shape[-2] if len(other_shape) > 1 else other_shape[0]
        if self.shape[-1] != inner:
            raise ValueError(
                f"cannot matrix-multiply shapes {tuple(self.shape)} @ {tuple(other_shape)}: "
                f"the left's columns ({self.shape[-1]}) must equal the right's rows ({inner})"
            )

    def _vector_aware(self, other: SharedTensor, product) -> SharedTensor:
        """torch.matmul's vector rules on stacked shares: a 1-d operand becomes a 1-row / 1-column matrix."""
        x = self._shares.unsqueeze(-2) if self.dim() == 1 else self._shares
        y = other._shares.unsqueeze(-1) if other.dim() == 1 else other._shares
        z = product(x, y)
        if other.dim() == 1:
            z = z.squeeze(-1)
        if self.dim() == 1:
            z = z.squeeze(-2 if other.dim() > 1 else -1)
        return self._truncate(z)

    def mm(self, other) -> SharedTensor:
        if self.dim() != 2 or (isinstance(other, (SharedTensor, torch.Tensor)) and other.dim() != 2):
            raise ValueError(f"mm multiplies two matrices (2-d); got shape {tuple(self.shape)}: use @ for other shapes")
        return self.matmul(other)

    # ----- shapes: every party reshapes its own share -------------------------------------------------------------
    def t(self) -> SharedTensor:
        if self.dim() > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, got {self.dim()}: use transpose(d0, d1)")
        return self.transpose(0, 1) if self.dim() == 2 else self

    def transpose(self, dim0: int, dim1: int) -> SharedTensor:
        return self._new(self._shares.transpose(self._party_dim(dim0), self._party_dim(dim1)))

    def _party_dim(self, dim: int) -> int:
        """A data dimension as a dimension of the stacked shares (which have the party axis in front)."""
        if not -self.dim() <= dim < max(self.dim(), 1):
            raise IndexError(f"dimension {dim} out of range for a {self.dim()}-d SharedTensor")
        return dim % self.dim() + 1 if self.dim() else 1

    def reshape(self, *shape) -> SharedTensor:
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)) else shape
        return self._new(self._shares.reshape(self._shares.shape[0], *shape))

    view = reshape

    def flatten(self) -> SharedTensor:
        return self.reshape(-1)

    def unsqueeze(self, dim: int) -> SharedTensor:
        return self._new(self._shares.unsqueeze(dim % (self.dim() + 1) + 1))

    def __getitem__(self, index) -> SharedTensor:
        if isinstance(index, SharedTensor):
            raise TypeError("indexing with a SharedTensor would reveal it; reveal the index with .get() first")
        index = index if isinstance(index, tuple) else (index,)
        return self._new(self._shares[(slice(None), *index)])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def sum(self, dim: int | None = None, keepdim: bool = False) -> SharedTensor:
        if dim is None:
            return self._new(self._shares.reshape(self._shares.shape[0], -1).sum(dim=1))
        return self._new(self._shares.sum(dim=self._party_dim(dim), keepdim=keepdim))

    def mean(self, dim: int | None = None, keepdim: bool = False) -> SharedTensor:
        count = self.numel() if dim is None else self.shape[dim]
        return self.sum(dim, keepdim).mul(1.0 / count)

    # ----- the operator table --------------------------------------------------------------------------------------
    __add__ = __radd__ = add
    __sub__ = sub
    __rsub__ = rsub
    __mul__ = __rmul__ = mul
    __truediv__ = div
    __neg__ = neg
    __pow__ = pow
    __matmul__ = matmul
    __rmatmul__ = rmatmul


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
