"""X12 837 bodies as columns: the 2000-2400 loops of whole transactions mapped in vectorised steps.

A body is the segments between an ST and the next envelope segment. All bodies of a block are
mapped at once by forward-filling loop keys over segment positions: the open HL (and its level),
CLM, LX, 2320 SBR (another payer's loops), 2430 SVD (another payer's adjudication) and name loop
(NM1). One row per 2400 loop, the same columns and values the per-segment mapping
(ingest/x12_claims.py) gives it; tests compare the two on every X12 file they read.

A body holding something the per-segment mapping would report (RARE, the reason counted by the
reader) is not mapped here: the reader feeds its segments to the per-segment mapping instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.ingest.x12_segments import ID, Composites, SegmentBlock, components, group_join
from cgt_claimcheck.ingest.x12_syntax import ATTACHED_BY, REPETITION_CHECKED, X12_COLUMNS

# Is a segment id (an index of SEGMENT_IDS, -1 for one not known) an envelope's? Read at id + 1.
IS_ENVELOPE = np.zeros(len(ID) + 1, dtype=bool)
IS_ENVELOPE[[ID[name] + 1 for name in ("ISA", "GS", "ST", "SE", "GE", "IEA")]] = True
ICD9 = ["BK", "BF", "BJ", "BN", "BR", "BQ"]
RARE = (
    "an unknown, lowercase or empty segment (or TA1) inside a transaction",
    "a repetition separator in a claim segment",
    "HL numbers, parents or levels out of order",
    "a claim outside a subscriber or patient HL",
    "a claim without service lines",
    "a service line outside a claim",
    "a composite with another component separator, or an HI element without one",
    "ICD-9 codes",
)
LEVELS = ["20", "22", "23"]  # HL03 -> 1, 2, 3 (0: another)
ENTITIES = ["85", "IL", "PR", "77", "QC"]  # NM101 -> 1..5 (0: another or none)
BILLING, SUBSCRIBER, PAYER, FACILITY, PATIENT = 1, 2, 3, 4, 5


def _repeat(text: str, count: int) -> pa.Array:
    return pa.repeat(pa.scalar(text, pa.string()), count)


def _pick(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], '' where index is -1."""
    found = index >= 0
    if not len(values) or not found.any():
        return _repeat("", len(index))
    return pc.if_else(pa.array(found), values.take(pa.array(np.where(found, index, 0))), "")


