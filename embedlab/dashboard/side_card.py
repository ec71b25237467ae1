"""The CSS that lays out the side rows so that every model's name can be read whole, at 1440 px and on a
phone: an extra side's card puts its fields on a grid (the side's name, the model on a wide cell and the ✕ on
the first line; method, chat, layer and post on the next; on a phone
the model with the ✕, then the name and method, chat and post, layer), the ✕ inside the card; on a phone
each classic row gives its model the whole line, above its method. `page_assets.CSS` includes it
(and fills in its phone widths).
"""

from __future__ import annotations

# The fields of card `side-N` are its `.form`'s children, found by their elem_ids' endings (layout._side_row).
CSS = """
.extra-side {display: grid !important; gap: 8px; align-items: end;
  grid-template-columns: minmax(0, 1.45fr) minmax(0, 1.2fr) minmax(0, 0.55fr) minmax(0, 0.95fr) auto;
  grid-template-areas: "name model model model remove" "method chat layer post post";}
.extra-side > .form {display: contents !important;}
.extra-side > .form > * {min-width: 0 !important; width: auto !important;}
/* tighter padding inside a card (a dropdown's arrow lies over the end of its text box) */
.extra-side > .form > .block {padding: 6px !important;}
.extra-side .wrap-inner {padding-left: 8px !important; padding-right: 8px !important;}
.extra-side [id$=-name] {grid-area: name;} .extra-side [id$=-model] {grid-area: model;}
.extra-side [id$=-method] {grid-area: method;} .extra-side [id$=-chat] {grid-area: chat;}
.extra-side [id$=-layer] {grid-area: layer;} .extra-side [id$=-post] {grid-area: post;}
.extra-side > [id$=-remove] {grid-area: remove; align-self: start;}
@media PHONE_WIDTHS {  /* page_assets.PHONE */
  .extra-side {grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) auto;
    grid-template-areas: "model model remove" "name method method" "chat post post" "layer . .";}
  #base-model, #embed-model {flex: 1 1 100% !important; min-width: 100% !important;}
  #base-model + *, #embed-model + * {flex: 1 1 100% !important;}
  .form:has(> #base-model), .form:has(> #embed-model) {flex-wrap: wrap !important;}
}
"""
