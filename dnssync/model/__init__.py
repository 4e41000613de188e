"""The record model: plain, typed, immutable values shared by sources, planner and providers."""
