"""X12 transaction bodies mapped as columns give, field for field, what the per-segment mapping gives.

The per-segment mapping is the reference: it is what the reader used for every segment before
bodies were mapped as columns, and it still maps the bodies that hold a construct it reports.
Compared here: every line (all columns), its ordinal, rejected lines, every problem with its
location, the segment and transaction counts and where each line is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgt_claimcheck.ingest import x12_stream
from tests.test_x12 import _interchange, damaged, styles
from tests.x12_builder import Claim, Line, build
from tests.x12_parity import differences, outcome

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "tests" / "x12_samples").glob("*.x12")) + sorted((REPO / "examples").glob("*.x12"))

# The public samples are mostly examples from guides and defect files: what their bodies hold that
# the per-segment mapping reports, and so maps (one body per transaction).
HL = "HL numbers, parents or levels out of order"
ICD9 = "ICD-9 codes"
SEPARATOR = "a composite with another component separator, or an HI element without one"
UNKNOWN = "an unknown, lowercase or empty segment (or TA1) inside a transaction"
MAPPED_BY_SEGMENT = {
    "badx12_837p_a1_COB_claim_from_billing_provider_to_payer_a.x12": {ICD9: 1},
    "badx12_837p_a1_commercial_health_insurance.x12": {ICD9: 1},
    "badx12_837p_a1_drug_administered_in_the_physician_office.x12": {ICD9: 1},
    "badx12_837p_a1_home_infusion_therapy_pharmacy_adjudicated_with_ND.x12": {ICD9: 1},
    "badx12_837p_a1_oxygen.x12": {ICD9: 1},
    "badx12_837p_a1_wheelchair.x12": {ICD9: 1},
    "ims_837i_a2_x223_test.x12": {ICD9: 1},
    "ims_837p_a1_312_transactions.x12": {HL: 312},
    "ims_837p_a1_complex_lin_ctp.x12": {HL: 2},
    "ims_837p_a1_different_separators.x12": {HL: 1},
    "ims_837p_a1_many_claims_820.x12": {HL: 1},
    "ims_837p_a1_multiple_gs.x12": {HL: 3},
    "ims_837p_a1_multiple_isa.x12": {HL: 2},
    "ims_837p_a1_multiple_st.x12": {HL: 2},
    "ims_837p_a1_valid.x12": {HL: 1},
    "ims_bad_first_line.x12": {HL: 1},
    "ims_bad_missing_elements.x12": {HL: 1},
    "ims_bad_missing_loops.x12": {SEPARATOR: 1},
    "ims_bad_missing_required_loops_mult_repeats.x12": {HL: 1},
    "ims_bad_segments_out_of_order.x12": {HL: 1},
    "lfh_837i_a3_institutional_claim.x12": {ICD9: 1},
    "lfh_837i_a3_ppo_repriced.x12": {SEPARATOR: 1},
    "lfh_837i_a3_two_claims.x12": {ICD9: 1},
    "lfh_837p_a2_cob_2ndary_example4_isa16_mismatch.x12": {SEPARATOR: 1},
    "lfh_837p_a2_drug_example10_1.x12": {ICD9: 1},
    "lfh_837p_a2_drug_example10_2.x12": {ICD9: 1},
    "lfh_837p_a2_example1.x12": {ICD9: 1},
    "lfh_837p_a2_example7_pwk.x12": {ICD9: 1},
    "lfh_837p_a2_example8_pwk.x12": {ICD9: 1},
    "oop_837i_institutional_5010_lin_pwk_gs08_mislabelled.x12": {ICD9: 1},
    "oop_837i_spec_3_1_1_isa11_eq_isa16.x12": {SEPARATOR: 1},
    "oop_837p_a1_cr_terminator.x12": {ICD9: 1},
    "pyedi_837p_a1_all_fields.x12": {UNKNOWN: 1},
    "tigershark_837i_4010_isa_not_fixed.x12": {"a transaction that is skipped": 2},
    "claims_with_errors.x12": {UNKNOWN: 1},  # the bundled example of every XE rule
}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_and_example_reads_the_same_both_ways(path):
    assert differences(str(path)) == []


def test_the_bodies_mapped_one_segment_at_a_time_are_the_rare_ones_and_counted():
    counted = {path.name: outcome(str(path), per_segment=False)["mapped_by_segment"] for path in SAMPLES}
    assert {name: reasons for name, reasons in counted.items() if reasons} == MAPPED_BY_SEGMENT
    assert counted["claims.x12"] == {}  # the bundled clean example: columns only


@st.composite
def interchanges(draw) -> bytes:
    """Two or three interchanges, each with separators of its own (a line break may be the
    terminator), some cut short or with a segment lost or doubled, and what may follow an IEA."""
    out = b""
    for number in range(draw(st.integers(2, 3))):
        style = draw(styles())
        data = _interchange(f"M{number}", style)
        if draw(st.booleans()):
            terminator = style.terminator.encode()
            segments = data.split(terminator)
            at = draw(st.integers(1, max(len(segments) - 2, 1)))
            damage = draw(st.sampled_from(["lose", "double", "cut"]))
            if damage == "lose":
                del segments[at]
            elif damage == "double":
                segments.insert(at, segments[at])
            else:
                segments = segments[:at]
            data = terminator.join(segments)
        out += data + draw(st.sampled_from([b"", b"\n", b"\r\n", b"  \n"]))
    return out


# Damaged files of one interchange, and of several. The second kind found, while the block walk
# was written, that it stepped back over a terminator that is a line break and lost the
# interchange after it.
@settings(max_examples=210, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(damaged(), interchanges()))
def test_damaged_files_and_several_interchanges_read_the_same_both_ways(tmp_path, data):
    path = tmp_path / "damaged.x12"
    path.write_bytes(data)
    assert differences(str(path)) == []


def _many_transactions() -> bytes:
    """Three interchanges of many claims: transactions and segments cut by every small block."""
    claims = [
        Claim(claim_id=f"C{n}", claim_type="837P" if n % 3 else "837I", lines=[Line(), Line(procedure_code="96365")])
        for n in range(40)
    ]
    professional = sorted(claims, key=lambda c: c.claim_type != "837P")
    return b"".join(build(professional, control=f"{n:04}")[0] for n in range(3))


@pytest.mark.parametrize("block_bytes", [7, 64, 4096])
def test_blocks_of_any_size_read_the_same(tmp_path, monkeypatch, block_bytes):
    path = tmp_path / "many.x12"
    path.write_bytes(_many_transactions())
    files = [path, *(p for p in SAMPLES if p.name.startswith(("ims_837p_a1_multiple", "ims_837p_a1_different")))]
    whole = {p: outcome(str(p), per_segment=False) for p in files}
    monkeypatch.setattr(x12_stream, "BLOCK_BYTES", block_bytes)
    for p in files:
        assert outcome(str(p), per_segment=False) == whole[p], p.name
        assert differences(str(p)) == [], p.name
