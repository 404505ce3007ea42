"""The story rules (match/figures, facts, occasion, rescue, judge): whether two verified-close texts
tell one story, by time and by who.

Every input here is written for the test (no corpus text): short wire-style notices.
"""
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsfold.match import facts as mf
from newsfold.match import figures as fg
from newsfold.match import judge, occasion, rescue
from newsfold.match.items_scan import item_line_counts
from newsfold.model import PairScores

sr = SimpleNamespace(**{name: getattr(module, name) for module in (fg, mf, occasion, rescue)
                        for name in dir(module) if not name.startswith("__")})


def facts(title, text, published="2026-03-02T11:45:00Z"):
    return sr.facts(title, text, published)


# ------------------------------------------------------------------------------------ figures

@pytest.mark.parametrize("x, y", [
    ("12.2 mln", "12,231,000"),
    ("1.46 billion dlrs", "1,459,193,000 dlrs"),
    ("26 cts", "0.26 dlrs"),
    ("two billion dlrs", "2.0 billion dlrs"),
    ("about seven mln", "7,242,117"),
    ("40-mln dlr", "40 mln dlr"),
    ("nil", "0"),
])
def test_figures_equal_within_the_rounding_of_their_writing(x, y):
    assert sr.same_figure(sr.figures(x)[0], sr.figures(y)[0])


@pytest.mark.parametrize("x, y", [
    ("12.4 mln", "12,231,000"),
    ("6-1/2 pct", "6-1/4 pct"),
    ("6 pct", "6-1/2 pct"),
    ("5.83 pct", "5.82 pct"),
    ("1.5 billion dlrs", "2.5 billion dlrs"),
    ("26 cts", "26 pct"),
])
def test_figures_that_differ(x, y):
    assert not sr.same_figure(sr.figures(x)[0], sr.figures(y)[0])


def test_years_times_seasons_and_the_dateline_are_no_figures_but_dates_in_the_text_are():
    found = sr.figures("OSLO, March 2 - The 1986/87 crop was 16.7 mln tonnes at 1130 GMT in 1987, due April 7")
    assert [(f.value, f.unit) for f in found] == [(16.7e6, "t"), (4 * 31 + 7, "date")]


def test_a_figure_slot_is_its_anchor_word_and_rank():
    net, prior = sr.figures("Net 2,102,000 vs 1,415,000")
    assert net.slot[:2] == ("net", 1) and prior.slot[:2] == ("net", 2)


# ------------------------------------------------------------------------------------ occasion

RESERVES = ("NEW YORK, March {d} - The Federal Reserve entered the government securities market to arrange "
            "{amount} billion dlrs of customer repurchase agreements, a spokesman said.\n\n"
            "Federal funds were trading at {rate} pct when the Fed began its temporary supply of reserves.")


def reserves(day, amount, rate, hour=11):
    return facts("CENTRAL BANK ADDS RESERVES", RESERVES.format(d=day, amount=amount, rate=rate),
                 f"2026-03-{day:02d}T{hour:02d}:45:00Z")


def test_a_recurring_report_of_another_day_with_other_figures_is_another_story():
    verdict = sr.occasion(reserves(2, "1.5", "6-1/2"), reserves(9, "2.5", "6-3/16"))
    assert verdict.apart and verdict.rule == "recurring-report"
    assert "published 2026-03-02T11:45:00Z vs 2026-03-09T11:45:00Z" in verdict.evidence
    assert "1.5 billion dlrs / 2.5 billion dlrs" in verdict.evidence


def test_a_re_send_on_another_day_with_the_same_figures_stays():
    assert sr.occasion(reserves(2, "1.5", "6-1/2"), reserves(3, "1.5", "6-1/2")) is None
    assert sr.judge_edge(reserves(2, "1.5", "6-1/2"), reserves(3, "1.5", "6-1/2")) is None


RATES = ("WASHINGTON, March 2 - The housing agency adjusted the rates on its discount notes as follows:\n"
         "30-89 days {a} pct\n90-180 days {b} pct\n181-270 days {c} pct\n271-360 days {d} pct")


