"""course_lib — the teaching library of "Learning While Encrypted".

One helper package serves every notebook; each module's docstring names the chapter that introduces it.
Layers, arrows only downward:

    widgets → protocols (Beaver, truncation) → tensor (SharedTensor) → encoding (FixedPointEncoder) → ring (+ rng)
                                                   parties / dealer beside tensor

    sharing (01)  the article's integers mod Q        ring (02)      Z_2^64 on int64, fast exact matmul
    rng (00)      CSPRNG by default, reproducible()   parties (02)   VirtualWorker, cost counting
    exercises (00) checks for the learner's code      encoding (03)  FixedPointEncoder
    stats (01)    is a share noise? measured          protocols (03, 04)  truncation, Beaver multiplication
    datasets (01) checksummed files from data/        dealer (04)    TrustedDealer
    tensor (02–04) SharedTensor and share()           widgets        one per chapter
"""

from course_lib.dealer import TrustedDealer
from course_lib.encoding import FixedPointEncoder
from course_lib.parties import Cost, PartyGroup, VirtualWorker, measure_cost
from course_lib.rng import is_secure, reproducible, secure
from course_lib.tensor import SharedTensor, share

__all__ = [
    "Cost",
    "FixedPointEncoder",
    "PartyGroup",
    "SharedTensor",
    "TrustedDealer",
    "VirtualWorker",
    "is_secure",
    "measure_cost",
    "reproducible",
    "secure",
    "share",
]
