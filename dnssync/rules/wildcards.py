"""Wildcard names (``*.apps.example.com``) are published like any other name.

A ``*`` anywhere else in a claimed name (``a*.example.com``, ``a.*.example.com``) is not a
wildcard but a literal octet no host name has: such a claim is dropped with a Warning. The
sources parse names with :meth:`DomainName.parse_hostname`, which refuses them already;
this is the one check every source's claims pass, whatever parsed them.
"""

from __future__ import annotations

from dnssync.model.diagnostics import for_object
from dnssync.model.refs import ObjectRef
from dnssync.rules.per_object import Claims


def drop_literal_stars(claims: Claims) -> None:
    """Remove the claims at names with a ``*`` that is not the wildcard label."""
    kept_addresses = []
    for claim in claims.addresses:
        if claim.name.has_literal_star:
            _report(claims, claim.ref, claim.field or "metadata.annotations", claim.name.fqdn)
            continue
        kept_addresses.append(claim)
    kept_srv = []
    for srv in claims.srv:
        if srv.name.has_literal_star:
            _report(claims, srv.ref, srv.field, srv.name.fqdn)
            continue
        kept_srv.append(srv)
    claims.addresses[:] = kept_addresses
    claims.srv[:] = kept_srv


def _report(claims: Claims, ref: ObjectRef, field: str, fqdn: str) -> None:
    claims.diagnostics.append(
        for_object(
            ref,
            field,
            f"{fqdn} is not published: '*' is only allowed as the whole first label "
            "(a wildcard such as *.apps.example.com)",
            reason="InvalidHostname",
        )
    )