def _last(rows: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """The last of `rows` (in order, with their non-decreasing groups) of each group; -1 when none."""
    out = np.full(groups, -1, dtype=np.int64)
    if len(rows):
        ends = np.append(group[1:] != group[:-1], True)
        out[group[ends]] = rows[ends]
    return out


@dataclass
class BlockLines:
    """The service lines of a block's regular bodies: columns, and each body's range of lines."""

    columns: dict[str, pa.Array]
    is_837i_variants: dict[str, tuple[pa.Array, pa.Array]]  # column -> (837P value, 837I value)
    body_lines: np.ndarray  # body b's lines are body_lines[b]:body_lines[b + 1]
    line_segment: np.ndarray  # the LX's segment number within its transaction (ST is 1)
    open_at_end: np.ndarray  # per body: the line whose claim is open at its last segment (-1: none)
    line_lx: np.ndarray  # each line's LX: its segment in the block

    def open_claim(self, body: int) -> tuple[str, str] | None:
        """(claim id, line number) of the claim open at the end of a body, as a problem names it."""
        line = int(self.open_at_end[body])
        if line < 0:
            return None
        return self.columns["claim_id"][line].as_py(), self.columns["line_number"][line].as_py()

    def table(self, start: int, stop: int, is_837i: np.ndarray) -> pa.Table:
        """Lines start..stop (a slice, no copy), of the kind each line's transaction says."""
        institutional = bool(is_837i.all())
        mixed = not institutional and bool(is_837i.any())
        out = {}
        for name in X12_COLUMNS:
            if name in self.is_837i_variants:
                professional, institutional_ = (v.slice(start, stop - start) for v in self.is_837i_variants[name])
                chosen = institutional_ if institutional else professional
                out[name] = pc.if_else(pa.array(is_837i), institutional_, professional) if mixed else chosen
            else:
                out[name] = self.columns[name].slice(start, stop - start)
        return pa.table(out)


class BodyMapping:
    """Map the bodies [first[b], stop[b]) of a block; `rare[b]` is the reason (index into RARE)
    a body is left to the per-segment mapping, -1 when it is mapped here."""

    def __init__(self, block: SegmentBlock, first: np.ndarray, stop: np.ndarray) -> None:
        self.block = block
        n = block.count
        self.bodies = len(first)
        self.body = np.full(n, -1, dtype=np.int64)
        sizes = stop - first
        members = np.repeat(first - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(int(sizes.sum()))
        self.body[members] = np.repeat(np.arange(self.bodies), sizes)
        body_first = first[np.maximum(self.body, 0)] if len(first) else np.zeros(n, dtype=np.int64)
        self.begin = np.where(self.body >= 0, body_first, np.arange(n) + 1)
        self.first, self.stop = first, stop
        self.ids = np.where(self.body >= 0, block.ids, -2)
        self.positions = np.arange(n)
        self.rare = np.full(self.bodies, -1, dtype=np.int64)
        self.composite: dict[str, tuple[np.ndarray, pa.Array]] = {}  # CLM05, SV101 of every such segment
        self._state()
        self._find_rare()

    # --- loop state ------------------------------------------------------------------------------
    def _rows(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.ids == ID[name])

    def _latest(self, mask: np.ndarray) -> np.ndarray:
        """At each segment, the latest segment of its body in `mask` (itself included); -1: none."""
        latest = np.maximum.accumulate(np.where(mask, self.positions, -1))
        return np.where(latest >= self.begin, latest, -1)

    def _latest_at(self, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """_latest(mask)[rows] for a few rows: a search among the segments in `mask`."""
        marks = np.append(-1, np.flatnonzero(mask))  # -1 first: what a row before every mark finds
        latest = marks[np.searchsorted(marks, rows, side="right") - 1]
        return np.where(latest >= self.begin[rows], latest, -1)

    def _state(self) -> None:
        block, ids, n = self.block, self.ids, self.block.count
        self.hl_rows = self._rows("HL")
        self.hl_level = block.element_code(self.hl_rows, 3, LEVELS)
        level_at = np.zeros(n, dtype=np.int64)
        level_at[self.hl_rows] = self.hl_level
        self.hl = self._latest(ids == ID["HL"])
        self.clm = self._latest(ids == ID["CLM"])
        self.lx = self._latest(ids == ID["LX"])
        self.level = np.where(self.hl >= 0, level_at[np.maximum(self.hl, 0)], 0)
        self.claim_open = self.clm > self.hl
        self.line_open = self.claim_open & (self.lx > self.clm)
        loop_start = np.maximum(np.maximum(self.hl, self.clm), self.lx)  # HL, CLM and LX reset the loops below
        self.nm1_rows = self._rows("NM1")
        entity_of = np.zeros(n, dtype=np.int64)
        entity_of[self.nm1_rows] = block.element_code(self.nm1_rows, 1, ENTITIES)
        self.entity_of = entity_of
        nm1 = self._latest(ids == ID["NM1"])
        self.entity = np.where(nm1 > loop_start, entity_of[np.maximum(nm1, 0)], 0)
        other = self._latest((ids == ID["SBR"]) & self.claim_open)
        self.mine = ~(other > loop_start)  # not inside 2320/2330, another payer's loops
        svd = self._latest((ids == ID["SVD"]) & self.line_open)
        self.adjudicated = self.line_open & (svd > self.lx)

    # --- what the per-segment mapping would report ----------------------------------------------
    def _mark(self, segments: np.ndarray, reason: int) -> None:
        bodies = self.body[segments]
        bodies = bodies[(bodies >= 0)]
        unmarked = bodies[self.rare[bodies] < 0]
        self.rare[unmarked] = reason

    def _find_rare(self) -> None:
        block, ids = self.block, self.ids
        self._mark(np.flatnonzero((ids == -1) | (ids == ID["TA1"])), 0)
        repetition = block.seps.repetition
        if repetition and ord(repetition) < 128:
            checked = np.isin(ids, [ID[name] for name in REPETITION_CHECKED])
            self._mark(np.flatnonzero(checked & block.contains(repetition)), 1)
        self._check_hl()
        clm_rows = self._rows("CLM")
        claim_level = self.level[clm_rows]
        self._mark(clm_rows[(claim_level != 2) & (claim_level != 3)], 3)
        lx_rows = self._rows("LX")
        self._mark(lx_rows[~self.claim_open[lx_rows]], 5)
        with_lines = np.zeros(len(clm_rows), dtype=bool)
        with_lines[np.searchsorted(clm_rows, self.clm[lx_rows[self.claim_open[lx_rows]]])] = True
        self._mark(clm_rows[~with_lines], 4)
        comp, others = (
            block.seps.component,
            "".join(c for c in ":^>|!\\" if c not in (block.seps.component, block.seps.element)),
        )
        other_separator = f"[{re.escape(others)}]" if others else None
        for name, k in (("CLM", 5), ("SV1", 1), ("SV2", 2), ("CTP", 5)):
            rows = self._rows(name)
            value = block.element(rows, k)
            if name in ("CLM", "SV1"):
                self.composite[name] = (rows, value)  # the mapping reads them too
            if other_separator and len(rows):
                lacks = np.flatnonzero(pc.invert(pc.match_substring(value, comp)).to_numpy(zero_copy_only=False))
                if len(lacks):  # most composites hold the component separator: the others are few
                    taken = value.take(pa.array(lacks))
                    wrong = pc.match_substring_regex(taken, other_separator).to_numpy(zero_copy_only=False)
                    self._mark(rows[lacks[wrong]], 6)
        hi_rows = self._rows("HI")
        tokens, owner = block.elements_of(hi_rows)
        raw = block.tokens(tokens, strip=False)
        loose = pc.and_(pc.not_equal(raw, ""), pc.invert(pc.match_substring(raw, comp))).to_numpy(zero_copy_only=False)
        self._mark(hi_rows[owner[loose]], 6)
        parts = Composites(raw, comp)
        qualifier = parts.component(0)
        icd9 = pc.is_in(qualifier, pa.array(ICD9)).to_numpy(zero_copy_only=False)
        self._mark(hi_rows[owner[icd9]], 7)
        self.hi = (hi_rows, owner, raw, qualifier, parts.component(1))  # split once, read by the mapping

    def _check_hl(self) -> None:
        rows = self.hl_rows
        if not len(rows):
            return
        block, body = self.block, self.body[rows]
        starts = np.flatnonzero(np.append(True, body[1:] != body[:-1]))
        number = np.arange(len(rows)) - np.repeat(starts, np.diff(np.append(starts, len(rows)))) + 1
        wrong = block.element_number(rows, 1) != number  # HL01 counts up from 1 in each transaction
        parent = block.element_number(rows, 2)
        empty = ~block.element_given(rows, 2)
        earlier = (parent > 0) & (parent < number)
        wrong |= ~empty & ~earlier
        level = self.hl_level
        parent_level = np.where(earlier, level[np.clip(np.arange(len(rows)) - number + parent, 0, len(rows) - 1)], 0)
        allowed = ((level == 2) & (parent_level == 1)) | ((level == 3) & (parent_level == 2)) | ((level == 1) & empty)
        self._mark(rows[wrong | (level == 0) | ~allowed], 2)

    # --- the mapping ------------------------------------------------------------------------------
    def lines(self, payer: str | None) -> BlockLines:
        """The lines of the bodies not marked rare."""
        block, ids = self.block, self.ids
        live = (self.body >= 0) & (self.rare[np.maximum(self.body, 0)] < 0)
        clm_rows = np.flatnonzero((ids == ID["CLM"]) & live)
        lx_rows = np.flatnonzero((ids == ID["LX"]) & live)
        claims, lines = len(clm_rows), len(lx_rows)
        # The latest CLM (LX) of a live body is the count of them so far, less one.
        claim_of = np.where(self.claim_open & live, np.cumsum((ids == ID["CLM"]) & live) - 1, -1)
        line_of = np.where(self.line_open & live, np.cumsum((ids == ID["LX"]) & live) - 1, -1)
        in_claim, in_line = claim_of >= 0, line_of >= 0

        def per_claim(mask: np.ndarray) -> np.ndarray:
            rows = np.flatnonzero(mask & in_claim & ~in_line)
            return _last(rows, claim_of[rows], claims)

        def per_line(mask: np.ndarray) -> np.ndarray:
            rows = np.flatnonzero(mask & in_line)
            return _last(rows, line_of[rows], lines)

        def at(rows: np.ndarray, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
            full = np.zeros(block.count, dtype=values.dtype)
            full[rows] = values
            return mask & full

        nm1, hl = self.nm1_rows, self.hl_rows
        entity_is = self.entity_of
        # An NPI: NM109 where NM108 is XX, both read of billing and facility names only (a few a block).
        named = nm1[np.isin(entity_is[nm1], [BILLING, FACILITY])]
        read = named[block.element_code(named, 8, ["XX"]) == 1]
        npi = block.element(read, 9)
        npi_full = np.full(block.count, -1, dtype=np.int64)  # segment -> its NPI in `npi` (-1: none read)
        npi_full[read] = np.arange(len(read))
        has_npi = np.zeros(block.count, dtype=bool)
        has_npi[read] = pc.not_equal(npi, "").to_numpy(zero_copy_only=False)
        level_of_hl = np.zeros(block.count, dtype=np.int64)
        level_of_hl[hl] = self.hl_level
        is_hl = ids == ID["HL"]
        outside = ~self.claim_open

        def carried(sets: np.ndarray, resets: np.ndarray) -> np.ndarray:
            """At each CLM, the latest of `sets` since the latest of `resets` (-1: none)."""
            latest = self._latest_at(sets | resets, clm_rows)
            return np.where((latest >= 0) & sets[np.maximum(latest, 0)], latest, -1)

        def npi_of(rows: np.ndarray) -> pa.Array:
            return _pick(npi, np.where(rows >= 0, npi_full[np.maximum(rows, 0)], -1))

        nm1_mask = (ids == ID["NM1"]) & outside
        sub_reset = is_hl & ((level_of_hl == 1) | (level_of_hl == 2))
        dmg = self._rows("DMG")
        d8 = at(dmg, ids == ID["DMG"], block.element_code(dmg, 1, ["D8"]) == 1) & outside
        # The hierarchy's values at each claim (and after a body: they outlive an ST).
        self.carry = {
            "billing_npi": (nm1_mask & (entity_is == BILLING) & (self.level == 1), is_hl & (level_of_hl == 1), -1),
            "member_id": (nm1_mask & (entity_is == SUBSCRIBER) & (self.level == 2), sub_reset, 9),
            "payer": (nm1_mask & (entity_is == PAYER) & (self.level == 2), sub_reset, 9),
            "member_dob": (d8 & (self.level == 2) & (self.entity == SUBSCRIBER), sub_reset, 2),
            "patient_dob": (
                d8 & (self.level == 3) & (self.entity == PATIENT),
                is_hl & ((level_of_hl == 2) | (level_of_hl == 3)),
                2,
            ),
        }
        self.npi_of = npi_of
        billing = npi_of(carried(*self.carry["billing_npi"][:2]))
        member = block.element(carried(*self.carry["member_id"][:2]), 9)
        plan = block.element(carried(*self.carry["payer"][:2]), 9)
        subscriber_dob = block.element(carried(*self.carry["member_dob"][:2]), 2)
        patient_dob = block.element(carried(*self.carry["patient_dob"][:2]), 2)
        dependent = self.level[clm_rows] == 3
        comp = block.seps.component
        every_clm, every_clm05 = self.composite["CLM"]
        place = Composites(every_clm05.filter(pa.array(live[every_clm])), comp)  # CLM05 of the live bodies' claims
        facility_rows = ids == ID["NM1"]
        facility_rows &= has_npi & (entity_is == FACILITY) & self.mine
        claim_facility = npi_of(per_claim(facility_rows))
        ref = self._rows("REF")
        g1 = at(ref, ids == ID["REF"], block.element_code(ref, 1, ["G1"]) == 1) & self.mine
        dtp = self._rows("DTP")
        dtp_mask = (ids == ID["DTP"]) & self.mine
        qualifier = block.element_code(dtp, 1, ["434", "472"])
        form_is_rd8 = block.element_code(dtp, 2, ["RD8"]) == 1
        dtp_value = block.element(dtp, 3)
        # A range (RD8) is split at its first '-'; most dates are D8 and are not split at all.
        rd8, given_as_range = np.flatnonzero(form_is_rd8), pa.array(form_is_rd8)
        halves = Composites(dtp_value.take(pa.array(rd8)), "-", max_splits=1)
        dtp_start = pc.replace_with_mask(dtp_value, given_as_range, halves.component(0, strip=False))
        after_dash = pc.replace_with_mask(_repeat("", len(dtp)), given_as_range, halves.component(1, strip=False))
        ranged = np.zeros(len(dtp), dtype=bool)
        ranged[rd8] = np.diff(halves.offsets) > 1  # a '-' in it
        dtp_index = np.full(block.count, -1, dtype=np.int64)
        dtp_index[dtp] = np.arange(len(dtp))

        def dtp_field(rows: np.ndarray, values: pa.Array) -> pa.Array:
            return _pick(values, np.where(rows >= 0, dtp_index[np.maximum(rows, 0)], -1))

        statement_from = dtp_field(per_claim(at(dtp, dtp_mask, qualifier == 1)), dtp_start)
        pwk = self._rows("PWK")
        sent = (block.element_code(pwk, 1, ["CT"]) == 0) & (block.element_code(pwk, 2, sorted(ATTACHED_BY)) > 0)
        attached_rows = np.flatnonzero(at(pwk, ids == ID["PWK"], sent) & in_claim)
        attached = np.zeros(claims, dtype=bool)
        attached[claim_of[attached_rows]] = True
        hi_rows, owner, raw, every_qualifier, every_code = self.hi
        hi_used = (self.claim_open & self.mine & live)[hi_rows][owner] & pc.not_equal(raw, "").to_numpy(
            zero_copy_only=False
        )
        qualifiers, codes = every_qualifier.filter(pa.array(hi_used)), every_code.filter(pa.array(hi_used))
        hi_claim = claim_of[hi_rows][owner][hi_used]

        def hi_list(names: list[str]) -> pa.Array:
            chosen = pc.is_in(qualifiers, pa.array(names)).to_numpy(zero_copy_only=False)
            return group_join(codes.filter(pa.array(chosen)), hi_claim[chosen], claims, ";")

        claim_auth = block.element(per_claim(g1 & (self.entity == 0)), 2)
        claim_columns = {
            "claim_id": block.element(clm_rows, 1),
            "payer": _repeat(payer, claims) if payer else plan,
            "member_id": member,
            "member_dob": pc.if_else(pa.array(dependent), patient_dob, subscriber_dob),
            "billing_npi": billing,
            "claim_frequency": place.component(2),
            "diagnosis_codes": hi_list(["ABK", "ABF"]),
            "icd10_pcs_codes": hi_list(["BBR", "BBQ"]),
            "condition_codes": hi_list(["BG"]),
            "invoice_attached": pc.if_else(pa.array(attached), "Y", "N"),
        }
        claim_index = pa.array(claim_of[lx_rows])
        out = {name: values.take(claim_index) for name, values in claim_columns.items()}
        # The service line: the latest SV1 / SV2, LIN, CTP, DTP*472, REF*G1 and facility of its loop.
        service = per_line((ids == ID["SV1"]) | (ids == ID["SV2"]))
        institutional = ids[np.maximum(service, 0)] == ID["SV2"]
        k = institutional.astype(np.int64)  # SV2 has the revenue code first: each element one further
        every_sv1, every_sv101 = self.composite["SV1"]
        same = np.array_equal(service, every_sv1)  # each line one SV1, every body mapped: read already
        code = Composites(every_sv101 if same else block.element(service, 1 + k), comp)
        out["line_number"] = block.element(lx_rows, 1)
        out["procedure_code"] = code.component(1)
        out["modifiers"] = code.joined_nonempty(2, 6, ";")
        out["charge"] = block.element(service, 2 + k)
        out["units"] = block.element(service, 4 + k)
        out["revenue_code"] = block.element(per_line(ids == ID["SV2"]), 1)
        sv1 = self._rows("SV1")
        line_place = block.element(per_line(at(sv1, ids == ID["SV1"], block.element_given(sv1, 5))), 5)
        drug = ~self.adjudicated
        lin = self._rows("LIN")
        out["ndc"] = block.element(
            per_line(at(lin, ids == ID["LIN"], block.element_code(lin, 2, ["N4"]) == 1) & drug), 3
        )
        ctp = per_line((ids == ID["CTP"]) & drug)
        out["ndc_quantity"] = block.element(ctp, 4)
        out["ndc_unit"] = components(block.element(ctp, 5), comp, 0)
        service_dtp = at(dtp, dtp_mask, qualifier == 2)
        service_date = dtp_field(per_line(service_dtp), dtp_start)
        out["service_date"] = pc.if_else(pc.equal(service_date, ""), statement_from.take(claim_index), service_date)
        out["service_date_to"] = dtp_field(per_line(service_dtp & at(dtp, dtp_mask, ranged)), after_dash)
        line_auth = block.element(per_line(g1), 2)
        out["prior_auth"] = pc.if_else(pc.equal(line_auth, ""), claim_auth.take(claim_index), line_auth)
        line_facility = npi_of(per_line(facility_rows))
        own = pc.not_equal(line_facility, "")
        claim_fac = claim_facility.take(claim_index)
        has_claim_fac = pc.not_equal(claim_fac, "")
        out["facility_npi"] = pc.if_else(own, line_facility, pc.if_else(has_claim_fac, claim_fac, out["billing_npi"]))
        source = pc.if_else(has_claim_fac, "2310C", "2010AA")
        source_i = pc.if_else(has_claim_fac, "2310E", "2010AA")
        professional_place = place.component(0).take(claim_index)  # per claim, then per line
        variants = {
            "claim_type": (_repeat("837P", lines), _repeat("837I", lines)),
            "place_of_service": (pc.if_else(pc.equal(line_place, ""), professional_place, line_place), line_place),
            "bill_type": (
                _repeat("", lines),
                pc.binary_join_element_wise(professional_place, out["claim_frequency"], ""),
            ),
            "facility_npi_source": (pc.if_else(own, "2420C", source), pc.if_else(own, "2420C", source_i)),
        }
        body_of_line = self.body[lx_rows]
        body_lines = np.searchsorted(body_of_line, np.arange(self.bodies + 1))
        segment = lx_rows - self.first[body_of_line] + 2
        # A claim open at a body's end has lines (else the body is rare): its latest is the body's last line.
        last = self.stop - 1
        open_at_end = np.where(self.claim_open[last] & live[last], body_lines[1:] - 1, -1)
        return BlockLines(out, variants, body_lines, segment, open_at_end, lx_rows)

    def end_state(self, body: int) -> dict[str, str]:
        """The hierarchy values the per-segment mapping would hold after this body: billing,
        subscriber and patient values outlive an ST, so a next transaction it maps starts from them.
        Only the values the body set or cleared are given."""
        last, state = np.array([self.stop[body] - 1]), {}
        for key, (sets, resets, k) in self.carry.items():
            latest = self._latest_at(sets | resets, last)
            if latest[0] >= 0:
                chosen = np.where(sets[latest], latest, -1)
                state[key] = (self.npi_of(chosen) if k < 0 else self.block.element(chosen, k))[0].as_py()
        return state
