"""SharedTensor: a fixed-point tensor secret-shared among parties (chapters 02–04).

A SharedTensor is four things: the stacked int64 shares of every party, shape (n_parties, *shape); the PartyGroup
that holds them (and its dealer); the FixedPointEncoder that says how to read them as reals; and the float dtype to
return when revealed. Its operators follow from a few primitives:

    shared ± shared     each party adds its shares                      (local)
    shared ± public     party 0 adds the encoded public value           (local)
    shared × integer    each party multiplies its share                 (local, exact)
    shared × real       multiply by the encoding, then truncate         (local for 2 parties, 1 round for 3+)
    shared ÷ integer    divide like truncation does                     (local for 2 parties, 1 round for 3+)
    shared ÷ real       multiply by the reciprocal encoded with extra bits, then truncate by as many
    shared × shared     Beaver triple, then truncate                    (1 round + truncation)
    shared @ shared     Beaver matrix triple, then truncate             (1 round + truncation)
    shape operations    every party reshapes its own share              (local)

Precision: a public real factor is encoded like the data, so it is rounded to a multiple of 2^-f (chapter 05 shows
what that does to a learning rate). A division keeps the *relative* precision instead: `x / d` and `x.mean()` are
within about 2^-f of the true result relative to its size (plus one unit), for any divisor the encoding can represent.

dtype rule: `get()` returns the secret's own dtype when it was a floating-point tensor (float16 and bfloat16 too,
decoded in float64 first), and float64 for everything else (Python numbers, lists, integer tensors): a fixed-point
value has up to 47 integer and 16 fractional bits, which float32 would round. An operation between two operands
returns torch's promoted dtype, as `torch.result_type` would for the plaintext tensors.

It never reveals by accident: `repr` shows shapes and party names only, and truth values, float(), numpy() and
friends raise. `get()` is the one deliberate way to reveal.
"""

from __future__ import annotations

import numbers

import torch
from numpy import bool_ as numpy_bool

from course_lib import protocols, ring
from course_lib.dealer import dealer_for
from course_lib.encoding import FixedPointEncoder, as_real_tensor
from course_lib.parties import PartyGroup, VirtualWorker
from course_lib.runtime import broadcast_shares

__all__ = ["SharedTensor", "share", "Operand"]

_MAX_DIVISOR_BITS = 62  # a divisor (or a reciprocal's scale 2^k) must fit in an int64


def share(secret, *workers: VirtualWorker, crypto_provider: VirtualWorker | None = None, precision_bits: int = 16):
    """Encode `secret` in fixed point and split it into additive shares, one per worker.

    `crypto_provider` is the dealer that multiplications (and divisions among 3+ parties) need; it must not be one
    of the workers (see `course_lib.dealer` for the trust it asks for).
    """
    if len(workers) == 1 and isinstance(workers[0], (list, tuple)):
        workers = tuple(workers[0])
    dealer = None
    if crypto_provider is not None:
        if not isinstance(crypto_provider, VirtualWorker):
            raise TypeError(f"crypto_provider must be a VirtualWorker, got {type(crypto_provider).__name__}")
        dealer = dealer_for(crypto_provider)
    group = PartyGroup(tuple(workers), dealer)
    encoder = FixedPointEncoder(precision_bits)
    shares = group.runtime.input(group, encoder.encode(secret))
    return SharedTensor(shares, group, encoder, _secret_dtype(secret))


def _secret_dtype(secret) -> torch.dtype:
    """The dtype `get()` will return (see the module docstring)."""
    if isinstance(secret, torch.Tensor) and secret.is_floating_point():
        return secret.dtype
    return torch.float64


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, numpy_bool))


