"""Plan renderers: JSON (the documented contract), text (coloured on a terminal), markdown."""
