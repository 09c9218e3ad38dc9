"""Lines laid out for a terminal's width: words never split, text hanging under its first line.

A terminal wraps a long line wherever the width ends, mid-word ("is no/t a date"), back at the
first column. The rich report, at a terminal, asks this layout for its line breaks instead:
a finding's text continues under itself, its fix starts a line of its own, a claim's file name
moves to the next line whole. Dates and codes are not broken at their hyphens. Off a terminal
the report does not use it: one line per finding.
"""

from __future__ import annotations

from cgt_claimcheck.printable import printable

HANG = " " * 6  # where a finding's continued text and its fix start
FIX = "fix: "
NARROWEST = 40  # below this, the layout is for 40 columns and the terminal wraps the rest
NO_BREAK = "\u00a0"  # a space that is not a line break opportunity (in file names)


def _wrapped(text: str, width: int, first: int, then: str) -> list[str]:
    """`text` in lines of `width`: the first starts at column `first`, the others with `then`.

    Greedy, at spaces only (dates and codes are not broken at their hyphens); a word that does
    not fit where a line has reached moves to the next line, and only a word wider than a whole
    line is cut. (textwrap cuts a word that does not fit the shorter first line.)
    """
    lines: list[str] = []
    line, room = " " * first, width - first
    for word in text.split(" "):
        if not word:
            continue
        while len(word) > width - len(then) and (line.strip() == "" or room < len(word) + 1):
            if line.strip():  # the long word starts on a line of its own
                lines.append(line)
                line, room = then, width - len(then)
            lines.append(line + word[:room])
            word = word[room:]
            line, room = then, width - len(then)
        if not word:
            continue
        needed = len(word) + (1 if line.strip() else 0)
        if needed > room and line.strip():
            lines.append(line)
            line, room = then, width - len(then)
            needed = len(word)
        line += (" " if line.strip() else "") + word
        room -= needed
    if line.strip():
        lines.append(line)
    return lines


class TerminalLayout:
    def __init__(self, width: int) -> None:
        self.width = max(NARROWEST, width)

    def finding(self, used: int, text: str, hint: str) -> list[tuple[str, str]]:
        """The rest of a finding's first line after `used` columns, its continuation and its fix:
        (text, style) pieces, printable but for the line breaks the layout put in."""
        first = used + 2
        words = printable(text).split()
        # A long location, or a first word that does not fit after it: the text starts below.
        if first > self.width - 20 or (words and len(words[0]) > self.width - first):
            lines = [""] + _wrapped(printable(text).strip(), self.width, len(HANG), HANG)
        else:
            lines = _wrapped(printable(text).strip(), self.width, first, HANG)
            lines[:1] = ["  " + lines[0][first:]] if lines else [""]
        fix = _wrapped(printable(hint).strip(), self.width, len(HANG + FIX), HANG + " " * len(FIX)) or [""]
        fix[0] = fix[0][len(HANG + FIX) :]
        return [("\n".join(lines), ""), ("\n" + HANG + FIX, "green"), ("\n".join(fix), "")]

    def header(self, used: int, details: str, where: str) -> tuple[str, str]:
        """A claim's header after its first `used` columns: (the details, the file in brackets),
        broken between words, never inside the file name unless the name is wider than the line."""
        kept = printable(where.strip()).replace(" ", NO_BREAK)
        text = "  ".join(p for p in (printable(details).strip(), kept) if p)
        words = text.split()
        if words and len(words[0]) > self.width - used - 2:  # nothing fits after the claim: start below
            lines = [""] + _wrapped(text, self.width, 2, "  ")
            joined = "\n".join(lines)
        else:
            lines = _wrapped(text, self.width, used + 2, "  ")
            joined = "\n".join(lines)
            joined = "  " + joined[used + 2 :] if lines else ""
        at = joined.rfind(kept)
        if at < 0:  # the name itself was folded: no brackets to style apart
            return joined.replace(NO_BREAK, " "), ""
        return joined[:at], joined[at:].replace(NO_BREAK, " ")