class SharedTensor:
    """Fixed-point values secret-shared among the parties of a PartyGroup. See the module docstring."""

    def __init__(
        self, shares: torch.Tensor, group: PartyGroup, encoder: FixedPointEncoder, dtype: torch.dtype = torch.float64
    ):
        if not isinstance(shares, torch.Tensor) or shares.dtype != torch.int64 or shares.dim() < 1:
            raise ValueError(f"shares must be an int64 tensor of shape (n_parties, ...), got {_describe(shares)}")
        rows = group.runtime.rows(group.n_parties)  # in-process: every party's share; one process per party: 1
        if shares.shape[0] != rows:
            raise ValueError(f"shares must have shape ({rows} parties' shares, ...), got {tuple(shares.shape)}")
        if not dtype.is_floating_point:
            raise TypeError(f"a SharedTensor reveals floating-point values, got dtype {dtype}")
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
            index = self.group.parties.index(party)
        except ValueError:
            raise ValueError(f"{party!r} holds no share of this tensor; its parties are {self.group.names()}") from None
        if self._shares.shape[0] == self.group.n_parties:  # every party's row is here (in-process)
            return self._shares[index]
        # Hook for one-process-per-party runtimes (chapter 09, course_lib.distributed): this process holds only its
        # own row, so row 0 is NOT party 0's share. Ask the runtime which party each row is.
        rows = self.group.runtime.party_indices(self.group.n_parties).tolist()
        if index not in rows:
            held = ", ".join(self.group.parties[i].id for i in rows)
            raise ValueError(f"{party.id}'s share is not in this process: it holds only {held}'s share")
        return self._shares[rows.index(index)]

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
            raise TypeError(
                "len() of a 0-d SharedTensor. (From torch.tensor(x) or np.array(x)? Those need the secret's values: "
                "reveal deliberately with x.get() first.)"
            )
        return self.shape[0]

    def reconstruct(self) -> torch.Tensor:
        """Reveal the raw ring values (int64, still fixed-point encoded): every party sends its share to us."""
        return self.group.runtime.reveal(self.group, self._shares)

    def get(self) -> torch.Tensor:
        """Reveal and decode: the float tensor these shares stand for (the article's `.get().decode()`)."""
        value = self.reconstruct()
        if value is None:  # hook for chapter 09's distributed runtime: the reveal went to another process, not this one
            return None
        return self.encoder.decode(value, self.dtype)

    # ----- never reveal by accident -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        dealer = f", dealer {self.group.crypto_provider.id}" if self.group.dealer is not None else ""
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
    __ne__ = __eq__  # secure equality is x.eq(y): `==` must keep returning a bool (hashing, `in`, asserts)
    # numpy: `np.float64(0.5) * x` must call x.__rmul__ (not turn x into an array, which would be refused)
    __array_ufunc__ = None

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        raise TypeError(
            f"torch.{name} cannot take a SharedTensor: torch would need the secret's values. Use the SharedTensor's "
            "own operators (x + y, x * y, x @ y, x.sum(), ...), or reveal deliberately with x.get() first."
        )

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

    def _result_dtype(self, other) -> torch.dtype:
        """torch's promotion between this tensor's plaintext dtype and the other operand's."""
        if isinstance(other, SharedTensor):
            return torch.promote_types(self.dtype, other.dtype)
        if isinstance(other, torch.Tensor) and other.is_floating_point():
            return torch.result_type(torch.empty(1, dtype=self.dtype), other)
        return self.dtype

    def _new(self, shares: torch.Tensor, dtype: torch.dtype | None = None) -> SharedTensor:
        return SharedTensor(shares, self.group, self.encoder, dtype or self.dtype)

    def _aligned(self, rank: int) -> torch.Tensor:
        """Shares viewed with `rank` data dimensions (leading 1s after the party axis), for broadcasting protocols."""
        return self._shares.reshape(self._shares.shape[0], *([1] * (rank - self.dim())), *self.shape)

    # ----- addition and subtraction --------------------------------------------------------------------------------
    def _add(self, other: Operand, verb: str, sign: int) -> SharedTensor:
        """self + sign * other, for a shared or a public other."""
        if isinstance(other, SharedTensor):
            self._same_group(other, verb)
            shape = self._result_shape(other.shape, verb)
            x, y = broadcast_shares(self._shares, shape), broadcast_shares(other._shares, shape)
            return self._new(x + y if sign > 0 else x - y, self._result_dtype(other))
        if _is_number(other):
            encoded = self.encoder.encode(other)
        else:
            public = self._public(other, verb)
            self._result_shape(public.shape, verb)
            encoded = self.encoder.encode(public)
        shares = self.group.runtime.add_public(self._shares, encoded if sign > 0 else -encoded)
        return self._new(shares, self._result_dtype(other))

    def add(self, other: Operand) -> SharedTensor:
        return self._add(other, "add", 1)

    def sub(self, other: Operand) -> SharedTensor:
        return self._add(other, "subtract", -1)

    def neg(self) -> SharedTensor:
        return self._new(-self._shares)

    def rsub(self, other: Operand) -> SharedTensor:
        return self.neg().add(other)

    # ----- multiplication -----------------------------------------------------------------------------------------
    def _truncate(self, shares: torch.Tensor, dtype: torch.dtype | None = None) -> SharedTensor:
        return self._new(protocols.truncate(shares, self.encoder.precision_bits, self.group), dtype)

    def mul(self, other: Operand) -> SharedTensor:
        if isinstance(other, SharedTensor):
            self._same_group(other, "multiply")
            shape = self._result_shape(other.shape, "multiply")
            x, y = self._aligned(len(shape)), other._aligned(len(shape))
            return self._truncate(protocols.beaver_multiply(x, y, self.group), self._result_dtype(other))
        if _is_number(other):  # a Python or numpy number: one torch op, no tensor to build
            if isinstance(other, numbers.Integral):  # an integer factor needs no encoding, hence no truncation
                return self._new(self._shares * self._integer_factor(int(other)))
            return self._truncate(self._shares * self.encoder.encode_number(other))
        public = self._public(other, "multiply")
        x = self._aligned(len(self._result_shape(public.shape, "multiply")))
        if not public.is_floating_point():  # an integer factor needs no encoding, hence no truncation: exact
            self.encoder.check_integers(public)
            return self._new(x * public.to(torch.int64))
        return self._truncate(x * self.encoder.encode(public), self._result_dtype(other))

    def _integer_factor(self, factor: int) -> int:
        """An integer factor must be representable, like an addend: `x * 2**50` fails as loudly as `x + 2**50`."""
        self.encoder._check_range(abs(factor))
        return factor

    # ----- division -----------------------------------------------------------------------------------------------
    def div(self, other: Operand) -> SharedTensor:
        """x / d for a public d. Integer divisors divide exactly like truncation does; other divisors multiply by the
        reciprocal encoded with enough extra bits that the result keeps the encoding's relative precision."""
        if isinstance(other, SharedTensor):
            raise TypeError(
                "dividing by a shared value needs a secure reciprocal, accurate on a stated domain only: use "
                "x * y.reciprocal() (0.1 <= |y| <= 10, or pass domain=(low, high)), or divide by a public number"
            )
        divisor = self._public(other, "divide").double()
        if not bool(torch.isfinite(divisor).all()):
            raise ValueError("cannot divide a SharedTensor by NaN or ±inf: clean the divisor first")
        if bool((divisor == 0).any()):
            raise ZeroDivisionError("division of a SharedTensor by zero")
        shape = self._result_shape(divisor.shape, "divide")
        dtype = self._result_dtype(other)
        magnitude, sign = divisor.abs(), divisor.sign().to(torch.int64)
        x = broadcast_shares(self._shares, shape)  # the dealer's pair must have the result's shape
        if not bool((sign > 0).all()):
            x = x * (sign if divisor.dim() else int(sign))  # the sign is public: flip the shares, divide by |d|
        if bool((magnitude == magnitude.round()).all()) and float(magnitude.max()) < 2**_MAX_DIVISOR_BITS:
            whole = magnitude.to(torch.int64)
            return self._new(protocols.divide(x, int(whole) if whole.dim() == 0 else whole, self.group), dtype)
        return self._new(self._times_reciprocal(x, 1.0 / magnitude), dtype)

    def _times_reciprocal(self, x: torch.Tensor, reciprocal: torch.Tensor) -> torch.Tensor:
        """x · c for public positive c < 2^(63-f), as (x · round(c · 2^k)) / 2^k, with k chosen for every element so
        that round(c · 2^k) has f + 1 significant bits: the product keeps the relative precision the encoding has."""
        self.encoder._check_range(float(reciprocal.max()))  # x / 1e-30 would leave the representable range
        bits = (self.encoder.precision_bits + 1 - torch.floor(torch.log2(reciprocal))).clamp(0, _MAX_DIVISOR_BITS)
        factor = torch.round(reciprocal * torch.exp2(bits)).to(torch.int64)
        scale = torch.pow(2, bits.to(torch.int64))  # 2^k, exactly
        if factor.dim() == 0:
            return protocols.divide(x * int(factor), int(scale), self.group)
        if bool((scale == scale.reshape(-1)[0]).all()):  # one k for all: the fast shift
            return protocols.divide(x * factor, int(scale.reshape(-1)[0]), self.group)
        return protocols.divide(x * factor, scale, self.group)

    def pow(self, exponent: int) -> SharedTensor:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Integral) or exponent < 1:
            raise ValueError(f"a SharedTensor can be raised to a positive integer power only, got {exponent!r}")
        result = self
        for _ in range(int(exponent) - 1):
            result = result.mul(self)
        return result

    # ----- matrix products: torch.matmul's rules (vectors, batches, broadcasting) on stacked shares -------------------
    def matmul(self, other: Operand) -> SharedTensor:
        if isinstance(other, SharedTensor):
            self._same_group(other, "multiply")
            plan = _MatmulPlan(self.shape, other.shape)
            x, y = plan.left(self._shares, shared=True), plan.right(other._shares, shared=True)
            product = protocols.beaver_matmul(x, y, self.group)
            return self._truncate(plan.finish(product), self._result_dtype(other))
        public = self._public(other, "multiply")
        plan = _MatmulPlan(self.shape, public.shape)
        x = plan.left(self._shares, shared=True)
        if not public.is_floating_point():
            self.encoder.check_integers(public)
            return self._new(plan.finish(ring.ring_matmul(x, plan.right(public.to(torch.int64), shared=False))))
        y = plan.right(self.encoder.encode(public), shared=False)
        return self._truncate(plan.finish(ring.ring_matmul(x, y)), self._result_dtype(other))

    def rmatmul(self, other: Operand) -> SharedTensor:
        """public @ shared: every party multiplies the public matrix by its own share."""
        public = self._public(other, "multiply")
        plan = _MatmulPlan(public.shape, self.shape)
        y = plan.right(self._shares, shared=True)
        if not public.is_floating_point():
            self.encoder.check_integers(public)
            return self._new(plan.finish(ring.ring_matmul(plan.left(public.to(torch.int64), shared=False), y)))
        x = plan.left(self.encoder.encode(public), shared=False)
        return self._truncate(plan.finish(ring.ring_matmul(x, y)), self._result_dtype(other))

    def mm(self, other: Operand) -> SharedTensor:
        other_dim = other.dim() if isinstance(other, (SharedTensor, torch.Tensor)) else None
        if self.dim() != 2 or other_dim not in (2, None):
            raise ValueError(
                f"mm multiplies two matrices (2-d); got shapes {tuple(self.shape)} and {other_dim}-d: "
                "use @ for other shapes"
            )
        return self.matmul(other)

    # ----- shapes: every party reshapes its own share -------------------------------------------------------------
    def t(self) -> SharedTensor:
        if self.dim() > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, got {self.dim()}: use transpose(d0, d1)")
        return self.transpose(0, 1) if self.dim() == 2 else self

    def transpose(self, dim0: int, dim1: int) -> SharedTensor:
        return self._new(self._shares.transpose(self._party_dim(dim0), self._party_dim(dim1)))

    def _party_dim(self, dim: int, rank: int | None = None) -> int:
        """A data dimension as a dimension of the stacked shares (which have the party axis in front)."""
        rank = self.dim() if rank is None else rank
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"a dimension must be an integer, got {type(dim).__name__}")
        if not -max(rank, 1) <= dim < max(rank, 1):
            raise IndexError(
                f"dimension {dim} out of range for a {rank}-d SharedTensor (expected {-max(rank, 1)} to "
                f"{max(rank, 1) - 1})"
            )
        return int(dim) % max(rank, 1) + 1

    def reshape(self, *shape) -> SharedTensor:
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)) else shape
        try:
            new_shape = torch.empty(self.shape, device="meta").reshape(*shape).shape  # validate on the data shape
        except (RuntimeError, TypeError) as error:
            what = f"{tuple(self.shape)} ({self.numel()} elements)"
            raise ValueError(f"cannot reshape {what} to {shape}: {error}") from None
        return self._new(self._shares.reshape(self._shares.shape[0], *new_shape))

    view = reshape

    def flatten(self) -> SharedTensor:
        return self.reshape(-1)

    def unsqueeze(self, dim: int) -> SharedTensor:
        return self._new(self._shares.unsqueeze(self._party_dim(dim, self.dim() + 1)))

    def __getitem__(self, index) -> SharedTensor:
        if isinstance(index, SharedTensor):
            raise TypeError("indexing with a SharedTensor would reveal it; reveal the index with .get() first")
        index = index if isinstance(index, tuple) else (index,)
        return self._new(self._shares[(slice(None), *index)])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def sum(self, dim: int | None = None, keepdim: bool = False) -> SharedTensor:
        if dim is None:
            total = self._shares.reshape(self._shares.shape[0], -1).sum(dim=1)
            return self._new(total.reshape(self._shares.shape[0], *([1] * self.dim())) if keepdim else total)
        party_dim = self._party_dim(dim)
        if self.dim() == 0:  # torch allows dim 0 (or -1) on a 0-d tensor: the sum is the value itself
            return self._new(self._shares.clone())
        return self._new(self._shares.sum(dim=party_dim, keepdim=keepdim))

    def mean(self, dim: int | None = None, keepdim: bool = False) -> SharedTensor:
        """The sum divided by the (public) count, exactly like truncation divides: within one unit of the mean."""
        count = self.numel() if dim is None or self.dim() == 0 else self.shape[self._party_dim(dim) - 1]
        if count == 0:
            raise ValueError("the mean of an empty SharedTensor is undefined (there is nothing to average)")
        return self.sum(dim, keepdim).div(count)

    # ----- comparisons and non-linear functions (chapter 06) ---------------------------------------------------------
    # A comparison returns shares of 0 or 1, encoded like any value (1.0 = 2^f) so that it multiplies with the rest —
    # never a revealed bool. It also keeps the shares of the plain integer bit: `where`, `relu` and `abs` multiply by
    # that exactly (a Beaver product with nothing to truncate). The protocol is in `course_lib.comparison`, exact for
    # every representable value; exp, reciprocal, sqrt, sigmoid and log are in `course_lib.approximations`, each with
    # its domain, parameters and measured error.
    def _bit_tensor(self, bits: torch.Tensor, dtype: torch.dtype | None = None) -> SharedTensor:
        """A comparison's result from additive shares of integer bits 0/1: encoded, with the bits kept."""
        out = self._new(bits * self.encoder.scale, dtype)
        out._bit_shares = bits
        return out

    def _bit_not(self) -> SharedTensor:
        """1 - bit, for a comparison's result (party 0 adds 1): still a bit, still exact in products."""
        one = torch.ones((), dtype=torch.int64)
        return self._bit_tensor(self.group.runtime.add_public(-self._bit_shares, one))

    def _compare(self, other: Operand, reverse: bool) -> SharedTensor:
        """[self < other], or [other < self] with `reverse`, as shared 0/1 (see `lt`)."""
        from course_lib import comparison

        if isinstance(other, SharedTensor):
            self._same_group(other, "compare")
            shape = self._result_shape(other.shape, "compare")
            x, y = broadcast_shares(self._shares, shape), broadcast_shares(other._shares, shape)
            bits = comparison.less_than(y, x, self.group) if reverse else comparison.less_than(x, y, self.group)
            return self._bit_tensor(bits, self._result_dtype(other))
        public = self._public(other, "compare")
        if public.is_floating_point() and not bool(torch.isfinite(public).all()):
            raise ValueError("cannot compare a SharedTensor with NaN or ±inf: clean the public operand first")
        shape = self._result_shape(public.shape, "compare")
        encoded = self.encoder.encode(public).expand(shape)
        x = broadcast_shares(self._shares, shape)
        self.group.require_dealer("comparing shared values")
        if reverse and not bool(encoded.any()):  # 0 < x is -x < 0: one circuit (exact but for the non-encoding -2^63)
            bits = comparison.less_than_zero(-x, self.group)
        else:
            bits = comparison.less_than_public(x, encoded, self.group, reverse)
        return self._bit_tensor(bits, self._result_dtype(other))

    def lt(self, other: Operand) -> SharedTensor:
        """self < other as shares of 1 (true) or 0 (false), encoded like any value; `other` shared or public, either
        shape broadcasting like torch. Exact for every representable value: 7 rounds against 0, else 8."""
        return self._compare(other, reverse=False)

    def gt(self, other: Operand) -> SharedTensor:
        """self > other as shared 0/1 (see `lt`)."""
        return self._compare(other, reverse=True)

    def le(self, other: Operand) -> SharedTensor:
        """self <= other as shared 0/1: 1 - (self > other)."""
        return self.gt(other)._bit_not()

    def ge(self, other: Operand) -> SharedTensor:
        """self >= other as shared 0/1: 1 - (self < other)."""
        return self.lt(other)._bit_not()

    def eq(self, other: Operand) -> SharedTensor:
        """self == other as shared 0/1, exact (x == y itself still refuses: Python needs a bool from it).
        One circuit on self - other: AND of all 64 bits of the masked difference, 7 rounds."""
        from course_lib import comparison

        difference = self - other
        self.group.require_dealer("comparing shared values")
        return self._bit_tensor(comparison.equal_zero(difference._shares, self.group), difference.dtype)

    def ne(self, other: Operand) -> SharedTensor:
        """self != other as shared 0/1: 1 - self.eq(other)."""
        return self.eq(other)._bit_not()

    def _negative(self) -> SharedTensor:
        """[self < 0] as shared 0/1: one comparison circuit (7 rounds), exact."""
        from course_lib import comparison

        return self._bit_tensor(comparison.less_than_zero(self._shares, self.group))

    def _times_bits(self, bits: SharedTensor) -> SharedTensor:
        """self · bits for shared 0/1 `bits`: exact — a Beaver product of the value with the integer bit, nothing to
        truncate — when `bits` is a comparison's result; an ordinary product otherwise."""
        integer = getattr(bits, "_bit_shares", None)
        if integer is None:
            return self.mul(bits)
        self._same_group(bits, "multiply")
        shape = self._result_shape(bits.shape, "multiply")
        x = self._aligned(len(shape))
        b = integer.reshape(integer.shape[0], *([1] * (len(shape) - bits.dim())), *bits.shape)
        return self._new(protocols.beaver_multiply(x, b, self.group), self._result_dtype(bits))

    def where(self, condition, other: Operand) -> SharedTensor:
        """condition ? self : other, elementwise — torch.Tensor.where's (and CrypTen's) order. `condition`: shared
        0/1 (a comparison's result: the selection is exact) or a public bool / 0-1 tensor; `other`: shared or
        public. Computed as other + condition · (self - other): one Beaver product if the condition is shared."""
        difference = self - other
        if isinstance(condition, SharedTensor):
            return difference._times_bits(condition) + other
        if isinstance(condition, bool):
            condition = torch.tensor(condition)
        if isinstance(condition, torch.Tensor) and condition.dtype == torch.bool:
            mask = condition.to(torch.int64)
        else:
            mask = self._public(condition, "select with")
            if not bool(((mask == 0) | (mask == 1)).all()):
                raise ValueError("a public condition for where() must be bool or 0/1")
            mask = mask.to(torch.int64)
        return difference.mul(mask) + other

    def relu(self) -> SharedTensor:
        """max(self, 0) = self - self · [self < 0]: one comparison, one bit product — exact (self or 0, no rounding)."""
        return self - self._times_bits(self._negative())

    def abs(self) -> SharedTensor:
        """|self| = self - 2 · self · [self < 0]: exact, like relu."""
        return self - self._times_bits(self._negative()) * 2

    def sign(self) -> SharedTensor:
        """+1 where self >= 0, -1 where self < 0: 1 - 2 · [self < 0]. sign(0) = +1, as in CrypTen (torch gives 0)."""
        bits = self._negative()._bit_shares
        one = self.encoder.scale
        return self._new(self.group.runtime.add_public(-2 * one * bits, torch.tensor(one)))

    def exp(self, **options) -> SharedTensor:
        """e^self, for self in [-10, 10] (`approximations.exp`: range reduction, a fitted polynomial, squarings)."""
        from course_lib import approximations

        return approximations.exp(self, **options)

    def reciprocal(self, **options) -> SharedTensor:
        """1 / self, for 0.1 <= |self| <= 10 by default (`approximations.reciprocal`: normalise, Newton-Raphson)."""
        from course_lib import approximations

        return approximations.reciprocal(self, **options)

    def inv_sqrt(self, **options) -> SharedTensor:
        """1 / sqrt(self), for 0.01 <= self <= 100 by default (`approximations.inv_sqrt`)."""
        from course_lib import approximations

        return approximations.inv_sqrt(self, **options)

    rsqrt = inv_sqrt  # torch's name

    def sqrt(self, **options) -> SharedTensor:
        """sqrt(self) = self · inv_sqrt(self), for 0.01 <= self <= 100 by default, and 0 at 0."""
        from course_lib import approximations

        return approximations.sqrt(self, **options)

    def sigmoid(self, **options) -> SharedTensor:
        """1 / (1 + e^-self), any self (`approximations.sigmoid`: |x|, a fitted polynomial on [0, 10], the sign)."""
        from course_lib import approximations

        return approximations.sigmoid(self, **options)

    def tanh(self, **options) -> SharedTensor:
        """tanh(self) = 2 · sigmoid(2 · self) - 1, any self (`approximations.tanh`)."""
        from course_lib import approximations

        return approximations.tanh(self, **options)

    def log(self, **options) -> SharedTensor:
        """Natural log, for 0.01 <= self <= 100 by default (`approximations.log`: normalise, fitted polynomial)."""
        from course_lib import approximations

        return approximations.log(self, **options)

    # helpers for course_lib.approximations: several comparisons or products in one protocol run
    def _below(self, thresholds) -> list[SharedTensor]:
        """[self < t] for each public number t, all from ONE comparison run (7 rounds): exact if 0 is among the
        thresholds (8 rounds), else unless self - t wraps around the ring (self within |t| of the range's end)."""
        from course_lib import comparison

        encoded = torch.tensor([self.encoder.encode_number(t) for t in thresholds], dtype=torch.int64)
        bits = comparison.less_than_each(self._shares, encoded, self.group)
        return [self._bit_tensor(bits[:, j]) for j in range(len(thresholds))]

    @staticmethod
    def _weighted_bits(bits: list[SharedTensor], weights, constant: float) -> SharedTensor:
        """constant + sum of weights[j] · bits[j] for comparison results and public real weights: local and exact
        (each party scales its integer bit shares by the encoded weights)."""
        first = bits[0]
        encode = first.encoder.encode_number
        total = sum(b._bit_shares * encode(w) for b, w in zip(bits, weights, strict=True))
        return first._new(first.group.runtime.add_public(total, torch.tensor(encode(constant))))

    @staticmethod
    def _combine_bits(bits: list[SharedTensor], weights) -> SharedTensor:
        """sum of weights[j] · bits[j] for comparison results and public INTEGER weights: still an integer in every
        party's shares, so products with it stay exact (like a bit's)."""
        first = bits[0]
        total = sum(b._bit_shares * int(w) for b, w in zip(bits, weights, strict=True))
        return first._bit_tensor(total)

    @staticmethod
    def _multiply_all(pairs) -> list[SharedTensor]:
        """[a * b for a, b in pairs] for same-shaped shared operands, with ONE Beaver opening and one truncation."""
        first = pairs[0][0]
        if any(not isinstance(b, SharedTensor) or a.shape != first.shape or b.shape != first.shape for a, b in pairs):
            return [a * b for a, b in pairs]
        for a, b in pairs:
            first._same_group(a, "multiply")
            first._same_group(b, "multiply")
        x = torch.stack([a._shares for a, _ in pairs], dim=1)
        y = torch.stack([b._shares for _, b in pairs], dim=1)
        product = protocols.beaver_multiply(x, y, first.group)
        product = protocols.truncate(product, first.encoder.precision_bits, first.group)
        return [first._new(product[:, j], a._result_dtype(b)) for j, (a, b) in enumerate(pairs)]

    @staticmethod
    def _linear(terms: list[SharedTensor], coefficients, constant: float) -> SharedTensor:
        """constant + sum of coefficients[i] · terms[i] for public reals, same-shaped terms, with ONE truncation."""
        first = terms[0]
        encode = first.encoder.encode_number
        total = sum(t._shares * encode(c) for t, c in zip(terms, coefficients, strict=True))
        shares = protocols.truncate(total, first.encoder.precision_bits, first.group)
        return first._new(first.group.runtime.add_public(shares, torch.tensor(encode(constant))))

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
    __lt__ = lt
    __le__ = le
    __gt__ = gt
    __ge__ = ge
    __abs__ = abs


