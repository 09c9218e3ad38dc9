"""`lookup` answers for every product by every code kind it has."""

from __future__ import annotations

from datetime import date

import pytest

from cgt_claimcheck.lookup import NotFound, lookup, product_card
from cgt_claimcheck.rules import CATALOGUE
from cgt_claimcheck.value_parsers import format_ndc


def test_each_product_by_hcpcs_ndc_pcs_and_name(ref):
    for product_id, product in ref.products.items():
        for row in ref.hcpcs_for_product(product_id):
            assert product_id in lookup(ref, row.code.lower()).products, row.code
        for ndc in ref.ndcs_for_product(product_id):
            assert lookup(ref, format_ndc(ndc.ndc11)).products == [product_id]
            assert lookup(ref, ndc.ndc11).products == [product_id]
            assert lookup(ref, ndc.ndc_as_listed).products == [product_id], ndc.ndc_as_listed
        for pcs in ref.pcs_for_product(product_id):
            assert product_id in lookup(ref, pcs.code).products
        assert lookup(ref, product.brand.lower()).products == [product_id]
        assert product_id in lookup(ref, product.generic.upper()).products


@pytest.mark.parametrize(
    ("query", "kind", "products"),
    [
        ("j3392", "hcpcs", ["casgevy"]),
        ("Q2041", "hcpcs", ["yescarta"]),
        ("51167-0290-01", "ndc", ["casgevy"]),
        ("73554-1111-1", "ndc", ["lyfgenia"]),
        ("51167029001", "ndc", ["casgevy"]),
        ("XW133J8", "icd10pcs", ["casgevy"]),
        ("D57.1", "icd10cm", ["casgevy", "lyfgenia"]),
        ("d571", "icd10cm", ["casgevy", "lyfgenia"]),
        ("C90.00", "icd10cm", ["abecma", "carvykti"]),
        ("casgev", "name", ["casgevy"]),
        ("tisagen", "name", ["kymriah"]),
        ("zolgensmaa", "name", ["zolgensma"]),
    ],
)
def test_queries(ref, query, kind, products):
    answer = lookup(ref, query)
    assert answer.kind == kind
    assert answer.products == products


def test_ten_digit_ndc_shows_every_candidate(ref):
    answer = lookup(ref, "5116702901")
    assert answer.products == ["casgevy"]
    assert "51167-0290-01 (listed)" in answer.notes[0]
    assert "05116-7029-01" in answer.notes[0]


def test_sickle_cell_trait_is_not_an_indication(ref):
    with pytest.raises(NotFound):
        lookup(ref, "D57.3")


def test_codes_that_are_not_products(ref):
    admin = lookup(ref, "38228")
    assert admin.products == []
    assert {m.get("codeset") for m in admin.matched} >= {"car_t_admin"}
    assert lookup(ref, "A0100").matched[0]["codeset"] == "nemt"
    assert "NDC" in lookup(ref, "J3590").notes[0]


def test_unknown_query_gives_nearest(ref):
    with pytest.raises(NotFound) as caught:
        lookup(ref, "51167-290-02")
    assert "51167-0290-09" in caught.value.nearest
    assert "CASGEVY" in caught.value.reason


def test_on_date_names_the_code_valid_then(ref):
    card = product_card(ref, "kymriah", date(2018, 6, 1), list(CATALOGUE.values()))
    assert card["billable_on"]["codes"] == ["Q2040"]
    card = product_card(ref, "kymriah", date(2019, 6, 1), list(CATALOGUE.values()))
    assert card["billable_on"]["codes"] == ["Q2042"]
    card = product_card(ref, "casgevy", date(2024, 6, 1), list(CATALOGUE.values()))
    assert card["billable_on"]["fallback"] == "J3590 with the NDC"


def test_lookup_says_a_category_is_not_billable_and_reads_undotted_codes():
    from typer.testing import CliRunner

    from cgt_claimcheck.cli import app

    runner = CliRunner()
    header = runner.invoke(app, ["lookup", "D57", "--format", "json"])
    assert header.exit_code == 0 and "category header, not billable" in header.stdout
    undotted = runner.invoke(app, ["lookup", "D5700", "--format", "json"])
    assert undotted.exit_code == 0 and '"kind": "icd10cm"' in undotted.stdout and "billable" in undotted.stdout
    split = runner.invoke(app, ["lookup", "C83.39", "--on", "2024-05-01", "--format", "json"])
    assert "is a billable ICD-10-CM code on 2024-05-01" in split.stdout


NEW_PRODUCTS = (
    "lenmeldy kebilidi beqvez skysona zevaskyn encelto vyjuvek adstiladrin ryoncil amtagvi omisirge lantidra "
    "kresladi waskyra papzimeos itvisma imlygic provenge tudriqev"
).split()


@pytest.mark.parametrize("product_id", NEW_PRODUCTS)
def test_every_added_product_answers_by_brand_generic_code_and_ndc(ref, product_id):
    """Issue 13: every FDA-approved CGT of the 2026-11 audit, by every key a clerk might type."""
    product = ref.products[product_id]
    assert product_id in lookup(ref, product.brand).products
    assert product_id in lookup(ref, product.generic.split(" (")[0]).products
    for code in ref.hcpcs_for_product(product_id):
        assert lookup(ref, code.code).products == [product_id]
    for package in ref.ndcs_for_product(product_id):
        for layout in (format_ndc(package.ndc11), package.ndc11, package.ndc_as_listed):
            assert lookup(ref, layout).products == [product_id], layout
    card = product_card(ref, product_id, None, [])
    assert card["source"] and card["confidence"]


def test_itvisma_is_not_zolgensma(ref):
    assert lookup(ref, "J3399").products == ["zolgensma"]
    assert lookup(ref, "itvisma").products == ["itvisma"] and not ref.hcpcs_for_product("itvisma")


@pytest.mark.parametrize("query, nearest", [("J3392X", "J3392"), ("Q2041Z", "Q2041")])
def test_a_near_miss_is_not_found_with_the_closest_codes_never_another_code_type(ref, query, nearest):
    with pytest.raises(NotFound) as missing:
        lookup(ref, query)
    assert "not a known code" in missing.value.reason and nearest in missing.value.nearest
