"""Enter applies a date typed into a date box.

Streamlit's date box (a react-aria date field, Streamlit 1.67) takes a typed date only when the
focus leaves the whole field: Enter did nothing, and Tab from the year only moved to the box's own
calendar button, so a typed "31/12/2027" stayed on screen unapplied. This script makes Enter in a
date box, and Tab from its last part (the year), step just outside the field: that applies the
date (Streamlit's own code then checks it and sends it, as on a click elsewhere). Enter in the
open calendar (picking a day) is left alone.

The script is a constant: no user text goes into it.
"""

from __future__ import annotations

import streamlit as st

SCRIPT = """
<script>
(() => {
  const w = window;
  if (w.__citytoolsEnterAppliesDates) return;
  w.__citytoolsEnterAppliesDates = true;
  const apply = (field) => {
    // Leaving the field for an element applies the typed date (a bare blur() does not: the
    // field then keeps the date without sending it). The box's own holder, just outside the
    // field, takes the focus.
    const holder = field.closest('[data-testid="stDateInput"]');
    if (!holder) return false;
    holder.tabIndex = -1;
    holder.focus({preventScroll: true});
    return true;
  };
  document.addEventListener("keydown", (event) => {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (!(target instanceof Element) || target.closest("button")) return;
    const field = target.closest('[data-testid="stDateInputField"]');
    if (!field) return;
    if (event.key === "Enter") {
      event.preventDefault();
      apply(field);  // the keyboard user is then just outside the box
    } else if (event.key === "Tab" && !event.shiftKey) {
      const segments = field.querySelectorAll('[role="spinbutton"]');
      if (target !== segments[segments.length - 1]) return;  // Tab between day, month, year
      const button = field.querySelector('[data-testid="stDateInputCalendarButton"]');
      if (!button) return;
      event.preventDefault();
      if (apply(field)) button.focus({preventScroll: true});  // where Tab would have gone
    }
  }, true);
})();
</script>
"""


def enter_applies_dates() -> None:
    """Put the script on the page (it draws nothing, and installs its listener once)."""
    st.html(SCRIPT, unsafe_allow_javascript=True)
