"""The record rules of design section 3: projected objects in, desired records out."""
