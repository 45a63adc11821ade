"""Drawing questions for a paper's rules when their pools overlap (pure: no database).

Rules are drawn in order, each a random sample of its pool minus what earlier rules took. When pools overlap
(``5 单选题`` and ``5 道难度 3 的单选题`` from one bank) an early rule can take questions a later rule needs, and
the draw would fail for some seeds only: some students could start the exam and others not. The repair is a
bipartite matching (Kuhn's augmenting paths): a rule that came up short takes a question from a rule that can
replace it, so every seed succeeds whenever the bank can fill all rules at once, and the same seed always
gives the same draw.
"""
from __future__ import annotations

import random


def assign(pools: list[list[int]], counts: list[int], rng: random.Random) -> tuple[list[list[int]] | None, int]:
    """Distinct questions for each rule from its pool, ``counts[i]`` for rule ``i``.

    Returns ``(picks, 0)`` on success, else ``(None, how many questions are missing)`` — the shortage is exact
    (the matching is maximum), so it can be shown to the teacher.
    """
    picks: list[list[int]] = []
    taken: set[int] = set()
    short = False
    for pool, count in zip(pools, counts):
        free = [q for q in pool if q not in taken]
        chosen = rng.sample(free, min(count, len(free)))
        short = short or len(chosen) < count
        taken.update(chosen)
        picks.append(chosen)
    if not short:
        return picks, 0
    return _repair(pools, counts, picks, rng)


def _repair(pools, counts, picks, rng):
    owner = {q: rule for rule, chosen in enumerate(picks) for q in chosen}
    order = []
    for pool in pools:
        shuffled = list(pool)
        rng.shuffle(shuffled)
        order.append(shuffled)
    missing = 0
    for rule, count in enumerate(counts):
        for _unit in range(count - len(picks[rule])):
            if not _augment(rule, order, owner):
                missing += 1
    if missing:
        return None, missing
    result: list[list[int]] = [[] for _ in pools]
    for rule, chosen in enumerate(picks):
        # Keep the first draw's order for the questions a rule kept, then the ones it received.
        kept = [q for q in chosen if owner.get(q) == rule]
        result[rule].extend(kept)
    for rule, shuffled in enumerate(order):
        have = set(result[rule])
        result[rule].extend(q for q in shuffled if owner.get(q) == rule and q not in have)
    return result, 0


def _augment(start: int, order: list[list[int]], owner: dict[int, int]) -> bool:
    """One more question for rule ``start`` along an augmenting path; applied to ``owner`` when found.

    Iterative depth-first search (a path can be longer than Python's recursion limit in a big bank).
    """
    seen: set[int] = set()
    stack = [(start, iter(order[start]))]
    via: list[int] = []  # the question each level takes from the next level's rule
    while stack:
        _rule, candidates = stack[-1]
        for question in candidates:
            if question in seen:
                continue
            seen.add(question)
            holder = owner.get(question)
            if holder is None:
                for (rule, _it), taken in zip(stack, via + [question]):
                    owner[taken] = rule
                return True
            via.append(question)
            stack.append((holder, iter(order[holder])))
            break
        else:
            stack.pop()
            if via:
                via.pop()
    return False
