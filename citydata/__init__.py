"""City Tools Explorer's data layer: everything except the user interface.

This package never imports streamlit; the tests prove it.
"""

__version__ = "0.1.0"