Operand = SharedTensor | torch.Tensor | float | int


class _MatmulPlan:
    """torch.matmul's shape rules, applied to operands with or without a party axis in front.

    1-d operands become a 1-row (left) or 1-column (right) matrix; the batch dimensions broadcast; then both operands
    are viewed with the full batch shape, so the party axis can never pair up with a batch axis. A right operand
    without batch dimensions keeps its shape and the left's batch folds into its rows (what torch does too).
    """

    def __init__(self, left_shape: torch.Size, right_shape: torch.Size):
        left_shape, right_shape = tuple(left_shape), tuple(right_shape)
        if not left_shape or not right_shape:
            raise ValueError("matrix products need tensors with at least one dimension; use * for scalars")
        self.left_vector, self.right_vector = len(left_shape) == 1, len(right_shape) == 1
        left = (1, *left_shape) if self.left_vector else left_shape
        right = (*right_shape, 1) if self.right_vector else right_shape
        if left[-1] != right[-2]:
            raise ValueError(
                f"cannot matrix-multiply shapes {left_shape} @ {right_shape}: "
                f"the left's columns ({left[-1]}) must equal the right's rows ({right[-2]})"
            )
        try:
            self.batch = () if len(left) == len(right) == 2 else tuple(torch.broadcast_shapes(left[:-2], right[:-2]))
        except RuntimeError:
            raise ValueError(
                f"cannot matrix-multiply shapes {left_shape} @ {right_shape}: batch dimensions "
                f"{left[:-2]} and {right[:-2]} do not broadcast"
            ) from None
        self.fold = len(right) == 2 and len(left) > 2  # left batch folds into rows; the right stays a matrix
        self.left_shape, self.right_shape = left, right
        self.rows, self.columns = left[-2], right[-1]

    def left(self, t: torch.Tensor, shared: bool) -> torch.Tensor:
        lead = t.shape[:1] if shared else ()
        if self.fold:
            return t.reshape(*lead, -1, self.left_shape[-1])
        return self._expand(t, lead, self.left_shape)

    def right(self, t: torch.Tensor, shared: bool) -> torch.Tensor:
        lead = t.shape[:1] if shared else ()
        if self.fold:
            return t.reshape(*lead, *self.right_shape)
        return self._expand(t, lead, self.right_shape)

    def _expand(self, t: torch.Tensor, lead: tuple, shape: tuple) -> torch.Tensor:
        # missing batch dimensions are inserted AFTER the party axis: expand() alone would add them in front of it
        ones = (1,) * (len(self.batch) + 2 - len(shape))
        return t.reshape(*lead, *ones, *shape).expand(*lead, *self.batch, *shape[-2:])

    def finish(self, product: torch.Tensor) -> torch.Tensor:
        """The product (with or without a party axis) reshaped to what torch.matmul returns."""
        lead = product.shape[: product.dim() - (len(self.batch) + 2)] if not self.fold else product.shape[:-2]
        out = product.reshape(*lead, *self.batch, self.rows, self.columns)
        if self.left_vector:
            out = out.squeeze(-2)
        if self.right_vector:
            out = out.squeeze(-1)
        return out


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"{value.dtype} {tuple(value.shape)}"
    return type(value).__name__
