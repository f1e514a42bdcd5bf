"""Interactive widgets, one or more per chapter. Each module keeps its logic in a plain, unit-tested class and builds
the ipywidgets view in a function that returns the widget (the notebook displays it).

    share_explorer      (01)  a secret, its shares mod Q, and why one share says nothing
    party_view          (02)  what each party holds of a tensor shared in Z_2^64
    precision_explorer  (03)  fixed point: resolution, range and product headroom per precision
    beaver_stepper      (04)  a Beaver multiplication, one step at a time
    training_monitor    (05)  the live loss curve and the party view while the encrypted model learns
    xor_lab             (05)  experiments: reservoir size, learning rate, precision, parties
"""

from course_lib.widgets.beaver_stepper import BeaverStepperModel, beaver_stepper
from course_lib.widgets.party_view import PartyViewModel, party_view
from course_lib.widgets.precision_explorer import PrecisionExplorerModel, precision_explorer
from course_lib.widgets.share_explorer import ShareExplorerModel, share_explorer
from course_lib.widgets.training_monitor import TrainingMonitorModel, training_monitor
from course_lib.widgets.xor_lab import XorLabModel, xor_lab

__all__ = [
    "BeaverStepperModel",
    "PartyViewModel",
    "PrecisionExplorerModel",
    "ShareExplorerModel",
    "TrainingMonitorModel",
    "XorLabModel",
    "beaver_stepper",
    "party_view",
    "precision_explorer",
    "share_explorer",
    "training_monitor",
    "xor_lab",
]
