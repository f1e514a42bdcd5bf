"""The Paillier explorer and the packing explorer (chapter 08).

`paillier_explorer`: type two numbers a and b, encrypt each under a Paillier key (a small 64-bit one whose numbers fit
on screen, or a 2048-bit one), multiply the ciphertexts mod n², and watch the ciphertexts change completely with every
fresh r while the decryption of their product stays a + b. Tick "reuse r" to make the classic mistake: then equal
plaintexts give equal ciphertexts, and c_a · c_b⁻¹ mod n² = 1 + (a − b)·n hands a − b to anyone, no key needed.

`packing_explorer`: choose the key size, the bits of one value and the number of clients, and see the layout of one
packed plaintext: the headroom bits each slot needs for the sum, how many slots fit, and what 256 values per client
then cost in ciphertexts and bytes.

The explorer's keys and its randomness r come from its own seeded `random.Random` (so the committed notebook shows the
same numbers on every run, and the widget never draws from the notebook's stream); the keys say so: NOT secure.
"""

from __future__ import annotations

import math
import numbers
import random

import ipywidgets as widgets

from course_lib import paillier
from course_lib.widgets.render import Markup, figure_png, html, new_figure, party_color, table
from course_lib.widgets.view import View, slider

__all__ = [
    "KEY_SIZES",
    "PackingExplorerModel",
    "PaillierExplorerModel",
    "packing_explorer",
    "paillier_explorer",
    "short_int",
]

KEY_SIZES = (64, 2048)  # bits of n: 64 to read the numbers (insecure), 2048 for the real size
KEY_LABELS = {64: "64-bit n (readable)", 2048: "2048-bit n (real size)"}
FULL_DIGITS = 40  # numbers up to this many digits are shown whole


def short_int(value: int, keep: int = 8) -> str:
    """A big number for the screen: whole up to 40 digits, else its first and last `keep` digits and its length."""
    text = str(value)
    if len(text) <= FULL_DIGITS:
        return text
    return f"{text[:keep]}…{text[-keep:]} ({len(text)} digits)"


def _require_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    return int(value)


class PaillierExplorerModel:
    """Two plaintexts a and b, their encryptions under one key, the product of the ciphertexts and its decryption."""

    def __init__(self, a: int = 20, b: int = 22, bits: int = 64, reuse_r: bool = False, seed: int = 0):
        self.seed = seed
        self._keys: dict[int, tuple[paillier.PublicKey, paillier.PrivateKey]] = {}
        self._rng = random.Random(seed)  # the r of every encryption: seeded, for a reproducible notebook
        self.bits = 64
        self.a, self.b = 0, 0
        self.reuse_r = False
        self.set_bits(bits)
        self.set_a(a)
        self.set_b(b)
        self.set_reuse_r(reuse_r)

    # ----- keys and randomness -------------------------------------------------------------------------------------
    def keys(self, bits: int) -> tuple[paillier.PublicKey, paillier.PrivateKey]:
        """The key pair of this size, made once from a seeded generator (labelled NOT secure)."""
        if bits not in self._keys:
            generator = random.Random(self.seed * 100_003 + bits)
            self._keys[bits] = paillier.keypair(bits, insecure_small=bits < paillier.MIN_SECURE_BITS, rng=generator)
        return self._keys[bits]

    @property
    def public(self) -> paillier.PublicKey:
        return self.keys(self.bits)[0]

    @property
    def private(self) -> paillier.PrivateKey:
        return self.keys(self.bits)[1]

    def _draw_r(self, n: int) -> int:
        while True:
            r = 1 + self._rng.randrange(n - 1)
            if math.gcd(r, n) == 1:
                return r

    def fresh_r(self) -> None:
        """New randomness for both encryptions (for b too, unless r is reused)."""
        n = self.public.n
        self.r_a, self._r_b = self._draw_r(n), self._draw_r(n)

    @property
    def r_b(self) -> int:
        return self.r_a if self.reuse_r else self._r_b

    # ----- settings: each one checked before anything changes ----------------------------------------------------
    def _check_fits(self, value: int, n: int, name: str) -> None:
        if abs(value) > n // 3:
            raise OverflowError(
                f"{name} = {value} does not fit this key's signed range |x| <= n/3: use smaller numbers or the "
                "larger key"
            )

    def set_bits(self, bits: int) -> None:
        if bits not in KEY_SIZES:
            raise ValueError(f"the key size must be one of {KEY_SIZES} bits, got {bits!r}")
        public = self.keys(bits)[0]
        for name, value in (("a", self.a), ("b", self.b)):
            self._check_fits(value, public.n, name)
        self.bits = bits
        self.fresh_r()  # an r belongs to one n

    def set_a(self, a: int) -> None:
        a = _require_int(a, "a")
        self._check_fits(a, self.public.n, "a")
        self.a = a

    def set_b(self, b: int) -> None:
        b = _require_int(b, "b")
        self._check_fits(b, self.public.n, "b")
        self.b = b

    def set_reuse_r(self, reuse: bool) -> None:
        if not isinstance(reuse, bool):
            raise TypeError(f"reuse_r must be True or False, got {reuse!r}")
        self.reuse_r = reuse

    # ----- what the explorer shows ---------------------------------------------------------------------------------
    def encrypt(self, value: int, r: int) -> paillier.Ciphertext:
        return self.public.encrypt(paillier.encode_signed(value, self.public.n), r=r)

    @property
    def c_a(self) -> paillier.Ciphertext:
        return self.encrypt(self.a, self.r_a)

    @property
    def c_b(self) -> paillier.Ciphertext:
        return self.encrypt(self.b, self.r_b)

    @property
    def c_sum(self) -> paillier.Ciphertext:
        """c_a · c_b mod n²: an encryption of a + b, with randomness r_a · r_b."""
        return self.c_a + self.c_b

    @property
    def decrypted_sum(self) -> int:
        """What the key holder reads from c_sum (signed)."""
        return paillier.decode_signed(self.private.decrypt(self.c_sum), self.public.n)

    @property
    def quotient(self) -> int:
        """c_a · c_b⁻¹ mod n², computed from the ciphertexts and n alone (anyone can)."""
        nsquare = self.public.nsquare
        return self.c_a.value * pow(self.c_b.value, -1, nsquare) % nsquare

    @property
    def leaked_difference(self) -> int | None:
        """a − b, read off the quotient without the key when it has the form 1 + k·n (r reused), else None."""
        n, quotient = self.public.n, self.quotient
        if quotient % n != 1:
            return None
        k = (quotient - 1) // n  # (a − b) mod n
        return k - n if k > n // 2 else k

    @property
    def equal_ciphertexts(self) -> bool:
        return self.c_a.value == self.c_b.value


