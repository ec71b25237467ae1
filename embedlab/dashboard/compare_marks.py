"""What the page marks in the browser around a Compare: the "Press Compare" placeholder hidden while one
runs (the class `embedlab-comparing` on the page's <html>, which Gradio never redraws), so its progress or
waiting line reads alone over the verdict; and the results out of date
(the class `stale` on #results, which page_assets' CSS dims under an "Out of date" line) when an input
changes or a Compare fails, until a Compare succeeds that read every input as it is.

An input changed while a Compare runs was not read by it: that Compare's success keeps the results
marked. The page remembers it in `window.embedlabEdited`, cleared when a Compare starts; a click on
Compare while one runs starts nothing (Gradio's trigger mode "once"), so it clears nothing either
(`window.embedlabComparing`). `wiring.wire_staleness` attaches these to the events. JavaScript only.
"""

from __future__ import annotations

# a Compare starts: it reads the inputs as they are now; the placeholder gives way to its progress line
COMPARE_STARTS = """() => {
  if (window.embedlabComparing) return;
  window.embedlabComparing = true;
  window.embedlabEdited = false;
  document.documentElement.classList.add('embedlab-comparing');
}"""
# an input changed: the results on the page no longer match it
RESULTS_STALE = """() => {
  window.embedlabEdited = true;
  document.querySelector('#results')?.classList.add('stale');
}"""
# a Compare succeeded: its results are current, unless an input changed while it ran
RESULTS_CURRENT = """() => {
  window.embedlabComparing = false;
  document.documentElement.classList.remove('embedlab-comparing');
  document.querySelector('#results')?.classList.toggle('stale', !!window.embedlabEdited);
}"""
# a Compare failed: the results on the page (if any) are not those of the inputs
COMPARE_FAILED = """() => {
  window.embedlabComparing = false;
  window.embedlabEdited = true;
  document.documentElement.classList.remove('embedlab-comparing');
  document.querySelector('#results')?.classList.add('stale');
}"""
