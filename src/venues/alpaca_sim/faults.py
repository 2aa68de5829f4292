"""Fault knobs for the simulator: lost replies, malformed replies and forced error statuses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FaultRule:
    """Match requests by method and path prefix; fire ``times`` times."""

    method: str
    path_prefix: str
    times: int = 1
    status: int = 0
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        """True if the rule has shots left and matches the method and path."""
        return self.times > 0 and method == self.method and path.startswith(self.path_prefix)


@dataclass
class Faults:
    """Pending faults; each rule is consumed as it fires."""

    lose_reply: list[FaultRule] = field(default_factory=list)
    malform_reply: list[FaultRule] = field(default_factory=list)
    fail: list[FaultRule] = field(default_factory=list)

    @staticmethod
    def take(rules: list[FaultRule], method: str, path: str) -> FaultRule | None:
        """Consume one shot of the first rule matching the request (dropped when spent).

        Returns:
            The rule that fired, or None if none matches.
        """
        for rule in rules:
            if rule.matches(method, path):
                rule.times -= 1
                if rule.times <= 0:
                    rules.remove(rule)
                return rule
        return None