# ----- the Paillier explorer's view ----------------------------------------------------------------------------------
def key_html(model: PaillierExplorerModel) -> Markup:
    public = model.public
    return html(
        "<div class='cl-small'>n = <code>{n}</code> ({bits} bits); a ciphertext lives mod n², {size} bytes on the "
        "wire. <span class='cl-warn'>{label}</span></div>",
        n=short_int(public.n),
        bits=public.bits,
        size=public.ciphertext_bytes,
        label="⚠ NOT secure: " + ", ".join(public.insecure_because) + "; for teaching only",
    )


def ciphertexts_html(model: PaillierExplorerModel) -> Markup:
    """The two encryptions, their product and its decryption."""
    rows = [
        [
            html("<b>a</b>"),
            str(model.a),
            short_int(model.r_a),
            html("<code class='cl-c-a'>{}</code>", short_int(model.c_a.value)),
        ],
        [
            html("<b>b</b>"),
            str(model.b),
            short_int(model.r_b),
            html("<code class='cl-c-b'>{}</code>", short_int(model.c_b.value)),
        ],
        [
            html("<b>c_a · c_b</b>"),
            "",
            "",
            html("<code class='cl-c-sum'>{}</code>", short_int(model.c_sum.value)),
        ],
    ]
    right = model.decrypted_sum == model.a + model.b
    verdict = html(
        "<div>The key holder decrypts c_a · c_b mod n² to <b class='cl-decrypted'>{}</b> "
        "<span class='{}'>{}</span> (a + b = {}). The server that multiplied the ciphertexts never saw a, b or the "
        "key.</div>",
        model.decrypted_sum,
        "cl-good" if right else "cl-bad",
        "✓" if right else "✗",
        model.a + model.b,
    )
    return (
        table(rows, ["", "plaintext", "randomness r", "ciphertext c = (1 + m·n) · r^n mod n²"], css="cl-numbers")
        + verdict
    )


def reuse_html(model: PaillierExplorerModel) -> Markup:
    """What anyone can compute from the two ciphertexts alone: c_a · c_b⁻¹ mod n²."""
    leaked = model.leaked_difference
    quotient = html("<code class='cl-quotient'>{}</code>", short_int(model.quotient))
    if model.reuse_r:
        same = (
            html(" <b class='cl-bad'>a = b, so the two ciphertexts are equal</b>: anyone sees it.")
            if model.equal_ciphertexts
            else Markup()
        )
        return html(
            "<div class='cl-reuse cl-bad'>r reused. Anyone can compute c_a · c_b⁻¹ mod n² = {} = 1 + (a − b)·n, "
            "and read <b>a − b = <span class='cl-leak'>{}</span></b> without the key.{}</div>",
            quotient,
            leaked,
            same,
        )
    return html(
        "<div class='cl-reuse cl-gray'>Fresh r for each encryption: c_a · c_b⁻¹ mod n² = {} has no 1 + k·n form, "
        "and equal plaintexts give different ciphertexts. Tick <i>reuse r</i> to see the mistake.</div>",
        quotient,
    )


