"""KRAKEN_INTEGRATION.md keeps the user's guide's code verbatim, and every block has a test."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.guide_blocks import GUIDE, ORIGINAL, blocks

HERE = Path(__file__).parent


def _original_python_blocks() -> list[str]:
    """The user's guide marks each code block with a line reading just ``python``."""
    return re.findall(r"^python$", ORIGINAL.read_text(encoding="utf-8"), re.M)


def test_every_python_fence_is_marked() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert text.count("```python\n") == len(blocks()) > 0


def test_guide_blocks_are_verbatim_and_complete() -> None:
    original = ORIGINAL.read_text(encoding="utf-8")
    verbatim = [b for b in blocks().values() if b.kind == "guide"]
    for b in verbatim:
        assert "\npython\n" + b.code in original, f"{b.id} differs from the user's guide"
    # one block per code example of the user's guide: none dropped, none duplicated
    assert len(verbatim) == len(_original_python_blocks()) == 24
    assert len({b.code for b in verbatim}) == len(verbatim)


def test_only_placeholder_blocks_fail_to_compile_and_each_has_a_runnable_version() -> None:
    broken = {b.id for b in blocks().values() if not b.compiles()}
    assert broken == {"kf-symbols", "ex5"}  # `Order(symbol=..., ...)`: positional after keyword
    completions = {b.of: b for b in blocks().values() if b.kind == "runnable"}
    assert set(completions) == broken
    assert all(c.compiles() for c in completions.values())
    assert all(b.kind in ("guide", "runnable", "project") for b in blocks().values())


def test_every_block_is_run_by_a_test() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_guide_*.py"))
    run = set(re.findall(r'block\("([\w-]+)"\)', sources))
    assert run == set(blocks())


def test_doc_links_resolve() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    targets = set(re.findall(r"\]\((docs/[\w.]+\.md)(?:#[\w-]+)?\)", text))
    assert targets, "the guide links the reference pages"
    missing = [t for t in targets if not (GUIDE.parent / t).is_file()]
    assert missing == []


def test_no_false_claims_from_the_original_remain() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for claim in ("Never been hacked", "0.16% maker", "Add to `_convert_symbol_to_kraken()`"):
        assert claim not in text
    for name in (
        "KRAKEN_API_URL",
        "KRAKEN_WS_URL",
        "KRAKEN_WS_AUTH_URL",
        "python -m src.brokers.paper",
    ):
        assert name in text


def test_non_guide_blocks_carry_a_visible_label() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    labels = {"runnable": "**Runnable version**", "project": "**Project example**"}
    for b in blocks().values():
        if b.kind == "guide":
            continue
        before = text[: text.index(f"<!-- example: {b.id} ")]
        last_label = max(before.rfind(label) for label in labels.values())
        assert before.rfind(labels[b.kind]) == last_label > before.rfind("```"), b.id
