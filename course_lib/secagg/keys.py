"""Key agreement and private channels through the server: step 2 of secure aggregation (chapter 07).

Every pair of clients needs secrets that the server, which relays all their messages, never learns; they never
meet. Diffie–Hellman key agreement on Curve25519 (X25519) gives exactly that:

1. Each client draws a private key (32 random bytes) and publishes the matching public key through the server.
2. Client u combines its private key with v's public key, v its own with u's: both get the same 32-byte shared
   secret. The server saw only public keys and cannot compute it (the Diffie–Hellman assumption).
3. HKDF-SHA256 turns the shared secret into a key for one purpose, named in `info`, so no secret serves two jobs.

Each client holds two key pairs, as in Bonawitz et al. (CCS 2017): the c-pair ("channel") encrypts the Shamir
shares it sends each peer through the server with AES-256-GCM, so the server forwards ciphertexts it can neither read
nor alter unnoticed; the s-pair ("seed") makes the pairwise masks. Keeping them apart matters: when a client drops
out, the survivors help the server rebuild its *s* private key to strip its masks, and that must not open the channels
that carry everybody's shares.

Randomness: private keys come from `course_lib.rng`, the operating system's CSPRNG by default and a seeded,
insecure generator inside `course_lib.reproducible(seed)` (for notebook output that is the same on every run).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from course_lib import rng

__all__ = [
    "KEY_BYTES",
    "TAG_BYTES",
    "KeyPair",
    "random_bytes",
    "generate_key_pair",
    "agree",
    "encrypt_for_peer",
    "decrypt_from_peer",
    "MASK_PURPOSE",
    "CHANNEL_PURPOSE",
]

KEY_BYTES = 32  # X25519 keys, HKDF outputs and mask seeds are all 32 bytes
TAG_BYTES = 16  # AES-GCM's authentication tag: what lets a receiver notice a forged or altered ciphertext
MASK_PURPOSE = b"course_lib secagg: pairwise mask seed"
CHANNEL_PURPOSE = b"course_lib secagg: share encryption key"


def random_bytes(n: int) -> bytes:
    """`n` random bytes from `course_lib.rng`: os.urandom by default, seeded inside `reproducible()`."""
    words = rng.ring_elements(((n + 7) // 8,))  # 8 uniform bytes per int64
    return words.numpy().tobytes()[:n]


@dataclass(frozen=True)
class KeyPair:
    """An X25519 key pair. `private_bytes` stays with its owner; `public_bytes` (32 bytes) goes to the server."""

    private_key: X25519PrivateKey
    public_bytes: bytes

    @classmethod
    def from_private_bytes(cls, private: bytes) -> KeyPair:
        if not isinstance(private, bytes) or len(private) != KEY_BYTES:
            raise ValueError(f"an X25519 private key is {KEY_BYTES} bytes, got {private!r:.40}")
        key = X25519PrivateKey.from_private_bytes(private)
        return cls(key, key.public_key().public_bytes_raw())

    @property
    def private_bytes(self) -> bytes:
        """The 32 private bytes: what the client secret-shares so that survivors can stand in for it if it drops."""
        return self.private_key.private_bytes_raw()


def generate_key_pair() -> KeyPair:
    """Step 1: a fresh key pair from 32 random bytes of `course_lib.rng`."""
    return KeyPair.from_private_bytes(random_bytes(KEY_BYTES))


def agree(own: KeyPair, peer_public: bytes | X25519PublicKey, purpose: bytes) -> bytes:
    """Steps 2–3: X25519(own private, peer public), then HKDF-SHA256 with `purpose` as info. Symmetric in u and v."""
    if isinstance(peer_public, bytes):
        if len(peer_public) != KEY_BYTES:
            raise ValueError(f"an X25519 public key is {KEY_BYTES} bytes, got {len(peer_public)}")
        peer_public = X25519PublicKey.from_public_bytes(peer_public)
    shared = own.private_key.exchange(peer_public)
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(shared)


def _nonce_and_header(sender: int, receiver: int) -> tuple[bytes, bytes]:
    # u→v and v→u share one channel key, so the nonce names the direction: never reused under one key.
    # The header binds the ciphertext to (sender, receiver): a server that swaps ciphertexts is caught.
    nonce = sender.to_bytes(6, "big") + receiver.to_bytes(6, "big")
    return nonce, b"secagg shares from/to " + nonce


def encrypt_for_peer(channel_key: bytes, sender: int, receiver: int, plaintext: bytes) -> bytes:
    """AES-256-GCM under the pair's channel key; the result (plaintext + 16-byte tag) travels via the server."""
    nonce, header = _nonce_and_header(sender, receiver)
    return AESGCM(channel_key).encrypt(nonce, plaintext, header)


def decrypt_from_peer(channel_key: bytes, sender: int, receiver: int, ciphertext: bytes) -> bytes:
    """Opens what `encrypt_for_peer` sealed; a ciphertext altered, forged or redirected by the server raises."""
    nonce, header = _nonce_and_header(sender, receiver)
    try:
        return AESGCM(channel_key).decrypt(nonce, ciphertext, header)
    except InvalidTag:
        raise ValueError(
            f"the shares from client {sender} to client {receiver} fail authentication: the server (or the network) "
            "altered, forged or redirected them; a client must abort rather than use them"
        ) from None