def test_a_same_day_notice_reissued_with_new_figures_is_another_story():
    first = facts("AGENCY CHANGES DISCOUNT NOTE RATES", RATES.format(a="5.83", b="5.85", c="5.90", d="5.92"),
                  "2026-03-02T10:05:00Z")
    later = facts("AGENCY CHANGES DISCOUNT NOTE RATES", RATES.format(a="5.80", b="5.86", c="5.93", d="5.92"),
                  "2026-03-02T11:05:00Z")
    verdict = sr.occasion(first, later)
    assert verdict.apart and verdict.rule == "successive-notice"


QUAKE = ("QUITO, March 9 - Up to 300 people were feared dead and 15,000 left homeless by the earthquake, "
         "which will cost the country {loss} mln dlrs, officials said.\n\n"
         "The government declared a state of emergency in the two provinces.")


def test_an_update_that_keeps_its_lead_facts_and_revises_one_figure_stays():
    early = facts("QUAKE TO COST COUNTRY 800 MLN DLRS", QUAKE.format(loss="800"), "2026-03-09T15:31:00Z")
    later = facts("QUAKE LOSSES PUT AT 950 MLN DLRS", QUAKE.format(loss="950"), "2026-03-09T17:07:00Z")
    verdict = sr.occasion(early, later)
    assert verdict is not None and not verdict.apart and verdict.rule == "update"
    assert sr.judge_edge(early, later) is None


def test_a_correction_is_the_same_story_even_with_other_figures():
    original = facts("UTILITY SEES 600 JOBS", "BOSTON, March 2 - The utility said it will add 600 jobs.")
    corrected = facts("CORRECTED - UTILITY SEES 500 JOBS",
                      "BOSTON, March 2 - The utility said it will add 500 jobs. (Corrects number of jobs)",
                      "2026-03-03T09:00:00Z")
    assert sr.judge_edge(original, corrected) is None


def test_the_same_notice_in_the_same_words_weeks_apart_is_another_report():
    verdict = sr.occasion(reserves(2, "1.5", "6-3/16"), reserves(23, "1.5", "6-3/16"))
    assert verdict.apart and verdict.rule == "recurring-report" and "--03-02 vs --03-23" in verdict.evidence
    assert sr.occasion(reserves(2, "1.5", "6-3/16"), reserves(5, "1.5", "6-3/16")) is None  # a re-send days later
    kept = reserves(2, "1.5", "6-3/16")._replace(dateline_day=None)  # undated in its body: nothing says which day
    assert sr.occasion(kept, reserves(23, "1.5", "6-3/16")) is None


def test_the_same_relative_day_word_under_datelines_of_other_days():
    text = "PARIS, March {d} - The central bank left its rate at 7-3/4 pct in today's money market tender."
    a = facts("CENTRAL BANK LEAVES RATE UNCHANGED", text.format(d=2), "2026-03-02T08:52:00Z")
    b = facts("CENTRAL BANK LEAVES RATE UNCHANGED", text.format(d=9), "2026-03-09T10:10:00Z")
    verdict = sr.occasion(a, b)
    assert verdict.apart and "--03-02 vs --03-09" in verdict.evidence


def test_market_reports_of_other_sessions_of_a_day():
    a = facts("WHEAT FUTURES HIGHER AT MIDSESSION", "CHICAGO, March 2 - Wheat futures rose two cents.",
              "2026-03-02T12:10:00Z")
    b = facts("WHEAT FUTURES CLOSE HIGHER", "CHICAGO, March 2 - Wheat futures rose three cents.",
              "2026-03-02T15:15:00Z")
    assert sr.occasion(a, b).rule == "successive-notice"


def test_without_publication_dates_figures_alone_split_nothing():
    a = reserves(2, "1.5", "6-1/2")._replace(published=None)
    b = reserves(9, "2.5", "6-3/16")._replace(published=None)
    assert sr.occasion(a, b) is None


# ------------------------------------------------------------------------------------ issuer

BOND = ("LONDON, March 2 - {name} is issuing a {amount} mln dlr equity warrant eurobond due 2031 paying an "
        "indicated coupon of 2-1/8 pct and priced at par, said lead manager Northbank Securities.")


def test_one_template_another_issuer():
    a = facts("HARBOUR ROPEWORKS ISSUES WARRANT BOND", BOND.format(name="Harbour Ropeworks Co", amount=60))
    b = facts("LAKELAND GLASS ISSUES WARRANT BOND", BOND.format(name="Lakeland Glass Co", amount=200))
    verdict = sr.issuer(a, b)
    assert verdict.apart and verdict.rule == "other-issuer"
    assert "harbour" in verdict.evidence and "lakeland" in verdict.evidence


