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
