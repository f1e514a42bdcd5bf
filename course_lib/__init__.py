"""course_lib — the teaching library of "Learning While Encrypted".

One helper package serves every notebook; each module's docstring names the chapter that introduces it.
Layers, arrows only downward (a module imports only from the layers below it):

    widgets, exercises                       one per chapter: interactive views, checks of the learner's code
    reservoir (05), logistic (06)            the chapters' models and training loops
    approximations (06)                      exp, reciprocal, sqrt, sigmoid, log: polynomials and Newton on shares
    tensor (SharedTensor, share)             operators built from the protocols
    protocols, comparison (06)               Beaver multiplication, division/truncation, secure comparison (SPMD)
    dealer (TrustedDealer)                   correlated randomness: triples, division pairs
    parties (VirtualWorker, PartyGroup)      who holds the shares, who deals
    runtime, cost                            how shares travel (one `send` primitive), what it costs, what is opened
    encoding (FixedPointEncoder)             reals as scaled integers
    ring (+ rng)                             Z_2^64 on int64, fast exact matmul; CSPRNG or reproducible randomness

    distributed (09)                         the same protocols with one OS process per party (torch.distributed)

    beside them: sharing (01, the article's integers mod Q), stats (01), datasets (01, 06), timing (02-05),
    federated (07, hospitals and federated averaging), secagg (07, secure aggregation),
    paillier (08, additively homomorphic encryption)
"""

from course_lib.cost import Cost, measure_cost
from course_lib.dealer import TrustedDealer, dealer_for
from course_lib.encoding import FixedPointEncoder
from course_lib.parties import PartyGroup, VirtualWorker
from course_lib.rng import InsecureRandomnessWarning, is_secure, reproducible, secure
from course_lib.runtime import record_openings
from course_lib.tensor import SharedTensor, share

__all__ = [
    "Cost",
    "FixedPointEncoder",
    "InsecureRandomnessWarning",
    "PartyGroup",
    "SharedTensor",
    "TrustedDealer",
    "VirtualWorker",
    "dealer_for",
    "is_secure",
    "measure_cost",
    "record_openings",
    "reproducible",
    "secure",
    "share",
]