def test_other_tickers_are_other_issuers_and_a_re_headlined_copy_is_not():
    a = facts("NORTHWIND <NWD> RAISES CRUDE PRICES", "TULSA, March 2 - Northwind Oil raised crude prices 50 cts.")
    b = facts("EASTGATE <EGT> RAISES CRUDE PRICES", "TULSA, March 2 - Eastgate Oil raised crude prices 50 cts.")
    c = facts("NORTHWIND OIL LIFTS POSTED PRICES", "TULSA, March 2 - Northwind Oil raised crude prices 50 cts.")
    assert sr.issuer(a, b).apart
    assert sr.issuer(a, c) is None


# ------------------------------------------------------------------------------------ digest

DIGEST = "\n\n".join([
    "BERNE - Consumer prices rose one pct in the year to March, the same rise as in the year to February.",
    "FRANKFURT - The capital account showed a net outflow of 3.5 billion marks in February, the bank said.",
    "TOKYO - The ruling party drew up guidelines for a supplementary budget to be compiled in the summer.",
    "LONDON - Sterling firmed against the dollar as traders took profits ahead of the trade figures.",
])


def test_a_digest_never_takes_the_items_it_lists():
    digest = facts("MONEY NEWS HIGHLIGHTS", DIGEST)
    item = facts("CAPITAL ACCOUNT IN DEFICIT",
                 "FRANKFURT, March 2 - The capital account showed a net outflow of 3.5 billion marks in February.")
    assert sr.is_digest(digest) and not sr.is_digest(item)
    assert sr.judge_edge(digest, item).rule == "digest"
    assert sr.digest(digest, facts("MONEY NEWS HIGHLIGHTS 1300", DIGEST)) is None  # two editions of a digest


def test_a_table_with_cities_in_capitals_is_no_digest():
    table = "\n".join(f"{city} - 5 UND MAY UP 1" for city in ("TOLEDO", "PEKIN", "DECATUR", "ALTON"))
    assert not sr.is_digest(facts("CASH GRAIN BIDS", table))


# ------------------------------------------------------------------------------------ recall

RESULTS_A = ("AUSTIN, March 2 - Shr 26 cts vs 18 cts\nNet 2,102,000 vs 1,415,000\nRevs 44.1 mln vs 42.2 mln\n"
             "Year\nShr 21 cts vs 91 cts\nNet 1,678,000 vs 7,105,000\nRevs 155.1 mln vs 149.2 mln")
RESULTS_B = ("AUSTIN, March 2 - Shr 26 cts vs 18 cts\nNet 2.1 mln vs 1.4 mln\nSales 44,100,000 vs 42,200,000\n"
             "12 mths\nShr 21 cts vs 91 cts\nNet 1.7 mln vs 7.1 mln\nSales 155,100,000 vs 149,200,000")


