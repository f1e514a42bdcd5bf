"""Interactive widgets, one or more per chapter. Each module has three rooms: the logic, in a plain class (the model,
unit-tested without a browser); functions that render the model (HTML with `render`'s helpers and CSS classes, PNG
figures); and a builder that wires the parts with a `view.View` and returns the widget (the notebook displays it).
State shows through widget values (HTML, Image), never through printing.

    share_explorer      (01)  a secret, its shares mod Q, and why one share says nothing
    party_view          (02)  what each party holds of a tensor shared in Z_2^64
    precision_explorer  (03)  fixed point: resolution, range and product headroom per precision
    beaver_stepper      (04)  a Beaver multiplication, one step at a time
    training_monitor    (05)  the live loss curve and the party view while the encrypted model learns
    xor_lab             (05)  experiments: reservoir size, learning rate, precision, parties
    approximation_explorer (06)  a function, a method, its degree or iterations: the error curve and the cost
    party_log           (09)  a distributed run replayed step by step: who sent what to whom, rounds ticking
    secagg_round        (07)  the server's view of a secure aggregation round: masked noise, the sum, dropouts
    paillier_explorer   (08)  encrypt a and b, multiply the ciphertexts, decrypt a + b; reusing r leaks a − b
    packing_explorer    (08)  slots, headroom bits and ciphertexts per client for packed Paillier plaintexts
"""

from course_lib.widgets.approximation_explorer import ApproximationExplorerModel, approximation_explorer
from course_lib.widgets.beaver_stepper import BeaverStepperModel, beaver_stepper
from course_lib.widgets.paillier_explorer import (
    PackingExplorerModel,
    PaillierExplorerModel,
    packing_explorer,
    paillier_explorer,
)
from course_lib.widgets.party_log import PartyLogModel, party_log
from course_lib.widgets.party_view import PartyViewModel, party_view
from course_lib.widgets.precision_explorer import PrecisionExplorerModel, precision_explorer
from course_lib.widgets.secagg_round import SecAggRoundModel, secagg_round
from course_lib.widgets.share_explorer import ShareExplorerModel, share_explorer
from course_lib.widgets.training_monitor import TrainingMonitorModel, training_monitor
from course_lib.widgets.xor_lab import XorLabModel, xor_lab

__all__ = [
    "ApproximationExplorerModel",
    "BeaverStepperModel",
    "PartyLogModel",
    "PackingExplorerModel",
    "PaillierExplorerModel",
    "PartyViewModel",
    "PrecisionExplorerModel",
    "SecAggRoundModel",
    "ShareExplorerModel",
    "TrainingMonitorModel",
    "XorLabModel",
    "approximation_explorer",
    "beaver_stepper",
    "party_log",
    "packing_explorer",
    "paillier_explorer",
    "party_view",
    "precision_explorer",
    "secagg_round",
    "share_explorer",
    "training_monitor",
    "xor_lab",
]
