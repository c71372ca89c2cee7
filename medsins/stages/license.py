"""The license filter: which records a release profile may contain.

Profiles:

* ``public`` — only openly redistributable data: open access and a known
  license. The only profile whose releases may be published publicly.
* ``research`` — adds registration-gated corpora and unknown licenses (for a
  private, access-controlled release); never credentialed data.
* ``local`` — keeps everything, for one's own machine; never publishable.

A record repackaged from task files (the upstream release, contributor files)
is held to the access level of its task's native corpus as well as its own
source's: an upstream copy of a MIMIC task is credentialed data.
"""

from __future__ import annotations

from enum import StrEnum

from medsins.records import UNKNOWN_LICENSE, AccessLevel


class Profile(StrEnum):
    """A release profile."""

    PUBLIC = "public"
    RESEARCH = "research"
    LOCAL = "local"

    @property
    def publishable(self) -> bool:
        """Whether a release of this profile may go to a public repository."""
        return self is Profile.PUBLIC


_ORDER = (AccessLevel.OPEN, AccessLevel.REGISTERED, AccessLevel.CREDENTIALED)


def strictest(*levels: AccessLevel) -> AccessLevel:
    """The most restrictive of several access levels."""
    return max(levels, key=_ORDER.index)


def license_block(profile: Profile, access: AccessLevel, license_id: str) -> str | None:
    """Why ``profile`` may not carry a record with this access level and license, or None."""
    if profile is Profile.LOCAL:
        return None
    if access is AccessLevel.CREDENTIALED:
        return f"credentialed access ({license_id}) is never redistributed"
    if profile is Profile.PUBLIC:
        if access is not AccessLevel.OPEN:
            return f"{access.value} access is not allowed in a public release"
        if license_id == UNKNOWN_LICENSE:
            return "unknown license (NOASSERTION) is not allowed in a public release"
    return None
