"""Discovery of providers through the ``dnssync.providers`` entry-point group.

The built-in providers are registered through the same group as third-party ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points

from dnssync.errors import ConfigError
from dnssync.providers.base import OptionValue, Provider

GROUP = "dnssync.providers"


def available() -> dict[str, EntryPoint]:
    """Installed providers by name; a name registered twice is a configuration error."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            raise ConfigError(
                f"provider {ep.name!r} is registered twice: {found[ep.name].value} and {ep.value}"
            )
        found[ep.name] = ep
    return dict(sorted(found.items()))


def distribution_of(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else "unknown"


def load(name: str) -> type[Provider]:
    providers = available()
    if name not in providers:
        known = ", ".join(providers) or "none"
        raise ConfigError(f"unknown provider {name!r} (installed: {known})")
    ep = providers[name]
    try:
        loaded = ep.load()
    except Exception as exc:  # a broken plugin must not take the CLI down with a traceback
        raise ConfigError(f"provider {name!r} ({ep.value}) failed to load: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        raise ConfigError(f"provider {name!r} ({ep.value}) is not a dnssync Provider class")
    return loaded


def create(
    name: str | None,
    values: Mapping[str, OptionValue],
    classes: Mapping[str, type[Provider]] | None = None,
) -> Provider:
    """The provider ``name`` built from the resolved option values (every option's value,
    keyed by its ``dest``; options the provider does not declare are ignored).
    ``classes``: providers already loaded, by name."""
    installed = classes or {}
    if name is None:
        known = ", ".join(installed) or ", ".join(available()) or "none"
        raise ConfigError(f"--provider is required (installed: {known})")
    cls = installed.get(name) or load(name)
    return cls.create({o.dest: values.get(o.dest, o.default) for o in cls.options})
