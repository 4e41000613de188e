"""The record rules of docs/rules.md: projected objects in, desired records out."""