def paillier_explorer(a: int = 20, b: int = 22, bits: int = 64, seed: int = 0) -> widgets.VBox:
    """Build the Paillier explorer: a and b, a key size, fresh or reused r; ciphertexts, their product, decryption."""
    model = PaillierExplorerModel(a, b, bits, seed=seed)
    view = View(model)
    narrow = {"description_width": "20px"}
    a_box = view.add("a", widgets.IntText(value=a, description="a", style=narrow, layout={"width": "190px"}), "cl-a")
    b_box = view.add("b", widgets.IntText(value=b, description="b", style=narrow, layout={"width": "190px"}), "cl-b")
    key = view.add(
        "key",
        widgets.ToggleButtons(
            options=[(KEY_LABELS[k], k) for k in KEY_SIZES], value=bits, style={"button_width": "180px"}
        ),
        "cl-key-size",
    )
    reuse = view.add(
        "reuse",
        widgets.Checkbox(value=False, description="reuse r (a mistake)", indent=False, layout={"width": "180px"}),
        "cl-reuse-r",
    )
    fresh = view.add("fresh", widgets.Button(description="fresh r", layout={"width": "90px"}), "cl-fresh-r")
    view.bind(a_box, model.set_a)
    view.bind(b_box, model.set_b)
    view.bind(key, model.set_bits, busy="making the key…")
    view.bind(reuse, model.set_reuse_r)
    view.bind(fresh, model.fresh_r)
    return view.root(
        "cl-paillier-explorer",
        "<b>Paillier explorer</b> — encrypt a and b, multiply the ciphertexts, decrypt the product: a + b",
        [
            [a_box, b_box, reuse, fresh],
            [key],
            view.html("key_info", key_html, "cl-key-info"),
            view.html("ciphertexts", ciphertexts_html, "cl-ciphertexts"),
            view.html("reuse_info", reuse_html, "cl-reuse-info"),
        ],
    )


# ----- the packing explorer ------------------------------------------------------------------------------------------
PACKING_KEY_SIZES = (1024, 2048, 3072, 4096)


