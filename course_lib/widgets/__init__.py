"""Interactive widgets, one per chapter. Each module keeps its logic in a plain, unit-tested class and builds the
ipywidgets view in a function that returns the widget (the notebook displays it)."""

from course_lib.widgets.share_explorer import ShareExplorerModel, share_explorer

__all__ = ["ShareExplorerModel", "share_explorer"]
