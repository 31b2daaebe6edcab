"""Pure MQTT v5 topic names and filters: validity, `+`/`#` matching, `$share/<group>/<filter>`."""

from __future__ import annotations

SHARE_PREFIX = "$share/"


def valid_topic_name(topic: str) -> bool:
    """A topic name to publish to: non-empty, no wildcards, no U+0000 (section 4.7.3)."""
    return bool(topic) and not any(c in topic for c in "+#\x00")


def split_shared(topic_filter: str) -> tuple[str | None, str]:
    """`$share/g/a/b` -> ("g", "a/b"); any other filter -> (None, filter). ValueError if bad."""
    if not topic_filter.startswith(SHARE_PREFIX):
        return None, topic_filter
    group, sep, inner = topic_filter[len(SHARE_PREFIX) :].partition("/")
    if not group or not sep or not inner or any(c in group for c in "+#"):
        raise ValueError(f"invalid shared subscription {topic_filter!r}")
    return group, inner


def valid_filter(topic_filter: str) -> bool:
    """A topic filter: `#` only as the whole last level, `+` only as a whole level (4.7.1)."""
    try:
        _, inner = split_shared(topic_filter)
    except ValueError:
        return False
    if not inner or "\x00" in inner:
        return False
    levels = inner.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return False
        if "+" in level and level != "+":
            return False
    return True


def matches(topic_filter: str, topic: str) -> bool:
    """True when the (non-shared) filter matches the topic name.

    `#` matches the parent level too (`a/#` matches `a`); `+` matches exactly one level, which
    may be empty (`a/+` matches `a/` but not `a`); filters starting with a wildcard do not
    match topics starting with `$` (4.7.2).
    """
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    f_levels = topic_filter.split("/")
    t_levels = topic.split("/")
    for i, f in enumerate(f_levels):
        if f == "#":
            return True
        if i >= len(t_levels):
            return False
        if f != "+" and f != t_levels[i]:
            return False
    return len(f_levels) == len(t_levels)