class PackingExplorerModel:
    """A packing layout (`paillier.packing_layout`) and what it costs for `values_per_client` values per client."""

    def __init__(self, key_bits: int = 2048, value_bits: int = 16, clients: int = 3, values_per_client: int = 256):
        self.values_per_client = _require_int(values_per_client, "values_per_client")
        self.layout = paillier.packing_layout(key_bits, value_bits, clients)

    def set(self, key_bits: int | None = None, value_bits: int | None = None, clients: int | None = None) -> None:
        """Change any of the three; the new layout is computed (and checked) before anything changes."""
        old = self.layout
        self.layout = paillier.packing_layout(
            old.key_bits if key_bits is None else key_bits,
            old.value_bits if value_bits is None else value_bits,
            old.max_summands if clients is None else clients,
        )

    @property
    def ciphertexts_per_client(self) -> int:
        return -(-self.values_per_client // self.layout.slots)

    @property
    def ciphertext_bytes(self) -> int:
        """n² has 2·key_bits bits (or one less): 2·key_bits/8 bytes on the wire."""
        return 2 * self.layout.key_bits // 8

    @property
    def bytes_per_client(self) -> int:
        return self.ciphertexts_per_client * self.ciphertext_bytes

    @property
    def unpacked_bytes_per_client(self) -> int:
        return self.values_per_client * self.ciphertext_bytes

    @property
    def worst_slot(self) -> int:
        """The largest number a slot holds after the sum: every client stores 2^value_bits − 1 (its largest value)."""
        return self.layout.max_summands * (2**self.layout.value_bits - 1)


def packing_html(model: PackingExplorerModel) -> Markup:
    layout = model.layout
    rows = [
        [
            "headroom",
            html("<code class='cl-headroom'>{}</code> bits", layout.headroom_bits),
            f"ceil(log2({layout.max_summands})): room for the carries of a sum of {layout.max_summands}",
        ],
        [
            "slot",
            html("<code class='cl-slot-bits'>{}</code> bits", layout.slot_bits),
            f"{layout.value_bits} value bits + {layout.headroom_bits} headroom",
        ],
        [
            "slots per ciphertext",
            html("<code class='cl-slots'>{}</code>", layout.slots),
            f"{layout.slots} × {layout.slot_bits} = {layout.used_bits} of the {layout.key_bits} bits "
            f"({layout.spare_bits} spare)",
        ],
        [
            "per client",
            html("<code class='cl-per-client'>{}</code> ciphertexts", model.ciphertexts_per_client),
            f"{model.bytes_per_client:,} bytes for {model.values_per_client} values "
            f"(unpacked: {model.values_per_client} ciphertexts, {model.unpacked_bytes_per_client:,} bytes)",
        ],
    ]
    worst = html(
        "<div class='cl-small'>Worst case for one slot: {} clients × (2^{} − 1) = {:,} &lt; 2^{} = {:,} ✓ — "
        "the sum never carries into the next slot.</div>",
        layout.max_summands,
        layout.value_bits,
        model.worst_slot,
        layout.slot_bits,
        2**layout.slot_bits,
    )
    return table(rows, css="cl-small") + worst


def layout_png(model: PackingExplorerModel) -> bytes:
    """The whole plaintext as a bar (slot 0 on the right, in the lowest bits), and a zoom on the lowest three slots."""
    layout = model.layout
    figure = new_figure(7.0, 2.3)
    whole, zoom = figure.subplots(2, 1, height_ratios=[1, 1.3])
    value_color, headroom_color, spare_color = party_color(0), "#bbbbbb", "#eeeeee"
    # the whole plaintext: bit 0 on the right, as numbers are written
    for k in range(layout.slots):
        low = k * layout.slot_bits
        whole.barh(0, layout.value_bits, left=low, color=value_color if k % 2 else "#6baed6", height=0.8)
        whole.barh(0, layout.headroom_bits, left=low + layout.value_bits, color=headroom_color, height=0.8)
    whole.barh(
        0, layout.spare_bits, left=layout.used_bits, color=spare_color, height=0.8, hatch="//", edgecolor="#999999"
    )
    whole.set_xlim(layout.key_bits, 0)
    whole.set_yticks([])
    whole.set_title(
        f"one plaintext of {layout.key_bits} bits: {layout.slots} slots of {layout.slot_bits} bits "
        f"({layout.spare_bits} spare bits on top)",
        fontsize=9,
    )
    whole.tick_params(labelsize=7)
    # the lowest three slots, bit by bit
    shown = min(3, layout.slots)
    for k in range(shown):
        low = k * layout.slot_bits
        zoom.barh(0, layout.value_bits, left=low, color=value_color, height=0.8, edgecolor="white")
        zoom.barh(
            0, layout.headroom_bits, left=low + layout.value_bits, color=headroom_color, height=0.8, edgecolor="white"
        )
        zoom.text(
            low + layout.value_bits / 2,
            0,
            f"slot {k}: value {layout.value_bits}",
            ha="center",
            va="center",
            fontsize=7,
            color="white",
        )
        if layout.headroom_bits:
            zoom.text(
                low + layout.value_bits + layout.headroom_bits / 2,
                0.55,
                f"+{layout.headroom_bits}",
                ha="center",
                va="bottom",
                fontsize=7,
            )
    zoom.set_xlim(shown * layout.slot_bits, 0)
    zoom.set_ylim(-0.5, 1.0)
    zoom.set_yticks([])
    zoom.set_xlabel("bit position (slot 0 in the lowest bits; grey: headroom)", fontsize=8)
    zoom.tick_params(labelsize=7)
    return figure_png(figure)


def packing_explorer(key_bits: int = 2048, value_bits: int = 16, clients: int = 3) -> widgets.VBox:
    """Build the packing explorer: key size, value bits and clients → headroom, slots, ciphertexts, a drawn layout."""
    model = PackingExplorerModel(key_bits, value_bits, clients)
    view = View(model)
    wide = {"description_width": "initial"}
    key = view.add(
        "key",
        widgets.Dropdown(
            options=PACKING_KEY_SIZES, value=key_bits, description="key bits", style=wide, layout={"width": "170px"}
        ),
        "cl-key-bits",
    )
    value = view.add("value_bits", slider(value_bits, 2, 64, "value bits", "260px", style=wide), "cl-value-bits")
    count = view.add("clients", slider(clients, 1, 1024, "clients", "300px", style=wide), "cl-clients")
    view.bind(key, lambda bits: model.set(key_bits=bits))
    view.bind(value, lambda bits: model.set(value_bits=bits))
    view.bind(count, lambda n: model.set(clients=n))
    return view.root(
        "cl-packing-explorer",
        "<b>Packing explorer</b> — many small values in one Paillier plaintext, with headroom for the sum",
        [
            [key, value, count],
            view.html("summary", packing_html, "cl-packing-summary"),
            view.image("layout", layout_png, width="700px"),
        ],
    )
