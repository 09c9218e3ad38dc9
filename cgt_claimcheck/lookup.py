"""Answer `cgt-claimcheck lookup QUERY`: which CGT product a code, NDC or name stands for.

A one-off at a terminal, so it stays pure Python (no pandas): the answer is plain data that the
CLI renders as rich text or JSON.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cgt_claimcheck.printable import excerpt
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.reference.icd import icd_matches
from cgt_claimcheck.reference.rows import as_json
from cgt_claimcheck.value_parsers import (
    HCPCS_PATTERN,
    ICD10CM_PATTERN,
    PCS_PATTERN,
    NdcError,
    format_icd10cm,
    format_ndc,
    ndc_candidates,
    normalize_icd,
)


@dataclass
class Answer:
    query: str
    kind: str  # hcpcs | ndc | icd10pcs | icd10cm | name
    products: list[str]
    matched: list[dict[str, Any]] = field(default_factory=list)  # the rows the query hit
    notes: list[str] = field(default_factory=list)


class NotFound(LookupError):
    def __init__(self, query: str, reason: str, nearest: list[str]) -> None:
        super().__init__(reason)
        self.query = query
        self.reason = reason
        self.nearest = nearest


_NDC_LIKE = re.compile(r"^(?:N4)?[\d\- ]+$", re.IGNORECASE)


def lookup(ref: Reference, query: str, on: date | None = None) -> Answer:
    text = query.strip()
    upper = text.upper()
    digits = re.sub(r"\D", "", text)
    if _NDC_LIKE.match(text) and len(digits) in (10, 11) and ("-" in text or len(digits) != 5):
        return _lookup_ndc(ref, text)
    icd = normalize_icd(upper)
    if HCPCS_PATTERN.match(upper):
        # Five characters can be a HCPCS code or an undotted ICD-10-CM code (D5700 = D57.00).
        known = upper in ref.hcpcs_by_code or _codeset_memberships(ref, upper)
        if known or not _is_diagnosis(ref, icd):
            return _lookup_procedure(ref, upper)
    has_digit = any(ch.isdigit() for ch in upper)
    if PCS_PATTERN.match(upper) and has_digit and not ICD10CM_PATTERN.match(normalize_icd(upper)):
        return _lookup_pcs(ref, upper)
    if ICD10CM_PATTERN.match(icd) and any(ch.isdigit() for ch in icd[1:3]):
        if len(icd) == 7 and icd in ref.pcs_by_code:
            return _lookup_pcs(ref, icd)
        if ref.icd10cm_validity is not None and not _is_diagnosis(ref, icd):
            # Shaped like ICD-10-CM but no such code was ever valid: a near miss (J3392X), not a
            # diagnosis; answer with the closest codes rather than a wrong code type.
            raise NotFound(text, f"{excerpt(text)!r} is not a known code, NDC or product", _nearest(ref, text))
        return _lookup_diagnosis(ref, icd, on)
    return _lookup_name(ref, text)


def _nearest(ref: Reference, text: str) -> list[str]:
    keys: dict[str, str] = {}
    for product in ref.products.values():
        keys[product.brand.lower()] = product.brand
        keys[product.generic.lower()] = product.generic
    for code in ref.hcpcs_by_code:
        keys[code.lower()] = code
    for code in ref.pcs_by_code:
        keys[code.lower()] = code
    for ndc in ref.ndc:
        keys[ndc] = format_ndc(ndc)
    probe = text.lower()
    if re.sub(r"[\s-]", "", text).isdigit():  # an NDC is compared with NDCs only
        probe = re.sub(r"\D", "", text)
        keys = {k: v for k, v in keys.items() if k.isdigit() and len(k) == 11}
    return [keys[k] for k in difflib.get_close_matches(probe, list(keys), n=5, cutoff=0.5)]


def _lookup_ndc(ref: Reference, text: str) -> Answer:
    try:
        candidates = ndc_candidates(text)
    except NdcError as exc:
        raise NotFound(text, str(exc), _nearest(ref, text)) from None
    hits = [ref.ndc[c] for c in candidates if c in ref.ndc]
    notes = []
    if len(candidates) > 1:
        notes.append(
            "10 digits without hyphens fit three 5-4-2 forms: "
            + ", ".join(format_ndc(c) + (" (listed)" if c in ref.ndc else "") for c in candidates)
        )
    if not hits:
        labelers = {c[:5] for c in candidates}
        same_labeler = sorted({p.brand for p in ref.products.values() if p.labeler_code in labelers})
        reason = f"NDC {', '.join(format_ndc(c) for c in candidates)} is not a listed CGT package"
        if same_labeler:
            reason += f"; labeler {'/'.join(sorted(labelers))} makes {', '.join(same_labeler)} (the package may be new or missing from the tables)"
        raise NotFound(text, reason, _nearest(ref, text))
    return Answer(
        query=text,
        kind="ndc",
        products=sorted({h.product_id for h in hits}),
        matched=[as_json(h) | {"ndc_5_4_2": format_ndc(h.ndc11)} for h in hits],
        notes=notes,
    )


def _codeset_memberships(ref: Reference, code: str) -> list[dict[str, Any]]:
    return [
        as_json(entry)
        for entry in ref.codeset_entries
        if entry.code.replace(".", "").upper() == code and entry.codeset not in ("carc", "rarc")
    ]


def hcpcs_json(ref: Reference, row: Any) -> dict[str, Any]:
    """A HCPCS row as JSON, with the end implied by its successor when the tables give none."""
    implied = ref.implied_hcpcs_end.get(row.code) if row.effective_to is None else None
    return as_json(row) | {
        "implied_end": implied[0].isoformat() if implied else None,
        "implied_end_reason": f"the day before its successor {implied[1]} starts" if implied else None,
    }


def _valid(ref: Reference, row: Any, on: date) -> bool:
    return ref.hcpcs_on(row.code, on) is row


def _lookup_procedure(ref: Reference, code: str) -> Answer:
    rows = ref.hcpcs_by_code.get(code, [])
    memberships = _codeset_memberships(ref, code)
    if not rows and not memberships:
        raise NotFound(
            code, f"{code} is not a CGT, CAR-T administration or CGT-related code in the tables", _nearest(ref, code)
        )
    products = sorted({r.product_id for r in rows if r.product_id})
    notes = []
    if code == "J3590":
        notes.append(
            "J3590 is the fallback for an FDA-approved CGT without a product-specific code: the NDC says which product it is."
        )
    return Answer(
        query=code,
        kind="hcpcs",
        products=products,
        matched=[hcpcs_json(ref, r) for r in rows] + memberships,
        notes=notes,
    )


def _lookup_pcs(ref: Reference, code: str) -> Answer:
    rows = ref.pcs_by_code.get(code, [])
    if not rows:
        raise NotFound(code, f"{code} is not a CGT ICD-10-PCS code in the tables", _nearest(ref, code))
    notes = [r.notes for r in rows if r.kind == "generic" and r.notes]
    return Answer(
        query=code,
        kind="icd10pcs",
        products=sorted({r.product_id for r in rows if r.product_id}),
        matched=[as_json(r) for r in rows],
        notes=notes,
    )


def _lookup_diagnosis(ref: Reference, code: str, on: date | None = None) -> Answer:
    matched = []
    products = set()
    for product_id, indications in ref.indications.items():
        for indication in indications:
            if icd_matches(code, indication.icd10cm_include, indication.icd10cm_exclude):
                products.add(product_id)
                matched.append(as_json(indication))
    memberships = _codeset_memberships(ref, code)
    validity = _validity_note(ref, code, on)
    if not matched and not memberships:
        found = f"{validity}; " if validity else ""
        raise NotFound(code, f"{found}no CGT product is indicated for {format_icd10cm(code)} in the tables", [])
    notes = [validity] if validity else []
    return Answer(
        query=format_icd10cm(code),
        kind="icd10cm",
        products=sorted(products),
        matched=matched + memberships,
        notes=notes,
    )


def _is_diagnosis(ref: Reference, icd: str) -> bool:
    """An ICD-10-CM code the validity table has ever known (billable, or a category above one)."""
    validity = ref.icd10cm_validity
    if validity is None or not ICD10CM_PATTERN.match(icd):
        return False
    return icd in validity.windows or bool(validity.children_on(icd, validity.covers_through, limit=1))


def _validity_note(ref: Reference, code: str, on: date | None) -> str | None:
    """Is the code billable on the date (or on the last date the validity table covers)?"""
    from cgt_claimcheck.reference.icd_validity import Status, window_text

    validity = ref.icd10cm_validity
    if validity is None:
        return None
    day = on if on is not None and validity.covers(on) else validity.covers_through
    verdict = validity.verdict(code, day)
    shown = format_icd10cm(code)
    if verdict.status is Status.BILLABLE:
        return f"{shown} is a billable ICD-10-CM code on {day.isoformat()} (valid {window_text(verdict.windows, validity)})"
    if verdict.status is Status.HEADER:
        below = ", ".join(format_icd10cm(c) for c in verdict.children)
        return f"{shown} is a category header, not billable on {day.isoformat()}: bill a code below it ({below}...)"
    if verdict.windows:
        return f"{shown} is not valid on {day.isoformat()} (valid {window_text(verdict.windows, validity)})"
    return None  # never a valid code in the table: the caller says not found


def _lookup_name(ref: Reference, text: str) -> Answer:
    word = text.lower().strip()
    if not word:
        raise NotFound(text, "empty query", [])
    names = {}
    for product in ref.products.values():
        for name in (product.brand.lower(), product.generic.lower(), product.product_id):
            names[name] = product.product_id
    hits = {pid for name, pid in names.items() if name.startswith(word) or f" {word}" in f" {name}"}
    notes = []
    for other_way in (_by_short_name, _by_kind, _by_indication):  # what people say besides the names
        if not hits:
            hits, note = other_way(ref, word)
            notes += [note] if hits else []
    if not hits:
        close = difflib.get_close_matches(word, list(names), n=3, cutoff=0.75)
        hits = {names[c] for c in close}
        if hits:
            notes.append(f"no exact match for {excerpt(text)!r}; closest: {', '.join(close)}")
    if not hits:
        raise NotFound(text, f"{excerpt(text)!r} matches no CGT product, code or NDC", _nearest(ref, text))
    return Answer(query=text, kind="name", products=sorted(hits), notes=notes)


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _by_short_name(ref: Reference, word: str) -> tuple[set[str], str]:
    """exa-cel, lovo-cel, axi-cel, arsa-cel: a syllable of the generic name and its stem's end."""
    short = re.fullmatch(r"([a-z]{2,6})-(cel|vec)", word)
    if not short:
        return set(), ""
    start, end = short.groups()
    hits = set()
    for product in ref.products.values():
        words = re.sub(r"-[a-z]{4}\b|\(.*?\)", "", product.generic.lower()).split()  # no -xxxx suffix
        if words and start in words[0] and words[-1].endswith(end):
            hits.add(product.product_id)
    return hits, f"{word!r} read as the short form of a generic name"


