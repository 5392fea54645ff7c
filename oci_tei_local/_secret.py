"""A string that never shows itself: for the server's API key and Hub token."""

from __future__ import annotations

__all__ = ["Secret"]

import hmac
from typing import NoReturn


class Secret:
    """Holds a secret string; ``repr``/``str`` mask it and pickling is refused.

    Pickling is refused rather than silently dropping the value, because a server
    rebuilt from a pickle without its API key would serve unauthenticated.

    Args:
        value: The secret text.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a string, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """Return the secret text; call only where it is needed."""
        return self._value

    def matches(self, candidate: str) -> bool:
        """Compare with ``candidate`` in constant time."""
        return hmac.compare_digest(self._value.encode(), candidate.encode())

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and self.matches(other._value)

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    # Immutable, so copies may share it; deepcopy must not fall back to pickling.
    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
