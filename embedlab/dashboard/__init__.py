"""Everything only the web page needs: the pairs table (`tables`), the model, method and option
choices (`choices`), the verdict and metrics as HTML (`views`), the figures (`figures`), the
exports (`exports`), the ZeroGPU glue (`zerogpu`), the page's components (`layout`), its events
(`page_events`, `form_events`, `tune_events`, `ask_section`), the JSON API (`api`) and where each
event is wired (`wiring`). `app.py` at the repository root builds, wires and launches the page.

Nothing here is imported by the engine, and importing the modules that build the page does not
import torch or transformers: the page is served first and the models load behind it.
"""