def test_a_results_table_re_typed_by_another_desk():
    a = facts("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_A, "2026-03-02T10:00:00Z")
    b = facts("RIVERBEND TOOL <RBT> 4TH QTR", RESULTS_B, "2026-03-02T12:30:00Z")
    verdict = sr.retyped(a, b)
    assert verdict is not None and not verdict.apart and verdict.rule == "retyped"
    other = facts("HILLCREST FOODS <HCF> 4TH QTR NET", RESULTS_B.replace("44,100,000", "51,000,000"),
                  "2026-03-02T12:30:00Z")
    assert sr.retyped(a, other) is None  # another issuer


def test_a_results_notice_s_first_row_on_the_dateline_s_line_is_a_row():
    on_dateline = "WESTPORT, Conn., March 17 - Oper shr 24 cts vs 19 cts\nOper net 1,096,332 vs 794,711\n" \
                  "Revs 803,085 vs 442,420"
    own_line = "WESTPORT, Conn., March 18 - Qtr ends Jan 31\nOper shr 24 cts vs 19 cts\n" \
               "Oper net 1,096,332 vs 794,711\nRevs 803,085 vs 442,420"
    assert [label for label, _ in mf.table_rows(on_dateline)] == ["oper shr", "oper net", "revs"]
    # the figure key that lets the two meet as candidates starts with the per-share row in both
    assert mf.figure_key(mf.table_rows(on_dateline)) == mf.figure_key(mf.table_rows(own_line)) is not None


NOTES = ("\nNOTE: 1986 net includes gain of 1.5 mln dlrs from the sale of two warehouses.\n"
         "1987 year includes a charge of 300,000 dlrs for the closing of the Dallas plant.\n"
         "Share figures adjusted for a two-for-one split paid in June 1986.\n"
         "Full name of the company is Riverbend Tool and Die Corp.")


def test_a_results_table_followed_by_its_notes_is_still_a_results_notice():
    a = facts("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_A + NOTES, "2026-03-02T10:00:00Z")
    b = facts("RIVERBEND TOOL <RBT> 4TH QTR", RESULTS_B, "2026-03-02T12:30:00Z")
    verdict = sr.retyped(a, b)
    assert verdict is not None and verdict.rule == "retyped"
    prose = facts("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_A.replace("\nYear", NOTES + NOTES + "\nYear"),
                  "2026-03-02T10:00:00Z")
    assert sr.retyped(prose, b) is None  # a table cut by prose lines is no results notice


def test_one_issuer_is_the_name_both_headlines_give_when_neither_gives_a_ticker():
    a = facts("GREYSTONE APPAREL GROUP 3RD QTR LOSS", RESULTS_A, "2026-03-02T09:24:00Z")
    b = facts("<GREYSTONE APPAREL GROUP INC> 3RD QTR LOSS", RESULTS_B.replace("AUSTIN", "Austin"),
              "2026-03-02T11:09:00Z")
    assert not b.title_names  # the body of b never names its issuer
    verdict = sr.retyped(a, b)
    assert verdict is not None and verdict.rule == "retyped"
    assert sr.retyped(a, facts("BLUEWATER MARINE 3RD QTR LOSS", RESULTS_B, "2026-03-02T11:09:00Z")) is None


OPER = ("CHANDLER, Ariz., June 29 - Oper shr three cts vs one ct\nOper net 210,000 vs 67,000\n"
        "Revs 10,252,000 vs 8,929,000\nAvg shrs 7,933,000 vs 8,553,000\nSix mths\nOper shr five cts vs two cts\n"
        "Oper net 420,000 vs 133,000\nRevs 20.3 mln vs 17.1 mln\nAvg shrs 7,952,000 vs 8,551,000")
REPORTED = ("CHANDLER, Ariz., June 29 - Shr four cts vs one ct\nNet 335,000 vs 67,000\nRev 10.1 mln vs 8.7 mln\n"
            "Avg shares 7,933,000 vs 8,553,000\nSix Months\nShr seven cts vs two cts\nNet 570,000 vs 133,000\n"
            "Rev 19.9 mln vs 16.8 mln\nAvg shares 7,952,000 vs 8,551,000")


def test_one_issuer_s_results_of_one_period_issued_again_are_one_story():
    a = facts("DESERTLINE INC <DSRT.O> 2ND QTR MAY 31 OPER NET", OPER, "1987-06-29T10:52:00Z")
    b = facts("DESERTLINE INC <DSRT.O> 2ND QTR MAY 31 NET", REPORTED, "1987-06-29T11:19:00Z")
    miss = PairScores(0.2, 0.36, 0.67, 0.34)
    assert sr.retyped(a, b) is None  # other lines, other figures: not the same table re-typed
    verdict = judge.why(a, b, miss)
    assert not verdict.apart and verdict.rule == "results" and "DSRT 2nd qtr" in verdict.evidence
    year = facts("DESERTLINE INC <DSRT.O> YEAR NET", REPORTED, "1987-06-29T11:19:00Z")
    other = facts("SANDHILL CORP <SNDH.O> 2ND QTR MAY 31 NET", REPORTED, "1987-06-29T11:19:00Z")
    late = b._replace(published="1987-07-02T11:19:00Z")
    for x in (year, other, late):  # another period, another issuer, three days on
        assert judge.why(a, x, miss).apart


def test_label_synonyms_are_learned_from_tables_that_agree_row_by_row():
    pairs = []
    for k in range(3):
        rev = f"{40 + k}.1 mln vs {30 + k}.2 mln"
        a = facts(f"CO{k} <C{k}> QTR", f"X, March 2 - Shr 1{k} cts vs 9 cts\nRevs {rev}\n12 mths\nRevs 1{k}0.5 mln vs 99.1 mln")
        b = facts(f"CO{k} <C{k}> QTR", f"X, March 2 - Shr 1{k} cts vs 9 cts\nSales {rev}\nYear\nSales 1{k}0.5 mln vs 99.1 mln")
        pairs.append((a, b))
    synonyms = sr.learn_label_synonyms(pairs)
    assert synonyms.get("sales") == "revs" or synonyms.get("revs") == "sales"
    assert "shr" not in synonyms


REWRITE_A = ("CARACAS, March 2 - The national power company will meet bank creditors in New York on Monday to "
             "discuss rescheduling 1.2 billion dlrs of debt, its president said.\n\n"
             "The company said a devaluation raised its debt burden by 40 pct.")
REWRITE_B = ("caracas, march 2 - the national power company will meet its bank creditors in new york monday to "
             "seek a rescheduling of 1.2 billion dlrs of foreign debt, the company president said.\n\n"
             "a devaluation raised the debt burden by 40 pct, the company said.")


def test_a_rewrite_under_the_containment_threshold_is_rescued_case_aside():
    a = facts("POWER COMPANY FACES DEFAULT", REWRITE_A, "2026-03-02T17:36:00Z")
    b = facts("Power company faces default", REWRITE_B, "2026-03-02T18:17:00Z")
    verdict = sr.rewrite(a, b, containment=0.5, lead_overlap=0.6)
    assert verdict is not None and not verdict.apart
    assert sr.rewrite(a, b, containment=0.3, lead_overlap=0.6) is None  # too little shared
    late = b._replace(published="2026-03-03T18:17:00Z")
    assert sr.rewrite(a, late, containment=0.5, lead_overlap=0.6) is None  # a next-day item is no rewrite


def test_an_evening_story_and_its_next_morning_version_are_one_story():
    a = facts("POWER COMPANY FACES DEFAULT", REWRITE_A, "2026-03-02T17:55:00Z")
    b = facts("Power company faces default", REWRITE_B, "2026-03-03T06:04:00Z")  # 12 hours later
    verdict = sr.rewrite(a, b, containment=0.5, lead_overlap=0.6)
    assert verdict is not None and verdict.rule == "rewrite"


def test_a_follow_up_with_a_new_opening_fact_is_not_rescued():
    a = facts("UNION REJECTS CONTRACT", "TRAIL, March 2 - Striking miners rejected a three-year contract offer, "
              "a union official said.\n\nThe vote was 1,229 against and 1,028 in favour.", "2026-03-02T08:30:00Z")
    b = facts("COMPANY SEEKS MEETING WITH UNION", "TRAIL, March 2 - The mining company expects to meet two "
              "striking locals tomorrow, a spokesman said.\n\nThe miners rejected a three-year contract offer.",
              "2026-03-02T09:30:00Z")
    assert sr.rewrite(a, b, containment=0.5, lead_overlap=0.4) is None


def test_candidate_keys():
    assert mf.figure_key(mf.table_rows(RESULTS_A)) == mf.figure_key(mf.table_rows(RESULTS_B)) is not None
    a = mf.traits("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_A, "2026-03-02T10:00:00Z")
    b = mf.traits("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_B, "2026-03-02T12:30:00Z")
    assert set(a.keys) == set(b.keys) and len(a.keys) == 3  # the masked headline's, the table figures', its first name's
    assert mf.traits("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_A, None).keys == ()  # undated: no keys


def test_re_titled_versions_of_one_announcement_share_a_candidate_key():
    text = "DALLAS, April 9 - Harborview Corp said it will issue a special dividend right."
    a = mf.traits("HARBORVIEW <HBV> TO OFFER SPECIAL DIVIDEND", text, "1987-04-09T12:37:00Z")
    b = mf.traits("HARBORVIEW <HBV> TO ISSUE AMERICAN REALTY RIGHTS", text, "1987-04-09T14:08:00Z")
    c = mf.traits("LAKESIDE <LKS> TO OFFER SPECIAL DIVIDEND", text, "1987-04-09T14:08:00Z")
    assert set(a.keys) & set(b.keys) and not set(a.keys) & set(c.keys)


# ------------------------------------------------------------------------------------ traits and judging

def test_traits_travel_as_one_line_and_say_what_a_digest_is():
    t = mf.traits("MONEY NEWS HIGHLIGHTS", DIGEST, "2026-03-02")
    assert t.digest and t.items == 4 and mf.Traits.decode(t.encode()) == t
    assert not mf.traits("CAPITAL ACCOUNT IN DEFICIT", "FRANKFURT, March 2 - The account showed.", None).digest
    assert mf.Traits.decode("") == mf.Traits()


def judged(pairs, near=()):
    """judge.judge_pairs over articles given as (title, text, published), ids 0, 1, …"""
    articles = dict(enumerate(pairs))
    known = {i: judge.Known(p, mf.traits(t, x, p if judge.dated(p) else None), t) for i, (t, x, p) in articles.items()}
    asked = []

    def texts(ids):
        asked.extend(ids)
        return {i: articles[i][:2] for i in ids}
    return asked, known, texts


VERIFIED = PairScores(0.7, 0.9, 1.0, 0.9)


def test_an_undated_edge_between_like_headlines_never_reads_the_texts():
    asked, known, texts = judged([("CENTRAL BANK ADDS RESERVES", RESERVES.format(d=2, amount="1.5", rate="6"), None),
                                  ("CENTRAL BANK ADDS RESERVES", RESERVES.format(d=9, amount="2.5", rate="6"), None)])
    out = judge.judge_pairs([(0, 1, VERIFIED)], [], known, texts)
    assert out.edges == [(0, 1, VERIFIED)] and out.notes == [None] and not out.apart and not asked


def test_a_dated_recurring_report_is_kept_apart_with_its_evidence():
    asked, known, texts = judged([
        ("CENTRAL BANK ADDS RESERVES", RESERVES.format(d=2, amount="1.5", rate="6-1/2"), "2026-03-02T11:45:00Z"),
        ("CENTRAL BANK ADDS RESERVES", RESERVES.format(d=9, amount="2.5", rate="6-3/16"), "2026-03-09T11:45:00Z")])
    out = judge.judge_pairs([(0, 1, VERIFIED)], [], known, texts)
    assert out.edges == [] and sorted(asked) == [0, 1]
    (a, b, rule, evidence), = out.apart
    assert rule == "recurring-report" and "1.5 billion dlrs / 2.5 billion dlrs" in evidence


def test_other_tickers_are_a_veto_without_dates_and_copies_are_never_judged():
    asked, known, texts = judged([
        ("NORTHWIND <NWD> RAISES CRUDE PRICES", "TULSA, March 2 - Northwind Oil raised crude prices 50 cts.", None),
        ("EASTGATE <EGT> RAISES CRUDE PRICES", "TULSA, March 2 - Eastgate Oil raised crude prices 50 cts.", None)])
    out = judge.judge_pairs([(0, 1, VERIFIED)], [], known, texts)
    assert [x[2] for x in out.apart] == ["other-issuer"]
    copies = judge.judge_pairs([(0, 1, PairScores(1.0, 1.0, 1.0, 1.0))], [], known, texts)
    assert len(copies.edges) == 1 and not copies.apart


def test_a_near_miss_of_two_dated_tables_is_rescued_with_its_rule():
    asked, known, texts = judged([("RIVERBEND TOOL <RBT> 4TH QTR NET", RESULTS_A, "2026-03-02T10:00:00Z"),
                                  ("RIVERBEND TOOL <RBT> 4TH QTR", RESULTS_B, "2026-03-02T12:30:00Z")])
    miss = PairScores(0.2, 0.3, 0.5, 0.2)
    out = judge.judge_pairs([], [(0, 1, miss)], known, texts)
    assert out.edges == [(0, 1, miss)] and out.notes[0][0] == "retyped"
    undated = {i: k._replace(published=None) for i, k in known.items()}
    assert judge.judge_pairs([], [(0, 1, miss)], undated, texts).edges == []


def test_why_explains_every_pair():
    a = sr.facts("UNION REJECTS CONTRACT", "TRAIL, March 2 - Striking miners rejected a three-year offer.")
    assert judge.why(a, a, PairScores(1.0, 1.0, 1.0, 1.0)).rule == "same text"
    verdict = judge.why(a, a, VERIFIED)
    assert not verdict.apart and "containment 0.90 ≥ 0.6" in verdict.evidence
    assert judge.why(a, a, PairScores(0.1, 0.2, 0.3, 0.1)).apart


COCOA = ("SALVADOR, Feb 26 - Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought "
         "since early January and improving prospects for the coming temporao, although normal humidity levels have "
         "not been restored, Comissaria Smith said in its weekly review. The dry period means the temporao will be "
         "late this year. Arrivals for the week ended February 22 were 155,221 bags of 60 kilos making a cumulative "
         "total for the season of 5.93 mln against 5.81 at the same stage last year.")
CRUDE = ("HOUSTON, March 3 - Acme Petroleum Corp said it raised the contract price it will pay for all grades of "
         "crude oil by 50 cts a barrel, effective today. The increase brings the price paid for West Texas "
         "Intermediate to 17.50 dlrs a barrel. The company said the move reflects higher spot market prices and "
         "firm demand from refiners in the Gulf Coast region, where stocks fell for a third straight week.")


def test_edges_no_rule_can_touch_are_judged_without_reading_their_articles():
    """Two undated versions under one headline are one story whatever the rules say: an ingest
    neither reads what is known of them nor judges them otherwise than with that reading."""
    from newsfold import pipeline
    from newsfold.config import SETTINGS
    from newsfold.fingerprint import fingerprint_packed
    from newsfold.index import BandIndex
    from newsfold.match.prefilter import Sketches

    versions = [("BAHIA COCOA REVIEW", COCOA), ("BAHIA COCOA REVIEW", COCOA + " Sales were light."),
                ("ACME RAISES CRUDE POSTINGS", CRUDE), ("ACME PETROLEUM RAISES CRUDE PRICES", CRUDE + " Others may follow.")]
    rows = [(0, 0, title, "", "", text, "", "", None, None, mf.traits(title, text, None).encode())
            for title, text in versions]
    prints = pipeline.BatchPrints.of(fingerprint_packed([text for _, text in versions]))

    def ingest(plain):
        asked = []
        sources = pipeline.MatchSources(
            BandIndex(), Sketches(SETTINGS.bins), lambda ids: {}, lambda ids: {i: prints.sets[i - 1] for i in ids.tolist()},
            lambda hashes: [], known=lambda ids: asked.extend(ids) or {i: (None, "", versions[i - 1][0]) for i in ids},
            texts=lambda ids: {i: versions[i - 1] for i in ids}, plain=plain)
        # the first versions stored, then their later versions: ids 1 and 3, then 2 and 4
        matched = [pipeline.match_batch(pipeline.Batch(np.array(ids), np.array(ids) - 1, prints, rows), sources)
                   for ids in ([1, 3], [2, 4])]
        return asked, [(m.edges, m.notes, m.apart) for m in matched]

    asked_plain, judged_plain = ingest(judge.PlainKeys())
    asked_all, judged_all = ingest(None)
    assert judged_plain == judged_all and [e[:2] for e in judged_all[1][0]] == [(1, 2), (3, 4)]
    assert asked_all == [1, 3] and asked_plain == [3]  # the other headline is read: an issuer veto may apply


_ITEM_PLACES = ["BERNE", "NEW YORK", "A", "O'HARE", "ST. LOUIS", "X" * 30, "X" * 31, "TOKYO, Japan", "LONDON, " + "a" * 21,
                "Berne", "  BERNE", "\tBERNE", "BERNE, "]
_ITEM_DASHES = [" - ", " -- ", " -  ", " --- ", " -", " -x", " - - ", " -\t"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(_ITEM_PLACES), st.sampled_from(_ITEM_DASHES),
                                   st.sampled_from(["Swiss consumer prices rose", "", " ", "x"])), min_size=1, max_size=6),
                min_size=1, max_size=8),
       st.sampled_from(["\n", "\n\n", "\n \n", "\r\n"]))
def test_an_ingest_counts_a_chunks_digest_items_as_the_pattern_does(texts, newline):
    # process_chunk counts the item lines of all its texts at once; traits, one text's, by regex
    texts = [newline.join(place + dash + rest for place, dash, rest in lines) for lines in texts] + [DIGEST]
    assert item_line_counts(texts) == [len(mf._ITEM_LINE.findall(t)) for t in texts]
    assert [mf.traits("NEWS", t, None, n) for t, n in zip(texts, item_line_counts(texts))] == \
        [mf.traits("NEWS", t, None) for t in texts]