def _by_kind(ref: Reference, word: str) -> tuple[set[str], str]:
    """car-t, CAR T, tcr-t, gene therapy: a family or a category of product."""
    key = _squashed(word)
    hits = {
        p.product_id
        for p in ref.products.values()
        if key and (_squashed(p.family) == key or _squashed(p.category).startswith(key))
    }
    return hits, f"{word!r} read as a kind of product: every product of that kind"


def _by_indication(ref: Reference, word: str) -> tuple[set[str], str]:
    """sickle cell, hemophilia B, large B-cell lymphoma: words of an FDA indication."""
    hits = {pid for pid, rows in ref.indications.items() if any(word in row.indication.lower() for row in rows)}
    return hits, f"{word!r} found in the FDA indications of these products, not in a name"


def product_card(ref: Reference, product_id: str, on: date | None, rules: list[Any]) -> dict[str, Any]:
    """Everything about one product: codes with windows, NDCs, PCS, indications, rules, sources."""
    product = ref.products[product_id]
    hcpcs = ref.hcpcs_for_product(product_id)
    card: dict[str, Any] = as_json(product)
    card["hcpcs"] = [
        hcpcs_json(ref, h) | {"valid_on_date": _valid(ref, h, on) if on and h.effective_from else None} for h in hcpcs
    ]
    if on is not None:
        billable = [h.code for h in hcpcs if h.effective_from and _valid(ref, h, on)]
        unknown = [h.code for h in hcpcs if not h.effective_from and _valid(ref, h, on)]
        card["billable_on"] = {
            "date": on.isoformat(),
            "codes": billable,
            "codes_with_unknown_start": unknown,
            "fallback": "J3590 with the NDC" if not billable and not unknown else None,
        }
        if product.fda_approval_date and on < product.fda_approval_date:
            card["billable_on"]["note"] = (
                f"{on.isoformat()} is before FDA approval ({product.fda_approval_date.isoformat()})"
            )
    card["ndc"] = [as_json(n) | {"ndc_5_4_2": format_ndc(n.ndc11)} for n in ref.ndcs_for_product(product_id)]
    card["icd10pcs"] = [
        as_json(p) | {"valid_on_date": p.valid_on(on) if on else None} for p in ref.pcs_for_product(product_id)
    ]
    card["indications"] = [
        as_json(i) | {"active_on_date": i.active_on(on) if on else None} for i in ref.indications.get(product_id, [])
    ]
    card["rules"] = {
        payer: [
            r.code
            for r in rules
            if payer in r.payers and r.applies_to is not None and r.applies_to(ref, product_id, payer)
        ]
        for payer in ref.payers
    }
    return card
