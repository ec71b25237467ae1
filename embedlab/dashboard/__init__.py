"""Everything only the web page needs: the pairs table (`tables`), the model, method and option
choices (`choices`), the verdict and metrics as HTML (`views`), the figures (`figures`), the
exports (`exports`), the ZeroGPU glue (`zerogpu`) and the event handlers that use them (`handlers`).
`app.py` at the repository root lays the page out and wires these in.

Nothing here is imported by the engine, and importing the modules that build the page does not
import torch or transformers: the page is served first and the models load behind it.
"""
